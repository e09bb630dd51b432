#!/usr/bin/env bash
# Integration: sluicectl against a real controller. Starts
# `sluice-controller --embedded-kafka` on a free port of 127.0.0.1 with
# admin and worker token files, waits for /readyz, then drives sluicectl
# through docs/api.md: tenants, tokens, pipelines (validate, apply,
# list, get, pause, resume, delete), workers, tasks, -o json (parsed with
# python3), a wrong token (401) and an unreachable server (exit 3). Every
# check asserts an exit status and the text printed; no token may ever show
# up on stderr. Needs curl and python3.
# Usage: itest_sluicectl.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=${1:?build dir}
src=${2:?source dir}
ctl_bin="$build/bin/sluicectl"
controller=$build/bin/sluice-controller
tmp=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
unset SLUICE_TOKEN SLUICE_SERVER
passed=0
failed=0
admin_token="adm-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
worker_token="wrk-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
tenant_token=""
step=""

fail() {
    echo "FAIL [$step]: $*" >&2
    failed=$((failed + 1))
}
show() {
    sed 's/^/    stdout: /' "$tmp/out" >&2
    sed 's/^/    stderr: /' "$tmp/err" >&2
}

# sl WANT_STATUS ARGS...: runs sluicectl (stdout in $tmp/out, stderr in
# $tmp/err) and checks its exit status, that no token leaked to stderr and
# that no sanitizer (in a -DSLUICE_SANITIZE=ON build) reported anything.
# The token comes from $SLUICE_TOKEN, so that failure messages, which show
# the arguments, never show one. Returns 1 when the status is wrong.
sl() {
    local want=$1 rc
    shift
    "$ctl_bin" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    for t in "$admin_token" "$worker_token" "$tenant_token"; do
        if [ -n "$t" ] && grep -qF -- "$t" "$tmp/err"; then
            fail "sluicectl $* printed a token on stderr"
        fi
    done
    if grep -qE "Sanitizer|runtime error:" "$tmp/err"; then
        fail "sluicectl $*: the sanitizers found something"
        show
    fi
    if [ "$rc" != "$want" ]; then
        fail "sluicectl $* exited $rc, want $want"
        show
        return 1
    fi
    passed=$((passed + 1))
    return 0
}
as_admin() { SLUICE_TOKEN="$admin_token" sl "$@"; }
as_tenant() { SLUICE_TOKEN="$tenant_token" sl "$@"; }
# out REGEX / err REGEX: the last command's stdout / stderr matches.
out() { grep -qE -- "$1" "$tmp/out" || { fail "stdout lacks /$1/"; show; }; }
err() { grep -qE -- "$1" "$tmp/err" || { fail "stderr lacks /$1/"; show; }; }
# json PYTHON_EXPR: the last stdout is JSON and the expression over d holds.
json() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/out" "$1" ||
        { fail "JSON check failed: $1"; show; }
}

# keep SCHEMA: the last stdout is checked against components/schemas/SCHEMA
# of docs/api/openapi.yaml at the end (when the validator is installed).
mkdir -p "$tmp/schema"
keep() { cp "$tmp/out" "$tmp/schema/$1.$RANDOM$RANDOM.json"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # below the ephemeral range, so nothing else grabs it meanwhile
    local p
    for _ in $(seq 1 50); do
        p=$((10000 + RANDOM % 22000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# ---- without a server ------------------------------------------------------
step="help and usage"
sl 0 help && out "tenants create NAME" && out "pipelines apply -f FILE" &&
    out "tokens revoke TENANT ID" && out "workers list" && out "tasks list" && out "--token-file"
sl 2 frobnicate && err "unknown command 'frobnicate'"
sl 2 tenants && err "create list get delete"
sl 2 tenants create && err "usage: sluicectl tenants create NAME"
sl 2 tenants create acme --max-tasks lots && err "--max-tasks takes a whole number"
sl 2 -o yaml tenants list && err "-o takes table or json"
sl 2 pipelines apply && err "apply -f FILE"
sl 2 pipelines delete x --force && err "unknown option '--force'"
sl 2 --server ftp://x tenants list && err "http:// or https://"
sl 2 --token a --token-file /dev/null tenants list && err "not both"

step="unreachable server"
dead=$(free_port) || { echo "FAIL: no free port" >&2; exit 1; }
SLUICE_TOKEN="$admin_token" sl 3 --server "http://127.0.0.1:$dead" tenants list &&
    err "cannot reach the controller at http://127.0.0.1:$dead"

# ---- start the controller --------------------------------------------------
step="controller"
printf '%s\n' "$admin_token" >"$tmp/admin.token"
printf '%s\n' "$worker_token" >"$tmp/worker.token"
port=$(free_port) || { echo "FAIL: no free port" >&2; exit 1; }
"$controller" --embedded-kafka --listen "127.0.0.1:$port" --admin-token-file "$tmp/admin.token" \
    --worker-token-file "$tmp/worker.token" >"$tmp/controller.out" 2>"$tmp/controller.err" &
pid=$!
ready=0
for _ in $(seq 1 300); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; then
        ready=1
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ "$ready" != 1 ]; then
    echo "FAIL: the controller did not become ready on 127.0.0.1:$port" >&2
    sed 's/^/    controller: /' "$tmp/controller.err" | tail -20 >&2
    echo "sluicectl: $passed passed, $((failed + 1)) failed"
    exit 1
fi
export SLUICE_SERVER="http://127.0.0.1:$port"

# ---- tenants ---------------------------------------------------------------
step="tenants"
as_admin 0 tenants create acme && out "^tenant/acme created$"
as_admin 1 tenants create acme && err "^sluicectl: 409 conflict: "
as_admin 1 tenants create Bad_Name && err "^sluicectl: 400 invalid_argument: "
as_admin 0 tenants create beta --max-pipelines 5 --max-tasks 10 && out "^tenant/beta created$"
if as_admin 0 tenants list; then
    out "^NAME +PIPELINES +MAX-PIPELINES +TASKS +MAX-TASKS +AGE$"
    out "^acme +0 +[0-9]+ +0 +[0-9]+ +[0-9]+[smhd]$"
    out "^beta +0 +5 +0 +10 "
    [ "$(awk 'NR > 1 {print $1}' "$tmp/out" | tr '\n' ' ')" = "acme beta " ] ||
        fail "tenants list: want acme then beta"
fi
as_admin 0 --page-size 1 tenants list && out "^acme " && out "^beta " # follows next_page_token
as_admin 0 tenants list -o json && keep TenantList &&
    json '[t["name"] for t in d["items"]] == ["acme", "beta"] and d["next_page_token"] is None'
as_admin 0 --page-size 1 -o json tenants list && json 'len(d["items"]) == 2'
as_admin 0 tenants get beta && out "^beta +0 +5 +0 +10 "
as_admin 0 tenants get beta -o json && keep Tenant && json 'd["name"] == "beta" and d["max_pipelines"] == 5 and
    d["max_tasks"] == 10 and d["pipelines"] == 0 and d["created_at"].endswith("Z")'
as_admin 1 tenants get nope && err "^sluicectl: 404 not_found: "

# ---- tokens ----------------------------------------------------------------
step="tokens"
if as_admin 0 tokens create acme --description ci; then
    tenant_token=$(cat "$tmp/out")
    [[ "$tenant_token" =~ ^slt_[A-Za-z0-9]+_[A-Za-z0-9]+$ ]] ||
        fail "tokens create printed '$(head -c 4 "$tmp/out")...', not a single slt_ token"
    err "shown only once"
fi
[ -n "$tenant_token" ] || { echo "FAIL: no tenant token; stopping" >&2; exit 1; }
if as_admin 0 tokens list acme; then
    out "^ID +TENANT +DESCRIPTION +AGE$"
    out " acme +ci +"
    grep -qF -- "${tenant_token#slt_*_}" "$tmp/out" && fail "tokens list shows a secret"
fi
as_admin 0 tokens list acme -o json && keep TokenList && json 'len(d["items"]) == 1 and "token" not in d["items"][0]
    and d["items"][0]["description"] == "ci" and d["items"][0]["tenant"] == "acme"'
as_tenant 0 tokens list acme && out " ci "                  # a tenant's own tokens
# another tenant's tokens: docs/api.md allows "a token of the same tenant"
# only; 403 (not allowed) or 404 (hidden, like another tenant's pipeline)
as_tenant 1 tokens list beta && err "^sluicectl: (403 forbidden|404 not_found): "
as_tenant 1 tenants list && err "^sluicectl: 403 forbidden: " # admin only
if as_admin 0 -o json tokens create acme --description temp; then
    keep TokenCreated
    json 'd["token"].startswith("slt_") and d["tenant"] == "acme" and d["description"] == "temp"'
    temp_token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/out")
    temp_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/out")
    SLUICE_TOKEN="$temp_token" sl 0 pipelines list
    as_admin 0 tokens revoke acme "$temp_id" && out "^token/$temp_id of tenant acme revoked$"
    SLUICE_TOKEN="$temp_token" sl 1 pipelines list && err "^sluicectl: 401 unauthorized: "
    grep -qF -- "$temp_token" "$tmp/err" && fail "a revoked token was printed"
    as_admin 1 tokens revoke acme "$temp_id" && err "^sluicectl: 404 not_found: "
fi

# ---- pipelines -------------------------------------------------------------
step="pipelines validate"
good="$tmp/speeding.json"
cp "$src/docs/examples/speeding/pipeline.json" "$good"
cat >"$tmp/bad.json" <<'SPEC'
{"name": "bad", "input": {"topic": "in"},
 "steps": [{"op": "assign", "columns": {"kmh": "speed * * 3.6"}}, {"op": "filtr", "where": "x"}]}
SPEC
as_tenant 0 pipelines validate -f "$good" && out "valid"
if as_tenant 1 pipelines validate -f "$tmp/bad.json"; then
    err "^sluicectl: 400 invalid_spec: "
    err "^  steps\[0\]\.columns\.kmh at position 8: "
    err "^  steps\[1\]\.op: unknown op 'filtr'"
fi
as_tenant 0 pipelines validate -f "$good" -o json && keep ValidateResult &&
    json 'd["valid"] is True and d["spec"]["name"] == "speeding" and
          d["topics"]["input"] == "acme.sensors" and d["topics"]["changelog"] is None'
echo 'not json' >"$tmp/notjson.json"
as_tenant 1 pipelines validate -f "$tmp/notjson.json" && err "^sluicectl: 400 invalid_json: "
as_admin 1 pipelines validate -f "$good" && err "^sluicectl: 403 forbidden: " # tenant token only

step="pipelines apply"
as_tenant 0 pipelines apply -f "$good" && out "^pipeline/speeding created \(version 1\)$"
as_tenant 0 pipelines apply -f "$good" && out "^pipeline/speeding unchanged \(version 1\)$"
sed 's/speed_kmh > 100/speed_kmh > 120/' "$good" >"$tmp/speeding2.json"
as_tenant 0 pipelines apply -f "$tmp/speeding2.json" &&
    out "^pipeline/speeding configured \(version 2\)$"
as_tenant 0 pipelines apply -f "$good" --name other && out "^pipeline/other created \(version 1\)$"
as_tenant 0 pipelines apply -f "$good" --name other -o json && keep PipelineSummary &&
    json 'd["name"] == "other" and d["version"] == 1'
as_tenant 1 pipelines apply -f "$tmp/bad.json" && err "^sluicectl: 400 invalid_spec: " &&
    err "^  steps\[1\]\.op: "
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["name"]; print(json.dumps(d))' \
    "$good" >"$tmp/noname.json"
as_tenant 2 pipelines apply -f "$tmp/noname.json" && err "has no \"name\""
as_tenant 0 pipelines apply -f "$tmp/noname.json" --name third && out "^pipeline/third created "
as_tenant 1 pipelines apply -f "$tmp/notjson.json" && err "not valid JSON: .* line 1, column"
as_tenant 1 pipelines apply -f "$tmp/missing.json" && err "cannot read .*missing.json"

step="pipelines list and get"
if as_tenant 0 pipelines list; then
    out "^NAME +VERSION +DESIRED +STATE +TASKS +AGE +ERROR$"
    out "^other +1 +running +[a-z]+ +[0-9]+/[0-9]+ "
    out "^speeding +2 +running +[a-z]+ +[0-9]+/[0-9]+ "
    [ "$(awk 'NR > 1 {print $1}' "$tmp/out" | tr '\n' ' ')" = "other speeding third " ] ||
        fail "pipelines list: want other, speeding, third"
fi
as_tenant 0 --page-size 2 pipelines list -o json && keep PipelineList &&
    json '[p["name"] for p in d["items"]] == ["other", "speeding", "third"]'
if as_tenant 0 pipelines get speeding; then
    out "^Name: +speeding$"
    out "^Version: +2$"
    out "^Desired: +running$"
    out "^State: +(running|starting|error)$"
    out "^Input: +acme\.sensors$"
    out "^Outputs: +acme\.speeding-alerts$"
    out "^Dead letter: +acme\.speeding\.dlq$"
    out "^Changelog: +<none>$"
fi
as_tenant 0 pipelines get speeding -o json && keep PipelineDetail && json 'd["name"] == "speeding" and d["version"] == 2
    and d["desired"] == "running" and d["spec"]["steps"][1]["where"] == "speed_kmh > 120"
    and d["topics"]["dead_letter"] == "acme.speeding.dlq" and isinstance(d["tasks"], list)
    and isinstance(d["state_epoch"], int)'
as_tenant 1 pipelines get nope && err "^sluicectl: 404 not_found: "

step="pipelines pause and resume"
as_tenant 0 pipelines pause speeding && out "^pipeline/speeding paused"
as_tenant 0 pipelines get speeding -o json && json 'd["desired"] == "paused"'
as_tenant 0 pipelines resume speeding -o json && keep PipelineSummary && json 'd["name"] == "speeding" and d["desired"] == "running"'
as_tenant 1 pipelines pause nope && err "^sluicectl: 404 not_found: "

step="workers and tasks"
as_admin 0 workers list
as_admin 0 -o json workers list && keep WorkerList && json 'isinstance(d["items"], list) and d["next_page_token"] is None'
as_admin 0 tasks list -o json && keep TaskList && json 'isinstance(d["items"], list)'
as_tenant 0 tasks list -o json && json 'all(t["tenant"] == "acme" for t in d["items"])'

step="deleting"
as_admin 1 tenants delete acme && err "^sluicectl: 409 conflict: "   # it has pipelines
as_tenant 0 pipelines delete speeding && out "^pipeline/speeding deleted$"
as_tenant 0 pipelines delete other --purge && out "^pipeline/other deleted"
as_tenant 0 pipelines delete third && out "^pipeline/third deleted$"
as_tenant 1 pipelines get speeding && err "^sluicectl: 404 not_found: "
as_tenant 0 pipelines list && err "^No pipelines found\.$"
[ -s "$tmp/out" ] && fail "an empty list printed something on stdout"
as_admin 0 tenants delete acme && out "^tenant/acme deleted$"
as_admin 1 tenants get acme && err "^sluicectl: 404 not_found: "
as_tenant 1 pipelines list && err "^sluicectl: 401 unauthorized: " # its tokens are revoked

step="tokens and servers"
SLUICE_TOKEN="slt_zz_notarealtoken123" sl 1 tenants list && err "^sluicectl: 401 unauthorized: "
grep -qF "notarealtoken123" "$tmp/err" && fail "a wrong token was printed"
SLUICE_TOKEN= sl 1 tenants list && err "^sluicectl: 401 unauthorized: " && err "no token was given"
sl 0 --token-file "$tmp/admin.token" tenants list && out "^beta "
SLUICE_TOKEN="$admin_token" SLUICE_SERVER= sl 0 --server "http://127.0.0.1:$port/" tenants list
as_admin 0 tenants delete beta

# An error document as the controller sends it (sluicectl reformats them).
curl -s -o "$tmp/out" -H "Authorization: Bearer $tenant_token" -H 'Content-Type: application/json' \
    --data-binary @"$tmp/bad.json" "$SLUICE_SERVER/v1/pipelines/validate" && keep Error

step="controller stopped"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
as_admin 3 tenants list && err "^sluicectl: cannot reach the controller at http://127\.0\.0\.1:$port"

step="answers match openapi.yaml"
venv_python="${SLUICE_OPENAPI_VENV:-$HOME/.cache/sluice/venv-openapi}/bin/python"
if "$venv_python" -c 'import openapi_schema_validator, yaml' 2>/dev/null; then
    if "$venv_python" - "$src/docs/api/openapi.yaml" "$tmp/schema"/*.json <<'PY'; then
import json, os, sys
import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

spec = yaml.safe_load(open(sys.argv[1]))
registry = Registry().with_resource(
    "urn:openapi", Resource.from_contents(spec, default_specification=DRAFT4))
bad = 0
for path in sys.argv[2:]:
    schema = os.path.basename(path).split(".")[0]
    validator = OAS30Validator({"$ref": "urn:openapi#/components/schemas/" + schema},
                               registry=registry)
    for e in list(validator.iter_errors(json.load(open(path))))[:5]:
        bad += 1
        print("FAIL [schema]: %s: %s: %s" % (schema, "/".join(map(str, e.path)), e.message),
              file=sys.stderr)
print("%d answers checked against openapi.yaml" % (len(sys.argv) - 2))
sys.exit(1 if bad else 0)
PY
        passed=$((passed + 1))
    else
        fail "some answers do not match docs/api/openapi.yaml"
    fi
else
    echo "note: openapi-schema-validator not installed (tests/unit/test_openapi.sh installs it):" \
        "answers not checked against openapi.yaml"
fi

echo "sluicectl: $passed passed, $failed failed"
[ "$failed" = 0 ]

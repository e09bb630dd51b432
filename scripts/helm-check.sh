#!/usr/bin/env bash
# helm-check.sh — validate the Helm chart deploy/helm/sluice offline:
#
#   scripts/helm-check.sh [--install-only]
#
#   1. helm (v3.22.0, built from its Go module with `go install`, cached in
#      ~/.cache/sluice/bin) — or the helm named by $HELM;
#   2. a Python venv with kubernetes-validate (Kubernetes JSON schemas of
#      1.25 to 1.37 bundled; versions pinned in deploy/helm/tools/requirements.txt),
#      cached in ~/.cache/sluice;
#   3. `helm lint` and `helm lint --strict`, with the default values and with
#      deploy/helm/sluice/ci/options-values.yaml (existingSecret, SASL and TLS
#      properties, persistence off, ServiceMonitors on, more replicas);
#   4. `helm template` of both, for the oldest and the newest Kubernetes the
#      chart supports, each manifest validated against that version's schemas
#      in strict mode (deploy/helm/tools/validate_manifests.py; the
#      ServiceMonitor CRD against a local schema);
#   5. what the rendered manifests must say (the Sluice command lines, tokens,
#      probes) and values that the chart must refuse.
#
# No Kubernetes cluster and no Docker engine are needed, and nothing is
# downloaded at run time except, on the first run, helm's Go module and the
# pinned Python packages. Exits non-zero on any failure. Environment:
# SLUICE_CACHE_DIR (default ~/.cache/sluice), HELM (a helm binary to use).
# --install-only: steps 1 and 2 only (a cold `go install` of helm takes 2-4
# minutes on 2 cores; a setup step can pay it outside the tests' time limit).
set -euo pipefail
install_only=0
case "${1:-}" in
    "") ;;
    --install-only) install_only=1 ;;
    *) echo "usage: $0 [--install-only]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
chart="$top/deploy/helm/sluice"
tools="$top/deploy/helm/tools"
options_values="$chart/ci/options-values.yaml"

helm_version=v3.22.0
go_min_minor=26  # helm v3.22.0's go.mod says go 1.26.0
kube_versions=(1.25.0 1.37.0)  # Chart.yaml kubeVersion >=1.25; newest bundled schema
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}

fail() { echo "helm-check: FAIL: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

mkdir -p "$cache/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# helm keeps its own config and caches here, not in the user's.
export HELM_CONFIG_HOME="$work/helm/config" HELM_CACHE_HOME="$work/helm/cache" \
       HELM_DATA_HOME="$work/helm/data"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# One installer at a time (the unit tests of two builds may start together).
exec 9>"$cache/helm-check.lock"
flock 9

# --- 1. helm ------------------------------------------------------------------
helm=${HELM:-$cache/bin/helm}
helm_ok() { # the binary is helm at $helm_version (go-built: the module version)
    [ -x "$1" ] || return 1
    if go version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+helm\.sh/helm/v3[[:space:]]+$helm_version[[:space:]]"; then
        return 0
    fi
    # installed by this script (no go on PATH to ask now)
    if [ "$1" = "$cache/bin/helm" ] && [ "$(cat "$cache/bin/helm.version" 2>/dev/null)" = "$helm_version" ] &&
        ! [ "$1" -nt "$cache/bin/helm.version" ]; then
        return 0
    fi
    # a release build says its version itself
    [ "$("$1" version --template '{{.Version}}' 2>/dev/null)" = "$helm_version" ]
}
if [ -n "${HELM:-}" ]; then
    helm_ok "$helm" || fail "HELM=$HELM is not helm $helm_version"
elif ! helm_ok "$helm"; then
    step "installing helm $helm_version (go install helm.sh/helm/v3/cmd/helm@$helm_version)"
    if ! command -v go >/dev/null; then
        fail "the Go toolchain (go >= 1.$go_min_minor) is needed to install helm $helm_version as a Go
module, and 'go' is not on PATH. Install Go 1.$go_min_minor or newer (Debian's golang-go is too
old: 1.19 on Debian 12, 1.24 on Debian 13), or set HELM to a helm $helm_version binary."
    fi
    gov=$(go env GOVERSION)
    minor=$(echo "$gov" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
    if [ -z "$minor" ] || [ "$minor" -lt "$go_min_minor" ]; then
        fail "helm $helm_version needs Go >= 1.$go_min_minor, found $gov ($(command -v go))"
    fi
    # GOTOOLCHAIN=local: never try to download another Go toolchain.
    GOBIN="$cache/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
        go install "helm.sh/helm/v3/cmd/helm@$helm_version" ||
        fail "go install helm.sh/helm/v3/cmd/helm@$helm_version failed"
    helm_ok "$helm" || fail "$helm is not helm $helm_version after go install"
    echo "$helm_version" >"$cache/bin/helm.version"
fi
echo "helm: $helm ($helm_version)"

# --- 2. the schema checker ----------------------------------------------------
req="$tools/requirements.txt"
command -v python3 >/dev/null || fail "python3 is needed for the schema check"
# one venv per requirements file and Python version
venv_key=$( (cat "$req"; python3 -c 'import sys; print(sys.version)') | sha256sum | cut -c1-12)
venv="$cache/validate-venv-$venv_key"
if [ ! -x "$venv/bin/python" ] || [ ! -e "$venv/.complete" ]; then
    step "installing the schema checker (pip: $(grep -c '==' "$req") pinned packages) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install -q -r "$req" || fail "pip install -r $req failed"
    touch "$venv/.complete"
fi
kv_version=$("$venv/bin/python" -c 'import kubernetes_validate.version as v; print(v.__version__)')
echo "schema checker: kubernetes-validate $kv_version (Kubernetes ${kube_versions[*]})"
flock -u 9
[ "$install_only" = 1 ] && exit 0

# --- 3. lint --------------------------------------------------------------------
values_sets=(default options)
vargs=()
set_values_args() { # sets vargs for a values set
    vargs=()
    [ "$1" = options ] && vargs=(-f "$options_values")
    return 0
}

step "helm lint"
for vs in "${values_sets[@]}"; do
    set_values_args "$vs"
    for strict in "" --strict; do
        echo "helm lint${strict:+ $strict} ($vs values):"
        # shellcheck disable=SC2086
        "$helm" lint $strict --kube-version "${kube_versions[-1]}" "$chart" "${vargs[@]}" \
            >"$work/lint.out" 2>&1 || { cat "$work/lint.out"; fail "helm lint${strict:+ $strict} ($vs values)"; }
        grep -E '^\[|linted' "$work/lint.out" | sed 's/^/     /'
    done
done

# --- 4. template + schemas ---------------------------------------------------------
rendered=()
for vs in "${values_sets[@]}"; do
    set_values_args "$vs"
    for kver in "${kube_versions[@]}"; do
        out="$work/$vs-k$kver.yaml"
        "$helm" template sluice "$chart" --namespace sluice --kube-version "$kver" \
            "${vargs[@]}" >"$out" 2>"$work/template.err" ||
            { cat "$work/template.err"; fail "helm template ($vs values, Kubernetes $kver)"; }
        rendered+=("$out")
    done
done
step "schema check of the rendered manifests"
for vs in "${values_sets[@]}"; do
    for kver in "${kube_versions[@]}"; do
        (cd "$work" && "$venv/bin/python" "$tools/validate_manifests.py" --kube-version "$kver" \
            "$vs-k$kver.yaml") || fail "schema check ($vs values, Kubernetes $kver)"
    done
done

# --- 5. what the manifests must say, and values the chart must refuse ----------------
step "contract checks of the rendered manifests"
"$venv/bin/python" - "$work/default-k${kube_versions[-1]}.yaml" \
    "$work/options-k${kube_versions[-1]}.yaml" <<'PY' || fail "contract checks"
import sys, yaml

def load(path):
    docs = {}
    for d in yaml.safe_load_all(open(path)):
        if d:
            docs[(d["kind"], d["metadata"]["name"])] = d
    return docs

def by_kind(docs, kind):
    return [d for (k, _), d in docs.items() if k == kind]

def container(doc):
    return doc["spec"]["template"]["spec"]["containers"][0]

def arg(c, flag):
    a = c["args"]
    return a[a.index(flag) + 1] if flag in a else None

problems = []
def expect(cond, what):
    if not cond:
        problems.append(what)

for path, opts in ((sys.argv[1], False), (sys.argv[2], True)):
    docs = load(path)
    name = "options" if opts else "default"
    (dep,) = by_kind(docs, "Deployment")
    (sts,) = by_kind(docs, "StatefulSet")
    ctl, wrk = container(dep), container(sts)
    expect(dep["spec"]["replicas"] == 1, f"{name}: one controller replica")
    expect(dep["spec"]["strategy"]["type"] == "Recreate", f"{name}: controller strategy Recreate")
    expect(ctl["command"] == ["sluice-controller"], f"{name}: controller command")
    expect(arg(ctl, "--listen").startswith("0.0.0.0:"), f"{name}: controller listens on all addresses")
    for f in ("--bootstrap-servers", "--admin-token-file", "--worker-token-file"):
        expect(arg(ctl, f), f"{name}: controller {f}")
    expect(ctl["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{name}: controller readiness /readyz")
    expect(ctl["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{name}: controller liveness /healthz")
    expect(wrk["command"] == ["sluice-worker"], f"{name}: worker command")
    expect(arg(wrk, "--id") == "$(POD_NAME)", f"{name}: worker --id from the pod name")
    expect(any(e["name"] == "POD_NAME" and e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
               for e in wrk["env"]), f"{name}: POD_NAME from the downward API")
    expect(arg(wrk, "--controller").startswith("http://"), f"{name}: worker --controller URL")
    for f in ("--token-file", "--state-dir", "--capacity", "--metrics-port", "--bootstrap-servers"):
        expect(arg(wrk, f), f"{name}: worker {f}")
    port = int(arg(wrk, "--metrics-port"))
    expect(any(p["name"] == "metrics" and p["containerPort"] == port for p in wrk["ports"]),
           f"{name}: worker metrics port matches --metrics-port")
    expect(wrk["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"},
           f"{name}: worker liveness /healthz on the metrics port")
    for c, who in ((ctl, "controller"), (wrk, "worker")):
        sc = c["securityContext"]
        expect(sc.get("readOnlyRootFilesystem") is True, f"{name}: {who} read-only root filesystem")
        expect(sc.get("allowPrivilegeEscalation") is False, f"{name}: {who} no privilege escalation")
        expect(c["resources"].get("limits", {}).get("memory"), f"{name}: {who} memory limit")
        expect(any(m["mountPath"] == "/tmp" for m in c["volumeMounts"]), f"{name}: {who} writable /tmp")
    for d in (dep, sts):
        expect(d["spec"]["template"]["spec"]["securityContext"].get("runAsNonRoot") is True,
               f"{name}: {d['kind']} runs as non-root")
    # tokens: files from one Secret; the workers get only the worker token
    secret_name = dep["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"]
    wvol = [v for v in sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "tokens"][0]
    expect([i["path"] for i in wvol["secret"]["items"]] == ["worker-token"],
           f"{name}: workers mount only the worker token")
    secrets = by_kind(docs, "Secret")
    if opts:
        expect(secret_name == "sluice-tokens" and not secrets, f"{name}: existingSecret used, none created")
        expect("sasl.password=$(SLUICE_KAFKA_SECRET_0)" in wrk["args"], f"{name}: SASL password from env")
        expect(any(e["name"] == "SLUICE_KAFKA_SECRET_0" and "secretKeyRef" in e["valueFrom"]
                   for e in wrk["env"]), f"{name}: SASL password env from a Secret")
        expect("security.protocol=SASL_SSL" in wrk["args"] and "security.protocol=SASL_SSL" in ctl["args"],
               f"{name}: -X properties on both")
        expect(not sts["spec"].get("volumeClaimTemplates"), f"{name}: persistence off: no PVC")
        expect(any(v["name"] == "state" and "emptyDir" in v for v in sts["spec"]["template"]["spec"]["volumes"]),
               f"{name}: persistence off: emptyDir state")
        expect(sts["spec"]["replicas"] == 6, f"{name}: 6 worker replicas")
        expect(len(by_kind(docs, "ServiceMonitor")) == 2, f"{name}: two ServiceMonitors")
    else:
        expect(len(secrets) == 1 and secrets[0]["metadata"]["name"] == secret_name
               and set(secrets[0]["data"]) == {"admin-token", "worker-token"},
               f"{name}: the chart's Secret holds both tokens")
        expect(sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "state",
               f"{name}: a PVC per worker for the state")
        expect(not by_kind(docs, "ServiceMonitor"), f"{name}: no ServiceMonitor by default")
        expect(len(by_kind(docs, "PodDisruptionBudget")) == 1, f"{name}: a PodDisruptionBudget")

for p in problems:
    print("  - not as expected: " + p)
if problems:
    sys.exit(1)
print("ok   controller and worker command lines, probes, tokens, security contexts, options")
PY

step "values the chart must refuse"
refuse() { # description, helm template arguments...
    local what=$1
    shift
    if "$helm" template sluice "$chart" --kube-version "${kube_versions[-1]}" "$@" \
        >/dev/null 2>"$work/refuse.err"; then
        fail "helm template accepted $what ($*)"
    fi
    # the reason: helm's schema error ("- at '/worker': ...") or its first error line
    local why
    why=$(grep -m1 -E "^- at " "$work/refuse.err" || grep -m1 -o 'Error: .*' "$work/refuse.err" || true)
    echo "ok   refused: $what: ${why#- }"
}
refuse "a misspelt key" --set worker.replicass=3
refuse "two controllers" --set controller.replicas=2
refuse "a worker capacity of 0" --set worker.capacity=0
refuse "no Kafka bootstrap servers" --set kafka.bootstrapServers=
refuse "a secret property without its Secret" --set 'kafka.secretProperties[0].property=sasl.password'

printf '\nhelm-check: all passed (helm %s, kubernetes-validate %s; %d manifests rendered)\n' \
    "$helm_version" "$kv_version" "${#rendered[@]}"

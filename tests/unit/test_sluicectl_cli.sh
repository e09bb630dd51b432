#!/usr/bin/env bash
# test_sluicectl_cli — sluicectl's REST client against a stand-in controller
# (tests/support/mock_controller.py: docs/api.md in python3's standard
# library), so that the client is tested before and apart from the real
# controller: the whole of tests/integration/itest_sluicectl.sh runs against
# it, then the cases a real controller does not produce on demand: a 429
# answered by retrying, and an error answer that is not JSON.
# Usage: test_sluicectl_cli.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=${1:?build dir}
src=${2:?source dir}
ctl="$build/bin/sluicectl"
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
failed=0
fail() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
}

# The mock validates specs with `sluicectl run`, as the controller does with
# the same spec code.
printf '#!/bin/sh\nSLUICECTL="%s" exec python3 "%s" "$@"\n' "$ctl" \
    "$src/tests/support/mock_controller.py" >"$tmp/controller"
chmod +x "$tmp/controller"

SLUICE_CONTROLLER="$tmp/controller" bash "$src/tests/integration/itest_sluicectl.sh" "$build" "$src" ||
    fail "itest_sluicectl.sh against the mock controller"

# ---- what only the mock does on demand ------------------------------------
for _ in $(seq 1 50); do # a free port below the ephemeral range
    port=$((10000 + RANDOM % 22000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
echo admin-secret-token >"$tmp/admin"
"$tmp/controller" --listen "127.0.0.1:$port" --admin-token-file "$tmp/admin" >/dev/null 2>"$tmp/mock.err" &
pid=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done
export SLUICE_SERVER="http://127.0.0.1:$port" SLUICE_TOKEN=admin-secret-token

# The mock answers the request after this tenant's creation with one 429:
# sluicectl waits and retries, and the user sees the list.
"$ctl" tenants create ratelimited-once >/dev/null || fail "create ratelimited-once"
"$ctl" tenants list >"$tmp/out" 2>"$tmp/err" || fail "tenants list after a 429: exit $?"
grep -q "^ratelimited-once " "$tmp/out" || fail "tenants list after a 429: $(cat "$tmp/err")"
grep -q '"GET /v1/tenants HTTP/1.1" 429' "$tmp/mock.err" || fail "the mock sent no 429"

# An answer that is not an error document is shown by its first line.
"$ctl" --server "http://127.0.0.1:$port/v1/_html?to=" tenants list >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "a 502 HTML answer: exit $rc, want 1"
grep -q "^sluicectl: 502: unexpected answer from http://127.0.0.1:$port/v1/_html?to=: <html>$" \
    "$tmp/err" || fail "a 502 HTML answer: $(cat "$tmp/err")"

# Credentials in --server are never shown.
"$ctl" --server "http://me:hunter2@127.0.0.1:1" tenants list >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 3 ] || fail "unreachable with user info: exit $rc, want 3"
grep -q "http://\*\*\*@127.0.0.1:1" "$tmp/err" || fail "user info: $(cat "$tmp/err")"
grep -q hunter2 "$tmp/err" && fail "the password of --server was printed"

# A token with a newline would end the header line: refused before sending.
SLUICE_TOKEN=$'abc\r\nX-Evil: 1' "$ctl" tenants list >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 2 ] || fail "token with a newline: exit $rc, want 2"
grep -q "white space or control characters" "$tmp/err" || fail "token check: $(cat "$tmp/err")"
grep -q "Evil" "$tmp/err" && fail "the bad token was printed"

if [ $failed -ne 0 ]; then
    echo "sluicectl cli: $failed failed" >&2
    exit 1
fi
echo "sluicectl cli: ok"

#!/usr/bin/env bash
# sluice-controller --embedded-kafka hosts the same broker as sluice-devkafka:
# bootstrap address on the first stdout line, --topic topics served, /healthz
# and /readyz answered, clean exit on SIGTERM. Needs kcat and curl.
set -euo pipefail
build=${1:?build dir}
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$((10000 + RANDOM % 22000))  # below the ephemeral port range
"$build/bin/sluice-controller" --embedded-kafka --topic orders:2 --listen "127.0.0.1:$port" \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
bootstrap=$(head -1 "$tmp/out")
[[ "$bootstrap" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "first line is not a bootstrap address: '$bootstrap'"
kcat -b "$bootstrap" -L -t orders -m 5 | grep -q 'topic "orders" with 2 partitions' ||
    fail "orders should have 2 partitions"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
[ "$(curl -s "http://127.0.0.1:$port/healthz")" = '{"status":"ok"}' ] || fail "/healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] || fail "/readyz"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/healthz")" = 405 ] ||
    fail "POST /healthz should be 405"
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
pid=""
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
set +e
"$build/bin/sluice-controller" >/dev/null 2>"$tmp/err2"; rc=$?
set -e
[ "$rc" = 2 ] || fail "no broker given should exit 2, got $rc"
grep -q "bootstrap-servers" "$tmp/err2" || fail "usage error should name --bootstrap-servers"
echo "controller embedded: ok"

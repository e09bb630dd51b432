#!/usr/bin/env bash
# Integration: the sluice-devkafka binary starts, prints its bootstrap address
# on the first line, serves the Kafka protocol (metadata, produce, fetch) for
# its --topic topics, and stops cleanly on SIGTERM. Needs kcat.
set -euo pipefail
build=${1:?build dir}
bin="$build/bin/sluice-devkafka"
tmp=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Bad arguments are refused with exit status 2.
set +e
"$bin" --topic bad:0 >/dev/null 2>"$tmp/bad.err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "bad --topic exited $rc, want 2"
grep -q "NAME:PARTITIONS" "$tmp/bad.err" || fail "bad --topic message: $(cat "$tmp/bad.err")"

"$bin" --topic sensors:3 --topic plain >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
bootstrap=$(head -1 "$tmp/out")
[[ "$bootstrap" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "first line is not a bootstrap address: '$bootstrap'"

kcat -b "$bootstrap" -L -t sensors -m 5 >"$tmp/md" || fail "metadata request failed"
grep -q 'topic "sensors" with 3 partitions' "$tmp/md" || fail "sensors should have 3 partitions: $(cat "$tmp/md")"

printf 'hello\n' | kcat -b "$bootstrap" -P -t sensors -p 2 -k dev-1 || fail "produce failed"
got=$(kcat -b "$bootstrap" -C -t sensors -p 2 -o beginning -c 1 -e -f '%k=%s\n' -m 5)
[ "$got" = "dev-1=hello" ] || fail "consumed '$got', want 'dev-1=hello'"

kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "still running 10 s after SIGTERM"; fi
set +e
wait "$pid"; rc=$?
set -e
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM, want 0"
echo "devkafka: 1 passed, 0 failed"

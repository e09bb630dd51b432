#!/usr/bin/env bash
# demo.sh — the README's main command: install what is needed, build, and run
# Sluice on the embedded default, with an example pipeline flowing.
#
#   scripts/demo.sh [--seconds N] [--forever]
#
# What it runs:
#   1. sluice-controller --embedded-kafka   (a Kafka-protocol broker inside the
#      controller; topic "sensors" with 4 partitions)
#   2. sluice-worker --standalone           the speeding pipeline of
#      docs/examples/speeding/pipeline.json (speed in km/h, keep > 100 km/h)
#   3. bench-kafka_load                     sample sensor data, 1,000 devices
#   4. the results: records of "speeding-alerts", the worker's metrics
# and stops everything after --seconds (default 20), or on Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
seconds=20
forever=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift ;;
        --forever) forever=1 ;;
        *) echo "usage: $0 [--seconds N] [--forever]" >&2; exit 2 ;;
    esac
    shift
done

"$top/scripts/setup.sh"
bin="$top/build/bin"
work=$(mktemp -d)
pids=()
cleanup() {
    # Newest first: the load, then the worker (which checkpoints against the
    # broker), then the controller with the broker.
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[$i]}" 2>/dev/null || true
        wait "${pids[$i]}" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((10000 + RANDOM % 22000))  # below the ephemeral port range
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    return 1
}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting the controller with its embedded Kafka broker"
api_port=$(free_port)
"$bin/sluice-controller" --embedded-kafka --topic sensors:4 --listen "127.0.0.1:$api_port" \
    >"$work/controller.out" 2>"$work/controller.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/controller.out" ] && break; sleep 0.1; done
bootstrap=$(head -1 "$work/controller.out")
[ -n "$bootstrap" ] || { cat "$work/controller.log"; exit 1; }
echo "Kafka (embedded): $bootstrap    controller: http://127.0.0.1:$api_port/healthz"

say "the pipeline (docs/examples/speeding/pipeline.json)"
cat "$top/docs/examples/speeding/pipeline.json"

say "starting a worker on it (standalone mode)"
metrics_port=$(free_port)
"$bin/sluice-worker" --standalone -f "$top/docs/examples/speeding/pipeline.json" \
    --bootstrap-servers "$bootstrap" --metrics-port "$metrics_port" \
    --metrics-address 127.0.0.1 --state-dir "$work/state" 2>"$work/worker.log" &
pids+=($!)
echo "worker metrics: http://127.0.0.1:$metrics_port/metrics"

say "sending sample sensor data to 'sensors' (1,000 devices, 2,000 msg/s)"
rate=2000
count=$((rate * seconds))
[ "$forever" = 1 ] && count=1000000000
"$bin/bench-kafka_load" --bootstrap "$bootstrap" --topic sensors --count "$count" \
    --rate "$rate" >"$work/load.out" 2>"$work/load.log" &
pids+=($!)
sleep 3
echo "a sample input message:"
kcat -b "$bootstrap" -C -t sensors -p 0 -o beginning -c 1 -e -q -f '  key=%k value=%s\n' 2>/dev/null || true

if [ "$forever" = 1 ]; then
    say "running until Ctrl-C; results: kcat -b $bootstrap -C -t speeding-alerts"
    while kill -0 "${pids[1]}" 2>/dev/null; do sleep 1; done
    exit 0
fi
sleep "$((seconds > 3 ? seconds - 3 : 1))"

say "results: the first records of 'speeding-alerts'"
kcat -b "$bootstrap" -C -t speeding-alerts -o beginning -c 8 -e -q \
    -f '  partition=%p key=%k value=%s\n' 2>/dev/null || echo "  (none yet)"

say "worker metrics"
curl -s "http://127.0.0.1:$metrics_port/metrics" |
    grep -E '^sluice_task_messages_(in|out)_total|^sluice_task_consumer_lag' | sort |
    awk '{ split($1, a, "[{}]"); m[a[1]] += $2 } END { for (k in m) printf "  %-36s %d\n", k, m[k] }'
echo "  health: $(curl -s "http://127.0.0.1:$metrics_port/healthz")"

say "stopping (the worker checkpoints and exits cleanly)"

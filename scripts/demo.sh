#!/usr/bin/env bash
# demo.sh — the README's main command: install what is needed, build, and run
# a whole Sluice cluster on the embedded default, with the example pipeline of
# the Quix Streams announcement flowing.
#
#   scripts/demo.sh [--seconds N] [--forever]
#
# What it runs:
#   1. sluice-controller --embedded-kafka   the control plane with a
#      Kafka-protocol broker inside it (topic demo.sensors, 4 partitions)
#   2. two sluice-worker processes in cluster mode (worker-1, worker-2)
#   3. sluicectl: tenant "demo", a token for it, and the pipeline
#      docs/examples/speeding-window/pipeline.json (speed in km/h, keep above
#      100 km/h, 30 s tumbling-window mean with 1 s grace) applied over REST
#   4. bench-kafka_load: sample sensor data, 1,000 devices, 2,000 msg/s
#   5. the results: the pipeline, its tasks on the two workers, and the first
#      window results of demo.avg-speed
# It stops everything after the first window results (at most --seconds,
# default 75: a 30 s window closes 31 s after its start), or on Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
seconds=75
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
    # Newest first: the load, the workers (they checkpoint against the
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
ctl() { "$bin/sluicectl" "$@"; }

say "starting the controller with its embedded Kafka broker"
api_port=$(free_port)
export SLUICE_SERVER="http://127.0.0.1:$api_port"
"$bin/sluice-controller" --embedded-kafka --topic demo.sensors:4 --listen "127.0.0.1:$api_port" \
    --admin-token-file "$work/admin.token" --worker-token-file "$work/worker.token" \
    >"$work/controller.out" 2>"$work/controller.log" &
pids+=($!)
for _ in $(seq 1 150); do
    curl -sf "$SLUICE_SERVER/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
bootstrap=$(head -1 "$work/controller.out")
curl -sf "$SLUICE_SERVER/readyz" >/dev/null || { cat "$work/controller.log"; exit 1; }
echo "controller: $SLUICE_SERVER    Kafka (embedded): $bootstrap"

say "starting two workers"
for i in 1 2; do
    port=$(free_port)
    "$bin/sluice-worker" --controller "$SLUICE_SERVER" --token-file "$work/worker.token" \
        --id "worker-$i" --state-dir "$work/state-$i" --metrics-port "$port" \
        --metrics-address 127.0.0.1 2>"$work/worker-$i.log" &
    pids+=($!)
    echo "worker-$i: metrics at http://127.0.0.1:$port/metrics"
done

say "creating tenant 'demo' and a token for it (admin token from $work/admin.token)"
ctl --token-file "$work/admin.token" tenants create demo
# `tokens create` prints the new token alone on stdout
SLUICE_TOKEN=$(ctl --token-file "$work/admin.token" tokens create demo)
export SLUICE_TOKEN
[ -n "$SLUICE_TOKEN" ] || { echo "no token" >&2; exit 1; }

say "the pipeline (docs/examples/speeding-window/pipeline.json), applied as tenant demo"
cat "$top/docs/examples/speeding-window/pipeline.json"
ctl pipelines apply -f "$top/docs/examples/speeding-window/pipeline.json"

say "sending sample sensor data to demo.sensors (1,000 devices, 2,000 msg/s)"
rate=2000
count=$((rate * (seconds + 10)))
[ "$forever" = 1 ] && count=1000000000
"$bin/bench-kafka_load" --bootstrap "$bootstrap" --topic demo.sensors --count "$count" \
    --rate "$rate" >"$work/load.out" 2>"$work/load.log" &
pids+=($!)
sleep 4
echo "a sample input message:"
kcat -b "$bootstrap" -C -t demo.sensors -p 0 -o beginning -c 1 -e -q \
    -f '  key=%k value=%s\n' 2>/dev/null || true

say "the pipeline's tasks, spread over the two workers"
ctl pipelines get avg-speed || true
echo
ctl workers list || true

if [ "$forever" = 1 ]; then
    say "running until Ctrl-C; results: kcat -b $bootstrap -C -t demo.avg-speed"
    while kill -0 "${pids[-1]}" 2>/dev/null; do sleep 1; done
    exit 0
fi

say "waiting for the first 30 s windows to close (up to $seconds s)"
waited=4
while [ "$waited" -lt "$seconds" ]; do
    n=$(kcat -b "$bootstrap" -C -t demo.avg-speed -o beginning -e -q -f '.\n' 2>/dev/null | wc -l)
    [ "$n" -ge 5 ] && break
    sleep 2
    waited=$((waited + 2))
done

say "results: the first window results of demo.avg-speed"
kcat -b "$bootstrap" -C -t demo.avg-speed -o beginning -c 8 -e -q \
    -f '  key=%k value=%s\n' 2>/dev/null || echo "  (none yet)"

say "the pipeline now"
ctl pipelines get avg-speed || true

say "stopping (workers checkpoint and exit cleanly)"

#!/usr/bin/env bash
# bench-cluster.sh — the cluster's control-plane benchmark (bench-cluster_ops):
# (a) PUT of a pipeline → all its tasks running, (b) heartbeats per second the
# controller sustains, (c) recovery after kill -9 of a worker holding state
# (tasks moved, time until they run again elsewhere, restore keys/s).
#
#   scripts/bench-cluster.sh [--real-kafka | --bootstrap B] [--keys N]
#                            [--build DIR] [-- BENCH-ARGS...]
#
# Broker: by default the controller hosts its own embedded broker
# (sluice-controller --embedded-kafka); --real-kafka starts (or reuses) the
# single-node Apache Kafka of scripts/kafka.sh (never stopped here: others may
# use it; SLUICE_KAFKA_DIR chooses which); --bootstrap B uses any broker.
# Keys of state in (c): default 100,000; --keys 1000000 for the full run
# (real Kafka: the embedded broker keeps only ~5 MiB per partition, about
# 150,000 keys over 4 partitions).
# Build: configures DIR (default $SLUICE_BUILD or build/) when it has no
# build.ninja yet, then builds the three programs the benchmark runs.
# Arguments after -- go to bench-cluster_ops (see its --help), e.g.
# -- --lease-ms 3000 --heartbeat-interval-ms 300 --runs 9.
# Prints every run and the medians next to the targets; timing never fails
# the script, a cluster that does not work does.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${SLUICE_BUILD:-$top/build}
bootstrap=""
real_kafka=0
keys=100000
extra=()

log() { echo "bench-cluster: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --real-kafka) real_kafka=1; shift ;;
        --bootstrap) bootstrap=${2:?--bootstrap needs a value}; shift 2 ;;
        --keys) keys=${2:?--keys needs a value}; shift 2 ;;
        --build) build=${2:?--build needs a value}; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[ "$real_kafka" = 0 ] || [ -z "$bootstrap" ] || die "give --real-kafka or --bootstrap, not both"

if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" bench-cluster_ops sluice-controller sluice-worker >/dev/null

if [ "$real_kafka" = 1 ]; then
    bootstrap=$("$top/scripts/kafka.sh" start)
fi
args=(--keys "$keys")
if [ -n "$bootstrap" ]; then
    args+=(--bootstrap "$bootstrap")
    log "broker $bootstrap, $keys keys"
else
    [ "$keys" -le 150000 ] ||
        log "warning: the embedded broker keeps ~5 MiB per partition; $keys keys may not all fit (use --real-kafka)"
    log "embedded broker (sluice-controller --embedded-kafka), $keys keys"
fi
nproc_out=$(nproc 2>/dev/null || echo "?")
log "machine: $nproc_out cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$build/bin/bench-cluster_ops" "${args[@]}" "${extra[@]}"

#!/usr/bin/env bash
# bench-kafka.sh — the Kafka throughput benchmark: (a) the raw librdkafka
# pass-through baseline (bench-kafka_passthrough) and, once the worker data
# plane exists, (b) the same copy done by a Sluice worker, and the ratio b/a;
# (c) a stateful worker (10 s tumbling window, mean + count over 1,000 keys)
# with its ratio to (a) and its checkpoint overhead.
#
#   scripts/bench-kafka.sh [--bootstrap B | --embedded] [--count N]
#                          [--partitions 4] [--runs 3] [--build DIR]
#                          [--latency RATE[,RATE...]] [--series-dir DIR]
#
# Broker: --bootstrap B; or --embedded to start build/bin/sluice-devkafka for
# the run (killed at exit); or nothing, which starts (or reuses) the real
# single-node Kafka of scripts/kafka.sh (never stopped here: others use it).
# Count: default 1,000,000 on real Kafka and 150,000 on the embedded broker,
# which keeps only ~5 MiB per partition (more would be dropped before the
# pass-through reads it).
#
# Steps: fill a fresh input topic with N sensor messages (bench-kafka_load),
# copy it --runs times to fresh output topics, print each run and the median
# messages/s. Timing never fails the script; a failed run does.
# --latency RATES runs only the latency comparison at those rates (msg/s, 10 s
# each): the load read directly, through the raw pass-through and through
# the worker, with the CPU each process used. --series-dir DIR keeps each
# latency run's time series there (bench-latency_probe --series: the largest
# latency per 100 ms).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${SLUICE_BUILD:-$top/build}
bootstrap=""
embedded=0
count=""
partitions=4
runs=3
latency_rates=""
series_dir=""
kafka_dir=""
devkafka_pid=""
tmp=$(mktemp -d)

log() { echo "bench-kafka: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
    sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cleanup() {
    if [ -n "$devkafka_pid" ]; then
        kill "$devkafka_pid" 2>/dev/null || true
        wait "$devkafka_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

while [ $# -gt 0 ]; do
    case "$1" in
        --bootstrap) bootstrap=${2:?--bootstrap needs a value}; shift 2 ;;
        --embedded) embedded=1; shift ;;
        --count) count=${2:?--count needs a value}; shift 2 ;;
        --partitions) partitions=${2:?--partitions needs a value}; shift 2 ;;
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --latency) latency_rates=${2:?--latency needs rates}; shift 2 ;;
        --series-dir) series_dir=${2:?--series-dir needs a directory}; shift 2 ;;
        --build) build=${2:?--build needs a value}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
bin="$build/bin"
for b in bench-kafka_load bench-kafka_passthrough; do
    [ -x "$bin/$b" ] || die "$bin/$b not built (ninja -C $build, or pass --build DIR)"
done

# ---- broker -----------------------------------------------------------------

if [ "$embedded" = 1 ]; then
    [ -z "$bootstrap" ] || die "give --bootstrap or --embedded, not both"
    "$bin/sluice-devkafka" >"$tmp/devkafka.out" 2>"$tmp/devkafka.err" &
    devkafka_pid=$!
    for _ in $(seq 1 100); do [ -s "$tmp/devkafka.out" ] && break; sleep 0.1; done
    bootstrap=$(head -1 "$tmp/devkafka.out")
    [ -n "$bootstrap" ] || die "sluice-devkafka did not start: $(cat "$tmp/devkafka.err")"
elif [ -z "$bootstrap" ]; then
    bootstrap=$("$top/scripts/kafka.sh" start)
    kafka_dir=${SLUICE_KAFKA_DIR:-/tmp/sluice-kafka-$(id -u)} # its pid: CPU figures
fi

kind=kafka
if kcat -b "$bootstrap" -L -m 10 2>/dev/null | grep -q '__sluice_embedded.admin.requests'; then
    kind=embedded
fi
# ~37,500 of our ~140-byte records fit in the mock's 5 MiB per partition.
emb_max=$((37500 * partitions))
[ "$emb_max" -le 150000 ] || emb_max=150000
if [ -z "$count" ]; then
    if [ "$kind" = embedded ]; then count=$emb_max; else count=1000000; fi
fi
if [ "$kind" = embedded ] && [ "$count" -gt "$emb_max" ]; then
    log "warning: the embedded broker keeps ~5 MiB per partition;" \
        "$count messages over $partitions partitions may not all survive"
fi
log "broker $bootstrap ($kind), $count messages, $partitions partitions, $runs runs"

tag="bench-$(date +%s)-$$"
input="$tag-in"

# Prints the value of key=... from a "name: k=v k=v" result line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -1; }

median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}'; }

# ---- (b) Sluice worker ------------------------------------------------------

# issue_spec FILE NAME INPUT OUTPUT: writes the issue's pipeline (assign
# speed_kmh = speed * 3.6, filter speed_kmh > 50, to_topic OUTPUT; 77 % of
# the sensor readings pass) over INPUT to FILE.
issue_spec() {
    cat >"$1" <<SPEC
{"name": "$2", "input": {"topic": "$3"},
 "steps": [{"op": "assign", "columns": {"speed_kmh": "speed * 3.6"}},
           {"op": "filter", "where": "speed_kmh > 50"},
           {"op": "to_topic", "topic": "$4"}]}
SPEC
}

# worker_run INPUT OUTPUT COUNT: a standalone sluice-worker runs the issue's
# pipeline (issue_spec) over INPUT; the run ends when OUTPUT holds every
# expected result (sum of high watermarks, polled by bench-watermark_wait
# without consuming).
# Prints messages/s (COUNT input messages over the time from the worker's
# start to the last output in Kafka) and records the worker's peak RSS.
worker_run() {
    local input=$1 output=$2 n=$3 name spec pid start end rss
    name="b$(date +%s%N | tail -c 10)"
    spec="$tmp/$name.json"
    issue_spec "$spec" "$name" "$input" "$output"
    start=$(date +%s%N)
    "$bin/sluice-worker" --standalone -f "$spec" --bootstrap-servers "$bootstrap" \
        --output-partitions "$partitions" --log-level warn 2>"$tmp/$name.log" &
    pid=$!
    if ! "$bin/bench-watermark_wait" --bootstrap "$bootstrap" --topic "$output" \
        --count "$expected_out" >"$tmp/$name.wait"; then
        kill "$pid" 2>/dev/null; cat "$tmp/$name.log" >&2; return 1
    fi
    end=$(date +%s%N)
    rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
    echo "$rss" >>"$tmp/rss.txt"
    kill -TERM "$pid"; wait "$pid" || { cat "$tmp/$name.log" >&2; return 1; }
    awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f\n", n / ((e - s) / 1e9) }'
}

# window_run INPUT OUTPUT COUNT: the issue's stateful benchmark — a
# standalone sluice-worker runs a 10 s tumbling window (mean and count of
# speed per device; bench-kafka_load writes 1,000 devices) over INPUT with
# the default checkpoint interval. Windows close only when time moves on,
# so the run ends when the worker has consumed all COUNT inputs (its
# /metrics, sluice_task_messages_in_total), not on outputs. Prints
# "MSG_PER_S CHECKPOINT_FRACTION CHECKPOINT_MEAN_MS": COUNT over the time
# from the worker's start to the last input processed (start-up and the
# empty restore included, as in worker_run), and the share of the threads'
# time spent in checkpoints (flush outputs + changelog, RocksDB batch,
# offset commit) with the mean checkpoint duration.
window_run() {
    local input=$1 output=$2 n=$3 guarantee=${4:-at-least-once} name spec pid start end port in metrics
    name="w$(date +%s%N | tail -c 10)"
    spec="$tmp/$name.json"
    port=$((10000 + RANDOM % 22000))  # below the ephemeral port range
    cat >"$spec" <<SPEC
{"name": "$name", "input": {"topic": "$input", "value_format": "json"},
 "steps": [{"op": "tumbling_window", "size": "10s",
            "aggregate": {"avg_speed": "mean(speed)", "n": "count()"}, "emit": "final"},
           {"op": "to_topic", "topic": "$output"}],
 "guarantee": "$guarantee"}
SPEC
    start=$(date +%s%N)
    "$bin/sluice-worker" --standalone -f "$spec" --bootstrap-servers "$bootstrap" \
        --output-partitions "$partitions" --log-level warn --state-dir "$tmp/state-$name" \
        --metrics-port "$port" --metrics-address 127.0.0.1 2>"$tmp/$name.log" &
    pid=$!
    in=0
    for _ in $(seq 1 6000); do
        metrics=$(curl -s "http://127.0.0.1:$port/metrics" || true)
        in=$(echo "$metrics" | awk '/^sluice_task_messages_in_total/ { s += $2 } END { print s + 0 }')
        [ "$in" -ge "$n" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    end=$(date +%s%N)
    if [ "$in" -lt "$n" ]; then
        kill "$pid" 2>/dev/null; cat "$tmp/$name.log" >&2; return 1
    fi
    kill -TERM "$pid"; wait "$pid" || { cat "$tmp/$name.log" >&2; return 1; }
    echo "$metrics" | awk -v n="$n" -v s="$start" -v e="$end" '
        /^sluice_checkpoint_seconds_sum/ { cs += $2 }
        /^sluice_checkpoint_seconds_count/ { cc += $2; split($0, a, "thread=\""); split(a[2], b, "\""); t[b[1]] = 1 }
        END { secs = (e - s) / 1e9; nt = 0; for (k in t) nt++; if (nt == 0) nt = 1
              printf "%.0f %.4f %.1f\n", n / secs, cs / (nt * secs), cc ? 1000 * cs / cc : 0 }'
}

# series_arg NAME: the probe's --series option for run NAME when --series-dir
# is set (a name used again gets a numbered file).
series_arg() {
    [ -n "$series_dir" ] || return 0
    local f="$series_dir/$1.series" i=2
    while [ -e "$f" ]; do f="$series_dir/$1-$i.series"; i=$((i + 1)); done
    echo "--series $f"
}

# cpu_ticks PID...: user+system clock ticks each process has used so far.
cpu_ticks() {
    local p
    for p in "$@"; do
        awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0
    done
}

# latency_path KIND RATE: end-to-end latency of RATE msg/s for 10 s along one
# path, on fresh topics. bench-kafka_load writes "ts" = send time into each
# record; bench-latency_probe reports now - ts (percentiles after a 1 s
# warm-up). KIND is
#   direct       load -> topic -> probe: one broker hop, what the load
#                generator, the broker and the probe cost on their own;
#   passthrough  load -> input -> bench-kafka_passthrough -> output -> probe:
#                two hops without Sluice, the least any consume -> produce
#                program pays;
#   worker       load -> input -> sluice-worker (the pipeline of (b)) ->
#                output -> probe.
# Also prints the CPU each process used from second 2 to 8 of the load (in
# cores): when they add up to the machine's cores, latency measures queueing.
latency_path() {
    local kind=$1 rate=$2 t n want mid="" probe load broker="" spec c0 c1 secs=6
    t="$tag-lat$kind$(date +%s%N | tail -c 10)"
    n=$((rate * 10))
    want=$n
    "$bin/bench-kafka_load" --bootstrap "$bootstrap" --topic "$t-in" --count 1 \
        --partitions "$partitions" >/dev/null
    case "$kind" in
        direct) ;;
        passthrough)
            "$bin/bench-kafka_passthrough" --bootstrap "$bootstrap" --input "$t-in" \
                --output "$t-out" --count $((n + 1)) >"$tmp/$kind.out" 2>"$tmp/$kind.err" &
            mid=$! ;;
        worker)
            spec="$tmp/$kind-$rate.json"
            issue_spec "$spec" "${t#"$tag"-}" "$t-in" "$t-out"
            "$bin/sluice-worker" --standalone -f "$spec" --bootstrap-servers "$bootstrap" \
                --log-level warn 2>"$tmp/$kind.log" &
            mid=$!
            want=$((n * 70 / 100)) ;; # 77 % pass the filter
    esac
    [ -n "$mid" ] && sleep 2
    "$bin/bench-latency_probe" --bootstrap "$bootstrap" \
        --topic "$t-$([ "$kind" = direct ] && echo in || echo out)" --count "$want" \
        --timeout 60 --warmup-ms 1000 $(series_arg "$kind-$rate") >"$tmp/$kind.probe" &
    probe=$!
    sleep 1
    "$bin/bench-kafka_load" --bootstrap "$bootstrap" --topic "$t-in" --count "$n" \
        --partitions "$partitions" --rate "$rate" >/dev/null &
    load=$!
    [ -n "$devkafka_pid" ] && broker=$devkafka_pid
    [ -z "$broker" ] && [ -n "$kafka_dir" ] && [ -f "$kafka_dir/pid" ] && broker=$(cat "$kafka_dir/pid")
    sleep 2
    c0=$(cpu_ticks "$load" "${mid:-0}" "${broker:-0}" "$probe")
    sleep "$secs"
    c1=$(cpu_ticks "$load" "${mid:-0}" "${broker:-0}" "$probe")
    wait "$load" || true
    wait "$probe" || true
    if [ -n "$mid" ]; then kill -TERM "$mid" 2>/dev/null || true; wait "$mid" || true; fi
    cat "$tmp/$kind.probe"
    paste <(echo "$c0") <(echo "$c1") | awk -v hz="$(getconf CLK_TCK)" -v s="$secs" '
        BEGIN { split("load generator,pipeline,broker,probe", name, ",") }
        { c = ($2 - $1) / hz / s; if (NR != 2 || c > 0) { t += c; out = out sprintf("%s%s %.2f", out ? ", " : "", name[NR], c) } }
        END { printf "  cpu (cores, seconds 2-8 of the load): %s; total %.2f\n", out, t }'
}

# latency_all RATE: the three paths at RATE.
latency_all() {
    local rate=$1
    echo "  baseline, no pipeline (load -> topic -> probe):"
    latency_path direct "$rate"
    echo "  raw pass-through (a) (load -> input -> bench-kafka_passthrough -> output -> probe):"
    latency_path passthrough "$rate"
    echo "  through the worker (load -> input -> worker -> output -> probe):"
    latency_path worker "$rate"
}

if [ -n "$latency_rates" ]; then
    for rate in ${latency_rates//,/ }; do
        echo "latency at $rate msg/s for 10 s (percentiles after a 1 s warm-up)"
        latency_all "$rate"
    done
    exit 0
fi

# ---- (a) baseline: raw librdkafka pass-through -------------------------------

"$bin/bench-kafka_load" --bootstrap "$bootstrap" --topic "$input" --count "$count" \
    --partitions "$partitions" | tee "$tmp/load.txt"

# The rate is msg_per_s: N messages over the whole run, from assign to the
# last delivery report (client start-up included; ~50 ms). The worker run (b)
# is measured the same way.
: >"$tmp/a.txt"
for i in $(seq 1 "$runs"); do
    "$bin/bench-kafka_passthrough" --bootstrap "$bootstrap" --input "$input" \
        --output "$tag-a-$i" --count "$count" >"$tmp/run.txt" || die "pass-through run $i failed"
    line=$(grep '^kafka_passthrough:' "$tmp/run.txt")
    echo "baseline run $i: $line"
    echo "$line" | field msg_per_s >>"$tmp/a.txt"
done
a=$(median <"$tmp/a.txt")
echo "baseline (raw librdkafka pass-through): median ${a} msg/s over $runs runs" \
    "($kind broker, $count messages)"

# How many inputs pass the filter: counted once, outside the timing.
expected_out=$(kcat -b "$bootstrap" -C -t "$input" -e -q -f '%s\n' |
    awk -F'"speed":' '{ split($2, a, ","); if (a[1] * 3.6 > 50) n++ } END { print n + 0 }')
log "expected worker outputs: $expected_out of $count"
: >"$tmp/b.txt"
for i in $(seq 1 "$runs"); do
    set +e
    b_run=$(worker_run "$input" "$tag-b-$i" "$count")
    rc=$?
    set -e
    if [ "$rc" = 3 ]; then
        echo "worker (b): not available yet (see worker_run in $0)"
        break
    fi
    [ "$rc" = 0 ] || die "worker run $i failed"
    echo "worker run $i: msg_per_s=$b_run"
    echo "$b_run" >>"$tmp/b.txt"
done
if [ -s "$tmp/b.txt" ]; then
    b=$(median <"$tmp/b.txt")
    echo "worker (Sluice pass-through pipeline): median ${b} msg/s over $runs runs"
    awk -v a="$a" -v b="$b" 'BEGIN { printf "ratio b/a = %.2f\n", (a > 0 ? b / a : 0) }'
    echo "worker peak RSS: median $(median <"$tmp/rss.txt") KiB"
    # (c) the stateful pipeline against the same baseline
    : >"$tmp/c.txt"; : >"$tmp/c_ck.txt"; : >"$tmp/c_ckms.txt"
    for i in $(seq 1 "$runs"); do
        c_run=$(window_run "$input" "$tag-c-$i" "$count") || die "window run $i failed"
        set -- $c_run
        echo "window run $i: msg_per_s=$1 checkpoint_share=$2 checkpoint_mean_ms=$3"
        echo "$1" >>"$tmp/c.txt"; echo "$2" >>"$tmp/c_ck.txt"; echo "$3" >>"$tmp/c_ckms.txt"
    done
    c=$(median <"$tmp/c.txt")
    echo "worker (10 s tumbling window, mean + count, 1,000 keys): median ${c} msg/s over $runs runs"
    awk -v a="$a" -v c="$c" 'BEGIN { printf "ratio window/a = %.2f (target >= 0.4)\n", (a > 0 ? c / a : 0) }'
    echo "checkpoint overhead at the default interval (1 s): median share of thread time" \
        "$(median <"$tmp/c_ck.txt"), mean checkpoint $(median <"$tmp/c_ckms.txt") ms"
    if [ "$kind" = kafka ]; then
        # The same window with "guarantee": "exactly-once" (one run: its cost)
        e_run=$(window_run "$input" "$tag-e" "$count" exactly-once) || die "exactly-once run failed"
        set -- $e_run
        echo "window, exactly-once: msg_per_s=$1 checkpoint_share=$2 checkpoint_mean_ms=$3"
        awk -v a="$a" -v e="$1" 'BEGIN { printf "ratio window-exactly-once/a = %.2f\n", (a > 0 ? e / a : 0) }'
    fi
    # The issue's rate (half of b), then fixed rates where this machine's
    # own path (load generator, broker, probe on the same cores) is not
    # saturated, each next to that path without the worker.
    rate=$((b / 2))
    rates="$rate 100000 50000"
    [ "$kind" = embedded ] && rates="10000"
    for rate in $rates; do
        echo "latency at $rate msg/s for 10 s (percentiles after a 1 s warm-up)$([ "$rate" = $((b / 2)) ] && echo " (~half of (b))")"
        latency_all "$rate"
    done
fi

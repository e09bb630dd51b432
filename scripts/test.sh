#!/usr/bin/env bash
# test.sh — the whole test suite, as the README and CI run it:
#
#   1. install and build (scripts/setup.sh) — build/; helm and the chart
#      validator (scripts/helm-check.sh --install-only)
#   2. a sanitizer build (ASan + UBSan)     — build-asan/
#   3. unit tests in both builds
#   4. integration tests in both builds against the embedded broker
#      (sluice-devkafka) and against a real Apache Kafka broker
#      (scripts/kafka.sh, KRaft on 127.0.0.1)
#   5. every libFuzzer target for a bounded time (clang)  — build-fuzz/
#
# Options: --quick (skip the sanitizer build and fuzzing),
#          --no-kafka (skip the real broker). SLUICE_FUZZ_SECONDS (default 20)
# bounds each fuzz target.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
quick=0
real_kafka=1
for a in "$@"; do
    case "$a" in
        --quick) quick=1 ;;
        --no-kafka) real_kafka=0 ;;
        *) echo "usage: $0 [--quick] [--no-kafka]" >&2; exit 2 ;;
    esac
done
fuzz_seconds=${SLUICE_FUZZ_SECONDS:-20}
jobs=$(nproc)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failures=()
devkafka_pid=""
kafka_started=0
work=$(mktemp -d)
cleanup() {
    [ -n "$devkafka_pid" ] && kill "$devkafka_pid" 2>/dev/null || true
    [ "$kafka_started" = 1 ] && SLUICE_KAFKA_DIR="$work/kafka" "$top/scripts/kafka.sh" stop || true
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==== %s\n' "$*"; }

run_ctest() { # build-dir label [env...]
    local dir=$1 label=$2
    shift 2
    if ! env "$@" ctest --test-dir "$dir" -L "^$label\$" --output-on-failure -j "$jobs"; then
        failures+=("$label tests in $(basename "$dir") $*")
    fi
}

step "install and build"
"$top/scripts/setup.sh"
builds=("$top/build")
# helm (a Go module) and the schema validator for the chart's test: a cold
# install takes minutes, so it happens here and not under a test's timeout
step "tools for the Helm chart check (scripts/helm-check.sh --install-only)"
"$top/scripts/helm-check.sh" --install-only

if [ "$quick" = 0 ]; then
    step "sanitizer build (ASan + UBSan)"
    cmake -S "$top" -B "$top/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON >/dev/null
    ninja -C "$top/build-asan"
    builds+=("$top/build-asan")
fi

for b in "${builds[@]}"; do
    step "unit tests: $(basename "$b")"
    run_ctest "$b" unit
done

step "start the embedded broker (sluice-devkafka)"
"$top/build/bin/sluice-devkafka" >"$work/devkafka.out" 2>"$work/devkafka.err" &
devkafka_pid=$!
for _ in $(seq 1 100); do [ -s "$work/devkafka.out" ] && break; sleep 0.1; done
embedded=$(head -1 "$work/devkafka.out")
echo "embedded broker at $embedded"
for b in "${builds[@]}"; do
    step "integration tests on the embedded broker: $(basename "$b")"
    run_ctest "$b" integration SLUICE_TEST_BOOTSTRAP="$embedded" SLUICE_TEST_BROKER=embedded
done

if [ "$real_kafka" = 1 ]; then
    step "start Apache Kafka (scripts/kafka.sh)"
    kafka_started=1
    if real=$(SLUICE_KAFKA_DIR="$work/kafka" "$top/scripts/kafka.sh" start); then
        echo "Kafka at $real"
        for b in "${builds[@]}"; do
            step "integration tests on Apache Kafka: $(basename "$b")"
            run_ctest "$b" integration SLUICE_TEST_BOOTSTRAP="$real" SLUICE_TEST_BROKER=kafka \
                SLUICE_KAFKA_DIR="$work/kafka"
        done
    else
        failures+=("Apache Kafka did not start")
    fi
fi

if [ "$quick" = 0 ]; then
    step "fuzz targets, ${fuzz_seconds}s each (libFuzzer)"
    CC=clang cmake -S "$top" -B "$top/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSLUICE_FUZZ=ON -DSLUICE_SANITIZE=ON >/dev/null
    ninja -C "$top/build-fuzz" $(cd "$top/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
    for f in "$top"/build-fuzz/fuzz/fuzz_*; do
        name=$(basename "$f")
        corpus="$work/corpus-$name"
        mkdir -p "$corpus"
        cp -r "$top/tests/fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
        if "$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 \
            "$corpus" >"$work/$name.log" 2>&1; then
            echo "$name: $(grep -c . "$work/$name.log") log lines, no crash"
        else
            tail -40 "$work/$name.log"
            failures+=("fuzz target $name")
        fi
    done
fi

step "summary"
if [ "${#failures[@]}" -gt 0 ]; then
    printf 'FAILED: %s\n' "${failures[@]}"
    exit 1
fi
echo "all test stages passed"

#!/usr/bin/env bash
# kafka.sh — a single-node Apache Kafka broker (KRaft, broker+controller in one
# JVM) on 127.0.0.1 for the integration tests and benchmarks.
#
#   scripts/kafka.sh start       fetch (Maven, cached in ~/.m2), format, start,
#                                wait for a metadata answer, print bootstrap
#   scripts/kafka.sh bootstrap   print the bootstrap address of the running one
#   scripts/kafka.sh stop        stop exactly that broker and remove its data
#   scripts/kafka.sh status      exit 0 when it runs
#   scripts/kafka.sh restart     stop the broker process and start it again on
#                                the same ports and data (for failure tests)
#
# State lives in $SLUICE_KAFKA_DIR (default /tmp/sluice-kafka-$UID): pid file,
# bootstrap file, server.properties, data and log. The heap is bounded by
# $SLUICE_KAFKA_HEAP (default 1g, as kafka-server-start.sh; fixed: -Xms = -Xmx).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
dir=${SLUICE_KAFKA_DIR:-/tmp/sluice-kafka-$(id -u)}
heap=${SLUICE_KAFKA_HEAP:-1g}
pom="$top/tests/kafka/pom.xml"

log() { echo "kafka.sh: $*" >&2; }

running() {
    [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null
}

port_free() {
    # A refused connection means nobody listens there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    # Below the kernel's ephemeral range: a port that client connections use
    # as their local end looks free to a connect() probe but cannot be bound.
    local low p
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$low" -gt 12000 ] 2>/dev/null || low=32768
    for _ in $(seq 1 200); do
        p=$((10000 + RANDOM % (low - 10000)))
        if port_free "$p"; then echo "$p"; return 0; fi
    done
    log "no free port found"
    return 1
}

classpath() {
    # The resolved classpath is cached next to the pom's hash so a second start
    # does not run Maven at all.
    local cache="$HOME/.cache/sluice/kafka-classpath-$(sha256sum "$pom" | cut -c1-16)"
    if [ ! -s "$cache" ] || ! tr ':' '\n' <"$cache" | while read -r j; do [ -f "$j" ] || exit 1; done; then
        mkdir -p "$(dirname "$cache")"
        log "resolving Kafka jars with Maven (first run downloads them into ~/.m2)"
        mvn -q -B -f "$pom" dependency:build-classpath -Dmdep.outputFile="$cache.tmp" >&2
        mv "$cache.tmp" "$cache"
    fi
    cat "$cache"
}

metadata_ok() {
    kcat -b "$1" -L -m 5 >/dev/null 2>&1
}

start_once() {
    rm -rf "$dir"
    mkdir -p "$dir/data"
    local cp bport cport cluster
    cp=$(classpath)
    bport=$(free_port)
    cport=$(free_port)
    while [ "$cport" = "$bport" ]; do cport=$(free_port); done
    cluster=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.backoff.ms=1000
log.segment.bytes=16777216
EOF
    cat >"$dir/log4j2.properties" <<EOF
rootLogger.level=WARN
rootLogger.appenderRef.f.ref=F
appender.f.type=File
appender.f.name=F
appender.f.fileName=$dir/server.log
appender.f.layout.type=PatternLayout
appender.f.layout.pattern=[%d] %p %m (%c)%n
EOF
    local java_opts=(-Xms128m "-Xmx$heap" -XX:+UseG1GC -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$dir/log4j2.properties")
    java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool format \
        -t "$cluster" -c "$dir/server.properties" >"$dir/format.log" 2>&1 || {
        log "formatting KRaft storage failed:"; cat "$dir/format.log" >&2; return 1; }
    launch
    local addr="127.0.0.1:$bport"
    if wait_ready "$addr"; then
        echo "$addr" >"$dir/bootstrap"
        echo "$addr"
        return 0
    fi
    stop
    return 1
}

start() {
    if running; then
        cat "$dir/bootstrap"
        return 0
    fi
    # A port taken between the probe and the bind makes the broker exit at
    # start-up: try again on other ports.
    local attempt
    for attempt in 1 2 3; do
        if start_once; then
            return 0
        fi
        log "start attempt $attempt failed; retrying on other ports"
    done
    return 1
}

launch() {
    local cp
    cp=$(classpath)
    # The JVM settings of Kafka's own start script (kafka-server-start.sh,
    # kafka-run-class.sh): a fixed heap and G1 aiming at 20 ms pauses. With
    # a small growing heap, young collections came twice a second and
    # paused the broker for up to 27 ms: the tail of every latency figure.
    nohup java "-Xms$heap" "-Xmx$heap" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true \
        "-Xlog:gc:file=$dir/gc.log:time,uptime:filecount=2,filesize=10m" \
        "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$cp" kafka.Kafka \
        "$dir/server.properties" >>"$dir/stdout.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
}

wait_ready() {
    local addr=$1
    for _ in $(seq 1 120); do
        if ! running; then
            log "broker exited during start-up:"; tail -n 30 "$dir/stdout.log" "$dir/server.log" >&2 || true
            return 1
        fi
        if metadata_ok "$addr"; then
            return 0
        fi
        sleep 0.5
    done
    log "broker did not answer a metadata request within 60 s"
    return 1
}

restart() {
    running || { log "not running"; return 1; }
    local pid addr
    pid=$(cat "$dir/pid")
    addr=$(cat "$dir/bootstrap")
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    launch
    wait_ready "$addr"
}

stop() {
    if [ -f "$dir/pid" ]; then
        local pid
        pid=$(cat "$dir/pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    bootstrap) running && cat "$dir/bootstrap" || { log "not running"; exit 1; } ;;
    status) running ;;
    restart) restart ;;
    *) echo "usage: $0 start|stop|bootstrap|status|restart" >&2; exit 2 ;;
esac

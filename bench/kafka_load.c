/* bench-kafka_load — fills a topic with JSON sensor readings, the input of
 * every throughput and latency benchmark and of the demo:
 *
 *   {"device_id":"dev-0042","ts":1764000000000,"speed":23.17,
 *    "lat":52.520008,"lon":13.404954,"status":"ok"}
 *
 * keyed by device id over --keys devices (default 1000), so that the
 * default partitioner spreads them like real traffic and per-key state has
 * something to do. The topic is created with --partitions (default 4) when
 * it does not exist (sl_topic_admin: real Kafka or the embedded broker).
 *
 * Without --rate it produces as fast as the producer accepts and prints the
 * rate at which messages were delivered. With --rate it paces sends to that
 * many messages per second, and "ts" is the send time in ms, so a
 * bench-latency_probe downstream measures end-to-end latency of whatever
 * pipeline sits between.
 *
 * The readings are drawn from a pool of LOAD_POOL messages formatted once
 * at start; a send only writes "ts" into its copy. Formatting three floats
 * per message cost the generator most of a core at 345k msg/s, CPU the
 * measured pipeline and broker then lacked on a 2-core machine.
 * Exit status: 0 when every message was delivered,
 * 1 otherwise, 2 on bad arguments; timing never fails the run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "kafka/sl_kafka_conf.h"
#include "kafka/sl_producer.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_clock.h"
#include "util/sl_error.h"

/* Pre-formatted readings: a value is head + ts digits + tail. */
#define LOAD_POOL 65536

typedef struct load_msg {
    char key[16];
    char head[48]; /* {"device_id":"dev-0042","ts": */
    char tail[96]; /* ,"speed":..,"lat":..,"lon":..,"status":"ok"} */
    unsigned char klen, hlen, tlen;
} load_msg;

typedef struct load_opts {
    const char *bootstrap;
    const char *topic;
    long long count;
    int keys;
    int partitions;
    double rate; /* messages per second; 0 = as fast as possible */
    sl_kafka_props props;
} load_opts;

static const char load_usage[] =
    "usage: bench-kafka_load --bootstrap B --topic T [--count N] [--keys 1000]\n"
    "                        [--partitions 4] [--rate MSG_PER_S] [-X key=value]...\n";

static int parse_args(int argc, char **argv, load_opts *o)
{
    o->count = 100000;
    o->keys = 1000;
    o->partitions = 4;
    const bench_arg args[] = {
        {"--bootstrap", BENCH_ARG_STR, &o->bootstrap}, {"--topic", BENCH_ARG_STR, &o->topic},
        {"--count", BENCH_ARG_LL, &o->count},           {"--keys", BENCH_ARG_INT, &o->keys},
        {"--partitions", BENCH_ARG_INT, &o->partitions}, {"--rate", BENCH_ARG_DOUBLE, &o->rate},
    };
    if (bench_args_parse("bench-kafka_load", load_usage, argc, argv, args,
                         sizeof(args) / sizeof(args[0]), &o->props) != 0)
        return -1;
    if (!o->bootstrap || !o->topic || o->count < 1 || o->keys < 1 || o->keys > 1000000 ||
        o->partitions < 1 || o->rate < 0) {
        fputs(load_usage, stderr);
        return -1;
    }
    return 0;
}

/* xorshift64*: fast, deterministic across runs. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Sleeps while more than 1 ms ahead of the monotonic time target (seconds),
 * serving delivery reports meanwhile. Sends within 1 ms of their slot go out
 * at once: the average rate stays exact (targets are absolute) without
 * spinning a core at high rates. */
static void pace_until(sl_producer *p, double target)
{
    for (;;) {
        double left = target - sl_clock_mono_s();
        if (left <= 0.001)
            return;
        sl_producer_poll(p);
        struct timespec ts = {0, (long)(left * 1e9)};
        if (ts.tv_nsec > 10000000)
            ts.tv_nsec = 10000000;
        nanosleep(&ts, NULL);
    }
}

/* Fills pool[0..LOAD_POOL) with readings of random devices (of `keys`):
 * each device drives around its own spot. */
static void pool_fill(load_msg *pool, int keys, uint64_t *rng)
{
    for (int i = 0; i < LOAD_POOL; i++) {
        load_msg *m = &pool[i];
        int dev = (int)(rng_next(rng) % (uint64_t)keys);
        double lat = 48.0 + (dev % 97) * 0.05 + rng_unit(rng) * 0.01;
        double lon = 2.0 + (dev % 89) * 0.1 + rng_unit(rng) * 0.01;
        double speed = rng_unit(rng) * 60.0;
        m->klen = (unsigned char)snprintf(m->key, sizeof(m->key), "dev-%04d", dev);
        m->hlen = (unsigned char)snprintf(m->head, sizeof(m->head),
                                          "{\"device_id\":\"%s\",\"ts\":", m->key);
        m->tlen = (unsigned char)snprintf(m->tail, sizeof(m->tail),
                                          ",\"speed\":%.2f,\"lat\":%.6f,\"lon\":%.6f,"
                                          "\"status\":\"ok\"}",
                                          speed, lat, lon);
    }
}

/* Writes v in decimal at out; returns the digit count. */
static size_t put_u64(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Queues a random reading of the pool with "ts" = now. */
static int send_one(sl_producer *p, const load_opts *o, const load_msg *pool, uint64_t *rng,
                    sl_error *err)
{
    const load_msg *m = &pool[rng_next(rng) % LOAD_POOL];
    char value[sizeof(m->head) + 24 + sizeof(m->tail)];
    size_t n = m->hlen;
    memcpy(value, m->head, n);
    n += put_u64(value + n, (uint64_t)sl_clock_wall_ms());
    memcpy(value + n, m->tail, m->tlen);
    n += m->tlen;
    return sl_producer_send(p, o->topic, -1, m->key, m->klen, value, n, 0, NULL, 0, err);
}

int main(int argc, char **argv)
{
    load_opts o = {0};
    sl_error err;
    sl_topic_admin *admin = NULL;
    sl_producer *p = NULL;
    int rc = 1, partitions = 0;
    uint64_t rng = 0x5eed5eed12345ULL;
    load_msg *pool = NULL;

    if (parse_args(argc, argv, &o) != 0) {
        sl_kafka_props_clear(&o.props);
        return 2;
    }
    pool = malloc(LOAD_POOL * sizeof(*pool));
    if (!pool) {
        fprintf(stderr, "bench-kafka_load: out of memory\n");
        goto out;
    }
    pool_fill(pool, o.keys, &rng);
    admin = sl_topic_admin_create(o.bootstrap, &o.props, 15000, &err);
    if (!admin || sl_topic_admin_ensure_topic(admin, o.topic, o.partitions, NULL, 0, 30000,
                                              &partitions, &err) != SL_OK) {
        fprintf(stderr, "bench-kafka_load: topic %s: %s\n", o.topic, err.msg);
        goto out;
    }
    /* Big batches for a bulk load; user -X properties still win. */
    sl_kafka_props tuned = {0};
    if (sl_kafka_props_add(&tuned, "batch.num.messages", "10000", &err) ||
        sl_kafka_props_add(&tuned, "batch.size", "1000000", &err) ||
        sl_kafka_props_add(&tuned, "queue.buffering.max.messages", "1000000", &err) ||
        sl_kafka_props_add(&tuned, "queue.buffering.max.kbytes", "1048576", &err)) {
        sl_kafka_props_clear(&tuned);
        goto out;
    }
    if (o.rate > 0)
        sl_kafka_props_add(&tuned, "linger.ms", "1", &err); /* latency mode */
    for (size_t i = 0; i < o.props.count; i++)
        sl_kafka_props_add(&tuned, o.props.keys[i], o.props.values[i], &err);
    p = sl_producer_create(o.bootstrap, &tuned, &err);
    sl_kafka_props_clear(&tuned);
    if (!p) {
        fprintf(stderr, "bench-kafka_load: producer: %s\n", err.msg);
        goto out;
    }

    /* The first message goes out alone and is waited for: producer start-up
     * (connections, idempotent producer id: ~0.5 s) is then over before the
     * clock and the pacing start, so it shows neither in the rate nor as
     * latency downstream. */
    if (send_one(p, &o, pool, &rng, &err) != SL_OK || sl_producer_flush(p, 30000, &err) != SL_OK) {
        fprintf(stderr, "bench-kafka_load: first message: %s\n", err.msg);
        goto out;
    }
    double start = sl_clock_mono_s();
    for (long long i = 1; i < o.count; i++) {
        if (o.rate > 0)
            pace_until(p, start + (double)(i - 1) / o.rate);
        if (send_one(p, &o, pool, &rng, &err) != SL_OK) {
            fprintf(stderr, "bench-kafka_load: send %lld: %s\n", i, err.msg);
            goto out;
        }
        if ((i & 1023) == 0)
            sl_producer_poll(p);
    }
    if (sl_producer_flush(p, 120000, &err) != SL_OK) {
        fprintf(stderr, "bench-kafka_load: flush: %s\n", err.msg);
        goto out;
    }
    double secs = sl_clock_mono_s() - start;
    printf("kafka_load: topic=%s partitions=%d messages=%lld seconds=%.3f msg_per_s=%.0f "
           "delivered=%" PRIu64 " failed=%" PRIu64 "\n",
           o.topic, partitions, o.count, secs, secs > 0 ? (double)(o.count - 1) / secs : 0.0,
           sl_producer_delivered(p), sl_producer_failed(p));
    rc = sl_producer_failed(p) ? 1 : 0;
out:
    sl_producer_destroy(p);
    free(pool);
    sl_topic_admin_destroy(admin);
    sl_kafka_props_clear(&o.props);
    return rc;
}

/* bench-latency_probe — end-to-end latency of a pipeline, measured at its
 * output topic: start it, then start bench-kafka_load --rate on the input;
 * for each of the next --count output messages it takes now minus the "ts"
 * field of the JSON value (kafka_load writes the send time there), or minus
 * the record timestamp with --source timestamp or when the value has no
 * "ts", and prints p50 / p99 / max in milliseconds.
 *
 * "From the end" means from the high watermark of every partition when the
 * probe starts, read before assigning so that nothing produced after the
 * probe said "ready" (on stderr) is missed. Gives up after --timeout seconds
 * without a message and reports what it has. Both clocks are the wall clock
 * of this host, so run the probe where the load generator runs.
 *
 * --warmup-ms W leaves the messages received in the first W ms (from the
 * first message on) out of p50/p99/max/mean: the steady state at the rate,
 * not the seconds in which every client, and the broker, meet the load for
 * the first time. all_p99_ms and all_max_ms still count every message.
 *
 * --series FILE also writes the latency over time, one line per 100 ms of
 * receive time: "SECONDS MESSAGES MAX_MS PARTITION_OF_MAX" (a stall shows as
 * a run of lines with a high maximum: when, how long, which partition). */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "kafka/sl_kafka_conf.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_error.h"

typedef struct probe_opts {
    const char *bootstrap;
    const char *topic;
    long long count;
    int timeout_s;
    int warmup_ms;
    int use_record_ts;
    const char *series;
    sl_kafka_props props;
} probe_opts;

static const char probe_usage[] =
    "usage: bench-latency_probe --bootstrap B --topic T [--count 10000]\n"
    "                           [--timeout 60] [--source ts|timestamp] [--series FILE]\n"
    "                           [--warmup-ms 0] [-X k=v]...\n";

static int parse_args(int argc, char **argv, probe_opts *o)
{
    const char *source = "ts";
    o->count = 10000;
    o->timeout_s = 60;
    const bench_arg args[] = {
        {"--bootstrap", BENCH_ARG_STR, &o->bootstrap}, {"--topic", BENCH_ARG_STR, &o->topic},
        {"--count", BENCH_ARG_LL, &o->count},           {"--timeout", BENCH_ARG_INT, &o->timeout_s},
        {"--source", BENCH_ARG_STR, &source},          {"--series", BENCH_ARG_STR, &o->series},
        {"--warmup-ms", BENCH_ARG_INT, &o->warmup_ms},
    };
    if (bench_args_parse("bench-latency_probe", probe_usage, argc, argv, args,
                         sizeof(args) / sizeof(args[0]), &o->props) != 0)
        return -1;
    if (strcmp(source, "ts") != 0 && strcmp(source, "timestamp") != 0) {
        fprintf(stderr, "bench-latency_probe: --source is ts or timestamp\n");
        return -1;
    }
    o->use_record_ts = strcmp(source, "timestamp") == 0;
    if (!o->bootstrap || !o->topic || o->count < 1 || o->timeout_s < 1 ||
        o->warmup_ms < 0) {
        fputs(probe_usage, stderr);
        return -1;
    }
    return 0;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The integer after "ts": in a JSON value, or -1. A plain scan, not a JSON
 * parse: kafka_load writes the field at the top level. */
static int64_t value_ts(const void *payload, size_t len)
{
    static const char needle[] = "\"ts\":";
    const size_t nlen = sizeof(needle) - 1;
    const char *p = NULL, *end = (const char *)payload + len;
    for (const char *c = payload; c + nlen <= end; c++) {
        c = memchr(c, '"', (size_t)(end - c));
        if (!c || c + nlen > end)
            break;
        if (memcmp(c, needle, nlen) == 0) {
            p = c;
            break;
        }
    }
    if (!p)
        return -1;
    p += nlen;
    while (p < end && *p == ' ')
        p++;
    int64_t v = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 18) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    return digits ? v : -1;
}

/* One received message, for --series. */
typedef struct probe_sample {
    double recv_ms;
    float lat_ms;
    int32_t partition;
} probe_sample;

/* Writes the --series file: per 100 ms bucket of samples[0..n) (in receive
 * order), the count and the largest latency with its partition. */
static int write_series(const char *path, const probe_sample *s, long long n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    long long i = 0;
    while (i < n) {
        long long bucket = (long long)((s[i].recv_ms - s[0].recv_ms) / 100.0), cnt = 0;
        float max = -1e9f;
        int32_t part = -1;
        for (; i < n && (long long)((s[i].recv_ms - s[0].recv_ms) / 100.0) == bucket; i++) {
            cnt++;
            if (s[i].lat_ms > max) {
                max = s[i].lat_ms;
                part = s[i].partition;
            }
        }
        fprintf(f, "%.1f %lld %.1f %d\n", (double)bucket / 10.0, cnt, (double)max, (int)part);
    }
    return fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, long long n, double q)
{
    long long k = (long long)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

int main(int argc, char **argv)
{
    probe_opts o = {0};
    sl_error err;
    char errstr[512];
    sl_topic_admin *admin = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_topic_t *rkt = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    double *lat = NULL;
    probe_sample *samples = NULL;
    long long n = 0, from_record = 0;
    int rc = 1, npart = 0;

    if (parse_args(argc, argv, &o) != 0) {
        sl_kafka_props_clear(&o.props);
        return 2;
    }
    admin = sl_topic_admin_create(o.bootstrap, &o.props, 15000, &err);
    if (!admin || sl_topic_admin_partitions(admin, o.topic, 15000, &npart, &err) != SL_OK) {
        fprintf(stderr, "bench-latency_probe: topic %s: %s\n", o.topic, err.msg);
        goto out;
    }
    rd_kafka_conf_t *conf = sl_kafka_conf_new(o.bootstrap, &o.props, &err);
    if (!conf || sl_kafka_conf_set(conf, "group.id", "sluice-bench-latency", &err) ||
        sl_kafka_conf_set(conf, "enable.auto.commit", "false", &err) ||
        sl_kafka_conf_set(conf, "fetch.wait.max.ms", "10", &err)) {
        fprintf(stderr, "bench-latency_probe: %s\n", err.msg);
        if (conf)
            rd_kafka_conf_destroy(conf);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "bench-latency_probe: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        goto out;
    }
    parts = rd_kafka_topic_partition_list_new(npart);
    for (int p = 0; p < npart; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, o.topic, p, &lo, &hi, 15000);
        if (e) {
            fprintf(stderr, "bench-latency_probe: watermarks %s/%d: %s\n", o.topic, p,
                    rd_kafka_err2str(e));
            goto out;
        }
        rd_kafka_topic_partition_list_add(parts, o.topic, p)->offset = hi;
    }
    /* Leaders known before assign, or partitions start fetching only after
     * librdkafka's offset-query retry (0.5-1 s): that delay would be counted
     * as latency of the first messages. */
    rkt = rd_kafka_topic_new(rk, o.topic, NULL);
    sl_kafka_learn_topic(rk, rkt, 15000);
    if (rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        goto out;
    q = rd_kafka_queue_get_consumer(rk);
    lat = malloc((size_t)o.count * sizeof(*lat));
    if (!lat)
        goto out;
    if (o.series && !(samples = malloc((size_t)o.count * sizeof(*samples))))
        goto out;
    fprintf(stderr, "bench-latency_probe: ready on %s (%d partitions)\n", o.topic, npart);

    /* One message per call: rd_kafka_consume_batch_queue would hold early
     * messages back until its batch is full, which is exactly the delay we
     * are measuring. */
    double idle_since = wall_ms(), first_ms = 0;
    long long warm_n = 0; /* lat[0..warm_n) arrived during the warm-up */
    while (n < o.count) {
        rd_kafka_message_t *m = rd_kafka_consume_queue(q, 100);
        double now = wall_ms();
        if (m) {
            if (!m->err) {
                int64_t ts = o.use_record_ts ? -1 : value_ts(m->payload, m->len);
                if (ts < 0) {
                    ts = rd_kafka_message_timestamp(m, NULL);
                    from_record++;
                }
                if (n == 0)
                    first_ms = now;
                if (now - first_ms < o.warmup_ms)
                    warm_n = n + 1;
                lat[n] = now - (double)ts;
                if (samples)
                    samples[n] = (probe_sample){now, (float)lat[n], m->partition};
                n++;
            }
            rd_kafka_message_destroy(m);
            idle_since = now;
        } else if (now - idle_since > o.timeout_s * 1000.0) {
            fprintf(stderr, "bench-latency_probe: no message for %d s; reporting %lld of %lld\n",
                    o.timeout_s, n, o.count);
            break;
        }
    }
    if (n == 0) {
        printf("latency_probe: topic=%s messages=0\n", o.topic);
        goto out;
    }
    if (samples && write_series(o.series, samples, n) != 0)
        goto out;
    /* Steady state: the messages after the warm-up (a suffix: receive order). */
    double *steady = lat + warm_n;
    long long ns = n - warm_n;
    if (ns == 0) {
        steady = lat;
        ns = n;
    }
    double sum = 0;
    for (long long i = 0; i < ns; i++)
        sum += steady[i];
    qsort(steady, (size_t)ns, sizeof(*steady), cmp_double);
    double p50 = percentile(steady, ns, 0.50), p99 = percentile(steady, ns, 0.99),
           max = steady[ns - 1];
    qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
    printf("latency_probe: topic=%s messages=%lld warmup_ms=%d measured=%lld p50_ms=%.1f "
           "p99_ms=%.1f max_ms=%.1f mean_ms=%.1f all_p99_ms=%.1f all_max_ms=%.1f "
           "from_record_timestamp=%lld\n",
           o.topic, n, o.warmup_ms, ns, p50, p99, max, sum / (double)ns, percentile(lat, n, 0.99),
           lat[n - 1], from_record);
    rc = n == o.count ? 0 : 1;
out:
    if (q)
        rd_kafka_queue_destroy(q);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    free(lat);
    free(samples);
    sl_topic_admin_destroy(admin);
    sl_kafka_props_clear(&o.props);
    return rc;
}

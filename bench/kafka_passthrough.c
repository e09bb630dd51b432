/* bench-kafka_passthrough — the baseline of the worker benchmark: the least
 * a C program can do to move a topic to another topic with librdkafka, and
 * so the ceiling any Sluice pipeline is measured against.
 *
 * It assigns every partition of --input from the beginning (manual
 * assignment, no group protocol, no commits), consumes in batches with
 * rd_kafka_consume_batch_queue, and produces each message unchanged — same
 * key, value, headers, partition and timestamp — to --output, created with
 * the input's partition count when missing. The producer uses the settings
 * the worker uses (acks=all, idempotence) with bulk batching (linger.ms=5,
 * 10k messages / 1 MB per batch). Its prefetch is unbounded (up to 2 GiB and
 * 10 M messages): with a bounded queue, librdkafka before 2.2 pauses fetching
 * for up to a second whenever the queue is full, and the baseline would be
 * slow by chance (measured: 0.47-1.1 M msg/s over three runs). The baseline
 * spends memory so that it never waits; the worker must stay within its
 * memory target. It stops consuming after --count messages
 * (default: everything in the input when it starts) and stops the clock when
 * the delivery report of the last one is in, then prints messages/s (over
 * the whole run and from the first consumed message on) and the peak RSS.
 * Exit status 0 when all were delivered; timing never fails it. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_args.h"
#include "kafka/sl_kafka_conf.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_clock.h"
#include "util/sl_error.h"
#include "util/sl_log.h"

#define BATCH_MAX 10000

typedef struct pt_opts {
    const char *bootstrap;
    const char *input;
    const char *output;
    long long count; /* 0 = what the input holds at start */
    sl_kafka_props props;
} pt_opts;

typedef struct pt_stats {
    long long delivered;
    long long failed;
    char first_error[256];
} pt_stats;

static const char pt_usage[] =
    "usage: bench-kafka_passthrough --bootstrap B --input IN --output OUT [--count N]\n"
    "                               [--log-level info] [-X key=value]...\n";

static int parse_args(int argc, char **argv, pt_opts *o)
{
    const char *level = NULL;
    const bench_arg args[] = {
        {"--bootstrap", BENCH_ARG_STR, &o->bootstrap}, {"--input", BENCH_ARG_STR, &o->input},
        {"--output", BENCH_ARG_STR, &o->output},       {"--count", BENCH_ARG_LL, &o->count},
        {"--log-level", BENCH_ARG_STR, &level},
    };
    if (bench_args_parse("bench-kafka_passthrough", pt_usage, argc, argv, args,
                         sizeof(args) / sizeof(args[0]), &o->props) != 0)
        return -1;
    if (level && (sl_log_level_global = sl_log_level_parse(level)) < 0) {
        fprintf(stderr, "bench-kafka_passthrough: --log-level debug|info|warn|error\n");
        return -1;
    }
    if (!o->bootstrap || !o->input || !o->output || o->count < 0 ||
        strcmp(o->input, o->output) == 0) {
        fputs(pt_usage, stderr);
        return -1;
    }
    return 0;
}

/* Runs on the main thread inside rd_kafka_poll / rd_kafka_flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    pt_stats *st = opaque;
    if (m->err) {
        if (!st->failed++)
            snprintf(st->first_error, sizeof(st->first_error), "%s", rd_kafka_err2str(m->err));
    } else {
        st->delivered++;
    }
}

/* A client handle of type with the bench's settings, then the user's. */
static rd_kafka_t *client_new(const pt_opts *o, rd_kafka_type_t type, const char *const *kv,
                              pt_stats *st)
{
    sl_error err;
    char errstr[512];
    rd_kafka_conf_t *conf = sl_kafka_conf_new(o->bootstrap, NULL, &err);
    if (!conf) {
        fprintf(stderr, "bench-kafka_passthrough: %s\n", err.msg);
        return NULL;
    }
    for (size_t i = 0; kv[i]; i += 2)
        if (sl_kafka_conf_set(conf, kv[i], kv[i + 1], &err) != SL_OK)
            goto fail;
    for (size_t i = 0; i < o->props.count; i++)
        if (sl_kafka_conf_set(conf, o->props.keys[i], o->props.values[i], &err) != SL_OK)
            goto fail;
    if (st) {
        rd_kafka_conf_set_opaque(conf, st);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "bench-kafka_passthrough: rd_kafka_new: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
fail:
    fprintf(stderr, "bench-kafka_passthrough: %s\n", err.msg);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static const char *const consumer_kv[] = {
    "group.id", "sluice-bench-passthrough", "enable.auto.commit", "false",
    "enable.auto.offset.store", "false", "enable.partition.eof", "false",
    "queued.min.messages", "10000000", "queued.max.messages.kbytes", "2097151",
    "fetch.max.bytes", "52428800", NULL};

static const char *const producer_kv[] = {
    "acks", "all", "enable.idempotence", "true", "linger.ms", "5",
    "batch.num.messages", "10000", "batch.size", "1000000",
    "queue.buffering.max.messages", "1000000", "queue.buffering.max.kbytes", "1048576",
    "compression.type", "none", NULL};

/* Produces m unchanged to out, waiting for queue room when needed. */
static int forward(rd_kafka_t *prod, rd_kafka_topic_t *out, const rd_kafka_message_t *m)
{
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    rd_kafka_headers_t *in_hdrs = NULL, *hdrs = NULL;
    if (rd_kafka_message_headers(m, &in_hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
        hdrs = rd_kafka_headers_copy(in_hdrs);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            prod, RD_KAFKA_V_RKT(out), RD_KAFKA_V_PARTITION(m->partition),
            RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
            RD_KAFKA_V_TIMESTAMP(tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? 0 : ts),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!e)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "bench-kafka_passthrough: produce: %s\n", rd_kafka_err2str(e));
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            return -1;
        }
        rd_kafka_poll(prod, 10);
    }
}

int main(int argc, char **argv)
{
    pt_opts o = {0};
    pt_stats st = {0};
    sl_error err;
    sl_topic_admin *admin = NULL;
    rd_kafka_t *cons = NULL, *prod = NULL;
    rd_kafka_topic_t *out = NULL, *in_rkt = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_message_t **msgs = NULL;
    int rc = 1, npart = 0;

    if (parse_args(argc, argv, &o) != 0) {
        sl_kafka_props_clear(&o.props);
        return 2;
    }
    admin = sl_topic_admin_create(o.bootstrap, &o.props, 15000, &err);
    if (!admin || sl_topic_admin_partitions(admin, o.input, 15000, &npart, &err) != SL_OK ||
        sl_topic_admin_ensure_topic(admin, o.output, npart, NULL, 0, 30000, NULL, &err) !=
            SL_OK) {
        fprintf(stderr, "bench-kafka_passthrough: topics: %s\n", err.msg);
        goto out;
    }
    cons = client_new(&o, RD_KAFKA_CONSUMER, consumer_kv, NULL);
    prod = client_new(&o, RD_KAFKA_PRODUCER, producer_kv, &st);
    msgs = calloc(BATCH_MAX, sizeof(*msgs));
    if (!cons || !prod || !msgs)
        goto out;
    out = rd_kafka_topic_new(prod, o.output, NULL);

    /* What the input holds now is what we copy unless told otherwise. */
    long long available = 0;
    parts = rd_kafka_topic_partition_list_new(npart);
    for (int p = 0; p < npart; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(cons, o.input, p, &lo, &hi, 15000);
        if (e) {
            fprintf(stderr, "bench-kafka_passthrough: watermarks %s/%d: %s\n", o.input, p,
                    rd_kafka_err2str(e));
            goto out;
        }
        available += hi - lo;
        rd_kafka_topic_partition_list_add(parts, o.input, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    long long want = o.count ? o.count : available;
    if (want == 0 || want > available)
        fprintf(stderr, "bench-kafka_passthrough: note: input holds %lld message(s), want %lld\n",
                available, want);
    if (want == 0) {
        rc = 0;
        goto out;
    }
    /* Let the consumer learn the input's partition leaders before assigning:
     * a partition assigned while its leader is unknown waits for librdkafka's
     * offset-query retry timer (0.5-1 s) before it fetches at all, so
     * partitions would start up to a second apart. */
    in_rkt = rd_kafka_topic_new(cons, o.input, NULL);
    sl_kafka_learn_topic(cons, in_rkt, 15000);
    rd_kafka_resp_err_t ae = rd_kafka_assign(cons, parts);
    if (ae) {
        fprintf(stderr, "bench-kafka_passthrough: assign: %s\n", rd_kafka_err2str(ae));
        goto out;
    }
    q = rd_kafka_queue_get_consumer(cons);

    long long consumed = 0;
    double start = sl_clock_mono_s(), first = 0, last_progress = start;
    while (consumed < want) {
        long long room = want - consumed;
        size_t max = (size_t)(room < BATCH_MAX ? room : BATCH_MAX);
        /* What is queued, without waiting; when nothing is, wait for one
         * message and take what came with it (as the worker does: a batch
         * call with a timeout waits until the batch is full, which would
         * count as latency in the benchmark's latency runs). */
        ssize_t n = rd_kafka_consume_batch_queue(q, 0, msgs, max);
        if (n == 0 && (n = rd_kafka_consume_batch_queue(q, 100, msgs, 1)) == 1 && max > 1) {
            ssize_t more = rd_kafka_consume_batch_queue(q, 0, msgs + 1, max - 1);
            if (more > 0)
                n += more;
        }
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (!m->err) {
                if (!first)
                    first = sl_clock_mono_s();
                if (forward(prod, out, m) != 0) {
                    for (; i < n; i++)
                        rd_kafka_message_destroy(msgs[i]);
                    goto out;
                }
                consumed++;
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                fprintf(stderr, "bench-kafka_passthrough: consume: %s\n",
                        rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_poll(prod, 0);
        if (n > 0)
            last_progress = sl_clock_mono_s();
        else if (sl_clock_mono_s() - last_progress > 30) {
            fprintf(stderr, "bench-kafka_passthrough: no input for 30 s after %lld message(s)\n",
                    consumed);
            break;
        }
    }
    while (st.delivered + st.failed < consumed && rd_kafka_outq_len(prod) > 0)
        rd_kafka_flush(prod, 1000);
    double end = sl_clock_mono_s();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double secs = end - start;
    /* msg_per_s is the figure: the whole run, assign to last delivery report.
     * startup_s and msg_per_s_from_first show how much of it was start-up
     * (offset lookup, first fetch). */
    printf("kafka_passthrough: messages=%lld delivered=%lld failed=%lld seconds=%.3f "
           "startup_s=%.3f msg_per_s=%.0f msg_per_s_from_first=%.0f peak_rss_kib=%ld\n",
           consumed, st.delivered, st.failed, secs, first ? first - start : secs,
           (double)st.delivered / secs, first ? (double)st.delivered / (end - first) : 0.0,
           ru.ru_maxrss);
    if (st.failed)
        fprintf(stderr, "bench-kafka_passthrough: first delivery error: %s\n", st.first_error);
    rc = (st.failed || st.delivered < want) ? 1 : 0;
out:
    if (q)
        rd_kafka_queue_destroy(q);
    if (cons) {
        rd_kafka_assign(cons, NULL);
        rd_kafka_consumer_close(cons);
        rd_kafka_destroy(cons);
    }
    if (out)
        rd_kafka_topic_destroy(out);
    if (in_rkt)
        rd_kafka_topic_destroy(in_rkt);
    if (prod) {
        rd_kafka_flush(prod, 10000);
        rd_kafka_destroy(prod);
    }
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    free(msgs);
    sl_topic_admin_destroy(admin);
    sl_kafka_props_clear(&o.props);
    return rc;
}

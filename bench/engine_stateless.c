/* engine_stateless — messages/s of the stateless engine against a bare
 * yyjson parse + write loop over the same messages, in the same run.
 *
 *   baseline: yyjson_read + yyjson_write (+ free) of each message
 *   engine:   the real executor and a plan parsed from a JSON spec:
 *             decode → assign speed_kmh = speed * 3.6 → filter speed_kmh > 100
 *             → to_topic (encode), batch memory reset every 1000 messages;
 *             and the same with every message passing the filter (worst case)
 *
 * Messages are ~120-byte JSON sensor readings with varied device ids,
 * timestamps, speeds (about half pass the filter), positions and statuses.
 * Each measurement is repeated; the medians are printed with ns/message and
 * the engine/baseline cost ratio. Never fails on timing (exit 1 only when
 * the engine itself fails). Usage: bench-engine_stateless [messages] [reps] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "engine/sl_exec.h"
#include "spec/sl_spec.h"
#include "util/sl_clock.h"

#define POOL 8192
#define BATCH 1000

/* %s: the filter's threshold (100 as in the issue; -1 lets every message
 * through, the worst case where every message is encoded). */
static const char *const spec_format =
    "{\"name\":\"bench\",\"input\":{\"topic\":\"sensors\"},\"steps\":["
    "{\"op\":\"assign\",\"columns\":{\"speed_kmh\":\"speed * 3.6\"}},"
    "{\"op\":\"filter\",\"where\":\"speed_kmh > %s\"},"
    "{\"op\":\"to_topic\",\"topic\":\"out\"}]}";

typedef struct sink {
    uint64_t bytes;
    uint64_t records;
} sink;

static int count(void *opaque, const sl_record *rec, sl_error *err)
{
    (void)err;
    sink *s = opaque;
    s->bytes += rec->value_len;
    s->records++;
    return SL_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Deterministic pseudo-random numbers (xorshift). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void make_messages(char **msgs, size_t *lens, double *avg_len)
{
    static const char *const statuses[] = {"ok", "ok", "ok", "degraded", "no-fix", "ok"};
    size_t total = 0;
    for (int i = 0; i < POOL; i++) {
        char buf[256];
        double speed = (double)(rnd() % 5600) / 100.0; /* 0..56 m/s: ~half above 100 km/h */
        double lat = 40.0 + (double)(rnd() % 150000) / 10000.0;
        double lon = -5.0 + (double)(rnd() % 300000) / 10000.0;
        int n = snprintf(buf, sizeof(buf),
                         "{\"device_id\":\"dev-%04u\",\"ts\":%llu,\"speed\":%.1f,\"lat\":%.4f,"
                         "\"lon\":%.4f,\"heading\":%u,\"battery\":%.2f,\"status\":\"%s\"}",
                         (unsigned)(rnd() % 10000), 1732400000000ull + (unsigned long long)i * 37,
                         speed, lat, lon, (unsigned)(rnd() % 360), (double)(rnd() % 100) / 100.0,
                         statuses[rnd() % 6]);
        msgs[i] = malloc((size_t)n + 1);
        memcpy(msgs[i], buf, (size_t)n + 1);
        lens[i] = (size_t)n;
        total += (size_t)n;
    }
    *avg_len = (double)total / POOL;
}

static double run_baseline(char **msgs, size_t *lens, long n, uint64_t *sum)
{
    double t0 = sl_clock_mono_s();
    for (long i = 0; i < n; i++) {
        int k = (int)(i % POOL);
        yyjson_doc *doc = yyjson_read(msgs[k], lens[k], 0);
        size_t len = 0;
        char *out = yyjson_write(doc, 0, &len);
        *sum += len;
        free(out);
        yyjson_doc_free(doc);
    }
    return sl_clock_mono_s() - t0;
}

static double run_engine(sl_exec *ex, char **msgs, size_t *lens, long n, int *failed)
{
    sl_error err;
    sl_message m = {0};
    m.partition = 0;
    m.key = "dev";
    m.key_len = 3;
    double t0 = sl_clock_mono_s();
    for (long i = 0; i < n; i++) {
        int k = (int)(i % POOL);
        m.value = msgs[k];
        m.value_len = lens[k];
        m.timestamp = 1732400000000 + i;
        m.offset = i;
        if (sl_exec_process(ex, &m, &err) != SL_OK) {
            fprintf(stderr, "engine failed: %s: %s\n", err.where, err.msg);
            *failed = 1;
            return 0;
        }
        if ((i + 1) % BATCH == 0)
            sl_exec_batch_reset(ex);
    }
    sl_exec_batch_reset(ex);
    return sl_clock_mono_s() - t0;
}

static sl_exec *make_exec(const char *threshold, sink *s, sl_plan **plan)
{
    char spec[512];
    sl_error err;
    snprintf(spec, sizeof(spec), spec_format, threshold);
    *plan = sl_plan_parse(spec, strlen(spec), &err);
    if (!*plan) {
        fprintf(stderr, "spec: %s: %s\n", err.where, err.msg);
        return NULL;
    }
    return sl_exec_create(*plan, "bench", count, s, &err);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    static char *msgs[POOL];
    static size_t lens[POOL];
    double avg_len, base[64], eng[64], all[64];
    uint64_t sum = 0;
    sink s = {0, 0}, s_all = {0, 0};
    sl_plan *plan = NULL, *plan_all = NULL;
    int failed = 0;

    if (n < 1)
        n = 1000000;
    if (reps < 1 || reps > 64)
        reps = 7;
    make_messages(msgs, lens, &avg_len);
    sl_exec *ex = make_exec("100", &s, &plan);
    sl_exec *ex_all = make_exec("-1", &s_all, &plan_all);
    if (!ex || !ex_all)
        return 1;
    /* warm-up: page in the pool, grow the arenas and buffers */
    run_baseline(msgs, lens, POOL, &sum);
    run_engine(ex, msgs, lens, POOL, &failed);
    run_engine(ex_all, msgs, lens, POOL, &failed);
    for (int r = 0; r < reps && !failed; r++) {
        base[r] = run_baseline(msgs, lens, n, &sum);
        eng[r] = run_engine(ex, msgs, lens, n, &failed);
        all[r] = run_engine(ex_all, msgs, lens, n, &failed);
    }
    if (failed)
        return 1;
    const sl_exec_counters *c = sl_exec_counters_get(ex);
    double b = median(base, reps), e = median(eng, reps), a = median(all, reps);
    printf("engine_stateless: %ld messages x %d repetitions, avg message %.0f bytes\n", n, reps,
           avg_len);
    printf("  baseline  yyjson read+write          median %9.0f msg/s %7.1f ns/msg\n",
           (double)n / b, b * 1e9 / (double)n);
    printf("  engine    filter speed_kmh > 100     median %9.0f msg/s %7.1f ns/msg  "
           "ratio %.2fx  (%.1f%% pass, encoded)\n",
           (double)n / e, e * 1e9 / (double)n, e / b, 100.0 * (double)c->out / (double)c->in);
    printf("  engine    filter speed_kmh > -1      median %9.0f msg/s %7.1f ns/msg  "
           "ratio %.2fx  (all pass, all encoded)\n",
           (double)n / a, a * 1e9 / (double)n, a / b);
    printf("  targets: engine cost <= 1.5x baseline, >= 2 M msg/s on one core\n");
    printf("  (checksums: %llu bytes baseline, %llu + %llu bytes out)\n", (unsigned long long)sum,
           (unsigned long long)s.bytes, (unsigned long long)s_all.bytes);
    sl_exec_destroy(ex);
    sl_exec_destroy(ex_all);
    sl_plan_free(plan);
    sl_plan_free(plan_all);
    for (int i = 0; i < POOL; i++)
        free(msgs[i]);
    return 0;
}

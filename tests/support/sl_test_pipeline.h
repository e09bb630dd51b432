/* sl_test_pipeline — the standalone-worker fixture shared by the worker
 * integration tests: a speeding pipeline (speed * 3.6, filter > 100,
 * to_topic) on fresh topics, a producer of numbered sensor messages and a
 * checker of the outputs. Header-only; needs cmocka.h included first. */
#ifndef SL_TEST_PIPELINE_H
#define SL_TEST_PIPELINE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_test_env.h"
#include "sl_test_proc.h"
#include "sl_test_topic.h"

#define PARTITIONS 4

typedef struct pipeline_run {
    char name[96];
    char input[128];
    char output[128];
    char dlq[160];
    char spec_path[256];
    char bin[512];
} pipeline_run;

/* The spec files this test program wrote; removed when it exits (a worker
 * restarted within a test reads its spec again, so not earlier). */
static char written_specs[16][256];
static int nwritten_specs;

static inline void remove_written_specs(void)
{
    for (int i = 0; i < nwritten_specs; i++)
        unlink(written_specs[i]);
}

/* Writes a spec for run (speed * 3.6, filter > 100, to_topic output) with
 * extra top-level JSON (may be ""); the file is removed at exit. */
static inline void write_spec(pipeline_run *run, const char *prefix, const char *extra)
{
    char tmp[64];
    sl_test_topic_name(tmp, sizeof(tmp), prefix);
    /* pipeline names: [a-z0-9-] only */
    snprintf(run->name, sizeof(run->name), "%s", tmp);
    snprintf(run->input, sizeof(run->input), "%s-in", run->name);
    snprintf(run->output, sizeof(run->output), "%s-out", run->name);
    snprintf(run->dlq, sizeof(run->dlq), "%s.dlq", run->name);
    snprintf(run->spec_path, sizeof(run->spec_path), "/tmp/%s.json", run->name);
    FILE *f = fopen(run->spec_path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"name\": \"%s\", \"input\": {\"topic\": \"%s\"},\n"
            " \"steps\": [\n"
            "  {\"op\": \"assign\", \"columns\": {\"speed_kmh\": \"speed * 3.6\"}},\n"
            "  {\"op\": \"filter\", \"where\": \"speed_kmh > 100\"},\n"
            "  {\"op\": \"to_topic\", \"topic\": \"%s\"}\n"
            " ]%s}\n",
            run->name, run->input, run->output, extra);
    fclose(f);
    if (nwritten_specs == 0)
        atexit(remove_written_specs);
    if (nwritten_specs < (int)(sizeof(written_specs) / sizeof(written_specs[0])))
        snprintf(written_specs[nwritten_specs++], sizeof(written_specs[0]), "%s", run->spec_path);
    sl_test_bin(run->bin, sizeof(run->bin), "sluice-worker");
    assert_int_equal(sl_test_create_topic(sl_test_bootstrap(), run->input, PARTITIONS), SL_OK);
}

static inline pid_t start_worker(pipeline_run *run, const char *extra_arg, const char *extra_val)
{
    char *argv[16];
    int n = 0;
    argv[n++] = run->bin;
    argv[n++] = "--standalone";
    argv[n++] = "-f";
    argv[n++] = run->spec_path;
    argv[n++] = "--bootstrap-servers";
    argv[n++] = (char *)sl_test_bootstrap();
    argv[n++] = "--commit-interval-ms";
    argv[n++] = "200";
    if (extra_arg) {
        argv[n++] = (char *)extra_arg;
        argv[n++] = (char *)extra_val;
    }
    argv[n] = NULL;
    pid_t pid = sl_test_spawn(argv, NULL);
    assert_true(pid > 0);
    return pid;
}

/* Produces messages [from, to): key dev-(i % 50), speed i % 60 (m/s). */
static inline void produce_range(const char *topic, int from, int to)
{
    sl_error err;
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), NULL, &err);
    assert_non_null(p);
    for (int i = from; i < to; i++) {
        char key[32], val[128];
        int kl = snprintf(key, sizeof(key), "dev-%d", i % 50);
        int vl = snprintf(val, sizeof(val), "{\"device_id\":\"dev-%d\",\"i\":%d,\"speed\":%d}",
                          i % 50, i, i % 60);
        assert_int_equal(sl_producer_send(p, topic, -1, key, (size_t)kl, val, (size_t)vl,
                                          sl_test_base_ts() + i, NULL, 0, &err),
                         SL_OK);
    }
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);
    sl_producer_destroy(p);
}

/* How many of [from, to) pass the filter (speed > 100/3.6, i.e. >= 28). */
static inline int expected_between(int from, int to)
{
    int n = 0;
    for (int i = from; i < to; i++)
        n += (i % 60) >= 28;
    return n;
}

/* Counts outputs per input index i into seen[], checking each value. */
static inline void tally(const sl_test_records *rs, int *seen, int max)
{
    for (size_t k = 0; k < rs->count; k++) {
        const sl_test_record *r = &rs->items[k];
        int i = -1, speed = -1;
        double kmh = -1;
        assert_non_null(r->value);
        const char *pi = strstr(r->value, "\"i\":");
        const char *ps = strstr(r->value, "\"speed\":");
        const char *pk = strstr(r->value, "\"speed_kmh\":");
        assert_non_null(pi);
        assert_non_null(ps);
        assert_non_null(pk);
        sscanf(pi + 4, "%d", &i);
        sscanf(ps + 8, "%d", &speed);
        sscanf(pk + 12, "%lf", &kmh);
        assert_true(i >= 0 && i < max);
        assert_true(speed >= 28);
        assert_true(kmh > 100.0 && kmh < speed * 3.6 + 1e-6 && kmh > speed * 3.6 - 1e-6);
        /* key and timestamp pass through from the input */
        char key[32];
        snprintf(key, sizeof(key), "dev-%d", i % 50);
        assert_non_null(r->key);
        assert_string_equal(r->key, key);
        assert_int_equal(r->timestamp, sl_test_base_ts() + i);
        seen[i]++;
    }
}

/* At least once: re-reads run's output until every expected input of
 * [0, total) shows up (or 20 rounds pass). Fills seen[0..total) with how
 * often each appeared and rs with the records; returns how many are missing. */
static inline size_t read_until_complete(const pipeline_run *run, int total, int *seen,
                                         sl_test_records *rs)
{
    size_t want = (size_t)expected_between(0, total), missing = want;
    for (int attempt = 0; attempt < 20 && missing > 0; attempt++) {
        sl_test_records_free(rs);
        sl_test_read_topic(sl_test_bootstrap(), run->output, want, 1500, 30000, rs);
        memset(seen, 0, (size_t)total * sizeof(*seen));
        tally(rs, seen, total);
        missing = 0;
        for (int i = 0; i < total; i++)
            missing += (i % 60) >= 28 && seen[i] == 0;
    }
    return missing;
}

#endif

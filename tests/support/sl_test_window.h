/* sl_test_window — a deterministic input for windowed pipelines and the
 * exact results an uninterrupted run of a 10 s tumbling window with
 * {"n": "count()", "s": "sum(v)"} per key must emit over it, for the tests
 * that interrupt a run (kill -9, moved tasks) and compare: message i has
 * event time SL_TEST_WIN_BASE_TS + i * SL_TEST_WIN_STEP_MS in its value
 * ("ts", for "input": {"timestamp": "ts"}), "v": i, and key k<i % keys> on
 * partition (key % SL_TEST_WIN_PARTITIONS). Header-only; needs cmocka.h. */
#ifndef SL_TEST_WINDOW_H
#define SL_TEST_WINDOW_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/sl_clock.h"

#include "sl_test_env.h"
#include "sl_test_topic.h"

#define SL_TEST_WIN_KEYS 10
#define SL_TEST_WIN_STEP_MS 100
#define SL_TEST_WIN_SIZE_MS 10000 /* the window of the spec under test: "10s" */
#define SL_TEST_WIN_BASE_TS sl_test_base_ts() /* a whole minute: windows align */
#define SL_TEST_WIN_MAX 64
#define SL_TEST_WIN_PARTITIONS 4

/* Produces messages [from, to) to topic; with flush, one more message per
 * key far in the future, which closes every earlier window of the key. */
static inline void sl_test_win_produce(const char *topic, int from, int to, int flush)
{
    sl_error err;
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), NULL, &err);
    assert_non_null(p);
    for (int i = from; i < to + (flush ? SL_TEST_WIN_KEYS : 0); i++) {
        int k = i < to ? i % SL_TEST_WIN_KEYS : i - to;
        long long ts = i < to ? SL_TEST_WIN_BASE_TS + (long long)i * SL_TEST_WIN_STEP_MS
                              : SL_TEST_WIN_BASE_TS + 100LL * SL_TEST_WIN_SIZE_MS;
        char key[16], val[96];
        int kl = snprintf(key, sizeof(key), "k%d", k);
        int vl = snprintf(val, sizeof(val), "{\"ts\": %lld, \"v\": %d}", ts, i < to ? i : 0);
        assert_int_equal(sl_producer_send(p, topic, k % SL_TEST_WIN_PARTITIONS, key, (size_t)kl,
                                          val, (size_t)vl, 0, NULL, 0, &err),
                         SL_OK);
    }
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);
    sl_producer_destroy(p);
}

/* What an uninterrupted run emits for messages [0, total). */
typedef struct sl_test_win_expect {
    long n[SL_TEST_WIN_KEYS][SL_TEST_WIN_MAX];
    long s[SL_TEST_WIN_KEYS][SL_TEST_WIN_MAX];
    int seen[SL_TEST_WIN_KEYS][SL_TEST_WIN_MAX];
} sl_test_win_expect;

static inline int sl_test_win_index(long long start)
{
    return (int)((start - (SL_TEST_WIN_BASE_TS - SL_TEST_WIN_BASE_TS % SL_TEST_WIN_SIZE_MS)) /
                 SL_TEST_WIN_SIZE_MS);
}

static inline void sl_test_win_expected(sl_test_win_expect *e, int total)
{
    memset(e, 0, sizeof(*e));
    for (int i = 0; i < total; i++) {
        long long ts = SL_TEST_WIN_BASE_TS + (long long)i * SL_TEST_WIN_STEP_MS;
        int wi = sl_test_win_index(ts - ts % SL_TEST_WIN_SIZE_MS);
        assert_true(wi >= 0 && wi < SL_TEST_WIN_MAX);
        e->n[i % SL_TEST_WIN_KEYS][wi]++;
        e->s[i % SL_TEST_WIN_KEYS][wi] += i;
    }
}

/* Checks every result against e (an empty window or another count or sum
 * fails) and counts how often each window appeared. */
static inline void sl_test_win_check(const sl_test_records *rs, sl_test_win_expect *e)
{
    memset(e->seen, 0, sizeof(e->seen));
    for (size_t k = 0; k < rs->count; k++) {
        const sl_test_record *r = &rs->items[k];
        int key = -1;
        long long start = -1;
        long n = -1;
        double sum = -1;
        assert_non_null(r->key);
        assert_non_null(r->value);
        assert_int_equal(sscanf(r->key, "k%d", &key), 1);
        const char *ps = strstr(r->value, "\"start\":");
        const char *pn = strstr(r->value, "\"n\":");
        const char *pv = strstr(r->value, "\"s\":");
        if (!ps || !pn || !pv)
            fail_msg("not a window result: %s", r->value);
        sscanf(ps + 8, "%lld", &start);
        sscanf(pn + 4, "%ld", &n);
        sscanf(pv + 4, "%lf", &sum);
        int wi = sl_test_win_index(start);
        assert_true(key >= 0 && key < SL_TEST_WIN_KEYS && wi >= 0 && wi < SL_TEST_WIN_MAX);
        if (e->n[key][wi] == 0)
            fail_msg("result for an empty window: %s %s", r->key, r->value);
        if (n != e->n[key][wi] || (long)sum != e->s[key][wi])
            fail_msg("wrong aggregate for %s: %s (want n=%ld s=%ld)", r->key, r->value,
                     e->n[key][wi], e->s[key][wi]);
        e->seen[key][wi]++;
    }
}

/* Reads the output (read_committed) until every expected result is there
 * or 90 s passed; asserts each appears exactly once. */
static inline void sl_test_win_verify_exactly_once(const char *output, int total)
{
    static sl_test_win_expect e;
    sl_test_win_expected(&e, total);
    size_t want = 0, missing = 0, dups = 0;
    for (int k = 0; k < SL_TEST_WIN_KEYS; k++)
        for (int wi = 0; wi < SL_TEST_WIN_MAX; wi++)
            want += e.n[k][wi] > 0;
    sl_test_records rs = {0};
    int64_t deadline = sl_clock_mono_ms() + 90000;
    do {
        sl_test_records_free(&rs);
        sl_test_read_topic_iso(sl_test_bootstrap(), output, want, 2000, 30000, "read_committed",
                               &rs);
        sl_test_win_check(&rs, &e);
        missing = dups = 0;
        for (int k = 0; k < SL_TEST_WIN_KEYS; k++)
            for (int wi = 0; wi < SL_TEST_WIN_MAX; wi++) {
                missing += e.n[k][wi] > 0 && e.seen[k][wi] == 0;
                dups += e.seen[k][wi] > 1 ? (size_t)(e.seen[k][wi] - 1) : 0;
            }
    } while (missing && sl_clock_mono_ms() < deadline);
    fprintf(stderr,
            "exactly-once: %zu results expected, %zu read, %zu missing, "
            "%zu repeated\n",
            want, rs.count, missing, dups);
    sl_test_records_free(&rs);
    assert_int_equal(missing, 0);
    assert_int_equal(dups, 0);
}

#endif

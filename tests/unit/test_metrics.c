/* Unit tests for common/metrics: the exact Prometheus text rendering of
 * counters, gauges and histograms with labels, escaping, argument checks,
 * removal of series, and concurrent updates and scrapes. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/sl_metrics.h"

static void test_render_counter_gauge(void **state)
{
    (void)state;
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    sl_metrics *m = sl_metrics_create(&err);
    assert_non_null(m);

    sl_label l3[] = {{"task", "speeding/3"}, {"topic", "sensors"}, {"partition", "3"}};
    sl_label l1[] = {{"task", "speeding/1"}, {"topic", "sensors"}, {"partition", "1"}};
    sl_counter *c3 = sl_metrics_counter_create(m, "sluice_messages_in_total",
                                               "Messages consumed.", l3, 3, &err);
    sl_counter *c1 = sl_metrics_counter_create(m, "sluice_messages_in_total",
                                               "Messages consumed.", l1, 3, &err);
    sl_gauge *g = sl_metrics_gauge_create(m, "sluice_tasks_running", "Tasks running.", NULL, 0,
                                          &err);
    assert_non_null(c3);
    assert_non_null(c1);
    assert_non_null(g);
    sl_counter_add(c3, 41);
    sl_counter_inc(c3);
    sl_counter_inc(c1);
    sl_gauge_set(g, 2.5);
    sl_gauge_add(g, -1);
    assert_int_equal(sl_counter_value(c3), 42);
    assert_true(sl_gauge_value(g) == 1.5);

    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_string_equal(
        out.data,
        "# HELP sluice_messages_in_total Messages consumed.\n"
        "# TYPE sluice_messages_in_total counter\n"
        "sluice_messages_in_total{task=\"speeding/3\",topic=\"sensors\",partition=\"3\"} 42\n"
        "sluice_messages_in_total{task=\"speeding/1\",topic=\"sensors\",partition=\"1\"} 1\n"
        "# HELP sluice_tasks_running Tasks running.\n"
        "# TYPE sluice_tasks_running gauge\n"
        "sluice_tasks_running 1.5\n");

    /* Gauges print Prometheus' spellings of the special values and short
     * decimals. */
    sl_buf_reset(&out);
    sl_gauge_set(g, INFINITY);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_non_null(strstr(out.data, "sluice_tasks_running +Inf\n"));
    sl_buf_reset(&out);
    sl_gauge_set(g, 0.1);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_non_null(strstr(out.data, "sluice_tasks_running 0.1\n"));

    sl_buf_free(&out);
    sl_metrics_destroy(m);
}

static void test_render_histogram(void **state)
{
    (void)state;
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    sl_metrics *m = sl_metrics_create(&err);
    const double bounds[] = {0.25, 0.5, 1};
    sl_label l[] = {{"task", "speeding/3"}};
    sl_histogram *h = sl_metrics_histogram_create(m, "sluice_batch_seconds",
                                                  "Time to process one batch.", bounds, 3, l, 1,
                                                  &err);
    sl_histogram *bare = sl_metrics_histogram_create(m, "sluice_checkpoint_seconds",
                                                     "Checkpoint duration.", bounds, 3, NULL, 0,
                                                     &err);
    assert_non_null(h);
    assert_non_null(bare);
    sl_histogram_observe(h, 0.25); /* "le" is inclusive */
    sl_histogram_observe(h, 0.5);
    sl_histogram_observe(h, 0.5);
    sl_histogram_observe(h, 2);
    sl_histogram_observe(bare, 0.75);
    assert_int_equal(sl_histogram_count(h), 4);
    assert_true(sl_histogram_sum(h) == 3.25);

    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_string_equal(out.data,
                        "# HELP sluice_batch_seconds Time to process one batch.\n"
                        "# TYPE sluice_batch_seconds histogram\n"
                        "sluice_batch_seconds_bucket{task=\"speeding/3\",le=\"0.25\"} 1\n"
                        "sluice_batch_seconds_bucket{task=\"speeding/3\",le=\"0.5\"} 3\n"
                        "sluice_batch_seconds_bucket{task=\"speeding/3\",le=\"1\"} 3\n"
                        "sluice_batch_seconds_bucket{task=\"speeding/3\",le=\"+Inf\"} 4\n"
                        "sluice_batch_seconds_sum{task=\"speeding/3\"} 3.25\n"
                        "sluice_batch_seconds_count{task=\"speeding/3\"} 4\n"
                        "# HELP sluice_checkpoint_seconds Checkpoint duration.\n"
                        "# TYPE sluice_checkpoint_seconds histogram\n"
                        "sluice_checkpoint_seconds_bucket{le=\"0.25\"} 0\n"
                        "sluice_checkpoint_seconds_bucket{le=\"0.5\"} 0\n"
                        "sluice_checkpoint_seconds_bucket{le=\"1\"} 1\n"
                        "sluice_checkpoint_seconds_bucket{le=\"+Inf\"} 1\n"
                        "sluice_checkpoint_seconds_sum 0.75\n"
                        "sluice_checkpoint_seconds_count 1\n");

    /* The preset bucket lists are valid histogram bounds. */
    sl_histogram *p = sl_metrics_histogram_create(
        m, "sluice_preset_seconds", "Preset.", sl_metrics_buckets_checkpoint_seconds,
        sl_metrics_buckets_checkpoint_seconds_count, NULL, 0, &err);
    assert_non_null(p);
    sl_histogram *q = sl_metrics_histogram_create(
        m, "sluice_preset2_seconds", "Preset.", sl_metrics_buckets_batch_seconds,
        sl_metrics_buckets_batch_seconds_count, NULL, 0, &err);
    assert_non_null(q);
    sl_buf_reset(&out);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_non_null(strstr(out.data, "sluice_preset_seconds_bucket{le=\"0.005\"} 0\n"));
    assert_non_null(strstr(out.data, "sluice_preset2_seconds_bucket{le=\"0.0005\"} 0\n"));

    sl_buf_free(&out);
    sl_metrics_destroy(m);
}

static void test_escaping(void **state)
{
    (void)state;
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    sl_metrics *m = sl_metrics_create(&err);
    sl_label l[] = {{"path", "C:\\tmp \"x\"\nnext"}};
    sl_counter *c =
        sl_metrics_counter_create(m, "sluice_odd_total", "Help with \\ and\nnewline \"kept\".",
                                  l, 1, &err);
    assert_non_null(c);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_string_equal(out.data,
                        "# HELP sluice_odd_total Help with \\\\ and\\nnewline \"kept\".\n"
                        "# TYPE sluice_odd_total counter\n"
                        "sluice_odd_total{path=\"C:\\\\tmp \\\"x\\\"\\nnext\"} 0\n");
    sl_buf_free(&out);
    sl_metrics_destroy(m);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    sl_error err;
    sl_metrics *m = sl_metrics_create(&err);
    const double bounds[] = {1, 2};
    const double unsorted[] = {2, 1};
    sl_label ok[] = {{"task", "a"}};
    sl_label bad_name[] = {{"1task", "a"}};
    sl_label reserved[] = {{"__name", "a"}};
    sl_label le[] = {{"le", "1"}};
    sl_label twice[] = {{"task", "a"}, {"task", "b"}};

    assert_null(sl_metrics_counter_create(m, "bad-name", "", NULL, 0, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_null(sl_metrics_counter_create(m, "9lives", "", NULL, 0, &err));
    assert_null(sl_metrics_counter_create(m, "x_total", "", bad_name, 1, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_null(sl_metrics_counter_create(m, "x_total", "", reserved, 1, &err));
    assert_null(sl_metrics_counter_create(m, "x_total", "", twice, 2, &err));
    assert_null(sl_metrics_histogram_create(m, "h_seconds", "", bounds, 2, le, 1, &err));
    assert_null(sl_metrics_histogram_create(m, "h_seconds", "", unsorted, 2, NULL, 0, &err));
    assert_null(sl_metrics_histogram_create(m, "h_seconds", "", bounds, 0, NULL, 0, &err));
    assert_int_equal(sl_metrics_series_count(m), 0);

    /* One family has one type, one help text and one set of bounds. */
    assert_non_null(sl_metrics_counter_create(m, "x_total", "X.", ok, 1, &err));
    sl_label other[] = {{"task", "b"}};
    assert_null(sl_metrics_gauge_create(m, "x_total", "X.", other, 1, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_null(sl_metrics_counter_create(m, "x_total", "Other help.", other, 1, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_non_null(sl_metrics_histogram_create(m, "h_seconds", "H.", bounds, 2, ok, 1, &err));
    assert_null(sl_metrics_histogram_create(m, "h_seconds", "H.", bounds, 1, other, 1, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);

    /* The same label set (in any order) is the same series: refused. */
    sl_label ab[] = {{"a", "1"}, {"b", "2"}};
    sl_label ba[] = {{"b", "2"}, {"a", "1"}};
    assert_non_null(sl_metrics_gauge_create(m, "g", "G.", ab, 2, &err));
    assert_null(sl_metrics_gauge_create(m, "g", "G.", ba, 2, &err));
    assert_int_equal(err.code, SL_ERR_EXISTS);
    assert_null(sl_metrics_counter_create(m, "x_total", "X.", ok, 1, &err));
    assert_int_equal(err.code, SL_ERR_EXISTS);
    assert_int_equal(sl_metrics_series_count(m), 3);
    sl_metrics_destroy(m);
}

static void test_remove(void **state)
{
    (void)state;
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    sl_metrics *m = sl_metrics_create(&err);
    const double bounds[] = {1};
    sl_label t1[] = {{"task", "p/1"}};
    sl_label t2[] = {{"task", "p/2"}};
    sl_counter *a1 = sl_metrics_counter_create(m, "in_total", "In.", t1, 1, &err);
    sl_counter *a2 = sl_metrics_counter_create(m, "in_total", "In.", t2, 1, &err);
    sl_gauge *g1 = sl_metrics_gauge_create(m, "lag", "Lag.", t1, 1, &err);
    sl_histogram *h1 = sl_metrics_histogram_create(m, "batch_seconds", "B.", bounds, 1, t1, 1,
                                                   &err);
    sl_gauge *up = sl_metrics_gauge_create(m, "up", "Up.", NULL, 0, &err);
    assert_non_null(a1);
    assert_non_null(a2);
    assert_non_null(g1);
    assert_non_null(h1);
    assert_non_null(up);
    assert_int_equal(sl_metrics_series_count(m), 5);

    /* Removing one series keeps its siblings. */
    sl_metrics_counter_remove(m, a2);
    sl_metrics_counter_remove(m, NULL);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_null(strstr(out.data, "p/2"));
    assert_non_null(strstr(out.data, "in_total{task=\"p/1\"} 0\n"));

    /* A stopping task drops all its series at once; families left empty are
     * not printed at all. */
    assert_int_equal(sl_metrics_remove_matching(m, "task", "p/1"), 3);
    assert_int_equal(sl_metrics_remove_matching(m, "task", "p/1"), 0);
    assert_int_equal(sl_metrics_series_count(m), 1);
    sl_buf_reset(&out);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_string_equal(out.data, "# HELP up Up.\n# TYPE up gauge\nup 0\n");

    /* The task comes back: its series start from zero. */
    a1 = sl_metrics_counter_create(m, "in_total", "In.", t1, 1, &err);
    assert_non_null(a1);
    assert_int_equal(sl_counter_value(a1), 0);
    sl_metrics_gauge_remove(m, up);
    sl_buf_reset(&out);
    assert_int_equal(sl_metrics_render(m, &out), SL_OK);
    assert_string_equal(out.data, "# HELP in_total In.\n# TYPE in_total counter\n"
                                  "in_total{task=\"p/1\"} 0\n");
    sl_metrics_histogram_remove(m, NULL);
    sl_buf_free(&out);
    sl_metrics_destroy(m);
    sl_metrics_destroy(NULL);
}

/* ---- concurrency ----------------------------------------------------------- */

#define PER_THREAD 200000

typedef struct shared {
    sl_metrics *m;
    sl_counter *c;
    sl_histogram *h;
    sl_gauge *g;
    volatile int stop;
    int scrapes;
    int bad_scrapes;
} shared;

static void *updater(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        sl_counter_inc(s->c);
        sl_histogram_observe(s->h, (i % 4) * 0.5); /* 0, 0.5, 1, 1.5 */
        sl_gauge_add(s->g, 1);
    }
    return NULL;
}

/* Scrapes while other threads update, create and remove series. */
static void *scraper(void *arg)
{
    shared *s = arg;
    sl_buf out = SL_BUF_INIT;
    do {
        sl_buf_reset(&out);
        if (sl_metrics_render(s->m, &out) != SL_OK || !strstr(out.data, "# TYPE work_total"))
            s->bad_scrapes++;
        s->scrapes++;
    } while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE));
    sl_buf_free(&out);
    return NULL;
}

/* A task coming and going over and over while scrapes run. */
static void *churner(void *arg)
{
    shared *s = arg;
    sl_error err;
    char task[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(task, sizeof(task), "churn/%d", i % 7);
        sl_label l[] = {{"task", task}};
        sl_counter *c = sl_metrics_counter_create(s->m, "churn_total", "Churn.", l, 1, &err);
        if (!c)
            continue;
        sl_counter_inc(c);
        if (i % 2)
            sl_metrics_counter_remove(s->m, c);
        else
            sl_metrics_remove_matching(s->m, "task", task);
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    sl_error err;
    shared s = {0};
    const double bounds[] = {0.5, 1};
    s.m = sl_metrics_create(&err);
    s.c = sl_metrics_counter_create(s.m, "work_total", "Work.", NULL, 0, &err);
    s.h = sl_metrics_histogram_create(s.m, "work_seconds", "Work.", bounds, 2, NULL, 0, &err);
    s.g = sl_metrics_gauge_create(s.m, "work_gauge", "Work.", NULL, 0, &err);
    assert_non_null(s.c);
    assert_non_null(s.h);
    assert_non_null(s.g);

    pthread_t t1, t2, ts, tc;
    assert_int_equal(pthread_create(&ts, NULL, scraper, &s), 0);
    assert_int_equal(pthread_create(&tc, NULL, churner, &s), 0);
    assert_int_equal(pthread_create(&t1, NULL, updater, &s), 0);
    assert_int_equal(pthread_create(&t2, NULL, updater, &s), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_join(tc, NULL);
    __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
    pthread_join(ts, NULL);

    assert_int_equal(sl_counter_value(s.c), 2 * PER_THREAD);
    assert_int_equal(sl_histogram_count(s.h), 2 * PER_THREAD);
    /* Each thread observes 0+0.5+1+1.5 = 3 per 4 values. */
    assert_true(sl_histogram_sum(s.h) == 2.0 * PER_THREAD / 4 * 3);
    assert_true(sl_gauge_value(s.g) == 2.0 * PER_THREAD);
    assert_int_equal(s.bad_scrapes, 0);
    assert_true(s.scrapes > 0);
    assert_int_equal(sl_metrics_series_count(s.m), 3);

    sl_buf out = SL_BUF_INIT;
    assert_int_equal(sl_metrics_render(s.m, &out), SL_OK);
    assert_non_null(strstr(out.data, "work_total 400000\n"));
    assert_non_null(strstr(out.data, "work_seconds_bucket{le=\"0.5\"} 200000\n"));
    assert_non_null(strstr(out.data, "work_seconds_bucket{le=\"1\"} 300000\n"));
    assert_non_null(strstr(out.data, "work_seconds_bucket{le=\"+Inf\"} 400000\n"));
    assert_non_null(strstr(out.data, "work_seconds_count 400000\n"));
    assert_null(strstr(out.data, "churn_total{"));
    sl_buf_free(&out);
    sl_metrics_destroy(s.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_counter_gauge), cmocka_unit_test(test_render_histogram),
        cmocka_unit_test(test_escaping),             cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_remove),               cmocka_unit_test(test_concurrent_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

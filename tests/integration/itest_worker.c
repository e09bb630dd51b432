/* Integration: sluice-worker in standalone mode against the broker named by
 * SLUICE_TEST_BOOTSTRAP — values and counts of a pipeline, SIGTERM then
 * restart without duplicates, kill -9 then restart without loss, and bad
 * input (broken JSON, oversized values, tombstones, null keys) going to the
 * dead-letter topic while the pipeline goes on. Every run uses fresh topics
 * and a fresh pipeline name, so consumer groups never collide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/sl_buf.h"

#include "sl_test_http.h"
#include "sl_test_pipeline.h"

#define T0 sl_test_base_ts() /* recent: see sl_test_env.h */

static void test_values_and_counts(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    pipeline_run run;
    write_spec(&run, "values", "");
    produce_range(run.input, 0, 3000);
    pid_t pid = start_worker(&run, NULL, NULL);
    sl_test_records rs = {0};
    size_t want = (size_t)expected_between(0, 3000);
    sl_test_read_topic(sl_test_bootstrap(), run.output, want, 1500, 60000, &rs);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 20000), 0);
    assert_int_equal(rs.count, want);
    static int seen[3000];
    memset(seen, 0, sizeof(seen));
    tally(&rs, seen, 3000);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(seen[i], (i % 60) >= 28 ? 1 : 0);
    sl_test_records_free(&rs);
}

static void test_sigterm_restart_no_duplicates(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    pipeline_run run;
    write_spec(&run, "sigterm", "");
    produce_range(run.input, 0, 2000);
    pid_t pid = start_worker(&run, NULL, NULL);
    sl_test_records rs = {0};
    sl_test_read_topic(sl_test_bootstrap(), run.output, (size_t)expected_between(0, 2000), 1000,
                       60000, &rs);
    /* SIGTERM: finish the batch, checkpoint, exit 0. */
    assert_int_equal(sl_test_stop(pid, SIGTERM, 20000), 0);
    sl_test_records_free(&rs);

    produce_range(run.input, 2000, 4000);
    pid = start_worker(&run, NULL, NULL);
    size_t want = (size_t)expected_between(0, 4000);
    sl_test_read_topic(sl_test_bootstrap(), run.output, want, 2000, 60000, &rs);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 20000), 0);
    static int seen[4000];
    memset(seen, 0, sizeof(seen));
    tally(&rs, seen, 4000);
    for (int i = 0; i < 4000; i++)
        assert_int_equal(seen[i], (i % 60) >= 28 ? 1 : 0); /* exactly once */
    assert_int_equal(rs.count, want);
    sl_test_records_free(&rs);
}

static void test_kill9_restart_no_loss(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    pipeline_run run;
    write_spec(&run, "kill9", "");
    const int total = 20000;
    produce_range(run.input, 0, total);
    pid_t pid = start_worker(&run, "--batch-size", "200");
    /* Let it get part of the way, then kill it without warning. */
    sl_test_records partial = {0};
    sl_test_read_topic(sl_test_bootstrap(), run.output, 500, 0, 30000, &partial);
    assert_true(partial.count >= 500);
    kill(pid, SIGKILL);
    assert_int_equal(sl_test_wait(pid, 10000), 128 + SIGKILL);
    sl_test_records_free(&partial);

    pid = start_worker(&run, NULL, NULL);
    sl_test_records rs = {0};
    static int seen[20000];
    /* At least once: read until every expected input shows up. */
    size_t missing = read_until_complete(&run, total, seen, &rs);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 20000), 0);
    assert_int_equal(missing, 0);
    for (int i = 0; i < total; i++)
        if ((i % 60) < 28)
            assert_int_equal(seen[i], 0);
    sl_test_records_free(&rs);
}

static void test_bad_input_dead_letters(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    pipeline_run run;
    write_spec(&run, "badinput", "");
    sl_error err;
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), NULL, &err);
    assert_non_null(p);
    char big[3000];
    memset(big, 'x', sizeof(big));
    memcpy(big, "{\"speed\":50,\"pad\":\"", 19);
    memcpy(big + sizeof(big) - 2, "\"}", 2);
    sl_header h = {"trace", "abc", 3};
    /* good, broken JSON, oversized, tombstone, null key (good), wrong type */
    assert_int_equal(sl_producer_send(p, run.input, 0, "k1", 2, "{\"speed\":40,\"i\":1}", 18,
                                      T0 + 1, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k2", 2, "{\"speed\":", 9, T0 + 2,
                                      &h, 1, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k3", 2, big, sizeof(big), T0 + 3,
                                      NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k4", 2, NULL, 0, T0 + 4, NULL, 0,
                                      &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, NULL, 0, "{\"speed\":30,\"i\":5}", 18,
                                      T0 + 5, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k6", 2, "{\"speed\":\"fast\",\"i\":6}",
                                      22, T0 + 6, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k7", 2, "{\"speed\":29,\"i\":7}", 18,
                                      T0 + 7, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);
    sl_producer_destroy(p);

    pid_t pid = start_worker(&run, "--max-message-bytes", "1000");
    sl_test_records out = {0}, dlq = {0};
    sl_test_read_topic(sl_test_bootstrap(), run.output, 3, 1000, 60000, &out);
    sl_test_read_topic(sl_test_bootstrap(), run.dlq, 3, 1000, 60000, &dlq);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 20000), 0);

    /* The good ones went through (outputs are partitioned by key, so look
     * them up rather than relying on order); the null key stayed null. */
    assert_int_equal(out.count, 3);
    const sl_test_record *o1 = NULL, *o5 = NULL, *o7 = NULL;
    for (size_t k = 0; k < out.count; k++) {
        if (strstr(out.items[k].value, "\"i\":1,") || strstr(out.items[k].value, "\"i\":1}"))
            o1 = &out.items[k];
        if (strstr(out.items[k].value, "\"i\":5"))
            o5 = &out.items[k];
        if (strstr(out.items[k].value, "\"i\":7"))
            o7 = &out.items[k];
    }
    assert_non_null(o1);
    assert_non_null(o5);
    assert_non_null(o7);
    assert_string_equal(o1->key, "k1");
    assert_null(o5->key);
    assert_string_equal(o7->key, "k7");

    /* Broken JSON, oversized, wrong type: dead letters with reasons. */
    assert_int_equal(dlq.count, 3);
    const sl_test_record *d2 = NULL, *d3 = NULL, *d6 = NULL;
    for (size_t k = 0; k < dlq.count; k++) {
        assert_non_null(dlq.items[k].key);
        if (strcmp(dlq.items[k].key, "k2") == 0)
            d2 = &dlq.items[k];
        if (strcmp(dlq.items[k].key, "k3") == 0)
            d3 = &dlq.items[k];
        if (strcmp(dlq.items[k].key, "k6") == 0)
            d6 = &dlq.items[k];
    }
    assert_non_null(d2);
    assert_non_null(d3);
    assert_non_null(d6);
    assert_string_equal(d2->value, "{\"speed\":");
    assert_int_equal(d2->timestamp, T0 + 2);
    assert_non_null(sl_test_header(d2, "sluice.error"));
    assert_string_equal(sl_test_header(d2, "trace"), "abc");
    assert_string_equal(sl_test_header(d2, "sluice.step"), "input");
    char src[200];
    snprintf(src, sizeof(src), "%s/0/1", run.input);
    assert_string_equal(sl_test_header(d2, "sluice.source"), src);

    assert_null(d3->value);
    assert_non_null(strstr(sl_test_header(d3, "sluice.error"), "exceeds"));

    assert_non_null(sl_test_header(d6, "sluice.error"));
    assert_string_equal(sl_test_header(d6, "sluice.step"), "0");
    sl_test_records_free(&out);
    sl_test_records_free(&dlq);
}

/* Sums the values of every series of metric in a Prometheus text body. */
static double metric_sum(const char *body, const char *metric)
{
    double sum = 0;
    size_t n = strlen(metric);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, metric, n) == 0 && (p[n] == '{' || p[n] == ' ')) {
            const char *sp = strchr(p, ' ');
            const char *nl = strchr(p, '\n');
            if (sp && (!nl || sp < nl))
                sum += atof(sp + 1);
        }
    }
    return sum;
}

static void test_metrics_and_health(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    pipeline_run run;
    write_spec(&run, "metrics", "");
    produce_range(run.input, 0, 1200);
    char port[16];
    snprintf(port, sizeof(port), "%d", 10000 + (int)(getpid() % 22000)); /* below ephemeral ports */
    char *argv[] = {run.bin, "--standalone", "-f", run.spec_path, "--bootstrap-servers",
                    (char *)sl_test_bootstrap(), "--metrics-port", port, "--metrics-address",
                    "127.0.0.1", "--commit-interval-ms", "200", NULL};
    pid_t pid = sl_test_spawn(argv, NULL);
    assert_true(pid > 0);
    sl_test_records rs = {0};
    size_t want = (size_t)expected_between(0, 1200);
    sl_test_read_topic(sl_test_bootstrap(), run.output, want, 1000, 60000, &rs);
    assert_int_equal(rs.count, want);
    char url[128];
    sl_buf body = SL_BUF_INIT;
    double in = 0;
    /* Counters are published after each batch; give the last one a moment. */
    for (int i = 0; i < 50 && in < 1200; i++) {
        snprintf(url, sizeof(url), "http://127.0.0.1:%s/metrics", port);
        assert_int_equal(sl_test_http_get(url, &body), 200);
        in = metric_sum(body.data, "sluice_task_messages_in_total");
        sl_test_sleep_ms(100);
    }
    assert_true(in == 1200);
    assert_true(metric_sum(body.data, "sluice_task_messages_out_total") == (double)want);
    assert_non_null(strstr(body.data, "# TYPE sluice_batch_processing_seconds histogram"));
    assert_non_null(strstr(body.data, "sluice_checkpoint_seconds_count"));
    assert_non_null(strstr(body.data, "sluice_task_consumer_lag{"));
    assert_non_null(strstr(body.data, "sluice_task_late_total{"));
    char series[256];
    snprintf(series, sizeof(series), "sluice_task_messages_in_total{pipeline=\"%s\",partition=\"0\"}",
             run.name);
    assert_non_null(strstr(body.data, series));
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/healthz", port);
    assert_int_equal(sl_test_http_get(url, &body), 200);
    assert_non_null(strstr(body.data, "ok"));
    assert_int_equal(sl_test_stop(pid, SIGTERM, 20000), 0);
    sl_buf_free(&body);
    sl_test_records_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_counts),
        cmocka_unit_test(test_sigterm_restart_no_duplicates),
        cmocka_unit_test(test_kill9_restart_no_loss),
        cmocka_unit_test(test_bad_input_dead_letters),
        cmocka_unit_test(test_metrics_and_health),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

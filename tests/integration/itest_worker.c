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

#include "sl_test_pipeline.h"

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
    size_t want = (size_t)expected_between(0, total);
    static int seen[20000];
    /* At least once: read until every expected input shows up. */
    size_t missing = want;
    for (int attempt = 0; attempt < 20 && missing > 0; attempt++) {
        sl_test_records_free(&rs);
        sl_test_read_topic(sl_test_bootstrap(), run.output, want, 1500, 30000, &rs);
        memset(seen, 0, sizeof(seen));
        tally(&rs, seen, total);
        missing = 0;
        for (int i = 0; i < total; i++)
            missing += (i % 60) >= 28 && seen[i] == 0;
    }
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
                                      1700000000001LL, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k2", 2, "{\"speed\":", 9, 1700000000002LL,
                                      &h, 1, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k3", 2, big, sizeof(big), 1700000000003LL,
                                      NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k4", 2, NULL, 0, 1700000000004LL, NULL, 0,
                                      &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, NULL, 0, "{\"speed\":30,\"i\":5}", 18,
                                      1700000000005LL, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k6", 2, "{\"speed\":\"fast\",\"i\":6}",
                                      22, 1700000000006LL, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_send(p, run.input, 0, "k7", 2, "{\"speed\":29,\"i\":7}", 18,
                                      1700000000007LL, NULL, 0, &err), SL_OK);
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
    assert_int_equal(d2->timestamp, 1700000000002LL);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_counts),
        cmocka_unit_test(test_sigterm_restart_no_duplicates),
        cmocka_unit_test(test_kill9_restart_no_loss),
        cmocka_unit_test(test_bad_input_dead_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

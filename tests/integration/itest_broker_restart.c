/* Integration (real Kafka only): the broker restarts while sluice-worker
 * runs; the worker retries, resumes when the broker is back, and loses
 * nothing. Runs alone (RUN_SERIAL): it takes the shared broker down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sl_test_pipeline.h"

static void test_broker_restart_no_loss(void **state)
{
    (void)state;
    /* Needs a broker this test may restart: the real one of scripts/kafka.sh. */
    if (!sl_test_bootstrap() || strcmp(sl_test_broker_kind(), "kafka") != 0 ||
        !getenv("SLUICE_KAFKA_DIR"))
        skip();
    pipeline_run run;
    write_spec(&run, "brokerrestart", "");
    const int total = 8000;
    produce_range(run.input, 0, total / 2);
    pid_t pid = start_worker(&run, NULL, NULL);
    sl_test_records rs = {0};
    sl_test_read_topic(sl_test_bootstrap(), run.output, 200, 0, 30000, &rs);
    assert_true(rs.count >= 200);
    sl_test_records_free(&rs);

    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "bash %s/scripts/kafka.sh restart >/dev/null", SLUICE_SOURCE_DIR);
    assert_int_equal(system(cmd), 0);
    produce_range(run.input, total / 2, total);

    static int seen[8000];
    size_t missing = read_until_complete(&run, total, seen, &rs);
    /* No input may be lost (the point of this test). The stop may take up to
     * two commit timeouts (30 s each): with librdkafka 2.0.2 a consumer's
     * group coordinator was seen to stay unreachable for over a minute after
     * the broker came back, so the final checkpoint's commit can wait out its
     * timeout (a known open problem, see docs/worker.md). */
    assert_int_equal(missing, 0);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 75000), 0);
    sl_test_records_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broker_restart_no_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

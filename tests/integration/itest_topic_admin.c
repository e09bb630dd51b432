/* Integration: topic creation with N partitions and compaction through
 * sl_topic_admin, on the broker named by SLUICE_TEST_BOOTSTRAP (the embedded
 * broker from another process, or a real Kafka broker). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/sl_topic_admin.h"
#include "sl_test_env.h"

static void test_create_describe(void **state)
{
    (void)state;
    const char *bootstrap = sl_test_bootstrap();
    if (!bootstrap)
        skip();
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(bootstrap, NULL, 10000, &err);
    assert_non_null(a);
    if (*sl_test_broker_kind())
        assert_string_equal(sl_topic_admin_backend(a), sl_test_broker_kind());

    char topic[128];
    sl_test_topic_name(topic, sizeof(topic), "admin-compact");
    sl_topic_config cfg[] = {{"cleanup.policy", "compact"}};
    assert_int_equal(sl_topic_admin_create_topic(a, topic, 5, cfg, 1, 15000, &err), SL_OK);
    int parts = 0;
    assert_int_equal(sl_topic_admin_partitions(a, topic, 10000, &parts, &err), SL_OK);
    assert_int_equal(parts, 5);
    char val[64] = "";
    assert_int_equal(
        sl_topic_admin_describe_config(a, topic, "cleanup.policy", val, sizeof(val), 10000, &err),
        SL_OK);
    assert_string_equal(val, "compact");

    /* Creating it again reports EXISTS and keeps the partition count. */
    assert_int_equal(sl_topic_admin_create_topic(a, topic, 2, NULL, 0, 10000, &err),
                     SL_ERR_EXISTS);
    assert_int_equal(sl_topic_admin_ensure_topic(a, topic, 2, NULL, 0, 10000, &parts, &err), SL_OK);
    assert_int_equal(parts, 5);

    /* A plain topic has the default (delete) cleanup policy on Kafka and no
     * recorded policy on the embedded broker. */
    char plain[128];
    sl_test_topic_name(plain, sizeof(plain), "admin-plain");
    assert_int_equal(sl_topic_admin_create_topic(a, plain, 1, NULL, 0, 15000, &err), SL_OK);
    int rc = sl_topic_admin_describe_config(a, plain, "cleanup.policy", val, sizeof(val), 10000,
                                            &err);
    if (strcmp(sl_topic_admin_backend(a), "kafka") == 0) {
        assert_int_equal(rc, SL_OK);
        assert_string_equal(val, "delete");
        assert_int_equal(sl_topic_admin_delete_topic(a, plain, 15000, &err), SL_OK);
    } else {
        assert_int_equal(rc, SL_ERR_NOT_FOUND);
    }

    char missing[128];
    sl_test_topic_name(missing, sizeof(missing), "admin-missing");
    assert_int_equal(sl_topic_admin_partitions(a, missing, 10000, &parts, &err), SL_ERR_NOT_FOUND);
    assert_int_equal(sl_topic_admin_create_topic(a, "not a valid name", 1, NULL, 0, 10000, &err),
                     SL_ERR_INVALID);
    sl_topic_admin_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

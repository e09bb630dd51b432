/* Unit tests for the in-process embedded broker and the topic admin's direct
 * embedded backend: a real mock cluster on loopback, no external broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_topic_admin.h"

static void test_broker_topics_in_process(void **state)
{
    (void)state;
    sl_error err;
    sl_embedded_broker *b = sl_embedded_broker_create(1, &err);
    assert_non_null(b);
    assert_non_null(strstr(sl_embedded_broker_bootstrap(b), "127.0.0.1:"));

    sl_topic_admin *a = sl_topic_admin_create_embedded(b, &err);
    assert_non_null(a);
    assert_string_equal(sl_topic_admin_backend(a), "embedded");
    sl_topic_config cfg[] = {{"cleanup.policy", "compact"}};
    assert_int_equal(sl_topic_admin_create_topic(a, "orders", 6, cfg, 1, 5000, &err), SL_OK);
    int parts = 0;
    assert_int_equal(sl_topic_admin_partitions(a, "orders", 5000, &parts, &err), SL_OK);
    assert_int_equal(parts, 6);
    char val[64];
    assert_int_equal(sl_topic_admin_describe_config(a, "orders", "cleanup.policy", val,
                                                    sizeof(val), 5000, &err),
                     SL_OK);
    assert_string_equal(val, "compact");
    assert_int_equal(sl_topic_admin_create_topic(a, "orders", 2, NULL, 0, 5000, &err),
                     SL_ERR_EXISTS);
    assert_int_equal(sl_topic_admin_ensure_topic(a, "orders", 2, NULL, 0, 5000, &parts, &err),
                     SL_OK);
    assert_int_equal(parts, 6);
    assert_int_equal(sl_topic_admin_partitions(a, "missing", 5000, &parts, &err),
                     SL_ERR_NOT_FOUND);
    assert_int_equal(sl_topic_admin_create_topic(a, "bad name!", 1, NULL, 0, 5000, &err),
                     SL_ERR_INVALID);
    assert_int_equal(sl_topic_admin_delete_topic(a, "orders", 5000, &err), SL_ERR_UNSUPPORTED);

    assert_int_equal(sl_embedded_broker_create_topic_arg(b, "events:3", &err), SL_OK);
    assert_int_equal(sl_topic_admin_partitions(a, "events", 5000, &parts, &err), SL_OK);
    assert_int_equal(parts, 3);
    assert_int_equal(sl_embedded_broker_create_topic_arg(b, "x:0", &err), SL_ERR_INVALID);
    assert_int_equal(sl_embedded_broker_create_topic_arg(b, "x:abc", &err), SL_ERR_INVALID);
    assert_int_equal(sl_embedded_broker_create_topic_arg(b, "plain", &err), SL_OK);
    assert_int_equal(sl_topic_admin_partitions(a, "plain", 5000, &parts, &err), SL_OK);
    assert_int_equal(parts, 1);

    sl_topic_admin_destroy(a);
    sl_embedded_broker_destroy(b);
    sl_embedded_broker_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broker_topics_in_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

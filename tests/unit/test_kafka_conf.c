/* Unit tests for common/kafka/sl_kafka_conf: -X properties and secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/sl_kafka_conf.h"

static void test_props_parse(void **state)
{
    (void)state;
    sl_kafka_props p = {0};
    sl_error err;
    assert_int_equal(sl_kafka_props_add_kv(&p, "security.protocol=SASL_SSL", &err), SL_OK);
    assert_int_equal(sl_kafka_props_add_kv(&p, "sasl.password=a=b", &err), SL_OK);
    assert_int_equal(p.count, 2);
    assert_string_equal(p.keys[1], "sasl.password");
    assert_string_equal(p.values[1], "a=b");
    assert_int_equal(sl_kafka_props_add_kv(&p, "novalue", &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "key=value"));
    assert_int_equal(sl_kafka_props_add_kv(&p, "=x", &err), SL_ERR_INVALID);
    sl_kafka_props_clear(&p);
    assert_int_equal(p.count, 0);
}

static void test_secrets(void **state)
{
    (void)state;
    assert_true(sl_kafka_prop_is_secret("sasl.password"));
    assert_true(sl_kafka_prop_is_secret("ssl.key.password"));
    assert_true(sl_kafka_prop_is_secret("sasl.oauthbearer.config"));
    assert_false(sl_kafka_prop_is_secret("bootstrap.servers"));
    assert_false(sl_kafka_prop_is_secret("linger.ms"));
}

static void test_conf_rejects_unknown_property(void **state)
{
    (void)state;
    sl_kafka_props p = {0};
    sl_error err;
    sl_kafka_props_add(&p, "linger.ms", "7", &err);
    rd_kafka_conf_t *conf = sl_kafka_conf_new("127.0.0.1:9092", &p, &err);
    assert_non_null(conf);
    char val[64];
    size_t sz = sizeof(val);
    assert_int_equal(rd_kafka_conf_get(conf, "linger.ms", val, &sz), RD_KAFKA_CONF_OK);
    assert_string_equal(val, "7");
    rd_kafka_conf_destroy(conf);
    sl_kafka_props_add(&p, "no.such.property", "1", &err);
    assert_null(sl_kafka_conf_new("127.0.0.1:9092", &p, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no.such.property"));
    sl_kafka_props_clear(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_props_parse),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_conf_rejects_unknown_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

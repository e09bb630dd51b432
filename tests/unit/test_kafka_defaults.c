/* Unit tests for worker/runtime/sl_kafka_defaults: what a worker's Kafka
 * clients end up with, read back from a real librdkafka configuration (the
 * property list is applied in order, so the last value of a key wins). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "kafka/sl_fetch_waker.h"
#include "kafka/sl_kafka_conf.h"
#include "runtime/sl_kafka_defaults.h"

typedef int (*defaults_fn)(sl_kafka_props *, const sl_worker_config *, sl_error *);

/* The value of key in the configuration built from fn's properties, with
 * the user's -X properties user[] ("key=value", NULL-terminated), into out. */
static void conf_value(defaults_fn fn, const char *const *user, const char *key, char *out,
                       size_t size)
{
    sl_worker_config cfg = {0};
    sl_kafka_props props = {0};
    sl_error err;
    for (; user && *user; user++)
        assert_int_equal(sl_kafka_props_add_kv(&cfg.props, *user, &err), SL_OK);
    assert_int_equal(fn(&props, &cfg, &err), SL_OK);
    rd_kafka_conf_t *conf = sl_kafka_conf_new("127.0.0.1:9", &props, &err);
    if (!conf)
        fail_msg("configuration refused: %s", err.msg);
    size_t len = size;
    assert_int_equal(rd_kafka_conf_get(conf, key, out, &len), RD_KAFKA_CONF_OK);
    rd_kafka_conf_destroy(conf);
    sl_kafka_props_clear(&props);
    sl_kafka_props_clear(&cfg.props);
}

static void assert_conf(defaults_fn fn, const char *const *user, const char *key,
                        const char *want)
{
    char v[256];
    conf_value(fn, user, key, v, sizeof(v));
    if (strcmp(v, want) != 0)
        fail_msg("%s = %s, want %s", key, v, want);
}

static void test_consumer_prefetch_and_override(void **state)
{
    (void)state;
    assert_conf(sl_kafka_defaults_consumer, NULL, "queued.max.messages.kbytes", "2048");
    assert_conf(sl_kafka_defaults_consumer, NULL, "fetch.wait.max.ms", "100");
    const char *const user[] = {"queued.max.messages.kbytes=8192", NULL};
    assert_conf(sl_kafka_defaults_consumer, user, "queued.max.messages.kbytes", "8192");
}

static void test_restore_consumer(void **state)
{
    (void)state;
    /* The same bounded prefetch as processing (not the 64 MiB it had). */
    assert_conf(sl_kafka_defaults_restore_consumer, NULL, "queued.max.messages.kbytes", "2048");
    assert_conf(sl_kafka_defaults_restore_consumer, NULL, "fetch.wait.max.ms", "50");
    /* The user tunes it like every client ... */
    const char *const user[] = {"queued.max.messages.kbytes=4096", "isolation.level=read_uncommitted",
                                "enable.partition.eof=false", NULL};
    assert_conf(sl_kafka_defaults_restore_consumer, user, "queued.max.messages.kbytes", "4096");
    /* ... but cannot turn off what a correct restore needs. */
    assert_conf(sl_kafka_defaults_restore_consumer, user, "isolation.level", "read_committed");
    assert_conf(sl_kafka_defaults_restore_consumer, user, "enable.partition.eof", "true");
}

/* Fails when fn's property list names key at all. */
static void assert_no_key(defaults_fn fn, const char *key)
{
    sl_worker_config cfg = {0};
    sl_kafka_props props = {0};
    sl_error err;
    assert_int_equal(fn(&props, &cfg, &err), SL_OK);
    for (size_t i = 0; i < props.count; i++)
        assert_string_not_equal(props.keys[i], key);
    sl_kafka_props_clear(&props);
}

static void test_fetch_backoff_when_available(void **state)
{
    (void)state;
    if (sl_fetch_waker_needed()) {
        /* Not a property before 2.2: setting it would be refused. */
        assert_no_key(sl_kafka_defaults_consumer, "fetch.queue.backoff.ms");
        assert_no_key(sl_kafka_defaults_restore_consumer, "fetch.queue.backoff.ms");
        return;
    }
    assert_conf(sl_kafka_defaults_consumer, NULL, "fetch.queue.backoff.ms", "10");
    assert_conf(sl_kafka_defaults_restore_consumer, NULL, "fetch.queue.backoff.ms", "10");
}

static void test_producer_defaults(void **state)
{
    (void)state;
    assert_conf(sl_kafka_defaults_producer, NULL, "linger.ms", "5");
    assert_conf(sl_kafka_defaults_producer, NULL, "message.timeout.ms", "0");
    const char *const user[] = {"linger.ms=1", NULL};
    assert_conf(sl_kafka_defaults_producer, user, "linger.ms", "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_prefetch_and_override),
        cmocka_unit_test(test_restore_consumer),
        cmocka_unit_test(test_fetch_backoff_when_available),
        cmocka_unit_test(test_producer_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

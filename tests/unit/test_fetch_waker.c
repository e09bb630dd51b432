/* Unit tests for sl_fetch_waker through sl_consumer: a consumer whose queue
 * cap is far below what the topic holds reads everything, in order, exactly
 * once, and on librdkafka < 2.2 the waker is what kept it fetching. Runs on
 * the embedded broker (a real mock cluster on loopback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kafka/sl_consumer.h"
#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_fetch_waker.h"
#include "util/sl_clock.h"

#define PARTITIONS 2
#define PER_PARTITION 6000 /* x 200 bytes: ~1.2 MiB each, far above the cap */

static void produce_all(const char *bootstrap, const char *topic)
{
    char errstr[256], value[200];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)),
        RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    assert_non_null(p);
    memset(value, 'v', sizeof(value));
    for (int32_t part = 0; part < PARTITIONS; part++)
        for (int i = 0; i < PER_PARTITION; i++) {
            int n = snprintf(value, sizeof(value), "%d:%d:", part, i);
            value[n] = 'v';
            rd_kafka_resp_err_t e;
            while ((e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                                          RD_KAFKA_V_VALUE(value, sizeof(value)),
                                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                          RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(p, 10);
            assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
        }
    assert_int_equal(rd_kafka_flush(p, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
}

static void test_small_queue_reads_everything_once(void **state)
{
    (void)state;
    sl_error err;
    sl_embedded_broker *b = sl_embedded_broker_create(1, &err);
    assert_non_null(b);
    assert_int_equal(sl_embedded_broker_create_topic_arg(b, "waker:2", &err), SL_OK);
    produce_all(sl_embedded_broker_bootstrap(b), "waker");

    sl_kafka_props props = {0};
    assert_int_equal(sl_kafka_props_add(&props, "queued.max.messages.kbytes", "64", &err), SL_OK);
    assert_int_equal(sl_kafka_props_add(&props, "fetch.wait.max.ms", "100", &err), SL_OK);
    sl_consumer *c = sl_consumer_create(sl_embedded_broker_bootstrap(b), NULL, &props, &err);
    sl_kafka_props_clear(&props);
    assert_non_null(c);
    unsigned long wakes_before = sl_fetch_waker_wakes();
    for (int32_t part = 0; part < PARTITIONS; part++)
        assert_int_equal(sl_consumer_assign(c, "waker", part, RD_KAFKA_OFFSET_BEGINNING, &err),
                         SL_OK);

    int64_t next[PARTITIONS] = {0};
    int total = 0;
    rd_kafka_message_t *msgs[500];
    /* A hang guard, not a timing assertion: without any waking this still
     * finishes, about one queue's worth per second. */
    time_t give_up = time(NULL) + 100;
    while (total < PARTITIONS * PER_PARTITION && time(NULL) < give_up) {
        int n = sl_consumer_poll_batch(c, 100, msgs, 500, &err);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            assert_int_equal(m->err, RD_KAFKA_RESP_ERR_NO_ERROR);
            assert_true(m->partition >= 0 && m->partition < PARTITIONS);
            assert_int_equal(m->offset, next[m->partition]); /* in order, no gap, no repeat */
            char want[32];
            int wn =
                snprintf(want, sizeof(want), "%d:%lld:", (int)m->partition, (long long)m->offset);
            assert_memory_equal(m->payload, want, (size_t)wn);
            next[m->partition]++;
            total++;
            rd_kafka_message_destroy(m);
        }
    }
    assert_int_equal(total, PARTITIONS * PER_PARTITION);
    if (sl_fetch_waker_needed())
        assert_true(sl_fetch_waker_wakes() > wakes_before);
    else
        assert_int_equal(sl_fetch_waker_wakes(), wakes_before);

    assert_int_equal(sl_consumer_unassign(c, &err), SL_OK);
    sl_consumer_destroy(c);
    sl_embedded_broker_destroy(b);
}

static void test_entry_lifecycle(void **state)
{
    (void)state;
    /* NULL entries (librdkafka >= 2.2, or no memory) are accepted everywhere. */
    sl_fetch_waker_poke(NULL);
    sl_fetch_waker_set_partitions(NULL, NULL);
    sl_fetch_waker_remove(NULL);

    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "group.id", "waker-test", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    assert_non_null(rk);
    sl_fetch_waker_entry *e = sl_fetch_waker_add(rk);
    if (!sl_fetch_waker_needed()) {
        assert_null(e);
    } else {
        assert_non_null(e);
        /* Poked with nothing assigned: nothing to wake, no request sent. */
        unsigned long before = sl_fetch_waker_wakes();
        sl_fetch_waker_poke(e);
        sl_fetch_waker_set_partitions(e, NULL);
        sl_clock_sleep_ms(50);
        assert_int_equal(sl_fetch_waker_wakes(), before);
        sl_fetch_waker_remove(e);
    }
    rd_kafka_destroy(rk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_lifecycle),
        cmocka_unit_test(test_small_queue_reads_everything_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sl_producer's checkpoint epochs (the flush that does not
 * wait): an epoch is delivered only once every record sent before it was
 * closed has its delivery report, records sent later do not hold it back,
 * and only one closed epoch may be outstanding. On the embedded broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_producer.h"
#include "util/sl_clock.h"

static void send_n(sl_producer *p, int n)
{
    sl_error err;
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_producer_send(p, "epochs", -1, "k", 1, "v", 1, 0, NULL, 0, &err),
                         SL_OK);
}

/* Serves delivery reports until epoch is delivered; returns the result. */
static int wait_delivered(sl_producer *p, uint64_t epoch)
{
    sl_error err;
    time_t give_up = time(NULL) + 30; /* hang guard */
    int st;
    while ((st = sl_producer_epoch_delivered(p, epoch, &err)) == 0 && time(NULL) < give_up) {
        sl_clock_sleep_ms(1);
        sl_producer_poll(p);
    }
    return st;
}

static void test_epochs(void **state)
{
    (void)state;
    sl_error err;
    sl_embedded_broker *b = sl_embedded_broker_create(1, &err);
    assert_non_null(b);
    assert_int_equal(sl_embedded_broker_create_topic_arg(b, "epochs:2", &err), SL_OK);
    sl_producer *p = sl_producer_create(sl_embedded_broker_bootstrap(b), NULL, &err);
    assert_non_null(p);

    send_n(p, 100);
    uint64_t e1 = sl_producer_epoch_close(p);
    assert_true(e1 > 0);
    /* Reports are served only by polling: nothing can be delivered yet. */
    assert_int_equal(sl_producer_epoch_delivered(p, e1, &err), 0);
    send_n(p, 50); /* the next epoch */
    /* One closed epoch at a time. */
    assert_int_equal(sl_producer_epoch_close(p), 0);
    assert_int_equal(wait_delivered(p, e1), 1);
    assert_int_equal(sl_producer_delivered(p) >= 100, 1);

    /* The 50 belong to the epoch closed now; an empty epoch is delivered at once. */
    uint64_t e2 = sl_producer_epoch_close(p);
    assert_int_equal(e2, e1 + 1);
    assert_int_equal(wait_delivered(p, e2), 1);
    assert_int_equal(sl_producer_delivered(p), 150);
    uint64_t e3 = sl_producer_epoch_close(p);
    assert_int_equal(e3, e2 + 1);
    assert_int_equal(sl_producer_epoch_delivered(p, e3, &err), 1);
    assert_int_equal(sl_producer_failed(p), 0);

    /* The waiting flush still works beside epochs. */
    send_n(p, 10);
    assert_int_equal(sl_producer_flush(p, 10000, &err), SL_OK);
    assert_int_equal(sl_producer_delivered(p), 160);

    sl_producer_destroy(p);
    sl_embedded_broker_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

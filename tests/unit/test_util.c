/* Unit tests for common/util: errors, arena, buffer, durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/sl_arena.h"
#include "util/sl_buf.h"
#include "util/sl_clock.h"
#include "util/sl_duration.h"
#include "util/sl_error.h"
#include "util/sl_log.h"

static void test_error_format(void **state)
{
    (void)state;
    sl_error err;
    char buf[256];
    sl_error_clear(&err);
    assert_int_equal(err.code, SL_OK);
    assert_int_equal(sl_error_set_pos(&err, SL_ERR_SYNTAX, 7, "expected ')'"), SL_ERR_SYNTAX);
    sl_error_where(&err, "steps[%d].where", 2);
    assert_string_equal(sl_error_format(&err, buf, sizeof(buf)),
                        "steps[2].where: expected ')' (at position 7)");
    sl_error_set(&err, SL_ERR_IO, "disk full");
    sl_error_where(&err, "%s", "");
    assert_string_equal(sl_error_format(&err, buf, sizeof(buf)), "disk full");
    assert_string_equal(sl_status_name(SL_ERR_OVERFLOW), "integer overflow");
    assert_string_equal(sl_status_name(12345), "unknown status");
    /* NULL error records are allowed everywhere. */
    assert_int_equal(sl_error_set(NULL, SL_ERR_IO, "x"), SL_ERR_IO);
}

static void test_arena_alloc_reset(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(1024);
    assert_non_null(a);
    char *p = sl_arena_alloc(a, 10);
    char *q = sl_arena_alloc(a, 10);
    assert_non_null(p);
    assert_non_null(q);
    assert_true(((uintptr_t)p % 16) == 0 && ((uintptr_t)q % 16) == 0);
    assert_true(q >= p + 10);
    memset(p, 'x', 10);
    /* A request bigger than a block gets its own block. */
    char *big = sl_arena_alloc(a, 100000);
    assert_non_null(big);
    memset(big, 0, 100000);
    assert_true(sl_arena_used(a) >= 100020);
    char *s = sl_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    sl_arena_reset(a);
    assert_int_equal(sl_arena_used(a), 0);
    /* After a reset the biggest block is reused: a big request fits again. */
    char *again = sl_arena_alloc(a, 90000);
    assert_non_null(again);
    sl_arena_destroy(a);
    sl_arena_destroy(NULL);
}

static void test_buf(void **state)
{
    (void)state;
    sl_buf b = SL_BUF_INIT;
    assert_int_equal(sl_buf_append_str(&b, "abc"), SL_OK);
    assert_int_equal(sl_buf_printf(&b, "-%d-", 42), SL_OK);
    assert_string_equal(b.data, "abc-42-");
    assert_int_equal(b.len, 7);
    for (int i = 0; i < 1000; i++)
        sl_buf_append(&b, "0123456789", 10);
    assert_int_equal(b.len, 10007);
    sl_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    sl_buf_free(&b);
    sl_buf_free(NULL);
}

static void test_duration(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
        int64_t ms;
    } cases[] = {
        {"250ms", 1, 250},    {"30s", 1, 30000},  {"5m", 1, 300000}, {"1h", 1, 3600000},
        {"1d", 1, 86400000},  {"1500", 1, 1500},  {"0", 1, 0},       {"", 0, 0},
        {"s", 0, 0},          {"10x", 0, 0},      {"-5s", 0, 0},     {"1.5s", 0, 0},
        {"99999999999999999999", 0, 0},           {"9999999999999999d", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = -1;
        sl_error err;
        int rc = sl_duration_parse(cases[i].text, &ms, &err);
        if (cases[i].ok) {
            assert_int_equal(rc, SL_OK);
            assert_int_equal(ms, cases[i].ms);
        } else {
            assert_int_equal(rc, SL_ERR_INVALID);
            assert_non_null(strstr(err.msg, "invalid duration"));
        }
    }
}

static void test_log_level_parse(void **state)
{
    (void)state;
    assert_int_equal(sl_log_level_parse("debug"), SL_LOG_DEBUG);
    assert_int_equal(sl_log_level_parse("WARN"), SL_LOG_WARN);
    assert_int_equal(sl_log_level_parse("loud"), -1);
}

static void test_clock(void **state)
{
    (void)state;
    int64_t ms = sl_clock_mono_ms(), ns = sl_clock_mono_ns();
    double s0 = sl_clock_mono_s();
    sl_clock_sleep_ms(20); /* sleeps at least that long */
    assert_true(sl_clock_mono_ms() - ms >= 20);
    assert_true(sl_clock_mono_ns() - ns >= 20 * 1000000LL);
    assert_true(sl_clock_mono_s() - s0 >= 0.020);
    sl_clock_sleep_ms(0);
    sl_clock_sleep_ms(-5);
    assert_true(sl_clock_wall_ms() > 1700000000000LL); /* after 2023 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_arena_alloc_reset),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_log_level_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

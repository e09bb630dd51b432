/* Unit tests for cli/sluicectl_table: column widths, cleaning, header-less
 * tables, and the controller's JSON items as cells and rows (text, ratios,
 * durations, ages, rates).
 *
 * sluicectl's modules are not a library, and unit tests get the libraries'
 * include directories only, so the table printer's source is compiled into
 * this test directly (its own includes resolve next to it, in cli/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/sluicectl_table.c"

/* 2026-12-02T10:00:00Z */
#define NOW ((time_t)1796205600)

static char *render(const sluicectl_table *t, sl_buf *b)
{
    sl_buf_reset(b);
    assert_int_equal(sluicectl_table_render(t, b), SL_OK);
    return b->data ? b->data : "";
}

static void test_widths_and_gaps(void **state)
{
    (void)state;
    const char *headers[] = {"NAME", "VERSION", "STATE"};
    const char *r1[] = {"speeding", "2", "running"};
    const char *r2[] = {"a", "10", "error"};
    sl_buf b = SL_BUF_INIT;
    sluicectl_table *t = sluicectl_table_create(3, headers);
    assert_non_null(t);
    assert_string_equal(render(t, &b), "NAME   VERSION   STATE\n");
    assert_int_equal(sluicectl_table_add_row(t, r1), SL_OK);
    assert_int_equal(sluicectl_table_add_row(t, r2), SL_OK);
    assert_int_equal(sluicectl_table_rows(t), 2);
    assert_string_equal(render(t, &b), "NAME       VERSION   STATE\n"
                                       "speeding   2         running\n"
                                       "a          10        error\n");
    sluicectl_table_destroy(t);
    sl_buf_free(&b);
}

static void test_cells_cleaned_and_utf8(void **state)
{
    (void)state;
    const char *headers[] = {"K", "V"};
    const char *r1[] = {"h\xc3\xa9llo", "x"};          /* 5 characters, 6 bytes */
    const char *r2[] = {"a\nb\tc\x7f", "multi\nline"}; /* control characters */
    const char *r3[] = {NULL, "null cell"};
    sl_buf b = SL_BUF_INIT;
    sluicectl_table *t = sluicectl_table_create(2, headers);
    assert_non_null(t);
    assert_int_equal(sluicectl_table_add_row(t, r1), SL_OK);
    assert_int_equal(sluicectl_table_add_row(t, r2), SL_OK);
    assert_int_equal(sluicectl_table_add_row(t, r3), SL_OK);
    assert_string_equal(render(t, &b), "K        V\n"
                                       "h\xc3\xa9llo    x\n"
                                       "a b c    multi line\n"
                                       "         null cell\n");
    assert_int_equal(sluicectl_table_width("h\xc3\xa9llo"), 5);
    assert_int_equal(sluicectl_table_width("\xe2\x86\x92"), 1);
    assert_int_equal(sluicectl_table_width(""), 0);
    sluicectl_table_destroy(t);
    sl_buf_free(&b);
}

static void test_no_trailing_blanks(void **state)
{
    (void)state;
    const char *headers[] = {"A", "B", "C"};
    const char *r1[] = {"x", "", ""};
    const char *r2[] = {"longer", "y", ""};
    sl_buf b = SL_BUF_INIT;
    sluicectl_table *t = sluicectl_table_create(3, headers);
    assert_int_equal(sluicectl_table_add_row(t, r1), SL_OK);
    assert_int_equal(sluicectl_table_add_row(t, r2), SL_OK);
    assert_string_equal(render(t, &b), "A        B   C\n"
                                       "x\n"
                                       "longer   y\n");
    sluicectl_table_destroy(t);
    sl_buf_free(&b);
}

static void test_headerless(void **state)
{
    (void)state;
    const char *r1[] = {"Name:", "speeding"};
    const char *r2[] = {"Dead letter:", "acme.speeding.dlq"};
    sl_buf b = SL_BUF_INIT;
    sluicectl_table *t = sluicectl_table_create(2, NULL);
    assert_non_null(t);
    assert_string_equal(render(t, &b), "");
    assert_int_equal(sluicectl_table_add_row(t, r1), SL_OK);
    assert_int_equal(sluicectl_table_add_row(t, r2), SL_OK);
    assert_string_equal(render(t, &b), "Name:          speeding\n"
                                       "Dead letter:   acme.speeding.dlq\n");
    sluicectl_table_destroy(t);
    sl_buf_free(&b);
    assert_null(sluicectl_table_create(0, NULL));
    sluicectl_table_destroy(NULL);
}

/* JSON text of a value → its cell. */
static const struct {
    const char *json;
    const char *cell;
} cell_cases[] = {
    {"\"acme\"", "acme"},
    {"null", SLUICECTL_TABLE_NONE},
    {"12", "12"},
    {"-3", "-3"},
    {"18446744073709551615", "18446744073709551615"},
    {"1.5", "1.5"},
    {"95.25", "95.25"},
    {"true", "true"},
    {"false", "false"},
    {"[\"acme.alerts\", \"acme.more\"]", "acme.alerts,acme.more"},
    {"[1, null]", "1,<none>"},
    {"[]", SLUICECTL_TABLE_NONE},
    {"{\"a\": 1}", "{\"a\":1}"},
    {"\"two\\nlines\"", "two\nlines"}, /* cleaned when added to a table */
};

static void test_json_cells(void **state)
{
    (void)state;
    sl_buf b = SL_BUF_INIT;
    for (size_t i = 0; i < sizeof(cell_cases) / sizeof(cell_cases[0]); i++) {
        yyjson_doc *doc = yyjson_read(cell_cases[i].json, strlen(cell_cases[i].json), 0);
        assert_non_null(doc);
        sl_buf_reset(&b);
        assert_int_equal(sluicectl_table_cell(&b, yyjson_doc_get_root(doc)), SL_OK);
        assert_string_equal(b.data, cell_cases[i].cell);
        yyjson_doc_free(doc);
    }
    sl_buf_reset(&b);
    assert_int_equal(sluicectl_table_cell(&b, NULL), SL_OK); /* a missing member */
    assert_string_equal(b.data, SLUICECTL_TABLE_NONE);
    sl_buf_free(&b);
}

static const struct {
    int64_t ms;
    const char *text;
} duration_cases[] = {
    {0, "0ms"},        {999, "999ms"},   {1000, "1.0s"},   {12345, "12.3s"},
    {59999, "59.9s"},  {60000, "1m0s"},  {245000, "4m5s"}, {3600000, "1h0m"},
    {7380000, "2h3m"}, {-1500, "-1.5s"}, {-20, "-20ms"},
};

static void test_durations(void **state)
{
    (void)state;
    sl_buf b = SL_BUF_INIT;
    for (size_t i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]); i++) {
        sl_buf_reset(&b);
        assert_int_equal(sluicectl_table_duration(&b, duration_cases[i].ms), SL_OK);
        assert_string_equal(b.data, duration_cases[i].text);
    }
    sl_buf_free(&b);
}

static const struct {
    const char *when;
    const char *age;
} age_cases[] = {
    {"2026-12-02T10:00:00Z", "0s"},
    {"2026-12-02T09:59:15Z", "45s"},
    {"2026-12-02T09:58:01.250Z", "119s"},
    {"2026-12-02T09:57:00Z", "3m"},
    {"2026-12-02T07:00:00Z", "3h"},
    {"2026-11-27T10:00:00Z", "5d"},
    {"2026-12-02T11:00:00+01:00", "0s"}, /* the same instant */
    {"2026-12-02T04:30:00-05:00", "30m"},
    {"2026-12-03T10:00:00Z", "0s"},                 /* in the future */
    {"yesterday", "yesterday"},                     /* not a time: as it is */
    {"2026-12-02T10:00:00", "2026-12-02T10:00:00"}, /* no zone */
    {"2026-13-02T10:00:00Z", "2026-13-02T10:00:00Z"},
};

static void test_ages(void **state)
{
    (void)state;
    sl_buf b = SL_BUF_INIT;
    for (size_t i = 0; i < sizeof(age_cases) / sizeof(age_cases[0]); i++) {
        sl_buf_reset(&b);
        assert_int_equal(sluicectl_table_age(&b, age_cases[i].when, NOW), SL_OK);
        assert_string_equal(b.data, age_cases[i].age);
    }
    sl_buf_free(&b);
}

static void test_json_rows(void **state)
{
    (void)state;
    static const sluicectl_column cols[] = {
        {"NAME", "name", SLUICECTL_COL_TEXT, NULL},
        {"TASKS", "tasks_running", SLUICECTL_COL_RATIO, "tasks_total"},
        {"HEARTBEAT", "hb_ms", SLUICECTL_COL_MS, NULL},
        {"RATE", "rate", SLUICECTL_COL_RATE, NULL},
        {"AGE", "created_at", SLUICECTL_COL_AGE, NULL},
        {"ERROR", "error", SLUICECTL_COL_TEXT, NULL},
    };
    const char *json =
        "{\"items\": ["
        "{\"name\": \"speeding\", \"tasks_running\": 3, \"tasks_total\": 4, \"hb_ms\": 350,"
        " \"rate\": 95.46, \"created_at\": \"2026-12-02T09:00:00Z\", \"error\": null},"
        "{\"name\": \"broken\", \"tasks_running\": 0, \"tasks_total\": 2, \"hb_ms\": 61000,"
        " \"rate\": 0, \"created_at\": \"2026-11-30T10:00:00Z\","
        " \"error\": \"input topic acme.sensors\\ndoes not exist\"},"
        "{\"name\": \"sparse\"}"
        "], \"next_page_token\": null}";
    yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
    yyjson_val *items = yyjson_obj_get(yyjson_doc_get_root(doc), "items");
    sl_buf b = SL_BUF_INIT;
    sluicectl_table *t = sluicectl_table_create_columns(cols, 6);
    assert_non_null(doc);
    assert_non_null(t);
    assert_int_equal(sluicectl_table_add_json_rows(t, cols, 6, items, NOW), SL_OK);
    assert_int_equal(sluicectl_table_rows(t), 3);
    assert_string_equal(render(t, &b),
                        "NAME       TASKS           HEARTBEAT   RATE     AGE      ERROR\n"
                        "speeding   3/4             350ms       95.5     60m      <none>\n"
                        "broken     0/2             1m1s        0.0      2d       input topic "
                        "acme.sensors does not exist\n"
                        "sparse     <none>/<none>   <none>      <none>   <none>   <none>\n");
    /* Not an array, or a wrong column count: no rows. */
    assert_int_equal(sluicectl_table_add_json_rows(t, cols, 6, yyjson_doc_get_root(doc), NOW),
                     SL_OK);
    assert_int_equal(sluicectl_table_rows(t), 3);
    assert_int_equal(sluicectl_table_add_json_row(t, cols, 5, yyjson_arr_get_first(items), NOW),
                     SL_ERR_INVALID);
    sluicectl_table_destroy(t);
    yyjson_doc_free(doc);
    sl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_widths_and_gaps),
        cmocka_unit_test(test_cells_cleaned_and_utf8),
        cmocka_unit_test(test_no_trailing_blanks),
        cmocka_unit_test(test_headerless),
        cmocka_unit_test(test_json_cells),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_ages),
        cmocka_unit_test(test_json_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the row (common/value/sl_row): column reads through the
 * overlay and the base, set/delete/select/rename/replace, splice encoding
 * against the general writer, copies, non-object values, and the
 * "assign sees the old row" pattern the engine uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr/sl_expr.h"
#include "value/sl_row.h"

static const char *INPUT = "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5}}";

typedef struct fixture {
    sl_mem *mem;
    sl_buf out;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->mem = sl_mem_create(0);
    *state = f;
    return f->mem ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sl_buf_free(&f->out);
    sl_mem_destroy(f->mem);
    free(f);
    return 0;
}

static void load(fixture *f, sl_row *row, const char *json)
{
    sl_error err;
    assert_int_equal(sl_row_init_json(row, f->mem, sl_value_str("k", 1), 42, json, strlen(json),
                                      &err),
                     SL_OK);
}

static const char *encode(fixture *f, const sl_row *row)
{
    sl_error err;
    sl_buf_reset(&f->out);
    int rc = sl_row_encode(row, &f->out, &err);
    if (rc != SL_OK)
        fail_msg("encode: %s", err.msg);
    return f->out.data;
}

/* The general writer's output for the same row (by materialising a copy). */
static const char *encode_general(fixture *f, const sl_row *row)
{
    sl_row copy;
    sl_error err;
    assert_int_equal(sl_row_copy(&copy, row, &err), SL_OK);
    copy.raw = NULL; /* white-box: forbid splicing */
    assert_false(sl_row_can_splice(&copy));
    return encode(f, &copy);
}

static void test_get_and_has(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_value v;
    sl_error err;
    load(f, &row, INPUT);
    assert_true(sl_row_is_object(&row));
    assert_int_equal(sl_row_ncols(&row), 3);
    assert_int_equal(sl_row_get(&row, "speed", 5, &v, &err), SL_OK);
    assert_int_equal(v.kind, SL_VAL_INT);
    assert_int_equal(v.u.i, 30);
    assert_int_equal(sl_row_get(&row, "nope", 4, &v, &err), SL_OK);
    assert_int_equal(v.kind, SL_VAL_NULL);
    assert_true(sl_row_has(&row, "gps", 3));
    assert_false(sl_row_has(&row, "gp", 2));
    assert_int_equal(row.timestamp, 42);
    assert_int_equal(row.key.kind, SL_VAL_STR);
}

static void test_splice_new_columns(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    load(f, &row, INPUT);
    assert_true(sl_row_can_splice(&row));
    assert_string_equal(encode(f, &row), INPUT);
    assert_int_equal(sl_row_set(&row, "speed_kmh", 9, sl_value_float(108.0), &err), SL_OK);
    assert_int_equal(sl_row_set(&row, "tag", 3, sl_value_str("a\"b", 3), &err), SL_OK);
    assert_true(sl_row_can_splice(&row));
    const char *want =
        "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5},\"speed_kmh\":108.0,\"tag\":\"a\\\"b\"}";
    assert_string_equal(encode(f, &row), want);
    assert_string_equal(encode_general(f, &row), want);
    /* Re-setting a new column keeps splicing and its position. */
    assert_int_equal(sl_row_set(&row, "speed_kmh", 9, sl_value_int(7), &err), SL_OK);
    assert_true(sl_row_can_splice(&row));
    assert_string_equal(encode(f, &row),
                        "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5},\"speed_kmh\":7,"
                        "\"tag\":\"a\\\"b\"}");
    /* Deleting a new column also keeps splicing. */
    assert_int_equal(sl_row_delete(&row, "tag", 3, &err), SL_OK);
    assert_true(sl_row_can_splice(&row));
    assert_string_equal(encode(f, &row),
                        "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5},\"speed_kmh\":7}");
    assert_int_equal(sl_row_ncols(&row), 4);
}

static void test_splice_edge_inputs(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    /* Empty object: no leading comma. */
    load(f, &row, "{}");
    assert_int_equal(sl_row_set(&row, "a", 1, sl_value_int(1), &err), SL_OK);
    assert_string_equal(encode(f, &row), "{\"a\":1}");
    /* Whitespace around and inside is kept verbatim, output stays valid. */
    load(f, &row, "  { \"a\" : 1 }\n");
    assert_int_equal(sl_row_set(&row, "b", 1, sl_value_bool(true), &err), SL_OK);
    assert_string_equal(encode(f, &row), "{ \"a\" : 1 ,\"b\":true}");
    assert_string_equal(encode_general(f, &row), "{\"a\":1,\"b\":true}");
    /* A value that is not an object is written as it is. */
    load(f, &row, "[1, 2]");
    assert_false(sl_row_is_object(&row));
    assert_string_equal(encode(f, &row), "[1,2]");
    assert_int_equal(sl_row_set(&row, "a", 1, sl_value_int(1), &err), SL_ERR_TYPE);
    assert_non_null(strstr(err.msg, "the message value is list, not an object"));
    /* Failed encode leaves the buffer as it was. */
    load(f, &row, "{\"a\":1}");
    assert_int_equal(sl_row_set(&row, "bad", 3, sl_value_float(NAN), &err), SL_OK);
    sl_buf_reset(&f->out);
    sl_buf_append_str(&f->out, "prefix");
    assert_int_equal(sl_row_encode(&row, &f->out, &err), SL_ERR_INVALID);
    assert_string_equal(f->out.data, "prefix");
}

static void test_override_and_delete_base(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    sl_value v;
    load(f, &row, INPUT);
    assert_int_equal(sl_row_set(&row, "new", 3, sl_value_int(1), &err), SL_OK);
    /* Overriding a base column keeps its position, no more splicing. */
    assert_int_equal(sl_row_set(&row, "speed", 5, sl_value_float(31.5), &err), SL_OK);
    assert_false(sl_row_can_splice(&row));
    assert_string_equal(encode(f, &row),
                        "{\"id\":\"d1\",\"speed\":31.5,\"gps\":{\"lat\":1.5},\"new\":1}");
    assert_int_equal(sl_row_get(&row, "speed", 5, &v, &err), SL_OK);
    assert_true(v.kind == SL_VAL_FLOAT && v.u.f == 31.5);
    /* Deleting base and missing columns. */
    load(f, &row, INPUT);
    assert_int_equal(sl_row_delete(&row, "missing", 7, &err), SL_OK);
    assert_true(sl_row_can_splice(&row));
    assert_int_equal(sl_row_delete(&row, "id", 2, &err), SL_OK);
    assert_false(sl_row_has(&row, "id", 2));
    assert_string_equal(encode(f, &row), "{\"speed\":30,\"gps\":{\"lat\":1.5}}");
    assert_int_equal(sl_row_ncols(&row), 2);
    /* Delete everything. */
    assert_int_equal(sl_row_delete(&row, "speed", 5, &err), SL_OK);
    assert_int_equal(sl_row_delete(&row, "gps", 3, &err), SL_OK);
    assert_string_equal(encode(f, &row), "{}");
    /* Set after materialising appends. */
    assert_int_equal(sl_row_set(&row, "z", 1, sl_value_null(), &err), SL_OK);
    assert_string_equal(encode(f, &row), "{\"z\":null}");
}

static void test_select(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    load(f, &row, INPUT);
    assert_int_equal(sl_row_set(&row, "kmh", 3, sl_value_float(108.0), &err), SL_OK);
    sl_str names[] = {sl_str_c("kmh"), sl_str_c("nope"), sl_str_c("id"), sl_str_c("kmh")};
    assert_int_equal(sl_row_select(&row, names, 4, &err), SL_OK);
    assert_string_equal(encode(f, &row), "{\"kmh\":108.0,\"id\":\"d1\"}");
    assert_int_equal(sl_row_ncols(&row), 2);
    /* Selecting nothing gives an empty object; a list value is a type error. */
    assert_int_equal(sl_row_select(&row, NULL, 0, &err), SL_OK);
    assert_string_equal(encode(f, &row), "{}");
    load(f, &row, "3");
    assert_int_equal(sl_row_select(&row, names, 1, &err), SL_ERR_TYPE);
    assert_int_equal(sl_row_delete(&row, "a", 1, &err), SL_ERR_TYPE);
}

static void test_rename(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    static const struct {
        const char *from[3], *to[3];
        size_t n;
        const char *want;
    } cases[] = {
        {{"speed"}, {"v"}, 1, "{\"id\":\"d1\",\"v\":30,\"gps\":{\"lat\":1.5}}"},
        {{"id", "speed"}, {"speed", "id"}, 2, "{\"speed\":\"d1\",\"id\":30,\"gps\":{\"lat\":1.5}}"},
        {{"missing"}, {"x"}, 1, "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5}}"},
        /* renamed column wins over an untouched one with the same name */
        {{"speed"}, {"id"}, 1, "{\"id\":30,\"gps\":{\"lat\":1.5}}"},
        /* two columns renamed to the same name: the later one wins */
        {{"id", "gps"}, {"x", "x"}, 2, "{\"speed\":30,\"x\":{\"lat\":1.5}}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_str from[3], to[3];
        for (size_t j = 0; j < cases[i].n; j++) {
            from[j] = sl_str_c(cases[i].from[j]);
            to[j] = sl_str_c(cases[i].to[j]);
        }
        load(f, &row, INPUT);
        assert_int_equal(sl_row_rename(&row, from, to, cases[i].n, &err), SL_OK);
        if (strcmp(encode(f, &row), cases[i].want) != 0)
            fail_msg("rename case %zu: got %s, want %s", i, f->out.data, cases[i].want);
    }
}

static void test_replace_and_value(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    sl_value v;
    load(f, &row, INPUT);
    /* Unchanged: the base itself. */
    assert_int_equal(sl_row_value(&row, &v, &err), SL_OK);
    assert_false(v.is_mut);
    /* Changed: a new object built in the batch document. */
    assert_int_equal(sl_row_set(&row, "x", 1, sl_value_int(5), &err), SL_OK);
    assert_int_equal(sl_row_value(&row, &v, &err), SL_OK);
    assert_true(v.is_mut);
    sl_buf b = SL_BUF_INIT;
    assert_int_equal(sl_value_write_json(v, &b, &err), SL_OK);
    assert_string_equal(b.data, "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5},\"x\":5}");
    sl_buf_free(&b);
    /* Replace with anything; then with an object again, columns work. */
    sl_row_replace(&row, sl_value_str("plain", 5));
    assert_false(sl_row_is_object(&row));
    assert_string_equal(encode(f, &row), "\"plain\"");
    assert_int_equal(sl_row_get(&row, "x", 1, &v, &err), SL_ERR_TYPE);
    sl_row_replace(&row, v = sl_value_null());
    assert_int_equal(sl_row_get(&row, "x", 1, &v, &err), SL_OK);
    assert_int_equal(sl_row_ncols(&row), 0);
    yyjson_mut_doc *doc = sl_mem_doc(f->mem);
    yyjson_mut_val *obj = yyjson_mut_obj(doc);
    yyjson_mut_obj_add_int(doc, obj, "m", 1);
    sl_row_replace(&row, sl_value_from_mut_json(obj));
    assert_int_equal(sl_row_set(&row, "n", 1, sl_value_int(2), &err), SL_OK);
    assert_int_equal(sl_row_set(&row, "m", 1, sl_value_int(3), &err), SL_OK);
    assert_string_equal(encode(f, &row), "{\"m\":3,\"n\":2}");
    /* set_raw is ignored for values that are not immutable objects. */
    sl_row_set_raw(&row, "{\"m\":1}", 7);
    assert_false(sl_row_can_splice(&row));
}

static void test_copy_is_independent(void **state)
{
    fixture *f = *state;
    sl_row a, b;
    sl_error err;
    load(f, &a, INPUT);
    assert_int_equal(sl_row_set(&a, "x", 1, sl_value_int(1), &err), SL_OK);
    assert_int_equal(sl_row_copy(&b, &a, &err), SL_OK);
    assert_int_equal(sl_row_set(&b, "x", 1, sl_value_int(2), &err), SL_OK);
    assert_int_equal(sl_row_set(&b, "y", 1, sl_value_int(3), &err), SL_OK);
    assert_int_equal(sl_row_delete(&b, "id", 2, &err), SL_OK);
    assert_string_equal(encode(f, &a), "{\"id\":\"d1\",\"speed\":30,\"gps\":{\"lat\":1.5},\"x\":1}");
    assert_string_equal(encode(f, &b), "{\"speed\":30,\"gps\":{\"lat\":1.5},\"x\":2,\"y\":3}");
}

/* The engine's assign: evaluate every expression on the old row, then set. */
static void test_assign_sees_old_row(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    sl_eval_ctx ctx = SL_EVAL_CTX_INIT(f->mem);
    load(f, &row, "{\"a\":1,\"b\":10}");
    static const char *names[] = {"a", "b", "c"};
    static const char *srcs[] = {"a + 100", "a + b", "a * 2"};
    sl_expr *exprs[3];
    sl_value results[3];
    for (int i = 0; i < 3; i++) {
        exprs[i] = sl_expr_compile(srcs[i], &err);
        assert_non_null(exprs[i]);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_expr_eval(exprs[i], &ctx, &row, &results[i], &err), SL_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_row_set(&row, names[i], 1, results[i], &err), SL_OK);
    /* b and c used the old a (1), not the new one (101). */
    assert_string_equal(encode(f, &row), "{\"a\":101,\"b\":11,\"c\":2}");
    for (int i = 0; i < 3; i++)
        sl_expr_free(exprs[i]);
}

/* Many columns: the overlay grows through several reallocations. */
static void test_many_columns(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    char names[100][8];
    load(f, &row, "{\"base\":0}");
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "c%d", i);
        assert_int_equal(sl_row_set(&row, names[i], strlen(names[i]), sl_value_int(i), &err), SL_OK);
    }
    assert_int_equal(sl_row_ncols(&row), 101);
    sl_value v;
    assert_int_equal(sl_row_get(&row, "c73", 3, &v, &err), SL_OK);
    assert_int_equal(v.u.i, 73);
    const char *spliced = encode(f, &row);
    char *copy = strdup(spliced);
    assert_string_equal(encode_general(f, &row), copy);
    free(copy);
    assert_int_equal(sl_row_delete(&row, "base", 4, &err), SL_OK);
    assert_int_equal(sl_row_ncols(&row), 100);
}

static void test_invalid_input(void **state)
{
    fixture *f = *state;
    sl_row row;
    sl_error err;
    assert_int_equal(sl_row_init_json(&row, f->mem, sl_value_null(), 0, "{\"a\":", 5, &err),
                     SL_ERR_SYNTAX);
    assert_int_equal(err.pos, 5);
    assert_int_equal(row.value.kind, SL_VAL_NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_and_has),
        cmocka_unit_test(test_splice_new_columns),
        cmocka_unit_test(test_splice_edge_inputs),
        cmocka_unit_test(test_override_and_delete_base),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_rename),
        cmocka_unit_test(test_replace_and_value),
        cmocka_unit_test(test_copy_is_independent),
        cmocka_unit_test(test_assign_sees_old_row),
        cmocka_unit_test(test_many_columns),
        cmocka_unit_test(test_invalid_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_aggregate — the aggregation functions and their binary state
 * (sl_aggregate.h): every function over inputs with nulls, ints and floats,
 * strings and lists; merging two states (sliding windows); the value codec;
 * errors (type, overflow, corrupt state). Table-driven: inputs as JSON
 * texts, the expected result as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/sl_aggregate.h"

#define MAX_VALS 8

typedef struct agg_case {
    sl_agg_kind kind;
    const char *in[MAX_VALS]; /* JSON texts, NULL-terminated */
    const char *want;         /* JSON of the result */
} agg_case;

static const agg_case cases[] = {
    {SL_AGG_COUNT_ALL, {NULL}, "0"},
    {SL_AGG_COUNT_ALL, {"1", "null", "\"x\""}, "3"},
    {SL_AGG_COUNT, {"1", "null", "\"x\"", "null"}, "2"},
    {SL_AGG_SUM, {NULL}, "0"},
    {SL_AGG_SUM, {"null"}, "0"},
    {SL_AGG_SUM, {"1", "2", "null", "3"}, "6"},
    {SL_AGG_SUM, {"1", "2.5", "null"}, "3.5"},
    {SL_AGG_SUM, {"0.5", "1"}, "1.5"},
    {SL_AGG_SUM, {"-9223372036854775807", "-1"}, "-9223372036854775808"},
    {SL_AGG_MEAN, {NULL}, "null"},
    {SL_AGG_MEAN, {"null", "null"}, "null"},
    {SL_AGG_MEAN, {"1", "null", "2"}, "1.5"},
    {SL_AGG_MEAN, {"2", "4"}, "3.0"},
    {SL_AGG_MIN, {NULL}, "null"},
    {SL_AGG_MIN, {"null", "3", "1.5", "null", "2"}, "1.5"},
    {SL_AGG_MIN, {"\"b\"", "\"a\"", "\"c\""}, "\"a\""},
    {SL_AGG_MIN, {"[2, 1]", "[1, 9]", "[3]"}, "[1,9]"},
    {SL_AGG_MAX, {"null", "3", "7", "null", "2"}, "7"},
    {SL_AGG_MAX, {"1", "1.0"}, "1"},
    {SL_AGG_MAX, {"false", "true"}, "true"},
    {SL_AGG_FIRST, {"null", "\"x\"", "\"y\""}, "\"x\""},
    {SL_AGG_FIRST, {"{\"a\": [1, {\"b\": null}]}", "2"}, "{\"a\":[1,{\"b\":null}]}"},
    {SL_AGG_FIRST, {"null"}, "null"},
    {SL_AGG_LAST, {"1", "2", "null"}, "2"},
    {SL_AGG_LAST, {"1", "\"tail é\""}, "\"tail é\""},
    {SL_AGG_COLLECT, {NULL}, "[]"},
    {SL_AGG_COLLECT, {"1", "null", "2.5", "\"s\"", "[1]", "{\"k\": true}", "false"},
     "[1,2.5,\"s\",[1],{\"k\":true},false]"},
};

static sl_value parse(sl_mem *mem, const char *json)
{
    sl_error err;
    yyjson_doc *d = sl_mem_read_json(mem, json, strlen(json), &err);
    assert_non_null(d);
    return sl_value_from_json(yyjson_doc_get_root(d));
}

/* The result of state st as the JSON of its only aggregation "r". */
static void result_json(const sl_agg *aggs, size_t n, const sl_buf *st, sl_mem *mem, sl_buf *out)
{
    sl_error err;
    yyjson_mut_val *obj = yyjson_mut_obj(sl_mem_doc(mem));
    assert_int_equal(sl_agg_state_result(aggs, n, st->data, st->len, mem, obj, &err), SL_OK);
    sl_buf_reset(out);
    assert_int_equal(sl_value_write_json(sl_value_from_mut_json(obj), out, &err), SL_OK);
}

/* Folds vals into a fresh state of aggs (one value per aggregation). */
static int fold(const sl_agg *aggs, size_t naggs, const char *const *in, sl_mem *mem, sl_buf *st,
                sl_error *err)
{
    sl_buf next = SL_BUF_INIT;
    sl_value vals[4];
    int rc = SL_OK;
    sl_buf_reset(st);
    assert_int_equal(sl_agg_state_init(aggs, naggs, st), SL_OK);
    for (size_t i = 0; rc == SL_OK && i < MAX_VALS && in[i]; i++) {
        for (size_t a = 0; a < naggs; a++)
            vals[a] = parse(mem, in[i]);
        sl_buf_reset(&next);
        rc = sl_agg_state_update(aggs, naggs, st->data, st->len, vals, mem, &next, NULL, err);
        if (rc == SL_OK) {
            sl_buf t = *st;
            *st = next;
            next = t;
        }
    }
    sl_buf_free(&next);
    return rc;
}

static void test_cases(void **state)
{
    (void)state;
    sl_mem *mem = sl_mem_create(0);
    sl_buf st = SL_BUF_INIT, out = SL_BUF_INIT, want = SL_BUF_INIT;
    sl_error err;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const agg_case *c = &cases[i];
        sl_agg agg = {"r", "r(x)", c->kind, NULL};
        if (fold(&agg, 1, c->in, mem, &st, &err) != SL_OK)
            fail_msg("case %zu (%s): %s", i, sl_agg_kind_name(c->kind), err.msg);
        result_json(&agg, 1, &st, mem, &out);
        sl_buf_reset(&want);
        sl_buf_printf(&want, "{\"r\":%s}", c->want);
        if (strcmp(out.data, want.data) != 0)
            fail_msg("case %zu (%s): got %s, want %s", i, sl_agg_kind_name(c->kind), out.data,
                     want.data);
        sl_mem_reset(mem);
    }
    sl_buf_free(&st);
    sl_buf_free(&out);
    sl_buf_free(&want);
    sl_mem_destroy(mem);
}

/* All functions at once in one state, each slot independent. */
static void test_many(void **state)
{
    (void)state;
    static const sl_agg aggs[] = {
        {"n", "", SL_AGG_COUNT_ALL, NULL}, {"c", "", SL_AGG_COLLECT, NULL},
        {"s", "", SL_AGG_SUM, NULL},       {"f", "", SL_AGG_FIRST, NULL},
    };
    const char *in[] = {"3", "null", "4.5", NULL};
    sl_mem *mem = sl_mem_create(0);
    sl_buf st = SL_BUF_INIT, out = SL_BUF_INIT;
    sl_error err;
    /* fold gives every aggregation the same value */
    sl_value vals[4];
    sl_buf next = SL_BUF_INIT;
    assert_int_equal(sl_agg_state_init(aggs, 4, &st), SL_OK);
    for (size_t i = 0; in[i]; i++) {
        for (int a = 0; a < 4; a++)
            vals[a] = parse(mem, in[i]);
        sl_buf_reset(&next);
        assert_int_equal(
            sl_agg_state_update(aggs, 4, st.data, st.len, vals, mem, &next, NULL, &err), SL_OK);
        sl_buf t = st;
        st = next;
        next = t;
    }
    result_json(aggs, 4, &st, mem, &out);
    assert_string_equal(out.data, "{\"n\":3,\"c\":[3,4.5],\"s\":7.5,\"f\":3}");
    sl_buf_free(&st);
    sl_buf_free(&next);
    sl_buf_free(&out);
    sl_mem_destroy(mem);
}

static void test_errors(void **state)
{
    (void)state;
    sl_mem *mem = sl_mem_create(0);
    sl_buf st = SL_BUF_INIT, out = SL_BUF_INIT;
    sl_error err;
    sl_agg sum = {"s", "", SL_AGG_SUM, NULL}, mean = {"m", "", SL_AGG_MEAN, NULL};
    sl_agg mn = {"x", "", SL_AGG_MIN, NULL};
    const char *overflow[] = {"9223372036854775807", "1", NULL};
    const char *str[] = {"1", "\"a\"", NULL};
    const char *mixed[] = {"1", "\"a\"", NULL};
    const char *flt[] = {"1e308", "1e308", NULL};
    assert_int_equal(fold(&sum, 1, overflow, mem, &st, &err), SL_ERR_OVERFLOW);
    assert_non_null(strstr(err.msg, "integer overflow in sum()"));
    assert_int_equal(fold(&sum, 1, flt, mem, &st, &err), SL_ERR_OVERFLOW);
    assert_int_equal(fold(&mean, 1, str, mem, &st, &err), SL_ERR_TYPE);
    assert_non_null(strstr(err.msg, "mean() needs numbers, got str"));
    assert_int_equal(fold(&mn, 1, mixed, mem, &st, &err), SL_ERR_TYPE);
    assert_non_null(strstr(err.msg, "min(): "));

    /* corrupt state: truncated, trailing bytes, an unknown tag */
    sl_value one = sl_value_int(1);
    size_t failed = 99;
    assert_int_equal(sl_agg_state_update(&sum, 1, "\0\0", 2, &one, mem, &out, &failed, &err),
                     SL_ERR_INVALID);
    assert_int_equal(
        sl_agg_state_update(&sum, 1, "\0\0\0\0\0\0\0\0\0\0", 10, &one, mem, &out, NULL, &err),
        SL_ERR_INVALID);
    assert_int_equal(sl_agg_state_update(&mn, 1, "\x09", 1, &one, mem, &out, NULL, &err),
                     SL_ERR_INVALID);
    yyjson_mut_val *obj = yyjson_mut_obj(sl_mem_doc(mem));
    assert_int_equal(sl_agg_state_result(&mn, 1, "\x05\xff\0\0\0", 5, mem, obj, &err),
                     SL_ERR_INVALID);
    /* the failing aggregation's index is reported */
    sl_agg two[] = {{"n", "", SL_AGG_COUNT_ALL, NULL}, {"m", "", SL_AGG_MEAN, NULL}};
    sl_value vals[2] = {sl_value_int(1), sl_value_str("a", 1)};
    sl_buf_reset(&st);
    sl_agg_state_init(two, 2, &st);
    sl_buf_reset(&out);
    assert_int_equal(
        sl_agg_state_update(two, 2, st.data, st.len, vals, mem, &out, &failed, &err), SL_ERR_TYPE);
    assert_int_equal(failed, 1);
    sl_buf_free(&st);
    sl_buf_free(&out);
    sl_mem_destroy(mem);
}

/* merge(a, b) equals folding a's inputs then b's. */
static void test_merge(void **state)
{
    (void)state;
    static const sl_agg aggs[] = {
        {"n", "", SL_AGG_COUNT, NULL}, {"s", "", SL_AGG_SUM, NULL},   {"m", "", SL_AGG_MEAN, NULL},
        {"lo", "", SL_AGG_MIN, NULL},  {"hi", "", SL_AGG_MAX, NULL},  {"f", "", SL_AGG_FIRST, NULL},
        {"l", "", SL_AGG_LAST, NULL},  {"c", "", SL_AGG_COLLECT, NULL},
    };
    const size_t n = sizeof(aggs) / sizeof(aggs[0]);
    const char *a_in[] = {"null", "5", "2", NULL};
    const char *b_in[] = {"1.5", "null", "9", NULL};
    const char *all[] = {"null", "5", "2", "1.5", "null", "9", NULL};
    const char *none[] = {NULL};
    sl_mem *mem = sl_mem_create(0);
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT, ab = SL_BUF_INIT, whole = SL_BUF_INIT;
    sl_buf r1 = SL_BUF_INIT, r2 = SL_BUF_INIT;
    sl_error err;
    sl_value vals[8];
    sl_buf next = SL_BUF_INIT;
    const char *const *ins[] = {a_in, b_in, all, none};
    sl_buf *outs[] = {&a, &b, &whole, &ab};
    for (int k = 0; k < 4; k++) {
        sl_agg_state_init(aggs, n, outs[k]);
        for (size_t i = 0; ins[k][i]; i++) {
            for (size_t j = 0; j < n; j++)
                vals[j] = parse(mem, ins[k][i]);
            sl_buf_reset(&next);
            assert_int_equal(sl_agg_state_update(aggs, n, outs[k]->data, outs[k]->len, vals, mem,
                                                 &next, NULL, &err),
                             SL_OK);
            sl_buf t = *outs[k];
            *outs[k] = next;
            next = t;
        }
    }
    /* empty merged with empty is still empty */
    sl_buf_reset(&next);
    assert_int_equal(sl_agg_state_merge(aggs, n, ab.data, ab.len, ab.data, ab.len, mem, &next,
                                        NULL, &err),
                     SL_OK);
    result_json(aggs, n, &next, mem, &r1);
    assert_string_equal(r1.data, "{\"n\":0,\"s\":0,\"m\":null,\"lo\":null,\"hi\":null,\"f\":null,"
                                 "\"l\":null,\"c\":[]}");
    sl_buf_reset(&ab);
    assert_int_equal(sl_agg_state_merge(aggs, n, a.data, a.len, b.data, b.len, mem, &ab, NULL, &err),
                     SL_OK);
    result_json(aggs, n, &ab, mem, &r1);
    result_json(aggs, n, &whole, mem, &r2);
    assert_string_equal(r1.data, r2.data);
    assert_string_equal(r1.data, "{\"n\":4,\"s\":17.5,\"m\":4.375,\"lo\":1.5,\"hi\":9,\"f\":5,"
                                 "\"l\":9,\"c\":[5,2,1.5,9]}");
    /* mismatched lengths are corrupt */
    sl_buf_reset(&next);
    assert_int_equal(sl_agg_state_merge(aggs, n, a.data, a.len - 1, b.data, b.len, mem, &next,
                                        NULL, &err),
                     SL_ERR_INVALID);
    sl_buf *all_bufs[] = {&a, &b, &ab, &whole, &r1, &r2, &next};
    for (size_t i = 0; i < 7; i++)
        sl_buf_free(all_bufs[i]);
    sl_mem_destroy(mem);
}

/* Every value kind round-trips through the codec. */
static void test_value_codec(void **state)
{
    (void)state;
    static const char *const vals[] = {"null", "true", "false", "0", "-9223372036854775808",
                                       "2.5e-300", "\"\"", "\"a\\u0000b\"", "[]", "{\"x\":[1,null]}"};
    sl_mem *mem = sl_mem_create(0);
    sl_buf enc = SL_BUF_INIT, a = SL_BUF_INIT, b = SL_BUF_INIT;
    sl_error err;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        sl_value v = parse(mem, vals[i]), back;
        size_t used;
        sl_buf_reset(&enc);
        assert_int_equal(sl_agg_value_encode(v, &enc, &err), SL_OK);
        assert_int_equal(
            sl_agg_value_decode((const uint8_t *)enc.data, enc.len, mem, &back, &used, &err),
            SL_OK);
        assert_int_equal(used, enc.len);
        sl_buf_reset(&a);
        sl_buf_reset(&b);
        sl_value_write_json(v, &a, &err);
        sl_value_write_json(back, &b, &err);
        assert_string_equal(a.data, b.data);
        /* truncated encodings are refused */
        if (enc.len > 1)
            assert_int_equal(sl_agg_value_decode((const uint8_t *)enc.data, enc.len - 1, mem,
                                                 &back, &used, &err),
                             SL_ERR_INVALID);
    }
    assert_int_equal(sl_agg_value_decode((const uint8_t *)"", 0, mem, NULL, NULL, &err),
                     SL_ERR_INVALID);
    sl_buf_free(&enc);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_mem_destroy(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),  cmocka_unit_test(test_many),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_merge),
        cmocka_unit_test(test_value_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

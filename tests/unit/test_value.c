/* Unit tests for the value layer (common/value/sl_value, sl_mem): unboxing
 * from yyjson, copying to mutable documents, equality and ordering, Python
 * truthiness, JSON writing, iteration and the arena-backed allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "value/sl_mem.h"
#include "value/sl_value.h"

static sl_value parse(sl_mem *m, const char *json)
{
    sl_error err;
    yyjson_doc *doc = sl_mem_read_json(m, json, strlen(json), &err);
    assert_non_null(doc);
    return sl_value_from_json(yyjson_doc_get_root(doc));
}

static const char *to_json(sl_value v, sl_buf *b)
{
    sl_buf_reset(b);
    assert_int_equal(sl_value_write_json(v, b, NULL), SL_OK);
    return b->data;
}

static void test_from_json_unboxes(void **state)
{
    (void)state;
    sl_mem *m = sl_mem_create(0);
    static const struct {
        const char *json;
        sl_value_kind kind;
        const char *name;
    } cases[] = {
        {"null", SL_VAL_NULL, "null"},   {"true", SL_VAL_BOOL, "bool"},
        {"-5", SL_VAL_INT, "int"},       {"5", SL_VAL_INT, "int"},
        {"5.5", SL_VAL_FLOAT, "float"},  {"\"s\"", SL_VAL_STR, "str"},
        {"[1]", SL_VAL_ARR, "list"},     {"{}", SL_VAL_OBJ, "object"},
        {"18446744073709551615", SL_VAL_FLOAT, "float"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_value v = parse(m, cases[i].json);
        assert_int_equal(v.kind, cases[i].kind);
        assert_string_equal(sl_value_kind_name(v), cases[i].name);
    }
    assert_true(parse(m, "9223372036854775807").u.i == INT64_MAX);
    assert_true(parse(m, "-9223372036854775808").u.i == INT64_MIN);
    sl_value s = parse(m, "\"a\\u0000b\"");
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.u.s, "a\0b", 3);
    assert_int_equal(sl_value_from_json(NULL).kind, SL_VAL_NULL);
    assert_int_equal(sl_value_from_mut_json(NULL).kind, SL_VAL_NULL);
    sl_mem_destroy(m);
}

static void test_to_mut_copies(void **state)
{
    (void)state;
    sl_mem *m = sl_mem_create(0);
    yyjson_mut_doc *doc = sl_mem_doc(m);
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    char text[] = "mutable";
    sl_value vals[] = {sl_value_null(), sl_value_bool(true), sl_value_int(-3), sl_value_float(0.5),
                       sl_value_str(text, 7), parse(m, "{\"a\":[1,{\"b\":\"c\"}]}")};
    const char *want[] = {"null", "true", "-3", "0.5", "\"mutable\"", "{\"a\":[1,{\"b\":\"c\"}]}"};
    yyjson_mut_val *arr = yyjson_mut_arr(doc);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        yyjson_mut_val *mv;
        assert_int_equal(sl_value_to_mut(vals[i], doc, &mv, &err), SL_OK);
        sl_value back = sl_value_from_mut_json(mv);
        assert_string_equal(to_json(back, &b), want[i]);
        assert_true(sl_value_eq(back, vals[i]));
        assert_true(yyjson_mut_arr_append(arr, mv));
    }
    /* Strings were copied: changing the source does not change the copy. */
    text[0] = 'M';
    sl_value all = sl_value_from_mut_json(arr);
    assert_string_equal(to_json(all, &b),
                        "[null,true,-3,0.5,\"mutable\",{\"a\":[1,{\"b\":\"c\"}]}]");
    /* A mutable composite is deep-copied, so it can go into two containers. */
    yyjson_mut_val *c1, *c2;
    sl_value x = sl_value_from_mut_json(arr);
    assert_int_equal(sl_value_to_mut(x, doc, &c1, &err), SL_OK);
    assert_int_equal(sl_value_to_mut(x, doc, &c2, &err), SL_OK);
    assert_ptr_not_equal(c1, c2);
    sl_buf_free(&b);
    sl_mem_destroy(m);
}

static void test_equality_and_ordering(void **state)
{
    (void)state;
    sl_mem *m = sl_mem_create(0);
    static const struct {
        const char *a, *b;
        int eq;  /* 1 if a == b */
        int cmp; /* -1, 0, 1, or 2 for a type error */
    } cases[] = {
        {"1", "1", 1, 0},
        {"1", "1.0", 1, 0},
        {"1", "2", 0, -1},
        {"2.5", "2", 0, 1},
        {"9007199254740993", "9007199254740992.0", 0, 1},
        {"-9007199254740993", "-9007199254740992.0", 0, -1},
        {"9223372036854775807", "9223372036854775808.0", 0, -1},
        {"\"a\"", "\"a\"", 1, 0},
        {"\"a\"", "\"b\"", 0, -1},
        {"\"ab\"", "\"a\"", 0, 1},
        {"\"\\u00e9\"", "\"z\"", 0, 1},
        {"true", "false", 0, 1},
        {"true", "1", 0, 2},
        {"null", "null", 1, 2},
        {"null", "0", 0, 2},
        {"\"1\"", "1", 0, 2},
        {"[1,2]", "[1,2]", 1, 0},
        {"[1,2]", "[1,3]", 0, -1},
        {"[1]", "[1,0]", 0, -1},
        {"[\"a\"]", "[1]", 0, 2},
        {"{\"a\":1,\"b\":[2]}", "{\"b\":[2.0],\"a\":1}", 1, 2},
        {"{\"a\":1}", "{\"a\":2}", 0, 2},
        {"{\"a\":1}", "{\"a\":1,\"b\":1}", 0, 2},
        {"[]", "{}", 0, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_value a = parse(m, cases[i].a), b = parse(m, cases[i].b);
        if (sl_value_eq(a, b) != (bool)cases[i].eq || sl_value_eq(b, a) != (bool)cases[i].eq)
            fail_msg("%s == %s should be %d", cases[i].a, cases[i].b, cases[i].eq);
        int c = 99;
        sl_error err;
        int rc = sl_value_cmp(a, b, &c, &err);
        if (cases[i].cmp == 2) {
            assert_int_equal(rc, SL_ERR_TYPE);
            assert_non_null(strstr(err.msg, "cannot order"));
        } else {
            assert_int_equal(rc, SL_OK);
            if ((c > 0) - (c < 0) != cases[i].cmp)
                fail_msg("cmp(%s, %s) = %d, want %d", cases[i].a, cases[i].b, c, cases[i].cmp);
        }
    }
    sl_mem_destroy(m);
}

static void test_truthy(void **state)
{
    (void)state;
    sl_mem *m = sl_mem_create(0);
    static const struct {
        const char *json;
        bool want;
    } cases[] = {
        {"null", false}, {"false", false}, {"true", true},  {"0", false},   {"-1", true},
        {"0.0", false},  {"0.1", true},    {"\"\"", false}, {"\"0\"", true}, {"[]", false},
        {"[0]", true},   {"{}", false},    {"{\"a\":0}", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sl_value_truthy(parse(m, cases[i].json)) != cases[i].want)
            fail_msg("truthy(%s) != %d", cases[i].json, cases[i].want);
    sl_mem_destroy(m);
}

static void test_write_json(void **state)
{
    (void)state;
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    static const struct {
        sl_value v;
        const char *want;
    } cases[] = {
        {{.kind = SL_VAL_INT, .u.i = INT64_MIN}, "-9223372036854775808"},
        {{.kind = SL_VAL_INT, .u.i = 0}, "0"},
        {{.kind = SL_VAL_FLOAT, .u.f = 3.0}, "3.0"},
        {{.kind = SL_VAL_FLOAT, .u.f = 0.1}, "0.1"},
        {{.kind = SL_VAL_FLOAT, .u.f = -0.0}, "-0.0"},
        {{.kind = SL_VAL_FLOAT, .u.f = 1e-7}, "1e-7"},
        {{.kind = SL_VAL_FLOAT, .u.f = 123.456}, "123.456"},
        {{.kind = SL_VAL_BOOL, .u.b = false}, "false"},
        {{.kind = SL_VAL_NULL}, "null"},
        {{.kind = SL_VAL_STR, .len = 0, .u.s = ""}, "\"\""},
        {{.kind = SL_VAL_STR, .len = 9, .u.s = "q\"\\\n\t\x01/\xc3\xa9"}, "\"q\\\"\\\\\\n\\t\\u0001/\xc3\xa9\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(to_json(cases[i].v, &b), cases[i].want);
    /* Invalid UTF-8 (from a non-JSON key or value) becomes U+FFFD. */
    sl_buf_reset(&b);
    assert_int_equal(sl_value_write_json_str("a\xff\xc3\xa9\xed\xa0\x80z\xe2\x82", 10, &b), SL_OK);
    assert_string_equal(b.data, "\"a\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffdz\\ufffd\\ufffd\"");
    /* Appends, never overwrites. */
    sl_buf_reset(&b);
    assert_int_equal(sl_value_write_json(sl_value_int(1), &b, NULL), SL_OK);
    assert_int_equal(sl_value_write_json_str("k", 1, &b), SL_OK);
    assert_string_equal(b.data, "1\"k\"");
    /* Non-finite floats cannot be JSON. */
    assert_int_equal(sl_value_write_json(sl_value_float(INFINITY), &b, &err), SL_ERR_INVALID);
    assert_int_equal(sl_value_write_json(sl_value_float(NAN), &b, &err), SL_ERR_INVALID);
    char tmp[32];
    assert_int_equal(sl_value_format_float(2.5, tmp), 3);
    assert_string_equal(tmp, "2.5");
    assert_int_equal(sl_value_format_float(INFINITY, tmp), 0);
    /* Deep nesting is refused, not a stack overflow. */
    sl_mem *m = sl_mem_create(0);
    char deep[4100];
    for (int i = 0; i < 2000; i++) {
        deep[i] = '[';
        deep[4000 - 1 - i] = ']';
    }
    deep[4000] = '\0';
    sl_value v = parse(m, deep);
    sl_buf_reset(&b);
    assert_int_equal(sl_value_write_json(v, &b, &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nested deeper"));
    /* ... and so are comparing and copying it. */
    int c;
    assert_false(sl_value_eq(v, v));
    assert_int_equal(sl_value_cmp(v, v, &c, &err), SL_ERR_INVALID);
    yyjson_mut_val *mv;
    assert_int_equal(sl_value_to_mut(v, sl_mem_doc(m), &mv, &err), SL_ERR_INVALID);
    assert_null(mv);
    /* 500 levels are fine. */
    char shallow[1001];
    memset(shallow, '[', 500);
    memset(shallow + 500, ']', 500);
    shallow[1000] = '\0';
    sl_value ok = parse(m, shallow);
    assert_true(sl_value_eq(ok, ok));
    assert_int_equal(sl_value_cmp(ok, ok, &c, &err), SL_OK);
    assert_int_equal(sl_value_to_mut(ok, sl_mem_doc(m), &mv, &err), SL_OK);
    sl_buf_reset(&b);
    assert_int_equal(sl_value_write_json(ok, &b, &err), SL_OK);
    assert_string_equal(b.data, shallow);
    sl_mem_destroy(m);
    sl_buf_free(&b);
}

static void test_composites_roundtrip(void **state)
{
    (void)state;
    sl_mem *m = sl_mem_create(0);
    sl_buf b = SL_BUF_INIT;
    const char *json = "{\"a\":[1,2.5,\"x\",null,true,{\"b\":[]}],\"c\":{}}";
    sl_value v = parse(m, json);
    assert_string_equal(to_json(v, &b), json);
    assert_int_equal(sl_value_size(v), 2);
    sl_value a;
    assert_true(sl_value_obj_get(v, "a", 1, &a));
    assert_int_equal(sl_value_size(a), 6);
    assert_false(sl_value_obj_get(v, "zz", 2, &a));
    assert_int_equal(a.kind, SL_VAL_NULL);
    assert_false(sl_value_obj_get(sl_value_int(1), "a", 1, &a));
    /* Iteration over immutable and mutable forms gives the same members. */
    yyjson_mut_val *mv;
    assert_int_equal(sl_value_to_mut(v, sl_mem_doc(m), &mv, NULL), SL_OK);
    sl_value mut = sl_value_from_mut_json(mv);
    assert_true(mut.is_mut);
    sl_value_iter i1, i2;
    sl_value k1, k2, x1, x2;
    sl_value_iter_init(&i1, v);
    sl_value_iter_init(&i2, mut);
    int n = 0;
    while (sl_value_iter_next(&i1, &k1, &x1)) {
        assert_true(sl_value_iter_next(&i2, &k2, &x2));
        assert_true(sl_value_eq(k1, k2));
        assert_true(sl_value_eq(x1, x2));
        n++;
    }
    assert_false(sl_value_iter_next(&i2, &k2, &x2));
    assert_int_equal(n, 2);
    assert_string_equal(to_json(mut, &b), json);
    /* Iterating a scalar is empty. */
    sl_value_iter_init(&i1, sl_value_int(3));
    assert_false(sl_value_iter_next(&i1, NULL, &x1));
    sl_buf_free(&b);
    sl_mem_destroy(m);
}

static void test_mem_and_allocator(void **state)
{
    (void)state;
    sl_mem *m = sl_mem_create(4096);
    sl_error err;
    assert_non_null(m);
    /* Parse errors carry the position. */
    assert_null(sl_mem_read_json(m, "{\"a\": }", 7, &err));
    assert_int_equal(err.code, SL_ERR_SYNTAX);
    assert_int_equal(err.pos, 6);
    /* Documents and the mutable doc live in the arena; reset reclaims them. */
    for (int batch = 0; batch < 5; batch++) {
        assert_int_equal(sl_mem_reset(m), SL_OK);
        assert_int_equal(sl_arena_used(sl_mem_arena(m)) > 0, 1); /* the new doc */
        for (int i = 0; i < 200; i++) {
            const char *j = "{\"x\":[1,2,3],\"y\":\"zz\"}";
            yyjson_doc *d = sl_mem_read_json(m, j, strlen(j), &err);
            assert_non_null(d);
            yyjson_mut_val *s = yyjson_mut_strcpy(sl_mem_doc(m), "copied");
            assert_non_null(s);
        }
        assert_true(sl_arena_used(sl_mem_arena(m)) > 200 * 22);
    }
    /* The allocator: realloc keeps the prefix, free is a no-op. */
    yyjson_alc alc;
    sl_arena *a = sl_arena_create(0);
    sl_value_alc_init(&alc, a);
    char *p = alc.malloc(alc.ctx, 8);
    memcpy(p, "abcdefg", 8);
    char *q = alc.realloc(alc.ctx, p, 8, 64);
    assert_string_equal(q, "abcdefg");
    assert_ptr_equal(alc.realloc(alc.ctx, q, 64, 32), q);
    alc.free(alc.ctx, q);
    sl_arena_destroy(a);
    assert_non_null(sl_mem_alloc(m, 10));
    assert_non_null(sl_mem_alc(m));
    sl_mem_destroy(m);
    sl_mem_destroy(NULL);
}

/* The float formatter's fast path must write exactly what yyjson writes. */
static void test_float_format_matches_yyjson(void **state)
{
    (void)state;
    uint64_t seed = 88172645463325252ULL;
    char fast[32];
    for (int i = 0; i < 200000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double d;
        switch (i % 4) {
        case 0: /* a few decimals */
            d = (double)((int64_t)(seed % 2000000) - 1000000) / pow(10, (double)(seed >> 40) / (1 << 24) * 9);
            d = (double)(int64_t)(d * 1000) / 1000.0;
            break;
        case 1: /* computed values, full precision */
            d = (double)(seed % 100000) / 10.0 * 3.6;
            break;
        case 2: /* any bit pattern */
            memcpy(&d, &seed, sizeof(d));
            break;
        default: /* across magnitudes */
            d = (double)(seed % 1000003) * pow(10, (double)(int)(seed >> 58) - 20);
        }
        if (!isfinite(d))
            continue;
        yyjson_mut_val v;
        memset(&v, 0, sizeof(v));
        yyjson_mut_set_real(&v, d);
        size_t len;
        char *ref = yyjson_mut_val_write_opts(&v, 0, NULL, &len, NULL);
        assert_non_null(ref);
        size_t n = sl_value_format_float(d, fast);
        if (n != len || strcmp(fast, ref) != 0)
            fail_msg("%.17g: formatted %s, yyjson writes %s", d, fast, ref);
        free(ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_json_unboxes),   cmocka_unit_test(test_to_mut_copies),
        cmocka_unit_test(test_equality_and_ordering), cmocka_unit_test(test_truthy),
        cmocka_unit_test(test_write_json),          cmocka_unit_test(test_composites_roundtrip),
        cmocka_unit_test(test_mem_and_allocator),   cmocka_unit_test(test_float_format_matches_yyjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the expression evaluator (common/expr): every operator and
 * precedence level, null rules, int/float rules, overflow, every function,
 * run-time and compile-time errors with positions. Table-driven: each case
 * is (expression, expected JSON text of the result) or (expression, error
 * code, position, message fragment), evaluated against one fixed row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "expr/sl_expr.h"

static const char *ROW_JSON =
    "{\"speed\": 30, \"name\": \"Ab\", \"gps\": {\"lat\": 1.5, \"lon\": -2}, "
    "\"tags\": [\"x\", \"y\", \"z\"], \"temp C\": 7, \"n\": null, \"s\": \"fast\", "
    "\"f\": 2.5, \"big\": 9223372036854775807, \"small\": -9223372036854775808, "
    "\"obj\": {\"a\": 1, \"in\": 2}, \"t\": true, \"zero\": 0, \"empty\": \"\", "
    "\"nested\": [[1, 2], {\"k\": \"v\"}], \"word\": \"h\\u00e9llo\"}";

typedef struct fixture {
    sl_mem *mem;
    sl_eval_ctx ctx;
    sl_row row;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sl_error err;
    f->mem = sl_mem_create(0);
    f->ctx = (sl_eval_ctx)SL_EVAL_CTX_INIT(f->mem);
    if (sl_row_init_json(&f->row, f->mem, sl_value_str("key-1", 5), 1700000000123LL, ROW_JSON,
                         strlen(ROW_JSON), &err) != SL_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sl_mem_destroy(f->mem);
    free(f);
    return 0;
}

/* Compiles and evaluates src; returns the status; *json gets the result. */
static int run(fixture *f, const char *src, sl_buf *json, sl_error *err)
{
    sl_expr *e = sl_expr_compile(src, err);
    if (!e)
        return err->code;
    sl_value v;
    sl_error_clear(err);
    int rc = sl_expr_eval(e, &f->ctx, &f->row, &v, err);
    if (rc == SL_OK) {
        sl_buf_reset(json);
        assert_int_equal(sl_value_write_json(v, json, NULL), SL_OK);
    }
    assert_string_equal(sl_expr_source(e), src);
    sl_expr_free(e);
    return rc;
}

typedef struct ok_case {
    const char *src;
    const char *want; /* compact JSON of the result */
} ok_case;

static void check_ok(fixture *f, const ok_case *cases, size_t n)
{
    sl_buf json = SL_BUF_INIT;
    sl_error err;
    for (size_t i = 0; i < n; i++) {
        int rc = run(f, cases[i].src, &json, &err);
        if (rc != SL_OK)
            fail_msg("%s: unexpected error %s: %s (at %d)", cases[i].src, sl_status_name(rc),
                     err.msg, err.pos);
        if (strcmp(json.data, cases[i].want) != 0)
            fail_msg("%s: got %s, want %s", cases[i].src, json.data, cases[i].want);
    }
    sl_buf_free(&json);
}

#define CHECK_OK(f, cases) check_ok(f, cases, sizeof(cases) / sizeof(cases[0]))

static void test_literals(void **state)
{
    static const ok_case cases[] = {
        {"42", "42"},
        {"0", "0"},
        {"9223372036854775807", "9223372036854775807"},
        {"1.5", "1.5"},
        {".5", "0.5"},
        {"1.", "1.0"},
        {"1e3", "1000.0"},
        {"2.5E-1", "0.25"},
        {"'single'", "\"single\""},
        {"\"double\"", "\"double\""},
        {"'it\\'s'", "\"it's\""},
        {"\"a\\n\\t\\\"b\\\\\"", "\"a\\n\\t\\\"b\\\\\""},
        {"\"\\u00e9\\x41\"", "\"\xc3\xa9" "A\""},
        {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
        {"true", "true"},
        {"True", "true"},
        {"false", "false"},
        {"False", "false"},
        {"null", "null"},
        {"None", "null"},
        {"[]", "[]"},
        {"[1, 'a', null, [true]]", "[1,\"a\",null,[true]]"},
        {"[1, 2,]", "[1,2]"},
        {"['a',]", "[\"a\"]"},
        {"{}", "{}"},
        {"{\"k\": 1, 'l': [speed]}", "{\"k\":1,\"l\":[30]}"},
        {"{\"k\": 1, \"k\": 2}", "{\"k\":2}"},
        {"{name: 1}", "{\"Ab\":1}"},
    };
    CHECK_OK((fixture *)*state, cases);
}

static void test_fields(void **state)
{
    static const ok_case cases[] = {
        {"speed", "30"},
        {"gps.lat", "1.5"},
        {"gps[\"lon\"]", "-2"},
        {"gps['lat']", "1.5"},
        {"tags[0]", "\"x\""},
        {"tags[-1]", "\"z\""},
        {"tags[3]", "null"},
        {"tags[-4]", "null"},
        {"tags[1 + 1]", "\"z\""},
        {"[\"temp C\"]", "7"},
        {"[\"temp C\"] + 1", "8"},
        {"obj.in", "2"},
        {"obj[\"a\"]", "1"},
        {"obj[name]", "null"},
        {"nested[0][1]", "2"},
        {"nested[1].k", "\"v\""},
        {"missing", "null"},
        {"missing.deeper[0].x", "null"},
        {"n.x", "null"},
        {"_key", "\"key-1\""},
        {"_timestamp", "1700000000123"},
        {"[\"_key\"]", "null"},
        {"_value.gps.lat", "1.5"},
        {"{\"a\": {\"b\": 5}}.a.b", "5"},
        {"[10, 20][1]", "20"},
        {"coalesce(obj, gps).a", "1"},
        {"tags[n]", "null"},
    };
    CHECK_OK((fixture *)*state, cases);
}

static void test_arithmetic(void **state)
{
    static const ok_case cases[] = {
        {"speed * 3.6", "108.0"},
        {"1 + 2", "3"},
        {"1 + 2.0", "3.0"},
        {"7 - 10", "-3"},
        {"6 * 7", "42"},
        {"7 / 2", "3.5"},
        {"8 / 2", "4.0"},
        {"7 // 2", "3"},
        {"-7 // 2", "-4"},
        {"7 // -2", "-4"},
        {"-7 // -2", "3"},
        {"7 % 3", "1"},
        {"-7 % 3", "2"},
        {"7 % -3", "-2"},
        {"-7 % -3", "-1"},
        {"7.5 // 2", "3.0"},
        {"-7.5 // 2", "-4.0"},
        {"7.5 % 2", "1.5"},
        {"-7.5 % 2", "0.5"},
        {"5 % -1", "0"},
        {"2 ** 10", "1024"},
        {"2 ** 0", "1"},
        {"2 ** -1", "0.5"},
        {"2.0 ** 3", "8.0"},
        {"4 ** 0.5", "2.0"},
        {"(-8) ** 3", "-512"},
        {"-speed", "-30"},
        {"+speed", "30"},
        {"-f", "-2.5"},
        {"--3", "3"},
        {"'a' + 'b'", "\"ab\""},
        {"name + ' ' + s", "\"Ab fast\""},
        {"[1] + [2, 3]", "[1,2,3]"},
        {"big - 1", "9223372036854775806"},
        {"small + 1", "-9223372036854775807"},
        {"0.1 + 0.2", "0.30000000000000004"},
        {"1e308 * 1 > 1", "true"},
    };
    CHECK_OK((fixture *)*state, cases);
}

static void test_precedence(void **state)
{
    static const ok_case cases[] = {
        {"1 + 2 * 3", "7"},
        {"(1 + 2) * 3", "9"},
        {"10 - 4 - 3", "3"},
        {"2 * 3 % 4", "2"},
        {"-2 ** 2", "-4"},
        {"(-2) ** 2", "4"},
        {"2 ** 3 ** 2", "512"},
        {"2 ** -2 ** 1", "0.25"},
        {"-2 ** -1", "-0.5"},
        {"1 + 2 == 3", "true"},
        {"1 < 2 == true", "false"},
        {"not 1 == 2", "true"},
        {"not true and false", "false"},
        {"not (true and false)", "true"},
        {"true or false and false", "true"},
        {"(true or false) and false", "false"},
        {"1 if false else 2 if true else 3", "2"},
        {"1 + 1 if speed > 10 else 0", "2"},
        {"'b' in ['a', 'b'] and speed > 10", "true"},
        {"1 < 2 < 3", "true"},
        {"3 > 2 > 2", "false"},
        {"1 < speed <= 30 < 31", "true"},
        {"1 < n < 3", "null"},
        {"5 < 1 < n", "false"},
        {"5 < n < 3", "null"},
        {"1 == 1 != 2", "true"},
        {"2 * -3", "-6"},
        {"- 2 * 3", "-6"},
        {"not not t", "true"},
        {"-(1 + 2) * 2", "-6"},
    };
    CHECK_OK((fixture *)*state, cases);
}

static void test_comparison(void **state)
{
    static const ok_case cases[] = {
        {"1 == 1.0", "true"},
        {"1 != 1.0", "false"},
        {"'a' == 'a'", "true"},
        {"'a' == 1", "false"},
        {"'a' != 1", "true"},
        {"true == 1", "false"},
        {"[1, 2] == [1, 2.0]", "true"},
        {"{\"a\": 1, \"b\": 2} == {\"b\": 2, \"a\": 1}", "true"},
        {"gps == {\"lat\": 1.5, \"lon\": -2}", "true"},
        {"1 < 1.5", "true"},
        {"2 <= 2.0", "true"},
        {"3 > 2", "true"},
        {"3 >= 4", "false"},
        {"'abc' < 'abd'", "true"},
        {"'ab' < 'abc'", "true"},
        {"'Z' < 'a'", "true"},
        {"false < true", "true"},
        {"[1, 2] < [1, 3]", "true"},
        {"[1, 2] < [1, 2, 0]", "true"},
        {"9007199254740993 > 9007199254740992.0", "true"},
        {"9007199254740993 == 9007199254740992.0", "false"},
        {"big > 1e300", "false"},
        {"big < 1e19", "true"},
        {"'b' in ['a', 'b']", "true"},
        {"'c' in ['a', 'b']", "false"},
        {"'c' not in ['a', 'b']", "true"},
        {"1.0 in [1, 2]", "true"},
        {"'as' in s", "true"},
        {"'' in s", "true"},
        {"'x' not in s", "true"},
        {"'a' in obj", "true"},
        {"'zz' in obj", "false"},
        {"'x' in tags", "true"},
        {"name in [\"Ab\"]", "true"},
        {"name not in [\"Ab\"]", "false"},
        {"[1] in [[1], [2]]", "true"},
    };
    CHECK_OK((fixture *)*state, cases);
}

static void test_null_rules(void **state)
{
    static const ok_case cases[] = {
        {"n + 1", "null"},
        {"1 - missing", "null"},
        {"n * 2.5", "null"},
        {"n / 0", "null"},
        {"n // 0", "null"},
        {"n ** 2", "null"},
        {"-n", "null"},
        {"n == null", "null"},
        {"n != 1", "null"},
        {"n < 1", "null"},
        {"'a' in n", "null"},
        {"n in [1, null]", "null"},
        {"not n", "null"},
        {"n or true", "true"},
        {"true or n", "true"},
        {"n or false", "null"},
        {"false or n", "null"},
        {"n and true", "null"},
        {"true and n", "null"},
        {"false and n", "false"},
        {"n and false", "false"},
        {"n and n", "null"},
        {"n or n", "null"},
        {"1 if n else 2", "2"},
        {"'a' + n", "null"},
        {"n.a.b", "null"},
        {"upper(n)", "null"},
        {"len(missing)", "null"},
        {"is_null(n)", "true"},
        {"is_null(missing)", "true"},
        {"is_null(0)", "false"},
        {"coalesce(n, missing, 3, 4)", "3"},
        {"coalesce(n)", "null"},
        {"str(n)", "null"},
        {"t and speed", "true"},
        {"zero or empty", "false"},
        {"[] or {}", "false"},
        {"'x' and 1", "true"},
        {"false and speed / zero > 0", "false"},
        {"true or s * 2", "true"},
    };
    CHECK_OK((fixture *)*state, cases);
}

static void test_functions(void **state)
{
    static const ok_case cases[] = {
        {"abs(-3)", "3"},
        {"abs(-2.5)", "2.5"},
        {"abs(speed)", "30"},
        {"round(2.5)", "2"},
        {"round(3.5)", "4"},
        {"round(-2.5)", "-2"},
        {"round(2.6)", "3"},
        {"round(7)", "7"},
        {"round(2.675, 2)", "2.67"},
        {"round(0.125, 2)", "0.12"},
        {"round(1.25, 1)", "1.2"},
        {"round(3.14159, 3)", "3.142"},
        {"round(1234.5, -2)", "1200.0"},
        {"round(1250, -2)", "1200"},
        {"round(1350, -2)", "1400"},
        {"round(-1250, -2)", "-1200"},
        {"round(17, 1)", "17"},
        {"round(big, -18)", "9000000000000000000"},
        {"round(speed, -19)", "0"},
        {"round(4, -30)", "0"},
        {"round(1e300 * 1e8, 300)", "1e308"},
        {"round(f, 400)", "2.5"},
        {"floor(2.7)", "2"},
        {"floor(-2.1)", "-3"},
        {"floor(5)", "5"},
        {"ceil(2.1)", "3"},
        {"ceil(-2.7)", "-2"},
        {"sqrt(16)", "4.0"},
        {"sqrt(2.25)", "1.5"},
        {"pow(2, 10)", "1024"},
        {"pow(2, 0.5) > 1.41", "true"},
        {"pow(2.0, -1)", "0.5"},
        {"log(1)", "0.0"},
        {"log(8, 2)", "3.0"},
        {"log(100, 10)", "2.0"},
        {"exp(0)", "1.0"},
        {"round(exp(1), 5)", "2.71828"},
        {"min(3, 1, 2)", "1"},
        {"max(3, 1, 2)", "3"},
        {"max(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,speed)", "30"},
        {"min([3, 1.5, 2])", "1.5"},
        {"max([1, null, 7])", "7"},
        {"min(n, 4)", "4"},
        {"max([])", "null"},
        {"min(['b', 'a'])", "\"a\""},
        {"max(tags)", "\"z\""},
        {"coalesce(name, 'x')", "\"Ab\""},
        {"lower(name)", "\"ab\""},
        {"upper('mIx3d')", "\"MIX3D\""},
        {"upper(word)", "\"H\xc3\xa9LLO\""},
        {"len('abc')", "3"},
        {"len(word)", "5"},
        {"len('')", "0"},
        {"len(tags)", "3"},
        {"len(obj)", "2"},
        {"contains(s, 'as')", "true"},
        {"contains(tags, 'q')", "false"},
        {"contains(obj, 'a')", "true"},
        {"startswith(s, 'fa')", "true"},
        {"startswith(s, 'st')", "false"},
        {"startswith(s, '')", "true"},
        {"endswith(s, 'st')", "true"},
        {"endswith('a', 'ab')", "false"},
        {"substr('hello', 1)", "\"ello\""},
        {"substr('hello', 1, 3)", "\"ell\""},
        {"substr('hello', -3)", "\"llo\""},
        {"substr('hello', -10, 2)", "\"he\""},
        {"substr('hello', 10)", "\"\""},
        {"substr('hello', 0, 0)", "\"\""},
        {"substr(word, 1, 2)", "\"\xc3\xa9l\""},
        {"str(42)", "\"42\""},
        {"str(-2.5)", "\"-2.5\""},
        {"str(3.0)", "\"3.0\""},
        {"str(0.1)", "\"0.1\""},
        {"str(true)", "\"true\""},
        {"str('x')", "\"x\""},
        {"str([1, 'a'])", "\"[1,\\\"a\\\"]\""},
        {"str(gps)", "\"{\\\"lat\\\":1.5,\\\"lon\\\":-2}\""},
        {"int('12')", "12"},
        {"int(' -7 ')", "-7"},
        {"int('+3')", "3"},
        {"int(2.9)", "2"},
        {"int(-2.9)", "-2"},
        {"int(true)", "1"},
        {"int(5)", "5"},
        {"float('1.5')", "1.5"},
        {"float('1e3')", "1000.0"},
        {"float(' 2 ')", "2.0"},
        {"float(3)", "3.0"},
        {"float(false)", "0.0"},
        {"bool(0)", "false"},
        {"bool('x')", "true"},
        {"trim('  a b \\t')", "\"a b\""},
        {"replace('a-b-c', '-', '+')", "\"a+b+c\""},
        {"replace('aaa', 'aa', 'b')", "\"ba\""},
        {"replace('abc', '', 'x')", "\"abc\""},
        {"split('a,b,,c', ',')", "[\"a\",\"b\",\"\",\"c\"]"},
        {"split('', ',')", "[\"\"]"},
        {"join(tags, '-')", "\"x-y-z\""},
        {"join([], '-')", "\"\""},
        {"keys(gps)", "[\"lat\",\"lon\"]"},
        {"get(gps, 'lat')", "1.5"},
        {"get(gps, 'nope', 0)", "0"},
        {"get(tags, -1)", "\"z\""},
        {"get(tags, 9, 'd')", "\"d\""},
        {"get(n, 'a', 'd')", "\"d\""},
        {"get({\"a\": null}, 'a', 1)", "1"},
        {"lower(upper(name)) + str(len(s))", "\"ab4\""},
    };
    CHECK_OK((fixture *)*state, cases);
}

typedef struct err_case {
    const char *src;
    int code;
    int pos;
    const char *msg; /* fragment that must appear in err.msg */
} err_case;

static void check_err(fixture *f, const err_case *cases, size_t n)
{
    sl_buf json = SL_BUF_INIT;
    sl_error err;
    for (size_t i = 0; i < n; i++) {
        int rc = run(f, cases[i].src, &json, &err);
        if (rc != cases[i].code)
            fail_msg("%s: got status %s (%s), want %s", cases[i].src, sl_status_name(rc),
                     rc ? err.msg : json.data, sl_status_name(cases[i].code));
        if (err.pos != cases[i].pos)
            fail_msg("%s: error at %d, want %d (%s)", cases[i].src, err.pos, cases[i].pos, err.msg);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].src, err.msg, cases[i].msg);
    }
    sl_buf_free(&json);
}

#define CHECK_ERR(f, cases) check_err(f, cases, sizeof(cases) / sizeof(cases[0]))

/* Errors that depend on the message: processing errors at run time. */
static void test_runtime_errors(void **state)
{
    static const err_case cases[] = {
        {"s * 3.6", SL_ERR_TYPE, 2, "unsupported operand types for *: str and float"},
        {"speed + name", SL_ERR_TYPE, 6, "for +: int and str"},
        {"name - 1", SL_ERR_TYPE, 5, "for -"},
        {"t + 1", SL_ERR_TYPE, 2, "bool and int"},
        {"speed.x", SL_ERR_TYPE, 6, "cannot read member \"x\" of int"},
        {"gps.lat.deg", SL_ERR_TYPE, 8, "of float"},
        {"tags.x", SL_ERR_TYPE, 5, "of list"},
        {"name[0]", SL_ERR_TYPE, 4, "cannot index str"},
        {"gps[0]", SL_ERR_TYPE, 3, "cannot index object"},
        {"tags[f]", SL_ERR_TYPE, 4, "index must be an int or a str"},
        {"name < 1", SL_ERR_TYPE, 5, "cannot compare str < int"},
        {"gps < gps", SL_ERR_TYPE, 4, "cannot compare object < object"},
        {"speed in speed", SL_ERR_TYPE, 6, "'in' needs a list, str or object"},
        {"1 in s", SL_ERR_TYPE, 2, "needs a str on the left"},
        {"-name", SL_ERR_TYPE, 0, "bad operand type for unary -: str"},
        {"big + 1", SL_ERR_OVERFLOW, 4, "integer overflow in +"},
        {"small - 1", SL_ERR_OVERFLOW, 6, "integer overflow in -"},
        {"big * 2", SL_ERR_OVERFLOW, 4, "integer overflow in *"},
        {"-small", SL_ERR_OVERFLOW, 0, "integer overflow"},
        {"small // -1", SL_ERR_OVERFLOW, 6, "integer overflow in //"},
        {"speed ** 20", SL_ERR_OVERFLOW, 6, "integer overflow in **"},
        {"abs(small)", SL_ERR_OVERFLOW, 0, "overflow in abs()"},
        {"round(small + 1, -19)", SL_ERR_OVERFLOW, 0, "overflow in round()"},
        {"round(big, -19)", SL_ERR_OVERFLOW, 0, "overflow in round()"},
        {"f * 1e308", SL_ERR_OVERFLOW, 2, "float result out of range"},
        {"speed / zero", SL_ERR_INVALID, 6, "division by zero"},
        {"speed // zero", SL_ERR_INVALID, 6, "division by zero"},
        {"speed % zero", SL_ERR_INVALID, 6, "division by zero"},
        {"f / 0.0", SL_ERR_INVALID, 2, "division by zero"},
        {"zero ** -1", SL_ERR_INVALID, 5, "negative power"},
        {"(-f) ** 0.5", SL_ERR_INVALID, 5, "fractional power"},
        {"1 + sqrt(-speed)", SL_ERR_INVALID, 4, "math domain error"},
        {"log(zero)", SL_ERR_INVALID, 0, "math domain error"},
        {"log(speed, 1)", SL_ERR_INVALID, 0, "base"},
        {"exp(speed * 100)", SL_ERR_OVERFLOW, 0, "out of range"},
        {"floor(f * 1e300)", SL_ERR_OVERFLOW, 0, "does not fit in an int"},
        {"int(s)", SL_ERR_INVALID, 0, "int(): \"fast\" is not an integer"},
        {"int(name + '9')", SL_ERR_INVALID, 0, "not an integer"},
        {"int(str(f))", SL_ERR_INVALID, 0, "\"2.5\" is not an integer"},
        {"int('99999999999999999999' + empty)", SL_ERR_OVERFLOW, 0, "out of range"},
        {"float(s)", SL_ERR_INVALID, 0, "float(): \"fast\" is not a number"},
        {"float('nan' + empty)", SL_ERR_INVALID, 0, "not a number"},
        {"upper(speed)", SL_ERR_TYPE, 0, "upper() needs a str, not int"},
        {"len(speed)", SL_ERR_TYPE, 0, "len() needs a str, list or object"},
        {"abs(name)", SL_ERR_TYPE, 0, "abs() needs a number"},
        {"round(f, 1.5)", SL_ERR_TYPE, 0, "round() needs an int number of digits"},
        {"substr(s, 1, -1)", SL_ERR_INVALID, 0, "must not be negative"},
        {"substr(s, f)", SL_ERR_TYPE, 0, "substr() needs an int start"},
        {"min(tags + [1])", SL_ERR_TYPE, 0, "min() cannot compare"},
        {"max(speed)", SL_ERR_TYPE, 0, "max() needs a list"},
        {"startswith(speed, 'a')", SL_ERR_TYPE, 0, "startswith() needs a str"},
        {"split(s, empty)", SL_ERR_INVALID, 0, "empty separator"},
        {"join([speed], '-') + s", SL_ERR_TYPE, 0, "join() needs a list of str"},
        {"keys(tags)", SL_ERR_TYPE, 0, "keys() needs an object"},
        {"get(speed, 'a')", SL_ERR_TYPE, 0, "get() cannot look up str in int"},
        {"{speed: 1}", SL_ERR_TYPE, 1, "object key must be a str"},
        {"1 + (2 * (speed + 'x'))", SL_ERR_TYPE, 16, "int and str"},
        {"[1, 2, s / 2]", SL_ERR_TYPE, 9, "str and int"},
        {"1 if s > 2 else 0", SL_ERR_TYPE, 7, "cannot compare"},
    };
    CHECK_ERR((fixture *)*state, cases);
}

/* Errors caught when compiling (validation time), with positions. */
static void test_compile_errors(void **state)
{
    static const err_case cases[] = {
        {"", SL_ERR_SYNTAX, 0, "empty expression"},
        {"   ", SL_ERR_SYNTAX, 0, "empty expression"},
        {"1 +", SL_ERR_SYNTAX, 3, "expected a value"},
        {"(1 + 2", SL_ERR_SYNTAX, 6, "expected ')'"},
        {"1 + 2)", SL_ERR_SYNTAX, 5, "expected an operator or the end"},
        {"speed speed", SL_ERR_SYNTAX, 6, "expected an operator or the end of the expression"},
        {"[1, 2", SL_ERR_SYNTAX, 5, "expected ',' or ']'"},
        {"{'a' 1}", SL_ERR_SYNTAX, 5, "expected ':' after an object key"},
        {"{'a': 1", SL_ERR_SYNTAX, 7, "expected ',' or '}'"},
        {"x if y", SL_ERR_SYNTAX, 6, "expected 'else'"},
        {"a.", SL_ERR_SYNTAX, 2, "expected a member name after '.'"},
        {"a.1", SL_ERR_SYNTAX, 1, "expected an operator"},
        {"a = 1", SL_ERR_SYNTAX, 2, "use '==' to compare"},
        {"!a", SL_ERR_SYNTAX, 0, "use 'not'"},
        {"a & b", SL_ERR_SYNTAX, 2, "unexpected character '&'"},
        {"'abc", SL_ERR_SYNTAX, 0, "unterminated string"},
        {"'\\q'", SL_ERR_SYNTAX, 1, "unknown escape \\q"},
        {"'\\u12'", SL_ERR_SYNTAX, 1, "bad hexadecimal escape"},
        {"'\\ud800'", SL_ERR_SYNTAX, 1, "lone surrogate"},
        {"99999999999999999999", SL_ERR_SYNTAX, 0, "integer literal out of range"},
        {"1e999", SL_ERR_SYNTAX, 0, "out of range"},
        {"1e", SL_ERR_SYNTAX, 1, "expected digits in exponent"},
        {"12abc", SL_ERR_SYNTAX, 2, "invalid character 'a' in number"},
        {"sp\xc3\xa9\x65\x64", SL_ERR_SYNTAX, 2, "non-ASCII"},
        {"'\xc3\xa9' + 1 +", SL_ERR_SYNTAX, 9, "expected a value"},
        {"a.b(1)", SL_ERR_SYNTAX, 3, "only functions can be called"},
        {"foo(1)", SL_ERR_INVALID, 0, "unknown function 'foo'"},
        {"1 + lowr(name)", SL_ERR_INVALID, 4, "did you mean 'lower'?"},
        {"abs()", SL_ERR_INVALID, 0, "abs() takes 1 argument, got 0"},
        {"abs(1, 2)", SL_ERR_INVALID, 0, "abs() takes 1 argument, got 2"},
        {"x + round(1, 2, 3)", SL_ERR_INVALID, 4, "round() takes 1 to 2 arguments, got 3"},
        {"coalesce()", SL_ERR_INVALID, 0, "coalesce() takes at least 1 argument, got 0"},
        {"substr('a')", SL_ERR_INVALID, 0, "substr(s, start[, length])"},
        {"1 / 0", SL_ERR_INVALID, 2, "division by zero"},
        {"x + 1 // 0", SL_ERR_INVALID, 6, "division by zero"},
        {"\"fast\" * 3.6", SL_ERR_INVALID, 7, "unsupported operand types for *: str and float"},
        {"9223372036854775807 + 1", SL_ERR_INVALID, 20, "integer overflow"},
        {"int('x')", SL_ERR_INVALID, 0, "not an integer"},
        {"'\xc3\xa9' * 2", SL_ERR_INVALID, 4, "str and int"},
    };
    CHECK_ERR((fixture *)*state, cases);
}

static void test_nesting_limits(void **state)
{
    sl_error err;
    char src[4096];
    /* 300 nested parentheses: deeper than SL_EXPR_MAX_DEPTH, rejected. */
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < 300; i++)
        src[n++] = ')';
    src[n] = '\0';
    assert_null(sl_expr_compile(src, &err));
    assert_int_equal(err.code, SL_ERR_SYNTAX);
    assert_non_null(strstr(err.msg, "nested"));
    /* A 1000-term sum is a tall tree without nesting: rejected too. */
    n = 0;
    for (int i = 0; i < 1000; i++) {
        src[n++] = 'a';
        src[n++] = '+';
    }
    src[n++] = 'a';
    src[n] = '\0';
    assert_null(sl_expr_compile(src, &err));
    assert_int_equal(err.code, SL_ERR_SYNTAX);
    assert_non_null(strstr(err.msg, "too complex"));
    /* 100 terms are fine. */
    n = 0;
    for (int i = 0; i < 100; i++) {
        src[n++] = '1';
        src[n++] = '+';
    }
    src[n++] = '1';
    src[n] = '\0';
    sl_expr *e = sl_expr_compile(src, &err);
    assert_non_null(e);
    assert_true(sl_expr_is_const(e));
    sl_expr_free(e);
    /* Variadic functions take any number of arguments. */
    n = (size_t)sprintf(src, "coalesce(");
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(src + n, "n%d,", i);
    sprintf(src + n, "7)");
    fixture *f = *state;
    sl_value v;
    e = sl_expr_compile(src, &err);
    assert_non_null(e);
    assert_int_equal(sl_expr_eval(e, &f->ctx, &f->row, &v, &err), SL_OK);
    assert_true(v.kind == SL_VAL_INT && v.u.i == 7);
    sl_expr_free(e);
    /* A message value nested 2000 deep cannot exhaust the stack either. */
    static char deep[4100];
    n = (size_t)sprintf(deep, "{\"d\":");
    for (int i = 0; i < 2000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 2000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    sl_row row;
    assert_int_equal(sl_row_init_json(&row, f->mem, sl_value_null(), 0, deep, n, &err), SL_OK);
    e = sl_expr_compile("[d]", &err);
    assert_int_equal(sl_expr_eval(e, &f->ctx, &row, &v, &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nested deeper"));
    sl_expr_free(e);
    e = sl_expr_compile("d == d", &err);
    assert_int_equal(sl_expr_eval(e, &f->ctx, &row, &v, &err), SL_OK);
    assert_true(v.kind == SL_VAL_BOOL && !v.u.b);
    sl_expr_free(e);
}

static void test_constant_folding(void **state)
{
    fixture *f = *state;
    sl_error err;
    static const struct {
        const char *src;
        bool is_const;
    } cases[] = {
        {"2 ** 10", true},         {"['a', 'b']", true},    {"-1", true},
        {"upper('x') + 'y'", true}, {"{\"a\": [1]}.a[0]", true}, {"speed * 3.6", false},
        {"_key", false},           {"len(tags)", false},    {"1 if true else speed", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_expr *e = sl_expr_compile(cases[i].src, &err);
        assert_non_null(e);
        if (sl_expr_is_const(e) != cases[i].is_const)
            fail_msg("%s: is_const %d", cases[i].src, sl_expr_is_const(e));
        sl_expr_free(e);
    }
    /* A folded composite constant outlives the batch memory. */
    sl_expr *e = sl_expr_compile("{\"k\": ['a' + 'b', 2 ** 3]}", &err);
    assert_non_null(e);
    sl_mem_reset(f->mem);
    sl_value v;
    sl_row row;
    sl_row_init(&row, f->mem, sl_value_null(), 0, sl_value_null());
    assert_int_equal(sl_expr_eval(e, &f->ctx, &row, &v, &err), SL_OK);
    sl_buf b = SL_BUF_INIT;
    assert_int_equal(sl_value_write_json(v, &b, NULL), SL_OK);
    assert_string_equal(b.data, "{\"k\":[\"ab\",8]}");
    sl_buf_free(&b);
    sl_expr_free(e);
    /* restore the fixture row for later tests */
    assert_int_equal(sl_row_init_json(&f->row, f->mem, sl_value_str("key-1", 5), 1700000000123LL,
                                      ROW_JSON, strlen(ROW_JSON), &err),
                     SL_OK);
}

static void test_truth_and_values(void **state)
{
    fixture *f = *state;
    sl_error err;
    static const struct {
        const char *src;
        sl_truth want;
    } cases[] = {
        {"speed > 10", SL_TRUTH_TRUE},  {"speed > 100", SL_TRUTH_FALSE},
        {"n > 1", SL_TRUTH_NULL},       {"missing", SL_TRUTH_NULL},
        {"name", SL_TRUTH_TRUE},        {"empty", SL_TRUTH_FALSE},
        {"zero", SL_TRUTH_FALSE},       {"tags", SL_TRUTH_TRUE},
        {"[]", SL_TRUTH_FALSE},         {"n or t", SL_TRUTH_TRUE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_expr *e = sl_expr_compile(cases[i].src, &err);
        sl_truth t;
        assert_non_null(e);
        assert_int_equal(sl_expr_eval_truth(e, &f->ctx, &f->row, &t, &err), SL_OK);
        if (t != cases[i].want)
            fail_msg("%s: truth %d, want %d", cases[i].src, t, cases[i].want);
        sl_expr_free(e);
    }
    /* Errors still come back from the truth helper, with a null truth. */
    sl_expr *e = sl_expr_compile("s * 2 > 1", &err);
    sl_truth t = SL_TRUTH_TRUE;
    assert_int_equal(sl_expr_eval_truth(e, &f->ctx, &f->row, &t, &err), SL_ERR_TYPE);
    assert_int_equal(t, SL_TRUTH_NULL);
    sl_expr_free(e);
}

/* A non-object value: columns are a type error, _value works, null reads null. */
static void test_non_object_rows(void **state)
{
    fixture *f = *state;
    sl_error err;
    sl_row row;
    sl_value v;
    sl_expr *col = sl_expr_compile("speed", &err);
    sl_expr *val = sl_expr_compile("upper(_value)", &err);
    sl_row_init(&row, f->mem, sl_value_null(), 5, sl_value_str("hello", 5));
    assert_int_equal(sl_expr_eval(col, &f->ctx, &row, &v, &err), SL_ERR_TYPE);
    assert_non_null(strstr(err.msg, "the message value is str"));
    assert_int_equal(sl_expr_eval(val, &f->ctx, &row, &v, &err), SL_OK);
    assert_int_equal(v.kind, SL_VAL_STR);
    assert_memory_equal(v.u.s, "HELLO", 5);
    sl_row_init(&row, f->mem, sl_value_null(), 5, sl_value_null());
    assert_int_equal(sl_expr_eval(col, &f->ctx, &row, &v, &err), SL_OK);
    assert_int_equal(v.kind, SL_VAL_NULL);
    sl_expr_free(col);
    sl_expr_free(val);
}

/* The evaluation context created by sl_eval_ctx_create owns its memory. */
static void test_ctx_create(void **state)
{
    (void)state;
    sl_error err;
    sl_eval_ctx *ctx = sl_eval_ctx_create(0);
    assert_non_null(ctx);
    sl_expr *e = sl_expr_compile("[a, a + 1]", &err);
    sl_row row;
    const char *json = "{\"a\": 1}";
    for (int batch = 0; batch < 3; batch++) {
        assert_int_equal(sl_eval_ctx_reset(ctx), SL_OK);
        assert_int_equal(
            sl_row_init_json(&row, ctx->mem, sl_value_null(), 0, json, strlen(json), &err), SL_OK);
        sl_value v;
        assert_int_equal(sl_expr_eval(e, ctx, &row, &v, &err), SL_OK);
        assert_int_equal(sl_value_size(v), 2);
    }
    sl_expr_free(e);
    sl_eval_ctx_destroy(ctx);
    sl_eval_ctx_destroy(NULL);
    sl_expr_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_arithmetic),      cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_comparison),      cmocka_unit_test(test_null_rules),
        cmocka_unit_test(test_functions),       cmocka_unit_test(test_runtime_errors),
        cmocka_unit_test(test_compile_errors),  cmocka_unit_test(test_nesting_limits),
        cmocka_unit_test(test_constant_folding), cmocka_unit_test(test_truth_and_values),
        cmocka_unit_test(test_non_object_rows), cmocka_unit_test(test_ctx_create),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

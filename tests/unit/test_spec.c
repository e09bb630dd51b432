/* test_spec — the pipeline spec parser: every validation error path (code,
 * where, position, message), suggestions, defaults, collecting several
 * errors, and the canonical rendering. Table-driven: each row is a spec and
 * the error it must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "expr/sl_expr.h"
#include "kafka/sl_pipeline_topics.h"
#include "spec/sl_spec.h"

/* A spec around one step, to keep the table short. */
#define STEP(s) "{\"name\":\"p\",\"input\":{\"topic\":\"in\"},\"steps\":[" s "]}"
#define TOP(s) "{\"name\":\"p\",\"input\":{\"topic\":\"in\"},\"steps\":[]," s "}"

typedef struct bad_case {
    const char *spec;
    int code;
    const char *where;
    int pos;          /* -1: none; -2: any position >= 0 */
    const char *msg;  /* substring of the message */
} bad_case;

static const bad_case bad_cases[] = {
    /* the document */
    {"{\"name\": ", SL_ERR_INVALID, "", -1, "invalid JSON at line 1, column"},
    {"{\n \"name\": \"p\",\n x}", SL_ERR_INVALID, "", -1, "invalid JSON at line 3, column 2"},
    {"[1]", SL_ERR_INVALID, "", -1, "must be a JSON object, got an array"},
    {"{\"name\":\"p\",\"name\":\"q\",\"input\":{\"topic\":\"in\"},\"steps\":[]}", SL_ERR_INVALID,
     "name", -1, "field 'name' appears twice"},
    /* top level */
    {"{\"input\":{\"topic\":\"in\"},\"steps\":[]}", SL_ERR_INVALID, "name", -1,
     "missing required field 'name'"},
    {"{\"name\":\"Bad_Name\",\"input\":{\"topic\":\"in\"},\"steps\":[]}", SL_ERR_INVALID, "name",
     -1, "invalid pipeline name 'Bad_Name'; expected 1-63 characters"},
    {"{\"name\":\"-p\",\"input\":{\"topic\":\"in\"},\"steps\":[]}", SL_ERR_INVALID, "name", -1,
     "not starting with '-'"},
    {"{\"name\":\"a234567890123456789012345678901234567890123456789012345678901234\","
     "\"input\":{\"topic\":\"in\"},\"steps\":[]}",
     SL_ERR_INVALID, "name", -1, "expected 1-63 characters"},
    {"{\"name\":7,\"input\":{\"topic\":\"in\"},\"steps\":[]}", SL_ERR_INVALID, "name", -1,
     "expected a string, got a number"},
    {"{\"name\":\"p\",\"steps\":[]}", SL_ERR_INVALID, "input", -1,
     "missing required field 'input'"},
    {"{\"name\":\"p\",\"input\":\"in\",\"steps\":[]}", SL_ERR_INVALID, "input", -1,
     "expected an object, got a string"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\"}}", SL_ERR_INVALID, "steps", -1,
     "missing required field 'steps'"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\"},\"steps\":{}}", SL_ERR_INVALID, "steps", -1,
     "expected an array of steps, got an object"},
    {TOP("\"stpes\":[]"), SL_ERR_INVALID, "stpes", -1, "unknown field 'stpes'; did you mean 'steps'?"},
    {TOP("\"on_eror\":\"skip\""), SL_ERR_INVALID, "on_eror", -1, "did you mean 'on_error'?"},
    {TOP("\"zzzzzzzz\":1"), SL_ERR_INVALID, "zzzzzzzz", -1,
     "unknown field 'zzzzzzzz'; expected one of 'name', 'input'"},
    {TOP("\"guarantee\":\"exactly_once\""), SL_ERR_INVALID, "guarantee", -1,
     "unknown value 'exactly_once'; did you mean 'exactly-once'?"},
    {TOP("\"guarantee\":true"), SL_ERR_INVALID, "guarantee", -1,
     "expected one of 'at-least-once', 'exactly-once', got a boolean"},
    {TOP("\"on_error\":\"dead-letter\""), SL_ERR_INVALID, "on_error", -1,
     "did you mean 'dead_letter'?"},
    {TOP("\"on_error\":\"retry\""), SL_ERR_INVALID, "on_error", -1,
     "expected one of 'dead_letter', 'skip', 'fail'"},
    {TOP("\"dead_letter_topic\":\"a b\""), SL_ERR_INVALID, "dead_letter_topic", -1,
     "invalid topic name 'a b'"},
    {TOP("\"dead_letter_topic\":\"\""), SL_ERR_INVALID, "dead_letter_topic", -1,
     "expected a non-empty string"},
    /* input */
    {"{\"name\":\"p\",\"input\":{},\"steps\":[]}", SL_ERR_INVALID, "input.topic", -1,
     "missing required field 'topic'"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"..\"},\"steps\":[]}", SL_ERR_INVALID, "input.topic",
     -1, "invalid topic name '..'"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\",\"topik\":1},\"steps\":[]}", SL_ERR_INVALID,
     "input.topik", -1, "unknown field 'topik'; did you mean 'topic'?"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\",\"value_format\":\"jsn\"},\"steps\":[]}",
     SL_ERR_INVALID, "input.value_format", -1, "unknown value 'jsn'; did you mean 'json'?"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\",\"key_format\":\"avro\"},\"steps\":[]}",
     SL_ERR_INVALID, "input.key_format", -1,
     "unknown value 'avro'; expected one of 'string', 'json', 'bytes'"},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\",\"timestamp\":\"ts +\"},\"steps\":[]}",
     SL_ERR_SYNTAX, "input.timestamp", -2, ""},
    {"{\"name\":\"p\",\"input\":{\"topic\":\"in\",\"timestamp\":5},\"steps\":[]}", SL_ERR_INVALID,
     "input.timestamp", -1, "expected a string, got a number"},
    /* steps, generic */
    {STEP("3"), SL_ERR_INVALID, "steps[0]", -1, "expected a step (an object with 'op'), got a number"},
    {STEP("{}"), SL_ERR_INVALID, "steps[0].op", -1, "missing required field 'op'"},
    {STEP("{\"op\":1}"), SL_ERR_INVALID, "steps[0].op", -1, "expected the op name (a string)"},
    {STEP("{\"op\":\"filtr\",\"where\":\"x\"}"), SL_ERR_INVALID, "steps[0].op", -1,
     "unknown op 'filtr'; did you mean 'filter'?"},
    {STEP("{\"op\":\"asign\"}"), SL_ERR_INVALID, "steps[0].op", -1, "did you mean 'assign'?"},
    {STEP("{\"op\":\"frobnicate\"}"), SL_ERR_INVALID, "steps[0].op", -1,
     "unknown op 'frobnicate'; expected assign, filter"},
    {STEP("{\"op\":\"tumbling_window\"}"), SL_ERR_INVALID, "steps[0].size", -1,
     "missing required field 'size'"},
    {STEP("{\"op\":\"print\"},{\"op\":\"filter\",\"wher\":\"x\"}"), SL_ERR_INVALID,
     "steps[1].wher", -1, "unknown field 'wher'; did you mean 'where'?"},
    /* windows and aggregate */
#define AGG "\"aggregate\":{\"n\":\"count()\"}"
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"10x\"," AGG "}"), SL_ERR_INVALID,
     "steps[0].size", -1, "invalid duration '10x'"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":-5," AGG "}"), SL_ERR_INVALID, "steps[0].size",
     -1, "expected a duration >= 0, got -5"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":0," AGG "}"), SL_ERR_INVALID, "steps[0].size", -1,
     "at least 1ms"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":1.5," AGG "}"), SL_ERR_INVALID, "steps[0].size",
     -1, "expected a duration"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"grace\":true," AGG "}"), SL_ERR_INVALID,
     "steps[0].grace", -1, "got a boolean"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\"}"), SL_ERR_INVALID, "steps[0].aggregate",
     -1, "missing required field 'aggregate'"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{}}"), SL_ERR_INVALID,
     "steps[0].aggregate", -1, "got an empty object"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"n\":3}}"), SL_ERR_INVALID,
     "steps[0].aggregate.n", -1, "expected an aggregation such as \"mean(speed)\", got a number"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"n\":\"avg(x)\"}}"),
     SL_ERR_INVALID, "steps[0].aggregate.n", 0, "unknown aggregation 'avg'"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"n\":\"maen(x)\"}}"),
     SL_ERR_INVALID, "steps[0].aggregate.n", 0, "did you mean 'mean'?"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"n\":\"mean x\"}}"),
     SL_ERR_SYNTAX, "steps[0].aggregate.n", 5, "expected an aggregation"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"n\":\"mean(x\"}}"),
     SL_ERR_SYNTAX, "steps[0].aggregate.n", 5, "expected an aggregation"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"n\":\"sum()\"}}"),
     SL_ERR_INVALID, "steps[0].aggregate.n", 4, "sum() needs an expression"},
    /* the position is inside the whole string: "mean(speed * * 2)" -> 13 */
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"avg\":\"mean(speed * * 2)\"}}"),
     SL_ERR_SYNTAX, "steps[0].aggregate.avg", 13, ""},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"m\":\" max( frob(x) )\"}}"),
     SL_ERR_INVALID, "steps[0].aggregate.m", 6, "frob"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"start\":\"count()\"}}"),
     SL_ERR_INVALID, "steps[0].aggregate.start", -1, "'start' is reserved"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"aggregate\":{\"a\":\"count()\","
          "\"a\":\"sum(x)\"}}"),
     SL_ERR_INVALID, "steps[0].aggregate.a", -1, "output 'a' appears twice"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"emit\":\"finall\"," AGG "}"),
     SL_ERR_INVALID, "steps[0].emit", -1, "did you mean 'final'?"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"closing\":\"topic\"," AGG "}"),
     SL_ERR_INVALID, "steps[0].closing", -1, "expected one of 'key', 'partition'"},
    {STEP("{\"op\":\"tumbling_window\",\"size\":\"1m\",\"step\":\"1s\"," AGG "}"),
     SL_ERR_INVALID, "steps[0].step", -1, "unknown field 'step'"},
    {STEP("{\"op\":\"hopping_window\",\"size\":\"1m\"," AGG "}"), SL_ERR_INVALID,
     "steps[0].step", -1, "missing required field 'step'"},
    {STEP("{\"op\":\"hopping_window\",\"size\":\"1m\",\"step\":\"2m\"," AGG "}"), SL_ERR_INVALID,
     "steps[0].step", -1, "at most the size (60000ms), got 120000ms"},
    {STEP("{\"op\":\"hopping_window\",\"size\":\"1h\",\"step\":1," AGG "}"), SL_ERR_INVALID,
     "steps[0].step", -1, "size / step must be at most 1000"},
    {STEP("{\"op\":\"sliding_window\",\"size\":\"1m\",\"closing\":\"partition\"," AGG "}"),
     SL_ERR_UNSUPPORTED, "steps[0].closing", -1, "supports only closing \"key\""},
    {STEP("{\"op\":\"tumbling_count_window\"," AGG "}"), SL_ERR_INVALID, "steps[0].count", -1,
     "missing required field 'count'"},
    {STEP("{\"op\":\"tumbling_count_window\",\"count\":0," AGG "}"), SL_ERR_INVALID,
     "steps[0].count", -1, "an integer 1..1000000000"},
    {STEP("{\"op\":\"tumbling_count_window\",\"count\":3,\"grace\":\"1s\"," AGG "}"),
     SL_ERR_INVALID, "steps[0].grace", -1, "unknown field 'grace'"},
    {STEP("{\"op\":\"hopping_count_window\",\"count\":3,\"step\":4," AGG "}"), SL_ERR_INVALID,
     "steps[0].step", -1, "step (4) must not be larger than count (3)"},
    {STEP("{\"op\":\"hopping_count_window\",\"count\":3,\"step\":\"1\"," AGG "}"),
     SL_ERR_INVALID, "steps[0].step", -1, "got a string"},
    {STEP("{\"op\":\"aggregate\"}"), SL_ERR_INVALID, "steps[0].aggregate", -1,
     "missing required field 'aggregate'"},
    {STEP("{\"op\":\"aggregate\",\"aggregate\":{\"n\":\"count()\"},\"emit\":\"current\"}"),
     SL_ERR_INVALID, "steps[0].emit", -1, "unknown field 'emit'"},
    {STEP("{\"op\":\"aggregate\",\"aggregate\":{\"t\":\"collect(a[)\"}}"), SL_ERR_SYNTAX,
     "steps[0].aggregate.t", -2, ""},
#undef AGG
    /* filter */
    {STEP("{\"op\":\"filter\"}"), SL_ERR_INVALID, "steps[0].where", -1,
     "missing required field 'where'"},
    {STEP("{\"op\":\"filter\",\"where\":\"\"}"), SL_ERR_INVALID, "steps[0].where", -1,
     "expected a non-empty string"},
    {STEP("{\"op\":\"filter\",\"where\":true}"), SL_ERR_INVALID, "steps[0].where", -1,
     "expected a string, got a boolean"},
    {STEP("{\"op\":\"filter\",\"where\":\"speed > > 1\"}"), SL_ERR_SYNTAX, "steps[0].where", 8,
     ""},
    {STEP("{\"op\":\"filter\",\"where\":\"frob(speed) > 1\"}"), SL_ERR_INVALID, "steps[0].where",
     0, "frob"},
    {STEP("{\"op\":\"filter\",\"where\":\"x and lower(a, b)\"}"), SL_ERR_INVALID,
     "steps[0].where", 6, "lower"},
    /* assign */
    {STEP("{\"op\":\"assign\"}"), SL_ERR_INVALID, "steps[0].columns", -1,
     "missing required field 'columns' (an object of column name: expression)"},
    {STEP("{\"op\":\"assign\",\"columns\":{}}"), SL_ERR_INVALID, "steps[0].columns", -1,
     "expected a non-empty object of column name: expression, got an empty object"},
    {STEP("{\"op\":\"assign\",\"columns\":[\"a\"]}"), SL_ERR_INVALID, "steps[0].columns", -1,
     "got an array"},
    {STEP("{\"op\":\"assign\",\"columns\":{\"a\":1}}"), SL_ERR_INVALID, "steps[0].columns.a", -1,
     "expected an expression (a non-empty string), got a number"},
    {STEP("{\"op\":\"assign\",\"columns\":{\"kmh\":\"speed * * 3.6\"}}"), SL_ERR_SYNTAX,
     "steps[0].columns.kmh", 8, ""},
    {STEP("{\"op\":\"assign\",\"columns\":{\"temp C\":\"(\"}}"), SL_ERR_SYNTAX,
     "steps[0].columns[\"temp C\"]", -2, ""},
    {STEP("{\"op\":\"assign\",\"columns\":{\"a\":\"1\",\"a\":\"2\"}}"), SL_ERR_INVALID,
     "steps[0].columns.a", -1, "column 'a' appears twice"},
    {STEP("{\"op\":\"assign\",\"column\":{\"a\":\"1\"}}"), SL_ERR_INVALID, "steps[0].column", -1,
     "did you mean 'columns'?"},
    /* select, drop */
    {STEP("{\"op\":\"select\",\"columns\":\"a\"}"), SL_ERR_INVALID, "steps[0].columns", -1,
     "expected a non-empty array of column names, got a string"},
    {STEP("{\"op\":\"select\",\"columns\":[]}"), SL_ERR_INVALID, "steps[0].columns", -1,
     "got an empty array"},
    {STEP("{\"op\":\"drop\",\"columns\":[\"a\",2]}"), SL_ERR_INVALID, "steps[0].columns[1]", -1,
     "expected a column name, got a number"},
    {STEP("{\"op\":\"drop\",\"columns\":[\"a\",\"\"]}"), SL_ERR_INVALID, "steps[0].columns[1]", -1,
     "got an empty string"},
    {STEP("{\"op\":\"select\",\"columns\":[\"a\",\"a\"]}"), SL_ERR_INVALID, "steps[0].columns[1]",
     -1, "column 'a' appears twice"},
    {STEP("{\"op\":\"drop\"}"), SL_ERR_INVALID, "steps[0].columns", -1,
     "missing required field 'columns' (an array of column names)"},
    /* rename */
    {STEP("{\"op\":\"rename\",\"columns\":{\"a\":3}}"), SL_ERR_INVALID, "steps[0].columns.a", -1,
     "expected the new column name (a non-empty string), got a number"},
    {STEP("{\"op\":\"rename\",\"columns\":{\"a\":\"c\",\"b\":\"c\"}}"), SL_ERR_INVALID,
     "steps[0].columns.b", -1, "two columns are renamed to 'c'"},
    /* expression steps */
    {STEP("{\"op\":\"apply\"}"), SL_ERR_INVALID, "steps[0].expr", -1,
     "missing required field 'expr'"},
    {STEP("{\"op\":\"expand\",\"expr\":\"items[\"}"), SL_ERR_SYNTAX, "steps[0].expr", -2, ""},
    {STEP("{\"op\":\"set_key\",\"exp\":\"a\"}"), SL_ERR_INVALID, "steps[0].exp", -1,
     "did you mean 'expr'?"},
    {STEP("{\"op\":\"set_timestamp\",\"expr\":\"ts +\"}"), SL_ERR_SYNTAX, "steps[0].expr", -2,
     ""},
    /* to_topic, print */
    {STEP("{\"op\":\"to_topic\"}"), SL_ERR_INVALID, "steps[0].topic", -1,
     "missing required field 'topic'"},
    {STEP("{\"op\":\"to_topic\",\"topic\":\"out/x\"}"), SL_ERR_INVALID, "steps[0].topic", -1,
     "invalid topic name 'out/x'"},
    {STEP("{\"op\":\"to_topic\",\"topic\":\"out\",\"key\":\"a +\"}"), SL_ERR_SYNTAX,
     "steps[0].key", -2, ""},
    {STEP("{\"op\":\"to_topic\",\"topic\":\"out\",\"value_format\":\"xml\"}"), SL_ERR_INVALID,
     "steps[0].value_format", -1, "unknown value 'xml'"},
    {STEP("{\"op\":\"print\",\"metadata\":\"yes\"}"), SL_ERR_INVALID, "steps[0].metadata", -1,
     "expected true or false, got a string"},
    {STEP("{\"op\":\"print\",\"pretty\":true}"), SL_ERR_INVALID, "steps[0].pretty", -1,
     "unknown field 'pretty'; expected one of 'op', 'metadata'"},
};

static void test_bad_specs(void **state)
{
    (void)state;
    char where[160];
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        sl_error err;
        sl_error_clear(&err);
        sl_plan *plan = sl_plan_parse(c->spec, strlen(c->spec), &err);
        if (plan || err.code != c->code || strcmp(err.where, c->where) != 0 ||
            (c->pos == -2 ? err.pos < 0 : err.pos != c->pos) || !strstr(err.msg, c->msg)) {
            print_error("case %zu: %s\n  got code=%d where='%s' pos=%d msg='%s'\n", i, c->spec,
                        err.code, err.where, err.pos, err.msg);
            snprintf(where, sizeof(where), "case %zu", i);
            sl_plan_free(plan);
            fail_msg("%s", where);
        }
    }
}

static sl_plan *parse_ok(const char *spec)
{
    sl_error err;
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    if (!plan)
        fail_msg("unexpected error: %s: %s (pos %d)", err.where, err.msg, err.pos);
    return plan;
}

static void test_defaults(void **state)
{
    (void)state;
    sl_plan *p = parse_ok("{\"name\":\"speeding\",\"input\":{\"topic\":\"sensors\"},"
                          "\"steps\":[{\"op\":\"to_topic\",\"topic\":\"out\"},{\"op\":\"print\"}]}");
    assert_string_equal(p->name, "speeding");
    assert_string_equal(p->input.topic, "sensors");
    assert_int_equal(p->input.key_format, SL_FORMAT_STRING);
    assert_int_equal(p->input.value_format, SL_FORMAT_JSON);
    assert_null(p->input.timestamp);
    assert_null(p->input.timestamp_src);
    assert_int_equal(p->guarantee, SL_GUARANTEE_AT_LEAST_ONCE);
    assert_int_equal(p->on_error, SL_ON_ERROR_DEAD_LETTER);
    assert_string_equal(p->dead_letter_topic, "speeding.dlq");
    assert_int_equal(p->nsteps, 2);
    assert_int_equal(p->steps[0].op, SL_STEP_TO_TOPIC);
    assert_int_equal(p->steps[0].value_format, SL_FORMAT_JSON);
    assert_null(p->steps[0].expr);
    assert_int_equal(p->steps[1].op, SL_STEP_PRINT);
    assert_false(p->steps[1].metadata);
    sl_plan_free(p);
}

static void test_full_spec(void **state)
{
    (void)state;
    sl_plan *p = parse_ok(
        "{\"name\":\"p-1\",\"input\":{\"topic\":\"in\",\"key_format\":\"json\","
        "\"value_format\":\"string\",\"timestamp\":\"_timestamp + 1\"},"
        "\"steps\":[{\"op\":\"assign\",\"columns\":{\"b\":\"a * 2\",\"c\":\"1\"}},"
        "{\"op\":\"rename\",\"columns\":{\"b\":\"bb\"}},"
        "{\"op\":\"to_topic\",\"topic\":\"out\",\"key\":\"_key\"}],"
        "\"guarantee\":\"exactly-once\",\"on_error\":\"fail\",\"dead_letter_topic\":\"errs\"}");
    assert_int_equal(p->input.key_format, SL_FORMAT_JSON);
    assert_int_equal(p->input.value_format, SL_FORMAT_STRING);
    assert_non_null(p->input.timestamp);
    assert_string_equal(p->input.timestamp_src, "_timestamp + 1");
    assert_int_equal(p->guarantee, SL_GUARANTEE_EXACTLY_ONCE);
    assert_int_equal(p->on_error, SL_ON_ERROR_FAIL);
    assert_string_equal(p->dead_letter_topic, "errs");
    assert_int_equal(p->steps[0].ncolumns, 2);
    assert_string_equal(p->steps[0].columns[0].name, "b");
    assert_string_equal(p->steps[0].columns[0].src, "a * 2");
    assert_non_null(p->steps[0].columns[0].expr);
    assert_string_equal(p->steps[1].columns[0].new_name, "bb");
    /* to_topic defaults to the input's value format */
    assert_int_equal(p->steps[2].value_format, SL_FORMAT_STRING);
    assert_non_null(p->steps[2].expr);
    assert_int_equal(p->steps[2].index, 2);
    sl_plan_free(p);
}

static void test_all_errors(void **state)
{
    (void)state;
    const char *spec = "{\"name\":\"Bad\",\"input\":{\"topic\":\"in\",\"value_format\":\"x\"},"
                       "\"steps\":[{\"op\":\"filter\",\"where\":\"a >\"},{\"op\":\"nope\"}],"
                       "\"on_error\":\"skip\"}";
    sl_error errs[8];
    size_t n = 0;
    sl_plan *p = sl_plan_parse_all(spec, strlen(spec), errs, 8, &n);
    assert_null(p);
    assert_int_equal(n, 4);
    assert_string_equal(errs[0].where, "name");
    assert_string_equal(errs[1].where, "input.value_format");
    assert_string_equal(errs[2].where, "steps[0].where");
    assert_true(errs[2].pos >= 0);
    assert_string_equal(errs[3].where, "steps[1].op");
    /* fewer slots than errors: the first ones are kept */
    p = sl_plan_parse_all(spec, strlen(spec), errs, 2, &n);
    assert_null(p);
    assert_int_equal(n, 2);
    assert_string_equal(errs[1].where, "input.value_format");
}

static void test_suggest(void **state)
{
    (void)state;
    static const char *const names[] = {"filter", "assign", "select", "set_key", NULL};
    assert_int_equal(sl_spec_distance("filter", "filter", 3), 0);
    assert_int_equal(sl_spec_distance("fitler", "filter", 3), 1);
    assert_int_equal(sl_spec_distance("flter", "filter", 3), 1);
    assert_int_equal(sl_spec_distance("kitten", "sitting", 5), 3);
    assert_int_equal(sl_spec_distance("abc", "xyzxyzxyz", 2), 3);
    assert_string_equal(sl_spec_suggest("filtr", names), "filter");
    assert_string_equal(sl_spec_suggest("setkey", names), "set_key");
    assert_string_equal(sl_spec_suggest("selct", names), "select");
    assert_null(sl_spec_suggest("aggregate", names));
    assert_null(sl_spec_suggest("x", names));
}

static void test_render_roundtrip(void **state)
{
    (void)state;
    const char *spec =
        "{\"steps\":[{\"where\":\"speed_kmh > 100\",\"op\":\"filter\"},"
        "{\"op\":\"select\",\"columns\":[\"a\",\"b\"]},{\"op\":\"drop\",\"columns\":[\"c\"]},"
        "{\"op\":\"assign\",\"columns\":{\"x\":\"a + 1\"}},{\"op\":\"rename\",\"columns\":{\"a\":\"z\"}},"
        "{\"op\":\"apply\",\"expr\":\"{\\\"v\\\": x}\"},{\"op\":\"expand\",\"expr\":\"[1, 2]\"},"
        "{\"op\":\"set_key\",\"expr\":\"'k'\"},{\"op\":\"set_timestamp\",\"expr\":\"5\"},"
        "{\"op\":\"print\",\"metadata\":true},{\"op\":\"to_topic\",\"topic\":\"o\",\"key\":\"'k2'\"}],"
        "\"name\":\"r\",\"input\":{\"topic\":\"in\"}}";
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    sl_plan *p = parse_ok(spec);
    assert_int_equal(sl_plan_render(p, &a, NULL), SL_OK);
    sl_plan *q = parse_ok(a.data);
    assert_int_equal(sl_plan_render(q, &b, NULL), SL_OK);
    assert_string_equal(a.data, b.data);
    assert_non_null(strstr(a.data, "{\"name\":\"r\",\"input\":{\"topic\":\"in\",\"key_format\":"
                                   "\"string\",\"value_format\":\"json\"},\"steps\":["
                                   "{\"op\":\"filter\",\"where\":\"speed_kmh > 100\"}"));
    assert_non_null(strstr(a.data, "\"guarantee\":\"at-least-once\",\"on_error\":"
                                   "\"dead_letter\",\"dead_letter_topic\":\"r.dlq\"}"));
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_plan_free(p);
    sl_plan_free(q);
}

static void test_window_specs(void **state)
{
    (void)state;
    sl_plan *p = parse_ok(
        "{\"name\":\"w\",\"input\":{\"topic\":\"in\"},\"steps\":["
        "{\"op\":\"tumbling_window\",\"size\":\"30s\",\"aggregate\":{\"avg\":\"mean(speed)\","
        "\"n\":\"count()\",\"nn\":\" count( x )\"}},"
        "{\"op\":\"hopping_window\",\"size\":60000,\"step\":\"20s\",\"grace\":\"1s\","
        "\"aggregate\":{\"c\":\"collect(a.b)\"},\"emit\":\"current\",\"closing\":\"partition\"},"
        "{\"op\":\"sliding_window\",\"size\":\"1h\",\"aggregate\":{\"m\":\"max(x)\"}},"
        "{\"op\":\"tumbling_count_window\",\"count\":3,\"aggregate\":{\"f\":\"first(x)\"}},"
        "{\"op\":\"hopping_count_window\",\"count\":4,\"step\":2,\"aggregate\":{\"l\":\"last(x)\"}},"
        "{\"op\":\"aggregate\",\"aggregate\":{\"s\":\"sum(x)\",\"mn\":\"min(x)\"}}]}");
    const sl_step *s = p->steps;
    assert_int_equal(s[0].size_ms, 30000);
    assert_int_equal(s[0].step_ms, 30000);
    assert_int_equal(s[0].grace_ms, 0);
    assert_int_equal(s[0].emit, SL_EMIT_FINAL);
    assert_int_equal(s[0].closing, SL_CLOSING_KEY);
    assert_int_equal(s[0].naggs, 3);
    assert_int_equal(s[0].aggs[0].kind, SL_AGG_MEAN);
    assert_non_null(s[0].aggs[0].expr);
    assert_int_equal(s[0].aggs[1].kind, SL_AGG_COUNT_ALL);
    assert_null(s[0].aggs[1].expr);
    assert_int_equal(s[0].aggs[2].kind, SL_AGG_COUNT);
    assert_string_equal(s[0].aggs[2].src, " count( x )");
    assert_int_equal(s[1].size_ms, 60000);
    assert_int_equal(s[1].step_ms, 20000);
    assert_int_equal(s[1].grace_ms, 1000);
    assert_int_equal(s[1].emit, SL_EMIT_CURRENT);
    assert_int_equal(s[1].closing, SL_CLOSING_PARTITION);
    assert_int_equal(s[1].aggs[0].kind, SL_AGG_COLLECT);
    assert_int_equal(s[2].size_ms, 3600000);
    assert_int_equal(s[3].count, 3);
    assert_int_equal(s[3].count_step, 3);
    assert_int_equal(s[4].count_step, 2);
    assert_int_equal(s[5].aggs[1].kind, SL_AGG_MIN);
    assert_true(sl_plan_is_stateful(p));
    assert_string_equal(sl_agg_kind_name(SL_AGG_COLLECT), "collect");
    assert_string_equal(sl_emit_mode_name(SL_EMIT_CURRENT), "current");
    assert_string_equal(sl_closing_name(SL_CLOSING_PARTITION), "partition");

    /* rendering writes durations in ms and every default; it parses back */
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    assert_int_equal(sl_plan_render(p, &a, NULL), SL_OK);
    assert_non_null(strstr(a.data, "{\"op\":\"tumbling_window\",\"size\":30000,\"grace\":0,"
                                   "\"aggregate\":{\"avg\":\"mean(speed)\",\"n\":\"count()\","
                                   "\"nn\":\" count( x )\"},\"emit\":\"final\",\"closing\":\"key\"}"));
    assert_non_null(strstr(a.data, "{\"op\":\"hopping_count_window\",\"count\":4,\"step\":2,"
                                   "\"aggregate\":{\"l\":\"last(x)\"},\"emit\":\"final\"}"));
    sl_plan *q = parse_ok(a.data);
    assert_int_equal(sl_plan_render(q, &b, NULL), SL_OK);
    assert_string_equal(a.data, b.data);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_plan_free(q);
    sl_plan_free(p);

    p = parse_ok("{\"name\":\"w\",\"input\":{\"topic\":\"in\"},\"steps\":[{\"op\":\"print\"}]}");
    assert_false(sl_plan_is_stateful(p));
    sl_plan_free(p);
}

/* The topics a plan writes: to_topic steps in order, then the dead-letter
 * topic only when on_error routes there. */
static void test_output_topics(void **state)
{
    (void)state;
    sl_error err;
    const char *dl = "{\"name\": \"p\", \"input\": {\"topic\": \"in\"}, \"steps\": ["
                     "{\"op\": \"to_topic\", \"topic\": \"a\"},"
                     "{\"op\": \"filter\", \"where\": \"x > 1\"},"
                     "{\"op\": \"to_topic\", \"topic\": \"b\"}]}";
    sl_plan *plan = sl_plan_parse(dl, strlen(dl), &err);
    assert_non_null(plan);
    assert_string_equal(sl_pipeline_output_topic(plan, 0), "a");
    assert_string_equal(sl_pipeline_output_topic(plan, 1), "b");
    assert_string_equal(sl_pipeline_output_topic(plan, 2), plan->dead_letter_topic);
    assert_null(sl_pipeline_output_topic(plan, 3));
    sl_plan_free(plan);

    const char *skip = "{\"name\": \"p\", \"input\": {\"topic\": \"in\"}, \"on_error\": \"skip\","
                       " \"steps\": [{\"op\": \"to_topic\", \"topic\": \"a\"}]}";
    plan = sl_plan_parse(skip, strlen(skip), &err);
    assert_non_null(plan);
    assert_string_equal(sl_pipeline_output_topic(plan, 0), "a");
    assert_null(sl_pipeline_output_topic(plan, 1));
    sl_plan_free(plan);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sl_step_op_name(SL_STEP_SET_TIMESTAMP), "set_timestamp");
    assert_string_equal(sl_step_op_name(SL_STEP_HOPPING_COUNT_WINDOW), "hopping_count_window");
    assert_string_equal(sl_step_op_name((sl_step_op)999), "?");
    assert_string_equal(sl_format_name(SL_FORMAT_BYTES), "bytes");
    assert_string_equal(sl_on_error_name(SL_ON_ERROR_SKIP), "skip");
    assert_string_equal(sl_guarantee_name(SL_GUARANTEE_EXACTLY_ONCE), "exactly-once");
    sl_plan_free(NULL);
    assert_null(sl_plan_parse(NULL, 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_specs),      cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_spec),      cmocka_unit_test(test_all_errors),
        cmocka_unit_test(test_suggest),        cmocka_unit_test(test_render_roundtrip),
        cmocka_unit_test(test_names),          cmocka_unit_test(test_window_specs),
        cmocka_unit_test(test_output_topics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

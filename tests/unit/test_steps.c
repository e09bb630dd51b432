/* test_steps — each stateless step through the real executor: a spec, one
 * or more input messages, and the records that must come out, written as
 * "topic|key|value|timestamp" lines (key "-" for no key). Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/sl_exec.h"
#include "spec/sl_spec.h"
#include "util/sl_buf.h"

typedef struct collector {
    sl_buf text; /* one line per record */
    int n;
} collector;

static int collect(void *opaque, const sl_record *rec, sl_error *err)
{
    (void)err;
    collector *c = opaque;
    sl_buf_printf(&c->text, "%s|", rec->topic);
    if (rec->key)
        sl_buf_append(&c->text, rec->key, rec->key_len);
    else
        sl_buf_append_str(&c->text, "-");
    sl_buf_append_str(&c->text, "|");
    if (rec->value)
        sl_buf_append(&c->text, rec->value, rec->value_len);
    else
        sl_buf_append_str(&c->text, "<null>");
    sl_buf_printf(&c->text, "|%lld\n", (long long)rec->timestamp);
    c->n++;
    return SL_OK;
}

#define MAX_IN 4

typedef struct step_case {
    const char *input;  /* the spec's "input" object */
    const char *steps;  /* the spec's "steps" array */
    const char *keys[MAX_IN];   /* NULL: no key */
    const char *values[MAX_IN]; /* NULL ends the list */
    const char *expected;
} step_case;

#define JSON_IN "{\"topic\":\"in\"}"

static const step_case cases[] = {
    /* assign */
    {JSON_IN, "[{\"op\":\"assign\",\"columns\":{\"b\":\"a * 2\",\"c\":\"'x'\"}},"
              "{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":2}"}, "out|k|{\"a\":2,\"b\":4,\"c\":\"x\"}|1000\n"},
    {JSON_IN, "[{\"op\":\"assign\",\"columns\":{\"a\":\"a + 1\",\"b\":\"a\"}},"
              "{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1}"}, "out|k|{\"a\":2,\"b\":1}|1000\n"},
    {JSON_IN, "[{\"op\":\"assign\",\"columns\":{\"kmh\":\"speed * 3.6\"}},"
              "{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"id\":\"d\"}"}, "out|k|{\"id\":\"d\",\"kmh\":null}|1000\n"},
    /* filter: true keeps; false, null and a missing field drop */
    {JSON_IN, "[{\"op\":\"filter\",\"where\":\"x > 1\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"a", "b", "c", "d"}, {"{\"x\":2}", "{\"x\":1}", "{\"x\":null}", "{\"y\":5}"},
     "out|a|{\"x\":2}|1000\n"},
    /* select keeps the listed columns in the listed order, missing ones out */
    {JSON_IN, "[{\"op\":\"select\",\"columns\":[\"c\",\"a\",\"zz\"]},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1,\"b\":2,\"c\":3}"}, "out|k|{\"c\":3,\"a\":1}|1000\n"},
    /* drop ignores missing columns */
    {JSON_IN, "[{\"op\":\"drop\",\"columns\":[\"b\",\"zz\"]},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1,\"b\":2,\"c\":3}"}, "out|k|{\"a\":1,\"c\":3}|1000\n"},
    /* rename keeps positions and swaps at once */
    {JSON_IN, "[{\"op\":\"rename\",\"columns\":{\"a\":\"b\",\"b\":\"a\"}},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1,\"b\":2,\"c\":3}"}, "out|k|{\"b\":1,\"a\":2,\"c\":3}|1000\n"},
    /* apply: any JSON */
    {JSON_IN, "[{\"op\":\"apply\",\"expr\":\"a + 1\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1}"}, "out|k|2|1000\n"},
    {JSON_IN, "[{\"op\":\"apply\",\"expr\":\"{'v': a, 'l': [a, 'x']}\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1}"}, "out|k|{\"v\":1,\"l\":[1,\"x\"]}|1000\n"},
    /* expand: one message per element, same key and timestamp; empty list: none */
    {JSON_IN, "[{\"op\":\"expand\",\"expr\":\"items\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k", "e"}, {"{\"items\":[1,{\"a\":2},\"s\"]}", "{\"items\":[]}"},
     "out|k|1|1000\nout|k|{\"a\":2}|1000\nout|k|\"s\"|1000\n"},
    {JSON_IN, "[{\"op\":\"expand\",\"expr\":\"items\"},{\"op\":\"filter\",\"where\":\"n > 1\"},"
              "{\"op\":\"assign\",\"columns\":{\"m\":\"n * 10\"}},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"items\":[{\"n\":1},{\"n\":2},{\"n\":3}]}"},
     "out|k|{\"n\":2,\"m\":20}|1000\nout|k|{\"n\":3,\"m\":30}|1000\n"},
    /* set_key: str as is, other scalars as JSON text, null: no key */
    {JSON_IN, "[{\"op\":\"set_key\",\"expr\":\"id\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k", "k", "k", "k"}, {"{\"id\":\"dev-1\"}", "{\"id\":7}", "{\"id\":null}", "{\"id\":true}"},
     "out|dev-1|{\"id\":\"dev-1\"}|1000\nout|7|{\"id\":7}|1000\nout|-|{\"id\":null}|1000\n"
     "out|true|{\"id\":true}|1000\n"},
    {JSON_IN, "[{\"op\":\"set_key\",\"expr\":\"x\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"x\":1.5}"}, "out|1.5|{\"x\":1.5}|1000\n"},
    /* _key sees the new key */
    {JSON_IN, "[{\"op\":\"set_key\",\"expr\":\"'a'\"},{\"op\":\"assign\",\"columns\":{\"k\":\"_key + 'b'\"}},"
              "{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{}"}, "out|a|{\"k\":\"ab\"}|1000\n"},
    /* set_timestamp: ints, floats truncated */
    {JSON_IN, "[{\"op\":\"set_timestamp\",\"expr\":\"t\"},{\"op\":\"assign\",\"columns\":{\"ts\":\"_timestamp\"}},"
              "{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k", "k"}, {"{\"t\":42}", "{\"t\":1500.7}"},
     "out|k|{\"t\":42,\"ts\":42}|42\nout|k|{\"t\":1500.7,\"ts\":1500}|1500\n"},
    /* to_topic emits a copy and continues; key expression for that output only */
    {JSON_IN, "[{\"op\":\"to_topic\",\"topic\":\"raw\",\"key\":\"upper(_key)\"},"
              "{\"op\":\"assign\",\"columns\":{\"b\":\"1\"}},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":0}"}, "raw|K|{\"a\":0}|1000\nout|k|{\"a\":0,\"b\":1}|1000\n"},
    /* to_topic value formats: a str as its bytes, anything else as JSON */
    {JSON_IN, "[{\"op\":\"apply\",\"expr\":\"name\"},{\"op\":\"to_topic\",\"topic\":\"s\",\"value_format\":\"string\"},"
              "{\"op\":\"to_topic\",\"topic\":\"j\"}]",
     {"k"}, {"{\"name\":\"bob\"}"}, "s|k|bob|1000\nj|k|\"bob\"|1000\n"},
    {JSON_IN, "[{\"op\":\"to_topic\",\"topic\":\"s\",\"value_format\":\"bytes\"}]",
     {"k"}, {"{\"a\": 1}"}, "s|k|{\"a\": 1}|1000\n"},
    /* a JSON null value (and a Kafka null value) is null */
    {JSON_IN, "[{\"op\":\"to_topic\",\"topic\":\"s\",\"value_format\":\"string\"},{\"op\":\"to_topic\",\"topic\":\"j\"}]",
     {"k"}, {"null"}, "s|k|<null>|1000\nj|k|null|1000\n"},
    /* string input: the value is a str, reached as _value */
    {"{\"topic\":\"in\",\"value_format\":\"string\"}",
     "[{\"op\":\"apply\",\"expr\":\"upper(_value)\"},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"hello"}, "out|k|HELLO|1000\n"},
    {"{\"topic\":\"in\",\"value_format\":\"bytes\"}", "[{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"not json {"}, "out|k|not json {|1000\n"},
    /* json keys: parsed for expressions, passed through unchanged */
    {"{\"topic\":\"in\",\"key_format\":\"json\"}",
     "[{\"op\":\"assign\",\"columns\":{\"kid\":\"_key.id\"}},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"{\"id\": 5}"}, {"{}"}, "out|{\"id\": 5}|{\"kid\":5}|1000\n"},
    /* input.timestamp replaces the message timestamp */
    {"{\"topic\":\"in\",\"timestamp\":\"ts * 1000\"}", "[{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {NULL}, {"{\"ts\":7}"}, "out|-|{\"ts\":7}|7000\n"},
    /* print logs and passes the message on */
    {JSON_IN, "[{\"op\":\"print\"},{\"op\":\"print\",\"metadata\":true},{\"op\":\"to_topic\",\"topic\":\"out\"}]",
     {"k"}, {"{\"a\":1}"}, "out|k|{\"a\":1}|1000\n"},
    /* no to_topic: nothing leaves the pipeline */
    {JSON_IN, "[{\"op\":\"assign\",\"columns\":{\"b\":\"1\"}}]", {"k"}, {"{\"a\":1}"}, ""},
};

static void run_case(size_t idx, const step_case *c)
{
    char spec[2048];
    snprintf(spec, sizeof(spec), "{\"name\":\"t\",\"input\":%s,\"steps\":%s,\"on_error\":\"fail\"}",
             c->input, c->steps);
    sl_error err;
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    if (!plan)
        fail_msg("case %zu: spec: %s: %s", idx, err.where, err.msg);
    collector col = {SL_BUF_INIT, 0};
    sl_buf_append_str(&col.text, "");
    sl_exec *ex = sl_exec_create(plan, "test", collect, &col, &err);
    assert_non_null(ex);
    size_t n = 0;
    for (; n < MAX_IN && c->values[n]; n++) {
        sl_message m = {0};
        m.key = c->keys[n];
        m.key_len = c->keys[n] ? strlen(c->keys[n]) : 0;
        m.value = c->values[n];
        m.value_len = strlen(c->values[n]);
        m.timestamp = 1000;
        m.partition = 0;
        m.offset = (int64_t)n;
        if (sl_exec_process(ex, &m, &err) != SL_OK)
            fail_msg("case %zu message %zu: %s: %s (pos %d)", idx, n, err.where, err.msg,
                     err.pos);
    }
    if (strcmp(col.text.data, c->expected) != 0) {
        print_error("case %zu: %s\n--- expected\n%s--- got\n%s", idx, c->steps, c->expected,
                    col.text.data);
        fail();
    }
    assert_int_equal(sl_exec_counters_get(ex)->in, n);
    assert_int_equal(sl_exec_counters_get(ex)->errors, 0);
    sl_exec_destroy(ex);
    sl_buf_free(&col.text);
    sl_plan_free(plan);
}

static void test_step_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(i, &cases[i]);
}

/* Counters: filter drops are counted, to_topic outputs are counted. */
static void test_counters(void **state)
{
    (void)state;
    const char *spec = "{\"name\":\"t\",\"input\":{\"topic\":\"in\"},\"steps\":["
                       "{\"op\":\"expand\",\"expr\":\"xs\"},{\"op\":\"filter\",\"where\":\"_value > 1\"},"
                       "{\"op\":\"to_topic\",\"topic\":\"a\"},{\"op\":\"to_topic\",\"topic\":\"b\"}]}";
    sl_error err;
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    assert_non_null(plan);
    collector col = {SL_BUF_INIT, 0};
    sl_exec *ex = sl_exec_create(plan, NULL, collect, &col, &err);
    const char *v = "{\"xs\":[1,2,3,0]}";
    sl_message m = {.value = v, .value_len = strlen(v), .partition = -1, .offset = -1};
    assert_int_equal(sl_exec_process(ex, &m, &err), SL_OK);
    const sl_exec_counters *c = sl_exec_counters_get(ex);
    assert_int_equal(c->in, 1);
    assert_int_equal(c->dropped, 2);
    assert_int_equal(c->out, 4);
    assert_int_equal(col.n, 4);
    assert_int_equal(c->errors, 0);
    sl_exec_destroy(ex);
    sl_buf_free(&col.text);
    sl_plan_free(plan);
}

/* A Kafka null value (tombstone) decodes to null in every format. */
static void test_null_value(void **state)
{
    (void)state;
    const char *spec = "{\"name\":\"t\",\"input\":{\"topic\":\"in\"},\"steps\":["
                       "{\"op\":\"assign\",\"columns\":{\"n\":\"is_null(_value)\"}},"
                       "{\"op\":\"to_topic\",\"topic\":\"out\"}]}";
    sl_error err;
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    assert_non_null(plan);
    collector col = {SL_BUF_INIT, 0};
    sl_exec *ex = sl_exec_create(plan, NULL, collect, &col, &err);
    sl_message m = {.key = "k", .key_len = 1, .value = NULL, .timestamp = 3};
    /* assign on null is a processing error: it goes to the dead-letter topic */
    assert_int_equal(sl_exec_process(ex, &m, &err), SL_OK);
    assert_string_equal(col.text.data, "t.dlq|k|<null>|3\n");
    assert_int_equal(sl_exec_counters_get(ex)->dead_lettered, 1);
    sl_exec_destroy(ex);
    sl_buf_free(&col.text);
    sl_plan_free(plan);
}

/* Batch memory is released by sl_exec_batch_reset and steady state does not
 * grow it. */
static void test_batch_reset(void **state)
{
    (void)state;
    const char *spec = "{\"name\":\"t\",\"input\":{\"topic\":\"in\"},\"steps\":["
                       "{\"op\":\"assign\",\"columns\":{\"kmh\":\"speed * 3.6\"}},"
                       "{\"op\":\"to_topic\",\"topic\":\"out\"}]}";
    sl_error err;
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    assert_non_null(plan);
    sl_exec *ex = sl_exec_create(plan, NULL, NULL, NULL, &err);
    const char *v = "{\"device_id\":\"dev-1\",\"speed\":31.4}";
    sl_message m = {.value = v, .value_len = strlen(v), .timestamp = 1};
    size_t first = 0;
    for (int batch = 0; batch < 5; batch++) {
        for (int i = 0; i < 200; i++)
            assert_int_equal(sl_exec_process(ex, &m, &err), SL_OK);
        size_t used = sl_exec_batch_bytes(ex);
        assert_true(used > 0);
        if (batch == 0)
            first = used;
        assert_int_equal(used, first);
        assert_int_equal(sl_exec_batch_reset(ex), SL_OK);
        assert_true(sl_exec_batch_bytes(ex) < used);
    }
    assert_int_equal(sl_exec_counters_get(ex)->out, 1000);
    sl_exec_destroy(ex);
    sl_exec_destroy(NULL);
    sl_plan_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_table),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_null_value),
        cmocka_unit_test(test_batch_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

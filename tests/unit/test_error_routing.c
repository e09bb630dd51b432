/* test_error_routing — what happens to a message whose processing fails:
 * dead_letter (original key, value, timestamp and headers plus sluice.error,
 * sluice.step, sluice.source), skip (dropped and counted), fail (the error
 * comes back to the caller), and errors that are never routed (the emit
 * callback failing). */
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

#define MAX_RECS 8

typedef struct rec_copy {
    char topic[64];
    char key[64];
    int has_key;
    char value[256];
    int64_t timestamp;
    char headers[1024]; /* "name=value;" ... */
    int dead_letter;
} rec_copy;

typedef struct sink {
    rec_copy recs[MAX_RECS];
    int n;
    int refuse; /* emit fails with SL_ERR_IO when set */
} sink;

static int keep(void *opaque, const sl_record *rec, sl_error *err)
{
    sink *s = opaque;
    if (s->refuse)
        return sl_error_set(err, SL_ERR_IO, "queue full");
    assert_true(s->n < MAX_RECS);
    rec_copy *r = &s->recs[s->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->topic, sizeof(r->topic), "%s", rec->topic);
    r->has_key = rec->key != NULL;
    snprintf(r->key, sizeof(r->key), "%.*s", (int)rec->key_len, (const char *)rec->key);
    snprintf(r->value, sizeof(r->value), "%.*s", (int)rec->value_len,
             rec->value ? (const char *)rec->value : "");
    r->timestamp = rec->timestamp;
    r->dead_letter = rec->dead_letter;
    size_t used = 0;
    for (size_t i = 0; i < rec->nheaders; i++)
        used += (size_t)snprintf(r->headers + used, sizeof(r->headers) - used, "%s=%.*s;",
                                 rec->headers[i].name, (int)rec->headers[i].value_len,
                                 (const char *)rec->headers[i].value);
    return SL_OK;
}

static sl_plan *plan_for(const char *on_error, const char *input, const char *steps)
{
    char spec[1024];
    sl_error err;
    snprintf(spec, sizeof(spec),
             "{\"name\":\"sensors-p\",\"input\":%s,\"steps\":%s,\"on_error\":\"%s\"}", input,
             steps, on_error);
    sl_plan *p = sl_plan_parse(spec, strlen(spec), &err);
    if (!p)
        fail_msg("spec: %s: %s", err.where, err.msg);
    return p;
}

static const char *const kmh_steps = "[{\"op\":\"to_topic\",\"topic\":\"raw\"},"
                                     "{\"op\":\"assign\",\"columns\":{\"kmh\":\"speed * 3.6\"}},"
                                     "{\"op\":\"to_topic\",\"topic\":\"out\"}]";
static const char *const json_in = "{\"topic\":\"sensors\"}";

static sl_message msg_of(const char *key, const char *value, int64_t ts)
{
    sl_message m = {0};
    m.key = key;
    m.key_len = key ? strlen(key) : 0;
    m.value = value;
    m.value_len = value ? strlen(value) : 0;
    m.timestamp = ts;
    m.partition = 3;
    m.offset = 42;
    return m;
}

static void test_dead_letter_headers(void **state)
{
    (void)state;
    sink s = {0};
    sl_error err;
    sl_plan *p = plan_for("dead_letter", json_in, kmh_steps);
    sl_exec *ex = sl_exec_create(p, NULL, keep, &s, &err);
    static const sl_header hs[] = {{"trace", "t-1", 3}};
    sl_message m = msg_of("dev-2", "{\"speed\": \"fast\"}", 77);
    m.headers = hs;
    m.nheaders = 1;
    assert_int_equal(sl_exec_process(ex, &m, &err), SL_OK);
    /* the copy sent before the failing step stays; then the dead letter */
    assert_int_equal(s.n, 2);
    assert_string_equal(s.recs[0].topic, "raw");
    assert_false(s.recs[0].dead_letter);
    assert_string_equal(s.recs[0].headers, "trace=t-1;");
    rec_copy *d = &s.recs[1];
    assert_true(d->dead_letter);
    assert_string_equal(d->topic, "sensors-p.dlq");
    assert_string_equal(d->key, "dev-2");
    /* the ORIGINAL value bytes, not a re-encoding */
    assert_string_equal(d->value, "{\"speed\": \"fast\"}");
    assert_int_equal(d->timestamp, 77);
    assert_non_null(strstr(d->headers, "trace=t-1;sluice.error=steps[1].columns.kmh: "));
    assert_non_null(strstr(d->headers, "(at position "));
    assert_non_null(strstr(d->headers, ";sluice.step=1;sluice.source=sensors/3/42;"));
    const sl_exec_counters *c = sl_exec_counters_get(ex);
    assert_int_equal(c->errors, 1);
    assert_int_equal(c->dead_lettered, 1);
    assert_int_equal(c->out, 1);
    assert_int_equal(sl_exec_last_error_step(ex), 1);
    sl_exec_destroy(ex);
    sl_plan_free(p);
}

typedef struct route_case {
    const char *input;
    const char *steps;
    const char *key;
    const char *value;
    int32_t partition;
    int64_t offset;
    const char *headers; /* substring expected in the dead letter's headers */
} route_case;

static const route_case route_cases[] = {
    /* bad JSON: step "input", the parser's reason */
    {"{\"topic\":\"sensors\"}", "[]", "k", "{\"a\": 1", 0, 5,
     "sluice.error=input.value_format: value is not valid JSON: "},
    {"{\"topic\":\"sensors\"}", "[]", "k", "{\"a\": 1", 0, 5, ";sluice.step=input;"},
    {"{\"topic\":\"sensors\",\"key_format\":\"json\"}", "[]", "{bad", "{}", 0, 5,
     "sluice.error=input.key_format: key is not valid JSON"},
    /* input.timestamp that is not a number */
    {"{\"topic\":\"sensors\",\"timestamp\":\"ts\"}", "[]", "k", "{\"ts\":\"x\"}", 0, 5,
     "sluice.error=input.timestamp: expected a timestamp in milliseconds (an int), got str"},
    /* object steps on other values */
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"select\",\"columns\":[\"a\"]}]", "k", "\"text\"", 0, 5,
     "sluice.error=steps[0]: select needs an object value, got str;sluice.step=0;"},
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"drop\",\"columns\":[\"a\"]}]", "k", "[1]", 0, 5,
     "drop needs an object value, got list"},
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"rename\",\"columns\":{\"a\":\"b\"}}]", "k", "7", 0, 5,
     "rename needs an object value, got int"},
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"assign\",\"columns\":{\"a\":\"1\"}}]", "k", "null", 0,
     5, "assign needs an object value, got null"},
    /* expand needs a list */
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"expand\",\"expr\":\"xs\"}]", "k", "{\"xs\":3}", 0, 5,
     "sluice.error=steps[0].expr: expand needs a list, got int"},
    /* an error in the second element of an expand: the original message */
    {"{\"topic\":\"sensors\"}",
     "[{\"op\":\"expand\",\"expr\":\"xs\"},{\"op\":\"assign\",\"columns\":{\"y\":\"x + 1\"}}]", "k",
     "{\"xs\":[{\"x\":1},{\"x\":\"a\"}]}", 0, 5, "sluice.error=steps[1].columns.y: "},
    /* set_timestamp / filter / set_key errors name their field */
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"set_timestamp\",\"expr\":\"t\"}]", "k",
     "{\"t\":\"noon\"}", 0, 5, "sluice.error=steps[0].expr: expected a timestamp"},
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"filter\",\"where\":\"a > 1\"}]", "k", "{\"a\":\"x\"}",
     0, 5, "sluice.error=steps[0].where: "},
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"to_topic\",\"topic\":\"o\",\"key\":\"a * 2\"}]", "k",
     "{\"a\":\"x\"}", 0, 5, "sluice.error=steps[0].key: "},
    /* source: partition and offset when known */
    {"{\"topic\":\"sensors\"}", "[{\"op\":\"expand\",\"expr\":\"1\"}]", "k", "{}", 2, -1,
     "sluice.step=0;sluice.source=sensors/2;"},
};

static void test_route_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(route_cases) / sizeof(route_cases[0]); i++) {
        const route_case *c = &route_cases[i];
        sink s = {0};
        sl_error err;
        sl_plan *p = plan_for("dead_letter", c->input, c->steps);
        sl_exec *ex = sl_exec_create(p, NULL, keep, &s, &err);
        sl_message m = msg_of(c->key, c->value, 5);
        m.partition = c->partition;
        m.offset = c->offset;
        assert_int_equal(sl_exec_process(ex, &m, &err), SL_OK);
        if (s.n != 1 || !s.recs[0].dead_letter || !strstr(s.recs[0].headers, c->headers)) {
            print_error("case %zu: %d records; headers '%s'\n", i, s.n,
                        s.n ? s.recs[0].headers : "");
            fail();
        }
        assert_string_equal(s.recs[0].value, c->value);
        assert_string_equal(s.recs[0].key, c->key);
        sl_exec_destroy(ex);
        sl_plan_free(p);
    }
}

/* Unknown partition: no sluice.source header at all. */
static void test_no_source(void **state)
{
    (void)state;
    sink s = {0};
    sl_error err;
    sl_plan *p = plan_for("dead_letter", json_in, kmh_steps);
    sl_exec *ex = sl_exec_create(p, NULL, keep, &s, &err);
    sl_message m = msg_of(NULL, "[]", 5);
    m.partition = -1;
    assert_int_equal(sl_exec_process(ex, &m, &err), SL_OK);
    assert_int_equal(s.n, 2);
    assert_false(s.recs[1].has_key);
    assert_null(strstr(s.recs[1].headers, "sluice.source"));
    assert_non_null(strstr(s.recs[1].headers, "sluice.step=1;"));
    sl_exec_destroy(ex);
    sl_plan_free(p);
}

static void test_skip(void **state)
{
    (void)state;
    sink s = {0};
    sl_error err;
    sl_plan *p = plan_for("skip", json_in, kmh_steps);
    sl_exec *ex = sl_exec_create(p, NULL, keep, &s, &err);
    sl_message bad = msg_of("k", "{\"speed\":\"fast\"}", 5);
    sl_message good = msg_of("k", "{\"speed\":10}", 6);
    assert_int_equal(sl_exec_process(ex, &bad, &err), SL_OK);
    assert_int_equal(sl_exec_process(ex, &good, &err), SL_OK);
    assert_int_equal(sl_exec_process(ex, &bad, &err), SL_OK);
    const sl_exec_counters *c = sl_exec_counters_get(ex);
    assert_int_equal(c->in, 3);
    assert_int_equal(c->errors, 2);
    assert_int_equal(c->skipped, 2);
    assert_int_equal(c->dead_lettered, 0);
    /* raw copies of all three, one finished output, no dead letters */
    assert_int_equal(s.n, 4);
    for (int i = 0; i < s.n; i++)
        assert_false(s.recs[i].dead_letter);
    assert_string_equal(s.recs[2].topic, "out");
    assert_string_equal(s.recs[2].value, "{\"speed\":10,\"kmh\":36.0}");
    sl_exec_destroy(ex);
    sl_plan_free(p);
}

static void test_fail(void **state)
{
    (void)state;
    sink s = {0};
    sl_error err;
    sl_plan *p = plan_for("fail", json_in, kmh_steps);
    sl_exec *ex = sl_exec_create(p, NULL, keep, &s, &err);
    sl_message msgs[3] = {msg_of("k", "{\"speed\":10}", 1), msg_of("k", "{\"speed\":\"x\"}", 2),
                          msg_of("k", "{\"speed\":20}", 3)};
    size_t done = 99;
    int rc = sl_exec_process_batch(ex, msgs, 3, &done, &err);
    assert_int_equal(rc, SL_ERR_TYPE);
    assert_int_equal(err.code, SL_ERR_TYPE);
    assert_int_equal(done, 1);
    assert_string_equal(err.where, "steps[1].columns.kmh");
    assert_true(err.pos >= 0);
    const sl_exec_counters *c = sl_exec_counters_get(ex);
    assert_int_equal(c->errors, 1);
    assert_int_equal(c->dead_lettered, 0);
    assert_int_equal(c->skipped, 0);
    /* message 1: raw + out; message 2: raw only; message 3 never ran */
    assert_int_equal(s.n, 3);
    for (int i = 0; i < s.n; i++)
        assert_false(s.recs[i].dead_letter);
    /* bad JSON fails too, from the input */
    sl_message bad = msg_of("k", "{", 4);
    assert_int_equal(sl_exec_process(ex, &bad, &err), SL_ERR_SYNTAX);
    assert_string_equal(err.where, "input.value_format");
    assert_int_equal(sl_exec_last_error_step(ex), -1);
    sl_exec_destroy(ex);
    sl_plan_free(p);
}

/* The emit callback failing is the caller's problem: never dead-lettered,
 * returned as is whatever on_error says. */
static void test_emit_failure(void **state)
{
    (void)state;
    sink s = {0};
    sl_error err;
    sl_plan *p = plan_for("dead_letter", json_in, kmh_steps);
    sl_exec *ex = sl_exec_create(p, NULL, keep, &s, &err);
    sl_message m = msg_of("k", "{\"speed\":10}", 1);
    s.refuse = 1;
    assert_int_equal(sl_exec_process(ex, &m, &err), SL_ERR_IO);
    assert_string_equal(err.msg, "queue full");
    assert_int_equal(sl_exec_counters_get(ex)->errors, 0);
    assert_int_equal(sl_exec_counters_get(ex)->dead_lettered, 0);
    /* a dead letter that cannot be emitted also comes back */
    sl_message bad = msg_of("k", "{\"speed\":\"x\"}", 1);
    s.refuse = 0;
    sl_exec_destroy(ex);
    sl_plan_free(p);
    p = plan_for("dead_letter", json_in, "[{\"op\":\"assign\",\"columns\":{\"a\":\"speed * 2\"}}]");
    ex = sl_exec_create(p, NULL, keep, &s, &err);
    s.refuse = 1;
    assert_int_equal(sl_exec_process(ex, &bad, &err), SL_ERR_IO);
    assert_int_equal(sl_exec_counters_get(ex)->dead_lettered, 0);
    s.refuse = 0;
    assert_int_equal(sl_exec_process(ex, &bad, &err), SL_OK);
    assert_int_equal(sl_exec_counters_get(ex)->dead_lettered, 1);
    sl_exec_destroy(ex);
    sl_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_letter_headers), cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_no_source),           cmocka_unit_test(test_skip),
        cmocka_unit_test(test_fail),                cmocka_unit_test(test_emit_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

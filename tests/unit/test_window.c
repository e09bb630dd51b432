/* test_window — windows and the running aggregate through the executor, on a
 * real state store in a temporary directory. Table-driven: each case is one
 * window step, a list of input messages and the records that must come out
 * ("key ts value", in order) plus the late count. Every case runs three
 * ways that must give the same output: straight through; with the batch
 * memory reset and the state checkpointed after every message; and with the
 * executor and the store closed and reopened half way (state and the
 * partition index must come back from the store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/sl_exec.h"
#include "engine/sl_state.h"
#include "spec/sl_spec.h"
#include "util/sl_buf.h"

typedef struct in_msg {
    const char *key; /* NULL: no key */
    int64_t ts;
    const char *value;
} in_msg;

#define MAX_IN 16

typedef struct win_case {
    const char *name;
    const char *step;
    in_msg in[MAX_IN];
    const char *out; /* "key ts value\n" per record */
    uint64_t late;
} win_case;

#define AVG "\"aggregate\":{\"n\":\"count()\",\"s\":\"sum(v)\"}"

static const win_case cases[] = {
    {"tumbling: boundaries, end exclusive, final on the next window",
     "{\"op\":\"tumbling_window\",\"size\":1000," AVG "}",
     {{"a", 0, "{\"v\":1}"}, {"a", 999, "{\"v\":2}"}, {"a", 1000, "{\"v\":4}"},
      {"a", 1999, "{\"v\":8}"}, {"a", 2000, "{\"v\":16}"}},
     "a 0 {\"start\":0,\"end\":1000,\"n\":2,\"s\":3}\n"
     "a 1000 {\"start\":1000,\"end\":2000,\"n\":2,\"s\":12}\n",
     0},
    {"tumbling: late message dropped and counted",
     "{\"op\":\"tumbling_window\",\"size\":1000," AVG "}",
     {{"a", 500, "{\"v\":1}"}, {"a", 1500, "{\"v\":2}"}, {"a", 900, "{\"v\":100}"},
      {"a", 2500, "{\"v\":3}"}},
     "a 0 {\"start\":0,\"end\":1000,\"n\":1,\"s\":1}\n"
     "a 1000 {\"start\":1000,\"end\":2000,\"n\":1,\"s\":2}\n",
     1},
    {"tumbling: grace keeps the window open until stream time - grace >= end",
     "{\"op\":\"tumbling_window\",\"size\":1000,\"grace\":\"200ms\"," AVG "}",
     {{"a", 500, "{\"v\":1}"}, {"a", 1199, "{\"v\":2}"}, {"a", 999, "{\"v\":4}"},
      {"a", 1200, "{\"v\":8}"}, {"a", 998, "{\"v\":100}"}},
     "a 0 {\"start\":0,\"end\":1000,\"n\":2,\"s\":5}\n", 1},
    {"tumbling: closing key waits for the same key",
     "{\"op\":\"tumbling_window\",\"size\":10000,\"aggregate\":{\"value\":\"sum(value)\"}}",
     {{"A", 100, "{\"value\":1}"}, {"B", 101, "{\"value\":2}"}, {"C", 105, "{\"value\":3}"},
      {"B", 10100, "{\"value\":2}"}, {"A", 8000, "{\"value\":1}"},
      {"A", 10001, "{\"value\":1}"}},
     "B 0 {\"start\":0,\"end\":10000,\"value\":2}\n"
     "A 0 {\"start\":0,\"end\":10000,\"value\":2}\n",
     0},
    {"tumbling: closing partition closes every key, ordered by start then key",
     "{\"op\":\"tumbling_window\",\"size\":10000,\"aggregate\":{\"value\":\"sum(value)\"},"
     "\"closing\":\"partition\"}",
     {{"C", 105, "{\"value\":3}"}, {"A", 100, "{\"value\":1}"}, {"B", 101, "{\"value\":2}"},
      {"B", 10100, "{\"value\":1}"}, {"A", 8000, "{\"value\":1}"},
      {"A", 10001, "{\"value\":1}"}, {"C", 30000, "{\"value\":1}"}},
     "A 0 {\"start\":0,\"end\":10000,\"value\":1}\n"
     "B 0 {\"start\":0,\"end\":10000,\"value\":2}\n"
     "C 0 {\"start\":0,\"end\":10000,\"value\":3}\n"
     "A 10000 {\"start\":10000,\"end\":20000,\"value\":1}\n"
     "B 10000 {\"start\":10000,\"end\":20000,\"value\":1}\n",
     1},
    {"tumbling: emit current after every update",
     "{\"op\":\"tumbling_window\",\"size\":1000,\"emit\":\"current\"," AVG "}",
     {{"a", 10, "{\"v\":1}"}, {"b", 20, "{\"v\":5}"}, {"a", 30, "{\"v\":2}"},
      {"a", 1010, "{\"v\":3}"}, {"a", 40, "{\"v\":9}"}},
     "a 0 {\"start\":0,\"end\":1000,\"n\":1,\"s\":1}\n"
     "b 0 {\"start\":0,\"end\":1000,\"n\":1,\"s\":5}\n"
     "a 0 {\"start\":0,\"end\":1000,\"n\":2,\"s\":3}\n"
     "a 1000 {\"start\":1000,\"end\":2000,\"n\":1,\"s\":3}\n",
     1},
    {"hopping: overlaps, start >= 0, partly late message updates the open windows",
     "{\"op\":\"hopping_window\",\"size\":300,\"step\":100," AVG "}",
     {{"a", 50, "{\"v\":1}"}, {"a", 150, "{\"v\":2}"}, {"a", 350, "{\"v\":4}"},
      {"a", 160, "{\"v\":8}"}, {"a", 1000, "{\"v\":16}"}},
     "a 0 {\"start\":0,\"end\":300,\"n\":2,\"s\":3}\n"
     "a 100 {\"start\":100,\"end\":400,\"n\":3,\"s\":14}\n"
     "a 200 {\"start\":200,\"end\":500,\"n\":1,\"s\":4}\n"
     "a 300 {\"start\":300,\"end\":600,\"n\":1,\"s\":4}\n",
     0},
    {"hopping: emit current for each window of the message, by start",
     "{\"op\":\"hopping_window\",\"size\":\"2s\",\"step\":\"1s\",\"emit\":\"current\"," AVG "}",
     {{"k", 1500, "{\"v\":1}"}, {"k", 2500, "{\"v\":2}"}},
     "k 0 {\"start\":0,\"end\":2000,\"n\":1,\"s\":1}\n"
     "k 1000 {\"start\":1000,\"end\":3000,\"n\":1,\"s\":1}\n"
     "k 1000 {\"start\":1000,\"end\":3000,\"n\":2,\"s\":3}\n"
     "k 2000 {\"start\":2000,\"end\":4000,\"n\":1,\"s\":2}\n",
     0},
    {"hopping: closing partition with grace",
     "{\"op\":\"hopping_window\",\"size\":200,\"step\":100,\"grace\":50,\"closing\":\"partition\","
     "\"aggregate\":{\"c\":\"collect(v)\"}}",
     {{"x", 10, "{\"v\":1}"}, {"y", 120, "{\"v\":2}"}, {"x", 249, "{\"v\":3}"},
      {"y", 250, "{\"v\":4}"}, {"x", 90, "{\"v\":5}"}, {"x", 199, "{\"v\":6}"}},
     "x 0 {\"start\":0,\"end\":200,\"c\":[1]}\n"
     "y 0 {\"start\":0,\"end\":200,\"c\":[2]}\n",
     1},
    {"null keys are ignored, messages before the epoch too",
     "{\"op\":\"tumbling_window\",\"size\":100," AVG "}",
     {{NULL, 10, "{\"v\":1}"}, {"a", -5, "{\"v\":1}"}, {"a", 10, "{\"v\":2}"},
      {"a", 100, "{\"v\":3}"}},
     "a 0 {\"start\":0,\"end\":100,\"n\":1,\"s\":2}\n", 0},
    {"tumbling count window: every 3 messages of a key",
     "{\"op\":\"tumbling_count_window\",\"count\":3,\"aggregate\":{\"c\":\"collect(v)\"}}",
     {{"a", 121, "{\"v\":1}"}, {"b", 122, "{\"v\":9}"}, {"a", 165, "{\"v\":null}"},
      {"a", 583, "{\"v\":3}"}, {"a", 600, "{\"v\":4}"}, {"b", 700, "{\"v\":8}"},
      {"b", 650, "{\"v\":7}"}},
     "a 121 {\"start\":121,\"end\":583,\"c\":[1,3]}\n"
     "b 122 {\"start\":122,\"end\":650,\"c\":[9,8,7]}\n",
     0},
    {"hopping count window: count 3, step 2, emit current",
     "{\"op\":\"hopping_count_window\",\"count\":3,\"step\":2,\"emit\":\"current\","
     "\"aggregate\":{\"s\":\"sum(v)\"}}",
     {{"a", 1, "{\"v\":1}"}, {"a", 2, "{\"v\":2}"}, {"a", 3, "{\"v\":4}"}, {"a", 4, "{\"v\":8}"}},
     "a 1 {\"start\":1,\"end\":1,\"s\":1}\n"
     "a 1 {\"start\":1,\"end\":2,\"s\":3}\n"
     "a 1 {\"start\":1,\"end\":3,\"s\":7}\n"
     "a 3 {\"start\":3,\"end\":3,\"s\":4}\n"
     "a 3 {\"start\":3,\"end\":4,\"s\":12}\n",
     0},
    {"hopping count window: final",
     "{\"op\":\"hopping_count_window\",\"count\":2,\"step\":1,\"aggregate\":{\"m\":\"mean(v)\"}}",
     {{"a", 1, "{\"v\":1}"}, {"a", 2, "{\"v\":2}"}, {"a", 3, "{\"v\":4}"}},
     "a 1 {\"start\":1,\"end\":2,\"m\":1.5}\n"
     "a 2 {\"start\":2,\"end\":3,\"m\":3.0}\n",
     0},
    {"sliding window: Quix Streams' example, emit current",
     "{\"op\":\"sliding_window\",\"size\":\"1h\",\"emit\":\"current\","
     "\"aggregate\":{\"avg\":\"mean(t)\"}}",
     {{"s", 3600000, "{\"t\":30}"}, {"s", 4800000, "{\"t\":29}"}, {"s", 4800001, "{\"t\":28}"},
      {"s", 7200000, "{\"t\":27}"}, {"s", 7200001, "{\"t\":26}"}},
     "s 0 {\"start\":0,\"end\":3600000,\"avg\":30.0}\n"
     "s 1200000 {\"start\":1200000,\"end\":4800000,\"avg\":29.5}\n"
     "s 1200001 {\"start\":1200001,\"end\":4800001,\"avg\":29.0}\n"
     "s 3600000 {\"start\":3600000,\"end\":7200000,\"avg\":28.5}\n"
     "s 3600001 {\"start\":3600001,\"end\":7200001,\"avg\":27.5}\n",
     0},
    {"sliding window: final with grace, out of order and late",
     "{\"op\":\"sliding_window\",\"size\":100,\"grace\":10," AVG "}",
     {{"a", 100, "{\"v\":1}"}, {"a", 150, "{\"v\":2}"}, {"a", 105, "{\"v\":4}"},
      {"a", 150, "{\"v\":8}"}, {"a", 300, "{\"v\":16}"}, {"a", 140, "{\"v\":32}"}},
     /* 105 is late: its own window [5, 105] closed at stream time 150 - 10 */
     "a 0 {\"start\":0,\"end\":100,\"n\":1,\"s\":1}\n"
     "a 50 {\"start\":50,\"end\":150,\"n\":3,\"s\":11}\n",
     2},
    {"running aggregate: totals after every message, per key",
     "{\"op\":\"aggregate\",\"aggregate\":{\"n\":\"count()\",\"s\":\"sum(v)\",\"l\":\"last(v)\"}}",
     {{"a", 5, "{\"v\":1}"}, {"b", 6, "{\"v\":2.5}"}, {"a", 1, "{\"v\":null}"},
      {"a", 7, "{\"v\":3}"}},
     "a 5 {\"n\":1,\"s\":1,\"l\":1}\n"
     "b 6 {\"n\":1,\"s\":2.5,\"l\":2.5}\n"
     "a 1 {\"n\":2,\"s\":1,\"l\":1}\n"
     "a 7 {\"n\":3,\"s\":4,\"l\":3}\n",
     0},
};

typedef struct collected {
    sl_buf out;
} collected;

static int collect(void *opaque, const sl_record *rec, sl_error *err)
{
    collected *c = opaque;
    (void)err;
    assert_int_equal(rec->nheaders, 0); /* window results carry no headers */
    sl_buf_printf(&c->out, "%.*s %lld %.*s\n", rec->key ? (int)rec->key_len : 1,
                  rec->key ? (const char *)rec->key : "-", (long long)rec->timestamp,
                  (int)rec->value_len, (const char *)rec->value);
    return SL_OK;
}

static sl_plan *case_plan(const win_case *c)
{
    char spec[2048];
    sl_error err;
    snprintf(spec, sizeof(spec),
             "{\"name\":\"t\",\"input\":{\"topic\":\"in\"},\"steps\":[%s,"
             "{\"op\":\"to_topic\",\"topic\":\"out\"}]}",
             c->step);
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    if (!plan)
        fail_msg("%s: invalid spec: %s: %s", c->name, err.where, err.msg);
    return plan;
}

/* mode 0: straight; 1: reset + checkpoint after every message; 2: close and
 * reopen executor and store half way. */
static void run_case(const win_case *c, int mode)
{
    char dir[] = "/tmp/test_window-XXXXXX";
    sl_error err;
    collected col = {SL_BUF_INIT};
    uint64_t late = 0;
    sl_plan *plan = case_plan(c);
    size_t n = 0;
    while (n < MAX_IN && c->in[n].value)
        n++;
    assert_non_null(mkdtemp(dir));
    sl_state *st = sl_state_open(dir, NULL, &err);
    assert_non_null(st);
    sl_exec *ex = sl_exec_create(plan, "test", collect, &col, &err);
    assert_non_null(ex);
    assert_int_equal(sl_exec_set_state(ex, st), SL_OK);
    for (size_t i = 0; i < n; i++) {
        const in_msg *m = &c->in[i];
        sl_message msg = {m->key, m->key ? strlen(m->key) : 0, m->value, strlen(m->value), m->ts,
                          NULL, 0, (int64_t)i, NULL, 0};
        if (sl_exec_process(ex, &msg, &err) != SL_OK)
            fail_msg("%s: message %zu: %s: %s", c->name, i, err.where, err.msg);
        if (sl_exec_counters_get(ex)->errors)
            fail_msg("%s: message %zu was a processing error", c->name, i);
        if (mode == 1) {
            assert_int_equal(sl_exec_batch_reset(ex), SL_OK);
            assert_int_equal(sl_state_checkpoint_commit(st, (int64_t)i, -1, &err), SL_OK);
        }
        if (mode == 2 && i == n / 2) {
            assert_int_equal(sl_state_checkpoint_commit(st, (int64_t)i, -1, &err), SL_OK);
            late += sl_exec_counters_get(ex)->late;
            sl_exec_destroy(ex);
            sl_state_close(st);
            st = sl_state_open(dir, NULL, &err);
            assert_non_null(st);
            ex = sl_exec_create(plan, "test", collect, &col, &err);
            assert_non_null(ex);
            sl_exec_set_state(ex, st);
        }
    }
    late += sl_exec_counters_get(ex)->late;
    if (strcmp(col.out.data ? col.out.data : "", c->out) != 0 || late != c->late)
        fail_msg("%s (mode %d):\n got (late %llu):\n%s want (late %llu):\n%s", c->name, mode,
                 (unsigned long long)late, col.out.data ? col.out.data : "",
                 (unsigned long long)c->late, c->out);
    sl_exec_destroy(ex);
    sl_state_close(st);
    assert_int_equal(sl_state_destroy_dir(dir, &err), SL_OK);
    sl_buf_free(&col.out);
    sl_plan_free(plan);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (int mode = 0; mode < 3; mode++)
            run_case(&cases[i], mode);
}

/* Steps after a window see its results as their rows. */
static void test_steps_after_window(void **state)
{
    (void)state;
    static const win_case c = {
        "steps after",
        "{\"op\":\"tumbling_window\",\"size\":10," AVG "},"
        "{\"op\":\"filter\",\"where\":\"n > 1\"},"
        "{\"op\":\"assign\",\"columns\":{\"width\":\"end - start\",\"k\":\"_key\"}},"
        "{\"op\":\"set_key\",\"expr\":\"'all'\"},"
        "{\"op\":\"aggregate\",\"aggregate\":{\"windows\":\"count()\",\"total\":\"sum(s)\"}}",
        {{"a", 1, "{\"v\":1}"}, {"a", 2, "{\"v\":2}"}, {"b", 3, "{\"v\":7}"}, {"a", 11, "{\"v\":3}"},
         {"b", 12, "{\"v\":4}"}, {"a", 13, "{\"v\":5}"}, {"a", 25, "{\"v\":0}"}},
        "all 0 {\"windows\":1,\"total\":3}\n"
        "all 10 {\"windows\":2,\"total\":11}\n",
        0};
    for (int mode = 0; mode < 3; mode++)
        run_case(&c, mode);
}

/* A stateful plan without a store stops the task (SL_ERR_STATE). */
static void test_no_state(void **state)
{
    (void)state;
    sl_error err;
    collected col = {SL_BUF_INIT};
    sl_plan *plan = case_plan(&cases[0]);
    sl_exec *ex = sl_exec_create(plan, "test", collect, &col, &err);
    sl_message msg = {"a", 1, "{\"v\":1}", 7, 5, NULL, 0, 0, NULL, 0};
    assert_int_equal(sl_exec_process(ex, &msg, &err), SL_ERR_STATE);
    assert_string_equal(err.where, "steps[0]");
    sl_exec_destroy(ex);
    sl_plan_free(plan);
    sl_buf_free(&col.out);
}

/* A type error in an aggregation is a processing error of the message: it
 * is dead-lettered with the aggregation's place and the state is unchanged. */
static void test_processing_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_window-XXXXXX";
    sl_error err;
    collected col = {SL_BUF_INIT};
    const char *spec = "{\"name\":\"t\",\"input\":{\"topic\":\"in\"},\"on_error\":\"skip\","
                       "\"steps\":[{\"op\":\"aggregate\",\"aggregate\":{\"n\":\"count()\","
                       "\"m\":\"mean(v)\",\"x\":\"max(v / d)\"}},{\"op\":\"to_topic\",\"topic\":\"o\"}]}";
    sl_plan *plan = sl_plan_parse(spec, strlen(spec), &err);
    assert_non_null(plan);
    assert_non_null(mkdtemp(dir));
    sl_state *st = sl_state_open(dir, NULL, &err);
    sl_exec *ex = sl_exec_create(plan, "test", collect, &col, &err);
    sl_exec_set_state(ex, st);
    sl_message m1 = {"a", 1, "{\"v\":1,\"d\":1}", 13, 5, NULL, 0, 0, NULL, 0};
    sl_message m2 = {"a", 1, "{\"v\":\"x\",\"d\":1}", 15, 6, NULL, 0, 1, NULL, 0};
    sl_message m3 = {"a", 1, "{\"v\":1,\"d\":0}", 13, 7, NULL, 0, 2, NULL, 0};
    sl_message m4 = {"a", 1, "{\"v\":3,\"d\":1}", 13, 8, NULL, 0, 3, NULL, 0};
    assert_int_equal(sl_exec_process(ex, &m1, &err), SL_OK);
    assert_int_equal(sl_exec_process(ex, &m2, &err), SL_OK);
    assert_int_equal(sl_exec_process(ex, &m3, &err), SL_OK);
    assert_int_equal(sl_exec_process(ex, &m4, &err), SL_OK);
    assert_int_equal(sl_exec_counters_get(ex)->skipped, 2);
    assert_string_equal(col.out.data, "a 5 {\"n\":1,\"m\":1.0,\"x\":1.0}\n"
                                      "a 8 {\"n\":2,\"m\":2.0,\"x\":3.0}\n");
    sl_exec_destroy(ex);
    sl_state_close(st);
    sl_state_destroy_dir(dir, NULL);
    sl_plan_free(plan);
    sl_buf_free(&col.out);

    /* with on_error fail the error names the aggregation */
    const char *spec2 = "{\"name\":\"t\",\"input\":{\"topic\":\"in\"},\"on_error\":\"fail\","
                        "\"steps\":[{\"op\":\"tumbling_window\",\"size\":10,\"aggregate\":{"
                        "\"s\":\"sum(v)\"}}]}";
    plan = sl_plan_parse(spec2, strlen(spec2), &err);
    assert_non_null(plan);
    char dir2[] = "/tmp/test_window-XXXXXX";
    assert_non_null(mkdtemp(dir2));
    st = sl_state_open(dir2, NULL, &err);
    ex = sl_exec_create(plan, "test", NULL, NULL, &err);
    sl_exec_set_state(ex, st);
    sl_message m5 = {"a", 1, "{\"v\":[1]}", 9, 5, NULL, 0, 0, NULL, 0};
    assert_int_equal(sl_exec_process(ex, &m5, &err), SL_ERR_TYPE);
    assert_string_equal(err.where, "steps[0].aggregate.s");
    assert_non_null(strstr(err.msg, "sum() needs numbers, got list"));
    sl_exec_destroy(ex);
    sl_state_close(st);
    sl_state_destroy_dir(dir2, NULL);
    sl_plan_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_steps_after_window),
        cmocka_unit_test(test_no_state),
        cmocka_unit_test(test_processing_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

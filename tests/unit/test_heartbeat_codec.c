/* Unit tests for the cluster protocol codec of the worker
 * (worker/runtime/sl_heartbeat_client.h): heartbeat encoding read back with
 * protobuf-c, assignments packed with protobuf-c and decoded, the validation
 * of what arrives, the generation ordering rule and the lease margin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.pb-c.h"
#include "runtime/sl_cluster_worker.h"
#include "runtime/sl_heartbeat_client.h"

static void test_heartbeat_round_trip(void **state)
{
    (void)state;
    sl_task_status st[2];
    memset(st, 0, sizeof(st));
    snprintf(st[0].id.tenant, sizeof(st[0].id.tenant), "acme");
    snprintf(st[0].id.pipeline, sizeof(st[0].id.pipeline), "speeding");
    st[0].id.partition = 3;
    st[0].pipeline_version = 7;
    st[0].state = SL_REPORT_RUNNING;
    st[0].committed_offset = 1200;
    st[0].lag = 5;
    st[0].messages_in = 1300;
    st[0].messages_out = 40;
    st[0].errors = 2;
    snprintf(st[1].id.tenant, sizeof(st[1].id.tenant), "globex");
    snprintf(st[1].id.pipeline, sizeof(st[1].id.pipeline), "orders");
    st[1].state = SL_REPORT_FAILED;
    st[1].committed_offset = -1;
    st[1].lag = -1;
    snprintf(st[1].last_error, sizeof(st[1].last_error), "steps[1].where: type error");
    sl_heartbeat hb = {
        .worker_id = "worker-a", .capacity = 16, .generation_seen = 42, .tasks = st, .ntasks = 2};
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    assert_int_equal(sl_heartbeat_encode(&hb, &out, &err), SL_OK);

    Sluice__Heartbeat *m = sluice__heartbeat__unpack(NULL, out.len, (const uint8_t *)out.data);
    assert_non_null(m);
    assert_string_equal(m->worker_id, "worker-a");
    assert_int_equal(m->capacity, 16);
    assert_int_equal(m->generation_seen, 42);
    assert_int_equal(m->n_tasks, 2);
    assert_string_equal(m->tasks[0]->id->tenant, "acme");
    assert_string_equal(m->tasks[0]->id->pipeline, "speeding");
    assert_int_equal(m->tasks[0]->id->partition, 3);
    assert_int_equal(m->tasks[0]->pipeline_version, 7);
    assert_int_equal(m->tasks[0]->state, SLUICE__TASK_STATE__TASK_STATE_RUNNING);
    assert_int_equal(m->tasks[0]->committed_offset, 1200);
    assert_int_equal(m->tasks[0]->lag, 5);
    assert_int_equal(m->tasks[0]->messages_in, 1300);
    assert_int_equal(m->tasks[0]->messages_out, 40);
    assert_int_equal(m->tasks[0]->errors, 2);
    assert_string_equal(m->tasks[0]->last_error, "");
    assert_int_equal(m->tasks[1]->state, SLUICE__TASK_STATE__TASK_STATE_FAILED);
    assert_int_equal(m->tasks[1]->committed_offset, -1);
    assert_string_equal(m->tasks[1]->last_error, "steps[1].where: type error");
    sluice__heartbeat__free_unpacked(m, NULL);

    /* no tasks: still a valid message, and the buffer is reused */
    hb.ntasks = 0;
    hb.tasks = NULL;
    assert_int_equal(sl_heartbeat_encode(&hb, &out, &err), SL_OK);
    m = sluice__heartbeat__unpack(NULL, out.len, (const uint8_t *)out.data);
    assert_non_null(m);
    assert_int_equal(m->n_tasks, 0);
    assert_string_equal(m->worker_id, "worker-a");
    sluice__heartbeat__free_unpacked(m, NULL);
    sl_buf_free(&out);
}

/* One task of a test assignment. */
typedef struct fake_task {
    const char *tenant, *pipeline;
    uint32_t partition;
    uint64_t version;
    uint32_t epoch;
    const char *spec;
    int no_id;
} fake_task;

/* Packs an Assignment with protobuf-c, as a controller would. */
static uint8_t *pack_assignment(uint64_t gen, const fake_task *t, size_t n,
                                const char *const *purge, size_t npurge, const char *bootstrap,
                                size_t *len)
{
    Sluice__Assignment a = SLUICE__ASSIGNMENT__INIT;
    Sluice__TaskAssignment items[8], *ptrs[8];
    Sluice__TaskId ids[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        sluice__task_id__init(&ids[i]);
        ids[i].tenant = (char *)t[i].tenant;
        ids[i].pipeline = (char *)t[i].pipeline;
        ids[i].partition = t[i].partition;
        sluice__task_assignment__init(&items[i]);
        items[i].id = t[i].no_id ? NULL : &ids[i];
        items[i].pipeline_version = t[i].version;
        items[i].state_epoch = t[i].epoch;
        items[i].spec_json = (char *)t[i].spec;
        ptrs[i] = &items[i];
    }
    a.generation = gen;
    a.lease_ms = 10000;
    a.heartbeat_interval_ms = 500;
    a.n_tasks = n;
    a.tasks = ptrs;
    a.bootstrap_servers = (char *)(bootstrap ? bootstrap : "");
    a.n_purge = npurge;
    a.purge = (char **)purge;
    *len = sluice__assignment__get_packed_size(&a);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    sluice__assignment__pack(&a, buf);
    return buf;
}

static void test_assignment_decode(void **state)
{
    (void)state;
    const fake_task tasks[] = {
        {"acme", "speeding", 0, 3, 1, "{\"name\":\"speeding\"}", 0},
        {"acme", "speeding", 5, 3, 1, "{\"name\":\"speeding\"}", 0},
        {"globex", "orders-eu", 2, 1, 0, "{\"name\":\"orders-eu\"}", 0},
    };
    const char *purge[] = {"acme.old-pipe", "globex.x"};
    size_t len;
    uint8_t *buf = pack_assignment(9, tasks, 3, purge, 2, "k1:9092,k2:9092", &len);
    sl_assignment *a = NULL;
    sl_error err;
    assert_int_equal(sl_assignment_decode(buf, len, &a, &err), SL_OK);
    free(buf);
    assert_non_null(a);
    assert_int_equal(a->generation, 9);
    assert_int_equal(a->lease_ms, 10000);
    assert_int_equal(a->heartbeat_interval_ms, 500);
    assert_int_equal(a->ntasks, 3);
    assert_string_equal(a->tasks[1].id.tenant, "acme");
    assert_string_equal(a->tasks[1].id.pipeline, "speeding");
    assert_int_equal(a->tasks[1].id.partition, 5);
    assert_int_equal(a->tasks[1].pipeline_version, 3);
    assert_int_equal(a->tasks[1].state_epoch, 1);
    assert_string_equal(a->tasks[1].spec_json, "{\"name\":\"speeding\"}");
    assert_int_equal(a->tasks[1].spec_len, strlen("{\"name\":\"speeding\"}"));
    assert_string_equal(a->tasks[2].id.pipeline, "orders-eu");
    assert_string_equal(a->bootstrap_servers, "k1:9092,k2:9092");
    assert_int_equal(a->npurge, 2);
    assert_string_equal(a->purge[0], "acme.old-pipe");
    assert_string_equal(a->purge[1], "globex.x");
    assert_true(sl_task_id_equal(&a->tasks[0].id, &a->tasks[0].id));
    assert_false(sl_task_id_equal(&a->tasks[0].id, &a->tasks[1].id));
    sl_assignment_free(a);

    /* an empty answer: generation 0, nothing to run, no bootstrap */
    buf = pack_assignment(0, NULL, 0, NULL, 0, NULL, &len);
    assert_int_equal(sl_assignment_decode(buf, len, &a, &err), SL_OK);
    free(buf);
    assert_int_equal(a->ntasks, 0);
    assert_null(a->bootstrap_servers);
    assert_int_equal(a->npurge, 0);
    sl_assignment_free(a);
    sl_assignment_free(NULL);
}

/* What must be refused: each row is one bad assignment. */
static void test_assignment_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        fake_task task;
        const char *purge;
    } rows[] = {
        {"upper-case tenant", {"Acme", "p", 0, 1, 0, "{}", 0}, NULL},
        {"path in the pipeline", {"acme", "../etc", 0, 1, 0, "{}", 0}, NULL},
        {"slash in the tenant", {"a/b", "p", 0, 1, 0, "{}", 0}, NULL},
        {"empty pipeline", {"acme", "", 0, 1, 0, "{}", 0}, NULL},
        {"leading dash", {"acme", "-p", 0, 1, 0, "{}", 0}, NULL},
        {"partition out of range", {"acme", "p", 0x80000000u, 1, 0, "{}", 0}, NULL},
        {"no spec", {"acme", "p", 0, 1, 0, "", 0}, NULL},
        {"no id", {"acme", "p", 0, 1, 0, "{}", 1}, NULL},
        {"purge without a dot", {"acme", "p", 0, 1, 0, "{}", 0}, "acme"},
        {"purge climbing up", {"acme", "p", 0, 1, 0, "{}", 0}, "../acme.p"},
        {"purge with a slash", {"acme", "p", 0, 1, 0, "{}", 0}, "acme.p/x"},
        {"purge with two dots", {"acme", "p", 0, 1, 0, "{}", 0}, "acme.p.s1"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t len;
        const char *purge[1] = {rows[i].purge};
        uint8_t *buf =
            pack_assignment(1, &rows[i].task, 1, purge, rows[i].purge ? 1 : 0, NULL, &len);
        sl_assignment *a = (sl_assignment *)(uintptr_t)1;
        sl_error err;
        int rc = sl_assignment_decode(buf, len, &a, &err);
        free(buf);
        if (rc != SL_ERR_INVALID || a != NULL)
            fail_msg("%s: accepted (rc %d)", rows[i].what, rc);
    }
    /* the same task twice */
    const fake_task twice[] = {{"acme", "p", 1, 1, 0, "{}", 0}, {"acme", "p", 1, 2, 0, "{}", 0}};
    size_t len;
    uint8_t *buf = pack_assignment(1, twice, 2, NULL, 0, NULL, &len);
    sl_assignment *a = NULL;
    sl_error err;
    assert_int_equal(sl_assignment_decode(buf, len, &a, &err), SL_ERR_INVALID);
    assert_null(a);
    free(buf);
    /* bytes that are not an Assignment */
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
    assert_int_equal(sl_assignment_decode(junk, sizeof(junk), &a, &err), SL_ERR_INVALID);
    assert_null(a);
}

static void test_generation_rule(void **state)
{
    (void)state;
    static const struct {
        int applied_any;
        uint64_t applied, generation;
        int apply;
    } rows[] = {
        {0, 0, 0, 1},               /* the first answer always applies */
        {0, 0, 5, 1}, {1, 5, 5, 1}, /* the same generation again: applies (idempotent) */
        {1, 5, 6, 1},               /* newer */
        {1, 5, 4, 0},               /* older: ignored */
        {1, 5, 0, 0}, {1, UINT64_MAX - 1, UINT64_MAX, 1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (!!sl_assignment_should_apply(rows[i].generation, rows[i].applied,
                                         rows[i].applied_any) != rows[i].apply)
            fail_msg("row %zu: generation %llu after %llu", i,
                     (unsigned long long)rows[i].generation, (unsigned long long)rows[i].applied);
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int valid, purge_valid;
    } rows[] = {
        {"acme", 1, 0},
        {"a", 1, 0},
        {"speeding-2", 1, 0},
        {"acme.speeding", 0, 1},
        {"acme.speeding-2", 0, 1},
        {"", 0, 0},
        {"-x", 0, 0},
        {"Acme", 0, 0},
        {"a_b", 0, 0},
        {"acme.", 0, 0},
        {".speeding", 0, 0},
        {"acme..speeding", 0, 0},
        {"acme.speeding.s1", 0, 0},
        {"acme/speeding", 0, 0},
        {"..", 0, 0},
        {"acme.-x", 0, 0},
        {"0123456789012345678901234567890123456789012345678901234567890123", 0, 0}, /* 64 */
        {"012345678901234567890123456789012345678901234567890123456789012", 1, 0},  /* 63 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (!!sl_cluster_name_valid(rows[i].name) != rows[i].valid)
            fail_msg("name '%s'", rows[i].name);
        if (!!sl_cluster_purge_name_valid(rows[i].name) != rows[i].purge_valid)
            fail_msg("purge name '%s'", rows[i].name);
    }
    assert_false(sl_cluster_name_valid(NULL));
    assert_false(sl_cluster_purge_name_valid(NULL));
}

static void test_lease_margin(void **state)
{
    (void)state;
    static const struct {
        int64_t lease, margin;
    } rows[] = {
        {10000, 2500},                /* lease/4 */
        {60000, 15000}, {6000, 1500}, /* the 1.5 s floor */
        {3000, 1500},   {2000, 1000}, /* never more than half the lease */
        {1000, 500},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(sl_cluster_lease_safety_ms(rows[i].lease), rows[i].margin);
}

static void test_client_refuses(void **state)
{
    (void)state;
    sl_error err;
    assert_null(sl_heartbeat_client_create("ftp://x", "tok", &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_null(sl_heartbeat_client_create("http://x", "", &err));
    assert_null(sl_heartbeat_client_create("http://x", "a b", &err));
    assert_null(sl_heartbeat_client_create("http://x", "tok\n", &err));
    sl_heartbeat_client *c = sl_heartbeat_client_create("http://127.0.0.1:1/", "tok", &err);
    assert_non_null(c);
    /* nothing listens on port 1: a network error, no status, no answer */
    sl_heartbeat hb = {.worker_id = "w", .capacity = 1};
    sl_assignment *a = NULL;
    int status = -1;
    assert_int_equal(sl_heartbeat_client_send(c, &hb, 500, &a, &status, &err), SL_ERR_IO);
    assert_int_equal(status, 0);
    assert_null(a);
    sl_heartbeat_client_destroy(c);
    sl_heartbeat_client_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heartbeat_round_trip),
        cmocka_unit_test(test_assignment_decode),
        cmocka_unit_test(test_assignment_rejects),
        cmocka_unit_test(test_generation_rule),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_lease_margin),
        cmocka_unit_test(test_client_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

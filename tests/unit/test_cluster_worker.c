/* The cluster worker's loop against a fake controller: the real heartbeat
 * client talks to an sl_http_server in this process that answers
 * POST /v1/cluster/heartbeat with a fixed Assignment (a stateless pipeline of
 * tenant "acme" on an embedded broker), and records what the worker reports.
 *
 *   1. assigned: the task starts, reports RUNNING, processes messages and
 *      reports its counters and committed offset; a purge of its own
 *      pipeline waits while it is assigned;
 *   2. an answer of a lower generation is ignored;
 *   3. dropped: the task reports STOPPING, then disappears; the purge runs;
 *   4. assigned again: it resumes at its committed offset (no duplicates);
 *   5. the controller answers 503: the lease rule stops the task well before
 *      the controller's lease would expire (no STOPPING report is awaited:
 *      none gets through), /healthz says why;
 *   6. answers again: the task runs again;
 *   7. shutdown: the last heartbeat lists no task and capacity 0.
 *
 * and, with two failing tasks, the FAILED reports and the restart backoff. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cluster.pb-c.h"
#include "http/sl_http_server.h"
#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_producer.h"
#include "runtime/sl_cluster_worker.h"
#include "runtime/sl_task_set.h"
#include "sl_test_http.h"
#include "sl_test_topic.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define TOKEN "test-worker-token-0123456789"
#define LEASE_MS 3000
#define INTERVAL_MS 100

static const char SPEC[] =
    "{\"name\": \"speed\", \"input\": {\"topic\": \"speed-in\"},\n"
    " \"steps\": [\n"
    "  {\"op\": \"assign\", \"columns\": {\"speed_kmh\": \"speed * 3.6\"}},\n"
    "  {\"op\": \"filter\", \"where\": \"speed_kmh > 100\"},\n"
    "  {\"op\": \"to_topic\", \"topic\": \"speed-out\"}\n"
    " ]}";

enum { ANSWER = 0, FAIL_503 };

#define MAX_FAKE_TASKS 4

/* One task the fake can assign (tenant acme, partition 0), and what the
 * worker last reported of it. */
typedef struct fake_task {
    const char *pipeline;
    const char *spec;
    /* reports */
    int have, state;
    uint64_t messages_in, errors;
    int64_t committed;
    int seen_stopping;
    char last_error[256];
} fake_task;

typedef struct fake_controller {
    pthread_mutex_t lock;
    /* what it answers */
    int mode;
    uint64_t generation;
    unsigned assign;   /* bit i: tasks[i] is assigned */
    const char *purge; /* NULL: none */
    char bootstrap[256];
    fake_task tasks[MAX_FAKE_TASKS];
    int ntasks;
    /* what the worker said */
    int heartbeats;
    int bad_auth;
    int last_ntasks, last_capacity;
    uint64_t generation_seen;
    char worker_id[64];
} fake_controller;

/* Records one heartbeat (fc->lock held). */
static void record(fake_controller *fc, const Sluice__Heartbeat *hb)
{
    snprintf(fc->worker_id, sizeof(fc->worker_id), "%s", hb->worker_id);
    fc->generation_seen = hb->generation_seen;
    fc->last_ntasks = (int)hb->n_tasks;
    fc->last_capacity = (int)hb->capacity;
    for (int k = 0; k < fc->ntasks; k++)
        fc->tasks[k].have = 0;
    for (size_t i = 0; i < hb->n_tasks; i++) {
        const Sluice__TaskStatus *t = hb->tasks[i];
        for (int k = 0; k < fc->ntasks; k++) {
            fake_task *ft = &fc->tasks[k];
            if (!t->id || strcmp(t->id->tenant, "acme") != 0 ||
                strcmp(t->id->pipeline, ft->pipeline) != 0 || t->id->partition != 0)
                continue;
            ft->have = 1;
            ft->state = t->state;
            ft->messages_in = t->messages_in;
            ft->errors = t->errors;
            ft->committed = t->committed_offset;
            snprintf(ft->last_error, sizeof(ft->last_error), "%s", t->last_error);
            if (t->state == SLUICE__TASK_STATE__TASK_STATE_STOPPING)
                ft->seen_stopping = 1;
        }
    }
}

static int on_heartbeat(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    fake_controller *fc = ud;
    const char *auth = sl_http_request_header(req, "Authorization");
    const char *ctype = sl_http_request_header(req, "Content-Type");
    Sluice__Heartbeat *hb =
        sluice__heartbeat__unpack(NULL, req->body_len, (const uint8_t *)req->body);
    Sluice__Assignment a = SLUICE__ASSIGNMENT__INIT;
    Sluice__TaskId ids[MAX_FAKE_TASKS];
    Sluice__TaskAssignment ta[MAX_FAKE_TASKS], *tap[MAX_FAKE_TASKS];
    char *purge[1];

    pthread_mutex_lock(&fc->lock);
    fc->heartbeats++;
    if (!hb || !auth || strcmp(auth, "Bearer " TOKEN) != 0 || !ctype ||
        strcmp(ctype, "application/x-protobuf") != 0)
        fc->bad_auth++;
    if (hb)
        record(fc, hb);
    int mode = fc->mode;
    size_t n = 0;
    for (int k = 0; k < fc->ntasks; k++) {
        if (!(fc->assign & (1u << k)))
            continue;
        sluice__task_id__init(&ids[n]);
        ids[n].tenant = "acme";
        ids[n].pipeline = (char *)fc->tasks[k].pipeline;
        ids[n].partition = 0;
        sluice__task_assignment__init(&ta[n]);
        ta[n].id = &ids[n];
        ta[n].pipeline_version = 1;
        ta[n].spec_json = (char *)fc->tasks[k].spec;
        tap[n] = &ta[n];
        n++;
    }
    purge[0] = (char *)fc->purge;
    a.generation = fc->generation;
    a.lease_ms = LEASE_MS;
    a.heartbeat_interval_ms = INTERVAL_MS;
    a.bootstrap_servers = fc->bootstrap;
    a.n_tasks = n;
    a.tasks = tap;
    a.n_purge = fc->purge ? 1 : 0;
    a.purge = purge;
    size_t len = sluice__assignment__get_packed_size(&a);
    uint8_t *buf = malloc(len ? len : 1);
    sluice__assignment__pack(&a, buf);
    pthread_mutex_unlock(&fc->lock);
    if (hb)
        sluice__heartbeat__free_unpacked(hb, NULL);

    int rc = SL_OK;
    if (mode == FAIL_503) {
        rc = sl_http_response_error(resp, 503, "unavailable", "the controller is not ready");
    } else {
        snprintf(resp->content_type, sizeof(resp->content_type), "application/x-protobuf");
        rc = sl_buf_append(&resp->body, buf, len);
    }
    free(buf);
    return rc;
}

/* Starts a fake controller on a free loopback port serving pipelines. */
static sl_http_server *fc_start(fake_controller *fc, const char *bootstrap,
                                const char *const (*pipelines)[2], int n, char *url,
                                size_t url_size)
{
    sl_error err;
    memset(fc, 0, sizeof(*fc));
    pthread_mutex_init(&fc->lock, NULL);
    snprintf(fc->bootstrap, sizeof(fc->bootstrap), "%s", bootstrap);
    for (int k = 0; k < n; k++) {
        fc->tasks[k].pipeline = pipelines[k][0];
        fc->tasks[k].spec = pipelines[k][1];
        fc->tasks[k].committed = -2;
    }
    fc->ntasks = n;
    sl_http_server_config hc = {.listen = "127.0.0.1:0"};
    sl_http_server *http = sl_http_server_create(&hc, &err);
    assert_non_null(http);
    assert_int_equal(
        sl_http_server_route(http, "POST", "/v1/cluster/heartbeat", on_heartbeat, fc, &err), SL_OK);
    snprintf(url, url_size, "http://127.0.0.1:%d/", sl_http_server_port(http));
    return http;
}

/* Sets what the fake answers from now on. */
static void fc_answer(fake_controller *fc, int mode, uint64_t generation, unsigned assign,
                      const char *purge)
{
    pthread_mutex_lock(&fc->lock);
    fc->mode = mode;
    fc->generation = generation;
    fc->assign = assign;
    fc->purge = purge;
    for (int k = 0; k < fc->ntasks; k++)
        fc->tasks[k].seen_stopping = 0;
    pthread_mutex_unlock(&fc->lock);
}

static fake_controller fc_get(fake_controller *fc)
{
    pthread_mutex_lock(&fc->lock);
    fake_controller copy = *fc;
    pthread_mutex_unlock(&fc->lock);
    return copy;
}

/* Waits up to timeout_ms for cond(fc) to hold; returns whether it did. */
static int wait_for(fake_controller *fc, int (*cond)(const fake_controller *), int timeout_ms)
{
    int64_t end = sl_clock_mono_ms() + timeout_ms;
    while (sl_clock_mono_ms() < end) {
        fake_controller s = fc_get(fc);
        if (cond(&s))
            return 1;
        usleep(20 * 1000);
    }
    return 0;
}

static int task_running(const fake_controller *s)
{
    return s->tasks[0].have && s->tasks[0].state == SLUICE__TASK_STATE__TASK_STATE_RUNNING;
}

static int task_gone(const fake_controller *s)
{
    return !s->tasks[0].have;
}

static int64_t want_committed;
static int committed_reached(const fake_controller *s)
{
    return s->tasks[0].have && s->tasks[0].committed == want_committed;
}

static int both_failed(const fake_controller *s)
{
    return s->tasks[0].have && s->tasks[0].state == SLUICE__TASK_STATE__TASK_STATE_FAILED &&
           s->tasks[1].have && s->tasks[1].state == SLUICE__TASK_STATE__TASK_STATE_FAILED;
}

/* GET http://127.0.0.1:port/path (sl_test_http_get); returns the status
 * (0: no answer). */
static long http_get(int port, const char *path, sl_buf *body)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    return sl_test_http_get(url, body);
}

/* A port that was free a moment ago (for --metrics-port). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void produce(const char *bootstrap, const char *topic, int from, int to)
{
    sl_error err;
    sl_producer *p = sl_producer_create(bootstrap, NULL, &err);
    assert_non_null(p);
    for (int i = from; i < to; i++) {
        char key[32], val[96];
        snprintf(key, sizeof(key), "dev-%d", i % 7);
        /* every third message is slow (filtered out) */
        snprintf(val, sizeof(val), "{\"seq\": %d, \"speed\": %d}", i, i % 3 == 0 ? 10 : 50);
        assert_int_equal(
            sl_producer_send(p, topic, 0, key, strlen(key), val, strlen(val), -1, NULL, 0, &err),
            SL_OK);
    }
    assert_int_equal(sl_producer_flush(p, 10000, &err), SL_OK);
    sl_producer_destroy(p);
}

static void produce_raw(const char *bootstrap, const char *topic, const char *value)
{
    sl_error err;
    sl_producer *p = sl_producer_create(bootstrap, NULL, &err);
    assert_non_null(p);
    assert_int_equal(
        sl_producer_send(p, topic, 0, NULL, 0, value, strlen(value), -1, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000, &err), SL_OK);
    sl_producer_destroy(p);
}

static int expected_outputs(int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += i % 3 != 0;
    return k;
}

typedef struct run_ctx {
    sl_cluster_worker *w;
    int rc;
} run_ctx;

static void *run_worker(void *arg)
{
    run_ctx *rc = arg;
    rc->rc = sl_cluster_worker_run(rc->w);
    return NULL;
}

static int dir_exists(const char *root, const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    return stat(p, &st) == 0;
}

/* A temporary state dir with the worker token file in it. */
static void make_state_dir(char *dir, char *token_path, size_t size)
{
    assert_non_null(mkdtemp(dir));
    snprintf(token_path, size, "%s/token", dir);
    FILE *f = fopen(token_path, "w");
    assert_non_null(f);
    fputs("  " TOKEN "\n", f); /* surrounding whitespace is trimmed */
    fclose(f);
}

static void test_cluster_worker_loop(void **state)
{
    (void)state;
    sl_error err;
    char state_dir[] = "/tmp/sluice-cw-XXXXXX", token_path[300], url[64], iv[16], mport[16];
    make_state_dir(state_dir, token_path, sizeof(token_path));
    /* local state of the pipeline that a purge should remove, once */
    char p[512];
    snprintf(p, sizeof(p), "%s/acme.speed.s1", state_dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/acme.speed.s1/0", state_dir);
    assert_int_equal(mkdir(p, 0755), 0);

    sl_embedded_broker *broker = sl_embedded_broker_create(1, &err);
    assert_non_null(broker);
    const char *bootstrap = sl_embedded_broker_bootstrap(broker);
    /* the controller creates a pipeline's topics, not the worker */
    assert_int_equal(sl_embedded_broker_create_topic(broker, "acme.speed-in", 1, NULL, 0, &err),
                     SL_OK);
    assert_int_equal(sl_embedded_broker_create_topic(broker, "acme.speed-out", 1, NULL, 0, &err),
                     SL_OK);

    static fake_controller fc;
    const char *const pipelines[][2] = {{"speed", SPEC}};
    sl_http_server *http = fc_start(&fc, bootstrap, pipelines, 1, url, sizeof(url));

    /* 1. assigned (the purge of its own pipeline must wait) */
    fc_answer(&fc, ANSWER, 1, 1, "acme.speed");
    snprintf(iv, sizeof(iv), "%d", INTERVAL_MS);
    int metrics_port = free_port();
    snprintf(mport, sizeof(mport), "%d", metrics_port);
    char *argv[] = {"sluice-worker",
                    "--controller",
                    url,
                    "--token-file",
                    token_path,
                    "--state-dir",
                    state_dir,
                    "--id",
                    "worker-test",
                    "--commit-interval-ms",
                    "100",
                    "--heartbeat-interval-ms",
                    iv,
                    "--metrics-port",
                    mport,
                    "--metrics-address",
                    "127.0.0.1",
                    NULL};
    sl_worker_config cfg;
    assert_int_equal(sl_worker_config_parse(&cfg, 17, argv, &err), SL_OK);
    sl_cluster_worker *w = sl_cluster_worker_create(&cfg, &err);
    assert_non_null(w);
    run_ctx ctx = {w, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_worker, &ctx), 0);

    assert_true(wait_for(&fc, task_running, 15000));
    fake_controller s = fc_get(&fc);
    assert_int_equal(s.bad_auth, 0);
    assert_string_equal(s.worker_id, "worker-test");
    assert_int_equal(s.last_capacity, 16);
    sl_cluster_status cs;
    sl_cluster_worker_status(w, &cs);
    assert_true(cs.controller_ok);
    assert_true(cs.lease_ok);
    assert_int_equal(cs.generation, 1);
    assert_int_equal(cs.lease_ms, LEASE_MS);
    assert_int_equal(cs.interval_ms, INTERVAL_MS);
    sl_buf body = SL_BUF_INIT;
    assert_int_equal(http_get(metrics_port, "/healthz", &body), 200);

    produce(bootstrap, "acme.speed-in", 0, 30);
    sl_test_records out = {0};
    sl_test_read_topic(bootstrap, "acme.speed-out", (size_t)expected_outputs(30), 300, 10000, &out);
    assert_int_equal(out.count, expected_outputs(30));
    sl_test_records_free(&out);
    want_committed = 30;
    assert_true(wait_for(&fc, committed_reached, 10000));
    s = fc_get(&fc);
    assert_int_equal(s.tasks[0].messages_in, 30);
    assert_int_equal(s.tasks[0].errors, 0);
    assert_int_equal(s.generation_seen, 1);
    assert_true(dir_exists(state_dir, "acme.speed.s1/0")); /* assigned: not purged */
    assert_int_equal(http_get(metrics_port, "/metrics", &body), 200);
    assert_non_null(strstr(body.data, "sluice_task_messages_in_total{pipeline=\"acme.speed\","
                                      "partition=\"0\"} 30"));
    assert_non_null(strstr(body.data, "sluice_worker_lease_ok 1"));
    assert_non_null(strstr(body.data, "sluice_worker_tasks{state=\"running\"} 1"));

    /* 2. a lower generation is ignored: the task keeps running */
    fc_answer(&fc, ANSWER, 0, 0, NULL);
    int hb0 = fc_get(&fc).heartbeats;
    while (fc_get(&fc).heartbeats < hb0 + 5)
        usleep(20 * 1000);
    s = fc_get(&fc);
    assert_true(task_running(&s));
    assert_false(s.tasks[0].seen_stopping);
    assert_int_equal(s.generation_seen, 1);

    /* 3. dropped: STOPPING, then gone; then the purge runs */
    fc_answer(&fc, ANSWER, 2, 0, "acme.speed");
    assert_true(wait_for(&fc, task_gone, 10000));
    s = fc_get(&fc);
    assert_true(s.tasks[0].seen_stopping);
    sl_cluster_worker_status(w, &cs);
    assert_int_equal(cs.tasks, 0);
    assert_int_equal(cs.generation, 2);
    for (int i = 0; i < 100 && dir_exists(state_dir, "acme.speed.s1"); i++)
        usleep(20 * 1000);
    assert_false(dir_exists(state_dir, "acme.speed.s1"));
    /* the stopped runner's series are gone with it */
    assert_int_equal(http_get(metrics_port, "/metrics", &body), 200);
    assert_null(strstr(body.data, "sluice_task_messages_in_total{pipeline=\"acme.speed\""));

    /* 4. assigned again: resumes at its committed offset (and can create its
     * metric series again) */
    fc_answer(&fc, ANSWER, 3, 1, NULL);
    assert_true(wait_for(&fc, task_running, 15000));
    produce(bootstrap, "acme.speed-in", 30, 45);
    want_committed = 45;
    assert_true(wait_for(&fc, committed_reached, 10000));
    s = fc_get(&fc);
    assert_int_equal(s.tasks[0].messages_in, 15); /* a new runner counts from its start */
    memset(&out, 0, sizeof(out));
    sl_test_read_topic(bootstrap, "acme.speed-out", (size_t)expected_outputs(45), 300, 10000, &out);
    assert_int_equal(out.count, expected_outputs(45)); /* nothing twice */
    sl_test_records_free(&out);

    /* 5. the controller answers 503: lease lost, the task stops well before
     * the controller's own lease would expire */
    int64_t t0 = sl_clock_mono_ms();
    fc_answer(&fc, FAIL_503, 3, 1, NULL);
    assert_true(wait_for(&fc, task_gone, 10000));
    int64_t took = sl_clock_mono_ms() - t0;
    assert_true(took < LEASE_MS);
    assert_true(took >= LEASE_MS - sl_cluster_lease_safety_ms(LEASE_MS) - INTERVAL_MS);
    sl_cluster_worker_status(w, &cs);
    assert_false(cs.lease_ok);
    assert_false(cs.controller_ok);
    assert_int_equal(cs.tasks, 0);
    sl_buf why = SL_BUF_INIT;
    assert_int_not_equal(sl_cluster_worker_health(w, &why), 0);
    assert_non_null(strstr(why.data, "lease lost"));
    assert_non_null(strstr(why.data, "HTTP 503"));
    sl_buf_free(&why);
    assert_int_equal(http_get(metrics_port, "/healthz", &body), 503);
    assert_non_null(strstr(body.data, "lease lost"));

    /* 6. answers again: the assignment applies as usual */
    fc_answer(&fc, ANSWER, 4, 1, NULL);
    assert_true(wait_for(&fc, task_running, 15000));
    sl_cluster_worker_status(w, &cs);
    assert_true(cs.lease_ok);
    assert_int_equal(cs.generation, 4);
    assert_int_equal(http_get(metrics_port, "/healthz", &body), 200);

    /* 7. shutdown: the last heartbeat lists nothing */
    sl_cluster_worker_request_stop(w);
    pthread_join(th, NULL);
    assert_int_equal(ctx.rc, 0);
    s = fc_get(&fc);
    assert_int_equal(s.last_ntasks, 0);
    assert_int_equal(s.last_capacity, 0); /* the goodbye */
    assert_int_equal(s.bad_auth, 0);

    sl_buf_free(&body);
    sl_cluster_worker_destroy(w);
    sl_worker_config_clear(&cfg);
    sl_http_server_destroy(http);
    sl_embedded_broker_destroy(broker);
    unlink(token_path);
    rmdir(state_dir);
    pthread_mutex_destroy(&fc.lock);
}

/* Failed tasks: a spec that is not the assigned pipeline fails at once; a
 * task that fails at run time (on_error fail) is reported FAILED with its
 * error and restarted after the backoff. */
static void test_cluster_worker_failed_tasks(void **state)
{
    (void)state;
    static const char STRICT[] =
        "{\"name\": \"strict\", \"input\": {\"topic\": \"strict-in\"}, \"on_error\": \"fail\",\n"
        " \"steps\": [{\"op\": \"to_topic\", \"topic\": \"strict-out\"}]}";
    sl_error err;
    char state_dir[] = "/tmp/sluice-cw-XXXXXX", token_path[300], url[64], iv[16];
    make_state_dir(state_dir, token_path, sizeof(token_path));
    sl_embedded_broker *broker = sl_embedded_broker_create(1, &err);
    assert_non_null(broker);
    const char *bootstrap = sl_embedded_broker_bootstrap(broker);
    assert_int_equal(sl_embedded_broker_create_topic(broker, "acme.strict-in", 1, NULL, 0, &err),
                     SL_OK);
    assert_int_equal(sl_embedded_broker_create_topic(broker, "acme.strict-out", 1, NULL, 0, &err),
                     SL_OK);
    produce_raw(bootstrap, "acme.strict-in", "this is not JSON");

    static fake_controller fc;
    const char *const pipelines[][2] = {{"strict", STRICT}, {"wrong", SPEC}};
    sl_http_server *http = fc_start(&fc, bootstrap, pipelines, 2, url, sizeof(url));
    fc_answer(&fc, ANSWER, 1, 3, NULL);
    snprintf(iv, sizeof(iv), "%d", INTERVAL_MS);
    char *argv[] = {"sluice-worker",
                    "--controller",
                    url,
                    "--token-file",
                    token_path,
                    "--state-dir",
                    state_dir,
                    "--heartbeat-interval-ms",
                    iv,
                    NULL};
    sl_worker_config cfg;
    assert_int_equal(sl_worker_config_parse(&cfg, 9, argv, &err), SL_OK);
    sl_cluster_worker *w = sl_cluster_worker_create(&cfg, &err);
    assert_non_null(w);
    run_ctx ctx = {w, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_worker, &ctx), 0);

    assert_true(wait_for(&fc, both_failed, 15000));
    int64_t failed_at = sl_clock_mono_ms();
    fake_controller s = fc_get(&fc);
    assert_non_null(strstr(s.tasks[1].last_error, "not the assigned 'acme.wrong'"));
    assert_true(s.tasks[0].last_error[0] != '\0');
    assert_int_equal(s.tasks[0].errors, 1);
    sl_cluster_status cs;
    sl_cluster_worker_status(w, &cs);
    uint64_t starts = cs.task_starts;
    assert_int_equal(starts, 1); /* the bad spec never got a runner */
    /* the restart comes after the backoff, not before */
    while (cs.task_starts == starts &&
           sl_clock_mono_ms() - failed_at < SL_TASK_RESTART_BACKOFF_MS + 3000) {
        usleep(50 * 1000);
        sl_cluster_worker_status(w, &cs);
    }
    int64_t waited = sl_clock_mono_ms() - failed_at;
    assert_int_equal(cs.task_starts, starts + 1);
    assert_true(waited >= SL_TASK_RESTART_BACKOFF_MS - 1000);
    /* it fails again on the same message: still reported FAILED */
    assert_true(wait_for(&fc, both_failed, 5000));

    /* a new assignment without them: both go away */
    fc_answer(&fc, ANSWER, 2, 0, NULL);
    int64_t t0 = sl_clock_mono_ms();
    while (fc_get(&fc).last_ntasks != 0 && sl_clock_mono_ms() - t0 < 5000)
        usleep(20 * 1000);
    assert_int_equal(fc_get(&fc).last_ntasks, 0);

    sl_cluster_worker_request_stop(w);
    pthread_join(th, NULL);
    assert_int_equal(ctx.rc, 0);
    sl_cluster_worker_destroy(w);
    sl_worker_config_clear(&cfg);
    sl_http_server_destroy(http);
    sl_embedded_broker_destroy(broker);
    unlink(token_path);
    rmdir(state_dir);
    pthread_mutex_destroy(&fc.lock);
}

/* Configuration errors surface at create, before any heartbeat. */
static void test_cluster_worker_config_errors(void **state)
{
    (void)state;
    sl_error err;
    sl_worker_config cfg;
    char *argv[] = {"sluice-worker", "--controller",       "http://127.0.0.1:1",
                    "--token-file",  "/nonexistent/token", NULL};
    assert_int_equal(sl_worker_config_parse(&cfg, 5, argv, &err), SL_OK);
    assert_int_equal(cfg.capacity, 16);
    assert_non_null(cfg.id);
    assert_true(cfg.id[0] != '\0'); /* the hostname */
    assert_null(sl_cluster_worker_create(&cfg, &err));
    assert_int_equal(err.code, SL_ERR_IO);
    sl_worker_config_clear(&cfg);

    char *both[] = {"sluice-worker", "--standalone", "--controller", "http://x", NULL};
    assert_int_equal(sl_worker_config_parse(&cfg, 4, both, &err), SL_ERR_INVALID);
    sl_worker_config_clear(&cfg);

    char empty[] = "/tmp/sluice-cw-empty-XXXXXX";
    int fd = mkstemp(empty);
    assert_true(fd >= 0);
    write(fd, " \n", 2);
    close(fd);
    char *argv2[] = {"sluice-worker", "--controller", "http://127.0.0.1:1",
                     "--token-file",  empty,          NULL};
    assert_int_equal(sl_worker_config_parse(&cfg, 5, argv2, &err), SL_OK);
    assert_null(sl_cluster_worker_create(&cfg, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    sl_worker_config_clear(&cfg);
    unlink(empty);
}

int main(void)
{
    sl_log_level_global = SL_LOG_WARN;
    if (getenv("SLUICE_TEST_VERBOSE"))
        sl_log_level_global = SL_LOG_DEBUG;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_worker_config_errors),
        cmocka_unit_test(test_cluster_worker_loop),
        cmocka_unit_test(test_cluster_worker_failed_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

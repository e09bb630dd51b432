/* sl_test_cluster — a Sluice cluster of separate processes for integration
 * tests: one sluice-controller on the broker under test and cluster-mode
 * sluice-workers, each writing its log to its own file (the tails are
 * printed when a scenario fails), and a small REST client of the
 * controller's API v1 (libcurl, answers parsed with yyjson).
 *
 * Everything a cluster writes lives under one directory in /tmp (token
 * files, logs, the workers' state directories); sl_test_cluster_destroy
 * stops the processes it started (by pid, never by name) and removes it.
 * Header-only; needs cmocka.h included first. */
#ifndef SL_TEST_CLUSTER_H
#define SL_TEST_CLUSTER_H

#include <curl/curl.h>
#include <sys/stat.h>
#include <yyjson.h>

#include "sl_rest_client.h"
#include "sl_test_env.h"
#include "sl_test_net.h"
#include "sl_test_proc.h"

/* ---- REST client ------------------------------------------------------- */

/* One answer: status (0 when the request did not happen), the body
 * (NUL-terminated) and, when the body is JSON, its parsed document. */
typedef sl_rest_reply sl_test_reply;

static inline void sl_test_reply_free(sl_test_reply *r)
{
    sl_rest_reply_free(r);
}

/* method base+path (sl_rest_call); a 429 is retried after a pause (the API's
 * per-token rate limit is not what the tests are about). */
static inline long sl_test_rest(const char *base, const char *method, const char *path,
                                const char *token, const char *body, sl_test_reply *r)
{
    return sl_rest_call(base, method, path, token, body, r, 20, 200, 20, NULL);
}

/* ---- processes ---------------------------------------------------------- */

#define SL_TEST_CLUSTER_MAX_WORKERS 8

typedef struct sl_test_cluster_worker {
    char id[64];
    pid_t pid; /* 0 once stopped or killed */
    char log[512];
    char state_dir[512];
} sl_test_cluster_worker;

typedef struct sl_test_cluster {
    char dir[256];
    char admin_file[320], worker_file[320], controller_log[320];
    char admin_token[256];
    char url[64];
    int port;
    long lease_ms, heartbeat_ms;
    pid_t controller;
    sl_test_cluster_worker workers[SL_TEST_CLUSTER_MAX_WORKERS];
    int nworkers;
} sl_test_cluster;

/* Prints the last lines of the file at path to stderr. */
static inline void sl_test_print_tail(const char *title, const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "---- %s: no log at %s\n", title, path);
        return;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > 65536 ? size - 65536 : 0;
    char *buf = malloc((size_t)(size - from) + 1);
    fseek(f, from, SEEK_SET);
    size_t n = buf ? fread(buf, 1, (size_t)(size - from), f) : 0;
    fclose(f);
    if (!buf)
        return;
    buf[n] = '\0';
    char *p = buf + n;
    for (int seen = 0; p > buf; p--)
        if (p[-1] == '\n' && p != buf + n && ++seen > lines)
            break;
    fprintf(stderr, "---- %s (%s), last %d lines:\n%s---- end of %s\n", title, path, lines, p,
            title);
    free(buf);
}

/* Starts argv-like cmd (a shell command line, exec'd so that the pid is the
 * program's own) with stdout and stderr appended to log. */
static inline pid_t sl_test_spawn_logged(const char *cmd, const char *log)
{
    char line[4096];
    snprintf(line, sizeof(line), "exec %s >>'%s' 2>&1 </dev/null", cmd, log);
    char *argv[] = {"/bin/sh", "-c", line, NULL};
    return sl_test_spawn(argv, NULL);
}

/* Prepares c (nothing started): a fresh directory /tmp/<prefix>-..., a port,
 * the lease and heartbeat interval given to the controller. */
static inline void sl_test_cluster_init(sl_test_cluster *c, const char *prefix, long lease_ms,
                                        long heartbeat_ms)
{
    char name[96];
    memset(c, 0, sizeof(*c));
    sl_test_topic_name(name, sizeof(name), prefix);
    snprintf(c->dir, sizeof(c->dir), "/tmp/%s", name);
    mkdir(c->dir, 0700);
    snprintf(c->admin_file, sizeof(c->admin_file), "%s/admin.token", c->dir);
    snprintf(c->worker_file, sizeof(c->worker_file), "%s/worker.token", c->dir);
    snprintf(c->controller_log, sizeof(c->controller_log), "%s/controller.log", c->dir);
    c->port = sl_test_free_port();
    snprintf(c->url, sizeof(c->url), "http://127.0.0.1:%d", c->port);
    c->lease_ms = lease_ms;
    c->heartbeat_ms = heartbeat_ms;
}

/* Whether pid is still running (reaps it when it has exited). */
static inline int sl_test_alive(pid_t pid)
{
    return pid > 0 && sl_test_wait(pid, 0) == -1;
}

/* Starts the controller on c's port and broker (the token files are
 * created by the first start and reused by the next) and waits up to
 * timeout_ms for GET /readyz to answer 200. Returns 0, or -1 (the process
 * exited or never became ready; it is killed then). */
static inline int sl_test_cluster_start_controller(sl_test_cluster *c, int timeout_ms)
{
    char bin[512], cmd[2048];
    sl_test_bin(bin, sizeof(bin), "sluice-controller");
    snprintf(cmd, sizeof(cmd),
             "'%s' --bootstrap-servers '%s' --listen 127.0.0.1:%d --admin-token-file '%s' "
             "--worker-token-file '%s' --lease-ms %ld --heartbeat-interval-ms %ld",
             bin, sl_test_bootstrap(), c->port, c->admin_file, c->worker_file, c->lease_ms,
             c->heartbeat_ms);
    c->controller = sl_test_spawn_logged(cmd, c->controller_log);
    if (c->controller <= 0)
        return -1;
    int ready = 0;
    for (int waited = 0; !ready && waited < timeout_ms; waited += 50) {
        sl_test_reply r;
        ready = sl_test_rest(c->url, "GET", "/readyz", NULL, NULL, &r) == 200;
        sl_test_reply_free(&r);
        if (!ready && !sl_test_alive(c->controller)) {
            c->controller = 0;
            return -1;
        }
        if (!ready)
            sl_test_sleep_ms(50);
    }
    if (!ready) {
        sl_test_stop(c->controller, SIGKILL, 5000);
        c->controller = 0;
        return -1;
    }
    FILE *f = fopen(c->admin_file, "r");
    if (!f || !fgets(c->admin_token, sizeof(c->admin_token), f)) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    c->admin_token[strcspn(c->admin_token, " \r\n\t")] = '\0';
    return 0;
}

/* Stops the controller with sig; returns its exit status like
 * sl_test_stop (-1: it had to be killed). */
static inline int sl_test_cluster_stop_controller(sl_test_cluster *c, int sig)
{
    int rc = c->controller > 0 ? sl_test_stop(c->controller, sig, 20000) : 0;
    c->controller = 0;
    return rc;
}

/* Starts a cluster-mode worker with id (capacity 16, its own state
 * directory and log). Returns its index in c->workers, or -1. */
static inline int sl_test_cluster_start_worker(sl_test_cluster *c, const char *id)
{
    if (c->nworkers == SL_TEST_CLUSTER_MAX_WORKERS)
        return -1;
    sl_test_cluster_worker *w = &c->workers[c->nworkers];
    char bin[512], cmd[3072], dir[256], wid[64];
    /* local copies: GCC's -Wrestrict cannot tell c->dir from w->log */
    snprintf(dir, sizeof(dir), "%s", c->dir);
    snprintf(wid, sizeof(wid), "%s", id);
    snprintf(w->id, sizeof(w->id), "%s", wid);
    snprintf(w->log, sizeof(w->log), "%s/%s.log", dir, wid);
    snprintf(w->state_dir, sizeof(w->state_dir), "%s/state-%s", dir, wid);
    sl_test_bin(bin, sizeof(bin), "sluice-worker");
    snprintf(cmd, sizeof(cmd),
             "'%s' --controller '%s' --token-file '%s' --state-dir '%s' --id '%s' "
             "--capacity 16 --bootstrap-servers '%s'",
             bin, c->url, c->worker_file, w->state_dir, wid, sl_test_bootstrap());
    w->pid = sl_test_spawn_logged(cmd, w->log);
    if (w->pid <= 0)
        return -1;
    return c->nworkers++;
}

/* The index of the worker with id, or -1. */
static inline int sl_test_cluster_worker_index(const sl_test_cluster *c, const char *id)
{
    for (int i = 0; i < c->nworkers; i++)
        if (strcmp(c->workers[i].id, id) == 0)
            return i;
    return -1;
}

/* Prints the tails of every log of c (the controller's and each worker's). */
static inline void sl_test_cluster_dump_logs(const sl_test_cluster *c, int lines)
{
    char title[128];
    sl_test_print_tail("controller", c->controller_log, lines);
    for (int i = 0; i < c->nworkers; i++) {
        snprintf(title, sizeof(title), "worker %s%s", c->workers[i].id,
                 c->workers[i].pid > 0 ? "" : " (stopped)");
        sl_test_print_tail(title, c->workers[i].log, lines);
    }
}

/* SIGTERM to every process of c still running (SIGKILL when one takes
 * longer than 20 s), then removes c's directory unless keep. */
static inline void sl_test_cluster_destroy(sl_test_cluster *c, int keep)
{
    for (int i = 0; i < c->nworkers; i++)
        if (c->workers[i].pid > 0) {
            sl_test_stop(c->workers[i].pid, SIGTERM, 20000);
            c->workers[i].pid = 0;
        }
    sl_test_cluster_stop_controller(c, SIGTERM);
    if (!keep && c->dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", c->dir);
    }
}

/* ---- the REST API's views ------------------------------------------------ */

#define SL_TEST_MAX_TASKS 16

/* A request that must answer want; fails with the answer's body otherwise. */
static inline void sl_test_cluster_expect(const sl_test_cluster *c, const char *method,
                                          const char *path, const char *token, const char *body,
                                          long want, sl_test_reply *r)
{
    long st = sl_test_rest(c->url, method, path, token, body, r);
    if (st != want)
        fail_msg("%s %s: status %ld (want %ld): %s", method, path, st, want,
                 r->body ? r->body : "(no body)");
}

/* Creates tenant name and a token of it (copied into token). */
static inline void sl_test_cluster_tenant_create(const sl_test_cluster *c, const char *name,
                                                 char *token, size_t size)
{
    char body[160], path[160];
    sl_test_reply r;
    snprintf(body, sizeof(body), "{\"name\": \"%s\"}", name);
    sl_test_cluster_expect(c, "POST", "/v1/tenants", c->admin_token, body, 201, &r);
    sl_test_reply_free(&r);
    snprintf(path, sizeof(path), "/v1/tenants/%s/tokens", name);
    sl_test_cluster_expect(c, "POST", path, c->admin_token,
                           "{\"description\": \"integration test\"}", 201, &r);
    const char *t = sl_test_json_str(yyjson_doc_get_root(r.doc), "token");
    assert_true(strncmp(t, "slt_", 4) == 0);
    snprintf(token, size, "%s", t);
    sl_test_reply_free(&r);
}

typedef struct sl_test_task_view {
    int partition;
    char worker[64];
    char state[24];
    long long messages_in;
} sl_test_task_view;

typedef struct sl_test_pipeline_view {
    char state[24];
    long long version, tasks_total, tasks_running;
    char input[160], output[160];
    sl_test_task_view tasks[SL_TEST_MAX_TASKS];
    int ntasks;
} sl_test_pipeline_view;

/* GET /v1/pipelines/name (the detail) into v; returns the HTTP status. */
static inline long sl_test_cluster_pipeline(const sl_test_cluster *c, const char *token,
                                            const char *name, sl_test_pipeline_view *v)
{
    char path[160];
    sl_test_reply r;
    memset(v, 0, sizeof(*v));
    snprintf(path, sizeof(path), "/v1/pipelines/%s", name);
    long st = sl_test_rest(c->url, "GET", path, token, NULL, &r);
    yyjson_val *root = yyjson_doc_get_root(r.doc);
    if (st == 200 && root) {
        snprintf(v->state, sizeof(v->state), "%s", sl_test_json_str(root, "state"));
        v->version = sl_test_json_int(root, "version");
        v->tasks_total = sl_test_json_int(root, "tasks_total");
        v->tasks_running = sl_test_json_int(root, "tasks_running");
        yyjson_val *topics = yyjson_obj_get(root, "topics");
        snprintf(v->input, sizeof(v->input), "%s", sl_test_json_str(topics, "input"));
        const char *out = yyjson_get_str(yyjson_arr_get(yyjson_obj_get(topics, "outputs"), 0));
        snprintf(v->output, sizeof(v->output), "%s", out ? out : "");
        yyjson_val *tasks = yyjson_obj_get(root, "tasks"), *t;
        size_t i, n;
        yyjson_arr_foreach(tasks, i, n, t)
        {
            if (v->ntasks == SL_TEST_MAX_TASKS)
                break;
            sl_test_task_view *tv = &v->tasks[v->ntasks++];
            tv->partition = (int)sl_test_json_int(t, "partition");
            snprintf(tv->worker, sizeof(tv->worker), "%s", sl_test_json_str(t, "worker"));
            snprintf(tv->state, sizeof(tv->state), "%s", sl_test_json_str(t, "state"));
            tv->messages_in = sl_test_json_int(t, "messages_in");
        }
    }
    sl_test_reply_free(&r);
    return st;
}

/* Whether v has ntasks tasks, all running, none on worker avoid (may be
 * NULL), and the pipeline is running. */
static inline int sl_test_pipeline_all_running(const sl_test_pipeline_view *v, int ntasks,
                                               const char *avoid)
{
    if (strcmp(v->state, "running") != 0 || v->ntasks != ntasks || v->tasks_running != ntasks)
        return 0;
    for (int i = 0; i < v->ntasks; i++)
        if (strcmp(v->tasks[i].state, "running") != 0 || !v->tasks[i].worker[0] ||
            (avoid && strcmp(v->tasks[i].worker, avoid) == 0))
            return 0;
    return 1;
}

static inline void sl_test_pipeline_print(const char *name, const sl_test_pipeline_view *v)
{
    fprintf(stderr, "%s: state %s, %lld/%lld running:", name, v->state, v->tasks_running,
            v->tasks_total);
    for (int i = 0; i < v->ntasks; i++)
        fprintf(stderr, " [%d %s %s in=%lld]", v->tasks[i].partition, v->tasks[i].worker,
                v->tasks[i].state, v->tasks[i].messages_in);
    fprintf(stderr, "\n");
}

/* Waits until pipeline name runs all its ntasks tasks, none on avoid;
 * fails after timeout_ms. Fills v with the last answer. */
static inline void sl_test_cluster_wait_running(const sl_test_cluster *c, const char *token,
                                                const char *name, int ntasks, const char *avoid,
                                                int timeout_ms, sl_test_pipeline_view *v)
{
    int64_t deadline = sl_test_now_ms() + timeout_ms;
    for (;;) {
        long st = sl_test_cluster_pipeline(c, token, name, v);
        if (st == 200 && sl_test_pipeline_all_running(v, ntasks, avoid))
            return;
        if (sl_test_now_ms() > deadline) {
            sl_test_pipeline_print(name, v);
            fail_msg("pipeline %s: not all %d tasks running%s%s within %d ms (status %ld)", name,
                     ntasks, avoid ? " away from " : "", avoid ? avoid : "", timeout_ms, st);
        }
        sl_test_sleep_ms(200);
    }
}

/* GET /v1/workers (admin token): fills ids and tasks_running of up to max
 * workers; returns the number listed, -1 on error. */
static inline int sl_test_cluster_workers(const sl_test_cluster *c, char ids[][64],
                                          long long *running, int max)
{
    sl_test_reply r;
    int n = 0;
    if (sl_test_rest(c->url, "GET", "/v1/workers", c->admin_token, NULL, &r) != 200) {
        sl_test_reply_free(&r);
        return -1;
    }
    yyjson_val *items = yyjson_obj_get(yyjson_doc_get_root(r.doc), "items"), *w;
    size_t i, cnt;
    yyjson_arr_foreach(items, i, cnt, w)
    {
        if (n == max)
            break;
        snprintf(ids[n], 64, "%s", sl_test_json_str(w, "id"));
        running[n] = sl_test_json_int(w, "tasks_running");
        n++;
    }
    sl_test_reply_free(&r);
    return n;
}

#endif

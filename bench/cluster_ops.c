/* bench-cluster_ops — how fast the cluster's control plane acts: a
 * sluice-controller and --workers cluster-mode sluice-workers started by this
 * program (next to it in bin/), on the broker given by --bootstrap or, by
 * default, on the controller's own embedded broker (--embedded-kafka).
 *
 *   bench-cluster_ops [--bootstrap B] [--workers 3] [--partitions 4]
 *                     [--runs 5] [--keys 100000] [--recovery-runs 3]
 *                     [--lease-ms 10000] [--heartbeat-interval-ms 1000]
 *                     [--hb-workers 50] [--hb-tasks 20] [--hb-seconds 5]
 *                     [--hb-threads 2] [--keep 0|1] [-X key=value]...
 *
 * -X properties go to every Kafka client: the bench's own (topics, input)
 * and those of the controller and workers it starts.
 *
 *  (a) apply → running: PUT /v1/pipelines/{name} of a stateless pipeline on
 *      a --partitions topic, then GET /v1/pipelines/{name} every 20 ms until
 *      every task is running; --runs runs, each started at a random point of
 *      the heartbeat interval, median (target < 2 s).
 *  (c) recovery: a stateful pipeline (aggregate count() per key) holding
 *      --keys keys, all input committed; kill -9 of the worker holding the
 *      most tasks; time from the kill until every task is running on the
 *      other workers (GET every 20 ms), the tasks moved, and the restore rate
 *      of the moved tasks from the new owners' /metrics
 *      (sluice_task_state_restored_total / sluice_task_state_restore_seconds).
 *      The killed worker is replaced by a new one before the next run.
 *      Target: < lease + 5 s + restored keys / 300,000 keys/s.
 *  (b) heartbeats/s: --hb-workers simulated workers reporting --hb-tasks
 *      running tasks each in real protobuf Heartbeats (proto/cluster.proto),
 *      sent over --hb-threads libcurl keep-alive connections for --hb-seconds
 *      (target >= 2,000/s). Runs last, after every pipeline is deleted, so
 *      that the simulated workers are given no real task.
 *
 * Prints one line per run and the medians; never fails on timing (exit 1
 * only when the cluster does not work: a process fails to start, a pipeline
 * never runs). Everything lives in /tmp/bench-cluster-<pid> (removed unless
 * --keep 1). Processes are stopped by pid. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_args.h"
#include "bench_cluster.h"
#include "cluster.pb-c.h"
#include "kafka/sl_producer.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_buf.h"

#define MAX_WORKERS 16
#define MAX_TASKS 256
#define MAX_XARGS 32 /* -X properties passed on to the controller and workers */

typedef struct opts {
    const char *bootstrap;
    int workers, partitions, runs, recovery_runs, keep;
    long long keys;
    int lease_ms, heartbeat_ms;
    int hb_workers, hb_tasks, hb_seconds, hb_threads;
    sl_kafka_props props;
} opts;

static const char usage[] =
    "usage: bench-cluster_ops [--bootstrap B] [--workers 3] [--partitions 4] [--runs 5]\n"
    "                         [--keys 100000] [--recovery-runs 3] [--lease-ms 10000]\n"
    "                         [--heartbeat-interval-ms 1000] [--hb-workers 50]\n"
    "                         [--hb-tasks 20] [--hb-seconds 5] [--hb-threads 2]\n"
    "                         [--keep 0|1] [-X key=value]...\n"
    "Without --bootstrap the controller hosts an embedded broker (--embedded-kafka).\n";

typedef struct worker_proc {
    char id[32];
    pid_t pid; /* 0: not running */
    int metrics_port;
    char log[320], state_dir[320];
} worker_proc;

/* The cluster under test. */
typedef struct bench {
    opts o;
    char dir[128], url[64], bin_dir[3900];
    char admin_token[256], worker_token[256], tenant[40], token[256];
    char bootstrap[256];
    int port;
    pid_t controller;
    worker_proc w[MAX_WORKERS];
    int nw, next_id;
    char xargs[MAX_XARGS][512]; /* "key=value" of each -X */
    int nxargs;
} bench;

typedef struct task_view {
    int partition;
    char worker[32], state[24];
    long long committed, messages_in;
} task_view;

typedef struct pipeline_view {
    char state[24];
    int ntasks;
    task_view t[MAX_TASKS];
} pipeline_view;

static long pipeline_get(const bench *b, const char *name, pipeline_view *v, int *throttled)
{
    char path[128];
    bench_reply r;
    memset(v, 0, sizeof(*v));
    snprintf(path, sizeof(path), "/v1/pipelines/%s", name);
    long st = bench_rest(b->url, "GET", path, b->token, NULL, &r, throttled);
    yyjson_val *root = yyjson_doc_get_root(r.doc), *t;
    if (st == 200 && root) {
        snprintf(v->state, sizeof(v->state), "%s", sl_test_json_str(root, "state"));
        size_t i, n;
        yyjson_arr_foreach(yyjson_obj_get(root, "tasks"), i, n, t)
        {
            if (v->ntasks == MAX_TASKS)
                break;
            task_view *tv = &v->t[v->ntasks++];
            tv->partition = (int)sl_test_json_int(t, "partition");
            snprintf(tv->worker, sizeof(tv->worker), "%s", sl_test_json_str(t, "worker"));
            snprintf(tv->state, sizeof(tv->state), "%s", sl_test_json_str(t, "state"));
            tv->committed = sl_test_json_int(t, "committed_offset");
            tv->messages_in = sl_test_json_int(t, "messages_in");
        }
    }
    bench_reply_free(&r);
    return st;
}

/* Every one of n tasks running, none on avoid (may be NULL). */
static int all_running(const pipeline_view *v, int n, const char *avoid)
{
    if (v->ntasks != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(v->t[i].state, "running") != 0 || (avoid && !strcmp(v->t[i].worker, avoid)))
            return 0;
    return 1;
}

static int put_pipeline(const bench *b, const char *name, const char *spec)
{
    char path[128];
    bench_reply r;
    snprintf(path, sizeof(path), "/v1/pipelines/%s", name);
    long st = bench_rest(b->url, "PUT", path, b->token, spec, &r, NULL);
    if (st != 201 && st != 200)
        fprintf(stderr, "bench-cluster_ops: PUT %s: %ld %s\n", path, st, r.body ? r.body : "");
    bench_reply_free(&r);
    return st == 201 || st == 200 ? 0 : -1;
}

static void delete_pipeline(const bench *b, const char *name)
{
    char path[128];
    bench_reply r;
    snprintf(path, sizeof(path), "/v1/pipelines/%s", name);
    bench_rest(b->url, "DELETE", path, b->token, NULL, &r, NULL);
    bench_reply_free(&r);
}

/* Tasks reported running over all workers (GET /v1/workers), -1 on error;
 * *nworkers gets the number of workers listed. */
static long long tasks_on_workers(const bench *b, int *nworkers)
{
    bench_reply r;
    long long sum = 0;
    if (bench_rest(b->url, "GET", "/v1/workers", b->admin_token, NULL, &r, NULL) != 200) {
        bench_reply_free(&r);
        return -1;
    }
    yyjson_val *w;
    size_t i, n;
    *nworkers = 0;
    yyjson_arr_foreach(yyjson_obj_get(yyjson_doc_get_root(r.doc), "items"), i, n, w)
    {
        sum += sl_test_json_int(w, "tasks_running");
        (*nworkers)++;
    }
    bench_reply_free(&r);
    return sum;
}

/* ---- the cluster ------------------------------------------------------------ */

/* Appends "-X key=value" for every -X of the bench to argv at n; returns
 * the new count. */
static int add_xargs(bench *b, char **argv, int n)
{
    for (int i = 0; i < b->nxargs; i++) {
        argv[n++] = "-X";
        argv[n++] = b->xargs[i];
    }
    return n;
}

static int start_worker(bench *b)
{
    if (b->nw == MAX_WORKERS)
        return -1;
    worker_proc *w = &b->w[b->nw];
    char bin[4000], port[16], cap[16], out[400], dir[128], id[32];
    /* local copies: GCC's -Wrestrict cannot tell b->dir from w->log */
    snprintf(dir, sizeof(dir), "%s", b->dir);
    snprintf(id, sizeof(id), "bw%d", ++b->next_id);
    snprintf(w->id, sizeof(w->id), "%s", id);
    snprintf(w->log, sizeof(w->log), "%s/%s.log", dir, id);
    snprintf(w->state_dir, sizeof(w->state_dir), "%s/state-%s", dir, id);
    snprintf(out, sizeof(out), "%s/%s.out", dir, id);
    snprintf(bin, sizeof(bin), "%s/sluice-worker", b->bin_dir);
    w->metrics_port = sl_test_free_port();
    snprintf(port, sizeof(port), "%d", w->metrics_port);
    snprintf(cap, sizeof(cap), "%d", 64);
    char token_file[200];
    snprintf(token_file, sizeof(token_file), "%s/worker.token", dir);
    char *fixed[] = {bin,         "--controller",      b->url,       "--token-file",
                     token_file,  "--state-dir",       w->state_dir, "--id",
                     w->id,       "--capacity",        cap,          "--metrics-port",
                     port,        "--metrics-address", "127.0.0.1",  "--bootstrap-servers",
                     b->bootstrap};
    char *argv[sizeof(fixed) / sizeof(fixed[0]) + 2 * MAX_XARGS + 1];
    int n = 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        argv[n++] = fixed[i];
    n = add_xargs(b, argv, n);
    argv[n] = NULL;
    w->pid = bench_spawn(argv, out, w->log);
    if (w->pid <= 0)
        return -1;
    b->nw++;
    return 0;
}

static int start_controller(bench *b)
{
    char bin[4000], listen[32], lease[16], hb[16], admin[200], wtok[200], out[200], log[200];
    snprintf(bin, sizeof(bin), "%s/sluice-controller", b->bin_dir);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", b->port);
    snprintf(lease, sizeof(lease), "%d", b->o.lease_ms);
    snprintf(hb, sizeof(hb), "%d", b->o.heartbeat_ms);
    snprintf(admin, sizeof(admin), "%s/admin.token", b->dir);
    snprintf(wtok, sizeof(wtok), "%s/worker.token", b->dir);
    snprintf(out, sizeof(out), "%s/controller.out", b->dir);
    snprintf(log, sizeof(log), "%s/controller.log", b->dir);
    char *argv[16 + 2 * MAX_XARGS];
    int n = 0;
    argv[n++] = bin;
    if (b->o.bootstrap) {
        argv[n++] = "--bootstrap-servers";
        argv[n++] = (char *)b->o.bootstrap;
    } else {
        argv[n++] = "--embedded-kafka";
    }
    char *rest_args[] = {
        "--listen",   listen, "--admin-token-file",      admin, "--worker-token-file", wtok,
        "--lease-ms", lease,  "--heartbeat-interval-ms", hb};
    for (size_t i = 0; i < sizeof(rest_args) / sizeof(rest_args[0]); i++)
        argv[n++] = rest_args[i];
    n = add_xargs(b, argv, n);
    argv[n] = NULL;
    b->controller = bench_spawn(argv, out, log);
    if (b->controller <= 0)
        return -1;
    int ready = 0;
    for (int waited = 0; !ready && waited < 60000; waited += 50) {
        bench_reply r;
        ready = bench_rest(b->url, "GET", "/readyz", NULL, NULL, &r, NULL) == 200;
        bench_reply_free(&r);
        if (!ready && !bench_alive(b->controller)) {
            fprintf(stderr, "bench-cluster_ops: the controller exited; see %s\n", log);
            b->controller = 0;
            return -1;
        }
        if (!ready)
            sl_clock_sleep_ms(50);
    }
    if (!ready) {
        fprintf(stderr, "bench-cluster_ops: the controller is not ready after 60 s; see %s\n", log);
        return -1;
    }
    if (b->o.bootstrap) {
        snprintf(b->bootstrap, sizeof(b->bootstrap), "%s", b->o.bootstrap);
    } else {
        FILE *f = fopen(out, "r");
        if (!f || !fgets(b->bootstrap, sizeof(b->bootstrap), f)) {
            if (f)
                fclose(f);
            return -1;
        }
        fclose(f);
        b->bootstrap[strcspn(b->bootstrap, "\r\n")] = '\0';
    }
    if (bench_read_token(admin, b->admin_token, sizeof(b->admin_token)) != 0 ||
        bench_read_token(wtok, b->worker_token, sizeof(b->worker_token)) != 0)
        return -1;
    return 0;
}

static int setup(bench *b)
{
    char self[3900];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    snprintf(b->bin_dir, sizeof(b->bin_dir), "%s", self);
    snprintf(b->dir, sizeof(b->dir), "/tmp/bench-cluster-%d", (int)getpid());
    mkdir(b->dir, 0700);
    b->port = sl_test_free_port(); /* seeds rand() too */
    snprintf(b->url, sizeof(b->url), "http://127.0.0.1:%d", b->port);
    if (start_controller(b) != 0)
        return -1;
    int64_t ready_at = sl_clock_mono_ms();
    for (int i = 0; i < b->o.workers; i++)
        if (start_worker(b) != 0)
            return -1;
    int joined = 0;
    for (int64_t deadline = sl_clock_mono_ms() + 30000; sl_clock_mono_ms() < deadline;
         sl_clock_sleep_ms(100))
        if (tasks_on_workers(b, &joined) >= 0 && joined == b->o.workers)
            break;
    if (joined != b->o.workers) {
        fprintf(stderr, "bench-cluster_ops: %d of %d workers joined\n", joined, b->o.workers);
        return -1;
    }
    /* a tenant with room for every pipeline of the run */
    char body[160], path[96];
    bench_reply r;
    snprintf(b->tenant, sizeof(b->tenant), "bench%d", (int)getpid());
    snprintf(body, sizeof(body), "{\"name\": \"%s\", \"max_pipelines\": 50, \"max_tasks\": 1000}",
             b->tenant);
    long st = bench_rest(b->url, "POST", "/v1/tenants", b->admin_token, body, &r, NULL);
    bench_reply_free(&r);
    snprintf(path, sizeof(path), "/v1/tenants/%s/tokens", b->tenant);
    long st2 = bench_rest(b->url, "POST", path, b->admin_token, "{}", &r, NULL);
    snprintf(b->token, sizeof(b->token), "%s",
             sl_test_json_str(yyjson_doc_get_root(r.doc), "token"));
    bench_reply_free(&r);
    if (st != 201 || st2 != 201 || !b->token[0]) {
        fprintf(stderr, "bench-cluster_ops: tenant: %ld / token: %ld\n", st, st2);
        return -1;
    }
    /* after a start the controller assigns nothing for one lease */
    int64_t hold = ready_at + b->o.lease_ms + 200 - sl_clock_mono_ms();
    if (hold > 0)
        sl_clock_sleep_ms((int)hold);
    printf("cluster_ops: controller %s (%s broker %s), %d workers, lease %d ms, heartbeat "
           "%d ms\n",
           b->url, b->o.bootstrap ? "external" : "embedded", b->bootstrap, b->o.workers,
           b->o.lease_ms, b->o.heartbeat_ms);
    return 0;
}

static void teardown(bench *b)
{
    for (int i = 0; i < b->nw; i++)
        if (b->w[i].pid > 0)
            bench_stop(b->w[i].pid, SIGTERM, 30000);
    bench_stop(b->controller, SIGTERM, 30000);
    if (!b->o.keep && b->dir[0]) {
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench-cluster_ops: could not remove %s\n", b->dir);
    } else {
        printf("cluster_ops: logs kept in %s\n", b->dir);
    }
}

static int create_topic(const bench *b, const char *topic, int partitions)
{
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(b->bootstrap, &b->o.props, 15000, &err);
    int rc = a ? sl_topic_admin_create_topic(a, topic, partitions, NULL, 0, 30000, &err) : -1;
    if (rc != SL_OK)
        fprintf(stderr, "bench-cluster_ops: topic %s: %s\n", topic, err.msg);
    sl_topic_admin_destroy(a);
    return rc;
}

/* ---- (a) apply → running --------------------------------------------------------- */

static int bench_apply(bench *b, double *median_ms)
{
    char topic[96], spec[512], name[32];
    double ms[64];
    int runs = b->o.runs < 64 ? b->o.runs : 64;
    snprintf(topic, sizeof(topic), "%s.apply-in", b->tenant);
    if (create_topic(b, topic, b->o.partitions) != SL_OK)
        return -1;
    snprintf(spec, sizeof(spec),
             "{\"input\": {\"topic\": \"apply-in\", \"value_format\": \"json\"},\n"
             " \"steps\": [{\"op\": \"assign\", \"columns\": {\"x\": \"1\"}},\n"
             "            {\"op\": \"to_topic\", \"topic\": \"apply-out\"}]}");
    for (int r = 0; r < runs; r++) {
        int joined, throttled = 0, polls = 0;
        long long base = tasks_on_workers(b, &joined);
        snprintf(name, sizeof(name), "apply-%d", r + 1);
        pipeline_view v;
        /* a user's PUT is not in step with the workers' heartbeats: start
         * at a random point of the interval */
        sl_clock_sleep_ms(rand() % b->o.heartbeat_ms);
        int64_t t0 = sl_clock_mono_ms();
        if (put_pipeline(b, name, spec) != 0)
            return -1;
        int64_t t1 = 0;
        while (!t1) {
            polls++;
            if (pipeline_get(b, name, &v, &throttled) == 200 && strcmp(v.state, "running") == 0 &&
                all_running(&v, b->o.partitions, NULL))
                t1 = sl_clock_mono_ms();
            else if (sl_clock_mono_ms() - t0 > 60000) {
                fprintf(stderr, "bench-cluster_ops: %s not running after 60 s (state %s)\n", name,
                        v.state);
                return -1;
            } else
                sl_clock_sleep_ms(20);
        }
        ms[r] = (double)(t1 - t0);
        printf("cluster_ops: apply run %d: put_to_running_ms=%.0f polls=%d throttled=%d\n", r + 1,
               ms[r], polls, throttled);
        /* delete, and let the workers stop its tasks before the next run */
        delete_pipeline(b, name);
        for (int64_t deadline = sl_clock_mono_ms() + 30000; sl_clock_mono_ms() < deadline;
             sl_clock_sleep_ms(100))
            if (tasks_on_workers(b, &joined) <= base)
                break;
    }
    *median_ms = bench_median(ms, runs);
    printf("cluster_ops: (a) apply -> all %d tasks running: median %.0f ms over %d runs "
           "(target < 2000 ms: %s)\n",
           b->o.partitions, *median_ms, runs, *median_ms < 2000 ? "met" : "NOT met");
    return 0;
}

/* ---- (c) recovery after kill -9 ------------------------------------------------------ */

/* Produces --keys messages with distinct keys (partition by index). */
static int fill_keys(const bench *b, const char *topic)
{
    sl_error err;
    sl_kafka_props props = {0};
    for (size_t i = 0; i < b->o.props.count; i++)
        sl_kafka_props_add(&props, b->o.props.keys[i], b->o.props.values[i], &err);
    sl_kafka_props_add(&props, "linger.ms", "20", &err);
    sl_kafka_props_add(&props, "batch.num.messages", "10000", &err);
    sl_kafka_props_add(&props, "queue.buffering.max.kbytes", "1048576", &err);
    sl_producer *p = sl_producer_create(b->bootstrap, &props, &err);
    sl_kafka_props_clear(&props);
    if (!p)
        return -1;
    for (long long i = 0; i < b->o.keys; i++) {
        char key[32], val[32];
        int kl = snprintf(key, sizeof(key), "key-%08lld", i);
        int vl = snprintf(val, sizeof(val), "{\"v\": %lld}", i % 100);
        while (sl_producer_send(p, topic, (int32_t)(i % b->o.partitions), key, (size_t)kl, val,
                                (size_t)vl, 0, NULL, 0, &err) != SL_OK)
            sl_producer_poll(p); /* queue full: serve delivery reports */
    }
    int rc = sl_producer_flush(p, 120000, &err);
    sl_producer_destroy(p);
    return rc;
}

/* The sum over the worker's /metrics lines of family for partitions moved
 * (moved[p] != 0) of pipeline (label value ending in pipeline_suffix);
 * *max_value gets the largest single value. */
static double scrape(int port, const char *family, const char *pipeline_suffix, const int *moved,
                     double *max_value)
{
    char base[64];
    bench_reply r;
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    /* one attempt (a worker's /metrics is not rate-limited), 10 s timeout */
    sl_rest_call(base, "GET", "/metrics", NULL, NULL, &r, 1, 0, 10, NULL);
    double sum = 0;
    size_t flen = strlen(family);
    for (char *line = r.body; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, family, flen) == 0 && line[flen] == '{') {
            const char *pl = strstr(line, "pipeline=\"");
            const char *pp = strstr(line, "partition=\"");
            const char *end = pl ? strchr(pl + 10, '"') : NULL;
            const char *val = strrchr(line, ' ');
            size_t sl = strlen(pipeline_suffix);
            if (pl && pp && end && val && (size_t)(end - (pl + 10)) >= sl &&
                strncmp(end - sl, pipeline_suffix, sl) == 0) {
                int part = atoi(pp + 11);
                double x = atof(val + 1);
                if (part >= 0 && part < MAX_TASKS && moved[part]) {
                    sum += x;
                    if (x > *max_value)
                        *max_value = x;
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    bench_reply_free(&r);
    return sum;
}

typedef struct recovery_result {
    double recovery_ms, reassigned_ms, restored_keys;
    double restore_s;     /* the longest restore of a moved task */
    double restore_s_sum; /* all moved tasks' restore seconds */
    double keys_per_s;    /* restored_keys / restore_s: the tasks restore in parallel */
    int moved;
} recovery_result;

/* Waits until every task of name runs and all input (keys) is committed. */
static int wait_committed(bench *b, const char *name, int64_t timeout_ms)
{
    pipeline_view v;
    for (int64_t deadline = sl_clock_mono_ms() + timeout_ms; sl_clock_mono_ms() < deadline;
         sl_clock_sleep_ms(200)) {
        if (pipeline_get(b, name, &v, NULL) != 200 || !all_running(&v, b->o.partitions, NULL))
            continue;
        long long committed = 0;
        for (int i = 0; i < v.ntasks; i++)
            committed += v.t[i].committed > 0 ? v.t[i].committed : 0;
        if (committed >= b->o.keys)
            return 0;
    }
    fprintf(stderr, "bench-cluster_ops: %s: input not all committed in time\n", name);
    return -1;
}

static int recovery_run(bench *b, const char *name, int run, recovery_result *res)
{
    pipeline_view v;
    memset(res, 0, sizeof(*res));
    if (wait_committed(b, name, 600000) != 0)
        return -1;
    /* the victim: the worker holding the most tasks */
    if (pipeline_get(b, name, &v, NULL) != 200)
        return -1;
    int victim = -1, most = 0, moved[MAX_TASKS] = {0};
    for (int i = 0; i < b->nw; i++) {
        int held = 0;
        for (int t = 0; t < v.ntasks; t++)
            held += strcmp(v.t[t].worker, b->w[i].id) == 0;
        if (b->w[i].pid > 0 && held > most) {
            most = held;
            victim = i;
        }
    }
    if (victim < 0)
        return -1;
    for (int t = 0; t < v.ntasks; t++)
        if (strcmp(v.t[t].worker, b->w[victim].id) == 0 && v.t[t].partition < MAX_TASKS)
            moved[v.t[t].partition] = 1;
    char victim_id[32];
    snprintf(victim_id, sizeof(victim_id), "%s", b->w[victim].id);
    int64_t t0 = sl_clock_mono_ms();
    kill(b->w[victim].pid, SIGKILL);
    waitpid(b->w[victim].pid, NULL, 0);
    b->w[victim].pid = 0;
    int64_t reassigned = 0, running = 0;
    while (!running) {
        int ok = pipeline_get(b, name, &v, NULL) == 200 && v.ntasks == b->o.partitions;
        int away = ok;
        for (int t = 0; ok && t < v.ntasks; t++)
            away &= v.t[t].worker[0] && strcmp(v.t[t].worker, victim_id) != 0;
        if (away && !reassigned)
            reassigned = sl_clock_mono_ms();
        if (ok && all_running(&v, b->o.partitions, victim_id))
            running = sl_clock_mono_ms();
        else if (sl_clock_mono_ms() - t0 > 600000) {
            fprintf(stderr, "bench-cluster_ops: tasks not running again after 600 s\n");
            return -1;
        } else
            sl_clock_sleep_ms(20);
    }
    res->moved = most;
    res->recovery_ms = (double)(running - t0);
    res->reassigned_ms = (double)((reassigned ? reassigned : running) - t0);
    /* restore figures of the moved tasks from their new owners */
    char suffix[64];
    snprintf(suffix, sizeof(suffix), "%s", name);
    for (int i = 0; i < b->nw; i++) {
        if (b->w[i].pid <= 0)
            continue;
        double mx = 0;
        res->restored_keys +=
            scrape(b->w[i].metrics_port, "sluice_task_state_restored_total", suffix, moved, &mx);
        res->restore_s_sum += scrape(b->w[i].metrics_port, "sluice_task_state_restore_seconds",
                                     suffix, moved, &res->restore_s);
    }
    /* tasks restore in parallel: the rate is all keys over the longest restore */
    res->keys_per_s = res->restore_s > 0 ? res->restored_keys / res->restore_s : 0;
    double target = b->o.lease_ms + 5000 + res->restored_keys / 300.0;
    printf("cluster_ops: recovery run %d: killed %s holding %d of %d tasks; reassigned_ms=%.0f "
           "all_running_ms=%.0f restored_keys=%.0f restore_s=%.2f keys_per_s=%.0f "
           "per_task_keys_per_s=%.0f (target < %.0f ms)\n",
           run, victim_id, res->moved, b->o.partitions, res->reassigned_ms, res->recovery_ms,
           res->restored_keys, res->restore_s, res->keys_per_s,
           res->restore_s_sum > 0 ? res->restored_keys / res->restore_s_sum : 0, target);
    return 0;
}

static int bench_recovery(bench *b)
{
    char topic[96], spec[512];
    const char *name = "kstate";
    recovery_result res[32];
    int runs = b->o.recovery_runs < 32 ? b->o.recovery_runs : 32;
    snprintf(topic, sizeof(topic), "%s.keys-in", b->tenant);
    if (create_topic(b, topic, b->o.partitions) != SL_OK)
        return -1;
    int64_t t0 = sl_clock_mono_ms();
    if (fill_keys(b, topic) != SL_OK) {
        fprintf(stderr, "bench-cluster_ops: producing %lld keys failed\n", b->o.keys);
        return -1;
    }
    printf("cluster_ops: %lld keys produced in %.1f s\n", b->o.keys,
           (double)(sl_clock_mono_ms() - t0) / 1000.0);
    /* one state entry per key; nothing passes the filter, so no output load */
    snprintf(spec, sizeof(spec),
             "{\"input\": {\"topic\": \"keys-in\", \"value_format\": \"json\"},\n"
             " \"steps\": [{\"op\": \"aggregate\", \"aggregate\": {\"n\": \"count()\"}},\n"
             "            {\"op\": \"filter\", \"where\": \"n > 1000000000\"},\n"
             "            {\"op\": \"to_topic\", \"topic\": \"kstate-out\"}]}");
    if (put_pipeline(b, name, spec) != 0)
        return -1;
    t0 = sl_clock_mono_ms();
    if (wait_committed(b, name, 600000) != 0)
        return -1;
    printf("cluster_ops: %lld keys in state after %.1f s\n", b->o.keys,
           (double)(sl_clock_mono_ms() - t0) / 1000.0);
    for (int r = 0; r < runs; r++) {
        if (r > 0) {
            /* replace the killed worker; wait until it has its share */
            if (start_worker(b) != 0)
                return -1;
            const char *id = b->w[b->nw - 1].id;
            pipeline_view v;
            int has = 0;
            for (int64_t deadline = sl_clock_mono_ms() + 120000;
                 !has && sl_clock_mono_ms() < deadline; sl_clock_sleep_ms(200)) {
                if (pipeline_get(b, name, &v, NULL) != 200 ||
                    !all_running(&v, b->o.partitions, NULL))
                    continue;
                for (int t = 0; t < v.ntasks; t++)
                    has |= strcmp(v.t[t].worker, id) == 0;
            }
            if (!has)
                fprintf(stderr, "bench-cluster_ops: new worker %s got no task\n", id);
        }
        if (recovery_run(b, name, r + 1, &res[r]) != 0)
            return -1;
    }
    double rec[32], reas[32], keys[32], rate[32], moved[32];
    for (int r = 0; r < runs; r++) {
        rec[r] = res[r].recovery_ms;
        reas[r] = res[r].reassigned_ms;
        keys[r] = res[r].restored_keys;
        rate[r] = res[r].keys_per_s;
        moved[r] = res[r].moved;
    }
    double mk = bench_median(keys, runs), mr = bench_median(rec, runs);
    double mrate = bench_median(rate, runs);
    double target = b->o.lease_ms + 5000 + mk / 300.0;
    printf("cluster_ops: (c) kill -9 -> all tasks running elsewhere: median %.0f ms over %d "
           "runs (reassigned after a median %.0f ms), tasks moved median %.0f of %d, restored "
           "keys median %.0f at median %.0f keys/s (target < lease %d ms + 5 s + keys/300k = "
           "%.0f ms: %s; restore >= 300000 keys/s: %s)\n",
           mr, runs, bench_median(reas, runs), bench_median(moved, runs), b->o.partitions, mk,
           mrate, b->o.lease_ms, target, mr < target ? "met" : "NOT met",
           mrate >= 300000 ? "met" : "NOT met");
    delete_pipeline(b, name);
    return 0;
}

/* ---- (b) heartbeats per second ---------------------------------------------------------- */

typedef struct hb_thread {
    const bench *b;
    int first, count;
    int64_t until_ms;
    uint64_t ok, failed;
    double *lat_us;
    size_t nlat, cap;
} hb_thread;

static size_t on_proto(char *p, size_t size, size_t n, void *ud)
{
    return sl_buf_append(ud, p, size * n) == SL_OK ? size * n : 0;
}

static void *hb_run(void *ud)
{
    hb_thread *t = ud;
    const bench *b = t->b;
    int ntasks = b->o.hb_tasks;
    char url[128], auth[320];
    snprintf(url, sizeof(url), "%s/v1/cluster/heartbeat", b->url);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", b->worker_token);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/x-protobuf");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_proto);
    /* the simulated workers' tasks: real-looking statuses */
    Sluice__TaskStatus *st = calloc((size_t)ntasks, sizeof(*st));
    Sluice__TaskStatus **stp = calloc((size_t)ntasks, sizeof(*stp));
    Sluice__TaskId *ids = calloc((size_t)ntasks, sizeof(*ids));
    uint64_t *gen = calloc((size_t)t->count, sizeof(*gen));
    char(*pipes)[32] = calloc((size_t)t->count, sizeof(*pipes));
    uint8_t *buf = malloc(65536);
    sl_buf resp = {0};
    for (int w = 0; w < t->count; w++)
        snprintf(pipes[w], sizeof(pipes[w]), "sim-%03d", t->first + w);
    for (uint64_t iter = 0; sl_clock_mono_ms() < t->until_ms; iter++) {
        int w = (int)(iter % (uint64_t)t->count);
        char wid[32];
        snprintf(wid, sizeof(wid), "sim-%03d", t->first + w);
        for (int k = 0; k < ntasks; k++) {
            sluice__task_id__init(&ids[k]);
            ids[k].tenant = "bench-sim";
            ids[k].pipeline = pipes[w];
            ids[k].partition = (uint32_t)k;
            sluice__task_status__init(&st[k]);
            st[k].id = &ids[k];
            st[k].pipeline_version = 1;
            st[k].state = SLUICE__TASK_STATE__TASK_STATE_RUNNING;
            st[k].committed_offset = (int64_t)(iter * 100);
            st[k].lag = 3;
            st[k].messages_in = iter * 100 + 3;
            st[k].messages_out = iter * 10;
            st[k].last_error = "";
            stp[k] = &st[k];
        }
        Sluice__Heartbeat hb = SLUICE__HEARTBEAT__INIT;
        hb.worker_id = wid;
        hb.capacity = (uint32_t)ntasks;
        hb.generation_seen = gen[w];
        hb.n_tasks = (size_t)ntasks;
        hb.tasks = stp;
        size_t len = sluice__heartbeat__get_packed_size(&hb);
        if (len > 65536)
            break;
        sluice__heartbeat__pack(&hb, buf);
        sl_buf_reset(&resp);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, buf);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
        int64_t a = sl_clock_mono_ns();
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        int64_t z = sl_clock_mono_ns();
        Sluice__Assignment *asg =
            status == 200 ? sluice__assignment__unpack(NULL, resp.len, (const uint8_t *)resp.data)
                          : NULL;
        if (asg) {
            gen[w] = asg->generation;
            sluice__assignment__free_unpacked(asg, NULL);
            t->ok++;
            if (t->nlat == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 4096;
                t->lat_us = realloc(t->lat_us, t->cap * sizeof(*t->lat_us));
            }
            t->lat_us[t->nlat++] = (double)(z - a) / 1e3;
        } else {
            t->failed++;
        }
    }
    sl_buf_free(&resp);
    free(buf);
    free(pipes);
    free(gen);
    free(ids);
    free(stp);
    free(st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static int bench_heartbeats(bench *b)
{
    int nthreads = b->o.hb_threads < 16 ? b->o.hb_threads : 16;
    hb_thread th[16];
    pthread_t tid[16];
    int per = b->o.hb_workers / nthreads, extra = b->o.hb_workers % nthreads, first = 0;
    int64_t start = sl_clock_mono_ms();
    for (int i = 0; i < nthreads; i++) {
        memset(&th[i], 0, sizeof(th[i]));
        th[i].b = b;
        th[i].first = first;
        th[i].count = per + (i < extra);
        first += th[i].count;
        th[i].until_ms = start + (int64_t)b->o.hb_seconds * 1000;
        pthread_create(&tid[i], NULL, hb_run, &th[i]);
    }
    uint64_t ok = 0, failed = 0;
    size_t nlat = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tid[i], NULL);
        ok += th[i].ok;
        failed += th[i].failed;
        nlat += th[i].nlat;
    }
    double secs = (double)(sl_clock_mono_ms() - start) / 1000.0;
    double *lat = malloc((nlat ? nlat : 1) * sizeof(*lat));
    size_t k = 0;
    for (int i = 0; i < nthreads; i++) {
        if (th[i].nlat)
            memcpy(lat + k, th[i].lat_us, th[i].nlat * sizeof(*lat));
        k += th[i].nlat;
        free(th[i].lat_us);
    }
    qsort(lat, nlat, sizeof(*lat), bench_cmp_double);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)((double)nlat * 0.99)] : 0;
    free(lat);
    double rate = (double)ok / secs;
    printf("cluster_ops: (b) heartbeats: %d simulated workers x %d tasks over %d keep-alive "
           "connections for %.1f s: %" PRIu64 " answered (%" PRIu64 " failed), %.0f "
           "heartbeats/s, latency p50 %.0f us p99 %.0f us (target >= 2000/s: %s)\n",
           b->o.hb_workers, b->o.hb_tasks, nthreads, secs, ok, failed, rate, p50, p99,
           rate >= 2000 ? "met" : "NOT met");
    return ok > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static bench b;
    b.o.workers = 3;
    b.o.partitions = 4;
    b.o.runs = 5;
    b.o.keys = 100000;
    b.o.recovery_runs = 3;
    b.o.lease_ms = 10000;
    b.o.heartbeat_ms = 1000;
    b.o.hb_workers = 50;
    b.o.hb_tasks = 20;
    b.o.hb_seconds = 5;
    b.o.hb_threads = 2;
    const bench_arg args[] = {
        {"--bootstrap", BENCH_ARG_STR, &b.o.bootstrap},
        {"--workers", BENCH_ARG_INT, &b.o.workers},
        {"--partitions", BENCH_ARG_INT, &b.o.partitions},
        {"--runs", BENCH_ARG_INT, &b.o.runs},
        {"--keys", BENCH_ARG_LL, &b.o.keys},
        {"--recovery-runs", BENCH_ARG_INT, &b.o.recovery_runs},
        {"--lease-ms", BENCH_ARG_INT, &b.o.lease_ms},
        {"--heartbeat-interval-ms", BENCH_ARG_INT, &b.o.heartbeat_ms},
        {"--hb-workers", BENCH_ARG_INT, &b.o.hb_workers},
        {"--hb-tasks", BENCH_ARG_INT, &b.o.hb_tasks},
        {"--hb-seconds", BENCH_ARG_INT, &b.o.hb_seconds},
        {"--hb-threads", BENCH_ARG_INT, &b.o.hb_threads},
        {"--keep", BENCH_ARG_INT, &b.o.keep},
    };
    if (bench_args_parse("bench-cluster_ops", usage, argc, argv, args,
                         sizeof(args) / sizeof(args[0]), &b.o.props) != 0)
        return 2;
    if (b.o.workers < 2 || b.o.workers > MAX_WORKERS - 8 || b.o.partitions < 1 ||
        b.o.partitions > MAX_TASKS || b.o.runs < 1 || b.o.keys < 1 || b.o.recovery_runs < 1 ||
        b.o.lease_ms < 1000 || b.o.heartbeat_ms < 50 || b.o.heartbeat_ms * 3 > b.o.lease_ms ||
        b.o.hb_workers < 1 || b.o.hb_tasks < 1 || b.o.hb_tasks > 1000 || b.o.hb_seconds < 1 ||
        b.o.hb_threads < 1) {
        fputs(usage, stderr);
        return 2;
    }
    if (b.o.props.count > MAX_XARGS) {
        fprintf(stderr, "bench-cluster_ops: at most %d -X properties\n", MAX_XARGS);
        return 2;
    }
    for (size_t i = 0; i < b.o.props.count; i++)
        snprintf(b.xargs[b.nxargs++], sizeof(b.xargs[0]), "%s=%s", b.o.props.keys[i],
                 b.o.props.values[i]);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = 1;
    double apply_ms = 0;
    if (setup(&b) != 0) {
        fprintf(stderr, "bench-cluster_ops: the cluster did not start; logs in %s\n", b.dir);
        b.o.keep = 1;
        goto out;
    }
    if (bench_apply(&b, &apply_ms) != 0 || bench_recovery(&b) != 0 || bench_heartbeats(&b) != 0) {
        b.o.keep = 1;
        goto out;
    }
    rc = 0;
out:
    teardown(&b);
    sl_kafka_props_clear(&b.o.props);
    curl_global_cleanup();
    return rc;
}

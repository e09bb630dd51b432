/* sl_cluster_worker — the cluster-mode loop (see sl_cluster_worker.h and
 * docs/worker.md, "Cluster mode").
 *
 * Each turn of the loop: heartbeat when the interval has passed (statuses of
 * every task held, the generation applied), apply a fresh answer, check the
 * lease, move the task set one step towards what must run, purge state that
 * the controller deleted, and sleep at most 50 ms. Nothing in a turn blocks
 * longer than one heartbeat's timeout: the task set does its blocking work
 * on supervisor threads.
 *
 * LEASE. The controller counts a worker alive for lease_ms after the last
 * heartbeat it RECEIVED, and only then gives its tasks to another worker.
 * The worker measures from the moment its last successful heartbeat was SENT,
 * which is no later than when the controller received it; so "now - sent <
 * lease_ms" on the worker implies "now - received < lease_ms" on the
 * controller, whatever the network delay. The worker stops its tasks once
 * now - sent >= lease_ms - margin: the margin (max(lease/4, 1.5 s), at most
 * half the lease) is the time the tasks get to finish their batch and
 * checkpoint before the controller may hand them out, and it absorbs clock
 * rate differences between the two hosts (both use monotonic clocks). */
#include "runtime/sl_cluster_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sl_heartbeat_client.h"
#include "runtime/sl_state_purge.h"
#include "runtime/sl_task_set.h"
#include "runtime/sl_worker_metrics.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"
#include "util/sl_signal.h"

#define LOG_CTX "worker"
#define DEFAULT_LEASE_MS 10000
#define MAX_HTTP_TIMEOUT_MS 2000
#define MIN_INTERVAL_MS 50
#define TICK_MS 50
#define MAX_TOKEN_BYTES 4096
#define MAX_ID_LEN 63

typedef struct worker_series {
    sl_counter *hb_ok, *hb_failed;
    sl_gauge *lease_ok, *generation;
    sl_gauge *tasks[4]; /* restoring, running, stopping, failed */
} worker_series;

struct sl_cluster_worker {
    sl_worker_config cfg; /* a copy the runners borrow; bootstrap may come from the controller */
    char id[MAX_ID_LEN + 1];
    char *bootstrap_owned;
    char controller_shown[256]; /* the URL for logs, without credentials */
    sl_heartbeat_client *client;
    sl_task_set *tasks;
    sl_metrics *registry;
    sl_worker_metrics *http;
    worker_series m;
    atomic_int stop;

    /* the loop's */
    sl_assignment *current; /* last applied answer (set by apply, never cleared) */
    int64_t lease_ms;       /* 0: none yet */
    int interval_ms;
    int64_t last_ok_sent_ms;
    int have_lease, lease_lost;
    char fail_kind[64]; /* the failure last logged ("" after a success) */
    uint64_t fails_in_row;
    int warned_no_bootstrap, warned_bootstrap_change;
    char **purged; /* purge names already done, while the controller lists them */
    size_t npurged;

    /* read by other threads (status, /healthz) */
    pthread_mutex_t status_lock;
    sl_cluster_status status;
    char unreachable[SL_ERROR_MSG_MAX]; /* why the last heartbeat failed */
};

int64_t sl_cluster_lease_safety_ms(int64_t lease_ms)
{
    int64_t m = lease_ms / 4;
    if (m < 1500)
        m = 1500;
    if (m > lease_ms / 2)
        m = lease_ms / 2;
    return m;
}

static int stopping(sl_cluster_worker *w)
{
    return atomic_load(&w->stop) || sl_signal_stop_requested();
}

/* The generation of the last applied answer; 0 before the first. */
static uint64_t applied_gen(const sl_cluster_worker *w)
{
    return w->current ? w->current->generation : 0;
}

/* When the lease rule stops the tasks: the last successful heartbeat's
 * sending time plus the lease, less the safety margin. */
static int64_t lease_deadline(const sl_cluster_worker *w)
{
    return w->last_ok_sent_ms + w->lease_ms - sl_cluster_lease_safety_ms(w->lease_ms);
}

/* ---- setup ---------------------------------------------------------------- */

/* Reads the token file (whitespace around the token trimmed) into buf. The
 * token never appears in a message. */
static int read_token(const char *path, char *buf, size_t size, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_error_set(err, SL_ERR_IO, "cannot read the token file %s: %s", path,
                            strerror(errno));
    size_t n = fread(buf, 1, size - 1, f);
    int too_long = n == size - 1 && fgetc(f) != EOF;
    fclose(f);
    buf[n] = '\0';
    if (too_long)
        return sl_error_set(err, SL_ERR_INVALID, "the token file %s is larger than %zu bytes", path,
                            size - 1);
    size_t a = 0;
    while (a < n && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r' || buf[a] == '\n'))
        a++;
    while (n > a &&
           (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r' || buf[n - 1] == '\n'))
        n--;
    memmove(buf, buf + a, n - a);
    buf[n - a] = '\0';
    if (!buf[0])
        return sl_error_set(err, SL_ERR_INVALID, "the token file %s is empty", path);
    return SL_OK;
}

static int series_create(sl_cluster_worker *w, sl_error *err)
{
    sl_metrics *r = w->registry;
    sl_label ok[] = {{"result", "ok"}}, failed[] = {{"result", "failed"}};
    static const char *const states[] = {"restoring", "running", "stopping", "failed"};
    w->m.hb_ok =
        sl_metrics_counter_create(r, "sluice_worker_heartbeats_total",
                                  "Heartbeats sent to the controller, by result", ok, 1, err);
    w->m.hb_failed =
        sl_metrics_counter_create(r, "sluice_worker_heartbeats_total",
                                  "Heartbeats sent to the controller, by result", failed, 1, err);
    w->m.lease_ok = sl_metrics_gauge_create(r, "sluice_worker_lease_ok",
                                            "1 while the worker holds its lease", NULL, 0, err);
    w->m.generation =
        sl_metrics_gauge_create(r, "sluice_worker_assignment_generation",
                                "Generation of the last applied assignment", NULL, 0, err);
    for (int i = 0; i < 4; i++) {
        sl_label l[] = {{"state", states[i]}};
        w->m.tasks[i] = sl_metrics_gauge_create(
            r, "sluice_worker_tasks", "Tasks held by the worker, by reported state", l, 1, err);
        if (!w->m.tasks[i])
            return SL_ERR_INVALID;
    }
    return w->m.hb_ok && w->m.hb_failed && w->m.lease_ok && w->m.generation ? SL_OK
                                                                            : SL_ERR_INVALID;
}

static int health_cb(void *ud, sl_buf *reason)
{
    return sl_cluster_worker_health(ud, reason);
}

sl_cluster_worker *sl_cluster_worker_create(const sl_worker_config *cfg, sl_error *err)
{
    char token[MAX_TOKEN_BYTES + 1];
    sl_cluster_worker *w = calloc(1, sizeof(*w));
    if (!w) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&w->status_lock, NULL);
    w->cfg = *cfg;
    if (!cfg->controller || !cfg->token_file) {
        sl_error_set(err, SL_ERR_INVALID, "cluster mode needs --controller and --token-file");
        goto fail;
    }
    if (!cfg->id || !*cfg->id || strlen(cfg->id) > MAX_ID_LEN) {
        sl_error_set(err, SL_ERR_INVALID,
                     "the worker id must have 1 to %d characters (--id; default: the hostname)",
                     MAX_ID_LEN);
        goto fail;
    }
    snprintf(w->id, sizeof(w->id), "%s", cfg->id);
    w->cfg.id = w->id;
    snprintf(w->controller_shown, sizeof(w->controller_shown), "%s",
             strchr(cfg->controller, '@') ? "(URL with credentials)" : cfg->controller);
    w->interval_ms = cfg->heartbeat_interval_ms > 0 ? cfg->heartbeat_interval_ms : 1000;
    if (read_token(cfg->token_file, token, sizeof(token), err) != SL_OK)
        goto fail;
    w->client = sl_heartbeat_client_create(cfg->controller, token, err);
    memset(token, 0, sizeof(token));
    if (!w->client)
        goto fail;
    if (cfg->metrics_port > 0 &&
        (!(w->registry = sl_metrics_create(err)) || series_create(w, err) != SL_OK))
        goto fail;
    if (!(w->tasks = sl_task_set_create(&w->cfg, w->registry, err)))
        goto fail;
    if (cfg->metrics_port > 0 &&
        !(w->http = sl_worker_metrics_start_fn(cfg->metrics_address, cfg->metrics_port, w->registry,
                                               health_cb, w, err)))
        goto fail;
    w->status.interval_ms = w->interval_ms;
    snprintf(w->unreachable, sizeof(w->unreachable), "no heartbeat answered yet");
    return w;
fail:
    sl_cluster_worker_destroy(w);
    return NULL;
}

void sl_cluster_worker_destroy(sl_cluster_worker *w)
{
    if (!w)
        return;
    sl_worker_metrics_stop(w->http); /* first: its health check reads the set */
    sl_task_set_destroy(w->tasks);
    sl_heartbeat_client_destroy(w->client);
    sl_assignment_free(w->current);
    for (size_t i = 0; i < w->npurged; i++)
        free(w->purged[i]);
    free(w->purged);
    sl_metrics_destroy(w->registry);
    free(w->bootstrap_owned);
    pthread_mutex_destroy(&w->status_lock);
    free(w);
}

void sl_cluster_worker_request_stop(sl_cluster_worker *w)
{
    atomic_store(&w->stop, 1);
}

void sl_cluster_worker_status(sl_cluster_worker *w, sl_cluster_status *out)
{
    pthread_mutex_lock(&w->status_lock);
    *out = w->status;
    pthread_mutex_unlock(&w->status_lock);
}

int sl_cluster_worker_health(sl_cluster_worker *w, sl_buf *reason)
{
    sl_cluster_status st;
    char why[sizeof(w->unreachable)];
    pthread_mutex_lock(&w->status_lock);
    st = w->status;
    memcpy(why, w->unreachable, sizeof(why));
    pthread_mutex_unlock(&w->status_lock);
    int bad = 0;
    if (!st.controller_ok) {
        sl_buf_printf(reason, "controller unreachable: %s", why);
        bad = 1;
    }
    if (!st.lease_ok && st.heartbeats_ok > 0) {
        sl_buf_printf(reason, "%slease lost: tasks stopped", bad ? "; " : "");
        bad = 1;
    }
    sl_buf tasks = SL_BUF_INIT;
    if (sl_task_set_health(w->tasks, &tasks)) {
        sl_buf_printf(reason, "%s%s", bad ? "; " : "", tasks.data ? tasks.data : "");
        bad = 1;
    }
    sl_buf_free(&tasks);
    return bad;
}

/* ---- applying answers --------------------------------------------------- */

/* The interval the controller asks for (or ours), kept well inside the
 * lease so that a single late answer never costs it. */
static int effective_interval(const sl_cluster_worker *w, uint32_t asked)
{
    int64_t iv = asked ? asked : (uint32_t)w->cfg.heartbeat_interval_ms;
    if (w->lease_ms > 0) {
        int64_t most = (w->lease_ms - sl_cluster_lease_safety_ms(w->lease_ms)) / 2;
        if (iv > most)
            iv = most;
    }
    return iv < MIN_INTERVAL_MS ? MIN_INTERVAL_MS : (int)iv;
}

static void adopt_bootstrap(sl_cluster_worker *w, const char *from_controller)
{
    if (!from_controller)
        return;
    if (!w->cfg.bootstrap) {
        /* Set once, before any runner exists: runners borrow w->cfg. */
        if (!(w->bootstrap_owned = strdup(from_controller)))
            return;
        w->cfg.bootstrap = w->bootstrap_owned;
        sl_log_info(LOG_CTX, "Kafka at %s (from the controller)", w->cfg.bootstrap);
    } else if (w->bootstrap_owned && strcmp(w->bootstrap_owned, from_controller) != 0 &&
               !w->warned_bootstrap_change) {
        w->warned_bootstrap_change = 1;
        sl_log_warn(LOG_CTX,
                    "the controller now names Kafka at %s; this worker keeps %s until it "
                    "restarts",
                    from_controller, w->cfg.bootstrap);
    }
}

/* Forgets purge names the controller no longer lists. */
static void prune_purged(sl_cluster_worker *w, const sl_assignment *a)
{
    size_t k = 0;
    for (size_t i = 0; i < w->npurged; i++) {
        int listed = 0;
        for (size_t j = 0; j < a->npurge && !listed; j++)
            listed = strcmp(w->purged[i], a->purge[j]) == 0;
        if (listed)
            w->purged[k++] = w->purged[i];
        else
            free(w->purged[i]);
    }
    w->npurged = k;
}

/* Makes a (taken) the assignment in force. */
static void apply(sl_cluster_worker *w, sl_assignment *a)
{
    if (!w->current || a->generation != w->current->generation)
        sl_log_info(LOG_CTX, "assignment generation %llu: %zu task(s)",
                    (unsigned long long)a->generation, a->ntasks);
    w->lease_ms = a->lease_ms ? a->lease_ms : DEFAULT_LEASE_MS;
    w->interval_ms = effective_interval(w, a->heartbeat_interval_ms);
    adopt_bootstrap(w, a->bootstrap_servers);
    prune_purged(w, a);
    sl_assignment_free(w->current);
    w->current = a;
}

/* ---- heartbeats ----------------------------------------------------------- */

/* Logs a failed heartbeat once per kind of failure. */
static void note_failure(sl_cluster_worker *w, int http_status, const sl_error *err)
{
    char kind[64];
    w->fails_in_row++;
    if (http_status)
        snprintf(kind, sizeof(kind), "HTTP %d", http_status);
    else
        snprintf(kind, sizeof(kind), "%s", err->code == SL_ERR_IO ? "unreachable" : "bad answer");
    if (strcmp(kind, w->fail_kind) != 0) {
        snprintf(w->fail_kind, sizeof(w->fail_kind), "%s", kind);
        int fatal_ish = http_status == 401 || http_status == 403 || http_status == 404;
        sl_log(fatal_ish ? SL_LOG_ERROR : SL_LOG_WARN, LOG_CTX,
               "heartbeat to %s failed: %s%s; retrying every %d ms (not logged again until "
               "this changes)",
               w->controller_shown, err->msg,
               http_status == 401 || http_status == 403 ? " (check --token-file)" : "",
               w->interval_ms);
    }
}

static void note_success(sl_cluster_worker *w)
{
    if (w->fail_kind[0])
        sl_log_info(LOG_CTX, "the controller answers again (after %llu failed heartbeat(s))",
                    (unsigned long long)w->fails_in_row);
    w->fail_kind[0] = '\0';
    w->fails_in_row = 0;
}

static void publish_task_gauges(sl_cluster_worker *w, const sl_task_status *st, size_t n)
{
    if (!w->registry)
        return;
    double counts[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        switch (st[i].state) {
        case SL_REPORT_RESTORING:
            counts[0]++;
            break;
        case SL_REPORT_RUNNING:
            counts[1]++;
            break;
        case SL_REPORT_STOPPING:
            counts[2]++;
            break;
        case SL_REPORT_FAILED:
            counts[3]++;
            break;
        }
    }
    for (int i = 0; i < 4; i++)
        sl_gauge_set(w->m.tasks[i], counts[i]);
}

/* One heartbeat: the statuses of every task held, then the answer applied
 * unless shutting_down. empty is the goodbye: no tasks and capacity 0 (this
 * worker takes nothing more). Returns when it was sent. */
static int64_t heartbeat(sl_cluster_worker *w, int empty, int shutting_down)
{
    sl_task_status *st = NULL;
    size_t n = 0;
    sl_assignment *a = NULL;
    int http_status = 0;
    sl_error err;
    sl_error_clear(&err);

    if (!empty && sl_task_set_statuses(w->tasks, &st, &n) != SL_OK)
        sl_log_error(LOG_CTX, "out of memory collecting task statuses");
    publish_task_gauges(w, st, n);
    sl_heartbeat hb = {.worker_id = w->id,
                       .capacity = empty ? 0 : (uint32_t)w->cfg.capacity,
                       .generation_seen = applied_gen(w),
                       .tasks = st,
                       .ntasks = n};
    int64_t sent = sl_clock_mono_ms();
    int timeout = MAX_HTTP_TIMEOUT_MS;
    if (w->lease_ms > 0 && w->lease_ms / 4 < timeout)
        timeout = (int)(w->lease_ms / 4);
    /* Never wait past the moment the lease rule must act: a heartbeat that
     * would be answered later is of no use to tasks that must stop first. */
    if (w->have_lease && !w->lease_lost && !shutting_down) {
        int64_t left = lease_deadline(w) - sent;
        if (left < timeout)
            timeout = left > 100 ? (int)left : 100;
    }
    int rc = sl_heartbeat_client_send(w->client, &hb, timeout, &a, &http_status, &err);
    if (!empty)
        sl_task_set_reported(w->tasks, rc == SL_OK);
    free(st);

    if (rc == SL_OK) {
        note_success(w);
        w->last_ok_sent_ms = sent;
        w->have_lease = 1;
        if (w->lease_lost && !shutting_down)
            sl_log_warn(LOG_CTX, "lease regained: applying the controller's assignment");
        w->lease_lost = 0;
        if (shutting_down)
            sl_assignment_free(a);
        else if (sl_assignment_should_apply(a->generation, applied_gen(w), w->current != NULL))
            apply(w, a);
        else {
            sl_log_debug(LOG_CTX, "ignoring an assignment of generation %llu (applied: %llu)",
                         (unsigned long long)a->generation, (unsigned long long)applied_gen(w));
            sl_assignment_free(a);
        }
    } else {
        note_failure(w, http_status, &err);
    }
    if (w->registry) {
        sl_counter_inc(rc == SL_OK ? w->m.hb_ok : w->m.hb_failed);
        sl_gauge_set(w->m.lease_ok, w->have_lease && !w->lease_lost);
        sl_gauge_set(w->m.generation, (double)applied_gen(w));
    }
    pthread_mutex_lock(&w->status_lock);
    w->status.controller_ok = rc == SL_OK;
    if (rc == SL_OK)
        w->status.heartbeats_ok++;
    else {
        w->status.heartbeats_failed++;
        memcpy(w->unreachable, err.msg, sizeof(w->unreachable));
        w->unreachable[sizeof(w->unreachable) - 1] = '\0';
    }
    pthread_mutex_unlock(&w->status_lock);
    return sent;
}

/* ---- the lease, tasks and purges ------------------------------------------ */

static void check_lease(sl_cluster_worker *w, int64_t now)
{
    if (!w->have_lease || w->lease_lost)
        return;
    if (now < lease_deadline(w))
        return;
    int64_t margin = sl_cluster_lease_safety_ms(w->lease_ms);
    int64_t silent = now - w->last_ok_sent_ms;
    w->lease_lost = 1;
    sl_log_error(LOG_CTX,
                 "LEASE LOST: no heartbeat answered for %lld ms (lease %lld ms, safety margin "
                 "%lld ms); stopping all %zu task(s) before the controller reassigns them",
                 (long long)silent, (long long)w->lease_ms, (long long)margin,
                 sl_task_set_count(w->tasks));
    if (w->registry)
        sl_gauge_set(w->m.lease_ok, 0);
}

static void reconcile(sl_cluster_worker *w, int64_t now, int shutting_down)
{
    const sl_task_assignment *d = NULL;
    size_t n = 0;
    int flags = 0;
    const char *why = NULL;
    if (shutting_down || w->lease_lost) {
        flags = SL_TASK_SET_NO_REPORT_WAIT;
        why = shutting_down ? "the worker shuts down" : "lease lost";
    } else if (w->current && w->cfg.bootstrap) {
        d = w->current->tasks;
        n = w->current->ntasks;
        w->warned_no_bootstrap = 0;
    } else if (w->current && w->current->ntasks && !w->warned_no_bootstrap) {
        w->warned_no_bootstrap = 1;
        sl_log_error(LOG_CTX, "tasks are assigned but no Kafka is known: give "
                              "--bootstrap-servers or configure the controller's");
    }
    sl_task_set_reconcile(w->tasks, d, n, w->cfg.capacity, flags, why, now);
}

static int assigned_here(const sl_assignment *a, const char *qualified)
{
    for (size_t i = 0; i < a->ntasks; i++)
        if (sl_task_id_in_pipeline(&a->tasks[i].id, qualified))
            return 1;
    return 0;
}

/* Deletes the local state of purged pipelines once none of their tasks is
 * held here; each listed name once. */
static void purge(sl_cluster_worker *w)
{
    const sl_assignment *a = w->current;
    if (!a || w->lease_lost)
        return;
    for (size_t i = 0; i < a->npurge; i++) {
        const char *name = a->purge[i];
        int done = 0;
        for (size_t j = 0; j < w->npurged && !done; j++)
            done = strcmp(w->purged[j], name) == 0;
        if (done || sl_task_set_has_pipeline(w->tasks, name) || assigned_here(a, name))
            continue;
        char **np = realloc(w->purged, (w->npurged + 1) * sizeof(*np));
        char *copy = strdup(name);
        if (!np || !copy) {
            free(copy);
            if (np)
                w->purged = np;
            return;
        }
        w->purged = np;
        w->purged[w->npurged++] = copy;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_state_purge(w->cfg.state_dir, name, &err);
        if (rc < 0)
            sl_log_warn(LOG_CTX, "purging the local state of %s: %s", name, err.msg);
        else if (rc > 0)
            sl_log_info(LOG_CTX, "purged the local state of %s (%d director%s)", name, rc,
                        rc == 1 ? "y" : "ies");
    }
}

static void publish_status(sl_cluster_worker *w)
{
    pthread_mutex_lock(&w->status_lock);
    w->status.lease_ok = w->have_lease && !w->lease_lost;
    w->status.generation = applied_gen(w);
    w->status.tasks = sl_task_set_count(w->tasks);
    w->status.task_starts = sl_task_set_launches(w->tasks);
    w->status.lease_ms = w->lease_ms;
    w->status.interval_ms = w->interval_ms;
    pthread_mutex_unlock(&w->status_lock);
}

/* ---- the loop --------------------------------------------------------------- */

/* Stops every task (each checkpoints), heartbeating meanwhile so that the
 * controller sees them STOPPING and keeps the lease; then one last heartbeat
 * with no tasks, so that the controller can reassign them at once. */
static int shut_down(sl_cluster_worker *w)
{
    uint64_t failures_before = sl_task_set_checkpoint_failures(w->tasks);
    int64_t now = sl_clock_mono_ms();
    int64_t deadline = now + w->cfg.shutdown_timeout_ms + 5000;
    int64_t next_hb = now;
    sl_log_info(LOG_CTX, "stopping: %zu task(s) finish their batch and checkpoint",
                sl_task_set_count(w->tasks));
    for (;;) {
        now = sl_clock_mono_ms();
        reconcile(w, now, 1);
        publish_status(w);
        if (sl_task_set_count(w->tasks) == 0 || now >= deadline)
            break;
        if (now >= next_hb)
            next_hb = heartbeat(w, 0, 1) + w->interval_ms;
        sl_clock_sleep_ms(20);
    }
    int status = 0;
    if (sl_task_set_count(w->tasks) > 0) {
        sl_log_error(LOG_CTX, "%zu task(s) did not stop in time", sl_task_set_count(w->tasks));
        status = 1;
    }
    if (sl_task_set_checkpoint_failures(w->tasks) != failures_before)
        status = 1;
    heartbeat(w, 1, 1);
    sl_log_info(LOG_CTX, "stopped%s", status ? " (with errors)" : "");
    return status;
}

#define EARLY_HEARTBEAT_MIN_MS 100

int sl_cluster_worker_run(sl_cluster_worker *w)
{
    int64_t next_hb = sl_clock_mono_ms(), last_hb = 0;
    uint64_t reported_sig = 0;
    sl_log_info(LOG_CTX, "cluster mode: worker %s, capacity %d, controller %s", w->id,
                w->cfg.capacity, w->controller_shown);
    while (!stopping(w)) {
        int64_t now = sl_clock_mono_ms();
        check_lease(w, now);
        if (now >= next_hb) {
            reported_sig = sl_task_set_signature(w->tasks);
            last_hb = heartbeat(w, 0, 0);
            next_hb = last_hb + w->interval_ms;
            now = sl_clock_mono_ms();
        }
        check_lease(w, now);
        reconcile(w, now, 0);
        /* When the tasks' states change (a task started running, or
         * stopped) the controller should hear it before the next interval,
         * so that starts and hand-offs take one round trip, not two. */
        if (w->have_lease && !w->lease_lost && now - last_hb >= EARLY_HEARTBEAT_MIN_MS &&
            sl_task_set_signature(w->tasks) != reported_sig)
            next_hb = now; /* report the change at the next turn */
        purge(w);
        publish_status(w);
        int64_t wait = next_hb - sl_clock_mono_ms();
        sl_clock_sleep_ms(wait < TICK_MS ? wait : TICK_MS);
    }
    return shut_down(w);
}

int sl_cluster_run(const sl_worker_config *cfg)
{
    sl_error err;
    sl_error_clear(&err);
    sl_cluster_worker *w = sl_cluster_worker_create(cfg, &err);
    if (!w) {
        sl_log_error(LOG_CTX, "%s", err.msg);
        return err.code == SL_ERR_NOMEM ? 1 : 2;
    }
    int status = sl_cluster_worker_run(w);
    sl_cluster_worker_destroy(w);
    return status;
}

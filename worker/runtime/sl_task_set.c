/* sl_task_set — a cluster worker's tasks: entries, their supervisors and the
 * shared plans (see sl_task_set.h).
 *
 * DESIGN. The cluster worker's loop must heartbeat on time: the lease that
 * lets it run its tasks depends on it. Creating a runner reads committed
 * offsets from the group coordinator (it retries for up to a minute while the
 * coordinator loads) and destroying one closes two Kafka clients and a
 * RocksDB store; sixteen of those in a row would miss the lease. So every
 * entry gets a supervisor thread for that blocking work, and the loop only
 * flips flags and reads atomics:
 *
 *   loop                          supervisor                runner thread
 *   ----                          ----------                -------------
 *   entry_launch ──create──────▶  runner create, start ──▶  restore, run
 *   reports RESTORING/RUNNING     waits: stop wanted, task
 *                                 failed or runner ended
 *   entry_request_stop ─signal─▶  request_stop, join ────▶  last checkpoint
 *   reports STOPPING              snapshot, destroy
 *                                 phase := DONE | FAILED
 *   sees the phase, joins the
 *   supervisor (it has ended),
 *   frees the entry
 *
 * Hand-off: an entry whose stop was requested is reported STOPPING until its
 * runner is destroyed AND one accepted heartbeat has said STOPPING; only then
 * is it forgotten, and its absence from the next heartbeat tells the
 * controller that the task's last checkpoint is done and it may run
 * elsewhere. At most one entry per task key exists, so a new version of a
 * task never opens a state store that the old one still holds.
 *
 * Locking: set->lock guards the entries array's changes and entry->runner
 * (the supervisor sets and clears it; the loop and the HTTP thread read
 * through it). Everything else of an entry is the loop's, except what the
 * supervisor writes before it publishes a terminal phase (a seq_cst store,
 * read by the loop with a seq_cst load before it looks at those fields). */
#include "runtime/sl_task_set.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/sl_task.h"
#include "runtime/sl_task_runner.h"
#include "spec/sl_spec.h"
#include "util/sl_log.h"

#define LOG_CTX "worker"
/* How often a supervisor looks at its runner besides being woken. */
#define WATCH_MS 100

typedef struct plan_ref {
    char tenant[SL_CLUSTER_NAME_MAX];
    char pipeline[SL_CLUSTER_NAME_MAX];
    uint64_t version;
    uint32_t epoch;
    sl_plan *plan; /* owned, namespaced */
    int refs;
} plan_ref;

enum entry_phase { PHASE_STARTING = 0, PHASE_RUNNING, PHASE_DONE, PHASE_FAILED };

typedef struct task_entry {
    sl_task_set *set;
    sl_task_id id;
    uint64_t version;
    uint32_t epoch;
    plan_ref *plan; /* a reference; NULL when the spec did not resolve */
    char label[2 * SL_CLUSTER_NAME_MAX + 40];
    pthread_t thread;
    int thread_started;
    atomic_int phase;       /* enum entry_phase; terminal ones set by the supervisor */
    atomic_int stop_wanted; /* set once by the loop, never cleared */
    pthread_mutex_t wait_lock;
    pthread_cond_t wake;
    sl_task_runner *runner; /* set->lock */
    /* written by the supervisor before a terminal phase (or by the loop
     * before the supervisor exists) */
    int64_t final_committed, final_lag;
    uint64_t final_in, final_out, final_errors;
    char last_error[SL_CLUSTER_ERROR_MAX];
    /* the loop's */
    int in_report;     /* the last statuses said STOPPING */
    int stop_reported; /* an accepted heartbeat said STOPPING */
    int failure_seen;  /* the loop has counted this failure */
    int failures;      /* consecutive failures, for the backoff */
    int64_t started_ms, retry_at_ms;
} task_entry;

struct sl_task_set {
    const sl_worker_config *cfg;
    sl_metrics *metrics;
    pthread_mutex_t lock;
    task_entry **entries;
    size_t n, cap;
    plan_ref **plans;
    size_t nplans, plans_cap;
    atomic_uint_fast64_t checkpoint_failures;
    uint64_t launches;
    int capacity_warned;
};

static int terminal(int phase)
{
    return phase == PHASE_DONE || phase == PHASE_FAILED;
}

/* ---- plans ---------------------------------------------------------------- */

/* Finds or makes the plan of d: parsed, resolved into the tenant's namespace
 * and checked to be the assigned pipeline. */
static int plan_acquire(sl_task_set *s, const sl_task_assignment *d, plan_ref **out, sl_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < s->nplans; i++) {
        plan_ref *p = s->plans[i];
        if (p->version == d->pipeline_version && p->epoch == d->state_epoch &&
            strcmp(p->tenant, d->id.tenant) == 0 && strcmp(p->pipeline, d->id.pipeline) == 0) {
            p->refs++;
            *out = p;
            return SL_OK;
        }
    }
    if (s->nplans == s->plans_cap) {
        size_t cap = s->plans_cap ? s->plans_cap * 2 : 8;
        plan_ref **np = realloc(s->plans, cap * sizeof(*np));
        if (!np)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        s->plans = np;
        s->plans_cap = cap;
    }
    sl_plan *plan = sl_plan_parse(d->spec_json, d->spec_len, err);
    if (!plan)
        return err->code ? err->code : SL_ERR_INVALID;
    char want[2 * SL_CLUSTER_NAME_MAX];
    snprintf(want, sizeof(want), "%s.%s", d->id.tenant, d->id.pipeline);
    int rc = sl_plan_namespace(plan, d->id.tenant, d->state_epoch, err);
    if (rc == SL_OK && strcmp(plan->name, want) != 0)
        rc = sl_error_set(err, SL_ERR_INVALID,
                          "the spec names pipeline '%s', not the assigned '%s'", plan->name, want);
    plan_ref *p = rc == SL_OK ? calloc(1, sizeof(*p)) : NULL;
    if (!p) {
        if (rc == SL_OK)
            rc = sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        sl_plan_free(plan);
        return rc;
    }
    snprintf(p->tenant, sizeof(p->tenant), "%s", d->id.tenant);
    snprintf(p->pipeline, sizeof(p->pipeline), "%s", d->id.pipeline);
    p->version = d->pipeline_version;
    p->epoch = d->state_epoch;
    p->plan = plan;
    p->refs = 1;
    s->plans[s->nplans++] = p;
    *out = p;
    return SL_OK;
}

/* Drops one reference; the last one frees the plan (no runner uses it any
 * more: entries release only after their supervisor, hence runner, ended). */
static void plan_release(sl_task_set *s, plan_ref *p)
{
    if (!p || --p->refs > 0)
        return;
    for (size_t i = 0; i < s->nplans; i++)
        if (s->plans[i] == p) {
            s->plans[i] = s->plans[--s->nplans];
            break;
        }
    sl_plan_free(p->plan);
    free(p);
}

/* ---- the supervisor (its own thread) ------------------------------------- */

static void set_last_error(task_entry *e, const char *prefix, const sl_error *err)
{
    char buf[SL_CLUSTER_ERROR_MAX];
    size_t n = strlen(prefix) < sizeof(buf) ? strlen(prefix) : 0;
    memcpy(buf, prefix, n);
    sl_error_format(err, buf + n, sizeof(buf) - n);
    snprintf(e->last_error, sizeof(e->last_error), "%s", buf);
}

/* Waits until a stop is wanted, the task failed or the runner ended. */
static void watch(task_entry *e, sl_task_runner *r)
{
    const sl_task *t = sl_task_runner_task(r, 0);
    pthread_mutex_lock(&e->wait_lock);
    while (!atomic_load(&e->stop_wanted) && !sl_task_runner_finished(r) &&
           atomic_load(&t->state) != SL_TASK_FAILED) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WATCH_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->wake, &e->wait_lock, &ts);
    }
    pthread_mutex_unlock(&e->wait_lock);
}

/* Stops and frees r, keeping its final figures and error in e; returns 1
 * when the task failed by itself. */
static int finish_runner(task_entry *e, sl_task_runner *r)
{
    sl_task_set *s = e->set;
    sl_task_runner_request_stop(r);
    int rc = sl_task_runner_join(r);
    const sl_task *t = sl_task_runner_task(r, 0);
    int failed = atomic_load(&t->state) == SL_TASK_FAILED;
    e->final_committed = atomic_load(&t->pub_committed);
    e->final_lag = atomic_load(&t->lag);
    e->final_in = atomic_load(&t->pub_in);
    e->final_out = atomic_load(&t->pub_out);
    e->final_errors = atomic_load(&t->pub_errors);
    if (failed)
        snprintf(e->last_error, sizeof(e->last_error), "%.*s", /* cut: a heartbeat's limit */
                 (int)sizeof(e->last_error) - 1, t->last_error);
    if (rc != 0) {
        atomic_fetch_add(&s->checkpoint_failures, 1);
        if (!failed && !atomic_load(&e->stop_wanted))
            snprintf(e->last_error, sizeof(e->last_error),
                     "the task's thread stopped: its checkpoint failed");
        sl_log_warn(e->label, "the last checkpoint failed: the next owner reprocesses from "
                              "the previous one");
    }
    pthread_mutex_lock(&s->lock);
    e->runner = NULL;
    pthread_mutex_unlock(&s->lock);
    sl_task_runner_destroy(r);
    return failed || !atomic_load(&e->stop_wanted);
}

static void *supervise(void *arg)
{
    task_entry *e = arg;
    sl_task_set *s = e->set;
    int32_t partition = (int32_t)e->id.partition;
    sl_task_runner *r = NULL;
    int failed = 0;
    sl_error err;
    sl_error_clear(&err);

    if (!atomic_load(&e->stop_wanted)) {
        /* index = partition: unique among this pipeline's runners here */
        r = sl_task_runner_create(e->plan->plan, s->cfg, &partition, 1, partition, s->metrics,
                                  &err);
        if (!r) {
            set_last_error(e, "cannot start: ", &err);
            failed = 1;
        }
    }
    if (r) {
        pthread_mutex_lock(&s->lock);
        e->runner = r;
        pthread_mutex_unlock(&s->lock);
        if (sl_task_runner_start(r, &err) != SL_OK) {
            set_last_error(e, "cannot start: ", &err);
            failed = 1;
        } else {
            atomic_store(&e->phase, PHASE_RUNNING);
            watch(e, r);
        }
        failed |= finish_runner(e, r);
    }
    /* A stop that was asked for wins: the entry is on its way out anyway. */
    atomic_store(&e->phase, failed && !atomic_load(&e->stop_wanted) ? PHASE_FAILED : PHASE_DONE);
    return NULL;
}

/* ---- entries (loop thread) ------------------------------------------------ */

static void entry_reset_figures(task_entry *e)
{
    e->final_committed = -1;
    e->final_lag = -1;
    e->final_in = e->final_out = e->final_errors = 0;
    e->last_error[0] = '\0';
}

/* Starts (or restarts) e's supervisor for assignment d. A spec that does not
 * resolve, or a thread that cannot start, leaves e FAILED. */
static void entry_launch(sl_task_set *s, task_entry *e, const sl_task_assignment *d, int64_t now)
{
    sl_error err;
    sl_error_clear(&err);
    entry_reset_figures(e);
    e->started_ms = now;
    e->failure_seen = 0;
    atomic_store(&e->phase, PHASE_STARTING);
    if (!e->plan && plan_acquire(s, d, &e->plan, &err) != SL_OK) {
        set_last_error(e, "invalid pipeline spec: ", &err);
        atomic_store(&e->phase, PHASE_FAILED);
        return;
    }
    if (pthread_create(&e->thread, NULL, supervise, e) != 0) {
        snprintf(e->last_error, sizeof(e->last_error), "cannot start a thread");
        atomic_store(&e->phase, PHASE_FAILED);
        return;
    }
    e->thread_started = 1;
    s->launches++;
    sl_log_info(e->label, "starting (version %llu, state epoch %u)", (unsigned long long)e->version,
                (unsigned)e->epoch);
}

static task_entry *entry_create(sl_task_set *s, const sl_task_assignment *d)
{
    task_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&e->wait_lock, NULL);
    e->set = s;
    e->id = d->id;
    e->version = d->pipeline_version;
    e->epoch = d->state_epoch;
    /* as the runner's own log lines: "<tenant>.<pipeline>/<partition>" */
    snprintf(e->label, sizeof(e->label), "%s.%s/%u", d->id.tenant, d->id.pipeline,
             (unsigned)d->id.partition);
    return e;
}

/* Joins e's supervisor (it has ended: the phase is terminal) and frees e. */
static void entry_free(sl_task_set *s, task_entry *e)
{
    if (e->thread_started)
        pthread_join(e->thread, NULL);
    plan_release(s, e->plan);
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->wait_lock);
    free(e);
}

static void entry_request_stop(task_entry *e, const char *why)
{
    if (atomic_load(&e->stop_wanted))
        return;
    /* A task that is not running any more has nothing to hand off. */
    if (terminal(atomic_load(&e->phase)))
        e->stop_reported = 1;
    else
        sl_log_info(e->label, "stopping (%s)", why);
    pthread_mutex_lock(&e->wait_lock);
    atomic_store(&e->stop_wanted, 1);
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->wait_lock);
}

/* Removes entries[i] from the array and frees it. */
static void entry_remove(sl_task_set *s, size_t i)
{
    task_entry *e = s->entries[i];
    pthread_mutex_lock(&s->lock);
    memmove(&s->entries[i], &s->entries[i + 1], (s->n - i - 1) * sizeof(*s->entries));
    s->n--;
    pthread_mutex_unlock(&s->lock);
    if (atomic_load(&e->phase) == PHASE_DONE)
        sl_log_info(e->label, "stopped and handed off");
    entry_free(s, e);
}

static int entry_add(sl_task_set *s, task_entry *e)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        task_entry **ne = realloc(s->entries, cap * sizeof(*ne));
        if (!ne)
            return SL_ERR_NOMEM;
        pthread_mutex_lock(&s->lock);
        s->entries = ne;
        s->cap = cap;
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_lock(&s->lock);
    s->entries[s->n++] = e;
    pthread_mutex_unlock(&s->lock);
    return SL_OK;
}

static const sl_task_assignment *find_desired(const sl_task_assignment *d, size_t n,
                                              const sl_task_id *id)
{
    for (size_t i = 0; i < n; i++)
        if (sl_task_id_equal(&d[i].id, id))
            return &d[i];
    return NULL;
}

static task_entry *find_entry(const sl_task_set *s, const sl_task_id *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (sl_task_id_equal(&s->entries[i]->id, id))
            return s->entries[i];
    return NULL;
}

/* A failed entry that is still desired: count the failure once, and restart
 * it when its backoff has passed. */
static void handle_failed(sl_task_set *s, task_entry *e, const sl_task_assignment *d, int64_t now)
{
    if (!e->failure_seen) {
        e->failure_seen = 1;
        if (now - e->started_ms >= SL_TASK_RESTART_BACKOFF_MAX_MS)
            e->failures = 0; /* it ran a good while: a fresh failure */
        e->failures++;
        int64_t backoff = SL_TASK_RESTART_BACKOFF_MS;
        for (int i = 1; i < e->failures && backoff < SL_TASK_RESTART_BACKOFF_MAX_MS; i++)
            backoff *= 2;
        if (backoff > SL_TASK_RESTART_BACKOFF_MAX_MS)
            backoff = SL_TASK_RESTART_BACKOFF_MAX_MS;
        e->retry_at_ms = now + backoff;
        sl_log_error(e->label, "task failed: %s; restarting in %lld s (failure %d in a row)",
                     e->last_error[0] ? e->last_error : "unknown error",
                     (long long)(backoff / 1000), e->failures);
    }
    if (now < e->retry_at_ms)
        return;
    if (e->thread_started) {
        pthread_join(e->thread, NULL);
        e->thread_started = 0;
    }
    entry_launch(s, e, d, now);
}

void sl_task_set_reconcile(sl_task_set *s, const sl_task_assignment *desired, size_t n,
                           int capacity, int flags, const char *why, int64_t now)
{
    /* 1. stop what is not desired as it runs */
    for (size_t i = 0; i < s->n; i++) {
        task_entry *e = s->entries[i];
        const sl_task_assignment *d = find_desired(desired, n, &e->id);
        if (!d)
            entry_request_stop(e, why ? why : "no longer assigned here");
        else if (d->pipeline_version != e->version || d->state_epoch != e->epoch)
            entry_request_stop(e, why ? why : "another version is assigned");
    }
    /* 2. forget what has stopped; restart what failed */
    for (size_t i = s->n; i-- > 0;) {
        task_entry *e = s->entries[i];
        int phase = atomic_load(&e->phase);
        if (!terminal(phase))
            continue;
        if (atomic_load(&e->stop_wanted)) {
            if (e->stop_reported || (flags & SL_TASK_SET_NO_REPORT_WAIT))
                entry_remove(s, i);
            continue;
        }
        /* still desired as it is (step 1 stopped the others) */
        const sl_task_assignment *d = find_desired(desired, n, &e->id);
        if (phase == PHASE_FAILED && d)
            handle_failed(s, e, d, now);
    }
    /* 3. start what is desired and has no entry */
    size_t active = 0;
    for (size_t i = 0; i < s->n; i++)
        active += !atomic_load(&s->entries[i]->stop_wanted);
    int over = 0;
    for (size_t i = 0; i < n; i++) {
        if (find_entry(s, &desired[i].id))
            continue;
        if ((int)active >= capacity) {
            over = 1;
            continue;
        }
        task_entry *e = entry_create(s, &desired[i]);
        if (!e || entry_add(s, e) != SL_OK) {
            if (e)
                entry_free(s, e);
            sl_log_error(LOG_CTX, "out of memory starting a task");
            break;
        }
        active++;
        entry_launch(s, e, &desired[i], now);
    }
    if (over && !s->capacity_warned)
        sl_log_warn(LOG_CTX, "assigned more tasks than --capacity %d: the rest waits", capacity);
    s->capacity_warned = over;
}

/* ---- reporting ------------------------------------------------------------ */

/* The state e reports; t is the task of e->runner (set->lock held: it is
 * stable), NULL without one. *error is why a FAILED task failed, else NULL.
 * Only reads. */
static sl_report_state entry_state(const task_entry *e, const sl_task *t, const char **error)
{
    int phase = atomic_load(&e->phase);
    int stop = atomic_load(&e->stop_wanted);
    *error = NULL;
    /* DONE always comes with a stop: without one, supervise() ends FAILED. */
    if (stop)
        return SL_REPORT_STOPPING;
    if (phase == PHASE_FAILED) {
        *error = e->last_error;
        return SL_REPORT_FAILED;
    }
    if (!t)
        return SL_REPORT_RESTORING;
    int ts = atomic_load(&t->state);
    if (ts == SL_TASK_RUNNING)
        return SL_REPORT_RUNNING;
    if (ts == SL_TASK_STARTING)
        return SL_REPORT_RESTORING;
    /* failed, or ended by itself: its supervisor is stopping it. last_error
     * is complete once the state says FAILED. */
    *error = ts == SL_TASK_FAILED ? t->last_error : "the task's thread stopped";
    return SL_REPORT_FAILED;
}

static const sl_task *entry_task(const task_entry *e)
{
    return e->runner ? sl_task_runner_task(e->runner, 0) : NULL;
}

/* Fills st from e (set->lock held: e->runner is stable). */
static void entry_status(task_entry *e, sl_task_status *st)
{
    const sl_task *t = entry_task(e);
    const char *error;

    memset(st, 0, sizeof(*st));
    st->id = e->id;
    st->pipeline_version = e->version;
    if (t) {
        st->committed_offset = atomic_load(&t->pub_committed);
        st->lag = atomic_load(&t->lag);
        st->messages_in = atomic_load(&t->pub_in);
        st->messages_out = atomic_load(&t->pub_out);
        st->errors = atomic_load(&t->pub_errors);
    } else {
        st->committed_offset = e->final_committed;
        st->lag = e->final_lag;
        st->messages_in = e->final_in;
        st->messages_out = e->final_out;
        st->errors = e->final_errors;
    }
    st->state = entry_state(e, t, &error);
    if (error)
        snprintf(st->last_error, sizeof(st->last_error), "%s", error);
    e->in_report = st->state == SL_REPORT_STOPPING;
}

int sl_task_set_statuses(sl_task_set *s, sl_task_status **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (s->n == 0)
        return SL_OK;
    sl_task_status *st = malloc(s->n * sizeof(*st));
    if (!st)
        return SL_ERR_NOMEM;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++)
        entry_status(s->entries[i], &st[i]);
    pthread_mutex_unlock(&s->lock);
    *out = st;
    *n = s->n;
    return SL_OK;
}

uint64_t sl_task_set_signature(sl_task_set *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        const task_entry *e = s->entries[i];
        const char *error;
        const unsigned char *p[] = {(const unsigned char *)e->id.tenant,
                                    (const unsigned char *)e->id.pipeline};
        for (int k = 0; k < 2; k++)
            for (; *p[k]; p[k]++)
                h = (h ^ *p[k]) * 1099511628211ULL;
        h = (h ^ e->id.partition) * 1099511628211ULL;
        h = (h ^ (uint64_t)entry_state(e, entry_task(e), &error)) * 1099511628211ULL;
        h = (h ^ e->version) * 1099511628211ULL;
    }
    pthread_mutex_unlock(&s->lock);
    return h;
}

void sl_task_set_reported(sl_task_set *s, int ok)
{
    for (size_t i = 0; i < s->n; i++) {
        task_entry *e = s->entries[i];
        if (ok && e->in_report)
            e->stop_reported = 1;
        e->in_report = 0;
    }
}

size_t sl_task_set_count(const sl_task_set *s)
{
    return s->n;
}

int sl_task_set_has_pipeline(const sl_task_set *s, const char *qualified_name)
{
    for (size_t i = 0; i < s->n; i++)
        if (sl_task_id_in_pipeline(&s->entries[i]->id, qualified_name))
            return 1;
    return 0;
}

uint64_t sl_task_set_launches(const sl_task_set *s)
{
    return s->launches;
}

uint64_t sl_task_set_checkpoint_failures(const sl_task_set *s)
{
    return atomic_load(&s->checkpoint_failures);
}

int sl_task_set_health(sl_task_set *s, sl_buf *reason)
{
    int bad = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        task_entry *e = s->entries[i];
        char why[256];
        if (e->runner && !sl_task_runner_healthy(e->runner, why, sizeof(why))) {
            sl_buf_printf(reason, "%s%s: %s", bad ? "; " : "", e->label, why);
            bad = 1;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return bad;
}

/* ---- life ----------------------------------------------------------------- */

sl_task_set *sl_task_set_create(const sl_worker_config *cfg, sl_metrics *metrics, sl_error *err)
{
    sl_task_set *s = calloc(1, sizeof(*s));
    if (!s) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    s->metrics = metrics;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void sl_task_set_destroy(sl_task_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        entry_request_stop(s->entries[i], "shutting down");
    /* entry_free joins each supervisor, which returns once its runner's last
     * checkpoint is done and the runner destroyed. */
    while (s->n > 0)
        entry_remove(s, s->n - 1);
    free(s->entries);
    for (size_t i = 0; i < s->nplans; i++) { /* none: every entry released its own */
        sl_plan_free(s->plans[i]->plan);
        free(s->plans[i]);
    }
    free(s->plans);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

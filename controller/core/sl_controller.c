/* sl_controller — the controller's shared state: catalog, scheduler, what
 * workers reported, and the tick thread that resolves pipelines' topics and
 * rebalances (see sl_controller.h). */
#include "core/sl_controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/sl_pipeline_topics.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define ADMIN_TIMEOUT_MS 30000
#define RESOLVE_TIMEOUT_MS 5000
#define RETRY_MS 3000
#define TICK_MS 500
#define PURGE_TTL_MS (10 * 60 * 1000)

const char *sl_controller_task_key(const char *tenant, const char *pipeline, int partition,
                                   char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s/%d", tenant, pipeline, partition);
    return buf;
}

sl_plan *sl_controller_resolve_plan(const char *tenant, const char *spec_json, size_t len,
                                    uint32_t state_epoch, sl_error *err)
{
    sl_plan *plan = sl_plan_parse(spec_json, len, err);
    if (plan && sl_plan_namespace(plan, tenant, state_epoch, err) != SL_OK) {
        sl_plan_free(plan);
        plan = NULL;
    }
    return plan;
}

sl_pipeline_runtime *sl_controller_runtime(sl_controller *c, const char *tenant,
                                           const char *name)
{
    for (size_t i = 0; i < c->nrt; i++)
        if (strcmp(c->rt[i].tenant, tenant) == 0 && strcmp(c->rt[i].name, name) == 0)
            return &c->rt[i];
    return NULL;
}

/* Makes rt[] match the catalog: one entry per pipeline, reset when the
 * pipeline's version changed (its topics must be resolved again). */
static int sync_runtime(sl_controller *c)
{
    size_t n = sl_meta_pipeline_count(c->meta);
    sl_pipeline_runtime *next = calloc(n ? n : 1, sizeof(*next));
    if (!next)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(c->meta, i);
        const sl_pipeline_runtime *old = sl_controller_runtime(c, p->tenant, p->name);
        if (old) {
            next[i] = *old; /* a new version keeps its partitions until resolved */
            next[i].version = p->version;
            continue;
        }
        snprintf(next[i].tenant, sizeof(next[i].tenant), "%s", p->tenant);
        snprintf(next[i].name, sizeof(next[i].name), "%s", p->name);
        next[i].version = p->version;
    }
    free(c->rt);
    c->rt = next;
    c->nrt = n;
    return SL_OK;
}

/* Gives the scheduler the task set of rt[] as it stands (lock held; rt[] in
 * step with the catalog). */
static int set_tasks(sl_controller *c)
{
    size_t total = 0;
    for (size_t i = 0; i < c->nrt; i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(c->meta, i);
        if (p->desired == SL_DESIRED_RUNNING && c->rt[i].partitions > 0 && !c->rt[i].error[0])
            total += (size_t)c->rt[i].partitions;
    }
    char **keys = calloc(total ? total : 1, sizeof(*keys));
    char *store = calloc(total ? total : 1, SL_TASK_KEY_MAX);
    if (!keys || !store) {
        free(keys);
        free(store);
        return SL_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->nrt; i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(c->meta, i);
        if (p->desired != SL_DESIRED_RUNNING || c->rt[i].partitions <= 0 || c->rt[i].error[0])
            continue;
        for (int part = 0; part < c->rt[i].partitions; part++, k++) {
            keys[k] = store + k * SL_TASK_KEY_MAX;
            sl_controller_task_key(p->tenant, p->name, part, keys[k], SL_TASK_KEY_MAX);
        }
    }
    int rc = sl_scheduler_set_tasks(c->sched, (const char *const *)keys, k);
    free(keys);
    free(store);
    return rc;
}

int sl_controller_sync_tasks(sl_controller *c)
{
    int rc = sync_runtime(c);
    return rc != SL_OK ? rc : set_tasks(c);
}

static int report_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const sl_task_report *)elem)->key);
}

const sl_task_report *sl_controller_report(const sl_controller *c, const char *key)
{
    if (!c->nreports)
        return NULL;
    return bsearch(key, c->reports, c->nreports, sizeof(*c->reports), report_cmp);
}

size_t sl_controller_tenant_tasks(const sl_controller *c, const char *tenant)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nrt; i++) {
        const sl_pipeline *p = sl_meta_pipeline(c->meta, c->rt[i].tenant, c->rt[i].name);
        if (p && p->desired == SL_DESIRED_RUNNING && strcmp(c->rt[i].tenant, tenant) == 0 &&
            !c->rt[i].error[0] && c->rt[i].partitions > 0)
            n += (size_t)c->rt[i].partitions;
    }
    return n;
}

size_t sl_controller_tenant_tasks_replacing(const sl_controller *c, const char *tenant,
                                            size_t old_tasks, size_t new_tasks)
{
    size_t used = sl_controller_tenant_tasks(c, tenant);
    /* old_tasks may not be counted in used (the pipeline was paused while it
     * resolved): never wrap below zero. */
    return (used > old_tasks ? used - old_tasks : 0) + new_tasks;
}

int sl_controller_add_purge(sl_controller *c, const char *tenant, const char *name)
{
    if (c->npurges == c->purges_cap) {
        size_t cap = c->purges_cap ? c->purges_cap * 2 : 8;
        sl_purge *p = realloc(c->purges, cap * sizeof(*p));
        if (!p)
            return SL_ERR_NOMEM;
        c->purges = p;
        c->purges_cap = cap;
    }
    sl_purge *p = &c->purges[c->npurges++];
    snprintf(p->name, sizeof(p->name), "%s.%s", tenant, name);
    p->until_ms = sl_clock_mono_ms() + PURGE_TTL_MS;
    return SL_OK;
}

/* Drops purge entries whose time is over (lock held). */
static void expire_purges(sl_controller *c, int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < c->npurges; i++)
        if (c->purges[i].until_ms > now)
            c->purges[k++] = c->purges[i];
    c->npurges = k;
}

/* One pipeline the tick thread must resolve, copied out of the lock. */
typedef struct pending {
    char tenant[SL_META_NAME_MAX];
    char name[SL_META_NAME_MAX];
    uint64_t version;
    uint32_t epoch;
    char *spec;
    int partitions;
    char error[512];
} pending;

/* Finds the input's partition count and creates the other topics. */
static void resolve(sl_topic_admin *admin, pending *p)
{
    sl_error err;
    char buf[512];
    sl_error_clear(&err);
    sl_plan *plan = sl_controller_resolve_plan(p->tenant, p->spec, strlen(p->spec), p->epoch, &err);
    if (!plan) {
        snprintf(p->error, sizeof(p->error), "invalid spec: %.480s",
                 sl_error_format(&err, buf, sizeof(buf)));
        return;
    }
    int parts = 0;
    int rc = sl_topic_admin_partitions(admin, plan->input.topic, RESOLVE_TIMEOUT_MS, &parts, &err);
    if (rc == SL_ERR_NOT_FOUND)
        snprintf(p->error, sizeof(p->error), "input topic %.400s does not exist", plan->input.topic);
    else if (rc != SL_OK)
        snprintf(p->error, sizeof(p->error), "input topic %.200s: %.250s", plan->input.topic, err.msg);
    else if (sl_pipeline_topics_ensure(admin, plan, parts, parts, RESOLVE_TIMEOUT_MS, &err) !=
             SL_OK)
        snprintf(p->error, sizeof(p->error), "creating topics: %.400s", err.msg);
    else
        p->partitions = parts;
    sl_plan_free(plan);
}

/* Collects the pipelines whose topics are unknown and due (lock held). */
static size_t collect_pending(sl_controller *c, pending **out, int64_t now)
{
    size_t n = 0;
    pending *list = calloc(c->nrt ? c->nrt : 1, sizeof(*list));
    if (!list)
        return 0;
    for (size_t i = 0; i < c->nrt; i++) {
        sl_pipeline_runtime *r = &c->rt[i];
        const sl_pipeline *p = sl_meta_pipeline(c->meta, r->tenant, r->name);
        if (!p || p->desired != SL_DESIRED_RUNNING || r->resolved_version == r->version ||
            r->retry_at_ms > now)
            continue;
        pending *q = &list[n];
        memcpy(q->tenant, r->tenant, sizeof(q->tenant));
        memcpy(q->name, r->name, sizeof(q->name));
        q->version = r->version;
        q->epoch = p->state_epoch;
        q->spec = strdup(p->spec_json ? p->spec_json : "");
        if (q->spec)
            n++;
    }
    *out = list;
    return n;
}

/* Stores what resolve found, enforcing the tenant's task quota (lock held). */
static void apply_resolved(sl_controller *c, pending *q, int64_t now)
{
    sl_pipeline_runtime *r = sl_controller_runtime(c, q->tenant, q->name);
    if (!r || r->version != q->version)
        return; /* changed meanwhile: resolved again next tick */
    if (q->partitions > 0) {
        const sl_tenant *t = sl_meta_tenant(c->meta, q->tenant);
        size_t prev = r->partitions > 0 && !r->error[0] ? (size_t)r->partitions : 0;
        size_t after = sl_controller_tenant_tasks_replacing(c, q->tenant, prev,
                                                            (size_t)q->partitions);
        if (t && t->max_tasks && after > t->max_tasks) {
            snprintf(r->error, sizeof(r->error),
                     "quota_exceeded: %d task(s) would bring tenant %s to %zu, above its "
                     "max_tasks %u",
                     q->partitions, q->tenant, after, t->max_tasks);
            r->retry_at_ms = now + RETRY_MS;
            return;
        }
        r->partitions = q->partitions;
        r->resolved_version = q->version;
        r->error[0] = '\0';
        sl_log_info("controller", "pipeline %s/%s v%llu: %d task(s)", q->tenant, q->name,
                    (unsigned long long)q->version, q->partitions);
    } else {
        if (strcmp(r->error, q->error) != 0)
            sl_log_warn("controller", "pipeline %s/%s: %s", q->tenant, q->name, q->error);
        memcpy(r->error, q->error, sizeof(r->error));
        r->retry_at_ms = now + RETRY_MS;
    }
}

/* The tasks of running pipelines without an owner (none yet, or being
 * revoked); *tasks gets how many tasks there are (lock held). */
static size_t count_unowned(sl_controller *c, size_t *tasks)
{
    char key[SL_TASK_KEY_MAX];
    size_t n = 0, unowned = 0;
    for (size_t i = 0; i < c->nrt; i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(c->meta, i);
        if (p->desired != SL_DESIRED_RUNNING || c->rt[i].error[0])
            continue;
        for (int part = 0; part < c->rt[i].partitions; part++, n++) {
            int revoking = 0;
            sl_controller_task_key(p->tenant, p->name, part, key, sizeof(key));
            if (!sl_scheduler_owner(c->sched, key, &revoking) || revoking)
                unowned++;
        }
    }
    *tasks = n;
    return unowned;
}

/* After a start the controller holds new assignments for one lease, so that
 * every worker still running tasks can report them first (a restart moves
 * nothing). The hold ends early once every running pipeline is resolved and
 * each of its tasks has been reported by (adopted from) a worker: nothing
 * unknown can be running then (lock held). */
static void maybe_end_hold(sl_controller *c, int64_t now)
{
    if (now >= c->hold_until_ms)
        return;
    for (size_t i = 0; i < c->nrt; i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(c->meta, i);
        if (p->desired == SL_DESIRED_RUNNING && !c->rt[i].error[0] &&
            c->rt[i].resolved_version != c->rt[i].version)
            return;
    }
    size_t tasks;
    if (count_unowned(c, &tasks) > 0)
        return;
    sl_log_info("controller", "every running task reported: assigning without waiting for "
                              "the rest of the lease");
    c->hold_until_ms = now;
}

/* The controller's gauges (lock held). */
static void publish_gauges(sl_controller *c)
{
    size_t tasks = 0;
    size_t unassigned = count_unowned(c, &tasks);
    if (c->m_workers)
        sl_gauge_set(c->m_workers, (double)sl_scheduler_worker_count(c->sched));
    if (c->m_pipelines)
        sl_gauge_set(c->m_pipelines, (double)sl_meta_pipeline_count(c->meta));
    if (c->m_tasks)
        sl_gauge_set(c->m_tasks, (double)tasks);
    if (c->m_tasks_unassigned)
        sl_gauge_set(c->m_tasks_unassigned, (double)unassigned);
}

/* One tick: resolve what is due (Kafka calls outside the lock, on the tick
 * thread's own admin), then store the results, give the scheduler the task
 * set, rebalance and publish the gauges. */
static void tick_once(sl_controller *c)
{
    pending *list = NULL;
    int64_t now = sl_clock_mono_ms();
    pthread_mutex_lock(&c->lock);
    if (sync_runtime(c) != SL_OK) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    size_t n = collect_pending(c, &list, now);
    pthread_mutex_unlock(&c->lock);

    for (size_t i = 0; i < n; i++)
        resolve(c->tick_admin, &list[i]);

    pthread_mutex_lock(&c->lock);
    now = sl_clock_mono_ms();
    /* The catalog may have changed while the lock was released. */
    if (sync_runtime(c) == SL_OK) {
        for (size_t i = 0; i < n; i++)
            apply_resolved(c, &list[i], now);
        set_tasks(c);
    }
    maybe_end_hold(c, now);
    sl_scheduler_rebalance(c->sched, now, c->hold_until_ms);
    expire_purges(c, now);
    publish_gauges(c);
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        free(list[i].spec);
    free(list);
}

static void *tick_main(void *arg)
{
    sl_controller *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        pthread_mutex_unlock(&c->lock);
        tick_once(c);
        pthread_mutex_lock(&c->lock);
        if (c->stop)
            break;
        if (!c->woken) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)TICK_MS * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&c->wake, &c->lock, &ts);
        }
        c->woken = 0;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

void sl_controller_wake(sl_controller *c)
{
    pthread_mutex_lock(&c->lock);
    c->woken = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

static sl_topic_admin *make_admin(const sl_controller *c, sl_embedded_broker *eb, sl_error *err)
{
    if (eb)
        return sl_topic_admin_create_embedded(eb, err);
    return sl_topic_admin_create(c->cfg.bootstrap, &c->cfg.props, ADMIN_TIMEOUT_MS, err);
}

sl_controller *sl_controller_create(sl_controller_config *cfg, sl_embedded_broker *eb,
                                    sl_error *err)
{
    sl_controller *c = calloc(1, sizeof(*c));
    if (!c) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    memset(&cfg->props, 0, sizeof(cfg->props));
    if (!c->cfg.lease_ms)
        c->cfg.lease_ms = 10000;
    if (!c->cfg.heartbeat_interval_ms)
        c->cfg.heartbeat_interval_ms = 1000;
    if (!c->cfg.default_max_pipelines)
        c->cfg.default_max_pipelines = 20;
    if (!c->cfg.default_max_tasks)
        c->cfg.default_max_tasks = 64;
    if (c->cfg.rate_limit_per_s <= 0)
        c->cfg.rate_limit_per_s = 50;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->started_ms = sl_clock_mono_ms();
    c->hold_until_ms = c->started_ms + c->cfg.lease_ms;
    if (!(c->admin = make_admin(c, eb, err)) || !(c->tick_admin = make_admin(c, eb, err)))
        goto fail;
    if (!(c->meta = sl_meta_open(c->cfg.bootstrap, &c->cfg.props, c->admin, ADMIN_TIMEOUT_MS,
                                 err)))
        goto fail;
    if (!(c->sched = sl_scheduler_create(c->cfg.lease_ms)) ||
        !(c->metrics = sl_metrics_create(err))) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    c->m_requests = sl_metrics_counter_create(c->metrics, "sluice_controller_requests_total",
                                              "HTTP API requests served", NULL, 0, NULL);
    c->m_heartbeats = sl_metrics_counter_create(
        c->metrics, "sluice_controller_heartbeats_total", "worker heartbeats served", NULL, 0,
        NULL);
    c->m_workers = sl_metrics_gauge_create(c->metrics, "sluice_controller_workers",
                                           "Workers holding a lease.", NULL, 0, NULL);
    c->m_pipelines = sl_metrics_gauge_create(c->metrics, "sluice_controller_pipelines",
                                             "Pipelines in the catalog.", NULL, 0, NULL);
    c->m_tasks = sl_metrics_gauge_create(c->metrics, "sluice_controller_tasks",
                                         "Tasks of running pipelines.", NULL, 0, NULL);
    c->m_tasks_unassigned = sl_metrics_gauge_create(
        c->metrics, "sluice_controller_tasks_unassigned",
        "Tasks without an owner (no room, or being handed off).", NULL, 0, NULL);
    if (sl_controller_sync_tasks(c) != SL_OK) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    c->ready = 1;
    return c;
fail:
    sl_controller_destroy(c);
    return NULL;
}

int sl_controller_start(sl_controller *c, sl_error *err)
{
    int rc = pthread_create(&c->tick, NULL, tick_main, c);
    if (rc != 0)
        return sl_error_set(err, SL_ERR_IO, "cannot start the tick thread: %s", strerror(rc));
    c->tick_started = 1;
    return SL_OK;
}

void sl_controller_destroy(sl_controller *c)
{
    if (!c)
        return;
    if (c->tick_started) {
        pthread_mutex_lock(&c->lock);
        c->stop = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->tick, NULL);
    }
    sl_topic_admin_destroy(c->tick_admin);
    sl_meta_close(c->meta);
    sl_scheduler_destroy(c->sched);
    sl_topic_admin_destroy(c->admin);
    sl_metrics_destroy(c->metrics);
    sl_kafka_props_clear(&c->cfg.props);
    free(c->rt);
    free(c->reports);
    free(c->purges);
    free(c->ratelimit); /* the API's rate limiter, if sl_api_release did not run */
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

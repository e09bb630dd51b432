/* sl_cluster_endpoint — the heartbeat: record what the worker runs, renew its
 * lease, rebalance, and answer with the worker's desired assignment. */
#include "core/sl_cluster_endpoint.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.pb-c.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define MAX_HEARTBEAT_TASKS 100000

/* 0 when the request carries the worker token. */
static int check_worker_token(const sl_controller *c, const sl_http_request *req)
{
    const char *auth = sl_http_request_header(req, "Authorization");
    if (!c->cfg.have_worker || !auth || strncmp(auth, "Bearer ", 7) != 0)
        return -1;
    unsigned char h[32];
    sl_meta_hash_token(auth + 7, h);
    return CRYPTO_memcmp(h, c->cfg.worker_hash, sizeof(h)) == 0 ? 0 : -1;
}

static int task_id_key(const Sluice__TaskId *id, char *buf, size_t size)
{
    if (!id || !id->tenant || !id->pipeline)
        return -1;
    sl_controller_task_key(id->tenant, id->pipeline, (int)id->partition, buf, size);
    return 0;
}

static int report_find(sl_controller *c, const char *key, size_t *pos)
{
    size_t lo = 0, hi = c->nreports;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(c->reports[mid].key, key);
        if (cmp == 0) {
            *pos = mid;
            return 1;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

/* Inserts or updates the report of one task (lock held). */
static int record_status(sl_controller *c, const char *worker, const char *key,
                         const Sluice__TaskStatus *st, int64_t now)
{
    size_t pos;
    if (!report_find(c, key, &pos)) {
        if (c->nreports == c->reports_cap) {
            size_t cap = c->reports_cap ? c->reports_cap * 2 : 64;
            sl_task_report *r = realloc(c->reports, cap * sizeof(*r));
            if (!r)
                return SL_ERR_NOMEM;
            c->reports = r;
            c->reports_cap = cap;
        }
        memmove(&c->reports[pos + 1], &c->reports[pos],
                (c->nreports - pos) * sizeof(*c->reports));
        c->nreports++;
        memset(&c->reports[pos], 0, sizeof(c->reports[pos]));
        snprintf(c->reports[pos].key, sizeof(c->reports[pos].key), "%s", key);
    }
    sl_task_report *r = &c->reports[pos];
    int same = strcmp(r->worker, worker) == 0 && r->reported_ms > 0;
    if (same && now > r->reported_ms && st->messages_in >= r->messages_in)
        r->messages_per_second =
            (double)(st->messages_in - r->messages_in) * 1000.0 / (double)(now - r->reported_ms);
    else if (!same)
        r->messages_per_second = 0;
    snprintf(r->worker, sizeof(r->worker), "%s", worker);
    r->pipeline_version = st->pipeline_version;
    r->state = (int)st->state;
    r->committed_offset = st->committed_offset;
    r->lag = st->lag;
    r->messages_in = st->messages_in;
    r->messages_out = st->messages_out;
    r->errors = st->errors;
    snprintf(r->last_error, sizeof(r->last_error), "%s", st->last_error ? st->last_error : "");
    r->reported_ms = now;
    return SL_OK;
}

/* Drops the reports of worker for tasks it no longer lists (lock held). */
static void forget_stopped(sl_controller *c, const char *worker, int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nreports; i++) {
        sl_task_report *r = &c->reports[i];
        if (strcmp(r->worker, worker) == 0 && r->reported_ms != now)
            continue;
        if (k != i)
            c->reports[k] = *r;
        k++;
    }
    c->nreports = k;
}

/* Splits "tenant/pipeline/partition". */
static int parse_key(const char *key, char *tenant, char *pipeline, int *partition)
{
    const char *a = strchr(key, '/');
    const char *b = a ? strrchr(key, '/') : NULL;
    if (!a || b == a || (size_t)(a - key) >= SL_META_NAME_MAX ||
        (size_t)(b - a - 1) >= SL_META_NAME_MAX)
        return -1;
    memcpy(tenant, key, (size_t)(a - key));
    tenant[a - key] = '\0';
    memcpy(pipeline, a + 1, (size_t)(b - a - 1));
    pipeline[b - a - 1] = '\0';
    *partition = atoi(b + 1);
    return 0;
}

/* Packs the worker's assignment into resp (lock held). */
static int answer(sl_controller *c, const char *worker, sl_http_response *resp)
{
    const char *const *keys = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    int rc = SL_ERR_NOMEM;
    sl_scheduler_assignment(c->sched, worker, &keys, &n, &gen);

    Sluice__Assignment a = SLUICE__ASSIGNMENT__INIT;
    Sluice__TaskAssignment *items = calloc(n ? n : 1, sizeof(*items));
    Sluice__TaskAssignment **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    Sluice__TaskId *ids = calloc(n ? n : 1, sizeof(*ids));
    char (*names)[2][SL_META_NAME_MAX] = calloc(n ? n : 1, sizeof(*names));
    char **purge = calloc(c->npurges ? c->npurges : 1, sizeof(*purge));
    uint8_t *buf = NULL;
    if (!items || !ptrs || !ids || !names || !purge)
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int part;
        if (parse_key(keys[i], names[k][0], names[k][1], &part) != 0)
            continue;
        const sl_pipeline *p = sl_meta_pipeline(c->meta, names[k][0], names[k][1]);
        if (!p)
            continue;
        sluice__task_id__init(&ids[k]);
        ids[k].tenant = names[k][0];
        ids[k].pipeline = names[k][1];
        ids[k].partition = (uint32_t)part;
        sluice__task_assignment__init(&items[k]);
        items[k].id = &ids[k];
        items[k].pipeline_version = p->version;
        items[k].spec_json = p->spec_json;
        items[k].state_epoch = p->state_epoch;
        ptrs[k] = &items[k];
        k++;
    }
    a.generation = gen;
    a.lease_ms = (uint32_t)c->cfg.lease_ms;
    a.n_tasks = k;
    a.tasks = ptrs;
    a.bootstrap_servers = (char *)c->cfg.bootstrap;
    a.heartbeat_interval_ms = (uint32_t)c->cfg.heartbeat_interval_ms;
    for (size_t i = 0; i < c->npurges; i++)
        purge[i] = c->purges[i].name;
    a.n_purge = c->npurges;
    a.purge = purge;
    size_t len = sluice__assignment__get_packed_size(&a);
    if (!(buf = malloc(len ? len : 1)))
        goto out;
    sluice__assignment__pack(&a, buf);
    if (sl_buf_append(&resp->body, buf, len) != SL_OK)
        goto out;
    snprintf(resp->content_type, sizeof(resp->content_type), "application/x-protobuf");
    rc = SL_OK;
out:
    free(buf);
    free(items);
    free(ptrs);
    free(ids);
    free(names);
    free(purge);
    return rc;
}

static int on_heartbeat(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    sl_controller *c = ud;
    char key[SL_TASK_KEY_MAX];
    if (check_worker_token(c, req) != 0)
        return sl_http_response_error(resp, 401, "unauthorized",
                                      "a worker token is required (Authorization: Bearer)");
    Sluice__Heartbeat *hb =
        sluice__heartbeat__unpack(NULL, req->body_len, (const uint8_t *)req->body);
    if (!hb || !hb->worker_id || !hb->worker_id[0] ||
        strlen(hb->worker_id) >= SL_META_NAME_MAX || hb->n_tasks > MAX_HEARTBEAT_TASKS) {
        if (hb)
            sluice__heartbeat__free_unpacked(hb, NULL);
        return sl_http_response_error(resp, 400, "invalid_argument",
                                      "the body is not a valid Heartbeat protobuf");
    }
    char **running = calloc(hb->n_tasks ? hb->n_tasks : 1, sizeof(*running));
    char *store = calloc(hb->n_tasks ? hb->n_tasks : 1, SL_TASK_KEY_MAX);
    int rc = SL_ERR_NOMEM;
    if (!running || !store)
        goto out;
    pthread_mutex_lock(&c->lock);
    int64_t now = sl_clock_mono_ms();
    size_t n = 0;
    for (size_t i = 0; i < hb->n_tasks; i++) {
        const Sluice__TaskStatus *st = hb->tasks[i];
        if (!st || task_id_key(st->id, key, sizeof(key)) != 0)
            continue;
        record_status(c, hb->worker_id, key, st, now);
        /* a task that has stopped is not running: the hand-off may go on */
        if (st->state == SLUICE__TASK_STATE__TASK_STATE_STOPPED)
            continue;
        running[n] = store + n * SL_TASK_KEY_MAX;
        memcpy(running[n], key, SL_TASK_KEY_MAX);
        n++;
    }
    forget_stopped(c, hb->worker_id, now);
    if (hb->capacity == 0 && n == 0) {
        /* a worker shutting down: it runs nothing and takes nothing more */
        sl_log_info("controller", "worker %s leaves", hb->worker_id);
        sl_scheduler_worker_leave(c->sched, hb->worker_id);
        rc = SL_OK;
    } else {
        int cap = hb->capacity == 0 ? 1 : hb->capacity > 100000 ? 100000 : (int)hb->capacity;
        rc = sl_scheduler_heartbeat(c->sched, hb->worker_id, cap, hb->generation_seen,
                                    (const char *const *)running, n, now);
    }
    if (rc == SL_OK) {
        sl_scheduler_rebalance(c->sched, now, c->hold_until_ms);
        rc = answer(c, hb->worker_id, resp);
    }
    pthread_mutex_unlock(&c->lock);
    if (c->m_heartbeats)
        sl_counter_add(c->m_heartbeats, 1);
out:
    free(running);
    free(store);
    sluice__heartbeat__free_unpacked(hb, NULL);
    return rc;
}

int sl_cluster_endpoint_register(sl_http_server *http, sl_controller *c, sl_error *err)
{
    return sl_http_server_route(http, "POST", "/v1/cluster/heartbeat", on_heartbeat, c, err);
}

/* sl_api_cluster_views — GET /v1/workers and GET /v1/tasks (admin token, or
 * a tenant token: every worker, but only its own tasks). Read-only views of
 * the scheduler and of the pipelines' tasks; runs with c->lock held. */
#include <stdio.h>
#include <string.h>

#include "api/sl_api_internal.h"
#include "util/sl_clock.h"

static yyjson_mut_val *render_worker(api_call *call, yyjson_mut_doc *d, const api_item *it)
{
    sl_sched_worker_info w;
    if (sl_scheduler_worker(call->c->sched, (size_t)it->aux, &w) != SL_OK)
        return NULL;
    int64_t now = sl_clock_mono_ms();
    int64_t ago = now - w.last_heartbeat_ms, left = w.lease_expires_ms - now;
    yyjson_mut_val *o = yyjson_mut_obj(d);
    bool ok = o && yyjson_mut_obj_add_strcpy(d, o, "id", w.id) &&
              yyjson_mut_obj_add_int(d, o, "capacity", w.capacity) &&
              yyjson_mut_obj_add_uint(d, o, "tasks_assigned", w.assigned) &&
              yyjson_mut_obj_add_uint(d, o, "tasks_running", w.running) &&
              yyjson_mut_obj_add_int(d, o, "last_heartbeat_ms_ago", ago < 0 ? 0 : ago) &&
              yyjson_mut_obj_add_int(d, o, "lease_expires_in_ms", left < 0 ? 0 : left);
    return ok ? o : NULL;
}

int api_workers_list(api_call *call)
{
    api_list l = {0};
    int rc = SL_OK;
    size_t n = sl_scheduler_worker_count(call->c->sched);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        sl_sched_worker_info w;
        if (sl_scheduler_worker(call->c->sched, i, &w) == SL_OK)
            rc = api_list_add(&l, w.id, NULL, (long)i);
    }
    if (rc == SL_OK)
        rc = api_list_send(call, &l, render_worker);
    api_list_free(&l);
    return rc;
}

static yyjson_mut_val *render_task(api_call *call, yyjson_mut_doc *d, const api_item *it)
{
    return api_task_json(call->c, d, it->obj, (int)it->aux, 1, 0);
}

int api_tasks_list(api_call *call)
{
    api_list l = {0};
    int rc = SL_OK;
    const sl_meta *m = call->c->meta;
    for (size_t i = 0; rc == SL_OK && i < sl_meta_pipeline_count(m); i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(m, i);
        if (call->who.kind == API_TENANT && strcmp(p->tenant, call->who.tenant) != 0)
            continue;
        int n = api_pipeline_tasks(call->c, p);
        for (int part = 0; rc == SL_OK && part < n; part++) {
            /* \1 sorts below every name character: tenant, then pipeline,
             * then partition in numeric order */
            char key[SL_TASK_KEY_MAX];
            snprintf(key, sizeof(key), "%s\1%s\1%010d", p->tenant, p->name, part);
            rc = api_list_add(&l, key, p, part);
        }
    }
    if (rc == SL_OK)
        rc = api_list_send(call, &l, render_task);
    api_list_free(&l);
    return rc;
}

/* sl_api_pipeline_view — how a pipeline looks from outside: its summary and
 * detail, the topics it resolves to, and the state of each of its tasks,
 * merged from three sources (lock held throughout): the catalog (spec,
 * version, desired state), the tick thread's runtime facts (partitions,
 * error) and the workers' last reports plus the scheduler's owners.
 *
 * A task's state: "paused" (pipeline paused, no worker has it), "pending"
 * (no worker yet), "starting" (assigned, its worker has not reported it
 * yet), else what its worker last reported (restoring, running, stopping,
 * stopped, failed). A pipeline is "running" when every task runs the current
 * version on its owner (see docs/api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/sl_api_internal.h"
#include "cluster.pb-c.h"
#include "kafka/sl_pipeline_topics.h"

int api_pipeline_tasks(sl_controller *c, const sl_pipeline *p)
{
    const sl_pipeline_runtime *rt = sl_controller_runtime(c, p->tenant, p->name);
    if (!rt || rt->error[0] || rt->partitions <= 0)
        return 0;
    return rt->partitions;
}

/* The owner of task partition of p (the old one while handing off), its
 * report when it came from that owner, and the task's state name. */
typedef struct task_view {
    const char *worker;
    const sl_task_report *report;
    const char *state;
} task_view;

static const char *reported_state(int state)
{
    switch (state) {
    case SLUICE__TASK_STATE__TASK_STATE_RESTORING: return "restoring";
    case SLUICE__TASK_STATE__TASK_STATE_RUNNING: return "running";
    case SLUICE__TASK_STATE__TASK_STATE_STOPPING: return "stopping";
    case SLUICE__TASK_STATE__TASK_STATE_STOPPED: return "stopped";
    case SLUICE__TASK_STATE__TASK_STATE_FAILED: return "failed";
    default: return "starting";
    }
}

static void task_view_of(sl_controller *c, const sl_pipeline *p, int partition, task_view *v)
{
    char key[SL_TASK_KEY_MAX];
    int revoking = 0;
    sl_controller_task_key(p->tenant, p->name, partition, key, sizeof(key));
    v->worker = sl_scheduler_owner(c->sched, key, &revoking);
    v->report = sl_controller_report(c, key);
    if (v->report && (!v->worker || strcmp(v->report->worker, v->worker) != 0))
        v->report = NULL; /* from a worker that no longer has the task */
    if (!v->worker)
        v->state = p->desired == SL_DESIRED_PAUSED ? "paused" : "pending";
    else if (!v->report)
        v->state = "starting";
    else
        v->state = reported_state(v->report->state);
}

static int task_runs_current(const task_view *v, const sl_pipeline *p)
{
    return v->report && v->report->state == SLUICE__TASK_STATE__TASK_STATE_RUNNING &&
           v->report->pipeline_version == p->version;
}

yyjson_mut_val *api_pipeline_summary(sl_controller *c, yyjson_mut_doc *d, const sl_pipeline *p)
{
    const sl_pipeline_runtime *rt = sl_controller_runtime(c, p->tenant, p->name);
    int total = api_pipeline_tasks(c, p), running = 0;
    for (int i = 0; i < total; i++) {
        task_view v;
        task_view_of(c, p, i, &v);
        running += task_runs_current(&v, p);
    }
    const char *error = rt && rt->error[0] ? rt->error : NULL;
    const char *state = "starting";
    if (p->desired == SL_DESIRED_PAUSED)
        state = "paused";
    else if (error)
        state = "error";
    else if (total > 0 && running == total)
        state = "running";
    yyjson_mut_val *o = yyjson_mut_obj(d);
    bool ok = o && yyjson_mut_obj_add_strcpy(d, o, "name", p->name) &&
              yyjson_mut_obj_add_uint(d, o, "version", p->version) &&
              yyjson_mut_obj_add_str(d, o, "desired",
                                     p->desired == SL_DESIRED_PAUSED ? "paused" : "running") &&
              yyjson_mut_obj_add_str(d, o, "state", state) &&
              yyjson_mut_obj_add_int(d, o, "tasks_total", total) &&
              yyjson_mut_obj_add_int(d, o, "tasks_running", running) &&
              api_add_str_or_null(d, o, "error", error) &&
              api_add_time(d, o, "created_at", p->created_ms) &&
              api_add_time(d, o, "updated_at", p->updated_ms);
    return ok ? o : NULL;
}

yyjson_mut_val *api_task_json(sl_controller *c, yyjson_mut_doc *d, const sl_pipeline *p,
                              int partition, int with_ids, int detail)
{
    task_view v;
    task_view_of(c, p, partition, &v);
    const sl_task_report *r = v.report;
    yyjson_mut_val *o = yyjson_mut_obj(d);
    bool ok = o != NULL;
    if (ok && with_ids)
        ok = yyjson_mut_obj_add_strcpy(d, o, "tenant", p->tenant) &&
             yyjson_mut_obj_add_strcpy(d, o, "pipeline", p->name);
    ok = ok && yyjson_mut_obj_add_int(d, o, "partition", partition) &&
         api_add_str_or_null(d, o, "worker", v.worker) &&
         yyjson_mut_obj_add_str(d, o, "state", v.state);
    if (ok && detail)
        ok = r ? yyjson_mut_obj_add_int(d, o, "committed_offset", r->committed_offset)
               : yyjson_mut_obj_add_null(d, o, "committed_offset");
    ok = ok && (r ? yyjson_mut_obj_add_int(d, o, "lag", r->lag)
                  : yyjson_mut_obj_add_null(d, o, "lag")) &&
         yyjson_mut_obj_add_uint(d, o, "messages_in", r ? r->messages_in : 0) &&
         yyjson_mut_obj_add_uint(d, o, "messages_out", r ? r->messages_out : 0);
    if (ok && detail)
        ok = yyjson_mut_obj_add_real(d, o, "messages_per_second",
                                     r ? r->messages_per_second : 0.0);
    ok = ok && yyjson_mut_obj_add_uint(d, o, "errors", r ? r->errors : 0) &&
         api_add_str_or_null(d, o, "last_error", r ? r->last_error : NULL);
    return ok ? o : NULL;
}

yyjson_mut_val *api_plan_topics(yyjson_mut_doc *d, const sl_plan *plan)
{
    yyjson_mut_val *o = yyjson_mut_obj(d), *outs;
    bool ok = o && yyjson_mut_obj_add_strcpy(d, o, "input", plan->input.topic) &&
              (outs = yyjson_mut_obj_add_arr(d, o, "outputs"));
    for (size_t i = 0; ok && i < plan->nsteps; i++) {
        const sl_step *s = &plan->steps[i];
        if (s->op != SL_STEP_TO_TOPIC || !s->topic)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = plan->steps[j].op == SL_STEP_TO_TOPIC && plan->steps[j].topic &&
                   strcmp(plan->steps[j].topic, s->topic) == 0;
        if (!seen)
            ok = yyjson_mut_arr_add_strcpy(d, outs, s->topic);
    }
    ok = ok && api_add_str_or_null(d, o, "dead_letter", plan->dead_letter_topic);
    if (ok && sl_plan_is_stateful(plan)) {
        char changelog[512];
        sl_pipeline_changelog_topic(plan, changelog, sizeof(changelog));
        ok = yyjson_mut_obj_add_strcpy(d, o, "changelog", changelog);
    } else if (ok) {
        ok = yyjson_mut_obj_add_null(d, o, "changelog");
    }
    return ok ? o : NULL;
}

/* The stored spec as JSON (it was valid JSON when stored). */
static yyjson_mut_val *spec_value(yyjson_mut_doc *d, const char *spec)
{
    yyjson_doc *doc = yyjson_read(spec ? spec : "", spec ? strlen(spec) : 0, 0);
    yyjson_mut_val *v = doc ? yyjson_val_mut_copy(d, yyjson_doc_get_root(doc))
                            : yyjson_mut_strcpy(d, spec ? spec : "");
    yyjson_doc_free(doc);
    return v;
}

yyjson_mut_val *api_pipeline_detail(sl_controller *c, yyjson_mut_doc *d, const sl_pipeline *p)
{
    yyjson_mut_val *o = api_pipeline_summary(c, d, p), *tasks, *topics = NULL;
    if (!o)
        return NULL;
    sl_error err;
    const char *spec = p->spec_json ? p->spec_json : "";
    sl_plan *plan = sl_controller_resolve_plan(p->tenant, spec, strlen(spec), p->state_epoch, &err);
    if (plan)
        topics = api_plan_topics(d, plan);
    sl_plan_free(plan);
    bool ok = yyjson_mut_obj_add_val(d, o, "spec", spec_value(d, spec)) &&
              (topics ? yyjson_mut_obj_add_val(d, o, "topics", topics)
                      : yyjson_mut_obj_add_null(d, o, "topics")) &&
              yyjson_mut_obj_add_uint(d, o, "state_epoch", p->state_epoch) &&
              (tasks = yyjson_mut_obj_add_arr(d, o, "tasks"));
    int total = api_pipeline_tasks(c, p);
    for (int i = 0; ok && i < total; i++)
        ok = yyjson_mut_arr_append(tasks, api_task_json(c, d, p, i, 0, 1));
    return ok ? o : NULL;
}

/* sl_api_pipelines — the /v1/pipelines endpoints (tenant tokens only): list,
 * detail, create/update (PUT), delete (with purge), pause, resume and
 * validate. Runs with c->lock held (see sl_api.c).
 *
 * PUT reads and validates the spec (sl_api_spec.c), answers 200 without
 * writing when it is unchanged, checks the tenant's quotas, decides the state
 * epoch (sl_api_spec.c) and writes the catalog; every write then recomputes
 * the task set and wakes the tick thread. The rules are spelled out in
 * docs/api.md under PUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/sl_api_internal.h"
#include "kafka/sl_pipeline_topics.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

/* The partition count of the tenant's (un-prefixed) input topic when some
 * pipeline of the tenant reading it is resolved for its current version,
 * else 0 (unknown: the tick thread enforces max_tasks when it resolves). */
static int known_partitions(sl_controller *c, const char *tenant, const char *topic)
{
    for (size_t i = 0; i < c->nrt; i++) {
        const sl_pipeline_runtime *rt = &c->rt[i];
        if (strcmp(rt->tenant, tenant) != 0 || rt->error[0] || rt->partitions <= 0)
            continue;
        const sl_pipeline *p = sl_meta_pipeline(c->meta, rt->tenant, rt->name);
        if (!p || !p->spec_json || rt->resolved_version != p->version)
            continue;
        sl_plan *plan = sl_plan_parse(p->spec_json, strlen(p->spec_json), NULL);
        int same = plan && strcmp(plan->input.topic, topic) == 0;
        sl_plan_free(plan);
        if (same)
            return rt->partitions;
    }
    return 0;
}

/* 403 quota_exceeded when old (NULL: a new pipeline) becoming a pipeline of
 * partitions tasks (0: unknown) would pass the tenant's quotas. Returns 0, or
 * 1 when it answered. */
static int check_quotas(api_call *call, const sl_tenant *t, const sl_pipeline *old,
                        int partitions)
{
    sl_controller *c = call->c;
    size_t have = api_tenant_pipelines(c->meta, t->name);
    if (!old && t->max_pipelines && have >= t->max_pipelines) {
        api_error(call, 403, "quota_exceeded",
                  "tenant '%s' has %zu pipeline(s); its max_pipelines is %u", t->name, have,
                  t->max_pipelines);
        return 1;
    }
    if (partitions <= 0 || !t->max_tasks || (old && old->desired != SL_DESIRED_RUNNING))
        return 0;
    size_t own = old ? (size_t)api_pipeline_tasks(c, old) : 0;
    size_t after = sl_controller_tenant_tasks_replacing(c, t->name, own, (size_t)partitions);
    if (after > t->max_tasks) {
        api_error(call, 403, "quota_exceeded",
                  "this pipeline runs %d task(s) (one per input partition), which would bring "
                  "tenant '%s' to %zu task(s); its max_tasks is %u",
                  partitions, t->name, after, t->max_tasks);
        return 1;
    }
    return 0;
}

/* Forgets a purge of tenant.name: a pipeline of that name exists again and
 * its state must survive. */
static void cancel_purge(sl_controller *c, const char *tenant, const char *name)
{
    char full[320];
    size_t k = 0;
    snprintf(full, sizeof(full), "%s.%s", tenant, name);
    for (size_t i = 0; i < c->npurges; i++)
        if (strcmp(c->purges[i].name, full) != 0)
            c->purges[k++] = c->purges[i];
    c->npurges = k;
}

/* The caller's pipeline args[0], or NULL after answering 404. */
static const sl_pipeline *lookup(api_call *call)
{
    const char *name = call->args[0];
    const sl_pipeline *p = api_valid_pipeline_name(name)
                               ? sl_meta_pipeline(call->c->meta, call->who.tenant, name)
                               : NULL;
    if (!p)
        api_error(call, 404, "not_found", "pipeline '%.64s' not found", name);
    return p;
}

static int send_summary(api_call *call, int status, const sl_pipeline *p)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *v = d ? api_pipeline_summary(call->c, d, p) : NULL;
    if (!v) {
        yyjson_mut_doc_free(d);
        return SL_ERR_NOMEM;
    }
    yyjson_mut_doc_set_root(d, v);
    return api_send(call, status, d);
}

static yyjson_mut_val *render_summary(api_call *call, yyjson_mut_doc *d, const api_item *it)
{
    return api_pipeline_summary(call->c, d, it->obj);
}

int api_pipeline_list(api_call *call)
{
    api_list l = {0};
    int rc = SL_OK;
    const sl_meta *m = call->c->meta;
    for (size_t i = 0; rc == SL_OK && i < sl_meta_pipeline_count(m); i++) {
        const sl_pipeline *p = sl_meta_pipeline_at(m, i);
        if (strcmp(p->tenant, call->who.tenant) == 0)
            rc = api_list_add(&l, p->name, p, 0);
    }
    if (rc == SL_OK)
        rc = api_list_send(call, &l, render_summary);
    api_list_free(&l);
    return rc;
}

int api_pipeline_get(api_call *call)
{
    const sl_pipeline *p = lookup(call);
    if (!p)
        return SL_OK;
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *v = d ? api_pipeline_detail(call->c, d, p) : NULL;
    if (!v) {
        yyjson_mut_doc_free(d);
        return SL_ERR_NOMEM;
    }
    yyjson_mut_doc_set_root(d, v);
    return api_send(call, 200, d);
}

int api_pipeline_put(api_call *call)
{
    sl_controller *c = call->c;
    const char *tenant = call->who.tenant, *name = call->args[0];
    api_spec in = {0};
    sl_error err;
    char fp[65];
    if (!api_valid_pipeline_name(name))
        return api_error(call, 400, "invalid_argument",
                         "invalid pipeline name '%.64s'; expected 1-63 characters of lowercase "
                         "letters, digits and '-', not starting with '-'",
                         name);
    const sl_tenant *t = sl_meta_tenant(c->meta, tenant);
    if (!t)
        return api_error(call, 404, "not_found", "tenant '%s' not found", tenant);
    int rc = api_spec_read(call, name, &in);
    if (rc)
        goto out;
    const sl_pipeline *old = sl_meta_pipeline(c->meta, tenant, name);
    if (old && api_spec_unchanged(old, &in)) {
        rc = send_summary(call, 200, old);
        goto out;
    }
    if (check_quotas(call, t, old, known_partitions(c, tenant, in.plan->input.topic)))
        goto out;
    if ((rc = api_state_fingerprint(in.plan, fp)) != SL_OK)
        goto out;
    int64_t now = sl_clock_wall_ms();
    sl_pipeline np = {.version = old ? old->version + 1 : 1,
                      .spec_json = in.text,
                      .desired = old ? old->desired : SL_DESIRED_RUNNING,
                      .state_epoch = api_state_epoch(c, old, tenant, name, fp),
                      .created_ms = old ? old->created_ms : now,
                      .updated_ms = now};
    snprintf(np.tenant, sizeof(np.tenant), "%s", tenant);
    snprintf(np.name, sizeof(np.name), "%.63s", name);
    memcpy(np.state_fingerprint, fp, sizeof(fp));
    int created = old == NULL;
    uint32_t old_epoch = old ? old->state_epoch : 0;
    /* old and t are invalid from here on (the catalog changes). */
    sl_error_clear(&err);
    if (sl_meta_put_pipeline(c->meta, &np, &err) != SL_OK) {
        rc = api_catalog_failed(call, &err);
        goto out;
    }
    if (created)
        cancel_purge(c, tenant, name);
    sl_log_info("api", "pipeline %s/%s %s: version %llu, state epoch %u%s", tenant, name,
                created ? "created" : "updated", (unsigned long long)np.version, np.state_epoch,
                !created && np.state_epoch != old_epoch ? " (new state)" : "");
    if ((rc = sl_controller_sync_tasks(c)) != SL_OK)
        goto out;
    call->wake = 1;
    rc = send_summary(call, created ? 201 : 200, sl_meta_pipeline(c->meta, tenant, name));
out:
    api_spec_free(&in);
    return rc < 0 ? rc : SL_OK;
}

int api_pipeline_delete(api_call *call)
{
    sl_controller *c = call->c;
    const char *q = sl_http_request_query(call->req, "purge");
    int purge = 0;
    char topic[sizeof(call->drop_topic)] = "";
    sl_error err;
    if (q && (strcasecmp(q, "true") == 0 || strcmp(q, "1") == 0))
        purge = 1;
    else if (q && strcasecmp(q, "false") != 0 && strcmp(q, "0") != 0)
        return api_error(call, 400, "invalid_argument", "purge must be true or false");
    const sl_pipeline *p = lookup(call);
    if (!p)
        return SL_OK;
    if (purge && p->spec_json) {
        sl_plan *plan = sl_controller_resolve_plan(p->tenant, p->spec_json, strlen(p->spec_json),
                                                   p->state_epoch, &err);
        if (plan && sl_plan_is_stateful(plan))
            sl_pipeline_changelog_topic(plan, topic, sizeof(topic));
        sl_plan_free(plan);
    }
    char tenant[SL_META_NAME_MAX], name[SL_META_NAME_MAX];
    snprintf(tenant, sizeof(tenant), "%s", p->tenant);
    snprintf(name, sizeof(name), "%s", p->name);
    sl_error_clear(&err);
    if (sl_meta_delete_pipeline(c->meta, tenant, name, &err) != SL_OK)
        return api_catalog_failed(call, &err);
    sl_log_info("api", "pipeline %s/%s deleted%s", tenant, name, purge ? " (purge)" : "");
    int rc = sl_controller_sync_tasks(c);
    call->wake = 1;
    if (purge) {
        /* deleted by the dispatcher once the lock is released */
        snprintf(call->drop_topic, sizeof(call->drop_topic), "%s", topic);
        if (sl_controller_add_purge(c, tenant, name) != SL_OK)
            sl_log_error("api", "pipeline %s/%s: out of memory recording the purge", tenant, name);
    }
    return rc != SL_OK ? rc : api_no_content(call);
}

static int set_desired(api_call *call, sl_desired want)
{
    sl_controller *c = call->c;
    sl_error err;
    const sl_pipeline *p = lookup(call);
    if (!p)
        return SL_OK;
    if (p->desired == want)
        return send_summary(call, 200, p);
    if (want == SL_DESIRED_RUNNING) {
        /* A paused pipeline counts no tasks: resuming adds them. */
        const sl_tenant *t = sl_meta_tenant(c->meta, p->tenant);
        int parts = api_pipeline_tasks(c, p);
        size_t after = sl_controller_tenant_tasks_replacing(c, p->tenant, 0, (size_t)parts);
        if (t && t->max_tasks && parts > 0 && after > t->max_tasks)
            return api_error(call, 403, "quota_exceeded",
                             "resuming adds %d task(s), which would bring tenant '%s' to %zu; "
                             "its max_tasks is %u",
                             parts, t->name, after, t->max_tasks);
    }
    sl_pipeline np = *p; /* spec_json borrowed: put copies it */
    np.desired = want;
    np.updated_ms = sl_clock_wall_ms();
    sl_error_clear(&err);
    if (sl_meta_put_pipeline(c->meta, &np, &err) != SL_OK)
        return api_catalog_failed(call, &err);
    sl_log_info("api", "pipeline %s/%s %s", np.tenant, np.name,
                want == SL_DESIRED_PAUSED ? "paused" : "resumed");
    int rc = sl_controller_sync_tasks(c);
    call->wake = 1;
    if (rc != SL_OK)
        return rc;
    return send_summary(call, 200, sl_meta_pipeline(c->meta, np.tenant, np.name));
}

int api_pipeline_pause(api_call *call)
{
    return set_desired(call, SL_DESIRED_PAUSED);
}

int api_pipeline_resume(api_call *call)
{
    return set_desired(call, SL_DESIRED_RUNNING);
}

int api_pipeline_validate(api_call *call)
{
    sl_controller *c = call->c;
    api_spec in = {0};
    sl_buf norm = SL_BUF_INIT;
    yyjson_doc *ndoc = NULL;
    yyjson_mut_doc *d = NULL;
    sl_plan *ns = NULL;
    sl_error err;
    char fp[65];
    int rc = api_spec_read(call, NULL, &in);
    if (rc)
        goto out;
    /* The topics as a PUT of this spec would resolve them now. */
    const sl_pipeline *old = sl_meta_pipeline(c->meta, call->who.tenant, in.plan->name);
    if ((rc = api_state_fingerprint(in.plan, fp)) != SL_OK)
        goto out;
    uint32_t epoch = old && api_spec_unchanged(old, &in)
                         ? old->state_epoch
                         : api_state_epoch(c, old, call->who.tenant, in.plan->name, fp);
    yyjson_mut_val *root, *topics;
    rc = SL_ERR_NOMEM;
    if (!(ns = sl_controller_resolve_plan(call->who.tenant, in.text, in.len, epoch, &err)) ||
        sl_plan_render(in.plan, &norm, NULL) != SL_OK ||
        !(ndoc = yyjson_read(norm.data, norm.len, 0)) || !(d = api_doc_new(&root)) ||
        !(topics = api_plan_topics(d, ns)) || !yyjson_mut_obj_add_bool(d, root, "valid", true) ||
        !yyjson_mut_obj_add_val(d, root, "spec",
                                yyjson_val_mut_copy(d, yyjson_doc_get_root(ndoc))) ||
        !yyjson_mut_obj_add_val(d, root, "topics", topics))
        goto out;
    rc = api_send(call, 200, d);
    d = NULL;
out:
    yyjson_mut_doc_free(d);
    yyjson_doc_free(ndoc);
    sl_buf_free(&norm);
    sl_plan_free(ns);
    api_spec_free(&in);
    return rc < 0 ? rc : SL_OK;
}

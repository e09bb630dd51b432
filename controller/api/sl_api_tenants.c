/* sl_api_tenants — /v1/tenants (admin token) and /v1/tenants/{t}/tokens
 * (admin token, or a token of tenant t: the dispatcher already answered 404
 * to another tenant's token). Runs with c->lock held (see sl_api.c).
 *
 * A token's text is shown once, in the answer to its creation; it is wiped
 * from memory right after and never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/sl_api_internal.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define QUOTA_MAX 1000000
#define DESCRIPTION_MAX 127

size_t api_tenant_pipelines(const sl_meta *m, const char *tenant)
{
    size_t n = 0;
    for (size_t i = 0; i < sl_meta_pipeline_count(m); i++)
        n += strcmp(sl_meta_pipeline_at(m, i)->tenant, tenant) == 0;
    return n;
}

static yyjson_mut_val *tenant_json(sl_controller *c, yyjson_mut_doc *d, const sl_tenant *t)
{
    yyjson_mut_val *o = yyjson_mut_obj(d);
    bool ok = o && yyjson_mut_obj_add_strcpy(d, o, "name", t->name) &&
              yyjson_mut_obj_add_uint(d, o, "max_pipelines", t->max_pipelines) &&
              yyjson_mut_obj_add_uint(d, o, "max_tasks", t->max_tasks) &&
              yyjson_mut_obj_add_uint(d, o, "pipelines", api_tenant_pipelines(c->meta, t->name)) &&
              yyjson_mut_obj_add_uint(d, o, "tasks", sl_controller_tenant_tasks(c, t->name)) &&
              api_add_time(d, o, "created_at", t->created_ms);
    return ok ? o : NULL;
}

static int send_tenant(api_call *call, int status, const sl_tenant *t)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *v = d ? tenant_json(call->c, d, t) : NULL;
    if (!v) {
        yyjson_mut_doc_free(d);
        return SL_ERR_NOMEM;
    }
    yyjson_mut_doc_set_root(d, v);
    return api_send(call, status, d);
}

/* The tenant args[0], or NULL after answering 404. */
static const sl_tenant *lookup(api_call *call)
{
    const sl_tenant *t = api_valid_tenant_name(call->args[0])
                             ? sl_meta_tenant(call->c->meta, call->args[0])
                             : NULL;
    if (!t)
        api_error(call, 404, "not_found", "tenant '%.64s' not found", call->args[0]);
    return t;
}

/* A quota field: absent (dflt), or an integer in 1..QUOTA_MAX. -1 when bad. */
static int64_t quota_field(yyjson_val *obj, const char *key, uint32_t dflt)
{
    yyjson_val *v = yyjson_obj_get(obj, key);
    if (!v)
        return dflt;
    if (!yyjson_is_int(v) || yyjson_get_sint(v) < 1 || yyjson_get_sint(v) > QUOTA_MAX)
        return -1;
    return yyjson_get_sint(v);
}

int api_tenant_create(api_call *call)
{
    static const char *const known[] = {"name", "max_pipelines", "max_tasks", NULL};
    sl_controller *c = call->c;
    yyjson_doc *doc = NULL;
    sl_error err;
    int rc = api_read_body(call, 0, &doc);
    if (rc)
        return rc < 0 ? rc : SL_OK;
    yyjson_val *root = yyjson_doc_get_root(doc);
    if (api_check_object(call, root, "tenant", known))
        goto out;
    const char *name = yyjson_get_str(yyjson_obj_get(root, "name"));
    int64_t maxp = quota_field(root, "max_pipelines", c->cfg.default_max_pipelines);
    int64_t maxt = quota_field(root, "max_tasks", c->cfg.default_max_tasks);
    if (!name) {
        rc = api_error(call, 400, "invalid_argument", "the tenant needs a \"name\" (a string)");
        goto out;
    }
    if (!api_valid_tenant_name(name)) {
        rc = api_error(call, 400, "invalid_argument",
                       "invalid tenant name '%.64s'; expected 1-32 characters of lowercase "
                       "letters, digits and '-', not starting with '-'",
                       name);
        goto out;
    }
    if (maxp < 0 || maxt < 0) {
        rc = api_error(call, 400, "invalid_argument", "%s must be an integer from 1 to %d",
                       maxp < 0 ? "max_pipelines" : "max_tasks", QUOTA_MAX);
        goto out;
    }
    if (sl_meta_tenant(c->meta, name)) {
        rc = api_error(call, 409, "conflict", "tenant '%s' already exists", name);
        goto out;
    }
    sl_tenant t = {.max_pipelines = (uint32_t)maxp,
                   .max_tasks = (uint32_t)maxt,
                   .created_ms = sl_clock_wall_ms()};
    snprintf(t.name, sizeof(t.name), "%s", name);
    sl_error_clear(&err);
    if (sl_meta_put_tenant(c->meta, &t, &err) != SL_OK) {
        rc = api_catalog_failed(call, &err);
        goto out;
    }
    sl_log_info("api", "tenant %s created (max_pipelines %u, max_tasks %u)", t.name,
                t.max_pipelines, t.max_tasks);
    rc = send_tenant(call, 201, sl_meta_tenant(c->meta, t.name));
out:
    yyjson_doc_free(doc);
    return rc;
}

static yyjson_mut_val *render_tenant(api_call *call, yyjson_mut_doc *d, const api_item *it)
{
    return tenant_json(call->c, d, it->obj);
}

int api_tenant_list(api_call *call)
{
    api_list l = {0};
    int rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < sl_meta_tenant_count(call->c->meta); i++) {
        const sl_tenant *t = sl_meta_tenant_at(call->c->meta, i);
        rc = api_list_add(&l, t->name, t, 0);
    }
    if (rc == SL_OK)
        rc = api_list_send(call, &l, render_tenant);
    api_list_free(&l);
    return rc;
}

int api_tenant_get(api_call *call)
{
    const sl_tenant *t = lookup(call);
    return t ? send_tenant(call, 200, t) : SL_OK;
}

int api_tenant_delete(api_call *call)
{
    sl_error err;
    const sl_tenant *t = lookup(call);
    if (!t)
        return SL_OK;
    size_t n = api_tenant_pipelines(call->c->meta, t->name);
    if (n)
        return api_error(call, 409, "conflict",
                         "tenant '%s' still has %zu pipeline(s); delete them first", t->name, n);
    char name[SL_META_NAME_MAX];
    snprintf(name, sizeof(name), "%s", t->name);
    sl_error_clear(&err);
    if (sl_meta_delete_tenant(call->c->meta, name, &err) != SL_OK)
        return api_catalog_failed(call, &err);
    sl_log_info("api", "tenant %s deleted (its tokens revoked)", name);
    return api_no_content(call);
}

/* ---- tokens ----------------------------------------------------------------- */

static bool add_token_fields(yyjson_mut_doc *d, yyjson_mut_val *o, const sl_token *t)
{
    return yyjson_mut_obj_add_strcpy(d, o, "id", t->id) &&
           yyjson_mut_obj_add_strcpy(d, o, "tenant", t->tenant) &&
           yyjson_mut_obj_add_strcpy(d, o, "description", t->description) &&
           api_add_time(d, o, "created_at", t->created_ms);
}

int api_token_create(api_call *call)
{
    static const char *const known[] = {"description", NULL};
    sl_controller *c = call->c;
    yyjson_doc *doc = NULL;
    yyjson_mut_doc *d = NULL;
    yyjson_mut_val *root;
    const sl_token *tok = NULL;
    char text[SL_TOKEN_TEXT_MAX] = "";
    sl_error err;
    const sl_tenant *t = lookup(call);
    if (!t)
        return SL_OK;
    int rc = api_read_body(call, 1, &doc);
    if (rc)
        return rc < 0 ? rc : SL_OK;
    const char *desc = "";
    if (doc) {
        yyjson_val *body = yyjson_doc_get_root(doc);
        if (api_check_object(call, body, "token request", known))
            goto out;
        yyjson_val *v = yyjson_obj_get(body, "description");
        if (v && (!yyjson_is_str(v) || yyjson_get_len(v) > DESCRIPTION_MAX)) {
            rc = api_error(call, 400, "invalid_argument",
                           "description must be a string of at most %d bytes", DESCRIPTION_MAX);
            goto out;
        }
        if (v)
            desc = yyjson_get_str(v);
    }
    char tenant[SL_META_NAME_MAX];
    snprintf(tenant, sizeof(tenant), "%s", t->name);
    sl_error_clear(&err);
    if (sl_meta_create_token(c->meta, tenant, desc, text, &tok, &err) != SL_OK || !tok) {
        rc = api_catalog_failed(call, &err);
        goto out;
    }
    sl_log_info("api", "tenant %s: token %s created", tenant, tok->id);
    rc = SL_ERR_NOMEM;
    if (!(d = api_doc_new(&root)) || !add_token_fields(d, root, tok) ||
        !yyjson_mut_obj_add_strcpy(d, root, "token", text))
        goto out;
    rc = api_send(call, 201, d);
    d = NULL;
out:
    OPENSSL_cleanse(text, sizeof(text));
    yyjson_mut_doc_free(d);
    yyjson_doc_free(doc);
    return rc;
}

static yyjson_mut_val *render_token(api_call *call, yyjson_mut_doc *d, const api_item *it)
{
    yyjson_mut_val *o = yyjson_mut_obj(d);
    return o && add_token_fields(d, o, it->obj) ? o : NULL;
}

int api_token_list(api_call *call)
{
    const sl_tenant *t = lookup(call);
    if (!t)
        return SL_OK;
    api_list l = {0};
    int rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < sl_meta_token_count(call->c->meta); i++) {
        const sl_token *tok = sl_meta_token_at(call->c->meta, i);
        if (strcmp(tok->tenant, t->name) == 0)
            rc = api_list_add(&l, tok->id, tok, 0);
    }
    if (rc == SL_OK)
        rc = api_list_send(call, &l, render_token);
    api_list_free(&l);
    return rc;
}

int api_token_revoke(api_call *call)
{
    sl_error err;
    const sl_tenant *t = lookup(call);
    if (!t)
        return SL_OK;
    const sl_token *tok = sl_meta_token(call->c->meta, call->args[1]);
    if (!tok || strcmp(tok->tenant, t->name) != 0)
        return api_error(call, 404, "not_found", "token '%.64s' not found", call->args[1]);
    char id[SL_TOKEN_ID_LEN + 1], tenant[SL_META_NAME_MAX];
    snprintf(id, sizeof(id), "%s", tok->id);
    snprintf(tenant, sizeof(tenant), "%s", tok->tenant);
    sl_error_clear(&err);
    if (sl_meta_revoke_token(call->c->meta, id, &err) != SL_OK)
        return api_catalog_failed(call, &err);
    sl_log_info("api", "tenant %s: token %s revoked", tenant, id);
    return api_no_content(call);
}

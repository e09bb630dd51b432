/* sl_api_spec — a pipeline spec as the API receives it, and its state epoch.
 *
 * A spec is read from the request body, given the path's name when it has
 * none, and validated as a worker would validate it (sl_plan_parse_all:
 * every error, then the tenant's namespace). Two specs are the same when
 * their bytes or their canonical renderings are equal.
 *
 * The state fingerprint is the SHA-256 of the stateful steps' canonical
 * rendering (each with its index in steps) plus input.timestamp: what the
 * meaning of stored window and aggregate state depends on. When it changes,
 * the state epoch moves on, which gives the pipeline a new changelog topic
 * and new local state (docs/api.md, "PUT in detail"). Runs with c->lock
 * held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api/sl_api_internal.h"
#include "util/sl_clock.h"
#include "util/sl_hex.h"

#define MAX_SPEC_ERRORS 32

void api_spec_free(api_spec *s)
{
    free(s->text);
    sl_plan_free(s->plan);
    memset(s, 0, sizeof(*s));
}

/* The body as the text to store: PUT may leave "name" out (then the path's
 * name is put first), and must not contradict the path. Returns 0, 1 when it
 * answered 400, or SL_ERR_NOMEM. */
static int spec_text(api_call *call, const char *path_name, api_spec *out)
{
    yyjson_doc *doc = NULL;
    int rc = api_read_body(call, 0, &doc);
    if (rc)
        return rc;
    yyjson_val *root = yyjson_doc_get_root(doc);
    yyjson_val *name = yyjson_is_obj(root) ? yyjson_obj_get(root, "name") : NULL;
    if (path_name && yyjson_is_str(name) && strcmp(yyjson_get_str(name), path_name) != 0) {
        rc = api_error(call, 400, "invalid_argument",
                       "the spec's name '%.64s' differs from '%.64s' in the path",
                       yyjson_get_str(name), path_name);
        rc = rc == SL_OK ? 1 : rc;
    } else if (path_name && yyjson_is_obj(root) && !name) {
        yyjson_mut_doc *m = yyjson_doc_mut_copy(doc, NULL);
        yyjson_mut_val *mroot = m ? yyjson_mut_doc_get_root(m) : NULL;
        if (mroot && yyjson_mut_obj_insert(mroot, yyjson_mut_str(m, "name"),
                                           yyjson_mut_strcpy(m, path_name), 0))
            out->text = yyjson_mut_write(m, 0, &out->len);
        yyjson_mut_doc_free(m);
        rc = out->text ? 0 : SL_ERR_NOMEM;
    } else {
        out->len = call->req->body_len;
        out->text = strndup(call->req->body, out->len);
        rc = out->text ? 0 : SL_ERR_NOMEM;
    }
    yyjson_doc_free(doc);
    return rc;
}

/* Reads and validates the body as a spec of the caller's tenant: JSON, every
 * spec error (400 invalid_spec with details), then the namespace (a topic
 * name too long once prefixed). Returns 0, 1 when it answered, or < 0. */
int api_spec_read(api_call *call, const char *path_name, api_spec *out)
{
    sl_error errs[MAX_SPEC_ERRORS];
    size_t n = 0;
    int rc = spec_text(call, path_name, out);
    if (rc)
        return rc;
    out->plan = sl_plan_parse_all(out->text, out->len, errs, MAX_SPEC_ERRORS, &n);
    if (!out->plan) {
        if (n == 0)
            return SL_ERR_NOMEM;
        rc = api_error_spec(call, errs, n);
        return rc == SL_OK ? 1 : rc;
    }
    sl_plan *ns = sl_controller_resolve_plan(call->who.tenant, out->text, out->len, 0, &errs[0]);
    if (!ns) {
        rc = api_error_spec(call, errs, 1);
        return rc == SL_OK ? 1 : rc;
    }
    sl_plan_free(ns);
    return 0;
}

/* SHA-256 hex of {"timestamp": input.timestamp, "stateful_steps": [{"index":
 * i, "step": <canonical step i>}...]}: what the meaning of stored state
 * depends on. */
int api_state_fingerprint(const sl_plan *plan, char out[65])
{
    sl_buf r = SL_BUF_INIT;
    yyjson_doc *doc = NULL;
    yyjson_mut_doc *m = NULL;
    yyjson_mut_val *root, *arr;
    char *text = NULL;
    size_t len = 0;
    int rc = SL_ERR_NOMEM;
    if (sl_plan_render(plan, &r, NULL) != SL_OK || !(doc = yyjson_read(r.data, r.len, 0)) ||
        !(m = api_doc_new(&root)))
        goto out;
    yyjson_val *steps = yyjson_obj_get(yyjson_doc_get_root(doc), "steps");
    yyjson_val *ts = yyjson_obj_get(yyjson_obj_get(yyjson_doc_get_root(doc), "input"), "timestamp");
    bool ok = (ts ? yyjson_mut_obj_add_val(m, root, "timestamp", yyjson_val_mut_copy(m, ts))
                  : yyjson_mut_obj_add_null(m, root, "timestamp")) &&
              (arr = yyjson_mut_obj_add_arr(m, root, "stateful_steps"));
    for (size_t i = 0; ok && i < plan->nsteps; i++) {
        if (!sl_step_is_stateful(plan->steps[i].op))
            continue;
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(m, arr);
        ok = o && yyjson_mut_obj_add_uint(m, o, "index", i) &&
             yyjson_mut_obj_add_val(m, o, "step",
                                    yyjson_val_mut_copy(m, yyjson_arr_get(steps, i)));
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!ok || !(text = yyjson_mut_write(m, 0, &len)) ||
        !EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        goto out;
    sl_hex_encode(md, sizeof(md), out);
    rc = SL_OK;
out:
    free(text);
    yyjson_mut_doc_free(m);
    yyjson_doc_free(doc);
    sl_buf_free(&r);
    return rc;
}

/* 1 when the stored spec says the same as the new one: the same bytes, or
 * the same canonical rendering. */
int api_spec_unchanged(const sl_pipeline *old, const api_spec *in)
{
    const char *s = old->spec_json ? old->spec_json : "";
    if (strcmp(s, in->text) == 0)
        return 1;
    sl_plan *op = sl_plan_parse(s, strlen(s), NULL);
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    int same = op && sl_plan_render(op, &a, NULL) == SL_OK &&
               sl_plan_render(in->plan, &b, NULL) == SL_OK && a.len == b.len &&
               memcmp(a.data, b.data, a.len) == 0;
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_plan_free(op);
    return same;
}

/* The state epoch a spec with fingerprint fp gets: 0 for a new pipeline (or
 * a fresh one after a recent purge of the name, so it cannot inherit a
 * changelog that was not deleted); kept while the fingerprint stays; else the
 * new version, and never below the old epoch + 1. */
uint32_t api_state_epoch(sl_controller *c, const sl_pipeline *old, const char *tenant,
                           const char *name, const char *fp)
{
    if (!old) {
        char full[2 * SL_META_NAME_MAX];
        snprintf(full, sizeof(full), "%s.%s", tenant, name);
        for (size_t i = 0; i < c->npurges; i++)
            if (strcmp(c->purges[i].name, full) == 0)
                return (uint32_t)(sl_clock_wall_ms() / 1000);
        return 0;
    }
    if (strcmp(fp, old->state_fingerprint) == 0)
        return old->state_epoch;
    uint64_t v = old->version + 1;
    if (v <= (uint64_t)old->state_epoch)
        v = (uint64_t)old->state_epoch + 1;
    return (uint32_t)v;
}


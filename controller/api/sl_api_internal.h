/* sl_api_internal — what the files of controller/api/ share: the request
 * being served (api_call), who sent it (api_principal), the endpoint
 * functions, and the answer, list and JSON helpers of sl_api_json.c.
 *
 * Every endpoint function runs on the HTTP server thread with c->lock held
 * (taken by the dispatcher in sl_api.c after the route matched), fills
 * call->resp (errors included) and returns SL_OK, or a negative SL_ERR_* for
 * a 500. */
#ifndef SL_API_INTERNAL_H
#define SL_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yyjson.h>

#include "api/sl_api.h"

/* Token kinds, as bits so an endpoint can allow several. */
typedef enum api_kind {
    API_ANON = 0,
    API_ADMIN = 1,
    API_TENANT = 2,
    API_WORKER = 4
} api_kind;

typedef struct api_principal {
    api_kind kind;
    char tenant[SL_META_NAME_MAX];       /* tenant tokens: their tenant */
    char token_id[SL_TOKEN_ID_LEN + 1];  /* tenant tokens: their id */
} api_principal;

#define API_MAX_ARGS 2
#define API_ARG_MAX 128

typedef struct api_call {
    sl_controller *c;
    const sl_http_request *req;
    sl_http_response *resp;
    api_principal who;
    char args[API_MAX_ARGS][API_ARG_MAX]; /* the path's {} segments, in order */
    /* work for the dispatcher once the lock is released */
    int wake;                             /* a pipeline changed: wake the tick */
    char drop_topic[256];                 /* a purged changelog to delete ("" none) */
} api_call;

typedef int (*api_fn)(api_call *call);

/* ---- sl_api_auth.c (lock held) ------------------------------------------ */

/* Who sent req: the Authorization header's bearer token compared with the
 * admin and worker token hashes (constant time) and the catalog's tenant
 * tokens. SL_OK; SL_ERR_INVALID (no or malformed header) or SL_ERR_NOT_FOUND
 * (unknown token) with *why set to a static message. Never logs the token. */
int api_auth_principal(sl_controller *c, const sl_http_request *req, api_principal *who,
                       const char **why);

/* The per-token rate limiter (a token bucket of cfg.rate_limit_per_s, burst
 * twice that, keyed by tenant token id, "admin" or "worker"). create: one
 * heap block into c->ratelimit. take: 1 when the request may go on, else 0
 * with *retry_after_s (>= 1) set. */
int api_ratelimit_create(sl_controller *c);
int api_ratelimit_take(sl_controller *c, const api_principal *who, int64_t now_ms,
                       int *retry_after_s);

/* ---- sl_api_json.c ------------------------------------------------------ */

/* Name rules: tenants [a-z0-9][a-z0-9-]{0,31}, pipelines [a-z0-9][a-z0-9-]{0,62}. */
bool api_valid_tenant_name(const char *s);
bool api_valid_pipeline_name(const char *s);

/* An error answer {"error":{"code","message"}}. Returns SL_OK (or NOMEM). */
int api_error(api_call *call, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Logs a failed catalog write and answers 500 internal with its message. */
int api_catalog_failed(api_call *call, const sl_error *err);

/* 400 invalid_spec with "details": one {where, position, message} per error
 * (n >= 1); the message is the first error's, plus how many more follow. */
int api_error_spec(api_call *call, const sl_error *errs, size_t n);

/* A new document whose root is an empty object (*root); NULL without memory. */
yyjson_mut_doc *api_doc_new(yyjson_mut_val **root);

/* Writes d as the answer with status; consumes d (also on failure). */
int api_send(api_call *call, int status, yyjson_mut_doc *d);

/* 204 with an empty body. */
int api_no_content(api_call *call);

/* Adds key: "YYYY-MM-DDTHH:MM:SSZ" from wall-clock ms, or null when ms <= 0. */
bool api_add_time(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key, int64_t ms);

/* Adds key: a copy of s, or null when s is NULL or empty. */
bool api_add_str_or_null(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key, const char *s);

/* Parses the request body as JSON into *out (free with yyjson_doc_free).
 * Returns 0 (with *out NULL only when optional and the body is empty), 1
 * when it answered 400 invalid_json, or SL_ERR_NOMEM. */
int api_read_body(api_call *call, int optional, yyjson_doc **out);

/* Checks that obj is an object whose keys are all in known (NULL-ended).
 * Returns 0, or 1 after answering 400 invalid_argument. what names the body
 * in messages ("tenant"). */
int api_check_object(api_call *call, yyjson_val *obj, const char *what,
                     const char *const *known);

/* A list answer: items are collected with a sort key, sorted, and the page
 * chosen by ?limit= and ?page_token= (an opaque hex form of the last key
 * sent) is rendered with fn. */
typedef struct api_item {
    char *key;       /* owned */
    const void *obj; /* borrowed */
    long aux;
} api_item;

typedef struct api_list {
    api_item *items;
    size_t n, cap;
} api_list;

typedef yyjson_mut_val *(*api_render_fn)(api_call *call, yyjson_mut_doc *d,
                                         const api_item *it);

int api_list_add(api_list *l, const char *key, const void *obj, long aux);
void api_list_free(api_list *l);
/* Answers 200 {"items": [...], "next_page_token": ...}, or 400
 * invalid_argument for a bad limit or page_token. Frees nothing. */
int api_list_send(api_call *call, api_list *l, api_render_fn fn);

/* ---- sl_api_spec.c (lock held) ------------------------------------------ */

/* A spec read from a request: the text to store and its parsed plan. */
typedef struct api_spec {
    char *text;    /* the body, or the body with "name" added (owned) */
    size_t len;
    sl_plan *plan; /* in the tenant's own names (not namespaced) */
} api_spec;

/* Frees and zeroes s. */
void api_spec_free(api_spec *s);

/* Reads the body as a spec of the caller's tenant into out (free with
 * api_spec_free, also on failure). path_name: the PUT path's name (the body
 * may leave "name" out, and must not contradict it), or NULL (validate).
 * Returns 0; 1 when it answered 400 (invalid_json, invalid_argument,
 * invalid_spec with details); or SL_ERR_NOMEM. */
int api_spec_read(api_call *call, const char *path_name, api_spec *out);

/* 1 when old's stored spec has in's bytes or its canonical rendering. */
int api_spec_unchanged(const sl_pipeline *old, const api_spec *in);

/* The state fingerprint of plan, 64 hex digits and a NUL. SL_OK or NOMEM. */
int api_state_fingerprint(const sl_plan *plan, char out[65]);

/* The state epoch of tenant's pipeline name with fingerprint fp replacing old
 * (NULL: created): 0, or a fresh one after a recent purge of the name, for a
 * new pipeline; old's while the fingerprint stays; else the new version (at
 * least old's epoch + 1). */
uint32_t api_state_epoch(sl_controller *c, const sl_pipeline *old, const char *tenant,
                         const char *name, const char *fp);

/* ---- sl_api_pipeline_view.c (lock held) --------------------------------- */

/* The number of tasks pipeline p has now: its input partitions once the tick
 * thread resolved them without error, else 0. */
int api_pipeline_tasks(sl_controller *c, const sl_pipeline *p);

/* {"name", "version", "desired", "state", "tasks_total", "tasks_running",
 * "error", "created_at", "updated_at"}; NULL without memory. */
yyjson_mut_val *api_pipeline_summary(sl_controller *c, yyjson_mut_doc *d, const sl_pipeline *p);

/* The summary plus "spec", "topics", "state_epoch" and "tasks". */
yyjson_mut_val *api_pipeline_detail(sl_controller *c, yyjson_mut_doc *d, const sl_pipeline *p);

/* {"input", "outputs", "dead_letter", "changelog"} of a namespaced plan. */
yyjson_mut_val *api_plan_topics(yyjson_mut_doc *d, const sl_plan *plan);

/* One task of p: with_ids adds "tenant" and "pipeline" first (GET
 * /v1/tasks); detail adds "committed_offset" and "messages_per_second". */
yyjson_mut_val *api_task_json(sl_controller *c, yyjson_mut_doc *d, const sl_pipeline *p,
                              int partition, int with_ids, int detail);

/* ---- sl_api_tenants.c (lock held) --------------------------------------- */

/* The number of pipelines tenant has in the catalog m. */
size_t api_tenant_pipelines(const sl_meta *m, const char *tenant);

/* ---- endpoints ---------------------------------------------------------- */

int api_tenant_create(api_call *call);
int api_tenant_list(api_call *call);
int api_tenant_get(api_call *call);
int api_tenant_delete(api_call *call);
int api_token_create(api_call *call);
int api_token_list(api_call *call);
int api_token_revoke(api_call *call);

int api_pipeline_list(api_call *call);
int api_pipeline_get(api_call *call);
int api_pipeline_put(api_call *call);
int api_pipeline_delete(api_call *call);
int api_pipeline_pause(api_call *call);
int api_pipeline_resume(api_call *call);
int api_pipeline_validate(api_call *call);

int api_workers_list(api_call *call);
int api_tasks_list(api_call *call);

/* The embedded docs/api/openapi.yaml (generated by cmake/EmbedFile.cmake). */
extern const char sl_api_openapi_yaml[];
extern const size_t sl_api_openapi_yaml_len;

#endif

/* sl_api — registration and dispatch of the REST API v1 (docs/api.md).
 *
 * The HTTP server knows only a handful of "*" routes (/v1/tenants,
 * /v1/pipelines, ... and the paths under them); the table below maps method
 * and path pattern to an endpoint, so that a wrong method earns a 405 whose
 * Allow header is right for that exact path (the server's own per-path check
 * cannot tell /v1/pipelines/x from /v1/pipelines/x/pause).
 *
 * Every request then passes the same checks, in this order: 404 (no such
 * path), 405 (wrong method), 503 (catalog not loaded), 401 (no or unknown
 * token), 429 (rate limit of that token), 403 (wrong kind of token), 404
 * (another tenant's tokens path); then the endpoint runs with c->lock held.
 * Kafka topic deletion and waking the tick thread happen after the lock is
 * released. All of it runs on the HTTP server's single thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/sl_api_internal.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define DROP_TOPIC_TIMEOUT_MS 10000
#define PATH_MAX_LEN 512

typedef struct api_endpoint {
    const char *method;
    const char *pattern; /* "{}" stands for one path segment, captured in args */
    unsigned kinds;      /* api_kind bits allowed */
    int own_tenant;      /* a tenant token only for its own tenant (args[0]) */
    api_fn fn;
} api_endpoint;

/* Order matters only where two patterns match one path: the first entry with
 * the request's method wins (POST /v1/pipelines/validate is not a pipeline). */
static const api_endpoint endpoints[] = {
    {"POST", "/v1/tenants", API_ADMIN, 0, api_tenant_create},
    {"GET", "/v1/tenants", API_ADMIN, 0, api_tenant_list},
    {"GET", "/v1/tenants/{}", API_ADMIN, 0, api_tenant_get},
    {"DELETE", "/v1/tenants/{}", API_ADMIN, 0, api_tenant_delete},
    {"POST", "/v1/tenants/{}/tokens", API_ADMIN | API_TENANT, 1, api_token_create},
    {"GET", "/v1/tenants/{}/tokens", API_ADMIN | API_TENANT, 1, api_token_list},
    {"DELETE", "/v1/tenants/{}/tokens/{}", API_ADMIN | API_TENANT, 1, api_token_revoke},
    {"POST", "/v1/pipelines/validate", API_TENANT, 0, api_pipeline_validate},
    {"GET", "/v1/pipelines", API_TENANT, 0, api_pipeline_list},
    {"PUT", "/v1/pipelines/{}", API_TENANT, 0, api_pipeline_put},
    {"GET", "/v1/pipelines/{}", API_TENANT, 0, api_pipeline_get},
    {"DELETE", "/v1/pipelines/{}", API_TENANT, 0, api_pipeline_delete},
    {"POST", "/v1/pipelines/{}/pause", API_TENANT, 0, api_pipeline_pause},
    {"POST", "/v1/pipelines/{}/resume", API_TENANT, 0, api_pipeline_resume},
    {"GET", "/v1/workers", API_ADMIN | API_TENANT, 0, api_workers_list},
    {"GET", "/v1/tasks", API_ADMIN | API_TENANT, 0, api_tasks_list},
};

#define NENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

/* The server routes that lead to api_handle. */
static const char *const server_paths[] = {"/v1/tenants",   "/v1/tenants/*", "/v1/pipelines",
                                           "/v1/pipelines/*", "/v1/workers",  "/v1/tasks"};

/* Matches path against pattern segment by segment; fills args with the
 * segments under "{}" (non-empty, shorter than API_ARG_MAX). */
static int pattern_match(const char *pattern, const char *path, char args[][API_ARG_MAX])
{
    int nargs = 0;
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return 0;
        pattern++, path++;
        size_t plen = strcspn(pattern, "/"), slen = strcspn(path, "/");
        if (plen == 2 && strncmp(pattern, "{}", 2) == 0) {
            if (slen == 0 || slen >= API_ARG_MAX || nargs >= API_MAX_ARGS)
                return 0;
            memcpy(args[nargs], path, slen);
            args[nargs++][slen] = '\0';
        } else if (plen != slen || strncmp(pattern, path, plen) != 0) {
            return 0;
        }
        pattern += plen, path += slen;
    }
    return !*pattern && !*path;
}

/* The endpoint for method+path, or NULL with *path_known set when the path
 * exists under other methods (listed in allow). */
static const api_endpoint *route(const char *method, const char *path, api_call *call,
                                 int *path_known, char *allow, size_t allow_size)
{
    const api_endpoint *found = NULL;
    char args[API_MAX_ARGS][API_ARG_MAX];
    *path_known = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < NENDPOINTS; i++) {
        const api_endpoint *e = &endpoints[i];
        if (!pattern_match(e->pattern, path, args))
            continue;
        *path_known = 1;
        if (!found && strcmp(e->method, method) == 0) {
            found = e;
            memcpy(call->args, args, sizeof(args));
        }
        if (!strstr(allow, e->method)) {
            size_t used = strlen(allow);
            snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", e->method);
        }
    }
    return found;
}

static const char *kinds_text(unsigned kinds)
{
    switch (kinds) {
    case API_ADMIN: return "the admin token";
    case API_TENANT: return "a tenant token";
    case API_ADMIN | API_TENANT: return "the admin token or a tenant token";
    default: return "another kind of token";
    }
}

/* The checks every endpoint shares, then the endpoint (lock held). */
static int serve_locked(api_call *call, const api_endpoint *e)
{
    sl_controller *c = call->c;
    const char *why = NULL;
    if (!c->ready)
        return api_error(call, 503, "not_ready", "the catalog is still loading; retry shortly");
    if (api_auth_principal(c, call->req, &call->who, &why) != SL_OK) {
        sl_http_response_header(call->resp, "WWW-Authenticate", "Bearer");
        return api_error(call, 401, "unauthorized", "%s", why);
    }
    int retry_after = 1;
    if (!api_ratelimit_take(c, &call->who, sl_clock_mono_ms(), &retry_after)) {
        char v[16];
        snprintf(v, sizeof(v), "%d", retry_after);
        sl_http_response_header(call->resp, "Retry-After", v);
        return api_error(call, 429, "rate_limited",
                         "more than %.0f requests per second with this token; retry in %d s",
                         c->cfg.rate_limit_per_s, retry_after);
    }
    if (!(call->who.kind & e->kinds))
        return api_error(call, 403, "forbidden", "%s %s needs %s", e->method, e->pattern,
                         kinds_text(e->kinds));
    if (e->own_tenant && call->who.kind == API_TENANT &&
        strcmp(call->args[0], call->who.tenant) != 0)
        return api_error(call, 404, "not_found", "tenant '%.64s' not found", call->args[0]);
    return e->fn(call);
}

static int api_handle(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    sl_controller *c = ud;
    api_call call = {.c = c, .req = req, .resp = resp};
    char allow[64];
    int path_known = 0;
    if (c->m_requests)
        sl_counter_inc(c->m_requests);
    const api_endpoint *e = strlen(req->path) < PATH_MAX_LEN
                                ? route(req->method, req->path, &call, &path_known, allow,
                                        sizeof(allow))
                                : NULL;
    if (!e && !path_known)
        return api_error(&call, 404, "not_found", "no endpoint %.200s", req->path);
    if (!e) {
        sl_http_response_header(resp, "Allow", allow);
        return api_error(&call, 405, "method_not_allowed",
                         "%.16s is not allowed on %.200s (allowed: %s)", req->method, req->path,
                         allow);
    }
    pthread_mutex_lock(&c->lock);
    int rc = serve_locked(&call, e);
    pthread_mutex_unlock(&c->lock);

    if (call.drop_topic[0]) {
        /* c->admin belongs to this (the HTTP) thread; a slow Kafka call must
         * not hold the lock. The embedded broker cannot delete topics. */
        sl_error err;
        sl_error_clear(&err);
        int drc = sl_topic_admin_delete_topic(c->admin, call.drop_topic, DROP_TOPIC_TIMEOUT_MS,
                                              &err);
        if (drc == SL_OK)
            sl_log_info("api", "deleted changelog topic %s", call.drop_topic);
        else
            sl_log_warn("api", "could not delete changelog topic %s: %s", call.drop_topic,
                        err.msg[0] ? err.msg : sl_status_name(drc));
    }
    if (call.wake)
        sl_controller_wake(c);
    return rc;
}

/* GET /readyz: 200 once the catalog is loaded, else 503 (no token). */
static int handle_readyz(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    sl_controller *c = ud;
    pthread_mutex_lock(&c->lock);
    int ready = c->ready;
    pthread_mutex_unlock(&c->lock);
    if (!ready)
        return sl_http_response_error(resp, 503, "not_ready", "the catalog is still loading");
    return sl_buf_append_str(&resp->body, "{\"status\":\"ready\"}");
}

/* GET /v1/openapi.yaml: the API's description, embedded at build time. */
static int handle_openapi(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    snprintf(resp->content_type, sizeof(resp->content_type), "application/yaml");
    return sl_buf_append(&resp->body, sl_api_openapi_yaml, sl_api_openapi_yaml_len);
}

int sl_api_register(sl_http_server *http, sl_controller *c, sl_error *err)
{
    if (!http || !c)
        return sl_error_set(err, SL_ERR_INVALID, "sl_api_register: need a server and a controller");
    if (api_ratelimit_create(c) != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    int rc = sl_http_server_route(http, "GET", "/readyz", handle_readyz, c, err);
    if (rc == SL_OK)
        rc = sl_http_server_route(http, "GET", "/v1/openapi.yaml", handle_openapi, c, err);
    for (size_t i = 0; rc == SL_OK && i < sizeof(server_paths) / sizeof(server_paths[0]); i++)
        rc = sl_http_server_route(http, "*", server_paths[i], api_handle, c, err);
    return rc;
}

void sl_api_release(sl_controller *c)
{
    if (!c)
        return;
    free(c->ratelimit);
    c->ratelimit = NULL;
}

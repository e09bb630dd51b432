/* Unit tests for controller/api: the REST API v1 of docs/api.md served over
 * real loopback HTTP (libcurl) by an in-process controller on an embedded
 * broker — authentication (401) and token kinds (403), tenants and tokens,
 * cross-tenant isolation (404), pipelines (create / update / unchanged,
 * detail, pause, resume, delete, purge, validate), spec errors with details,
 * state epochs, quotas, pagination, rate limiting, 405/413/503, the
 * workers and tasks views, and a pipeline reaching "running" through the
 * heartbeat endpoint. The tests share one controller and run in order; each
 * uses its own tenant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <yyjson.h>

#include "api/sl_api.h"
#include "cluster.pb-c.h"
#include "core/sl_cluster_endpoint.h"
#include "core/sl_controller.h"
#include "http/sl_http_server.h"
#include "kafka/sl_embedded_broker.h"
#include "sl_test_http.h"

#define ADMIN "admin-token-for-the-api-tests"
#define WORKER "worker-token-for-the-api-tests"

/* ---- fixture ------------------------------------------------------------------ */

static struct {
    sl_embedded_broker *eb;
    sl_controller *c;
    sl_http_server *http;
    int port;
} F;

static int group_setup(void **state)
{
    sl_error err;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    F.eb = sl_embedded_broker_create(1, &err);
    if (!F.eb) {
        fprintf(stderr, "broker: %s\n", err.msg);
        return -1;
    }
    const char *topics[] = {"acme.sensors:4", "quota.sensors:4", "quota.other:4", "hb.sensors:2"};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
        if (sl_embedded_broker_create_topic_arg(F.eb, topics[i], &err) != SL_OK) {
            fprintf(stderr, "topic: %s\n", err.msg);
            return -1;
        }
    sl_controller_config cfg = {.bootstrap = sl_embedded_broker_bootstrap(F.eb),
                                .lease_ms = 2000,
                                .rate_limit_per_s = 1000,
                                .have_admin = 1,
                                .have_worker = 1};
    sl_meta_hash_token(ADMIN, cfg.admin_hash);
    sl_meta_hash_token(WORKER, cfg.worker_hash);
    F.c = sl_controller_create(&cfg, F.eb, &err);
    if (!F.c || sl_controller_start(F.c, &err) != SL_OK) {
        fprintf(stderr, "controller: %s\n", err.msg);
        return -1;
    }
    sl_http_server_config hc = {.listen = "127.0.0.1:0", .max_body = SL_API_MAX_BODY};
    F.http = sl_http_server_create(&hc, &err);
    if (!F.http || sl_api_register(F.http, F.c, &err) != SL_OK ||
        sl_cluster_endpoint_register(F.http, F.c, &err) != SL_OK) {
        fprintf(stderr, "http: %s\n", err.msg);
        return -1;
    }
    F.port = sl_http_server_port(F.http);
    return 0;
}

static int group_teardown(void **state)
{
    sl_http_server_destroy(F.http);
    sl_api_release(F.c);
    sl_controller_destroy(F.c);
    sl_embedded_broker_destroy(F.eb);
    curl_global_cleanup();
    return 0;
}

/* ---- HTTP client ---------------------------------------------------------------- */

typedef struct reply {
    long status;
    char content_type[128];
    char allow[64];
    char retry_after[16];
    char www_auth[64];
    sl_buf body;
    yyjson_doc *doc;
} reply;

static void reply_free(reply *r)
{
    sl_buf_free(&r->body);
    yyjson_doc_free(r->doc);
    memset(r, 0, sizeof(*r));
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    return sl_buf_append(&r->body, data, size * n) == SL_OK ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    sl_test_header_value(data, size * n, "Allow:", r->allow, sizeof(r->allow));
    sl_test_header_value(data, size * n, "Retry-After:", r->retry_after, sizeof(r->retry_after));
    sl_test_header_value(data, size * n, "WWW-Authenticate:", r->www_auth, sizeof(r->www_auth));
    return size * n;
}

/* One request with an optional raw Authorization value and content type;
 * returns the status (0 when curl failed). A JSON answer is parsed into
 * r->doc. */
static long request(const char *auth, const char *method, const char *path, const char *ctype,
                    const char *body, size_t len, reply *r)
{
    char url[1024], hdr[600];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", F.port, path);
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
    if (auth) {
        snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
        hdrs = curl_slist_append(hdrs, hdr);
    }
    if (ctype) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
        hdrs = curl_slist_append(hdrs, hdr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(r->content_type, sizeof(r->content_type), "%s", ct ? ct : "");
        sl_buf_append(&r->body, "", 0);
        if (r->body.len && strncmp(r->content_type, "application/json", 16) == 0)
            r->doc = yyjson_read(r->body.data, r->body.len, 0);
    } else {
        fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(rc));
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return r->status;
}

/* A JSON request with a bearer token (NULL: none); body may be NULL. */
static long api(const char *token, const char *method, const char *path, const char *body,
                reply *r)
{
    char auth[512];
    if (token)
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    return request(token ? auth : NULL, method, path, body ? "application/json" : NULL, body,
                   body ? strlen(body) : 0, r);
}

static yyjson_val *jget(const reply *r, const char *ptr)
{
    return r->doc ? yyjson_doc_ptr_get(r->doc, ptr) : NULL;
}

static const char *jstr(const reply *r, const char *ptr)
{
    const char *s = yyjson_get_str(jget(r, ptr));
    return s ? s : "(none)";
}

static int64_t jint(const reply *r, const char *ptr)
{
    yyjson_val *v = jget(r, ptr);
    return yyjson_is_int(v) ? yyjson_get_sint(v) : -999;
}

/* Asserts the status and, when code is not NULL, the error code; says which
 * line of the test asked when it fails. */
static void expect_at(int line, const char *token, const char *method, const char *path,
                      const char *body, long status, const char *code)
{
    reply r;
    long got = api(token, method, path, body, &r);
    if (got != status || (code && strcmp(jstr(&r, "/error/code"), code) != 0))
        fprintf(stderr, "line %d: %s %s -> %ld %s\n", line, method, path, got,
                r.body.data ? r.body.data : "");
    assert_int_equal(got, status);
    if (code)
        assert_string_equal(jstr(&r, "/error/code"), code);
    reply_free(&r);
}

#define EXPECT(token, method, path, body, status, code) \
    expect_at(__LINE__, token, method, path, body, status, code)

/* Creates tenant name (extra: more JSON members or "") and a token of it into
 * token (SL_TOKEN_TEXT_MAX). */
static void make_tenant(const char *name, const char *extra, char *token)
{
    char body[256], path[128];
    reply r;
    snprintf(body, sizeof(body), "{\"name\":\"%s\"%s}", name, extra);
    assert_int_equal(api(ADMIN, "POST", "/v1/tenants", body, &r), 201);
    reply_free(&r);
    snprintf(path, sizeof(path), "/v1/tenants/%s/tokens", name);
    assert_int_equal(api(ADMIN, "POST", path, "{\"description\":\"tests\"}", &r), 201);
    snprintf(token, SL_TOKEN_TEXT_MAX, "%s", jstr(&r, "/token"));
    assert_memory_equal(token, "slt_", 4);
    reply_free(&r);
}

static const char *spec_filter(char *buf, size_t size, const char *topic, const char *where)
{
    snprintf(buf, size,
             "{\"input\":{\"topic\":\"%s\"},\"steps\":[{\"op\":\"filter\",\"where\":\"%s\"},"
             "{\"op\":\"to_topic\",\"topic\":\"alerts\"}]}",
             topic, where);
    return buf;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls GET path with token until /ptr equals want (a string), up to 15 s. */
static int wait_for(const char *token, const char *path, const char *ptr, const char *want)
{
    for (int i = 0; i < 150; i++) {
        reply r;
        api(token, "GET", path, NULL, &r);
        int ok = strcmp(jstr(&r, ptr), want) == 0;
        reply_free(&r);
        if (ok)
            return 1;
        sleep_ms(100);
    }
    return 0;
}

/* ---- authentication and token kinds --------------------------------------------- */

static void test_auth_401(void **state)
{
    reply r;
    const char *bad[] = {"Basic YWRtaW46eA==", "Bearer", "Bearer ", "Bearer a b",
                         "Bearer not-a-known-token",
                         "Bearer slt_000000000000_00000000000000000000000000000000"};
    assert_int_equal(request(NULL, "GET", "/v1/tenants", NULL, NULL, 0, &r), 401);
    assert_string_equal(jstr(&r, "/error/code"), "unauthorized");
    assert_string_equal(r.www_auth, "Bearer");
    reply_free(&r);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(request(bad[i], "GET", "/v1/pipelines", NULL, NULL, 0, &r), 401);
        assert_string_equal(jstr(&r, "/error/code"), "unauthorized");
        /* the token is never echoed */
        assert_null(strstr(r.body.data, "not-a-known-token"));
        reply_free(&r);
    }
    /* The scheme is case-insensitive. */
    assert_int_equal(request("bearer " ADMIN, "GET", "/v1/tenants", NULL, NULL, 0, &r), 200);
    reply_free(&r);

    /* No token needed: the API description, /readyz, /healthz. */
    assert_int_equal(api(NULL, "GET", "/v1/openapi.yaml", NULL, &r), 200);
    assert_string_equal(r.content_type, "application/yaml");
    assert_non_null(strstr(r.body.data, "openapi:"));
    /* exactly the file of the source tree (embedded at build time) */
    FILE *f = fopen(SLUICE_SOURCE_DIR "/docs/api/openapi.yaml", "rb");
    if (f) {
        sl_buf want = SL_BUF_INIT;
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            sl_buf_append(&want, chunk, n);
        fclose(f);
        assert_int_equal(r.body.len, want.len);
        assert_memory_equal(r.body.data, want.data, want.len);
        sl_buf_free(&want);
    }
    reply_free(&r);
    assert_int_equal(api(NULL, "GET", "/readyz", NULL, &r), 200);
    reply_free(&r);
    assert_int_equal(api(NULL, "GET", "/healthz", NULL, &r), 200);
    reply_free(&r);
}

static void test_token_kinds_403(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX];
    make_tenant("kinds", "", tok);
    /* admin: tenants, workers, tasks — not pipelines */
    EXPECT(ADMIN, "GET", "/v1/pipelines", NULL, 403, "forbidden");
    EXPECT(ADMIN, "PUT", "/v1/pipelines/p", "{}", 403, "forbidden");
    EXPECT(ADMIN, "POST", "/v1/pipelines/validate", "{}", 403, "forbidden");
    EXPECT(ADMIN, "GET", "/v1/workers", NULL, 200, NULL);
    EXPECT(ADMIN, "GET", "/v1/tasks", NULL, 200, NULL);
    /* tenant: pipelines, own tokens, workers, tasks — not tenants */
    EXPECT(tok, "GET", "/v1/tenants", NULL, 403, "forbidden");
    EXPECT(tok, "POST", "/v1/tenants", "{\"name\":\"x\"}", 403, "forbidden");
    EXPECT(tok, "GET", "/v1/tenants/kinds", NULL, 403, "forbidden");
    EXPECT(tok, "DELETE", "/v1/tenants/kinds", NULL, 403, "forbidden");
    EXPECT(tok, "GET", "/v1/tenants/kinds/tokens", NULL, 200, NULL);
    EXPECT(tok, "GET", "/v1/pipelines", NULL, 200, NULL);
    EXPECT(tok, "GET", "/v1/workers", NULL, 200, NULL);
    EXPECT(tok, "GET", "/v1/tasks", NULL, 200, NULL);
    /* worker: the heartbeat only */
    EXPECT(WORKER, "GET", "/v1/tenants", NULL, 403, "forbidden");
    EXPECT(WORKER, "GET", "/v1/pipelines", NULL, 403, "forbidden");
    EXPECT(WORKER, "GET", "/v1/tenants/kinds/tokens", NULL, 403, "forbidden");
    EXPECT(WORKER, "GET", "/v1/workers", NULL, 403, "forbidden");
    EXPECT(WORKER, "GET", "/v1/tasks", NULL, 403, "forbidden");
}

/* ---- tenants and tokens ------------------------------------------------------------ */

static void test_tenants(void **state)
{
    reply r;
    assert_int_equal(api(ADMIN, "POST", "/v1/tenants", "{\"name\":\"t-one\"}", &r), 201);
    assert_string_equal(jstr(&r, "/name"), "t-one");
    assert_int_equal(jint(&r, "/max_pipelines"), 20); /* defaults from the config */
    assert_int_equal(jint(&r, "/max_tasks"), 64);
    assert_int_equal(jint(&r, "/pipelines"), 0);
    assert_int_equal(jint(&r, "/tasks"), 0);
    assert_int_equal(strlen(jstr(&r, "/created_at")), 20); /* 2026-12-02T10:00:00Z */
    assert_int_equal(jstr(&r, "/created_at")[19], 'Z');
    reply_free(&r);
    assert_int_equal(api(ADMIN, "POST", "/v1/tenants",
                         "{\"name\":\"t-two\",\"max_pipelines\":3,\"max_tasks\":7}", &r),
                     201);
    assert_int_equal(jint(&r, "/max_pipelines"), 3);
    assert_int_equal(jint(&r, "/max_tasks"), 7);
    reply_free(&r);

    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"t-one\"}", 409, "conflict");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"Bad.Name\"}", 400, "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"-x\"}", 400, "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"abcdefghijabcdefghijabcdefghijabc\"}",
           400, "invalid_argument"); /* 33 characters */
    EXPECT(ADMIN, "POST", "/v1/tenants", "{}", 400, "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"q\",\"max_tasks\":0}", 400,
           "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"q\",\"max_tasks\":\"5\"}", 400,
           "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":\"q\",\"colour\":\"red\"}", 400,
           "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "[1]", 400, "invalid_argument");
    EXPECT(ADMIN, "POST", "/v1/tenants", "{\"name\":", 400, "invalid_json");
    EXPECT(ADMIN, "POST", "/v1/tenants", NULL, 400, "invalid_json");

    assert_int_equal(api(ADMIN, "GET", "/v1/tenants/t-two", NULL, &r), 200);
    assert_string_equal(jstr(&r, "/name"), "t-two");
    reply_free(&r);
    EXPECT(ADMIN, "GET", "/v1/tenants/nobody", NULL, 404, "not_found");

    assert_int_equal(api(ADMIN, "DELETE", "/v1/tenants/t-two", NULL, &r), 204);
    assert_int_equal(r.body.len, 0); /* no content */
    reply_free(&r);
    EXPECT(ADMIN, "GET", "/v1/tenants/t-two", NULL, 404, "not_found");
    EXPECT(ADMIN, "DELETE", "/v1/tenants/t-two", NULL, 404, "not_found");
}

static void test_tokens(void **state)
{
    char a[SL_TOKEN_TEXT_MAX], b[SL_TOKEN_TEXT_MAX], path[256];
    reply r;
    make_tenant("tok-a", "", a);
    make_tenant("tok-b", "", b);

    /* A tenant token makes and lists tokens of its own tenant. */
    assert_int_equal(api(a, "POST", "/v1/tenants/tok-a/tokens", NULL, &r), 201);
    char second[SL_TOKEN_TEXT_MAX], id[32];
    snprintf(second, sizeof(second), "%s", jstr(&r, "/token"));
    snprintf(id, sizeof(id), "%s", jstr(&r, "/id"));
    assert_string_equal(jstr(&r, "/tenant"), "tok-a");
    assert_int_equal(strlen(id), SL_TOKEN_ID_LEN);
    reply_free(&r);
    assert_int_equal(api(a, "GET", "/v1/tenants/tok-a/tokens", NULL, &r), 200);
    yyjson_val *items = jget(&r, "/items");
    assert_int_equal(yyjson_arr_size(items), 2);
    assert_null(strstr(r.body.data, "slt_")); /* never shown again */
    assert_null(strstr(r.body.data, "sha256"));
    reply_free(&r);

    /* Another tenant's tokens path is a 404, whatever the method. */
    EXPECT(b, "GET", "/v1/tenants/tok-a/tokens", NULL, 404, "not_found");
    EXPECT(b, "POST", "/v1/tenants/tok-a/tokens", NULL, 404, "not_found");
    snprintf(path, sizeof(path), "/v1/tenants/tok-a/tokens/%s", id);
    EXPECT(b, "DELETE", path, NULL, 404, "not_found");
    /* A token id of another tenant under one's own path is not found either. */
    snprintf(path, sizeof(path), "/v1/tenants/tok-b/tokens/%s", id);
    EXPECT(b, "DELETE", path, NULL, 404, "not_found");
    EXPECT(ADMIN, "DELETE", path, NULL, 404, "not_found");
    EXPECT(ADMIN, "GET", "/v1/tenants/nobody/tokens", NULL, 404, "not_found");
    EXPECT(ADMIN, "POST", "/v1/tenants/nobody/tokens", NULL, 404, "not_found");

    char longdesc[300];
    snprintf(longdesc, sizeof(longdesc), "{\"description\":\"%0200d\"}", 0);
    EXPECT(a, "POST", "/v1/tenants/tok-a/tokens", longdesc, 400, "invalid_argument");
    EXPECT(a, "POST", "/v1/tenants/tok-a/tokens", "{\"descr\":\"x\"}", 400, "invalid_argument");

    /* Revoking makes the token unknown. */
    EXPECT(second, "GET", "/v1/pipelines", NULL, 200, NULL);
    snprintf(path, sizeof(path), "/v1/tenants/tok-a/tokens/%s", id);
    EXPECT(a, "DELETE", path, NULL, 204, NULL);
    EXPECT(second, "GET", "/v1/pipelines", NULL, 401, "unauthorized");
    EXPECT(a, "DELETE", path, NULL, 404, "not_found");
    EXPECT(a, "GET", "/v1/pipelines", NULL, 200, NULL);

    /* Deleting a tenant revokes its tokens. */
    EXPECT(ADMIN, "DELETE", "/v1/tenants/tok-b", NULL, 204, NULL);
    EXPECT(b, "GET", "/v1/pipelines", NULL, 401, "unauthorized");
}

/* ---- pipelines --------------------------------------------------------------------- */

static void test_pipeline_lifecycle(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], spec[1024], named[1200];
    reply r;
    make_tenant("acme", "", tok);
    spec_filter(spec, sizeof(spec), "sensors", "speed > 100");

    assert_int_equal(api(tok, "PUT", "/v1/pipelines/speeding", spec, &r), 201);
    assert_string_equal(jstr(&r, "/name"), "speeding");
    assert_int_equal(jint(&r, "/version"), 1);
    assert_string_equal(jstr(&r, "/desired"), "running");
    assert_true(yyjson_is_null(jget(&r, "/error")));
    reply_free(&r);

    /* The same spec again: unchanged, even with the name written out and
     * defaults spelled differently. */
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/speeding", spec, &r), 200);
    assert_int_equal(jint(&r, "/version"), 1);
    reply_free(&r);
    snprintf(named, sizeof(named),
             "{\"name\":\"speeding\",\"input\":{\"topic\":\"sensors\",\"value_format\":\"json\"},"
             "\"steps\":[{\"op\":\"filter\",\"where\":\"speed > 100\"},"
             "{\"op\":\"to_topic\",\"topic\":\"alerts\"}],\"guarantee\":\"at-least-once\"}");
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/speeding", named, &r), 200);
    assert_int_equal(jint(&r, "/version"), 1);
    reply_free(&r);

    /* Changed: version + 1. */
    spec_filter(spec, sizeof(spec), "sensors", "speed > 120");
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/speeding", spec, &r), 200);
    assert_int_equal(jint(&r, "/version"), 2);
    reply_free(&r);

    /* The body's name must match the path. */
    EXPECT(tok, "PUT", "/v1/pipelines/other", named, 400, "invalid_argument");
    EXPECT(tok, "PUT", "/v1/pipelines/Bad_Name", spec, 400, "invalid_argument");
    EXPECT(tok, "PUT", "/v1/pipelines/speeding", "{\"input\":", 400, "invalid_json");
    EXPECT(tok, "PUT", "/v1/pipelines/speeding", "", 400, "invalid_json");

    /* Detail: the stored spec, resolved topics, tasks once resolved. */
    assert_true(wait_for(tok, "/v1/pipelines/speeding", "/topics/input", "acme.sensors"));
    for (int i = 0; i < 100; i++) {
        api(tok, "GET", "/v1/pipelines/speeding", NULL, &r);
        if (jint(&r, "/tasks_total") == 4)
            break;
        reply_free(&r);
        sleep_ms(100);
    }
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(&r, "/tasks_total"), 4);
    assert_int_equal(yyjson_arr_size(jget(&r, "/tasks")), 4);
    assert_int_equal(jint(&r, "/tasks/3/partition"), 3);
    assert_string_equal(jstr(&r, "/state"), "starting"); /* no worker yet */
    assert_string_equal(jstr(&r, "/spec/name"), "speeding"); /* the name was added */
    assert_string_equal(jstr(&r, "/spec/steps/0/where"), "speed > 120");
    assert_string_equal(jstr(&r, "/topics/outputs/0"), "acme.alerts");
    assert_string_equal(jstr(&r, "/topics/dead_letter"), "acme.speeding.dlq");
    assert_true(yyjson_is_null(jget(&r, "/topics/changelog")));
    assert_int_equal(jint(&r, "/state_epoch"), 0);
    assert_string_equal(jstr(&r, "/tasks/0/state"), "pending");
    reply_free(&r);
    EXPECT(tok, "GET", "/v1/pipelines/nothing", NULL, 404, "not_found");

    /* The tenant counts its pipeline and tasks. */
    assert_int_equal(api(ADMIN, "GET", "/v1/tenants/acme", NULL, &r), 200);
    assert_int_equal(jint(&r, "/pipelines"), 1);
    assert_int_equal(jint(&r, "/tasks"), 4);
    reply_free(&r);
    EXPECT(ADMIN, "DELETE", "/v1/tenants/acme", NULL, 409, "conflict");

    /* Pause and resume change desired, not the version. */
    assert_int_equal(api(tok, "POST", "/v1/pipelines/speeding/pause", NULL, &r), 200);
    assert_string_equal(jstr(&r, "/desired"), "paused");
    assert_string_equal(jstr(&r, "/state"), "paused");
    assert_int_equal(jint(&r, "/version"), 2);
    reply_free(&r);
    assert_int_equal(api(ADMIN, "GET", "/v1/tenants/acme", NULL, &r), 200);
    assert_int_equal(jint(&r, "/tasks"), 0);
    reply_free(&r);
    assert_int_equal(api(tok, "POST", "/v1/pipelines/speeding/pause", NULL, &r), 200);
    assert_string_equal(jstr(&r, "/desired"), "paused");
    reply_free(&r);
    /* an update keeps it paused */
    spec_filter(spec, sizeof(spec), "sensors", "speed > 130");
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/speeding", spec, &r), 200);
    assert_string_equal(jstr(&r, "/desired"), "paused");
    assert_int_equal(jint(&r, "/version"), 3);
    reply_free(&r);
    assert_int_equal(api(tok, "POST", "/v1/pipelines/speeding/resume", NULL, &r), 200);
    assert_string_equal(jstr(&r, "/desired"), "running");
    assert_int_equal(jint(&r, "/version"), 3);
    reply_free(&r);
    EXPECT(tok, "POST", "/v1/pipelines/nothing/pause", NULL, 404, "not_found");
    EXPECT(tok, "POST", "/v1/pipelines/nothing/resume", NULL, 404, "not_found");

    /* Delete. */
    EXPECT(tok, "DELETE", "/v1/pipelines/speeding?purge=maybe", NULL, 400, "invalid_argument");
    EXPECT(tok, "DELETE", "/v1/pipelines/speeding", NULL, 204, NULL);
    EXPECT(tok, "GET", "/v1/pipelines/speeding", NULL, 404, "not_found");
    EXPECT(tok, "DELETE", "/v1/pipelines/speeding", NULL, 404, "not_found");
    assert_int_equal(api(tok, "GET", "/v1/pipelines", NULL, &r), 200);
    assert_int_equal(yyjson_arr_size(jget(&r, "/items")), 0);
    reply_free(&r);
}

static const char *spec_window(char *buf, size_t size, const char *wsize, const char *after)
{
    snprintf(buf, size,
             "{\"input\":{\"topic\":\"sensors\"},\"steps\":["
             "{\"op\":\"filter\",\"where\":\"speed > 1\"},"
             "{\"op\":\"tumbling_window\",\"size\":\"%s\",\"aggregate\":{\"n\":\"count()\"}},"
             "{\"op\":\"to_topic\",\"topic\":\"%s\"}]}",
             wsize, after);
    return buf;
}

static void test_state_epoch_and_purge(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], spec[1024];
    reply r;
    make_tenant("epoch", "", tok);
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/win", spec_window(spec, sizeof(spec), "30s",
                                                                     "out"), &r),
                     201);
    reply_free(&r);
    assert_int_equal(api(tok, "GET", "/v1/pipelines/win", NULL, &r), 200);
    assert_int_equal(jint(&r, "/state_epoch"), 0);
    assert_string_equal(jstr(&r, "/topics/changelog"), "epoch.win.changelog");
    reply_free(&r);

    /* A change outside the stateful steps keeps the epoch. */
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/win",
                         spec_window(spec, sizeof(spec), "30s", "out2"), &r),
                     200);
    assert_int_equal(jint(&r, "/version"), 2);
    reply_free(&r);
    assert_int_equal(api(tok, "GET", "/v1/pipelines/win", NULL, &r), 200);
    assert_int_equal(jint(&r, "/state_epoch"), 0);
    reply_free(&r);

    /* The window's size changes: the epoch becomes the new version. */
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/win",
                         spec_window(spec, sizeof(spec), "1m", "out2"), &r),
                     200);
    assert_int_equal(jint(&r, "/version"), 3);
    reply_free(&r);
    assert_int_equal(api(tok, "GET", "/v1/pipelines/win", NULL, &r), 200);
    assert_int_equal(jint(&r, "/state_epoch"), 3);
    assert_string_equal(jstr(&r, "/topics/changelog"), "epoch.win.s3.changelog");
    reply_free(&r);

    /* Purge: workers are told to drop the state (the embedded broker cannot
     * delete the changelog topic: still 204). */
    EXPECT(tok, "DELETE", "/v1/pipelines/win?purge=true", NULL, 204, NULL);
    pthread_mutex_lock(&F.c->lock);
    int found = 0;
    for (size_t i = 0; i < F.c->npurges; i++)
        found |= strcmp(F.c->purges[i].name, "epoch.win") == 0;
    pthread_mutex_unlock(&F.c->lock);
    assert_true(found);

    /* Created again: the purge is forgotten and the state starts afresh in a
     * new epoch, never the old changelog. */
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/win",
                         spec_window(spec, sizeof(spec), "30s", "out"), &r),
                     201);
    assert_int_equal(jint(&r, "/version"), 1);
    reply_free(&r);
    assert_int_equal(api(tok, "GET", "/v1/pipelines/win", NULL, &r), 200);
    assert_true(jint(&r, "/state_epoch") > 3);
    reply_free(&r);
    pthread_mutex_lock(&F.c->lock);
    found = 0;
    for (size_t i = 0; i < F.c->npurges; i++)
        found |= strcmp(F.c->purges[i].name, "epoch.win") == 0;
    pthread_mutex_unlock(&F.c->lock);
    assert_false(found);
    EXPECT(tok, "DELETE", "/v1/pipelines/win", NULL, 204, NULL);
}

static void test_invalid_spec(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX];
    reply r;
    make_tenant("specs", "", tok);
    const char *bad = "{\"input\":{\"topic\":\"sensors\"},\"steps\":["
                      "{\"op\":\"filter\",\"where\":\"speed > 1\"},"
                      "{\"op\":\"filter\",\"where\":\"speed >\"},"
                      "{\"op\":\"assign\",\"columns\":{\"a\":\"1 +* 2\"}}]}";
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/bad", bad, &r), 400);
    assert_string_equal(jstr(&r, "/error/code"), "invalid_spec");
    assert_true(yyjson_arr_size(jget(&r, "/error/details")) >= 2);
    assert_string_equal(jstr(&r, "/error/details/0/where"), "steps[1].where");
    assert_true(jint(&r, "/error/details/0/position") >= 0);
    assert_non_null(strstr(jstr(&r, "/error/details/1/where"), "steps[2]"));
    assert_non_null(strstr(jstr(&r, "/error/message"), "steps[1].where"));
    reply_free(&r);

    /* A field error has no position. */
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/bad",
                         "{\"input\":{\"topic\":\"sensors\"},\"stpes\":[]}", &r),
                     400);
    assert_string_equal(jstr(&r, "/error/code"), "invalid_spec");
    assert_int_equal(jint(&r, "/error/details/0/position"), -1);
    reply_free(&r);

    /* Valid alone, invalid in the namespace: a topic too long once prefixed. */
    char longtopic[2048], topic[250];
    memset(topic, 't', 249);
    topic[249] = '\0';
    snprintf(longtopic, sizeof(longtopic), "{\"input\":{\"topic\":\"%s\"},\"steps\":[]}", topic);
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/bad", longtopic, &r), 400);
    assert_string_equal(jstr(&r, "/error/code"), "invalid_spec");
    assert_int_equal(yyjson_arr_size(jget(&r, "/error/details")), 1);
    reply_free(&r);
    EXPECT(tok, "GET", "/v1/pipelines/bad", NULL, 404, "not_found");
}

static void test_validate(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], spec[1024];
    reply r;
    make_tenant("valid", "", tok);
    spec_filter(spec, sizeof(spec), "sensors", "speed > 100");
    char named[1200];
    snprintf(named, sizeof(named), "{\"name\":\"v\",%s", spec + 1);
    assert_int_equal(api(tok, "POST", "/v1/pipelines/validate", named, &r), 200);
    assert_true(yyjson_get_bool(jget(&r, "/valid")));
    assert_string_equal(jstr(&r, "/spec/guarantee"), "at-least-once"); /* normalised */
    assert_string_equal(jstr(&r, "/spec/input/value_format"), "json");
    assert_string_equal(jstr(&r, "/topics/input"), "valid.sensors");
    assert_string_equal(jstr(&r, "/topics/dead_letter"), "valid.v.dlq");
    reply_free(&r);
    /* Nothing was stored. */
    EXPECT(tok, "GET", "/v1/pipelines/v", NULL, 404, "not_found");
    /* validate needs the name; errors as for PUT */
    EXPECT(tok, "POST", "/v1/pipelines/validate", spec, 400, "invalid_spec");
    EXPECT(tok, "POST", "/v1/pipelines/validate", "nope", 400, "invalid_json");
    /* A pipeline may be called "validate": only POST is the validator. */
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/validate", spec, &r), 201);
    reply_free(&r);
    EXPECT(tok, "GET", "/v1/pipelines/validate", NULL, 200, NULL);
    EXPECT(tok, "DELETE", "/v1/pipelines/validate", NULL, 204, NULL);
}

static void test_cross_tenant(void **state)
{
    char a[SL_TOKEN_TEXT_MAX], b[SL_TOKEN_TEXT_MAX], spec[1024];
    reply r;
    make_tenant("cross-a", "", a);
    make_tenant("cross-b", "", b);
    spec_filter(spec, sizeof(spec), "sensors", "x > 1");
    EXPECT(a, "PUT", "/v1/pipelines/mine", spec, 201, NULL);
    EXPECT(b, "GET", "/v1/pipelines/mine", NULL, 404, "not_found");
    EXPECT(b, "DELETE", "/v1/pipelines/mine", NULL, 404, "not_found");
    EXPECT(b, "POST", "/v1/pipelines/mine/pause", NULL, 404, "not_found");
    assert_int_equal(api(b, "GET", "/v1/pipelines", NULL, &r), 200);
    assert_int_equal(yyjson_arr_size(jget(&r, "/items")), 0);
    reply_free(&r);
    /* B's pipeline of the same name is its own. */
    EXPECT(b, "PUT", "/v1/pipelines/mine", spec, 201, NULL);
    assert_int_equal(api(a, "GET", "/v1/pipelines/mine", NULL, &r), 200);
    assert_string_equal(jstr(&r, "/topics/input"), "cross-a.sensors");
    assert_int_equal(jint(&r, "/version"), 1);
    reply_free(&r);
    /* B sees only its own tasks (none: cross-b.sensors does not exist). */
    assert_int_equal(api(b, "GET", "/v1/tasks", NULL, &r), 200);
    assert_null(strstr(r.body.data, "cross-a"));
    reply_free(&r);
    EXPECT(a, "DELETE", "/v1/pipelines/mine", NULL, 204, NULL);
    EXPECT(b, "GET", "/v1/pipelines/mine", NULL, 200, NULL);
    EXPECT(b, "DELETE", "/v1/pipelines/mine", NULL, 204, NULL);
}

/* ---- protocol-level errors ---------------------------------------------------------- */

static void test_methods_and_limits(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX];
    reply r;
    make_tenant("limits", "", tok);
    struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"PATCH", "/v1/pipelines/x", "PUT, GET, DELETE"},
        {"POST", "/v1/pipelines/x", "PUT, GET, DELETE"},
        {"GET", "/v1/pipelines/x/pause", "POST"},
        {"DELETE", "/v1/workers", "GET"},
        {"PUT", "/v1/tenants", "POST, GET"},
        {"PUT", "/v1/tenants/limits", "GET, DELETE"},
        {"GET", "/v1/tenants/limits/tokens/abc", "DELETE"},
        {"DELETE", "/v1/pipelines", "GET"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(api(tok, cases[i].method, cases[i].path, NULL, &r), 405);
        assert_string_equal(jstr(&r, "/error/code"), "method_not_allowed");
        assert_string_equal(r.allow, cases[i].allow);
        reply_free(&r);
    }
    EXPECT(tok, "GET", "/v1/nothing", NULL, 404, "not_found");
    EXPECT(tok, "GET", "/v1/pipelines/x/y/z", NULL, 404, "not_found");
    EXPECT(tok, "GET", "/v1/tenants/", NULL, 404, "not_found");

    /* Over 256 KiB: 413 before any check of the body. */
    size_t n = SL_API_MAX_BODY + 10;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    big[0] = '{';
    big[n - 1] = '}';
    assert_int_equal(api(tok, "PUT", "/v1/pipelines/big", big, &r), 413);
    assert_string_equal(jstr(&r, "/error/code"), "payload_too_large");
    reply_free(&r);
    free(big);

    /* 503 while the catalog is not ready. */
    pthread_mutex_lock(&F.c->lock);
    F.c->ready = 0;
    pthread_mutex_unlock(&F.c->lock);
    EXPECT(NULL, "GET", "/readyz", NULL, 503, "not_ready");
    EXPECT(tok, "GET", "/v1/pipelines", NULL, 503, "not_ready");
    pthread_mutex_lock(&F.c->lock);
    F.c->ready = 1;
    pthread_mutex_unlock(&F.c->lock);
    EXPECT(NULL, "GET", "/readyz", NULL, 200, NULL);

    /* Every API request is counted. */
    uint64_t before = sl_counter_value(F.c->m_requests);
    EXPECT(tok, "GET", "/v1/pipelines", NULL, 200, NULL);
    EXPECT(NULL, "GET", "/v1/pipelines", NULL, 401, NULL);
    assert_int_equal(sl_counter_value(F.c->m_requests), before + 2);
}

static void test_rate_limit(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], other[SL_TOKEN_TEXT_MAX];
    make_tenant("rate", "", tok);
    make_tenant("rate-b", "", other);
    pthread_mutex_lock(&F.c->lock);
    F.c->cfg.rate_limit_per_s = 2; /* a burst of 4 */
    pthread_mutex_unlock(&F.c->lock);
    int ok = 0, limited = 0;
    for (int i = 0; i < 12; i++) {
        reply r;
        long s = api(tok, "GET", "/v1/pipelines", NULL, &r);
        if (s == 200)
            ok++;
        if (s == 429) {
            limited++;
            assert_string_equal(jstr(&r, "/error/code"), "rate_limited");
            assert_true(atoi(r.retry_after) >= 1);
        }
        reply_free(&r);
    }
    assert_true(ok >= 4 && ok <= 6);
    assert_int_equal(ok + limited, 12);
    /* Another token has its own bucket. */
    EXPECT(other, "GET", "/v1/pipelines", NULL, 200, NULL);
    pthread_mutex_lock(&F.c->lock);
    F.c->cfg.rate_limit_per_s = 1000;
    pthread_mutex_unlock(&F.c->lock);
    sleep_ms(20);
    EXPECT(tok, "GET", "/v1/pipelines", NULL, 200, NULL);
}

/* ---- lists -------------------------------------------------------------------------- */

static void test_pagination(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], spec[1024], path[1200];
    const char *names[] = {"p-c", "p-a", "p-e", "p-b", "p-d"};
    make_tenant("pages", "", tok);
    spec_filter(spec, sizeof(spec), "nowhere", "x > 1");
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "/v1/pipelines/%s", names[i]);
        EXPECT(tok, "PUT", path, spec, 201, NULL);
    }
    /* limit=1 walks every page, in name order, then a null token. */
    char token[600] = "", seen[64] = "";
    for (int page = 0; page < 10; page++) {
        reply r;
        snprintf(path, sizeof(path), "/v1/pipelines?limit=1%s%s", token[0] ? "&page_token=" : "",
                 token);
        assert_int_equal(api(tok, "GET", path, NULL, &r), 200);
        assert_int_equal(yyjson_arr_size(jget(&r, "/items")), 1);
        strcat(seen, jstr(&r, "/items/0/name"));
        strcat(seen, " ");
        yyjson_val *next = jget(&r, "/next_page_token");
        int last = yyjson_is_null(next);
        if (!last)
            snprintf(token, sizeof(token), "%s", yyjson_get_str(next));
        reply_free(&r);
        if (last)
            break;
    }
    assert_string_equal(seen, "p-a p-b p-c p-d p-e ");
    /* limit=2: pages of 2, 2, 1. */
    reply r;
    assert_int_equal(api(tok, "GET", "/v1/pipelines?limit=2", NULL, &r), 200);
    assert_int_equal(yyjson_arr_size(jget(&r, "/items")), 2);
    assert_true(yyjson_is_str(jget(&r, "/next_page_token")));
    reply_free(&r);
    assert_int_equal(api(tok, "GET", "/v1/pipelines", NULL, &r), 200);
    assert_int_equal(yyjson_arr_size(jget(&r, "/items")), 5);
    assert_true(yyjson_is_null(jget(&r, "/next_page_token")));
    /* a pipeline whose input does not exist is in error, and retried */
    assert_string_equal(jstr(&r, "/items/0/name"), "p-a");
    reply_free(&r);
    assert_true(wait_for(tok, "/v1/pipelines/p-a", "/state", "error"));
    assert_int_equal(api(tok, "GET", "/v1/pipelines/p-a", NULL, &r), 200);
    assert_non_null(strstr(jstr(&r, "/error"), "does not exist"));
    reply_free(&r);

    EXPECT(tok, "GET", "/v1/pipelines?limit=0", NULL, 400, "invalid_argument");
    EXPECT(tok, "GET", "/v1/pipelines?limit=1001", NULL, 400, "invalid_argument");
    EXPECT(tok, "GET", "/v1/pipelines?limit=abc", NULL, 400, "invalid_argument");
    EXPECT(tok, "GET", "/v1/pipelines?page_token=zz", NULL, 400, "invalid_argument");

    /* Tenants page the same way. */
    int total = 0;
    token[0] = '\0';
    for (int page = 0; page < 100; page++) {
        snprintf(path, sizeof(path), "/v1/tenants?limit=1%s%s", token[0] ? "&page_token=" : "",
                 token);
        assert_int_equal(api(ADMIN, "GET", path, NULL, &r), 200);
        total += (int)yyjson_arr_size(jget(&r, "/items"));
        yyjson_val *next = jget(&r, "/next_page_token");
        int last = yyjson_is_null(next);
        if (!last)
            snprintf(token, sizeof(token), "%s", yyjson_get_str(next));
        reply_free(&r);
        if (last)
            break;
    }
    assert_int_equal(api(ADMIN, "GET", "/v1/tenants?limit=1000", NULL, &r), 200);
    assert_int_equal(total, (int)yyjson_arr_size(jget(&r, "/items")));
    assert_true(total >= 5);
    reply_free(&r);
}

/* ---- quotas ----------------------------------------------------------------------- */

static void test_quotas(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], spec[1024], other[1024];
    reply r;
    make_tenant("quota", ",\"max_pipelines\":3,\"max_tasks\":6", tok);
    spec_filter(spec, sizeof(spec), "sensors", "x > 1");
    spec_filter(other, sizeof(other), "other", "x > 1");

    /* p1 has 4 tasks once its input is resolved. */
    EXPECT(tok, "PUT", "/v1/pipelines/p1", spec, 201, NULL);
    for (int i = 0; i < 100; i++) {
        api(tok, "GET", "/v1/pipelines/p1", NULL, &r);
        int64_t n = jint(&r, "/tasks_total");
        reply_free(&r);
        if (n == 4)
            break;
        sleep_ms(100);
    }
    /* p2 on the same (known) input: 8 tasks > 6 */
    EXPECT(tok, "PUT", "/v1/pipelines/p2", spec, 403, "quota_exceeded");
    /* p1's own update is fine: its 4 tasks are replaced, not added */
    spec_filter(spec, sizeof(spec), "sensors", "x > 2");
    EXPECT(tok, "PUT", "/v1/pipelines/p1", spec, 200, NULL);

    /* With p1 paused, p2 fits; resuming p1 then would not. */
    EXPECT(tok, "POST", "/v1/pipelines/p1/pause", NULL, 200, NULL);
    EXPECT(tok, "PUT", "/v1/pipelines/p2", spec, 201, NULL);
    for (int i = 0; i < 100; i++) {
        api(ADMIN, "GET", "/v1/tenants/quota", NULL, &r);
        int64_t n = jint(&r, "/tasks");
        reply_free(&r);
        if (n == 4)
            break;
        sleep_ms(100);
    }
    EXPECT(tok, "POST", "/v1/pipelines/p1/resume", NULL, 403, "quota_exceeded");

    /* An input not known yet: accepted, then the tick thread finds it too
     * big and puts the pipeline in error. */
    EXPECT(tok, "PUT", "/v1/pipelines/p3", other, 201, NULL);
    assert_true(wait_for(tok, "/v1/pipelines/p3", "/state", "error"));
    assert_int_equal(api(tok, "GET", "/v1/pipelines/p3", NULL, &r), 200);
    assert_non_null(strstr(jstr(&r, "/error"), "quota_exceeded"));
    reply_free(&r);

    /* max_pipelines: a fourth one is refused. */
    EXPECT(tok, "PUT", "/v1/pipelines/p4", other, 403, "quota_exceeded");
    EXPECT(tok, "DELETE", "/v1/pipelines/p3", NULL, 204, NULL);
    EXPECT(tok, "PUT", "/v1/pipelines/p4", other, 201, NULL);
    EXPECT(tok, "DELETE", "/v1/pipelines/p4", NULL, 204, NULL);
}

/* The quota count when a pipeline's previous tasks are not in the tenant's
 * count (it was paused while its new version resolved): never wraps. */
static void test_quota_count_no_wrap(void **state)
{
    pthread_mutex_lock(&F.c->lock);
    size_t used = sl_controller_tenant_tasks(F.c, "quota");
    size_t after = sl_controller_tenant_tasks_replacing(F.c, "quota", 0, 2);
    size_t replaced = sl_controller_tenant_tasks_replacing(F.c, "quota", used, 3);
    size_t wrapped = sl_controller_tenant_tasks_replacing(F.c, "quota", used + 4, 1);
    size_t none = sl_controller_tenant_tasks_replacing(F.c, "no-such-tenant", 4, 2);
    pthread_mutex_unlock(&F.c->lock);
    assert_int_equal(after, used + 2);
    assert_int_equal(replaced, 3);
    assert_int_equal(wrapped, 1);
    assert_int_equal(none, 2);
}

/* ---- workers, tasks and a pipeline that runs -------------------------------------- */

/* Sends worker-1's heartbeat reporting the tasks in *run as RUNNING at their
 * version; replaces *run with the new assignment. */
#define MAX_RUN 32

typedef struct running {
    char tenant[MAX_RUN][64], pipeline[MAX_RUN][64];
    uint32_t partition[MAX_RUN];
    uint64_t version[MAX_RUN];
    size_t n;
    uint64_t generation;
} running;

static void heartbeat(running *run)
{
    Sluice__Heartbeat hb = SLUICE__HEARTBEAT__INIT;
    Sluice__TaskStatus st[MAX_RUN], *stp[MAX_RUN];
    Sluice__TaskId ids[MAX_RUN];
    hb.worker_id = "worker-1";
    hb.capacity = MAX_RUN;
    hb.generation_seen = run->generation;
    for (size_t i = 0; i < run->n; i++) {
        sluice__task_status__init(&st[i]);
        sluice__task_id__init(&ids[i]);
        ids[i].tenant = run->tenant[i];
        ids[i].pipeline = run->pipeline[i];
        ids[i].partition = run->partition[i];
        st[i].id = &ids[i];
        st[i].pipeline_version = run->version[i];
        st[i].state = SLUICE__TASK_STATE__TASK_STATE_RUNNING;
        st[i].messages_in = 10 * (i + 1);
        stp[i] = &st[i];
    }
    hb.n_tasks = run->n;
    hb.tasks = stp;
    size_t len = sluice__heartbeat__get_packed_size(&hb);
    uint8_t *buf = malloc(len ? len : 1);
    sluice__heartbeat__pack(&hb, buf);
    reply r;
    assert_int_equal(request("Bearer " WORKER, "POST", "/v1/cluster/heartbeat",
                             "application/x-protobuf", (const char *)buf, len, &r),
                     200);
    free(buf);
    Sluice__Assignment *a =
        sluice__assignment__unpack(NULL, r.body.len, (const uint8_t *)r.body.data);
    assert_non_null(a);
    run->n = 0;
    run->generation = a->generation;
    for (size_t i = 0; i < a->n_tasks && run->n < MAX_RUN; i++, run->n++) {
        snprintf(run->tenant[run->n], 64, "%s", a->tasks[i]->id->tenant);
        snprintf(run->pipeline[run->n], 64, "%s", a->tasks[i]->id->pipeline);
        run->partition[run->n] = a->tasks[i]->id->partition;
        run->version[run->n] = a->tasks[i]->pipeline_version;
    }
    sluice__assignment__free_unpacked(a, NULL);
    reply_free(&r);
}

static void test_workers_tasks_running(void **state)
{
    char tok[SL_TOKEN_TEXT_MAX], spec[1024];
    reply r;
    make_tenant("hb", "", tok);
    spec_filter(spec, sizeof(spec), "sensors", "x > 1");
    EXPECT(tok, "PUT", "/v1/pipelines/live", spec, 201, NULL);

    /* The worker token is for the heartbeat only; others may not send one. */
    EXPECT(tok, "POST", "/v1/cluster/heartbeat", "x", 401, NULL);

    running run = {0};
    heartbeat(&run);
    assert_int_equal(api(ADMIN, "GET", "/v1/workers", NULL, &r), 200);
    assert_string_equal(jstr(&r, "/items/0/id"), "worker-1");
    assert_int_equal(jint(&r, "/items/0/capacity"), MAX_RUN);
    assert_true(jint(&r, "/items/0/lease_expires_in_ms") > 0);
    assert_true(yyjson_is_null(jget(&r, "/next_page_token")));
    reply_free(&r);

    /* Report what is assigned as running until the pipeline runs. */
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        sleep_ms(150);
        heartbeat(&run);
        api(tok, "GET", "/v1/pipelines/live", NULL, &r);
        ok = strcmp(jstr(&r, "/state"), "running") == 0;
        reply_free(&r);
    }
    assert_true(ok);
    assert_int_equal(api(tok, "GET", "/v1/pipelines/live", NULL, &r), 200);
    assert_int_equal(jint(&r, "/tasks_running"), 2);
    assert_string_equal(jstr(&r, "/tasks/1/worker"), "worker-1");
    assert_string_equal(jstr(&r, "/tasks/1/state"), "running");
    assert_true(yyjson_is_int(jget(&r, "/tasks/1/committed_offset")));
    assert_true(yyjson_is_num(jget(&r, "/tasks/1/messages_per_second")));
    reply_free(&r);

    /* GET /v1/tasks: a tenant sees its own tasks, the admin all. */
    assert_int_equal(api(tok, "GET", "/v1/tasks", NULL, &r), 200);
    yyjson_val *items = jget(&r, "/items");
    assert_int_equal(yyjson_arr_size(items), 2);
    assert_string_equal(jstr(&r, "/items/0/tenant"), "hb");
    assert_string_equal(jstr(&r, "/items/0/pipeline"), "live");
    assert_int_equal(jint(&r, "/items/1/partition"), 1);
    assert_string_equal(jstr(&r, "/items/0/state"), "running");
    assert_null(jget(&r, "/items/0/committed_offset"));
    reply_free(&r);
    assert_int_equal(api(ADMIN, "GET", "/v1/tasks?limit=1000", NULL, &r), 200);
    assert_true(yyjson_arr_size(jget(&r, "/items")) > 2);
    assert_non_null(strstr(r.body.data, "\"tenant\":\"quota\""));
    reply_free(&r);
    assert_int_equal(api(ADMIN, "GET", "/v1/tasks?limit=1", NULL, &r), 200);
    assert_int_equal(yyjson_arr_size(jget(&r, "/items")), 1);
    assert_true(yyjson_is_str(jget(&r, "/next_page_token")));
    reply_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_401),
        cmocka_unit_test(test_token_kinds_403),
        cmocka_unit_test(test_tenants),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_pipeline_lifecycle),
        cmocka_unit_test(test_state_epoch_and_purge),
        cmocka_unit_test(test_invalid_spec),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_cross_tenant),
        cmocka_unit_test(test_methods_and_limits),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_quotas),
        cmocka_unit_test(test_quota_count_no_wrap),
        cmocka_unit_test(test_workers_tasks_running),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

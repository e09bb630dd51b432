/* Unit tests for common/http: a real server on a loopback port chosen by the
 * kernel, talked to with libcurl — /metrics content type and body, /healthz
 * 200 and 503, 404, 405 with Allow, 413 for announced and chunked bodies,
 * extra GET/POST routes (exact and prefix), handler failures, bind errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "http/sl_http_server.h"
#include "metrics/sl_metrics.h"
#include "sl_test_http.h"

typedef struct reply {
    long status;
    char content_type[128];
    char allow[64];
    char extra[64]; /* X-Extra, set by the "*" route's handler */
    sl_buf body;
} reply;

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    return sl_buf_append(&r->body, data, size * n) == SL_OK ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    size_t len = size * n;
    sl_test_header_value(data, len, "Allow:", r->allow, sizeof(r->allow));
    sl_test_header_value(data, len, "X-Extra:", r->extra, sizeof(r->extra));
    return len;
}

typedef struct upload {
    const char *data;
    size_t len, pos;
} upload;

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    upload *u = ud;
    size_t k = size * n;
    if (k > u->len - u->pos)
        k = u->len - u->pos;
    memcpy(buf, u->data + u->pos, k);
    u->pos += k;
    return k;
}

/* One request; body may be NULL. chunked sends the body without a length.
 * Returns the curl result; the reply is filled on CURLE_OK. */
static CURLcode http(int port, const char *method, const char *path, const char *body,
                     size_t len, int chunked, reply *r)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    upload u = {body, len, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body && !chunked) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
    }
    /* No "Expect: 100-continue" round trip for bigger bodies. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(r->content_type, sizeof(r->content_type), "%s", ct ? ct : "");
        sl_buf_append(&r->body, "", 0); /* a NUL-terminated body even when empty */
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}

/* ---- fixture ---------------------------------------------------------------- */

typedef struct fixture {
    sl_metrics *metrics;
    sl_counter *counter;
    sl_http_server *server;
    int port;
    int sick;
} fixture;

static int health(void *ud, sl_buf *reason)
{
    fixture *f = ud;
    if (f->sick)
        sl_buf_append_str(reason, "kafka \"broker\" unreachable");
    return f->sick;
}

static int echo(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
    resp->status = 201;
    const char *h = sl_http_request_header(req, "X-Test");
    return sl_buf_printf(&resp->body, "%s %s %zu %s|", req->method, req->path, req->body_len,
                         h ? h : "-") ||
           sl_buf_append(&resp->body, req->body, req->body_len);
}

static int task_status(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    const char *v = sl_http_request_query(req, "verbose");
    return sl_buf_printf(&resp->body, "{\"path\":\"%s\",\"verbose\":\"%s\"}", req->path,
                         v ? v : "");
}

/* A "*" route: answers every method itself, with an extra header. */
static int any_method(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    resp->status = 202;
    if (sl_http_response_header(resp, "X-Extra", "yes") != SL_OK)
        return SL_ERR_INVALID;
    return sl_buf_printf(&resp->body, "any %s", req->method);
}

static int failing(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    sl_buf_append_str(&resp->body, "partial");
    return SL_ERR_IO;
}

static int setup(void **state)
{
    sl_error err;
    fixture *f = calloc(1, sizeof(*f));
    f->metrics = sl_metrics_create(&err);
    sl_label l[] = {{"task", "speeding/3"}};
    f->counter = sl_metrics_counter_create(f->metrics, "sluice_messages_in_total",
                                           "Messages consumed.", l, 1, &err);
    sl_counter_add(f->counter, 7);
    sl_http_server_config cfg = {.listen = "127.0.0.1:0",
                                 .max_body = 1024,
                                 .metrics = f->metrics,
                                 .health = health,
                                 .health_ud = f};
    f->server = sl_http_server_create(&cfg, &err);
    if (!f->server) {
        fprintf(stderr, "server: %s\n", err.msg);
        return -1;
    }
    f->port = sl_http_server_port(f->server);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sl_http_server_destroy(f->server);
    sl_metrics_destroy(f->metrics);
    free(f);
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_metrics_endpoint(void **state)
{
    fixture *f = *state;
    reply r;
    assert_true(f->port > 0 && f->port < 65536);
    assert_int_equal(http(f->port, "GET", "/metrics", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(r.body.data, "# HELP sluice_messages_in_total Messages consumed.\n"
                                     "# TYPE sluice_messages_in_total counter\n"
                                     "sluice_messages_in_total{task=\"speeding/3\"} 7\n");
    sl_buf_free(&r.body);

    /* The next scrape sees new values. */
    sl_counter_inc(f->counter);
    assert_int_equal(http(f->port, "GET", "/metrics", NULL, 0, 0, &r), CURLE_OK);
    assert_non_null(strstr(r.body.data, "{task=\"speeding/3\"} 8\n"));
    sl_buf_free(&r.body);
}

static void test_healthz(void **state)
{
    fixture *f = *state;
    reply r;
    assert_int_equal(http(f->port, "GET", "/healthz", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body.data, "{\"status\":\"ok\"}");
    sl_buf_free(&r.body);

    f->sick = 1;
    assert_int_equal(http(f->port, "GET", "/healthz", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body.data, "{\"status\":\"unavailable\","
                                     "\"reason\":\"kafka \\\"broker\\\" unreachable\"}");
    sl_buf_free(&r.body);
    f->sick = 0;
}

static void test_not_found_and_method(void **state)
{
    fixture *f = *state;
    reply r;
    assert_int_equal(http(f->port, "GET", "/nope", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body.data,
                        "{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint /nope\"}}");
    sl_buf_free(&r.body);

    assert_int_equal(http(f->port, "POST", "/metrics", "x", 1, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET");
    assert_non_null(strstr(r.body.data, "{\"error\":{\"code\":\"method_not_allowed\","));
    sl_buf_free(&r.body);

    assert_int_equal(http(f->port, "DELETE", "/healthz", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 405);
    sl_buf_free(&r.body);
}

static void test_routes(void **state)
{
    fixture *f = *state;
    sl_error err;
    reply r;
    /* Routes can be added while the server runs. */
    assert_int_equal(sl_http_server_route(f->server, "POST", "/echo", echo, NULL, &err), SL_OK);
    assert_int_equal(sl_http_server_route(f->server, "GET", "/tasks/*", task_status, NULL, &err),
                     SL_OK);
    assert_int_equal(sl_http_server_route(f->server, "GET", "/fail", failing, NULL, &err), SL_OK);
    assert_int_equal(sl_http_server_route(f->server, "POST", "/echo", echo, NULL, &err),
                     SL_ERR_EXISTS);
    assert_int_equal(sl_http_server_route(f->server, "GET", "/metrics", echo, NULL, &err),
                     SL_ERR_EXISTS);
    assert_int_equal(sl_http_server_route(f->server, "PATCH", "/x", echo, NULL, &err),
                     SL_ERR_INVALID);
    assert_int_equal(sl_http_server_route(f->server, "GET", "x", echo, NULL, &err),
                     SL_ERR_INVALID);

    assert_int_equal(http(f->port, "POST", "/echo", "{\"a\":1}", 7, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.content_type, "text/plain");
    assert_string_equal(r.body.data, "POST /echo 7 -|{\"a\":1}");
    sl_buf_free(&r.body);

    /* A chunked body within the limit arrives whole. */
    assert_int_equal(http(f->port, "POST", "/echo", "chunked!", 8, 1, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body.data, "POST /echo 8 -|chunked!");
    sl_buf_free(&r.body);

    assert_int_equal(http(f->port, "GET", "/echo", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "POST");
    sl_buf_free(&r.body);

    assert_int_equal(http(f->port, "GET", "/tasks/speeding-3?verbose=yes", NULL, 0, 0, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "{\"path\":\"/tasks/speeding-3\",\"verbose\":\"yes\"}");
    sl_buf_free(&r.body);
    assert_int_equal(http(f->port, "GET", "/tasks", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    sl_buf_free(&r.body);

    assert_int_equal(http(f->port, "GET", "/fail", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 500);
    assert_null(strstr(r.body.data, "partial"));
    assert_non_null(strstr(r.body.data, "\"code\":\"internal\""));
    sl_buf_free(&r.body);

    /* HEAD is served by the GET route, without a body. */
    assert_int_equal(http(f->port, "HEAD", "/healthz", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    sl_buf_free(&r.body);
}

static void test_any_method_route(void **state)
{
    fixture *f = *state;
    sl_error err;
    reply r;
    assert_int_equal(sl_http_server_route(f->server, "*", "/any/*", any_method, NULL, &err),
                     SL_OK);
    assert_int_equal(sl_http_server_route(f->server, "GET", "/any/*", task_status, NULL, &err),
                     SL_OK);
    assert_int_equal(sl_http_server_route(f->server, "*", "/any/*", any_method, NULL, &err),
                     SL_ERR_EXISTS);

    /* A method of its own goes to its route, any other to the "*" route,
     * PATCH included; the extra header goes out. */
    assert_int_equal(http(f->port, "GET", "/any/x", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "{\"path\":\"/any/x\",\"verbose\":\"\"}");
    sl_buf_free(&r.body);
    const char *methods[] = {"PATCH", "DELETE", "POST"};
    for (size_t i = 0; i < 3; i++) {
        char want[32];
        assert_int_equal(http(f->port, methods[i], "/any/x", NULL, 0, 0, &r), CURLE_OK);
        assert_int_equal(r.status, 202);
        snprintf(want, sizeof(want), "any %s", methods[i]);
        assert_string_equal(r.body.data, want);
        assert_string_equal(r.extra, "yes");
        sl_buf_free(&r.body);
    }

    /* Headers are checked: no CR/LF, a name, at most SL_HTTP_MAX_HEADERS. */
    sl_http_response resp = {.status = 200, .body = SL_BUF_INIT};
    assert_int_equal(sl_http_response_header(&resp, "X-A", "a\r\nSet-Cookie: x"), SL_ERR_INVALID);
    assert_int_equal(sl_http_response_header(&resp, "X-A\r\n", "a"), SL_ERR_INVALID);
    assert_int_equal(sl_http_response_header(&resp, "", "a"), SL_ERR_INVALID);
    for (int i = 0; i < SL_HTTP_MAX_HEADERS; i++)
        assert_int_equal(sl_http_response_header(&resp, "X-A", "a"), SL_OK);
    assert_int_equal(sl_http_response_header(&resp, "X-A", "a"), SL_ERR_INVALID);
}

static void test_body_limit(void **state)
{
    fixture *f = *state;
    sl_error err;
    reply r;
    char big[3000];
    memset(big, 'x', sizeof(big));
    sl_http_server_route(f->server, "POST", "/echo", echo, NULL, &err);

    /* Exactly at the limit is accepted. */
    assert_int_equal(http(f->port, "POST", "/echo", big, 1024, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    sl_buf_free(&r.body);

    /* Announced with Content-Length: refused before reading. */
    assert_int_equal(http(f->port, "POST", "/echo", big, sizeof(big), 0, &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body.data, "\"code\":\"payload_too_large\""));
    sl_buf_free(&r.body);

    /* Chunked: counted while it arrives. */
    assert_int_equal(http(f->port, "POST", "/echo", big, sizeof(big), 1, &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    sl_buf_free(&r.body);

    /* The server is still fine afterwards. */
    assert_int_equal(http(f->port, "GET", "/healthz", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    sl_buf_free(&r.body);
}

static void test_listen_errors(void **state)
{
    fixture *f = *state;
    sl_error err;
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->port);
    sl_http_server_config cfg = {.listen = addr};
    assert_null(sl_http_server_create(&cfg, &err));
    assert_int_equal(err.code, SL_ERR_IO);
    assert_non_null(strstr(err.msg, "in use"));

    const char *bad[] = {"127.0.0.1:99999", "host:", "abc", "[::1", "1.2.3.4:-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg.listen = bad[i];
        assert_null(sl_http_server_create(&cfg, &err));
        assert_int_equal(err.code, SL_ERR_INVALID);
    }

    /* A port alone listens on every interface; no metrics means no /metrics. */
    cfg.listen = "0";
    sl_http_server *s = sl_http_server_create(&cfg, &err);
    assert_non_null(s);
    reply r;
    assert_int_equal(http(sl_http_server_port(s), "GET", "/metrics", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    sl_buf_free(&r.body);
    assert_int_equal(http(sl_http_server_port(s), "GET", "/healthz", NULL, 0, 0, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    sl_buf_free(&r.body);
    sl_http_server_destroy(s);
    sl_http_server_destroy(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found_and_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any_method_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_errors, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}

/* sl_http_server — a small embedded HTTP/1.1 server on libmicrohttpd for a
 * process's operational endpoints:
 *
 *   GET /metrics   the sl_metrics registry in Prometheus text format 0.0.4
 *   GET /healthz   200 {"status":"ok"}, or 503 {"status":"unavailable",
 *                  "reason":"..."} when the health callback says so
 *   anything else  handlers registered with sl_http_server_route (GET, POST,
 *                  PUT, DELETE, or "*" for a handler that takes every method,
 *                  PATCH and the like included, and answers 405 itself),
 *                  e.g. a worker's task status, or the controller's REST API
 *
 * Errors are JSON: {"error":{"code":"not_found","message":"..."}} with 404
 * for an unknown path, 405 (and an Allow header) for a known path with the
 * wrong method, 413 for a body over the limit, 500 when a handler fails.
 *
 * One internal thread (libmicrohttpd's polling thread) serves every request
 * and runs the callbacks, one at a time; callbacks must not block for long
 * and must be thread-safe with respect to the rest of the program. */
#ifndef SL_HTTP_SERVER_H
#define SL_HTTP_SERVER_H

#include <stddef.h>

#include "metrics/sl_metrics.h"
#include "util/sl_buf.h"
#include "util/sl_error.h"

typedef struct sl_http_server sl_http_server;

/* What a handler sees; everything is borrowed for the duration of the call. */
typedef struct sl_http_request {
    const char *method; /* "GET", "POST", ... ("HEAD" arrives as "GET") */
    const char *path;   /* without the query string, e.g. "/tasks/speeding-3" */
    const char *body;   /* NUL-terminated; "" when there is none */
    size_t body_len;
    void *conn_;        /* private */
} sl_http_request;

#define SL_HTTP_MAX_HEADERS 4

/* An extra response header (see sl_http_response_header). */
typedef struct sl_http_header {
    char name[40];
    char value[216];
} sl_http_header;

/* What a handler fills. status defaults to 200, content_type to
 * "application/json"; body starts empty and belongs to the server; extra
 * headers (Allow, Retry-After, WWW-Authenticate ...) are added with
 * sl_http_response_header. */
typedef struct sl_http_response {
    int status;
    char content_type[96];
    sl_buf body;
    sl_http_header headers[SL_HTTP_MAX_HEADERS];
    int nheaders;
} sl_http_response;

/* A route handler: returns 0 after filling resp, or a negative SL_ERR_* to
 * make the server answer 500 with a JSON error (resp is then discarded).
 * Runs on the server thread. */
typedef int (*sl_http_handler_fn)(void *ud, const sl_http_request *req, sl_http_response *resp);

/* The health callback: returns 0 when healthy; otherwise non-zero after
 * appending a short human-readable reason to reason. Runs on the server
 * thread for each GET /healthz. */
typedef int (*sl_http_health_fn)(void *ud, sl_buf *reason);

typedef struct sl_http_server_config {
    /* "ADDR:PORT", "PORT" or ":PORT" (all interfaces); "[::1]:PORT" for IPv6.
     * NULL means "0.0.0.0:9464". Port 0 picks a free port: read it back with
     * sl_http_server_port. */
    const char *listen;
    size_t max_body;              /* request body limit in bytes; 0 = 1 MiB */
    sl_metrics *metrics;          /* borrowed; NULL: /metrics answers 404 */
    sl_http_health_fn health;     /* NULL: /healthz is always 200 */
    void *health_ud;
} sl_http_server_config;

#define SL_HTTP_DEFAULT_LISTEN "0.0.0.0:9464"
#define SL_HTTP_DEFAULT_MAX_BODY (1024 * 1024)

/* Binds cfg->listen and starts serving on a new internal thread. Returns a new
 * server; stop and free it with sl_http_server_destroy. NULL with err:
 * SL_ERR_INVALID for a bad listen address, SL_ERR_IO when the address cannot
 * be bound (the message says why, e.g. "Address already in use"). cfg is
 * copied; cfg->metrics and the callbacks' ud must outlive the server. */
sl_http_server *sl_http_server_create(const sl_http_server_config *cfg, sl_error *err);

/* Stops the thread (waiting for a request in progress), closes the socket and
 * frees; NULL is a no-op. */
void sl_http_server_destroy(sl_http_server *s);

/* The TCP port the server listens on (the chosen one when asked for 0). */
int sl_http_server_port(const sl_http_server *s);

/* Registers fn for method ("GET", "POST", "PUT" or "DELETE") on path;
 * method "*" takes every method not registered for that path by name
 * (the handler then answers 405 itself, with an Allow header). A path
 * ending in a slash and a star ("/tasks/" "*") matches every path under that
 * prefix (also "/tasks/a/b"); exact paths win over prefixes, longer prefixes
 * over shorter ones. May be called before or after
 * the server started, from any thread. SL_ERR_EXISTS when method+path is
 * already taken (also /metrics and /healthz), SL_ERR_INVALID on a bad
 * argument. ud is borrowed and must outlive the server. */
int sl_http_server_route(sl_http_server *s, const char *method, const char *path,
                         sl_http_handler_fn fn, void *ud, sl_error *err);

/* A request header (case-insensitive name) or NULL; borrowed for the call. */
const char *sl_http_request_header(const sl_http_request *req, const char *name);

/* A query-string argument ("?limit=10") or NULL; borrowed for the call. */
const char *sl_http_request_query(const sl_http_request *req, const char *name);

/* Fills resp with status and {"error":{"code":code,"message":message}}
 * (strings JSON-escaped). Returns SL_OK or SL_ERR_NOMEM. */
int sl_http_response_error(sl_http_response *resp, int status, const char *code,
                           const char *message);

/* Adds a response header (name and value copied; a CR or LF in either is
 * refused). SL_ERR_INVALID when it does not fit or SL_HTTP_MAX_HEADERS are
 * already set. Content-Type is set through resp->content_type instead. */
int sl_http_response_header(sl_http_response *resp, const char *name, const char *value);

/* Appends s to b as a JSON string literal, quotes included. */
int sl_http_json_append_string(sl_buf *b, const char *s);

#endif

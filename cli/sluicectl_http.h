/* sluicectl_http — sluicectl's HTTP client for the controller's REST API
 * (docs/api.md), on one libcurl easy handle so that the requests of a
 * command (a list's pages) share one connection.
 *
 * A request either gets an answer — any status, its body kept whole — or
 * fails to reach the server (refused, unresolvable, timed out, TLS), which is
 * the caller's "cannot reach the controller" (exit status 3). Answers that
 * say "not now" (sluicectl_http_is_temporary: 429, 503) are retried here, a
 * few times with a growing pause, because the controller refused them before
 * doing anything. The bearer token goes into the Authorization header only:
 * it is never part of a URL or of an error message. Private to cli/. */
#ifndef SLUICECTL_HTTP_H
#define SLUICECTL_HTTP_H

#include <stddef.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"

typedef struct sluicectl_http sluicectl_http;

typedef struct sluicectl_http_response {
    long status; /* HTTP status, e.g. 200 */
    sl_buf body; /* the whole body (NUL-terminated when non-empty) */
} sluicectl_http_response;

#define SLUICECTL_HTTP_RESPONSE_INIT                                                               \
    {                                                                                              \
        0, SL_BUF_INIT                                                                             \
    }

/* Returns a new client for base_url ("http://host:port", a trailing '/' is
 * dropped) sending token (may be NULL: no Authorization header; copied) as a
 * bearer token; NULL with err set when out of memory or libcurl fails to
 * start. Free with sluicectl_http_destroy. */
sluicectl_http *sluicectl_http_create(const char *base_url, const char *token, sl_error *err);

/* Frees h; NULL is a no-op. */
void sluicectl_http_destroy(sluicectl_http *h);

/* The base URL as given (without a trailing '/'), with any "user:password@"
 * replaced by "***@": the form to show in messages. Borrowed from h. */
const char *sluicectl_http_url(const sluicectl_http *h);

/* Sends `method base_url path` (path starts with '/' and holds the escaped
 * query string, if any) with body[0..body_len) as application/json when body
 * is not NULL (a POST without a body sends an empty one), and fills *resp
 * (its body reset first; free with sluicectl_http_response_free).
 * Returns SL_OK when the server answered, whatever the status; SL_ERR_IO
 * (SL_ERR_TIMEOUT when it took too long) when it could not be reached, with
 * err->msg saying which URL and why. */
int sluicectl_http_request(sluicectl_http *h, const char *method, const char *path,
                           const char *body, size_t body_len, sluicectl_http_response *resp,
                           sl_error *err);

/* Frees the response's body; NULL is a no-op. */
void sluicectl_http_response_free(sluicectl_http_response *resp);

/* True for the statuses a request is retried on: 429 (rate limited) and 503
 * (the controller is not ready). The one place that decides it. */
int sluicectl_http_is_temporary(long status);

/* Appends s percent-encoded (everything but A-Z a-z 0-9 - . _ ~) to b, for a
 * path segment or a query value. SL_ERR_NOMEM. */
int sluicectl_http_escape(sl_buf *b, const char *s);

#endif

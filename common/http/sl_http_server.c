/* sl_http_server — embedded HTTP server on libmicrohttpd (see the header).
 *
 * The listening socket is bound here, not by libmicrohttpd, so that a failed
 * bind reports its real reason and port 0 can be read back with getsockname;
 * the socket is then handed over with MHD_OPTION_LISTEN_SOCKET (libmicrohttpd
 * closes it on stop). Requests are served by libmicrohttpd's single internal
 * polling thread: the access callback runs once when the headers are in,
 * once per body chunk, and once more at the end, where the route is chosen
 * and its handler runs. The built-in /metrics and /healthz are ordinary
 * routes, so method checks (405) work the same for every path. The route
 * table is guarded by a mutex because routes may be added while serving. */
#include "http/sl_http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/sl_log.h"

#define MAX_METHOD 8

typedef struct route {
    char method[MAX_METHOD];
    char *path;    /* for a prefix route, the prefix including the final '/' */
    int is_prefix; /* registered with a trailing slash-star */
    sl_http_handler_fn fn;
    void *ud;
} route;

struct sl_http_server {
    struct MHD_Daemon *daemon;
    int port;
    size_t max_body;
    sl_metrics *metrics;
    sl_http_health_fn health;
    void *health_ud;
    pthread_mutex_t lock; /* guards routes / nroutes / cap */
    route *routes;
    size_t nroutes, cap;
};

/* Per-request state, kept in libmicrohttpd's con_cls between callbacks. */
typedef struct req_state {
    sl_buf body;
    int too_large;
    int responded; /* a 413 went out before the body was read */
} req_state;

/* ---- JSON helpers --------------------------------------------------------- */

int sl_http_json_append_string(sl_buf *b, const char *s)
{
    if (sl_buf_append(b, "\"", 1) != SL_OK)
        return SL_ERR_NOMEM;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        int rc;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = sl_buf_append(b, esc, 2);
        } else if (*p == '\n') {
            rc = sl_buf_append(b, "\\n", 2);
        } else if (*p < 0x20) {
            rc = sl_buf_printf(b, "\\u%04x", *p);
        } else {
            rc = sl_buf_append(b, p, 1);
        }
        if (rc != SL_OK)
            return rc;
    }
    return sl_buf_append(b, "\"", 1);
}

int sl_http_response_header(sl_http_response *resp, const char *name, const char *value)
{
    if (!resp || !name || !value || resp->nheaders >= SL_HTTP_MAX_HEADERS || !*name ||
        strlen(name) >= sizeof(resp->headers[0].name) ||
        strlen(value) >= sizeof(resp->headers[0].value) || strpbrk(name, "\r\n: ") ||
        strpbrk(value, "\r\n"))
        return SL_ERR_INVALID;
    sl_http_header *h = &resp->headers[resp->nheaders++];
    snprintf(h->name, sizeof(h->name), "%s", name);
    snprintf(h->value, sizeof(h->value), "%s", value);
    return SL_OK;
}

int sl_http_response_error(sl_http_response *resp, int status, const char *code,
                           const char *message)
{
    resp->status = status;
    snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
    sl_buf_reset(&resp->body);
    if (sl_buf_append_str(&resp->body, "{\"error\":{\"code\":") ||
        sl_http_json_append_string(&resp->body, code) ||
        sl_buf_append_str(&resp->body, ",\"message\":") ||
        sl_http_json_append_string(&resp->body, message) || sl_buf_append_str(&resp->body, "}}"))
        return SL_ERR_NOMEM;
    return SL_OK;
}

/* ---- request accessors ---------------------------------------------------- */

const char *sl_http_request_header(const sl_http_request *req, const char *name)
{
    if (!req || !req->conn_ || !name)
        return NULL;
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn_, MHD_HEADER_KIND, name);
}

const char *sl_http_request_query(const sl_http_request *req, const char *name)
{
    if (!req || !req->conn_ || !name)
        return NULL;
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn_,
                                       MHD_GET_ARGUMENT_KIND, name);
}

/* ---- built-in routes ------------------------------------------------------ */

static int handle_metrics(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    sl_http_server *s = ud;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s", SL_METRICS_CONTENT_TYPE);
    return sl_metrics_render(s->metrics, &resp->body);
}

static int handle_healthz(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    sl_http_server *s = ud;
    sl_buf reason = SL_BUF_INIT;
    int rc = SL_OK;
    int sick = s->health ? s->health(s->health_ud, &reason) : 0;
    if (!sick) {
        rc = sl_buf_append_str(&resp->body, "{\"status\":\"ok\"}");
    } else {
        resp->status = MHD_HTTP_SERVICE_UNAVAILABLE;
        if (sl_buf_append_str(&resp->body, "{\"status\":\"unavailable\",\"reason\":") ||
            sl_http_json_append_string(&resp->body, reason.len ? reason.data : "unhealthy") ||
            sl_buf_append_str(&resp->body, "}"))
            rc = SL_ERR_NOMEM;
    }
    sl_buf_free(&reason);
    return rc;
}

/* ---- routing -------------------------------------------------------------- */

static int method_known(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "DELETE") == 0 || strcmp(m, "*") == 0;
}

int sl_http_server_route(sl_http_server *s, const char *method, const char *path,
                         sl_http_handler_fn fn, void *ud, sl_error *err)
{
    if (!s || !method || !path || !fn || path[0] != '/' || !method_known(method))
        return sl_error_set(err, SL_ERR_INVALID,
                            "route: need GET/POST/PUT/DELETE or *, a path starting with '/' and a "
                            "handler");
    size_t len = strlen(path);
    int is_prefix = len >= 2 && strcmp(path + len - 2, "/*") == 0;
    char *p = strndup(path, is_prefix ? len - 1 : len);
    if (!p)
        return sl_error_set(err, SL_ERR_NOMEM, "route %s %s: out of memory", method, path);
    int rc = SL_OK;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nroutes; i++) {
        const route *r = &s->routes[i];
        if (r->is_prefix == is_prefix && strcmp(r->path, p) == 0 &&
            strcmp(r->method, method) == 0) {
            rc = sl_error_set(err, SL_ERR_EXISTS, "route %s %s is already registered", method,
                              path);
            goto out;
        }
    }
    if (s->nroutes == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        route *nr = realloc(s->routes, cap * sizeof(*nr));
        if (!nr) {
            rc = sl_error_set(err, SL_ERR_NOMEM, "route %s %s: out of memory", method, path);
            goto out;
        }
        s->routes = nr;
        s->cap = cap;
    }
    route *r = &s->routes[s->nroutes++];
    memset(r, 0, sizeof(*r));
    snprintf(r->method, sizeof(r->method), "%s", method);
    r->path = p;
    p = NULL; /* owned by the table now */
    r->is_prefix = is_prefix;
    r->fn = fn;
    r->ud = ud;
out:
    pthread_mutex_unlock(&s->lock);
    free(p);
    return rc;
}

/* Picks the handler for method+path. Exact paths win over prefixes, longer
 * prefixes over shorter ones; on that path a route of the method itself wins
 * over a "*" route. When the path exists only under other methods, returns 0
 * with *found_path set and their names in allow (for 405). */
static int route_find(sl_http_server *s, const char *method, const char *path,
                      sl_http_handler_fn *fn, void **ud, int *found_path, char *allow,
                      size_t allow_size)
{
    int ok = 0;
    size_t best_len = 0;
    int best_exact = 0;
    const route *best = NULL;
    pthread_mutex_lock(&s->lock);
    /* First find the most specific path that matches, whatever the method. */
    for (size_t i = 0; i < s->nroutes; i++) {
        const route *r = &s->routes[i];
        size_t len = strlen(r->path);
        int exact = !r->is_prefix && strcmp(r->path, path) == 0;
        int prefix = r->is_prefix && strncmp(r->path, path, len) == 0;
        if (!exact && !prefix)
            continue;
        if (!best || (exact && !best_exact) || (exact == best_exact && len > best_len)) {
            best = r;
            best_len = len;
            best_exact = exact;
        }
    }
    *found_path = best != NULL;
    allow[0] = '\0';
    if (best) {
        for (size_t i = 0; i < s->nroutes; i++) {
            const route *r = &s->routes[i];
            if (r->is_prefix != best->is_prefix || strcmp(r->path, best->path) != 0)
                continue;
            int any = strcmp(r->method, "*") == 0;
            if ((strcmp(r->method, method) == 0 && ok != 2) || (any && !ok)) {
                *fn = r->fn;
                *ud = r->ud;
                ok = any ? 1 : 2; /* 2: the method's own route, which a "*" never replaces */
            }
            if (any)
                continue;
            size_t used = strlen(allow);
            snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", r->method);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* ---- libmicrohttpd glue --------------------------------------------------- */

static enum MHD_Result send_response(struct MHD_Connection *conn, const sl_http_response *resp,
                                     const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp->body.len, resp->body.len ? resp->body.data : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (int i = 0; i < resp->nheaders && i < SL_HTTP_MAX_HEADERS; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    if (allow && *allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *code,
                                  const char *message, const char *allow)
{
    sl_http_response resp = {.status = status, .body = SL_BUF_INIT};
    enum MHD_Result ret = MHD_NO;
    if (sl_http_response_error(&resp, status, code, message) == SL_OK)
        ret = send_response(conn, &resp, allow);
    sl_buf_free(&resp.body);
    return ret;
}

static enum MHD_Result dispatch(sl_http_server *s, struct MHD_Connection *conn, const char *url,
                                const char *method, req_state *st)
{
    char allow[64], msg[160];
    sl_http_handler_fn fn = NULL;
    void *ud = NULL;
    int found_path = 0;
    /* libmicrohttpd drops the body of a HEAD response itself. */
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    if (!route_find(s, m, url, &fn, &ud, &found_path, allow, sizeof(allow))) {
        if (found_path) {
            snprintf(msg, sizeof(msg), "%s is not allowed on %s (allowed: %s)", method, url, allow);
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", msg, allow);
        }
        snprintf(msg, sizeof(msg), "no endpoint %s", url);
        return send_error(conn, MHD_HTTP_NOT_FOUND, "not_found", msg, NULL);
    }
    if (sl_buf_reserve(&st->body, 0) != SL_OK)
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory", NULL);
    st->body.data[st->body.len] = '\0'; /* handlers may treat the body as a string */
    sl_http_request req = {.method = m,
                           .path = url,
                           .body = st->body.data,
                           .body_len = st->body.len,
                           .conn_ = conn};
    sl_http_response resp = {.status = MHD_HTTP_OK, .body = SL_BUF_INIT};
    snprintf(resp.content_type, sizeof(resp.content_type), "application/json");
    enum MHD_Result ret;
    int rc = fn(ud, &req, &resp);
    if (rc != SL_OK) {
        sl_log_warn("http", "%s %s: handler failed: %s", method, url, sl_status_name(rc));
        ret = send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", sl_status_name(rc),
                         NULL);
    } else {
        ret = send_response(conn, &resp, NULL);
    }
    sl_buf_free(&resp.body);
    return ret;
}

static enum MHD_Result send_too_large(sl_http_server *s, struct MHD_Connection *conn)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "request body larger than %zu bytes", s->max_body);
    return send_error(conn, 413, "payload_too_large", msg, NULL);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    sl_http_server *s = cls;
    req_state *st = *con_cls;
    if (!st) {
        /* Headers are in, the body (if any) is not: refuse an announced
         * oversize body before reading it. */
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->max_body) {
            st->too_large = 1;
            st->responded = 1;
            return send_too_large(s, conn);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* A chunked body has no length up front: count and discard. */
        if (!st->too_large) {
            if (st->body.len + *upload_size > s->max_body) {
                st->too_large = 1;
                sl_buf_free(&st->body);
            } else if (sl_buf_append(&st->body, upload, *upload_size) != SL_OK) {
                return MHD_NO;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->responded)
        return MHD_YES;
    if (st->too_large)
        return send_too_large(s, conn);
    return dispatch(s, conn, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_state *st = *con_cls;
    if (st) {
        sl_buf_free(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    sl_log_warn("http", "%s", line);
}

/* ---- listening socket ----------------------------------------------------- */

/* Splits listen into host (may come back empty: all interfaces) and port. */
static int parse_listen(const char *addr, char *host, size_t host_size, char *port,
                        size_t port_size, sl_error *err)
{
    const char *colon = NULL;
    size_t hlen = 0;
    host[0] = '\0';
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':')
            goto bad;
        hlen = (size_t)(end - addr - 1);
        if (hlen >= host_size)
            goto bad;
        memcpy(host, addr + 1, hlen);
        host[hlen] = '\0';
        colon = end + 1;
    } else if ((colon = strrchr(addr, ':')) != NULL) {
        hlen = (size_t)(colon - addr);
        if (hlen >= host_size)
            goto bad;
        memcpy(host, addr, hlen);
        host[hlen] = '\0';
    }
    const char *p = colon ? colon + 1 : addr;
    char *end = NULL;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (!*p || *end || errno || v < 0 || v > 65535 || strlen(p) >= port_size)
        goto bad;
    snprintf(port, port_size, "%ld", v);
    return SL_OK;
bad:
    return sl_error_set(err, SL_ERR_INVALID,
                        "invalid listen address '%s' (want ADDR:PORT, :PORT or PORT)", addr);
}

static int bind_listen(const char *addr, int *out_fd, int *out_port, int *out_family,
                       sl_error *err)
{
    char host[256], port[8];
    struct addrinfo hints, *res = NULL;
    int fd = -1, rc;
    if ((rc = parse_listen(addr, host, sizeof(host), port, sizeof(port), err)) != SL_OK)
        return rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] ? host : "0.0.0.0", port, &hints, &res);
    if (gai != 0)
        return sl_error_set(err, SL_ERR_INVALID, "listen address '%s': %s", addr,
                            gai_strerror(gai));
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        rc = sl_error_set(err, SL_ERR_IO, "listen on %s: socket: %s", addr, strerror(errno));
        goto fail;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        rc = sl_error_set(err, SL_ERR_IO, "listen on %s: %s", addr, strerror(errno));
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        rc = sl_error_set(err, SL_ERR_IO, "listen on %s: getsockname: %s", addr,
                          strerror(errno));
        goto fail;
    }
    *out_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *out_family = res->ai_family;
    *out_fd = fd;
    freeaddrinfo(res);
    return SL_OK;
fail:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return rc;
}

/* ---- lifecycle ------------------------------------------------------------ */

sl_http_server *sl_http_server_create(const sl_http_server_config *cfg, sl_error *err)
{
    sl_http_server_config def = {0};
    int fd = -1, family = AF_INET;
    if (!cfg)
        cfg = &def;
    const char *addr = cfg->listen ? cfg->listen : SL_HTTP_DEFAULT_LISTEN;
    sl_http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        sl_error_set(err, SL_ERR_NOMEM, "http server: out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->max_body = cfg->max_body ? cfg->max_body : SL_HTTP_DEFAULT_MAX_BODY;
    s->metrics = cfg->metrics;
    s->health = cfg->health;
    s->health_ud = cfg->health_ud;
    if ((s->metrics && sl_http_server_route(s, "GET", "/metrics", handle_metrics, s, err)) ||
        sl_http_server_route(s, "GET", "/healthz", handle_healthz, s, err))
        goto fail;
    if (bind_listen(addr, &fd, &s->port, &family, err) != SL_OK)
        goto fail;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The logger must come first to catch messages about later options. */
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER,
                                 on_mhd_log, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)128, MHD_OPTION_END);
    if (!s->daemon) {
        /* Not closing fd: libmicrohttpd may have closed it already, and a
         * double close could hit another thread's descriptor. */
        sl_error_set(err, SL_ERR_IO, "http server on %s: libmicrohttpd failed to start", addr);
        goto fail;
    }
    return s;
fail:
    sl_http_server_destroy(s);
    return NULL;
}

void sl_http_server_destroy(sl_http_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* joins the thread, closes the socket */
    for (size_t i = 0; i < s->nroutes; i++)
        free(s->routes[i].path);
    free(s->routes);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int sl_http_server_port(const sl_http_server *s)
{
    return s ? s->port : -1;
}

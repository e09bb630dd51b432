/* sl_api_json — how the REST API answers: JSON errors (with the "details" of
 * an invalid spec), documents written with yyjson, times in ISO-8601, request
 * bodies read and checked, and paginated lists (docs/api.md, "Errors" and
 * "Lists"). Every list is sorted by a key and cut after the key carried in
 * the page token, so a page walk stays correct while items come and go. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/sl_api_internal.h"
#include "util/sl_hex.h"
#include "util/sl_log.h"

#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT 1000
#define PAGE_KEY_MAX 256

static bool valid_name(const char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 1 || len > max || s[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

bool api_valid_tenant_name(const char *s)
{
    return valid_name(s, 32);
}

bool api_valid_pipeline_name(const char *s)
{
    return valid_name(s, 63);
}

/* ---- answers ---------------------------------------------------------------- */

int api_error(api_call *call, int status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_http_response_error(call->resp, status, code, msg);
}

int api_catalog_failed(api_call *call, const sl_error *err)
{
    sl_log_error("api", "catalog write failed: %s", err->msg);
    return api_error(call, 500, "internal", "the catalog write failed: %s", err->msg);
}

yyjson_mut_doc *api_doc_new(yyjson_mut_val **root)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL;
    if (!o) {
        yyjson_mut_doc_free(d);
        return NULL;
    }
    yyjson_mut_doc_set_root(d, o);
    *root = o;
    return d;
}

int api_send(api_call *call, int status, yyjson_mut_doc *d)
{
    size_t len = 0;
    char *text = d ? yyjson_mut_write(d, 0, &len) : NULL;
    yyjson_mut_doc_free(d);
    if (!text)
        return SL_ERR_NOMEM;
    call->resp->status = status;
    snprintf(call->resp->content_type, sizeof(call->resp->content_type), "application/json");
    sl_buf_reset(&call->resp->body);
    int rc = sl_buf_append(&call->resp->body, text, len);
    free(text);
    return rc;
}

int api_no_content(api_call *call)
{
    call->resp->status = 204;
    sl_buf_reset(&call->resp->body);
    return SL_OK;
}

int api_error_spec(api_call *call, const sl_error *errs, size_t n)
{
    char first[SL_ERROR_MSG_MAX + SL_ERROR_WHERE_MAX + 64], msg[sizeof(first) + 64];
    yyjson_mut_val *root, *err, *details;
    yyjson_mut_doc *d = api_doc_new(&root);
    if (!d)
        return SL_ERR_NOMEM;
    sl_error_format(&errs[0], first, sizeof(first));
    if (n > 1)
        snprintf(msg, sizeof(msg), "%s (and %zu more error%s)", first, n - 1, n > 2 ? "s" : "");
    else
        snprintf(msg, sizeof(msg), "%s", first);
    bool ok = (err = yyjson_mut_obj_add_obj(d, root, "error")) &&
              yyjson_mut_obj_add_str(d, err, "code", "invalid_spec") &&
              yyjson_mut_obj_add_strcpy(d, err, "message", msg) &&
              (details = yyjson_mut_obj_add_arr(d, err, "details"));
    for (size_t i = 0; ok && i < n; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(d, details);
        ok = o && yyjson_mut_obj_add_strcpy(d, o, "where", errs[i].where) &&
             yyjson_mut_obj_add_int(d, o, "position", errs[i].pos < 0 ? -1 : errs[i].pos) &&
             yyjson_mut_obj_add_strcpy(d, o, "message", errs[i].msg);
    }
    if (!ok) {
        yyjson_mut_doc_free(d);
        return SL_ERR_NOMEM;
    }
    return api_send(call, 400, d);
}

bool api_add_time(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key, int64_t ms)
{
    if (ms <= 0)
        return yyjson_mut_obj_add_null(d, o, key);
    char buf[40];
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return yyjson_mut_obj_add_null(d, o, key);
    return yyjson_mut_obj_add_strcpy(d, o, key, buf);
}

bool api_add_str_or_null(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key, const char *s)
{
    if (!s || !*s)
        return yyjson_mut_obj_add_null(d, o, key);
    return yyjson_mut_obj_add_strcpy(d, o, key, s);
}

/* ---- request bodies ---------------------------------------------------------- */

int api_read_body(api_call *call, int optional, yyjson_doc **out)
{
    const char *b = call->req->body;
    size_t len = call->req->body_len, i = 0;
    *out = NULL;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i == len) {
        if (optional)
            return 0;
        api_error(call, 400, "invalid_json", "the request body is empty; expected JSON");
        return 1;
    }
    yyjson_read_err rerr;
    yyjson_doc *doc = yyjson_read_opts((char *)b, len, YYJSON_READ_NOFLAG, NULL, &rerr);
    if (!doc) {
        if (rerr.code == YYJSON_READ_ERROR_MEMORY_ALLOCATION)
            return SL_ERR_NOMEM;
        api_error(call, 400, "invalid_json", "the request body is not valid JSON: %s at byte %zu",
                  rerr.msg ? rerr.msg : "syntax error", rerr.pos);
        return 1;
    }
    *out = doc;
    return 0;
}

int api_check_object(api_call *call, yyjson_val *obj, const char *what,
                     const char *const *known)
{
    if (!yyjson_is_obj(obj)) {
        api_error(call, 400, "invalid_argument", "the %s must be a JSON object", what);
        return 1;
    }
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *k;
    while ((k = yyjson_obj_iter_next(&it))) {
        const char *name = yyjson_get_str(k);
        size_t i = 0;
        while (known[i] && strcmp(known[i], name) != 0)
            i++;
        if (!known[i]) {
            api_error(call, 400, "invalid_argument", "unknown field '%.64s' in the %s", name,
                      what);
            return 1;
        }
    }
    return 0;
}

/* ---- lists ------------------------------------------------------------------ */

int api_list_add(api_list *l, const char *key, const void *obj, long aux)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        api_item *items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return SL_ERR_NOMEM;
        l->items = items;
        l->cap = cap;
    }
    char *k = strdup(key);
    if (!k)
        return SL_ERR_NOMEM;
    l->items[l->n++] = (api_item){.key = k, .obj = obj, .aux = aux};
    return SL_OK;
}

void api_list_free(api_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].key);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int item_cmp(const void *a, const void *b)
{
    return strcmp(((const api_item *)a)->key, ((const api_item *)b)->key);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* The page token is the hex form of the last key sent: opaque to clients and
 * free of characters that need escaping in a query string. */
static int page_token_decode(const char *tok, char *key, size_t size)
{
    size_t len = strlen(tok);
    if (len == 0 || len % 2 || len / 2 >= size)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return -1;
        key[i] = (char)(hi << 4 | lo);
    }
    key[len / 2] = '\0';
    return 0;
}

static bool add_page_token(yyjson_mut_doc *d, yyjson_mut_val *root, const char *key)
{
    if (!key)
        return yyjson_mut_obj_add_null(d, root, "next_page_token");
    char tok[2 * PAGE_KEY_MAX + 1];
    size_t len = strlen(key);
    sl_hex_encode((const uint8_t *)key, len < PAGE_KEY_MAX ? len : PAGE_KEY_MAX, tok);
    return yyjson_mut_obj_add_strcpy(d, root, "next_page_token", tok);
}

int api_list_send(api_call *call, api_list *l, api_render_fn fn)
{
    const char *limit_s = sl_http_request_query(call->req, "limit");
    const char *tok = sl_http_request_query(call->req, "page_token");
    long limit = LIST_DEFAULT_LIMIT;
    char after[PAGE_KEY_MAX];
    if (limit_s) {
        char *end = NULL;
        limit = strtol(limit_s, &end, 10);
        if (!*limit_s || *end || limit < 1 || limit > LIST_MAX_LIMIT)
            return api_error(call, 400, "invalid_argument",
                             "limit must be an integer from 1 to %d", LIST_MAX_LIMIT);
    }
    if (tok && *tok && page_token_decode(tok, after, sizeof(after)) != 0)
        return api_error(call, 400, "invalid_argument",
                         "page_token is not a token this API gave out");
    if (l->n)
        qsort(l->items, l->n, sizeof(*l->items), item_cmp);
    size_t i = 0;
    if (tok && *tok)
        while (i < l->n && strcmp(l->items[i].key, after) <= 0)
            i++;

    yyjson_mut_val *root, *items;
    yyjson_mut_doc *d = api_doc_new(&root);
    if (!d || !(items = yyjson_mut_obj_add_arr(d, root, "items"))) {
        yyjson_mut_doc_free(d);
        return SL_ERR_NOMEM;
    }
    const char *last = NULL;
    for (long sent = 0; i < l->n && sent < limit; i++, sent++) {
        yyjson_mut_val *v = fn(call, d, &l->items[i]);
        if (!v || !yyjson_mut_arr_append(items, v)) {
            yyjson_mut_doc_free(d);
            return SL_ERR_NOMEM;
        }
        last = l->items[i].key;
    }
    if (!add_page_token(d, root, i < l->n ? last : NULL)) {
        yyjson_mut_doc_free(d);
        return SL_ERR_NOMEM;
    }
    return api_send(call, 200, d);
}

/* sl_rest_client — one JSON request to the controller's REST API over
 * libcurl and getters for the fields of its parsed answer, for the cluster
 * tests (sl_test_cluster.h) and the cluster benchmark (bench/bench_cluster.h).
 * Header-only; needs curl, yyjson and common/util (sl_clock). */
#ifndef SL_REST_CLIENT_H
#define SL_REST_CLIENT_H

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

#include "util/sl_clock.h"

typedef struct sl_rest_reply {
    long status; /* 0: no answer */
    char *body;
    size_t len;
    yyjson_doc *doc; /* the parsed body, or NULL */
} sl_rest_reply;

static inline void sl_rest_reply_free(sl_rest_reply *r)
{
    free(r->body);
    yyjson_doc_free(r->doc);
    memset(r, 0, sizeof(*r));
}

static inline size_t sl_rest_on_body(char *p, size_t size, size_t n, void *ud)
{
    sl_rest_reply *r = ud;
    char *b = realloc(r->body, r->len + size * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, size * n);
    r->len += size * n;
    b[r->len] = '\0';
    r->body = b;
    return size * n;
}

/* method base+path with "Authorization: Bearer token" (token may be NULL)
 * and a JSON body (may be NULL), on a fresh connection, timing out after
 * timeout_s. A 429 is retried after pause_ms, up to attempts times in all
 * (counted in *throttled when not NULL). Fills r (free with
 * sl_rest_reply_free); returns r->status. */
static inline long sl_rest_call(const char *base, const char *method, const char *path,
                                const char *token, const char *body, sl_rest_reply *r,
                                int attempts, long pause_ms, long timeout_s, int *throttled)
{
    char url[1024], auth[600];
    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s%s", base, path);
    for (int attempt = 0; attempt < attempts; attempt++) {
        sl_rest_reply_free(r);
        CURL *c = curl_easy_init();
        struct curl_slist *hdrs = NULL;
        if (!c)
            return 0;
        if (token) {
            snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
            hdrs = curl_slist_append(hdrs, auth);
        }
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sl_rest_on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(c);
        if (r->status != 429)
            break;
        if (throttled)
            (*throttled)++;
        sl_clock_sleep_ms(pause_ms);
    }
    if (r->body)
        r->doc = yyjson_read(r->body, r->len, 0);
    return r->status;
}

/* The string at key of obj, or "" (never NULL). */
static inline const char *sl_test_json_str(yyjson_val *obj, const char *key)
{
    const char *s = yyjson_get_str(yyjson_obj_get(obj, key));
    return s ? s : "";
}

/* The number at key of obj, or -1. */
static inline long long sl_test_json_int(yyjson_val *obj, const char *key)
{
    yyjson_val *v = yyjson_obj_get(obj, key);
    return yyjson_is_num(v) ? (long long)yyjson_get_num(v) : -1;
}

#endif

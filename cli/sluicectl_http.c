/* sluicectl_http — libcurl requests to the controller (see sluicectl_http.h).
 *
 * The easy handle is reset before every request (options do not leak from
 * one request to the next: a DELETE after a POST must not keep the POST's
 * body) while libcurl keeps the connection open for the next one. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl_http.h"
#include "util/sl_clock.h"

#define HTTP_CONNECT_TIMEOUT_MS 5000L
#define HTTP_TIMEOUT_MS 60000L
#define HTTP_MAX_BODY (64u * 1024 * 1024)
#define HTTP_RETRIES 3
#define HTTP_RETRY_FIRST_MS 250

struct sluicectl_http {
    CURL *curl;
    char *url;         /* base URL, no trailing '/' */
    char *shown_url;   /* url with the user info hidden */
    char *auth_header; /* "Authorization: Bearer ..." or NULL */
    char errbuf[CURL_ERROR_SIZE];
    int body_too_large;
};

/* Returns a copy of url with its user info ("user:pw@") as "***@", so that
 * no message shows credentials, whatever the user put in --server. */
static char *hide_userinfo(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    sl_buf b = SL_BUF_INIT;
    if (!at || (slash && slash < at))
        return strdup(url);
    if (sl_buf_append(&b, url, (size_t)(host - url)) != SL_OK ||
        sl_buf_append_str(&b, "***") != SL_OK || sl_buf_append_str(&b, at) != SL_OK) {
        sl_buf_free(&b);
        return NULL;
    }
    return b.data;
}

sluicectl_http *sluicectl_http_create(const char *base_url, const char *token, sl_error *err)
{
    sluicectl_http *h = calloc(1, sizeof(*h));
    size_t n;
    if (!h)
        goto nomem;
    if (!(h->url = strdup(base_url)) || !(h->shown_url = hide_userinfo(base_url)))
        goto nomem;
    n = strlen(h->url);
    while (n > 0 && h->url[n - 1] == '/')
        h->url[--n] = '\0';
    n = strlen(h->shown_url);
    while (n > 0 && h->shown_url[n - 1] == '/')
        h->shown_url[--n] = '\0';
    if (token && *token) {
        sl_buf b = SL_BUF_INIT;
        if (sl_buf_printf(&b, "Authorization: Bearer %s", token) != SL_OK) {
            sl_buf_free(&b);
            goto nomem;
        }
        h->auth_header = b.data;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h->curl = curl_easy_init())) {
        sl_error_set(err, SL_ERR_IO, "libcurl failed to start");
        goto fail;
    }
    return h;
nomem:
    sl_error_set(err, SL_ERR_NOMEM, "out of memory");
fail:
    sluicectl_http_destroy(h);
    return NULL;
}

void sluicectl_http_destroy(sluicectl_http *h)
{
    if (!h)
        return;
    if (h->curl) {
        curl_easy_cleanup(h->curl);
        curl_global_cleanup();
    }
    if (h->auth_header) {
        /* the token should not outlive its use in memory either */
        memset(h->auth_header, 0, strlen(h->auth_header));
        free(h->auth_header);
    }
    free(h->url);
    free(h->shown_url);
    free(h);
}

const char *sluicectl_http_url(const sluicectl_http *h)
{
    return h->shown_url;
}

int sluicectl_http_is_temporary(long status)
{
    return status == 429 || status == 503;
}

int sluicectl_http_escape(sl_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if ((plain ? sl_buf_append(b, s, 1) : sl_buf_append(b, enc, 3)) != SL_OK)
            return SL_ERR_NOMEM;
    }
    return SL_OK;
}

typedef struct write_ctx {
    sluicectl_http *h;
    sl_buf *body;
} write_ctx;

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    write_ctx *w = ud;
    size_t n = size * nmemb;
    if (w->body->len + n > HTTP_MAX_BODY) {
        w->h->body_too_large = 1;
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    return sl_buf_append(w->body, data, n) == SL_OK ? n : 0;
}

/* One attempt. SL_OK with resp->status set, or SL_ERR_IO/SL_ERR_TIMEOUT. */
static int request_once(sluicectl_http *h, const char *method, const char *url, const char *body,
                        size_t body_len, sluicectl_http_response *resp, sl_error *err)
{
    struct curl_slist *headers = NULL, *more;
    write_ctx w = {h, &resp->body};
    CURLcode cc;
    int rc = SL_OK;

    sl_buf_reset(&resp->body);
    resp->status = 0;
    h->errbuf[0] = '\0';
    h->body_too_large = 0;
    curl_easy_reset(h->curl);

#define ADD_HEADER(text)                                                                           \
    do {                                                                                           \
        if (!(more = curl_slist_append(headers, (text))))                                          \
            goto nomem;                                                                            \
        headers = more;                                                                            \
    } while (0)
    ADD_HEADER("Accept: application/json");
    ADD_HEADER("Expect:"); /* no 100-continue round trip for larger specs */
    if (h->auth_header)
        ADD_HEADER(h->auth_header);
    if (body)
        ADD_HEADER("Content-Type: application/json");
    else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        ADD_HEADER("Content-Type:"); /* an empty body: not curl's form type */
#undef ADD_HEADER

    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "sluicectl/" SLUICE_VERSION);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &w);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    } else {
        if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
            curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
            curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)(body ? body_len : 0));
        }
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
    }

    cc = curl_easy_perform(h->curl);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    } else if (h->body_too_large) {
        rc = sl_error_set(err, SL_ERR_IO, "the answer of %s is larger than %u MiB", h->shown_url,
                          HTTP_MAX_BODY >> 20);
    } else {
        rc = sl_error_set(err, cc == CURLE_OPERATION_TIMEDOUT ? SL_ERR_TIMEOUT : SL_ERR_IO,
                          "cannot reach the controller at %s: %s", h->shown_url,
                          h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
    }
    curl_slist_free_all(headers);
    return rc;
nomem:
    curl_slist_free_all(headers);
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

int sluicectl_http_request(sluicectl_http *h, const char *method, const char *path,
                           const char *body, size_t body_len, sluicectl_http_response *resp,
                           sl_error *err)
{
    sl_buf url = SL_BUF_INIT;
    long pause = HTTP_RETRY_FIRST_MS;
    int rc;
    if (sl_buf_printf(&url, "%s%s", h->url, path) != SL_OK) {
        sl_buf_free(&url);
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    for (int attempt = 0;; attempt++) {
        rc = request_once(h, method, url.data, body, body_len, resp, err);
        if (rc != SL_OK || !sluicectl_http_is_temporary(resp->status) || attempt == HTTP_RETRIES)
            break;
        sl_clock_sleep_ms(pause);
        pause *= 2;
    }
    sl_buf_free(&url);
    return rc;
}

void sluicectl_http_response_free(sluicectl_http_response *resp)
{
    if (!resp)
        return;
    sl_buf_free(&resp->body);
    resp->status = 0;
}

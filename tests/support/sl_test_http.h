/* sl_test_http — small pieces shared by the tests that talk HTTP through
 * libcurl: a header's value, a plain GET. Header-only. */
#ifndef SL_TEST_HTTP_H
#define SL_TEST_HTTP_H

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"

/* If the header line data[0..len) is `name value` (name case-insensitive,
 * e.g. "Allow:"), copies value without leading blanks and the line end into
 * out (truncated to size - 1); otherwise leaves out unchanged. */
static inline void sl_test_header_value(const char *data, size_t len, const char *name, char *out,
                                        size_t size)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(data, name, nl) != 0)
        return;
    const char *p = data + nl;
    size_t v = len - nl;
    while (v && *p == ' ')
        p++, v--;
    while (v && (p[v - 1] == '\r' || p[v - 1] == '\n'))
        v--;
    if (v >= size)
        v = size - 1;
    memcpy(out, p, v);
    out[v] = '\0';
}

static inline size_t sl_test_http_on_body(char *data, size_t size, size_t n, void *ud)
{
    return sl_buf_append(ud, data, size * n) == SL_OK ? size * n : 0;
}

/* GET url (5 s timeout) into body (reset first; borrows it). Returns the
 * HTTP status, 0 when there was no answer. */
static inline long sl_test_http_get(const char *url, sl_buf *body)
{
    long status = 0;
    sl_buf_reset(body);
    CURL *c = curl_easy_init();
    if (!c)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sl_test_http_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

#endif

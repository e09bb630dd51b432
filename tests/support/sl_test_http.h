/* sl_test_http — small pieces shared by the tests that talk HTTP through
 * libcurl. Header-only. */
#ifndef SL_TEST_HTTP_H
#define SL_TEST_HTTP_H

#include <string.h>
#include <strings.h>

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

#endif

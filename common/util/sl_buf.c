/* sl_buf — growable byte buffer (see sl_buf.h). */
#include "util/sl_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sl_error.h"

int sl_buf_reserve(sl_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        return SL_ERR_NOMEM;
    if (need <= b->cap)
        return SL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return SL_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return SL_OK;
}

int sl_buf_append(sl_buf *b, const void *data, size_t len)
{
    if (sl_buf_reserve(b, len) != SL_OK)
        return SL_ERR_NOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return SL_OK;
}

int sl_buf_append_str(sl_buf *b, const char *s)
{
    return sl_buf_append(b, s, strlen(s));
}

int sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sl_buf_reserve(b, (size_t)n) != SL_OK)
        return SL_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SL_OK;
}

void sl_buf_reset(sl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void sl_buf_free(sl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

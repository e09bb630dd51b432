/* sl_error — status codes and error records (see sl_error.h). */
#include "util/sl_error.h"

#include <stdio.h>
#include <string.h>

void sl_error_clear(sl_error *err)
{
    if (!err)
        return;
    err->code = SL_OK;
    err->pos = -1;
    err->where[0] = '\0';
    err->msg[0] = '\0';
}

static int error_vset(sl_error *err, int code, int pos, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    err->pos = pos;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return code;
}

int sl_error_set(sl_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, -1, fmt, ap);
    va_end(ap);
    return code;
}

int sl_error_set_pos(sl_error *err, int code, int pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, pos, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_where(sl_error *err, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->where, sizeof(err->where), fmt, ap);
    va_end(ap);
}

const char *sl_error_format(const sl_error *err, char *buf, size_t size)
{
    char pos[48] = "";
    if (size == 0)
        return buf;
    if (err->pos >= 0)
        snprintf(pos, sizeof(pos), " (at position %d)", err->pos);
    snprintf(buf, size, "%s%s%s%s", err->where, err->where[0] ? ": " : "", err->msg, pos);
    return buf;
}

const char *sl_status_name(int code)
{
    switch (code) {
#define SL_ERR_CASE(name, value, text) \
    case value:                        \
        return text;
        SL_ERR_LIST(SL_ERR_CASE)
#undef SL_ERR_CASE
    }
    return "unknown status";
}

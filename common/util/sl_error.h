/* sl_error — status codes and the error record every fallible function fills.
 *
 * Functions return 0 on success or a negative SL_ERR_* code, and describe the
 * failure in a caller-provided sl_error (like librdkafka's errstr buffers):
 * a message, and where it applies a location ("steps[2].where") and a
 * character position inside an expression. An sl_error owns no heap memory. */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* X-macro list of status codes: name, value, short description. */
#define SL_ERR_LIST(X)                                   \
    X(SL_OK, 0, "ok")                                    \
    X(SL_ERR_INVALID, -1, "invalid argument")            \
    X(SL_ERR_NOMEM, -2, "out of memory")                 \
    X(SL_ERR_IO, -3, "i/o error")                        \
    X(SL_ERR_KAFKA, -4, "kafka error")                   \
    X(SL_ERR_TIMEOUT, -5, "timed out")                   \
    X(SL_ERR_NOT_FOUND, -6, "not found")                 \
    X(SL_ERR_UNSUPPORTED, -7, "unsupported")             \
    X(SL_ERR_TYPE, -8, "type error")                     \
    X(SL_ERR_OVERFLOW, -9, "integer overflow")           \
    X(SL_ERR_SYNTAX, -10, "syntax error")                \
    X(SL_ERR_EXISTS, -11, "already exists")              \
    X(SL_ERR_STATE, -12, "invalid state")

enum sl_status {
#define SL_ERR_ENUM(name, value, text) name = value,
    SL_ERR_LIST(SL_ERR_ENUM)
#undef SL_ERR_ENUM
};

#define SL_ERROR_MSG_MAX 512
#define SL_ERROR_WHERE_MAX 128

typedef struct sl_error {
    int code;                       /* SL_ERR_* or SL_OK */
    int pos;                        /* 0-based character position, -1 if none */
    char where[SL_ERROR_WHERE_MAX]; /* e.g. "steps[2].where"; "" if none */
    char msg[SL_ERROR_MSG_MAX];     /* human-readable, no trailing newline */
} sl_error;

/* Resets err (may be NULL) to "no error". */
void sl_error_clear(sl_error *err);

/* Records code and a printf-style message in err (may be NULL); returns code
 * so that callers can write `return sl_error_set(err, SL_ERR_IO, ...)`. */
int sl_error_set(sl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like sl_error_set with a character position inside an expression. */
int sl_error_set_pos(sl_error *err, int code, int pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets err->where (may be NULL) from a printf-style format; keeps the rest. */
void sl_error_where(sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats err as "where: message (at position N)" into buf; returns buf. */
const char *sl_error_format(const sl_error *err, char *buf, size_t size);

/* Static text for a status code; never NULL. */
const char *sl_status_name(int code);

#endif

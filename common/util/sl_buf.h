/* sl_buf — a growable byte buffer (output encoding, HTTP bodies, logs).
 *
 * data is always NUL-terminated after len bytes when cap > 0. A buffer is
 * reused across messages: sl_buf_reset keeps the memory. */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stddef.h>

typedef struct sl_buf {
    char *data;
    size_t len;
    size_t cap;
} sl_buf;

#define SL_BUF_INIT {NULL, 0, 0}

/* Makes room for extra more bytes (plus the NUL); SL_ERR_NOMEM on failure. */
int sl_buf_reserve(sl_buf *b, size_t extra);

/* Appends len bytes; SL_ERR_NOMEM on failure. */
int sl_buf_append(sl_buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string. */
int sl_buf_append_str(sl_buf *b, const char *s);

/* Appends printf-style text. */
int sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empties the buffer, keeping its memory. */
void sl_buf_reset(sl_buf *b);

/* Frees the memory and zeroes b; NULL is a no-op. */
void sl_buf_free(sl_buf *b);

#endif

/* sl_window_codec — the binary layout of per-key window state (one state
 * entry per message key and window step) and of the state keys.
 *
 * State key (namespace = the step's index): the message key, encoded as
 *   'r' + the original key bytes      (the key as it came, unchanged)
 *   's' + the bytes of a str key      (set by set_key)
 *   'j' + the compact JSON of the key (any other key set by set_key)
 * and the single byte 0x00 for the step's partition-wide entry (the
 * partition stream time, closing "partition"): it cannot clash, every
 * message key starts with a letter.
 *
 * State value of a message key (little-endian):
 *   u8  version (1)
 *   i64 mark      time windows: the key's stream time (largest timestamp);
 *                 count windows: messages seen for the key
 *   u32 n         open windows, ordered by start
 *   n × { i64 start, i64 end, i64 messages, u32 len, len bytes of
 *         aggregation state (sl_aggregate.h) }
 * For count windows start and end are the timestamps of the first and the
 * last message of the window. The partition entry is one i64 (stream time).
 * The running aggregate stores the aggregation state alone.
 *
 * @locality: the task's thread. */
#ifndef SL_WINDOW_CODEC_H
#define SL_WINDOW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"

#define SL_WIN_RECORD_VERSION 1

typedef struct sl_win_entry {
    int64_t start;
    int64_t end;
    int64_t msgs;
    const uint8_t *agg; /* borrowed from the decoded bytes (in_scratch 0) */
    size_t agg_len;
    size_t off;         /* in_scratch: the state is at scratch->data + off */
    int in_scratch;
} sl_win_entry;

/* A decoded record; w is owned by the record (grown as needed, reused):
 * free with sl_win_record_free. */
typedef struct sl_win_record {
    int64_t mark;
    size_t n;
    sl_win_entry *w;
    size_t cap;
} sl_win_record;

/* Decodes p[0..len) (borrowed: entries point into it) into r. len 0 (no
 * entry yet) gives mark = empty_mark and no windows. SL_ERR_INVALID when
 * corrupt, SL_ERR_NOMEM. */
int sl_win_record_decode(const void *p, size_t len, int64_t empty_mark, sl_win_record *r,
                         sl_error *err);

/* Makes room for one more window; returns its slot or NULL (out of memory). */
sl_win_entry *sl_win_record_push(sl_win_record *r);

/* Appends the encoding of r to out (reset first by the caller); entries
 * marked in_scratch take their aggregation state from scratch (updated
 * states are written there while the old bytes are still borrowed). 0 or
 * SL_ERR_NOMEM. */
int sl_win_record_encode(const sl_win_record *r, const sl_buf *scratch, sl_buf *out);

void sl_win_record_free(sl_win_record *r);

#endif

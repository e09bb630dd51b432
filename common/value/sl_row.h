/* sl_row — the message being processed: key, timestamp and value.
 *
 * The value is usually a JSON object whose top-level members are the row's
 * columns. A row keeps the parsed input object untouched as its base and
 * records changes in a small overlay of columns allocated from the batch's
 * sl_mem, so that the hot path (read a few columns, add one or two, encode)
 * never copies the object. When the base object came with its original JSON
 * text (sl_row_init_json / sl_row_set_raw) and the only changes are new
 * columns, encoding splices: it copies the input bytes up to the closing
 * brace and appends the new members. Any other change (override, delete,
 * select, rename) switches the row to a full column list, still arena-backed.
 *
 * `key` and `timestamp` are public fields: read and write them directly.
 * Every other field is private: use the functions. A row is a plain struct
 * (stack, arena or array) with no destructor; all its memory belongs to the
 * sl_mem it was initialised with and is released by sl_mem_reset. Names and
 * values passed in are borrowed and must outlive the row (a compiled spec,
 * the input document, or the same sl_mem batch).
 *
 * An assign step whose expressions must all see the row as it was before the
 * step: evaluate every expression first, keep the results, then call
 * sl_row_set for each (see test_row.c "assign sees old row"). */
#ifndef SL_ROW_H
#define SL_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"
#include "value/sl_mem.h"
#include "value/sl_value.h"

typedef struct sl_row_col {
    const char *name;
    uint32_t name_len;
    sl_value val;
} sl_row_col;

typedef struct sl_row {
    sl_value key;      /* message key (usually a string, or null) */
    int64_t timestamp; /* milliseconds since the epoch */

    /* private */
    sl_mem *mem;
    sl_value value;    /* base value (any kind); unused once materialised */
    const char *raw;   /* original JSON text of value, or NULL */
    size_t raw_len;
    sl_row_col *cols;  /* overlay (new columns) or, materialised, all columns */
    uint32_t ncols;
    uint32_t cap;
    uint8_t materialized;
} sl_row;

/* Initialises row with key, timestamp and value (all borrowed); mem is
 * borrowed and provides the row's memory. No allocation; never fails. */
void sl_row_init(sl_row *row, sl_mem *mem, sl_value key, int64_t timestamp, sl_value value);

/* Parses json[0..len) into mem (sl_mem_read_json) and initialises row with
 * the result as value, remembering the text for splice encoding. json is
 * borrowed, must not be modified and must outlive the row. SL_ERR_SYNTAX
 * (with pos) when json is not valid JSON, SL_ERR_NOMEM. */
int sl_row_init_json(sl_row *row, sl_mem *mem, sl_value key, int64_t timestamp,
                     const char *json, size_t len, sl_error *err);

/* Tells the row that raw[0..len) is the exact, unmodified JSON text that was
 * parsed (strict flags, not YYJSON_READ_INSITU) into its current base value,
 * enabling splice encoding; borrowed, must outlive the row. Ignored unless
 * the value is an immutable object that has not been changed yet. */
void sl_row_set_raw(sl_row *row, const char *raw, size_t len);

/* True if the row's value is an object (the steps that need columns). */
bool sl_row_is_object(const sl_row *row);

/* Reads column name[0..len) into *out (borrowed view; null when missing).
 * A null row value reads as all-null. SL_ERR_TYPE if the value is another
 * non-object (a string, a number, a list). */
int sl_row_get(const sl_row *row, const char *name, size_t len, sl_value *out, sl_error *err);

/* True if the value is an object holding column name[0..len). */
bool sl_row_has(const sl_row *row, const char *name, size_t len);

/* Sets column name (borrowed) to v (borrowed): replaces the column in place
 * if present (keeping its position), else appends it. SL_ERR_TYPE if the
 * value is not an object; SL_ERR_NOMEM. */
int sl_row_set(sl_row *row, const char *name, size_t len, sl_value v, sl_error *err);

/* Removes column name if present (missing is not an error). SL_ERR_TYPE if
 * the value is not an object; SL_ERR_NOMEM. */
int sl_row_delete(sl_row *row, const char *name, size_t len, sl_error *err);

/* Keeps only the listed columns, in the listed order; listed names that are
 * missing are skipped (use sl_row_has first to make them an error), a name
 * listed twice is kept once. names borrowed. SL_ERR_TYPE, SL_ERR_NOMEM. */
int sl_row_select(sl_row *row, const sl_str *names, size_t n, sl_error *err);

/* Renames columns from[i] to to[i] all at once (so {a: b, b: a} swaps);
 * renamed columns keep their positions; a missing from[i] is skipped; when a
 * new name collides with a column that is not renamed, that column is
 * dropped. Names borrowed. SL_ERR_TYPE, SL_ERR_NOMEM. */
int sl_row_rename(sl_row *row, const sl_str *from, const sl_str *to, size_t n, sl_error *err);

/* Replaces the whole value with v (borrowed, any kind), dropping overlay and
 * raw text. Never fails. */
void sl_row_replace(sl_row *row, sl_value v);

/* The whole value as one sl_value (borrowed view valid for the batch). An
 * unchanged row returns its base; a changed object is built as a mutable
 * object in the sl_mem document. SL_ERR_NOMEM. */
int sl_row_value(const sl_row *row, sl_value *out, sl_error *err);

/* Number of columns (0 if the value is not an object). */
size_t sl_row_ncols(const sl_row *row);

/* Appends the JSON text of the value to out: spliced from the raw input when
 * only new columns were added, otherwise written column by column. Errors as
 * sl_value_write_json (SL_ERR_INVALID for a non-finite float, SL_ERR_NOMEM). */
int sl_row_encode(const sl_row *row, sl_buf *out, sl_error *err);

/* True if sl_row_encode would splice (for tests and metrics). */
bool sl_row_can_splice(const sl_row *row);

/* Makes dst an independent copy of src (same mem; the overlay is copied so
 * later changes to one do not show in the other). SL_ERR_NOMEM. */
int sl_row_copy(sl_row *dst, const sl_row *src, sl_error *err);

#endif

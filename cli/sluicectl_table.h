/* sluicectl_table — the aligned text tables sluicectl prints for people.
 *
 * A table is a header row (optional) and rows of text cells; rendering pads
 * every column but the last to its widest cell (counted in UTF-8 characters)
 * and separates columns with three spaces, as `kubectl get` does. Cells are
 * copied and cleaned on the way in: control characters (a newline in an
 * error message, a tab) become spaces so that a row stays one line.
 *
 * The JSON half turns the controller's list items into rows: a column names
 * a member of each item and how to show it (sluicectl_column). Everything
 * here is pure (no I/O, no clock: "now" is a parameter), so that
 * tests/unit/test_sluicectl_table.c can check it. Private to cli/. */
#ifndef SLUICECTL_TABLE_H
#define SLUICECTL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <yyjson.h>

#include "util/sl_buf.h"

/* What a cell shows for a missing or null member. */
#define SLUICECTL_TABLE_NONE "<none>"

typedef struct sluicectl_table sluicectl_table;

/* Returns a new table of ncols (>= 1) columns, or NULL when out of memory.
 * headers: ncols strings (copied), or NULL for a table without a header row
 * (the "Key:  value" blocks of `pipelines get`). Free with
 * sluicectl_table_destroy. */
sluicectl_table *sluicectl_table_create(size_t ncols, const char *const *headers);

/* Frees t; NULL is a no-op. */
void sluicectl_table_destroy(sluicectl_table *t);

/* Appends a row of ncols cells (copied and cleaned; a NULL cell is empty).
 * SL_ERR_NOMEM on failure. */
int sluicectl_table_add_row(sluicectl_table *t, const char *const *cells);

/* Number of rows added (the header not counted). */
size_t sluicectl_table_rows(const sluicectl_table *t);

/* Appends the rendered table to out: the header row (if any), then the
 * rows, each line ending in '\n' with no trailing spaces. SL_ERR_NOMEM. */
int sluicectl_table_render(const sluicectl_table *t, sl_buf *out);

/* Width of s in characters: the number of UTF-8 lead bytes. */
size_t sluicectl_table_width(const char *s);

/* How a column shows its member. */
typedef enum sluicectl_column_kind {
    SLUICECTL_COL_TEXT,  /* sluicectl_table_cell */
    SLUICECTL_COL_RATIO, /* "key/key2", e.g. tasks running/total: "3/4" */
    SLUICECTL_COL_MS,    /* a number of milliseconds as a duration: "950ms", "12.3s", "4m5s" */
    SLUICECTL_COL_AGE,   /* an RFC 3339 UTC time as its age at now: "45s", "3m", "2h", "5d" */
    SLUICECTL_COL_RATE   /* a number with one decimal: "95.5" */
} sluicectl_column_kind;

typedef struct sluicectl_column {
    const char *header; /* "NAME", "MAX-TASKS" */
    const char *key;    /* the item's member */
    sluicectl_column_kind kind;
    const char *key2; /* SLUICECTL_COL_RATIO: the denominator's member */
} sluicectl_column;

/* Returns a new table with the headers of cols[0..ncols); NULL on NOMEM. */
sluicectl_table *sluicectl_table_create_columns(const sluicectl_column *cols, size_t ncols);

/* Appends one row per element of items (a JSON array of objects; anything
 * else adds nothing), cell i showing member cols[i].key of the element.
 * now: the current time, for SLUICECTL_COL_AGE. SL_ERR_NOMEM. */
int sluicectl_table_add_json_rows(sluicectl_table *t, const sluicectl_column *cols, size_t ncols,
                                  yyjson_val *items, time_t now);

/* Appends one item's cells as a row (as above, for a single object). */
int sluicectl_table_add_json_row(sluicectl_table *t, const sluicectl_column *cols, size_t ncols,
                                 yyjson_val *item, time_t now);

/* Appends v as a cell to b: a string as it is, NULL (missing) and null as
 * SLUICECTL_TABLE_NONE, an integer in decimal, a real with up to 6
 * significant digits, true/false, an array's elements joined by ",", an
 * object as its JSON text. SL_ERR_NOMEM. */
int sluicectl_table_cell(sl_buf *b, yyjson_val *v);

/* Appends ms as a short duration ("0ms", "950ms", "12.3s", "4m5s", "2h3m");
 * a negative ms as "-" followed by the same. SL_ERR_NOMEM. */
int sluicectl_table_duration(sl_buf *b, int64_t ms);

/* Appends the age of the RFC 3339 time text at now ("45s", "3m", "2h",
 * "5d"; "0s" for a time in the future); text that is not such a time is
 * appended as it is. SL_ERR_NOMEM. */
int sluicectl_table_age(sl_buf *b, const char *rfc3339, time_t now);

#endif

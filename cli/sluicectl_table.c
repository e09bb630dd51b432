/* sluicectl_table — aligned text tables, and the controller's JSON items as
 * their rows (see sluicectl_table.h). Rows are kept as arrays of cleaned,
 * heap-copied cells until render computes the column widths; tables are a
 * few hundred rows at most, so nothing cleverer is needed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluicectl_table.h"
#include "util/sl_error.h"

#define TABLE_GAP "   "

struct sluicectl_table {
    size_t ncols;
    char **headers; /* ncols cells, or NULL */
    char **cells;   /* nrows * ncols */
    size_t nrows, cap;
};

/* Returns a cleaned copy of s (control characters become spaces), or NULL. */
static char *cell_dup(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        c[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    c[n] = '\0';
    return c;
}

sluicectl_table *sluicectl_table_create(size_t ncols, const char *const *headers)
{
    sluicectl_table *t;
    if (ncols == 0)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ncols = ncols;
    if (headers) {
        t->headers = calloc(ncols, sizeof(char *));
        if (!t->headers)
            goto fail;
        for (size_t i = 0; i < ncols; i++)
            if (!(t->headers[i] = cell_dup(headers[i])))
                goto fail;
    }
    return t;
fail:
    sluicectl_table_destroy(t);
    return NULL;
}

void sluicectl_table_destroy(sluicectl_table *t)
{
    if (!t)
        return;
    if (t->headers)
        for (size_t i = 0; i < t->ncols; i++)
            free(t->headers[i]);
    free(t->headers);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

int sluicectl_table_add_row(sluicectl_table *t, const char *const *cells)
{
    char **row;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **grown = realloc(t->cells, cap * t->ncols * sizeof(char *));
        if (!grown)
            return SL_ERR_NOMEM;
        t->cells = grown;
        t->cap = cap;
    }
    row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        if (!(row[i] = cell_dup(cells[i]))) {
            while (i > 0)
                free(row[--i]);
            return SL_ERR_NOMEM;
        }
    }
    t->nrows++;
    return SL_OK;
}

size_t sluicectl_table_rows(const sluicectl_table *t)
{
    return t->nrows;
}

size_t sluicectl_table_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static int render_line(const sluicectl_table *t, char *const *cells, const size_t *widths,
                       sl_buf *out)
{
    /* The last non-empty cell ends the line, so that no line has trailing
     * blanks (an empty last column would otherwise leave the gap behind). */
    size_t last = t->ncols;
    while (last > 1 && cells[last - 1][0] == '\0')
        last--;
    for (size_t i = 0; i < last; i++) {
        if (sl_buf_append_str(out, cells[i]) != SL_OK)
            return SL_ERR_NOMEM;
        if (i + 1 == last)
            break;
        for (size_t pad = sluicectl_table_width(cells[i]); pad < widths[i]; pad++)
            if (sl_buf_append(out, " ", 1) != SL_OK)
                return SL_ERR_NOMEM;
        if (sl_buf_append_str(out, TABLE_GAP) != SL_OK)
            return SL_ERR_NOMEM;
    }
    return sl_buf_append(out, "\n", 1);
}

int sluicectl_table_render(const sluicectl_table *t, sl_buf *out)
{
    int rc = SL_OK;
    size_t *widths = calloc(t->ncols, sizeof(size_t));
    if (!widths)
        return SL_ERR_NOMEM;
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->headers)
            widths[c] = sluicectl_table_width(t->headers[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = sluicectl_table_width(t->cells[r * t->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    }
    if (t->headers)
        rc = render_line(t, t->headers, widths, out);
    for (size_t r = 0; rc == SL_OK && r < t->nrows; r++)
        rc = render_line(t, t->cells + r * t->ncols, widths, out);
    free(widths);
    return rc;
}

/* ---- JSON to cells ------------------------------------------------------ */

int sluicectl_table_cell(sl_buf *b, yyjson_val *v)
{
    switch (v ? yyjson_get_type(v) : YYJSON_TYPE_NONE) {
    case YYJSON_TYPE_STR:
        return sl_buf_append(b, yyjson_get_str(v), yyjson_get_len(v));
    case YYJSON_TYPE_BOOL:
        return sl_buf_append_str(b, yyjson_get_bool(v) ? "true" : "false");
    case YYJSON_TYPE_NUM:
        if (yyjson_is_uint(v))
            return sl_buf_printf(b, "%" PRIu64, yyjson_get_uint(v));
        if (yyjson_is_sint(v))
            return sl_buf_printf(b, "%" PRId64, yyjson_get_sint(v));
        return sl_buf_printf(b, "%.6g", yyjson_get_real(v));
    case YYJSON_TYPE_ARR: {
        size_t i, n;
        yyjson_val *e;
        if (yyjson_arr_size(v) == 0)
            return sl_buf_append_str(b, SLUICECTL_TABLE_NONE);
        yyjson_arr_foreach(v, i, n, e)
        {
            if (i > 0 && sl_buf_append(b, ",", 1) != SL_OK)
                return SL_ERR_NOMEM;
            if (sluicectl_table_cell(b, e) != SL_OK)
                return SL_ERR_NOMEM;
        }
        return SL_OK;
    }
    case YYJSON_TYPE_OBJ: {
        size_t len;
        char *json = yyjson_val_write(v, YYJSON_WRITE_NOFLAG, &len);
        int rc;
        if (!json)
            return SL_ERR_NOMEM;
        rc = sl_buf_append(b, json, len);
        free(json);
        return rc;
    }
    default: /* missing, null */
        return sl_buf_append_str(b, SLUICECTL_TABLE_NONE);
    }
}

int sluicectl_table_duration(sl_buf *b, int64_t ms)
{
    uint64_t u;
    if (ms < 0) {
        if (sl_buf_append(b, "-", 1) != SL_OK)
            return SL_ERR_NOMEM;
        u = (uint64_t)0 - (uint64_t)ms;
    } else {
        u = (uint64_t)ms;
    }
    if (u < 1000)
        return sl_buf_printf(b, "%" PRIu64 "ms", u);
    if (u < 60000)
        return sl_buf_printf(b, "%" PRIu64 ".%" PRIu64 "s", u / 1000, u % 1000 / 100);
    if (u < 3600000)
        return sl_buf_printf(b, "%" PRIu64 "m%" PRIu64 "s", u / 60000, u % 60000 / 1000);
    return sl_buf_printf(b, "%" PRIu64 "h%" PRIu64 "m", u / 3600000, u % 3600000 / 60000);
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" into *out (UTC).
 * Returns 0 on success, -1 otherwise. */
static int parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, used = 0, oh, om;
    long offset = 0;
    const char *p;
    if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        return -1;
    p = s + used;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) == 2 &&
               used == 5 && p[6] == '\0') {
        offset = (*p == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    } else {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = timegm(&tm) - offset;
    return 0;
}

int sluicectl_table_age(sl_buf *b, const char *rfc3339, time_t now)
{
    time_t then;
    long long age;
    if (parse_rfc3339(rfc3339, &then) != 0)
        return sl_buf_append_str(b, rfc3339);
    age = now > then ? (long long)(now - then) : 0;
    if (age < 120)
        return sl_buf_printf(b, "%llds", age);
    if (age < 120 * 60)
        return sl_buf_printf(b, "%lldm", age / 60);
    if (age < 48 * 3600)
        return sl_buf_printf(b, "%lldh", age / 3600);
    return sl_buf_printf(b, "%lldd", age / 86400);
}

sluicectl_table *sluicectl_table_create_columns(const sluicectl_column *cols, size_t ncols)
{
    const char *headers[32];
    if (ncols == 0 || ncols > sizeof(headers) / sizeof(headers[0]))
        return NULL;
    for (size_t i = 0; i < ncols; i++)
        headers[i] = cols[i].header;
    return sluicectl_table_create(ncols, headers);
}

/* Appends the cell of column col for item to b. */
static int json_cell(sl_buf *b, const sluicectl_column *col, yyjson_val *item, time_t now)
{
    yyjson_val *v = yyjson_obj_get(item, col->key);
    switch (col->kind) {
    case SLUICECTL_COL_RATIO:
        if (sluicectl_table_cell(b, v) != SL_OK || sl_buf_append(b, "/", 1) != SL_OK)
            return SL_ERR_NOMEM;
        return sluicectl_table_cell(b, col->key2 ? yyjson_obj_get(item, col->key2) : NULL);
    case SLUICECTL_COL_MS:
        if (yyjson_is_int(v))
            return sluicectl_table_duration(b, yyjson_get_sint(v));
        break;
    case SLUICECTL_COL_AGE:
        if (yyjson_is_str(v))
            return sluicectl_table_age(b, yyjson_get_str(v), now);
        break;
    case SLUICECTL_COL_RATE:
        if (yyjson_is_num(v))
            return sl_buf_printf(b, "%.1f", yyjson_get_num(v));
        break;
    case SLUICECTL_COL_TEXT:
        break;
    }
    return sluicectl_table_cell(b, v);
}

int sluicectl_table_add_json_row(sluicectl_table *t, const sluicectl_column *cols, size_t ncols,
                                 yyjson_val *item, time_t now)
{
    /* All cells of the row go into one buffer, NUL-separated; offsets are
     * taken first because the buffer moves as it grows. */
    sl_buf b = SL_BUF_INIT;
    size_t offs[32];
    const char *cells[32];
    int rc = SL_OK;
    if (ncols != t->ncols || ncols > sizeof(offs) / sizeof(offs[0]))
        return SL_ERR_INVALID;
    for (size_t i = 0; i < ncols; i++) {
        offs[i] = b.len;
        if (json_cell(&b, &cols[i], item, now) != SL_OK || sl_buf_append(&b, "", 1) != SL_OK) {
            rc = SL_ERR_NOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < ncols; i++)
        cells[i] = b.data + offs[i];
    rc = sluicectl_table_add_row(t, cells);
out:
    sl_buf_free(&b);
    return rc;
}

int sluicectl_table_add_json_rows(sluicectl_table *t, const sluicectl_column *cols, size_t ncols,
                                  yyjson_val *items, time_t now)
{
    size_t i, n;
    yyjson_val *item;
    yyjson_arr_foreach(items, i, n, item)
    {
        int rc = sluicectl_table_add_json_row(t, cols, ncols, item, now);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

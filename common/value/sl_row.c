/* sl_row — a message's key, timestamp and value, with cheap column edits
 * (see sl_row.h).
 *
 * DESIGN. A row has two shapes:
 *
 *  - overlay (materialized == 0): `value` is the base as decoded (any kind;
 *    for an object, the immutable yyjson object of the input document) and
 *    `cols` holds columns added since, none of which exist in the base.
 *    Lookups check the overlay, then the base (yyjson_obj_getn). Adding a new
 *    column appends to the overlay; setting a column that was itself added
 *    updates it in place; deleting one removes it from the overlay. The base
 *    is never copied, so the hot path decode → add column → encode costs one
 *    arena append per column.
 *
 *  - materialised (materialized == 1): `cols` is the whole object, in order.
 *    Any change the overlay cannot express — overriding or deleting a base
 *    column, select, rename — first copies the base's members (names and
 *    values are views into the input document, so this is a few words per
 *    column) into `cols` and then edits the list.
 *
 * Splice encoding. When the row is in overlay shape over an immutable object
 * whose original JSON text is known (`raw`), the encoded value is the input
 * bytes up to the closing brace, then `,"name":value` for each overlay
 * column, then `}`: no walk over the base at all. Everything else goes
 * through the general writer (base members, then overlay; or the column
 * list), which produces compact JSON. So output formatting of unchanged input
 * members is the input's own (whitespace and number spelling kept) when
 * spliced, and compact otherwise.
 *
 * Memory: `cols` arrays come from the row's sl_mem arena and grow by
 * doubling (the old array is abandoned to the arena); there is no per-row
 * free. Names and values are borrowed. */
#include "value/sl_row.h"

#include <string.h>

void sl_row_init(sl_row *row, sl_mem *mem, sl_value key, int64_t timestamp, sl_value value)
{
    memset(row, 0, sizeof(*row));
    row->key = key;
    row->timestamp = timestamp;
    row->mem = mem;
    row->value = value;
}

int sl_row_init_json(sl_row *row, sl_mem *mem, sl_value key, int64_t timestamp,
                     const char *json, size_t len, sl_error *err)
{
    sl_row_init(row, mem, key, timestamp, sl_value_null());
    yyjson_doc *doc = sl_mem_read_json(mem, json, len, err);
    if (!doc)
        return err ? err->code : SL_ERR_SYNTAX;
    row->value = sl_value_from_json(yyjson_doc_get_root(doc));
    sl_row_set_raw(row, json, len);
    return SL_OK;
}

void sl_row_set_raw(sl_row *row, const char *raw, size_t len)
{
    if (row->materialized || row->ncols || row->value.kind != SL_VAL_OBJ || row->value.is_mut)
        return;
    row->raw = raw;
    row->raw_len = len;
}

bool sl_row_is_object(const sl_row *row)
{
    return row->materialized || row->value.kind == SL_VAL_OBJ;
}

static int row_need_object(const sl_row *row, sl_error *err)
{
    if (sl_row_is_object(row))
        return SL_OK;
    return sl_error_set(err, SL_ERR_TYPE, "the message value is %s, not an object",
                        sl_value_kind_name(row->value));
}

static int row_find(const sl_row *row, const char *name, size_t len)
{
    for (uint32_t i = 0; i < row->ncols; i++) {
        const sl_row_col *c = &row->cols[i];
        if (c->name_len == len && (len == 0 || memcmp(c->name, name, len) == 0))
            return (int)i;
    }
    return -1;
}

static int row_grow(sl_row *row, size_t need)
{
    if (row->ncols + need <= row->cap)
        return SL_OK;
    size_t cap = row->cap ? (size_t)row->cap * 2 : 4;
    while (cap < row->ncols + need)
        cap *= 2;
    if (cap > UINT32_MAX)
        return SL_ERR_NOMEM;
    sl_row_col *cols = sl_mem_alloc(row->mem, cap * sizeof(*cols));
    if (!cols)
        return SL_ERR_NOMEM;
    if (row->ncols)
        memcpy(cols, row->cols, row->ncols * sizeof(*cols));
    row->cols = cols;
    row->cap = (uint32_t)cap;
    return SL_OK;
}

static int row_append(sl_row *row, const char *name, size_t len, sl_value v)
{
    if (len > UINT32_MAX || row_grow(row, 1) != SL_OK)
        return SL_ERR_NOMEM;
    sl_row_col *c = &row->cols[row->ncols++];
    c->name = name;
    c->name_len = (uint32_t)len;
    c->val = v;
    return SL_OK;
}

/* Turns an overlay row over an object into a full column list. */
static int row_materialize(sl_row *row, sl_error *err)
{
    if (row->materialized)
        return SL_OK;
    size_t nbase = sl_value_size(row->value);
    size_t cap = nbase + row->ncols + 4;
    sl_row_col *cols = sl_mem_alloc(row->mem, cap * sizeof(*cols));
    if (!cols || cap > UINT32_MAX)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory editing a row");
    size_t n = 0;
    sl_value_iter it;
    sl_value k, x;
    sl_value_iter_init(&it, row->value);
    while (n < nbase && sl_value_iter_next(&it, &k, &x)) {
        cols[n].name = k.u.s;
        cols[n].name_len = k.len;
        cols[n].val = x;
        n++;
    }
    if (row->ncols)
        memcpy(cols + n, row->cols, row->ncols * sizeof(*cols));
    n += row->ncols;
    row->cols = cols;
    row->ncols = (uint32_t)n;
    row->cap = (uint32_t)cap;
    row->materialized = 1;
    row->raw = NULL;
    row->raw_len = 0;
    return SL_OK;
}

int sl_row_get(const sl_row *row, const char *name, size_t len, sl_value *out, sl_error *err)
{
    if (row->ncols) {
        int i = row_find(row, name, len);
        if (i >= 0) {
            *out = row->cols[i].val;
            return SL_OK;
        }
    }
    if (row->materialized) {
        *out = sl_value_null();
        return SL_OK;
    }
    if (row->value.kind == SL_VAL_OBJ) {
        sl_value_obj_get(row->value, name, len, out);
        return SL_OK;
    }
    *out = sl_value_null();
    if (row->value.kind == SL_VAL_NULL)
        return SL_OK;
    return sl_error_set(err, SL_ERR_TYPE, "cannot read column \"%.*s\": the message value is %s",
                        (int)(len > 64 ? 64 : len), name, sl_value_kind_name(row->value));
}

bool sl_row_has(const sl_row *row, const char *name, size_t len)
{
    sl_value tmp;
    if (row_find(row, name, len) >= 0)
        return true;
    return !row->materialized && sl_value_obj_get(row->value, name, len, &tmp);
}

int sl_row_set(sl_row *row, const char *name, size_t len, sl_value v, sl_error *err)
{
    int rc = row_need_object(row, err);
    if (rc != SL_OK)
        return rc;
    int i = row_find(row, name, len);
    if (i >= 0) {
        row->cols[i].val = v;
        return SL_OK;
    }
    if (!row->materialized) {
        sl_value old;
        if (sl_value_obj_get(row->value, name, len, &old)) {
            /* Overriding a base column: keep its position, so materialise. */
            if ((rc = row_materialize(row, err)) != SL_OK)
                return rc;
            i = row_find(row, name, len);
            row->cols[i].val = v;
            return SL_OK;
        }
    }
    if (row_append(row, name, len, v) != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory setting a column");
    return SL_OK;
}

static void row_remove_at(sl_row *row, uint32_t i)
{
    memmove(row->cols + i, row->cols + i + 1, (row->ncols - i - 1) * sizeof(*row->cols));
    row->ncols--;
}

int sl_row_delete(sl_row *row, const char *name, size_t len, sl_error *err)
{
    int rc = row_need_object(row, err);
    if (rc != SL_OK)
        return rc;
    int i = row_find(row, name, len);
    if (i < 0 && !row->materialized) {
        sl_value old;
        if (!sl_value_obj_get(row->value, name, len, &old))
            return SL_OK;
        if ((rc = row_materialize(row, err)) != SL_OK)
            return rc;
        i = row_find(row, name, len);
    }
    if (i >= 0)
        row_remove_at(row, (uint32_t)i);
    return SL_OK;
}

int sl_row_select(sl_row *row, const sl_str *names, size_t n, sl_error *err)
{
    int rc = row_need_object(row, err);
    if (rc != SL_OK)
        return rc;
    sl_row_col *cols = sl_mem_alloc(row->mem, (n ? n : 1) * sizeof(*cols));
    if (!cols || n > UINT32_MAX)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory selecting columns");
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < k && !dup; j++)
            dup = cols[j].name_len == names[i].len &&
                  memcmp(cols[j].name, names[i].ptr, names[i].len) == 0;
        if (dup || !sl_row_has(row, names[i].ptr, names[i].len))
            continue;
        cols[k].name = names[i].ptr;
        cols[k].name_len = (uint32_t)names[i].len;
        sl_row_get(row, names[i].ptr, names[i].len, &cols[k].val, NULL);
        k++;
    }
    row->cols = cols;
    row->ncols = k;
    row->cap = (uint32_t)(n ? n : 1);
    row->materialized = 1;
    row->raw = NULL;
    row->raw_len = 0;
    return SL_OK;
}

static bool str_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

int sl_row_rename(sl_row *row, const sl_str *from, const sl_str *to, size_t n, sl_error *err)
{
    int rc = row_need_object(row, err);
    if (rc != SL_OK)
        return rc;
    if ((rc = row_materialize(row, err)) != SL_OK)
        return rc;
    /* renamed[i]: 1 if column i got a new name in this call. */
    unsigned char *renamed = sl_mem_alloc(row->mem, row->ncols + 1);
    if (!renamed)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory renaming columns");
    for (uint32_t i = 0; i < row->ncols; i++) {
        sl_row_col *c = &row->cols[i];
        renamed[i] = 0;
        for (size_t r = 0; r < n; r++) {
            if (str_eq(c->name, c->name_len, from[r].ptr, from[r].len)) {
                c->name = to[r].ptr;
                c->name_len = (uint32_t)to[r].len;
                renamed[i] = 1;
                break;
            }
        }
    }
    /* Resolve collisions: a renamed column beats an untouched one; between
     * equals the later one wins. Only names in `to` can collide. */
    uint32_t w = 0;
    for (uint32_t i = 0; i < row->ncols; i++) {
        sl_row_col *c = &row->cols[i];
        bool drop = false;
        for (uint32_t j = 0; j < row->ncols && !drop; j++) {
            if (j == i || !str_eq(c->name, c->name_len, row->cols[j].name, row->cols[j].name_len))
                continue;
            drop = renamed[j] > renamed[i] || (renamed[j] == renamed[i] && j > i);
        }
        if (!drop) {
            renamed[w] = renamed[i];
            row->cols[w++] = *c;
        }
    }
    row->ncols = w;
    return SL_OK;
}

void sl_row_replace(sl_row *row, sl_value v)
{
    row->value = v;
    row->raw = NULL;
    row->raw_len = 0;
    row->cols = NULL;
    row->ncols = 0;
    row->cap = 0;
    row->materialized = 0;
}

/* Adds copies of name and v to the mutable object obj. */
static int obj_add(yyjson_mut_doc *doc, yyjson_mut_val *obj, const char *name, size_t len,
                   sl_value v, sl_error *err)
{
    yyjson_mut_val *mk = yyjson_mut_strncpy(doc, len ? name : "", len), *mv;
    if (!mk)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory building the message value");
    int rc = sl_value_to_mut(v, doc, &mv, err);
    if (rc != SL_OK)
        return rc;
    if (!yyjson_mut_obj_add(obj, mk, mv))
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory building the message value");
    return SL_OK;
}

int sl_row_value(const sl_row *row, sl_value *out, sl_error *err)
{
    if (!row->materialized && row->ncols == 0) {
        *out = row->value;
        return SL_OK;
    }
    yyjson_mut_doc *doc = sl_mem_doc(row->mem);
    yyjson_mut_val *obj = yyjson_mut_obj(doc);
    int rc = SL_OK;
    *out = sl_value_null();
    if (!obj)
        goto nomem;
    if (!row->materialized) {
        sl_value_iter it;
        sl_value k, x;
        sl_value_iter_init(&it, row->value);
        while (sl_value_iter_next(&it, &k, &x))
            if ((rc = obj_add(doc, obj, k.u.s, k.len, x, err)) != SL_OK)
                return rc;
    }
    for (uint32_t i = 0; i < row->ncols; i++) {
        const sl_row_col *c = &row->cols[i];
        if ((rc = obj_add(doc, obj, c->name, c->name_len, c->val, err)) != SL_OK)
            return rc;
    }
    *out = sl_value_from_mut_json(obj);
    return SL_OK;
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory building the message value");
}

size_t sl_row_ncols(const sl_row *row)
{
    if (row->materialized)
        return row->ncols;
    if (row->value.kind == SL_VAL_OBJ)
        return sl_value_size(row->value) + row->ncols;
    return 0;
}

bool sl_row_can_splice(const sl_row *row)
{
    return !row->materialized && row->raw && row->value.kind == SL_VAL_OBJ && !row->value.is_mut;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int write_member(sl_buf *out, const char *name, size_t len, sl_value v, bool comma,
                        sl_error *err)
{
    if (comma && sl_buf_append(out, ",", 1) != SL_OK)
        goto nomem;
    if (sl_value_write_json_str(name, len, out) != SL_OK || sl_buf_append(out, ":", 1) != SL_OK)
        goto nomem;
    return sl_value_write_json(v, out, err);
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory encoding a row");
}

/* Splices: raw input up to its closing brace, the overlay, a new brace.
 * Returns 1 if the raw text does not look like an object (caller falls back). */
static int row_encode_splice(const sl_row *row, sl_buf *out, sl_error *err)
{
    size_t b = 0, e = row->raw_len;
    while (b < e && is_space(row->raw[b]))
        b++;
    while (e > b && is_space(row->raw[e - 1]))
        e--;
    if (e - b < 2 || row->raw[b] != '{' || row->raw[e - 1] != '}')
        return 1;
    if (row->ncols == 0)
        return sl_buf_append(out, row->raw + b, e - b) == SL_OK
                   ? SL_OK
                   : sl_error_set(err, SL_ERR_NOMEM, "out of memory encoding a row");
    size_t mark = out->len;
    if (sl_buf_append(out, row->raw + b, e - 1 - b) != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory encoding a row");
    bool comma = yyjson_obj_size(row->value.u.iv) > 0;
    for (uint32_t i = 0; i < row->ncols; i++) {
        const sl_row_col *c = &row->cols[i];
        int rc = write_member(out, c->name, c->name_len, c->val, comma, err);
        if (rc != SL_OK) {
            out->len = mark;
            out->data[mark] = '\0';
            return rc;
        }
        comma = true;
    }
    if (sl_buf_append(out, "}", 1) != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory encoding a row");
    return SL_OK;
}

int sl_row_encode(const sl_row *row, sl_buf *out, sl_error *err)
{
    if (sl_row_can_splice(row)) {
        int rc = row_encode_splice(row, out, err);
        if (rc <= 0)
            return rc;
    }
    if (!row->materialized && row->value.kind != SL_VAL_OBJ)
        return sl_value_write_json(row->value, out, err);
    size_t mark = out->len;
    int rc = SL_OK;
    bool comma = false;
    if (sl_buf_append(out, "{", 1) != SL_OK)
        goto nomem;
    if (!row->materialized) {
        sl_value_iter it;
        sl_value k, x;
        sl_value_iter_init(&it, row->value);
        while (sl_value_iter_next(&it, &k, &x)) {
            if ((rc = write_member(out, k.u.s, k.len, x, comma, err)) != SL_OK)
                goto fail;
            comma = true;
        }
    }
    for (uint32_t i = 0; i < row->ncols; i++) {
        const sl_row_col *c = &row->cols[i];
        if ((rc = write_member(out, c->name, c->name_len, c->val, comma, err)) != SL_OK)
            goto fail;
        comma = true;
    }
    if (sl_buf_append(out, "}", 1) != SL_OK)
        goto nomem;
    return SL_OK;
nomem:
    rc = sl_error_set(err, SL_ERR_NOMEM, "out of memory encoding a row");
fail:
    out->len = mark;
    if (out->data)
        out->data[mark] = '\0';
    return rc;
}

int sl_row_copy(sl_row *dst, const sl_row *src, sl_error *err)
{
    if (dst != src)
        *dst = *src;
    if (src->cap == 0)
        return SL_OK;
    sl_row_col *cols = sl_mem_alloc(src->mem, (size_t)src->cap * sizeof(*cols));
    if (!cols)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory copying a row");
    if (src->ncols)
        memcpy(cols, src->cols, src->ncols * sizeof(*cols));
    dst->cols = cols;
    return SL_OK;
}

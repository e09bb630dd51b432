/* sl_aggregate — aggregation functions over a compact binary state (see
 * sl_aggregate.h for the layout and the null / int / float rules).
 *
 * Update never modifies the old state in place: it appends the new state to
 * the caller's scratch buffer, slot by slot, so that the old bytes (borrowed
 * from the state store) stay valid for the whole update. Every slot's
 * length can be read from its bytes, so the state needs no directory. */
#include "engine/sl_aggregate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TAG_NULL 0
#define TAG_FALSE 1
#define TAG_TRUE 2
#define TAG_INT 3
#define TAG_FLOAT 4
#define TAG_STR 5
#define TAG_JSON 6

static int corrupt(sl_error *err)
{
    return sl_error_set(err, SL_ERR_INVALID, "corrupt aggregation state");
}

static int put_i64(sl_buf *b, int64_t v)
{
    uint8_t t[8];
    sl_agg_put_i64(t, v);
    return sl_buf_append(b, t, 8);
}

static int put_f64(sl_buf *b, double d)
{
    int64_t v;
    memcpy(&v, &d, 8);
    return put_i64(b, v);
}

static double get_f64(const uint8_t *p)
{
    int64_t v = sl_agg_get_i64(p);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

int sl_agg_value_encode(sl_value v, sl_buf *out, sl_error *err)
{
    uint8_t t[5];
    int rc;
    switch (v.kind) {
    case SL_VAL_NULL:
        t[0] = TAG_NULL;
        return sl_buf_append(out, t, 1);
    case SL_VAL_BOOL:
        t[0] = v.u.b ? TAG_TRUE : TAG_FALSE;
        return sl_buf_append(out, t, 1);
    case SL_VAL_INT:
    case SL_VAL_FLOAT:
        t[0] = v.kind == SL_VAL_INT ? TAG_INT : TAG_FLOAT;
        if (v.kind == SL_VAL_FLOAT && !isfinite(v.u.f))
            return sl_error_set(err, SL_ERR_INVALID, "cannot keep a non-finite float");
        rc = sl_buf_append(out, t, 1);
        return rc == SL_OK ? put_i64(out, v.u.i) : rc; /* same 8 bytes for f */
    case SL_VAL_STR:
        t[0] = TAG_STR;
        sl_agg_put_u32(t + 1, v.len);
        rc = sl_buf_append(out, t, 5);
        return rc == SL_OK ? sl_buf_append(out, v.u.s, v.len) : rc;
    default: {
        size_t at = out->len;
        t[0] = TAG_JSON;
        sl_agg_put_u32(t + 1, 0);
        if ((rc = sl_buf_append(out, t, 5)) != SL_OK)
            return rc;
        if ((rc = sl_value_write_json(v, out, err)) != SL_OK)
            return rc;
        sl_agg_put_u32((uint8_t *)out->data + at + 1, (uint32_t)(out->len - at - 5));
        return SL_OK;
    }
    }
}

int sl_agg_value_decode(const uint8_t *p, size_t len, sl_mem *mem, sl_value *v, size_t *used,
                        sl_error *err)
{
    if (len < 1)
        return corrupt(err);
    switch (p[0]) {
    case TAG_NULL:
        *v = sl_value_null();
        *used = 1;
        return SL_OK;
    case TAG_FALSE:
    case TAG_TRUE:
        *v = sl_value_bool(p[0] == TAG_TRUE);
        *used = 1;
        return SL_OK;
    case TAG_INT:
    case TAG_FLOAT:
        if (len < 9)
            return corrupt(err);
        *v = p[0] == TAG_INT ? sl_value_int(sl_agg_get_i64(p + 1))
                             : sl_value_float(get_f64(p + 1));
        *used = 9;
        return SL_OK;
    case TAG_STR:
    case TAG_JSON: {
        if (len < 5)
            return corrupt(err);
        uint32_t n = sl_agg_get_u32(p + 1);
        if (n > len - 5)
            return corrupt(err);
        *used = 5 + (size_t)n;
        if (p[0] == TAG_STR) {
            *v = sl_value_str((const char *)p + 5, n);
            return SL_OK;
        }
        yyjson_doc *doc = sl_mem_read_json(mem, (const char *)p + 5, n, err);
        if (!doc)
            return err && err->code == SL_ERR_NOMEM ? SL_ERR_NOMEM : corrupt(err);
        *v = sl_value_from_json(yyjson_doc_get_root(doc));
        return SL_OK;
    }
    default:
        return corrupt(err);
    }
}

/* Length of the encoded value at p, or 0 when it is corrupt. */
static size_t value_len(const uint8_t *p, size_t len)
{
    if (len < 1)
        return 0;
    switch (p[0]) {
    case TAG_NULL:
    case TAG_FALSE:
    case TAG_TRUE:
        return 1;
    case TAG_INT:
    case TAG_FLOAT:
        return len >= 9 ? 9 : 0;
    case TAG_STR:
    case TAG_JSON:
        if (len < 5 || sl_agg_get_u32(p + 1) > len - 5)
            return 0;
        return 5 + (size_t)sl_agg_get_u32(p + 1);
    default:
        return 0;
    }
}

/* Length of the slot of kind k at p, or 0 when corrupt. */
static size_t slot_len(sl_agg_kind k, const uint8_t *p, size_t len)
{
    switch (k) {
    case SL_AGG_COUNT_ALL:
    case SL_AGG_COUNT:
        return len >= 8 ? 8 : 0;
    case SL_AGG_SUM:
        return len >= 9 ? 9 : 0;
    case SL_AGG_MEAN:
        return len >= 16 ? 16 : 0;
    case SL_AGG_COLLECT:
        if (len < 8 || sl_agg_get_u32(p + 4) > len - 8)
            return 0;
        return 8 + (size_t)sl_agg_get_u32(p + 4);
    default:
        return value_len(p, len);
    }
}

int sl_agg_state_init(const sl_agg *aggs, size_t naggs, sl_buf *out)
{
    static const uint8_t zero[16];
    int rc = SL_OK;
    for (size_t i = 0; i < naggs && rc == SL_OK; i++) {
        switch (aggs[i].kind) {
        case SL_AGG_COUNT_ALL:
        case SL_AGG_COUNT:
            rc = sl_buf_append(out, zero, 8);
            break;
        case SL_AGG_SUM:
            rc = sl_buf_append(out, zero, 9);
            break;
        case SL_AGG_MEAN:
            rc = sl_buf_append(out, zero, 16); /* count 0, sum +0.0 */
            break;
        case SL_AGG_COLLECT:
            rc = sl_buf_append(out, zero, 8);
            break;
        default:
            rc = sl_buf_append(out, zero, 1); /* TAG_NULL: nothing yet */
            break;
        }
    }
    return rc;
}

static int need_number(const sl_agg *a, sl_value v, sl_error *err)
{
    if (sl_value_is_num(v))
        return SL_OK;
    return sl_error_set(err, SL_ERR_TYPE, "%s() needs numbers, got %s",
                        sl_agg_kind_name(a->kind), sl_value_kind_name(v));
}

static int update_sum(const sl_agg *a, const uint8_t *p, sl_value v, sl_buf *out, sl_error *err)
{
    uint8_t t = p[0];
    int rc;
    if (v.kind == SL_VAL_NULL)
        return sl_buf_append(out, p, 9);
    if ((rc = need_number(a, v, err)) != SL_OK)
        return rc;
    if (t == 0 && v.kind == SL_VAL_INT) {
        int64_t r;
        if (__builtin_add_overflow(sl_agg_get_i64(p + 1), v.u.i, &r))
            return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in sum()");
        rc = sl_buf_append(out, &t, 1);
        return rc == SL_OK ? put_i64(out, r) : rc;
    }
    double s = t == 0 ? (double)sl_agg_get_i64(p + 1) : get_f64(p + 1);
    s += v.kind == SL_VAL_INT ? (double)v.u.i : v.u.f;
    if (!isfinite(s))
        return sl_error_set(err, SL_ERR_OVERFLOW, "float out of range in sum()");
    t = 1;
    rc = sl_buf_append(out, &t, 1);
    return rc == SL_OK ? put_f64(out, s) : rc;
}

static int update_mean(const sl_agg *a, const uint8_t *p, sl_value v, sl_buf *out, sl_error *err)
{
    int rc;
    if (v.kind == SL_VAL_NULL)
        return sl_buf_append(out, p, 16);
    if ((rc = need_number(a, v, err)) != SL_OK)
        return rc;
    double s = get_f64(p + 8) + (v.kind == SL_VAL_INT ? (double)v.u.i : v.u.f);
    if (!isfinite(s))
        return sl_error_set(err, SL_ERR_OVERFLOW, "float out of range in mean()");
    rc = put_i64(out, sl_agg_get_i64(p) + 1);
    return rc == SL_OK ? put_f64(out, s) : rc;
}

/* min, max, first, last: one value slot of n bytes at p. */
static int update_pick(const sl_agg *a, const uint8_t *p, size_t n, sl_value v, sl_mem *mem,
                       sl_buf *out, sl_error *err)
{
    sl_value old;
    size_t used;
    int rc, c;
    if (v.kind == SL_VAL_NULL || (a->kind == SL_AGG_FIRST && p[0] != TAG_NULL))
        return sl_buf_append(out, p, n);
    if (p[0] == TAG_NULL || a->kind == SL_AGG_LAST)
        return sl_agg_value_encode(v, out, err);
    if ((rc = sl_agg_value_decode(p, n, mem, &old, &used, err)) != SL_OK)
        return rc;
    if ((rc = sl_value_cmp(v, old, &c, err)) != SL_OK) {
        char msg[SL_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        return sl_error_set(err, rc, "%s(): %s", sl_agg_kind_name(a->kind), msg);
    }
    if ((a->kind == SL_AGG_MIN && c < 0) || (a->kind == SL_AGG_MAX && c > 0))
        return sl_agg_value_encode(v, out, err);
    return sl_buf_append(out, p, n);
}

static int update_collect(const uint8_t *p, size_t n, sl_value v, sl_buf *out, sl_error *err)
{
    uint8_t h[8];
    int rc;
    if (v.kind == SL_VAL_NULL)
        return sl_buf_append(out, p, n);
    size_t at = out->len;
    sl_agg_put_u32(h, sl_agg_get_u32(p) + 1);
    sl_agg_put_u32(h + 4, 0);
    if ((rc = sl_buf_append(out, h, 8)) != SL_OK || (rc = sl_buf_append(out, p + 8, n - 8)) != SL_OK ||
        (rc = sl_agg_value_encode(v, out, err)) != SL_OK)
        return rc;
    if (out->len - at - 8 > UINT32_MAX)
        return sl_error_set(err, SL_ERR_INVALID, "collect(): too much data in one window");
    sl_agg_put_u32((uint8_t *)out->data + at + 4, (uint32_t)(out->len - at - 8));
    return SL_OK;
}

int sl_agg_state_update(const sl_agg *aggs, size_t naggs, const void *st, size_t len,
                        const sl_value *vals, sl_mem *mem, sl_buf *out, size_t *failed,
                        sl_error *err)
{
    const uint8_t *p = st, *end = p + len;
    for (size_t i = 0; i < naggs; i++) {
        const sl_agg *a = &aggs[i];
        size_t n = slot_len(a->kind, p, (size_t)(end - p));
        int rc;
        if (n == 0)
            return corrupt(err);
        switch (a->kind) {
        case SL_AGG_COUNT_ALL:
        case SL_AGG_COUNT:
            rc = put_i64(out, sl_agg_get_i64(p) +
                                  (a->kind == SL_AGG_COUNT_ALL || vals[i].kind != SL_VAL_NULL));
            break;
        case SL_AGG_SUM:
            rc = update_sum(a, p, vals[i], out, err);
            break;
        case SL_AGG_MEAN:
            rc = update_mean(a, p, vals[i], out, err);
            break;
        case SL_AGG_COLLECT:
            rc = update_collect(p, n, vals[i], out, err);
            break;
        default:
            rc = update_pick(a, p, n, vals[i], mem, out, err);
            break;
        }
        if (rc != SL_OK) {
            if (failed)
                *failed = i;
            return rc == SL_ERR_NOMEM ? sl_error_set(err, rc, "out of memory") : rc;
        }
        p += n;
    }
    return p == end ? SL_OK : corrupt(err);
}

/* The result of one slot as a sl_value (borrowing p or mem); collect builds
 * a mutable list in the batch document. */
static int slot_result(const sl_agg *a, const uint8_t *p, size_t n, sl_mem *mem, sl_value *out,
                       sl_error *err)
{
    size_t used;
    switch (a->kind) {
    case SL_AGG_COUNT_ALL:
    case SL_AGG_COUNT:
        *out = sl_value_int(sl_agg_get_i64(p));
        return SL_OK;
    case SL_AGG_SUM:
        *out = p[0] == 0 ? sl_value_int(sl_agg_get_i64(p + 1)) : sl_value_float(get_f64(p + 1));
        return SL_OK;
    case SL_AGG_MEAN: {
        int64_t c = sl_agg_get_i64(p);
        *out = c ? sl_value_float(get_f64(p + 8) / (double)c) : sl_value_null();
        return SL_OK;
    }
    case SL_AGG_COLLECT: {
        yyjson_mut_doc *doc = sl_mem_doc(mem);
        yyjson_mut_val *arr = yyjson_mut_arr(doc);
        uint32_t cnt = sl_agg_get_u32(p);
        const uint8_t *q = p + 8, *end = p + n;
        if (!arr)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < cnt; i++) {
            sl_value v;
            yyjson_mut_val *m;
            int rc = sl_agg_value_decode(q, (size_t)(end - q), mem, &v, &used, err);
            if (rc != SL_OK)
                return rc;
            if ((rc = sl_value_to_mut(v, doc, &m, err)) != SL_OK)
                return rc;
            if (!yyjson_mut_arr_append(arr, m))
                return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
            q += used;
        }
        *out = sl_value_from_mut_json(arr);
        return SL_OK;
    }
    default:
        return sl_agg_value_decode(p, n, mem, out, &used, err);
    }
}

int sl_agg_state_result(const sl_agg *aggs, size_t naggs, const void *st, size_t len,
                        sl_mem *mem, yyjson_mut_val *obj, sl_error *err)
{
    const uint8_t *p = st, *end = p + len;
    yyjson_mut_doc *doc = sl_mem_doc(mem);
    for (size_t i = 0; i < naggs; i++) {
        size_t n = slot_len(aggs[i].kind, p, (size_t)(end - p));
        sl_value v;
        yyjson_mut_val *m;
        int rc;
        if (n == 0)
            return corrupt(err);
        if ((rc = slot_result(&aggs[i], p, n, mem, &v, err)) != SL_OK)
            return rc;
        /* to_mut copies strings out of the (borrowed) state bytes */
        if ((rc = sl_value_to_mut(v, doc, &m, err)) != SL_OK)
            return rc;
        if (!yyjson_mut_obj_add(obj, yyjson_mut_str(doc, aggs[i].name), m))
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        p += n;
    }
    return SL_OK;
}

/* Merges slot a (earlier messages) and slot b (later ones) of one kind. */
static int merge_slot(const sl_agg *ag, const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                      sl_mem *mem, sl_buf *out, sl_error *err)
{
    sl_value va, vb;
    size_t used;
    int rc, c;
    switch (ag->kind) {
    case SL_AGG_COUNT_ALL:
    case SL_AGG_COUNT:
        return put_i64(out, sl_agg_get_i64(a) + sl_agg_get_i64(b));
    case SL_AGG_SUM:
        if (b[0] == 0) /* b's sum is an int: add it like one message */
            return update_sum(ag, a, sl_value_int(sl_agg_get_i64(b + 1)), out, err);
        return update_sum(ag, a, sl_value_float(get_f64(b + 1)), out, err);
    case SL_AGG_MEAN: {
        double s = get_f64(a + 8) + get_f64(b + 8);
        if (!isfinite(s))
            return sl_error_set(err, SL_ERR_OVERFLOW, "float out of range in mean()");
        rc = put_i64(out, sl_agg_get_i64(a) + sl_agg_get_i64(b));
        return rc == SL_OK ? put_f64(out, s) : rc;
    }
    case SL_AGG_COLLECT: {
        uint8_t h[8];
        uint64_t bytes = (uint64_t)(na - 8) + (nb - 8);
        if (bytes > UINT32_MAX)
            return sl_error_set(err, SL_ERR_INVALID, "collect(): too much data in one window");
        sl_agg_put_u32(h, sl_agg_get_u32(a) + sl_agg_get_u32(b));
        sl_agg_put_u32(h + 4, (uint32_t)bytes);
        if ((rc = sl_buf_append(out, h, 8)) != SL_OK || (rc = sl_buf_append(out, a + 8, na - 8)))
            return rc;
        return sl_buf_append(out, b + 8, nb - 8);
    }
    case SL_AGG_FIRST:
        return a[0] != TAG_NULL ? sl_buf_append(out, a, na) : sl_buf_append(out, b, nb);
    case SL_AGG_LAST:
        return b[0] != TAG_NULL ? sl_buf_append(out, b, nb) : sl_buf_append(out, a, na);
    default: /* min, max */
        if (a[0] == TAG_NULL || b[0] == TAG_NULL)
            return a[0] == TAG_NULL ? sl_buf_append(out, b, nb) : sl_buf_append(out, a, na);
        if ((rc = sl_agg_value_decode(a, na, mem, &va, &used, err)) != SL_OK ||
            (rc = sl_agg_value_decode(b, nb, mem, &vb, &used, err)) != SL_OK)
            return rc;
        if ((rc = sl_value_cmp(vb, va, &c, err)) != SL_OK)
            return rc;
        if ((ag->kind == SL_AGG_MIN && c < 0) || (ag->kind == SL_AGG_MAX && c > 0))
            return sl_buf_append(out, b, nb);
        return sl_buf_append(out, a, na);
    }
}

int sl_agg_state_merge(const sl_agg *aggs, size_t naggs, const void *a, size_t alen,
                       const void *b, size_t blen, sl_mem *mem, sl_buf *out, size_t *failed,
                       sl_error *err)
{
    const uint8_t *p = a, *pe = p + alen, *q = b, *qe = q + blen;
    for (size_t i = 0; i < naggs; i++) {
        size_t na = slot_len(aggs[i].kind, p, (size_t)(pe - p));
        size_t nb = slot_len(aggs[i].kind, q, (size_t)(qe - q));
        if (na == 0 || nb == 0)
            return corrupt(err);
        int rc = merge_slot(&aggs[i], p, na, q, nb, mem, out, err);
        if (rc != SL_OK) {
            if (failed)
                *failed = i;
            return rc == SL_ERR_NOMEM ? sl_error_set(err, rc, "out of memory") : rc;
        }
        p += na;
        q += nb;
    }
    return p == pe && q == qe ? SL_OK : corrupt(err);
}

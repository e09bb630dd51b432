/* sl_value — conversions, comparison and JSON writing of runtime values
 * (see sl_value.h).
 *
 * Composite values are either immutable or mutable yyjson nodes; every
 * function here that looks inside one goes through sl_value_iter or
 * sl_value_obj_get so that both representations behave the same. JSON text
 * is written by hand (strings, integers, structure) except for doubles,
 * which are formatted by yyjson's shortest round-trip writer into a small
 * stack buffer, so that a float looks the same whether it was spliced by the
 * row encoder, written here, or returned by str(). */
#include "value/sl_value.h"

#include <math.h>
#include <string.h>

/* Input documents may nest arbitrarily deep (yyjson reads without
 * recursion); everything here that recurses stops at SL_VALUE_MAX_DEPTH. */

/* True if v nests more than limit levels of lists/objects. */
static bool nested_deeper(sl_value v, int limit)
{
    if (v.kind != SL_VAL_ARR && v.kind != SL_VAL_OBJ)
        return false;
    if (limit <= 0)
        return true;
    sl_value_iter it;
    sl_value x;
    sl_value_iter_init(&it, v);
    while (sl_value_iter_next(&it, NULL, &x))
        if (nested_deeper(x, limit - 1))
            return true;
    return false;
}

static const char *const kind_names[] = {
#define SL_VALUE_KIND_NAME(name, text) text,
    SL_VALUE_KIND_LIST(SL_VALUE_KIND_NAME)
#undef SL_VALUE_KIND_NAME
};

const char *sl_value_kind_name(sl_value v)
{
    if (v.kind < sizeof(kind_names) / sizeof(kind_names[0]))
        return kind_names[v.kind];
    return "?";
}

sl_value sl_value_from_json(yyjson_val *v)
{
    sl_value out = sl_value_null();
    if (!v)
        return out;
    switch (yyjson_get_type(v)) {
    case YYJSON_TYPE_BOOL:
        return sl_value_bool(unsafe_yyjson_get_bool(v));
    case YYJSON_TYPE_NUM:
        switch (yyjson_get_subtype(v)) {
        case YYJSON_SUBTYPE_UINT: {
            uint64_t u = unsafe_yyjson_get_uint(v);
            if (u > (uint64_t)INT64_MAX)
                return sl_value_float((double)u);
            return sl_value_int((int64_t)u);
        }
        case YYJSON_SUBTYPE_SINT:
            return sl_value_int(unsafe_yyjson_get_sint(v));
        default:
            return sl_value_float(unsafe_yyjson_get_real(v));
        }
    case YYJSON_TYPE_STR:
    case YYJSON_TYPE_RAW:
        return sl_value_str(unsafe_yyjson_get_str(v), unsafe_yyjson_get_len(v));
    case YYJSON_TYPE_ARR:
        out.kind = SL_VAL_ARR;
        out.u.iv = v;
        return out;
    case YYJSON_TYPE_OBJ:
        out.kind = SL_VAL_OBJ;
        out.u.iv = v;
        return out;
    default:
        return out;
    }
}

sl_value sl_value_from_mut_json(yyjson_mut_val *v)
{
    sl_value out = sl_value_null();
    if (!v)
        return out;
    switch (yyjson_mut_get_type(v)) {
    case YYJSON_TYPE_BOOL:
        return sl_value_bool(yyjson_mut_get_bool(v));
    case YYJSON_TYPE_NUM:
        switch (yyjson_mut_get_subtype(v)) {
        case YYJSON_SUBTYPE_UINT: {
            uint64_t u = yyjson_mut_get_uint(v);
            if (u > (uint64_t)INT64_MAX)
                return sl_value_float((double)u);
            return sl_value_int((int64_t)u);
        }
        case YYJSON_SUBTYPE_SINT:
            return sl_value_int(yyjson_mut_get_sint(v));
        default:
            return sl_value_float(yyjson_mut_get_real(v));
        }
    case YYJSON_TYPE_STR:
    case YYJSON_TYPE_RAW:
        return sl_value_str(yyjson_mut_get_str(v), yyjson_mut_get_len(v));
    case YYJSON_TYPE_ARR:
        out.kind = SL_VAL_ARR;
        out.is_mut = 1;
        out.u.mv = v;
        return out;
    case YYJSON_TYPE_OBJ:
        out.kind = SL_VAL_OBJ;
        out.is_mut = 1;
        out.u.mv = v;
        return out;
    default:
        return out;
    }
}

int sl_value_to_mut(sl_value v, yyjson_mut_doc *doc, yyjson_mut_val **out, sl_error *err)
{
    yyjson_mut_val *m = NULL;
    switch (v.kind) {
    case SL_VAL_NULL:
        m = yyjson_mut_null(doc);
        break;
    case SL_VAL_BOOL:
        m = yyjson_mut_bool(doc, v.u.b);
        break;
    case SL_VAL_INT:
        m = yyjson_mut_sint(doc, v.u.i);
        break;
    case SL_VAL_FLOAT:
        m = yyjson_mut_real(doc, v.u.f);
        break;
    case SL_VAL_STR:
        m = yyjson_mut_strncpy(doc, v.len ? v.u.s : "", v.len);
        break;
    case SL_VAL_ARR:
    case SL_VAL_OBJ:
        /* yyjson's copies recurse: refuse what could exhaust the stack. */
        if (nested_deeper(v, SL_VALUE_MAX_DEPTH)) {
            *out = NULL;
            return sl_error_set(err, SL_ERR_INVALID, "value nested deeper than %d levels",
                                SL_VALUE_MAX_DEPTH);
        }
        m = v.is_mut ? yyjson_mut_val_mut_copy(doc, v.u.mv) : yyjson_val_mut_copy(doc, v.u.iv);
        break;
    }
    *out = m;
    if (!m)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory building a JSON value");
    return SL_OK;
}

/* ---- iteration and lookup ---------------------------------------------- */

void sl_value_iter_init(sl_value_iter *it, sl_value v)
{
    memset(it, 0, sizeof(*it));
    it->kind = v.kind;
    it->is_mut = v.is_mut;
    if (v.kind == SL_VAL_ARR) {
        if (v.is_mut)
            yyjson_mut_arr_iter_init(v.u.mv, &it->it.ma);
        else
            yyjson_arr_iter_init(v.u.iv, &it->it.ia);
    } else if (v.kind == SL_VAL_OBJ) {
        if (v.is_mut)
            yyjson_mut_obj_iter_init(v.u.mv, &it->it.mo);
        else
            yyjson_obj_iter_init(v.u.iv, &it->it.io);
    } else {
        it->kind = SL_VAL_NULL;
    }
}

bool sl_value_iter_next(sl_value_iter *it, sl_value *key, sl_value *val)
{
    if (it->kind == SL_VAL_ARR) {
        if (it->is_mut) {
            yyjson_mut_val *x = yyjson_mut_arr_iter_next(&it->it.ma);
            if (!x)
                return false;
            *val = sl_value_from_mut_json(x);
        } else {
            yyjson_val *x = yyjson_arr_iter_next(&it->it.ia);
            if (!x)
                return false;
            *val = sl_value_from_json(x);
        }
        if (key)
            *key = sl_value_null();
        return true;
    }
    if (it->kind == SL_VAL_OBJ) {
        if (it->is_mut) {
            yyjson_mut_val *k = yyjson_mut_obj_iter_next(&it->it.mo);
            if (!k)
                return false;
            if (key)
                *key = sl_value_from_mut_json(k);
            *val = sl_value_from_mut_json(yyjson_mut_obj_iter_get_val(k));
        } else {
            yyjson_val *k = yyjson_obj_iter_next(&it->it.io);
            if (!k)
                return false;
            if (key)
                *key = sl_value_from_json(k);
            *val = sl_value_from_json(yyjson_obj_iter_get_val(k));
        }
        return true;
    }
    return false;
}

bool sl_value_obj_get(sl_value v, const char *k, size_t klen, sl_value *out)
{
    *out = sl_value_null();
    if (v.kind != SL_VAL_OBJ)
        return false;
    if (v.is_mut) {
        yyjson_mut_val *x = yyjson_mut_obj_getn(v.u.mv, k, klen);
        if (!x)
            return false;
        *out = sl_value_from_mut_json(x);
        return true;
    }
    yyjson_val *x = yyjson_obj_getn(v.u.iv, k, klen);
    if (!x)
        return false;
    *out = sl_value_from_json(x);
    return true;
}

size_t sl_value_size(sl_value v)
{
    if (v.kind == SL_VAL_ARR)
        return v.is_mut ? yyjson_mut_arr_size(v.u.mv) : yyjson_arr_size(v.u.iv);
    if (v.kind == SL_VAL_OBJ)
        return v.is_mut ? yyjson_mut_obj_size(v.u.mv) : yyjson_obj_size(v.u.iv);
    return 0;
}

/* ---- equality and ordering --------------------------------------------- */

/* Exact comparison of an int64 with a finite double (no rounding of i). */
static int cmp_int_float(int64_t i, double f)
{
    if (isnan(f))
        return -1; /* never produced here; keep the conversion below defined */
    if (f >= 9223372036854775808.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    double t = trunc(f);
    int64_t fi = (int64_t)t;
    if (i != fi)
        return i < fi ? -1 : 1;
    if (f > t)
        return -1;
    if (f < t)
        return 1;
    return 0;
}

static int cmp_num(sl_value a, sl_value b)
{
    if (a.kind == SL_VAL_INT && b.kind == SL_VAL_INT)
        return (a.u.i > b.u.i) - (a.u.i < b.u.i);
    if (a.kind == SL_VAL_INT)
        return cmp_int_float(a.u.i, b.u.f);
    if (b.kind == SL_VAL_INT)
        return -cmp_int_float(b.u.i, a.u.f);
    return (a.u.f > b.u.f) - (a.u.f < b.u.f);
}

static int cmp_str(sl_value a, sl_value b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.u.s, b.u.s, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

static bool eq_rec(sl_value a, sl_value b, int depth)
{
    if (sl_value_is_num(a) && sl_value_is_num(b))
        return cmp_num(a, b) == 0;
    if (a.kind != b.kind)
        return false;
    switch (a.kind) {
    case SL_VAL_NULL:
        return true;
    case SL_VAL_BOOL:
        return a.u.b == b.u.b;
    case SL_VAL_STR:
        return a.len == b.len && (a.len == 0 || memcmp(a.u.s, b.u.s, a.len) == 0);
    case SL_VAL_ARR: {
        if (sl_value_size(a) != sl_value_size(b) || depth >= SL_VALUE_MAX_DEPTH)
            return false;
        sl_value_iter ia, ib;
        sl_value xa, xb;
        sl_value_iter_init(&ia, a);
        sl_value_iter_init(&ib, b);
        while (sl_value_iter_next(&ia, NULL, &xa) && sl_value_iter_next(&ib, NULL, &xb))
            if (!eq_rec(xa, xb, depth + 1))
                return false;
        return true;
    }
    case SL_VAL_OBJ: {
        if (sl_value_size(a) != sl_value_size(b) || depth >= SL_VALUE_MAX_DEPTH)
            return false;
        sl_value_iter ia;
        sl_value k, xa, xb;
        sl_value_iter_init(&ia, a);
        while (sl_value_iter_next(&ia, &k, &xa)) {
            if (!sl_value_obj_get(b, k.u.s, k.len, &xb) || !eq_rec(xa, xb, depth + 1))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

bool sl_value_eq(sl_value a, sl_value b)
{
    return eq_rec(a, b, 0);
}

static int cmp_rec(sl_value a, sl_value b, int *out, sl_error *err, int depth)
{
    *out = 0;
    if (sl_value_is_num(a) && sl_value_is_num(b)) {
        *out = cmp_num(a, b);
        return SL_OK;
    }
    if (a.kind == b.kind) {
        switch (a.kind) {
        case SL_VAL_STR:
            *out = cmp_str(a, b);
            return SL_OK;
        case SL_VAL_BOOL:
            *out = (int)a.u.b - (int)b.u.b;
            return SL_OK;
        case SL_VAL_ARR: {
            sl_value_iter ia, ib;
            sl_value xa, xb;
            if (depth >= SL_VALUE_MAX_DEPTH)
                return sl_error_set(err, SL_ERR_INVALID, "value nested deeper than %d levels",
                                    SL_VALUE_MAX_DEPTH);
            sl_value_iter_init(&ia, a);
            sl_value_iter_init(&ib, b);
            for (;;) {
                bool ha = sl_value_iter_next(&ia, NULL, &xa);
                bool hb = sl_value_iter_next(&ib, NULL, &xb);
                if (!ha || !hb) {
                    *out = (int)ha - (int)hb;
                    return SL_OK;
                }
                if (eq_rec(xa, xb, depth + 1))
                    continue;
                return cmp_rec(xa, xb, out, err, depth + 1);
            }
        }
        default:
            break;
        }
    }
    return sl_error_set(err, SL_ERR_TYPE, "cannot order %s and %s", sl_value_kind_name(a),
                        sl_value_kind_name(b));
}

int sl_value_cmp(sl_value a, sl_value b, int *out, sl_error *err)
{
    return cmp_rec(a, b, out, err, 0);
}

bool sl_value_truthy(sl_value v)
{
    switch (v.kind) {
    case SL_VAL_BOOL:
        return v.u.b;
    case SL_VAL_INT:
        return v.u.i != 0;
    case SL_VAL_FLOAT:
        return v.u.f != 0.0;
    case SL_VAL_STR:
        return v.len != 0;
    case SL_VAL_ARR:
    case SL_VAL_OBJ:
        return sl_value_size(v) != 0;
    default:
        return false;
    }
}

/* ---- JSON writing ------------------------------------------------------ */

/* A yyjson allocator over a fixed stack buffer: enough for one number. */
typedef struct stack_alc {
    char buf[96];
    size_t used;
} stack_alc;

static void *stack_malloc(void *ctx, size_t size)
{
    stack_alc *s = ctx;
    if (size > sizeof(s->buf) - s->used)
        return NULL;
    void *p = s->buf + s->used;
    s->used += (size + 7) & ~(size_t)7;
    return p;
}

static void *stack_realloc(void *ctx, void *ptr, size_t old_size, size_t size)
{
    void *p = stack_malloc(ctx, size);
    if (p && ptr)
        memcpy(p, ptr, old_size < size ? old_size : size);
    return p;
}

static void stack_free(void *ctx, void *ptr) {}

/* Fast path for the common sensor-style float (few decimals, moderate
 * magnitude): the smallest k such that round(|d| * 10**k) / 10**k == |d|
 * gives the shortest decimal that reads back as d, because both operands of
 * that division are exact (m < 1e15 < 2**53, 10**k exact for k <= 22) and the
 * division is correctly rounded. Same text as yyjson's writer, which uses
 * plain decimal notation in this range; 0 means "not handled here". */
static size_t format_float_fast(double d, char *buf)
{
    /* Up to 7 decimals: beyond that the value is most likely a computed
     * full-precision one, for which the general writer is the faster way. */
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
    double a = fabs(d);
    if (!(a >= 1e-6 && a < 1e15))
        return 0;
    for (int k = 0; k < (int)(sizeof(p10) / sizeof(p10[0])); k++) {
        double x = a * p10[k];
        if (x >= 1e15)
            return 0;
        double m = (double)(int64_t)(x + 0.5); /* a candidate; checked next */
        if (m / p10[k] != a)
            continue;
        char digits[24];
        int nd = 0;
        uint64_t u = (uint64_t)m;
        do {
            digits[nd++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        char *p = buf;
        if (d < 0)
            *p++ = '-';
        if (k == 0) {
            while (nd)
                *p++ = digits[--nd];
            *p++ = '.';
            *p++ = '0';
        } else if (nd <= k) {
            *p++ = '0';
            *p++ = '.';
            for (int z = nd; z < k; z++)
                *p++ = '0';
            while (nd)
                *p++ = digits[--nd];
        } else {
            while (nd > k)
                *p++ = digits[--nd];
            *p++ = '.';
            while (nd)
                *p++ = digits[--nd];
        }
        *p = '\0';
        return (size_t)(p - buf);
    }
    return 0;
}

size_t sl_value_format_float(double d, char *buf)
{
    if (!isfinite(d)) {
        buf[0] = '\0';
        return 0;
    }
    size_t n = format_float_fast(d, buf);
    if (n)
        return n;
    stack_alc s;
    s.used = 0;
    yyjson_alc alc = {stack_malloc, stack_realloc, stack_free, &s};
    yyjson_mut_val v;
    memset(&v, 0, sizeof(v));
    yyjson_mut_set_real(&v, d);
    size_t len = 0;
    char *txt = yyjson_mut_val_write_opts(&v, 0, &alc, &len, NULL);
    if (!txt || len >= 32) {
        buf[0] = '\0';
        return 0;
    }
    memcpy(buf, txt, len);
    buf[len] = '\0';
    return len;
}

static int write_int(int64_t i, sl_buf *out)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0)
        *--p = '-';
    return sl_buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* True if s[0..len) is printable ASCII without '"' or '\\': copied as is. */
static bool str_is_plain(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            return false;
    }
    return true;
}

int sl_value_write_json_str(const char *s, size_t len, sl_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    if (str_is_plain(s, len)) { /* the common case: column names, ids */
        if (sl_buf_reserve(out, len + 2) != SL_OK)
            return SL_ERR_NOMEM;
        char *d = out->data + out->len;
        d[0] = '"';
        if (len)
            memcpy(d + 1, s, len);
        d[len + 1] = '"';
        d[len + 2] = '\0';
        out->len += len + 2;
        return SL_OK;
    }
    /* Worst case every byte becomes \u00XX or \ufffd: reserve once. */
    if (len > (SIZE_MAX - 2) / 6 || sl_buf_reserve(out, len * 6 + 2) != SL_OK)
        return SL_ERR_NOMEM;
    char *d = out->data + out->len;
    *d++ = '"';
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t n = 1;
        if (c >= 0x20 && c != '"' && c != '\\' &&
            (c < 0x80 || (n = sl_utf8_valid_len((const unsigned char *)s + i, len - i)) > 0)) {
            run += n;
            i += n - 1;
            continue;
        }
        if (run) {
            memcpy(d, s + i - run, run);
            d += run;
            run = 0;
        }
        if (c >= 0x80) {
            memcpy(d, "\\ufffd", 6);
            d += 6;
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        default:
            *d++ = 'u';
            *d++ = '0';
            *d++ = '0';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
        }
    }
    if (run) {
        memcpy(d, s + len - run, run);
        d += run;
    }
    *d++ = '"';
    *d = '\0';
    out->len = (size_t)(d - out->data);
    return SL_OK;
}

static int write_rec(sl_value v, sl_buf *out, sl_error *err, int depth)
{
    int rc = SL_OK;
    switch (v.kind) {
    case SL_VAL_NULL:
        rc = sl_buf_append(out, "null", 4);
        break;
    case SL_VAL_BOOL:
        rc = v.u.b ? sl_buf_append(out, "true", 4) : sl_buf_append(out, "false", 5);
        break;
    case SL_VAL_INT:
        rc = write_int(v.u.i, out);
        break;
    case SL_VAL_FLOAT: {
        char tmp[32];
        size_t n = sl_value_format_float(v.u.f, tmp);
        if (n == 0)
            return sl_error_set(err, SL_ERR_INVALID, "cannot write %g as JSON", v.u.f);
        rc = sl_buf_append(out, tmp, n);
        break;
    }
    case SL_VAL_STR:
        rc = sl_value_write_json_str(v.u.s, v.len, out);
        break;
    case SL_VAL_ARR:
    case SL_VAL_OBJ: {
        bool obj = v.kind == SL_VAL_OBJ;
        if (depth >= SL_VALUE_MAX_DEPTH)
            return sl_error_set(err, SL_ERR_INVALID, "value nested deeper than %d levels",
                                SL_VALUE_MAX_DEPTH);
        sl_value_iter it;
        sl_value k, x;
        bool first = true;
        rc = sl_buf_append(out, obj ? "{" : "[", 1);
        sl_value_iter_init(&it, v);
        while (rc == SL_OK && sl_value_iter_next(&it, &k, &x)) {
            if (!first)
                rc = sl_buf_append(out, ",", 1);
            first = false;
            if (rc == SL_OK && obj) {
                rc = sl_value_write_json_str(k.u.s, k.len, out);
                if (rc == SL_OK)
                    rc = sl_buf_append(out, ":", 1);
            }
            if (rc == SL_OK) {
                rc = write_rec(x, out, err, depth + 1);
                if (rc != SL_OK && rc != SL_ERR_NOMEM)
                    return rc;
            }
        }
        if (rc == SL_OK)
            rc = sl_buf_append(out, obj ? "}" : "]", 1);
        break;
    }
    }
    if (rc != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory writing JSON");
    return SL_OK;
}

int sl_value_write_json(sl_value v, sl_buf *out, sl_error *err)
{
    return write_rec(v, out, err, 0);
}

size_t sl_utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* ---- arena allocator for yyjson ----------------------------------------- */

static void *arena_malloc(void *ctx, size_t size)
{
    return sl_arena_alloc(ctx, size);
}

static void *arena_realloc(void *ctx, void *ptr, size_t old_size, size_t size)
{
    if (ptr && size <= old_size)
        return ptr;
    void *p = sl_arena_alloc(ctx, size);
    if (p && ptr && old_size)
        memcpy(p, ptr, old_size);
    return p;
}

static void arena_free(void *ctx, void *ptr) {}

void sl_value_alc_init(yyjson_alc *alc, sl_arena *arena)
{
    alc->malloc = arena_malloc;
    alc->realloc = arena_realloc;
    alc->free = arena_free;
    alc->ctx = arena;
}

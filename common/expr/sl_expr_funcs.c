/* sl_expr_funcs — built-in functions (see sl_expr_funcs.h).
 *
 * One static function per entry of SL_FUNC_LIST, named fn_<name>; the table
 * is generated from the list, so adding a function is one line there plus
 * its implementation here (and a line in docs/expressions.md).
 *
 * Decisions worth knowing (user-facing in docs/expressions.md):
 *  - round() is Python's: half to even on the exact binary value; round(x)
 *    gives an int, round(x, n) a float for a float x and an int for an int x;
 *  - floor() and ceil() give ints, like Python 3;
 *  - len() and substr() count Unicode code points; lower()/upper() change
 *    ASCII letters only (no locale, no tables);
 *  - str() of a float is its JSON text (shortest round-trip, "3.0"); of
 *    true/false is "true"/"false"; of a list/object its compact JSON;
 *  - int("12") parses a decimal integer (surrounding blanks allowed);
 *    int(2.9) truncates toward zero; float("1e3") parses a JSON-like number;
 *  - min()/max() skip nulls (null only when nothing else is left). */
#include "expr/sl_expr_funcs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/sl_expr_compile.h"
#include "expr/sl_expr_eval.h"

#define FN(name)                                                                              \
    static int fn_##name(sl_eval_ctx *ctx, const sl_value *args, size_t n, sl_value *out,   \
                         sl_error *err)

static int need(sl_error *err, const char *fn, const char *what, sl_value got)
{
    return sl_error_set(err, SL_ERR_TYPE, "%s() needs %s, not %s", fn, what,
                        sl_value_kind_name(got));
}

static int float_out(double f, sl_value *out, sl_error *err)
{
    if (!isfinite(f))
        return sl_error_set(err, SL_ERR_OVERFLOW, "float result out of range");
    *out = sl_value_float(f);
    return SL_OK;
}

/* A float holding an integral value converted to int, range-checked. */
static int float_to_int(double f, sl_value *out, sl_error *err)
{
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
        return sl_error_set(err, SL_ERR_OVERFLOW, "%g does not fit in an int", f);
    *out = sl_value_int((int64_t)f);
    return SL_OK;
}

static double num(sl_value v)
{
    return v.kind == SL_VAL_INT ? (double)v.u.i : v.u.f;
}

static char *alloc_str(sl_eval_ctx *ctx, size_t len, sl_error *err)
{
    char *s = sl_mem_alloc(ctx->mem, len ? len : 1);
    if (!s)
        sl_error_set(err, SL_ERR_NOMEM, "out of memory building a string");
    return s;
}

/* ---- UTF-8 helpers ------------------------------------------------------- */

static size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Byte offset of code point k in s[0..len) (len if past the end). */
static size_t utf8_offset(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    while (i < len && k > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        k--;
    }
    return i;
}

/* ---- math ------------------------------------------------------------------ */

FN(abs)
{
    if (args[0].kind == SL_VAL_INT) {
        if (args[0].u.i == INT64_MIN)
            return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in abs()");
        *out = sl_value_int(args[0].u.i < 0 ? -args[0].u.i : args[0].u.i);
        return SL_OK;
    }
    if (args[0].kind == SL_VAL_FLOAT) {
        *out = sl_value_float(fabs(args[0].u.f));
        return SL_OK;
    }
    return need(err, "abs", "a number", args[0]);
}

/* round(int, ndigits < 0): half to even at 10**-ndigits. */
static int round_int(int64_t x, int64_t nd, sl_value *out, sl_error *err)
{
    if (nd >= 0) {
        *out = sl_value_int(x);
        return SL_OK;
    }
    if (nd < -18) {
        /* 10**19 does not fit: only |x| > 5e18 at -19 rounds away from 0. */
        if (nd == -19 && (x > 5000000000000000000LL || x < -5000000000000000000LL))
            return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in round()");
        *out = sl_value_int(0);
        return SL_OK;
    }
    int64_t p = 1;
    for (int64_t i = 0; i < -nd; i++)
        p *= 10;
    int64_t q = x / p, r = x % p;
    if (r < 0) {
        r += p;
        q--;
    }
    if (r > p - r || (r == p - r && (q & 1)))
        q++;
    int64_t res;
    if (__builtin_mul_overflow(q, p, &res))
        return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in round()");
    *out = sl_value_int(res);
    return SL_OK;
}

FN(round)
{
    if (!sl_value_is_num(args[0]))
        return need(err, "round", "a number", args[0]);
    if (n == 1) {
        if (args[0].kind == SL_VAL_INT) {
            *out = args[0];
            return SL_OK;
        }
        return float_to_int(nearbyint(args[0].u.f), out, err);
    }
    if (args[1].kind != SL_VAL_INT)
        return need(err, "round", "an int number of digits", args[1]);
    int64_t nd = args[1].u.i;
    if (args[0].kind == SL_VAL_INT)
        return round_int(args[0].u.i, nd, out, err);
    double x = args[0].u.f;
    if (nd > 300) {
        *out = args[0];
        return SL_OK;
    }
    if (nd >= 0) {
        /* printf rounds the exact binary value half-to-even, as Python does. */
        char buf[720]; /* 309 integer digits, sign, point, up to 300 decimals */
        snprintf(buf, sizeof(buf), "%.*f", (int)nd, x);
        return float_out(strtod(buf, NULL), out, err);
    }
    if (nd < -308) {
        *out = sl_value_float(0.0 * x);
        return SL_OK;
    }
    double p = pow(10.0, (double)-nd);
    return float_out(nearbyint(x / p) * p, out, err);
}

FN(floor)
{
    if (args[0].kind == SL_VAL_INT) {
        *out = args[0];
        return SL_OK;
    }
    if (args[0].kind != SL_VAL_FLOAT)
        return need(err, "floor", "a number", args[0]);
    return float_to_int(floor(args[0].u.f), out, err);
}

FN(ceil)
{
    if (args[0].kind == SL_VAL_INT) {
        *out = args[0];
        return SL_OK;
    }
    if (args[0].kind != SL_VAL_FLOAT)
        return need(err, "ceil", "a number", args[0]);
    return float_to_int(ceil(args[0].u.f), out, err);
}

FN(sqrt)
{
    if (!sl_value_is_num(args[0]))
        return need(err, "sqrt", "a number", args[0]);
    double x = num(args[0]);
    if (x < 0)
        return sl_error_set(err, SL_ERR_INVALID, "math domain error: sqrt() of a negative number");
    return float_out(sqrt(x), out, err);
}

FN(pow)
{
    return sl_eval_binary(SL_OP_POW, ctx, args[0], args[1], out, err);
}

FN(log)
{
    for (size_t i = 0; i < n; i++)
        if (!sl_value_is_num(args[i]))
            return need(err, "log", "numbers", args[i]);
    double x = num(args[0]);
    if (x <= 0)
        return sl_error_set(err, SL_ERR_INVALID, "math domain error: log() of a number <= 0");
    if (n == 1)
        return float_out(log(x), out, err);
    double b = num(args[1]);
    if (b <= 0 || b == 1.0)
        return sl_error_set(err, SL_ERR_INVALID, "math domain error: log() base must be > 0 and != 1");
    return float_out(log(x) / log(b), out, err);
}

FN(exp)
{
    if (!sl_value_is_num(args[0]))
        return need(err, "exp", "a number", args[0]);
    return float_out(exp(num(args[0])), out, err);
}

static int min_max(const char *name, bool want_max, const sl_value *args, size_t n,
                   sl_value *out, sl_error *err)
{
    sl_value best = sl_value_null(), x;
    sl_value_iter it;
    bool from_list = n == 1;
    if (from_list) {
        if (args[0].kind == SL_VAL_NULL) {
            *out = best;
            return SL_OK;
        }
        if (args[0].kind != SL_VAL_ARR)
            return need(err, name, "a list or at least two arguments", args[0]);
        sl_value_iter_init(&it, args[0]);
    }
    for (size_t i = 0;; i++) {
        if (from_list) {
            if (!sl_value_iter_next(&it, NULL, &x))
                break;
        } else {
            if (i >= n)
                break;
            x = args[i];
        }
        if (x.kind == SL_VAL_NULL)
            continue;
        if (best.kind == SL_VAL_NULL) {
            best = x;
            continue;
        }
        int c;
        if (sl_value_cmp(x, best, &c, err) != SL_OK)
            return sl_error_set(err, SL_ERR_TYPE, "%s() cannot compare %s and %s", name,
                                sl_value_kind_name(x), sl_value_kind_name(best));
        if (want_max ? c > 0 : c < 0)
            best = x;
    }
    *out = best;
    return SL_OK;
}

FN(min) { return min_max("min", false, args, n, out, err); }
FN(max) { return min_max("max", true, args, n, out, err); }

FN(coalesce)
{
    *out = sl_value_null();
    for (size_t i = 0; i < n; i++)
        if (args[i].kind != SL_VAL_NULL) {
            *out = args[i];
            break;
        }
    return SL_OK;
}

FN(is_null)
{
    *out = sl_value_bool(args[0].kind == SL_VAL_NULL);
    return SL_OK;
}

/* ---- strings ---------------------------------------------------------------- */

static int change_case(sl_eval_ctx *ctx, const char *name, bool up, sl_value s, sl_value *out,
                       sl_error *err)
{
    if (s.kind != SL_VAL_STR)
        return need(err, name, "a str", s);
    char *d = alloc_str(ctx, s.len, err);
    if (!d)
        return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < s.len; i++) {
        char c = s.u.s[i];
        if (up && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!up && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        d[i] = c;
    }
    *out = sl_value_str(d, s.len);
    return SL_OK;
}

FN(lower) { return change_case(ctx, "lower", false, args[0], out, err); }
FN(upper) { return change_case(ctx, "upper", true, args[0], out, err); }

FN(len)
{
    if (args[0].kind == SL_VAL_STR) {
        *out = sl_value_int((int64_t)utf8_count(args[0].u.s, args[0].len));
        return SL_OK;
    }
    if (args[0].kind == SL_VAL_ARR || args[0].kind == SL_VAL_OBJ) {
        *out = sl_value_int((int64_t)sl_value_size(args[0]));
        return SL_OK;
    }
    return need(err, "len", "a str, list or object", args[0]);
}

FN(contains)
{
    return sl_eval_binary(SL_OP_IN, ctx, args[1], args[0], out, err);
}

static int affix(const char *name, bool start, const sl_value *args, sl_value *out, sl_error *err)
{
    if (args[0].kind != SL_VAL_STR)
        return need(err, name, "a str", args[0]);
    if (args[1].kind != SL_VAL_STR)
        return need(err, name, "a str to look for", args[1]);
    sl_value s = args[0], a = args[1];
    bool r = a.len <= s.len &&
             (a.len == 0 || memcmp(start ? s.u.s : s.u.s + (s.len - a.len), a.u.s, a.len) == 0);
    *out = sl_value_bool(r);
    return SL_OK;
}

FN(startswith) { return affix("startswith", true, args, out, err); }
FN(endswith) { return affix("endswith", false, args, out, err); }

FN(substr)
{
    if (args[0].kind != SL_VAL_STR)
        return need(err, "substr", "a str", args[0]);
    if (args[1].kind != SL_VAL_INT)
        return need(err, "substr", "an int start", args[1]);
    if (n == 3 && args[2].kind != SL_VAL_INT)
        return need(err, "substr", "an int length", args[2]);
    sl_value s = args[0];
    int64_t count = (int64_t)utf8_count(s.u.s, s.len);
    int64_t start = args[1].u.i;
    if (start < 0)
        start = start < -count ? 0 : count + start;
    if (start > count)
        start = count;
    int64_t len = count - start;
    if (n == 3) {
        if (args[2].u.i < 0)
            return sl_error_set(err, SL_ERR_INVALID, "substr() length must not be negative");
        if (args[2].u.i < len)
            len = args[2].u.i;
    }
    size_t b = utf8_offset(s.u.s, s.len, (size_t)start);
    size_t e = b + utf8_offset(s.u.s + b, s.len - b, (size_t)len);
    *out = sl_value_str(s.u.s + b, e - b);
    return SL_OK;
}

FN(str)
{
    sl_value v = args[0];
    if (v.kind == SL_VAL_STR) {
        *out = v;
        return SL_OK;
    }
    sl_buf b = SL_BUF_INIT;
    int rc = sl_value_write_json(v, &b, err);
    if (rc == SL_OK) {
        char *s = alloc_str(ctx, b.len, err);
        if (!s) {
            rc = SL_ERR_NOMEM;
        } else {
            memcpy(s, b.data, b.len);
            *out = sl_value_str(s, b.len);
        }
    }
    sl_buf_free(&b);
    return rc;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies s without surrounding blanks into a NUL-terminated buffer (tmp if
 * it fits, else the arena); NULL on OOM. */
static char *trimmed_cstr(sl_eval_ctx *ctx, sl_value s, char *tmp, size_t tmpsize, size_t *len)
{
    size_t b = 0, e = s.len;
    while (b < e && is_blank(s.u.s[b]))
        b++;
    while (e > b && is_blank(s.u.s[e - 1]))
        e--;
    char *d = e - b < tmpsize ? tmp : sl_mem_alloc(ctx->mem, e - b + 1);
    if (!d)
        return NULL;
    memcpy(d, s.u.s + b, e - b);
    d[e - b] = '\0';
    *len = e - b;
    return d;
}

FN(int)
{
    sl_value v = args[0];
    switch (v.kind) {
    case SL_VAL_INT:
        *out = v;
        return SL_OK;
    case SL_VAL_BOOL:
        *out = sl_value_int(v.u.b);
        return SL_OK;
    case SL_VAL_FLOAT:
        return float_to_int(trunc(v.u.f), out, err);
    case SL_VAL_STR: {
        char tmp[64], *end;
        size_t len;
        char *s = trimmed_cstr(ctx, v, tmp, sizeof(tmp), &len);
        if (!s)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        const char *digits = s + (s[0] == '+' || s[0] == '-');
        if (*digits < '0' || *digits > '9')
            goto bad;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (*end != '\0')
            goto bad;
        if (errno == ERANGE)
            return sl_error_set(err, SL_ERR_OVERFLOW, "int(): \"%.40s\" is out of range", s);
        *out = sl_value_int(x);
        return SL_OK;
    bad:
        return sl_error_set(err, SL_ERR_INVALID, "int(): \"%.40s\" is not an integer", s);
    }
    default:
        return need(err, "int", "a number, bool or str", v);
    }
}

FN(float)
{
    sl_value v = args[0];
    switch (v.kind) {
    case SL_VAL_INT:
        *out = sl_value_float((double)v.u.i);
        return SL_OK;
    case SL_VAL_FLOAT:
        *out = v;
        return SL_OK;
    case SL_VAL_BOOL:
        *out = sl_value_float(v.u.b ? 1.0 : 0.0);
        return SL_OK;
    case SL_VAL_STR: {
        char tmp[64], *end;
        size_t len;
        char *s = trimmed_cstr(ctx, v, tmp, sizeof(tmp), &len);
        if (!s)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        /* Digits (with optional sign, point, exponent) only: no inf/nan/hex. */
        const char *p = s + (s[0] == '+' || s[0] == '-');
        bool ok = (*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9');
        for (const char *q = p; ok && *q; q++)
            ok = (*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
                 *q == '-';
        double d = ok ? strtod(s, &end) : 0.0;
        if (!ok || *end != '\0')
            return sl_error_set(err, SL_ERR_INVALID, "float(): \"%.40s\" is not a number", s);
        return float_out(d, out, err);
    }
    default:
        return need(err, "float", "a number, bool or str", v);
    }
}

FN(bool)
{
    *out = sl_value_bool(sl_value_truthy(args[0]));
    return SL_OK;
}

FN(trim)
{
    if (args[0].kind != SL_VAL_STR)
        return need(err, "trim", "a str", args[0]);
    sl_value s = args[0];
    size_t b = 0, e = s.len;
    while (b < e && is_blank(s.u.s[b]))
        b++;
    while (e > b && is_blank(s.u.s[e - 1]))
        e--;
    *out = sl_value_str(s.u.s + b, e - b);
    return SL_OK;
}

/* Copies a built string from b into batch memory as *out. */
static int buf_to_str(sl_eval_ctx *ctx, const sl_buf *b, sl_value *out, sl_error *err)
{
    char *d = alloc_str(ctx, b->len, err);
    if (!d)
        return SL_ERR_NOMEM;
    if (b->len)
        memcpy(d, b->data, b->len);
    *out = sl_value_str(d, b->len);
    return SL_OK;
}

FN(replace)
{
    for (size_t i = 0; i < 3; i++)
        if (args[i].kind != SL_VAL_STR)
            return need(err, "replace", "str arguments", args[i]);
    sl_value s = args[0], a = args[1], r = args[2];
    if (a.len == 0 || a.len > s.len) {
        *out = s;
        return SL_OK;
    }
    sl_buf b = SL_BUF_INIT;
    int rc = SL_OK;
    size_t i = 0;
    while (rc == SL_OK && i < s.len) {
        if (i + a.len <= s.len && memcmp(s.u.s + i, a.u.s, a.len) == 0) {
            rc = sl_buf_append(&b, r.u.s, r.len);
            i += a.len;
        } else {
            rc = sl_buf_append(&b, s.u.s + i, 1);
            i++;
        }
    }
    if (rc == SL_OK && b.len > SL_VALUE_STR_MAX)
        rc = sl_error_set(err, SL_ERR_OVERFLOW, "replace(): result too long");
    else if (rc != SL_OK)
        rc = sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = buf_to_str(ctx, &b, out, err);
    sl_buf_free(&b);
    return rc;
}

FN(split)
{
    if (args[0].kind != SL_VAL_STR || args[1].kind != SL_VAL_STR)
        return need(err, "split", "str arguments", args[0].kind != SL_VAL_STR ? args[0] : args[1]);
    sl_value s = args[0], sep = args[1];
    if (sep.len == 0)
        return sl_error_set(err, SL_ERR_INVALID, "split(): empty separator");
    yyjson_mut_doc *doc = sl_mem_doc(ctx->mem);
    yyjson_mut_val *arr = yyjson_mut_arr(doc);
    if (!arr)
        goto nomem;
    size_t start = 0, i = 0;
    while (i + sep.len <= s.len) {
        if (memcmp(s.u.s + i, sep.u.s, sep.len) == 0) {
            if (!yyjson_mut_arr_add_strncpy(doc, arr, s.u.s + start, i - start))
                goto nomem;
            i += sep.len;
            start = i;
        } else {
            i++;
        }
    }
    if (!yyjson_mut_arr_add_strncpy(doc, arr, s.len ? s.u.s + start : "", s.len - start))
        goto nomem;
    *out = sl_value_from_mut_json(arr);
    return SL_OK;
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

FN(join)
{
    if (args[0].kind != SL_VAL_ARR)
        return need(err, "join", "a list", args[0]);
    if (args[1].kind != SL_VAL_STR)
        return need(err, "join", "a str separator", args[1]);
    sl_buf b = SL_BUF_INIT;
    sl_value_iter it;
    sl_value x;
    int rc = SL_OK;
    bool first = true;
    sl_value_iter_init(&it, args[0]);
    while (rc == SL_OK && sl_value_iter_next(&it, NULL, &x)) {
        if (x.kind != SL_VAL_STR) {
            rc = need(err, "join", "a list of str", x);
            break;
        }
        if (!first && sl_buf_append(&b, args[1].u.s, args[1].len) != SL_OK)
            rc = SL_ERR_NOMEM;
        if (rc == SL_OK && sl_buf_append(&b, x.u.s, x.len) != SL_OK)
            rc = SL_ERR_NOMEM;
        first = false;
    }
    if (rc == SL_ERR_NOMEM)
        sl_error_set(err, rc, "out of memory");
    if (rc == SL_OK && b.len > SL_VALUE_STR_MAX)
        rc = sl_error_set(err, SL_ERR_OVERFLOW, "join(): result too long");
    if (rc == SL_OK)
        rc = buf_to_str(ctx, &b, out, err);
    sl_buf_free(&b);
    return rc;
}

FN(keys)
{
    if (args[0].kind != SL_VAL_OBJ)
        return need(err, "keys", "an object", args[0]);
    yyjson_mut_doc *doc = sl_mem_doc(ctx->mem);
    yyjson_mut_val *arr = yyjson_mut_arr(doc);
    sl_value_iter it;
    sl_value k, x;
    if (!arr)
        goto nomem;
    sl_value_iter_init(&it, args[0]);
    while (sl_value_iter_next(&it, &k, &x))
        if (!yyjson_mut_arr_add_strncpy(doc, arr, k.u.s, k.len))
            goto nomem;
    *out = sl_value_from_mut_json(arr);
    return SL_OK;
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

FN(get)
{
    sl_value c = args[0], k = args[1], dflt = n == 3 ? args[2] : sl_value_null(), v;
    *out = dflt;
    if (c.kind == SL_VAL_NULL || k.kind == SL_VAL_NULL)
        return SL_OK;
    if (c.kind == SL_VAL_OBJ && k.kind == SL_VAL_STR) {
        if (sl_value_obj_get(c, k.u.s, k.len, &v) && v.kind != SL_VAL_NULL)
            *out = v;
        return SL_OK;
    }
    if (c.kind == SL_VAL_ARR && k.kind == SL_VAL_INT) {
        int64_t size = (int64_t)sl_value_size(c), i = k.u.i < 0 ? k.u.i + size : k.u.i;
        if (i >= 0 && i < size) {
            v = c.is_mut ? sl_value_from_mut_json(yyjson_mut_arr_get(c.u.mv, (size_t)i))
                         : sl_value_from_json(yyjson_arr_get(c.u.iv, (size_t)i));
            if (v.kind != SL_VAL_NULL)
                *out = v;
        }
        return SL_OK;
    }
    return sl_error_set(err, SL_ERR_TYPE, "get() cannot look up %s in %s", sl_value_kind_name(k),
                        sl_value_kind_name(c));
}

/* ---- table ------------------------------------------------------------------ */

static const sl_func funcs[] = {
#define SL_FUNC_ENTRY(name, lo, hi, nulls, sig) {#name, lo, hi, nulls, sig, fn_##name},
    SL_FUNC_LIST(SL_FUNC_ENTRY)
#undef SL_FUNC_ENTRY
};

#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

const sl_func *sl_func_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NFUNCS; i++)
        if (strlen(funcs[i].name) == len && memcmp(funcs[i].name, name, len) == 0)
            return &funcs[i];
    return NULL;
}

/* Levenshtein distance, capped: names are short. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[32];
    if (la >= 32 || lb >= 32)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *sl_func_suggest(const char *name, size_t len)
{
    const char *best = NULL;
    size_t best_d = len <= 3 ? 2 : 3; /* accept distance 1 for short names, else 2 */
    for (size_t i = 0; i < NFUNCS; i++) {
        size_t d = edit_distance(name, len, funcs[i].name, strlen(funcs[i].name));
        if (d < best_d) {
            best = funcs[i].name;
            best_d = d;
        }
    }
    return best;
}

int sl_func_call(const sl_func *f, sl_eval_ctx *ctx, const sl_value *args, size_t n,
                 sl_value *out, sl_error *err)
{
    *out = sl_value_null();
    if (!f->null_aware)
        for (size_t i = 0; i < n; i++)
            if (args[i].kind == SL_VAL_NULL)
                return SL_OK;
    return f->impl(ctx, args, n, out, err);
}

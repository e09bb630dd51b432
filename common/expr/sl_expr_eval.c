/* sl_expr_eval — evaluator over compiled expressions (see sl_expr_eval.h).
 *
 * A direct tree walk over sl_cnode: the compiled tree is small (paths are
 * already split, constants folded), so one switch per node is as fast as a
 * bytecode loop would be here and much simpler to keep correct. Operator
 * semantics live in sl_eval_binary, shared with constant folding and with
 * the function table (pow, contains). Results that need memory (joined
 * strings, lists, objects) come from the context's sl_mem. */
#include "expr/sl_expr_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- evaluation context ---------------------------------------------------- */

sl_eval_ctx *sl_eval_ctx_create(size_t block_size)
{
    sl_eval_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    ctx->mem = sl_mem_create(block_size);
    if (!ctx->mem) {
        free(ctx);
        return NULL;
    }
    ctx->owns_mem = 1;
    return ctx;
}

void sl_eval_ctx_destroy(sl_eval_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->owns_mem)
        sl_mem_destroy(ctx->mem);
    free(ctx);
}

int sl_eval_ctx_reset(sl_eval_ctx *ctx)
{
    return sl_mem_reset(ctx->mem);
}

/* ---- arithmetic ------------------------------------------------------------- */

static int type_error(sl_error *err, sl_op op, sl_value a, sl_value b)
{
    return sl_error_set(err, SL_ERR_TYPE, "unsupported operand types for %s: %s and %s",
                        sl_op_name(op), sl_value_kind_name(a), sl_value_kind_name(b));
}

static int float_result(double f, sl_value *out, sl_error *err)
{
    if (!isfinite(f))
        return sl_error_set(err, SL_ERR_OVERFLOW, "float result out of range");
    *out = sl_value_float(f);
    return SL_OK;
}

static double as_double(sl_value v)
{
    return v.kind == SL_VAL_INT ? (double)v.u.i : v.u.f;
}

/* Python's float divmod: floor quotient and a remainder with b's sign. */
static void float_divmod(double a, double b, double *div_out, double *mod_out)
{
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0) {
        if ((b < 0) != (mod < 0)) {
            mod += b;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, b);
    }
    double fdiv;
    if (div != 0.0) {
        fdiv = floor(div);
        if (div - fdiv > 0.5)
            fdiv += 1.0;
    } else {
        fdiv = copysign(0.0, a / b);
    }
    *div_out = fdiv;
    *mod_out = mod;
}

static int int_pow(int64_t base, int64_t exp, sl_value *out, sl_error *err)
{
    int64_t result = 1;
    while (exp > 0) {
        if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
            goto overflow;
        exp >>= 1;
        if (exp && __builtin_mul_overflow(base, base, &base))
            goto overflow;
    }
    *out = sl_value_int(result);
    return SL_OK;
overflow:
    return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in **");
}

static int arith(sl_op op, sl_value a, sl_value b, sl_value *out, sl_error *err)
{
    if (a.kind == SL_VAL_INT && b.kind == SL_VAL_INT) {
        int64_t x = a.u.i, y = b.u.i, r;
        switch (op) {
        case SL_OP_ADD:
            if (__builtin_add_overflow(x, y, &r))
                goto overflow;
            break;
        case SL_OP_SUB:
            if (__builtin_sub_overflow(x, y, &r))
                goto overflow;
            break;
        case SL_OP_MUL:
            if (__builtin_mul_overflow(x, y, &r))
                goto overflow;
            break;
        case SL_OP_DIV:
            if (y == 0)
                goto divzero;
            return float_result((double)x / (double)y, out, err);
        case SL_OP_FLOORDIV:
            if (y == 0)
                goto divzero;
            if (x == INT64_MIN && y == -1)
                goto overflow;
            r = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0)))
                r--;
            break;
        case SL_OP_MOD:
            if (y == 0)
                goto divzero;
            if (y == -1) {
                r = 0;
                break;
            }
            r = x % y;
            if (r != 0 && ((r < 0) != (y < 0)))
                r += y;
            break;
        case SL_OP_POW:
            if (y >= 0)
                return int_pow(x, y, out, err);
            if (x == 0)
                return sl_error_set(err, SL_ERR_INVALID, "0 cannot be raised to a negative power");
            return float_result(pow((double)x, (double)y), out, err);
        default:
            return type_error(err, op, a, b);
        }
        *out = sl_value_int(r);
        return SL_OK;
    }
    double x = as_double(a), y = as_double(b), d, m;
    switch (op) {
    case SL_OP_ADD:
        return float_result(x + y, out, err);
    case SL_OP_SUB:
        return float_result(x - y, out, err);
    case SL_OP_MUL:
        return float_result(x * y, out, err);
    case SL_OP_DIV:
        if (y == 0.0)
            goto divzero;
        return float_result(x / y, out, err);
    case SL_OP_FLOORDIV:
    case SL_OP_MOD:
        if (y == 0.0)
            goto divzero;
        float_divmod(x, y, &d, &m);
        return float_result(op == SL_OP_MOD ? m : d, out, err);
    case SL_OP_POW:
        if (x == 0.0 && y < 0.0)
            return sl_error_set(err, SL_ERR_INVALID, "0.0 cannot be raised to a negative power");
        if (x < 0.0 && y != floor(y))
            return sl_error_set(err, SL_ERR_INVALID,
                                "a negative number cannot be raised to a fractional power");
        return float_result(pow(x, y), out, err);
    default:
        return type_error(err, op, a, b);
    }
overflow:
    return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in %s", sl_op_name(op));
divzero:
    return sl_error_set(err, SL_ERR_INVALID, "division by zero");
}

static int concat_str(sl_eval_ctx *ctx, sl_value a, sl_value b, sl_value *out, sl_error *err)
{
    size_t n = (size_t)a.len + b.len;
    if (n > SL_VALUE_STR_MAX)
        return sl_error_set(err, SL_ERR_OVERFLOW, "string too long");
    char *s = sl_mem_alloc(ctx->mem, n ? n : 1);
    if (!s)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory joining strings");
    if (a.len)
        memcpy(s, a.u.s, a.len);
    if (b.len)
        memcpy(s + a.len, b.u.s, b.len);
    *out = sl_value_str(s, n);
    return SL_OK;
}

static int concat_list(sl_eval_ctx *ctx, sl_value a, sl_value b, sl_value *out, sl_error *err)
{
    yyjson_mut_doc *doc = sl_mem_doc(ctx->mem);
    yyjson_mut_val *arr = yyjson_mut_arr(doc), *m;
    sl_value parts[2] = {a, b}, x;
    if (!arr)
        goto nomem;
    for (int i = 0; i < 2; i++) {
        sl_value_iter it;
        sl_value_iter_init(&it, parts[i]);
        while (sl_value_iter_next(&it, NULL, &x)) {
            int rc = sl_value_to_mut(x, doc, &m, err);
            if (rc != SL_OK)
                return rc;
            if (!yyjson_mut_arr_append(arr, m))
                goto nomem;
        }
    }
    *out = sl_value_from_mut_json(arr);
    return SL_OK;
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory joining lists");
}

/* True if needle[0..nlen) occurs in hay[0..hlen) (nlen > 0). */
static bool bytes_find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen > hlen)
        return false;
    const char *end = hay + (hlen - nlen);
    for (const char *p = hay; p <= end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) + 1);
        if (!p)
            return false;
        if (memcmp(p, needle, nlen) == 0)
            return true;
    }
    return false;
}

/* x in container: list elements, substrings, object keys. */
static int contains(sl_value x, sl_value c, bool *found, sl_error *err)
{
    *found = false;
    if (c.kind == SL_VAL_STR) {
        if (x.kind != SL_VAL_STR)
            return sl_error_set(err, SL_ERR_TYPE, "'in <str>' needs a str on the left, not %s",
                                sl_value_kind_name(x));
        *found = x.len == 0 || bytes_find(c.u.s, c.len, x.u.s, x.len);
        return SL_OK;
    }
    if (c.kind == SL_VAL_ARR) {
        sl_value_iter it;
        sl_value e;
        sl_value_iter_init(&it, c);
        while (sl_value_iter_next(&it, NULL, &e))
            if (sl_value_eq(x, e)) {
                *found = true;
                break;
            }
        return SL_OK;
    }
    if (c.kind == SL_VAL_OBJ) {
        sl_value ignored;
        if (x.kind != SL_VAL_STR)
            return sl_error_set(err, SL_ERR_TYPE, "'in <object>' needs a str key, not %s",
                                sl_value_kind_name(x));
        *found = sl_value_obj_get(c, x.u.s, x.len, &ignored);
        return SL_OK;
    }
    return sl_error_set(err, SL_ERR_TYPE, "'in' needs a list, str or object on the right, not %s",
                        sl_value_kind_name(c));
}

int sl_eval_binary(sl_op op, sl_eval_ctx *ctx, sl_value a, sl_value b, sl_value *out,
                   sl_error *err)
{
    *out = sl_value_null();
    if (a.kind == SL_VAL_NULL || b.kind == SL_VAL_NULL)
        return SL_OK;
    switch (op) {
    case SL_OP_ADD:
        if (a.kind == SL_VAL_STR && b.kind == SL_VAL_STR)
            return concat_str(ctx, a, b, out, err);
        if (a.kind == SL_VAL_ARR && b.kind == SL_VAL_ARR)
            return concat_list(ctx, a, b, out, err);
        /* fall through */
    case SL_OP_SUB:
    case SL_OP_MUL:
    case SL_OP_DIV:
    case SL_OP_FLOORDIV:
    case SL_OP_MOD:
    case SL_OP_POW:
        if (!sl_value_is_num(a) || !sl_value_is_num(b))
            return type_error(err, op, a, b);
        return arith(op, a, b, out, err);
    case SL_OP_EQ:
    case SL_OP_NE:
        *out = sl_value_bool(sl_value_eq(a, b) == (op == SL_OP_EQ));
        return SL_OK;
    case SL_OP_LT:
    case SL_OP_LE:
    case SL_OP_GT:
    case SL_OP_GE: {
        int c, rc = sl_value_cmp(a, b, &c, err);
        if (rc != SL_OK)
            return sl_error_set(err, SL_ERR_TYPE, "cannot compare %s %s %s",
                                sl_value_kind_name(a), sl_op_name(op), sl_value_kind_name(b));
        bool r = op == SL_OP_LT ? c < 0 : op == SL_OP_LE ? c <= 0 : op == SL_OP_GT ? c > 0 : c >= 0;
        *out = sl_value_bool(r);
        return SL_OK;
    }
    case SL_OP_IN:
    case SL_OP_NOTIN: {
        bool found;
        int rc = contains(a, b, &found, err);
        if (rc != SL_OK)
            return rc;
        *out = sl_value_bool(found == (op == SL_OP_IN));
        return SL_OK;
    }
    default:
        return sl_error_set(err, SL_ERR_INVALID, "not a binary operator: %s", sl_op_name(op));
    }
}

/* ---- paths ------------------------------------------------------------------ */

static int index_list(sl_value list, int64_t i, sl_value *out)
{
    int64_t n = (int64_t)sl_value_size(list);
    if (i < 0)
        i += n;
    *out = sl_value_null();
    if (i < 0 || i >= n)
        return SL_OK;
    if (list.is_mut)
        *out = sl_value_from_mut_json(yyjson_mut_arr_get(list.u.mv, (size_t)i));
    else
        *out = sl_value_from_json(yyjson_arr_get(list.u.iv, (size_t)i));
    return SL_OK;
}

static int step_key(sl_value v, const char *k, size_t klen, sl_value *out, sl_error *err)
{
    if (v.kind == SL_VAL_OBJ || v.kind == SL_VAL_NULL) {
        sl_value_obj_get(v, k, klen, out);
        return SL_OK;
    }
    *out = sl_value_null();
    return sl_error_set(err, SL_ERR_TYPE, "cannot read member \"%.*s\" of %s",
                        (int)(klen > 64 ? 64 : klen), k, sl_value_kind_name(v));
}

static int step_index(sl_value v, int64_t i, sl_value *out, sl_error *err)
{
    if (v.kind == SL_VAL_ARR)
        return index_list(v, i, out);
    *out = sl_value_null();
    if (v.kind == SL_VAL_NULL)
        return SL_OK;
    return sl_error_set(err, SL_ERR_TYPE, "cannot index %s with an integer", sl_value_kind_name(v));
}

static int walk(const sl_cnode *n, sl_value v, sl_value *out, sl_error *err)
{
    for (uint32_t i = 0; i < n->nsegs; i++) {
        const sl_path_seg *s = &n->segs[i];
        int rc = s->key ? step_key(v, s->key, s->key_len, &v, err)
                        : step_index(v, s->index, &v, err);
        if (rc != SL_OK) {
            if (err)
                err->pos = s->pos;
            return rc;
        }
        if (v.kind == SL_VAL_NULL)
            break;
    }
    *out = v;
    return SL_OK;
}

/* Kept out of line so that eval_node stays small and fast. */
__attribute__((noinline)) static int dyn_index(sl_value v, sl_value idx, sl_value *out, sl_error *err)
{
    *out = sl_value_null();
    if (v.kind == SL_VAL_NULL || idx.kind == SL_VAL_NULL)
        return SL_OK;
    if (idx.kind == SL_VAL_STR)
        return step_key(v, idx.u.s, idx.len, out, err);
    if (idx.kind == SL_VAL_INT)
        return step_index(v, idx.u.i, out, err);
    return sl_error_set(err, SL_ERR_TYPE, "an index must be an int or a str, not %s",
                        sl_value_kind_name(idx));
}

/* ---- nodes ------------------------------------------------------------------ */

/* Kept out of line so that eval_node stays small and fast. */
__attribute__((noinline)) static int eval_list(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                     sl_error *err)
{
    yyjson_mut_doc *doc = sl_mem_doc(ctx->mem);
    yyjson_mut_val *arr = yyjson_mut_arr(doc), *m;
    if (!arr)
        goto nomem;
    for (uint32_t i = 0; i < n->nkids; i++) {
        sl_value x;
        int rc = sl_cnode_eval(n->kids[i], ctx, row, &x, err);
        if (rc != SL_OK)
            return rc;
        if ((rc = sl_value_to_mut(x, doc, &m, err)) != SL_OK)
            return rc;
        if (!yyjson_mut_arr_append(arr, m))
            goto nomem;
    }
    *out = sl_value_from_mut_json(arr);
    return SL_OK;
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory building a list");
}

/* Kept out of line so that eval_node stays small and fast. */
__attribute__((noinline)) static int eval_object(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                       sl_error *err)
{
    yyjson_mut_doc *doc = sl_mem_doc(ctx->mem);
    yyjson_mut_val *obj = yyjson_mut_obj(doc), *mk, *mv;
    if (!obj)
        goto nomem;
    for (uint32_t i = 0; i + 1 < n->nkids; i += 2) {
        sl_value k, v;
        int rc = sl_cnode_eval(n->kids[i], ctx, row, &k, err);
        if (rc == SL_OK && k.kind != SL_VAL_STR) {
            rc = sl_error_set(err, SL_ERR_TYPE, "an object key must be a str, not %s",
                              sl_value_kind_name(k));
            if (err)
                err->pos = n->kids[i]->pos;
        }
        if (rc == SL_OK)
            rc = sl_cnode_eval(n->kids[i + 1], ctx, row, &v, err);
        if (rc != SL_OK)
            return rc;
        mk = yyjson_mut_strncpy(doc, k.len ? k.u.s : "", k.len);
        if (!mk)
            goto nomem;
        if ((rc = sl_value_to_mut(v, doc, &mv, err)) != SL_OK)
            return rc;
        if (!yyjson_mut_obj_put(obj, mk, mv))
            goto nomem;
    }
    *out = sl_value_from_mut_json(obj);
    return SL_OK;
nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory building an object");
}

/* Kept out of line so that eval_node stays small and fast. */
__attribute__((noinline)) static int eval_call(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                     sl_error *err)
{
    sl_value stack_args[8];
    sl_value *args = stack_args;
    if (n->nkids > 8) {
        args = sl_mem_alloc(ctx->mem, n->nkids * sizeof(*args));
        if (!args)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory calling %s()", n->fn->name);
    }
    for (uint32_t i = 0; i < n->nkids; i++) {
        int rc = sl_cnode_eval(n->kids[i], ctx, row, &args[i], err);
        if (rc != SL_OK)
            return rc;
    }
    return sl_func_call(n->fn, ctx, args, n->nkids, out, err);
}

/* Three-valued comparison chain: a < b <= c is (a < b) and (b <= c), each
 * operand evaluated once; a false link wins over a null one. */
/* Kept out of line so that eval_node stays small and fast. */
__attribute__((noinline)) static int eval_chain(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                      sl_error *err)
{
    sl_value left, right, r;
    bool saw_null = false;
    int rc = sl_cnode_eval(n->kids[0], ctx, row, &left, err);
    for (uint32_t i = 1; rc == SL_OK && i < n->nkids; i++) {
        rc = sl_cnode_eval(n->kids[i], ctx, row, &right, err);
        if (rc == SL_OK)
            rc = sl_eval_binary(n->cmp[i - 1], ctx, left, right, &r, err);
        if (rc != SL_OK)
            break;
        if (r.kind == SL_VAL_NULL) {
            saw_null = true;
        } else if (!r.u.b) {
            *out = sl_value_bool(false);
            return SL_OK;
        }
        left = right;
    }
    if (rc == SL_OK)
        *out = saw_null ? sl_value_null() : sl_value_bool(true);
    return rc;
}

/* The hot cases of binary operators on two floats (or an int and a float
 * for + - *, where converting the int is what the general path does too):
 * true if handled, with *rc SL_OK or SL_ERR_OVERFLOW for a non-finite
 * result. Ordering of an int against a float stays on the exact path. */
static inline bool fast_float(sl_op op, double x, double y, sl_value *out, int *rc)
{
    double r;
    switch (op) {
    case SL_OP_ADD: r = x + y; break;
    case SL_OP_SUB: r = x - y; break;
    case SL_OP_MUL: r = x * y; break;
    case SL_OP_LT: *out = sl_value_bool(x < y); *rc = SL_OK; return true;
    case SL_OP_LE: *out = sl_value_bool(x <= y); *rc = SL_OK; return true;
    case SL_OP_GT: *out = sl_value_bool(x > y); *rc = SL_OK; return true;
    case SL_OP_GE: *out = sl_value_bool(x >= y); *rc = SL_OK; return true;
    case SL_OP_EQ: *out = sl_value_bool(x == y); *rc = SL_OK; return true;
    case SL_OP_NE: *out = sl_value_bool(x != y); *rc = SL_OK; return true;
    default: return false;
    }
    *rc = isfinite(r) ? SL_OK : SL_ERR_OVERFLOW;
    *out = sl_value_float(r);
    return true;
}

/* An int that converts to double exactly, so comparing as doubles is exact. */
static inline bool exact_double(int64_t i)
{
    return i >= -(INT64_C(1) << 53) && i <= (INT64_C(1) << 53);
}

static inline bool is_add_sub_mul(sl_op op)
{
    return op == SL_OP_ADD || op == SL_OP_SUB || op == SL_OP_MUL;
}

static int eval_node(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                     sl_error *err)
{
    sl_value a, b;
    int rc;
    switch (n->op) {
    case SL_OP_CONST:
        *out = n->k;
        return SL_OK;
    case SL_OP_COL:
        if ((rc = sl_row_get(row, n->name, n->name_len, &a, err)) != SL_OK)
            return rc;
        if (n->nsegs == 0) {
            *out = a;
            return SL_OK;
        }
        return walk(n, a, out, err);
    case SL_OP_KEY:
        return walk(n, row->key, out, err);
    case SL_OP_TIMESTAMP:
        return walk(n, sl_value_int(row->timestamp), out, err);
    case SL_OP_VALUE:
        if ((rc = sl_row_value(row, &a, err)) != SL_OK)
            return rc;
        return walk(n, a, out, err);
    case SL_OP_PATH:
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK)
            return rc;
        return walk(n, a, out, err);
    case SL_OP_INDEX:
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK ||
            (rc = sl_cnode_eval(n->kids[1], ctx, row, &b, err)) != SL_OK)
            return rc;
        return dyn_index(a, b, out, err);
    case SL_OP_NEG:
    case SL_OP_POS:
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK)
            return rc;
        if (a.kind == SL_VAL_NULL) {
            *out = a;
            return SL_OK;
        }
        if (a.kind == SL_VAL_INT) {
            if (n->op == SL_OP_NEG && a.u.i == INT64_MIN)
                return sl_error_set(err, SL_ERR_OVERFLOW, "integer overflow in unary -");
            *out = sl_value_int(n->op == SL_OP_NEG ? -a.u.i : a.u.i);
            return SL_OK;
        }
        if (a.kind == SL_VAL_FLOAT) {
            *out = sl_value_float(n->op == SL_OP_NEG ? -a.u.f : a.u.f);
            return SL_OK;
        }
        return sl_error_set(err, SL_ERR_TYPE, "bad operand type for %s: %s", sl_op_name(n->op),
                            sl_value_kind_name(a));
    case SL_OP_NOT:
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK)
            return rc;
        *out = a.kind == SL_VAL_NULL ? a : sl_value_bool(!sl_value_truthy(a));
        return SL_OK;
    case SL_OP_AND:
    case SL_OP_OR: {
        /* Short-circuit: false and _ = false, true or _ = true, else 3VL. */
        bool is_and = n->op == SL_OP_AND;
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK)
            return rc;
        if (a.kind != SL_VAL_NULL && sl_value_truthy(a) != is_and) {
            *out = sl_value_bool(!is_and);
            return SL_OK;
        }
        if ((rc = sl_cnode_eval(n->kids[1], ctx, row, &b, err)) != SL_OK)
            return rc;
        if (b.kind != SL_VAL_NULL && sl_value_truthy(b) != is_and)
            *out = sl_value_bool(!is_and);
        else if (a.kind == SL_VAL_NULL || b.kind == SL_VAL_NULL)
            *out = sl_value_null();
        else
            *out = sl_value_bool(is_and);
        return SL_OK;
    }
    case SL_OP_IF:
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK)
            return rc;
        return sl_cnode_eval(n->kids[sl_value_truthy(a) ? 1 : 2], ctx, row, out, err);
    case SL_OP_CHAIN:
        return eval_chain(n, ctx, row, out, err);
    case SL_OP_LIST:
        return eval_list(n, ctx, row, out, err);
    case SL_OP_OBJECT:
        return eval_object(n, ctx, row, out, err);
    case SL_OP_CALL:
        return eval_call(n, ctx, row, out, err);
    default: /* binary operators */
        if ((rc = sl_cnode_eval(n->kids[0], ctx, row, &a, err)) != SL_OK ||
            (rc = sl_cnode_eval(n->kids[1], ctx, row, &b, err)) != SL_OK)
            return rc;
        if (a.kind == SL_VAL_FLOAT && b.kind == SL_VAL_FLOAT) {
            if (fast_float(n->op, a.u.f, b.u.f, out, &rc))
                return rc == SL_OK ? rc : float_result(INFINITY, out, err);
        } else if (a.kind == SL_VAL_FLOAT && b.kind == SL_VAL_INT &&
                   (exact_double(b.u.i) || is_add_sub_mul(n->op))) {
            if (fast_float(n->op, a.u.f, (double)b.u.i, out, &rc))
                return rc == SL_OK ? rc : float_result(INFINITY, out, err);
        } else if (a.kind == SL_VAL_INT && b.kind == SL_VAL_FLOAT &&
                   (exact_double(a.u.i) || is_add_sub_mul(n->op))) {
            if (fast_float(n->op, (double)a.u.i, b.u.f, out, &rc))
                return rc == SL_OK ? rc : float_result(INFINITY, out, err);
        }
        return sl_eval_binary(n->op, ctx, a, b, out, err);
    }
}

int sl_cnode_eval(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                  sl_error *err)
{
    int rc = eval_node(n, ctx, row, out, err);
    if (rc != SL_OK) {
        *out = sl_value_null();
        /* The innermost failing node names the position. */
        if (err && err->pos < 0)
            err->pos = n->pos;
    }
    return rc;
}

int sl_expr_eval(const sl_expr *e, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                 sl_error *err)
{
    return sl_cnode_eval(e->root, ctx, row, out, err);
}

sl_truth sl_value_truth(sl_value v)
{
    if (v.kind == SL_VAL_NULL)
        return SL_TRUTH_NULL;
    return sl_value_truthy(v) ? SL_TRUTH_TRUE : SL_TRUTH_FALSE;
}

int sl_expr_eval_truth(const sl_expr *e, sl_eval_ctx *ctx, const sl_row *row, sl_truth *out,
                       sl_error *err)
{
    sl_value v;
    int rc = sl_cnode_eval(e->root, ctx, row, &v, err);
    *out = rc == SL_OK ? sl_value_truth(v) : SL_TRUTH_NULL;
    return rc;
}

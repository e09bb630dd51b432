/* sl_expr_funcs — the built-in function table of the expression language.
 *
 * Functions are declared once in SL_FUNC_LIST (name, minimum and maximum
 * argument count, whether null arguments reach the function) and bound at
 * compile time by name, with the argument count checked there. Unless a
 * function is marked null-aware, any null argument makes the result null
 * without calling it. Every function is pure, so calls on constants fold.
 * Results borrow from their arguments or from ctx->mem (new strings). */
#ifndef SL_EXPR_FUNCS_H
#define SL_EXPR_FUNCS_H

#include <stdbool.h>
#include <stddef.h>

#include "expr/sl_expr.h"

/* Implementation: args[0..n) are never null unless the entry is null-aware.
 * Returns SL_OK and *out, or SL_ERR_TYPE / SL_ERR_INVALID / SL_ERR_OVERFLOW /
 * SL_ERR_NOMEM with err->msg set (the caller adds the position). */
typedef int (*sl_func_impl)(sl_eval_ctx *ctx, const sl_value *args, size_t n, sl_value *out,
                            sl_error *err);

/* Unlimited maximum argument count. */
#define SL_FUNC_VARIADIC 255

/* X(name, min args, max args, null-aware, signature for messages) */
#define SL_FUNC_LIST(X)                                                   \
    X(abs, 1, 1, false, "abs(x)")                                         \
    X(round, 1, 2, false, "round(x[, ndigits])")                          \
    X(floor, 1, 1, false, "floor(x)")                                     \
    X(ceil, 1, 1, false, "ceil(x)")                                       \
    X(sqrt, 1, 1, false, "sqrt(x)")                                       \
    X(pow, 2, 2, false, "pow(x, y)")                                      \
    X(log, 1, 2, false, "log(x[, base])")                                 \
    X(exp, 1, 1, false, "exp(x)")                                         \
    X(min, 1, SL_FUNC_VARIADIC, true, "min(list) or min(a, b, ...)")      \
    X(max, 1, SL_FUNC_VARIADIC, true, "max(list) or max(a, b, ...)")      \
    X(coalesce, 1, SL_FUNC_VARIADIC, true, "coalesce(a, b, ...)")         \
    X(is_null, 1, 1, true, "is_null(x)")                                  \
    X(lower, 1, 1, false, "lower(s)")                                     \
    X(upper, 1, 1, false, "upper(s)")                                     \
    X(len, 1, 1, false, "len(s_or_list_or_object)")                       \
    X(contains, 2, 2, false, "contains(s_or_list, x)")                    \
    X(startswith, 2, 2, false, "startswith(s, prefix)")                   \
    X(endswith, 2, 2, false, "endswith(s, suffix)")                       \
    X(substr, 2, 3, false, "substr(s, start[, length])")                  \
    X(str, 1, 1, false, "str(x)")                                         \
    X(int, 1, 1, false, "int(x)")                                         \
    X(float, 1, 1, false, "float(x)")                                     \
    X(bool, 1, 1, false, "bool(x)")                                       \
    X(trim, 1, 1, false, "trim(s)")                                       \
    X(replace, 3, 3, false, "replace(s, old, new)")                       \
    X(split, 2, 2, false, "split(s, sep)")                                \
    X(join, 2, 2, false, "join(list, sep)")                               \
    X(keys, 1, 1, false, "keys(object)")                                  \
    X(get, 2, 3, true, "get(container, key_or_index[, default])")

typedef struct sl_func {
    const char *name;
    unsigned char min_args;
    unsigned char max_args;
    bool null_aware;
    const char *signature;
    sl_func_impl impl;
} sl_func;

/* The table entry for name[0..len), or NULL if there is no such function. */
const sl_func *sl_func_find(const char *name, size_t len);

/* The nearest known function name to name[0..len) for "did you mean"
 * hints, or NULL when nothing is close. */
const char *sl_func_suggest(const char *name, size_t len);

/* Calls f on args: handles null propagation, then f->impl. */
int sl_func_call(const sl_func *f, sl_eval_ctx *ctx, const sl_value *args, size_t n,
                 sl_value *out, sl_error *err);

#endif

/* sl_expr — the expression language, public facade.
 *
 * Expressions are small Python-flavoured strings (`speed * 3.6`,
 * `gps.lat > 1 and not stale`, `lower(name) in ["a", "b"]`) compiled once at
 * validation time and evaluated per message against an sl_row. The pipeline
 * lexer → parser → compiler → evaluator lives in sl_expr_lex / _parse /
 * _compile / _eval, the function table in sl_expr_funcs; users of the
 * language only need this header. The language is documented in
 * docs/expressions.md.
 *
 * A compiled sl_expr is immutable and may be shared by threads; an
 * sl_eval_ctx (per-batch memory) belongs to one thread. Results of
 * evaluation borrow from the row, the expression and the context's sl_mem,
 * and are valid until the next sl_mem_reset. */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sl_error.h"
#include "value/sl_mem.h"
#include "value/sl_row.h"
#include "value/sl_value.h"

typedef struct sl_expr sl_expr;

/* Evaluation context: the per-batch memory results are built in. Either
 * fill one on the stack, `sl_eval_ctx ctx = SL_EVAL_CTX_INIT(mem);`, with a
 * borrowed sl_mem (the engine's way: the same sl_mem also backs the rows),
 * or use sl_eval_ctx_create, which owns a new sl_mem. */
typedef struct sl_eval_ctx {
    sl_mem *mem;   /* borrowed unless owns_mem */
    int owns_mem;
} sl_eval_ctx;

#define SL_EVAL_CTX_INIT(m) {(m), 0}

/* Returns a new context owning a new sl_mem (block_size as sl_mem_create);
 * NULL when out of memory. Free with sl_eval_ctx_destroy. */
sl_eval_ctx *sl_eval_ctx_create(size_t block_size);

/* Frees ctx and the sl_mem it owns (a borrowed one is left alone); NULL is a
 * no-op. */
void sl_eval_ctx_destroy(sl_eval_ctx *ctx);

/* Starts a new batch: sl_mem_reset on the context's memory. SL_ERR_NOMEM. */
int sl_eval_ctx_reset(sl_eval_ctx *ctx);

/* Compiles src (NUL-terminated, copied) into a new expression; free with
 * sl_expr_free. NULL on error: err->code SL_ERR_SYNTAX (unexpected token,
 * bad literal) or SL_ERR_INVALID (unknown function, wrong number of
 * arguments, constant folding error such as 1 // 0), err->pos the 0-based
 * character position, err->msg what was expected. SL_ERR_NOMEM on OOM. */
sl_expr *sl_expr_compile(const char *src, sl_error *err);

/* Same for src[0..len) (need not be NUL-terminated; copied). */
sl_expr *sl_expr_compile_n(const char *src, size_t len, sl_error *err);

/* Frees e and everything it owns; NULL is a no-op. */
void sl_expr_free(sl_expr *e);

/* The source text e was compiled from (owned by e). */
const char *sl_expr_source(const sl_expr *e);

/* True if e does not depend on the row (folded to a constant). */
bool sl_expr_is_const(const sl_expr *e);

/* Evaluates e against row (borrowed) into *out (borrows from row, e and
 * ctx->mem). A processing error for this message returns SL_ERR_TYPE
 * (wrong operand kind, path into a scalar), SL_ERR_OVERFLOW (integer
 * overflow, float out of range), SL_ERR_INVALID (division by zero, math
 * domain error, bad conversion such as int("x"), a value nested deeper than
 * SL_VALUE_MAX_DEPTH) or SL_ERR_NOMEM, with
 * err->msg saying what happened and err->pos the position of the operator
 * in the source. *out is null on error. */
int sl_expr_eval(const sl_expr *e, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                 sl_error *err);

/* Three-valued truth for filters: a null result is SL_TRUTH_NULL (a filter
 * drops the message, as for false). */
typedef enum sl_truth { SL_TRUTH_FALSE = 0, SL_TRUTH_TRUE = 1, SL_TRUTH_NULL = 2 } sl_truth;

/* Python truthiness of v, with null as SL_TRUTH_NULL. */
sl_truth sl_value_truth(sl_value v);

/* Evaluates e and converts the result with sl_value_truth. Errors as
 * sl_expr_eval. */
int sl_expr_eval_truth(const sl_expr *e, sl_eval_ctx *ctx, const sl_row *row, sl_truth *out,
                       sl_error *err);

#endif

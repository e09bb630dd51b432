/* sl_expr_eval — the evaluator over the compiled form.
 *
 * Last stage of the expression pipeline: walks sl_cnode trees (never the
 * source or the AST) against one row. Also exports the operator semantics
 * (arithmetic, comparison, membership) so that constant folding in the
 * compiler and the function table share exactly one implementation.
 *
 * Rules (docs/expressions.md is the user-facing version):
 *  - null in arithmetic, comparison or membership gives null;
 *  - and/or are three-valued and short-circuit; `not null` is null;
 *  - int op int stays int for + - * // % and ** with a non-negative
 *    exponent; overflow is SL_ERR_OVERFLOW; / always gives a float;
 *  - // and % floor like Python; a zero divisor is SL_ERR_INVALID;
 *  - a float result that is not finite is SL_ERR_OVERFLOW;
 *  - operands of the wrong kind are SL_ERR_TYPE. */
#ifndef SL_EXPR_EVAL_H
#define SL_EXPR_EVAL_H

#include "expr/sl_expr_compile.h"

/* Evaluates node n against row (may be NULL when n is row-independent, as
 * during constant folding) into *out. Errors as sl_expr_eval, with err->pos
 * set to the position of the failing node. */
int sl_cnode_eval(const sl_cnode *n, sl_eval_ctx *ctx, const sl_row *row, sl_value *out,
                  sl_error *err);

/* Applies binary operator op (SL_OP_ADD .. SL_OP_NOTIN) to a and b. Null
 * operands give null. No position is set in err. */
int sl_eval_binary(sl_op op, sl_eval_ctx *ctx, sl_value a, sl_value b, sl_value *out,
                   sl_error *err);

#endif

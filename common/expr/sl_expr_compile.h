/* sl_expr_compile — the compiled form of an expression, and the compiler
 * from AST to it.
 *
 * Third stage of the expression pipeline. The compiled form is a tree of
 * sl_cnode whose operation codes come from one X-macro list (SL_OP_LIST).
 * Compiling resolves everything that does not depend on the message:
 *  - field paths are split once: `gps.lat`, `tags[0]`, `a["k"]` become one
 *    COL node (top-level column name + constant segments), `_key.x` or
 *    `f(x)[0]` a PATH node over its root;
 *  - functions are bound to their table entry, with the argument count
 *    checked (unknown name or wrong arity: SL_ERR_INVALID with position);
 *  - constant sub-expressions are folded (`2 ** 10`, `["a", "b"]`, `-1`),
 *    so that a constant error such as `1 // 0` is reported at validation.
 * Positions in compiled nodes are 0-based character (code point) offsets, so
 * run-time errors point into the source as the user sees it.
 *
 * A compiled expression (struct sl_expr) owns one arena holding every node,
 * constant string and constant document, plus a copy of its source. */
#ifndef SL_EXPR_COMPILE_H
#define SL_EXPR_COMPILE_H

#include <stdint.h>

#include "expr/sl_expr.h"
#include "expr/sl_expr_funcs.h"
#include "expr/sl_expr_parse.h"

/* X-macro list of compiled operations: enum name, text for dumps/messages. */
#define SL_OP_LIST(X)                  \
    X(SL_OP_CONST, "const")            \
    X(SL_OP_COL, "col")                \
    X(SL_OP_KEY, "_key")               \
    X(SL_OP_TIMESTAMP, "_timestamp")   \
    X(SL_OP_VALUE, "_value")           \
    X(SL_OP_PATH, "path")              \
    X(SL_OP_INDEX, "[]")               \
    X(SL_OP_NEG, "unary -")            \
    X(SL_OP_POS, "unary +")            \
    X(SL_OP_NOT, "not")                \
    X(SL_OP_ADD, "+")                  \
    X(SL_OP_SUB, "-")                  \
    X(SL_OP_MUL, "*")                  \
    X(SL_OP_DIV, "/")                  \
    X(SL_OP_FLOORDIV, "//")            \
    X(SL_OP_MOD, "%")                  \
    X(SL_OP_POW, "**")                 \
    X(SL_OP_EQ, "==")                  \
    X(SL_OP_NE, "!=")                  \
    X(SL_OP_LT, "<")                   \
    X(SL_OP_LE, "<=")                  \
    X(SL_OP_GT, ">")                   \
    X(SL_OP_GE, ">=")                  \
    X(SL_OP_IN, "in")                  \
    X(SL_OP_NOTIN, "not in")           \
    X(SL_OP_CHAIN, "chain")            \
    X(SL_OP_AND, "and")                \
    X(SL_OP_OR, "or")                  \
    X(SL_OP_IF, "if")                  \
    X(SL_OP_LIST, "list")              \
    X(SL_OP_OBJECT, "object")          \
    X(SL_OP_CALL, "call")

typedef enum sl_op {
#define SL_OP_ENUM(name, text) name,
    SL_OP_LIST(SL_OP_ENUM)
#undef SL_OP_ENUM
} sl_op;

/* One constant step of a field path: a member name or a list index
 * (negative counts from the end, as in Python). */
typedef struct sl_path_seg {
    const char *key; /* member name (expression arena), or NULL for an index */
    uint32_t key_len;
    int64_t index;
    int pos; /* character position of the step, for errors */
} sl_path_seg;

typedef struct sl_cnode sl_cnode;

struct sl_cnode {
    sl_op op;
    int pos;                 /* character position for error messages */
    sl_value k;              /* CONST */
    const char *name;        /* COL: top-level column */
    uint32_t name_len;
    uint32_t nsegs;          /* COL, PATH: constant path steps after the root */
    const sl_path_seg *segs;
    sl_cnode **kids;         /* operands; PATH: kids[0] root; OBJECT: k0,v0,k1,v1... */
    uint32_t nkids;
    const sl_op *cmp;        /* CHAIN: nkids - 1 comparison ops */
    const sl_func *fn;       /* CALL */
};

struct sl_expr {
    char *src;      /* NUL-terminated copy (malloc) */
    size_t src_len;
    sl_arena *arena; /* nodes, constants */
    sl_cnode *root;
};

/* Compiles ast (from parsing src[0..len), both borrowed) into *out, nodes and
 * constants allocated from arena (borrowed; typically the expression's own).
 * SL_ERR_INVALID with err->pos (character position) for an unknown function,
 * a wrong argument count or an error while folding constants; SL_ERR_NOMEM. */
int sl_expr_compile_ast(const sl_ast *ast, const char *src, size_t len, sl_arena *arena,
                        sl_cnode **out, sl_error *err);

/* Character (code point) offset of byte offset off in src[0..len). */
int sl_expr_char_pos(const char *src, size_t len, size_t off);

/* Static text of an operation for messages ("+", "not in"). */
const char *sl_op_name(sl_op op);

#endif

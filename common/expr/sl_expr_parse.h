/* sl_expr_parse — recursive-descent parser from tokens to an AST.
 *
 * Second stage of the expression pipeline. Grammar, lowest precedence first
 * (Python's):
 *
 *   expr    := or ['if' or 'else' expr]
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | cmp
 *   cmp     := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') sum)*   (chained)
 *   sum     := term (('+'|'-') term)*
 *   term    := unary (('*'|'/'|'//'|'%') unary)*
 *   unary   := ('-'|'+') unary | power
 *   power   := postfix ['**' unary]                                    (right-assoc)
 *   postfix := primary ('.' name | '[' expr ']')*
 *   primary := literal | name | name '(' args ')' | '(' expr ')'
 *            | '[' items ']' | '{' expr ':' expr, ... '}'
 *
 * A primary `["temp C"]` (exactly one string literal, no trailing comma) is
 * the column "temp C", except right after `in` / `not in`, where it is a
 * one-element list. Every node lives in the arena passed in: whoever owns the
 * arena frees all nodes at once, including after a failed parse. */
#ifndef SL_EXPR_PARSE_H
#define SL_EXPR_PARSE_H

#include <stddef.h>

#include "expr/sl_expr_lex.h"
#include "util/sl_arena.h"
#include "util/sl_buf.h"
#include "util/sl_error.h"
#include "value/sl_value.h"

/* X-macro list of AST node kinds: enum name, dump name. */
#define SL_AST_LIST(X)              \
    X(SL_AST_LITERAL, "lit")        \
    X(SL_AST_NAME, "name")          \
    X(SL_AST_ATTR, "attr")          \
    X(SL_AST_INDEX, "index")        \
    X(SL_AST_CALL, "call")          \
    X(SL_AST_UNARY, "unary")        \
    X(SL_AST_BINARY, "binary")      \
    X(SL_AST_COMPARE, "compare")    \
    X(SL_AST_AND, "and")            \
    X(SL_AST_OR, "or")              \
    X(SL_AST_NOT, "not")            \
    X(SL_AST_IF, "if")              \
    X(SL_AST_LIST, "list")          \
    X(SL_AST_OBJECT, "object")

typedef enum sl_ast_kind {
#define SL_AST_ENUM(name, text) name,
    SL_AST_LIST(SL_AST_ENUM)
#undef SL_AST_ENUM
} sl_ast_kind;

typedef struct sl_ast sl_ast;

struct sl_ast {
    sl_ast_kind kind;
    int pos;            /* byte offset of the node's operator / first token */
    sl_tok_kind op;     /* UNARY, BINARY: operator token; COMPARE: see ops */
    sl_value lit;       /* LITERAL: scalar (strings in the arena) */
    const char *name;   /* NAME, ATTR, CALL: name (in src), name_len bytes */
    size_t name_len;
    sl_ast **kids;      /* operands / items / args; OBJECT: k0, v0, k1, v1, ... */
    size_t nkids;
    sl_tok_kind *ops;   /* COMPARE: nkids - 1 operators (SL_TOK_NOT = not in) */
    int height;         /* 1 + tallest child; bounded by SL_EXPR_MAX_HEIGHT */
};

/* Parses src[0..len) (borrowed) into *root, every node and string allocated
 * from arena (borrowed). SL_ERR_SYNTAX with err->pos (byte offset) and a
 * message saying what was expected; SL_ERR_NOMEM. Nesting deeper than
 * SL_EXPR_MAX_DEPTH, or a tree taller than SL_EXPR_MAX_HEIGHT, is a syntax error. */
int sl_expr_parse(const char *src, size_t len, sl_arena *arena, sl_ast **root, sl_error *err);

#define SL_EXPR_MAX_DEPTH 200

/* Tallest tree accepted (long chains such as a+b+c+... grow the tree without
 * nesting); compiling and evaluating recurse over the tree. */
#define SL_EXPR_MAX_HEIGHT 500

/* Appends an S-expression rendering of n to out, e.g. (+ (name a) (lit 1)),
 * for tests and debugging. SL_ERR_NOMEM. */
int sl_ast_dump(const sl_ast *n, sl_buf *out);

#endif

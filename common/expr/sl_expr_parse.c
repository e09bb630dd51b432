/* sl_expr_parse — recursive-descent expression parser (see sl_expr_parse.h).
 *
 * The source is tokenised up front into an arena array, so the parser can
 * look one token further when it needs to (`not in`, `["col"]`). Each
 * precedence level of the grammar is one function; a depth counter bounds
 * recursion so hostile input cannot exhaust the C stack. Nodes and arrays
 * come from the caller's arena and are never freed one by one. */
#include "expr/sl_expr_parse.h"

#include <string.h>

typedef struct parser {
    const char *src;
    sl_token *toks;
    size_t ntoks;
    size_t i;
    sl_arena *arena;
    sl_error *err;
    int depth;
} parser;

static const sl_token *peek(const parser *p) { return &p->toks[p->i]; }

static const sl_token *peek2(const parser *p)
{
    return p->i + 1 < p->ntoks ? &p->toks[p->i + 1] : &p->toks[p->ntoks - 1];
}

static const sl_token *advance(parser *p)
{
    const sl_token *t = &p->toks[p->i];
    if (t->kind != SL_TOK_EOF)
        p->i++;
    return t;
}

static int fail_expected(parser *p, const char *what)
{
    const sl_token *t = peek(p);
    if (t->kind == SL_TOK_EOF)
        return sl_error_set_pos(p->err, SL_ERR_SYNTAX, t->pos, "expected %s, found end of expression",
                                what);
    return sl_error_set_pos(p->err, SL_ERR_SYNTAX, t->pos, "expected %s, found %s '%.*s'", what,
                            sl_tok_name(t->kind), t->len > 40 ? 40 : t->len, p->src + t->pos);
}

static int expect(parser *p, sl_tok_kind kind, const char *what)
{
    if (peek(p)->kind != kind)
        return fail_expected(p, what);
    advance(p);
    return SL_OK;
}

static sl_ast *node_new(parser *p, sl_ast_kind kind, int pos)
{
    sl_ast *n = sl_arena_alloc(p->arena, sizeof(*n));
    if (!n) {
        sl_error_set(p->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->pos = pos;
    n->height = 1;
    return n;
}

/* Sets n->height from its children; NULL (syntax error) if too tall. */
static sl_ast *finish(parser *p, sl_ast *n)
{
    if (!n)
        return NULL;
    int h = 0;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->height > h)
            h = n->kids[i]->height;
    n->height = h + 1;
    if (n->height > SL_EXPR_MAX_HEIGHT) {
        sl_error_set_pos(p->err, SL_ERR_SYNTAX, n->pos, "expression too complex (more than %d levels)",
                         SL_EXPR_MAX_HEIGHT);
        return NULL;
    }
    return n;
}

/* A growable list of child pointers, moved into the arena when done. */
typedef struct kid_list {
    sl_ast **v;
    size_t n, cap;
} kid_list;

static int kids_push(parser *p, kid_list *l, sl_ast *k)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        sl_ast **v = sl_arena_alloc(p->arena, cap * sizeof(*v));
        if (!v)
            return sl_error_set(p->err, SL_ERR_NOMEM, "out of memory");
        if (l->n)
            memcpy(v, l->v, l->n * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = k;
    return SL_OK;
}

static sl_ast *binary(parser *p, sl_ast_kind kind, sl_tok_kind op, int pos, sl_ast *a, sl_ast *b)
{
    sl_ast *n = node_new(p, kind, pos);
    sl_ast **kids = sl_arena_alloc(p->arena, 2 * sizeof(*kids));
    if (!n || !kids) {
        sl_error_set(p->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    kids[0] = a;
    kids[1] = b;
    n->op = op;
    n->kids = kids;
    n->nkids = 2;
    return finish(p, n);
}

static sl_ast *parse_expr(parser *p);
static sl_ast *parse_unary(parser *p);

static bool enter(parser *p)
{
    if (++p->depth > SL_EXPR_MAX_DEPTH) {
        sl_error_set_pos(p->err, SL_ERR_SYNTAX, peek(p)->pos,
                         "expression nested more than %d levels deep", SL_EXPR_MAX_DEPTH);
        return false;
    }
    return true;
}

/* items after '[' or '(' up to the closing token; allows a trailing comma. */
static int parse_items(parser *p, kid_list *l, sl_tok_kind close, const char *what, bool *trailing)
{
    *trailing = false;
    while (peek(p)->kind != close) {
        sl_ast *x = parse_expr(p);
        if (!x || kids_push(p, l, x) != SL_OK)
            return SL_ERR_SYNTAX;
        *trailing = false;
        if (peek(p)->kind == SL_TOK_COMMA) {
            advance(p);
            *trailing = true;
            continue;
        }
        if (peek(p)->kind != close)
            return fail_expected(p, what);
    }
    advance(p);
    return SL_OK;
}

static sl_ast *parse_list(parser *p, bool column_ok)
{
    const sl_token *open = advance(p);
    kid_list l = {0};
    bool trailing;
    if (parse_items(p, &l, SL_TOK_RBRACKET, "',' or ']'", &trailing) != SL_OK)
        return NULL;
    /* ["temp C"]: a column whose name is not a plain identifier. */
    if (column_ok && l.n == 1 && !trailing && l.v[0]->kind == SL_AST_LITERAL &&
        l.v[0]->lit.kind == SL_VAL_STR) {
        sl_ast *n = node_new(p, SL_AST_NAME, open->pos);
        if (!n)
            return NULL;
        n->name = l.v[0]->lit.u.s;
        n->name_len = l.v[0]->lit.len;
        n->lit = l.v[0]->lit; /* marks a quoted name: never _key and friends */
        return n;
    }
    sl_ast *n = node_new(p, SL_AST_LIST, open->pos);
    if (!n)
        return NULL;
    n->kids = l.v;
    n->nkids = l.n;
    return finish(p, n);
}

static sl_ast *parse_object(parser *p)
{
    const sl_token *open = advance(p);
    kid_list l = {0};
    while (peek(p)->kind != SL_TOK_RBRACE) {
        sl_ast *k = parse_expr(p);
        if (!k)
            return NULL;
        if (expect(p, SL_TOK_COLON, "':' after an object key") != SL_OK)
            return NULL;
        sl_ast *v = parse_expr(p);
        if (!v || kids_push(p, &l, k) != SL_OK || kids_push(p, &l, v) != SL_OK)
            return NULL;
        if (peek(p)->kind == SL_TOK_COMMA) {
            advance(p);
            continue;
        }
        if (peek(p)->kind != SL_TOK_RBRACE) {
            fail_expected(p, "',' or '}'");
            return NULL;
        }
    }
    advance(p);
    sl_ast *n = node_new(p, SL_AST_OBJECT, open->pos);
    if (!n)
        return NULL;
    n->kids = l.v;
    n->nkids = l.n;
    return finish(p, n);
}

static sl_ast *literal(parser *p, const sl_token *t, sl_value v)
{
    sl_ast *n = node_new(p, SL_AST_LITERAL, t->pos);
    if (n)
        n->lit = v;
    return n;
}

static sl_ast *parse_primary(parser *p, bool column_ok)
{
    const sl_token *t = peek(p);
    switch (t->kind) {
    case SL_TOK_INT:
        advance(p);
        return literal(p, t, sl_value_int(t->i));
    case SL_TOK_FLOAT:
        advance(p);
        return literal(p, t, sl_value_float(t->f));
    case SL_TOK_STR:
        advance(p);
        return literal(p, t, sl_value_str(t->s, t->slen));
    case SL_TOK_TRUE:
    case SL_TOK_FALSE:
        advance(p);
        return literal(p, t, sl_value_bool(t->kind == SL_TOK_TRUE));
    case SL_TOK_NULL:
        advance(p);
        return literal(p, t, sl_value_null());
    case SL_TOK_NAME: {
        advance(p);
        if (peek(p)->kind == SL_TOK_LPAREN) {
            advance(p);
            kid_list l = {0};
            bool trailing;
            if (parse_items(p, &l, SL_TOK_RPAREN, "',' or ')' in the argument list", &trailing) !=
                SL_OK)
                return NULL;
            sl_ast *n = node_new(p, SL_AST_CALL, t->pos);
            if (!n)
                return NULL;
            n->name = t->s;
            n->name_len = t->slen;
            n->kids = l.v;
            n->nkids = l.n;
            return finish(p, n);
        }
        sl_ast *n = node_new(p, SL_AST_NAME, t->pos);
        if (n) {
            n->name = t->s;
            n->name_len = t->slen;
        }
        return n;
    }
    case SL_TOK_LPAREN: {
        advance(p);
        sl_ast *x = parse_expr(p);
        if (!x || expect(p, SL_TOK_RPAREN, "')'") != SL_OK)
            return NULL;
        return x;
    }
    case SL_TOK_LBRACKET:
        return parse_list(p, column_ok);
    case SL_TOK_LBRACE:
        return parse_object(p);
    default:
        fail_expected(p, "a value, a column name, '(' or '['");
        return NULL;
    }
}

/* Keywords are fine as member names after a dot: `a.in`, `rec.if`. */
static bool is_word(sl_tok_kind k)
{
    return k == SL_TOK_NAME || (k >= SL_TOK_AND && k <= SL_TOK_NULL);
}

static sl_ast *parse_postfix(parser *p, bool column_ok)
{
    sl_ast *x = parse_primary(p, column_ok);
    while (x) {
        const sl_token *t = peek(p);
        if (t->kind == SL_TOK_DOT) {
            advance(p);
            const sl_token *name = peek(p);
            if (!is_word(name->kind)) {
                fail_expected(p, "a member name after '.'");
                return NULL;
            }
            advance(p);
            sl_ast *n = node_new(p, SL_AST_ATTR, name->pos);
            sl_ast **kids = sl_arena_alloc(p->arena, sizeof(*kids));
            if (!n || !kids)
                return NULL;
            kids[0] = x;
            n->kids = kids;
            n->nkids = 1;
            n->name = p->src + name->pos;
            n->name_len = (size_t)name->len;
            x = finish(p, n);
        } else if (t->kind == SL_TOK_LBRACKET) {
            advance(p);
            sl_ast *idx = parse_expr(p);
            if (!idx || expect(p, SL_TOK_RBRACKET, "']'") != SL_OK)
                return NULL;
            x = binary(p, SL_AST_INDEX, SL_TOK_LBRACKET, t->pos, x, idx);
        } else if (t->kind == SL_TOK_LPAREN) {
            sl_error_set_pos(p->err, SL_ERR_SYNTAX, t->pos,
                             "only functions can be called: expected a function name before '('");
            return NULL;
        } else {
            break;
        }
    }
    return x;
}

static sl_ast *parse_power(parser *p, bool column_ok)
{
    sl_ast *base = parse_postfix(p, column_ok);
    if (!base || peek(p)->kind != SL_TOK_POW)
        return base;
    const sl_token *op = advance(p);
    if (!enter(p))
        return NULL;
    sl_ast *exp = parse_unary(p); /* right-assoc; 2 ** -1 is allowed */
    p->depth--;
    if (!exp)
        return NULL;
    return binary(p, SL_AST_BINARY, SL_TOK_POW, op->pos, base, exp);
}

/* A prefix operator (unary -/+, not) at token t: its operand comes from
 * operand(), one nesting level deeper. */
static sl_ast *parse_prefix(parser *p, sl_ast_kind kind, const sl_token *t,
                            sl_ast *(*operand)(parser *))
{
    if (!enter(p))
        return NULL;
    advance(p);
    sl_ast *x = operand(p);
    p->depth--;
    if (!x)
        return NULL;
    sl_ast *n = node_new(p, kind, t->pos);
    sl_ast **kids = sl_arena_alloc(p->arena, sizeof(*kids));
    if (!n || !kids)
        return NULL;
    kids[0] = x;
    n->op = kind == SL_AST_UNARY ? t->kind : n->op;
    n->kids = kids;
    n->nkids = 1;
    return finish(p, n);
}

static sl_ast *parse_unary_col(parser *p, bool column_ok)
{
    const sl_token *t = peek(p);
    if (t->kind != SL_TOK_MINUS && t->kind != SL_TOK_PLUS)
        return parse_power(p, column_ok);
    return parse_prefix(p, SL_AST_UNARY, t, parse_unary);
}

static sl_ast *parse_unary(parser *p) { return parse_unary_col(p, true); }

static sl_ast *parse_term(parser *p, bool column_ok)
{
    sl_ast *x = parse_unary_col(p, column_ok);
    for (;;) {
        sl_tok_kind k = peek(p)->kind;
        if (!x || (k != SL_TOK_STAR && k != SL_TOK_SLASH && k != SL_TOK_DSLASH &&
                   k != SL_TOK_PERCENT))
            return x;
        const sl_token *op = advance(p);
        sl_ast *y = parse_unary(p);
        x = y ? binary(p, SL_AST_BINARY, k, op->pos, x, y) : NULL;
    }
}

static sl_ast *parse_sum(parser *p, bool column_ok)
{
    sl_ast *x = parse_term(p, column_ok);
    for (;;) {
        sl_tok_kind k = peek(p)->kind;
        if (!x || (k != SL_TOK_PLUS && k != SL_TOK_MINUS))
            return x;
        const sl_token *op = advance(p);
        sl_ast *y = parse_term(p, true);
        x = y ? binary(p, SL_AST_BINARY, k, op->pos, x, y) : NULL;
    }
}

static bool is_cmp(sl_tok_kind k)
{
    return k == SL_TOK_EQ || k == SL_TOK_NE || k == SL_TOK_LT || k == SL_TOK_LE ||
           k == SL_TOK_GT || k == SL_TOK_GE || k == SL_TOK_IN;
}

static sl_ast *parse_cmp(parser *p)
{
    sl_ast *first = parse_sum(p, true);
    if (!first)
        return NULL;
    kid_list l = {0};
    sl_tok_kind ops[64];
    size_t nops = 0;
    int pos = 0;
    for (;;) {
        const sl_token *t = peek(p);
        sl_tok_kind k = t->kind;
        if (k == SL_TOK_NOT && peek2(p)->kind == SL_TOK_IN) {
            advance(p);
        } else if (!is_cmp(k)) {
            break;
        }
        advance(p);
        if (nops == sizeof(ops) / sizeof(ops[0])) {
            sl_error_set_pos(p->err, SL_ERR_SYNTAX, t->pos, "too many chained comparisons");
            return NULL;
        }
        if (nops == 0) {
            pos = t->pos;
            if (kids_push(p, &l, first) != SL_OK)
                return NULL;
        }
        ops[nops++] = k; /* SL_TOK_NOT stands for "not in" */
        /* After in / not in, ["a"] is a one-element list, not a column. */
        sl_ast *y = parse_sum(p, k != SL_TOK_IN && k != SL_TOK_NOT);
        if (!y || kids_push(p, &l, y) != SL_OK)
            return NULL;
    }
    if (nops == 0)
        return first;
    sl_ast *n = node_new(p, SL_AST_COMPARE, pos);
    sl_tok_kind *o = sl_arena_alloc(p->arena, nops * sizeof(*o));
    if (!n || !o)
        return NULL;
    memcpy(o, ops, nops * sizeof(*o));
    n->kids = l.v;
    n->nkids = l.n;
    n->ops = o;
    n->op = ops[0];
    return finish(p, n);
}

static sl_ast *parse_not(parser *p)
{
    const sl_token *t = peek(p);
    if (t->kind != SL_TOK_NOT)
        return parse_cmp(p);
    return parse_prefix(p, SL_AST_NOT, t, parse_not);
}

static sl_ast *parse_and(parser *p)
{
    sl_ast *x = parse_not(p);
    while (x && peek(p)->kind == SL_TOK_AND) {
        const sl_token *op = advance(p);
        sl_ast *y = parse_not(p);
        x = y ? binary(p, SL_AST_AND, SL_TOK_AND, op->pos, x, y) : NULL;
    }
    return x;
}

static sl_ast *parse_or(parser *p)
{
    sl_ast *x = parse_and(p);
    while (x && peek(p)->kind == SL_TOK_OR) {
        const sl_token *op = advance(p);
        sl_ast *y = parse_and(p);
        x = y ? binary(p, SL_AST_OR, SL_TOK_OR, op->pos, x, y) : NULL;
    }
    return x;
}

static sl_ast *parse_expr(parser *p)
{
    if (!enter(p))
        return NULL;
    sl_ast *x = parse_or(p);
    if (x && peek(p)->kind == SL_TOK_IF) {
        const sl_token *t = advance(p);
        sl_ast *cond = parse_or(p);
        sl_ast *other = NULL;
        if (cond && expect(p, SL_TOK_ELSE, "'else' after the condition of 'if'") == SL_OK)
            other = parse_expr(p);
        if (!other) {
            x = NULL;
        } else {
            sl_ast *n = node_new(p, SL_AST_IF, t->pos);
            sl_ast **kids = sl_arena_alloc(p->arena, 3 * sizeof(*kids));
            if (!n || !kids) {
                x = NULL;
            } else {
                kids[0] = cond; /* condition first, then value if true, if false */
                kids[1] = x;
                kids[2] = other;
                n->kids = kids;
                n->nkids = 3;
                x = finish(p, n);
            }
        }
    }
    p->depth--;
    return x;
}

int sl_expr_parse(const char *src, size_t len, sl_arena *arena, sl_ast **root, sl_error *err)
{
    parser p = {0};
    *root = NULL;
    int rc = sl_expr_lex(src, len, arena, &p.toks, &p.ntoks, err);
    if (rc != SL_OK)
        return rc;
    p.src = src;
    p.arena = arena;
    p.err = err;
    if (p.toks[0].kind == SL_TOK_EOF)
        return sl_error_set_pos(err, SL_ERR_SYNTAX, 0, "empty expression");
    sl_error_clear(err);
    sl_ast *x = parse_expr(&p);
    if (!x)
        return err && err->code != SL_OK ? err->code : SL_ERR_NOMEM;
    if (peek(&p)->kind != SL_TOK_EOF)
        return fail_expected(&p, "an operator or the end of the expression");
    *root = x;
    return SL_OK;
}

/* ---- dump ----------------------------------------------------------------- */

static const char *const ast_names[] = {
#define SL_AST_NAME_TEXT(name, text) text,
    SL_AST_LIST(SL_AST_NAME_TEXT)
#undef SL_AST_NAME_TEXT
};

/* Operator symbol of a token kind, without the quotes of sl_tok_name. */
static void put_op(sl_buf *out, sl_tok_kind k, int *rc)
{
    if (*rc != SL_OK)
        return;
    if (k == SL_TOK_NOT) {
        *rc = sl_buf_append_str(out, "not-in");
        return;
    }
    const char *s = sl_tok_name(k);
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '\'')
        *rc = sl_buf_append(out, s + 1, n - 2);
    else
        *rc = sl_buf_append(out, s, n);
}

int sl_ast_dump(const sl_ast *n, sl_buf *out)
{
    int rc = SL_OK;
    switch (n->kind) {
    case SL_AST_LITERAL:
        return sl_value_write_json(n->lit, out, NULL);
    case SL_AST_NAME:
        rc = sl_buf_append(out, "$", 1);
        if (rc == SL_OK)
            rc = sl_buf_append(out, n->name, n->name_len);
        return rc;
    case SL_AST_BINARY:
    case SL_AST_UNARY:
        rc = sl_buf_append(out, "(", 1);
        put_op(out, n->op, &rc);
        break;
    case SL_AST_COMPARE:
        rc = sl_buf_append_str(out, "(cmp");
        break;
    case SL_AST_ATTR:
    case SL_AST_CALL:
        rc = sl_buf_printf(out, "(%s %.*s", ast_names[n->kind], (int)n->name_len, n->name);
        break;
    default:
        rc = sl_buf_printf(out, "(%s", ast_names[n->kind]);
    }
    for (size_t i = 0; rc == SL_OK && i < n->nkids; i++) {
        if (n->kind == SL_AST_COMPARE && i > 0) {
            rc = sl_buf_append(out, " ", 1);
            put_op(out, n->ops[i - 1], &rc);
        }
        if (rc == SL_OK)
            rc = sl_buf_append(out, " ", 1);
        if (rc == SL_OK)
            rc = sl_ast_dump(n->kids[i], out);
    }
    if (rc == SL_OK)
        rc = sl_buf_append(out, ")", 1);
    return rc;
}

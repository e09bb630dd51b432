/* sl_expr_compile — AST to compiled form, and the sl_expr_compile facade
 * (see sl_expr_compile.h).
 *
 * One bottom-up pass over the AST: each node is compiled after its
 * children, then folded if it does not read the row and all its children are
 * constants. Folding runs the real evaluator on a scratch sl_mem, so compile
 * time and run time can never disagree; a folded string or composite is then
 * copied into the expression's arena (composites as an immutable yyjson
 * document allocated there), making the constant live exactly as long as the
 * expression. The AST lives in a scratch arena that is dropped once the
 * compiled tree is built, whatever happened. */
#include "expr/sl_expr_compile.h"

#include <stdlib.h>
#include <string.h>

#include "expr/sl_expr_eval.h"

static const char *const op_names[] = {
#define SL_OP_NAME_TEXT(name, text) text,
    SL_OP_LIST(SL_OP_NAME_TEXT)
#undef SL_OP_NAME_TEXT
};

const char *sl_op_name(sl_op op)
{
    if ((size_t)op < sizeof(op_names) / sizeof(op_names[0]))
        return op_names[op];
    return "?";
}

int sl_expr_char_pos(const char *src, size_t len, size_t off)
{
    int n = 0;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++)
        n += ((unsigned char)src[i] & 0xC0) != 0x80;
    return n;
}

typedef struct compiler {
    const char *src;
    size_t len;
    bool ascii;        /* byte offsets are character offsets */
    sl_arena *arena;   /* the expression's */
    yyjson_alc alc;    /* over arena, for constant documents */
    sl_mem *fold_mem;  /* scratch for constant folding, created on demand */
    sl_error *err;
} compiler;

static int cpos(const compiler *c, int byte_pos)
{
    return c->ascii ? byte_pos : sl_expr_char_pos(c->src, c->len, (size_t)byte_pos);
}

static sl_cnode *node_new(compiler *c, sl_op op, const sl_ast *a, uint32_t nkids)
{
    sl_cnode *n = sl_arena_alloc(c->arena, sizeof(*n));
    sl_cnode **kids = nkids ? sl_arena_alloc(c->arena, nkids * sizeof(*kids)) : NULL;
    if (!n || (nkids && !kids)) {
        sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->op = op;
    n->pos = cpos(c, a->pos);
    n->kids = kids;
    n->nkids = nkids;
    return n;
}

/* Copies a constant into the expression's arena so it outlives folding. */
static int persist(compiler *c, sl_value v, sl_value *out)
{
    if (v.kind == SL_VAL_STR) {
        char *s = sl_arena_alloc(c->arena, v.len ? v.len : 1);
        if (!s)
            return sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        if (v.len)
            memcpy(s, v.u.s, v.len);
        *out = sl_value_str(s, v.len);
        return SL_OK;
    }
    if ((v.kind == SL_VAL_ARR || v.kind == SL_VAL_OBJ) && v.is_mut) {
        yyjson_doc *doc = yyjson_mut_val_imut_copy(v.u.mv, &c->alc);
        if (!doc)
            return sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        *out = sl_value_from_json(yyjson_doc_get_root(doc));
        return SL_OK;
    }
    *out = v; /* scalars, or composites already in the expression's arena */
    return SL_OK;
}

static bool reads_row(sl_op op)
{
    return op == SL_OP_COL || op == SL_OP_KEY || op == SL_OP_TIMESTAMP || op == SL_OP_VALUE;
}

/* Replaces n by a constant when it can be computed now. NULL on error. */
static sl_cnode *fold(compiler *c, sl_cnode *n)
{
    if (!n || n->op == SL_OP_CONST || reads_row(n->op))
        return n;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->op != SL_OP_CONST)
            return n;
    if (!c->fold_mem && !(c->fold_mem = sl_mem_create(4096))) {
        sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sl_eval_ctx ctx = SL_EVAL_CTX_INIT(c->fold_mem);
    sl_value v;
    int rc = sl_cnode_eval(n, &ctx, NULL, &v, c->err);
    if (rc == SL_ERR_NOMEM)
        return NULL;
    if (rc != SL_OK) {
        if (c->err)
            c->err->code = SL_ERR_INVALID; /* a validation error, not a message's */
        return NULL;
    }
    if (persist(c, v, &n->k) != SL_OK)
        return NULL;
    n->op = SL_OP_CONST;
    n->nkids = 0;
    n->kids = NULL;
    n->nsegs = 0;
    n->segs = NULL;
    return n;
}

static sl_cnode *compile(compiler *c, const sl_ast *a);

/* Adds one constant step to a path node (COL/KEY/.../PATH) in place. */
static sl_cnode *path_push(compiler *c, sl_cnode *n, const char *key, size_t key_len,
                           int64_t index, int pos)
{
    sl_path_seg *segs = sl_arena_alloc(c->arena, (n->nsegs + 1) * sizeof(*segs));
    if (!segs || key_len > UINT32_MAX) {
        sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (n->nsegs)
        memcpy(segs, n->segs, n->nsegs * sizeof(*segs));
    segs[n->nsegs].key = key;
    segs[n->nsegs].key_len = (uint32_t)key_len;
    segs[n->nsegs].index = index;
    segs[n->nsegs].pos = pos;
    n->segs = segs;
    n->nsegs++;
    return n;
}

static bool is_path(const sl_cnode *n)
{
    return reads_row(n->op) || n->op == SL_OP_PATH;
}

/* base.key or base[const]: extend base's path, or wrap base in a PATH. */
static sl_cnode *compile_step(compiler *c, const sl_ast *a, sl_cnode *base, const char *key,
                              size_t key_len, int64_t index)
{
    if (!base)
        return NULL;
    if (key) {
        char *k = sl_arena_alloc(c->arena, key_len ? key_len : 1);
        if (!k) {
            sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
            return NULL;
        }
        if (key_len)
            memcpy(k, key, key_len);
        key = k;
    }
    if (is_path(base))
        return path_push(c, base, key, key_len, index, cpos(c, a->pos));
    sl_cnode *n = node_new(c, SL_OP_PATH, a, 1);
    if (!n)
        return NULL;
    n->kids[0] = base;
    return fold(c, path_push(c, n, key, key_len, index, cpos(c, a->pos)));
}

static sl_cnode *compile_name(compiler *c, const sl_ast *a)
{
    static const struct {
        const char *name;
        sl_op op;
    } specials[] = {{"_key", SL_OP_KEY}, {"_timestamp", SL_OP_TIMESTAMP}, {"_value", SL_OP_VALUE}};
    bool quoted = a->lit.kind == SL_VAL_STR;
    for (size_t i = 0; !quoted && i < sizeof(specials) / sizeof(specials[0]); i++)
        if (strlen(specials[i].name) == a->name_len &&
            memcmp(specials[i].name, a->name, a->name_len) == 0)
            return node_new(c, specials[i].op, a, 0);
    sl_cnode *n = node_new(c, SL_OP_COL, a, 0);
    if (!n)
        return NULL;
    if (a->name_len > UINT32_MAX) {
        sl_error_set(c->err, SL_ERR_NOMEM, "column name too long");
        return NULL;
    }
    char *name = sl_arena_alloc(c->arena, a->name_len ? a->name_len : 1);
    if (!name) {
        sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (a->name_len)
        memcpy(name, a->name, a->name_len);
    n->name = name;
    n->name_len = (uint32_t)a->name_len;
    return n;
}

static sl_cnode *compile_call(compiler *c, const sl_ast *a)
{
    const sl_func *f = sl_func_find(a->name, a->name_len);
    if (!f) {
        const char *hint = sl_func_suggest(a->name, a->name_len);
        sl_error_set_pos(c->err, SL_ERR_INVALID, cpos(c, a->pos), "unknown function '%.*s'%s%s%s",
                         (int)(a->name_len > 64 ? 64 : a->name_len), a->name,
                         hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        return NULL;
    }
    if (a->nkids < f->min_args ||
        (f->max_args != SL_FUNC_VARIADIC && a->nkids > f->max_args)) {
        if (f->min_args == f->max_args)
            sl_error_set_pos(c->err, SL_ERR_INVALID, cpos(c, a->pos),
                             "%s() takes %d argument%s, got %zu: %s", f->name, f->min_args,
                             f->min_args == 1 ? "" : "s", a->nkids, f->signature);
        else if (f->max_args == SL_FUNC_VARIADIC)
            sl_error_set_pos(c->err, SL_ERR_INVALID, cpos(c, a->pos),
                             "%s() takes at least %d argument%s, got %zu: %s", f->name,
                             f->min_args, f->min_args == 1 ? "" : "s", a->nkids, f->signature);
        else
            sl_error_set_pos(c->err, SL_ERR_INVALID, cpos(c, a->pos),
                             "%s() takes %d to %d arguments, got %zu: %s", f->name, f->min_args,
                             f->max_args, a->nkids, f->signature);
        return NULL;
    }
    sl_cnode *n = node_new(c, SL_OP_CALL, a, (uint32_t)a->nkids);
    if (!n)
        return NULL;
    n->fn = f;
    for (size_t i = 0; i < a->nkids; i++)
        if (!(n->kids[i] = compile(c, a->kids[i])))
            return NULL;
    return fold(c, n);
}

static sl_op cmp_op(sl_tok_kind k)
{
    switch (k) {
    case SL_TOK_EQ: return SL_OP_EQ;
    case SL_TOK_NE: return SL_OP_NE;
    case SL_TOK_LT: return SL_OP_LT;
    case SL_TOK_LE: return SL_OP_LE;
    case SL_TOK_GT: return SL_OP_GT;
    case SL_TOK_GE: return SL_OP_GE;
    case SL_TOK_IN: return SL_OP_IN;
    default: return SL_OP_NOTIN; /* SL_TOK_NOT stands for "not in" */
    }
}

static sl_op arith_op(sl_tok_kind k)
{
    switch (k) {
    case SL_TOK_PLUS: return SL_OP_ADD;
    case SL_TOK_MINUS: return SL_OP_SUB;
    case SL_TOK_STAR: return SL_OP_MUL;
    case SL_TOK_SLASH: return SL_OP_DIV;
    case SL_TOK_DSLASH: return SL_OP_FLOORDIV;
    case SL_TOK_PERCENT: return SL_OP_MOD;
    default: return SL_OP_POW;
    }
}

/* A node with the AST's children compiled in order, then folded. */
static sl_cnode *compile_kids(compiler *c, const sl_ast *a, sl_op op)
{
    sl_cnode *n = node_new(c, op, a, (uint32_t)a->nkids);
    if (!n)
        return NULL;
    for (size_t i = 0; i < a->nkids; i++)
        if (!(n->kids[i] = compile(c, a->kids[i])))
            return NULL;
    return fold(c, n);
}

static sl_cnode *compile_compare(compiler *c, const sl_ast *a)
{
    if (a->nkids == 2)
        return compile_kids(c, a, cmp_op(a->ops[0]));
    sl_op *ops = sl_arena_alloc(c->arena, (a->nkids - 1) * sizeof(*ops));
    if (!ops) {
        sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i + 1 < a->nkids; i++)
        ops[i] = cmp_op(a->ops[i]);
    sl_cnode *n = node_new(c, SL_OP_CHAIN, a, (uint32_t)a->nkids);
    if (!n)
        return NULL;
    n->cmp = ops;
    for (size_t i = 0; i < a->nkids; i++)
        if (!(n->kids[i] = compile(c, a->kids[i])))
            return NULL;
    return fold(c, n);
}

static sl_cnode *compile(compiler *c, const sl_ast *a)
{
    switch (a->kind) {
    case SL_AST_LITERAL: {
        sl_cnode *n = node_new(c, SL_OP_CONST, a, 0);
        if (n && persist(c, a->lit, &n->k) != SL_OK)
            return NULL;
        return n;
    }
    case SL_AST_NAME:
        return compile_name(c, a);
    case SL_AST_ATTR:
        return compile_step(c, a, compile(c, a->kids[0]), a->name, a->name_len, 0);
    case SL_AST_INDEX: {
        sl_cnode *base = compile(c, a->kids[0]);
        sl_cnode *idx = base ? compile(c, a->kids[1]) : NULL;
        if (!idx)
            return NULL;
        if (idx->op == SL_OP_CONST && idx->k.kind == SL_VAL_STR)
            return compile_step(c, a, base, idx->k.u.s, idx->k.len, 0);
        if (idx->op == SL_OP_CONST && idx->k.kind == SL_VAL_INT)
            return compile_step(c, a, base, NULL, 0, idx->k.u.i);
        sl_cnode *n = node_new(c, SL_OP_INDEX, a, 2);
        if (!n)
            return NULL;
        n->kids[0] = base;
        n->kids[1] = idx;
        return fold(c, n);
    }
    case SL_AST_CALL:
        return compile_call(c, a);
    case SL_AST_UNARY:
        return compile_kids(c, a, a->op == SL_TOK_MINUS ? SL_OP_NEG : SL_OP_POS);
    case SL_AST_BINARY:
        return compile_kids(c, a, arith_op(a->op));
    case SL_AST_COMPARE:
        return compile_compare(c, a);
    case SL_AST_AND:
        return compile_kids(c, a, SL_OP_AND);
    case SL_AST_OR:
        return compile_kids(c, a, SL_OP_OR);
    case SL_AST_NOT:
        return compile_kids(c, a, SL_OP_NOT);
    case SL_AST_IF:
        return compile_kids(c, a, SL_OP_IF);
    case SL_AST_LIST:
        return compile_kids(c, a, SL_OP_LIST);
    case SL_AST_OBJECT:
        return compile_kids(c, a, SL_OP_OBJECT);
    }
    sl_error_set_pos(c->err, SL_ERR_INVALID, cpos(c, a->pos), "unknown syntax node");
    return NULL;
}

int sl_expr_compile_ast(const sl_ast *ast, const char *src, size_t len, sl_arena *arena,
                        sl_cnode **out, sl_error *err)
{
    compiler c = {0};
    c.src = src;
    c.len = len;
    c.ascii = true;
    for (size_t i = 0; i < len && c.ascii; i++)
        c.ascii = (unsigned char)src[i] < 0x80;
    c.arena = arena;
    sl_value_alc_init(&c.alc, arena);
    c.err = err;
    sl_error_clear(err);
    *out = compile(&c, ast);
    sl_mem_destroy(c.fold_mem);
    if (*out)
        return SL_OK;
    return err && err->code != SL_OK ? err->code : SL_ERR_NOMEM;
}

/* ---- facade ----------------------------------------------------------------- */

sl_expr *sl_expr_compile_n(const char *src, size_t len, sl_error *err)
{
    sl_arena *scratch = NULL;
    sl_ast *ast = NULL;
    int rc;
    sl_error_clear(err);
    sl_expr *e = calloc(1, sizeof(*e));
    if (!e || !(e->src = malloc(len + 1)) || !(e->arena = sl_arena_create(4096)) ||
        !(scratch = sl_arena_create(8192))) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory compiling an expression");
        goto fail;
    }
    if (len)
        memcpy(e->src, src, len);
    e->src[len] = '\0';
    e->src_len = len;
    rc = sl_expr_parse(e->src, len, scratch, &ast, err);
    if (rc == SL_OK)
        rc = sl_expr_compile_ast(ast, e->src, len, e->arena, &e->root, err);
    if (rc != SL_OK) {
        /* Parser positions are byte offsets: report characters. */
        if (err && err->pos >= 0 && rc == SL_ERR_SYNTAX)
            err->pos = sl_expr_char_pos(e->src, len, (size_t)err->pos);
        goto fail;
    }
    sl_arena_destroy(scratch);
    return e;
fail:
    sl_arena_destroy(scratch);
    sl_expr_free(e);
    return NULL;
}

sl_expr *sl_expr_compile(const char *src, sl_error *err)
{
    if (!src) {
        sl_error_set(err, SL_ERR_INVALID, "no expression");
        return NULL;
    }
    return sl_expr_compile_n(src, strlen(src), err);
}

void sl_expr_free(sl_expr *e)
{
    if (!e)
        return;
    sl_arena_destroy(e->arena);
    free(e->src);
    free(e);
}

const char *sl_expr_source(const sl_expr *e)
{
    return e->src;
}

bool sl_expr_is_const(const sl_expr *e)
{
    return e->root->op == SL_OP_CONST;
}

/* sl_expr_lex — the expression lexer: source text to tokens with positions.
 *
 * First stage of the expression pipeline (lex → parse → compile → eval).
 * Tokens carry their byte offset in the source; literal payloads are decoded
 * here (integers, floats, strings with escapes, which are validated as
 * UTF-8 and stored in the caller's arena). Keywords (and, or, not, in, if,
 * else, true/True, false/False, null/None) are distinct token kinds. */
#ifndef SL_EXPR_LEX_H
#define SL_EXPR_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/sl_arena.h"
#include "util/sl_error.h"

/* X-macro list of token kinds: enum name, how messages name it. */
#define SL_TOK_LIST(X)                 \
    X(SL_TOK_EOF, "end of expression") \
    X(SL_TOK_INT, "integer")           \
    X(SL_TOK_FLOAT, "number")          \
    X(SL_TOK_STR, "string")            \
    X(SL_TOK_NAME, "name")             \
    X(SL_TOK_AND, "'and'")             \
    X(SL_TOK_OR, "'or'")               \
    X(SL_TOK_NOT, "'not'")             \
    X(SL_TOK_IN, "'in'")               \
    X(SL_TOK_IF, "'if'")               \
    X(SL_TOK_ELSE, "'else'")           \
    X(SL_TOK_TRUE, "'true'")           \
    X(SL_TOK_FALSE, "'false'")         \
    X(SL_TOK_NULL, "'null'")           \
    X(SL_TOK_LPAREN, "'('")            \
    X(SL_TOK_RPAREN, "')'")            \
    X(SL_TOK_LBRACKET, "'['")          \
    X(SL_TOK_RBRACKET, "']'")          \
    X(SL_TOK_LBRACE, "'{'")            \
    X(SL_TOK_RBRACE, "'}'")            \
    X(SL_TOK_COMMA, "','")             \
    X(SL_TOK_COLON, "':'")             \
    X(SL_TOK_DOT, "'.'")               \
    X(SL_TOK_PLUS, "'+'")              \
    X(SL_TOK_MINUS, "'-'")             \
    X(SL_TOK_STAR, "'*'")              \
    X(SL_TOK_SLASH, "'/'")             \
    X(SL_TOK_DSLASH, "'//'")           \
    X(SL_TOK_PERCENT, "'%'")           \
    X(SL_TOK_POW, "'**'")              \
    X(SL_TOK_EQ, "'=='")               \
    X(SL_TOK_NE, "'!='")               \
    X(SL_TOK_LT, "'<'")                \
    X(SL_TOK_LE, "'<='")               \
    X(SL_TOK_GT, "'>'")                \
    X(SL_TOK_GE, "'>='")

typedef enum sl_tok_kind {
#define SL_TOK_ENUM(name, text) name,
    SL_TOK_LIST(SL_TOK_ENUM)
#undef SL_TOK_ENUM
} sl_tok_kind;

typedef struct sl_token {
    sl_tok_kind kind;
    int pos;       /* byte offset of the first character in the source */
    int len;       /* bytes of source text */
    int64_t i;     /* SL_TOK_INT */
    double f;      /* SL_TOK_FLOAT */
    const char *s; /* SL_TOK_STR: decoded (arena); SL_TOK_NAME and keywords: in src */
    size_t slen;   /* length of s */
} sl_token;

typedef struct sl_lexer {
    const char *src; /* borrowed */
    size_t len;
    size_t pos;
    sl_arena *arena; /* borrowed; decoded strings */
} sl_lexer;

/* Longest accepted source, so positions fit an int. */
#define SL_EXPR_SRC_MAX (1u << 20)

/* Prepares lx to scan src[0..len) (borrowed) into arena (borrowed). */
void sl_lexer_init(sl_lexer *lx, const char *src, size_t len, sl_arena *arena);

/* Scans the next token into *tok; at the end returns SL_TOK_EOF forever.
 * SL_ERR_SYNTAX with err->pos (byte offset) for a bad character, an
 * unterminated string, an unknown escape, invalid UTF-8, an integer out of
 * range; SL_ERR_NOMEM. */
int sl_lexer_next(sl_lexer *lx, sl_token *tok, sl_error *err);

/* Scans all of src into a new arena array ending with SL_TOK_EOF (*toks,
 * *n counts the EOF). Errors as sl_lexer_next. */
int sl_expr_lex(const char *src, size_t len, sl_arena *arena, sl_token **toks, size_t *n,
                sl_error *err);

/* Static text naming a token kind for messages ("'+'", "integer"). */
const char *sl_tok_name(sl_tok_kind kind);

#endif

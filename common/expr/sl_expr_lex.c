/* sl_expr_lex — expression lexer (see sl_expr_lex.h).
 *
 * A hand-written scanner in the spirit of sqlite's tokenize.c: one switch on
 * the first character. Numbers follow Python's spelling without underscores
 * or radix prefixes: `12`, `1.5`, `.5`, `1.`, `1e3`, `2.5E-3`; an integer
 * literal above INT64_MAX is an error. Strings take ' or " and the escapes
 * \\ \' \" \n \r \t \b \f \0 \/ \xHH \uHHHH (surrogate pairs joined)
 * \UHHHHHHHH; the decoded text must be valid UTF-8 without lone surrogates,
 * since it will end up in JSON. */
#include "expr/sl_expr_lex.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "value/sl_value.h"

static const char *const tok_names[] = {
#define SL_TOK_NAME_TEXT(name, text) text,
    SL_TOK_LIST(SL_TOK_NAME_TEXT)
#undef SL_TOK_NAME_TEXT
};

const char *sl_tok_name(sl_tok_kind kind)
{
    if ((size_t)kind < sizeof(tok_names) / sizeof(tok_names[0]))
        return tok_names[kind];
    return "?";
}

void sl_lexer_init(sl_lexer *lx, const char *src, size_t len, sl_arena *arena)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->arena = arena;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

static const struct {
    const char *word;
    sl_tok_kind kind;
} keywords[] = {
    {"and", SL_TOK_AND},     {"or", SL_TOK_OR},       {"not", SL_TOK_NOT},
    {"in", SL_TOK_IN},       {"if", SL_TOK_IF},       {"else", SL_TOK_ELSE},
    {"true", SL_TOK_TRUE},   {"True", SL_TOK_TRUE},   {"false", SL_TOK_FALSE},
    {"False", SL_TOK_FALSE}, {"null", SL_TOK_NULL},   {"None", SL_TOK_NULL},
};

static sl_tok_kind keyword_kind(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, s, n) == 0)
            return keywords[i].kind;
    return SL_TOK_NAME;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads n hex digits at src[p..]; -1 if any is missing or not hex. */
static long read_hex(const sl_lexer *lx, size_t p, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (p + (size_t)i >= lx->len)
            return -1;
        int h = hexval(lx->src[p + (size_t)i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t utf8_put(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int lex_string(sl_lexer *lx, sl_token *tok, sl_error *err)
{
    char quote = lx->src[lx->pos];
    size_t p = lx->pos + 1;
    /* Decoded text is never longer than its source text: find where the
     * literal ends (or the line/input does) and allocate that much. */
    size_t end = p;
    while (end < lx->len && lx->src[end] != quote && lx->src[end] != '\n')
        end += lx->src[end] == '\\' ? 2 : 1;
    if (end > lx->len)
        end = lx->len;
    char *out = sl_arena_alloc(lx->arena, end - lx->pos + 1);
    size_t o = 0;
    if (!out)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    for (;;) {
        if (p >= lx->len || lx->src[p] == '\n')
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos,
                                    "unterminated string: expected a closing %c", quote);
        char c = lx->src[p];
        if (c == quote) {
            p++;
            break;
        }
        if (c != '\\') {
            size_t n = sl_utf8_valid_len((const unsigned char *)lx->src + p, lx->len - p);
            if (n == 0)
                return sl_error_set_pos(err, SL_ERR_SYNTAX, (int)p, "invalid UTF-8 in string");
            memcpy(out + o, lx->src + p, n);
            o += n;
            p += n;
            continue;
        }
        size_t esc = p;
        if (++p >= lx->len)
            continue; /* reported as unterminated */
        long cp = -1;
        switch (lx->src[p]) {
        case '\\': cp = '\\'; break;
        case '\'': cp = '\''; break;
        case '"': cp = '"'; break;
        case '/': cp = '/'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case '0': cp = 0; break;
        case 'x':
            cp = read_hex(lx, p + 1, 2);
            p += 2;
            break;
        case 'u':
            cp = read_hex(lx, p + 1, 4);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && p + 6 < lx->len + 0 && lx->src[p + 1] == '\\' &&
                lx->src[p + 2] == 'u') {
                long lo = read_hex(lx, p + 3, 4);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return sl_error_set_pos(err, SL_ERR_SYNTAX, (int)esc,
                                        "lone surrogate in \\u escape");
            break;
        case 'U':
            cp = read_hex(lx, p + 1, 8);
            p += 8;
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = -1;
            break;
        default:
            return sl_error_set_pos(err, SL_ERR_SYNTAX, (int)esc,
                                    "unknown escape \\%c in string", lx->src[p]);
        }
        if (cp < 0)
            return sl_error_set_pos(err, SL_ERR_SYNTAX, (int)esc, "bad hexadecimal escape in string");
        o += utf8_put(out + o, (unsigned long)cp);
        p++;
    }
    out[o] = '\0';
    tok->kind = SL_TOK_STR;
    tok->s = out;
    tok->slen = o;
    lx->pos = p;
    return SL_OK;
}

static int lex_number(sl_lexer *lx, sl_token *tok, sl_error *err)
{
    size_t p = lx->pos;
    bool is_float = false;
    while (p < lx->len && is_digit(lx->src[p]))
        p++;
    if (p < lx->len && lx->src[p] == '.') {
        is_float = true;
        p++;
        while (p < lx->len && is_digit(lx->src[p]))
            p++;
    }
    if (p < lx->len && (lx->src[p] == 'e' || lx->src[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (lx->src[q] == '+' || lx->src[q] == '-'))
            q++;
        if (q >= lx->len || !is_digit(lx->src[q]))
            return sl_error_set_pos(err, SL_ERR_SYNTAX, (int)p, "expected digits in exponent");
        while (q < lx->len && is_digit(lx->src[q]))
            q++;
        p = q;
        is_float = true;
    }
    if (p < lx->len && is_name_char(lx->src[p]))
        return sl_error_set_pos(err, SL_ERR_SYNTAX, (int)p, "invalid character '%c' in number",
                                lx->src[p]);
    char tmp[64];
    size_t n = p - lx->pos;
    char *text = n < sizeof(tmp) ? tmp : sl_arena_alloc(lx->arena, n + 1);
    if (!text)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    memcpy(text, lx->src + lx->pos, n);
    text[n] = '\0';
    errno = 0;
    if (is_float) {
        tok->kind = SL_TOK_FLOAT;
        tok->f = strtod(text, NULL);
        if (!isfinite(tok->f))
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos, "number literal out of range");
    } else {
        tok->kind = SL_TOK_INT;
        unsigned long long u = strtoull(text, NULL, 10);
        if (errno == ERANGE || u > (unsigned long long)INT64_MAX)
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos,
                                    "integer literal out of range (max 9223372036854775807)");
        tok->i = (int64_t)u;
    }
    lx->pos = p;
    return SL_OK;
}

int sl_lexer_next(sl_lexer *lx, sl_token *tok, sl_error *err)
{
    const char *s = lx->src;
    while (lx->pos < lx->len &&
           (s[lx->pos] == ' ' || s[lx->pos] == '\t' || s[lx->pos] == '\n' || s[lx->pos] == '\r'))
        lx->pos++;
    memset(tok, 0, sizeof(*tok));
    tok->pos = (int)lx->pos;
    if (lx->pos >= lx->len) {
        tok->kind = SL_TOK_EOF;
        return SL_OK;
    }
    char c = s[lx->pos];
    char next = lx->pos + 1 < lx->len ? s[lx->pos + 1] : '\0';
    int rc = SL_OK;
    size_t width = 1;
    switch (c) {
    case '(': tok->kind = SL_TOK_LPAREN; break;
    case ')': tok->kind = SL_TOK_RPAREN; break;
    case '[': tok->kind = SL_TOK_LBRACKET; break;
    case ']': tok->kind = SL_TOK_RBRACKET; break;
    case '{': tok->kind = SL_TOK_LBRACE; break;
    case '}': tok->kind = SL_TOK_RBRACE; break;
    case ',': tok->kind = SL_TOK_COMMA; break;
    case ':': tok->kind = SL_TOK_COLON; break;
    case '+': tok->kind = SL_TOK_PLUS; break;
    case '-': tok->kind = SL_TOK_MINUS; break;
    case '%': tok->kind = SL_TOK_PERCENT; break;
    case '*':
        tok->kind = next == '*' ? SL_TOK_POW : SL_TOK_STAR;
        width = next == '*' ? 2 : 1;
        break;
    case '/':
        tok->kind = next == '/' ? SL_TOK_DSLASH : SL_TOK_SLASH;
        width = next == '/' ? 2 : 1;
        break;
    case '<':
        tok->kind = next == '=' ? SL_TOK_LE : SL_TOK_LT;
        width = next == '=' ? 2 : 1;
        break;
    case '>':
        tok->kind = next == '=' ? SL_TOK_GE : SL_TOK_GT;
        width = next == '=' ? 2 : 1;
        break;
    case '=':
        if (next != '=')
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos,
                                    "unexpected '=': use '==' to compare");
        tok->kind = SL_TOK_EQ;
        width = 2;
        break;
    case '!':
        if (next != '=')
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos,
                                    "unexpected '!': use 'not' or '!='");
        tok->kind = SL_TOK_NE;
        width = 2;
        break;
    case '\'':
    case '"':
        rc = lex_string(lx, tok, err);
        width = 0;
        break;
    case '.':
        if (is_digit(next)) {
            rc = lex_number(lx, tok, err);
            width = 0;
        } else {
            tok->kind = SL_TOK_DOT;
        }
        break;
    default:
        if (is_digit(c)) {
            rc = lex_number(lx, tok, err);
            width = 0;
        } else if (is_name_start(c)) {
            size_t p = lx->pos;
            while (p < lx->len && is_name_char(s[p]))
                p++;
            tok->s = s + lx->pos;
            tok->slen = p - lx->pos;
            tok->kind = keyword_kind(tok->s, tok->slen);
            width = tok->slen;
        } else if ((unsigned char)c >= 0x80) {
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos,
                                    "unexpected non-ASCII character: quote column names as "
                                    "[\"name\"]");
        } else {
            return sl_error_set_pos(err, SL_ERR_SYNTAX, tok->pos, "unexpected character '%c'",
                                    (c >= 0x20 && c < 0x7f) ? c : '?');
        }
    }
    if (rc != SL_OK)
        return rc;
    lx->pos += width;
    tok->len = (int)(lx->pos - (size_t)tok->pos);
    return SL_OK;
}

int sl_expr_lex(const char *src, size_t len, sl_arena *arena, sl_token **toks, size_t *n,
                sl_error *err)
{
    sl_lexer lx;
    size_t cap = 16, count = 0;
    *toks = NULL;
    *n = 0;
    if (len > SL_EXPR_SRC_MAX)
        return sl_error_set_pos(err, SL_ERR_SYNTAX, 0, "expression longer than %u bytes",
                                SL_EXPR_SRC_MAX);
    sl_token *arr = sl_arena_alloc(arena, cap * sizeof(*arr));
    if (!arr)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    sl_lexer_init(&lx, src, len, arena);
    for (;;) {
        if (count == cap) {
            sl_token *bigger = sl_arena_alloc(arena, cap * 2 * sizeof(*arr));
            if (!bigger)
                return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
            memcpy(bigger, arr, cap * sizeof(*arr));
            arr = bigger;
            cap *= 2;
        }
        int rc = sl_lexer_next(&lx, &arr[count], err);
        if (rc != SL_OK)
            return rc;
        if (arr[count++].kind == SL_TOK_EOF)
            break;
    }
    *toks = arr;
    *n = count;
    return SL_OK;
}

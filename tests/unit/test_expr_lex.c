/* Unit tests for the expression lexer (common/expr/sl_expr_lex): token
 * kinds, positions, literal decoding and lexical errors with positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expr/sl_expr_lex.h"

typedef struct lex_case {
    const char *src;
    sl_tok_kind kinds[12]; /* up to and including SL_TOK_EOF */
    int pos[12];           /* byte positions, -1 = don't check */
} lex_case;

static void test_token_kinds_and_positions(void **state)
{
    (void)state;
    static const lex_case cases[] = {
        {"speed * 3.6", {SL_TOK_NAME, SL_TOK_STAR, SL_TOK_FLOAT, SL_TOK_EOF}, {0, 6, 8, 11}},
        {"a**b//c", {SL_TOK_NAME, SL_TOK_POW, SL_TOK_NAME, SL_TOK_DSLASH, SL_TOK_NAME, SL_TOK_EOF},
         {0, 1, 3, 4, 6, 7}},
        {"x<=1>=2<3>4==5!=6",
         {SL_TOK_NAME, SL_TOK_LE, SL_TOK_INT, SL_TOK_GE, SL_TOK_INT, SL_TOK_LT, SL_TOK_INT,
          SL_TOK_GT, SL_TOK_INT, SL_TOK_EQ, SL_TOK_INT, SL_TOK_NE},
         {0, 1, 3, 4, 6, 7, 8, 9, 10, 11, 13, 14}},
        {"not in and or if else",
         {SL_TOK_NOT, SL_TOK_IN, SL_TOK_AND, SL_TOK_OR, SL_TOK_IF, SL_TOK_ELSE, SL_TOK_EOF},
         {0, 4, 7, 11, 14, 17, 21}},
        {"true True false False null None",
         {SL_TOK_TRUE, SL_TOK_TRUE, SL_TOK_FALSE, SL_TOK_FALSE, SL_TOK_NULL, SL_TOK_NULL,
          SL_TOK_EOF},
         {0, 5, 10, 16, 22, 27, 31}},
        {"([{,:.}])",
         {SL_TOK_LPAREN, SL_TOK_LBRACKET, SL_TOK_LBRACE, SL_TOK_COMMA, SL_TOK_COLON, SL_TOK_DOT,
          SL_TOK_RBRACE, SL_TOK_RBRACKET, SL_TOK_RPAREN, SL_TOK_EOF},
         {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
        {"+-%/", {SL_TOK_PLUS, SL_TOK_MINUS, SL_TOK_PERCENT, SL_TOK_SLASH, SL_TOK_EOF},
         {0, 1, 2, 3, 4}},
        {" \t\n_key", {SL_TOK_NAME, SL_TOK_EOF}, {3, 7}},
        {"andy nota", {SL_TOK_NAME, SL_TOK_NAME, SL_TOK_EOF}, {0, 5, 9}},
        {"a.b[0]",
         {SL_TOK_NAME, SL_TOK_DOT, SL_TOK_NAME, SL_TOK_LBRACKET, SL_TOK_INT, SL_TOK_RBRACKET,
          SL_TOK_EOF},
         {0, 1, 2, 3, 4, 5, 6}},
        {"'x' \"y\"", {SL_TOK_STR, SL_TOK_STR, SL_TOK_EOF}, {0, 4, 7}},
        {"", {SL_TOK_EOF}, {0}},
    };
    sl_arena *a = sl_arena_create(0);
    sl_error err;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        sl_token *toks;
        size_t n;
        assert_int_equal(sl_expr_lex(cases[c].src, strlen(cases[c].src), a, &toks, &n, &err),
                         SL_OK);
        size_t want = 0;
        while (want < 12 && (want == 0 || cases[c].kinds[want - 1] != SL_TOK_EOF))
            want++;
        if (cases[c].kinds[want - 1] == SL_TOK_EOF)
            assert_int_equal(n, want);
        for (size_t i = 0; i < want && i < n; i++) {
            if (toks[i].kind != cases[c].kinds[i])
                fail_msg("%s: token %zu is %s, want %s", cases[c].src, i,
                         sl_tok_name(toks[i].kind), sl_tok_name(cases[c].kinds[i]));
            if (cases[c].pos[i] >= 0 && toks[i].pos != cases[c].pos[i])
                fail_msg("%s: token %zu at %d, want %d", cases[c].src, i, toks[i].pos,
                         cases[c].pos[i]);
        }
    }
    sl_arena_destroy(a);
}

static void test_number_literals(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        sl_tok_kind kind;
        int64_t i;
        double f;
        int len;
    } cases[] = {
        {"0", SL_TOK_INT, 0, 0, 1},
        {"42", SL_TOK_INT, 42, 0, 2},
        {"9223372036854775807", SL_TOK_INT, INT64_MAX, 0, 19},
        {"1.5", SL_TOK_FLOAT, 0, 1.5, 3},
        {".25", SL_TOK_FLOAT, 0, 0.25, 3},
        {"3.", SL_TOK_FLOAT, 0, 3.0, 2},
        {"1e3", SL_TOK_FLOAT, 0, 1000.0, 3},
        {"1E+2", SL_TOK_FLOAT, 0, 100.0, 4},
        {"2.5e-1", SL_TOK_FLOAT, 0, 0.25, 6},
        {"007", SL_TOK_INT, 7, 0, 3},
    };
    sl_arena *a = sl_arena_create(0);
    sl_error err;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        sl_lexer lx;
        sl_token t;
        sl_lexer_init(&lx, cases[c].src, strlen(cases[c].src), a);
        assert_int_equal(sl_lexer_next(&lx, &t, &err), SL_OK);
        assert_int_equal(t.kind, cases[c].kind);
        assert_int_equal(t.len, cases[c].len);
        if (t.kind == SL_TOK_INT)
            assert_true(t.i == cases[c].i);
        else
            assert_true(t.f == cases[c].f);
        assert_int_equal(sl_lexer_next(&lx, &t, &err), SL_OK);
        assert_int_equal(t.kind, SL_TOK_EOF);
        /* EOF repeats. */
        assert_int_equal(sl_lexer_next(&lx, &t, &err), SL_OK);
        assert_int_equal(t.kind, SL_TOK_EOF);
    }
    sl_arena_destroy(a);
}

static void test_string_literals(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        const char *want;
        size_t want_len;
    } cases[] = {
        {"'abc'", "abc", 3},
        {"\"abc\"", "abc", 3},
        {"''", "", 0},
        {"'say \"hi\"'", "say \"hi\"", 8},
        {"\"it's\"", "it's", 4},
        {"'\\'\\\"\\\\\\/'", "'\"\\/", 4},
        {"'\\n\\r\\t\\b\\f'", "\n\r\t\b\f", 5},
        {"'a\\0b'", "a\0b", 3},
        {"'\\x41\\x7a'", "Az", 2},
        {"'\\u00e9'", "\xc3\xa9", 2},
        {"'\\u20ac'", "\xe2\x82\xac", 3},
        {"'\\ud83d\\ude00'", "\xf0\x9f\x98\x80", 4},
        {"'\\U0001F600'", "\xf0\x9f\x98\x80", 4},
        {"'h\xc3\xa9'", "h\xc3\xa9", 3},
        {"'tab\there'", "tab\there", 8},
    };
    sl_arena *a = sl_arena_create(0);
    sl_error err;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        sl_lexer lx;
        sl_token t;
        sl_lexer_init(&lx, cases[c].src, strlen(cases[c].src), a);
        if (sl_lexer_next(&lx, &t, &err) != SL_OK)
            fail_msg("%s: %s", cases[c].src, err.msg);
        assert_int_equal(t.kind, SL_TOK_STR);
        assert_int_equal(t.slen, cases[c].want_len);
        assert_memory_equal(t.s, cases[c].want, cases[c].want_len);
        assert_int_equal(t.len, (int)strlen(cases[c].src));
    }
    sl_arena_destroy(a);
}

static void test_lex_errors(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        int pos;
        const char *msg;
    } cases[] = {
        {"'abc", 0, "unterminated string: expected a closing '"},
        {"x + \"abc", 4, "expected a closing \""},
        {"'a\nb'", 0, "unterminated"},
        {"'\\q'", 1, "unknown escape \\q"},
        {"'ab\\x4'", 3, "bad hexadecimal escape"},
        {"'\\uzzzz'", 1, "bad hexadecimal escape"},
        {"'\\udc00'", 1, "lone surrogate"},
        {"'\\U00110000'", 1, "bad hexadecimal escape"},
        {"'\xff'", 1, "invalid UTF-8"},
        {"'\xc3'", 1, "invalid UTF-8"},
        {"'\xed\xa0\x80'", 1, "invalid UTF-8"},
        {"1 = 2", 2, "use '=='"},
        {"a ! b", 2, "use 'not' or '!='"},
        {"a $ b", 2, "unexpected character '$'"},
        {"a ; b", 2, "unexpected character ';'"},
        {"9223372036854775808", 0, "integer literal out of range"},
        {"1e400", 0, "number literal out of range"},
        {"1e+", 1, "expected digits in exponent"},
        {"3x", 1, "invalid character 'x' in number"},
        {"\xc3\xa9", 0, "non-ASCII"},
    };
    sl_arena *a = sl_arena_create(0);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        sl_token *toks;
        size_t n;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_expr_lex(cases[c].src, strlen(cases[c].src), a, &toks, &n, &err);
        if (rc != SL_ERR_SYNTAX)
            fail_msg("%s: status %d, want syntax error", cases[c].src, rc);
        if (err.pos != cases[c].pos)
            fail_msg("%s: error at %d, want %d (%s)", cases[c].src, err.pos, cases[c].pos, err.msg);
        if (!strstr(err.msg, cases[c].msg))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[c].src, err.msg, cases[c].msg);
    }
    sl_arena_destroy(a);
}

static void test_token_names(void **state)
{
    (void)state;
    assert_string_equal(sl_tok_name(SL_TOK_EOF), "end of expression");
    assert_string_equal(sl_tok_name(SL_TOK_POW), "'**'");
    assert_string_equal(sl_tok_name((sl_tok_kind)999), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_kinds_and_positions),
        cmocka_unit_test(test_number_literals),
        cmocka_unit_test(test_string_literals),
        cmocka_unit_test(test_lex_errors),
        cmocka_unit_test(test_token_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

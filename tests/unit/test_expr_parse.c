/* Unit tests for the expression parser (common/expr/sl_expr_parse): the tree
 * shape of every precedence level and associativity, rendered as an
 * S-expression by sl_ast_dump, and syntax errors with positions. Every tree
 * lives in one arena that is destroyed at the end, failed parses included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expr/sl_expr_parse.h"

typedef struct parse_case {
    const char *src;
    const char *tree;
} parse_case;

static void test_tree_shapes(void **state)
{
    (void)state;
    static const parse_case cases[] = {
        {"speed * 3.6", "(* $speed 3.6)"},
        {"1 + 2 * 3", "(+ 1 (* 2 3))"},
        {"(1 + 2) * 3", "(* (+ 1 2) 3)"},
        {"a - b - c", "(- (- $a $b) $c)"},
        {"a / b // c % d", "(% (// (/ $a $b) $c) $d)"},
        {"a ** b ** c", "(** $a (** $b $c))"},
        {"-a ** b", "(- (** $a $b))"},
        {"a ** -b", "(** $a (- $b))"},
        {"-a * b", "(* (- $a) $b)"},
        {"+a", "(+ $a)"},
        {"not a == b", "(not (cmp $a == $b))"},
        {"not not a", "(not (not $a))"},
        {"a and b or c and d", "(or (and $a $b) (and $c $d))"},
        {"a or b or c", "(or (or $a $b) $c)"},
        {"not a and b", "(and (not $a) $b)"},
        {"a < b < c", "(cmp $a < $b < $c)"},
        {"a + 1 >= b * 2", "(cmp (+ $a 1) >= (* $b 2))"},
        {"a in b", "(cmp $a in $b)"},
        {"a not in b", "(cmp $a not-in $b)"},
        {"a != b", "(cmp $a != $b)"},
        {"x if c else y", "(if $c $x $y)"},
        {"x if c else y if d else z", "(if $c $x (if $d $y $z))"},
        {"a or b if c and d else e", "(if (and $c $d) (or $a $b) $e)"},
        {"gps.lat", "(attr lat $gps)"},
        {"a.b.c", "(attr c (attr b $a))"},
        {"tags[0]", "(index $tags 0)"},
        {"a[\"k\"].b[1]", "(index (attr b (index $a \"k\")) 1)"},
        {"[\"temp C\"]", "$temp C"},
        {"[\"temp C\"].x", "(attr x $temp C)"},
        {"x in [\"a\"]", "(cmp $x in (list \"a\"))"},
        {"x not in [\"a\"]", "(cmp $x not-in (list \"a\"))"},
        {"[\"a\",]", "(list \"a\")"},
        {"['a', 'b']", "(list \"a\" \"b\")"},
        {"[]", "(list)"},
        {"[1, [2]]", "(list 1 (list 2))"},
        {"{\"k\": 1, \"l\": x}", "(object \"k\" 1 \"l\" $x)"},
        {"{}", "(object)"},
        {"f()", "(call f)"},
        {"lower(name)", "(call lower $name)"},
        {"max(a, b + 1, c)", "(call max $a (+ $b 1) $c)"},
        {"len(x)[0]", "(index (call len $x) 0)"},
        {"a.in", "(attr in $a)"},
        {"true and None", "(and true null)"},
        {"'it\\'s'", "\"it's\""},
        {"-1", "(- 1)"},
        {"_key + _timestamp", "(+ $_key $_timestamp)"},
        {"a.b(1) if 0 else 1", NULL}, /* error, checked below */
    };
    sl_arena *arena = sl_arena_create(0);
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_ast *root;
        int rc = sl_expr_parse(cases[i].src, strlen(cases[i].src), arena, &root, &err);
        if (!cases[i].tree) {
            assert_int_equal(rc, SL_ERR_SYNTAX);
            assert_null(root);
            continue;
        }
        if (rc != SL_OK)
            fail_msg("%s: %s (at %d)", cases[i].src, err.msg, err.pos);
        sl_buf_reset(&out);
        assert_int_equal(sl_ast_dump(root, &out), SL_OK);
        if (strcmp(out.data, cases[i].tree) != 0)
            fail_msg("%s: got %s, want %s", cases[i].src, out.data, cases[i].tree);
    }
    sl_buf_free(&out);
    sl_arena_destroy(arena);
}

static void test_positions(void **state)
{
    (void)state;
    sl_arena *arena = sl_arena_create(0);
    sl_error err;
    sl_ast *root;
    assert_int_equal(sl_expr_parse("a  +  b", 7, arena, &root, &err), SL_OK);
    assert_int_equal(root->kind, SL_AST_BINARY);
    assert_int_equal(root->pos, 3);
    assert_int_equal(root->kids[1]->pos, 6);
    assert_int_equal(sl_expr_parse("x.yy[2]", 7, arena, &root, &err), SL_OK);
    assert_int_equal(root->kind, SL_AST_INDEX);
    assert_int_equal(root->pos, 4);
    assert_int_equal(root->kids[0]->pos, 2);
    assert_int_equal(root->kids[0]->name_len, 2);
    assert_int_equal(root->height, 3);
    sl_arena_destroy(arena);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        int pos;
        const char *msg;
    } cases[] = {
        {"", 0, "empty expression"},
        {"1 +", 3, "expected a value, a column name, '(' or '[', found end of expression"},
        {"* 2", 0, "expected a value"},
        {"(a", 2, "expected ')'"},
        {"a)", 1, "expected an operator or the end of the expression, found ')'"},
        {"a b", 2, "found name 'b'"},
        {"[1 2]", 3, "expected ',' or ']'"},
        {"f(1 2)", 4, "expected ',' or ')' in the argument list"},
        {"{1: 2", 5, "expected ',' or '}'"},
        {"{1 2}", 3, "expected ':' after an object key"},
        {"a if b", 6, "expected 'else' after the condition of 'if'"},
        {"a if b else", 11, "expected a value"},
        {"a.", 2, "expected a member name after '.'"},
        {"a.(b)", 2, "expected a member name"},
        {"a[1", 3, "expected ']'"},
        {"a[]", 2, "expected a value"},
        {"(1)(2)", 3, "only functions can be called"},
        {"a not b", 2, "expected an operator"},
        {"1.2.3", 3, "expected an operator"},
        {"not", 3, "expected a value"},
        {"a < < b", 4, "expected a value"},
        {"'x", 0, "unterminated string"},
    };
    sl_arena *arena = sl_arena_create(0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_ast *root = (sl_ast *)1;
        sl_error err;
        int rc = sl_expr_parse(cases[i].src, strlen(cases[i].src), arena, &root, &err);
        if (rc != SL_ERR_SYNTAX)
            fail_msg("%s: status %d, want syntax error", cases[i].src, rc);
        assert_null(root);
        if (err.pos != cases[i].pos)
            fail_msg("%s: error at %d, want %d (%s)", cases[i].src, err.pos, cases[i].pos, err.msg);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].src, err.msg, cases[i].msg);
    }
    sl_arena_destroy(arena);
}

static void test_depth_limits(void **state)
{
    (void)state;
    sl_arena *arena = sl_arena_create(0);
    sl_error err;
    sl_ast *root;
    char src[8192];
    size_t n = 0;
    /* Deep unary and power chains and brackets are bounded, never crash. */
    const char *openers[] = {"-", "not ", "(", "[", "2**", "f("};
    for (size_t k = 0; k < sizeof(openers) / sizeof(openers[0]); k++) {
        n = 0;
        for (int i = 0; i < 1000 && n + 8 < sizeof(src); i++) {
            memcpy(src + n, openers[k], strlen(openers[k]));
            n += strlen(openers[k]);
        }
        src[n++] = '1';
        src[n] = '\0';
        assert_int_equal(sl_expr_parse(src, n, arena, &root, &err), SL_ERR_SYNTAX);
        assert_true(strstr(err.msg, "nested") || strstr(err.msg, "too complex"));
    }
    /* Long left-assoc chains: tree height is bounded. */
    n = 0;
    for (int i = 0; i < 2000; i++) {
        src[n++] = 'a';
        src[n++] = '.';
    }
    src[n++] = 'a';
    src[n] = '\0';
    assert_int_equal(sl_expr_parse(src, n, arena, &root, &err), SL_ERR_SYNTAX);
    assert_non_null(strstr(err.msg, "too complex"));
    sl_arena_destroy(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_shapes),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_depth_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

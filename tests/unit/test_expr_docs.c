/* Runs every example of docs/expressions.md: each row of a table headed
 * "| expression | result |" whose first cell is one code span and whose second cell is one code span (the expected
 * result as compact JSON) or "error: ..." (a status name — type, overflow,
 * invalid, syntax — or a fragment of the message) is compiled and evaluated
 * against the sample row given in the document. The docs cannot drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr/sl_expr.h"

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Trims blanks in place; returns the start. */
static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* If cell is exactly one code span, returns its content (in place). */
static char *code_span(char *cell)
{
    size_t n = strlen(cell);
    if (n < 2 || cell[0] != '`' || cell[n - 1] != '`')
        return NULL;
    cell[n - 1] = '\0';
    if (strchr(cell + 1, '`'))
        return NULL;
    return cell + 1;
}

static int expected_code(const char *what)
{
    if (strcmp(what, "type") == 0)
        return SL_ERR_TYPE;
    if (strcmp(what, "overflow") == 0)
        return SL_ERR_OVERFLOW;
    if (strcmp(what, "invalid") == 0)
        return SL_ERR_INVALID;
    if (strcmp(what, "syntax") == 0)
        return SL_ERR_SYNTAX;
    return 0; /* a message fragment */
}

static void test_doc_examples(void **state)
{
    (void)state;
    char *doc = read_file(SLUICE_SOURCE_DIR "/docs/expressions.md");
    assert_non_null(doc);
    /* The sample row: the json block after the marker. */
    char *mark = strstr(doc, "<!-- sample-row -->");
    assert_non_null(mark);
    char *start = strstr(mark, "```json\n");
    assert_non_null(start);
    start += 8;
    char *end = strstr(start, "```");
    assert_non_null(end);
    size_t row_len = (size_t)(end - start);
    char *row_json = strndup(start, row_len);

    sl_mem *mem = sl_mem_create(0);
    sl_eval_ctx ctx = SL_EVAL_CTX_INIT(mem);
    sl_row row;
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    int examples = 0;
    bool in_examples = false; /* inside a "| expression | result |" table */
    for (char *line = doc, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] != '|') {
            in_examples = false;
            continue;
        }
        if (strncmp(line, "| expression | result |", 23) == 0) {
            in_examples = true;
            continue;
        }
        if (!in_examples)
            continue;
        char *cells[4] = {0};
        int ncells = 0;
        char *p = line + 1;
        while (ncells < 4) {
            char *bar = strchr(p, '|');
            if (!bar)
                break;
            *bar = '\0';
            cells[ncells++] = trim(p);
            p = bar + 1;
        }
        if (ncells != 2)
            continue;
        char *src = code_span(cells[0]);
        if (!src)
            continue;
        char *want = NULL, *want_err = NULL;
        if (strncmp(cells[1], "error: ", 7) == 0)
            want_err = cells[1] + 7;
        else if (!(want = code_span(cells[1])))
            continue;
        examples++;
        sl_mem_reset(mem);
        assert_int_equal(sl_row_init_json(&row, mem, sl_value_str("dev-1", 5), 1700000000000LL,
                                          row_json, row_len, &err),
                         SL_OK);
        sl_value v;
        int rc;
        sl_expr *e = sl_expr_compile(src, &err);
        rc = e ? sl_expr_eval(e, &ctx, &row, &v, &err) : err.code;
        if (want) {
            if (rc != SL_OK)
                fail_msg("docs: %s: error %s (at %d)", src, err.msg, err.pos);
            sl_buf_reset(&out);
            assert_int_equal(sl_value_write_json(v, &out, NULL), SL_OK);
            if (strcmp(out.data, want) != 0)
                fail_msg("docs: %s gives %s, the docs say %s", src, out.data, want);
        } else {
            int code = expected_code(want_err);
            if (rc == SL_OK)
                fail_msg("docs: %s succeeded, the docs say error: %s", src, want_err);
            if (code && rc != code)
                fail_msg("docs: %s: %s, the docs say %s", src, sl_status_name(rc), want_err);
            if (!code && !strstr(err.msg, want_err))
                fail_msg("docs: %s: \"%s\" lacks \"%s\"", src, err.msg, want_err);
        }
        sl_expr_free(e);
    }
    assert_true(examples > 100);
    sl_buf_free(&out);
    sl_mem_destroy(mem);
    free(row_json);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

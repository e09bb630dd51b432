/* sluicectl_rest_call — what the REST commands share (sluicectl_rest.h):
 * one request and its error report, following a list's pages, printing
 * the controller's JSON and tables, reading a spec file.
 *
 * Error answers are printed from the error document of docs/api.md,
 * {"error": {"code", "message", "details": [{"where", "position",
 * "message"}]}}; an answer that is not such a document (a proxy's HTML page)
 * is shown by its first line. Text from the server is printed with control
 * characters replaced, so an answer cannot drive the terminal. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl_rest.h"
#include "util/sl_error.h"

#define LIST_MAX_PAGES 100000
#define SNIPPET_MAX 200

static const yyjson_read_flag read_flags = YYJSON_READ_ALLOW_INVALID_UNICODE;
static const yyjson_write_flag write_flags =
    YYJSON_WRITE_PRETTY_TWO_SPACES | YYJSON_WRITE_ALLOW_INVALID_UNICODE;

/* Writes s[0..len) to f with control characters as spaces. */
static void put_clean(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
    }
}

static void put_clean_str(FILE *f, const char *s)
{
    put_clean(f, s, strlen(s));
}

int sluicectl_pathf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc = SL_OK;
    va_start(ap, fmt);
    for (const char *p = fmt; *p && rc == SL_OK; p++) {
        if (p[0] == '%' && p[1] == 's') {
            rc = sluicectl_http_escape(b, va_arg(ap, const char *));
            p++;
        } else {
            rc = sl_buf_append(b, p, 1);
        }
    }
    va_end(ap);
    return rc;
}

void sluicectl_report(const sluicectl_ctx *c, long status, const char *body, size_t len)
{
    yyjson_doc *doc = len ? yyjson_read(body, len, read_flags) : NULL;
    yyjson_val *e = yyjson_obj_get(yyjson_doc_get_root(doc), "error");
    const char *code = yyjson_get_str(yyjson_obj_get(e, "code"));
    const char *msg = yyjson_get_str(yyjson_obj_get(e, "message"));
    if (code || msg) {
        yyjson_val *details = yyjson_obj_get(e, "details"), *d;
        size_t i, n;
        fprintf(stderr, "sluicectl: %ld ", status);
        put_clean_str(stderr, code ? code : "error");
        fputs(": ", stderr);
        put_clean_str(stderr, msg ? msg : "");
        fputc('\n', stderr);
        yyjson_arr_foreach(details, i, n, d)
        {
            const char *where = yyjson_get_str(yyjson_obj_get(d, "where"));
            const char *dmsg = yyjson_get_str(yyjson_obj_get(d, "message"));
            yyjson_val *pos = yyjson_obj_get(d, "position");
            int has_pos = yyjson_is_int(pos) && yyjson_get_sint(pos) >= 0;
            fputs("  ", stderr);
            if (where && *where)
                put_clean_str(stderr, where);
            if (has_pos)
                fprintf(stderr, "%sat position %lld", where && *where ? " " : "",
                        (long long)yyjson_get_sint(pos));
            if ((where && *where) || has_pos)
                fputs(": ", stderr);
            put_clean_str(stderr, dmsg ? dmsg : "");
            fputc('\n', stderr);
        }
    } else {
        /* not our error document: show the first line of what came back */
        size_t n = 0;
        while (n < len && n < SNIPPET_MAX && body[n] != '\n')
            n++;
        fprintf(stderr, "sluicectl: %ld: unexpected answer from %s%s", status,
                sluicectl_http_url(c->http), n ? ": " : " (no body)");
        put_clean(stderr, body, n);
        fputc('\n', stderr);
    }
    if (status == 401 && !c->have_token)
        fputs("sluicectl: no token was given: use --token, --token-file or $SLUICE_TOKEN\n",
              stderr);
    yyjson_doc_free(doc);
}

int sluicectl_call(sluicectl_ctx *c, const char *method, const char *path, const char *body,
                   size_t body_len, long allow, long *status, yyjson_doc **doc)
{
    sluicectl_http_response r = SLUICECTL_HTTP_RESPONSE_INIT;
    sl_error err;
    int rc = SLUICECTL_EXIT_OK;
    if (doc)
        *doc = NULL;
    *status = 0;
    if (sluicectl_http_request(c->http, method, path, body, body_len, &r, &err) != SL_OK) {
        fprintf(stderr, "sluicectl: %s\n", err.msg);
        rc = err.code == SL_ERR_NOMEM ? SLUICECTL_EXIT_ERROR : SLUICECTL_EXIT_UNREACHABLE;
        goto out;
    }
    *status = r.status;
    if (r.status < 200 || r.status >= 300) {
        if (allow == 0 || r.status != allow) {
            sluicectl_report(c, r.status, r.body.data, r.body.len);
            rc = SLUICECTL_EXIT_ERROR;
        }
        goto out;
    }
    if (doc && r.body.len > 0) {
        yyjson_read_err rerr;
        *doc = yyjson_read_opts(r.body.data, r.body.len, read_flags, NULL, &rerr);
        if (!*doc) {
            fprintf(stderr, "sluicectl: %ld: the answer of %s %s is not JSON: %s at byte %zu\n",
                    r.status, method, path, rerr.msg, rerr.pos);
            rc = SLUICECTL_EXIT_ERROR;
        }
    }
out:
    sluicectl_http_response_free(&r);
    return rc;
}

int sluicectl_simple_call(sluicectl_ctx *c, const char *method, const char *fmt, const char *seg1,
                          const char *seg2, const char *done)
{
    sl_buf path = SL_BUF_INIT;
    long status;
    int rc;
    if (sluicectl_pathf(&path, fmt, seg1, seg2) != SL_OK) {
        sl_buf_free(&path);
        return SLUICECTL_EXIT_ERROR;
    }
    rc = sluicectl_call(c, method, path.data, NULL, 0, 0, &status, NULL);
    if (rc == SLUICECTL_EXIT_OK && !c->json)
        printf("%s\n", done);
    sl_buf_free(&path);
    return rc;
}

int sluicectl_print_json(yyjson_doc *doc, yyjson_mut_doc *mdoc)
{
    size_t len;
    char *json =
        doc ? yyjson_write(doc, write_flags, &len) : yyjson_mut_write(mdoc, write_flags, &len);
    if (!json) {
        fprintf(stderr, "sluicectl: cannot print the answer as JSON\n");
        return SLUICECTL_EXIT_ERROR;
    }
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    free(json);
    return SLUICECTL_EXIT_OK;
}

int sluicectl_print_table(const sluicectl_table *t, const char *what)
{
    sl_buf out = SL_BUF_INIT;
    if (sluicectl_table_rows(t) == 0) {
        fprintf(stderr, "No %s found.\n", what);
        return SLUICECTL_EXIT_OK;
    }
    if (sluicectl_table_render(t, &out) != SL_OK) {
        sl_buf_free(&out);
        fprintf(stderr, "sluicectl: out of memory\n");
        return SLUICECTL_EXIT_ERROR;
    }
    fwrite(out.data, 1, out.len, stdout);
    sl_buf_free(&out);
    return SLUICECTL_EXIT_OK;
}

/* The URL of one page: path?limit=N&page_token=T. */
static int page_path(const sluicectl_ctx *c, sl_buf *b, const char *path, const char *token)
{
    char sep = strchr(path, '?') ? '&' : '?';
    sl_buf_reset(b);
    if (sl_buf_append_str(b, path) != SL_OK)
        return SL_ERR_NOMEM;
    if (c->page_size > 0) {
        if (sl_buf_printf(b, "%climit=%ld", sep, c->page_size) != SL_OK)
            return SL_ERR_NOMEM;
        sep = '&';
    }
    if (token &&
        sluicectl_pathf(b, sep == '?' ? "?page_token=%s" : "&page_token=%s", token) != SL_OK)
        return SL_ERR_NOMEM;
    return SL_OK;
}

int sluicectl_list(sluicectl_ctx *c, const char *path, const sluicectl_column *cols, size_t ncols,
                   const char *what)
{
    yyjson_mut_doc *all = NULL;
    yyjson_mut_val *items_out = NULL;
    sluicectl_table *t = NULL;
    yyjson_doc *doc = NULL;
    sl_buf url = SL_BUF_INIT;
    char *token = NULL;
    long status;
    int rc = SLUICECTL_EXIT_ERROR;

    if (c->json) {
        yyjson_mut_val *root;
        if (!(all = yyjson_mut_doc_new(NULL)) || !(root = yyjson_mut_obj(all)) ||
            !(items_out = yyjson_mut_arr(all)))
            goto nomem;
        yyjson_mut_doc_set_root(all, root);
        if (!yyjson_mut_obj_add_val(all, root, "items", items_out) ||
            !yyjson_mut_obj_add_null(all, root, "next_page_token"))
            goto nomem;
    } else if (!(t = sluicectl_table_create_columns(cols, ncols))) {
        goto nomem;
    }
    for (int page = 0;; page++) {
        yyjson_val *root, *items, *next, *item;
        size_t i, n;
        if (page == LIST_MAX_PAGES) {
            fprintf(stderr, "sluicectl: GET %s: more than %d pages; giving up\n", path, page);
            goto out;
        }
        if (page_path(c, &url, path, token) != SL_OK)
            goto nomem;
        if ((rc = sluicectl_call(c, "GET", url.data, NULL, 0, 0, &status, &doc)) != 0)
            goto out;
        rc = SLUICECTL_EXIT_ERROR;
        root = yyjson_doc_get_root(doc);
        items = yyjson_obj_get(root, "items");
        if (!yyjson_is_arr(items)) {
            fprintf(stderr, "sluicectl: the answer of GET %s has no \"items\" list\n", path);
            goto out;
        }
        if (c->json) {
            yyjson_arr_foreach(items, i, n, item)
            {
                yyjson_mut_val *copy = yyjson_val_mut_copy(all, item);
                if (!copy || !yyjson_mut_arr_append(items_out, copy))
                    goto nomem;
            }
        } else if (sluicectl_table_add_json_rows(t, cols, ncols, items, c->now) != SL_OK) {
            goto nomem;
        }
        next = yyjson_obj_get(root, "next_page_token");
        if (!yyjson_is_str(next) || yyjson_get_len(next) == 0)
            break; /* null: the last page */
        if (token && strcmp(token, yyjson_get_str(next)) == 0) {
            fprintf(stderr,
                    "sluicectl: GET %s: the controller sent the same next_page_token "
                    "twice; giving up\n",
                    path);
            goto out;
        }
        free(token);
        if (!(token = strdup(yyjson_get_str(next))))
            goto nomem;
        yyjson_doc_free(doc);
        doc = NULL;
    }
    rc = c->json ? sluicectl_print_json(NULL, all) : sluicectl_print_table(t, what);
    goto out;
nomem:
    fprintf(stderr, "sluicectl: out of memory\n");
    rc = SLUICECTL_EXIT_ERROR;
out:
    yyjson_doc_free(doc);
    yyjson_mut_doc_free(all);
    sluicectl_table_destroy(t);
    sl_buf_free(&url);
    free(token);
    return rc;
}

int sluicectl_read_file(const char *path, sl_buf *b)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char chunk[8192];
    size_t n;
    if (!f) {
        fprintf(stderr, "sluicectl: cannot read %s: %s\n", path, strerror(errno));
        return SLUICECTL_EXIT_ERROR;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (sl_buf_append(b, chunk, n) != SL_OK) {
            fprintf(stderr, "sluicectl: cannot read %s: out of memory\n", path);
            if (!is_stdin)
                fclose(f);
            return SLUICECTL_EXIT_ERROR;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "sluicectl: cannot read %s: %s\n", path, strerror(errno));
        if (!is_stdin)
            fclose(f);
        return SLUICECTL_EXIT_ERROR;
    }
    if (!is_stdin)
        fclose(f);
    if (sl_buf_append(b, "", 0) != SL_OK) /* NUL-terminated even when empty */
        return SLUICECTL_EXIT_ERROR;
    return SLUICECTL_EXIT_OK;
}

/* sluicectl_rest_pipelines — `sluicectl pipelines ...`: a tenant's pipelines
 * through the REST API (docs/api.md "Pipelines").
 *
 * `apply` PUTs the spec file to /v1/pipelines/{name}, the name taken from the
 * file's "name" (--name overrides it: the body's "name" is then rewritten,
 * because the controller wants the two equal). The controller answers 201
 * for a new pipeline and 200 both for an update (version + 1) and for an
 * unchanged spec (same version); to tell the last two apart apply first
 * GETs the pipeline's current version. A spec file that is not JSON is
 * reported here with its line and column, since its name cannot be found;
 * `validate` sends the file as it is and lets the controller judge it. */
#include <stdlib.h>
#include <string.h>

#include "sluicectl_rest.h"
#include "util/sl_error.h"

static const sluicectl_column pipeline_cols[] = {
    {"NAME", "name", SLUICECTL_COL_TEXT, NULL},
    {"VERSION", "version", SLUICECTL_COL_TEXT, NULL},
    {"DESIRED", "desired", SLUICECTL_COL_TEXT, NULL},
    {"STATE", "state", SLUICECTL_COL_TEXT, NULL},
    {"TASKS", "tasks_running", SLUICECTL_COL_RATIO, "tasks_total"},
    {"AGE", "created_at", SLUICECTL_COL_AGE, NULL},
    {"ERROR", "error", SLUICECTL_COL_TEXT, NULL},
};

static const sluicectl_column pipeline_task_cols[] = {
    {"PARTITION", "partition", SLUICECTL_COL_TEXT, NULL},
    {"WORKER", "worker", SLUICECTL_COL_TEXT, NULL},
    {"STATE", "state", SLUICECTL_COL_TEXT, NULL},
    {"COMMITTED", "committed_offset", SLUICECTL_COL_TEXT, NULL},
    {"LAG", "lag", SLUICECTL_COL_TEXT, NULL},
    {"IN", "messages_in", SLUICECTL_COL_TEXT, NULL},
    {"OUT", "messages_out", SLUICECTL_COL_TEXT, NULL},
    {"MSG/S", "messages_per_second", SLUICECTL_COL_RATE, NULL},
    {"ERRORS", "errors", SLUICECTL_COL_TEXT, NULL},
    {"LAST-ERROR", "last_error", SLUICECTL_COL_TEXT, NULL},
};

/* The "Key:  value" blocks are header-less two-column tables. */
static int kv_add(sluicectl_table *t, const char *key, yyjson_val *v)
{
    sl_buf cell = SL_BUF_INIT;
    const char *row[2];
    int rc = sluicectl_table_cell(&cell, v);
    row[0] = key;
    row[1] = cell.data;
    if (rc == SL_OK)
        rc = sluicectl_table_add_row(t, row);
    sl_buf_free(&cell);
    return rc;
}

/* Adds the rows of a resolved-topics object (docs/api.md "The detail"). */
static int kv_add_topics(sluicectl_table *t, yyjson_val *topics)
{
    if (kv_add(t, "Input:", yyjson_obj_get(topics, "input")) != SL_OK ||
        kv_add(t, "Outputs:", yyjson_obj_get(topics, "outputs")) != SL_OK ||
        kv_add(t, "Dead letter:", yyjson_obj_get(topics, "dead_letter")) != SL_OK ||
        kv_add(t, "Changelog:", yyjson_obj_get(topics, "changelog")) != SL_OK)
        return SL_ERR_NOMEM;
    return SL_OK;
}

/* Reads FILE, finds the pipeline's name (--name, else the file's "name")
 * and fills *body with what to PUT. Returns an exit status. */
static int apply_body(const char *file, const char *name_opt, sl_buf *body, const char **name,
                      yyjson_doc **spec)
{
    yyjson_read_err rerr;
    yyjson_val *root, *fname;
    yyjson_mut_doc *m = NULL;
    int rc;
    if ((rc = sluicectl_read_file(file, body)) != 0)
        return rc;
    *spec = yyjson_read_opts(body->data, body->len, 0, NULL, &rerr);
    if (!*spec) {
        size_t line = 0, col = 0, chr;
        yyjson_locate_pos(body->data, body->len, rerr.pos, &line, &col, &chr);
        fprintf(stderr, "sluicectl: %s: not valid JSON: %s at line %zu, column %zu\n", file,
                rerr.msg, line, col);
        return SLUICECTL_EXIT_ERROR;
    }
    root = yyjson_doc_get_root(*spec);
    if (!yyjson_is_obj(root)) {
        fprintf(stderr, "sluicectl: %s: a pipeline spec is a JSON object\n", file);
        return SLUICECTL_EXIT_ERROR;
    }
    fname = yyjson_obj_get(root, "name");
    *name = name_opt ? name_opt : yyjson_get_str(fname);
    if (!*name || !**name)
        return sluicectl_usage_error(
            "%s has no \"name\": give the pipeline's name with --name NAME", file);
    if (name_opt && !(yyjson_is_str(fname) && strcmp(yyjson_get_str(fname), name_opt) == 0)) {
        yyjson_mut_val *mroot;
        size_t len;
        char *json;
        if (!(m = yyjson_doc_mut_copy(*spec, NULL)) || !(mroot = yyjson_mut_doc_get_root(m)))
            goto nomem;
        yyjson_mut_obj_remove_key(mroot, "name");
        if (!yyjson_mut_obj_add_strcpy(m, mroot, "name", name_opt) ||
            !(json = yyjson_mut_write(m, 0, &len)))
            goto nomem;
        sl_buf_reset(body);
        rc = sl_buf_append(body, json, len);
        free(json);
        if (rc != SL_OK)
            goto nomem;
    }
    yyjson_mut_doc_free(m);
    return SLUICECTL_EXIT_OK;
nomem:
    yyjson_mut_doc_free(m);
    fprintf(stderr, "sluicectl: out of memory\n");
    return SLUICECTL_EXIT_ERROR;
}

int sluicectl_cmd_pipelines_apply(sluicectl_ctx *c, const sluicectl_args *a)
{
    const char *file = sluicectl_arg(a, "-f"), *name = NULL;
    sl_buf body = SL_BUF_INIT, path = SL_BUF_INIT;
    yyjson_doc *spec = NULL, *prev = NULL, *doc = NULL;
    int64_t prev_version = 0, version;
    long status;
    int rc;
    if (!file || !*file)
        return sluicectl_usage_error("usage: sluicectl pipelines apply -f FILE [--name NAME]");
    if ((rc = apply_body(file, sluicectl_arg(a, "--name"), &body, &name, &spec)) != 0)
        goto out;
    rc = SLUICECTL_EXIT_ERROR;
    if (sluicectl_pathf(&path, "/v1/pipelines/%s", name) != SL_OK)
        goto out;
    /* the version before, to tell "unchanged" from "configured" */
    if ((rc = sluicectl_call(c, "GET", path.data, NULL, 0, 404, &status, &prev)) != 0)
        goto out;
    if (status == 200)
        prev_version = yyjson_get_sint(yyjson_obj_get(yyjson_doc_get_root(prev), "version"));
    if ((rc = sluicectl_call(c, "PUT", path.data, body.data, body.len, 0, &status, &doc)) != 0)
        goto out;
    if (c->json) {
        rc = doc ? sluicectl_print_json(doc, NULL) : SLUICECTL_EXIT_OK;
        goto out;
    }
    version = yyjson_get_sint(yyjson_obj_get(yyjson_doc_get_root(doc), "version"));
    printf("pipeline/%s %s", name,
           status == 201                                 ? "created"
           : prev_version > 0 && version == prev_version ? "unchanged"
                                                         : "configured");
    if (version > 0)
        printf(" (version %lld)", (long long)version);
    printf("\n");
out:
    yyjson_doc_free(spec);
    yyjson_doc_free(prev);
    yyjson_doc_free(doc);
    sl_buf_free(&body);
    sl_buf_free(&path);
    return rc;
}

int sluicectl_cmd_pipelines_list(sluicectl_ctx *c, const sluicectl_args *a)
{
    return sluicectl_list(c, "/v1/pipelines", pipeline_cols, SLUICECTL_NCOLS(pipeline_cols),
                          "pipelines");
}

/* `pipelines get` for people: a "Key: value" block, then the tasks. */
static int print_detail(const sluicectl_ctx *c, yyjson_val *p)
{
    sluicectl_table *kv = sluicectl_table_create(2, NULL), *tasks = NULL;
    yyjson_val *list = yyjson_obj_get(p, "tasks");
    sl_buf ratio = SL_BUF_INIT;
    const char *row[2] = {"Tasks:", NULL};
    int rc = SL_ERR_NOMEM;
    int shown = SLUICECTL_EXIT_OK; /* sluicectl_print_table's exit status */
    if (!kv)
        goto out;
    if (sluicectl_table_cell(&ratio, yyjson_obj_get(p, "tasks_running")) != SL_OK ||
        sl_buf_append_str(&ratio, "/") != SL_OK ||
        sluicectl_table_cell(&ratio, yyjson_obj_get(p, "tasks_total")) != SL_OK ||
        sl_buf_append_str(&ratio, " running") != SL_OK)
        goto out;
    row[1] = ratio.data;
    if (kv_add(kv, "Name:", yyjson_obj_get(p, "name")) != SL_OK ||
        kv_add(kv, "Version:", yyjson_obj_get(p, "version")) != SL_OK ||
        kv_add(kv, "Desired:", yyjson_obj_get(p, "desired")) != SL_OK ||
        kv_add(kv, "State:", yyjson_obj_get(p, "state")) != SL_OK ||
        sluicectl_table_add_row(kv, row) != SL_OK ||
        kv_add(kv, "Error:", yyjson_obj_get(p, "error")) != SL_OK ||
        kv_add_topics(kv, yyjson_obj_get(p, "topics")) != SL_OK ||
        kv_add(kv, "State epoch:", yyjson_obj_get(p, "state_epoch")) != SL_OK ||
        kv_add(kv, "Created:", yyjson_obj_get(p, "created_at")) != SL_OK ||
        kv_add(kv, "Updated:", yyjson_obj_get(p, "updated_at")) != SL_OK)
        goto out;
    if (yyjson_arr_size(list) > 0) {
        if (!(tasks = sluicectl_table_create_columns(pipeline_task_cols,
                                                     SLUICECTL_NCOLS(pipeline_task_cols))) ||
            sluicectl_table_add_json_rows(tasks, pipeline_task_cols,
                                          SLUICECTL_NCOLS(pipeline_task_cols), list,
                                          c->now) != SL_OK)
            goto out;
    }
    rc = SL_OK;
    shown = sluicectl_print_table(kv, "pipeline");
    if (shown == SLUICECTL_EXIT_OK && tasks) {
        fputc('\n', stdout);
        shown = sluicectl_print_table(tasks, "tasks");
    }
out:
    sluicectl_table_destroy(kv);
    sluicectl_table_destroy(tasks);
    sl_buf_free(&ratio);
    if (rc != SL_OK) {
        fprintf(stderr, "sluicectl: out of memory\n");
        return SLUICECTL_EXIT_ERROR;
    }
    return shown;
}

int sluicectl_cmd_pipelines_get(sluicectl_ctx *c, const sluicectl_args *a)
{
    sl_buf path = SL_BUF_INIT;
    yyjson_doc *doc = NULL;
    long status;
    int rc = SLUICECTL_EXIT_ERROR;
    if (sluicectl_pathf(&path, "/v1/pipelines/%s", a->pos[0]) == SL_OK &&
        (rc = sluicectl_call(c, "GET", path.data, NULL, 0, 0, &status, &doc)) == 0)
        rc = c->json ? sluicectl_print_json(doc, NULL) : print_detail(c, yyjson_doc_get_root(doc));
    yyjson_doc_free(doc);
    sl_buf_free(&path);
    return rc;
}

int sluicectl_cmd_pipelines_delete(sluicectl_ctx *c, const sluicectl_args *a)
{
    int purge = sluicectl_arg(a, "--purge") != NULL;
    char done[512];
    snprintf(done, sizeof(done), "pipeline/%s deleted%s", a->pos[0],
             purge ? " (state purged)" : "");
    return sluicectl_simple_call(c, "DELETE",
                                 purge ? "/v1/pipelines/%s?purge=true" : "/v1/pipelines/%s",
                                 a->pos[0], NULL, done);
}

/* pause and resume: POST .../{verb}, answered with the summary. */
static int set_desired(sluicectl_ctx *c, const char *name, const char *verb, const char *done)
{
    sl_buf path = SL_BUF_INIT;
    yyjson_doc *doc = NULL;
    yyjson_val *root;
    long status;
    int rc = SLUICECTL_EXIT_ERROR;
    if (sluicectl_pathf(&path, "/v1/pipelines/%s/", name) != SL_OK ||
        sl_buf_append_str(&path, verb) != SL_OK)
        goto out;
    if ((rc = sluicectl_call(c, "POST", path.data, NULL, 0, 0, &status, &doc)) != 0)
        goto out;
    if (c->json) {
        rc = doc ? sluicectl_print_json(doc, NULL) : SLUICECTL_EXIT_OK;
        goto out;
    }
    root = yyjson_doc_get_root(doc);
    printf("pipeline/%s %s", name, done);
    if (yyjson_is_str(yyjson_obj_get(root, "state")))
        printf(" (state: %s)", yyjson_get_str(yyjson_obj_get(root, "state")));
    printf("\n");
out:
    yyjson_doc_free(doc);
    sl_buf_free(&path);
    return rc;
}

int sluicectl_cmd_pipelines_pause(sluicectl_ctx *c, const sluicectl_args *a)
{
    return set_desired(c, a->pos[0], "pause", "paused");
}

int sluicectl_cmd_pipelines_resume(sluicectl_ctx *c, const sluicectl_args *a)
{
    return set_desired(c, a->pos[0], "resume", "resumed");
}

int sluicectl_cmd_pipelines_validate(sluicectl_ctx *c, const sluicectl_args *a)
{
    const char *file = sluicectl_arg(a, "-f");
    sl_buf body = SL_BUF_INIT;
    yyjson_doc *doc = NULL;
    sluicectl_table *kv = NULL;
    yyjson_val *root;
    long status;
    int rc;
    if (!file || !*file)
        return sluicectl_usage_error("usage: sluicectl pipelines validate -f FILE");
    if ((rc = sluicectl_read_file(file, &body)) != 0)
        goto out;
    rc = sluicectl_call(c, "POST", "/v1/pipelines/validate", body.data, body.len, 0, &status, &doc);
    if (rc != SLUICECTL_EXIT_OK)
        goto out;
    if (c->json) {
        rc = doc ? sluicectl_print_json(doc, NULL) : SLUICECTL_EXIT_OK;
        goto out;
    }
    root = yyjson_doc_get_root(doc);
    printf("%s: valid", file);
    if (yyjson_is_str(yyjson_obj_get(yyjson_obj_get(root, "spec"), "name")))
        printf(" (pipeline %s)",
               yyjson_get_str(yyjson_obj_get(yyjson_obj_get(root, "spec"), "name")));
    printf("\n");
    if (yyjson_is_obj(yyjson_obj_get(root, "topics"))) {
        if (!(kv = sluicectl_table_create(2, NULL)) ||
            kv_add_topics(kv, yyjson_obj_get(root, "topics")) != SL_OK) {
            fprintf(stderr, "sluicectl: out of memory\n");
            rc = SLUICECTL_EXIT_ERROR;
        } else {
            rc = sluicectl_print_table(kv, "topics");
        }
    }
out:
    sluicectl_table_destroy(kv);
    yyjson_doc_free(doc);
    sl_buf_free(&body);
    return rc;
}

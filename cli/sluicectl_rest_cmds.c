/* sluicectl_rest_cmds — `sluicectl tenants|tokens|workers|tasks ...`: the
 * admin side of the REST API (docs/api.md "Tenants", "Tokens", "Workers and
 * tasks"). Each command is one request (a list: one per page), printed as a
 * table or, with -o json, as the controller's JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl_rest.h"
#include "util/sl_error.h"

static const sluicectl_column tenant_cols[] = {
    {"NAME", "name", SLUICECTL_COL_TEXT, NULL},
    {"PIPELINES", "pipelines", SLUICECTL_COL_TEXT, NULL},
    {"MAX-PIPELINES", "max_pipelines", SLUICECTL_COL_TEXT, NULL},
    {"TASKS", "tasks", SLUICECTL_COL_TEXT, NULL},
    {"MAX-TASKS", "max_tasks", SLUICECTL_COL_TEXT, NULL},
    {"AGE", "created_at", SLUICECTL_COL_AGE, NULL},
};

static const sluicectl_column token_cols[] = {
    {"ID", "id", SLUICECTL_COL_TEXT, NULL},
    {"TENANT", "tenant", SLUICECTL_COL_TEXT, NULL},
    {"DESCRIPTION", "description", SLUICECTL_COL_TEXT, NULL},
    {"AGE", "created_at", SLUICECTL_COL_AGE, NULL},
};

static const sluicectl_column worker_cols[] = {
    {"ID", "id", SLUICECTL_COL_TEXT, NULL},
    {"CAPACITY", "capacity", SLUICECTL_COL_TEXT, NULL},
    {"ASSIGNED", "tasks_assigned", SLUICECTL_COL_TEXT, NULL},
    {"RUNNING", "tasks_running", SLUICECTL_COL_TEXT, NULL},
    {"LAST-HEARTBEAT", "last_heartbeat_ms_ago", SLUICECTL_COL_MS, NULL},
    {"LEASE-EXPIRES-IN", "lease_expires_in_ms", SLUICECTL_COL_MS, NULL},
};

static const sluicectl_column task_cols[] = {
    {"TENANT", "tenant", SLUICECTL_COL_TEXT, NULL},
    {"PIPELINE", "pipeline", SLUICECTL_COL_TEXT, NULL},
    {"PARTITION", "partition", SLUICECTL_COL_TEXT, NULL},
    {"WORKER", "worker", SLUICECTL_COL_TEXT, NULL},
    {"STATE", "state", SLUICECTL_COL_TEXT, NULL},
    {"LAG", "lag", SLUICECTL_COL_TEXT, NULL},
    {"IN", "messages_in", SLUICECTL_COL_TEXT, NULL},
    {"OUT", "messages_out", SLUICECTL_COL_TEXT, NULL},
    {"ERRORS", "errors", SLUICECTL_COL_TEXT, NULL},
    {"LAST-ERROR", "last_error", SLUICECTL_COL_TEXT, NULL},
};

/* Parses a quota option: a whole number 0..UINT32_MAX. */
static int parse_quota(const char *opt, const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v > UINT32_MAX)
        return sluicectl_usage_error("%s takes a whole number 0..%" PRIu32 ", got '%s'", opt,
                                     UINT32_MAX, text);
    *out = v;
    return 0;
}

/* Prints a one-object answer as a one-row table (or its JSON). */
static int print_one(const sluicectl_ctx *c, yyjson_doc *doc, const sluicectl_column *cols,
                     size_t ncols, const char *what)
{
    sluicectl_table *t;
    int rc;
    if (c->json)
        return sluicectl_print_json(doc, NULL);
    if (!(t = sluicectl_table_create_columns(cols, ncols)) ||
        sluicectl_table_add_json_row(t, cols, ncols, yyjson_doc_get_root(doc), c->now) != SL_OK) {
        sluicectl_table_destroy(t);
        fprintf(stderr, "sluicectl: out of memory\n");
        return SLUICECTL_EXIT_ERROR;
    }
    rc = sluicectl_print_table(t, what);
    sluicectl_table_destroy(t);
    return rc;
}

int sluicectl_cmd_tenants_create(sluicectl_ctx *c, const sluicectl_args *a)
{
    const char *name = a->pos[0];
    const char *maxp = sluicectl_arg(a, "--max-pipelines"), *maxt = sluicectl_arg(a, "--max-tasks");
    uint64_t vp = 0, vt = 0;
    yyjson_mut_doc *body = NULL;
    yyjson_mut_val *root;
    yyjson_doc *doc = NULL;
    char *json = NULL;
    size_t len;
    long status;
    int rc;
    if ((maxp && (rc = parse_quota("--max-pipelines", maxp, &vp)) != 0) ||
        (maxt && (rc = parse_quota("--max-tasks", maxt, &vt)) != 0))
        return rc;
    rc = SLUICECTL_EXIT_ERROR;
    if (!(body = yyjson_mut_doc_new(NULL)) || !(root = yyjson_mut_obj(body)))
        goto out;
    yyjson_mut_doc_set_root(body, root);
    if (!yyjson_mut_obj_add_str(body, root, "name", name) ||
        (maxp && !yyjson_mut_obj_add_uint(body, root, "max_pipelines", vp)) ||
        (maxt && !yyjson_mut_obj_add_uint(body, root, "max_tasks", vt)) ||
        !(json = yyjson_mut_write(body, 0, &len)))
        goto out;
    rc = sluicectl_call(c, "POST", "/v1/tenants", json, len, 0, &status, &doc);
    if (rc != SLUICECTL_EXIT_OK)
        goto out;
    if (c->json)
        rc = sluicectl_print_json(doc, NULL);
    else
        printf("tenant/%s created\n", name);
out:
    free(json);
    yyjson_mut_doc_free(body);
    yyjson_doc_free(doc);
    return rc;
}

int sluicectl_cmd_tenants_list(sluicectl_ctx *c, const sluicectl_args *a)
{
    return sluicectl_list(c, "/v1/tenants", tenant_cols, SLUICECTL_NCOLS(tenant_cols), "tenants");
}

int sluicectl_cmd_tenants_get(sluicectl_ctx *c, const sluicectl_args *a)
{
    sl_buf path = SL_BUF_INIT;
    yyjson_doc *doc = NULL;
    long status;
    int rc = SLUICECTL_EXIT_ERROR;
    if (sluicectl_pathf(&path, "/v1/tenants/%s", a->pos[0]) == SL_OK &&
        (rc = sluicectl_call(c, "GET", path.data, NULL, 0, 0, &status, &doc)) == 0)
        rc = print_one(c, doc, tenant_cols, SLUICECTL_NCOLS(tenant_cols), "tenant");
    yyjson_doc_free(doc);
    sl_buf_free(&path);
    return rc;
}

int sluicectl_cmd_tenants_delete(sluicectl_ctx *c, const sluicectl_args *a)
{
    char done[128];
    snprintf(done, sizeof(done), "tenant/%s deleted", a->pos[0]);
    return sluicectl_simple_call(c, "DELETE", "/v1/tenants/%s", a->pos[0], NULL, done);
}

int sluicectl_cmd_tokens_create(sluicectl_ctx *c, const sluicectl_args *a)
{
    const char *desc = sluicectl_arg(a, "--description");
    yyjson_mut_doc *body = NULL;
    yyjson_mut_val *root;
    yyjson_doc *doc = NULL;
    yyjson_val *tok, *id;
    sl_buf path = SL_BUF_INIT;
    char *json = NULL;
    size_t len;
    long status;
    int rc = SLUICECTL_EXIT_ERROR;
    if (!(body = yyjson_mut_doc_new(NULL)) || !(root = yyjson_mut_obj(body)))
        goto out;
    yyjson_mut_doc_set_root(body, root);
    if ((desc && !yyjson_mut_obj_add_str(body, root, "description", desc)) ||
        !(json = yyjson_mut_write(body, 0, &len)) ||
        sluicectl_pathf(&path, "/v1/tenants/%s/tokens", a->pos[0]) != SL_OK)
        goto out;
    rc = sluicectl_call(c, "POST", path.data, json, len, 0, &status, &doc);
    if (rc != SLUICECTL_EXIT_OK)
        goto out;
    if (c->json) {
        rc = sluicectl_print_json(doc, NULL);
        goto out;
    }
    tok = yyjson_obj_get(yyjson_doc_get_root(doc), "token");
    id = yyjson_obj_get(yyjson_doc_get_root(doc), "id");
    if (!yyjson_is_str(tok)) {
        fprintf(stderr, "sluicectl: the controller's answer has no token\n");
        rc = SLUICECTL_EXIT_ERROR;
        goto out;
    }
    /* the token alone on stdout, so that TOKEN=$(sluicectl tokens create t) works */
    printf("%s\n", yyjson_get_str(tok));
    fprintf(stderr,
            "sluicectl: token %s created for tenant %s; it is shown only once: store it now\n",
            yyjson_is_str(id) ? yyjson_get_str(id) : "?", a->pos[0]);
out:
    free(json);
    yyjson_mut_doc_free(body);
    yyjson_doc_free(doc);
    sl_buf_free(&path);
    return rc;
}

int sluicectl_cmd_tokens_list(sluicectl_ctx *c, const sluicectl_args *a)
{
    sl_buf path = SL_BUF_INIT;
    int rc = SLUICECTL_EXIT_ERROR;
    if (sluicectl_pathf(&path, "/v1/tenants/%s/tokens", a->pos[0]) == SL_OK)
        rc = sluicectl_list(c, path.data, token_cols, SLUICECTL_NCOLS(token_cols), "tokens");
    sl_buf_free(&path);
    return rc;
}

int sluicectl_cmd_tokens_revoke(sluicectl_ctx *c, const sluicectl_args *a)
{
    char done[256];
    snprintf(done, sizeof(done), "token/%s of tenant %s revoked", a->pos[1], a->pos[0]);
    return sluicectl_simple_call(c, "DELETE", "/v1/tenants/%s/tokens/%s", a->pos[0], a->pos[1],
                                 done);
}

int sluicectl_cmd_workers_list(sluicectl_ctx *c, const sluicectl_args *a)
{
    return sluicectl_list(c, "/v1/workers", worker_cols, SLUICECTL_NCOLS(worker_cols), "workers");
}

int sluicectl_cmd_tasks_list(sluicectl_ctx *c, const sluicectl_args *a)
{
    return sluicectl_list(c, "/v1/tasks", task_cols, SLUICECTL_NCOLS(task_cols), "tasks");
}

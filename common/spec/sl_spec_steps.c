/* sl_spec_steps — validation of each step of a spec, one small reader per
 * op, chosen through a table indexed by sl_step_op (built from SL_STEP_OP_LIST).
 *
 * A step is an object {"op": NAME, ...fields}; each op declares its fields
 * (for unknown-field checks and suggestions) and a reader that fills the
 * sl_step. The stateful ops' readers live in sl_spec_windows.c. An op listed
 * in SL_STEP_OP_LIST as not available has no reader and is reported as such. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/sl_expr.h"
#include "spec/sl_spec_internal.h"

typedef void (*step_reader)(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s);

typedef struct op_info {
    const char *name;
    int available;
    const char *const *fields; /* NULL-terminated, "op" included */
    step_reader read;
} op_info;

static const char *const f_columns[] = {"op", "columns", NULL};
static const char *const f_where[] = {"op", "where", NULL};
static const char *const f_expr[] = {"op", "expr", NULL};
static const char *const f_to_topic[] = {"op", "topic", "key", "value_format", NULL};
static const char *const f_print[] = {"op", "metadata", NULL};

/* Reads {"name": "expr", ...} (assign) or {"old": "new", ...} (rename). */
/* Gives step s room for n columns (at most SPEC_MAX_COLUMNS, else an error
 * at where); SL_ERR_* when the caller must stop. */
static int alloc_columns(spec_ctx *ctx, sl_step *s, size_t n, const char *where)
{
    if (n > SPEC_MAX_COLUMNS) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "too many columns (%zu, at most %d)", n,
                  SPEC_MAX_COLUMNS);
        return SL_ERR_INVALID;
    }
    s->columns = calloc(n, sizeof(*s->columns));
    if (!s->columns) {
        ctx->nomem = 1;
        return SL_ERR_NOMEM;
    }
    s->ncolumns = n;
    return SL_OK;
}

static void read_column_map(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s,
                            int is_assign)
{
    char where[SPEC_WHERE_MAX], cwhere[SPEC_WHERE_MAX];
    yyjson_val *cols = yyjson_obj_get(v, "columns");
    spec_where(where, prefix, "columns");
    if (!cols) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "missing required field 'columns' (%s)",
                  is_assign ? "an object of column name: expression"
                            : "an object of old name: new name");
        return;
    }
    if (!yyjson_is_obj(cols) || yyjson_obj_size(cols) == 0) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected a non-empty object of %s, got %s",
                  is_assign ? "column name: expression" : "old name: new name",
                  yyjson_is_obj(cols) ? "an empty object" : spec_type_name(cols));
        return;
    }
    size_t n = yyjson_obj_size(cols);
    if (alloc_columns(ctx, s, n, where) != SL_OK)
        return;
    size_t i = 0, max;
    yyjson_val *k, *val;
    yyjson_obj_foreach(cols, i, max, k, val)
    {
        sl_column *c = &s->columns[i];
        const char *name = yyjson_get_str(k);
        spec_where(cwhere, where, name);
        if (yyjson_get_len(k) == 0 || strlen(name) != yyjson_get_len(k)) {
            spec_fail(ctx, SL_ERR_INVALID, -1, cwhere,
                      "column names must be non-empty strings without NUL characters");
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (s->columns[j].name && strcmp(s->columns[j].name, name) == 0)
                spec_fail(ctx, SL_ERR_INVALID, -1, cwhere, "column '%.64s' appears twice", name);
        }
        if (!yyjson_is_str(val) || yyjson_get_len(val) == 0) {
            spec_fail(ctx, SL_ERR_INVALID, -1, cwhere, "expected %s, got %s",
                      is_assign ? "an expression (a non-empty string)"
                                : "the new column name (a non-empty string)",
                      yyjson_is_str(val) ? "an empty string" : spec_type_name(val));
            continue;
        }
        c->name = spec_strdup(ctx, name, yyjson_get_len(k));
        if (is_assign) {
            c->src = spec_strdup(ctx, yyjson_get_str(val), yyjson_get_len(val));
            if (c->src)
                spec_compile(ctx, c->src, cwhere, &c->expr);
            continue;
        }
        c->new_name = spec_strdup(ctx, yyjson_get_str(val), yyjson_get_len(val));
        for (size_t j = 0; c->new_name && j < i; j++) {
            if (s->columns[j].new_name && strcmp(s->columns[j].new_name, c->new_name) == 0)
                spec_fail(ctx, SL_ERR_INVALID, -1, cwhere,
                          "two columns are renamed to '%.64s'", c->new_name);
        }
    }
}

static void read_assign(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    read_column_map(ctx, v, prefix, s, 1);
}

static void read_rename(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    read_column_map(ctx, v, prefix, s, 0);
}

/* Reads {"columns": ["a", "b"]} (select, drop). */
static void read_column_list(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    char where[SPEC_WHERE_MAX], cwhere[SPEC_WHERE_MAX + 16];
    yyjson_val *cols = yyjson_obj_get(v, "columns");
    spec_where(where, prefix, "columns");
    if (!cols) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "missing required field 'columns' (an array of column names)");
        return;
    }
    if (!yyjson_is_arr(cols) || yyjson_arr_size(cols) == 0) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "expected a non-empty array of column names, got %s",
                  yyjson_is_arr(cols) ? "an empty array" : spec_type_name(cols));
        return;
    }
    size_t n = yyjson_arr_size(cols);
    if (alloc_columns(ctx, s, n, where) != SL_OK)
        return;
    size_t i, max;
    yyjson_val *c;
    yyjson_arr_foreach(cols, i, max, c)
    {
        snprintf(cwhere, sizeof(cwhere), "%.100s[%zu]", where, i);
        if (!yyjson_is_str(c) || yyjson_get_len(c) == 0 ||
            strlen(yyjson_get_str(c)) != yyjson_get_len(c)) {
            spec_fail(ctx, SL_ERR_INVALID, -1, cwhere, "expected a column name, got %s",
                      yyjson_is_str(c) ? "an empty string" : spec_type_name(c));
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (s->columns[j].name && strcmp(s->columns[j].name, yyjson_get_str(c)) == 0)
                spec_fail(ctx, SL_ERR_INVALID, -1, cwhere, "column '%.64s' appears twice",
                          yyjson_get_str(c));
        }
        s->columns[i].name = spec_strdup(ctx, yyjson_get_str(c), yyjson_get_len(c));
    }
}

static void read_expr_field(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s,
                            const char *field, int required)
{
    char where[SPEC_WHERE_MAX];
    spec_where(where, prefix, field);
    if (spec_get_string(ctx, v, prefix, field, required, &s->src))
        spec_compile(ctx, s->src, where, &s->expr);
}

static void read_where(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    read_expr_field(ctx, v, prefix, s, "where", 1);
}

static void read_expr(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    read_expr_field(ctx, v, prefix, s, "expr", 1);
}

static void read_to_topic(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    char where[SPEC_WHERE_MAX];
    int f;
    spec_where(where, prefix, "topic");
    if (spec_get_string(ctx, v, prefix, "topic", 1, &s->topic))
        spec_check_topic(ctx, s->topic, where);
    read_expr_field(ctx, v, prefix, s, "key", 0);
    if (spec_get_enum(ctx, v, prefix, "value_format", spec_format_names, (int)s->value_format,
                      &f))
        s->value_format = (sl_format)f;
}

static void read_print(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    char where[SPEC_WHERE_MAX];
    yyjson_val *m = yyjson_obj_get(v, "metadata");
    if (!m)
        return;
    if (!yyjson_is_bool(m)) {
        spec_where(where, prefix, "metadata");
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected true or false, got %s",
                  spec_type_name(m));
        return;
    }
    s->metadata = yyjson_get_bool(m);
}

static const op_info op_table[SL_STEP__COUNT] = {
    [SL_STEP_ASSIGN] = {"assign", 1, f_columns, read_assign},
    [SL_STEP_FILTER] = {"filter", 1, f_where, read_where},
    [SL_STEP_SELECT] = {"select", 1, f_columns, read_column_list},
    [SL_STEP_DROP] = {"drop", 1, f_columns, read_column_list},
    [SL_STEP_RENAME] = {"rename", 1, f_columns, read_rename},
    [SL_STEP_APPLY] = {"apply", 1, f_expr, read_expr},
    [SL_STEP_EXPAND] = {"expand", 1, f_expr, read_expr},
    [SL_STEP_SET_KEY] = {"set_key", 1, f_expr, read_expr},
    [SL_STEP_SET_TIMESTAMP] = {"set_timestamp", 1, f_expr, read_expr},
    [SL_STEP_TO_TOPIC] = {"to_topic", 1, f_to_topic, read_to_topic},
    [SL_STEP_PRINT] = {"print", 1, f_print, read_print},
    [SL_STEP_TUMBLING_WINDOW] = {"tumbling_window", 1, spec_f_tumbling, spec_read_window},
    [SL_STEP_HOPPING_WINDOW] = {"hopping_window", 1, spec_f_hopping, spec_read_window},
    [SL_STEP_SLIDING_WINDOW] = {"sliding_window", 1, spec_f_sliding, spec_read_window},
    [SL_STEP_TUMBLING_COUNT_WINDOW] = {"tumbling_count_window", 1, spec_f_tumbling_count,
                                       spec_read_window},
    [SL_STEP_HOPPING_COUNT_WINDOW] = {"hopping_count_window", 1, spec_f_hopping_count,
                                      spec_read_window},
    [SL_STEP_AGGREGATE] = {"aggregate", 1, spec_f_aggregate, spec_read_aggregate},
};

/* Names of the ops this build runs, for suggestions (NULL-terminated). */
static const char *const available_ops[] = {
#define SL_STEP_OP_AVAIL_NAME(id, name, avail) avail ? name : NULL,
    SL_STEP_OP_LIST(SL_STEP_OP_AVAIL_NAME)
#undef SL_STEP_OP_AVAIL_NAME
        NULL};

static const char *const all_ops[] = {
#define SL_STEP_OP_NAME(id, name, avail) name,
    SL_STEP_OP_LIST(SL_STEP_OP_NAME)
#undef SL_STEP_OP_NAME
        NULL};

static const int op_available[] = {
#define SL_STEP_OP_AVAIL(id, name, avail) avail,
    SL_STEP_OP_LIST(SL_STEP_OP_AVAIL)
#undef SL_STEP_OP_AVAIL
};

int sl_step_is_stateful(sl_step_op op)
{
    switch (op) {
    case SL_STEP_TUMBLING_WINDOW:
    case SL_STEP_HOPPING_WINDOW:
    case SL_STEP_SLIDING_WINDOW:
    case SL_STEP_TUMBLING_COUNT_WINDOW:
    case SL_STEP_HOPPING_COUNT_WINDOW:
    case SL_STEP_AGGREGATE:
        return 1;
    default:
        return 0;
    }
}

int sl_plan_is_stateful(const sl_plan *plan)
{
    for (size_t i = 0; i < plan->nsteps; i++)
        if (sl_step_is_stateful(plan->steps[i].op))
            return 1;
    return 0;
}

const char *sl_step_op_name(sl_step_op op)
{
    return (unsigned)op < SL_STEP__COUNT ? all_ops[op] : "?";
}

/* The available op names compacted (the X-macro leaves NULL holes). */
static void available_list(const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < SL_STEP__COUNT; i++)
        if (available_ops[i])
            out[n++] = available_ops[i];
    out[n] = NULL;
}

/* "assign, filter, ... or print" from the available ops. */
static void available_text(const char *const *names, char *out, size_t size)
{
    size_t used = 0, n = 0;
    while (names[n])
        n++;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 i == 0 ? "" : (i + 1 == n ? " or " : ", "), names[i]);
}

static int lookup_op(spec_ctx *ctx, yyjson_val *opv, const char *where, sl_step_op *out)
{
    const char *names[SL_STEP__COUNT + 1];
    char list[512];
    available_list(names);
    available_text(names, list, sizeof(list));
    if (!opv) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "missing required field 'op' (%s)", list);
        return 0;
    }
    if (!yyjson_is_str(opv)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected the op name (a string), got %s",
                  spec_type_name(opv));
        return 0;
    }
    const char *name = yyjson_get_str(opv);
    for (int i = 0; i < SL_STEP__COUNT; i++) {
        if (strcmp(all_ops[i], name) != 0)
            continue;
        if (!op_available[i]) {
            spec_fail(ctx, SL_ERR_UNSUPPORTED, -1, where,
                      "op '%s' is not available yet: stateful steps (windows, aggregate) "
                      "need the state store",
                      name);
            return 0;
        }
        *out = (sl_step_op)i;
        return 1;
    }
    const char *near = sl_spec_suggest(name, names);
    if (near)
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "unknown op '%.64s'; did you mean '%s'?", name,
                  near);
    else
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "unknown op '%.64s'; expected %s", name, list);
    return 0;
}

void spec_step_parse(spec_ctx *ctx, yyjson_val *v, size_t index, sl_format dflt_format,
                     sl_step *s)
{
    char prefix[SPEC_WHERE_MAX], where[SPEC_WHERE_MAX];
    memset(s, 0, sizeof(*s));
    s->index = index;
    s->value_format = dflt_format;
    snprintf(prefix, sizeof(prefix), "steps[%zu]", index);
    if (!yyjson_is_obj(v)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, prefix,
                  "expected a step (an object with 'op'), got %s", spec_type_name(v));
        return;
    }
    spec_where(where, prefix, "op");
    if (!lookup_op(ctx, yyjson_obj_get(v, "op"), where, &s->op))
        return;
    const op_info *info = &op_table[s->op];
    spec_check_fields(ctx, v, prefix, info->fields);
    info->read(ctx, v, prefix, s);
}

void spec_step_clear(sl_step *s)
{
    for (size_t i = 0; i < s->ncolumns; i++) {
        free(s->columns[i].name);
        free(s->columns[i].new_name);
        free(s->columns[i].src);
        sl_expr_free(s->columns[i].expr);
    }
    free(s->columns);
    free(s->src);
    sl_expr_free(s->expr);
    free(s->topic);
    for (size_t i = 0; i < s->naggs; i++) {
        free(s->aggs[i].name);
        free(s->aggs[i].src);
        sl_expr_free(s->aggs[i].expr);
    }
    free(s->aggs);
    memset(s, 0, sizeof(*s));
}

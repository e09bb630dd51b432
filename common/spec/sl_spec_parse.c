/* sl_spec_parse — the spec's top level: JSON text → sl_plan.
 *
 * Reads the document with yyjson, checks the top-level and input fields,
 * hands each step to sl_spec_steps.c, and collects every independent error
 * (not only the first) into the caller's array, each with its place. A plan is
 * returned only when there were no errors; a half-built plan is freed through
 * the same sl_plan_free that frees a good one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/sl_expr.h"
#include "spec/sl_spec_internal.h"

const char *const spec_format_names[] = {"string", "json", "bytes", NULL};
static const char *const guarantee_names[] = {"at-least-once", "exactly-once", NULL};
static const char *const on_error_names[] = {"dead_letter", "skip", "fail", NULL};
static const char *const top_fields[] = {"name",     "input",    "steps", "guarantee",
                                         "on_error", "dead_letter_topic", NULL};
static const char *const input_fields[] = {"topic", "key_format", "value_format", "timestamp",
                                           NULL};

#define NAME_MAX_LEN 63

void spec_fail(spec_ctx *ctx, int code, int pos, const char *where, const char *fmt, ...)
{
    if (ctx->n < ctx->max) {
        sl_error *e = &ctx->errs[ctx->n];
        va_list ap;
        e->code = code;
        e->pos = pos;
        snprintf(e->where, sizeof(e->where), "%s", where);
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    ctx->n++;
}

static int is_ident(const char *s)
{
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return 0;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

void spec_where(char *out, const char *prefix, const char *field)
{
    if (!prefix[0])
        snprintf(out, SPEC_WHERE_MAX, "%s", field);
    else if (is_ident(field))
        snprintf(out, SPEC_WHERE_MAX, "%s.%s", prefix, field);
    else
        snprintf(out, SPEC_WHERE_MAX, "%s[\"%.60s\"]", prefix, field);
}

const char *spec_type_name(yyjson_val *v)
{
    switch (yyjson_get_type(v)) {
    case YYJSON_TYPE_NULL:
        return "null";
    case YYJSON_TYPE_BOOL:
        return "a boolean";
    case YYJSON_TYPE_NUM:
        return "a number";
    case YYJSON_TYPE_STR:
        return "a string";
    case YYJSON_TYPE_ARR:
        return "an array";
    case YYJSON_TYPE_OBJ:
        return "an object";
    default:
        return "nothing";
    }
}

static void list_names(char *out, size_t size, const char *const *names)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s'%s'", i ? ", " : "", names[i]);
}

int spec_check_fields(spec_ctx *ctx, yyjson_val *obj, const char *prefix,
                      const char *const *known)
{
    int unknown = 0;
    unsigned long long seen = 0; /* known fields are few (< 64) */
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *k;
    char where[SPEC_WHERE_MAX], list[256];
    while ((k = yyjson_obj_iter_next(&it))) {
        const char *name = yyjson_get_str(k);
        size_t i;
        for (i = 0; known[i]; i++)
            if (strcmp(known[i], name) == 0)
                break;
        spec_where(where, prefix, name);
        if (known[i]) {
            if (seen & (1ULL << i))
                spec_fail(ctx, SL_ERR_INVALID, -1, where, "field '%s' appears twice", name);
            seen |= 1ULL << i;
            continue;
        }
        unknown++;
        const char *near = sl_spec_suggest(name, known);
        if (near) {
            spec_fail(ctx, SL_ERR_INVALID, -1, where, "unknown field '%.64s'; did you mean '%s'?",
                      name, near);
        } else {
            list_names(list, sizeof(list), known);
            spec_fail(ctx, SL_ERR_INVALID, -1, where, "unknown field '%.64s'; expected one of %s",
                      name, list);
        }
    }
    return unknown;
}

char *spec_strdup(spec_ctx *ctx, const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p) {
        ctx->nomem = 1;
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

int spec_get_string(spec_ctx *ctx, yyjson_val *obj, const char *prefix, const char *key,
                    int required, char **out)
{
    char where[SPEC_WHERE_MAX];
    yyjson_val *v = yyjson_obj_get(obj, key);
    spec_where(where, prefix, key);
    if (!v) {
        if (required)
            spec_fail(ctx, SL_ERR_INVALID, -1, where, "missing required field '%s'", key);
        return 0;
    }
    if (!yyjson_is_str(v)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected a string, got %s",
                  spec_type_name(v));
        return 0;
    }
    if (yyjson_get_len(v) == 0 || strlen(yyjson_get_str(v)) != yyjson_get_len(v)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected a non-empty string%s",
                  yyjson_get_len(v) ? " without NUL characters" : "");
        return 0;
    }
    *out = spec_strdup(ctx, yyjson_get_str(v), yyjson_get_len(v));
    return *out != NULL;
}

int spec_compile(spec_ctx *ctx, const char *src, const char *where, sl_expr **out)
{
    sl_error e;
    sl_error_clear(&e);
    *out = sl_expr_compile(src, &e);
    if (*out)
        return 1;
    if (e.code == SL_ERR_NOMEM) {
        ctx->nomem = 1;
        return 0;
    }
    spec_fail(ctx, e.code ? e.code : SL_ERR_SYNTAX, e.pos, where, "%s",
              e.msg[0] ? e.msg : "invalid expression");
    return 0;
}

int spec_get_enum(spec_ctx *ctx, yyjson_val *obj, const char *prefix, const char *key,
                  const char *const *names, int dflt, int *out)
{
    char where[SPEC_WHERE_MAX], list[256];
    yyjson_val *v = yyjson_obj_get(obj, key);
    *out = dflt;
    if (!v)
        return 1;
    spec_where(where, prefix, key);
    list_names(list, sizeof(list), names);
    if (!yyjson_is_str(v)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected one of %s, got %s", list,
                  spec_type_name(v));
        return 0;
    }
    const char *s = yyjson_get_str(v);
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return 1;
        }
    }
    const char *near = sl_spec_suggest(s, names);
    if (near)
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "unknown value '%.64s'; did you mean '%s'?", s,
                  near);
    else
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "unknown value '%.64s'; expected one of %s", s,
                  list);
    return 0;
}

int spec_check_topic(spec_ctx *ctx, const char *topic, const char *where)
{
    size_t len = strlen(topic);
    int ok = len >= 1 && len <= 249 && strcmp(topic, ".") != 0 && strcmp(topic, "..") != 0;
    for (size_t i = 0; ok && i < len; i++) {
        char c = topic[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "invalid topic name '%.64s'; expected 1-249 characters of a-z, A-Z, 0-9, "
                  "'.', '_' and '-'",
                  topic);
    return ok;
}

static void check_name(spec_ctx *ctx, const char *name)
{
    size_t len = strlen(name);
    int ok = len >= 1 && len <= NAME_MAX_LEN && name[0] != '-';
    for (size_t i = 0; ok && i < len; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
             name[i] == '-';
    if (!ok)
        spec_fail(ctx, SL_ERR_INVALID, -1, "name",
                  "invalid pipeline name '%.64s'; expected 1-63 characters of lowercase "
                  "letters, digits and '-', not starting with '-'",
                  name);
}

static void parse_input(spec_ctx *ctx, yyjson_val *in, sl_plan *plan)
{
    int f;
    if (!in) {
        spec_fail(ctx, SL_ERR_INVALID, -1, "input",
                  "missing required field 'input' (an object with 'topic')");
        return;
    }
    if (!yyjson_is_obj(in)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, "input", "expected an object, got %s",
                  spec_type_name(in));
        return;
    }
    spec_check_fields(ctx, in, "input", input_fields);
    if (spec_get_string(ctx, in, "input", "topic", 1, &plan->input.topic))
        spec_check_topic(ctx, plan->input.topic, "input.topic");
    if (spec_get_enum(ctx, in, "input", "key_format", spec_format_names, SL_FORMAT_STRING, &f))
        plan->input.key_format = (sl_format)f;
    if (spec_get_enum(ctx, in, "input", "value_format", spec_format_names, SL_FORMAT_JSON, &f))
        plan->input.value_format = (sl_format)f;
    if (spec_get_string(ctx, in, "input", "timestamp", 0, &plan->input.timestamp_src))
        spec_compile(ctx, plan->input.timestamp_src, "input.timestamp", &plan->input.timestamp);
}

static void parse_steps(spec_ctx *ctx, yyjson_val *steps, sl_plan *plan)
{
    if (!steps) {
        spec_fail(ctx, SL_ERR_INVALID, -1, "steps",
                  "missing required field 'steps' (an array of steps, may be empty)");
        return;
    }
    if (!yyjson_is_arr(steps)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, "steps", "expected an array of steps, got %s",
                  spec_type_name(steps));
        return;
    }
    size_t n = yyjson_arr_size(steps);
    if (n == 0)
        return;
    plan->steps = calloc(n, sizeof(*plan->steps));
    if (!plan->steps) {
        ctx->nomem = 1;
        return;
    }
    plan->nsteps = n;
    size_t idx, max;
    yyjson_val *v;
    yyjson_arr_foreach(steps, idx, max, v)
    {
        spec_step_parse(ctx, v, idx, plan->input.value_format, &plan->steps[idx]);
    }
}

static void parse_top(spec_ctx *ctx, yyjson_val *root, sl_plan *plan)
{
    int e;
    if (!yyjson_is_obj(root)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, "", "a pipeline spec must be a JSON object, got %s",
                  spec_type_name(root));
        return;
    }
    spec_check_fields(ctx, root, "", top_fields);
    if (spec_get_string(ctx, root, "", "name", 1, &plan->name))
        check_name(ctx, plan->name);
    parse_input(ctx, yyjson_obj_get(root, "input"), plan);
    parse_steps(ctx, yyjson_obj_get(root, "steps"), plan);
    if (spec_get_enum(ctx, root, "", "guarantee", guarantee_names, 0, &e))
        plan->guarantee = (sl_guarantee)e;
    if (spec_get_enum(ctx, root, "", "on_error", on_error_names, 0, &e))
        plan->on_error = (sl_on_error)e;
    if (spec_get_string(ctx, root, "", "dead_letter_topic", 0, &plan->dead_letter_topic)) {
        spec_check_topic(ctx, plan->dead_letter_topic, "dead_letter_topic");
    } else if (plan->name && !yyjson_obj_get(root, "dead_letter_topic")) {
        size_t len = strlen(plan->name);
        plan->dead_letter_topic = malloc(len + 5);
        if (!plan->dead_letter_topic)
            ctx->nomem = 1;
        else
            snprintf(plan->dead_letter_topic, len + 5, "%s.dlq", plan->name);
    }
}

/* Turns a byte offset of the document into line and column (1-based). */
static void json_line_col(const char *json, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (json[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

sl_plan *sl_plan_parse_all(const char *json, size_t len, sl_error *errs, size_t max,
                           size_t *nerrs)
{
    spec_ctx ctx = {errs, max, 0, 0};
    yyjson_read_err rerr;
    sl_plan *plan = NULL;
    yyjson_doc *doc = NULL;

    *nerrs = 0;
    if (!json) {
        spec_fail(&ctx, SL_ERR_INVALID, -1, "", "no spec given");
        goto fail;
    }
    doc = yyjson_read_opts((char *)json, len, 0, NULL, &rerr);
    if (!doc) {
        int line, col;
        if (rerr.code == YYJSON_READ_ERROR_MEMORY_ALLOCATION) {
            ctx.nomem = 1;
            goto fail;
        }
        json_line_col(json, len, rerr.pos, &line, &col);
        spec_fail(&ctx, SL_ERR_INVALID, -1, "", "invalid JSON at line %d, column %d: %s", line,
                  col, rerr.msg);
        goto fail;
    }
    plan = calloc(1, sizeof(*plan));
    if (!plan) {
        ctx.nomem = 1;
        goto fail;
    }
    parse_top(&ctx, yyjson_doc_get_root(doc), plan);
    if (ctx.n > 0 || ctx.nomem)
        goto fail;
    yyjson_doc_free(doc);
    return plan;

fail:
    if (ctx.nomem) {
        /* out of memory trumps validation: report it first */
        ctx.n = 0;
        spec_fail(&ctx, SL_ERR_NOMEM, -1, "", "out of memory while parsing the spec");
    }
    *nerrs = ctx.n < max ? ctx.n : max;
    yyjson_doc_free(doc);
    sl_plan_free(plan);
    return NULL;
}

sl_plan *sl_plan_parse(const char *json, size_t len, sl_error *err)
{
    sl_error first;
    size_t n = 0;
    sl_error_clear(&first);
    sl_plan *plan = sl_plan_parse_all(json, len, &first, 1, &n);
    if (err)
        *err = first;
    return plan;
}

void sl_plan_free(sl_plan *plan)
{
    if (!plan)
        return;
    free(plan->name);
    free(plan->input.topic);
    free(plan->input.timestamp_src);
    sl_expr_free(plan->input.timestamp);
    for (size_t i = 0; i < plan->nsteps; i++)
        spec_step_clear(&plan->steps[i]);
    free(plan->steps);
    free(plan->dead_letter_topic);
    free(plan);
}

const char *sl_format_name(sl_format f)
{
    return (unsigned)f < 3 ? spec_format_names[f] : "?";
}

const char *sl_on_error_name(sl_on_error e)
{
    return (unsigned)e < 3 ? on_error_names[e] : "?";
}

const char *sl_guarantee_name(sl_guarantee g)
{
    return (unsigned)g < 2 ? guarantee_names[g] : "?";
}

/* sl_spec_windows — validation of the stateful steps: the time windows
 * (tumbling_window, hopping_window, sliding_window), the count windows
 * (tumbling_count_window, hopping_count_window) and the running aggregate.
 *
 * Durations are integer milliseconds or "250ms" "30s" "5m" "1h" "1d"
 * (sl_duration.h). An aggregate is an object {output name: "fn(expr)"}; the
 * function name and parentheses are read here, the inner text is compiled
 * with sl_expr_compile_n, and an error inside it is reported at
 * steps[N].aggregate.<name> with its position in the WHOLE string (the inner
 * expression's position plus its offset), so that the caret points at the
 * same character the user sees. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/sl_expr.h"
#include "spec/sl_spec_internal.h"
#include "util/sl_duration.h"

#define SPEC_MAX_AGGS 256
/* one window result holds at most this many messages' worth of windows */
#define SPEC_MAX_WINDOWS_PER_MESSAGE 1000

const char *const spec_f_tumbling[] = {"op", "size", "grace", "aggregate", "emit", "closing",
                                       NULL};
const char *const spec_f_hopping[] = {"op",        "size", "step",    "grace",
                                      "aggregate", "emit", "closing", NULL};
const char *const spec_f_sliding[] = {"op", "size", "grace", "aggregate", "emit", "closing",
                                      NULL};
const char *const spec_f_tumbling_count[] = {"op", "count", "aggregate", "emit", NULL};
const char *const spec_f_hopping_count[] = {"op", "count", "step", "aggregate", "emit", NULL};
const char *const spec_f_aggregate[] = {"op", "aggregate", NULL};

static const char *const emit_names[] = {"final", "current", NULL};
static const char *const closing_names[] = {"key", "partition", NULL};
static const char *const agg_names[] = {
#define SL_AGG_KIND_NAME(id, name) name,
    SL_AGG_KIND_LIST(SL_AGG_KIND_NAME)
#undef SL_AGG_KIND_NAME
        NULL};
/* function names without the duplicate "count", for suggestions */
static const char *const agg_fn_names[] = {"count", "sum",  "mean",    "min", "max",
                                           "first", "last", "collect", NULL};

const char *sl_agg_kind_name(sl_agg_kind k)
{
    return (unsigned)k < SL_AGG__COUNT ? agg_names[k] : "?";
}

const char *sl_emit_mode_name(sl_emit_mode e)
{
    return (unsigned)e < 2 ? emit_names[e] : "?";
}

const char *sl_closing_name(sl_closing c)
{
    return (unsigned)c < 2 ? closing_names[c] : "?";
}

/* Reads obj[key] as a duration (integer ms >= 0 or a duration string) into
 * *out. Missing: reported when required, else *out = dflt. 1 when set. */
static int get_duration(spec_ctx *ctx, yyjson_val *obj, const char *prefix, const char *key,
                        int required, int64_t dflt, int64_t *out)
{
    char where[SPEC_WHERE_MAX];
    yyjson_val *v = yyjson_obj_get(obj, key);
    spec_where(where, prefix, key);
    *out = dflt;
    if (!v) {
        if (required)
            spec_fail(ctx, SL_ERR_INVALID, -1, where,
                      "missing required field '%s' (a duration: \"30s\", \"5m\", or "
                      "milliseconds)",
                      key);
        return !required;
    }
    if (yyjson_is_int(v)) {
        if (yyjson_is_sint(v) && yyjson_get_sint(v) < 0) {
            spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected a duration >= 0, got %lld",
                      (long long)yyjson_get_sint(v));
            return 0;
        }
        if (yyjson_is_uint(v) && yyjson_get_uint(v) > (uint64_t)INT64_MAX / 4) {
            spec_fail(ctx, SL_ERR_INVALID, -1, where, "duration out of range");
            return 0;
        }
        *out = yyjson_get_sint(v);
        return 1;
    }
    if (!yyjson_is_str(v)) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "expected a duration (\"30s\", \"5m\", or integer milliseconds), got %s",
                  spec_type_name(v));
        return 0;
    }
    sl_error e;
    sl_error_clear(&e);
    if (sl_duration_parse(yyjson_get_str(v), out, &e) != SL_OK) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "%s", e.msg);
        return 0;
    }
    if (*out > INT64_MAX / 4) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "duration out of range");
        return 0;
    }
    return 1;
}

/* Reads obj[key] as a positive integer. 1 when set. */
static int get_positive(spec_ctx *ctx, yyjson_val *obj, const char *prefix, const char *key,
                        const char *what, int64_t *out)
{
    char where[SPEC_WHERE_MAX];
    yyjson_val *v = yyjson_obj_get(obj, key);
    spec_where(where, prefix, key);
    if (!v) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "missing required field '%s' (%s)", key, what);
        return 0;
    }
    if (!yyjson_is_int(v) || (yyjson_is_sint(v) && yyjson_get_sint(v) <= 0) ||
        (yyjson_is_uint(v) && (yyjson_get_uint(v) == 0 || yyjson_get_uint(v) > 1000000000))) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "expected %s (an integer 1..1000000000), got %s",
                  what, yyjson_is_int(v) ? "a number out of range" : spec_type_name(v));
        return 0;
    }
    *out = yyjson_get_sint(v);
    if (*out > 1000000000) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "expected %s (an integer 1..1000000000), got a number out of range", what);
        return 0;
    }
    return 1;
}

/* Splits "fn(inner)" (surrounding blanks allowed): *fn_len, *inner_off,
 * *inner_len. Returns 0 with *bad_pos at the offending character when the
 * text does not have that shape. */
static int split_call(const char *s, size_t len, size_t *fn_off, size_t *fn_len,
                      size_t *inner_off, size_t *inner_len, size_t *bad_pos)
{
    size_t i = 0, end = len;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    *fn_off = i;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
        i++;
    *fn_len = i - *fn_off;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (*fn_len == 0 || i >= len || s[i] != '(') {
        *bad_pos = *fn_len == 0 ? *fn_off : i;
        return 0;
    }
    while (end > i && isspace((unsigned char)s[end - 1]))
        end--;
    if (end <= i + 1 || s[end - 1] != ')') {
        *bad_pos = end > 0 ? end - 1 : 0;
        return 0;
    }
    *inner_off = i + 1;
    *inner_len = end - 1 - (i + 1);
    return 1;
}

/* Parses one aggregate "fn(expr)" into a; where names the output. */
static void read_agg(spec_ctx *ctx, const char *src, size_t len, const char *where, sl_agg *a)
{
    size_t fn_off, fn_len, in_off, in_len, bad;
    char fn[32];
    if (!split_call(src, len, &fn_off, &fn_len, &in_off, &in_len, &bad)) {
        spec_fail(ctx, SL_ERR_SYNTAX, (int)bad, where,
                  "expected an aggregation such as \"mean(speed)\" or \"count()\": a function "
                  "(count, sum, mean, min, max, first, last, collect) and its argument in "
                  "parentheses");
        return;
    }
    snprintf(fn, sizeof(fn), "%.*s", (int)(fn_len < 31 ? fn_len : 31), src + fn_off);
    int kind = -1;
    for (int k = 0; k < SL_AGG__COUNT; k++)
        if (fn_len < sizeof(fn) && strcmp(fn, agg_names[k]) == 0) {
            kind = k;
            break;
        }
    if (kind < 0) {
        const char *near = sl_spec_suggest(fn, agg_fn_names);
        if (near)
            spec_fail(ctx, SL_ERR_INVALID, (int)fn_off, where,
                      "unknown aggregation '%s'; did you mean '%s'?", fn, near);
        else
            spec_fail(ctx, SL_ERR_INVALID, (int)fn_off, where,
                      "unknown aggregation '%s'; expected count, sum, mean, min, max, first, "
                      "last or collect",
                      fn);
        return;
    }
    size_t blank = 0;
    while (blank < in_len && isspace((unsigned char)src[in_off + blank]))
        blank++;
    int empty = blank == in_len;
    if (kind == SL_AGG_COUNT_ALL && !empty)
        kind = SL_AGG_COUNT;
    if (kind != SL_AGG_COUNT_ALL && empty) {
        spec_fail(ctx, SL_ERR_INVALID, (int)in_off, where,
                  "%s() needs an expression: %s(column) (only count() takes none)", fn, fn);
        return;
    }
    a->kind = (sl_agg_kind)kind;
    if (empty)
        return;
    sl_error e;
    sl_error_clear(&e);
    a->expr = sl_expr_compile_n(src + in_off, in_len, &e);
    if (a->expr)
        return;
    if (e.code == SL_ERR_NOMEM) {
        ctx->nomem = 1;
        return;
    }
    spec_fail(ctx, e.code ? e.code : SL_ERR_SYNTAX, e.pos >= 0 ? e.pos + (int)in_off : -1, where,
              "%s", e.msg[0] ? e.msg : "invalid expression");
}

/* Reads "aggregate": {name: "fn(expr)", ...}. is_window reserves the names
 * start and end (the window bounds). */
static void read_aggregate_field(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s,
                                 int is_window)
{
    char where[SPEC_WHERE_MAX], awhere[SPEC_WHERE_MAX];
    yyjson_val *aggs = yyjson_obj_get(v, "aggregate");
    spec_where(where, prefix, "aggregate");
    if (!aggs) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "missing required field 'aggregate' (an object of output name: "
                  "aggregation, e.g. {\"avg\": \"mean(speed)\", \"n\": \"count()\"})");
        return;
    }
    if (!yyjson_is_obj(aggs) || yyjson_obj_size(aggs) == 0) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where,
                  "expected a non-empty object of output name: aggregation, got %s",
                  yyjson_is_obj(aggs) ? "an empty object" : spec_type_name(aggs));
        return;
    }
    size_t n = yyjson_obj_size(aggs);
    if (n > SPEC_MAX_AGGS) {
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "too many aggregations (%zu, at most %d)", n,
                  SPEC_MAX_AGGS);
        return;
    }
    s->aggs = calloc(n, sizeof(*s->aggs));
    if (!s->aggs) {
        ctx->nomem = 1;
        return;
    }
    s->naggs = n;
    size_t i, max;
    yyjson_val *k, *val;
    yyjson_obj_foreach(aggs, i, max, k, val)
    {
        sl_agg *a = &s->aggs[i];
        const char *name = yyjson_get_str(k);
        spec_where(awhere, where, name);
        if (yyjson_get_len(k) == 0 || strlen(name) != yyjson_get_len(k)) {
            spec_fail(ctx, SL_ERR_INVALID, -1, awhere,
                      "output names must be non-empty strings without NUL characters");
            continue;
        }
        if (is_window && (strcmp(name, "start") == 0 || strcmp(name, "end") == 0)) {
            spec_fail(ctx, SL_ERR_INVALID, -1, awhere,
                      "'%s' is reserved: window results carry the window's start and end", name);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (s->aggs[j].name && strcmp(s->aggs[j].name, name) == 0)
                spec_fail(ctx, SL_ERR_INVALID, -1, awhere, "output '%.64s' appears twice", name);
        if (!yyjson_is_str(val) || yyjson_get_len(val) == 0) {
            spec_fail(ctx, SL_ERR_INVALID, -1, awhere,
                      "expected an aggregation such as \"mean(speed)\", got %s",
                      yyjson_is_str(val) ? "an empty string" : spec_type_name(val));
            continue;
        }
        a->name = spec_strdup(ctx, name, yyjson_get_len(k));
        a->src = spec_strdup(ctx, yyjson_get_str(val), yyjson_get_len(val));
        if (a->src)
            read_agg(ctx, a->src, yyjson_get_len(val), awhere, a);
    }
}

static void read_emit(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    int e;
    if (spec_get_enum(ctx, v, prefix, "emit", emit_names, SL_EMIT_FINAL, &e))
        s->emit = (sl_emit_mode)e;
}

void spec_read_window(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    char where[SPEC_WHERE_MAX];
    int c;
    if (s->op == SL_STEP_TUMBLING_COUNT_WINDOW || s->op == SL_STEP_HOPPING_COUNT_WINDOW) {
        int have = get_positive(ctx, v, prefix, "count", "the number of messages per window",
                                &s->count);
        s->count_step = s->count;
        if (s->op == SL_STEP_HOPPING_COUNT_WINDOW &&
            get_positive(ctx, v, prefix, "step", "the number of messages between window starts",
                         &s->count_step) &&
            have && s->count_step > s->count) {
            spec_where(where, prefix, "step");
            spec_fail(ctx, SL_ERR_INVALID, -1, where,
                      "step (%lld) must not be larger than count (%lld)",
                      (long long)s->count_step, (long long)s->count);
        }
        read_aggregate_field(ctx, v, prefix, s, 1);
        read_emit(ctx, v, prefix, s);
        return;
    }
    int have_size = get_duration(ctx, v, prefix, "size", 1, 0, &s->size_ms);
    if (have_size && s->size_ms == 0) {
        spec_where(where, prefix, "size");
        spec_fail(ctx, SL_ERR_INVALID, -1, where, "the window size must be at least 1ms");
        have_size = 0;
    }
    s->step_ms = s->size_ms;
    if (s->op == SL_STEP_HOPPING_WINDOW &&
        get_duration(ctx, v, prefix, "step", 1, 0, &s->step_ms) && have_size) {
        spec_where(where, prefix, "step");
        if (s->step_ms == 0 || s->step_ms > s->size_ms)
            spec_fail(ctx, SL_ERR_INVALID, -1, where,
                      "step must be at least 1ms and at most the size (%lldms), got %lldms",
                      (long long)s->size_ms, (long long)s->step_ms);
        else if ((s->size_ms + s->step_ms - 1) / s->step_ms > SPEC_MAX_WINDOWS_PER_MESSAGE)
            spec_fail(ctx, SL_ERR_INVALID, -1, where,
                      "size / step must be at most %d (each message goes into that many "
                      "windows)",
                      SPEC_MAX_WINDOWS_PER_MESSAGE);
    }
    get_duration(ctx, v, prefix, "grace", 0, 0, &s->grace_ms);
    read_aggregate_field(ctx, v, prefix, s, 1);
    read_emit(ctx, v, prefix, s);
    if (spec_get_enum(ctx, v, prefix, "closing", closing_names, SL_CLOSING_KEY, &c))
        s->closing = (sl_closing)c;
    if (s->op == SL_STEP_SLIDING_WINDOW && s->closing == SL_CLOSING_PARTITION) {
        spec_where(where, prefix, "closing");
        spec_fail(ctx, SL_ERR_UNSUPPORTED, -1, where,
                  "sliding_window supports only closing \"key\"");
    }
}

void spec_read_aggregate(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s)
{
    read_aggregate_field(ctx, v, prefix, s, 0);
}

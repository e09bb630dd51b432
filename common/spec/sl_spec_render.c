/* sl_spec_render — a plan back to canonical JSON.
 *
 * Every default is written out and fields come in a fixed order (name,
 * input, steps, guarantee, on_error, dead_letter_topic; op first in a step),
 * so two specs that mean the same thing render to the same bytes: what the
 * controller can store and compare. Parsing the rendering gives the same
 * plan. */
#include <stdlib.h>

#include <yyjson.h>

#include "spec/sl_spec.h"

/* select/drop: ["a", ...]; assign: {"a": "expr"}; rename: {"old": "new"}. */
static yyjson_mut_val *render_columns(yyjson_mut_doc *d, const sl_step *s)
{
    int is_list = s->op == SL_STEP_SELECT || s->op == SL_STEP_DROP;
    yyjson_mut_val *cols = is_list ? yyjson_mut_arr(d) : yyjson_mut_obj(d);
    if (!cols)
        return NULL;
    for (size_t i = 0; i < s->ncolumns; i++) {
        const sl_column *c = &s->columns[i];
        bool ok;
        if (is_list)
            ok = yyjson_mut_arr_add_str(d, cols, c->name);
        else
            ok = yyjson_mut_obj_add_str(d, cols, c->name,
                                        s->op == SL_STEP_ASSIGN ? c->src : c->new_name);
        if (!ok)
            return NULL;
    }
    return cols;
}

/* aggregate: {"name": "fn(expr)"} as written. */
static yyjson_mut_val *render_aggs(yyjson_mut_doc *d, const sl_step *s)
{
    yyjson_mut_val *o = yyjson_mut_obj(d);
    for (size_t i = 0; o && i < s->naggs; i++)
        if (!yyjson_mut_obj_add_str(d, o, s->aggs[i].name, s->aggs[i].src))
            return NULL;
    return o;
}

/* The fields of window steps, durations as integer milliseconds. */
static bool render_window(yyjson_mut_doc *d, yyjson_mut_val *o, const sl_step *s)
{
    bool ok = true, is_count = s->op == SL_STEP_TUMBLING_COUNT_WINDOW ||
                               s->op == SL_STEP_HOPPING_COUNT_WINDOW;
    if (is_count) {
        ok = yyjson_mut_obj_add_int(d, o, "count", s->count);
        if (s->op == SL_STEP_HOPPING_COUNT_WINDOW)
            ok = ok && yyjson_mut_obj_add_int(d, o, "step", s->count_step);
    } else {
        ok = yyjson_mut_obj_add_int(d, o, "size", s->size_ms);
        if (s->op == SL_STEP_HOPPING_WINDOW)
            ok = ok && yyjson_mut_obj_add_int(d, o, "step", s->step_ms);
        ok = ok && yyjson_mut_obj_add_int(d, o, "grace", s->grace_ms);
    }
    ok = ok && yyjson_mut_obj_add_val(d, o, "aggregate", render_aggs(d, s)) &&
         yyjson_mut_obj_add_str(d, o, "emit", sl_emit_mode_name(s->emit));
    if (!is_count)
        ok = ok && yyjson_mut_obj_add_str(d, o, "closing", sl_closing_name(s->closing));
    return ok;
}

static yyjson_mut_val *render_step(yyjson_mut_doc *d, const sl_step *s)
{
    yyjson_mut_val *o = yyjson_mut_obj(d);
    bool ok = o && yyjson_mut_obj_add_str(d, o, "op", sl_step_op_name(s->op));
    switch (s->op) {
    case SL_STEP_ASSIGN:
    case SL_STEP_SELECT:
    case SL_STEP_DROP:
    case SL_STEP_RENAME:
        ok = ok && yyjson_mut_obj_add_val(d, o, "columns", render_columns(d, s));
        break;
    case SL_STEP_FILTER:
        ok = ok && yyjson_mut_obj_add_str(d, o, "where", s->src);
        break;
    case SL_STEP_TO_TOPIC:
        ok = ok && yyjson_mut_obj_add_str(d, o, "topic", s->topic);
        if (s->src)
            ok = ok && yyjson_mut_obj_add_str(d, o, "key", s->src);
        ok = ok && yyjson_mut_obj_add_str(d, o, "value_format", sl_format_name(s->value_format));
        break;
    case SL_STEP_PRINT:
        ok = ok && yyjson_mut_obj_add_bool(d, o, "metadata", s->metadata);
        break;
    case SL_STEP_TUMBLING_WINDOW:
    case SL_STEP_HOPPING_WINDOW:
    case SL_STEP_SLIDING_WINDOW:
    case SL_STEP_TUMBLING_COUNT_WINDOW:
    case SL_STEP_HOPPING_COUNT_WINDOW:
        ok = ok && render_window(d, o, s);
        break;
    case SL_STEP_AGGREGATE:
        ok = ok && yyjson_mut_obj_add_val(d, o, "aggregate", render_aggs(d, s));
        break;
    default:
        if (s->src)
            ok = ok && yyjson_mut_obj_add_str(d, o, "expr", s->src);
        break;
    }
    return ok ? o : NULL;
}

int sl_plan_render(const sl_plan *plan, sl_buf *out, sl_error *err)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root, *in, *steps;
    char *text = NULL;
    size_t len = 0;
    int rc = SL_ERR_NOMEM;

    if (!d || !(root = yyjson_mut_obj(d)) || !(in = yyjson_mut_obj(d)) ||
        !(steps = yyjson_mut_arr(d)))
        goto out;
    yyjson_mut_doc_set_root(d, root);
    bool ok = yyjson_mut_obj_add_str(d, in, "topic", plan->input.topic) &&
              yyjson_mut_obj_add_str(d, in, "key_format", sl_format_name(plan->input.key_format)) &&
              yyjson_mut_obj_add_str(d, in, "value_format",
                                     sl_format_name(plan->input.value_format));
    if (ok && plan->input.timestamp_src)
        ok = yyjson_mut_obj_add_str(d, in, "timestamp", plan->input.timestamp_src);
    for (size_t i = 0; ok && i < plan->nsteps; i++)
        ok = yyjson_mut_arr_append(steps, render_step(d, &plan->steps[i]));
    ok = ok && yyjson_mut_obj_add_str(d, root, "name", plan->name) &&
         yyjson_mut_obj_add_val(d, root, "input", in) &&
         yyjson_mut_obj_add_val(d, root, "steps", steps) &&
         yyjson_mut_obj_add_str(d, root, "guarantee", sl_guarantee_name(plan->guarantee)) &&
         yyjson_mut_obj_add_str(d, root, "on_error", sl_on_error_name(plan->on_error)) &&
         yyjson_mut_obj_add_str(d, root, "dead_letter_topic", plan->dead_letter_topic);
    if (!ok || !(text = yyjson_mut_write(d, 0, &len)))
        goto out;
    rc = sl_buf_append(out, text, len);
out:
    free(text);
    yyjson_mut_doc_free(d);
    return rc == SL_OK ? SL_OK : sl_error_set(err, rc, "out of memory rendering the plan");
}

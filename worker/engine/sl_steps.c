/* sl_steps — the stateless steps, run in order on one row.
 *
 * exec_run_steps walks plan->steps from a start index; expand recurses into
 * the remaining steps once per element (so nesting depth is bounded by the
 * number of steps). A failing step sets err->where to the field that failed
 * ("steps[1].where", "steps[0].columns.speed_kmh") and ex->err_step to its
 * index; the message's processing stops there (later elements of an expand
 * are not run). */
#include <stdio.h>
#include <string.h>

#include "engine/sl_exec_internal.h"
#include "util/sl_log.h"

static int step_fail(sl_exec *ex, const sl_step *s, const char *field, int rc, sl_error *err)
{
    ex->err_step = (int)s->index;
    if (rc == SL_ERR_NOMEM)
        ex->fatal = 1;
    if (field)
        sl_error_where(err, "steps[%zu].%s", s->index, field);
    else
        sl_error_where(err, "steps[%zu]", s->index);
    return rc;
}

static int need_object(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    if (sl_row_is_object(&item->row))
        return SL_OK;
    sl_value v;
    int rc = sl_row_value(&item->row, &v, err);
    if (rc != SL_OK)
        return step_fail(ex, s, NULL, rc, err);
    sl_error_set(err, SL_ERR_TYPE, "%s needs an object value, got %s", sl_step_op_name(s->op),
                 sl_value_kind_name(v));
    return step_fail(ex, s, NULL, SL_ERR_TYPE, err);
}

static int eval(sl_exec *ex, const sl_step *s, const sl_expr *e, const char *field,
                exec_item *item, sl_value *out, sl_error *err)
{
    int rc = sl_expr_eval(e, &ex->ectx, &item->row, out, err);
    return rc == SL_OK ? SL_OK : step_fail(ex, s, field, rc, err);
}

static int step_assign(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    char field[SL_ERROR_WHERE_MAX];
    int rc = need_object(ex, s, item, err);
    if (rc != SL_OK)
        return rc;
    /* every expression sees the row as it was before the step */
    for (size_t i = 0; i < s->ncolumns; i++) {
        rc = sl_expr_eval(s->columns[i].expr, &ex->ectx, &item->row, &ex->tmp[i], err);
        if (rc != SL_OK) {
            snprintf(field, sizeof(field), "columns.%.100s", s->columns[i].name);
            return step_fail(ex, s, field, rc, err);
        }
    }
    const sl_str *names = ex->names[s->index].from;
    for (size_t i = 0; i < s->ncolumns; i++) {
        rc = sl_row_set(&item->row, names[i].ptr, names[i].len, ex->tmp[i], err);
        if (rc != SL_OK)
            return step_fail(ex, s, "columns", rc, err);
    }
    return SL_OK;
}

static int step_filter(sl_exec *ex, const sl_step *s, exec_item *item, int *keep, sl_error *err)
{
    sl_truth t;
    int rc = sl_expr_eval_truth(s->expr, &ex->ectx, &item->row, &t, err);
    if (rc != SL_OK)
        return step_fail(ex, s, "where", rc, err);
    *keep = t == SL_TRUTH_TRUE;
    if (!*keep)
        ex->counters.dropped++;
    return SL_OK;
}

static int step_columns(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    const exec_step_names *n = &ex->names[s->index];
    int rc = need_object(ex, s, item, err);
    if (rc != SL_OK)
        return rc;
    if (s->op == SL_STEP_SELECT) {
        rc = sl_row_select(&item->row, n->from, s->ncolumns, err);
    } else if (s->op == SL_STEP_RENAME) {
        rc = sl_row_rename(&item->row, n->from, n->to, s->ncolumns, err);
    } else {
        for (size_t i = 0; i < s->ncolumns && rc == SL_OK; i++)
            rc = sl_row_delete(&item->row, n->from[i].ptr, n->from[i].len, err);
    }
    return rc == SL_OK ? SL_OK : step_fail(ex, s, "columns", rc, err);
}

static int step_expand(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    sl_value v, k, el;
    sl_value_iter it;
    int rc = eval(ex, s, s->expr, "expr", item, &v, err);
    if (rc != SL_OK)
        return rc;
    if (!sl_value_is_arr(v)) {
        sl_error_set(err, SL_ERR_TYPE, "expand needs a list, got %s", sl_value_kind_name(v));
        return step_fail(ex, s, "expr", SL_ERR_TYPE, err);
    }
    sl_value_iter_init(&it, v);
    while (sl_value_iter_next(&it, &k, &el)) {
        exec_item child = *item;
        sl_row_init(&child.row, ex->mem, item->row.key, item->row.timestamp, el);
        rc = exec_run_steps(ex, &child, s->index + 1, err);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static int step_set_key(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    sl_value v;
    int rc = eval(ex, s, s->expr, "expr", item, &v, err);
    if (rc != SL_OK)
        return rc;
    item->row.key = v;
    item->key_is_raw = 0;
    return SL_OK;
}

static int step_set_timestamp(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    sl_value v;
    int rc = eval(ex, s, s->expr, "expr", item, &v, err);
    if (rc == SL_OK && (rc = exec_value_to_ms(v, &item->row.timestamp, err)) != SL_OK)
        return step_fail(ex, s, "expr", rc, err);
    return rc;
}

static int step_print(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    sl_buf *b = &ex->vbuf;
    sl_buf_reset(b);
    if (s->metadata) {
        sl_buf_append_str(b, "key=");
        if (sl_value_write_json(item->row.key, b, err) != SL_OK)
            return step_fail(ex, s, NULL, err->code, err);
        sl_buf_printf(b, " timestamp=%lld value=", (long long)item->row.timestamp);
    }
    int rc = sl_row_encode(&item->row, b, err);
    if (rc != SL_OK)
        return step_fail(ex, s, NULL, rc, err);
    sl_log_info(ex->label, "steps[%zu] print: %s", s->index, b->data ? b->data : "");
    return SL_OK;
}

int exec_run_steps(sl_exec *ex, exec_item *item, size_t start, sl_error *err)
{
    const sl_plan *plan = ex->plan;
    for (size_t i = start; i < plan->nsteps; i++) {
        const sl_step *s = &plan->steps[i];
        int rc = SL_OK, keep = 1;
        sl_value v;
        switch (s->op) {
        case SL_STEP_ASSIGN:
            rc = step_assign(ex, s, item, err);
            break;
        case SL_STEP_FILTER:
            rc = step_filter(ex, s, item, &keep, err);
            break;
        case SL_STEP_SELECT:
        case SL_STEP_DROP:
        case SL_STEP_RENAME:
            rc = step_columns(ex, s, item, err);
            break;
        case SL_STEP_APPLY:
            rc = eval(ex, s, s->expr, "expr", item, &v, err);
            if (rc == SL_OK)
                sl_row_replace(&item->row, v);
            break;
        case SL_STEP_EXPAND:
            /* the remaining steps ran (or failed) once per element */
            return step_expand(ex, s, item, err);
        case SL_STEP_SET_KEY:
            rc = step_set_key(ex, s, item, err);
            break;
        case SL_STEP_SET_TIMESTAMP:
            rc = step_set_timestamp(ex, s, item, err);
            break;
        case SL_STEP_TO_TOPIC:
            rc = exec_emit_output(ex, s, item, err);
            break;
        case SL_STEP_PRINT:
            rc = step_print(ex, s, item, err);
            break;
        case SL_STEP_TUMBLING_WINDOW:
        case SL_STEP_HOPPING_WINDOW:
        case SL_STEP_TUMBLING_COUNT_WINDOW:
        case SL_STEP_HOPPING_COUNT_WINDOW:
        case SL_STEP_SLIDING_WINDOW:
        case SL_STEP_AGGREGATE:
            /* the remaining steps ran (or failed) once per result */
            return exec_window_step(ex, s, item, err);
        default:
            sl_error_set(err, SL_ERR_UNSUPPORTED, "op '%s' is not supported by this engine",
                         sl_step_op_name(s->op));
            ex->fatal = 1;
            return step_fail(ex, s, "op", SL_ERR_UNSUPPORTED, err);
        }
        if (rc != SL_OK || !keep)
            return rc;
    }
    return SL_OK;
}

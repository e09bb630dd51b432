/* sl_exec — executor lifecycle and the per-message driver (see sl_exec.h).
 *
 * For each message: decode (sl_decode.c), run the steps from the first
 * (sl_steps.c), and when a step fails with a processing error hand it to the
 * error router (sl_dead_letter.c). Errors that are not about the message —
 * the emit callback refusing a record, running out of memory — are "fatal"
 * and always go back to the caller, whatever on_error says. */
#include <stdlib.h>
#include <string.h>

#include "engine/sl_exec_internal.h"

static int build_names(sl_exec *ex)
{
    const sl_plan *plan = ex->plan;
    size_t max_assign = 1;
    ex->names = calloc(plan->nsteps ? plan->nsteps : 1, sizeof(*ex->names));
    if (!ex->names)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < plan->nsteps; i++) {
        const sl_step *s = &plan->steps[i];
        if (s->op == SL_STEP_ASSIGN && s->ncolumns > max_assign)
            max_assign = s->ncolumns;
        if (s->op != SL_STEP_SELECT && s->op != SL_STEP_DROP && s->op != SL_STEP_RENAME &&
            s->op != SL_STEP_ASSIGN)
            continue;
        ex->names[i].from = calloc(s->ncolumns, sizeof(sl_str));
        ex->names[i].to = calloc(s->ncolumns, sizeof(sl_str));
        if (!ex->names[i].from || !ex->names[i].to)
            return SL_ERR_NOMEM;
        for (size_t c = 0; c < s->ncolumns; c++) {
            ex->names[i].from[c] = sl_str_c(s->columns[c].name);
            if (s->columns[c].new_name)
                ex->names[i].to[c] = sl_str_c(s->columns[c].new_name);
        }
    }
    ex->tmp = calloc(max_assign, sizeof(*ex->tmp));
    return ex->tmp ? SL_OK : SL_ERR_NOMEM;
}

sl_exec *sl_exec_create(const sl_plan *plan, const char *ctx, sl_exec_emit_fn emit, void *opaque,
                        sl_error *err)
{
    if (!plan) {
        sl_error_set(err, SL_ERR_INVALID, "no plan given");
        return NULL;
    }
    sl_exec *ex = calloc(1, sizeof(*ex));
    if (!ex)
        goto fail;
    ex->plan = plan;
    ex->emit = emit;
    ex->opaque = opaque;
    ex->err_step = -2;
    ex->label = strdup(ctx ? ctx : plan->name);
    ex->mem = sl_mem_create(0);
    if (!ex->label || !ex->mem || build_names(ex) != SL_OK)
        goto fail;
    ex->ectx = (sl_eval_ctx)SL_EVAL_CTX_INIT(ex->mem);
    /* warm the scratch buffers so the first messages do not grow them */
    if (sl_buf_reserve(&ex->kbuf, 256) != SL_OK || sl_buf_reserve(&ex->vbuf, 4096) != SL_OK)
        goto fail;
    return ex;

fail:
    sl_error_set(err, SL_ERR_NOMEM, "out of memory creating the executor");
    sl_exec_destroy(ex);
    return NULL;
}

void sl_exec_destroy(sl_exec *ex)
{
    if (!ex)
        return;
    if (ex->names) {
        for (size_t i = 0; i < ex->plan->nsteps; i++) {
            free(ex->names[i].from);
            free(ex->names[i].to);
        }
        free(ex->names);
    }
    exec_window_free_all(ex);
    free(ex->tmp);
    sl_buf_free(&ex->kbuf);
    sl_buf_free(&ex->vbuf);
    sl_mem_destroy(ex->mem);
    free(ex->label);
    free(ex);
}

int sl_exec_process(sl_exec *ex, const sl_message *msg, sl_error *err)
{
    exec_item item;
    sl_error perr;
    int rc;

    ex->counters.in++;
    ex->msg = msg;
    ex->fatal = 0;
    sl_error_clear(&perr);
    item.no_headers = 0;
    rc = exec_decode(ex, msg, &item, &perr);
    if (rc == SL_OK)
        rc = exec_run_steps(ex, &item, 0, &perr);
    if (rc != SL_OK && ex->fatal) {
        if (err)
            *err = perr;
    } else if (rc != SL_OK) {
        rc = exec_route_error(ex, &perr, err);
    }
    ex->msg = NULL;
    return rc;
}

int sl_exec_process_batch(sl_exec *ex, const sl_message *msgs, size_t n, size_t *done,
                          sl_error *err)
{
    size_t i;
    int rc = SL_OK;
    for (i = 0; i < n; i++) {
        rc = sl_exec_process(ex, &msgs[i], err);
        if (rc != SL_OK)
            break;
    }
    if (done)
        *done = i;
    return rc;
}

int sl_exec_set_state(sl_exec *ex, sl_state *state)
{
    if (state != ex->state)
        exec_window_free_all(ex); /* in-memory indexes belong to the old store */
    ex->state = state;
    return SL_OK;
}

int sl_exec_batch_reset(sl_exec *ex)
{
    return sl_mem_reset(ex->mem);
}

size_t sl_exec_batch_bytes(const sl_exec *ex)
{
    return sl_arena_used(sl_mem_arena(ex->mem));
}

const sl_exec_counters *sl_exec_counters_get(const sl_exec *ex)
{
    return &ex->counters;
}

int sl_exec_last_error_step(const sl_exec *ex)
{
    return ex->err_step;
}

/* sl_exec_internal — the executor's state and the functions its files share
 * (sl_exec.c: lifecycle and the per-message driver; sl_decode.c: input
 * formats; sl_steps.c: the stateless steps; sl_output.c: to_topic records;
 * sl_dead_letter.c: error routing; sl_window.c: windows and the running
 * aggregate). Private to worker/engine/. */
#ifndef SL_EXEC_INTERNAL_H
#define SL_EXEC_INTERNAL_H

#include "engine/sl_exec.h"
#include "expr/sl_expr.h"
#include "util/sl_buf.h"
#include "value/sl_mem.h"
#include "value/sl_row.h"

/* Column names of assign/select/drop/rename steps as sl_str arrays (length
 * known), built once. */
typedef struct exec_step_names {
    sl_str *from; /* assign/select/drop/rename: the names */
    sl_str *to;   /* rename: the new names */
} exec_step_names;

struct sl_exec {
    const sl_plan *plan;
    char *label; /* log context */
    sl_exec_emit_fn emit;
    void *opaque;
    sl_mem *mem;
    sl_eval_ctx ectx;
    sl_exec_counters counters;
    exec_step_names *names; /* [plan->nsteps] */
    sl_value *tmp;          /* assign results, [max assign columns] */
    sl_buf kbuf;            /* scratch for keys, reused */
    sl_buf vbuf;            /* scratch for values, reused */
    const sl_message *msg;  /* message being processed */
    int err_step;           /* see sl_exec_last_error_step */
    int fatal;              /* last error must not be routed (emit failed, OOM) */
    sl_state *state; /* the task's state store, borrowed; NULL if none */
    struct exec_window **win; /* [plan->nsteps]: stateful steps' runtime, made lazily */
};

/* One message (or expanded element) flowing through the steps: the row and
 * what is known of its key's original bytes (passed through unchanged until
 * a set_key). */
typedef struct exec_item {
    sl_row row;
    const void *key_raw;
    size_t key_raw_len;
    int key_is_raw;
    int no_headers; /* a window result: records carry no headers (as in Quix) */
} exec_item;

/* Decodes msg into item per plan->input (key, value, input.timestamp).
 * A processing error (bad JSON, bad timestamp) returns its code with err
 * set and ex->err_step = -1; SL_ERR_NOMEM sets ex->fatal. */
int exec_decode(sl_exec *ex, const sl_message *msg, exec_item *item, sl_error *err);

/* Runs steps[start..] on item. 0, or a processing error (err->where set,
 * ex->err_step = its index) or a fatal error (ex->fatal). */
int exec_run_steps(sl_exec *ex, exec_item *item, size_t start, sl_error *err);

/* Runs window or aggregate step s on item, then the remaining steps on each
 * result it emits (sl_window.c). Errors as exec_run_steps; SL_ERR_STATE
 * (fatal) when the executor has no state store. */
int exec_window_step(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err);

/* Frees the stateful steps' runtime (indexes rebuilt from the store on next
 * use); called when the store changes and by sl_exec_destroy. */
void exec_window_free_all(sl_exec *ex);

/* Emits item as a to_topic record of step s (sl_output.c). 0, a processing
 * error of the key expression or encoding, or the callback's error (fatal). */
int exec_emit_output(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err);

/* Hands rec to the emit callback; its failure is fatal (ex->fatal set). */
int exec_emit(sl_exec *ex, const sl_record *rec, sl_error *err);

/* Routes a processing error perr of the current message per on_error:
 * 0 when dead-lettered or skipped; perr's code (with err = *perr) for fail;
 * the emit callback's error if dead-lettering failed. */
int exec_route_error(sl_exec *ex, const sl_error *perr, sl_error *err);

/* Converts a timestamp result (int, or finite float truncated) to ms;
 * SL_ERR_TYPE with a message otherwise. */
int exec_value_to_ms(sl_value v, int64_t *out, sl_error *err);

#endif

/* sl_window_internal — what the window files share (sl_window.c: the step
 * driver, results and time windows; sl_window_count.c: count windows and the
 * running aggregate; sl_window_sliding.c: sliding windows). Private to
 * worker/engine/. */
#ifndef SL_WINDOW_INTERNAL_H
#define SL_WINDOW_INTERNAL_H

#include "engine/sl_aggregate.h"
#include "engine/sl_exec_internal.h"
#include "engine/sl_window_codec.h"

/* An open window in the partition index (closing "partition"): a min-heap on
 * (end, start, key). key is a malloc'd copy of the state key. */
typedef struct win_index_entry {
    int64_t end;
    int64_t start;
    char *key;
    size_t klen;
} win_index_entry;

/* A result waiting to go to the next steps: its value is already built in
 * the batch document (so it does not borrow the state store's bytes); key
 * NULL means the current message's key, else a state key in batch memory. */
typedef struct win_result {
    yyjson_mut_val *obj;
    int64_t ts;
    const char *key;
    size_t klen;
} win_result;

/* The runtime of one stateful step. */
typedef struct exec_window {
    const sl_step *s;
    uint32_t ns;         /* state namespace: the step's index */
    sl_value *vals;      /* [naggs] the message's aggregation inputs */
    sl_buf key;          /* state key of the current message */
    sl_buf rec;          /* encoded record to put */
    sl_buf scratch;      /* new aggregation states, see sl_win_entry.in_scratch */
    sl_buf scratch2;     /* merges (sliding windows) */
    sl_win_record r;     /* decoded record of the current key */
    win_result *res;     /* results of the current message */
    size_t nres, capres;
    /* closing "partition" */
    int loaded;          /* index and stream time read from the store */
    int64_t pst;         /* partition stream time, INT64_MIN before any message */
    win_index_entry *heap;
    size_t nheap, capheap;
} exec_window;

/* Evaluates the aggregation inputs of the current message into w->vals.
 * A processing error names steps[N].aggregate.<name>. */
int win_eval_inputs(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err);

/* Marks a failure of the step (where = steps[N] or steps[N].field; fatal
 * for anything but a processing error of the message). */
int win_fail(sl_exec *ex, const sl_step *s, const char *field, int rc, int fatal,
             sl_error *err);

/* Reads the current key's record (w->key) into w->r (empty_mark when none).
 * Store errors and corrupt state are fatal. */
int win_load(sl_exec *ex, exec_window *w, int64_t empty_mark, sl_error *err);

/* Encodes w->r and puts it under w->key (or deletes the entry when it has no
 * windows and drop_empty). */
int win_store(sl_exec *ex, exec_window *w, int drop_empty, sl_error *err);

/* Writes into w->scratch the state of entry e updated with w->vals (a new,
 * empty state when fresh) and points e at it. */
int win_update_entry(sl_exec *ex, exec_window *w, sl_win_entry *e, int fresh, sl_error *err);

/* Queues a result {"start", "end", aggregations...} (with_bounds) or
 * {aggregations...} from the aggregation state agg[0..len), timestamp ts,
 * for key (NULL: the message's key; else copied to batch memory). */
int win_add_result(sl_exec *ex, exec_window *w, int with_bounds, int64_t start, int64_t end,
                   const uint8_t *agg, size_t len, int64_t ts, const char *key, size_t klen,
                   sl_error *err);

/* The aggregation state of e (borrowed or in the scratch buffer). */
static inline const uint8_t *win_entry_agg(const exec_window *w, const sl_win_entry *e)
{
    return e->in_scratch ? (const uint8_t *)w->scratch.data + e->off : e->agg;
}

/* Count windows and the running aggregate (sl_window_count.c). */
int win_count_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err);
int win_aggregate_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err);

/* Sliding windows (sl_window_sliding.c). */
int win_sliding_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err);

#endif

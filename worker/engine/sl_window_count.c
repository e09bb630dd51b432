/* sl_window_count — count windows and the running aggregate.
 *
 * tumbling_count_window {count}: every `count` messages of a key form a
 * window; hopping_count_window {count, step}: a window starts at every
 * `step`-th message of a key (the 1st, the step+1-th, ...) and holds
 * `count` messages, so a message belongs to up to ceil(count / step)
 * windows. A window's start and end are the timestamps of its first and last
 * message (as in Quix Streams); "final" emits it when its count-th message
 * arrives, "current" after every message. Count windows never close by
 * time, so there is no grace, no closing strategy and no late message.
 *
 * aggregate: one running aggregation per key, never closed; after every
 * message its updated totals {<names>...} go on with the message's key and
 * timestamp. */
#include <string.h>

#include "engine/sl_window_internal.h"

int win_count_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err)
{
    const sl_step *s = w->s;
    const int64_t ts = item->row.timestamp;
    int rc;
    if ((rc = win_load(ex, w, 0, err)) != SL_OK)
        return rc;
    sl_win_record *r = &w->r;
    const int64_t seen = r->mark;
    if (seen % s->count_step == 0) {
        sl_win_entry *e = sl_win_record_push(r);
        if (!e)
            return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1,
                            err);
        *e = (sl_win_entry){ts, ts, 0, NULL, 0, 0, 0};
        if ((rc = win_update_entry(ex, w, e, 1, err)) != SL_OK)
            return rc;
        e->msgs = 1;
    }
    size_t keep = 0;
    for (size_t i = 0; i < r->n; i++) {
        sl_win_entry *e = &r->w[i];
        if (!e->in_scratch) { /* the new window was updated above */
            if ((rc = win_update_entry(ex, w, e, 0, err)) != SL_OK)
                return rc;
            e->msgs++;
            e->end = ts;
        }
        int full = e->msgs >= s->count;
        if ((s->emit == SL_EMIT_CURRENT || full) &&
            (rc = win_add_result(ex, w, 1, e->start, e->end, win_entry_agg(w, e), e->agg_len,
                                 e->start, NULL, 0, err)) != SL_OK)
            return rc;
        if (!full)
            r->w[keep++] = *e;
    }
    r->n = keep;
    r->mark = seen + 1;
    return win_store(ex, w, 0, err);
}

int win_aggregate_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err)
{
    const sl_step *s = w->s;
    const void *v = NULL;
    size_t len = 0;
    sl_win_entry e = {0};
    int rc = sl_state_get(ex->state, w->ns, w->key.data, w->key.len, &v, &len, err);
    if (rc < 0)
        return win_fail(ex, s, NULL, rc, 1, err);
    sl_buf_reset(&w->scratch);
    e.agg = v;
    e.agg_len = rc == 1 ? len : 0;
    if ((rc = win_update_entry(ex, w, &e, e.agg_len == 0, err)) != SL_OK)
        return rc;
    /* the result is built (copied) before the put releases the old bytes */
    const uint8_t *agg = win_entry_agg(w, &e);
    if ((rc = win_add_result(ex, w, 0, 0, 0, agg, e.agg_len, item->row.timestamp, NULL, 0,
                             err)) != SL_OK)
        return rc;
    rc = sl_state_put(ex->state, w->ns, w->key.data, w->key.len, agg, e.agg_len, err);
    return rc == SL_OK ? SL_OK : win_fail(ex, s, NULL, rc, 1, err);
}

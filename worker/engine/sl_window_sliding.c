/* sl_window_sliding — sliding windows: one window per distinct message
 * timestamp t of a key, [t - size, t] with BOTH ends inclusive (as Quix
 * Streams defines them), holding every message of the key whose timestamp
 * lies in it.
 *
 * State: the key's record keeps one entry per distinct timestamp (start =
 * end = t) with the aggregation state of the messages at t, and msgs = 1
 * while the window ending at t still has to be emitted (emit "final").
 * A window's value is the merge of the entries in [t - size, t], computed
 * when it is emitted.
 *
 *   - stream time is the key's largest timestamp (closing "key" only);
 *   - the window ending at t closes when stream time - grace > t (it is
 *     [t - size, t + 1) in the half-open terms of the other windows);
 *   - a message whose own window has closed is late: dropped, counted;
 *   - "current": after each message, the window ending at its timestamp;
 *     "final": every window once, when it closes, ordered by end;
 *   - entries older than stream time - grace - size can no longer be in an
 *     open window and are deleted.
 *
 * Differences from Quix Streams (documented in docs/pipeline-spec.md):
 * Quix also emits the windows that START right after a message (when a
 * message leaves the window) and, with "current", every window an
 * out-of-order message updated; Sluice emits only windows that END at a
 * message's timestamp, once per distinct timestamp. */
#include <stdio.h>
#include <string.h>

#include "engine/sl_window_internal.h"

/* Merges the entries with start in [lo, hi] into w->rec (used as scratch:
 * the record is encoded after the results are built) and queues the result
 * for the window [lo, hi]. */
static int sliding_result(sl_exec *ex, exec_window *w, int64_t lo, int64_t hi, sl_error *err)
{
    const sl_step *s = w->s;
    const sl_win_record *r = &w->r;
    sl_buf *acc = &w->rec, *tmp = &w->scratch2;
    int have = 0, rc;
    size_t bad = 0;
    for (size_t i = 0; i < r->n; i++) {
        const sl_win_entry *e = &r->w[i];
        if (e->start < lo || e->start > hi)
            continue;
        const uint8_t *agg = win_entry_agg(w, e);
        if (!have) {
            sl_buf_reset(acc);
            if (sl_buf_append(acc, agg, e->agg_len) != SL_OK)
                return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"),
                                1, err);
            have = 1;
            continue;
        }
        sl_buf_reset(tmp);
        rc = sl_agg_state_merge(s->aggs, s->naggs, acc->data, acc->len, agg, e->agg_len, ex->mem,
                                tmp, &bad, err);
        if (rc != SL_OK) {
            char field[SL_ERROR_WHERE_MAX];
            snprintf(field, sizeof(field), "aggregate.%.100s", s->aggs[bad].name);
            return win_fail(ex, s, field, rc, rc != SL_ERR_TYPE && rc != SL_ERR_OVERFLOW, err);
        }
        sl_buf t = *acc;
        *acc = *tmp;
        *tmp = t;
    }
    if (!have)
        return SL_OK;
    return win_add_result(ex, w, 1, lo, hi, (const uint8_t *)acc->data, acc->len, lo, NULL, 0,
                          err);
}

int win_sliding_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err)
{
    const sl_step *s = w->s;
    const int64_t ts = item->row.timestamp;
    int rc;
    if ((rc = win_load(ex, w, INT64_MIN, err)) != SL_OK)
        return rc;
    sl_win_record *r = &w->r;
    const int64_t mark = ts > r->mark ? ts : r->mark;
    const int64_t wm = mark - s->grace_ms;
    if (wm > ts) {
        ex->counters.late++;
        return SL_OK;
    }
    r->mark = mark;
    size_t j = 0;
    while (j < r->n && r->w[j].start < ts)
        j++;
    int fresh = j == r->n || r->w[j].start != ts;
    if (fresh) {
        if (!sl_win_record_push(r))
            return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1,
                            err);
        memmove(&r->w[j + 1], &r->w[j], (r->n - 1 - j) * sizeof(r->w[0]));
        r->w[j] = (sl_win_entry){ts, ts, 0, NULL, 0, 0, 0};
    }
    if ((rc = win_update_entry(ex, w, &r->w[j], fresh, err)) != SL_OK)
        return rc;
    if (s->emit == SL_EMIT_CURRENT) {
        if ((rc = sliding_result(ex, w, ts - s->size_ms, ts, err)) != SL_OK)
            return rc;
    } else {
        r->w[j].msgs = 1;
        for (size_t i = 0; i < r->n; i++) {
            sl_win_entry *e = &r->w[i];
            if (!e->msgs || e->end >= wm)
                continue;
            if ((rc = sliding_result(ex, w, e->end - s->size_ms, e->end, err)) != SL_OK)
                return rc;
            e->msgs = 0;
        }
    }
    size_t keep = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->w[i].msgs || r->w[i].start >= wm - s->size_ms)
            r->w[keep++] = r->w[i];
    r->n = keep;
    return win_store(ex, w, 0, err);
}

/* sl_window — the stateful steps' driver and the time windows
 * (tumbling_window, hopping_window), with Quix Streams semantics:
 *
 *   - windows are per message key and aligned to the epoch: a tumbling
 *     window starts at ts - ts mod size, hopping windows at multiples of
 *     step, and a message belongs to every window [start, start + size)
 *     holding its timestamp;
 *   - stream time is the largest timestamp seen so far, per key (closing
 *     "key") or per partition (closing "partition"); a window closes when
 *     stream time - grace >= end; a message whose every window has closed is
 *     late: dropped and counted (counters.late); a hopping message whose
 *     first windows closed still updates the open ones;
 *   - emit "final": a window's result goes on once, when it closes, i.e.
 *     when a message moves its stream time past end + grace (with closing
 *     "key" only a newer message of the same key does that); "current":
 *     after every message that updated it;
 *   - a result has the message key, the value {"start", "end", <aggregation
 *     names>...}, the timestamp of the window start (Quix Streams >= 2.6)
 *     and no headers. Several results of one message go on ordered by window
 *     start (then by key, for partition closing).
 *   - messages with a null key are dropped (counted as dropped): Quix
 *     Streams ignores them too; set_key gives messages a key. Windows start
 *     at 0 or later (hopping windows that would start before the epoch are
 *     left out, as Quix does) and messages before the epoch are dropped.
 *
 * Per message and window step: one sl_state_get and one sl_state_put of the
 * key's record (sl_window_codec.h), which holds the key's stream time and
 * its open windows. With closing "partition" an in-memory min-heap of open
 * windows by end, rebuilt from sl_state_scan on first use, finds the
 * windows of every key that a message closes; the partition stream time is
 * one more state entry, written when it advances.
 *
 * No malloc per message: records are decoded in place and re-encoded into
 * per-step buffers that are reused; results are built in the batch memory.
 * The heap allocates one key copy per new window (with closing "partition"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sl_window_internal.h"

/* Timestamps beyond +-2^62 ms would overflow window arithmetic. */
#define WIN_TS_LIMIT ((int64_t)1 << 62)
static const char partition_key[1] = {0};

int win_fail(sl_exec *ex, const sl_step *s, const char *field, int rc, int fatal,
             sl_error *err)
{
    ex->err_step = (int)s->index;
    if (fatal || rc == SL_ERR_NOMEM)
        ex->fatal = 1;
    if (field)
        sl_error_where(err, "steps[%zu].%s", s->index, field);
    else
        sl_error_where(err, "steps[%zu]", s->index);
    return rc;
}

static exec_window *win_get(sl_exec *ex, const sl_step *s)
{
    if (!ex->win) {
        ex->win = calloc(ex->plan->nsteps, sizeof(*ex->win));
        if (!ex->win)
            return NULL;
    }
    exec_window *w = ex->win[s->index];
    if (w)
        return w;
    w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->s = s;
    w->ns = (uint32_t)s->index;
    w->pst = INT64_MIN;
    w->vals = calloc(s->naggs ? s->naggs : 1, sizeof(*w->vals));
    if (!w->vals || sl_buf_reserve(&w->rec, 256) != SL_OK ||
        sl_buf_reserve(&w->scratch, 256) != SL_OK) {
        free(w->vals);
        sl_buf_free(&w->rec);
        sl_buf_free(&w->scratch);
        free(w);
        return NULL;
    }
    ex->win[s->index] = w;
    return w;
}

static void win_free(exec_window *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nheap; i++)
        free(w->heap[i].key);
    free(w->heap);
    free(w->vals);
    free(w->res);
    sl_buf_free(&w->key);
    sl_buf_free(&w->rec);
    sl_buf_free(&w->scratch);
    sl_buf_free(&w->scratch2);
    sl_win_record_free(&w->r);
    free(w);
}

void exec_window_free_all(sl_exec *ex)
{
    if (!ex->win)
        return;
    for (size_t i = 0; i < ex->plan->nsteps; i++)
        win_free(ex->win[i]);
    free(ex->win);
    ex->win = NULL;
}

/* ---- keys ---- */

/* The state key of the item's message key into w->key; 0 with *has_key = 0
 * for a null key. */
static int win_key(sl_exec *ex, exec_window *w, const exec_item *item, int *has_key,
                   sl_error *err)
{
    sl_buf *b = &w->key;
    sl_value k = item->row.key;
    sl_buf_reset(b);
    *has_key = 1;
    if (item->key_is_raw && item->key_raw) {
        if (sl_buf_append(b, "r", 1) != SL_OK ||
            sl_buf_append(b, item->key_raw, item->key_raw_len) != SL_OK)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return SL_OK;
    }
    if ((item->key_is_raw && !item->key_raw) || k.kind == SL_VAL_NULL) {
        *has_key = 0;
        return SL_OK;
    }
    if (k.kind == SL_VAL_STR) {
        if (sl_buf_append(b, "s", 1) != SL_OK || sl_buf_append(b, k.u.s, k.len) != SL_OK)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return SL_OK;
    }
    if (sl_buf_append(b, "j", 1) != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    return sl_value_write_json(k, b, err);
}

/* The message key of a state key, as the item of a result. */
static int win_key_decode(sl_exec *ex, const char *key, size_t klen, exec_item *it,
                          sl_error *err)
{
    const char *p = key + 1;
    size_t n = klen - 1;
    if (key[0] == 'j' || (key[0] == 'r' && ex->plan->input.key_format == SL_FORMAT_JSON)) {
        yyjson_doc *doc = sl_mem_read_json(ex->mem, p, n, err);
        if (!doc)
            return err->code == SL_ERR_NOMEM ? SL_ERR_NOMEM
                                             : sl_error_set(err, SL_ERR_INVALID, "corrupt key");
        it->row.key = sl_value_from_json(yyjson_doc_get_root(doc));
    } else {
        it->row.key = sl_value_str(n ? p : "", n);
    }
    it->key_is_raw = key[0] == 'r';
    it->key_raw = it->key_is_raw ? (n ? p : "") : NULL;
    it->key_raw_len = it->key_is_raw ? n : 0;
    return SL_OK;
}

/* ---- shared helpers ---- */

int win_eval_inputs(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err)
{
    const sl_step *s = w->s;
    char field[SL_ERROR_WHERE_MAX];
    for (size_t i = 0; i < s->naggs; i++) {
        w->vals[i] = sl_value_null();
        if (!s->aggs[i].expr)
            continue;
        int rc = sl_expr_eval(s->aggs[i].expr, &ex->ectx, &item->row, &w->vals[i], err);
        if (rc != SL_OK) {
            snprintf(field, sizeof(field), "aggregate.%.100s", s->aggs[i].name);
            return win_fail(ex, s, field, rc, 0, err);
        }
    }
    return SL_OK;
}

int win_load(sl_exec *ex, exec_window *w, int64_t empty_mark, sl_error *err)
{
    const void *v = NULL;
    size_t len = 0;
    int rc = sl_state_get(ex->state, w->ns, w->key.data, w->key.len, &v, &len, err);
    if (rc < 0)
        return win_fail(ex, w->s, NULL, rc, 1, err);
    sl_buf_reset(&w->scratch);
    rc = sl_win_record_decode(rc == 1 ? v : NULL, rc == 1 ? len : 0, empty_mark, &w->r, err);
    return rc == SL_OK ? SL_OK : win_fail(ex, w->s, NULL, rc, 1, err);
}

int win_store(sl_exec *ex, exec_window *w, int drop_empty, sl_error *err)
{
    int rc;
    if (drop_empty && w->r.n == 0) {
        rc = sl_state_delete(ex->state, w->ns, w->key.data, w->key.len, err);
    } else {
        sl_buf_reset(&w->rec);
        rc = sl_win_record_encode(&w->r, &w->scratch, &w->rec);
        if (rc == SL_OK)
            rc = sl_state_put(ex->state, w->ns, w->key.data, w->key.len, w->rec.data,
                              w->rec.len, err);
        else
            sl_error_set(err, rc, "out of memory");
    }
    return rc == SL_OK ? SL_OK : win_fail(ex, w->s, NULL, rc, 1, err);
}

int win_update_entry(sl_exec *ex, exec_window *w, sl_win_entry *e, int fresh, sl_error *err)
{
    const sl_step *s = w->s;
    size_t at;
    int rc;
    if (fresh) {
        /* the empty state goes after the current end, then is updated */
        at = w->scratch.len;
        if ((rc = sl_agg_state_init(s->aggs, s->naggs, &w->scratch)) != SL_OK)
            return win_fail(ex, s, NULL, sl_error_set(err, rc, "out of memory"), 1, err);
        e->in_scratch = 1;
        e->off = at;
        e->agg_len = w->scratch.len - at;
    }
    /* copy first if the old state is in scratch: appending may move it */
    const uint8_t *old = win_entry_agg(w, e);
    size_t old_len = e->agg_len;
    if (e->in_scratch) {
        sl_buf *t = &w->scratch2;
        sl_buf_reset(t);
        if (sl_buf_append(t, old, old_len) != SL_OK)
            return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1,
                            err);
        old = (const uint8_t *)t->data;
    }
    at = w->scratch.len;
    size_t bad = 0;
    rc = sl_agg_state_update(s->aggs, s->naggs, old, old_len, w->vals, ex->mem, &w->scratch, &bad,
                             err);
    if (rc != SL_OK) {
        char field[SL_ERROR_WHERE_MAX];
        snprintf(field, sizeof(field), "aggregate.%.100s", s->aggs[bad].name);
        return win_fail(ex, s, field, rc, rc != SL_ERR_TYPE && rc != SL_ERR_OVERFLOW, err);
    }
    e->in_scratch = 1;
    e->off = at;
    e->agg_len = w->scratch.len - at;
    return SL_OK;
}

int win_add_result(sl_exec *ex, exec_window *w, int with_bounds, int64_t start, int64_t end,
                   const uint8_t *agg, size_t len, int64_t ts, const char *key, size_t klen,
                   sl_error *err)
{
    yyjson_mut_doc *doc = sl_mem_doc(ex->mem);
    yyjson_mut_val *obj = yyjson_mut_obj(doc);
    int rc = SL_ERR_NOMEM;
    if (!obj)
        goto fail;
    if (with_bounds && (!yyjson_mut_obj_add_int(doc, obj, "start", start) ||
                        !yyjson_mut_obj_add_int(doc, obj, "end", end)))
        goto fail;
    rc = sl_agg_state_result(w->s->aggs, w->s->naggs, agg, len, ex->mem, obj, err);
    if (rc != SL_OK)
        return win_fail(ex, w->s, NULL, rc, 1, err);
    if (w->nres == w->capres) {
        size_t cap = w->capres ? w->capres * 2 : 8;
        win_result *r = realloc(w->res, cap * sizeof(*r));
        if (!r)
            goto fail;
        w->res = r;
        w->capres = cap;
    }
    win_result *r = &w->res[w->nres++];
    r->obj = obj;
    r->ts = ts;
    r->key = NULL;
    r->klen = klen;
    if (key) {
        char *copy = sl_mem_alloc(ex->mem, klen ? klen : 1);
        if (!copy) {
            w->nres--;
            goto fail;
        }
        memcpy(copy, key, klen);
        r->key = copy;
    }
    return SL_OK;
fail:
    return win_fail(ex, w->s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1, err);
}

/* Runs the remaining steps on every queued result, in order. */
static int win_emit(sl_exec *ex, exec_window *w, const exec_item *item, sl_error *err)
{
    for (size_t i = 0; i < w->nres; i++) {
        const win_result *r = &w->res[i];
        exec_item child = *item;
        int rc;
        child.no_headers = 1;
        if (r->key && (rc = win_key_decode(ex, r->key, r->klen, &child, err)) != SL_OK)
            return win_fail(ex, w->s, NULL, rc, 1, err);
        sl_row_init(&child.row, ex->mem, child.row.key, r->ts, sl_value_from_mut_json(r->obj));
        if ((rc = exec_run_steps(ex, &child, w->s->index + 1, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* ---- the partition index (closing "partition") ---- */

static int heap_less(const win_index_entry *a, const win_index_entry *b)
{
    if (a->end != b->end)
        return a->end < b->end;
    return a->start < b->start;
}

static int heap_push(exec_window *w, int64_t start, int64_t end, const void *key, size_t klen)
{
    if (w->nheap == w->capheap) {
        size_t cap = w->capheap ? w->capheap * 2 : 64;
        win_index_entry *h = realloc(w->heap, cap * sizeof(*h));
        if (!h)
            return SL_ERR_NOMEM;
        w->heap = h;
        w->capheap = cap;
    }
    char *copy = malloc(klen ? klen : 1);
    if (!copy)
        return SL_ERR_NOMEM;
    memcpy(copy, key, klen);
    size_t i = w->nheap++;
    w->heap[i] = (win_index_entry){end, start, copy, klen};
    while (i > 0 && heap_less(&w->heap[i], &w->heap[(i - 1) / 2])) {
        win_index_entry t = w->heap[i];
        w->heap[i] = w->heap[(i - 1) / 2];
        w->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return SL_OK;
}

static win_index_entry heap_pop(exec_window *w)
{
    win_index_entry top = w->heap[0];
    w->heap[0] = w->heap[--w->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->nheap && heap_less(&w->heap[l], &w->heap[m]))
            m = l;
        if (r < w->nheap && heap_less(&w->heap[r], &w->heap[m]))
            m = r;
        if (m == i)
            break;
        win_index_entry t = w->heap[i];
        w->heap[i] = w->heap[m];
        w->heap[m] = t;
        i = m;
    }
    return top;
}

typedef struct scan_ctx {
    exec_window *w;
    int rc;
} scan_ctx;

static int scan_one(void *ud, const void *key, size_t klen, const void *value, size_t len)
{
    scan_ctx *c = ud;
    exec_window *w = c->w;
    if (klen == 1 && ((const char *)key)[0] == 0) {
        if (len == 8)
            w->pst = sl_agg_get_i64(value);
        return 0;
    }
    sl_win_record r = {0};
    sl_error e;
    if (sl_win_record_decode(value, len, INT64_MIN, &r, &e) != SL_OK) {
        sl_win_record_free(&r);
        c->rc = SL_ERR_INVALID;
        return 1;
    }
    for (size_t i = 0; i < r.n && c->rc == SL_OK; i++)
        c->rc = heap_push(w, r.w[i].start, r.w[i].end, key, klen);
    sl_win_record_free(&r);
    return c->rc != SL_OK;
}

/* Reads the partition stream time and the open windows of every key. */
static int win_index_load(sl_exec *ex, exec_window *w, sl_error *err)
{
    scan_ctx c = {w, SL_OK};
    if (w->loaded)
        return SL_OK;
    int rc = sl_state_scan(ex->state, w->ns, scan_one, &c, err);
    if (rc < 0 || c.rc != SL_OK) {
        if (c.rc != SL_OK)
            sl_error_set(err, c.rc, "cannot rebuild the window index from the state store");
        return win_fail(ex, w->s, NULL, c.rc != SL_OK ? c.rc : rc, 1, err);
    }
    w->loaded = 1;
    return SL_OK;
}

static int cmp_closed(const void *a, const void *b)
{
    const win_index_entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* Closes every key's windows with end <= wm (closing "partition"): final
 * results are queued ordered by start, then key. Uses w->key and w->r. */
static int win_partition_close(sl_exec *ex, exec_window *w, int64_t wm, sl_error *err)
{
    size_t n = 0;
    int rc = SL_OK;
    while (w->nheap > 0 && w->heap[0].end <= wm) {
        /* popped entries are parked past the heap's end, then sorted */
        win_index_entry e = heap_pop(w);
        w->heap[w->nheap] = e;
        n++;
    }
    if (n == 0)
        return SL_OK;
    win_index_entry *closed = &w->heap[w->nheap];
    qsort(closed, n, sizeof(*closed), cmp_closed);
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        sl_buf_reset(&w->key);
        if (sl_buf_append(&w->key, closed[i].key, closed[i].klen) != SL_OK) {
            rc = win_fail(ex, w->s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1,
                          err);
            break;
        }
        if ((rc = win_load(ex, w, INT64_MIN, err)) != SL_OK)
            break;
        for (size_t j = 0; j < w->r.n; j++) {
            sl_win_entry *e = &w->r.w[j];
            if (e->start != closed[i].start)
                continue;
            if (w->s->emit == SL_EMIT_FINAL)
                rc = win_add_result(ex, w, 1, e->start, e->end, e->agg, e->agg_len, e->start,
                                    closed[i].key, closed[i].klen, err);
            memmove(e, e + 1, (w->r.n - j - 1) * sizeof(*e));
            w->r.n--;
            break;
        }
        if (rc == SL_OK)
            rc = win_store(ex, w, 1, err);
    }
    for (size_t i = 0; i < n; i++)
        free(closed[i].key);
    return rc;
}

/* ---- time windows ---- */

static int64_t floor_to(int64_t ts, int64_t step)
{
    int64_t m = ts % step;
    return ts - (m < 0 ? m + step : m);
}

static int win_time_process(sl_exec *ex, exec_window *w, exec_item *item, sl_error *err)
{
    const sl_step *s = w->s;
    const int64_t ts = item->row.timestamp;
    const int by_partition = s->closing == SL_CLOSING_PARTITION;
    int rc, changed = 0, open = 0;

    if (ts < 0) { /* before the epoch: no window holds it */
        ex->counters.dropped++;
        return SL_OK;
    }
    if (by_partition) {
        if ((rc = win_index_load(ex, w, err)) != SL_OK)
            return rc;
        if (ts > w->pst) {
            uint8_t b[8];
            w->pst = ts;
            sl_agg_put_i64(b, ts);
            rc = sl_state_put(ex->state, w->ns, partition_key, 1, b, 8, err);
            if (rc != SL_OK)
                return win_fail(ex, s, NULL, rc, 1, err);
            if ((rc = win_partition_close(ex, w, w->pst - s->grace_ms, err)) != SL_OK)
                return rc;
        }
        /* the sweep used w->key: the message's key again */
        int has_key;
        if ((rc = win_key(ex, w, item, &has_key, err)) != SL_OK)
            return win_fail(ex, s, NULL, rc, 1, err);
    }
    if ((rc = win_load(ex, w, INT64_MIN, err)) != SL_OK)
        return rc;
    sl_win_record *r = &w->r;
    if (ts > r->mark) {
        r->mark = ts;
        changed = 1;
    }
    const int64_t wm = (by_partition ? w->pst : r->mark) - s->grace_ms;
    if (!by_partition) {
        /* closing "key": this key's stream time closes its windows */
        size_t keep = 0;
        for (size_t i = 0; i < r->n; i++) {
            sl_win_entry *e = &r->w[i];
            if (e->end > wm) {
                r->w[keep++] = *e;
                continue;
            }
            changed = 1;
            if (s->emit == SL_EMIT_FINAL &&
                (rc = win_add_result(ex, w, 1, e->start, e->end, e->agg, e->agg_len, e->start,
                                     NULL, 0, err)) != SL_OK)
                return rc;
        }
        r->n = keep;
    }
    /* the message's windows, by increasing start; r->w stays sorted */
    const int64_t last = floor_to(ts, s->step_ms);
    const int64_t nwin = (last - ts + s->size_ms + s->step_ms - 1) / s->step_ms;
    size_t j = 0;
    for (int64_t k = nwin - 1; k >= 0; k--) {
        const int64_t start = last - k * s->step_ms, end = start + s->size_ms;
        if (start < 0)
            continue; /* windows start at 0 or later (as in Quix Streams) */
        if (end <= wm)
            continue; /* closed: the message is late for this window */
        open = 1;
        while (j < r->n && r->w[j].start < start)
            j++;
        int fresh = j == r->n || r->w[j].start != start;
        if (fresh) {
            if (!sl_win_record_push(r))
                return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1,
                                err);
            memmove(&r->w[j + 1], &r->w[j], (r->n - 1 - j) * sizeof(r->w[0]));
            r->w[j] = (sl_win_entry){start, end, 0, NULL, 0, 0, 0};
            if (by_partition && heap_push(w, start, end, w->key.data, w->key.len) != SL_OK)
                return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1,
                                err);
        }
        if ((rc = win_update_entry(ex, w, &r->w[j], fresh, err)) != SL_OK)
            return rc;
        r->w[j].msgs++;
        changed = 1;
    }
    if (!open)
        ex->counters.late++;
    if (changed && (rc = win_store(ex, w, 0, err)) != SL_OK)
        return rc;
    if (open && s->emit == SL_EMIT_CURRENT) {
        for (size_t i = 0; i < r->n; i++) {
            const sl_win_entry *e = &r->w[i];
            if (e->in_scratch && e->start <= ts && ts < e->end &&
                (rc = win_add_result(ex, w, 1, e->start, e->end, win_entry_agg(w, e),
                                     e->agg_len, e->start, NULL, 0, err)) != SL_OK)
                return rc;
        }
    }
    return SL_OK;
}

int exec_window_step(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    if (!ex->state) {
        sl_error_set(err, SL_ERR_STATE, "op '%s' needs a state store and the task has none",
                     sl_step_op_name(s->op));
        return win_fail(ex, s, NULL, SL_ERR_STATE, 1, err);
    }
    exec_window *w = win_get(ex, s);
    if (!w)
        return win_fail(ex, s, NULL, sl_error_set(err, SL_ERR_NOMEM, "out of memory"), 1, err);
    int rc, has_key;
    w->nres = 0;
    if ((rc = win_key(ex, w, item, &has_key, err)) != SL_OK)
        return win_fail(ex, s, NULL, rc, rc == SL_ERR_NOMEM, err);
    if (!has_key) {
        ex->counters.dropped++;
        return SL_OK;
    }
    if (s->op != SL_STEP_AGGREGATE && (item->row.timestamp > WIN_TS_LIMIT ||
                                        item->row.timestamp < -WIN_TS_LIMIT)) {
        sl_error_set(err, SL_ERR_INVALID, "timestamp %lld is out of range for windows",
                     (long long)item->row.timestamp);
        return win_fail(ex, s, NULL, SL_ERR_INVALID, 0, err);
    }
    if ((rc = win_eval_inputs(ex, w, item, err)) != SL_OK)
        return rc;
    switch (s->op) {
    case SL_STEP_TUMBLING_WINDOW:
    case SL_STEP_HOPPING_WINDOW:
        rc = win_time_process(ex, w, item, err);
        break;
    case SL_STEP_SLIDING_WINDOW:
        rc = win_sliding_process(ex, w, item, err);
        break;
    case SL_STEP_TUMBLING_COUNT_WINDOW:
    case SL_STEP_HOPPING_COUNT_WINDOW:
        rc = win_count_process(ex, w, item, err);
        break;
    default:
        rc = win_aggregate_process(ex, w, item, err);
        break;
    }
    if (rc != SL_OK)
        return rc;
    return win_emit(ex, w, item, err);
}

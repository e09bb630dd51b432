/* sl_scheduler — the task and worker tables, heartbeats, the desired task
 * set and the queries. The rules are stated in sl_scheduler.h, the data model
 * and its invariants in sl_scheduler_int.h; the rebalance pass (leases,
 * hand-off completion, targets, moves) lives in sl_scheduler_balance.c.
 *
 * A heartbeat is the hot call (every worker, every second or so). It costs
 * O(n log T) for the n keys a worker reports among T known tasks, plus merges
 * over that worker's own lists; it never walks all tasks or all workers, and
 * allocates only when a list outgrows its capacity. */
#include "sched/sl_scheduler_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- sorted tables ---------------------------------------------------- */

static int task_ptr_cmp(const void *a, const void *b)
{
    const sched_task *x = *(sched_task *const *)a, *y = *(sched_task *const *)b;
    return strcmp(x->key, y->key);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Index of the first task in v (sorted by key) whose key is >= key. */
static size_t task_lower_bound(sched_task *const *v, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static sched_task *task_find(const sl_scheduler *s, const char *key)
{
    size_t i = task_lower_bound(s->tasks, s->ntasks, key);
    return i < s->ntasks && strcmp(s->tasks[i]->key, key) == 0 ? s->tasks[i] : NULL;
}

/* Returns a new, undesired, unowned task named key (copied), or NULL. */
static sched_task *task_new(const char *key)
{
    size_t len = strlen(key);
    sched_task *t = calloc(1, sizeof(*t) + len + 1);
    if (t)
        memcpy(t->key, key, len + 1);
    return t;
}

/* The task named key; an unknown key is added as an undesired task (a worker
 * runs something nobody asked for: it must be counted until it stops). NULL
 * when out of memory, with nothing changed. */
static sched_task *task_find_or_add(sl_scheduler *s, const char *key)
{
    size_t i = task_lower_bound(s->tasks, s->ntasks, key);
    if (i < s->ntasks && strcmp(s->tasks[i]->key, key) == 0)
        return s->tasks[i];
    if (s->ntasks == s->tasks_cap) {
        size_t cap = s->tasks_cap ? 2 * s->tasks_cap : 64;
        sched_task **v = realloc(s->tasks, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->tasks = v;
        s->tasks_cap = cap;
    }
    sched_task *t = task_new(key);
    if (!t)
        return NULL;
    memmove(&s->tasks[i + 1], &s->tasks[i], (s->ntasks - i) * sizeof(*s->tasks));
    s->tasks[i] = t;
    s->ntasks++;
    return t;
}

static size_t worker_lower_bound(const sl_scheduler *s, const char *id)
{
    size_t lo = 0, hi = s->nworkers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->workers[mid]->id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static sched_worker *worker_find(const sl_scheduler *s, const char *id)
{
    size_t i = worker_lower_bound(s, id);
    return i < s->nworkers && strcmp(s->workers[i]->id, id) == 0 ? s->workers[i] : NULL;
}

void sl_sched_worker_free(sched_worker *w)
{
    if (!w)
        return;
    free(w->owned);
    free(w->assign);
    free(w->running);
    free(w);
}

/* Adds worker id with an empty assignment; NULL when out of memory, with
 * nothing changed. The dirty list and the rebalance scratch grow with the
 * worker table, so marking and sorting workers never allocates. */
static sched_worker *worker_add(sl_scheduler *s, const char *id)
{
    if (s->nworkers == s->workers_cap) {
        size_t cap = s->workers_cap ? 2 * s->workers_cap : 16;
        sched_worker **v;
        if (!(v = realloc(s->workers, cap * sizeof(*v))))
            return NULL;
        s->workers = v;
        if (!(v = realloc(s->dirty, cap * sizeof(*v))))
            return NULL;
        s->dirty = v;
        if (!(v = realloc(s->order, cap * sizeof(*v))))
            return NULL;
        s->order = v;
        s->workers_cap = cap;
    }
    size_t len = strlen(id);
    sched_worker *w = calloc(1, sizeof(*w) + len + 1);
    if (!w)
        return NULL;
    memcpy(w->id, id, len + 1);
    /* Its first answer from this scheduler must beat whatever generation it
     * applied before (from a previous controller): see sl_scheduler.h. */
    w->bump = 1;
    size_t i = worker_lower_bound(s, id);
    memmove(&s->workers[i + 1], &s->workers[i], (s->nworkers - i) * sizeof(*s->workers));
    s->workers[i] = w;
    s->nworkers++;
    return w;
}

/* ---- ownership and assignments (shared with the balance pass) --------- */

void sl_sched_mark_dirty(sl_scheduler *s, sched_worker *w)
{
    if (w->dirty)
        return;
    w->dirty = 1;
    s->dirty[s->ndirty++] = w;
}

int sl_sched_own(sl_scheduler *s, sched_worker *w, sched_task *t)
{
    if (w->nowned == w->owned_cap) {
        /* owned and assign grow together: sync fills assign in place */
        size_t cap = w->owned_cap ? 2 * w->owned_cap : 8;
        sched_task **o = realloc(w->owned, cap * sizeof(*o));
        if (!o)
            return SL_ERR_NOMEM;
        w->owned = o;
        const char **a = realloc(w->assign, cap * sizeof(*a));
        if (!a)
            return SL_ERR_NOMEM;
        w->assign = a;
        w->owned_cap = cap;
    }
    size_t i = task_lower_bound(w->owned, w->nowned, t->key);
    memmove(&w->owned[i + 1], &w->owned[i], (w->nowned - i) * sizeof(*w->owned));
    w->owned[i] = t;
    w->nowned++;
    t->owner = w;
    sl_sched_mark_dirty(s, w);
    return SL_OK;
}

void sl_sched_revoke(sl_scheduler *s, sched_task *t)
{
    sched_worker *w = t->owner;
    size_t i = task_lower_bound(w->owned, w->nowned, t->key);
    memmove(&w->owned[i], &w->owned[i + 1], (w->nowned - i - 1) * sizeof(*w->owned));
    w->nowned--;
    t->owner = NULL;
    t->from = w;
    /* The sync at the end of this call increments w's generation exactly
     * once (bump), and nothing changes it before: the answer that drops t
     * carries generation + 1. Once w says it applied that generation and
     * does not list t, it has stopped t for good (an older answer still
     * listing t can no longer restart it). */
    t->from_gen = w->generation + 1;
    w->bump = 1;
    sl_sched_mark_dirty(s, w);
    s->stale = 1;
}

int sl_sched_reports(const sched_worker *w, const sched_task *t)
{
    size_t i = task_lower_bound(w->running, w->nrunning, t->key);
    return i < w->nrunning && w->running[i] == t;
}

/* Rebuilds w->assign from its owned tasks, in place (both sorted by key).
 * An owned task some other worker still reports running is left out: it is
 * being handed over to w, and w starts it only once the other one stopped.
 * Returns 1 when the list changed. */
static int assign_rebuild(sched_worker *w)
{
    int changed = 0;
    size_t n = 0, r = 0;
    for (size_t i = 0; i < w->nowned; i++) {
        const sched_task *t = w->owned[i];
        size_t mine = 0;
        if (t->nrunning > 0) {
            while (r < w->nrunning && strcmp(w->running[r]->key, t->key) < 0)
                r++;
            mine = r < w->nrunning && w->running[r] == t;
        }
        if (t->nrunning > mine)
            continue;
        /* compares the old entry n (a live task's key: tasks in an
         * assignment are owned, so not freed) before overwriting it */
        if (n >= w->nassign || w->assign[n] != t->key)
            changed = 1;
        w->assign[n++] = t->key;
    }
    if (n != w->nassign)
        changed = 1;
    w->nassign = n;
    return changed;
}

void sl_sched_sync(sl_scheduler *s)
{
    for (size_t d = 0; d < s->ndirty; d++) {
        sched_worker *w = s->dirty[d];
        w->dirty = 0;
        if (assign_rebuild(w) || w->bump)
            w->generation++;
        w->bump = 0;
    }
    s->ndirty = 0;
}

void sl_sched_gc(sl_scheduler *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->ntasks; i++) {
        sched_task *t = s->tasks[i];
        if (!t->desired && !t->owner && !t->from && t->nrunning == 0)
            free(t);
        else
            s->tasks[k++] = t;
    }
    s->ntasks = k;
}

/* ---- lifecycle -------------------------------------------------------- */

sl_scheduler *sl_scheduler_create(int64_t lease_ms)
{
    sl_scheduler *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->lease_ms = lease_ms > 0 ? lease_ms : 0;
    s->holding = 1; /* a new scheduler is a controller start: see the header */
    s->stale = 1;
    return s;
}

void sl_scheduler_destroy(sl_scheduler *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ntasks; i++)
        free(s->tasks[i]);
    for (size_t i = 0; i < s->nworkers; i++)
        sl_sched_worker_free(s->workers[i]);
    free(s->tasks);
    free(s->workers);
    free(s->dirty);
    free(s->order);
    free(s->scratch);
    free(s);
}

/* ---- the desired set -------------------------------------------------- */

int sl_scheduler_set_tasks(sl_scheduler *s, const char *const *keys, size_t n)
{
    if (!s || (n && !keys))
        return SL_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!keys[i])
            return SL_ERR_INVALID;
    int rc = SL_ERR_NOMEM;
    sched_task **fresh = NULL, **next = NULL;
    size_t nfresh = 0, m = 0;
    const char **want = malloc((n ? n : 1) * sizeof(*want));
    if (!want || !(fresh = malloc((n ? n : 1) * sizeof(*fresh))))
        goto out;
    if (n)
        memcpy(want, keys, n * sizeof(*want));
    qsort(want, n, sizeof(*want), key_cmp);
    for (size_t j = 0; j < n; j++)
        if (m == 0 || strcmp(want[m - 1], want[j]) != 0)
            want[m++] = want[j];

    /* First everything that can fail: the tasks for new keys (in key order)
     * and, when there are any, the merged table. */
    for (size_t i = 0, j = 0; j < m; j++) {
        while (i < s->ntasks && strcmp(s->tasks[i]->key, want[j]) < 0)
            i++;
        if (i < s->ntasks && strcmp(s->tasks[i]->key, want[j]) == 0)
            continue;
        if (!(fresh[nfresh] = task_new(want[j])))
            goto out;
        nfresh++;
    }
    next = s->tasks; /* no new keys: merge in place (writes trail reads) */
    if (nfresh && !(next = malloc((s->ntasks + nfresh) * sizeof(*next))))
        goto out;

    /* Then the merge, which cannot fail: flip desired flags, revoke what is
     * no longer desired. Only a desired -> undesired change revokes here; a
     * task adopted while undesired during the hold stays until the first
     * rebalance after it (the catalog may still be loading). */
    size_t i = 0, j = 0, f = 0, k = 0;
    int changed = 0;
    while (i < s->ntasks || j < m) {
        int c = i == s->ntasks ? 1 : j == m ? -1 : strcmp(s->tasks[i]->key, want[j]);
        sched_task *t;
        if (c < 0) {
            t = s->tasks[i++];
            if (t->desired) {
                t->desired = 0;
                changed = 1;
                if (t->owner)
                    sl_sched_revoke(s, t);
            }
        } else if (c > 0) {
            t = fresh[f++];
            t->desired = 1;
            j++;
            changed = 1;
        } else {
            t = s->tasks[i++];
            j++;
            if (!t->desired) {
                t->desired = 1;
                changed = 1;
            }
        }
        next[k++] = t;
    }
    if (next != s->tasks) {
        free(s->tasks);
        s->tasks = next;
        s->tasks_cap = s->ntasks + nfresh;
    }
    next = NULL;
    nfresh = 0; /* the table owns them now */
    s->ntasks = k;
    s->ndesired = m;
    if (changed)
        s->stale = 1;
    sl_sched_sync(s);
    sl_sched_gc(s);
    rc = SL_OK;
out:
    for (size_t x = 0; x < nfresh; x++)
        free(fresh[x]);
    if (next != s->tasks)
        free(next);
    free(fresh);
    free(want);
    return rc;
}

/* ---- heartbeats ------------------------------------------------------- */

/* Replaces w's running list by v (sorted, unique), keeping every task's
 * nrunning exact. A task that another worker owns and that w starts or stops
 * reporting changes what that owner may run: its assignment is recomputed. */
static void running_replace(sl_scheduler *s, sched_worker *w, sched_task *const *v, size_t n)
{
    size_t i = 0, j = 0;
    int changed = 0;
    while (i < w->nrunning || j < n) {
        int c = i == w->nrunning ? 1 : j == n ? -1 : strcmp(w->running[i]->key, v[j]->key);
        sched_task *t;
        if (c == 0) {
            i++;
            j++;
            continue;
        }
        if (c < 0) {
            t = w->running[i++];
            t->nrunning--;
        } else {
            t = v[j++];
            t->nrunning++;
        }
        changed = 1;
        if (t->owner && t->owner != w)
            sl_sched_mark_dirty(s, t->owner);
    }
    if (n)
        memcpy(w->running, v, n * sizeof(*v));
    w->nrunning = n;
    if (changed)
        s->stale = 1;
}

/* Adoption: w becomes the owner of the tasks it runs that nobody owns and
 * that are not being handed off, in key order, up to its capacity. During
 * the hold (until the first rebalance past hold_until_ms) undesired tasks are
 * adopted too: after a controller restart the desired set may still be
 * incomplete, and a restart must stop nothing. */
static int adopt(sl_scheduler *s, sched_worker *w)
{
    for (size_t i = 0; i < w->nrunning && w->nowned < (size_t)w->capacity; i++) {
        sched_task *t = w->running[i];
        if (t->owner || t->from || (!t->desired && !s->holding))
            continue;
        if (sl_sched_own(s, w, t) != SL_OK)
            return SL_ERR_NOMEM;
        s->stale = 1;
    }
    return SL_OK;
}

int sl_scheduler_heartbeat(sl_scheduler *s, const char *id, int capacity,
                           uint64_t generation_seen, const char *const *running, size_t n,
                           int64_t now_ms)
{
    if (!s || !id || !id[0] || capacity < 1 || (n && !running))
        return SL_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!running[i])
            return SL_ERR_INVALID;

    /* What can fail comes first; a failure leaves at most some unknown keys
     * added as undesired tasks, which the next gc drops. */
    if (n > s->scratch_cap) {
        sched_task **v = realloc(s->scratch, n * sizeof(*v));
        if (!v)
            return SL_ERR_NOMEM;
        s->scratch = v;
        s->scratch_cap = n;
    }
    for (size_t i = 0; i < n; i++)
        if (!(s->scratch[i] = task_find_or_add(s, running[i])))
            return SL_ERR_NOMEM;
    if (n > 1) /* scratch is still NULL when no worker ever reported a task */
        qsort(s->scratch, n, sizeof(*s->scratch), task_ptr_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || s->scratch[m - 1] != s->scratch[i])
            s->scratch[m++] = s->scratch[i];
    sched_worker *w = worker_find(s, id);
    if (!w) {
        if (!(w = worker_add(s, id)))
            return SL_ERR_NOMEM;
        w->capacity = capacity;
        w->last_heartbeat_ms = now_ms;
        s->stale = 1;
    }
    if (m > w->running_cap) {
        sched_task **v = realloc(w->running, m * sizeof(*v));
        if (!v)
            return SL_ERR_NOMEM;
        w->running = v;
        w->running_cap = m;
    }

    /* A generation the worker applied but we never gave it (first contact,
     * or a previous controller): ours continues above it. */
    if (generation_seen > w->generation) {
        w->generation = generation_seen;
        w->bump = 1;
    }
    if (w->capacity != capacity || w->generation_seen != generation_seen)
        s->stale = 1;
    w->capacity = capacity;
    w->generation_seen = generation_seen;
    w->last_heartbeat_ms = now_ms;
    sl_sched_mark_dirty(s, w);
    running_replace(s, w, s->scratch, m);
    int rc = adopt(s, w);
    sl_sched_sync(s);
    return rc;
}

/* ---- queries ---------------------------------------------------------- */

int sl_scheduler_assignment(const sl_scheduler *s, const char *id, const char *const **keys,
                            size_t *n, uint64_t *generation)
{
    static const char *const none[1] = {NULL};
    const sched_worker *w = s && id ? worker_find(s, id) : NULL;
    if (keys)
        *keys = w && w->assign ? w->assign : none;
    if (n)
        *n = w ? w->nassign : 0;
    if (generation)
        *generation = w ? w->generation : 0;
    return w ? SL_OK : SL_ERR_NOT_FOUND;
}

const char *sl_scheduler_owner(const sl_scheduler *s, const char *key, int *revoking)
{
    int dummy;
    if (!revoking)
        revoking = &dummy;
    *revoking = 0;
    const sched_task *t = s && key ? task_find(s, key) : NULL;
    if (!t)
        return NULL;
    if (t->from) {
        *revoking = 1;
        return t->from->id;
    }
    /* Still running on a worker that does not own it (the owner waits for
     * it): the first such worker by id. Only then are workers walked. */
    size_t mine = t->owner && sl_sched_reports(t->owner, t);
    if (t->nrunning > mine) {
        for (size_t i = 0; i < s->nworkers; i++) {
            const sched_worker *w = s->workers[i];
            if (w != t->owner && sl_sched_reports(w, t)) {
                *revoking = 1;
                return w->id;
            }
        }
    }
    return t->owner ? t->owner->id : NULL;
}

int sl_scheduler_worker_leave(sl_scheduler *s, const char *id)
{
    sched_worker *w = worker_find(s, id);
    if (!w)
        return SL_ERR_NOT_FOUND;
    w->last_heartbeat_ms = -s->lease_ms; /* its lease ended at time 0 */
    s->next_expiry_ms = 0;
    s->stale = 1;
    return SL_OK;
}

size_t sl_scheduler_worker_count(const sl_scheduler *s)
{
    return s ? s->nworkers : 0;
}

int sl_scheduler_worker(const sl_scheduler *s, size_t i, sl_sched_worker_info *out)
{
    if (!s || !out || i >= s->nworkers)
        return SL_ERR_NOT_FOUND;
    const sched_worker *w = s->workers[i];
    out->id = w->id;
    out->capacity = w->capacity;
    out->assigned = w->nowned;
    out->running = w->nrunning;
    out->last_heartbeat_ms = w->last_heartbeat_ms;
    out->lease_expires_ms = sl_sched_lease_end(s, w);
    out->generation = w->generation;
    return SL_OK;
}

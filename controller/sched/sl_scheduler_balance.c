/* sl_scheduler_balance — the rebalance pass: expire leases, complete
 * hand-offs, then (outside the hold) revoke what is no longer desired, work
 * out each worker's capacity-weighted target, take the excess from workers
 * above target and deal the free tasks to workers below it.
 *
 * The pass is idempotent: run twice with nothing reported, set or expired in
 * between, the second changes nothing. So sl_scheduler_rebalance, which the
 * controller calls after every heartbeat, returns at once unless something
 * changed (stale), a lease may have expired or the hold just ended; a full
 * pass is O(T log T + W log W) for T tasks and W workers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sl_scheduler_int.h"

int64_t sl_sched_lease_end(const sl_scheduler *s, const sched_worker *w)
{
    if (w->last_heartbeat_ms > INT64_MAX - s->lease_ms)
        return INT64_MAX;
    return w->last_heartbeat_ms + s->lease_ms;
}

/* Counts t as moved in this pass, once however often its owner changes. */
static void count_move(const sl_scheduler *s, sched_task *t, int *moved)
{
    if (t->mark != s->epoch) {
        t->mark = s->epoch;
        (*moved)++;
    }
}

/* Forgets the workers whose lease ended. A worker that cannot renew its
 * lease stops its tasks before the lease ends (the worker side of the
 * contract), so its tasks are free at once and hand-offs from it complete;
 * what it last reported no longer holds anybody back. */
static void expire(sl_scheduler *s, int64_t now_ms, int *moved)
{
    size_t ndead = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        sched_worker *w = s->workers[i];
        if (now_ms >= sl_sched_lease_end(s, w)) {
            w->dead = 1;
            ndead++;
        }
    }
    if (!ndead)
        return;
    for (size_t i = 0; i < s->ntasks; i++) {
        sched_task *t = s->tasks[i];
        if (t->owner && t->owner->dead) {
            t->owner = NULL;
            count_move(s, t, moved);
        }
        if (t->from && t->from->dead)
            t->from = NULL;
    }
    /* owners are all alive now, so no dead worker is marked dirty */
    for (size_t i = 0; i < s->nworkers; i++) {
        sched_worker *w = s->workers[i];
        if (!w->dead)
            continue;
        for (size_t r = 0; r < w->nrunning; r++) {
            sched_task *t = w->running[r];
            t->nrunning--;
            if (t->owner)
                sl_sched_mark_dirty(s, t->owner);
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        if (s->workers[i]->dead)
            sl_sched_worker_free(s->workers[i]);
        else
            s->workers[k++] = s->workers[i];
    }
    s->nworkers = k;
}

/* A hand-off from A completes once A has applied the generation that
 * dropped the task and no longer reports it (expire handles A's death). The
 * task is then free, unless some other worker still runs it. */
static void complete_handoffs(sl_scheduler *s)
{
    for (size_t i = 0; i < s->ntasks; i++) {
        sched_task *t = s->tasks[i];
        if (t->from && t->from->generation_seen >= t->from_gen && !sl_sched_reports(t->from, t))
            t->from = NULL;
    }
}

/* Owned tasks that are not desired (adopted during the hold, never desired
 * since) are revoked once the hold is over. */
static void revoke_undesired(sl_scheduler *s, int *moved)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        sched_worker *w = s->workers[i];
        for (size_t j = w->nowned; j-- > 0;) {
            sched_task *t = w->owned[j];
            if (!t->desired) {
                sl_sched_revoke(s, t);
                count_move(s, t, moved);
            }
        }
    }
}

/* Most spare capacity (capacity - floor share) first, then by id. */
static int spare_cmp(const void *a, const void *b)
{
    const sched_worker *x = *(sched_worker *const *)a, *y = *(sched_worker *const *)b;
    size_t sx = (size_t)x->capacity - x->target, sy = (size_t)y->capacity - y->target;
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Targets: with N desired tasks and total capacity C, a worker of capacity c
 * gets floor(N * c / C), never above c; the remainder goes one each to the
 * workers with the most spare capacity, ties by id. When N >= C every worker
 * is full and the rest stays unassigned. Targets depend only on N and the
 * capacities, never on who runs what, so they are stable between passes. */
static void compute_targets(sl_scheduler *s)
{
    uint64_t total = 0, n = s->ndesired, given = 0;
    for (size_t i = 0; i < s->nworkers; i++)
        total += (uint64_t)s->workers[i]->capacity;
    if (n >= total) {
        for (size_t i = 0; i < s->nworkers; i++)
            s->workers[i]->target = (size_t)s->workers[i]->capacity;
        return;
    }
    /* n < total, so each share n*c/total < c: every worker keeps at least one
     * spare slot, and the remainder (< number of workers) always fits. The
     * product cannot overflow: n < 2^33 tasks, c < 2^31. */
    for (size_t i = 0; i < s->nworkers; i++) {
        sched_worker *w = s->workers[i];
        w->target = (size_t)(n * (uint64_t)w->capacity / total);
        given += w->target;
        s->order[i] = w;
    }
    qsort(s->order, s->nworkers, sizeof(*s->order), spare_cmp);
    for (size_t i = 0; i < n - given; i++)
        s->order[i]->target++;
}

/* Workers above target give away exactly their excess, the tasks that sort
 * last; nobody else gives anything. */
static void shed_excess(sl_scheduler *s, int *moved)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        sched_worker *w = s->workers[i];
        while (w->nowned > w->target) {
            sched_task *t = w->owned[w->nowned - 1];
            sl_sched_revoke(s, t);
            count_move(s, t, moved);
        }
    }
}

/* Deals the free tasks (desired, unowned, not being handed off, run by
 * nobody) in key order, round robin over the workers below target in id
 * order, so the partitions of one pipeline spread out. */
static void assign_free(sl_scheduler *s, int *moved)
{
    size_t ncand = 0, k = 0;
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i]->nowned < s->workers[i]->target)
            s->order[ncand++] = s->workers[i];
    for (size_t i = 0; i < s->ntasks && ncand > 0; i++) {
        sched_task *t = s->tasks[i];
        if (!t->desired || t->owner || t->from || t->nrunning > 0)
            continue;
        while (ncand > 0) {
            sched_worker *w = s->order[k];
            int rc = sl_sched_own(s, w, t);
            if (rc == SL_OK)
                count_move(s, t, moved);
            if (rc == SL_OK && w->nowned < w->target) {
                k++;
            } else {
                /* at target, or out of memory: nothing more for it now */
                ncand--;
                memmove(&s->order[k], &s->order[k + 1], (ncand - k) * sizeof(*s->order));
            }
            if (k >= ncand)
                k = 0;
            if (rc == SL_OK)
                break;
        }
    }
}

int sl_scheduler_rebalance(sl_scheduler *s, int64_t now_ms, int64_t hold_until_ms)
{
    if (!s)
        return 0;
    int holding = now_ms < hold_until_ms;
    if (!s->stale && holding == s->holding && now_ms < s->next_expiry_ms)
        return 0;
    s->holding = holding;
    s->epoch++;
    int moved = 0;
    expire(s, now_ms, &moved);
    complete_handoffs(s);
    if (!holding) {
        revoke_undesired(s, &moved);
        compute_targets(s);
        shed_excess(s, &moved);
        assign_free(s, &moved);
    }
    sl_sched_sync(s);
    sl_sched_gc(s);
    s->next_expiry_ms = INT64_MAX;
    for (size_t i = 0; i < s->nworkers; i++) {
        int64_t end = sl_sched_lease_end(s, s->workers[i]);
        if (end < s->next_expiry_ms)
            s->next_expiry_ms = end;
    }
    s->stale = 0;
    return moved;
}

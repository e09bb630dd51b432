/* sl_scheduler — who runs which task: balanced by task count weighted by
 * capacity, sticky, with a two-step hand-off and leases.
 *
 * A task is named by a key (any string, e.g. "acme/speeding/3"). The
 * scheduler keeps, for every task, its owner (the worker it is assigned to)
 * and, for every worker, what it last reported running. The rules:
 *
 *  - A worker is alive while now < last heartbeat + lease_ms. A worker that
 *    stops heartbeating loses its tasks when its lease expires (it stops them
 *    itself before that: see docs/operations.md).
 *  - Hand-off is two-step: a task taken from worker A (rebalance, pipeline
 *    paused or deleted) is first revoked: it leaves A's assignment. It can be
 *    given to worker B only once A no longer reports it running, or A's lease
 *    has expired. So two live workers never run one task at once.
 *    "No longer reports it" counts only from a heartbeat whose
 *    generation_seen is at least the generation that dropped the task: an
 *    older heartbeat may predate A even starting it.
 *  - Balance: each alive worker's target is its share of all assignable tasks,
 *    proportional to capacity, never above capacity; the rounding remainder goes
 *    to the workers with the most spare capacity, ties by id. Only workers above
 *    target give tasks away, exactly the excess (the tasks that sort last), so
 *    a new worker takes over a minimal number of tasks and nothing else moves.
 *    Precisely: with N desired tasks and total capacity C, a worker of
 *    capacity c gets floor(N * c / C); the remainder goes one each to the
 *    workers with the largest c - floor(N * c / C); when N >= C every target
 *    is the capacity and the tasks beyond it stay unassigned. Free tasks are
 *    dealt in key order, round robin over the workers below target in id
 *    order (so one pipeline's partitions spread out).
 *  - Sticky: an owned task stays with its owner while the owner is alive and
 *    within target.
 *  - A task reported running by a worker that does not own it and that is not
 *    owned by anyone (a controller restart) is adopted: that worker becomes its
 *    owner, so a restart moves no task. Adoption happens in
 *    sl_scheduler_heartbeat, so the answer to that very heartbeat keeps the
 *    task; it never takes a worker above its capacity, never takes a task
 *    being handed off, and takes only desired tasks, except during the hold
 *    (see sl_scheduler_rebalance), when the desired set may still be
 *    incomplete and any reported task is adopted.
 *  - A task reported running by W while a different live worker X owns it
 *    (two workers think they run it, e.g. W came back after its lease
 *    expired): W is told to stop (its assignment never holds a task it does
 *    not own) and X's assignment leaves the task out, though X keeps owning
 *    it, until W no longer reports it (or W's lease expires). So X never
 *    starts a task W still runs.
 *  - A task running on a worker that does not own it is never assigned to
 *    anyone else until it stops there.
 *  - Every change to a worker's assignment increments that worker's
 *    generation (never below what the worker reports having seen). A
 *    worker's first answer from this scheduler, and any answer after it
 *    reported a generation_seen above ours, carries generation_seen + 1, so a
 *    worker that applied a generation from a previous controller applies it.
 *    Several changes in one call make one increment.
 *
 * Deterministic: the same calls in the same order give the same result (the
 * order of keys inside one call does not matter).
 * Not thread-safe: the caller serialises calls (the controller's lock).
 *
 * Cost: a heartbeat is O(n log T) for n reported among T tasks; a rebalance
 * with nothing new (no change since the last one, no lease due, hold not
 * ending) returns at once, otherwise it is O(T log T + W log W). */
#ifndef SL_SCHEDULER_H
#define SL_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "util/sl_error.h"

typedef struct sl_scheduler sl_scheduler;

/* Returns a new scheduler with the given lease length, or NULL (no memory). */
sl_scheduler *sl_scheduler_create(int64_t lease_ms);

/* Frees everything; NULL is a no-op. */
void sl_scheduler_destroy(sl_scheduler *s);

/* Sets the desired task set (keys copied; duplicates and order do not
 * matter). Tasks no longer desired are revoked from their owners; new ones
 * wait for sl_scheduler_rebalance. SL_OK, SL_ERR_INVALID (a NULL key) or
 * SL_ERR_NOMEM (nothing changed). */
int sl_scheduler_set_tasks(sl_scheduler *s, const char *const *keys, size_t n);

/* Records a heartbeat of worker id at now_ms: its capacity (max tasks, >= 1),
 * the generation it has applied, and the task keys it runs (copied;
 * duplicates and order do not matter). Adds the worker when new; renews its
 * lease; adopts (see above). SL_OK, SL_ERR_INVALID (empty id, capacity < 1,
 * a NULL key) or SL_ERR_NOMEM. */
int sl_scheduler_heartbeat(sl_scheduler *s, const char *id, int capacity,
                           uint64_t generation_seen, const char *const *running, size_t n,
                           int64_t now_ms);

/* Worker id leaves: it has stopped all its tasks (its last heartbeat listed
 * none), so it is treated as if its lease had expired: the next rebalance
 * gives its tasks to others at once. SL_ERR_NOT_FOUND for an unknown worker. */
int sl_scheduler_worker_leave(sl_scheduler *s, const char *id);

/* Expires leases at now_ms (an expired worker's tasks become free, and the
 * worker is forgotten), completes hand-offs, and rebalances unless
 * now_ms < hold_until_ms (then nothing new is assigned: after a controller
 * start, wait one lease for every worker to report). During the hold nothing
 * is revoked for balance either (the picture is incomplete); at the first
 * rebalance after it, adopted tasks that are not desired are revoked.
 * Returns the number of tasks whose owner changed in this call (a revoke
 * counts: owner -> none; a task counts once even if it changed twice). */
int sl_scheduler_rebalance(sl_scheduler *s, int64_t now_ms, int64_t hold_until_ms);

/* The tasks worker id must run now (borrowed until the next mutating call),
 * and its generation. SL_ERR_NOT_FOUND for an unknown worker. */
int sl_scheduler_assignment(const sl_scheduler *s, const char *id, const char *const **keys,
                            size_t *n, uint64_t *generation);

/* The owner of a task (borrowed) or NULL when unassigned; *revoking set to 1
 * when the task is being handed off (owner NULL, still running on the old
 * worker) — the old worker's id is then returned. Likewise whenever the task
 * still runs on a worker that does not own it (a removed task stopping, a
 * conflicting report): that worker's id (the first by id), *revoking 1.
 * revoking may be NULL. */
const char *sl_scheduler_owner(const sl_scheduler *s, const char *key, int *revoking);

/* Workers, for listing: count, and the i-th (0-based, sorted by id). */
size_t sl_scheduler_worker_count(const sl_scheduler *s);
typedef struct sl_sched_worker_info {
    const char *id;          /* borrowed */
    int capacity;
    size_t assigned;         /* tasks it owns */
    size_t running;          /* tasks it last reported */
    int64_t last_heartbeat_ms;
    int64_t lease_expires_ms;
    uint64_t generation;
} sl_sched_worker_info;
int sl_scheduler_worker(const sl_scheduler *s, size_t i, sl_sched_worker_info *out);

#endif

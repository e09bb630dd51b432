/* sl_scheduler_int — the scheduler's private state, shared by its two files:
 * sl_scheduler.c (task and worker tables, heartbeats, the desired set,
 * queries, and turning ownership into assignments) and
 * sl_scheduler_balance.c (leases, hand-off completion, targets and moves).
 * Not part of the contract: include it from controller/sched/ only.
 *
 * The model. Every task the scheduler knows (desired, owned, being handed
 * off, or reported running by someone) has one sched_task, allocated once and
 * never moved, so workers can point at it. A task has at most one owner; a
 * worker's owned list is exactly the tasks whose owner it is, sorted by key.
 * What a worker must run (its assignment) is derived from its owned list by
 * sl_sched_sync at the end of every mutating call, so it is never stale when
 * the caller reads it. Invariants between calls:
 *
 *   - owner != NULL implies from == NULL (a task being handed off is unowned);
 *   - nrunning == the number of workers whose running list holds the task;
 *   - every key in an assignment is that worker's owned task, so a task is
 *     freed (sl_sched_gc) only when unowned, undesired, not being handed off
 *     and reported by nobody, and never before the sync of the call. */
#ifndef SL_SCHEDULER_INT_H
#define SL_SCHEDULER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sched/sl_scheduler.h"

typedef struct sched_worker sched_worker;

typedef struct sched_task {
    sched_worker *owner; /* NULL when unowned */
    sched_worker *from;  /* hand-off in progress: revoked from this worker… */
    uint64_t from_gen;   /* …which must apply this generation and stop it */
    size_t nrunning;     /* workers whose last heartbeat lists it */
    uint64_t mark;       /* rebalance epoch of its last owner change */
    int desired;
    char key[];
} sched_task;

struct sched_worker {
    int capacity;
    uint64_t generation;      /* of the assignment below */
    uint64_t generation_seen; /* what the worker last said it applied */
    int64_t last_heartbeat_ms;
    sched_task **owned;       /* sorted by key */
    size_t nowned;
    const char **assign;      /* what it must run, sorted; keys borrowed from tasks */
    size_t nassign;
    size_t owned_cap;         /* capacity of both owned and assign */
    sched_task **running;     /* last heartbeat, sorted by key, no duplicates */
    size_t nrunning, running_cap;
    size_t target;            /* balance target, valid during a rebalance */
    int dirty;                /* in the dirty list: assignment to recompute */
    int bump;                 /* next sync increments generation even if unchanged */
    int dead;                 /* lease expired, being forgotten */
    char id[];
};

struct sl_scheduler {
    int64_t lease_ms;
    sched_task **tasks; /* sorted by key */
    size_t ntasks, tasks_cap;
    size_t ndesired;
    sched_worker **workers; /* sorted by id */
    size_t nworkers, workers_cap;
    sched_worker **dirty;   /* workers to sync; capacity workers_cap */
    size_t ndirty;
    sched_worker **order;   /* scratch for rebalance; capacity workers_cap */
    sched_task **scratch;   /* scratch for heartbeats */
    size_t scratch_cap;
    int holding;            /* inside hold_until_ms at the last rebalance */
    int stale;              /* something changed that a rebalance must look at */
    int64_t next_expiry_ms; /* no lease expires before this */
    uint64_t epoch;         /* rebalance counter, for sched_task.mark */
};

/* Helpers shared by the two files. All run under the caller's lock. */

/* Queues w for sl_sched_sync. */
void sl_sched_mark_dirty(sl_scheduler *s, sched_worker *w);

/* Makes w the owner of the unowned, not-handing-off task t. SL_ERR_NOMEM
 * leaves everything unchanged. */
int sl_sched_own(sl_scheduler *s, sched_worker *w, sched_task *t);

/* Takes t from its owner: t starts being handed off from it, until the owner
 * has applied the generation that drops t and no longer reports it. */
void sl_sched_revoke(sl_scheduler *s, sched_task *t);

/* 1 when w's last heartbeat listed t. */
int sl_sched_reports(const sched_worker *w, const sched_task *t);

/* Recomputes the assignment of every dirty worker, incrementing its
 * generation when it changed (or a bump was asked for). Never fails. */
void sl_sched_sync(sl_scheduler *s);

/* Frees a worker and its lists (not its tasks); NULL is a no-op. */
void sl_sched_worker_free(sched_worker *w);

/* When w's lease ends: last heartbeat + lease, saturated. */
int64_t sl_sched_lease_end(const sl_scheduler *s, const sched_worker *w);

/* Frees the tasks nobody desires, owns, hands off or runs. Call after sync. */
void sl_sched_gc(sl_scheduler *s);

#endif

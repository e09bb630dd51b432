/* sl_task — one task: a pipeline's plan applied to one input partition.
 *
 * A task belongs to exactly one runner thread (sl_task_runner) for its whole
 * life; its fields are written only by that thread. The counters are atomics
 * so that the metrics thread can read them while the task runs. */
#ifndef SL_TASK_H
#define SL_TASK_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/sl_exec.h"
#include "engine/sl_state.h"
#include "kafka/sl_producer.h"
#include "metrics/sl_metrics.h"
#include "spec/sl_spec.h"

typedef enum sl_task_state {
    SL_TASK_STARTING = 0,
    SL_TASK_RUNNING,
    SL_TASK_FAILED,
    SL_TASK_STOPPED
} sl_task_state;

struct sl_task_runner;

typedef struct sl_task {
    const sl_plan *plan; /* borrowed */
    struct sl_task_runner *runner; /* the owning runner (emit callback's context) */
    sl_producer *producer;         /* where emit sends records: the runner's producer
                                    * (at-least-once) or txn (exactly-once); borrowed */
    int32_t partition;
    char label[160];     /* "pipeline/partition", for logs */
    sl_exec *exec;       /* owned */
    int64_t next_offset; /* next input offset to process; -1 until the first message */
    int64_t committed;   /* last committed next-offset; -1 none */
    int dirty;           /* processed since the last commit */
    int64_t ck_offset;   /* next offset the checkpoint in flight commits; -1 none */
    atomic_int state;    /* sl_task_state */
    char last_error[SL_ERROR_MSG_MAX + SL_ERROR_WHERE_MAX + 64];
    atomic_uint_fast64_t tombstones;
    atomic_int_fast64_t lag; /* high watermark - next offset; -1 unknown */
    /* A snapshot for other threads (a cluster worker's heartbeats), written
     * by the runner thread after every batch and checkpoint: committed and the
     * executor's counters are plain fields of the runner thread. */
    atomic_int_fast64_t pub_committed; /* last committed next-offset; -1 none */
    atomic_uint_fast64_t pub_in, pub_out, pub_errors;
    /* Prometheus series (NULL without metrics), updated after each batch by
     * the runner thread from the executor's counters. */
    sl_counter *m_in, *m_out, *m_errors, *m_dead, *m_tombstones, *m_late;
    sl_gauge *m_lag, *m_failed;
    sl_exec_counters published; /* counter values already added to the series */
    uint64_t published_tombstones;
    /* State (stateful plans; sl_task_state.c) */
    sl_state *store;          /* owned; NULL for stateless plans */
    int64_t changelog_pos;    /* lower bound of the changelog's end after our last
                               * committed checkpoint (see sl_task_state.c) */
    int64_t changelog_unacked; /* changelog records produced since the last commit */
    unsigned char *keybuf;    /* scratch for changelog record keys */
    size_t keybuf_cap;
    sl_counter *m_restored;   /* changelog records applied by restores */
    sl_gauge *m_restore_seconds;
    /* Exactly-once (sl_task_txn.c) */
    sl_producer *txn;         /* owned transactional producer; NULL at-least-once */
    int txn_open;             /* a transaction has begun and not ended */
} sl_task;

/* Returns the textual name of a task state ("running"). */
const char *sl_task_state_name(int state);

#endif

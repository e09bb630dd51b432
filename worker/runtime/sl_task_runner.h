/* sl_task_runner — one worker thread running a set of tasks of one pipeline.
 *
 * A runner owns a Kafka consumer (its tasks' partitions, manually assigned,
 * starting at the committed offsets), a producer, and one executor per task.
 * Its loop: take a batch, run every message through its task's executor,
 * produce the outputs, reset batch memory; every commit interval (or N
 * messages) checkpoint: flush the producer, and only if every delivery
 * succeeded, commit the tasks' next offsets. On stop it finishes the batch
 * in hand, checkpoints and returns.
 *
 * @locality: a runner's own thread, except the read-only accessors marked
 * "any thread". */
#ifndef SL_TASK_RUNNER_H
#define SL_TASK_RUNNER_H

#include <stdint.h>

#include "metrics/sl_metrics.h"
#include "runtime/sl_task.h"
#include "runtime/sl_worker_config.h"
#include "spec/sl_spec.h"

typedef struct sl_task_runner sl_task_runner;

/* Returns a new runner (not started) for plan (borrowed) and the given input
 * partitions (copied), with Kafka settings from cfg (borrowed: must outlive
 * the runner), publishing its series into metrics (borrowed, may be NULL).
 * NULL with err on failure. Free with sl_task_runner_destroy. */
sl_task_runner *sl_task_runner_create(const sl_plan *plan, const sl_worker_config *cfg,
                                      const int32_t *partitions, int count, int index,
                                      sl_metrics *metrics, sl_error *err);

/* Starts the runner's thread. */
int sl_task_runner_start(sl_task_runner *r, sl_error *err);

/* Asks the thread to stop after its batch and final checkpoint (any thread). */
void sl_task_runner_request_stop(sl_task_runner *r);

/* Joins the thread; returns 0 when its final checkpoint succeeded and no
 * delivery failed for good, else non-zero. */
int sl_task_runner_join(sl_task_runner *r);

/* Non-zero once the thread has ended by itself or after a stop (any thread). */
int sl_task_runner_finished(sl_task_runner *r);

/* Frees the runner (joins first if needed); NULL is a no-op. */
void sl_task_runner_destroy(sl_task_runner *r);

/* The runner's tasks (any thread, read-only). */
int sl_task_runner_task_count(const sl_task_runner *r);
const sl_task *sl_task_runner_task(const sl_task_runner *r, int i);

/* Health (any thread): 1 healthy; 0 with the reason copied into buf. */
int sl_task_runner_healthy(sl_task_runner *r, char *buf, size_t size);

/* Counters of checkpoints (any thread). */
typedef struct sl_runner_stats {
    uint64_t checkpoints;
    uint64_t checkpoint_failures;
    uint64_t batches;
    double last_checkpoint_seconds;
} sl_runner_stats;
void sl_task_runner_stats(sl_task_runner *r, sl_runner_stats *out);

#endif

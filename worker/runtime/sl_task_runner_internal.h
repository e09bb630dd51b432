/* sl_task_runner_internal.h — the insides of a task runner, shared by its
 * two files: sl_task_runner.c (the thread: consume, execute, produce) and
 * sl_task_checkpoint.c (checkpoints). Not for other modules: they use
 * sl_task_runner.h. */
#ifndef SL_TASK_RUNNER_INTERNAL_H
#define SL_TASK_RUNNER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "kafka/sl_consumer.h"
#include "kafka/sl_producer.h"
#include "runtime/sl_task_runner.h"

struct sl_task_runner {
    const sl_plan *plan;
    const sl_worker_config *cfg;
    int index;
    char label[48];
    sl_task *tasks;
    int ntasks;
    sl_task **by_partition; /* index: partition number */
    int32_t max_partition;
    sl_consumer *consumer;
    sl_producer *producer;
    pthread_t thread;
    int started, joined;
    atomic_int stop;
    int rc;
    sl_header *hscratch; /* headers of the message being processed */
    size_t hcap;
    rd_kafka_message_t **batch;
    /* health, written by the runner thread, read by the metrics thread */
    pthread_mutex_t health_lock;
    char unhealthy[256];
    atomic_uint_fast64_t checkpoints, checkpoint_failures, batches;
    _Atomic double last_checkpoint_seconds;
    int64_t last_checkpoint_ms;
    int64_t since_checkpoint;
    int delivery_failed;
    /* the asynchronous checkpoint in flight (stateless at-least-once;
     * ck_epoch 0: none): waiting for the deliveries of ck_epoch, then for
     * ck_commit's answer; started at ck_t0 (monotonic seconds) */
    uint64_t ck_epoch;
    sl_commit_pending *ck_commit;
    double ck_t0;
    atomic_int finished;
    sl_metrics *metrics; /* borrowed; NULL: no metrics */
    sl_histogram *m_batch, *m_checkpoint;
    sl_counter *m_checkpoint_failures;
};

/* Records why the runner is unhealthy (NULL: healthy again); copies reason. */
void sl_runner_set_health(sl_task_runner *r, const char *reason);

/* Stops task t for good with the reason in e (logged, kept on the task). */
void sl_runner_task_fail(sl_task_runner *r, sl_task *t, const sl_error *e);

/* The executor's output callback: produces rec through task opaque's producer. */
int sl_runner_emit(void *opaque, const sl_record *rec, sl_error *err);

/* 1 when r's checkpoints run without stopping the thread (stateless,
 * at-least-once): sl_runner_checkpoint_begin / _poll; else 0. */
int sl_runner_checkpoint_is_async(const sl_task_runner *r);

/* Checkpoints and waits (up to timeout_ms for the outputs): flush, state,
 * commit, or one transaction per task with exactly-once. SL_OK when the
 * offsets were committed (or there was nothing to commit). */
int sl_runner_checkpoint(sl_task_runner *r, int timeout_ms);

/* Starts an asynchronous checkpoint (none while one is in flight). */
void sl_runner_checkpoint_begin(sl_task_runner *r);

/* Moves the asynchronous checkpoint in flight on, without waiting. */
void sl_runner_checkpoint_poll(sl_task_runner *r);

/* Drops the asynchronous checkpoint in flight (before the stop checkpoint,
 * which commits at least as far). */
void sl_runner_checkpoint_abandon(sl_task_runner *r);

#endif

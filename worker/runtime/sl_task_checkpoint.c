/* sl_task_checkpoint — a task runner's checkpoints (see
 * sl_task_runner_internal.h and docs/worker.md).
 *
 * Checkpoint order (at-least-once): the producer is flushed first and every
 * delivery report must be in and successful; only then are the tasks' next
 * offsets committed. A committed offset therefore never passes an output that
 * is not in Kafka. If a flush times out (broker away), nothing is committed
 * and the next checkpoint tries again; if a delivery failed for good, the
 * runner stops its tasks without committing and reports failure, so that the
 * restarted process reprocesses from the last commit.
 *
 * A stateless at-least-once plan keeps that order without stopping: the
 * checkpoint closes a producer epoch (sl_producer_epoch_close) and notes each
 * task's next offset; processing goes on; once every record of that epoch
 * is delivered the noted offsets are committed, and the commit's answer is
 * collected on a later turn (sl_runner_checkpoint_poll). Only the stop checkpoint
 * flushes and waits.
 *
 * Stateful plans add the changelog records before the flush and each task's
 * RocksDB batch between the flush and the commit (sl_task_state.c has the
 * restore rules that make every crash point safe). Exactly-once replaces the
 * thread's producer by one transactional producer per task and the commit
 * by one transaction per task (sl_task_txn.c); docs/state.md tells both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sl_task_runner_internal.h"
#include "runtime/sl_task_state.h"
#include "runtime/sl_task_txn.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

/* The input offset a task's checkpoint reflects: the next offset to
 * process (its committed one when nothing was processed since). */
static int64_t task_input_offset(const sl_task *t)
{
    return t->next_offset >= 0 ? t->next_offset : t->committed;
}

/* Produces the changelog records of every stateful task's pending changes
 * through the thread's producer (at-least-once, before the flush). */
static void produce_changelogs(sl_task_runner *r)
{
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        sl_error err;
        if (!t->store || atomic_load(&t->state) == SL_TASK_FAILED ||
            sl_state_pending_count(t->store) == 0)
            continue;
        if (sl_task_state_produce_changes(t, r->producer, task_input_offset(t), &err) != SL_OK)
            sl_runner_task_fail(r, t, &err);
    }
}

/* After the flush: writes each stateful task's RocksDB batch (changes plus
 * the input offset about to be committed and the changelog position).
 * Returns 0 when the task's input offset may now be committed. */
static int commit_store(sl_task_runner *r, sl_task *t)
{
    sl_error err;
    if (!t->store)
        return SL_OK;
    if (atomic_load(&t->state) == SL_TASK_FAILED)
        return SL_ERR_STATE; /* its state is not known to match its offset */
    if (!t->dirty && t->changelog_unacked == 0 && sl_state_pending_count(t->store) == 0)
        return SL_OK;
    if (sl_task_state_commit(t, task_input_offset(t), &err) != SL_OK) {
        sl_runner_task_fail(r, t, &err);
        return SL_ERR_IO;
    }
    return SL_OK;
}

/* Exactly-once: rewinds t to its committed offset after an aborted
 * transaction: pending state dropped, executor recreated (operators may keep
 * memory beside the store), consumer seeked back. */
static void task_rewind(sl_task_runner *r, sl_task *t)
{
    sl_error err;
    if (t->store)
        sl_state_rollback(t->store);
    sl_exec_destroy(t->exec);
    t->exec = sl_exec_create(r->plan, t->label, sl_runner_emit, t, &err);
    if (!t->exec) {
        sl_runner_task_fail(r, t, &err);
        return;
    }
    if (t->store)
        sl_exec_set_state(t->exec, t->store);
    memset(&t->published, 0, sizeof(t->published));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, r->plan->input.topic, t->partition)->offset =
        t->committed >= 0 ? t->committed : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(sl_consumer_handle(r->consumer), l, 10000);
    rd_kafka_resp_err_t pe = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (e || pe) {
        sl_error_set(&err, SL_ERR_KAFKA, "rewinding to offset %lld: %s", (long long)t->committed,
                     e ? rd_kafka_error_string(e) : rd_kafka_err2str(pe));
        if (e)
            rd_kafka_error_destroy(e);
        sl_runner_task_fail(r, t, &err);
        return;
    }
    t->next_offset = t->committed;
    t->dirty = 0;
    sl_log_warn(t->label, "transaction aborted: processing again from offset %lld",
                (long long)t->committed);
}

/* 1 when checkpoints may run without stopping: at-least-once and no state
 * (stateful checkpoints order changelog, RocksDB batch and commit). */
int sl_runner_checkpoint_is_async(const sl_task_runner *r)
{
    return r->plan->guarantee != SL_GUARANTEE_EXACTLY_ONCE && !sl_plan_is_stateful(r->plan);
}

/* Counts a checkpoint that failed, for the stats and /metrics. */
static void count_failure(sl_task_runner *r)
{
    atomic_fetch_add(&r->checkpoint_failures, 1);
    if (r->m_checkpoint_failures)
        sl_counter_inc(r->m_checkpoint_failures);
}

/* Counts a checkpoint that committed, and clears the health note it may
 * have set unless a task failed. */
static void checkpoint_done(sl_task_runner *r, double t0)
{
    atomic_fetch_add(&r->checkpoints, 1);
    atomic_store(&r->last_checkpoint_seconds, sl_clock_mono_s() - t0);
    if (r->m_checkpoint)
        sl_histogram_observe(r->m_checkpoint, sl_clock_mono_s() - t0);
    if (r->delivery_failed)
        return;
    for (int i = 0; i < r->ntasks; i++)
        if (atomic_load(&r->tasks[i].state) == SL_TASK_FAILED)
            return;
    sl_runner_set_health(r, NULL);
}

/* A checkpoint whose offset commit failed or timed out: not fatal, the
 * outputs are safe and the next checkpoint commits. */
static void checkpoint_commit_failed(sl_task_runner *r, const sl_error *err)
{
    count_failure(r);
    char reason[256];
    snprintf(reason, sizeof(reason), "offset commit failed: %.200s", err->msg);
    sl_runner_set_health(r, reason);
}

/* A delivery failed for good: never commit past it; the tasks stop and the
 * runner reports failure, so that a restart reprocesses from the last commit. */
static void checkpoint_delivery_failed(sl_task_runner *r, const sl_error *err)
{
    count_failure(r);
    r->delivery_failed = 1;
    sl_log_error(r->label, "output delivery failed, offsets not committed: %s", err->msg);
    for (int i = 0; i < r->ntasks; i++)
        if (atomic_load(&r->tasks[i].state) != SL_TASK_FAILED)
            sl_runner_task_fail(r, &r->tasks[i], err);
}

/* Starts an asynchronous checkpoint: notes every dirty task's next offset
 * and closes the producer epoch holding their outputs. Nothing to do while
 * the previous one is in flight or nothing was processed. */
void sl_runner_checkpoint_begin(sl_task_runner *r)
{
    r->last_checkpoint_ms = sl_clock_mono_ms();
    r->since_checkpoint = 0;
    if (r->ck_epoch)
        return;
    int any = 0;
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        t->ck_offset =
            t->dirty && t->next_offset >= 0 && t->next_offset != t->committed ? t->next_offset : -1;
        any |= t->ck_offset >= 0;
    }
    if (!any)
        return;
    r->ck_epoch = sl_producer_epoch_close(r->producer);
    if (r->ck_epoch == 0)
        return; /* an older epoch is undelivered (cannot happen here): next time */
    r->ck_t0 = sl_clock_mono_s();
}

/* The offsets noted by checkpoint_begin, as a new list. */
static rd_kafka_topic_partition_list_t *checkpoint_offsets(const sl_task_runner *r)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->ntasks);
    for (int i = 0; i < r->ntasks; i++)
        if (r->tasks[i].ck_offset >= 0)
            rd_kafka_topic_partition_list_add(l, r->plan->input.topic, r->tasks[i].partition)
                ->offset = r->tasks[i].ck_offset;
    return l;
}

/* The commit of the offsets noted in ck_offset succeeded: they are the
 * tasks' committed offsets now. */
static void mark_committed(sl_task_runner *r)
{
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        if (t->ck_offset < 0)
            continue;
        t->committed = t->ck_offset;
        t->dirty = t->next_offset != t->committed;
        t->ck_offset = -1;
    }
}

/* Moves the asynchronous checkpoint on without waiting: once its outputs
 * are all delivered it starts the offset commit; once the commit is
 * answered the checkpoint is done. */
void sl_runner_checkpoint_poll(sl_task_runner *r)
{
    if (!r->ck_epoch)
        return;
    sl_error err;
    int64_t waited = (int64_t)((sl_clock_mono_s() - r->ck_t0) * 1000.0);
    int64_t patience = r->cfg->commit_interval_ms > 1000 ? r->cfg->commit_interval_ms : 1000;
    if (!r->ck_commit) {
        int st = sl_producer_epoch_delivered(r->producer, r->ck_epoch, &err);
        if (st < 0) {
            r->ck_epoch = 0;
            checkpoint_delivery_failed(r, &err);
            return;
        }
        if (st == 0) {
            if (waited > patience)
                sl_runner_set_health(r, "outputs are not being delivered: waiting for the broker");
            return;
        }
        rd_kafka_topic_partition_list_t *l = checkpoint_offsets(r);
        r->ck_commit = sl_consumer_commit_begin(r->consumer, l, &err);
        rd_kafka_topic_partition_list_destroy(l);
        if (!r->ck_commit) {
            r->ck_epoch = 0;
            checkpoint_commit_failed(r, &err);
            return;
        }
    }
    int st = sl_consumer_commit_poll(r->ck_commit, 0, &err);
    if (st == 0 && waited < 10 * patience)
        return;
    if (st == 0) {
        sl_consumer_commit_abandon(r->ck_commit);
        sl_error_set(&err, SL_ERR_TIMEOUT, "not acknowledged within %lld ms", (long long)waited);
    }
    r->ck_commit = NULL;
    r->ck_epoch = 0;
    if (st != 1) {
        checkpoint_commit_failed(r, &err);
        return;
    }
    mark_committed(r);
    checkpoint_done(r, r->ck_t0);
}

/* Exactly-once checkpoint: per task, one transaction with its outputs, its
 * changelog records and its input offset; then the RocksDB batch; then the
 * next transaction begins. A crash anywhere leaves Kafka either before the
 * commit (everything aborted, redone from the previous offset) or after it
 * (the store is behind: the restore catches up from the changelog). */
static int checkpoint_txn(sl_task_runner *r)
{
    double t0 = sl_clock_mono_s();
    int failures = 0;
    r->last_checkpoint_ms = sl_clock_mono_ms();
    r->since_checkpoint = 0;
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        sl_error err;
        sl_error_clear(&err);
        if (atomic_load(&t->state) == SL_TASK_FAILED || !t->txn)
            continue;
        int rc = sl_task_txn_checkpoint(t, task_input_offset(t), &err);
        if (rc == SL_TXN_ABORTED) {
            failures++;
            task_rewind(r, t);
            if (atomic_load(&t->state) != SL_TASK_FAILED && sl_task_txn_begin(t, &err) != SL_OK)
                sl_runner_task_fail(r, t, &err);
        } else if (rc != SL_OK) {
            failures++;
            sl_runner_task_fail(r, t, &err);
        }
    }
    if (failures) {
        count_failure(r);
        return SL_ERR_KAFKA;
    }
    checkpoint_done(r, t0);
    return SL_OK;
}

/* Flushes, then commits every dirty task's next offset in one request.
 * Returns 0 when committed (or nothing to commit). With state, the order is
 * docs/state.md's: changelog records produced, flush (outputs + changelog
 * delivered), RocksDB batch with the offsets, then the input offset commit. */
int sl_runner_checkpoint(sl_task_runner *r, int timeout_ms)
{
    sl_error err;
    double t0 = sl_clock_mono_s();
    int64_t deadline = sl_clock_mono_ms() + timeout_ms;
    int rc;

    if (r->plan->guarantee == SL_GUARANTEE_EXACTLY_ONCE)
        return checkpoint_txn(r);
    r->last_checkpoint_ms = sl_clock_mono_ms();
    r->since_checkpoint = 0;
    produce_changelogs(r);
    /* Wait for every delivery report; a broker that is away only delays this. */
    for (;;) {
        int left = (int)(deadline - sl_clock_mono_ms());
        rc = sl_producer_flush(r->producer, left < 1000 ? (left > 0 ? left : 1) : 1000, &err);
        if (rc != SL_ERR_TIMEOUT || sl_clock_mono_ms() >= deadline)
            break;
        sl_runner_set_health(r, "outputs are not being delivered: waiting for the broker");
    }
    if (rc == SL_ERR_TIMEOUT) {
        count_failure(r);
        sl_runner_set_health(r, "checkpoint: outputs still undelivered, nothing committed");
        return rc;
    }
    if (rc != SL_OK) {
        checkpoint_delivery_failed(r, &err);
        return rc;
    }
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        /* never commit input past state that is not on disk */
        t->ck_offset = commit_store(r, t) == SL_OK && t->dirty && t->next_offset >= 0
                           ? t->next_offset
                           : -1;
    }
    rd_kafka_topic_partition_list_t *offsets = checkpoint_offsets(r);
    rc = SL_OK;
    if (offsets->cnt > 0) {
        /* Bounded wait: a synchronous librdkafka commit would wait forever
         * for a coordinator that is gone, and shutdown must end. */
        int left = (int)(deadline - sl_clock_mono_ms());
        sl_error cerr;
        int crc = sl_consumer_commit_list(r->consumer, offsets, left > 1000 ? left : 1000, &cerr);
        if (crc != SL_OK) {
            checkpoint_commit_failed(r, &cerr);
            rc = SL_ERR_KAFKA;
        } else {
            mark_committed(r);
        }
    }
    rd_kafka_topic_partition_list_destroy(offsets);
    if (rc == SL_OK)
        checkpoint_done(r, t0);
    return rc;
}

void sl_runner_checkpoint_abandon(sl_task_runner *r)
{
    sl_consumer_commit_abandon(r->ck_commit);
    r->ck_commit = NULL;
    r->ck_epoch = 0;
}

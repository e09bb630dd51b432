/* sl_task_runner — a worker thread: consume, execute, produce, checkpoint
 * (see sl_task_runner.h and docs/worker.md).
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
 * collected on a later turn (checkpoint_poll). Only the stop checkpoint
 * flushes and waits.
 *
 * Stateful plans add the changelog records before the flush and each task's
 * RocksDB batch between the flush and the commit (sl_task_state.c has the
 * restore rules that make every crash point safe). Exactly-once replaces the
 * thread's producer by one transactional producer per task and the commit
 * by one transaction per task (sl_task_txn.c); docs/state.md tells both. */
#include "runtime/sl_task_runner.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/sl_exec_reject.h"
#include "kafka/sl_consumer.h"
#include "kafka/sl_producer.h"
#include "runtime/sl_kafka_defaults.h"
#include "runtime/sl_task_state.h"
#include "runtime/sl_task_txn.h"
#include "util/sl_log.h"

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
    /* the asynchronous checkpoint in flight (stateless at-least-once):
     * waiting for the deliveries of ck_epoch, then for ck_commit's answer */
    int ck_active;
    uint64_t ck_epoch;
    sl_commit_pending *ck_commit;
    int64_t ck_started_ms;
    double ck_t0;
    atomic_int finished;
    sl_metrics *metrics; /* borrowed; NULL: no metrics */
    sl_histogram *m_batch, *m_checkpoint;
    sl_counter *m_checkpoint_failures;
};

/* Creates the runner's and its tasks' Prometheus series. */
static int metrics_create(sl_task_runner *r, sl_error *err)
{
    char thread[16];
    snprintf(thread, sizeof(thread), "%d", r->index);
    sl_label tl[] = {{"pipeline", r->plan->name}, {"thread", thread}};
    r->m_batch = sl_metrics_histogram_create(
        r->metrics, "sluice_batch_processing_seconds", "Time to process one consumed batch",
        sl_metrics_buckets_batch_seconds, sl_metrics_buckets_batch_seconds_count, tl, 2, err);
    r->m_checkpoint = sl_metrics_histogram_create(
        r->metrics, "sluice_checkpoint_seconds", "Time of a checkpoint (flush and commit)",
        sl_metrics_buckets_checkpoint_seconds, sl_metrics_buckets_checkpoint_seconds_count, tl, 2,
        err);
    r->m_checkpoint_failures = sl_metrics_counter_create(
        r->metrics, "sluice_checkpoint_failures_total",
        "Checkpoints that committed nothing (undelivered outputs or a failed commit)", tl, 2, err);
    if (!r->m_batch || !r->m_checkpoint || !r->m_checkpoint_failures)
        return SL_ERR_INVALID;
    return SL_OK;
}

/* Removes the runner's and its tasks' series, so that a later runner of the
 * same pipeline and partition (a cluster worker restarting a task) can create
 * them again. */
static void metrics_remove(sl_task_runner *r)
{
    if (!r->metrics)
        return;
    sl_metrics_histogram_remove(r->metrics, r->m_batch);
    sl_metrics_histogram_remove(r->metrics, r->m_checkpoint);
    sl_metrics_counter_remove(r->metrics, r->m_checkpoint_failures);
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        sl_metrics_counter_remove(r->metrics, t->m_in);
        sl_metrics_counter_remove(r->metrics, t->m_out);
        sl_metrics_counter_remove(r->metrics, t->m_errors);
        sl_metrics_counter_remove(r->metrics, t->m_dead);
        sl_metrics_counter_remove(r->metrics, t->m_tombstones);
        sl_metrics_counter_remove(r->metrics, t->m_late);
        sl_metrics_gauge_remove(r->metrics, t->m_lag);
        sl_metrics_gauge_remove(r->metrics, t->m_failed);
        sl_metrics_counter_remove(r->metrics, t->m_restored);
        sl_metrics_gauge_remove(r->metrics, t->m_restore_seconds);
    }
}

static int metrics_task_create(sl_task_runner *r, sl_task *t, sl_error *err)
{
    char part[16];
    snprintf(part, sizeof(part), "%d", t->partition);
    sl_label l[] = {{"pipeline", r->plan->name}, {"partition", part}};
    t->m_in = sl_metrics_counter_create(r->metrics, "sluice_task_messages_in_total",
                                        "Input messages processed", l, 2, err);
    t->m_out = sl_metrics_counter_create(r->metrics, "sluice_task_messages_out_total",
                                         "Records produced by to_topic steps", l, 2, err);
    t->m_errors = sl_metrics_counter_create(r->metrics, "sluice_task_processing_errors_total",
                                            "Processing errors (any on_error)", l, 2, err);
    t->m_dead = sl_metrics_counter_create(r->metrics, "sluice_task_dead_lettered_total",
                                          "Records sent to the dead-letter topic", l, 2, err);
    t->m_tombstones = sl_metrics_counter_create(r->metrics, "sluice_task_tombstones_total",
                                                "Null-value input messages skipped", l, 2, err);
    t->m_late = sl_metrics_counter_create(r->metrics, "sluice_task_late_total",
                                          "Messages dropped by a window that had closed", l, 2,
                                          err);
    t->m_lag = sl_metrics_gauge_create(r->metrics, "sluice_task_consumer_lag",
                                       "High watermark minus the next offset to process", l, 2,
                                       err);
    t->m_failed = sl_metrics_gauge_create(r->metrics, "sluice_task_failed",
                                          "1 when the task stopped on an error", l, 2, err);
    if (!t->m_in || !t->m_out || !t->m_errors || !t->m_dead || !t->m_tombstones || !t->m_late ||
        !t->m_lag ||
        !t->m_failed)
        return SL_ERR_INVALID;
    return SL_OK;
}

/* Publishes the tasks' snapshot for other threads (sl_task's pub_*), then
 * adds what the executors counted since the last call to the series. */
static void metrics_publish(sl_task_runner *r)
{
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        const sl_exec_counters *c = t->exec ? sl_exec_counters_get(t->exec) : NULL;
        atomic_store(&t->pub_committed, t->committed);
        if (c) {
            atomic_store(&t->pub_in, c->in);
            atomic_store(&t->pub_out, c->out);
            atomic_store(&t->pub_errors, c->errors);
        }
    }
    if (!r->metrics)
        return;
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        const sl_exec_counters *c = sl_exec_counters_get(t->exec);
        uint64_t tomb = atomic_load(&t->tombstones);
        sl_counter_add(t->m_in, c->in - t->published.in);
        sl_counter_add(t->m_out, c->out - t->published.out);
        sl_counter_add(t->m_errors, c->errors - t->published.errors);
        sl_counter_add(t->m_dead, c->dead_lettered - t->published.dead_lettered);
        sl_counter_add(t->m_tombstones, tomb - t->published_tombstones);
        sl_counter_add(t->m_late, c->late - t->published.late);
        t->published = *c;
        t->published_tombstones = tomb;
        sl_gauge_set(t->m_lag, (double)atomic_load(&t->lag));
        sl_gauge_set(t->m_failed, atomic_load(&t->state) == SL_TASK_FAILED ? 1.0 : 0.0);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *sl_task_state_name(int state)
{
    switch (state) {
    case SL_TASK_STARTING:
        return "starting";
    case SL_TASK_RUNNING:
        return "running";
    case SL_TASK_FAILED:
        return "failed";
    case SL_TASK_STOPPED:
        return "stopped";
    }
    return "unknown";
}

static void set_health(sl_task_runner *r, const char *reason)
{
    pthread_mutex_lock(&r->health_lock);
    if (reason && strcmp(r->unhealthy, reason) != 0)
        sl_log_warn(r->label, "unhealthy: %s", reason);
    else if (!reason && r->unhealthy[0])
        sl_log_info(r->label, "healthy again");
    snprintf(r->unhealthy, sizeof(r->unhealthy), "%s", reason ? reason : "");
    pthread_mutex_unlock(&r->health_lock);
}

int sl_task_runner_healthy(sl_task_runner *r, char *buf, size_t size)
{
    int ok;
    pthread_mutex_lock(&r->health_lock);
    ok = r->unhealthy[0] == '\0';
    if (!ok && buf)
        snprintf(buf, size, "%s", r->unhealthy);
    pthread_mutex_unlock(&r->health_lock);
    return ok;
}

/* The executor's emit callback (opaque: the task): every output and dead
 * letter goes to the task's producer — the thread's (at-least-once) or the
 * task's transactional one (exactly-once, so the record joins the open
 * transaction). The producer copies key, value and headers. */
static int runner_emit(void *opaque, const sl_record *rec, sl_error *err)
{
    sl_task *t = opaque;
    return sl_producer_send(t->producer, rec->topic, -1, rec->key, rec->key_len, rec->value,
                            rec->value_len, rec->timestamp, rec->headers, rec->nheaders, err);
}

static void task_fail(sl_task_runner *r, sl_task *t, const sl_error *e)
{
    char *buf = t->last_error;
    sl_error_format(e, buf, sizeof(t->last_error));
    atomic_store(&t->state, SL_TASK_FAILED);
    sl_log_error(t->label, "task failed and stops: %s", buf);
    /* Exactly-once: an open transaction would hold back every
     * read_committed reader of the output partitions until it times out. */
    sl_task_txn_abort(t);
    char reason[200];
    snprintf(reason, sizeof(reason), "task %.150s failed", t->label);
    set_health(r, reason);
}

/* Collects m's headers into the runner's scratch array. */
static size_t message_headers(sl_task_runner *r, const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs)
        return 0;
    size_t n = rd_kafka_header_cnt(hdrs);
    if (n > r->hcap) {
        sl_header *h = realloc(r->hscratch, n * sizeof(*h));
        if (!h)
            return 0;
        r->hscratch = h;
        r->hcap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *val;
        size_t len;
        rd_kafka_header_get_all(hdrs, i, &name, &val, &len);
        r->hscratch[i] = (sl_header){name, val, len};
    }
    return n;
}

/* Runs one consumed message through its task. */
static void handle_message(sl_task_runner *r, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            char reason[256];
            snprintf(reason, sizeof(reason), "consumer: %s", rd_kafka_message_errstr(m));
            set_health(r, reason);
        }
        return;
    }
    if (m->partition < 0 || m->partition > r->max_partition)
        return;
    sl_task *t = r->by_partition[m->partition];
    if (!t || atomic_load(&t->state) == SL_TASK_FAILED)
        return;
    if (!m->payload) {
        /* Tombstone: a delete marker of a compacted topic, not a row. */
        atomic_fetch_add(&t->tombstones, 1);
    } else {
        rd_kafka_timestamp_type_t tstype;
        sl_message msg = {
            .key = m->key,
            .key_len = m->key_len,
            .value = m->payload,
            .value_len = m->len,
            .timestamp = rd_kafka_message_timestamp(m, &tstype),
            .topic = r->plan->input.topic,
            .partition = m->partition,
            .offset = m->offset,
        };
        msg.nheaders = message_headers(r, m);
        msg.headers = msg.nheaders ? r->hscratch : NULL;
        sl_error err;
        int rc;
        sl_error_clear(&err);
        if (m->len > (size_t)r->cfg->max_message_bytes) {
            sl_error reason;
            sl_error_clear(&reason);
            sl_error_set(&reason, SL_ERR_INVALID,
                         "message of %zu bytes exceeds the limit of %d bytes (--max-message-bytes)",
                         m->len, r->cfg->max_message_bytes);
            msg.value = NULL; /* the dead letter carries key and headers, not the value */
            msg.value_len = 0;
            rc = sl_exec_reject(t->exec, &msg, &reason, &err);
        } else {
            rc = sl_exec_process(t->exec, &msg, &err);
        }
        if (rc != SL_OK) {
            /* on_error=fail, or the producer refused the record: the task stops
             * here and its offset stays before this message. */
            task_fail(r, t, &err);
            return;
        }
    }
    t->next_offset = m->offset + 1;
    t->dirty = 1;
    r->since_checkpoint++;
}

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
            task_fail(r, t, &err);
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
        task_fail(r, t, &err);
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
    t->exec = sl_exec_create(r->plan, t->label, runner_emit, t, &err);
    if (!t->exec) {
        task_fail(r, t, &err);
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
        task_fail(r, t, &err);
        return;
    }
    t->next_offset = t->committed;
    t->dirty = 0;
    sl_log_warn(t->label, "transaction aborted: processing again from offset %lld",
                (long long)t->committed);
}

/* 1 when checkpoints may run without stopping: at-least-once and no state
 * (stateful checkpoints order changelog, RocksDB batch and commit). */
static int checkpoint_is_async(const sl_task_runner *r)
{
    if (r->plan->guarantee == SL_GUARANTEE_EXACTLY_ONCE)
        return 0;
    for (int i = 0; i < r->ntasks; i++)
        if (r->tasks[i].store)
            return 0;
    return 1;
}

/* Counts a checkpoint that committed, and clears the health note it may
 * have set unless a task failed. */
static void checkpoint_done(sl_task_runner *r, double t0)
{
    atomic_fetch_add(&r->checkpoints, 1);
    atomic_store(&r->last_checkpoint_seconds, now_s() - t0);
    if (r->m_checkpoint)
        sl_histogram_observe(r->m_checkpoint, now_s() - t0);
    if (r->delivery_failed)
        return;
    for (int i = 0; i < r->ntasks; i++)
        if (atomic_load(&r->tasks[i].state) == SL_TASK_FAILED)
            return;
    set_health(r, NULL);
}

/* A checkpoint whose offset commit failed or timed out: not fatal, the
 * outputs are safe and the next checkpoint commits. */
static void checkpoint_commit_failed(sl_task_runner *r, const sl_error *err)
{
    atomic_fetch_add(&r->checkpoint_failures, 1);
    if (r->m_checkpoint_failures)
        sl_counter_inc(r->m_checkpoint_failures);
    char reason[256];
    snprintf(reason, sizeof(reason), "offset commit failed: %.200s", err->msg);
    set_health(r, reason);
}

/* A delivery failed for good: never commit past it; the tasks stop and the
 * runner reports failure, so that a restart reprocesses from the last commit. */
static void checkpoint_delivery_failed(sl_task_runner *r, const sl_error *err)
{
    atomic_fetch_add(&r->checkpoint_failures, 1);
    if (r->m_checkpoint_failures)
        sl_counter_inc(r->m_checkpoint_failures);
    r->delivery_failed = 1;
    sl_log_error(r->label, "output delivery failed, offsets not committed: %s", err->msg);
    for (int i = 0; i < r->ntasks; i++)
        if (atomic_load(&r->tasks[i].state) != SL_TASK_FAILED)
            task_fail(r, &r->tasks[i], err);
}

/* Starts an asynchronous checkpoint: notes every dirty task's next offset
 * and closes the producer epoch holding their outputs. Nothing to do while
 * the previous one is in flight or nothing was processed. */
static void checkpoint_begin(sl_task_runner *r)
{
    r->last_checkpoint_ms = now_ms();
    r->since_checkpoint = 0;
    if (r->ck_active)
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
    r->ck_active = 1;
    r->ck_started_ms = now_ms();
    r->ck_t0 = now_s();
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

/* Moves the asynchronous checkpoint on without waiting: once its outputs
 * are all delivered it starts the offset commit; once the commit is
 * answered the checkpoint is done. */
static void checkpoint_poll(sl_task_runner *r)
{
    if (!r->ck_active)
        return;
    sl_error err;
    int64_t waited = now_ms() - r->ck_started_ms;
    int64_t patience = r->cfg->commit_interval_ms > 1000 ? r->cfg->commit_interval_ms : 1000;
    if (!r->ck_commit) {
        int st = sl_producer_epoch_delivered(r->producer, r->ck_epoch, &err);
        if (st < 0) {
            r->ck_active = 0;
            checkpoint_delivery_failed(r, &err);
            return;
        }
        if (st == 0) {
            if (waited > patience)
                set_health(r, "outputs are not being delivered: waiting for the broker");
            return;
        }
        rd_kafka_topic_partition_list_t *l = checkpoint_offsets(r);
        r->ck_commit = sl_consumer_commit_begin(r->consumer, l, &err);
        rd_kafka_topic_partition_list_destroy(l);
        if (!r->ck_commit) {
            r->ck_active = 0;
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
    r->ck_active = 0;
    if (st != 1) {
        checkpoint_commit_failed(r, &err);
        return;
    }
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        if (t->ck_offset < 0)
            continue;
        t->committed = t->ck_offset;
        t->dirty = t->next_offset != t->committed;
        t->ck_offset = -1;
    }
    checkpoint_done(r, r->ck_t0);
}

/* Exactly-once checkpoint: per task, one transaction with its outputs, its
 * changelog records and its input offset; then the RocksDB batch; then the
 * next transaction begins. A crash anywhere leaves Kafka either before the
 * commit (everything aborted, redone from the previous offset) or after it
 * (the store is behind: the restore catches up from the changelog). */
static int checkpoint_txn(sl_task_runner *r)
{
    double t0 = now_s();
    int failures = 0;
    r->last_checkpoint_ms = now_ms();
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
                task_fail(r, t, &err);
        } else if (rc != SL_OK) {
            failures++;
            task_fail(r, t, &err);
        }
    }
    if (failures) {
        atomic_fetch_add(&r->checkpoint_failures, 1);
        if (r->m_checkpoint_failures)
            sl_counter_inc(r->m_checkpoint_failures);
        return SL_ERR_KAFKA;
    }
    atomic_fetch_add(&r->checkpoints, 1);
    atomic_store(&r->last_checkpoint_seconds, now_s() - t0);
    if (r->m_checkpoint)
        sl_histogram_observe(r->m_checkpoint, now_s() - t0);
    int any_failed = 0;
    for (int i = 0; i < r->ntasks; i++)
        any_failed |= atomic_load(&r->tasks[i].state) == SL_TASK_FAILED;
    if (!any_failed)
        set_health(r, NULL);
    return SL_OK;
}

/* Flushes, then commits every dirty task's next offset in one request.
 * Returns 0 when committed (or nothing to commit). With state, the order is
 * docs/state.md's: changelog records produced, flush (outputs + changelog
 * delivered), RocksDB batch with the offsets, then the input offset commit. */
static int checkpoint(sl_task_runner *r, int timeout_ms)
{
    sl_error err;
    double t0 = now_s();
    int64_t deadline = now_ms() + timeout_ms;
    int rc;

    if (r->plan->guarantee == SL_GUARANTEE_EXACTLY_ONCE)
        return checkpoint_txn(r);
    r->last_checkpoint_ms = now_ms();
    r->since_checkpoint = 0;
    produce_changelogs(r);
    /* Wait for every delivery report; a broker that is away only delays this. */
    for (;;) {
        int left = (int)(deadline - now_ms());
        rc = sl_producer_flush(r->producer, left < 1000 ? (left > 0 ? left : 1) : 1000, &err);
        if (rc != SL_ERR_TIMEOUT || now_ms() >= deadline)
            break;
        set_health(r, "outputs are not being delivered: waiting for the broker");
    }
    if (rc != SL_OK && r->m_checkpoint_failures)
        sl_counter_inc(r->m_checkpoint_failures);
    if (rc == SL_ERR_TIMEOUT) {
        atomic_fetch_add(&r->checkpoint_failures, 1);
        set_health(r, "checkpoint: outputs still undelivered, nothing committed");
        return rc;
    }
    if (rc != SL_OK) {
        checkpoint_delivery_failed(r, &err);
        return rc;
    }
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(r->ntasks);
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        if (commit_store(r, t) != SL_OK)
            continue; /* never commit input past state that is not on disk */
        if (t->dirty && t->next_offset >= 0)
            rd_kafka_topic_partition_list_add(offsets, r->plan->input.topic, t->partition)->offset =
                t->next_offset;
    }
    rc = SL_OK;
    if (offsets->cnt > 0) {
        /* Bounded wait: a synchronous librdkafka commit would wait forever
         * for a coordinator that is gone, and shutdown must end. */
        int left = (int)(deadline - now_ms());
        sl_error cerr;
        int crc = sl_consumer_commit_list(r->consumer, offsets, left > 1000 ? left : 1000, &cerr);
        if (crc != SL_OK) {
            checkpoint_commit_failed(r, &cerr);
            rc = SL_ERR_KAFKA;
        } else {
            for (int i = 0; i < offsets->cnt; i++) {
                sl_task *t = r->by_partition[offsets->elems[i].partition];
                t->committed = offsets->elems[i].offset;
                t->dirty = 0;
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(offsets);
    if (rc == SL_OK)
        checkpoint_done(r, t0);
    return rc;
}

static void update_lag(sl_task_runner *r)
{
    for (int i = 0; i < r->ntasks; i++) {
        sl_task *t = &r->tasks[i];
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(sl_consumer_handle(r->consumer), r->plan->input.topic,
                                           t->partition, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0) {
            int64_t pos = t->next_offset >= 0 ? t->next_offset : lo;
            atomic_store(&t->lag, hi > pos ? hi - pos : 0);
        }
    }
}

static int task_assign(sl_task_runner *r, sl_task *t, sl_error *err);

/* Gets a task ready on the runner's thread, before its first message:
 * exactly-once: the transactional producer (init fences an older owner and
 * aborts its open transaction — before the restore, so that read_committed
 * reaches the changelog's end); stateful: the store, restored from the
 * changelog up to the committed input offset (the consumer already waits at
 * that offset). A failure fails the task alone. */
static void task_prepare(sl_task_runner *r, sl_task *t)
{
    sl_error err;
    sl_error_clear(&err);
    if (r->plan->guarantee == SL_GUARANTEE_EXACTLY_ONCE) {
        if (sl_task_txn_init(t, r->cfg, &err) != SL_OK || task_assign(r, t, &err) != SL_OK)
            goto fail;
        t->producer = t->txn;
    }
    if (sl_plan_is_stateful(r->plan)) {
        if (sl_task_state_restore(t, r->cfg, t->committed, &r->stop, &err) != SL_OK)
            goto fail;
        if (sl_exec_set_state(t->exec, t->store) != SL_OK) {
            sl_error_set(&err, SL_ERR_STATE, "the executor refused the state store");
            goto fail;
        }
    }
    if (t->txn && sl_task_txn_begin(t, &err) != SL_OK)
        goto fail;
    atomic_store(&t->state, SL_TASK_RUNNING);
    return;
fail:
    task_fail(r, t, &err);
}

/* Serves delivery reports of the thread's or the tasks' producers. */
static void poll_producers(sl_task_runner *r)
{
    if (r->producer)
        sl_producer_poll(r->producer);
    for (int i = 0; i < r->ntasks; i++)
        if (r->tasks[i].txn)
            sl_producer_poll(r->tasks[i].txn);
}

static void *runner_main(void *arg)
{
    sl_task_runner *r = arg;
    const sl_worker_config *cfg = r->cfg;
    sl_error err;

    metrics_publish(r); /* committed offsets are known since create */
    for (int i = 0; i < r->ntasks && !atomic_load(&r->stop); i++)
        task_prepare(r, &r->tasks[i]);
    r->last_checkpoint_ms = now_ms();
    int async = checkpoint_is_async(r);
    while (!atomic_load(&r->stop) && !r->delivery_failed) {
        int n = sl_consumer_poll_batch(r->consumer, 100, r->batch, cfg->batch_size, &err);
        if (n < 0) {
            set_health(r, err.msg);
            continue;
        }
        double t0 = n > 0 ? now_s() : 0;
        for (int i = 0; i < n; i++)
            handle_message(r, r->batch[i]);
        for (int i = 0; i < n; i++)
            rd_kafka_message_destroy(r->batch[i]);
        if (n > 0) {
            for (int i = 0; i < r->ntasks; i++)
                sl_exec_batch_reset(r->tasks[i].exec);
            atomic_fetch_add(&r->batches, 1);
            if (r->m_batch)
                sl_histogram_observe(r->m_batch, now_s() - t0);
            metrics_publish(r);
        }
        poll_producers(r);
        if (async)
            checkpoint_poll(r);
        if (now_ms() - r->last_checkpoint_ms >= cfg->commit_interval_ms ||
            r->since_checkpoint >= cfg->commit_every) {
            if (async)
                checkpoint_begin(r);
            else
                checkpoint(r, cfg->commit_interval_ms * 10 > 30000 ? cfg->commit_interval_ms * 10
                                                                   : 30000);
            update_lag(r);
            metrics_publish(r);
        }
    }
    /* The stop checkpoint below flushes and commits everything; an answer
     * still due to the one in flight is not needed. */
    sl_consumer_commit_abandon(r->ck_commit);
    r->ck_commit = NULL;
    r->ck_active = 0;
    /* Stop: the batch in hand is done; a last checkpoint makes a restart
     * continue exactly here (no duplicates). */
    r->rc = r->delivery_failed ? 1 : (checkpoint(r, cfg->shutdown_timeout_ms) == SL_OK ? 0 : 1);
    for (int i = 0; i < r->ntasks; i++)
        if (atomic_load(&r->tasks[i].state) != SL_TASK_FAILED)
            atomic_store(&r->tasks[i].state, SL_TASK_STOPPED);
    metrics_publish(r);
    sl_log_info(r->label, "stopped (%s)", r->rc == 0 ? "checkpoint done" : "checkpoint FAILED");
    atomic_store(&r->finished, 1);
    return NULL;
}

/* Reads the committed offset of partition, retrying while the group
 * coordinator is not ready (a broker that just started answers "not
 * coordinator" / "load in progress" for a while). */
static int committed_offset(sl_task_runner *r, int32_t partition, int64_t *out, sl_error *err)
{
    int64_t deadline = now_ms() + 60000;
    for (;;) {
        int rc = sl_consumer_committed(r->consumer, r->plan->input.topic, partition, 10000, out,
                                       err);
        if (rc == SL_OK || now_ms() >= deadline || atomic_load(&r->stop))
            return rc;
        sl_log_warn(r->label, "reading the committed offset of partition %d: %s; retrying",
                    partition, err->msg);
        struct timespec ts = {0, 500 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Reads t's committed input offset and adds its partition to the consumer
 * at that offset (none: the partition's beginning). */
static int task_assign(sl_task_runner *r, sl_task *t, sl_error *err)
{
    int64_t start = RD_KAFKA_OFFSET_INVALID;
    if (committed_offset(r, t->partition, &start, err) != SL_OK)
        return err->code;
    t->committed = start >= 0 ? start : -1;
    if (sl_consumer_assign(r->consumer, r->plan->input.topic, t->partition,
                           start >= 0 ? start : RD_KAFKA_OFFSET_BEGINNING, err) != SL_OK)
        return err->code;
    sl_log_info(t->label, "starting at %s%lld", start >= 0 ? "committed offset " : "",
                start >= 0 ? (long long)start : 0LL);
    return SL_OK;
}

sl_task_runner *sl_task_runner_create(const sl_plan *plan, const sl_worker_config *cfg,
                                      const int32_t *partitions, int count, int index,
                                      sl_metrics *metrics, sl_error *err)
{
    sl_task_runner *r = calloc(1, sizeof(*r));
    sl_kafka_props props = {0};
    char group[300];
    if (!r) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->health_lock, NULL);
    r->plan = plan;
    r->cfg = cfg;
    r->index = index;
    r->metrics = metrics;
    snprintf(r->label, sizeof(r->label), "%s/thread-%d", plan->name, index);
    r->tasks = calloc((size_t)(count > 0 ? count : 1), sizeof(*r->tasks));
    r->batch = calloc((size_t)cfg->batch_size, sizeof(*r->batch));
    if (!r->tasks || !r->batch)
        goto nomem;
    r->max_partition = -1;
    for (int i = 0; i < count; i++)
        if (partitions[i] > r->max_partition)
            r->max_partition = partitions[i];
    r->by_partition = calloc((size_t)r->max_partition + 2, sizeof(*r->by_partition));
    if (!r->by_partition)
        goto nomem;

    snprintf(group, sizeof(group), "sluice.%s", plan->name);
    if (sl_kafka_defaults_consumer(&props, cfg, err) != SL_OK)
        goto fail;
    /* Exactly-once: never process what an upstream transaction aborted. */
    if (plan->guarantee == SL_GUARANTEE_EXACTLY_ONCE &&
        sl_kafka_props_add(&props, "isolation.level", "read_committed", err) != SL_OK)
        goto fail;
    r->consumer = sl_consumer_create(cfg->bootstrap, group, &props, err);
    sl_kafka_props_clear(&props);
    if (!r->consumer)
        goto fail;
    /* At-least-once: one producer per thread (the fast path). Exactly-once:
     * each task gets its own transactional producer in task_prepare. */
    if (plan->guarantee != SL_GUARANTEE_EXACTLY_ONCE) {
        if (sl_kafka_defaults_producer(&props, cfg, err) != SL_OK)
            goto fail;
        r->producer = sl_producer_create(cfg->bootstrap, &props, err);
        sl_kafka_props_clear(&props);
        if (!r->producer)
            goto fail;
    }
    if (r->metrics && metrics_create(r, err) != SL_OK)
        goto fail;

    for (int i = 0; i < count; i++) {
        sl_task *t = &r->tasks[i];
        t->plan = plan;
        t->runner = r;
        t->producer = r->producer;
        t->partition = partitions[i];
        t->next_offset = -1;
        t->committed = -1;
        atomic_store(&t->lag, -1);
        atomic_store(&t->pub_committed, -1);
        snprintf(t->label, sizeof(t->label), "%s/%d", plan->name, partitions[i]);
        t->exec = sl_exec_create(plan, t->label, runner_emit, t, err);
        if (!t->exec)
            goto fail;
        r->ntasks++;
        r->by_partition[partitions[i]] = t;
        if (r->metrics && (metrics_task_create(r, t, err) != SL_OK ||
                           (sl_plan_is_stateful(plan) &&
                            sl_task_state_metrics_create(t, r->metrics, err) != SL_OK)))
            goto fail;
        /* Exactly-once: only after init_transactions (task_prepare), which
         * ends a crashed owner's transaction; until then the broker holds
         * back the offsets that transaction carries (read_committed). */
        if (plan->guarantee != SL_GUARANTEE_EXACTLY_ONCE && task_assign(r, t, err) != SL_OK)
            goto fail;
    }
    return r;
nomem:
    sl_error_set(err, SL_ERR_NOMEM, "out of memory");
fail:
    sl_kafka_props_clear(&props);
    sl_task_runner_destroy(r);
    return NULL;
}

int sl_task_runner_start(sl_task_runner *r, sl_error *err)
{
    if (pthread_create(&r->thread, NULL, runner_main, r) != 0)
        return sl_error_set(err, SL_ERR_IO, "cannot start thread %s", r->label);
    r->started = 1;
    return SL_OK;
}

void sl_task_runner_request_stop(sl_task_runner *r)
{
    atomic_store(&r->stop, 1);
}

int sl_task_runner_join(sl_task_runner *r)
{
    if (r->started && !r->joined) {
        pthread_join(r->thread, NULL);
        r->joined = 1;
    }
    return r->rc;
}

void sl_task_runner_destroy(sl_task_runner *r)
{
    if (!r)
        return;
    if (r->started && !r->joined) {
        sl_task_runner_request_stop(r);
        sl_task_runner_join(r);
    }
    metrics_remove(r);
    for (int i = 0; i < r->ntasks; i++) {
        sl_exec_destroy(r->tasks[i].exec);
        sl_task_txn_close(&r->tasks[i]);
        sl_task_state_close(&r->tasks[i]);
    }
    sl_consumer_destroy(r->consumer);
    sl_producer_destroy(r->producer);
    free(r->tasks);
    free(r->by_partition);
    free(r->batch);
    free(r->hscratch);
    pthread_mutex_destroy(&r->health_lock);
    free(r);
}

int sl_task_runner_finished(sl_task_runner *r)
{
    return atomic_load(&r->finished);
}

int sl_task_runner_task_count(const sl_task_runner *r)
{
    return r->ntasks;
}

const sl_task *sl_task_runner_task(const sl_task_runner *r, int i)
{
    return i >= 0 && i < r->ntasks ? &r->tasks[i] : NULL;
}

void sl_task_runner_stats(sl_task_runner *r, sl_runner_stats *out)
{
    out->checkpoints = atomic_load(&r->checkpoints);
    out->checkpoint_failures = atomic_load(&r->checkpoint_failures);
    out->batches = atomic_load(&r->batches);
    out->last_checkpoint_seconds = atomic_load(&r->last_checkpoint_seconds);
}

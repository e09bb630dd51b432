/* sl_task_runner — a worker thread: consume, execute, produce (see
 * sl_task_runner.h and docs/worker.md); its checkpoints are in
 * sl_task_checkpoint.c. */
#include "runtime/sl_task_runner.h"
#include "runtime/sl_task_runner_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sl_exec_reject.h"
#include "kafka/sl_consumer.h"
#include "kafka/sl_pipeline_topics.h"
#include "kafka/sl_producer.h"
#include "runtime/sl_kafka_defaults.h"
#include "runtime/sl_task_state.h"
#include "runtime/sl_task_txn.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

/* How long a producer waits for an output topic's metadata at start. */
#define WARM_TIMEOUT_MS 2000

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

void sl_runner_set_health(sl_task_runner *r, const char *reason)
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
int sl_runner_emit(void *opaque, const sl_record *rec, sl_error *err)
{
    sl_task *t = opaque;
    return sl_producer_send(t->producer, rec->topic, -1, rec->key, rec->key_len, rec->value,
                            rec->value_len, rec->timestamp, rec->headers, rec->nheaders, err);
}

void sl_runner_task_fail(sl_task_runner *r, sl_task *t, const sl_error *e)
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
    sl_runner_set_health(r, reason);
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
            sl_runner_set_health(r, reason);
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
            sl_runner_task_fail(r, t, &err);
            return;
        }
    }
    t->next_offset = m->offset + 1;
    t->dirty = 1;
    r->since_checkpoint++;
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

/* Lets producer p learn the plan's output and dead-letter topics before the
 * first record: otherwise the first outputs after a start or a task move
 * wait for librdkafka to look the topic up (measured: up to 0.3 s of
 * latency at the start of a load). */
static void warm_outputs(const sl_plan *plan, sl_producer *p)
{
    const char *t;
    for (size_t i = 0; (t = sl_pipeline_output_topic(plan, i)); i++)
        sl_producer_warm(p, t, WARM_TIMEOUT_MS);
}

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
        warm_outputs(r->plan, t->txn);
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
    sl_runner_task_fail(r, t, &err);
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
    if (r->producer)
        warm_outputs(r->plan, r->producer);
    for (int i = 0; i < r->ntasks && !atomic_load(&r->stop); i++)
        task_prepare(r, &r->tasks[i]);
    r->last_checkpoint_ms = sl_clock_mono_ms();
    int async = sl_runner_checkpoint_is_async(r);
    while (!atomic_load(&r->stop) && !r->delivery_failed) {
        int n = sl_consumer_poll_batch(r->consumer, 100, r->batch, cfg->batch_size, &err);
        if (n < 0) {
            sl_runner_set_health(r, err.msg);
            continue;
        }
        double t0 = n > 0 ? sl_clock_mono_s() : 0;
        for (int i = 0; i < n; i++)
            handle_message(r, r->batch[i]);
        for (int i = 0; i < n; i++)
            rd_kafka_message_destroy(r->batch[i]);
        if (n > 0) {
            for (int i = 0; i < r->ntasks; i++)
                sl_exec_batch_reset(r->tasks[i].exec);
            atomic_fetch_add(&r->batches, 1);
            if (r->m_batch)
                sl_histogram_observe(r->m_batch, sl_clock_mono_s() - t0);
            metrics_publish(r);
        }
        poll_producers(r);
        if (async)
            sl_runner_checkpoint_poll(r);
        if (sl_clock_mono_ms() - r->last_checkpoint_ms >= cfg->commit_interval_ms ||
            r->since_checkpoint >= cfg->commit_every) {
            if (async)
                sl_runner_checkpoint_begin(r);
            else
                sl_runner_checkpoint(r, cfg->commit_interval_ms * 10 > 30000
                                            ? cfg->commit_interval_ms * 10
                                            : 30000);
            update_lag(r);
            metrics_publish(r);
        }
    }
    /* The stop checkpoint below flushes and commits everything; an answer
     * still due to the one in flight is not needed. */
    sl_runner_checkpoint_abandon(r);
    /* Stop: the batch in hand is done; a last checkpoint makes a restart
     * continue exactly here (no duplicates). */
    r->rc = r->delivery_failed ? 1 : (sl_runner_checkpoint(r, cfg->shutdown_timeout_ms) == SL_OK ? 0 : 1);
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
    int64_t deadline = sl_clock_mono_ms() + 60000;
    for (;;) {
        int rc = sl_consumer_committed(r->consumer, r->plan->input.topic, partition, 10000, out,
                                       err);
        if (rc == SL_OK || sl_clock_mono_ms() >= deadline || atomic_load(&r->stop))
            return rc;
        sl_log_warn(r->label, "reading the committed offset of partition %d: %s; retrying",
                    partition, err->msg);
        sl_clock_sleep_ms(500);
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
        t->exec = sl_exec_create(plan, t->label, sl_runner_emit, t, err);
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

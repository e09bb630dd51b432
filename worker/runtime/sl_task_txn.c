/* sl_task_txn — a task's transactional producer (see sl_task_txn.h and
 * docs/state.md, "Exactly-once").
 *
 * Why one producer per TASK and not per thread: a transactional.id names the
 * unit Kafka fences. Deriving it from (pipeline, partition) means that
 * whichever worker runs the task next — after a crash, a kill -9 or a move —
 * calls init_transactions with the same id, which bumps the producer epoch,
 * fences the previous owner (its next transactional call fails with a fatal
 * "fenced" error) and aborts the transaction it left open. A per-thread id
 * would depend on how tasks are spread over threads, and two workers could
 * then own one task under different ids.
 *
 * Error classes follow librdkafka's: retriable → retry the same call;
 * requires-abort → abort, and the caller rewinds the task to its committed
 * offset; anything else (fenced, fatal) → the task stops loudly. */
#include "runtime/sl_task_txn.h"

#include <stdio.h>
#include <stdlib.h>

#include "runtime/sl_kafka_defaults.h"
#include "runtime/sl_task_state.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define TXN_RETRIES 10

const char *sl_task_txn_id(const sl_plan *plan, int32_t partition, char *buf, size_t size)
{
    snprintf(buf, size, "sluice.%s.%d", plan->name, (int)partition);
    return buf;
}

/* Turns e into err (and destroys e). */
static int txn_error(sl_task *t, rd_kafka_error_t *e, const char *what, sl_error *err)
{
    int rc = sl_error_set(err, SL_ERR_KAFKA, "%s: %s%s", what, rd_kafka_error_string(e),
                          rd_kafka_error_is_fatal(e) ? " (fatal)" : "");
    (void)t;
    rd_kafka_error_destroy(e);
    return rc;
}

int sl_task_txn_init(sl_task *t, const sl_worker_config *cfg, sl_error *err)
{
    char id[400];
    sl_kafka_props props = {0};
    sl_task_txn_id(t->plan, t->partition, id, sizeof(id));
    if (sl_kafka_defaults_producer_txn(&props, cfg, id, err) != SL_OK) {
        sl_kafka_props_clear(&props);
        return SL_ERR_NOMEM;
    }
    t->txn = sl_producer_create(cfg->bootstrap, &props, err);
    sl_kafka_props_clear(&props);
    if (!t->txn)
        return err->code;
    rd_kafka_t *rk = sl_producer_handle(t->txn);
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(rk, 60000);
        if (!e)
            break;
        if (!rd_kafka_error_is_retriable(e) || attempt >= TXN_RETRIES)
            return txn_error(t, e, "init_transactions", err);
        sl_log_warn(t->label, "init_transactions: %s; retrying", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        sl_clock_sleep_ms(500);
    }
    sl_log_info(t->label, "exactly-once: transactional.id %s initialised", id);
    return SL_OK;
}

int sl_task_txn_begin(sl_task *t, sl_error *err)
{
    if (t->txn_open)
        return SL_OK;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(sl_producer_handle(t->txn));
    if (e)
        return txn_error(t, e, "begin_transaction", err);
    t->txn_open = 1;
    return SL_OK;
}

void sl_task_txn_abort(sl_task *t)
{
    if (!t->txn || !t->txn_open)
        return;
    for (int attempt = 0; attempt < TXN_RETRIES; attempt++) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(sl_producer_handle(t->txn), -1);
        if (!e)
            break;
        int retry = rd_kafka_error_is_retriable(e);
        sl_log_warn(t->label, "abort_transaction: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (!retry)
            break;
        sl_clock_sleep_ms(200);
    }
    t->txn_open = 0;
    /* Aborted records take offsets but are not part of the changelog. */
    t->changelog_unacked = 0;
}

/* Classifies e: 0 retry, SL_TXN_ABORTED (aborted here), or fatal (< 0). */
static int txn_handle(sl_task *t, rd_kafka_error_t *e, const char *what, int attempt,
                      sl_error *err)
{
    if (rd_kafka_error_txn_requires_abort(e)) {
        sl_log_warn(t->label, "%s: %s; aborting the transaction and processing again", what,
                    rd_kafka_error_string(e));
        sl_error_set(err, SL_ERR_KAFKA, "%s: %s", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        sl_task_txn_abort(t);
        return SL_TXN_ABORTED;
    }
    if (rd_kafka_error_is_retriable(e) && attempt < TXN_RETRIES) {
        sl_log_warn(t->label, "%s: %s; retrying", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        sl_clock_sleep_ms(200);
        return 0;
    }
    t->txn_open = 0;
    return txn_error(t, e, what, err);
}

int sl_task_txn_commit(sl_task *t, int64_t next_offset, sl_error *err)
{
    rd_kafka_t *rk = sl_producer_handle(t->txn);
    char group[400];
    int rc;
    if (!t->txn_open)
        return SL_OK;
    snprintf(group, sizeof(group), "sluice.%s", t->plan->name);
    if (next_offset >= 0) {
        /* The consumer uses manual assignment and no group membership, so
         * the group metadata is just the group id (generation -1): the
         * broker accepts such transactional commits like simple commits. */
        rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata_new(group);
        rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(offsets, t->plan->input.topic, t->partition)->offset =
            next_offset;
        for (int attempt = 0;; attempt++) {
            rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(rk, offsets, cgmd, -1);
            if (!e) {
                rc = SL_OK;
                break;
            }
            if ((rc = txn_handle(t, e, "send_offsets_to_transaction", attempt, err)) != 0)
                break;
        }
        rd_kafka_topic_partition_list_destroy(offsets);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (rc != SL_OK)
            return rc;
    }
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = rd_kafka_commit_transaction(rk, -1);
        if (!e)
            break;
        if ((rc = txn_handle(t, e, "commit_transaction", attempt, err)) != 0)
            return rc;
    }
    t->txn_open = 0;
    /* The producer's own delivery accounting: the commit flushed everything
     * and succeeded, so consume the counters (failures of aborted
     * transactions are not this transaction's). */
    sl_error ignored;
    sl_producer_flush(t->txn, 0, &ignored);
    return SL_OK;
}

int sl_task_txn_checkpoint(sl_task *t, int64_t input_offset, sl_error *err)
{
    int pending = t->store && sl_state_pending_count(t->store) > 0;
    if (!t->txn || (!t->dirty && !pending))
        return SL_OK; /* the (empty) transaction stays open */
    int rc = pending ? sl_task_state_produce_changes(t, t->txn, input_offset, err) : SL_OK;
    if (rc == SL_OK)
        rc = sl_task_txn_commit(t, t->dirty ? input_offset : -1, err);
    if (rc == SL_TXN_ABORTED)
        return rc;
    if (rc != SL_OK) {
        sl_log_error(t->label, "exactly-once: %s: another worker owns this task now (fenced), "
                               "or the producer failed for good",
                     err->msg);
        return rc;
    }
    /* Committed in Kafka; a crash before the next line leaves the store
     * behind the changelog, which the restore catches up (docs/state.md). */
    if (t->store && (rc = sl_task_state_commit(t, input_offset, err)) != SL_OK)
        return rc;
    t->committed = input_offset;
    t->dirty = 0;
    return sl_task_txn_begin(t, err);
}

void sl_task_txn_close(sl_task *t)
{
    if (!t->txn)
        return;
    sl_task_txn_abort(t);
    sl_producer_destroy(t->txn);
    t->txn = NULL;
}

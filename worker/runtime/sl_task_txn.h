/* sl_task_txn — exactly-once for one task: its own transactional producer
 * (transactional.id = "sluice.<pipeline>.<partition>", so that a restarted or
 * moved task fences any older owner), and one transaction per checkpoint
 * holding the task's outputs, its changelog records and its input offset
 * (send_offsets_to_transaction in the group "sluice.<pipeline>").
 *
 * @locality: the task's runner thread. */
#ifndef SL_TASK_TXN_H
#define SL_TASK_TXN_H

#include "runtime/sl_task.h"
#include "runtime/sl_worker_config.h"

/* Outcomes of sl_task_txn_commit besides SL_OK. */
enum {
    SL_TXN_ABORTED = 1, /* abortable error: the transaction was aborted; rewind */
};

/* Writes the task's transactional.id into buf. */
const char *sl_task_txn_id(const sl_plan *plan, int32_t partition, char *buf, size_t size);

/* Creates t->txn and runs init_transactions (which fences a previous owner
 * and aborts its open transaction). Call BEFORE restoring state: the abort
 * is what lets read_committed readers of the changelog reach its end. */
int sl_task_txn_init(sl_task *t, const sl_worker_config *cfg, sl_error *err);

/* Begins a transaction unless one is open. */
int sl_task_txn_begin(sl_task *t, sl_error *err);

/* Adds the input offset next_offset of the task to the open transaction and
 * commits it. SL_OK: committed; SL_TXN_ABORTED: an abortable error, the
 * transaction is aborted (the caller rewinds the task); negative SL_ERR_*:
 * fatal (fenced by a newer owner, or the producer failed for good): the task
 * must stop. */
int sl_task_txn_commit(sl_task *t, int64_t next_offset, sl_error *err);

/* One exactly-once checkpoint of t at input offset input_offset: its
 * pending state changes go into the open transaction as changelog records,
 * the transaction commits with the input offset, the RocksDB batch is
 * written, and the next transaction begins. Nothing to do (no input, no
 * change) leaves the transaction open. Returns SL_OK, SL_TXN_ABORTED (the
 * transaction was aborted: the caller rewinds t and begins again), or a
 * negative SL_ERR_* when t must stop (fenced, fatal, disk), err filled. */
int sl_task_txn_checkpoint(sl_task *t, int64_t input_offset, sl_error *err);

/* Aborts the open transaction (best effort; used on failure paths). */
void sl_task_txn_abort(sl_task *t);

/* Aborts what is open and frees t->txn. */
void sl_task_txn_close(sl_task *t);

#endif

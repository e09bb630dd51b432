/* sl_task_state — a task's state on the worker: the RocksDB store in
 * <state-dir>/<pipeline>/<partition>/, its restore from the changelog topic
 * `<pipeline>.changelog` when the task starts, and the changelog records of
 * each checkpoint. The checkpoint ORDER is the runner's (sl_task_runner.c,
 * sl_task_txn.c); the rules that make restore correct are here and in
 * docs/state.md.
 *
 * @locality: the task's runner thread. */
#ifndef SL_TASK_STATE_H
#define SL_TASK_STATE_H

#include <stdatomic.h>
#include <stdint.h>

#include "kafka/sl_producer.h"
#include "metrics/sl_metrics.h"
#include "runtime/sl_task.h"
#include "runtime/sl_worker_config.h"

/* The header every changelog record carries: the input offset (the next
 * offset to process) of the checkpoint the record belongs to, as decimal
 * text. */
#define SL_CHANGELOG_OFFSET_HEADER "sluice.offset"


/* Writes the task's state directory "<state_dir>/<state name>/<partition>"
 * (sl_plan_state_name). */
const char *sl_task_state_dir(const sl_worker_config *cfg, const sl_plan *plan,
                              int32_t partition, char *buf, size_t size);

/* Creates the task's restore metrics (series in metrics; NULL: none). */
int sl_task_state_metrics_create(sl_task *t, sl_metrics *metrics, sl_error *err);

/* Opens t->state and restores it from the changelog so that it reflects
 * exactly the input before `committed` (the task's committed input offset,
 * -1 when none):
 *   - local store ahead of committed → wiped, restored from the beginning;
 *   - changelog read from the store's changelog offset (the beginning for a
 *     new store) to its end, with read_committed;
 *   - records whose sluice.offset header is beyond committed are skipped.
 * Stops early (SL_ERR_STATE) when *stop becomes non-zero. */
int sl_task_state_restore(sl_task *t, const sl_worker_config *cfg, int64_t committed,
                          const atomic_int *stop, sl_error *err);

/* Produces every pending state change of t as a changelog record through p
 * (partition = t->partition, header sluice.offset = input_offset) and adds
 * their number to t->changelog_unacked. */
int sl_task_state_produce_changes(sl_task *t, sl_producer *p, int64_t input_offset,
                                  sl_error *err);

/* After the changelog records are safely in Kafka: one RocksDB batch with
 * the changes and the offsets (input_offset, changelog end lower bound). */
int sl_task_state_commit(sl_task *t, int64_t input_offset, sl_error *err);

/* Closes the store and frees the task's state scratch; safe on a task
 * without state. */
void sl_task_state_close(sl_task *t);

#endif

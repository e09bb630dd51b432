/* sl_kafka_defaults — the worker's librdkafka settings: Sluice's defaults for
 * prefetch, batching and delivery (docs/worker.md, "Prefetch and memory"),
 * followed by the user's -X properties, which win. */
#ifndef SL_KAFKA_DEFAULTS_H
#define SL_KAFKA_DEFAULTS_H

#include "kafka/sl_kafka_conf.h"
#include "runtime/sl_worker_config.h"

/* Appends the consumer defaults, then cfg->props, to props (caller clears). */
int sl_kafka_defaults_consumer(sl_kafka_props *props, const sl_worker_config *cfg, sl_error *err);

/* For a task's changelog restore: the restore consumer's defaults, then
 * cfg->props, then what a restore cannot do without (read to the partition's
 * end, read_committed). Caller clears props. */
int sl_kafka_defaults_restore_consumer(sl_kafka_props *props, const sl_worker_config *cfg,
                                       sl_error *err);

/* Appends the producer defaults, then cfg->props, to props (caller clears). */
int sl_kafka_defaults_producer(sl_kafka_props *props, const sl_worker_config *cfg, sl_error *err);

/* The producer defaults with the settings a transactional producer needs
 * after the user's properties (which cannot turn them off): a finite
 * message.timeout.ms below transaction.timeout.ms (librdkafka requires it),
 * and transactional.id = txn_id. */
int sl_kafka_defaults_producer_txn(sl_kafka_props *props, const sl_worker_config *cfg,
                                   const char *txn_id, sl_error *err);

#endif

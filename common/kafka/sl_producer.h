/* sl_producer — a Kafka producer that knows whether everything it sent was
 * delivered: the basis of checkpoints ("flush, wait for every delivery report,
 * only then commit input offsets").
 *
 * Delivery reports are counted in the producer's own callback; sl_producer_flush
 * returns an error if any message since the previous flush failed, so a caller
 * never commits past a lost output. One producer may be shared by threads for
 * produce; flush and the counters belong to one owner thread. */
#ifndef SL_PRODUCER_H
#define SL_PRODUCER_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "kafka/sl_kafka_conf.h"
#include "util/sl_error.h"
#include "util/sl_header.h"

typedef struct sl_producer sl_producer;


/* Returns a new producer for bootstrap with the user's props (may be NULL);
 * acks=all and idempotence are on by default. NULL with err on failure.
 * Free with sl_producer_destroy. */
sl_producer *sl_producer_create(const char *bootstrap, const sl_kafka_props *props,
                                sl_error *err);

/* Flushes for up to 10 s, then frees; NULL is a no-op. */
void sl_producer_destroy(sl_producer *p);

/* Queues one record; key/value are copied (may be NULL for null). partition
 * -1 lets the partitioner choose (murmur2 of the key, like the Java client);
 * timestamp_ms 0 means now. SL_ERR_KAFKA when the queue refuses it. */
int sl_producer_send(sl_producer *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len, int64_t timestamp_ms,
                     const sl_header *headers, size_t header_count, sl_error *err);

/* Waits until every queued record has a delivery report (up to timeout_ms).
 * Returns SL_OK only if all records since the previous flush were delivered;
 * otherwise SL_ERR_TIMEOUT or SL_ERR_KAFKA with the first failure's reason. */
int sl_producer_flush(sl_producer *p, int timeout_ms, sl_error *err);

/* Checkpoint epochs, a flush that does not wait: closes the open epoch (every
 * record sent so far) and returns its number; records sent from now on
 * belong to the next one. Returns 0 (nothing closed) while the epoch closed
 * before is not yet delivered: one closed epoch at a time. Owner thread. */
uint64_t sl_producer_epoch_close(sl_producer *p);

/* 1 when every record of closed epoch `epoch` has a successful delivery
 * report, 0 while some are outstanding (serve reports with
 * sl_producer_poll), SL_ERR_KAFKA (first failure's reason in err) when any
 * record since the previous flush or check failed. Owner thread. */
int sl_producer_epoch_delivered(sl_producer *p, uint64_t epoch, sl_error *err);

/* Fetches topic's metadata now (up to timeout_ms), so that the first record
 * sent to it does not wait for librdkafka to learn its partitions and
 * leaders. Best effort: failure changes nothing but that wait. */
void sl_producer_warm(sl_producer *p, const char *topic, int timeout_ms);

/* Serves delivery reports without blocking (call now and then between flushes). */
void sl_producer_poll(sl_producer *p);

/* Records delivered / failed since creation. */
uint64_t sl_producer_delivered(const sl_producer *p);
uint64_t sl_producer_failed(const sl_producer *p);

/* The underlying handle, borrowed (for metadata or admin calls). */
rd_kafka_t *sl_producer_handle(sl_producer *p);

#endif

/* sl_consumer — a Kafka consumer with manual partition assignment: Sluice,
 * not the broker's group protocol, decides who reads which partition. The
 * group id is used only to store committed offsets.
 *
 * Auto-commit is off; offsets are committed explicitly after a checkpoint.
 * One consumer belongs to one thread. */
#ifndef SL_CONSUMER_H
#define SL_CONSUMER_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "kafka/sl_kafka_conf.h"
#include "util/sl_error.h"

typedef struct sl_consumer sl_consumer;

/* Returns a new consumer for bootstrap, committing under group_id (may be
 * NULL: no commits), with the user's props (may be NULL). NULL with err on
 * failure. Free with sl_consumer_destroy. */
sl_consumer *sl_consumer_create(const char *bootstrap, const char *group_id,
                                const sl_kafka_props *props, sl_error *err);

/* Closes and frees; NULL is a no-op. */
void sl_consumer_destroy(sl_consumer *c);

/* Adds topic/partition at offset (RD_KAFKA_OFFSET_BEGINNING, _END,
 * _STORED or an absolute offset) to the assignment, leaving the partitions
 * already assigned undisturbed. SL_ERR_EXISTS when it is assigned already. */
int sl_consumer_assign(sl_consumer *c, const char *topic, int32_t partition, int64_t offset,
                       sl_error *err);

/* Clears the assignment. */
int sl_consumer_unassign(sl_consumer *c, sl_error *err);

/* Fills msgs with up to max messages: whatever is queued now, or, when
 * nothing is, the first to arrive within timeout_ms and what came with it.
 * Returns the count (>= 0) or a negative SL_ERR_*. Each message is the
 * caller's: free with rd_kafka_message_destroy. Messages may carry errors
 * (m->err), e.g. end of partition. */
int sl_consumer_poll_batch(sl_consumer *c, int timeout_ms, rd_kafka_message_t **msgs, int max,
                           sl_error *err);

/* Synchronously commits next_offset (the offset of the next message to read)
 * for topic/partition. */
int sl_consumer_commit(sl_consumer *c, const char *topic, int32_t partition, int64_t next_offset,
                       sl_error *err);

/* Commits every entry of offsets (topic, partition, next offset) and waits
 * at most timeout_ms for the broker's answer: unlike librdkafka's synchronous
 * commit, which waits forever for an unreachable coordinator, this bounds
 * shutdown. SL_ERR_TIMEOUT or SL_ERR_KAFKA (first failing partition) on
 * failure; the commit may still complete later. */
int sl_consumer_commit_list(sl_consumer *c, const rd_kafka_topic_partition_list_t *offsets,
                            int timeout_ms, sl_error *err);

/* A commit in flight (sl_consumer_commit_begin). */
typedef struct sl_commit_pending sl_commit_pending;

/* Starts committing every entry of offsets (borrowed) without waiting.
 * Returns a new handle: finish it with sl_consumer_commit_poll or
 * sl_consumer_commit_abandon (then the commit may still complete). NULL
 * with err when the commit cannot be started. */
sl_commit_pending *sl_consumer_commit_begin(sl_consumer *c,
                                            const rd_kafka_topic_partition_list_t *offsets,
                                            sl_error *err);

/* Waits up to timeout_ms (0: just looks) for h's answer: 0 while there is
 * none (h stays valid), 1 committed, SL_ERR_KAFKA (first failing partition
 * in err) failed; in both last cases h is freed. */
int sl_consumer_commit_poll(sl_commit_pending *h, int timeout_ms, sl_error *err);

/* Frees h without waiting for its answer; NULL is a no-op. */
void sl_consumer_commit_abandon(sl_commit_pending *h);

/* Reads the committed offset of topic/partition into *out (RD_KAFKA_OFFSET_INVALID
 * when none). */
int sl_consumer_committed(sl_consumer *c, const char *topic, int32_t partition, int timeout_ms,
                          int64_t *out, sl_error *err);

/* Low and high watermark of topic/partition from the broker. */
int sl_consumer_watermarks(sl_consumer *c, const char *topic, int32_t partition, int timeout_ms,
                           int64_t *low, int64_t *high, sl_error *err);

/* The underlying handle, borrowed. */
rd_kafka_t *sl_consumer_handle(sl_consumer *c);

#endif

/* sl_topic_admin — one interface to create and describe topics, with two
 * backends chosen when the admin is created:
 *
 *   "kafka"    the Kafka Admin API (CreateTopics, DescribeConfigs) of a real
 *              broker;
 *   "embedded" Sluice's embedded broker (librdkafka's mock cluster), which
 *              does not serve CreateTopics: requests go either straight to
 *              the in-process broker or, from another process, through the
 *              broker's admin control topic.
 *
 * sl_topic_admin_create() detects the backend from the broker's metadata (the
 * embedded broker carries SL_EMBEDDED_ADMIN_REQUESTS). Partition counts come
 * from a metadata request on both backends. One admin is used by one thread
 * at a time. */
#ifndef SL_TOPIC_ADMIN_H
#define SL_TOPIC_ADMIN_H

#include <stddef.h>

#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_kafka_conf.h"
#include "util/sl_error.h"

typedef struct sl_topic_admin sl_topic_admin;

/* Connects to bootstrap (with the user's properties, may be NULL), detects
 * the backend and returns a new admin; free with sl_topic_admin_destroy.
 * NULL when the broker does not answer within timeout_ms, with err set. */
sl_topic_admin *sl_topic_admin_create(const char *bootstrap, const sl_kafka_props *props,
                                      int timeout_ms, sl_error *err);

/* Returns a new admin that calls the in-process broker b directly (borrowed:
 * b must outlive the admin). NULL on allocation failure. */
sl_topic_admin *sl_topic_admin_create_embedded(sl_embedded_broker *b, sl_error *err);

/* Frees the admin and its Kafka handles; NULL is a no-op. */
void sl_topic_admin_destroy(sl_topic_admin *a);

/* "kafka" or "embedded". */
const char *sl_topic_admin_backend(const sl_topic_admin *a);

/* Creates topic with partitions and configs (n entries), and waits until the
 * broker's metadata shows it. SL_ERR_EXISTS when it already exists (its
 * partition count is then unchanged), SL_ERR_TIMEOUT, SL_ERR_KAFKA. */
int sl_topic_admin_create_topic(sl_topic_admin *a, const char *topic, int partitions,
                                const sl_topic_config *configs, size_t n, int timeout_ms,
                                sl_error *err);

/* Creates topic unless it exists; *out_partitions (may be NULL) receives the
 * partition count it has afterwards. */
int sl_topic_admin_ensure_topic(sl_topic_admin *a, const char *topic, int partitions,
                                const sl_topic_config *configs, size_t n, int timeout_ms,
                                int *out_partitions, sl_error *err);

/* Writes the partition count of topic to *out. SL_ERR_NOT_FOUND when the
 * topic does not exist. */
int sl_topic_admin_partitions(sl_topic_admin *a, const char *topic, int timeout_ms, int *out,
                              sl_error *err);

/* Waits up to timeout_ms until topic exists; its partition count to *out
 * (may be NULL). SL_ERR_TIMEOUT when it did not appear. */
int sl_topic_admin_wait_metadata_for(sl_topic_admin *a, const char *topic, int timeout_ms,
                                     int *out, sl_error *err);

/* Copies the value of topic config key (e.g. "cleanup.policy") into buf.
 * SL_ERR_NOT_FOUND when topic or key is unknown. */
int sl_topic_admin_describe_config(sl_topic_admin *a, const char *topic, const char *key,
                                   char *buf, size_t size, int timeout_ms, sl_error *err);

/* Deletes topic (kafka backend only; the mock cannot delete: SL_ERR_UNSUPPORTED). */
int sl_topic_admin_delete_topic(sl_topic_admin *a, const char *topic, int timeout_ms,
                                sl_error *err);

#endif

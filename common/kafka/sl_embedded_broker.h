/* sl_embedded_broker — a Kafka-protocol broker inside this process, built on
 * librdkafka's mock cluster, for trying Sluice out and for fast tests.
 *
 * The mock does not serve CreateTopics, so the embedded broker also answers
 * topic-admin requests that arrive as records on its control topic
 * SL_EMBEDDED_ADMIN_REQUESTS (replies on SL_EMBEDDED_ADMIN_REPLIES): any
 * process that knows only the bootstrap address can create topics through
 * sl_topic_admin (see sl_topic_admin_embedded.c for the client side). Known
 * limits of the mock: it keeps only ~5 MiB or 100k batches per partition and
 * drops older data, it never compacts, topic configs are recorded but have
 * no effect. See docs/embedded-kafka.md. */
#ifndef SL_EMBEDDED_BROKER_H
#define SL_EMBEDDED_BROKER_H

#include <stddef.h>

#include "util/sl_error.h"

#define SL_EMBEDDED_ADMIN_REQUESTS "__sluice_embedded.admin.requests"
#define SL_EMBEDDED_ADMIN_REPLIES "__sluice_embedded.admin.replies"

typedef struct sl_embedded_broker sl_embedded_broker;

/* One topic configuration entry, e.g. {"cleanup.policy", "compact"}. */
typedef struct sl_topic_config {
    const char *name;
    const char *value;
} sl_topic_config;

/* Starts a mock cluster of broker_count brokers (>= 1) and its admin thread.
 * Returns a new broker; stop with sl_embedded_broker_destroy. NULL on error. */
sl_embedded_broker *sl_embedded_broker_create(int broker_count, sl_error *err);

/* Stops the admin thread and the cluster; every client must be gone by then.
 * NULL is a no-op. */
void sl_embedded_broker_destroy(sl_embedded_broker *b);

/* The bootstrap address list ("127.0.0.1:PORT,..."), borrowed: valid until
 * destroy. */
const char *sl_embedded_broker_bootstrap(const sl_embedded_broker *b);

/* Creates a topic with partitions (>= 1) and records its configs (n entries,
 * copied). SL_ERR_EXISTS when it exists; SL_ERR_INVALID on bad arguments.
 * Thread-safe. */
int sl_embedded_broker_create_topic(sl_embedded_broker *b, const char *topic, int partitions,
                                    const sl_topic_config *configs, size_t n, sl_error *err);

/* Creates a topic from a "NAME:PARTITIONS" argument (":PARTITIONS" optional,
 * default 1), as given to --topic. SL_ERR_INVALID names the bad argument. */
int sl_embedded_broker_create_topic_arg(sl_embedded_broker *b, const char *arg, sl_error *err);

/* Copies the recorded value of config key of topic into buf. SL_ERR_NOT_FOUND
 * when the topic is unknown or the key was never set. Thread-safe. */
int sl_embedded_broker_topic_config(sl_embedded_broker *b, const char *topic, const char *key,
                                    char *buf, size_t size, sl_error *err);

#endif

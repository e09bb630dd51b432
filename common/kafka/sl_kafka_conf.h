/* sl_kafka_conf — librdkafka configuration from a bootstrap address and the
 * user's `-X key=value` properties (security settings pass straight through).
 *
 * sl_kafka_props is an ordered list of key/value pairs; later entries win.
 * Also the one small client helper every Kafka client here needs:
 * sl_kafka_learn_topic (metadata before first use). */
#ifndef SL_KAFKA_CONF_H
#define SL_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "util/sl_error.h"

typedef struct sl_kafka_props {
    size_t count;
    char **keys;   /* owned */
    char **values; /* owned */
} sl_kafka_props;

/* Appends "key=value" (copied). SL_ERR_INVALID when there is no '=' or the key
 * is empty; SL_ERR_NOMEM on allocation failure. */
int sl_kafka_props_add_kv(sl_kafka_props *props, const char *kv, sl_error *err);

/* Appends key and value (both copied). */
int sl_kafka_props_add(sl_kafka_props *props, const char *key, const char *value, sl_error *err);

/* Frees the entries and zeroes props; NULL is a no-op. */
void sl_kafka_props_clear(sl_kafka_props *props);

/* True when a property carries a secret (passwords, keys, tokens): never log
 * its value. */
int sl_kafka_prop_is_secret(const char *key);

/* Returns a new rd_kafka_conf_t with bootstrap.servers (may be NULL), the
 * given properties (props may be NULL) and Sluice's log callback; NULL on a
 * rejected property, with its name in err. Ownership passes to rd_kafka_new
 * or to rd_kafka_conf_destroy. */
rd_kafka_conf_t *sl_kafka_conf_new(const char *bootstrap, const sl_kafka_props *props,
                                   sl_error *err);

/* Sets one property on conf; SL_ERR_INVALID naming the key when rejected. */
int sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, sl_error *err);

/* Fetches the metadata of rkt (borrowed; NULL is a no-op) through client rk,
 * waiting up to timeout_ms, so that rk knows the topic's partitions and
 * leaders before it first uses them: otherwise librdkafka learns them at a
 * later refresh, and the first fetch or send waits for it. Best effort. */
void sl_kafka_learn_topic(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int timeout_ms);

#endif

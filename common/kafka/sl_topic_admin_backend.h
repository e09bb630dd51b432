/* sl_topic_admin_backend — the internal contract between sl_topic_admin.c
 * (the facade) and its two backends; not for use outside common/kafka. */
#ifndef SL_TOPIC_ADMIN_BACKEND_H
#define SL_TOPIC_ADMIN_BACKEND_H

#include <librdkafka/rdkafka.h>

#include "kafka/sl_topic_admin.h"

typedef struct sl_topic_admin_ops {
    const char *name;
    int (*create_topic)(sl_topic_admin *a, const char *topic, int partitions,
                        const sl_topic_config *configs, size_t n, int timeout_ms, sl_error *err);
    int (*describe_config)(sl_topic_admin *a, const char *topic, const char *key, char *buf,
                           size_t size, int timeout_ms, sl_error *err);
    int (*delete_topic)(sl_topic_admin *a, const char *topic, int timeout_ms, sl_error *err);
    void (*destroy)(sl_topic_admin *a);
} sl_topic_admin_ops;

struct sl_topic_admin {
    const sl_topic_admin_ops *ops;
    rd_kafka_t *rk;              /* producer handle: metadata + Admin API; NULL in-process */
    sl_embedded_broker *broker;  /* in-process embedded broker, borrowed; or NULL */
    void *backend;               /* backend-private state */
};

extern const sl_topic_admin_ops sl_topic_admin_kafka_ops;
extern const sl_topic_admin_ops sl_topic_admin_embedded_ops;

/* Waits up to timeout_ms until metadata shows topic; its partition count to
 * *out (may be NULL). SL_ERR_NOT_FOUND / SL_ERR_TIMEOUT on failure. */
int sl_topic_admin_wait_metadata(rd_kafka_t *rk, const char *topic, int timeout_ms, int *out,
                                 sl_error *err);

/* Embedded backend over the wire: creates the reply consumer that admin
 * requests through the control topic need. */
int sl_topic_admin_embedded_connect(sl_topic_admin *a, const char *bootstrap,
                                    const sl_kafka_props *props, sl_error *err);

#endif

/* sl_topic_admin — facade: backend detection, metadata, dispatch
 * (see sl_topic_admin.h; backends in sl_topic_admin_kafka.c and
 * sl_topic_admin_embedded.c). */
#include "kafka/sl_topic_admin.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/sl_topic_admin_backend.h"
#include "util/sl_clock.h"

/* Looks topic up in one all-topics metadata answer: 1 found (*out = count),
 * 0 absent, negative on error. */
static int metadata_lookup(rd_kafka_t *rk, const char *topic, int timeout_ms, int *out,
                           sl_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (kerr)
        return sl_error_set(err, kerr == RD_KAFKA_RESP_ERR__TIMED_OUT ? SL_ERR_TIMEOUT
                                                                       : SL_ERR_KAFKA,
                            "metadata request failed: %s", rd_kafka_err2str(kerr));
    int found = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err &&
            md->topics[i].partition_cnt > 0) {
            if (out)
                *out = md->topics[i].partition_cnt;
            found = 1;
            break;
        }
    }
    rd_kafka_metadata_destroy(md);
    return found;
}

int sl_topic_admin_wait_metadata(rd_kafka_t *rk, const char *topic, int timeout_ms, int *out,
                                 sl_error *err)
{
    int64_t deadline = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - sl_clock_mono_ms());
        int rc = metadata_lookup(rk, topic, left > 100 ? left : 100, out, err);
        if (rc == 1)
            return SL_OK;
        if (sl_clock_mono_ms() >= deadline)
            return rc < 0 ? rc
                          : sl_error_set(err, SL_ERR_TIMEOUT,
                                         "topic %s did not appear in metadata within %d ms", topic,
                                         timeout_ms);
        sl_clock_sleep_ms(50);
    }
}

sl_topic_admin *sl_topic_admin_create(const char *bootstrap, const sl_kafka_props *props,
                                      int timeout_ms, sl_error *err)
{
    char errstr[512];
    sl_topic_admin *a = calloc(1, sizeof(*a));
    rd_kafka_conf_t *conf = NULL;
    if (!a) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    conf = sl_kafka_conf_new(bootstrap, props, err);
    if (!conf || sl_kafka_conf_set(conf, "allow.auto.create.topics", "false", err) ||
        sl_kafka_conf_set(conf, "client.id", "sluice-topic-admin", err))
        goto fail;
    a->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!a->rk) {
        sl_error_set(err, SL_ERR_KAFKA, "creating admin client: %s", errstr);
        goto fail;
    }
    conf = NULL; /* owned by rk now */
    int rc = metadata_lookup(a->rk, SL_EMBEDDED_ADMIN_REQUESTS, timeout_ms, NULL, err);
    if (rc < 0)
        goto fail;
    a->ops = rc == 1 ? &sl_topic_admin_embedded_ops : &sl_topic_admin_kafka_ops;
    if (rc == 1 && sl_topic_admin_embedded_connect(a, bootstrap, props, err) != SL_OK)
        goto fail;
    return a;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    sl_topic_admin_destroy(a);
    return NULL;
}

sl_topic_admin *sl_topic_admin_create_embedded(sl_embedded_broker *b, sl_error *err)
{
    sl_topic_admin *a = calloc(1, sizeof(*a));
    if (!a) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    a->broker = b;
    a->ops = &sl_topic_admin_embedded_ops;
    /* Metadata still goes over the wire, to the in-process broker. */
    char errstr[512];
    rd_kafka_conf_t *conf = sl_kafka_conf_new(sl_embedded_broker_bootstrap(b), NULL, err);
    if (!conf || sl_kafka_conf_set(conf, "allow.auto.create.topics", "false", err))
        goto fail;
    a->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!a->rk) {
        rd_kafka_conf_destroy(conf);
        sl_error_set(err, SL_ERR_KAFKA, "creating admin client: %s", errstr);
        goto fail;
    }
    return a;
fail:
    sl_topic_admin_destroy(a);
    return NULL;
}

void sl_topic_admin_destroy(sl_topic_admin *a)
{
    if (!a)
        return;
    if (a->ops && a->ops->destroy)
        a->ops->destroy(a);
    if (a->rk)
        rd_kafka_destroy(a->rk);
    free(a);
}

const char *sl_topic_admin_backend(const sl_topic_admin *a)
{
    return a->ops->name;
}

int sl_topic_admin_create_topic(sl_topic_admin *a, const char *topic, int partitions,
                                const sl_topic_config *configs, size_t n, int timeout_ms,
                                sl_error *err)
{
    if (partitions < 1)
        return sl_error_set(err, SL_ERR_INVALID, "topic %s: partition count must be >= 1, got %d",
                            topic, partitions);
    int rc = a->ops->create_topic(a, topic, partitions, configs, n, timeout_ms, err);
    if (rc != SL_OK)
        return rc;
    return sl_topic_admin_wait_metadata(a->rk, topic, timeout_ms, NULL, err);
}

int sl_topic_admin_ensure_topic(sl_topic_admin *a, const char *topic, int partitions,
                                const sl_topic_config *configs, size_t n, int timeout_ms,
                                int *out_partitions, sl_error *err)
{
    int rc = sl_topic_admin_create_topic(a, topic, partitions, configs, n, timeout_ms, err);
    if (rc != SL_OK && rc != SL_ERR_EXISTS)
        return rc;
    sl_error_clear(err);
    return sl_topic_admin_wait_metadata(a->rk, topic, timeout_ms, out_partitions, err);
}

int sl_topic_admin_partitions(sl_topic_admin *a, const char *topic, int timeout_ms, int *out,
                              sl_error *err)
{
    int rc = metadata_lookup(a->rk, topic, timeout_ms, out, err);
    if (rc < 0)
        return rc;
    return rc == 1 ? SL_OK : sl_error_set(err, SL_ERR_NOT_FOUND, "topic %s does not exist", topic);
}

int sl_topic_admin_wait_metadata_for(sl_topic_admin *a, const char *topic, int timeout_ms,
                                     int *out, sl_error *err)
{
    return sl_topic_admin_wait_metadata(a->rk, topic, timeout_ms, out, err);
}

int sl_topic_admin_describe_config(sl_topic_admin *a, const char *topic, const char *key,
                                   char *buf, size_t size, int timeout_ms, sl_error *err)
{
    return a->ops->describe_config(a, topic, key, buf, size, timeout_ms, err);
}

int sl_topic_admin_delete_topic(sl_topic_admin *a, const char *topic, int timeout_ms,
                                sl_error *err)
{
    return a->ops->delete_topic(a, topic, timeout_ms, err);
}

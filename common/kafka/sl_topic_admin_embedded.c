/* sl_topic_admin_embedded — the topic-admin backend for Sluice's embedded
 * broker. In-process (a->broker set) it calls the broker directly; from
 * another process it sends a JSON request to the broker's admin control
 * topic and waits for the reply with the same id on the reply topic:
 *
 *   request  {"id": "<hex>", "op": "create", "topic": T, "partitions": N,
 *             "configs": {"cleanup.policy": "compact"}}
 *            {"id": "<hex>", "op": "describe_config", "topic": T, "key": K}
 *   reply    {"id": "<hex>", "ok": true|false, "code": SL_ERR_*, "error": "...",
 *             "value": "..."}
 *
 * The reply consumer is positioned at the reply partition's end before the
 * request is sent, so it cannot miss the answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

#include <openssl/rand.h>

#include "kafka/sl_topic_admin_backend.h"
#include "util/sl_clock.h"
#include "util/sl_hex.h"

typedef struct embedded_remote {
    rd_kafka_t *consumer;
} embedded_remote;

int sl_topic_admin_embedded_connect(sl_topic_admin *a, const char *bootstrap,
                                    const sl_kafka_props *props, sl_error *err)
{
    char errstr[512];
    embedded_remote *r = calloc(1, sizeof(*r));
    if (!r)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    a->backend = r;
    rd_kafka_conf_t *conf = sl_kafka_conf_new(bootstrap, props, err);
    if (!conf || sl_kafka_conf_set(conf, "group.id", "__sluice_embedded_admin_client", err) ||
        sl_kafka_conf_set(conf, "enable.auto.commit", "false", err) ||
        sl_kafka_conf_set(conf, "enable.partition.eof", "false", err) ||
        sl_kafka_conf_set(conf, "fetch.wait.max.ms", "10", err)) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        return err ? err->code : SL_ERR_INVALID;
    }
    r->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!r->consumer) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_ERR_KAFKA, "creating admin reply consumer: %s", errstr);
    }
    return SL_OK;
}

static void embedded_destroy(sl_topic_admin *a)
{
    embedded_remote *r = a->backend;
    if (!r)
        return;
    if (r->consumer) {
        rd_kafka_consumer_close(r->consumer);
        rd_kafka_destroy(r->consumer);
    }
    free(r);
    a->backend = NULL;
}

/* Sends req (its "id" is set here) and copies the reply's "value" into buf
 * (may be NULL). Returns the reply's status code. Takes ownership of doc. */
static int remote_call(sl_topic_admin *a, yyjson_mut_doc *doc, char *buf, size_t size,
                       int timeout_ms, sl_error *err)
{
    embedded_remote *r = a->backend;
    unsigned char rnd[8];
    char id[17];
    int rc = SL_ERR_TIMEOUT;
    int64_t lo = 0, hi = 0;
    char *json = NULL;
    size_t len = 0;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char)rand();
    sl_hex_encode(rnd, sizeof(rnd), id);
    yyjson_mut_obj_add_strcpy(doc, yyjson_mut_doc_get_root(doc), "id", id);
    json = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    if (!json)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");

    rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(
        r->consumer, SL_EMBEDDED_ADMIN_REPLIES, 0, &lo, &hi, timeout_ms);
    if (kerr) {
        rc = sl_error_set(err, SL_ERR_KAFKA, "embedded admin: %s", rd_kafka_err2str(kerr));
        goto out;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, SL_EMBEDDED_ADMIN_REPLIES, 0)->offset = hi;
    kerr = rd_kafka_assign(r->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (!kerr)
        kerr = rd_kafka_producev(a->rk, RD_KAFKA_V_TOPIC(SL_EMBEDDED_ADMIN_REQUESTS),
                                 RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(id, strlen(id)),
                                 RD_KAFKA_V_VALUE(json, len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (!kerr)
        kerr = rd_kafka_flush(a->rk, timeout_ms);
    if (kerr) {
        rc = sl_error_set(err, SL_ERR_KAFKA, "embedded admin request: %s", rd_kafka_err2str(kerr));
        goto out;
    }
    int64_t deadline = sl_clock_mono_ms() + timeout_ms;
    sl_error_set(err, SL_ERR_TIMEOUT, "embedded broker did not answer within %d ms", timeout_ms);
    while (sl_clock_mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, 100);
        if (!m)
            continue;
        if (!m->err && m->key_len == strlen(id) && memcmp(m->key, id, m->key_len) == 0) {
            yyjson_doc *rep = yyjson_read(m->payload, m->len, 0);
            yyjson_val *root = yyjson_doc_get_root(rep);
            const char *msg = yyjson_get_str(yyjson_obj_get(root, "error"));
            const char *val = yyjson_get_str(yyjson_obj_get(root, "value"));
            rc = yyjson_is_int(yyjson_obj_get(root, "code"))
                     ? (int)yyjson_get_int(yyjson_obj_get(root, "code"))
                     : SL_ERR_KAFKA;
            if (rc != SL_OK)
                sl_error_set(err, rc, "%s", msg ? msg : "embedded admin request failed");
            else
                sl_error_clear(err);
            if (rc == SL_OK && buf && size)
                snprintf(buf, size, "%s", val ? val : "");
            yyjson_doc_free(rep);
            rd_kafka_message_destroy(m);
            break;
        }
        rd_kafka_message_destroy(m);
    }
out:
    rd_kafka_assign(r->consumer, NULL);
    free(json);
    return rc;
}

static int embedded_create_topic(sl_topic_admin *a, const char *topic, int partitions,
                                 const sl_topic_config *configs, size_t n, int timeout_ms,
                                 sl_error *err)
{
    if (a->broker)
        return sl_embedded_broker_create_topic(a->broker, topic, partitions, configs, n, err);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_str(doc, root, "op", "create");
    yyjson_mut_obj_add_strcpy(doc, root, "topic", topic);
    yyjson_mut_obj_add_int(doc, root, "partitions", partitions);
    yyjson_mut_val *cfg = yyjson_mut_obj_add_obj(doc, root, "configs");
    for (size_t i = 0; i < n; i++)
        yyjson_mut_obj_add_strcpy(doc, cfg, configs[i].name, configs[i].value);
    return remote_call(a, doc, NULL, 0, timeout_ms, err);
}

static int embedded_describe_config(sl_topic_admin *a, const char *topic, const char *key,
                                    char *buf, size_t size, int timeout_ms, sl_error *err)
{
    if (a->broker)
        return sl_embedded_broker_topic_config(a->broker, topic, key, buf, size, err);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_str(doc, root, "op", "describe_config");
    yyjson_mut_obj_add_strcpy(doc, root, "topic", topic);
    yyjson_mut_obj_add_strcpy(doc, root, "key", key);
    return remote_call(a, doc, buf, size, timeout_ms, err);
}

static int embedded_delete_topic(sl_topic_admin *a, const char *topic, int timeout_ms,
                                 sl_error *err)
{
    return sl_error_set(err, SL_ERR_UNSUPPORTED,
                        "the embedded broker cannot delete topics (topic %s kept)", topic);
}

const sl_topic_admin_ops sl_topic_admin_embedded_ops = {
    .name = "embedded",
    .create_topic = embedded_create_topic,
    .describe_config = embedded_describe_config,
    .delete_topic = embedded_delete_topic,
    .destroy = embedded_destroy,
};

/* sl_topic_admin_kafka — the topic-admin backend for real brokers, through
 * librdkafka's Admin API (CreateTopics, DescribeConfigs, DeleteTopics). */
#include <stdio.h>
#include <string.h>

#include "kafka/sl_topic_admin_backend.h"

/* Waits for the result event of an admin request on q; returns it (destroy
 * with rd_kafka_event_destroy) or NULL on timeout. */
static rd_kafka_event_t *await_result(rd_kafka_queue_t *q, int timeout_ms)
{
    return rd_kafka_queue_poll(q, timeout_ms + 1000);
}

static rd_kafka_AdminOptions_t *options_new(rd_kafka_t *rk, rd_kafka_admin_op_t op,
                                            int timeout_ms)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, errstr, sizeof(errstr));
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
        rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, errstr, sizeof(errstr));
    return o;
}

static int kafka_status(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
        return SL_ERR_EXISTS;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return SL_ERR_NOT_FOUND;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return SL_ERR_TIMEOUT;
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
        return SL_ERR_INVALID;
    default:
        return SL_ERR_KAFKA;
    }
}

static int kafka_create_topic(sl_topic_admin *a, const char *topic, int partitions,
                              const sl_topic_config *configs, size_t n, int timeout_ms,
                              sl_error *err)
{
    char errstr[512];
    int rc = SL_OK;
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1, errstr, sizeof(errstr));
    if (!nt)
        return sl_error_set(err, SL_ERR_INVALID, "topic %s: %s", topic, errstr);
    for (size_t i = 0; i < n; i++) {
        if (rd_kafka_NewTopic_set_config(nt, configs[i].name, configs[i].value)) {
            rd_kafka_NewTopic_destroy(nt);
            return sl_error_set(err, SL_ERR_INVALID, "topic %s: bad config %s", topic,
                                configs[i].name);
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(a->rk);
    rd_kafka_AdminOptions_t *o = options_new(a->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
    rd_kafka_CreateTopics(a->rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = await_result(q, timeout_ms);
    if (!ev) {
        rc = sl_error_set(err, SL_ERR_TIMEOUT, "creating topic %s timed out", topic);
    } else if (rd_kafka_event_error(ev)) {
        rc = sl_error_set(err, kafka_status(rd_kafka_event_error(ev)), "creating topic %s: %s",
                          topic, rd_kafka_event_error_string(ev));
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
            if (e) {
                const char *s = rd_kafka_topic_result_error_string(res[i]);
                rc = sl_error_set(err, kafka_status(e), "creating topic %s: %s", topic,
                                  s ? s : rd_kafka_err2str(e));
            }
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

static int kafka_describe_config(sl_topic_admin *a, const char *topic, const char *key, char *buf,
                                 size_t size, int timeout_ms, sl_error *err)
{
    int rc = SL_ERR_NOT_FOUND;
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(a->rk);
    rd_kafka_AdminOptions_t *o = options_new(a->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
    rd_kafka_DescribeConfigs(a->rk, &res, 1, o, q);
    rd_kafka_event_t *ev = await_result(q, timeout_ms);
    if (!ev) {
        rc = sl_error_set(err, SL_ERR_TIMEOUT, "describing topic %s timed out", topic);
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        rc = sl_error_set(err, kafka_status(rd_kafka_event_error(ev)), "describing topic %s: %s",
                          topic, rd_kafka_event_error_string(ev));
        goto out;
    }
    size_t rcnt = 0;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &rcnt);
    for (size_t i = 0; i < rcnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_ConfigResource_error(rs[i]);
        if (e) {
            rc = sl_error_set(err, kafka_status(e), "describing topic %s: %s", topic,
                              rd_kafka_ConfigResource_error_string(rs[i]));
            goto out;
        }
        size_t ccnt = 0;
        const rd_kafka_ConfigEntry_t **cs = rd_kafka_ConfigResource_configs(rs[i], &ccnt);
        for (size_t j = 0; j < ccnt; j++) {
            if (strcmp(rd_kafka_ConfigEntry_name(cs[j]), key) == 0) {
                const char *v = rd_kafka_ConfigEntry_value(cs[j]);
                snprintf(buf, size, "%s", v ? v : "");
                rc = SL_OK;
                goto out;
            }
        }
    }
    sl_error_set(err, SL_ERR_NOT_FOUND, "topic %s has no config %s", topic, key);
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    return rc;
}

static int kafka_delete_topic(sl_topic_admin *a, const char *topic, int timeout_ms, sl_error *err)
{
    int rc = SL_OK;
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(a->rk);
    rd_kafka_AdminOptions_t *o = options_new(a->rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms);
    rd_kafka_DeleteTopics(a->rk, &dt, 1, o, q);
    rd_kafka_event_t *ev = await_result(q, timeout_ms);
    if (!ev) {
        rc = sl_error_set(err, SL_ERR_TIMEOUT, "deleting topic %s timed out", topic);
    } else if (rd_kafka_event_error(ev)) {
        rc = sl_error_set(err, kafka_status(rd_kafka_event_error(ev)), "deleting topic %s: %s",
                          topic, rd_kafka_event_error_string(ev));
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++)
            if (rd_kafka_topic_result_error(res[i]))
                rc = sl_error_set(err, kafka_status(rd_kafka_topic_result_error(res[i])),
                                  "deleting topic %s: %s", topic,
                                  rd_kafka_err2str(rd_kafka_topic_result_error(res[i])));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
    return rc;
}

const sl_topic_admin_ops sl_topic_admin_kafka_ops = {
    .name = "kafka",
    .create_topic = kafka_create_topic,
    .describe_config = kafka_describe_config,
    .delete_topic = kafka_delete_topic,
    .destroy = NULL,
};

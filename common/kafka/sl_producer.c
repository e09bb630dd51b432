/* sl_producer — producer with delivery accounting (see sl_producer.h).
 *
 * The delivery-report callback runs on the thread that calls rd_kafka_poll /
 * rd_kafka_flush, i.e. the owner thread, so the counters need no lock; they
 * are atomics only so that metrics may read them from another thread. */
#include "kafka/sl_producer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPIC_CACHE 16

struct sl_producer {
    rd_kafka_t *rk;
    /* Topic handles by name: producing by name makes librdkafka look the
     * topic up under a lock for every record. */
    struct {
        char *name;
        rd_kafka_topic_t *rkt;
    } topics[TOPIC_CACHE];
    int ntopics;
    atomic_uint_fast64_t delivered;
    atomic_uint_fast64_t failed;
    uint64_t failed_at_flush; /* value of failed at the previous flush */
    /* Checkpoint epochs: every record carries the epoch that was open when
     * it was sent (as its opaque); [e & 1] counts epoch e's records still
     * without a delivery report. At most one closed epoch is outstanding. */
    atomic_uint_fast64_t epoch_open;
    atomic_int_fast64_t epoch_pending[2];
    char first_error[256];    /* first failure since the previous flush */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    sl_producer *p = opaque;
    (void)rk;
    uint64_t epoch = (uint64_t)(uintptr_t)m->_private;
    atomic_fetch_sub(&p->epoch_pending[epoch & 1], 1);
    if (m->err) {
        if (atomic_load(&p->failed) == p->failed_at_flush)
            snprintf(p->first_error, sizeof(p->first_error), "%s [%d]: %s",
                     rd_kafka_topic_name(m->rkt), m->partition, rd_kafka_err2str(m->err));
        atomic_fetch_add(&p->failed, 1);
    } else {
        atomic_fetch_add(&p->delivered, 1);
    }
}

sl_producer *sl_producer_create(const char *bootstrap, const sl_kafka_props *props,
                                sl_error *err)
{
    char errstr[512];
    sl_producer *p = calloc(1, sizeof(*p));
    if (!p) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&p->epoch_open, 1); /* 0 is sl_producer_epoch_close's "refused" */
    rd_kafka_conf_t *conf = sl_kafka_conf_new(NULL, NULL, err);
    if (!conf)
        goto fail;
    /* Defaults first, then the user's properties may override them. */
    if (sl_kafka_conf_set(conf, "enable.idempotence", "true", err) ||
        sl_kafka_conf_set(conf, "acks", "all", err) ||
        sl_kafka_conf_set(conf, "linger.ms", "5", err) ||
        sl_kafka_conf_set(conf, "allow.auto.create.topics", "false", err) ||
        (bootstrap && sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err)))
        goto fail_conf;
    for (size_t i = 0; props && i < props->count; i++)
        if (sl_kafka_conf_set(conf, props->keys[i], props->values[i], err))
            goto fail_conf;
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!p->rk) {
        sl_error_set(err, SL_ERR_KAFKA, "creating producer: %s", errstr);
        goto fail_conf;
    }
    return p;
fail_conf:
    rd_kafka_conf_destroy(conf);
fail:
    free(p);
    return NULL;
}

static rd_kafka_topic_t *topic_handle(sl_producer *p, const char *topic)
{
    for (int i = 0; i < p->ntopics; i++)
        if (p->topics[i].name == topic || strcmp(p->topics[i].name, topic) == 0)
            return p->topics[i].rkt;
    if (p->ntopics == TOPIC_CACHE)
        return NULL; /* many topics: fall back to producing by name */
    char *name = strdup(topic);
    rd_kafka_topic_t *rkt = name ? rd_kafka_topic_new(p->rk, topic, NULL) : NULL;
    if (!rkt) {
        free(name);
        return NULL;
    }
    p->topics[p->ntopics].name = name;
    p->topics[p->ntopics].rkt = rkt;
    p->ntopics++;
    return rkt;
}

void sl_producer_warm(sl_producer *p, const char *topic, int timeout_ms)
{
    sl_kafka_learn_topic(p->rk, topic_handle(p, topic), timeout_ms);
}

void sl_producer_destroy(sl_producer *p)
{
    if (!p)
        return;
    if (p->rk)
        rd_kafka_flush(p->rk, 10000);
    for (int i = 0; i < p->ntopics; i++) {
        rd_kafka_topic_destroy(p->topics[i].rkt);
        free(p->topics[i].name);
    }
    if (p->rk)
        rd_kafka_destroy(p->rk);
    free(p);
}

int sl_producer_send(sl_producer *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len, int64_t timestamp_ms,
                     const sl_header *headers, size_t header_count, sl_error *err)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (header_count) {
        hdrs = rd_kafka_headers_new(header_count);
        for (size_t i = 0; i < header_count; i++)
            rd_kafka_header_add(hdrs, headers[i].name, -1, headers[i].value,
                                headers[i].value ? (ssize_t)headers[i].value_len : -1);
    }
    rd_kafka_topic_t *rkt = topic_handle(p, topic);
    uint64_t epoch = atomic_load(&p->epoch_open);
    void *opaque = (void *)(uintptr_t)epoch;
    atomic_fetch_add(&p->epoch_pending[epoch & 1], 1);
    for (;;) {
        rd_kafka_resp_err_t e =
            rkt ? rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(rkt),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_KEY(key, key ? key_len : 0), RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END)
            : rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_KEY(key, key ? key_len : 0), RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (!e)
            return SL_OK; /* headers now belong to the message */
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* Back-pressure: serve delivery reports until there is room. */
            rd_kafka_poll(p->rk, 10);
            continue;
        }
        atomic_fetch_sub(&p->epoch_pending[epoch & 1], 1); /* never queued */
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        return sl_error_set(err, SL_ERR_KAFKA, "producing to %s: %s", topic, rd_kafka_err2str(e));
    }
}

/* Reports delivery failures since the previous flush or check, as
 * sl_producer_flush does; SL_OK when there were none. */
static int take_failures(sl_producer *p, sl_error *err)
{
    uint64_t failed = atomic_load(&p->failed);
    if (failed == p->failed_at_flush)
        return SL_OK;
    sl_error_set(err, SL_ERR_KAFKA, "%llu record(s) not delivered; first: %s",
                 (unsigned long long)(failed - p->failed_at_flush), p->first_error);
    p->failed_at_flush = failed;
    return SL_ERR_KAFKA;
}

int sl_producer_flush(sl_producer *p, int timeout_ms, sl_error *err)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    int rc = take_failures(p, err);
    if (rc == SL_OK && e == RD_KAFKA_RESP_ERR__TIMED_OUT)
        rc = sl_error_set(err, SL_ERR_TIMEOUT, "%d record(s) still undelivered after %d ms",
                          rd_kafka_outq_len(p->rk), timeout_ms);
    return rc;
}

uint64_t sl_producer_epoch_close(sl_producer *p)
{
    uint64_t open = atomic_load(&p->epoch_open);
    if (atomic_load(&p->epoch_pending[(open + 1) & 1]) != 0)
        return 0; /* the epoch closed before is still undelivered */
    return atomic_fetch_add(&p->epoch_open, 1);
}

int sl_producer_epoch_delivered(sl_producer *p, uint64_t epoch, sl_error *err)
{
    if (take_failures(p, err) != SL_OK)
        return SL_ERR_KAFKA;
    return atomic_load(&p->epoch_pending[epoch & 1]) == 0;
}

void sl_producer_poll(sl_producer *p)
{
    rd_kafka_poll(p->rk, 0);
}

uint64_t sl_producer_delivered(const sl_producer *p)
{
    return atomic_load(&((sl_producer *)p)->delivered);
}

uint64_t sl_producer_failed(const sl_producer *p)
{
    return atomic_load(&((sl_producer *)p)->failed);
}

rd_kafka_t *sl_producer_handle(sl_producer *p)
{
    return p->rk;
}

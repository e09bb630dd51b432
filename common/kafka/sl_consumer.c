/* sl_consumer — manually assigned consumer (see sl_consumer.h). */
#include "kafka/sl_consumer.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/sl_fetch_waker.h"

/* How long an assignment waits for the metadata of a topic new to this
 * consumer (see warm_topic). */
#define METADATA_TIMEOUT_MS 2000

struct sl_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    rd_kafka_topic_partition_list_t *assigned;
    sl_fetch_waker_entry *waker; /* NULL on librdkafka >= 2.2 */
    rd_kafka_topic_t **topics;   /* topics whose metadata was fetched */
    int ntopics;
};

sl_consumer *sl_consumer_create(const char *bootstrap, const char *group_id,
                                const sl_kafka_props *props, sl_error *err)
{
    char errstr[512];
    sl_consumer *c = calloc(1, sizeof(*c));
    if (!c) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = sl_kafka_conf_new(NULL, NULL, err);
    if (!conf)
        goto fail;
    if (sl_kafka_conf_set(conf, "enable.auto.commit", "false", err) ||
        sl_kafka_conf_set(conf, "enable.auto.offset.store", "false", err) ||
        sl_kafka_conf_set(conf, "enable.partition.eof", "false", err) ||
        sl_kafka_conf_set(conf, "auto.offset.reset", "earliest", err) ||
        sl_kafka_conf_set(conf, "group.id", group_id ? group_id : "__sluice_nogroup", err) ||
        (bootstrap && sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err)))
        goto fail_conf;
    for (size_t i = 0; props && i < props->count; i++)
        if (sl_kafka_conf_set(conf, props->keys[i], props->values[i], err))
            goto fail_conf;
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!c->rk) {
        sl_error_set(err, SL_ERR_KAFKA, "creating consumer: %s", errstr);
        goto fail_conf;
    }
    c->queue = rd_kafka_queue_get_consumer(c->rk);
    c->assigned = rd_kafka_topic_partition_list_new(4);
    c->waker = sl_fetch_waker_add(c->rk);
    return c;
fail_conf:
    rd_kafka_conf_destroy(conf);
fail:
    free(c);
    return NULL;
}

void sl_consumer_destroy(sl_consumer *c)
{
    if (!c)
        return;
    sl_fetch_waker_remove(c->waker);
    for (int i = 0; i < c->ntopics; i++)
        rd_kafka_topic_destroy(c->topics[i]);
    free(c->topics);
    if (c->queue)
        rd_kafka_queue_destroy(c->queue);
    if (c->rk) {
        /* No group membership to leave (assignment is manual and offsets are
         * committed explicitly), so skip the consumer close, which can wait
         * without bound for a coordinator. */
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    if (c->assigned)
        rd_kafka_topic_partition_list_destroy(c->assigned);
    free(c);
}

/* Fetches topic's metadata the first time this consumer meets it. Without
 * it librdkafka learns the partition leaders only at its next periodic
 * metadata refresh, up to a second after the assignment, and fetching waits
 * for that. Failure is not an error: the assignment then works as before. */
static void warm_topic(sl_consumer *c, const char *topic)
{
    for (int i = 0; i < c->ntopics; i++)
        if (strcmp(rd_kafka_topic_name(c->topics[i]), topic) == 0)
            return;
    rd_kafka_topic_t **grown = realloc(c->topics, (size_t)(c->ntopics + 1) * sizeof(*grown));
    if (!grown)
        return;
    c->topics = grown;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topic, NULL);
    if (!rkt)
        return;
    c->topics[c->ntopics++] = rkt;
    sl_kafka_learn_topic(c->rk, rkt, METADATA_TIMEOUT_MS);
}

int sl_consumer_assign(sl_consumer *c, const char *topic, int32_t partition, int64_t offset,
                       sl_error *err)
{
    if (rd_kafka_topic_partition_list_find(c->assigned, topic, partition))
        return sl_error_set(err, SL_ERR_EXISTS, "%s[%d] is already assigned", topic, partition);
    warm_topic(c, topic);
    /* Incremental: adding a partition must not stop and restart the others
     * (replacing the whole assignment in quick succession trips a race in
     * librdkafka 2.0's fetch-stop bookkeeping). */
    rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, topic, partition)->offset = offset;
    rd_kafka_error_t *e = rd_kafka_incremental_assign(c->rk, one);
    rd_kafka_topic_partition_list_destroy(one);
    if (e) {
        sl_error_set(err, SL_ERR_KAFKA, "assigning %s[%d]: %s", topic, partition,
                     rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return SL_ERR_KAFKA;
    }
    rd_kafka_topic_partition_list_add(c->assigned, topic, partition)->offset = offset;
    sl_fetch_waker_set_partitions(c->waker, c->assigned);
    return SL_OK;
}

int sl_consumer_unassign(sl_consumer *c, sl_error *err)
{
    int rc = SL_OK;
    if (c->assigned->cnt > 0) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(c->rk, c->assigned);
        if (e) {
            rc = sl_error_set(err, SL_ERR_KAFKA, "unassigning: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    rd_kafka_topic_partition_list_destroy(c->assigned);
    c->assigned = rd_kafka_topic_partition_list_new(4);
    sl_fetch_waker_set_partitions(c->waker, NULL);
    return rc;
}

int sl_consumer_poll_batch(sl_consumer *c, int timeout_ms, rd_kafka_message_t **msgs, int max,
                           sl_error *err)
{
    /* Take what is queued without waiting; only when nothing is, wait for
     * the first message. (A batch call with a timeout would wait until the
     * batch is full, which adds up to timeout_ms of latency at low rates.) */
    ssize_t n = rd_kafka_consume_batch_queue(c->queue, 0, msgs, (size_t)max);
    if (n == 0) {
        n = rd_kafka_consume_batch_queue(c->queue, timeout_ms, msgs, 1);
        if (n == 1 && max > 1) {
            ssize_t more = rd_kafka_consume_batch_queue(c->queue, 0, msgs + 1, (size_t)max - 1);
            if (more > 0)
                n += more;
        }
    }
    if (n > 0)
        sl_fetch_waker_poke(c->waker); /* busy: keep the prefetch coming */
    if (n < 0)
        return sl_error_set(err, SL_ERR_KAFKA, "consume: %s", rd_kafka_err2str(rd_kafka_last_error()));
    return (int)n;
}

int sl_consumer_commit(sl_consumer *c, const char *topic, int32_t partition, int64_t next_offset,
                       sl_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = next_offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, 0);
    if (!e && l->elems[0].err)
        e = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return sl_error_set(err, SL_ERR_KAFKA, "committing %s[%d]@%lld: %s", topic, partition,
                            (long long)next_offset, rd_kafka_err2str(e));
    return SL_OK;
}

struct sl_commit_pending {
    rd_kafka_queue_t *q;
};

sl_commit_pending *sl_consumer_commit_begin(sl_consumer *c,
                                            const rd_kafka_topic_partition_list_t *offsets,
                                            sl_error *err)
{
    sl_commit_pending *h = calloc(1, sizeof(*h));
    if (!h) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    h->q = rd_kafka_queue_new(c->rk);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(c->rk, offsets, h->q, NULL, NULL);
    if (e) {
        sl_error_set(err, SL_ERR_KAFKA, "commit: %s", rd_kafka_err2str(e));
        sl_consumer_commit_abandon(h);
        return NULL;
    }
    return h;
}

int sl_consumer_commit_poll(sl_commit_pending *h, int timeout_ms, sl_error *err)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(h->q, timeout_ms);
    if (!ev)
        return 0;
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
    const rd_kafka_topic_partition_list_t *res = rd_kafka_event_topic_partition_list(ev);
    for (int i = 0; !e && res && i < res->cnt; i++)
        e = res->elems[i].err;
    int rc = 1;
    if (e)
        rc = sl_error_set(err, SL_ERR_KAFKA, "commit: %s", rd_kafka_err2str(e));
    rd_kafka_event_destroy(ev);
    sl_consumer_commit_abandon(h);
    return rc;
}

void sl_consumer_commit_abandon(sl_commit_pending *h)
{
    if (!h)
        return;
    rd_kafka_queue_destroy(h->q);
    free(h);
}

int sl_consumer_commit_list(sl_consumer *c, const rd_kafka_topic_partition_list_t *offsets,
                            int timeout_ms, sl_error *err)
{
    sl_commit_pending *h = sl_consumer_commit_begin(c, offsets, err);
    if (!h)
        return err->code;
    int rc = sl_consumer_commit_poll(h, timeout_ms, err);
    if (rc == 0) {
        sl_consumer_commit_abandon(h);
        return sl_error_set(err, SL_ERR_TIMEOUT, "commit not acknowledged within %d ms",
                            timeout_ms);
    }
    return rc == 1 ? SL_OK : rc;
}

int sl_consumer_committed(sl_consumer *c, const char *topic, int32_t partition, int timeout_ms,
                          int64_t *out, sl_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, l, timeout_ms);
    if (!e)
        e = l->elems[0].err;
    *out = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return sl_error_set(err, SL_ERR_KAFKA, "reading committed offset of %s[%d]: %s", topic,
                            partition, rd_kafka_err2str(e));
    return SL_OK;
}

int sl_consumer_watermarks(sl_consumer *c, const char *topic, int32_t partition, int timeout_ms,
                           int64_t *low, int64_t *high, sl_error *err)
{
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(c->rk, topic, partition, low, high, timeout_ms);
    if (e)
        return sl_error_set(err, SL_ERR_KAFKA, "watermarks of %s[%d]: %s", topic, partition,
                            rd_kafka_err2str(e));
    return SL_OK;
}

rd_kafka_t *sl_consumer_handle(sl_consumer *c)
{
    return c->rk;
}

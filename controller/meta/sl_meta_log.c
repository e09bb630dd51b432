/* sl_meta_log — the catalog's Kafka side: the compacted topic __sluice_meta,
 * replayed once at start-up and appended to one acknowledged record at a
 * time.
 *
 * Replay reads partition 0 with a short-lived consumer from the beginning
 * until it has seen the high watermark measured before reading. The end is
 * recognised by either of two signs: a record at offset high-1, or the
 * partition-EOF event at an offset >= high. The second matters on a real
 * broker, where the newest offsets may no longer hold a visible record
 * (compaction removes old tombstones; transaction markers are invisible).
 *
 * Writes go through one idempotent producer with acks=all, and each waits
 * for its own delivery report: the catalog applies a change only after this
 * returns SL_OK. message.timeout.ms is set to the write timeout, so a
 * report (success or failure) normally arrives while we wait; if one does
 * not, the next write first settles it, so that a late failure is never
 * taken for the outcome of the next record. A write that timed out is
 * ambiguous (it may still land, and a restarted controller would see it);
 * that is the nature of a lost acknowledgement, and callers treat it as a
 * failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sl_consumer.h"
#include "kafka/sl_producer.h"
#include "meta/sl_meta_internal.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define WRITE_TIMEOUT_MS 10000
#define DEFAULT_OPEN_TIMEOUT_MS 30000
#define POLL_BATCH 256

struct sl_meta_log {
    sl_producer *producer;
    char *bootstrap;
    sl_kafka_props producer_props; /* the user's, with our defaults and overrides */
};

typedef struct kv {
    const char *key;
    const char *value;
} kv;

/* out = pre, then the user's props, then post (later entries win). */
static int props_build(sl_kafka_props *out, const kv *pre, size_t npre,
                       const sl_kafka_props *user, const kv *post, size_t npost, sl_error *err)
{
    for (size_t i = 0; i < npre; i++)
        if (sl_kafka_props_add(out, pre[i].key, pre[i].value, err))
            return SL_ERR_NOMEM;
    for (size_t i = 0; user && i < user->count; i++)
        if (sl_kafka_props_add(out, user->keys[i], user->values[i], err))
            return SL_ERR_NOMEM;
    for (size_t i = 0; i < npost; i++)
        if (sl_kafka_props_add(out, post[i].key, post[i].value, err))
            return SL_ERR_NOMEM;
    return SL_OK;
}

/* Kafka-side failures are SL_ERR_IO to the catalog's callers; a property
 * librdkafka rejects stays SL_ERR_INVALID (it is the operator's to fix). */
static int as_io(int rc)
{
    return rc == SL_ERR_INVALID || rc == SL_ERR_NOMEM ? rc : SL_ERR_IO;
}

static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - sl_clock_mono_ms();
    return left > 0 ? (int)left : 0;
}

/* Low and high watermark of partition 0, retried until the deadline: just
 * after the topic was created its leader may not be known yet. */
static int query_watermarks(sl_consumer *c, int64_t deadline, int64_t *low, int64_t *high,
                            sl_error *err)
{
    sl_error e;
    for (;;) {
        int left = remaining_ms(deadline);
        int rc = sl_consumer_watermarks(c, SL_META_TOPIC, 0, left > 0 ? left : 1, low, high, &e);
        if (rc == SL_OK)
            return SL_OK;
        if (sl_clock_mono_ms() + 100 >= deadline)
            return sl_error_set(err, SL_ERR_IO, "%s", e.msg);
        sl_clock_sleep_ms(100);
    }
}

/* Hands every message of the batch to apply (stopping at the first apply
 * error) and frees them all. Advances *next past what was seen. */
static int replay_batch(rd_kafka_message_t **msgs, int n, int64_t *next,
                        sl_meta_log_apply_fn apply, void *opaque, char *last_error,
                        size_t last_error_size, sl_error *err)
{
    int rc = SL_OK;
    for (int i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (rc != SL_OK) {
            /* an earlier record failed: only free the rest */
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->offset > *next)
                *next = m->offset;
        } else if (m->err) {
            snprintf(last_error, last_error_size, "%s", rd_kafka_message_errstr(m));
            sl_log_warn("meta", "reading %s: %s", SL_META_TOPIC, last_error);
        } else {
            rc = apply(opaque, m->offset, m->key, m->key_len, m->payload, m->payload ? m->len : 0,
                       err);
            if (m->offset + 1 > *next)
                *next = m->offset + 1;
        }
        rd_kafka_message_destroy(m);
    }
    return rc;
}

/* Reads partition 0 from the beginning to the high watermark into apply. */
static int replay(const char *bootstrap, const sl_kafka_props *user, int64_t deadline,
                  sl_meta_log_apply_fn apply, void *opaque, sl_error *err)
{
    static const kv post[] = {{"enable.partition.eof", "true"}};
    sl_kafka_props props = {0};
    sl_consumer *c = NULL;
    sl_error e;
    rd_kafka_message_t *msgs[POLL_BATCH];
    char last_error[256] = "no records arrived";
    int64_t low = 0, high = 0, next = 0;
    int rc = props_build(&props, NULL, 0, user, post, 1, err);
    if (rc != SL_OK)
        goto out;
    c = sl_consumer_create(bootstrap, NULL, &props, &e);
    if (!c) {
        rc = sl_error_set(err, as_io(e.code), "reading %s: %s", SL_META_TOPIC, e.msg);
        goto out;
    }
    if ((rc = query_watermarks(c, deadline, &low, &high, &e)) != SL_OK) {
        rc = sl_error_set(err, SL_ERR_IO, "reading %s: %s", SL_META_TOPIC, e.msg);
        goto out;
    }
    if (high <= low)
        goto out; /* an empty log: nothing to wait for */
    if ((rc = sl_consumer_assign(c, SL_META_TOPIC, 0, RD_KAFKA_OFFSET_BEGINNING, &e)) != SL_OK) {
        rc = sl_error_set(err, SL_ERR_IO, "reading %s: %s", SL_META_TOPIC, e.msg);
        goto out;
    }
    next = low;
    while (next < high) {
        int left = remaining_ms(deadline);
        if (left == 0) {
            rc = sl_error_set(err, SL_ERR_IO, "timed out reading %s at offset %lld of %lld (%s)",
                              SL_META_TOPIC, (long long)next, (long long)high, last_error);
            goto out;
        }
        int n = sl_consumer_poll_batch(c, left < 200 ? left : 200, msgs, POLL_BATCH, &e);
        if (n < 0) {
            rc = sl_error_set(err, SL_ERR_IO, "reading %s: %s", SL_META_TOPIC, e.msg);
            goto out;
        }
        rc = replay_batch(msgs, n, &next, apply, opaque, last_error, sizeof(last_error), err);
        if (rc != SL_OK)
            goto out;
    }
    sl_log_info("meta", "read %s offsets %lld..%lld", SL_META_TOPIC, (long long)low,
                (long long)high - 1);
out:
    sl_consumer_destroy(c);
    sl_kafka_props_clear(&props);
    return rc;
}

static int producer_start(sl_meta_log *l, sl_error *err)
{
    sl_error e;
    l->producer = sl_producer_create(l->bootstrap, &l->producer_props, &e);
    if (!l->producer) {
        sl_error_set(err, as_io(e.code), "creating the catalog producer: %s", e.msg);
        return as_io(e.code);
    }
    return SL_OK;
}

sl_meta_log *sl_meta_log_open(const char *bootstrap, const sl_kafka_props *props,
                              sl_topic_admin *admin, int timeout_ms, sl_meta_log_apply_fn apply,
                              void *opaque, sl_error *err)
{
    static const sl_topic_config topic_cfg[] = {{"cleanup.policy", "compact"}};
    /* The durability of the catalog rests on these two: the user's -X
     * settings (security, timeouts) apply, but cannot weaken them. */
    static const kv producer_pre[] = {{"message.timeout.ms", "10000"}};
    static const kv producer_post[] = {{"enable.idempotence", "true"}, {"acks", "all"}};
    if (!bootstrap || !admin || !apply) {
        sl_error_set(err, SL_ERR_INVALID, "sl_meta_open: bootstrap and admin are required");
        return NULL;
    }
    int64_t deadline = sl_clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : DEFAULT_OPEN_TIMEOUT_MS);
    int partitions = 0, rc;
    sl_error e;
    sl_meta_log *l = calloc(1, sizeof(*l));
    if (!l || !(l->bootstrap = strdup(bootstrap))) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (props_build(&l->producer_props, producer_pre, 1, props, producer_post, 2, err))
        goto fail;

    rc = sl_topic_admin_ensure_topic(admin, SL_META_TOPIC, 1, topic_cfg, 1, remaining_ms(deadline),
                                     &partitions, &e);
    if (rc != SL_OK) {
        sl_error_set(err, SL_ERR_IO, "creating %s: %s", SL_META_TOPIC, e.msg);
        goto fail;
    }
    if (partitions != 1)
        sl_log_warn("meta", "%s has %d partitions; only partition 0 is used", SL_META_TOPIC,
                    partitions);

    if (replay(bootstrap, props, deadline, apply, opaque, err) != SL_OK)
        goto fail;
    if (producer_start(l, err) != SL_OK)
        goto fail;
    return l;
fail:
    sl_meta_log_close(l);
    return NULL;
}

void sl_meta_log_close(sl_meta_log *l)
{
    if (!l)
        return;
    sl_producer_destroy(l->producer);
    sl_kafka_props_clear(&l->producer_props);
    free(l->bootstrap);
    free(l);
}

/* A fatal error (e.g. the broker fenced the idempotent producer) makes the
 * handle refuse everything from then on: start a fresh one. */
static int producer_check(sl_meta_log *l, sl_error *err)
{
    char reason[256];
    if (l->producer &&
        !rd_kafka_fatal_error(sl_producer_handle(l->producer), reason, sizeof(reason)))
        return SL_OK;
    if (l->producer) {
        sl_log_warn("meta", "catalog producer failed (%s); starting a new one", reason);
        sl_producer_destroy(l->producer);
        l->producer = NULL;
    }
    return producer_start(l, err);
}

int sl_meta_log_write(sl_meta_log *l, const char *key, const void *value, size_t len,
                      sl_error *err)
{
    sl_error e;
    if (producer_check(l, &e) != SL_OK)
        return sl_error_set(err, SL_ERR_IO, "writing %s: %s", key, e.msg);
    if (rd_kafka_outq_len(sl_producer_handle(l->producer)) > 0) {
        /* An earlier write is still waiting for its report; whatever it
         * turns out to be belongs to that write, not to this one. */
        if (sl_producer_flush(l->producer, WRITE_TIMEOUT_MS, &e) == SL_ERR_TIMEOUT)
            return sl_error_set(err, SL_ERR_IO, "writing %s: an earlier write is still "
                                                "unacknowledged: %s", key, e.msg);
    }
    if (sl_producer_send(l->producer, SL_META_TOPIC, 0, key, strlen(key), value, value ? len : 0,
                         0, NULL, 0, &e) != SL_OK)
        return sl_error_set(err, SL_ERR_IO, "writing %s: %s", key, e.msg);
    /* A little longer than message.timeout.ms, so that the report decides. */
    if (sl_producer_flush(l->producer, WRITE_TIMEOUT_MS + 2000, &e) != SL_OK)
        return sl_error_set(err, SL_ERR_IO, "writing %s: %s", key, e.msg);
    return SL_OK;
}

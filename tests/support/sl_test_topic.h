/* sl_test_topic — produce to and read back whole topics in integration
 * tests, through Sluice's own Kafka wrappers. Header-only. */
#ifndef SL_TEST_TOPIC_H
#define SL_TEST_TOPIC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/sl_consumer.h"
#include "kafka/sl_producer.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_clock.h"

/* One record read back; strings are NUL-terminated copies (NULL for null). */
typedef struct sl_test_record {
    char *key;
    char *value;
    size_t value_len;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    char *headers[8][2]; /* name, value */
    int nheaders;
} sl_test_record;

typedef struct sl_test_records {
    sl_test_record *items;
    size_t count, cap;
} sl_test_records;

static inline char *sl_test_strndup(const void *p, size_t n)
{
    if (!p)
        return NULL;
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Creates topic with partitions (fails the caller's assertions by returning
 * non-zero). */
static inline int sl_test_create_topic(const char *bootstrap, const char *topic, int partitions)
{
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(bootstrap, NULL, 15000, &err);
    if (!a)
        return -1;
    int rc = sl_topic_admin_create_topic(a, topic, partitions, NULL, 0, 15000, &err);
    sl_topic_admin_destroy(a);
    return rc;
}

/* Headers of the latest value of name in r, or NULL. */
static inline const char *sl_test_header(const sl_test_record *r, const char *name)
{
    for (int i = r->nheaders - 1; i >= 0; i--)
        if (strcmp(r->headers[i][0], name) == 0)
            return r->headers[i][1];
    return NULL;
}

static inline void sl_test_records_free(sl_test_records *rs)
{
    for (size_t i = 0; i < rs->count; i++) {
        free(rs->items[i].key);
        free(rs->items[i].value);
        for (int h = 0; h < rs->items[i].nheaders; h++) {
            free(rs->items[i].headers[h][0]);
            free(rs->items[i].headers[h][1]);
        }
    }
    free(rs->items);
    memset(rs, 0, sizeof(*rs));
}

static inline size_t sl_test_read_topic_iso(const char *bootstrap, const char *topic,
                                            size_t want, int idle_ms, int timeout_ms,
                                            const char *isolation, sl_test_records *out);

/* Reads every partition of topic from the beginning until at least want
 * records arrived and then idle_ms passed without more (or timeout_ms in
 * all), with librdkafka's default isolation (read_committed). Appends to
 * out; returns the number read. */
static inline size_t sl_test_read_topic(const char *bootstrap, const char *topic, size_t want,
                                        int idle_ms, int timeout_ms, sl_test_records *out)
{
    return sl_test_read_topic_iso(bootstrap, topic, want, idle_ms, timeout_ms, NULL, out);
}

/* sl_test_read_topic with an explicit isolation.level: "read_committed"
 * (only what committed transactions wrote) or "read_uncommitted"
 * (everything, aborted transactions included); NULL: the default. */
static inline size_t sl_test_read_topic_iso(const char *bootstrap, const char *topic,
                                            size_t want, int idle_ms, int timeout_ms,
                                            const char *isolation, sl_test_records *out)
{
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(bootstrap, NULL, 15000, &err);
    int parts = 0;
    if (!a)
        return 0;
    /* The topic may not exist yet (the worker creates its outputs). */
    int rc = sl_topic_admin_wait_metadata_for(a, topic, timeout_ms, &parts, &err);
    sl_topic_admin_destroy(a);
    if (rc != SL_OK)
        return 0;
    sl_kafka_props props = {0};
    if (isolation)
        sl_kafka_props_add(&props, "isolation.level", isolation, &err);
    sl_consumer *c = sl_consumer_create(bootstrap, NULL, &props, &err);
    sl_kafka_props_clear(&props);
    if (!c)
        return 0;
    for (int p = 0; p < parts; p++)
        sl_consumer_assign(c, topic, p, RD_KAFKA_OFFSET_BEGINNING, &err);
    size_t got = 0;
    int64_t t0 = sl_clock_mono_ms(), last_ms = 0, now = 0;
    rd_kafka_message_t *msgs[512];
    for (;;) {
        int n = sl_consumer_poll_batch(c, 100, msgs, 512, &err);
        now = sl_clock_mono_ms() - t0;
        for (int i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (!m->err) {
                if (out->count == out->cap) {
                    out->cap = out->cap ? out->cap * 2 : 1024;
                    out->items = realloc(out->items, out->cap * sizeof(*out->items));
                }
                sl_test_record *r = &out->items[out->count++];
                memset(r, 0, sizeof(*r));
                r->key = sl_test_strndup(m->key, m->key_len);
                r->value = sl_test_strndup(m->payload, m->len);
                r->value_len = m->len;
                r->partition = m->partition;
                r->offset = m->offset;
                rd_kafka_timestamp_type_t tt;
                r->timestamp = rd_kafka_message_timestamp(m, &tt);
                rd_kafka_headers_t *hdrs = NULL;
                if (!rd_kafka_message_headers(m, &hdrs) && hdrs) {
                    const char *hn;
                    const void *hv;
                    size_t hl;
                    for (size_t h = 0; h < 8 && !rd_kafka_header_get_all(hdrs, h, &hn, &hv, &hl); h++) {
                        r->headers[h][0] = sl_test_strndup(hn, strlen(hn));
                        r->headers[h][1] = sl_test_strndup(hv ? hv : "", hv ? hl : 0);
                        r->nheaders++;
                    }
                }
                got++;
                last_ms = now;
            }
            rd_kafka_message_destroy(m);
        }
        if (got >= want && now - last_ms >= idle_ms)
            break;
        if (now >= timeout_ms)
            break;
    }
    sl_consumer_destroy(c);
    return got;
}

#endif

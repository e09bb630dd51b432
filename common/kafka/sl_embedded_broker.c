/* sl_embedded_broker — mock-cluster broker plus its topic-admin thread.
 *
 * Three librdkafka handles live here: `host` only carries the mock cluster
 * (librdkafka wants a handle for its book keeping), `consumer` reads admin
 * requests from the control topic, and `producer` writes the replies. The
 * topic registry (name → partitions, configs) is the one piece of shared
 * state; the admin thread and in-process callers both take `lock` for it.
 * The mock itself is thread-safe for topic creation. */
#include "kafka/sl_embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

#include "kafka/sl_kafka_conf.h"
#include "util/sl_log.h"

typedef struct topic_entry {
    struct topic_entry *next;
    char *name;
    int partitions;
    size_t nconfigs;
    char **keys;
    char **values;
} topic_entry;

struct sl_embedded_broker {
    rd_kafka_t *host;
    rd_kafka_mock_cluster_t *mcluster;
    char *bootstrap;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    pthread_t thread;
    int thread_started;
    atomic_int running;
    pthread_mutex_t lock;
    topic_entry *topics;
};

static void topic_entry_free(topic_entry *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nconfigs; i++) {
        free(t->keys[i]);
        free(t->values[i]);
    }
    free(t->keys);
    free(t->values);
    free(t->name);
    free(t);
}

static topic_entry *topic_find(sl_embedded_broker *b, const char *name)
{
    for (topic_entry *t = b->topics; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static int valid_topic_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 249 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int sl_embedded_broker_create_topic(sl_embedded_broker *b, const char *topic, int partitions,
                                    const sl_topic_config *configs, size_t n, sl_error *err)
{
    int rc = SL_OK;
    if (!topic || !valid_topic_name(topic))
        return sl_error_set(err, SL_ERR_INVALID,
                            "invalid topic name '%s': use 1-249 of [a-zA-Z0-9._-]",
                            topic ? topic : "");
    if (partitions < 1 || partitions > 10000)
        return sl_error_set(err, SL_ERR_INVALID, "invalid partition count %d for topic %s",
                            partitions, topic);
    pthread_mutex_lock(&b->lock);
    if (topic_find(b, topic)) {
        rc = sl_error_set(err, SL_ERR_EXISTS, "topic %s already exists", topic);
        goto out;
    }
    topic_entry *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(topic)) || !(t->keys = calloc(n + 1, sizeof(char *))) ||
        !(t->values = calloc(n + 1, sizeof(char *)))) {
        topic_entry_free(t);
        rc = sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto out;
    }
    t->partitions = partitions;
    for (size_t i = 0; i < n; i++) {
        t->keys[i] = strdup(configs[i].name);
        t->values[i] = strdup(configs[i].value);
        t->nconfigs++;
        if (!t->keys[i] || !t->values[i]) {
            topic_entry_free(t);
            rc = sl_error_set(err, SL_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    rd_kafka_resp_err_t kerr = rd_kafka_mock_topic_create(b->mcluster, topic, partitions, 1);
    if (kerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        topic_entry_free(t);
        rc = sl_error_set(err, SL_ERR_EXISTS, "topic %s already exists", topic);
        goto out;
    }
    if (kerr) {
        topic_entry_free(t);
        rc = sl_error_set(err, SL_ERR_KAFKA, "creating topic %s: %s", topic, rd_kafka_err2str(kerr));
        goto out;
    }
    t->next = b->topics;
    b->topics = t;
out:
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int sl_embedded_broker_topic_config(sl_embedded_broker *b, const char *topic, const char *key,
                                    char *buf, size_t size, sl_error *err)
{
    int rc = SL_ERR_NOT_FOUND;
    pthread_mutex_lock(&b->lock);
    topic_entry *t = topic_find(b, topic);
    if (!t) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "unknown topic %s", topic);
        goto out;
    }
    for (size_t i = 0; i < t->nconfigs; i++) {
        if (strcmp(t->keys[i], key) == 0) {
            snprintf(buf, size, "%s", t->values[i]);
            rc = SL_OK;
            goto out;
        }
    }
    sl_error_set(err, SL_ERR_NOT_FOUND, "topic %s has no config %s", topic, key);
out:
    pthread_mutex_unlock(&b->lock);
    return rc;
}

/* Executes one admin request (a JSON object) and writes the reply object. */
static void admin_handle(sl_embedded_broker *b, yyjson_val *req, yyjson_mut_doc *out,
                         yyjson_mut_val *reply)
{
    sl_error err;
    int rc = SL_OK;
    char value[1024] = "";
    const char *op = yyjson_get_str(yyjson_obj_get(req, "op"));
    const char *topic = yyjson_get_str(yyjson_obj_get(req, "topic"));

    sl_error_clear(&err);
    if (!op || !topic) {
        rc = sl_error_set(&err, SL_ERR_INVALID, "admin request needs op and topic");
    } else if (strcmp(op, "create") == 0) {
        yyjson_val *cfg = yyjson_obj_get(req, "configs");
        size_t n = yyjson_obj_size(cfg), i = 0;
        sl_topic_config *configs = calloc(n + 1, sizeof(*configs));
        yyjson_val *k, *v;
        yyjson_obj_iter it = yyjson_obj_iter_with(cfg);
        while (configs && (k = yyjson_obj_iter_next(&it))) {
            v = yyjson_obj_iter_get_val(k);
            configs[i].name = yyjson_get_str(k);
            configs[i].value = yyjson_is_str(v) ? yyjson_get_str(v) : "";
            i++;
        }
        int partitions = (int)yyjson_get_int(yyjson_obj_get(req, "partitions"));
        rc = configs ? sl_embedded_broker_create_topic(b, topic, partitions, configs, i, &err)
                     : sl_error_set(&err, SL_ERR_NOMEM, "out of memory");
        free(configs);
    } else if (strcmp(op, "describe_config") == 0) {
        const char *key = yyjson_get_str(yyjson_obj_get(req, "key"));
        rc = sl_embedded_broker_topic_config(b, topic, key ? key : "", value, sizeof(value), &err);
    } else {
        rc = sl_error_set(&err, SL_ERR_UNSUPPORTED, "unknown admin op '%s'", op);
    }
    yyjson_mut_obj_add_bool(out, reply, "ok", rc == SL_OK);
    yyjson_mut_obj_add_int(out, reply, "code", rc);
    yyjson_mut_obj_add_strcpy(out, reply, "error", rc == SL_OK ? "" : err.msg);
    yyjson_mut_obj_add_strcpy(out, reply, "value", value);
}

static void admin_message(sl_embedded_broker *b, const rd_kafka_message_t *m)
{
    yyjson_doc *doc = yyjson_read(m->payload, m->len, 0);
    yyjson_mut_doc *out = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *reply = yyjson_mut_obj(out);
    yyjson_mut_doc_set_root(out, reply);
    yyjson_val *req = yyjson_doc_get_root(doc);
    const char *id = yyjson_get_str(yyjson_obj_get(req, "id"));

    yyjson_mut_obj_add_strcpy(out, reply, "id", id ? id : "");
    if (!yyjson_is_obj(req)) {
        yyjson_mut_obj_add_bool(out, reply, "ok", 0);
        yyjson_mut_obj_add_int(out, reply, "code", SL_ERR_INVALID);
        yyjson_mut_obj_add_str(out, reply, "error", "admin request is not a JSON object");
    } else {
        admin_handle(b, req, out, reply);
    }
    size_t len = 0;
    char *json = yyjson_mut_write(out, 0, &len);
    if (json) {
        rd_kafka_producev(b->producer, RD_KAFKA_V_TOPIC(SL_EMBEDDED_ADMIN_REPLIES),
                          RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(id, id ? strlen(id) : 0),
                          RD_KAFKA_V_VALUE(json, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END);
        rd_kafka_flush(b->producer, 5000);
        free(json);
    }
    yyjson_mut_doc_free(out);
    yyjson_doc_free(doc);
}

static void *admin_thread(void *arg)
{
    sl_embedded_broker *b = arg;
    while (atomic_load(&b->running)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(b->consumer, 100);
        if (!m)
            continue;
        if (!m->err)
            admin_message(b, m);
        else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            sl_log_warn("embedded-kafka", "admin consumer: %s", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static rd_kafka_t *client_new(rd_kafka_type_t type, const char *bootstrap, sl_error *err)
{
    char errstr[512];
    rd_kafka_conf_t *conf = sl_kafka_conf_new(bootstrap, NULL, err);
    if (!conf)
        return NULL;
    if (type == RD_KAFKA_CONSUMER &&
        (sl_kafka_conf_set(conf, "group.id", "__sluice_embedded_admin", err) ||
         sl_kafka_conf_set(conf, "enable.auto.commit", "false", err) ||
         sl_kafka_conf_set(conf, "fetch.wait.max.ms", "10", err))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (!bootstrap && sl_kafka_conf_set(conf, "log_level", "4", err)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (type == RD_KAFKA_PRODUCER && sl_kafka_conf_set(conf, "linger.ms", "0", err)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        sl_error_set(err, SL_ERR_KAFKA, "creating kafka client: %s", errstr);
    }
    return rk;
}

sl_embedded_broker *sl_embedded_broker_create(int broker_count, sl_error *err)
{
    sl_embedded_broker *b = calloc(1, sizeof(*b));
    if (!b) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&b->lock, NULL);
    if (broker_count < 1)
        broker_count = 1;
    /* The host handle never connects anywhere; keep it from warning so. */
    b->host = client_new(RD_KAFKA_PRODUCER, NULL, err);
    if (!b->host)
        goto fail;
    b->mcluster = rd_kafka_mock_cluster_new(b->host, broker_count);
    if (!b->mcluster) {
        sl_error_set(err, SL_ERR_KAFKA, "could not start the embedded Kafka cluster");
        goto fail;
    }
    b->bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(b->mcluster));
    if (!b->bootstrap) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (sl_embedded_broker_create_topic(b, SL_EMBEDDED_ADMIN_REQUESTS, 1, NULL, 0, err) ||
        sl_embedded_broker_create_topic(b, SL_EMBEDDED_ADMIN_REPLIES, 1, NULL, 0, err))
        goto fail;
    b->producer = client_new(RD_KAFKA_PRODUCER, b->bootstrap, err);
    b->consumer = b->producer ? client_new(RD_KAFKA_CONSUMER, b->bootstrap, err) : NULL;
    if (!b->consumer)
        goto fail;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, SL_EMBEDDED_ADMIN_REQUESTS, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t kerr = rd_kafka_assign(b->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (kerr) {
        sl_error_set(err, SL_ERR_KAFKA, "assigning admin topic: %s", rd_kafka_err2str(kerr));
        goto fail;
    }
    atomic_store(&b->running, 1);
    if (pthread_create(&b->thread, NULL, admin_thread, b) != 0) {
        sl_error_set(err, SL_ERR_IO, "could not start the admin thread");
        goto fail;
    }
    b->thread_started = 1;
    return b;
fail:
    sl_embedded_broker_destroy(b);
    return NULL;
}

void sl_embedded_broker_destroy(sl_embedded_broker *b)
{
    if (!b)
        return;
    atomic_store(&b->running, 0);
    if (b->thread_started)
        pthread_join(b->thread, NULL);
    if (b->consumer) {
        rd_kafka_consumer_close(b->consumer);
        rd_kafka_destroy(b->consumer);
    }
    if (b->producer)
        rd_kafka_destroy(b->producer);
    if (b->mcluster)
        rd_kafka_mock_cluster_destroy(b->mcluster);
    if (b->host)
        rd_kafka_destroy(b->host);
    while (b->topics) {
        topic_entry *next = b->topics->next;
        topic_entry_free(b->topics);
        b->topics = next;
    }
    free(b->bootstrap);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

int sl_embedded_broker_create_topic_arg(sl_embedded_broker *b, const char *arg, sl_error *err)
{
    char name[256];
    const char *colon = strrchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    long partitions = 1;
    if (colon) {
        char *end = NULL;
        partitions = strtol(colon + 1, &end, 10);
        if (!*(colon + 1) || *end || partitions < 1 || partitions > 10000)
            return sl_error_set(err, SL_ERR_INVALID,
                                "bad topic '%s': expected NAME:PARTITIONS with 1-10000 partitions",
                                arg);
    }
    if (len == 0 || len >= sizeof(name))
        return sl_error_set(err, SL_ERR_INVALID, "bad topic '%s': expected NAME:PARTITIONS", arg);
    memcpy(name, arg, len);
    name[len] = '\0';
    return sl_embedded_broker_create_topic(b, name, (int)partitions, NULL, 0, err);
}

const char *sl_embedded_broker_bootstrap(const sl_embedded_broker *b)
{
    return b->bootstrap;
}

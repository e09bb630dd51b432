/* sl_kafka_conf — librdkafka configuration helpers (see sl_kafka_conf.h). */
#include "kafka/sl_kafka_conf.h"

#include <stdlib.h>
#include <string.h>

#include "util/sl_log.h"

int sl_kafka_props_add(sl_kafka_props *props, const char *key, const char *value, sl_error *err)
{
    char **keys = realloc(props->keys, (props->count + 1) * sizeof(*keys));
    if (!keys)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    props->keys = keys;
    char **values = realloc(props->values, (props->count + 1) * sizeof(*values));
    if (!values)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    props->values = values;
    char *k = strdup(key);
    char *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    props->keys[props->count] = k;
    props->values[props->count] = v;
    props->count++;
    return SL_OK;
}

int sl_kafka_props_add_kv(sl_kafka_props *props, const char *kv, sl_error *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return sl_error_set(err, SL_ERR_INVALID,
                            "expected a librdkafka property as key=value, got '%s'", kv);
    char key[256];
    size_t klen = (size_t)(eq - kv);
    if (klen >= sizeof(key))
        return sl_error_set(err, SL_ERR_INVALID, "property name too long");
    memcpy(key, kv, klen);
    key[klen] = '\0';
    return sl_kafka_props_add(props, key, eq + 1, err);
}

void sl_kafka_props_clear(sl_kafka_props *props)
{
    if (!props)
        return;
    for (size_t i = 0; i < props->count; i++) {
        free(props->keys[i]);
        free(props->values[i]);
    }
    free(props->keys);
    free(props->values);
    memset(props, 0, sizeof(*props));
}

int sl_kafka_prop_is_secret(const char *key)
{
    static const char *const words[] = {"password", "secret", "key", "token",
                                        "sasl.oauthbearer.config", "sasl.jaas"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(key, words[i]))
            return 1;
    return 0;
}

static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug */
    int lvl = level <= 3 ? SL_LOG_ERROR : level == 4 ? SL_LOG_WARN : level <= 6 ? SL_LOG_INFO
                                                                                 : SL_LOG_DEBUG;
    sl_log(lvl, rk ? rd_kafka_name(rk) : "rdkafka", "%s: %s", fac, buf);
}

int sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, sl_error *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        return sl_error_set(err, SL_ERR_INVALID, "kafka property %s: %s", key, errstr);
    return SL_OK;
}

rd_kafka_conf_t *sl_kafka_conf_new(const char *bootstrap, const sl_kafka_props *props,
                                   sl_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    if (bootstrap && sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err) != SL_OK)
        goto fail;
    for (size_t i = 0; props && i < props->count; i++)
        if (sl_kafka_conf_set(conf, props->keys[i], props->values[i], err) != SL_OK)
            goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

void sl_kafka_learn_topic(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_metadata_destroy(md);
}

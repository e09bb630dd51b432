/* sl_kafka_defaults — see sl_kafka_defaults.h. The reasoning behind each
 * value is in docs/worker.md ("Prefetch and memory"); in short: a consumer's
 * queue is capped at 2 MiB, which bounds memory, and refilled as it drains
 * (fetch.queue.backoff.ms from librdkafka 2.2 on, sl_fetch_waker before),
 * so the cap does not cost throughput. The message threshold stays above
 * what the byte cap allows so that bytes decide. */
#include "runtime/sl_kafka_defaults.h"

#include <stdio.h>

#include "kafka/sl_fetch_waker.h"

/* Appends the {key, value} pairs of kv (ended by {NULL, NULL}). */
static int add_kv(sl_kafka_props *props, const char *const (*kv)[2], sl_error *err)
{
    for (; (*kv)[0]; kv++)
        if (sl_kafka_props_add(props, (*kv)[0], (*kv)[1], err) != SL_OK)
            return SL_ERR_NOMEM;
    return SL_OK;
}

/* Appends kv, then the user's -X properties (which therefore win). */
static int add_all(sl_kafka_props *props, const char *const (*kv)[2], const sl_worker_config *cfg,
                   sl_error *err)
{
    if (add_kv(props, kv, err) != SL_OK)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < cfg->props.count; i++)
        if (sl_kafka_props_add(props, cfg->props.keys[i], cfg->props.values[i], err) != SL_OK)
            return SL_ERR_NOMEM;
    return SL_OK;
}

/* fetch.queue.backoff.ms exists from librdkafka 2.2 on: there it does what
 * sl_fetch_waker does on older versions, with the same period. */
static int add_fetch_backoff(sl_kafka_props *props, sl_error *err)
{
    if (sl_fetch_waker_needed())
        return SL_OK;
    char ms[16];
    snprintf(ms, sizeof(ms), "%d", SL_FETCH_WAKER_PERIOD_MS);
    return sl_kafka_props_add(props, "fetch.queue.backoff.ms", ms, err);
}

int sl_kafka_defaults_consumer(sl_kafka_props *props, const sl_worker_config *cfg, sl_error *err)
{
    static const char *const base[][2] = {
        {"queued.min.messages", "200000"},
        {"queued.max.messages.kbytes", "2048"},
        {"fetch.wait.max.ms", "100"},
        {"client.id", "sluice-worker"},
        {NULL, NULL},
    };
    if (add_fetch_backoff(props, err) != SL_OK)
        return SL_ERR_NOMEM;
    return add_all(props, base, cfg, err);
}

int sl_kafka_defaults_restore_consumer(sl_kafka_props *props, const sl_worker_config *cfg,
                                       sl_error *err)
{
    /* Bulk reading, but the same 2 MiB prefetch as processing: refilled as
     * it drains, it restores as fast as 64 MiB did at a third of the memory
     * (docs/performance.md, "Restore"). */
    static const char *const base[][2] = {
        {"queued.min.messages", "200000"},
        {"queued.max.messages.kbytes", "2048"},
        {"fetch.wait.max.ms", "50"},
        {NULL, NULL},
    };
    /* Read to the end, only what committed transactions wrote. */
    static const char *const forced[][2] = {
        {"enable.partition.eof", "true"},
        {"isolation.level", "read_committed"},
        {"client.id", "sluice-restore"},
        {NULL, NULL},
    };
    if (add_fetch_backoff(props, err) != SL_OK || add_all(props, base, cfg, err) != SL_OK)
        return SL_ERR_NOMEM;
    return add_kv(props, forced, err);
}

int sl_kafka_defaults_producer(sl_kafka_props *props, const sl_worker_config *cfg, sl_error *err)
{
    static const char *const base[][2] = {
        {"linger.ms", "5"},
        {"batch.num.messages", "10000"},
        {"queue.buffering.max.kbytes", "16384"},
        {"message.timeout.ms", "0"}, /* never give up on a broker that is away */
        {"partitioner", "murmur2_random"},
        {"client.id", "sluice-worker"},
        {NULL, NULL},
    };
    return add_all(props, base, cfg, err);
}

int sl_kafka_defaults_producer_txn(sl_kafka_props *props, const sl_worker_config *cfg,
                                   const char *txn_id, sl_error *err)
{
    static const char *const txn[][2] = {
        /* A transaction must finish within transaction.timeout.ms anyway; a
         * record that cannot be delivered in 50 s fails the transaction,
         * which is aborted and processed again. */
        {"message.timeout.ms", "50000"},
        {"transaction.timeout.ms", "60000"},
        {NULL, NULL},
    };
    if (sl_kafka_defaults_producer(props, cfg, err) != SL_OK || add_kv(props, txn, err) != SL_OK)
        return SL_ERR_NOMEM;
    return sl_kafka_props_add(props, "transactional.id", txn_id, err);
}

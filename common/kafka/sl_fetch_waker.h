/* sl_fetch_waker — keeps librdkafka < 2.2 consumers fed.
 *
 * Before 2.2, a consumer's broker thread stops fetching once the consumer's
 * queue passes queued.max.messages.kbytes (or queued.min.messages) and looks
 * again only when something else wakes it: in the worst case a second later.
 * A fast consumer with a bounded queue then spends most of each second idle.
 * librdkafka 2.2 added fetch.queue.backoff.ms for exactly this.
 *
 * On older versions one process-wide thread stands in for it: a consumer
 * that has just taken messages is "poked", and within SL_FETCH_WAKER_PERIOD_MS
 * the thread sends a small ListOffsets request (the end offsets of its
 * assigned partitions) through it. That request goes to each partition
 * leader's broker thread, which wakes up, sees the queue has room again and
 * fetches. Idle consumers are never poked and cost nothing. On librdkafka
 * >= 2.2 every function here is a no-op (sl_fetch_waker_add returns NULL).
 * docs/worker.md, "Prefetch and memory", has the measurements. */
#ifndef SL_FETCH_WAKER_H
#define SL_FETCH_WAKER_H

#include <librdkafka/rdkafka.h>

/* How soon after a poke the consumer's leaders are woken, at most once per
 * period per consumer (the same 10 ms Sluice sets as fetch.queue.backoff.ms
 * on librdkafka >= 2.2). */
#define SL_FETCH_WAKER_PERIOD_MS 10

typedef struct sl_fetch_waker_entry sl_fetch_waker_entry;

/* 1 when the running librdkafka needs waking (older than 2.2), else 0. */
int sl_fetch_waker_needed(void);

/* Registers consumer rk (borrowed; must outlive the entry) with the waker,
 * starting its thread on first use. Returns the entry, or NULL when waking is
 * not needed or memory is short (the consumer then works as librdkafka
 * alone makes it: correct, but slower). Remove with sl_fetch_waker_remove. */
sl_fetch_waker_entry *sl_fetch_waker_add(rd_kafka_t *rk);

/* Replaces the partitions whose leaders are woken with a copy of assigned
 * (borrowed; NULL or empty: none). e may be NULL. */
void sl_fetch_waker_set_partitions(sl_fetch_waker_entry *e,
                                   const rd_kafka_topic_partition_list_t *assigned);

/* The consumer just took messages: wake its leaders within a period.
 * Lock-free unless the waker thread is asleep; e may be NULL. */
void sl_fetch_waker_poke(sl_fetch_waker_entry *e);

/* Unregisters and frees e, waiting for a wake in flight through it to end
 * (bounded by that request's timeout). NULL is a no-op. */
void sl_fetch_waker_remove(sl_fetch_waker_entry *e);

/* How many wakes have been sent since the process started (for tests). */
unsigned long sl_fetch_waker_wakes(void);

#endif

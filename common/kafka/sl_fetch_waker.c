/* sl_fetch_waker — see sl_fetch_waker.h. One detached thread for the whole
 * process, started on the first registration and parked on a condition
 * variable whenever no consumer is poked. */
#include "kafka/sl_fetch_waker.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util/sl_clock.h"

/* A wake waits at most this long for the leaders' answers; it only delays
 * the next wake (of any consumer), never a consumer. */
#define WAKE_TIMEOUT_MS 1000

struct sl_fetch_waker_entry {
    rd_kafka_t *rk;                         /* borrowed */
    rd_kafka_topic_partition_list_t *parts; /* owned; guarded by waker.lock */
    atomic_int poked;
    int in_flight;    /* a wake through rk is running; guarded by waker.lock */
    long long due_ns; /* earliest next wake; guarded by waker.lock */
    sl_fetch_waker_entry *next;
};

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    pthread_cond_t work; /* the thread waits here (CLOCK_MONOTONIC) */
    pthread_cond_t done; /* removers wait here for a wake to end */
    sl_fetch_waker_entry *entries;
    int started;
    atomic_int sleeping; /* the thread waits for a poke, not a deadline */
    atomic_ulong wakes;
} waker = {
    .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static void waker_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&waker.work, &a);
    pthread_condattr_destroy(&a);
}

/* Sends one ListOffsets (end offsets) to every leader of e's partitions.
 * Called with the lock held; drops it around the request. */
static void wake_one(sl_fetch_waker_entry *e, long long now)
{
    atomic_store(&e->poked, 0);
    e->due_ns = now + SL_FETCH_WAKER_PERIOD_MS * 1000000LL;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(e->parts);
    for (int i = 0; i < l->cnt; i++)
        l->elems[i].offset = RD_KAFKA_OFFSET_END; /* "latest" as a ListOffsets timestamp */
    e->in_flight = 1;
    pthread_mutex_unlock(&waker.lock);
    /* The answer is not needed: sending the request is what wakes the
     * leaders' broker threads. */
    rd_kafka_offsets_for_times(e->rk, l, WAKE_TIMEOUT_MS);
    rd_kafka_topic_partition_list_destroy(l);
    atomic_fetch_add(&waker.wakes, 1);
    pthread_mutex_lock(&waker.lock);
    e->in_flight = 0;
    pthread_cond_broadcast(&waker.done);
}

/* The poked entry whose turn has come, or NULL; *next_ns gets the earliest
 * deadline of the poked entries (LLONG_MAX: none is poked). Lock held. */
static sl_fetch_waker_entry *pick_due(long long now, long long *next_ns)
{
    *next_ns = LLONG_MAX;
    for (sl_fetch_waker_entry *e = waker.entries; e; e = e->next) {
        if (!atomic_load(&e->poked))
            continue;
        if (!e->parts || e->parts->cnt == 0) {
            atomic_store(&e->poked, 0); /* nothing assigned: nothing to wake */
            continue;
        }
        if (e->due_ns <= now)
            return e;
        if (e->due_ns < *next_ns)
            *next_ns = e->due_ns;
    }
    return NULL;
}

static void *waker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&waker.lock);
    for (;;) {
        long long now = sl_clock_mono_ns(), next;
        sl_fetch_waker_entry *e = pick_due(now, &next);
        if (e) {
            wake_one(e, now);
            continue;
        }
        if (next == LLONG_MAX) {
            /* Announce the sleep, then look once more: a poke that raced with
             * the scan either is seen here or sees `sleeping` and signals. */
            atomic_store(&waker.sleeping, 1);
            if (pick_due(sl_clock_mono_ns(), &next) == NULL && next == LLONG_MAX)
                pthread_cond_wait(&waker.work, &waker.lock);
            atomic_store(&waker.sleeping, 0);
            continue;
        }
        struct timespec until = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
        pthread_cond_timedwait(&waker.work, &waker.lock, &until);
    }
    return NULL;
}

int sl_fetch_waker_needed(void)
{
    return rd_kafka_version() < 0x02020000;
}

sl_fetch_waker_entry *sl_fetch_waker_add(rd_kafka_t *rk)
{
    if (!sl_fetch_waker_needed())
        return NULL;
    pthread_once(&waker.once, waker_init);
    sl_fetch_waker_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->rk = rk;
    pthread_mutex_lock(&waker.lock);
    if (!waker.started) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        waker.started = pthread_create(&t, &a, waker_main, NULL) == 0;
        pthread_attr_destroy(&a);
        if (!waker.started) {
            pthread_mutex_unlock(&waker.lock);
            free(e);
            return NULL;
        }
    }
    e->next = waker.entries;
    waker.entries = e;
    pthread_mutex_unlock(&waker.lock);
    return e;
}

void sl_fetch_waker_set_partitions(sl_fetch_waker_entry *e,
                                   const rd_kafka_topic_partition_list_t *assigned)
{
    if (!e)
        return;
    rd_kafka_topic_partition_list_t *copy =
        assigned && assigned->cnt > 0 ? rd_kafka_topic_partition_list_copy(assigned) : NULL;
    pthread_mutex_lock(&waker.lock);
    rd_kafka_topic_partition_list_t *old = e->parts;
    e->parts = copy;
    pthread_mutex_unlock(&waker.lock);
    if (old)
        rd_kafka_topic_partition_list_destroy(old);
}

void sl_fetch_waker_poke(sl_fetch_waker_entry *e)
{
    if (!e || atomic_exchange(&e->poked, 1))
        return;
    if (atomic_load(&waker.sleeping)) {
        pthread_mutex_lock(&waker.lock);
        pthread_cond_signal(&waker.work);
        pthread_mutex_unlock(&waker.lock);
    }
}

void sl_fetch_waker_remove(sl_fetch_waker_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&waker.lock);
    while (e->in_flight)
        pthread_cond_wait(&waker.done, &waker.lock);
    for (sl_fetch_waker_entry **p = &waker.entries; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    pthread_mutex_unlock(&waker.lock);
    if (e->parts)
        rd_kafka_topic_partition_list_destroy(e->parts);
    free(e);
}

unsigned long sl_fetch_waker_wakes(void)
{
    return atomic_load(&waker.wakes);
}

/* sl_task_set — the tasks a cluster worker runs, and their life cycle.
 *
 * An entry is one task key (tenant, pipeline, partition) at one pipeline
 * version and state epoch; the set holds at most one entry per key, so a new
 * version of a task starts only after the old one has checkpointed and its
 * state store is closed. Each entry owns one sl_task_runner (one thread, one
 * partition) and a small supervisor thread that does the blocking parts of its
 * life — creating the runner (committed offsets, Kafka clients), joining and
 * destroying it — so the cluster worker's loop, which calls everything here,
 * never blocks on Kafka (see the DESIGN comment in sl_task_set.c).
 *
 * Parsed plans are shared by the entries of one (tenant, pipeline, version,
 * state epoch) and reference-counted; the last entry to go frees its plan.
 *
 * @locality: the cluster worker's loop thread, except sl_task_set_health
 * (any thread). */
#ifndef SL_TASK_SET_H
#define SL_TASK_SET_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/sl_metrics.h"
#include "runtime/sl_heartbeat_client.h"
#include "runtime/sl_worker_config.h"
#include "util/sl_buf.h"

typedef struct sl_task_set sl_task_set;

/* Restart backoff of a task that failed by itself: 5 s, doubled after each
 * further failure up to 60 s; a task that ran 60 s before failing starts
 * again at 5 s. */
#define SL_TASK_RESTART_BACKOFF_MS 5000
#define SL_TASK_RESTART_BACKOFF_MAX_MS 60000

/* sl_task_set_reconcile flags. */
enum {
    /* Forget a stopped task at once, without waiting until a heartbeat has
     * reported it STOPPING (lease lost, shutdown: no heartbeat gets through
     * or none matters any more). */
    SL_TASK_SET_NO_REPORT_WAIT = 1
};

/* Returns a new, empty set whose runners use cfg (borrowed: must outlive the
 * set and not change while runners exist) and publish into metrics
 * (borrowed, may be NULL). NULL with err (SL_ERR_NOMEM). Free with
 * sl_task_set_destroy. */
sl_task_set *sl_task_set_create(const sl_worker_config *cfg, sl_metrics *metrics, sl_error *err);

/* Stops every task and waits for them (this blocks: shutdown only), then
 * frees the set; NULL is a no-op. */
void sl_task_set_destroy(sl_task_set *s);

/* Moves the set one step towards desired (n tasks, borrowed for the call;
 * NULL with 0: no task): requests the stop of tasks not desired (or desired
 * at another version or epoch; why, when not NULL, is the reason logged),
 * forgets stopped ones once reported (or at once with
 * SL_TASK_SET_NO_REPORT_WAIT), restarts failed ones after their backoff, and
 * starts desired tasks that have no entry, up to capacity entries. now_ms is
 * monotonic. Never blocks; call it on every iteration. */
void sl_task_set_reconcile(sl_task_set *s, const sl_task_assignment *desired, size_t n,
                           int capacity, int flags, const char *why, int64_t now_ms);

/* The status of every entry for a heartbeat: *out is a new array of *n
 * (free with free(); NULL when empty). Remembers which entries were reported
 * STOPPING for sl_task_set_reported. SL_OK or SL_ERR_NOMEM. */
int sl_task_set_statuses(sl_task_set *s, sl_task_status **out, size_t *n);

/* A hash of the entries' ids, versions and reported states; no allocation, no side effect. */
uint64_t sl_task_set_signature(sl_task_set *s);

/* Tells the set whether the heartbeat carrying the last statuses was
 * accepted (ok non-zero): the tasks it reported STOPPING may then go. */
void sl_task_set_reported(sl_task_set *s, int ok);

/* Number of entries (any state). */
size_t sl_task_set_count(const sl_task_set *s);

/* Non-zero when an entry of pipeline "<tenant>.<pipeline>" exists. */
int sl_task_set_has_pipeline(const sl_task_set *s, const char *qualified_name);

/* Tasks started (restarts included) since creation. */
uint64_t sl_task_set_launches(const sl_task_set *s);

/* Final checkpoints that failed when a task was stopped (since creation). */
uint64_t sl_task_set_checkpoint_failures(const sl_task_set *s);

/* Health of the running tasks' threads (any thread; takes the set's lock):
 * 0 when all are healthy, else non-zero after appending the reasons. */
int sl_task_set_health(sl_task_set *s, sl_buf *reason);

#endif

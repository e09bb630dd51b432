/* sl_cluster_worker — cluster mode: a worker that runs the tasks a
 * controller assigns to it (docs/worker.md, "Cluster mode").
 *
 * One loop thread heartbeats to the controller (sl_heartbeat_client) every
 * interval with the status of every task it holds, applies the Assignment of
 * each answer to its task set (sl_task_set: start, stop, restart with
 * backoff), deletes purged pipelines' local state, and guards its lease: when
 * no heartbeat has been answered for lease_ms minus a safety margin, it stops
 * every task itself, before the controller (which waits a full lease) can give
 * them to another worker.
 *
 * @locality: sl_cluster_worker_run owns the loop thread; request_stop,
 * status and health may be called from any thread. */
#ifndef SL_CLUSTER_WORKER_H
#define SL_CLUSTER_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/sl_worker_config.h"
#include "util/sl_buf.h"

typedef struct sl_cluster_worker sl_cluster_worker;

/* What the loop knows, for tests and logs. */
typedef struct sl_cluster_status {
    int controller_ok;    /* the last heartbeat was answered 200 */
    int lease_ok;         /* a lease is held: tasks may run */
    uint64_t generation;  /* of the last applied assignment (0: none) */
    size_t tasks;         /* tasks held in any state (stopping ones too) */
    uint64_t task_starts; /* tasks started, restarts included */
    uint64_t heartbeats_ok, heartbeats_failed;
    int64_t lease_ms; /* the controller's lease (0: none yet) */
    int interval_ms;  /* the heartbeat interval in use */
} sl_cluster_status;

/* The safety margin of the lease rule: tasks stop when no heartbeat sent in
 * the last lease_ms - margin milliseconds was answered. max(lease/4, 1500 ms),
 * but at most half the lease. */
int64_t sl_cluster_lease_safety_ms(int64_t lease_ms);

/* Returns a new cluster worker for cfg (borrowed: must outlive the worker;
 * needs cfg->controller and cfg->token_file): reads the token, prepares the
 * heartbeat client, the task set and (with cfg->metrics_port) the metrics
 * server. NULL with err: SL_ERR_IO (token file unreadable, metrics port
 * taken), SL_ERR_INVALID (empty token, bad URL or id), SL_ERR_NOMEM. Free with
 * sl_cluster_worker_destroy. */
sl_cluster_worker *sl_cluster_worker_create(const sl_worker_config *cfg, sl_error *err);

/* Runs the loop on the calling thread until sl_cluster_worker_request_stop
 * or SIGTERM/SIGINT (sl_signal), then stops every task (last checkpoints),
 * sends a last heartbeat with no tasks and capacity 0, and returns: 0 after a
 * clean stop, 1 when a task's last checkpoint failed or the tasks did not
 * stop in time. */
int sl_cluster_worker_run(sl_cluster_worker *w);

/* Asks the loop to shut down (any thread). */
void sl_cluster_worker_request_stop(sl_cluster_worker *w);

/* Copies the loop's status into out (any thread). */
void sl_cluster_worker_status(sl_cluster_worker *w, sl_cluster_status *out);

/* The /healthz check (any thread): 0 when healthy; else non-zero after
 * appending the reasons (controller unreachable, lease lost, a task thread
 * unhealthy) to reason. */
int sl_cluster_worker_health(sl_cluster_worker *w, sl_buf *reason);

/* Frees the worker; stops and waits for tasks still held (blocks). NULL is a
 * no-op. */
void sl_cluster_worker_destroy(sl_cluster_worker *w);

/* sluice-worker's cluster mode: create, run, destroy. Returns the process
 * exit status: 0 after a clean stop, 1 on a runtime failure, 2 on bad
 * configuration (token file, URL, metrics port). */
int sl_cluster_run(const sl_worker_config *cfg);

#endif

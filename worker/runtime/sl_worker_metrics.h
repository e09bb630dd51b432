/* sl_worker_metrics — the worker's /metrics and /healthz endpoints: an HTTP
 * server (common/http) over the worker's metrics registry, healthy when every
 * runner thread reports healthy. */
#ifndef SL_WORKER_METRICS_H
#define SL_WORKER_METRICS_H

#include "metrics/sl_metrics.h"
#include "runtime/sl_task_runner.h"

typedef struct sl_worker_metrics sl_worker_metrics;

/* Serves registry (borrowed) and the health of runners[0..n) (borrowed; the
 * array must outlive the server) on address:port. Returns a new server (stop
 * with sl_worker_metrics_stop) or NULL with err. */
sl_worker_metrics *sl_worker_metrics_start(const char *address, int port, sl_metrics *registry,
                                           sl_task_runner **runners, int n, sl_error *err);

/* Stops and frees; NULL is a no-op. */
void sl_worker_metrics_stop(sl_worker_metrics *wm);

#endif

/* sl_worker_metrics — the worker's /metrics and /healthz endpoints: an HTTP
 * server (common/http) over the worker's metrics registry. Standalone mode
 * passes its fixed array of runners (healthy when every runner is); cluster
 * mode, whose set of runners changes, passes a health callback. */
#ifndef SL_WORKER_METRICS_H
#define SL_WORKER_METRICS_H

#include "http/sl_http_server.h"
#include "metrics/sl_metrics.h"
#include "runtime/sl_task_runner.h"

typedef struct sl_worker_metrics sl_worker_metrics;

/* Serves registry (borrowed) and the health of runners[0..n) (borrowed; the
 * array must outlive the server) on address:port. Returns a new server (stop
 * with sl_worker_metrics_stop) or NULL with err. */
sl_worker_metrics *sl_worker_metrics_start(const char *address, int port, sl_metrics *registry,
                                           sl_task_runner **runners, int n, sl_error *err);

/* Serves registry (borrowed) with health decided by fn(ud, ...) (ud borrowed,
 * must outlive the server; fn must be thread-safe). Returns a new server
 * (stop with sl_worker_metrics_stop) or NULL with err. */
sl_worker_metrics *sl_worker_metrics_start_fn(const char *address, int port, sl_metrics *registry,
                                              sl_http_health_fn fn, void *ud, sl_error *err);

/* Stops and frees; NULL is a no-op. */
void sl_worker_metrics_stop(sl_worker_metrics *wm);

#endif

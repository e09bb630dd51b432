/* sl_worker_metrics — /metrics and /healthz for the worker (see
 * sl_worker_metrics.h). The health callback runs on the HTTP thread: the
 * runner-array form only reads the runners' health under their own locks;
 * the callback form leaves the locking to its owner. */
#include "runtime/sl_worker_metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "http/sl_http_server.h"

struct sl_worker_metrics {
    sl_http_server *http;
    sl_task_runner **runners;
    int n;
    sl_worker_health_fn fn;
    void *ud;
};

static int runners_health(void *ud, sl_buf *reason)
{
    sl_worker_metrics *wm = ud;
    int bad = 0;
    for (int i = 0; i < wm->n; i++) {
        char why[256];
        if (!sl_task_runner_healthy(wm->runners[i], why, sizeof(why))) {
            sl_buf_printf(reason, "%s%s", bad ? "; " : "", why);
            bad = 1;
        }
    }
    return bad;
}

static int worker_health(void *ud, sl_buf *reason)
{
    sl_worker_metrics *wm = ud;
    return wm->fn ? wm->fn(wm->ud, reason) : runners_health(wm, reason);
}

static sl_worker_metrics *start(const char *address, int port, sl_metrics *registry,
                                sl_worker_metrics *wm, sl_error *err)
{
    char listen[128];
    snprintf(listen, sizeof(listen), "%s:%d", address, port);
    sl_http_server_config cfg = {
        .listen = listen, .metrics = registry, .health = worker_health, .health_ud = wm};
    wm->http = sl_http_server_create(&cfg, err);
    if (!wm->http) {
        free(wm);
        return NULL;
    }
    return wm;
}

sl_worker_metrics *sl_worker_metrics_start(const char *address, int port, sl_metrics *registry,
                                           sl_task_runner **runners, int n, sl_error *err)
{
    sl_worker_metrics *wm = calloc(1, sizeof(*wm));
    if (!wm) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    wm->runners = runners;
    wm->n = n;
    return start(address, port, registry, wm, err);
}

sl_worker_metrics *sl_worker_metrics_start_fn(const char *address, int port, sl_metrics *registry,
                                              sl_worker_health_fn fn, void *ud, sl_error *err)
{
    sl_worker_metrics *wm = calloc(1, sizeof(*wm));
    if (!wm) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    wm->fn = fn;
    wm->ud = ud;
    return start(address, port, registry, wm, err);
}

int sl_worker_metrics_port(const sl_worker_metrics *wm)
{
    return wm ? sl_http_server_port(wm->http) : -1;
}

void sl_worker_metrics_stop(sl_worker_metrics *wm)
{
    if (!wm)
        return;
    sl_http_server_destroy(wm->http);
    free(wm);
}

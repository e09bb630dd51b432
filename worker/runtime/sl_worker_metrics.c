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
    sl_task_runner **runners; /* the runner-array form's */
    int n;
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

/* Starts wm's server (wm taken: freed on failure; NULL: out of memory) with
 * health fn(ud). */
static sl_worker_metrics *start(sl_worker_metrics *wm, const char *address, int port,
                                sl_metrics *registry, sl_http_health_fn fn, void *ud, sl_error *err)
{
    if (!wm) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char listen[128];
    snprintf(listen, sizeof(listen), "%s:%d", address, port);
    sl_http_server_config cfg = {
        .listen = listen, .metrics = registry, .health = fn, .health_ud = ud};
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
    if (wm) {
        wm->runners = runners;
        wm->n = n;
    }
    return start(wm, address, port, registry, runners_health, wm, err);
}

sl_worker_metrics *sl_worker_metrics_start_fn(const char *address, int port, sl_metrics *registry,
                                              sl_http_health_fn fn, void *ud, sl_error *err)
{
    return start(calloc(1, sizeof(sl_worker_metrics)), address, port, registry, fn, ud, err);
}

void sl_worker_metrics_stop(sl_worker_metrics *wm)
{
    if (!wm)
        return;
    sl_http_server_destroy(wm->http);
    free(wm);
}

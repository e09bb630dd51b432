/* sl_worker_metrics — /metrics and /healthz for the worker (see
 * sl_worker_metrics.h). The health callback runs on the HTTP thread and only
 * reads the runners' health under their own locks. */
#include "runtime/sl_worker_metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "http/sl_http_server.h"

struct sl_worker_metrics {
    sl_http_server *http;
    sl_task_runner **runners;
    int n;
};

static int worker_health(void *ud, sl_buf *reason)
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

sl_worker_metrics *sl_worker_metrics_start(const char *address, int port, sl_metrics *registry,
                                           sl_task_runner **runners, int n, sl_error *err)
{
    char listen[128];
    sl_worker_metrics *wm = calloc(1, sizeof(*wm));
    if (!wm) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    wm->runners = runners;
    wm->n = n;
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

void sl_worker_metrics_stop(sl_worker_metrics *wm)
{
    if (!wm)
        return;
    sl_http_server_destroy(wm->http);
    free(wm);
}

/* sl_standalone — standalone worker: read the spec, make sure the topics
 * exist, spread the input partitions over runner threads, serve metrics,
 * and stop cleanly on a signal (see sl_standalone.h). */
#include "runtime/sl_standalone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/sl_pipeline_topics.h"
#include "kafka/sl_topic_admin.h"
#include "runtime/sl_task_runner.h"
#include "runtime/sl_task_state.h"
#include "runtime/sl_worker_metrics.h"
#include "spec/sl_spec.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"
#include "util/sl_signal.h"

#define ADMIN_TIMEOUT_MS 30000

static char *read_file(const char *path, size_t *len, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_error_set(err, SL_ERR_IO, "cannot open %s", path);
        return NULL;
    }
    sl_buf b = SL_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (sl_buf_append(&b, chunk, n) != SL_OK)
            break;
    fclose(f);
    *len = b.len;
    if (!b.data)
        sl_buf_append(&b, "", 0);
    return b.data;
}

int sl_standalone_run(const sl_worker_config *cfg)
{
    sl_error err;
    char buf[1024];
    size_t len = 0;
    int status = 1, partitions = 0, nrunners = 0;
    sl_plan *plan = NULL;
    sl_topic_admin *admin = NULL;
    sl_task_runner **runners = NULL;
    sl_worker_metrics *metrics = NULL;
    sl_metrics *registry = NULL;

    sl_error_clear(&err);
    char *text = read_file(cfg->spec_file, &len, &err);
    if (!text) {
        sl_log_error("worker", "%s", err.msg);
        return 2;
    }
    plan = sl_plan_parse(text, len, &err);
    free(text);
    if (!plan) {
        sl_log_error("worker", "invalid pipeline spec %s: %s", cfg->spec_file,
                     sl_error_format(&err, buf, sizeof(buf)));
        return 2;
    }
    admin = sl_topic_admin_create(cfg->bootstrap, &cfg->props, ADMIN_TIMEOUT_MS, &err);
    if (!admin) {
        sl_log_error("worker", "cannot reach Kafka at %s: %s", cfg->bootstrap, err.msg);
        goto out;
    }
    if (sl_topic_admin_partitions(admin, plan->input.topic, ADMIN_TIMEOUT_MS, &partitions, &err)) {
        sl_log_error("worker", "input topic %s: %s", plan->input.topic, err.msg);
        status = err.code == SL_ERR_NOT_FOUND ? 2 : 1;
        goto out;
    }
    if (sl_pipeline_topics_ensure(admin, plan, partitions,
                                  cfg->output_partitions ? cfg->output_partitions : partitions,
                                  ADMIN_TIMEOUT_MS, &err) != SL_OK) {
        sl_log_error("worker", "creating the pipeline's topics: %s", err.msg);
        goto out;
    }
    sl_topic_admin_destroy(admin);
    admin = NULL;

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cfg->threads > 0 ? cfg->threads : (cores > 0 ? (int)cores : 1);
    if (threads > partitions)
        threads = partitions;
    runners = calloc((size_t)threads, sizeof(*runners));
    int32_t *mine = calloc((size_t)partitions, sizeof(*mine));
    if (!runners || !mine) {
        free(mine);
        goto out;
    }
    if (cfg->metrics_port > 0 && !(registry = sl_metrics_create(&err))) {
        free(mine);
        goto out;
    }
    for (int t = 0; t < threads; t++) {
        int n = 0;
        for (int p = t; p < partitions; p += threads)
            mine[n++] = p;
        runners[t] = sl_task_runner_create(plan, cfg, mine, n, t, registry, &err);
        if (!runners[t]) {
            sl_log_error("worker", "starting tasks: %s", err.msg);
            free(mine);
            goto out;
        }
        nrunners++;
    }
    free(mine);
    if (cfg->metrics_port > 0) {
        metrics = sl_worker_metrics_start(cfg->metrics_address, cfg->metrics_port, registry,
                                          runners, nrunners, &err);
        if (!metrics) {
            sl_log_error("worker", "metrics server: %s", err.msg);
            goto out;
        }
    }
    for (int t = 0; t < nrunners; t++) {
        if (sl_task_runner_start(runners[t], &err) != SL_OK) {
            sl_log_error("worker", "%s", err.msg);
            goto out;
        }
    }
    sl_log_info("worker", "pipeline %s: %d task(s) of %s on %d thread(s), %s%s", plan->name,
                partitions, plan->input.topic, nrunners,
                plan->guarantee == SL_GUARANTEE_EXACTLY_ONCE ? "exactly-once" : "at-least-once",
                sl_plan_is_stateful(plan) ? ", stateful" : "");

    /* Wait for a signal, or for a runner that had to stop by itself. */
    for (;;) {
        sl_clock_sleep_ms(100);
        if (sl_signal_stop_requested())
            break;
        int ended = 0;
        for (int t = 0; t < nrunners; t++)
            ended |= sl_task_runner_finished(runners[t]);
        if (ended)
            break;
    }
    sl_log_info("worker", "stopping: finishing batches and checkpointing");
    for (int t = 0; t < nrunners; t++)
        sl_task_runner_request_stop(runners[t]);
    status = 0;
    for (int t = 0; t < nrunners; t++)
        if (sl_task_runner_join(runners[t]) != 0)
            status = 1;
out:
    sl_worker_metrics_stop(metrics);
    for (int t = 0; t < nrunners; t++)
        sl_task_runner_destroy(runners[t]);
    free(runners);
    sl_metrics_destroy(registry);
    sl_topic_admin_destroy(admin);
    sl_plan_free(plan);
    return status;
}

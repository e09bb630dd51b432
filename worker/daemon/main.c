/* sluice-worker — runs pipeline tasks (docs/worker.md), in one of two modes:
 * standalone (--standalone: one process runs every partition of one
 * pipeline) or cluster (--controller: the tasks a controller assigns). */
#include <stdio.h>
#include <string.h>

#include "engine/sl_engine.h"
#include "runtime/sl_cluster_worker.h"
#include "runtime/sl_standalone.h"
#include "runtime/sl_worker_config.h"
#include "util/sl_log.h"
#include "util/sl_signal.h"

int main(int argc, char **argv)
{
    sl_worker_config cfg;
    sl_error err;
    sl_error_clear(&err);

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("sluice-worker %s\n", sl_engine_version());
        return 0;
    }
    int rc = sl_worker_config_parse(&cfg, argc, argv, &err);
    if (rc == 1) {
        sl_worker_config_clear(&cfg);
        return 0;
    }
    if (rc != SL_OK) {
        fprintf(stderr, "sluice-worker: %s\n", err.msg);
        sl_worker_config_clear(&cfg);
        return 2;
    }
    if (cfg.controller && !cfg.token_file) {
        fprintf(stderr, "sluice-worker: cluster mode needs --controller URL --token-file FILE\n");
        sl_worker_config_clear(&cfg);
        return 2;
    }
    if (!cfg.controller && (!cfg.standalone || !cfg.spec_file || !cfg.bootstrap)) {
        fprintf(stderr, "sluice-worker: give either --standalone -f PIPELINE.json "
                        "--bootstrap-servers HOST:PORT (standalone mode) or --controller URL "
                        "--token-file FILE (cluster mode); see --help\n");
        sl_worker_config_clear(&cfg);
        return 2;
    }
    sl_log_level_global = sl_log_level_parse(cfg.log_level);
    sl_signal_install_stop();
    rc = cfg.controller ? sl_cluster_run(&cfg) : sl_standalone_run(&cfg);
    sl_worker_config_clear(&cfg);
    return rc;
}

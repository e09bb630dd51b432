/* sluice-worker — runs pipeline tasks. Today: standalone mode, one process
 * running every partition of one pipeline (docs/worker.md); cluster mode
 * (tasks from a controller) comes with the controller. */
#include <stdio.h>
#include <string.h>

#include "engine/sl_engine.h"
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
    if (!cfg.standalone || !cfg.spec_file || !cfg.bootstrap) {
        fprintf(stderr, "sluice-worker: standalone mode needs --standalone -f PIPELINE.json "
                        "--bootstrap-servers HOST:PORT (cluster mode is not available yet)\n");
        sl_worker_config_clear(&cfg);
        return 2;
    }
    sl_log_level_global = sl_log_level_parse(cfg.log_level);
    sl_signal_install_stop();
    rc = sl_standalone_run(&cfg);
    sl_worker_config_clear(&cfg);
    return rc;
}

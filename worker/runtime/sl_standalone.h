/* sl_standalone — standalone mode: one worker process runs every partition
 * of one pipeline's input topic until SIGTERM/SIGINT (docs/worker.md). */
#ifndef SL_STANDALONE_H
#define SL_STANDALONE_H

#include "runtime/sl_worker_config.h"

/* Runs the pipeline of cfg->spec_file; returns the process exit status:
 * 0 after a clean stop, 1 on a runtime failure, 2 on bad input (spec, topic). */
int sl_standalone_run(const sl_worker_config *cfg);

#endif

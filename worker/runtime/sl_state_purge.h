/* sl_state_purge — deleting a pipeline's local state on a worker: the
 * directories <state-dir>/<tenant>.<pipeline> and
 * <state-dir>/<tenant>.<pipeline>.s<N> (one per state epoch, see
 * sl_task_state_dir) with everything below them, when the controller lists the
 * pipeline as purged (docs/worker.md, "Cluster mode").
 *
 * @locality: the cluster worker's loop thread (or any single thread). */
#ifndef SL_STATE_PURGE_H
#define SL_STATE_PURGE_H

#include "util/sl_error.h"

/* Removes the state directories of name ("<tenant>.<pipeline>", checked with
 * sl_cluster_purge_name_valid) under state_dir (borrowed). Symbolic links are
 * removed, never followed. Returns the number of directories removed (0 when
 * there were none, or state_dir does not exist); SL_ERR_INVALID for a bad
 * name; SL_ERR_IO when something could not be removed (err names it; what
 * could be removed is gone). */
int sl_state_purge(const char *state_dir, const char *name, sl_error *err);

#endif

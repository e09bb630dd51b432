/* sl_pipeline_topics — the topics a pipeline needs besides its input: output
 * topics (to_topic), the dead-letter topic, and for a stateful plan the
 * compacted changelog "<name>.changelog" ("<name>.s<epoch>.changelog" once
 * the cluster bumped its state epoch). Used by the standalone worker and by
 * the controller before it schedules a pipeline's tasks. */
#ifndef SL_PIPELINE_TOPICS_H
#define SL_PIPELINE_TOPICS_H

#include <stddef.h>

#include "kafka/sl_topic_admin.h"
#include "spec/sl_spec.h"

/* The changelog topic's name into buf (truncated to size); returns buf. */
const char *sl_pipeline_changelog_topic(const sl_plan *plan, char *buf, size_t size);

/* The i-th topic the plan writes records to (borrowed from plan), or NULL
 * past the last: every to_topic step's topic in step order, then the
 * dead-letter topic when on_error routes there. Iterate with
 * `for (i = 0; (t = sl_pipeline_output_topic(plan, i)); i++)`. */
const char *sl_pipeline_output_topic(const sl_plan *plan, size_t i);

/* Creates the output and dead-letter topics (output_partitions each) and, for
 * a stateful plan, the changelog (compacted, input_partitions: task p restores
 * from changelog partition p) that do not exist yet. SL_ERR_INVALID when an
 * existing changelog has another partition count; errors of the admin. */
int sl_pipeline_topics_ensure(sl_topic_admin *admin, const sl_plan *plan, int input_partitions,
                              int output_partitions, int timeout_ms, sl_error *err);

#endif

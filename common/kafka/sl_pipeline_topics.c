/* sl_pipeline_topics — creating a pipeline's output, dead-letter and
 * changelog topics (see sl_pipeline_topics.h). */
#include "kafka/sl_pipeline_topics.h"

#include <stdio.h>

const char *sl_pipeline_changelog_topic(const sl_plan *plan, char *buf, size_t size)
{
    char state[256];
    snprintf(buf, size, "%s.changelog", sl_plan_state_name(plan, state, sizeof(state)));
    return buf;
}

const char *sl_pipeline_output_topic(const sl_plan *plan, size_t i)
{
    for (size_t s = 0; s < plan->nsteps; s++)
        if (plan->steps[s].op == SL_STEP_TO_TOPIC && i-- == 0)
            return plan->steps[s].topic;
    return i == 0 && plan->on_error == SL_ON_ERROR_DEAD_LETTER ? plan->dead_letter_topic : NULL;
}

static int ensure_outputs(sl_topic_admin *admin, const sl_plan *plan, int partitions,
                          int timeout_ms, sl_error *err)
{
    const char *t;
    for (size_t i = 0; (t = sl_pipeline_output_topic(plan, i)); i++) {
        int rc = sl_topic_admin_ensure_topic(admin, t, partitions, NULL, 0, timeout_ms, NULL, err);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* The changelog: compacted (only the latest value of each state key matters),
 * with exactly the input's partition count. An existing changelog with
 * another partition count cannot be used. */
static int ensure_changelog(sl_topic_admin *admin, const sl_plan *plan, int partitions,
                            int timeout_ms, sl_error *err)
{
    char topic[512];
    int have = 0;
    const sl_topic_config configs[] = {{"cleanup.policy", "compact"}};
    sl_pipeline_changelog_topic(plan, topic, sizeof(topic));
    int rc = sl_topic_admin_ensure_topic(admin, topic, partitions, configs, 1, timeout_ms, &have,
                                         err);
    if (rc != SL_OK)
        return rc;
    if (have != partitions)
        return sl_error_set(err, SL_ERR_INVALID,
                            "%s has %d partitions but the input %s has %d; state partitions "
                            "must match input partitions (delete the changelog or the state "
                            "is lost)",
                            topic, have, plan->input.topic, partitions);
    return SL_OK;
}

int sl_pipeline_topics_ensure(sl_topic_admin *admin, const sl_plan *plan, int input_partitions,
                              int output_partitions, int timeout_ms, sl_error *err)
{
    int rc = ensure_outputs(admin, plan, output_partitions, timeout_ms, err);
    if (rc == SL_OK && sl_plan_is_stateful(plan))
        rc = ensure_changelog(admin, plan, input_partitions, timeout_ms, err);
    return rc;
}

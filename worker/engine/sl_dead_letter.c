/* sl_dead_letter — error routing: what happens to a message whose
 * processing failed, per the plan's on_error (dead_letter, skip, fail).
 *
 * A dead letter carries the ORIGINAL key, value, timestamp and headers of
 * the message (not the half-processed row), plus:
 *   sluice.error   the error, "steps[0].columns.x: message (at position N)"
 *   sluice.step    the failing step's index, or "input" for decoding errors
 *   sluice.source  "topic/partition/offset" when partition and offset are
 *                  known ("topic/partition" without the offset) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/sl_exec_internal.h"
#include "util/sl_log.h"

/* Writes the three sluice.* headers after the message's own into an array
 * from the batch memory. */
static int dead_letter_headers(sl_exec *ex, const sl_error *perr, sl_record *rec)
{
    const sl_message *msg = ex->msg;
    const char *topic = msg->topic ? msg->topic : ex->plan->input.topic;
    size_t n = msg->nheaders;
    sl_header *h = sl_mem_alloc(ex->mem, (n + 3) * sizeof(*h));
    char *error = sl_mem_alloc(ex->mem, SL_ERROR_MSG_MAX + SL_ERROR_WHERE_MAX + 48);
    char *step = sl_mem_alloc(ex->mem, 24);
    char *source = sl_mem_alloc(ex->mem, strlen(topic) + 48);
    if (!h || !error || !step || !source)
        return SL_ERR_NOMEM;
    if (n)
        memcpy(h, msg->headers, n * sizeof(*h));
    sl_error_format(perr, error, SL_ERROR_MSG_MAX + SL_ERROR_WHERE_MAX + 48);
    h[n++] = (sl_header){"sluice.error", error, strlen(error)};
    if (ex->err_step >= 0)
        snprintf(step, 24, "%d", ex->err_step);
    else
        snprintf(step, 24, "input");
    h[n++] = (sl_header){"sluice.step", step, strlen(step)};
    if (msg->partition >= 0) {
        if (msg->offset >= 0)
            sprintf(source, "%s/%" PRId32 "/%" PRId64, topic, msg->partition, msg->offset);
        else
            sprintf(source, "%s/%" PRId32, topic, msg->partition);
        h[n++] = (sl_header){"sluice.source", source, strlen(source)};
    }
    rec->headers = h;
    rec->nheaders = n;
    return SL_OK;
}

int exec_route_error(sl_exec *ex, const sl_error *perr, sl_error *err)
{
    const sl_plan *plan = ex->plan;
    const sl_message *msg = ex->msg;
    sl_record rec;

    ex->counters.errors++;
    switch (plan->on_error) {
    case SL_ON_ERROR_SKIP:
        ex->counters.skipped++;
        sl_log_debug(ex->label, "skipped a message: %s", perr->msg);
        return SL_OK;
    case SL_ON_ERROR_FAIL:
        if (err)
            *err = *perr;
        return perr->code ? perr->code : SL_ERR_INVALID;
    case SL_ON_ERROR_DEAD_LETTER:
        break;
    }
    memset(&rec, 0, sizeof(rec));
    rec.topic = plan->dead_letter_topic;
    rec.key = msg->key;
    rec.key_len = msg->key_len;
    rec.value = msg->value;
    rec.value_len = msg->value_len;
    rec.timestamp = msg->timestamp;
    rec.value_format = plan->input.value_format;
    rec.dead_letter = true;
    rec.source_partition = msg->partition;
    if (dead_letter_headers(ex, perr, &rec) != SL_OK) {
        ex->fatal = 1;
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory writing a dead letter");
    }
    int rc = exec_emit(ex, &rec, err);
    if (rc == SL_OK)
        ex->counters.dead_lettered++;
    return rc;
}

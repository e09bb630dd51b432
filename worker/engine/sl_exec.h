/* sl_exec — the executor of a pipeline's steps for one task.
 *
 * One sl_exec runs one plan (sl_spec.h) for one task (pipeline × input
 * partition) on one thread. The caller feeds it messages (bytes as they came
 * from Kafka or from `sluicectl run`); the executor decodes them per the
 * plan's input formats, runs the steps, and hands every produced record
 * (to_topic outputs and dead letters) to an emit callback, in processing
 * order. Nothing else leaves the pipeline: a spec without a to_topic step
 * produces no output (as in Quix Streams, results only go where to_topic
 * sends them).
 *
 * Windows and aggregate (sl_window.c) keep their state in the task's
 * sl_state (sl_exec_set_state) and hand their results, not the message, to
 * the steps after them; a result may belong to another key than the message
 * that produced it (closing "partition"). A processing error in a step after
 * a window is routed as an error of the message that produced the result;
 * the window state it changed stays changed.
 *
 * Memory: every per-message allocation (decoded documents, rows, expression
 * results, encoded output) comes from the executor's per-batch sl_mem. The
 * caller calls sl_exec_batch_reset after a batch, once it no longer needs
 * anything the callback was given (the Kafka producer copies, so that is
 * right after the last produce). Steady state: no malloc per message.
 *
 * Processing errors (a type error in an expression, a value that is not an
 * object where columns are needed, JSON that does not parse) follow the
 * plan's on_error: dead_letter emits the ORIGINAL key, value, timestamp and
 * headers to plan->dead_letter_topic plus the headers sluice.error,
 * sluice.step and sluice.source; skip drops the message and counts it; fail
 * returns the error from sl_exec_process (the task stops). Records already
 * emitted by earlier to_topic steps for a failing message are not recalled.
 *
 * @locality: the task's thread; no locks. */
#ifndef SL_EXEC_H
#define SL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/sl_spec.h"
#include "util/sl_error.h"
#include "engine/sl_state.h"
#include "util/sl_header.h"

typedef struct sl_exec sl_exec;

/* One input message; everything borrowed for the duration of the call. */
typedef struct sl_message {
    const void *key;   /* NULL: no key */
    size_t key_len;
    const void *value; /* NULL: null value (tombstone) */
    size_t value_len;
    int64_t timestamp; /* ms since the epoch */
    const char *topic; /* source topic for sluice.source; NULL: plan's input topic */
    int32_t partition; /* -1: unknown */
    int64_t offset;    /* -1: unknown */
    const sl_header *headers;
    size_t nheaders;
} sl_message;

/* One produced record; every pointer is borrowed and valid only during the
 * emit callback (copy what you keep). */
typedef struct sl_record {
    const char *topic;
    const void *key;   /* NULL: no key */
    size_t key_len;
    const void *value; /* NULL: null value */
    size_t value_len;
    int64_t timestamp;
    const sl_header *headers;
    size_t nheaders;
    sl_format value_format; /* how value was written (json: JSON text) */
    bool dead_letter;       /* true for records sent to the dead-letter topic */
    int32_t source_partition; /* the input message's partition (-1 unknown) */
} sl_record;

/* Receives each produced record. Return 0, or a negative SL_ERR_* (filling
 * err) to stop: sl_exec_process then returns that error unchanged. */
typedef int (*sl_exec_emit_fn)(void *opaque, const sl_record *rec, sl_error *err);

/* Per-executor counters (messages unless said otherwise). */
typedef struct sl_exec_counters {
    uint64_t in;            /* messages given to sl_exec_process */
    uint64_t out;           /* records emitted by to_topic steps */
    uint64_t dropped;       /* messages (or expanded elements) dropped by filter, or by a
                             * window / aggregate step (null key, time window before
                             * the epoch) */
    uint64_t errors;        /* processing errors, whatever on_error says */
    uint64_t dead_lettered; /* records emitted to the dead-letter topic */
    uint64_t skipped;       /* messages dropped because of on_error=skip */
    uint64_t late;          /* messages dropped by a time window: every window they
                             * belong to had closed */
} sl_exec_counters;

/* Returns a new executor for plan (borrowed: must outlive the executor) that
 * calls emit(opaque, ...) for each record. ctx is a label for log lines
 * (e.g. "speeding/3"; copied; NULL: the plan name). NULL with err on OOM.
 * Free with sl_exec_destroy. */
sl_exec *sl_exec_create(const sl_plan *plan, const char *ctx, sl_exec_emit_fn emit, void *opaque,
                        sl_error *err);

/* Gives the executor the task's state store (borrowed: must outlive the
 * executor, or be replaced first). Stateful steps (windows, aggregate) need
 * one; sl_exec_process fails with SL_ERR_STATE when a stateful plan has none.
 * NULL detaches. */
int sl_exec_set_state(sl_exec *ex, sl_state *state);

/* Frees the executor and its batch memory; NULL is a no-op. */
void sl_exec_destroy(sl_exec *ex);

/* Runs one message through the pipeline. Returns 0 when the message was
 * handled (emitted, dropped, dead-lettered or skipped); a negative SL_ERR_*
 * with err filled when on_error is fail and processing failed (err->where
 * names the step, e.g. "steps[1].where"), when the emit callback failed, or
 * on SL_ERR_NOMEM. msg and what it points to are borrowed for the call. */
int sl_exec_process(sl_exec *ex, const sl_message *msg, sl_error *err);

/* Runs msgs[0..n) in order; stops at the first failure (as sl_exec_process).
 * *done (may be NULL) receives the number of messages fully handled. */
int sl_exec_process_batch(sl_exec *ex, const sl_message *msgs, size_t n, size_t *done,
                          sl_error *err);

/* Releases everything allocated for the batch. Call after a batch, when no
 * emitted record or input message of it is still needed. SL_ERR_NOMEM if the
 * batch document cannot be recreated (the executor stays usable). */
int sl_exec_batch_reset(sl_exec *ex);

/* Bytes of batch memory in use (for metrics and deciding when to reset). */
size_t sl_exec_batch_bytes(const sl_exec *ex);

/* The counters (borrowed, live). */
const sl_exec_counters *sl_exec_counters_get(const sl_exec *ex);

/* Index of the step at which the last processing error happened, -1 for the
 * input (decoding, input.timestamp), -2 if none yet. */
int sl_exec_last_error_step(const sl_exec *ex);

#endif

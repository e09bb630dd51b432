/* sl_exec_reject — lets a caller refuse a message before its steps run (the
 * worker does, for values over --max-message-bytes): the message goes
 * through the plan's on_error exactly like a processing error at the input
 * (sluice.step = "input"). */
#ifndef SL_EXEC_REJECT_H
#define SL_EXEC_REJECT_H

#include "engine/sl_exec.h"

/* Routes msg (borrowed; pass value NULL to dead-letter it without its value)
 * with the reason in reason (code + message) through on_error. Returns 0 when
 * dead-lettered or skipped, the reason's code for on_error=fail, or the emit
 * callback's error. Counts the message as in and as a processing error. */
int sl_exec_reject(sl_exec *ex, const sl_message *msg, const sl_error *reason, sl_error *err);

#endif

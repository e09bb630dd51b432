/* sl_exec_reject — route a refused message through on_error (see
 * sl_exec_reject.h). */
#include "engine/sl_exec_reject.h"

#include "engine/sl_exec_internal.h"

int sl_exec_reject(sl_exec *ex, const sl_message *msg, const sl_error *reason, sl_error *err)
{
    ex->counters.in++; /* exec_route_error counts the error itself */
    ex->msg = msg;
    ex->err_step = -1;
    ex->fatal = 0;
    int rc = exec_route_error(ex, reason, err);
    ex->msg = NULL;
    return rc;
}

/* fuzz_assignment — the worker's decoder of the controller's heartbeat answer
 * (sl_assignment_decode) must accept or reject any bytes without crashing,
 * and what it accepts must hold only valid names (they become paths under
 * the state directory). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sl_heartbeat_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_assignment *a = NULL;
    sl_error err;
    if (sl_assignment_decode(data, size, &a, &err) != SL_OK) {
        if (a)
            abort();
        return 0;
    }
    for (size_t i = 0; i < a->ntasks; i++)
        if (!sl_cluster_name_valid(a->tasks[i].id.tenant) ||
            !sl_cluster_name_valid(a->tasks[i].id.pipeline) || !a->tasks[i].spec_json ||
            strlen(a->tasks[i].spec_json) != a->tasks[i].spec_len)
            abort();
    for (size_t i = 0; i < a->npurge; i++)
        if (!sl_cluster_purge_name_valid(a->purge[i]))
            abort();
    sl_assignment_free(a);
    return 0;
}

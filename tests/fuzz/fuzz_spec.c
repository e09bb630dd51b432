/* fuzz_spec — the pipeline spec parser must accept or reject any bytes
 * without crashing or leaking; an accepted spec must render to canonical JSON
 * that parses again to the same rendering. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/sl_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error errs[4];
    size_t nerrs = 0;
    sl_plan *plan = sl_plan_parse_all((const char *)data, size, errs, 4, &nerrs);
    if (!plan) {
        if (nerrs == 0 || nerrs > 4)
            abort();
        return 0;
    }
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    sl_error err;
    if (sl_plan_render(plan, &a, &err) == SL_OK) {
        sl_plan *again = sl_plan_parse(a.data, a.len, &err);
        if (!again || sl_plan_render(again, &b, &err) != SL_OK || a.len != b.len ||
            memcmp(a.data, b.data, a.len) != 0)
            abort();
        sl_plan_free(again);
    }
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_plan_free(plan);
    return 0;
}

/* fuzz_expr — the expression compiler must accept or reject any bytes
 * without crashing or leaking; an accepted expression is evaluated against a
 * small fixed row (and its result encoded), which must not crash either, and
 * errors must carry a status and, for compile errors, a position inside the
 * source. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/sl_expr.h"

static const char ROW[] =
    "{\"speed\":30,\"name\":\"Ab\",\"gps\":{\"lat\":1.5},\"tags\":[\"x\",\"y\"],"
    "\"temp C\":7,\"n\":null,\"f\":2.5,\"big\":9223372036854775807,\"t\":true}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error err;
    sl_expr *e = sl_expr_compile_n((const char *)data, size, &err);
    if (!e) {
        if (err.code == SL_OK || (err.code != SL_ERR_NOMEM && (err.pos < 0 || (size_t)err.pos > size)))
            abort();
        return 0;
    }
    sl_mem *mem = sl_mem_create(0);
    if (!mem) {
        sl_expr_free(e);
        return 0;
    }
    sl_eval_ctx ctx = SL_EVAL_CTX_INIT(mem);
    sl_row row;
    if (sl_row_init_json(&row, mem, sl_value_str("key", 3), 1000, ROW, sizeof(ROW) - 1, &err) ==
        SL_OK) {
        sl_value v;
        sl_error_clear(&err);
        int rc = sl_expr_eval(e, &ctx, &row, &v, &err);
        if (rc == SL_OK) {
            sl_buf out = SL_BUF_INIT;
            sl_value_write_json(v, &out, &err);
            /* Assigning the result and encoding the row must work too. */
            if (sl_row_set(&row, "out", 3, v, &err) == SL_OK)
                sl_row_encode(&row, &out, &err);
            sl_buf_free(&out);
        } else if (err.code != rc) {
            abort();
        }
        sl_truth t;
        sl_expr_eval_truth(e, &ctx, &row, &t, &err);
    }
    sl_mem_destroy(mem);
    sl_expr_free(e);
    return 0;
}

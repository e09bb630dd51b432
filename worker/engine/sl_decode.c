/* sl_decode — turning a message's bytes into a row, per the plan's input.
 *
 *   key_format   string (default): the key bytes as a str value; bytes: the
 *                same (a str holding the raw bytes, see docs); json: parsed.
 *   value_format json (default): parsed into the batch memory, the text kept
 *                for splice encoding; string / bytes: a str value.
 *   a missing key or value (Kafka null) is null whatever the format.
 *   input.timestamp, when given, is evaluated on the decoded row and replaces
 *                the message timestamp.
 * Parse errors are processing errors for the message (step index -1). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/sl_exec_internal.h"

int exec_value_to_ms(sl_value v, int64_t *out, sl_error *err)
{
    if (v.kind == SL_VAL_INT) {
        *out = v.u.i;
        return SL_OK;
    }
    /* 9.2e18 is the first double above the int64 range */
    if (v.kind == SL_VAL_FLOAT && isfinite(v.u.f) && v.u.f > -9.2e18 && v.u.f < 9.2e18) {
        *out = (int64_t)v.u.f;
        return SL_OK;
    }
    if (v.kind == SL_VAL_FLOAT)
        return sl_error_set(err, SL_ERR_TYPE,
                            "expected a timestamp in milliseconds, got a float out of range");
    return sl_error_set(err, SL_ERR_TYPE,
                        "expected a timestamp in milliseconds (an int), got %s",
                        sl_value_kind_name(v));
}

static int decode_fail(sl_exec *ex, int rc, sl_error *err, const char *what)
{
    ex->err_step = -1;
    if (rc == SL_ERR_NOMEM) {
        ex->fatal = 1;
        return rc;
    }
    /* keep the parser's message, say which part did not parse */
    char msg[SL_ERROR_MSG_MAX];
    const char *reason = err->msg;
    if (strncmp(reason, "invalid JSON: ", 14) == 0)
        reason += 14;
    snprintf(msg, sizeof(msg), "%s", reason);
    if (err->pos >= 0)
        sl_error_set(err, rc, "%s is not valid JSON: %s at byte %d", what, msg, err->pos);
    else
        sl_error_set(err, rc, "%s is not valid JSON: %s", what, msg);
    sl_error_where(err, "input.%s", what[0] == 'k' ? "key_format" : "value_format");
    return rc;
}

static int decode_key(sl_exec *ex, const sl_message *msg, sl_value *key, sl_error *err)
{
    if (!msg->key) {
        *key = sl_value_null();
        return SL_OK;
    }
    if (ex->plan->input.key_format != SL_FORMAT_JSON) {
        *key = sl_value_str(msg->key, msg->key_len);
        return SL_OK;
    }
    yyjson_doc *doc = sl_mem_read_json(ex->mem, msg->key, msg->key_len, err);
    if (!doc)
        return decode_fail(ex, err->code, err, "key");
    *key = sl_value_from_json(yyjson_doc_get_root(doc));
    return SL_OK;
}

int exec_decode(sl_exec *ex, const sl_message *msg, exec_item *item, sl_error *err)
{
    const sl_plan_input *in = &ex->plan->input;
    sl_value key;
    int rc;

    err->pos = -1;
    rc = decode_key(ex, msg, &key, err);
    if (rc != SL_OK)
        return rc;
    item->key_raw = msg->key;
    item->key_raw_len = msg->key_len;
    item->key_is_raw = 1;
    if (!msg->value) {
        sl_row_init(&item->row, ex->mem, key, msg->timestamp, sl_value_null());
    } else if (in->value_format == SL_FORMAT_JSON) {
        rc = sl_row_init_json(&item->row, ex->mem, key, msg->timestamp, msg->value,
                              msg->value_len, err);
        if (rc != SL_OK)
            return decode_fail(ex, rc, err, "value");
    } else {
        sl_row_init(&item->row, ex->mem, key, msg->timestamp,
                    sl_value_str(msg->value, msg->value_len));
    }
    if (!in->timestamp)
        return SL_OK;
    sl_value ts;
    rc = sl_expr_eval(in->timestamp, &ex->ectx, &item->row, &ts, err);
    if (rc == SL_OK)
        rc = exec_value_to_ms(ts, &item->row.timestamp, err);
    if (rc != SL_OK) {
        ex->err_step = -1;
        ex->fatal = rc == SL_ERR_NOMEM;
        sl_error_where(err, "input.timestamp");
    }
    return rc;
}

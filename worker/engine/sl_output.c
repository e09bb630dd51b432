/* sl_output — what a to_topic step sends: the record's key, value and
 * headers, encoded per the step, handed to the emit callback.
 *
 * Key: a key that no set_key changed goes out as the original bytes;
 * otherwise a str key is written as its bytes, null as no key, and anything
 * else as its JSON text. Value: JSON text for value_format json; for string
 * and bytes a str is written as its bytes, null as a null value, anything
 * else as JSON text. Encoding reuses the executor's two scratch buffers, so
 * a record's bytes are valid only during the callback. */
#include <string.h>

#include "engine/sl_exec_internal.h"

static int encode_key(sl_exec *ex, const exec_item *item, sl_value key, int use_raw,
                      sl_record *rec, sl_error *err)
{
    if (use_raw) {
        rec->key = item->key_raw;
        rec->key_len = item->key_raw_len;
        return SL_OK;
    }
    if (key.kind == SL_VAL_NULL) {
        rec->key = NULL;
        rec->key_len = 0;
        return SL_OK;
    }
    if (key.kind == SL_VAL_STR) {
        /* an empty str must not read as "no key" */
        rec->key = key.len ? key.u.s : "";
        rec->key_len = key.len;
        return SL_OK;
    }
    sl_buf_reset(&ex->kbuf);
    int rc = sl_value_write_json(key, &ex->kbuf, err);
    if (rc != SL_OK)
        return rc;
    rec->key = ex->kbuf.data;
    rec->key_len = ex->kbuf.len;
    return SL_OK;
}

static int encode_value(sl_exec *ex, const exec_item *item, sl_format fmt, sl_record *rec,
                        sl_error *err)
{
    sl_buf_reset(&ex->vbuf);
    rec->value_format = fmt;
    if (fmt != SL_FORMAT_JSON) {
        sl_value v;
        int rc = sl_row_value(&item->row, &v, err);
        if (rc != SL_OK)
            return rc;
        if (v.kind == SL_VAL_NULL) {
            rec->value = NULL;
            rec->value_len = 0;
            return SL_OK;
        }
        if (v.kind == SL_VAL_STR) {
            rec->value = v.len ? v.u.s : "";
            rec->value_len = v.len;
            return SL_OK;
        }
    }
    int rc = sl_row_encode(&item->row, &ex->vbuf, err);
    if (rc != SL_OK)
        return rc;
    rec->value = ex->vbuf.data;
    rec->value_len = ex->vbuf.len;
    return SL_OK;
}

int exec_emit(sl_exec *ex, const sl_record *rec, sl_error *err)
{
    if (!ex->emit)
        return SL_OK;
    sl_error_clear(err);
    int rc = ex->emit(ex->opaque, rec, err);
    if (rc != SL_OK) {
        ex->fatal = 1;
        if (err && err->code == SL_OK)
            sl_error_set(err, rc, "emit callback failed: %s", sl_status_name(rc));
    }
    return rc;
}

int exec_emit_output(sl_exec *ex, const sl_step *s, exec_item *item, sl_error *err)
{
    const sl_message *msg = ex->msg;
    sl_record rec;
    sl_value key = item->row.key;
    int rc, use_raw = item->key_is_raw;

    memset(&rec, 0, sizeof(rec));
    if (s->expr) {
        rc = sl_expr_eval(s->expr, &ex->ectx, &item->row, &key, err);
        if (rc != SL_OK)
            goto fail_key;
        use_raw = 0;
    }
    rc = encode_key(ex, item, key, use_raw, &rec, err);
    if (rc != SL_OK)
        goto fail_key;
    rc = encode_value(ex, item, s->value_format, &rec, err);
    if (rc != SL_OK)
        goto fail_value;
    rec.topic = s->topic;
    rec.timestamp = item->row.timestamp;
    rec.headers = item->no_headers ? NULL : msg->headers;
    rec.nheaders = item->no_headers ? 0 : msg->nheaders;
    rec.source_partition = msg->partition;
    rc = exec_emit(ex, &rec, err);
    if (rc == SL_OK)
        ex->counters.out++;
    return rc;

fail_key:
    ex->err_step = (int)s->index;
    ex->fatal = rc == SL_ERR_NOMEM;
    sl_error_where(err, "steps[%zu].key", s->index);
    return rc;
fail_value:
    ex->err_step = (int)s->index;
    ex->fatal = rc == SL_ERR_NOMEM;
    sl_error_where(err, "steps[%zu]", s->index);
    return rc;
}

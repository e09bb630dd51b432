/* sluicectl_run_envelope — reading one input line of `sluicectl run`:
 *
 *   {"key": str|null, "value": any, "timestamp": int ms,
 *    "partition": int (default 0), "offset": int (default: the next offset of
 *    that partition), "headers": {str: str}}
 *
 * into an sl_message exactly as the Kafka consumer would hand it over:
 * bytes for key and value. Everything lives in the caller's sl_mem. */
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "sluicectl_run.h"

#define ENVELOPE_MAX_PARTITION 65535

static const char *const envelope_fields[] = {"key",    "value",   "timestamp", "partition",
                                              "offset", "headers", NULL};

int sluicectl_line_is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n')
            return 0;
    return 1;
}

static int check_fields(yyjson_val *root, sl_error *err)
{
    yyjson_obj_iter it = yyjson_obj_iter_with(root);
    yyjson_val *k;
    while ((k = yyjson_obj_iter_next(&it))) {
        const char *name = yyjson_get_str(k);
        size_t i;
        for (i = 0; envelope_fields[i]; i++)
            if (strcmp(envelope_fields[i], name) == 0)
                break;
        if (envelope_fields[i])
            continue;
        const char *near = sl_spec_suggest(name, envelope_fields);
        if (near)
            return sl_error_set(err, SL_ERR_INVALID, "unknown field '%.64s'; did you mean '%s'?",
                                name, near);
        return sl_error_set(err, SL_ERR_INVALID,
                            "unknown field '%.64s'; expected key, value, timestamp, partition, "
                            "offset or headers",
                            name);
    }
    return SL_OK;
}

static int read_headers(yyjson_val *hv, sl_message *msg, sl_header *headers, size_t max,
                        sl_error *err)
{
    size_t i, n;
    yyjson_val *k, *v;
    if (!hv)
        return SL_OK;
    if (!yyjson_is_obj(hv))
        return sl_error_set(err, SL_ERR_INVALID, "'headers' must be an object of strings");
    if (yyjson_obj_size(hv) > max)
        return sl_error_set(err, SL_ERR_INVALID, "too many headers (at most %zu)", max);
    yyjson_obj_foreach(hv, i, n, k, v)
    {
        if (!yyjson_is_str(v))
            return sl_error_set(err, SL_ERR_INVALID, "header '%.64s' must be a string",
                                yyjson_get_str(k));
        headers[i] = (sl_header){yyjson_get_str(k), yyjson_get_str(v), yyjson_get_len(v)};
    }
    msg->headers = headers;
    msg->nheaders = yyjson_obj_size(hv);
    return SL_OK;
}

static int read_value(sl_mem *mem, const sl_plan *plan, yyjson_val *v, sl_message *msg,
                      sl_error *err)
{
    if (!v)
        return sl_error_set(err, SL_ERR_INVALID, "missing 'value'");
    if (plan->input.value_format != SL_FORMAT_JSON) {
        if (yyjson_is_null(v))
            return SL_OK;
        if (!yyjson_is_str(v))
            return sl_error_set(err, SL_ERR_INVALID,
                                "'value' must be a string for value_format '%s'",
                                sl_format_name(plan->input.value_format));
        msg->value = yyjson_get_str(v);
        msg->value_len = yyjson_get_len(v);
        return SL_OK;
    }
    yyjson_write_err werr;
    size_t len = 0;
    char *text = yyjson_val_write_opts(v, 0, sl_mem_alc(mem), &len, &werr);
    if (!text)
        return sl_error_set(err, SL_ERR_INVALID, "cannot encode 'value': %s", werr.msg);
    msg->value = text;
    msg->value_len = len;
    return SL_OK;
}

static int read_position(yyjson_val *root, sluicectl_offsets *offs, sl_message *msg,
                         sl_error *err)
{
    yyjson_val *p = yyjson_obj_get(root, "partition");
    yyjson_val *o = yyjson_obj_get(root, "offset");
    int64_t part = 0;
    if (p && (!yyjson_is_int(p) || yyjson_get_sint(p) < 0 ||
              yyjson_get_sint(p) > ENVELOPE_MAX_PARTITION))
        return sl_error_set(err, SL_ERR_INVALID, "'partition' must be an int in 0..%d",
                            ENVELOPE_MAX_PARTITION);
    if (p)
        part = yyjson_get_sint(p);
    if (o && (!yyjson_is_int(o) || yyjson_get_sint(o) < 0))
        return sl_error_set(err, SL_ERR_INVALID, "'offset' must be a non-negative int");
    if ((size_t)part >= offs->n) {
        size_t n = (size_t)part + 1;
        int64_t *next = realloc(offs->next, n * sizeof(*next));
        if (!next)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        memset(next + offs->n, 0, (n - offs->n) * sizeof(*next));
        offs->next = next;
        offs->n = n;
    }
    msg->partition = (int32_t)part;
    msg->offset = o ? yyjson_get_sint(o) : offs->next[part];
    offs->next[part] = msg->offset + 1;
    return SL_OK;
}

int sluicectl_envelope_parse(sl_mem *mem, const sl_plan *plan, sluicectl_offsets *offs,
                             const char *line, size_t len, sl_message *msg, sl_header *headers,
                             size_t max_headers, sl_error *err)
{
    yyjson_read_err rerr;
    memset(msg, 0, sizeof(*msg));
    sl_error_clear(err);
    yyjson_doc *doc = yyjson_read_opts((char *)line, len, 0, sl_mem_alc(mem), &rerr);
    if (!doc)
        return sl_error_set(err, SL_ERR_INVALID, "not JSON: %s at byte %zu", rerr.msg, rerr.pos);
    yyjson_val *root = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(root))
        return sl_error_set(err, SL_ERR_INVALID, "expected a JSON object");
    if (check_fields(root, err) != SL_OK)
        return err->code;
    yyjson_val *k = yyjson_obj_get(root, "key");
    if (k && !yyjson_is_str(k) && !yyjson_is_null(k))
        return sl_error_set(err, SL_ERR_INVALID, "'key' must be a string or null");
    if (yyjson_is_str(k)) {
        msg->key = yyjson_get_str(k);
        msg->key_len = yyjson_get_len(k);
    }
    yyjson_val *ts = yyjson_obj_get(root, "timestamp");
    if (!ts || !yyjson_is_int(ts) || (yyjson_is_uint(ts) && yyjson_get_uint(ts) > INT64_MAX))
        return sl_error_set(err, SL_ERR_INVALID,
                            "'timestamp' must be an int (milliseconds since the epoch)");
    msg->timestamp = yyjson_get_sint(ts);
    msg->topic = plan->input.topic;
    if (read_value(mem, plan, yyjson_obj_get(root, "value"), msg, err) != SL_OK ||
        read_headers(yyjson_obj_get(root, "headers"), msg, headers, max_headers, err) != SL_OK ||
        read_position(root, offs, msg, err) != SL_OK)
        return err->code;
    return SL_OK;
}

/* sl_meta_codec — how catalog entries look on the wire: their Kafka keys
 * ("tenant/<name>", "token/<id>", "pipeline/<tenant>/<name>") and their
 * values, MetaRecord protobufs (proto/cluster.proto).
 *
 * Decoding is defensive: the log outlives any one build of the controller
 * and anyone with write access to the topic can put bytes in it, so every
 * field is checked against the limits of the in-memory structs before it is
 * accepted. A record that does not fit is refused as a whole (the replay
 * skips it with a warning) rather than truncated into something else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.pb-c.h"
#include "meta/sl_meta_internal.h"

int sl_meta_name_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n + 1 >= SL_META_NAME_MAX || c == '/' || c < 0x20 || c == 0x7f)
            return 0;
    }
    return n > 0;
}

int sl_meta_token_id_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++)
        if (n >= SL_TOKEN_ID_LEN || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == SL_TOKEN_ID_LEN;
}

static const char *kind_prefix(sl_meta_kind kind)
{
    switch (kind) {
    case SL_META_KIND_TENANT: return "tenant/";
    case SL_META_KIND_TOKEN: return "token/";
    case SL_META_KIND_PIPELINE: return "pipeline/";
    }
    return "?/";
}

void sl_meta_key_format(char buf[SL_META_KEY_MAX], sl_meta_kind kind, const char *a,
                        const char *b)
{
    if (kind == SL_META_KIND_PIPELINE)
        snprintf(buf, SL_META_KEY_MAX, "%s%s/%s", kind_prefix(kind), a, b);
    else
        snprintf(buf, SL_META_KEY_MAX, "%s%s", kind_prefix(kind), a);
}

/* Copies key[0..len) into a NUL-terminated part of size SL_META_NAME_MAX. */
static int copy_part(char *dst, const char *src, size_t len)
{
    if (len >= SL_META_NAME_MAX || memchr(src, '\0', len))
        return -1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

int sl_meta_key_parse(const void *key, size_t len, sl_meta_key *out, sl_error *err)
{
    const char *k = key;
    memset(out, 0, sizeof(*out));
    for (int kind = SL_META_KIND_TENANT; kind <= SL_META_KIND_PIPELINE; kind++) {
        const char *prefix = kind_prefix((sl_meta_kind)kind);
        size_t plen = strlen(prefix);
        if (!k || len < plen || memcmp(k, prefix, plen) != 0)
            continue;
        const char *rest = k + plen;
        size_t rlen = len - plen;
        out->kind = (sl_meta_kind)kind;
        if (kind == SL_META_KIND_PIPELINE) {
            /* Names never contain '/', so the first one separates them. */
            const char *slash = memchr(rest, '/', rlen);
            if (!slash || copy_part(out->a, rest, (size_t)(slash - rest)) ||
                copy_part(out->b, slash + 1, rlen - (size_t)(slash - rest) - 1) ||
                !sl_meta_name_valid(out->a) || !sl_meta_name_valid(out->b))
                break;
            return SL_OK;
        }
        if (copy_part(out->a, rest, rlen))
            break;
        if (kind == SL_META_KIND_TOKEN ? !sl_meta_token_id_valid(out->a)
                                       : !sl_meta_name_valid(out->a))
            break;
        return SL_OK;
    }
    memset(out, 0, sizeof(*out));
    return sl_error_set(err, SL_ERR_INVALID, "not a catalog key");
}

/* Packs a MetaRecord into a new buffer. */
static int pack(const Sluice__MetaRecord *r, uint8_t **out, size_t *len, sl_error *err)
{
    size_t n = sluice__meta_record__get_packed_size(r);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    *len = sluice__meta_record__pack(r, buf);
    *out = buf;
    return SL_OK;
}

int sl_meta_encode_tenant(const sl_tenant *t, uint8_t **out, size_t *len, sl_error *err)
{
    Sluice__MetaTenant mt = SLUICE__META_TENANT__INIT;
    mt.name = (char *)t->name;
    mt.max_pipelines = t->max_pipelines;
    mt.max_tasks = t->max_tasks;
    mt.created_ms = t->created_ms;
    Sluice__MetaRecord r = SLUICE__META_RECORD__INIT;
    r.kind_case = SLUICE__META_RECORD__KIND_TENANT;
    r.tenant = &mt;
    return pack(&r, out, len, err);
}

int sl_meta_encode_token(const sl_token *t, uint8_t **out, size_t *len, sl_error *err)
{
    Sluice__MetaToken mt = SLUICE__META_TOKEN__INIT;
    mt.id = (char *)t->id;
    mt.tenant = (char *)t->tenant;
    mt.sha256.data = (uint8_t *)t->sha256;
    mt.sha256.len = sizeof(t->sha256);
    mt.description = (char *)t->description;
    mt.created_ms = t->created_ms;
    Sluice__MetaRecord r = SLUICE__META_RECORD__INIT;
    r.kind_case = SLUICE__META_RECORD__KIND_TOKEN;
    r.token = &mt;
    return pack(&r, out, len, err);
}

int sl_meta_encode_pipeline(const sl_pipeline *p, uint8_t **out, size_t *len, sl_error *err)
{
    Sluice__MetaPipeline mp = SLUICE__META_PIPELINE__INIT;
    mp.tenant = (char *)p->tenant;
    mp.name = (char *)p->name;
    mp.version = p->version;
    mp.spec_json = (char *)(p->spec_json ? p->spec_json : "");
    mp.desired = p->desired == SL_DESIRED_PAUSED ? SLUICE__DESIRED_STATE__DESIRED_STATE_PAUSED
                                                 : SLUICE__DESIRED_STATE__DESIRED_STATE_RUNNING;
    mp.state_epoch = p->state_epoch;
    mp.state_fingerprint = (char *)p->state_fingerprint;
    mp.created_ms = p->created_ms;
    mp.updated_ms = p->updated_ms;
    Sluice__MetaRecord r = SLUICE__META_RECORD__INIT;
    r.kind_case = SLUICE__META_RECORD__KIND_PIPELINE;
    r.pipeline = &mp;
    return pack(&r, out, len, err);
}

/* Copies a decoded string into dst[size]; -1 when it does not fit. */
static int copy_str(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        return -1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
    return 0;
}

static int decode_tenant(const Sluice__MetaTenant *mt, sl_tenant *t, sl_error *err)
{
    if (copy_str(t->name, sizeof(t->name), mt->name) || !sl_meta_name_valid(t->name))
        return sl_error_set(err, SL_ERR_INVALID, "tenant: invalid name");
    t->max_pipelines = mt->max_pipelines;
    t->max_tasks = mt->max_tasks;
    t->created_ms = mt->created_ms;
    return SL_OK;
}

static int decode_token(const Sluice__MetaToken *mt, sl_token *t, sl_error *err)
{
    if (copy_str(t->id, sizeof(t->id), mt->id) || !sl_meta_token_id_valid(t->id))
        return sl_error_set(err, SL_ERR_INVALID, "token: invalid id");
    if (copy_str(t->tenant, sizeof(t->tenant), mt->tenant) || !sl_meta_name_valid(t->tenant))
        return sl_error_set(err, SL_ERR_INVALID, "token %s: invalid tenant", t->id);
    if (mt->sha256.len != sizeof(t->sha256) || !mt->sha256.data)
        return sl_error_set(err, SL_ERR_INVALID, "token %s: hash is %zu bytes, not %zu", t->id,
                            mt->sha256.len, sizeof(t->sha256));
    memcpy(t->sha256, mt->sha256.data, sizeof(t->sha256));
    if (copy_str(t->description, sizeof(t->description), mt->description))
        return sl_error_set(err, SL_ERR_INVALID, "token %s: description too long", t->id);
    t->created_ms = mt->created_ms;
    return SL_OK;
}

static int decode_pipeline(const Sluice__MetaPipeline *mp, sl_pipeline *p, sl_error *err)
{
    if (copy_str(p->tenant, sizeof(p->tenant), mp->tenant) || !sl_meta_name_valid(p->tenant) ||
        copy_str(p->name, sizeof(p->name), mp->name) || !sl_meta_name_valid(p->name))
        return sl_error_set(err, SL_ERR_INVALID, "pipeline: invalid tenant or name");
    if (copy_str(p->state_fingerprint, sizeof(p->state_fingerprint), mp->state_fingerprint))
        return sl_error_set(err, SL_ERR_INVALID, "pipeline %s/%s: fingerprint too long",
                            p->tenant, p->name);
    p->version = mp->version;
    /* A state this build does not know (a newer controller wrote it) reads
     * as paused: stopping a pipeline is safe, running one is not. */
    p->desired = mp->desired == SLUICE__DESIRED_STATE__DESIRED_STATE_RUNNING ? SL_DESIRED_RUNNING
                                                                             : SL_DESIRED_PAUSED;
    p->state_epoch = mp->state_epoch;
    p->created_ms = mp->created_ms;
    p->updated_ms = mp->updated_ms;
    p->spec_json = strdup(mp->spec_json ? mp->spec_json : "");
    if (!p->spec_json)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    return SL_OK;
}

int sl_meta_decode(const void *value, size_t len, sl_meta_rec *out, sl_error *err)
{
    memset(out, 0, sizeof(*out));
    Sluice__MetaRecord *r = sluice__meta_record__unpack(NULL, len, value);
    if (!r)
        return sl_error_set(err, SL_ERR_INVALID, "not a MetaRecord protobuf");
    int rc;
    switch (r->kind_case) {
    case SLUICE__META_RECORD__KIND_TENANT:
        out->kind = SL_META_KIND_TENANT;
        rc = decode_tenant(r->tenant, &out->u.tenant, err);
        break;
    case SLUICE__META_RECORD__KIND_TOKEN:
        out->kind = SL_META_KIND_TOKEN;
        rc = decode_token(r->token, &out->u.token, err);
        break;
    case SLUICE__META_RECORD__KIND_PIPELINE:
        out->kind = SL_META_KIND_PIPELINE;
        rc = decode_pipeline(r->pipeline, &out->u.pipeline, err);
        break;
    default:
        rc = sl_error_set(err, SL_ERR_INVALID, "MetaRecord of unknown kind %d", (int)r->kind_case);
        break;
    }
    sluice__meta_record__free_unpacked(r, NULL);
    if (rc != SL_OK)
        sl_meta_rec_clear(out);
    return rc;
}

void sl_meta_rec_clear(sl_meta_rec *rec)
{
    if (!rec)
        return;
    if (rec->kind == SL_META_KIND_PIPELINE)
        free(rec->u.pipeline.spec_json);
    memset(rec, 0, sizeof(*rec));
}

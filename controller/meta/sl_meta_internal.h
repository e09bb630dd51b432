/* sl_meta_internal — the two pieces behind the catalog (sl_meta.c):
 *
 *   sl_meta_codec.c  record keys and the MetaRecord protobuf <-> the catalog
 *                    structs, with the validation both directions share;
 *   sl_meta_log.c    the Kafka side: creating and replaying __sluice_meta,
 *                    and writing one record at a time, acknowledged.
 *
 * Private to controller/meta/; the contract for everyone else is sl_meta.h. */
#ifndef SL_META_INTERNAL_H
#define SL_META_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "meta/sl_meta.h"

/* ---- codec (sl_meta_codec.c) ------------------------------------------ */

typedef enum sl_meta_kind {
    SL_META_KIND_TENANT = 1,
    SL_META_KIND_TOKEN = 2,
    SL_META_KIND_PIPELINE = 3
} sl_meta_kind;

/* "pipeline/" + tenant + "/" + name + NUL, the longest key. */
#define SL_META_KEY_MAX (sizeof("pipeline//") + 2 * SL_META_NAME_MAX)

/* A parsed key: a is the tenant/token id/pipeline tenant, b the pipeline name
 * ("" for the other kinds). */
typedef struct sl_meta_key {
    sl_meta_kind kind;
    char a[SL_META_NAME_MAX];
    char b[SL_META_NAME_MAX];
} sl_meta_key;

/* A decoded record; for a pipeline, u.pipeline.spec_json is owned: release
 * with sl_meta_rec_clear. */
typedef struct sl_meta_rec {
    sl_meta_kind kind;
    union {
        sl_tenant tenant;
        sl_token token;
        sl_pipeline pipeline;
    } u;
} sl_meta_rec;

/* True when s is a usable tenant or pipeline name: 1..SL_META_NAME_MAX-1
 * bytes, none of them '/' (the key separator) or a control character. */
int sl_meta_name_valid(const char *s);

/* True when s is a token id: exactly SL_TOKEN_ID_LEN lowercase hex digits. */
int sl_meta_token_id_valid(const char *s);

/* Writes the key of a record into buf[SL_META_KEY_MAX]; b is used for
 * pipelines only. Arguments must be valid names (checked by the caller). */
void sl_meta_key_format(char buf[SL_META_KEY_MAX], sl_meta_kind kind, const char *a,
                        const char *b);

/* Parses a Kafka key (not NUL-terminated). SL_ERR_INVALID when it is not
 * one of the three shapes or a part is not a valid name/id. */
int sl_meta_key_parse(const void *key, size_t len, sl_meta_key *out, sl_error *err);

/* Pack one record into a new buffer (*out, free with free()). The struct
 * must have been validated. SL_ERR_NOMEM. */
int sl_meta_encode_tenant(const sl_tenant *t, uint8_t **out, size_t *len, sl_error *err);
int sl_meta_encode_token(const sl_token *t, uint8_t **out, size_t *len, sl_error *err);
int sl_meta_encode_pipeline(const sl_pipeline *p, uint8_t **out, size_t *len, sl_error *err);

/* Unpacks and validates value into out (zeroed first). SL_ERR_INVALID when
 * it is not a MetaRecord with one valid kind; SL_ERR_NOMEM. out owns nothing
 * after a failure. */
int sl_meta_decode(const void *value, size_t len, sl_meta_rec *out, sl_error *err);

/* Frees what rec owns (the pipeline spec) and zeroes it; NULL is a no-op. */
void sl_meta_rec_clear(sl_meta_rec *rec);

/* ---- Kafka log (sl_meta_log.c) ---------------------------------------- */

typedef struct sl_meta_log sl_meta_log;

/* Called once per record while the log is replayed, in offset order; value
 * is NULL for a tombstone. Borrowed for the call. A negative return (e.g.
 * SL_ERR_NOMEM) aborts the open with that code. */
typedef int (*sl_meta_log_apply_fn)(void *opaque, int64_t offset, const void *key,
                                    size_t key_len, const void *value, size_t value_len,
                                    sl_error *err);

/* Ensures SL_META_TOPIC (compacted, 1 partition) through admin (borrowed),
 * replays partition 0 from the beginning to the high watermark into apply,
 * and returns a new log ready for writes; close with sl_meta_log_close.
 * timeout_ms bounds the whole open (<= 0: 30 s). NULL with err: SL_ERR_IO
 * for Kafka, SL_ERR_INVALID for a property librdkafka rejects, or apply's
 * code. */
sl_meta_log *sl_meta_log_open(const char *bootstrap, const sl_kafka_props *props,
                              sl_topic_admin *admin, int timeout_ms, sl_meta_log_apply_fn apply,
                              void *opaque, sl_error *err);

/* Flushes outstanding writes (up to 10 s) and frees; NULL is a no-op. */
void sl_meta_log_close(sl_meta_log *l);

/* Produces key -> value (value NULL: a tombstone) to partition 0 and waits
 * for its delivery report. SL_OK only when Kafka acknowledged the record
 * (acks=all); SL_ERR_IO with Kafka's reason otherwise. */
int sl_meta_log_write(sl_meta_log *l, const char *key, const void *value, size_t len,
                      sl_error *err);

#endif

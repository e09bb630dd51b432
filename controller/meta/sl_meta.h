/* sl_meta — the controller's catalog of tenants, tokens and pipelines, kept
 * in memory and made durable in the compacted Kafka topic __sluice_meta.
 *
 * Records are MetaRecord protobufs (proto/cluster.proto) keyed
 * "tenant/<name>", "token/<id>", "pipeline/<tenant>/<name>"; a tombstone
 * deletes. sl_meta_open reads the topic from the beginning to its end (last
 * record per key wins) before returning, so a restarted controller knows
 * everything that was acknowledged. Every change is produced with an
 * idempotent producer (acks=all) and applied to memory only after Kafka
 * acknowledged it; a change that fails leaves memory untouched.
 *
 * Tokens are "slt_<id>_<secret>" (id 12 hex digits, secret 32 random bytes as
 * 64 hex digits, RAND_bytes); only the SHA-256 of the whole token is stored.
 *
 * Not thread-safe: the controller serialises calls with its lock. Pointers
 * returned by lookups are borrowed until the next mutating call. */
#ifndef SL_META_H
#define SL_META_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/sl_kafka_conf.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_error.h"

#define SL_META_TOPIC "__sluice_meta"
#define SL_META_NAME_MAX 64
#define SL_TOKEN_ID_LEN 12
#define SL_TOKEN_TEXT_MAX 96

typedef struct sl_meta sl_meta;

typedef struct sl_tenant {
    char name[SL_META_NAME_MAX];
    uint32_t max_pipelines;
    uint32_t max_tasks;
    int64_t created_ms;
} sl_tenant;

typedef struct sl_token {
    char id[SL_TOKEN_ID_LEN + 1];
    char tenant[SL_META_NAME_MAX];
    unsigned char sha256[32];
    char description[128];
    int64_t created_ms;
} sl_token;

typedef enum sl_desired { SL_DESIRED_RUNNING = 1, SL_DESIRED_PAUSED = 2 } sl_desired;

typedef struct sl_pipeline {
    char tenant[SL_META_NAME_MAX];
    char name[SL_META_NAME_MAX];
    uint64_t version;       /* 1 on create, +1 on every change of the spec */
    char *spec_json;        /* the spec as the tenant sent it (owned) */
    sl_desired desired;
    uint32_t state_epoch;   /* 0 first; bumped when the stateful steps change */
    char state_fingerprint[65];
    int64_t created_ms;
    int64_t updated_ms;
} sl_pipeline;

/* Creates the topic (compacted, 1 partition) through admin when missing,
 * reads it to the end and returns the catalog. admin is borrowed for the
 * call; bootstrap/props are copied. NULL with err (SL_ERR_IO: Kafka). */
sl_meta *sl_meta_open(const char *bootstrap, const sl_kafka_props *props, sl_topic_admin *admin,
                      int timeout_ms, sl_error *err);

/* Flushes and frees; NULL is a no-op. */
void sl_meta_close(sl_meta *m);

/* Tenants. put: create or replace (SL_ERR_IO when Kafka refused);
 * delete also deletes the tenant's tokens (not its pipelines). */
const sl_tenant *sl_meta_tenant(const sl_meta *m, const char *name);
size_t sl_meta_tenant_count(const sl_meta *m);
const sl_tenant *sl_meta_tenant_at(const sl_meta *m, size_t i); /* sorted by name */
int sl_meta_put_tenant(sl_meta *m, const sl_tenant *t, sl_error *err);
int sl_meta_delete_tenant(sl_meta *m, const char *name, sl_error *err);

/* Tokens. create makes a new random token for tenant, stores its hash and
 * copies the plain text (shown once) into text[SL_TOKEN_TEXT_MAX]; *out gets
 * the stored record (borrowed). */
int sl_meta_create_token(sl_meta *m, const char *tenant, const char *description,
                         char *text, const sl_token **out, sl_error *err);
int sl_meta_revoke_token(sl_meta *m, const char *id, sl_error *err);
const sl_token *sl_meta_token(const sl_meta *m, const char *id);
size_t sl_meta_token_count(const sl_meta *m);
const sl_token *sl_meta_token_at(const sl_meta *m, size_t i); /* sorted by tenant, id */
/* The token whose hash matches text (constant-time compare), or NULL. */
const sl_token *sl_meta_authenticate(const sl_meta *m, const char *text);

/* SHA-256 of text into out (for the admin and worker tokens too). */
void sl_meta_hash_token(const char *text, unsigned char out[32]);

/* Pipelines. put stores p (copied, spec_json included). */
const sl_pipeline *sl_meta_pipeline(const sl_meta *m, const char *tenant, const char *name);
size_t sl_meta_pipeline_count(const sl_meta *m);
const sl_pipeline *sl_meta_pipeline_at(const sl_meta *m, size_t i); /* sorted by tenant, name */
int sl_meta_put_pipeline(sl_meta *m, const sl_pipeline *p, sl_error *err);
int sl_meta_delete_pipeline(sl_meta *m, const char *tenant, const char *name, sl_error *err);

#endif

/* sl_meta — the controller's catalog in memory, backed by the Kafka log of
 * sl_meta_log.c (see sl_meta.h for the contract).
 *
 * Three sorted arrays hold the entries: tenants by name, tokens by (tenant,
 * id), pipelines by (tenant, name); the *_at accessors index them directly.
 * They are small (a catalog has tens to thousands of entries), so lookups by
 * token id scan, and an insert moves the tail with memmove.
 *
 * Every mutation follows the same order, which is what lets a failure leave
 * memory untouched: (1) validate and copy the input, (2) do everything that
 * can fail locally (grow the array, copy strings, encode), (3) write the
 * record and wait for Kafka's acknowledgement, (4) apply it to memory, which
 * can no longer fail. The replay at open applies records with the same
 * store/forget functions, so a restarted controller builds exactly the state
 * its predecessor acknowledged.
 *
 * Tokens: only SHA-256 of the whole token text is kept, and authentication
 * compares the hash against every token in constant time per comparison
 * without stopping at a match. The text itself is never logged or stored. */
#include "meta/sl_meta.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta/sl_meta_internal.h"
#include "util/sl_clock.h"
#include "util/sl_hex.h"
#include "util/sl_log.h"

#define TOKEN_SECRET_BYTES 32
#define TOKEN_ID_BYTES (SL_TOKEN_ID_LEN / 2)

struct sl_meta {
    sl_meta_log *log;
    sl_tenant *tenants; /* sorted by name */
    size_t ntenants, tenants_cap;
    sl_token *tokens; /* sorted by tenant, id */
    size_t ntokens, tokens_cap;
    sl_pipeline *pipelines; /* sorted by tenant, name; spec_json owned */
    size_t npipelines, pipelines_cap;
};

/* ---- sorted arrays ----------------------------------------------------- */

/* The key of a lookup: name (tenant), tenant + id (token), tenant + name
 * (pipeline). */
typedef struct pair {
    const char *a;
    const char *b;
} pair;

static int cmp_tenant(const void *key, const void *elem)
{
    return strcmp(((const pair *)key)->a, ((const sl_tenant *)elem)->name);
}

static int cmp_token(const void *key, const void *elem)
{
    const pair *k = key;
    const sl_token *t = elem;
    int c = strcmp(k->a, t->tenant);
    return c ? c : strcmp(k->b, t->id);
}

static int cmp_pipeline(const void *key, const void *elem)
{
    const pair *k = key;
    const sl_pipeline *p = elem;
    int c = strcmp(k->a, p->tenant);
    return c ? c : strcmp(k->b, p->name);
}

/* Binary search: *at receives the position of key or where it would go.
 * Returns 1 when found. */
static int sorted_find(const void *base, size_t n, size_t size, const pair *key,
                       int (*cmp)(const void *, const void *), size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(key, (const char *)base + mid * size) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return lo < n && cmp(key, (const char *)base + lo * size) == 0;
}

/* Makes room for need elements. SL_ERR_NOMEM leaves the array as it was. */
static int reserve(void **base, size_t *cap, size_t need, size_t size, sl_error *err)
{
    if (need <= *cap)
        return SL_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*base, ncap * size);
    if (!p)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    *base = p;
    *cap = ncap;
    return SL_OK;
}

/* Inserts elem at position at; the caller reserved room for one more. */
static void array_insert(void *base, size_t *n, size_t size, size_t at, const void *elem)
{
    char *b = base;
    memmove(b + (at + 1) * size, b + at * size, (*n - at) * size);
    memcpy(b + at * size, elem, size);
    (*n)++;
}

static void array_remove(void *base, size_t *n, size_t size, size_t at)
{
    char *b = base;
    memmove(b + at * size, b + (at + 1) * size, (*n - at - 1) * size);
    (*n)--;
}

#define RESERVE(m, arr, n, cap, err) \
    reserve((void **)&(m)->arr, &(m)->cap, (m)->n + 1, sizeof(*(m)->arr), err)

/* ---- store / forget: the only code that changes the arrays --------------- */

static int token_find_id(const sl_meta *m, const char *id, size_t *at)
{
    for (size_t i = 0; i < m->ntokens; i++)
        if (strcmp(m->tokens[i].id, id) == 0) {
            *at = i;
            return 1;
        }
    return 0;
}

static int store_tenant(sl_meta *m, const sl_tenant *t, sl_error *err)
{
    size_t at;
    pair k = {t->name, NULL};
    if (sorted_find(m->tenants, m->ntenants, sizeof(*m->tenants), &k, cmp_tenant, &at)) {
        m->tenants[at] = *t;
        return SL_OK;
    }
    if (RESERVE(m, tenants, ntenants, tenants_cap, err))
        return SL_ERR_NOMEM;
    array_insert(m->tenants, &m->ntenants, sizeof(*m->tenants), at, t);
    return SL_OK;
}

static void forget_tenant(sl_meta *m, const char *name)
{
    size_t at;
    pair k = {name, NULL};
    if (sorted_find(m->tenants, m->ntenants, sizeof(*m->tenants), &k, cmp_tenant, &at))
        array_remove(m->tenants, &m->ntenants, sizeof(*m->tenants), at);
}

static void forget_token(sl_meta *m, const char *id)
{
    size_t at;
    if (token_find_id(m, id, &at))
        array_remove(m->tokens, &m->ntokens, sizeof(*m->tokens), at);
}

/* Stores t (replacing the token with its id); *pos gets its index. */
static int store_token(sl_meta *m, const sl_token *t, size_t *pos, sl_error *err)
{
    size_t at;
    if (RESERVE(m, tokens, ntokens, tokens_cap, err))
        return SL_ERR_NOMEM;
    forget_token(m, t->id); /* its tenant, hence its place, may differ */
    pair k = {t->tenant, t->id};
    sorted_find(m->tokens, m->ntokens, sizeof(*m->tokens), &k, cmp_token, &at);
    array_insert(m->tokens, &m->ntokens, sizeof(*m->tokens), at, t);
    if (pos)
        *pos = at;
    return SL_OK;
}

/* Stores p; takes p->spec_json on success (the caller keeps it on failure). */
static int store_pipeline(sl_meta *m, const sl_pipeline *p, sl_error *err)
{
    size_t at;
    pair k = {p->tenant, p->name};
    if (sorted_find(m->pipelines, m->npipelines, sizeof(*m->pipelines), &k, cmp_pipeline, &at)) {
        free(m->pipelines[at].spec_json);
        m->pipelines[at] = *p;
        return SL_OK;
    }
    if (RESERVE(m, pipelines, npipelines, pipelines_cap, err))
        return SL_ERR_NOMEM;
    array_insert(m->pipelines, &m->npipelines, sizeof(*m->pipelines), at, p);
    return SL_OK;
}

static void forget_pipeline(sl_meta *m, const char *tenant, const char *name)
{
    size_t at;
    pair k = {tenant, name};
    if (sorted_find(m->pipelines, m->npipelines, sizeof(*m->pipelines), &k, cmp_pipeline, &at)) {
        free(m->pipelines[at].spec_json);
        array_remove(m->pipelines, &m->npipelines, sizeof(*m->pipelines), at);
    }
}

/* ---- replay ------------------------------------------------------------ */

/* A key as it may be shown in a log line: printable ASCII, cut at 80. */
static const char *key_shown(const void *key, size_t len, char buf[81])
{
    size_t n = len < 80 ? len : 80;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = ((const unsigned char *)key)[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[n] = '\0';
    return buf;
}

/* True when the decoded record is the one its key names. */
static int rec_matches_key(const sl_meta_rec *r, const sl_meta_key *k)
{
    if (r->kind != k->kind)
        return 0;
    switch (r->kind) {
    case SL_META_KIND_TENANT: return strcmp(r->u.tenant.name, k->a) == 0;
    case SL_META_KIND_TOKEN: return strcmp(r->u.token.id, k->a) == 0;
    case SL_META_KIND_PIPELINE:
        return strcmp(r->u.pipeline.tenant, k->a) == 0 && strcmp(r->u.pipeline.name, k->b) == 0;
    }
    return 0;
}

/* sl_meta_log_apply_fn: one record of the log, in order. A record that
 * cannot be understood is skipped with a warning: one bad record must not
 * keep the controller (and every tenant) from starting. */
static int replay_apply(void *opaque, int64_t offset, const void *key, size_t key_len,
                        const void *value, size_t value_len, sl_error *err)
{
    sl_meta *m = opaque;
    sl_meta_key k;
    sl_meta_rec rec;
    sl_error e;
    char shown[81];
    if (sl_meta_key_parse(key, key_len, &k, &e) != SL_OK) {
        sl_log_warn("meta", "%s offset %lld: skipping record with key \"%s\": %s", SL_META_TOPIC,
                    (long long)offset, key_shown(key, key_len, shown), e.msg);
        return SL_OK;
    }
    if (!value) {
        switch (k.kind) {
        case SL_META_KIND_TENANT: forget_tenant(m, k.a); break;
        case SL_META_KIND_TOKEN: forget_token(m, k.a); break;
        case SL_META_KIND_PIPELINE: forget_pipeline(m, k.a, k.b); break;
        }
        return SL_OK;
    }
    int rc = sl_meta_decode(value, value_len, &rec, &e);
    if (rc == SL_OK && !rec_matches_key(&rec, &k))
        rc = sl_error_set(&e, SL_ERR_INVALID, "the record's content does not match its key");
    if (rc == SL_ERR_INVALID) {
        sl_log_warn("meta", "%s offset %lld: skipping record \"%s\": %s", SL_META_TOPIC,
                    (long long)offset, key_shown(key, key_len, shown), e.msg);
        sl_meta_rec_clear(&rec);
        return SL_OK;
    }
    if (rc == SL_OK) {
        switch (rec.kind) {
        case SL_META_KIND_TENANT: rc = store_tenant(m, &rec.u.tenant, &e); break;
        case SL_META_KIND_TOKEN: rc = store_token(m, &rec.u.token, NULL, &e); break;
        case SL_META_KIND_PIPELINE:
            rc = store_pipeline(m, &rec.u.pipeline, &e);
            if (rc == SL_OK)
                rec.u.pipeline.spec_json = NULL; /* now the catalog's */
            break;
        }
    }
    sl_meta_rec_clear(&rec);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "%s offset %lld: %s", SL_META_TOPIC, (long long)offset,
                            e.msg);
    return SL_OK;
}

/* ---- open / close ------------------------------------------------------ */

sl_meta *sl_meta_open(const char *bootstrap, const sl_kafka_props *props, sl_topic_admin *admin,
                      int timeout_ms, sl_error *err)
{
    sl_meta *m = calloc(1, sizeof(*m));
    if (!m) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    m->log = sl_meta_log_open(bootstrap, props, admin, timeout_ms, replay_apply, m, err);
    if (!m->log)
        goto fail;
    sl_log_info("meta", "catalog loaded: %zu tenants, %zu tokens, %zu pipelines", m->ntenants,
                m->ntokens, m->npipelines);
    return m;
fail:
    sl_meta_close(m);
    return NULL;
}

void sl_meta_close(sl_meta *m)
{
    if (!m)
        return;
    sl_meta_log_close(m->log);
    for (size_t i = 0; i < m->npipelines; i++)
        free(m->pipelines[i].spec_json);
    free(m->pipelines);
    /* token hashes are not secrets, but there is no reason to leave them */
    if (m->tokens)
        OPENSSL_cleanse(m->tokens, m->tokens_cap * sizeof(*m->tokens));
    free(m->tokens);
    free(m->tenants);
    free(m);
}

/* Writes a tombstone for the entry named by kind/a/b. */
static int write_tombstone(sl_meta *m, sl_meta_kind kind, const char *a, const char *b,
                           sl_error *err)
{
    char key[SL_META_KEY_MAX];
    sl_meta_key_format(key, kind, a, b);
    return sl_meta_log_write(m->log, key, NULL, 0, err);
}

/* Copies a name argument into buf, refusing what could never be stored. */
static int name_arg(char buf[SL_META_NAME_MAX], const char *name)
{
    if (!sl_meta_name_valid(name))
        return -1;
    snprintf(buf, SL_META_NAME_MAX, "%s", name);
    return 0;
}

/* ---- tenants ----------------------------------------------------------- */

const sl_tenant *sl_meta_tenant(const sl_meta *m, const char *name)
{
    size_t at;
    if (!m || !name)
        return NULL;
    pair k = {name, NULL};
    return sorted_find(m->tenants, m->ntenants, sizeof(*m->tenants), &k, cmp_tenant, &at)
               ? &m->tenants[at]
               : NULL;
}

size_t sl_meta_tenant_count(const sl_meta *m)
{
    return m ? m->ntenants : 0;
}

const sl_tenant *sl_meta_tenant_at(const sl_meta *m, size_t i)
{
    return m && i < m->ntenants ? &m->tenants[i] : NULL;
}

int sl_meta_put_tenant(sl_meta *m, const sl_tenant *t, sl_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char key[SL_META_KEY_MAX];
    if (!m || !t || !sl_meta_name_valid(t->name))
        return sl_error_set(err, SL_ERR_INVALID, "invalid tenant name");
    sl_tenant copy = *t; /* t may point into the array that is about to grow */
    int rc = RESERVE(m, tenants, ntenants, tenants_cap, err);
    if (rc == SL_OK)
        rc = sl_meta_encode_tenant(&copy, &buf, &len, err);
    if (rc != SL_OK)
        return rc;
    sl_meta_key_format(key, SL_META_KIND_TENANT, copy.name, NULL);
    rc = sl_meta_log_write(m->log, key, buf, len, err);
    free(buf);
    if (rc == SL_OK)
        store_tenant(m, &copy, err); /* room was reserved: cannot fail */
    return rc;
}

int sl_meta_delete_tenant(sl_meta *m, const char *name, sl_error *err)
{
    char tenant[SL_META_NAME_MAX];
    size_t at;
    if (!m || name_arg(tenant, name))
        return sl_error_set(err, SL_ERR_INVALID, "invalid tenant name");
    if (!sl_meta_tenant(m, tenant))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "tenant %s does not exist", tenant);
    /* Tokens first: if a write fails half-way, what remains is a tenant with
     * fewer tokens (delete again), never a token whose tenant is gone. */
    for (;;) {
        pair k = {tenant, ""}; /* sorts before every id of the tenant */
        sorted_find(m->tokens, m->ntokens, sizeof(*m->tokens), &k, cmp_token, &at);
        if (at >= m->ntokens || strcmp(m->tokens[at].tenant, tenant) != 0)
            break;
        int rc = write_tombstone(m, SL_META_KIND_TOKEN, m->tokens[at].id, NULL, err);
        if (rc != SL_OK)
            return rc;
        array_remove(m->tokens, &m->ntokens, sizeof(*m->tokens), at);
    }
    int rc = write_tombstone(m, SL_META_KIND_TENANT, tenant, NULL, err);
    if (rc == SL_OK)
        forget_tenant(m, tenant);
    return rc;
}

/* ---- tokens ------------------------------------------------------------ */

void sl_meta_hash_token(const char *text, unsigned char out[32])
{
    unsigned int n = 0;
    if (!EVP_Digest(text ? text : "", text ? strlen(text) : 0, out, &n, EVP_sha256(), NULL))
        memset(out, 0, 32); /* only on allocation failure; matches no token */
}

/* A fresh random id no token has yet. */
static int new_token_id(const sl_meta *m, char id[SL_TOKEN_ID_LEN + 1], sl_error *err)
{
    unsigned char raw[TOKEN_ID_BYTES];
    size_t at;
    for (int attempt = 0; attempt < 16; attempt++) {
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return sl_error_set(err, SL_ERR_IO, "the random generator failed");
        sl_hex_encode(raw, sizeof(raw), id);
        if (!token_find_id(m, id, &at))
            return SL_OK;
    }
    return sl_error_set(err, SL_ERR_STATE, "no unused token id found");
}

int sl_meta_create_token(sl_meta *m, const char *tenant, const char *description, char *text,
                         const sl_token **out, sl_error *err)
{
    unsigned char secret[TOKEN_SECRET_BYTES];
    char secret_hex[2 * TOKEN_SECRET_BYTES + 1];
    char plain[SL_TOKEN_TEXT_MAX];
    char key[SL_META_KEY_MAX];
    uint8_t *buf = NULL;
    size_t len = 0, pos = 0;
    sl_token t;
    int rc;
    memset(&t, 0, sizeof(t));
    if (text)
        text[0] = '\0';
    if (out)
        *out = NULL;
    if (!m || !text)
        return sl_error_set(err, SL_ERR_INVALID, "sl_meta_create_token: no catalog or buffer");
    if (name_arg(t.tenant, tenant))
        return sl_error_set(err, SL_ERR_INVALID, "invalid tenant name");
    if (!sl_meta_tenant(m, t.tenant))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "tenant %s does not exist", t.tenant);
    if (description && strlen(description) >= sizeof(t.description))
        return sl_error_set(err, SL_ERR_INVALID, "token description longer than %zu bytes",
                            sizeof(t.description) - 1);
    snprintf(t.description, sizeof(t.description), "%s", description ? description : "");
    if ((rc = RESERVE(m, tokens, ntokens, tokens_cap, err)) != SL_OK ||
        (rc = new_token_id(m, t.id, err)) != SL_OK)
        goto out;
    if (RAND_bytes(secret, sizeof(secret)) != 1) {
        rc = sl_error_set(err, SL_ERR_IO, "the random generator failed");
        goto out;
    }
    sl_hex_encode(secret, sizeof(secret), secret_hex);
    snprintf(plain, sizeof(plain), "slt_%s_%s", t.id, secret_hex);
    sl_meta_hash_token(plain, t.sha256);
    t.created_ms = sl_clock_wall_ms();
    if ((rc = sl_meta_encode_token(&t, &buf, &len, err)) != SL_OK)
        goto out;
    sl_meta_key_format(key, SL_META_KIND_TOKEN, t.id, NULL);
    if ((rc = sl_meta_log_write(m->log, key, buf, len, err)) != SL_OK)
        goto out;
    store_token(m, &t, &pos, err); /* room was reserved: cannot fail */
    memcpy(text, plain, strlen(plain) + 1);
    if (out)
        *out = &m->tokens[pos];
out:
    free(buf);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(secret_hex, sizeof(secret_hex));
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}

int sl_meta_revoke_token(sl_meta *m, const char *id, sl_error *err)
{
    char copy[SL_TOKEN_ID_LEN + 1];
    size_t at;
    if (!m || !sl_meta_token_id_valid(id))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "no such token");
    memcpy(copy, id, sizeof(copy)); /* id may point into the array */
    if (!token_find_id(m, copy, &at))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "token %s does not exist", copy);
    int rc = write_tombstone(m, SL_META_KIND_TOKEN, copy, NULL, err);
    if (rc == SL_OK)
        forget_token(m, copy);
    return rc;
}

const sl_token *sl_meta_token(const sl_meta *m, const char *id)
{
    size_t at;
    return m && id && token_find_id(m, id, &at) ? &m->tokens[at] : NULL;
}

size_t sl_meta_token_count(const sl_meta *m)
{
    return m ? m->ntokens : 0;
}

const sl_token *sl_meta_token_at(const sl_meta *m, size_t i)
{
    return m && i < m->ntokens ? &m->tokens[i] : NULL;
}

const sl_token *sl_meta_authenticate(const sl_meta *m, const char *text)
{
    unsigned char h[32];
    const sl_token *hit = NULL;
    if (!m || !text || !*text)
        return NULL;
    sl_meta_hash_token(text, h);
    /* No early exit: the time taken says nothing about which token, if
     * any, matched. */
    for (size_t i = 0; i < m->ntokens; i++)
        if (CRYPTO_memcmp(h, m->tokens[i].sha256, sizeof(h)) == 0)
            hit = &m->tokens[i];
    OPENSSL_cleanse(h, sizeof(h));
    return hit;
}

/* ---- pipelines --------------------------------------------------------- */

const sl_pipeline *sl_meta_pipeline(const sl_meta *m, const char *tenant, const char *name)
{
    size_t at;
    if (!m || !tenant || !name)
        return NULL;
    pair k = {tenant, name};
    return sorted_find(m->pipelines, m->npipelines, sizeof(*m->pipelines), &k, cmp_pipeline, &at)
               ? &m->pipelines[at]
               : NULL;
}

size_t sl_meta_pipeline_count(const sl_meta *m)
{
    return m ? m->npipelines : 0;
}

const sl_pipeline *sl_meta_pipeline_at(const sl_meta *m, size_t i)
{
    return m && i < m->npipelines ? &m->pipelines[i] : NULL;
}

int sl_meta_put_pipeline(sl_meta *m, const sl_pipeline *p, sl_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char key[SL_META_KEY_MAX];
    if (!m || !p || !sl_meta_name_valid(p->tenant) || !sl_meta_name_valid(p->name))
        return sl_error_set(err, SL_ERR_INVALID, "invalid pipeline tenant or name");
    if (!p->spec_json)
        return sl_error_set(err, SL_ERR_INVALID, "pipeline %s/%s has no spec", p->tenant,
                            p->name);
    if (p->desired != SL_DESIRED_RUNNING && p->desired != SL_DESIRED_PAUSED)
        return sl_error_set(err, SL_ERR_INVALID, "pipeline %s/%s: invalid desired state %d",
                            p->tenant, p->name, (int)p->desired);
    if (!memchr(p->state_fingerprint, '\0', sizeof(p->state_fingerprint)))
        return sl_error_set(err, SL_ERR_INVALID, "pipeline %s/%s: fingerprint not terminated",
                            p->tenant, p->name);
    /* p (and its spec) may belong to the catalog itself: copy both before
     * the array moves or the old spec is freed. */
    sl_pipeline copy = *p;
    copy.spec_json = strdup(p->spec_json);
    if (!copy.spec_json)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    int rc = RESERVE(m, pipelines, npipelines, pipelines_cap, err);
    if (rc == SL_OK)
        rc = sl_meta_encode_pipeline(&copy, &buf, &len, err);
    if (rc == SL_OK) {
        sl_meta_key_format(key, SL_META_KIND_PIPELINE, copy.tenant, copy.name);
        rc = sl_meta_log_write(m->log, key, buf, len, err);
    }
    free(buf);
    if (rc == SL_OK)
        rc = store_pipeline(m, &copy, err); /* room was reserved: cannot fail */
    if (rc != SL_OK)
        free(copy.spec_json);
    return rc;
}

int sl_meta_delete_pipeline(sl_meta *m, const char *tenant, const char *name, sl_error *err)
{
    char t[SL_META_NAME_MAX], n[SL_META_NAME_MAX];
    if (!m || name_arg(t, tenant) || name_arg(n, name))
        return sl_error_set(err, SL_ERR_INVALID, "invalid pipeline tenant or name");
    if (!sl_meta_pipeline(m, t, n))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "pipeline %s/%s does not exist", t, n);
    int rc = write_tombstone(m, SL_META_KIND_PIPELINE, t, n, err);
    if (rc == SL_OK)
        forget_pipeline(m, t, n);
    return rc;
}

/* sl_api_auth — who is calling, and how often.
 *
 * Authentication: "Authorization: Bearer <token>". The admin and worker
 * tokens are known only by their SHA-256 (cfg.admin_hash, cfg.worker_hash)
 * and compared in constant time; tenant tokens ("slt_<id>_<secret>") are
 * looked up in the catalog (sl_meta_authenticate, constant-time too). The
 * token text lives in a stack buffer that is wiped before returning and is
 * never logged or echoed.
 *
 * Rate limiting: one token bucket per token (tenant tokens by id, the admin
 * and worker tokens by kind) refilled at cfg.rate_limit_per_s with room for
 * twice that. The buckets sit in one fixed table in one heap block
 * (c->ratelimit); when it is full the bucket idle longest is reused — it
 * would have refilled to full by then anyway unless thousands of tokens are
 * busy at once, and then the limit is merely looser for a moment. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "api/sl_api_internal.h"

#define TOKEN_TEXT_MAX 512
#define RL_SLOTS 1024

typedef struct rl_bucket {
    char key[SL_TOKEN_ID_LEN + 8]; /* "" = free slot */
    double tokens;
    int64_t last_ms;
} rl_bucket;

typedef struct api_ratelimit {
    rl_bucket slots[RL_SLOTS];
} api_ratelimit;

/* Copies the token of a "Bearer <token>" header value into out. -1 when the
 * header is not of that form (scheme case-insensitive, token of visible
 * ASCII, no spaces inside). */
static int bearer_token(const char *h, char *out, size_t size)
{
    while (*h == ' ' || *h == '\t')
        h++;
    if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return -1;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t len = strlen(h);
    while (len && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= size)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)h[i] <= 0x20 || (unsigned char)h[i] >= 0x7f)
            return -1;
    memcpy(out, h, len);
    out[len] = '\0';
    return 0;
}

int api_auth_principal(sl_controller *c, const sl_http_request *req, api_principal *who,
                       const char **why)
{
    char token[TOKEN_TEXT_MAX];
    unsigned char hash[32];
    memset(who, 0, sizeof(*who));
    const char *h = sl_http_request_header(req, "Authorization");
    if (!h) {
        *why = "missing Authorization header (want 'Authorization: Bearer <token>')";
        return SL_ERR_INVALID;
    }
    if (bearer_token(h, token, sizeof(token)) != 0) {
        *why = "malformed Authorization header (want 'Bearer <token>')";
        return SL_ERR_INVALID;
    }
    sl_meta_hash_token(token, hash);
    /* Both compared every time, so timing says nothing about which failed. */
    int admin = c->cfg.have_admin && CRYPTO_memcmp(hash, c->cfg.admin_hash, 32) == 0;
    int worker = c->cfg.have_worker && CRYPTO_memcmp(hash, c->cfg.worker_hash, 32) == 0;
    int rc = SL_OK;
    if (admin) {
        who->kind = API_ADMIN;
    } else if (worker) {
        who->kind = API_WORKER;
    } else {
        const sl_token *t = strncmp(token, "slt_", 4) == 0 ? sl_meta_authenticate(c->meta, token)
                                                           : NULL;
        if (t) {
            who->kind = API_TENANT;
            snprintf(who->tenant, sizeof(who->tenant), "%s", t->tenant);
            snprintf(who->token_id, sizeof(who->token_id), "%s", t->id);
        } else {
            *why = "unknown or revoked token";
            rc = SL_ERR_NOT_FOUND;
        }
    }
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(hash, sizeof(hash));
    return rc;
}

int api_ratelimit_create(sl_controller *c)
{
    if (c->ratelimit)
        return SL_OK;
    c->ratelimit = calloc(1, sizeof(api_ratelimit));
    return c->ratelimit ? SL_OK : SL_ERR_NOMEM;
}

/* The bucket of key, or a fresh full one in a free or the idlest slot. */
static rl_bucket *bucket_for(api_ratelimit *rl, const char *key, double burst, int64_t now_ms)
{
    rl_bucket *idlest = NULL;
    for (size_t i = 0; i < RL_SLOTS; i++) {
        rl_bucket *b = &rl->slots[i];
        if (b->key[0] && strcmp(b->key, key) == 0)
            return b;
        if (!idlest || (!b->key[0] && idlest->key[0]) ||
            (!!b->key[0] == !!idlest->key[0] && b->last_ms < idlest->last_ms))
            idlest = b;
    }
    snprintf(idlest->key, sizeof(idlest->key), "%s", key);
    idlest->tokens = burst;
    idlest->last_ms = now_ms;
    return idlest;
}

int api_ratelimit_take(sl_controller *c, const api_principal *who, int64_t now_ms,
                       int *retry_after_s)
{
    api_ratelimit *rl = c->ratelimit;
    double rate = c->cfg.rate_limit_per_s;
    if (!rl || rate <= 0)
        return 1;
    const char *key = who->kind == API_ADMIN    ? "admin"
                      : who->kind == API_WORKER ? "worker"
                                                : who->token_id;
    double burst = 2 * rate;
    rl_bucket *b = bucket_for(rl, key, burst, now_ms);
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 1;
    }
    double wait = ceil((1.0 - b->tokens) / rate);
    *retry_after_s = wait < 1 ? 1 : (int)wait;
    return 0;
}

/* sl_state_scan — ordered iteration over one namespace of a task's state.
 *
 * What a scan must show is "RocksDB as it would be after the next
 * checkpoint": committed entries overlaid with the pending changes (dirty
 * cache entries), pending winning, deletions hidden, in RocksDB's bytewise
 * key order. Clean cache entries mirror RocksDB and need no attention.
 *
 * So a scan copies the namespace's pending changes into one block, sorts them,
 * and merges them with a RocksDB iterator over the namespace prefix. Both
 * sides are private snapshots (the copy, and the iterator's implicit RocksDB
 * snapshot), so the callback may put/delete/commit freely — e.g. an operator
 * deleting expired windows while it scans — and the scan still shows the
 * state as it was when it started.
 *
 * @locality: the task's thread. */
#include <stdlib.h>
#include <string.h>

#include "engine/sl_state_internal.h"

typedef struct pending {
    const unsigned char *key; /* without the ns prefix */
    size_t key_len;
    const char *val; /* NULL: deleted */
    size_t val_len;
} pending;

static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int pending_cmp(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* Copies the pending changes of ns into one block (*blockp, free it) and a
 * sorted array (*outp, free it). */
static int collect_pending(sl_state *s, const unsigned char *prefix, pending **outp, size_t *np,
                           char **blockp)
{
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < s->ndirty; i++) {
        const sl_state_entry *e = s->dirty[i];
        if (memcmp(e->key, prefix, SL_STATE_NS_BYTES) != 0)
            continue;
        n++;
        bytes += e->klen + (e->present ? e->vlen : 0);
    }
    *outp = NULL;
    *np = 0;
    *blockp = NULL;
    if (n == 0)
        return 0;
    pending *p = malloc(n * sizeof(*p));
    char *block = malloc(bytes ? bytes : 1);
    if (!p || !block) {
        free(p);
        free(block);
        return -1;
    }
    size_t k = 0;
    char *w = block;
    for (size_t i = 0; i < s->ndirty; i++) {
        const sl_state_entry *e = s->dirty[i];
        if (memcmp(e->key, prefix, SL_STATE_NS_BYTES) != 0)
            continue;
        size_t kl = e->klen - SL_STATE_NS_BYTES;
        memcpy(w, e->key + SL_STATE_NS_BYTES, kl);
        p[k].key = (const unsigned char *)w;
        p[k].key_len = kl;
        w += kl;
        if (e->present) {
            memcpy(w, e->val, e->vlen);
            p[k].val = w;
            p[k].val_len = e->vlen;
            w += e->vlen;
        } else {
            p[k].val = NULL;
            p[k].val_len = 0;
        }
        k++;
    }
    qsort(p, n, sizeof(*p), pending_cmp);
    *outp = p;
    *np = n;
    *blockp = block;
    return 0;
}

int sl_state_scan(sl_state *s, uint32_t ns, sl_state_scan_fn fn, void *ud, sl_error *err)
{
    unsigned char prefix[SL_STATE_NS_BYTES] = {(unsigned char)(ns >> 24),
                                               (unsigned char)(ns >> 16),
                                               (unsigned char)(ns >> 8), (unsigned char)ns};
    pending *pend = NULL;
    size_t npend = 0, pi = 0;
    char *block = NULL;
    int rc = 0;
    if (collect_pending(s, prefix, &pend, &npend, &block) != 0)
        return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");

    rocksdb_iterator_t *it = rocksdb_create_iterator(s->db, s->ropts);
    if (!it) {
        rc = sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
        goto out;
    }
    rocksdb_iter_seek(it, (const char *)prefix, sizeof(prefix));
    for (;;) {
        const char *dk = NULL;
        size_t dklen = 0;
        int have_db = 0;
        if (rocksdb_iter_valid(it)) {
            dk = rocksdb_iter_key(it, &dklen);
            have_db = dklen >= SL_STATE_NS_BYTES && memcmp(dk, prefix, SL_STATE_NS_BYTES) == 0;
        }
        if (!have_db && pi == npend)
            break;
        int c;
        if (!have_db)
            c = 1; /* only pending left */
        else if (pi == npend)
            c = -1;
        else
            c = key_cmp(dk + SL_STATE_NS_BYTES, dklen - SL_STATE_NS_BYTES, pend[pi].key,
                        pend[pi].key_len);
        if (c < 0) {
            size_t vl = 0;
            const char *v = rocksdb_iter_value(it, &vl);
            rc = fn(ud, dk + SL_STATE_NS_BYTES, dklen - SL_STATE_NS_BYTES, v, vl);
            rocksdb_iter_next(it);
        } else {
            if (pend[pi].val)
                rc = fn(ud, pend[pi].key, pend[pi].key_len, pend[pi].val, pend[pi].val_len);
            pi++;
            if (c == 0)
                rocksdb_iter_next(it); /* pending wins over committed */
        }
        if (rc != 0)
            goto out;
    }
    char *errptr = NULL;
    rocksdb_iter_get_error(it, &errptr);
    if (errptr) {
        rc = sl_error_set(err, SL_ERR_IO, "state %s: scan: %s", s->dir, errptr);
        rocksdb_free(errptr);
    }
out:
    if (it)
        rocksdb_iter_destroy(it);
    free(pend);
    free(block);
    return rc;
}

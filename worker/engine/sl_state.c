/* sl_state — the task state store: RocksDB behind a write-back cache.
 *
 * The per-message path of a stateful operator is get → compute → put on a
 * handful of keys. Going to RocksDB for each would cost a memtable/SST lookup
 * and a WriteBatch entry per message; instead every (ns, key) touched lives in
 * a hash map of entries holding the value bytes. A put only replaces the
 * entry's bytes and marks it dirty; the dirty entries ARE the change list of
 * the checkpoint (sl_state_changes), and sl_state_checkpoint_commit writes
 * them, plus the input and changelog offsets they reflect, in one synced
 * RocksDB write batch. Dirty entries are never evicted (they are not in
 * RocksDB yet); clean entries (RocksDB mirrors, including cached absences)
 * are evicted least-recently-used first once the map passes max_entries, but
 * only inside put/delete/checkpoint/restore — never inside get, because the
 * contract keeps a value returned by get valid until the next
 * put/delete/checkpoint.
 *
 * Restore writes changelog records straight into a RocksDB write batch
 * (flushed every few MiB with the WAL but without fsync), dropping any cached
 * copy; sl_state_restore_done writes the last part with the offsets and
 * fsyncs, which also makes the earlier unsynced parts durable (one WAL). A
 * crash in the middle leaves the old offsets, so the restore runs again from
 * them; re-applying a changelog record is idempotent.
 *
 * Layout of keys and metadata: see sl_state_internal.h. Scans: sl_state_scan.c.
 *
 * @locality: the task's thread. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/sl_state_internal.h"

#define DEFAULT_BLOCK_CACHE (32u << 20)
#define DEFAULT_WRITE_BUFFER (16u << 20)
#define DEFAULT_CACHE_ENTRIES 100000u
#define RESTORE_FLUSH_BYTES (4u << 20)
#define RESTORE_FLUSH_RECORDS 50000

/* Metadata keys: shorter than SL_STATE_NS_BYTES, hence in no namespace. */
static const char META_INPUT[] = "\xff\xffi";
static const char META_CHANGELOG[] = "\xff\xff" "c";
#define META_KEY_LEN 3

/* ---- small helpers ---------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* FNV-1a, 64-bit: keys are short (ns + message key + window start). */
static uint64_t key_hash(const unsigned char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= k[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Turns a RocksDB errptr into err (and frees it). */
static int rocks_fail(sl_state *s, char *errptr, const char *what, sl_error *err)
{
    int rc = sl_error_set(err, SL_ERR_IO, "state %s: %s: %s", s && s->dir ? s->dir : "?", what,
                          errptr ? errptr : "unknown error");
    rocksdb_free(errptr);
    return rc;
}

long sl_state_key_scratch(sl_state *s, uint32_t ns, const void *key, size_t key_len)
{
    size_t need = SL_STATE_NS_BYTES + key_len;
    if (need > UINT32_MAX)
        return -1;
    if (need > s->kbuf_cap) {
        size_t cap = s->kbuf_cap ? s->kbuf_cap : 64;
        while (cap < need)
            cap *= 2;
        unsigned char *nb = realloc(s->kbuf, cap);
        if (!nb)
            return -1;
        s->kbuf = nb;
        s->kbuf_cap = cap;
    }
    put_be32(s->kbuf, ns);
    if (key_len)
        memcpy(s->kbuf + SL_STATE_NS_BYTES, key, key_len);
    return (long)need;
}

/* ---- the cache: hash map + LRU of clean entries ------------------------ */

static void lru_unlink(sl_state *s, sl_state_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        s->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        s->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(sl_state *s, sl_state_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = s->lru_head;
    if (s->lru_head)
        s->lru_head->lru_prev = e;
    s->lru_head = e;
    if (!s->lru_tail)
        s->lru_tail = e;
}

static sl_state_entry *cache_find(sl_state *s, const unsigned char *k, size_t klen, uint64_t h)
{
    for (sl_state_entry *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == klen && memcmp(e->key, k, klen) == 0)
            return e;
    return NULL;
}

static int cache_grow(sl_state *s)
{
    size_t nb = s->nbuckets * 2;
    sl_state_entry **b = calloc(nb, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < s->nbuckets; i++) {
        sl_state_entry *e = s->buckets[i];
        while (e) {
            sl_state_entry *next = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
    return 0;
}

/* Removes a CLEAN entry from the map and the LRU list and frees it. */
static void cache_remove(sl_state *s, sl_state_entry *e)
{
    sl_state_entry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(s, e);
    s->nentries--;
    free(e->val);
    free(e);
}

/* Inserts a new clean, absent entry for the encoded key (on the LRU list). */
static sl_state_entry *cache_insert(sl_state *s, const unsigned char *k, size_t klen, uint64_t h)
{
    if (s->nentries + 1 > s->nbuckets && cache_grow(s) != 0)
        return NULL;
    sl_state_entry *e = calloc(1, sizeof(*e) + klen);
    if (!e)
        return NULL;
    e->hash = h;
    e->klen = (uint32_t)klen;
    memcpy(e->key, k, klen);
    e->hnext = s->buckets[h & (s->nbuckets - 1)];
    s->buckets[h & (s->nbuckets - 1)] = e;
    s->nentries++;
    lru_push_front(s, e);
    return e;
}

/* Evicts clean entries, least recently used first, down to max_entries. */
static void cache_evict(sl_state *s)
{
    while (s->nentries > s->max_entries && s->lru_tail)
        cache_remove(s, s->lru_tail);
}

/* Sets e's value (copied; value may point into e's own buffer). */
static int entry_set(sl_state_entry *e, const void *value, size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    if (len > e->vcap || !e->val) {
        size_t cap = len ? len : 1;
        char *nv = malloc(cap);
        if (!nv)
            return -1;
        if (len)
            memcpy(nv, value, len);
        free(e->val);
        e->val = nv;
        e->vcap = (uint32_t)cap;
    } else if (len) {
        memmove(e->val, value, len);
    }
    e->vlen = (uint32_t)len;
    e->present = 1;
    return 0;
}

static int mark_dirty(sl_state *s, sl_state_entry *e)
{
    if (e->dirty)
        return 0;
    if (s->ndirty == s->dirty_cap) {
        size_t cap = s->dirty_cap ? s->dirty_cap * 2 : 256;
        sl_state_entry **nd = realloc(s->dirty, cap * sizeof(*nd));
        if (!nd)
            return -1;
        s->dirty = nd;
        s->dirty_cap = cap;
    }
    lru_unlink(s, e);
    e->dirty = 1;
    s->dirty[s->ndirty++] = e;
    return 0;
}

/* Finds the entry for (ns, key) or creates an absent one WITHOUT reading
 * RocksDB (for put/delete, which overwrite whatever is there). */
static sl_state_entry *entry_for_write(sl_state *s, uint32_t ns, const void *key, size_t key_len,
                                       sl_error *err)
{
    long klen = sl_state_key_scratch(s, ns, key, key_len);
    if (klen < 0) {
        sl_error_set(err, SL_ERR_NOMEM, "state: out of memory for a key of %zu bytes", key_len);
        return NULL;
    }
    uint64_t h = key_hash(s->kbuf, (size_t)klen);
    sl_state_entry *e = cache_find(s, s->kbuf, (size_t)klen, h);
    if (!e)
        e = cache_insert(s, s->kbuf, (size_t)klen, h);
    if (!e || mark_dirty(s, e) != 0) {
        sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
        return NULL;
    }
    return e;
}

/* ---- open / close ------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int read_meta(sl_state *s, const char *mkey, int64_t *out, sl_error *err)
{
    char *errptr = NULL;
    size_t len = 0;
    char *v = rocksdb_get(s->db, s->ropts, mkey, META_KEY_LEN, &len, &errptr);
    if (errptr)
        return rocks_fail(s, errptr, "reading offsets", err);
    *out = -1;
    if (v && len == 8)
        *out = (int64_t)get_be64((const unsigned char *)v);
    rocksdb_free(v);
    return 0;
}

static void batch_put_offsets(rocksdb_writebatch_t *b, int64_t input_offset,
                              int64_t changelog_offset)
{
    unsigned char v[8];
    put_be64(v, (uint64_t)input_offset);
    rocksdb_writebatch_put(b, META_INPUT, META_KEY_LEN, (const char *)v, 8);
    put_be64(v, (uint64_t)changelog_offset);
    rocksdb_writebatch_put(b, META_CHANGELOG, META_KEY_LEN, (const char *)v, 8);
}

sl_state *sl_state_open(const char *dir, const sl_state_options *o, sl_error *err)
{
    sl_state_options def = {0};
    if (!o)
        o = &def;
    if (!dir || !*dir) {
        sl_error_set(err, SL_ERR_INVALID, "state: no directory");
        return NULL;
    }
    sl_state *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    s->input_offset = s->changelog_offset = -1;
    s->dir = strdup(dir);
    s->nbuckets = 1024;
    s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
    s->max_entries = o->cache_entries ? o->cache_entries : DEFAULT_CACHE_ENTRIES;
    if (!s->dir || !s->buckets)
        goto nomem;
    if (mkdir_p(dir) != 0) {
        sl_error_set(err, SL_ERR_IO, "state %s: cannot create the directory: %s", dir,
                     strerror(errno));
        goto fail;
    }

    /* Sized for a 2-core worker with a few GiB and a few tasks per core:
     * a small memtable pair, a block cache, a bloom filter so that the many
     * "absent" lookups of new keys/windows skip the SST files, and two
     * background jobs (one flush, one compaction). */
    s->opts = rocksdb_options_create();
    s->table_opts = rocksdb_block_based_options_create();
    s->block_cache = rocksdb_cache_create_lru(o->block_cache_bytes ? o->block_cache_bytes
                                                                   : DEFAULT_BLOCK_CACHE);
    s->ropts = rocksdb_readoptions_create();
    s->wopts_sync = rocksdb_writeoptions_create();
    s->wopts_nosync = rocksdb_writeoptions_create();
    if (!s->opts || !s->table_opts || !s->block_cache || !s->ropts || !s->wopts_sync ||
        !s->wopts_nosync)
        goto nomem;
    rocksdb_block_based_options_set_block_cache(s->table_opts, s->block_cache);
    rocksdb_block_based_options_set_filter_policy(s->table_opts,
                                                  rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(s->opts, s->table_opts);
    rocksdb_options_set_create_if_missing(s->opts, 1);
    rocksdb_options_set_write_buffer_size(s->opts, o->write_buffer_bytes ? o->write_buffer_bytes
                                                                         : DEFAULT_WRITE_BUFFER);
    rocksdb_options_set_max_write_buffer_number(s->opts, 2);
    rocksdb_options_set_max_background_jobs(s->opts, 2);
    rocksdb_options_set_info_log_level(s->opts, 2 /* WARN: no chatty LOG files */);
    rocksdb_options_set_keep_log_file_num(s->opts, 2);
    rocksdb_writeoptions_set_sync(s->wopts_sync, 1);

    char *errptr = NULL;
    s->db = rocksdb_open(s->opts, dir, &errptr);
    if (!s->db) {
        rocks_fail(s, errptr, "open", err);
        goto fail;
    }
    if (read_meta(s, META_INPUT, &s->input_offset, err) != 0 ||
        read_meta(s, META_CHANGELOG, &s->changelog_offset, err) != 0)
        goto fail;
    return s;

nomem:
    sl_error_set(err, SL_ERR_NOMEM, "state %s: out of memory", dir ? dir : "?");
fail:
    sl_state_close(s);
    return NULL;
}

void sl_state_close(sl_state *s)
{
    if (!s)
        return;
    if (s->buckets) {
        for (size_t i = 0; i < s->nbuckets; i++) {
            sl_state_entry *e = s->buckets[i];
            while (e) {
                sl_state_entry *next = e->hnext;
                free(e->val);
                free(e);
                e = next;
            }
        }
    }
    free(s->buckets);
    free(s->dirty);
    free(s->changes);
    free(s->kbuf);
    if (s->restore_batch)
        rocksdb_writebatch_destroy(s->restore_batch);
    if (s->db)
        rocksdb_close(s->db);
    if (s->wopts_sync)
        rocksdb_writeoptions_destroy(s->wopts_sync);
    if (s->wopts_nosync)
        rocksdb_writeoptions_destroy(s->wopts_nosync);
    if (s->ropts)
        rocksdb_readoptions_destroy(s->ropts);
    if (s->opts)
        rocksdb_options_destroy(s->opts);
    if (s->table_opts)
        rocksdb_block_based_options_destroy(s->table_opts); /* frees the filter policy */
    if (s->block_cache)
        rocksdb_cache_destroy(s->block_cache);
    free(s->dir);
    free(s);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int sl_state_destroy_dir(const char *dir, sl_error *err)
{
    struct stat st;
    if (!dir || !*dir)
        return sl_error_set(err, SL_ERR_INVALID, "state: no directory");
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return sl_error_set(err, SL_ERR_IO, "state %s: %s", dir, strerror(errno));
    }
    if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return sl_error_set(err, SL_ERR_IO, "state %s: cannot delete: %s", dir, strerror(errno));
    return 0;
}

/* ---- get / put / delete -------------------------------------------------- */

int sl_state_get(sl_state *s, uint32_t ns, const void *key, size_t key_len, const void **value,
                 size_t *len, sl_error *err)
{
    long klen = sl_state_key_scratch(s, ns, key, key_len);
    if (klen < 0)
        return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
    uint64_t h = key_hash(s->kbuf, (size_t)klen);
    sl_state_entry *e = cache_find(s, s->kbuf, (size_t)klen, h);
    if (!e) {
        /* Miss: read RocksDB and cache the answer (absence too). */
        char *errptr = NULL;
        rocksdb_pinnableslice_t *ps =
            rocksdb_get_pinned(s->db, s->ropts, (const char *)s->kbuf, (size_t)klen, &errptr);
        if (errptr)
            return rocks_fail(s, errptr, "get", err);
        e = cache_insert(s, s->kbuf, (size_t)klen, h);
        if (!e) {
            rocksdb_pinnableslice_destroy(ps);
            return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
        }
        if (ps) {
            size_t vl = 0;
            const char *v = rocksdb_pinnableslice_value(ps, &vl);
            int rc = entry_set(e, v, vl);
            rocksdb_pinnableslice_destroy(ps);
            if (rc != 0) {
                cache_remove(s, e);
                return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
            }
        }
    } else if (!e->dirty && e != s->lru_head) {
        lru_unlink(s, e);
        lru_push_front(s, e);
    }
    if (!e->present)
        return 0;
    *value = e->val;
    *len = e->vlen;
    return 1;
}

int sl_state_put(sl_state *s, uint32_t ns, const void *key, size_t key_len, const void *value,
                 size_t len, sl_error *err)
{
    sl_state_entry *e = entry_for_write(s, ns, key, key_len, err);
    if (!e)
        return SL_ERR_NOMEM;
    if (entry_set(e, value, len) != 0)
        return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory for a value of %zu bytes",
                            len);
    cache_evict(s);
    return 0;
}

int sl_state_delete(sl_state *s, uint32_t ns, const void *key, size_t key_len, sl_error *err)
{
    sl_state_entry *e = entry_for_write(s, ns, key, key_len, err);
    if (!e)
        return SL_ERR_NOMEM;
    e->present = 0;
    e->vlen = 0;
    cache_evict(s);
    return 0;
}

/* ---- checkpoint ----------------------------------------------------------- */

int sl_state_changes(sl_state *s, const sl_state_change **out, size_t *n, sl_error *err)
{
    if (s->ndirty > s->changes_cap) {
        size_t cap = s->ndirty;
        sl_state_change *nc = realloc(s->changes, cap * sizeof(*nc));
        if (!nc)
            return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
        s->changes = nc;
        s->changes_cap = cap;
    }
    for (size_t i = 0; i < s->ndirty; i++) {
        const sl_state_entry *e = s->dirty[i];
        sl_state_change *c = &s->changes[i];
        c->ns = ((uint32_t)e->key[0] << 24) | ((uint32_t)e->key[1] << 16) |
                ((uint32_t)e->key[2] << 8) | e->key[3];
        c->key = e->key + SL_STATE_NS_BYTES;
        c->key_len = e->klen - SL_STATE_NS_BYTES;
        c->value = e->present ? e->val : NULL;
        c->value_len = e->present ? e->vlen : 0;
    }
    *out = s->changes;
    *n = s->ndirty;
    return 0;
}

void sl_state_rollback(sl_state *s)
{
    for (size_t i = 0; i < s->ndirty; i++) {
        sl_state_entry *e = s->dirty[i];
        e->dirty = 0;
        lru_push_front(s, e);
        cache_remove(s, e); /* the next get reads RocksDB again */
    }
    s->ndirty = 0;
}

size_t sl_state_pending_count(const sl_state *s)
{
    return s->ndirty;
}

int sl_state_checkpoint_commit(sl_state *s, int64_t input_offset, int64_t changelog_offset,
                               sl_error *err)
{
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    if (!b)
        return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
    for (size_t i = 0; i < s->ndirty; i++) {
        const sl_state_entry *e = s->dirty[i];
        if (e->present)
            rocksdb_writebatch_put(b, (const char *)e->key, e->klen, e->val, e->vlen);
        else
            rocksdb_writebatch_delete(b, (const char *)e->key, e->klen);
    }
    batch_put_offsets(b, input_offset, changelog_offset);
    char *errptr = NULL;
    rocksdb_write(s->db, s->wopts_sync, b, &errptr);
    rocksdb_writebatch_destroy(b);
    if (errptr)
        return rocks_fail(s, errptr, "checkpoint write", err); /* changes stay pending */

    for (size_t i = 0; i < s->ndirty; i++) {
        sl_state_entry *e = s->dirty[i];
        e->dirty = 0;
        lru_push_front(s, e); /* now a clean mirror of RocksDB */
    }
    s->ndirty = 0;
    s->input_offset = input_offset;
    s->changelog_offset = changelog_offset;
    cache_evict(s);
    return 0;
}

int64_t sl_state_input_offset(const sl_state *s)
{
    return s->input_offset;
}

int64_t sl_state_changelog_offset(const sl_state *s)
{
    return s->changelog_offset;
}

/* ---- restore ---------------------------------------------------------------- */

static int restore_flush(sl_state *s, bool final, int64_t input_offset, int64_t changelog_offset,
                         sl_error *err)
{
    if (!s->restore_batch) {
        if (!final)
            return 0;
        s->restore_batch = rocksdb_writebatch_create();
        if (!s->restore_batch)
            return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
    }
    if (final)
        batch_put_offsets(s->restore_batch, input_offset, changelog_offset);
    char *errptr = NULL;
    rocksdb_write(s->db, final ? s->wopts_sync : s->wopts_nosync, s->restore_batch, &errptr);
    rocksdb_writebatch_clear(s->restore_batch);
    s->restore_bytes = 0;
    if (errptr)
        return rocks_fail(s, errptr, "restore write", err);
    return 0;
}

int sl_state_restore_apply(sl_state *s, uint32_t ns, const void *key, size_t key_len,
                           const void *value, size_t len, sl_error *err)
{
    if (s->ndirty)
        return sl_error_set(err, SL_ERR_STATE,
                            "state %s: restore with %zu uncommitted changes", s->dir, s->ndirty);
    if (!s->restore_batch && !(s->restore_batch = rocksdb_writebatch_create()))
        return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
    long klen = sl_state_key_scratch(s, ns, key, key_len);
    if (klen < 0)
        return sl_error_set(err, SL_ERR_NOMEM, "state: out of memory");
    /* A cached copy would now be stale: drop it (it is clean, see above). */
    uint64_t h = key_hash(s->kbuf, (size_t)klen);
    sl_state_entry *e = cache_find(s, s->kbuf, (size_t)klen, h);
    if (e)
        cache_remove(s, e);
    if (value)
        rocksdb_writebatch_put(s->restore_batch, (const char *)s->kbuf, (size_t)klen, value, len);
    else
        rocksdb_writebatch_delete(s->restore_batch, (const char *)s->kbuf, (size_t)klen);
    s->restore_bytes += (size_t)klen + len + 16;
    s->restored++;
    if (s->restore_bytes >= RESTORE_FLUSH_BYTES ||
        rocksdb_writebatch_count(s->restore_batch) >= RESTORE_FLUSH_RECORDS)
        return restore_flush(s, false, 0, 0, err);
    return 0;
}

int sl_state_restore_done(sl_state *s, int64_t input_offset, int64_t changelog_offset,
                          sl_error *err)
{
    int rc = restore_flush(s, true, input_offset, changelog_offset, err);
    if (rc != 0)
        return rc;
    s->input_offset = input_offset;
    s->changelog_offset = changelog_offset;
    return 0;
}

uint64_t sl_state_restored_count(const sl_state *s)
{
    return s->restored;
}

/* ---- changelog key codec ------------------------------------------------------ */

int sl_state_changelog_key_encode(uint32_t ns, const void *key, size_t key_len, void *out,
                                  size_t out_size, size_t *out_len)
{
    size_t need = SL_STATE_NS_BYTES + key_len;
    if (out_len)
        *out_len = need;
    if (out_size < need)
        return SL_ERR_INVALID;
    put_be32(out, ns);
    if (key_len)
        memcpy((unsigned char *)out + SL_STATE_NS_BYTES, key, key_len);
    return 0;
}

int sl_state_changelog_key_decode(const void *rec_key, size_t rec_len, uint32_t *ns,
                                  const void **key, size_t *key_len)
{
    const unsigned char *p = rec_key;
    if (!rec_key || rec_len < SL_STATE_NS_BYTES)
        return SL_ERR_INVALID;
    *ns = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    *key = p + SL_STATE_NS_BYTES;
    *key_len = rec_len - SL_STATE_NS_BYTES;
    return 0;
}

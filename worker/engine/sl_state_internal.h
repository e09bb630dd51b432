/* sl_state_internal — the store's structure, shared by its files:
 * sl_state.c (open/close, the write-back cache, get/put/delete, the change
 * list, checkpoint and restore) and sl_state_scan.c (ordered scans that merge
 * RocksDB with pending changes). Nothing outside worker/engine/sl_state*.c
 * includes this.
 *
 * RocksDB key layout: 4 bytes big-endian ns, then the operator's key bytes —
 * the same bytes as a changelog record key. Metadata (the offsets of the last
 * checkpoint) lives under keys SHORTER than 4 bytes, which no namespace can
 * produce: they are outside every namespace, and a scan of any ns (which
 * only visits keys starting with the 4-byte prefix) never meets them. */
#ifndef SL_STATE_INTERNAL_H
#define SL_STATE_INTERNAL_H

#include <rocksdb/c.h>
#include <stdint.h>

#include "engine/sl_state.h"

#define SL_STATE_NS_BYTES 4

/* One cached entry: the current value of (ns, key) as get sees it. clean
 * entries mirror RocksDB (present = 0 caches "absent") and sit on the LRU
 * list; dirty entries are pending changes of the current checkpoint, never
 * evicted, indexed in s->dirty. */
typedef struct sl_state_entry {
    struct sl_state_entry *hnext;              /* hash chain */
    struct sl_state_entry *lru_prev, *lru_next; /* clean entries only */
    uint64_t hash;
    uint32_t klen;  /* encoded key length (ns prefix included) */
    uint32_t vlen;
    uint32_t vcap;
    uint8_t present; /* 1: value exists; 0: absent / deleted */
    uint8_t dirty;
    char *val;
    unsigned char key[]; /* encoded key */
} sl_state_entry;

struct sl_state {
    char *dir;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_cache_t *block_cache;
    rocksdb_filterpolicy_t *filter; /* owned by table_opts once set */
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts_sync;
    rocksdb_writeoptions_t *wopts_nosync;

    /* the write-back cache */
    sl_state_entry **buckets;
    size_t nbuckets; /* power of two */
    size_t nentries;
    size_t max_entries;
    sl_state_entry *lru_head, *lru_tail; /* head = most recently used */

    /* the change list: dirty entries in order of first change */
    sl_state_entry **dirty;
    size_t ndirty, dirty_cap;
    sl_state_change *changes; /* view handed out by sl_state_changes */
    size_t changes_cap;

    /* scratch for encoded keys (no malloc per get) */
    unsigned char *kbuf;
    size_t kbuf_cap;

    /* restore */
    rocksdb_writebatch_t *restore_batch;
    size_t restore_bytes;
    uint64_t restored; /* records applied since open */

    int64_t input_offset;
    int64_t changelog_offset;
};

/* Encodes (ns, key) into s->kbuf; returns the encoded length or -1 (OOM). */
long sl_state_key_scratch(sl_state *s, uint32_t ns, const void *key, size_t key_len);

#endif

/* sl_state — the state store of one task (pipeline × partition): a key-value
 * store on RocksDB with a write-back cache, whose changes are collected per
 * checkpoint so that they can be written to the task's changelog topic and
 * then applied to RocksDB in one write batch together with the offsets they
 * reflect. Used by the stateful operators (windows, aggregate) through
 * get/put/delete, by the worker runtime through the checkpoint functions, and
 * by `sluicectl run` with a temporary directory.
 *
 * Keys are namespaced: ns is the index of the stateful step in the plan (so
 * two window steps never see each other's entries), key is opaque bytes (the
 * operator's own encoding, usually the message key plus a window start).
 * Values are opaque bytes (the operator's compact encoding).
 *
 * Visibility: a put is visible to get immediately (read your writes); it
 * reaches RocksDB only at sl_state_checkpoint_commit. A crash before that
 * loses it, which is right: the input that produced it was not committed
 * either and will be processed again.
 *
 * Checkpoint protocol (driven by the worker runtime, docs/state.md):
 *   1. sl_state_changes(): every entry changed since the last checkpoint
 *      (latest value or a deletion) — the runtime produces each as a
 *      changelog record (partition = task partition, header sluice.offset =
 *      the input offset it reflects) and waits for delivery;
 *   2. sl_state_checkpoint_commit(input_offset, changelog_offset): one
 *      RocksDB write batch with every change plus both offsets; the change
 *      list starts empty again;
 *   3. the runtime commits the input offset to Kafka.
 * Restore applies changelog records with sl_state_restore_apply and ends
 * with sl_state_restore_done(input_offset, changelog_offset). The runtime
 * stores as changelog_offset a lower bound of the next changelog offset to
 * read (re-reading a few records is harmless: they carry latest values).
 * After an aborted exactly-once transaction the runtime calls
 * sl_state_rollback and recreates the executor.
 *
 * Implementation (sl_state.c, sl_state_scan.c; docs/state.md): RocksDB key =
 * 4-byte big-endian ns + key; the offsets live under keys shorter than 4
 * bytes (outside every namespace); a write-back cache of entries makes get
 * and put hash lookups; the dirty entries are the change list.
 *
 * @locality: one sl_state belongs to one task and is used by one thread. */
#ifndef SL_STATE_H
#define SL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "util/sl_error.h"

typedef struct sl_state sl_state;

typedef struct sl_state_options {
    size_t block_cache_bytes;  /* RocksDB block cache; 0 = 32 MiB */
    size_t write_buffer_bytes; /* RocksDB memtable size; 0 = 16 MiB */
    size_t cache_entries;      /* write-back cache entries kept in memory; 0 = 100000 */
} sl_state_options;

/* One changed entry since the last checkpoint. value NULL = deleted. All
 * pointers are borrowed and valid until the next call on the store. */
typedef struct sl_state_change {
    uint32_t ns;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
} sl_state_change;

/* Opens (creating if missing) the store in dir, a directory of its own per
 * task. opts may be NULL for defaults. Returns a new store (close with
 * sl_state_close) or NULL with err (SL_ERR_IO naming the directory). */
sl_state *sl_state_open(const char *dir, const sl_state_options *opts, sl_error *err);

/* Closes the store; uncommitted changes are dropped. NULL is a no-op. */
void sl_state_close(sl_state *s);

/* Closes and deletes everything under dir (a store that must start empty). */
int sl_state_destroy_dir(const char *dir, sl_error *err);

/* Looks up (ns, key). Returns 1 and sets *value and *len (borrowed: valid until
 * the next put/delete/checkpoint on the store) when found, 0 when absent,
 * negative SL_ERR_* on a RocksDB error. */
int sl_state_get(sl_state *s, uint32_t ns, const void *key, size_t key_len, const void **value,
                 size_t *len, sl_error *err);

/* Sets (ns, key) to value (copied). 0 or SL_ERR_NOMEM. */
int sl_state_put(sl_state *s, uint32_t ns, const void *key, size_t key_len, const void *value,
                 size_t len, sl_error *err);

/* Deletes (ns, key) (a no-op when absent, still recorded as a change). */
int sl_state_delete(sl_state *s, uint32_t ns, const void *key, size_t key_len, sl_error *err);

/* Calls fn for every entry of namespace ns (committed and pending, pending
 * winning, deletions hidden), in key order. fn returns 0 to go on, non-zero
 * to stop (then returned). Used to rebuild operator indexes after restore. */
typedef int (*sl_state_scan_fn)(void *ud, const void *key, size_t key_len, const void *value,
                                size_t len);
int sl_state_scan(sl_state *s, uint32_t ns, sl_state_scan_fn fn, void *ud, sl_error *err);
/* (The scan works on a snapshot taken when it starts: fn may put/delete on
 * the store; the pointers it is given stay valid for its call.) */

/* The changes since the last checkpoint (see the protocol above): *out points
 * at an array of *n entries, borrowed until the next call on the store. */
int sl_state_changes(sl_state *s, const sl_state_change **out, size_t *n, sl_error *err);

/* Writes every pending change plus the two offsets in one RocksDB write
 * batch (synced to disk) and clears the change list. */
int sl_state_checkpoint_commit(sl_state *s, int64_t input_offset, int64_t changelog_offset,
                               sl_error *err);

/* The offsets of the last checkpoint commit (or restore_done); -1 when the
 * store is new. */
int64_t sl_state_input_offset(const sl_state *s);
int64_t sl_state_changelog_offset(const sl_state *s);

/* Applies one changelog record while restoring (value NULL = delete): goes
 * into a restore write batch, not into the change list. */
int sl_state_restore_apply(sl_state *s, uint32_t ns, const void *key, size_t key_len,
                           const void *value, size_t len, sl_error *err);

/* Ends a restore: writes the restore batch and the new offsets. */
int sl_state_restore_done(sl_state *s, int64_t input_offset, int64_t changelog_offset,
                          sl_error *err);

/* Drops every pending change (the store is back at its last checkpoint),
 * e.g. after an aborted exactly-once transaction. Operators that keep their
 * own memory beside the store must then be recreated: the runtime destroys
 * and recreates the task's executor right after a rollback. */
void sl_state_rollback(sl_state *s);

/* Number of pending changes (entries changed since the last checkpoint). */
size_t sl_state_pending_count(const sl_state *s);

/* Changelog records applied by sl_state_restore_apply since open. */
uint64_t sl_state_restored_count(const sl_state *s);

/* Encodes (ns, key) as a changelog record key and back: 4 bytes big-endian
 * ns, then the key bytes. decode returns SL_ERR_INVALID when too short;
 * encode returns SL_ERR_INVALID when out_size is too small (*out_len, if not
 * NULL, always receives the length needed: 4 + key_len). decode's *key
 * points into rec_key. */
int sl_state_changelog_key_encode(uint32_t ns, const void *key, size_t key_len, void *out,
                                  size_t out_size, size_t *out_len);
int sl_state_changelog_key_decode(const void *rec_key, size_t rec_len, uint32_t *ns,
                                  const void **key, size_t *key_len);

#endif

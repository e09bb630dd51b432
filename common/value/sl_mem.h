/* sl_mem — the per-batch memory of the value layer.
 *
 * One sl_mem bundles an arena, a yyjson allocator over that arena and one
 * mutable yyjson document in which values built during the batch live
 * (expression results such as lists and objects, rows materialised for
 * encoding). Input documents can be parsed into the same arena with
 * sl_mem_read_json so that a whole batch costs no malloc per message and is
 * released at once by sl_mem_reset.
 *
 * Typical engine loop, one sl_mem per task/thread:
 *     sl_mem *m = sl_mem_create(0);
 *     for each batch:
 *         sl_mem_reset(m);
 *         for each message: doc = sl_mem_read_json(m, ...); sl_row_init(...);
 *             run steps; encode
 *     sl_mem_destroy(m);
 * Everything borrowed from a batch (values, rows, documents, the doc returned
 * by sl_mem_doc) is invalid after sl_mem_reset. Not thread-safe. */
#ifndef SL_MEM_H
#define SL_MEM_H

#include <stddef.h>

#include <yyjson.h>

#include "util/sl_arena.h"
#include "util/sl_error.h"

typedef struct sl_mem sl_mem;

/* Returns a new sl_mem owning a new arena of block_size (0 = 64 KiB) and an
 * empty mutable document; NULL when out of memory. Free with sl_mem_destroy. */
sl_mem *sl_mem_create(size_t block_size);

/* Frees the sl_mem, its arena and document; NULL is a no-op. */
void sl_mem_destroy(sl_mem *m);

/* Forgets every allocation of the batch (arena reset) and starts a new empty
 * mutable document. SL_ERR_NOMEM if the new document cannot be allocated
 * (the sl_mem stays usable: call reset again). */
int sl_mem_reset(sl_mem *m);

/* The arena (borrowed; owned by m). */
sl_arena *sl_mem_arena(const sl_mem *m);

/* The batch's mutable document (borrowed; replaced by every reset). */
yyjson_mut_doc *sl_mem_doc(const sl_mem *m);

/* The arena-backed yyjson allocator (borrowed; owned by m). */
const yyjson_alc *sl_mem_alc(const sl_mem *m);

/* size bytes from the arena, 16-aligned; NULL when out of memory. */
void *sl_mem_alloc(sl_mem *m, size_t size);

/* Parses json[0..len) (strict RFC 8259, not in place: json is not modified
 * and need not be padded) into a document allocated in the arena; the
 * document lives until the next reset (never call yyjson_doc_free on it —
 * harmless but useless). NULL on a syntax error: SL_ERR_SYNTAX with err->pos
 * the byte position and the yyjson message; SL_ERR_NOMEM on OOM. */
yyjson_doc *sl_mem_read_json(sl_mem *m, const char *json, size_t len, sl_error *err);

#endif

/* sl_arena — a bump allocator for per-batch memory.
 *
 * Everything a batch of messages needs (decoded values, strings, rows) comes
 * from one arena that is reset after the batch: no malloc per message on the
 * hot path. Blocks are kept across resets, so a steady-state batch allocates
 * nothing from the system. Not thread-safe: one arena belongs to one thread. */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

typedef struct sl_arena sl_arena;

/* Returns a new arena whose blocks are at least block_size bytes (0 picks
 * 64 KiB); NULL when out of memory. Free with sl_arena_destroy. */
sl_arena *sl_arena_create(size_t block_size);

/* Frees the arena and every block; NULL is a no-op. */
void sl_arena_destroy(sl_arena *a);

/* Returns size bytes aligned to 16, valid until the next reset; NULL when out
 * of memory. Large requests get a block of their own. */
void *sl_arena_alloc(sl_arena *a, size_t size);

/* Copies len bytes of s and a terminating NUL into the arena; NULL on OOM. */
char *sl_arena_strndup(sl_arena *a, const char *s, size_t len);

/* Forgets every allocation; keeps the largest block for reuse, frees others. */
void sl_arena_reset(sl_arena *a);

/* Bytes handed out since the last reset (for metrics and tests). */
size_t sl_arena_used(const sl_arena *a);

#endif

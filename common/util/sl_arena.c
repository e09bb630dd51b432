/* sl_arena — bump allocator with a chain of blocks (see sl_arena.h).
 *
 * Allocation takes from the current block; when it is full a new block of at
 * least block_size (or the request, if larger) is pushed in front. Reset keeps
 * the biggest block so that a steady workload settles into one block. */
#include "util/sl_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

typedef struct arena_block {
    struct arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
} arena_block;

struct sl_arena {
    arena_block *head;
    size_t block_size;
    size_t total_used;
};

static arena_block *block_new(size_t size)
{
    arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

sl_arena *sl_arena_create(size_t block_size)
{
    sl_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->head = block_new(a->block_size);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void sl_arena_destroy(sl_arena *a)
{
    if (!a)
        return;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *sl_arena_alloc(sl_arena *a, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < size)
        return NULL; /* overflow */
    if (need == 0)
        need = ARENA_ALIGN;
    arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t bs = need > a->block_size ? need : a->block_size;
        arena_block *nb = block_new(bs);
        if (!nb)
            return NULL;
        nb->next = a->head;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total_used += need;
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void sl_arena_reset(sl_arena *a)
{
    arena_block *keep = NULL;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        if (!keep || b->size > keep->size) {
            free(keep);
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
    a->total_used = 0;
}

size_t sl_arena_used(const sl_arena *a)
{
    return a->total_used;
}

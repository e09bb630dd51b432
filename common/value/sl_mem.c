/* sl_mem — per-batch memory: arena + yyjson allocator + mutable document
 * (see sl_mem.h).
 *
 * The mutable document itself is allocated through the arena allocator, so
 * a reset simply forgets it together with everything else and makes a new
 * one: no yyjson_mut_doc_free walk, no malloc in steady state. */
#include "value/sl_mem.h"

#include <stdlib.h>

#include "value/sl_value.h"

struct sl_mem {
    sl_arena *arena;
    yyjson_alc alc;
    yyjson_mut_doc *doc;
};

static int mem_new_doc(sl_mem *m)
{
    m->doc = yyjson_mut_doc_new(&m->alc);
    return m->doc ? SL_OK : SL_ERR_NOMEM;
}

sl_mem *sl_mem_create(size_t block_size)
{
    sl_mem *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->arena = sl_arena_create(block_size);
    if (!m->arena)
        goto fail;
    sl_value_alc_init(&m->alc, m->arena);
    if (mem_new_doc(m) != SL_OK)
        goto fail;
    return m;
fail:
    sl_mem_destroy(m);
    return NULL;
}

void sl_mem_destroy(sl_mem *m)
{
    if (!m)
        return;
    sl_arena_destroy(m->arena);
    free(m);
}

int sl_mem_reset(sl_mem *m)
{
    sl_arena_reset(m->arena);
    return mem_new_doc(m);
}

sl_arena *sl_mem_arena(const sl_mem *m)
{
    return m->arena;
}

yyjson_mut_doc *sl_mem_doc(const sl_mem *m)
{
    return m->doc;
}

const yyjson_alc *sl_mem_alc(const sl_mem *m)
{
    return &m->alc;
}

void *sl_mem_alloc(sl_mem *m, size_t size)
{
    return sl_arena_alloc(m->arena, size);
}

yyjson_doc *sl_mem_read_json(sl_mem *m, const char *json, size_t len, sl_error *err)
{
    yyjson_read_err rerr;
    /* Without YYJSON_READ_INSITU yyjson copies the input, so the const cast
     * is safe and the caller's text stays intact for splice encoding. */
    yyjson_doc *doc = yyjson_read_opts((char *)json, len, 0, &m->alc, &rerr);
    if (doc)
        return doc;
    if (rerr.code == YYJSON_READ_ERROR_MEMORY_ALLOCATION)
        sl_error_set(err, SL_ERR_NOMEM, "out of memory parsing JSON");
    else
        sl_error_set_pos(err, SL_ERR_SYNTAX, (int)rerr.pos, "invalid JSON: %s", rerr.msg);
    return NULL;
}

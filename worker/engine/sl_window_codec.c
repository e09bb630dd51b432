/* sl_window_codec — encoding and decoding of per-key window records (layout
 * in sl_window_codec.h). Decoding borrows: entries point into the bytes
 * read from the state store, so a record must be re-encoded before the
 * next write to the store. */
#include "engine/sl_window_codec.h"

#include <stdlib.h>

#include "engine/sl_aggregate.h"

#define HEADER_LEN 13 /* u8 version, i64 mark, u32 n */
#define ENTRY_LEN 28  /* i64 start, i64 end, i64 msgs, u32 len */

sl_win_entry *sl_win_record_push(sl_win_record *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        sl_win_entry *w = realloc(r->w, cap * sizeof(*w));
        if (!w)
            return NULL;
        r->w = w;
        r->cap = cap;
    }
    return &r->w[r->n++];
}

int sl_win_record_decode(const void *p, size_t len, int64_t empty_mark, sl_win_record *r,
                         sl_error *err)
{
    const uint8_t *q = p, *end = q + len;
    r->n = 0;
    r->mark = empty_mark;
    if (len == 0)
        return SL_OK;
    if (len < HEADER_LEN || q[0] != SL_WIN_RECORD_VERSION)
        goto corrupt;
    r->mark = sl_agg_get_i64(q + 1);
    uint32_t n = sl_agg_get_u32(q + 9);
    q += HEADER_LEN;
    for (uint32_t i = 0; i < n; i++) {
        if ((size_t)(end - q) < ENTRY_LEN)
            goto corrupt;
        sl_win_entry *e = sl_win_record_push(r);
        if (!e)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory decoding window state");
        e->start = sl_agg_get_i64(q);
        e->end = sl_agg_get_i64(q + 8);
        e->msgs = sl_agg_get_i64(q + 16);
        e->agg_len = sl_agg_get_u32(q + 24);
        q += ENTRY_LEN;
        if (e->agg_len > (size_t)(end - q))
            goto corrupt;
        e->agg = q;
        e->in_scratch = 0;
        e->off = 0;
        q += e->agg_len;
    }
    if (q == end)
        return SL_OK;
corrupt:
    return sl_error_set(err, SL_ERR_INVALID, "corrupt window state (%zu bytes)", len);
}

int sl_win_record_encode(const sl_win_record *r, const sl_buf *scratch, sl_buf *out)
{
    uint8_t h[ENTRY_LEN];
    h[0] = SL_WIN_RECORD_VERSION;
    sl_agg_put_i64(h + 1, r->mark);
    sl_agg_put_u32(h + 9, (uint32_t)r->n);
    int rc = sl_buf_append(out, h, HEADER_LEN);
    for (size_t i = 0; i < r->n && rc == SL_OK; i++) {
        const sl_win_entry *e = &r->w[i];
        sl_agg_put_i64(h, e->start);
        sl_agg_put_i64(h + 8, e->end);
        sl_agg_put_i64(h + 16, e->msgs);
        sl_agg_put_u32(h + 24, (uint32_t)e->agg_len);
        rc = sl_buf_append(out, h, ENTRY_LEN);
        if (rc == SL_OK)
            rc = sl_buf_append(out, e->in_scratch ? (const uint8_t *)scratch->data + e->off : e->agg,
                               e->agg_len);
    }
    return rc;
}

void sl_win_record_free(sl_win_record *r)
{
    if (!r)
        return;
    free(r->w);
    r->w = NULL;
    r->n = r->cap = 0;
}

/* sl_aggregate — the aggregation functions of window and aggregate steps
 * (count, sum, mean, min, max, first, last, collect) over a compact binary
 * state, and the value codec they share with the window records.
 *
 * The state of one window (or of one key's running aggregate) is the
 * concatenation of one slot per sl_agg of the step, in spec order. Slots:
 *
 *   count(), count(x)   i64 count
 *   sum(x)              u8 kind (0 int, 1 float), then i64 or f64
 *   mean(x)             i64 count, f64 sum
 *   min, max, first,    one encoded value (null = nothing seen yet)
 *   last(x)
 *   collect(x)          u32 element count, u32 byte length, encoded values
 *
 * An encoded value is a tag byte and its payload: 0 null, 1 false, 2 true,
 * 3 int (i64), 4 float (f64), 5 str (u32 length, bytes), 6 list or object
 * (u32 length, compact JSON text). Integers are little-endian; the layout is
 * what the state store and the changelog carry (docs/pipeline-spec.md,
 * "How window state is stored").
 *
 * Null inputs are ignored by every function but count(); sum of ints stays
 * an int (overflow is a processing error), any float makes it a float; mean
 * is always a float, null when nothing was counted; sum of nothing is 0.
 *
 * @locality: the task's thread. Nothing here allocates but through the
 * caller's sl_buf (grown once, reused) and sl_mem (batch memory). */
#ifndef SL_AGGREGATE_H
#define SL_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "spec/sl_spec.h"
#include "util/sl_buf.h"
#include "util/sl_error.h"
#include "value/sl_mem.h"
#include "value/sl_value.h"

/* Appends the empty state of the step's aggregations to out. 0 or
 * SL_ERR_NOMEM. */
int sl_agg_state_init(const sl_agg *aggs, size_t naggs, sl_buf *out);

/* Appends to out the state st[0..len) (borrowed) updated with one message
 * whose aggregation inputs are vals[0..naggs) (the inner expressions'
 * results; ignored for count()); mem holds decoded lists (min/max of lists).
 * On failure *failed (may be NULL) is the index of the failing aggregation.
 * 0, SL_ERR_OVERFLOW (an int sum),
 * SL_ERR_TYPE (min/max of values that do not order), SL_ERR_INVALID
 * (corrupt state), SL_ERR_NOMEM. */
int sl_agg_state_update(const sl_agg *aggs, size_t naggs, const void *st, size_t len,
                        const sl_value *vals, sl_mem *mem, sl_buf *out, size_t *failed,
                        sl_error *err);

/* Appends to out the merge of two states of the same aggregations: a of
 * earlier messages, b of later ones (first keeps a's, last b's, collect
 * concatenates). Errors as sl_agg_state_update. */
int sl_agg_state_merge(const sl_agg *aggs, size_t naggs, const void *a, size_t alen,
                       const void *b, size_t blen, sl_mem *mem, sl_buf *out, size_t *failed,
                       sl_error *err);

/* Adds "name": result for every aggregation to obj (a mutable object of
 * sl_mem_doc(mem)); everything is copied into the document, so st may be
 * released afterwards. SL_ERR_INVALID (corrupt state), SL_ERR_NOMEM. */
int sl_agg_state_result(const sl_agg *aggs, size_t naggs, const void *st, size_t len,
                        sl_mem *mem, yyjson_mut_val *obj, sl_error *err);

/* Appends the encoding of v (see above) to out. SL_ERR_INVALID for a value
 * nested too deep or a non-finite float, SL_ERR_NOMEM. */
int sl_agg_value_encode(sl_value v, sl_buf *out, sl_error *err);

/* Decodes the value at p[0..len): *v borrows p (strings) or a document
 * parsed into mem (lists, objects); *used = bytes consumed. SL_ERR_INVALID
 * when truncated or unknown. */
int sl_agg_value_decode(const uint8_t *p, size_t len, sl_mem *mem, sl_value *v, size_t *used,
                        sl_error *err);

/* Little-endian fixed-width helpers for the record codecs. */
static inline void sl_agg_put_i64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static inline int64_t sl_agg_get_i64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return (int64_t)u;
}

static inline void sl_agg_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t sl_agg_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif

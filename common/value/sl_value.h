/* sl_value — the runtime value every expression, row and step works with.
 *
 * An sl_value is a 16-byte tagged struct passed by value. Scalars (null,
 * bool, int64, double) are held inline; strings are a borrowed (pointer,
 * length) pair that is NOT necessarily NUL-terminated and lives in the input
 * document, the per-batch arena (sl_mem) or a compiled expression; arrays and
 * objects are references to yyjson values, either immutable (`yyjson_val *`,
 * from a parsed input document or an expression constant) or mutable
 * (`yyjson_mut_val *`, built during evaluation in the per-batch
 * `yyjson_mut_doc`). JSON scalars read from documents are always unboxed to
 * the scalar kinds, so a composite value is only ever an array or an object.
 *
 * Nothing here owns memory: every value borrows. A value is valid as long as
 * what it points into (input document, sl_mem batch, compiled expression).
 *
 * Semantics are Python-flavoured: int and float compare numerically, `==`
 * across other kinds is false, ordering incompatible kinds is a type error.
 * bool is NOT a number here (true == 1 is false), unlike Python. */
#ifndef SL_VALUE_H
#define SL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yyjson.h>

#include "util/sl_arena.h"
#include "util/sl_buf.h"
#include "util/sl_error.h"

/* X-macro list of value kinds: enum name, name used in messages. */
#define SL_VALUE_KIND_LIST(X) \
    X(SL_VAL_NULL, "null")    \
    X(SL_VAL_BOOL, "bool")    \
    X(SL_VAL_INT, "int")      \
    X(SL_VAL_FLOAT, "float")  \
    X(SL_VAL_STR, "str")      \
    X(SL_VAL_ARR, "list")     \
    X(SL_VAL_OBJ, "object")

typedef enum sl_value_kind {
#define SL_VALUE_KIND_ENUM(name, text) name,
    SL_VALUE_KIND_LIST(SL_VALUE_KIND_ENUM)
#undef SL_VALUE_KIND_ENUM
} sl_value_kind;

/* Deepest nesting of lists/objects that comparison, copying and writing
 * accept (they recurse); deeper input values are refused (write, copy:
 * SL_ERR_INVALID; cmp: SL_ERR_INVALID; eq: false). */
#define SL_VALUE_MAX_DEPTH 512

/* Longest string an sl_value can hold (its length is 32 bits). */
#define SL_VALUE_STR_MAX UINT32_MAX

typedef struct sl_value {
    uint8_t kind;   /* sl_value_kind */
    uint8_t is_mut; /* SL_VAL_ARR/OBJ: 1 = u.mv, 0 = u.iv */
    uint32_t len;   /* SL_VAL_STR: length in bytes */
    union {
        bool b;
        int64_t i;
        double f;
        const char *s;     /* SL_VAL_STR, borrowed, len bytes */
        yyjson_val *iv;    /* immutable array/object, borrowed */
        yyjson_mut_val *mv;/* mutable array/object, borrowed */
    } u;
} sl_value;

/* A borrowed byte string (column names and the like). */
typedef struct sl_str {
    const char *ptr;
    size_t len;
} sl_str;

/* An sl_str over a NUL-terminated C string (borrowed). */
static inline sl_str sl_str_c(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return (sl_str){s, n};
}

static inline sl_value sl_value_null(void)
{
    sl_value v = {0};
    v.kind = SL_VAL_NULL;
    return v;
}

static inline sl_value sl_value_bool(bool b)
{
    sl_value v = {0};
    v.kind = SL_VAL_BOOL;
    v.u.b = b;
    return v;
}

static inline sl_value sl_value_int(int64_t i)
{
    sl_value v = {0};
    v.kind = SL_VAL_INT;
    v.u.i = i;
    return v;
}

static inline sl_value sl_value_float(double f)
{
    sl_value v = {0};
    v.kind = SL_VAL_FLOAT;
    v.u.f = f;
    return v;
}

/* A string value borrowing s[0..len) (len must be <= SL_VALUE_STR_MAX). */
static inline sl_value sl_value_str(const char *s, size_t len)
{
    sl_value v = {0};
    v.kind = SL_VAL_STR;
    v.len = (uint32_t)len;
    v.u.s = s;
    return v;
}

static inline bool sl_value_is_null(sl_value v) { return v.kind == SL_VAL_NULL; }
static inline bool sl_value_is_num(sl_value v) { return v.kind == SL_VAL_INT || v.kind == SL_VAL_FLOAT; }
static inline bool sl_value_is_obj(sl_value v) { return v.kind == SL_VAL_OBJ; }
static inline bool sl_value_is_arr(sl_value v) { return v.kind == SL_VAL_ARR; }

/* Static name of the value's kind for messages ("int", "str", "list", ...). */
const char *sl_value_kind_name(sl_value v);

/* Converts a yyjson immutable value (borrowed; NULL gives null): scalars are
 * unboxed (uint64 above INT64_MAX becomes a float), strings borrow the
 * document's text, arrays/objects reference v. Never fails. */
sl_value sl_value_from_json(yyjson_val *v);

/* Same for a mutable yyjson value (borrowed; NULL gives null). */
sl_value sl_value_from_mut_json(yyjson_mut_val *v);

/* Builds a yyjson_mut_val for v inside doc and stores it in *out. Everything
 * is copied into doc (strings, immutable and mutable composites), so *out is
 * a fresh, unattached node that may be inserted in one container of doc.
 * SL_ERR_NOMEM on allocation failure. */
int sl_value_to_mut(sl_value v, yyjson_mut_doc *doc, yyjson_mut_val **out, sl_error *err);

/* Python-like equality: int/float numerically; str bytewise; lists and
 * objects deeply (object key order ignored); other kind mixes are false. */
bool sl_value_eq(sl_value a, sl_value b);

/* Ordering: sets *out to <0, 0 or >0. Numbers numerically, strings bytewise
 * (= code-point order), bools false < true, lists lexicographically.
 * Anything else (null, objects, mixed kinds) is SL_ERR_TYPE with a message. */
int sl_value_cmp(sl_value a, sl_value b, int *out, sl_error *err);

/* Python truthiness: false, 0, 0.0, "", [] and {} are false; null is false. */
bool sl_value_truthy(sl_value v);

/* Appends the compact JSON text of v to out (strings escaped, floats in the
 * shortest round-trip form with ".0" for integral values, e.g. 3.0, 0.1).
 * Non-finite floats are SL_ERR_INVALID; SL_ERR_NOMEM on allocation failure. */
int sl_value_write_json(sl_value v, sl_buf *out, sl_error *err);

/* Appends s[0..len) as a JSON string literal (with quotes) to out. Bytes
 * that are not valid UTF-8 (a string taken from a non-JSON message key or
 * value) are written as \ufffd so that the output is always valid JSON. */
int sl_value_write_json_str(const char *s, size_t len, sl_buf *out);

/* Length of the valid UTF-8 sequence starting s[0] (n > 0 bytes
 * available), or 0 if it is invalid (overlong, surrogate, > U+10FFFF). */
size_t sl_utf8_valid_len(const unsigned char *s, size_t n);

/* Formats a finite double like sl_value_write_json into buf (>= 32 bytes),
 * NUL-terminated; returns the length, or 0 if d is not finite. */
size_t sl_value_format_float(double d, char *buf);

/* Looks up key k[0..klen) in an object value; true and *out set if found,
 * false (and *out = null) if missing or v is not an object. Linear scan. */
bool sl_value_obj_get(sl_value v, const char *k, size_t klen, sl_value *out);

/* Number of elements of an array, members of an object, else 0. */
size_t sl_value_size(sl_value v);

/* Iterates the elements of an array or the members of an object, for both
 * immutable and mutable values. Usage:
 *     sl_value_iter it; sl_value k, x;
 *     sl_value_iter_init(&it, v);
 *     while (sl_value_iter_next(&it, &k, &x)) ...   (k is null for arrays)
 * Initialising over a non-composite gives an empty iteration. */
typedef struct sl_value_iter {
    uint8_t kind;
    uint8_t is_mut;
    union {
        yyjson_arr_iter ia;
        yyjson_obj_iter io;
        yyjson_mut_arr_iter ma;
        yyjson_mut_obj_iter mo;
    } it;
} sl_value_iter;

void sl_value_iter_init(sl_value_iter *it, sl_value v);
bool sl_value_iter_next(sl_value_iter *it, sl_value *key, sl_value *val);

/* Fills *alc with a yyjson allocator backed by arena (borrowed; must outlive
 * every document allocated through alc). free is a no-op, realloc is
 * alloc+copy: documents are released all at once by sl_arena_reset. */
void sl_value_alc_init(yyjson_alc *alc, sl_arena *arena);

#endif

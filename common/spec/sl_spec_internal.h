/* sl_spec_internal — what the spec parser's files share: the parse context
 * that collects errors, and small field readers that report into it.
 * Private to common/spec/. */
#ifndef SL_SPEC_INTERNAL_H
#define SL_SPEC_INTERNAL_H

#include <yyjson.h>

#include "spec/sl_spec.h"

#define SPEC_WHERE_MAX SL_ERROR_WHERE_MAX
#define SPEC_MAX_COLUMNS 1024

typedef struct spec_ctx {
    sl_error *errs; /* caller's array */
    size_t max;
    size_t n;       /* errors reported (may exceed max; only max kept) */
    int nomem;
} spec_ctx;

/* Records one error at where (a printf format is not used for where: callers
 * build it with spec_where). pos is -1 unless inside an expression. */
void spec_fail(spec_ctx *ctx, int code, int pos, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Builds "prefix.field" (or just field when prefix is ""), quoting names that
 * are not plain identifiers as prefix["odd name"]. */
void spec_where(char *out, const char *prefix, const char *field);

/* "string", "number", "object" ... for messages. */
const char *spec_type_name(yyjson_val *v);

/* Reports every field of obj not in known (NULL-terminated), suggesting the
 * nearest known name. Returns the number of unknown fields. */
int spec_check_fields(spec_ctx *ctx, yyjson_val *obj, const char *prefix,
                      const char *const *known);

/* Copies a string; sets ctx->nomem on failure. */
char *spec_strdup(spec_ctx *ctx, const char *s, size_t len);

/* Reads obj[key] as a non-empty string into *out (a new copy). A missing
 * field is reported only when required. Returns 1 when *out was set. */
int spec_get_string(spec_ctx *ctx, yyjson_val *obj, const char *prefix, const char *key,
                    int required, char **out);

/* Compiles src (borrowed) into *out, reporting a compile error at where with
 * its position. Returns 1 on success. */
int spec_compile(spec_ctx *ctx, const char *src, const char *where, sl_expr **out);

/* Reads obj[key] as one of names (NULL-terminated; value i -> i). Missing:
 * *out = dflt. Returns 1 unless an error was reported. */
int spec_get_enum(spec_ctx *ctx, yyjson_val *obj, const char *prefix, const char *key,
                  const char *const *names, int dflt, int *out);

/* Checks a Kafka topic name (1-249 of [a-zA-Z0-9._-], not "." or ".."). */
int spec_check_topic(spec_ctx *ctx, const char *topic, const char *where);

/* Validates steps[index] (v) into *step, which is zeroed first.
 * dflt_format is the input's value_format (to_topic default). */
void spec_step_parse(spec_ctx *ctx, yyjson_val *v, size_t index, sl_format dflt_format,
                     sl_step *step);

/* Readers and field lists of the stateful ops (sl_spec_windows.c). */
void spec_read_window(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s);
void spec_read_aggregate(spec_ctx *ctx, yyjson_val *v, const char *prefix, sl_step *s);
extern const char *const spec_f_tumbling[];
extern const char *const spec_f_hopping[];
extern const char *const spec_f_sliding[];
extern const char *const spec_f_tumbling_count[];
extern const char *const spec_f_hopping_count[];
extern const char *const spec_f_aggregate[];

/* Frees what a step owns (not the step itself). */
void spec_step_clear(sl_step *step);

extern const char *const spec_format_names[];

#endif

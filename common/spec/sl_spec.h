/* sl_spec — the pipeline spec: JSON text in, a validated, compiled plan out.
 *
 * The spec is Sluice's public language (see docs/pipeline-spec.md). Parsing
 * checks everything that can be checked before a message flows: required and
 * unknown fields (with a "did you mean" for typos), names, formats, topic
 * names, and every expression, which is compiled here once (sl_expr_compile)
 * and kept in the plan. Every error names its place ("name",
 * "input.value_format", "steps[2].where", "steps[0].columns.speed_kmh") and,
 * for expressions, the character position inside the expression.
 *
 * The plan is a plain read-only struct once parsed: the engine walks
 * plan->steps directly. One owner frees everything with sl_plan_free.
 *
 * Files: sl_spec_parse.c (top level, input, error collection),
 * sl_spec_steps.c (per-op validation), sl_spec_windows.c (windows and
 * aggregate), sl_spec_suggest.c (edit distance),
 * sl_spec_render.c (canonical JSON). */
#ifndef SL_SPEC_H
#define SL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"

typedef struct sl_expr sl_expr;

/* Every op the spec language knows, as an X-macro: enum suffix, spec name,
 * whether this build runs it (an op listed as 0 is reported as not available
 * and never suggested). The stateful ops (windows, aggregate) are validated
 * in sl_spec_windows.c and fill the window fields of sl_step. */
#define SL_STEP_OP_LIST(X)                                  \
    X(ASSIGN, "assign", 1)                                  \
    X(FILTER, "filter", 1)                                  \
    X(SELECT, "select", 1)                                  \
    X(DROP, "drop", 1)                                      \
    X(RENAME, "rename", 1)                                  \
    X(APPLY, "apply", 1)                                    \
    X(EXPAND, "expand", 1)                                  \
    X(SET_KEY, "set_key", 1)                                \
    X(SET_TIMESTAMP, "set_timestamp", 1)                    \
    X(TO_TOPIC, "to_topic", 1)                              \
    X(PRINT, "print", 1)                                    \
    X(TUMBLING_WINDOW, "tumbling_window", 1)                \
    X(HOPPING_WINDOW, "hopping_window", 1)                  \
    X(SLIDING_WINDOW, "sliding_window", 1)                  \
    X(TUMBLING_COUNT_WINDOW, "tumbling_count_window", 1)    \
    X(HOPPING_COUNT_WINDOW, "hopping_count_window", 1)      \
    X(AGGREGATE, "aggregate", 1)

typedef enum sl_step_op {
#define SL_STEP_OP_ENUM(id, name, avail) SL_STEP_##id,
    SL_STEP_OP_LIST(SL_STEP_OP_ENUM)
#undef SL_STEP_OP_ENUM
        SL_STEP__COUNT
} sl_step_op;

/* Message formats for keys and values. bytes is carried as a string value
 * holding the raw bytes (see docs/pipeline-spec.md, "Input formats"). */
typedef enum sl_format { SL_FORMAT_STRING = 0, SL_FORMAT_JSON, SL_FORMAT_BYTES } sl_format;

typedef enum sl_guarantee {
    SL_GUARANTEE_AT_LEAST_ONCE = 0,
    SL_GUARANTEE_EXACTLY_ONCE
} sl_guarantee;

typedef enum sl_on_error {
    SL_ON_ERROR_DEAD_LETTER = 0,
    SL_ON_ERROR_SKIP,
    SL_ON_ERROR_FAIL
} sl_on_error;

/* Aggregation functions of window and aggregate steps, as an X-macro: enum
 * suffix, name as written in the spec ("mean(speed)"). COUNT_ALL is count()
 * (every message), COUNT is count(expr) (non-null values). */
#define SL_AGG_KIND_LIST(X) \
    X(COUNT_ALL, "count")   \
    X(COUNT, "count")       \
    X(SUM, "sum")           \
    X(MEAN, "mean")         \
    X(MIN, "min")           \
    X(MAX, "max")           \
    X(FIRST, "first")       \
    X(LAST, "last")         \
    X(COLLECT, "collect")

typedef enum sl_agg_kind {
#define SL_AGG_KIND_ENUM(id, name) SL_AGG_##id,
    SL_AGG_KIND_LIST(SL_AGG_KIND_ENUM)
#undef SL_AGG_KIND_ENUM
        SL_AGG__COUNT
} sl_agg_kind;

/* One output of an aggregate: name = "fn(expr)". src is the whole text as
 * written; expr is the compiled inner expression (NULL for count()). */
typedef struct sl_agg {
    char *name;
    char *src;
    sl_agg_kind kind;
    sl_expr *expr;
} sl_agg;

/* emit: when a window's result goes on (final: once, when it closes;
 * current: after every message that updated it). */
typedef enum sl_emit_mode { SL_EMIT_FINAL = 0, SL_EMIT_CURRENT } sl_emit_mode;

/* closing: whose stream time closes windows (the message key's own, or the
 * whole partition's). */
typedef enum sl_closing { SL_CLOSING_KEY = 0, SL_CLOSING_PARTITION } sl_closing;

/* One named expression or column: assign (name = expr), select/drop (name),
 * rename (name -> new_name). src is the expression text as written. */
typedef struct sl_column {
    char *name;
    char *new_name; /* rename only */
    char *src;      /* assign only */
    sl_expr *expr;  /* assign only */
} sl_column;

typedef struct sl_step {
    sl_step_op op;
    size_t index;           /* position in steps[] */
    sl_column *columns;     /* assign, select, drop, rename */
    size_t ncolumns;
    char *src;              /* filter where; apply, expand, set_key, set_timestamp expr;
                             * to_topic key (NULL: none) */
    sl_expr *expr;          /* compiled src; NULL when the step has none */
    char *topic;            /* to_topic */
    sl_format value_format; /* to_topic: how the value is written (default: input's) */
    bool metadata;          /* print: include key and timestamp */
    /* windows and aggregate (zero for the other ops) */
    int64_t size_ms;        /* time windows: window length */
    int64_t step_ms;        /* hopping_window: distance between window starts */
    int64_t grace_ms;       /* time windows: lateness allowed (default 0) */
    int64_t count;          /* count windows: messages per window */
    int64_t count_step;     /* hopping_count_window: messages between window starts */
    sl_emit_mode emit;      /* windows (default final) */
    sl_closing closing;     /* time windows (default key) */
    sl_agg *aggs;           /* windows, aggregate: the outputs, in spec order */
    size_t naggs;
} sl_step;

typedef struct sl_plan_input {
    char *topic;
    sl_format key_format;
    sl_format value_format;
    char *timestamp_src; /* NULL: use the message timestamp */
    sl_expr *timestamp;
} sl_plan_input;

typedef struct sl_plan {
    char *name;
    sl_plan_input input;
    sl_step *steps;
    size_t nsteps;
    sl_guarantee guarantee;
    sl_on_error on_error;
    char *dead_letter_topic; /* default "<name>.dlq" */
    uint32_t state_epoch;    /* 0; in a cluster, bumped when the stateful steps
                              * change: names a fresh changelog and state dir */
} sl_plan;

/* Parses and validates a spec (len bytes of JSON, need not be NUL-terminated).
 * Returns a new plan, free with sl_plan_free; or NULL with the first error in
 * err (may be NULL): code SL_ERR_INVALID (a field), SL_ERR_SYNTAX or
 * SL_ERR_INVALID from an expression, SL_ERR_UNSUPPORTED (an op this build
 * does not run yet), SL_ERR_NOMEM; where = the place ("steps[1].where"), pos
 * = 0-based character position inside the expression, or -1.
 * A plan is immutable after parsing: the executors of all of a pipeline's
 * tasks may share it, on any threads. */
sl_plan *sl_plan_parse(const char *json, size_t len, sl_error *err);

/* Like sl_plan_parse but reports every independent error, not only the
 * first, in the order they are checked (an object's unknown fields, then its
 * fields in the documented order): the first max go to errs[0..*nerrs) (errs is the
 * caller's array of max >= 1 entries). Returns the plan (and *nerrs = 0) or
 * NULL. */
sl_plan *sl_plan_parse_all(const char *json, size_t len, sl_error *errs, size_t max,
                           size_t *nerrs);

/* Frees a plan and every expression in it; NULL is a no-op. */
void sl_plan_free(sl_plan *plan);

/* Appends the plan as canonical JSON (every default written out, fields in
 * documented order) to out. Returns 0 or SL_ERR_NOMEM. */
int sl_plan_render(const sl_plan *plan, sl_buf *out, sl_error *err);

/* Resolves a parsed plan into a tenant's namespace (a cluster's pipelines):
 * the name and every topic (input, to_topic, dead-letter) get the prefix
 * "<tenant>." and state_epoch is set. SL_ERR_INVALID (naming the field) when a
 * prefixed topic would pass 249 characters; SL_ERR_NOMEM. Call before the
 * plan is shared. */
int sl_plan_namespace(sl_plan *plan, const char *tenant, uint32_t state_epoch, sl_error *err);

/* The name of the plan's state (its state directories and changelog topic
 * are named after it) into buf (truncated to size): "<name>", or
 * "<name>.s<epoch>" once the cluster bumped its state epoch. Returns buf. */
const char *sl_plan_state_name(const sl_plan *plan, char *buf, size_t size);

/* Non-zero when the plan has a stateful step (a window or aggregate), i.e.
 * its tasks need a state store and a changelog. */
int sl_plan_is_stateful(const sl_plan *plan);

/* Non-zero when op keeps state (a window or aggregate). */
int sl_step_is_stateful(sl_step_op op);

/* Spec name of an op ("assign"); "?" when out of range. */
const char *sl_step_op_name(sl_step_op op);

/* Spec name of an aggregation function ("mean"), of emit and closing. */
const char *sl_agg_kind_name(sl_agg_kind k);
const char *sl_emit_mode_name(sl_emit_mode e);
const char *sl_closing_name(sl_closing c);

/* Spec name of a format ("json"). */
const char *sl_format_name(sl_format f);

/* Spec names of on_error and guarantee values. */
const char *sl_on_error_name(sl_on_error e);
const char *sl_guarantee_name(sl_guarantee g);

/* Edit distance (Damerau–Levenshtein, adjacent swaps count 1) between a and b,
 * capped at cap+1 to stay cheap. */
size_t sl_spec_distance(const char *a, const char *b, size_t cap);

/* Returns the candidate closest to word when it is close enough to be a
 * plausible typo, else NULL. candidates is NULL-terminated; borrowed. */
const char *sl_spec_suggest(const char *word, const char *const *candidates);

#endif

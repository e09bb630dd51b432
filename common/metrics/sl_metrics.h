/* sl_metrics — a registry of counters, gauges and histograms rendered in the
 * Prometheus text exposition format (version 0.0.4) for a /metrics endpoint.
 *
 * A metric family has a name, help text and a type; each of its series has
 * its own label pairs (task="speeding/3", topic="sensors", partition="3") and
 * is a separately allocated handle. The design splits two kinds of work:
 *
 *   - value updates (sl_counter_add, sl_gauge_set, sl_histogram_observe) go
 *     straight to the handle with relaxed atomics: no lock, no lookup, no
 *     allocation. A series is meant to have one owner thread (the thread that
 *     runs the task); atomic read-modify-writes keep the sum right even when
 *     several threads share one series. Every series sits on its own cache
 *     lines so that two owners never false-share.
 *   - structure changes (creating and removing series) and scraping
 *     (sl_metrics_render) take the registry mutex, so a series removed while
 *     an HTTP thread renders is either fully in or fully out of that scrape.
 *
 * Histograms have fixed upper bounds chosen when the family is first used;
 * each observation bumps one bucket, and _count is the sum of the buckets at
 * scrape time, so _count always equals the +Inf bucket. _sum may lag the
 * buckets by the observation in flight, which Prometheus tolerates.
 *
 * Output is deterministic: families in the order they were first created,
 * series in creation order; families without series are not printed. */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"

typedef struct sl_metrics sl_metrics;
typedef struct sl_counter sl_counter;
typedef struct sl_gauge sl_gauge;
typedef struct sl_histogram sl_histogram;

/* One label pair; both strings are copied when a series is created. */
typedef struct sl_label {
    const char *name;
    const char *value;
} sl_label;

/* The most labels a series may carry, and the most buckets of a histogram. */
#define SL_METRICS_MAX_LABELS 8
#define SL_METRICS_MAX_BUCKETS 32

/* Prometheus content type of what sl_metrics_render writes. */
#define SL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Bucket bounds in seconds for per-batch processing time (0.5 ms .. 5 s). */
extern const double sl_metrics_buckets_batch_seconds[];
extern const size_t sl_metrics_buckets_batch_seconds_count;
/* Bucket bounds in seconds for checkpoints and restores (5 ms .. 60 s). */
extern const double sl_metrics_buckets_checkpoint_seconds[];
extern const size_t sl_metrics_buckets_checkpoint_seconds_count;

/* Returns a new, empty registry; NULL with err when out of memory. Free with
 * sl_metrics_destroy. */
sl_metrics *sl_metrics_create(sl_error *err);

/* Frees the registry and every series still in it (their handles become
 * invalid); NULL is a no-op. No thread may use a handle or render any more. */
void sl_metrics_destroy(sl_metrics *m);

/* Creates a counter series of family name (help and type are fixed by the
 * first series of a family; a later call with another type or help fails
 * with SL_ERR_INVALID). labels (n entries, may be NULL when n is 0) are
 * copied. Returns a handle owned by the registry, valid until it is removed
 * or the registry destroyed; NULL with err: SL_ERR_INVALID on a bad metric or
 * label name, SL_ERR_EXISTS when a series with these labels exists,
 * SL_ERR_NOMEM. Thread-safe (takes the registry mutex). */
sl_counter *sl_metrics_counter_create(sl_metrics *m, const char *name, const char *help,
                                      const sl_label *labels, size_t n, sl_error *err);

/* Creates a gauge series; as sl_metrics_counter_create. */
sl_gauge *sl_metrics_gauge_create(sl_metrics *m, const char *name, const char *help,
                                  const sl_label *labels, size_t n, sl_error *err);

/* Creates a histogram series with upper bounds (nb strictly increasing finite
 * values, 1..SL_METRICS_MAX_BUCKETS; the +Inf bucket is implicit). Every
 * series of a family must use the same bounds (SL_ERR_INVALID otherwise);
 * "le" is not allowed as a label name. Otherwise as sl_metrics_counter_create. */
sl_histogram *sl_metrics_histogram_create(sl_metrics *m, const char *name, const char *help,
                                          const double *bounds, size_t nb,
                                          const sl_label *labels, size_t n, sl_error *err);

/* Remove one series from the registry and free it; NULL is a no-op. Safe
 * against a concurrent sl_metrics_render (takes the registry mutex); the
 * caller guarantees no thread updates the handle any more. */
void sl_metrics_counter_remove(sl_metrics *m, sl_counter *c);
void sl_metrics_gauge_remove(sl_metrics *m, sl_gauge *g);
void sl_metrics_histogram_remove(sl_metrics *m, sl_histogram *h);

/* Removes every series (of any family) that carries label name="value", e.g.
 * task="speeding/3" when a task stops; returns how many were removed. The
 * same rule as for the single removals applies to their handles. */
size_t sl_metrics_remove_matching(sl_metrics *m, const char *label_name, const char *label_value);

/* Appends every family with at least one series to out in the Prometheus
 * text format 0.0.4. Returns SL_OK or SL_ERR_NOMEM (out then holds a partial
 * rendering). Thread-safe: runs under the registry mutex and reads values
 * with atomic loads, so it may run on an HTTP thread while owners update. */
int sl_metrics_render(sl_metrics *m, sl_buf *out);

/* Number of series in the registry (for tests and self-monitoring). */
size_t sl_metrics_series_count(sl_metrics *m);

/* Hot-path updates: lock-free, allocation-free, callable from any thread
 * (designed for one owner thread per series). */
void sl_counter_add(sl_counter *c, uint64_t n);
void sl_counter_inc(sl_counter *c);
void sl_gauge_set(sl_gauge *g, double v);
void sl_gauge_add(sl_gauge *g, double delta);
void sl_histogram_observe(sl_histogram *h, double v);

/* Current values, read atomically (tests, and callers that want a figure). */
uint64_t sl_counter_value(const sl_counter *c);
double sl_gauge_value(const sl_gauge *g);
uint64_t sl_histogram_count(const sl_histogram *h);
double sl_histogram_sum(const sl_histogram *h);

#endif

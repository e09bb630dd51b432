/* sl_metrics — Prometheus metrics registry (see sl_metrics.h for the design).
 *
 * Memory layout: every series is one cache-line-aligned allocation whose
 * first line holds the hot atomic value (counter count, gauge bits, or the
 * histogram's sum bits), followed by the cold, scrape-only fields and, for a
 * histogram, its per-bucket counters. Series are linked into their family
 * with a doubly linked list so that removal is O(1) once the mutex is held.
 * The registry mutex guards the family list and every series list; it is
 * never taken by value updates. */
#include "metrics/sl_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LINE 64

const double sl_metrics_buckets_batch_seconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1,    2.5, 5};
const size_t sl_metrics_buckets_batch_seconds_count =
    sizeof(sl_metrics_buckets_batch_seconds) / sizeof(sl_metrics_buckets_batch_seconds[0]);

const double sl_metrics_buckets_checkpoint_seconds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                        1,     2.5,  5,     10,   30,  60};
const size_t sl_metrics_buckets_checkpoint_seconds_count =
    sizeof(sl_metrics_buckets_checkpoint_seconds) /
    sizeof(sl_metrics_buckets_checkpoint_seconds[0]);

enum metric_kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

static const char *const kind_names[] = {"counter", "gauge", "histogram"};

typedef struct family family;
typedef struct series series;

struct series {
    /* Hot: written by the owner thread, read by scrapes. Counter: the count;
     * gauge: the double's bits; histogram: the bits of the sum. */
    _Atomic uint64_t value;
    char pad_[CACHE_LINE - sizeof(_Atomic uint64_t)];
    /* Cold: set at creation, read under the registry mutex. */
    family *fam;
    series *prev, *next;
    size_t nlabels;
    char *lnames[SL_METRICS_MAX_LABELS];
    char *lvalues[SL_METRICS_MAX_LABELS];
    char *rendered;            /* `a="x",b="y"` with escaping; "" without labels */
    _Atomic uint64_t *buckets; /* histogram: nb + 1 counts, in this allocation */
};

/* The public handle types are the series itself, seen through one type per
 * kind so that a gauge cannot be passed where a counter is expected. */
struct sl_counter {
    series s;
};
struct sl_gauge {
    series s;
};
struct sl_histogram {
    series s;
};

struct family {
    family *next;
    char *name;
    char *help;
    enum metric_kind kind;
    size_t nb;
    double bounds[SL_METRICS_MAX_BUCKETS];
    series *head, *tail;
    size_t nseries;
};

struct sl_metrics {
    pthread_mutex_t lock;
    family *families, *families_tail;
    size_t nseries;
};

/* ---- values ------------------------------------------------------------- */

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Adds delta to the double stored in *a. Uncontended for a single owner, so
 * the loop runs once. */
static void atomic_add_double(_Atomic uint64_t *a, double delta)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, double_bits(bits_double(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void sl_counter_add(sl_counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(&c->s.value, n, memory_order_relaxed);
}

void sl_counter_inc(sl_counter *c)
{
    atomic_fetch_add_explicit(&c->s.value, 1, memory_order_relaxed);
}

void sl_gauge_set(sl_gauge *g, double v)
{
    atomic_store_explicit(&g->s.value, double_bits(v), memory_order_relaxed);
}

void sl_gauge_add(sl_gauge *g, double delta)
{
    atomic_add_double(&g->s.value, delta);
}

void sl_histogram_observe(sl_histogram *h, double v)
{
    const family *f = h->s.fam;
    size_t i = 0;
    /* A bucket counts observations <= its bound ("le"); NaN lands in +Inf. */
    while (i < f->nb && !(v <= f->bounds[i]))
        i++;
    atomic_fetch_add_explicit(&h->s.buckets[i], 1, memory_order_relaxed);
    atomic_add_double(&h->s.value, v);
}

uint64_t sl_counter_value(const sl_counter *c)
{
    return atomic_load_explicit(&((sl_counter *)c)->s.value, memory_order_relaxed);
}

double sl_gauge_value(const sl_gauge *g)
{
    return bits_double(atomic_load_explicit(&((sl_gauge *)g)->s.value, memory_order_relaxed));
}

static uint64_t histogram_total(const series *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= s->fam->nb; i++)
        n += atomic_load_explicit(&((series *)s)->buckets[i], memory_order_relaxed);
    return n;
}

uint64_t sl_histogram_count(const sl_histogram *h)
{
    return histogram_total(&h->s);
}

double sl_histogram_sum(const sl_histogram *h)
{
    return bits_double(atomic_load_explicit(&((sl_histogram *)h)->s.value, memory_order_relaxed));
}

/* ---- names and escaping ------------------------------------------------- */

static int valid_metric_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                 (p > s && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static int valid_label_name(const char *s)
{
    if (!s || !*s || strncmp(s, "__", 2) == 0)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (p > s && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

/* Label values escape backslash, double quote and newline; HELP text escapes
 * backslash and newline only (format 0.0.4). */
static int append_escaped(sl_buf *b, const char *s, int quote)
{
    for (const char *p = s; *p; p++) {
        const char *esc = NULL;
        if (*p == '\\')
            esc = "\\\\";
        else if (*p == '\n')
            esc = "\\n";
        else if (quote && *p == '"')
            esc = "\\\"";
        int rc = esc ? sl_buf_append(b, esc, 2) : sl_buf_append(b, p, 1);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Shortest of %.15g / %.17g that reads back exactly; Prometheus spellings of
 * the special values. */
static const char *format_double(char *buf, size_t size, double v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    snprintf(buf, size, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, size, "%.17g", v);
    return buf;
}

/* ---- registry structure ------------------------------------------------- */

sl_metrics *sl_metrics_create(sl_error *err)
{
    sl_metrics *m = calloc(1, sizeof(*m));
    if (!m) {
        sl_error_set(err, SL_ERR_NOMEM, "metrics registry: out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void series_free(series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->lnames[i]);
        free(s->lvalues[i]);
    }
    free(s->rendered);
    free(s);
}

void sl_metrics_destroy(sl_metrics *m)
{
    if (!m)
        return;
    family *f = m->families;
    while (f) {
        family *next = f->next;
        series *s = f->head;
        while (s) {
            series *sn = s->next;
            series_free(s);
            s = sn;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = next;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* Caller holds m->lock. */
static family *family_find(sl_metrics *m, const char *name)
{
    for (family *f = m->families; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* Finds or creates the family name, checking that type, help and bounds agree
 * with an existing one. Caller holds m->lock. */
static family *family_get(sl_metrics *m, const char *name, const char *help,
                          enum metric_kind kind, const double *bounds, size_t nb, sl_error *err)
{
    family *f = family_find(m, name);
    if (f) {
        if (f->kind != kind) {
            sl_error_set(err, SL_ERR_INVALID, "metric %s is a %s, not a %s", name,
                         kind_names[f->kind], kind_names[kind]);
            return NULL;
        }
        if (strcmp(f->help, help) != 0) {
            sl_error_set(err, SL_ERR_INVALID, "metric %s: help text differs from the first series",
                         name);
            return NULL;
        }
        if (f->nb != nb || (nb && memcmp(f->bounds, bounds, nb * sizeof(double)) != 0)) {
            sl_error_set(err, SL_ERR_INVALID, "histogram %s: bucket bounds differ between series",
                         name);
            return NULL;
        }
        return f;
    }
    f = calloc(1, sizeof(*f));
    if (!f || !(f->name = strdup(name)) || !(f->help = strdup(help))) {
        if (f) {
            free(f->name);
            free(f);
        }
        sl_error_set(err, SL_ERR_NOMEM, "metric %s: out of memory", name);
        return NULL;
    }
    f->kind = kind;
    f->nb = nb;
    if (nb)
        memcpy(f->bounds, bounds, nb * sizeof(double));
    if (m->families_tail)
        m->families_tail->next = f;
    else
        m->families = f;
    m->families_tail = f;
    return f;
}

/* True when s carries exactly the label set labels[0..n) (in any order). */
static int series_has_labels(const series *s, const sl_label *labels, size_t n)
{
    if (s->nlabels != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < n && strcmp(s->lnames[j], labels[i].name) != 0)
            j++;
        if (j == n || strcmp(s->lvalues[j], labels[i].value) != 0)
            return 0;
    }
    return 1;
}

static int check_args(const char *name, const sl_label *labels, size_t n, int histogram,
                      sl_error *err)
{
    if (!valid_metric_name(name))
        return sl_error_set(err, SL_ERR_INVALID, "invalid metric name '%s'", name ? name : "");
    if (n > SL_METRICS_MAX_LABELS)
        return sl_error_set(err, SL_ERR_INVALID, "metric %s: more than %d labels", name,
                            SL_METRICS_MAX_LABELS);
    if (n && !labels)
        return sl_error_set(err, SL_ERR_INVALID, "metric %s: labels missing", name);
    for (size_t i = 0; i < n; i++) {
        if (!valid_label_name(labels[i].name) || (histogram && strcmp(labels[i].name, "le") == 0))
            return sl_error_set(err, SL_ERR_INVALID, "metric %s: invalid label name '%s'", name,
                                labels[i].name ? labels[i].name : "");
        if (!labels[i].value)
            return sl_error_set(err, SL_ERR_INVALID, "metric %s: label %s has no value", name,
                                labels[i].name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i].name, labels[j].name) == 0)
                return sl_error_set(err, SL_ERR_INVALID, "metric %s: label %s given twice", name,
                                    labels[i].name);
    }
    return SL_OK;
}

/* Allocates a series with its labels (and nb + 1 buckets when histogram);
 * not yet linked anywhere. */
static series *series_new(const sl_label *labels, size_t n, int histogram, size_t nb)
{
    size_t size = sizeof(series);
    size_t nbuckets = histogram ? nb + 1 : 0;
    size += nbuckets * sizeof(_Atomic uint64_t);
    size = (size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    series *s = aligned_alloc(CACHE_LINE, size);
    if (!s)
        return NULL;
    memset(s, 0, size);
    atomic_init(&s->value, 0);
    if (histogram) {
        s->buckets = (_Atomic uint64_t *)(s + 1);
        for (size_t i = 0; i < nbuckets; i++)
            atomic_init(&s->buckets[i], 0);
    }
    sl_buf r = SL_BUF_INIT;
    if (sl_buf_reserve(&r, 0) != SL_OK)
        goto fail;
    r.data[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        s->lnames[i] = strdup(labels[i].name);
        s->lvalues[i] = strdup(labels[i].value);
        s->nlabels = i + 1;
        if (!s->lnames[i] || !s->lvalues[i])
            goto fail;
        if ((i && sl_buf_append(&r, ",", 1) != SL_OK) || sl_buf_append_str(&r, labels[i].name) ||
            sl_buf_append(&r, "=\"", 2) || append_escaped(&r, labels[i].value, 1) ||
            sl_buf_append(&r, "\"", 1))
            goto fail;
    }
    s->rendered = r.data; /* steal */
    return s;
fail:
    sl_buf_free(&r);
    series_free(s);
    return NULL;
}

static series *series_create(sl_metrics *m, enum metric_kind kind, const char *name,
                             const char *help, const double *bounds, size_t nb,
                             const sl_label *labels, size_t n, sl_error *err)
{
    int histogram = kind == KIND_HISTOGRAM;
    if (!m) {
        sl_error_set(err, SL_ERR_INVALID, "metrics registry missing");
        return NULL;
    }
    if (check_args(name, labels, n, histogram, err) != SL_OK)
        return NULL;
    if (histogram) {
        if (!bounds || nb == 0 || nb > SL_METRICS_MAX_BUCKETS) {
            sl_error_set(err, SL_ERR_INVALID, "histogram %s: needs 1..%d bucket bounds", name,
                         SL_METRICS_MAX_BUCKETS);
            return NULL;
        }
        for (size_t i = 0; i < nb; i++) {
            if (!isfinite(bounds[i]) || (i && !(bounds[i] > bounds[i - 1]))) {
                sl_error_set(err, SL_ERR_INVALID,
                             "histogram %s: bounds must be finite and strictly increasing", name);
                return NULL;
            }
        }
    }
    series *s = series_new(labels, n, histogram, nb);
    if (!s) {
        sl_error_set(err, SL_ERR_NOMEM, "metric %s: out of memory", name);
        return NULL;
    }
    pthread_mutex_lock(&m->lock);
    family *f = family_get(m, name, help ? help : "", kind, bounds, histogram ? nb : 0, err);
    if (!f)
        goto fail_locked;
    for (series *o = f->head; o; o = o->next) {
        if (series_has_labels(o, labels, n)) {
            sl_error_set(err, SL_ERR_EXISTS, "metric %s{%s} already exists", name, s->rendered);
            goto fail_locked;
        }
    }
    s->fam = f;
    s->prev = f->tail;
    if (f->tail)
        f->tail->next = s;
    else
        f->head = s;
    f->tail = s;
    f->nseries++;
    m->nseries++;
    pthread_mutex_unlock(&m->lock);
    return s;
fail_locked:
    pthread_mutex_unlock(&m->lock);
    series_free(s);
    return NULL;
}

sl_counter *sl_metrics_counter_create(sl_metrics *m, const char *name, const char *help,
                                      const sl_label *labels, size_t n, sl_error *err)
{
    return (sl_counter *)series_create(m, KIND_COUNTER, name, help, NULL, 0, labels, n, err);
}

sl_gauge *sl_metrics_gauge_create(sl_metrics *m, const char *name, const char *help,
                                  const sl_label *labels, size_t n, sl_error *err)
{
    return (sl_gauge *)series_create(m, KIND_GAUGE, name, help, NULL, 0, labels, n, err);
}

sl_histogram *sl_metrics_histogram_create(sl_metrics *m, const char *name, const char *help,
                                          const double *bounds, size_t nb,
                                          const sl_label *labels, size_t n, sl_error *err)
{
    return (sl_histogram *)series_create(m, KIND_HISTOGRAM, name, help, bounds, nb, labels, n,
                                         err);
}

/* Unlinks s from its family and frees it. Caller holds m->lock. */
static void series_unlink_free(sl_metrics *m, series *s)
{
    family *f = s->fam;
    if (s->prev)
        s->prev->next = s->next;
    else
        f->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        f->tail = s->prev;
    f->nseries--;
    m->nseries--;
    series_free(s);
}

static void series_remove(sl_metrics *m, series *s)
{
    if (!m || !s)
        return;
    pthread_mutex_lock(&m->lock);
    series_unlink_free(m, s);
    pthread_mutex_unlock(&m->lock);
}

void sl_metrics_counter_remove(sl_metrics *m, sl_counter *c)
{
    series_remove(m, c ? &c->s : NULL);
}

void sl_metrics_gauge_remove(sl_metrics *m, sl_gauge *g)
{
    series_remove(m, g ? &g->s : NULL);
}

void sl_metrics_histogram_remove(sl_metrics *m, sl_histogram *h)
{
    series_remove(m, h ? &h->s : NULL);
}

size_t sl_metrics_remove_matching(sl_metrics *m, const char *label_name, const char *label_value)
{
    size_t removed = 0;
    if (!m || !label_name || !label_value)
        return 0;
    pthread_mutex_lock(&m->lock);
    for (family *f = m->families; f; f = f->next) {
        series *s = f->head;
        while (s) {
            series *next = s->next;
            for (size_t i = 0; i < s->nlabels; i++) {
                if (strcmp(s->lnames[i], label_name) == 0 &&
                    strcmp(s->lvalues[i], label_value) == 0) {
                    series_unlink_free(m, s);
                    removed++;
                    break;
                }
            }
            s = next;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return removed;
}

size_t sl_metrics_series_count(sl_metrics *m)
{
    if (!m)
        return 0;
    pthread_mutex_lock(&m->lock);
    size_t n = m->nseries;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* ---- rendering ---------------------------------------------------------- */

/* Writes `name<suffix>{labels[,extra]} ` — the part of a sample line before
 * its value. extra is a preformatted label (`le="0.5"`) or NULL. */
static int render_series_head(sl_buf *b, const family *f, const char *suffix, const series *s,
                              const char *extra)
{
    int has_labels = s->rendered[0] != '\0';
    if (sl_buf_append_str(b, f->name) || sl_buf_append_str(b, suffix))
        return SL_ERR_NOMEM;
    if (has_labels || extra) {
        if (sl_buf_append(b, "{", 1) || sl_buf_append_str(b, s->rendered) ||
            (extra && has_labels && sl_buf_append(b, ",", 1)) ||
            (extra && sl_buf_append_str(b, extra)) || sl_buf_append(b, "}", 1))
            return SL_ERR_NOMEM;
    }
    return sl_buf_append(b, " ", 1);
}

static int render_histogram(sl_buf *b, const family *f, series *s)
{
    char num[40], le[64];
    uint64_t cum = 0;
    for (size_t i = 0; i <= f->nb; i++) {
        cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        snprintf(le, sizeof(le), "le=\"%s\"",
                 i < f->nb ? format_double(num, sizeof(num), f->bounds[i]) : "+Inf");
        if (render_series_head(b, f, "_bucket", s, le) ||
            sl_buf_printf(b, "%llu\n", (unsigned long long)cum))
            return SL_ERR_NOMEM;
    }
    double sum = bits_double(atomic_load_explicit(&s->value, memory_order_relaxed));
    if (render_series_head(b, f, "_sum", s, NULL) ||
        sl_buf_printf(b, "%s\n", format_double(num, sizeof(num), sum)) ||
        render_series_head(b, f, "_count", s, NULL) ||
        sl_buf_printf(b, "%llu\n", (unsigned long long)cum))
        return SL_ERR_NOMEM;
    return SL_OK;
}

static int render_family(sl_buf *b, const family *f)
{
    char num[40];
    if (sl_buf_printf(b, "# HELP %s ", f->name) || append_escaped(b, f->help, 0) ||
        sl_buf_printf(b, "\n# TYPE %s %s\n", f->name, kind_names[f->kind]))
        return SL_ERR_NOMEM;
    for (series *s = f->head; s; s = s->next) {
        int rc = SL_OK;
        uint64_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
        switch (f->kind) {
        case KIND_COUNTER:
            rc = render_series_head(b, f, "", s, NULL);
            if (rc == SL_OK)
                rc = sl_buf_printf(b, "%llu\n", (unsigned long long)v);
            break;
        case KIND_GAUGE:
            rc = render_series_head(b, f, "", s, NULL);
            if (rc == SL_OK)
                rc = sl_buf_printf(b, "%s\n", format_double(num, sizeof(num), bits_double(v)));
            break;
        case KIND_HISTOGRAM:
            rc = render_histogram(b, f, s);
            break;
        }
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

int sl_metrics_render(sl_metrics *m, sl_buf *out)
{
    int rc = SL_OK;
    if (!m || !out)
        return SL_ERR_INVALID;
    /* An empty registry still yields a valid (empty, NUL-terminated) body. */
    if (sl_buf_reserve(out, 0) != SL_OK)
        return SL_ERR_NOMEM;
    out->data[out->len] = '\0';
    pthread_mutex_lock(&m->lock);
    for (const family *f = m->families; f && rc == SL_OK; f = f->next)
        if (f->nseries)
            rc = render_family(out, f);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

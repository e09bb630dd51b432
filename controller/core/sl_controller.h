/* sl_controller — the controller's shared state and the operations the REST
 * API and the heartbeat endpoint perform on it.
 *
 * One mutex (lock) guards everything below; HTTP handlers and the tick thread
 * take it for each request. Kafka writes (sl_meta) happen under the lock: a
 * write is answered only after Kafka acknowledged it, and the catalog never
 * runs ahead of the log.
 *
 * Tasks: every pipeline whose desired state is running and whose input topic
 * is known contributes one task per input partition, keyed
 * "<tenant>/<pipeline>/<partition>" (sl_controller_task_key). */
#ifndef SL_CONTROLLER_H
#define SL_CONTROLLER_H

#include <pthread.h>
#include <stdint.h>

#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_kafka_conf.h"
#include "kafka/sl_topic_admin.h"
#include "meta/sl_meta.h"
#include "metrics/sl_metrics.h"
#include "sched/sl_scheduler.h"
#include "spec/sl_spec.h"

#define SL_TASK_KEY_MAX 160

/* What the controller knows of one pipeline beyond the catalog: its resolved
 * topics and partition count, found by the tick thread. */
typedef struct sl_pipeline_runtime {
    char tenant[SL_META_NAME_MAX];
    char name[SL_META_NAME_MAX];
    uint64_t version;      /* catalog version these facts belong to */
    uint64_t resolved_version; /* the version whose topics were resolved */
    int partitions;        /* input partitions; 0 while unknown (kept from the
                            * previous version while a new one resolves) */
    char error[512];       /* why it cannot run ("" when fine) */
    int64_t retry_at_ms;   /* when the tick thread tries again after an error */
} sl_pipeline_runtime;

/* A purged pipeline whose local state workers must delete. */
typedef struct sl_purge {
    char name[2 * SL_META_NAME_MAX + 2]; /* "<tenant>.<pipeline>" */
    int64_t until_ms;                /* sent in assignments until then */
} sl_purge;

/* The last status a worker reported for a task. */
typedef struct sl_task_report {
    char key[SL_TASK_KEY_MAX];
    char worker[SL_META_NAME_MAX];
    uint64_t pipeline_version;
    int state;              /* Sluice__TaskState */
    int64_t committed_offset;
    int64_t lag;
    uint64_t messages_in, messages_out, errors;
    double messages_per_second; /* from messages_in between two reports */
    char last_error[512];
    int64_t reported_ms;
} sl_task_report;

typedef struct sl_controller_config {
    const char *bootstrap;          /* Kafka for workers and the catalog */
    sl_kafka_props props;           /* -X, owned */
    int64_t lease_ms;               /* default 10000 */
    int heartbeat_interval_ms;      /* default 1000, told to workers */
    uint32_t default_max_pipelines; /* default 20 */
    uint32_t default_max_tasks;     /* default 64 */
    double rate_limit_per_s;        /* per token, default 50 (burst 2x) */
    unsigned char admin_hash[32];   int have_admin;
    unsigned char worker_hash[32];  int have_worker;
} sl_controller_config;

typedef struct sl_controller {
    pthread_mutex_t lock;
    sl_controller_config cfg;
    sl_meta *meta;
    sl_topic_admin *admin;
    sl_scheduler *sched;
    sl_metrics *metrics;
    int64_t started_ms;
    int64_t hold_until_ms;          /* started_ms + lease_ms */
    sl_pipeline_runtime *rt;        /* one per catalog pipeline */
    size_t nrt;
    sl_task_report *reports;
    size_t nreports, reports_cap;
    sl_purge *purges;
    size_t npurges, purges_cap;
    sl_topic_admin *tick_admin; /* the tick thread's own: its slow Kafka calls run
                                 * outside the lock, never on the HTTP thread's admin */
    int ready;
    /* the rate limiter and counters are private to the modules using them */
    void *ratelimit;                /* sl_api_register allocates, sl_api_release frees */
    sl_counter *m_requests, *m_heartbeats;
    sl_gauge *m_workers, *m_pipelines, *m_tasks, *m_tasks_unassigned;
    /* tick thread */
    pthread_t tick;
    int tick_started;
    pthread_cond_t wake;
    int stop, woken;
} sl_controller;

/* Returns a new controller: a topic admin on cfg->bootstrap (or on the
 * embedded broker eb when not NULL, borrowed, must outlive the controller),
 * the catalog read to its end, the scheduler and a metrics registry. cfg is
 * copied (its props are taken: cfg->props is left empty). NULL with err. */
sl_controller *sl_controller_create(sl_controller_config *cfg, sl_embedded_broker *eb,
                                    sl_error *err);

/* Starts the tick thread: every 500 ms it resolves new pipelines' topics
 * (input partitions; creates outputs, dead-letter and changelog topics),
 * expires leases and rebalances. */
int sl_controller_start(sl_controller *c, sl_error *err);

/* Stops the tick thread and frees everything; NULL is a no-op. */
void sl_controller_destroy(sl_controller *c);

/* Asks the tick thread to look at pipelines now (lock not needed). */
void sl_controller_wake(sl_controller *c);

/* "<tenant>/<pipeline>/<partition>" into buf. */
const char *sl_controller_task_key(const char *tenant, const char *pipeline, int partition,
                                   char *buf, size_t size);

/* Runtime facts of a pipeline, or NULL (lock held). */
sl_pipeline_runtime *sl_controller_runtime(sl_controller *c, const char *tenant,
                                           const char *name);

/* Recomputes the scheduler's desired task set from the catalog and runtime
 * facts (lock held). Call after any pipeline change. */
int sl_controller_sync_tasks(sl_controller *c);

/* The last report of a task key, or NULL (lock held). */
const sl_task_report *sl_controller_report(const sl_controller *c, const char *key);

/* Tells workers (in their next assignments, for 10 minutes) to delete the
 * local state of tenant's pipeline name (lock held). SL_OK or SL_ERR_NOMEM. */
int sl_controller_add_purge(sl_controller *c, const char *tenant, const char *name);

/* Number of tasks a tenant has desired now (for quotas; lock held). */
size_t sl_controller_tenant_tasks(const sl_controller *c, const char *tenant);

/* The tenant's task count once one of its pipelines goes from old_tasks
 * (what it counts now; 0 for none) to new_tasks: the quota check of every
 * path. Never below new_tasks, even when old_tasks is not in the count
 * (lock held). */
size_t sl_controller_tenant_tasks_replacing(const sl_controller *c, const char *tenant,
                                            size_t old_tasks, size_t new_tasks);

/* Parses spec_json as tenant's pipeline and resolves it into the tenant's
 * namespace. NULL with err (the spec error, step and position). */
sl_plan *sl_controller_resolve_plan(const char *tenant, const char *spec_json, size_t len,
                                    uint32_t state_epoch, sl_error *err);

#endif

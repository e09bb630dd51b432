/* sl_heartbeat_client — the worker's side of the cluster protocol
 * (proto/cluster.proto, docs/worker.md "Cluster mode"): the worker's plain-C
 * view of a Heartbeat and of an Assignment, their protobuf encoding and
 * decoding, and the HTTP client that POSTs a heartbeat to the controller and
 * returns its answer.
 *
 * The codec keeps protobuf-c out of the rest of the worker, and decoding
 * validates what the loop will rely on: tenant and pipeline names are
 * pipeline-name shaped ([a-z0-9][a-z0-9-]*, at most 63 characters) and purge
 * names are "<tenant>.<pipeline>", so nothing from the wire can name a path
 * outside the state directory.
 *
 * @locality: a client belongs to one thread (the cluster worker's loop); the
 * codec functions keep no state and are thread-safe. */
#ifndef SL_HEARTBEAT_CLIENT_H
#define SL_HEARTBEAT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/sl_buf.h"
#include "util/sl_error.h"

/* Tenant and pipeline names, NUL included. */
#define SL_CLUSTER_NAME_MAX 64
/* The longest last_error a heartbeat carries (longer ones are cut). */
#define SL_CLUSTER_ERROR_MAX 512

typedef struct sl_task_id {
    char tenant[SL_CLUSTER_NAME_MAX];
    char pipeline[SL_CLUSTER_NAME_MAX];
    uint32_t partition;
} sl_task_id;

/* What a worker reports of a task; the values are proto's TaskState. */
typedef enum sl_report_state {
    SL_REPORT_RESTORING = 1,
    SL_REPORT_RUNNING = 2,
    SL_REPORT_STOPPING = 3,
    SL_REPORT_FAILED = 5
} sl_report_state;

typedef struct sl_task_status {
    sl_task_id id;
    uint64_t pipeline_version;
    sl_report_state state;
    int64_t committed_offset; /* -1: none yet */
    int64_t lag;              /* -1: unknown */
    uint64_t messages_in, messages_out, errors;
    char last_error[SL_CLUSTER_ERROR_MAX];
} sl_task_status;

/* A heartbeat; everything borrowed by the encoder. */
typedef struct sl_heartbeat {
    const char *worker_id;
    uint32_t capacity;
    uint64_t generation_seen;
    const sl_task_status *tasks;
    size_t ntasks;
} sl_heartbeat;

typedef struct sl_task_assignment {
    sl_task_id id;
    uint64_t pipeline_version;
    uint32_t state_epoch;
    char *spec_json; /* NUL-terminated; spec_len bytes */
    size_t spec_len;
} sl_task_assignment;

/* A decoded Assignment; one owner, freed with sl_assignment_free. */
typedef struct sl_assignment {
    uint64_t generation;
    uint32_t lease_ms;              /* 0: not given */
    uint32_t heartbeat_interval_ms; /* 0: not given */
    sl_task_assignment *tasks;
    size_t ntasks;
    char *bootstrap_servers; /* NULL: not given */
    char **purge;            /* "<tenant>.<pipeline>" names */
    size_t npurge;
} sl_assignment;

/* Non-zero when s is a valid tenant or pipeline name ([a-z0-9][a-z0-9-]*,
 * 1..63 characters). */
int sl_cluster_name_valid(const char *s);

/* Non-zero when s is a valid purge name "<tenant>.<pipeline>". */
int sl_cluster_purge_name_valid(const char *s);

/* Non-zero when a and b name the same task (tenant, pipeline, partition). */
int sl_task_id_equal(const sl_task_id *a, const sl_task_id *b);

/* Non-zero when id is a task of pipeline qualified ("<tenant>.<pipeline>"). */
int sl_task_id_in_pipeline(const sl_task_id *id, const char *qualified);

/* The ordering rule: non-zero when an answer of generation may be applied
 * after last_applied (applied_any: whether anything was applied yet).
 * Equal generations apply (the same assignment again); lower ones do not. */
int sl_assignment_should_apply(uint64_t generation, uint64_t last_applied, int applied_any);

/* Encodes hb (borrowed) as a packed Heartbeat, replacing out's contents.
 * SL_ERR_NOMEM. */
int sl_heartbeat_encode(const sl_heartbeat *hb, sl_buf *out, sl_error *err);

/* Decodes and validates a packed Assignment. On SL_OK *out is a new
 * assignment (free with sl_assignment_free); SL_ERR_INVALID (not an
 * Assignment, a bad name, a task without id or spec) or SL_ERR_NOMEM leave
 * *out NULL. */
int sl_assignment_decode(const void *data, size_t len, sl_assignment **out, sl_error *err);

/* Frees an assignment; NULL is a no-op. */
void sl_assignment_free(sl_assignment *a);

typedef struct sl_heartbeat_client sl_heartbeat_client;

/* Returns a new client for POST <controller_url>/v1/cluster/heartbeat with
 * `Authorization: Bearer <token>` (both copied; the token is never logged).
 * NULL with err: SL_ERR_INVALID for a URL that is not http(s)://, an empty
 * token or one with control characters; SL_ERR_NOMEM. Free with
 * sl_heartbeat_client_destroy. */
sl_heartbeat_client *sl_heartbeat_client_create(const char *controller_url, const char *token,
                                                sl_error *err);

/* Frees the client (its reused libcurl handle); NULL is a no-op. */
void sl_heartbeat_client_destroy(sl_heartbeat_client *c);

/* Sends hb and waits at most timeout_ms for the answer. SL_OK: *out is the
 * decoded answer (new; free with sl_assignment_free). Otherwise *out is NULL
 * and err says why: SL_ERR_IO when the controller cannot be reached (no
 * answer: *http_status 0) or answered another status than 200 (*http_status
 * set), SL_ERR_INVALID for a 200 answer that does not decode, SL_ERR_NOMEM.
 * http_status may be NULL. */
int sl_heartbeat_client_send(sl_heartbeat_client *c, const sl_heartbeat *hb, int timeout_ms,
                             sl_assignment **out, int *http_status, sl_error *err);

#endif

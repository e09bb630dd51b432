/* sl_heartbeat_client — protobuf codec of the cluster protocol and the
 * libcurl client that carries it (see sl_heartbeat_client.h).
 *
 * One easy handle is kept for the client's life, so the connection to the
 * controller is reused between heartbeats (keep-alive) and a heartbeat costs
 * one request on an open socket. Every call has a hard timeout: a controller
 * that hangs must never hold up the worker's loop, which also guards the
 * lease. */
#include "runtime/sl_heartbeat_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cluster.pb-c.h"

/* sl_report_state values are proto's TaskState values. */
_Static_assert((int)SL_REPORT_RESTORING == (int)SLUICE__TASK_STATE__TASK_STATE_RESTORING,
               "report state");
_Static_assert((int)SL_REPORT_RUNNING == (int)SLUICE__TASK_STATE__TASK_STATE_RUNNING,
               "report state");
_Static_assert((int)SL_REPORT_STOPPING == (int)SLUICE__TASK_STATE__TASK_STATE_STOPPING,
               "report state");
_Static_assert((int)SL_REPORT_FAILED == (int)SLUICE__TASK_STATE__TASK_STATE_FAILED, "report state");

#define HEARTBEAT_PATH "/v1/cluster/heartbeat"
/* An answer larger than this is refused (a capacity of tasks, each with a
 * spec of at most the controller's body limit, fits easily). */
#define MAX_ANSWER_BYTES (64u << 20)
#define MAX_TASKS 100000

/* ---- names and rules ---------------------------------------------------- */

int sl_cluster_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n >= SL_CLUSTER_NAME_MAX || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int sl_cluster_purge_name_valid(const char *s)
{
    const char *dot = s ? strchr(s, '.') : NULL;
    char tenant[SL_CLUSTER_NAME_MAX];
    if (!dot || (size_t)(dot - s) >= sizeof(tenant))
        return 0;
    memcpy(tenant, s, (size_t)(dot - s));
    tenant[dot - s] = '\0';
    return sl_cluster_name_valid(tenant) && sl_cluster_name_valid(dot + 1);
}

int sl_task_id_equal(const sl_task_id *a, const sl_task_id *b)
{
    return a->partition == b->partition && strcmp(a->tenant, b->tenant) == 0 &&
           strcmp(a->pipeline, b->pipeline) == 0;
}

int sl_task_id_in_pipeline(const sl_task_id *id, const char *qualified)
{
    size_t tl = strlen(id->tenant);
    return strncmp(qualified, id->tenant, tl) == 0 && qualified[tl] == '.' &&
           strcmp(qualified + tl + 1, id->pipeline) == 0;
}

int sl_assignment_should_apply(uint64_t generation, uint64_t last_applied, int applied_any)
{
    return !applied_any || generation >= last_applied;
}

/* ---- encoding ----------------------------------------------------------- */

int sl_heartbeat_encode(const sl_heartbeat *hb, sl_buf *out, sl_error *err)
{
    int rc = SL_ERR_NOMEM;
    size_t n = hb->ntasks;
    Sluice__Heartbeat msg = SLUICE__HEARTBEAT__INIT;
    Sluice__TaskStatus *st = NULL, **stp = NULL;
    Sluice__TaskId *ids = NULL;

    if (n) {
        st = calloc(n, sizeof(*st));
        stp = calloc(n, sizeof(*stp));
        ids = calloc(n, sizeof(*ids));
        if (!st || !stp || !ids)
            goto out;
    }
    /* protobuf-c takes char * but only reads: the casts drop const for it. */
    msg.worker_id = (char *)(hb->worker_id ? hb->worker_id : "");
    msg.capacity = hb->capacity;
    msg.generation_seen = hb->generation_seen;
    for (size_t i = 0; i < n; i++) {
        const sl_task_status *t = &hb->tasks[i];
        sluice__task_id__init(&ids[i]);
        ids[i].tenant = (char *)t->id.tenant;
        ids[i].pipeline = (char *)t->id.pipeline;
        ids[i].partition = t->id.partition;
        sluice__task_status__init(&st[i]);
        st[i].id = &ids[i];
        st[i].pipeline_version = t->pipeline_version;
        st[i].state = (Sluice__TaskState)t->state;
        st[i].committed_offset = t->committed_offset;
        st[i].lag = t->lag;
        st[i].messages_in = t->messages_in;
        st[i].messages_out = t->messages_out;
        st[i].errors = t->errors;
        st[i].last_error = (char *)t->last_error;
        stp[i] = &st[i];
    }
    msg.n_tasks = n;
    msg.tasks = stp;
    size_t size = sluice__heartbeat__get_packed_size(&msg);
    sl_buf_reset(out);
    if (sl_buf_reserve(out, size) != SL_OK)
        goto out;
    out->len = sluice__heartbeat__pack(&msg, (uint8_t *)out->data);
    out->data[out->len] = '\0';
    rc = SL_OK;
out:
    if (rc != SL_OK)
        sl_error_set(err, rc, "out of memory encoding a heartbeat");
    free(st);
    free(stp);
    free(ids);
    return rc;
}

/* ---- decoding ----------------------------------------------------------- */

void sl_assignment_free(sl_assignment *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->ntasks; i++)
        free(a->tasks[i].spec_json);
    free(a->tasks);
    for (size_t i = 0; i < a->npurge; i++)
        free(a->purge[i]);
    free(a->purge);
    free(a->bootstrap_servers);
    free(a);
}

/* Copies and checks one TaskAssignment (index i, for messages). */
static int decode_task(const Sluice__TaskAssignment *in, size_t i, sl_task_assignment *out,
                       sl_error *err)
{
    const Sluice__TaskId *id = in->id;
    if (!id)
        return sl_error_set(err, SL_ERR_INVALID, "tasks[%zu]: no id", i);
    if (!sl_cluster_name_valid(id->tenant) || !sl_cluster_name_valid(id->pipeline))
        return sl_error_set(err, SL_ERR_INVALID, "tasks[%zu]: invalid tenant or pipeline name", i);
    if (id->partition > INT32_MAX)
        return sl_error_set(err, SL_ERR_INVALID, "tasks[%zu]: partition %u out of range", i,
                            (unsigned)id->partition);
    if (!in->spec_json || !*in->spec_json)
        return sl_error_set(err, SL_ERR_INVALID, "tasks[%zu]: no spec_json", i);
    snprintf(out->id.tenant, sizeof(out->id.tenant), "%s", id->tenant);
    snprintf(out->id.pipeline, sizeof(out->id.pipeline), "%s", id->pipeline);
    out->id.partition = id->partition;
    out->pipeline_version = in->pipeline_version;
    out->state_epoch = in->state_epoch;
    out->spec_len = strlen(in->spec_json);
    out->spec_json = strdup(in->spec_json);
    if (!out->spec_json)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    return SL_OK;
}

int sl_assignment_decode(const void *data, size_t len, sl_assignment **out, sl_error *err)
{
    int rc = SL_ERR_NOMEM;
    sl_assignment *a = NULL;
    Sluice__Assignment *m = sluice__assignment__unpack(NULL, len, data);
    *out = NULL;
    if (!m)
        return sl_error_set(err, SL_ERR_INVALID, "the answer is not an Assignment message");
    if (m->n_tasks > MAX_TASKS) {
        rc = sl_error_set(err, SL_ERR_INVALID, "%zu tasks in one assignment", m->n_tasks);
        goto fail;
    }
    a = calloc(1, sizeof(*a));
    if (!a)
        goto nomem;
    a->generation = m->generation;
    a->lease_ms = m->lease_ms;
    a->heartbeat_interval_ms = m->heartbeat_interval_ms;
    if (m->n_tasks && !(a->tasks = calloc(m->n_tasks, sizeof(*a->tasks))))
        goto nomem;
    for (size_t i = 0; i < m->n_tasks; i++) {
        /* decode_task allocates last, so a failed task holds nothing */
        if ((rc = decode_task(m->tasks[i], i, &a->tasks[a->ntasks], err)) != SL_OK)
            goto fail;
        a->ntasks++;
        for (size_t j = 0; j + 1 < a->ntasks; j++)
            if (sl_task_id_equal(&a->tasks[j].id, &a->tasks[a->ntasks - 1].id)) {
                rc = sl_error_set(err, SL_ERR_INVALID, "tasks[%zu]: %s/%s/%u assigned twice", i,
                                  a->tasks[j].id.tenant, a->tasks[j].id.pipeline,
                                  (unsigned)a->tasks[j].id.partition);
                goto fail;
            }
    }
    if (m->bootstrap_servers && *m->bootstrap_servers &&
        !(a->bootstrap_servers = strdup(m->bootstrap_servers)))
        goto nomem;
    if (m->n_purge && !(a->purge = calloc(m->n_purge, sizeof(*a->purge))))
        goto nomem;
    for (size_t i = 0; i < m->n_purge; i++) {
        if (!sl_cluster_purge_name_valid(m->purge[i])) {
            rc = sl_error_set(err, SL_ERR_INVALID, "purge[%zu]: not a '<tenant>.<pipeline>' name",
                              i);
            goto fail;
        }
        if (!(a->purge[i] = strdup(m->purge[i])))
            goto nomem;
        a->npurge++;
    }
    sluice__assignment__free_unpacked(m, NULL);
    *out = a;
    return SL_OK;
nomem:
    rc = sl_error_set(err, SL_ERR_NOMEM, "out of memory decoding an assignment");
fail:
    sluice__assignment__free_unpacked(m, NULL);
    sl_assignment_free(a);
    return rc;
}

/* ---- the HTTP client ---------------------------------------------------- */

struct sl_heartbeat_client {
    CURL *curl;
    char *url;
    struct curl_slist *headers;
    sl_buf request;
    sl_buf answer;
    int answer_too_big;
    char curl_error[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* libcurl's global state, set up once for the process (never cleaned up:
 * other threads may still use libcurl when a client is destroyed). */
static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_answer(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sl_heartbeat_client *c = ud;
    size_t n = size * nmemb;
    if (c->answer.len + n > MAX_ANSWER_BYTES) {
        c->answer_too_big = 1;
        return 0; /* aborts the transfer */
    }
    return sl_buf_append(&c->answer, ptr, n) == SL_OK ? n : 0;
}

void sl_heartbeat_client_destroy(sl_heartbeat_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    if (c->url)
        memset(c->url, 0, strlen(c->url));
    free(c->url);
    sl_buf_free(&c->request);
    sl_buf_free(&c->answer);
    free(c);
}

static int token_valid(const char *token)
{
    if (!token || !*token)
        return 0;
    for (const unsigned char *p = (const unsigned char *)token; *p; p++)
        if (*p < 0x21 || *p == 0x7f)
            return 0;
    return 1;
}

sl_heartbeat_client *sl_heartbeat_client_create(const char *controller_url, const char *token,
                                                sl_error *err)
{
    sl_heartbeat_client *c = NULL;
    struct curl_slist *h;
    char *auth = NULL;

    if (!controller_url || (strncmp(controller_url, "http://", 7) != 0 &&
                            strncmp(controller_url, "https://", 8) != 0)) {
        sl_error_set(err, SL_ERR_INVALID, "--controller takes an http:// or https:// URL, got '%s'",
                     controller_url ? controller_url : "");
        return NULL;
    }
    if (!token_valid(token)) {
        sl_error_set(err, SL_ERR_INVALID,
                     "the worker token is empty or has spaces or control characters");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        sl_error_set(err, SL_ERR_IO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        goto nomem;
    size_t n = strlen(controller_url);
    while (n > 0 && controller_url[n - 1] == '/')
        n--;
    c->url = malloc(n + sizeof(HEARTBEAT_PATH));
    size_t alen = strlen("Authorization: Bearer ") + strlen(token) + 1;
    auth = malloc(alen);
    if (!c->url || !auth)
        goto nomem;
    memcpy(c->url, controller_url, n);
    memcpy(c->url + n, HEARTBEAT_PATH, sizeof(HEARTBEAT_PATH));
    snprintf(auth, alen, "Authorization: Bearer %s", token);
    const char *hdrs[] = {auth, "Content-Type: application/x-protobuf",
                          "Accept: application/x-protobuf", "Expect:"};
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        if (!(h = curl_slist_append(c->headers, hdrs[i])))
            goto nomem;
        c->headers = h;
    }
    memset(auth, 0, alen);
    free(auth);
    auth = NULL;
    if (!(c->curl = curl_easy_init()))
        goto nomem;
    curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curl_error);
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L); /* never send the token elsewhere */
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "sluice-worker/" SLUICE_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    return c;
nomem:
    if (auth)
        free(auth);
    sl_heartbeat_client_destroy(c);
    sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    return NULL;
}

/* A printable excerpt of an error answer, for the log. */
static void answer_excerpt(const sl_buf *b, char *out, size_t size)
{
    size_t j = 0;
    for (size_t i = 0; i < b->len && j + 1 < size && i < 200; i++) {
        unsigned char ch = (unsigned char)b->data[i];
        out[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
    }
    out[j] = '\0';
}

int sl_heartbeat_client_send(sl_heartbeat_client *c, const sl_heartbeat *hb, int timeout_ms,
                             sl_assignment **out, int *http_status, sl_error *err)
{
    long status = 0;
    int rc;
    *out = NULL;
    if (http_status)
        *http_status = 0;
    if ((rc = sl_heartbeat_encode(hb, &c->request, err)) != SL_OK)
        return rc;
    sl_buf_reset(&c->answer);
    c->answer_too_big = 0;
    c->curl_error[0] = '\0';
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, c->request.len ? c->request.data : "");
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)c->request.len);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 2000));
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(timeout_ms > 0 ? timeout_ms : 2000));
    CURLcode cc = curl_easy_perform(c->curl);
    if (cc != CURLE_OK) {
        if (c->answer_too_big)
            return sl_error_set(err, SL_ERR_INVALID, "the controller's answer passes %u bytes",
                                MAX_ANSWER_BYTES);
        return sl_error_set(err, SL_ERR_IO, "%s",
                            c->curl_error[0] ? c->curl_error : curl_easy_strerror(cc));
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (http_status)
        *http_status = (int)status;
    if (status != 200) {
        char excerpt[201];
        answer_excerpt(&c->answer, excerpt, sizeof(excerpt));
        return sl_error_set(err, SL_ERR_IO, "HTTP %ld%s%s", status, excerpt[0] ? ": " : "",
                            excerpt);
    }
    return sl_assignment_decode(c->answer.data ? c->answer.data : "", c->answer.len, out, err);
}

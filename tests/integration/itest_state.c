/* Integration: state on the broker named by SLUICE_TEST_BOOTSTRAP.
 *
 *  - restore rules, driven directly through the runtime's restore
 *    (sl_task_state_restore) on a hand-written changelog: the skip rule
 *    (records of never-committed input), incremental restore from the stored
 *    changelog offset, the local-ahead rule (wipe and rebuild), a fresh
 *    directory restored from the changelog only;
 *  - a 10 s tumbling window (count and sum per key) run by sluice-worker,
 *    killed with -9 between input phases and restarted with the state
 *    directory kept and deleted, at-least-once and exactly-once; the results
 *    are compared with what an uninterrupted run must produce;
 *  - a clean stop, state directory deleted, restart: the windows that span
 *    the restart come out right, so their state came from the changelog;
 *  - transactions fence a zombie producer;
 *  - a restore ends at the changelog's last stable offset when an open
 *    transaction holds the end back (it never waits for the high watermark).
 *
 * Every run uses fresh topics, pipeline names and state directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/sl_state.h"
#include "kafka/sl_pipeline_topics.h"
#include "runtime/sl_task_state.h"
#include "spec/sl_spec.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#include "sl_test_env.h"
#include "sl_test_proc.h"
#include "sl_test_topic.h"

static int embedded(void)
{
    return strcmp(sl_test_broker_kind(), "embedded") == 0;
}

/* The embedded broker (librdkafka's mock cluster) accepts transactional
 * calls but neither stores offsets sent to a transaction nor fences an older
 * producer: exactly-once needs a real broker. */
static int skip_without_transactions(void)
{
    if (!embedded())
        return 0;
    fprintf(stderr, "itest_state: skipped: the embedded broker does not implement Kafka "
                    "transactions (offsets in transactions, fencing); run on real Kafka\n");
    return 1;
}

static void rm_rf(const char *dir)
{
    assert_int_equal(sl_state_destroy_dir(dir, NULL), 0);
}

/* ---- restore rules, through the runtime's restore ---------------------- */

static void send_cl(sl_producer *p, const char *topic, const char *key, const char *val, long h)
{
    unsigned char k[64];
    size_t kl;
    char hv[24];
    sl_error err;
    assert_int_equal(sl_state_changelog_key_encode(1, key, strlen(key), k, sizeof(k), &kl), 0);
    int hl = snprintf(hv, sizeof(hv), "%ld", h);
    sl_header hdr = {SL_CHANGELOG_OFFSET_HEADER, hv, (size_t)hl};
    assert_int_equal(sl_producer_send(p, topic, 0, k, kl, val, val ? strlen(val) : 0, 0, &hdr, 1,
                                      &err),
                     SL_OK);
}

static void expect_key(sl_state *s, const char *key, const char *want)
{
    const void *v = NULL;
    size_t len = 0;
    int rc = sl_state_get(s, 1, key, strlen(key), &v, &len, NULL);
    if (!want) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
}

typedef struct restore_fixture {
    sl_plan *plan;
    sl_worker_config cfg;
    sl_task task;
    char dir[256];
    char topic[256];
} restore_fixture;

static void restore_setup(restore_fixture *f)
{
    char name[64], spec[512];
    sl_error err;
    memset(f, 0, sizeof(*f));
    sl_test_topic_name(name, sizeof(name), "strestore");
    snprintf(spec, sizeof(spec),
             "{\"name\": \"%s\", \"input\": {\"topic\": \"%s-in\"}, \"steps\": ["
             "{\"op\": \"aggregate\", \"aggregate\": {\"n\": \"count()\"}}]}",
             name, name);
    f->plan = sl_plan_parse(spec, strlen(spec), &err);
    if (!f->plan)
        fail_msg("spec: %s", err.msg);
    snprintf(f->dir, sizeof(f->dir), "/tmp/%s-state", name);
    f->cfg.bootstrap = sl_test_bootstrap();
    f->cfg.state_dir = f->dir;
    f->task.plan = f->plan;
    f->task.partition = 0;
    snprintf(f->task.label, sizeof(f->task.label), "%s/0", name);
    sl_pipeline_changelog_topic(f->plan, f->topic, sizeof(f->topic));
    assert_int_equal(sl_test_create_topic(sl_test_bootstrap(), f->topic, 1), SL_OK);
}

static void restore(restore_fixture *f, int64_t committed)
{
    sl_error err;
    sl_task_state_close(&f->task);
    if (sl_task_state_restore(&f->task, &f->cfg, committed, NULL, &err) != SL_OK)
        fail_msg("restore: %s", err.msg);
}

static void test_restore_rules(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    restore_fixture f;
    sl_error err;
    restore_setup(&f);
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), NULL, &err);
    assert_non_null(p);
    /* Checkpoints at input offsets 5 and 10 were committed; the one at 20
     * was flushed but its commit never happened (crash). */
    send_cl(p, f.topic, "k1", "a", 5);
    send_cl(p, f.topic, "k2", "b", 5);
    send_cl(p, f.topic, "k3", "x", 8);
    send_cl(p, f.topic, "k3", NULL, 10); /* deletion */
    send_cl(p, f.topic, "k1", "c", 20);
    send_cl(p, f.topic, "k4", "d", 20);
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);

    /* A new node (empty directory), committed input offset 10. */
    restore(&f, 10);
    expect_key(f.task.store, "k1", "a"); /* the uncommitted "c" is skipped */
    expect_key(f.task.store, "k2", "b");
    expect_key(f.task.store, "k3", NULL);
    expect_key(f.task.store, "k4", NULL);
    assert_int_equal(sl_state_input_offset(f.task.store), 10);
    assert_int_equal(sl_state_changelog_offset(f.task.store), 6);
    assert_int_equal(sl_state_restored_count(f.task.store), 4);

    /* The reprocessing run checkpoints at 15: restore from the stored
     * changelog offset reads only the new records. */
    send_cl(p, f.topic, "k1", "e", 15);
    send_cl(p, f.topic, "k5", "f", 15);
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);
    restore(&f, 15);
    assert_int_equal(sl_state_restored_count(f.task.store), 2); /* incremental */
    expect_key(f.task.store, "k1", "e");
    expect_key(f.task.store, "k5", "f");
    expect_key(f.task.store, "k4", NULL);
    assert_int_equal(sl_state_changelog_offset(f.task.store), 8);

    /* Local store ahead of the committed offset (crash between the RocksDB
     * write and the Kafka commit): wiped and rebuilt from the beginning. */
    assert_int_equal(sl_state_put(f.task.store, 1, "junk", 4, "j", 1, NULL), 0);
    assert_int_equal(sl_state_checkpoint_commit(f.task.store, 99, 8, NULL), 0);
    restore(&f, 15);
    expect_key(f.task.store, "junk", NULL);
    expect_key(f.task.store, "k1", "e");
    expect_key(f.task.store, "k2", "b");
    expect_key(f.task.store, "k3", NULL);
    expect_key(f.task.store, "k4", NULL); /* h=20 > 15: still skipped */
    expect_key(f.task.store, "k5", "f");
    assert_int_equal(sl_state_restored_count(f.task.store), 6);
    assert_int_equal(sl_state_input_offset(f.task.store), 15);

    /* Nothing committed at all: every record is skipped. */
    sl_task_state_close(&f.task);
    rm_rf(f.dir);
    restore(&f, -1);
    expect_key(f.task.store, "k1", NULL);
    expect_key(f.task.store, "k2", NULL);
    assert_int_equal(sl_state_restored_count(f.task.store), 0);

    sl_task_state_close(&f.task);
    sl_producer_destroy(p);
    rm_rf(f.dir);
    sl_plan_free(f.plan);
}

/* ---- windows through sluice-worker ---------------------------------------- */

#define NKEYS 10
#define STEP_MS 100 /* message i has timestamp BASE + i * STEP_MS; key i % NKEYS */
#define WINDOW_MS 10000
#define MAX_WINDOWS 64
#define FLUSH_AFTER_MS (100LL * WINDOW_MS) /* the window-closing messages, after BASE */

/* BASE: the event time of message 0, a window boundary FLUSH_AFTER_MS
 * before the test started, so that every timestamp of the run (inputs, and
 * the window results, which carry their window's start) is recent. A fixed
 * date in the past is not an option: a real broker's time-based retention
 * (7 days by default, checked every 5 minutes and 30 s after start) deletes
 * every segment whose newest timestamp is older, the active one included —
 * inputs vanished under a running worker ("offset reset ... Offset out of
 * range") and results under the reader, in whichever run met the check. */
static int64_t base_ts(void)
{
    static int64_t base;
    if (!base) {
        base = sl_clock_wall_ms() - FLUSH_AFTER_MS;
        base -= base % WINDOW_MS;
    }
    return base;
}

/* The index of the window that starts at start (0: the one at BASE). */
static int window_index(int64_t start)
{
    return (int)((start - base_ts()) / WINDOW_MS);
}

typedef struct win_run {
    char name[96], input[128], output[128], spec[256], state_dir[256], bin[512];
    int exactly_once;
    const char *commit_interval_ms; /* --commit-interval-ms of the worker */
} win_run;

static void win_setup(win_run *w, const char *prefix, int exactly_once)
{
    char tmp[64];
    memset(w, 0, sizeof(*w));
    sl_test_topic_name(tmp, sizeof(tmp), prefix);
    snprintf(w->name, sizeof(w->name), "%s", tmp);
    snprintf(w->input, sizeof(w->input), "%s-in", w->name);
    snprintf(w->output, sizeof(w->output), "%s-out", w->name);
    snprintf(w->spec, sizeof(w->spec), "/tmp/%s.json", w->name);
    snprintf(w->state_dir, sizeof(w->state_dir), "/tmp/%s-state", w->name);
    w->exactly_once = exactly_once;
    w->commit_interval_ms = "200";
    FILE *f = fopen(w->spec, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"name\": \"%s\", \"input\": {\"topic\": \"%s\", \"value_format\": \"json\"},\n"
            " \"steps\": [\n"
            "  {\"op\": \"tumbling_window\", \"size\": \"10s\",\n"
            "   \"aggregate\": {\"n\": \"count()\", \"s\": \"sum(v)\"}, \"emit\": \"final\"},\n"
            "  {\"op\": \"to_topic\", \"topic\": \"%s\"}\n"
            " ], \"guarantee\": \"%s\"}\n",
            w->name, w->input, w->output, exactly_once ? "exactly-once" : "at-least-once");
    fclose(f);
    sl_test_bin(w->bin, sizeof(w->bin), "sluice-worker");
    assert_int_equal(sl_test_create_topic(sl_test_bootstrap(), w->input, 2), SL_OK);
}

static pid_t win_start(win_run *w)
{
    char *argv[] = {w->bin,
                    "--standalone",
                    "-f",
                    w->spec,
                    "--bootstrap-servers",
                    (char *)sl_test_bootstrap(),
                    "--commit-interval-ms",
                    (char *)w->commit_interval_ms,
                    "--state-dir",
                    w->state_dir,
                    NULL};
    pid_t pid = sl_test_spawn(argv, NULL);
    assert_true(pid > 0);
    return pid;
}

/* Produces messages [from, to) (value {"v": i}); with flush, one more
 * message per key far in the future, which closes every earlier window. */
static void win_produce(const win_run *w, int from, int to, int flush)
{
    sl_error err;
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), NULL, &err);
    assert_non_null(p);
    for (int i = from; i < to; i++) {
        char key[16], val[64];
        int kl = snprintf(key, sizeof(key), "k%d", i % NKEYS);
        int vl = snprintf(val, sizeof(val), "{\"v\": %d}", i);
        assert_int_equal(sl_producer_send(p, w->input, -1, key, (size_t)kl, val, (size_t)vl,
                                          base_ts() + (int64_t)i * STEP_MS, NULL, 0, &err),
                         SL_OK);
    }
    for (int k = 0; flush && k < NKEYS; k++) {
        char key[16];
        int kl = snprintf(key, sizeof(key), "k%d", k);
        assert_int_equal(sl_producer_send(p, w->input, -1, key, (size_t)kl, "{\"v\": 0}", 8,
                                          base_ts() + FLUSH_AFTER_MS, NULL, 0, &err),
                         SL_OK);
    }
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);
    sl_producer_destroy(p);
}

/* What an uninterrupted run emits for messages [0, total): per key and
 * window index, the count and the sum of v. */
typedef struct win_expect {
    long n[NKEYS][MAX_WINDOWS];
    long s[NKEYS][MAX_WINDOWS];
    int seen[NKEYS][MAX_WINDOWS];
} win_expect;

static void win_expected(win_expect *e, int total)
{
    memset(e, 0, sizeof(*e));
    for (int i = 0; i < total; i++) {
        int64_t ts = base_ts() + (int64_t)i * STEP_MS;
        int wi = window_index(ts - ts % WINDOW_MS);
        assert_true(wi >= 0 && wi < MAX_WINDOWS);
        e->n[i % NKEYS][wi]++;
        e->s[i % NKEYS][wi] += i;
    }
}

/* Checks every result against e: a result for a window that has no
 * messages, or with another count or sum, fails. Counts appearances. */
static void win_check(const sl_test_records *rs, win_expect *e)
{
    for (size_t k = 0; k < rs->count; k++) {
        const sl_test_record *r = &rs->items[k];
        int key = -1;
        long long start = -1;
        long n = -1;
        double sum = -1;
        assert_non_null(r->key);
        assert_non_null(r->value);
        assert_int_equal(sscanf(r->key, "k%d", &key), 1);
        const char *ps = strstr(r->value, "\"start\":");
        const char *pn = strstr(r->value, "\"n\":");
        const char *pv = strstr(r->value, "\"s\":");
        assert_non_null(ps);
        assert_non_null(pn);
        assert_non_null(pv);
        sscanf(ps + 8, "%lld", &start);
        sscanf(pn + 4, "%ld", &n);
        sscanf(pv + 4, "%lf", &sum);
        int wi = window_index(start);
        assert_true(key >= 0 && key < NKEYS && wi >= 0 && wi < MAX_WINDOWS);
        if (e->n[key][wi] == 0)
            fail_msg("result for an empty window: %s %s", r->key, r->value);
        if (n != e->n[key][wi] || (long)sum != e->s[key][wi])
            fail_msg("wrong aggregate for %s: %s (want n=%ld s=%ld)", r->key, r->value,
                     e->n[key][wi], e->s[key][wi]);
        e->seen[key][wi]++;
    }
}

static size_t win_expected_results(const win_expect *e)
{
    size_t n = 0;
    for (int k = 0; k < NKEYS; k++)
        for (int wi = 0; wi < MAX_WINDOWS; wi++)
            n += e->n[k][wi] > 0;
    return n;
}

/* Reads the output until every expected result is there (20 rounds at
 * most), checks every record, and asserts each appears exactly once
 * (exactly-once) or at least once (at-least-once). */
static void win_verify(const win_run *w, int total)
{
    static win_expect e;
    win_expected(&e, total);
    size_t want = win_expected_results(&e), missing = want;
    sl_test_records rs = {0};
    for (int attempt = 0; attempt < 20 && missing; attempt++) {
        sl_test_records_free(&rs);
        sl_test_read_topic_iso(sl_test_bootstrap(), w->output, want, 2000, 30000,
                               "read_committed", &rs);
        memset(e.seen, 0, sizeof(e.seen));
        win_check(&rs, &e);
        missing = 0;
        for (int k = 0; k < NKEYS; k++)
            for (int wi = 0; wi < MAX_WINDOWS; wi++)
                missing += e.n[k][wi] > 0 && e.seen[k][wi] == 0;
    }
    size_t dups = 0;
    for (int k = 0; k < NKEYS; k++)
        for (int wi = 0; wi < MAX_WINDOWS; wi++)
            dups += e.seen[k][wi] > 1 ? (size_t)(e.seen[k][wi] - 1) : 0;
    fprintf(stderr, "itest_state: %s: %zu results expected, %zu read, %zu missing, %zu repeated\n",
            w->name, want, rs.count, missing, dups);
    assert_int_equal(missing, 0);
    if (w->exactly_once)
        assert_int_equal(dups, 0);
    sl_test_records_free(&rs);
}

/* Waits until the output has at least n records (read_uncommitted: just a
 * sign of progress). */
static void win_wait_output(const win_run *w, size_t n)
{
    sl_test_records rs = {0};
    sl_test_read_topic_iso(sl_test_bootstrap(), w->output, n, 300, 30000, "read_uncommitted", &rs);
    sl_test_records_free(&rs);
}

/* Waits until the worker has processed and committed all of its input:
 * the committed offset of every input partition (group sluice.<name>)
 * equals the partition's end. Fails after timeout_ms. */
static void win_wait_committed(const win_run *w, int partitions, int timeout_ms)
{
    char group[160];
    sl_error err;
    snprintf(group, sizeof(group), "sluice.%s", w->name);
    sl_consumer *c = sl_consumer_create(sl_test_bootstrap(), group, NULL, &err);
    assert_non_null(c);
    int done = 0;
    for (int waited = 0; !done && waited < timeout_ms; waited += 100) {
        done = 1;
        for (int p = 0; p < partitions && done; p++) {
            int64_t committed = -1, low = 0, high = 0;
            done = sl_consumer_committed(c, w->input, p, 5000, &committed, &err) == SL_OK &&
                   sl_consumer_watermarks(c, w->input, p, 5000, &low, &high, &err) == SL_OK &&
                   committed == high;
        }
        if (!done)
            sl_test_sleep_ms(100);
    }
    sl_consumer_destroy(c);
    if (!done)
        fail_msg("%s: the worker did not commit all of its input within %d ms", w->name,
                 timeout_ms);
}

/* kill -9 while the second phase is being processed, restart (state
 * directory kept or deleted), third phase, compare. */
static void kill9_scenario(int exactly_once, int keep_dir)
{
    if (!sl_test_bootstrap() || (exactly_once && skip_without_transactions()))
        skip();
    win_run w;
    win_setup(&w, exactly_once ? (keep_dir ? "steok" : "steod") : (keep_dir ? "stalk" : "stald"),
              exactly_once);
    const int p1 = 1000, p2 = 2000, total = 3000;
    /* Checkpoints every second: phase 2 is most likely processed (state
     * changed, outputs and changelog records produced) but not committed
     * when the kill comes — the case the restore rules are for. */
    w.commit_interval_ms = "1000";
    win_produce(&w, 0, p1, 0);
    pid_t pid = win_start(&w);
    win_wait_output(&w, 50); /* windows closed: phase 1 is being processed */
    sl_test_sleep_ms(1500);  /* a checkpoint commits it */
    win_produce(&w, p1, p2, 0);
    sl_test_sleep_ms(300);
    kill(pid, SIGKILL);
    assert_int_equal(sl_test_wait(pid, 10000), 128 + SIGKILL);
    if (!keep_dir)
        rm_rf(w.state_dir);
    pid = win_start(&w);
    win_produce(&w, p2, total, 1);
    win_verify(&w, total);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 30000), 0);
    rm_rf(w.state_dir);
    remove(w.spec);
}

static void test_kill9_keep_dir_at_least_once(void **state)
{
    (void)state;
    kill9_scenario(0, 1);
}

static void test_kill9_delete_dir_at_least_once(void **state)
{
    (void)state;
    kill9_scenario(0, 0);
}

static void test_kill9_keep_dir_exactly_once(void **state)
{
    (void)state;
    kill9_scenario(1, 1);
}

static void test_kill9_delete_dir_exactly_once(void **state)
{
    (void)state;
    kill9_scenario(1, 0);
}

/* Clean stop in the middle of windows, state directory deleted: the
 * restarted task has nothing but the changelog, and the windows that span
 * the restart still come out exactly right, once each. */
static void test_fresh_dir_restored_from_changelog(void **state)
{
    (void)state;
    if (!sl_test_bootstrap())
        skip();
    win_run w;
    win_setup(&w, "stfresh", 0);
    win_produce(&w, 0, 1005, 0); /* stops 0.5 s into a window of every key */
    pid_t pid = win_start(&w);
    /* Every input is processed and committed before the stop, so that the
     * windows still open are exactly those the comment above names. */
    win_wait_committed(&w, 2, 60000);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 30000), 0);
    rm_rf(w.state_dir);
    /* The changelog holds the open windows' state. */
    sl_test_records cl = {0};
    char cl_topic[256];
    snprintf(cl_topic, sizeof(cl_topic), "%s.changelog", w.name);
    sl_test_read_topic(sl_test_bootstrap(), cl_topic, NKEYS, 1000, 20000, &cl);
    assert_true(cl.count >= NKEYS);
    assert_non_null(sl_test_header(&cl.items[0], SL_CHANGELOG_OFFSET_HEADER));
    sl_test_records_free(&cl);

    pid = win_start(&w);
    win_produce(&w, 1005, 2000, 1);
    win_verify(&w, 2000);
    /* A clean stop never repeats a result either. */
    sl_test_records rs = {0};
    static win_expect e;
    win_expected(&e, 2000);
    sl_test_read_topic(sl_test_bootstrap(), w.output, win_expected_results(&e), 1000, 20000, &rs);
    win_check(&rs, &e);
    for (int k = 0; k < NKEYS; k++)
        for (int wi = 0; wi < MAX_WINDOWS; wi++)
            assert_true(e.seen[k][wi] == (e.n[k][wi] > 0 ? 1 : 0));
    sl_test_records_free(&rs);
    assert_int_equal(sl_test_stop(pid, SIGTERM, 30000), 0);
    rm_rf(w.state_dir);
    remove(w.spec);
}

/* ---- transactions fence a zombie ------------------------------------------ */

/* Starts a worker for w on state_dir with its stderr in log_path. */
static pid_t win_start_logged(const win_run *w, const char *state_dir, const char *log_path)
{
    char cmd[3072];
    snprintf(cmd, sizeof(cmd),
             "exec '%s' --standalone -f '%s' --bootstrap-servers '%s' --commit-interval-ms 200 "
             "--state-dir '%s' 2>'%s'",
             w->bin, w->spec, sl_test_bootstrap(), state_dir, log_path);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    pid_t pid = sl_test_spawn(argv, NULL);
    assert_true(pid > 0);
    return pid;
}

/* How often needle occurs in the file at path. */
static int count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

static int wait_in_file(const char *path, const char *needle, int times, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (count_in_file(path, needle) >= times)
            return 1;
        sl_test_sleep_ms(100);
    }
    return 0;
}

/* Two workers run the same exactly-once pipeline (a zombie that did not
 * notice it was replaced): the newer one fences the older one, whose tasks
 * stop loudly, and the outputs still hold every result exactly once. */
static void test_worker_zombie_fenced(void **state)
{
    (void)state;
    if (!sl_test_bootstrap() || skip_without_transactions())
        skip();
    win_run w;
    char dir_b[300], log_a[300], log_b[300];
    win_setup(&w, "stzomb", 1);
    snprintf(dir_b, sizeof(dir_b), "%s-b", w.state_dir);
    snprintf(log_a, sizeof(log_a), "/tmp/%s-a.log", w.name);
    snprintf(log_b, sizeof(log_b), "/tmp/%s-b.log", w.name);
    win_produce(&w, 0, 1000, 0);
    pid_t a = win_start_logged(&w, w.state_dir, log_a);
    win_wait_output(&w, 50);
    sl_test_sleep_ms(700);
    pid_t b = win_start_logged(&w, dir_b, log_b);
    assert_true(wait_in_file(log_b, "state restored:", 2, 60000)); /* both tasks */
    win_produce(&w, 1000, 2000, 1);
    win_verify(&w, 2000);
    /* The zombie tried to commit the second phase and was refused. */
    assert_true(wait_in_file(log_a, "fenced", 1, 30000));
    assert_true(count_in_file(log_a, "task failed and stops") >= 1);
    assert_int_equal(count_in_file(log_b, "task failed and stops"), 0);
    sl_test_stop(a, SIGTERM, 30000);
    assert_int_equal(sl_test_stop(b, SIGTERM, 30000), 0);
    rm_rf(w.state_dir);
    rm_rf(dir_b);
    remove(log_a);
    remove(log_b);
    remove(w.spec);
}

static sl_producer *txn_producer(const char *id)
{
    sl_error err;
    sl_kafka_props props = {0};
    sl_kafka_props_add(&props, "transactional.id", id, &err);
    sl_kafka_props_add(&props, "message.timeout.ms", "20000", &err);
    sl_kafka_props_add(&props, "transaction.timeout.ms", "30000", &err);
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), &props, &err);
    sl_kafka_props_clear(&props);
    assert_non_null(p);
    rd_kafka_error_t *e = rd_kafka_init_transactions(sl_producer_handle(p), 30000);
    if (e)
        fail_msg("init_transactions: %s", rd_kafka_error_string(e));
    return p;
}

static void test_txn_fences_zombie(void **state)
{
    (void)state;
    if (!sl_test_bootstrap() || skip_without_transactions())
        skip();
    char topic[96], id[128];
    sl_error err;
    sl_test_topic_name(topic, sizeof(topic), "stfence");
    snprintf(id, sizeof(id), "sluice.%s.0", topic);
    assert_int_equal(sl_test_create_topic(sl_test_bootstrap(), topic, 1), SL_OK);

    sl_producer *old = txn_producer(id);
    assert_null(rd_kafka_begin_transaction(sl_producer_handle(old)));
    assert_int_equal(sl_producer_send(old, topic, 0, "k", 1, "zombie", 6, 0, NULL, 0, &err), 0);
    rd_kafka_flush(sl_producer_handle(old), 10000);

    /* The task starts elsewhere with the same transactional.id. */
    sl_producer *cur = txn_producer(id);
    rd_kafka_error_t *e = rd_kafka_commit_transaction(sl_producer_handle(old), 10000);
    assert_non_null(e); /* fenced: the zombie cannot commit */
    fprintf(stderr, "itest_state: zombie commit refused: %s (fatal=%d)\n",
            rd_kafka_error_string(e), rd_kafka_error_is_fatal(e));
    rd_kafka_error_destroy(e);

    assert_null(rd_kafka_begin_transaction(sl_producer_handle(cur)));
    assert_int_equal(sl_producer_send(cur, topic, 0, "k", 1, "current", 7, 0, NULL, 0, &err), 0);
    assert_null(rd_kafka_commit_transaction(sl_producer_handle(cur), 30000));

    sl_test_records rs = {0};
    sl_test_read_topic_iso(sl_test_bootstrap(), topic, 1, 1500, 20000, "read_committed", &rs);
    assert_int_equal(rs.count, 1);
    assert_string_equal(rs.items[0].value, "current");
    sl_test_records_free(&rs);
    sl_producer_destroy(old);
    sl_producer_destroy(cur);
}

/* A changelog whose end is held back by an open transaction (a producer
 * that died mid-transaction and was not fenced yet): the restore reads with
 * read_committed up to the last stable offset and ends there at once,
 * rather than waiting for the high watermark until the transaction times
 * out; the uncommitted record is not applied. */
static void test_restore_ends_at_lso(void **state)
{
    (void)state;
    if (!sl_test_bootstrap() || skip_without_transactions())
        skip();
    restore_fixture f;
    sl_error err;
    char id[300];
    restore_setup(&f);
    sl_producer *p = sl_producer_create(sl_test_bootstrap(), NULL, &err);
    assert_non_null(p);
    send_cl(p, f.topic, "k1", "a", 5);
    send_cl(p, f.topic, "k2", "b", 5);
    assert_int_equal(sl_producer_flush(p, 30000, &err), SL_OK);
    snprintf(id, sizeof(id), "itest.%s", f.topic);
    sl_producer *open_txn = txn_producer(id);
    assert_null(rd_kafka_begin_transaction(sl_producer_handle(open_txn)));
    send_cl(open_txn, f.topic, "k3", "pending", 5);
    assert_int_equal(sl_producer_flush(open_txn, 30000, &err), SL_OK);

    int64_t t0 = sl_clock_mono_ms();
    restore(&f, 10);
    long ms = (long)(sl_clock_mono_ms() - t0);
    fprintf(stderr, "itest_state: restore with an open transaction took %ld ms\n", ms);
    assert_true(ms < 10000); /* the transaction times out only after 30 s */
    expect_key(f.task.store, "k1", "a");
    expect_key(f.task.store, "k2", "b");
    expect_key(f.task.store, "k3", NULL);
    assert_int_equal(sl_state_changelog_offset(f.task.store), 2); /* the LSO */

    assert_null(rd_kafka_abort_transaction(sl_producer_handle(open_txn), 30000));
    sl_producer_destroy(open_txn);
    sl_task_state_close(&f.task);
    sl_producer_destroy(p);
    rm_rf(f.dir);
    sl_plan_free(f.plan);
}

int main(void)
{
    sl_log_level_global = SL_LOG_WARN;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_rules),
        cmocka_unit_test(test_fresh_dir_restored_from_changelog),
        cmocka_unit_test(test_kill9_keep_dir_at_least_once),
        cmocka_unit_test(test_kill9_delete_dir_at_least_once),
        cmocka_unit_test(test_kill9_keep_dir_exactly_once),
        cmocka_unit_test(test_kill9_delete_dir_exactly_once),
        cmocka_unit_test(test_txn_fences_zombie),
        cmocka_unit_test(test_restore_ends_at_lso),
        cmocka_unit_test(test_worker_zombie_fenced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for worker/engine/sl_state: the RocksDB store with its
 * write-back cache, change list, checkpoint, restore and scan. Each test
 * works in a fresh directory under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/sl_state.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    static int n;
    snprintf(g_dir, sizeof(g_dir), "/tmp/sluice-test-state-%d-%d/a/b", (int)getpid(), ++n);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char top[256];
    snprintf(top, sizeof(top), "%.*s", (int)(strstr(g_dir, "/a/b") - g_dir), g_dir);
    assert_int_equal(sl_state_destroy_dir(top, NULL), 0);
    assert_int_not_equal(access(top, F_OK), 0);
    return 0;
}

static sl_state *open_store(size_t cache_entries)
{
    sl_error err;
    sl_state_options o = {0};
    o.cache_entries = cache_entries;
    sl_state *s = sl_state_open(g_dir, &o, &err);
    if (!s)
        fail_msg("open: %s", err.msg);
    return s;
}

/* Asserts (ns, key) holds the string want (NULL: absent). */
static void expect(sl_state *s, uint32_t ns, const char *key, const char *want)
{
    const void *v = NULL;
    size_t len = 0;
    int rc = sl_state_get(s, ns, key, strlen(key), &v, &len, NULL);
    if (!want) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
}

static void put(sl_state *s, uint32_t ns, const char *key, const char *val)
{
    assert_int_equal(sl_state_put(s, ns, key, strlen(key), val, strlen(val), NULL), 0);
}

static void test_put_get_delete(void **state)
{
    (void)state;
    sl_state *s = open_store(0);
    assert_int_equal(sl_state_input_offset(s), -1);
    assert_int_equal(sl_state_changelog_offset(s), -1);
    expect(s, 1, "k", NULL);
    put(s, 1, "k", "v1");
    expect(s, 1, "k", "v1"); /* read your writes */
    expect(s, 2, "k", NULL); /* namespaces are separate */
    put(s, 1, "k", "a longer value than before");
    expect(s, 1, "k", "a longer value than before");
    put(s, 1, "k", "v3");
    expect(s, 1, "k", "v3");
    /* An empty value is a value, not a deletion. */
    assert_int_equal(sl_state_put(s, 1, "e", 1, "", 0, NULL), 0);
    const void *v;
    size_t len = 9;
    assert_int_equal(sl_state_get(s, 1, "e", 1, &v, &len, NULL), 1);
    assert_int_equal(len, 0);
    assert_int_equal(sl_state_delete(s, 1, "k", 1, NULL), 0);
    expect(s, 1, "k", NULL);
    /* Putting a value that points into the entry's own buffer works. */
    put(s, 3, "self", "abcdef");
    assert_int_equal(sl_state_get(s, 3, "self", 4, &v, &len, NULL), 1);
    assert_int_equal(sl_state_put(s, 3, "self", 4, (const char *)v + 2, 3, NULL), 0);
    expect(s, 3, "self", "cde");
    sl_state_close(s);
    sl_state_close(NULL);
}

static void test_changes_list(void **state)
{
    (void)state;
    sl_state *s = open_store(0);
    put(s, 1, "a", "1");
    put(s, 1, "b", "2");
    put(s, 1, "a", "3"); /* one change per key: the latest */
    assert_int_equal(sl_state_delete(s, 2, "gone", 4, NULL), 0); /* absent: still a change */
    const sl_state_change *c;
    size_t n;
    assert_int_equal(sl_state_changes(s, &c, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(sl_state_pending_count(s), 3);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].ns == 1 && c[i].key_len == 1 && memcmp(c[i].key, "a", 1) == 0) {
            assert_int_equal(c[i].value_len, 1);
            assert_memory_equal(c[i].value, "3", 1);
            seen |= 1;
        } else if (c[i].ns == 1 && c[i].key_len == 1 && memcmp(c[i].key, "b", 1) == 0) {
            assert_memory_equal(c[i].value, "2", 1);
            seen |= 2;
        } else if (c[i].ns == 2 && c[i].key_len == 4 && memcmp(c[i].key, "gone", 4) == 0) {
            assert_null(c[i].value);
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    assert_int_equal(sl_state_checkpoint_commit(s, 10, 3, NULL), 0);
    assert_int_equal(sl_state_changes(s, &c, &n, NULL), 0);
    assert_int_equal(n, 0);
    put(s, 1, "b", "4");
    assert_int_equal(sl_state_changes(s, &c, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(c[0].value, "4", 1);
    sl_state_close(s);
}

static void test_commit_reopen(void **state)
{
    (void)state;
    sl_state *s = open_store(0);
    put(s, 1, "a", "1");
    put(s, 1, "b", "2");
    put(s, 7, "x", "y");
    assert_int_equal(sl_state_checkpoint_commit(s, 100, 42, NULL), 0);
    assert_int_equal(sl_state_input_offset(s), 100);
    assert_int_equal(sl_state_changelog_offset(s), 42);
    /* After the commit: a delete and a put that are never committed. */
    assert_int_equal(sl_state_delete(s, 1, "a", 1, NULL), 0);
    put(s, 1, "c", "3");
    put(s, 1, "b", "changed");
    sl_state_close(s);

    s = open_store(0);
    assert_int_equal(sl_state_input_offset(s), 100);
    assert_int_equal(sl_state_changelog_offset(s), 42);
    expect(s, 1, "a", "1"); /* uncommitted delete lost */
    expect(s, 1, "b", "2"); /* uncommitted put lost */
    expect(s, 1, "c", NULL);
    expect(s, 7, "x", "y");
    assert_int_equal(sl_state_delete(s, 1, "a", 1, NULL), 0);
    assert_int_equal(sl_state_checkpoint_commit(s, 101, 43, NULL), 0);
    sl_state_close(s);

    s = open_store(0);
    expect(s, 1, "a", NULL);
    assert_int_equal(sl_state_input_offset(s), 101);
    sl_state_close(s);

    /* destroy_dir makes a new store. */
    assert_int_equal(sl_state_destroy_dir(g_dir, NULL), 0);
    s = open_store(0);
    assert_int_equal(sl_state_input_offset(s), -1);
    expect(s, 7, "x", NULL);
    sl_state_close(s);
}

typedef struct scan_log {
    char keys[64][16];
    char vals[64][16];
    int n;
    int stop_after;
    sl_state *s; /* when set, the callback modifies the store */
} scan_log;

static int scan_cb(void *ud, const void *key, size_t key_len, const void *value, size_t len)
{
    scan_log *l = ud;
    assert_true(l->n < 64 && key_len < 16 && len < 16);
    memcpy(l->keys[l->n], key, key_len);
    l->keys[l->n][key_len] = '\0';
    memcpy(l->vals[l->n], value, len);
    l->vals[l->n][len] = '\0';
    l->n++;
    if (l->s) {
        /* modifying the store during a scan is allowed and not seen by it */
        assert_int_equal(sl_state_delete(l->s, 1, key, key_len, NULL), 0);
        assert_int_equal(sl_state_put(l->s, 1, "zz-new", 6, "n", 1, NULL), 0);
    }
    return l->stop_after && l->n == l->stop_after ? 99 : 0;
}

static void test_scan_order_pending_wins(void **state)
{
    (void)state;
    sl_state *s = open_store(0);
    put(s, 1, "b", "cb");
    put(s, 1, "d", "cd");
    put(s, 1, "f", "cf");
    put(s, 1, "a\xff", "long"); /* bytewise order: "a\xff" < "b" */
    put(s, 0, "zz", "ns0");
    put(s, 2, "aa", "ns2");
    assert_int_equal(sl_state_checkpoint_commit(s, 1, 1, NULL), 0);
    put(s, 1, "c", "pc");                              /* pending new */
    put(s, 1, "d", "pd");                              /* pending wins */
    assert_int_equal(sl_state_delete(s, 1, "f", 1, NULL), 0); /* deletion hidden */
    put(s, 1, "a", "pa");                              /* "a" < "a\xff" */
    put(s, 1, "g", "pg");

    scan_log l = {0};
    assert_int_equal(sl_state_scan(s, 1, scan_cb, &l, NULL), 0);
    const char *wk[] = {"a", "a\xff", "b", "c", "d", "g"};
    const char *wv[] = {"pa", "long", "cb", "pc", "pd", "pg"};
    assert_int_equal(l.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(l.keys[i], wk[i]);
        assert_string_equal(l.vals[i], wv[i]);
    }
    /* Stopping early returns the callback's value. */
    scan_log l2 = {0};
    l2.stop_after = 2;
    assert_int_equal(sl_state_scan(s, 1, scan_cb, &l2, NULL), 99);
    assert_int_equal(l2.n, 2);
    /* An empty namespace and the last one (meta keys are outside it). */
    scan_log l3 = {0};
    assert_int_equal(sl_state_scan(s, 0xffffffffu, scan_cb, &l3, NULL), 0);
    assert_int_equal(l3.n, 0);
    scan_log l4 = {0};
    assert_int_equal(sl_state_scan(s, 0, scan_cb, &l4, NULL), 0);
    assert_int_equal(l4.n, 1);
    assert_string_equal(l4.vals[0], "ns0");
    /* The callback may modify the store: the scan sees its start state. */
    scan_log l5 = {0};
    l5.s = s;
    assert_int_equal(sl_state_scan(s, 1, scan_cb, &l5, NULL), 0);
    assert_int_equal(l5.n, 6);
    expect(s, 1, "b", NULL);
    expect(s, 1, "zz-new", "n");
    sl_state_close(s);
}

static void test_restore_apply_done(void **state)
{
    (void)state;
    sl_error err;
    sl_state *s = open_store(0);
    put(s, 1, "old", "x");
    assert_int_equal(sl_state_checkpoint_commit(s, 5, 5, NULL), 0);
    expect(s, 1, "old", "x"); /* now cached */
    assert_int_equal(sl_state_restore_apply(s, 1, "old", 3, "restored", 8, NULL), 0);
    assert_int_equal(sl_state_restore_apply(s, 1, "new", 3, "n", 1, NULL), 0);
    assert_int_equal(sl_state_restore_apply(s, 1, "tmp", 3, "t", 1, NULL), 0);
    assert_int_equal(sl_state_restore_apply(s, 1, "tmp", 3, NULL, 0, NULL), 0);
    /* Many records: crosses the intermediate flush threshold. */
    char k[32];
    for (int i = 0; i < 120000; i++) {
        int n = snprintf(k, sizeof(k), "bulk%06d", i);
        assert_int_equal(sl_state_restore_apply(s, 4, k, (size_t)n, k, (size_t)n, NULL), 0);
    }
    assert_int_equal(sl_state_restore_done(s, 77, 120004, &err), 0);
    assert_int_equal(sl_state_restored_count(s), 120004);
    assert_int_equal(sl_state_input_offset(s), 77);
    assert_int_equal(sl_state_changelog_offset(s), 120004);
    expect(s, 1, "old", "restored"); /* the stale cached copy was dropped */
    expect(s, 1, "new", "n");
    expect(s, 1, "tmp", NULL);
    /* Restore records are not changes of a checkpoint. */
    assert_int_equal(sl_state_pending_count(s), 0);
    sl_state_close(s);

    s = open_store(0);
    assert_int_equal(sl_state_input_offset(s), 77);
    assert_int_equal(sl_state_changelog_offset(s), 120004);
    expect(s, 4, "bulk119999", "bulk119999");
    expect(s, 1, "new", "n");
    /* Restoring while changes are pending is a protocol error. */
    put(s, 1, "p", "p");
    assert_int_equal(sl_state_restore_apply(s, 1, "q", 1, "q", 1, &err), SL_ERR_STATE);
    sl_state_close(s);
}

static void test_rollback(void **state)
{
    (void)state;
    sl_state *s = open_store(0);
    put(s, 1, "a", "1");
    assert_int_equal(sl_state_checkpoint_commit(s, 3, 3, NULL), 0);
    put(s, 1, "a", "2");
    put(s, 1, "b", "new");
    assert_int_equal(sl_state_delete(s, 1, "a", 1, NULL), 0);
    sl_state_rollback(s);
    assert_int_equal(sl_state_pending_count(s), 0);
    expect(s, 1, "a", "1");
    expect(s, 1, "b", NULL);
    put(s, 1, "c", "3");
    assert_int_equal(sl_state_pending_count(s), 1);
    sl_state_close(s);
}

static void test_changelog_key_codec(void **state)
{
    (void)state;
    unsigned char buf[16];
    size_t n = 0;
    assert_int_equal(sl_state_changelog_key_encode(0x01020304u, "key", 3, buf, sizeof(buf), &n),
                     0);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "\x01\x02\x03\x04key", 7);
    uint32_t ns = 0;
    const void *k = NULL;
    size_t kl = 0;
    assert_int_equal(sl_state_changelog_key_decode(buf, n, &ns, &k, &kl), 0);
    assert_int_equal(ns, 0x01020304u);
    assert_int_equal(kl, 3);
    assert_memory_equal(k, "key", 3);
    /* Empty key, too small a buffer, too short a record. */
    assert_int_equal(sl_state_changelog_key_encode(7, NULL, 0, buf, 4, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(sl_state_changelog_key_decode(buf, 4, &ns, &k, &kl), 0);
    assert_int_equal(ns, 7);
    assert_int_equal(kl, 0);
    assert_int_equal(sl_state_changelog_key_encode(7, "abcdef", 6, buf, 8, &n), SL_ERR_INVALID);
    assert_int_equal(n, 10);
    assert_int_equal(sl_state_changelog_key_decode(buf, 3, &ns, &k, &kl), SL_ERR_INVALID);
    assert_int_equal(sl_state_changelog_key_decode(NULL, 0, &ns, &k, &kl), SL_ERR_INVALID);
}

/* A tiny cache (16 entries) against a reference model: every answer must be
 * what a plain map says, across checkpoints, evictions and a reopen. */
static void test_eviction_correct(void **state)
{
    (void)state;
    enum { NKEYS = 500 };
    static char model[NKEYS][16]; /* "" = absent */
    memset(model, 0, sizeof(model));
    sl_state *s = open_store(16);
    unsigned seed = 12345;
    char key[16], val[16];
    for (int round = 0; round < 20000; round++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % NKEYS);
        int op = (int)((seed >> 20) % 10);
        int kl = snprintf(key, sizeof(key), "k%d", k);
        if (op < 4) {
            int vl = snprintf(val, sizeof(val), "v%d", round);
            assert_int_equal(sl_state_put(s, 3, key, (size_t)kl, val, (size_t)vl, NULL), 0);
            memcpy(model[k], val, (size_t)vl + 1);
        } else if (op < 5) {
            assert_int_equal(sl_state_delete(s, 3, key, (size_t)kl, NULL), 0);
            model[k][0] = '\0';
        } else {
            expect(s, 3, key, model[k][0] ? model[k] : NULL);
        }
        if (round % 997 == 0)
            assert_int_equal(sl_state_checkpoint_commit(s, round, round, NULL), 0);
    }
    assert_int_equal(sl_state_checkpoint_commit(s, 1, 1, NULL), 0);
    sl_state_close(s);
    s = open_store(16);
    for (int k = 0; k < NKEYS; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        expect(s, 3, key, model[k][0] ? model[k] : NULL);
    }
    /* Many pending changes with a small cache: dirty entries are kept. */
    for (int k = 0; k < NKEYS; k++) {
        int kl = snprintf(key, sizeof(key), "k%d", k);
        assert_int_equal(sl_state_put(s, 5, key, (size_t)kl, "p", 1, NULL), 0);
    }
    assert_int_equal(sl_state_pending_count(s), NKEYS);
    for (int k = 0; k < NKEYS; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        expect(s, 5, key, "p");
    }
    sl_state_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_order_pending_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_apply_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
        cmocka_unit_test(test_changelog_key_codec),
        cmocka_unit_test_setup_teardown(test_eviction_correct, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

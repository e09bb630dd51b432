/* Unit tests for controller/sched: balance, capacity, stickiness, minimal
 * movement, the two-step hand-off, leases, the hold, adoption after a
 * restart, removal, generations and determinism.
 *
 * Most tests drive simulated workers in rounds: every live worker heartbeats
 * what it runs, the controller rebalances, every worker applies its
 * assignment (runs exactly that and reports the generation as seen). A
 * simulated worker that goes silent stops its tasks, as a real one does
 * before its lease ends. After each round the invariants are checked,
 * including the safety property: no task runs on two workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sched/sl_scheduler.h"

#define MAXW 16
#define MAXT 128
#define KEYLEN 32
#define LEASE 10000

static char g_keys[MAXT][KEYLEN];
static const char *g_key[MAXT];

static void keys_init(void)
{
    for (int i = 0; i < MAXT; i++) {
        snprintf(g_keys[i], KEYLEN, "acme/p/%03d", i);
        g_key[i] = g_keys[i];
    }
}

typedef struct sim_worker {
    char id[16];
    int capacity;
    uint64_t seen;
    char running[MAXT][KEYLEN];
    size_t nrunning;
    int silent; /* stopped heartbeating (and, as the lease demands, its tasks) */
} sim_worker;

typedef struct sim {
    sl_scheduler *s;
    sim_worker w[MAXW];
    size_t nw;
    int64_t now;
    int64_t hold_until;
} sim;

static void sim_init(sim *c, int64_t lease)
{
    memset(c, 0, sizeof(*c));
    keys_init();
    c->s = sl_scheduler_create(lease);
    assert_non_null(c->s);
    c->now = 1000;
}

static sim_worker *sim_add(sim *c, const char *id, int capacity)
{
    sim_worker *w = &c->w[c->nw++];
    snprintf(w->id, sizeof(w->id), "%s", id);
    w->capacity = capacity;
    return w;
}

static void set_tasks(sl_scheduler *s, size_t n)
{
    assert_int_equal(sl_scheduler_set_tasks(s, g_key, n), SL_OK);
}

static void hb(sim *c, sim_worker *w)
{
    const char *ptrs[MAXT];
    for (size_t i = 0; i < w->nrunning; i++)
        ptrs[i] = w->running[i];
    assert_int_equal(sl_scheduler_heartbeat(c->s, w->id, w->capacity, w->seen, ptrs, w->nrunning,
                                            c->now),
                     SL_OK);
}

static size_t assigned(sl_scheduler *s, const char *id, const char *const **keys, uint64_t *gen)
{
    const char *const *k;
    size_t n;
    uint64_t g;
    assert_int_equal(sl_scheduler_assignment(s, id, &k, &n, &g), SL_OK);
    if (keys)
        *keys = k;
    if (gen)
        *gen = g;
    return n;
}

static uint64_t gen_of(sl_scheduler *s, const char *id)
{
    uint64_t g;
    assigned(s, id, NULL, &g);
    return g;
}

/* The worker runs exactly what it was told and reports that generation. */
static void apply(sim *c, sim_worker *w)
{
    const char *const *keys;
    size_t n = assigned(c->s, w->id, &keys, &w->seen);
    for (size_t i = 0; i < n; i++)
        snprintf(w->running[i], KEYLEN, "%s", keys[i]);
    w->nrunning = n;
}

static int runs(const sim_worker *w, const char *key)
{
    for (size_t i = 0; i < w->nrunning; i++)
        if (strcmp(w->running[i], key) == 0)
            return 1;
    return 0;
}

/* Assignments sorted, within capacity, agreeing with sl_scheduler_owner, and
 * no task in two assignments nor running on two live workers. */
static void check_invariants(sim *c)
{
    int seen_in[MAXT] = {0};
    for (size_t i = 0; i < sl_scheduler_worker_count(c->s); i++) {
        sl_sched_worker_info info;
        assert_int_equal(sl_scheduler_worker(c->s, i, &info), SL_OK);
        assert_true(info.assigned <= (size_t)info.capacity);
        const char *const *keys;
        size_t n = assigned(c->s, info.id, &keys, NULL);
        assert_true(n <= info.assigned);
        for (size_t k = 0; k < n; k++) {
            int rev = -1;
            const char *owner = sl_scheduler_owner(c->s, keys[k], &rev);
            assert_non_null(owner);
            assert_string_equal(owner, info.id);
            assert_int_equal(rev, 0);
            if (k > 0)
                assert_true(strcmp(keys[k - 1], keys[k]) < 0);
            int idx = -1;
            sscanf(keys[k], "acme/p/%d", &idx);
            if (idx >= 0 && idx < MAXT)
                assert_int_equal(seen_in[idx]++, 0);
        }
    }
    for (int t = 0; t < MAXT; t++) {
        int count = 0;
        for (size_t i = 0; i < c->nw; i++)
            count += !c->w[i].silent && runs(&c->w[i], g_key[t]);
        assert_true(count <= 1);
    }
}

/* One round; returns what the rebalance reported as moved. */
static int sim_round(sim *c)
{
    c->now += 1000;
    for (size_t i = 0; i < c->nw; i++)
        if (!c->w[i].silent)
            hb(c, &c->w[i]);
    int moved = sl_scheduler_rebalance(c->s, c->now, c->hold_until);
    for (size_t i = 0; i < c->nw; i++)
        if (!c->w[i].silent)
            apply(c, &c->w[i]);
    check_invariants(c);
    return moved;
}

/* Rounds until two in a row move nothing (a hand-off may complete without
 * an owner change); returns the total moved. */
static int converge(sim *c)
{
    int total = 0, quiet = 0;
    for (int r = 0; r < 20; r++) {
        int moved = sim_round(c);
        quiet = moved == 0 ? quiet + 1 : 0;
        if (quiet == 2)
            return total;
        total += moved;
    }
    fail_msg("the scheduler did not converge");
    return total;
}

static void sim_silence(sim_worker *w)
{
    w->silent = 1;
    w->nrunning = 0;
}

static void test_balance_table(void **state)
{
    (void)state;
    static const struct {
        int caps[3];
        size_t ntasks;
        size_t want[3];
    } rows[] = {
        {{10, 10, 10}, 24, {8, 8, 8}},
        {{10, 10, 10}, 25, {9, 8, 8}},  /* remainder: most spare, then by id */
        {{10, 10, 10}, 26, {9, 9, 8}},
        {{10, 20, 30}, 12, {2, 4, 6}},  /* proportional to capacity */
        {{10, 20, 30}, 13, {2, 4, 7}},  /* the remainder to the most spare */
        {{30, 20, 10}, 13, {7, 4, 2}},
        {{1, 2, 3}, 12, {1, 2, 3}},     /* capacity is a hard cap */
        {{5, 5, 100}, 9, {0, 0, 9}},
        {{2, 2, 2}, 0, {0, 0, 0}},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        sim c;
        sim_init(&c, LEASE);
        sim_add(&c, "w-a", rows[r].caps[0]);
        sim_add(&c, "w-b", rows[r].caps[1]);
        sim_add(&c, "w-c", rows[r].caps[2]);
        set_tasks(c.s, rows[r].ntasks);
        converge(&c);
        size_t total = 0;
        for (size_t i = 0; i < 3; i++) {
            size_t n = assigned(c.s, c.w[i].id, NULL, NULL);
            if (n != rows[r].want[i])
                fail_msg("row %zu: %s has %zu tasks, want %zu", r, c.w[i].id, n, rows[r].want[i]);
            total += n;
        }
        size_t unowned = 0;
        for (size_t t = 0; t < rows[r].ntasks; t++)
            unowned += sl_scheduler_owner(c.s, g_key[t], NULL) == NULL;
        assert_int_equal(unowned, rows[r].ntasks - total);
        sl_scheduler_destroy(c.s);
    }
}

static void test_capacity_cap(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 3);
    sim_worker *b = sim_add(&c, "w-b", 3);
    set_tasks(c.s, 10);
    assert_int_equal(converge(&c), 6);
    int rev = -1;
    assert_null(sl_scheduler_owner(c.s, g_key[9], &rev)); /* no room: unassigned */
    assert_int_equal(rev, 0);
    /* w-b shrinks to 2: it gives up its last task, which nobody can take */
    b->capacity = 2;
    converge(&c);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 3);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 2);
    /* a roomy worker joins: 10 tasks over capacities 3, 2, 10 are shares
     * 2, 1, 6 plus the remainder to w-c (most spare): w-a and w-b each give
     * one (revoked, then assigned: 2 + 2) and w-c takes the 5 free ones */
    sim_add(&c, "w-c", 10);
    assert_int_equal(converge(&c), 9);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 2);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 1);
    assert_int_equal(assigned(c.s, "w-c", NULL, NULL), 7);
    for (size_t t = 0; t < 10; t++)
        assert_non_null(sl_scheduler_owner(c.s, g_key[t], NULL));
    sl_scheduler_destroy(c.s);
}

static void test_sticky(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 20);
    sim_add(&c, "w-b", 20);
    sim_worker *wc = sim_add(&c, "w-c", 20);
    set_tasks(c.s, 30);
    assert_int_equal(converge(&c), 30);
    char before[MAXT][16];
    uint64_t gens[3];
    for (size_t t = 0; t < 30; t++)
        snprintf(before[t], 16, "%s", sl_scheduler_owner(c.s, g_key[t], NULL));
    for (size_t i = 0; i < 3; i++)
        gens[i] = gen_of(c.s, c.w[i].id);
    for (int r = 0; r < 5; r++)
        assert_int_equal(sim_round(&c), 0);
    for (size_t t = 0; t < 30; t++)
        assert_string_equal(sl_scheduler_owner(c.s, g_key[t], NULL), before[t]);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(gen_of(c.s, c.w[i].id), gens[i]);
    /* w-c leaves: the survivors keep every task they had, and take its 10 */
    sim_silence(wc);
    c.now += LEASE;
    assert_int_equal(converge(&c), 10);
    assert_int_equal(sl_scheduler_worker_count(c.s), 2);
    for (size_t t = 0; t < 30; t++)
        if (strcmp(before[t], "w-c") != 0)
            assert_string_equal(sl_scheduler_owner(c.s, g_key[t], NULL), before[t]);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 15);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 15);
    sl_scheduler_destroy(c.s);
}

static void test_add_worker_minimal_movement(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 100);
    sim_add(&c, "w-b", 100);
    sim_add(&c, "w-c", 100);
    set_tasks(c.s, 30);
    converge(&c);
    char before[MAXT][16];
    const char *last[3][3]; /* each worker's owned tasks that sort last */
    for (size_t i = 0; i < 3; i++) {
        const char *const *keys;
        assert_int_equal(assigned(c.s, c.w[i].id, &keys, NULL), 10);
        for (size_t k = 0; k < 3; k++)
            last[i][k] = keys[7 + k];
    }
    for (size_t t = 0; t < 30; t++)
        snprintf(before[t], 16, "%s", sl_scheduler_owner(c.s, g_key[t], NULL));

    /* targets 8, 8, 7, 7 (30 over 4 equal workers; the extra two by id): w-a
     * and w-b give 2, w-c gives 3, exactly the new worker's 7 */
    sim_add(&c, "w-d", 100);
    assert_int_equal(sim_round(&c), 7);
    assert_int_equal(assigned(c.s, "w-d", NULL, NULL), 0); /* step one: revoke only */
    size_t gives[3] = {2, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(assigned(c.s, c.w[i].id, NULL, NULL), 10 - gives[i]);
        for (size_t k = 3 - gives[i]; k < 3; k++) {
            int rev = 0;
            assert_string_equal(sl_scheduler_owner(c.s, last[i][k], &rev), c.w[i].id);
            assert_int_equal(rev, 1);
        }
    }
    /* step two, once they stopped: w-d gets those 7 and nothing else moves */
    assert_int_equal(sim_round(&c), 7);
    assert_int_equal(sim_round(&c), 0);
    size_t changed = 0;
    for (size_t t = 0; t < 30; t++) {
        const char *now = sl_scheduler_owner(c.s, g_key[t], NULL);
        if (strcmp(now, before[t]) != 0) {
            assert_string_equal(now, "w-d");
            changed++;
        }
    }
    assert_int_equal(changed, 7);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 8);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 8);
    assert_int_equal(assigned(c.s, "w-c", NULL, NULL), 7);
    assert_int_equal(assigned(c.s, "w-d", NULL, NULL), 7);
    sl_scheduler_destroy(c.s);
}

/* A owns t0 and t1; B joins and is due t1. */
static void handoff_setup(sim *c, sim_worker **a, sim_worker **b, uint64_t *gen_before)
{
    sim_init(c, LEASE);
    *a = sim_add(c, "w-a", 2);
    set_tasks(c->s, 2);
    assert_int_equal(converge(c), 2);
    *gen_before = gen_of(c->s, "w-a");
    *b = sim_add(c, "w-b", 2);
    c->now += 1000;
    hb(c, *a);
    hb(c, *b);
    assert_int_equal(sl_scheduler_rebalance(c->s, c->now, 0), 1);
    int rev = 0;
    assert_string_equal(sl_scheduler_owner(c->s, g_key[1], &rev), "w-a");
    assert_int_equal(rev, 1);
    const char *const *keys;
    assert_int_equal(assigned(c->s, "w-a", &keys, NULL), 1);
    assert_string_equal(keys[0], g_key[0]);
    assert_true(gen_of(c->s, "w-a") > *gen_before);
    assert_int_equal(assigned(c->s, "w-b", NULL, NULL), 0);
}

static void test_handoff_waits_for_stop(void **state)
{
    (void)state;
    sim c;
    sim_worker *a, *b;
    uint64_t old_gen;
    handoff_setup(&c, &a, &b, &old_gen);
    uint64_t new_gen = gen_of(c.s, "w-a");
    int rev = 0;
    /* a heartbeat without t1 but from before the revoke (the answer not
     * applied yet: the worker may still be starting t1) proves nothing */
    a->nrunning = 1;
    c.now += 1000;
    hb(&c, a);
    hb(&c, b);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 0);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 0);
    assert_string_equal(sl_scheduler_owner(c.s, g_key[1], &rev), "w-a");
    assert_int_equal(rev, 1);
    /* A applied the revoke but is still stopping t1: B must wait */
    a->seen = new_gen;
    a->nrunning = 2;
    c.now += 1000;
    hb(&c, a);
    hb(&c, b);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 0);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 0);
    /* A no longer lists t1 (same generation seen): now B gets it */
    a->nrunning = 1;
    c.now += 1000;
    hb(&c, a);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 1);
    const char *const *keys;
    assert_int_equal(assigned(c.s, "w-b", &keys, NULL), 1);
    assert_string_equal(keys[0], g_key[1]);
    assert_string_equal(sl_scheduler_owner(c.s, g_key[1], &rev), "w-b");
    assert_int_equal(rev, 0);
    sl_scheduler_destroy(c.s);
}

static void test_handoff_lease_expiry(void **state)
{
    (void)state;
    sim c;
    sim_worker *a, *b;
    uint64_t old_gen;
    handoff_setup(&c, &a, &b, &old_gen);
    int64_t a_last = c.now;
    sl_sched_worker_info info;
    assert_int_equal(sl_scheduler_worker(c.s, 0, &info), SL_OK);
    assert_string_equal(info.id, "w-a");
    assert_int_equal(info.lease_expires_ms, a_last + LEASE);
    /* A goes silent, its last heartbeat still listing t1: B waits for the
     * whole lease, then gets both tasks */
    for (c.now = a_last + 1000; c.now < a_last + LEASE; c.now += 1000) {
        hb(&c, b);
        assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 0);
        assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 0);
    }
    c.now = a_last + LEASE;
    hb(&c, b);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 2);
    assert_int_equal(sl_scheduler_worker_count(c.s), 1);
    assert_int_equal(sl_scheduler_assignment(c.s, "w-a", NULL, NULL, NULL), SL_ERR_NOT_FOUND);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 2);
    sl_scheduler_destroy(c.s);
}

static void test_lease_expiry_frees_tasks(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_worker *a = sim_add(&c, "w-a", 4);
    sim_worker *b = sim_add(&c, "w-b", 4);
    set_tasks(c.s, 4);
    converge(&c);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 2);
    int64_t a_last = c.now;
    sim_silence(a);
    c.now = a_last + LEASE - 1;
    hb(&c, b);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 0); /* still alive */
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 2);
    c.now = a_last + LEASE;
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 2);
    assert_int_equal(sl_scheduler_worker_count(c.s), 1);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 4);
    for (size_t t = 0; t < 4; t++)
        assert_string_equal(sl_scheduler_owner(c.s, g_key[t], NULL), "w-b");
    sl_scheduler_destroy(c.s);
}

/* A worker that leaves (shut down, nothing running) frees its tasks at once,
 * without waiting for its lease. */
static void test_worker_leave(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_worker *a = sim_add(&c, "w-a", 4);
    sim_worker *b = sim_add(&c, "w-b", 4);
    set_tasks(c.s, 4);
    converge(&c);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 2);
    sim_silence(a);
    c.now += 1;
    assert_int_equal(sl_scheduler_worker_leave(c.s, "w-a"), SL_OK);
    assert_int_equal(sl_scheduler_worker_leave(c.s, "nobody"), SL_ERR_NOT_FOUND);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 2);
    assert_int_equal(sl_scheduler_worker_count(c.s), 1);
    hb(&c, b);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 4);
    sl_scheduler_destroy(c.s);
}

static void test_hold(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_worker *a = sim_add(&c, "w-a", 4);
    sim_add(&c, "w-b", 4);
    set_tasks(c.s, 4);
    c.hold_until = c.now + 5000;
    for (int r = 0; r < 3; r++)
        assert_int_equal(sim_round(&c), 0);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 0);
    assert_null(sl_scheduler_owner(c.s, g_key[0], NULL));
    /* adoption still happens during the hold, at the heartbeat */
    snprintf(a->running[0], KEYLEN, "%s", g_key[3]);
    a->nrunning = 1;
    hb(&c, a);
    const char *const *keys;
    assert_int_equal(assigned(c.s, "w-a", &keys, NULL), 1);
    assert_string_equal(keys[0], g_key[3]);
    assert_int_equal(sim_round(&c), 0);
    /* the hold ends: the rest is assigned, the adopted task stays put */
    c.now = c.hold_until - 1000;
    assert_int_equal(sim_round(&c), 3);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 2);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 2);
    assert_string_equal(sl_scheduler_owner(c.s, g_key[3], NULL), "w-a");
    sl_scheduler_destroy(c.s);
}

static void test_adoption_after_restart(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 10);
    sim_add(&c, "w-b", 10);
    sim_add(&c, "w-c", 10);
    set_tasks(c.s, 20);
    converge(&c);
    char before[MAXT][16];
    for (size_t t = 0; t < 20; t++)
        snprintf(before[t], 16, "%s", sl_scheduler_owner(c.s, g_key[t], NULL));

    /* The controller restarts; its catalog knows only half the tasks at
     * first, and w-a still runs a task of a pipeline deleted meanwhile. */
    sl_scheduler_destroy(c.s);
    c.s = sl_scheduler_create(LEASE);
    assert_non_null(c.s);
    set_tasks(c.s, 10);
    snprintf(c.w[0].running[c.w[0].nrunning++], KEYLEN, "acme/gone/0");
    c.hold_until = c.now + 1000 + LEASE;
    uint64_t seen[3];
    for (size_t i = 0; i < 3; i++)
        seen[i] = c.w[i].seen;
    assert_int_equal(sim_round(&c), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(assigned(c.s, c.w[i].id, NULL, NULL), c.w[i].nrunning);
        assert_int_equal(gen_of(c.s, c.w[i].id), seen[i] + 1); /* above what it applied */
    }
    set_tasks(c.s, 20);
    for (int r = 0; r < 3; r++)
        assert_int_equal(sim_round(&c), 0);
    for (size_t t = 0; t < 20; t++)
        assert_string_equal(sl_scheduler_owner(c.s, g_key[t], NULL), before[t]);
    assert_string_equal(sl_scheduler_owner(c.s, "acme/gone/0", NULL), "w-a");
    /* after the hold nothing moves but the task nobody wants */
    c.now = c.hold_until - 1000;
    assert_int_equal(sim_round(&c), 1);
    assert_false(runs(&c.w[0], "acme/gone/0"));
    assert_int_equal(converge(&c), 0);
    for (size_t t = 0; t < 20; t++)
        assert_string_equal(sl_scheduler_owner(c.s, g_key[t], NULL), before[t]);
    assert_null(sl_scheduler_owner(c.s, "acme/gone/0", NULL));
    sl_scheduler_destroy(c.s);
}

static void test_removed_tasks_revoked(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 10);
    sim_add(&c, "w-b", 10);
    set_tasks(c.s, 6);
    converge(&c);
    const char *owner = sl_scheduler_owner(c.s, g_key[5], NULL);
    char was[16];
    snprintf(was, sizeof(was), "%s", owner);
    uint64_t gen = gen_of(c.s, was);
    size_t n = assigned(c.s, was, NULL, NULL);
    set_tasks(c.s, 5); /* drops acme/p/005 */
    assert_int_equal(assigned(c.s, was, NULL, NULL), n - 1);
    assert_int_equal(gen_of(c.s, was), gen + 1);
    int rev = 0;
    assert_string_equal(sl_scheduler_owner(c.s, g_key[5], &rev), was);
    assert_int_equal(rev, 1);
    converge(&c); /* it stops: the task is gone */
    assert_null(sl_scheduler_owner(c.s, g_key[5], &rev));
    assert_int_equal(rev, 0);
    /* nothing desired: everything revoked at once */
    assert_int_equal(sl_scheduler_set_tasks(c.s, NULL, 0), SL_OK);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 0);
    assert_int_equal(assigned(c.s, "w-b", NULL, NULL), 0);
    converge(&c);
    for (size_t t = 0; t < 6; t++)
        assert_null(sl_scheduler_owner(c.s, g_key[t], NULL));
    set_tasks(c.s, 6); /* and back */
    assert_int_equal(converge(&c), 6);
    sl_scheduler_destroy(c.s);
}

/* A task reported by a worker that does not own it, while its owner is
 * alive: the owner may not run it until the other one stopped. */
static void test_conflicting_report(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 1);
    set_tasks(c.s, 1);
    converge(&c);
    uint64_t gen = gen_of(c.s, "w-a");
    sim_worker *z = sim_add(&c, "w-z", 1);
    snprintf(z->running[0], KEYLEN, "%s", g_key[0]);
    z->nrunning = 1;
    hb(&c, z);
    assert_int_equal(assigned(c.s, "w-a", NULL, NULL), 0);
    assert_int_equal(gen_of(c.s, "w-a"), gen + 1);
    assert_int_equal(assigned(c.s, "w-z", NULL, NULL), 0); /* told to stop */
    int rev = 0;
    assert_string_equal(sl_scheduler_owner(c.s, g_key[0], &rev), "w-z");
    assert_int_equal(rev, 1);
    assert_int_equal(sim_round(&c), 0); /* both stop; w-a keeps ownership */
    assert_int_equal(sim_round(&c), 0);
    const char *const *keys;
    assert_int_equal(assigned(c.s, "w-a", &keys, NULL), 1);
    assert_string_equal(keys[0], g_key[0]);
    assert_string_equal(sl_scheduler_owner(c.s, g_key[0], &rev), "w-a");
    assert_int_equal(rev, 0);
    sl_scheduler_destroy(c.s);
}

/* An unowned task still running somewhere (its runner had no room to adopt
 * it) is given to nobody else until it stops; a task whose owner expired
 * while another worker ran it is adopted by that worker. */
static void test_unowned_running_task(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    sim_add(&c, "w-a", 1);
    sim_worker *b = sim_add(&c, "w-b", 1);
    set_tasks(c.s, 3);
    assert_int_equal(converge(&c), 2);
    assert_null(sl_scheduler_owner(c.s, g_key[2], NULL));
    snprintf(b->running[b->nrunning++], KEYLEN, "%s", g_key[2]); /* w-b runs it anyway */
    sim_worker *w = sim_add(&c, "w-c", 1);
    c.now += 1000;
    hb(&c, b);
    hb(&c, w);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 0);
    assert_int_equal(assigned(c.s, "w-c", NULL, NULL), 0);
    int rev = 0;
    assert_string_equal(sl_scheduler_owner(c.s, g_key[2], &rev), "w-b");
    assert_int_equal(rev, 1);
    assert_int_equal(converge(&c), 1); /* w-b stopped it: now w-c gets it */
    assert_string_equal(sl_scheduler_owner(c.s, g_key[2], NULL), "w-c");

    /* w-z runs w-a's task; w-a's lease ends: w-z adopts it, nothing moves */
    sim_worker *z = sim_add(&c, "w-z", 1);
    snprintf(z->running[0], KEYLEN, "%s", g_key[0]);
    z->nrunning = 1;
    sim_silence(&c.w[0]);
    c.now += LEASE;
    hb(&c, b);
    hb(&c, w);
    hb(&c, z);
    assert_int_equal(sl_scheduler_rebalance(c.s, c.now, 0), 1); /* w-a's task, freed */
    assert_int_equal(sl_scheduler_assignment(c.s, "w-a", NULL, NULL, NULL), SL_ERR_NOT_FOUND);
    assert_string_equal(sl_scheduler_owner(c.s, g_key[0], &rev), "w-z");
    assert_int_equal(rev, 1);
    assert_int_equal(assigned(c.s, "w-z", NULL, NULL), 0);
    hb(&c, z);
    assert_string_equal(sl_scheduler_owner(c.s, g_key[0], &rev), "w-z");
    assert_int_equal(rev, 0);
    assert_int_equal(assigned(c.s, "w-z", NULL, NULL), 1);
    sl_scheduler_destroy(c.s);
}

static void test_generations(void **state)
{
    (void)state;
    sl_scheduler *s = sl_scheduler_create(LEASE);
    keys_init();
    /* a worker's first answer is above anything it applied, even 0 */
    assert_int_equal(sl_scheduler_heartbeat(s, "w-0", 1, 0, NULL, 0, 1000), SL_OK);
    assert_int_equal(gen_of(s, "w-0"), 1);
    assert_int_equal(sl_scheduler_heartbeat(s, "w-a", 4, 41, NULL, 0, 1000), SL_OK);
    assert_int_equal(gen_of(s, "w-a"), 42); /* first answer beats what it applied */
    assert_int_equal(sl_scheduler_heartbeat(s, "w-a", 4, 42, NULL, 0, 2000), SL_OK);
    assert_int_equal(sl_scheduler_rebalance(s, 2000, 0), 0);
    assert_int_equal(gen_of(s, "w-a"), 42); /* nothing changed */
    set_tasks(s, 2);
    assert_int_equal(sl_scheduler_rebalance(s, 2000, 0), 2);
    assert_int_equal(gen_of(s, "w-a"), 43); /* one change per call */
    /* the worker says it applied more than we ever gave: continue above it */
    assert_int_equal(sl_scheduler_heartbeat(s, "w-a", 4, 100, g_key, 2, 3000), SL_OK);
    assert_int_equal(gen_of(s, "w-a"), 101);
    assert_int_equal(sl_scheduler_heartbeat(s, "w-a", 4, 101, g_key, 2, 4000), SL_OK);
    assert_int_equal(sl_scheduler_rebalance(s, 4000, 0), 0);
    assert_int_equal(gen_of(s, "w-a"), 101);
    set_tasks(s, 1);
    assert_int_equal(gen_of(s, "w-a"), 102);
    sl_scheduler_destroy(s);
}

/* A scripted churn (workers leave and come back, capacities and the task set
 * change) driven by a fixed LCG, on two schedulers fed the same calls except
 * for the order of set_tasks' keys. Both must agree at every step; along
 * the way generations only grow, and grow whenever an assignment changes. */
static void test_determinism_and_churn(void **state)
{
    (void)state;
    sim c[2];
    uint64_t gen[MAXW] = {0};
    char prev[MAXW][1024] = {{0}};
    const char *rev_keys[MAXT];
    for (size_t k = 0; k < 2; k++) {
        sim_init(&c[k], 3000);
        sim_add(&c[k], "w-1", 6);
        sim_add(&c[k], "w-2", 4);
        sim_add(&c[k], "w-3", 8);
        sim_add(&c[k], "w-4", 2);
    }
    uint32_t rnd = 12345;
    for (int step = 0; step < 200; step++) {
        rnd = rnd * 1103515245u + 12345u;
        uint32_t r = (rnd >> 16) % 16, wi = (rnd >> 8) % 4;
        for (size_t k = 0; k < 2; k++) {
            sim_worker *w = &c[k].w[wi];
            if (r < 2) {
                if (w->silent)
                    w->silent = 0; /* comes back with nothing running */
                else
                    sim_silence(w);
            } else if (r < 4) {
                w->capacity = 1 + (int)((rnd >> 4) % 8);
            } else if (r < 6) {
                size_t n = (rnd >> 3) % 40;
                if (k == 0) {
                    set_tasks(c[k].s, n);
                } else {
                    for (size_t i = 0; i < n; i++)
                        rev_keys[i] = g_key[n - 1 - i];
                    assert_int_equal(sl_scheduler_set_tasks(c[k].s, rev_keys, n), SL_OK);
                }
            }
            sim_round(&c[k]);
        }
        assert_int_equal(sl_scheduler_worker_count(c[0].s), sl_scheduler_worker_count(c[1].s));
        for (size_t i = 0; i < 4; i++) {
            const char *const *k0, *const *k1;
            uint64_t g0, g1;
            size_t n0, n1;
            int rc0 = sl_scheduler_assignment(c[0].s, c[0].w[i].id, &k0, &n0, &g0);
            int rc1 = sl_scheduler_assignment(c[1].s, c[1].w[i].id, &k1, &n1, &g1);
            assert_int_equal(rc0, rc1);
            if (rc0 != SL_OK) {
                gen[i] = 0;
                continue;
            }
            assert_int_equal(n0, n1);
            assert_int_equal(g0, g1);
            char now[1024] = "";
            for (size_t j = 0; j < n0; j++) {
                assert_string_equal(k0[j], k1[j]);
                strncat(now, k0[j], sizeof(now) - strlen(now) - 1);
            }
            assert_true(g0 >= gen[i]);
            if (strcmp(now, prev[i]) != 0)
                assert_true(g0 > gen[i]);
            gen[i] = g0;
            snprintf(prev[i], sizeof(prev[i]), "%s", now);
        }
    }
    for (size_t k = 0; k < 2; k++)
        sl_scheduler_destroy(c[k].s);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    sl_scheduler_destroy(NULL);
    sl_scheduler *s = sl_scheduler_create(LEASE);
    const char *bad[1] = {NULL};
    assert_int_equal(sl_scheduler_heartbeat(s, "w-a", 0, 0, NULL, 0, 1), SL_ERR_INVALID);
    assert_int_equal(sl_scheduler_heartbeat(s, "", 1, 0, NULL, 0, 1), SL_ERR_INVALID);
    assert_int_equal(sl_scheduler_heartbeat(s, "w-a", 1, 0, bad, 1, 1), SL_ERR_INVALID);
    assert_int_equal(sl_scheduler_set_tasks(s, bad, 1), SL_ERR_INVALID);
    assert_int_equal(sl_scheduler_worker_count(s), 0);
    assert_int_equal(sl_scheduler_assignment(s, "w-a", NULL, NULL, NULL), SL_ERR_NOT_FOUND);
    sl_sched_worker_info info;
    assert_int_equal(sl_scheduler_worker(s, 0, &info), SL_ERR_NOT_FOUND);
    assert_null(sl_scheduler_owner(s, "nope", NULL));
    sl_scheduler_destroy(s);
}

/* Benchmark: heartbeat + rebalance + assignment, as the cluster endpoint
 * does, for 10 workers x 50 tasks. Prints the rate; never fails on timing. */
static void test_heartbeat_rate(void **state)
{
    (void)state;
    sim c;
    sim_init(&c, LEASE);
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof(id), "w-%02d", i);
        sim_add(&c, id, 60);
    }
    static char big[500][KEYLEN];
    static const char *bigp[500];
    for (int i = 0; i < 500; i++) {
        snprintf(big[i], KEYLEN, "acme/big/%03d", i);
        bigp[i] = big[i];
    }
    assert_int_equal(sl_scheduler_set_tasks(c.s, bigp, 500), SL_OK);
    converge(&c);
    for (int i = 0; i < 10; i++)
        assert_int_equal(c.w[i].nrunning, 50);
    const int rounds = 20000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int moved = 0;
    for (int i = 0; i < rounds; i++) {
        sim_worker *w = &c.w[i % 10];
        c.now += 1;
        hb(&c, w);
        moved += sl_scheduler_rebalance(c.s, c.now, 0);
        const char *const *keys;
        size_t n;
        uint64_t g;
        sl_scheduler_assignment(c.s, w->id, &keys, &n, &g);
        assert_int_equal(n, 50);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(moved, 0);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# heartbeat+rebalance+assignment, 10 workers x 50 tasks: %.0f/s\n", rounds / secs);
    sl_scheduler_destroy(c.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance_table),
        cmocka_unit_test(test_capacity_cap),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_add_worker_minimal_movement),
        cmocka_unit_test(test_handoff_waits_for_stop),
        cmocka_unit_test(test_handoff_lease_expiry),
        cmocka_unit_test(test_lease_expiry_frees_tasks),
        cmocka_unit_test(test_worker_leave),
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_adoption_after_restart),
        cmocka_unit_test(test_removed_tasks_revoked),
        cmocka_unit_test(test_conflicting_report),
        cmocka_unit_test(test_unowned_running_task),
        cmocka_unit_test(test_generations),
        cmocka_unit_test(test_determinism_and_churn),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_heartbeat_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

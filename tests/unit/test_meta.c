/* Unit tests for the controller's catalog (controller/meta): the in-memory
 * catalog, its Kafka log on the embedded broker (one fresh broker per test,
 * so every test starts from an empty __sluice_meta), the replay at open and
 * the record codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_producer.h"
#include "kafka/sl_topic_admin.h"
#include "meta/sl_meta.h"
#include "meta/sl_meta_internal.h"
#include "util/sl_clock.h"

#define OPEN_TIMEOUT_MS 20000

typedef struct fixture {
    sl_embedded_broker *broker;
    sl_topic_admin *admin;
    const char *bootstrap;
} fixture;

static int setup(void **state)
{
    sl_error err;
    fixture *fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    fx->broker = sl_embedded_broker_create(1, &err);
    if (!fx->broker)
        return -1;
    fx->admin = sl_topic_admin_create_embedded(fx->broker, &err);
    if (!fx->admin)
        return -1;
    fx->bootstrap = sl_embedded_broker_bootstrap(fx->broker);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    sl_topic_admin_destroy(fx->admin);
    sl_embedded_broker_destroy(fx->broker);
    free(fx);
    return 0;
}

static sl_meta *open_meta(fixture *fx, const sl_kafka_props *props)
{
    sl_error err;
    sl_error_clear(&err);
    sl_meta *m = sl_meta_open(fx->bootstrap, props, fx->admin, OPEN_TIMEOUT_MS, &err);
    if (!m)
        fail_msg("sl_meta_open: %s", err.msg);
    return m;
}

/* Closes m and opens the catalog again from the log. */
static sl_meta *reopen(fixture *fx, sl_meta *m)
{
    sl_meta_close(m);
    return open_meta(fx, NULL);
}

static void put_tenant(sl_meta *m, const char *name, uint32_t max_pipelines)
{
    sl_error err;
    sl_tenant t;
    memset(&t, 0, sizeof(t));
    snprintf(t.name, sizeof(t.name), "%s", name);
    t.max_pipelines = max_pipelines;
    t.max_tasks = 2 * max_pipelines;
    t.created_ms = 1700000000000 + max_pipelines;
    if (sl_meta_put_tenant(m, &t, &err) != SL_OK)
        fail_msg("put_tenant %s: %s", name, err.msg);
}

static sl_pipeline make_pipeline(const char *tenant, const char *name, uint64_t version,
                                 const char *spec)
{
    sl_pipeline p;
    memset(&p, 0, sizeof(p));
    snprintf(p.tenant, sizeof(p.tenant), "%s", tenant);
    snprintf(p.name, sizeof(p.name), "%s", name);
    p.version = version;
    p.spec_json = (char *)spec;
    p.desired = SL_DESIRED_RUNNING;
    p.created_ms = 1000;
    p.updated_ms = 1000 + (int64_t)version;
    return p;
}

/* ---- open ---------------------------------------------------------------- */

static void test_open_empty(void **state)
{
    fixture *fx = *state;
    sl_error err;
    int64_t t0 = sl_clock_mono_ms();
    sl_meta *m = open_meta(fx, NULL);
    /* An empty log is known to be empty from its watermarks: no waiting for
     * records that will never come (the open timeout is 20 s). */
    assert_true(sl_clock_mono_ms() - t0 < 10000);
    assert_int_equal(sl_meta_tenant_count(m), 0);
    assert_int_equal(sl_meta_token_count(m), 0);
    assert_int_equal(sl_meta_pipeline_count(m), 0);
    assert_null(sl_meta_tenant_at(m, 0));
    assert_null(sl_meta_token_at(m, 0));
    assert_null(sl_meta_pipeline_at(m, 0));
    assert_null(sl_meta_tenant(m, "acme"));
    assert_null(sl_meta_token(m, "0123456789ab"));
    assert_null(sl_meta_pipeline(m, "acme", "p"));
    assert_null(sl_meta_authenticate(m, "slt_0123456789ab_00"));

    /* The topic was created compacted with one partition. */
    int parts = 0;
    assert_int_equal(sl_topic_admin_partitions(fx->admin, SL_META_TOPIC, 5000, &parts, &err),
                     SL_OK);
    assert_int_equal(parts, 1);
    char policy[32] = "";
    assert_int_equal(sl_topic_admin_describe_config(fx->admin, SL_META_TOPIC, "cleanup.policy",
                                                    policy, sizeof(policy), 5000, &err),
                     SL_OK);
    assert_string_equal(policy, "compact");

    /* Opening again finds the existing (still empty) topic. */
    m = reopen(fx, m);
    assert_int_equal(sl_meta_tenant_count(m), 0);
    sl_meta_close(m);
    sl_meta_close(NULL);
}

static void test_open_bad_property(void **state)
{
    fixture *fx = *state;
    sl_error err;
    sl_kafka_props props = {0};
    assert_int_equal(sl_kafka_props_add(&props, "no.such.property", "1", &err), SL_OK);
    sl_error_clear(&err);
    assert_null(sl_meta_open(fx->bootstrap, &props, fx->admin, OPEN_TIMEOUT_MS, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no.such.property"));
    sl_kafka_props_clear(&props);
    assert_null(sl_meta_open(NULL, NULL, fx->admin, OPEN_TIMEOUT_MS, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
}

/* ---- tenants --------------------------------------------------------------- */

static void test_tenants(void **state)
{
    fixture *fx = *state;
    sl_error err;
    sl_meta *m = open_meta(fx, NULL);
    put_tenant(m, "beta", 5);
    put_tenant(m, "alpha", 3);
    put_tenant(m, "gamma", 7);
    assert_int_equal(sl_meta_tenant_count(m), 3);
    const sl_tenant *t = sl_meta_tenant(m, "alpha");
    assert_non_null(t);
    assert_string_equal(t->name, "alpha");
    assert_int_equal(t->max_pipelines, 3);
    assert_int_equal(t->max_tasks, 6);
    assert_int_equal(t->created_ms, 1700000000003);
    assert_null(sl_meta_tenant(m, "alph"));

    /* Replacing keeps one entry with the new values. */
    put_tenant(m, "beta", 50);
    assert_int_equal(sl_meta_tenant_count(m), 3);
    assert_int_equal(sl_meta_tenant(m, "beta")->max_pipelines, 50);

    /* Sorted by name, whatever the order of creation. */
    static const char *const order[] = {"alpha", "beta", "gamma"};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(sl_meta_tenant_at(m, i)->name, order[i]);
    assert_null(sl_meta_tenant_at(m, 3));

    /* Names that could not round-trip through a key are refused. */
    static const char *const bad[] = {"", "a/b", "tab\there",
                                      "0123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_tenant bt;
        memset(&bt, 0, sizeof(bt));
        memcpy(bt.name, bad[i], strlen(bad[i]) < sizeof(bt.name) ? strlen(bad[i]) : sizeof(bt.name));
        assert_int_equal(sl_meta_put_tenant(m, &bt, &err), SL_ERR_INVALID);
    }
    assert_int_equal(sl_meta_tenant_count(m), 3);

    /* Putting an entry the catalog itself owns (the array may move). */
    sl_tenant again = *sl_meta_tenant(m, "gamma");
    again.max_tasks = 99;
    assert_int_equal(sl_meta_put_tenant(m, sl_meta_tenant(m, "gamma"), &err), SL_OK);
    assert_int_equal(sl_meta_put_tenant(m, &again, &err), SL_OK);

    assert_int_equal(sl_meta_delete_tenant(m, "gamma", &err), SL_OK);
    assert_null(sl_meta_tenant(m, "gamma"));
    assert_int_equal(sl_meta_tenant_count(m), 2);
    assert_int_equal(sl_meta_delete_tenant(m, "gamma", &err), SL_ERR_NOT_FOUND);
    assert_int_equal(sl_meta_delete_tenant(m, "nobody", &err), SL_ERR_NOT_FOUND);

    /* A restarted catalog sees the replacement and the delete. */
    m = reopen(fx, m);
    assert_int_equal(sl_meta_tenant_count(m), 2);
    assert_string_equal(sl_meta_tenant_at(m, 0)->name, "alpha");
    assert_string_equal(sl_meta_tenant_at(m, 1)->name, "beta");
    assert_int_equal(sl_meta_tenant(m, "beta")->max_pipelines, 50);
    assert_int_equal(sl_meta_tenant(m, "beta")->max_tasks, 100);
    assert_int_equal(sl_meta_tenant(m, "alpha")->created_ms, 1700000000003);
    assert_null(sl_meta_tenant(m, "gamma"));

    /* Re-creating a deleted tenant works and survives a restart too. */
    put_tenant(m, "gamma", 1);
    m = reopen(fx, m);
    assert_int_equal(sl_meta_tenant_count(m), 3);
    assert_int_equal(sl_meta_tenant(m, "gamma")->max_pipelines, 1);
    sl_meta_close(m);
}

/* ---- tokens ---------------------------------------------------------------- */

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void create_token(sl_meta *m, const char *tenant, const char *desc, char *text,
                         const sl_token **out)
{
    sl_error err;
    if (sl_meta_create_token(m, tenant, desc, text, out, &err) != SL_OK)
        fail_msg("create_token for %s: %s", tenant, err.msg);
}

static void test_token_create_and_authenticate(void **state)
{
    fixture *fx = *state;
    sl_error err;
    char text[SL_TOKEN_TEXT_MAX], other[SL_TOKEN_TEXT_MAX];
    const sl_token *tok = NULL;
    sl_meta *m = open_meta(fx, NULL);
    put_tenant(m, "acme", 1);
    create_token(m, "acme", "ci deploys", text, &tok);

    /* slt_<12 hex>_<64 hex>, and the stored record describes it. */
    assert_int_equal(strlen(text), 4 + SL_TOKEN_ID_LEN + 1 + 64);
    assert_memory_equal(text, "slt_", 4);
    assert_true(is_hex(text + 4, SL_TOKEN_ID_LEN));
    assert_int_equal(text[4 + SL_TOKEN_ID_LEN], '_');
    assert_true(is_hex(text + 4 + SL_TOKEN_ID_LEN + 1, 64));
    assert_non_null(tok);
    assert_memory_equal(tok->id, text + 4, SL_TOKEN_ID_LEN);
    assert_int_equal(strlen(tok->id), SL_TOKEN_ID_LEN);
    assert_string_equal(tok->tenant, "acme");
    assert_string_equal(tok->description, "ci deploys");
    assert_true(tok->created_ms > 1600000000000);
    unsigned char h[32];
    sl_meta_hash_token(text, h);
    assert_memory_equal(tok->sha256, h, 32);
    assert_ptr_equal(sl_meta_token(m, tok->id), tok);

    /* Only the exact text authenticates. */
    const sl_token *who = sl_meta_authenticate(m, text);
    assert_non_null(who);
    assert_string_equal(who->id, tok->id);
    size_t len = strlen(text);
    size_t positions[] = {0, 3, 4, 10, 16, 17, 50, len - 1};
    for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
        memcpy(other, text, len + 1);
        other[positions[i]] = other[positions[i]] == 'a' ? 'b' : 'a';
        assert_null(sl_meta_authenticate(m, other));
    }
    memcpy(other, text, len + 1);
    other[len - 1] = '\0'; /* a prefix */
    assert_null(sl_meta_authenticate(m, other));
    memcpy(other, text, len); /* an extension */
    memcpy(other + len, "x", 2);
    assert_null(sl_meta_authenticate(m, other));
    assert_null(sl_meta_authenticate(m, "slt_000000000000_"
                                        "0000000000000000000000000000000000000000000000000000000000000000"));
    assert_null(sl_meta_authenticate(m, ""));
    assert_null(sl_meta_authenticate(m, NULL));

    /* Two tokens of one tenant differ and each finds its own record. */
    const sl_token *tok2 = NULL;
    char id1[SL_TOKEN_ID_LEN + 1];
    memcpy(id1, tok->id, sizeof(id1));
    create_token(m, "acme", NULL, other, &tok2);
    assert_string_not_equal(other, text);
    assert_string_equal(tok2->description, "");
    assert_string_equal(sl_meta_authenticate(m, other)->id, tok2->id);
    assert_string_equal(sl_meta_authenticate(m, text)->id, id1);

    /* Refusals leave no token and no text behind. */
    char none[SL_TOKEN_TEXT_MAX] = "untouched";
    assert_int_equal(sl_meta_create_token(m, "ghost", "x", none, &tok, &err), SL_ERR_NOT_FOUND);
    assert_string_equal(none, "");
    assert_null(tok);
    char longdesc[200];
    memset(longdesc, 'd', sizeof(longdesc) - 1);
    longdesc[sizeof(longdesc) - 1] = '\0';
    assert_int_equal(sl_meta_create_token(m, "acme", longdesc, none, NULL, &err), SL_ERR_INVALID);
    assert_int_equal(sl_meta_token_count(m), 2);

    /* After a restart the stored hashes still authenticate the texts. */
    m = reopen(fx, m);
    assert_int_equal(sl_meta_token_count(m), 2);
    who = sl_meta_authenticate(m, text);
    assert_non_null(who);
    assert_string_equal(who->id, id1);
    assert_string_equal(who->description, "ci deploys");
    assert_string_equal(who->tenant, "acme");
    assert_non_null(sl_meta_authenticate(m, other));
    sl_meta_close(m);
}

static void test_token_revoke(void **state)
{
    fixture *fx = *state;
    sl_error err;
    char t1[SL_TOKEN_TEXT_MAX], t2[SL_TOKEN_TEXT_MAX];
    char id1[SL_TOKEN_ID_LEN + 1];
    const sl_token *tok = NULL;
    sl_meta *m = open_meta(fx, NULL);
    put_tenant(m, "acme", 1);
    create_token(m, "acme", "one", t1, &tok);
    memcpy(id1, tok->id, sizeof(id1));
    create_token(m, "acme", "two", t2, NULL);
    assert_non_null(sl_meta_authenticate(m, t1));

    /* Revoking by a pointer into the catalog itself. */
    assert_int_equal(sl_meta_revoke_token(m, sl_meta_token(m, id1)->id, &err), SL_OK);
    assert_null(sl_meta_token(m, id1));
    assert_null(sl_meta_authenticate(m, t1));
    assert_non_null(sl_meta_authenticate(m, t2));
    assert_int_equal(sl_meta_token_count(m), 1);
    assert_int_equal(sl_meta_revoke_token(m, id1, &err), SL_ERR_NOT_FOUND);
    assert_int_equal(sl_meta_revoke_token(m, "nonsense", &err), SL_ERR_NOT_FOUND);

    m = reopen(fx, m);
    assert_int_equal(sl_meta_token_count(m), 1);
    assert_null(sl_meta_token(m, id1));
    assert_null(sl_meta_authenticate(m, t1));
    assert_non_null(sl_meta_authenticate(m, t2));
    sl_meta_close(m);
}

static void test_token_order(void **state)
{
    fixture *fx = *state;
    char text[SL_TOKEN_TEXT_MAX];
    sl_meta *m = open_meta(fx, NULL);
    put_tenant(m, "zeta", 1);
    put_tenant(m, "acme", 1);
    put_tenant(m, "mid", 1);
    /* created out of order on purpose */
    static const char *const owners[] = {"zeta", "zeta", "mid", "acme", "zeta", "acme"};
    for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
        create_token(m, owners[i], NULL, text, NULL);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(sl_meta_token_count(m), 6);
        assert_string_equal(sl_meta_token_at(m, 0)->tenant, "acme");
        assert_string_equal(sl_meta_token_at(m, 2)->tenant, "mid");
        assert_string_equal(sl_meta_token_at(m, 5)->tenant, "zeta");
        for (size_t i = 1; i < 6; i++) {
            const sl_token *a = sl_meta_token_at(m, i - 1), *b = sl_meta_token_at(m, i);
            int c = strcmp(a->tenant, b->tenant);
            assert_true(c < 0 || (c == 0 && strcmp(a->id, b->id) < 0));
        }
        assert_null(sl_meta_token_at(m, 6));
        m = reopen(fx, m); /* the replay builds the same order */
    }
    sl_meta_close(m);
}

static void test_tenant_delete_removes_tokens(void **state)
{
    fixture *fx = *state;
    sl_error err;
    char a1[SL_TOKEN_TEXT_MAX], a2[SL_TOKEN_TEXT_MAX], b1[SL_TOKEN_TEXT_MAX];
    sl_meta *m = open_meta(fx, NULL);
    put_tenant(m, "a", 1);
    put_tenant(m, "b", 1);
    create_token(m, "a", NULL, a1, NULL);
    create_token(m, "b", NULL, b1, NULL);
    create_token(m, "a", NULL, a2, NULL);
    sl_pipeline p = make_pipeline("a", "keep", 1, "{}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);

    /* The name passed may live inside a token that is about to go. */
    assert_int_equal(sl_meta_delete_tenant(m, sl_meta_authenticate(m, a1)->tenant, &err), SL_OK);
    assert_null(sl_meta_tenant(m, "a"));
    assert_int_equal(sl_meta_token_count(m), 1);
    assert_string_equal(sl_meta_token_at(m, 0)->tenant, "b");
    assert_null(sl_meta_authenticate(m, a1));
    assert_null(sl_meta_authenticate(m, a2));
    assert_non_null(sl_meta_authenticate(m, b1));
    /* pipelines are not the tenant delete's business */
    assert_non_null(sl_meta_pipeline(m, "a", "keep"));

    m = reopen(fx, m);
    assert_int_equal(sl_meta_tenant_count(m), 1);
    assert_int_equal(sl_meta_token_count(m), 1);
    assert_null(sl_meta_authenticate(m, a1));
    assert_null(sl_meta_authenticate(m, a2));
    assert_non_null(sl_meta_authenticate(m, b1));
    assert_non_null(sl_meta_pipeline(m, "a", "keep"));
    sl_meta_close(m);
}

/* ---- pipelines ------------------------------------------------------------- */

static void test_pipelines(void **state)
{
    fixture *fx = *state;
    sl_error err;
    sl_meta *m = open_meta(fx, NULL);

    /* The spec is copied: the caller's buffer may change afterwards. */
    char spec[64];
    snprintf(spec, sizeof(spec), "{\"input\":\"orders\"}");
    sl_pipeline p = make_pipeline("b", "x", 1, spec);
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
    spec[2] = 'X';
    const sl_pipeline *got = sl_meta_pipeline(m, "b", "x");
    assert_non_null(got);
    assert_string_equal(got->spec_json, "{\"input\":\"orders\"}");
    assert_ptr_not_equal(got->spec_json, spec);

    p = make_pipeline("a", "z", 1, "{\"z\":1}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
    p = make_pipeline("a", "y", 1, "{\"y\":1}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
    p = make_pipeline("a", "gone", 1, "{}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);

    /* A new version with another spec, paused, with a state epoch. */
    p = make_pipeline("a", "z", 2, "{\"z\":2,\"s\":\"caf\xc3\xa9\"}");
    p.desired = SL_DESIRED_PAUSED;
    p.state_epoch = 3;
    memset(p.state_fingerprint, 'f', 64);
    p.state_fingerprint[64] = '\0';
    p.created_ms = 1000;
    p.updated_ms = 2000;
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);

    /* Putting the catalog's own entry (its spec pointer is the catalog's). */
    sl_pipeline same = *sl_meta_pipeline(m, "b", "x");
    same.version = 7;
    assert_int_equal(sl_meta_put_pipeline(m, &same, &err), SL_OK);
    assert_int_equal(sl_meta_pipeline(m, "b", "x")->version, 7);
    assert_string_equal(sl_meta_pipeline(m, "b", "x")->spec_json, "{\"input\":\"orders\"}");

    assert_int_equal(sl_meta_delete_pipeline(m, "a", "gone", &err), SL_OK);
    assert_null(sl_meta_pipeline(m, "a", "gone"));
    assert_int_equal(sl_meta_delete_pipeline(m, "a", "gone", &err), SL_ERR_NOT_FOUND);

    /* Invalid pipelines are refused without a write. */
    p = make_pipeline("a", "bad", 1, NULL);
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_ERR_INVALID);
    p = make_pipeline("a", "bad", 1, "{}");
    p.desired = 0;
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_ERR_INVALID);
    p = make_pipeline("a", "b/c", 1, "{}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_ERR_INVALID);
    p = make_pipeline("", "x", 1, "{}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_ERR_INVALID);
    assert_null(sl_meta_pipeline(m, "a", "bad"));

    for (int round = 0; round < 2; round++) {
        /* sorted by tenant, then name */
        assert_int_equal(sl_meta_pipeline_count(m), 3);
        assert_string_equal(sl_meta_pipeline_at(m, 0)->name, "y");
        assert_string_equal(sl_meta_pipeline_at(m, 1)->name, "z");
        assert_string_equal(sl_meta_pipeline_at(m, 2)->tenant, "b");
        assert_string_equal(sl_meta_pipeline_at(m, 2)->name, "x");
        assert_null(sl_meta_pipeline_at(m, 3));

        got = sl_meta_pipeline(m, "a", "z");
        assert_non_null(got);
        assert_int_equal(got->version, 2);
        assert_string_equal(got->spec_json, "{\"z\":2,\"s\":\"caf\xc3\xa9\"}");
        assert_int_equal(got->desired, SL_DESIRED_PAUSED);
        assert_int_equal(got->state_epoch, 3);
        assert_int_equal(strlen(got->state_fingerprint), 64);
        assert_int_equal(got->created_ms, 1000);
        assert_int_equal(got->updated_ms, 2000);
        assert_int_equal(sl_meta_pipeline(m, "a", "y")->desired, SL_DESIRED_RUNNING);
        assert_int_equal(sl_meta_pipeline(m, "b", "x")->version, 7);
        assert_string_equal(sl_meta_pipeline(m, "b", "x")->spec_json, "{\"input\":\"orders\"}");
        assert_null(sl_meta_pipeline(m, "a", "gone"));
        m = reopen(fx, m);
    }
    sl_meta_close(m);
}

static void test_last_record_wins(void **state)
{
    fixture *fx = *state;
    sl_error err;
    char spec[64];
    sl_meta *m = open_meta(fx, NULL);
    for (uint64_t v = 1; v <= 20; v++) {
        snprintf(spec, sizeof(spec), "{\"v\":%llu}", (unsigned long long)v);
        sl_pipeline p = make_pipeline("t", "p", v, spec);
        assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
        if (v == 10) /* deleted and created again in between */
            assert_int_equal(sl_meta_delete_pipeline(m, "t", "p", &err), SL_OK);
    }
    m = reopen(fx, m);
    assert_int_equal(sl_meta_pipeline_count(m), 1);
    assert_int_equal(sl_meta_pipeline(m, "t", "p")->version, 20);
    assert_string_equal(sl_meta_pipeline(m, "t", "p")->spec_json, "{\"v\":20}");
    sl_meta_close(m);
}

/* ---- failures ---------------------------------------------------------------- */

/* A write Kafka refuses returns SL_ERR_IO and leaves memory (and the log) as
 * they were. The refusal here is a record above message.max.bytes: the
 * caller's properties reach the producer. */
static void test_write_failure_leaves_memory(void **state)
{
    fixture *fx = *state;
    sl_error err;
    sl_kafka_props props = {0};
    assert_int_equal(sl_kafka_props_add(&props, "message.max.bytes", "1000", &err), SL_OK);
    sl_meta *m = open_meta(fx, &props);
    sl_kafka_props_clear(&props);

    sl_pipeline p = make_pipeline("t", "p", 1, "{\"small\":true}");
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
    char *big = malloc(5000);
    memset(big, ' ', 4999);
    big[0] = '{';
    big[4998] = '}';
    big[4999] = '\0';
    p = make_pipeline("t", "p", 2, big);
    sl_error_clear(&err);
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_ERR_IO);
    assert_int_equal(err.code, SL_ERR_IO);
    assert_non_null(strstr(err.msg, "pipeline/t/p"));
    p = make_pipeline("t", "new", 1, big);
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_ERR_IO);
    free(big);

    assert_int_equal(sl_meta_pipeline_count(m), 1);
    assert_int_equal(sl_meta_pipeline(m, "t", "p")->version, 1);
    assert_string_equal(sl_meta_pipeline(m, "t", "p")->spec_json, "{\"small\":true}");
    assert_null(sl_meta_pipeline(m, "t", "new"));

    /* The producer is still usable afterwards. */
    put_tenant(m, "t", 1);
    assert_non_null(sl_meta_tenant(m, "t"));

    m = reopen(fx, m);
    assert_int_equal(sl_meta_pipeline_count(m), 1);
    assert_int_equal(sl_meta_pipeline(m, "t", "p")->version, 1);
    assert_non_null(sl_meta_tenant(m, "t"));
    sl_meta_close(m);
}

/* Produces key -> value straight to the log, as a foreign writer would. */
static void raw_write(fixture *fx, const char *key, const void *value, size_t len)
{
    sl_error err;
    sl_producer *p = sl_producer_create(fx->bootstrap, NULL, &err);
    assert_non_null(p);
    assert_int_equal(sl_producer_send(p, SL_META_TOPIC, 0, key, strlen(key), value, len, 0, NULL,
                                      0, &err),
                     SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000, &err), SL_OK);
    sl_producer_destroy(p);
}

static void test_bad_records_skipped(void **state)
{
    fixture *fx = *state;
    sl_error err;
    uint8_t *buf = NULL;
    size_t len = 0;
    sl_meta *m = open_meta(fx, NULL);
    put_tenant(m, "good", 1);

    raw_write(fx, "tenant/bad", "\xff\xff\xff garbage", 12);
    raw_write(fx, "nonsense/key", "x", 1);
    raw_write(fx, "tenant/x", NULL, 0); /* tombstone of a key never seen */

    /* A valid record under the wrong key. */
    sl_tenant other;
    memset(&other, 0, sizeof(other));
    snprintf(other.name, sizeof(other.name), "other");
    assert_int_equal(sl_meta_encode_tenant(&other, &buf, &len, &err), SL_OK);
    raw_write(fx, "tenant/mismatch", buf, len);
    raw_write(fx, "pipeline/good/p", buf, len);
    free(buf);

    /* A token whose hash has the wrong size. */
    static const uint8_t short_hash[] = {
        0x12, 0x1c, 0x0a, 0x0c, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b',
        0x12, 0x04, 'g',  'o',  'o', 'd', 0x1a, 0x02, 0x00, 0x01, 0x22, 0x00, 0x28, 0x01};
    raw_write(fx, "token/0123456789ab", short_hash, sizeof(short_hash));

    /* And a good record after them all: the replay must get past them. */
    sl_tenant late;
    memset(&late, 0, sizeof(late));
    snprintf(late.name, sizeof(late.name), "late");
    late.max_pipelines = 9;
    assert_int_equal(sl_meta_encode_tenant(&late, &buf, &len, &err), SL_OK);
    raw_write(fx, "tenant/late", buf, len);
    free(buf);

    m = reopen(fx, m);
    assert_int_equal(sl_meta_tenant_count(m), 2);
    assert_non_null(sl_meta_tenant(m, "good"));
    assert_non_null(sl_meta_tenant(m, "late"));
    assert_int_equal(sl_meta_tenant(m, "late")->max_pipelines, 9);
    assert_null(sl_meta_tenant(m, "bad"));
    assert_null(sl_meta_tenant(m, "other"));
    assert_null(sl_meta_tenant(m, "mismatch"));
    assert_int_equal(sl_meta_token_count(m), 0);
    assert_int_equal(sl_meta_pipeline_count(m), 0);
    sl_meta_close(m);
}

/* ---- codec ------------------------------------------------------------------- */

static void test_key_parse(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int ok;
        sl_meta_kind kind;
        const char *a, *b;
    } cases[] = {
        {"tenant/acme", 1, SL_META_KIND_TENANT, "acme", ""},
        {"token/0123456789ab", 1, SL_META_KIND_TOKEN, "0123456789ab", ""},
        {"pipeline/acme/orders", 1, SL_META_KIND_PIPELINE, "acme", "orders"},
        {"tenant/", 0, 0, NULL, NULL},
        {"tenant/a/b", 0, 0, NULL, NULL},
        {"token/0123456789AB", 0, 0, NULL, NULL},
        {"token/0123456789a", 0, 0, NULL, NULL},
        {"token/0123456789abc", 0, 0, NULL, NULL},
        {"pipeline/acme", 0, 0, NULL, NULL},
        {"pipeline/acme/", 0, 0, NULL, NULL},
        {"pipeline//orders", 0, 0, NULL, NULL},
        {"pipeline/acme/orders/x", 0, 0, NULL, NULL},
        {"tenant/0123456789012345678901234567890123456789012345678901234567890123", 0, 0, NULL,
         NULL},
        {"tenants/acme", 0, 0, NULL, NULL},
        {"", 0, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_meta_key k;
        sl_error err;
        int rc = sl_meta_key_parse(cases[i].key, strlen(cases[i].key), &k, &err);
        if (!cases[i].ok) {
            if (rc != SL_ERR_INVALID)
                fail_msg("key \"%s\" was accepted", cases[i].key);
            continue;
        }
        if (rc != SL_OK)
            fail_msg("key \"%s\" was refused", cases[i].key);
        assert_int_equal(k.kind, cases[i].kind);
        assert_string_equal(k.a, cases[i].a);
        assert_string_equal(k.b, cases[i].b);
        char again[SL_META_KEY_MAX];
        sl_meta_key_format(again, k.kind, k.a, k.b);
        assert_string_equal(again, cases[i].key);
    }
    /* A key with a NUL inside is not a name. */
    sl_meta_key k;
    assert_int_equal(sl_meta_key_parse("tenant/a\0b", 10, &k, NULL), SL_ERR_INVALID);
}

static void test_codec_roundtrip(void **state)
{
    (void)state;
    sl_error err;
    uint8_t *buf = NULL;
    size_t len = 0;
    sl_meta_rec rec;

    sl_token t;
    memset(&t, 0, sizeof(t));
    snprintf(t.id, sizeof(t.id), "00ff00ff00ff");
    snprintf(t.tenant, sizeof(t.tenant), "acme");
    for (int i = 0; i < 32; i++)
        t.sha256[i] = (unsigned char)(i * 7);
    snprintf(t.description, sizeof(t.description), "desc");
    t.created_ms = -5;
    assert_int_equal(sl_meta_encode_token(&t, &buf, &len, &err), SL_OK);
    assert_int_equal(sl_meta_decode(buf, len, &rec, &err), SL_OK);
    assert_int_equal(rec.kind, SL_META_KIND_TOKEN);
    assert_memory_equal(&rec.u.token, &t, sizeof(t));
    sl_meta_rec_clear(&rec);
    /* every truncation is refused or decodes to something valid; none crash */
    for (size_t cut = 0; cut < len; cut++) {
        int rc = sl_meta_decode(buf, cut, &rec, &err);
        assert_true(rc == SL_OK || rc == SL_ERR_INVALID);
        sl_meta_rec_clear(&rec);
    }
    assert_int_equal(sl_meta_decode(buf, len / 2, &rec, &err), SL_ERR_INVALID);
    free(buf);

    sl_pipeline p = make_pipeline("acme", "orders", 4, "{\"a\":[1,2]}");
    p.desired = SL_DESIRED_PAUSED;
    assert_int_equal(sl_meta_encode_pipeline(&p, &buf, &len, &err), SL_OK);
    assert_int_equal(sl_meta_decode(buf, len, &rec, &err), SL_OK);
    assert_int_equal(rec.kind, SL_META_KIND_PIPELINE);
    assert_string_equal(rec.u.pipeline.spec_json, p.spec_json);
    assert_int_equal(rec.u.pipeline.version, 4);
    assert_int_equal(rec.u.pipeline.desired, SL_DESIRED_PAUSED);
    assert_int_equal(rec.u.pipeline.updated_ms, 1004);
    sl_meta_rec_clear(&rec);
    assert_null(rec.u.pipeline.spec_json);
    free(buf);

    /* An empty MetaRecord has no kind. */
    assert_int_equal(sl_meta_decode("", 0, &rec, &err), SL_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test_setup_teardown(test_open_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_bad_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_create_and_authenticate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_delete_removes_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_record_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_leaves_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_records_skipped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

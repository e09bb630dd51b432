/* Integration: the controller's catalog (sl_meta) on the broker named by
 * SLUICE_TEST_BOOTSTRAP — the embedded broker from another process or a real
 * Kafka broker, where __sluice_meta is a genuinely compacted topic shared
 * with whatever else runs on that broker. The test therefore uses names of
 * its own and asserts only about them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/sl_topic_admin.h"
#include "meta/sl_meta.h"
#include "sl_test_env.h"

static sl_meta *open_meta(sl_topic_admin *a, const char *bootstrap)
{
    sl_error err;
    sl_error_clear(&err);
    sl_meta *m = sl_meta_open(bootstrap, NULL, a, 30000, &err);
    if (!m)
        fail_msg("sl_meta_open: %s", err.msg);
    return m;
}

static void test_catalog_survives_restart(void **state)
{
    (void)state;
    const char *bootstrap = sl_test_bootstrap();
    if (!bootstrap)
        skip();
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(bootstrap, NULL, 15000, &err);
    assert_non_null(a);

    char tenant[SL_META_NAME_MAX], gone[SL_META_NAME_MAX];
    sl_test_topic_name(tenant, sizeof(tenant), "meta");
    sl_test_topic_name(gone, sizeof(gone), "meta-gone");

    sl_meta *m = open_meta(a, bootstrap);
    char policy[32] = "";
    assert_int_equal(sl_topic_admin_describe_config(a, SL_META_TOPIC, "cleanup.policy", policy,
                                                    sizeof(policy), 15000, &err),
                     SL_OK);
    assert_string_equal(policy, "compact");

    sl_tenant t;
    memset(&t, 0, sizeof(t));
    snprintf(t.name, sizeof(t.name), "%s", tenant);
    t.max_pipelines = 4;
    assert_int_equal(sl_meta_put_tenant(m, &t, &err), SL_OK);
    snprintf(t.name, sizeof(t.name), "%s", gone);
    assert_int_equal(sl_meta_put_tenant(m, &t, &err), SL_OK);

    char text[SL_TOKEN_TEXT_MAX], gone_text[SL_TOKEN_TEXT_MAX];
    assert_int_equal(sl_meta_create_token(m, tenant, "itest", text, NULL, &err), SL_OK);
    assert_int_equal(sl_meta_create_token(m, gone, NULL, gone_text, NULL, &err), SL_OK);

    sl_pipeline p;
    memset(&p, 0, sizeof(p));
    snprintf(p.tenant, sizeof(p.tenant), "%s", tenant);
    snprintf(p.name, sizeof(p.name), "orders");
    p.version = 1;
    p.spec_json = "{\"v\":1}";
    p.desired = SL_DESIRED_RUNNING;
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
    p.version = 2;
    p.spec_json = "{\"v\":2}";
    p.desired = SL_DESIRED_PAUSED;
    assert_int_equal(sl_meta_put_pipeline(m, &p, &err), SL_OK);
    assert_int_equal(sl_meta_delete_tenant(m, gone, &err), SL_OK);
    sl_meta_close(m);

    m = open_meta(a, bootstrap);
    assert_non_null(sl_meta_tenant(m, tenant));
    assert_int_equal(sl_meta_tenant(m, tenant)->max_pipelines, 4);
    assert_null(sl_meta_tenant(m, gone));
    const sl_token *who = sl_meta_authenticate(m, text);
    assert_non_null(who);
    assert_string_equal(who->tenant, tenant);
    assert_string_equal(who->description, "itest");
    assert_null(sl_meta_authenticate(m, gone_text));
    const sl_pipeline *got = sl_meta_pipeline(m, tenant, "orders");
    assert_non_null(got);
    assert_int_equal(got->version, 2);
    assert_string_equal(got->spec_json, "{\"v\":2}");
    assert_int_equal(got->desired, SL_DESIRED_PAUSED);

    /* Clean up after ourselves (tombstones; compaction drops them later). */
    assert_int_equal(sl_meta_delete_pipeline(m, tenant, "orders", &err), SL_OK);
    assert_int_equal(sl_meta_delete_tenant(m, tenant, &err), SL_OK);
    assert_null(sl_meta_authenticate(m, text));
    sl_meta_close(m);
    sl_topic_admin_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_survives_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sl_state_purge (worker/runtime/sl_state_purge.h): which
 * directories of a state dir a purge removes, and that it never follows a
 * symbolic link out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/sl_state_purge.h"

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
}

static int exists(const char *root, const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    return lstat(p, &st) == 0;
}

static void mk(const char *root, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void test_purge_dirs(void **state)
{
    (void)state;
    char root[] = "/tmp/sluice-purge-XXXXXX", outside[] = "/tmp/sluice-purge-out-XXXXXX";
    char p[512], q[512];
    assert_non_null(mkdtemp(root));
    assert_non_null(mkdtemp(outside));
    snprintf(p, sizeof(p), "%s/keep", outside);
    touch(p);

    /* acme.speed: epoch-0 and two epoch dirs, with RocksDB-like content */
    mk(root, "acme.speed");
    mk(root, "acme.speed/0");
    snprintf(p, sizeof(p), "%s/acme.speed/0/CURRENT", root);
    touch(p);
    mk(root, "acme.speed.s2");
    mk(root, "acme.speed.s2/1");
    snprintf(p, sizeof(p), "%s/acme.speed.s2/1/000001.sst", root);
    touch(p);
    mk(root, "acme.speed.s13");
    /* a link to elsewhere inside: removed as a link, its target untouched */
    snprintf(p, sizeof(p), "%s/acme.speed.s13/link", root);
    assert_int_equal(symlink(outside, p), 0);
    /* neighbours that only look alike */
    mk(root, "acme.speedy");
    mk(root, "acme.speed.sx");
    mk(root, "acme.speed.s");
    mk(root, "globex.speed");

    sl_error err;
    assert_int_equal(sl_state_purge(root, "acme.speed", &err), 3);
    assert_false(exists(root, "acme.speed"));
    assert_false(exists(root, "acme.speed.s2"));
    assert_false(exists(root, "acme.speed.s13"));
    assert_true(exists(root, "acme.speedy"));
    assert_true(exists(root, "acme.speed.sx"));
    assert_true(exists(root, "acme.speed.s"));
    assert_true(exists(root, "globex.speed"));
    assert_true(exists(outside, "keep"));

    /* again: nothing left to remove */
    assert_int_equal(sl_state_purge(root, "acme.speed", &err), 0);
    /* a state dir that does not exist yet */
    snprintf(q, sizeof(q), "%s/none", root);
    assert_int_equal(sl_state_purge(q, "acme.speed", &err), 0);
    /* names that could escape are refused */
    assert_int_equal(sl_state_purge(root, "../x", &err), SL_ERR_INVALID);
    assert_int_equal(sl_state_purge(root, "acme", &err), SL_ERR_INVALID);
    assert_int_equal(sl_state_purge(root, "acme.a/b", &err), SL_ERR_INVALID);

    assert_int_equal(sl_state_purge(root, "acme.speedy", &err), 1);
    assert_int_equal(sl_state_purge(root, "globex.speed", &err), 1);
    rmdir(q);
    snprintf(p, sizeof(p), "%s/acme.speed.sx", root);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/acme.speed.s", root);
    rmdir(p);
    assert_int_equal(rmdir(root), 0);
    snprintf(p, sizeof(p), "%s/keep", outside);
    unlink(p);
    rmdir(outside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

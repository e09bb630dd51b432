/* sl_state_purge — rm -rf of a purged pipeline's state directories (see
 * sl_state_purge.h). The walk works relative to directory descriptors
 * (openat, unlinkat) with O_NOFOLLOW, so a symbolic link inside the state
 * directory can never lead the removal elsewhere. */
#include "runtime/sl_state_purge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/sl_heartbeat_client.h"

/* Deeper than any RocksDB directory; bounds the recursion. */
#define MAX_DEPTH 32

/* Removes name (relative to the directory at) and, for a directory, all below it. */
static int remove_tree(int at, const char *name, int depth, sl_error *err)
{
    struct stat st;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? SL_OK
                               : sl_error_set(err, SL_ERR_IO, "%s: %s", name, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(at, name, 0) != 0 && errno != ENOENT)
            return sl_error_set(err, SL_ERR_IO, "removing %s: %s", name, strerror(errno));
        return SL_OK;
    }
    if (depth > MAX_DEPTH)
        return sl_error_set(err, SL_ERR_IO, "%s: nested too deep", name);
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sl_error_set(err, SL_ERR_IO, "opening %s: %s", name, strerror(errno));
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return sl_error_set(err, SL_ERR_IO, "reading %s: %s", name, strerror(errno));
    }
    int rc = SL_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        int r = remove_tree(dirfd(d), de->d_name, depth + 1, err);
        if (r != SL_OK)
            rc = r; /* go on: remove what can be removed */
    }
    closedir(d);
    if (rc == SL_OK && unlinkat(at, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = sl_error_set(err, SL_ERR_IO, "removing %s: %s", name, strerror(errno));
    return rc;
}

/* Non-zero when entry is name itself or name + ".s" + digits: a state
 * directory named by sl_plan_state_name for any epoch. */
static int is_state_dir_of(const char *entry, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(entry, name, n) != 0)
        return 0;
    if (entry[n] == '\0')
        return 1;
    if (entry[n] != '.' || entry[n + 1] != 's' || entry[n + 2] == '\0')
        return 0;
    for (const char *p = entry + n + 2; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

int sl_state_purge(const char *state_dir, const char *name, sl_error *err)
{
    if (!sl_cluster_purge_name_valid(name))
        return sl_error_set(err, SL_ERR_INVALID, "'%s' is not a '<tenant>.<pipeline>' name",
                            name ? name : "");
    const char *root = state_dir && *state_dir ? state_dir : ".";
    DIR *d = opendir(root);
    if (!d)
        return errno == ENOENT
                   ? 0
                   : sl_error_set(err, SL_ERR_IO, "reading %s: %s", root, strerror(errno));
    int removed = 0, rc = SL_OK;
    struct dirent *de;
    /* Collect first: removing while readdir walks the same directory may
     * skip entries. A pipeline has a handful of epochs at most. */
    char found[64][256];
    int nfound = 0;
    while ((de = readdir(d)) != NULL && nfound < 64)
        if (is_state_dir_of(de->d_name, name) && strlen(de->d_name) < sizeof(found[0]))
            snprintf(found[nfound++], sizeof(found[0]), "%s", de->d_name);
    for (int i = 0; i < nfound; i++) {
        int r = remove_tree(dirfd(d), found[i], 0, err);
        if (r == SL_OK)
            removed++;
        else
            rc = r;
    }
    closedir(d);
    return rc == SL_OK ? removed : rc;
}

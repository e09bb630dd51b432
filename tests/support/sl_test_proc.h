/* sl_test_proc — start, signal and wait for Sluice binaries from tests.
 * Header-only. Processes inherit stderr (their logs show in the test log);
 * stdout goes to a file when asked. */
#ifndef SL_TEST_PROC_H
#define SL_TEST_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/sl_clock.h"

/* Monotonic milliseconds, for a test's deadlines. */
static inline int64_t sl_test_now_ms(void)
{
    return sl_clock_mono_ms();
}

static inline void sl_test_sleep_ms(int ms)
{
    sl_clock_sleep_ms(ms);
}

/* Children still to reap: a failed assertion leaves the test function
 * early, so an atexit handler kills whatever is left. */
static pid_t sl_test_children[64];

static inline void sl_test_kill_children(void)
{
    for (int i = 0; i < 64; i++)
        if (sl_test_children[i] > 0)
            kill(sl_test_children[i], SIGKILL);
}

/* Starts argv[0] with argv (NULL-terminated); stdout to out_path when not
 * NULL. Returns the pid, or -1. */
static inline pid_t sl_test_spawn(char *const argv[], const char *out_path)
{
    static int registered;
    if (!registered) {
        atexit(sl_test_kill_children);
        registered = 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid > 0)
        for (int i = 0; i < 64; i++)
            if (sl_test_children[i] <= 0) {
                sl_test_children[i] = pid;
                break;
            }
    if (pid == 0) {
        if (out_path) {
            int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                close(fd);
            }
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to timeout_ms for pid to exit. Returns its exit status (or 128 +
 * signal), or -1 when it is still running. */
static inline int sl_test_wait(pid_t pid, int timeout_ms)
{
    for (int waited = 0;; waited += 20) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            for (int i = 0; i < 64; i++)
                if (sl_test_children[i] == pid)
                    sl_test_children[i] = 0;
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return -2;
        if (waited >= timeout_ms)
            return -1;
        sl_test_sleep_ms(20);
    }
}

/* Sends sig, then waits like sl_test_wait; kills with SIGKILL if the process
 * outlives timeout_ms (and then returns -1). */
static inline int sl_test_stop(pid_t pid, int sig, int timeout_ms)
{
    kill(pid, sig);
    int rc = sl_test_wait(pid, timeout_ms);
    if (rc == -1) {
        kill(pid, SIGKILL);
        sl_test_wait(pid, 5000);
    }
    return rc;
}

/* Path of a built binary: SLUICE_BINARY_DIR/bin/name. */
static inline const char *sl_test_bin(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/bin/%s", SLUICE_BINARY_DIR, name);
    return buf;
}

#endif

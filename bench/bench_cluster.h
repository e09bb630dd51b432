/* bench_cluster — what the cluster benchmarks need besides Kafka: child
 * processes (spawn with their output in files, stop by pid), the token files,
 * and a small JSON REST client of the controller's API v1 (libcurl, answers
 * parsed with yyjson). The REST client, its JSON getters and the free port
 * come from tests/support, shared with the cluster tests (none of those
 * headers needs cmocka); clocks are common/util/sl_clock.h. Header-only,
 * like bench_args.h. */
#ifndef BENCH_CLUSTER_H
#define BENCH_CLUSTER_H

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yyjson.h>

#include "util/sl_clock.h"

#include "../tests/support/sl_rest_client.h" /* shared with the cluster tests */
#include "../tests/support/sl_test_net.h"

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v); 0 for n == 0. */
static inline double bench_median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- processes ---------------------------------------------------------- */

/* Starts argv with stdout to out_path and stderr to err_path (appended).
 * Returns the pid or -1. */
static inline pid_t bench_spawn(char *const argv[], const char *out_path, const char *err_path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int out = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int errfd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || errfd < 0 || in < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(errfd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static inline int bench_alive(pid_t pid)
{
    return pid > 0 && waitpid(pid, NULL, WNOHANG) == 0;
}

/* sig, then up to timeout_ms for the exit; SIGKILL after that. */
static inline void bench_stop(pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0)
        return;
    kill(pid, sig);
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        sl_clock_sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static inline int bench_read_token(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    buf[strcspn(buf, " \r\n\t")] = '\0';
    return ok && buf[0] ? 0 : -1;
}

/* ---- REST ---------------------------------------------------------------- */

typedef sl_rest_reply bench_reply;

static inline void bench_reply_free(bench_reply *r)
{
    sl_rest_reply_free(r);
}

/* One JSON request on a fresh connection; a 429 is retried after 50 ms
 * (counted in *throttled when not NULL). Returns the status (0: no answer). */
static inline long bench_rest(const char *base, const char *method, const char *path,
                              const char *token, const char *body, bench_reply *r, int *throttled)
{
    return sl_rest_call(base, method, path, token, body, r, 100, 50, 30, throttled);
}

#endif

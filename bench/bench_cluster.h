/* bench_cluster — what the cluster benchmarks need besides Kafka: child
 * processes (spawn with their output in files, stop by pid), a free port, the
 * token files, and a small JSON REST client of the controller's API v1
 * (libcurl, answers parsed with yyjson). Header-only, like bench_args.h. */
#ifndef BENCH_CLUSTER_H
#define BENCH_CLUSTER_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yyjson.h>

#include "../tests/support/sl_rest_client.h" /* shared with the cluster tests */

static inline int64_t bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void bench_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

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
        bench_sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* A free port on 127.0.0.1 below the usual ephemeral range (probed by
 * binding it). */
static inline int bench_free_port(void)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        int port = 10000 + rand() % 22000;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return port;
    }
    return 0;
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

static inline const char *bench_jstr(yyjson_val *o, const char *k)
{
    const char *s = yyjson_get_str(yyjson_obj_get(o, k));
    return s ? s : "";
}

static inline long long bench_jint(yyjson_val *o, const char *k)
{
    yyjson_val *v = yyjson_obj_get(o, k);
    return yyjson_is_num(v) ? (long long)yyjson_get_num(v) : -1;
}

#endif

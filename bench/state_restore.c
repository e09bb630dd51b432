/* bench-state_restore — how fast a task rebuilds its state from the
 * changelog on a new node (the target: >= 300,000 keys/s for 1 M
 * keys into an empty state directory).
 *
 *   bench-state_restore --bootstrap B [--count 1000000] [--value-bytes 64]
 *                       [--runs 3]
 *
 * It fills `<pipeline>.changelog` (1 partition, compacted) with --count
 * distinct state keys, each with the sluice.offset header of a committed
 * checkpoint, commits input offset 0 for the pipeline's group, and then
 * starts the real sluice-worker (next to this binary) --runs times, each on
 * an empty state directory: the worker restores before it processes
 * anything and logs "state restored: N records applied, ... S s". The
 * numbers printed are the worker's own (records / restore seconds) and the
 * wall time from process start to that line. Real Kafka only: the embedded
 * broker keeps ~5 MiB per partition. Timing never fails the run; exit 1
 * only when a restore did not happen. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/sl_state.h"
#include "kafka/sl_consumer.h"
#include "kafka/sl_producer.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_clock.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fills the changelog with count records of ns 1000 (a namespace no step
 * uses, so the worker's operators never look at them). */
static int fill(const char *bootstrap, const char *topic, long count, int value_bytes)
{
    sl_error err;
    sl_kafka_props props = {0};
    sl_kafka_props_add(&props, "batch.num.messages", "10000", &err);
    sl_kafka_props_add(&props, "batch.size", "1000000", &err);
    sl_kafka_props_add(&props, "queue.buffering.max.kbytes", "1048576", &err);
    sl_kafka_props_add(&props, "linger.ms", "20", &err);
    sl_producer *p = sl_producer_create(bootstrap, &props, &err);
    sl_kafka_props_clear(&props);
    if (!p) {
        fprintf(stderr, "bench-state_restore: producer: %s\n", err.msg);
        return -1;
    }
    char value[1024];
    memset(value, 'v', sizeof(value));
    sl_header h = {"sluice.offset", "0", 1};
    double t0 = sl_clock_mono_s();
    for (long i = 0; i < count; i++) {
        char key[32];
        unsigned char rec_key[40];
        size_t rl;
        int kl = snprintf(key, sizeof(key), "key-%08ld", i);
        sl_state_changelog_key_encode(1000, key, (size_t)kl, rec_key, sizeof(rec_key), &rl);
        if (sl_producer_send(p, topic, 0, rec_key, rl, value, (size_t)value_bytes, 0, &h, 1,
                             &err) != SL_OK) {
            fprintf(stderr, "bench-state_restore: produce: %s\n", err.msg);
            sl_producer_destroy(p);
            return -1;
        }
    }
    int rc = sl_producer_flush(p, 120000, &err);
    double secs = sl_clock_mono_s() - t0;
    sl_producer_destroy(p);
    if (rc != SL_OK) {
        fprintf(stderr, "bench-state_restore: flush: %s\n", err.msg);
        return -1;
    }
    printf("state_restore: changelog filled: records=%ld value_bytes=%d seconds=%.2f\n", count,
           value_bytes, secs);
    return 0;
}

/* Peak resident memory of process pid so far, KiB (0 when unknown). */
static long peak_rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* Runs the worker on an empty state_dir until it logs the restore; fills
 * *applied, *restore_s (the worker's figure), *wall_s and *rss_kib (the
 * worker's peak RSS up to then). */
static int run_worker(const char *worker, const char *spec, const char *bootstrap,
                      const char *state_dir, long *applied, double *restore_s, double *wall_s,
                      long *rss_kib)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    double t0 = sl_clock_mono_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execl(worker, worker, "--standalone", "-f", spec, "--bootstrap-servers", bootstrap,
              "--state-dir", state_dir, "--threads", "1", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[2048];
    int found = 0;
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "state restored: ");
        if (p && sscanf(p, "state restored: %ld records applied, %*d skipped "
                           "(input not committed), %lf s",
                        applied, restore_s) == 2) {
            *wall_s = sl_clock_mono_s() - t0;
            *rss_kib = peak_rss_kib(pid);
            found = 1;
            break;
        }
        if (strstr(line, "ERROR"))
            fputs(line, stderr);
    }
    kill(pid, SIGTERM);
    /* drain so that the worker never blocks on a full pipe while stopping */
    while (f && fgets(line, sizeof(line), f))
        ;
    if (f)
        fclose(f);
    waitpid(pid, NULL, 0);
    return found ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL;
    long count = 1000000;
    int value_bytes = 64, runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bootstrap") == 0)
            bootstrap = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            count = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--value-bytes") == 0)
            value_bytes = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
    }
    if (!bootstrap || count < 1 || value_bytes < 1 || value_bytes > 1024 || runs < 1 ||
        runs > 20) {
        fprintf(stderr, "usage: bench-state_restore --bootstrap B [--count 1000000] "
                        "[--value-bytes 64] [--runs 3]\n");
        return 2;
    }
    char worker[4200], self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(worker, sizeof(worker), "%s/sluice-worker", self);

    sl_error err;
    sl_topic_admin *admin = sl_topic_admin_create(bootstrap, NULL, 15000, &err);
    if (!admin) {
        fprintf(stderr, "bench-state_restore: %s\n", err.msg);
        return 1;
    }
    if (strcmp(sl_topic_admin_backend(admin), "kafka") != 0) {
        printf("state_restore: skipped: needs a real Kafka broker (the embedded one keeps "
               "~5 MiB per partition)\n");
        sl_topic_admin_destroy(admin);
        return 0;
    }
    char name[64], input[96], changelog[96], spec[160], group[96];
    snprintf(name, sizeof(name), "rb%ld%d", (long)time(NULL), (int)getpid());
    snprintf(input, sizeof(input), "%s-in", name);
    snprintf(changelog, sizeof(changelog), "%s.changelog", name);
    snprintf(group, sizeof(group), "sluice.%s", name);
    snprintf(spec, sizeof(spec), "/tmp/%s.json", name);
    const sl_topic_config compact[] = {{"cleanup.policy", "compact"}};
    if (sl_topic_admin_create_topic(admin, input, 1, NULL, 0, 30000, &err) != SL_OK ||
        sl_topic_admin_create_topic(admin, changelog, 1, compact, 1, 30000, &err) != SL_OK) {
        fprintf(stderr, "bench-state_restore: topics: %s\n", err.msg);
        sl_topic_admin_destroy(admin);
        return 1;
    }
    sl_topic_admin_destroy(admin);
    FILE *f = fopen(spec, "w");
    if (!f)
        return 1;
    fprintf(f,
            "{\"name\": \"%s\", \"input\": {\"topic\": \"%s\", \"value_format\": \"json\"},\n"
            " \"steps\": [{\"op\": \"tumbling_window\", \"size\": \"10s\",\n"
            "   \"aggregate\": {\"avg\": \"mean(speed)\", \"n\": \"count()\"}}]}\n",
            name, input);
    fclose(f);
    if (fill(bootstrap, changelog, count, value_bytes) != 0)
        return 1;
    /* The checkpoint these records belong to (sluice.offset 0) is committed. */
    sl_consumer *c = sl_consumer_create(bootstrap, group, NULL, &err);
    if (!c || sl_consumer_commit(c, input, 0, 0, &err) != SL_OK) {
        fprintf(stderr, "bench-state_restore: commit: %s\n", err.msg);
        sl_consumer_destroy(c);
        return 1;
    }
    sl_consumer_destroy(c);

    double rate[20], wall[20];
    for (int r = 0; r < runs; r++) {
        char dir[256];
        long applied = 0, rss = 0;
        double secs = 0, w = 0;
        snprintf(dir, sizeof(dir), "/tmp/%s-state-%d", name, r);
        if (run_worker(worker, spec, bootstrap, dir, &applied, &secs, &w, &rss) != 0) {
            fprintf(stderr, "bench-state_restore: run %d: no restore logged\n", r + 1);
            return 1;
        }
        sl_state_destroy_dir(dir, NULL);
        rate[r] = secs > 0 ? (double)applied / secs : 0;
        wall[r] = w;
        printf("state_restore: run %d: keys=%ld restore_s=%.2f keys_per_s=%.0f "
               "process_start_to_restored_s=%.2f worker_peak_rss_kib=%ld\n",
               r + 1, applied, secs, rate[r], w, rss);
        if (applied != count)
            fprintf(stderr, "bench-state_restore: run %d restored %ld of %ld records\n", r + 1,
                    applied, count);
    }
    qsort(rate, (size_t)runs, sizeof(double), cmp_double);
    qsort(wall, (size_t)runs, sizeof(double), cmp_double);
    double med = rate[runs / 2];
    printf("state_restore: median keys_per_s=%.0f (target 300000: ratio %.2f) "
           "median process_start_to_restored_s=%.2f over %d runs, %ld keys of %d-byte values\n",
           med, med / 300000.0, wall[runs / 2], runs, count, value_bytes);
    remove(spec);
    return 0;
}

/* bench-watermark_wait — waits until the partitions of a topic hold at least
 * N records in all (sum of high watermarks) and prints how long that took:
 * the finish line of the worker benchmark, measured without consuming the
 * output (a consumer would compete with the worker for the same 2 cores).
 *
 *   bench-watermark_wait --bootstrap B --topic T --count N [--timeout 300]
 *
 * Prints "watermark_wait: records=N elapsed_ms=..." (elapsed from the
 * program's start; the caller starts it together with the worker). Exit 1 on
 * timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/sl_consumer.h"
#include "kafka/sl_topic_admin.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL;
    long long want = 0;
    int timeout_s = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bootstrap") == 0)
            bootstrap = argv[i + 1];
        else if (strcmp(argv[i], "--topic") == 0)
            topic = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            want = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout_s = atoi(argv[i + 1]);
    }
    if (!bootstrap || !topic || want <= 0) {
        fprintf(stderr, "usage: bench-watermark_wait --bootstrap B --topic T --count N "
                        "[--timeout 300]\n");
        return 2;
    }
    double t0 = now_s();
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(bootstrap, NULL, 30000, &err);
    int parts = 0;
    if (!a || sl_topic_admin_wait_metadata_for(a, topic, timeout_s * 1000, &parts, &err) != SL_OK) {
        fprintf(stderr, "watermark_wait: topic %s: %s\n", topic, err.msg);
        return 1;
    }
    sl_topic_admin_destroy(a);
    sl_consumer *c = sl_consumer_create(bootstrap, NULL, NULL, &err);
    if (!c) {
        fprintf(stderr, "watermark_wait: %s\n", err.msg);
        return 1;
    }
    long long total = 0;
    while (now_s() - t0 < timeout_s) {
        total = 0;
        for (int p = 0; p < parts; p++) {
            int64_t lo = 0, hi = 0;
            if (sl_consumer_watermarks(c, topic, p, 5000, &lo, &hi, &err) == SL_OK)
                total += hi;
        }
        if (total >= want)
            break;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    double elapsed = now_s() - t0;
    sl_consumer_destroy(c);
    printf("watermark_wait: records=%lld elapsed_ms=%.0f\n", total, elapsed * 1000);
    return total >= want ? 0 : 1;
}

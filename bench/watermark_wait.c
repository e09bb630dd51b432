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

#include "bench_args.h"
#include "kafka/sl_consumer.h"
#include "kafka/sl_topic_admin.h"
#include "util/sl_clock.h"

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: bench-watermark_wait --bootstrap B --topic T --count N [--timeout 300]\n";
    const char *bootstrap = NULL, *topic = NULL;
    long long want = 0;
    int timeout_s = 300;
    sl_kafka_props props = {0};
    const bench_arg args[] = {
        {"--bootstrap", BENCH_ARG_STR, &bootstrap}, {"--topic", BENCH_ARG_STR, &topic},
        {"--count", BENCH_ARG_LL, &want},           {"--timeout", BENCH_ARG_INT, &timeout_s},
    };
    if (bench_args_parse("bench-watermark_wait", usage, argc, argv, args,
                         sizeof(args) / sizeof(args[0]), &props) != 0)
        return 2;
    if (!bootstrap || !topic || want <= 0) {
        fputs(usage, stderr);
        return 2;
    }
    double t0 = sl_clock_mono_s();
    sl_error err;
    sl_topic_admin *a = sl_topic_admin_create(bootstrap, NULL, 30000, &err);
    int parts = 0;
    if (!a || sl_topic_admin_wait_metadata_for(a, topic, timeout_s * 1000, &parts, &err) != SL_OK) {
        fprintf(stderr, "watermark_wait: topic %s: %s\n", topic, err.msg);
        return 1;
    }
    sl_topic_admin_destroy(a);
    sl_consumer *c = sl_consumer_create(bootstrap, NULL, &props, &err);
    if (!c) {
        fprintf(stderr, "watermark_wait: %s\n", err.msg);
        return 1;
    }
    long long total = 0;
    while (sl_clock_mono_s() - t0 < timeout_s) {
        total = 0;
        for (int p = 0; p < parts; p++) {
            int64_t lo = 0, hi = 0;
            if (sl_consumer_watermarks(c, topic, p, 5000, &lo, &hi, &err) == SL_OK)
                total += hi;
        }
        if (total >= want)
            break;
        sl_clock_sleep_ms(5);
    }
    double elapsed = sl_clock_mono_s() - t0;
    sl_consumer_destroy(c);
    sl_kafka_props_clear(&props);
    printf("watermark_wait: records=%lld elapsed_ms=%.0f\n", total, elapsed * 1000);
    return total >= want ? 0 : 1;
}

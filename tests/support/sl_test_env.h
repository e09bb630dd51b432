/* sl_test_env — helpers shared by the integration tests: which broker to talk
 * to (SLUICE_TEST_BOOTSTRAP, and SLUICE_TEST_BROKER = embedded | kafka) and
 * unique topic names so that runs never see each other's data. Header-only. */
#ifndef SL_TEST_ENV_H
#define SL_TEST_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The broker under test, or NULL (the test then skips). */
static inline const char *sl_test_bootstrap(void)
{
    const char *b = getenv("SLUICE_TEST_BOOTSTRAP");
    return b && *b ? b : NULL;
}

/* "embedded", "kafka" or "" when unknown. */
static inline const char *sl_test_broker_kind(void)
{
    const char *k = getenv("SLUICE_TEST_BROKER");
    return k ? k : "";
}

/* Writes "<prefix>-<pid>-<time>-<n>" into buf: unique per run and call. */
static inline const char *sl_test_topic_name(char *buf, size_t size, const char *prefix)
{
    static int counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, size, "%s-%d-%lld-%d", prefix, (int)getpid(),
             (long long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000), ++counter);
    return buf;
}

#endif

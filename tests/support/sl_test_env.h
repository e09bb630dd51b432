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

#include "util/sl_clock.h"

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
    snprintf(buf, size, "%s-%d-%lld-%d", prefix, (int)getpid(), (long long)sl_clock_wall_ms(),
             ++counter);
    return buf;
}

/* The base timestamp for a test's records: one hour before the process's
 * first call, rounded down to a whole minute, the same for the rest of the
 * process. Fixed old timestamps are wrong on a real broker: time-based
 * retention (7 days by default) deletes a segment whose newest record is
 * older, the active one too, at its next check (every 5 minutes), under the
 * test's feet (see docs/state.md, "Old event times and retention"). */
static inline long long sl_test_base_ts(void)
{
    static long long base;
    if (!base) {
        base = (long long)sl_clock_wall_ms() - 3600000LL;
        base -= base % 60000LL;
    }
    return base;
}

#endif

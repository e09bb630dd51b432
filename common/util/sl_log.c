/* sl_log — line-oriented logging to stderr (see sl_log.h). */
#include "util/sl_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int sl_log_level_global = SL_LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int sl_log_level_parse(const char *name)
{
    static const char *const lower[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (name && strcasecmp(name, lower[i]) == 0)
            return i;
    return -1;
}

void sl_log(int level, const char *ctx, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;

    if (level < sl_log_level_global || level < 0 || level > SL_LOG_ERROR)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s ", ts.tv_nsec / 1000000,
                          level_names[level]);
    if (ctx && *ctx)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "[%s] ", ctx);
    if (n < sizeof(line)) {
        va_start(ap, fmt);
        int w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (w > 0)
            n += (size_t)w;
    }
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    /* Keep one event on one line. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, n);
    (void)ignored;
}

/* sl_duration — parse "250ms", "30s", "5m", "1h", "1d" (see sl_duration.h). */
#include "util/sl_duration.h"

#include <ctype.h>
#include <string.h>

int sl_duration_parse(const char *text, int64_t *out_ms, sl_error *err)
{
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    const char *p = text;
    int64_t n = 0;

    if (!text || !isdigit((unsigned char)*p))
        goto bad;
    while (isdigit((unsigned char)*p)) {
        int d = *p - '0';
        if (n > (INT64_MAX - d) / 10)
            goto bad;
        n = n * 10 + d;
        p++;
    }
    if (*p == '\0') {
        *out_ms = n;
        return SL_OK;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].suffix) == 0) {
            if (n > INT64_MAX / units[i].ms)
                goto bad;
            *out_ms = n * units[i].ms;
            return SL_OK;
        }
    }
bad:
    return sl_error_set(err, SL_ERR_INVALID,
                        "invalid duration '%s': expected an integer of milliseconds or a "
                        "number followed by ms, s, m, h or d (e.g. \"30s\")",
                        text ? text : "(null)");
}

/* sl_duration — durations as users write them: "250ms", "30s", "5m", "1h",
 * "1d", or a plain integer number of milliseconds. */
#ifndef SL_DURATION_H
#define SL_DURATION_H

#include <stdint.h>

#include "util/sl_error.h"

/* Parses text into milliseconds (> 0 not required: "0ms" is 0). Returns 0 or
 * SL_ERR_INVALID with a message naming the accepted forms. */
int sl_duration_parse(const char *text, int64_t *out_ms, sl_error *err);

#endif

/* fuzz_duration — the duration parser must accept or reject any bytes
 * without crashing, and accepted values must be non-negative. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sl_duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int64_t ms = 0;
    sl_error err;
    if (sl_duration_parse(text, &ms, &err) == SL_OK && ms < 0)
        abort();
    free(text);
    return 0;
}

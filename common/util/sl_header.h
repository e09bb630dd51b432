/* sl_header — one Kafka record header, borrowed: a name and value bytes
 * (value NULL for a null header value). Shared by the engine's records and
 * the Kafka producer so that records pass between them without copying. */
#ifndef SL_HEADER_H
#define SL_HEADER_H

#include <stddef.h>

typedef struct sl_header {
    const char *name;
    const void *value;
    size_t value_len;
} sl_header;

#endif

/* sluicectl_run — the `sluicectl run` command (offline runner) and its
 * envelope reader. Private to cli/. */
#ifndef SLUICECTL_RUN_H
#define SLUICECTL_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/sl_exec.h"
#include "spec/sl_spec.h"
#include "util/sl_error.h"
#include "value/sl_mem.h"

/* Runs `sluicectl run` with argv[0] = "run"; returns the exit status. */
int sluicectl_run(int argc, char **argv);

/* Offsets handed to messages that give none: the next offset of each
 * partition, as a real topic would number them. */
typedef struct sluicectl_offsets {
    int64_t *next;
    size_t n;
} sluicectl_offsets;

/* True if line[0..len) holds only white space. */
int sluicectl_line_is_blank(const char *line, size_t len);

/* Parses one envelope line into *msg (pointers into mem, valid until its
 * reset; headers[0..max_headers) is filled and referenced). For value_format
 * json the envelope's value is re-encoded as the message bytes; for string
 * and bytes it must be a JSON string (or null). The key is the key's text for
 * every key_format. SL_ERR_INVALID with err->msg saying what is wrong. */
int sluicectl_envelope_parse(sl_mem *mem, const sl_plan *plan, sluicectl_offsets *offs,
                             const char *line, size_t len, sl_message *msg, sl_header *headers,
                             size_t max_headers, sl_error *err);

#endif

/* sl_token_file — the admin and worker tokens of the controller, read from
 * files (a Kubernetes Secret mounted as files, or files the demo writes). */
#ifndef SL_TOKEN_FILE_H
#define SL_TOKEN_FILE_H

#include "util/sl_error.h"

/* Reads the token in path (surrounding whitespace trimmed) and stores its
 * SHA-256 in hash. When the file does not exist and create is non-zero, writes
 * a new random token "<prefix><64 hex digits>" to it first (mode 0600).
 * SL_ERR_IO (cannot read or write), SL_ERR_INVALID (empty, or shorter than
 * 16 characters). The token itself is never logged. */
int sl_token_file_load(const char *path, const char *prefix, int create, unsigned char hash[32],
                       sl_error *err);

#endif

/* sl_token_file — loading (and on first use creating) a token file. */
#include "core/sl_token_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "meta/sl_meta.h"
#include "util/sl_hex.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 512

static int create_file(const char *path, const char *prefix, sl_error *err)
{
    unsigned char raw[32];
    char text[TOKEN_MAX];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return sl_error_set(err, SL_ERR_IO, "no random bytes for a new token");
    size_t n = strlen(prefix);
    if (n + 2 * sizeof(raw) + 2 > sizeof(text))
        return sl_error_set(err, SL_ERR_INVALID, "token prefix of %zu bytes is too long", n);
    memcpy(text, prefix, n);
    sl_hex_encode(raw, sizeof(raw), text + n);
    n += 2 * sizeof(raw);
    text[n++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    ssize_t w = write(fd, text, n);
    close(fd);
    if (w != (ssize_t)n)
        return sl_error_set(err, SL_ERR_IO, "cannot write %s", path);
    return SL_OK;
}

int sl_token_file_load(const char *path, const char *prefix, int create, unsigned char hash[32],
                       sl_error *err)
{
    if (create && access(path, F_OK) != 0 && create_file(path, prefix, err) != SL_OK)
        return err->code;
    FILE *f = fopen(path, "r");
    if (!f)
        return sl_error_set(err, SL_ERR_IO, "cannot read token file %s: %s", path,
                            strerror(errno));
    char buf[TOKEN_MAX];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                   s[len - 1] == '\r'))
        s[--len] = '\0';
    if (len < TOKEN_MIN)
        return sl_error_set(err, SL_ERR_INVALID,
                            "token file %s holds no token of at least %d characters", path,
                            TOKEN_MIN);
    sl_meta_hash_token(s, hash);
    memset(buf, 0, sizeof(buf));
    return SL_OK;
}

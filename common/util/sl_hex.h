/* sl_hex — bytes as lower-case hexadecimal text (token ids and secrets,
 * fingerprints, page tokens). */
#ifndef SL_HEX_H
#define SL_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes the n bytes of in as 2n lower-case hex digits and a NUL into out,
 * which must hold 2n + 1 characters. Borrows both. */
void sl_hex_encode(const uint8_t *in, size_t n, char *out);

#endif

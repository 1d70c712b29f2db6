/* base64.h - RFC 4648 base64 (standard alphabet, '=' padding), as Engine.IO
 * uses for binary packets on the polling transport. */
#ifndef SIOC_BASE64_H
#define SIOC_BASE64_H

#include <stddef.h>
#include "buf.h"

/* The encoded length of n bytes (always padded). */
#define SIOC_BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* Writes the encoding of src[0..len) to dst, which has room for
 * SIOC_BASE64_ENCODED_LEN(len) characters (no NUL is written).  Returns the
 * number of characters written.  Never allocates. */
size_t sioc__base64_encode_raw(char *dst, const void *src, size_t len);

/* Appends the encoding of src[0..len) to out.  0 or SIOC_ENOMEM. */
int sioc__base64_encode(sioc__sbuf_t *out, const void *src, size_t len);

/* Decodes src[0..len) into dst, which may be src itself (decoding never
 * writes ahead of what it has read).  Padding is optional; whitespace and any
 * other character outside the alphabet is an error.  Returns the number of
 * bytes written, or SIOC_EPROTO on malformed input, in which case dst may
 * already hold part of the output (so src too, when decoding in place). */
long sioc__base64_decode(unsigned char *dst, const char *src, size_t len);

#endif

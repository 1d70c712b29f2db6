/* utf8.h - UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), needed for WebSocket text frames (RFC 6455 8.1). */
#ifndef SIOC_UTF8_H
#define SIOC_UTF8_H

#include <stddef.h>

/* 1 when s[0..n) is valid UTF-8, else 0. */
int sioc__utf8_valid(const char *s, size_t n);

#endif

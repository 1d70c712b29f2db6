/* utf8.c - strict UTF-8 validation (RFC 3629, Unicode Table 3-7).
 *
 * Rejects overlong forms, UTF-16 surrogates (U+D800..U+DFFF encoded as
 * ED A0..BF xx), code points above U+10FFFF and truncated sequences.  ASCII,
 * the common case for protocol text, is skipped eight bytes at a time.
 */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

#define HIGH_BITS 0x8080808080808080ULL

int sioc__utf8_valid(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  const unsigned char *end;
  uint64_t w;
  unsigned c;

  if (n == 0) /* str may be NULL; NULL + 0 is undefined in C */
    return 1;
  end = s + n;

  while (s < end) {
    if ((size_t)(end - s) >= 8) {
      memcpy(&w, s, 8);
      if ((w & HIGH_BITS) == 0) {
        s += 8;
        continue;
      }
    }
    c = *s;
    if (c < 0x80) {
      s++;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (end - s < 2 || (s[1] & 0xC0) != 0x80)
        return 0;
      s += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (end - s < 3 || (s[2] & 0xC0) != 0x80)
        return 0;
      if (c == 0xE0 ? (s[1] < 0xA0 || s[1] > 0xBF)
          : c == 0xED ? (s[1] < 0x80 || s[1] > 0x9F)
          : (s[1] & 0xC0) != 0x80)
        return 0;
      s += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (end - s < 4 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
        return 0;
      if (c == 0xF0 ? (s[1] < 0x90 || s[1] > 0xBF)
          : c == 0xF4 ? (s[1] < 0x80 || s[1] > 0x8F)
          : (s[1] & 0xC0) != 0x80)
        return 0;
      s += 4;
    } else {
      return 0;
    }
  }
  return 1;
}

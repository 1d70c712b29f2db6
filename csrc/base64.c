/* base64.c - RFC 4648 base64 with the standard alphabet.
 *
 * Encoding always pads.  Decoding is strict: only alphabet characters, then
 * either no padding or exactly the padding that makes the length a multiple
 * of four.  Unused low bits of the last symbol are ignored, as every common
 * decoder (Node's Buffer, Python's binascii) ignores them.  Decoding writes
 * at most 3 bytes per 4 characters read, never ahead of the read position,
 * which is what makes in-place decoding of polling payloads safe.
 */
#include "base64.h"
#include "sioc.h"

static const char enc_tab[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for everything else. */
static const unsigned char dec_tab[256] = {
#define X64 64, 64, 64, 64, 64, 64, 64, 64
    X64, X64, X64, X64, X64,
    64, 64, 64, 62, 64, 64, 64, 63,                         /* 0x28 '+' '/' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 64,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    X64, X64, X64, X64, X64, X64, X64, X64,
    X64, X64, X64, X64, X64, X64, X64, X64,
#undef X64
};

size_t sioc__base64_encode_raw(char *dst, const void *src, size_t len) {
  const unsigned char *s = src;
  char *d = dst;
  size_t i;
  unsigned v;

  for (i = 0; i + 3 <= len; i += 3) {
    v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
    d[0] = enc_tab[v >> 18];
    d[1] = enc_tab[(v >> 12) & 63];
    d[2] = enc_tab[(v >> 6) & 63];
    d[3] = enc_tab[v & 63];
    d += 4;
  }
  if (len - i == 1) {
    v = (unsigned)s[i] << 16;
    d[0] = enc_tab[v >> 18];
    d[1] = enc_tab[(v >> 12) & 63];
    d[2] = '=';
    d[3] = '=';
    d += 4;
  } else if (len - i == 2) {
    v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
    d[0] = enc_tab[v >> 18];
    d[1] = enc_tab[(v >> 12) & 63];
    d[2] = enc_tab[(v >> 6) & 63];
    d[3] = '=';
    d += 4;
  }
  return (size_t)(d - dst);
}

int sioc__base64_encode(sioc__sbuf_t *out, const void *src, size_t len) {
  size_t need;
  int err;

  if (len > (SIZE_MAX / 4 - 1) * 3)
    return SIOC_ENOMEM;
  need = SIOC_BASE64_ENCODED_LEN(len);
  err = sioc__sbuf_reserve(out, need);
  if (err)
    return err;
  out->len += sioc__base64_encode_raw(out->data + out->len, src, len);
  return 0;
}

long sioc__base64_decode(unsigned char *dst, const char *src, size_t len) {
  const unsigned char *s = (const unsigned char *)src;
  unsigned char *d = dst;
  size_t pad = 0, i, rem;
  unsigned a, b, c, e;

  if (len % 4 == 0 && len > 0 && s[len - 1] == '=') {
    pad = s[len - 2] == '=' ? 2 : 1;
    len -= pad;
  }
  rem = len % 4;
  if (rem == 1 || (pad != 0 && rem + pad != 4))
    return SIOC_EPROTO;

  for (i = 0; i + 4 <= len; i += 4) {
    a = dec_tab[s[i]];
    b = dec_tab[s[i + 1]];
    c = dec_tab[s[i + 2]];
    e = dec_tab[s[i + 3]];
    if ((a | b | c | e) & 64)
      return SIOC_EPROTO;
    /* Read all four before writing: dst may alias src. */
    d[0] = (unsigned char)(a << 2 | b >> 4);
    d[1] = (unsigned char)(b << 4 | c >> 2);
    d[2] = (unsigned char)(c << 6 | e);
    d += 3;
  }
  if (rem >= 2) {
    a = dec_tab[s[i]];
    b = dec_tab[s[i + 1]];
    c = rem == 3 ? dec_tab[s[i + 2]] : 0;
    if ((a | b | c) & 64)
      return SIOC_EPROTO;
    d[0] = (unsigned char)(a << 2 | b >> 4);
    d++;
    if (rem == 3) {
      d[0] = (unsigned char)(b << 4 | c >> 2);
      d++;
    }
  }
  return (long)(d - dst);
}

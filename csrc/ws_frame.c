/* ws_frame.c - RFC 6455 frame headers and payload masking (see ws_frame.h).
 *
 * The checks are those wslay's frame parser makes (the parser used before):
 * control frames are at most 125 bytes and never fragmented, and a length
 * uses its shortest form (126 announces 126..65535, 127 announces
 * 65536..2^63-1).  Every read is bounded by n.
 *
 * Unmasking works on 8 bytes at a time with the mask key repeated twice in a
 * word, rotated to the payload offset; memcpy keeps the loads and stores
 * free of alignment assumptions.
 */
#include "ws_frame.h"

#include <string.h>

int eio__ws_header_parse(const uint8_t *p, size_t n, eio__ws_header_t *h) {
  if (n < 2) return 0;
  uint8_t len7 = p[1] & 0x7f;
  h->fin = p[0] >> 7;
  h->rsv = (p[0] >> 4) & 7;
  h->opcode = p[0] & 0x0f;
  h->masked = p[1] >> 7;
  if ((h->opcode & 8) && (len7 > 125 || !h->fin)) return -1;
  size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h->masked ? 4 : 0);
  if (n < need) return 0;
  size_t i = 2;
  if (len7 == 126) {
    h->payload_len = (uint64_t)p[2] << 8 | p[3];
    if (h->payload_len < 126) return -1;
    i = 4;
  } else if (len7 == 127) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v = v << 8 | p[2 + k];
    if (v >> 63 || v < 65536) return -1;
    h->payload_len = v;
    i = 10;
  } else {
    h->payload_len = len7;
  }
  if (h->masked) memcpy(h->mask, p + i, 4);
  else memset(h->mask, 0, 4);
  return (int)need;
}

void eio__ws_unmask(uint8_t *dst, const uint8_t *src, size_t n,
                    const uint8_t mask[4], uint64_t off) {
  uint8_t m[8];
  for (int k = 0; k < 8; k++) m[k] = mask[(off + (uint64_t)k) & 3];
  uint64_t m8;
  memcpy(&m8, m, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, src + i, 8);
    w ^= m8;
    memcpy(dst + i, &w, 8);
  }
  /* (off + i) % 4 == (off + i % 8) % 4: the word's pattern continues. */
  for (; i < n; i++) dst[i] = src[i] ^ m[i & 7];
}

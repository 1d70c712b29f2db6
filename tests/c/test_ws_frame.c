/* test_ws_frame.c - the RFC 6455 frame header parser and the unmasker:
 * every length form, every prefix of a header (incomplete, never an error
 * before the byte that decides), the errors wslay also reports, and the
 * unmasker against a byte-by-byte reference at every length and phase. */
#include <stdio.h>
#include <string.h>

#include "task.h"
#include "ws_frame.h"

/* The header of a frame (masked when key != NULL). */
static size_t header(unsigned char *h, int fin, int op, uint64_t len, const unsigned char *key) {
  size_t n = 0;
  h[n++] = (unsigned char)((fin ? 0x80 : 0) | op);
  unsigned char m = key ? 0x80 : 0;
  if (len < 126) {
    h[n++] = m | (unsigned char)len;
  } else if (len < 65536) {
    h[n++] = m | 126;
    h[n++] = (unsigned char)(len >> 8);
    h[n++] = (unsigned char)len;
  } else {
    h[n++] = m | 127;
    for (int i = 0; i < 8; i++) h[n++] = (unsigned char)(len >> (56 - 8 * i));
  }
  if (key) {
    memcpy(h + n, key, 4);
    n += 4;
  }
  return n;
}

static void check_parses(int fin, int op, uint64_t len, const unsigned char *key) {
  unsigned char h[EIO_WS_MAX_HEADER + 4];
  size_t n = header(h, fin, op, len, key);
  eio__ws_header_t f;
  for (size_t k = 0; k < n; k++) {
    if (eio__ws_header_parse(h, k, &f) != 0) FATAL("len %llu: prefix %zu not 0", (unsigned long long)len, k);
  }
  h[n] = 0xAA;   /* bytes after the header are not looked at */
  ASSERT_EQ(eio__ws_header_parse(h, n + 1, &f), (int)n);
  ASSERT_EQ(f.fin, fin);
  ASSERT_EQ(f.opcode, op);
  ASSERT_EQ(f.rsv, 0);
  ASSERT_EQ(f.masked, key != NULL);
  ASSERT(f.payload_len == len);
  if (key) ASSERT_MEM_EQ(f.mask, 4, key, 4);
}

int main(void) {
  static const unsigned char key[4] = {0x01, 0x80, 0xfe, 0x7f};
  static const uint64_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 1u << 20,
                                  ((uint64_t)1 << 63) - 1};
  for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    check_parses(1, 1, lens[i], key);
    check_parses(0, 2, lens[i], key);
    check_parses(1, 0, lens[i], NULL);
  }
  check_parses(1, 8, 125, key);
  check_parses(1, 9, 0, key);

  eio__ws_header_t f;
  unsigned char h[16];
  /* RSV bits are reported, not judged */
  h[0] = 0xF1;
  h[1] = 0x80;
  memcpy(h + 2, key, 4);
  ASSERT_EQ(eio__ws_header_parse(h, 6, &f), 6);
  ASSERT_EQ(f.rsv, 7);
  /* control frames: at most 125 bytes, never fragmented; known from 2 bytes */
  h[0] = 0x89;
  h[1] = 0x80 | 126;
  ASSERT_EQ(eio__ws_header_parse(h, 2, &f), -1);
  h[1] = 0x80 | 127;
  ASSERT_EQ(eio__ws_header_parse(h, 2, &f), -1);
  h[0] = 0x09;
  h[1] = 0x80;
  ASSERT_EQ(eio__ws_header_parse(h, 2, &f), -1);
  /* lengths not in their shortest form */
  size_t n = header(h, 1, 1, 65536, key);
  h[1] = 0x80 | 126;
  h[2] = 0;
  h[3] = 125;
  ASSERT_EQ(eio__ws_header_parse(h, 8, &f), -1);
  h[3] = 126;
  ASSERT_EQ(eio__ws_header_parse(h, 8, &f), 8);
  n = header(h, 1, 1, 65535, NULL);
  h[1] = 127;
  memset(h + 2, 0, 8);
  h[8] = 0xff;
  h[9] = 0xff;
  ASSERT_EQ(eio__ws_header_parse(h, 10, &f), -1);
  /* the top bit of a 64-bit length */
  n = header(h, 1, 2, 65536, NULL);
  h[2] |= 0x80;
  ASSERT_EQ(eio__ws_header_parse(h, n, &f), -1);

  /* unmasking: every length up to 40, every phase, in place and not */
  unsigned char src[64], dst[64], ref[64];
  for (size_t i = 0; i < sizeof(src); i++) src[i] = (unsigned char)(i * 37 + 11);
  for (size_t len = 0; len <= 40; len++) {
    for (uint64_t off = 0; off < 8; off++) {
      for (size_t i = 0; i < len; i++) ref[i] = src[i] ^ key[(off + i) % 4];
      memset(dst, 0, sizeof(dst));
      eio__ws_unmask(dst, src, len, key, off + ((uint64_t)1 << 40));
      ASSERT_MEM_EQ(dst, len, ref, len);
      ASSERT_EQ(dst[len], 0);   /* nothing written past n */
      memcpy(dst, src, len);
      eio__ws_unmask(dst, dst, len, key, off);
      ASSERT_MEM_EQ(dst, len, ref, len);
    }
  }
  printf("ok test_ws_frame\n");
  return 0;
}

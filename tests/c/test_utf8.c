/* test_utf8.c - UTF-8 validation against tests/vectors/misc.json and, for
 * every sequence of up to three bytes (and a large sample of four), against
 * a decoder written from the definition. */
#include "utf8.h"
#include "vectors.h"

/* Reference: decode code points, then apply RFC 3629's rules. */
static int ref_valid(const unsigned char *s, size_t n) {
  size_t i = 0, k, j;
  unsigned long cp, min;

  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) { i++; continue; }
    if ((c & 0xE0) == 0xC0) { k = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { k = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { k = 3; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (i + k >= n) return 0;
    for (j = 1; j <= k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += k + 1;
  }
  return 1;
}

static void check(const unsigned char *s, size_t n) {
  /* Exact-size copy so ASan catches an over-read; also test at an offset
   * inside a longer ASCII run to exercise the 8-byte fast path. */
  unsigned char *b = malloc(n ? n : 1), *c = malloc(n + 11);
  int r = ref_valid(s, n);
  memcpy(b, s, n);
  if (sioc__utf8_valid((char *)b, n) != r)
    FATAL("utf8_valid disagrees on %zu bytes starting %02x (ref %d)", n,
          n ? s[0] : 0, r);
  memset(c, 'a', 11);
  memcpy(c + 11, s, n);
  ASSERT_EQ(sioc__utf8_valid((char *)c, n + 11), r);
  free(b);
  free(c);
}

int main(void) {
  cJSON *root = vec_load("misc.json");
  cJSON *v;
  unsigned char s[4];
  unsigned a, b, c, d;
  unsigned long x = 12345;
  int count = 0;

  VEC_FOREACH(v, vec_list(root, "utf8")) {
    size_t n;
    char *bytes = vec_bytes(v, NULL, "hex", &n);
    if (sioc__utf8_valid(bytes, n) != vec_bool(v, "valid"))
      FATAL("vector %s: expected %d", vec_str(v, "hex"), vec_bool(v, "valid"));
    ASSERT_EQ(ref_valid((unsigned char *)bytes, n), vec_bool(v, "valid"));
    free(bytes);
    count++;
  }
  for (a = 0; a < 256; a++) {
    s[0] = (unsigned char)a;
    check(s, 1);
    for (b = 0; b < 256; b++) {
      s[1] = (unsigned char)b;
      check(s, 2);
      if (a < 0xC0) continue; /* 3-byte inputs with an ASCII/continuation
                                 lead add nothing over the 2-byte ones */
      for (c = 0; c < 256; c++) {
        s[2] = (unsigned char)c;
        check(s, 3);
      }
    }
  }
  for (d = 0; d < 500000; d++) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    s[0] = (unsigned char)(0xF0 + ((x >> 60) & 7));
    s[1] = (unsigned char)(x >> 24);
    s[2] = (unsigned char)(0x80 + ((x >> 36) & 0x3F) + ((x >> 50) & 1 ? 0x40 : 0));
    s[3] = (unsigned char)(0x80 + ((x >> 42) & 0x3F));
    check(s, 4);
  }
  cJSON_Delete(root);
  printf("test_utf8: %d vectors ok\n", count);
  return 0;
}

/* test_base64.c - base64 against tests/vectors/misc.json, plus in-place
 * decoding and a round trip over every length. */
#include "base64.h"
#include "vectors.h"

int main(void) {
  cJSON *root = vec_load("misc.json");
  cJSON *v;
  sioc__sbuf_t out;
  int count = 0;
  size_t n, i, len;

  sioc__sbuf_init(&out);
  VEC_FOREACH(v, vec_list(root, "base64_encode")) {
    char *bin = vec_bytes(v, NULL, "hex", &n);
    const char *b64 = vec_str(v, "base64");
    char raw[64];
    out.len = 0;
    ASSERT_EQ(sioc__base64_encode(&out, bin, n), 0);
    ASSERT_MEM_EQ(out.data, out.len, b64, strlen(b64));
    ASSERT_EQ(SIOC_BASE64_ENCODED_LEN(n), strlen(b64));
    ASSERT_EQ(sioc__base64_encode_raw(raw, bin, n), strlen(b64));
    ASSERT_MEM_EQ(raw, strlen(b64), b64, strlen(b64));
    free(bin);
    count++;
  }
  VEC_FOREACH(v, vec_list(root, "base64_decode")) {
    char *in = vec_bytes(v, "input", NULL, &n);
    unsigned char *dst = malloc(n + 1);
    long r = sioc__base64_decode(dst, in, n);
    if (vec_has(v, "error")) {
      if (r != vec_errcode(vec_str(v, "error")))
        FATAL("[%s] expected error, got %ld", vec_str(v, "input"), r);
    } else {
      char *bin = vec_bytes(v, NULL, "hex", &len);
      if (r < 0)
        FATAL("[%s] failed: %ld", vec_str(v, "input"), r);
      ASSERT_MEM_EQ(dst, (size_t)r, bin, len);
      /* In place, over its own text. */
      r = sioc__base64_decode((unsigned char *)in, in, n);
      ASSERT_MEM_EQ(in, (size_t)r, bin, len);
      free(bin);
    }
    free(dst);
    free(in);
    count++;
  }

  /* Round trip of every length 0..300, decoded in place. */
  for (n = 0; n <= 300; n++) {
    unsigned char src[300];
    char *copy;
    long r;
    for (i = 0; i < n; i++)
      src[i] = (unsigned char)(i * 37 + n);
    out.len = 0;
    ASSERT_EQ(sioc__base64_encode(&out, src, n), 0);
    copy = malloc(out.len + 1);
    memcpy(copy, out.data, out.len);
    r = sioc__base64_decode((unsigned char *)copy, copy, out.len);
    ASSERT_MEM_EQ(copy, (size_t)r, src, n);
    /* Unpadded too. */
    len = out.len;
    while (len > 0 && out.data[len - 1] == '=')
      len--;
    memcpy(copy, out.data, len);
    r = sioc__base64_decode((unsigned char *)copy, copy, len);
    ASSERT_MEM_EQ(copy, (size_t)r, src, n);
    free(copy);
  }
  sioc__sbuf_reset(&out);
  cJSON_Delete(root);
  printf("test_base64: %d vectors ok\n", count);
  return 0;
}

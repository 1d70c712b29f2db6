/* test_ws_accept.c - Sec-WebSocket-Accept against tests/vectors/misc.json
 * (the first vector is RFC 6455's own example). */
#include "vectors.h"
#include "ws_accept.h"

int main(void) {
  cJSON *root = vec_load("misc.json");
  cJSON *v;
  int count = 0;

  VEC_FOREACH(v, vec_list(root, "ws_accept")) {
    const char *key = vec_str(v, "key");
    char out[29];
    size_t n;
    char *k = vec_bytes(v, "key", NULL, &n);
    int r = sioc__ws_accept(k, n, out);
    if (vec_has(v, "error")) {
      if (r != vec_errcode(vec_str(v, "error")))
        FATAL("[%s] expected an error, got %d", key, r);
    } else {
      if (r != 0)
        FATAL("[%s] failed: %s", key, sioc_err_name(r));
      ASSERT_STR_EQ(out, vec_str(v, "accept"));
    }
    free(k);
    count++;
  }
  {
    char out[29];
    ASSERT_EQ(sioc__ws_accept(NULL, 0, out), SIOC_EPROTO);
  }
  cJSON_Delete(root);
  printf("test_ws_accept: %d vectors ok\n", count);
  return 0;
}

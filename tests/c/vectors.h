/* vectors.h - reading the shared test vectors (the JSON files in tests/vectors, format
 * in tests/vectors/README.md) from C tests.  Everything is static inline so
 * a test includes only what it uses; failures are fatal, like task.h's. */
#ifndef SIOC_TEST_VECTORS_H
#define SIOC_TEST_VECTORS_H

#include <cjson/cJSON.h>

#include "sioc.h"
#include "task.h"

#ifndef SIOC_VECTORS_DIR
#error "SIOC_VECTORS_DIR must name tests/vectors"
#endif

/* Parses SIOC_VECTORS_DIR/name; free with cJSON_Delete. */
static inline cJSON *vec_load(const char *name) {
  char path[1024];
  FILE *f;
  char *text;
  long size;
  cJSON *root;

  snprintf(path, sizeof(path), "%s/%s", SIOC_VECTORS_DIR, name);
  f = fopen(path, "rb");
  if (f == NULL)
    FATAL("cannot open %s", path);
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0)
    FATAL("cannot size %s", path);
  text = malloc((size_t)size + 1);
  ASSERT(text != NULL);
  if (fread(text, 1, (size_t)size, f) != (size_t)size)
    FATAL("cannot read %s", path);
  fclose(f);
  root = cJSON_ParseWithLength(text, (size_t)size);
  if (root == NULL)
    FATAL("%s: invalid JSON near: %.40s", path, cJSON_GetErrorPtr());
  free(text);
  return root;
}

/* The array `key` of the vector file's root object. */
static inline cJSON *vec_list(const cJSON *root, const char *key) {
  cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
    FATAL("vector list \"%s\" missing or empty", key);
  return a;
}

static inline int vec_has(const cJSON *v, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(v, key) != NULL;
}

/* A string member, or NULL when absent. */
static inline const char *vec_str(const cJSON *v, const char *key) {
  cJSON *s = cJSON_GetObjectItemCaseSensitive(v, key);
  if (s == NULL)
    return NULL;
  if (!cJSON_IsString(s))
    FATAL("\"%s\" is not a string", key);
  return s->valuestring;
}

/* A number member, or dflt when absent. */
static inline double vec_num(const cJSON *v, const char *key, double dflt) {
  cJSON *n = cJSON_GetObjectItemCaseSensitive(v, key);
  if (n == NULL)
    return dflt;
  if (!cJSON_IsNumber(n))
    FATAL("\"%s\" is not a number", key);
  return n->valuedouble;
}

static inline int vec_bool(const cJSON *v, const char *key) {
  cJSON *b = cJSON_GetObjectItemCaseSensitive(v, key);
  return cJSON_IsTrue(b);
}

static inline int vec_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  FATAL("bad hex digit '%c'", c);
}

/* A fresh malloc'd copy of exactly the vector's bytes: the string member
 * `str_key`, or the hex member `hex_key` decoded.  Sized exactly (no NUL
 * after the data), so ASan catches a decoder that reads past the end.
 * Returns NULL when neither member is there. */
static inline char *vec_bytes(const cJSON *v, const char *str_key,
                              const char *hex_key, size_t *len) {
  const char *s = hex_key ? vec_str(v, hex_key) : NULL;
  char *out;
  size_t n, i;

  *len = 0;
  if (s != NULL) {
    n = strlen(s);
    if (n % 2)
      FATAL("odd hex length in \"%s\"", hex_key);
    *len = n / 2;
    out = malloc(*len ? *len : 1);
    ASSERT(out != NULL);
    for (i = 0; i < *len; i++)
      out[i] = (char)(vec_hexval(s[2 * i]) << 4 | vec_hexval(s[2 * i + 1]));
    return out;
  }
  s = str_key ? vec_str(v, str_key) : NULL;
  if (s == NULL)
    return NULL;
  *len = strlen(s);
  out = malloc(*len ? *len : 1);
  ASSERT(out != NULL);
  memcpy(out, s, *len);
  return out;
}

/* "EPROTO" -> SIOC_EPROTO, etc. */
static inline int vec_errcode(const char *name) {
#define VEC_ERR(n, value, msg) if (strcmp(name, "E" #n) == 0) return value;
  SIOC_ERRNO_MAP(VEC_ERR)
#undef VEC_ERR
  FATAL("unknown error name %s", name);
}

/* A label for failure messages: the vector's comment, else its input. */
static inline const char *vec_label(const cJSON *v) {
  const char *c = vec_str(v, "comment");
  if (c == NULL) c = vec_str(v, "input");
  if (c == NULL) c = vec_str(v, "input_hex");
  return c != NULL ? c : "?";
}

#define VEC_FOREACH(item, list) cJSON_ArrayForEach(item, list)

#endif

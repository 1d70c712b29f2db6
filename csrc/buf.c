/* buf.c - growable scratch strings (sbuf) and shared immutable blocks (rbuf).
 *
 * Invariants: an sbuf either has data == NULL and len == cap == 0, or owns a
 * malloc'd block of cap bytes of which the first len are meaningful.  A
 * failed operation leaves the sbuf exactly as it was, so an encoder that
 * fails half-way can truncate back to its starting length.  Sizes are checked
 * for overflow before any arithmetic that could wrap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sioc.h"

void sioc__sbuf_init(sioc__sbuf_t *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void sioc__sbuf_reset(sioc__sbuf_t *b) {
  free(b->data);
  sioc__sbuf_init(b);
}

int sioc__sbuf_reserve(sioc__sbuf_t *b, size_t extra) {
  size_t need, cap;
  char *p;

  if (extra <= b->cap - b->len)
    return 0;
  /* No object can be larger than PTRDIFF_MAX; refusing here also keeps
   * absurd sizes away from malloc (which sanitizers turn into aborts). */
  if (extra > (size_t)PTRDIFF_MAX - b->len)
    return SIOC_ENOMEM;
  need = b->len + extra;
  /* Geometric growth keeps appends amortised O(1); the floor avoids a string
   * of tiny reallocations for the short packets that dominate traffic. */
  cap = b->cap < 64 ? 64 : b->cap;
  while (cap < need)
    cap = cap > (size_t)PTRDIFF_MAX / 2 ? need : cap * 2;
  p = realloc(b->data, cap);
  if (p == NULL)
    return SIOC_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int sioc__sbuf_append(sioc__sbuf_t *b, const void *data, size_t len) {
  int err;

  if (len == 0)
    return 0;
  err = sioc__sbuf_reserve(b, len);
  if (err)
    return err;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

int sioc__sbuf_appendc(sioc__sbuf_t *b, char c) {
  if (b->len == b->cap) {
    int err = sioc__sbuf_reserve(b, 1);
    if (err)
      return err;
  }
  b->data[b->len++] = c;
  return 0;
}

int sioc__sbuf_appends(sioc__sbuf_t *b, const char *s) {
  return sioc__sbuf_append(b, s, strlen(s));
}

int sioc__sbuf_append_u64(sioc__sbuf_t *b, uint64_t v) {
  char tmp[20];
  size_t i = sizeof(tmp);

  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return sioc__sbuf_append(b, tmp + i, sizeof(tmp) - i);
}

char *sioc__sbuf_steal(sioc__sbuf_t *b, size_t *len) {
  char *p = b->data;

  if (len != NULL)
    *len = b->len;
  sioc__sbuf_init(b);
  return p;
}

sioc__rbuf_t *sioc__rbuf_new(size_t len) {
  sioc__rbuf_t *b;

  if (len > (size_t)PTRDIFF_MAX - sizeof(*b))
    return NULL;
  b = malloc(sizeof(*b) + len);
  if (b == NULL)
    return NULL;
  b->refs = 1;
  b->len = len;
  return b;
}

sioc__rbuf_t *sioc__rbuf_copy(const void *data, size_t len) {
  sioc__rbuf_t *b = sioc__rbuf_new(len);

  if (b != NULL && len != 0)
    memcpy(b->data, data, len);
  return b;
}

void sioc__rbuf_unref(sioc__rbuf_t *b) {
  if (b != NULL && --b->refs == 0)
    free(b);
}

/* test_buf.c - sbuf growth, failure atomicity and rbuf reference counts. */
#include <stdint.h>

#include "buf.h"
#include "task.h"
#include "sioc.h"

static void test_sbuf(void) {
  sioc__sbuf_t b;
  char big[1000];
  size_t len, i;
  char *p;

  sioc__sbuf_init(&b);
  ASSERT(b.data == NULL && b.len == 0 && b.cap == 0);
  ASSERT_EQ(sioc__sbuf_append(&b, NULL, 0), 0);
  ASSERT(b.data == NULL);
  ASSERT_EQ(sioc__sbuf_appends(&b, "abc"), 0);
  ASSERT_EQ(sioc__sbuf_appendc(&b, '-'), 0);
  memset(big, 'x', sizeof(big));
  ASSERT_EQ(sioc__sbuf_append(&b, big, sizeof(big)), 0);
  ASSERT_EQ(b.len, 1004);
  ASSERT(b.cap >= b.len);
  ASSERT_MEM_EQ(b.data, 4, "abc-", 4);
  for (i = 0; i < 100000; i++)
    ASSERT_EQ(sioc__sbuf_appendc(&b, (char)i), 0);
  ASSERT_EQ(b.len, 101004);

  /* An impossible reservation fails and leaves b untouched. */
  p = b.data;
  len = b.len;
  ASSERT_EQ(sioc__sbuf_reserve(&b, SIZE_MAX), SIOC_ENOMEM);
  ASSERT_EQ(sioc__sbuf_reserve(&b, SIZE_MAX - b.len), SIOC_ENOMEM);
  ASSERT_EQ(sioc__sbuf_append(&b, big, SIZE_MAX - 1), SIOC_ENOMEM);
  ASSERT(b.data == p && b.len == len);

  p = sioc__sbuf_steal(&b, &len);
  ASSERT_EQ(len, 101004);
  ASSERT(b.data == NULL && b.len == 0 && b.cap == 0);
  free(p);
  ASSERT(sioc__sbuf_steal(&b, &len) == NULL && len == 0);

  ASSERT_EQ(sioc__sbuf_reserve(&b, 10), 0);
  ASSERT(b.cap >= 10 && b.len == 0);
  sioc__sbuf_reset(&b);
  sioc__sbuf_reset(&b); /* idempotent */
}

static void test_u64(void) {
  static const struct { uint64_t v; const char *s; } cases[] = {
    {0, "0"}, {7, "7"}, {10, "10"}, {9007199254740991ULL, "9007199254740991"},
    {UINT64_MAX, "18446744073709551615"},
  };
  sioc__sbuf_t b;
  size_t i;

  sioc__sbuf_init(&b);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    b.len = 0;
    ASSERT_EQ(sioc__sbuf_append_u64(&b, cases[i].v), 0);
    ASSERT_MEM_EQ(b.data, b.len, cases[i].s, strlen(cases[i].s));
  }
  sioc__sbuf_reset(&b);
}

static void test_rbuf(void) {
  sioc__rbuf_t *a, *b;

  a = sioc__rbuf_copy("hello", 5);
  ASSERT(a != NULL && a->refs == 1 && a->len == 5);
  ASSERT_MEM_EQ(a->data, a->len, "hello", 5);
  b = sioc__rbuf_ref(a);
  ASSERT(a == b && a->refs == 2);
  sioc__rbuf_unref(b);
  ASSERT_EQ(a->refs, 1);
  sioc__rbuf_unref(a); /* freed: ASan/LSan would report otherwise */
  sioc__rbuf_unref(NULL);

  a = sioc__rbuf_new(0);
  ASSERT(a != NULL && a->len == 0);
  sioc__rbuf_unref(a);
  ASSERT(sioc__rbuf_new(SIZE_MAX) == NULL);
  ASSERT(sioc__rbuf_new(SIZE_MAX - 4) == NULL);
}

int main(void) {
  test_sbuf();
  test_u64();
  test_rbuf();
  printf("test_buf: ok\n");
  return 0;
}

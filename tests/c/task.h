/* task.h - the minimal assertion kit of the C tests.  A failed check prints
 * where and why and exits non-zero, so ctest reports the test as failed. */
#ifndef SIOC_TEST_TASK_H
#define SIOC_TEST_TASK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FATAL(...)                                                          \
  do {                                                                      \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                         \
    fprintf(stderr, __VA_ARGS__);                                           \
    fputc('\n', stderr);                                                    \
    exit(1);                                                                \
  } while (0)

#define ASSERT(expr)                                                        \
  do { if (!(expr)) FATAL("assertion failed: %s", #expr); } while (0)

#define ASSERT_EQ(a, b)                                                     \
  do {                                                                      \
    int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                           \
    if (a_ != b_) FATAL("%s == %s: %" PRId64 " != %" PRId64, #a, #b, a_, b_); \
  } while (0)

#define ASSERT_MEM_EQ(a, alen, b, blen)                                     \
  do {                                                                      \
    size_t al_ = (alen), bl_ = (blen);                                      \
    if (al_ != bl_ || (al_ != 0 && memcmp((a), (b), al_) != 0))             \
      FATAL("%s != %s: \"%.*s\" vs \"%.*s\"", #a, #b, (int)al_,            \
            (const char *)(a), (int)bl_, (const char *)(b));                \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                 \
  do {                                                                      \
    const char *a_ = (a), *b_ = (b);                                        \
    if (strcmp(a_, b_) != 0) FATAL("%s != %s: \"%s\" vs \"%s\"", #a, #b, a_, b_); \
  } while (0)

#endif

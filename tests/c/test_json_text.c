/* test_json_text.c - the JSON scanner, value length, quoting and unquoting
 * against tests/vectors/json.json (checked against node's JSON and Buffer),
 * plus round-trip properties over generated strings. */
#include "json_text.h"
#include "utf8.h"
#include "vectors.h"

static int kind_of(const char *name) {
  static const char *names[] = {"null", "false", "true", "number", "string",
                                "array", "object"};
  int i;
  for (i = 0; i < 7; i++)
    if (strcmp(names[i], name) == 0)
      return i;
  FATAL("unknown kind %s", name);
}

static void test_check(const cJSON *root) {
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "check")) {
    size_t n;
    char *in = vec_bytes(v, "input", "input_hex", &n);
    int r = sioc__json_check(in, n);
    const char *label = vec_label(v);
    if (vec_has(v, "error")) {
      if (r != vec_errcode(vec_str(v, "error")))
        FATAL("[%.60s] expected an error, got %d", label, r);
    } else {
      if (r != kind_of(vec_str(v, "kind")))
        FATAL("[%.60s] expected %s, got %d", label, vec_str(v, "kind"), r);
    }
    free(in);
  }
}

static void test_quote(const cJSON *root) {
  const cJSON *v;
  sioc__sbuf_t out, back;

  sioc__sbuf_init(&out);
  sioc__sbuf_init(&back);
  VEC_FOREACH(v, vec_list(root, "quote")) {
    size_t n;
    char *in = vec_bytes(v, "input", "input_hex", &n);
    const char *expect = vec_str(v, "output");
    out.len = 0;
    ASSERT_EQ(sioc__json_quote(&out, in, n), 0);
    if (out.len != strlen(expect) || memcmp(out.data, expect, out.len) != 0)
      FATAL("[%s] quote gave %.*s, want %s", vec_label(v), (int)out.len,
            out.data, expect);
    ASSERT_EQ(sioc__json_check(out.data, out.len), SIOC_JSON_STRING);
    if (sioc__utf8_valid(in, n)) {
      back.len = 0;
      ASSERT_EQ(sioc__json_unquote(&back, out.data, out.len), 0);
      ASSERT_MEM_EQ(back.data, back.len, in, n);
    }
    free(in);
  }
  sioc__sbuf_reset(&out);
  sioc__sbuf_reset(&back);
}

static void test_unquote(const cJSON *root) {
  const cJSON *v;
  sioc__sbuf_t out;

  sioc__sbuf_init(&out);
  VEC_FOREACH(v, vec_list(root, "unquote")) {
    size_t n, en;
    char *in = vec_bytes(v, "input", NULL, &n);
    char *expect = vec_bytes(v, NULL, "output_hex", &en);
    ASSERT_EQ(sioc__json_check(in, n), SIOC_JSON_STRING);
    out.len = 0;
    ASSERT_EQ(sioc__sbuf_appends(&out, "pre"), 0);
    ASSERT_EQ(sioc__json_unquote(&out, in, n), 0);
    ASSERT_MEM_EQ(out.data, 3, "pre", 3);
    if (out.len - 3 != en || memcmp(out.data + 3, expect, en) != 0)
      FATAL("[%s] unquote mismatch", vec_str(v, "input"));
    free(in);
    free(expect);
  }
  sioc__sbuf_reset(&out);
}

static void test_value_len(const cJSON *root) {
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "value_len")) {
    size_t n;
    char *in = vec_bytes(v, "input", NULL, &n);
    size_t got = sioc__json_value_len(in, n);
    if (got != (size_t)vec_num(v, "len", -1))
      FATAL("[%s] value_len %zu", vec_str(v, "input"), got);
    ASSERT(sioc__json_check(in, got) >= 0);
    free(in);
  }
}

/* Walking an array's elements with value_len, as the socket.io layer does. */
static void test_walk(void) {
  static const char text[] = "[1, \"a,]\\\"\" ,{\"k\":[2,{}]},[],null,-0.5e2]";
  static const char *elems[] = {"1", "\"a,]\\\"\"", "{\"k\":[2,{}]}", "[]",
                                "null", "-0.5e2"};
  const char *p = text + 1, *end = text + sizeof(text) - 1;
  size_t i = 0, k;

  ASSERT_EQ(sioc__json_check(text, sizeof(text) - 1), SIOC_JSON_ARRAY);
  ASSERT_EQ(sioc__json_value_len(text, sizeof(text) - 1), sizeof(text) - 1);
  for (;;) {
    while (*p == ' ') p++;
    k = sioc__json_value_len(p, (size_t)(end - p));
    ASSERT(i < 6);
    ASSERT_MEM_EQ(p, k, elems[i], strlen(elems[i]));
    i++;
    p += k;
    while (*p == ' ') p++;
    if (*p == ']') break;
    ASSERT(*p == ',');
    p++;
  }
  ASSERT_EQ(i, 6);
}

/* Quote any bytes -> valid JSON string; for valid UTF-8, unquote inverts. */
static void test_roundtrip(void) {
  static const char *pieces[] = {"a", "\"", "\\", "\n", "\x01", "\x1f", "\x7f",
                                 "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x98\x80",
                                 "\xef\xbf\xbd", "\xff", "\xc3", "\xed\xa0\x80",
                                 "/", " ", "u", "\xe2\x82"};
  unsigned long x = 99;
  sioc__sbuf_t in, q, back;
  int i, j, len;

  sioc__sbuf_init(&in);
  sioc__sbuf_init(&q);
  sioc__sbuf_init(&back);
  for (i = 0; i < 20000; i++) {
    in.len = q.len = back.len = 0;
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    len = (int)(x >> 59);
    for (j = 0; j < len; j++) {
      x = x * 6364136223846793005UL + 1442695040888963407UL;
      ASSERT_EQ(sioc__sbuf_appends(&in, pieces[(x >> 33) % 18]), 0);
    }
    ASSERT_EQ(sioc__json_quote(&q, in.data, in.len), 0);
    ASSERT_EQ(sioc__json_check(q.data, q.len), SIOC_JSON_STRING);
    ASSERT_EQ(sioc__json_value_len(q.data, q.len), q.len);
    ASSERT(sioc__utf8_valid(q.data, q.len));
    ASSERT_EQ(sioc__json_unquote(&back, q.data, q.len), 0);
    ASSERT(sioc__utf8_valid(back.data, back.len));
    if (sioc__utf8_valid(in.data, in.len))
      ASSERT_MEM_EQ(back.data, back.len, in.data, in.len);
  }
  sioc__sbuf_reset(&in);
  sioc__sbuf_reset(&q);
  sioc__sbuf_reset(&back);
}

/* Deep nesting is rejected without using the C stack. */
static void test_depth(void) {
  size_t n = 1000000, i;
  char *s = malloc(2 * n);
  for (i = 0; i < n; i++) {
    s[i] = '[';
    s[2 * n - 1 - i] = ']';
  }
  ASSERT_EQ(sioc__json_check(s, 2 * n), SIOC_EPROTO);
  ASSERT_EQ(sioc__json_check(s + n - SIOC_JSON_MAX_DEPTH,
                             2 * SIOC_JSON_MAX_DEPTH), SIOC_JSON_ARRAY);
  ASSERT_EQ(sioc__json_check(s + n - SIOC_JSON_MAX_DEPTH - 1,
                             2 * SIOC_JSON_MAX_DEPTH + 2), SIOC_EPROTO);
  free(s);
}

static sioc__json_span_t span_of(const char *s) { return sioc__json_span(s, strlen(s)); }

static void expect_span(sioc__json_span_t v, const char *want) {
  if (!want) {
    ASSERT_EQ(v.n, 0);
    return;
  }
  ASSERT_MEM_EQ(v.p, v.n, want, strlen(want));
}

/* Spans: member lookup and array steps on validated text, as JSON.parse
 * reads the same text (last of equal keys, escaped keys, whitespace). */
static void test_spans(void) {
  const char *obj = " { \"a\" : [1, {\"b\":2}] ,\"k\\u0065y\":\"v\", \"a\":{\"x\":\"}\"},"
                    "\"n\":-1.5e1,\"t\":true,\"s\":\"x\\u0000y\",\"big\":1" "0000000000"
                    "0000000000000000000000000000000000000000000000000000000000000} ";
  ASSERT(sioc__json_check(obj, strlen(obj)) == SIOC_JSON_OBJECT);
  sioc__json_span_t o = span_of(obj);
  ASSERT_EQ(sioc__json_kind(o), SIOC_JSON_OBJECT);
  expect_span(sioc__json_get(o, "a"), "{\"x\":\"}\"}");   /* the last "a" */
  expect_span(sioc__json_get(o, "key"), "\"v\"");          /* "k\u0065y" */
  expect_span(sioc__json_get(o, "x"), NULL);               /* not a member here */
  expect_span(sioc__json_get(sioc__json_get(o, "a"), "x"), "\"}\"");
  int ok;
  ASSERT(sioc__json_number(sioc__json_get(o, "n"), &ok) == -15.0 && ok);
  sioc__json_number(sioc__json_get(o, "t"), &ok);
  ASSERT(!ok);
  sioc__json_number(sioc__json_get(o, "big"), &ok);   /* longer than read */
  ASSERT(!ok);
  ASSERT(sioc__json_is_true(sioc__json_get(o, "t")));
  ASSERT(!sioc__json_is_true(sioc__json_get(o, "n")));
  char *str = sioc__json_strdup(sioc__json_get(o, "s"));
  ASSERT_STR_EQ(str, "x");   /* an escaped NUL ends the C string */
  free(str);
  ASSERT(sioc__json_strdup(sioc__json_get(o, "n")) == NULL);
  /* arrays */
  const char *arr = "[ 1 ,\"a,]\" , [ ] ,{}]";
  sioc__json_span_t a = span_of(arr), e;
  static const char *const want[] = {"1", "\"a,]\"", "[ ]", "{}"};
  size_t pos = 0, i = 0;
  while (sioc__json_next(a, &pos, &e)) expect_span(e, want[i++]);
  ASSERT_EQ(i, 4);
  pos = 0;
  ASSERT(!sioc__json_next(span_of("[ ]"), &pos, &e));
  pos = 0;
  ASSERT(!sioc__json_next(o, &pos, &e));              /* not an array */
  expect_span(sioc__json_get(a, "a"), NULL);          /* not an object */
  expect_span(sioc__json_get(span_of("{ }"), "a"), NULL);
  ASSERT_EQ(sioc__json_kind(span_of("   ")), -1);
}

int main(void) {
  cJSON *root = vec_load("json.json");
  int count = cJSON_GetArraySize(vec_list(root, "check")) +
              cJSON_GetArraySize(vec_list(root, "quote")) +
              cJSON_GetArraySize(vec_list(root, "unquote")) +
              cJSON_GetArraySize(vec_list(root, "value_len"));

  ASSERT_EQ(vec_num(root, "max_depth", 0), SIOC_JSON_MAX_DEPTH);
  test_check(root);
  test_quote(root);
  test_unquote(root);
  test_value_len(root);
  test_walk();
  test_roundtrip();
  test_depth();
  test_spans();
  cJSON_Delete(root);
  printf("test_json_text: %d vectors ok\n", count);
  return 0;
}

/* test_sio_packet.c - Socket.IO packet decode/validate/split/encode against
 * tests/vectors/socketio.json (checked against socket.io-parser). */
#include "json_text.h"
#include "sio_packet.h"
#include "vectors.h"

static void check_decode(const cJSON *v, size_t dflt_max) {
  const char *label = vec_label(v);
  size_t n = 0, max = (size_t)vec_num(v, "max_attachments", (double)dflt_max);
  char *in = vec_bytes(v, "input", "input_hex", &n);
  char *copy = malloc(n ? n : 1);
  sio__packet_t p;
  int r;

  ASSERT(in != NULL);
  memcpy(copy, in, n);
  memset(&p, 0xA5, sizeof(p));
  r = sio__packet_decode(in, n, max, &p);
  if (memcmp(copy, in, n) != 0)
    FATAL("[%s] decode modified its input", label);
  if (vec_has(v, "error")) {
    if (r != vec_errcode(vec_str(v, "error")))
      FATAL("[%s] expected %s, got %d", label, vec_str(v, "error"), r);
  } else {
    const char *nsp = vec_str(v, "nsp");
    const char *data = vec_str(v, "data");
    if (r != 0)
      FATAL("[%s] expected success, got %s", label, sioc_err_name(r));
    ASSERT_EQ(p.type, vec_num(v, "type", -1));
    if (p.nsp_len != strlen(nsp) || memcmp(p.nsp, nsp, p.nsp_len) != 0)
      FATAL("[%s] nsp \"%.*s\" != \"%s\"", label, (int)p.nsp_len, p.nsp, nsp);
    ASSERT_EQ(p.id, vec_num(v, "id", -1));
    ASSERT_EQ(p.attachments, vec_num(v, "attachments", 0));
    if (data == NULL) {
      ASSERT(p.data == NULL && p.data_len == 0);
    } else {
      if (p.data_len != strlen(data) || memcmp(p.data, data, p.data_len) != 0)
        FATAL("[%s] data \"%.*s\" != \"%s\"", label, (int)p.data_len, p.data,
              data);
      /* Spans point into the caller's buffer: nothing was copied. */
      ASSERT(p.data >= in && p.data + p.data_len == in + n);
    }
    if (strcmp(nsp, "/") != 0)
      ASSERT(p.nsp >= in && p.nsp + p.nsp_len <= in + n);
  }
  free(in);
  free(copy);
}

static void check_split(const cJSON *v) {
  size_t n = 0, name_len = 0;
  char *data = vec_bytes(v, "data", NULL, &n);
  char *name = vec_bytes(v, "name", "name_hex", &name_len);
  const char *args = vec_str(v, "args");
  sioc__sbuf_t scratch;
  sio__event_t ev;
  sio__packet_t p;
  char *pkt;
  int r;

  /* The data must first pass the decoder, as it would in the server. */
  pkt = malloc(n + 1);
  pkt[0] = '2';
  memcpy(pkt + 1, data, n);
  r = sio__packet_decode(pkt, n + 1, 10, &p);
  if (r != 0)
    FATAL("[%s] does not decode: %s", vec_str(v, "data"), sioc_err_name(r));

  sioc__sbuf_init(&scratch);
  sioc__sbuf_appends(&scratch, "junk"); /* the name goes after what's there */
  r = sio__event_split(p.data, p.data_len, &scratch, &ev);
  if (r != 0)
    FATAL("[%s] split failed: %s", vec_str(v, "data"), sioc_err_name(r));
  if (ev.name_len != name_len || memcmp(ev.name, name, name_len) != 0)
    FATAL("[%s] name \"%.*s\" != \"%.*s\"", vec_str(v, "data"),
          (int)ev.name_len, ev.name, (int)name_len, name);
  ASSERT(ev.name[ev.name_len] == '\0');
  if (ev.args_len != strlen(args) || memcmp(ev.args, args, ev.args_len) != 0)
    FATAL("[%s] args \"%.*s\" != \"%s\"", vec_str(v, "data"),
          (int)ev.args_len, ev.args, args);
  ASSERT(sioc__json_check(ev.args, ev.args_len) == SIOC_JSON_ARRAY);
  ASSERT_MEM_EQ(scratch.data, 4, "junk", 4);
  sioc__sbuf_reset(&scratch);
  free(pkt);
  free(data);
  free(name);
}

static int64_t id_of(const cJSON *v) {
  return (int64_t)vec_num(v, "id", -1);
}

static void check_encode(const cJSON *v) {
  const char *kind = vec_str(v, "kind");
  const char *nsp = vec_str(v, "nsp");
  const char *expect = vec_str(v, "output");
  const char *args = vec_str(v, "args");
  size_t att = (size_t)vec_num(v, "attachments", 0);
  size_t name_len = 0;
  char *name = vec_bytes(v, "name", NULL, &name_len);
  sioc__sbuf_t out;
  sio__packet_t p;
  int r;

  sioc__sbuf_init(&out);
  if (strcmp(kind, "event") == 0) {
    r = sio__encode_event(&out, nsp, strlen(nsp), id_of(v), name, name_len,
                          args, strlen(args), att);
  } else if (strcmp(kind, "ack") == 0) {
    r = sio__encode_ack(&out, nsp, strlen(nsp), id_of(v), args, strlen(args),
                        att);
  } else if (strcmp(kind, "connect_error") == 0) {
    const char *d = vec_str(v, "data");
    r = sio__encode_connect_error(&out, nsp, strlen(nsp),
                                  vec_str(v, "message"), d, d ? strlen(d) : 0);
  } else if (strcmp(kind, "header") == 0) {
    r = sio__packet_encode_header(&out, (sio__type_t)vec_num(v, "type", -1),
                                  att, nsp, strlen(nsp), id_of(v));
  } else {
    FATAL("unknown encode kind %s", kind);
  }
  ASSERT_EQ(r, 0);
  ASSERT_MEM_EQ(out.data, out.len, expect, strlen(expect));

  /* Everything sioc encodes decodes again (headers with data only). */
  if (strcmp(kind, "header") != 0) {
    r = sio__packet_decode(out.data, out.len, 10, &p);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(p.id, id_of(v));
    ASSERT_EQ(p.attachments, att);
  }
  sioc__sbuf_reset(&out);
  free(name);
}

#define EXPECT_OUT(b, lit) ASSERT_MEM_EQ((b).data, (b).len, lit, sizeof(lit) - 1)

/* Things the vectors cannot express: argument conventions of the encoders. */
static void test_encode_conventions(void) {
  sioc__sbuf_t out;

  sioc__sbuf_init(&out);
  /* NULL/"" nsp mean "/", NULL args mean no arguments. */
  ASSERT_EQ(sio__encode_event(&out, NULL, 0, -1, "a", 1, NULL, 0, 0), 0);
  EXPECT_OUT(out, "2[\"a\"]");
  out.len = 0;
  ASSERT_EQ(sio__encode_event(&out, "/", 1, 1, "a", 1, " [ ] ", 5, 0), 0);
  EXPECT_OUT(out, "21[\"a\"]");
  out.len = 0;
  ASSERT_EQ(sio__encode_event(&out, "/", 1, 1, "a", 1, "{}", 2, 0), SIOC_EINVAL);
  ASSERT_EQ(out.len, 0);
  ASSERT_EQ(sio__encode_ack(&out, "", 0, 3, NULL, 0, 0), 0);
  EXPECT_OUT(out, "33[]");
  out.len = 0;
  /* An invalid UTF-8 name is written with U+FFFD, like JSON.stringify of
   * the string Node would have decoded. */
  ASSERT_EQ(sio__encode_event(&out, "/", 1, -1, "a\xff", 2, "[1]", 3, 0), 0);
  EXPECT_OUT(out, "2[\"a\xef\xbf\xbd\",1]");
  out.len = 0;
  ASSERT_EQ(sio__encode_connect_error(&out, "/", 1, NULL, NULL, 0), 0);
  EXPECT_OUT(out, "4{\"message\":\"\"}");
  sioc__sbuf_reset(&out);
}

/* Decoding and splitting stay inside their buffers for every prefix of
 * every valid vector (ASan checks the reads; the buffers are exact). */
static void test_prefixes(const cJSON *list) {
  const cJSON *v;
  sioc__sbuf_t scratch;

  sioc__sbuf_init(&scratch);
  VEC_FOREACH(v, list) {
    size_t n = 0, k;
    char *in = vec_bytes(v, "input", "input_hex", &n);
    for (k = 0; k <= n; k++) {
      char *b = malloc(k ? k : 1);
      sio__packet_t p;
      sio__event_t ev;
      memcpy(b, in, k);
      if (sio__packet_decode(b, k, 10, &p) == 0 && p.data != NULL &&
          (p.type == SIO_EVENT || p.type == SIO_BINARY_EVENT)) {
        ASSERT_EQ(sio__event_split(p.data, p.data_len, &scratch, &ev), 0);
        scratch.len = 0;
      }
      free(b);
    }
    free(in);
  }
  sioc__sbuf_reset(&scratch);
}

int main(void) {
  cJSON *root = vec_load("socketio.json");
  cJSON *list, *v;
  size_t dflt_max = (size_t)vec_num(root, "max_attachments", 10);
  int count = 0;

  list = vec_list(root, "decode");
  VEC_FOREACH(v, list) { check_decode(v, dflt_max); count++; }
  test_prefixes(list);
  list = vec_list(root, "event_split");
  VEC_FOREACH(v, list) { check_split(v); count++; }
  list = vec_list(root, "encode");
  VEC_FOREACH(v, list) { check_encode(v); count++; }
  test_encode_conventions();
  cJSON_Delete(root);
  printf("test_sio_packet: %d vectors ok\n", count);
  return 0;
}

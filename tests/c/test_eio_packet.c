/* test_eio_packet.c - Engine.IO packets and polling payloads against
 * tests/vectors/engineio.json (checked against engine.io-parser). */
#include "eio_packet.h"
#include "vectors.h"

/* Compares a decoded packet with its expectation {type, data | data_hex,
 * binary}. */
static void expect_packet(const char *label, const eio__packet_t *p,
                          const cJSON *want) {
  size_t n;
  char *data = vec_bytes(want, "data", "data_hex", &n);

  ASSERT(data != NULL);
  if ((int)p->type != (int)vec_num(want, "type", -1))
    FATAL("[%s] type %d", label, p->type);
  if (p->binary != vec_bool(want, "binary"))
    FATAL("[%s] binary %d", label, p->binary);
  if (p->len != n || memcmp(p->data, data, n) != 0)
    FATAL("[%s] data \"%.*s\"", label, (int)p->len, p->data);
  free(data);
}

static void test_decode_packet(const cJSON *root) {
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "decode_packet")) {
    size_t n;
    char *in = vec_bytes(v, "input", "input_hex", &n);
    eio__packet_t p;
    int r = eio__packet_decode(in, n, &p);
    if (vec_has(v, "error")) {
      if (r != vec_errcode(vec_str(v, "error")))
        FATAL("[%s] expected an error, got %d", vec_label(v), r);
    } else {
      if (r != 0)
        FATAL("[%s] failed: %s", vec_label(v), sioc_err_name(r));
      expect_packet(vec_label(v), &p, v);
      ASSERT(p.data >= in && p.data + p.len <= in + n);
    }
    free(in);
  }
}

static void test_decode_payload(const cJSON *root) {
  const cJSON *v, *want;
  VEC_FOREACH(v, vec_list(root, "decode_payload")) {
    size_t n;
    char *in = vec_bytes(v, "input", "input_hex", &n);
    const cJSON *pkts = cJSON_GetObjectItemCaseSensitive(v, "packets");
    eio__payload_iter_t it;
    eio__packet_t p;
    int r;

    eio__payload_iter_init(&it, in, n);
    cJSON_ArrayForEach(want, pkts) {
      r = eio__payload_next(&it, &p);
      if (r != 1)
        FATAL("[%s] ended early: %d", vec_label(v), r);
      expect_packet(vec_label(v), &p, want);
    }
    r = eio__payload_next(&it, &p);
    if (vec_has(v, "error")) {
      if (r != vec_errcode(vec_str(v, "error")))
        FATAL("[%s] expected an error, got %d", vec_label(v), r);
    } else if (r != 0) {
      FATAL("[%s] expected the end, got %d", vec_label(v), r);
    }
    ASSERT_EQ(eio__payload_next(&it, &p), 0); /* stays at the end */
    free(in);
  }
  {
    eio__payload_iter_t it;
    eio__packet_t p;
    eio__payload_iter_init(&it, NULL, 0);
    ASSERT_EQ(eio__payload_next(&it, &p), SIOC_EPROTO);
    ASSERT_EQ(eio__payload_next(&it, &p), 0);
  }
}

static void test_encode_payload(const cJSON *root) {
  const cJSON *v, *pk;
  sioc__sbuf_t out;

  sioc__sbuf_init(&out);
  VEC_FOREACH(v, vec_list(root, "encode_payload")) {
    const char *expect = vec_str(v, "output");
    int first = 1;
    out.len = 0;
    cJSON_ArrayForEach(pk, cJSON_GetObjectItemCaseSensitive(v, "packets")) {
      size_t n;
      int binary = vec_has(pk, "binary_hex");
      char *data = vec_bytes(pk, "data", "binary_hex", &n);
      ASSERT_EQ(eio__payload_append(&out, first,
                                    binary ? EIO_MESSAGE
                                           : (eio__type_t)vec_num(pk, "type", -1),
                                    binary, data, data ? n : 0), 0);
      free(data);
      first = 0;
    }
    ASSERT_MEM_EQ(out.data, out.len, expect, strlen(expect));
  }
  sioc__sbuf_reset(&out);
}

static void test_open(const cJSON *root) {
  const cJSON *v;
  sioc__sbuf_t out;

  sioc__sbuf_init(&out);
  VEC_FOREACH(v, vec_list(root, "open")) {
    const char *expect = vec_str(v, "output");
    out.len = 0;
    ASSERT_EQ(eio__open_packet(&out, vec_str(v, "sid"), vec_bool(v, "upgrades"),
                               (unsigned)vec_num(v, "pingInterval", 0),
                               (unsigned)vec_num(v, "pingTimeout", 0),
                               (size_t)vec_num(v, "maxPayload", 0)), 0);
    ASSERT_MEM_EQ(out.data, out.len, expect, strlen(expect));
  }
  sioc__sbuf_reset(&out);
}

int main(void) {
  cJSON *root = vec_load("engineio.json");
  int count = cJSON_GetArraySize(vec_list(root, "decode_packet")) +
              cJSON_GetArraySize(vec_list(root, "decode_payload")) +
              cJSON_GetArraySize(vec_list(root, "encode_payload")) +
              cJSON_GetArraySize(vec_list(root, "open"));

  test_decode_packet(root);
  test_decode_payload(root);
  test_encode_payload(root);
  test_open(root);
  cJSON_Delete(root);
  printf("test_eio_packet: %d vectors ok\n", count);
  return 0;
}

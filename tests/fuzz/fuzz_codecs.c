/* fuzz_codecs.c - libFuzzer target for every decoder of the sans-IO codecs.
 *
 * Each input is fed to the Engine.IO packet and payload decoders, the
 * Socket.IO decoder (and, on success, the event splitter), the JSON scanner,
 * unquoter and span walker, the cluster's msgpack and message decoders,
 * base64, UTF-8 validation, the WebSocket accept key and the WebSocket
 * frame header parser and unmasker.
 * Besides "no crash, no sanitizer report", it checks invariants that tie the
 * codecs together (a decoded packet is valid UTF-8, quoting always yields a
 * valid JSON string that unquotes back, ...) and aborts when one breaks.
 *
 * Every decoder gets its own exact-size heap copy, so an over-read by even
 * one byte is an ASan report.
 *
 * Built by CMake only with clang (-fsanitize=fuzzer).  Defining
 * SIOC_FUZZ_MAIN adds a main() that runs the files named on the command line
 * (or stdin), for replaying crashes with any compiler.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cluster_wire.h"
#include "eio_packet.h"
#include "json_text.h"
#include "sio_packet.h"
#include "sioc.h"
#include "utf8.h"
#include "ws_accept.h"
#include "ws_frame.h"

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
              #cond);                                                       \
      abort();                                                              \
    }                                                                       \
  } while (0)

static char *dup_exact(const uint8_t *data, size_t size) {
  char *p = malloc(size ? size : 1);
  if (p == NULL)
    abort();
  if (size)
    memcpy(p, data, size);
  return p;
}

static void fuzz_eio(const uint8_t *data, size_t size) {
  char *b = dup_exact(data, size);
  eio__packet_t p;
  eio__payload_iter_t it;
  int r, count = 0;

  if (eio__packet_decode(b, size, &p) == 0)
    CHECK(p.data >= b && p.data + p.len <= b + size && p.type <= EIO_NOOP);
  free(b);

  b = dup_exact(data, size);
  eio__payload_iter_init(&it, b, size);
  while ((r = eio__payload_next(&it, &p)) == 1) {
    CHECK(p.data >= b && p.data + p.len <= b + size);
    CHECK(++count <= (int)size + 1);
  }
  CHECK(r == 0 || r == SIOC_EPROTO);
  CHECK(eio__payload_next(&it, &p) == 0);
  free(b);
}

static void fuzz_sio(const uint8_t *data, size_t size, sioc__sbuf_t *scratch) {
  char *b = dup_exact(data, size);
  sio__packet_t p;
  sio__event_t ev;
  int r;

  r = sio__packet_decode(b, size, 10, &p);
  CHECK(r == 0 || r == SIOC_EPROTO || r == SIOC_ELIMIT);
  if (r == 0) {
    CHECK(sioc__utf8_valid(b, size));
    CHECK(p.type <= SIO_BINARY_ACK);
    CHECK(p.id >= -1 && p.id <= 9007199254740991LL);
    CHECK(p.attachments <= 10);
    if (p.data != NULL) {
      CHECK(p.data >= b && p.data + p.data_len == b + size);
      CHECK(sioc__json_check(p.data, p.data_len) >= 0);
    }
    if (p.data != NULL && (p.type == SIO_EVENT || p.type == SIO_BINARY_EVENT)) {
      scratch->len = 0;
      r = sio__event_split(p.data, p.data_len, scratch, &ev);
      CHECK(r == 0 || r == SIOC_ENOMEM);
      if (r == 0) {
        CHECK(ev.name[ev.name_len] == '\0');
        CHECK(sioc__utf8_valid(ev.name, ev.name_len));
        CHECK(sioc__json_check(ev.args, ev.args_len) == SIOC_JSON_ARRAY);
      }
    }
  }
  free(b);
}

/* Every element and member of validated text, as spans inside it that are
 * themselves valid values (a bounded walk). */
static void walk(sioc__json_span_t v, int depth) {
  sioc__json_span_t e;
  size_t pos = 0, n = 0;
  CHECK(sioc__json_check(v.p, v.n) == sioc__json_kind(v));
  if (depth > 8)
    return;
  while (n++ < 64 && sioc__json_next(v, &pos, &e)) {
    CHECK(e.p >= v.p && e.p + e.n <= v.p + v.n);
    walk(e, depth + 1);
  }
  if (sioc__json_kind(v) == SIOC_JSON_OBJECT) {
    e = sioc__json_get(v, "type");
    if (e.n) {
      CHECK(e.p > v.p && e.p + e.n < v.p + v.n);
      walk(e, depth + 1);
    }
    free(sioc__json_strdup(sioc__json_get(v, "uid")));
    sioc__json_number(sioc__json_get(v, "n"), NULL);
  }
}

/* The cluster's decoders: a success is valid JSON whose bins lie in the
 * input. */
static void fuzz_cluster(const uint8_t *data, size_t size, sioc__sbuf_t *out) {
  char *b = dup_exact(data, size);
  sio__bins_t bins = {NULL, 0, 0};
  sio__wire_bcast_t bc;
  sioc__json_span_t obj;
  size_t i;

  out->len = 0;
  if (sio__mp_to_json(b, size, out, &bins) == 0) {
    CHECK(sioc__json_check(out->data, out->len) >= 0);
    CHECK(out->len <= SIO_WIRE_JSON_BUDGET(size));
    for (i = 0; i < bins.n; i++)
      CHECK(bins.items[i].data >= (const uint8_t *)b &&
            bins.items[i].data + bins.items[i].len <= (const uint8_t *)b + size);
  }
  sio__bins_free(&bins);
  if (sio__wire_bcast_decode(b, size, &bc) == 0) {
    CHECK(bc.uid && bc.nsp && bc.event);
    CHECK(sioc__json_check(bc.args.data, bc.args.len) == SIOC_JSON_ARRAY);
    sio__wire_bcast_free(&bc);
  }
  out->len = 0;
  if (sio__wire_parse(b, size, out, &bins, &obj) == 0)
    walk(obj, 0);
  sio__bins_free(&bins);
  free(b);
}

static void fuzz_json(const uint8_t *data, size_t size, sioc__sbuf_t *out) {
  char *b = dup_exact(data, size);
  sioc__sbuf_t back;
  int kind = sioc__json_check(b, size);

  if (kind >= 0) {
    size_t lead = 0, len;
    while (lead < size && (b[lead] == ' ' || b[lead] == '\t' ||
                           b[lead] == '\n' || b[lead] == '\r'))
      lead++;
    len = sioc__json_value_len(b + lead, size - lead);
    CHECK(len > 0 && lead + len <= size);
    CHECK(sioc__json_check(b + lead, len) == kind);
    if (kind == SIOC_JSON_STRING) {
      out->len = 0;
      CHECK(sioc__json_unquote(out, b + lead, len) == 0);
      CHECK(sioc__utf8_valid(out->data, out->len));
    }
    walk(sioc__json_span(b, size), 0);
  }

  /* Quoting any bytes gives a valid JSON string that unquotes to the input
   * whenever the input was valid UTF-8. */
  out->len = 0;
  CHECK(sioc__json_quote(out, b, size) == 0);
  CHECK(sioc__json_check(out->data, out->len) == SIOC_JSON_STRING);
  CHECK(sioc__json_value_len(out->data, out->len) == out->len);
  sioc__sbuf_init(&back);
  CHECK(sioc__json_unquote(&back, out->data, out->len) == 0);
  if (sioc__utf8_valid(b, size))
    CHECK(back.len == size && (size == 0 || memcmp(back.data, b, size) == 0));
  sioc__sbuf_reset(&back);
  free(b);
}

static void fuzz_misc(const uint8_t *data, size_t size, sioc__sbuf_t *out) {
  char *b = dup_exact(data, size);
  unsigned char *dst = malloc(size ? size : 1);
  char accept[29];
  long r;

  r = sioc__base64_decode(dst, b, size);
  CHECK(r == SIOC_EPROTO || (r >= 0 && (size_t)r <= size));
  if (r >= 0) {
    /* Re-encoding gives the input back up to padding and unused bits. */
    out->len = 0;
    CHECK(sioc__base64_encode(out, dst, (size_t)r) == 0);
    CHECK(out->len >= size && out->len <= size + 3);
  }
  r = sioc__base64_decode((unsigned char *)b, b, size); /* in place */
  CHECK(r == SIOC_EPROTO || (r >= 0 && (size_t)r <= size));
  free(b);

  b = dup_exact(data, size);
  (void)sioc__utf8_valid(b, size);
  r = sioc__ws_accept(b, size, accept);
  CHECK(r == 0 || r == SIOC_EPROTO || r == SIOC_ENOMEM);
  if (r == 0)
    CHECK(strlen(accept) == 28);
  free(b);
  free(dst);
}

/* Frames: walks the input as a sequence of frames the way the transport
 * does; a header parses to at most 14 bytes within the input, and
 * unmasking twice gives the payload back. */
static void fuzz_ws_frames(const uint8_t *data, size_t size) {
  uint8_t *b = (uint8_t *)dup_exact(data, size);
  size_t off = 0;
  while (off < size) {
    eio__ws_header_t h;
    int hl = eio__ws_header_parse(b + off, size - off, &h);
    CHECK(hl >= -1 && hl <= EIO_WS_MAX_HEADER && (size_t)(hl > 0 ? hl : 0) <= size - off);
    if (hl <= 0) break;
    CHECK(hl >= 2 && (h.masked == 0 || hl >= 6));
    CHECK(!(h.opcode & 8) || (h.fin && h.payload_len <= 125));
    off += (size_t)hl;
    size_t n = h.payload_len < size - off ? (size_t)h.payload_len : size - off;
    uint8_t *copy = (uint8_t *)dup_exact(b + off, n);
    eio__ws_unmask(b + off, b + off, n, h.mask, off);
    eio__ws_unmask(b + off, b + off, n, h.mask, off);
    CHECK(n == 0 || memcmp(copy, b + off, n) == 0);
    free(copy);
    off += n;
  }
  free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sioc__sbuf_t scratch;

  sioc__sbuf_init(&scratch);
  fuzz_eio(data, size);
  fuzz_sio(data, size, &scratch);
  fuzz_json(data, size, &scratch);
  fuzz_cluster(data, size, &scratch);
  fuzz_misc(data, size, &scratch);
  fuzz_ws_frames(data, size);
  sioc__sbuf_reset(&scratch);
  return 0;
}

#ifdef SIOC_FUZZ_MAIN
static void run_file(FILE *f) {
  size_t cap = 1 << 16, len = 0, n;
  uint8_t *buf = malloc(cap);
  while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap)
      buf = realloc(buf, cap *= 2);
  }
  if (buf == NULL)
    abort();
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
}

int main(int argc, char **argv) {
  int i;
  if (argc < 2) {
    run_file(stdin);
    return 0;
  }
  for (i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (f == NULL) {
      perror(argv[i]);
      return 1;
    }
    run_file(f);
    fclose(f);
  }
  return 0;
}
#endif

/* test_server_ws.c - the server over WebSocket on loopback: the RFC 6455
 * handshake, events both ways, binary attachments both ways, acks both ways
 * (including the ack timeout), fragmentation and control frames, frames
 * split across reads at every byte and many frames in one read, volatile
 * packets and the gathering of writes, and server-side disconnects. */
#include "loop_client.h"

static lc_rec_t rec;

/* Answers "ask" events that want an ack, with a binary ack for "askbin". */
static void hook_event(sioc_socket_t *s, const sioc_event_t *ev, void *data) {
  if (ev->ack_id < 0) return;
  /* The event's own arguments pass unchecked, but only exactly them: a
   * prefix (an unterminated array) is still refused. */
  ASSERT_EQ(sioc_socket_ack(s, ev->ack_id, ev->args, ev->args_len - 1, NULL, 0), SIOC_EJSON);
  ASSERT_EQ(sioc_socket_emit(s, "x", ev->args, ev->args_len - 1, NULL, 0), SIOC_EJSON);
  if (strcmp(ev->name, "ask") == 0) {
    ASSERT_EQ(sioc_socket_ack(s, ev->ack_id, "[\"ok\"]", 6, NULL, 0), 0);
  } else if (strcmp(ev->name, "askbin") == 0) {
    static const uint8_t b[] = {9, 8};
    sioc_bin_t bin = {b, 2};
    const char *ph = "[{\"_placeholder\":true,\"num\":0}]";
    ASSERT_EQ(sioc_socket_ack(s, ev->ack_id, ph, strlen(ph), &bin, 1), 0);
  }
}

typedef struct {
  int calls;
  int err;
  char *args;
  size_t n_att;
  uint8_t att[16];
  size_t att_len;
  uint64_t at;
} ack_res_t;

static void on_ack(sioc_socket_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *atts, size_t n, void *data) {
  ack_res_t *a = data;
  a->calls++;
  a->err = err;
  a->args = args ? strndup(args, len) : NULL;
  a->n_att = n;
  if (n) {
    ASSERT(atts[0].len <= sizeof(a->att));
    memcpy(a->att, atts[0].data, atts[0].len);
    a->att_len = atts[0].len;
  }
  a->at = lc_now();
}

/* "42<id>[...]": returns the ack id and checks the rest. */
static long parse_ack_request(const char *pkt, const char *rest) {
  ASSERT(strncmp(pkt, "42", 2) == 0);
  char *end;
  long id = strtol(pkt + 2, &end, 10);
  ASSERT(end > pkt + 2);
  if (strcmp(end, rest) != 0) FATAL("ack request %s, expected ...%s", pkt, rest);
  return id;
}

static void test_handshake(sioc_server_t *srv) {
  /* RFC 6455 section 1.3's example key */
  lc_client_t *c = lc_connect("rfc");
  lc_http_t r;
  int st = lc_ws_handshake(c, "/socket.io/?EIO=4&transport=websocket",
                           "dGhlIHNhbXBsZSBub25jZQ==", &r);
  ASSERT_EQ(st, 101);
  char v[128];
  ASSERT(lc_http_header(&r, "Sec-WebSocket-Accept", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  ASSERT(lc_http_header(&r, "Connection", v, sizeof(v)) != NULL);
  ASSERT(strcasecmp(v, "Upgrade") == 0);
  lc_http_free(&r);
  char *open = lc_ws_recv_text(c, 2000);
  ASSERT(open[0] == '0');
  cJSON *j = cJSON_Parse(open + 1);
  ASSERT(j != NULL);
  ASSERT_EQ(cJSON_GetArraySize(j), 5);
  cJSON *up = cJSON_GetObjectItemCaseSensitive(j, "upgrades");
  ASSERT(cJSON_IsArray(up) && cJSON_GetArraySize(up) == 0);   /* already on ws */
  ASSERT(cJSON_GetObjectItemCaseSensitive(j, "pingInterval")->valuedouble == 25000);
  ASSERT(cJSON_GetObjectItemCaseSensitive(j, "pingTimeout")->valuedouble == 20000);
  ASSERT(cJSON_GetObjectItemCaseSensitive(j, "maxPayload")->valuedouble == 1000000);
  cJSON_Delete(j);
  free(open);
  lc_stats_expect(srv, 1, 1, 0);
  /* a clean close from the client ends the session */
  unsigned char code[2] = {0x03, 0xe8};
  lc_ws_frame(c, 1, LC_OP_CLOSE, code, 2, 0);
  ASSERT_EQ(lc_ws_wait_close(c, 2000), 1000);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);

  /* bad upgrade requests */
  c = lc_connect("badver");
  lc_http_send(c, "GET", "/socket.io/?EIO=4&transport=websocket",
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n",
               NULL, 0);
  lc_http_wait(c, &r, 2000);
  ASSERT_EQ(r.status, 400);
  lc_http_free(&r);
  lc_wait_eof(c, 2000);
  /* transport=websocket without an upgrade: Bad request */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=websocket", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 3, "Bad request");
  lc_http_free(&r);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  printf("ok ws handshake\n");
}

static void test_events(sioc_server_t *srv) {
  char id[32];
  lc_client_t *c = lc_sio_ws("ev", id);
  ASSERT_EQ(rec.n_conn, 1);
  sioc_socket_t *s = rec.conn[0];
  ASSERT_STR_EQ(sioc_socket_id(s), id);
  ASSERT_STR_EQ(sioc_socket_transport(s), "websocket");
  lc_stats_expect(srv, 1, 1, 1);

  /* client -> server */
  lc_ws_text(c, "42[\"hi\",1]");
  LC_WAIT(rec.n_events == 1, 2000);
  ASSERT_STR_EQ(rec.ev[0].name, "hi");
  ASSERT_STR_EQ(rec.ev[0].args, "[1]");
  ASSERT_EQ(rec.ev[0].ack_id, -1);

  /* server -> client, one text frame per packet */
  ASSERT_EQ(sioc_socket_emit(s, "ev", "[{\"a\":1}]", 9, NULL, 0), 0);
  ASSERT_EQ(sioc_socket_emit(s, "ev2", "[\"x\",null]", 10, NULL, 0), 0);
  lc_ws_expect(c, "42[\"ev\",{\"a\":1}]", 2000);
  lc_ws_expect(c, "42[\"ev2\",\"x\",null]", 2000);
  /* invalid args are refused, nothing is sent */
  ASSERT_EQ(sioc_socket_emit(s, "bad", "{\"a\":1}", 7, NULL, 0), SIOC_EJSON);
  ASSERT_EQ(sioc_socket_emit(s, "bad", "[1", 2, NULL, 0), SIOC_EJSON);

  /* client -> server binary event: text frame then binary frame */
  static const uint8_t dead[] = {0xde, 0xad, 0xbe, 0xef};
  lc_ws_text(c, "451-[\"bin\",{\"_placeholder\":true,\"num\":0},\"t\"]");
  lc_sleep(20);
  ASSERT_EQ(rec.n_events, 1);   /* waits for its attachment */
  lc_ws_bin(c, dead, 4);
  LC_WAIT(rec.n_events == 2, 2000);
  ASSERT_STR_EQ(rec.ev[1].name, "bin");
  ASSERT_STR_EQ(rec.ev[1].args, "[{\"_placeholder\":true,\"num\":0},\"t\"]");
  ASSERT_EQ(rec.ev[1].n_att, 1);
  ASSERT_MEM_EQ(rec.ev[1].att[0], rec.ev[1].att_len[0], "\xde\xad\xbe\xef", 4);
  /* two attachments, one of them empty */
  lc_ws_text(c, "452-[\"bin2\",{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]");
  lc_ws_bin(c, "AB", 2);
  lc_ws_bin(c, "", 0);
  LC_WAIT(rec.n_events == 3, 2000);
  ASSERT_EQ(rec.ev[2].n_att, 2);
  ASSERT_MEM_EQ(rec.ev[2].att[0], rec.ev[2].att_len[0], "AB", 2);
  ASSERT_EQ(rec.ev[2].att_len[1], 0);

  /* server -> client binary */
  static const uint8_t bytes[] = {1, 2, 3, 0, 255};
  sioc_bin_t bin = {bytes, 5};
  const char *ph = "[{\"_placeholder\":true,\"num\":0}]";
  ASSERT_EQ(sioc_socket_emit(s, "ev", ph, strlen(ph), &bin, 1), 0);
  lc_ws_expect(c, "451-[\"ev\",{\"_placeholder\":true,\"num\":0}]", 2000);
  lc_frame_t f;
  lc_ws_wait(c, &f, 2000);
  ASSERT_EQ(f.opcode, LC_OP_BIN);
  ASSERT_MEM_EQ(f.data, f.len, "\x01\x02\x03\x00\xff", 5);
  lc_frame_free(&f);

  /* client asks for an ack -> 43<id>[...] */
  lc_ws_text(c, "423[\"ask\",\"x\"]");
  lc_ws_expect(c, "433[\"ok\"]", 2000);
  ASSERT_EQ(rec.ev[3].ack_id, 3);
  /* binary ack */
  lc_ws_text(c, "427[\"askbin\"]");
  lc_ws_expect(c, "461-7[{\"_placeholder\":true,\"num\":0}]", 2000);
  lc_ws_wait(c, &f, 2000);
  ASSERT_EQ(f.opcode, LC_OP_BIN);
  ASSERT_MEM_EQ(f.data, f.len, "\x09\x08", 2);
  lc_frame_free(&f);

  /* server asks, nobody answers: SIOC_ETIMEDOUT after ~timeout */
  ack_res_t a1 = {0};
  uint64_t t0 = lc_now();
  ASSERT_EQ(sioc_socket_emit_with_ack(s, "q", "[]", 2, NULL, 0, 200, on_ack, &a1), 0);
  char *pkt = lc_ws_recv_text(c, 2000);
  long id1 = parse_ack_request(pkt, "[\"q\"]");
  free(pkt);
  LC_WAIT(a1.calls == 1, 2000);
  ASSERT_EQ(a1.err, SIOC_ETIMEDOUT);
  ASSERT(a1.args == NULL);
  uint64_t took = a1.at - t0;
  if (took < 190 || took > 800) FATAL("ack timeout after %llu ms, expected ~200", (unsigned long long)took);
  /* a late answer is ignored */
  char buf[128];
  snprintf(buf, sizeof(buf), "43%ld[\"late\"]", id1);
  lc_ws_text(c, buf);
  lc_sleep(30);
  ASSERT_EQ(a1.calls, 1);

  /* server asks, client answers */
  ack_res_t a2 = {0};
  ASSERT_EQ(sioc_socket_emit_with_ack(s, "q2", "[5]", 3, NULL, 0, 2000, on_ack, &a2), 0);
  pkt = lc_ws_recv_text(c, 2000);
  long id2 = parse_ack_request(pkt, "[\"q2\",5]");
  free(pkt);
  ASSERT(id2 != id1);
  snprintf(buf, sizeof(buf), "43%ld[\"ans\",{\"z\":2}]", id2);
  lc_ws_text(c, buf);
  LC_WAIT(a2.calls == 1, 2000);
  ASSERT_EQ(a2.err, 0);
  ASSERT_STR_EQ(a2.args, "[\"ans\",{\"z\":2}]");
  lc_sleep(250);   /* the 2 s timer must not fire again: calls stays 1 below */

  /* binary ack from the client */
  ack_res_t a3 = {0};
  ASSERT_EQ(sioc_socket_emit_with_ack(s, "q3", "[]", 2, NULL, 0, 0, on_ack, &a3), 0);
  pkt = lc_ws_recv_text(c, 2000);
  long id3 = parse_ack_request(pkt, "[\"q3\"]");
  free(pkt);
  snprintf(buf, sizeof(buf), "461-%ld[{\"_placeholder\":true,\"num\":0}]", id3);
  lc_ws_text(c, buf);
  lc_ws_bin(c, "\x07", 1);
  LC_WAIT(a3.calls == 1, 2000);
  ASSERT_EQ(a3.err, 0);
  ASSERT_STR_EQ(a3.args, "[{\"_placeholder\":true,\"num\":0}]");
  ASSERT_EQ(a3.n_att, 1);
  ASSERT_MEM_EQ(a3.att, a3.att_len, "\x07", 1);

  /* fragmented text message with a ping in between: pong echoes the ping */
  int nev = rec.n_events;
  lc_ws_frame(c, 0, LC_OP_TEXT, "42[\"fr", 6, 0);
  lc_ws_frame(c, 1, LC_OP_PING, "pp", 2, 0);
  lc_ws_frame(c, 0, LC_OP_CONT, "ag\",", 4, 0);
  lc_ws_frame(c, 1, LC_OP_CONT, "7]", 2, 0);
  lc_ws_wait(c, &f, 2000);
  ASSERT_EQ(f.opcode, LC_OP_PONG);
  ASSERT_MEM_EQ(f.data, f.len, "pp", 2);
  lc_frame_free(&f);
  LC_WAIT(rec.n_events == nev + 1, 2000);
  ASSERT_STR_EQ(rec.ev[nev].name, "frag");
  ASSERT_STR_EQ(rec.ev[nev].args, "[7]");
  /* a large message (64-bit length path on the way back) */
  size_t big = 70000;
  char *msg = malloc(big + 32);
  int n = snprintf(msg, 32, "42[\"big\",\"");
  memset(msg + n, 'x', big);
  strcpy(msg + n + big, "\"]");
  lc_ws_text(c, msg);
  LC_WAIT(rec.n_events == nev + 2, 2000);
  ASSERT_EQ(strlen(rec.ev[nev + 1].args), big + 4);
  ASSERT_EQ(sioc_socket_emit(s, "big", rec.ev[nev + 1].args, big + 4, NULL, 0), 0);
  char *back = lc_ws_recv_text(c, 2000);
  ASSERT_STR_EQ(back, msg);
  free(back);
  free(msg);

  /* server namespace disconnect: client gets "41", socket reason */
  ack_res_t a4 = {0};
  ASSERT_EQ(sioc_socket_emit_with_ack(s, "never", "[]", 2, NULL, 0, 0, on_ack, &a4), 0);
  free(lc_ws_recv_text(c, 2000));
  ASSERT_EQ(sioc_socket_disconnect(s, 0), 0);
  lc_ws_expect(c, "41", 2000);
  ASSERT_EQ(rec.n_disc, 1);
  ASSERT_STR_EQ(rec.disc_reason[0], "server namespace disconnect");
  ASSERT_EQ(a4.calls, 1);      /* pending acks complete with ECLOSED */
  ASSERT_EQ(a4.err, SIOC_ECLOSED);
  ASSERT_EQ(sioc_socket_disconnect(s, 0), SIOC_ECLOSED);
  ASSERT_EQ(sioc_socket_emit(s, "x", "[]", 2, NULL, 0), SIOC_ECLOSED);
  lc_stats_expect(srv, 1, 1, 0);
  /* the Engine.IO session lives on: connect again */
  lc_ws_text(c, "40");
  pkt = lc_ws_recv_text(c, 2000);
  char id2s[32];
  lc_parse_connect(pkt, "/", id2s);
  free(pkt);
  ASSERT(strcmp(id2s, id) != 0);
  ASSERT_EQ(rec.n_conn, 2);
  /* disconnect with close: 41 then the connection closes */
  ASSERT_EQ(sioc_socket_disconnect(rec.conn[1], 1), 0);
  lc_ws_expect(c, "41", 2000);
  lc_ws_wait_close(c, 2000);
  ASSERT_EQ(rec.n_disc, 2);
  ASSERT_STR_EQ(rec.disc_reason[1], "server namespace disconnect");
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  ASSERT_EQ(a1.calls + a2.calls + a3.calls, 3);
  free(a1.args);
  free(a2.args);
  free(a3.args);
  free(a4.args);

  /* a client closing its TCP connection: "transport close" */
  lc_client_t *c2 = lc_sio_ws("drop", id);
  lc_close(c2);
  LC_WAIT(rec.n_disc == 3, 2000);
  ASSERT_STR_EQ(rec.disc_id[2], id);
  ASSERT_STR_EQ(rec.disc_reason[2], "transport close");
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  /* Engine.IO close packet from the client: "transport close" too */
  c2 = lc_sio_ws("eio-close", id);
  lc_ws_text(c2, "1");
  LC_WAIT(rec.n_disc == 4, 2000);
  ASSERT_STR_EQ(rec.disc_reason[3], "transport close");
  lc_ws_wait_close(c2, 2000);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  printf("ok ws events/acks/binary\n");
}

/* The next frame that is not an Engine.IO ping (answered: slow runs, under
 * valgrind, outlast the ping interval). */
static void wait_frame_no_ping(lc_client_t *c, lc_frame_t *f) {
  for (;;) {
    lc_ws_wait(c, f, 2000);
    if (f->opcode != LC_OP_TEXT || strcmp(f->data, "2") != 0) return;
    lc_frame_free(f);
    lc_ws_text(c, "3");
  }
}

/* socket.io's volatile rule over WebSocket: a volatile packet is dropped
 * while the transport is not writable, i.e. while an earlier packet has not
 * been written yet (engine.io: until ws's send callback).  Packets sent in
 * one loop turn go out together after it, so a volatile one right after a
 * regular one, or after another volatile one, in the same turn is dropped;
 * one sent after the turn goes.  (socket.io's own tests "should not emit
 * volatile event after regular event" and "should emit only one
 * consecutive volatile event (ws)".) */
static void test_volatile(void) {
  char id[32];
  lc_client_t *c = lc_sio_ws("volatile", id);
  sioc_socket_t *s = lc_rec_socket(&rec, id);
  sioc_nsp_t *nsp = sioc_socket_nsp(s);
  const char *me[] = {id};
  sioc_target_t vol = {me, 1, NULL, 0, SIOC_BCAST_VOLATILE};
  lc_sleep(20);   /* nothing pending from the handshake */
  ASSERT_EQ(sioc_nsp_emit(nsp, &vol, "v", "[1]", 3, NULL, 0), 0);   /* goes */
  ASSERT_EQ(sioc_nsp_emit(nsp, &vol, "v", "[2]", 3, NULL, 0), 0);   /* dropped */
  ASSERT_EQ(sioc_socket_emit(s, "n", "[3]", 3, NULL, 0), 0);        /* regular: goes */
  ASSERT_EQ(sioc_nsp_emit(nsp, &vol, "v", "[4]", 3, NULL, 0), 0);   /* dropped */
  lc_ws_expect(c, "42[\"v\",1]", 2000);
  lc_ws_expect(c, "42[\"n\",3]", 2000);
  lc_sleep(20);
  ASSERT_EQ(sioc_nsp_emit(nsp, &vol, "v", "[5]", 3, NULL, 0), 0);   /* writable again */
  lc_ws_expect(c, "42[\"v\",5]", 2000);
  lc_sleep(20);
  lc_frame_t f;
  ASSERT_EQ(lc_ws_try(c, &f), 0);   /* nothing else came */
  lc_close(c);
}

/* Appends one encoded frame to buf. */
static void add_frame(unsigned char *buf, size_t *n, int fin, int op, const char *data,
                      size_t len) {
  size_t fl;
  unsigned char *f = lc_ws_encode(fin, op, data, len, 0, &fl);
  memcpy(buf + *n, f, fl);
  *n += fl;
  free(f);
}

/* The same frames sent whole, in chunks of 1, 3 and 7 bytes (each chunk
 * read on its own: the loop turns between them), so headers and payloads
 * are split at every offset; and all in one write, so one read carries
 * several messages. */
static void test_split_reads(void) {
  char id[32];
  lc_client_t *c = lc_sio_ws("split", id);
  /* Tiny segments must not wait for the peer's delayed ACK (Nagle). */
  ASSERT_EQ(uv_tcp_nodelay(&c->tcp, 1), 0);
  char s1[400];
  int l1 = snprintf(s1, sizeof(s1), "42[\"s1\",\"");
  memset(s1 + l1, 'a', 300);
  strcpy(s1 + l1 + 300, "\"]");
  const char *s3 = "451-[\"s3\",{\"_placeholder\":true,\"num\":0}]";
  unsigned char buf[1024];
  size_t n = 0;
  add_frame(buf, &n, 1, LC_OP_TEXT, s1, strlen(s1));           /* 16-bit length */
  add_frame(buf, &n, 1, LC_OP_PING, "pq", 2);
  add_frame(buf, &n, 0, LC_OP_TEXT, "42[\"s2\",", 8);          /* fragmented ... */
  add_frame(buf, &n, 1, LC_OP_PING, "", 0);                     /* ... a ping inside */
  add_frame(buf, &n, 1, LC_OP_CONT, "1]", 2);
  add_frame(buf, &n, 1, LC_OP_TEXT, s3, strlen(s3));
  add_frame(buf, &n, 1, LC_OP_BIN, "\x01\x00\x03", 3);
  add_frame(buf, &n, 1, LC_OP_TEXT, "42[\"s4\"]", 8);
  ASSERT(n < sizeof(buf));
  static const size_t chunks[] = {0, 1, 3, 7};
  for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
    int base = rec.n_events;
    if (chunks[k] == 0) {
      lc_send(c, buf, n);
    } else {
      for (size_t off = 0; off < n; off += chunks[k]) {
        lc_send(c, buf + off, n - off < chunks[k] ? n - off : chunks[k]);
        lc_sleep(1);
      }
    }
    /* This client's events only (a slow run may still record others). */
    lc_event_t *e[4];
    int got = 0;
    uint64_t dl = lc_now() + 5000 * lc_slow_factor();
    for (int i = base; got < 4; ) {
      if (i < rec.n_events) {
        if (strcmp(rec.ev[i].sock, id) == 0) e[got++] = &rec.ev[i];
        i++;
        continue;
      }
      if (lc_now() > dl) FATAL("chunks of %zu: %d of 4 events", chunks[k], got);
      lc__turn(dl);
    }
    ASSERT_STR_EQ(e[0]->name, "s1");
    ASSERT_EQ(strlen(e[0]->args), 304);
    ASSERT_STR_EQ(e[1]->name, "s2");
    ASSERT_STR_EQ(e[1]->args, "[1]");
    ASSERT_STR_EQ(e[2]->name, "s3");
    ASSERT_EQ(e[2]->n_att, 1);
    ASSERT_MEM_EQ(e[2]->att[0], e[2]->att_len[0], "\x01\x00\x03", 3);
    ASSERT_STR_EQ(e[3]->name, "s4");
    ASSERT_STR_EQ(e[3]->args, "[]");
    lc_frame_t f;
    wait_frame_no_ping(c, &f);
    if (f.opcode != LC_OP_PONG) FATAL("chunks of %zu: frame %d %s", chunks[k], f.opcode, f.data);
    ASSERT_MEM_EQ(f.data, f.len, "pq", 2);
    lc_frame_free(&f);
    wait_frame_no_ping(c, &f);
    ASSERT_EQ(f.opcode, LC_OP_PONG);
    ASSERT_EQ(f.len, 0);
    lc_frame_free(&f);
  }
  lc_close(c);
}

int main(void) {
  lc_init(20000);
  sioc_server_t *srv = lc_server(NULL);
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  rec.on_event = hook_event;
  test_handshake(srv);
  test_events(srv);
  test_split_reads();
  test_volatile();
  lc_server_close(srv);
  lc_rec_free(&rec);
  lc_end();
  printf("ok test_server_ws\n");
  return 0;
}

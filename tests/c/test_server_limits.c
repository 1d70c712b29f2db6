/* test_server_limits.c - the configured limits of DESIGN.md ("Limits and bad
 * input"), each at its boundary, each costing only the offending
 * connection or session:
 *  a. max_connections: the connection over the limit is closed at once, the
 *     others keep working, and a freed slot can be used again;
 *  b. max_buffered_bytes: a WebSocket client that stops reading (small
 *     SO_RCVBUF, uv_read_stop) while 2 MB go out in 16 KB events is
 *     disconnected; a reading client gets everything.  On loopback Linux
 *     autotunes the server socket's send buffer to tcp_wmem's maximum
 *     (4 MiB), which would swallow the whole 2 MB before the library's
 *     queue grows at all, so the test pins that connection's SO_SNDBUF to
 *     16 KiB (as on a host short of socket memory);
 *  c. max_http_buffer_size: a polling POST body of exactly the limit is
 *     taken, one byte more is answered 413 and the session goes on (and the
 *     same boundary for a WebSocket message: over it, close code 1009);
 *  d. max_attachments: a packet announcing one attachment too many closes
 *     that session; at the limit it works;
 *  e. max_header_bytes: 1025 bytes of header lines are answered 431, a
 *     1000-byte request head is served.
 */
#include "server.h"   /* b. shrinks the server side's SO_SNDBUF */

#include "loop_client.h"

static lc_rec_t rec;

static void opts(sioc_server_options_t *o) {
  sioc_server_options_init(o);
  o->ping_interval_ms = 60000;   /* no heartbeat traffic in the way */
  o->ping_timeout_ms = 60000;
}

/* The client sends 42["ping",n]; the server must record it and answer. */
static void echo_hook(sioc_socket_t *s, const sioc_event_t *ev, void *data) {
  if (strcmp(ev->name, "ping") == 0)
    ASSERT_EQ(sioc_socket_emit(s, "pong", ev->args, ev->args_len, NULL, 0), 0);
}

static void ping_pong(lc_client_t *c, int n) {
  char msg[64], want[64];
  snprintf(msg, sizeof(msg), "42[\"ping\",%d]", n);
  snprintf(want, sizeof(want), "42[\"pong\",%d]", n);
  ASSERT_EQ(lc_ws_text(c, msg), 0);
  lc_ws_expect(c, want, 3000);
}

static sioc_server_t *start(const sioc_server_options_t *o) {
  sioc_server_t *srv = lc_server(o);
  memset(&rec, 0, sizeof(rec));
  rec.on_event = echo_hook;
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  return srv;
}

static void stop(sioc_server_t *srv) {
  lc_server_close(srv);
  lc_rec_free(&rec);
  for (lc_client_t *c = lc_g.clients; c; c = c->next) lc_close(c);
  LC_WAIT(lc_g.n_open == 0, 3000);
}

/* ---- a. max_connections ------------------------------------------------------ */

static void test_max_connections(void) {
  sioc_server_options_t o;
  opts(&o);
  o.max_connections = 5;
  sioc_server_t *srv = start(&o);
  lc_client_t *c[5];
  char id[5][32];
  for (int i = 0; i < 5; i++) {
    char name[16];
    snprintf(name, sizeof(name), "conn%d", i);
    c[i] = lc_connect(name);
    lc_sio_ws_on(c[i], NULL, id[i]);
  }
  lc_stats_expect(srv, 5, 5, 5);

  /* the sixth is accepted by the kernel and closed by the server at once,
   * without a byte */
  uint64_t t0 = lc_now();
  lc_client_t *x = lc_connect("sixth");
  lc_wait_eof(x, 2000);
  uint64_t took = lc_now() - t0;
  ASSERT_EQ(x->total_in, 0);
  ASSERT(took < 1000);
  LC_WAIT_STATS(srv, 5, 5, 5, 2000);

  /* the five keep working */
  for (int i = 0; i < 5; i++) ping_pong(c[i], i);
  for (int i = 0; i < 5; i++) ASSERT(lc_rec_reason(&rec, id[i]) == NULL);

  /* a slot that frees up can be taken again */
  lc_close(c[0]);
  LC_WAIT_STATS(srv, 4, 4, 4, 2000);
  lc_client_t *y = lc_connect("again");
  lc_sio_ws_on(y, NULL, NULL);
  ping_pong(y, 42);
  lc_stats_expect(srv, 5, 5, 5);
  stop(srv);
  printf("ok max_connections: sixth closed after %" PRIu64 " ms, others unaffected\n", took);
}

/* ---- b. max_buffered_bytes ---------------------------------------------------------- */

#define EV_SIZE 16384
#define N_EV 128   /* 2 MiB */

static void test_max_buffered(void) {
  sioc_server_options_t o;
  opts(&o);
  o.max_buffered_bytes = 64 * 1024;
  sioc_server_t *srv = start(&o);
  sioc_nsp_t *nsp = sioc_server_of(srv, "/");
  char a_id[32], b_id[32], a_sid[32];
  lc_client_t *a = lc_connect_rcvbuf("stalled", 4096);
  lc_sio_ws_on(a, a_sid, a_id);
  lc_client_t *b = lc_connect("reader");
  lc_sio_ws_on(b, NULL, b_id);
  int pinned = 0;
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &srv->conns) {
    eio__conn_t *sc = SIOC_CONTAINER_OF(it, eio__conn_t, link);
    if (sc->session && strcmp(sc->session->sid, a_sid) == 0) {
      int v = 16384;
      ASSERT_EQ(uv_send_buffer_size((uv_handle_t *)&sc->tcp, &v), 0);
      pinned++;
    }
  }
  ASSERT_EQ(pinned, 1);
  lc_pause(a);

  char *args = malloc(EV_SIZE + 32);
  int gone_at = -1;
  for (int k = 0; k < N_EV; k++) {
    int n = snprintf(args, 32, "[%d,\"", k);
    memset(args + n, 'a' + k % 26, EV_SIZE);
    memcpy(args + n + EV_SIZE, "\"]", 3);
    ASSERT_EQ(sioc_nsp_emit(nsp, NULL, "d", args, strlen(args), NULL, 0), 0);
    /* the reader gets every event, in order */
    char *m = lc_ws_recv_text(b, 5000);
    char want[64];
    int wl = snprintf(want, sizeof(want), "42[\"d\",%d,\"", k);
    if (strncmp(m, want, (size_t)wl) != 0 || strlen(m) != (size_t)wl + EV_SIZE + 2 ||
        m[wl] != 'a' + k % 26)
      FATAL("reader: event %d garbled: %.40s", k, m);
    free(m);
    if (gone_at < 0 && lc_rec_reason(&rec, a_id)) gone_at = k;
  }
  free(args);
  LC_WAIT(lc_rec_reason(&rec, a_id) != NULL, 3000);
  const char *reason = lc_rec_reason(&rec, a_id);
  if (strcmp(reason, "transport close") != 0 && strcmp(reason, "transport error") != 0)
    FATAL("stalled client: disconnect reason \"%s\"", reason);
  ASSERT(gone_at >= 0 && gone_at < N_EV / 2);   /* the reader went on long after */
  ASSERT(lc_rec_reason(&rec, b_id) == NULL);
  LC_WAIT_STATS(srv, 1, 1, 1, 2000);
  ping_pong(b, 7);

  /* the stalled client finds its connection closed once it reads again */
  lc_resume(a);
  lc_wait_eof(a, 5000);
  size_t got = a->total_in;
  stop(srv);
  printf("ok max_buffered_bytes: stalled client dropped after event %d of %d "
         "(%zu bytes reached it), reason \"%s\"; reader got all %d\n",
         gone_at, N_EV, got, reason, N_EV);
}

/* ---- c. max_http_buffer_size ---------------------------------------------------------- */

#define MAX_BODY 1000

/* 42["big","xxx..."] of exactly len bytes */
static char *event_of_len(size_t len) {
  const char *pre = "42[\"big\",\"", *post = "\"]";
  size_t pl = strlen(pre), sl = strlen(post);
  ASSERT(len > pl + sl);
  char *b = malloc(len + 1);
  memcpy(b, pre, pl);
  memset(b + pl, 'x', len - pl - sl);
  memcpy(b + len - sl, post, sl + 1);
  ASSERT_EQ(strlen(b), len);
  return b;
}

static void test_max_http_buffer(void) {
  sioc_server_options_t o;
  opts(&o);
  o.max_http_buffer_size = MAX_BODY;
  sioc_server_t *srv = start(&o);
  char sid[32], id[32], target[128];
  lc_client_t *c = lc_connect("poller");
  cJSON_Delete(lc_poll_handshake(c, NULL, sid, NULL));
  lc_poll_posts(c, sid, "40");
  char *p = lc_poll_get(c, sid, NULL);
  lc_parse_connect(p, "/", id);
  free(p);
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);

  /* exactly the limit */
  char *at = event_of_len(MAX_BODY);
  lc_poll_posts(c, sid, at);
  LC_WAIT(rec.n_events == 1, 2000);
  ASSERT_EQ(strlen(rec.ev[0].args), MAX_BODY - 8);   /* ["xxx..."] */

  /* one byte over: 413, on its own connection, which is then closed */
  char *over = event_of_len(MAX_BODY + 1);
  lc_client_t *c2 = lc_connect("over");
  lc_http_t r;
  lc_http_request(c2, "POST", target, "Content-Type: text/plain;charset=UTF-8\r\n", over,
                  MAX_BODY + 1, &r);
  ASSERT_EQ(r.status, 413);
  lc_http_free(&r);
  lc_wait_eof(c2, 2000);
  ASSERT_EQ(rec.n_events, 1);

  /* the session goes on: a POST at the limit again, and the GET */
  lc_poll_posts(c, sid, at);
  LC_WAIT(rec.n_events == 2, 2000);
  ASSERT(lc_rec_reason(&rec, id) == NULL);
  ASSERT_EQ(sioc_socket_emit(lc_rec_socket(&rec, id), "still", "[]", 2, NULL, 0), 0);
  p = lc_poll_get(c, sid, NULL);
  ASSERT_STR_EQ(p, "42[\"still\"]");
  free(p);

  /* the same boundary over WebSocket: a message of the limit is taken, one
   * byte more closes the connection with 1009 */
  char wid[32];
  lc_client_t *w = lc_connect("ws");
  lc_sio_ws_on(w, NULL, wid);
  ASSERT_EQ(lc_ws_text(w, at), 0);
  LC_WAIT(rec.n_events == 3, 2000);
  ASSERT_STR_EQ(rec.ev[2].sock, wid);
  ASSERT_EQ(lc_ws_text(w, over), 0);
  ASSERT_EQ(lc_ws_wait_close(w, 2000), 1009);
  LC_WAIT(lc_rec_reason(&rec, wid) != NULL, 2000);
  char wreason[48];
  snprintf(wreason, sizeof(wreason), "%s", lc_rec_reason(&rec, wid));
  ASSERT_EQ(rec.n_events, 3);
  ASSERT(lc_rec_reason(&rec, id) == NULL);
  free(at);
  free(over);
  stop(srv);
  printf("ok max_http_buffer_size: %d taken, %d answered 413 (ws: 1009, reason \"%s\")\n",
         MAX_BODY, MAX_BODY + 1, wreason);
}

/* ---- d. max_attachments ----------------------------------------------------------------- */

static void test_max_attachments(void) {
  sioc_server_options_t o;
  opts(&o);
  o.max_attachments = 2;
  sioc_server_t *srv = start(&o);
  char xid[32], yid[32];
  lc_client_t *x = lc_connect("x");
  lc_sio_ws_on(x, NULL, xid);
  lc_client_t *y = lc_connect("y");
  lc_sio_ws_on(y, NULL, yid);

  /* two attachments: fine */
  ASSERT_EQ(lc_ws_text(x, "452-[\"two\",{\"_placeholder\":true,\"num\":0},"
                          "{\"_placeholder\":true,\"num\":1}]"), 0);
  ASSERT_EQ(lc_ws_bin(x, "\x01", 1), 0);
  ASSERT_EQ(lc_ws_bin(x, "\x02\x03", 2), 0);
  LC_WAIT(rec.n_events == 1, 2000);
  ASSERT_STR_EQ(rec.ev[0].name, "two");
  ASSERT_EQ(rec.ev[0].n_att, 2);
  ASSERT_MEM_EQ(rec.ev[0].att[1], rec.ev[0].att_len[1], "\x02\x03", 2);

  /* three announced: that session is closed, before any attachment */
  ASSERT_EQ(lc_ws_text(x, "453-[\"three\",{\"_placeholder\":true,\"num\":0},"
                          "{\"_placeholder\":true,\"num\":1},"
                          "{\"_placeholder\":true,\"num\":2}]"), 0);
  int code = lc_ws_wait_close(x, 2000);
  LC_WAIT(lc_rec_reason(&rec, xid) != NULL, 2000);
  char reason[48];
  snprintf(reason, sizeof(reason), "%s", lc_rec_reason(&rec, xid));
  ASSERT_EQ(rec.n_events, 1);

  /* the other session is untouched */
  ping_pong(y, 3);
  ASSERT(lc_rec_reason(&rec, yid) == NULL);
  LC_WAIT_STATS(srv, 1, 1, 1, 2000);
  stop(srv);
  printf("ok max_attachments: 3 > 2 closed the session (close code %d, reason \"%s\")\n",
         code, reason);
}

/* ---- e. max_header_bytes ------------------------------------------------------------------ */

/* A request head: request line, Host, X-Pad of pad bytes, blank line. */
static char *head_with_pad(const char *target, size_t pad, size_t *header_lines) {
  char *pv = malloc(pad + 1);
  memset(pv, 'p', pad);
  pv[pad] = '\0';
  size_t cap = pad + strlen(target) + 128;
  char *h = malloc(cap);
  int rl = snprintf(h, cap, "GET %s HTTP/1.1\r\n", target);
  int n = snprintf(h + rl, cap - (size_t)rl, "Host: 127.0.0.1\r\nX-Pad: %s\r\n", pv);
  *header_lines = (size_t)n;
  snprintf(h + rl + n, cap - (size_t)(rl + n), "\r\n");
  free(pv);
  return h;
}

static void test_max_header_bytes(void) {
  sioc_server_options_t o;
  opts(&o);
  o.max_header_bytes = 1024;
  sioc_server_t *srv = start(&o);
  const char *hs = "/socket.io/?EIO=4&transport=polling";
  size_t lines;
  lc_http_t r;

  /* a live session that must not notice */
  lc_client_t *g = lc_connect("good");
  char gid[32];
  lc_sio_ws_on(g, NULL, gid);

  /* 1025 bytes of header lines ("Host: ...\r\nX-Pad: ...\r\n") */
  char *h = head_with_pad(hs, 1025 - 17 - 9, &lines);
  ASSERT_EQ(lines, 1025);
  lc_client_t *c = lc_connect("1025");
  ASSERT_EQ(lc_sends(c, h), 0);
  lc_http_wait(c, &r, 3000);
  if (r.status != 431) FATAL("1025 header bytes: %d %s", r.status, r.body);
  lc_http_free(&r);
  lc_wait_eof(c, 2000);
  free(h);

  /* the same as a WebSocket upgrade */
  h = head_with_pad("/socket.io/?EIO=4&transport=websocket", 1025 - 17 - 9, &lines);
  c = lc_connect("1025ws");
  ASSERT_EQ(lc_sends(c, h), 0);
  lc_http_wait(c, &r, 3000);
  if (r.status != 431) FATAL("1025 header bytes (upgrade): %d %s", r.status, r.body);
  lc_http_free(&r);
  lc_wait_eof(c, 2000);
  free(h);

  /* a whole head (request line, headers, blank line) of 1000 bytes: served */
  size_t rl = strlen("GET  HTTP/1.1\r\n") + strlen(hs);
  h = head_with_pad(hs, 1000 - rl - 17 - 9 - 2, &lines);
  ASSERT_EQ(strlen(h), 1000);
  c = lc_connect("1000");
  ASSERT_EQ(lc_sends(c, h), 0);
  lc_http_wait(c, &r, 3000);
  if (r.status != 200 || r.body[0] != '0') FATAL("1000-byte head: %d %s", r.status, r.body);
  lc_http_free(&r);
  free(h);
  ASSERT(!c->eof);

  ping_pong(g, 5);
  ASSERT(lc_rec_reason(&rec, gid) == NULL);
  stop(srv);
  printf("ok max_header_bytes: 1025 header bytes -> 431 (GET and upgrade), 1000-byte head "
         "-> 200\n");
}

int main(void) {
  lc_init(60000);
  test_max_connections();
  test_max_buffered();
  test_max_http_buffer();
  test_max_attachments();
  test_max_header_bytes();
  lc_end();
  printf("ok test_server_limits\n");
  return 0;
}

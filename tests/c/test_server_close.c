/* test_server_close.c - lifecycle: sioc_server_stats follows clients as
 * they leave (down to zero), sioc_server_close with WebSocket and polling
 * clients connected ("server shutting down" for every socket of every
 * namespace, pending acks completed, clients told, close callback, empty
 * loop), and closing the server from inside one of its own callbacks. */
#include "loop_client.h"

static lc_rec_t rec;

static int ack_calls, ack_err;
static void on_ack(sioc_socket_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *atts, size_t n, void *data) {
  ack_calls++;
  ack_err = err;
  ASSERT(args == NULL);
}

static int bcast_calls, bcast_err;
static void on_bcast(sioc_nsp_t *nsp, int err, const char *resp, size_t len, void *data) {
  bcast_calls++;
  bcast_err = err;
}

static void connect_nsp(lc_client_t *c, const char *nsp, char *id) {
  char pkt[64];
  snprintf(pkt, sizeof(pkt), "40%s,", nsp);
  lc_ws_text(c, pkt);
  char *m = lc_ws_recv_text(c, 2000);
  lc_parse_connect(m, nsp, id);
  free(m);
}

static void polling_client(lc_client_t **g, lc_client_t **p, char *sid, char *id) {
  *g = lc_connect("pg");
  *p = lc_connect("pp");
  cJSON_Delete(lc_poll_handshake(*g, NULL, sid, NULL));
  lc_poll_posts(*p, sid, "40");
  char *b = lc_poll_get(*g, sid, NULL);
  lc_parse_connect(b, "/", id);
  free(b);
}

static void test_stats(void) {
  sioc_server_t *srv = lc_server(NULL);
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  lc_rec_attach(&rec, sioc_server_of(srv, "/b"));
  lc_stats_expect(srv, 0, 0, 0);
  char id1[32], id1b[32], id2[32], idp[32], sid[32];
  lc_client_t *w1 = lc_sio_ws("w1", id1);
  connect_nsp(w1, "/b", id1b);
  lc_client_t *w2 = lc_sio_ws("w2", id2);
  lc_client_t *g, *p;
  polling_client(&g, &p, sid, idp);
  lc_stats_expect(srv, 4, 3, 4);

  lc_ws_text(w1, "41/b,");
  LC_WAIT_STATS(srv, 4, 3, 3, 2000);
  lc_close(w2);
  LC_WAIT_STATS(srv, 3, 2, 2, 2000);
  ASSERT_STR_EQ(lc_rec_reason(&rec, id2), "transport close");
  lc_poll_posts(p, sid, "1");
  LC_WAIT_STATS(srv, 3, 1, 1, 2000);
  ASSERT_STR_EQ(lc_rec_reason(&rec, idp), "transport close");
  unsigned char code[2] = {0x03, 0xe8};
  lc_ws_frame(w1, 1, LC_OP_CLOSE, code, 2, 0);
  lc_ws_wait_close(w1, 2000);
  LC_WAIT_STATS(srv, 2, 0, 0, 2000);
  ASSERT_STR_EQ(lc_rec_reason(&rec, id1), "transport close");
  lc_close(g);
  lc_close(p);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  /* an idle TCP connection counts as a connection only */
  lc_client_t *idle = lc_connect("idle");
  LC_WAIT_STATS(srv, 1, 0, 0, 2000);
  lc_close(idle);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  lc_server_close(srv);
  lc_rec_free(&rec);
  printf("ok stats\n");
}

static void test_graceful_close(void) {
  sioc_server_t *srv = lc_server(NULL);
  sioc_nsp_t *root = sioc_server_of(srv, "/");
  lc_rec_attach(&rec, root);
  lc_rec_attach(&rec, sioc_server_of(srv, "/b"));
  int port = lc_g.port;
  char id3[32], id3b[32], id4[32], idp2[32], idp3[32], sid2[32], sid3[32];
  lc_client_t *w3 = lc_sio_ws("w3", id3);
  connect_nsp(w3, "/b", id3b);
  lc_client_t *w4 = lc_sio_ws("w4", id4);
  lc_client_t *g2, *p2, *g3, *p3;
  polling_client(&g2, &p2, sid2, idp2);
  polling_client(&g3, &p3, sid3, idp3);
  lc_poll_get_send(g2, sid2);   /* parked */
  lc_client_t *idle = lc_connect("idle");
  lc_client_t *half = lc_connect("half");
  lc_sends(half, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost:");
  lc_sleep(20);
  lc_stats_expect(srv, 8, 4, 5);

  /* pending acks: one socket ack without timeout, one broadcast ack */
  sioc_socket_t *s4 = lc_rec_socket(&rec, id4);
  ASSERT_EQ(sioc_socket_emit_with_ack(s4, "q", "[]", 2, NULL, 0, 0, on_ack, NULL), 0);
  const char *r[] = {id3};
  sioc_target_t t = {r, 1, NULL, 0, 0};
  ASSERT_EQ(sioc_nsp_emit_with_ack(root, &t, "bq", "[]", 2, NULL, 0, 10000, on_bcast, NULL), 0);
  free(lc_ws_recv_text(w4, 2000));
  free(lc_ws_recv_text(w3, 2000));

  int done = 0;
  ASSERT_EQ(rec.n_disc, 0);
  ASSERT_EQ(sioc_server_close(srv, lc__on_server_closed, &done), 0);
  ASSERT_EQ(sioc_server_close(srv, NULL, NULL), SIOC_EBUSY);
  /* every socket of every namespace, right away */
  ASSERT_EQ(rec.n_disc, 5);
  for (int i = 0; i < rec.n_disc; i++) {
    if (strcmp(rec.disc_reason[i], "server shutting down") != 0)
      FATAL("socket %s of %s: reason %s", rec.disc_id[i], rec.disc_nsp[i], rec.disc_reason[i]);
    ASSERT_EQ(rec.disc_connected[i], 0);
  }
  ASSERT(lc_rec_reason(&rec, id3b) && lc_rec_reason(&rec, idp3));
  ASSERT_EQ(ack_calls, 1);
  ASSERT_EQ(ack_err, SIOC_ECLOSED);
  ASSERT_EQ(bcast_calls, 1);
  LC_WAIT(done == 1, 3000);

  /* clients are told: WebSocket close frames, the parked GET gets "1" */
  int c3 = lc_ws_wait_close(w3, 2000), c4 = lc_ws_wait_close(w4, 2000);
  printf("   close codes seen by WebSocket clients: %d %d\n", c3, c4);
  ASSERT(c3 != -1 && c4 != -1);
  lc_http_t resp;
  lc_http_wait(g2, &resp, 2000);
  ASSERT_EQ(resp.status, 200);
  ASSERT_STR_EQ(resp.body, "1");
  lc_http_free(&resp);
  lc_wait_eof(g2, 2000);
  lc_wait_eof(p2, 2000);
  lc_wait_eof(g3, 2000);
  lc_wait_eof(idle, 2000);
  lc_wait_eof(half, 2000);
  /* sockets the host still references fail cleanly */
  ASSERT(!sioc_socket_connected(s4));
  ASSERT_EQ(sioc_socket_emit(s4, "x", "[]", 2, NULL, 0), SIOC_ECLOSED);
  ASSERT_EQ(sioc_socket_join(s4, "r"), SIOC_ECLOSED);
  ASSERT_EQ(sioc_socket_disconnect(s4, 1), SIOC_ECLOSED);
  /* nobody listens any more */
  lc_client_t *late = calloc(1, sizeof(*late));
  ASSERT_EQ(uv_tcp_init(lc_loop(), &late->tcp), 0);
  late->tcp.data = late;
  late->creq.data = late;
  late->next = lc_g.clients;
  lc_g.clients = late;
  lc_g.n_open++;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", port, &a);
  ASSERT_EQ(uv_tcp_connect(&late->creq, &late->tcp, (struct sockaddr *)&a, lc__on_connect), 0);
  LC_WAIT(late->connected != 0, 2000);
  ASSERT_EQ(late->connected, UV_ECONNREFUSED);
  lc_rec_free(&rec);
  printf("ok graceful close\n");
}

/* closing the server from its own callbacks */
static int closed_from_cb;
static sioc_server_t *cb_srv;
static void close_on_event(sioc_socket_t *s, const sioc_event_t *ev, void *data) {
  if (strcmp(ev->name, "shutdown") == 0) {
    ASSERT_EQ(sioc_server_close(cb_srv, lc__on_server_closed, &closed_from_cb), 0);
    /* the calling socket is disconnected now, its memory still valid */
    ASSERT(!sioc_socket_connected(s));
    ASSERT_EQ(sioc_socket_emit(s, "x", "[]", 2, NULL, 0), SIOC_ECLOSED);
  }
}

static void close_on_disconnect(sioc_socket_t *s, const char *reason, void *data) {
  lc__rec_disc(s, reason, &rec);
}

static void test_close_from_callback(void) {
  cb_srv = lc_server(NULL);
  sioc_nsp_t *root = sioc_server_of(cb_srv, "/");
  rec.on_event = close_on_event;
  lc_rec_attach(&rec, root);
  sioc_nsp_on_disconnect(root, close_on_disconnect, NULL);
  char a[32], b[32];
  lc_client_t *c1 = lc_sio_ws("cb1", a);
  lc_client_t *c2 = lc_sio_ws("cb2", b);
  /* two packets in one read: the second must not be processed after close */
  const char *two = "42[\"shutdown\"]";
  lc_ws_text(c1, two);
  lc_ws_text(c1, "42[\"after\"]");
  LC_WAIT(closed_from_cb == 1, 3000);
  ASSERT_EQ(rec.n_disc, 2);
  ASSERT(rec.n_events >= 1 && rec.n_events <= 2);
  lc_ws_wait_close(c1, 2000);
  lc_ws_wait_close(c2, 2000);
  rec.on_event = NULL;
  lc_rec_free(&rec);
  printf("ok close from a callback\n");
}

/* disconnect(close=1) of a connection with two namespaces, the server closed
 * from the first socket's disconnect callback (socket.io's test suite does
 * this: its done() closes the server): the second socket and the connection
 * are gone with the server, and nothing touches them afterwards. */
static int closed_from_disc, n_disc2;
static void close_on_first_disconnect(sioc_socket_t *s, const char *reason, void *data) {
  if (n_disc2++ == 0)
    ASSERT_EQ(sioc_server_close(cb_srv, lc__on_server_closed, &closed_from_disc), 0);
}

static void test_close_from_disconnect(void) {
  cb_srv = lc_server(NULL);
  sioc_nsp_t *root = sioc_server_of(cb_srv, "/");
  sioc_nsp_t *chat = sioc_server_of(cb_srv, "/chat");
  sioc_nsp_on_disconnect(root, close_on_first_disconnect, NULL);
  lc_rec_t r2 = {0};
  lc_rec_attach(&r2, chat);
  sioc_nsp_on_disconnect(chat, close_on_first_disconnect, NULL);
  char a[32], b[32];
  lc_client_t *c = lc_sio_ws("disc-close", a);
  connect_nsp(c, "/chat", b);
  sioc_socket_t *s = lc_rec_socket(&r2, b);
  ASSERT(s != NULL);
  ASSERT_EQ(sioc_socket_disconnect(s, 1), 0);
  ASSERT(!sioc_socket_connected(s));
  LC_WAIT(closed_from_disc == 1, 3000);
  ASSERT_EQ(n_disc2, 2);   /* both namespaces left, once each */
  lc_ws_wait_close(c, 2000);
  lc_rec_free(&r2);
  printf("ok close from a disconnect callback during disconnect(close)\n");
}

/* The dynamic-namespace callback closes the server (socket.io's tests close
 * it from a "new_namespace" listener, which runs inside that callback), then
 * answers with a namespace or with NULL: the connection is gone, nothing
 * answers the CONNECT. */
static int closed_from_resolve, resolve_returns_nsp;
static sioc_nsp_t *close_in_resolve(sioc_server_t *server, const char *name, void *data) {
  ASSERT_EQ(sioc_server_close(server, lc__on_server_closed, &closed_from_resolve), 0);
  return resolve_returns_nsp ? sioc_server_of(server, name) : NULL;
}

static void test_close_from_resolve(void) {
  for (resolve_returns_nsp = 0; resolve_returns_nsp < 2; resolve_returns_nsp++) {
    closed_from_resolve = 0;
    cb_srv = lc_server(NULL);
    sioc_server_of(cb_srv, "/");
    sioc_server_on_new_nsp(cb_srv, close_in_resolve, NULL);
    char a[32];
    lc_client_t *c = lc_sio_ws("resolve-close", a);
    lc_ws_text(c, "40/dyn-1,");
    LC_WAIT(closed_from_resolve == 1, 3000);
    lc_ws_wait_close(c, 2000);
  }
  printf("ok close from the dynamic-namespace callback\n");
}

/* The connection of a client with two namespaces drops; the first socket's
 * disconnect callback closes the server, which takes the second socket
 * along while the connection's own teardown is still walking its sockets. */
static int closed_from_drop;
static void close_on_drop(sioc_socket_t *s, const char *reason, void *data) {
  (*(int *)data)++;
  if (*(int *)data == 1)
    ASSERT_EQ(sioc_server_close(cb_srv, lc__on_server_closed, &closed_from_drop), 0);
}

static void test_close_from_transport_close(void) {
  int n = 0;
  cb_srv = lc_server(NULL);
  sioc_nsp_on_disconnect(sioc_server_of(cb_srv, "/"), close_on_drop, &n);
  sioc_nsp_on_disconnect(sioc_server_of(cb_srv, "/chat"), close_on_drop, &n);
  char a[32], b[32];
  lc_client_t *c = lc_sio_ws("drop-close", a);
  connect_nsp(c, "/chat", b);
  lc_close(c);
  LC_WAIT(closed_from_drop == 1, 3000);
  ASSERT_EQ(n, 2);   /* each socket left exactly once */
  printf("ok close from a disconnect callback during a transport close\n");
}

int main(void) {
  lc_init(20000);
  test_stats();
  test_graceful_close();
  test_close_from_callback();
  test_close_from_disconnect();
  test_close_from_resolve();
  test_close_from_transport_close();
  lc_end();
  printf("ok test_server_close\n");
  return 0;
}

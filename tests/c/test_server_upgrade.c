/* test_server_upgrade.c - the polling -> WebSocket upgrade on loopback:
 * probe, release of the parked GET, packets queued during the probe, the
 * switch, polling refused afterwards, a second upgrade, a bad probe, and
 * the upgrade timeout. */
#include "loop_client.h"

static lc_rec_t rec;

/* sioc_nsp_on_upgrade: which sockets heard it, and on which transport */
static int n_upgraded;
static sioc_socket_t *upgraded;
static char upgraded_transport[16];
static void on_upgrade(sioc_socket_t *s, void *data) {
  ASSERT(data == &n_upgraded);
  n_upgraded++;
  upgraded = s;
  snprintf(upgraded_transport, sizeof(upgraded_transport), "%s", sioc_socket_transport(s));
}

/* Polling session with a Socket.IO socket on "/": returns the eio sid. */
static void polling_session(lc_client_t *g, lc_client_t *p, char *sid, char *id) {
  cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
  lc_poll_posts(p, sid, "40");
  char *b = lc_poll_get(g, sid, NULL);
  lc_parse_connect(b, "/", id);
  free(b);
}

static void test_upgrade(sioc_server_t *srv) {
  lc_client_t *g = lc_connect("get"), *p = lc_connect("post");
  char sid[32], id[32], target[256];
  polling_session(g, p, sid, id);
  sioc_socket_t *s = lc_rec_socket(&rec, id);
  ASSERT_STR_EQ(sioc_socket_transport(s), "polling");

  /* park a GET */
  lc_poll_get_send(g, sid);
  lc_sleep(50);
  ASSERT_EQ(g->in_len, 0);

  /* WebSocket with the sid: no open packet */
  lc_client_t *w = lc_connect("ws");
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=websocket&sid=%s", sid);
  ASSERT_EQ(lc_ws_handshake(w, target, NULL, NULL), 101);
  lc_sleep(30);
  ASSERT_EQ(w->in_len, 0);
  lc_stats_expect(srv, 3, 1, 1);

  /* probe */
  lc_ws_text(w, "2probe");
  lc_ws_expect(w, "3probe", 2000);
  /* the parked GET is released with a noop */
  lc_http_t r;
  lc_http_wait(g, &r, 2000);
  ASSERT_EQ(r.status, 200);
  ASSERT_STR_EQ(r.body, "6");
  lc_http_free(&r);
  ASSERT_STR_EQ(sioc_socket_transport(s), "polling");
  ASSERT_EQ(n_upgraded, 0);   /* probing is not upgrading yet */

  /* emitted while probing: waits for the switch */
  ASSERT_EQ(sioc_socket_emit(s, "during", "[1]", 3, NULL, 0), 0);
  lc_sleep(30);
  ASSERT_EQ(w->in_len, 0);

  /* upgrade */
  lc_ws_text(w, "5");
  lc_ws_expect(w, "42[\"during\",1]", 2000);
  ASSERT_STR_EQ(sioc_socket_transport(s), "websocket");
  /* the namespace heard it once, for this socket, after the switch */
  ASSERT_EQ(n_upgraded, 1);
  ASSERT(upgraded == s);
  ASSERT_STR_EQ(upgraded_transport, "websocket");

  /* packets flow over the WebSocket both ways */
  ASSERT_EQ(sioc_socket_emit(s, "after", "[]", 2, NULL, 0), 0);
  lc_ws_expect(w, "42[\"after\"]", 2000);
  int nev = rec.n_events;
  lc_ws_text(w, "42[\"up\",\"ws\"]");
  LC_WAIT(rec.n_events == nev + 1, 2000);
  ASSERT_STR_EQ(rec.ev[nev].name, "up");
  ASSERT_STR_EQ(rec.ev[nev].args, "[\"ws\"]");
  ASSERT_STR_EQ(rec.ev[nev].sock, id);

  /* polling with that sid is now a bad request */
  lc_http_request(g, "GET", target + 0, NULL, NULL, 0, &r);   /* transport=websocket, no upgrade */
  lc_expect_eio_error(&r, 400, 3, "Bad request");
  lc_http_free(&r);
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
  lc_client_t *g2 = lc_connect("get2");
  lc_http_request(g2, "GET", target, NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 3, "Bad request");
  lc_http_free(&r);
  lc_http_request(g2, "POST", target, NULL, "42[\"x\"]", 7, &r);
  lc_expect_eio_error(&r, 400, 3, "Bad request");
  lc_http_free(&r);
  ASSERT_EQ(rec.n_events, nev + 1);

  /* a second upgrade attempt is closed; the session is unaffected */
  lc_client_t *w2 = lc_connect("ws2");
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=websocket&sid=%s", sid);
  ASSERT_EQ(lc_ws_handshake(w2, target, NULL, NULL), 101);
  lc_ws_wait_close(w2, 2000);
  ASSERT_EQ(sioc_socket_emit(s, "still", "[]", 2, NULL, 0), 0);
  lc_ws_expect(w, "42[\"still\"]", 2000);
  ASSERT_EQ(rec.n_disc, 0);

  lc_close(w);
  LC_WAIT(rec.n_disc == 1, 2000);
  ASSERT_STR_EQ(rec.disc_reason[0], "transport close");
  lc_close(g);
  lc_close(g2);
  lc_close(p);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  printf("ok upgrade\n");
}

static void test_bad_probe(sioc_server_t *srv) {
  lc_client_t *g = lc_connect("get"), *p = lc_connect("post");
  char sid[32], id[32], target[256];
  polling_session(g, p, sid, id);
  sioc_socket_t *s = lc_rec_socket(&rec, id);
  int ndisc = rec.n_disc;

  /* a probe that does not say "2probe": the WebSocket is dropped */
  lc_client_t *w = lc_connect("ws-bad");
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=websocket&sid=%s", sid);
  ASSERT_EQ(lc_ws_handshake(w, target, NULL, NULL), 101);
  lc_ws_text(w, "42[\"sneaky\"]");
  lc_ws_wait_close(w, 2000);
  /* the polling session works on */
  ASSERT_EQ(sioc_socket_emit(s, "poll", "[]", 2, NULL, 0), 0);
  char *b = lc_poll_get(g, sid, NULL);
  ASSERT_STR_EQ(b, "42[\"poll\"]");
  free(b);
  ASSERT_STR_EQ(sioc_socket_transport(s), "polling");

  /* upgrade timeout (300 ms): probe answered, "5" never sent */
  w = lc_connect("ws-slow");
  ASSERT_EQ(lc_ws_handshake(w, target, NULL, NULL), 101);
  uint64_t t0 = lc_now();
  lc_ws_text(w, "2probe");
  lc_ws_expect(w, "3probe", 2000);
  /* a GET parked while probing gets noops */
  lc_poll_get_send(g, sid);
  lc_http_t r;
  lc_http_wait(g, &r, 1000);
  ASSERT_STR_EQ(r.body, "6");
  lc_http_free(&r);
  lc_ws_wait_close(w, 2000);
  uint64_t took = lc_now() - t0;
  if (took < 250 || took > 1500) FATAL("upgrade timeout after %llu ms", (unsigned long long)took);
  ASSERT_EQ(rec.n_disc, ndisc);
  ASSERT_EQ(sioc_socket_emit(s, "poll2", "[]", 2, NULL, 0), 0);
  b = lc_poll_get(g, sid, NULL);
  ASSERT_STR_EQ(b, "42[\"poll2\"]");
  free(b);
  ASSERT_STR_EQ(sioc_socket_transport(s), "polling");
  lc_stats_expect(srv, 2, 1, 1);

  /* and a later upgrade still succeeds */
  w = lc_connect("ws-ok");
  ASSERT_EQ(lc_ws_handshake(w, target, NULL, NULL), 101);
  lc_ws_text(w, "2probe");
  lc_ws_expect(w, "3probe", 2000);
  lc_ws_text(w, "5");
  lc_sleep(20);
  ASSERT_STR_EQ(sioc_socket_transport(s), "websocket");
  ASSERT_EQ(sioc_socket_emit(s, "ws", "[]", 2, NULL, 0), 0);
  lc_ws_expect(w, "42[\"ws\"]", 2000);
  lc_close(w);
  lc_close(g);
  lc_close(p);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  printf("ok bad probe / upgrade timeout\n");
}

int main(void) {
  lc_init(20000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.upgrade_timeout_ms = 300;
  sioc_server_t *srv = lc_server(&o);
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  sioc_nsp_on_upgrade(sioc_server_of(srv, "/"), on_upgrade, &n_upgraded);
  test_upgrade(srv);
  test_bad_probe(srv);
  lc_server_close(srv);
  lc_rec_free(&rec);
  lc_end();
  printf("ok test_server_upgrade\n");
  return 0;
}

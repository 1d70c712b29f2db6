/* test_client_basic.c - the C client against sioc's own server, in process,
 * over each transport mode (polling only, WebSocket only, polling upgraded
 * to WebSocket): connect with auth, events both ways, acks both ways,
 * binary both ways, namespaces over one connection, middleware connect
 * errors with data, ack timeouts, volatile emits, client and server
 * disconnects, and the classic event order of a first connect. */
#include "client_harness.h"

static void wait_transport(sioc_manager_t *m, const char *want) {
  LC_WAIT(sioc_manager_transport(m) && !strcmp(sioc_manager_transport(m), want), 5000);
}

static void run_mode(const char *name, int transports, int upgrade) {
  printf("mode %s\n", name);
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", hs_port);
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.transports = transports;
  o.upgrade = upgrade;
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, &o, &s), 0);
  sioc_manager_t *m = sioc_client_manager(s);
  static hc_rec_t rs, rm, rc, rp, rp2;
  memset(&rs, 0, sizeof(rs));
  memset(&rm, 0, sizeof(rm));
  memset(&rc, 0, sizeof(rc));
  memset(&rp, 0, sizeof(rp));
  memset(&rp2, 0, sizeof(rp2));
  sioc_client_on(s, hc_on_socket, &rs);
  sioc_manager_on(m, hc_on_manager, &rm);
  ASSERT_EQ(sioc_client_set_auth(s, "{\"token\":\"abc\"}", 15), 0);
  ASSERT_EQ(sioc_client_set_auth(s, "[1]", 3), SIOC_EJSON);
  ASSERT_EQ(sioc_client_set_auth(s, "{\"token\":\"abc\"}", 15), 0);

  /* an emit before connecting is buffered */
  ASSERT_EQ(sioc_client_emit(s, "message", "[\"early\"]", 9, NULL, 0, 0), 0);
  /* a volatile one is dropped */
  ASSERT_EQ(sioc_client_emit(s, "message", "[\"volatile\"]", 12, NULL, 0, SIOC_EMIT_VOLATILE), 0);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_connect == 1, 5000);
  ASSERT(sioc_client_id(s) != NULL);
  ASSERT(sioc_client_connected(s));
  LC_WAIT(strstr(rs.log, "ev:message-back") != NULL, 3000);
  ASSERT_STR_EQ(rs.last_args, "[\"early\"]");
  LC_WAIT(strstr(rs.log, "ev:auth") != NULL, 3000);
  ASSERT(strncmp(rs.log, "connecting,connect", 18) == 0);
  ASSERT_STR_EQ(rm.log, "open");

  if (transports == SIOC_TRANSPORT_WEBSOCKET || upgrade) wait_transport(m, "websocket");
  else ASSERT_STR_EQ(sioc_manager_transport(m), "polling");

  /* events: the server echoes back */
  ASSERT_EQ(sioc_client_emit(s, "message", "[1,\"two\",{\"three\":[3]}]", 23, NULL, 0, 0), 0);
  int before = rs.n_events;
  LC_WAIT(rs.n_events > before, 3000);
  ASSERT_STR_EQ(rs.last_event, "message-back");
  ASSERT_STR_EQ(rs.last_args, "[1,\"two\",{\"three\":[3]}]");

  /* binary both ways */
  uint8_t bin[200];
  for (int i = 0; i < 200; i++) bin[i] = (uint8_t)(i * 7);
  sioc_bin_t b = {bin, sizeof(bin)};
  before = rs.n_events;
  ASSERT_EQ(sioc_client_emit(s, "message", "[{\"_placeholder\":true,\"num\":0},\"x\"]", 35, &b, 1, 0), 0);
  LC_WAIT(rs.n_events > before, 3000);
  ASSERT_EQ(rs.last_n_atts, 1);
  ASSERT_MEM_EQ(rs.last_att, rs.last_att_len, bin, sizeof(bin));

  /* acks: client asks */
  hc_ack_t a = {0};
  ASSERT_EQ(sioc_client_emit_with_ack(s, "echo", "[\"hi\",2]", 8, NULL, 0, 0, 2000, hc_on_ack, &a), 0);
  LC_WAIT(a.done, 3000);
  ASSERT_EQ(a.err, 0);
  ASSERT_STR_EQ(a.args, "[\"hi\",2]");
  /* with binary */
  memset(&a, 0, sizeof(a));
  ASSERT_EQ(sioc_client_emit_with_ack(s, "echo", "[{\"_placeholder\":true,\"num\":0}]", 31, &b, 1, 0, 0, hc_on_ack, &a), 0);
  LC_WAIT(a.done, 3000);
  ASSERT_EQ(a.n_atts, 1);
  ASSERT_MEM_EQ(a.att, a.att_len, bin, sizeof(bin));
  /* a timeout: the server does not answer "message" with an ack */
  memset(&a, 0, sizeof(a));
  ASSERT_EQ(sioc_client_emit_with_ack(s, "nothing", NULL, 0, NULL, 0, 0, 100, hc_on_ack, &a), 0);
  LC_WAIT(a.done, 3000);
  ASSERT_EQ(a.err, SIOC_ETIMEDOUT);
  lc_sleep(50);
  ASSERT_EQ(a.done, 1);

  /* acks: server asks, the recorder answers with the same args */
  before = rs.n_events;
  ASSERT_EQ(sioc_client_emit(s, "request-ack", "[\"q\",5]", 7, NULL, 0, 0), 0);
  LC_WAIT(strstr(rs.log, "ev:ack-response") != NULL, 3000);
  ASSERT_STR_EQ(rs.last_args, "[[\"q\",5]]");

  /* namespaces on the same connection */
  sioc_client_t *c = sioc_manager_socket(m, "/custom");
  sioc_client_on(c, hc_on_socket, &rc);
  ASSERT_EQ(sioc_client_connect(c), 0);
  LC_WAIT(rc.n_connect == 1 && strstr(rc.log, "ev:auth"), 3000);
  ASSERT_STR_EQ(rc.last_args, "[{}]");
  ASSERT(strcmp(sioc_client_id(c), sioc_client_id(s)) != 0);

  /* middleware: rejected with data, then accepted */
  sioc_client_t *p = sioc_manager_socket(m, "/private");
  sioc_client_on(p, hc_on_socket, &rp);
  ASSERT_EQ(sioc_client_set_auth(p, "{\"token\":\"wrong\"}", 17), 0);
  ASSERT_EQ(sioc_client_connect(p), 0);
  LC_WAIT(rp.n_connect_error == 1, 3000);
  ASSERT_STR_EQ(rp.last_error, "unauthorized");
  ASSERT_STR_EQ(rp.last_data, "{\"reason\":\"bad token\"}");
  ASSERT(!sioc_client_active(p));
  ASSERT_EQ(sioc_client_set_auth(p, "{\"token\":\"secret\"}", 18), 0);
  ASSERT_EQ(sioc_client_connect(p), 0);
  LC_WAIT(rp.n_connect == 1, 3000);

  /* server-side disconnect of one namespace: the others stay */
  ASSERT_EQ(sioc_client_emit(c, "server-disconnect", NULL, 0, NULL, 0, 0), 0);
  LC_WAIT(rc.n_disconnect == 1, 3000);
  ASSERT_STR_EQ(rc.last_reason, "io server disconnect");
  ASSERT(!sioc_client_active(c));
  /* client-side disconnect of another */
  ASSERT_EQ(sioc_client_disconnect(p), 0);
  ASSERT_EQ(rp.n_disconnect, 1);
  ASSERT_STR_EQ(rp.last_reason, "io client disconnect");
  /* "/" still works */
  memset(&a, 0, sizeof(a));
  ASSERT_EQ(sioc_client_emit_with_ack(s, "echo", "[3]", 3, NULL, 0, 0, 2000, hc_on_ack, &a), 0);
  LC_WAIT(a.done, 3000);
  ASSERT_STR_EQ(a.args, "[3]");

  /* a pending ack fails with SIOC_ECLOSED at close */
  memset(&a, 0, sizeof(a));
  ASSERT_EQ(sioc_client_emit_with_ack(s, "nothing", NULL, 0, NULL, 0, 0, 0, hc_on_ack, &a), 0);
  hc_close(m);
  ASSERT_EQ(a.done, 1);
  ASSERT_EQ(a.err, SIOC_ECLOSED);
  ASSERT_EQ(rs.n_disconnect, 1);
  ASSERT_STR_EQ(rs.last_reason, "io client disconnect");
  ASSERT_EQ(rs.n_reconnect, 0);
  sioc_server_stats_t st;
  LC_WAIT((sioc_server_stats(hs_srv, &st), st.sockets == 0 && st.sessions == 0), 3000);
}

/* auth as a callback: evaluated per attempt, may answer later */
static int auth_calls;
static uv_timer_t auth_timer;
static sioc_client_t *auth_sock;
static void auth_later(uv_timer_t *t) {
  ASSERT_EQ(sioc_client_auth_reply(auth_sock, "{\"token\":\"secret\"}", 18), 0);
  ASSERT_EQ(sioc_client_auth_reply(auth_sock, "{}", 2), SIOC_EBUSY);
}
static void auth_cb(sioc_client_t *s, void *ud) {
  auth_calls++;
  auth_sock = s;
  uv_timer_start(&auth_timer, auth_later, 20, 0);
}

static void test_auth_cb(void) {
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/private", hs_port);
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, NULL, &s), 0);
  ASSERT_STR_EQ(sioc_client_nsp(s), "/private");
  static hc_rec_t r;
  sioc_client_on(s, hc_on_socket, &r);
  sioc_client_set_auth_cb(s, auth_cb, NULL);
  uv_timer_init(lc_loop(), &auth_timer);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(r.n_connect == 1 && strstr(r.log, "ev:auth"), 5000);
  ASSERT_EQ(auth_calls, 1);
  ASSERT_STR_EQ(r.last_args, "[{\"token\":\"secret\"}]");
  hc_close(sioc_client_manager(s));
  uv_close((uv_handle_t *)&auth_timer, NULL);
}

static void test_bad_args(void) {
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), "ftp://x", NULL, &s), SIOC_EINVAL);
  ASSERT_EQ(sioc_client_new(lc_loop(), "http://", NULL, &s), SIOC_EINVAL);
  ASSERT_EQ(sioc_client_new(lc_loop(), "http://h:99999", NULL, &s), SIOC_EINVAL);
  ASSERT_EQ(sioc_client_new(lc_loop(), "http://[::1]:3000/a?b=c", NULL, &s), 0);
  ASSERT_STR_EQ(sioc_client_nsp(s), "/a");
  ASSERT_EQ(sioc_client_emit(s, "x", "{}", 2, NULL, 0, 0), SIOC_EJSON);
  ASSERT_EQ(sioc_client_emit(s, "x", "[1", 2, NULL, 0, 0), SIOC_EJSON);
  ASSERT_EQ(sioc_client_ack(s, 1, "[]", 2, NULL, 0), SIOC_ECLOSED);
  sioc_manager_t *m = sioc_client_manager(s);
  ASSERT_EQ(sioc_manager_socket(m, "nope"), NULL);
  ASSERT_EQ(sioc_manager_close(m, NULL, NULL), 0);
  ASSERT_EQ(sioc_manager_close(m, NULL, NULL), SIOC_EBUSY);
  lc_sleep(20);
  ASSERT_STR_EQ(sioc_client_event_name(SIOC_CLIENT_RECONNECT_ATTEMPT, 1), "reconnecting");
  ASSERT_STR_EQ(sioc_client_event_name(SIOC_CLIENT_RECONNECT_ATTEMPT, 2), "reconnect_attempt");
  ASSERT_STR_EQ(sioc_client_event_name(SIOC_CLIENT_CONNECT_ERROR, 1), "connect_failed");
  ASSERT(sioc_client_event_name(SIOC_CLIENT_EVENT, 0) == NULL);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);   /* a peer may close first */
  lc_init(60000);
  hs_start(0, 0, 0);
  test_bad_args();
  run_mode("websocket only", SIOC_TRANSPORT_WEBSOCKET, 0);
  run_mode("polling only", SIOC_TRANSPORT_POLLING, 0);
  run_mode("polling + upgrade", SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET, 1);
  test_auth_cb();
  hs_stop();
  lc_end();
  printf("ok\n");
  return 0;
}

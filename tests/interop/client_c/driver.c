/* driver.c - the sioc C client driven against a server that follows
 * tests/interop/ECHO-SERVER.md (the official socket.io server, the
 * python-socketio one, or sioc's).  Built by CMake as sioc-client-driver;
 * tests/interop/client_c/test_client_c.py runs it.
 *
 *   sioc-client-driver URL polling|websocket|upgrade [scenario]
 *
 * Scenarios: "basic" (default): auth, events, acks both ways, binary both
 * ways, namespaces, middleware connect error with data, server disconnect;
 * "reconnect": prints "READY" once connected, waits for the server to go
 * away and come back (the test restarts it on the same port), checks the
 * classic event order and that an emit made while offline arrives.
 * Prints one "ok <step>" line per step; exits 1 with the reason on failure. */
#include "client_harness.h"

#define J(lit) lit, strlen(lit)

static const char *url;
static int transports, upgrade;

static void step(const char *s) { printf("ok %s\n", s); }

static sioc_client_t *open_client(const char *path, hc_rec_t *rs, hc_rec_t *rm) {
  char u[512];
  snprintf(u, sizeof(u), "%s%s", url, path);
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.transports = transports;
  o.upgrade = upgrade;
  o.reconnection_delay_ms = 200;
  o.reconnection_delay_max_ms = 500;
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), u, &o, &s), 0);
  sioc_client_on(s, hc_on_socket, rs);
  if (rm) sioc_manager_on(sioc_client_manager(s), hc_on_manager, rm);
  return s;
}

static void check_transport(sioc_manager_t *m) {
  const char *want = transports == SIOC_TRANSPORT_POLLING ? "polling" : "websocket";
  LC_WAIT(sioc_manager_transport(m) && !strcmp(sioc_manager_transport(m), want), 5000);
}

static void basic(void) {
  static hc_rec_t rs, rm, rc, rp;
  sioc_client_t *s = open_client("", &rs, &rm);
  sioc_manager_t *m = sioc_client_manager(s);
  ASSERT_EQ(sioc_client_set_auth(s, "{\"token\":\"abc\"}", 15), 0);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_connect == 1 && strstr(rs.log, "ev:auth"), 10000);
  ASSERT_STR_EQ(rs.last_args, "[{\"token\":\"abc\"}]");
  /* python-socketio sends its connect handler's emits before the CONNECT
   * reply; socket.io-client (and sioc) deliver them right before "connect" */
  ASSERT(!strncmp(rs.log, "connecting,connect,ev:auth", 26) ||
         !strncmp(rs.log, "connecting,ev:auth,connect", 26));
  step("connect+auth");
  check_transport(m);
  step(sioc_manager_transport(m));

  int n = rs.n_events;
  ASSERT_EQ(sioc_client_emit(s, "message", J("[1,\"two\",{\"three\":[true,null]}]"), NULL, 0, 0), 0);
  LC_WAIT(rs.n_events > n, 5000);
  ASSERT_STR_EQ(rs.last_event, "message-back");
  ASSERT_STR_EQ(rs.last_args, "[1,\"two\",{\"three\":[true,null]}]");
  step("event");

  hc_ack_t a = {0};
  ASSERT_EQ(sioc_client_emit_with_ack(s, "message-with-ack", J("[\"hi\",{\"n\":2}]"), NULL, 0, 0, 5000, hc_on_ack, &a), 0);
  LC_WAIT(a.done, 5000);
  ASSERT_EQ(a.err, 0);
  ASSERT_STR_EQ(a.args, "[\"hi\",{\"n\":2}]");
  step("ack");

  uint8_t bin[300];
  for (int i = 0; i < 300; i++) bin[i] = (uint8_t)(i * 13 + 1);
  sioc_bin_t b = {bin, sizeof(bin)};
  memset(&a, 0, sizeof(a));
  ASSERT_EQ(sioc_client_emit_with_ack(s, "message-with-ack", J("[{\"_placeholder\":true,\"num\":0}]"), &b, 1, 0, 5000, hc_on_ack, &a), 0);
  LC_WAIT(a.done, 5000);
  ASSERT_EQ(a.n_atts, 1);
  ASSERT_MEM_EQ(a.att, 256, bin, 256);
  ASSERT_EQ(a.att_len, sizeof(bin));
  n = rs.n_events;
  ASSERT_EQ(sioc_client_emit(s, "message", J("[\"x\",{\"_placeholder\":true,\"num\":0}]"), &b, 1, 0), 0);
  LC_WAIT(rs.n_events > n, 5000);
  ASSERT_EQ(rs.last_n_atts, 1);
  ASSERT_EQ(rs.last_att_len, sizeof(bin));
  step("binary");

  ASSERT_EQ(sioc_client_emit(s, "request-ack", J("[\"q\",7]"), NULL, 0, 0), 0);
  LC_WAIT(strstr(rs.log, "ev:ack-response") != NULL, 5000);
  ASSERT_STR_EQ(rs.last_args, "[[\"q\",7]]");
  step("server-ack");

  sioc_client_t *c = sioc_manager_socket(m, "/custom");
  sioc_client_on(c, hc_on_socket, &rc);
  ASSERT_EQ(sioc_client_connect(c), 0);
  LC_WAIT(rc.n_connect == 1 && strstr(rc.log, "ev:auth"), 5000);
  step("namespace");

  sioc_client_t *p = sioc_manager_socket(m, "/private");
  sioc_client_on(p, hc_on_socket, &rp);
  ASSERT_EQ(sioc_client_set_auth(p, "{\"token\":\"nope\"}", 16), 0);
  ASSERT_EQ(sioc_client_connect(p), 0);
  LC_WAIT(rp.n_connect_error == 1, 5000);
  ASSERT_STR_EQ(rp.last_error, "unauthorized");
  ASSERT_STR_EQ(rp.last_data, "{\"reason\":\"bad token\"}");
  ASSERT_EQ(sioc_client_set_auth(p, "{\"token\":\"secret\"}", 18), 0);
  ASSERT_EQ(sioc_client_connect(p), 0);
  LC_WAIT(rp.n_connect == 1, 5000);
  step("middleware");

  ASSERT_EQ(sioc_client_emit(s, "server-disconnect", NULL, 0, NULL, 0, 0), 0);
  LC_WAIT(rs.n_disconnect == 1, 5000);
  ASSERT_STR_EQ(rs.last_reason, "io server disconnect");
  ASSERT(rc.n_disconnect == 0 && sioc_client_connected(c));
  step("server-disconnect");
  hc_close(m);
  ASSERT_EQ(rm.n_reconnect, 0);
}

static void reconnect(void) {
  static hc_rec_t rs, rm;
  sioc_client_t *s = open_client("", &rs, &rm);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_connect == 1 && strstr(rs.log, "ev:auth"), 10000);
  check_transport(sioc_client_manager(s));
  printf("READY\n");
  LC_WAIT(rs.n_disconnect == 1, 20000);
  ASSERT_EQ(sioc_client_emit(s, "message", J("[\"offline\"]"), NULL, 0, 0), 0);
  step("disconnect");
  LC_WAIT(rs.n_connect == 2, 30000);
  LC_WAIT(strstr(rs.log, "ev:message-back") != NULL, 5000);
  ASSERT_STR_EQ(rs.last_args, "[\"offline\"]");
  printf("socket: %s\nmanager: %s\n", rs.log, rm.log);
  const char *q = rs.log;
  if (!strncmp(q, "connecting,ev:auth,connect,", 27)) q += 27;
  else if (!strncmp(q, "connecting,connect,ev:auth,", 27)) q += 27;
  else FATAL("bad start: %s", rs.log);
  ASSERT(!strncmp(q, "disconnect,reconnecting,", 24));
  q += 24;
  while (!strncmp(q, "reconnecting,", 13)) q += 13;
  ASSERT(!strncmp(q, "connecting,reconnect,connect,", 29) ||
         !strncmp(q, "connecting,reconnect,ev:auth,connect,", 37));
  step("reconnect");
  hc_close(sioc_client_manager(s));
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s URL polling|websocket|upgrade [basic|reconnect]\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  url = argv[1];
  if (!strcmp(argv[2], "polling")) transports = SIOC_TRANSPORT_POLLING;
  else if (!strcmp(argv[2], "websocket")) transports = SIOC_TRANSPORT_WEBSOCKET;
  else transports = SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET, upgrade = 1;
  lc_init(90000);
  if (argc > 3 && !strcmp(argv[3], "reconnect")) reconnect();
  else basic();
  lc_end();
  printf("ok all\n");
  return 0;
}

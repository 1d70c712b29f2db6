/* test_client_reconnect.c - reconnection of the C client: the server is
 * closed and started again on the same port; the exact event order (classic
 * names on the socket, modern ones on the manager), buffered emits arriving
 * after the reconnect, volatile ones dropped, reconnect_failed after the
 * configured attempts, backoff delays within their bounds (and the Backoff
 * formula itself), disconnect() stopping the reconnection loop. */
#include "client_harness.h"

int32_t sioc__backoff_duration(uint32_t attempts, double min, double max,
                               double jitter, double rnd);

static void test_backoff_formula(void) {
  /* values computed with socket.io-client's contrib/backo2.js */
  ASSERT_EQ(sioc__backoff_duration(0, 1000, 5000, 0.5, 0.25), 875);
  ASSERT_EQ(sioc__backoff_duration(0, 1000, 5000, 0.5, 0.35), 1175);
  ASSERT_EQ(sioc__backoff_duration(1, 1000, 5000, 0.5, 0.35), 2350);
  ASSERT_EQ(sioc__backoff_duration(2, 1000, 5000, 0.5, 0.0), 4000);
  ASSERT_EQ(sioc__backoff_duration(3, 1000, 5000, 0.5, 0.35), 5000);
  ASSERT_EQ(sioc__backoff_duration(3, 1000, 5000, 0.5, 0.999), 5000);
  ASSERT_EQ(sioc__backoff_duration(1, 1000, 5000, 0, 0.7), 2000);
  ASSERT_EQ(sioc__backoff_duration(1, 1000, 5000, 1.5, 0.7), 2000);   /* jitter ignored */
  ASSERT_EQ(sioc__backoff_duration(2000, 1000, 5000, 0.5, 0.5), 5000);  /* Infinity */
  ASSERT_EQ(sioc__backoff_duration(2000, 1000, 5000, 0.5, 0.0), 0);     /* NaN | 0 */
  for (uint32_t n = 0; n < 20; n++)
    for (int i = 0; i < 100; i++) {
      double rnd = i / 100.0;
      int32_t d = sioc__backoff_duration(n, 100, 2000, 0.5, rnd);
      double base = 100.0 * (double)(1u << (n < 16 ? n : 16));
      ASSERT(d <= 2000);
      ASSERT(d >= (int32_t)(base * 0.5 < 2000 ? base * 0.5 : 2000) - 1);
    }
}

static void run_restart(const char *mode, int transports) {
  printf("restart, %s\n", mode);
  int port = hs_start(0, 0, 0);
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.transports = transports;
  o.reconnection_delay_ms = 100;
  o.reconnection_delay_max_ms = 400;
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, &o, &s), 0);
  static hc_rec_t rs, rm;
  memset(&rs, 0, sizeof(rs));
  memset(&rm, 0, sizeof(rm));
  sioc_client_on(s, hc_on_socket, &rs);
  sioc_manager_on(sioc_client_manager(s), hc_on_manager, &rm);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_connect == 1 && strstr(rs.log, "ev:auth"), 5000);
  if (transports & SIOC_TRANSPORT_WEBSOCKET)
    LC_WAIT(sioc_manager_transport(sioc_client_manager(s)) &&
            !strcmp(sioc_manager_transport(sioc_client_manager(s)), "websocket"), 5000);
  ASSERT_STR_EQ(rs.log, "connecting,connect,ev:auth");

  hs_stop();
  LC_WAIT(rs.n_disconnect == 1, 5000);
  printf("  disconnect reason: %s\n", rs.last_reason);
  ASSERT(!strcmp(rs.last_reason, "transport close") || !strcmp(rs.last_reason, "transport error"));
  /* offline: buffered, volatile dropped */
  ASSERT_EQ(sioc_client_emit(s, "message", "[\"buffered\"]", 12, NULL, 0, 0), 0);
  ASSERT_EQ(sioc_client_emit(s, "message", "[\"volatile\"]", 12, NULL, 0, SIOC_EMIT_VOLATILE), 0);
  LC_WAIT(rs.n_attempts >= 2, 5000);
  hs_start(port, 0, 0);
  LC_WAIT(rs.n_connect == 2, 5000);
  LC_WAIT(strstr(rs.log, "ev:message-back") != NULL, 3000);
  ASSERT_STR_EQ(rs.last_args, "[\"buffered\"]");
  lc_sleep(100);
  ASSERT(strstr(rs.log, "volatile") == NULL);
  printf("  socket:  %s\n  manager: %s\n", rs.log, rm.log);
  /* classic order: disconnect -> reconnecting (repeated) -> connecting -> reconnect -> connect */
  const char *p = rs.log;
  ASSERT(strncmp(p, "connecting,connect,ev:auth,disconnect,reconnecting,", 51) == 0);
  p += 51;
  while (strncmp(p, "reconnecting,", 13) == 0) p += 13;
  ASSERT(strncmp(p, "connecting,reconnect,connect,", 29) == 0);
  /* modern order on the manager */
  const char *q = rm.log;
  ASSERT(strncmp(q, "open,close,reconnect_attempt,", 29) == 0);
  q += 29;
  while (strncmp(q, "error,reconnect_error,reconnect_attempt,", 40) == 0) q += 40;
  ASSERT_STR_EQ(q, "open,reconnect");
  ASSERT_EQ(rs.n_reconnect, 1);
  hc_close(sioc_client_manager(s));
  hs_stop();
}

static void test_reconnect_failed(void) {
  printf("reconnect_failed\n");
  int port = hs_start(0, 0, 0);
  hs_stop();   /* the port is free: nothing listens */
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.reconnection_attempts = 4;
  o.reconnection_delay_ms = 50;
  o.reconnection_delay_max_ms = 200;
  o.randomization_factor = 0.5;
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, &o, &s), 0);
  static hc_rec_t rs, rm;
  memset(&rs, 0, sizeof(rs));
  memset(&rm, 0, sizeof(rm));
  sioc_client_on(s, hc_on_socket, &rs);
  sioc_manager_on(sioc_client_manager(s), hc_on_manager, &rm);
  uint64_t t0 = lc_now();
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_reconnect_failed == 1, 10000);
  lc_sleep(400);
  printf("  socket: %s\n  manager: %s\n", rs.log, rm.log);
  ASSERT_EQ(rs.n_attempts, 4);
  ASSERT_EQ(rm.n_reconnect_failed, 1);
  ASSERT_EQ(rs.n_connect, 0);
  ASSERT_EQ(rs.n_connect_error, 5);   /* the first attempt + 4 retries */
  ASSERT(strstr(rm.last_error, "connection refused") != NULL);
  /* delays: attempt k waits 50 * 2^k +- 50%, capped at 200 */
  uint64_t prev = t0;
  for (int k = 0; k < 4; k++) {
    double base = 50.0 * (1 << k);
    double lo = base * 0.5, hi = base * 1.5;
    if (hi > 200) hi = 200;
    if (lo > 200) lo = 200;
    uint64_t d = rs.attempt_times[k] - prev;
    printf("  attempt %d after %d ms (bounds %d..%d)\n", k + 1, (int)d, (int)lo, (int)hi);
    ASSERT(d + 2 >= (uint64_t)lo);
    ASSERT(d <= (uint64_t)hi + 100);
    prev = rs.attempt_times[k];
  }
  hc_close(sioc_client_manager(s));
}

/* disconnect() while reconnecting stops the loop */
static void test_disconnect_stops(void) {
  printf("disconnect stops reconnecting\n");
  int port = hs_start(0, 0, 0);
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d", port);
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.reconnection_delay_ms = 50;
  o.reconnection_delay_max_ms = 50;
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, &o, &s), 0);
  static hc_rec_t rs;
  memset(&rs, 0, sizeof(rs));
  sioc_client_on(s, hc_on_socket, &rs);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_connect == 1, 5000);
  hs_stop();
  LC_WAIT(rs.n_attempts >= 1, 5000);
  ASSERT_EQ(sioc_client_disconnect(s), 0);
  int n = rs.n_attempts;
  lc_sleep(300);
  ASSERT_EQ(rs.n_attempts, n);
  ASSERT(!sioc_client_active(s));
  /* connect() starts again */
  hs_start(port, 0, 0);
  ASSERT_EQ(sioc_client_connect(s), 0);
  LC_WAIT(rs.n_connect == 2, 5000);
  hc_close(sioc_client_manager(s));
  hs_stop();
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);   /* a peer may close first */
  lc_init(90000);
  test_backoff_formula();
  if (!getenv("ONLY_DISC")) run_restart("websocket", SIOC_TRANSPORT_WEBSOCKET);
  if (!getenv("ONLY_DISC")) run_restart("polling", SIOC_TRANSPORT_POLLING);
  if (!getenv("ONLY_DISC")) run_restart("polling + upgrade", SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET);
  if (!getenv("ONLY_DISC")) test_reconnect_failed();
  test_disconnect_stops();
  lc_end();
  printf("ok\n");
  return 0;
}

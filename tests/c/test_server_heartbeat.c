/* test_server_heartbeat.c - Engine.IO heartbeat with pingInterval 100 ms
 * and pingTimeout 100 ms: clients that answer "3" stay, clients that do not
 * are closed with "ping timeout" (WebSocket and polling). */
#include "loop_client.h"

static lc_rec_t rec;

/* Answers every ping queued on a WebSocket client; returns pings seen. */
static int pump_ws(lc_client_t *c, int answer) {
  lc_frame_t f;
  int pings = 0;
  while (lc_ws_try(c, &f)) {
    if (f.opcode == LC_OP_TEXT && strcmp(f.data, "2") == 0) {
      pings++;
      if (answer) lc_ws_text(c, "3");
    } else if (f.opcode == LC_OP_TEXT) {
      FATAL("%s: unexpected %s", c->name, f.data);
    }
    lc_frame_free(&f);
  }
  return pings;
}

int main(void) {
  lc_init(20000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.ping_interval_ms = 100;
  o.ping_timeout_ms = 100;
  sioc_server_t *srv = lc_server(&o);
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));

  /* WebSocket: A answers, B is silent */
  char ida[32], idb[32], idc[32], idd[32], sidc[32], sidd[32];
  lc_client_t *a = lc_sio_ws("A", ida);
  uint64_t t_b = lc_now();
  lc_client_t *b = lc_sio_ws("B", idb);
  /* polling: C answers by POST, D never polls */
  lc_client_t *cg = lc_connect("C-get"), *cp = lc_connect("C-post"), *d = lc_connect("D");
  cJSON_Delete(lc_poll_handshake(cg, NULL, sidc, NULL));
  lc_poll_posts(cp, sidc, "40");
  char *body = lc_poll_get(cg, sidc, NULL);
  lc_parse_connect(body, "/", idc);
  free(body);
  uint64_t t_d = lc_now();
  cJSON_Delete(lc_poll_handshake(d, NULL, sidd, NULL));
  lc_poll_posts(d, sidd, "40");
  body = lc_poll_get(d, sidd, NULL);
  lc_parse_connect(body, "/", idd);
  free(body);
  lc_stats_expect(srv, 5, 4, 4);

  int pings_a = 0, pings_c = 0;
  uint64_t t_b_gone = 0, t_d_gone = 0;
  lc_poll_get_send(cg, sidc);
  uint64_t end = lc_now() + 900;
  while (lc_now() < end) {
    lc__turn(end);
    pings_a += pump_ws(a, 1);
    lc_http_t r;
    if (lc_http_try(cg, &r)) {
      ASSERT_EQ(r.status, 200);
      if (strcmp(r.body, "2") != 0) FATAL("C got %s", r.body);
      pings_c++;
      lc_poll_posts(cp, sidc, "3");
      lc_http_free(&r);
      lc_poll_get_send(cg, sidc);
    }
    if (!t_b_gone && lc_rec_reason(&rec, idb)) t_b_gone = lc_now();
    if (!t_d_gone && lc_rec_reason(&rec, idd)) t_d_gone = lc_now();
  }
  /* about one ping per 100 ms for the clients that answer */
  if (pings_a < 5 || pings_a > 10) FATAL("A saw %d pings in 900 ms", pings_a);
  if (pings_c < 5 || pings_c > 10) FATAL("C saw %d pings in 900 ms", pings_c);
  ASSERT(lc_rec_reason(&rec, ida) == NULL);
  ASSERT(lc_rec_reason(&rec, idc) == NULL);
  ASSERT(sioc_socket_connected(lc_rec_socket(&rec, ida)));
  ASSERT(sioc_socket_connected(lc_rec_socket(&rec, idc)));

  /* B and D were closed with "ping timeout" after interval + timeout */
  ASSERT(t_b_gone && t_d_gone);
  ASSERT_STR_EQ(lc_rec_reason(&rec, idb), "ping timeout");
  ASSERT_STR_EQ(lc_rec_reason(&rec, idd), "ping timeout");
  if (t_b_gone - t_b < 180 || t_b_gone - t_b > 500)
    FATAL("B closed after %llu ms", (unsigned long long)(t_b_gone - t_b));
  if (t_d_gone - t_d < 180 || t_d_gone - t_d > 500)
    FATAL("D closed after %llu ms", (unsigned long long)(t_d_gone - t_d));
  ASSERT_EQ(pump_ws(b, 0), 1);   /* B saw exactly one ping */
  lc_ws_wait_close(b, 1000);
  /* D's session is gone */
  lc_http_t r;
  char target[128];
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sidd);
  lc_http_request(d, "GET", target, NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
  lc_http_free(&r);
  lc_stats_expect(srv, 4, 2, 2);

  /* A stops answering: gone after at most interval + timeout */
  pump_ws(a, 0);
  uint64_t t0 = lc_now();
  LC_WAIT(lc_rec_reason(&rec, ida) != NULL, 1000);
  ASSERT_STR_EQ(lc_rec_reason(&rec, ida), "ping timeout");
  ASSERT(lc_now() - t0 <= 400);
  lc_ws_wait_close(a, 1000);

  /* a pong that arrives after the deadline does not revive a session:
   * C stops answering, its late pong is answered but the session is gone */
  lc_http_wait(cg, &r, 1000);
  ASSERT_STR_EQ(r.body, "2");
  lc_http_free(&r);
  lc_sleep(250);
  ASSERT_STR_EQ(lc_rec_reason(&rec, idc), "ping timeout");
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sidc);
  lc_http_request(cp, "POST", target, NULL, "3", 1, &r);
  ASSERT_EQ(r.status, 400);
  lc_http_free(&r);
  LC_WAIT_STATS(srv, 3, 0, 0, 1000);   /* keep-alive HTTP connections stay */

  lc_server_close(srv);
  lc_rec_free(&rec);
  lc_end();
  printf("ok test_server_heartbeat\n");
  return 0;
}

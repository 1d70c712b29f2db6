/* test_server_polling.c - the server over HTTP long-polling, on loopback,
 * with raw clients on the server's own loop: the Engine.IO handshake, the
 * Engine.IO HTTP errors, allowRequest, CORS, and Socket.IO packets both ways
 * (events, acks, binary attachments, batching). */
#include "loop_client.h"

/* ---- 1. handshake ------------------------------------------------------------ */

static void test_handshake(void) {
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.ping_interval_ms = 1234;
  o.ping_timeout_ms = 2345;
  o.max_http_buffer_size = 55555;
  sioc_server_t *srv = lc_server(&o);

  lc_client_t *c = lc_connect("hs");
  char sid[32], sid2[32];
  lc_http_t r;
  cJSON *j = lc_poll_handshake(c, NULL, sid, &r);
  char ct[128];
  ASSERT(lc_http_header(&r, "Content-Type", ct, sizeof(ct)) != NULL);
  ASSERT_STR_EQ(ct, "text/plain; charset=UTF-8");
  /* exactly five keys */
  ASSERT_EQ(cJSON_GetArraySize(j), 5);
  cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "sid");
  ASSERT(cJSON_IsString(v));
  ASSERT_EQ(strlen(v->valuestring), 20);
  for (const char *p = v->valuestring; *p; p++)
    ASSERT(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
  v = cJSON_GetObjectItemCaseSensitive(j, "upgrades");
  ASSERT(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1);
  ASSERT(cJSON_IsString(cJSON_GetArrayItem(v, 0)));
  ASSERT_STR_EQ(cJSON_GetArrayItem(v, 0)->valuestring, "websocket");
  v = cJSON_GetObjectItemCaseSensitive(j, "pingInterval");
  ASSERT(cJSON_IsNumber(v) && v->valuedouble == 1234);
  v = cJSON_GetObjectItemCaseSensitive(j, "pingTimeout");
  ASSERT(cJSON_IsNumber(v) && v->valuedouble == 2345);
  v = cJSON_GetObjectItemCaseSensitive(j, "maxPayload");
  ASSERT(cJSON_IsNumber(v) && v->valuedouble == 55555);
  cJSON_Delete(j);
  lc_http_free(&r);
  /* the open packet is alone in its payload (no separator) */
  lc_stats_expect(srv, 1, 1, 0);

  /* a second handshake gets another sid */
  cJSON_Delete(lc_poll_handshake(c, NULL, sid2, NULL));
  ASSERT(strcmp(sid, sid2) != 0);
  lc_stats_expect(srv, 1, 2, 0);

  /* upgrades is [] when WebSocket is not offered */
  sioc_server_t *srv2;
  o.transports = SIOC_TRANSPORT_POLLING;
  srv2 = lc_server(&o);
  lc_client_t *c2 = lc_connect("hs2");
  j = lc_poll_handshake(c2, NULL, sid2, NULL);
  v = cJSON_GetObjectItemCaseSensitive(j, "upgrades");
  ASSERT(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0);
  cJSON_Delete(j);
  lc_server_close(srv2);
  lc_wait_eof(c2, 2000);
  lc_server_close(srv);
  lc_wait_eof(c, 2000);
  printf("ok handshake\n");
}

/* ---- 2. Engine.IO errors, allowRequest, CORS --------------------------------------- */

static int allow_calls;
static char allow_seen_header[64];

static const char *allow_request(sioc_server_t *s, const sioc_handshake_t *hs, void *data) {
  allow_calls++;
  ASSERT(data == &allow_calls);
  const char *h = sioc_handshake_header(hs, "X-Test");
  snprintf(allow_seen_header, sizeof(allow_seen_header), "%s", h ? h : "");
  ASSERT_STR_EQ(hs->address, "127.0.0.1");
  return strstr(hs->query, "deny=1") ? "go away" : NULL;
}

static void test_errors(void) {
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.allow_request = allow_request;
  o.user_data = &allow_calls;
  sioc_server_t *srv = lc_server(&o);
  lc_http_t r;

  lc_http_once("GET", "/socket.io/?EIO=4&transport=foo", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 0, "Transport unknown");
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/?EIO=4", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 0, "Transport unknown");
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", NULL,
               NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
  lc_http_free(&r);
  lc_http_once("POST", "/socket.io/?EIO=4&transport=polling", NULL, "40", 2, &r);
  lc_expect_eio_error(&r, 400, 2, "Bad handshake method");
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/?EIO=3&transport=polling", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 5, "Unsupported protocol version");
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/?transport=polling", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 5, "Unsupported protocol version");
  lc_http_free(&r);
  ASSERT_EQ(allow_calls, 0);   /* none of those reached the handshake */

  /* allowRequest refuses: 403 code 4 with the callback's message */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling&deny=1", "X-Test: hello\r\n", NULL,
               0, &r);
  lc_expect_eio_error(&r, 403, 4, "go away");
  lc_http_free(&r);
  ASSERT_EQ(allow_calls, 1);
  ASSERT_STR_EQ(allow_seen_header, "hello");
  /* ... and accepts */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling&deny=0", NULL, NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT(r.body[0] == '0');
  lc_http_free(&r);
  ASSERT_EQ(allow_calls, 2);
  /* a refused WebSocket handshake is not upgraded */
  lc_client_t *w = lc_connect("ws-deny");
  int st = lc_ws_handshake(w, "/socket.io/?EIO=4&transport=websocket&deny=1", NULL, &r);
  ASSERT(st == 403 || st == 400);
  lc_http_free(&r);
  lc_close(w);

  /* not our path: 404 */
  lc_http_once("GET", "/other/?EIO=4&transport=polling", NULL, NULL, 0, &r);
  ASSERT_EQ(r.status, 404);
  lc_http_free(&r);

  /* CORS is off by default, even with an Origin */
  char v[256];
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling", "Origin: http://a.example\r\n",
               NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) == NULL);
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/?EIO=4&transport=foo", "Origin: http://a.example\r\n", NULL,
               0, &r);
  ASSERT_EQ(r.status, 400);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) == NULL);
  lc_http_free(&r);
  lc_server_close(srv);

  /* with cors_origins {"http://a.example"} */
  const char *origins[] = {"http://a.example"};
  sioc_server_options_init(&o);
  o.cors_origins = origins;
  o.n_cors_origins = 1;
  srv = lc_server(&o);
  sioc_server_of(srv, "/");   /* see test_server_compat.c: "/" must exist anyway */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling", "Origin: http://a.example\r\n",
               NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "http://a.example");
  lc_http_free(&r);
  /* another origin: no CORS headers */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling", "Origin: http://b.example\r\n",
               NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) == NULL);
  lc_http_free(&r);
  /* on an error response too */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=foo", "Origin: http://a.example\r\n", NULL,
               0, &r);
  lc_expect_eio_error(&r, 400, 0, "Transport unknown");
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "http://a.example");
  lc_http_free(&r);
  /* preflight */
  lc_http_once("OPTIONS", "/socket.io/?EIO=4&transport=polling",
               "Origin: http://a.example\r\nAccess-Control-Request-Method: POST\r\n"
               "Access-Control-Request-Headers: content-type\r\n",
               NULL, 0, &r);
  ASSERT_EQ(r.status, 204);
  ASSERT_EQ(r.body_len, 0);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "http://a.example");
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)) != NULL);
  ASSERT(strstr(v, "POST") && strstr(v, "GET"));
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "content-type");
  lc_http_free(&r);
  /* session GET/POST answers carry CORS headers too */
  lc_client_t *c = lc_connect("cors-session");
  char sid[32], target[128];
  cJSON_Delete(lc_poll_handshake(c, NULL, sid, NULL));
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
  lc_http_request(c, "POST", target, "Origin: http://a.example\r\n", "40", 2, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT_STR_EQ(r.body, "ok");
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) != NULL);
  lc_http_free(&r);
  lc_http_request(c, "GET", target, "Origin: http://a.example\r\n", NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  if (strncmp(r.body, "40{\"sid\":", 9) != 0) FATAL("got %s", r.body);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "http://a.example");
  lc_http_free(&r);
  lc_server_close(srv);

  /* configured methods / allowedHeaders answer the preflight */
  sioc_server_options_init(&o);
  o.cors_origins = origins;
  o.n_cors_origins = 1;
  o.cors_methods = "GET,POST";
  o.cors_allowed_headers = "content-type,x-token";
  srv = lc_server(&o);
  sioc_server_of(srv, "/");
  lc_http_once("OPTIONS", "/socket.io/?EIO=4&transport=polling",
               "Origin: http://a.example\r\nAccess-Control-Request-Method: POST\r\n"
               "Access-Control-Request-Headers: x-other\r\n",
               NULL, 0, &r);
  ASSERT_EQ(r.status, 204);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "GET,POST");
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)) != NULL);
  ASSERT_STR_EQ(v, "content-type,x-token");
  lc_http_free(&r);
  lc_server_close(srv);
  printf("ok errors/cors\n");
}

/* ---- 3. Socket.IO over polling ------------------------------------------------------------ */

static int64_t ack_err = 1;
static char *ack_args;
static int ack_calls;

static void on_ack(sioc_socket_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *atts, size_t n, void *data) {
  ack_calls++;
  ack_err = err;
  free(ack_args);
  ack_args = args ? strndup(args, len) : NULL;
  ASSERT(data == &ack_calls);
}

static void expect_get(lc_client_t *g, const char *sid, const char *want, size_t want_len) {
  size_t len;
  char *b = lc_poll_get(g, sid, &len);
  ASSERT_MEM_EQ(b, len, want, want_len);
  free(b);
}

static void test_socketio(void) {
  sioc_server_t *srv = lc_server(NULL);
  lc_rec_t *rec = calloc(1, sizeof(*rec));
  lc_rec_attach(rec, sioc_server_of(srv, "/"));

  lc_client_t *g = lc_connect("get");
  lc_client_t *p = lc_connect("post");
  char sid[32], id[32];
  cJSON_Delete(lc_poll_handshake(g, "&foo=bar", sid, NULL));
  lc_stats_expect(srv, 2, 1, 0);
  lc_poll_posts(p, sid, "40");
  ASSERT_EQ(rec->n_conn, 1);
  char *b = lc_poll_get(g, sid, NULL);
  lc_parse_connect(b, "/", id);
  free(b);
  sioc_socket_t *s = rec->conn[0];
  ASSERT_STR_EQ(sioc_socket_id(s), id);
  ASSERT(strcmp(id, sid) != 0);
  ASSERT_STR_EQ(sioc_socket_transport(s), "polling");
  const sioc_handshake_t *hs = sioc_socket_handshake(s);
  ASSERT(hs != NULL);
  ASSERT(strstr(hs->query, "foo=bar") != NULL);
  ASSERT_STR_EQ(hs->address, "127.0.0.1");
  ASSERT_EQ(hs->xdomain, 0);
  size_t al;
  ASSERT_STR_EQ(sioc_socket_auth(s, &al), "{}");
  ASSERT_EQ(al, 2);
  lc_stats_expect(srv, 2, 1, 1);
  ASSERT_EQ(sioc_nsp_socket_count(sioc_server_of(srv, "/")), 1);
  ASSERT(sioc_nsp_socket(sioc_server_of(srv, "/"), id) == s);

  /* client -> server event */
  lc_poll_posts(p, sid, "42[\"hi\",1]");
  ASSERT_EQ(rec->n_events, 1);
  ASSERT_STR_EQ(rec->ev[0].name, "hi");
  ASSERT_STR_EQ(rec->ev[0].args, "[1]");
  ASSERT_EQ(rec->ev[0].ack_id, -1);
  ASSERT_EQ(rec->ev[0].n_att, 0);
  ASSERT_STR_EQ(rec->ev[0].nsp, "/");

  /* server -> client, byte-exact */
  ASSERT_EQ(sioc_socket_emit(s, "ev", "[{\"a\":1}]", 9, NULL, 0), 0);
  expect_get(g, sid, "42[\"ev\",{\"a\":1}]", 16);

  /* two packets, one GET, separated by 0x1e */
  ASSERT_EQ(sioc_socket_emit(s, "a", "[]", 2, NULL, 0), 0);
  ASSERT_EQ(sioc_socket_emit(s, "b", "[2]", 3, NULL, 0), 0);
  expect_get(g, sid, "42[\"a\"]\x1e" "42[\"b\",2]", 17);

  /* binary emit: placeholder packet, then 'b' + base64 */
  static const uint8_t bytes[] = {1, 2, 3};
  sioc_bin_t bin = {bytes, 3};
  const char *ph = "[{\"_placeholder\":true,\"num\":0}]";
  ASSERT_EQ(sioc_socket_emit(s, "ev", ph, strlen(ph), &bin, 1), 0);
  const char *want = "451-[\"ev\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAQID";
  expect_get(g, sid, want, strlen(want));

  /* a parked GET is answered when something is emitted */
  lc_poll_get_send(g, sid);
  lc_sleep(100);
  ASSERT_EQ(g->in_len, 0);
  ASSERT_EQ(sioc_socket_emit(s, "late", "[true]", 6, NULL, 0), 0);
  lc_http_t r;
  lc_http_wait(g, &r, 2000);
  ASSERT_EQ(r.status, 200);
  ASSERT_STR_EQ(r.body, "42[\"late\",true]");
  lc_http_free(&r);

  /* client asks for an ack */
  lc_poll_posts(p, sid, "425[\"q\",\"x\"]");
  ASSERT_EQ(rec->n_events, 2);
  ASSERT_STR_EQ(rec->ev[1].name, "q");
  ASSERT_STR_EQ(rec->ev[1].args, "[\"x\"]");
  ASSERT_EQ(rec->ev[1].ack_id, 5);
  ASSERT_EQ(sioc_socket_ack(s, 5, "[\"r\"]", 5, NULL, 0), 0);
  expect_get(g, sid, "435[\"r\"]", 8);

  /* server asks for an ack */
  ASSERT_EQ(sioc_socket_emit_with_ack(s, "ask", "[]", 2, NULL, 0, 2000, on_ack, &ack_calls), 0);
  b = lc_poll_get(g, sid, NULL);
  ASSERT(strncmp(b, "42", 2) == 0);
  char *end;
  long aid = strtol(b + 2, &end, 10);
  ASSERT(end > b + 2);
  ASSERT_STR_EQ(end, "[\"ask\"]");
  free(b);
  char ackpkt[64];
  snprintf(ackpkt, sizeof(ackpkt), "43%ld[\"yes\",{\"n\":2}]", aid);
  lc_poll_posts(p, sid, ackpkt);
  ASSERT_EQ(ack_calls, 1);
  ASSERT_EQ(ack_err, 0);
  ASSERT_STR_EQ(ack_args, "[\"yes\",{\"n\":2}]");

  /* several packets in one POST, in order */
  lc_poll_posts(p, sid, "42[\"m\",1]\x1e" "42[\"m\",2]\x1e" "3");
  ASSERT_EQ(rec->n_events, 4);
  ASSERT_STR_EQ(rec->ev[2].args, "[1]");
  ASSERT_STR_EQ(rec->ev[3].args, "[2]");

  /* client binary event over polling */
  lc_poll_posts(p, sid, "451-[\"up\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAQID");
  ASSERT_EQ(rec->n_events, 5);
  ASSERT_STR_EQ(rec->ev[4].name, "up");
  ASSERT_STR_EQ(rec->ev[4].args, "[{\"_placeholder\":true,\"num\":0}]");
  ASSERT_EQ(rec->ev[4].n_att, 1);
  ASSERT_MEM_EQ(rec->ev[4].att[0], rec->ev[4].att_len[0], "\x01\x02\x03", 3);

  /* namespace disconnect from the client */
  lc_poll_posts(p, sid, "41");
  ASSERT_EQ(rec->n_disc, 1);
  ASSERT_STR_EQ(rec->disc_reason[0], "client namespace disconnect");
  ASSERT_STR_EQ(rec->disc_id[0], id);
  ASSERT(!sioc_socket_connected(s));
  ASSERT_EQ(sioc_socket_emit(s, "x", "[]", 2, NULL, 0), SIOC_ECLOSED);
  lc_stats_expect(srv, 2, 1, 0);
  /* Engine.IO close from the client ends the session */
  lc_poll_posts(p, sid, "1");
  lc_stats_expect(srv, 2, 0, 0);
  lc_http_request(g, "GET", "/socket.io/?EIO=4&transport=polling&sid=x", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
  lc_http_free(&r);
  lc_close(g);
  lc_close(p);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);

  lc_server_close(srv);
  lc_rec_free(rec);
  free(rec);
  free(ack_args);
  printf("ok socket.io over polling\n");
}

/* ---- 4. the client's close packet with a GET parked ---------------------------------------- */

/* engine.io's polling onClose: the parked GET is answered with a noop (the
 * client asked for the close and needs no close packet back), and the
 * session is gone for the next request. */
static void test_client_close_releases_poll(void) {
  sioc_server_t *srv = lc_server(NULL);
  lc_client_t *g = lc_connect("close-get");
  lc_client_t *p = lc_connect("close-post");
  char sid[32];
  lc_http_t r;
  cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
  lc_poll_get_send(g, sid);
  lc_sleep(20);   /* the GET is parked */
  lc_poll_posts(p, sid, "1");
  lc_http_wait(g, &r, 2000);
  ASSERT_EQ(r.status, 200);
  ASSERT_STR_EQ(r.body, "6");
  lc_http_free(&r);
  lc_poll_get_send(g, sid);
  lc_http_wait(g, &r, 2000);
  lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
  lc_http_free(&r);
  lc_close(g);
  lc_close(p);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  lc_server_close(srv);
  printf("ok client close with a parked GET\n");
}

/* ---- 5. a protocol violation closes the session gracefully ------------------------------- */

/* socket.io's Client.close() after a second CONNECT: engine.io sends what
 * was queued before the close (the first CONNECT's answer) on one GET, and
 * the noop + close packet on the next. */
static void test_violation_closes_gracefully(void) {
  sioc_server_t *srv = lc_server(NULL);
  sioc_server_of(srv, "/");
  lc_client_t *g = lc_connect("violation");
  char sid[32], id[32];
  lc_http_t r;
  cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
  lc_poll_posts(g, sid, "40");
  lc_poll_posts(g, sid, "40");   /* CONNECT again: "invalid state" */
  char *b = lc_poll_get(g, sid, NULL);
  lc_parse_connect(b, "/", id);   /* the whole body is the CONNECT answer */
  free(b);
  b = lc_poll_get(g, sid, NULL);
  ASSERT_STR_EQ(b, "6\x1e" "1");
  free(b);
  lc_poll_get_send(g, sid);
  lc_http_wait(g, &r, 2000);
  lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
  lc_http_free(&r);
  lc_close(g);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  lc_server_close(srv);
  printf("ok protocol violation: queued packets, then noop + close\n");
}

int main(void) {
  lc_init(20000);
  test_handshake();
  test_errors();
  test_socketio();
  test_client_close_releases_poll();
  test_violation_closes_gracefully();
  lc_end();
  printf("ok test_server_polling\n");
  return 0;
}

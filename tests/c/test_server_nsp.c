/* test_server_nsp.c - namespaces: unknown namespace, connect middleware
 * (reject with data, accept, asynchronous decision, chains, a connection
 * lost during an asynchronous decision), dynamic namespaces (decided at
 * once, and later: sioc_server_on_new_nsp_async), per-namespace events and disconnects on one connection, and
 * the connect timeout. */
#include "loop_client.h"

static lc_rec_t rec;
static sioc_server_t *srv;
static int mw_calls, mw2_calls;
static char mw_auth[128];
static sioc_socket_t *deferred;
static uv_timer_t defer_timer;

static int defer_gone;     /* the client left before the decision */
static int defer_gone_err;
static int pending_closes; /* sioc_nsp_on_pending_close calls on "/p" */
static char pending_reason[48];
static int pending_was_deferred;

static void on_pending_close(sioc_socket_t *s, const char *reason, void *data) {
  ASSERT(data == &pending_closes);
  ASSERT(!sioc_socket_connected(s));
  pending_was_deferred = s == deferred;
  snprintf(pending_reason, sizeof(pending_reason), "%s", reason);
  pending_closes++;
}

static void on_defer(uv_timer_t *t) {
  ASSERT(deferred != NULL);
  if (defer_gone) {
    /* header: calls on a disconnected socket fail (SIOC_ECLOSED) */
    defer_gone_err = sioc_socket_accept(deferred);
    ASSERT(defer_gone_err != 0);
  } else {
    ASSERT_EQ(sioc_socket_accept(deferred), 0);
  }
  ASSERT_EQ(sioc_socket_accept(deferred), SIOC_EBUSY);
  sioc_socket_unref(deferred);
  deferred = NULL;
}

static void mw_private(sioc_socket_t *s, const char *auth, size_t len, void *data) {
  mw_calls++;
  ASSERT(data == &mw_calls);
  ASSERT(!sioc_socket_connected(s));
  snprintf(mw_auth, sizeof(mw_auth), "%.*s", (int)len, auth);
  cJSON *a = cJSON_ParseWithLength(auth, len);
  ASSERT(a != NULL);
  cJSON *tok = cJSON_GetObjectItemCaseSensitive(a, "token");
  if (cJSON_IsString(tok) && strcmp(tok->valuestring, "ok") == 0) {
    ASSERT_EQ(sioc_socket_accept(s), 0);
  } else if (cJSON_IsString(tok) && strcmp(tok->valuestring, "later") == 0) {
    deferred = sioc_socket_ref(s);
    uv_timer_start(&defer_timer, on_defer, 60, 0);
  } else {
    ASSERT_EQ(sioc_socket_reject(s, "no", "{\"a\":", 5), SIOC_EJSON);
    ASSERT_EQ(sioc_socket_reject(s, "no", "{\"a\":1}", 7), 0);
    ASSERT_EQ(sioc_socket_reject(s, "no", NULL, 0), SIOC_EBUSY);
  }
  cJSON_Delete(a);
}

/* a chain: the first sets data, the second sees it and accepts */
static void mw_first(sioc_socket_t *s, const char *auth, size_t len, void *data) {
  sioc_socket_set_data(s, &mw2_calls);
  sioc_socket_accept(s);
}
static void mw_second(sioc_socket_t *s, const char *auth, size_t len, void *data) {
  mw2_calls++;
  ASSERT(sioc_socket_get_data(s) == &mw2_calls);
  sioc_socket_accept(s);
}

static int resolve_calls;
static sioc_nsp_t *resolve(sioc_server_t *server, const char *name, void *data) {
  resolve_calls++;
  ASSERT(server == srv);
  ASSERT(data == &resolve_calls);
  if (strncmp(name, "/dyn-", 5) != 0) return NULL;
  sioc_nsp_t *n = sioc_server_of(server, name);
  lc_rec_attach(&rec, n);
  return n;
}

static void test_namespaces(void) {
  char rid[32], pid[32], did[32], tmp[32];
  lc_client_t *c = lc_sio_ws("multi", rid);

  /* unknown namespace */
  lc_ws_text(c, "40/x,");
  lc_ws_expect(c, "44/x,{\"message\":\"Invalid namespace\"}", 2000);
  ASSERT_EQ(resolve_calls, 1);

  /* middleware rejects with data */
  lc_ws_text(c, "40/p,");
  lc_ws_expect(c, "44/p,{\"message\":\"no\",\"data\":{\"a\":1}}", 2000);
  ASSERT_EQ(mw_calls, 1);
  ASSERT_STR_EQ(mw_auth, "{}");
  lc_ws_text(c, "40/p,{\"token\":\"bad\"}");
  lc_ws_expect(c, "44/p,{\"message\":\"no\",\"data\":{\"a\":1}}", 2000);
  ASSERT_EQ(mw_calls, 2);
  ASSERT_STR_EQ(mw_auth, "{\"token\":\"bad\"}");
  ASSERT_EQ(rec.n_conn, 1);

  /* middleware accepts; the auth payload is kept */
  lc_ws_text(c, "40/p,{\"token\":\"ok\"}");
  char *m = lc_ws_recv_text(c, 2000);
  lc_parse_connect(m, "/p", pid);
  free(m);
  ASSERT_EQ(rec.n_conn, 2);
  sioc_socket_t *ps = lc_rec_socket(&rec, pid);
  ASSERT_STR_EQ(sioc_nsp_name(sioc_socket_nsp(ps)), "/p");
  size_t al;
  ASSERT_STR_EQ(sioc_socket_auth(ps, &al), "{\"token\":\"ok\"}");
  ASSERT(strcmp(pid, rid) != 0);

  /* dynamic namespace */
  lc_ws_text(c, "40/dyn-1,");
  m = lc_ws_recv_text(c, 2000);
  lc_parse_connect(m, "/dyn-1", did);
  free(m);
  ASSERT_EQ(resolve_calls, 2);
  sioc_socket_t *ds = lc_rec_socket(&rec, did);
  ASSERT_STR_EQ(sioc_nsp_name(sioc_socket_nsp(ds)), "/dyn-1");
  ASSERT(sioc_socket_nsp(ds) == sioc_server_of(srv, "/dyn-1"));
  ASSERT(sioc_nsp_server(sioc_socket_nsp(ds)) == srv);

  /* middleware chain */
  lc_ws_text(c, "40/m,");
  m = lc_ws_recv_text(c, 2000);
  lc_parse_connect(m, "/m", tmp);
  free(m);
  ASSERT_EQ(mw2_calls, 1);
  lc_stats_expect(srv, 1, 1, 4);

  /* events are routed per namespace */
  lc_ws_text(c, "42/p,[\"e\",1]");
  lc_ws_text(c, "42/dyn-1,[\"d\"]");
  lc_ws_text(c, "42[\"root\"]");
  LC_WAIT(rec.n_events == 3, 2000);
  ASSERT_STR_EQ(rec.ev[0].nsp, "/p");
  ASSERT_STR_EQ(rec.ev[0].name, "e");
  ASSERT_STR_EQ(rec.ev[0].sock, pid);
  ASSERT_STR_EQ(rec.ev[1].nsp, "/dyn-1");
  ASSERT_STR_EQ(rec.ev[2].nsp, "/");
  ASSERT_EQ(sioc_socket_emit(ps, "x", "[]", 2, NULL, 0), 0);
  lc_ws_expect(c, "42/p,[\"x\"]", 2000);
  ASSERT_EQ(sioc_nsp_emit(sioc_server_of(srv, "/dyn-1"), NULL, "y", "[1]", 3, NULL, 0), 0);
  lc_ws_expect(c, "42/dyn-1,[\"y\",1]", 2000);
  /* binary in a namespace */
  sioc_bin_t bin = {(const uint8_t *)"z", 1};
  ASSERT_EQ(sioc_socket_emit(ps, "b", "[{\"_placeholder\":true,\"num\":0}]", 31, &bin, 1), 0);
  lc_ws_expect(c, "451-/p,[\"b\",{\"_placeholder\":true,\"num\":0}]", 2000);
  lc_frame_t f;
  lc_ws_wait(c, &f, 2000);
  ASSERT_EQ(f.opcode, LC_OP_BIN);
  lc_frame_free(&f);

  /* leaving one namespace keeps the others */
  lc_ws_text(c, "41/p,");
  LC_WAIT(rec.n_disc == 1, 2000);
  ASSERT_STR_EQ(rec.disc_id[0], pid);
  ASSERT_STR_EQ(rec.disc_nsp[0], "/p");
  ASSERT_STR_EQ(rec.disc_reason[0], "client namespace disconnect");
  ASSERT_EQ(sioc_nsp_socket_count(sioc_server_of(srv, "/p")), 0);
  ASSERT_EQ(sioc_nsp_socket_count(sioc_server_of(srv, "/")), 1);
  lc_ws_text(c, "42[\"still\"]");
  LC_WAIT(rec.n_events == 4, 2000);

  /* sioc_socket_disconnect(close=1): every namespace gets its "41" and
   * "server namespace disconnect" (as socket.io's client._disconnect()),
   * then the connection closes */
  ASSERT_EQ(sioc_socket_disconnect(lc_rec_socket(&rec, did), 1), 0);
  int n41 = 0;
  for (;;) {
    lc_ws_wait(c, &f, 2000);
    if (f.opcode == LC_OP_CLOSE) {
      lc_frame_free(&f);
      break;
    }
    ASSERT_EQ(f.opcode, LC_OP_TEXT);
    ASSERT(strncmp(f.data, "41", 2) == 0);
    n41++;
    lc_frame_free(&f);
  }
  ASSERT_EQ(n41, 3);
  lc_wait_eof(c, 2000);
  ASSERT_EQ(rec.n_disc, 4);
  for (int i = 1; i < 4; i++) ASSERT_STR_EQ(rec.disc_reason[i], "server namespace disconnect");
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);

  /* a packet for a namespace the client has not joined: socket.io's
   * "invalid state" closes the whole connection ("forced server close") */
  int nd = rec.n_disc;
  lc_client_t *c3 = lc_sio_ws("stray", tmp);
  lc_ws_text(c3, "42/q,[\"nobody\"]");
  lc_ws_wait_close(c3, 2000);
  LC_WAIT(rec.n_disc == nd + 1, 2000);
  ASSERT_STR_EQ(rec.disc_id[nd], tmp);
  ASSERT_STR_EQ(rec.disc_reason[nd], "forced server close");
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);

  /* asynchronous middleware decision */
  lc_client_t *c2 = lc_ws_open("later", NULL, NULL);
  lc_ws_text(c2, "40/p,{\"token\":\"later\"}");
  lc_sleep(20);
  ASSERT_EQ(c2->in_len, 0);
  ASSERT(deferred != NULL);
  lc_stats_expect(srv, 1, 1, 0);   /* pending sockets are not counted */
  m = lc_ws_recv_text(c2, 2000);
  lc_parse_connect(m, "/p", tmp);
  free(m);
  lc_stats_expect(srv, 1, 1, 1);
  /* a CONNECT to "/" on the same connection */
  lc_ws_text(c2, "40");
  m = lc_ws_recv_text(c2, 2000);
  lc_parse_connect(m, "/", tmp);
  free(m);
  lc_close(c2);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  /* neither refusals nor sockets that connected count as lost pending ones */
  ASSERT_EQ(pending_closes, 0);
  /* a pending socket whose connection goes away is released; the host hears
   * of it (engine.io's conn "close") before the decision it still owes */
  lc_client_t *c4 = lc_ws_open("later2", NULL, NULL);
  lc_ws_text(c4, "40/p,{\"token\":\"later\"}");
  lc_sleep(10);
  ASSERT(deferred != NULL);
  int nconn = rec.n_conn;
  defer_gone = 1;
  lc_close(c4);
  LC_WAIT(pending_closes == 1, 2000);
  ASSERT(pending_was_deferred);
  ASSERT_STR_EQ(pending_reason, "transport close");
  LC_WAIT(deferred == NULL, 2000);   /* the timer's accept must not crash */
  ASSERT_EQ(rec.n_conn, nconn);      /* ... nor connect a socket without a client */
  ASSERT_EQ(pending_closes, 1);
  ASSERT_EQ(defer_gone_err, SIOC_ECLOSED);
  if (defer_gone_err != SIOC_ECLOSED)
    printf("note: accept after the client left: %s (header suggests SIOC_ECLOSED)\n",
           sioc_err_name(defer_gone_err));
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);
  printf("ok namespaces\n");
}

static void test_connect_timeout(void) {
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.connect_timeout_ms = 200;
  sioc_server_t *s2 = lc_server(&o);
  sioc_server_of(s2, "/");
  lc_client_t *c = lc_ws_open("idle", NULL, NULL);
  uint64_t t0 = lc_now();
  lc_client_t *ok = lc_ws_open("joins", NULL, NULL);
  lc_ws_text(ok, "40");
  free(lc_ws_recv_text(ok, 2000));
  lc_ws_wait_close(c, 2000);
  uint64_t took = lc_now() - t0;
  if (took < 150 || took > 1000) FATAL("connect timeout after %llu ms", (unsigned long long)took);
  lc_sleep(100);
  ASSERT(!ok->eof);   /* the one that joined stays */
  lc_stats_expect(s2, 1, 1, 1);
  lc_server_close(s2);
  lc_wait_eof(ok, 2000);
  printf("ok connect timeout\n");
}

/* ---- dynamic namespaces answered later (sioc_server_on_new_nsp_async) ---- */

static sioc_nsp_request_t *asked;
static char asked_name[64], asked_auth[64];
static int asks;

static void on_nsp_request(sioc_server_t *server, sioc_nsp_request_t *req, const char *name,
                           const char *auth, size_t auth_len, void *data) {
  ASSERT(data == &asks);
  asks++;
  snprintf(asked_name, sizeof(asked_name), "%s", name);
  snprintf(asked_auth, sizeof(asked_auth), "%.*s", (int)auth_len, auth);
  if (strcmp(name, "/now") == 0) {   /* answered within the callback */
    ASSERT_EQ(sioc_nsp_request_answer(req, sioc_server_of(server, name)), 0);
    return;
  }
  asked = req;
}

static void test_async_nsp(void) {
  sioc_server_t *s3 = lc_server(NULL);   /* new clients go to s3 */
  sioc_server_of(s3, "/");
  sioc_server_on_new_nsp(s3, resolve, &resolve_calls);   /* replaced by ... */
  sioc_server_on_new_nsp_async(s3, on_nsp_request, &asks);
  int resolved_before = resolve_calls;
  char id[32];
  lc_client_t *c = lc_sio_ws("async", id);

  /* the CONNECT waits for the answer, which admits it */
  lc_ws_text(c, "40/later,{\"k\":1}");
  LC_WAIT(asked != NULL, 2000);
  ASSERT_STR_EQ(asked_name, "/later");
  ASSERT_STR_EQ(asked_auth, "{\"k\":1}");
  lc_sleep(20);
  ASSERT_EQ(c->in_len, 0);   /* nothing sent while undecided */
  sioc_nsp_t *later = sioc_server_of(s3, "/later");
  sioc_nsp_request_t *r = asked;
  asked = NULL;
  ASSERT_EQ(sioc_nsp_request_answer(r, later), 0);
  char *m = lc_ws_recv_text(c, 2000);
  lc_parse_connect(m, "/later", id);
  free(m);
  ASSERT_EQ(sioc_nsp_socket_count(later), 1);

  /* refused later: "Invalid namespace" */
  lc_ws_text(c, "40/nope,");
  LC_WAIT(asked != NULL, 2000);
  ASSERT_STR_EQ(asked_auth, "{}");
  r = asked;
  asked = NULL;
  ASSERT_EQ(sioc_nsp_request_answer(r, NULL), 0);
  lc_ws_expect(c, "44/nope,{\"message\":\"Invalid namespace\"}", 2000);

  /* answered at once, inside the callback */
  lc_ws_text(c, "40/now,");
  m = lc_ws_recv_text(c, 2000);
  lc_parse_connect(m, "/now", id);
  free(m);
  ASSERT_EQ(asks, 3);
  ASSERT_EQ(resolve_calls, resolved_before);   /* the async callback is the one used */

  /* the client leaves before the answer: SIOC_ECLOSED, nothing connects */
  lc_ws_text(c, "40/gone,");
  LC_WAIT(asked != NULL, 2000);
  r = asked;
  asked = NULL;
  lc_close(c);
  LC_WAIT_STATS(s3, 0, 0, 0, 2000);
  sioc_nsp_t *gone = sioc_server_of(s3, "/gone");
  ASSERT_EQ(sioc_nsp_request_answer(r, gone), SIOC_ECLOSED);
  ASSERT_EQ(sioc_nsp_socket_count(gone), 0);
  lc_stats_expect(s3, 0, 0, 0);
  lc_server_close(s3);
  printf("ok dynamic namespaces answered later\n");
}

int main(void) {
  lc_init(20000);
  uv_timer_init(lc_loop(), &defer_timer);
  srv = lc_server(NULL);
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  sioc_nsp_t *p = sioc_server_of(srv, "/p");
  ASSERT(sioc_server_of(srv, "/p") == p);
  ASSERT(sioc_server_of(srv, "p") == NULL);
  ASSERT_STR_EQ(sioc_nsp_name(p), "/p");
  lc_rec_attach(&rec, p);
  sioc_nsp_use(p, mw_private, &mw_calls);
  sioc_nsp_on_pending_close(p, on_pending_close, &pending_closes);
  sioc_nsp_t *mm = sioc_server_of(srv, "/m");
  lc_rec_attach(&rec, mm);
  sioc_nsp_use(mm, mw_first, NULL);
  sioc_nsp_use(mm, mw_second, NULL);
  sioc_server_on_new_nsp(srv, resolve, &resolve_calls);
  test_namespaces();
  test_connect_timeout();
  test_async_nsp();
  lc_server_close(srv);
  lc_rec_free(&rec);
  uv_close((uv_handle_t *)&defer_timer, NULL);
  lc_end();
  printf("ok test_server_nsp\n");
  return 0;
}

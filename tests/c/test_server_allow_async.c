/* test_server_allow_async.c - allow_request_async: handshakes wait for the
 * application's decision, taken later (socket.io's allowRequest is
 * asynchronous); tokens answer SIOC_ECLOSED once their client or server is
 * gone, and nothing leaks. */
#include "loop_client.h"
#include "task.h"

#define MAXP 8
static sioc_request_t *pending[MAXP];
static char pending_ua[MAXP][32];
static int n_pending;

static void on_allow(sioc_server_t *s, const sioc_handshake_t *hs, sioc_request_t *req,
                     void *data) {
  ASSERT(n_pending < MAXP);
  const char *ua = sioc_handshake_header(hs, "user-agent");
  snprintf(pending_ua[n_pending], sizeof(pending_ua[0]), "%s", ua ? ua : "");
  pending[n_pending++] = req;
}

static sioc_request_t *take(const char *ua) {
  for (int i = 0; i < n_pending; i++) {
    if (pending[i] && strcmp(pending_ua[i], ua) == 0) {
      sioc_request_t *r = pending[i];
      pending[i] = NULL;
      return r;
    }
  }
  FATAL("no pending request from %s", ua);
}

int main(void) {
  lc_init(15000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.allow_request_async = on_allow;
  sioc_server_t *srv = lc_server(&o);
  lc_http_t r;

  /* Polling: nothing is answered until the app decides; then the open
   * packet comes. */
  lc_client_t *a = lc_connect("a");
  lc_http_send(a, "GET", "/socket.io/?EIO=4&transport=polling", "User-Agent: a\r\n", NULL, 0);
  LC_WAIT(n_pending == 1, 2000);
  lc_sleep(50);
  ASSERT_EQ(a->in_len, 0);
  ASSERT_EQ(sioc_request_allow(take("a")), 0);
  lc_http_wait(a, &r, 2000);
  ASSERT_EQ(r.status, 200);
  ASSERT(strncmp(r.body, "0{\"sid\":\"", 9) == 0);
  lc_http_free(&r);

  /* Refused later, with a message: 403 {"code":4,...}. */
  lc_client_t *b = lc_connect("b");
  lc_http_send(b, "GET", "/socket.io/?EIO=4&transport=polling", "User-Agent: b\r\n", NULL, 0);
  LC_WAIT(n_pending == 2, 2000);
  ASSERT_EQ(sioc_request_refuse(take("b"), "not \"today\""), 0);
  lc_http_wait(b, &r, 2000);
  lc_expect_eio_error(&r, 403, 4, "not \\\"today\\\"");
  lc_http_free(&r);

  /* A WebSocket handshake: 101 only after allow. */
  lc_client_t *w = lc_connect("w");
  lc_send(w, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
             "User-Agent: w\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
          strlen("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                 "User-Agent: w\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  LC_WAIT(n_pending == 3, 2000);
  lc_sleep(30);
  ASSERT_EQ(w->in_len, 0);
  ASSERT_EQ(sioc_request_allow(take("w")), 0);
  LC_WAIT(w->in_len >= 12, 2000);
  ASSERT(strncmp(w->in, "HTTP/1.1 101", 12) == 0);

  /* The client leaves before the decision: the token answers ECLOSED. */
  lc_client_t *g = lc_connect("g");
  lc_http_send(g, "GET", "/socket.io/?EIO=4&transport=polling", "User-Agent: g\r\n", NULL, 0);
  LC_WAIT(n_pending == 4, 2000);
  lc_close(g);
  sioc_server_stats_t st;
  LC_WAIT((sioc_server_stats(srv, &st), st.connections == 2), 2000);
  ASSERT_EQ(sioc_request_allow(take("g")), SIOC_ECLOSED);

  /* The server closes with a handshake pending: the token stays valid. */
  lc_client_t *h = lc_connect("h");
  lc_http_send(h, "GET", "/socket.io/?EIO=4&transport=polling", "User-Agent: h\r\n", NULL, 0);
  LC_WAIT(n_pending == 5, 2000);
  sioc_request_t *late = take("h");
  lc_server_close(srv);
  ASSERT_EQ(sioc_request_refuse(late, NULL), SIOC_ECLOSED);

  lc_end();
  printf("ok test_server_allow_async\n");
  return 0;
}

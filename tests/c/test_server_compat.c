/* test_server_compat.c - behaviours where socket.io 4.8 is the reference
 * and sioc was seen to differ when this test was written.  Kept apart from
 * the feature tests so that each of those keeps guarding its feature while
 * these are open.  Each check prints what it saw.
 *
 *  1. The main namespace "/" exists without sioc_server_of(server, "/")
 *     (socket.io creates it in the Server constructor): CONNECT "40" must
 *     be accepted, not answered "Invalid namespace".
 *  2. A WebSocket closed for a protocol violation (message too big 1009,
 *     invalid UTF-8 1007, unmasked frame 1002) disconnects its sockets with
 *     "transport error": ws emits 'error' on the socket, engine.io's
 *     Transport#onError -> Socket#onError -> onClose("transport error").
 *  3. sioc_socket_accept() on a socket whose client left while its
 *     middleware was deciding fails with SIOC_ECLOSED, as the header
 *     promises for calls on disconnected sockets. */
#include "loop_client.h"

static lc_rec_t rec;
static int failures;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (cond) {                                            \
      printf("ok   ");                                     \
    } else {                                               \
      printf("FAIL ");                                     \
      failures++;                                          \
    }                                                      \
    printf(__VA_ARGS__);                                   \
    printf("\n");                                          \
  } while (0)

static sioc_socket_t *pending;
static void mw_hold(sioc_socket_t *s, const char *auth, size_t len, void *data) {
  pending = sioc_socket_ref(s);
}

int main(void) {
  lc_init(20000);

  /* 1. the default namespace */
  {
    sioc_server_t *srv = lc_server(NULL);
    lc_client_t *c = lc_ws_open("default-nsp", NULL, NULL);
    lc_ws_text(c, "40");
    char *m = lc_ws_recv_text(c, 2000);
    CHECK(strncmp(m, "40{\"sid\":", 9) == 0,
          "CONNECT to \"/\" without sioc_server_of(\"/\"): got %s", m);
    free(m);
    lc_server_close(srv);
  }

  /* 2. disconnect reason of WebSocket protocol errors */
  {
    sioc_server_options_t o;
    sioc_server_options_init(&o);
    o.max_http_buffer_size = 100;
    sioc_server_t *srv = lc_server(&o);
    lc_rec_attach(&rec, sioc_server_of(srv, "/"));
    static const struct {
      const char *what;
      const char *data;
      size_t len;
      int unmasked;
    } cases[] = {
        {"too big (1009)", "42[\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]", 130, 0},
        {"invalid UTF-8 (1007)", "42[\"\xc3\x28\"]", 8, 0},
        {"unmasked (1002)", "42[\"x\"]", 7, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      char id[32];
      lc_client_t *c = lc_sio_ws(cases[i].what, id);
      lc_ws_frame(c, 1, LC_OP_TEXT, cases[i].data, cases[i].len, cases[i].unmasked);
      int code = lc_ws_wait_close(c, 2000);
      LC_WAIT(lc_rec_reason(&rec, id) != NULL, 2000);
      CHECK(strcmp(lc_rec_reason(&rec, id), "transport error") == 0,
            "%s: close code %d, disconnect reason \"%s\" (socket.io: \"transport error\")",
            cases[i].what, code, lc_rec_reason(&rec, id));
    }
    lc_server_close(srv);
    lc_rec_free(&rec);
  }

  /* 3. accept after the client left */
  {
    sioc_server_t *srv = lc_server(NULL);
    sioc_nsp_t *p = sioc_server_of(srv, "/p");
    sioc_nsp_use(p, mw_hold, NULL);
    lc_client_t *c = lc_ws_open("leaver", NULL, NULL);
    lc_ws_text(c, "40/p,");
    LC_WAIT(pending != NULL, 2000);
    lc_close(c);
    LC_WAIT_STATS(srv, 0, 0, 0, 2000);
    int r = sioc_socket_accept(pending);
    CHECK(r == SIOC_ECLOSED, "accept after the client left: %s (header: SIOC_ECLOSED)",
          r ? sioc_err_name(r) : "0");
    sioc_socket_unref(pending);
    lc_server_close(srv);
  }

  lc_end();
  if (failures) FATAL("%d socket.io compatibility check(s) failed", failures);
  printf("ok test_server_compat\n");
  return 0;
}

/* client_quickstart.c - the C client quick start of README.md: connect,
 * print what the server sends, ask for an ack, leave.  Built by CMake as
 * sioc-client-quickstart.  Try it against build/sioc-echo-server. */
#include <signal.h>
#include <sioc.h>
#include <stdio.h>
#include <string.h>

static void on_ack(sioc_client_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *atts, size_t n, void *ud) {
  if (err) printf("no ack: %s\n", sioc_strerror(err));
  else printf("ack %.*s\n", (int)len, args);
  sioc_client_disconnect(s);   /* the last active socket: the connection closes */
}

static void on_event(sioc_client_t *s, const sioc_client_event_t *ev, void *ud) {
  switch (ev->kind) {
    case SIOC_CLIENT_CONNECT:
      printf("connected as %s\n", sioc_client_id(s));
    {
      static const char hello[] = "[\"hello\",{\"n\":1}]";   /* JSON array of args */
      sioc_client_emit(s, "message", hello, strlen(hello), NULL, 0, 0);
      sioc_client_emit_with_ack(s, "message-with-ack", "[42]", 4, NULL, 0, 0, 5000,
                                on_ack, NULL);
    }
      break;
    case SIOC_CLIENT_EVENT:
      printf("event %s %.*s\n", ev->event->name, (int)ev->event->args_len, ev->event->args);
      break;
    case SIOC_CLIENT_CONNECT_ERROR:
    case SIOC_CLIENT_DISCONNECT:
      printf("%s: %s\n", sioc_client_event_name(ev->kind, 0), ev->message);
      break;
    default:
      break;
  }
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);   /* a closed peer is an error code, not a signal */
  uv_loop_t *loop = uv_default_loop();
  sioc_client_options_t opts;
  sioc_client_options_init(&opts);   /* socket.io-client's defaults */
  sioc_client_t *socket;
  int r = sioc_client_new(loop, argc > 1 ? argv[1] : "http://127.0.0.1:3000", &opts, &socket);
  if (r) {
    fprintf(stderr, "sioc_client_new: %s\n", sioc_strerror(r));
    return 1;
  }
  static const char auth[] = "{\"token\":\"abc\"}";
  sioc_client_set_auth(socket, auth, strlen(auth));
  sioc_client_on(socket, on_event, NULL);
  sioc_client_connect(socket);
  uv_run(loop, UV_RUN_DEFAULT);   /* returns once the connection closed */
  sioc_manager_close(sioc_client_manager(socket), NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}

/* quickstart.c - the C quick start of README.md: a chat relay.  Built by
 * CMake as sioc-quickstart, so the README's code is known to compile. */
#include <signal.h>
#include <sioc.h>
#include <string.h>

static void on_event(sioc_socket_t *s, const sioc_event_t *ev, void *ud) {
  if (strcmp(ev->name, "chat") == 0) {   /* to everyone but the sender */
    const char *me[] = {sioc_socket_id(s)};
    sioc_target_t others = {.except_rooms = me, .n_except = 1};
    sioc_nsp_emit(sioc_socket_nsp(s), &others, "chat", ev->args, ev->args_len,
                  ev->attachments, ev->n_attachments);
  }
  if (ev->ack_id >= 0)                   /* the client asked for an ack */
    sioc_socket_ack(s, ev->ack_id, "[\"ok\"]", 6, NULL, 0);
}

static void on_connection(sioc_socket_t *s, void *ud) {
  sioc_socket_join(s, "lobby");
  sioc_socket_emit(s, "welcome", "[{\"id\":1}]", 10, NULL, 0);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);   /* see sioc.h: a reset peer must not kill us */
  uv_loop_t *loop = uv_default_loop();
  sioc_server_t *server;
  if (sioc_server_new(loop, NULL, &server) != 0) return 1;   /* socket.io's defaults */
  sioc_nsp_t *io = sioc_server_of(server, "/");
  sioc_nsp_on_connection(io, on_connection, NULL);
  sioc_nsp_on_event(io, on_event, NULL);
  if (sioc_server_listen(server, "127.0.0.1", 3000) != 0) return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}

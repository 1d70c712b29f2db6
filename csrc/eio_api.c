/* eio_api.c - the raw Engine.IO endpoint (what the engine.io npm package
 * offers): sessions with send/message/close and no Socket.IO layer.  A
 * sioc_eio_socket_t is the session itself. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct sioc_eio_socket_s {
  eio__session_t session;   /* never instantiated: the type is an alias */
};

static eio__session_t *sess(const sioc_eio_socket_t *s) {
  return (eio__session_t *)s;
}

static void raw_open(eio__session_t *s) {
  sioc_server_t *server = s->engine->server;
  if (server->eio_on_connection)
    server->eio_on_connection((sioc_eio_socket_t *)s, server->eio_user_data);
}

static void raw_message(eio__session_t *s, char *data, size_t len, int binary) {
  sioc_server_t *server = s->engine->server;
  if (server->eio_on_message)
    server->eio_on_message((sioc_eio_socket_t *)s, data, len, binary,
                           server->eio_user_data);
}

static void raw_close(eio__session_t *s, const char *reason) {
  sioc_server_t *server = s->engine->server;
  if (server->eio_on_close)
    server->eio_on_close((sioc_eio_socket_t *)s, reason, server->eio_user_data);
}

const eio__handler_t eio__raw_handler = {raw_open, raw_message, raw_close, NULL};

int sioc_server_on_eio(sioc_server_t *server, sioc_eio_connection_cb on_connection,
                       sioc_eio_message_cb on_message, sioc_eio_close_cb on_close,
                       void *user_data) {
  if (!server->eio_engine) {
    /* engine.io's default mount */
    server->eio_engine = malloc(sizeof(*server->eio_engine));
    if (!server->eio_engine) return SIOC_ENOMEM;
    eio__engine_init(server->eio_engine, server, "/engine.io/");
    server->eio_engine->handler = eio__raw_handler;
  }
  server->eio_on_connection = on_connection;
  server->eio_on_message = on_message;
  server->eio_on_close = on_close;
  server->eio_user_data = user_data;
  return 0;
}

const char *sioc_eio_socket_id(const sioc_eio_socket_t *s) { return sess(s)->sid; }

const sioc_handshake_t *sioc_eio_socket_handshake(const sioc_eio_socket_t *s) {
  return &sess(s)->hs;
}

int sioc_eio_socket_send(sioc_eio_socket_t *s, const void *data, size_t len,
                         int binary) {
  if (!data && len) return SIOC_EINVAL;
  sioc__rbuf_t *m = binary ? eio__msg_new(1, NULL, 0, data, len)
                           : eio__msg_new(0, "4", 1, data, len);
  if (!m) return SIOC_ENOMEM;
  int r = eio__session_send(sess(s), m);
  sioc__rbuf_unref(m);
  return r;
}

int sioc_eio_socket_close(sioc_eio_socket_t *s) {
  if (sess(s)->state != EIO_S_OPEN) return SIOC_ECLOSED;
  eio__session_shutdown(sess(s));
  return 0;
}

void sioc_eio_socket_set_data(sioc_eio_socket_t *s, void *data) { sess(s)->data = data; }
void *sioc_eio_socket_get_data(const sioc_eio_socket_t *s) { return sess(s)->data; }

/* sio_server.c - Socket.IO's server side of a connection ("Client" in
 * socket.io): one per Engine.IO session.  It decodes packets, reassembles
 * binary packets with their attachments, routes them to the socket of their
 * namespace, admits CONNECTs (namespaces, dynamic namespaces decided now or
 * later by the host, connect timeout) and turns session closes into socket
 * disconnects.
 *
 * A packet that does not decode closes the whole connection, as socket.io
 * does (its sockets see "forced close" ... via the engine).  A packet for a
 * namespace the client has not joined is ignored.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_text.h"
#include "sio.h"

/* ---- namespaces -------------------------------------------------------------- */

sioc_nsp_t *sioc_server_of(sioc_server_t *server, const char *name) {
  if (!name || name[0] != '/') return NULL;
  size_t len = strlen(name);
  sioc_nsp_t *nsp = sioc__strmap_get(&server->nsps, name, len);
  if (nsp) return nsp;
  nsp = calloc(1, sizeof(*nsp) + len + 1);
  if (!nsp) return NULL;
  memcpy(nsp->name, name, len + 1);
  nsp->name_len = len;
  nsp->refs = 1;
  nsp->server = server;
  sioc__list_init(&nsp->sockets);
  sioc__strmap_init(&nsp->by_id);
  sioc__list_init(&nsp->link);
  nsp->adapter = sio__memory_adapter_new(nsp);
  if (!nsp->adapter || sio__cluster_wrap(nsp) ||
      sioc__strmap_put(&server->nsps, nsp->name, len, nsp)) {
    if (nsp->adapter) nsp->adapter->ops->free(nsp->adapter);
    free(nsp);
    return NULL;
  }
  sioc__list_push_back(&server->nsp_list, &nsp->link);
  return nsp;
}

sioc_nsp_t *sioc_server_nsp(const sioc_server_t *server, const char *name) {
  if (!server || !name || name[0] != '/') return NULL;
  return sioc__strmap_get(&server->nsps, name, strlen(name));
}

void sioc_server_on_new_nsp(sioc_server_t *s, sioc_nsp_resolve_cb cb, void *data) {
  s->resolve_nsp = cb;
  s->resolve_nsp_data = data;
}

void sioc_server_on_new_nsp_async(sioc_server_t *s, sioc_nsp_request_cb cb, void *data) {
  s->resolve_nsp_async = cb;
  s->resolve_nsp_async_data = data;
}

const char *sioc_nsp_name(const sioc_nsp_t *nsp) { return nsp->name; }
sioc_server_t *sioc_nsp_server(const sioc_nsp_t *nsp) { return nsp->server; }
size_t sioc_nsp_socket_count(const sioc_nsp_t *nsp) { return nsp->n_sockets; }

sioc_socket_t *sioc_nsp_socket(const sioc_nsp_t *nsp, const char *id) {
  return sioc__strmap_get(&nsp->by_id, id, strlen(id));
}

void sioc_nsp_use(sioc_nsp_t *nsp, sioc_middleware_cb cb, void *data) {
  sio__middleware_t *m =
      realloc(nsp->middlewares, (nsp->n_middlewares + 1) * sizeof(*m));
  if (!m) return;
  m[nsp->n_middlewares].cb = cb;
  m[nsp->n_middlewares].data = data;
  nsp->middlewares = m;
  nsp->n_middlewares++;
}

void sioc_nsp_on_connection(sioc_nsp_t *nsp, sioc_connection_cb cb, void *data) {
  nsp->on_connection = cb;
  nsp->on_connection_data = data;
}
void sioc_nsp_on_event(sioc_nsp_t *nsp, sioc_event_cb cb, void *data) {
  nsp->on_event = cb;
  nsp->on_event_data = data;
}
void sioc_nsp_on_disconnecting(sioc_nsp_t *nsp, sioc_disconnect_cb cb, void *data) {
  nsp->on_disconnecting = cb;
  nsp->on_disconnecting_data = data;
}
void sioc_nsp_on_disconnect(sioc_nsp_t *nsp, sioc_disconnect_cb cb, void *data) {
  nsp->on_disconnect = cb;
  nsp->on_disconnect_data = data;
}
void sioc_nsp_on_pending_close(sioc_nsp_t *nsp, sioc_disconnect_cb cb, void *data) {
  nsp->on_pending_close = cb;
  nsp->on_pending_close_data = data;
}

void sioc_nsp_on_upgrade(sioc_nsp_t *nsp, sioc_upgrade_cb cb, void *data) {
  nsp->on_upgrade = cb;
  nsp->on_upgrade_data = data;
}
void sioc_nsp_on_error(sioc_nsp_t *nsp, sioc_error_cb cb, void *data) {
  nsp->on_error = cb;
  nsp->on_error_data = data;
}

void sio__nsp_unref(sioc_nsp_t *nsp) {
  if (--nsp->refs) return;
  nsp->adapter->ops->free(nsp->adapter);
  sioc__strmap_free(&nsp->by_id);
  free(nsp->middlewares);
  free(nsp);
}

int sioc_nsp_free(sioc_nsp_t *nsp) {
  if (!nsp || (nsp->name_len == 1 && nsp->name[0] == '/')) return SIOC_EINVAL;
  if (nsp->n_sockets || nsp->n_pending) return SIOC_EBUSY;
  sioc__strmap_del(&nsp->server->nsps, nsp->name, nsp->name_len);
  sioc__list_remove(&nsp->link);
  sio__nsp_unref(nsp);
  return 0;
}

void sio__server_close_all(sioc_server_t *s) {
  sio__cluster_close(s);
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &s->nsp_list) {
    sioc_nsp_t *nsp = SIOC_CONTAINER_OF(it, sioc_nsp_t, link);
    /* Each onclose removes its socket; a disconnect callback may remove
     * others too, so the list is read again every time. */
    while (!sioc__list_empty(&nsp->sockets))
      sio__socket_onclose(SIOC_CONTAINER_OF(nsp->sockets.next, sioc_socket_t, nsp_link),
                          "server shutting down");
  }
}

void sio__server_free(sioc_server_t *s) {
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &s->nsp_list) {
    sioc_nsp_t *nsp = SIOC_CONTAINER_OF(it, sioc_nsp_t, link);
    sioc__list_remove(&nsp->link);
    sio__nsp_unref(nsp);   /* sockets a host still holds keep theirs */
  }
  sio__cluster_server_gone(s);
  sioc__strmap_free(&s->nsps);
}

/* ---- sending ------------------------------------------------------------------ */

sio__checked_t sio__checked_args_set(sioc_server_t *s, const char *args, size_t len) {
  sio__checked_t prev = {s->checked_args, s->checked_args_len};
  s->checked_args = args;
  s->checked_args_len = len;
  return prev;
}

void sio__checked_args_restore(sioc_server_t *s, sio__checked_t prev) {
  s->checked_args = prev.args;
  s->checked_args_len = prev.len;
}

sioc__sbuf_t *sio__tx_begin(sioc_server_t *s) {
  s->tx.len = 0;
  return &s->tx;
}

void sio__tx_done(sioc_server_t *s) {
  if (s->tx.cap > SIOC_READ_BUF_SIZE) sioc__sbuf_reset(&s->tx);
}

int sio__client_send_text(sio__client_t *c, const char *text, size_t len) {
  if (!c || !c->session) return SIOC_ECLOSED;
  sioc__rbuf_t *m = eio__msg_new(0, "4", 1, text, len);
  if (!m) return SIOC_ENOMEM;
  int r = eio__session_send(c->session, m);
  sioc__rbuf_unref(m);
  return r;
}

/* ---- the client ------------------------------------------------------------------ */

/* A CONNECT the host answers later (sioc_server_on_new_nsp_async).  It
 * lives from the question to the answer, linked to its client until the
 * client goes. */
struct sioc_nsp_request_s {
  sioc__list_t link;             /* client->nsp_requests */
  sio__client_t *client;         /* NULL once the client went away */
  char *auth;
  size_t auth_len;
  char name[];
};

static void on_timer_closed(uv_handle_t *h) {
  sioc_server_t *s = h->data;
  free(h);
  sioc__server_handle_closed(s);
}

static void stop_connect_timer(sio__client_t *c) {
  if (!c->connect_timer) return;
  c->connect_timer->data = c->server;
  uv_close((uv_handle_t *)c->connect_timer, on_timer_closed);
  c->connect_timer = NULL;
}

static void drop_pending(sio__client_t *c) {
  free(c->pending);
  c->pending = NULL;
  for (size_t i = 0; i < c->n_attachments; i++) free((void *)c->attachments[i].data);
  free(c->attachments);
  c->attachments = NULL;
  c->n_attachments = c->want_attachments = 0;
}

static void on_connect_timeout(uv_timer_t *t) {
  sio__client_t *c = t->data;
  stop_connect_timer(c);
  if (sioc__list_empty(&c->sockets) && c->session)
    eio__session_shutdown(c->session);
}

static void client_open(eio__session_t *session) {
  sioc_server_t *server = session->engine->server;
  sio__client_t *c = calloc(1, sizeof(*c));
  if (!c) {
    eio__session_close(session, "transport error");
    return;
  }
  c->session = session;
  c->server = server;
  sioc__list_init(&c->sockets);
  sioc__list_init(&c->nsp_requests);
  sioc__sbuf_init(&c->scratch);
  session->data = c;
  uint32_t ms = server->opts.connect_timeout_ms;
  if (ms) {
    c->connect_timer = malloc(sizeof(uv_timer_t));
    if (c->connect_timer) {
      uv_timer_init(server->loop, c->connect_timer);
      server->live_handles++;
      c->connect_timer->data = c;
      uv_timer_start(c->connect_timer, on_connect_timeout, ms, 0);
    }
  }
}

static void client_close(eio__session_t *session, const char *reason) {
  sio__client_t *c = session->data;
  if (!c) return;
  c->session = NULL;
  stop_connect_timer(c);
  /* A disconnect callback may close the server, which closes this
   * client's other sockets: the list is read again after each one. */
  while (!sioc__list_empty(&c->sockets))
    sio__socket_onclose(SIOC_CONTAINER_OF(c->sockets.next, sioc_socket_t, client_link),
                        reason);
  /* CONNECTs the host still decides on: their answer finds no client. */
  while (!sioc__list_empty(&c->nsp_requests)) {
    sioc_nsp_request_t *r =
        SIOC_CONTAINER_OF(c->nsp_requests.next, sioc_nsp_request_t, link);
    sioc__list_remove(&r->link);
    r->client = NULL;
  }
  drop_pending(c);
  sioc__sbuf_reset(&c->scratch);
  session->data = NULL;
  free(c);
}

static sioc_socket_t *find_socket(sio__client_t *c, const char *nsp, size_t len) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->sockets) {
    sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, client_link);
    if (s->nsp->name_len == len && memcmp(s->nsp->name, nsp, len) == 0) return s;
  }
  return NULL;
}

static void connect_error(sio__client_t *c, const char *nsp, size_t nsp_len,
                          const char *message) {
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  if (sio__encode_connect_error(&b, nsp, nsp_len, message, NULL, 0) == 0)
    sio__client_send_text(c, b.data, b.len);
  sioc__sbuf_reset(&b);
}

/* The namespace is known: the socket is made and meets the middlewares. */
static void connect_to(sio__client_t *c, sioc_nsp_t *nsp, const char *auth,
                       size_t auth_len) {
  stop_connect_timer(c);
  sioc_socket_t *s = sio__socket_new(nsp, c, auth, auth_len);
  if (!s) {
    eio__session_close(c->session, "transport error");
    return;
  }
  sio__socket_run_middlewares(s);
}

/* Asks the host about an unknown namespace; the CONNECT waits. */
static void ask_host(sio__client_t *c, const char *name, size_t name_len,
                     const char *auth, size_t auth_len) {
  sioc_server_t *server = c->server;
  sioc_nsp_request_t *r = malloc(sizeof(*r) + name_len + 1);
  char *a = r ? malloc(auth_len + 1) : NULL;
  if (!a) {
    free(r);
    eio__session_close(c->session, "transport error");
    return;
  }
  memcpy(r->name, name, name_len + 1);
  memcpy(a, auth, auth_len);
  a[auth_len] = '\0';
  r->auth = a;
  r->auth_len = auth_len;
  r->client = c;
  sioc__list_push_back(&c->nsp_requests, &r->link);
  /* The callback may answer at once, close the connection or the server. */
  server->resolve_nsp_async(server, r, r->name, r->auth, r->auth_len,
                            server->resolve_nsp_async_data);
}

int sioc_nsp_request_answer(sioc_nsp_request_t *r, sioc_nsp_t *nsp) {
  if (!r) return SIOC_EINVAL;
  sio__client_t *c = r->client;
  int rc = 0;
  if (c) sioc__list_remove(&r->link);
  if (!c || !c->session || c->session->state != EIO_S_OPEN) {
    rc = SIOC_ECLOSED;
  } else if (nsp && nsp->server != c->server) {
    rc = SIOC_EINVAL;
  } else if (!nsp) {
    connect_error(c, r->name, strlen(r->name), "Invalid namespace");
  } else {
    connect_to(c, nsp, r->auth, r->auth_len);
  }
  free(r->auth);
  free(r);
  return rc;
}

static void on_connect(sio__client_t *c, sio__packet_t *p) {
  sioc_server_t *server = c->server;
  char name[256];
  if (p->nsp_len >= sizeof(name)) {
    connect_error(c, p->nsp, p->nsp_len, "Invalid namespace");
    return;
  }
  memcpy(name, p->nsp, p->nsp_len);
  name[p->nsp_len] = '\0';
  const char *auth = p->data_len ? p->data : "{}";
  size_t auth_len = p->data_len ? p->data_len : 2;
  sioc_nsp_t *nsp = sioc__strmap_get(&server->nsps, p->nsp, p->nsp_len);
  if (!nsp && server->resolve_nsp_async) {
    ask_host(c, name, p->nsp_len, auth, auth_len);
    return;
  }
  if (!nsp && server->resolve_nsp) {
    /* The host's callback may close this connection or the server (which
     * frees c); the session's memory lasts until a later loop turn. */
    eio__session_t *session = c->session;
    nsp = server->resolve_nsp(server, name, server->resolve_nsp_data);
    if (session->data != c || session->state != EIO_S_OPEN) return;
  }
  if (!nsp) {
    connect_error(c, p->nsp, p->nsp_len, "Invalid namespace");
    return;
  }
  connect_to(c, nsp, auth, auth_len);
}

/* socket.io's Client.close(): the sockets leave with "forced server close"
 * and the connection closes. */
static void client_force_close(sio__client_t *c) {
  eio__session_t *session = c->session;
  /* A disconnect callback may close the server and so free c: the session
   * (freed on a later loop turn) tells whether c still exists. */
  while (session->data == c && !sioc__list_empty(&c->sockets))
    sio__socket_onclose(SIOC_CONTAINER_OF(c->sockets.next, sioc_socket_t, client_link),
                        "forced server close");
  if (session->data == c) eio__session_shutdown(session);
}

static void dispatch(sio__client_t *c, sio__packet_t *p, const sioc_bin_t *atts,
                     size_t n_atts) {
  sioc_socket_t *s = find_socket(c, p->nsp, p->nsp_len);
  if (!s && p->type == SIO_CONNECT) {
    on_connect(c, p);
    return;
  }
  if (!s || p->type == SIO_CONNECT || p->type == SIO_CONNECT_ERROR) {
    /* socket.io: "invalid state" closes the connection */
    client_force_close(c);
    return;
  }
  if (s->state != SOCK_CONNECTED) return;   /* still in its middlewares */
  switch (p->type) {
    case SIO_EVENT:
    case SIO_BINARY_EVENT: {
      if (p->data_len == 0) return;   /* no name: nothing to emit */
      sio__event_t ev;
      sioc__sbuf_reset(&c->scratch);
      if (sio__event_split(p->data, p->data_len, &c->scratch, &ev) != 0) {
        eio__session_shutdown(c->session);
        return;
      }
      if (s->nsp->on_event) {
        sioc_event_t e = {ev.name, ev.name_len, ev.args, ev.args_len,
                          atts, n_atts, p->id};
        sioc_server_t *server = c->server;
        sio__checked_t prev = sio__checked_args_set(server, ev.args, ev.args_len);
        sioc_socket_ref(s);
        s->nsp->on_event(s, &e, s->nsp->on_event_data);
        sioc_socket_unref(s);
        sio__checked_args_restore(server, prev);
      }
      break;
    }
    case SIO_ACK:
    case SIO_BINARY_ACK: {
      sioc_server_t *server = c->server;
      sio__checked_t prev = sio__checked_args_set(server, p->data, p->data_len);
      sio__socket_on_ack(s, p->id, p->data, p->data_len, atts, n_atts);
      sio__checked_args_restore(server, prev);
      break;
    }
    case SIO_DISCONNECT:
      sio__socket_onclose(s, "client namespace disconnect");
      break;
    default:
      break;
  }
}

/* socket.io-parser's reconstructPacket: every {"_placeholder":true,...}
 * must name an attachment that exists ("illegal attachments" otherwise). */
static int placeholders_ok(const cJSON *v, size_t n) {
  if (cJSON_IsObject(v)) {
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(v, "_placeholder");
    if (cJSON_IsTrue(ph)) {
      const cJSON *num = cJSON_GetObjectItemCaseSensitive(v, "num");
      return cJSON_IsNumber(num) && num->valuedouble >= 0 &&
             num->valuedouble < (double)n &&
             num->valuedouble == (double)(size_t)num->valuedouble;
    }
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    if (!placeholders_ok(it, n)) return 0;
  }
  return 1;
}

static int placeholders_valid(const char *data, size_t len, size_t n) {
  cJSON *root = cJSON_ParseWithLength(data, len);
  if (!root) return 0;
  int ok = placeholders_ok(root, n);
  cJSON_Delete(root);
  return ok;
}

static void client_error(eio__session_t *session, sio__client_t *c, const char *message);

static void client_message(eio__session_t *session, char *data, size_t len,
                           int binary) {
  sio__client_t *c = session->data;
  if (!c) return;
  const sioc_server_options_t *o = &c->server->opts;
  if (binary) {
    if (!c->want_attachments) {
      /* An attachment nobody announced. */
      client_error(session, c, "got binary data when not reconstructing a packet");
      return;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
      eio__session_close(session, "transport error");
      return;
    }
    memcpy(copy, data, len);
    c->attachments[c->n_attachments].data = copy;
    c->attachments[c->n_attachments].len = len;
    if (++c->n_attachments < c->want_attachments) return;
    sio__packet_t p;
    if (sio__packet_decode(c->pending, c->pending_len, o->max_attachments, &p) != 0 ||
        !placeholders_valid(p.data, p.data_len, c->n_attachments)) {
      drop_pending(c);
      client_error(session, c, "illegal attachments");
      return;
    }
    dispatch(c, &p, c->attachments, c->n_attachments);
    if (session->data == c) drop_pending(c);
    return;
  }
  if (c->want_attachments) {
    client_error(session, c, "got plaintext data when reconstructing a packet");
    return;
  }
  sio__packet_t p;
  if (sio__packet_decode(data, len, o->max_attachments, &p) != 0) {
    client_error(session, c, sio__packet_error_message(data, len, o->max_attachments));
    return;
  }
  if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
    /* Keep the text (decoded again when complete) and wait. */
    c->pending = malloc(len + 1);
    c->attachments = calloc(p.attachments, sizeof(sioc_bin_t));
    if (!c->pending || !c->attachments) {
      drop_pending(c);
      eio__session_close(session, "transport error");
      return;
    }
    memcpy(c->pending, data, len);
    c->pending[len] = '\0';
    c->pending_len = len;
    c->want_attachments = p.attachments;
    return;
  }
  dispatch(c, &p, NULL, 0);
}

/* Tells each connected socket of c's connection (upgrade, or an error when
 * message is set).  The sockets are taken (with a reference) before the
 * first callback, which may disconnect any of them or close the server. */
static void notify_sockets(sio__client_t *c, const char *message) {
  size_t n = 0, i = 0;
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->sockets) n++;
  if (!n) return;
  sioc_socket_t **v = malloc(n * sizeof(*v));
  if (!v) return;
  SIOC_LIST_FOREACH(it, &c->sockets) {
    sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, client_link);
    v[i++] = sioc_socket_ref(s);
  }
  for (i = 0; i < n; i++) {
    sioc_socket_t *s = v[i];
    sioc_nsp_t *nsp = s->nsp;
    if (s->state == SOCK_CONNECTED) {
      if (!message && nsp->on_upgrade) nsp->on_upgrade(s, nsp->on_upgrade_data);
      if (message && nsp->on_error) nsp->on_error(s, message, nsp->on_error_data);
    }
    sioc_socket_unref(s);
  }
  free(v);
}

/* The transport is WebSocket now: each connected socket's namespace hears it. */
static void client_upgrade(eio__session_t *session) {
  sio__client_t *c = session->data;
  if (c) notify_sockets(c, NULL);
}

/* socket.io's Client.onerror: every socket hears the decoder's message, then
 * the connection closes (unless a callback already closed it). */
static void client_error(eio__session_t *session, sio__client_t *c, const char *message) {
  notify_sockets(c, message);
  if (session->data == c) eio__session_shutdown(session);
}

const eio__handler_t sio__engine_handler = {client_open, client_message, client_close,
                                            client_upgrade};

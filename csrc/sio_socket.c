/* sio_socket.c - a Socket.IO socket: admission through middlewares,
 * emitting, acknowledgements in both directions, rooms and disconnection.
 *
 * Acks the server asked for are kept on the socket until answered, timed
 * out or the socket disconnected; every one of them completes exactly once.
 */
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "sio.h"

sioc_socket_t *sio__socket_new(sioc_nsp_t *nsp, sio__client_t *client,
                               const char *auth, size_t auth_len) {
  sioc_socket_t *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->auth = malloc(auth_len + 1);
  if (!s->auth || eio__gen_id(s->id) != 0) {
    free(s->auth);
    free(s);
    return NULL;
  }
  memcpy(s->auth, auth, auth_len);
  s->auth[auth_len] = '\0';
  s->auth_len = auth_len;
  s->refs = 1;   /* held by the client while pending or connected */
  s->nsp = nsp;
  nsp->refs++;
  nsp->n_pending++;
  s->client = client;
  s->state = SOCK_PENDING;
  sioc__list_init(&s->nsp_link);
  sioc__list_init(&s->rooms);
  sioc__list_init(&s->acks);
  sioc__list_push_back(&client->sockets, &s->client_link);
  return s;
}

sioc_socket_t *sioc_socket_ref(sioc_socket_t *s) {
  s->refs++;
  return s;
}

void sioc_socket_unref(sioc_socket_t *s) {
  if (--s->refs) return;
  sio__nsp_unref(s->nsp);
  free(s->auth);
  free(s);
}

const char *sioc_socket_id(const sioc_socket_t *s) { return s->id; }
sioc_nsp_t *sioc_socket_nsp(const sioc_socket_t *s) { return s->nsp; }
int sioc_socket_connected(const sioc_socket_t *s) { return s->state == SOCK_CONNECTED; }
void sioc_socket_set_data(sioc_socket_t *s, void *data) { s->data = data; }
void *sioc_socket_get_data(const sioc_socket_t *s) { return s->data; }

const char *sioc_socket_auth(const sioc_socket_t *s, size_t *len) {
  if (len) *len = s->auth_len;
  return s->auth;
}

const sioc_handshake_t *sioc_socket_handshake(const sioc_socket_t *s) {
  return s->client && s->client->session ? &s->client->session->hs : NULL;
}

const char *sioc_socket_transport(const sioc_socket_t *s) {
  return s->client && s->client->session
             ? eio__session_transport_name(s->client->session)
             : "";
}

/* ---- admission ---------------------------------------------------------------- */

static void send_packet_text(sioc_socket_t *s, sioc__sbuf_t *b) {
  sio__client_send_text(s->client, b->data, b->len);
  sioc__sbuf_reset(b);
}

static void connected(sioc_socket_t *s) {
  sioc_nsp_t *nsp = s->nsp;
  s->state = SOCK_CONNECTED;
  nsp->n_pending--;
  if (sioc__strmap_put(&nsp->by_id, s->id, strlen(s->id), s) ||
      nsp->adapter->ops->join(nsp->adapter, s, s->id, strlen(s->id))) {
    sioc__strmap_del(&nsp->by_id, s->id, strlen(s->id));
    s->state = SOCK_PENDING;
    nsp->n_pending++;
    sio__socket_onclose(s, "transport error");
    return;
  }
  sioc__list_push_back(&nsp->sockets, &s->nsp_link);
  nsp->n_sockets++;
  nsp->server->n_sockets++;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  if (sio__packet_encode_header(&b, SIO_CONNECT, 0, nsp->name, nsp->name_len, -1) ||
      sioc__sbuf_appends(&b, "{\"sid\":\"") || sioc__sbuf_appends(&b, s->id) ||
      sioc__sbuf_appends(&b, "\"}")) {
    sioc__sbuf_reset(&b);
    return;
  }
  send_packet_text(s, &b);
  if (nsp->on_connection) {
    sioc_socket_ref(s);
    nsp->on_connection(s, nsp->on_connection_data);
    sioc_socket_unref(s);
  }
}

void sio__socket_run_middlewares(sioc_socket_t *s) {
  sioc_nsp_t *nsp = s->nsp;
  sioc_socket_ref(s);
  while (s->state == SOCK_PENDING && !s->decided && s->client) {
    size_t idx = s->next_middleware;
    if (idx >= nsp->n_middlewares) {
      s->decided = 1;
      connected(s);
      break;
    }
    s->in_middleware = 1;
    nsp->middlewares[idx].cb(s, s->auth, s->auth_len, nsp->middlewares[idx].data);
    s->in_middleware = 0;
    /* Not decided yet: the middleware answers later through
     * sioc_socket_accept(), which resumes the chain. */
    if (s->next_middleware == idx) break;
  }
  sioc_socket_unref(s);
}

int sioc_socket_accept(sioc_socket_t *s) {
  if (s->decided || s->state == SOCK_CONNECTED) return SIOC_EBUSY;
  if (s->state == SOCK_DISCONNECTED) {
    s->decided = 1;   /* the one decision, answered: the client left */
    return SIOC_ECLOSED;
  }
  s->next_middleware++;
  if (!s->in_middleware) sio__socket_run_middlewares(s);
  return 0;
}



int sioc_socket_reject(sioc_socket_t *s, const char *message,
                       const char *data_json, size_t data_len) {
  if (s->decided || s->state == SOCK_CONNECTED) return SIOC_EBUSY;
  if (s->state == SOCK_DISCONNECTED) {
    s->decided = 1;   /* the one decision, answered: the client left */
    return SIOC_ECLOSED;
  }
  if (!message) return SIOC_EINVAL;
  if (data_json && sioc__json_check(data_json, data_len) < 0) return SIOC_EJSON;
  s->decided = 1;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  if (s->client &&
      sio__encode_connect_error(&b, s->nsp->name, s->nsp->name_len, message,
                                data_json, data_len) == 0)
    send_packet_text(s, &b);
  sioc__sbuf_reset(&b);
  sio__socket_onclose(s, "server namespace disconnect");
  return 0;
}


/* ---- acknowledgements ------------------------------------------------------------ */

struct sio__bcast_ack_s {
  sioc_nsp_t *nsp;
  size_t expected;               /* local clients sent the packet (still here) */
  size_t received;               /* their answers */
  size_t n_responses;            /* answers in `responses`, local and remote */
  int sealed;                    /* every target has been sent the packet */
  int timed_out;
  /* cluster: other servers take part (sio__bcast_ack_cluster_*) */
  int cluster;
  long servers_expected;         /* other servers; -1 until known */
  size_t servers_reported;       /* client counts received */
  size_t remote_expected;        /* their clients */
  size_t remote_received;        /* their clients' answers */
  void (*on_done)(void *);       /* the adapter forgets it */
  void *done_data;
  sioc__sbuf_t responses;        /* "[r1,r2" ... closed on completion */
  uv_timer_t *timer;
  sioc_bcast_ack_cb cb;
  void *data;
};

static void timer_closed(uv_handle_t *h) {
  sioc_server_t *server = h->data;
  free(h);
  sioc__server_handle_closed(server);
}

static void close_timer(sioc_server_t *server, uv_timer_t **t) {
  if (!*t) return;
  (*t)->data = server;
  uv_close((uv_handle_t *)*t, timer_closed);
  *t = NULL;
}

/* Every server that takes part reported its client count and every
 * client it counted answered. */
static int cluster_complete(const sio__bcast_ack_t *b) {
  return !b->cluster ||
         (b->servers_expected >= 0 && b->servers_reported >= (size_t)b->servers_expected &&
          b->remote_received >= b->remote_expected);
}

/* Completes b (and frees it) once every answer is in or it timed out.  A
 * completion that did not time out leaves no local ack pointing at b:
 * local answers are counted apart from remote ones. */
static void bcast_ack_maybe_done(sio__bcast_ack_t *b) {
  if (!b->sealed || (!b->timed_out && (b->received < b->expected || !cluster_complete(b))))
    return;
  close_timer(b->nsp->server, &b->timer);
  if (b->on_done) b->on_done(b->done_data);
  if (!b->n_responses) sioc__sbuf_appendc(&b->responses, '[');
  sioc__sbuf_appendc(&b->responses, ']');
  b->cb(b->nsp, b->timed_out ? SIOC_ETIMEDOUT : 0,
        b->responses.data ? b->responses.data : "[]",
        b->responses.data ? b->responses.len : 2, b->data);
  sioc__sbuf_reset(&b->responses);
  free(b);
}

static void bcast_ack_add(sio__bcast_ack_t *b, const char *json, size_t len) {
  sioc__sbuf_appendc(&b->responses, b->n_responses ? ',' : '[');
  if (json && len) sioc__sbuf_append(&b->responses, json, len);
  else sioc__sbuf_appends(&b->responses, "null");
  b->n_responses++;
}

/* The first element of a JSON array text, or NULL/0 when empty. */
static const char *first_arg(const char *args, size_t len, size_t *out_len) {
  size_t i = 1;
  while (i < len && (args[i] == ' ' || args[i] == '\t' || args[i] == '\n' || args[i] == '\r')) i++;
  if (i >= len || args[i] == ']') return NULL;
  *out_len = sioc__json_value_len(args + i, len - i);
  return args + i;
}

static void bcast_ack_response(sio__bcast_ack_t *b, const char *args, size_t len) {
  size_t fl = 0;
  const char *f = args ? first_arg(args, len, &fl) : NULL;
  bcast_ack_add(b, f, fl);
  b->received++;
}

static void ack_free(sio__ack_t *a);

/* Ends b now as timed out, forgetting the acks still pending on sockets. */
static void bcast_ack_time_out(sio__bcast_ack_t *b) {
  b->timed_out = 1;
  sioc__list_t *it, *tmp, *ai, *atmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &b->nsp->sockets) {
    sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, nsp_link);
    SIOC_LIST_FOREACH_SAFE(ai, atmp, &s->acks) {
      sio__ack_t *a = SIOC_CONTAINER_OF(ai, sio__ack_t, link);
      if (a->bcast == b) {
        a->bcast = NULL;
        ack_free(a);
      }
    }
  }
  bcast_ack_maybe_done(b);
}

void sio__bcast_ack_cluster_start(sio__bcast_ack_t *b, void (*on_done)(void *), void *data) {
  b->cluster = 1;
  b->servers_expected = -1;
  b->on_done = on_done;
  b->done_data = data;
}

void sio__bcast_ack_cluster_servers(sio__bcast_ack_t *b, size_t n) {
  if (b->servers_expected < 0) b->servers_expected = (long)n;
  bcast_ack_maybe_done(b);
}

void sio__bcast_ack_cluster_count(sio__bcast_ack_t *b, size_t clients) {
  b->servers_reported++;
  b->remote_expected += clients;
  bcast_ack_maybe_done(b);
}

void sio__bcast_ack_cluster_answer(sio__bcast_ack_t *b, const char *json, size_t len) {
  if (b->remote_received >= b->remote_expected) return;   /* not announced */
  bcast_ack_add(b, json, len);
  b->remote_received++;
  bcast_ack_maybe_done(b);
}

void sio__bcast_ack_cluster_time_out(sio__bcast_ack_t *b) {
  bcast_ack_time_out(b);
}

static void ack_free(sio__ack_t *a) {
  sioc__list_remove(&a->link);
  if (a->socket->nsp) close_timer(a->socket->nsp->server, &a->timer);
  free(a);
}

/* Completes an ack: err 0 with args, or an error. */
static void ack_complete(sio__ack_t *a, int err, const char *args, size_t len,
                         const sioc_bin_t *atts, size_t n) {
  sioc_socket_t *s = a->socket;
  sio__bcast_ack_t *b = a->bcast;
  sioc_ack_cb cb = a->cb;
  void *data = a->data;
  ack_free(a);
  if (b) {
    if (!err) bcast_ack_response(b, args, len);
    else b->expected--;   /* a client that left is not waited for */
    bcast_ack_maybe_done(b);
  } else if (cb) {
    cb(s, err, args, len, atts, n, data);
  }
}

static void on_ack_timeout(uv_timer_t *t) {
  sio__ack_t *a = t->data;
  ack_complete(a, SIOC_ETIMEDOUT, NULL, 0, NULL, 0);
}

int sio__register_ack(sioc_socket_t *s, sioc_ack_cb cb, void *data,
                      sio__bcast_ack_t *bcast, uint32_t timeout_ms,
                      int64_t *id_out) {
  sio__ack_t *a = calloc(1, sizeof(*a));
  if (!a) return SIOC_ENOMEM;
  a->id = s->next_ack_id++;
  a->socket = s;
  a->cb = cb;
  a->data = data;
  a->bcast = bcast;
  if (timeout_ms && !bcast) {
    a->timer = malloc(sizeof(uv_timer_t));
    if (!a->timer) {
      free(a);
      return SIOC_ENOMEM;
    }
    uv_timer_init(s->nsp->server->loop, a->timer);
    s->nsp->server->live_handles++;
    a->timer->data = a;
    uv_timer_start(a->timer, on_ack_timeout, timeout_ms, 0);
  }
  sioc__list_push_back(&s->acks, &a->link);
  *id_out = a->id;
  return 0;
}

void sio__socket_on_ack(sioc_socket_t *s, int64_t id, const char *args,
                        size_t len, const sioc_bin_t *atts, size_t n) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &s->acks) {
    sio__ack_t *a = SIOC_CONTAINER_OF(it, sio__ack_t, link);
    if (a->id == id) {
      ack_complete(a, 0, args, len, atts, n);
      return;
    }
  }
}

/* ---- emitting ------------------------------------------------------------------- */

int sio__encode_event_msgs(const sioc_nsp_t *nsp, const char *event,
                           const char *args, size_t args_len,
                           const sioc_bin_t *atts, size_t n_atts, int64_t id,
                           sioc__rbuf_t **msgs) {
  sioc__sbuf_t *b = sio__tx_begin(nsp->server);
  int r = sio__encode_event(b, nsp->name, nsp->name_len, id, event,
                            strlen(event), args, args_len, n_atts);
  msgs[0] = r ? NULL : eio__msg_new(0, "4", 1, b->data, b->len);
  sio__tx_done(nsp->server);
  if (r) return r;
  if (!msgs[0]) return SIOC_ENOMEM;
  for (size_t i = 0; i < n_atts; i++) {
    msgs[i + 1] = eio__msg_new(1, NULL, 0, (const char *)atts[i].data, atts[i].len);
    if (!msgs[i + 1]) {
      for (size_t j = 0; j <= i; j++) sioc__rbuf_unref(msgs[j]);
      return SIOC_ENOMEM;
    }
  }
  return 0;
}

int sio__socket_send_msgs(sioc_socket_t *s, sioc__rbuf_t **msgs, size_t n,
                          int volatile_) {
  if (s->state != SOCK_CONNECTED || !s->client || !s->client->session)
    return SIOC_ECLOSED;
  eio__session_t *session = s->client->session;
  if (volatile_ && !eio__session_writable(session)) return 0;
  for (size_t i = 0; i < n; i++) {
    int r = eio__session_send(session, msgs[i]);
    if (r) return r;
  }
  return 0;
}

/* args must be a JSON array text; the arguments of the event being handled
 * (checked on receipt) pass without a second scan.  server may be NULL
 * (a disconnected socket may have outlived it). */
static int check_array(const sioc_server_t *server, const char *args, size_t len) {
  if (server && args == server->checked_args && len == server->checked_args_len) return 0;
  return sioc__json_check(args, len) == SIOC_JSON_ARRAY ? 0 : SIOC_EJSON;
}

static const sioc_server_t *live_server(const sioc_socket_t *s) {
  return s->state == SOCK_CONNECTED ? s->nsp->server : NULL;
}

static int check_args(const sioc_server_t *server, const char *event, const char *args,
                      size_t len, const sioc_bin_t *atts, size_t n_atts) {
  if (!event || (n_atts && !atts)) return SIOC_EINVAL;
  if (!args) return SIOC_EINVAL;
  return check_array(server, args, len);
}

#define MAX_STACK_MSGS 17

static int emit_common(sioc_socket_t *s, const char *event, const char *args,
                       size_t len, const sioc_bin_t *atts, size_t n_atts,
                       int64_t id) {
  sioc__rbuf_t *stack[MAX_STACK_MSGS];
  sioc__rbuf_t **msgs = n_atts + 1 <= MAX_STACK_MSGS ? stack : malloc((n_atts + 1) * sizeof(*msgs));
  if (!msgs) return SIOC_ENOMEM;
  int r = sio__encode_event_msgs(s->nsp, event, args, len, atts, n_atts, id, msgs);
  if (r == 0) {
    r = sio__socket_send_msgs(s, msgs, n_atts + 1, 0);
    for (size_t i = 0; i <= n_atts; i++) sioc__rbuf_unref(msgs[i]);
  }
  if (msgs != stack) free(msgs);
  return r;
}

int sioc_socket_emit(sioc_socket_t *s, const char *event, const char *args,
                     size_t len, const sioc_bin_t *atts, size_t n_atts) {
  int r = check_args(live_server(s), event, args, len, atts, n_atts);
  if (r) return r;
  if (s->state != SOCK_CONNECTED) return SIOC_ECLOSED;
  return emit_common(s, event, args, len, atts, n_atts, -1);
}

int sioc_socket_emit_with_ack(sioc_socket_t *s, const char *event,
                              const char *args, size_t len,
                              const sioc_bin_t *atts, size_t n_atts,
                              uint32_t timeout_ms, sioc_ack_cb cb, void *data) {
  int r = check_args(live_server(s), event, args, len, atts, n_atts);
  if (r) return r;
  if (!cb) return SIOC_EINVAL;
  if (s->state != SOCK_CONNECTED) return SIOC_ECLOSED;
  int64_t id;
  if ((r = sio__register_ack(s, cb, data, NULL, timeout_ms, &id))) return r;
  r = emit_common(s, event, args, len, atts, n_atts, id);
  if (r) {
    sioc__list_t *it;
    SIOC_LIST_FOREACH(it, &s->acks) {
      sio__ack_t *a = SIOC_CONTAINER_OF(it, sio__ack_t, link);
      if (a->id == id) {
        ack_free(a);
        break;
      }
    }
  }
  return r;
}

int sioc_socket_ack(sioc_socket_t *s, int64_t ack_id, const char *args,
                    size_t len, const sioc_bin_t *atts, size_t n_atts) {
  if (ack_id < 0 || !args || (n_atts && !atts)) return SIOC_EINVAL;
  if (check_array(live_server(s), args, len)) return SIOC_EJSON;
  if (s->state != SOCK_CONNECTED) return SIOC_ECLOSED;
  sioc_server_t *server = s->nsp->server;
  sioc__sbuf_t *b = sio__tx_begin(server);
  int r = sio__encode_ack(b, s->nsp->name, s->nsp->name_len, ack_id, args, len, n_atts);
  sioc__rbuf_t *m = r ? NULL : eio__msg_new(0, "4", 1, b->data, b->len);
  sio__tx_done(server);
  if (r) return r;
  if (!m) return SIOC_ENOMEM;
  r = s->client && s->client->session ? eio__session_send(s->client->session, m)
                                      : SIOC_ECLOSED;
  sioc__rbuf_unref(m);
  for (size_t i = 0; r == 0 && i < n_atts; i++) {
    sioc__rbuf_t *a = eio__msg_new(1, NULL, 0, (const char *)atts[i].data, atts[i].len);
    if (!a) return SIOC_ENOMEM;
    r = eio__session_send(s->client->session, a);
    sioc__rbuf_unref(a);
  }
  return r;
}

/* ---- broadcasting -------------------------------------------------------------- */

static int send_to(sioc_socket_t *s, void *data) {
  const sio__broadcast_t *b = data;
  sio__socket_send_msgs(s, b->msgs, b->n_msgs,
                        b->target && (b->target->flags & SIOC_BCAST_VOLATILE));
  return 0;
}

void sio__deliver_local(sioc_nsp_t *nsp, const sio__broadcast_t *b) {
  nsp->adapter->ops->apply(nsp->adapter, b->target, send_to, (void *)b);
}

int sioc_nsp_emit(sioc_nsp_t *nsp, const sioc_target_t *t, const char *event,
                  const char *args, size_t len, const sioc_bin_t *atts,
                  size_t n_atts) {
  int r = check_args(nsp->server, event, args, len, atts, n_atts);
  if (r) return r;
  sioc__rbuf_t *stack[MAX_STACK_MSGS];
  sioc__rbuf_t **msgs = n_atts + 1 <= MAX_STACK_MSGS ? stack : malloc((n_atts + 1) * sizeof(*msgs));
  if (!msgs) return SIOC_ENOMEM;
  r = sio__encode_event_msgs(nsp, event, args, len, atts, n_atts, -1, msgs);
  if (r == 0) {
    sio__broadcast_t b = {t, event, args, len, atts, n_atts, msgs, n_atts + 1};
    r = nsp->adapter->ops->broadcast(nsp->adapter, &b);
    for (size_t i = 0; i <= n_atts; i++) sioc__rbuf_unref(msgs[i]);
  }
  if (msgs != stack) free(msgs);
  return r;
}

/* With acks the packet carries each socket's own ack id, so it is encoded
 * per recipient; this path is for occasional server-wide requests. */
typedef struct {
  sio__bcast_ack_t *b;
  const char *event, *args;
  size_t len;
  const sioc_bin_t *atts;
  size_t n_atts;
  int volatile_;
} bcast_ack_ctx_t;

static int send_with_ack(sioc_socket_t *s, void *data) {
  bcast_ack_ctx_t *x = data;
  if (x->volatile_ && s->client && s->client->session &&
      !eio__session_writable(s->client->session))
    return 0;
  int64_t id;
  if (sio__register_ack(s, NULL, NULL, x->b, 0, &id)) return 0;
  x->b->expected++;
  if (emit_common(s, x->event, x->args, x->len, x->atts, x->n_atts, id) != 0) {
    sio__socket_on_ack(s, id, NULL, 0, NULL, 0);
  }
  return 0;
}

static void on_bcast_timeout(uv_timer_t *t) {
  bcast_ack_time_out(t->data);
}

int sioc_nsp_emit_with_ack(sioc_nsp_t *nsp, const sioc_target_t *t,
                           const char *event, const char *args, size_t len,
                           const sioc_bin_t *atts, size_t n_atts,
                           uint32_t timeout_ms, sioc_bcast_ack_cb cb, void *data) {
  int r = check_args(nsp->server, event, args, len, atts, n_atts);
  if (r) return r;
  if (!cb) return SIOC_EINVAL;
  sio__bcast_ack_t *b = calloc(1, sizeof(*b));
  if (!b) return SIOC_ENOMEM;
  b->nsp = nsp;
  b->cb = cb;
  b->data = data;
  sioc__sbuf_init(&b->responses);
  if (timeout_ms) {
    b->timer = malloc(sizeof(uv_timer_t));
    if (!b->timer) {
      free(b);
      return SIOC_ENOMEM;
    }
    uv_timer_init(nsp->server->loop, b->timer);
    nsp->server->live_handles++;
    b->timer->data = b;
    uv_timer_start(b->timer, on_bcast_timeout, timeout_ms, 0);
  }
  bcast_ack_ctx_t x = {b, event, args, len, atts, n_atts,
                       t && (t->flags & SIOC_BCAST_VOLATILE)};
  if (nsp->adapter->ops->broadcast_ack && !(t && (t->flags & SIOC_BCAST_LOCAL))) {
    sio__broadcast_t bc = {t, event, args, len, atts, n_atts, NULL, 0};
    nsp->adapter->ops->broadcast_ack(nsp->adapter, &bc, timeout_ms, b);
  }
  nsp->adapter->ops->apply(nsp->adapter, t, send_with_ack, &x);
  b->sealed = 1;
  bcast_ack_maybe_done(b);
  return 0;
}

/* ---- rooms ---------------------------------------------------------------------- */

int sioc_socket_join(sioc_socket_t *s, const char *room) {
  if (!room) return SIOC_EINVAL;
  if (s->state != SOCK_CONNECTED) return SIOC_ECLOSED;
  return s->nsp->adapter->ops->join(s->nsp->adapter, s, room, strlen(room));
}

int sioc_socket_leave(sioc_socket_t *s, const char *room) {
  if (!room) return SIOC_EINVAL;
  if (s->state != SOCK_CONNECTED) return SIOC_ECLOSED;
  s->nsp->adapter->ops->leave(s->nsp->adapter, s, room, strlen(room));
  return 0;
}

void sioc_socket_foreach_room(sioc_socket_t *s, sioc_room_iter_cb cb, void *data) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &s->rooms) {
    sio__member_t *m = SIOC_CONTAINER_OF(it, sio__member_t, socket_link);
    if (cb(m->room->name, m->room->n_members, data)) return;
  }
}

/* ---- disconnection --------------------------------------------------------------- */

void sio__socket_onclose(sioc_socket_t *s, const char *reason) {
  if (s->state == SOCK_DISCONNECTED) return;
  sioc_nsp_t *nsp = s->nsp;
  int was_connected = s->state == SOCK_CONNECTED;
  sioc_socket_ref(s);
  if (was_connected && nsp->on_disconnecting)
    nsp->on_disconnecting(s, reason, nsp->on_disconnecting_data);
  if (s->state == SOCK_PENDING) nsp->n_pending--;
  s->state = SOCK_DISCONNECTED;
  nsp->adapter->ops->leave_all(nsp->adapter, s);
  if (was_connected) {
    sioc__strmap_del(&nsp->by_id, s->id, strlen(s->id));
    sioc__list_remove(&s->nsp_link);
    nsp->n_sockets--;
    nsp->server->n_sockets--;
  }
  sioc__list_remove(&s->client_link);
  s->client = NULL;
  while (!sioc__list_empty(&s->acks)) {
    sio__ack_t *a = SIOC_CONTAINER_OF(s->acks.next, sio__ack_t, link);
    ack_complete(a, SIOC_ECLOSED, NULL, 0, NULL, 0);
  }
  if (was_connected && nsp->on_disconnect)
    nsp->on_disconnect(s, reason, nsp->on_disconnect_data);
  /* Still waiting for its middlewares: the host holds the socket for a
   * decision that can no longer connect it, and engine.io code expects the
   * connection's close to be heard meanwhile.  A rejection or a failed join
   * set `decided` first and is not a lost connection. */
  else if (!was_connected && !s->decided && nsp->on_pending_close)
    nsp->on_pending_close(s, reason, nsp->on_pending_close_data);
  sioc_socket_unref(s);   /* the client's reference */
  sioc_socket_unref(s);
}

int sioc_socket_disconnect(sioc_socket_t *s, int close) {
  if (s->state != SOCK_CONNECTED) return SIOC_ECLOSED;
  sio__client_t *c = s->client;
  if (close && c && c->session) {
    /* Every namespace of the connection leaves, then it closes.  Each
     * disconnect callback may close the connection or the whole server,
     * which frees the client: the session (alive until its handles close,
     * a later loop turn) says whether it still is, and the list is read
     * again after every callback. */
    eio__session_t *session = c->session;
    while (session->data == c) {
      sioc_socket_t *o = NULL;
      sioc__list_t *it;
      SIOC_LIST_FOREACH(it, &c->sockets) {
        sioc_socket_t *x = SIOC_CONTAINER_OF(it, sioc_socket_t, client_link);
        if (x->state == SOCK_CONNECTED) {
          o = x;
          break;
        }
      }
      if (!o) break;
      sioc_socket_disconnect(o, 0);
    }
    if (session->data == c) eio__session_shutdown(session);
    return 0;
  }
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  if (sio__packet_encode_header(&b, SIO_DISCONNECT, 0, s->nsp->name,
                                s->nsp->name_len, -1) == 0)
    sio__client_send_text(c, b.data, b.len);
  sioc__sbuf_reset(&b);
  sio__socket_onclose(s, "server namespace disconnect");
  return 0;
}

/* ---- namespace-wide operations ------------------------------------------------------ */

void sioc_nsp_foreach_socket(sioc_nsp_t *nsp, const sioc_target_t *t,
                             sioc_socket_iter_cb cb, void *data) {
  nsp->adapter->ops->apply(nsp->adapter, t, cb, data);
}

void sioc_nsp_foreach_room(sioc_nsp_t *nsp, sioc_room_iter_cb cb, void *data) {
  nsp->adapter->ops->rooms(nsp->adapter, cb, data);
}

int sioc_nsp_sockets_join(sioc_nsp_t *nsp, const sioc_target_t *t,
                          const char *const *rooms, size_t n) {
  if (n && !rooms) return SIOC_EINVAL;
  return nsp->adapter->ops->sockets_join(nsp->adapter, t, rooms, n);
}

int sioc_nsp_sockets_leave(sioc_nsp_t *nsp, const sioc_target_t *t,
                           const char *const *rooms, size_t n) {
  if (n && !rooms) return SIOC_EINVAL;
  return nsp->adapter->ops->sockets_leave(nsp->adapter, t, rooms, n);
}

int sioc_nsp_disconnect_sockets(sioc_nsp_t *nsp, const sioc_target_t *t, int close) {
  return nsp->adapter->ops->disconnect_sockets(nsp->adapter, t, close);
}

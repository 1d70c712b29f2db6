/* adapter_redis.c - the Redis pub/sub cluster adapter, wire-compatible with
 * @socket.io/redis-adapter 8.x (formats in cluster_wire.h; the files of
 * the adapter are listed in cluster.h).
 *
 * A server joins a cluster with sioc_server_use_redis(): the cluster owns
 * one link to Redis (redis_link.c: two hiredis connections on the server's
 * own loop) and every namespace of the server, existing or future, gets a
 * redis adapter that wraps its memory adapter.  The local room index and
 * local delivery stay in the memory adapter and never wait for Redis; the
 * redis adapter publishes what this server does to the others (here:
 * broadcasts and namespace-wide operations; cluster_request.c: requests
 * that want answers), and applies what the others publish (here:
 * broadcasts; cluster_serve.c: requests).
 *
 * Invariants:
 *  - The cluster is reference counted (cluster.h); it is freed once
 *    unreferenced and its link closed.  While the server closes, it waits
 *    for the link (a server live handle).
 *  - A server ignores its own messages (same uid).  Namespace-wide
 *    operations (socketsJoin, ...) are applied locally at once and then
 *    published, so they work while Redis is down; the echo of our own
 *    request is ignored.
 *  - A namespace only hears its own channels: a broadcast is routed by the
 *    PSUBSCRIBE pattern that matched, and its packet must name the
 *    namespace.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "json_text.h"

static const sio__adapter_ops_t redis_ops;

/* ---- lifetime ----------------------------------------------------------------- */

static void cluster_maybe_free(sio__cluster_t *c) {
  if (c->refs || c->link) return;
  free(c->key);
  free(c);
}

void sio__cluster_ref(sio__cluster_t *c) { c->refs++; }

void sio__cluster_unref(sio__cluster_t *c) {
  if (--c->refs == 0) cluster_maybe_free(c);
}

/* While the server is closing it waits for the link to go. */
static void release_server(sio__cluster_t *c) {
  if (!c->holding_server) return;
  c->holding_server = 0;
  if (c->server) sioc__server_handle_closed(c->server);
}

void sio__cluster_random_id(char *out, size_t n) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  char raw[24];
  if (eio__gen_id(raw) != 0) {
    for (size_t i = 0; i < sizeof(raw); i++) raw[i] = (char)rand();
  }
  for (size_t i = 0; i < n; i++) out[i] = abc[(unsigned char)raw[i % 20] % 64];
  out[n] = '\0';
}

sio__redis_adapter_t *sio__cluster_adapter(sioc_nsp_t *nsp) {
  return nsp->adapter->ops == &redis_ops ? (sio__redis_adapter_t *)nsp->adapter : NULL;
}

/* ---- subscriptions ------------------------------------------------------------ */

static void subscribe_adapter(sio__redis_adapter_t *a, int on) {
  sio__redis_link_t *l = a->c->link;
  sio__redis_link_subscribe(l, on ? "PSUBSCRIBE" : "PUNSUBSCRIBE", a->bcast_pattern);
  const char *chans[3] = {a->request_channel, a->response_channel, a->specific_channel};
  for (int i = 0; i < 3; i++)
    sio__redis_link_subscribe(l, on ? "SUBSCRIBE" : "UNSUBSCRIBE", chans[i]);
}

/* ---- broadcasts from others ---------------------------------------------------- */

/* 0 (delivered or not ours), or why the message is refused. */
static int handle_broadcast(sio__redis_adapter_t *a, const char *msg, size_t len) {
  sio__wire_bcast_t b;
  int err = sio__wire_bcast_decode(msg, len, &b);
  if (err) return err;
  sioc_nsp_t *nsp = a->base.nsp;
  /* Our own, or another namespace's whose channel our pattern matches
   * (a namespace name with glob characters): not for us. */
  if (strcmp(b.uid, a->c->uid) == 0 || strcmp(b.nsp, nsp->name) != 0) {
    sio__wire_bcast_free(&b);
    return 0;
  }
  sioc_target_t t = {(const char *const *)b.rooms, b.n_rooms,
                     (const char *const *)b.except, b.n_except,
                     b.flags & SIOC_BCAST_VOLATILE};
  size_t n_msgs = b.atts.n + 1;
  sioc__rbuf_t **msgs = calloc(n_msgs, sizeof(*msgs));
  err = msgs ? sio__encode_event_msgs(nsp, b.event, b.args.data ? b.args.data : "[]",
                                      b.args.data ? b.args.len : 2, b.atts.items,
                                      b.atts.n, -1, msgs)
             : SIOC_ENOMEM;
  if (!err) {
    sio__broadcast_t bc = {&t, b.event, b.args.data, b.args.len, b.atts.items,
                           b.atts.n, msgs, n_msgs};
    sio__deliver_local(nsp, &bc);
    for (size_t i = 0; i < n_msgs; i++) sioc__rbuf_unref(msgs[i]);
  }
  free(msgs);
  sio__wire_bcast_free(&b);
  return err;
}

/* ---- the link's events ---------------------------------------------------------- */

static void on_connecting(void *owner) {
  sio__cluster_t *c = owner;
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->adapters) {
    subscribe_adapter(SIOC_CONTAINER_OF(it, sio__redis_adapter_t, link), 1);
  }
}

/* Routes a message to its namespace; what cannot be used is logged
 * (throttled by the link), never acted upon. */
static void on_message(void *owner, const char *pattern, const char *channel,
                       const char *payload, size_t len) {
  sio__cluster_t *c = owner;
  sioc__list_t *it;
  int err = 0;
  SIOC_LIST_FOREACH(it, &c->adapters) {
    sio__redis_adapter_t *a = SIOC_CONTAINER_OF(it, sio__redis_adapter_t, link);
    if (pattern) {
      if (strcmp(pattern, a->bcast_pattern) != 0) continue;
      err = handle_broadcast(a, payload, len);
    } else if (strcmp(channel, a->request_channel) == 0) {
      err = sio__cluster_on_request(a, payload, len);
    } else if (strcmp(channel, a->response_channel) == 0 ||
               strcmp(channel, a->specific_channel) == 0) {
      err = sio__cluster_on_response(a, payload, len);
    } else {
      continue;
    }
    break;
  }
  const char *why = err == SIOC_EPROTO   ? "malformed, or of an unknown kind"
                    : err == SIOC_ELIMIT ? "nested too deep, or too large once decoded"
                                         : sioc_strerror(err);
  if (err) sio__redis_link_refused(c->link, channel, why);
}

static void on_numsub(void *owner, uint64_t token, long n) {
  sio__cluster_on_numsub(owner, token, n);
}

static void on_closed(void *owner) {
  sio__cluster_t *c = owner;
  c->link = NULL;
  release_server(c);
  cluster_maybe_free(c);
}

static const sio__redis_link_events_t link_events = {
  on_connecting, on_message, on_numsub, on_closed,
};

/* ---- the adapter ops -------------------------------------------------------------- */

static sio__redis_adapter_t *ra(sio__adapter_t *a) { return (sio__redis_adapter_t *)a; }

static int r_join(sio__adapter_t *a, sioc_socket_t *s, const char *room, size_t len) {
  return ra(a)->local->ops->join(ra(a)->local, s, room, len);
}

static void r_leave(sio__adapter_t *a, sioc_socket_t *s, const char *room, size_t len) {
  ra(a)->local->ops->leave(ra(a)->local, s, room, len);
}

static void r_leave_all(sio__adapter_t *a, sioc_socket_t *s) {
  ra(a)->local->ops->leave_all(ra(a)->local, s);
}

static void r_apply(sio__adapter_t *a, const sioc_target_t *t, sio__socket_fn fn,
                    void *data) {
  ra(a)->local->ops->apply(ra(a)->local, t, fn, data);
}

static void r_rooms(sio__adapter_t *a, sioc_room_iter_cb cb, void *data) {
  ra(a)->local->ops->rooms(ra(a)->local, cb, data);
}

static int local_only(const sioc_target_t *t) { return t && (t->flags & SIOC_BCAST_LOCAL); }

static int r_broadcast(sio__adapter_t *a, const sio__broadcast_t *b) {
  sio__redis_adapter_t *r = ra(a);
  if (!local_only(b->target) && sio__redis_link_up(r->c->link)) {
    sioc__sbuf_t msg, ch;
    sioc__sbuf_init(&msg);
    sioc__sbuf_init(&ch);
    const sioc_target_t *t = b->target;
    if (sio__wire_bcast_encode(&msg, r->c->uid, a->nsp->name, b->event, b->args,
                               b->args_len, b->attachments, b->n_attachments, t) == 0 &&
        sio__wire_bcast_channel(&ch, r->c->key, a->nsp->name,
                                t && t->n_rooms == 1 ? t->rooms[0] : NULL) == 0 &&
        sioc__sbuf_appendc(&ch, '\0') == 0)
      sio__redis_link_publish(r->c->link, ch.data, msg.data, msg.len);
    sioc__sbuf_reset(&msg);
    sioc__sbuf_reset(&ch);
  }
  return r->local->ops->broadcast(r->local, b);
}

static int r_sockets_join(sio__adapter_t *a, const sioc_target_t *t,
                          const char *const *rooms, size_t n) {
  int err = ra(a)->local->ops->sockets_join(ra(a)->local, t, rooms, n);
  sio__cluster_publish_rooms_op(ra(a), SIO_REQ_REMOTE_JOIN, t, rooms, n, 0);
  return err;
}

static int r_sockets_leave(sio__adapter_t *a, const sioc_target_t *t,
                           const char *const *rooms, size_t n) {
  int err = ra(a)->local->ops->sockets_leave(ra(a)->local, t, rooms, n);
  sio__cluster_publish_rooms_op(ra(a), SIO_REQ_REMOTE_LEAVE, t, rooms, n, 0);
  return err;
}

static int r_disconnect_sockets(sio__adapter_t *a, const sioc_target_t *t, int close) {
  /* Published first: disconnecting may free what t points to (a room). */
  sio__cluster_publish_rooms_op(ra(a), SIO_REQ_REMOTE_DISCONNECT, t, NULL, 0, close);
  return ra(a)->local->ops->disconnect_sockets(ra(a)->local, t, close);
}

static int r_broadcast_ack(sio__adapter_t *a, const sio__broadcast_t *b,
                           uint32_t timeout_ms, sio__bcast_ack_t *ack) {
  return sio__cluster_broadcast_ack(ra(a), b, timeout_ms, ack);
}

static void adapter_free(sio__redis_adapter_t *r) {
  free(r->bcast_channel);
  free(r->bcast_pattern);
  free(r->request_channel);
  free(r->response_channel);
  free(r->specific_channel);
  free(r);
}

static void r_free(sio__adapter_t *a) {
  sio__redis_adapter_t *r = ra(a);
  sio__cluster_t *c = r->c;
  sio__cluster_end_requests(c, r, SIOC_ECLOSED);
  sioc__list_remove(&r->link);
  /* Also while connecting: the SUBSCRIBEs queued then still go out, and
   * other servers' NUMSUB would count us for a namespace we do not have. */
  subscribe_adapter(r, 0);
  r->local->ops->free(r->local);
  adapter_free(r);
  sio__cluster_unref(c);
}

static const sio__adapter_ops_t redis_ops = {
  r_join, r_leave, r_leave_all, r_apply, r_rooms, r_broadcast,
  r_sockets_join, r_sockets_leave, r_disconnect_sockets, r_free, r_broadcast_ack,
};

/* ---- wrapping a namespace ------------------------------------------------------- */

/* The text of b as a C string (b is left empty), or NULL on err. */
static char *take_cstr(sioc__sbuf_t *b, int err) {
  if (!err) err = sioc__sbuf_appendc(b, '\0');
  if (err) {
    sioc__sbuf_reset(b);
    return NULL;
  }
  return sioc__sbuf_steal(b, NULL);
}

/* Wraps nsp's memory adapter. */
static int wrap_nsp(sio__cluster_t *c, sioc_nsp_t *nsp) {
  if (nsp->adapter->ops == &redis_ops) return 0;
  sio__redis_adapter_t *r = calloc(1, sizeof(*r));
  if (!r) return SIOC_ENOMEM;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  r->bcast_channel = take_cstr(&b, sio__wire_bcast_channel(&b, c->key, nsp->name, NULL));
  int err = sio__wire_bcast_channel(&b, c->key, nsp->name, NULL);
  r->bcast_pattern = take_cstr(&b, err ? err : sioc__sbuf_appendc(&b, '*'));
  r->request_channel = take_cstr(&b, sio__wire_request_channel(&b, c->key, nsp->name));
  r->response_channel =
      take_cstr(&b, sio__wire_response_channel(&b, c->key, nsp->name, NULL));
  r->specific_channel =
      take_cstr(&b, sio__wire_response_channel(&b, c->key, nsp->name, c->uid));
  if (!r->bcast_channel || !r->bcast_pattern || !r->request_channel ||
      !r->response_channel || !r->specific_channel) {
    adapter_free(r);
    return SIOC_ENOMEM;
  }
  r->base.ops = &redis_ops;
  r->base.nsp = nsp;
  r->local = nsp->adapter;
  r->c = c;
  sio__cluster_ref(c);
  nsp->adapter = &r->base;
  sioc__list_push_back(&c->adapters, &r->link);
  subscribe_adapter(r, 1);   /* nothing before the link exists: on_connecting */
  return 0;
}

/* ---- hooks for sio_server.c ------------------------------------------------------- */

int sio__cluster_wrap(sioc_nsp_t *nsp) {
  sio__cluster_t *c = nsp->server->cluster;
  return c ? wrap_nsp(c, nsp) : 0;
}

void sio__cluster_close(sioc_server_t *server) {
  sio__cluster_t *c = server->cluster;
  if (!c || c->closing) return;
  c->closing = 1;
  sio__cluster_end_requests(c, NULL, SIOC_ECLOSED);   /* they end with the server */
  if (c->link) {
    c->holding_server = 1;
    server->live_handles++;
    sio__redis_link_close(c->link);   /* on_closed releases the server */
  }
}

void sio__cluster_server_gone(sioc_server_t *server) {
  sio__cluster_t *c = server->cluster;
  if (!c) return;
  server->cluster = NULL;
  c->server = NULL;
  sio__cluster_unref(c);
}

/* ---- public API ------------------------------------------------------------------- */

void sioc_redis_options_init(sioc_redis_options_t *o) {
  memset(o, 0, sizeof(*o));
  o->key = "socket.io";
  o->requests_timeout_ms = 5000;
  o->reconnect_delay_ms = 100;
  o->reconnect_delay_max_ms = 5000;
  o->max_message_bytes = SIO_REDIS_MAX_BYTES_DEFAULT;
  o->max_buffered_bytes = SIO_REDIS_MAX_BYTES_DEFAULT;
}

int sioc_server_use_redis(sioc_server_t *server, const sioc_redis_options_t *opts) {
  if (!server || !opts || !opts->url) return SIOC_EINVAL;
  if (server->cluster || server->closing) return SIOC_EBUSY;
  sio__cluster_t *c = calloc(1, sizeof(*c));
  if (!c) return SIOC_ENOMEM;
  const char *key = opts->key && opts->key[0] ? opts->key : "socket.io";
  if (!(c->key = strdup(key))) {
    free(c);
    return SIOC_ENOMEM;
  }
  c->refs = 1;
  c->server = server;
  c->loop = server->loop;
  c->requests_timeout_ms = opts->requests_timeout_ms ? opts->requests_timeout_ms : 5000;
  c->specific_response = !!opts->publish_on_specific_response_channel;
  sio__cluster_random_id(c->uid, 6);
  sioc__list_init(&c->adapters);
  sioc__list_init(&c->requests);
  int err = sio__redis_link_new(c->loop, opts, &link_events, c, &c->link);
  if (err) {
    free(c->key);
    free(c);
    return err;
  }
  server->cluster = c;
  /* The link is connecting; on_connecting subscribes every adapter. */
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &server->nsp_list) {
    sioc_nsp_t *nsp = SIOC_CONTAINER_OF(it, sioc_nsp_t, link);
    if ((err = wrap_nsp(c, nsp))) return err;
  }
  return 0;
}

int sioc_server_cluster_connected(const sioc_server_t *server) {
  return server->cluster && sio__redis_link_up(server->cluster->link);
}

/* cluster_serve.c - the requests of other servers of the cluster, carried
 * out on this server's sockets and answered as @socket.io/redis-adapter
 * 8.x answers them: fetchSockets (with socket.data from the host),
 * allRooms, socketsJoin / socketsLeave / disconnectSockets (and their
 * older single-socket form), serverSideEmit (to the host, which may
 * answer once) and broadcasts with acks (our client count, then each
 * client's answer).
 *
 * Invariants:
 *  - Nothing here trusts a message: a request that is malformed or of an
 *    unknown type is refused (SIOC_EPROTO, which the caller logs) and
 *    changes nothing; one from ourselves (same uid) is ignored.  Requests
 *    are read as spans of their text, never as trees.
 *  - Answers go to "<key>-response#<nsp>#", or to the requester's own
 *    "<key>-response#<nsp>#<uid>#" with publishOnSpecificResponseChannel
 *    (serverSideEmit answers always to the shared channel, as socket.io).
 *  - A remote broadcast with acks keeps a context (and a cluster
 *    reference) until every client it reached answered or timed out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "json_text.h"

/* ---- helpers ------------------------------------------------------------------ */

/* A target read from a request. */
typedef struct {
  sioc_target_t t;
  char **rooms, **except;
} target_buf_t;

static int target_of(sioc__json_span_t rooms, sioc__json_span_t except, int flags,
                     target_buf_t *tb) {
  memset(tb, 0, sizeof(*tb));
  size_t nr = 0, ne = 0;
  int err = sio__wire_strv(rooms, &tb->rooms, &nr);
  if (!err) err = sio__wire_strv(except, &tb->except, &ne);
  if (err) {
    sio__wire_strv_free(tb->rooms, nr);
    return err;
  }
  tb->t.rooms = (const char *const *)tb->rooms;
  tb->t.n_rooms = nr;
  tb->t.except_rooms = (const char *const *)tb->except;
  tb->t.n_except = ne;
  tb->t.flags = flags;
  return 0;
}

/* The request's opts {rooms, except} as a target. */
static int target_from(sioc__json_span_t opts, int flags, target_buf_t *tb) {
  return target_of(sioc__json_get(opts, "rooms"), sioc__json_get(opts, "except"), flags, tb);
}

static void target_free(target_buf_t *tb) {
  sio__wire_strv_free(tb->rooms, tb->t.n_rooms);
  sio__wire_strv_free(tb->except, tb->t.n_except);
}

/* The channel answers to requester_uid go to. */
static int response_channel(sioc__sbuf_t *ch, sio__redis_adapter_t *a,
                            const char *requester_uid) {
  int err = a->c->specific_response && requester_uid
                ? sio__wire_response_channel(ch, a->c->key, a->base.nsp->name, requester_uid)
                : sioc__sbuf_appends(ch, a->response_channel);
  return err ? err : sioc__sbuf_appendc(ch, '\0');
}

static void publish_response(sio__redis_adapter_t *a, const char *requester_uid,
                             const char *msg, size_t len) {
  sioc__sbuf_t ch;
  sioc__sbuf_init(&ch);
  if (response_channel(&ch, a, requester_uid) == 0)
    sio__redis_link_publish(a->c->link, ch.data, msg, len);
  sioc__sbuf_reset(&ch);
}

/* {"requestId":"<rid>" (left open) */
static int answer_head(sioc__sbuf_t *b, const char *rid) {
  int err = sioc__sbuf_appends(b, "{\"requestId\":");
  return err ? err : sioc__json_quote(b, rid, strlen(rid));
}

/* ---- fetchSockets --------------------------------------------------------------- */

/* {"requestId":..., "sockets":[...]} for sockets ids[0..n) still here, with
 * the data the host gave (datas[i] for ids[i]) or {}. */
static void reply_fetch(sio__redis_adapter_t *a, const char *uid, const char *request_id,
                        const char *const *ids, const char *const *datas,
                        const size_t *lens, size_t n) {
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = answer_head(&b, request_id);
  if (!err) err = sioc__sbuf_appends(&b, ",\"sockets\":[");
  int first = 1;
  for (size_t i = 0; !err && i < n; i++) {
    sioc_socket_t *s = sioc_nsp_socket(a->base.nsp, ids[i]);
    if (!s) continue;
    if (!first) err = sioc__sbuf_appendc(&b, ',');
    if (!err)
      err = sio__cluster_socket_details(&b, s, datas ? datas[i] : NULL, lens ? lens[i] : 0);
    first = 0;
  }
  if (!err) err = sioc__sbuf_appends(&b, "]}");
  if (!err) publish_response(a, uid, b.data, b.len);
  sioc__sbuf_reset(&b);
}

static int serve_fetch(sio__redis_adapter_t *a, const char *uid, const char *rid,
                       sioc__json_span_t opts) {
  sioc_nsp_t *nsp = a->base.nsp;
  target_buf_t tb;
  int err = target_from(opts, 0, &tb);
  if (err) return err;
  sio__snapshot_t v;
  sio__snapshot_take(a->local, &tb.t, &v);
  target_free(&tb);
  const char **ids = calloc(v.n ? v.n : 1, sizeof(*ids));
  if (ids) {
    for (size_t i = 0; i < v.n; i++) ids[i] = v.items[i]->id;
    if (nsp->on_fetch_data && v.n) {
      /* "<uid> <requestId>": everything the reply needs */
      sioc__sbuf_t token;
      sioc__sbuf_init(&token);
      err = sioc__sbuf_appends(&token, uid ? uid : "");
      if (!err) err = sioc__sbuf_appendc(&token, ' ');
      if (!err) err = sioc__sbuf_appends(&token, rid);
      if (!err) err = sioc__sbuf_appendc(&token, '\0');
      if (!err) nsp->on_fetch_data(nsp, token.data, ids, v.n, nsp->on_fetch_data_data);
      sioc__sbuf_reset(&token);
    } else {
      reply_fetch(a, uid, rid, ids, NULL, NULL, v.n);
    }
    free(ids);
  }
  sio__snapshot_free(&v);
  return ids ? err : SIOC_ENOMEM;
}

/* ---- socket ids (SOCKETS, an older request) and rooms ----------------------- */

static int serve_sockets(sio__redis_adapter_t *a, const char *uid, const char *rid,
                         sioc__json_span_t rooms) {
  target_buf_t tb;
  sioc__json_span_t none = {NULL, 0};
  int err = target_of(rooms, none, 0, &tb);
  if (err) return err;
  sio__snapshot_t v;
  sio__snapshot_take(a->local, &tb.t, &v);
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  err = answer_head(&b, rid);
  if (!err) err = sioc__sbuf_appends(&b, ",\"sockets\":[");
  for (size_t i = 0; !err && i < v.n; i++) {
    if (i) err = sioc__sbuf_appendc(&b, ',');
    if (!err) err = sioc__json_quote(&b, v.items[i]->id, strlen(v.items[i]->id));
  }
  if (!err) err = sioc__sbuf_appends(&b, "]}");
  if (!err) publish_response(a, uid, b.data, b.len);
  sioc__sbuf_reset(&b);
  sio__snapshot_free(&v);
  target_free(&tb);
  return 0;
}

static int serve_all_rooms(sio__redis_adapter_t *a, const char *uid, const char *rid) {
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = answer_head(&b, rid);
  if (!err) err = sioc__sbuf_appends(&b, ",\"rooms\":");
  if (!err) err = sio__cluster_rooms_json(&b, a->local);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (!err) publish_response(a, uid, b.data, b.len);
  sioc__sbuf_reset(&b);
  return 0;
}

/* ---- socketsJoin / socketsLeave / disconnectSockets --------------------------- */

static int serve_rooms_op(sio__redis_adapter_t *a, int type, sioc__json_span_t req,
                          const char *uid, const char *rid) {
  sioc__json_span_t opts = sioc__json_get(req, "opts");
  int close = sioc__json_is_true(sioc__json_get(req, "close"));
  if (sioc__json_kind(opts) == SIOC_JSON_OBJECT) {
    target_buf_t tb;
    int err = target_from(opts, 0, &tb);
    if (err) return err;
    if (type == SIO_REQ_REMOTE_DISCONNECT) {
      a->local->ops->disconnect_sockets(a->local, &tb.t, close);
    } else {
      char **rooms = NULL;
      size_t n = 0;
      if (!(err = sio__wire_strv(sioc__json_get(req, "rooms"), &rooms, &n))) {
        if (type == SIO_REQ_REMOTE_JOIN)
          a->local->ops->sockets_join(a->local, &tb.t, (const char *const *)rooms, n);
        else
          a->local->ops->sockets_leave(a->local, &tb.t, (const char *const *)rooms, n);
        sio__wire_strv_free(rooms, n);
      }
    }
    target_free(&tb);
    return err;
  }
  /* the older single-socket form: {sid, room | close}, answered */
  char *sid = sioc__json_strdup(sioc__json_get(req, "sid"));
  char *room = sioc__json_strdup(sioc__json_get(req, "room"));
  sioc_socket_t *s = sid ? sioc_nsp_socket(a->base.nsp, sid) : NULL;
  if (s) {
    if (type == SIO_REQ_REMOTE_JOIN && room) sioc_socket_join(s, room);
    else if (type == SIO_REQ_REMOTE_LEAVE && room) sioc_socket_leave(s, room);
    else if (type == SIO_REQ_REMOTE_DISCONNECT) sioc_socket_disconnect(s, close);
    sioc__sbuf_t b;
    sioc__sbuf_init(&b);
    if (rid && answer_head(&b, rid) == 0 && sioc__sbuf_appendc(&b, '}') == 0)
      publish_response(a, uid, b.data, b.len);
    sioc__sbuf_reset(&b);
  }
  int err = sid ? 0 : SIOC_EPROTO;
  free(sid);
  free(room);
  return err;
}

/* ---- serverSideEmit ------------------------------------------------------------- */

static int serve_server_side(sio__redis_adapter_t *a, sioc__json_span_t req,
                             const char *rid) {
  sioc_nsp_t *nsp = a->base.nsp;
  sioc__json_span_t data = sioc__json_get(req, "data");
  if (sioc__json_kind(data) != SIOC_JSON_ARRAY) return SIOC_EPROTO;
  if (nsp->on_server_side) nsp->on_server_side(nsp, data.p, data.n, rid, nsp->on_server_side_data);
  return 0;
}

/* ---- broadcasts with acks ------------------------------------------------------- */

/* A socket.io BROADCAST request: our targets get it with an ack each; the
 * requester hears our client count, then every answer. */
typedef struct {
  uint32_t refs;                 /* 1 while serving + 1 per client asked */
  sio__cluster_t *c;
  char *channel;                 /* where answers go */
  char request_id[64];
} remote_ack_t;

static void remote_ack_unref(remote_ack_t *r) {
  if (--r->refs) return;
  sio__cluster_unref(r->c);
  free(r->channel);
  free(r);
}

static void on_remote_client_ack(sioc_socket_t *s, int err, const char *args,
                                 size_t len, const sioc_bin_t *atts, size_t n,
                                 void *data) {
  remote_ack_t *r = data;
  if (err == 0 && r->c->link) {
    /* {type: 9, requestId, packet: <first ack argument>} in msgpack */
    cJSON *arr = cJSON_ParseWithLength(args, len);
    cJSON *o = cJSON_CreateObject();
    if (o && arr) {
      cJSON_AddNumberToObject(o, "type", SIO_REQ_BROADCAST_ACK);
      cJSON_AddStringToObject(o, "requestId", r->request_id);
      cJSON *first = cJSON_DetachItemFromArray(arr, 0);
      if (first) cJSON_AddItemToObject(o, "packet", first);
      sioc__sbuf_t b;
      sioc__sbuf_init(&b);
      if (sio__json_to_mp(&b, o, atts, n) == 0)
        sio__redis_link_publish(r->c->link, r->channel, b.data, b.len);
      sioc__sbuf_reset(&b);
    }
    cJSON_Delete(arr);
    cJSON_Delete(o);
  }
  remote_ack_unref(r);
}

static remote_ack_t *remote_ack_new(sio__redis_adapter_t *a, const char *uid,
                                    const char *rid) {
  remote_ack_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  sioc__sbuf_t ch;
  sioc__sbuf_init(&ch);
  size_t len;
  if (response_channel(&ch, a, uid) != 0 || !(r->channel = sioc__sbuf_steal(&ch, &len))) {
    sioc__sbuf_reset(&ch);
    free(r);
    return NULL;
  }
  r->refs = 1;
  r->c = a->c;
  sio__cluster_ref(a->c);
  snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
  return r;
}

static int serve_broadcast_ack(sio__redis_adapter_t *a, sioc__json_span_t req,
                               const sio__bins_t *bins, const char *uid,
                               const char *rid) {
  sioc__json_span_t packet = sioc__json_get(req, "packet");
  sioc__json_span_t opts = sioc__json_get(req, "opts");
  if (strlen(rid) >= sizeof(((remote_ack_t *)0)->request_id) ||
      sioc__json_kind(packet) != SIOC_JSON_OBJECT)
    return SIOC_EPROTO;
  char *event = NULL;
  sioc__sbuf_t args;
  sioc__sbuf_init(&args);
  int err = sio__wire_packet_split(packet, &event, &args);
  if (err) return err;
  /* The clients' ack timeout: the requester's, which forgets the request
   * after it (socket.io keeps such acks until the client answers).  Of the
   * other flags none applies here, as with socket.io (volatile included:
   * every target is sent the packet and counted). */
  int ok;
  double tmo = sioc__json_number(sioc__json_get(sioc__json_get(opts, "flags"), "timeout"), &ok);
  uint32_t timeout = ok && tmo >= 1 && tmo < 4294967295.0 ? (uint32_t)tmo
                                                           : a->c->requests_timeout_ms;
  target_buf_t tb;
  remote_ack_t *r = NULL;
  if ((err = target_from(opts, 0, &tb))) goto done;
  if (!(r = remote_ack_new(a, uid, rid))) {
    err = SIOC_ENOMEM;
    target_free(&tb);
    goto done;
  }
  sio__snapshot_t v;
  sio__snapshot_take(a->local, &tb.t, &v);
  size_t count = 0;
  for (size_t i = 0; i < v.n; i++) {
    r->refs++;
    if (sioc_socket_emit_with_ack(v.items[i], event, args.data, args.len, bins->items,
                                  bins->n, timeout, on_remote_client_ack, r) == 0)
      count++;
    else
      r->refs--;
  }
  /* JSON, as socket.io sends it: {type: 8, requestId, clientCount} */
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int perr = sioc__sbuf_appends(&b, "{\"type\":8,\"requestId\":");
  if (!perr) perr = sioc__json_quote(&b, rid, strlen(rid));
  if (!perr) perr = sioc__sbuf_appends(&b, ",\"clientCount\":");
  if (!perr) perr = sioc__sbuf_append_u64(&b, count);
  if (!perr) perr = sioc__sbuf_appendc(&b, '}');
  if (!perr) sio__redis_link_publish(a->c->link, r->channel, b.data, b.len);
  sioc__sbuf_reset(&b);
  remote_ack_unref(r);
  sio__snapshot_free(&v);
  target_free(&tb);
done:
  free(event);
  sioc__sbuf_reset(&args);
  return err;
}

/* ---- dispatch --------------------------------------------------------------------- */

int sio__cluster_on_request(sio__redis_adapter_t *a, const char *msg, size_t len) {
  sioc__sbuf_t scratch;
  sioc__sbuf_init(&scratch);
  sio__bins_t bins = {NULL, 0, 0};
  sioc__json_span_t req;
  char *uid = NULL, *rid = NULL;
  int err = sio__wire_parse(msg, len, &scratch, &bins, &req), ok;
  if (err) goto done;
  double type = sioc__json_number(sioc__json_get(req, "type"), &ok);
  uid = sioc__json_strdup(sioc__json_get(req, "uid"));
  rid = sioc__json_strdup(sioc__json_get(req, "requestId"));
  if (uid && strcmp(uid, a->c->uid) == 0) goto done;   /* our own */
  err = SIOC_EPROTO;   /* unless it is a request we know, and complete */
  if (!ok) goto done;
  switch ((int)type) {
    case SIO_REQ_SOCKETS:
      if (rid) err = serve_sockets(a, uid, rid, sioc__json_get(req, "rooms"));
      break;
    case SIO_REQ_ALL_ROOMS:
      if (rid) err = serve_all_rooms(a, uid, rid);
      break;
    case SIO_REQ_REMOTE_JOIN:
    case SIO_REQ_REMOTE_LEAVE:
    case SIO_REQ_REMOTE_DISCONNECT:
      err = serve_rooms_op(a, (int)type, req, uid, rid);
      break;
    case SIO_REQ_REMOTE_FETCH:
      if (rid) err = serve_fetch(a, uid, rid, sioc__json_get(req, "opts"));
      break;
    case SIO_REQ_SERVER_SIDE_EMIT:
      err = serve_server_side(a, req, rid);
      break;
    case SIO_REQ_BROADCAST:
      if (rid) err = serve_broadcast_ack(a, req, &bins, uid, rid);
      break;
    default:
      break;
  }
done:
  free(uid);
  free(rid);
  sioc__sbuf_reset(&scratch);
  sio__bins_free(&bins);
  return err;
}

/* ---- public API --------------------------------------------------------------- */

void sioc_nsp_on_fetch_data(sioc_nsp_t *nsp, sioc_fetch_data_cb cb, void *data) {
  nsp->on_fetch_data = cb;
  nsp->on_fetch_data_data = data;
}

int sioc_nsp_fetch_data_reply(sioc_nsp_t *nsp, const char *request,
                              const char *const *ids, const char *const *data_json,
                              const size_t *lens, size_t n) {
  if (!nsp || !request || (n && (!ids || !data_json || !lens))) return SIOC_EINVAL;
  sio__redis_adapter_t *a = sio__cluster_adapter(nsp);
  if (!a) return SIOC_EINVAL;
  const char *sp = strchr(request, ' ');
  if (!sp) return SIOC_EINVAL;
  for (size_t i = 0; i < n; i++) {
    if (data_json[i] && sioc__json_check(data_json[i], lens[i]) < 0) return SIOC_EJSON;
  }
  char uid[64];
  size_t ul = (size_t)(sp - request);
  if (ul >= sizeof(uid)) return SIOC_EINVAL;
  memcpy(uid, request, ul);
  uid[ul] = '\0';
  reply_fetch(a, ul ? uid : NULL, sp + 1, ids, data_json, lens, n);
  return 0;
}

void sioc_nsp_on_server_side_emit(sioc_nsp_t *nsp, sioc_server_side_cb cb, void *data) {
  nsp->on_server_side = cb;
  nsp->on_server_side_data = data;
}

int sioc_nsp_server_side_ack(sioc_nsp_t *nsp, const char *ack, const char *arg,
                             size_t len) {
  if (!nsp || !ack || !arg) return SIOC_EINVAL;
  if (sioc__json_check(arg, len) < 0) return SIOC_EJSON;
  sio__redis_adapter_t *a = sio__cluster_adapter(nsp);
  if (!a) return SIOC_EINVAL;
  /* socket.io answers on the shared response channel, in JSON */
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = sioc__sbuf_appends(&b, "{\"type\":6,\"requestId\":");
  if (!err) err = sioc__json_quote(&b, ack, strlen(ack));
  if (!err) err = sioc__sbuf_appends(&b, ",\"data\":");
  if (!err) err = sioc__sbuf_append(&b, arg, len);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (!err) sio__redis_link_publish(a->c->link, a->response_channel, b.data, b.len);
  sioc__sbuf_reset(&b);
  return err;
}

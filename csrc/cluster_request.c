/* cluster_request.c - requests this server issues to the other servers of
 * its cluster, and their answers: fetchSockets, allRooms, serverCount,
 * serverSideEmit (with acks), the server side of broadcasts with acks,
 * and socketsJoin / socketsLeave / disconnectSockets (published, never
 * answered, as socket.io).
 *
 * As @socket.io/redis-adapter does, a request that wants answers first
 * asks Redis how many servers serve the namespace (PUBSUB NUMSUB of its
 * request channel), then publishes, and completes once every other server
 * answered.
 *
 * Invariants:
 *  - A request lives in c->requests until it completes, times out
 *    (requests_timeout_ms, measured from the call, so it also covers a
 *    Redis outage) or its namespace goes away; its callback runs exactly
 *    once, after the request left the list.
 *  - NUMSUB answers name requests by sequence number, never by pointer, so
 *    a late answer finds nothing instead of freed memory.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "json_text.h"

typedef struct {
  sioc__list_t link;             /* c->requests */
  uint64_t seq;
  char id[16];                   /* requestId */
  int type;                      /* SIO_REQ_*, or -1: server count only */
  sio__redis_adapter_t *a;
  long numsub;                   /* servers expected; -1 until NUMSUB */
  long msg_count;                /* answers so far, ourselves included */
  uv_timer_t *timer;
  char *payload;                 /* published once NUMSUB is known */
  size_t payload_len;
  sioc__sbuf_t acc;              /* JSON array being built */
  size_t n_acc;
  sioc__strmap_t seen;           /* allRooms: names already in acc */
  sioc_cluster_cb cb;
  void *data;
  sio__bcast_ack_t *bcast;       /* BROADCAST: the broadcast, which frees us */
} request_t;

/* ---- lifetime --------------------------------------------------------------- */

static void request_timer_closed(uv_handle_t *h) { free(h); }

static void request_free(request_t *r) {
  sioc__list_remove(&r->link);
  if (r->timer) uv_close((uv_handle_t *)r->timer, request_timer_closed);
  free(r->payload);
  sioc__sbuf_reset(&r->acc);
  sioc__strmap_slot_t *slot;
  SIOC_STRMAP_FOREACH(slot, &r->seen) free(slot->val);   /* the names (keys too) */
  sioc__strmap_free(&r->seen);
  free(r);
}

/* The error's text, as @socket.io/redis-adapter words it. */
static void error_message(const request_t *r, int err, char *buf, size_t cap) {
  const char *what = r->type == SIO_REQ_REMOTE_FETCH ? "fetchSockets"
                     : r->type == SIO_REQ_ALL_ROOMS  ? "allRooms"
                                                      : "serverCount";
  if (err != SIOC_ETIMEDOUT)
    snprintf(buf, cap, "%s: %s", r->type == SIO_REQ_SERVER_SIDE_EMIT ? "serverSideEmit" : what,
             sioc_strerror(err));
  else if (r->type != SIO_REQ_SERVER_SIDE_EMIT)
    snprintf(buf, cap, "timeout reached while waiting for %s response", what);
  else if (r->numsub >= 0)
    snprintf(buf, cap, "timeout reached: only %zu responses received out of %ld", r->n_acc,
             r->numsub);
  else   /* Redis never said how many servers there are */
    snprintf(buf, cap, "timeout reached: only 0 responses received out of an unknown number "
                       "(no answer from Redis)");
}

/* Runs the callback once and frees the request. */
static void request_finish(request_t *r, int err) {
  sioc_cluster_cb cb = r->cb;
  void *data = r->data;
  sioc_nsp_t *nsp = r->a->base.nsp;
  char message[160];
  if (err) error_message(r, err, message, sizeof(message));
  if (r->type == SIO_REQ_BROADCAST) {
    /* Some server did not report, or its clients did not answer, in
     * time (or the namespace goes): the broadcast ends now, with what it
     * has, and its on_done frees r. */
    sio__bcast_ack_cluster_time_out(r->bcast);
    return;
  }
  if (r->type != -1) {   /* close the array acc_item() opened, or make one */
    if (!r->n_acc) sioc__sbuf_appendc(&r->acc, '[');
    sioc__sbuf_appendc(&r->acc, ']');
  }
  sioc__sbuf_t acc = r->acc;
  sioc__sbuf_init(&r->acc);
  request_free(r);
  if (cb)
    cb(nsp, err, err ? message : NULL, acc.data ? acc.data : "[]", acc.data ? acc.len : 2, data);
  sioc__sbuf_reset(&acc);
}

static request_t *request_by_seq(sio__cluster_t *c, uint64_t seq) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->requests) {
    request_t *r = SIOC_CONTAINER_OF(it, request_t, link);
    if (r->seq == seq) return r;
  }
  return NULL;
}

static request_t *request_by_id(sio__redis_adapter_t *a, const char *id) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &a->c->requests) {
    request_t *r = SIOC_CONTAINER_OF(it, request_t, link);
    if (r->a == a && strcmp(r->id, id) == 0) return r;
  }
  return NULL;
}

static void on_request_timeout(uv_timer_t *t) {
  request_finish(t->data, SIOC_ETIMEDOUT);
}

static request_t *request_new(sio__redis_adapter_t *a, int type, uint32_t timeout_ms,
                              sioc_cluster_cb cb, void *data) {
  sio__cluster_t *c = a->c;
  request_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->timer = malloc(sizeof(uv_timer_t));
  if (!r->timer) {
    free(r);
    return NULL;
  }
  /* The timer is the cluster's business, not the server's: a request
   * pending at close is finished by the close itself. */
  uv_timer_init(c->loop, r->timer);
  r->timer->data = r;
  uv_timer_start(r->timer, on_request_timeout,
                 timeout_ms ? timeout_ms : c->requests_timeout_ms, 0);
  r->seq = ++c->next_seq;
  sio__cluster_random_id(r->id, 6);
  r->type = type;
  r->a = a;
  r->numsub = -1;
  r->msg_count = 1;
  r->cb = cb;
  r->data = data;
  sioc__sbuf_init(&r->acc);
  sioc__strmap_init(&r->seen);
  sioc__list_push_back(&c->requests, &r->link);
  return r;
}

/* A callback run here may end other requests (it frees a namespace) or
 * start new ones: the walk restarts after each, and ends only requests
 * older than the call. */
void sio__cluster_end_requests(sio__cluster_t *c, sio__redis_adapter_t *a, int err) {
  uint64_t last = c->next_seq;
  for (;;) {
    request_t *r = NULL;
    sioc__list_t *it;
    SIOC_LIST_FOREACH(it, &c->requests) {
      request_t *q = SIOC_CONTAINER_OF(it, request_t, link);
      if (q->seq <= last && (!a || q->a == a)) {
        r = q;
        break;
      }
    }
    if (!r) return;
    request_finish(r, err);
  }
}

/* ---- numbers of servers ---------------------------------------------------- */

static void ask_numsub(request_t *r) {
  /* when the link is down the request times out */
  sio__redis_link_numsub(r->a->c->link, r->a->request_channel, r->seq);
}

void sio__cluster_on_numsub(sio__cluster_t *c, uint64_t token, long n) {
  request_t *r = request_by_seq(c, token);
  if (!r || n < 0) return;   /* gone, or it times out */
  if (r->type == -1) {
    sioc__sbuf_append_u64(&r->acc, (uint64_t)(n > 0 ? n : 1));
    request_finish(r, 0);
    return;
  }
  if (r->type == SIO_REQ_BROADCAST) {
    /* The others, whose counts may have arrived already.  This may
     * complete the broadcast, whose on_done frees r. */
    sio__bcast_ack_cluster_servers(r->bcast, n > 1 ? (size_t)(n - 1) : 0);
    return;
  }
  if (r->type == SIO_REQ_SERVER_SIDE_EMIT) n -= 1;   /* not ourselves */
  else if (n <= 1) {
    request_finish(r, 0);
    return;
  }
  if (n <= 0) {
    request_finish(r, 0);
    return;
  }
  r->numsub = n;
  sio__redis_link_publish(c->link, r->a->request_channel, r->payload, r->payload_len);
}

/* ---- answers ------------------------------------------------------------------ */

static void acc_item(request_t *r, const char *text, size_t len) {
  sioc__sbuf_appendc(&r->acc, r->n_acc ? ',' : '[');
  sioc__sbuf_append(&r->acc, text, len);
  r->n_acc++;
}

static void acc_span(request_t *r, sioc__json_span_t v) {
  if (v.n) acc_item(r, v.p, v.n);
  else acc_item(r, "null", 4);
}

static void acc_room(request_t *r, const char *room) {
  size_t len = strlen(room);
  if (sioc__strmap_get(&r->seen, room, len)) return;
  char *name = strdup(room);
  if (!name) return;
  if (sioc__strmap_put(&r->seen, name, len, name)) {
    free(name);
    return;
  }
  sioc__sbuf_t q;
  sioc__sbuf_init(&q);
  if (sioc__json_quote(&q, room, len) == 0) acc_item(r, q.data, q.len);
  sioc__sbuf_reset(&q);
}

/* One more server answered r; complete once all did. */
static void answered(request_t *r) {
  r->msg_count++;
  if (r->numsub > 0 && r->msg_count >= r->numsub) request_finish(r, 0);
}

static void on_broadcast_answer(request_t *r, sioc__json_span_t res) {
  int ok;
  double type = sioc__json_number(sioc__json_get(res, "type"), &ok);
  if (!ok) return;
  if (type == SIO_REQ_BROADCAST_CLIENT_COUNT) {
    double n = sioc__json_number(sioc__json_get(res, "clientCount"), &ok);
    sio__bcast_ack_cluster_count(r->bcast, ok && n > 0 && n < 1e15 ? (size_t)n : 0);
  } else if (type == SIO_REQ_BROADCAST_ACK) {
    /* binary answers cannot be kept in the responses' JSON text: their
     * placeholders stay, as for local clients */
    sioc__json_span_t p = sioc__json_get(res, "packet");
    sio__bcast_ack_cluster_answer(r->bcast, p.n ? p.p : "null", p.n ? p.n : 4);
  }
}

int sio__cluster_on_response(sio__redis_adapter_t *a, const char *msg, size_t len) {
  sioc__sbuf_t scratch;
  sioc__sbuf_init(&scratch);
  sio__bins_t bins = {NULL, 0, 0};
  sioc__json_span_t res, it;
  size_t pos = 0;
  int err = sio__wire_parse(msg, len, &scratch, &bins, &res);
  char *rid = err ? NULL : sioc__json_strdup(sioc__json_get(res, "requestId"));
  /* answers to other servers' requests pass by on the shared channel */
  request_t *r = rid ? request_by_id(a, rid) : NULL;
  free(rid);
  if (!r) goto done;
  switch (r->type) {
    case SIO_REQ_BROADCAST:
      on_broadcast_answer(r, res);
      break;
    case SIO_REQ_REMOTE_FETCH:
    case SIO_REQ_SOCKETS: {
      sioc__json_span_t socks = sioc__json_get(res, "sockets");
      while (sioc__json_next(socks, &pos, &it)) acc_span(r, it);
      answered(r);
      break;
    }
    case SIO_REQ_ALL_ROOMS: {
      sioc__json_span_t rooms = sioc__json_get(res, "rooms");
      while (sioc__json_next(rooms, &pos, &it)) {
        char *name = sioc__json_strdup(it);
        if (name) acc_room(r, name);
        free(name);
      }
      answered(r);
      break;
    }
    case SIO_REQ_SERVER_SIDE_EMIT:
      acc_span(r, sioc__json_get(res, "data"));
      if (r->numsub > 0 && (long)r->n_acc >= r->numsub) request_finish(r, 0);
      break;
    default:
      break;
  }
done:
  sioc__sbuf_reset(&scratch);
  sio__bins_free(&bins);
  return err;
}

/* ---- publishing requests ------------------------------------------------------ */

static int json_append_strv(sioc__sbuf_t *b, const char *const *v, size_t n) {
  int err = sioc__sbuf_appendc(b, '[');
  for (size_t i = 0; !err && i < n; i++) {
    if (i) err = sioc__sbuf_appendc(b, ',');
    if (!err) err = sioc__json_quote(b, v[i], strlen(v[i]));
  }
  return err ? err : sioc__sbuf_appendc(b, ']');
}

/* Where a request carries no opts. */
#define NO_OPTS ((const sioc_target_t *)-1)

/* {"uid","type",["requestId"],"opts":{rooms,except}, ... (left open) */
static int request_head(sioc__sbuf_t *b, sio__redis_adapter_t *a, int type,
                        const char *rid, const sioc_target_t *t) {
  int err = sioc__sbuf_appends(b, "{\"uid\":");
  if (!err) err = sioc__json_quote(b, a->c->uid, strlen(a->c->uid));
  if (!err && rid) {
    err = sioc__sbuf_appends(b, ",\"requestId\":");
    if (!err) err = sioc__json_quote(b, rid, strlen(rid));
  }
  if (!err) err = sioc__sbuf_appends(b, ",\"type\":");
  if (!err) err = sioc__sbuf_append_u64(b, (uint64_t)type);
  if (!err && t != NO_OPTS) {
    err = sioc__sbuf_appends(b, ",\"opts\":{\"rooms\":");
    if (!err) err = json_append_strv(b, t ? t->rooms : NULL, t ? t->n_rooms : 0);
    if (!err) err = sioc__sbuf_appends(b, ",\"except\":");
    if (!err) err = json_append_strv(b, t ? t->except_rooms : NULL, t ? t->n_except : 0);
    if (!err) err = sioc__sbuf_appendc(b, '}');
  }
  return err;
}

int sio__cluster_publish_rooms_op(sio__redis_adapter_t *a, int type,
                                  const sioc_target_t *t, const char *const *rooms,
                                  size_t n, int close) {
  if ((t && (t->flags & SIOC_BCAST_LOCAL)) || !sio__redis_link_up(a->c->link)) return 0;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = request_head(&b, a, type, NULL, t);
  if (!err && type != SIO_REQ_REMOTE_DISCONNECT) {
    err = sioc__sbuf_appends(&b, ",\"rooms\":");
    if (!err) err = json_append_strv(&b, rooms, n);
  }
  if (!err && type == SIO_REQ_REMOTE_DISCONNECT)
    err = sioc__sbuf_appends(&b, close ? ",\"close\":true" : ",\"close\":false");
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (!err) sio__redis_link_publish(a->c->link, a->request_channel, b.data, b.len);
  sioc__sbuf_reset(&b);
  return err;
}

/* Closes the request text in b and publishes it once NUMSUB says how many
 * servers answer; err (from building b) frees the request instead. */
static int request_send(request_t *r, sioc__sbuf_t *b, int err) {
  if (!err) err = sioc__sbuf_appendc(b, '}');
  if (err) {
    sioc__sbuf_reset(b);
    request_free(r);
    return err;
  }
  r->payload = sioc__sbuf_steal(b, &r->payload_len);
  ask_numsub(r);
  return 0;
}

/* ---- broadcasts with acks ----------------------------------------------------- */

static void bcast_done(void *data) {
  request_free(data);
}

int sio__cluster_broadcast_ack(sio__redis_adapter_t *a, const sio__broadcast_t *b,
                               uint32_t timeout_ms, sio__bcast_ack_t *ack) {
  sio__cluster_t *c = a->c;
  if (c->closing || !sio__redis_link_up(c->link)) return 0;   /* only the local clients */
  request_t *r = request_new(a, SIO_REQ_BROADCAST, timeout_ms, NULL, NULL);
  if (!r) return SIOC_ENOMEM;
  const char *nsp = a->base.nsp->name;
  cJSON *o = cJSON_CreateObject();
  cJSON *packet = sio__wire_packet_json(nsp, b->event, b->args, b->args_len);
  cJSON *opts = sio__wire_opts_json(b->target, timeout_ms ? (int64_t)timeout_ms : -1);
  int err = SIOC_ENOMEM;
  if (o && packet && opts) {
    cJSON_AddStringToObject(o, "uid", c->uid);
    cJSON_AddStringToObject(o, "requestId", r->id);
    cJSON_AddNumberToObject(o, "type", SIO_REQ_BROADCAST);
    cJSON_AddItemToObject(o, "packet", packet);
    cJSON_AddItemToObject(o, "opts", opts);
    packet = opts = NULL;
    sioc__sbuf_t msg;
    sioc__sbuf_init(&msg);
    err = sio__json_to_mp(&msg, o, b->attachments, b->n_attachments);
    if (!err) err = sio__redis_link_publish(c->link, a->request_channel, msg.data, msg.len);
    sioc__sbuf_reset(&msg);
  }
  cJSON_Delete(o);
  cJSON_Delete(packet);
  cJSON_Delete(opts);
  if (err) {
    request_free(r);
    return err == SIOC_ENOMEM ? err : 0;   /* not published: local clients only */
  }
  r->bcast = ack;
  sio__bcast_ack_cluster_start(ack, bcast_done, r);
  /* The count of servers, as socket.io, after publishing: a server that
   * subscribes in between is counted but never heard the request, and
   * the broadcast ends with a timeout. */
  if (sio__redis_link_numsub(c->link, a->request_channel, r->seq) != 0)
    sio__bcast_ack_cluster_servers(ack, 0);
  return 0;
}

/* ---- public API --------------------------------------------------------------- */

int sioc_nsp_fetch_sockets(sioc_nsp_t *nsp, const sioc_target_t *t,
                           sioc_cluster_cb cb, void *data) {
  if (!nsp || !cb) return SIOC_EINVAL;
  sio__redis_adapter_t *a = sio__cluster_adapter(nsp);
  if (!a || (t && (t->flags & SIOC_BCAST_LOCAL))) {
    cb(nsp, 0, NULL, "[]", 2, data);
    return 0;
  }
  if (a->c->closing) return SIOC_ECLOSED;
  request_t *r = request_new(a, SIO_REQ_REMOTE_FETCH, 0, cb, data);
  if (!r) return SIOC_ENOMEM;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  return request_send(r, &b, request_head(&b, a, SIO_REQ_REMOTE_FETCH, r->id, t));
}

static int seen_room_cb(const char *room, size_t n, void *data) {
  acc_room(data, room);
  return 0;
}

int sioc_nsp_all_rooms(sioc_nsp_t *nsp, sioc_cluster_cb cb, void *data) {
  if (!nsp || !cb) return SIOC_EINVAL;
  sio__redis_adapter_t *a = sio__cluster_adapter(nsp);
  if (!a) {
    sioc__sbuf_t b;
    sioc__sbuf_init(&b);
    int err = sio__cluster_rooms_json(&b, nsp->adapter);
    cb(nsp, err, err ? sioc_strerror(err) : NULL, err ? "[]" : b.data, err ? 2 : b.len, data);
    sioc__sbuf_reset(&b);
    return 0;
  }
  if (a->c->closing) return SIOC_ECLOSED;
  request_t *r = request_new(a, SIO_REQ_ALL_ROOMS, 0, cb, data);
  if (!r) return SIOC_ENOMEM;
  /* our own rooms first */
  a->local->ops->rooms(a->local, seen_room_cb, r);
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  return request_send(r, &b, request_head(&b, a, SIO_REQ_ALL_ROOMS, r->id, NO_OPTS));
}

int sioc_nsp_server_count(sioc_nsp_t *nsp, sioc_cluster_cb cb, void *data) {
  if (!nsp || !cb) return SIOC_EINVAL;
  sio__redis_adapter_t *a = sio__cluster_adapter(nsp);
  if (!a) {
    cb(nsp, 0, NULL, "1", 1, data);
    return 0;
  }
  if (a->c->closing) return SIOC_ECLOSED;
  request_t *r = request_new(a, -1, 0, cb, data);
  if (!r) return SIOC_ENOMEM;
  ask_numsub(r);
  return 0;
}

int sioc_nsp_server_side_emit(sioc_nsp_t *nsp, const char *args, size_t len,
                              uint32_t timeout_ms, sioc_cluster_cb cb, void *data) {
  if (!nsp || !args) return SIOC_EINVAL;
  if (sioc__json_check(args, len) != SIOC_JSON_ARRAY) return SIOC_EJSON;
  sio__redis_adapter_t *a = sio__cluster_adapter(nsp);
  if (!a) {
    if (cb) cb(nsp, 0, NULL, "[]", 2, data);
    return 0;
  }
  if (a->c->closing) return SIOC_ECLOSED;
  request_t *r = NULL;
  if (cb && !(r = request_new(a, SIO_REQ_SERVER_SIDE_EMIT, timeout_ms, cb, data)))
    return SIOC_ENOMEM;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = request_head(&b, a, SIO_REQ_SERVER_SIDE_EMIT, r ? r->id : NULL, NO_OPTS);
  if (!err) err = sioc__sbuf_appends(&b, ",\"data\":");
  if (!err) err = sioc__sbuf_append(&b, args, len);
  if (r) return request_send(r, &b, err);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (!err) sio__redis_link_publish(a->c->link, a->request_channel, b.data, b.len);
  sioc__sbuf_reset(&b);
  return err;
}

/* adapter_redis.c - the Redis pub/sub cluster adapter, wire-compatible with
 * @socket.io/redis-adapter 8.x (message formats in cluster_wire.h).
 *
 * One cluster per server holds two Redis links on the server's loop
 * (hiredis with its libuv adapter): `pub` for PUBLISH and PUBSUB NUMSUB,
 * `sub` in subscribed state.  Every namespace gets a redis adapter that
 * wraps its memory adapter: the local room index and local delivery stay
 * in the memory adapter and never wait for Redis; the redis adapter adds
 * publishing, and applies what other servers publish.
 *
 * Invariants:
 *  - The cluster is reference counted: one reference for the server, one
 *    per adapter, one per outstanding remote broadcast-with-ack context.
 *    It is freed once unreferenced and both links are gone.
 *  - Both links are up or the cluster is down: when either drops, the
 *    other is dropped too and both are made again after a backoff delay.
 *    Every state change is logged once (not every retry).
 *  - A request we issue lives in `requests` until it completes, times out
 *    (requests_timeout_ms, measured from the call, so it also covers a
 *    Redis outage) or its namespace goes away; its callback runs exactly
 *    once.  Replies from hiredis name requests by sequence number, never by
 *    pointer, so a late reply finds nothing instead of freed memory.
 *  - A server ignores its own messages (same uid).  Namespace-wide
 *    operations (socketsJoin, ...) are applied locally at once and then
 *    published, so they work while Redis is down; the echo of our own
 *    request is ignored.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "cluster_wire.h"
#include "json_text.h"
#include "sio.h"

typedef struct cluster_s cluster_t;
typedef struct redis_adapter_s redis_adapter_t;

typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_UP } link_state_t;

struct cluster_s {
  uint32_t refs;
  sioc_server_t *server;         /* NULL once the server is freed */
  uv_loop_t *loop;
  char *host;
  int port;
  char *user, *password;
  int db;
  char *url;                     /* for log lines, without the password */
  char *key;
  uint32_t requests_timeout_ms;
  int specific_response;
  uint32_t delay_min_ms, delay_max_ms, delay_ms;
  sioc_log_cb log;
  void *log_data;
  char uid[8];
  redisAsyncContext *pub, *sub;  /* NULL once let go of */
  int n_live;                    /* contexts hiredis has not freed yet */
  int pub_ok, sub_ok;            /* connect callback reported success */
  link_state_t state;
  int ever_up;
  int logged_down;               /* the current outage was logged */
  uv_timer_t *retry;             /* reconnect backoff */
  int closing;                   /* the server is closing: no reconnect */
  int holding_server;            /* counted in server->live_handles */
  sioc__list_t adapters;         /* redis_adapter_t.link */
  sioc__list_t requests;         /* request_t.link */
  uint64_t next_seq;
};

struct redis_adapter_s {
  sio__adapter_t base;
  sio__adapter_t *local;         /* the memory adapter */
  cluster_t *c;
  sioc__list_t link;
  char *bcast_channel;           /* key#nsp# */
  char *request_channel;
  char *response_channel;
  char *specific_channel;
};

typedef struct {
  sioc__list_t link;
  uint64_t seq;
  char id[16];                   /* requestId */
  int type;                      /* SIO_REQ_*, or -1: server count only */
  redis_adapter_t *a;
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
  sio__bcast_ack_t *bcast;       /* BROADCAST: the local broadcast */
} request_t;

static const sio__adapter_ops_t redis_ops;

/* ---- logging -------------------------------------------------------------- */

static void logf_(cluster_t *c, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (c->log) c->log(line, c->log_data);
  else fprintf(stderr, "sioc: redis adapter: %s\n", line);
}

/* ---- lifetime ------------------------------------------------------------- */

static void cluster_unref(cluster_t *c);

static void cluster_free(cluster_t *c) {
  free(c->host);
  free(c->user);
  free(c->password);
  free(c->url);
  free(c->key);
  free(c);
}

static void cluster_maybe_free(cluster_t *c) {
  if (c->refs || c->n_live || c->retry) return;
  cluster_free(c);
}

static void cluster_unref(cluster_t *c) {
  if (--c->refs == 0) cluster_maybe_free(c);
}

/* While the server is closing it waits for the links to go. */
static void release_server(cluster_t *c) {
  if (!c->holding_server || c->n_live || c->retry) return;
  c->holding_server = 0;
  if (c->server) sioc__server_handle_closed(c->server);
}

/* ---- requests we issued --------------------------------------------------- */

static void request_timer_closed(uv_handle_t *h) {
  free(h);
}

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

/* Runs the callback once and frees the request. */
static void request_finish(request_t *r, int err) {
  sioc_cluster_cb cb = r->cb;
  void *data = r->data;
  sioc_nsp_t *nsp = r->a->base.nsp;
  if (r->type == SIO_REQ_BROADCAST) {
    sio__bcast_ack_t *b = r->bcast;
    r->bcast = NULL;
    request_free(r);
    if (b) {
      sio__bcast_ack_on_done(b, NULL, NULL);
      sio__bcast_ack_stop_waiting(b);
    }
    return;
  }
  if (r->type != -1) {   /* close the array acc_item() opened, or make one */
    if (!r->n_acc) sioc__sbuf_appendc(&r->acc, '[');
    sioc__sbuf_appendc(&r->acc, ']');
  }
  sioc__sbuf_t acc = r->acc;
  sioc__sbuf_init(&r->acc);
  request_free(r);
  if (cb) cb(nsp, err, acc.data ? acc.data : "[]", acc.data ? acc.len : 2, data);
  sioc__sbuf_reset(&acc);
}

static request_t *request_by_seq(cluster_t *c, uint64_t seq) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->requests) {
    request_t *r = SIOC_CONTAINER_OF(it, request_t, link);
    if (r->seq == seq) return r;
  }
  return NULL;
}

static request_t *request_by_id(redis_adapter_t *a, const char *id) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &a->c->requests) {
    request_t *r = SIOC_CONTAINER_OF(it, request_t, link);
    if (r->a == a && strcmp(r->id, id) == 0) return r;
  }
  return NULL;
}

static void on_request_timeout(uv_timer_t *t) {
  request_t *r = t->data;
  request_finish(r, SIOC_ETIMEDOUT);
}

/* uid2-like random ids: [A-Za-z0-9_-]. */
static void random_id(char *out, size_t n) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  char raw[24];
  if (eio__gen_id(raw) != 0) {
    for (size_t i = 0; i < sizeof(raw); i++) raw[i] = (char)rand();
  }
  for (size_t i = 0; i < n; i++) out[i] = abc[(unsigned char)raw[i % 20] % 64];
  out[n] = '\0';
}

static request_t *request_new(redis_adapter_t *a, int type, uint32_t timeout_ms,
                              sioc_cluster_cb cb, void *data) {
  cluster_t *c = a->c;
  request_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->timer = malloc(sizeof(uv_timer_t));
  if (!r->timer) {
    free(r);
    return NULL;
  }
  uv_timer_init(c->loop, r->timer);
  r->timer->data = r;
  uv_timer_start(r->timer, on_request_timeout,
                 timeout_ms ? timeout_ms : c->requests_timeout_ms, 0);
  /* The timer is the cluster's business, not the server's: a request
   * pending at close is finished by the close itself. */
  r->seq = ++c->next_seq;
  random_id(r->id, 6);
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

/* ---- Redis commands ------------------------------------------------------- */

static int link_up(cluster_t *c) { return c->state == LINK_UP; }

static void publish(cluster_t *c, const char *channel, const char *msg, size_t len) {
  if (!link_up(c)) return;   /* dropped: nobody hears us during an outage */
  const char *argv[3] = {"PUBLISH", channel, msg};
  size_t lens[3] = {7, strlen(channel), len};
  redisAsyncCommandArgv(c->pub, NULL, NULL, 3, argv, lens);
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata);

static void subscribe_adapter(redis_adapter_t *a, const char *verb) {
  cluster_t *c = a->c;
  if (!c->sub) return;
  char pattern[1024];
  snprintf(pattern, sizeof(pattern), "%s*", a->bcast_channel);
  const char *pverb = verb[0] == 'S' ? "PSUBSCRIBE" : "PUNSUBSCRIBE";
  const char *pargv[2] = {pverb, pattern};
  size_t plens[2] = {strlen(pverb), strlen(pattern)};
  redisAsyncCommandArgv(c->sub, on_sub_reply, c, 2, pargv, plens);
  const char *chans[3] = {a->request_channel, a->response_channel, a->specific_channel};
  for (int i = 0; i < 3; i++) {
    const char *argv[2] = {verb, chans[i]};
    size_t lens[2] = {strlen(verb), strlen(chans[i])};
    redisAsyncCommandArgv(c->sub, on_sub_reply, c, 2, argv, lens);
  }
}

static void on_numsub(redisAsyncContext *ac, void *reply, void *privdata);

static void ask_numsub(request_t *r) {
  cluster_t *c = r->a->c;
  if (!link_up(c)) return;   /* the request will time out */
  const char *argv[3] = {"PUBSUB", "NUMSUB", r->a->request_channel};
  size_t lens[3] = {6, 6, strlen(r->a->request_channel)};
  redisAsyncCommandArgv(c->pub, on_numsub, (void *)(uintptr_t)r->seq, 3, argv, lens);
}

/* ---- hiredis on libuv ----------------------------------------------------
 * Our own event glue rather than hiredis' adapters/libuv.h: that one drops
 * poll errors (libuv reports a refused or reset socket as status < 0 with
 * no events), so a connection attempt to a Redis that is down would wait
 * forever.  Here an error status hands the pending events to hiredis,
 * which then reads the socket error and fails the context. */
typedef struct {
  redisAsyncContext *ac;         /* NULL once hiredis let go of us */
  uv_poll_t poll;
  int events;
} redis_ev_t;

static void ev_on_poll(uv_poll_t *h, int status, int events) {
  redis_ev_t *e = h->data;
  int ev = status < 0 ? e->events : events;
  if (e->ac && (ev & UV_READABLE)) redisAsyncHandleRead(e->ac);
  if (e->ac && (ev & UV_WRITABLE)) redisAsyncHandleWrite(e->ac);
}

static void ev_update(redis_ev_t *e, int add, int del) {
  e->events = (e->events | add) & ~del;
  if (e->events) uv_poll_start(&e->poll, e->events, ev_on_poll);
  else uv_poll_stop(&e->poll);
}

static void ev_add_read(void *d) { ev_update(d, UV_READABLE, 0); }
static void ev_del_read(void *d) { ev_update(d, 0, UV_READABLE); }
static void ev_add_write(void *d) { ev_update(d, UV_WRITABLE, 0); }
static void ev_del_write(void *d) { ev_update(d, 0, UV_WRITABLE); }

static void ev_closed(uv_handle_t *h) {
  free(h->data);
}

static void ev_cleanup(void *d) {
  redis_ev_t *e = d;
  e->ac = NULL;
  uv_close((uv_handle_t *)&e->poll, ev_closed);
}

static int ev_attach(redisAsyncContext *ac, uv_loop_t *loop) {
  redis_ev_t *e = calloc(1, sizeof(*e));
  if (!e) return REDIS_ERR;
  if (uv_poll_init(loop, &e->poll, ac->c.fd) != 0) {
    free(e);
    return REDIS_ERR;
  }
  e->ac = ac;
  e->poll.data = e;
  ac->ev.data = e;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  return REDIS_OK;
}

/* ---- connection management ----------------------------------------------- */

static void connect_links(cluster_t *c);

static void retry_closed(uv_handle_t *h) {
  cluster_t *c = h->data;
  free(h);
  c->retry = NULL;
  release_server(c);
  cluster_maybe_free(c);
}

/* hiredis has no connect timeout: a Redis that never answers the SYN
 * would keep us connecting forever. */
#define CONNECT_TIMEOUT_MS 5000

static void link_lost(cluster_t *c, const char *why);

static void on_retry(uv_timer_t *t) {
  cluster_t *c = t->data;
  if (c->state == LINK_CONNECTING) link_lost(c, "connection timed out");
  else connect_links(c);
}

static void schedule_retry(cluster_t *c) {
  if (c->closing || !c->server) return;
  if (!c->retry) {
    c->retry = malloc(sizeof(uv_timer_t));
    if (!c->retry) return;
    uv_timer_init(c->loop, c->retry);
    c->retry->data = c;
  }
  uv_timer_start(c->retry, on_retry, c->delay_ms, 0);
  c->delay_ms = c->delay_ms * 2 > c->delay_max_ms ? c->delay_max_ms : c->delay_ms * 2;
}

/* Both links gone: retry later, or finish closing. */
static void after_links_gone(cluster_t *c) {
  if (c->n_live) return;
  if (c->closing) {
    release_server(c);
    cluster_maybe_free(c);
  } else {
    schedule_retry(c);
  }
}

/* Lets go of one link.  A connected link is disconnected (its disconnect
 * callback, which finds it no longer ours, counts it gone); one still
 * connecting is freed now, without callback. */
static void drop_link(cluster_t *c, redisAsyncContext **pp, int connected) {
  redisAsyncContext *ac = *pp;
  if (!ac) return;
  *pp = NULL;
  if (connected) {
    redisAsyncDisconnect(ac);
  } else {
    ac->onDisconnect = NULL;
    redisAsyncFree(ac);
    c->n_live--;
  }
}

/* One link failed or closed: the cluster is down until both are back. */
static void link_lost(cluster_t *c, const char *why) {
  link_state_t was = c->state;
  c->state = LINK_DOWN;
  if (!c->closing && !c->logged_down) {
    c->logged_down = 1;
    if (was == LINK_UP)
      logf_(c, "connection to %s lost (%s); local delivery continues, "
               "reconnecting with backoff", c->url, why);
    else
      logf_(c, "cannot connect to %s (%s); local delivery continues, "
               "retrying with backoff", c->url, why);
  }
  int pub_ok = c->pub_ok, sub_ok = c->sub_ok;
  c->pub_ok = c->sub_ok = 0;
  drop_link(c, &c->pub, pub_ok);
  drop_link(c, &c->sub, sub_ok);
  after_links_gone(c);
}

static void maybe_up(cluster_t *c) {
  if (!c->pub_ok || !c->sub_ok || c->state == LINK_UP) return;
  c->state = LINK_UP;
  if (c->retry) uv_timer_stop(c->retry);   /* the connect timeout */
  c->delay_ms = c->delay_min_ms;
  if (c->ever_up) logf_(c, "reconnected to %s; subscriptions restored", c->url);
  else logf_(c, "connected to %s", c->url);
  c->ever_up = 1;
  c->logged_down = 0;
}

static void on_connect(const redisAsyncContext *ac, int status) {
  cluster_t *c = ac->data;
  if (status != REDIS_OK) {
    /* hiredis frees a context that failed to connect, without a
     * disconnect callback */
    c->n_live--;
    if (ac != c->pub && ac != c->sub) {
      after_links_gone(c);
      return;
    }
    char why[128];
    snprintf(why, sizeof(why), "%s", ac->errstr[0] ? ac->errstr : "error");
    if (ac == c->pub) c->pub = NULL;
    else c->sub = NULL;
    link_lost(c, why);
    return;
  }
  if (ac == c->pub) c->pub_ok = 1;
  else if (ac == c->sub) c->sub_ok = 1;
  maybe_up(c);
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
  cluster_t *c = ac->data;
  c->n_live--;
  if (ac != c->pub && ac != c->sub) {   /* one we let go of */
    after_links_gone(c);
    return;
  }
  char why[128];
  snprintf(why, sizeof(why), "%s",
           status == REDIS_OK ? "closed by the server"
                              : (ac->errstr[0] ? ac->errstr : "error"));
  if (ac == c->pub) {
    c->pub = NULL;
    c->pub_ok = 0;
  } else {
    c->sub = NULL;
    c->sub_ok = 0;
  }
  link_lost(c, why);
}

static void on_auth_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  redisReply *r = reply;
  cluster_t *c = privdata;
  if (r && r->type == REDIS_REPLY_ERROR) logf_(c, "%s answered: %s", c->url, r->str);
}

static redisAsyncContext *open_link(cluster_t *c) {
  redisAsyncContext *ac = redisAsyncConnect(c->host, c->port);
  if (!ac) return NULL;
  if (ac->err || ev_attach(ac, c->loop) != REDIS_OK) {
    redisAsyncFree(ac);
    return NULL;
  }
  c->n_live++;
  ac->data = c;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  if (c->password) {
    if (c->user) {
      const char *argv[3] = {"AUTH", c->user, c->password};
      size_t lens[3] = {4, strlen(c->user), strlen(c->password)};
      redisAsyncCommandArgv(ac, on_auth_reply, c, 3, argv, lens);
    } else {
      const char *argv[2] = {"AUTH", c->password};
      size_t lens[2] = {4, strlen(c->password)};
      redisAsyncCommandArgv(ac, on_auth_reply, c, 2, argv, lens);
    }
  }
  if (c->db) redisAsyncCommand(ac, on_auth_reply, c, "SELECT %d", c->db);
  return ac;
}

static void connect_links(cluster_t *c) {
  if (c->closing || c->pub || c->sub || c->n_live) return;
  c->state = LINK_CONNECTING;
  c->pub = open_link(c);
  c->sub = c->pub ? open_link(c) : NULL;
  if (!c->pub || !c->sub) {
    link_lost(c, "cannot create a connection");
    return;
  }
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->adapters) {
    subscribe_adapter(SIOC_CONTAINER_OF(it, redis_adapter_t, link), "SUBSCRIBE");
  }
  if (!c->retry && (c->retry = malloc(sizeof(uv_timer_t)))) {
    uv_timer_init(c->loop, c->retry);
    c->retry->data = c;
  }
  if (c->retry) uv_timer_start(c->retry, on_retry, CONNECT_TIMEOUT_MS, 0);
}

/* ---- incoming -------------------------------------------------------------- */

static void handle_broadcast(redis_adapter_t *a, const char *channel,
                             const char *msg, size_t len);
static void handle_request(redis_adapter_t *a, const char *msg, size_t len);
static void handle_response(redis_adapter_t *a, const char *msg, size_t len);

static redis_adapter_t *adapter_for(cluster_t *c, const char *ch, int *kind) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &c->adapters) {
    redis_adapter_t *a = SIOC_CONTAINER_OF(it, redis_adapter_t, link);
    if (strncmp(ch, a->bcast_channel, strlen(a->bcast_channel)) == 0) {
      *kind = 0;
      return a;
    }
    if (strcmp(ch, a->request_channel) == 0) {
      *kind = 1;
      return a;
    }
    if (strcmp(ch, a->response_channel) == 0 || strcmp(ch, a->specific_channel) == 0) {
      *kind = 2;
      return a;
    }
  }
  return NULL;
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  cluster_t *c = privdata;
  redisReply *r = reply;
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
    if (r && r->type == REDIS_REPLY_ERROR) logf_(c, "%s: %s", c->url, r->str);
    return;
  }
  const char *type = r->element[0]->str;
  redisReply *ch, *payload;
  if (type && strcmp(type, "message") == 0) {
    ch = r->element[1];
    payload = r->element[2];
  } else if (type && strcmp(type, "pmessage") == 0 && r->elements >= 4) {
    ch = r->element[2];
    payload = r->element[3];
  } else {
    return;   /* (p)subscribe confirmations */
  }
  if (!ch->str || !payload->str) return;
  int kind;
  redis_adapter_t *a = adapter_for(c, ch->str, &kind);
  if (!a) return;
  if (kind == 0) handle_broadcast(a, ch->str, payload->str, payload->len);
  else if (kind == 1) handle_request(a, payload->str, payload->len);
  else handle_response(a, payload->str, payload->len);
}

static void on_numsub(redisAsyncContext *ac, void *reply, void *privdata) {
  cluster_t *c = ac->data;
  redisReply *rep = reply;
  request_t *r = request_by_seq(c, (uint64_t)(uintptr_t)privdata);
  if (!r) return;
  if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
      rep->element[1]->type != REDIS_REPLY_INTEGER)
    return;   /* the request times out */
  long n = (long)rep->element[1]->integer;
  if (r->type == -1) {
    sioc__sbuf_append_u64(&r->acc, (uint64_t)(n > 0 ? n : 1));
    request_finish(r, 0);
    return;
  }
  if (r->type == SIO_REQ_BROADCAST) {
    sio__bcast_ack_t *b = r->bcast;
    r->numsub = n;
    if (!b) {
      request_finish(r, 0);
      return;
    }
    if (n > 1) sio__bcast_ack_wait_servers(b, (size_t)(n - 1));
    /* Drops the hold taken at start.  This may complete the broadcast,
     * whose on_done frees r: r is not touched after it. */
    sio__bcast_ack_server_count(b, 0);
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
  publish(c, r->a->request_channel, r->payload, r->payload_len);
}

/* ---- local helpers ------------------------------------------------------- */

static int json_append_strv(sioc__sbuf_t *b, const char *const *v, size_t n) {
  int err = sioc__sbuf_appendc(b, '[');
  for (size_t i = 0; !err && i < n; i++) {
    if (i) err = sioc__sbuf_appendc(b, ',');
    if (!err) err = sioc__json_quote(b, v[i], strlen(v[i]));
  }
  return err ? err : sioc__sbuf_appendc(b, ']');
}

typedef struct {
  sioc_socket_t **items;
  size_t n, cap;
} sockv_t;

static int sockv_add(sioc_socket_t *s, void *data) {
  sockv_t *v = data;
  if (v->n == v->cap) {
    size_t ncap = v->cap ? v->cap * 2 : 16;
    sioc_socket_t **n = realloc(v->items, ncap * sizeof(*n));
    if (!n) return 1;
    v->items = n;
    v->cap = ncap;
  }
  v->items[v->n++] = sioc_socket_ref(s);
  return 0;
}

static void sockv_free(sockv_t *v) {
  for (size_t i = 0; i < v->n; i++) sioc_socket_unref(v->items[i]);
  free(v->items);
}

/* The request's opts {rooms, except} as a target. */
typedef struct {
  sioc_target_t t;
  char **rooms, **except;
} target_buf_t;

static int target_from(const cJSON *opts, int flags, target_buf_t *tb) {
  memset(tb, 0, sizeof(*tb));
  size_t nr = 0, ne = 0;
  int err = sio__wire_strv(cJSON_GetObjectItemCaseSensitive(opts, "rooms"), &tb->rooms, &nr);
  if (!err) err = sio__wire_strv(cJSON_GetObjectItemCaseSensitive(opts, "except"), &tb->except, &ne);
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

static void target_free(target_buf_t *tb) {
  sio__wire_strv_free(tb->rooms, tb->t.n_rooms);
  sio__wire_strv_free(tb->except, tb->t.n_except);
}

static const char *json_str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Room names as a JSON list (the caller writes the brackets). */
typedef struct {
  sioc__sbuf_t *b;
  int first;
} room_json_t;

static int room_json_cb(const char *room, size_t n, void *data) {
  room_json_t *rc = data;
  if (!rc->first) sioc__sbuf_appendc(rc->b, ',');
  sioc__json_quote(rc->b, room, strlen(room));
  rc->first = 0;
  return 0;
}

/* ---- handshake as socket.io's RemoteSocket carries it -------------------- */

static int hexv(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  ch = tolower(ch);
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

/* querystring.unescape: %XX decoded, '+' as space. */
static int append_unescaped(sioc__sbuf_t *b, const char *s, size_t n) {
  sioc__sbuf_t raw;
  sioc__sbuf_init(&raw);
  int err = 0;
  for (size_t i = 0; !err && i < n; i++) {
    char ch = s[i];
    if (ch == '+') ch = ' ';
    else if (ch == '%' && i + 2 < n + 0 && i + 2 <= n - 1 + 0 && hexv(s[i + 1]) >= 0 &&
             hexv(s[i + 2]) >= 0) {
      ch = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
      i += 2;
    }
    err = sioc__sbuf_appendc(&raw, ch);
  }
  if (!err) err = sioc__json_quote(b, raw.data ? raw.data : "", raw.len);
  sioc__sbuf_reset(&raw);
  return err;
}

/* {"k":"v",...}; a repeated key gets an array, as Node's querystring. */
static int append_query(sioc__sbuf_t *b, const char *q) {
  cJSON *obj = cJSON_CreateObject();
  if (!obj) return SIOC_ENOMEM;
  const char *p = q;
  while (*p) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len) {
      const char *eq = memchr(p, '=', len);
      size_t klen = eq ? (size_t)(eq - p) : len;
      sioc__sbuf_t k, v;
      sioc__sbuf_init(&k);
      sioc__sbuf_init(&v);
      append_unescaped(&k, p, klen);
      append_unescaped(&v, eq ? eq + 1 : "", eq ? len - klen - 1 : 0);
      cJSON *kj = k.data ? cJSON_ParseWithLength(k.data, k.len) : NULL;
      cJSON *vj = v.data ? cJSON_ParseWithLength(v.data, v.len) : NULL;
      if (cJSON_IsString(kj) && vj) {
        cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, kj->valuestring);
        if (!old) {
          cJSON_AddItemToObject(obj, kj->valuestring, vj);
        } else if (cJSON_IsArray(old)) {
          cJSON_AddItemToArray(old, vj);
        } else {
          cJSON *arr = cJSON_CreateArray();
          cJSON_AddItemToArray(arr, cJSON_Duplicate(old, 1));
          cJSON_AddItemToArray(arr, vj);
          cJSON_ReplaceItemInObjectCaseSensitive(obj, kj->valuestring, arr);
        }
        vj = NULL;
      }
      cJSON_Delete(kj);
      cJSON_Delete(vj);
      sioc__sbuf_reset(&k);
      sioc__sbuf_reset(&v);
    }
    if (!amp) break;
    p = amp + 1;
  }
  char *text = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  if (!text) return SIOC_ENOMEM;
  int err = sioc__sbuf_appends(b, text);
  free(text);
  return err;
}

static int append_headers(sioc__sbuf_t *b, const sioc_handshake_t *hs) {
  /* Node lowercases header names and joins repeated ones with ", ". */
  cJSON *obj = cJSON_CreateObject();
  if (!obj) return SIOC_ENOMEM;
  for (size_t i = 0; i < hs->n_headers; i++) {
    char name[256];
    size_t l = strlen(hs->headers[i].name);
    if (l >= sizeof(name)) continue;
    for (size_t j = 0; j <= l; j++) name[j] = (char)tolower((unsigned char)hs->headers[i].name[j]);
    cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (old && strcmp(name, "set-cookie") == 0) {
      if (!cJSON_IsArray(old)) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_Duplicate(old, 1));
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, arr);
        old = arr;
      }
      cJSON_AddItemToArray(old, cJSON_CreateString(hs->headers[i].value));
    } else if (old && cJSON_IsString(old)) {
      size_t n = strlen(old->valuestring) + 2 + strlen(hs->headers[i].value) + 1;
      char *joined = malloc(n);
      if (!joined) continue;
      snprintf(joined, n, strcmp(name, "cookie") == 0 ? "%s; %s" : "%s, %s",
               old->valuestring, hs->headers[i].value);
      cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateString(joined));
      free(joined);
    } else {
      cJSON_AddStringToObject(obj, name, hs->headers[i].value);
    }
  }
  char *text = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  if (!text) return SIOC_ENOMEM;
  int err = sioc__sbuf_appends(b, text);
  free(text);
  return err;
}

/* {"id","handshake","rooms","data"} of a local socket. */
static int append_socket_details(sioc__sbuf_t *b, sioc_socket_t *s,
                                 const char *data, size_t data_len) {
  const sioc_handshake_t *hs = sioc_socket_handshake(s);
  int err = sioc__sbuf_appends(b, "{\"id\":");
  if (!err) err = sioc__json_quote(b, s->id, strlen(s->id));
  if (!err) err = sioc__sbuf_appends(b, ",\"handshake\":{\"headers\":");
  static const sioc_handshake_t empty = {NULL, 0, "", "", "", 0, 0, 0};
  if (!hs) hs = &empty;
  if (!err) err = append_headers(b, hs);
  char date[96] = "";
  time_t t = (time_t)(hs->time_ms / 1000);
  struct tm tm;
  if (gmtime_r(&t, &tm))
    strftime(date, sizeof(date), "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
  if (!err) err = sioc__sbuf_appends(b, ",\"time\":");
  if (!err) err = sioc__json_quote(b, date, strlen(date));
  if (!err) err = sioc__sbuf_appends(b, ",\"address\":");
  if (!err) err = sioc__json_quote(b, hs->address ? hs->address : "", hs->address ? strlen(hs->address) : 0);
  if (!err) err = sioc__sbuf_appends(b, hs->xdomain ? ",\"xdomain\":true" : ",\"xdomain\":false");
  if (!err) err = sioc__sbuf_appends(b, hs->secure ? ",\"secure\":true" : ",\"secure\":false");
  if (!err) err = sioc__sbuf_appends(b, ",\"issued\":");
  if (!err) err = sioc__sbuf_append_u64(b, hs->time_ms > 0 ? (uint64_t)hs->time_ms : 0);
  if (!err) err = sioc__sbuf_appends(b, ",\"url\":");
  if (!err) err = sioc__json_quote(b, hs->url ? hs->url : "", hs->url ? strlen(hs->url) : 0);
  if (!err) err = sioc__sbuf_appends(b, ",\"query\":");
  if (!err) err = append_query(b, hs->query ? hs->query : "");
  if (!err) err = sioc__sbuf_appends(b, ",\"auth\":");
  if (!err) err = sioc__sbuf_append(b, s->auth, s->auth_len);
  if (!err) err = sioc__sbuf_appends(b, "},\"rooms\":[");
  sioc__list_t *it;
  int first = 1;
  SIOC_LIST_FOREACH(it, &s->rooms) {
    sio__member_t *m = SIOC_CONTAINER_OF(it, sio__member_t, socket_link);
    if (!err && !first) err = sioc__sbuf_appendc(b, ',');
    if (!err) err = sioc__json_quote(b, m->room->name, m->room->name_len);
    first = 0;
  }
  if (!err) err = sioc__sbuf_appends(b, "],\"data\":");
  if (!err) {
    if (data && data_len) err = sioc__sbuf_append(b, data, data_len);
    else err = sioc__sbuf_appends(b, "{}");
  }
  if (!err) err = sioc__sbuf_appendc(b, '}');
  return err;
}

/* ---- answering other servers ---------------------------------------------- */

static void publish_response(redis_adapter_t *a, const char *requester_uid,
                             const char *msg, size_t len) {
  cluster_t *c = a->c;
  if (c->specific_response && requester_uid) {
    sioc__sbuf_t ch;
    sioc__sbuf_init(&ch);
    if (sio__wire_response_channel(&ch, c->key, a->base.nsp->name, requester_uid) == 0 &&
        sioc__sbuf_appendc(&ch, '\0') == 0)
      publish(c, ch.data, msg, len);
    sioc__sbuf_reset(&ch);
    return;
  }
  publish(c, a->response_channel, msg, len);
}

/* {"requestId":..., "sockets":[...]} for our targets, with the data the
 * host gave (data_json[i] for ids[i]) or {}. */
static void reply_fetch(redis_adapter_t *a, const char *uid, const char *request_id,
                        const char *const *ids, const char *const *datas,
                        const size_t *lens, size_t n) {
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = sioc__sbuf_appends(&b, "{\"requestId\":");
  if (!err) err = sioc__json_quote(&b, request_id, strlen(request_id));
  if (!err) err = sioc__sbuf_appends(&b, ",\"sockets\":[");
  int first = 1;
  for (size_t i = 0; !err && i < n; i++) {
    sioc_socket_t *s = sioc_nsp_socket(a->base.nsp, ids[i]);
    if (!s) continue;
    if (!first) err = sioc__sbuf_appendc(&b, ',');
    if (!err) err = append_socket_details(&b, s, datas ? datas[i] : NULL, lens ? lens[i] : 0);
    first = 0;
  }
  if (!err) err = sioc__sbuf_appends(&b, "]}");
  if (!err) publish_response(a, uid, b.data, b.len);
  sioc__sbuf_reset(&b);
}

/* A socket.io BROADCAST request: our targets get it with an ack each; the
 * requester hears our client count, then every answer. */
typedef struct {
  uint32_t refs;
  cluster_t *c;
  char *channel;                 /* where responses go */
  char request_id[64];
} remote_ack_t;

static void remote_ack_unref(remote_ack_t *r) {
  if (--r->refs) return;
  cluster_unref(r->c);
  free(r->channel);
  free(r);
}

static void on_remote_client_ack(sioc_socket_t *s, int err, const char *args,
                                 size_t len, const sioc_bin_t *atts, size_t n,
                                 void *data) {
  remote_ack_t *r = data;
  if (err == 0) {
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
      if (sio__json_to_mp(&b, o, atts, n) == 0) publish(r->c, r->channel, b.data, b.len);
      sioc__sbuf_reset(&b);
    }
    cJSON_Delete(arr);
    cJSON_Delete(o);
  }
  remote_ack_unref(r);
}

static void serve_broadcast_ack(redis_adapter_t *a, const cJSON *req,
                                const sio__bins_t *bins) {
  const char *rid = json_str(req, "requestId");
  const cJSON *packet = cJSON_GetObjectItemCaseSensitive(req, "packet");
  const cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "opts");
  if (!rid || strlen(rid) >= 64 || !cJSON_IsObject(packet)) return;
  char *event = NULL;
  sioc__sbuf_t args;
  sioc__sbuf_init(&args);
  if (sio__wire_packet_split(packet, &event, &args) != 0) return;
  const cJSON *flags = cJSON_GetObjectItemCaseSensitive(opts, "flags");
  const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(flags, "timeout");
  uint32_t timeout = cJSON_IsNumber(tmo) && tmo->valuedouble >= 1 &&
                             tmo->valuedouble < 4294967295.0
                         ? (uint32_t)tmo->valuedouble
                         : a->c->requests_timeout_ms;
  int fl = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flags, "volatile")) ? SIOC_BCAST_VOLATILE : 0;
  target_buf_t tb;
  if (target_from(opts, fl, &tb) != 0) {
    free(event);
    sioc__sbuf_reset(&args);
    return;
  }
  remote_ack_t *r = calloc(1, sizeof(*r));
  const char *uid = json_str(req, "uid");
  sioc__sbuf_t ch;
  sioc__sbuf_init(&ch);
  if (r && a->c->specific_response && uid)
    sio__wire_response_channel(&ch, a->c->key, a->base.nsp->name, uid);
  else
    sioc__sbuf_appends(&ch, a->response_channel);
  sioc__sbuf_appendc(&ch, '\0');
  size_t chlen;
  if (r) {
    r->refs = 1;
    r->c = a->c;
    a->c->refs++;
    r->channel = sioc__sbuf_steal(&ch, &chlen);
    snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
  }
  sioc__sbuf_reset(&ch);
  sockv_t v = {NULL, 0, 0};
  a->local->ops->apply(a->local, &tb.t, sockv_add, &v);
  size_t count = 0;
  for (size_t i = 0; r && r->channel && i < v.n; i++) {
    r->refs++;
    if (sioc_socket_emit_with_ack(v.items[i], event, args.data, args.len,
                                  bins->items, bins->n, timeout,
                                  on_remote_client_ack, r) == 0)
      count++;
    else
      r->refs--;
  }
  if (r && r->channel) {
    /* JSON, as socket.io sends it: {type: 8, requestId, clientCount} */
    sioc__sbuf_t b;
    sioc__sbuf_init(&b);
    sioc__sbuf_appends(&b, "{\"type\":8,\"requestId\":");
    sioc__json_quote(&b, rid, strlen(rid));
    sioc__sbuf_appends(&b, ",\"clientCount\":");
    sioc__sbuf_append_u64(&b, count);
    sioc__sbuf_appendc(&b, '}');
    publish(a->c, r->channel, b.data, b.len);
    sioc__sbuf_reset(&b);
  }
  if (r) remote_ack_unref(r);
  sockv_free(&v);
  target_free(&tb);
  free(event);
  sioc__sbuf_reset(&args);
}

static void handle_request(redis_adapter_t *a, const char *msg, size_t len) {
  sio__bins_t bins = {NULL, 0, 0};
  cJSON *req = sio__wire_parse(msg, len, &bins);
  if (!req) {
    sio__bins_free(&bins);
    return;   /* malformed: ignored, as socket.io does */
  }
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(req, "type");
  const char *uid = json_str(req, "uid");
  const char *rid = json_str(req, "requestId");
  sioc_nsp_t *nsp = a->base.nsp;
  int own = uid && strcmp(uid, a->c->uid) == 0;
  if (!cJSON_IsNumber(type) || own) goto done;
  switch ((int)type->valuedouble) {
    case SIO_REQ_SOCKETS: {
      if (!rid) break;
      cJSON *rooms = cJSON_GetObjectItemCaseSensitive(req, "rooms");
      cJSON *o = cJSON_CreateObject();
      if (!o) break;
      if (rooms) cJSON_AddItemReferenceToObject(o, "rooms", rooms);
      target_buf_t tb;
      if (target_from(o, 0, &tb) == 0) {
        sockv_t v = {NULL, 0, 0};
        a->local->ops->apply(a->local, &tb.t, sockv_add, &v);
        sioc__sbuf_t b;
        sioc__sbuf_init(&b);
        sioc__sbuf_appends(&b, "{\"requestId\":");
        sioc__json_quote(&b, rid, strlen(rid));
        sioc__sbuf_appends(&b, ",\"sockets\":[");
        for (size_t i = 0; i < v.n; i++) {
          if (i) sioc__sbuf_appendc(&b, ',');
          sioc__json_quote(&b, v.items[i]->id, strlen(v.items[i]->id));
        }
        sioc__sbuf_appends(&b, "]}");
        publish_response(a, uid, b.data, b.len);
        sioc__sbuf_reset(&b);
        sockv_free(&v);
        target_free(&tb);
      }
      cJSON_Delete(o);
      break;
    }
    case SIO_REQ_ALL_ROOMS: {
      if (!rid) break;
      sioc__sbuf_t b;
      sioc__sbuf_init(&b);
      sioc__sbuf_appends(&b, "{\"requestId\":");
      sioc__json_quote(&b, rid, strlen(rid));
      sioc__sbuf_appends(&b, ",\"rooms\":[");
      room_json_t rc = {&b, 1};
      a->local->ops->rooms(a->local, room_json_cb, &rc);
      sioc__sbuf_appends(&b, "]}");
      publish_response(a, uid, b.data, b.len);
      sioc__sbuf_reset(&b);
      break;
    }
    case SIO_REQ_REMOTE_JOIN:
    case SIO_REQ_REMOTE_LEAVE:
    case SIO_REQ_REMOTE_DISCONNECT: {
      int t = (int)type->valuedouble;
      const cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "opts");
      if (cJSON_IsObject(opts)) {
        target_buf_t tb;
        if (target_from(opts, 0, &tb) != 0) break;
        if (t == SIO_REQ_REMOTE_DISCONNECT) {
          a->local->ops->disconnect_sockets(a->local, &tb.t,
              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "close")));
        } else {
          char **rooms = NULL;
          size_t n = 0;
          if (sio__wire_strv(cJSON_GetObjectItemCaseSensitive(req, "rooms"), &rooms, &n) == 0) {
            if (t == SIO_REQ_REMOTE_JOIN)
              a->local->ops->sockets_join(a->local, &tb.t, (const char *const *)rooms, n);
            else
              a->local->ops->sockets_leave(a->local, &tb.t, (const char *const *)rooms, n);
            sio__wire_strv_free(rooms, n);
          }
        }
        target_free(&tb);
        break;
      }
      /* the older single-socket form: {sid, room | close} */
      const char *sid = json_str(req, "sid");
      sioc_socket_t *s = sid ? sioc_nsp_socket(nsp, sid) : NULL;
      if (!s) break;
      const char *room = json_str(req, "room");
      if (t == SIO_REQ_REMOTE_JOIN && room) sioc_socket_join(s, room);
      else if (t == SIO_REQ_REMOTE_LEAVE && room) sioc_socket_leave(s, room);
      else if (t == SIO_REQ_REMOTE_DISCONNECT)
        sioc_socket_disconnect(s, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "close")));
      if (rid) {
        sioc__sbuf_t b;
        sioc__sbuf_init(&b);
        sioc__sbuf_appends(&b, "{\"requestId\":");
        sioc__json_quote(&b, rid, strlen(rid));
        sioc__sbuf_appendc(&b, '}');
        publish_response(a, uid, b.data, b.len);
        sioc__sbuf_reset(&b);
      }
      break;
    }
    case SIO_REQ_REMOTE_FETCH: {
      if (!rid) break;
      const cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "opts");
      target_buf_t tb;
      if (target_from(opts, 0, &tb) != 0) break;
      sockv_t v = {NULL, 0, 0};
      a->local->ops->apply(a->local, &tb.t, sockv_add, &v);
      target_free(&tb);
      const char **ids = calloc(v.n ? v.n : 1, sizeof(*ids));
      if (ids) {
        for (size_t i = 0; i < v.n; i++) ids[i] = v.items[i]->id;
        if (nsp->on_fetch_data && v.n) {
          /* "<uid> <requestId>": everything the reply needs */
          sioc__sbuf_t token;
          sioc__sbuf_init(&token);
          sioc__sbuf_appends(&token, uid ? uid : "");
          sioc__sbuf_appendc(&token, ' ');
          sioc__sbuf_appends(&token, rid);
          sioc__sbuf_appendc(&token, '\0');
          if (token.data)
            nsp->on_fetch_data(nsp, token.data, ids, v.n, nsp->on_fetch_data_data);
          sioc__sbuf_reset(&token);
        } else {
          reply_fetch(a, uid, rid, ids, NULL, NULL, v.n);
        }
        free(ids);
      }
      sockv_free(&v);
      break;
    }
    case SIO_REQ_SERVER_SIDE_EMIT: {
      const cJSON *data = cJSON_GetObjectItemCaseSensitive(req, "data");
      if (!cJSON_IsArray(data) || !nsp->on_server_side) break;
      char *text = cJSON_PrintUnformatted(data);
      if (!text) break;
      nsp->on_server_side(nsp, text, strlen(text), rid, nsp->on_server_side_data);
      free(text);
      break;
    }
    case SIO_REQ_BROADCAST:
      serve_broadcast_ack(a, req, &bins);
      break;
    default:
      break;
  }
done:
  cJSON_Delete(req);
  sio__bins_free(&bins);
}

/* ---- answers to our requests ---------------------------------------------- */

static void acc_item(request_t *r, const char *text, size_t len) {
  sioc__sbuf_appendc(&r->acc, r->n_acc ? ',' : '[');
  sioc__sbuf_append(&r->acc, text, len);
  r->n_acc++;
}

static void acc_json(request_t *r, const cJSON *v) {
  char *text = v ? cJSON_PrintUnformatted(v) : NULL;
  if (text) acc_item(r, text, strlen(text));
  else acc_item(r, "null", 4);
  free(text);
}

static void handle_response(redis_adapter_t *a, const char *msg, size_t len) {
  sio__bins_t bins = {NULL, 0, 0};
  cJSON *res = sio__wire_parse(msg, len, &bins);
  const char *rid = res ? json_str(res, "requestId") : NULL;
  request_t *r = rid ? request_by_id(a, rid) : NULL;
  if (!r) goto done;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(res, "type");
  switch (r->type) {
    case SIO_REQ_BROADCAST: {
      if (!r->bcast || !cJSON_IsNumber(type)) break;
      if ((int)type->valuedouble == SIO_REQ_BROADCAST_CLIENT_COUNT) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(res, "clientCount");
        sio__bcast_ack_server_count(r->bcast,
            cJSON_IsNumber(n) && n->valuedouble > 0 ? (size_t)n->valuedouble : 0);
      } else if ((int)type->valuedouble == SIO_REQ_BROADCAST_ACK) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(res, "packet");
        /* binary answers cannot be kept in the responses' JSON text */
        char *text = p ? cJSON_PrintUnformatted(p) : NULL;
        sio__bcast_ack_response(r->bcast, text ? text : "null", text ? strlen(text) : 4);
        free(text);
      }
      break;
    }
    case SIO_REQ_REMOTE_FETCH:
    case SIO_REQ_SOCKETS: {
      const cJSON *socks = cJSON_GetObjectItemCaseSensitive(res, "sockets");
      r->msg_count++;
      if (cJSON_IsArray(socks)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, socks) acc_json(r, it);
      }
      if (r->numsub > 0 && r->msg_count >= r->numsub) request_finish(r, 0);
      break;
    }
    case SIO_REQ_ALL_ROOMS: {
      const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(res, "rooms");
      r->msg_count++;
      if (cJSON_IsArray(rooms)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, rooms) {
          char *name = NULL;
          if (cJSON_IsString(it)) name = strdup(it->valuestring);
          if (!name) continue;
          if (sioc__strmap_get(&r->seen, name, strlen(name))) {
            free(name);
            continue;
          }
          if (sioc__strmap_put(&r->seen, name, strlen(name), name)) {
            free(name);
            continue;
          }
          sioc__sbuf_t q;
          sioc__sbuf_init(&q);
          sioc__json_quote(&q, name, strlen(name));
          acc_item(r, q.data, q.len);
          sioc__sbuf_reset(&q);
        }
      }
      if (r->numsub > 0 && r->msg_count >= r->numsub) request_finish(r, 0);
      break;
    }
    case SIO_REQ_SERVER_SIDE_EMIT: {
      acc_json(r, cJSON_GetObjectItemCaseSensitive(res, "data"));
      if (r->numsub > 0 && (long)r->n_acc >= r->numsub) request_finish(r, 0);
      break;
    }
    default:
      break;
  }
done:
  cJSON_Delete(res);
  sio__bins_free(&bins);
}

/* ---- broadcasts from others ----------------------------------------------- */

static void handle_broadcast(redis_adapter_t *a, const char *channel,
                             const char *msg, size_t len) {
  sio__wire_bcast_t b;
  if (sio__wire_bcast_decode(msg, len, &b) != 0) return;
  sioc_nsp_t *nsp = a->base.nsp;
  if (strcmp(b.uid, a->c->uid) == 0 || strcmp(b.nsp, nsp->name) != 0) {
    sio__wire_bcast_free(&b);
    return;
  }
  (void)channel;
  sioc_target_t t = {(const char *const *)b.rooms, b.n_rooms,
                     (const char *const *)b.except, b.n_except,
                     b.flags & SIOC_BCAST_VOLATILE};
  size_t n_msgs = b.atts.n + 1;
  sioc__rbuf_t **msgs = calloc(n_msgs, sizeof(*msgs));
  if (msgs && sio__encode_event_msgs(nsp, b.event, b.args.data ? b.args.data : "[]",
                                     b.args.data ? b.args.len : 2, b.atts.items,
                                     b.atts.n, -1, msgs) == 0) {
    sio__broadcast_t bc = {&t, b.event, b.args.data, b.args.len, b.atts.items,
                           b.atts.n, msgs, n_msgs};
    sio__deliver_local(nsp, &bc);
    for (size_t i = 0; i < n_msgs; i++) sioc__rbuf_unref(msgs[i]);
  }
  free(msgs);
  sio__wire_bcast_free(&b);
}

/* ---- the adapter ops ------------------------------------------------------ */

static redis_adapter_t *ra(sio__adapter_t *a) { return (redis_adapter_t *)a; }

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
  redis_adapter_t *r = ra(a);
  if (!local_only(b->target) && link_up(r->c)) {
    sioc__sbuf_t msg, ch;
    sioc__sbuf_init(&msg);
    sioc__sbuf_init(&ch);
    const sioc_target_t *t = b->target;
    if (sio__wire_bcast_encode(&msg, r->c->uid, a->nsp->name, b->event, b->args,
                               b->args_len, b->attachments, b->n_attachments, t) == 0 &&
        sio__wire_bcast_channel(&ch, r->c->key, a->nsp->name,
                                t && t->n_rooms == 1 ? t->rooms[0] : NULL) == 0 &&
        sioc__sbuf_appendc(&ch, '\0') == 0)
      publish(r->c, ch.data, msg.data, msg.len);
    sioc__sbuf_reset(&msg);
    sioc__sbuf_reset(&ch);
  }
  return r->local->ops->broadcast(r->local, b);
}

/* {"uid","type",["requestId"],"opts":{rooms,except}, ...} */
static int request_head(sioc__sbuf_t *b, redis_adapter_t *r, int type,
                        const char *rid, const sioc_target_t *t) {
  int err = sioc__sbuf_appends(b, "{\"uid\":");
  if (!err) err = sioc__json_quote(b, r->c->uid, strlen(r->c->uid));
  if (!err && rid) {
    err = sioc__sbuf_appends(b, ",\"requestId\":");
    if (!err) err = sioc__json_quote(b, rid, strlen(rid));
  }
  if (!err) err = sioc__sbuf_appends(b, ",\"type\":");
  if (!err) err = sioc__sbuf_append_u64(b, (uint64_t)type);
  if (!err && t != (const sioc_target_t *)-1) {
    err = sioc__sbuf_appends(b, ",\"opts\":{\"rooms\":");
    if (!err) err = json_append_strv(b, t ? t->rooms : NULL, t ? t->n_rooms : 0);
    if (!err) err = sioc__sbuf_appends(b, ",\"except\":");
    if (!err) err = json_append_strv(b, t ? t->except_rooms : NULL, t ? t->n_except : 0);
    if (!err) err = sioc__sbuf_appendc(b, '}');
  }
  return err;
}

static int publish_rooms_op(redis_adapter_t *r, int type, const sioc_target_t *t,
                            const char *const *rooms, size_t n, int close) {
  if (local_only(t) || !link_up(r->c)) return 0;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = request_head(&b, r, type, NULL, t);
  if (!err && type != SIO_REQ_REMOTE_DISCONNECT) {
    err = sioc__sbuf_appends(&b, ",\"rooms\":");
    if (!err) err = json_append_strv(&b, rooms, n);
  }
  if (!err && type == SIO_REQ_REMOTE_DISCONNECT)
    err = sioc__sbuf_appends(&b, close ? ",\"close\":true" : ",\"close\":false");
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (!err) publish(r->c, r->request_channel, b.data, b.len);
  sioc__sbuf_reset(&b);
  return err;
}

static int r_sockets_join(sio__adapter_t *a, const sioc_target_t *t,
                          const char *const *rooms, size_t n) {
  int err = ra(a)->local->ops->sockets_join(ra(a)->local, t, rooms, n);
  publish_rooms_op(ra(a), SIO_REQ_REMOTE_JOIN, t, rooms, n, 0);
  return err;
}

static int r_sockets_leave(sio__adapter_t *a, const sioc_target_t *t,
                           const char *const *rooms, size_t n) {
  int err = ra(a)->local->ops->sockets_leave(ra(a)->local, t, rooms, n);
  publish_rooms_op(ra(a), SIO_REQ_REMOTE_LEAVE, t, rooms, n, 0);
  return err;
}

static int r_disconnect_sockets(sio__adapter_t *a, const sioc_target_t *t, int close) {
  /* Published first: disconnecting may free what t points to (a room). */
  publish_rooms_op(ra(a), SIO_REQ_REMOTE_DISCONNECT, t, NULL, 0, close);
  return ra(a)->local->ops->disconnect_sockets(ra(a)->local, t, close);
}

static void bcast_done(void *data) {
  request_t *r = data;
  r->bcast = NULL;
  request_free(r);
}

static int r_broadcast_ack(sio__adapter_t *a, const sio__broadcast_t *b,
                           uint32_t timeout_ms, sio__bcast_ack_t *ack) {
  redis_adapter_t *ad = ra(a);
  cluster_t *c = ad->c;
  if (!link_up(c)) return 0;   /* only the local clients take part */
  request_t *r = request_new(ad, SIO_REQ_BROADCAST,
                             timeout_ms ? timeout_ms : c->requests_timeout_ms, NULL, NULL);
  if (!r) return SIOC_ENOMEM;
  cJSON *o = cJSON_CreateObject();
  cJSON *packet = sio__wire_packet_json(a->nsp->name, b->event, b->args, b->args_len);
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
    if (!err) publish(c, ad->request_channel, msg.data, msg.len);
    sioc__sbuf_reset(&msg);
  }
  cJSON_Delete(o);
  cJSON_Delete(packet);
  cJSON_Delete(opts);
  if (err) {
    request_free(r);
    return err;
  }
  r->bcast = ack;
  sio__bcast_ack_wait_servers(ack, 1);   /* held until NUMSUB answers */
  sio__bcast_ack_on_done(ack, bcast_done, r);
  ask_numsub(r);
  return 0;
}

static void r_free(sio__adapter_t *a) {
  redis_adapter_t *r = ra(a);
  cluster_t *c = r->c;
  /* Our pending requests end now. */
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &c->requests) {
    request_t *q = SIOC_CONTAINER_OF(it, request_t, link);
    if (q->a == r) request_finish(q, SIOC_ECLOSED);
  }
  sioc__list_remove(&r->link);
  if (c->sub && link_up(c)) subscribe_adapter(r, "UNSUBSCRIBE");
  r->local->ops->free(r->local);
  free(r->bcast_channel);
  free(r->request_channel);
  free(r->response_channel);
  free(r->specific_channel);
  free(r);
  cluster_unref(c);
}

static const sio__adapter_ops_t redis_ops = {
  r_join, r_leave, r_leave_all, r_apply, r_rooms, r_broadcast,
  r_sockets_join, r_sockets_leave, r_disconnect_sockets, r_free, r_broadcast_ack,
};

static char *steal_cstr(sioc__sbuf_t *b) {
  if (sioc__sbuf_appendc(b, '\0')) {
    sioc__sbuf_reset(b);
    return NULL;
  }
  size_t l;
  return sioc__sbuf_steal(b, &l);
}

/* Wraps nsp's memory adapter. */
static int wrap_nsp(cluster_t *c, sioc_nsp_t *nsp) {
  if (nsp->adapter->ops == &redis_ops) return 0;
  redis_adapter_t *r = calloc(1, sizeof(*r));
  if (!r) return SIOC_ENOMEM;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  sio__wire_bcast_channel(&b, c->key, nsp->name, NULL);
  r->bcast_channel = steal_cstr(&b);
  sio__wire_request_channel(&b, c->key, nsp->name);
  r->request_channel = steal_cstr(&b);
  sio__wire_response_channel(&b, c->key, nsp->name, NULL);
  r->response_channel = steal_cstr(&b);
  sio__wire_response_channel(&b, c->key, nsp->name, c->uid);
  r->specific_channel = steal_cstr(&b);
  if (!r->bcast_channel || !r->request_channel || !r->response_channel ||
      !r->specific_channel) {
    free(r->bcast_channel);
    free(r->request_channel);
    free(r->response_channel);
    free(r->specific_channel);
    free(r);
    return SIOC_ENOMEM;
  }
  r->base.ops = &redis_ops;
  r->base.nsp = nsp;
  r->local = nsp->adapter;
  r->c = c;
  c->refs++;
  nsp->adapter = &r->base;
  sioc__list_push_back(&c->adapters, &r->link);
  if (c->sub) subscribe_adapter(r, "SUBSCRIBE");
  return 0;
}

/* ---- hooks for sio_server.c ---------------------------------------------- */

int sio__cluster_wrap(sioc_nsp_t *nsp) {
  cluster_t *c = nsp->server->cluster;
  return c ? wrap_nsp(c, nsp) : 0;
}

void sio__cluster_close(sioc_server_t *server) {
  cluster_t *c = server->cluster;
  if (!c || c->closing) return;
  c->closing = 1;
  /* Requests still waiting end with the server. */
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &c->requests) {
    request_finish(SIOC_CONTAINER_OF(it, request_t, link), SIOC_ECLOSED);
  }
  if (c->n_live || c->retry) {
    c->holding_server = 1;
    server->live_handles++;
  }
  if (c->retry) {
    uv_timer_stop(c->retry);
    uv_close((uv_handle_t *)c->retry, retry_closed);
  }
  int pub_ok = c->pub_ok, sub_ok = c->sub_ok;
  c->pub_ok = c->sub_ok = 0;
  c->state = LINK_DOWN;
  drop_link(c, &c->pub, pub_ok);
  drop_link(c, &c->sub, sub_ok);
  after_links_gone(c);
}

void sio__cluster_server_gone(sioc_server_t *server) {
  cluster_t *c = server->cluster;
  if (!c) return;
  server->cluster = NULL;
  c->server = NULL;
  cluster_unref(c);
}

/* ---- public API ------------------------------------------------------------ */

void sioc_redis_options_init(sioc_redis_options_t *o) {
  memset(o, 0, sizeof(*o));
  o->key = "socket.io";
  o->requests_timeout_ms = 5000;
  o->reconnect_delay_ms = 100;
  o->reconnect_delay_max_ms = 5000;
}

/* redis://[[user]:password@]host[:port][/db] */
static int parse_url(cluster_t *c, const char *url) {
  const char *p;
  if (strncmp(url, "redis://", 8) == 0) p = url + 8;
  else return SIOC_EINVAL;
  const char *end = p + strcspn(p, "/?#");
  const char *at = memchr(p, '@', (size_t)(end - p));
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon) {
      if (colon > p) c->user = strndup(p, (size_t)(colon - p));
      c->password = strndup(colon + 1, (size_t)(at - colon - 1));
    } else {
      c->password = strndup(p, (size_t)(at - p));
    }
    p = at + 1;
  }
  const char *hend = end;
  const char *colon = NULL;
  if (*p == '[') {
    const char *rb = memchr(p, ']', (size_t)(end - p));
    if (!rb) return SIOC_EINVAL;
    c->host = strndup(p + 1, (size_t)(rb - p - 1));
    if (rb + 1 < end && rb[1] == ':') colon = rb + 1;
  } else {
    colon = memchr(p, ':', (size_t)(end - p));
    c->host = strndup(p, (size_t)((colon ? colon : hend) - p));
  }
  if (!c->host) return SIOC_ENOMEM;
  if (!c->host[0]) {
    free(c->host);
    c->host = strdup("127.0.0.1");
    if (!c->host) return SIOC_ENOMEM;
  }
  c->port = 6379;
  if (colon) {
    char *e;
    long port = strtol(colon + 1, &e, 10);
    if (e != end || port <= 0 || port > 65535) return SIOC_EINVAL;
    c->port = (int)port;
  }
  if (*end == '/' && end[1]) {
    char *e;
    long db = strtol(end + 1, &e, 10);
    if ((*e && *e != '?' && *e != '#') || db < 0) return SIOC_EINVAL;
    c->db = (int)db;
  }
  char shown[300];
  snprintf(shown, sizeof(shown), "redis://%s:%d", c->host, c->port);
  c->url = strdup(shown);
  return c->url ? 0 : SIOC_ENOMEM;
}

int sioc_server_use_redis(sioc_server_t *server, const sioc_redis_options_t *opts) {
  if (!server || !opts || !opts->url) return SIOC_EINVAL;
  if (server->cluster || server->closing) return SIOC_EBUSY;
  cluster_t *c = calloc(1, sizeof(*c));
  if (!c) return SIOC_ENOMEM;
  int err = parse_url(c, opts->url);
  const char *key = opts->key && opts->key[0] ? opts->key : "socket.io";
  if (!err && !(c->key = strdup(key))) err = SIOC_ENOMEM;
  if (err) {
    cluster_free(c);
    return err;
  }
  c->refs = 1;
  c->server = server;
  c->loop = server->loop;
  c->requests_timeout_ms = opts->requests_timeout_ms ? opts->requests_timeout_ms : 5000;
  c->specific_response = !!opts->publish_on_specific_response_channel;
  c->delay_min_ms = opts->reconnect_delay_ms ? opts->reconnect_delay_ms : 100;
  c->delay_max_ms = opts->reconnect_delay_max_ms ? opts->reconnect_delay_max_ms : 5000;
  if (c->delay_max_ms < c->delay_min_ms) c->delay_max_ms = c->delay_min_ms;
  c->delay_ms = c->delay_min_ms;
  c->log = opts->log;
  c->log_data = opts->log_data;
  random_id(c->uid, 6);
  sioc__list_init(&c->adapters);
  sioc__list_init(&c->requests);
  server->cluster = c;
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &server->nsp_list) {
    sioc_nsp_t *nsp = SIOC_CONTAINER_OF(it, sioc_nsp_t, link);
    if ((err = wrap_nsp(c, nsp))) return err;
  }
  connect_links(c);
  return 0;
}

int sioc_server_cluster_connected(const sioc_server_t *server) {
  return server->cluster && link_up(server->cluster);
}

static redis_adapter_t *cluster_adapter(sioc_nsp_t *nsp) {
  return nsp->adapter->ops == &redis_ops ? ra(nsp->adapter) : NULL;
}

static int seen_room_cb(const char *room, size_t n, void *data) {
  request_t *r = data;
  size_t len = strlen(room);
  char *name = strdup(room);
  if (!name) return 0;
  if (sioc__strmap_put(&r->seen, name, len, name)) {
    free(name);
    return 0;
  }
  sioc__sbuf_t q;
  sioc__sbuf_init(&q);
  sioc__json_quote(&q, room, len);
  acc_item(r, q.data, q.len);
  sioc__sbuf_reset(&q);
  return 0;
}

int sioc_nsp_fetch_sockets(sioc_nsp_t *nsp, const sioc_target_t *t,
                           sioc_cluster_cb cb, void *data) {
  if (!nsp || !cb) return SIOC_EINVAL;
  redis_adapter_t *a = cluster_adapter(nsp);
  if (!a || local_only(t)) {
    cb(nsp, 0, "[]", 2, data);
    return 0;
  }
  request_t *r = request_new(a, SIO_REQ_REMOTE_FETCH, 0, cb, data);
  if (!r) return SIOC_ENOMEM;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = request_head(&b, a, SIO_REQ_REMOTE_FETCH, r->id, t);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (err) {
    sioc__sbuf_reset(&b);
    request_free(r);
    return err;
  }
  r->payload = sioc__sbuf_steal(&b, &r->payload_len);
  ask_numsub(r);
  return 0;
}

int sioc_nsp_all_rooms(sioc_nsp_t *nsp, sioc_cluster_cb cb, void *data) {
  if (!nsp || !cb) return SIOC_EINVAL;
  redis_adapter_t *a = cluster_adapter(nsp);
  if (!a) {
    sioc__sbuf_t b;
    sioc__sbuf_init(&b);
    room_json_t rc = {&b, 1};
    sioc__sbuf_appendc(&b, '[');
    nsp->adapter->ops->rooms(nsp->adapter, room_json_cb, &rc);
    sioc__sbuf_appendc(&b, ']');
    cb(nsp, b.data ? 0 : SIOC_ENOMEM, b.data ? b.data : "[]", b.data ? b.len : 2, data);
    sioc__sbuf_reset(&b);
    return 0;
  }
  request_t *r = request_new(a, SIO_REQ_ALL_ROOMS, 0, cb, data);
  if (!r) return SIOC_ENOMEM;
  /* our own rooms first */
  a->local->ops->rooms(a->local, seen_room_cb, r);
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = request_head(&b, a, SIO_REQ_ALL_ROOMS, r->id, (const sioc_target_t *)-1);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (err) {
    sioc__sbuf_reset(&b);
    request_free(r);
    return err;
  }
  r->payload = sioc__sbuf_steal(&b, &r->payload_len);
  ask_numsub(r);
  return 0;
}

int sioc_nsp_server_count(sioc_nsp_t *nsp, sioc_cluster_cb cb, void *data) {
  if (!nsp || !cb) return SIOC_EINVAL;
  redis_adapter_t *a = cluster_adapter(nsp);
  if (!a) {
    cb(nsp, 0, "1", 1, data);
    return 0;
  }
  request_t *r = request_new(a, -1, 0, cb, data);
  if (!r) return SIOC_ENOMEM;
  ask_numsub(r);
  return 0;
}

void sioc_nsp_on_fetch_data(sioc_nsp_t *nsp, sioc_fetch_data_cb cb, void *data) {
  nsp->on_fetch_data = cb;
  nsp->on_fetch_data_data = data;
}

int sioc_nsp_fetch_data_reply(sioc_nsp_t *nsp, const char *request,
                              const char *const *ids, const char *const *data_json,
                              const size_t *lens, size_t n) {
  if (!nsp || !request || (n && (!ids || !data_json || !lens))) return SIOC_EINVAL;
  redis_adapter_t *a = cluster_adapter(nsp);
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

int sioc_nsp_server_side_emit(sioc_nsp_t *nsp, const char *args, size_t len,
                              uint32_t timeout_ms, sioc_cluster_cb cb, void *data) {
  if (!nsp || !args) return SIOC_EINVAL;
  if (sioc__json_check(args, len) != SIOC_JSON_ARRAY) return SIOC_EJSON;
  redis_adapter_t *a = cluster_adapter(nsp);
  if (!a) {
    if (cb) cb(nsp, 0, "[]", 2, data);
    return 0;
  }
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  request_t *r = NULL;
  if (cb && !(r = request_new(a, SIO_REQ_SERVER_SIDE_EMIT, timeout_ms, cb, data)))
    return SIOC_ENOMEM;
  int err = request_head(&b, a, SIO_REQ_SERVER_SIDE_EMIT, r ? r->id : NULL,
                         (const sioc_target_t *)-1);
  if (!err) err = sioc__sbuf_appends(&b, ",\"data\":");
  if (!err) err = sioc__sbuf_append(&b, args, len);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (err) {
    sioc__sbuf_reset(&b);
    if (r) request_free(r);
    return err;
  }
  if (!r) {
    publish(a->c, a->request_channel, b.data, b.len);
    sioc__sbuf_reset(&b);
    return 0;
  }
  r->payload = sioc__sbuf_steal(&b, &r->payload_len);
  ask_numsub(r);
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
  redis_adapter_t *a = cluster_adapter(nsp);
  if (!a) return SIOC_EINVAL;
  /* socket.io answers on the shared response channel, in JSON */
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int err = sioc__sbuf_appends(&b, "{\"type\":6,\"requestId\":");
  if (!err) err = sioc__json_quote(&b, ack, strlen(ack));
  if (!err) err = sioc__sbuf_appends(&b, ",\"data\":");
  if (!err) err = sioc__sbuf_append(&b, arg, len);
  if (!err) err = sioc__sbuf_appendc(&b, '}');
  if (!err) publish(a->c, a->response_channel, b.data, b.len);
  sioc__sbuf_reset(&b);
  return err;
}


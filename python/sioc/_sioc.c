/* _sioc.c - the CPython extension: a sioc server, or a sioc client
 * manager, on its own loop thread.
 *
 * One Core type serves both: start() makes it a server, start_client() a
 * client (one sioc_manager_t whose sockets are named by their namespace, so
 * Python never holds a client pointer).  Queues, eventfd, drain()/wait(),
 * close() and the loop thread are shared; client commands are C_CL_*, client
 * events E_CL (one tuple shape for socket and manager events), E_CL_AUTH
 * (auth callback wanted) and E_ACK (shared with the server's acks).
 *
 * Threading (DESIGN.md): a Core owns one uv_loop_t and one sioc_server_t,
 * run by a loop thread that never holds the GIL and never waits on Python.
 *  - Python -> loop: commands are appended to `cmds` under `mu` and the loop
 *    is woken with uv_async_send.  Most are fire-and-forget (emits, joins,
 *    acks); queries (rooms, sockets, stats) wait on `cv` for their answer,
 *    which the loop thread computes without ever taking the GIL.
 *  - loop -> Python: C callbacks copy what they received into an event and
 *    append it to `evs` under `mu`; the first event of an empty queue makes
 *    the loop thread write the eventfd (asyncio watches it with
 *    loop.add_reader) and signal `cv` (the blocking flavour waits on it)
 *    once the current loop turn's callbacks are done (a check handle, or a
 *    prepare handle before the loop blocks): Python then wakes once per
 *    turn with everything the turn produced, instead of once per event
 *    (both threads usually share one core, and each wake-up was a switch
 *    and back).  Python objects are built only by drain()/wait(), on the
 *    Python side, holding the GIL.
 *
 * Invariants:
 *  - Every socket Python knows about has a psock_t as its sioc data holding
 *    one sioc reference; it is dropped by the "release" command (Python posts
 *    it once it will not use the handle again), by a failed or rejecting
 *    middleware decision, or when the loop thread exits.  Commands run in
 *    FIFO order, so a handle is valid for every command posted before its
 *    release.
 *  - The server, its namespaces and sockets are touched only on the loop
 *    thread, except in start(), before the thread exists.
 *  - No global mutable state: everything lives in the Core object.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sioc.h>

/* ---- messages (commands and events share one shape) -------------------- */

enum {
  /* commands */
  C_NSP = 1, C_DYNAMIC, C_EMIT, C_EMIT_ACK, C_SEMIT, C_SEMIT_ACK, C_ACK,
  C_JOIN, C_LEAVE, C_SDISCONNECT, C_DECIDE, C_RELEASE, C_SJOIN, C_SLEAVE,
  C_SDISC, C_Q_SROOMS, C_Q_SOCKETS, C_Q_ROOMS, C_Q_STATS, C_CLOSE,
  C_SERVE,   /* str = URL path, str2 = content type, json/json_len = body */
  /* the cluster (Redis adapter): answers come back as E_CLUSTER */
  C_FETCH, C_ALL_ROOMS, C_SERVER_COUNT, C_SS_EMIT, C_SS_ACK, C_FETCH_REPLY,
  /* client commands (m->nsp names the socket) */
  C_CL_CONNECT, C_CL_DISCONNECT, C_CL_EMIT, C_CL_EMIT_ACK, C_CL_ACK,
  C_CL_AUTH, C_CL_Q_STATE,
  C_Q_TRANSPORT,   /* a socket's transport name (sync) */
  C_NSP_FREE,      /* cleanupEmptyChildNamespaces: "true" when it is gone (sync) */
  C_CONN_ERRORS,   /* flags: post E_CONN_ERROR for refused requests */
  /* events */
  E_CONNECT = 1, E_MIDDLEWARE, E_EVENT, E_DISCONNECTING, E_DISCONNECT, E_ACK,
  E_BACK, E_CLOSED, E_ERROR, E_CL, E_CL_AUTH,
  E_CLUSTER,      /* (req, err, json, message | None) */
  E_FETCH_DATA,   /* (nsp, request, ids json) */
  E_SERVER_SIDE,  /* (nsp, args json, ack | None) */
  E_LOG,          /* (line, level): the Redis adapter's log lines */
  E_UPGRADE,      /* (nsp, handle, transport): the connection is WebSocket now */
  E_SOCK_ERROR,   /* (nsp, handle, message): an undecodable packet */
  E_CONN_ERROR    /* (code, message, request json): a refused request */
};

typedef struct sync_s {
  int done;
  int rc;
  char *text;   /* malloc'ed answer (JSON), or NULL */
} sync_t;

typedef struct msg_s {
  struct msg_s *next;
  int op;
  void *handle;              /* psock_t * */
  char *nsp, *str, *str2;    /* namespace; event name / room / reason; more */
  char *json;
  size_t json_len;
  sioc_bin_t *bins;          /* one block: array then data */
  size_t n_bins;
  char **rooms, **except;    /* NULL-terminated blocks */
  size_t n_rooms, n_except;
  int flags;
  int64_t num;               /* ack id / request id / close flag */
  int err;
  uint32_t timeout_ms;
  sync_t *sync;
} msg_t;

typedef struct core_s core_t;

typedef struct psock_s {
  sioc_socket_t *s;
  core_t *core;
  struct psock_s *prev, *next;
} psock_t;

typedef struct {
  core_t *core;
  int64_t req;
} ackreq_t;

struct core_s {
  PyObject_HEAD
  pthread_mutex_t mu;
  pthread_cond_t cv;         /* events arrived, or a sync answer is ready */
  msg_t *cmds, **cmds_tail;
  msg_t *evs, **evs_tail;
  size_t n_evs;
  int efd;
  int running;               /* 1 while the loop thread accepts commands */
  int started, joined;
  pthread_t thread;
  uv_loop_t loop;
  uv_async_t async;
  /* loop thread only: the notification of new events, at the turn's end */
  uv_check_t notify_check;
  uv_prepare_t notify_prepare;
  int in_loop;               /* uv_run is running: notifications can wait */
  int notify_pending;
  pthread_t loop_thread;
  sioc_server_t *server;
  sioc_manager_t *manager;   /* client mode; NULL once closing */
  int is_client;
  sioc_options_t *opts;
  int dynamic;               /* loop thread: create unknown namespaces */
  int conn_errors;           /* loop thread: Python listens to connection_error */
  psock_t socks;             /* loop thread: list head of known sockets */
  size_t n_socks;
  int port;
  char *redis_url, *redis_key;   /* use_redis(), applied by start() */
  uint32_t redis_timeout_ms;
  int redis_specific;
  size_t redis_max_message, redis_max_buffered;
};

typedef struct {
  PyTypeObject *core_type;
} modstate_t;

/* ---- small helpers ------------------------------------------------------ */

static void msg_free(msg_t *m) {
  if (!m) return;
  free(m->nsp);
  free(m->str);
  free(m->str2);
  free(m->json);
  free(m->bins);
  free(m->rooms);
  free(m->except);
  free(m);
}

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static char *dups(const char *s) { return s ? dupn(s, strlen(s)) : NULL; }

static sioc_bin_t *bins_copy(const sioc_bin_t *b, size_t n) {
  if (!n) return NULL;
  size_t total = n * sizeof(sioc_bin_t);
  for (size_t i = 0; i < n; i++) total += b[i].len;
  sioc_bin_t *out = malloc(total ? total : 1);
  if (!out) return NULL;
  uint8_t *p = (uint8_t *)(out + n);
  for (size_t i = 0; i < n; i++) {
    if (b[i].len) memcpy(p, b[i].data, b[i].len);
    out[i].data = p;
    out[i].len = b[i].len;
    p += b[i].len;
  }
  return out;
}

/* ---- event queue (loop thread -> Python) --------------------------------- */

/* Wakes Python: the eventfd for asyncio, cv for the blocking flavour. */
static void ev_notify(core_t *c) {
  uint64_t one = 1;
  ssize_t r = write(c->efd, &one, sizeof(one));
  (void)r;   /* EAGAIN: the counter is already non-zero */
  pthread_mutex_lock(&c->mu);
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static void on_notify_check(uv_check_t *h);
static void on_notify_prepare(uv_prepare_t *h);

/* An event that made the queue non-empty: Python is woken at the end of
 * the loop turn (see the top), or now when no turn is running here.  A
 * Python drain meanwhile only makes that wake-up find nothing. */
static void ev_push(core_t *c, msg_t *e) {
  pthread_mutex_lock(&c->mu);
  int was_empty = c->evs == NULL;
  *c->evs_tail = e;
  c->evs_tail = &e->next;
  c->n_evs++;
  pthread_mutex_unlock(&c->mu);
  if (!was_empty) return;
  if (c->in_loop && pthread_equal(pthread_self(), c->loop_thread)) {
    if (!c->notify_pending) {
      c->notify_pending = 1;
      uv_check_start(&c->notify_check, on_notify_check);
      uv_prepare_start(&c->notify_prepare, on_notify_prepare);
    }
    return;
  }
  ev_notify(c);
}

static void notify_turn_end(core_t *c) {
  if (!c->notify_pending) return;
  c->notify_pending = 0;
  uv_check_stop(&c->notify_check);
  uv_prepare_stop(&c->notify_prepare);
  ev_notify(c);
}

static void on_notify_check(uv_check_t *h) { notify_turn_end(h->data); }
static void on_notify_prepare(uv_prepare_t *h) { notify_turn_end(h->data); }

static msg_t *ev_new(int type, psock_t *ps, const char *nsp) {
  msg_t *e = calloc(1, sizeof(*e));
  if (!e) return NULL;
  e->op = type;
  e->handle = ps;
  if (nsp && !(e->nsp = dups(nsp))) {
    free(e);
    return NULL;
  }
  return e;
}

/* An ack request that could not be sent: Python's waiter gets err at once. */
static void ack_failed(core_t *c, int type, int64_t req, int err) {
  msg_t *e = ev_new(type, NULL, NULL);
  if (!e) return;
  e->num = req;
  e->err = err;
  ev_push(c, e);
}

static void ev_error(core_t *c, const char *what, int err) {
  msg_t *e = ev_new(E_ERROR, NULL, NULL);
  if (!e) return;
  char buf[256];
  snprintf(buf, sizeof(buf), "%s: %s (%s)", what, sioc_strerror(err),
           sioc_err_name(err));
  if (!(e->str = dups(buf))) {
    msg_free(e);
    return;
  }
  ev_push(c, e);
}

/* ---- loop thread: sioc callbacks -------------------------------------- */

static psock_t *psock_of(core_t *c, sioc_socket_t *s) {
  psock_t *ps = sioc_socket_get_data(s);
  if (ps) return ps;
  ps = calloc(1, sizeof(*ps));
  if (!ps) return NULL;
  ps->s = sioc_socket_ref(s);
  ps->core = c;
  ps->next = c->socks.next;
  ps->prev = &c->socks;
  c->socks.next->prev = ps;
  c->socks.next = ps;
  c->n_socks++;
  sioc_socket_set_data(s, ps);
  return ps;
}

static void psock_release(psock_t *ps) {
  core_t *c = ps->core;
  ps->prev->next = ps->next;
  ps->next->prev = ps->prev;
  c->n_socks--;
  sioc_socket_set_data(ps->s, NULL);
  sioc_socket_unref(ps->s);
  free(ps);
}

/* o["headers"]: the core's rendering of request headers (socket.io's
 * lowercased, joined form).  0 on out-of-memory. */
static int add_headers(cJSON *o, const sioc_header_t *headers, size_t n) {
  char *text = sioc_headers_json(headers, n);
  if (!text) return 0;
  cJSON *raw = cJSON_CreateRaw(text);
  free(text);
  if (raw && cJSON_AddItemToObject(o, "headers", raw)) return 1;
  cJSON_Delete(raw);
  return 0;
}

/* The handshake and auth as one JSON object, built here so that Python
 * parses one string: {"headers":{..},"url","query","address","time",
 * "secure","xdomain","auth","transport"}. */
static char *handshake_json(sioc_socket_t *s) {
  const sioc_handshake_t *hs = sioc_socket_handshake(s);
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  if (!add_headers(o, hs ? hs->headers : NULL, hs ? hs->n_headers : 0)) goto fail;
  if (hs) {
    cJSON_AddStringToObject(o, "url", hs->url ? hs->url : "");
    cJSON_AddStringToObject(o, "query", hs->query ? hs->query : "");
    cJSON_AddStringToObject(o, "address", hs->address ? hs->address : "");
    cJSON_AddNumberToObject(o, "time", (double)hs->time_ms);
    cJSON_AddBoolToObject(o, "secure", hs->secure);
    cJSON_AddBoolToObject(o, "xdomain", hs->xdomain);
  }
  size_t alen;
  const char *auth = sioc_socket_auth(s, &alen);
  char *a = dupn(auth ? auth : "{}", auth ? alen : 2);
  if (!a) goto fail;
  cJSON_AddItemToObject(o, "auth", cJSON_CreateRaw(a));
  free(a);
  cJSON_AddStringToObject(o, "transport", sioc_socket_transport(s));
  char *out = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return out;
fail:
  cJSON_Delete(o);
  return NULL;
}

static void post_socket_event(core_t *c, int type, sioc_socket_t *s) {
  psock_t *ps = psock_of(c, s);
  msg_t *e = ps ? ev_new(type, ps, sioc_nsp_name(sioc_socket_nsp(s))) : NULL;
  if (!e || !(e->str = dups(sioc_socket_id(s))) ||
      !(e->json = handshake_json(s))) {
    msg_free(e);
    if (type == E_MIDDLEWARE) {
      sioc_socket_reject(s, "server error", NULL, 0);
      if (ps) psock_release(ps);
    }
    return;
  }
  e->json_len = strlen(e->json);
  ev_push(c, e);
}

static void on_connection(sioc_socket_t *s, void *ud) {
  post_socket_event(ud, E_CONNECT, s);
}

static void on_middleware(sioc_socket_t *s, const char *auth, size_t len,
                          void *ud) {
  post_socket_event(ud, E_MIDDLEWARE, s);
}

static void on_event(sioc_socket_t *s, const sioc_event_t *ev, void *ud) {
  core_t *c = ud;
  psock_t *ps = psock_of(c, s);
  msg_t *e = ps ? ev_new(E_EVENT, ps, sioc_nsp_name(sioc_socket_nsp(s))) : NULL;
  if (!e || !(e->str = dupn(ev->name, ev->name_len)) ||
      !(e->json = dupn(ev->args, ev->args_len)) ||
      (ev->n_attachments &&
       !(e->bins = bins_copy(ev->attachments, ev->n_attachments)))) {
    msg_free(e);
    ev_error(c, "dropped an event", SIOC_ENOMEM);
    return;
  }
  e->json_len = ev->args_len;
  e->n_bins = ev->n_attachments;
  e->num = ev->ack_id;
  ev_push(c, e);
}

static void on_disc(core_t *c, int type, sioc_socket_t *s, const char *reason) {
  psock_t *ps = sioc_socket_get_data(s);
  if (!ps) return;   /* Python never saw this socket */
  msg_t *e = ev_new(type, ps, sioc_nsp_name(sioc_socket_nsp(s)));
  if (!e || !(e->str = dups(reason))) {
    msg_free(e);
    return;
  }
  ev_push(c, e);
}

static int collect_room(const char *room, size_t n, void *ud);

/* socket.io's "disconnecting" handlers still see the socket's rooms; the
 * Python handler runs after the core let them go, so the event carries a
 * snapshot (JSON array) taken here, while the socket is still in them. */
static void on_disconnecting(sioc_socket_t *s, const char *reason, void *ud) {
  core_t *c = ud;
  psock_t *ps = sioc_socket_get_data(s);
  if (!ps) return;
  msg_t *e = ev_new(E_DISCONNECTING, ps, sioc_nsp_name(sioc_socket_nsp(s)));
  cJSON *a = cJSON_CreateArray();
  if (a) sioc_socket_foreach_room(s, collect_room, a);
  char *txt = a ? cJSON_PrintUnformatted(a) : NULL;
  cJSON_Delete(a);
  if (!e || !txt || !(e->str = dups(reason))) {
    free(txt);
    msg_free(e);
    ev_error(c, "dropped a disconnecting event", SIOC_ENOMEM);
    return;
  }
  e->json = txt;
  e->json_len = strlen(txt);
  ev_push(c, e);
}

static void on_disconnect(sioc_socket_t *s, const char *reason, void *ud) {
  on_disc(ud, E_DISCONNECT, s, reason);
}

/* Upgrades and decoder errors reach connected sockets only, which Python
 * knows (their connection event made the psock). */
static void on_upgrade(sioc_socket_t *s, void *ud) {
  on_disc(ud, E_UPGRADE, s, sioc_socket_transport(s));
}

static void on_sock_error(sioc_socket_t *s, const char *message, void *ud) {
  on_disc(ud, E_SOCK_ERROR, s, message);
}

/* engine.io's "connection_error": the request as one JSON object
 * {"method","url","headers":{...},"address"}, headers as in a handshake. */
static void on_conn_error(sioc_server_t *server, const sioc_connection_error_t *ce,
                          void *ud) {
  core_t *c = ud;
  if (!c->conn_errors) return;
  msg_t *e = ev_new(E_CONN_ERROR, NULL, NULL);
  cJSON *o = cJSON_CreateObject();
  if (!e || !o) goto fail;
  cJSON_AddStringToObject(o, "method", ce->method ? ce->method : "");
  cJSON_AddStringToObject(o, "url", ce->url ? ce->url : "");
  if (!add_headers(o, ce->headers, ce->n_headers)) goto fail;
  cJSON_AddStringToObject(o, "address", ce->address ? ce->address : "");
  e->err = ce->code;
  if (!(e->str = dups(ce->message ? ce->message : "")) ||
      !(e->json = cJSON_PrintUnformatted(o)))
    goto fail;
  e->json_len = strlen(e->json);
  cJSON_Delete(o);
  ev_push(c, e);
  return;
fail:
  cJSON_Delete(o);
  msg_free(e);
}

static void on_fetch_data(sioc_nsp_t *nsp, const char *request,
                          const char *const *ids, size_t n, void *ud) {
  core_t *c = ud;
  msg_t *e = ev_new(E_FETCH_DATA, NULL, sioc_nsp_name(nsp));
  if (!e) return;
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(ids[i]));
  e->json = a ? cJSON_PrintUnformatted(a) : NULL;
  cJSON_Delete(a);
  e->str = dups(request);
  if (!e->json || !e->str) {
    msg_free(e);
    return;
  }
  e->json_len = strlen(e->json);
  ev_push(c, e);
}

static void on_server_side(sioc_nsp_t *nsp, const char *args, size_t len,
                           const char *ack, void *ud) {
  core_t *c = ud;
  msg_t *e = ev_new(E_SERVER_SIDE, NULL, sioc_nsp_name(nsp));
  if (!e) return;
  e->json = dupn(args, len);
  e->json_len = len;
  if (!e->json || (ack && !(e->str = dups(ack)))) {
    msg_free(e);
    return;
  }
  ev_push(c, e);
}

/* The adapter's log lines go to Python's "sioc" logger. */
static void on_redis_log(int level, const char *line, void *ud) {
  core_t *c = ud;
  msg_t *e = ev_new(E_LOG, NULL, NULL);
  if (!e) return;
  e->err = level;
  if (!(e->str = dups(line))) {
    msg_free(e);
    return;
  }
  ev_push(c, e);
}

static void on_cluster_answer(sioc_nsp_t *nsp, int err, const char *message,
                              const char *json, size_t len, void *ud) {
  ackreq_t *r = ud;
  msg_t *e = ev_new(E_CLUSTER, NULL, NULL);
  if (e) {
    e->num = r->req;
    e->err = err;
    if (json && !(e->json = dupn(json, len))) e->err = SIOC_ENOMEM;
    if (message && !(e->str = dups(message))) e->err = SIOC_ENOMEM;
    e->json_len = e->json ? len : 0;
    ev_push(r->core, e);
  }
  free(r);
}

static void nsp_setup(core_t *c, sioc_nsp_t *nsp, int middleware) {
  sioc_nsp_on_fetch_data(nsp, on_fetch_data, c);
  sioc_nsp_on_server_side_emit(nsp, on_server_side, c);
  sioc_nsp_on_connection(nsp, on_connection, c);
  sioc_nsp_on_event(nsp, on_event, c);
  sioc_nsp_on_disconnecting(nsp, on_disconnecting, c);
  sioc_nsp_on_disconnect(nsp, on_disconnect, c);
  sioc_nsp_on_upgrade(nsp, on_upgrade, c);
  sioc_nsp_on_error(nsp, on_sock_error, c);
  if (middleware) sioc_nsp_use(nsp, on_middleware, c);
}

/* Unknown namespace: with dynamic namespaces on, create it with the Python
 * middleware installed; Python decides whether a matcher accepts the name
 * and otherwise rejects with "Invalid namespace". */
static sioc_nsp_t *on_new_nsp(sioc_server_t *server, const char *name, void *ud) {
  core_t *c = ud;
  if (!c->dynamic) return NULL;
  sioc_nsp_t *nsp = sioc_server_of(server, name);
  if (nsp) nsp_setup(c, nsp, 1);
  return nsp;
}

static void on_ack(sioc_socket_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *bins, size_t n, void *ud) {
  ackreq_t *r = ud;
  msg_t *e = ev_new(E_ACK, NULL, NULL);
  if (e) {
    e->num = r->req;
    e->err = err;
    if ((args && !(e->json = dupn(args, len))) ||
        (n && !(e->bins = bins_copy(bins, n)))) {
      e->err = SIOC_ENOMEM;
      free(e->json);
      e->json = NULL;
      n = 0;
    }
    e->json_len = e->json ? len : 0;
    e->n_bins = n;
    ev_push(r->core, e);
  }
  free(r);
}

static void on_bcast_ack(sioc_nsp_t *nsp, int err, const char *responses,
                         size_t len, void *ud) {
  ackreq_t *r = ud;
  msg_t *e = ev_new(E_BACK, NULL, NULL);
  if (e) {
    e->num = r->req;
    e->err = err;
    if (responses && !(e->json = dupn(responses, len))) e->err = SIOC_ENOMEM;
    e->json_len = e->json ? len : 0;
    ev_push(r->core, e);
  }
  free(r);
}

/* ---- loop thread: commands ------------------------------------------------ */

static void sync_answer(core_t *c, msg_t *m, int rc, char *text) {
  pthread_mutex_lock(&c->mu);
  m->sync->rc = rc;
  m->sync->text = text;
  m->sync->done = 1;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

typedef struct {
  cJSON *arr;
  const char *room;
  sioc_nsp_t *nsp;
} iter_t;

static int collect_room(const char *room, size_t n, void *ud) {
  cJSON_AddItemToArray(ud, cJSON_CreateString(room));
  return 0;
}

static int collect_id(sioc_socket_t *s, void *ud) {
  cJSON_AddItemToArray(ud, cJSON_CreateString(sioc_socket_id(s)));
  return 0;
}

static int collect_room_members(const char *room, size_t n, void *ud) {
  iter_t *it = ud;
  cJSON *ids = cJSON_CreateArray();
  const char *rooms[1] = {room};
  sioc_target_t t = {.rooms = rooms, .n_rooms = 1};
  sioc_nsp_foreach_socket(it->nsp, &t, collect_id, ids);
  cJSON_AddItemToArray(it->arr, cJSON_CreateString(room));
  cJSON_AddItemToArray(it->arr, ids);
  return 0;
}

static void on_server_closed(sioc_server_t *server, void *ud) {
  core_t *c = ud;
  c->server = NULL;
  uv_close((uv_handle_t *)&c->async, NULL);
}

static void run_client_cmd(core_t *c, msg_t *m);

/* A command for a namespace that does not exist (any more): as if it had
 * no sockets.  Broadcast acks get no responses, cluster queries fail. */
static void nsp_gone(core_t *c, msg_t *m) {
  switch (m->op) {
  case C_EMIT_ACK: {
    msg_t *e = ev_new(E_BACK, NULL, NULL);
    if (e && !(e->json = dups("[]"))) {
      msg_free(e);
      e = NULL;
    }
    if (e) {
      e->num = m->num;
      e->json_len = 2;
      ev_push(c, e);
    }
    break;
  }
  case C_FETCH:
  case C_ALL_ROOMS:
  case C_SERVER_COUNT:
  case C_SS_EMIT:
    if (m->num >= 0) ack_failed(c, E_CLUSTER, m->num, SIOC_ECLOSED);
    break;
  case C_NSP_FREE:
    sync_answer(c, m, 0, dups("true"));
    return;
  default:
    break;
  }
  if (m->sync) sync_answer(c, m, SIOC_ECLOSED, NULL);
}

static void run_cmd(core_t *c, msg_t *m) {
  psock_t *ps = m->handle;
  sioc_nsp_t *nsp = NULL;
  int rc = 0;
  if (c->is_client) {
    run_client_cmd(c, m);
    return;
  }
  if (!c->server) {   /* closing: answer queries, drop the rest */
    if (m->op == C_RELEASE) psock_release(ps);
    if (m->sync) sync_answer(c, m, SIOC_ECLOSED, NULL);
    return;
  }
  if (m->nsp) {
    /* Only C_NSP creates a namespace: any other command may name one that
     * cleanupEmptyChildNamespaces freed meanwhile, which must stay gone
     * rather than come back without its callbacks. */
    nsp = m->op == C_NSP ? sioc_server_of(c->server, m->nsp)
                         : sioc_server_nsp(c->server, m->nsp);
    if (!nsp && m->op != C_NSP && m->nsp[0] == '/') {
      nsp_gone(c, m);
      return;
    }
    if (!nsp) {
      if (m->sync) sync_answer(c, m, SIOC_EINVAL, NULL);
      else ev_error(c, "namespace", SIOC_EINVAL);
      return;
    }
  }
  sioc_target_t t = {(const char *const *)m->rooms, m->n_rooms,
                     (const char *const *)m->except, m->n_except, m->flags};
  switch (m->op) {
  case C_NSP:
    nsp_setup(c, nsp, m->flags);
    break;
  case C_DYNAMIC:
    c->dynamic = m->flags;
    break;
  case C_CONN_ERRORS:
    c->conn_errors = m->flags;
    break;
  case C_NSP_FREE:
    /* EBUSY: a socket connected or is in the middlewares meanwhile */
    rc = sioc_nsp_free(nsp);
    sync_answer(c, m, 0, dups(rc ? "false" : "true"));
    return;
  case C_Q_TRANSPORT: {
    /* "" once the connection is gone; a socket still in the middlewares
     * has one already */
    const char *tr = sioc_socket_transport(ps->s);
    char *txt = *tr ? dups(tr) : NULL;
    sync_answer(c, m, !*tr ? SIOC_ECLOSED : txt ? 0 : SIOC_ENOMEM, txt);
    return;
  }
  case C_EMIT:
    rc = sioc_nsp_emit(nsp, &t, m->str, m->json, m->json_len, m->bins, m->n_bins);
    break;
  case C_EMIT_ACK: {
    ackreq_t *r = malloc(sizeof(*r));
    if (!r) {
      rc = SIOC_ENOMEM;
      break;
    }
    r->core = c;
    r->req = m->num;
    rc = sioc_nsp_emit_with_ack(nsp, &t, m->str, m->json, m->json_len, m->bins,
                                m->n_bins, m->timeout_ms, on_bcast_ack, r);
    if (rc) {
      free(r);
      ack_failed(c, E_BACK, m->num, rc);
      rc = 0;
    }
    break;
  }
  case C_SEMIT:
    rc = sioc_socket_emit(ps->s, m->str, m->json, m->json_len, m->bins, m->n_bins);
    if (rc == SIOC_ECLOSED) rc = 0;   /* it left meanwhile: as socket.io */
    break;
  case C_SEMIT_ACK: {
    ackreq_t *r = malloc(sizeof(*r));
    if (!r) {
      rc = SIOC_ENOMEM;
      break;
    }
    r->core = c;
    r->req = m->num;
    rc = sioc_socket_emit_with_ack(ps->s, m->str, m->json, m->json_len, m->bins,
                                   m->n_bins, m->timeout_ms, on_ack, r);
    if (rc) {
      free(r);
      ack_failed(c, E_ACK, m->num, rc);
      rc = 0;
    }
    break;
  }
  case C_ACK:
    rc = sioc_socket_ack(ps->s, m->num, m->json, m->json_len, m->bins, m->n_bins);
    if (rc == SIOC_ECLOSED) rc = 0;
    break;
  case C_JOIN:
    rc = sioc_socket_join(ps->s, m->str);
    if (rc == SIOC_ECLOSED) rc = 0;
    break;
  case C_LEAVE:
    rc = sioc_socket_leave(ps->s, m->str);
    if (rc == SIOC_ECLOSED) rc = 0;
    break;
  case C_SDISCONNECT:
    rc = sioc_socket_disconnect(ps->s, (int)m->num);
    if (rc == SIOC_ECLOSED) rc = 0;
    break;
  case C_DECIDE:
    if (m->num) {
      rc = sioc_socket_accept(ps->s);
    } else {
      sioc_nsp_t *refused = sioc_socket_nsp(ps->s);
      rc = sioc_socket_reject(ps->s, m->str, m->json, m->json_len);
      /* A name no dynamic matcher accepted: drop the namespace the core
       * created for it, or hostile clients could grow the table forever
       * (EBUSY while another client is still connecting to it). */
      if (m->flags) sioc_nsp_free(refused);
    }
    /* Rejected or gone: Python drops its handle with this decision.  An
     * accepted socket keeps it; its connection event follows. */
    if (!m->num || rc) psock_release(ps);
    if (rc == SIOC_ECLOSED) rc = 0;
    break;
  case C_RELEASE:
    psock_release(ps);
    break;
  case C_SJOIN:
    rc = sioc_nsp_sockets_join(nsp, &t, (const char *const *)m->rooms + m->n_rooms + 1,
                               (size_t)m->num);
    break;
  case C_SLEAVE:
    rc = sioc_nsp_sockets_leave(nsp, &t, (const char *const *)m->rooms + m->n_rooms + 1,
                                (size_t)m->num);
    break;
  case C_SDISC:
    rc = sioc_nsp_disconnect_sockets(nsp, &t, (int)m->num);
    break;
  case C_Q_SROOMS: {
    cJSON *a = cJSON_CreateArray();
    if (sioc_socket_connected(ps->s)) sioc_socket_foreach_room(ps->s, collect_room, a);
    char *txt = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    sync_answer(c, m, txt ? 0 : SIOC_ENOMEM, txt);
    return;
  }
  case C_Q_SOCKETS: {
    cJSON *a = cJSON_CreateArray();
    if (a) sioc_nsp_foreach_socket(nsp, &t, collect_id, a);
    char *txt = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    sync_answer(c, m, txt ? 0 : SIOC_ENOMEM, txt);
    return;
  }
  case C_Q_ROOMS: {
    iter_t it = {cJSON_CreateArray(), NULL, nsp};
    if (it.arr) sioc_nsp_foreach_room(nsp, collect_room_members, &it);
    char *txt = it.arr ? cJSON_PrintUnformatted(it.arr) : NULL;
    cJSON_Delete(it.arr);
    sync_answer(c, m, txt ? 0 : SIOC_ENOMEM, txt);
    return;
  }
  case C_Q_STATS: {
    sioc_server_stats_t st;
    sioc_server_stats(c->server, &st);
    char buf[160];
    snprintf(buf, sizeof(buf), "[%zu,%zu,%zu,%zu,%zu]", st.connections, st.sessions,
             st.sockets, c->n_socks, st.namespaces);
    sync_answer(c, m, 0, dups(buf));
    return;
  }
  case C_CLOSE:
    rc = sioc_server_close(c->server, on_server_closed, c);
    break;
  case C_SERVE:
    rc = sioc_server_serve(c->server, m->str, m->str2, m->json, m->json_len);
    break;
  case C_FETCH:
  case C_ALL_ROOMS:
  case C_SERVER_COUNT:
  case C_SS_EMIT: {
    ackreq_t *r = NULL;
    if (m->num >= 0 && !(r = malloc(sizeof(*r)))) {
      rc = SIOC_ENOMEM;
      break;
    }
    if (r) {
      r->core = c;
      r->req = m->num;
    }
    if (m->op == C_FETCH) rc = sioc_nsp_fetch_sockets(nsp, &t, on_cluster_answer, r);
    else if (m->op == C_ALL_ROOMS) rc = sioc_nsp_all_rooms(nsp, on_cluster_answer, r);
    else if (m->op == C_SERVER_COUNT) rc = sioc_nsp_server_count(nsp, on_cluster_answer, r);
    else rc = sioc_nsp_server_side_emit(nsp, m->json, m->json_len, m->timeout_ms,
                                        r ? on_cluster_answer : NULL, r);
    if (rc && r) {
      free(r);
      ack_failed(c, E_CLUSTER, m->num, rc);
      rc = 0;
    }
    break;
  }
  case C_SS_ACK:
    rc = sioc_nsp_server_side_ack(nsp, m->str, m->json, m->json_len);
    break;
  case C_FETCH_REPLY: {
    size_t *lens = malloc((m->n_rooms ? m->n_rooms : 1) * sizeof(*lens));
    if (!lens || m->n_rooms != m->n_except) {
      free(lens);
      rc = lens ? SIOC_EINVAL : SIOC_ENOMEM;
      break;
    }
    for (size_t i = 0; i < m->n_rooms; i++) lens[i] = strlen(m->except[i]);
    rc = sioc_nsp_fetch_data_reply(nsp, m->str, (const char *const *)m->rooms,
                                   (const char *const *)m->except, lens, m->n_rooms);
    free(lens);
    break;
  }
  }
  if (rc) ev_error(c, m->str && m->op != C_DECIDE ? m->str : "command", rc);
  if (m->sync) sync_answer(c, m, rc, NULL);
}


/* ---- loop thread: client callbacks ---------------------------------------- */

/* One event tuple for socket (nsp set) and manager (nsp NULL) events:
 * flags = kind, str = message, str2 = event name (EVENT), socket id
 * (CONNECT) or transport (CONNECTING), json = args (EVENT) or data
 * (CONNECT_ERROR), num = ack id, err, timeout_ms = attempt. */
static void push_client_event(core_t *c, const char *nsp,
                              const sioc_client_event_t *ev, const char *id) {
  msg_t *e = ev_new(E_CL, NULL, nsp);
  if (!e) goto oom;
  e->flags = (int)ev->kind;
  e->err = ev->err;
  e->timeout_ms = ev->attempt;
  e->num = -1;
  if (ev->message && !(e->str = dups(ev->message))) goto oom;
  if (id && !(e->str2 = dups(id))) goto oom;
  if (ev->kind == SIOC_CLIENT_EVENT && ev->event) {
    const sioc_event_t *x = ev->event;
    free(e->str2);
    if (!(e->str2 = dupn(x->name, x->name_len)) ||
        !(e->json = dupn(x->args ? x->args : "", x->args ? x->args_len : 0)) ||
        (x->n_attachments && !(e->bins = bins_copy(x->attachments, x->n_attachments))))
      goto oom;
    e->json_len = x->args ? x->args_len : 0;
    e->n_bins = x->n_attachments;
    e->num = x->ack_id;
  } else if (ev->data) {
    if (!(e->json = dupn(ev->data, ev->data_len))) goto oom;
    e->json_len = ev->data_len;
  }
  ev_push(c, e);
  return;
oom:
  msg_free(e);
  ev_error(c, "dropped a client event", SIOC_ENOMEM);
}

/* str2 carries the socket id with CONNECT, and with CONNECTING the
 * transport the connection opened with (socket.io's "connecting" argument,
 * taken now: the Python handler runs later). */
static void on_client_event(sioc_client_t *s, const sioc_client_event_t *ev,
                            void *ud) {
  core_t *c = ud;
  const char *str2 = NULL;
  if (ev->kind == SIOC_CLIENT_CONNECT) str2 = sioc_client_id(s);
  else if (ev->kind == SIOC_CLIENT_CONNECTING && c->manager)
    str2 = sioc_manager_transport(c->manager);
  push_client_event(c, sioc_client_nsp(s), ev, str2);
}

static void on_manager_event(sioc_manager_t *m, const sioc_client_event_t *ev,
                             void *ud) {
  push_client_event(ud, NULL, ev, NULL);
}

static void on_client_auth(sioc_client_t *s, void *ud) {
  core_t *c = ud;
  msg_t *e = ev_new(E_CL_AUTH, NULL, sioc_client_nsp(s));
  if (!e) {   /* connect without auth rather than hang */
    sioc_client_auth_reply(s, NULL, 0);
    return;
  }
  ev_push(c, e);
}

static void on_client_ack(sioc_client_t *s, int err, const char *args, size_t len,
                          const sioc_bin_t *bins, size_t n, void *ud) {
  on_ack(NULL, err, args, len, bins, n, ud);
}

static void on_manager_closed(sioc_manager_t *m, void *ud) {
  core_t *c = ud;
  uv_close((uv_handle_t *)&c->async, NULL);
}

static void run_client_cmd(core_t *c, msg_t *m) {
  int rc = 0;
  if (!c->manager) {   /* closing: answer queries, drop the rest */
    if (m->sync) sync_answer(c, m, SIOC_ECLOSED, NULL);
    return;
  }
  if (m->op == C_CLOSE) {
    sioc_manager_t *mg = c->manager;
    c->manager = NULL;
    rc = sioc_manager_close(mg, on_manager_closed, c);
    if (rc) ev_error(c, "close", rc);
    if (m->sync) sync_answer(c, m, rc, NULL);
    return;
  }
  sioc_client_t *s = sioc_manager_socket(c->manager, m->nsp ? m->nsp : "/");
  if (!s) {
    if (m->sync) sync_answer(c, m, SIOC_EINVAL, NULL);
    else ev_error(c, "namespace", SIOC_EINVAL);
    return;
  }
  switch (m->op) {
  case C_CL_CONNECT:
    sioc_client_on(s, on_client_event, c);
    if (m->flags) sioc_client_set_auth_cb(s, on_client_auth, c);
    else rc = sioc_client_set_auth(s, m->json, m->json_len);
    if (!rc) rc = sioc_client_connect(s);
    break;
  case C_CL_DISCONNECT:
    rc = sioc_client_disconnect(s);
    break;
  case C_CL_EMIT:
    rc = sioc_client_emit(s, m->str, m->json, m->json_len, m->bins, m->n_bins,
                          (int)m->num);
    break;
  case C_CL_EMIT_ACK: {
    ackreq_t *r = malloc(sizeof(*r));
    if (!r) {
      rc = SIOC_ENOMEM;
      break;
    }
    r->core = c;
    r->req = m->num;
    rc = sioc_client_emit_with_ack(s, m->str, m->json, m->json_len, m->bins,
                                   m->n_bins, m->flags, m->timeout_ms,
                                   on_client_ack, r);
    if (rc) {
      free(r);
      ack_failed(c, E_ACK, m->num, rc);
      rc = 0;
    }
    break;
  }
  case C_CL_ACK:
    rc = sioc_client_ack(s, m->num, m->json, m->json_len, m->bins, m->n_bins);
    if (rc == SIOC_ECLOSED) rc = 0;
    break;
  case C_CL_AUTH:
    rc = sioc_client_auth_reply(s, m->json, m->json_len);
    if (rc == SIOC_EBUSY) rc = 0;   /* the attempt was abandoned meanwhile */
    break;
  case C_CL_Q_STATE: {
    /* [transport or null, id or null, connected, active] */
    cJSON *a = cJSON_CreateArray();
    const char *tr = sioc_manager_transport(c->manager), *id = sioc_client_id(s);
    if (a) {
      cJSON_AddItemToArray(a, tr ? cJSON_CreateString(tr) : cJSON_CreateNull());
      cJSON_AddItemToArray(a, id ? cJSON_CreateString(id) : cJSON_CreateNull());
      cJSON_AddItemToArray(a, cJSON_CreateBool(sioc_client_connected(s)));
      cJSON_AddItemToArray(a, cJSON_CreateBool(sioc_client_active(s)));
    }
    char *txt = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    sync_answer(c, m, txt ? 0 : SIOC_ENOMEM, txt);
    return;
  }
  default:
    rc = SIOC_EINVAL;
  }
  if (rc) ev_error(c, m->str ? m->str : "client command", rc);
  if (m->sync) sync_answer(c, m, rc, NULL);
}

static void on_async(uv_async_t *h) {
  core_t *c = h->data;
  pthread_mutex_lock(&c->mu);
  msg_t *m = c->cmds;
  c->cmds = NULL;
  c->cmds_tail = &c->cmds;
  pthread_mutex_unlock(&c->mu);
  while (m) {
    msg_t *next = m->next;
    int waited = m->sync != NULL;   /* a sync message belongs to its waiter, */
    run_cmd(c, m);                  /* who may free it as soon as answered */
    if (!waited) msg_free(m);
    m = next;
  }
}

static void *loop_main(void *arg) {
  core_t *c = arg;
  c->loop_thread = pthread_self();
  uv_check_init(&c->loop, &c->notify_check);
  uv_prepare_init(&c->loop, &c->notify_prepare);
  c->notify_check.data = c->notify_prepare.data = c;
  c->in_loop = 1;
  uv_run(&c->loop, UV_RUN_DEFAULT);
  c->in_loop = 0;
  notify_turn_end(c);
  uv_close((uv_handle_t *)&c->notify_check, NULL);
  uv_close((uv_handle_t *)&c->notify_prepare, NULL);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  /* Stop taking commands; answer or drop what is left. */
  pthread_mutex_lock(&c->mu);
  c->running = 0;
  msg_t *m = c->cmds;
  c->cmds = NULL;
  c->cmds_tail = &c->cmds;
  pthread_mutex_unlock(&c->mu);
  while (m) {
    msg_t *next = m->next;
    int waited = m->sync != NULL;
    run_cmd(c, m);   /* server is NULL: releases and answers only */
    if (!waited) msg_free(m);
    m = next;
  }
  while (c->socks.next != &c->socks) psock_release(c->socks.next);
  uv_loop_close(&c->loop);
  msg_t *e = ev_new(E_CLOSED, NULL, NULL);
  if (e) ev_push(c, e);
  return NULL;
}

/* ---- Python side: posting -------------------------------------------------- */

static void cmd_post(core_t *c, msg_t *m, int *posted) {
  pthread_mutex_lock(&c->mu);
  if (c->running || !c->started) {
    *c->cmds_tail = m;
    c->cmds_tail = &m->next;
    *posted = 1;
  } else {
    *posted = 0;
  }
  int wake = c->running;
  pthread_mutex_unlock(&c->mu);
  if (wake) uv_async_send(&c->async);
}

/* Posts m; returns 0 when queued (ownership passes), -1 with an exception. */
static int post(core_t *c, msg_t *m) {
  int posted;
  cmd_post(c, m, &posted);
  if (!posted) {
    msg_free(m);
    PyErr_SetString(PyExc_RuntimeError, "the server is closed");
    return -1;
  }
  return 0;
}

/* Posts a query and waits for its answer without the GIL.  Returns the
 * answer text as str, None when the server is not running. */
static PyObject *query(core_t *c, msg_t *m) {
  sync_t sy = {0, 0, NULL};
  m->sync = &sy;
  if (!c->started) {
    msg_free(m);
    Py_RETURN_NONE;
  }
  int posted;
  cmd_post(c, m, &posted);
  if (!posted) {
    msg_free(m);
    Py_RETURN_NONE;
  }
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&c->mu);
  while (!sy.done) pthread_cond_wait(&c->cv, &c->mu);
  pthread_mutex_unlock(&c->mu);
  Py_END_ALLOW_THREADS
  msg_free(m);
  if (sy.rc == SIOC_ECLOSED && !sy.text) Py_RETURN_NONE;
  if (sy.rc) {
    free(sy.text);
    PyErr_Format(PyExc_RuntimeError, "%s", sioc_strerror(sy.rc));
    return NULL;
  }
  PyObject *r = PyUnicode_FromString(sy.text ? sy.text : "null");
  free(sy.text);
  return r;
}

static msg_t *cmd_new(int op) {
  msg_t *m = calloc(1, sizeof(*m));
  if (m) m->op = op;
  else PyErr_NoMemory();
  return m;
}

static int set_str(char **dst, PyObject *o, const char *what) {
  if (o == Py_None) return 0;
  Py_ssize_t n;
  const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &n) : NULL;
  if (!s) {
    if (!PyErr_Occurred())
      PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", what,
                   Py_TYPE(o)->tp_name);
    return -1;
  }
  if (memchr(s, 0, (size_t)n)) {
    PyErr_Format(PyExc_ValueError, "%s must not contain NUL", what);
    return -1;
  }
  if (!(*dst = dupn(s, (size_t)n))) {
    PyErr_NoMemory();
    return -1;
  }
  return 0;
}

static int set_json(msg_t *m, PyObject *o) {
  if (o == Py_None) return 0;
  Py_ssize_t n;
  const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &n) : NULL;
  if (!s) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "JSON text must be a str");
    return -1;
  }
  if (!(m->json = dupn(s, (size_t)n))) {
    PyErr_NoMemory();
    return -1;
  }
  m->json_len = (size_t)n;
  return 0;
}

static int set_bins(msg_t *m, PyObject *list) {
  if (list == Py_None) return 0;
  if (!PyList_Check(list)) {
    PyErr_SetString(PyExc_TypeError, "attachments must be a list");
    return -1;
  }
  Py_ssize_t n = PyList_GET_SIZE(list);
  if (!n) return 0;
  size_t total = (size_t)n * sizeof(sioc_bin_t);
  Py_buffer *views = PyMem_Calloc((size_t)n, sizeof(Py_buffer));
  if (!views) {
    PyErr_NoMemory();
    return -1;
  }
  Py_ssize_t got = 0;
  int rc = -1;
  for (; got < n; got++) {
    if (PyObject_GetBuffer(PyList_GET_ITEM(list, got), &views[got], PyBUF_CONTIG_RO))
      goto out;
    total += (size_t)views[got].len;
  }
  m->bins = malloc(total);
  if (!m->bins) {
    PyErr_NoMemory();
    goto out;
  }
  uint8_t *p = (uint8_t *)(m->bins + n);
  for (Py_ssize_t i = 0; i < n; i++) {
    memcpy(p, views[i].buf, (size_t)views[i].len);
    m->bins[i].data = p;
    m->bins[i].len = (size_t)views[i].len;
    p += views[i].len;
  }
  m->n_bins = (size_t)n;
  rc = 0;
out:
  for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&views[i]);
  PyMem_Free(views);
  return rc;
}

/* A tuple of str (or None) -> NULL-terminated array in one block.  `extra`
 * appends a second tuple after the terminator (sockets_join's rooms). */
static char **strv(PyObject *a, PyObject *b, size_t *na, const char *what) {
  Py_ssize_t n1 = 0, n2 = 0;
  if (a != Py_None) {
    if (!PyTuple_Check(a)) {
      PyErr_Format(PyExc_TypeError, "%s must be a tuple", what);
      return NULL;
    }
    n1 = PyTuple_GET_SIZE(a);
  }
  if (b && b != Py_None) {
    if (!PyTuple_Check(b)) {
      PyErr_Format(PyExc_TypeError, "%s must be a tuple", what);
      return NULL;
    }
    n2 = PyTuple_GET_SIZE(b);
  }
  size_t slots = (size_t)n1 + 1 + (size_t)n2 + 1, bytes = slots * sizeof(char *);
  PyObject *items[2] = {a, b};
  Py_ssize_t counts[2] = {n1, n2};
  for (int k = 0; k < 2; k++)
    for (Py_ssize_t i = 0; i < counts[k]; i++) {
      PyObject *o = PyTuple_GET_ITEM(items[k], i);
      Py_ssize_t l;
      const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &l) : NULL;
      if (!s) {
        if (!PyErr_Occurred())
          PyErr_Format(PyExc_TypeError, "room names must be str, not %.100s",
                       Py_TYPE(o)->tp_name);
        return NULL;
      }
      bytes += (size_t)l + 1;
    }
  char **v = malloc(bytes);
  if (!v) {
    PyErr_NoMemory();
    return NULL;
  }
  char *p = (char *)(v + slots);
  size_t slot = 0;
  for (int k = 0; k < 2; k++) {
    for (Py_ssize_t i = 0; i < counts[k]; i++) {
      Py_ssize_t l;
      const char *s = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(items[k], i), &l);
      memcpy(p, s, (size_t)l + 1);
      v[slot++] = p;
      p += l + 1;
    }
    v[slot++] = NULL;
  }
  *na = (size_t)n1;
  return v;
}

static int set_target(msg_t *m, PyObject *rooms, PyObject *except, PyObject *extra) {
  if (!(m->rooms = strv(rooms, extra, &m->n_rooms, "rooms"))) return -1;
  if (!(m->except = strv(except, NULL, &m->n_except, "except rooms"))) return -1;
  return 0;
}

static void *handle_of(PyObject *o) {
  void *p = PyLong_AsVoidPtr(o);
  if (!p && !PyErr_Occurred())
    PyErr_SetString(PyExc_ValueError, "invalid socket handle");
  return p;
}

/* ---- Python methods -------------------------------------------------------- */

static PyObject *Core_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  core_t *c = (core_t *)type->tp_alloc(type, 0);
  if (!c) return NULL;
  c->efd = -1;
  c->cmds_tail = &c->cmds;
  c->evs_tail = &c->evs;
  c->socks.next = c->socks.prev = &c->socks;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  c->opts = sioc_options_new();
  if (c->efd < 0 || !c->opts) {
    int no_fd = c->efd < 0;
    Py_DECREF(c);
    return no_fd ? PyErr_SetFromErrno(PyExc_OSError) : PyErr_NoMemory();
  }
  return (PyObject *)c;
}

static void core_stop_and_join(core_t *c) {
  if (!c->started || c->joined) return;
  msg_t *m = calloc(1, sizeof(*m));
  int posted = 0;
  if (m) {
    m->op = C_CLOSE;
    cmd_post(c, m, &posted);
    if (!posted) msg_free(m);
  }
  Py_BEGIN_ALLOW_THREADS
  pthread_join(c->thread, NULL);
  Py_END_ALLOW_THREADS
  c->joined = 1;
}

static void Core_dealloc(core_t *c) {
  PyTypeObject *tp = Py_TYPE(c);
  core_stop_and_join(c);
  msg_t *m = c->cmds;
  while (m) {
    msg_t *n = m->next;
    msg_free(m);
    m = n;
  }
  m = c->evs;
  while (m) {
    msg_t *n = m->next;
    msg_free(m);
    m = n;
  }
  if (c->opts) sioc_options_free(c->opts);
  free(c->redis_url);
  free(c->redis_key);
  if (c->efd >= 0) close(c->efd);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  tp->tp_free(c);
  Py_DECREF(tp);
}

PyDoc_STRVAR(set_option_doc,
"set_option(name, json_text) -> bool\n\n"
"Sets a server option by its socket.io (or classic) name from JSON text.\n"
"Returns False when the name is not a core option (the caller handles it);\n"
"raises ValueError for a bad value or unknown name.");
static PyObject *Core_set_option(core_t *c, PyObject *args) {
  const char *name, *value;
  Py_ssize_t len;
  if (!PyArg_ParseTuple(args, "ss#", &name, &value, &len)) return NULL;
  if (c->started) {
    PyErr_SetString(PyExc_RuntimeError, "options must be set before the server listens");
    return NULL;
  }
  char err[512] = "";
  int rc = sioc_options_set(c->opts, name, value, (size_t)len, err, sizeof(err));
  if (rc == SIOC_ENOTFOUND) Py_RETURN_FALSE;
  if (rc) {
    if (rc == SIOC_ENOMEM) return PyErr_NoMemory();
    PyErr_SetString(PyExc_ValueError, err[0] ? err : sioc_strerror(rc));
    return NULL;
  }
  Py_RETURN_TRUE;
}

static PyObject *Core_nsp(core_t *c, PyObject *args) {
  PyObject *name;
  int mw;
  if (!PyArg_ParseTuple(args, "Up", &name, &mw)) return NULL;
  msg_t *m = cmd_new(C_NSP);
  if (!m) return NULL;
  m->flags = mw;
  if (set_str(&m->nsp, name, "namespace")) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Core_set_dynamic(core_t *c, PyObject *arg) {
  msg_t *m = cmd_new(C_DYNAMIC);
  if (!m) return NULL;
  m->flags = PyObject_IsTrue(arg);
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

PyDoc_STRVAR(start_doc,
"start(host, port) -> port\n\n"
"Creates the server, listens on host:port and starts the loop thread.");
static PyObject *Core_start(core_t *c, PyObject *args) {
  const char *host;
  int port;
  if (!PyArg_ParseTuple(args, "si", &host, &port)) return NULL;
  if (c->started || c->is_client) {
    PyErr_SetString(PyExc_RuntimeError, "the server was already started");
    return NULL;
  }
  int rc = uv_loop_init(&c->loop);
  if (rc) goto fail_plain;
  rc = sioc_server_new(&c->loop, sioc_options_get(c->opts), &c->server);
  if (rc) goto fail_loop;
  sioc_server_on_new_nsp(c->server, on_new_nsp, c);
  sioc_server_on_connection_error(c->server, on_conn_error, c);
  if (c->redis_url) {
    sioc_redis_options_t ro;
    sioc_redis_options_init(&ro);
    ro.url = c->redis_url;
    if (c->redis_key) ro.key = c->redis_key;
    if (c->redis_timeout_ms) ro.requests_timeout_ms = c->redis_timeout_ms;
    ro.publish_on_specific_response_channel = c->redis_specific;
    if (c->redis_max_message) ro.max_message_bytes = c->redis_max_message;
    if (c->redis_max_buffered) ro.max_buffered_bytes = c->redis_max_buffered;
    ro.log = on_redis_log;
    ro.log_data = c;
    rc = sioc_server_use_redis(c->server, &ro);
    if (rc) {
      sioc_server_close(c->server, NULL, NULL);
      c->server = NULL;
      uv_run(&c->loop, UV_RUN_DEFAULT);
      uv_loop_close(&c->loop);
      PyErr_Format(PyExc_ValueError, "redis adapter %s: %s", c->redis_url, sioc_strerror(rc));
      return NULL;
    }
  }
  nsp_setup(c, sioc_server_of(c->server, "/"), 0);
  /* Namespaces and flags posted before start, before any connection. */
  pthread_mutex_lock(&c->mu);
  msg_t *m = c->cmds;
  c->cmds = NULL;
  c->cmds_tail = &c->cmds;
  pthread_mutex_unlock(&c->mu);
  while (m) {
    msg_t *next = m->next;
    run_cmd(c, m);
    msg_free(m);
    m = next;
  }
  Py_BEGIN_ALLOW_THREADS
  rc = sioc_server_listen(c->server, host, port);
  Py_END_ALLOW_THREADS
  if (rc) goto fail_server;
  c->port = sioc_server_port(c->server);
  rc = uv_async_init(&c->loop, &c->async, on_async);
  if (rc) goto fail_server;
  c->async.data = c;
  c->running = 1;
  c->started = 1;
  rc = pthread_create(&c->thread, NULL, loop_main, c);
  if (rc) {
    c->running = 0;
    c->started = 0;
    uv_close((uv_handle_t *)&c->async, NULL);
    rc = -rc;
    goto fail_server;
  }
  return PyLong_FromLong(c->port);

fail_server: {
  int rc2 = rc;
  sioc_server_close(c->server, NULL, NULL);
  c->server = NULL;
  uv_run(&c->loop, UV_RUN_DEFAULT);
  rc = rc2;
}
fail_loop:
  uv_loop_close(&c->loop);
fail_plain:
  /* Drop events the failed start produced (none reach Python). */
  PyErr_Format(PyExc_OSError, "cannot listen on %s:%d: %s (%s)", host, port,
               sioc_strerror(rc), sioc_err_name(rc));
  return NULL;
}

static PyObject *Core_fileno(core_t *c, PyObject *unused) {
  return PyLong_FromLong(c->efd);
}

static PyObject *build_bins(const msg_t *e) {
  if (!e->n_bins) Py_RETURN_NONE;
  PyObject *l = PyList_New((Py_ssize_t)e->n_bins);
  if (!l) return NULL;
  for (size_t i = 0; i < e->n_bins; i++) {
    PyObject *b = PyBytes_FromStringAndSize((const char *)e->bins[i].data,
                                            (Py_ssize_t)e->bins[i].len);
    if (!b) {
      Py_DECREF(l);
      return NULL;
    }
    PyList_SET_ITEM(l, (Py_ssize_t)i, b);
  }
  return l;
}

static PyObject *str_or_none(const char *s, size_t n) {
  if (!s) Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "replace");
}

static PyObject *build_event(const msg_t *e) {
  PyObject *h = e->handle ? PyLong_FromVoidPtr(e->handle) : NULL;
  PyObject *r = NULL;
  switch (e->op) {
  case E_CONNECT:
  case E_MIDDLEWARE:
    r = Py_BuildValue("(isNsN)", e->op, e->nsp, h, e->str,
                      str_or_none(e->json, e->json_len));
    break;
  case E_EVENT:
    r = Py_BuildValue("(isNNNNL)", e->op, e->nsp, h,
                      str_or_none(e->str, strlen(e->str)),
                      str_or_none(e->json, e->json_len), build_bins(e),
                      (long long)e->num);
    break;
  case E_DISCONNECTING:
    r = Py_BuildValue("(isNsN)", e->op, e->nsp, h, e->str,
                      str_or_none(e->json, e->json_len));
    break;
  case E_DISCONNECT:
    r = Py_BuildValue("(isNs)", e->op, e->nsp, h, e->str);
    break;
  case E_ACK:
    r = Py_BuildValue("(iLiNN)", e->op, (long long)e->num, e->err,
                      str_or_none(e->json, e->json_len), build_bins(e));
    break;
  case E_BACK:
    r = Py_BuildValue("(iLiN)", e->op, (long long)e->num, e->err,
                      str_or_none(e->json, e->json_len));
    break;
  case E_CLOSED:
    r = Py_BuildValue("(i)", e->op);
    break;
  case E_CLUSTER:
    r = Py_BuildValue("(iLiNz)", e->op, (long long)e->num, e->err,
                      str_or_none(e->json, e->json_len), e->str);
    break;
  case E_FETCH_DATA:
    r = Py_BuildValue("(issN)", e->op, e->nsp, e->str, str_or_none(e->json, e->json_len));
    break;
  case E_SERVER_SIDE:
    r = Py_BuildValue("(isNz)", e->op, e->nsp, str_or_none(e->json, e->json_len), e->str);
    break;
  case E_LOG:
    r = Py_BuildValue("(isi)", e->op, e->str, e->err);
    break;
  case E_UPGRADE:
  case E_SOCK_ERROR:
    r = Py_BuildValue("(isNN)", e->op, e->nsp, h, str_or_none(e->str, strlen(e->str)));
    break;
  case E_CONN_ERROR:
    r = Py_BuildValue("(iiNN)", e->op, e->err, str_or_none(e->str, strlen(e->str)),
                      str_or_none(e->json, e->json_len));
    break;
  case E_CL:
    /* (E_CL, kind, nsp|None, message|None, name_or_id|None, json|None,
     *  bins|None, ack_id, err, attempt) */
    r = Py_BuildValue("(iizzzNNLiI)", e->op, e->flags, e->nsp, e->str, e->str2,
                      str_or_none(e->json, e->json_len), build_bins(e),
                      (long long)e->num, e->err, (unsigned int)e->timeout_ms);
    break;
  case E_CL_AUTH:
    r = Py_BuildValue("(is)", e->op, e->nsp);
    break;
  default:
    r = Py_BuildValue("(is)", e->op, e->str ? e->str : "");
    Py_XDECREF(h);
  }
  return r;
}

static msg_t *take_events(core_t *c) {
  uint64_t v;
  ssize_t rd = read(c->efd, &v, sizeof(v));   /* first: see ev_push */
  (void)rd;
  pthread_mutex_lock(&c->mu);
  msg_t *e = c->evs;
  c->evs = NULL;
  c->evs_tail = &c->evs;
  c->n_evs = 0;
  pthread_mutex_unlock(&c->mu);
  return e;
}

static PyObject *events_to_list(msg_t *e) {
  PyObject *l = PyList_New(0);
  while (e) {
    msg_t *next = e->next;
    PyObject *t = l ? build_event(e) : NULL;
    if (!t || PyList_Append(l, t)) Py_CLEAR(l);
    Py_XDECREF(t);
    msg_free(e);
    e = next;
  }
  return l;
}

PyDoc_STRVAR(drain_doc, "drain() -> list of event tuples (never blocks)");
static PyObject *Core_drain(core_t *c, PyObject *unused) {
  return events_to_list(take_events(c));
}

PyDoc_STRVAR(wait_doc,
"wait(timeout) -> list of event tuples, waiting up to timeout seconds\n"
"(without the GIL) for at least one.");
static PyObject *Core_wait(core_t *c, PyObject *arg) {
  double timeout = PyFloat_AsDouble(arg);
  if (timeout == -1.0 && PyErr_Occurred()) return NULL;
  Py_BEGIN_ALLOW_THREADS
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double whole = (double)(long long)timeout;
  ts.tv_sec += (time_t)whole;
  ts.tv_nsec += (long)((timeout - whole) * 1e9);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&c->mu);
  while (!c->evs) {
    if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&c->mu);
  Py_END_ALLOW_THREADS
  return events_to_list(take_events(c));
}

/* emit(nsp, rooms, except, flags, event, json, bins) */
static PyObject *Core_emit(core_t *c, PyObject *args) {
  PyObject *nsp, *rooms, *except, *ev, *json, *bins;
  int flags;
  if (!PyArg_ParseTuple(args, "UOOiUUO", &nsp, &rooms, &except, &flags, &ev, &json, &bins))
    return NULL;
  msg_t *m = cmd_new(C_EMIT);
  if (!m) return NULL;
  m->flags = flags;
  if (set_str(&m->nsp, nsp, "namespace") || set_target(m, rooms, except, NULL) ||
      set_str(&m->str, ev, "event") || set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* emit_ack(nsp, rooms, except, flags, event, json, bins, timeout_ms, req) */
static PyObject *Core_emit_ack(core_t *c, PyObject *args) {
  PyObject *nsp, *rooms, *except, *ev, *json, *bins;
  int flags;
  unsigned int tmo;
  long long req;
  if (!PyArg_ParseTuple(args, "UOOiUUOIL", &nsp, &rooms, &except, &flags, &ev, &json,
                        &bins, &tmo, &req))
    return NULL;
  msg_t *m = cmd_new(C_EMIT_ACK);
  if (!m) return NULL;
  m->flags = flags;
  m->timeout_ms = tmo;
  m->num = req;
  if (set_str(&m->nsp, nsp, "namespace") || set_target(m, rooms, except, NULL) ||
      set_str(&m->str, ev, "event") || set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* sock_emit(handle, event, json, bins) */
static PyObject *Core_sock_emit(core_t *c, PyObject *args) {
  PyObject *h, *ev, *json, *bins;
  if (!PyArg_ParseTuple(args, "OUUO", &h, &ev, &json, &bins)) return NULL;
  msg_t *m = cmd_new(C_SEMIT);
  if (!m) return NULL;
  if (!(m->handle = handle_of(h)) || set_str(&m->str, ev, "event") ||
      set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* sock_emit_ack(handle, event, json, bins, timeout_ms, req) */
static PyObject *Core_sock_emit_ack(core_t *c, PyObject *args) {
  PyObject *h, *ev, *json, *bins;
  unsigned int tmo;
  long long req;
  if (!PyArg_ParseTuple(args, "OUUOIL", &h, &ev, &json, &bins, &tmo, &req)) return NULL;
  msg_t *m = cmd_new(C_SEMIT_ACK);
  if (!m) return NULL;
  m->timeout_ms = tmo;
  m->num = req;
  if (!(m->handle = handle_of(h)) || set_str(&m->str, ev, "event") ||
      set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* ack(handle, ack_id, json, bins) */
static PyObject *Core_ack(core_t *c, PyObject *args) {
  PyObject *h, *json, *bins;
  long long id;
  if (!PyArg_ParseTuple(args, "OLUO", &h, &id, &json, &bins)) return NULL;
  msg_t *m = cmd_new(C_ACK);
  if (!m) return NULL;
  m->num = id;
  if (!(m->handle = handle_of(h)) || set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *sock_op(core_t *c, PyObject *args, int op) {
  PyObject *h, *room;
  if (!PyArg_ParseTuple(args, "OU", &h, &room)) return NULL;
  msg_t *m = cmd_new(op);
  if (!m) return NULL;
  if (!(m->handle = handle_of(h)) || set_str(&m->str, room, "room")) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Core_join(core_t *c, PyObject *args) { return sock_op(c, args, C_JOIN); }
static PyObject *Core_leave(core_t *c, PyObject *args) { return sock_op(c, args, C_LEAVE); }

static PyObject *Core_sock_disconnect(core_t *c, PyObject *args) {
  PyObject *h;
  int close_;
  if (!PyArg_ParseTuple(args, "Op", &h, &close_)) return NULL;
  msg_t *m = cmd_new(C_SDISCONNECT);
  if (!m) return NULL;
  m->num = close_;
  if (!(m->handle = handle_of(h))) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Core_release(core_t *c, PyObject *h) {
  msg_t *m = cmd_new(C_RELEASE);
  if (!m) return NULL;
  if (!(m->handle = handle_of(h))) {
    msg_free(m);
    return NULL;
  }
  int posted;
  cmd_post(c, m, &posted);   /* after close the loop thread released it */
  if (!posted) msg_free(m);
  Py_RETURN_NONE;
}

/* decide(handle, accept, message, data_json) */
static PyObject *Core_decide(core_t *c, PyObject *args) {
  PyObject *h, *msg, *data;
  int ok, drop_nsp = 0;
  if (!PyArg_ParseTuple(args, "OpOO|p", &h, &ok, &msg, &data, &drop_nsp)) return NULL;
  msg_t *m = cmd_new(C_DECIDE);
  if (!m) return NULL;
  m->num = ok;
  m->flags = drop_nsp;
  if (!(m->handle = handle_of(h)) || set_str(&m->str, msg, "message") ||
      set_json(m, data)) {
    msg_free(m);
    return NULL;
  }
  if (!ok && !m->str && !(m->str = dups("Connection rejected by server"))) {
    msg_free(m);
    return PyErr_NoMemory();
  }
  int posted;
  cmd_post(c, m, &posted);
  if (!posted) msg_free(m);
  Py_RETURN_NONE;
}

/* sockets_op(nsp, rooms, except, op, rooms_tuple_or_close) op: 0 join,
 * 1 leave, 2 disconnect */
static PyObject *Core_sockets_op(core_t *c, PyObject *args) {
  PyObject *nsp, *rooms, *except, *arg;
  int op;
  if (!PyArg_ParseTuple(args, "UOOiO", &nsp, &rooms, &except, &op, &arg)) return NULL;
  static const int ops[] = {C_SJOIN, C_SLEAVE, C_SDISC};
  if (op < 0 || op > 2) {
    PyErr_SetString(PyExc_ValueError, "bad op");
    return NULL;
  }
  msg_t *m = cmd_new(ops[op]);
  if (!m) return NULL;
  if (op == 2) {
    m->num = PyObject_IsTrue(arg);
    arg = NULL;
  } else {
    if (!PyTuple_Check(arg)) {
      msg_free(m);
      PyErr_SetString(PyExc_TypeError, "rooms must be a tuple");
      return NULL;
    }
    m->num = PyTuple_GET_SIZE(arg);
  }
  if (set_str(&m->nsp, nsp, "namespace") || set_target(m, rooms, except, arg)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

PyDoc_STRVAR(use_redis_doc,
"use_redis(url, key, requests_timeout_ms, specific_channel, max_message_bytes,\n"
"          max_buffered_bytes)\n\n"
"Joins the cluster of a Redis server when start() runs (before start).");
static PyObject *Core_use_redis(core_t *c, PyObject *args) {
  const char *url, *key;
  unsigned int tmo;
  int specific;
  Py_ssize_t max_message, max_buffered;
  if (!PyArg_ParseTuple(args, "ssIpnn", &url, &key, &tmo, &specific, &max_message,
                        &max_buffered))
    return NULL;
  if (max_message < 1 || max_buffered < 1) {
    PyErr_SetString(PyExc_ValueError, "redis adapter limits must be positive");
    return NULL;
  }
  if (c->started || c->is_client) {
    PyErr_SetString(PyExc_RuntimeError, "the adapter must be set before the server listens");
    return NULL;
  }
  if (strncmp(url, "redis://", 8) != 0) {
    PyErr_Format(PyExc_ValueError, "redis adapter: %s is not a redis:// URL", url);
    return NULL;
  }
  free(c->redis_url);
  free(c->redis_key);
  c->redis_url = dups(url);
  c->redis_key = dups(key);
  if (!c->redis_url || !c->redis_key) return PyErr_NoMemory();
  c->redis_timeout_ms = tmo;
  c->redis_specific = specific;
  c->redis_max_message = (size_t)max_message;
  c->redis_max_buffered = (size_t)max_buffered;
  Py_RETURN_NONE;
}

/* cluster(op, nsp, rooms, except, flags, json|None, timeout_ms, req): one of
 * fetch (0), all_rooms (1), server_count (2), server_side_emit (3); the
 * answer is an E_CLUSTER event for req (req < 0: none wanted). */
static PyObject *Core_cluster(core_t *c, PyObject *args) {
  int op, flags;
  PyObject *nsp, *rooms, *except, *json;
  unsigned int tmo;
  long long req;
  if (!PyArg_ParseTuple(args, "iUOOiOIL", &op, &nsp, &rooms, &except, &flags, &json,
                        &tmo, &req))
    return NULL;
  static const int ops[] = {C_FETCH, C_ALL_ROOMS, C_SERVER_COUNT, C_SS_EMIT};
  if (op < 0 || op > 3) {
    PyErr_SetString(PyExc_ValueError, "bad op");
    return NULL;
  }
  msg_t *m = cmd_new(ops[op]);
  if (!m) return NULL;
  m->flags = flags;
  m->timeout_ms = tmo;
  m->num = req;
  if (set_str(&m->nsp, nsp, "namespace") || set_target(m, rooms, except, NULL) ||
      (json != Py_None && set_json(m, json))) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* server_side_ack(nsp, ack, json) */
static PyObject *Core_server_side_ack(core_t *c, PyObject *args) {
  PyObject *nsp, *ack, *json;
  if (!PyArg_ParseTuple(args, "UUU", &nsp, &ack, &json)) return NULL;
  msg_t *m = cmd_new(C_SS_ACK);
  if (!m) return NULL;
  if (set_str(&m->nsp, nsp, "namespace") || set_str(&m->str, ack, "ack") ||
      set_json(m, json)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* fetch_reply(nsp, request, ids, datas): socket.data (JSON) for a remote fetch */
static PyObject *Core_fetch_reply(core_t *c, PyObject *args) {
  PyObject *nsp, *request, *ids, *datas;
  if (!PyArg_ParseTuple(args, "UUOO", &nsp, &request, &ids, &datas)) return NULL;
  msg_t *m = cmd_new(C_FETCH_REPLY);
  if (!m) return NULL;
  if (set_str(&m->nsp, nsp, "namespace") || set_str(&m->str, request, "request") ||
      set_target(m, ids, datas, NULL)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Core_q_socket_rooms(core_t *c, PyObject *h) {
  msg_t *m = cmd_new(C_Q_SROOMS);
  if (!m) return NULL;
  if (!(m->handle = handle_of(h))) {
    msg_free(m);
    return NULL;
  }
  return query(c, m);
}

PyDoc_STRVAR(socket_transport_doc,
"socket_transport(handle) -> \"polling\" | \"websocket\" | None (no connection)");
static PyObject *Core_q_transport(core_t *c, PyObject *h) {
  msg_t *m = cmd_new(C_Q_TRANSPORT);
  if (!m) return NULL;
  if (!(m->handle = handle_of(h))) {
    msg_free(m);
    return NULL;
  }
  return query(c, m);
}

PyDoc_STRVAR(nsp_free_doc,
"nsp_free(name) -> bool: removes namespace `name` if it has no socket\n"
"(connected or in the middlewares), sioc_nsp_free; True when it is gone\n"
"(or was), False when busy.  Before start() or once closed: True.");
static PyObject *Core_nsp_free(core_t *c, PyObject *name) {
  msg_t *m = cmd_new(C_NSP_FREE);
  if (!m) return NULL;
  if (set_str(&m->nsp, name, "namespace")) {
    msg_free(m);
    return NULL;
  }
  PyObject *r = query(c, m);
  if (!r || r == Py_None) {
    Py_XDECREF(r);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_TRUE;
  }
  int gone = PyUnicode_CompareWithASCIIString(r, "true") == 0;
  Py_DECREF(r);
  return PyBool_FromLong(gone);
}

static PyObject *Core_conn_errors(core_t *c, PyObject *arg) {
  msg_t *m = cmd_new(C_CONN_ERRORS);
  if (!m) return NULL;
  m->flags = PyObject_IsTrue(arg);
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Core_q_sockets(core_t *c, PyObject *args) {
  PyObject *nsp, *rooms, *except;
  if (!PyArg_ParseTuple(args, "UOO", &nsp, &rooms, &except)) return NULL;
  msg_t *m = cmd_new(C_Q_SOCKETS);
  if (!m) return NULL;
  if (set_str(&m->nsp, nsp, "namespace") || set_target(m, rooms, except, NULL)) {
    msg_free(m);
    return NULL;
  }
  return query(c, m);
}

static PyObject *Core_q_rooms(core_t *c, PyObject *nsp) {
  msg_t *m = cmd_new(C_Q_ROOMS);
  if (!m) return NULL;
  if (set_str(&m->nsp, nsp, "namespace")) {
    msg_free(m);
    return NULL;
  }
  return query(c, m);
}

PyDoc_STRVAR(stats_doc,
"stats() -> JSON text [connections, sessions, sockets, handles, namespaces]\n"
"or None when not running; handles counts sockets Python still holds.");
static PyObject *Core_stats(core_t *c, PyObject *unused) {
  msg_t *m = cmd_new(C_Q_STATS);
  if (!m) return NULL;
  return query(c, m);
}

PyDoc_STRVAR(serve_doc,
"serve(url_path, content_type, data)\n\n"
"Serves `data` (bytes-like, copied) at exactly `url_path` for GET requests\n"
"(sioc_server_serve).  Before start() it is queued and applied when the\n"
"server is created, before it listens; afterwards the loop thread adds it.\n"
"A newer document for the same path replaces the older one.");
static PyObject *Core_serve(core_t *c, PyObject *args) {
  const char *path, *ctype;
  Py_buffer body;
  if (!PyArg_ParseTuple(args, "ssy*", &path, &ctype, &body)) return NULL;
  if (c->is_client || path[0] != '/') {
    PyBuffer_Release(&body);
    PyErr_SetString(PyExc_ValueError, c->is_client ? "serve() is for servers"
                                                   : "the URL path must start with '/'");
    return NULL;
  }
  msg_t *m = cmd_new(C_SERVE);
  if (m && (!(m->str = dups(path)) || !(m->str2 = dups(ctype)) ||
            (body.len && !(m->json = dupn(body.buf, (size_t)body.len))))) {
    msg_free(m);
    m = NULL;
    PyErr_NoMemory();
  }
  if (m) m->json_len = (size_t)body.len;
  PyBuffer_Release(&body);
  if (!m || post(c, m)) return NULL;
  Py_RETURN_NONE;
}

PyDoc_STRVAR(close_doc,
"close() -> bool: asks the loop thread to close the server (a CLOSED event\n"
"follows).  False when not running.");
static PyObject *Core_close(core_t *c, PyObject *unused) {
  if (!c->started) Py_RETURN_FALSE;
  msg_t *m = cmd_new(C_CLOSE);
  if (!m) return NULL;
  int posted;
  cmd_post(c, m, &posted);
  if (!posted) {
    msg_free(m);
    Py_RETURN_FALSE;
  }
  Py_RETURN_TRUE;
}

static PyObject *Core_join_thread(core_t *c, PyObject *unused) {
  if (c->started && !c->joined) {
    Py_BEGIN_ALLOW_THREADS
    pthread_join(c->thread, NULL);
    Py_END_ALLOW_THREADS
    c->joined = 1;
  }
  Py_RETURN_NONE;
}

static PyObject *Core_get_port(core_t *c, void *unused) {
  if (!c->started) Py_RETURN_NONE;
  return PyLong_FromLong(c->port);
}

static PyObject *Core_get_running(core_t *c, void *unused) {
  pthread_mutex_lock(&c->mu);
  int r = c->running;
  pthread_mutex_unlock(&c->mu);
  return PyBool_FromLong(r);
}

PyDoc_STRVAR(start_client_doc,
"start_client(url, path, transports, upgrade, query, headers, reconnection,\n"
"             attempts, delay_ms, delay_max_ms, randomization, timeout_ms,\n"
"             ca_file, verify)\n\n"
"Makes this Core a client: creates the sioc manager for url (headers: a\n"
"list of (name, value); attempts < 0: infinite) and starts the loop thread.\n"
"Nothing connects until cl_connect().  ValueError for a bad URL or option.");
static PyObject *Core_start_client(core_t *c, PyObject *args) {
  const char *url, *path, *query, *ca_file;
  PyObject *headers;
  int transports, upgrade, reconnection, verify;
  long long attempts;
  unsigned int delay, delay_max, timeout;
  double rand;
  if (!PyArg_ParseTuple(args, "sziizOpLIIdIzp", &url, &path, &transports, &upgrade,
                        &query, &headers, &reconnection, &attempts, &delay,
                        &delay_max, &rand, &timeout, &ca_file, &verify))
    return NULL;
  if (c->started) {
    PyErr_SetString(PyExc_RuntimeError, "the core was already started");
    return NULL;
  }
  if (!PyList_Check(headers)) {
    PyErr_SetString(PyExc_TypeError, "headers must be a list of (name, value)");
    return NULL;
  }
  Py_ssize_t nh = PyList_GET_SIZE(headers);
  sioc_header_t *hv = PyMem_Calloc((size_t)nh + 1, sizeof(*hv));
  if (!hv) return PyErr_NoMemory();
  for (Py_ssize_t i = 0; i < nh; i++) {
    PyObject *t = PyList_GET_ITEM(headers, i);
    if (!PyArg_ParseTuple(t, "ss", &hv[i].name, &hv[i].value)) {
      PyMem_Free(hv);
      return NULL;
    }
  }
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  if (path) o.path = path;
  o.transports = transports;
  o.upgrade = upgrade;
  o.query = query;
  o.extra_headers = hv;
  o.n_extra_headers = (size_t)nh;
  o.reconnection = reconnection;
  o.reconnection_attempts = attempts < 0 || attempts >= UINT32_MAX
                                ? SIOC_RECONNECT_INFINITE : (uint32_t)attempts;
  o.reconnection_delay_ms = delay;
  o.reconnection_delay_max_ms = delay_max;
  o.randomization_factor = rand;
  o.timeout_ms = timeout;
  o.tls_ca_file = ca_file;
  o.tls_verify = verify;
  int rc = uv_loop_init(&c->loop);
  if (rc) {
    PyMem_Free(hv);
    PyErr_Format(PyExc_OSError, "uv_loop_init: %s", sioc_strerror(rc));
    return NULL;
  }
  rc = sioc_manager_new(&c->loop, url, &o, &c->manager);   /* copies o */
  PyMem_Free(hv);
  if (rc) {
    uv_loop_close(&c->loop);
    if (rc == SIOC_ENOMEM) return PyErr_NoMemory();
    PyErr_Format(PyExc_ValueError, "cannot create a client for %s: %s", url,
                 sioc_strerror(rc));
    return NULL;
  }
  sioc_manager_on(c->manager, on_manager_event, c);
  c->is_client = 1;
  rc = uv_async_init(&c->loop, &c->async, on_async);
  if (!rc) {
    c->async.data = c;
    c->running = 1;
    c->started = 1;
    rc = pthread_create(&c->thread, NULL, loop_main, c);
    if (rc) {
      c->running = 0;
      c->started = 0;
      uv_close((uv_handle_t *)&c->async, NULL);
      rc = -rc;
    }
  }
  if (rc) {
    sioc_manager_close(c->manager, NULL, NULL);
    c->manager = NULL;
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    c->is_client = 0;
    PyErr_Format(PyExc_OSError, "cannot start the client: %s", sioc_strerror(rc));
    return NULL;
  }
  Py_RETURN_NONE;
}

static msg_t *cl_cmd(core_t *c, int op, PyObject *nsp) {
  if (!c->is_client) {
    PyErr_SetString(PyExc_RuntimeError, "not a client core");
    return NULL;
  }
  msg_t *m = cmd_new(op);
  if (m && set_str(&m->nsp, nsp, "namespace")) {
    msg_free(m);
    return NULL;
  }
  return m;
}

/* cl_connect(nsp, auth_json_or_None, auth_by_callback) */
static PyObject *Core_cl_connect(core_t *c, PyObject *args) {
  PyObject *nsp, *auth;
  int cb;
  if (!PyArg_ParseTuple(args, "UOp", &nsp, &auth, &cb)) return NULL;
  msg_t *m = cl_cmd(c, C_CL_CONNECT, nsp);
  if (!m) return NULL;
  m->flags = cb;
  if (set_json(m, auth)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Core_cl_disconnect(core_t *c, PyObject *nsp) {
  msg_t *m = cl_cmd(c, C_CL_DISCONNECT, nsp);
  if (!m) return NULL;
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* cl_emit(nsp, event, json, bins, flags) */
static PyObject *Core_cl_emit(core_t *c, PyObject *args) {
  PyObject *nsp, *ev, *json, *bins;
  int flags;
  if (!PyArg_ParseTuple(args, "UUUOi", &nsp, &ev, &json, &bins, &flags)) return NULL;
  msg_t *m = cl_cmd(c, C_CL_EMIT, nsp);
  if (!m) return NULL;
  m->num = flags;
  if (set_str(&m->str, ev, "event") || set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* cl_emit_ack(nsp, event, json, bins, flags, timeout_ms, req) */
static PyObject *Core_cl_emit_ack(core_t *c, PyObject *args) {
  PyObject *nsp, *ev, *json, *bins;
  int flags;
  unsigned int tmo;
  long long req;
  if (!PyArg_ParseTuple(args, "UUUOiIL", &nsp, &ev, &json, &bins, &flags, &tmo, &req))
    return NULL;
  msg_t *m = cl_cmd(c, C_CL_EMIT_ACK, nsp);
  if (!m) return NULL;
  m->flags = flags;
  m->timeout_ms = tmo;
  m->num = req;
  if (set_str(&m->str, ev, "event") || set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* cl_ack(nsp, ack_id, json, bins) */
static PyObject *Core_cl_ack(core_t *c, PyObject *args) {
  PyObject *nsp, *json, *bins;
  long long id;
  if (!PyArg_ParseTuple(args, "ULUO", &nsp, &id, &json, &bins)) return NULL;
  msg_t *m = cl_cmd(c, C_CL_ACK, nsp);
  if (!m) return NULL;
  m->num = id;
  if (set_json(m, json) || set_bins(m, bins)) {
    msg_free(m);
    return NULL;
  }
  if (post(c, m)) return NULL;
  Py_RETURN_NONE;
}

/* cl_auth(nsp, json_or_None): answers an E_CL_AUTH */
static PyObject *Core_cl_auth(core_t *c, PyObject *args) {
  PyObject *nsp, *json;
  if (!PyArg_ParseTuple(args, "UO", &nsp, &json)) return NULL;
  msg_t *m = cl_cmd(c, C_CL_AUTH, nsp);
  if (!m) return NULL;
  if (set_json(m, json)) {
    msg_free(m);
    return NULL;
  }
  int posted;
  cmd_post(c, m, &posted);
  if (!posted) msg_free(m);
  Py_RETURN_NONE;
}

PyDoc_STRVAR(cl_state_doc,
"cl_state(nsp) -> JSON [transport, id, connected, active] or None when\n"
"the client is closed.");
static PyObject *Core_cl_state(core_t *c, PyObject *nsp) {
  msg_t *m = cl_cmd(c, C_CL_Q_STATE, nsp);
  if (!m) return NULL;
  return query(c, m);
}

static PyMethodDef Core_methods[] = {
  {"start_client", (PyCFunction)Core_start_client, METH_VARARGS, start_client_doc},
  {"cl_connect", (PyCFunction)Core_cl_connect, METH_VARARGS, "client: join a namespace"},
  {"cl_disconnect", (PyCFunction)Core_cl_disconnect, METH_O, "client: leave a namespace"},
  {"cl_emit", (PyCFunction)Core_cl_emit, METH_VARARGS, "client: emit"},
  {"cl_emit_ack", (PyCFunction)Core_cl_emit_ack, METH_VARARGS, "client: emit with ack"},
  {"cl_ack", (PyCFunction)Core_cl_ack, METH_VARARGS, "client: answer the server's ack"},
  {"cl_auth", (PyCFunction)Core_cl_auth, METH_VARARGS, "client: auth callback reply"},
  {"cl_state", (PyCFunction)Core_cl_state, METH_O, cl_state_doc},
  {"set_option", (PyCFunction)Core_set_option, METH_VARARGS, set_option_doc},
  {"nsp", (PyCFunction)Core_nsp, METH_VARARGS, "nsp(name, middleware): set up a namespace"},
  {"set_dynamic", (PyCFunction)Core_set_dynamic, METH_O, "create unknown namespaces (Python decides)"},
  {"start", (PyCFunction)Core_start, METH_VARARGS, start_doc},
  {"fileno", (PyCFunction)Core_fileno, METH_NOARGS, "the eventfd asyncio watches"},
  {"drain", (PyCFunction)Core_drain, METH_NOARGS, drain_doc},
  {"wait", (PyCFunction)Core_wait, METH_O, wait_doc},
  {"emit", (PyCFunction)Core_emit, METH_VARARGS, "broadcast to targets"},
  {"emit_ack", (PyCFunction)Core_emit_ack, METH_VARARGS, "broadcast with acks"},
  {"sock_emit", (PyCFunction)Core_sock_emit, METH_VARARGS, "emit to one socket"},
  {"sock_emit_ack", (PyCFunction)Core_sock_emit_ack, METH_VARARGS, "emit with ack"},
  {"ack", (PyCFunction)Core_ack, METH_VARARGS, "answer a client's ack"},
  {"join", (PyCFunction)Core_join, METH_VARARGS, "socket joins room"},
  {"leave", (PyCFunction)Core_leave, METH_VARARGS, "socket leaves room"},
  {"sock_disconnect", (PyCFunction)Core_sock_disconnect, METH_VARARGS, "disconnect socket"},
  {"release", (PyCFunction)Core_release, METH_O, "drop a socket handle"},
  {"decide", (PyCFunction)Core_decide, METH_VARARGS, "middleware decision"},
  {"sockets_op", (PyCFunction)Core_sockets_op, METH_VARARGS, "sockets_join/leave/disconnect"},
  {"socket_rooms", (PyCFunction)Core_q_socket_rooms, METH_O, "rooms of a socket (JSON)"},
  {"socket_transport", (PyCFunction)Core_q_transport, METH_O, socket_transport_doc},
  {"nsp_free", (PyCFunction)Core_nsp_free, METH_O, nsp_free_doc},
  {"conn_errors", (PyCFunction)Core_conn_errors, METH_O,
   "conn_errors(on): post refused requests as events (connection_error)"},
  {"sockets", (PyCFunction)Core_q_sockets, METH_VARARGS, "socket ids of targets (JSON)"},
  {"rooms", (PyCFunction)Core_q_rooms, METH_O, "rooms and members (JSON)"},
  {"stats", (PyCFunction)Core_stats, METH_NOARGS, stats_doc},
  {"use_redis", (PyCFunction)Core_use_redis, METH_VARARGS, use_redis_doc},
  {"cluster", (PyCFunction)Core_cluster, METH_VARARGS, "a cluster query (fetch, rooms, count, serverSideEmit)"},
  {"server_side_ack", (PyCFunction)Core_server_side_ack, METH_VARARGS, "answer a serverSideEmit"},
  {"fetch_reply", (PyCFunction)Core_fetch_reply, METH_VARARGS, "socket.data for a remote fetch"},
  {"close", (PyCFunction)Core_close, METH_NOARGS, close_doc},
  {"serve", (PyCFunction)Core_serve, METH_VARARGS, serve_doc},
  {"join_thread", (PyCFunction)Core_join_thread, METH_NOARGS, "wait for the loop thread"},
  {NULL, NULL, 0, NULL}
};

static PyGetSetDef Core_getset[] = {
  {"port", (getter)Core_get_port, NULL, "bound port or None", NULL},
  {"running", (getter)Core_get_running, NULL, "loop thread accepting commands", NULL},
  {NULL, NULL, NULL, NULL, NULL}
};

static PyType_Slot Core_slots[] = {
  {Py_tp_new, Core_new},
  {Py_tp_dealloc, Core_dealloc},
  {Py_tp_methods, Core_methods},
  {Py_tp_getset, Core_getset},
  {Py_tp_doc, (void *)"Core(): one sioc server on its own libuv loop thread (internal)."},
  {0, NULL}
};

static PyType_Spec Core_spec = {
  "sioc._sioc.Core", sizeof(core_t), 0, Py_TPFLAGS_DEFAULT, Core_slots
};

/* ---- module ------------------------------------------------------------- */

static PyObject *mod_strerror(PyObject *m, PyObject *arg) {
  long e = PyLong_AsLong(arg);
  if (e == -1 && PyErr_Occurred()) return NULL;
  return PyUnicode_FromString(sioc_strerror((int)e));
}

static int mod_exec(PyObject *m) {
  modstate_t *st = PyModule_GetState(m);
  st->core_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &Core_spec, NULL);
  if (!st->core_type) return -1;
  Py_INCREF(st->core_type);
  if (PyModule_AddObject(m, "Core", (PyObject *)st->core_type)) {
    Py_DECREF(st->core_type);
    return -1;
  }
  if (PyModule_AddIntConstant(m, "ETIMEDOUT", SIOC_ETIMEDOUT) ||
      PyModule_AddIntConstant(m, "ECLOSED", SIOC_ECLOSED) ||
      PyModule_AddIntConstant(m, "BCAST_VOLATILE", SIOC_BCAST_VOLATILE) ||
      PyModule_AddIntConstant(m, "BCAST_LOCAL", SIOC_BCAST_LOCAL) ||
      PyModule_AddIntConstant(m, "BCAST_COMPRESS", SIOC_BCAST_COMPRESS) ||
      PyModule_AddIntConstant(m, "TRANSPORT_POLLING", SIOC_TRANSPORT_POLLING) ||
      PyModule_AddIntConstant(m, "TRANSPORT_WEBSOCKET", SIOC_TRANSPORT_WEBSOCKET) ||
      PyModule_AddIntConstant(m, "EMIT_VOLATILE", SIOC_EMIT_VOLATILE) ||
      PyModule_AddIntConstant(m, "CLIENT_EVENT_MAX", SIOC_CLIENT_RECONNECT_FAILED))
    return -1;
  return 0;
}

static int mod_traverse(PyObject *m, visitproc visit, void *arg) {
  modstate_t *st = PyModule_GetState(m);
  if (st) Py_VISIT(st->core_type);
  return 0;
}

static int mod_clear(PyObject *m) {
  modstate_t *st = PyModule_GetState(m);
  if (st) Py_CLEAR(st->core_type);
  return 0;
}

static void mod_free(void *m) { mod_clear(m); }

static PyObject *mod_client_event_name(PyObject *m, PyObject *args) {
  int kind, flavor;
  if (!PyArg_ParseTuple(args, "ii", &kind, &flavor)) return NULL;
  const char *n = sioc_client_event_name((sioc_client_event_kind_t)kind, flavor);
  if (!n) Py_RETURN_NONE;
  return PyUnicode_FromString(n);
}

static PyMethodDef mod_methods[] = {
  {"strerror", mod_strerror, METH_O, "describe a sioc or libuv error code"},
  {"client_event_name", mod_client_event_name, METH_VARARGS,
   "client_event_name(kind, flavor) -> name or None (sioc_client_event_name)"},
  {NULL, NULL, 0, NULL}
};

static PyModuleDef_Slot mod_slots[] = {
  {Py_mod_exec, mod_exec},
  {0, NULL}
};

static struct PyModuleDef mod_def = {
  PyModuleDef_HEAD_INIT, "sioc._sioc",
  "The C core of sioc (internal; use the sioc package).",
  sizeof(modstate_t), mod_methods, mod_slots, mod_traverse, mod_clear, mod_free
};

PyMODINIT_FUNC PyInit__sioc(void) { return PyModuleDef_Init(&mod_def); }

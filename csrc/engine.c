/* engine.c - Engine.IO v4 sessions: request verification, handshake, the
 * heartbeat, the polling -> WebSocket upgrade and closing.
 *
 * Behaviour follows the engine.io 6.x server that socket.io 4.8 ships:
 *  - errors are 400 {"code":N,"message":...} (403 for Forbidden); a bad
 *    WebSocket upgrade is answered 400 text/html with the message;
 *  - the server pings every pingInterval and closes with "ping timeout"
 *    when no pong came within pingTimeout.  The deadline is checked by a
 *    timer and again whenever a packet arrives, so a session whose deadline
 *    passed while the loop was busy is not revived by a late packet;
 *  - an upgrade is probed (2probe/3probe), the pending GET is released with
 *    a noop, and "5" switches transports; the upgrade times out after
 *    upgradeTimeout.
 *
 * Heartbeats: every session waits with the same interval (or timeout), so
 * the server keeps two queues in deadline order (appending keeps the order)
 * and one timer for the earliest head, instead of a uv_timer_t per session
 * (152 bytes each, and a heap operation per pong).
 *
 * Session lifetime: created by the handshake, removed from the engine's map
 * by eio__session_close(), freed once its upgrade timer (if any) finished
 * closing, and never before the end of the loop turn: code up the stack may
 * still look at a session it just closed.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json_text.h"
#include "server.h"

enum {
  EIO_ERR_UNKNOWN_TRANSPORT = 0,
  EIO_ERR_UNKNOWN_SID = 1,
  EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
  EIO_ERR_BAD_REQUEST = 3,
  EIO_ERR_FORBIDDEN = 4,
  EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION = 5
};

static const char *const error_messages[] = {
  "Transport unknown", "Session ID unknown", "Bad handshake method",
  "Bad request", "Forbidden", "Unsupported protocol version"
};

/* A handshake waiting for the application's decision
 * (allow_request_async).  Answered exactly once; the token outlives its
 * connection (conn NULL) and its server (engine NULL) until then. */
struct sioc_request_s {
  eio__engine_t *engine;
  eio__conn_t *conn;
  eio__session_t *session;     /* admitted on allow, freed on refusal */
  int websocket;
  char accept[29];
  sioc__list_t link;           /* engine->pending */
  char cors[];
};

void eio__engine_init(eio__engine_t *e, sioc_server_t *server, const char *path) {
  memset(e, 0, sizeof(*e));
  e->server = server;
  e->path = (char *)path;
  e->path_len = strlen(path);
  sioc__strmap_init(&e->sessions);
  sioc__list_init(&e->session_list);
  sioc__list_init(&e->pending);
}

/* ---- ids ------------------------------------------------------------------- */

/* The random bytes of ids come from a per-thread pool refilled 480 bytes
 * (32 ids) at a time: a RAND_bytes call costs ~6,700 instructions whatever
 * its size, two per handshake before.  A forked child must not hand out
 * what its parent's pool still holds (two processes, one set of ids), so
 * the pool is emptied in the child; a thread that did not fork does not
 * exist there. */
#define ID_POOL_BYTES 480

static _Thread_local struct {
  unsigned char bytes[ID_POOL_BYTES];
  size_t left;                 /* unused bytes at the end of `bytes` */
} id_pool;
static pthread_once_t id_pool_once = PTHREAD_ONCE_INIT;

static void id_pool_after_fork(void) {
  OPENSSL_cleanse(id_pool.bytes, sizeof(id_pool.bytes));
  id_pool.left = 0;
}

static void id_pool_init(void) { pthread_atfork(NULL, NULL, id_pool_after_fork); }

static int id_random(unsigned char *out, size_t n) {
  pthread_once(&id_pool_once, id_pool_init);
  if (id_pool.left < n) {
    if (RAND_bytes(id_pool.bytes, ID_POOL_BYTES) != 1) return -1;
    id_pool.left = ID_POOL_BYTES;
  }
  unsigned char *p = id_pool.bytes + ID_POOL_BYTES - id_pool.left;
  memcpy(out, p, n);
  OPENSSL_cleanse(p, n);   /* a given-out id does not linger in the pool */
  id_pool.left -= n;
  return 0;
}

/* 15 random bytes in URL-safe base64, as engine.io's base64id (session ids
 * and socket.io socket ids alike). */
int eio__gen_id(char out[21]) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char r[15];
  if (id_random(r, sizeof(r)) != 0) return SIOC_ENOMEM;
  for (int i = 0, o = 0; i < 15; i += 3) {
    uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = tab[(v >> 6) & 63];
    out[o++] = tab[v & 63];
  }
  out[20] = '\0';
  return 0;
}

/* ---- sending ----------------------------------------------------------------- */

const char *eio__session_transport_name(const eio__session_t *s) {
  return s->transport == EIO_T_WEBSOCKET ? "websocket" : "polling";
}

int eio__session_writable(const eio__session_t *s) {
  if (s->state != EIO_S_OPEN) return 0;
  if (s->transport == EIO_T_WEBSOCKET)
    return s->ws && eio__outq_idle(&s->ws->outq) &&
           s->ws->last_write_turn != sioc__server_turn(s->engine->server);
  return s->poll != NULL && s->wbuf_len == 0;
}

static int wbuf_push(eio__session_t *s, sioc__rbuf_t *msg) {
  const sioc_server_options_t *o = eio__options(s->engine->server);
  if (o->max_buffered_bytes && s->wbuf_bytes + msg->len > o->max_buffered_bytes)
    return SIOC_ELIMIT;
  if (s->wbuf_len == s->wbuf_cap) {
    size_t ncap = s->wbuf_cap ? s->wbuf_cap * 2 : 4;
    sioc__rbuf_t **n = realloc(s->wbuf, ncap * sizeof(*n));
    if (!n) return SIOC_ENOMEM;
    s->wbuf = n;
    s->wbuf_cap = ncap;
  }
  s->wbuf[s->wbuf_len++] = sioc__rbuf_ref(msg);
  s->wbuf_bytes += msg->len;
  return 0;
}

static int send_any_state(eio__session_t *s, sioc__rbuf_t *msg) {
  if (s->transport == EIO_T_WEBSOCKET) {
    if (!s->ws) return SIOC_ECLOSED;
    return eio__ws_send(s->ws, msg);
  }
  int r = wbuf_push(s, msg);
  if (r) {
    eio__session_close(s, "transport error");
    return r;
  }
  if (s->poll) eio__polling_flush(s);
  return 0;
}

int eio__session_send(eio__session_t *s, sioc__rbuf_t *msg) {
  if (s->state != EIO_S_OPEN) return SIOC_ECLOSED;
  return send_any_state(s, msg);
}

static int send_packet(eio__session_t *s, eio__type_t type, const char *data) {
  sioc__rbuf_t *m = eio__msg_packet(type, data, data ? strlen(data) : 0);
  if (!m) return SIOC_ENOMEM;
  int r = send_any_state(s, m);
  sioc__rbuf_unref(m);
  return r;
}

/* ---- closing ----------------------------------------------------------------- */

static void session_free(eio__session_t *s) {
  for (size_t i = 0; i < s->wbuf_len; i++) sioc__rbuf_unref(s->wbuf[i]);
  free(s->wbuf);
  free(s->hs_arena);
  free((void *)s->hs.headers);
  free(s);
}

/* A closed session with no handle left waits in the graveyard for the end
 * of the turn. */
static void bury(eio__session_t *s) {
  sioc_server_t *server = s->engine->server;
  sioc__list_push_back(&server->graveyard, &s->hb_link);
  sioc__server_want_turn_end(server);
}

void eio__sessions_reap(sioc_server_t *server) {
  while (!sioc__list_empty(&server->graveyard)) {
    sioc__list_t *n = server->graveyard.next;
    sioc__list_remove(n);
    session_free(SIOC_CONTAINER_OF(n, eio__session_t, hb_link));
  }
}

static void on_handle_closed(uv_handle_t *h) {
  eio__session_t *s = h->data;
  sioc_server_t *server = s->engine->server;
  free(h);
  /* A close callback: nothing up the stack refers to the session. */
  if (--s->handles == 0 && s->state == EIO_S_CLOSED) session_free(s);
  sioc__server_handle_closed(server);
}

static void stop_upgrade(eio__session_t *s) {
  if (s->upgrade_timer) {
    uv_close((uv_handle_t *)s->upgrade_timer, on_handle_closed);
    s->upgrade_timer = NULL;
  }
  s->upgrading = 0;
}

static void detach(eio__conn_t **slot) {
  eio__conn_t *c = *slot;
  if (!c) return;
  *slot = NULL;
  c->session = NULL;
  c->holding_poll = 0;
}

void eio__session_close(eio__session_t *s, const char *reason) {
  if (s->state == EIO_S_CLOSED) return;
  s->state = EIO_S_CLOSED;
  eio__engine_t *e = s->engine;
  sioc_server_t *server = e->server;
  sioc__strmap_del(&e->sessions, s->sid, strlen(s->sid));
  sioc__list_remove(&s->link);
  server->n_sessions--;
  stop_upgrade(s);
  sioc__list_remove(&s->hb_link);
  if (s->post) {
    s->post->posting = NULL;
    s->post = NULL;
  }
  if (s->probe) {
    eio__conn_t *p = s->probe;
    detach(&s->probe);
    eio__ws_close(p, 0);
  }
  if (s->ws) {
    eio__conn_t *w = s->ws;
    detach(&s->ws);
    eio__ws_close(w, 0);
  }
  if (s->poll) {
    /* Release the held GET: the client reads the close packet. */
    eio__polling_release(s, EIO_CLOSE);
  }
  if (e->handler.on_close) e->handler.on_close(s, reason);
  if (s->handles == 0) bury(s);   /* else the upgrade timer's close frees it */
}

void eio__session_shutdown(eio__session_t *s) {
  if (s->state != EIO_S_OPEN) return;
  if (s->transport == EIO_T_POLLING && !s->upgrading) {
    /* The close packet rides on a GET: the parked one, or the next one
     * (with a noop first, as engine.io's "shouldClose").  If none comes,
     * the heartbeat timer ends the session. */
    s->state = EIO_S_CLOSING;
    if (s->poll) eio__polling_release(s, EIO_CLOSE);
    return;
  }
  eio__session_close(s, "forced close");
}

int eio__engine_post_begin(eio__engine_t *e, eio__conn_t *c, eio__http_req_t *req) {
  size_t sl = 0;
  const char *sid = eio__query_get(req->query, req->query_len, "sid", &sl);
  if (!sid || !sl) return 0;
  eio__session_t *s = sioc__strmap_get(&e->sessions, sid, sl);
  if (!s || s->state != EIO_S_OPEN || s->transport != EIO_T_POLLING) return 0;
  if (s->post && s->post != c) {
    /* engine.io: "data request overlap from client" */
    eio__conn_t *first = s->post;
    s->post = NULL;
    first->posting = NULL;
    c->close_after_write = 1;
    eio__conn_respond(c, 400, NULL, NULL, NULL, 0);
    eio__conn_close(c, 1);
    eio__session_close(s, "transport error");
    eio__conn_close(first, 0);
    return -1;
  }
  s->post = c;
  c->posting = s;
  return 0;
}

static void post_done(eio__conn_t *c) {
  eio__session_t *s = c->posting;
  if (!s) return;
  c->posting = NULL;
  if (s->post == c) s->post = NULL;
}

void eio__engine_conn_lost(eio__conn_t *c) {
  if (c->pending_req) {
    /* The client left while the app decides: the token stays for the app. */
    c->pending_req->conn = NULL;
    c->pending_req = NULL;
  }
  if (c->posting) {
    /* "data request connection closed prematurely" */
    eio__session_t *ps = c->posting;
    post_done(c);
    if (ps->state == EIO_S_OPEN) eio__session_close(ps, "transport error");
  }
  eio__session_t *s = c->session;
  if (!s) return;
  if (s->probe == c) {
    detach(&s->probe);
    stop_upgrade(s);
    return;
  }
  if (s->poll == c) {
    detach(&s->poll);
    if (s->state != EIO_S_CLOSED)
      eio__session_close(s, "transport error");
    return;
  }
  if (s->ws == c) {
    detach(&s->ws);
    eio__session_close(s, s->ws_failed ? "transport error" : "transport close");
  }
}

void eio__engine_conn_failed(eio__conn_t *c) {
  eio__session_t *s = c->session;
  if (!s) return;
  s->ws_failed = 1;
  eio__engine_conn_lost(c);
}

/* ---- heartbeat ----------------------------------------------------------------- */

/* Arms the server's timer for the earliest deadline at the queues' heads. */
static void heartbeat_arm(sioc_server_t *server) {
  uint64_t next = UINT64_MAX;
  if (!sioc__list_empty(&server->hb_ping))
    next = SIOC_CONTAINER_OF(server->hb_ping.next, eio__session_t, hb_link)->hb_deadline;
  if (!sioc__list_empty(&server->hb_pong)) {
    uint64_t p = SIOC_CONTAINER_OF(server->hb_pong.next, eio__session_t, hb_link)->hb_deadline;
    if (p < next) next = p;
  }
  if (next == UINT64_MAX || server->closing) {
    uv_timer_stop(&server->hb_timer);
    return;
  }
  uint64_t now = uv_now(server->loop);
  uv_timer_start(&server->hb_timer, eio__heartbeat_run, next > now ? next - now : 0, 0);
}

/* Puts s at the tail of queue q with the deadline now + ms.  Deadlines in a
 * queue only grow, so only an empty queue needs the timer re-armed (a
 * removed head just makes it fire early once). */
static void heartbeat_queue(eio__session_t *s, sioc__list_t *q, uint32_t ms) {
  sioc_server_t *server = s->engine->server;
  int was_empty = sioc__list_empty(q);
  sioc__list_remove(&s->hb_link);
  s->hb_deadline = uv_now(server->loop) + ms;
  sioc__list_push_back(q, &s->hb_link);
  if (was_empty) heartbeat_arm(server);
}

/* The deadline of the session at a queue's head came. */
static void heartbeat_due(eio__session_t *s) {
  const sioc_server_options_t *o = eio__options(s->engine->server);
  if (s->state != EIO_S_OPEN) {
    sioc__list_remove(&s->hb_link);
    if (s->state == EIO_S_CLOSING) eio__session_close(s, "forced close");
    return;
  }
  if (s->ping_phase == 0) {
    s->ping_phase = 1;
    heartbeat_queue(s, &s->engine->server->hb_pong, o->ping_timeout_ms);
    send_packet(s, EIO_PING, NULL);
  } else {
    eio__session_close(s, "ping timeout");
  }
}

void eio__heartbeat_run(uv_timer_t *t) {
  sioc_server_t *server = t->data;
  uint64_t now = uv_now(t->loop);
  /* Each step takes the head off its queue (moved to the other queue's
   * tail, or closed), so the heads are read again every time. */
  for (;;) {
    eio__session_t *s = NULL;
    if (!sioc__list_empty(&server->hb_pong)) {
      eio__session_t *p = SIOC_CONTAINER_OF(server->hb_pong.next, eio__session_t, hb_link);
      if (p->hb_deadline <= now) s = p;
    }
    if (!s && !sioc__list_empty(&server->hb_ping)) {
      eio__session_t *p = SIOC_CONTAINER_OF(server->hb_ping.next, eio__session_t, hb_link);
      if (p->hb_deadline <= now) s = p;
    }
    if (!s) break;
    heartbeat_due(s);
  }
  heartbeat_arm(server);
}

static void schedule_ping(eio__session_t *s) {
  const sioc_server_options_t *o = eio__options(s->engine->server);
  s->ping_phase = 0;
  heartbeat_queue(s, &s->engine->server->hb_ping, o->ping_interval_ms);
}

/* 1 when the session outlived its pong deadline (the timer may not have run
 * yet because the loop was busy): it is closed now. */
static int deadline_passed(eio__session_t *s) {
  if (s->ping_phase == 1 &&
      uv_now(s->engine->server->loop) > s->hb_deadline) {
    eio__session_close(s, "ping timeout");
    return 1;
  }
  return 0;
}

/* ---- incoming packets ------------------------------------------------------------ */

/* One decoded packet from the session's active transport.  Returns 0, or -1
 * when the session closed. */
static int on_packet(eio__session_t *s, eio__packet_t *p) {
  if (s->state != EIO_S_OPEN) return -1;
  if (deadline_passed(s)) return -1;
  switch (p->type) {
    case EIO_PONG:
      if (s->ping_phase == 1) schedule_ping(s);
      return 0;
    case EIO_MESSAGE:
      if (s->engine->handler.on_message)
        s->engine->handler.on_message(s, p->data, p->len, p->binary);
      return s->state == EIO_S_OPEN ? 0 : -1;
    case EIO_CLOSE:
      /* engine.io's polling onClose: the client asked for the close, so a
       * parked GET ends with a noop rather than a close packet. */
      if (s->poll) eio__polling_release(s, EIO_NOOP);
      eio__session_close(s, "transport close");
      return -1;
    case EIO_PING:
      /* v4 clients never ping: "invalid heartbeat direction" */
      eio__session_close(s, "transport error");
      return -1;
    default:
      return 0;   /* open, upgrade, noop: engine.io ignores them */
  }
}

int eio__session_on_packet(eio__session_t *s, eio__packet_t *p) {
  return on_packet(s, p);
}

static void finish_upgrade(eio__session_t *s) {
  eio__conn_t *c = s->probe;
  stop_upgrade(s);
  s->probe = NULL;
  s->ws = c;
  s->transport = EIO_T_WEBSOCKET;
  s->upgraded = 1;
  /* The old transport: answer a parked GET so the client drops it. */
  if (s->poll) eio__polling_release(s, EIO_NOOP);
  /* Packets that waited for a GET now go over the WebSocket, in order. */
  for (size_t i = 0; i < s->wbuf_len; i++) {
    if (s->state == EIO_S_OPEN || s->state == EIO_S_CLOSING)
      eio__ws_send(c, s->wbuf[i]);
    sioc__rbuf_unref(s->wbuf[i]);
  }
  s->wbuf_len = 0;
  s->wbuf_bytes = 0;
  if (s->state == EIO_S_CLOSING) {
    eio__session_close(s, "forced close");
    return;
  }
  /* engine.io's "upgrade" event; the last thing done here (the callback
   * may close the session). */
  if (s->engine->handler.on_upgrade) s->engine->handler.on_upgrade(s);
}

static void on_probe_message(eio__session_t *s, eio__conn_t *c, char *data,
                             size_t len, int binary) {
  eio__packet_t p;
  if (binary || eio__packet_decode(data, len, &p) != 0) goto fail;
  if (p.type == EIO_PING && p.len == 5 && memcmp(p.data, "probe", 5) == 0) {
    sioc__rbuf_t *m = eio__msg_packet(EIO_PONG, "probe", 5);
    if (m) {
      eio__ws_send(c, m);
      sioc__rbuf_unref(m);
    }
    /* Release the parked GET right away so the client can pause polling
     * (engine.io keeps sending noops every 100 ms until it can). */
    if (s->poll) eio__polling_release(s, EIO_NOOP);
    return;
  }
  if (p.type == EIO_UPGRADE && p.len == 0) {
    finish_upgrade(s);
    return;
  }
fail:
  detach(&s->probe);
  stop_upgrade(s);
  eio__ws_close(c, 0);
}

void eio__engine_ws_message(eio__conn_t *c, char *data, size_t len, int binary) {
  eio__session_t *s = c->session;
  if (!s) return;
  if (s->probe == c) {
    on_probe_message(s, c, data, len, binary);
    return;
  }
  eio__packet_t p;
  if (binary) {
    p.type = EIO_MESSAGE;
    p.binary = 1;
    p.data = data;
    p.len = len;
  } else if (eio__packet_decode(data, len, &p) != 0) {
    eio__session_close(s, "parse error");
    return;
  }
  on_packet(s, &p);
}

static void on_upgrade_timer(uv_timer_t *t) {
  eio__session_t *s = t->data;
  if (s->poll && s->probe) eio__polling_release(s, EIO_NOOP);
  if (uv_now(t->loop) >= s->upgrade_deadline && s->probe) {
    eio__conn_t *c = s->probe;
    detach(&s->probe);
    stop_upgrade(s);
    eio__ws_close(c, 0);
  }
}

/* ---- handshake ------------------------------------------------------------------ */

/* Copies the request's headers, url and address into the session. */
static int snapshot_handshake(eio__session_t *s, eio__conn_t *c,
                              const eio__http_req_t *req) {
  size_t total = strlen(req->url) + 1 + strlen(c->address) + 1;
  for (size_t i = 0; i < req->n_headers; i++)
    total += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 2;
  char *a = malloc(total);
  sioc_header_t *h = calloc(req->n_headers + 1, sizeof(*h));
  if (!a || !h) {
    free(a);
    free(h);
    return SIOC_ENOMEM;
  }
  char *p = a;
#define COPY(dst, src) do { size_t l_ = strlen(src) + 1; memcpy(p, src, l_); dst = p; p += l_; } while (0)
  COPY(s->hs.url, req->url);
  COPY(s->hs.address, c->address);
  for (size_t i = 0; i < req->n_headers; i++) {
    COPY(h[i].name, req->headers[i].name);
    COPY(h[i].value, req->headers[i].value);
  }
#undef COPY
  const char *q = strchr(s->hs.url, '?');
  s->hs.query = q ? q + 1 : "";
  s->hs.headers = h;
  s->hs.n_headers = req->n_headers;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  s->hs.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  s->hs.xdomain = eio__http_req_header(req, "origin") != NULL;
  s->hs_arena = a;
  return 0;
}

/* The second half of a handshake, once admitted: registers the session,
 * answers (101, or the first GET with the open packet) and starts the
 * heartbeat.  cors: the answer's CORS lines (polling). */
static void handshake_admit(eio__engine_t *e, eio__conn_t *c, eio__session_t *s,
                            int websocket, const char *accept, const char *cors) {
  sioc_server_t *server = e->server;
  const sioc_server_options_t *o = eio__options(server);
  if (websocket && (eio__ws_switch(c, accept) != 0 ||
                    eio__conn_read_resume(c) != 0)) {
    session_free(s);
    return;
  }
  if (sioc__strmap_put(&e->sessions, s->sid, strlen(s->sid), s)) {
    session_free(s);
    if (websocket) eio__ws_close(c, 1011);
    else eio__conn_close(c, 0);
    return;
  }
  s->engine = e;
  s->state = EIO_S_OPEN;
  s->transport = websocket ? EIO_T_WEBSOCKET : EIO_T_POLLING;
  sioc__list_init(&s->hb_link);
  sioc__list_push_back(&e->session_list, &s->link);
  server->n_sessions++;
  if (websocket) {
    s->ws = c;
    c->session = s;
  }
  sioc__sbuf_t open;
  sioc__sbuf_init(&open);
  int upgrades = !websocket && o->allow_upgrades &&
                 (o->transports & SIOC_TRANSPORT_WEBSOCKET);
  if (eio__open_packet(&open, s->sid, upgrades, o->ping_interval_ms,
                       o->ping_timeout_ms, o->max_http_buffer_size) == 0) {
    sioc__rbuf_t *m = eio__msg_new(0, NULL, 0, open.data, open.len);
    if (m) {
      send_any_state(s, m);
      sioc__rbuf_unref(m);
    }
  }
  sioc__sbuf_reset(&open);
  schedule_ping(s);
  if (e->handler.on_open) e->handler.on_open(s);
  /* The handshake GET takes the open packet (and whatever on_open sent). */
  if (!websocket && s->state == EIO_S_OPEN) eio__polling_park(s, c, cors);
}

static void request_detach(sioc_request_t *r) {
  sioc__list_remove(&r->link);
  if (r->conn) r->conn->pending_req = NULL;
  r->conn = NULL;
}

static void report_refusal(sioc_server_t *server, eio__session_t *s, const char *msg) {
  if (!server->on_conn_error) return;
  sioc_connection_error_t ce = {EIO_ERR_FORBIDDEN, msg, "GET", s->hs.url,
                                s->hs.headers, s->hs.n_headers, s->hs.address};
  server->on_conn_error(server, &ce, server->on_conn_error_data);
}

/* Refuses a handshake: 403 {"code":4,...} (polling) or engine.io's plain
 * 400 answer to an upgrade, then closes. */
static void refuse(eio__conn_t *c, int websocket, const char *cors, const char *msg) {
  c->close_after_write = 1;
  if (websocket) {
    eio__conn_respond(c, 400, "text/html", cors, msg, strlen(msg));
  } else {
    sioc__sbuf_t body;
    sioc__sbuf_init(&body);
    if (sioc__sbuf_appends(&body, "{\"code\":4,\"message\":") == 0 &&
        sioc__json_quote(&body, msg, strlen(msg)) == 0 && sioc__sbuf_appendc(&body, '}') == 0)
      eio__conn_respond(c, 403, "application/json", cors, body.data, body.len);
    sioc__sbuf_reset(&body);
  }
  eio__conn_close(c, 1);
}

int sioc_request_allow(sioc_request_t *r) {
  if (!r) return SIOC_EINVAL;
  eio__conn_t *c = r->conn;
  eio__engine_t *e = r->engine;
  eio__session_t *s = r->session;
  request_detach(r);
  int rc = 0;
  if (!c || !e || !s || c->closing) {
    if (s) session_free(s);
    rc = SIOC_ECLOSED;
  } else {
    handshake_admit(e, c, s, r->websocket, r->accept, r->cors);
  }
  free(r);
  return rc;
}

int sioc_request_refuse(sioc_request_t *r, const char *message) {
  if (!r) return SIOC_EINVAL;
  if (!message) message = error_messages[EIO_ERR_FORBIDDEN];
  eio__conn_t *c = r->conn;
  eio__session_t *s = r->session;
  int rc = 0;
  if (r->engine && s) report_refusal(r->engine->server, s, message);
  c = r->conn;   /* the report may have closed the server */
  request_detach(r);
  if (c && !c->closing) refuse(c, r->websocket, r->cors, message);
  else rc = SIOC_ECLOSED;
  if (s) session_free(s);
  free(r);
  return rc;
}

static void handshake(eio__engine_t *e, eio__conn_t *c, eio__http_req_t *req,
                      int websocket) {
  sioc_server_t *server = e->server;
  const sioc_server_options_t *o = eio__options(server);
  char accept[29] = "";
  char cors[1024];
  const char *h = eio__cors_headers(c, req, cors, sizeof(cors));
  if (websocket) {
    /* A handshake that cannot succeed is refused before the app is asked. */
    const char *why = eio__ws_check(req, accept);
    if (why) {
      eio__ws_accept(c, req);   /* answers 400 with why */
      return;
    }
  }
  eio__session_t *s = calloc(1, sizeof(*s));
  if (!s || eio__gen_id(s->sid) || snapshot_handshake(s, c, req)) {
    if (s) session_free(s);
    eio__respond_error(c, req, EIO_ERR_BAD_REQUEST, NULL);
    return;
  }
  if (o->allow_request_async) {
    size_t hl = strlen(h) + 1;
    sioc_request_t *r = calloc(1, sizeof(*r) + hl);
    if (!r) {
      session_free(s);
      eio__respond_error(c, req, EIO_ERR_BAD_REQUEST, NULL);
      return;
    }
    r->engine = e;
    r->conn = c;
    r->session = s;
    r->websocket = websocket;
    memcpy(r->accept, accept, sizeof(accept));
    memcpy(r->cors, h, hl);
    sioc__list_push_back(&e->pending, &r->link);
    c->pending_req = r;
    o->allow_request_async(server, &s->hs, r, o->user_data);
    return;
  }
  if (o->allow_request) {
    const char *why = o->allow_request(server, &s->hs, o->user_data);
    if (why) {
      session_free(s);
      eio__respond_error(c, req, EIO_ERR_FORBIDDEN, why);
      return;
    }
  }
  handshake_admit(e, c, s, websocket, accept, h);
}

static int transport_allowed(const sioc_server_options_t *o, const char *t,
                             size_t tl, int *websocket) {
  if (tl == 7 && memcmp(t, "polling", 7) == 0 && (o->transports & SIOC_TRANSPORT_POLLING)) {
    *websocket = 0;
    return 1;
  }
  if (tl == 9 && memcmp(t, "websocket", 9) == 0 && (o->transports & SIOC_TRANSPORT_WEBSOCKET)) {
    *websocket = 1;
    return 1;
  }
  return 0;
}

/* Node's check for characters not allowed in a header value. */
static int invalid_header_chars(const char *v) {
  for (const unsigned char *p = (const unsigned char *)v; *p; p++)
    if ((*p < 32 && *p != '\t') || *p == 127) return 1;
  return 0;
}

static void begin_upgrade(eio__session_t *s, eio__conn_t *c,
                          const eio__http_req_t *req) {
  const sioc_server_options_t *o = eio__options(s->engine->server);
  if (eio__ws_accept(c, req) != 0) return;
  uv_timer_t *t = malloc(sizeof(*t));
  if (!t) {
    eio__ws_close(c, 1011);
    return;
  }
  uv_timer_init(s->engine->server->loop, t);
  t->data = s;
  s->handles++;
  s->engine->server->live_handles++;
  s->upgrade_timer = t;
  s->upgrading = 1;
  s->probe = c;
  c->session = s;
  s->upgrade_deadline = uv_now(s->engine->server->loop) + o->upgrade_timeout_ms;
  /* One timer: noop ticks every 100 ms, and the deadline. */
  uv_timer_start(t, on_upgrade_timer, 100, 100);
}

void eio__engine_handle(eio__engine_t *e, eio__conn_t *c, eio__http_req_t *req) {
  const sioc_server_options_t *o = eio__options(e->server);
  int upgrade = req->upgrade;
  size_t tl = 0, sl = 0, vl = 0;
  const char *t = eio__query_get(req->query, req->query_len, "transport", &tl);
  const char *sid = eio__query_get(req->query, req->query_len, "sid", &sl);
  int websocket = 0;

  if (req->method == HTTP_OPTIONS && !upgrade &&
      (o->cors_cb || o->n_cors_origins)) {
    /* CORS preflight (answered by the cors middleware in engine.io). */
    eio__respond_error(c, req, -1, NULL);
    return;
  }
  if (!t || !transport_allowed(o, t, tl, &websocket)) {
    eio__respond_error(c, req, EIO_ERR_UNKNOWN_TRANSPORT, NULL);
    return;
  }
  const char *origin = eio__http_req_header(req, "origin");
  if (origin && invalid_header_chars(origin)) {
    eio__respond_error(c, req, EIO_ERR_BAD_REQUEST, NULL);
    return;
  }
  if (sid && sl > 0) {
    eio__session_t *s = sioc__strmap_get(&e->sessions, sid, sl);
    if (!s || s->state == EIO_S_CLOSED) {
      eio__respond_error(c, req, EIO_ERR_UNKNOWN_SID, NULL);
      return;
    }
    if (deadline_passed(s)) {
      eio__respond_error(c, req, EIO_ERR_UNKNOWN_SID, NULL);
      return;
    }
    if (!upgrade) {
      if (websocket || s->transport != EIO_T_POLLING) {
        eio__respond_error(c, req, EIO_ERR_BAD_REQUEST, NULL);
        return;
      }
      if (req->method == HTTP_GET) eio__polling_get(s, c, req);
      else if (req->method == HTTP_POST) {
        post_done(c);
        eio__polling_post(s, c, req);
      }
      else {
        c->close_after_write = 0;
        eio__conn_respond(c, 500, NULL, NULL, NULL, 0);
      }
      return;
    }
    if (!websocket) {
      /* engine.io accepts the WebSocket, then polling refuses it. */
      if (eio__ws_accept(c, req) == 0) eio__ws_close(c, 0);
      return;
    }
    if (s->upgrading || s->upgraded || s->transport == EIO_T_WEBSOCKET) {
      /* engine.io completes the WebSocket handshake and closes it. */
      if (eio__ws_accept(c, req) == 0) eio__ws_close(c, 0);
      return;
    }
    begin_upgrade(s, c, req);
    return;
  }
  if (req->method != HTTP_GET) {
    eio__respond_error(c, req, EIO_ERR_BAD_HANDSHAKE_METHOD, NULL);
    return;
  }
  if (websocket && !upgrade) {
    eio__respond_error(c, req, EIO_ERR_BAD_REQUEST, NULL);
    return;
  }
  if (upgrade && !websocket) {
    if (eio__ws_accept(c, req) == 0) eio__ws_close(c, 0);
    return;
  }
  const char *v = eio__query_get(req->query, req->query_len, "EIO", &vl);
  if (!v || vl != 1 || v[0] != '4') {
    eio__respond_error(c, req, EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION, NULL);
    return;
  }
  handshake(e, c, req, websocket);
}

const char *eio__error_message(int code) {
  return code >= 0 && code <= 5 ? error_messages[code] : "Bad request";
}

void eio__engine_close_all(eio__engine_t *e, const char *reason) {
  sioc__list_t *it, *tmp;
  /* Handshakes still waiting for the application: their sessions go, the
   * tokens stay valid (answering them returns SIOC_ECLOSED). */
  SIOC_LIST_FOREACH_SAFE(it, tmp, &e->pending) {
    sioc_request_t *r = SIOC_CONTAINER_OF(it, sioc_request_t, link);
    request_detach(r);
    session_free(r->session);
    r->session = NULL;
    r->engine = NULL;
  }
  /* A close callback may close other sessions too: read the list again. */
  while (!sioc__list_empty(&e->session_list))
    eio__session_close(SIOC_CONTAINER_OF(e->session_list.next, eio__session_t, link), reason);
}

void eio__engine_free(eio__engine_t *e) {
  sioc__strmap_free(&e->sessions);
}

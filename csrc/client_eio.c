/* client_eio.c - the Engine.IO v4 client session: handshake over polling or
 * WebSocket, long-polling (one GET parked, one POST at a time), the
 * polling -> WebSocket upgrade (2probe/3probe, polling paused until its
 * requests are back, then 5), answering pings and detecting a silent server
 * (no ping within pingInterval + pingTimeout).
 *
 * Invariants: outgoing packets wait in `wq` (type + payload, binary flag)
 * until the transport can take them, so nothing is lost across the upgrade.
 * on_close runs at most once; nothing runs after it or after
 * sioc__ceio_close().  The struct is freed by the timer's close callback, so
 * it outlives any callback that closes it.
 */
#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_net.h"
#include "eio_packet.h"

#define CEIO_MAX_MESSAGE (64u * 1024 * 1024)

enum { ST_OPENING, ST_OPEN, ST_CLOSED };

struct sioc__ceio_s {
  uv_loop_t *loop;
  sioc__ceio_cbs_t cbs;
  void *ud;
  sioc__chttp_target_t t;
  char *host, *path, *query, *headers;
  int transports;
  int upgrade;
  uv_timer_t ping_timer;
  int state;
  int ws_active;          /* the transport is the WebSocket */
  char sid[128];
  uint32_t ping_interval, ping_timeout;
  int server_upgrades;    /* the handshake listed "websocket" */
  sioc__creq_t *get, *post;
  sioc__cws_t *ws;        /* the transport, or the probe while !ws_active */
  int probe_ok;           /* 3probe received: polling pauses */
  sioc__rbuf_t **wq;      /* packets: hdr = type, tag = binary */
  size_t wq_len, wq_cap;
  int released;
  sioc__creq_t *goodbye;  /* the close packet's POST, after close */
  void (*freed)(void *);
  void *freed_ud;
};

static void fail(sioc__ceio_t *e, const char *reason, int err, const char *desc);
static void poll_next(sioc__ceio_t *e);
static void flush(sioc__ceio_t *e);

const char *sioc__ceio_transport(const sioc__ceio_t *e) {
  return e->ws_active ? "websocket" : "polling";
}
const char *sioc__ceio_sid(const sioc__ceio_t *e) { return e->sid; }

int sioc__ceio_writable(const sioc__ceio_t *e) {
  if (e->state != ST_OPEN) return 0;
  return e->ws_active || (!e->post && !e->probe_ok);
}

/* The request target for a transport: path?EIO=4&transport=..&t=..[&sid][&query] */
static int make_target(sioc__ceio_t *e, sioc__sbuf_t *b, const char *transport) {
  unsigned char rnd[6];
  char t[9];
  RAND_bytes(rnd, sizeof(rnd));
  static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 8; i++) t[i] = al[(rnd[i * 6 / 8] >> (i & 1)) & 63];
  t[8] = '\0';
  int r = 0;
  r |= sioc__sbuf_appends(b, e->path);
  r |= sioc__sbuf_appends(b, "?EIO=4&transport=");
  r |= sioc__sbuf_appends(b, transport);
  if (strcmp(transport, "polling") == 0) {
    r |= sioc__sbuf_appends(b, "&t=");
    r |= sioc__sbuf_appends(b, t);
  }
  if (e->sid[0]) {
    r |= sioc__sbuf_appends(b, "&sid=");
    r |= sioc__sbuf_appends(b, e->sid);
  }
  if (e->query[0]) {
    r |= sioc__sbuf_appendc(b, '&');
    r |= sioc__sbuf_appends(b, e->query);
  }
  r |= sioc__sbuf_appendc(b, '\0');
  return r ? SIOC_ENOMEM : 0;
}

static void reset_ping_timer(sioc__ceio_t *e);

static void on_ping_timeout(uv_timer_t *t) {
  sioc__ceio_t *e = t->data;
  fail(e, "ping timeout", SIOC_ETIMEDOUT, "no ping from the server in time");
}

static void reset_ping_timer(sioc__ceio_t *e) {
  uv_timer_start(&e->ping_timer, on_ping_timeout,
                 (uint64_t)e->ping_interval + e->ping_timeout, 0);
}

static int queue_packet(sioc__ceio_t *e, eio__type_t type, int binary,
                        const void *data, size_t len) {
  if (e->wq_len == e->wq_cap) {
    size_t nc = e->wq_cap ? e->wq_cap * 2 : 8;
    sioc__rbuf_t **n = realloc(e->wq, nc * sizeof(*n));
    if (!n) return SIOC_ENOMEM;
    e->wq = n;
    e->wq_cap = nc;
  }
  sioc__rbuf_t *b = sioc__rbuf_copy(data ? data : "", len);
  if (!b) return SIOC_ENOMEM;
  b->hdr = (uint8_t)type;
  b->tag = (uint8_t)binary;
  e->wq[e->wq_len++] = b;
  return 0;
}

static void wq_clear(sioc__ceio_t *e) {
  for (size_t i = 0; i < e->wq_len; i++) sioc__rbuf_unref(e->wq[i]);
  e->wq_len = 0;
}

/* ---- incoming packets -------------------------------------------------------- */

static int handle_open(sioc__ceio_t *e, const char *data, size_t len) {
  cJSON *j = cJSON_ParseWithLength(data, len);
  if (!j) return SIOC_EPROTO;
  cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
  cJSON *pi = cJSON_GetObjectItemCaseSensitive(j, "pingInterval");
  cJSON *pt = cJSON_GetObjectItemCaseSensitive(j, "pingTimeout");
  cJSON *up = cJSON_GetObjectItemCaseSensitive(j, "upgrades");
  int ok = cJSON_IsString(sid) && strlen(sid->valuestring) < sizeof(e->sid) &&
           sid->valuestring[0] && cJSON_IsNumber(pi) && cJSON_IsNumber(pt) &&
           pi->valuedouble >= 0 && pt->valuedouble >= 0;
  if (ok) {
    snprintf(e->sid, sizeof(e->sid), "%s", sid->valuestring);
    e->ping_interval = (uint32_t)pi->valuedouble;
    e->ping_timeout = (uint32_t)pt->valuedouble;
    cJSON *it;
    e->server_upgrades = 0;
    if (cJSON_IsArray(up))
      cJSON_ArrayForEach(it, up) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, "websocket") == 0)
          e->server_upgrades = 1;
      }
  }
  cJSON_Delete(j);
  return ok ? 0 : SIOC_EPROTO;
}

static void start_probe(sioc__ceio_t *e);

/* One decoded packet.  Returns 0 to go on, non-zero when the session ended
 * or the caller must stop (e.g. closed from a callback). */
static int on_packet(sioc__ceio_t *e, eio__packet_t *p) {
  if (e->state == ST_OPENING) {
    if (p->type != EIO_OPEN || p->binary || handle_open(e, p->data, p->len)) {
      fail(e, "parse error", SIOC_EPROTO, "invalid Engine.IO handshake");
      return 1;
    }
    e->state = ST_OPEN;
    reset_ping_timer(e);
    e->cbs.on_open(e, e->ud);
    if (e->state != ST_OPEN) return 1;
    if (!e->ws_active && e->upgrade && e->server_upgrades &&
        (e->transports & SIOC_TRANSPORT_WEBSOCKET))
      start_probe(e);
    flush(e);
    return e->state != ST_OPEN;
  }
  switch (p->type) {
    case EIO_PING:
      reset_ping_timer(e);
      if (queue_packet(e, EIO_PONG, 0, p->data, p->len)) {
        fail(e, "transport error", SIOC_ENOMEM, "out of memory");
        return 1;
      }
      flush(e);
      if (e->state != ST_OPEN) return 1;
      e->cbs.on_ping(e, e->ud);
      break;
    case EIO_MESSAGE:
      p->data[p->len] = '\0';   /* room: the byte after is a separator or NUL */
      e->cbs.on_message(e, p->data, p->len, p->binary, e->ud);
      break;
    case EIO_CLOSE:
      fail(e, "transport close", UV_EOF, "the server closed the session");
      return 1;
    case EIO_NOOP:
    case EIO_PONG:
      break;
    default:
      fail(e, "parse error", SIOC_EPROTO, "unexpected Engine.IO packet");
      return 1;
  }
  return e->state != ST_OPEN;
}

/* ---- polling ------------------------------------------------------------------ */

static void poll_done(sioc__creq_t *r, int err, const char *msg, int status,
                      char *body, size_t len, void *ud);

static void http_error(sioc__ceio_t *e, const char *what, int err,
                       const char *msg, int status, const char *body, size_t len) {
  char desc[400];
  if (err) {
    snprintf(desc, sizeof(desc), "%s: %s", what, msg ? msg : sioc_strerror(err));
  } else {
    snprintf(desc, sizeof(desc), "%s: HTTP %d %.*s", what, status,
             (int)(len > 200 ? 200 : len), body ? body : "");
    err = SIOC_EPROTO;
  }
  fail(e, "transport error", err, desc);
}

static void poll_next(sioc__ceio_t *e) {
  if (e->state == ST_CLOSED || e->get || e->ws_active || e->probe_ok) return;
  sioc__sbuf_t tgt;
  sioc__sbuf_init(&tgt);
  int r = make_target(e, &tgt, "polling");
  if (!r) r = sioc__creq_start(&e->t, "GET", tgt.data, NULL, 0, poll_done, e, &e->get);
  sioc__sbuf_reset(&tgt);
  if (r) http_error(e, "xhr poll error", r, NULL, 0, NULL, 0);
}

static void maybe_finish_upgrade(sioc__ceio_t *e);

static void poll_done(sioc__creq_t *r, int err, const char *msg, int status,
                      char *body, size_t len, void *ud) {
  sioc__ceio_t *e = ud;
  e->get = NULL;
  if (e->state == ST_CLOSED) return;
  if (err || status != 200) {
    http_error(e, "xhr poll error", err, msg, status, body, len);
    return;
  }
  eio__payload_iter_t it;
  eio__packet_t p;
  int n;
  eio__payload_iter_init(&it, body, len);
  while ((n = eio__payload_next(&it, &p)) == 1) {
    /* NUL-terminate in place: the separator after the packet is spare. */
    if (on_packet(e, &p)) return;
  }
  if (n < 0) {
    fail(e, "parse error", SIOC_EPROTO, "invalid polling payload");
    return;
  }
  if (e->probe_ok) maybe_finish_upgrade(e);
  else poll_next(e);
}

static void post_done(sioc__creq_t *r, int err, const char *msg, int status,
                      char *body, size_t len, void *ud) {
  sioc__ceio_t *e = ud;
  e->post = NULL;
  if (e->state == ST_CLOSED) return;
  if (err || status != 200) {
    http_error(e, "xhr post error", err, msg, status, body, len);
    return;
  }
  if (e->probe_ok) maybe_finish_upgrade(e);
  else flush(e);
}

static void flush_polling(sioc__ceio_t *e) {
  if (e->post || !e->wq_len || e->probe_ok) return;
  sioc__sbuf_t body, tgt;
  sioc__sbuf_init(&body);
  sioc__sbuf_init(&tgt);
  int r = 0;
  for (size_t i = 0; i < e->wq_len && !r; i++) {
    sioc__rbuf_t *b = e->wq[i];
    r = eio__payload_append(&body, i == 0, (eio__type_t)b->hdr, b->tag, b->data, b->len);
  }
  if (!r) r = make_target(e, &tgt, "polling");
  if (!r) r = sioc__creq_start(&e->t, "POST", tgt.data, body.data, body.len,
                               post_done, e, &e->post);
  sioc__sbuf_reset(&body);
  sioc__sbuf_reset(&tgt);
  if (r) {
    http_error(e, "xhr post error", r, NULL, 0, NULL, 0);
    return;
  }
  wq_clear(e);
}

static void flush_ws(sioc__ceio_t *e) {
  size_t i;
  for (i = 0; i < e->wq_len; i++) {
    sioc__rbuf_t *b = e->wq[i];
    int r = b->tag ? sioc__cws_send(e->ws, b->data, b->len, 1)
                   : sioc__cws_send2(e->ws, (char)('0' + b->hdr), b->data, b->len);
    if (r) {
      fail(e, "transport error", r, "WebSocket write failed");
      return;
    }
  }
  wq_clear(e);
}

static void flush(sioc__ceio_t *e) {
  if (e->state != ST_OPEN) return;
  if (e->ws_active) flush_ws(e);
  else flush_polling(e);
}

/* ---- WebSocket ------------------------------------------------------------------ */

static void ws_open(sioc__cws_t *w, void *ud) {
  sioc__ceio_t *e = ud;
  if (!e->ws_active) {   /* the probe */
    if (sioc__cws_send2(w, '0' + EIO_PING, "probe", 5)) {
      sioc__cws_close(w);
      e->ws = NULL;
    }
  }
}

static void ws_message(sioc__cws_t *w, char *data, size_t len, int binary, void *ud) {
  sioc__ceio_t *e = ud;
  if (e->state == ST_CLOSED) return;
  if (!e->ws_active && e->state == ST_OPEN) {
    /* The probe's answer. */
    if (!binary && len == 6 && memcmp(data, "3probe", 6) == 0) {
      e->probe_ok = 1;
      maybe_finish_upgrade(e);
    } else {
      sioc__cws_close(w);
      e->ws = NULL;
    }
    return;
  }
  eio__packet_t p;
  if (binary) {
    p.type = EIO_MESSAGE;
    p.binary = 1;
    p.data = data;
    p.len = len;
  } else if (eio__packet_decode(data, len, &p)) {
    fail(e, "parse error", SIOC_EPROTO, "invalid Engine.IO packet");
    return;
  }
  on_packet(e, &p);
}

static void ws_closed(sioc__cws_t *w, int err, const char *msg, void *ud) {
  sioc__ceio_t *e = ud;
  sioc__cws_close(w);   /* deferred free inside the callback */
  e->ws = NULL;
  if (e->state == ST_CLOSED) return;
  if (!e->ws_active && e->state == ST_OPEN) {
    /* A failed probe: stay on polling. */
    if (e->probe_ok) {
      e->probe_ok = 0;
      poll_next(e);
      flush(e);
    }
    return;
  }
  char desc[300];
  snprintf(desc, sizeof(desc), "websocket error: %s", msg ? msg : "closed");
  fail(e, err == UV_EOF ? "transport close" : "transport error", err, desc);
}

static const sioc__cws_cbs_t ws_cbs = {ws_open, ws_message, ws_closed};

static int open_ws(sioc__ceio_t *e) {
  sioc__sbuf_t tgt;
  sioc__sbuf_init(&tgt);
  int r = make_target(e, &tgt, "websocket");
  if (!r) r = sioc__cws_open(&e->t, tgt.data, CEIO_MAX_MESSAGE, &ws_cbs, e, &e->ws);
  sioc__sbuf_reset(&tgt);
  return r;
}

static void start_probe(sioc__ceio_t *e) {
  if (e->ws) return;
  if (open_ws(e)) e->ws = NULL;   /* no upgrade; polling goes on */
}

static void maybe_finish_upgrade(sioc__ceio_t *e) {
  if (!e->probe_ok || e->get || e->post || !e->ws || e->state != ST_OPEN) return;
  e->probe_ok = 0;
  e->ws_active = 1;
  if (sioc__cws_send2(e->ws, '0' + EIO_UPGRADE, "", 0)) {
    fail(e, "transport error", SIOC_ECLOSED, "upgrade failed");
    return;
  }
  flush(e);
}

/* ---- lifecycle -------------------------------------------------------------------- */

static void release_transports(sioc__ceio_t *e) {
  uv_timer_stop(&e->ping_timer);
  if (e->get) sioc__creq_cancel(e->get);
  if (e->post) sioc__creq_cancel(e->post);
  e->get = e->post = NULL;
  if (e->ws) sioc__cws_close(e->ws);
  e->ws = NULL;
  wq_clear(e);
}

static void fail(sioc__ceio_t *e, const char *reason, int err, const char *desc) {
  if (e->state == ST_CLOSED) return;
  if (e->released) {   /* failing while saying goodbye: nobody to tell */
    e->state = ST_CLOSED;
    return;
  }
  e->state = ST_CLOSED;
  release_transports(e);
  e->cbs.on_close(e, reason, err, desc, e->ud);
}

static void on_timer_closed(uv_handle_t *h) {
  sioc__ceio_t *e = h->data;
  if (e->freed) e->freed(e->freed_ud);
  free(e->wq);
  free(e->host);
  free(e->path);
  free(e->query);
  free(e->headers);
  free(e);
}

static void goodbye_end(sioc__ceio_t *e) {
  if (e->goodbye) sioc__creq_cancel(e->goodbye);
  e->goodbye = NULL;
  uv_close((uv_handle_t *)&e->ping_timer, on_timer_closed);
}

static void goodbye_done(sioc__creq_t *r, int err, const char *msg, int status,
                         char *body, size_t len, void *ud) {
  sioc__ceio_t *e = ud;
  e->goodbye = NULL;
  uv_timer_stop(&e->ping_timer);
  goodbye_end(e);
}

static void goodbye_timeout(uv_timer_t *t) { goodbye_end(t->data); }

void sioc__ceio_close(sioc__ceio_t *e, void (*freed)(void *ud), void *ud) {
  if (!e || e->released) return;
  e->released = 1;
  e->freed = freed;
  e->freed_ud = ud;
  int was_open = e->state == ST_OPEN;
  e->state = ST_CLOSED;
  /* Say goodbye: a close packet on the transport in use, with what is
   * still queued (a DISCONNECT, say) in front of it. */
  if (was_open && e->ws_active && e->ws) {
    e->state = ST_OPEN;
    flush_ws(e);
    e->state = ST_CLOSED;
    if (e->ws) sioc__cws_send2(e->ws, '0' + EIO_CLOSE, "", 0);
  }
  sioc__sbuf_t body, tgt;
  sioc__sbuf_init(&body);
  sioc__sbuf_init(&tgt);
  int r = -1;
  if (was_open && !e->ws_active) {
    r = 0;
    for (size_t i = 0; i < e->wq_len && !r; i++) {
      sioc__rbuf_t *b = e->wq[i];
      r = eio__payload_append(&body, i == 0, (eio__type_t)b->hdr, b->tag, b->data, b->len);
    }
    if (!r) r = eio__payload_append(&body, e->wq_len == 0, EIO_CLOSE, 0, "", 0);
    if (!r) r = make_target(e, &tgt, "polling");
  }
  release_transports(e);
  if (!r) r = sioc__creq_start(&e->t, "POST", tgt.data, body.data, body.len,
                               goodbye_done, e, &e->goodbye);
  sioc__sbuf_reset(&body);
  sioc__sbuf_reset(&tgt);
  if (!r) {
    uv_timer_start(&e->ping_timer, goodbye_timeout, 1000, 0);
    return;
  }
  e->goodbye = NULL;
  uv_close((uv_handle_t *)&e->ping_timer, on_timer_closed);
}

int sioc__ceio_send(sioc__ceio_t *e, const void *data, size_t len, int binary) {
  if (e->state != ST_OPEN) return SIOC_ECLOSED;
  int r = queue_packet(e, EIO_MESSAGE, binary, data, len);
  if (r) return r;
  flush(e);
  return 0;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

int sioc__ceio_open(const sioc__ceio_opts_t *o, const sioc__ceio_cbs_t *cbs,
                    void *ud, sioc__ceio_t **out) {
  sioc__ceio_t *e = calloc(1, sizeof(*e));
  if (!e) return SIOC_ENOMEM;
  e->loop = o->loop;
  e->cbs = *cbs;
  e->ud = ud;
  e->transports = o->transports ? o->transports
                                : SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET;
  e->upgrade = o->upgrade;
  e->host = dup_or_empty(o->host);
  e->query = dup_or_empty(o->query);
  e->headers = dup_or_empty(o->extra_headers);
  const char *path = o->path && o->path[0] ? o->path : "/socket.io/";
  size_t pl = strlen(path);
  e->path = malloc(pl + 2);
  if (!e->host || !e->query || !e->headers || !e->path) {
    free(e->host), free(e->query), free(e->headers), free(e->path), free(e);
    return SIOC_ENOMEM;
  }
  memcpy(e->path, path, pl + 1);
  if (path[pl - 1] != '/') memcpy(e->path + pl, "/", 2);
  e->t.loop = o->loop;
  e->t.host = e->host;
  e->t.port = o->port;
  e->t.tls = o->tls;
  e->t.verify = o->verify;
  e->t.extra_headers = e->headers;
  uv_timer_init(o->loop, &e->ping_timer);
  e->ping_timer.data = e;
  int r;
  if (e->transports & SIOC_TRANSPORT_POLLING) {
    sioc__sbuf_t tgt;
    sioc__sbuf_init(&tgt);
    r = make_target(e, &tgt, "polling");
    if (!r) r = sioc__creq_start(&e->t, "GET", tgt.data, NULL, 0, poll_done, e, &e->get);
    sioc__sbuf_reset(&tgt);
  } else {
    e->ws_active = 1;
    r = open_ws(e);
  }
  if (r) {
    e->state = ST_CLOSED;
    e->released = 1;
    uv_close((uv_handle_t *)&e->ping_timer, on_timer_closed);
    return r;
  }
  *out = e;
  return 0;
}

/* client_sio.c - the Socket.IO v5 client: a manager (one Engine.IO client
 * session, reconnection with socket.io-client's Backoff) and sockets per
 * namespace (CONNECT with auth, events, acks both ways with timeouts,
 * binary attachments both ways, the offline send buffer).
 *
 * The state machine follows socket.io-client 4.8's Manager and Socket so
 * that events come in the same order: open -> (socket) connecting ->
 * reconnect -> (socket) connect; close -> (socket) disconnect ->
 * reconnect_attempt -> ...
 *
 * Invariants: memory of the manager and its sockets is freed only from a
 * uv close callback, once `handles` (timers of the manager and of pending
 * acks) dropped to zero after sioc_manager_close(); so a callback may close
 * the manager and the code calling it checks m->closing afterwards.
 */
#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_net.h"
#include "json_text.h"
#include "list.h"
#include "sio_packet.h"

enum { M_CLOSED, M_OPENING, M_OPEN };

typedef struct {
  sioc__list_t node;
  sioc__sbuf_t text;
  sioc__sbuf_t *atts;
  size_t n_atts;
  int64_t id;
} cpacket_t;

typedef struct cack_s {
  sioc__list_t node;
  sioc_client_t *s;
  int64_t id;
  uv_timer_t timer;
  int has_timer;
  sioc_client_ack_cb cb;
  void *ud;
} cack_t;

struct sioc_client_s {
  sioc__list_t node;
  sioc_manager_t *m;
  char *nsp;
  size_t nsp_len;
  sioc_client_event_cb cb;
  void *ud;
  char *auth;               /* JSON object or NULL */
  size_t auth_len;
  sioc_client_auth_cb auth_cb;
  void *auth_ud;
  int awaiting_auth;
  int active;
  int connected;
  char *id;
  int64_t next_ack;
  sioc__list_t send_buf;    /* cpacket_t */
  sioc__list_t recv_buf;    /* cpacket_t: events that came before CONNECT */
  sioc__list_t acks;        /* cack_t */
};

struct sioc_manager_s {
  uv_loop_t *loop;
  sioc_client_options_t o;
  char *host, *path, *query, *headers, *ca_file;
  char *url_nsp;
  int port;
  SSL_CTX *tls;
  sioc_manager_event_cb cb;
  void *ud;
  sioc__list_t sockets;
  sioc__ceio_t *eio;
  int state;
  int skip_reconnect;
  int reconnecting;
  int open_for_reconnect;
  uint32_t attempts;        /* Backoff.attempts */
  uv_timer_t open_timer;
  uv_timer_t reconnect_timer;
  size_t handles;           /* open uv handles */
  int closing;
  sioc_manager_close_cb close_cb;
  void *close_ud;
  /* a binary packet waiting for its attachments */
  sioc__sbuf_t pend_text;
  sio__packet_t pend;
  sioc__sbuf_t *pend_atts;
  size_t pend_have;
  int pending;
  sioc__sbuf_t scratch;
};

/* ---- backoff (socket.io-client contrib/backo2.js) ------------------------------ */

static double js_random(void) {
  uint64_t r = 0;
  if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) r = (uint64_t)rand();
  return (double)(r >> 11) / 9007199254740992.0;   /* [0, 1), 53 bits */
}

/* Math.floor for x >= 0 (no libm: the library does not link it). */
static double floor_pos(double x) {
  if (!(x < 9007199254740992.0)) return x;   /* integral already, or NaN/inf */
  return (double)(uint64_t)x;
}

/* JavaScript's x | 0 (ToInt32) for x >= 0 or NaN. */
static int32_t js_toint32(double x) {
  if (!(x < 1.8446744073709552e19) || x != x) return 0;   /* NaN, inf, huge */
  return (int32_t)(uint32_t)(uint64_t)x;
}

/* Backoff.prototype.duration for attempt number `attempts` (before the
 * increment) with random number rnd in [0, 1).  Exposed for the tests. */
int32_t sioc__backoff_duration(uint32_t attempts, double min, double max,
                               double jitter, double rnd);
int32_t sioc__backoff_duration(uint32_t attempts, double min, double max,
                               double jitter, double rnd) {
  if (!(jitter > 0 && jitter <= 1)) jitter = 0;
  double ms = min;
  /* min * Math.pow(2, attempts), overflowing to Infinity as in JavaScript */
  for (uint32_t i = 0; i < attempts && ms < 1.0 / 0.0; i++) ms *= 2;
  if (jitter) {
    double deviation = floor_pos(rnd * jitter * ms);
    ms = (((uint64_t)floor_pos(rnd * 10)) & 1) == 0 ? ms - deviation : ms + deviation;
  }
  /* Math.min(ms, max): NaN wins in JavaScript. */
  double v = ms != ms ? ms : (ms < max ? ms : max);
  return js_toint32(v);
}

static uint32_t backoff_next(sioc_manager_t *m) {
  double min = m->o.reconnection_delay_ms ? m->o.reconnection_delay_ms : 100;
  double max = m->o.reconnection_delay_max_ms ? m->o.reconnection_delay_max_ms : 10000;
  int32_t d = sioc__backoff_duration(m->attempts++, min, max,
                                     m->o.randomization_factor, js_random());
  return d < 0 ? 0 : (uint32_t)d;
}

/* ---- helpers -------------------------------------------------------------------- */

static void m_emit(sioc_manager_t *m, sioc_client_event_t *ev) {
  if (m->closing || !m->cb) return;
  m->cb(m, ev, m->ud);
}

static void s_emit(sioc_client_t *s, sioc_client_event_t *ev) {
  if (s->m->closing || !s->cb) return;
  s->cb(s, ev, s->ud);
}

/* Manager event, then relayed to every active socket. */
static void m_emit_relay(sioc_manager_t *m, sioc_client_event_t *ev) {
  m_emit(m, ev);
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    if (m->closing) return;
    if (s->active) s_emit(s, ev);
  }
}

static void packet_free(cpacket_t *p) {
  sioc__sbuf_reset(&p->text);
  for (size_t i = 0; i < p->n_atts; i++) sioc__sbuf_reset(&p->atts[i]);
  free(p->atts);
  free(p);
}

static void handle_closed(uv_handle_t *h);

static int engine_send(sioc_manager_t *m, cpacket_t *p) {
  if (!m->eio || m->state != M_OPEN) return SIOC_ECLOSED;
  int r = sioc__ceio_send(m->eio, p->text.data, p->text.len, 0);
  for (size_t i = 0; !r && i < p->n_atts; i++)
    r = sioc__ceio_send(m->eio, p->atts[i].data ? p->atts[i].data : "",
                        p->atts[i].len, 1);
  return r;
}

/* ---- acks ----------------------------------------------------------------------- */

static void ack_free_cb(uv_handle_t *h) {
  cack_t *a = h->data;
  sioc_manager_t *m = a->s->m;
  free(a);
  handle_closed((uv_handle_t *)&m->open_timer);   /* counts one handle */
}

static void ack_release(cack_t *a) {
  sioc__list_remove(&a->node);
  if (a->has_timer) {
    a->timer.data = a;
    uv_close((uv_handle_t *)&a->timer, ack_free_cb);
  } else {
    free(a);
  }
}

static void drop_buffered(sioc_client_t *s, int64_t id) {
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &s->send_buf) {
    cpacket_t *p = SIOC_CONTAINER_OF(it, cpacket_t, node);
    if (p->id == id) {
      sioc__list_remove(&p->node);
      packet_free(p);
    }
  }
}

static void on_ack_timeout(uv_timer_t *t) {
  cack_t *a = t->data;
  sioc_client_t *s = a->s;
  drop_buffered(s, a->id);
  sioc_client_ack_cb cb = a->cb;
  void *ud = a->ud;
  ack_release(a);
  if (!s->m->closing) cb(s, SIOC_ETIMEDOUT, NULL, 0, NULL, 0, ud);
}

/* Fails every pending ack with err (no timers left behind). */
static void fail_acks(sioc_client_t *s, int err) {
  while (!sioc__list_empty(&s->acks)) {
    cack_t *a = SIOC_CONTAINER_OF(s->acks.next, cack_t, node);
    sioc_client_ack_cb cb = a->cb;
    void *ud = a->ud;
    drop_buffered(s, a->id);
    ack_release(a);
    cb(s, err, NULL, 0, NULL, 0, ud);
  }
}

/* ---- manager lifecycle ------------------------------------------------------------ */

static void m_open(sioc_manager_t *m);
static void m_reconnect(sioc_manager_t *m);
static void s_onopen(sioc_client_t *s);
static void s_onclose(sioc_client_t *s, const char *reason);

static void free_manager(sioc_manager_t *m) {
  while (!sioc__list_empty(&m->sockets)) {
    sioc_client_t *s = SIOC_CONTAINER_OF(m->sockets.next, sioc_client_t, node);
    sioc__list_remove(&s->node);
    while (!sioc__list_empty(&s->send_buf)) {
      cpacket_t *p = SIOC_CONTAINER_OF(s->send_buf.next, cpacket_t, node);
      sioc__list_remove(&p->node);
      packet_free(p);
    }
    while (!sioc__list_empty(&s->recv_buf)) {
      cpacket_t *p = SIOC_CONTAINER_OF(s->recv_buf.next, cpacket_t, node);
      sioc__list_remove(&p->node);
      packet_free(p);
    }
    free(s->nsp);
    free(s->auth);
    free(s->id);
    free(s);
  }
  sioc__sbuf_reset(&m->pend_text);
  for (size_t i = 0; i < m->pend_have; i++) sioc__sbuf_reset(&m->pend_atts[i]);
  free(m->pend_atts);
  sioc__sbuf_reset(&m->scratch);
  if (m->tls) SSL_CTX_free(m->tls);
  free(m->host);
  free(m->path);
  free(m->query);
  free(m->headers);
  free(m->ca_file);
  free(m->url_nsp);
  sioc_manager_close_cb cb = m->close_cb;
  void *ud = m->close_ud;
  free(m);
  if (cb) cb(NULL, ud);
}

static void handle_closed(uv_handle_t *h) {
  sioc_manager_t *m = h->data;
  if (--m->handles == 0 && m->closing) free_manager(m);
}

static void pending_reset(sioc_manager_t *m) {
  sioc__sbuf_reset(&m->pend_text);
  for (size_t i = 0; i < m->pend_have; i++) sioc__sbuf_reset(&m->pend_atts[i]);
  free(m->pend_atts);
  m->pend_atts = NULL;
  m->pend_have = 0;
  m->pending = 0;
}

static void eio_freed(void *ud) {
  sioc_manager_t *m = ud;
  if (--m->handles == 0 && m->closing) free_manager(m);
}

static void engine_drop(sioc_manager_t *m) {
  uv_timer_stop(&m->open_timer);
  if (m->eio) {
    m->handles++;   /* the session's timer, and its goodbye POST */
    sioc__ceio_close(m->eio, eio_freed, m);
  }
  m->eio = NULL;
  pending_reset(m);
}

/* socket.io-client Manager.onclose */
static void m_onclose(sioc_manager_t *m, const char *reason) {
  engine_drop(m);
  m->attempts = 0;
  m->state = M_CLOSED;
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_CLOSE, .message = reason};
  m_emit(m, &ev);
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    if (m->closing) return;
    if (s->active) s_onclose(s, reason);
  }
  if (m->closing) return;
  if (m->o.reconnection && !m->skip_reconnect) m_reconnect(m);
}

static void m_onreconnect(sioc_manager_t *m) {
  uint32_t attempt = m->attempts;
  m->reconnecting = 0;
  m->attempts = 0;
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_RECONNECT, .attempt = attempt};
  m_emit_relay(m, &ev);
}

/* An attempt failed (socket.io-client Manager.open's onError). */
static void m_open_failed(sioc_manager_t *m, int err, const char *msg) {
  engine_drop(m);
  m->state = M_CLOSED;
  int from_reconnect = m->open_for_reconnect;
  m->open_for_reconnect = 0;
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_ERROR, .message = msg, .err = err};
  m_emit(m, &ev);
  /* Sockets not connected see it as connect_error (and classic "error"). */
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    if (m->closing) return;
    if (!s->active || s->connected) continue;
    s_emit(s, &ev);
    sioc_client_event_t ce = {.kind = SIOC_CLIENT_CONNECT_ERROR, .message = msg, .err = err};
    if (!m->closing) s_emit(s, &ce);
  }
  if (m->closing) return;
  if (from_reconnect) {
    m->reconnecting = 0;
    m_reconnect(m);
    if (m->closing) return;
    sioc_client_event_t re = {.kind = SIOC_CLIENT_RECONNECT_ERROR, .message = msg, .err = err};
    m_emit_relay(m, &re);
  } else if (!m->reconnecting && m->o.reconnection && m->attempts == 0) {
    m_reconnect(m);
  }
}

static void on_open_timeout(uv_timer_t *t) {
  sioc_manager_t *m = t->data;
  m_open_failed(m, SIOC_ETIMEDOUT, "timeout");
}

static void on_reconnect_timer(uv_timer_t *t) {
  sioc_manager_t *m = t->data;
  if (m->skip_reconnect || m->closing) return;
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_RECONNECT_ATTEMPT, .attempt = m->attempts};
  m_emit_relay(m, &ev);
  if (m->skip_reconnect || m->closing) return;
  m->open_for_reconnect = 1;
  m_open(m);
}

static void m_reconnect(sioc_manager_t *m) {
  if (m->reconnecting || m->skip_reconnect || m->closing) return;
  if (m->o.reconnection_attempts != SIOC_RECONNECT_INFINITE &&
      m->attempts >= m->o.reconnection_attempts) {
    m->attempts = 0;
    m->reconnecting = 0;
    sioc_client_event_t ev = {.kind = SIOC_CLIENT_RECONNECT_FAILED};
    m_emit_relay(m, &ev);
    return;
  }
  uint32_t delay = backoff_next(m);
  m->reconnecting = 1;
  uv_timer_start(&m->reconnect_timer, on_reconnect_timer, delay, 0);
}

/* ---- engine callbacks --------------------------------------------------------------- */

static sioc_client_t *find_socket(sioc_manager_t *m, const char *nsp, size_t len) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    if (s->nsp_len == len && memcmp(s->nsp, nsp, len) == 0) return s;
  }
  return NULL;
}

static void e_open(sioc__ceio_t *e, void *ud) {
  sioc_manager_t *m = ud;
  uv_timer_stop(&m->open_timer);
  m->state = M_OPEN;
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_OPEN};
  m_emit(m, &ev);
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    if (m->closing || m->state != M_OPEN) return;
    if (s->active) s_onopen(s);
  }
  if (m->closing || m->state != M_OPEN) return;
  if (m->open_for_reconnect) {
    m->open_for_reconnect = 0;
    m_onreconnect(m);
  }
}

static void e_close(sioc__ceio_t *e, const char *reason, int err,
                    const char *desc, void *ud) {
  sioc_manager_t *m = ud;
  if (m->state == M_OPENING) {
    m_open_failed(m, err, desc ? desc : reason);
    return;
  }
  m_onclose(m, reason);
}

static void e_ping(sioc__ceio_t *e, void *ud) {
  sioc_manager_t *m = ud;
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_PING};
  m_emit(m, &ev);
}

static void dispatch(sioc_manager_t *m, sio__packet_t *p, sioc_bin_t *bins, size_t nb);

static void parse_error(sioc_manager_t *m) {
  m_onclose(m, "parse error");
}

static void e_message(sioc__ceio_t *e, char *data, size_t len, int binary, void *ud) {
  sioc_manager_t *m = ud;
  if (binary) {
    if (!m->pending) {
      parse_error(m);
      return;
    }
    if (sioc__sbuf_append(&m->pend_atts[m->pend_have], data, len) ||
        sioc__sbuf_appendc(&m->pend_atts[m->pend_have], '\0')) {
      parse_error(m);
      return;
    }
    m->pend_atts[m->pend_have].len--;
    if (++m->pend_have < m->pend.attachments) return;
    sioc_bin_t bins[64];
    sioc_bin_t *bp = m->pend_have <= 64 ? bins : malloc(m->pend_have * sizeof(*bp));
    if (!bp) {
      parse_error(m);
      return;
    }
    for (size_t i = 0; i < m->pend_have; i++) {
      bp[i].data = (const uint8_t *)m->pend_atts[i].data;
      bp[i].len = m->pend_atts[i].len;
    }
    /* Detach the pending state before dispatching (callbacks may re-enter). */
    sio__packet_t p = m->pend;
    sioc__sbuf_t text = m->pend_text;
    sioc__sbuf_t *atts = m->pend_atts;
    size_t n = m->pend_have;
    sioc__sbuf_init(&m->pend_text);
    m->pend_atts = NULL;
    m->pend_have = 0;
    m->pending = 0;
    dispatch(m, &p, bp, n);
    if (bp != bins) free(bp);
    sioc__sbuf_reset(&text);
    for (size_t i = 0; i < n; i++) sioc__sbuf_reset(&atts[i]);
    free(atts);
    return;
  }
  if (m->pending) {
    parse_error(m);
    return;
  }
  sio__packet_t p;
  if (sio__packet_decode(data, len, 1000, &p)) {
    parse_error(m);
    return;
  }
  if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
    /* Keep a copy: data points into the engine's buffer. */
    if (sioc__sbuf_append(&m->pend_text, data, len) || sioc__sbuf_appendc(&m->pend_text, '\0')) {
      parse_error(m);
      return;
    }
    m->pend = p;
    m->pend.nsp = m->pend_text.data + (p.nsp - data);
    if (p.nsp < data || p.nsp >= data + len) m->pend.nsp = p.nsp;   /* static "/" */
    m->pend.data = p.data ? m->pend_text.data + (p.data - data) : NULL;
    m->pend_atts = calloc(p.attachments, sizeof(sioc__sbuf_t));
    if (!m->pend_atts) {
      parse_error(m);
      return;
    }
    m->pending = 1;
    m->pend_have = 0;
    return;
  }
  dispatch(m, &p, NULL, 0);
}

static const sioc__ceio_cbs_t eio_cbs = {e_open, e_message, e_ping, e_close};

static void m_open(sioc_manager_t *m) {
  if (m->state != M_CLOSED || m->closing) return;
  sioc__ceio_opts_t o = {
    .loop = m->loop, .host = m->host, .port = m->port, .tls = m->tls,
    .verify = m->o.tls_verify, .path = m->path, .query = m->query,
    .extra_headers = m->headers, .transports = m->o.transports,
    .upgrade = m->o.upgrade,
  };
  m->state = M_OPENING;
  m->skip_reconnect = 0;
  int r = sioc__ceio_open(&o, &eio_cbs, m, &m->eio);
  if (r) {
    m->eio = NULL;
    m_open_failed(m, r, sioc_strerror(r));
    return;
  }
  if (m->o.timeout_ms) uv_timer_start(&m->open_timer, on_open_timeout, m->o.timeout_ms, 0);
}

/* socket.io-client Manager._close (forced close: no reconnection). */
static void m_force_close(sioc_manager_t *m) {
  m->skip_reconnect = 1;
  m->reconnecting = 0;
  uv_timer_stop(&m->reconnect_timer);
  if (m->state == M_OPENING) {
    engine_drop(m);
    m->state = M_CLOSED;
    return;
  }
  if (m->state == M_OPEN) m_onclose(m, "forced close");
}

/* ---- sockets ------------------------------------------------------------------------- */

static int send_connect(sioc_client_t *s, const char *auth, size_t len) {
  cpacket_t p;
  memset(&p, 0, sizeof(p));
  int r = sio__packet_encode_header(&p.text, SIO_CONNECT, 0, s->nsp, s->nsp_len, -1);
  if (!r && auth && len) r = sioc__sbuf_append(&p.text, auth, len);
  if (!r) r = engine_send(s->m, &p);
  sioc__sbuf_reset(&p.text);
  return r;
}

static void s_onopen(sioc_client_t *s) {
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_CONNECTING};
  s_emit(s, &ev);
  if (s->m->closing || s->m->state != M_OPEN || !s->active) return;
  if (s->auth_cb) {
    s->awaiting_auth = 1;
    s->auth_cb(s, s->auth_ud);
    return;
  }
  send_connect(s, s->auth, s->auth_len);
}

static void s_onclose(sioc_client_t *s, const char *reason) {
  int was = s->connected;
  s->connected = 0;
  s->awaiting_auth = 0;
  free(s->id);
  s->id = NULL;
  if (was) {
    sioc_client_event_t ev = {.kind = SIOC_CLIENT_DISCONNECT, .message = reason};
    s_emit(s, &ev);
  }
  if (!s->m->closing) fail_acks(s, SIOC_ECLOSED);
}

/* socket.io-client Socket.destroy + Manager._destroy */
static void s_destroy(sioc_client_t *s) {
  s->active = 0;
  s->awaiting_auth = 0;
  sioc_manager_t *m = s->m;
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &m->sockets) {
    if (SIOC_CONTAINER_OF(it, sioc_client_t, node)->active) return;
  }
  m_force_close(m);
}

static void deliver_event(sioc_client_t *s, char *data, size_t len,
                          const sioc_bin_t *bins, size_t nb, int64_t id) {
  sioc_manager_t *m = s->m;
  sio__event_t e;
  sioc__sbuf_reset(&m->scratch);
  if (sio__event_split(data, len, &m->scratch, &e)) {
    parse_error(m);
    return;
  }
  sioc_event_t se = {e.name, e.name_len, e.args, e.args_len, bins, nb, id};
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_EVENT, .event = &se};
  s_emit(s, &ev);
}

static void s_onconnect(sioc_client_t *s, const char *sid, size_t len) {
  free(s->id);
  s->id = strndup(sid, len);
  s->connected = 1;
  /* emitBuffered: events received before the CONNECT reply come first (as
   * python-socketio sends what its connect handler emits before it). */
  while (!sioc__list_empty(&s->recv_buf) && s->connected && !s->m->closing) {
    cpacket_t *p = SIOC_CONTAINER_OF(s->recv_buf.next, cpacket_t, node);
    sioc__list_remove(&p->node);
    sioc_bin_t bins[16];
    size_t nb = p->n_atts < 16 ? p->n_atts : 16;
    for (size_t i = 0; i < nb; i++) {
      bins[i].data = (const uint8_t *)p->atts[i].data;
      bins[i].len = p->atts[i].len;
    }
    deliver_event(s, p->text.data, p->text.len, bins, nb, p->id);
    packet_free(p);
  }
  if (!s->connected || s->m->closing) return;
  while (!sioc__list_empty(&s->send_buf) && s->connected && !s->m->closing) {
    cpacket_t *p = SIOC_CONTAINER_OF(s->send_buf.next, cpacket_t, node);
    sioc__list_remove(&p->node);
    engine_send(s->m, p);
    packet_free(p);
  }
  sioc_client_event_t ev = {.kind = SIOC_CLIENT_CONNECT};
  s_emit(s, &ev);
}

static void dispatch(sioc_manager_t *m, sio__packet_t *p, sioc_bin_t *bins, size_t nb) {
  sioc_client_t *s = find_socket(m, p->nsp, p->nsp_len);
  if (!s || !s->active) return;
  switch (p->type) {
    case SIO_CONNECT: {
      cJSON *j = p->data ? cJSON_ParseWithLength(p->data, p->data_len) : NULL;
      cJSON *sid = j ? cJSON_GetObjectItemCaseSensitive(j, "sid") : NULL;
      if (cJSON_IsString(sid)) {
        s_onconnect(s, sid->valuestring, strlen(sid->valuestring));
      } else {
        sioc_client_event_t ev = {
          .kind = SIOC_CLIENT_CONNECT_ERROR, .err = SIOC_EPROTO,
          .message = "It seems you are trying to reach a Socket.IO server in v2.x "
                     "with a v3.x client, but they are not compatible"};
        s_emit(s, &ev);
      }
      cJSON_Delete(j);
      break;
    }
    case SIO_CONNECT_ERROR: {
      s_destroy(s);
      if (m->closing) return;
      cJSON *j = p->data ? cJSON_ParseWithLength(p->data, p->data_len) : NULL;
      cJSON *msg = j ? cJSON_GetObjectItemCaseSensitive(j, "message") : NULL;
      cJSON *data = j ? cJSON_GetObjectItemCaseSensitive(j, "data") : NULL;
      char *dtext = data ? cJSON_PrintUnformatted(data) : NULL;
      sioc_client_event_t ev = {
        .kind = SIOC_CLIENT_CONNECT_ERROR, .err = SIOC_EPROTO,
        .message = cJSON_IsString(msg) ? msg->valuestring
                   : cJSON_IsString(j) ? j->valuestring : "connect error",
        .data = dtext, .data_len = dtext ? strlen(dtext) : 0};
      s_emit(s, &ev);
      free(dtext);
      cJSON_Delete(j);
      break;
    }
    case SIO_EVENT:
    case SIO_BINARY_EVENT: {
      if (!p->data) return;
      if (!s->connected) {   /* socket.io-client's receiveBuffer */
        cpacket_t *c = calloc(1, sizeof(*c));
        if (!c) return;
        c->id = p->id;
        int r = sioc__sbuf_append(&c->text, p->data, p->data_len);
        if (!r && nb) {
          c->atts = calloc(nb, sizeof(*c->atts));
          if (!c->atts) r = SIOC_ENOMEM;
          else c->n_atts = nb;
          for (size_t i = 0; !r && i < nb; i++)
            r = sioc__sbuf_append(&c->atts[i], bins[i].data, bins[i].len);
        }
        if (r) {
          packet_free(c);
          return;
        }
        sioc__list_push_back(&s->recv_buf, &c->node);
        return;
      }
      deliver_event(s, p->data, p->data_len, bins, nb, p->id);
      break;
    }
    case SIO_ACK:
    case SIO_BINARY_ACK: {
      sioc__list_t *it;
      SIOC_LIST_FOREACH(it, &s->acks) {
        cack_t *a = SIOC_CONTAINER_OF(it, cack_t, node);
        if (a->id != p->id) continue;
        sioc_client_ack_cb cb = a->cb;
        void *ud = a->ud;
        ack_release(a);
        cb(s, 0, p->data ? p->data : "[]", p->data ? p->data_len : 2, bins, nb, ud);
        return;
      }
      break;
    }
    case SIO_DISCONNECT:
      s_destroy(s);
      if (m->closing) return;
      s_onclose(s, "io server disconnect");
      break;
  }
}

/* ---- public API ---------------------------------------------------------------------- */

void sioc_client_options_init(sioc_client_options_t *o) {
  memset(o, 0, sizeof(*o));
  o->path = "/socket.io/";
  o->transports = SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET;
  o->upgrade = 1;
  o->reconnection = 1;
  o->reconnection_attempts = SIOC_RECONNECT_INFINITE;
  o->reconnection_delay_ms = 1000;
  o->reconnection_delay_max_ms = 5000;
  o->randomization_factor = 0.5;
  o->timeout_ms = 20000;
  o->tls_verify = 1;
}

const char *sioc_client_event_name(sioc_client_event_kind_t kind, int flavor) {
  static const char *const names[][3] = {
    [SIOC_CLIENT_CONNECTING] = {NULL, "connecting", NULL},
    [SIOC_CLIENT_CONNECT] = {"connect", "connect", NULL},
    [SIOC_CLIENT_CONNECT_ERROR] = {"connect_error", "connect_failed", NULL},
    [SIOC_CLIENT_DISCONNECT] = {"disconnect", "disconnect", NULL},
    [SIOC_CLIENT_EVENT] = {NULL, NULL, NULL},
    [SIOC_CLIENT_OPEN] = {NULL, NULL, "open"},
    [SIOC_CLIENT_CLOSE] = {NULL, NULL, "close"},
    [SIOC_CLIENT_PING] = {NULL, NULL, "ping"},
    [SIOC_CLIENT_ERROR] = {NULL, "error", "error"},
    [SIOC_CLIENT_RECONNECT_ATTEMPT] = {NULL, "reconnecting", "reconnect_attempt"},
    [SIOC_CLIENT_RECONNECT_ERROR] = {NULL, NULL, "reconnect_error"},
    [SIOC_CLIENT_RECONNECT] = {NULL, "reconnect", "reconnect"},
    [SIOC_CLIENT_RECONNECT_FAILED] = {NULL, "reconnect_failed", "reconnect_failed"},
  };
  if ((int)kind < 1 || kind > SIOC_CLIENT_RECONNECT_FAILED || flavor < 0 || flavor > 2)
    return NULL;
  return names[kind][flavor];
}

/* scheme://host[:port][/path][?query] */
static int parse_url(sioc_manager_t *m, const char *url) {
  const char *p = strstr(url, "://");
  if (!p) return SIOC_EINVAL;
  size_t sl = (size_t)(p - url);
  int tls;
  if ((sl == 4 && !strncasecmp(url, "http", 4)) || (sl == 2 && !strncasecmp(url, "ws", 2)))
    tls = 0;
  else if ((sl == 5 && !strncasecmp(url, "https", 5)) || (sl == 3 && !strncasecmp(url, "wss", 3)))
    tls = 1;
  else
    return SIOC_EINVAL;
  p += 3;
  const char *hend;
  const char *h = p;
  if (*p == '[') {
    hend = strchr(p, ']');
    if (!hend) return SIOC_EINVAL;
    h = p + 1;
    p = hend + 1;
  } else {
    hend = p + strcspn(p, ":/?#");
    p = hend;
  }
  if (hend == h) return SIOC_EINVAL;
  m->host = strndup(h, (size_t)(hend - h));
  m->port = tls ? 443 : 80;
  if (*p == ':') {
    char *e;
    long port = strtol(p + 1, &e, 10);
    if (e == p + 1 || port <= 0 || port > 65535) return SIOC_EINVAL;
    m->port = (int)port;
    p = e;
  }
  size_t pl = strcspn(p, "?#");
  m->url_nsp = pl ? strndup(p, pl) : strdup("/");
  p += pl;
  const char *q = "";
  size_t ql = 0;
  if (*p == '?') {
    q = p + 1;
    ql = strcspn(q, "#");
  }
  const char *extra = m->o.query ? m->o.query : "";
  size_t el = strlen(extra);
  m->query = malloc(ql + el + 2);
  if (!m->host || !m->url_nsp || !m->query) return SIOC_ENOMEM;
  memcpy(m->query, q, ql);
  m->query[ql] = '\0';
  if (el) {
    if (ql) strcat(m->query, "&");
    strcat(m->query, extra);
  }
  if (tls) {
    char err[256];
    m->tls = sioc__tls_ctx_new(m->o.tls_ca_file, m->o.tls_verify, err, sizeof(err));
    if (!m->tls) return SIOC_EINVAL;
  }
  return 0;
}

int sioc_manager_new(uv_loop_t *loop, const char *url,
                     const sioc_client_options_t *opts, sioc_manager_t **out) {
  if (!loop || !url || !out) return SIOC_EINVAL;
  sioc_manager_t *m = calloc(1, sizeof(*m));
  if (!m) return SIOC_ENOMEM;
  if (opts) m->o = *opts;
  else sioc_client_options_init(&m->o);
  m->loop = loop;
  sioc__list_init(&m->sockets);
  sioc__sbuf_t hb;
  sioc__sbuf_init(&hb);
  int r = 0;
  for (size_t i = 0; i < m->o.n_extra_headers && !r; i++) {
    const sioc_header_t *h = &m->o.extra_headers[i];
    if (!h->name || !h->value || strpbrk(h->name, "\r\n:") || strpbrk(h->value, "\r\n")) {
      r = SIOC_EINVAL;
      break;
    }
    r |= sioc__sbuf_appends(&hb, h->name);
    r |= sioc__sbuf_appends(&hb, ": ");
    r |= sioc__sbuf_appends(&hb, h->value);
    r |= sioc__sbuf_appends(&hb, "\r\n");
  }
  if (!r) r = sioc__sbuf_appendc(&hb, '\0');
  m->headers = hb.data;
  m->path = strdup(m->o.path ? m->o.path : "/socket.io/");
  m->ca_file = m->o.tls_ca_file ? strdup(m->o.tls_ca_file) : NULL;
  m->o.path = NULL;
  m->o.extra_headers = NULL;
  m->o.n_extra_headers = 0;
  m->o.tls_ca_file = m->ca_file;
  if (!r && (!m->headers || !m->path)) r = SIOC_ENOMEM;
  if (!r) r = parse_url(m, url);
  m->o.query = NULL;
  if (!r && m->o.randomization_factor < 0) r = SIOC_EINVAL;
  if (r) {
    if (m->tls) SSL_CTX_free(m->tls);
    free(m->host), free(m->path), free(m->query), free(m->headers);
    free(m->ca_file), free(m->url_nsp), free(m);
    return r;
  }
  uv_timer_init(loop, &m->open_timer);
  uv_timer_init(loop, &m->reconnect_timer);
  m->open_timer.data = m->reconnect_timer.data = m;
  m->handles = 2;
  *out = m;
  return 0;
}

void sioc_manager_on(sioc_manager_t *m, sioc_manager_event_cb cb, void *ud) {
  m->cb = cb;
  m->ud = ud;
}

sioc_client_t *sioc_manager_socket(sioc_manager_t *m, const char *nsp) {
  if (!nsp || nsp[0] != '/' || m->closing) return NULL;
  sioc_client_t *s = find_socket(m, nsp, strlen(nsp));
  if (s) return s;
  s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->nsp = strdup(nsp);
  if (!s->nsp) {
    free(s);
    return NULL;
  }
  s->nsp_len = strlen(nsp);
  s->m = m;
  sioc__list_init(&s->send_buf);
  sioc__list_init(&s->recv_buf);
  sioc__list_init(&s->acks);
  sioc__list_push_back(&m->sockets, &s->node);
  return s;
}

int sioc_manager_close(sioc_manager_t *m, sioc_manager_close_cb cb, void *ud) {
  if (m->closing) return SIOC_EBUSY;
  /* Sockets leave as with disconnect(): events first, then silence. */
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    if (s->connected) {
      cpacket_t p;
      memset(&p, 0, sizeof(p));
      if (!sio__packet_encode_header(&p.text, SIO_DISCONNECT, 0, s->nsp, s->nsp_len, -1))
        engine_send(m, &p);
      sioc__sbuf_reset(&p.text);
    }
  }
  m->skip_reconnect = 1;
  SIOC_LIST_FOREACH(it, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    s->active = 0;
    if (s->connected && !m->closing) {
      s->connected = 0;
      sioc_client_event_t ev = {.kind = SIOC_CLIENT_DISCONNECT, .message = "io client disconnect"};
      s_emit(s, &ev);
    }
  }
  if (m->closing) return SIOC_EBUSY;   /* closed from the callbacks above */
  SIOC_LIST_FOREACH(it, &m->sockets) {
    sioc_client_t *s = SIOC_CONTAINER_OF(it, sioc_client_t, node);
    fail_acks(s, SIOC_ECLOSED);
    if (m->closing) return SIOC_EBUSY;
  }
  m->closing = 1;
  m->close_cb = cb;
  m->close_ud = ud;
  engine_drop(m);
  m->state = M_CLOSED;
  uv_close((uv_handle_t *)&m->open_timer, handle_closed);
  uv_close((uv_handle_t *)&m->reconnect_timer, handle_closed);
  return 0;
}

const char *sioc_manager_transport(const sioc_manager_t *m) {
  return m->state == M_OPEN && m->eio ? sioc__ceio_transport(m->eio) : NULL;
}

uv_loop_t *sioc_manager_loop(const sioc_manager_t *m) { return m->loop; }

int sioc_client_new(uv_loop_t *loop, const char *url,
                    const sioc_client_options_t *opts, sioc_client_t **out) {
  sioc_manager_t *m;
  int r = sioc_manager_new(loop, url, opts, &m);
  if (r) return r;
  sioc_client_t *s = sioc_manager_socket(m, m->url_nsp);
  if (!s) {
    sioc_manager_close(m, NULL, NULL);
    return SIOC_ENOMEM;
  }
  *out = s;
  return 0;
}

void sioc_client_on(sioc_client_t *s, sioc_client_event_cb cb, void *ud) {
  s->cb = cb;
  s->ud = ud;
}

sioc_manager_t *sioc_client_manager(const sioc_client_t *s) { return s->m; }
const char *sioc_client_nsp(const sioc_client_t *s) { return s->nsp; }
const char *sioc_client_id(const sioc_client_t *s) { return s->connected ? s->id : NULL; }
int sioc_client_connected(const sioc_client_t *s) { return s->connected; }
int sioc_client_active(const sioc_client_t *s) { return s->active; }

int sioc_client_set_auth(sioc_client_t *s, const char *json, size_t len) {
  char *copy = NULL;
  if (json) {
    if (sioc__json_check(json, len) != SIOC_JSON_OBJECT) return SIOC_EJSON;
    copy = malloc(len + 1);
    if (!copy) return SIOC_ENOMEM;
    memcpy(copy, json, len);
    copy[len] = '\0';
  }
  free(s->auth);
  s->auth = copy;
  s->auth_len = json ? len : 0;
  s->auth_cb = NULL;
  return 0;
}

void sioc_client_set_auth_cb(sioc_client_t *s, sioc_client_auth_cb cb, void *ud) {
  s->auth_cb = cb;
  s->auth_ud = ud;
}

int sioc_client_auth_reply(sioc_client_t *s, const char *json, size_t len) {
  if (!s->awaiting_auth) return SIOC_EBUSY;
  if (json && sioc__json_check(json, len) != SIOC_JSON_OBJECT) return SIOC_EJSON;
  s->awaiting_auth = 0;
  return send_connect(s, json, json ? len : 0);
}

int sioc_client_connect(sioc_client_t *s) {
  sioc_manager_t *m = s->m;
  if (m->closing) return SIOC_ECLOSED;
  if (s->connected) return 0;
  s->active = 1;
  if (!m->reconnecting) m_open(m);
  if (!m->closing && m->state == M_OPEN && s->active && !s->awaiting_auth) s_onopen(s);
  return 0;
}

int sioc_client_disconnect(sioc_client_t *s) {
  sioc_manager_t *m = s->m;
  if (m->closing) return SIOC_ECLOSED;
  int was = s->connected;
  if (was) {
    cpacket_t p;
    memset(&p, 0, sizeof(p));
    if (!sio__packet_encode_header(&p.text, SIO_DISCONNECT, 0, s->nsp, s->nsp_len, -1))
      engine_send(m, &p);
    sioc__sbuf_reset(&p.text);
  }
  s_destroy(s);
  if (m->closing) return 0;
  if (was) s_onclose(s, "io client disconnect");
  return 0;
}

static int encode(sioc_client_t *s, cpacket_t *p, const char *event, size_t elen,
                  int64_t id, const char *args, size_t args_len,
                  const sioc_bin_t *atts, size_t n, int ack) {
  if (args && args_len && sioc__json_check(args, args_len) != SIOC_JSON_ARRAY)
    return SIOC_EJSON;
  const char *a = args;
  size_t al = args_len;
  while (al && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')) a++, al--;
  int r = ack ? sio__encode_ack(&p->text, s->nsp, s->nsp_len, id, a, al, n)
              : sio__encode_event(&p->text, s->nsp, s->nsp_len, id, event, elen, a, al, n);
  if (r) return r;
  p->id = id;
  if (n) {
    p->atts = calloc(n, sizeof(*p->atts));
    if (!p->atts) return SIOC_ENOMEM;
    p->n_atts = n;
    for (size_t i = 0; i < n; i++)
      if (sioc__sbuf_append(&p->atts[i], atts[i].data, atts[i].len)) return SIOC_ENOMEM;
  }
  return 0;
}

static int emit(sioc_client_t *s, const char *event, const char *args, size_t args_len,
                const sioc_bin_t *atts, size_t n, int flags, int64_t id) {
  sioc_manager_t *m = s->m;
  if (!event) return SIOC_EINVAL;
  int connected = s->connected && m->state == M_OPEN;
  if ((flags & SIOC_EMIT_VOLATILE) && !(connected && sioc__ceio_writable(m->eio)))
    return 0;
  cpacket_t *p = calloc(1, sizeof(*p));
  if (!p) return SIOC_ENOMEM;
  sioc__list_init(&p->node);
  int r = encode(s, p, event, strlen(event), id, args, args_len, atts, n, 0);
  if (r) {
    packet_free(p);
    return r;
  }
  if (connected) {
    r = engine_send(m, p);
    packet_free(p);
    return r;
  }
  sioc__list_push_back(&s->send_buf, &p->node);
  return 0;
}

int sioc_client_emit(sioc_client_t *s, const char *event, const char *args,
                     size_t args_len, const sioc_bin_t *atts, size_t n, int flags) {
  if (s->m->closing) return SIOC_ECLOSED;
  return emit(s, event, args, args_len, atts, n, flags, -1);
}

int sioc_client_emit_with_ack(sioc_client_t *s, const char *event, const char *args,
                              size_t args_len, const sioc_bin_t *atts, size_t n,
                              int flags, uint32_t timeout_ms, sioc_client_ack_cb cb,
                              void *ud) {
  sioc_manager_t *m = s->m;
  if (m->closing) return SIOC_ECLOSED;
  if (!cb) return SIOC_EINVAL;
  cack_t *a = calloc(1, sizeof(*a));
  if (!a) return SIOC_ENOMEM;
  a->s = s;
  a->id = s->next_ack++;
  a->cb = cb;
  a->ud = ud;
  sioc__list_init(&a->node);
  int r = emit(s, event, args, args_len, atts, n, flags, a->id);
  if (r) {
    free(a);
    return r;
  }
  sioc__list_push_back(&s->acks, &a->node);
  if (timeout_ms) {
    uv_timer_init(m->loop, &a->timer);
    a->timer.data = a;
    a->has_timer = 1;
    m->handles++;
    uv_timer_start(&a->timer, on_ack_timeout, timeout_ms, 0);
  }
  return 0;
}

int sioc_client_ack(sioc_client_t *s, int64_t ack_id, const char *args,
                    size_t args_len, const sioc_bin_t *atts, size_t n) {
  sioc_manager_t *m = s->m;
  if (m->closing || !s->connected) return SIOC_ECLOSED;
  if (ack_id < 0) return SIOC_EINVAL;
  cpacket_t p;
  memset(&p, 0, sizeof(p));
  int r = encode(s, &p, NULL, 0, ack_id, args, args_len, atts, n, 1);
  if (!r) r = engine_send(m, &p);
  sioc__sbuf_reset(&p.text);
  for (size_t i = 0; i < p.n_atts; i++) sioc__sbuf_reset(&p.atts[i]);
  free(p.atts);
  return r;
}

/* polling.c - the HTTP long-polling transport of a session.
 *
 * GET: answered at once with every queued packet (one payload, packets
 * separated by 0x1e), or parked until there is something to send.  A second
 * GET while one is parked is a client error: engine.io answers it 400 and
 * closes the session ("transport error").
 * POST: the body (already complete and within maxHttpBufferSize, see
 * conn.c) is decoded packet by packet; a malformed packet closes the session
 * with "parse error" after the packets before it were handled.  The answer
 * is 200 "ok" (text/html, as engine.io).
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

static void respond_payload(eio__conn_t *c, const sioc__sbuf_t *body) {
  char *extra = c->held_headers;
  char line[] = "Cache-Control: no-store\r\n";
  size_t el = extra ? strlen(extra) : 0;
  char *hdrs = malloc(sizeof(line) + el);
  if (!hdrs) {
    eio__conn_close(c, 0);
    return;
  }
  memcpy(hdrs, line, sizeof(line) - 1);
  if (el) memcpy(hdrs + sizeof(line) - 1, extra, el);
  hdrs[sizeof(line) - 1 + el] = '\0';
  eio__conn_respond(c, 200, "text/plain; charset=UTF-8", hdrs,
                    body->data ? body->data : "", body->len);
  free(hdrs);
  free(c->held_headers);
  c->held_headers = NULL;
}

/* 1 when the last queued packet is the close packet. */
static int close_queued(eio__session_t *s) {
  if (s->wbuf_len == 0) return 0;
  sioc__rbuf_t *m = s->wbuf[s->wbuf_len - 1];
  return !eio__msg_binary(m) && eio__msg_payload_len(m) == 1 &&
         eio__msg_payload(m)[0] == '0' + EIO_CLOSE;
}

/* Builds the payload of every queued packet and answers the parked GET.  A
 * CLOSING session ends once its close packet went out. */
void eio__polling_flush(eio__session_t *s) {
  eio__conn_t *c = s->poll;
  if (!c || s->wbuf_len == 0) return;
  int closes = s->state == EIO_S_CLOSING && close_queued(s);
  sioc__sbuf_t body;
  sioc__sbuf_init(&body);
  int err = 0;
  for (size_t i = 0; i < s->wbuf_len && !err; i++) {
    sioc__rbuf_t *m = s->wbuf[i];
    char *pl = eio__msg_payload(m);
    size_t len = eio__msg_payload_len(m);
    if (eio__msg_binary(m)) {
      err = eio__payload_append(&body, i == 0, EIO_MESSAGE, 1, pl, len);
    } else {
      /* The payload already is the packet text: type digit + data. */
      if (i) err = sioc__sbuf_appendc(&body, EIO_RECORD_SEPARATOR);
      if (!err) err = sioc__sbuf_append(&body, pl, len);
    }
  }
  for (size_t i = 0; i < s->wbuf_len; i++) sioc__rbuf_unref(s->wbuf[i]);
  s->wbuf_len = 0;
  s->wbuf_bytes = 0;
  s->poll = NULL;
  c->session = NULL;
  c->holding_poll = 0;
  if (err) eio__conn_close(c, 0);
  else respond_payload(c, &body);
  sioc__sbuf_reset(&body);
  if (closes) eio__session_close(s, "forced close");
}

static void append_packet(eio__session_t *s, eio__type_t type) {
  sioc__rbuf_t *m = eio__msg_packet(type, NULL, 0);
  if (!m) return;
  if (s->wbuf_len == s->wbuf_cap) {
    size_t ncap = s->wbuf_cap ? s->wbuf_cap * 2 : 4;
    sioc__rbuf_t **n = realloc(s->wbuf, ncap * sizeof(*n));
    if (!n) {
      sioc__rbuf_unref(m);
      return;
    }
    s->wbuf = n;
    s->wbuf_cap = ncap;
  }
  s->wbuf[s->wbuf_len++] = m;
}

/* Answers the parked GET now, adding one `extra` packet (noop or close) when
 * nothing else is queued. */
void eio__polling_release(eio__session_t *s, eio__type_t extra) {
  if (!s->poll) return;
  if (s->state == EIO_S_CLOSING && extra != EIO_CLOSE) {
    /* noop (when nothing else waits), then the close packet */
    if (s->wbuf_len == 0) append_packet(s, EIO_NOOP);
    extra = EIO_CLOSE;
  }
  if (s->wbuf_len == 0 || extra == EIO_CLOSE) append_packet(s, extra);
  if (extra == EIO_CLOSE && s->state == EIO_S_OPEN) s->state = EIO_S_CLOSING;
  eio__polling_flush(s);
}

void eio__polling_get(eio__session_t *s, eio__conn_t *c, const eio__http_req_t *req) {
  char cors[1024];
  eio__polling_park(s, c, eio__cors_headers(c, req, cors, sizeof(cors)));
}

void eio__polling_park(eio__session_t *s, eio__conn_t *c, const char *h) {
  if (s->poll) {
    eio__conn_respond(c, 400, NULL, NULL, NULL, 0);
    eio__session_close(s, "transport error");
    return;
  }
  free(c->held_headers);
  c->held_headers = *h ? strdup(h) : NULL;
  s->poll = c;
  c->session = s;
  c->holding_poll = 1;
  if (s->state == EIO_S_CLOSING) {
    /* engine.io's "shouldClose": what was queued before the close goes
     * out first; the GET after it gets a noop and the close packet. */
    if (s->wbuf_len == 0) eio__polling_release(s, EIO_NOOP);
    else eio__polling_flush(s);
    return;
  }
  if (s->wbuf_len) eio__polling_flush(s);
}

void eio__polling_post(eio__session_t *s, eio__conn_t *c, eio__http_req_t *req) {
  char cors[1024];
  const char *h = eio__cors_headers(c, req, cors, sizeof(cors));
  const char *ct = eio__http_req_header(req, "content-type");
  if (ct && strcmp(ct, "application/octet-stream") == 0) {
    /* Binary bodies are Engine.IO v3 only. */
    eio__session_close(s, "transport error");
    eio__conn_respond(c, 400, NULL, h, NULL, 0);
    return;
  }
  eio__payload_iter_t it;
  eio__packet_t p;
  int r;
  /* The body is NUL-terminated so that packets can be decoded in place. */
  if (sioc__sbuf_appendc(&req->body, '\0') != 0) {
    eio__conn_respond(c, 503, NULL, h, NULL, 0);
    return;
  }
  req->body.len--;
  eio__payload_iter_init(&it, req->body.data, req->body.len);
  while ((r = eio__payload_next(&it, &p)) == 1) {
    if (eio__session_on_packet(s, &p) != 0) break;
  }
  if (r < 0 && s->state == EIO_S_OPEN) eio__session_close(s, "parse error");
  eio__conn_respond(c, 200, "text/html", h, "ok", 2);
}

/* client_ws.c - a WebSocket client connection (RFC 6455): the opening
 * handshake (its 101 answer read by http-parser, Sec-WebSocket-Accept
 * checked), server frames parsed with wslay's frame-level API, and client
 * frames built here, masked with a fresh random key each.
 *
 * Invariants: on_open at most once, then messages; on_close at most once and
 * nothing after it or after sioc__cws_close().  A message is reassembled
 * under `max_message` bytes; a server frame that is masked, uses reserved
 * bits or an unknown opcode fails the connection.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "client_net.h"
#include "utf8.h"
#include "ws_accept.h"

struct sioc__cws_s {
  sioc__cstream_t *stream;
  sioc__cws_cbs_t cbs;
  void *ud;
  sioc__sbuf_t req;
  char accept[29];
  /* handshake */
  http_parser parser;
  int upgraded;
  int hdr_is_accept;
  int got_accept;
  sioc__sbuf_t hval;
  size_t head_bytes;
  /* frames */
  wslay_frame_context_ptr fr;
  const char *in;
  size_t in_len;
  int in_frame;
  uint8_t frame_opcode;
  uint8_t frame_fin;
  uint64_t frame_left;
  uint8_t msg_opcode;
  sioc__sbuf_t msg;
  size_t max_message;
  uint8_t ctl[125];
  size_t ctl_len;
  int done;
  unsigned bad_status;
  int depth;                /* > 0 while a stream callback runs */
  int owner_closed;         /* sioc__cws_close() called: free at depth 0 */
};

static void release(sioc__cws_t *w) {
  if (w->stream) sioc__cstream_close(w->stream);
  w->stream = NULL;
  if (w->fr) wslay_frame_context_free(w->fr);
  w->fr = NULL;
  sioc__sbuf_reset(&w->req);
  sioc__sbuf_reset(&w->hval);
  sioc__sbuf_reset(&w->msg);
}

static void finish(sioc__cws_t *w, int err, const char *msg) {
  if (w->done) return;
  w->done = 1;
  release(w);
  w->cbs.on_close(w, err, msg, w->ud);
}

static int send_frame(sioc__cws_t *w, int opcode, char prefix, const void *data,
                      size_t len) {
  if (w->done || !w->upgraded) return SIOC_ECLOSED;
  size_t plen = len + (prefix ? 1 : 0);
  size_t hl = 2 + 4 + (plen >= 65536 ? 8 : plen >= 126 ? 2 : 0);
  unsigned char *f = malloc(hl + plen);
  if (!f) return SIOC_ENOMEM;
  f[0] = (unsigned char)(0x80 | opcode);
  size_t i = 2;
  if (plen < 126) {
    f[1] = (unsigned char)(0x80 | plen);
  } else if (plen < 65536) {
    f[1] = 0x80 | 126;
    f[2] = (unsigned char)(plen >> 8);
    f[3] = (unsigned char)plen;
    i = 4;
  } else {
    f[1] = 0x80 | 127;
    for (int k = 0; k < 8; k++) f[2 + k] = (unsigned char)((uint64_t)plen >> (56 - 8 * k));
    i = 10;
  }
  unsigned char *mask = f + i;
  if (RAND_bytes(mask, 4) != 1) {
    free(f);
    return SIOC_EPROTO;
  }
  unsigned char *p = mask + 4;
  if (prefix) p[0] = (unsigned char)prefix;
  if (len) memcpy(p + (prefix ? 1 : 0), data, len);
  for (size_t k = 0; k < plen; k++) p[k] ^= mask[k & 3];
  int r = sioc__cstream_write(w->stream, f, hl + plen);
  free(f);
  return r;
}

int sioc__cws_send(sioc__cws_t *w, const void *data, size_t len, int binary) {
  return send_frame(w, binary ? 2 : 1, 0, data, len);
}

int sioc__cws_send2(sioc__cws_t *w, char prefix, const void *data, size_t len) {
  return send_frame(w, 1, prefix, data, len);
}

void sioc__cws_close(sioc__cws_t *w) {
  if (!w) return;
  if (!w->done) {
    w->done = 1;
    if (w->upgraded && w->stream) {
      w->done = 0;
      unsigned char code[2] = {0x03, 0xe8};   /* 1000 */
      send_frame(w, 8, 0, code, 2);
      w->done = 1;
    }
    release(w);
  }
  if (w->depth) w->owner_closed = 1;
  else free(w);
}

/* Stream callbacks run between enter() and leave(); a close from the owner
 * inside them is completed by leave(). */
static void enter(sioc__cws_t *w) { w->depth++; }
static void leave(sioc__cws_t *w) {
  if (--w->depth == 0 && w->owner_closed) free(w);
}

/* ---- handshake -------------------------------------------------------------- */

static int h_field(http_parser *p, const char *at, size_t len) {
  sioc__cws_t *w = p->data;
  w->head_bytes += len;
  if (w->head_bytes > 65536) return 1;
  /* Field names arrive whole in practice; compare what we have. */
  w->hdr_is_accept = len == 20 && strncasecmp(at, "sec-websocket-accept", 20) == 0;
  if (w->hdr_is_accept) sioc__sbuf_reset(&w->hval);
  return 0;
}

static int h_value(http_parser *p, const char *at, size_t len) {
  sioc__cws_t *w = p->data;
  w->head_bytes += len;
  if (w->head_bytes > 65536) return 1;
  if (w->hdr_is_accept) {
    w->got_accept = 1;
    return sioc__sbuf_append(&w->hval, at, len) ? 1 : 0;
  }
  return 0;
}

static int h_done(http_parser *p) {
  sioc__cws_t *w = p->data;
  if (p->status_code != 101) {
    w->bad_status = p->status_code;
    return 1;
  }
  return 0;
}

static const http_parser_settings hs_settings = {
  .on_header_field = h_field,
  .on_header_value = h_value,
  .on_headers_complete = h_done,
};

/* ---- frames ----------------------------------------------------------------- */

static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *user_data) {
  sioc__cws_t *w = user_data;
  size_t n = w->in_len < len ? w->in_len : len;
  if (n == 0) return 0;
  memcpy(buf, w->in, n);
  w->in += n;
  w->in_len -= n;
  return (ssize_t)n;
}

static ssize_t send_cb(const uint8_t *d, size_t l, int f, void *u) { return -1; }
static int genmask_cb(uint8_t *b, size_t l, void *u) { return -1; }

static const struct wslay_frame_callbacks frame_cbs = {send_cb, recv_cb, genmask_cb};

static void feed_frames(sioc__cws_t *w, const char *data, size_t len) {
  w->in = data;
  w->in_len = len;
  for (;;) {
    struct wslay_frame_iocb f;
    memset(&f, 0, sizeof(f));
    ssize_t r = wslay_frame_recv(w->fr, &f);
    if (r == WSLAY_ERR_WANT_READ) return;
    if (r < 0) {
      finish(w, SIOC_EPROTO, "invalid WebSocket frame");
      return;
    }
    if (!w->in_frame) {
      if (f.mask || f.rsv) {
        finish(w, SIOC_EPROTO, "invalid WebSocket frame (masked or reserved bits)");
        return;
      }
      switch (f.opcode) {
        case 0:
          if (!w->msg_opcode) goto bad;
          break;
        case 1:
        case 2:
          if (w->msg_opcode) goto bad;
          w->msg_opcode = f.opcode;
          break;
        case 8:
        case 9:
        case 10:
          if (f.payload_length > 125 || !f.fin) goto bad;
          w->ctl_len = 0;
          break;
        default:
          goto bad;
      }
      if (f.opcode < 8 && w->msg.len + f.payload_length > w->max_message) {
        finish(w, SIOC_ELIMIT, "WebSocket message too big");
        return;
      }
      w->in_frame = 1;
      w->frame_opcode = f.opcode;
      w->frame_fin = f.fin;
      w->frame_left = f.payload_length;
    }
    if (f.data_length) {
      if (w->frame_opcode >= 8) {
        memcpy(w->ctl + w->ctl_len, f.data, f.data_length);
        w->ctl_len += f.data_length;
      } else if (sioc__sbuf_append(&w->msg, f.data, f.data_length)) {
        finish(w, SIOC_ENOMEM, "out of memory");
        return;
      }
      w->frame_left -= f.data_length;
    }
    if (w->frame_left) continue;
    w->in_frame = 0;
    if (w->frame_opcode == 9) {
      send_frame(w, 10, 0, w->ctl, w->ctl_len);
    } else if (w->frame_opcode == 8) {
      finish(w, UV_EOF, "WebSocket closed by the server");
      return;
    } else if (w->frame_opcode < 8 && w->frame_fin) {
      int binary = w->msg_opcode == 2;
      w->msg_opcode = 0;
      if (!binary && !sioc__utf8_valid(w->msg.data ? w->msg.data : "", w->msg.len)) {
        finish(w, SIOC_EPROTO, "invalid UTF-8 in a WebSocket text message");
        return;
      }
      if (sioc__sbuf_appendc(&w->msg, '\0')) {
        finish(w, SIOC_ENOMEM, "out of memory");
        return;
      }
      w->msg.len--;
      sioc__sbuf_t m = w->msg;
      sioc__sbuf_init(&w->msg);
      /* The owner may close us here: the free waits for leave(). */
      w->cbs.on_message(w, m.data ? m.data : (char *)"", m.len, binary, w->ud);
      sioc__sbuf_reset(&m);
      if (w->done) return;
    }
  }
bad:
  finish(w, SIOC_EPROTO, "invalid WebSocket frame sequence");
}

/* ---- stream callbacks -------------------------------------------------------- */

static void s_connect_(sioc__cws_t *w, sioc__cstream_t *s, int err, const char *msg) {
  if (err) {
    w->stream = NULL;
    finish(w, err, msg);
    return;
  }
  int e = sioc__cstream_write(s, w->req.data, w->req.len);
  sioc__sbuf_reset(&w->req);
  if (e) finish(w, e, "write failed");
}

static void s_data_(sioc__cws_t *w, const char *data, size_t len) {
  if (!w->upgraded) {
    size_t n = http_parser_execute(&w->parser, &hs_settings, data, len);
    if (w->bad_status) {
      char m[80];
      snprintf(m, sizeof(m), "unexpected server response: %u", w->bad_status);
      finish(w, SIOC_EPROTO, m);
      return;
    }
    if (HTTP_PARSER_ERRNO(&w->parser) != HPE_OK) {
      finish(w, SIOC_EPROTO, "invalid HTTP response to the WebSocket upgrade");
      return;
    }
    if (!w->parser.upgrade) return;
    if (!w->got_accept || w->hval.len != 28 || memcmp(w->hval.data, w->accept, 28)) {
      finish(w, SIOC_EPROTO, "invalid Sec-WebSocket-Accept header");
      return;
    }
    w->upgraded = 1;
    if (wslay_frame_context_init(&w->fr, &frame_cbs, w) != 0) {
      finish(w, SIOC_ENOMEM, "out of memory");
      return;
    }
    w->cbs.on_open(w, w->ud);
    if (w->done) return;
    data += n;
    len -= n;
    if (!len) return;
  }
  feed_frames(w, data, len);
}

static void s_end_(sioc__cws_t *w, int err) {
  w->stream = NULL;
  if (!w->upgraded && err == UV_EOF) {
    finish(w, SIOC_EPROTO, "connection closed before the WebSocket upgrade");
    return;
  }
  finish(w, err, err == UV_EOF ? "connection closed" : uv_strerror(err));
}

static void s_connect(sioc__cstream_t *s, int err, const char *msg, void *ud) {
  enter(ud);
  s_connect_(ud, s, err, msg);
  leave(ud);
}
static void s_data(sioc__cstream_t *s, const char *data, size_t len, void *ud) {
  enter(ud);
  s_data_(ud, data, len);
  leave(ud);
}
static void s_end(sioc__cstream_t *s, int err, void *ud) {
  enter(ud);
  s_end_(ud, err);
  leave(ud);
}

static const sioc__cstream_cbs_t stream_cbs = {s_connect, s_data, s_end};

int sioc__cws_open(const sioc__chttp_target_t *t, const char *target,
                   size_t max_message, const sioc__cws_cbs_t *cbs, void *ud,
                   sioc__cws_t **out) {
  sioc__cws_t *w = calloc(1, sizeof(*w));
  if (!w) return SIOC_ENOMEM;
  w->cbs = *cbs;
  w->ud = ud;
  w->max_message = max_message;
  http_parser_init(&w->parser, HTTP_RESPONSE);
  w->parser.data = w;
  unsigned char nonce[16];
  char key[25];
  if (RAND_bytes(nonce, 16) != 1) {
    free(w);
    return SIOC_EPROTO;
  }
  key[sioc__base64_encode_raw(key, nonce, 16)] = '\0';
  if (sioc__ws_accept(key, 24, w->accept)) {
    free(w);
    return SIOC_EPROTO;
  }
  char hostport[300];
  int default_port = t->tls ? 443 : 80;
  int v6 = strchr(t->host, ':') != NULL;
  if (t->port == default_port)
    snprintf(hostport, sizeof(hostport), v6 ? "[%s]" : "%s", t->host);
  else
    snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%d" : "%s:%d", t->host, t->port);
  int e = 0;
  e |= sioc__sbuf_appends(&w->req, "GET ");
  e |= sioc__sbuf_appends(&w->req, target);
  e |= sioc__sbuf_appends(&w->req, " HTTP/1.1\r\nHost: ");
  e |= sioc__sbuf_appends(&w->req, hostport);
  e |= sioc__sbuf_appends(&w->req, "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ");
  e |= sioc__sbuf_appends(&w->req, key);
  e |= sioc__sbuf_appends(&w->req, "\r\n");
  if (t->extra_headers) e |= sioc__sbuf_appends(&w->req, t->extra_headers);
  e |= sioc__sbuf_appends(&w->req, "\r\n");
  if (e) {
    sioc__sbuf_reset(&w->req);
    free(w);
    return SIOC_ENOMEM;
  }
  e = sioc__cstream_open(t->loop, t->host, t->port, t->tls, t->verify,
                         &stream_cbs, w, &w->stream);
  if (e) {
    sioc__sbuf_reset(&w->req);
    free(w);
    return e;
  }
  *out = w;
  return 0;
}

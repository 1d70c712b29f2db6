/* ws_transport.c - the WebSocket transport (RFC 6455) of a connection.
 *
 * Client frames are parsed straight out of the read buffer (ws_frame.h):
 * the header in place, the payload unmasked while it is copied to where the
 * message is assembled.  A message that arrives whole in one read, the
 * usual case, is unmasked into the server's receive scratch buffer and
 * handed on from there: no allocation and one copy per message.  Only a
 * message split across reads (or fragmented) is assembled in the
 * connection's own buffer, and only a header split across reads (at most 14
 * bytes) is kept in between; an idle connection holds neither.
 *
 * Messages are checked under our own limits (message size, fragment count)
 * on the frame header, before any payload is stored: a frame that declares
 * 2^62 bytes costs nothing.
 *
 * Outgoing frames are built by hand as well: a server frame is never masked,
 * so its header depends on the payload alone and is laid down once in the
 * shared packet buffer (see engine.h, eio__msg_new).
 *
 * Close codes follow the ws library socket.io uses: 1002 protocol error,
 * 1007 invalid UTF-8, 1009 message too big.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "utf8.h"
#include "ws_accept.h"
#include "ws_frame.h"

struct eio__ws_s {
  uint64_t frame_left;         /* payload bytes of the current frame to come */
  uint64_t frame_off;          /* ... and received (the mask's phase) */
  size_t fragments;
  sioc__sbuf_t msg;            /* a message split across reads */
  uint8_t *ctl;                /* control frame payload (125 bytes), while one
                                  is being received */
  uint8_t ctl_len;
  uint8_t in_frame;
  uint8_t frame_opcode;
  uint8_t frame_fin;
  uint8_t msg_opcode;          /* 1 text, 2 binary; 0 between messages */
  uint8_t closing;             /* close frame sent */
  uint8_t mask[4];
  uint8_t hdr_len;             /* bytes of a header split across reads */
  uint8_t hdr[EIO_WS_MAX_HEADER];
};

/* Writes a frame header for `len` payload bytes ending at `end`; returns its
 * length. */
static size_t put_header(char *end, int opcode, uint64_t len) {
  unsigned char h[10];
  size_t n;
  h[0] = (unsigned char)(0x80 | opcode);
  if (len < 126) {
    h[1] = (unsigned char)len;
    n = 2;
  } else if (len < 65536) {
    h[1] = 126;
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
    n = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; i++) h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
    n = 10;
  }
  memcpy(end - n, h, n);
  return n;
}

sioc__rbuf_t *eio__msg_new(int binary, const char *prefix, size_t prefix_len,
                           const char *data, size_t len) {
  size_t plen = prefix_len + len;
  sioc__rbuf_t *m = sioc__rbuf_new(EIO_MSG_HEADROOM + plen);
  if (!m) return NULL;
  char *payload = m->data + EIO_MSG_HEADROOM;
  if (prefix_len) memcpy(payload, prefix, prefix_len);
  if (len) memcpy(payload + prefix_len, data, len);
  m->tag = binary ? 1 : 0;
  m->hdr = (uint8_t)put_header(payload, binary ? 2 : 1, plen);
  return m;
}

sioc__rbuf_t *eio__msg_packet(eio__type_t type, const char *data, size_t len) {
  char t = (char)('0' + type);
  return eio__msg_new(0, &t, 1, data, len);
}

int eio__ws_send(eio__conn_t *c, sioc__rbuf_t *m) {
  if (!c->ws || c->ws->closing) return SIOC_ECLOSED;
  size_t off = EIO_MSG_HEADROOM - m->hdr;
  return eio__conn_send(c, m, off, m->len - off);
}

static void send_control(eio__conn_t *c, int opcode, const void *data, size_t len) {
  sioc__rbuf_t *b = sioc__rbuf_new(2 + len);
  if (!b) return;
  b->data[0] = (char)(0x80 | opcode);
  b->data[1] = (char)len;
  if (len) memcpy(b->data + 2, data, len);
  eio__conn_write(c, b, 0, b->len);
  sioc__rbuf_unref(b);
}

void eio__ws_close(eio__conn_t *c, uint16_t code) {
  eio__ws_t *ws = c->ws;
  if (!ws || c->closing) return;
  /* A close we start with an error code is a protocol failure: ws reports
   * it as an error, and engine.io closes the session "transport error". */
  if (code > 1001 && c->session) eio__engine_conn_failed(c);
  if (!ws->closing) {
    ws->closing = 1;
    if (code) {
      unsigned char p[2] = {(unsigned char)(code >> 8), (unsigned char)code};
      send_control(c, 8, p, 2);
    } else {
      send_control(c, 8, NULL, 0);
    }
  }
  eio__conn_close(c, 1);
}

void eio__ws_free(eio__conn_t *c) {
  eio__ws_t *ws = c->ws;
  if (!ws) return;
  free(ws->ctl);
  sioc__sbuf_reset(&ws->msg);
  free(ws);
  c->ws = NULL;
}


/* ---- handshake ------------------------------------------------------------ */

const char *eio__ws_check(const eio__http_req_t *req, char accept[29]) {
  const char *upgrade = eio__http_req_header(req, "upgrade");
  const char *key = eio__http_req_header(req, "sec-websocket-key");
  const char *version = eio__http_req_header(req, "sec-websocket-version");
  if (req->method != HTTP_GET) return "Invalid HTTP method";
  if (!upgrade || strcasecmp(upgrade, "websocket") != 0) return "Invalid Upgrade header";
  if (!key || sioc__ws_accept(key, strlen(key), accept) != 0)
    return "Missing or invalid Sec-WebSocket-Key header";
  if (!version || (strcmp(version, "13") != 0 && strcmp(version, "8") != 0))
    return "Missing or invalid Sec-WebSocket-Version header";
  return NULL;
}

int eio__ws_accept(eio__conn_t *c, const eio__http_req_t *req) {
  char accept[29];
  const char *why = eio__ws_check(req, accept);
  if (why) {
    c->close_after_write = 1;
    /* RFC 6455 4.4: name the version we speak. */
    eio__conn_respond(c, 400, "text/plain", "Sec-WebSocket-Version: 13\r\n", why,
                      strlen(why));
    eio__conn_close(c, 1);
    return SIOC_EPROTO;
  }
  return eio__ws_switch(c, accept);
}

int eio__ws_switch(eio__conn_t *c, const char accept[29]) {
  eio__ws_t *ws = calloc(1, sizeof(*ws));
  if (!ws) {
    eio__conn_close(c, 0);
    return SIOC_ENOMEM;
  }
  sioc__sbuf_init(&ws->msg);
  c->ws = ws;
  c->mode = CONN_WS;
  char resp[160];
  int n = snprintf(resp, sizeof(resp),
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                   accept);
  sioc__rbuf_t *b = sioc__rbuf_copy(resp, (size_t)n);
  if (!b) {
    eio__conn_close(c, 0);
    return SIOC_ENOMEM;
  }
  /* Gathered: the Engine.IO open packet that follows goes in the same
   * write. */
  int r = eio__conn_send(c, b, 0, b->len);
  sioc__rbuf_unref(b);
  return r;
}

/* ---- receiving ------------------------------------------------------------ */

/* Starts a frame: checks everything knowable from its header.  0, or the
 * close code to fail the connection with. */
static uint16_t frame_start(eio__conn_t *c, const eio__ws_header_t *f) {
  eio__ws_t *ws = c->ws;
  const sioc_server_options_t *o = eio__options(c->server);
  if (!f->masked || f->rsv) return 1002;
  switch (f->opcode) {
    case 0:
      if (!ws->msg_opcode) return 1002;
      break;
    case 1:
    case 2:
      if (ws->msg_opcode) return 1002;
      ws->msg_opcode = f->opcode;
      ws->fragments = 0;
      break;
    case 8:
    case 9:
    case 10:
      ws->ctl_len = 0;
      if (f->payload_len && !ws->ctl && !(ws->ctl = malloc(125))) return 1011;
      return 0;
    default:
      return 1002;
  }
  if (++ws->fragments > o->max_ws_fragments) return 1008;
  if (ws->msg.len + f->payload_len > o->max_http_buffer_size) return 1009;
  return 0;
}

/* A complete message in data[0..len) (writable, data[len] == '\0'). */
static void deliver(eio__conn_t *c, char *data, size_t len, int binary) {
  if (!binary && !sioc__utf8_valid(data, len)) {
    eio__ws_close(c, 1007);
    return;
  }
  /* The engine may decode in place. */
  eio__engine_ws_message(c, data, len, binary);
}

/* The last fragment of a message assembled in ws->msg arrived. */
static void message_complete(eio__conn_t *c) {
  eio__ws_t *ws = c->ws;
  int binary = ws->msg_opcode == 2;
  ws->msg_opcode = 0;
  if (sioc__sbuf_appendc(&ws->msg, '\0')) {
    eio__ws_close(c, 1011);
    return;
  }
  ws->msg.len--;
  deliver(c, ws->msg.data, ws->msg.len, binary);
  if (c->ws) sioc__sbuf_reset(&c->ws->msg);
}

/* A whole unfragmented message lies in src[0..len), still masked: unmasked
 * into the server's scratch buffer and delivered from there.  Returns -1
 * when the scratch buffer is in use (a callback fed another connection) or
 * cannot grow; the caller then takes the general path. */
static int deliver_whole(eio__conn_t *c, const uint8_t *src, size_t len) {
  sioc_server_t *s = c->server;
  eio__ws_t *ws = c->ws;
  if (s->rx_busy) return -1;
  s->rx.len = 0;
  if (sioc__sbuf_reserve(&s->rx, len + 1)) return -1;
  eio__ws_unmask((uint8_t *)s->rx.data, src, len, ws->mask, 0);
  s->rx.data[len] = '\0';
  int binary = ws->msg_opcode == 2;
  ws->msg_opcode = 0;
  ws->in_frame = 0;
  s->rx_busy = 1;
  deliver(c, s->rx.data, len, binary);
  s->rx_busy = 0;
  /* Do not keep the memory of an unusually large message. */
  if (s->rx.cap > SIOC_READ_BUF_SIZE) sioc__sbuf_reset(&s->rx);
  return 0;
}

static void control_complete(eio__conn_t *c) {
  eio__ws_t *ws = c->ws;
  switch (ws->frame_opcode) {
    case 9:
      send_control(c, 10, ws->ctl, ws->ctl_len);
      break;
    case 8: {
      uint16_t code = 1000;
      if (ws->ctl_len == 1) {
        eio__ws_close(c, 1002);
        return;
      }
      if (ws->ctl_len >= 2) {
        code = (uint16_t)(ws->ctl[0] << 8 | ws->ctl[1]);
        int valid = (code >= 1000 && code <= 1014 && code != 1004 &&
                     code != 1005 && code != 1006) ||
                    (code >= 3000 && code <= 4999);
        if (!valid) {
          eio__ws_close(c, 1002);
          return;
        }
        if (!sioc__utf8_valid((const char *)ws->ctl + 2, ws->ctl_len - 2)) {
          eio__ws_close(c, 1007);
          return;
        }
      }
      /* Echo the peer's close, then the session sees "transport close". */
      if (c->session) eio__engine_conn_lost(c);
      eio__ws_close(c, ws->ctl_len >= 2 ? code : 0);
      break;
    }
    default:
      break;   /* pong: nothing to do */
  }
  if (c->ws) {
    free(c->ws->ctl);
    c->ws->ctl = NULL;
  }
}

/* Reads the next frame header from p[0..n), completing one split across
 * reads.  Returns the bytes of p it used (> 0) with *h filled, 0 when p was
 * all used and the header is still incomplete, -1 on a protocol error. */
static ssize_t next_header(eio__ws_t *ws, const uint8_t *p, size_t n,
                           eio__ws_header_t *h) {
  if (!ws->hdr_len) {
    int hl = eio__ws_header_parse(p, n, h);
    if (hl == 0) {   /* n < EIO_WS_MAX_HEADER here */
      memcpy(ws->hdr, p, n);
      ws->hdr_len = (uint8_t)n;
    }
    return hl;
  }
  size_t old = ws->hdr_len;
  size_t take = sizeof(ws->hdr) - old < n ? sizeof(ws->hdr) - old : n;
  memcpy(ws->hdr + old, p, take);
  int hl = eio__ws_header_parse(ws->hdr, old + take, h);
  if (hl < 0) return -1;
  if (hl == 0) {   /* still short of a header: all of p was taken */
    ws->hdr_len = (uint8_t)(old + take);
    return 0;
  }
  ws->hdr_len = 0;
  return (ssize_t)((size_t)hl - old);
}

void eio__ws_feed(eio__conn_t *c, const char *data, size_t len) {
  eio__ws_t *ws = c->ws;
  if (!ws || ws->closing) return;
  const uint8_t *p = (const uint8_t *)data, *end = p + len;
  while (p < end) {
    if (!ws->in_frame) {
      eio__ws_header_t h;
      ssize_t used = next_header(ws, p, (size_t)(end - p), &h);
      if (used == 0) return;
      if (used < 0) {
        eio__ws_close(c, 1002);
        return;
      }
      p += used;
      uint16_t code = frame_start(c, &h);
      if (code) {
        eio__ws_close(c, code);
        return;
      }
      ws->in_frame = 1;
      ws->frame_opcode = h.opcode;
      ws->frame_fin = h.fin;
      ws->frame_left = h.payload_len;
      ws->frame_off = 0;
      memcpy(ws->mask, h.mask, 4);
      if (h.opcode < 8 && h.fin && h.opcode != 0 &&
          h.payload_len <= (uint64_t)(end - p) &&
          deliver_whole(c, p, (size_t)h.payload_len) == 0) {
        p += h.payload_len;
        if (!c->ws || c->ws->closing || c->closing) return;
        continue;
      }
    }
    size_t take = ws->frame_left < (uint64_t)(end - p) ? (size_t)ws->frame_left
                                                        : (size_t)(end - p);
    if (take) {
      if (ws->frame_opcode >= 8) {
        eio__ws_unmask(ws->ctl + ws->ctl_len, p, take, ws->mask, ws->frame_off);
        ws->ctl_len = (uint8_t)(ws->ctl_len + take);
      } else {
        if (sioc__sbuf_reserve(&ws->msg, take)) {
          eio__ws_close(c, 1011);
          return;
        }
        eio__ws_unmask((uint8_t *)ws->msg.data + ws->msg.len, p, take, ws->mask,
                       ws->frame_off);
        ws->msg.len += take;
      }
      p += take;
      ws->frame_left -= take;
      ws->frame_off += take;
    }
    if (ws->frame_left == 0) {
      ws->in_frame = 0;
      if (ws->frame_opcode >= 8) control_complete(c);
      else if (ws->frame_fin) message_complete(c);
      if (!c->ws || c->ws->closing || c->closing) return;
    }
  }
}

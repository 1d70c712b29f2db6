/* ws_transport.c - the WebSocket transport (RFC 6455) of a connection.
 *
 * Frames are parsed by wslay's frame-level API.  Its context carries a 4 KiB
 * input buffer, so a connection takes one when bytes arrive and gives it back
 * when every byte fed to it has been consumed at a frame boundary: an idle
 * connection holds no parser.  A context given back is in the state of a
 * fresh one (waiting for a frame header, input buffer drained), so the
 * server keeps it as its spare for the next connection instead of freeing
 * it (wslay clears 4 KiB on creation: the largest per-message cost before).
 * For that the context's user_data is the server, and the connection being
 * fed is server->ws_feeding (set before every wslay call).
 *
 * Messages are reassembled here under our own limits (message size, fragment
 * count) and the size check happens on the frame header, before any payload
 * is stored: a frame that declares 2^62 bytes costs nothing.
 *
 * Outgoing frames are built without wslay: a server frame is never masked,
 * so its header depends on the payload alone and is laid down once in the
 * shared packet buffer (see engine.h, eio__msg_new).
 *
 * Close codes follow the ws library socket.io uses: 1002 protocol error,
 * 1007 invalid UTF-8, 1009 message too big.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "server.h"
#include "utf8.h"
#include "ws_accept.h"

struct eio__ws_s {
  wslay_frame_context_ptr fr;  /* NULL between frames when fully drained */
  const char *in;              /* bytes being fed to wslay */
  size_t in_len;
  uint64_t fed;                /* bytes handed to wslay ... */
  uint64_t consumed;           /* ... and bytes of completed frames */
  uint64_t frame_left;         /* payload bytes still to come */
  uint8_t in_frame;
  uint8_t frame_opcode;
  uint8_t frame_fin;
  uint8_t msg_opcode;          /* 1 text, 2 binary; 0 between messages */
  uint8_t closing;             /* close frame sent */
  size_t fragments;
  sioc__sbuf_t msg;
  uint8_t ctl[125];            /* control frame payload */
  size_t ctl_len;
};

static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *user_data) {
  eio__ws_t *ws = ((sioc_server_t *)user_data)->ws_feeding;
  size_t n = ws->in_len < len ? ws->in_len : len;
  if (n == 0) return 0;   /* wslay reads this as WANT_READ */
  memcpy(buf, ws->in, n);
  ws->in += n;
  ws->in_len -= n;
  ws->fed += n;
  return (ssize_t)n;
}

static ssize_t send_cb(const uint8_t *data, size_t len, int flags, void *ud) {
  return -1;              /* never used: frames are built by hand */
}

static int genmask_cb(uint8_t *buf, size_t len, void *ud) {
  return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static const struct wslay_frame_callbacks frame_callbacks = {
  send_cb, recv_cb, genmask_cb
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
  return eio__conn_write(c, m, off, m->len - off);
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

/* A context that holds no unconsumed byte goes back to the server. */
static void parser_release(sioc_server_t *s, eio__ws_t *ws) {
  if (!s->ws_spare) s->ws_spare = ws->fr;
  else wslay_frame_context_free(ws->fr);
  ws->fr = NULL;
}

void eio__ws_spare_free(sioc_server_t *s) {
  if (s->ws_spare) wslay_frame_context_free(s->ws_spare);
  s->ws_spare = NULL;
}

void eio__ws_free(eio__conn_t *c) {
  eio__ws_t *ws = c->ws;
  if (!ws) return;
  if (ws->fr) {
    /* Mid-frame bytes may remain inside: not reusable. */
    if (!ws->in_frame && ws->fed == ws->consumed) parser_release(c->server, ws);
    else wslay_frame_context_free(ws->fr);
  }
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
  int r = eio__conn_write(c, b, 0, b->len);
  sioc__rbuf_unref(b);
  return r;
}

/* ---- receiving ------------------------------------------------------------ */

static size_t header_len(uint64_t payload_len, int masked) {
  size_t n = 2 + (masked ? 4 : 0);
  if (payload_len >= 65536) n += 8;
  else if (payload_len >= 126) n += 2;
  return n;
}

/* Starts a frame: checks everything knowable from its header.  0, or the
 * close code to fail the connection with. */
static uint16_t frame_start(eio__conn_t *c, const struct wslay_frame_iocb *f) {
  eio__ws_t *ws = c->ws;
  const sioc_server_options_t *o = eio__options(c->server);
  if (!f->mask || f->rsv) return 1002;
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
      return 0;
    default:
      return 1002;
  }
  if (++ws->fragments > o->max_ws_fragments) return 1008;
  if (ws->msg.len + f->payload_length > o->max_http_buffer_size) return 1009;
  return 0;
}

static void message_complete(eio__conn_t *c) {
  eio__ws_t *ws = c->ws;
  int binary = ws->msg_opcode == 2;
  ws->msg_opcode = 0;
  if (!binary && !sioc__utf8_valid(ws->msg.data ? ws->msg.data : "", ws->msg.len)) {
    eio__ws_close(c, 1007);
    return;
  }
  /* The engine may decode in place; the buffer is ours until reset. */
  if (sioc__sbuf_appendc(&ws->msg, '\0')) {
    eio__ws_close(c, 1011);
    return;
  }
  ws->msg.len--;
  eio__engine_ws_message(c, ws->msg.data, ws->msg.len, binary);
  if (c->ws) sioc__sbuf_reset(&c->ws->msg);
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
}

void eio__ws_feed(eio__conn_t *c, const char *data, size_t len) {
  eio__ws_t *ws = c->ws;
  if (!ws || ws->closing) return;
  sioc_server_t *server = c->server;
  ws->in = data;
  ws->in_len = len;
  if (!ws->fr) {
    if (server->ws_spare) {
      ws->fr = server->ws_spare;
      server->ws_spare = NULL;
    } else if (wslay_frame_context_init(&ws->fr, &frame_callbacks, server) != 0) {
      ws->fr = NULL;
      eio__ws_close(c, 1011);
      return;
    }
  }
  for (;;) {
    struct wslay_frame_iocb f;
    memset(&f, 0, sizeof(f));
    /* Set each time: a callback below may feed another connection. */
    server->ws_feeding = ws;
    ssize_t r = wslay_frame_recv(ws->fr, &f);
    if (r == WSLAY_ERR_WANT_READ) break;
    if (r < 0) {
      eio__ws_close(c, 1002);
      return;
    }
    if (!ws->in_frame) {
      uint16_t code = frame_start(c, &f);
      if (code) {
        eio__ws_close(c, code);
        return;
      }
      ws->in_frame = 1;
      ws->frame_opcode = f.opcode;
      ws->frame_fin = f.fin;
      ws->frame_left = f.payload_length;
    }
    if (f.data_length) {
      if (ws->frame_opcode >= 8) {
        memcpy(ws->ctl + ws->ctl_len, f.data, f.data_length);
        ws->ctl_len += f.data_length;
      } else if (sioc__sbuf_append(&ws->msg, f.data, f.data_length)) {
        eio__ws_close(c, 1011);
        return;
      }
      ws->frame_left -= f.data_length;
    }
    if (ws->frame_left == 0) {
      ws->in_frame = 0;
      ws->consumed += header_len(f.payload_length, f.mask) + f.payload_length;
      if (ws->frame_opcode >= 8) control_complete(c);
      else if (ws->frame_fin) message_complete(c);
      if (!c->ws || c->ws->closing || c->closing) return;
    }
  }
  /* Give the 4 KiB parser back while nothing is pending inside it. */
  if (!ws->in_frame && ws->fed == ws->consumed) parser_release(server, ws);
}

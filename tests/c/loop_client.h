/* loop_client.h - raw TCP / HTTP / WebSocket clients that run on the same
 * uv_loop_t as the sioc server under test, plus a recorder of the server's
 * Socket.IO callbacks.  Header-only: every function is static inline, each
 * test program includes it once.
 *
 * Style of a test: sequential code in main() that sends bytes, then waits
 * with LC_WAIT(cond, ms), which turns the loop (uv_run UV_RUN_ONCE) until
 * `cond` holds or fails the test after ms.  A watchdog timer fails the whole
 * program after the limit given to lc_init().  lc_end() closes every client
 * and helper handle and asserts uv_loop_close() == 0.
 *
 * The WebSocket client is deliberately minimal and independent of the
 * library: it masks its frames (or not, on request), parses the server's
 * frames including 16/64-bit lengths, and checks Sec-WebSocket-Accept with
 * OpenSSL's SHA-1 and its own base64.
 */
#ifndef SIOC_TEST_LOOP_CLIENT_H
#define SIOC_TEST_LOOP_CLIENT_H

#include <cjson/cJSON.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "sioc.h"
#include "task.h"

/* ---- environment ---------------------------------------------------------- */

typedef struct lc_client_s lc_client_t;

static struct {
  uv_loop_t loop;
  uv_timer_t watchdog;
  uv_timer_t waker;
  lc_client_t *clients;
  int port;               /* default port for lc_connect */
  unsigned watchdog_ms;
  int n_open;             /* client handles not yet closed */
} lc_g;

static inline uv_loop_t *lc_loop(void) { return &lc_g.loop; }
static inline uint64_t lc_now(void) {
  uv_update_time(&lc_g.loop);
  return uv_now(&lc_g.loop);
}

static inline void lc__on_watchdog(uv_timer_t *t) {
  FATAL("watchdog: test did not finish within %u ms", lc_g.watchdog_ms);
}

static inline void lc__on_waker(uv_timer_t *t) {}

static inline void lc_init(unsigned watchdog_ms) {
  setvbuf(stdout, NULL, _IONBF, 0);
  memset(&lc_g, 0, sizeof(lc_g));
  ASSERT_EQ(uv_loop_init(&lc_g.loop), 0);
  ASSERT_EQ(uv_timer_init(&lc_g.loop, &lc_g.watchdog), 0);
  ASSERT_EQ(uv_timer_init(&lc_g.loop, &lc_g.waker), 0);
  lc_g.watchdog_ms = watchdog_ms;
  ASSERT_EQ(uv_timer_start(&lc_g.watchdog, lc__on_watchdog, watchdog_ms, 0), 0);
}

/* Turns the loop once; the waker guarantees a wake-up by `deadline`.  It
 * repeats: a waker that is already due when uv_run looks at the clock (in a
 * slow run under valgrind the deadline has often passed by then) runs in
 * the timer phase, before the poll, and a one-shot waker would then leave
 * the poll blocking until some other timer (the server's 25 s ping). */
static inline void lc__turn(uint64_t deadline) {
  uint64_t now = lc_now();
  uint64_t t = deadline > now ? deadline - now : 1;
  uv_timer_start(&lc_g.waker, lc__on_waker, t, t);
  uv_run(&lc_g.loop, UV_RUN_ONCE);
  uv_timer_stop(&lc_g.waker);
}

/* Waits until cond holds; fails the test after ms milliseconds. */
#define LC_WAIT(cond, ms)                                                    \
  do {                                                                       \
    uint64_t lc_dl_ = lc_now() + (ms);                                       \
    while (!(cond)) {                                                        \
      if (lc_now() >= lc_dl_) FATAL("timed out (%d ms) waiting for %s", (int)(ms), #cond); \
      lc__turn(lc_dl_);                                                      \
    }                                                                        \
  } while (0)

/* Waits until cond holds or ms passed; `ok` is set to whether it held. */
#define LC_WAIT_OK(ok, cond, ms)                                             \
  do {                                                                       \
    uint64_t lc_dl_ = lc_now() + (ms);                                       \
    while (!((ok) = !!(cond)) && lc_now() < lc_dl_) lc__turn(lc_dl_);        \
  } while (0)

/* Runs the loop for ms milliseconds. */
static inline void lc_sleep(unsigned ms) {
  uint64_t dl = lc_now() + ms;
  while (lc_now() < dl) lc__turn(dl);
}

/* ---- raw TCP client ----------------------------------------------------------- */

struct lc_client_s {
  uv_tcp_t tcp;
  uv_connect_t creq;
  lc_client_t *next;
  int connected;          /* 1 connected, < 0 connect error */
  int eof;                /* EOF or read error seen */
  int read_err;
  int closing, closed;
  int ws;                 /* the 101 was consumed: bytes are frames */
  char *in;               /* received, not yet consumed bytes */
  size_t in_len, in_cap;
  size_t total_in;
  char name[32];
};

static inline void lc__on_client_closed(uv_handle_t *h) {
  lc_client_t *c = h->data;
  c->closed = 1;
  lc_g.n_open--;
}

static inline void lc_close(lc_client_t *c) {
  if (c->closing) return;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->tcp, lc__on_client_closed);
}

static inline void lc__alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  lc_client_t *c = h->data;
  if (c->in_cap - c->in_len < 65536) {
    size_t ncap = c->in_cap ? c->in_cap * 2 : 131072;
    while (ncap - c->in_len < 65536) ncap *= 2;
    c->in = realloc(c->in, ncap);
    ASSERT(c->in != NULL);
    c->in_cap = ncap;
  }
  buf->base = c->in + c->in_len;
  buf->len = c->in_cap - c->in_len - 1;   /* room for a NUL */
}

static inline void lc__on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  lc_client_t *c = s->data;
  if (n < 0) {
    c->eof = 1;
    c->read_err = (int)n;
    lc_close(c);
    return;
  }
  c->in_len += (size_t)n;
  c->total_in += (size_t)n;
  c->in[c->in_len] = '\0';
}

static inline void lc__on_connect(uv_connect_t *req, int status) {
  lc_client_t *c = req->data;
  if (status < 0) {
    c->connected = status;
    lc_close(c);
    return;
  }
  c->connected = 1;
  ASSERT_EQ(uv_read_start((uv_stream_t *)&c->tcp, lc__alloc, lc__on_read), 0);
}

/* Connects to 127.0.0.1:port (lc_g.port when 0) and waits for it. */
static inline lc_client_t *lc_connect_port(int port, const char *name) {
  lc_client_t *c = calloc(1, sizeof(*c));
  ASSERT(c != NULL);
  snprintf(c->name, sizeof(c->name), "%s", name ? name : "client");
  ASSERT_EQ(uv_tcp_init(&lc_g.loop, &c->tcp), 0);
  c->tcp.data = c;
  c->creq.data = c;
  c->next = lc_g.clients;
  lc_g.clients = c;
  lc_g.n_open++;
  struct sockaddr_in addr;
  ASSERT_EQ(uv_ip4_addr("127.0.0.1", port ? port : lc_g.port, &addr), 0);
  ASSERT_EQ(uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&addr,
                           lc__on_connect), 0);
  LC_WAIT(c->connected != 0, 2000);
  ASSERT_EQ(c->connected, 1);
  return c;
}

static inline lc_client_t *lc_connect(const char *name) { return lc_connect_port(0, name); }

typedef struct {
  uv_write_t req;
  char data[];
} lc__write_t;

static inline void lc__on_write(uv_write_t *req, int status) { free(req); }

/* Sends bytes (copied).  Returns 0 or a libuv error (e.g. after a close). */
static inline int lc_send(lc_client_t *c, const void *data, size_t len) {
  if (c->closing) return UV_EPIPE;
  lc__write_t *w = malloc(sizeof(*w) + (len ? len : 1));
  ASSERT(w != NULL);
  memcpy(w->data, data, len);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
  int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, lc__on_write);
  if (r) free(w);
  return r;
}

static inline int lc_sends(lc_client_t *c, const char *s) { return lc_send(c, s, strlen(s)); }

/* Drops the first n received bytes. */
static inline void lc_consume(lc_client_t *c, size_t n) {
  memmove(c->in, c->in + n, c->in_len - n);
  c->in_len -= n;
  if (c->in) c->in[c->in_len] = '\0';
}

static inline void lc_wait_eof(lc_client_t *c, unsigned ms) { LC_WAIT(c->eof || c->closed, ms); }

/* ---- HTTP ----------------------------------------------------------------------- */

typedef struct {
  int status;
  char *head;             /* status line + headers, NUL-terminated */
  char *body;             /* NUL-terminated */
  size_t body_len;
} lc_http_t;

static inline void lc_http_free(lc_http_t *r) {
  free(r->head);
  free(r->body);
  memset(r, 0, sizeof(*r));
}

/* Value of header `name` in a header block (copied into out), or NULL. */
static inline const char *lc_header_in(const char *head, const char *name, char *out,
                                       size_t cap) {
  size_t nl = strlen(name);
  const char *p = strstr(head, "\r\n");
  while (p && p[2] && !(p[2] == '\r' && p[3] == '\n')) {
    const char *line = p + 2;
    const char *eol = strstr(line, "\r\n");
    if (!eol) break;
    if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
      const char *v = line + nl + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t vl = (size_t)(eol - v);
      while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
      if (vl >= cap) vl = cap - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return out;
    }
    p = eol;
  }
  return NULL;
}

static inline const char *lc_http_header(const lc_http_t *r, const char *name, char *out,
                                         size_t cap) {
  return lc_header_in(r->head, name, out, cap);
}

/* Parses one response from c->in; 1 (consumed into r) or 0 (incomplete).
 * Bodies are delimited by Content-Length (no length: none for 1xx/204,
 * until EOF otherwise). */
static inline int lc_http_try(lc_client_t *c, lc_http_t *r) {
  if (!c->in_len) return 0;
  char *end = strstr(c->in, "\r\n\r\n");
  if (!end) return 0;
  size_t hl = (size_t)(end - c->in) + 4;
  int status = 0;
  if (sscanf(c->in, "HTTP/1.1 %d", &status) != 1) FATAL("bad response: %.80s", c->in);
  char *head = malloc(hl + 1);
  memcpy(head, c->in, hl);
  head[hl] = '\0';
  char v[64];
  size_t blen = 0;
  if (lc_header_in(head, "Content-Length", v, sizeof(v))) blen = (size_t)strtoull(v, NULL, 10);
  else if (status >= 200 && status != 204 && status != 304) {
    if (!c->eof) {
      free(head);
      return 0;
    }
    blen = c->in_len - hl;
  }
  if (c->in_len < hl + blen) {
    free(head);
    return 0;
  }
  r->status = status;
  r->head = head;
  r->body = malloc(blen + 1);
  memcpy(r->body, c->in + hl, blen);
  r->body[blen] = '\0';
  r->body_len = blen;
  lc_consume(c, hl + blen);
  return 1;
}

static inline void lc_http_wait(lc_client_t *c, lc_http_t *r, unsigned ms) {
  memset(r, 0, sizeof(*r));
  uint64_t dl = lc_now() + ms;
  while (!lc_http_try(c, r)) {
    if (c->eof && !lc_http_try(c, r))
      FATAL("%s: EOF before a complete response (%zu bytes: %.80s)", c->name, c->in_len,
            c->in ? c->in : "");
    if (c->eof) return;
    if (lc_now() >= dl) FATAL("%s: no response within %u ms", c->name, ms);
    lc__turn(dl);
  }
}

/* Sends a request.  `headers` are full lines ending in CRLF (may be NULL). */
static inline void lc_http_send(lc_client_t *c, const char *method, const char *target,
                                const char *headers, const char *body, size_t len) {
  char head[2048];
  int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method,
                   target, headers ? headers : "");
  ASSERT(n > 0 && (size_t)n < sizeof(head));
  if (body || strcmp(method, "POST") == 0)
    n += snprintf(head + n, sizeof(head) - n, "Content-Length: %zu\r\n", len);
  n += snprintf(head + n, sizeof(head) - n, "\r\n");
  ASSERT(lc_send(c, head, (size_t)n) == 0);
  if (len) ASSERT(lc_send(c, body, len) == 0);
}

static inline void lc_http_request(lc_client_t *c, const char *method, const char *target,
                                   const char *headers, const char *body, size_t len,
                                   lc_http_t *r) {
  lc_http_send(c, method, target, headers, body, len);
  lc_http_wait(c, r, 3000);
}

/* One request on a fresh connection, closed afterwards. */
static inline void lc_http_once(const char *method, const char *target, const char *headers,
                                const char *body, size_t len, lc_http_t *r) {
  lc_client_t *c = lc_connect("once");
  lc_http_request(c, method, target, headers, body, len, r);
  lc_close(c);
}

/* Asserts an Engine.IO error answer: status and the exact JSON body. */
static inline void lc_expect_eio_error(const lc_http_t *r, int status, int code,
                                       const char *message) {
  char want[256], ct[128];
  snprintf(want, sizeof(want), "{\"code\":%d,\"message\":\"%s\"}", code, message);
  if (r->status != status || strcmp(r->body, want) != 0)
    FATAL("expected %d %s, got %d %s", status, want, r->status, r->body);
  ASSERT(lc_http_header(r, "Content-Type", ct, sizeof(ct)) != NULL);
  ASSERT_STR_EQ(ct, "application/json");
}

/* ---- Engine.IO long-polling ------------------------------------------------------------ */

/* Polling handshake on c: returns the open packet's JSON (cJSON, caller
 * deletes) and the sid in sid_out. */
static inline cJSON *lc_poll_handshake(lc_client_t *c, const char *extra_query, char *sid_out,
                                       lc_http_t *resp_out) {
  char target[512];
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling%s",
           extra_query ? extra_query : "");
  lc_http_t r;
  lc_http_request(c, "GET", target, NULL, NULL, 0, &r);
  if (r.status != 200 || r.body[0] != '0') FATAL("handshake: %d %s", r.status, r.body);
  cJSON *j = cJSON_Parse(r.body + 1);
  ASSERT(j != NULL);
  cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
  ASSERT(cJSON_IsString(sid));
  snprintf(sid_out, 32, "%s", sid->valuestring);
  if (resp_out) *resp_out = r;
  else lc_http_free(&r);
  return j;
}

static inline void lc_poll_get_send(lc_client_t *c, const char *sid) {
  char target[256];
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
  lc_http_send(c, "GET", target, NULL, NULL, 0);
}

/* GET with sid; returns the body (caller frees) after asserting 200. */
static inline char *lc_poll_get(lc_client_t *c, const char *sid, size_t *len) {
  lc_http_t r;
  lc_poll_get_send(c, sid);
  lc_http_wait(c, &r, 3000);
  if (r.status != 200) FATAL("GET sid=%s: %d %s", sid, r.status, r.body);
  char *b = r.body;
  if (len) *len = r.body_len;
  r.body = NULL;
  lc_http_free(&r);
  return b;
}

static inline void lc_poll_post(lc_client_t *c, const char *sid, const char *body, size_t len) {
  char target[256];
  lc_http_t r;
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
  lc_http_request(c, "POST", target, "Content-Type: text/plain;charset=UTF-8\r\n", body, len,
                  &r);
  if (r.status != 200 || strcmp(r.body, "ok") != 0)
    FATAL("POST %.40s: %d %s", body, r.status, r.body);
  lc_http_free(&r);
}

static inline void lc_poll_posts(lc_client_t *c, const char *sid, const char *body) {
  lc_poll_post(c, sid, body, strlen(body));
}

/* ---- WebSocket ----------------------------------------------------------------------- */

static inline void lc_base64(const unsigned char *in, size_t n, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[o++] = t[(v >> 18) & 63];
    out[o++] = t[(v >> 12) & 63];
    out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? t[v & 63] : '=';
  }
  out[o] = '\0';
}

static inline void lc_ws_accept_for(const char *key, char out[29]) {
  char buf[128];
  unsigned char dig[SHA_DIGEST_LENGTH];
  snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  SHA1((const unsigned char *)buf, strlen(buf), dig);
  lc_base64(dig, sizeof(dig), out);
}

/* Sends the upgrade request for `target` and waits for the answer.  On 101
 * checks Sec-WebSocket-Accept and switches c to frames.  Returns the status;
 * resp (may be NULL) gets the response. */
static inline int lc_ws_handshake(lc_client_t *c, const char *target, const char *key,
                                  lc_http_t *resp) {
  char hdr[512];
  static unsigned counter;
  char keybuf[32];
  if (!key) {
    unsigned char raw[16];
    for (int i = 0; i < 16; i++) raw[i] = (unsigned char)(rand() ^ (int)(counter++ * 37));
    lc_base64(raw, 16, keybuf);
    key = keybuf;
  }
  snprintf(hdr, sizeof(hdr),
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n",
           key);
  lc_http_send(c, "GET", target, hdr, NULL, 0);
  /* Parse the head only: frames may follow in the same read. */
  LC_WAIT((c->in && strstr(c->in, "\r\n\r\n")) || c->eof, 3000);
  if (!c->in || !strstr(c->in, "\r\n\r\n")) FATAL("%s: no upgrade answer", c->name);
  int status = 0;
  sscanf(c->in, "HTTP/1.1 %d", &status);
  if (status != 101) {
    lc_http_t r;
    lc_http_wait(c, &r, 3000);
    if (resp) *resp = r;
    else lc_http_free(&r);
    return status;
  }
  size_t hl = (size_t)(strstr(c->in, "\r\n\r\n") - c->in) + 4;
  char *head = malloc(hl + 1);
  memcpy(head, c->in, hl);
  head[hl] = '\0';
  lc_consume(c, hl);
  char acc[64], want[29], up[64];
  lc_ws_accept_for(key, want);
  if (!lc_header_in(head, "Sec-WebSocket-Accept", acc, sizeof(acc))) FATAL("no accept header");
  ASSERT_STR_EQ(acc, want);
  ASSERT(lc_header_in(head, "Upgrade", up, sizeof(up)) && strcasecmp(up, "websocket") == 0);
  c->ws = 1;
  if (resp) {
    memset(resp, 0, sizeof(*resp));
    resp->status = 101;
    resp->head = head;
    resp->body = calloc(1, 1);
  } else {
    free(head);
  }
  return 101;
}

enum { LC_OP_CONT = 0, LC_OP_TEXT = 1, LC_OP_BIN = 2, LC_OP_CLOSE = 8, LC_OP_PING = 9,
       LC_OP_PONG = 10 };

/* Encodes one frame (masked unless `unmasked`) into a new buffer of *out_len
 * bytes, which the caller frees. */
static inline unsigned char *lc_ws_encode(int fin, int opcode, const void *data, size_t len,
                                          int unmasked, size_t *out_len) {
  unsigned char *f = malloc(len + 14);
  size_t n = 0;
  f[n++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
  unsigned char m = unmasked ? 0 : 0x80;
  if (len < 126) f[n++] = m | (unsigned char)len;
  else if (len < 65536) {
    f[n++] = m | 126;
    f[n++] = (unsigned char)(len >> 8);
    f[n++] = (unsigned char)len;
  } else {
    f[n++] = m | 127;
    for (int i = 0; i < 8; i++) f[n++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
  }
  unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (!unmasked) {
    memcpy(f + n, key, 4);
    n += 4;
  }
  for (size_t i = 0; i < len; i++)
    f[n + i] = ((const unsigned char *)data)[i] ^ (unmasked ? 0 : key[i & 3]);
  *out_len = n + len;
  return f;
}

/* Sends one frame; masked unless `unmasked`. */
static inline int lc_ws_frame(lc_client_t *c, int fin, int opcode, const void *data, size_t len,
                              int unmasked) {
  size_t n;
  unsigned char *f = lc_ws_encode(fin, opcode, data, len, unmasked, &n);
  int r = lc_send(c, f, n);
  free(f);
  return r;
}

static inline int lc_ws_text(lc_client_t *c, const char *s) {
  return lc_ws_frame(c, 1, LC_OP_TEXT, s, strlen(s), 0);
}

static inline int lc_ws_bin(lc_client_t *c, const void *d, size_t n) {
  return lc_ws_frame(c, 1, LC_OP_BIN, d, n, 0);
}

typedef struct {
  int fin, opcode;
  char *data;             /* NUL-terminated copy */
  size_t len;
  int close_code;         /* for close frames: code, 0 when none */
} lc_frame_t;

static inline void lc_frame_free(lc_frame_t *f) {
  free(f->data);
  f->data = NULL;
}

/* Parses one server frame from c->in: 1 (consumed) or 0. */
static inline int lc_ws_try(lc_client_t *c, lc_frame_t *f) {
  const unsigned char *p = (const unsigned char *)c->in;
  size_t n = c->in_len;
  if (n < 2) return 0;
  if (p[1] & 0x80) FATAL("%s: server frame is masked", c->name);
  uint64_t len = p[1] & 0x7f;
  size_t h = 2;
  if (len == 126) {
    if (n < 4) return 0;
    len = (uint64_t)p[2] << 8 | p[3];
    h = 4;
  } else if (len == 127) {
    if (n < 10) return 0;
    len = 0;
    for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
    h = 10;
  }
  if (n < h + len) return 0;
  f->fin = p[0] >> 7;
  f->opcode = p[0] & 15;
  f->len = (size_t)len;
  f->data = malloc(f->len + 1);
  memcpy(f->data, p + h, f->len);
  f->data[f->len] = '\0';
  f->close_code = 0;
  if (f->opcode == LC_OP_CLOSE && f->len >= 2)
    f->close_code = (unsigned char)f->data[0] << 8 | (unsigned char)f->data[1];
  lc_consume(c, h + (size_t)len);
  return 1;
}

/* Waits for the next frame; fails on timeout or EOF. */
static inline void lc_ws_wait(lc_client_t *c, lc_frame_t *f, unsigned ms) {
  uint64_t dl = lc_now() + ms;
  while (!lc_ws_try(c, f)) {
    if (c->eof) FATAL("%s: EOF while waiting for a frame", c->name);
    if (lc_now() >= dl) FATAL("%s: no frame within %u ms", c->name, ms);
    lc__turn(dl);
  }
}

/* Next text frame's payload (caller frees). */
static inline char *lc_ws_recv_text(lc_client_t *c, unsigned ms) {
  lc_frame_t f;
  lc_ws_wait(c, &f, ms);
  if (f.opcode != LC_OP_TEXT)
    FATAL("%s: expected a text frame, got opcode %d (%zu bytes, close code %d)", c->name,
          f.opcode, f.len, f.close_code);
  return f.data;
}

static inline void lc_ws_expect(lc_client_t *c, const char *want, unsigned ms) {
  char *got = lc_ws_recv_text(c, ms);
  if (strcmp(got, want) != 0) FATAL("%s: expected \"%s\", got \"%s\"", c->name, want, got);
  free(got);
}

/* Waits for a close frame (skipping other frames), then EOF; returns the
 * close code (0: a close frame without code, -1: EOF without close frame). */
static inline int lc_ws_wait_close(lc_client_t *c, unsigned ms) {
  uint64_t dl = lc_now() + ms;
  lc_frame_t f;
  int code = -1;
  for (;;) {
    if (lc_ws_try(c, &f)) {
      int op = f.opcode, cc = f.close_code;
      lc_frame_free(&f);
      if (op == LC_OP_CLOSE) {
        code = cc;
        break;
      }
      continue;
    }
    if (c->eof) break;
    if (lc_now() >= dl) FATAL("%s: no close within %u ms", c->name, ms);
    lc__turn(dl);
  }
  lc_wait_eof(c, ms);
  return code;
}

/* WebSocket Engine.IO session: handshake and open packet.  Returns the
 * client; the open packet JSON is checked to have a 20-char sid. */
static inline lc_client_t *lc_ws_open(const char *name, const char *extra_query,
                                      char *eio_sid_out) {
  lc_client_t *c = lc_connect(name);
  char target[512];
  snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=websocket%s",
           extra_query ? extra_query : "");
  int st = lc_ws_handshake(c, target, NULL, NULL);
  if (st != 101) FATAL("%s: upgrade answered %d", name, st);
  char *open = lc_ws_recv_text(c, 3000);
  ASSERT(open[0] == '0');
  cJSON *j = cJSON_Parse(open + 1);
  ASSERT(j != NULL);
  cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
  ASSERT(cJSON_IsString(sid) && strlen(sid->valuestring) == 20);
  if (eio_sid_out) snprintf(eio_sid_out, 32, "%s", sid->valuestring);
  cJSON_Delete(j);
  free(open);
  return c;
}

/* Parses `40[/nsp,]{"sid":"..."}` and returns the socket id in out. */
static inline void lc_parse_connect(const char *pkt, const char *nsp, char *out) {
  char prefix[128];
  if (nsp && strcmp(nsp, "/") != 0) snprintf(prefix, sizeof(prefix), "40%s,", nsp);
  else snprintf(prefix, sizeof(prefix), "40");
  size_t pl = strlen(prefix);
  if (strncmp(pkt, prefix, pl) != 0 || pkt[pl] != '{')
    FATAL("expected CONNECT %s..., got \"%s\"", prefix, pkt);
  cJSON *j = cJSON_Parse(pkt + pl);
  ASSERT(j != NULL);
  ASSERT_EQ(cJSON_GetArraySize(j), 1);
  cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
  ASSERT(cJSON_IsString(sid) && strlen(sid->valuestring) == 20);
  snprintf(out, 32, "%s", sid->valuestring);
  cJSON_Delete(j);
}

/* WebSocket + Socket.IO CONNECT to "/": returns the client, the socket id
 * in sock_id. */
static inline lc_client_t *lc_sio_ws(const char *name, char *sock_id) {
  lc_client_t *c = lc_ws_open(name, NULL, NULL);
  lc_ws_text(c, "40");
  char *p = lc_ws_recv_text(c, 3000);
  char id[32];
  lc_parse_connect(p, "/", id);
  if (sock_id) snprintf(sock_id, 32, "%s", id);
  free(p);
  return c;
}

/* ---- recorder of server callbacks ------------------------------------------------------- */

#define LC_MAX_REC 256

typedef struct {
  char nsp[64];
  char sock[32];
  char name[64];
  char *args;
  size_t n_att;
  uint8_t *att[4];
  size_t att_len[4];
  int64_t ack_id;
  sioc_socket_t *socket;  /* referenced */
} lc_event_t;

typedef struct {
  int n_conn;
  sioc_socket_t *conn[LC_MAX_REC];   /* referenced */
  int n_events;
  lc_event_t ev[LC_MAX_REC];
  int n_disc;
  char disc_reason[LC_MAX_REC][48];
  char disc_id[LC_MAX_REC][32];
  char disc_nsp[LC_MAX_REC][64];
  int disc_connected[LC_MAX_REC];    /* sioc_socket_connected() in the cb */
  int n_disconnecting;
  int disconnecting_rooms[LC_MAX_REC];  /* rooms the socket had then */
  /* optional hooks */
  void (*on_event)(sioc_socket_t *s, const sioc_event_t *ev, void *data);
  void (*on_conn)(sioc_socket_t *s, void *data);
  void *hook_data;
} lc_rec_t;

static inline void lc__rec_conn(sioc_socket_t *s, void *data) {
  lc_rec_t *r = data;
  ASSERT(r->n_conn < LC_MAX_REC);
  ASSERT(sioc_socket_connected(s));
  r->conn[r->n_conn++] = sioc_socket_ref(s);
  if (r->on_conn) r->on_conn(s, r->hook_data);
}

static inline void lc__rec_event(sioc_socket_t *s, const sioc_event_t *ev, void *data) {
  lc_rec_t *r = data;
  ASSERT(r->n_events < LC_MAX_REC);
  lc_event_t *e = &r->ev[r->n_events++];
  memset(e, 0, sizeof(*e));
  snprintf(e->nsp, sizeof(e->nsp), "%s", sioc_nsp_name(sioc_socket_nsp(s)));
  snprintf(e->sock, sizeof(e->sock), "%s", sioc_socket_id(s));
  ASSERT(ev->name[ev->name_len] == '\0' && strlen(ev->name) == ev->name_len);
  snprintf(e->name, sizeof(e->name), "%s", ev->name);
  e->args = malloc(ev->args_len + 1);
  memcpy(e->args, ev->args, ev->args_len);
  e->args[ev->args_len] = '\0';
  e->n_att = ev->n_attachments;
  for (size_t i = 0; i < ev->n_attachments && i < 4; i++) {
    e->att[i] = malloc(ev->attachments[i].len + 1);
    memcpy(e->att[i], ev->attachments[i].data, ev->attachments[i].len);
    e->att_len[i] = ev->attachments[i].len;
  }
  e->ack_id = ev->ack_id;
  e->socket = sioc_socket_ref(s);
  if (r->on_event) r->on_event(s, ev, r->hook_data);
}

static inline int lc__count_room(const char *room, size_t n, void *data) {
  (*(int *)data)++;
  return 0;
}

static inline void lc__rec_disconnecting(sioc_socket_t *s, const char *reason, void *data) {
  lc_rec_t *r = data;
  int n = 0;
  sioc_socket_foreach_room(s, lc__count_room, &n);
  r->disconnecting_rooms[r->n_disconnecting++] = n;
}

static inline void lc__rec_disc(sioc_socket_t *s, const char *reason, void *data) {
  lc_rec_t *r = data;
  ASSERT(r->n_disc < LC_MAX_REC);
  snprintf(r->disc_reason[r->n_disc], 48, "%s", reason);
  snprintf(r->disc_id[r->n_disc], 32, "%s", sioc_socket_id(s));
  snprintf(r->disc_nsp[r->n_disc], 64, "%s", sioc_nsp_name(sioc_socket_nsp(s)));
  r->disc_connected[r->n_disc] = sioc_socket_connected(s);
  r->n_disc++;
}

static inline void lc_rec_attach(lc_rec_t *r, sioc_nsp_t *nsp) {
  sioc_nsp_on_connection(nsp, lc__rec_conn, r);
  sioc_nsp_on_event(nsp, lc__rec_event, r);
  sioc_nsp_on_disconnecting(nsp, lc__rec_disconnecting, r);
  sioc_nsp_on_disconnect(nsp, lc__rec_disc, r);
}

/* The connected socket with id, from the recorder. */
static inline sioc_socket_t *lc_rec_socket(lc_rec_t *r, const char *id) {
  for (int i = 0; i < r->n_conn; i++)
    if (strcmp(sioc_socket_id(r->conn[i]), id) == 0) return r->conn[i];
  FATAL("no socket %s recorded", id);
  return NULL;
}

/* The disconnect reason recorded for socket id, or NULL. */
static inline const char *lc_rec_reason(lc_rec_t *r, const char *id) {
  for (int i = 0; i < r->n_disc; i++)
    if (strcmp(r->disc_id[i], id) == 0) return r->disc_reason[i];
  return NULL;
}

static inline void lc_rec_free(lc_rec_t *r) {
  for (int i = 0; i < r->n_conn; i++) sioc_socket_unref(r->conn[i]);
  for (int i = 0; i < r->n_events; i++) {
    free(r->ev[i].args);
    for (size_t k = 0; k < r->ev[i].n_att && k < 4; k++) free(r->ev[i].att[k]);
    sioc_socket_unref(r->ev[i].socket);
  }
  r->n_conn = r->n_events = r->n_disc = r->n_disconnecting = 0;
}

/* ---- server helpers and teardown ----------------------------------------------------------- */

static inline sioc_server_t *lc_server(const sioc_server_options_t *o) {
  sioc_server_t *s = NULL;
  ASSERT_EQ(sioc_server_new(&lc_g.loop, o, &s), 0);
  ASSERT_EQ(sioc_server_listen(s, "127.0.0.1", 0), 0);
  ASSERT(sioc_server_port(s) > 0);
  lc_g.port = sioc_server_port(s);
  return s;
}

static inline void lc__on_server_closed(sioc_server_t *s, void *data) { (*(int *)data)++; }

/* sioc_server_close and wait for its callback. */
static inline void lc_server_close(sioc_server_t *s) {
  int done = 0;
  ASSERT_EQ(sioc_server_close(s, lc__on_server_closed, &done), 0);
  LC_WAIT(done == 1, 3000);
  lc_sleep(5);
  ASSERT_EQ(done, 1);
}

static inline void lc_stats_expect(sioc_server_t *s, size_t conns, size_t sessions,
                                   size_t sockets) {
  sioc_server_stats_t st;
  sioc_server_stats(s, &st);
  if (st.connections != conns || st.sessions != sessions || st.sockets != sockets)
    FATAL("stats {conns %zu, sessions %zu, sockets %zu}, expected {%zu, %zu, %zu}",
          st.connections, st.sessions, st.sockets, conns, sessions, sockets);
}

/* Waits until the stats are as given. */
#define LC_WAIT_STATS(srv, nc, ns, nk, ms)                                            \
  do {                                                                                \
    sioc_server_stats_t lc_st_;                                                       \
    LC_WAIT((sioc_server_stats((srv), &lc_st_), lc_st_.connections == (nc) &&          \
                                                   lc_st_.sessions == (ns) &&          \
                                                   lc_st_.sockets == (nk)),            \
            ms);                                                                      \
  } while (0)

/* Closes every client, every helper handle, and asserts the loop is empty. */
static inline void lc_end(void) {
  for (lc_client_t *c = lc_g.clients; c; c = c->next) lc_close(c);
  LC_WAIT(lc_g.n_open == 0, 3000);
  uv_close((uv_handle_t *)&lc_g.waker, NULL);
  uv_close((uv_handle_t *)&lc_g.watchdog, NULL);
  for (int i = 0; i < 10; i++) uv_run(&lc_g.loop, UV_RUN_NOWAIT);
  /* A request can still be owed its callback: a client's host name
   * resolution that was already running on libuv's thread pool when the
   * client closed completes (as cancelled) a moment later, longer on a
   * loaded machine.  Up to 2 s for those; a handle left open stays an
   * error. */
  int r;
  for (int i = 0; (r = uv_loop_close(&lc_g.loop)) == UV_EBUSY && i < 2000; i++) {
    uv_run(&lc_g.loop, UV_RUN_NOWAIT);
    uv_sleep(1);
  }
  if (r != 0) {
    fprintf(stderr, "uv_loop_close: %s; live handles:\n", uv_err_name(r));
    uv_print_all_handles(&lc_g.loop, stderr);
  }
  ASSERT_EQ(r, 0);
  while (lc_g.clients) {
    lc_client_t *c = lc_g.clients;
    lc_g.clients = c->next;
    free(c->in);
    free(c);
  }
}

/* ---- additions: receive-side flow control ------------------------------------------------- */

/* Like lc_connect_port, but the socket is created before connecting so that
 * its receive buffer can be made small (SO_RCVBUF, rcvbuf bytes; the kernel
 * doubles and clamps it) before the window is negotiated. */
static inline lc_client_t *lc_connect_rcvbuf(const char *name, int rcvbuf) {
  lc_client_t *c = calloc(1, sizeof(*c));
  ASSERT(c != NULL);
  snprintf(c->name, sizeof(c->name), "%s", name ? name : "client");
  ASSERT_EQ(uv_tcp_init_ex(&lc_g.loop, &c->tcp, AF_INET), 0);
  int v = rcvbuf;
  ASSERT_EQ(uv_recv_buffer_size((uv_handle_t *)&c->tcp, &v), 0);
  c->tcp.data = c;
  c->creq.data = c;
  c->next = lc_g.clients;
  lc_g.clients = c;
  lc_g.n_open++;
  struct sockaddr_in addr;
  ASSERT_EQ(uv_ip4_addr("127.0.0.1", lc_g.port, &addr), 0);
  ASSERT_EQ(uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&addr,
                           lc__on_connect), 0);
  LC_WAIT(c->connected != 0, 2000);
  ASSERT_EQ(c->connected, 1);
  return c;
}

/* Stops / restarts reading: unread bytes stay in the kernel. */
static inline void lc_pause(lc_client_t *c) { uv_read_stop((uv_stream_t *)&c->tcp); }
static inline void lc_resume(lc_client_t *c) {
  ASSERT_EQ(uv_read_start((uv_stream_t *)&c->tcp, lc__alloc, lc__on_read), 0);
}

/* WebSocket Engine.IO session + Socket.IO CONNECT to "/" on an already
 * connected client; the Engine.IO sid (may be NULL) and the socket id. */
static inline void lc_sio_ws_on(lc_client_t *c, char *eio_sid, char *sock_id) {
  int st = lc_ws_handshake(c, "/socket.io/?EIO=4&transport=websocket", NULL, NULL);
  if (st != 101) FATAL("%s: upgrade answered %d", c->name, st);
  char *open = lc_ws_recv_text(c, 3000);
  ASSERT(open[0] == '0');
  cJSON *j = cJSON_Parse(open + 1);
  ASSERT(j != NULL);
  cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
  ASSERT(cJSON_IsString(sid));
  if (eio_sid) snprintf(eio_sid, 32, "%s", sid->valuestring);
  cJSON_Delete(j);
  free(open);
  lc_ws_text(c, "40");
  char *p = lc_ws_recv_text(c, 3000);
  char id[32];
  lc_parse_connect(p, "/", id);
  if (sock_id) snprintf(sock_id, 32, "%s", id);
  free(p);
}

/* ---- additions: slow runs (valgrind) -------------------------------------------------------- */

/* SIOC_TEST_SLOW stretches the time limits of a test for slow runs such as
 * valgrind's: unset, empty or "0" changes nothing; a number N >= 2
 * multiplies by N; any other value (e.g. "1") by 10.  It scales the
 * watchdog given to lc_init() and the limits of LC_WAIT / LC_WAIT_OK
 * written in a test program (the helpers above keep theirs).  Limits only
 * grow: a test that checks that something does NOT happen within a time
 * just waits longer. */
static inline unsigned lc_slow_factor(void) {
  const char *v = getenv("SIOC_TEST_SLOW");
  if (!v || !*v || strcmp(v, "0") == 0) return 1;
  unsigned long n = strtoul(v, NULL, 10);
  return n >= 2 && n <= 1000 ? (unsigned)n : 10;
}

static inline uint64_t lc_slow_ms(uint64_t ms) { return ms * lc_slow_factor(); }

static inline void lc__init_scaled(unsigned watchdog_ms) {
  lc_init((unsigned)lc_slow_ms(watchdog_ms));
}
#define lc_init(ms) lc__init_scaled(ms)

#undef LC_WAIT
#define LC_WAIT(cond, ms)                                                    \
  do {                                                                       \
    uint64_t lc_ms_ = lc_slow_ms((uint64_t)(ms));                            \
    uint64_t lc_dl_ = lc_now() + lc_ms_;                                     \
    while (!(cond)) {                                                        \
      if (lc_now() >= lc_dl_)                                                \
        FATAL("timed out (%d ms) waiting for %s", (int)lc_ms_, #cond);       \
      lc__turn(lc_dl_);                                                      \
    }                                                                        \
  } while (0)

#undef LC_WAIT_OK
#define LC_WAIT_OK(ok, cond, ms)                                             \
  do {                                                                       \
    uint64_t lc_dl_ = lc_now() + lc_slow_ms((uint64_t)(ms));                 \
    while (!((ok) = !!(cond)) && lc_now() < lc_dl_) lc__turn(lc_dl_);        \
  } while (0)

#endif

/* conn.c - one accepted TCP connection: reading, HTTP/1.1 request parsing,
 * handing requests to the router, switching to WebSocket, and writing.
 *
 * Invariants:
 *  - reads are parsed synchronously out of the server's shared read buffer;
 *    nothing keeps a pointer into it after the read callback returns.
 *  - c->closing is set once uv_close() was called or is pending behind a
 *    write; no request is parsed and no byte is queued after that.
 *  - the connection memory is freed in the tcp close callback only.
 *  - WebSocket frames (eio__conn_send) are gathered: queued on the
 *    connection, which is listed once in server->corked, and written with
 *    one writev per connection when the read being handled ends, or for
 *    everything else at the end of the loop turn (server.c: after the poll
 *    phase's callbacks, or before the loop blocks).  An echo answering four
 *    requests that arrived in one read is one write instead of four; a
 *    connection that receives four broadcasts in one loop turn, one write.
 *    Both flush points come before any close callback of the turn, so the
 *    list never names freed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static int on_message_begin(http_parser *p);
static int on_url(http_parser *p, const char *at, size_t len);
static int on_header_field(http_parser *p, const char *at, size_t len);
static int on_header_value(http_parser *p, const char *at, size_t len);
static int on_headers_complete(http_parser *p);
static int on_body(http_parser *p, const char *at, size_t len);
static int on_message_complete(http_parser *p);

static const http_parser_settings parser_settings = {
  .on_message_begin = on_message_begin,
  .on_url = on_url,
  .on_header_field = on_header_field,
  .on_header_value = on_header_value,
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

/* Why a request could not be parsed; answered before closing. */
enum { REQ_OK, REQ_TOO_LARGE_HEADERS, REQ_TOO_LARGE_BODY, REQ_NOMEM, REQ_ANSWERED };

typedef struct {
  eio__conn_t conn;
  int req_error;
  int dispatched_upgrade;
} conn_impl_t;

static eio__conn_t *conn_of(http_parser *p) { return p->data; }

static void uncork_forget(sioc_server_t *s, eio__conn_t *c);

static void on_close(uv_handle_t *h) {
  eio__conn_t *c = h->data;
  sioc_server_t *s = c->server;
  if (c->corked) uncork_forget(s, c);   /* cannot happen; see the top */
  eio__outq_reset(&c->outq, &s->outq_pool);
  if (c->req) {
    eio__http_req_reset(c->req);
    free(c->req);
  }
  eio__ws_free(c);
  free(c->held_headers);
  free(c);
  sioc__server_handle_closed(s);
}

static void close_now(eio__conn_t *c) {
  if (c->closing == 2) return;
  c->closing = 2;
  if (c->session || c->posting || c->pending_req) eio__engine_conn_lost(c);
  sioc__list_remove(&c->link);
  c->server->n_conns--;
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void flush_one(eio__conn_t *c);

void eio__conn_close(eio__conn_t *c, int graceful) {
  if (c->closing == 2) return;
  /* Gathered frames go before the close (they may complete it at once). */
  if (graceful && c->corked && !c->closing) {
    flush_one(c);
    if (c->closing == 2) return;
  }
  if (c->closing == 1 && !graceful) {
    close_now(c);
    return;
  }
  uv_read_stop((uv_stream_t *)&c->tcp);
  if (graceful && !eio__outq_idle(&c->outq)) {
    c->closing = 1;            /* after_write finishes the job */
    c->close_after_write = 1;
    if (c->session || c->posting || c->pending_req) eio__engine_conn_lost(c);
    return;
  }
  close_now(c);
}

static void after_write(uv_write_t *req, int status) {
  eio__conn_t *c = req->data;
  eio__outq_done(&c->outq, &c->server->outq_pool);
  if (c->closing == 2) return;
  if (status < 0) {
    close_now(c);
    return;
  }
  if (!eio__outq_idle(&c->outq)) {
    if (eio__outq_flush(&c->outq, &c->server->outq_pool, (uv_stream_t *)&c->tcp,
                        after_write, c) < 0)
      close_now(c);
    return;
  }
  if (c->close_after_write) close_now(c);
}

int eio__conn_write(eio__conn_t *c, sioc__rbuf_t *buf, size_t off, size_t len) {
  if (c->closing == 2) return SIOC_ECLOSED;
  c->last_write_turn = sioc__server_turn(c->server);
  if (eio__outq_idle(&c->outq)) {
    /* Nothing queued: hand the bytes to the kernel straight from the shared
     * buffer; only what it refuses is queued (the usual case costs no queue
     * memory and no reference). */
    uv_buf_t b = uv_buf_init(buf->data + off, (unsigned)len);
    int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (w >= 0 && (size_t)w == len) {
      if (c->close_after_write) close_now(c);
      return 0;
    }
    if (w < 0 && w != UV_EAGAIN && w != UV_ENOSYS) {
      close_now(c);
      return w;
    }
    if (w > 0) {
      off += (size_t)w;
      len -= (size_t)w;
    }
  }
  const sioc_server_options_t *o = eio__options(c->server);
  if (o->max_buffered_bytes && c->outq.bytes + len > o->max_buffered_bytes) {
    /* A client that does not read must not make us buffer without bound. */
    close_now(c);
    return SIOC_ELIMIT;
  }
  int r = eio__outq_push(&c->outq, &c->server->outq_pool, buf, off, len);
  if (r) {
    close_now(c);
    return r;
  }
  r = eio__outq_flush(&c->outq, &c->server->outq_pool, (uv_stream_t *)&c->tcp,
                      after_write, c);
  if (r < 0) {
    close_now(c);
    return r;
  }
  /* Written at once: no write callback will come to finish a close. */
  if (c->close_after_write && eio__outq_idle(&c->outq)) close_now(c);
  return 0;
}

/* ---- write gathering --------------------------------------------------------- */

/* Writes what is queued on c (what the kernel takes now, a uv_write for the
 * rest).  Does not touch c->corked: only flush_all takes a connection off
 * the list. */
static void flush_one(eio__conn_t *c) {
  if (c->closing == 2 || eio__outq_idle(&c->outq)) return;
  if (eio__outq_flush(&c->outq, &c->server->outq_pool, (uv_stream_t *)&c->tcp,
                      after_write, c) < 0) {
    close_now(c);
    return;
  }
  if (c->close_after_write && eio__outq_idle(&c->outq)) close_now(c);
}

void sioc__conn_flush_all(sioc_server_t *s) {
  /* A flush may close a connection, and the callbacks of that may send to
   * others: they are appended and flushed in this same pass. */
  for (size_t i = 0; i < s->n_corked; i++) {
    eio__conn_t *c = s->corked[i];
    c->corked = 0;
    flush_one(c);
  }
  s->n_corked = 0;
}

static int cork(sioc_server_t *s, eio__conn_t *c) {
  if (s->n_corked == s->cap_corked) {
    size_t ncap = s->cap_corked ? s->cap_corked * 2 : 64;
    eio__conn_t **n = realloc(s->corked, ncap * sizeof(*n));
    if (!n) return SIOC_ENOMEM;
    s->corked = n;
    s->cap_corked = ncap;
  }
  if (s->n_corked == 0) sioc__server_want_turn_end(s);
  s->corked[s->n_corked++] = c;
  c->corked = 1;
  return 0;
}

static void uncork_forget(sioc_server_t *s, eio__conn_t *c) {
  for (size_t i = 0; i < s->n_corked; i++) {
    if (s->corked[i] == c) {
      s->corked[i] = s->corked[--s->n_corked];
      break;
    }
  }
  c->corked = 0;
}

int eio__conn_send(eio__conn_t *c, sioc__rbuf_t *buf, size_t off, size_t len) {
  sioc_server_t *s = c->server;
  if (c->closing == 2) return SIOC_ECLOSED;
  /* Closing: the flush handles are gone, and a close already flushed. */
  if (s->closing || c->closing) return eio__conn_write(c, buf, off, len);
  c->last_write_turn = sioc__server_turn(s);
  const sioc_server_options_t *o = eio__options(s);
  if (o->max_buffered_bytes && c->outq.bytes + len > o->max_buffered_bytes) {
    /* The limit counts what the peer has not taken: offer the kernel what
     * waits first. */
    flush_one(c);
    if (c->closing == 2) return SIOC_ECLOSED;
    if (c->outq.bytes + len > o->max_buffered_bytes) {
      close_now(c);
      return SIOC_ELIMIT;
    }
  }
  if (eio__outq_push(&c->outq, &s->outq_pool, buf, off, len)) {
    close_now(c);
    return SIOC_ENOMEM;
  }
  if (!c->corked && cork(s, c)) flush_one(c);   /* no list: write now */
  return 0;
}

static const char *status_text(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

int eio__conn_respond(eio__conn_t *c, int status, const char *content_type,
                      const char *extra_headers, const char *body, size_t len) {
  if (c->closing) return SIOC_ECLOSED;
  char head[512];
  /* An adopted connection belongs to a host server that also serves other
   * paths; a browser would send those on this connection too, so it is not
   * kept alive (WebSocket upgrades are not affected). */
  int keep = !c->close_after_write && !c->adopted;
  if (!keep) c->close_after_write = 1;
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n"
                   "Connection: %s\r\n",
                   status, status_text(status),
                   content_type ? "Content-Type: " : "",
                   content_type ? content_type : "", content_type ? "\r\n" : "",
                   len, keep ? "keep-alive" : "close");
  if (n < 0 || (size_t)n >= sizeof(head)) return SIOC_EINVAL;
  size_t extra = extra_headers ? strlen(extra_headers) : 0;
  sioc__rbuf_t *b = sioc__rbuf_new((size_t)n + extra + 2 + len);
  if (!b) {
    close_now(c);
    return SIOC_ENOMEM;
  }
  char *p = b->data;
  memcpy(p, head, (size_t)n);
  p += n;
  if (extra) memcpy(p, extra_headers, extra);
  p += extra;
  memcpy(p, "\r\n", 2);
  p += 2;
  if (len) memcpy(p, body, len);
  int r = eio__conn_write(c, b, 0, b->len);
  sioc__rbuf_unref(b);
  return r;
}

/* ---- parsing ------------------------------------------------------------ */

static int on_message_begin(http_parser *p) {
  eio__conn_t *c = conn_of(p);
  if (c->holding_poll || c->pending_req) {
    /* Pipelining behind a parked long-poll: the client broke the protocol. */
    return -1;
  }
  if (!c->req) {
    c->req = malloc(sizeof(*c->req));
    if (!c->req) return -1;
  }
  eio__http_req_init(c->req);
  return 0;
}

static int collect(http_parser *p, int r) {
  conn_impl_t *ci = (conn_impl_t *)conn_of(p);
  if (r == SIOC_ELIMIT) ci->req_error = REQ_TOO_LARGE_HEADERS;
  else if (r) ci->req_error = REQ_NOMEM;
  return r ? -1 : 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  eio__conn_t *c = conn_of(p);
  return collect(p, eio__http_req_on_url(c->req, at, len,
                                         eio__options(c->server)->max_header_bytes));
}

/* RFC 9110 token characters: http-parser is lenient about header names. */
static int is_token(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= 32 || ch >= 127 || strchr("\"(),/:;<=>?@[\\]{}", ch)) return 0;
  }
  return 1;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  eio__conn_t *c = conn_of(p);
  if (!is_token(at, len)) return -1;
  return collect(p, eio__http_req_on_header_field(
                        c->req, at, len, eio__options(c->server)->max_header_bytes));
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  eio__conn_t *c = conn_of(p);
  return collect(p, eio__http_req_on_header_value(
                        c->req, at, len, eio__options(c->server)->max_header_bytes));
}

static int on_headers_complete(http_parser *p) {
  eio__conn_t *c = conn_of(p);
  conn_impl_t *ci = (conn_impl_t *)c;
  if (collect(p, eio__http_req_finish_headers(c->req, p))) return -1;
  if (p->http_major != 1) return -1;
  size_t max = eio__options(c->server)->max_http_buffer_size;
  if (p->content_length != ULLONG_MAX && p->content_length > max &&
      !(p->flags & F_CHUNKED)) {
    ci->req_error = REQ_TOO_LARGE_BODY;
    return -1;
  }
  if (p->method == HTTP_POST && !p->upgrade && sioc__server_route_post(c, c->req)) {
    ci->req_error = REQ_ANSWERED;
    return -1;
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  eio__conn_t *c = conn_of(p);
  conn_impl_t *ci = (conn_impl_t *)c;
  if (c->req->body.len + len > eio__options(c->server)->max_http_buffer_size) {
    ci->req_error = REQ_TOO_LARGE_BODY;
    return -1;
  }
  if (sioc__sbuf_append(&c->req->body, at, len)) {
    ci->req_error = REQ_NOMEM;
    return -1;
  }
  return 0;
}

static int on_message_complete(http_parser *p) {
  eio__conn_t *c = conn_of(p);
  if (c->req->upgrade) {
    /* Handled after http_parser_execute returns, with the bytes that
     * follow the request (the first WebSocket frames). */
    return 0;
  }
  if (!c->req->keep_alive) c->close_after_write = 1;
  eio__http_req_t *req = c->req;
  sioc__server_route(c, req);
  /* The router copied what it keeps; the request memory is reused. */
  if (c->req) eio__http_req_reset(c->req);
  if (c->closing) {
    http_parser_pause(p, 1);
  }
  return 0;
}

static void fail_request(eio__conn_t *c) {
  conn_impl_t *ci = (conn_impl_t *)c;
  c->close_after_write = 1;
  if (c->posting) {
    /* The POST was refused (413...), not lost: its session goes on. */
    if (c->posting->post == c) c->posting->post = NULL;
    c->posting = NULL;
  }
  switch (ci->req_error) {
    case REQ_TOO_LARGE_HEADERS:
      eio__conn_respond(c, 431, NULL, NULL, NULL, 0);
      break;
    case REQ_TOO_LARGE_BODY:
      eio__conn_respond(c, 413, NULL, NULL, NULL, 0);
      break;
    case REQ_NOMEM:
      eio__conn_respond(c, 503, NULL, NULL, NULL, 0);
      break;
    case REQ_ANSWERED:
      break;
    default:
      if (!c->holding_poll) eio__conn_respond(c, 400, NULL, NULL, NULL, 0);
      break;
  }
  eio__conn_close(c, 1);
}

static void feed_http(eio__conn_t *c, const char *data, size_t len) {
  size_t n = http_parser_execute(&c->parser, &parser_settings, data, len);
  if (c->closing) return;
  if (c->parser.upgrade) {
    eio__http_req_t *req = c->req;
    sioc__server_route(c, req);
    if (c->req) eio__http_req_reset(c->req);
    if (c->pending_req && !c->closing) {
      /* The application decides later; a client sends nothing before the
       * 101, so reading pauses until then. */
      uv_read_stop((uv_stream_t *)&c->tcp);
      c->read_paused = 1;
      return;
    }
    if (c->mode == CONN_WS && c->req) {
      /* No more HTTP on this connection: give the request state back. */
      eio__http_req_reset(c->req);
      free(c->req);
      c->req = NULL;
    }
    if (c->mode == CONN_WS && !c->closing && n < len)
      eio__ws_feed(c, data + n, len - n);
    else if (c->mode != CONN_WS && !c->closing)
      eio__conn_close(c, 1);
    return;
  }
  if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
    if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) return;
    fail_request(c);
  }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  eio__conn_t *c = h->data;
  sioc_server_t *s = c->server;
  if (s->read_buf_busy) {      /* never: reads are not reentrant */
    buf->base = NULL;
    buf->len = 0;
    return;
  }
  s->read_buf_busy = 1;
  buf->base = s->read_buf;
  buf->len = SIOC_READ_BUF_SIZE;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  eio__conn_t *c = stream->data;
  c->server->read_buf_busy = 0;
  if (nread < 0) {
    eio__conn_close(c, 0);
    return;
  }
  if (nread == 0 || c->closing) return;
  if (c->mode == CONN_WS) {
    eio__ws_feed(c, buf->base, (size_t)nread);
    /* The answers to this read go out together, now. */
    if (c->corked) flush_one(c);
  } else {
    feed_http(c, buf->base, (size_t)nread);
    if (c->corked) flush_one(c);   /* a 101 and the open packet */
  }
}

/* A new connection object on the server's loop, linked and counted.  The
 * caller gives it a socket (uv_accept or uv_tcp_open) then starts it. */
static eio__conn_t *conn_new(sioc_server_t *s) {
  conn_impl_t *ci = calloc(1, sizeof(*ci));
  if (!ci) return NULL;
  eio__conn_t *c = &ci->conn;
  c->server = s;
  eio__outq_init(&c->outq);
  sioc__list_init(&c->link);
  if (uv_tcp_init(s->loop, &c->tcp)) {
    free(ci);
    return NULL;
  }
  c->tcp.data = c;
  s->live_handles++;
  sioc__list_push_back(&s->conns, &c->link);
  s->n_conns++;
  return c;
}

/* Applies the connection limit, notes the peer and starts reading. */
static int conn_start(eio__conn_t *c) {
  sioc_server_t *s = c->server;
  const sioc_server_options_t *o = eio__options(s);
  if (o->max_connections && s->n_conns > o->max_connections) {
    close_now(c);
    return SIOC_ELIMIT;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  struct sockaddr_storage ss;
  int sl = sizeof(ss);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
    if (ss.ss_family == AF_INET6)
      uv_ip6_name((struct sockaddr_in6 *)&ss, c->address, sizeof(c->address));
    else
      uv_ip4_name((struct sockaddr_in *)&ss, c->address, sizeof(c->address));
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  int r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
  if (r) close_now(c);
  return r;
}

int eio__conn_read_resume(eio__conn_t *c) {
  if (c->closing) return SIOC_ECLOSED;
  if (!c->read_paused) return 0;
  c->read_paused = 0;
  int r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
  if (r) close_now(c);
  return r;
}

void sioc__conn_accept(sioc_server_t *s) {
  eio__conn_t *c = conn_new(s);
  if (!c) return;   /* out of memory: the connection waits in the backlog */
  if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp)) {
    close_now(c);
    return;
  }
  conn_start(c);
}

int sioc_server_adopt(sioc_server_t *s, uv_os_sock_t sock, const char *head,
                      size_t len) {
  if (s->closing) return SIOC_ECLOSED;
  if (len && !head) return SIOC_EINVAL;
  eio__conn_t *c = conn_new(s);
  if (!c) return SIOC_ENOMEM;
  c->adopted = 1;
  int r = uv_tcp_open(&c->tcp, sock);
  if (r) {
    /* The socket is ours even on failure: do not let it leak. */
    close(sock);
    close_now(c);
    return r;
  }
  if ((r = conn_start(c))) return r;
  if (len) {
    /* Parsed like a first read; parsers copy what they keep. */
    if (c->mode == CONN_WS) eio__ws_feed(c, head, len);
    else feed_http(c, head, len);
  }
  return 0;
}

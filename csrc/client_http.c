/* client_http.c - one HTTP/1.1 request per connection for the polling
 * transport, the response read by http-parser in HTTP_RESPONSE mode.
 *
 * Invariants: the callback runs at most once, and the request (with its
 * stream) is released right after it, or at cancel.  A response larger than
 * SIOC__CREQ_MAX_BODY or with a header block above 64 KiB fails the request
 * (a hostile server cannot make the client buffer without bound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_net.h"

#define SIOC__CREQ_MAX_BODY (64u * 1024 * 1024)
#define SIOC__CREQ_MAX_HEAD (64u * 1024)

struct sioc__creq_s {
  sioc__cstream_t *stream;
  http_parser parser;
  sioc__sbuf_t out;       /* the request, until connected */
  sioc__sbuf_t body;
  size_t head_bytes;
  int complete;
  int done;
  sioc__creq_cb cb;
  void *ud;
};

static void finish(sioc__creq_t *r, int err, const char *msg) {
  if (r->done) return;
  r->done = 1;
  if (r->stream) sioc__cstream_close(r->stream);
  r->stream = NULL;
  if (err == 0 && sioc__sbuf_appendc(&r->body, '\0')) {
    err = SIOC_ENOMEM;
    msg = "out of memory";
  }
  if (err == 0) r->body.len--;
  r->cb(r, err, msg, err ? 0 : (int)r->parser.status_code,
        err ? NULL : (r->body.data ? r->body.data : (char *)""), r->body.len,
        r->ud);
  sioc__sbuf_reset(&r->body);
  sioc__sbuf_reset(&r->out);
  free(r);
}

void sioc__creq_cancel(sioc__creq_t *r) {
  if (!r || r->done) return;
  r->done = 1;
  if (r->stream) sioc__cstream_close(r->stream);
  sioc__sbuf_reset(&r->body);
  sioc__sbuf_reset(&r->out);
  free(r);
}

static int on_header_bytes(http_parser *p, const char *at, size_t len) {
  sioc__creq_t *r = p->data;
  r->head_bytes += len;
  return r->head_bytes > SIOC__CREQ_MAX_HEAD;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  sioc__creq_t *r = p->data;
  if (r->body.len + len > SIOC__CREQ_MAX_BODY) return 1;
  return sioc__sbuf_append(&r->body, at, len) ? 1 : 0;
}

static int on_complete(http_parser *p) {
  sioc__creq_t *r = p->data;
  r->complete = 1;
  return 1;   /* stop: one response is all we read */
}

static const http_parser_settings settings = {
  .on_header_field = on_header_bytes,
  .on_header_value = on_header_bytes,
  .on_url = on_header_bytes,
  .on_status = on_header_bytes,
  .on_body = on_body,
  .on_message_complete = on_complete,
};

static void s_connect(sioc__cstream_t *s, int err, const char *msg, void *ud) {
  sioc__creq_t *r = ud;
  if (err) {
    r->stream = NULL;   /* the stream closes itself after this */
    finish(r, err, msg);
    return;
  }
  int e = sioc__cstream_write(s, r->out.data, r->out.len);
  sioc__sbuf_reset(&r->out);
  if (e) finish(r, e, "write failed");
}

static void s_data(sioc__cstream_t *s, const char *data, size_t len, void *ud) {
  sioc__creq_t *r = ud;
  size_t n = http_parser_execute(&r->parser, &settings, data, len);
  if (r->complete) {
    finish(r, 0, NULL);
    return;
  }
  if (n != len || HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
    char msg[160];
    snprintf(msg, sizeof(msg), "invalid HTTP response: %s",
             http_errno_description(HTTP_PARSER_ERRNO(&r->parser)));
    finish(r, SIOC_EPROTO, msg);
  }
}

static void s_end(sioc__cstream_t *s, int err, void *ud) {
  sioc__creq_t *r = ud;
  r->stream = NULL;
  if (err == UV_EOF) {
    /* A body delimited by the end of the connection. */
    http_parser_execute(&r->parser, &settings, NULL, 0);
    if (r->complete) {
      finish(r, 0, NULL);
      return;
    }
    finish(r, SIOC_EPROTO, "connection closed before a complete response");
    return;
  }
  finish(r, err, uv_strerror(err));
}

static const sioc__cstream_cbs_t stream_cbs = {s_connect, s_data, s_end};

int sioc__creq_start(const sioc__chttp_target_t *t, const char *method,
                     const char *target, const char *body, size_t len,
                     sioc__creq_cb cb, void *ud, sioc__creq_t **out) {
  sioc__creq_t *r = calloc(1, sizeof(*r));
  if (!r) return SIOC_ENOMEM;
  r->cb = cb;
  r->ud = ud;
  http_parser_init(&r->parser, HTTP_RESPONSE);
  r->parser.data = r;
  char hostport[300];
  int default_port = t->tls ? 443 : 80;
  int v6 = strchr(t->host, ':') != NULL;
  if (t->port == default_port)
    snprintf(hostport, sizeof(hostport), v6 ? "[%s]" : "%s", t->host);
  else
    snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%d" : "%s:%d", t->host, t->port);
  int e = 0;
  e |= sioc__sbuf_appends(&r->out, method);
  e |= sioc__sbuf_appendc(&r->out, ' ');
  e |= sioc__sbuf_appends(&r->out, target);
  e |= sioc__sbuf_appends(&r->out, " HTTP/1.1\r\nHost: ");
  e |= sioc__sbuf_appends(&r->out, hostport);
  e |= sioc__sbuf_appends(&r->out, "\r\nAccept: */*\r\nConnection: close\r\n");
  if (t->extra_headers) e |= sioc__sbuf_appends(&r->out, t->extra_headers);
  if (body) {
    e |= sioc__sbuf_appends(&r->out, "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ");
    e |= sioc__sbuf_append_u64(&r->out, len);
    e |= sioc__sbuf_appends(&r->out, "\r\n\r\n");
    e |= sioc__sbuf_append(&r->out, body, len);
  } else {
    e |= sioc__sbuf_appends(&r->out, "\r\n");
  }
  if (e) {
    sioc__sbuf_reset(&r->out);
    free(r);
    return SIOC_ENOMEM;
  }
  e = sioc__cstream_open(t->loop, t->host, t->port, t->tls, t->verify,
                         &stream_cbs, r, &r->stream);
  if (e) {
    sioc__sbuf_reset(&r->out);
    free(r);
    return e;
  }
  *out = r;
  return 0;
}

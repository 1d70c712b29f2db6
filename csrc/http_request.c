/* http_request.c - building an eio__http_req_t from http-parser callbacks.
 *
 * http-parser hands out the URL, header names and header values in pieces
 * that may be split across reads; pieces are appended to the arena and a
 * NUL is written whenever a field or value ends (detected by the switch from
 * value to field callbacks, and at end of headers).
 */
#include "http_request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void eio__http_req_init(eio__http_req_t *r) {
  memset(r, 0, sizeof(*r));
  sioc__sbuf_init(&r->arena);
  sioc__sbuf_init(&r->body);
}

void eio__http_req_reset(eio__http_req_t *r) {
  sioc__sbuf_reset(&r->arena);
  sioc__sbuf_reset(&r->body);
  free(r->headers);
  eio__http_req_init(r);
}

static int count(eio__http_req_t *r, size_t len, size_t max) {
  r->header_bytes += len;
  return r->header_bytes > max ? SIOC_ELIMIT : 0;
}

int eio__http_req_on_url(eio__http_req_t *r, const char *at, size_t len,
                         size_t max) {
  if (count(r, len, max)) return SIOC_ELIMIT;
  r->url_len += len;
  return sioc__sbuf_append(&r->arena, at, len);
}

int eio__http_req_on_header_field(eio__http_req_t *r, const char *at,
                                  size_t len, size_t max) {
  if (count(r, len + 4, max)) return SIOC_ELIMIT;
  int err = 0;
  if (r->n_headers == 0 && !r->in_value && r->arena.len == r->url_len)
    err = sioc__sbuf_appendc(&r->arena, '\0');   /* end of URL */
  if (!err && r->in_value) {
    err = sioc__sbuf_appendc(&r->arena, '\0');   /* end of previous value */
    r->in_value = 0;
    r->n_headers++;
  }
  return err ? err : sioc__sbuf_append(&r->arena, at, len);
}

int eio__http_req_on_header_value(eio__http_req_t *r, const char *at,
                                  size_t len, size_t max) {
  if (count(r, len, max)) return SIOC_ELIMIT;
  int err = 0;
  if (!r->in_value) {
    err = sioc__sbuf_appendc(&r->arena, '\0');   /* end of the name */
    r->in_value = 1;
  }
  return err ? err : sioc__sbuf_append(&r->arena, at, len);
}

int eio__http_req_finish_headers(eio__http_req_t *r, const http_parser *p) {
  int err = 0;
  if (r->n_headers == 0 && !r->in_value && r->arena.len == r->url_len)
    err = sioc__sbuf_appendc(&r->arena, '\0');
  if (!err && r->in_value) {
    err = sioc__sbuf_appendc(&r->arena, '\0');
    r->in_value = 0;
    r->n_headers++;
  }
  if (err) return err;
  r->method = p->method;
  r->http_major = p->http_major;
  r->http_minor = p->http_minor;
  r->keep_alive = http_should_keep_alive(p);
  r->upgrade = p->upgrade;
  r->headers = calloc(r->n_headers + 1, sizeof(*r->headers));
  if (!r->headers) return SIOC_ENOMEM;
  const char *s = r->arena.data;
  r->url = s;
  s += r->url_len + 1;
  for (size_t i = 0; i < r->n_headers; i++) {
    r->headers[i].name = s;
    s += strlen(s) + 1;
    r->headers[i].value = s;
    s += strlen(s) + 1;
  }
  const char *q = memchr(r->url, '?', r->url_len);
  r->path = r->url;
  r->path_len = q ? (size_t)(q - r->url) : r->url_len;
  r->query = q ? q + 1 : r->url + r->url_len;
  r->query_len = q ? r->url_len - r->path_len - 1 : 0;
  return 0;
}

const char *eio__http_req_header(const eio__http_req_t *r, const char *name) {
  for (size_t i = 0; i < r->n_headers; i++)
    if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
  return NULL;
}

const char *eio__query_get(const char *query, size_t qlen, const char *name,
                           size_t *vlen) {
  size_t nlen = strlen(name);
  const char *p = query, *end = query + qlen;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *pe = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(pe - p));
    const char *ke = eq ? eq : pe;
    if ((size_t)(ke - p) == nlen && memcmp(p, name, nlen) == 0) {
      const char *v = eq ? eq + 1 : pe;
      *vlen = (size_t)(pe - v);
      return v;
    }
    p = pe + 1;
  }
  return NULL;
}

int eio__header_has_token(const char *value, const char *token) {
  size_t tlen = strlen(token);
  const char *p = value;
  while (p && *p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    const char *e = p;
    while (*e && *e != ',') e++;
    const char *te = e;
    while (te > p && (te[-1] == ' ' || te[-1] == '\t')) te--;
    if ((size_t)(te - p) == tlen && strncasecmp(p, token, tlen) == 0) return 1;
    p = e;
  }
  return 0;
}

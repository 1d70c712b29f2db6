/* http_request.h - one parsed HTTP/1.1 request (request line, headers,
 * body), built incrementally by http-parser, plus query-string lookup.
 *
 * Header names and values are stored NUL-terminated in one arena so that a
 * session can keep a snapshot of them with a single copy.
 */
#ifndef SIOC_HTTP_REQUEST_H
#define SIOC_HTTP_REQUEST_H

#include <http_parser.h>
#include <stddef.h>

#include "buf.h"
#include "sioc.h"

typedef struct {
  int method;                 /* HTTP_GET, HTTP_POST, HTTP_OPTIONS, ... */
  unsigned http_major, http_minor;
  int keep_alive;             /* from http_should_keep_alive() */
  int upgrade;                /* parser saw an Upgrade request */
  sioc__sbuf_t arena;         /* url\0 name\0 value\0 name\0 value\0 ... */
  size_t url_len;
  size_t n_headers;
  size_t header_bytes;        /* request line + headers, for the limit */
  int in_value;               /* parser state: last callback was a value */
  sioc__sbuf_t body;
  /* filled by http_request_finish_headers(): */
  sioc_header_t *headers;     /* pointers into arena */
  const char *url;
  const char *path;  size_t path_len;
  const char *query; size_t query_len;   /* without '?' */
} eio__http_req_t;

/* Parser settings whose callbacks fill the eio__http_req_t found through the
 * parser's owner (see conn.c: on_message_complete etc. are set there). */
void eio__http_req_init(eio__http_req_t *r);
void eio__http_req_reset(eio__http_req_t *r);

/* Collect pieces from http-parser callbacks.  0, SIOC_ENOMEM or SIOC_ELIMIT
 * once the request line and headers exceed max_header_bytes. */
int eio__http_req_on_url(eio__http_req_t *r, const char *at, size_t len,
                         size_t max_header_bytes);
int eio__http_req_on_header_field(eio__http_req_t *r, const char *at,
                                  size_t len, size_t max_header_bytes);
int eio__http_req_on_header_value(eio__http_req_t *r, const char *at,
                                  size_t len, size_t max_header_bytes);
/* Indexes the arena once the headers are complete.  0 or SIOC_ENOMEM. */
int eio__http_req_finish_headers(eio__http_req_t *r, const http_parser *p);

/* Header value by case-insensitive name, or NULL. */
const char *eio__http_req_header(const eio__http_req_t *r, const char *name);

/* Looks up `name` in a query string (no percent-decoding: the values
 * Engine.IO reads are plain tokens).  Returns the value (not
 * NUL-terminated) and its length, or NULL when absent. */
const char *eio__query_get(const char *query, size_t qlen, const char *name,
                           size_t *vlen);

/* Whether a comma-separated header value contains token (case-insensitive),
 * as in "Connection: keep-alive, Upgrade". */
int eio__header_has_token(const char *value, const char *token);

#endif

/* client_net.h - internals of the client: byte streams (TCP, optionally
 * TLS), one-shot HTTP/1.1 requests, a WebSocket client connection and the
 * Engine.IO client session.  Nothing here is public; sioc.h's client section
 * is built on top in client_sio.c.
 *
 * Lifetime rule shared by every object here: `*_close()` stops all further
 * callbacks at once and frees the object later, after its uv handles' close
 * callbacks ran, so an object may be closed from inside its own callbacks.
 */
#ifndef SIOC_CLIENT_NET_H
#define SIOC_CLIENT_NET_H

#include <http_parser.h>
#include <openssl/ssl.h>
#include <wslay/wslay.h>

#include "buf.h"
#include "sioc.h"

/* ---- streams: client_tls.c ------------------------------------------------ */

typedef struct sioc__cstream_s sioc__cstream_t;

typedef struct {
  /* Connected (TLS handshake done too), or err < 0 with a message. */
  void (*on_connect)(sioc__cstream_t *s, int err, const char *msg, void *ud);
  /* Plain bytes from the peer. */
  void (*on_data)(sioc__cstream_t *s, const char *data, size_t len, void *ud);
  /* EOF (UV_EOF) or an error after the connection was up. */
  void (*on_end)(sioc__cstream_t *s, int err, void *ud);
} sioc__cstream_cbs_t;

/* Opens a connection to host:port; TLS when ctx is not NULL (then the
 * certificate is checked against `host` when verify is set).  0 or an error;
 * on success a callback always follows. */
int sioc__cstream_open(uv_loop_t *loop, const char *host, int port, SSL_CTX *ctx,
                       int verify, const sioc__cstream_cbs_t *cbs, void *ud,
                       sioc__cstream_t **out);
int sioc__cstream_write(sioc__cstream_t *s, const void *data, size_t len);
/* No callback after this; the memory goes with the handle's close. */
void sioc__cstream_close(sioc__cstream_t *s);

/* A TLS context: CA file (NULL: system default paths), verification on/off.
 * NULL on error with a message in err. */
SSL_CTX *sioc__tls_ctx_new(const char *ca_file, int verify, char *err,
                           size_t errlen);

/* ---- HTTP requests: client_http.c ----------------------------------------- */

typedef struct sioc__creq_s sioc__creq_t;

/* The end of a request: err 0 and the response (status, body), or err < 0
 * and a message.  The request is freed right after this returns. */
typedef void (*sioc__creq_cb)(sioc__creq_t *r, int err, const char *msg,
                              int status, char *body, size_t len, void *ud);

typedef struct {
  uv_loop_t *loop;
  const char *host;
  int port;
  SSL_CTX *tls;           /* NULL: plain */
  int verify;
  const char *extra_headers;   /* "Name: value\r\n"... or NULL */
} sioc__chttp_target_t;

/* Sends `method target` with body (POST: text/plain).  0 or an error. */
int sioc__creq_start(const sioc__chttp_target_t *t, const char *method,
                     const char *target, const char *body, size_t len,
                     sioc__creq_cb cb, void *ud, sioc__creq_t **out);
/* Cancels: the callback will not run. */
void sioc__creq_cancel(sioc__creq_t *r);

/* ---- WebSocket: client_ws.c ----------------------------------------------- */

typedef struct sioc__cws_s sioc__cws_t;

typedef struct {
  void (*on_open)(sioc__cws_t *w, void *ud);
  void (*on_message)(sioc__cws_t *w, char *data, size_t len, int binary,
                     void *ud);
  /* Failed or closed (err < 0, msg says why).  No callback follows. */
  void (*on_close)(sioc__cws_t *w, int err, const char *msg, void *ud);
} sioc__cws_cbs_t;

int sioc__cws_open(const sioc__chttp_target_t *t, const char *target,
                   size_t max_message, const sioc__cws_cbs_t *cbs, void *ud,
                   sioc__cws_t **out);
/* Sends one message (masked).  0 or an error. */
int sioc__cws_send(sioc__cws_t *w, const void *data, size_t len, int binary);
/* Two-part text message: prefix (one char) + data, no copy of data first. */
int sioc__cws_send2(sioc__cws_t *w, char prefix, const void *data, size_t len);
/* Sends a close frame when open; no callback after this. */
void sioc__cws_close(sioc__cws_t *w);

/* ---- Engine.IO client: client_eio.c --------------------------------------- */

typedef struct sioc__ceio_s sioc__ceio_t;

typedef struct {
  void (*on_open)(sioc__ceio_t *e, void *ud);
  /* One message; data is writable and NUL-terminated at data[len]. */
  void (*on_message)(sioc__ceio_t *e, char *data, size_t len, int binary,
                     void *ud);
  void (*on_ping)(sioc__ceio_t *e, void *ud);
  /* Lost or failed: reason is engine.io-client's ("transport close",
   * "transport error", "ping timeout", "parse error"), desc a detail.  When
   * it happens before on_open, it is a failed attempt (err < 0). */
  void (*on_close)(sioc__ceio_t *e, const char *reason, int err,
                   const char *desc, void *ud);
} sioc__ceio_cbs_t;

typedef struct {
  uv_loop_t *loop;
  const char *host;
  int port;
  SSL_CTX *tls;
  int verify;
  const char *path;            /* "/socket.io/" */
  const char *query;           /* extra query "a=b&c=d" or "" */
  const char *extra_headers;   /* "Name: value\r\n"... or "" */
  int transports;              /* SIOC_TRANSPORT_* */
  int upgrade;
} sioc__ceio_opts_t;

int sioc__ceio_open(const sioc__ceio_opts_t *o, const sioc__ceio_cbs_t *cbs,
                    void *ud, sioc__ceio_t **out);
/* Queues one message.  0 or an error. */
int sioc__ceio_send(sioc__ceio_t *e, const void *data, size_t len, int binary);
/* Closes (a close packet is sent when open); no callback after this but
 * `freed` (may be NULL), which runs once nothing of the session is left on
 * the loop (a polling goodbye POST gets up to a second). */
void sioc__ceio_close(sioc__ceio_t *e, void (*freed)(void *ud), void *ud);
/* "polling" or "websocket". */
const char *sioc__ceio_transport(const sioc__ceio_t *e);
const char *sioc__ceio_sid(const sioc__ceio_t *e);
/* 1 when a write would go out now (for volatile emits). */
int sioc__ceio_writable(const sioc__ceio_t *e);

#endif

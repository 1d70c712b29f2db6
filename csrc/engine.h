/* engine.h - Engine.IO v4 server internals: TCP connections, sessions, the
 * two transports and the listener that routes requests to them.
 *
 * Ownership:
 *  - sioc_server_t owns the listener, every eio__conn_t (list `conns`) and
 *    the engines (one per mount path).
 *  - an engine owns its sessions (map sid -> session).
 *  - a session points at the connections serving it (the WebSocket, the
 *    held long-poll GET, the WebSocket being probed); each such connection
 *    points back.  Whoever closes first clears both pointers.
 *  - memory of a connection or session is freed only from the close callback
 *    of its last uv handle.
 */
#ifndef SIOC_ENGINE_H
#define SIOC_ENGINE_H

#include <http_parser.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "eio_packet.h"
#include "http_request.h"
#include "list.h"
#include "outq.h"
#include "sioc.h"
#include "strmap.h"

typedef struct eio__conn_s eio__conn_t;
typedef struct eio__session_s eio__session_t;
typedef struct eio__engine_s eio__engine_t;
typedef struct eio__ws_s eio__ws_t;

/* ---- outgoing packets ----------------------------------------------------
 * An outgoing Engine.IO packet is one sioc__rbuf_t laid out as
 *   [headroom: unused | WebSocket frame header][payload]
 * where payload is the packet text ("4...", "2", "3probe") or, for a binary
 * message, its raw bytes.  The frame header depends only on the payload, so
 * it is written once and every WebSocket recipient sends the same bytes;
 * polling recipients use the payload alone.  rbuf fields used: `tag` bit 0 =
 * binary, `hdr` = frame header length. */
#define EIO_MSG_HEADROOM 10

sioc__rbuf_t *eio__msg_new(int binary, const char *prefix, size_t prefix_len,
                           const char *data, size_t len);
static inline char *eio__msg_payload(sioc__rbuf_t *m) { return m->data + EIO_MSG_HEADROOM; }
static inline size_t eio__msg_payload_len(const sioc__rbuf_t *m) { return m->len - EIO_MSG_HEADROOM; }
static inline int eio__msg_binary(const sioc__rbuf_t *m) { return m->tag & 1; }
/* A text packet of `type` with data. */
sioc__rbuf_t *eio__msg_packet(eio__type_t type, const char *data, size_t len);

/* ---- connections ------------------------------------------------------- */

typedef enum { CONN_HTTP, CONN_WS } eio__conn_mode_t;

struct eio__conn_s {
  uv_tcp_t tcp;
  sioc_server_t *server;
  sioc__list_t link;           /* server->conns */
  eio__outq_t outq;
  http_parser parser;
  eio__http_req_t *req;        /* request being parsed, NULL between */
  eio__ws_t *ws;               /* CONN_WS state */
  eio__session_t *session;     /* session served (held GET or WebSocket) */
  uint8_t mode;
  uint8_t closing;             /* uv_close called or pending */
  uint8_t close_after_write;   /* Connection: close, or fatal error */
  uint8_t holding_poll;        /* a long-poll GET is parked on this conn */
  uint8_t adopted;             /* handed over by a host HTTP server */
  uint8_t read_paused;         /* reading stopped until a decision */
  uint8_t corked;              /* listed in server->corked (eio__conn_send) */
  char *held_headers;          /* CORS lines for the parked GET's answer */
  eio__session_t *posting;     /* session whose POST body is being read */
  sioc_request_t *pending_req; /* handshake waiting for allow_request_async */
  char address[48];            /* peer IP */
  uint32_t last_write_turn;    /* server loop turn of the last write (volatile) */
};

/* Queues bytes (a reference) and starts writing.  Over the buffered-bytes
 * limit the connection is closed and SIOC_ELIMIT returned. */
int eio__conn_write(eio__conn_t *c, sioc__rbuf_t *buf, size_t off, size_t len);
/* Queues bytes (a reference) to go out with whatever else this connection
 * is sent during the loop's current batch of callbacks: at the end of the
 * read being handled, or after the poll phase's callbacks, or before the
 * loop would block (conn.c).  Order with eio__conn_write is kept (that
 * one first writes what was queued here).  Over the buffered-bytes limit,
 * counting only what the kernel does not take, the connection is closed
 * and SIOC_ELIMIT returned. */
int eio__conn_send(eio__conn_t *c, sioc__rbuf_t *buf, size_t off, size_t len);
/* Writes a complete HTTP response.  `extra_headers` are full lines ending in
 * CRLF (may be NULL).  CORS headers for the current request are added by the
 * caller through extra_headers. */
int eio__conn_respond(eio__conn_t *c, int status, const char *content_type,
                      const char *extra_headers, const char *body, size_t len);
/* Starts reading again after a pause (a handshake that waited). */
int eio__conn_read_resume(eio__conn_t *c);
/* Closes after pending writes are flushed (graceful) or right away; a
 * graceful close already under way is turned into an immediate one. */
void eio__conn_close(eio__conn_t *c, int graceful);

/* ---- WebSocket transport (ws_transport.c) ------------------------------ */

/* Validates the upgrade request, answers 101 and switches c to CONN_WS.
 * On a bad handshake answers 400 and returns SIOC_EPROTO. */
int eio__ws_accept(eio__conn_t *c, const eio__http_req_t *req);
/* The two halves: the check (NULL, or why the handshake is bad; the accept
 * key is computed) and the switch (answers 101 with that key). */
const char *eio__ws_check(const eio__http_req_t *req, char accept[29]);
int eio__ws_switch(eio__conn_t *c, const char accept[29]);
/* Feeds received bytes to the frame parser. */
void eio__ws_feed(eio__conn_t *c, const char *data, size_t len);
/* Sends a close frame with `code` and closes the connection after it. */
void eio__ws_close(eio__conn_t *c, uint16_t code);
void eio__ws_free(eio__conn_t *c);
/* Queues a message (eio__msg) as one frame. */
int eio__ws_send(eio__conn_t *c, sioc__rbuf_t *msg);

/* ---- sessions ---------------------------------------------------------- */

typedef enum { EIO_T_POLLING, EIO_T_WEBSOCKET } eio__transport_t;
typedef enum { EIO_S_OPEN, EIO_S_CLOSING, EIO_S_CLOSED } eio__state_t;

typedef struct {
  void (*on_open)(eio__session_t *s);
  void (*on_message)(eio__session_t *s, char *data, size_t len, int binary);
  void (*on_close)(eio__session_t *s, const char *reason);
  void (*on_upgrade)(eio__session_t *s);   /* now on WebSocket; may be NULL */
} eio__handler_t;

struct eio__engine_s {
  sioc_server_t *server;
  char *path;                  /* normalised: starts and ends with '/' */
  size_t path_len;
  sioc__strmap_t sessions;     /* sid -> eio__session_t */
  sioc__list_t session_list;
  sioc__list_t pending;        /* handshakes waiting for the application */
  eio__handler_t handler;
  void *user_data;
};

struct eio__session_s {
  eio__engine_t *engine;
  sioc__list_t link;           /* engine->session_list */
  char sid[24];
  uint8_t state;               /* eio__state_t */
  uint8_t transport;           /* eio__transport_t */
  uint8_t upgrading, upgraded;
  uint8_t ping_phase;          /* 0: waiting to ping, 1: waiting for pong */
  uint8_t ws_failed;           /* the WebSocket broke the protocol */
  eio__conn_t *ws;             /* WebSocket transport */
  eio__conn_t *poll;           /* held GET, NULL when none */
  eio__conn_t *probe;          /* WebSocket being upgraded to */
  eio__conn_t *post;           /* POST whose body is being read */
  sioc__rbuf_t **wbuf;         /* packets waiting for a GET (polling) */
  size_t wbuf_len, wbuf_cap;
  size_t wbuf_bytes;
  sioc__list_t hb_link;        /* server->hb_ping or hb_pong; after the
                                  close, server->graveyard */
  uint64_t hb_deadline;        /* next ping, or the pong's deadline */
  uv_timer_t *upgrade_timer;   /* upgrade timeout + noop ticks, while probing */
  uint64_t upgrade_deadline;
  int handles;                 /* open uv handles (the upgrade timer) */
  sioc_handshake_t hs;
  char *hs_arena;              /* owns hs strings */
  void *data;                  /* the upper layer's object */
};

/* Sends a packet (takes a new reference to msg).  SIOC_ECLOSED when the
 * session is not open. */
int eio__session_send(eio__session_t *s, sioc__rbuf_t *msg);
/* Closes the session with `reason`; the handler's on_close runs once. */
void eio__session_close(eio__session_t *s, const char *reason);
/* Server-initiated close: packets already queued are sent first. */
void eio__session_shutdown(eio__session_t *s);
/* 1 when a packet could go out now without queuing behind others
 * (socket.io's "transport.writable", used for volatile packets).  A
 * WebSocket that was written to during this loop turn counts as busy: in
 * engine.io it stays unwritable until the write's callback, so a volatile
 * packet right behind another one is dropped there too. */
int eio__session_writable(const eio__session_t *s);
const char *eio__session_transport_name(const eio__session_t *s);

/* Entry points from the listener. */
void eio__engine_init(eio__engine_t *e, sioc_server_t *server, const char *path);
void eio__engine_close_all(eio__engine_t *e, const char *reason);
void eio__engine_free(eio__engine_t *e);
void eio__engine_handle(eio__engine_t *e, eio__conn_t *c, eio__http_req_t *req);
/* A POST's headers are complete: registers it with its session so that a
 * concurrent second POST is caught.  -1 when the request was answered and
 * the connection must stop parsing. */
int eio__engine_post_begin(eio__engine_t *e, eio__conn_t *c, eio__http_req_t *req);
/* A WebSocket message arrived on a connection that serves a session. */
void eio__engine_ws_message(eio__conn_t *c, char *data, size_t len, int binary);
/* The connection serving a session went away ("transport close"), or failed
 * with a protocol error ("transport error"). */
void eio__engine_conn_lost(eio__conn_t *c);
void eio__engine_conn_failed(eio__conn_t *c);

/* A decoded packet from the session's transport; -1 when it closed. */
int eio__session_on_packet(eio__session_t *s, eio__packet_t *p);
const char *eio__error_message(int code);
/* A fresh random id (20 URL-safe characters + NUL).  0 or SIOC_ENOMEM. */
int eio__gen_id(char out[21]);

/* polling.c */
void eio__polling_get(eio__session_t *s, eio__conn_t *c, const eio__http_req_t *req);
/* Parks c as the session's GET; cors: header lines for its answer. */
void eio__polling_park(eio__session_t *s, eio__conn_t *c, const char *cors);
void eio__polling_post(eio__session_t *s, eio__conn_t *c, eio__http_req_t *req);
/* Answers the held GET with everything in wbuf (or a noop when empty). */
void eio__polling_flush(eio__session_t *s);
void eio__polling_release(eio__session_t *s, eio__type_t extra);

/* server.c helpers used by the transports */
const sioc_server_options_t *eio__options(const sioc_server_t *server);
/* CORS response header lines for this request (static storage, "" when
 * none). */
const char *eio__cors_headers(eio__conn_t *c, const eio__http_req_t *req,
                              char *buf, size_t cap);
/* Engine.IO error answer: 400/403 with {"code":N,"message":...}. */
void eio__respond_error(eio__conn_t *c, const eio__http_req_t *req, int code,
                        const char *message);

#endif

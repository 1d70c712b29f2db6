/* sioc.h - Socket.IO v5 / Engine.IO v4 server (and client) in C on libuv.
 *
 * This is the only public header of sioc.  Conventions:
 *
 *  - Every object is opaque and belongs to one uv_loop_t; every function
 *    must be called on that loop's thread.  Nothing blocks.
 *  - Functions returning int return 0 on success or a negative error code:
 *    one of the SIOC_E* codes below or a libuv error (UV_E*, a negative
 *    errno).  sioc_strerror() and sioc_err_name() describe both.
 *  - Callbacks take the object first and `void *user_data` last.  A callback
 *    may close or disconnect the object that is calling it.
 *  - Event arguments cross this API as UTF-8 JSON text (an array of the
 *    arguments) plus a list of binary attachments; inside the JSON a binary
 *    argument is the placeholder {"_placeholder":true,"num":N} naming
 *    attachment N, exactly as on the Socket.IO wire.
 *  - Strings passed in are copied unless stated otherwise; pointers handed
 *    to a callback are valid only for the duration of that callback.
 */
#ifndef SIOC_H
#define SIOC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SIOC_EXTERN __attribute__((visibility("default")))
#else
#define SIOC_EXTERN
#endif

/* ---- errors ------------------------------------------------------------ */

/* X(name, value, message).  Values sit far below libuv's (-errno) range. */
#define SIOC_ERRNO_MAP(X)                                                    \
  X(NOMEM, -30001, "out of memory")                                          \
  X(INVAL, -30002, "invalid argument")                                       \
  X(CLOSED, -30003, "the socket or server is closed")                        \
  X(PROTO, -30004, "protocol error: malformed packet or request")            \
  X(LIMIT, -30005, "a configured limit was exceeded")                        \
  X(TIMEDOUT, -30006, "operation timed out")                                 \
  X(NOTFOUND, -30007, "no such namespace, socket or room")                   \
  X(BUSY, -30008, "the object is busy or in the wrong state")                \
  X(JSON, -30009, "invalid JSON text")

typedef enum {
#define SIOC__ERR_ENUM(name, value, msg) SIOC_E##name = value,
  SIOC_ERRNO_MAP(SIOC__ERR_ENUM)
#undef SIOC__ERR_ENUM
  SIOC__ERR_LAST = -30000
} sioc_errno_t;

/* A static description of err (a SIOC_E* or libuv error code). */
SIOC_EXTERN const char *sioc_strerror(int err);
/* The code's short name, e.g. "SIOC_EPROTO" or libuv's "ECONNRESET". */
SIOC_EXTERN const char *sioc_err_name(int err);

/* ---- common types ------------------------------------------------------ */

typedef struct sioc_server_s sioc_server_t;       /* a listener + engines */
typedef struct sioc_nsp_s sioc_nsp_t;             /* a Socket.IO namespace */
typedef struct sioc_socket_s sioc_socket_t;       /* a client in a namespace */
typedef struct sioc_eio_socket_s sioc_eio_socket_t; /* a raw Engine.IO session */

/* A binary attachment: bytes borrowed for the duration of a call. */
typedef struct {
  const uint8_t *data;
  size_t len;
} sioc_bin_t;

/* One request header, as received (name in the client's case). */
typedef struct {
  const char *name;
  const char *value;
} sioc_header_t;

/* What the client sent when it opened its session (socket.handshake).
 * Valid as long as the socket or Engine.IO session it belongs to. */
typedef struct {
  const sioc_header_t *headers;
  size_t n_headers;
  const char *url;        /* request target of the first request */
  const char *query;      /* the query string without '?', "" when none */
  const char *address;    /* peer IP address */
  int64_t time_ms;        /* Unix time of the handshake, milliseconds */
  int secure;             /* 1 when the request came over TLS */
  int xdomain;            /* 1 when an Origin header was present */
} sioc_handshake_t;

/* Returns the value of header `name` (case-insensitive) or NULL. */
SIOC_EXTERN const char *sioc_handshake_header(const sioc_handshake_t *hs,
                                              const char *name);

/* ---- server ------------------------------------------------------------ */

enum {
  SIOC_TRANSPORT_POLLING = 1,
  SIOC_TRANSPORT_WEBSOCKET = 2
};

/* CORS decision for one request: return 1 to allow `origin` (the response
 * then echoes it), 0 to send no CORS headers. */
typedef int (*sioc_cors_cb)(sioc_server_t *server, const char *origin,
                            void *user_data);

/* Handshake admission (socket.io's allowRequest): return NULL to accept, or
 * a static message to refuse with 403 {"code":4,"message":<msg>}. */
typedef const char *(*sioc_allow_request_cb)(sioc_server_t *server,
                                             const sioc_handshake_t *hs,
                                             void *user_data);

typedef struct {
  const char *path;               /* Socket.IO mount, "/socket.io/" */
  const char *eio_path;           /* raw Engine.IO mount; NULL: "/engine.io/"
                                     once sioc_server_on_eio() is called */
  uint32_t ping_interval_ms;      /* 25000 */
  uint32_t ping_timeout_ms;       /* 20000 */
  uint32_t connect_timeout_ms;    /* 45000: time to join a namespace */
  uint32_t upgrade_timeout_ms;    /* 10000 */
  size_t max_http_buffer_size;    /* 1000000: message and POST body bytes */
  size_t max_attachments;         /* 10 binary attachments per packet */
  size_t max_header_bytes;        /* 16384 bytes of request target+headers */
  size_t max_ws_fragments;        /* 16384 frames per WebSocket message */
  size_t max_buffered_bytes;      /* 16 MiB queued toward one client */
  size_t max_connections;         /* 0: unlimited TCP connections */
  int transports;                 /* SIOC_TRANSPORT_* mask, both */
  int allow_upgrades;             /* 1 */
  /* CORS: off when no origin is given.  "*" allows any origin. */
  const char *const *cors_origins;
  size_t n_cors_origins;
  int cors_credentials;           /* Access-Control-Allow-Credentials */
  sioc_cors_cb cors_cb;           /* overrides cors_origins when set */
  sioc_allow_request_cb allow_request;
  void *user_data;                /* passed to the callbacks above */
} sioc_server_options_t;

/* Fills opts with the defaults above. */
SIOC_EXTERN void sioc_server_options_init(sioc_server_options_t *opts);

/* ---- options by name ------------------------------------------------------
 * Both bindings configure a server with socket.io's option names (and the
 * classic 0.9 names of io.set()/io.configure()), so the names, types, unit
 * conversions and error messages live here once.  A builder owns the
 * strings it is given. */
typedef struct sioc_options_s sioc_options_t;

/* A builder holding the defaults, or NULL (out of memory). */
SIOC_EXTERN sioc_options_t *sioc_options_new(void);
SIOC_EXTERN void sioc_options_free(sioc_options_t *o);

/* Sets option `name` from the JSON text value[0..len).  Modern names
 * (exact case): path, pingInterval, pingTimeout, connectTimeout,
 * upgradeTimeout (positive integer ms), maxHttpBufferSize (positive integer
 * bytes; 1e6 is fine), transports (non-empty array of "polling",
 * "websocket"), allowUpgrades, addTrailingSlash (bool; both forms are
 * served), cors (false | null | true | {origin: "*" | string | [strings] |
 * true (any origin) | false, credentials: bool, methods and allowedHeaders
 * checked and ignored}; a missing origin means "*", as in the cors
 * package), allowEIO3 (false only), perMessageDeflate / httpCompression /
 * cookie (false only: not supported), and sioc's own limits maxAttachments,
 * maxHeaderBytes, maxWebSocketFragments, maxBufferedBytes, maxConnections.
 * Classic names (exact strings): "heartbeat interval" (seconds), "heartbeat
 * timeout" and "close timeout" (seconds; pingTimeout becomes the larger of
 * the two), "destroy buffer size", "transports" (also websocket,
 * xhr-polling, jsonp-polling; htmlfile and flashsocket are skipped),
 * "heartbeats" and "destroy upgrade" (true only: always on), "origins"
 * ("*:*" or "host:port" entries,
 * expanded to http:// and https:// origins; also sets credentials, as 0.9
 * did), "resource".  Returns 0; SIOC_ENOTFOUND for a name the host
 * implements (allowRequest, serveClient, adapter, parser,
 * connectionStateRecovery, cleanupEmptyChildNamespaces, wsEngine,
 * initialPacket, destroyUpgrade, destroyUpgradeTimeout, and the classic
 * "authorization", "browser client", "log", "log level" once their value is
 * checked); SIOC_EINVAL for a bad value (text that is not JSON included), an
 * unknown name or a classic option without an equivalent; SIOC_ENOMEM.
 * A failed call changes nothing.  A one-line message naming the option is
 * written to err (if not NULL, truncated to errlen) on every non-zero
 * return. */
SIOC_EXTERN int sioc_options_set(sioc_options_t *o, const char *name,
                                 const char *value, size_t len, char *err,
                                 size_t errlen);

/* The options as set so far; valid until the next set or free.  Pass it to
 * sioc_server_new(), which copies it. */
SIOC_EXTERN const sioc_server_options_t *sioc_options_get(const sioc_options_t *o);

/* Creates a server on `loop`.  opts may be NULL (defaults); it is copied.
 * Returns 0 and *out, SIOC_EINVAL for bad options, SIOC_ENOMEM. */
SIOC_EXTERN int sioc_server_new(uv_loop_t *loop,
                                const sioc_server_options_t *opts,
                                sioc_server_t **out);

/* Starts listening on host:port (port 0 picks a free port).  0 or a libuv
 * error (UV_EADDRINUSE, ...). */
SIOC_EXTERN int sioc_server_listen(sioc_server_t *server, const char *host,
                                   int port);

/* Hands the server a TCP socket that someone else accepted, such as a host
 * HTTP server that read the first request and saw it was for sioc.  `head`
 * holds bytes already read from the socket (for example that request,
 * serialized again); they are parsed before anything read afterwards.  The
 * server owns `sock` from now on and closes it.  HTTP answers on an adopted
 * socket carry "Connection: close" (the client's next request, perhaps for
 * a path of the host's, comes on a new connection to the host); a WebSocket
 * stays.  0 or a libuv error. */
SIOC_EXTERN int sioc_server_adopt(sioc_server_t *server, uv_os_sock_t sock,
                                  const char *head, size_t len);

/* Serves a fixed document at exactly `url_path` (GET; any query is
 * ignored), e.g. the socket.io client bundle at "/socket.io/socket.io.js".
 * The data is copied.  Routes are checked before the Engine.IO mounts.
 * 0, SIOC_EINVAL, SIOC_ENOMEM. */
SIOC_EXTERN int sioc_server_serve(sioc_server_t *server, const char *url_path,
                                  const char *content_type, const void *data,
                                  size_t len);

/* The bound port, or a negative error when not listening. */
SIOC_EXTERN int sioc_server_port(const sioc_server_t *server);

/* The loop the server runs on. */
SIOC_EXTERN uv_loop_t *sioc_server_loop(const sioc_server_t *server);

/* `server` is always NULL: the server is already freed when this runs. */
typedef void (*sioc_server_close_cb)(sioc_server_t *server, void *user_data);

/* Disconnects every client with the reason "server shutting down", stops
 * listening, closes every handle and frees the server; `cb` (may be NULL)
 * runs once everything is freed.  The server must not be used after this
 * call.  Calling it twice is an error (SIOC_EBUSY). */
SIOC_EXTERN int sioc_server_close(sioc_server_t *server,
                                  sioc_server_close_cb cb, void *user_data);

/* Live-object counters, for leak checks: open TCP connections, Engine.IO
 * sessions, Socket.IO sockets. */
typedef struct {
  size_t connections;
  size_t sessions;
  size_t sockets;
} sioc_server_stats_t;
SIOC_EXTERN void sioc_server_stats(const sioc_server_t *server,
                                   sioc_server_stats_t *out);

/* ---- namespaces -------------------------------------------------------- */

/* The namespace `name` ("/" or "/chat"), created on first use.  NULL on
 * SIOC_ENOMEM or when name does not start with '/'. */
SIOC_EXTERN sioc_nsp_t *sioc_server_of(sioc_server_t *server, const char *name);

/* Dynamic namespaces: called for a CONNECT to a namespace that does not
 * exist; return the namespace to create (usually sioc_server_of(server,
 * name) after setting its callbacks) or NULL to refuse with "Invalid
 * namespace". */
typedef sioc_nsp_t *(*sioc_nsp_resolve_cb)(sioc_server_t *server,
                                           const char *name, void *user_data);
SIOC_EXTERN void sioc_server_on_new_nsp(sioc_server_t *server,
                                        sioc_nsp_resolve_cb cb,
                                        void *user_data);

SIOC_EXTERN const char *sioc_nsp_name(const sioc_nsp_t *nsp);
SIOC_EXTERN sioc_server_t *sioc_nsp_server(const sioc_nsp_t *nsp);

/* Connect middleware: runs for every CONNECT before the socket joins the
 * namespace.  The socket is not connected yet; `auth_json` is the CONNECT
 * payload ("{}" when none).  Decide now or later by calling
 * sioc_socket_accept() or sioc_socket_reject() exactly once. */
typedef void (*sioc_middleware_cb)(sioc_socket_t *socket, const char *auth_json,
                                   size_t auth_len, void *user_data);
SIOC_EXTERN void sioc_nsp_use(sioc_nsp_t *nsp, sioc_middleware_cb cb,
                              void *user_data);

typedef void (*sioc_connection_cb)(sioc_socket_t *socket, void *user_data);
SIOC_EXTERN void sioc_nsp_on_connection(sioc_nsp_t *nsp, sioc_connection_cb cb,
                                        void *user_data);

/* An event from a client.  name is NUL-terminated UTF-8; args is a JSON
 * array of the arguments after the name, with binary placeholders; ack_id
 * is >= 0 when the client asked for an acknowledgement (answer it with
 * sioc_socket_ack).  Everything is valid only during the callback. */
typedef struct {
  const char *name;
  size_t name_len;
  const char *args;
  size_t args_len;
  const sioc_bin_t *attachments;
  size_t n_attachments;
  int64_t ack_id;
} sioc_event_t;

typedef void (*sioc_event_cb)(sioc_socket_t *socket, const sioc_event_t *ev,
                              void *user_data);
/* Every event of every socket of the namespace goes to this callback. */
SIOC_EXTERN void sioc_nsp_on_event(sioc_nsp_t *nsp, sioc_event_cb cb,
                                   void *user_data);

/* Disconnect reasons are socket.io's strings: "client namespace
 * disconnect", "server namespace disconnect", "server shutting down",
 * "ping timeout", "transport close", "transport error", "parse error",
 * "forced close", "forced server close". */
typedef void (*sioc_disconnect_cb)(sioc_socket_t *socket, const char *reason,
                                   void *user_data);
/* `disconnecting` runs while the socket is still in its rooms,
 * `disconnect` after it left them. */
SIOC_EXTERN void sioc_nsp_on_disconnecting(sioc_nsp_t *nsp,
                                           sioc_disconnect_cb cb,
                                           void *user_data);
SIOC_EXTERN void sioc_nsp_on_disconnect(sioc_nsp_t *nsp, sioc_disconnect_cb cb,
                                        void *user_data);

/* ---- broadcasting ------------------------------------------------------ */

enum {
  SIOC_BCAST_VOLATILE = 1,   /* skip clients that cannot take it right now */
  SIOC_BCAST_LOCAL = 2,      /* this process only (with a cluster adapter) */
  SIOC_BCAST_COMPRESS = 4    /* accepted for API parity; no compression */
};

/* Targets: sockets in any of `rooms` (every socket when n_rooms == 0) and
 * in none of `except_rooms`.  Socket ids are rooms, so "everyone but me" is
 * except_rooms = {my id}. */
typedef struct {
  const char *const *rooms;
  size_t n_rooms;
  const char *const *except_rooms;
  size_t n_except;
  int flags;
} sioc_target_t;

/* Emits an event to the targets of nsp (target NULL: everyone).  The packet
 * is encoded once and shared by every recipient.  args: JSON array text.
 * 0, SIOC_EJSON, SIOC_EINVAL, SIOC_ENOMEM. */
SIOC_EXTERN int sioc_nsp_emit(sioc_nsp_t *nsp, const sioc_target_t *target,
                              const char *event, const char *args,
                              size_t args_len, const sioc_bin_t *attachments,
                              size_t n_attachments);

/* Result of a broadcast with acknowledgements: `responses` is a JSON array
 * holding, per client that answered in time, its first ack argument (as
 * socket.io does); err is 0 or SIOC_ETIMEDOUT when some did not answer. */
typedef void (*sioc_bcast_ack_cb)(sioc_nsp_t *nsp, int err,
                                  const char *responses, size_t len,
                                  void *user_data);
SIOC_EXTERN int sioc_nsp_emit_with_ack(sioc_nsp_t *nsp,
                                       const sioc_target_t *target,
                                       const char *event, const char *args,
                                       size_t args_len,
                                       const sioc_bin_t *attachments,
                                       size_t n_attachments,
                                       uint32_t timeout_ms,
                                       sioc_bcast_ack_cb cb, void *user_data);

/* Calls cb for each socket of the targets (local ones); stop early by
 * returning non-zero.  Do not join, leave or disconnect from cb: collect
 * first (sioc_socket_ref) and act after. */
typedef int (*sioc_socket_iter_cb)(sioc_socket_t *socket, void *user_data);
SIOC_EXTERN void sioc_nsp_foreach_socket(sioc_nsp_t *nsp,
                                         const sioc_target_t *target,
                                         sioc_socket_iter_cb cb,
                                         void *user_data);

/* Calls cb with every room name of nsp (socket id rooms included). */
typedef int (*sioc_room_iter_cb)(const char *room, size_t n_members,
                                 void *user_data);
SIOC_EXTERN void sioc_nsp_foreach_room(sioc_nsp_t *nsp, sioc_room_iter_cb cb,
                                       void *user_data);

/* The targets join / leave `rooms`, or are disconnected (close != 0 also
 * closes their underlying connection). */
SIOC_EXTERN int sioc_nsp_sockets_join(sioc_nsp_t *nsp,
                                      const sioc_target_t *target,
                                      const char *const *rooms, size_t n);
SIOC_EXTERN int sioc_nsp_sockets_leave(sioc_nsp_t *nsp,
                                       const sioc_target_t *target,
                                       const char *const *rooms, size_t n);
SIOC_EXTERN int sioc_nsp_disconnect_sockets(sioc_nsp_t *nsp,
                                            const sioc_target_t *target,
                                            int close);

/* Number of connected sockets in nsp. */
SIOC_EXTERN size_t sioc_nsp_socket_count(const sioc_nsp_t *nsp);
/* A connected socket by id, or NULL. */
SIOC_EXTERN sioc_socket_t *sioc_nsp_socket(const sioc_nsp_t *nsp,
                                           const char *id);

/* ---- sockets ----------------------------------------------------------- */

/* References keep the socket's memory alive after it disconnected (calls
 * then fail with SIOC_ECLOSED).  The server holds one reference while the
 * socket is connected; a host wrapper takes its own. */
SIOC_EXTERN sioc_socket_t *sioc_socket_ref(sioc_socket_t *socket);
SIOC_EXTERN void sioc_socket_unref(sioc_socket_t *socket);

SIOC_EXTERN const char *sioc_socket_id(const sioc_socket_t *socket);
SIOC_EXTERN sioc_nsp_t *sioc_socket_nsp(const sioc_socket_t *socket);
SIOC_EXTERN int sioc_socket_connected(const sioc_socket_t *socket);
/* The handshake; the auth payload is separate (sioc_socket_auth). */
SIOC_EXTERN const sioc_handshake_t *sioc_socket_handshake(const sioc_socket_t *socket);
/* The CONNECT auth payload as JSON text ("{}" when none). */
SIOC_EXTERN const char *sioc_socket_auth(const sioc_socket_t *socket, size_t *len);
/* The Engine.IO transport in use: "polling" or "websocket". */
SIOC_EXTERN const char *sioc_socket_transport(const sioc_socket_t *socket);

SIOC_EXTERN void sioc_socket_set_data(sioc_socket_t *socket, void *data);
SIOC_EXTERN void *sioc_socket_get_data(const sioc_socket_t *socket);

/* Completes a middleware decision.  reject: message is required, data_json
 * (may be NULL) becomes the error's `data`.  SIOC_EBUSY if already decided,
 * SIOC_ECLOSED if the client left meanwhile. */
SIOC_EXTERN int sioc_socket_accept(sioc_socket_t *socket);
SIOC_EXTERN int sioc_socket_reject(sioc_socket_t *socket, const char *message,
                                   const char *data_json, size_t data_len);

SIOC_EXTERN int sioc_socket_emit(sioc_socket_t *socket, const char *event,
                                 const char *args, size_t args_len,
                                 const sioc_bin_t *attachments,
                                 size_t n_attachments);

/* Called once with err 0 and the client's ack arguments (a JSON array), or
 * with SIOC_ETIMEDOUT / SIOC_ECLOSED and args NULL. */
typedef void (*sioc_ack_cb)(sioc_socket_t *socket, int err, const char *args,
                            size_t args_len, const sioc_bin_t *attachments,
                            size_t n_attachments, void *user_data);
/* timeout_ms 0 waits until the socket disconnects. */
SIOC_EXTERN int sioc_socket_emit_with_ack(sioc_socket_t *socket,
                                          const char *event, const char *args,
                                          size_t args_len,
                                          const sioc_bin_t *attachments,
                                          size_t n_attachments,
                                          uint32_t timeout_ms, sioc_ack_cb cb,
                                          void *user_data);

/* Answers the client's ack request `ack_id` (from sioc_event_t). */
SIOC_EXTERN int sioc_socket_ack(sioc_socket_t *socket, int64_t ack_id,
                                const char *args, size_t args_len,
                                const sioc_bin_t *attachments,
                                size_t n_attachments);

SIOC_EXTERN int sioc_socket_join(sioc_socket_t *socket, const char *room);
SIOC_EXTERN int sioc_socket_leave(sioc_socket_t *socket, const char *room);
/* Calls cb with each room of the socket (its own id room included). */
SIOC_EXTERN void sioc_socket_foreach_room(sioc_socket_t *socket,
                                          sioc_room_iter_cb cb,
                                          void *user_data);

/* Leaves the namespace: the client gets a DISCONNECT packet, the socket's
 * disconnect reason is "server namespace disconnect".  With close != 0 every
 * namespace of that client leaves the same way and then the connection is
 * closed (socket.io's socket.disconnect(true)). */
SIOC_EXTERN int sioc_socket_disconnect(sioc_socket_t *socket, int close);

/* ---- raw Engine.IO ----------------------------------------------------- */

typedef void (*sioc_eio_connection_cb)(sioc_eio_socket_t *s, void *user_data);
typedef void (*sioc_eio_message_cb)(sioc_eio_socket_t *s, const char *data,
                                    size_t len, int binary, void *user_data);
typedef void (*sioc_eio_close_cb)(sioc_eio_socket_t *s, const char *reason,
                                  void *user_data);

/* Enables the raw Engine.IO endpoint, at options.eio_path or, when that is
 * NULL, at "/engine.io/" (engine.io's default), and sets its callbacks.
 * 0 or SIOC_ENOMEM. */
SIOC_EXTERN int sioc_server_on_eio(sioc_server_t *server,
                                   sioc_eio_connection_cb on_connection,
                                   sioc_eio_message_cb on_message,
                                   sioc_eio_close_cb on_close,
                                   void *user_data);
SIOC_EXTERN const char *sioc_eio_socket_id(const sioc_eio_socket_t *s);
SIOC_EXTERN const sioc_handshake_t *sioc_eio_socket_handshake(const sioc_eio_socket_t *s);
SIOC_EXTERN int sioc_eio_socket_send(sioc_eio_socket_t *s, const void *data,
                                     size_t len, int binary);
SIOC_EXTERN int sioc_eio_socket_close(sioc_eio_socket_t *s);
SIOC_EXTERN void sioc_eio_socket_set_data(sioc_eio_socket_t *s, void *data);
SIOC_EXTERN void *sioc_eio_socket_get_data(const sioc_eio_socket_t *s);

#ifdef __cplusplus
}
#endif
#endif /* SIOC_H */

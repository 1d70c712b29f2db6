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
 *  - The process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)): libuv
 *    writes with write(2), and a peer that resets mid-write would otherwise
 *    kill the process.  Node and CPython already ignore it.
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
 * a message (copied) to refuse with 403 {"code":4,"message":<msg>}. */
typedef const char *(*sioc_allow_request_cb)(sioc_server_t *server,
                                             const sioc_handshake_t *hs,
                                             void *user_data);

/* The same decision taken later (socket.io's allowRequest is
 * asynchronous): the handshake waits until sioc_request_allow() or
 * sioc_request_refuse() is called on `req`, which must happen exactly once,
 * from the loop thread, now or later.  hs is valid until then. */
typedef struct sioc_request_s sioc_request_t;
typedef void (*sioc_allow_request_async_cb)(sioc_server_t *server,
                                            const sioc_handshake_t *hs,
                                            sioc_request_t *req,
                                            void *user_data);
/* Admits the handshake (the session opens) and frees req.  SIOC_ECLOSED when
 * the client or the server went away meanwhile (req is freed all the same). */
SIOC_EXTERN int sioc_request_allow(sioc_request_t *req);
/* Refuses it: 403 {"code":4,"message":<message>} (NULL: "Forbidden"), or a
 * 400 answer to a WebSocket upgrade; frees req.  SIOC_ECLOSED as above. */
SIOC_EXTERN int sioc_request_refuse(sioc_request_t *req, const char *message);

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
  /* Preflight answers: NULL gives the cors package's defaults,
   * "GET,HEAD,PUT,PATCH,POST,DELETE" and the headers the request asks for. */
  const char *cors_methods;       /* Access-Control-Allow-Methods */
  const char *cors_allowed_headers; /* Access-Control-Allow-Headers */
  sioc_cors_cb cors_cb;           /* overrides cors_origins when set */
  sioc_allow_request_cb allow_request;
  sioc_allow_request_async_cb allow_request_async;   /* wins over the above */
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
 * (alias headers): a string or an array of strings, joined with ","}, the
 * preflight's answer); a missing origin means "*", as in the cors
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

/* An Engine.IO request refused with an error answer (engine.io's
 * "connection_error" event): code and message are those of the answer
 * (0 "Transport unknown" ... 5 "Unsupported protocol version"). */
typedef struct {
  int code;
  const char *message;
  const char *method;             /* "GET", "POST", ... */
  const char *url;
  const sioc_header_t *headers;
  size_t n_headers;
  const char *address;            /* peer IP */
} sioc_connection_error_t;

typedef void (*sioc_connection_error_cb)(sioc_server_t *server,
                                         const sioc_connection_error_t *e,
                                         void *user_data);
/* Called for every refused Engine.IO request (NULL: none). */
SIOC_EXTERN void sioc_server_on_connection_error(sioc_server_t *server,
                                                 sioc_connection_error_cb cb,
                                                 void *user_data);

/* Live-object counters, for leak checks: open TCP connections, Engine.IO
 * sessions, Socket.IO sockets, namespaces ("/" included). */
typedef struct {
  size_t connections;
  size_t sessions;
  size_t sockets;
  size_t namespaces;
} sioc_server_stats_t;
SIOC_EXTERN void sioc_server_stats(const sioc_server_t *server,
                                   sioc_server_stats_t *out);

/* ---- namespaces -------------------------------------------------------- */

/* The namespace `name` ("/" or "/chat"), created on first use.  NULL on
 * SIOC_ENOMEM or when name does not start with '/'. */
SIOC_EXTERN sioc_nsp_t *sioc_server_of(sioc_server_t *server, const char *name);

/* The namespace `name` if it exists, else NULL; never creates one (a host
 * acting on a namespace it may have freed with sioc_nsp_free must not
 * bring it back without its callbacks). */
SIOC_EXTERN sioc_nsp_t *sioc_server_nsp(const sioc_server_t *server,
                                        const char *name);

/* Request headers as socket.io shows them (socket.handshake.headers): a
 * JSON object text, names lowercased, a repeated header joined as Node's
 * http module joins it (", ", "; " for cookie; set-cookie an array).  The
 * caller free()s it; NULL on out-of-memory.  For hosts that build the
 * handshake object themselves (the Python binding). */
SIOC_EXTERN char *sioc_headers_json(const sioc_header_t *headers, size_t n);

/* Dynamic namespaces: called for a CONNECT to a namespace that does not
 * exist; return the namespace to create (usually sioc_server_of(server,
 * name) after setting its callbacks) or NULL to refuse with "Invalid
 * namespace". */
typedef sioc_nsp_t *(*sioc_nsp_resolve_cb)(sioc_server_t *server,
                                           const char *name, void *user_data);
SIOC_EXTERN void sioc_server_on_new_nsp(sioc_server_t *server,
                                        sioc_nsp_resolve_cb cb,
                                        void *user_data);

/* The same question answered later (socket.io's io.of(fn) calls fn(name,
 * auth, next) and the CONNECT waits for next(err, allow), now or later):
 * the CONNECT waits until sioc_nsp_request_answer() is called on req,
 * exactly once, from the loop thread.  auth_json is the CONNECT payload
 * ("{}" when none); name and auth_json stay valid until the answer.  The
 * connect timeout keeps running meanwhile, as in socket.io.  When set, it
 * is used instead of the sioc_server_on_new_nsp callback. */
typedef struct sioc_nsp_request_s sioc_nsp_request_t;
typedef void (*sioc_nsp_request_cb)(sioc_server_t *server, sioc_nsp_request_t *req,
                                    const char *name, const char *auth_json,
                                    size_t auth_len, void *user_data);
SIOC_EXTERN void sioc_server_on_new_nsp_async(sioc_server_t *server,
                                              sioc_nsp_request_cb cb,
                                              void *user_data);
/* Answers req and frees it.  nsp (a namespace of the same server, usually
 * sioc_server_of(server, name)) lets the CONNECT go on to its middlewares;
 * NULL refuses it with "Invalid namespace".  SIOC_ECLOSED when the client
 * or the server went away meanwhile, SIOC_EINVAL for a namespace of another
 * server (req is freed all the same). */
SIOC_EXTERN int sioc_nsp_request_answer(sioc_nsp_request_t *req, sioc_nsp_t *nsp);

/* Removes a namespace that has no socket (connected or in its middlewares)
 * -- socket.io's cleanupEmptyChildNamespaces, or a dynamic namespace the
 * application refused.  Its memory goes once no socket struct refers to it;
 * the caller must not use nsp afterwards.  SIOC_EBUSY while it has sockets,
 * SIOC_EINVAL for "/" (the main namespace always exists). */
SIOC_EXTERN int sioc_nsp_free(sioc_nsp_t *nsp);

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

/* The connection of a socket still in its middlewares went away (engine.io's
 * "close" event, which socket.io code watches through socket.conn before the
 * socket connects): called once, with the reason a connected socket would
 * get ("transport close", "ping timeout", "forced server close", ...).  The
 * socket never connected, so no disconnect callback follows, and the
 * decision still owed answers SIOC_ECLOSED.  A refusal
 * (sioc_socket_reject) is the host's own decision and is not reported. */
SIOC_EXTERN void sioc_nsp_on_pending_close(sioc_nsp_t *nsp, sioc_disconnect_cb cb,
                                           void *user_data);

/* The connection of `socket` moved from HTTP long-polling to WebSocket
 * (engine.io's "upgrade" event): called once per connected socket of the
 * connection, after the switch. */
typedef void (*sioc_upgrade_cb)(sioc_socket_t *socket, void *user_data);
SIOC_EXTERN void sioc_nsp_on_upgrade(sioc_nsp_t *nsp, sioc_upgrade_cb cb,
                                     void *user_data);

/* A packet on the connection of `socket` could not be decoded (socket.io's
 * Client.onerror): called once per connected socket of the connection with
 * socket.io-parser's message ("Illegal attachments", "invalid payload",
 * ...), before the connection closes ("forced close"). */
typedef void (*sioc_error_cb)(sioc_socket_t *socket, const char *message,
                              void *user_data);
SIOC_EXTERN void sioc_nsp_on_error(sioc_nsp_t *nsp, sioc_error_cb cb, void *user_data);

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
 * socket.io does); err is 0 or SIOC_ETIMEDOUT when some did not answer.
 * timeout_ms 0: no timeout.  In a cluster (sioc_server_use_redis) the
 * clients of every server of the namespace take part: the broadcast waits
 * for each server PUBSUB NUMSUB counts to report its client count and for
 * each reported client, and a broadcast without timeout ends after
 * requests_timeout_ms (SIOC_ETIMEDOUT when answers are missing). */
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

/* ---- cluster: the Redis adapter ----------------------------------------
 * Many server processes -- sioc ones in C, Node or Python, and socket.io
 * 4.x servers with @socket.io/redis-adapter 8.x -- share rooms and
 * broadcasts through Redis pub/sub, in @socket.io/redis-adapter's wire
 * format.  Once sioc_server_use_redis() is called, every namespace of the
 * server (existing and future) publishes its broadcasts and namespace-wide
 * operations to the cluster and applies those of the other servers; local
 * delivery never waits for Redis.  While Redis is unreachable the adapter
 * reconnects with exponential backoff (each state change is logged once)
 * and resubscribes; cluster requests issued meanwhile fail with
 * SIOC_ETIMEDOUT after requests_timeout_ms.
 *
 * What other processes publish on the cluster's channels is never trusted:
 * a malformed message, or one of an unknown kind, is dropped with a log
 * line (at most one a minute, with the count) and costs memory in
 * proportion to its size only.
 *
 * Behind a load balancer, clients that use HTTP long-polling must always
 * reach the same process (sticky sessions): a session lives in one process.
 */
/* A log line of the adapter (without a prefix or newline): a state change
 * of the connection to Redis (SIOC_LOG_INFO when it comes up,
 * SIOC_LOG_WARNING when it is lost or refused), or something dropped
 * (SIOC_LOG_WARNING).  Without a callback lines go to stderr, prefixed
 * with "sioc: redis adapter: ". */
typedef enum { SIOC_LOG_INFO = 0, SIOC_LOG_WARNING = 1 } sioc_log_level_t;
typedef void (*sioc_log_cb)(int level, const char *line, void *user_data);

typedef struct {
  /* redis://[[user]:password@]host[:port][/db]; default port 6379 */
  const char *url;
  const char *key;                    /* channel prefix, "socket.io" */
  uint32_t requests_timeout_ms;       /* 5000 */
  int publish_on_specific_response_channel; /* 0: "<key>-response#<nsp>#" */
  uint32_t reconnect_delay_ms;        /* 100: first retry */
  uint32_t reconnect_delay_max_ms;    /* 5000 */
  /* 16 MiB: a message on the cluster's channels longer than this is
   * dropped (logged); one still arriving past it resets the subscriber
   * connection, the only way to skip it without holding it in memory. */
  size_t max_message_bytes;
  /* 16 MiB: commands waiting to be written to a Redis that does not read
   * them; past it, what this server publishes is dropped (logged) until
   * Redis reads again. */
  size_t max_buffered_bytes;
  sioc_log_cb log;                    /* NULL: a line on stderr */
  void *log_data;
} sioc_redis_options_t;

/* Fills opts with the defaults above (url NULL). */
SIOC_EXTERN void sioc_redis_options_init(sioc_redis_options_t *opts);

/* Makes `server` a member of the cluster of opts->url (copied).  Returns
 * at once; the connection is made in the background.  0, SIOC_EINVAL (no
 * or bad URL), SIOC_EBUSY (already in a cluster, or closing), SIOC_ENOMEM. */
SIOC_EXTERN int sioc_server_use_redis(sioc_server_t *server,
                                      const sioc_redis_options_t *opts);

/* 1 while the Redis links are up, 0 otherwise (or without a cluster). */
SIOC_EXTERN int sioc_server_cluster_connected(const sioc_server_t *server);

/* The answer to a cluster query: err 0, SIOC_ETIMEDOUT (some server did not
 * answer within requests_timeout_ms; json then holds what did arrive) or
 * SIOC_ECLOSED (the namespace or server went away).  `message` is NULL
 * when err is 0, else the error's text as socket.io words it ("timeout
 * reached while waiting for fetchSockets response", "timeout reached: only
 * 1 responses received out of 2", ...).  message and json are valid during
 * the callback only.  Without a cluster the callback runs before the call
 * returns, with only this process's answer. */
typedef void (*sioc_cluster_cb)(sioc_nsp_t *nsp, int err, const char *message,
                                const char *json, size_t len, void *user_data);

/* fetchSockets on the OTHER servers: json is an array of
 * {"id","handshake","rooms","data"} objects (socket.io's RemoteSocket
 * details), the local sockets are not in it (use sioc_nsp_foreach_socket). */
SIOC_EXTERN int sioc_nsp_fetch_sockets(sioc_nsp_t *nsp,
                                       const sioc_target_t *target,
                                       sioc_cluster_cb cb, void *user_data);
/* Every room of the namespace on every server (this one included): a JSON
 * array of names. */
SIOC_EXTERN int sioc_nsp_all_rooms(sioc_nsp_t *nsp, sioc_cluster_cb cb,
                                   void *user_data);
/* The number of servers of the cluster serving nsp (PUBSUB NUMSUB of the
 * request channel): json is the number as text. */
SIOC_EXTERN int sioc_nsp_server_count(sioc_nsp_t *nsp, sioc_cluster_cb cb,
                                      void *user_data);
/* The three queries above (and sioc_nsp_server_side_emit) return 0 when the
 * answer will come (cb runs exactly once, later or, without a cluster, at
 * once), SIOC_EINVAL, SIOC_ENOMEM, or SIOC_ECLOSED once the server is
 * closing (cb does not run). */

/* The data of local sockets asked for by another server's fetchSockets
 * (socket.data).  `request` identifies the question: answer it, now or
 * later, with sioc_nsp_fetch_data_reply(); an unanswered one only makes the
 * asking server time out.  Without this callback data is {}. */
typedef void (*sioc_fetch_data_cb)(sioc_nsp_t *nsp, const char *request,
                                   const char *const *socket_ids, size_t n,
                                   void *user_data);
SIOC_EXTERN void sioc_nsp_on_fetch_data(sioc_nsp_t *nsp, sioc_fetch_data_cb cb,
                                        void *user_data);
/* data_json[i] (JSON text of length lens[i]) is the data of socket ids[i];
 * sockets that left meanwhile are skipped.  0, SIOC_EINVAL, SIOC_ENOMEM. */
SIOC_EXTERN int sioc_nsp_fetch_data_reply(sioc_nsp_t *nsp, const char *request,
                                          const char *const *ids,
                                          const char *const *data_json,
                                          const size_t *lens, size_t n);

/* serverSideEmit: args is a JSON array [event, ...args] sent to the other
 * servers of the namespace (never to clients, never to this server).  With
 * cb, every other server is expected to answer once (its handler's ack) and
 * cb gets the array of answers; timeout_ms 0 means requests_timeout_ms.
 * Without a cluster cb gets [] at once. */
SIOC_EXTERN int sioc_nsp_server_side_emit(sioc_nsp_t *nsp, const char *args,
                                          size_t len, uint32_t timeout_ms,
                                          sioc_cluster_cb cb, void *user_data);
/* A serverSideEmit from another server: args is [event, ...args]; when the
 * sender wants an answer, `ack` is non-NULL: pass it (once) to
 * sioc_nsp_server_side_ack() with the answer. */
typedef void (*sioc_server_side_cb)(sioc_nsp_t *nsp, const char *args,
                                    size_t len, const char *ack,
                                    void *user_data);
SIOC_EXTERN void sioc_nsp_on_server_side_emit(sioc_nsp_t *nsp,
                                              sioc_server_side_cb cb,
                                              void *user_data);
/* arg: JSON text of the one answer value.  0, SIOC_EINVAL, SIOC_EJSON. */
SIOC_EXTERN int sioc_nsp_server_side_ack(sioc_nsp_t *nsp, const char *ack,
                                         const char *arg, size_t len);

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

/* ---- client ---------------------------------------------------------------
 * A Socket.IO client with socket.io-client 4.x's model: a manager owns one
 * Engine.IO connection (polling, WebSocket, or polling upgraded to
 * WebSocket) and reconnects it with exponential backoff; sockets, one per
 * namespace, are multiplexed over it.  URLs are http://, https://, ws:// or
 * wss://; the URL's path selects the namespace of sioc_client_new's socket
 * and its query is sent with every request.  TLS certificates are verified
 * (chain and host name) unless tls_verify is 0.
 *
 * Sockets belong to their manager and are freed with it
 * (sioc_manager_close); a disconnected socket stays usable for
 * sioc_client_connect().  All callbacks run on the loop; any may call any
 * client function, sioc_manager_close() included. */
typedef struct sioc_manager_s sioc_manager_t;
typedef struct sioc_client_s sioc_client_t;     /* a socket of a namespace */

#define SIOC_RECONNECT_INFINITE UINT32_MAX

typedef struct {
  const char *path;               /* "/socket.io/" */
  int transports;                 /* SIOC_TRANSPORT_* mask; both */
  int upgrade;                    /* 1: polling first, then WebSocket */
  const char *query;              /* extra query "a=1&b=2", or NULL */
  const sioc_header_t *extra_headers;  /* sent with every request */
  size_t n_extra_headers;
  int reconnection;               /* 1 */
  uint32_t reconnection_attempts; /* SIOC_RECONNECT_INFINITE */
  uint32_t reconnection_delay_ms; /* 1000 */
  uint32_t reconnection_delay_max_ms; /* 5000 */
  double randomization_factor;    /* 0.5 (0..1) */
  uint32_t timeout_ms;            /* 20000: connection attempt; 0 = none */
  const char *tls_ca_file;        /* PEM CA bundle; NULL: system CAs */
  int tls_verify;                 /* 1; 0 accepts any certificate */
} sioc_client_options_t;

/* Fills opts with the defaults above (socket.io-client's). */
SIOC_EXTERN void sioc_client_options_init(sioc_client_options_t *opts);

/* What happened.  One enum for the socket and the manager, so that a binding
 * forwards both from one switch; sioc_client_event_name() gives the names. */
typedef enum {
  /* socket events */
  SIOC_CLIENT_CONNECTING = 1,   /* CONNECT sent for the namespace */
  SIOC_CLIENT_CONNECT,          /* joined the namespace */
  SIOC_CLIENT_CONNECT_ERROR,    /* message (+ data JSON from middleware) */
  SIOC_CLIENT_DISCONNECT,       /* message = socket.io-client's reason */
  SIOC_CLIENT_EVENT,            /* event */
  /* manager events; those marked * are also relayed to every socket that
   * is active (connected or trying to) */
  SIOC_CLIENT_OPEN,             /* the Engine.IO connection is open */
  SIOC_CLIENT_CLOSE,            /* it closed: message = reason */
  SIOC_CLIENT_PING,             /* a ping from the server */
  SIOC_CLIENT_ERROR,            /* * an attempt failed: message, err */
  SIOC_CLIENT_RECONNECT_ATTEMPT,/* * attempt = number of this try (1..) */
  SIOC_CLIENT_RECONNECT_ERROR,  /* * that try failed: message, err */
  SIOC_CLIENT_RECONNECT,        /* * reconnected after `attempt` tries */
  SIOC_CLIENT_RECONNECT_FAILED  /* * gave up after reconnection_attempts */
} sioc_client_event_kind_t;

typedef struct {
  sioc_client_event_kind_t kind;
  const char *message;          /* NUL-terminated, or NULL */
  const char *data;             /* CONNECT_ERROR's data JSON, or NULL */
  size_t data_len;
  int err;                      /* SIOC_E* / UV_E* for errors, else 0 */
  uint32_t attempt;             /* RECONNECT_ATTEMPT, RECONNECT */
  const sioc_event_t *event;    /* EVENT: name, args, attachments, ack_id */
} sioc_client_event_t;

/* Names to emit an event under.  flavor 0: socket.io 4 name on a socket
 * (NULL: the socket has no such event; "connect", "connect_error",
 * "disconnect"); 1: the classic (0.9) name on a socket ("connecting",
 * "connect", "connect_failed", "disconnect", "reconnecting", "reconnect",
 * "reconnect_failed", "error"); 2: the name on the manager ("open",
 * "close", "ping", "error", "reconnect_attempt", "reconnect_error",
 * "reconnect", "reconnect_failed").  The classic order on loss is thus
 * disconnect -> reconnecting... -> connecting -> reconnect -> connect.
 * EVENT has no fixed name (use ev->event->name). */
SIOC_EXTERN const char *sioc_client_event_name(sioc_client_event_kind_t kind,
                                               int flavor);

typedef void (*sioc_client_event_cb)(sioc_client_t *socket,
                                     const sioc_client_event_t *ev,
                                     void *user_data);
typedef void (*sioc_manager_event_cb)(sioc_manager_t *manager,
                                      const sioc_client_event_t *ev,
                                      void *user_data);

/* A manager for `url` (its path is ignored here).  opts may be NULL.
 * Nothing connects until a socket does.  0, SIOC_EINVAL (bad URL or
 * options; TLS CA file that cannot be loaded), SIOC_ENOMEM. */
SIOC_EXTERN int sioc_manager_new(uv_loop_t *loop, const char *url,
                                 const sioc_client_options_t *opts,
                                 sioc_manager_t **out);
SIOC_EXTERN void sioc_manager_on(sioc_manager_t *m, sioc_manager_event_cb cb,
                                 void *user_data);
/* The socket for namespace nsp ("/" or "/chat"), created on first use and
 * not connected yet (set its callback and auth, then sioc_client_connect).
 * NULL on SIOC_ENOMEM or a name without leading '/'. */
SIOC_EXTERN sioc_client_t *sioc_manager_socket(sioc_manager_t *m,
                                               const char *nsp);

typedef void (*sioc_manager_close_cb)(sioc_manager_t *m, void *user_data);
/* Disconnects every socket ("io client disconnect"), stops reconnecting,
 * fails pending acks with SIOC_ECLOSED, closes the connection and frees the
 * manager and its sockets; cb (may be NULL; `m` is already freed) runs once
 * every handle is closed.  SIOC_EBUSY when called twice. */
SIOC_EXTERN int sioc_manager_close(sioc_manager_t *m, sioc_manager_close_cb cb,
                                   void *user_data);
/* "polling" / "websocket" while open, else NULL. */
SIOC_EXTERN const char *sioc_manager_transport(const sioc_manager_t *m);
SIOC_EXTERN uv_loop_t *sioc_manager_loop(const sioc_manager_t *m);

/* io(url, opts): a new manager and its socket for the URL's namespace, not
 * connected yet.  Close it with sioc_manager_close(sioc_client_manager(s)). */
SIOC_EXTERN int sioc_client_new(uv_loop_t *loop, const char *url,
                                const sioc_client_options_t *opts,
                                sioc_client_t **out);
SIOC_EXTERN void sioc_client_on(sioc_client_t *s, sioc_client_event_cb cb,
                                void *user_data);
SIOC_EXTERN sioc_manager_t *sioc_client_manager(const sioc_client_t *s);
SIOC_EXTERN const char *sioc_client_nsp(const sioc_client_t *s);
/* The socket id while connected, else NULL. */
SIOC_EXTERN const char *sioc_client_id(const sioc_client_t *s);
SIOC_EXTERN int sioc_client_connected(const sioc_client_t *s);
/* 1 while connected or trying to (socket.active). */
SIOC_EXTERN int sioc_client_active(const sioc_client_t *s);

/* The CONNECT payload: a JSON object (copied), or NULL for none. */
SIOC_EXTERN int sioc_client_set_auth(sioc_client_t *s, const char *json,
                                     size_t len);
/* auth as a function: cb runs on every connection attempt of the socket,
 * and the CONNECT goes out when sioc_client_auth_reply() is called (from cb
 * or later).  Overrides set_auth. */
typedef void (*sioc_client_auth_cb)(sioc_client_t *s, void *user_data);
SIOC_EXTERN void sioc_client_set_auth_cb(sioc_client_t *s,
                                         sioc_client_auth_cb cb,
                                         void *user_data);
/* json: an object, or NULL for none.  SIOC_EBUSY when no auth is awaited. */
SIOC_EXTERN int sioc_client_auth_reply(sioc_client_t *s, const char *json,
                                       size_t len);

/* Joins the namespace (opening the manager's connection if needed) and
 * keeps rejoining after reconnections. */
SIOC_EXTERN int sioc_client_connect(sioc_client_t *s);
/* Leaves the namespace ("io client disconnect"); the connection closes
 * (and stops reconnecting) when no socket of the manager is active. */
SIOC_EXTERN int sioc_client_disconnect(sioc_client_t *s);

enum {
  SIOC_EMIT_VOLATILE = 1   /* drop instead of buffering while offline */
};

/* Emits event with args (a JSON array, NULL or "" for none) and binary
 * attachments (placeholders in args).  While not connected the packet is
 * buffered and sent after (re)connecting, unless SIOC_EMIT_VOLATILE.
 * 0, SIOC_EINVAL, SIOC_EJSON, SIOC_ENOMEM. */
SIOC_EXTERN int sioc_client_emit(sioc_client_t *s, const char *event,
                                 const char *args, size_t args_len,
                                 const sioc_bin_t *attachments,
                                 size_t n_attachments, int flags);
/* Called once: err 0 with the server's ack arguments (a JSON array), or
 * SIOC_ETIMEDOUT / SIOC_ECLOSED with args NULL. */
typedef void (*sioc_client_ack_cb)(sioc_client_t *s, int err, const char *args,
                                   size_t args_len,
                                   const sioc_bin_t *attachments,
                                   size_t n_attachments, void *user_data);
/* timeout_ms 0: no timeout (cb with SIOC_ECLOSED at disconnect). */
SIOC_EXTERN int sioc_client_emit_with_ack(sioc_client_t *s, const char *event,
                                          const char *args, size_t args_len,
                                          const sioc_bin_t *attachments,
                                          size_t n_attachments, int flags,
                                          uint32_t timeout_ms,
                                          sioc_client_ack_cb cb,
                                          void *user_data);
/* Answers the server's ack request ack_id (from the EVENT). */
SIOC_EXTERN int sioc_client_ack(sioc_client_t *s, int64_t ack_id,
                                const char *args, size_t args_len,
                                const sioc_bin_t *attachments,
                                size_t n_attachments);

#ifdef __cplusplus
}
#endif
#endif /* SIOC_H */

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

#ifdef __cplusplus
}
#endif
#endif /* SIOC_H */

/* cluster_wire.h - the wire format of @socket.io/redis-adapter 8.x, sans-IO.
 *
 * Servers of one cluster exchange two kinds of message over Redis pub/sub:
 *
 *  - broadcasts, on "<key>#<nsp>#" (or "<key>#<nsp>#<room>#" when the
 *    broadcast names exactly one room): msgpack of the array
 *    [uid, packet, opts] where packet is {type: 2, data: [event, ...args],
 *    nsp} with binary arguments as msgpack bin, and opts is
 *    {rooms: [...], except: [...], flags: {volatile?, compress?, local?,
 *    timeout?, ...}};
 *  - requests on "<key>-request#<nsp>#" and responses on
 *    "<key>-response#<nsp>#" (or "<key>-response#<nsp>#<uid>#"): JSON text
 *    objects {uid, requestId, type, ...}, except BROADCAST requests and
 *    BROADCAST_ACK responses, which are msgpack maps (their packets may
 *    carry binary).  A message whose first byte is '{' is JSON.
 *
 * Both forms are translated here to and from the core's own form: JSON text
 * whose binary values are {"_placeholder":true,"num":N} naming attachment
 * N.  What arrives is read without building a tree (json_text.h spans), so
 * its cost is linear in its size.  Nothing here does I/O or keeps state,
 * so every function can be fed hostile bytes (tests/c/test_cluster_wire.c)
 * and checked against vectors produced by the real adapter
 * (tests/vectors/cluster.json).
 */
#ifndef SIOC_CLUSTER_WIRE_H
#define SIOC_CLUSTER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json_text.h"
#include "sioc.h"

/* Request types, numbered as in @socket.io/redis-adapter. */
typedef enum {
  SIO_REQ_SOCKETS = 0,
  SIO_REQ_ALL_ROOMS = 1,
  SIO_REQ_REMOTE_JOIN = 2,
  SIO_REQ_REMOTE_LEAVE = 3,
  SIO_REQ_REMOTE_DISCONNECT = 4,
  SIO_REQ_REMOTE_FETCH = 5,
  SIO_REQ_SERVER_SIDE_EMIT = 6,
  SIO_REQ_BROADCAST = 7,
  SIO_REQ_BROADCAST_CLIENT_COUNT = 8,
  SIO_REQ_BROADCAST_ACK = 9
} sio__req_type_t;

/* Limits of the msgpack reader, so that a message costs memory in
 * proportion to its size and nothing else: nesting deeper than this is
 * refused (what the reader writes is then always accepted by
 * sioc__json_check), and so is a message whose JSON text would be longer
 * than SIO_WIRE_JSON_BUDGET(its size) (8 bytes per byte: more than any
 * real message needs; many tiny bins are what could come near it).  The
 * size of a message itself is bounded where it is received (the Redis
 * link's max_message_bytes). */
#define SIO_WIRE_MAX_DEPTH (SIOC_JSON_MAX_DEPTH - 1)
#define SIO_WIRE_JSON_BUDGET(len) ((len) * 8 + 1024)

/* Binary values met while converting msgpack to JSON; the bytes point into
 * the msgpack input (valid as long as it is). */
typedef struct {
  sioc_bin_t *items;
  size_t n, cap;
} sio__bins_t;

void sio__bins_free(sio__bins_t *b);

/* Converts the single msgpack value data[0..len) to JSON text appended to
 * json.  bin values become placeholders numbered after those already in
 * bins and are appended to it; nil and notepack's undefined (fixext 1, type
 * 0) become null (undefined map members are left out, as JSON.stringify
 * does); timestamps (ext -1) become ISO 8601 strings; other ext values
 * null; map keys that are not strings are written as strings; invalid
 * UTF-8 in strings becomes U+FFFD; NaN and infinities become null.
 * 0, SIOC_EPROTO (truncated, trailing bytes, reserved byte 0xc1),
 * SIOC_ELIMIT (too deep, or JSON beyond the budget), SIOC_ENOMEM; on error
 * json and bins are as they were. */
int sio__mp_to_json(const char *data, size_t len, sioc__sbuf_t *json,
                    sio__bins_t *bins);

/* Appends the msgpack encoding of v (as notepack encodes the same value in
 * JavaScript: integral numbers as the smallest int, others as float 64,
 * objects as maps in member order) to out.  A placeholder naming one of
 * atts[0..n) is written as that attachment's bytes (bin); other
 * placeholders stay objects.  0 or SIOC_ENOMEM. */
int sio__json_to_mp(sioc__sbuf_t *out, const cJSON *v, const sioc_bin_t *atts,
                    size_t n);

/* A request or response as an object span: JSON text when data starts
 * with '{' (the span then points into data), else msgpack converted into
 * scratch (whose bins become placeholders + bins, pointing into data).
 * 0, SIOC_EPROTO (not an object, or malformed), SIOC_ELIMIT, SIOC_ENOMEM. */
int sio__wire_parse(const char *data, size_t len, sioc__sbuf_t *scratch,
                    sio__bins_t *bins, sioc__json_span_t *obj);

/* ---- broadcasts ---------------------------------------------------------- */

/* A broadcast as it travels.  On decode every pointer refers to memory
 * owned by the struct (sio__wire_bcast_free) or to the msgpack input
 * (attachments). */
typedef struct {
  char *uid;
  char *nsp;                     /* "/" when the packet has none */
  int type;                      /* packet type, 2 (EVENT) or 5 */
  char *event;                   /* NUL-terminated */
  sioc__sbuf_t args;             /* JSON array of the arguments */
  sio__bins_t atts;
  char **rooms;
  size_t n_rooms;
  char **except;
  size_t n_except;
  int flags;                     /* SIOC_BCAST_* */
  int64_t timeout_ms;            /* flags.timeout, -1 when absent */
} sio__wire_bcast_t;

void sio__wire_bcast_free(sio__wire_bcast_t *b);

/* Decodes [uid, packet, opts] from msgpack.  0, SIOC_EPROTO (not that shape,
 * or data not an array starting with an event name), SIOC_ELIMIT,
 * SIOC_ENOMEM.  On error the struct is freed already. */
int sio__wire_bcast_decode(const char *data, size_t len, sio__wire_bcast_t *out);

/* Encodes the rooms/except/flags object (as socket.io's broadcast options:
 * flags volatile and compress when set, timeout when >= 0). */
cJSON *sio__wire_opts_json(const sioc_target_t *t, int64_t timeout_ms);

/* The packet object {type: 2, data: [event, ...args], nsp} with args a JSON
 * array text (already validated).  NULL on SIOC_ENOMEM or bad JSON. */
cJSON *sio__wire_packet_json(const char *nsp, const char *event,
                             const char *args, size_t args_len);

/* Appends msgpack of [uid, packet, opts] for a broadcast to out. */
int sio__wire_bcast_encode(sioc__sbuf_t *out, const char *uid, const char *nsp,
                           const char *event, const char *args, size_t args_len,
                           const sioc_bin_t *atts, size_t n_atts,
                           const sioc_target_t *t);

/* From a packet object (as in a BROADCAST request): the event name and the
 * JSON array of the remaining arguments.  0 or SIOC_EPROTO / SIOC_ENOMEM. */
int sio__wire_packet_split(sioc__json_span_t packet, char **event, sioc__sbuf_t *args);

/* The rooms of a JSON array of strings/numbers (as socket.io sends them) as
 * NUL-terminated copies; absent or null is no room.  *out is NULL when n is
 * 0; free with sio__wire_strv_free.  0, SIOC_EPROTO, SIOC_ENOMEM. */
int sio__wire_strv(sioc__json_span_t arr, char ***out, size_t *n);
void sio__wire_strv_free(char **v, size_t n);

/* ---- channels ------------------------------------------------------------ */

/* "<key>#<nsp>#" and, with room != NULL, "<key>#<nsp>#<room>#". */
int sio__wire_bcast_channel(sioc__sbuf_t *out, const char *key, const char *nsp,
                            const char *room);
/* "<key>-request#<nsp>#" */
int sio__wire_request_channel(sioc__sbuf_t *out, const char *key, const char *nsp);
/* "<key>-response#<nsp>#" and, with uid != NULL, "<key>-response#<nsp>#<uid>#". */
int sio__wire_response_channel(sioc__sbuf_t *out, const char *key,
                               const char *nsp, const char *uid);

#endif

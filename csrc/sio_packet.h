/* sio_packet.h - Socket.IO v5 packets (sans-IO), byte-compatible with
 * socket.io-parser 4.x.
 *
 *   <type>[<attachments>-][<nsp>,][<id>][<json>]
 *
 * The JSON data is never re-encoded: decoding validates it and hands out
 * spans of the received text; encoding copies the caller's JSON text.  JSON
 * that sioc itself produces (CONNECT replies, errors, event names) is written
 * the way JavaScript's JSON.stringify writes it.
 */
#ifndef SIOC_SIO_PACKET_H
#define SIOC_SIO_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

typedef enum {
  SIO_CONNECT = 0,
  SIO_DISCONNECT = 1,
  SIO_EVENT = 2,
  SIO_ACK = 3,
  SIO_CONNECT_ERROR = 4,
  SIO_BINARY_EVENT = 5,
  SIO_BINARY_ACK = 6
} sio__type_t;

typedef struct {
  sio__type_t type;
  size_t attachments;   /* binary types only */
  const char *nsp;      /* "/" when absent; points into the input or static */
  size_t nsp_len;
  int64_t id;           /* -1 when absent */
  char *data;           /* JSON text, NULL/0 when absent; points into input */
  size_t data_len;
} sio__packet_t;

/* Decodes and validates s[0..n) as socket.io-parser's Decoder does: unknown
 * type, bad attachment count, bad id, unparsable JSON and a payload invalid
 * for the type (CONNECT: object; DISCONNECT: none; CONNECT_ERROR: string or
 * object; EVENT: array whose first element is a number or a string other
 * than a reserved name; ACK: array) are SIOC_EPROTO.  More than
 * max_attachments attachments is SIOC_ELIMIT.  0 on success.
 *
 * As in socket.io-parser, a packet without data is not checked against its
 * type ("2" is an EVENT with data NULL), and the header is read with
 * JavaScript's Number(): white space counts as a digit-less number (" {}" is
 * a CONNECT, "2 [..." has id 0), attachment counts may be written "0x2" or
 * "2.0".  sioc is stricter only where no client goes: "" , ids that are NaN
 * or above 2^53 - 1, invalid UTF-8 anywhere, JSON nested deeper than
 * SIOC_JSON_MAX_DEPTH (tests/vectors/socketio.json lists each case).  On
 * success the whole packet is valid UTF-8 and data, when present, is one
 * JSON value without leading white space that ends the packet.  s is not
 * modified (it is mutable for sio__event_split). */
int sio__packet_decode(char *s, size_t n, size_t max_attachments,
                       sio__packet_t *out);

/* socket.io-parser's error message for a packet sio__packet_decode refused
 * ("unknown packet type", "Illegal attachments", "too many attachments",
 * "invalid payload"), for the host's 'error' event. */
const char *sio__packet_error_message(const char *s, size_t n, size_t max_attachments);

/* An EVENT's data split into name and arguments.  The split is done in
 * place: `args` is a JSON array of the arguments after the name, made by
 * overwriting the byte before them with '[', so the data is modified. */
typedef struct {
  const char *name;     /* UTF-8, NUL-terminated (in `scratch` or in data) */
  size_t name_len;
  const char *args;     /* "[...]"; a static "[]" when there are none */
  size_t args_len;
} sio__event_t;

/* Splits a validated EVENT/BINARY_EVENT data text.  The name (a string, or a
 * number as JavaScript prints it) is unescaped into scratch, which the caller
 * resets.  0, SIOC_EPROTO or SIOC_ENOMEM.
 *
 * A string name without escapes stays in data (its closing quote becomes the
 * NUL); an escaped name, or a number (String(n): "1e+21", "Infinity"), is
 * appended to scratch after whatever it holds, and `name` is valid until
 * scratch next grows.  Escaped lone surrogates become U+FFFD.  args has the
 * original argument text (not re-encoded), trailing white space dropped. */
int sio__event_split(char *data, size_t len, sioc__sbuf_t *scratch,
                     sio__event_t *out);

/* Appends "<type>[<attachments>-][<nsp>,][<id>]".  The nsp is omitted when it
 * is "/"; id < 0 means none.  0 or SIOC_ENOMEM. */
int sio__packet_encode_header(sioc__sbuf_t *out, sio__type_t type,
                              size_t attachments, const char *nsp,
                              size_t nsp_len, int64_t id);

/* Appends a whole EVENT (BINARY_EVENT when attachments > 0) packet whose data
 * is ["<name>",<args...>]; args is a JSON array text (not checked here;
 * NULL or "" means no arguments).  The name is quoted as JSON.stringify
 * does.  0, SIOC_ENOMEM, or SIOC_EINVAL when args does not start with '['.
 * On error out is unchanged. */
int sio__encode_event(sioc__sbuf_t *out, const char *nsp, size_t nsp_len,
                      int64_t id, const char *name, size_t name_len,
                      const char *args, size_t args_len, size_t attachments);

/* Appends a whole ACK (BINARY_ACK when attachments > 0) packet; args is a
 * JSON array text (NULL or "" means []).  0 or SIOC_ENOMEM. */
int sio__encode_ack(sioc__sbuf_t *out, const char *nsp, size_t nsp_len,
                    int64_t id, const char *args, size_t args_len,
                    size_t attachments);

/* Appends a CONNECT_ERROR packet: 4[<nsp>,]{"message":"<msg>"} and, when
 * data_json is not NULL, {"message":"<msg>","data":<data_json>}.  message
 * is NUL-terminated UTF-8 (NULL means "").  0 or SIOC_ENOMEM. */
int sio__encode_connect_error(sioc__sbuf_t *out, const char *nsp,
                              size_t nsp_len, const char *message,
                              const char *data_json, size_t data_len);

#endif

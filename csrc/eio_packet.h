/* eio_packet.h - Engine.IO v4 packets and long-polling payloads (sans-IO).
 *
 * Text packet:    <type digit><data>            e.g. "4hello", "2probe"
 * Binary packet:  raw bytes of a message packet (WebSocket binary frame)
 * Polling body:   packets separated by 0x1e; a binary message is written as
 *                 'b' followed by the base64 of its bytes.
 *
 * Decoding works in place on a caller-owned mutable buffer and never
 * allocates: packet data points into that buffer.
 */
#ifndef SIOC_EIO_PACKET_H
#define SIOC_EIO_PACKET_H

#include <stddef.h>
#include "buf.h"

typedef enum {
  EIO_OPEN = 0,
  EIO_CLOSE = 1,
  EIO_PING = 2,
  EIO_PONG = 3,
  EIO_MESSAGE = 4,
  EIO_UPGRADE = 5,
  EIO_NOOP = 6
} eio__type_t;

#define EIO_RECORD_SEPARATOR '\x1e'

typedef struct {
  eio__type_t type;
  int binary;     /* 1: data is raw bytes of a binary message */
  char *data;     /* points into the decoded buffer; may be empty */
  size_t len;
} eio__packet_t;

/* Decodes one text packet s[0..n).  0, or SIOC_EPROTO if empty or the type
 * is not a digit 0..6.  As in engine.io-parser, a text packet "b<base64>"
 * is a binary message: it is decoded in place (binary = 1, data = s + 1),
 * as leniently as Node decodes base64 (junk skipped, URL-safe digits
 * accepted, '=' ends the data), so it never fails. */
int eio__packet_decode(char *s, size_t n, eio__packet_t *out);

/* Iterates over a polling payload, decoding binary segments in place. */
typedef struct {
  char *p;
  char *end;
} eio__payload_iter_t;

void eio__payload_iter_init(eio__payload_iter_t *it, char *body, size_t len);
/* 1 and *out filled; 0 at the end; SIOC_EPROTO on a malformed segment (an
 * empty segment or a bad type).  An empty body yields SIOC_EPROTO
 * on the first call, as engine.io rejects it.  Packets before a malformed
 * segment are returned first (engine.io handles them, then closes with
 * "parse error"); after an error the iterator is at its end. */
int eio__payload_next(eio__payload_iter_t *it, eio__packet_t *out);

/* Appends one packet to a polling payload in out, preceded by the record
 * separator unless `first`.  Binary data is written as 'b' + base64.
 * 0 or SIOC_ENOMEM. */
int eio__payload_append(sioc__sbuf_t *out, int first, eio__type_t type,
                        int binary, const void *data, size_t len);

/* Appends the open packet's text, exactly as engine.io writes it:
 * 0{"sid":"<sid>","upgrades":["websocket"],"pingInterval":25000,
 *   "pingTimeout":20000,"maxPayload":1000000}
 * (upgrades is [] when allow_websocket_upgrade is 0).  0 or SIOC_ENOMEM. */
int eio__open_packet(sioc__sbuf_t *out, const char *sid,
                     int allow_websocket_upgrade, unsigned ping_interval_ms,
                     unsigned ping_timeout_ms, size_t max_payload);

#endif

/* eio_packet.c - Engine.IO v4 packets and long-polling payloads.
 *
 * Mirrors engine.io-parser 5.x: a text packet is a type digit '0'..'6' and
 * its data; a text packet starting with 'b' is a binary message whose bytes
 * are the base64 that follows (engine.io accepts that form on WebSocket text
 * frames too, not only in polling payloads).  A payload is packets joined by
 * U+001E; splitting on the byte 0x1E is exact because that byte never occurs
 * inside a multi-byte UTF-8 sequence.
 *
 * Invariants: decoding never allocates and never writes outside the packet
 * being decoded; base64 is decoded in place over its own text, so a packet's
 * data always lies inside the span that held its encoding.
 *
 * Base64 that is not canonical is decoded the way Node's decoder (and so
 * engine.io-parser) does: junk characters are skipped, '-' and '_' are the
 * URL-safe digits, '=' ends the data, a dangling digit is dropped.  A session
 * is then closed, or not, by what the bytes mean, exactly as with socket.io.
 */
#include <string.h>

#include "base64.h"
#include "eio_packet.h"
#include "json_text.h"
#include "sioc.h"

static inline int b64_std(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Node's lenient base64, in place: the usable digits are compacted to the
 * front, then decoded.  The canonical prefix (all of it, for every real
 * client) is only scanned, never moved.  Cannot fail: whatever remains is
 * a decodable digit string. */
static long lax_base64(char *text, size_t n) {
  unsigned char *s = (unsigned char *)text;
  size_t i = 0, w;

  while (i < n && b64_std(s[i]))
    i++;
  for (w = i; i < n && s[i] != '='; i++) {
    if (b64_std(s[i]))
      s[w++] = s[i];
    else if (s[i] == '-')
      s[w++] = '+';
    else if (s[i] == '_')
      s[w++] = '/';
  }
  if (w % 4 == 1) /* a lone digit carries no whole byte */
    w--;
  return sioc__base64_decode(s, text, w);
}

int eio__packet_decode(char *s, size_t n, eio__packet_t *out) {
  long len;

  if (n == 0)
    return SIOC_EPROTO;
  if (s[0] >= '0' && s[0] <= '6') {
    out->type = (eio__type_t)(s[0] - '0');
    out->binary = 0;
    out->data = s + 1;
    out->len = n - 1;
    return 0;
  }
  if (s[0] == 'b') {
    /* Not the strict decoder first: failing half-way, it would already
     * have overwritten the text that the lenient pass needs. */
    len = lax_base64(s + 1, n - 1);
    if (len < 0)
      return SIOC_EPROTO;
    out->type = EIO_MESSAGE;
    out->binary = 1;
    out->data = s + 1;
    out->len = (size_t)len;
    return 0;
  }
  return SIOC_EPROTO;
}

void eio__payload_iter_init(eio__payload_iter_t *it, char *body, size_t len) {
  /* p == NULL means "finished", so a NULL body (an empty one) is replaced by
   * any non-NULL pointer with nothing behind it: it still yields the one
   * empty, malformed segment that engine.io reports. */
  if (body == NULL) {
    body = (char *)it;
    len = 0;
  }
  it->p = body;
  it->end = body + len;
}

int eio__payload_next(eio__payload_iter_t *it, eio__packet_t *out) {
  char *seg, *sep;
  int err;

  if (it->p == NULL)
    return 0;
  seg = it->p;
  sep = memchr(seg, EIO_RECORD_SEPARATOR, (size_t)(it->end - seg));
  /* it->p == NULL marks the end: a body ending in a separator has one more
   * (empty, hence malformed) segment, exactly as String#split sees it. */
  it->p = sep != NULL ? sep + 1 : NULL;
  err = eio__packet_decode(seg, (size_t)((sep != NULL ? sep : it->end) - seg),
                           out);
  if (err) {
    it->p = NULL;
    return err;
  }
  return 1;
}

int eio__payload_append(sioc__sbuf_t *out, int first, eio__type_t type,
                        int binary, const void *data, size_t len) {
  size_t start = out->len;
  int err;

  if (!first && (err = sioc__sbuf_appendc(out, EIO_RECORD_SEPARATOR)))
    return err;
  if (binary) {
    err = sioc__sbuf_appendc(out, 'b');
    if (!err)
      err = sioc__base64_encode(out, data, len);
  } else {
    err = sioc__sbuf_appendc(out, (char)('0' + type));
    if (!err)
      err = sioc__sbuf_append(out, data, len);
  }
  if (err)
    out->len = start;
  return err;
}

int eio__open_packet(sioc__sbuf_t *out, const char *sid,
                     int allow_websocket_upgrade, unsigned ping_interval_ms,
                     unsigned ping_timeout_ms, size_t max_payload) {
  size_t start = out->len;

  /* Key order is engine.io's (Socket#onOpen): clients do not care, but
   * byte-identical handshakes make captures directly comparable. */
  if (sioc__sbuf_appends(out, "0{\"sid\":") ||
      sioc__json_quote(out, sid, strlen(sid)) ||
      sioc__sbuf_appends(out, allow_websocket_upgrade
                                  ? ",\"upgrades\":[\"websocket\"],"
                                    "\"pingInterval\":"
                                  : ",\"upgrades\":[],\"pingInterval\":") ||
      sioc__sbuf_append_u64(out, ping_interval_ms) ||
      sioc__sbuf_appends(out, ",\"pingTimeout\":") ||
      sioc__sbuf_append_u64(out, ping_timeout_ms) ||
      sioc__sbuf_appends(out, ",\"maxPayload\":") ||
      sioc__sbuf_append_u64(out, max_payload) ||
      sioc__sbuf_appendc(out, '}')) {
    out->len = start;
    return SIOC_ENOMEM;
  }
  return 0;
}

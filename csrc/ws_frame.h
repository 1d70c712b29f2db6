/* ws_frame.h - RFC 6455 frame headers and payload masking, sans-IO.
 *
 * The server's WebSocket transport parses client frames with these two
 * functions straight out of the read buffer: the header in place, the
 * payload unmasked while it is copied to where the message is assembled.
 * No allocation, no state: a header split across reads is the caller's to
 * keep (at most EIO_WS_MAX_HEADER bytes).
 */
#ifndef SIOC_WS_FRAME_H
#define SIOC_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define EIO_WS_MAX_HEADER 14   /* 2 + 8 (64-bit length) + 4 (mask key) */

typedef struct {
  uint8_t fin;
  uint8_t rsv;             /* the three RSV bits */
  uint8_t opcode;
  uint8_t masked;
  uint8_t mask[4];
  uint64_t payload_len;
} eio__ws_header_t;

/* Parses the frame header at p[0..n).  Returns its length (2..14) when it is
 * complete, 0 when more bytes are needed, -1 when it breaks RFC 6455 5.2 /
 * 5.5 in a way no later byte can mend: a control frame longer than 125 bytes
 * or fragmented, a length not in its shortest form, a 64-bit length with
 * the top bit set.  (Whether a mask, the RSV bits or the opcode are
 * acceptable is the caller's decision.) */
int eio__ws_header_parse(const uint8_t *p, size_t n, eio__ws_header_t *h);

/* dst[i] = src[i] ^ mask[(off + i) % 4] for i < n: the payload bytes that
 * start `off` bytes into the frame's payload.  dst may equal src. */
void eio__ws_unmask(uint8_t *dst, const uint8_t *src, size_t n,
                    const uint8_t mask[4], uint64_t off);

#endif

/* buf.h - growable byte strings and shared, reference-counted byte blocks.
 *
 * sioc__sbuf_t is the scratch type every encoder appends to: it owns its
 * memory and grows geometrically.  sioc__rbuf_t is the immutable block that
 * outgoing data lives in once it is handed to the transports: one broadcast
 * is encoded once into an rbuf and every recipient's write queue holds a
 * reference to that same block.
 *
 * Single-threaded: reference counts are plain integers; every rbuf is used on
 * the loop thread that created it.
 */
#ifndef SIOC_BUF_H
#define SIOC_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *data;   /* owned; NULL until the first append */
  size_t len;
  size_t cap;
} sioc__sbuf_t;

void sioc__sbuf_init(sioc__sbuf_t *b);
/* Frees the memory and leaves b empty and reusable. */
void sioc__sbuf_reset(sioc__sbuf_t *b);
/* Ensures room for `extra` more bytes.  0 or SIOC_ENOMEM (b unchanged). */
int sioc__sbuf_reserve(sioc__sbuf_t *b, size_t extra);
int sioc__sbuf_append(sioc__sbuf_t *b, const void *data, size_t len);
int sioc__sbuf_appendc(sioc__sbuf_t *b, char c);
int sioc__sbuf_appends(sioc__sbuf_t *b, const char *nul_terminated);
/* Decimal, as JavaScript prints a safe integer. */
int sioc__sbuf_append_u64(sioc__sbuf_t *b, uint64_t v);
/* Gives the memory to the caller (who frees it with free()); b becomes empty.
 * Returns NULL (and *len 0) when nothing was ever appended. */
char *sioc__sbuf_steal(sioc__sbuf_t *b, size_t *len);

typedef struct sioc__rbuf_s {
  uint32_t refs;
  uint8_t tag;   /* free for the user of the block (engine: binary flag) */
  uint8_t hdr;   /* free for the user of the block (engine: frame header) */
  size_t len;
  char data[];
} sioc__rbuf_t;

/* A block of `len` uninitialised bytes with one reference, or NULL. */
sioc__rbuf_t *sioc__rbuf_new(size_t len);
/* A block holding a copy of data[0..len), one reference, or NULL. */
sioc__rbuf_t *sioc__rbuf_copy(const void *data, size_t len);
static inline sioc__rbuf_t *sioc__rbuf_ref(sioc__rbuf_t *b) { b->refs++; return b; }
/* Drops one reference; frees the block with the last.  NULL is ignored. */
void sioc__rbuf_unref(sioc__rbuf_t *b);

#endif

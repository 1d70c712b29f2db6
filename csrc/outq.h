/* outq.h - a connection's queue of outgoing byte ranges.
 *
 * Each item references a shared block (sioc__rbuf_t) and a range in it, so a
 * broadcast frame is queued toward a thousand connections without a copy.
 * A flush first writes what the kernel accepts at once (uv_try_write); the
 * rest goes out with one writev (uv_write) at a time, and what arrives while
 * that write is in flight is sent together when it completes.  `bytes` is
 * therefore what the peer has not taken yet: the slow-consumer measure.
 */
#ifndef SIOC_OUTQ_H
#define SIOC_OUTQ_H

#include <stddef.h>
#include <uv.h>
#include "buf.h"

typedef struct {
  sioc__rbuf_t *buf;   /* one reference held by the queue */
  size_t off;
  size_t len;
} eio__outq_item_t;

typedef struct {
  eio__outq_item_t *items;   /* ring buffer */
  size_t head;
  size_t count;
  size_t cap;
  size_t bytes;              /* queued bytes, in flight included */
  size_t inflight;           /* items being written by `req` */
  uv_write_t req;
} eio__outq_t;

void eio__outq_init(eio__outq_t *q);
/* Drops every item not in flight... and the in-flight ones too: only call
 * once the stream is closed. */
void eio__outq_reset(eio__outq_t *q);
/* Takes a new reference to buf.  0 or SIOC_ENOMEM. */
int eio__outq_push(eio__outq_t *q, sioc__rbuf_t *buf, size_t off, size_t len);
/* Writes what it can now and starts a write of the rest when none is in
 * flight.  cb is the stream's write callback; it must call
 * eio__outq_done().  0 or a libuv error. */
int eio__outq_flush(eio__outq_t *q, uv_stream_t *stream, uv_write_cb cb);
/* Releases the items of the write that completed. */
void eio__outq_done(eio__outq_t *q);
static inline int eio__outq_idle(const eio__outq_t *q) { return q->count == 0; }

#endif

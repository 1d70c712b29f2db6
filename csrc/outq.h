/* outq.h - a connection's queue of outgoing byte ranges.
 *
 * Each item references a shared block (sioc__rbuf_t) and a range in it, so a
 * broadcast frame is queued toward a thousand connections without a copy.
 * A flush first writes what the kernel accepts at once (uv_try_write); the
 * rest goes out with one writev (uv_write) at a time, and what arrives while
 * that write is in flight is sent together when it completes.  `bytes` is
 * therefore what the peer has not taken yet: the slow-consumer measure.
 *
 * Memory: an empty queue holds nothing but this struct (40 bytes).  The item
 * ring exists only while something is queued; rings of the smallest size
 * come from and go back to a pool the server owns (a queue fills and drains
 * once per loop turn on a busy connection: malloc and free each time were
 * a fifth of the cost of a delivery).  The uv_write_t exists only while a
 * write is in flight, which an idle connection never has.
 */
#ifndef SIOC_OUTQ_H
#define SIOC_OUTQ_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "buf.h"

typedef struct {
  sioc__rbuf_t *buf;   /* one reference held by the queue */
  size_t off;
  size_t len;
} eio__outq_item_t;

typedef struct {
  eio__outq_item_t *items;   /* ring buffer; NULL when empty */
  uint32_t head;
  uint32_t count;
  uint32_t cap;
  uint32_t inflight;         /* items being written by `req` */
  size_t bytes;              /* queued bytes, in flight included */
  uv_write_t *req;           /* while a uv_write is in flight */
} eio__outq_t;

/* Spare rings of the smallest size (a free list), owned by the server. */
typedef struct {
  void *free;
  size_t n;
} eio__outq_pool_t;

void eio__outq_init(eio__outq_t *q);
/* Drops every item, in flight or not: only call once the stream is closed
 * (libuv has then cancelled the write and run its callback). */
void eio__outq_reset(eio__outq_t *q, eio__outq_pool_t *pool);
/* Takes a new reference to buf.  0 or SIOC_ENOMEM. */
int eio__outq_push(eio__outq_t *q, eio__outq_pool_t *pool, sioc__rbuf_t *buf,
                   size_t off, size_t len);
/* Writes what it can now and starts a write of the rest when none is in
 * flight.  cb is the stream's write callback (its req->data is `data`); it
 * must call eio__outq_done().  0 or a libuv error / SIOC_ENOMEM. */
int eio__outq_flush(eio__outq_t *q, eio__outq_pool_t *pool, uv_stream_t *stream,
                    uv_write_cb cb, void *data);
/* Releases the items of the write that completed. */
void eio__outq_done(eio__outq_t *q, eio__outq_pool_t *pool);
static inline int eio__outq_idle(const eio__outq_t *q) { return q->count == 0; }

void eio__outq_pool_free(eio__outq_pool_t *pool);

#endif

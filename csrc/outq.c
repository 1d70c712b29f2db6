/* outq.c - the outgoing queue (see outq.h).
 *
 * Invariants: items[head .. head+count) (mod cap) are queued in order; the
 * first `inflight` of them belong to the uv_write in progress and must not
 * be released until it completes.
 */
#include "outq.h"

#include <stdlib.h>

#include "sioc.h"

#define OUTQ_MAX_IOV 64   /* per writev; the rest waits for the next one */

void eio__outq_init(eio__outq_t *q) {
  q->items = NULL;
  q->head = q->count = q->cap = 0;
  q->bytes = 0;
  q->inflight = 0;
}

void eio__outq_reset(eio__outq_t *q) {
  for (size_t i = 0; i < q->count; i++)
    sioc__rbuf_unref(q->items[(q->head + i) % q->cap].buf);
  free(q->items);
  eio__outq_init(q);
}

static int grow(eio__outq_t *q) {
  size_t ncap = q->cap ? q->cap * 2 : 4;
  eio__outq_item_t *n = malloc(ncap * sizeof(*n));
  if (!n) return SIOC_ENOMEM;
  for (size_t i = 0; i < q->count; i++) n[i] = q->items[(q->head + i) % q->cap];
  free(q->items);
  q->items = n;
  q->head = 0;
  q->cap = ncap;
  return 0;
}

int eio__outq_push(eio__outq_t *q, sioc__rbuf_t *buf, size_t off, size_t len) {
  if (len == 0) return 0;
  if (q->count == q->cap) {
    int r = grow(q);
    if (r) return r;
  }
  eio__outq_item_t *it = &q->items[(q->head + q->count) % q->cap];
  it->buf = sioc__rbuf_ref(buf);
  it->off = off;
  it->len = len;
  q->count++;
  q->bytes += len;
  return 0;
}

/* Drops `n` written bytes from the head of the queue (none in flight). */
static void consume(eio__outq_t *q, size_t n) {
  while (n > 0) {
    eio__outq_item_t *it = &q->items[q->head];
    size_t k = n < it->len ? n : it->len;
    it->off += k;
    it->len -= k;
    q->bytes -= k;
    n -= k;
    if (it->len == 0) {
      sioc__rbuf_unref(it->buf);
      q->head = (q->head + 1) % q->cap;
      q->count--;
    }
  }
}

static size_t fill_iov(eio__outq_t *q, uv_buf_t *iov) {
  size_t n = q->count < OUTQ_MAX_IOV ? q->count : OUTQ_MAX_IOV;
  for (size_t i = 0; i < n; i++) {
    eio__outq_item_t *it = &q->items[(q->head + i) % q->cap];
    iov[i] = uv_buf_init(it->buf->data + it->off, (unsigned)it->len);
  }
  return n;
}

int eio__outq_flush(eio__outq_t *q, uv_stream_t *stream, uv_write_cb cb) {
  if (q->inflight) return 0;
  uv_buf_t iov[OUTQ_MAX_IOV];
  /* Write what the kernel takes right now; only the rest waits in the
   * queue (and counts toward the buffered-bytes limit). */
  while (q->count) {
    size_t n = fill_iov(q, iov);
    int w = uv_try_write(stream, iov, (unsigned)n);
    if (w == UV_EAGAIN || w == UV_ENOSYS) break;
    if (w < 0) return w;
    if (w == 0) break;
    consume(q, (size_t)w);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += iov[i].len;
    if ((size_t)w < total) break;   /* the socket buffer is full */
  }
  if (q->count == 0) {
    free(q->items);
    q->items = NULL;
    q->cap = q->head = 0;
    return 0;
  }
  size_t n = fill_iov(q, iov);
  int r = uv_write(&q->req, stream, iov, (unsigned)n, cb);
  if (r == 0) q->inflight = n;
  return r;
}

void eio__outq_done(eio__outq_t *q) {
  for (size_t i = 0; i < q->inflight; i++) {
    eio__outq_item_t *it = &q->items[q->head];
    q->bytes -= it->len;
    sioc__rbuf_unref(it->buf);
    q->head = (q->head + 1) % q->cap;
    q->count--;
  }
  q->inflight = 0;
  if (q->count == 0) {   /* an idle connection holds no queue memory */
    free(q->items);
    q->items = NULL;
    q->cap = q->head = 0;
  }
}

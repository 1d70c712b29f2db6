/* outq.c - the outgoing queue (see outq.h).
 *
 * Invariants: items[head .. head+count) (mod cap) are queued in order; the
 * first `inflight` of them belong to the uv_write in progress and must not
 * be released until it completes.  cap is a power of two (indices wrap with
 * a mask).  items == NULL when the queue is empty and no write is in
 * flight; so is req.
 */
#include "outq.h"

#include <stdlib.h>

#include "sioc.h"

#define OUTQ_MAX_IOV 64     /* per writev; the rest waits for the next one */
#define OUTQ_MIN_CAP 4      /* the ring size the pool keeps */
#define OUTQ_POOL_MAX 1024  /* spare rings kept (~100 KB) */

static eio__outq_item_t *ring_new(eio__outq_pool_t *pool, size_t cap) {
  if (cap == OUTQ_MIN_CAP && pool->free) {
    void *r = pool->free;
    pool->free = *(void **)r;
    pool->n--;
    return r;
  }
  return malloc(cap * sizeof(eio__outq_item_t));
}

static void ring_free(eio__outq_pool_t *pool, eio__outq_item_t *r, size_t cap) {
  if (!r) return;
  if (cap == OUTQ_MIN_CAP && pool->n < OUTQ_POOL_MAX) {
    *(void **)r = pool->free;
    pool->free = r;
    pool->n++;
    return;
  }
  free(r);
}

void eio__outq_pool_free(eio__outq_pool_t *pool) {
  while (pool->free) {
    void *r = pool->free;
    pool->free = *(void **)r;
    free(r);
  }
  pool->n = 0;
}

void eio__outq_init(eio__outq_t *q) {
  q->items = NULL;
  q->head = q->count = q->cap = q->inflight = 0;
  q->bytes = 0;
  q->req = NULL;
}

/* An idle queue gives its memory back. */
static void release_if_idle(eio__outq_t *q, eio__outq_pool_t *pool) {
  if (q->count || q->inflight) return;
  ring_free(pool, q->items, q->cap);
  q->items = NULL;
  q->cap = q->head = 0;
  free(q->req);
  q->req = NULL;
}

void eio__outq_reset(eio__outq_t *q, eio__outq_pool_t *pool) {
  for (size_t i = 0; i < q->count; i++)
    sioc__rbuf_unref(q->items[(q->head + i) & (q->cap - 1)].buf);
  ring_free(pool, q->items, q->cap);
  free(q->req);
  eio__outq_init(q);
}

static int grow(eio__outq_t *q, eio__outq_pool_t *pool) {
  size_t ncap = q->cap ? (size_t)q->cap * 2 : OUTQ_MIN_CAP;
  if (ncap > UINT32_MAX) return SIOC_ENOMEM;
  eio__outq_item_t *n = ring_new(pool, ncap);
  if (!n) return SIOC_ENOMEM;
  for (size_t i = 0; i < q->count; i++) n[i] = q->items[(q->head + i) & (q->cap - 1)];
  ring_free(pool, q->items, q->cap);
  q->items = n;
  q->head = 0;
  q->cap = (uint32_t)ncap;
  return 0;
}

int eio__outq_push(eio__outq_t *q, eio__outq_pool_t *pool, sioc__rbuf_t *buf,
                   size_t off, size_t len) {
  if (len == 0) return 0;
  if (q->count == q->cap) {
    int r = grow(q, pool);
    if (r) return r;
  }
  eio__outq_item_t *it = &q->items[(q->head + q->count) & (q->cap - 1)];
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
      q->head = (q->head + 1) & (q->cap - 1);
      q->count--;
    }
  }
}

/* The first iovs of the queue; *total gets their byte count. */
static size_t fill_iov(eio__outq_t *q, uv_buf_t *iov, size_t *total) {
  size_t n = q->count < OUTQ_MAX_IOV ? q->count : OUTQ_MAX_IOV;
  size_t t = 0;
  for (size_t i = 0; i < n; i++) {
    eio__outq_item_t *it = &q->items[(q->head + i) & (q->cap - 1)];
    iov[i] = uv_buf_init(it->buf->data + it->off, (unsigned)it->len);
    t += it->len;
  }
  *total = t;
  return n;
}

int eio__outq_flush(eio__outq_t *q, eio__outq_pool_t *pool, uv_stream_t *stream,
                    uv_write_cb cb, void *data) {
  if (q->inflight) return 0;
  uv_buf_t iov[OUTQ_MAX_IOV];
  size_t n, total;
  /* Write what the kernel takes right now; only the rest waits in the
   * queue (and counts toward the buffered-bytes limit). */
  while (q->count) {
    n = fill_iov(q, iov, &total);
    int w = uv_try_write(stream, iov, (unsigned)n);
    if (w == UV_EAGAIN || w == UV_ENOSYS) break;
    if (w < 0) return w;
    if (w == 0) break;
    consume(q, (size_t)w);
    if ((size_t)w < total) break;   /* the socket buffer is full */
  }
  if (q->count == 0) {
    release_if_idle(q, pool);
    return 0;
  }
  if (!q->req && !(q->req = malloc(sizeof(*q->req)))) return SIOC_ENOMEM;
  q->req->data = data;
  n = fill_iov(q, iov, &total);
  int r = uv_write(q->req, stream, iov, (unsigned)n, cb);
  if (r == 0) q->inflight = (uint32_t)n;
  return r;
}

void eio__outq_done(eio__outq_t *q, eio__outq_pool_t *pool) {
  for (size_t i = 0; i < q->inflight; i++) {
    eio__outq_item_t *it = &q->items[q->head];
    q->bytes -= it->len;
    sioc__rbuf_unref(it->buf);
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
  }
  q->inflight = 0;
  release_if_idle(q, pool);   /* an idle connection holds no queue memory */
}

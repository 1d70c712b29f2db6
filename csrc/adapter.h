/* adapter.h - the room index and broadcast targeting of a namespace, behind
 * an interface (socket.io's Adapter).
 *
 * Every namespace owns one adapter.  The in-memory adapter
 * (adapter_memory.c) is the default and indexes this process's sockets.  A
 * cluster adapter (Redis pub/sub, wire-compatible with
 * @socket.io/redis-adapter) wraps a memory adapter: it delegates the local
 * index to it, and additionally publishes broadcasts and namespace-wide
 * operations to the other servers, so nothing outside the adapter changes.
 *
 * All operations run on the loop thread.  `apply` and `rooms` see local
 * sockets only; broadcast and the sockets_* operations reach the cluster.
 */
#ifndef SIOC_ADAPTER_H
#define SIOC_ADAPTER_H

#include "buf.h"
#include "sioc.h"

typedef struct sio__adapter_s sio__adapter_t;
typedef struct sio__bcast_ack_s sio__bcast_ack_t;

/* A broadcast, encoded once for local delivery (msgs[0] is the packet text
 * as an Engine.IO message, msgs[1..] the attachments) and also given as
 * event, arguments and attachments for adapters that re-encode it for the
 * wire of a cluster. */
typedef struct {
  const sioc_target_t *target;   /* NULL: everyone */
  const char *event;
  const char *args;
  size_t args_len;
  const sioc_bin_t *attachments;
  size_t n_attachments;
  sioc__rbuf_t **msgs;
  size_t n_msgs;
} sio__broadcast_t;

typedef int (*sio__socket_fn)(sioc_socket_t *socket, void *data);

typedef struct {
  /* The local room index.  join is idempotent; 0 or SIOC_ENOMEM. */
  int (*join)(sio__adapter_t *a, sioc_socket_t *s, const char *room, size_t len);
  void (*leave)(sio__adapter_t *a, sioc_socket_t *s, const char *room, size_t len);
  void (*leave_all)(sio__adapter_t *a, sioc_socket_t *s);
  /* Calls fn once per local target socket (in namespace order for "all",
   * room order otherwise) until fn returns non-zero. */
  void (*apply)(sio__adapter_t *a, const sioc_target_t *t, sio__socket_fn fn,
                void *data);
  /* Calls cb with every local room and its size until cb returns non-zero. */
  void (*rooms)(sio__adapter_t *a, sioc_room_iter_cb cb, void *data);
  /* Delivers b to its targets (volatile/local flags in b->target). */
  int (*broadcast)(sio__adapter_t *a, const sio__broadcast_t *b);
  /* Namespace-wide operations on the targets. */
  int (*sockets_join)(sio__adapter_t *a, const sioc_target_t *t,
                      const char *const *rooms, size_t n);
  int (*sockets_leave)(sio__adapter_t *a, const sioc_target_t *t,
                       const char *const *rooms, size_t n);
  int (*disconnect_sockets)(sio__adapter_t *a, const sioc_target_t *t, int close);
  void (*free)(sio__adapter_t *a);
  /* A broadcast with acks (delivered locally by the caller): a cluster
   * adapter asks the other servers to deliver it too and feeds their
   * client counts and answers into `ack` (sio__bcast_ack_* in sio.h).
   * NULL for the memory adapter. */
  int (*broadcast_ack)(sio__adapter_t *a, const sio__broadcast_t *b,
                       uint32_t timeout_ms, sio__bcast_ack_t *ack);
} sio__adapter_ops_t;

struct sio__adapter_s {
  const sio__adapter_ops_t *ops;
  sioc_nsp_t *nsp;
};

/* The local targets of t, each referenced (adapter_memory.c): what acts on
 * targets walks a snapshot, since acting may change the very rooms being
 * walked.  err is SIOC_ENOMEM when not every target fit. */
typedef struct {
  sioc_socket_t **items;
  size_t n, cap;
  int err;
} sio__snapshot_t;

void sio__snapshot_take(sio__adapter_t *a, const sioc_target_t *t, sio__snapshot_t *v);
/* Drops the references and the array. */
void sio__snapshot_free(sio__snapshot_t *v);

/* The default: a new in-memory adapter for nsp, or NULL (SIOC_ENOMEM). */
sio__adapter_t *sio__memory_adapter_new(sioc_nsp_t *nsp);

#endif

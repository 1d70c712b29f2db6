/* cluster.h - what the files of the Redis cluster adapter share.
 *
 *   adapter_redis.c    the cluster's lifetime, the adapter ops (publishing
 *                      what this server does), routing of what arrives,
 *                      broadcasts of other servers
 *   cluster_request.c  requests this server issues and their answers
 *   cluster_serve.c    requests of other servers, answered
 *   cluster_local.c    this server's sockets and rooms as the wire carries them
 *   redis_link.c       the Redis connections (redis_link.h)
 *   cluster_wire.c     the message formats, sans-IO (cluster_wire.h)
 *
 * Ownership:
 *  - A server in a cluster holds one reference to it (server->cluster);
 *    each redis adapter holds one, and so does each remote broadcast with
 *    acks still waiting for client answers (cluster_serve.c).  The cluster
 *    owns its link; it is freed once unreferenced and the link is closed.
 *  - A redis adapter is owned by its namespace (nsp->adapter); it owns the
 *    memory adapter it wraps (`local`) and its channel names.
 *  - Requests this server issued are owned by the cluster's `requests`
 *    list; each names its adapter, whose requests all end (callback with
 *    SIOC_ECLOSED) before it is freed.
 *
 * All on the server's loop thread.
 */
#ifndef SIOC_CLUSTER_H
#define SIOC_CLUSTER_H

#include "cluster_wire.h"
#include "redis_link.h"
#include "sio.h"

typedef struct sio__cluster_s sio__cluster_t;
typedef struct sio__redis_adapter_s sio__redis_adapter_t;

struct sio__cluster_s {
  uint32_t refs;
  sioc_server_t *server;         /* NULL once the server is freed */
  uv_loop_t *loop;
  sio__redis_link_t *link;       /* NULL once closed */
  char *key;                     /* channel prefix */
  uint32_t requests_timeout_ms;
  int specific_response;         /* publishOnSpecificResponseChannel */
  char uid[8];                   /* this server, in every message */
  int closing;                   /* the server is closing */
  int holding_server;            /* counted in server->live_handles */
  sioc__list_t adapters;         /* sio__redis_adapter_t.link */
  sioc__list_t requests;         /* cluster_request.c */
  uint64_t next_seq;             /* request tokens */
};

struct sio__redis_adapter_s {
  sio__adapter_t base;
  sio__adapter_t *local;         /* the memory adapter: local index and delivery */
  sio__cluster_t *c;
  sioc__list_t link;             /* c->adapters */
  char *bcast_channel;           /* "<key>#<nsp>#" */
  char *bcast_pattern;           /* "<key>#<nsp>#*" (PSUBSCRIBE) */
  char *request_channel;         /* "<key>-request#<nsp>#" */
  char *response_channel;        /* "<key>-response#<nsp>#" */
  char *specific_channel;        /* "<key>-response#<nsp>#<uid>#" */
};

/* ---- adapter_redis.c ----------------------------------------------------- */

void sio__cluster_ref(sio__cluster_t *c);
void sio__cluster_unref(sio__cluster_t *c);
/* The redis adapter of nsp, or NULL when the server is not in a cluster. */
sio__redis_adapter_t *sio__cluster_adapter(sioc_nsp_t *nsp);
/* uid2-like random ids of n characters [A-Za-z0-9_-] (out has n + 1). */
void sio__cluster_random_id(char *out, size_t n);

/* ---- cluster_request.c --------------------------------------------------- */

/* A message on our response channels: 0 (used, or an answer to another
 * server), SIOC_EPROTO / SIOC_ELIMIT (malformed: the caller logs it). */
int sio__cluster_on_response(sio__redis_adapter_t *a, const char *msg, size_t len);
/* The link's answer to a NUMSUB we asked for request `token`. */
void sio__cluster_on_numsub(sio__cluster_t *c, uint64_t token, long n);
/* Ends the requests of adapter a (every adapter's when a is NULL) with err. */
void sio__cluster_end_requests(sio__cluster_t *c, sio__redis_adapter_t *a, int err);
/* Publishes socketsJoin / socketsLeave / disconnectSockets (SIO_REQ_REMOTE_*)
 * for the targets t (no answer is awaited, as socket.io). */
int sio__cluster_publish_rooms_op(sio__redis_adapter_t *a, int type,
                                  const sioc_target_t *t, const char *const *rooms,
                                  size_t n, int close);
/* The cluster side of a broadcast with acks (adapter op broadcast_ack). */
int sio__cluster_broadcast_ack(sio__redis_adapter_t *a, const sio__broadcast_t *b,
                               uint32_t timeout_ms, sio__bcast_ack_t *ack);

/* ---- cluster_serve.c ----------------------------------------------------- */

/* A message on the request channel of a's namespace: 0 (served, or our
 * own), SIOC_EPROTO (malformed or unknown), SIOC_ELIMIT, SIOC_ENOMEM. */
int sio__cluster_on_request(sio__redis_adapter_t *a, const char *msg, size_t len);

/* ---- cluster_local.c ----------------------------------------------------- */

/* Appends {"id","handshake","rooms","data"} of local socket s as socket.io's
 * RemoteSocket carries it; data is JSON text (NULL or empty: {}). */
int sio__cluster_socket_details(sioc__sbuf_t *b, sioc_socket_t *s, const char *data,
                                size_t data_len);
/* Appends the JSON array of the room names of adapter a (local rooms). */
int sio__cluster_rooms_json(sioc__sbuf_t *b, sio__adapter_t *a);

#endif

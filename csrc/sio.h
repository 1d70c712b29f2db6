/* sio.h - Socket.IO v5 server internals: clients (one per Engine.IO
 * session), namespaces, sockets, acknowledgements and the room adapter.
 *
 * Ownership:
 *  - sioc_server_t owns its namespaces (never freed before the server).
 *  - a client is owned by its session (session->data) and freed when the
 *    session closes; it owns the sockets' membership in the namespaces.
 *  - a socket is reference counted: the namespace holds one reference while
 *    it is pending or connected, hosts take their own.
 */
#ifndef SIOC_SIO_H
#define SIOC_SIO_H

#include "adapter.h"
#include "server.h"
#include "sio_packet.h"

typedef struct sio__client_s sio__client_t;
typedef struct sio__room_s sio__room_t;
typedef struct sio__member_s sio__member_t;
typedef struct sio__ack_s sio__ack_t;

struct sio__client_s {
  eio__session_t *session;
  sioc_server_t *server;
  sioc__list_t sockets;          /* sioc_socket_t.client_link */
  sioc__list_t nsp_requests;     /* CONNECTs waiting for the host (sioc_nsp_request_t) */
  uv_timer_t *connect_timer;     /* until the first namespace is joined */
  /* a binary packet waiting for its attachments */
  char *pending;                 /* copy of the packet text */
  size_t pending_len;
  size_t want_attachments;
  sioc_bin_t *attachments;
  size_t n_attachments;
  sioc__sbuf_t scratch;
};

/* The room index of a namespace: room name -> members.  A membership is one
 * node linked both into its room and into its socket, so joins and leaves
 * are O(1) and a disconnect walks only the socket's own rooms. */
struct sio__room_s {
  sioc__list_t members;          /* sio__member_t.room_link */
  size_t n_members;
  size_t name_len;
  char name[];
};

struct sio__member_s {
  sio__room_t *room;
  sioc_socket_t *socket;
  sioc__list_t room_link;
  sioc__list_t socket_link;
};

typedef struct {
  sioc_middleware_cb cb;
  void *data;
} sio__middleware_t;

struct sioc_nsp_s {
  uint32_t refs;                 /* the server's map + one per socket struct */
  size_t n_pending;              /* sockets still in their middlewares */
  sioc_server_t *server;
  sioc__list_t link;             /* server->nsp_list */
  sioc__list_t sockets;          /* connected: sioc_socket_t.nsp_link */
  size_t n_sockets;
  sioc__strmap_t by_id;          /* connected socket id -> socket */
  sio__adapter_t *adapter;       /* rooms and broadcast targeting */
  sio__middleware_t *middlewares;
  size_t n_middlewares;
  sioc_connection_cb on_connection;
  void *on_connection_data;
  sioc_event_cb on_event;
  void *on_event_data;
  sioc_disconnect_cb on_disconnecting;
  void *on_disconnecting_data;
  sioc_disconnect_cb on_disconnect;
  void *on_disconnect_data;
  sioc_disconnect_cb on_pending_close;   /* connection lost in the middlewares */
  void *on_pending_close_data;
  sioc_fetch_data_cb on_fetch_data;      /* cluster: socket.data of ours */
  void *on_fetch_data_data;
  sioc_server_side_cb on_server_side;    /* cluster: serverSideEmit */
  void *on_server_side_data;
  sioc_upgrade_cb on_upgrade;
  void *on_upgrade_data;
  sioc_error_cb on_error;
  void *on_error_data;
  size_t name_len;
  char name[];
};

typedef enum { SOCK_PENDING, SOCK_CONNECTED, SOCK_DISCONNECTED } sio__sock_state_t;

struct sioc_socket_s {
  uint32_t refs;
  uint8_t state;
  uint8_t decided;               /* middleware chain finished */
  uint8_t in_middleware;         /* a middleware callback is running */
  size_t next_middleware;
  uint32_t mark;                 /* memory adapter: chosen by a broadcast */
  uint32_t except_mark;          /* memory adapter: excluded by a broadcast */
  sioc_nsp_t *nsp;
  sio__client_t *client;         /* NULL once disconnected */
  sioc__list_t nsp_link;
  sioc__list_t client_link;
  sioc__list_t rooms;            /* sio__member_t.socket_link */
  sioc__list_t acks;             /* sio__ack_t.link */
  int64_t next_ack_id;
  char *auth;
  size_t auth_len;
  void *data;
  char id[24];
};

struct sio__ack_s {
  sioc__list_t link;
  int64_t id;
  sioc_socket_t *socket;
  sioc_ack_cb cb;
  void *data;
  sio__bcast_ack_t *bcast;       /* part of a broadcast with acks */
  uv_timer_t *timer;
};

/* Encodes an EVENT (or BINARY_EVENT) packet into Engine.IO messages: msgs[0]
 * is the packet text, msgs[1..] the attachments.  0 or an error. */
int sio__encode_event_msgs(const sioc_nsp_t *nsp, const char *event,
                           const char *args, size_t args_len,
                           const sioc_bin_t *atts, size_t n_atts, int64_t id,
                           sioc__rbuf_t **msgs);
/* Sends prepared messages to one socket's client. */
int sio__socket_send_msgs(sioc_socket_t *s, sioc__rbuf_t **msgs, size_t n,
                          int volatile_);
/* The server's encode buffer, emptied; see sio__tx_done. */
sioc__sbuf_t *sio__tx_begin(sioc_server_t *s);
/* Gives back its memory if one packet made it unusually large. */
void sio__tx_done(sioc_server_t *s);
/* Marks args as checked while the application handles them (see
 * sioc_server_s.checked_args); returns the previous mark for
 * sio__checked_args_restore. */
typedef struct {
  const char *args;
  size_t len;
} sio__checked_t;
sio__checked_t sio__checked_args_set(sioc_server_t *s, const char *args, size_t len);
void sio__checked_args_restore(sioc_server_t *s, sio__checked_t prev);
/* Sends a packet text (+ attachments) to a client session. */
int sio__client_send_text(sio__client_t *c, const char *text, size_t len);

/* socket lifecycle (sio_socket.c) */
sioc_socket_t *sio__socket_new(sioc_nsp_t *nsp, sio__client_t *client,
                               const char *auth, size_t auth_len);
void sio__socket_run_middlewares(sioc_socket_t *s);
void sio__socket_onclose(sioc_socket_t *s, const char *reason);
void sio__socket_on_ack(sioc_socket_t *s, int64_t id, const char *args,
                        size_t len, const sioc_bin_t *atts, size_t n);
int sio__register_ack(sioc_socket_t *s, sioc_ack_cb cb, void *data,
                      sio__bcast_ack_t *bcast, uint32_t timeout_ms,
                      int64_t *id_out);

/* A broadcast with acks that other servers take part in (the cluster
 * adapter, cluster_request.c).  cluster_start: other servers take part;
 * the broadcast then also waits until it knows how many (cluster_servers,
 * once), until that many reported their client counts (cluster_count, one
 * call per server) and until that many remote clients answered
 * (cluster_answer: JSON text of one client's first ack argument; answers
 * beyond the announced counts are dropped).  cluster_time_out ends it now
 * with SIOC_ETIMEDOUT and the answers so far.  Each call may complete the
 * broadcast: on_done(data) runs first, so that the adapter forgets it, and
 * b is freed. */
void sio__bcast_ack_cluster_start(sio__bcast_ack_t *b, void (*on_done)(void *), void *data);
void sio__bcast_ack_cluster_servers(sio__bcast_ack_t *b, size_t n);
void sio__bcast_ack_cluster_count(sio__bcast_ack_t *b, size_t clients);
void sio__bcast_ack_cluster_answer(sio__bcast_ack_t *b, const char *json, size_t len);
void sio__bcast_ack_cluster_time_out(sio__bcast_ack_t *b);

/* Local delivery of a broadcast to the targets of t (used by adapters). */
void sio__deliver_local(sioc_nsp_t *nsp, const sio__broadcast_t *b);

/* The Redis cluster (adapter_redis.c): wraps a new namespace's memory
 * adapter when the server is in a cluster (0 or SIOC_ENOMEM); starts
 * closing the links when the server closes (the close waits for them);
 * drops the server's reference once its namespaces are freed. */
int sio__cluster_wrap(sioc_nsp_t *nsp);
void sio__cluster_close(sioc_server_t *server);
void sio__cluster_server_gone(sioc_server_t *server);

/* Drops a reference; the namespace is freed with the last one. */
void sio__nsp_unref(sioc_nsp_t *nsp);

#endif

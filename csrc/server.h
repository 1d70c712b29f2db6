/* server.h - the sioc_server_t object shared by the listener (server.c),
 * the engines and the Socket.IO layer. */
#ifndef SIOC_SERVER_H
#define SIOC_SERVER_H

#include "engine.h"
#include "strmap.h"

#define SIOC_READ_BUF_SIZE 65536

struct sioc_server_s {
  uv_loop_t *loop;
  sioc_server_options_t opts;    /* strings point into opt_arena */
  char *opt_arena;
  uv_tcp_t listener;
  int listening;
  int port;
  sioc__list_t conns;
  size_t n_conns;
  size_t n_sessions;
  size_t n_sockets;
  char *read_buf;                /* shared: reads are consumed synchronously */
  int read_buf_busy;
  /* A WebSocket message that arrived whole in one read is unmasked here and
   * delivered from here (ws_transport.c); busy while one is delivered. */
  sioc__sbuf_t rx;
  int rx_busy;
  /* End of a loop turn: a check handle (after the poll phase's callbacks)
   * and a prepare handle (before the loop blocks), active only while there
   * is work for them: connections with output gathered by eio__conn_send
   * (one writev each) and closed sessions to free.  Both run before any
   * close callback of the turn, so the corked list never names freed
   * memory. */
  uv_check_t end_check;
  uv_prepare_t end_prepare;
  eio__conn_t **corked;
  size_t n_corked, cap_corked;
  sioc__list_t graveyard;        /* closed sessions (eio__session_t.hb_link) */
  eio__outq_pool_t outq_pool;    /* spare write-queue rings (outq.h) */
  /* Engine.IO heartbeats of every session (engine.c).  Every session waits
   * with the same interval (or timeout), so appending keeps each queue in
   * deadline order and one timer armed for the earliest head serves all. */
  uv_timer_t hb_timer;
  sioc__list_t hb_ping;          /* open sessions waiting to send a ping */
  sioc__list_t hb_pong;          /* sessions that were pinged, until the pong */
  /* Outgoing packet text is encoded here, then copied into its shared
   * block (sio_socket.c); keeps its capacity between packets. */
  sioc__sbuf_t tx;
  /* The arguments of the event (or ack) being handed to the application:
   * already checked on receipt, so passed back as they are (an echo or an
   * ack with the same arguments) they are not checked again. */
  const char *checked_args;
  size_t checked_args_len;
  eio__engine_t sio_engine;      /* at opts.path */
  eio__engine_t *eio_engine;     /* raw Engine.IO at opts.eio_path */
  /* raw Engine.IO callbacks */
  sioc_eio_connection_cb eio_on_connection;
  sioc_eio_message_cb eio_on_message;
  sioc_eio_close_cb eio_on_close;
  void *eio_user_data;
  sioc_connection_error_cb on_conn_error;
  void *on_conn_error_data;
  /* Socket.IO */
  sioc__strmap_t nsps;           /* name -> sioc_nsp_t */
  sioc__list_t nsp_list;
  sioc_nsp_resolve_cb resolve_nsp;
  void *resolve_nsp_data;
  sioc_nsp_request_cb resolve_nsp_async;   /* replaces resolve_nsp when set */
  void *resolve_nsp_async_data;
  struct sio__cluster_s *cluster; /* cluster.h; NULL: one process */
  /* loop turns, for "written during this turn" (eio__session_writable) */
  uv_check_t turn_check;
  uint32_t turn;                 /* 0 until the check handle runs */
  int turn_started;
  /* closing */
  int closing;
  int live_handles;              /* uv handles not yet closed (cb not run) */
  uv_timer_t *close_timer;       /* bounds a graceful close */
  struct sioc__route_s *routes;  /* fixed documents (sioc_server_serve) */
  sioc_server_close_cb close_cb;
  void *close_data;
};

/* The current loop turn: it changes once per loop iteration (a check
 * handle, started on the first call, unref'd so it keeps no loop alive). */
uint32_t sioc__server_turn(sioc_server_t *s);

/* Called when a handle owned by the server (connection, session timer)
 * finished closing; completes sioc_server_close() once none remain. */
void sioc__server_handle_closed(sioc_server_t *s);

/* The end-of-turn handles run until their work is done (see
 * sioc_server_s.end_check). */
void sioc__server_want_turn_end(sioc_server_t *s);
/* conn.c: writes every gathered connection's queue. */
void sioc__conn_flush_all(sioc_server_t *s);
/* engine.c: the heartbeat timer's callback; frees the graveyard. */
void eio__heartbeat_run(uv_timer_t *t);
void eio__sessions_reap(sioc_server_t *s);

/* Routes a complete request to the engine mounted at its path, or answers
 * 404. */
void sioc__server_route(eio__conn_t *c, eio__http_req_t *req);

/* The POST-headers hook of the router (see eio__engine_post_begin). */
int sioc__server_route_post(eio__conn_t *c, eio__http_req_t *req);

/* sio_server.c: the Socket.IO engine handler and teardown. */
extern const eio__handler_t sio__engine_handler;
void sio__server_close_all(sioc_server_t *s);
void sio__server_free(sioc_server_t *s);
/* eio_api.c: the raw Engine.IO engine handler. */
extern const eio__handler_t eio__raw_handler;

#endif

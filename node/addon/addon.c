/* addon.c - the Node-API glue between sioc's C core and node/lib/ (JS).
 *
 * Threading: none of our own.  The core runs on node's own loop
 * (napi_get_uv_event_loop); every C -> JS call goes through
 * napi_make_callback so promises and process.nextTick run right after it.
 *
 * Objects and their JS side:
 *  - a server is an external (nserver_t) held by the JS Server; while the C
 *    server is open the addon holds a strong reference to the JS Server, so
 *    it cannot be collected while it has work, and drops it when the close
 *    callback ran.
 *  - a namespace is an external (nnsp_t) owned by its nserver_t; namespaces
 *    live as long as their server.
 *  - a socket is a small integer handle into a slot table (nsock_t); the
 *    slot holds a sioc_socket_ref, is created when the CONNECT arrives
 *    (before the middlewares run, as in socket.io) and released when the
 *    socket disconnects or is refused.  The JS side keeps its Socket objects
 *    in a table of its own under the same handle (no napi_ref per socket:
 *    ~100 bytes of what an idle connection costs); socket callbacks pass
 *    the handle.
 *  - acks are integer tokens: the JS side keeps the callbacks.
 * Every C -> JS call is one call per incoming event; broadcasts from JS are
 * one C call whatever the number of recipients.
 *
 * Instance data (napi_set_instance_data) makes the addon work in several
 * worker_threads at once; an async cleanup hook closes the servers still
 * open when an environment goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_glue.h"

#include "sioc.h"

/* ---- instance data ----------------------------------------------------- */

enum {
  CB_SOCKET_NEW,      /* (nspObj, handle, id): binds and decides */
  CB_CONNECTION,      /* (handle) */
  CB_EVENT,           /* (handle, name, json, atts|undefined, ackId) */
  CB_DISCONNECTING,   /* (handle, reason) */
  CB_DISCONNECT,      /* (handle, reason): the handle is released after it */
  CB_ACK,             /* (token, err, json|null, atts|undefined) */
  CB_BCAST_ACK,       /* (token, err, responsesJson) */
  CB_NEW_NSP,         /* (serverObj, name, authJson, req): answer with nspAnswer */
  CB_CLOSED,          /* (serverObj) */
  CB_ALLOW_REQUEST,   /* (serverObj, handshake, token): answer with requestDecide */
  CB_CORS,            /* (serverObj, origin) -> boolean */
  CB_CONN_ERROR,      /* (serverObj, {code, message, method, url, rawHeaders, address}) */
  CB_CLUSTER,         /* (token, err, json, message|null): a cluster query's answer */
  CB_FETCH_DATA,      /* (nspObj, request, ids): reply with nspFetchDataReply */
  CB_SERVER_SIDE,     /* (nspObj, json, ack|null): another server's serverSideEmit */
  CB_UPGRADE,         /* (handle): its connection is on WebSocket now */
  CB_ERROR,           /* (handle, message): an undecodable packet, before the close */
  CB_PENDING_CLOSE,   /* (handle, reason): the connection went during the middlewares */
  CB_COUNT
};

static const char *const cb_names[CB_COUNT] = {
    "socketNew", "connection", "event", "disconnecting", "disconnect", "ack",
    "bcastAck", "newNsp", "closed", "allowRequest", "cors", "connectionError",
    "cluster", "fetchData", "serverSide", "upgrade", "error", "pendingClose"};

typedef struct nserver_s nserver_t;

typedef struct addon_s addon_t;

typedef struct {
  sioc_socket_t *s;
  uint32_t slot;
  addon_t *a;
} nsock_t;

struct addon_s {
  napi_env env;
  uv_loop_t *loop;
  napi_ref cbs[CB_COUNT];
  napi_async_context actx;
  int gone;                   /* the environment is being torn down */
  nsock_t **slots;
  uint32_t n_slots, cap_slots;
  uint32_t *free_slots;
  uint32_t n_free;
  nserver_t *servers;         /* open servers (for the cleanup hook) */
  napi_async_cleanup_hook_handle cleanup;
  /* live-object counters for leak tests */
  int64_t live_sockets;       /* socket slots held */
  int64_t live_refs;          /* napi_refs held (servers + nsps) */
  int64_t live_servers;       /* C servers not yet freed */
};

typedef struct {
  nserver_t *srv;
  sioc_nsp_t *nsp;            /* NULL once the server is closed */
  napi_ref js;                /* the JS Namespace (strong) */
} nnsp_t;

struct nserver_s {
  addon_t *a;
  sioc_server_t *server;      /* NULL once closing */
  napi_ref js;                /* the JS Server while open */
  nnsp_t **nsps;
  size_t n_nsps, cap_nsps;
  char *allow_msg;            /* last allowRequest refusal */
  int closed;                 /* the close callback ran */
  nserver_t *next, *prev;     /* addon->servers */
};

/* ---- helpers ---------------------------------------------------------------- */

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) return NULL;                                      \
  } while (0)

static napi_value throw_code(napi_env env, int err, const char *what) {
  char msg[320];
  snprintf(msg, sizeof(msg), "%.200s: %s", what, sioc_strerror(err));
  napi_throw_error(env, sioc_err_name(err), msg);
  return NULL;
}

/* A JS string argument as a malloc'd NUL-terminated copy (NULL on error,
 * with an exception pending). */
static char *get_string(napi_env env, napi_value v, size_t *len_out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (len_out) *len_out = len;
  return s;
}

/* A short string into a caller buffer, or malloc'd when it does not fit. */
typedef struct {
  char *p;
  size_t len;
  char small[256];
} sbuf_t;

/* One pass for a short string: copied straight into the small buffer.  A
 * copy that stops short of the buffer's end by more than one UTF-8
 * character is complete (V8 never writes part of a character); otherwise
 * the length is asked for and the string copied again. */
static int get_sbuf(napi_env env, napi_value v, sbuf_t *b) {
  size_t len;
  b->p = b->small;
  if (napi_get_value_string_utf8(env, v, b->small, sizeof(b->small), &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return -1;
  }
  if (len + 4 < sizeof(b->small)) {
    b->len = len;
    return 0;
  }
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  if (len >= sizeof(b->small) && !(b->p = malloc(len + 1))) {
    napi_throw_error(env, NULL, "out of memory");
    return -1;
  }
  napi_get_value_string_utf8(env, v, b->p, len + 1, &b->len);
  return 0;
}

static void sbuf_free(sbuf_t *b) {
  if (b->p != b->small) free(b->p);
}

/* An array of Buffers (or undefined/null) as borrowed sioc_bin_t. */
static int get_bins(napi_env env, napi_value v, sioc_bin_t **out, size_t *n) {
  napi_valuetype t;
  *out = NULL;
  *n = 0;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) return 0;
  uint32_t len;
  if (napi_get_array_length(env, v, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "attachments must be an array");
    return -1;
  }
  if (!len) return 0;
  sioc_bin_t *b = calloc(len, sizeof(*b));
  if (!b) {
    napi_throw_error(env, NULL, "out of memory");
    return -1;
  }
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    void *data = NULL;
    size_t bl = 0;
    napi_get_element(env, v, i, &e);
    if (napi_get_buffer_info(env, e, &data, &bl) != napi_ok) {
      free(b);
      napi_throw_type_error(env, NULL, "attachments must be Buffers");
      return -1;
    }
    b[i].data = data;
    b[i].len = bl;
  }
  *out = b;
  *n = len;
  return 0;
}

/* Attachments as a JS array of Buffers, or undefined. */
static addon_t *addon(napi_env env) {
  addon_t *a = NULL;
  napi_get_instance_data(env, (void **)&a);
  return a;
}

static napi_value ref_value(napi_env env, napi_ref r) { return glue_ref_value(env, r); }

static napi_ref new_ref(addon_t *a, napi_value v) {
  return glue_new_ref(a->env, &a->live_refs, v);
}

static void del_ref(addon_t *a, napi_ref *r) { glue_del_ref(a->env, &a->live_refs, r); }

static napi_value call_js(addon_t *a, int which, napi_value recv, size_t argc,
                          napi_value *argv) {
  return glue_call(a->env, a->actx, a->cbs[which], recv, argc, argv);
}

/* ---- socket slots --------------------------------------------------------------- */

static nsock_t *slot_new(addon_t *a, sioc_socket_t *s) {
  nsock_t *ns = calloc(1, sizeof(*ns));
  if (!ns) return NULL;
  uint32_t i;
  if (a->n_free) {
    i = a->free_slots[--a->n_free];
  } else {
    if (a->n_slots == a->cap_slots) {
      uint32_t cap = a->cap_slots ? a->cap_slots * 2 : 256;
      nsock_t **sl = realloc(a->slots, cap * sizeof(*sl));
      uint32_t *fr = realloc(a->free_slots, cap * sizeof(*fr));
      if (sl) a->slots = sl;
      if (fr) a->free_slots = fr;
      if (!sl || !fr) {
        free(ns);
        return NULL;
      }
      a->cap_slots = cap;
    }
    i = a->n_slots++;
  }
  a->slots[i] = ns;
  ns->slot = i;
  ns->a = a;
  ns->s = sioc_socket_ref(s);
  sioc_socket_set_data(s, ns);
  a->live_sockets++;
  return ns;
}

static void slot_release(addon_t *a, nsock_t *ns) {
  if (!ns) return;
  a->slots[ns->slot] = NULL;
  a->free_slots[a->n_free++] = ns->slot;
  sioc_socket_set_data(ns->s, NULL);
  sioc_socket_unref(ns->s);
  a->live_sockets--;
  free(ns);
}

static nsock_t *get_sock(napi_env env, addon_t *a, napi_value v) {
  int32_t i = -1;
  napi_get_value_int32(env, v, &i);
  if (i < 0 || (uint32_t)i >= a->n_slots) return NULL;
  return a->slots[i];
}

/* ---- C -> JS: namespace callbacks -------------------------------------------------------- */

static void on_middleware(sioc_socket_t *s, const char *auth, size_t len, void *ud) {
  nnsp_t *n = ud;
  addon_t *a = n->srv->a;
  if (a->gone) {
    sioc_socket_reject(s, "server shutting down", NULL, 0);
    return;
  }
  nsock_t *ns = slot_new(a, s);
  if (!ns) {
    sioc_socket_reject(s, "out of memory", NULL, 0);
    return;
  }
  /* The JS side binds its Socket to the handle (bind()) and runs the
   * middlewares, which end in accept() or reject(); either may happen
   * before this call returns, so ns is not touched after it. */
  napi_handle_scope scope;
  napi_open_handle_scope(a->env, &scope);
  const char *id = sioc_socket_id(s);
  napi_value argv[3] = {ref_value(a->env, n->js), num(a->env, ns->slot),
                        str(a->env, id, strlen(id))};
  call_js(a, CB_SOCKET_NEW, NULL, 3, argv);
  napi_close_handle_scope(a->env, scope);
}

static void sock_cb(sioc_socket_t *s, int which, const char *reason) {
  nsock_t *ns = sioc_socket_get_data(s);
  if (!ns) return;
  addon_t *a = ns->a;
  if (a->gone) {
    if (which == CB_DISCONNECT) slot_release(a, ns);
    return;
  }
  napi_handle_scope scope;
  napi_open_handle_scope(a->env, &scope);
  napi_value argv[2] = {num(a->env, ns->slot), NULL};
  size_t argc = 1;
  if (reason) argv[argc++] = str(a->env, reason, strlen(reason));
  call_js(a, which, NULL, argc, argv);
  if (which == CB_DISCONNECT) slot_release(a, ns);
  napi_close_handle_scope(a->env, scope);
}

static void on_connection(sioc_socket_t *s, void *ud) { sock_cb(s, CB_CONNECTION, NULL); }

static void on_disconnecting(sioc_socket_t *s, const char *reason, void *ud) {
  sock_cb(s, CB_DISCONNECTING, reason);
}

static void on_disconnect(sioc_socket_t *s, const char *reason, void *ud) {
  sock_cb(s, CB_DISCONNECT, reason);
}

static void on_upgrade(sioc_socket_t *s, void *ud) { sock_cb(s, CB_UPGRADE, NULL); }

/* The handle stays: the middleware's decision, still to come, releases it. */
static void on_pending_close(sioc_socket_t *s, const char *reason, void *ud) {
  sock_cb(s, CB_PENDING_CLOSE, reason);
}

static void on_error(sioc_socket_t *s, const char *message, void *ud) {
  sock_cb(s, CB_ERROR, message);
}

static void on_event(sioc_socket_t *s, const sioc_event_t *ev, void *ud) {
  nsock_t *ns = sioc_socket_get_data(s);
  nnsp_t *n = ud;
  addon_t *a = n->srv->a;
  if (!ns || a->gone) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[5] = {num(env, ns->slot), str(env, ev->name, ev->name_len),
                        str(env, ev->args, ev->args_len),
                        make_bins(env, ev->attachments, ev->n_attachments),
                        num(env, (double)ev->ack_id)};
  call_js(a, CB_EVENT, NULL, 5, argv);
  napi_close_handle_scope(env, scope);
}

static void on_fetch_data(sioc_nsp_t *nsp, const char *request,
                          const char *const *ids, size_t n, void *ud);
static void on_server_side(sioc_nsp_t *nsp, const char *args, size_t len,
                           const char *ack, void *ud);

static void setup_nsp(nnsp_t *n) {
  sioc_nsp_on_fetch_data(n->nsp, on_fetch_data, n);
  sioc_nsp_on_server_side_emit(n->nsp, on_server_side, n);
  sioc_nsp_use(n->nsp, on_middleware, n);
  sioc_nsp_on_connection(n->nsp, on_connection, n);
  sioc_nsp_on_event(n->nsp, on_event, n);
  sioc_nsp_on_disconnecting(n->nsp, on_disconnecting, n);
  sioc_nsp_on_disconnect(n->nsp, on_disconnect, n);
  sioc_nsp_on_pending_close(n->nsp, on_pending_close, n);
  sioc_nsp_on_upgrade(n->nsp, on_upgrade, n);
  sioc_nsp_on_error(n->nsp, on_error, n);
}

/* ---- C -> JS: acks ------------------------------------------------------------------------ */

static void on_ack(sioc_socket_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *atts, size_t n, void *ud) {
  nsock_t *ns = sioc_socket_get_data(s);
  addon_t *a = ns ? ns->a : NULL;
  if (!a || a->gone) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[4] = {num(env, (double)(uintptr_t)ud), num(env, err),
                        str(env, args, len), make_bins(env, atts, n)};
  call_js(a, CB_ACK, NULL, 4, argv);
  napi_close_handle_scope(env, scope);
}

typedef struct {
  addon_t *a;
  uint32_t token;
} bcast_token_t;

static void on_bcast_ack(sioc_nsp_t *nsp, int err, const char *responses, size_t len,
                         void *ud) {
  bcast_token_t *bt = ud;
  addon_t *a = bt->a;
  uint32_t token = bt->token;
  free(bt);
  if (a->gone) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[3] = {num(env, token), num(env, err), str(env, responses, len)};
  call_js(a, CB_BCAST_ACK, NULL, 3, argv);
  napi_close_handle_scope(env, scope);
}

/* ---- C -> JS: server callbacks --------------------------------------------------------- */

/* An unknown namespace: the JS side runs the io.of(fn) checks, now or later,
 * creates the child namespace (nspOf(), callbacks included) and answers
 * with nspAnswer(req, nsp|null) exactly once. */
static void on_new_nsp(sioc_server_t *server, sioc_nsp_request_t *req, const char *name,
                       const char *auth, size_t auth_len, void *ud) {
  nserver_t *srv = ud;
  addon_t *a = srv->a;
  if (a->gone || !srv->js) {
    sioc_nsp_request_answer(req, NULL);
    return;
  }
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value ext;
  if (napi_create_external(env, req, NULL, NULL, &ext) != napi_ok) {
    napi_close_handle_scope(env, scope);
    sioc_nsp_request_answer(req, NULL);
    return;
  }
  napi_value argv[4] = {ref_value(env, srv->js), str(env, name, strlen(name)),
                        str(env, auth, auth_len), ext};
  call_js(a, CB_NEW_NSP, NULL, 4, argv);
  napi_close_handle_scope(env, scope);
}

static napi_value make_handshake(napi_env env, const sioc_handshake_t *hs) {
  napi_value o, headers;
  napi_create_object(env, &o);
  napi_create_array_with_length(env, hs->n_headers * 2, &headers);
  for (size_t i = 0; i < hs->n_headers; i++) {
    napi_set_element(env, headers, (uint32_t)(2 * i),
                     str(env, hs->headers[i].name, strlen(hs->headers[i].name)));
    napi_set_element(env, headers, (uint32_t)(2 * i + 1),
                     str(env, hs->headers[i].value, strlen(hs->headers[i].value)));
  }
  napi_set_named_property(env, o, "rawHeaders", headers);
  napi_set_named_property(env, o, "url", str(env, hs->url, strlen(hs->url)));
  napi_set_named_property(env, o, "query", str(env, hs->query, strlen(hs->query)));
  napi_set_named_property(env, o, "address", str(env, hs->address, strlen(hs->address)));
  napi_set_named_property(env, o, "time", num(env, (double)hs->time_ms));
  napi_value b;
  napi_get_boolean(env, hs->secure != 0, &b);
  napi_set_named_property(env, o, "secure", b);
  napi_get_boolean(env, hs->xdomain != 0, &b);
  napi_set_named_property(env, o, "xdomain", b);
  return o;
}

/* allowRequest is asynchronous in socket.io: JS gets the handshake and a
 * token, and answers later with requestDecide(token, null | message). */
static void on_allow_request(sioc_server_t *server, const sioc_handshake_t *hs,
                             sioc_request_t *req, void *ud) {
  nserver_t *srv = ud;
  addon_t *a = srv->a;
  if (a->gone || !srv->js) {
    sioc_request_refuse(req, "server shutting down");
    return;
  }
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value token;
  if (napi_create_external(env, req, NULL, NULL, &token) != napi_ok) {
    sioc_request_refuse(req, "Server error");
  } else {
    napi_value argv[3] = {ref_value(env, srv->js), make_handshake(env, hs), token};
    if (!call_js(a, CB_ALLOW_REQUEST, NULL, 3, argv)) sioc_request_refuse(req, "Server error");
  }
  napi_close_handle_scope(env, scope);
}

static int on_cors(sioc_server_t *server, const char *origin, void *ud) {
  nserver_t *srv = ud;
  addon_t *a = srv->a;
  if (a->gone || !srv->js) return 0;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[2] = {ref_value(env, srv->js), str(env, origin, strlen(origin))};
  napi_value r = call_js(a, CB_CORS, NULL, 2, argv);
  bool ok = false;
  if (r) napi_get_value_bool(env, r, &ok);
  napi_close_handle_scope(env, scope);
  return ok;
}

static void on_conn_error(sioc_server_t *server, const sioc_connection_error_t *e,
                          void *ud) {
  nserver_t *srv = ud;
  addon_t *a = srv->a;
  if (a->gone || !srv->js) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value o, headers;
  napi_create_object(env, &o);
  napi_create_array_with_length(env, e->n_headers * 2, &headers);
  for (size_t i = 0; i < e->n_headers; i++) {
    napi_set_element(env, headers, (uint32_t)(2 * i),
                     str(env, e->headers[i].name, strlen(e->headers[i].name)));
    napi_set_element(env, headers, (uint32_t)(2 * i + 1),
                     str(env, e->headers[i].value, strlen(e->headers[i].value)));
  }
  napi_set_named_property(env, o, "rawHeaders", headers);
  napi_set_named_property(env, o, "code", num(env, e->code));
  napi_set_named_property(env, o, "message", str(env, e->message, strlen(e->message)));
  napi_set_named_property(env, o, "method", str(env, e->method, strlen(e->method)));
  napi_set_named_property(env, o, "url", str(env, e->url, strlen(e->url)));
  napi_set_named_property(env, o, "address", str(env, e->address, strlen(e->address)));
  napi_value argv[2] = {ref_value(env, srv->js), o};
  call_js(a, CB_CONN_ERROR, NULL, 2, argv);
  napi_close_handle_scope(env, scope);
}

static void server_unlink(addon_t *a, nserver_t *srv) {
  if (srv->prev) srv->prev->next = srv->next;
  else if (a->servers == srv) a->servers = srv->next;
  if (srv->next) srv->next->prev = srv->prev;
  srv->next = srv->prev = NULL;
}

static void server_release_nsps(nserver_t *srv) {
  for (size_t i = 0; i < srv->n_nsps; i++) {
    srv->nsps[i]->nsp = NULL;
    del_ref(srv->a, &srv->nsps[i]->js);
  }
}

static void on_server_closed(sioc_server_t *unused, void *ud) {
  nserver_t *srv = ud;
  addon_t *a = srv->a;
  srv->closed = 1;
  a->live_servers--;
  server_unlink(a, srv);
  server_release_nsps(srv);
  if (!a->gone && srv->js) {
    napi_handle_scope scope;
    napi_open_handle_scope(a->env, &scope);
    napi_value argv[1] = {ref_value(a->env, srv->js)};
    call_js(a, CB_CLOSED, NULL, 1, argv);
    napi_close_handle_scope(a->env, scope);
  }
  del_ref(a, &srv->js);
  if (a->gone && !a->servers && a->cleanup) {
    napi_async_cleanup_hook_handle h = a->cleanup;
    a->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
  }
}

static void server_finalize(napi_env env, void *data, void *hint) {
  nserver_t *srv = data;
  if (!srv->closed && srv->server) {
    /* Unreachable while open (the addon holds the JS Server); only an
     * environment teardown gets here, after the cleanup hook. */
    return;
  }
  for (size_t i = 0; i < srv->n_nsps; i++) free(srv->nsps[i]);
  free(srv->nsps);
  free(srv->allow_msg);
  free(srv);
}

/* ---- JS -> C ------------------------------------------------------------------------------------ */

#define ARGS(n)                                                              \
  size_t argc = n;                                                           \
  napi_value argv[n];                                                        \
  napi_value self;                                                           \
  addon_t *a;                                                                \
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);                     \
  a = addon(env);                                                            \
  (void)self;                                                                \
  (void)a

static nserver_t *get_server(napi_env env, napi_value v) {
  nserver_t *srv = NULL;
  if (napi_get_value_external(env, v, (void **)&srv) != napi_ok) return NULL;
  return srv;
}

static nnsp_t *get_nsp(napi_env env, napi_value v) {
  nnsp_t *n = NULL;
  if (napi_get_value_external(env, v, (void **)&n) != napi_ok) return NULL;
  return n;
}

/* requestDecide(token, null | message): answers a parked handshake once. */
static napi_value js_request_decide(napi_env env, napi_callback_info info) {
  ARGS(2);
  sioc_request_t *req = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&req));
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t == napi_string) {
    char *msg = get_string(env, argv[1], NULL);
    sioc_request_refuse(req, msg ? msg : "Forbidden");
    free(msg);
  } else {
    sioc_request_allow(req);
  }
  return undef(env);
}

/* nspAnswer(req, nsp|null) -> 0 | error: answers a CONNECT to a namespace
 * that did not exist, once (the JS side guards against a second call). */
static napi_value js_nsp_answer(napi_env env, napi_callback_info info) {
  ARGS(2);
  sioc_nsp_request_t *req = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&req));
  nnsp_t *n = get_nsp(env, argv[1]);
  return num(env, sioc_nsp_request_answer(req, n ? n->nsp : NULL));
}

/* init(callbacks) */
static napi_value js_init(napi_env env, napi_callback_info info) {
  ARGS(1);
  for (int i = 0; i < CB_COUNT; i++) {
    napi_value fn;
    CHECK(napi_get_named_property(env, argv[0], cb_names[i], &fn));
    if (a->cbs[i]) napi_delete_reference(env, a->cbs[i]);
    CHECK(napi_create_reference(env, fn, 1, &a->cbs[i]));
  }
  return undef(env);
}

/* Applies [[name, json], ...] to a new options builder; NULL with a
 * TypeError (the core's one-line message) pending on a bad option. */
static sioc_options_t *build_options(napi_env env, napi_value pairs) {
  sioc_options_t *o = sioc_options_new();
  if (!o) {
    throw_code(env, SIOC_ENOMEM, "options");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, pairs, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value pair, kv, vv;
    napi_get_element(env, pairs, i, &pair);
    napi_get_element(env, pair, 0, &kv);
    napi_get_element(env, pair, 1, &vv);
    size_t kl, vl;
    char *k = get_string(env, kv, &kl), *v = k ? get_string(env, vv, &vl) : NULL;
    if (!v) {
      free(k);
      sioc_options_free(o);
      return NULL;
    }
    char err[512];
    err[0] = '\0';
    int r = sioc_options_set(o, k, v, vl, err, sizeof(err));
    free(k);
    free(v);
    if (r) {
      sioc_options_free(o);
      if (r == SIOC_EINVAL || r == SIOC_ENOTFOUND) {
        napi_value e, msg, code;
        char full[540];
        snprintf(full, sizeof(full), "sioc: %s", err[0] ? err : sioc_strerror(r));
        napi_create_string_utf8(env, full, NAPI_AUTO_LENGTH, &msg);
        napi_create_string_utf8(env, sioc_err_name(r), NAPI_AUTO_LENGTH, &code);
        napi_create_type_error(env, code, msg, &e);
        napi_throw(env, e);
      } else {
        throw_code(env, r, "options");
      }
      return NULL;
    }
  }
  return o;
}

/* optionsCheck([[name, json], ...]): throws on the first bad option */
static napi_value js_options_check(napi_env env, napi_callback_info info) {
  ARGS(1);
  sioc_options_t *o = build_options(env, argv[0]);
  if (!o) return NULL;
  sioc_options_free(o);
  return undef(env);
}

/* serverNew(serverObj, [[name, json], ...], allowRequest, corsFn) -> external */
static napi_value js_server_new(napi_env env, napi_callback_info info) {
  ARGS(4);
  sioc_options_t *o = build_options(env, argv[1]);
  if (!o) return NULL;
  nserver_t *srv = calloc(1, sizeof(*srv));
  if (!srv) {
    sioc_options_free(o);
    return throw_code(env, SIOC_ENOMEM, "new Server");
  }
  srv->a = a;
  sioc_server_options_t opts = *sioc_options_get(o);
  bool allow = false, cors = false;
  napi_get_value_bool(env, argv[2], &allow);
  napi_get_value_bool(env, argv[3], &cors);
  opts.user_data = srv;
  if (allow) opts.allow_request_async = on_allow_request;
  if (cors) opts.cors_cb = on_cors;
  int r = sioc_server_new(a->loop, &opts, &srv->server);
  sioc_options_free(o);
  if (r) {
    free(srv);
    return throw_code(env, r, "new Server");
  }
  a->live_servers++;
  srv->js = new_ref(a, argv[0]);
  srv->next = a->servers;
  if (a->servers) a->servers->prev = srv;
  a->servers = srv;
  sioc_server_on_new_nsp_async(srv->server, on_new_nsp, srv);
  sioc_server_on_connection_error(srv->server, on_conn_error, srv);
  napi_value ext;
  CHECK(napi_create_external(env, srv, server_finalize, NULL, &ext));
  return ext;
}

/* listen(srv, host, port) -> port */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  ARGS(3);
  nserver_t *srv = get_server(env, argv[0]);
  if (!srv || !srv->server) return throw_code(env, SIOC_ECLOSED, "listen");
  char *host = get_string(env, argv[1], NULL);
  if (!host) return NULL;
  int32_t port = 0;
  napi_get_value_int32(env, argv[2], &port);
  int r = sioc_server_listen(srv->server, host, port);
  if (r) {
    char what[300];
    snprintf(what, sizeof(what), "listen %s:%d", host, port);
    free(host);
    return throw_code(env, r, what);
  }
  free(host);
  return num(env, sioc_server_port(srv->server));
}

/* adopt(srv, fd, head) -> 0 | error: the fd is duplicated, the caller
 * closes its own copy. */
static napi_value js_adopt(napi_env env, napi_callback_info info) {
  ARGS(3);
  nserver_t *srv = get_server(env, argv[0]);
  if (!srv || !srv->server) return num(env, SIOC_ECLOSED);
  int32_t fd = -1;
  napi_get_value_int32(env, argv[1], &fd);
  void *head = NULL;
  size_t len = 0;
  if (napi_get_buffer_info(env, argv[2], &head, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "head must be a Buffer");
    return NULL;
  }
  if (fd < 0) return num(env, SIOC_EINVAL);
  int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (fd2 < 0) return num(env, -errno);
  return num(env, sioc_server_adopt(srv->server, fd2, head, len));
}

/* serve(srv, path, contentType, buffer) */
static napi_value js_serve(napi_env env, napi_callback_info info) {
  ARGS(4);
  nserver_t *srv = get_server(env, argv[0]);
  if (!srv || !srv->server) return throw_code(env, SIOC_ECLOSED, "serve");
  char *path = get_string(env, argv[1], NULL);
  char *ct = path ? get_string(env, argv[2], NULL) : NULL;
  void *data = NULL;
  size_t len = 0;
  int r = SIOC_EINVAL;
  if (ct && napi_get_buffer_info(env, argv[3], &data, &len) == napi_ok)
    r = sioc_server_serve(srv->server, path, ct, data, len);
  free(path);
  free(ct);
  if (r) return throw_code(env, r, "serve");
  return undef(env);
}

/* nspOf(srv, name, nspObj) -> external */
static napi_value js_nsp_of(napi_env env, napi_callback_info info) {
  ARGS(3);
  nserver_t *srv = get_server(env, argv[0]);
  if (!srv || !srv->server) return throw_code(env, SIOC_ECLOSED, "of");
  char *name = get_string(env, argv[1], NULL);
  if (!name) return NULL;
  sioc_nsp_t *nsp = sioc_server_of(srv->server, name);
  free(name);
  if (!nsp) return throw_code(env, SIOC_EINVAL, "of");
  nnsp_t *n = NULL;
  for (size_t i = 0; i < srv->n_nsps; i++)
    if (srv->nsps[i]->nsp == nsp) n = srv->nsps[i];
  if (!n) {
    if (srv->n_nsps == srv->cap_nsps) {
      size_t cap = srv->cap_nsps ? srv->cap_nsps * 2 : 8;
      nnsp_t **p = realloc(srv->nsps, cap * sizeof(*p));
      if (!p) return throw_code(env, SIOC_ENOMEM, "of");
      srv->nsps = p;
      srv->cap_nsps = cap;
    }
    n = calloc(1, sizeof(*n));
    if (!n) return throw_code(env, SIOC_ENOMEM, "of");
    n->srv = srv;
    n->nsp = nsp;
    n->js = new_ref(a, argv[2]);
    srv->nsps[srv->n_nsps++] = n;
    setup_nsp(n);
  }
  napi_value ext;
  CHECK(napi_create_external(env, n, NULL, NULL, &ext));
  return ext;
}

/* nspFree(nsp) -> 0 | error: removes an empty namespace (socket.io's
 * cleanupEmptyChildNamespaces); on success the external is dead, the JS
 * side drops it. */
static napi_value js_nsp_free(napi_env env, napi_callback_info info) {
  ARGS(1);
  nnsp_t *n = get_nsp(env, argv[0]);
  if (!n || !n->nsp) return num(env, SIOC_ECLOSED);
  int r = sioc_nsp_free(n->nsp);
  if (r) return num(env, r);
  nserver_t *srv = n->srv;
  for (size_t i = 0; i < srv->n_nsps; i++) {
    if (srv->nsps[i] == n) {
      srv->nsps[i] = srv->nsps[--srv->n_nsps];
      break;
    }
  }
  del_ref(srv->a, &n->js);
  free(n);
  return num(env, 0);
}

/* close(srv) -> 0 | error */
static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  nserver_t *srv = get_server(env, argv[0]);
  if (!srv || !srv->server) return num(env, SIOC_ECLOSED);
  sioc_server_t *s = srv->server;
  srv->server = NULL;
  return num(env, sioc_server_close(s, on_server_closed, srv));
}

static napi_value stats_object(napi_env env, const sioc_server_stats_t *st) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "connections", num(env, (double)st->connections));
  napi_set_named_property(env, o, "sessions", num(env, (double)st->sessions));
  napi_set_named_property(env, o, "sockets", num(env, (double)st->sockets));
  return o;
}

/* stats(srv) -> {connections, sessions, sockets} (zeros once closed) */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  ARGS(1);
  nserver_t *srv = get_server(env, argv[0]);
  sioc_server_stats_t st = {0, 0, 0, 0};
  if (srv && srv->server) sioc_server_stats(srv->server, &st);
  return stats_object(env, &st);
}

/* addonStats() -> {sockets, refs, servers} */
static napi_value js_addon_stats(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "sockets", num(env, (double)a->live_sockets));
  napi_set_named_property(env, o, "refs", num(env, (double)a->live_refs));
  napi_set_named_property(env, o, "servers", num(env, (double)a->live_servers));
  uint32_t used = a->n_slots - a->n_free;
  napi_set_named_property(env, o, "slots", num(env, used));
  return o;
}

static napi_value js_strerror(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t code = 0;
  napi_get_value_int32(env, argv[0], &code);
  const char *m = sioc_strerror(code);
  return str(env, m, strlen(m));
}

static napi_value js_err_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t code = 0;
  napi_get_value_int32(env, argv[0], &code);
  const char *m = sioc_err_name(code);
  return str(env, m, strlen(m));
}

/* ---- JS -> C: sockets ----------------------------------------------------------------------------- */

#define SOCK_OR(ret)                                                         \
  nsock_t *ns = get_sock(env, a, argv[0]);                                   \
  if (!ns || !ns->s) return ret

/* info(h) -> [id, authJson, handshake] */
static napi_value js_sock_info(napi_env env, napi_callback_info info) {
  ARGS(1);
  SOCK_OR(undef(env));
  napi_value arr;
  napi_create_array_with_length(env, 3, &arr);
  const char *id = sioc_socket_id(ns->s);
  size_t al = 0;
  const char *auth = sioc_socket_auth(ns->s, &al);
  napi_set_element(env, arr, 0, str(env, id, strlen(id)));
  napi_set_element(env, arr, 1, str(env, auth, al));
  const sioc_handshake_t *hs = sioc_socket_handshake(ns->s);
  if (hs) napi_set_element(env, arr, 2, make_handshake(env, hs));
  return arr;
}

/* accept(h) -> 0 | error; on error the handle is released */
static napi_value js_sock_accept(napi_env env, napi_callback_info info) {
  ARGS(1);
  SOCK_OR(num(env, SIOC_ECLOSED));
  int r = sioc_socket_accept(ns->s);
  if (r && a->slots[ns->slot] == ns && !sioc_socket_connected(ns->s)) slot_release(a, ns);
  return num(env, r);
}

/* reject(h, message, dataJson|null); the handle is released */
static napi_value js_sock_reject(napi_env env, napi_callback_info info) {
  ARGS(3);
  SOCK_OR(num(env, SIOC_ECLOSED));
  char *msg = get_string(env, argv[1], NULL);
  if (!msg) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  char *data = NULL;
  size_t dl = 0;
  if (t == napi_string && !(data = get_string(env, argv[2], &dl))) {
    free(msg);
    return NULL;
  }
  int r = sioc_socket_reject(ns->s, msg, data, dl);
  if (r == SIOC_EJSON) r = sioc_socket_reject(ns->s, msg, NULL, 0);
  free(msg);
  free(data);
  if (a->slots[ns->slot] == ns) slot_release(a, ns);
  return num(env, r);
}

/* emit(h, name, json, atts) -> 0 | error */
static napi_value js_sock_emit(napi_env env, napi_callback_info info) {
  ARGS(4);
  SOCK_OR(num(env, SIOC_ECLOSED));
  sbuf_t name, json;
  sioc_bin_t *bins;
  size_t nb;
  if (get_sbuf(env, argv[1], &name)) return NULL;
  if (get_sbuf(env, argv[2], &json)) {
    sbuf_free(&name);
    return NULL;
  }
  int r = SIOC_EINVAL;
  if (get_bins(env, argv[3], &bins, &nb) == 0) {
    r = sioc_socket_emit(ns->s, name.p, json.p, json.len, bins, nb);
    free(bins);
  }
  sbuf_free(&name);
  sbuf_free(&json);
  return num(env, r);
}

/* emitAck(h, name, json, atts, timeoutMs, token) -> 0 | error */
static napi_value js_sock_emit_ack(napi_env env, napi_callback_info info) {
  ARGS(6);
  SOCK_OR(num(env, SIOC_ECLOSED));
  sbuf_t name, json;
  sioc_bin_t *bins;
  size_t nb;
  uint32_t timeout = 0, token = 0;
  napi_get_value_uint32(env, argv[4], &timeout);
  napi_get_value_uint32(env, argv[5], &token);
  if (get_sbuf(env, argv[1], &name)) return NULL;
  if (get_sbuf(env, argv[2], &json)) {
    sbuf_free(&name);
    return NULL;
  }
  int r = SIOC_EINVAL;
  if (get_bins(env, argv[3], &bins, &nb) == 0) {
    r = sioc_socket_emit_with_ack(ns->s, name.p, json.p, json.len, bins, nb, timeout,
                                  on_ack, (void *)(uintptr_t)token);
    free(bins);
  }
  sbuf_free(&name);
  sbuf_free(&json);
  return num(env, r);
}

/* ack(h, ackId, json, atts) -> 0 | error */
static napi_value js_sock_ack(napi_env env, napi_callback_info info) {
  ARGS(4);
  SOCK_OR(num(env, SIOC_ECLOSED));
  int64_t id = -1;
  napi_get_value_int64(env, argv[1], &id);
  sbuf_t json;
  sioc_bin_t *bins;
  size_t nb;
  if (get_sbuf(env, argv[2], &json)) return NULL;
  int r = SIOC_EINVAL;
  if (get_bins(env, argv[3], &bins, &nb) == 0) {
    r = sioc_socket_ack(ns->s, id, json.p, json.len, bins, nb);
    free(bins);
  }
  sbuf_free(&json);
  return num(env, r);
}

/* join(h, room) / leave(h, room) -> 0 | error */
static napi_value js_sock_join(napi_env env, napi_callback_info info) {
  ARGS(3);
  SOCK_OR(num(env, SIOC_ECLOSED));
  sbuf_t room;
  if (get_sbuf(env, argv[1], &room)) return NULL;
  bool leave = false;
  napi_get_value_bool(env, argv[2], &leave);
  int r = leave ? sioc_socket_leave(ns->s, room.p) : sioc_socket_join(ns->s, room.p);
  sbuf_free(&room);
  return num(env, r);
}

typedef struct {
  napi_env env;
  napi_value arr;
  uint32_t n;
} collect_t;

static int collect_room(const char *room, size_t n, void *ud) {
  collect_t *c = ud;
  napi_set_element(c->env, c->arr, c->n++, str(c->env, room, strlen(room)));
  return 0;
}

/* rooms(h) -> [room...] */
static napi_value js_sock_rooms(napi_env env, napi_callback_info info) {
  ARGS(1);
  collect_t c = {env, NULL, 0};
  napi_create_array(env, &c.arr);
  nsock_t *ns = get_sock(env, a, argv[0]);
  if (ns && ns->s && sioc_socket_connected(ns->s))
    sioc_socket_foreach_room(ns->s, collect_room, &c);
  return c.arr;
}

/* disconnect(h, close) -> 0 | error */
static napi_value js_sock_disconnect(napi_env env, napi_callback_info info) {
  ARGS(2);
  SOCK_OR(num(env, SIOC_ECLOSED));
  bool close = false;
  napi_get_value_bool(env, argv[1], &close);
  return num(env, sioc_socket_disconnect(ns->s, close));
}

/* transport(h) -> "polling" | "websocket" | "" */
static napi_value js_sock_transport(napi_env env, napi_callback_info info) {
  ARGS(1);
  SOCK_OR(str(env, "", 0));
  const char *t = sioc_socket_transport(ns->s);
  return str(env, t, strlen(t));
}

/* ---- JS -> C: namespaces ----------------------------------------------------------------------------- */

/* A target from (rooms array|null, except array|null, flags). */
typedef struct {
  sioc_target_t t;
  char **strs;
  size_t n_strs;
  const char **rooms;
} target_t;

static void target_free(target_t *t) {
  for (size_t i = 0; i < t->n_strs; i++) free(t->strs[i]);
  free(t->strs);
  free(t->rooms);
}

static int get_strings(napi_env env, napi_value v, target_t *t, const char ***out,
                       size_t *n) {
  napi_valuetype ty;
  napi_typeof(env, v, &ty);
  *n = 0;
  *out = NULL;
  if (ty == napi_undefined || ty == napi_null) return 0;
  uint32_t len = 0;
  if (napi_get_array_length(env, v, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "rooms must be an array");
    return -1;
  }
  size_t base = t->n_strs;
  char **strs = realloc(t->strs, (base + len + 1) * sizeof(char *));
  if (!strs) return -1;
  t->strs = strs;
  for (uint32_t i = 0; i < len; i++) {
    napi_value e, s;
    napi_get_element(env, v, i, &e);
    napi_coerce_to_string(env, e, &s);
    char *c = get_string(env, s, NULL);
    if (!c) return -1;
    t->strs[t->n_strs++] = c;
  }
  *out = (const char **)(t->strs + base);
  *n = len;
  return 0;
}

static int get_target(napi_env env, napi_value rooms, napi_value except, napi_value flags,
                      target_t *t) {
  memset(t, 0, sizeof(*t));
  const char **r, **e;
  size_t nr, ne;
  if (get_strings(env, rooms, t, &r, &nr)) return -1;
  if (get_strings(env, except, t, &e, &ne)) return -1;
  /* pointers were taken before a realloc: recompute from the strs array */
  t->t.rooms = (const char *const *)t->strs;
  t->t.n_rooms = nr;
  t->t.except_rooms = (const char *const *)(t->strs + nr);
  t->t.n_except = ne;
  int32_t f = 0;
  napi_get_value_int32(env, flags, &f);
  t->t.flags = f;
  (void)r;
  (void)e;
  return 0;
}

#define NSP_OR(ret)                                                          \
  nnsp_t *n = get_nsp(env, argv[0]);                                         \
  if (!n || !n->nsp) return ret

/* nspEmit(nsp, rooms, except, flags, name, json, atts) -> 0 | error */
static napi_value js_nsp_emit(napi_env env, napi_callback_info info) {
  ARGS(7);
  NSP_OR(num(env, SIOC_ECLOSED));
  target_t t;
  int r = SIOC_EINVAL;
  sbuf_t name, json;
  sioc_bin_t *bins = NULL;
  size_t nb = 0;
  if (get_target(env, argv[1], argv[2], argv[3], &t) == 0 &&
      get_sbuf(env, argv[4], &name) == 0) {
    if (get_sbuf(env, argv[5], &json) == 0) {
      if (get_bins(env, argv[6], &bins, &nb) == 0) {
        r = sioc_nsp_emit(n->nsp, &t.t, name.p, json.p, json.len, bins, nb);
        free(bins);
      }
      sbuf_free(&json);
    }
    sbuf_free(&name);
  }
  target_free(&t);
  return num(env, r);
}

/* nspEmitAck(nsp, rooms, except, flags, name, json, atts, timeoutMs, token) */
static napi_value js_nsp_emit_ack(napi_env env, napi_callback_info info) {
  ARGS(9);
  NSP_OR(num(env, SIOC_ECLOSED));
  target_t t;
  int r = SIOC_EINVAL;
  sbuf_t name, json;
  sioc_bin_t *bins = NULL;
  size_t nb = 0;
  uint32_t timeout = 0, token = 0;
  napi_get_value_uint32(env, argv[7], &timeout);
  napi_get_value_uint32(env, argv[8], &token);
  if (get_target(env, argv[1], argv[2], argv[3], &t) == 0 &&
      get_sbuf(env, argv[4], &name) == 0) {
    if (get_sbuf(env, argv[5], &json) == 0) {
      if (get_bins(env, argv[6], &bins, &nb) == 0) {
        bcast_token_t *bt = malloc(sizeof(*bt));
        r = SIOC_ENOMEM;
        if (bt) {
          bt->a = a;
          bt->token = token;
          r = sioc_nsp_emit_with_ack(n->nsp, &t.t, name.p, json.p, json.len, bins, nb,
                                     timeout, on_bcast_ack, bt);
          if (r) free(bt);
        }
        free(bins);
      }
      sbuf_free(&json);
    }
    sbuf_free(&name);
  }
  target_free(&t);
  return num(env, r);
}

static int collect_socket(sioc_socket_t *s, void *ud) {
  collect_t *c = ud;
  nsock_t *ns = sioc_socket_get_data(s);
  if (ns) napi_set_element(c->env, c->arr, c->n++, num(c->env, ns->slot));
  return 0;
}

/* nspSockets(nsp, rooms, except) -> [handle...] (local, connected) */
static napi_value js_nsp_sockets(napi_env env, napi_callback_info info) {
  ARGS(3);
  collect_t c = {env, NULL, 0};
  napi_create_array(env, &c.arr);
  NSP_OR(c.arr);
  target_t t;
  napi_value zero = num(env, 0);
  if (get_target(env, argv[1], argv[2], zero, &t) == 0)
    sioc_nsp_foreach_socket(n->nsp, &t.t, collect_socket, &c);
  target_free(&t);
  return c.arr;
}

static int collect_socket_id(sioc_socket_t *s, void *ud) {
  collect_t *c = ud;
  const char *id = sioc_socket_id(s);
  napi_set_element(c->env, c->arr, c->n++, str(c->env, id, strlen(id)));
  return 0;
}

typedef struct {
  napi_env env;
  napi_value arr;
  uint32_t n;
  sioc_nsp_t *nsp;
} rooms_t;

static int collect_room_members(const char *room, size_t n_members, void *ud) {
  rooms_t *r = ud;
  collect_t c = {r->env, NULL, 0};
  napi_create_array_with_length(r->env, n_members, &c.arr);
  const char *rooms[1] = {room};
  sioc_target_t t = {rooms, 1, NULL, 0, 0};
  sioc_nsp_foreach_socket(r->nsp, &t, collect_socket_id, &c);
  napi_set_element(r->env, r->arr, r->n++, str(r->env, room, strlen(room)));
  napi_set_element(r->env, r->arr, r->n++, c.arr);
  return 0;
}

/* nspRooms(nsp) -> [room, [ids], room, [ids], ...] */
static napi_value js_nsp_rooms(napi_env env, napi_callback_info info) {
  ARGS(1);
  rooms_t r = {env, NULL, 0, NULL};
  napi_create_array(env, &r.arr);
  NSP_OR(r.arr);
  r.nsp = n->nsp;
  sioc_nsp_foreach_room(n->nsp, collect_room_members, &r);
  return r.arr;
}

/* nspJoin(nsp, rooms, except, roomsToJoin, leave) -> 0 | error */
static napi_value js_nsp_join(napi_env env, napi_callback_info info) {
  ARGS(5);
  NSP_OR(num(env, SIOC_ECLOSED));
  target_t t, j;
  int r = SIOC_EINVAL;
  napi_value zero = num(env, 0);
  memset(&j, 0, sizeof(j));
  const char **names;
  size_t nn;
  bool leave = false;
  napi_get_value_bool(env, argv[4], &leave);
  if (get_target(env, argv[1], argv[2], zero, &t) == 0 &&
      get_strings(env, argv[3], &j, &names, &nn) == 0) {
    names = (const char **)j.strs;
    r = leave ? sioc_nsp_sockets_leave(n->nsp, &t.t, names, nn)
              : sioc_nsp_sockets_join(n->nsp, &t.t, names, nn);
  }
  target_free(&t);
  target_free(&j);
  return num(env, r);
}

/* nspDisconnect(nsp, rooms, except, close) -> 0 | error */
static napi_value js_nsp_disconnect(napi_env env, napi_callback_info info) {
  ARGS(4);
  NSP_OR(num(env, SIOC_ECLOSED));
  target_t t;
  int r = SIOC_EINVAL;
  bool close = false;
  napi_get_value_bool(env, argv[3], &close);
  if (get_target(env, argv[1], argv[2], num(env, 0), &t) == 0)
    r = sioc_nsp_disconnect_sockets(n->nsp, &t.t, close);
  target_free(&t);
  return num(env, r);
}


/* ---- the cluster (Redis adapter) ------------------------------------------------------- */

static void on_cluster_answer(sioc_nsp_t *nsp, int err, const char *message,
                              const char *json, size_t len, void *ud) {
  bcast_token_t *bt = ud;
  addon_t *a = bt->a;
  uint32_t token = bt->token;
  free(bt);
  if (a->gone) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value nul;
  napi_get_null(env, &nul);
  napi_value argv[4] = {num(env, token), num(env, err), str(env, json, len),
                        message ? str(env, message, strlen(message)) : nul};
  call_js(a, CB_CLUSTER, NULL, 4, argv);
  napi_close_handle_scope(env, scope);
}

static void on_fetch_data(sioc_nsp_t *nsp, const char *request,
                          const char *const *ids, size_t n, void *ud) {
  nnsp_t *nn = ud;
  addon_t *a = nn->srv->a;
  if (a->gone || !nn->js) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value arr;
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) napi_set_element(env, arr, (uint32_t)i, str(env, ids[i], strlen(ids[i])));
  napi_value argv[3] = {ref_value(env, nn->js), str(env, request, strlen(request)), arr};
  call_js(a, CB_FETCH_DATA, NULL, 3, argv);
  napi_close_handle_scope(env, scope);
}

static void on_server_side(sioc_nsp_t *nsp, const char *args, size_t len,
                           const char *ack, void *ud) {
  nnsp_t *nn = ud;
  addon_t *a = nn->srv->a;
  if (a->gone || !nn->js) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value nul;
  napi_get_null(env, &nul);
  napi_value argv[3] = {ref_value(env, nn->js), str(env, args, len),
                        ack ? str(env, ack, strlen(ack)) : nul};
  call_js(a, CB_SERVER_SIDE, NULL, 3, argv);
  napi_close_handle_scope(env, scope);
}

static bcast_token_t *cluster_token(addon_t *a, napi_env env, napi_value v) {
  bcast_token_t *bt = malloc(sizeof(*bt));
  if (!bt) return NULL;
  bt->a = a;
  bt->token = 0;
  napi_get_value_uint32(env, v, &bt->token);
  return bt;
}

/* useRedis(srv, url, key, requestsTimeoutMs, publishOnSpecificResponseChannel,
 *          maxMessageBytes, maxBufferedBytes) */
static napi_value js_use_redis(napi_env env, napi_callback_info info) {
  ARGS(7);
  nserver_t *srv = get_server(env, argv[0]);
  if (!srv || !srv->server) return num(env, SIOC_ECLOSED);
  char *url = get_string(env, argv[1], NULL);
  char *key = url ? get_string(env, argv[2], NULL) : NULL;
  if (!url || !key) {
    free(url);
    return NULL;
  }
  sioc_redis_options_t o;
  sioc_redis_options_init(&o);
  o.url = url;
  o.key = key;
  napi_get_value_uint32(env, argv[3], &o.requests_timeout_ms);
  bool specific = false;
  napi_get_value_bool(env, argv[4], &specific);
  o.publish_on_specific_response_channel = specific;
  int64_t max_message = 0, max_buffered = 0;
  napi_get_value_int64(env, argv[5], &max_message);
  napi_get_value_int64(env, argv[6], &max_buffered);
  if (max_message > 0) o.max_message_bytes = (size_t)max_message;
  if (max_buffered > 0) o.max_buffered_bytes = (size_t)max_buffered;
  int r = sioc_server_use_redis(srv->server, &o);
  free(url);
  free(key);
  return num(env, r);
}

/* clusterConnected(srv) -> boolean */
static napi_value js_cluster_connected(napi_env env, napi_callback_info info) {
  ARGS(1);
  nserver_t *srv = get_server(env, argv[0]);
  napi_value b;
  napi_get_boolean(env, srv && srv->server && sioc_server_cluster_connected(srv->server), &b);
  return b;
}

/* nspFetch(nsp, rooms, except, flags, token) -> 0 | error; answer via cluster() */
static napi_value js_nsp_fetch(napi_env env, napi_callback_info info) {
  ARGS(5);
  NSP_OR(num(env, SIOC_ECLOSED));
  target_t t;
  int r = SIOC_EINVAL;
  if (get_target(env, argv[1], argv[2], argv[3], &t) == 0) {
    bcast_token_t *bt = cluster_token(a, env, argv[4]);
    r = bt ? sioc_nsp_fetch_sockets(n->nsp, &t.t, on_cluster_answer, bt) : SIOC_ENOMEM;
    if (r && bt) free(bt);
  }
  target_free(&t);
  return num(env, r);
}

/* nspAllRooms(nsp, token) / nspServerCount(nsp, token) -> 0 | error */
static napi_value nsp_query(napi_env env, napi_callback_info info,
                            int (*query)(sioc_nsp_t *, sioc_cluster_cb, void *)) {
  ARGS(2);
  NSP_OR(num(env, SIOC_ECLOSED));
  bcast_token_t *bt = cluster_token(a, env, argv[1]);
  int r = bt ? query(n->nsp, on_cluster_answer, bt) : SIOC_ENOMEM;
  if (r && bt) free(bt);
  return num(env, r);
}

static napi_value js_nsp_all_rooms(napi_env env, napi_callback_info info) {
  return nsp_query(env, info, sioc_nsp_all_rooms);
}

static napi_value js_nsp_server_count(napi_env env, napi_callback_info info) {
  return nsp_query(env, info, sioc_nsp_server_count);
}

/* nspServerSideEmit(nsp, json, timeoutMs, token | -1) */
static napi_value js_nsp_server_side_emit(napi_env env, napi_callback_info info) {
  ARGS(4);
  NSP_OR(num(env, SIOC_ECLOSED));
  sbuf_t json;
  if (get_sbuf(env, argv[1], &json)) return NULL;
  uint32_t timeout = 0;
  napi_get_value_uint32(env, argv[2], &timeout);
  int32_t tok = -1;
  napi_get_value_int32(env, argv[3], &tok);
  int r;
  if (tok < 0) {
    r = sioc_nsp_server_side_emit(n->nsp, json.p, json.len, timeout, NULL, NULL);
  } else {
    bcast_token_t *bt = cluster_token(a, env, argv[3]);
    r = bt ? sioc_nsp_server_side_emit(n->nsp, json.p, json.len, timeout, on_cluster_answer, bt)
           : SIOC_ENOMEM;
    if (r && bt) free(bt);
  }
  sbuf_free(&json);
  return num(env, r);
}

/* nspServerSideAck(nsp, ack, json) */
static napi_value js_nsp_server_side_ack(napi_env env, napi_callback_info info) {
  ARGS(3);
  NSP_OR(num(env, SIOC_ECLOSED));
  sbuf_t ack, json;
  if (get_sbuf(env, argv[1], &ack)) return NULL;
  if (get_sbuf(env, argv[2], &json)) {
    sbuf_free(&ack);
    return NULL;
  }
  int r = sioc_nsp_server_side_ack(n->nsp, ack.p, json.p, json.len);
  sbuf_free(&ack);
  sbuf_free(&json);
  return num(env, r);
}

/* nspFetchDataReply(nsp, request, ids, datas) */
static napi_value js_nsp_fetch_data_reply(napi_env env, napi_callback_info info) {
  ARGS(4);
  NSP_OR(num(env, SIOC_ECLOSED));
  char *request = get_string(env, argv[1], NULL);
  if (!request) return NULL;
  target_t ids, datas;
  memset(&ids, 0, sizeof(ids));
  memset(&datas, 0, sizeof(datas));
  const char **iv = NULL, **dv = NULL;
  size_t ni = 0, nd = 0;
  int r = SIOC_EINVAL;
  if (get_strings(env, argv[2], &ids, &iv, &ni) == 0 &&
      get_strings(env, argv[3], &datas, &dv, &nd) == 0 && ni == nd) {
    size_t *lens = malloc((nd ? nd : 1) * sizeof(*lens));
    r = SIOC_ENOMEM;
    if (lens) {
      for (size_t i = 0; i < nd; i++) lens[i] = strlen(datas.strs[i]);
      r = sioc_nsp_fetch_data_reply(n->nsp, request, (const char *const *)ids.strs,
                                    (const char *const *)datas.strs, lens, ni);
      free(lens);
    }
  }
  target_free(&ids);
  target_free(&datas);
  free(request);
  return num(env, r);
}

/* ---- lifecycle -------------------------------------------------------------------------------------------- */

static void on_async_cleanup(napi_async_cleanup_hook_handle h, void *arg) {
  addon_t *a = arg;
  a->gone = 1;
  if (!a->servers) {
    a->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
    return;
  }
  for (nserver_t *srv = a->servers; srv; srv = srv->next) {
    if (srv->server) {
      sioc_server_t *s = srv->server;
      srv->server = NULL;
      sioc_server_close(s, on_server_closed, srv);
    }
  }
}

static void addon_finalize(napi_env env, void *data, void *hint) {
  addon_t *a = data;
  for (uint32_t i = 0; i < a->n_slots; i++) free(a->slots[i]);
  free(a->slots);
  free(a->free_slots);
  free(a);
}

/* client.c: the Socket.IO client's functions (its own state). */
napi_value sioc__node_client_init(napi_env env, napi_value exports);

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  addon_t *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  a->env = env;
  if (napi_get_uv_event_loop(env, &a->loop) != napi_ok ||
      napi_set_instance_data(env, a, addon_finalize, NULL) != napi_ok) {
    free(a);
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "sioc", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &a->actx);
  napi_add_async_cleanup_hook(env, on_async_cleanup, a, &a->cleanup);
  napi_property_descriptor props[] = {
      FN("init", js_init),
      FN("optionsCheck", js_options_check),
      FN("serverNew", js_server_new),
      FN("listen", js_listen),
      FN("adopt", js_adopt),
      FN("serve", js_serve),
      FN("requestDecide", js_request_decide),
      FN("nspAnswer", js_nsp_answer),
      FN("nspOf", js_nsp_of),
      FN("nspFree", js_nsp_free),
      FN("close", js_close),
      FN("stats", js_stats),
      FN("addonStats", js_addon_stats),
      FN("strerror", js_strerror),
      FN("errName", js_err_name),
      FN("sockInfo", js_sock_info),
      FN("accept", js_sock_accept),
      FN("reject", js_sock_reject),
      FN("emit", js_sock_emit),
      FN("emitAck", js_sock_emit_ack),
      FN("ack", js_sock_ack),
      FN("join", js_sock_join),
      FN("rooms", js_sock_rooms),
      FN("disconnect", js_sock_disconnect),
      FN("transport", js_sock_transport),
      FN("nspEmit", js_nsp_emit),
      FN("nspEmitAck", js_nsp_emit_ack),
      FN("nspSockets", js_nsp_sockets),
      FN("nspRooms", js_nsp_rooms),
      FN("nspJoin", js_nsp_join),
      FN("nspDisconnect", js_nsp_disconnect),
      FN("useRedis", js_use_redis),
      FN("clusterConnected", js_cluster_connected),
      FN("nspFetch", js_nsp_fetch),
      FN("nspAllRooms", js_nsp_all_rooms),
      FN("nspServerCount", js_nsp_server_count),
      FN("nspServerSideEmit", js_nsp_server_side_emit),
      FN("nspServerSideAck", js_nsp_server_side_ack),
      FN("nspFetchDataReply", js_nsp_fetch_data_reply),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return sioc__node_client_init(env, exports);
}

/* client.c - the Node-API glue between sioc's C client (sioc_manager_*,
 * sioc_client_*) and node/lib/client.js.  Registered by addon.c's module
 * init (sioc__node_client_init); its state is its own (passed to every
 * function as the property's data), so it does not touch addon.c's.
 *
 * Threading: none of our own.  The client runs on node's own loop; every
 * C -> JS call goes through napi_make_callback.
 *
 * Objects and their JS side:
 *  - a manager is an external (nmgr_t) held by the JS Manager; while the C
 *    manager exists the glue holds a strong reference to the JS Manager.
 *  - a socket is an external (nclient_t) held by the JS Socket, with a
 *    strong reference to the JS Socket while its C manager exists.
 *  - the JS side closes the C manager when no socket of it is active (so a
 *    disconnected client holds no uv handle and the process can exit) and
 *    makes a new one on the next connect.  Once closed, the externals stay
 *    valid (every call answers SIOC_ECLOSED) until both the C manager is
 *    freed and the external is finalized: each struct counts those two.
 *  - acks are integer tokens: the JS side keeps the callbacks.
 * An async cleanup hook closes the managers still open when an environment
 * goes away (worker_threads).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_glue.h"
#include "sioc.h"

enum { CCB_MANAGER, CCB_SOCKET, CCB_MESSAGE, CCB_ACK, CCB_AUTH, CCB_COUNT };
static const char *const ccb_names[CCB_COUNT] = {"managerEvent", "socketEvent",
                                                 "socketMessage", "ack", "auth"};

typedef struct nmgr_s nmgr_t;

typedef struct cstate_s {
  napi_env env;
  napi_ref cbs[CCB_COUNT];
  napi_async_context actx;
  int gone;
  nmgr_t *mgrs;                 /* C managers not yet freed */
  napi_async_cleanup_hook_handle cleanup;
  int64_t live_managers, live_sockets, live_refs, live_acks;
} cstate_t;

typedef struct nclient_s {
  nmgr_t *nm;
  sioc_client_t *s;             /* NULL once the manager is closing */
  napi_ref js;
  int holds;                    /* 2: the C side + the external */
  struct nclient_s *next;
} nclient_t;

struct nmgr_s {
  cstate_t *st;
  sioc_manager_t *m;            /* NULL once closing */
  napi_ref js;
  nclient_t *socks;
  int holds;                    /* 2: the C side + the external */
  nmgr_t *next, *prev;
};

typedef struct {
  cstate_t *st;
  uint32_t token;
} cack_token_t;

/* ---- helpers -------------------------------------------------------------- */

/* A string (malloc'd, NUL-terminated), or NULL for null/undefined/error. */
static char *opt_string(napi_env env, napi_value v, size_t *len_out) {
  napi_valuetype t;
  if (!v || napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (len_out) *len_out = len;
  return s;
}

static napi_value prop(napi_env env, napi_value obj, const char *name) {
  napi_value v = NULL;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return NULL;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return (t == napi_undefined || t == napi_null) ? NULL : v;
}

static int get_bins(napi_env env, napi_value v, sioc_bin_t **out, size_t *n) {
  napi_valuetype t;
  *out = NULL;
  *n = 0;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) return 0;
  uint32_t len;
  if (napi_get_array_length(env, v, &len) != napi_ok) return SIOC_EINVAL;
  if (!len) return 0;
  sioc_bin_t *b = calloc(len, sizeof(*b));
  if (!b) return SIOC_ENOMEM;
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    void *data = NULL;
    size_t bl = 0;
    napi_get_element(env, v, i, &e);
    if (napi_get_buffer_info(env, e, &data, &bl) != napi_ok) {
      free(b);
      return SIOC_EINVAL;
    }
    b[i].data = data;
    b[i].len = bl;
  }
  *out = b;
  *n = len;
  return 0;
}

static napi_value ref_value(napi_env env, napi_ref r) { return glue_ref_value(env, r); }

static napi_ref new_ref(cstate_t *st, napi_value v) {
  return glue_new_ref(st->env, &st->live_refs, v);
}

static void del_ref(cstate_t *st, napi_ref *r) { glue_del_ref(st->env, &st->live_refs, r); }

static void call_js(cstate_t *st, int which, napi_value recv, size_t argc,
                    napi_value *argv) {
  glue_call(st->env, st->actx, st->cbs[which], recv, argc, argv);
}

static void client_release(nclient_t *nc) {
  if (--nc->holds == 0) free(nc);
}

static void mgr_release(nmgr_t *nm) {
  if (--nm->holds == 0) free(nm);
}

/* ---- C -> JS -------------------------------------------------------------- */

static void ev_args(napi_env env, const sioc_client_event_t *ev, napi_value *argv) {
  argv[0] = num(env, ev->kind);
  argv[1] = str(env, ev->message, ev->message ? strlen(ev->message) : 0);
  argv[2] = str(env, ev->data, ev->data_len);
  argv[3] = num(env, ev->err);
  argv[4] = num(env, ev->attempt);
}

static void on_manager_event(sioc_manager_t *m, const sioc_client_event_t *ev, void *ud) {
  nmgr_t *nm = ud;
  cstate_t *st = nm->st;
  if (st->gone) return;
  napi_handle_scope scope;
  napi_open_handle_scope(st->env, &scope);
  napi_value argv[5];
  ev_args(st->env, ev, argv);
  napi_value recv = ref_value(st->env, nm->js);
  if (recv) call_js(st, CCB_MANAGER, recv, 5, argv);
  napi_close_handle_scope(st->env, scope);
}

static void on_socket_event(sioc_client_t *s, const sioc_client_event_t *ev, void *ud) {
  nclient_t *nc = ud;
  cstate_t *st = nc->nm->st;
  if (st->gone) return;
  napi_env env = st->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value recv = ref_value(env, nc->js);
  if (recv && ev->kind == SIOC_CLIENT_EVENT) {
    const sioc_event_t *e = ev->event;
    napi_value argv[4] = {str(env, e->name, e->name_len), str(env, e->args, e->args_len),
                          make_bins(env, e->attachments, e->n_attachments),
                          num(env, (double)e->ack_id)};
    call_js(st, CCB_MESSAGE, recv, 4, argv);
  } else if (recv) {
    napi_value argv[5];
    ev_args(env, ev, argv);
    call_js(st, CCB_SOCKET, recv, 5, argv);
  }
  napi_close_handle_scope(env, scope);
}

static void on_auth(sioc_client_t *s, void *ud) {
  nclient_t *nc = ud;
  cstate_t *st = nc->nm->st;
  if (st->gone) return;
  napi_handle_scope scope;
  napi_open_handle_scope(st->env, &scope);
  napi_value recv = ref_value(st->env, nc->js);
  if (recv) call_js(st, CCB_AUTH, recv, 0, NULL);
  napi_close_handle_scope(st->env, scope);
}

static void on_ack(sioc_client_t *s, int err, const char *args, size_t len,
                   const sioc_bin_t *atts, size_t n, void *ud) {
  cack_token_t *t = ud;
  cstate_t *st = t->st;
  uint32_t token = t->token;
  free(t);
  st->live_acks--;
  if (st->gone) return;
  napi_env env = st->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[4] = {num(env, token), num(env, err), str(env, args, len),
                        make_bins(env, atts, n)};
  call_js(st, CCB_ACK, NULL, 4, argv);
  napi_close_handle_scope(env, scope);
}

/* ---- lifecycle ------------------------------------------------------------- */

static void mgr_unlink(cstate_t *st, nmgr_t *nm) {
  if (nm->prev) nm->prev->next = nm->next;
  else if (st->mgrs == nm) st->mgrs = nm->next;
  if (nm->next) nm->next->prev = nm->prev;
  nm->next = nm->prev = NULL;
}

static void on_manager_closed(sioc_manager_t *unused, void *ud) {
  nmgr_t *nm = ud;
  cstate_t *st = nm->st;
  st->live_managers--;
  mgr_unlink(st, nm);
  nclient_t *nc = nm->socks;
  nm->socks = NULL;
  while (nc) {
    nclient_t *next = nc->next;
    del_ref(st, &nc->js);
    st->live_sockets--;
    client_release(nc);
    nc = next;
  }
  del_ref(st, &nm->js);
  mgr_release(nm);
  if (st->gone && !st->mgrs && st->cleanup) {
    napi_async_cleanup_hook_handle h = st->cleanup;
    st->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
    free(st);
  }
}

/* Starts closing; the structs live on until on_manager_closed. */
static void mgr_close(nmgr_t *nm) {
  if (!nm->m) return;
  sioc_manager_t *m = nm->m;
  nm->m = NULL;
  for (nclient_t *nc = nm->socks; nc; nc = nc->next) nc->s = NULL;
  sioc_manager_close(m, on_manager_closed, nm);
}

static void on_async_cleanup(napi_async_cleanup_hook_handle h, void *arg) {
  cstate_t *st = arg;
  st->gone = 1;
  if (!st->mgrs) {
    st->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
    free(st);
    return;
  }
  for (nmgr_t *nm = st->mgrs; nm; nm = nm->next) mgr_close(nm);
}

static void mgr_finalize(napi_env env, void *data, void *hint) { mgr_release(data); }
static void client_finalize(napi_env env, void *data, void *hint) { client_release(data); }

/* ---- JS -> C --------------------------------------------------------------- */

#define CARGS(n)                                                             \
  size_t argc = n;                                                           \
  napi_value argv[n];                                                        \
  cstate_t *st = NULL;                                                       \
  for (size_t i_ = 0; i_ < n; i_++) argv[i_] = NULL;                         \
  napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&st);              \
  for (size_t i_ = argc; i_ < n; i_++) argv[i_] = undef(env);                \
  (void)st

static nmgr_t *get_mgr(napi_env env, napi_value v) {
  nmgr_t *nm = NULL;
  if (napi_get_value_external(env, v, (void **)&nm) != napi_ok) return NULL;
  return nm;
}

static sioc_client_t *get_client(napi_env env, napi_value v) {
  nclient_t *nc = NULL;
  if (napi_get_value_external(env, v, (void **)&nc) != napi_ok || !nc) return NULL;
  return nc->s;
}

/* clientInit(callbacks) */
static napi_value js_init(napi_env env, napi_callback_info info) {
  CARGS(1);
  for (int i = 0; i < CCB_COUNT; i++) {
    napi_value fn;
    if (napi_get_named_property(env, argv[0], ccb_names[i], &fn) != napi_ok) return NULL;
    if (st->cbs[i]) napi_delete_reference(env, st->cbs[i]);
    napi_create_reference(env, fn, 1, &st->cbs[i]);
  }
  return undef(env);
}

/* clientEventName(kind, flavor) -> string | null */
static napi_value js_event_name(napi_env env, napi_callback_info info) {
  CARGS(2);
  int32_t kind = 0, flavor = 0;
  napi_get_value_int32(env, argv[0], &kind);
  napi_get_value_int32(env, argv[1], &flavor);
  const char *n = sioc_client_event_name((sioc_client_event_kind_t)kind, flavor);
  return str(env, n, n ? strlen(n) : 0);
}

static uint32_t get_ms(napi_env env, napi_value v, uint32_t dflt) {
  double d;
  if (!v || napi_get_value_double(env, v, &d) != napi_ok) return dflt;
  if (isnan(d) || d < 0) return 0;
  if (isinf(d) || d >= (double)UINT32_MAX) return UINT32_MAX;
  return (uint32_t)d;
}

static int get_flag(napi_env env, napi_value v, int dflt) {
  bool b;
  if (!v || napi_get_value_bool(env, v, &b) != napi_ok) return dflt;
  return b;
}

/* clientManagerNew(jsManager, url, opts) -> external | error code.  opts
 * (normalized by client.js): path, transports (mask), upgrade, query
 * (string), extraHeaders ([[name, value]...]), reconnection,
 * reconnectionAttempts (Infinity allowed), reconnectionDelay,
 * reconnectionDelayMax, randomizationFactor, timeout, caFile,
 * rejectUnauthorized. */
static napi_value js_manager_new(napi_env env, napi_callback_info info) {
  CARGS(3);
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  napi_value opts = argv[2], v;
  char *url = opt_string(env, argv[1], NULL);
  char *path = opt_string(env, prop(env, opts, "path"), NULL);
  char *query = opt_string(env, prop(env, opts, "query"), NULL);
  char *ca = opt_string(env, prop(env, opts, "caFile"), NULL);
  sioc_header_t *hdrs = NULL;
  char **hstr = NULL;
  uint32_t nh = 0;
  int r = url ? 0 : SIOC_EINVAL;
  if (path) o.path = path;
  if (query) o.query = query;
  if (ca) o.tls_ca_file = ca;
  if ((v = prop(env, opts, "transports"))) {
    int32_t t = 0;
    napi_get_value_int32(env, v, &t);
    o.transports = t;
  }
  o.upgrade = get_flag(env, prop(env, opts, "upgrade"), o.upgrade);
  o.reconnection = get_flag(env, prop(env, opts, "reconnection"), o.reconnection);
  o.reconnection_attempts = get_ms(env, prop(env, opts, "reconnectionAttempts"),
                                   o.reconnection_attempts);
  o.reconnection_delay_ms = get_ms(env, prop(env, opts, "reconnectionDelay"),
                                   o.reconnection_delay_ms);
  o.reconnection_delay_max_ms = get_ms(env, prop(env, opts, "reconnectionDelayMax"),
                                       o.reconnection_delay_max_ms);
  if ((v = prop(env, opts, "randomizationFactor")))
    napi_get_value_double(env, v, &o.randomization_factor);
  o.timeout_ms = get_ms(env, prop(env, opts, "timeout"), o.timeout_ms);
  o.tls_verify = get_flag(env, prop(env, opts, "rejectUnauthorized"), o.tls_verify);
  if (!r && (v = prop(env, opts, "extraHeaders"))) {
    napi_get_array_length(env, v, &nh);
    hdrs = calloc(nh ? nh : 1, sizeof(*hdrs));
    hstr = calloc(nh ? 2 * nh : 1, sizeof(*hstr));
    if (!hdrs || !hstr) r = SIOC_ENOMEM;
    for (uint32_t i = 0; !r && i < nh; i++) {
      napi_value pair, k, val;
      napi_get_element(env, v, i, &pair);
      napi_get_element(env, pair, 0, &k);
      napi_get_element(env, pair, 1, &val);
      hstr[2 * i] = opt_string(env, k, NULL);
      hstr[2 * i + 1] = opt_string(env, val, NULL);
      if (!hstr[2 * i] || !hstr[2 * i + 1]) r = SIOC_EINVAL;
      hdrs[i].name = hstr[2 * i];
      hdrs[i].value = hstr[2 * i + 1];
    }
    o.extra_headers = hdrs;
    o.n_extra_headers = nh;
  }
  nmgr_t *nm = NULL;
  sioc_manager_t *m = NULL;
  uv_loop_t *loop = NULL;
  if (!r) r = napi_get_uv_event_loop(env, &loop) == napi_ok ? 0 : SIOC_EINVAL;
  if (!r) r = sioc_manager_new(loop, url, &o, &m);
  free(url);
  free(path);
  free(query);
  free(ca);
  for (uint32_t i = 0; hstr && i < 2 * nh; i++) free(hstr[i]);
  free(hstr);
  free(hdrs);
  if (r) return num(env, r);
  nm = calloc(1, sizeof(*nm));
  napi_value ext;
  if (!nm || napi_create_external(env, nm, mgr_finalize, NULL, &ext) != napi_ok) {
    free(nm);
    sioc_manager_close(m, NULL, NULL);
    return num(env, SIOC_ENOMEM);
  }
  nm->st = st;
  nm->m = m;
  nm->holds = 2;
  nm->js = new_ref(st, argv[0]);
  nm->next = st->mgrs;
  if (st->mgrs) st->mgrs->prev = nm;
  st->mgrs = nm;
  st->live_managers++;
  sioc_manager_on(m, on_manager_event, nm);
  return ext;
}

/* clientSocket(mgr, nsp, jsSocket) -> external | error code */
static napi_value js_socket(napi_env env, napi_callback_info info) {
  CARGS(3);
  nmgr_t *nm = get_mgr(env, argv[0]);
  if (!nm || !nm->m) return num(env, SIOC_ECLOSED);
  char *nsp = opt_string(env, argv[1], NULL);
  if (!nsp) return num(env, SIOC_EINVAL);
  sioc_client_t *s = sioc_manager_socket(nm->m, nsp);
  free(nsp);
  if (!s) return num(env, SIOC_EINVAL);
  nclient_t *nc = calloc(1, sizeof(*nc));
  napi_value ext;
  if (!nc || napi_create_external(env, nc, client_finalize, NULL, &ext) != napi_ok) {
    free(nc);
    return num(env, SIOC_ENOMEM);
  }
  nc->nm = nm;
  nc->s = s;
  nc->holds = 2;
  nc->js = new_ref(st, argv[2]);
  nc->next = nm->socks;
  nm->socks = nc;
  st->live_sockets++;
  sioc_client_on(s, on_socket_event, nc);
  return ext;
}

/* clientManagerClose(mgr) */
static napi_value js_manager_close(napi_env env, napi_callback_info info) {
  CARGS(1);
  nmgr_t *nm = get_mgr(env, argv[0]);
  if (nm) mgr_close(nm);
  return undef(env);
}

/* clientTransport(mgr) -> "polling" | "websocket" | null */
static napi_value js_transport(napi_env env, napi_callback_info info) {
  CARGS(1);
  nmgr_t *nm = get_mgr(env, argv[0]);
  const char *t = nm && nm->m ? sioc_manager_transport(nm->m) : NULL;
  return str(env, t, t ? strlen(t) : 0);
}

/* clientConnect(s) / clientDisconnect(s) -> 0 | error */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  CARGS(1);
  sioc_client_t *s = get_client(env, argv[0]);
  return num(env, s ? sioc_client_connect(s) : SIOC_ECLOSED);
}

static napi_value js_disconnect(napi_env env, napi_callback_info info) {
  CARGS(1);
  sioc_client_t *s = get_client(env, argv[0]);
  return num(env, s ? sioc_client_disconnect(s) : SIOC_ECLOSED);
}

/* clientState(s) -> id string (connected) | 1 (active) | 0 */
static napi_value js_state(napi_env env, napi_callback_info info) {
  CARGS(1);
  sioc_client_t *s = get_client(env, argv[0]);
  if (!s) return num(env, 0);
  const char *id = sioc_client_connected(s) ? sioc_client_id(s) : NULL;
  if (id) return str(env, id, strlen(id));
  return num(env, sioc_client_active(s) ? 1 : 0);
}

/* clientSetAuth(s, json | null, useCallback) -> 0 | error */
static napi_value js_set_auth(napi_env env, napi_callback_info info) {
  CARGS(3);
  nclient_t *nc = NULL;
  napi_get_value_external(env, argv[0], (void **)&nc);
  if (!nc || !nc->s) return num(env, SIOC_ECLOSED);
  if (get_flag(env, argv[2], 0)) {
    sioc_client_set_auth_cb(nc->s, on_auth, nc);
    return num(env, 0);
  }
  size_t len = 0;
  char *json = opt_string(env, argv[1], &len);
  int r = sioc_client_set_auth(nc->s, json, len);
  free(json);
  return num(env, r);
}

/* clientAuthReply(s, json | null) -> 0 | error */
static napi_value js_auth_reply(napi_env env, napi_callback_info info) {
  CARGS(2);
  sioc_client_t *s = get_client(env, argv[0]);
  if (!s) return num(env, SIOC_ECLOSED);
  size_t len = 0;
  char *json = opt_string(env, argv[1], &len);
  int r = sioc_client_auth_reply(s, json, len);
  free(json);
  return num(env, r);
}

/* clientEmit(s, name, json, atts, flags, timeoutMs, token) -> 0 | error;
 * token < 0: no ack. */
static napi_value js_emit(napi_env env, napi_callback_info info) {
  CARGS(7);
  sioc_client_t *s = get_client(env, argv[0]);
  if (!s) return num(env, SIOC_ECLOSED);
  size_t jl = 0;
  char *name = opt_string(env, argv[1], NULL);
  char *json = opt_string(env, argv[2], &jl);
  int32_t flags = 0;
  double token = -1;
  napi_get_value_int32(env, argv[4], &flags);
  napi_get_value_double(env, argv[6], &token);
  sioc_bin_t *bins = NULL;
  size_t nb = 0;
  int r = name ? get_bins(env, argv[3], &bins, &nb) : SIOC_EINVAL;
  if (!r && token < 0) {
    r = sioc_client_emit(s, name, json, jl, bins, nb, flags);
  } else if (!r) {
    cack_token_t *t = malloc(sizeof(*t));
    if (!t) {
      r = SIOC_ENOMEM;
    } else {
      t->st = st;
      t->token = (uint32_t)token;
      r = sioc_client_emit_with_ack(s, name, json, jl, bins, nb, flags,
                                    get_ms(env, argv[5], 0), on_ack, t);
      if (r) free(t);
      else st->live_acks++;
    }
  }
  free(bins);
  free(name);
  free(json);
  return num(env, r);
}

/* clientAck(s, ackId, json, atts) -> 0 | error */
static napi_value js_ack(napi_env env, napi_callback_info info) {
  CARGS(4);
  sioc_client_t *s = get_client(env, argv[0]);
  if (!s) return num(env, SIOC_ECLOSED);
  double id = -1;
  napi_get_value_double(env, argv[1], &id);
  size_t jl = 0;
  char *json = opt_string(env, argv[2], &jl);
  sioc_bin_t *bins = NULL;
  size_t nb = 0;
  int r = get_bins(env, argv[3], &bins, &nb);
  if (!r) r = sioc_client_ack(s, (int64_t)id, json, jl, bins, nb);
  free(bins);
  free(json);
  return num(env, r);
}

/* clientStats() -> {managers, sockets, refs, acks} */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  CARGS(1);
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "managers", num(env, (double)st->live_managers));
  napi_set_named_property(env, o, "sockets", num(env, (double)st->live_sockets));
  napi_set_named_property(env, o, "refs", num(env, (double)st->live_refs));
  napi_set_named_property(env, o, "acks", num(env, (double)st->live_acks));
  return o;
}

/* Called from addon.c's module init. */
napi_value sioc__node_client_init(napi_env env, napi_value exports) {
  cstate_t *st = calloc(1, sizeof(*st));
  if (!st) return exports;
  st->env = env;
  napi_value name;
  napi_create_string_utf8(env, "sioc.client", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &st->actx);
  napi_add_async_cleanup_hook(env, on_async_cleanup, st, &st->cleanup);
#define CFN(n, fn) {n, NULL, fn, NULL, NULL, NULL, napi_enumerable, st}
  napi_property_descriptor props[] = {
      CFN("clientInit", js_init),
      CFN("clientEventName", js_event_name),
      CFN("clientManagerNew", js_manager_new),
      CFN("clientSocket", js_socket),
      CFN("clientManagerClose", js_manager_close),
      CFN("clientTransport", js_transport),
      CFN("clientConnect", js_connect),
      CFN("clientDisconnect", js_disconnect),
      CFN("clientState", js_state),
      CFN("clientSetAuth", js_set_auth),
      CFN("clientAuthReply", js_auth_reply),
      CFN("clientEmit", js_emit),
      CFN("clientAck", js_ack),
      CFN("clientStats", js_stats),
  };
#undef CFN
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

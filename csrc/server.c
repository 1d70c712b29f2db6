/* server.c - sioc_server_t: options, the listener, routing by path, CORS,
 * Engine.IO error answers, statistics and the graceful close.
 *
 * Closing: every Socket.IO socket is disconnected with "server shutting
 * down", every session and connection is closed, and the server is freed
 * when the last uv handle's close callback has run (live_handles == 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_text.h"
#include "server.h"

void sioc__conn_accept(sioc_server_t *s);

void sioc_server_options_init(sioc_server_options_t *o) {
  memset(o, 0, sizeof(*o));
  o->path = "/socket.io/";
  o->ping_interval_ms = 25000;
  o->ping_timeout_ms = 20000;
  o->connect_timeout_ms = 45000;
  o->upgrade_timeout_ms = 10000;
  o->max_http_buffer_size = 1000000;
  o->max_attachments = 10;
  o->max_header_bytes = 16384;
  o->max_ws_fragments = 16384;
  o->max_buffered_bytes = 16u << 20;
  o->transports = SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET;
  o->allow_upgrades = 1;
}

const sioc_server_options_t *eio__options(const sioc_server_t *s) { return &s->opts; }

const char *sioc_handshake_header(const sioc_handshake_t *hs, const char *name) {
  for (size_t i = 0; i < hs->n_headers; i++)
    if (strcasecmp(hs->headers[i].name, name) == 0) return hs->headers[i].value;
  return NULL;
}

/* "/x" and "/x/" both mount at "/x/" (engine.io adds the trailing slash). */
static size_t normalised_path_len(const char *p) {
  size_t n = strlen(p);
  return n + (n == 0 || p[n - 1] != '/') + (p[0] != '/');
}

static char *put_path(char *dst, const char *p) {
  size_t n = strlen(p);
  if (p[0] != '/') *dst++ = '/';
  memcpy(dst, p, n);
  dst += n;
  if (n == 0 || p[n - 1] != '/') *dst++ = '/';
  *dst++ = '\0';
  return dst;
}

static int copy_options(sioc_server_t *s, const sioc_server_options_t *in) {
  s->opts = *in;
  size_t total = normalised_path_len(in->path) + 1;
  if (in->eio_path) total += normalised_path_len(in->eio_path) + 1;
  for (size_t i = 0; i < in->n_cors_origins; i++)
    total += strlen(in->cors_origins[i]) + 1 + sizeof(char *);
  if (in->cors_methods) total += strlen(in->cors_methods) + 1;
  if (in->cors_allowed_headers) total += strlen(in->cors_allowed_headers) + 1;
  s->opt_arena = malloc(total + sizeof(char *));
  if (!s->opt_arena) return SIOC_ENOMEM;
  char **origins = (char **)s->opt_arena;
  char *p = s->opt_arena + (in->n_cors_origins + 1) * sizeof(char *);
  for (size_t i = 0; i < in->n_cors_origins; i++) {
    size_t l = strlen(in->cors_origins[i]) + 1;
    memcpy(p, in->cors_origins[i], l);
    origins[i] = p;
    p += l;
  }
  s->opts.cors_origins = (const char *const *)origins;
  s->opts.path = p;
  p = put_path(p, in->path);
  if (in->eio_path) {
    s->opts.eio_path = p;
    p = put_path(p, in->eio_path);
  }
  if (in->cors_methods) {
    size_t l = strlen(in->cors_methods) + 1;
    s->opts.cors_methods = memcpy(p, in->cors_methods, l);
    p += l;
  }
  if (in->cors_allowed_headers) {
    size_t l = strlen(in->cors_allowed_headers) + 1;
    s->opts.cors_allowed_headers = memcpy(p, in->cors_allowed_headers, l);
    p += l;
  }
  return 0;
}

int sioc_server_new(uv_loop_t *loop, const sioc_server_options_t *opts,
                    sioc_server_t **out) {
  sioc_server_options_t defaults;
  if (!opts) {
    sioc_server_options_init(&defaults);
    opts = &defaults;
  }
  if (!loop || !out || !opts->path || !opts->ping_interval_ms ||
      !opts->ping_timeout_ms || !opts->max_http_buffer_size ||
      !(opts->transports & (SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET)) ||
      !opts->max_header_bytes || !opts->max_ws_fragments)
    return SIOC_EINVAL;
  sioc_server_t *s = calloc(1, sizeof(*s));
  if (!s) return SIOC_ENOMEM;
  s->loop = loop;
  s->port = -1;
  sioc__list_init(&s->conns);
  sioc__list_init(&s->nsp_list);
  sioc__strmap_init(&s->nsps);
  if (copy_options(s, opts) || !(s->read_buf = malloc(SIOC_READ_BUF_SIZE))) {
    free(s->opt_arena);
    free(s);
    return SIOC_ENOMEM;
  }
  eio__engine_init(&s->sio_engine, s, s->opts.path);
  s->sio_engine.handler = sio__engine_handler;
  if (s->opts.eio_path) {
    s->eio_engine = malloc(sizeof(*s->eio_engine));
    if (!s->eio_engine) {
      free(s->read_buf);
      free(s->opt_arena);
      free(s);
      return SIOC_ENOMEM;
    }
    eio__engine_init(s->eio_engine, s, s->opts.eio_path);
    s->eio_engine->handler = eio__raw_handler;
  }
  /* The main namespace always exists, as io.sockets does in socket.io. */
  if (!sioc_server_of(s, "/")) {
    sio__server_free(s);
    free(s->eio_engine);
    free(s->read_buf);
    free(s->opt_arena);
    free(s);
    return SIOC_ENOMEM;
  }
  /* The server's own uv handles; nothing fails after this. */
  uv_check_init(loop, &s->end_check);
  uv_prepare_init(loop, &s->end_prepare);
  uv_timer_init(loop, &s->hb_timer);
  s->end_check.data = s->end_prepare.data = s->hb_timer.data = s;
  s->live_handles += 3;
  sioc__list_init(&s->graveyard);
  sioc__list_init(&s->hb_ping);
  sioc__list_init(&s->hb_pong);
  *out = s;
  return 0;
}

/* ---- the end of a loop turn ------------------------------------------------ */

static void turn_end(sioc_server_t *s) {
  sioc__conn_flush_all(s);
  eio__sessions_reap(s);
  uv_check_stop(&s->end_check);
  uv_prepare_stop(&s->end_prepare);
}

static void on_end_check(uv_check_t *h) { turn_end(h->data); }
static void on_end_prepare(uv_prepare_t *h) { turn_end(h->data); }

void sioc__server_want_turn_end(sioc_server_t *s) {
  if (s->closing) return;   /* the handles are (being) closed: free_server reaps */
  uv_check_start(&s->end_check, on_end_check);
  uv_prepare_start(&s->end_prepare, on_end_prepare);
}

uv_loop_t *sioc_server_loop(const sioc_server_t *s) { return s->loop; }

static void on_listener_closed(uv_handle_t *h) {
  sioc__server_handle_closed(h->data);
}

static void on_turn_check_closed(uv_handle_t *h) {
  sioc__server_handle_closed(h->data);
}

static void on_turn(uv_check_t *h) {
  sioc_server_t *s = h->data;
  if (++s->turn == 0) s->turn = 1;   /* 0 means "never written" */
}

uint32_t sioc__server_turn(sioc_server_t *s) {
  if (!s->turn_started && !s->closing) {
    s->turn_started = 1;
    s->turn = 1;
    uv_check_init(s->loop, &s->turn_check);
    s->turn_check.data = s;
    uv_check_start(&s->turn_check, on_turn);
    uv_unref((uv_handle_t *)&s->turn_check);
    s->live_handles++;
  }
  return s->turn;
}

static void on_connection(uv_stream_t *listener, int status) {
  sioc_server_t *s = listener->data;
  if (status < 0 || s->closing) return;
  sioc__conn_accept(s);
}

int sioc_server_listen(sioc_server_t *s, const char *host, int port) {
  if (s->listening || s->closing) return SIOC_EBUSY;
  struct sockaddr_storage addr;
  int r;
  if (!host) host = "0.0.0.0";
  if (strchr(host, ':'))
    r = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
  else
    r = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
  if (r) return r;
  if ((r = uv_tcp_init(s->loop, &s->listener))) return r;
  s->listener.data = s;
  s->live_handles++;
  if ((r = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0)) ||
      (r = uv_listen((uv_stream_t *)&s->listener, 511, on_connection))) {
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    return r;
  }
  s->listening = 1;
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
  s->port = ntohs(bound.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&bound)->sin6_port
                      : ((struct sockaddr_in *)&bound)->sin_port);
  return 0;
}

int sioc_server_port(const sioc_server_t *s) {
  return s->listening ? s->port : SIOC_ECLOSED;
}

void sioc_server_stats(const sioc_server_t *s, sioc_server_stats_t *out) {
  out->connections = s->n_conns;
  out->sessions = s->n_sessions;
  out->sockets = s->n_sockets;
  out->namespaces = s->nsps.count;
}

/* ---- CORS ----------------------------------------------------------------- */

static int origin_allowed(sioc_server_t *s, const char *origin, int *any) {
  const sioc_server_options_t *o = &s->opts;
  *any = 0;
  if (o->cors_cb) return o->cors_cb(s, origin, o->user_data);
  for (size_t i = 0; i < o->n_cors_origins; i++) {
    if (strcmp(o->cors_origins[i], "*") == 0) {
      *any = 1;
      return 1;
    }
    if (origin && strcmp(o->cors_origins[i], origin) == 0) return 1;
  }
  return 0;
}

const char *eio__cors_headers(eio__conn_t *c, const eio__http_req_t *req,
                              char *buf, size_t cap) {
  sioc_server_t *s = c->server;
  const sioc_server_options_t *o = &s->opts;
  buf[0] = '\0';
  if (!o->cors_cb && o->n_cors_origins == 0) return buf;
  const char *origin = eio__http_req_header(req, "origin");
  int any;
  if (!origin_allowed(s, origin, &any)) return buf;
  int n;
  if (any && !o->cors_credentials)
    n = snprintf(buf, cap, "Access-Control-Allow-Origin: *\r\n");
  else if (origin)
    n = snprintf(buf, cap, "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n%s",
                 origin, o->cors_credentials ? "Access-Control-Allow-Credentials: true\r\n" : "");
  else
    n = 0;
  if (n < 0 || (size_t)n >= cap) buf[0] = '\0';
  return buf;
}

/* Answers an OPTIONS preflight the way the cors package does. */
static void respond_preflight(eio__conn_t *c, const eio__http_req_t *req) {
  char cors[1024], all[2048];
  const char *h = eio__cors_headers(c, req, cors, sizeof(cors));
  if (!*h) {
    eio__respond_error(c, req, 0, NULL);   /* no CORS: not a transport */
    return;
  }
  const sioc_server_options_t *o = &c->server->opts;
  const char *methods = o->cors_methods ? o->cors_methods : "GET,HEAD,PUT,PATCH,POST,DELETE";
  /* The configured list, or (the cors package's default) what was asked. */
  const char *want = o->cors_allowed_headers;
  int reflect = !want;
  if (reflect) want = eio__http_req_header(req, "access-control-request-headers");
  int n = snprintf(all, sizeof(all),
                   "%sAccess-Control-Allow-Methods: %s\r\n"
                   "%s%s%s%s",
                   h, methods, want ? "Access-Control-Allow-Headers: " : "", want ? want : "",
                   want ? "\r\n" : "",
                   want && reflect ? "Vary: Access-Control-Request-Headers\r\n" : "");
  if (n < 0 || (size_t)n >= sizeof(all)) all[0] = '\0';
  eio__conn_respond(c, 204, NULL, all, NULL, 0);
}

void sioc_server_on_connection_error(sioc_server_t *s, sioc_connection_error_cb cb,
                                     void *data) {
  s->on_conn_error = cb;
  s->on_conn_error_data = data;
}

void eio__respond_error(eio__conn_t *c, const eio__http_req_t *req, int code,
                        const char *message) {
  if (code < 0) {
    respond_preflight(c, req);
    return;
  }
  char cors[1024];
  const char *h = eio__cors_headers(c, req, cors, sizeof(cors));
  if (!message) message = eio__error_message(code);
  sioc_server_t *s = c->server;
  if (s->on_conn_error) {
    sioc_connection_error_t e = {code, message, http_method_str(req->method),
                                 req->url, req->headers, req->n_headers, c->address};
    s->on_conn_error(s, &e, s->on_conn_error_data);
    if (c->closing) return;   /* the callback closed the server */
  }
  if (req->upgrade) {
    /* engine.io's abortUpgrade: plain message, then the socket is closed. */
    c->close_after_write = 1;
    eio__conn_respond(c, 400, "text/html", h, message, strlen(message));
    eio__conn_close(c, 1);
    return;
  }
  sioc__sbuf_t body;
  sioc__sbuf_init(&body);
  char head[32];
  snprintf(head, sizeof(head), "{\"code\":%d,\"message\":", code);
  if (sioc__sbuf_appends(&body, head) || sioc__json_quote(&body, message, strlen(message)) ||
      sioc__sbuf_appendc(&body, '}')) {
    eio__conn_close(c, 0);
  } else {
    eio__conn_respond(c, code == 4 ? 403 : 400, "application/json", h, body.data,
                      body.len);
  }
  sioc__sbuf_reset(&body);
}

/* ---- routing ---------------------------------------------------------------- */

static int mounted(const eio__engine_t *e, const eio__http_req_t *req) {
  /* engine.io compares the path prefix, trailing slash included; "/x" alone
   * (without the slash) is accepted too. */
  size_t n = e->path_len;
  if (req->path_len >= n && memcmp(req->path, e->path, n) == 0) return 1;
  return req->path_len == n - 1 && memcmp(req->path, e->path, n - 1) == 0;
}

int sioc__server_route_post(eio__conn_t *c, eio__http_req_t *req) {
  sioc_server_t *s = c->server;
  if (s->closing) return 0;
  if (mounted(&s->sio_engine, req)) return eio__engine_post_begin(&s->sio_engine, c, req);
  if (s->eio_engine && mounted(s->eio_engine, req))
    return eio__engine_post_begin(s->eio_engine, c, req);
  return 0;
}

typedef struct sioc__route_s {
  struct sioc__route_s *next;
  char *path;
  char *content_type;
  size_t len;
  char data[];
} sioc__route_t;

int sioc_server_serve(sioc_server_t *s, const char *url_path,
                      const char *content_type, const void *data, size_t len) {
  if (!url_path || url_path[0] != '/' || !content_type || (len && !data))
    return SIOC_EINVAL;
  size_t pl = strlen(url_path) + 1, cl = strlen(content_type) + 1;
  sioc__route_t *r = malloc(sizeof(*r) + len + pl + cl);
  if (!r) return SIOC_ENOMEM;
  if (len) memcpy(r->data, data, len);
  r->len = len;
  r->path = r->data + len;
  memcpy(r->path, url_path, pl);
  r->content_type = r->path + pl;
  memcpy(r->content_type, content_type, cl);
  /* A newer route for the same path wins: it is found first. */
  r->next = s->routes;
  s->routes = r;
  return 0;
}

static int serve_route(eio__conn_t *c, const eio__http_req_t *req) {
  if (req->upgrade || req->method != HTTP_GET) return 0;
  for (sioc__route_t *r = c->server->routes; r; r = r->next) {
    if (strlen(r->path) == req->path_len &&
        memcmp(r->path, req->path, req->path_len) == 0) {
      eio__conn_respond(c, 200, r->content_type,
                        "Cache-Control: public, max-age=0\r\n", r->data, r->len);
      return 1;
    }
  }
  return 0;
}

static void free_routes(sioc_server_t *s) {
  while (s->routes) {
    sioc__route_t *r = s->routes;
    s->routes = r->next;
    free(r);
  }
}

void sioc__server_route(eio__conn_t *c, eio__http_req_t *req) {
  sioc_server_t *s = c->server;
  if (s->closing) {
    c->close_after_write = 1;
    eio__conn_respond(c, 503, NULL, NULL, NULL, 0);
    eio__conn_close(c, 1);
    return;
  }
  if (serve_route(c, req)) return;
  if (mounted(&s->sio_engine, req)) {
    eio__engine_handle(&s->sio_engine, c, req);
    return;
  }
  if (s->eio_engine && mounted(s->eio_engine, req)) {
    eio__engine_handle(s->eio_engine, c, req);
    return;
  }
  static const char body[] = "Not Found";
  if (req->upgrade) c->close_after_write = 1;
  eio__conn_respond(c, 404, "text/plain", NULL, body, sizeof(body) - 1);
  if (req->upgrade) eio__conn_close(c, 1);
}

/* ---- closing ------------------------------------------------------------------ */

static void free_server(sioc_server_t *s) {
  sioc_server_close_cb cb = s->close_cb;
  void *data = s->close_data;
  sio__server_free(s);
  eio__engine_free(&s->sio_engine);
  if (s->eio_engine) {
    eio__engine_free(s->eio_engine);
    free(s->eio_engine);
  }
  free_routes(s);
  eio__sessions_reap(s);   /* in a close callback: nothing refers to them */
  sioc__sbuf_reset(&s->rx);
  sioc__sbuf_reset(&s->tx);
  eio__outq_pool_free(&s->outq_pool);
  free(s->corked);
  free(s->read_buf);
  free(s->opt_arena);
  free(s);
  if (cb) cb(NULL, data);
}

static void stop_close_timer(sioc_server_t *s);

void sioc__server_handle_closed(sioc_server_t *s) {
  s->live_handles--;
  /* Everyone left before the grace period ended: no need to wait for it. */
  if (s->closing && s->close_timer && sioc__list_empty(&s->conns)) stop_close_timer(s);
  if (s->closing == 2 && s->live_handles == 0) free_server(s);
}

/* How long a graceful close waits for clients to take their last bytes. */
#define SIOC_CLOSE_GRACE_MS 2000

static void on_close_timer_closed(uv_handle_t *h) {
  sioc_server_t *s = h->data;
  free(h);
  sioc__server_handle_closed(s);
}

static void stop_close_timer(sioc_server_t *s) {
  if (!s->close_timer) return;
  uv_close((uv_handle_t *)s->close_timer, on_close_timer_closed);
  s->close_timer = NULL;
}

static void on_close_grace_now(sioc_server_t *s) {
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &s->conns) {
    eio__conn_close(SIOC_CONTAINER_OF(it, eio__conn_t, link), 0);
  }
}

/* Connections still flushing when the grace period ends are cut. */
static void on_close_grace(uv_timer_t *t) {
  sioc_server_t *s = t->data;
  stop_close_timer(s);
  on_close_grace_now(s);
}

static void on_own_handle_closed(uv_handle_t *h) {
  sioc__server_handle_closed(h->data);
}

int sioc_server_close(sioc_server_t *s, sioc_server_close_cb cb, void *data) {
  if (s->closing) return SIOC_EBUSY;
  s->closing = 1;
  s->close_cb = cb;
  s->close_data = data;
  s->live_handles++;   /* hold the server while tearing down */
  if (s->listening) {
    s->listening = 0;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
  }
  if (s->turn_started) uv_close((uv_handle_t *)&s->turn_check, on_turn_check_closed);
  sio__server_close_all(s);
  eio__engine_close_all(&s->sio_engine, "forced server close");
  if (s->eio_engine) eio__engine_close_all(s->eio_engine, "forced server close");
  sioc__list_t *it, *tmp;
  SIOC_LIST_FOREACH_SAFE(it, tmp, &s->conns) {
    eio__conn_t *c = SIOC_CONTAINER_OF(it, eio__conn_t, link);
    if (c->mode == CONN_WS) eio__ws_close(c, 1001);
    eio__conn_close(c, 1);
  }
  /* Connections were flushed by their close and every session is closed:
   * the server's own handles go (the graveyard waits for free_server). */
  sioc__conn_flush_all(s);
  uv_close((uv_handle_t *)&s->end_check, on_own_handle_closed);
  uv_close((uv_handle_t *)&s->end_prepare, on_own_handle_closed);
  uv_close((uv_handle_t *)&s->hb_timer, on_own_handle_closed);
  if (!sioc__list_empty(&s->conns)) {
    s->close_timer = malloc(sizeof(uv_timer_t));
    if (s->close_timer) {
      uv_timer_init(s->loop, s->close_timer);
      s->close_timer->data = s;
      s->live_handles++;
      uv_timer_start(s->close_timer, on_close_grace, SIOC_CLOSE_GRACE_MS, 0);
    } else {
      on_close_grace_now(s);
    }
  }
  s->closing = 2;
  sioc__server_handle_closed(s);
  return 0;
}

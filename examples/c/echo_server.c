/* echo_server.c - sioc's example server, and the server the interop tests
 * and benchmarks drive.  Its behaviour is the contract in
 * tests/interop/ECHO-SERVER.md; it uses only the public header <sioc.h>
 * (and cJSON to read event arguments).
 *
 *   sioc-echo-server [--host H] [--port P] [--ping-interval MS]
 *                    [--ping-timeout MS] [--connect-timeout MS]
 *                    [--max-payload BYTES] [--cors-origin ORIGIN]...
 *                    [--redis redis://HOST:PORT] [--redis-key KEY]
 *                    [--requests-timeout MS] [--redis-max-message BYTES]
 *                    [--redis-specific-response 0|1] [--name NAME]
 *
 * With --redis the server joins a cluster (the Redis adapter, compatible
 * with @socket.io/redis-adapter) and also implements the cluster contract
 * of tests/cluster/CLUSTER-SERVER.md.
 */
#include <cjson/cJSON.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc.h"

typedef struct {
  sioc_server_t *server;
  sioc_nsp_t *root;
  const char *name;              /* --name: this server in cluster answers */
  uv_signal_t sigint, sigterm;
  regex_t dyn_re;
} app_t;

/* ---- small JSON helpers -------------------------------------------------- */

/* args "[first, rest...]": the text of "[rest...]" in out (malloc'd). */
static char *args_rest(const char *args, size_t len, size_t skip, size_t *out_len) {
  size_t i = 1;
  for (size_t k = 0; k < skip; k++) {
    while (i < len && strchr(" \t\r\n", args[i])) i++;
    if (i >= len || args[i] == ']') break;
    /* skip one value: strings (room names) are the only first arguments
     * here, but skip brackets generically to be safe */
    int depth = 0, in_str = 0;
    for (; i < len; i++) {
      char ch = args[i];
      if (in_str) {
        if (ch == '\\') i++;
        else if (ch == '"') in_str = 0;
        continue;
      }
      if (ch == '"') in_str = 1;
      else if (ch == '[' || ch == '{') depth++;
      else if (ch == ']' || ch == '}') {
        if (depth == 0) break;
        depth--;
      } else if (ch == ',' && depth == 0) break;
    }
    if (i < len && args[i] == ',') i++;
  }
  char *out = malloc(len + 2);
  if (!out) return NULL;
  out[0] = '[';
  size_t n = len - i;
  memcpy(out + 1, args + i, n);
  *out_len = n + 1;
  out[*out_len] = '\0';
  return out;
}

static char *string_arg(const char *args, size_t len, int index) {
  cJSON *a = cJSON_ParseWithLength(args, len);
  cJSON *item = a ? cJSON_GetArrayItem(a, index) : NULL;
  char *out = cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
  cJSON_Delete(a);
  return out;
}

typedef struct {
  char **items;
  size_t n, cap;
} names_t;

static void names_add(names_t *v, const char *s) {
  if (v->n == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 8;
    v->items = realloc(v->items, v->cap * sizeof(char *));
  }
  v->items[v->n++] = strdup(s);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "[[sorted names]]": one argument, an array of strings. */
static char *names_json(names_t *v) {
  if (v->n) qsort(v->items, v->n, sizeof(char *), cmp_str);
  cJSON *outer = cJSON_CreateArray(), *inner = cJSON_CreateArray();
  for (size_t i = 0; i < v->n; i++) {
    cJSON_AddItemToArray(inner, cJSON_CreateString(v->items[i]));
    free(v->items[i]);
  }
  free(v->items);
  cJSON_AddItemToArray(outer, inner);
  char *s = cJSON_PrintUnformatted(outer);
  cJSON_Delete(outer);
  return s;
}

static int add_room(const char *room, size_t n, void *data) {
  names_add(data, room);
  return 0;
}

static int add_socket_id(sioc_socket_t *s, void *data) {
  names_add(data, sioc_socket_id(s));
  return 0;
}

static void ack_json(sioc_socket_t *s, const sioc_event_t *ev, const char *json) {
  if (ev->ack_id >= 0 && json) sioc_socket_ack(s, ev->ack_id, json, strlen(json), NULL, 0);
}

/* ---- Socket.IO handlers ----------------------------------------------------- */

static void emit_auth(sioc_socket_t *s) {
  size_t len;
  const char *auth = sioc_socket_auth(s, &len);
  char *args = malloc(len + 3);
  args[0] = '[';
  memcpy(args + 1, auth, len);
  args[len + 1] = ']';
  args[len + 2] = '\0';
  sioc_socket_emit(s, "auth", args, len + 2, NULL, 0);
  free(args);
}

static void on_connection(sioc_socket_t *s, void *data) { emit_auth(s); }

static void on_ack_response(sioc_socket_t *s, int err, const char *args, size_t len,
                            const sioc_bin_t *atts, size_t n, void *data) {
  if (!sioc_socket_connected(s)) return;
  if (err) {
    sioc_socket_emit(s, "ack-response", "[null]", 6, NULL, 0);
    return;
  }
  char *wrapped = malloc(len + 3);
  wrapped[0] = '[';
  memcpy(wrapped + 1, args, len);
  wrapped[len + 1] = ']';
  sioc_socket_emit(s, "ack-response", wrapped, len + 2, atts, n);
  free(wrapped);
}

/* ---- cluster contract (tests/cluster/CLUSTER-SERVER.md) ------------------ */

/* An ack waiting for a cluster answer: the socket is held until then. */
typedef struct {
  sioc_socket_t *socket;
  int64_t ack_id;
  app_t *app;
  char *room;                    /* fetch: the target room, or NULL */
} pending_ack_t;

static pending_ack_t *pending_new(sioc_socket_t *s, const sioc_event_t *ev, app_t *app) {
  pending_ack_t *p = calloc(1, sizeof(*p));
  p->socket = sioc_socket_ref(s);
  p->ack_id = ev->ack_id;
  p->app = app;
  return p;
}

static void pending_done(pending_ack_t *p, const char *json) {
  if (json && p->ack_id >= 0 && sioc_socket_connected(p->socket))
    sioc_socket_ack(p->socket, p->ack_id, json, strlen(json), NULL, 0);
  sioc_socket_unref(p->socket);
  free(p->room);
  free(p);
}

/* "[sorted strings]" from a JSON array of strings (or of answers). */
static char *sorted_strings_json(const char *json, size_t len, const char *also) {
  names_t v = {0};
  cJSON *a = cJSON_ParseWithLength(json, len);
  cJSON *it;
  cJSON_ArrayForEach(it, a) {
    if (cJSON_IsString(it)) names_add(&v, it->valuestring);
  }
  cJSON_Delete(a);
  if (also) names_add(&v, also);
  return names_json(&v);
}

static void on_cluster_rooms(sioc_nsp_t *nsp, int err, const char *message,
                             const char *json, size_t len, void *data) {
  char *out = err ? NULL : sorted_strings_json(json, len, NULL);
  pending_done(data, out ? out : "[null]");
  free(out);
}

typedef struct {
  names_t *v;
  const char *server;
} id_at_t;

static int add_id_at(sioc_socket_t *s, void *data) {
  id_at_t *x = data;
  char buf[128];
  snprintf(buf, sizeof(buf), "%s:%s", sioc_socket_id(s), x->server);
  names_add(x->v, buf);
  return 0;
}

/* fetch: ack(sorted "id:server" of every socket in the room, cluster-wide) */
static void on_fetched(sioc_nsp_t *nsp, int err, const char *message,
                       const char *json, size_t len, void *data) {
  pending_ack_t *p = data;
  if (err) {
    pending_done(p, "[null]");
    return;
  }
  names_t v = {0};
  cJSON *a = cJSON_ParseWithLength(json, len);
  cJSON *it;
  cJSON_ArrayForEach(it, a) {
    cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
    cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "data");
    cJSON *srv = cJSON_GetObjectItemCaseSensitive(d, "server");
    char buf[128];
    snprintf(buf, sizeof(buf), "%s:%s", cJSON_IsString(id) ? id->valuestring : "?",
             cJSON_IsString(srv) ? srv->valuestring : "?");
    names_add(&v, buf);
  }
  cJSON_Delete(a);
  const char *rooms[1] = {p->room};
  sioc_target_t t = {rooms, p->room ? 1 : 0, NULL, 0, 0};
  id_at_t x = {&v, p->app->name};
  sioc_nsp_foreach_socket(nsp, &t, add_id_at, &x);
  char *out = names_json(&v);
  pending_done(p, out);
  free(out);
}

/* What another server's fetchSockets learns about ours: {"server": NAME}. */
static void on_fetch_data(sioc_nsp_t *nsp, const char *request,
                          const char *const *ids, size_t n, void *data) {
  app_t *app = data;
  char json[160];
  snprintf(json, sizeof(json), "{\"server\":\"%s\"}", app->name);
  const char **datas = malloc((n ? n : 1) * sizeof(*datas));
  size_t *lens = malloc((n ? n : 1) * sizeof(*lens));
  for (size_t i = 0; i < n; i++) {
    datas[i] = json;
    lens[i] = strlen(json);
  }
  sioc_nsp_fetch_data_reply(nsp, request, ids, datas, lens, n);
  free(datas);
  free(lens);
}

static void on_ss_answers(sioc_nsp_t *nsp, int err, const char *message,
                          const char *json, size_t len, void *data) {
  char *out = err ? NULL : sorted_strings_json(json, len, NULL);
  pending_done(data, out ? out : "[null]");
  free(out);
}

/* serverSideEmit from another server: "ss" (from, ...args) is shown to our
 * own clients as "ss-seen" (me, from, ...args); "ss-ack" (from) is
 * answered with our name. */
static void on_server_side(sioc_nsp_t *nsp, const char *args, size_t len,
                           const char *ack, void *data) {
  app_t *app = data;
  cJSON *a = cJSON_ParseWithLength(args, len);
  cJSON *ev = cJSON_GetArrayItem(a, 0);
  if (cJSON_IsString(ev) && strcmp(ev->valuestring, "ss") == 0) {
    cJSON_ReplaceItemInArray(a, 0, cJSON_CreateString(app->name));
    char *json = cJSON_PrintUnformatted(a);
    sioc_target_t t = {NULL, 0, NULL, 0, SIOC_BCAST_LOCAL};
    sioc_nsp_emit(nsp, &t, "ss-seen", json, strlen(json), NULL, 0);
    free(json);
  } else if (cJSON_IsString(ev) && strcmp(ev->valuestring, "ss-ack") == 0 && ack) {
    char json[160];
    snprintf(json, sizeof(json), "\"%s\"", app->name);
    sioc_nsp_server_side_ack(nsp, ack, json, strlen(json));
  }
  cJSON_Delete(a);
}

static void on_emit_acks(sioc_nsp_t *nsp, int err, const char *responses, size_t len,
                         void *data) {
  char *out = err ? NULL : sorted_strings_json(responses, len, NULL);
  pending_done(data, out ? out : "[null]");
  free(out);
}

/* Returns 1 when the event was one of the cluster contract's. */
static int cluster_event(app_t *app, sioc_socket_t *s, const sioc_event_t *ev) {
  sioc_nsp_t *nsp = sioc_socket_nsp(s);
  const char *name = ev->name;
  if (strcmp(name, "to-id") == 0) {
    char *id = string_arg(ev->args, ev->args_len, 0);
    size_t rl = 0;
    char *rest = id ? args_rest(ev->args, ev->args_len, 1, &rl) : NULL;
    if (rest) {
      const char *rooms[1] = {id};
      sioc_target_t t = {rooms, 1, NULL, 0, 0};
      sioc_nsp_emit(nsp, &t, "direct", rest, rl, ev->attachments, ev->n_attachments);
    }
    free(rest);
    free(id);
  } else if (strcmp(name, "local-emit") == 0) {
    sioc_target_t t = {NULL, 0, NULL, 0, SIOC_BCAST_LOCAL};
    sioc_nsp_emit(nsp, &t, "local", ev->args, ev->args_len, ev->attachments,
                  ev->n_attachments);
  } else if (strcmp(name, "fetch") == 0) {
    pending_ack_t *p = pending_new(s, ev, app);
    p->room = string_arg(ev->args, ev->args_len, 0);
    const char *rooms[1] = {p->room};
    sioc_target_t t = {rooms, p->room ? 1 : 0, NULL, 0, 0};
    sioc_nsp_fetch_sockets(nsp, &t, on_fetched, p);
  } else if (strcmp(name, "cluster-rooms") == 0) {
    sioc_nsp_all_rooms(nsp, on_cluster_rooms, pending_new(s, ev, app));
  } else if (strcmp(name, "ss-emit") == 0) {
    /* ["ss", me, ...args] */
    cJSON *a = cJSON_ParseWithLength(ev->args, ev->args_len);
    cJSON_InsertItemInArray(a, 0, cJSON_CreateString(app->name));
    cJSON_InsertItemInArray(a, 0, cJSON_CreateString("ss"));
    char *json = cJSON_PrintUnformatted(a);
    sioc_nsp_server_side_emit(nsp, json, strlen(json), 0, NULL, NULL);
    free(json);
    cJSON_Delete(a);
  } else if (strcmp(name, "ss-emit-ack") == 0) {
    char json[160];
    snprintf(json, sizeof(json), "[\"ss-ack\",\"%s\"]", app->name);
    sioc_nsp_server_side_emit(nsp, json, strlen(json), 3000, on_ss_answers,
                              pending_new(s, ev, app));
  } else if (strcmp(name, "emit-ack") == 0) {
    /* io.timeout(3000).emit("question", (err, answers) => ack(err ? null : sorted)) */
    sioc_nsp_emit_with_ack(nsp, NULL, "question", "[]", 2, NULL, 0, 3000,
                           on_emit_acks, pending_new(s, ev, app));
  } else {
    return 0;
  }
  return 1;
}

static void on_event(sioc_socket_t *s, const sioc_event_t *ev, void *data) {
  app_t *app = data;
  if (cluster_event(app, s, ev)) return;
  sioc_nsp_t *nsp = sioc_socket_nsp(s);
  const char *name = ev->name;
  if (strcmp(name, "message") == 0) {
    sioc_socket_emit(s, "message-back", ev->args, ev->args_len, ev->attachments,
                     ev->n_attachments);
  } else if (strcmp(name, "message-with-ack") == 0 || strcmp(name, "echo") == 0) {
    if (ev->ack_id >= 0)
      sioc_socket_ack(s, ev->ack_id, ev->args, ev->args_len, ev->attachments,
                      ev->n_attachments);
  } else if (strcmp(name, "bcast") == 0) {
    sioc_nsp_emit(nsp, NULL, "bcast", ev->args, ev->args_len, ev->attachments,
                  ev->n_attachments);
  } else if (strcmp(name, "join") == 0 || strcmp(name, "leave") == 0) {
    char *room = string_arg(ev->args, ev->args_len, 0);
    if (!room) return;
    if (name[0] == 'j') sioc_socket_join(s, room);
    else sioc_socket_leave(s, room);
    free(room);
    names_t v = {0};
    sioc_socket_foreach_room(s, add_room, &v);
    char *json = names_json(&v);
    ack_json(s, ev, json);
    free(json);
  } else if (strcmp(name, "room-emit") == 0 || strcmp(name, "room-broadcast") == 0 ||
             strcmp(name, "room-except") == 0) {
    int except = strcmp(name, "room-except") == 0;
    char *room = string_arg(ev->args, ev->args_len, 0);
    char *other = except ? string_arg(ev->args, ev->args_len, 1) : NULL;
    if (!room || (except && !other)) {
      free(room);
      free(other);
      return;
    }
    size_t rl = 0;
    char *rest = args_rest(ev->args, ev->args_len, except ? 2 : 1, &rl);
    const char *rooms[1] = {room};
    const char *exc[1] = {except ? other : sioc_socket_id(s)};
    sioc_target_t t = {rooms, 1, exc, strcmp(name, "room-emit") == 0 ? 0 : 1, 0};
    if (rest)
      sioc_nsp_emit(nsp, &t, "room-message", rest, rl, ev->attachments, ev->n_attachments);
    free(rest);
    free(room);
    free(other);
  } else if (strcmp(name, "broadcast") == 0) {
    const char *exc[1] = {sioc_socket_id(s)};
    sioc_target_t t = {NULL, 0, exc, 1, 0};
    sioc_nsp_emit(nsp, &t, "broadcast", ev->args, ev->args_len, ev->attachments,
                  ev->n_attachments);
  } else if (strcmp(name, "volatile") == 0) {
    sioc_target_t t = {NULL, 0, NULL, 0, SIOC_BCAST_VOLATILE};
    sioc_nsp_emit(nsp, &t, "volatile", ev->args, ev->args_len, ev->attachments,
                  ev->n_attachments);
  } else if (strcmp(name, "request-ack") == 0) {
    sioc_socket_emit_with_ack(s, "ack-request", ev->args, ev->args_len,
                              ev->attachments, ev->n_attachments, 5000,
                              on_ack_response, NULL);
  } else if (strcmp(name, "server-disconnect") == 0) {
    sioc_socket_disconnect(s, 0);
  } else if (strcmp(name, "room-sockets") == 0) {
    char *room = string_arg(ev->args, ev->args_len, 0);
    if (!room) return;
    const char *rooms[1] = {room};
    sioc_target_t t = {rooms, 1, NULL, 0, 0};
    names_t v = {0};
    sioc_nsp_foreach_socket(nsp, &t, add_socket_id, &v);
    char *json = names_json(&v);
    ack_json(s, ev, json);
    free(json);
    free(room);
  } else if (strcmp(name, "all-rooms") == 0) {
    names_t v = {0};
    sioc_nsp_foreach_room(nsp, add_room, &v);
    char *json = names_json(&v);
    ack_json(s, ev, json);
    free(json);
  } else if (strcmp(name, "sockets-join") == 0) {
    char *room = string_arg(ev->args, ev->args_len, 0);
    char *target = string_arg(ev->args, ev->args_len, 1);
    if (room && target) {
      const char *rooms[1] = {target};
      const char *join[1] = {room};
      sioc_target_t t = {rooms, 1, NULL, 0, 0};
      sioc_nsp_sockets_join(nsp, &t, join, 1);
      ack_json(s, ev, "[]");
    }
    free(room);
    free(target);
  } else if (strcmp(name, "disconnect-sockets") == 0) {
    char *room = string_arg(ev->args, ev->args_len, 0);
    if (!room) return;
    const char *rooms[1] = {room};
    sioc_target_t t = {rooms, 1, NULL, 0, 0};
    sioc_nsp_disconnect_sockets(nsp, &t, 0);
    free(room);
  }
  (void)app;
}

/* /private: only auth.token === "secret" gets in. */
static void private_middleware(sioc_socket_t *s, const char *auth, size_t len,
                               void *data) {
  cJSON *a = cJSON_ParseWithLength(auth, len);
  cJSON *tok = a ? cJSON_GetObjectItemCaseSensitive(a, "token") : NULL;
  int ok = cJSON_IsString(tok) && strcmp(tok->valuestring, "secret") == 0;
  cJSON_Delete(a);
  if (ok) sioc_socket_accept(s);
  else sioc_socket_reject(s, "unauthorized", "{\"reason\":\"bad token\"}", 22);
}

static void on_dyn_connection(sioc_socket_t *s, void *data) {
  emit_auth(s);
  cJSON *a = cJSON_CreateArray();
  cJSON_AddItemToArray(a, cJSON_CreateString(sioc_nsp_name(sioc_socket_nsp(s))));
  char *json = cJSON_PrintUnformatted(a);
  sioc_socket_emit(s, "nsp", json, strlen(json), NULL, 0);
  free(json);
  cJSON_Delete(a);
}

static sioc_nsp_t *resolve_nsp(sioc_server_t *server, const char *name, void *data) {
  app_t *app = data;
  if (regexec(&app->dyn_re, name, 0, NULL, 0) != 0) return NULL;
  sioc_nsp_t *nsp = sioc_server_of(server, name);
  if (nsp) sioc_nsp_on_connection(nsp, on_dyn_connection, app);
  return nsp;
}

/* ---- raw Engine.IO echo ------------------------------------------------------- */

static void eio_message(sioc_eio_socket_t *s, const char *data, size_t len,
                        int binary, void *ud) {
  sioc_eio_socket_send(s, data, len, binary);
}

/* ---- process ------------------------------------------------------------------- */

static void on_closed(sioc_server_t *server, void *data) {
  app_t *app = data;
  uv_close((uv_handle_t *)&app->sigint, NULL);
  uv_close((uv_handle_t *)&app->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
  app_t *app = h->data;
  uv_signal_stop(&app->sigint);
  uv_signal_stop(&app->sigterm);
  sioc_server_close(app->server, on_closed, app);
}

static void usage(void) {
  fprintf(stderr,
          "usage: sioc-echo-server [--host H] [--port P] [--ping-interval MS]\n"
          "       [--ping-timeout MS] [--connect-timeout MS] [--max-payload BYTES]\n"
          "       [--cors-origin ORIGIN]... [--redis URL] [--redis-key KEY]\n"
          "       [--requests-timeout MS] [--redis-max-message BYTES]\n"
          "       [--redis-specific-response 0|1] [--name NAME]\n");
  exit(2);
}

int main(int argc, char **argv) {
  /* A peer that resets while we write is an error code, not a signal. */
  signal(SIGPIPE, SIG_IGN);
  const char *host = "127.0.0.1";
  int port = 3000;
  const char *redis_url = NULL, *redis_key = NULL, *name = "c";
  uint32_t requests_timeout = 0;
  size_t redis_max_message = 0;
  int redis_specific = 0;
  const char *origins[16];
  sioc_server_options_t opts;
  sioc_server_options_init(&opts);
  opts.cors_origins = origins;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (strcmp(a, "--host") == 0) host = v;
    else if (strcmp(a, "--port") == 0) port = atoi(v);
    else if (strcmp(a, "--ping-interval") == 0) opts.ping_interval_ms = (uint32_t)atol(v);
    else if (strcmp(a, "--ping-timeout") == 0) opts.ping_timeout_ms = (uint32_t)atol(v);
    else if (strcmp(a, "--connect-timeout") == 0) opts.connect_timeout_ms = (uint32_t)atol(v);
    else if (strcmp(a, "--max-payload") == 0) opts.max_http_buffer_size = (size_t)atoll(v);
    else if (strcmp(a, "--cors-origin") == 0 && opts.n_cors_origins < 16)
      origins[opts.n_cors_origins++] = v;
    else if (strcmp(a, "--redis") == 0) redis_url = v;
    else if (strcmp(a, "--redis-key") == 0) redis_key = v;
    else if (strcmp(a, "--name") == 0) name = v;
    else if (strcmp(a, "--requests-timeout") == 0) requests_timeout = (uint32_t)atol(v);
    else if (strcmp(a, "--redis-max-message") == 0) redis_max_message = (size_t)atoll(v);
    else if (strcmp(a, "--redis-specific-response") == 0) redis_specific = atoi(v);
    else usage();
  }
  uv_loop_t *loop = uv_default_loop();
  app_t app;
  memset(&app, 0, sizeof(app));
  regcomp(&app.dyn_re, "^/dyn-[a-z0-9]+$", REG_EXTENDED | REG_NOSUB);
  int r = sioc_server_new(loop, &opts, &app.server);
  if (r) {
    fprintf(stderr, "sioc_server_new: %s\n", sioc_strerror(r));
    return 1;
  }
  app.name = name;
  if (redis_url) {
    sioc_redis_options_t ro;
    sioc_redis_options_init(&ro);
    ro.url = redis_url;
    if (redis_key) ro.key = redis_key;
    if (requests_timeout) ro.requests_timeout_ms = requests_timeout;
    if (redis_max_message) ro.max_message_bytes = redis_max_message;
    ro.publish_on_specific_response_channel = redis_specific;
    if ((r = sioc_server_use_redis(app.server, &ro))) {
      fprintf(stderr, "--redis %s: %s\n", redis_url, sioc_strerror(r));
      return 1;
    }
  }
  app.root = sioc_server_of(app.server, "/");
  sioc_nsp_on_fetch_data(app.root, on_fetch_data, &app);
  sioc_nsp_on_server_side_emit(app.root, on_server_side, &app);
  sioc_nsp_on_connection(app.root, on_connection, &app);
  sioc_nsp_on_event(app.root, on_event, &app);
  sioc_nsp_on_connection(sioc_server_of(app.server, "/custom"), on_connection, &app);
  sioc_nsp_t *priv = sioc_server_of(app.server, "/private");
  sioc_nsp_use(priv, private_middleware, &app);
  sioc_nsp_on_connection(priv, on_connection, &app);
  sioc_server_on_new_nsp(app.server, resolve_nsp, &app);
  sioc_server_on_eio(app.server, NULL, eio_message, NULL, &app);
  if ((r = sioc_server_listen(app.server, host, port))) {
    fprintf(stderr, "listen %s:%d: %s\n", host, port, sioc_strerror(r));
    return 1;
  }
  uv_signal_init(loop, &app.sigint);
  uv_signal_init(loop, &app.sigterm);
  app.sigint.data = app.sigterm.data = &app;
  uv_signal_start(&app.sigint, on_signal, SIGINT);
  uv_signal_start(&app.sigterm, on_signal, SIGTERM);
  printf("listening on http://%s:%d\n", host, sioc_server_port(app.server));
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  regfree(&app.dyn_re);
  r = uv_loop_close(loop);
  if (r) fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(r));
  return r ? 1 : 0;
}

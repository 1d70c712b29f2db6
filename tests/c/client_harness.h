/* client_harness.h - the C client tests' helpers: an in-process sioc echo
 * server (a subset of tests/interop/ECHO-SERVER.md) and a recorder of the
 * client's events as one comma-separated log per socket / manager.
 * Header-only; include once, after loop_client.h. */
#ifndef SIOC_TEST_CLIENT_HARNESS_H
#define SIOC_TEST_CLIENT_HARNESS_H

#include <signal.h>

#include "loop_client.h"

/* ---- server ------------------------------------------------------------------ */

static sioc_server_t *hs_srv;
static int hs_port;
static int hs_closed;

static void hs_emit_auth(sioc_socket_t *s) {
  size_t len;
  const char *auth = sioc_socket_auth(s, &len);
  char buf[512];
  snprintf(buf, sizeof(buf), "[%.*s]", (int)len, auth);
  sioc_socket_emit(s, "auth", buf, strlen(buf), NULL, 0);
}

static void hs_on_connection(sioc_socket_t *s, void *ud) { hs_emit_auth(s); }

static void hs_on_ack_reply(sioc_socket_t *s, int err, const char *args, size_t len,
                            const sioc_bin_t *atts, size_t n, void *ud) {
  if (err) {
    sioc_socket_emit(s, "ack-response", "[null]", 6, NULL, 0);
    return;
  }
  char *buf = malloc(len + 3);
  buf[0] = '[';
  memcpy(buf + 1, args, len);
  buf[len + 1] = ']';
  sioc_socket_emit(s, "ack-response", buf, len + 2, atts, n);
  free(buf);
}

static void hs_on_event(sioc_socket_t *s, const sioc_event_t *ev, void *ud) {
  if (!strcmp(ev->name, "message")) {
    sioc_socket_emit(s, "message-back", ev->args, ev->args_len, ev->attachments,
                     ev->n_attachments);
  } else if (!strcmp(ev->name, "echo") || !strcmp(ev->name, "message-with-ack")) {
    if (ev->ack_id >= 0)
      sioc_socket_ack(s, ev->ack_id, ev->args, ev->args_len, ev->attachments,
                      ev->n_attachments);
  } else if (!strcmp(ev->name, "request-ack")) {
    sioc_socket_emit_with_ack(s, "ack-request", ev->args, ev->args_len,
                              ev->attachments, ev->n_attachments, 5000,
                              hs_on_ack_reply, NULL);
  } else if (!strcmp(ev->name, "server-disconnect")) {
    sioc_socket_disconnect(s, 0);
  }
}

static void hs_private_mw(sioc_socket_t *s, const char *auth, size_t len, void *ud) {
  cJSON *a = cJSON_ParseWithLength(auth, len);
  cJSON *tok = a ? cJSON_GetObjectItemCaseSensitive(a, "token") : NULL;
  if (cJSON_IsString(tok) && !strcmp(tok->valuestring, "secret"))
    sioc_socket_accept(s);
  else
    sioc_socket_reject(s, "unauthorized", "{\"reason\":\"bad token\"}", 22);
  cJSON_Delete(a);
}

/* Starts the echo server on `port` (0: any); returns the port. */
static inline int hs_start(int port, uint32_t ping_interval, uint32_t ping_timeout) {
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  if (ping_interval) o.ping_interval_ms = ping_interval;
  if (ping_timeout) o.ping_timeout_ms = ping_timeout;
  ASSERT_EQ(sioc_server_new(lc_loop(), &o, &hs_srv), 0);
  int r;
  for (int i = 0; i < 50; i++) {   /* the old socket may linger briefly */
    r = sioc_server_listen(hs_srv, "127.0.0.1", port);
    if (r != UV_EADDRINUSE) break;
    lc_sleep(50);
  }
  ASSERT_EQ(r, 0);
  hs_port = sioc_server_port(hs_srv);
  sioc_nsp_t *root = sioc_server_of(hs_srv, "/");
  sioc_nsp_on_connection(root, hs_on_connection, NULL);
  sioc_nsp_on_event(root, hs_on_event, NULL);
  sioc_nsp_t *custom = sioc_server_of(hs_srv, "/custom");
  sioc_nsp_on_connection(custom, hs_on_connection, NULL);
  sioc_nsp_on_event(custom, hs_on_event, NULL);
  sioc_nsp_t *priv = sioc_server_of(hs_srv, "/private");
  sioc_nsp_use(priv, hs_private_mw, NULL);
  sioc_nsp_on_connection(priv, hs_on_connection, NULL);
  hs_closed = 0;
  return hs_port;
}

static void hs_on_closed(sioc_server_t *s, void *ud) { hs_closed = 1; }

static inline void hs_stop(void) {
  ASSERT_EQ(sioc_server_close(hs_srv, hs_on_closed, NULL), 0);
  LC_WAIT(hs_closed, 3000);
  hs_srv = NULL;
}

/* ---- client recorder ------------------------------------------------------------- */

typedef struct {
  char log[4096];
  int n_connect, n_disconnect, n_connect_error, n_events, n_reconnect_failed;
  int n_reconnect, n_attempts, n_error;
  char last_event[64];
  char last_args[2048];
  size_t last_n_atts;
  uint8_t last_att[256];
  size_t last_att_len;
  char last_error[512];
  char last_data[256];
  char last_reason[64];
  uint64_t attempt_times[64];
} hc_rec_t;

static void hc_log(hc_rec_t *r, const char *what) {
  size_t l = strlen(r->log);
  snprintf(r->log + l, sizeof(r->log) - l, "%s%s", l ? "," : "", what);
}

static inline void hc_on_socket(sioc_client_t *s, const sioc_client_event_t *ev, void *ud) {
  hc_rec_t *r = ud;
  const char *classic = sioc_client_event_name(ev->kind, 1);
  switch (ev->kind) {
    case SIOC_CLIENT_EVENT:
      r->n_events++;
      snprintf(r->last_event, sizeof(r->last_event), "%s", ev->event->name);
      snprintf(r->last_args, sizeof(r->last_args), "%.*s", (int)ev->event->args_len,
               ev->event->args);
      r->last_n_atts = ev->event->n_attachments;
      if (ev->event->n_attachments) {
        r->last_att_len = ev->event->attachments[0].len;
        memcpy(r->last_att, ev->event->attachments[0].data,
               r->last_att_len < 256 ? r->last_att_len : 256);
      }
      {
        char b[80];
        snprintf(b, sizeof(b), "ev:%s", ev->event->name);
        hc_log(r, b);
      }
      if (ev->event->ack_id >= 0)   /* answer the server's ack request */
        sioc_client_ack(s, ev->event->ack_id, ev->event->args, ev->event->args_len,
                        ev->event->attachments, ev->event->n_attachments);
      return;
    case SIOC_CLIENT_CONNECT: r->n_connect++; break;
    case SIOC_CLIENT_DISCONNECT:
      r->n_disconnect++;
      snprintf(r->last_reason, sizeof(r->last_reason), "%s", ev->message);
      break;
    case SIOC_CLIENT_CONNECT_ERROR:
      r->n_connect_error++;
      snprintf(r->last_error, sizeof(r->last_error), "%s", ev->message ? ev->message : "");
      snprintf(r->last_data, sizeof(r->last_data), "%.*s", (int)ev->data_len,
               ev->data ? ev->data : "");
      break;
    case SIOC_CLIENT_RECONNECT_FAILED: r->n_reconnect_failed++; break;
    case SIOC_CLIENT_RECONNECT: r->n_reconnect++; break;
    case SIOC_CLIENT_RECONNECT_ATTEMPT:
      if (r->n_attempts < 64) r->attempt_times[r->n_attempts] = lc_now();
      r->n_attempts++;
      break;
    case SIOC_CLIENT_ERROR: r->n_error++; break;
    default: break;
  }
  /* the classic names: what a 0.9-style listener sees */
  if (classic && ev->kind != SIOC_CLIENT_ERROR && ev->kind != SIOC_CLIENT_CONNECT_ERROR)
    hc_log(r, classic);
}

static inline void hc_on_manager(sioc_manager_t *m, const sioc_client_event_t *ev, void *ud) {
  hc_rec_t *r = ud;
  const char *name = sioc_client_event_name(ev->kind, 2);
  if (ev->kind == SIOC_CLIENT_ERROR) {
    r->n_error++;
    snprintf(r->last_error, sizeof(r->last_error), "%s", ev->message ? ev->message : "");
  }
  if (ev->kind == SIOC_CLIENT_RECONNECT_FAILED) r->n_reconnect_failed++;
  if (name && ev->kind != SIOC_CLIENT_PING) hc_log(r, name);
}

static int hc_closed;
static void hc_on_closed(sioc_manager_t *m, void *ud) { hc_closed++; }

static void hc_close(sioc_manager_t *m) {
  int before = hc_closed;
  ASSERT_EQ(sioc_manager_close(m, hc_on_closed, NULL), 0);
  LC_WAIT(hc_closed == before + 1, 3000);
}

/* ack recorder */
typedef struct {
  int done;
  int err;
  char args[2048];
  size_t n_atts;
  uint8_t att[256];
  size_t att_len;
} hc_ack_t;

static inline void hc_on_ack(sioc_client_t *s, int err, const char *args, size_t len,
                      const sioc_bin_t *atts, size_t n, void *ud) {
  hc_ack_t *a = ud;
  a->done++;
  a->err = err;
  snprintf(a->args, sizeof(a->args), "%.*s", (int)len, args ? args : "");
  a->n_atts = n;
  if (n) {
    a->att_len = atts[0].len;
    memcpy(a->att, atts[0].data, a->att_len < 256 ? a->att_len : 256);
  }
}

#endif

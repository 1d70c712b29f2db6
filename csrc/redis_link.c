/* redis_link.c - the Redis connections of a cluster (see redis_link.h):
 * hiredis' async API on a libuv loop through our own event glue, the
 * connect / lose / back off / reconnect cycle, and the few commands the
 * cluster sends.
 *
 * Invariants:
 *  - Both connections are up or the link is down: when either fails or
 *    closes, the other is dropped too, and both are made again after the
 *    backoff delay.  Every state change is logged once, not every retry.
 *  - `n_live` counts the hiredis contexts not yet freed by hiredis, `retry`
 *    is the one timer (connect timeout, then backoff delay).  A closing
 *    link is freed when both are gone, never before: hiredis may still
 *    call us from a context it has not freed yet.
 *  - A context is let go of at once (redisAsyncFree, never a graceful
 *    disconnect that waits for replies a dead Redis never sends), so a
 *    reconnection or a close never waits for Redis.
 *  - What we hold is bounded: commands waiting for Redis by
 *    max_buffered_bytes, the message being read by max_message_bytes.
 *  - Command callbacks carry a token (NUMSUB) or the link itself, never a
 *    pointer the owner may free: a late reply finds nothing to touch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redis_link.h"

typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_UP } link_state_t;

struct sio__redis_link_s {
  uv_loop_t *loop;
  sio__redis_link_events_t ev;
  void *owner;
  /* where */
  char *host;
  int port;
  char *user, *password;
  int db;
  char *url;                     /* for log lines, without the password */
  /* how */
  uint32_t delay_min_ms, delay_max_ms, delay_ms;
  size_t max_message_bytes, max_buffered_bytes;
  sioc_log_cb log;
  void *log_data;
  /* state */
  redisAsyncContext *pub, *sub;  /* NULL once let go of */
  int n_live;                    /* contexts hiredis has not freed yet */
  int pub_ok, sub_ok;            /* connect callback reported success */
  link_state_t state;
  int ever_up;
  int logged_down;               /* the current outage was logged */
  uv_timer_t *retry;             /* connect timeout / backoff delay */
  int dropping;                  /* in drop_both(): hiredis may call back */
  int closing;
  /* what we refused */
  int stalled;                   /* commands refused: Redis does not read */
  size_t stalled_refused;
  int refused_logged;            /* refused messages: last line at */
  uint64_t refused_at;
  size_t refused_n;              /* since then */
};

/* ---- logging -------------------------------------------------------------- */

static void link_log(const sio__redis_link_t *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void link_log(const sio__redis_link_t *l, int level, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (l->log) l->log(level, line, l->log_data);
  else fprintf(stderr, "sioc: redis adapter: %s\n", line);
}

const char *sio__redis_link_url(const sio__redis_link_t *l) { return l->url; }

/* Up to cap - 1 characters of s, with anything but printable ASCII as '?'
 * (what others publish must not forge log lines). */
static const char *printable(char *dst, size_t cap, const char *s) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++)
    dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
  dst[i] = '\0';
  return dst;
}

void sio__redis_link_refused(sio__redis_link_t *l, const char *channel, const char *why) {
  uint64_t now = uv_now(l->loop);
  l->refused_n++;
  if (l->refused_logged && now - l->refused_at < 60000) return;
  char ch[160];
  printable(ch, sizeof(ch), channel);
  if (l->refused_n > 1)
    link_log(l, SIOC_LOG_WARNING,
             "dropped %zu messages on the cluster's channels in the last minute, "
             "the last on %s: %s", l->refused_n, ch, why);
  else
    link_log(l, SIOC_LOG_WARNING, "dropped a message on %s: %s", ch, why);
  l->refused_logged = 1;
  l->refused_at = now;
  l->refused_n = 0;
}

int sio__redis_link_up(const sio__redis_link_t *l) { return l && l->state == LINK_UP; }

/* ---- hiredis on libuv ----------------------------------------------------
 * Our own event glue rather than hiredis' adapters/libuv.h: that one drops
 * poll errors (libuv reports a refused or reset socket as status < 0 with
 * no events), so a connection attempt to a Redis that is down would wait
 * forever.  Here an error status hands the pending events to hiredis,
 * which then reads the socket error and fails the context. */
typedef struct {
  redisAsyncContext *ac;         /* NULL once hiredis let go of us */
  uv_poll_t poll;
  int events;
} redis_ev_t;

static void check_input(redisAsyncContext *ac);

static void ev_on_poll(uv_poll_t *h, int status, int events) {
  redis_ev_t *e = h->data;
  int ev = status < 0 ? e->events : events;
  if (e->ac && (ev & UV_READABLE)) {
    redisAsyncHandleRead(e->ac);
    if (e->ac) check_input(e->ac);
  }
  if (e->ac && (ev & UV_WRITABLE)) redisAsyncHandleWrite(e->ac);
}

static void ev_update(redis_ev_t *e, int add, int del) {
  e->events = (e->events | add) & ~del;
  if (e->events) uv_poll_start(&e->poll, e->events, ev_on_poll);
  else uv_poll_stop(&e->poll);
}

static void ev_add_read(void *d) { ev_update(d, UV_READABLE, 0); }
static void ev_del_read(void *d) { ev_update(d, 0, UV_READABLE); }
static void ev_add_write(void *d) { ev_update(d, UV_WRITABLE, 0); }
static void ev_del_write(void *d) { ev_update(d, 0, UV_WRITABLE); }

static void ev_closed(uv_handle_t *h) { free(h->data); }

static void ev_cleanup(void *d) {
  redis_ev_t *e = d;
  e->ac = NULL;
  uv_close((uv_handle_t *)&e->poll, ev_closed);
}

static int ev_attach(redisAsyncContext *ac, uv_loop_t *loop) {
  redis_ev_t *e = calloc(1, sizeof(*e));
  if (!e) return REDIS_ERR;
  if (uv_poll_init(loop, &e->poll, ac->c.fd) != 0) {
    free(e);
    return REDIS_ERR;
  }
  e->ac = ac;
  e->poll.data = e;
  ac->ev.data = e;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  return REDIS_OK;
}

/* ---- lifetime ------------------------------------------------------------- */

static void link_free(sio__redis_link_t *l) {
  free(l->host);
  free(l->user);
  free(l->password);
  free(l->url);
  free(l);
}

/* A closing link whose contexts and timer are all gone: done. */
static void maybe_closed(sio__redis_link_t *l) {
  if (!l->closing || l->n_live || l->retry || l->dropping) return;
  void (*cb)(void *) = l->ev.on_closed;
  void *owner = l->owner;
  link_free(l);
  if (cb) cb(owner);
}

static void retry_closed(uv_handle_t *h) {
  sio__redis_link_t *l = h->data;
  free(h);
  l->retry = NULL;
  maybe_closed(l);
}

/* ---- connection management ----------------------------------------------- */

static void connect_links(sio__redis_link_t *l);
static void link_lost(sio__redis_link_t *l, const char *why);

static void on_retry(uv_timer_t *t) {
  sio__redis_link_t *l = t->data;
  if (l->state == LINK_CONNECTING) link_lost(l, "connection timed out");
  else connect_links(l);
}

static int start_retry_timer(sio__redis_link_t *l, uint64_t ms) {
  if (!l->retry) {
    if (!(l->retry = malloc(sizeof(uv_timer_t)))) return SIOC_ENOMEM;
    uv_timer_init(l->loop, l->retry);
    l->retry->data = l;
  }
  uv_timer_start(l->retry, on_retry, ms, 0);
  return 0;
}

static void schedule_retry(sio__redis_link_t *l) {
  if (l->closing) return;
  if (start_retry_timer(l, l->delay_ms) != 0) {
    link_log(l, SIOC_LOG_WARNING, "out of memory: no reconnection to %s", l->url);
    return;
  }
  l->delay_ms = l->delay_ms * 2 > l->delay_max_ms ? l->delay_max_ms : l->delay_ms * 2;
}

/* Both contexts gone: retry later, or finish closing.  Not while
 * drop_both() runs (hiredis may report a disconnect from inside it): its
 * caller calls this once afterwards. */
static void after_links_gone(sio__redis_link_t *l) {
  if (l->n_live || l->dropping) return;
  if (l->closing) maybe_closed(l);
  else schedule_retry(l);
}

/* Lets go of one context, now: what waits to be written is written as far
 * as the socket takes it (a last broadcast before a close), then the
 * context is freed; pending command callbacks run with no reply.  (Not
 * redisAsyncDisconnect: it waits for every pending reply, forever if
 * Redis stopped answering.)  A connected context is counted gone by its
 * disconnect callback, which finds it no longer ours (hiredis defers the
 * free when we are inside one of its callbacks); one still connecting is
 * freed without callback. */
static void drop_context(sio__redis_link_t *l, redisAsyncContext **pp, int connected) {
  redisAsyncContext *ac = *pp;
  if (!ac) return;
  *pp = NULL;
  if (connected) {
    int done;
    redisBufferWrite(&ac->c, &done);
    redisAsyncFree(ac);
  } else {
    ac->onDisconnect = NULL;
    redisAsyncFree(ac);
    l->n_live--;
  }
}

static void drop_both(sio__redis_link_t *l) {
  int pub_ok = l->pub_ok, sub_ok = l->sub_ok;
  l->pub_ok = l->sub_ok = 0;
  l->state = LINK_DOWN;
  l->dropping++;
  drop_context(l, &l->pub, pub_ok);
  drop_context(l, &l->sub, sub_ok);
  l->dropping--;
}

/* One connection failed or closed: the link is down until both are back. */
static void link_lost(sio__redis_link_t *l, const char *why) {
  link_state_t was = l->state;
  if (!l->closing && !l->logged_down) {
    l->logged_down = 1;
    if (was == LINK_UP)
      link_log(l, SIOC_LOG_WARNING,
               "connection to %s lost (%s); local delivery continues, "
               "reconnecting with backoff", l->url, why);
    else
      link_log(l, SIOC_LOG_WARNING,
               "cannot connect to %s (%s); local delivery continues, "
               "retrying with backoff", l->url, why);
  }
  drop_both(l);
  after_links_gone(l);
}

static void maybe_up(sio__redis_link_t *l) {
  if (!l->pub_ok || !l->sub_ok || l->state == LINK_UP) return;
  l->state = LINK_UP;
  if (l->retry) uv_timer_stop(l->retry);   /* the connect timeout */
  l->delay_ms = l->delay_min_ms;
  if (l->ever_up)
    link_log(l, SIOC_LOG_INFO, "reconnected to %s; subscriptions restored", l->url);
  else
    link_log(l, SIOC_LOG_INFO, "connected to %s", l->url);
  l->ever_up = 1;
  l->logged_down = 0;
}

static void on_connect(const redisAsyncContext *ac, int status) {
  sio__redis_link_t *l = ac->data;
  if (status != REDIS_OK) {
    /* hiredis frees a context that failed to connect, without a
     * disconnect callback */
    l->n_live--;
    if (ac != l->pub && ac != l->sub) {
      after_links_gone(l);
      return;
    }
    char why[128];
    snprintf(why, sizeof(why), "%s", ac->errstr[0] ? ac->errstr : "error");
    if (ac == l->pub) l->pub = NULL;
    else l->sub = NULL;
    link_lost(l, why);
    return;
  }
  if (ac == l->pub) l->pub_ok = 1;
  else if (ac == l->sub) l->sub_ok = 1;
  maybe_up(l);
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
  sio__redis_link_t *l = ac->data;
  l->n_live--;
  if (ac != l->pub && ac != l->sub) {   /* one we let go of */
    after_links_gone(l);
    return;
  }
  char why[128];
  snprintf(why, sizeof(why), "%s",
           status == REDIS_OK ? "closed by the server"
                              : (ac->errstr[0] ? ac->errstr : "error"));
  if (ac == l->pub) {
    l->pub = NULL;
    l->pub_ok = 0;
  } else {
    l->sub = NULL;
    l->sub_ok = 0;
  }
  link_lost(l, why);
}

static void on_auth_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  redisReply *r = reply;
  sio__redis_link_t *l = ac->data;
  if (r && r->type == REDIS_REPLY_ERROR)
    link_log(l, SIOC_LOG_WARNING, "%s answered: %s", l->url, r->str);
}

static redisAsyncContext *open_context(sio__redis_link_t *l) {
  redisAsyncContext *ac = redisAsyncConnect(l->host, l->port);
  if (!ac) return NULL;
  if (ac->err || ev_attach(ac, l->loop) != REDIS_OK) {
    redisAsyncFree(ac);
    return NULL;
  }
  l->n_live++;
  ac->data = l;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  if (l->password) {
    if (l->user) {
      const char *argv[3] = {"AUTH", l->user, l->password};
      size_t lens[3] = {4, strlen(l->user), strlen(l->password)};
      redisAsyncCommandArgv(ac, on_auth_reply, NULL, 3, argv, lens);
    } else {
      const char *argv[2] = {"AUTH", l->password};
      size_t lens[2] = {4, strlen(l->password)};
      redisAsyncCommandArgv(ac, on_auth_reply, NULL, 2, argv, lens);
    }
  }
  if (l->db) redisAsyncCommand(ac, on_auth_reply, NULL, "SELECT %d", l->db);
  return ac;
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata);

static void connect_links(sio__redis_link_t *l) {
  if (l->closing || l->pub || l->sub || l->n_live) return;
  l->state = LINK_CONNECTING;
  l->pub = open_context(l);
  l->sub = l->pub ? open_context(l) : NULL;
  if (!l->pub || !l->sub) {
    link_lost(l, "cannot create a connection");
    return;
  }
  if (l->ev.on_connecting) l->ev.on_connecting(l->owner);
  if (start_retry_timer(l, SIO_REDIS_CONNECT_TIMEOUT_MS) != 0)
    link_lost(l, "out of memory");
}

/* ---- incoming -------------------------------------------------------------- */

/* hiredis keeps the reply it is reading whole in its reader buffer: a
 * message still arriving past max_message_bytes (plus room for the
 * channel name and framing) can only be skipped by dropping the
 * connection. */
static void check_input(redisAsyncContext *ac) {
  sio__redis_link_t *l = ac->data;
  redisReader *r = ac->c.reader;
  if (l->closing || ac != l->sub || !r || r->len - r->pos <= l->max_message_bytes + 65536)
    return;
  char why[160];
  snprintf(why, sizeof(why), "a message longer than max_message_bytes (%zu) was arriving",
           l->max_message_bytes);
  link_lost(l, why);
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  sio__redis_link_t *l = ac->data;
  redisReply *r = reply;
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
    if (r && r->type == REDIS_REPLY_ERROR)
      link_log(l, SIOC_LOG_WARNING, "%s: %s", l->url, r->str);
    return;
  }
  const char *type = r->element[0]->str;
  redisReply *pattern = NULL, *ch, *payload;
  if (type && strcmp(type, "message") == 0) {
    ch = r->element[1];
    payload = r->element[2];
  } else if (type && strcmp(type, "pmessage") == 0 && r->elements >= 4) {
    pattern = r->element[1];
    ch = r->element[2];
    payload = r->element[3];
  } else {
    return;   /* (p)subscribe confirmations */
  }
  if (!ch->str || !payload->str || (pattern && !pattern->str)) return;
  if (payload->len > l->max_message_bytes) {
    char why[128];
    snprintf(why, sizeof(why), "%zu bytes, more than max_message_bytes (%zu)",
             payload->len, l->max_message_bytes);
    sio__redis_link_refused(l, ch->str, why);
    return;
  }
  l->ev.on_message(l->owner, pattern ? pattern->str : NULL, ch->str, payload->str,
                   payload->len);
}

static void on_numsub_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  sio__redis_link_t *l = ac->data;
  redisReply *rep = reply;
  long n = -1;
  if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
      rep->element[1]->type == REDIS_REPLY_INTEGER)
    n = (long)rep->element[1]->integer;
  l->ev.on_numsub(l->owner, (uint64_t)(uintptr_t)privdata, n);
}

/* ---- commands -------------------------------------------------------------- */

/* Queues a command on ac, unless max_buffered_bytes already wait there
 * that the socket does not take: a Redis that stops reading must not grow
 * our memory.  The first refusal of a stall is logged, and its end. */
static int queue(sio__redis_link_t *l, redisAsyncContext *ac, redisCallbackFn *fn,
                 void *privdata, int argc, const char **argv, const size_t *lens) {
  size_t waiting = ac->c.obuf ? sdslen(ac->c.obuf) : 0;
  if (waiting >= l->max_buffered_bytes) {
    /* A burst within one loop turn is no stall: write what the socket
     * takes now (a plain write, no callback runs), then look again. */
    int done;
    redisBufferWrite(&ac->c, &done);
    waiting = ac->c.obuf ? sdslen(ac->c.obuf) : 0;
  }
  if (waiting >= l->max_buffered_bytes) {
    if (!l->stalled)
      link_log(l, SIOC_LOG_WARNING,
               "%s does not read what this server sends (%zu bytes wait): dropping "
               "what it publishes until it reads again (max_buffered_bytes)",
               l->url, waiting);
    l->stalled = 1;
    l->stalled_refused++;
    return SIOC_ELIMIT;
  }
  if (l->stalled && waiting == 0) {   /* all written: Redis reads again */
    link_log(l, SIOC_LOG_INFO, "%s reads again; %zu commands were dropped meanwhile",
             l->url, l->stalled_refused);
    l->stalled = 0;
    l->stalled_refused = 0;
  }
  return redisAsyncCommandArgv(ac, fn, privdata, argc, argv, lens) == REDIS_OK ? 0
                                                                              : SIOC_ENOMEM;
}

int sio__redis_link_publish(sio__redis_link_t *l, const char *channel,
                            const char *msg, size_t len) {
  if (!sio__redis_link_up(l)) return SIOC_ECLOSED;
  const char *argv[3] = {"PUBLISH", channel, msg};
  size_t lens[3] = {7, strlen(channel), len};
  return queue(l, l->pub, NULL, NULL, 3, argv, lens);
}

int sio__redis_link_subscribe(sio__redis_link_t *l, const char *verb,
                              const char *channel) {
  if (!l || !l->sub) return SIOC_ECLOSED;
  const char *argv[2] = {verb, channel};
  size_t lens[2] = {strlen(verb), strlen(channel)};
  return queue(l, l->sub, on_sub_reply, NULL, 2, argv, lens);
}

int sio__redis_link_numsub(sio__redis_link_t *l, const char *channel, uint64_t token) {
  if (!sio__redis_link_up(l)) return SIOC_ECLOSED;
  const char *argv[3] = {"PUBSUB", "NUMSUB", channel};
  size_t lens[3] = {6, 6, strlen(channel)};
  return queue(l, l->pub, on_numsub_reply, (void *)(uintptr_t)token, 3, argv, lens);
}

/* ---- creation -------------------------------------------------------------- */

/* redis://[[user]:password@]host[:port][/db] */
static int parse_url(sio__redis_link_t *l, const char *url) {
  const char *p;
  if (strncmp(url, "redis://", 8) == 0) p = url + 8;
  else return SIOC_EINVAL;
  const char *end = p + strcspn(p, "/?#");
  const char *at = memchr(p, '@', (size_t)(end - p));
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon) {
      if (colon > p && !(l->user = strndup(p, (size_t)(colon - p)))) return SIOC_ENOMEM;
      l->password = strndup(colon + 1, (size_t)(at - colon - 1));
    } else {
      l->password = strndup(p, (size_t)(at - p));
    }
    if (!l->password) return SIOC_ENOMEM;
    p = at + 1;
  }
  const char *colon = NULL;
  if (*p == '[') {
    const char *rb = memchr(p, ']', (size_t)(end - p));
    if (!rb) return SIOC_EINVAL;
    l->host = strndup(p + 1, (size_t)(rb - p - 1));
    if (rb + 1 < end) {
      if (rb[1] != ':') return SIOC_EINVAL;
      colon = rb + 1;
    }
  } else {
    colon = memchr(p, ':', (size_t)(end - p));
    l->host = strndup(p, (size_t)((colon ? colon : end) - p));
  }
  if (!l->host) return SIOC_ENOMEM;
  if (!l->host[0]) {
    free(l->host);
    if (!(l->host = strdup("127.0.0.1"))) return SIOC_ENOMEM;
  }
  l->port = 6379;
  if (colon) {
    char *e;
    long port = strtol(colon + 1, &e, 10);
    if (e != end || port <= 0 || port > 65535) return SIOC_EINVAL;
    l->port = (int)port;
  }
  if (*end == '/' && end[1]) {
    char *e;
    long db = strtol(end + 1, &e, 10);
    if ((*e && *e != '?' && *e != '#') || db < 0 || db > 0x7fffffff) return SIOC_EINVAL;
    l->db = (int)db;
  }
  char shown[300];
  snprintf(shown, sizeof(shown), "redis://%s:%d", l->host, l->port);
  l->url = strdup(shown);
  return l->url ? 0 : SIOC_ENOMEM;
}

int sio__redis_link_new(uv_loop_t *loop, const sioc_redis_options_t *opts,
                        const sio__redis_link_events_t *events, void *owner,
                        sio__redis_link_t **out) {
  *out = NULL;
  sio__redis_link_t *l = calloc(1, sizeof(*l));
  if (!l) return SIOC_ENOMEM;
  int err = parse_url(l, opts->url);
  if (err) {
    link_free(l);
    return err;
  }
  l->loop = loop;
  l->ev = *events;
  l->owner = owner;
  l->delay_min_ms = opts->reconnect_delay_ms ? opts->reconnect_delay_ms : 100;
  l->delay_max_ms = opts->reconnect_delay_max_ms ? opts->reconnect_delay_max_ms : 5000;
  if (l->delay_max_ms < l->delay_min_ms) l->delay_max_ms = l->delay_min_ms;
  l->delay_ms = l->delay_min_ms;
  l->max_message_bytes = opts->max_message_bytes ? opts->max_message_bytes
                                                 : SIO_REDIS_MAX_BYTES_DEFAULT;
  l->max_buffered_bytes = opts->max_buffered_bytes ? opts->max_buffered_bytes
                                                   : SIO_REDIS_MAX_BYTES_DEFAULT;
  l->log = opts->log;
  l->log_data = opts->log_data;
  *out = l;
  connect_links(l);
  return 0;
}

void sio__redis_link_close(sio__redis_link_t *l) {
  if (l->closing) return;
  l->closing = 1;
  if (l->retry) {
    uv_timer_stop(l->retry);
    uv_close((uv_handle_t *)l->retry, retry_closed);
  }
  drop_both(l);
  after_links_gone(l);
}

/* test_server_sharing.c - DESIGN.md, "Crossing the binding boundary": a
 * broadcast is encoded once and its WebSocket frame built once, then shared
 * by reference among all recipients, with no per-recipient allocation or
 * copy.
 *
 * 50 WebSocket clients and 3 long-polling clients (whose GET is not parked,
 * so the packets stay in the session's write buffer).  From inside one
 * libuv callback the test calls sioc_nsp_emit once and, before returning
 * to the loop, inspects the server's internals (server.h / engine.h):
 *  - every targeted WebSocket connection got exactly one new outq item per
 *    Engine.IO message, and item k of every connection references the SAME
 *    sioc__rbuf_t, over the range [frame header | payload] of that block;
 *  - every targeted polling session's wbuf got that same rbuf;
 *  - the rbuf's refcount equals the number of references found (the
 *    encoder's own reference is gone), i.e. one per recipient;
 *  - no outq item array and no wbuf array was reallocated (cap and pointer
 *    unchanged), untargeted connections and sessions got nothing.
 * Then the loop delivers and every WebSocket client must receive exactly
 * the bytes of the shared frame(s), and every polling client the same
 * payload.  Three broadcasts: a ~100 KB text event to everyone (64-bit frame
 * length), a binary event with two attachments to everyone (the attachment
 * rbufs are shared too), and a room-targeted broadcast with an exception.
 */
#include "server.h"

#include "loop_client.h"

#define NWS 50
#define NPOLL 3
#define MAXM 4

static sioc_server_t *srv;
static sioc_nsp_t *nsp;
static lc_rec_t rec;
static lc_client_t *ws[NWS], *pc[NPOLL];
static char ws_sid[NWS][32], ws_id[NWS][32];   /* Engine.IO sid, socket id */
static char pc_sid[NPOLL][32], pc_id[NPOLL][32];

typedef struct {
  /* what to emit */
  const sioc_target_t *target;
  const char *event;
  const char *args;
  size_t args_len;
  const sioc_bin_t *atts;
  size_t n_atts;
  int want_ws[NWS];
  int want_poll[NPOLL];
  const char *want_text;   /* the Engine.IO payload of the packet text */
  /* what the callback found */
  int done;
  size_t n_msgs;
  sioc__rbuf_t *msgs[MAXM];
  size_t refs_seen[MAXM];
  uint32_t refs[MAXM];
  size_t n_targets;
  char *frames;            /* the shared WebSocket frames, concatenated */
  size_t frames_len;
  char *poll_body;         /* the polling payload those messages make */
  size_t poll_body_len;
} shot_t;

static int ws_index(const char *sid) {
  for (int i = 0; i < NWS; i++)
    if (strcmp(ws_sid[i], sid) == 0) return i;
  FATAL("WebSocket session %s is not one of the test's", sid);
  return -1;
}

static int poll_index(const char *sid) {
  for (int i = 0; i < NPOLL; i++)
    if (strcmp(pc_sid[i], sid) == 0) return i;
  FATAL("polling session %s is not one of the test's", sid);
  return -1;
}

static void append(char **buf, size_t *len, const void *data, size_t n) {
  *buf = realloc(*buf, *len + n + 1);
  ASSERT(*buf != NULL);
  memcpy(*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
}

/* Records that `m` is message k of the broadcast: the first sighting fixes
 * the pointer, every later one must be the same block. */
static void saw(shot_t *s, size_t k, sioc__rbuf_t *m, const char *where, int idx) {
  ASSERT(k < s->n_msgs);
  if (!s->msgs[k]) s->msgs[k] = m;
  if (s->msgs[k] != m)
    FATAL("%s %d: message %zu is block %p, another recipient has %p (not shared)", where,
          idx, k, (void *)m, (void *)s->msgs[k]);
  s->refs_seen[k]++;
}

typedef struct {
  eio__outq_item_t *items;
  size_t count, cap, head;
  int seen;
} outq_snap_t;

typedef struct {
  sioc__rbuf_t **wbuf;
  size_t len, cap;
  int seen;
} wbuf_snap_t;

static void on_shot(uv_timer_t *t) {
  shot_t *s = t->data;
  outq_snap_t before_ws[NWS];
  wbuf_snap_t before_poll[NPOLL];
  memset(before_ws, 0, sizeof(before_ws));
  memset(before_poll, 0, sizeof(before_poll));
  sioc__list_t *it;
  size_t http_conns = 0;

  /* ---- snapshot ---- */
  SIOC_LIST_FOREACH(it, &srv->conns) {
    eio__conn_t *c = SIOC_CONTAINER_OF(it, eio__conn_t, link);
    ASSERT(!c->closing);
    if (c->mode == CONN_WS) {
      ASSERT(c->session != NULL && c->session->ws == c);
      int i = ws_index(c->session->sid);
      ASSERT(!before_ws[i].seen);
      before_ws[i] = (outq_snap_t){c->outq.items, c->outq.count, c->outq.cap, c->outq.head, 1};
    } else {
      /* the polling clients' keep-alive connections: idle, no parked GET */
      ASSERT(c->session == NULL && !c->holding_poll);
      ASSERT(eio__outq_idle(&c->outq));
      http_conns++;
    }
  }
  ASSERT_EQ(http_conns, NPOLL);
  SIOC_LIST_FOREACH(it, &srv->sio_engine.session_list) {
    eio__session_t *ss = SIOC_CONTAINER_OF(it, eio__session_t, link);
    ASSERT_EQ(ss->state, EIO_S_OPEN);
    if (ss->transport != EIO_T_POLLING) continue;
    ASSERT(ss->poll == NULL);
    int i = poll_index(ss->sid);
    ASSERT(!before_poll[i].seen);
    before_poll[i] = (wbuf_snap_t){ss->wbuf, ss->wbuf_len, ss->wbuf_cap, 1};
  }
  for (int i = 0; i < NWS; i++) ASSERT(before_ws[i].seen);
  for (int i = 0; i < NPOLL; i++) ASSERT(before_poll[i].seen);

  /* ---- the broadcast ---- */
  ASSERT_EQ(sioc_nsp_emit(nsp, s->target, s->event, s->args, s->args_len, s->atts, s->n_atts),
            0);
  s->n_msgs = 1 + s->n_atts;

  /* ---- what it queued, before the loop can write or free anything ---- */
  SIOC_LIST_FOREACH(it, &srv->conns) {
    eio__conn_t *c = SIOC_CONTAINER_OF(it, eio__conn_t, link);
    ASSERT(!c->closing);
    if (c->mode != CONN_WS) {
      ASSERT(eio__outq_idle(&c->outq));   /* nothing toward the polling clients' sockets */
      continue;
    }
    int i = ws_index(c->session->sid);
    outq_snap_t *b = &before_ws[i];
    /* Frames are gathered until the loop turn ends, then the queue writes
     * what the socket takes at once (uv_try_write) and keeps only the rest:
     * a recipient's frames are either already in the kernel, written from
     * the shared buffer, or queued as references to it (the last ones, the
     * first of them perhaps partly written). */
    if (c->outq.cap != b->cap && b->cap != 0)
      FATAL("ws %d: outq array reallocated (cap %zu -> %zu)", i, b->cap, (size_t)c->outq.cap);
    ASSERT_EQ(b->count, 0);
    size_t queued = c->outq.count;
    if (!s->want_ws[i]) {
      if (queued) FATAL("ws %d is not a target but has %zu items", i, queued);
      continue;
    }
    if (queued > s->n_msgs) FATAL("ws %d: %zu items queued, at most %zu", i, queued, s->n_msgs);
    for (size_t q = 0; q < queued; q++) {
      size_t k = s->n_msgs - queued + q;
      eio__outq_item_t *item = &c->outq.items[(c->outq.head + q) % c->outq.cap];
      saw(s, k, item->buf, "ws", i);
      /* the range is (the rest of) the prebuilt frame: header + payload */
      ASSERT(item->off >= (size_t)(EIO_MSG_HEADROOM - item->buf->hdr));
      ASSERT_EQ(item->off + item->len, item->buf->len);
      if (q > 0) ASSERT_EQ(item->off, EIO_MSG_HEADROOM - item->buf->hdr);
    }
  }
  SIOC_LIST_FOREACH(it, &srv->sio_engine.session_list) {
    eio__session_t *ss = SIOC_CONTAINER_OF(it, eio__session_t, link);
    if (ss->transport != EIO_T_POLLING) continue;
    int i = poll_index(ss->sid);
    wbuf_snap_t *b = &before_poll[i];
    if (ss->wbuf_cap != b->cap || ss->wbuf != b->wbuf)
      FATAL("poll %d: wbuf reallocated (cap %zu -> %zu)", i, b->cap, ss->wbuf_cap);
    size_t added = ss->wbuf_len - b->len;
    if (!s->want_poll[i]) {
      if (added) FATAL("poll %d is not a target but got %zu packets", i, added);
      continue;
    }
    if (added != s->n_msgs) FATAL("poll %d: %zu packets queued, expected %zu", i, added, s->n_msgs);
    for (size_t k = 0; k < added; k++) saw(s, k, ss->wbuf[b->len + k], "poll", i);
  }

  /* ---- refcount arithmetic: one reference per recipient, nothing else ---- */
  s->n_targets = 0;
  for (int i = 0; i < NWS; i++) s->n_targets += s->want_ws[i] != 0;
  for (int i = 0; i < NPOLL; i++) s->n_targets += s->want_poll[i] != 0;
  for (size_t k = 0; k < s->n_msgs; k++) {
    ASSERT(s->msgs[k] != NULL);
    for (size_t j = 0; j < k; j++) ASSERT(s->msgs[j] != s->msgs[k]);
    s->refs[k] = s->msgs[k]->refs;
    /* every reference is a queued recipient: none per recipient otherwise */
    if (s->refs[k] != s->refs_seen[k] || s->refs_seen[k] > s->n_targets)
      FATAL("message %zu: refcount %u, references found %zu, recipients %zu", k,
            (unsigned)s->refs[k], s->refs_seen[k], s->n_targets);
    ASSERT_EQ(eio__msg_binary(s->msgs[k]), k > 0);
  }
  /* ... and they hold the right packet */
  ASSERT_MEM_EQ(eio__msg_payload(s->msgs[0]), eio__msg_payload_len(s->msgs[0]), s->want_text,
                strlen(s->want_text));
  for (size_t k = 1; k < s->n_msgs; k++)
    ASSERT_MEM_EQ(eio__msg_payload(s->msgs[k]), eio__msg_payload_len(s->msgs[k]),
                  s->atts[k - 1].data, s->atts[k - 1].len);

  /* ---- the bytes every client must receive ---- */
  for (size_t k = 0; k < s->n_msgs; k++) {
    sioc__rbuf_t *m = s->msgs[k];
    size_t off = EIO_MSG_HEADROOM - m->hdr;
    append(&s->frames, &s->frames_len, m->data + off, m->len - off);
    if (k) append(&s->poll_body, &s->poll_body_len, "\x1e", 1);
    if (eio__msg_binary(m)) {
      size_t pl = eio__msg_payload_len(m);
      char *b64 = malloc(pl / 3 * 4 + 8);
      lc_base64((const unsigned char *)eio__msg_payload(m), pl, b64);
      append(&s->poll_body, &s->poll_body_len, "b", 1);
      append(&s->poll_body, &s->poll_body_len, b64, strlen(b64));
      free(b64);
    } else {
      append(&s->poll_body, &s->poll_body_len, eio__msg_payload(m), eio__msg_payload_len(m));
    }
  }
  s->done = 1;
}

static const char sync_frame[] = "\x81\x0a"
                                 "42[\"sync\"]";
#define SYNC_FRAME_LEN (sizeof(sync_frame) - 1)

/* Waits until c received len bytes and asserts they are exactly want. */
static void expect_raw(lc_client_t *c, const char *want, size_t len) {
  LC_WAIT(c->in_len >= len || c->eof, 10000);
  if (c->in_len < len) FATAL("%s: EOF after %zu of %zu bytes", c->name, c->in_len, len);
  for (size_t i = 0; i < len; i++)
    if (c->in[i] != want[i])
      FATAL("%s: byte %zu of %zu differs (0x%02x, expected 0x%02x)", c->name, i, len,
            (unsigned char)c->in[i], (unsigned char)want[i]);
  lc_consume(c, len);
}

static void run_shot(shot_t *s, const char *name) {
  uv_timer_t t;
  ASSERT_EQ(uv_timer_init(lc_loop(), &t), 0);
  t.data = s;
  ASSERT_EQ(uv_timer_start(&t, on_shot, 0, 0), 0);
  LC_WAIT(s->done, 5000);
  uv_close((uv_handle_t *)&t, NULL);
  /* a marker after it, to everyone */
  ASSERT_EQ(sioc_nsp_emit(nsp, NULL, "sync", "[]", 2, NULL, 0), 0);

  for (int i = 0; i < NWS; i++) {
    if (s->want_ws[i]) expect_raw(ws[i], s->frames, s->frames_len);
    expect_raw(ws[i], sync_frame, SYNC_FRAME_LEN);
  }
  char *first = NULL;
  size_t first_len = 0;
  for (int i = 0; i < NPOLL; i++) {
    size_t len;
    char *body = lc_poll_get(pc[i], pc_sid[i], &len);
    char *want = NULL;
    size_t want_len = 0;
    if (s->want_poll[i]) {
      append(&want, &want_len, s->poll_body, s->poll_body_len);
      append(&want, &want_len, "\x1e", 1);
    }
    append(&want, &want_len, "42[\"sync\"]", 10);
    if (len != want_len || memcmp(body, want, len) != 0)
      FATAL("poll %d: payload %zu bytes \"%.60s...\", expected %zu \"%.60s...\"", i, len, body,
            want_len, want);
    if (s->want_poll[i]) {
      if (!first) {
        first = body;
        first_len = len;
        body = NULL;
      } else {
        ASSERT_MEM_EQ(body, len, first, first_len);
      }
    }
    free(body);
    free(want);
  }
  free(first);
  /* nothing else arrived anywhere */
  lc_sleep(20);
  for (int i = 0; i < NWS; i++)
    if (ws[i]->in_len) FATAL("ws %d: %zu unexpected bytes", i, ws[i]->in_len);
  free(s->frames);
  free(s->poll_body);
  printf("ok %s: %zu message(s) shared by %zu recipients (refs %u)\n", name, s->n_msgs,
         s->n_targets, (unsigned)s->refs[0]);
}

int main(void) {
  lc_init(60000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.ping_interval_ms = 120000;   /* no heartbeat packet may interleave */
  o.ping_timeout_ms = 120000;
  srv = lc_server(&o);
  nsp = sioc_server_of(srv, "/");
  lc_rec_attach(&rec, nsp);

  for (int i = 0; i < NWS; i++) {
    char name[16];
    snprintf(name, sizeof(name), "ws%d", i);
    ws[i] = lc_ws_open(name, NULL, ws_sid[i]);
    lc_ws_text(ws[i], "40");
    char *p = lc_ws_recv_text(ws[i], 3000);
    lc_parse_connect(p, "/", ws_id[i]);
    free(p);
  }
  for (int i = 0; i < NPOLL; i++) {
    char name[16];
    snprintf(name, sizeof(name), "poll%d", i);
    pc[i] = lc_connect(name);
    cJSON_Delete(lc_poll_handshake(pc[i], NULL, pc_sid[i], NULL));
    lc_poll_posts(pc[i], pc_sid[i], "40");
    char *p = lc_poll_get(pc[i], pc_sid[i], NULL);
    lc_parse_connect(p, "/", pc_id[i]);
    free(p);
  }
  LC_WAIT(rec.n_conn == NWS + NPOLL, 3000);
  lc_stats_expect(srv, NWS + NPOLL, NWS + NPOLL, NWS + NPOLL);
  lc_sleep(20);   /* every write callback ran: the queues are idle */

  /* 1. ~100 KB of text to everyone: one frame with a 64-bit length */
  {
    size_t n = 100000;
    char *args = malloc(n + 8);
    args[0] = '[';
    args[1] = '"';
    memset(args + 2, 'x', n);
    memcpy(args + 2 + n, "\"]", 3);
    shot_t s = {0};
    s.event = "big";
    s.args = args;
    s.args_len = strlen(args);
    for (int i = 0; i < NWS; i++) s.want_ws[i] = 1;
    for (int i = 0; i < NPOLL; i++) s.want_poll[i] = 1;
    char *want = malloc(n + 16);
    snprintf(want, n + 16, "42[\"big\",%s", args + 1);
    s.want_text = want;
    run_shot(&s, "text broadcast");
    free(want);
    free(args);
  }

  /* 2. binary: the packet text and both attachments are shared blocks */
  {
    uint8_t small[3] = {1, 2, 3};
    uint8_t mid[300];
    for (size_t i = 0; i < sizeof(mid); i++) mid[i] = (uint8_t)(i * 7);
    sioc_bin_t atts[2] = {{small, sizeof(small)}, {mid, sizeof(mid)}};
    const char *args = "[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
    shot_t s = {0};
    s.event = "bin";
    s.args = args;
    s.args_len = strlen(args);
    s.atts = atts;
    s.n_atts = 2;
    for (int i = 0; i < NWS; i++) s.want_ws[i] = 1;
    for (int i = 0; i < NPOLL; i++) s.want_poll[i] = 1;
    s.want_text = "452-[\"bin\",{\"_placeholder\":true,\"num\":0},"
                  "{\"_placeholder\":true,\"num\":1}]";
    run_shot(&s, "binary broadcast");
  }

  /* 3. a room, minus one member: ws 0,3,6,... and poll 1, except ws 3 */
  {
    for (int i = 0; i < NWS; i += 3)
      ASSERT_EQ(sioc_socket_join(lc_rec_socket(&rec, ws_id[i]), "r"), 0);
    ASSERT_EQ(sioc_socket_join(lc_rec_socket(&rec, pc_id[1]), "r"), 0);
    const char *rooms[] = {"r"}, *except[] = {ws_id[3]};
    sioc_target_t t = {rooms, 1, except, 1, 0};
    shot_t s = {0};
    s.target = &t;
    s.event = "room";
    s.args = "[1,\"two\",{\"three\":3}]";
    s.args_len = strlen(s.args);
    s.want_text = "42[\"room\",1,\"two\",{\"three\":3}]";
    for (int i = 0; i < NWS; i += 3) s.want_ws[i] = i != 3;
    s.want_poll[1] = 1;
    run_shot(&s, "room broadcast");
    ASSERT_EQ(s.n_targets, 17);
  }

  ASSERT_EQ(rec.n_disc, 0);
  lc_server_close(srv);
  lc_rec_free(&rec);
  lc_end();
  printf("ok sharing\n");
  return 0;
}

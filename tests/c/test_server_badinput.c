/* test_server_badinput.c - bad input costs one connection only.  A good
 * WebSocket client keeps exchanging events with the server while other
 * connections send malformed Socket.IO and Engine.IO packets, oversized,
 * invalid-UTF-8 and unmasked WebSocket frames, huge headers, huge POSTs and
 * garbage HTTP; each of those loses its own connection or session (with the
 * WebSocket close code socket.io's ws library uses) and nothing else. */
#include "loop_client.h"

#define MAX_BUF 1000

static lc_rec_t rec;
static sioc_server_t *srv;
static lc_client_t *good;
static char good_id[32];
static int rounds;

static void echo_hook(sioc_socket_t *s, const sioc_event_t *ev, void *data) {
  if (strcmp(ev->name, "echo") == 0)
    ASSERT_EQ(sioc_socket_emit(s, "echo", ev->args, ev->args_len, ev->attachments,
                               ev->n_attachments), 0);
}

/* The good client still gets its echo, and was never disconnected. */
static void check_alive(const char *after) {
  char msg[64];
  rounds++;
  snprintf(msg, sizeof(msg), "42[\"echo\",%d]", rounds);
  lc_ws_text(good, msg);
  char *got = lc_ws_recv_text(good, 2000);
  if (strcmp(got, msg) != 0) FATAL("after %s: good client got %s", after, got);
  free(got);
  ASSERT(lc_rec_reason(&rec, good_id) == NULL);
  printf("ok %s\n", after);
}

/* A WebSocket Socket.IO client sends `frame` (text); expects the connection
 * closed with close code `code` (-2: any) and its socket disconnected. */
static void ws_bad(const char *what, int opcode, const char *data, size_t len, int unmasked,
                   int code) {
  char id[32];
  int nd = rec.n_disc;
  lc_client_t *c = lc_sio_ws(what, id);
  lc_ws_frame(c, 1, opcode, data, len, unmasked);
  int got = lc_ws_wait_close(c, 2000);
  if (code != -2 && got != code) FATAL("%s: close code %d, expected %d", what, got, code);
  LC_WAIT(rec.n_disc == nd + 1, 2000);
  ASSERT_STR_EQ(rec.disc_id[nd], id);
  printf("   %s: close code %d, reason \"%s\"\n", what, got, rec.disc_reason[nd]);
  check_alive(what);
}

static void ws_bad_text(const char *what, const char *text, int code) {
  ws_bad(what, LC_OP_TEXT, text, strlen(text), 0, code);
}

/* sioc_nsp_on_error: the last message and socket */
static int n_err;
static char err_msg[128], err_id[32];
static void on_error(sioc_socket_t *s, const char *message, void *data) {
  ASSERT(sioc_socket_connected(s));   /* told before it is disconnected */
  n_err++;
  snprintf(err_msg, sizeof(err_msg), "%s", message);
  snprintf(err_id, sizeof(err_id), "%s", sioc_socket_id(s));
}

/* An undecodable packet: the socket hears socket.io-parser's message, then
 * it is disconnected and the connection closed. */
static void ws_bad_error(const char *text, int opcode, const char *want) {
  int ne = n_err;
  ws_bad(text, opcode, text, strlen(text), 0, -2);
  ASSERT_EQ(n_err, ne + 1);
  ASSERT_STR_EQ(err_msg, want);
  ASSERT_STR_EQ(err_id, rec.disc_id[rec.n_disc - 1]);
}

int main(void) {
  lc_init(30000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.max_http_buffer_size = MAX_BUF;
  o.max_header_bytes = 4096;
  o.max_buffered_bytes = 100000;
  srv = lc_server(&o);
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  sioc_nsp_on_error(sioc_server_of(srv, "/"), on_error, NULL);
  rec.on_event = echo_hook;
  good = lc_sio_ws("good", good_id);
  check_alive("start");

  /* malformed Socket.IO packets over WebSocket */
  ws_bad_text("42{}", "42{}", -2);
  ws_bad_text("9", "9", -2);
  ws_bad_text("42[", "42[", -2);
  ws_bad_text("42[null]", "42[null]", -2);            /* event name neither string nor number */
  ws_bad_text("reserved event name", "42[\"disconnect\"]", -2);
  ws_bad_text("unannounced binary", "", -2);          /* empty Engine.IO packet */
  ws_bad("binary without placeholder packet", LC_OP_BIN, "\x01", 1, 0, -2);
  ws_bad_text("too many attachments",
              "4511-[\"x\",{\"_placeholder\":true,\"num\":0}]", -2);
  /* the error each socket hears first */
  ws_bad_error("45woooot", LC_OP_TEXT, "Illegal attachments");
  ws_bad_error("45", LC_OP_TEXT, "Illegal attachments");
  ws_bad_error("49", LC_OP_TEXT, "unknown packet type");
  ws_bad_error("42[", LC_OP_TEXT, "invalid payload");
  ws_bad_error("4511-[\"x\"]", LC_OP_TEXT, "too many attachments");
  ws_bad_error("\x01", LC_OP_BIN, "got binary data when not reconstructing a packet");
  /* Engine.IO level garbage */
  ws_bad_text("eio type x", "x", -2);
  ws_bad_text("eio type 7", "7", -2);

  /* WebSocket protocol violations: codes as the ws library */
  char *big = malloc(MAX_BUF + 200);
  memcpy(big, "42[\"", 4);
  memset(big + 4, 'a', MAX_BUF + 100);
  memcpy(big + 4 + MAX_BUF + 100, "\"]", 3);
  ws_bad("oversized message", LC_OP_TEXT, big, strlen(big), 0, 1009);
  ws_bad("invalid UTF-8", LC_OP_TEXT, "42[\"\xff\xfe\"]", 8, 0, 1007);
  ws_bad("unmasked frame", LC_OP_TEXT, "42[\"x\"]", 7, 1, 1002);
  ws_bad("reserved opcode", 3, "x", 1, 0, 1002);
  {
    /* oversized as fragments: each fragment small, the sum too big */
    char id[32];
    int nd = rec.n_disc;
    lc_client_t *c = lc_sio_ws("fragments", id);
    lc_ws_frame(c, 0, LC_OP_TEXT, big, 600, 0);
    lc_ws_frame(c, 1, LC_OP_CONT, big + 600, 600, 0);
    ASSERT_EQ(lc_ws_wait_close(c, 2000), 1009);
    LC_WAIT(rec.n_disc == nd + 1, 2000);
    check_alive("oversized in fragments");
  }

  /* a huge header: 431, connection closed */
  {
    lc_client_t *c = lc_connect("bighdr");
    char *h = malloc(6000);
    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'h', 5000);
    memcpy(h + 5007, "\r\n", 3);
    lc_http_t r;
    lc_sends(c, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n");
    lc_sends(c, h);
    lc_sends(c, "\r\n");
    lc_http_wait(c, &r, 2000);
    ASSERT_EQ(r.status, 431);
    lc_http_free(&r);
    lc_wait_eof(c, 2000);
    free(h);
    check_alive("huge header (431)");
  }

  /* garbage instead of HTTP: 400, connection closed */
  {
    lc_client_t *c = lc_connect("garbage");
    lc_sends(c, "\x16\x03\x01 hello\r\n\r\n");
    lc_wait_eof(c, 2000);
    ASSERT(c->in_len == 0 || strncmp(c->in, "HTTP/1.1 400", 12) == 0);
    check_alive("garbage HTTP");
  }

  /* polling: a huge POST is 413 and the session lives on */
  {
    lc_client_t *g = lc_connect("poll-get"), *p = lc_connect("poll-post");
    char sid[32], id[32], target[128];
    cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
    lc_poll_posts(p, sid, "40");
    char *b = lc_poll_get(g, sid, NULL);
    lc_parse_connect(b, "/", id);
    free(b);
    snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
    lc_http_t r;
    lc_http_request(p, "POST", target, NULL, big, strlen(big), &r);
    ASSERT_EQ(r.status, 413);
    lc_http_free(&r);
    lc_wait_eof(p, 2000);
    /* a huge declared length is refused before the body arrives */
    lc_client_t *p2 = lc_connect("poll-post2");
    lc_sends(p2, "POST ");
    lc_sends(p2, target);
    lc_sends(p2, " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
    lc_http_wait(p2, &r, 2000);
    ASSERT_EQ(r.status, 413);
    lc_http_free(&r);
    lc_wait_eof(p2, 2000);
    ASSERT(lc_rec_reason(&rec, id) == NULL);
    lc_client_t *p3 = lc_connect("poll-post3");
    lc_poll_posts(p3, sid, "42[\"echo\",\"poll\"]");
    b = lc_poll_get(g, sid, NULL);
    ASSERT_STR_EQ(b, "42[\"echo\",\"poll\"]");
    free(b);
    check_alive("huge POST (413)");

    /* a malformed Socket.IO packet in a POST closes that session only.  As
     * in engine.io, the close waits for the next GET (which gets "1") */
    int nd = rec.n_disc;
    lc_poll_posts(p3, sid, "42{}");
    lc_http_request(g, "GET", target, NULL, NULL, 0, &r);
    ASSERT_EQ(r.status, 200);
    /* engine.io's shouldClose: a noop, then the close packet */
    if (strcmp(r.body, "6\x1e" "1") != 0 && strcmp(r.body, "1") != 0)
      FATAL("expected the close packet, got %s", r.body);
    lc_http_free(&r);
    LC_WAIT(rec.n_disc == nd + 1, 2000);
    ASSERT_STR_EQ(rec.disc_id[nd], id);
    printf("   polling 42{}: reason \"%s\"\n", rec.disc_reason[nd]);
    lc_http_request(g, "GET", target, NULL, NULL, 0, &r);
    lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
    lc_http_free(&r);
    check_alive("polling 42{}");

    /* a malformed Engine.IO payload: packets before the bad segment are
     * handled, then the session closes at once */
    cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
    snprintf(target, sizeof(target), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
    lc_poll_posts(p3, sid, "40");
    b = lc_poll_get(g, sid, NULL);
    lc_parse_connect(b, "/", id);
    free(b);
    nd = rec.n_disc;
    int nev = rec.n_events;
    lc_http_request(p3, "POST", target, NULL, "42[\"echo\",1]\x1e" "x", 14, &r);
    lc_http_free(&r);
    LC_WAIT(rec.n_disc == nd + 1, 2000);
    ASSERT_EQ(rec.n_events, nev + 1);
    ASSERT_STR_EQ(rec.disc_id[nd], id);
    printf("   polling bad payload: reason \"%s\"\n", rec.disc_reason[nd]);
    check_alive("polling bad payload");

    /* two GETs at once: the second is refused, the session closes */
    cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
    lc_poll_posts(p3, sid, "40");
    b = lc_poll_get(g, sid, NULL);
    lc_parse_connect(b, "/", id);
    free(b);
    nd = rec.n_disc;
    lc_poll_get_send(g, sid);
    lc_sleep(20);
    lc_client_t *g2 = lc_connect("poll-get2");
    lc_poll_get_send(g2, sid);
    lc_http_wait(g2, &r, 2000);
    ASSERT_EQ(r.status, 400);
    lc_http_free(&r);
    LC_WAIT(rec.n_disc == nd + 1, 2000);
    ASSERT_STR_EQ(rec.disc_id[nd], id);
    printf("   polling double GET: reason \"%s\"\n", rec.disc_reason[nd]);
    lc_http_wait(g, &r, 2000);   /* the parked one gets the close packet */
    ASSERT_EQ(r.status, 200);
    ASSERT_STR_EQ(r.body, "1");
    lc_http_free(&r);
    check_alive("polling double GET");

    /* a polling client that never GETs: over max_buffered_bytes the
     * session is dropped instead of growing */
    cJSON_Delete(lc_poll_handshake(g, NULL, sid, NULL));
    lc_poll_posts(p3, sid, "40");
    b = lc_poll_get(g, sid, NULL);
    lc_parse_connect(b, "/", id);
    free(b);
    nd = rec.n_disc;
    sioc_socket_t *slow = lc_rec_socket(&rec, id);
    char *chunk = malloc(30000);
    memset(chunk, 'c', 30000);
    chunk[0] = '[';
    chunk[1] = '"';
    chunk[29998] = '"';
    chunk[29999] = ']';
    int i = 0;
    while (i < 10 && sioc_socket_emit(slow, "fill", chunk, 30000, NULL, 0) == 0) i++;
    free(chunk);
    LC_WAIT(rec.n_disc == nd + 1, 2000);
    ASSERT_STR_EQ(rec.disc_id[nd], id);
    ASSERT(i >= 3 && i < 10);
    printf("   polling slow consumer: dropped after %d emits, reason \"%s\"\n", i,
           rec.disc_reason[nd]);
    check_alive("polling slow consumer");
    lc_close(g);
    lc_close(g2);
    lc_close(p3);
  }
  free(big);

  /* everything that misbehaved is gone; only the good client remains */
  LC_WAIT_STATS(srv, 1, 1, 1, 2000);
  ASSERT_EQ(sioc_nsp_socket_count(sioc_server_of(srv, "/")), 1);
  lc_server_close(srv);
  lc_rec_free(&rec);
  lc_end();
  printf("ok test_server_badinput\n");
  return 0;
}

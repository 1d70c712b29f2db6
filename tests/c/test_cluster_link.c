/* test_cluster_link.c - the Redis adapter's connections without a real
 * Redis (csrc/redis_link.c): bad URLs and options are refused; a Redis
 * that is not there is retried with one log line and requests time out;
 * a "Redis" that accepts connections but never reads is not allowed to
 * grow our memory (max_buffered_bytes), local delivery goes on, and the
 * server still closes at once.  Under ASan too (no leak, no bad access). */
#include "loop_client.h"

/* ---- log lines ---------------------------------------------------------------- */

static char log_buf[16384];
static size_t log_len;

static int log_warnings;

static void on_log(int level, const char *line, void *data) {
  if (level == SIOC_LOG_WARNING) log_warnings++;
  size_t n = strlen(line);
  if (log_len + n + 2 < sizeof(log_buf)) {
    memcpy(log_buf + log_len, line, n);
    log_len += n;
    log_buf[log_len++] = '\n';
    log_buf[log_len] = '\0';
  }
}

static int log_count(const char *needle) {
  int n = 0;
  for (const char *p = log_buf; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static void log_reset(void) {
  log_warnings = 0;
  log_len = 0;
  log_buf[0] = '\0';
}

/* ---- a "Redis" that accepts and then never reads -------------------------------- */

typedef struct {
  uv_tcp_t listener;
  uv_tcp_t conns[8];
  int n_conns;
  int n_closed;
  int port;
} mute_redis_t;

static void mute_closed(uv_handle_t *h) {
  mute_redis_t *m = h->data;
  m->n_closed++;
}

static void mute_on_conn(uv_stream_t *srv, int status) {
  mute_redis_t *m = srv->data;
  ASSERT_EQ(status, 0);
  ASSERT(m->n_conns < 8);
  uv_tcp_t *c = &m->conns[m->n_conns++];
  ASSERT_EQ(uv_tcp_init(lc_loop(), c), 0);
  c->data = m;
  ASSERT_EQ(uv_accept(srv, (uv_stream_t *)c), 0);
  /* no uv_read_start: the kernel buffers fill, then the sender's */
}

static void mute_start(mute_redis_t *m) {
  memset(m, 0, sizeof(*m));
  ASSERT_EQ(uv_tcp_init(lc_loop(), &m->listener), 0);
  m->listener.data = m;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  ASSERT_EQ(uv_tcp_bind(&m->listener, (struct sockaddr *)&a, 0), 0);
  ASSERT_EQ(uv_listen((uv_stream_t *)&m->listener, 8, mute_on_conn), 0);
  struct sockaddr_in got;
  int len = sizeof(got);
  ASSERT_EQ(uv_tcp_getsockname(&m->listener, (struct sockaddr *)&got, &len), 0);
  m->port = ntohs(got.sin_port);
}

static void mute_stop(mute_redis_t *m) {
  uv_close((uv_handle_t *)&m->listener, mute_closed);
  for (int i = 0; i < m->n_conns; i++) uv_close((uv_handle_t *)&m->conns[i], mute_closed);
  LC_WAIT(m->n_closed == m->n_conns + 1, 2000);
}

/* ---- cluster answers ------------------------------------------------------------ */

static int answers, answer_err;
static char answer_message[200];

static void on_answer(sioc_nsp_t *nsp, int err, const char *message, const char *json,
                      size_t len, void *data) {
  answers++;
  answer_err = err;
  ASSERT(json != NULL && len >= 2 && json[0] == '[');
  ASSERT((err == 0) == (message == NULL));
  snprintf(answer_message, sizeof(answer_message), "%s", message ? message : "");
}

/* Asks again from the answer to a request ended by the close. */
static int again_result = 1;
static void on_answer_ask_again(sioc_nsp_t *nsp, int err, const char *message,
                                const char *json, size_t len, void *data) {
  on_answer(nsp, err, message, json, len, data);
  again_result = sioc_nsp_fetch_sockets(nsp, NULL, on_answer, NULL);
}

static sioc_redis_options_t options(const char *url) {
  sioc_redis_options_t o;
  sioc_redis_options_init(&o);
  o.url = url;
  o.log = on_log;
  return o;
}

/* ---- the tests ------------------------------------------------------------------- */

static void test_options(void) {
  sioc_server_t *srv = lc_server(NULL);
  sioc_redis_options_t o;
  sioc_redis_options_init(&o);
  ASSERT_STR_EQ(o.key, "socket.io");
  ASSERT_EQ(o.requests_timeout_ms, 5000);
  ASSERT_EQ(o.max_message_bytes, 16 << 20);
  ASSERT_EQ(o.max_buffered_bytes, 16 << 20);
  ASSERT_EQ(sioc_server_use_redis(srv, &o), SIOC_EINVAL);   /* no URL */
  static const char *const bad[] = {
      "http://127.0.0.1:6379", "redis://127.0.0.1:0", "redis://127.0.0.1:65536",
      "redis://127.0.0.1:63x9", "redis://[::1", "redis://[::1]x", "redis://h/x",
      "redis://h/-1",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    o = options(bad[i]);
    if (sioc_server_use_redis(srv, &o) != SIOC_EINVAL) FATAL("%s was accepted", bad[i]);
    ASSERT(!sioc_server_cluster_connected(srv));
  }
  o = options("redis://user:secret@127.0.0.1:1/3");
  ASSERT_EQ(sioc_server_use_redis(srv, &o), 0);
  ASSERT_EQ(sioc_server_use_redis(srv, &o), SIOC_EBUSY);
  lc_server_close(srv);
  ASSERT(strstr(log_buf, "secret") == NULL);   /* never the password */
  log_reset();
  printf("ok options\n");
}

/* Nobody listens: retries with backoff log one line; requests time out;
 * the close does not wait for the backoff timer. */
static void test_unreachable(void) {
  mute_redis_t m;
  mute_start(&m);
  int port = m.port;
  mute_stop(&m);   /* the port is now (very likely) refused */
  char url[64];
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
  sioc_server_t *srv = lc_server(NULL);
  sioc_nsp_t *root = sioc_server_of(srv, "/");
  sioc_redis_options_t o = options(url);
  o.requests_timeout_ms = 150;
  o.reconnect_delay_ms = 5;
  o.reconnect_delay_max_ms = 20;
  ASSERT_EQ(sioc_server_use_redis(srv, &o), 0);
  /* socket.io's words for each timeout */
  answers = 0;
  ASSERT_EQ(sioc_nsp_fetch_sockets(root, NULL, on_answer, NULL), 0);
  lc_sleep(50);
  ASSERT_EQ(answers, 0);
  LC_WAIT(answers == 1, 2000);
  ASSERT_EQ(answer_err, SIOC_ETIMEDOUT);
  ASSERT_STR_EQ(answer_message, "timeout reached while waiting for fetchSockets response");
  ASSERT_EQ(sioc_nsp_all_rooms(root, on_answer, NULL), 0);
  LC_WAIT(answers == 2, 2000);
  ASSERT_STR_EQ(answer_message, "timeout reached while waiting for allRooms response");
  ASSERT_EQ(sioc_nsp_server_side_emit(root, "[\"e\"]", 5, 0, on_answer, NULL), 0);
  LC_WAIT(answers == 3, 2000);
  ASSERT_EQ(answer_err, SIOC_ETIMEDOUT);
  ASSERT_STR_EQ(answer_message, "timeout reached: only 0 responses received out of an "
                                "unknown number (no answer from Redis)");
  ASSERT_EQ(log_count("cannot connect to"), 1);   /* many retries, one line */
  ASSERT_EQ(log_warnings, 1);
  ASSERT_EQ(sioc_nsp_emit(root, NULL, "local", "[1]", 3, NULL, 0), 0);
  /* a request pending at close ends with the close; a new one started
   * from its callback is refused (it would outlive the server) */
  ASSERT_EQ(sioc_nsp_fetch_sockets(root, NULL, on_answer_ask_again, NULL), 0);
  lc_server_close(srv);
  ASSERT_EQ(answers, 4);
  ASSERT_EQ(answer_err, SIOC_ECLOSED);
  ASSERT_EQ(again_result, SIOC_ECLOSED);
  log_reset();
  printf("ok unreachable\n");
}

/* A Redis that accepts and never reads: what waits for it stays below
 * max_buffered_bytes (refusals are logged once), local delivery goes on. */
static void test_stalled(void) {
  mute_redis_t m;
  mute_start(&m);
  char url[64];
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", m.port);
  sioc_server_t *srv = lc_server(NULL);
  sioc_nsp_t *root = sioc_server_of(srv, "/");
  sioc_redis_options_t o = options(url);
  o.max_buffered_bytes = 64 * 1024;
  ASSERT_EQ(sioc_server_use_redis(srv, &o), 0);
  LC_WAIT(sioc_server_cluster_connected(srv), 3000);   /* TCP is enough */
  ASSERT_EQ(m.n_conns, 2);
  /* 64 KiB broadcasts, until the socket buffers are full (a few MiB) */
  size_t n = 64 * 1024;
  char *args = malloc(n + 4);
  args[0] = '[';
  args[1] = '"';
  memset(args + 2, 'x', n);
  args[n + 2] = '"';
  args[n + 3] = ']';
  int sent = 0;
  while (sent < 4000 && !log_count("does not read")) {
    ASSERT_EQ(sioc_nsp_emit(root, NULL, "big", args, n + 4, NULL, 0), 0);
    sent++;
    if (sent % 16 == 0) lc_sleep(1);
  }
  printf("   stalled after %d broadcasts of 64 KiB\n", sent);
  ASSERT_EQ(log_count("does not read what this server sends"), 1);
  ASSERT(sent > 1);   /* a burst in one turn is written first, not refused */
  for (int i = 0; i < 200; i++) {
    ASSERT_EQ(sioc_nsp_emit(root, NULL, "big", args, n + 4, NULL, 0), 0);
    if (i % 16 == 0) lc_sleep(1);
  }
  /* One line per stall, not per refusal (the kernel may still take some
   * more, growing its buffers: a stall then ends, logged, and another
   * begins). */
  int stalls = log_count("does not read what this server sends");
  int ends = log_count("reads again;");
  printf("   %d stall(s) logged over 200 more broadcasts\n", stalls);
  ASSERT(stalls >= 1 && stalls <= 5);
  ASSERT(ends == stalls || ends == stalls - 1);
  /* requests fail by their timeout; the close does not wait for Redis */
  answers = 0;
  ASSERT_EQ(sioc_nsp_fetch_sockets(root, NULL, on_answer, NULL), 0);
  lc_server_close(srv);
  ASSERT_EQ(answers, 1);
  free(args);
  mute_stop(&m);
  log_reset();
  printf("ok stalled\n");
}

int main(void) {
  lc_init(30000);
  test_options();
  test_unreachable();
  test_stalled();
  lc_end();
  printf("ok test_cluster_link\n");
  return 0;
}

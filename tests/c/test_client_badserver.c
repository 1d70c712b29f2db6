/* test_client_badserver.c - the C client against servers that misbehave:
 * garbage instead of HTTP, 400 and 500 answers, a server that never
 * answers (connect timeout), an unknown sid after the handshake, a server
 * that stops pinging (ping timeout), a bad WebSocket upgrade, connection
 * refused, and TLS: a self-signed certificate (made at test time with the
 * openssl CLI) that fails verification, passes with it as the CA file, fails
 * on a host name mismatch, and is accepted with verification off.  Each
 * gives a clear error event and nothing crashes or leaks (ASan build). */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_harness.h"

/* ---- a scripted fake HTTP server ----------------------------------------------- */

enum { F_GARBAGE, F_400, F_500, F_SILENT, F_UNKNOWN_SID, F_NO_PING, F_BAD_WS };

typedef struct fconn_s {
  uv_tcp_t tcp;
  char buf[8192];
  size_t len;
  struct fconn_s *next;
  int closed;
} fconn_t;

static uv_tcp_t fsrv;
static int fmode, fport, frequests;
static fconn_t *fconns;

static void f_alloc(uv_handle_t *h, size_t s, uv_buf_t *b) {
  fconn_t *c = h->data;
  b->base = c->buf + c->len;
  b->len = sizeof(c->buf) - c->len - 1;
}

static void f_closed(uv_handle_t *h) { ((fconn_t *)h->data)->closed = 2; }

static void f_close(fconn_t *c) {
  if (c->closed) return;
  c->closed = 1;
  uv_close((uv_handle_t *)&c->tcp, f_closed);
}

typedef struct {
  uv_write_t req;
  char data[];
} fw_t;
static void f_written(uv_write_t *r, int st) { free(r); }

static void f_send(fconn_t *c, const char *s) {
  size_t n = strlen(s);
  fw_t *w = malloc(sizeof(*w) + n);
  memcpy(w->data, s, n);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, f_written)) free(w);
}

static void f_http(fconn_t *c, int status, const char *body) {
  char h[4096];
  snprintf(h, sizeof(h), "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
           status, strlen(body), body);
  f_send(c, h);
}

static void f_request(fconn_t *c) {
  frequests++;
  int handshake = strstr(c->buf, "sid=") == NULL;
  switch (fmode) {
    case F_GARBAGE:
      f_send(c, "HELLO THERE\r\n\r\n\x01\x02garbage");
      f_close(c);
      break;
    case F_400:
      f_http(c, 400, "{\"code\":3,\"message\":\"Bad request\"}");
      break;
    case F_500:
      f_http(c, 500, "Internal Server Error");
      break;
    case F_SILENT:
      break;
    case F_UNKNOWN_SID:
      if (handshake)
        f_http(c, 200, "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
      else
        f_http(c, 400, "{\"code\":1,\"message\":\"Session ID unknown\"}");
      break;
    case F_NO_PING:
      if (handshake)
        f_http(c, 200, "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":100,\"pingTimeout\":100,\"maxPayload\":1000000}");
      else if (!strncmp(c->buf, "POST", 4))
        f_http(c, 200, "ok");
      /* GET: parked forever, no ping ever comes */
      break;
    case F_BAD_WS:
      f_send(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
      break;
  }
}

static void f_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  fconn_t *c = st->data;
  if (n < 0) {
    f_close(c);
    return;
  }
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  char *end = strstr(c->buf, "\r\n\r\n");
  if (!end) return;
  /* bodies (POST) are small: take Content-Length bytes if present */
  size_t head = (size_t)(end + 4 - c->buf);
  const char *cl = strstr(c->buf, "Content-Length:");
  size_t blen = cl && cl < end ? (size_t)atoi(cl + 15) : 0;
  if (c->len < head + blen) return;
  f_request(c);
  memmove(c->buf, c->buf + head + blen, c->len - head - blen);
  c->len -= head + blen;
  c->buf[c->len] = '\0';
}

static void f_conn(uv_stream_t *s, int st) {
  fconn_t *c = calloc(1, sizeof(*c));
  uv_tcp_init(lc_loop(), &c->tcp);
  c->tcp.data = c;
  c->next = fconns;
  fconns = c;
  uv_accept(s, (uv_stream_t *)&c->tcp);
  uv_read_start((uv_stream_t *)&c->tcp, f_alloc, f_read);
}

static void f_start(void) {
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  uv_tcp_init(lc_loop(), &fsrv);
  ASSERT_EQ(uv_tcp_bind(&fsrv, (struct sockaddr *)&a, 0), 0);
  ASSERT_EQ(uv_listen((uv_stream_t *)&fsrv, 16, f_conn), 0);
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  uv_tcp_getsockname(&fsrv, (struct sockaddr *)&ss, &len);
  fport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int fsrv_closed;
static void f_srv_closed(uv_handle_t *h) { fsrv_closed = 1; }

static void f_stop(void) {
  for (fconn_t *c = fconns; c; c = c->next) f_close(c);
  uv_close((uv_handle_t *)&fsrv, f_srv_closed);
  LC_WAIT(fsrv_closed, 2000);
  for (;;) {
    int open = 0;
    for (fconn_t *c = fconns; c; c = c->next) open |= c->closed != 2;
    if (!open) break;
    lc_sleep(5);
  }
  while (fconns) {
    fconn_t *n = fconns->next;
    free(fconns);
    fconns = n;
  }
}

/* ---- one attempt against a bad server: expect one error with `want` ---------------- */

static void expect_error(const char *url, int transports, uint32_t timeout_ms,
                         const char *ca_file, int verify, const char *want_mgr,
                         const char *want_close) {
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.reconnection = 0;
  o.transports = transports;
  o.timeout_ms = timeout_ms;
  o.tls_ca_file = ca_file;
  o.tls_verify = verify;
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, &o, &s), 0);
  static hc_rec_t rs, rm;
  memset(&rs, 0, sizeof(rs));
  memset(&rm, 0, sizeof(rm));
  sioc_client_on(s, hc_on_socket, &rs);
  sioc_manager_on(sioc_client_manager(s), hc_on_manager, &rm);
  ASSERT_EQ(sioc_client_connect(s), 0);
  if (want_close) {
    LC_WAIT(strstr(rm.log, "close") != NULL, 5000);
    printf("  %-40s manager: %s\n", url, rm.log);
    ASSERT(strstr(rm.log, want_close) != NULL);
  } else {
    LC_WAIT(rm.n_error == 1 && rs.n_connect_error == 1, 5000);
    printf("  %-40s error: %s\n", url, rm.last_error);
    if (!strstr(rm.last_error, want_mgr)) FATAL("error \"%s\" lacks \"%s\"", rm.last_error, want_mgr);
    ASSERT(!strcmp(rs.last_error, rm.last_error));
  }
  lc_sleep(50);
  ASSERT_EQ(rs.n_connect, 0);
  ASSERT_EQ(rs.n_attempts, 0);
  hc_close(sioc_client_manager(s));
}

static void close_reason_cb(sioc_manager_t *m, const sioc_client_event_t *ev, void *ud) {
  if (ev->kind == SIOC_CLIENT_CLOSE) snprintf(ud, 64, "%s", ev->message);
}

static void test_fake(void) {
  char url[128];
  f_start();
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", fport);
  printf("fake servers\n");
  fmode = F_GARBAGE;
  expect_error(url, SIOC_TRANSPORT_POLLING, 2000, NULL, 1, "invalid HTTP response", NULL);
  fmode = F_400;
  expect_error(url, SIOC_TRANSPORT_POLLING, 2000, NULL, 1, "HTTP 400 {\"code\":3", NULL);
  fmode = F_500;
  expect_error(url, SIOC_TRANSPORT_POLLING, 2000, NULL, 1, "HTTP 500", NULL);
  fmode = F_500;
  expect_error(url, SIOC_TRANSPORT_WEBSOCKET, 2000, NULL, 1, "unexpected server response: 500", NULL);
  fmode = F_SILENT;
  expect_error(url, SIOC_TRANSPORT_POLLING, 300, NULL, 1, "timeout", NULL);
  expect_error(url, SIOC_TRANSPORT_WEBSOCKET, 300, NULL, 1, "timeout", NULL);
  fmode = F_BAD_WS;
  expect_error(url, SIOC_TRANSPORT_WEBSOCKET, 2000, NULL, 1, "Sec-WebSocket-Accept", NULL);
  fmode = F_UNKNOWN_SID;
  expect_error(url, SIOC_TRANSPORT_POLLING, 2000, NULL, 1, NULL, "close");

  /* the closes carry the engine's reasons */
  static char reason[64];
  int modes[2] = {F_UNKNOWN_SID, F_NO_PING};
  const char *want[2] = {"transport error", "ping timeout"};
  for (int i = 0; i < 2; i++) {
    fmode = modes[i];
    sioc_client_options_t o;
    sioc_client_options_init(&o);
    o.reconnection = 0;
    o.transports = SIOC_TRANSPORT_POLLING;
    sioc_manager_t *m;
    ASSERT_EQ(sioc_manager_new(lc_loop(), url, &o, &m), 0);
    reason[0] = '\0';
    sioc_manager_on(m, close_reason_cb, reason);
    ASSERT_EQ(sioc_client_connect(sioc_manager_socket(m, "/")), 0);
    LC_WAIT(reason[0], 3000);
    printf("  close reason: %s\n", reason);
    ASSERT_STR_EQ(reason, want[i]);
    hc_close(m);
  }
  f_stop();
  /* nothing listens any more */
  expect_error(url, SIOC_TRANSPORT_POLLING, 2000, NULL, 1, "connection refused", NULL);
  expect_error("http://no-such-host.invalid:1", SIOC_TRANSPORT_POLLING, 5000, NULL, 1, "resolve", NULL);
}

/* ---- TLS ---------------------------------------------------------------------- */

static void test_tls(void) {
  char dir[] = "/tmp/sioc-tls-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  char cmd[1024], cert[256], key[256];
  snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
  snprintf(key, sizeof(key), "%s/key.pem", dir);
  snprintf(cmd, sizeof(cmd),
           "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
           "-addext subjectAltName=DNS:localhost -keyout %s -out %s >/dev/null 2>&1",
           key, cert);
  if (system(cmd) != 0) {
    printf("openssl CLI missing: TLS tests skipped\n");
    return;
  }
  /* a free port: bind 0, read it, release it */
  f_start();
  int port = fport;
  f_stop();
  char portstr[16];
  snprintf(portstr, sizeof(portstr), "%d", port);
  pid_t pid = fork();
  if (pid == 0) {
    int dn = open("/dev/null", O_RDWR);
    dup2(dn, 0), dup2(dn, 1), dup2(dn, 2);
    execlp("openssl", "openssl", "s_server", "-accept", portstr, "-cert", cert,
           "-key", key, "-www", "-quiet", (char *)NULL);
    _exit(127);
  }
  /* wait until it listens */
  for (int i = 0; i < 100; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", port, &a);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    if (ok) break;
    lc_sleep(50);
  }
  printf("tls\n");
  char url[128], url_ip[128];
  snprintf(url, sizeof(url), "https://localhost:%d", port);
  snprintf(url_ip, sizeof(url_ip), "wss://127.0.0.1:%d", port);
  /* self-signed, not trusted */
  expect_error(url, SIOC_TRANSPORT_POLLING, 5000, NULL, 1, "certificate verification failed", NULL);
  expect_error(url_ip, SIOC_TRANSPORT_WEBSOCKET, 5000, NULL, 1, "certificate verification failed", NULL);
  /* trusted as CA, but the name does not match */
  expect_error(url_ip, SIOC_TRANSPORT_WEBSOCKET, 5000, cert, 1, "certificate verification failed", NULL);
  /* trusted and matching: TLS works, and s_server's -www page is not Engine.IO */
  expect_error(url, SIOC_TRANSPORT_POLLING, 5000, cert, 1, "invalid polling payload", NULL);
  /* verification off: any certificate */
  expect_error(url_ip, SIOC_TRANSPORT_POLLING, 5000, NULL, 0, "invalid polling payload", NULL);
  /* a CA file that does not exist is refused up front */
  sioc_client_options_t o;
  sioc_client_options_init(&o);
  o.tls_ca_file = "/nonexistent/ca.pem";
  sioc_client_t *s;
  ASSERT_EQ(sioc_client_new(lc_loop(), url, &o, &s), SIOC_EINVAL);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  unlink(cert);
  unlink(key);
  rmdir(dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  lc_init(90000);
  test_fake();
  test_tls();
  lc_end();
  printf("ok\n");
  return 0;
}

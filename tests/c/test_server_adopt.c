/* test_server_adopt.c - sioc_server_adopt (a host server hands over a socket
 * and the bytes it already read) and sioc_server_serve (fixed documents).
 *
 * The "host" here is a plain libuv listener: it reads the first chunk of
 * each connection, then gives the socket (a dup of its fd) and that chunk to
 * sioc, as the Node binding does with a request of node's http server. */
#include <unistd.h>

#include "loop_client.h"
#include "task.h"

static sioc_server_t *srv;
static uv_tcp_t host;
static int host_port;
static int adopted;

typedef struct {
  uv_tcp_t tcp;
  char buf[8192];
} host_conn_t;

static void host_alloc(uv_handle_t *h, size_t n, uv_buf_t *b) {
  host_conn_t *hc = h->data;
  *b = uv_buf_init(hc->buf, sizeof(hc->buf));
}

static void host_conn_closed(uv_handle_t *h) { free(h->data); }

static void host_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  host_conn_t *hc = s->data;
  uv_read_stop(s);
  if (n > 0) {
    uv_os_fd_t fd;
    ASSERT_EQ(uv_fileno((uv_handle_t *)s, &fd), 0);
    int dupfd = dup(fd);
    ASSERT(dupfd >= 0);
    ASSERT_EQ(sioc_server_adopt(srv, dupfd, b->base, (size_t)n), 0);
    adopted++;
  }
  uv_close((uv_handle_t *)&hc->tcp, host_conn_closed);
}

static void host_connection(uv_stream_t *l, int status) {
  ASSERT_EQ(status, 0);
  host_conn_t *hc = calloc(1, sizeof(*hc));
  ASSERT(hc != NULL);
  uv_tcp_init(lc_loop(), &hc->tcp);
  hc->tcp.data = hc;
  ASSERT_EQ(uv_accept(l, (uv_stream_t *)&hc->tcp), 0);
  ASSERT_EQ(uv_read_start((uv_stream_t *)&hc->tcp, host_alloc, host_read), 0);
}

static void start_host(void) {
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  ASSERT_EQ(uv_tcp_init(lc_loop(), &host), 0);
  ASSERT_EQ(uv_tcp_bind(&host, (const struct sockaddr *)&a, 0), 0);
  ASSERT_EQ(uv_listen((uv_stream_t *)&host, 16, host_connection), 0);
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  uv_tcp_getsockname(&host, (struct sockaddr *)&ss, &len);
  host_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int main(void) {
  lc_init(20000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  srv = lc_server(&o);   /* listening too, but the clients use the host */
  lc_rec_t rec;
  memset(&rec, 0, sizeof(rec));
  lc_rec_attach(&rec, sioc_server_of(srv, "/"));
  start_host();
  static const char bundle[] = "/* client bundle */";
  ASSERT_EQ(sioc_server_serve(srv, "/socket.io/socket.io.js", "application/javascript",
                              bundle, sizeof(bundle) - 1), 0);
  ASSERT_EQ(sioc_server_serve(srv, "relative", "text/plain", "x", 1), SIOC_EINVAL);

  /* A polling handshake on an adopted connection: answered, and closed
   * (the client's next request comes on a new connection to the host). */
  lc_client_t *c = lc_connect_port(host_port, "polling");
  lc_http_t r;
  lc_http_request(c, "GET", "/socket.io/?EIO=4&transport=polling", NULL, NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  char conn_hdr[32];
  ASSERT(lc_http_header(&r, "connection", conn_hdr, sizeof(conn_hdr)) != NULL);
  ASSERT_STR_EQ(conn_hdr, "close");
  lc_wait_eof(c, 2000);
  ASSERT(strncmp(r.body, "0{\"sid\":\"", 9) == 0);
  char sid[32];
  memcpy(sid, r.body + 9, 20);
  sid[20] = '\0';
  lc_http_free(&r);
  ASSERT_EQ(adopted, 1);
  c = lc_connect_port(host_port, "polling-post");
  lc_poll_posts(c, sid, "40");
  c = lc_connect_port(host_port, "polling-get");
  size_t n;
  char *got = lc_poll_get(c, sid, &n);
  ASSERT(strncmp(got, "40{\"sid\":\"", 10) == 0);
  free(got);
  LC_WAIT(rec.n_conn == 1, 2000);
  ASSERT_EQ(adopted, 3);

  /* The fixed document, through the host and directly. */
  lc_client_t *d = lc_connect_port(host_port, "bundle");
  lc_http_request(d, "GET", "/socket.io/socket.io.js?v=1", NULL, NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT_MEM_EQ(r.body, r.body_len, bundle, sizeof(bundle) - 1);
  char ct[128];
  ASSERT(lc_http_header(&r, "content-type", ct, sizeof(ct)) != NULL);
  ASSERT_STR_EQ(ct, "application/javascript");
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/socket.io.js", NULL, NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  lc_http_free(&r);
  /* Other methods are not the document: the engine answers. */
  lc_http_once("POST", "/socket.io/socket.io.js", NULL, "x", 1, &r);
  ASSERT_EQ(r.status, 400);
  lc_http_free(&r);

  /* A WebSocket upgrade handed over with its request bytes. */
  lc_client_t *w = lc_connect_port(host_port, "ws");
  ASSERT_EQ(lc_ws_handshake(w, "/socket.io/?EIO=4&transport=websocket",
                            "dGhlIHNhbXBsZSBub25jZQ==", NULL), 101);
  char *open_pkt = lc_ws_recv_text(w, 2000);
  ASSERT(strncmp(open_pkt, "0{\"sid\"", 7) == 0);
  free(open_pkt);
  lc_ws_text(w, "40");
  char *con = lc_ws_recv_text(w, 2000);
  ASSERT(strncmp(con, "40{\"sid\"", 8) == 0);
  free(con);
  LC_WAIT(rec.n_conn == 2, 2000);
  lc_ws_text(w, "42[\"hello\",1]");
  LC_WAIT(rec.n_events == 1, 2000);
  ASSERT_EQ(adopted, 5);   /* 3 polling, bundle, ws */

  lc_rec_free(&rec);
  lc_server_close(srv);
  uv_close((uv_handle_t *)&host, NULL);
  lc_end();
  printf("ok test_server_adopt\n");
  return 0;
}

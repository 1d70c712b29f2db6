/* test_server_nsp_free.c - sioc_nsp_free: an empty namespace (a dynamic one
 * the application is done with) can be removed; one with sockets cannot;
 * "/" never; sockets a host still holds keep their namespace readable after
 * it (or the whole server) is gone.  sioc_server_nsp finds namespaces
 * without creating them, so a freed one stays gone. */
#include "loop_client.h"
#include "task.h"

static int created;
static sioc_socket_t *held;

static void on_conn(sioc_socket_t *s, void *data) {
  if (!held) held = sioc_socket_ref(s);
}

static sioc_nsp_t *resolve(sioc_server_t *srv, const char *name, void *data) {
  if (strncmp(name, "/dyn-", 5) != 0) return NULL;
  created++;
  sioc_nsp_t *nsp = sioc_server_of(srv, name);
  sioc_nsp_on_connection(nsp, on_conn, NULL);
  return nsp;
}

/* A raw client that connects to namespace nsp over a WebSocket. */
static lc_client_t *join(const char *name, const char *nsp, const char *expect_prefix) {
  lc_client_t *c = lc_ws_open(name, NULL, NULL);
  char pkt[64];
  snprintf(pkt, sizeof(pkt), "40%s,", nsp);
  lc_ws_text(c, pkt);
  char *reply = lc_ws_recv_text(c, 3000);
  if (strncmp(reply, expect_prefix, strlen(expect_prefix)) != 0)
    FATAL("%s: got %s, expected %s...", name, reply, expect_prefix);
  free(reply);
  return c;
}

int main(void) {
  lc_init(15000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  sioc_server_t *srv = lc_server(&o);
  sioc_server_on_new_nsp(srv, resolve, NULL);
  ASSERT_EQ(sioc_nsp_free(sioc_server_of(srv, "/")), SIOC_EINVAL);
  ASSERT_EQ(sioc_nsp_free(NULL), SIOC_EINVAL);
  ASSERT(sioc_server_nsp(srv, "/") == sioc_server_of(srv, "/"));
  ASSERT(sioc_server_nsp(srv, "/dyn-a") == NULL);   /* not created by asking */
  ASSERT(sioc_server_nsp(srv, "dyn-a") == NULL);
  ASSERT(sioc_server_nsp(srv, NULL) == NULL);
  sioc_server_stats_t st;
  sioc_server_stats(srv, &st);
  ASSERT_EQ(st.namespaces, 1);

  lc_client_t *a = join("a", "/dyn-a", "40/dyn-a,{\"sid\"");
  ASSERT_EQ(created, 1);
  LC_WAIT(held != NULL, 2000);
  sioc_nsp_t *nsp = sioc_socket_nsp(held);
  ASSERT_STR_EQ(sioc_nsp_name(nsp), "/dyn-a");
  ASSERT_EQ(sioc_nsp_free(nsp), SIOC_EBUSY);   /* a socket is in it */
  ASSERT(sioc_server_nsp(srv, "/dyn-a") == nsp);

  /* The client leaves; the namespace is empty and can go.  The socket the
   * test still holds keeps reading its namespace name. */
  lc_ws_text(a, "41/dyn-a,");
  LC_WAIT(!sioc_socket_connected(held), 2000);
  ASSERT_EQ(sioc_nsp_socket_count(nsp), 0);
  ASSERT_EQ(sioc_nsp_free(nsp), 0);
  ASSERT(sioc_server_nsp(srv, "/dyn-a") == NULL);
  ASSERT_STR_EQ(sioc_nsp_name(sioc_socket_nsp(held)), "/dyn-a");
  sioc_socket_unref(held);   /* the namespace's memory goes with this */
  held = NULL;

  /* The name is free again: a new CONNECT resolves it anew. */
  lc_client_t *b = join("b", "/dyn-a", "40/dyn-a,{\"sid\"");
  ASSERT_EQ(created, 2);
  LC_WAIT(held != NULL, 2000);

  /* Refused names are answered and cost the connection nothing. */
  for (int i = 0; i < 20; i++) {
    char nm[32];
    snprintf(nm, sizeof(nm), "/nope-%d", i);
    lc_client_t *x = join("x", nm, "44");
    lc_close(x);
  }
  ASSERT_EQ(created, 2);

  /* The server closes while the test holds a socket: still readable. */
  lc_server_close(srv);
  ASSERT_STR_EQ(sioc_nsp_name(sioc_socket_nsp(held)), "/dyn-a");
  ASSERT(!sioc_socket_connected(held));
  sioc_socket_unref(held);
  (void)b;
  lc_end();
  printf("ok test_server_nsp_free\n");
  return 0;
}

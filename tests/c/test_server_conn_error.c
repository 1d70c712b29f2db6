/* test_server_conn_error.c - sioc_server_on_connection_error: every refused
 * Engine.IO request is reported with the code and message of its answer,
 * the request line, headers and peer (engine.io's "connection_error"). */
#include "loop_client.h"
#include "task.h"

static int n_errors;
static int last_code;
static char last_message[64], last_method[16], last_url[128], last_ua[64], last_addr[48];

static void on_error(sioc_server_t *s, const sioc_connection_error_t *e, void *data) {
  ASSERT(data == &n_errors);
  n_errors++;
  last_code = e->code;
  snprintf(last_message, sizeof(last_message), "%s", e->message);
  snprintf(last_method, sizeof(last_method), "%s", e->method);
  snprintf(last_url, sizeof(last_url), "%s", e->url);
  snprintf(last_addr, sizeof(last_addr), "%s", e->address);
  last_ua[0] = '\0';
  for (size_t i = 0; i < e->n_headers; i++)
    if (strcasecmp(e->headers[i].name, "user-agent") == 0)
      snprintf(last_ua, sizeof(last_ua), "%s", e->headers[i].value);
}

int main(void) {
  lc_init(10000);
  sioc_server_options_t o;
  sioc_server_options_init(&o);
  o.allow_request = NULL;
  sioc_server_t *srv = lc_server(&o);
  sioc_server_on_connection_error(srv, on_error, &n_errors);
  lc_http_t r;

  lc_http_once("GET", "/socket.io/?EIO=4&transport=carrier-pigeon",
               "User-Agent: test-agent\r\n", NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 0, "Transport unknown");
  lc_http_free(&r);
  ASSERT_EQ(n_errors, 1);
  ASSERT_EQ(last_code, 0);
  ASSERT_STR_EQ(last_message, "Transport unknown");
  ASSERT_STR_EQ(last_method, "GET");
  ASSERT_STR_EQ(last_url, "/socket.io/?EIO=4&transport=carrier-pigeon");
  ASSERT_STR_EQ(last_ua, "test-agent");
  ASSERT_STR_EQ(last_addr, "127.0.0.1");

  lc_http_once("POST", "/socket.io/?EIO=4&transport=polling", NULL, "x", 1, &r);
  lc_expect_eio_error(&r, 400, 2, "Bad handshake method");
  lc_http_free(&r);
  ASSERT_EQ(n_errors, 2);
  ASSERT_EQ(last_code, 2);
  ASSERT_STR_EQ(last_method, "POST");

  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling&sid=nope", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 1, "Session ID unknown");
  lc_http_free(&r);
  ASSERT_EQ(last_code, 1);

  /* A successful handshake reports nothing. */
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling", NULL, NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  lc_http_free(&r);
  ASSERT_EQ(n_errors, 3);

  /* Unset: requests are still refused, nothing is called. */
  sioc_server_on_connection_error(srv, NULL, NULL);
  lc_http_once("GET", "/socket.io/?EIO=3&transport=polling", NULL, NULL, 0, &r);
  lc_expect_eio_error(&r, 400, 5, "Unsupported protocol version");
  lc_http_free(&r);
  ASSERT_EQ(n_errors, 3);

  lc_server_close(srv);
  lc_end();
  printf("ok test_server_conn_error\n");
  return 0;
}

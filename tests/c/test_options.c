/* test_options.c - sioc_options_*: every modern and classic option name with
 * valid and invalid values, the exact text of the main error messages, the
 * classic unit conversions (seconds -> ms) and origin translations, string
 * ownership across repeated sets (ASan checks that freed strings are never
 * reached through sioc_options_get), and a server created from the result
 * that answers at the configured path with the configured values. */
#include "loop_client.h"
#include "task.h"

static char err[256];

/* Sets name to the JSON text json; returns the code, message in err. */
static int set(sioc_options_t *o, const char *name, const char *json) {
  memset(err, 'x', sizeof(err) - 1);
  err[sizeof(err) - 1] = '\0';
  return sioc_options_set(o, name, json, strlen(json), err, sizeof(err));
}

#define OK(o, name, json)                                                        \
  do {                                                                           \
    int rc_ = set((o), (name), (json));                                          \
    if (rc_ != 0) FATAL("set(%s, %s) = %s: %s", name, json, sioc_err_name(rc_), err); \
  } while (0)

#define FAILS(o, name, json, code)                                               \
  do {                                                                           \
    int rc_ = set((o), (name), (json));                                          \
    if (rc_ != (code))                                                           \
      FATAL("set(%s, %s) = %s, expected %s (%s)", name, json, sioc_err_name(rc_), \
            sioc_err_name(code), err);                                           \
    ASSERT(strchr(err, '\n') == NULL);                                           \
    ASSERT(strstr(err, name) != NULL); /* the message names the option */       \
  } while (0)

#define EINVAL_MSG(o, name, json, message)                                       \
  do {                                                                           \
    FAILS(o, name, json, SIOC_EINVAL);                                           \
    ASSERT_STR_EQ(err, message);                                                 \
  } while (0)

static void test_defaults(void) {
  sioc_options_t *o = sioc_options_new();
  ASSERT(o != NULL);
  sioc_server_options_t d;
  sioc_server_options_init(&d);
  const sioc_server_options_t *g = sioc_options_get(o);
  ASSERT_STR_EQ(g->path, d.path);
  ASSERT_EQ(g->ping_interval_ms, d.ping_interval_ms);
  ASSERT_EQ(g->ping_timeout_ms, d.ping_timeout_ms);
  ASSERT_EQ(g->max_http_buffer_size, d.max_http_buffer_size);
  ASSERT_EQ(g->transports, d.transports);
  ASSERT_EQ(g->n_cors_origins, 0);
  ASSERT(sioc_options_get(NULL) == NULL);
  sioc_options_free(NULL);
  /* Bad arguments are errors, not crashes; err may be NULL. */
  ASSERT_EQ(sioc_options_set(NULL, "path", "\"/a\"", 4, err, sizeof(err)), SIOC_EINVAL);
  ASSERT_EQ(sioc_options_set(o, NULL, "1", 1, err, sizeof(err)), SIOC_EINVAL);
  ASSERT_EQ(sioc_options_set(o, "pingInterval", NULL, 0, err, sizeof(err)), SIOC_EINVAL);
  ASSERT_EQ(sioc_options_set(o, "pingInterval", "x", 1, NULL, 0), SIOC_EINVAL);
  ASSERT_EQ(sioc_options_set(o, "pingInterval", "1", 1, NULL, 0), 0);
  /* A tiny err buffer is truncated, still terminated. */
  char small[8];
  ASSERT_EQ(sioc_options_set(o, "nope", "1", 1, small, sizeof(small)), SIOC_EINVAL);
  ASSERT_STR_EQ(small, "unknown");
  /* The value is length-delimited: bytes after len are not read. */
  ASSERT_EQ(sioc_options_set(o, "pingInterval", "1234567", 3, err, sizeof(err)), 0);
  ASSERT_EQ(sioc_options_get(o)->ping_interval_ms, 123);
  sioc_options_free(o);
}

static void test_timeouts(void) {
  sioc_options_t *o = sioc_options_new();
  const sioc_server_options_t *g = sioc_options_get(o);
  static const char *const names[] = {"pingInterval", "pingTimeout", "connectTimeout",
                                      "upgradeTimeout"};
  for (int i = 0; i < 4; i++) {
    const char *n = names[i];
    OK(o, n, "1234");
    OK(o, n, " 4294967295 ");
    OK(o, n, "3e4");     /* integral floats are integers */
    OK(o, n, "30000.0");
    FAILS(o, n, "0", SIOC_EINVAL);
    FAILS(o, n, "-5", SIOC_EINVAL);
    FAILS(o, n, "1.5", SIOC_EINVAL);
    FAILS(o, n, "4294967296", SIOC_EINVAL);
    FAILS(o, n, "\"25000\"", SIOC_EINVAL);
    FAILS(o, n, "true", SIOC_EINVAL);
    FAILS(o, n, "null", SIOC_EINVAL);
    FAILS(o, n, "[1]", SIOC_EINVAL);
    FAILS(o, n, "25000 1", SIOC_EINVAL);  /* trailing text */
    FAILS(o, n, "", SIOC_EINVAL);
    FAILS(o, n, "[1.00000000000000000000000000000000000000000000000000000000000000000001]",
          SIOC_EINVAL);
  }
  OK(o, "pingInterval", "1000");
  OK(o, "pingTimeout", "2000");
  OK(o, "connectTimeout", "3000");
  OK(o, "upgradeTimeout", "4000");
  ASSERT_EQ(g->ping_interval_ms, 1000);
  ASSERT_EQ(g->ping_timeout_ms, 2000);
  ASSERT_EQ(g->connect_timeout_ms, 3000);
  ASSERT_EQ(g->upgrade_timeout_ms, 4000);
  /* A failed set leaves the value alone. */
  FAILS(o, "pingInterval", "-1", SIOC_EINVAL);
  ASSERT_EQ(g->ping_interval_ms, 1000);

  EINVAL_MSG(o, "pingInterval", "\"abc\"",
             "option \"pingInterval\" must be a positive integer (milliseconds) up to "
             "4294967295, got \"abc\"");
  /* Not JSON at all: the same kind of message, raw text shown. */
  EINVAL_MSG(o, "pingInterval", "abc",
             "option \"pingInterval\" must be a positive integer (milliseconds) up to "
             "4294967295, got abc");
  /* Long values are shortened, control characters masked. */
  EINVAL_MSG(o, "pingTimeout", "\"0123456789012345678901234567890123456789\tabcdefghij\"",
             "option \"pingTimeout\" must be a positive integer (milliseconds) up to "
             "4294967295, got \"0123456789012345678901234567890123456789?abcdef...");
  sioc_options_free(o);
}

static void test_sizes(void) {
  sioc_options_t *o = sioc_options_new();
  const sioc_server_options_t *g = sioc_options_get(o);
  OK(o, "maxHttpBufferSize", "1e6");
  ASSERT_EQ(g->max_http_buffer_size, 1000000);
  OK(o, "maxHttpBufferSize", "1e8");
  ASSERT_EQ(g->max_http_buffer_size, 100000000);
  OK(o, "maxHttpBufferSize", "9007199254740991");
  FAILS(o, "maxHttpBufferSize", "9007199254740992", SIOC_EINVAL);
  FAILS(o, "maxHttpBufferSize", "0", SIOC_EINVAL);
  FAILS(o, "maxHttpBufferSize", "1e-3", SIOC_EINVAL);
  FAILS(o, "maxHttpBufferSize", "\"1mb\"", SIOC_EINVAL);
  EINVAL_MSG(o, "maxHttpBufferSize", "-1",
             "option \"maxHttpBufferSize\" must be a positive integer (bytes), got -1");

  OK(o, "maxAttachments", "0");
  ASSERT_EQ(g->max_attachments, 0);
  OK(o, "maxAttachments", "3");
  ASSERT_EQ(g->max_attachments, 3);
  FAILS(o, "maxAttachments", "-1", SIOC_EINVAL);
  FAILS(o, "maxAttachments", "2.5", SIOC_EINVAL);

  OK(o, "maxHeaderBytes", "8192");
  ASSERT_EQ(g->max_header_bytes, 8192);
  FAILS(o, "maxHeaderBytes", "0", SIOC_EINVAL);

  OK(o, "maxWebSocketFragments", "64");
  ASSERT_EQ(g->max_ws_fragments, 64);
  FAILS(o, "maxWebSocketFragments", "0", SIOC_EINVAL);
  FAILS(o, "maxWebSocketFragments", "false", SIOC_EINVAL);

  OK(o, "maxBufferedBytes", "0");
  ASSERT_EQ(g->max_buffered_bytes, 0);
  OK(o, "maxBufferedBytes", "1048576");
  ASSERT_EQ(g->max_buffered_bytes, 1048576);
  FAILS(o, "maxBufferedBytes", "{}", SIOC_EINVAL);

  OK(o, "maxConnections", "0");
  OK(o, "maxConnections", "100");
  ASSERT_EQ(g->max_connections, 100);
  FAILS(o, "maxConnections", "-100", SIOC_EINVAL);
  sioc_options_free(o);
}

static void test_transports_and_flags(void) {
  sioc_options_t *o = sioc_options_new();
  const sioc_server_options_t *g = sioc_options_get(o);
  OK(o, "transports", "[\"websocket\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_WEBSOCKET);
  OK(o, "transports", "[\"polling\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_POLLING);
  OK(o, "transports", "[\"polling\",\"websocket\",\"polling\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET);
  /* The classic 0.9 names go under the same key. */
  OK(o, "transports", "[\"xhr-polling\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_POLLING);
  OK(o, "transports", "[\"jsonp-polling\", \"websocket\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET);
  OK(o, "transports", "[\"websocket\"]");
  FAILS(o, "transports", "[]", SIOC_EINVAL);
  FAILS(o, "transports", "\"websocket\"", SIOC_EINVAL);
  FAILS(o, "transports", "[\"websocket\", 1]", SIOC_EINVAL);
  FAILS(o, "transports", "[\"\"]", SIOC_EINVAL);
  /* 0.9's obsolete transports are skipped, but one usable must remain */
  EINVAL_MSG(o, "transports", "[\"flashsocket\"]",
             "option \"transports\" must name \"polling\" or \"websocket\"");
  OK(o, "transports", "[\"websocket\",\"htmlfile\",\"flashsocket\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_WEBSOCKET);
  EINVAL_MSG(o, "transports", "[\"webtransport\"]",
             "option \"transports\": transport \"webtransport\" is not supported (only "
             "\"polling\" and \"websocket\")");
  EINVAL_MSG(o, "transports", "[\"Polling\"]",
             "option \"transports\" must be a non-empty array of \"polling\" and "
             "\"websocket\", got [\"Polling\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_WEBSOCKET);  /* unchanged by failures */

  OK(o, "allowUpgrades", "false");
  ASSERT_EQ(g->allow_upgrades, 0);
  OK(o, "allowUpgrades", "true");
  ASSERT_EQ(g->allow_upgrades, 1);
  FAILS(o, "allowUpgrades", "1", SIOC_EINVAL);
  FAILS(o, "allowUpgrades", "\"true\"", SIOC_EINVAL);

  OK(o, "addTrailingSlash", "true");
  OK(o, "addTrailingSlash", "false");
  FAILS(o, "addTrailingSlash", "0", SIOC_EINVAL);

  OK(o, "allowEIO3", "false");
  EINVAL_MSG(o, "allowEIO3", "true",
             "option \"allowEIO3\": Engine.IO v3 clients are not supported");
  FAILS(o, "allowEIO3", "0", SIOC_EINVAL);

  OK(o, "perMessageDeflate", "false");
  OK(o, "httpCompression", "false");
  OK(o, "cookie", "false");
  FAILS(o, "perMessageDeflate", "true", SIOC_EINVAL);
  FAILS(o, "perMessageDeflate", "{\"threshold\":1024}", SIOC_EINVAL);
  EINVAL_MSG(o, "httpCompression", "true",
             "option \"httpCompression\": true is not supported (HTTP compression is not "
             "implemented; use false)");
  FAILS(o, "httpCompression", "{}", SIOC_EINVAL);
  FAILS(o, "cookie", "true", SIOC_EINVAL);
  FAILS(o, "cookie", "{\"name\":\"io\"}", SIOC_EINVAL);
  ASSERT(strstr(err, "not supported") != NULL);
  sioc_options_free(o);
}

static void expect_origins(const sioc_options_t *o, int credentials, const char *const *want) {
  const sioc_server_options_t *g = sioc_options_get(o);
  size_t n = 0;
  while (want[n]) n++;
  if (g->n_cors_origins != n) {
    for (size_t i = 0; i < g->n_cors_origins; i++)
      fprintf(stderr, "  origin[%zu] = %s\n", i, g->cors_origins[i]);
    FATAL("%zu origins, expected %zu", g->n_cors_origins, n);
  }
  for (size_t i = 0; i < n; i++) ASSERT_STR_EQ(g->cors_origins[i], want[i]);
  ASSERT_EQ(g->cors_credentials, credentials);
}

#define ORIGINS(o, cred, ...)                                   \
  do {                                                          \
    static const char *const w_[] = {__VA_ARGS__, NULL};        \
    expect_origins((o), (cred), w_);                            \
  } while (0)
#define NO_ORIGINS(o) ASSERT_EQ(sioc_options_get(o)->n_cors_origins, 0)

static void test_cors(void) {
  sioc_options_t *o = sioc_options_new();
  OK(o, "cors", "{\"origin\":\"*\"}");
  ORIGINS(o, 0, "*");
  OK(o, "cors", "{\"origin\":\"https://a.com\",\"credentials\":true}");
  ORIGINS(o, 1, "https://a.com");
  OK(o, "cors", "{\"origin\":[\"https://a.com\",\"http://b.com:8080\"],"
                "\"methods\":[\"GET\",\"POST\"],\"allowedHeaders\":[\"x-token\"]}");
  ORIGINS(o, 0, "https://a.com", "http://b.com:8080");
  /* methods / allowedHeaders become the preflight's header values */
  ASSERT_STR_EQ(sioc_options_get(o)->cors_methods, "GET,POST");
  ASSERT_STR_EQ(sioc_options_get(o)->cors_allowed_headers, "x-token");
  OK(o, "cors", "{\"origin\":true,\"credentials\":true,\"methods\":\"GET,POST\"}");
  ORIGINS(o, 1, "*");
  ASSERT_STR_EQ(sioc_options_get(o)->cors_methods, "GET,POST");
  ASSERT(sioc_options_get(o)->cors_allowed_headers == NULL);
  OK(o, "cors", "{\"headers\":\"x-a\"}");  /* the cors package's default origin */
  ORIGINS(o, 0, "*");
  ASSERT(sioc_options_get(o)->cors_methods == NULL);
  ASSERT_STR_EQ(sioc_options_get(o)->cors_allowed_headers, "x-a");
  FAILS(o, "cors", "{\"methods\":[\"GET\",\"POST\\r\\nX-Evil: 1\"]}", SIOC_EINVAL);
  ASSERT_STR_EQ(sioc_options_get(o)->cors_allowed_headers, "x-a");  /* unchanged */
  OK(o, "cors", "{\"origin\":false}");
  NO_ORIGINS(o);
  OK(o, "cors", "true");
  ORIGINS(o, 0, "*");
  OK(o, "cors", "{\"origin\":[]}");
  NO_ORIGINS(o);
  OK(o, "cors", "{\"origin\":\"http://x.org\"}");
  OK(o, "cors", "false");
  NO_ORIGINS(o);
  OK(o, "cors", "{\"origin\":\"http://x.org\"}");
  OK(o, "cors", "null");
  NO_ORIGINS(o);

  OK(o, "cors", "{\"origin\":\"http://keep.me\",\"credentials\":true}");
  FAILS(o, "cors", "\"*\"", SIOC_EINVAL);
  FAILS(o, "cors", "[]", SIOC_EINVAL);
  FAILS(o, "cors", "{\"origin\":1}", SIOC_EINVAL);
  FAILS(o, "cors", "{\"origin\":\"\"}", SIOC_EINVAL);
  FAILS(o, "cors", "{\"origin\":\"http://a.com\\r\\nX-Evil: 1\"}", SIOC_EINVAL);
  FAILS(o, "cors", "{\"origin\":[\"http://a.com\", 2]}", SIOC_EINVAL);
  FAILS(o, "cors", "{\"origin\":\"*\",\"credentials\":\"yes\"}", SIOC_EINVAL);
  FAILS(o, "cors", "{\"methods\":7}", SIOC_EINVAL);
  FAILS(o, "cors", "{\"allowedHeaders\":[1]}", SIOC_EINVAL);
  EINVAL_MSG(o, "cors", "{\"origin\":\"*\",\"maxAge\":600}",
             "option \"cors\": key \"maxAge\" is not supported (only origin, credentials, "
             "methods, allowedHeaders)");
  EINVAL_MSG(o, "cors", "{\"origin\":{}}",
             "option \"cors\": \"origin\" must be \"*\", an origin, an array of origins, "
             "true or false (origins without spaces)");
  ORIGINS(o, 1, "http://keep.me");  /* failures changed nothing */
  sioc_options_free(o);
}

static void test_path_ownership(void) {
  sioc_options_t *o = sioc_options_new();
  OK(o, "path", "\"/first\"");
  const char *first = sioc_options_get(o)->path;
  ASSERT_STR_EQ(first, "/first");
  OK(o, "path", "\"/second/\"");
  /* `first` is freed now; get() must hand out the new copy (ASan reports any
   * read of the old one). */
  ASSERT_STR_EQ(sioc_options_get(o)->path, "/second/");
  OK(o, "resource", "\"/classic\"");
  ASSERT_STR_EQ(sioc_options_get(o)->path, "/classic");
  OK(o, "path", "\"chat\"");  /* the server adds the leading slash */
  ASSERT_STR_EQ(sioc_options_get(o)->path, "chat");
  OK(o, "path", "\"/\"");
  FAILS(o, "path", "\"\"", SIOC_EINVAL);
  FAILS(o, "path", "\"/a b\"", SIOC_EINVAL);
  FAILS(o, "path", "\"/a?b\"", SIOC_EINVAL);
  FAILS(o, "path", "\"/a#b\"", SIOC_EINVAL);
  FAILS(o, "path", "\"/a\\nb\"", SIOC_EINVAL);
  FAILS(o, "path", "null", SIOC_EINVAL);
  FAILS(o, "path", "\"/\\ud800\"", SIOC_EINVAL);  /* JSON, but cJSON refuses it */
  FAILS(o, "resource", "5", SIOC_EINVAL);
  EINVAL_MSG(o, "path", "[\"/x\"]",
             "option \"path\" must be a non-empty URL path such as \"/socket.io\", got [\"/x\"]");
  ASSERT_STR_EQ(sioc_options_get(o)->path, "/");

  /* Origin strings: the list is replaced as a whole, each time. */
  for (int i = 0; i < 50; i++) {
    OK(o, "cors", "{\"origin\":[\"http://a.com\",\"http://b.com\",\"http://c.com\"]}");
    OK(o, "origins", "\"a.com:3000 b.com:*\"");
  }
  ORIGINS(o, 1, "http://a.com:3000", "https://a.com:3000", "http://b.com", "https://b.com");
  sioc_options_free(o);  /* ASan: nothing leaks */
}

static void test_classic(void) {
  sioc_options_t *o = sioc_options_new();
  const sioc_server_options_t *g = sioc_options_get(o);
  OK(o, "heartbeat interval", "25");
  ASSERT_EQ(g->ping_interval_ms, 25000);
  OK(o, "heartbeat interval", "0.5");
  ASSERT_EQ(g->ping_interval_ms, 500);
  OK(o, "heartbeat interval", "2.0006");
  ASSERT_EQ(g->ping_interval_ms, 2001);  /* rounded to the nearest ms */
  FAILS(o, "heartbeat interval", "0", SIOC_EINVAL);
  FAILS(o, "heartbeat interval", "0.0001", SIOC_EINVAL);
  FAILS(o, "heartbeat interval", "-25", SIOC_EINVAL);
  FAILS(o, "heartbeat interval", "4294968", SIOC_EINVAL);
  EINVAL_MSG(o, "heartbeat interval", "\"25\"",
             "option \"heartbeat interval\" must be a positive number (seconds) up to "
             "4294967, got \"25\"");
  ASSERT_EQ(g->ping_interval_ms, 2001);

  /* pingTimeout = the larger of "heartbeat timeout" and "close timeout". */
  OK(o, "heartbeat timeout", "15");
  ASSERT_EQ(g->ping_timeout_ms, 15000);
  OK(o, "close timeout", "60");
  ASSERT_EQ(g->ping_timeout_ms, 60000);
  OK(o, "heartbeat timeout", "90");
  ASSERT_EQ(g->ping_timeout_ms, 90000);
  OK(o, "close timeout", "100");
  ASSERT_EQ(g->ping_timeout_ms, 100000);
  OK(o, "pingTimeout", "5000");  /* the modern name sets it outright */
  ASSERT_EQ(g->ping_timeout_ms, 5000);
  FAILS(o, "heartbeat timeout", "false", SIOC_EINVAL);
  FAILS(o, "close timeout", "\"60\"", SIOC_EINVAL);
  ASSERT_EQ(g->ping_timeout_ms, 5000);

  OK(o, "destroy buffer size", "10E7");
  ASSERT_EQ(g->max_http_buffer_size, 100000000);
  FAILS(o, "destroy buffer size", "0", SIOC_EINVAL);
  FAILS(o, "destroy buffer size", "1.5", SIOC_EINVAL);

  OK(o, "resource", "\"/socket.io\"");
  ASSERT_STR_EQ(g->path, "/socket.io");

  OK(o, "transports", "[\"websocket\", \"xhr-polling\", \"jsonp-polling\"]");
  ASSERT_EQ(g->transports, SIOC_TRANSPORT_POLLING | SIOC_TRANSPORT_WEBSOCKET);

  /* origins */
  OK(o, "origins", "\"*:*\"");
  ORIGINS(o, 1, "*");
  OK(o, "origins", "\"http://a.com:80 b.com:*\"");
  ORIGINS(o, 1, "http://a.com", "http://b.com", "https://b.com");
  OK(o, "origins", "\"a.com:80\"");
  ORIGINS(o, 1, "http://a.com", "https://a.com:80");
  OK(o, "origins", "\"a.com:443\"");
  ORIGINS(o, 1, "http://a.com:443", "https://a.com");
  OK(o, "origins", "\"https://a.com:8443, c.org\"");
  ORIGINS(o, 1, "https://a.com:8443", "http://c.org", "https://c.org");
  OK(o, "origins", "[\"a.com:3000\", \"b.com:* *:*\"]");  /* any wins */
  ORIGINS(o, 1, "*");
  OK(o, "origins", "\"*\"");
  ORIGINS(o, 1, "*");
  OK(o, "origins", "\"http://*:*\"");
  ORIGINS(o, 1, "*");
  OK(o, "origins", "\"a.com:80\"");
  FAILS(o, "origins", "\"\"", SIOC_EINVAL);
  FAILS(o, "origins", "\"  \"", SIOC_EINVAL);
  FAILS(o, "origins", "[]", SIOC_EINVAL);
  FAILS(o, "origins", "5", SIOC_EINVAL);
  FAILS(o, "origins", "[5]", SIOC_EINVAL);
  FAILS(o, "origins", "\"a.com:0\"", SIOC_EINVAL);
  FAILS(o, "origins", "\"a.com:65536\"", SIOC_EINVAL);
  FAILS(o, "origins", "\"a.com:80x\"", SIOC_EINVAL);
  FAILS(o, "origins", "\":80\"", SIOC_EINVAL);
  FAILS(o, "origins", "\"*.a.com:80\"", SIOC_EINVAL);
  FAILS(o, "origins", "\"a.com/x:80\"", SIOC_EINVAL);
  FAILS(o, "origins", "\"ok.com:80 bad.com:x\"", SIOC_EINVAL);
  EINVAL_MSG(o, "origins", "\"*:8080\"",
             "option \"origins\": \"*:8080\" (any host on one port) cannot be expressed; "
             "use \"*:*\" or list the hosts");
  EINVAL_MSG(o, "origins", "\"a.com:http\"",
             "option \"origins\": \"a.com:http\" is not \"host:port\", \"host:*\" or \"*:*\"");
  ORIGINS(o, 1, "http://a.com", "https://a.com:80");  /* unchanged */

  /* Classic options the host implements: checked, then SIOC_ENOTFOUND. */
  FAILS(o, "log level", "0", SIOC_ENOTFOUND);
  FAILS(o, "log level", "3", SIOC_ENOTFOUND);
  FAILS(o, "log level", "4", SIOC_EINVAL);
  FAILS(o, "log level", "1.5", SIOC_EINVAL);
  FAILS(o, "log level", "\"debug\"", SIOC_EINVAL);
  FAILS(o, "log", "false", SIOC_ENOTFOUND);
  FAILS(o, "log", "1", SIOC_EINVAL);
  FAILS(o, "browser client", "false", SIOC_ENOTFOUND);
  FAILS(o, "browser client", "true", SIOC_ENOTFOUND);
  FAILS(o, "browser client", "\"yes\"", SIOC_EINVAL);
  FAILS(o, "authorization", "false", SIOC_ENOTFOUND);
  FAILS(o, "authorization", "\"function\"", SIOC_ENOTFOUND);

  static const char *const dead[] = {
      "store", "logger", "static", "blacklist", "log colors",
      "polling duration", "flash policy server", "flash policy port",
      "browser client cache", "browser client minification", "browser client etag",
      "browser client expires", "browser client gzip", "browser client handler",
      "match origin protocol", "client store expiration", NULL};
  char want[160];
  for (int i = 0; dead[i]; i++) {
    snprintf(want, sizeof(want),
             "classic option \"%s\" has no equivalent in socket.io 4 / sioc", dead[i]);
    EINVAL_MSG(o, dead[i], "true", want);
    EINVAL_MSG(o, dead[i], "not json", want);
  }
  /* Always on in sioc: enabling is fine, disabling is an error. */
  OK(o, "heartbeats", "true");
  OK(o, "destroy upgrade", "true");
  EINVAL_MSG(o, "heartbeats", "false",
             "classic option \"heartbeats\" cannot be disabled in socket.io 4 / sioc");
  FAILS(o, "destroy upgrade", "false", SIOC_EINVAL);
  /* Classic names match exactly. */
  FAILS(o, "Heartbeat Interval", "25", SIOC_EINVAL);
  ASSERT_STR_EQ(err, "unknown option \"Heartbeat Interval\"");
  FAILS(o, "heartbeat  interval", "25", SIOC_EINVAL);
  FAILS(o, "heartbeat_interval", "25", SIOC_EINVAL);
  sioc_options_free(o);
}

static void test_names(void) {
  sioc_options_t *o = sioc_options_new();
  EINVAL_MSG(o, "pingIntervall", "25000", "unknown option \"pingIntervall\"");
  EINVAL_MSG(o, "pinginterval", "25000", "unknown option \"pinginterval\"");
  EINVAL_MSG(o, "PATH", "\"/x\"", "unknown option \"PATH\"");
  EINVAL_MSG(o, "", "1", "unknown option \"\"");
  /* An unknown name is reported as such even with a value that is not JSON. */
  EINVAL_MSG(o, "bogus", "{{{", "unknown option \"bogus\"");
  /* Host-level socket.io options: SIOC_ENOTFOUND whatever the value. */
  static const char *const host[] = {"allowRequest", "serveClient", "adapter", "parser",
                                     "connectionStateRecovery",
                                     "cleanupEmptyChildNamespaces", "wsEngine",
                                     "initialPacket", "destroyUpgrade",
                                     "destroyUpgradeTimeout", NULL};
  for (int i = 0; host[i]; i++) {
    FAILS(o, host[i], "true", SIOC_ENOTFOUND);
    FAILS(o, host[i], "{\"x\":", SIOC_ENOTFOUND);
  }
  ASSERT_STR_EQ(err, "option \"destroyUpgradeTimeout\" is handled by the host binding, "
                     "not by sioc's core");
  sioc_options_free(o);
}

/* A server built from the builder, which is freed before the server is used:
 * sioc_server_new copies what get() returned. */
static void test_server(void) {
  lc_init(20000);
  sioc_options_t *o = sioc_options_new();
  ASSERT(o != NULL);
  OK(o, "resource", "\"/legacy\"");
  OK(o, "heartbeat interval", "7");
  OK(o, "heartbeat timeout", "3");
  OK(o, "maxHttpBufferSize", "5e4");
  OK(o, "transports", "[\"xhr-polling\",\"websocket\"]");
  OK(o, "origins", "\"app.example:8080\"");
  sioc_server_t *srv = lc_server(sioc_options_get(o));
  sioc_options_free(o);

  lc_http_t r;
  lc_http_once("GET", "/legacy/?EIO=4&transport=polling",
               "Origin: http://app.example:8080\r\n", NULL, 0, &r);
  if (r.status != 200 || r.body[0] != '0') FATAL("handshake: %d %s", r.status, r.body);
  cJSON *j = cJSON_Parse(r.body + 1);
  ASSERT(j != NULL);
  ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(j, "pingInterval")->valuedouble, 7000);
  ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(j, "pingTimeout")->valuedouble, 3000);
  ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(j, "maxPayload")->valuedouble, 50000);
  cJSON *up = cJSON_GetObjectItemCaseSensitive(j, "upgrades");
  ASSERT(cJSON_IsArray(up) && cJSON_GetArraySize(up) == 1);
  ASSERT_STR_EQ(cJSON_GetArrayItem(up, 0)->valuestring, "websocket");
  cJSON_Delete(j);
  char h[128];
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", h, sizeof(h)) != NULL);
  ASSERT_STR_EQ(h, "http://app.example:8080");
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Credentials", h, sizeof(h)) != NULL);
  ASSERT_STR_EQ(h, "true");
  lc_http_free(&r);

  /* Another origin gets no CORS headers; the default path is not mounted. */
  lc_http_once("GET", "/legacy/?EIO=4&transport=polling", "Origin: http://other.example\r\n",
               NULL, 0, &r);
  ASSERT_EQ(r.status, 200);
  ASSERT(lc_http_header(&r, "Access-Control-Allow-Origin", h, sizeof(h)) == NULL);
  lc_http_free(&r);
  lc_http_once("GET", "/socket.io/?EIO=4&transport=polling", NULL, NULL, 0, &r);
  ASSERT(r.status != 200);
  lc_http_free(&r);

  lc_server_close(srv);
  lc_end();
}

int main(void) {
  test_defaults();
  test_timeouts();
  test_sizes();
  test_transports_and_flags();
  test_cors();
  test_path_ownership();
  test_classic();
  test_names();
  test_server();
  printf("test_options: ok\n");
  return 0;
}

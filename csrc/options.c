/* options.c - server options by name: socket.io 4.x names and the classic
 * socket.io 0.9 io.set() keys, with their types, unit conversions and error
 * messages, so that the Node and Python bindings share one implementation.
 *
 * Invariants:
 *  - o->opts is always a complete, valid sioc_server_options_t; its string
 *    pointers point at the static defaults or at strings the builder owns
 *    (o->path, o->origins).  Those stay valid until the next set or free.
 *  - A failed set changes nothing: a new value is built completely (and
 *    allocated) before the old one is released.
 *  - Values arrive as JSON text.  They are first checked with the strict,
 *    allocation-free scanner sioc__json_check, then parsed with cJSON.
 *    Text that is not JSON fails the option's type check ("must be ...,
 *    got abc").
 *
 * Decisions where socket.io has no exact C counterpart:
 *  - cors (the options of the `cors` npm package that engine.io uses):
 *      true, {} or {origin missing}  -> any origin ("*"), the package default
 *      false, null, {origin: false}  -> no CORS headers
 *      {origin: "*"}                 -> any origin
 *      {origin: "https://a.com"}     -> that origin
 *      {origin: [strings]}           -> those origins ([] allows none)
 *      {origin: true}                -> "*".  The package reflects the
 *        request's Origin; the server echoes the Origin for "*" whenever
 *        credentials is true, and answers "*" otherwise, which browsers
 *        treat the same for requests without credentials.
 *      credentials: bool.
 *      methods, allowedHeaders (alias headers): a string or an array of
 *        strings (joined with ","), answered to preflights; without them
 *        the package defaults (GET,HEAD,PUT,PATCH,POST,DELETE and the
 *        requested headers).
 *      Any other key (exposedHeaders, maxAge, ...) is an error.
 *  - addTrailingSlash: a boolean, accepted either way; the server serves
 *    both "/socket.io" and "/socket.io/...".
 *  - Host-level names (functions, objects or Node-only behaviour) return
 *    SIOC_ENOTFOUND so the binding handles them.
 *  - Classic "close timeout" and "heartbeat timeout": in 0.9 the first was
 *    how long a client could be without an open transport, the second how
 *    long it could go without a heartbeat.  Engine.IO v4 has one deadline for
 *    both (a client without a transport cannot answer a ping), pingTimeout.
 *    pingTimeout becomes the larger of the two classic values given, so no
 *    client is dropped earlier than 0.9 would have dropped it.
 *  - Classic "origins" ("host:port" entries, 0.9 matched them against the
 *    Origin's hostname and port, port defaulting to 80/443 by scheme):
 *      "*:*" or "*"        -> any origin
 *      "a.com:3000"        -> http://a.com:3000 https://a.com:3000
 *      "a.com:80"          -> http://a.com      https://a.com:80
 *      "a.com" / "a.com:*" -> http://a.com      https://a.com
 *      "http://a.com:80"   -> http://a.com      (scheme given: only it)
 *      "*:3000"            -> error: the server matches whole origins, so
 *                             "any host on one port" cannot be expressed.
 *    A wildcard port only covers the default ports.  0.9 always answered
 *    with Access-Control-Allow-Credentials: true, so credentials is set too.
 *  - Classic "log level" (0-3), "log" (bool), "browser client" (bool) and
 *    "authorization" are checked and return SIOC_ENOTFOUND: the host maps
 *    them to its logger, serveClient and allowRequest/middleware.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_text.h"
#include "sioc.h"

struct sioc_options_s {
  sioc_server_options_t opts;
  char *path;                  /* owned; NULL while opts.path is the default */
  char **origins;              /* owned strings, n_origins of them */
  size_t n_origins;
  char *cors_methods;          /* owned; NULL: the default */
  char *cors_allowed_headers;  /* owned; NULL: the requested headers */
  uint32_t classic_hb_timeout_ms;    /* 0: "heartbeat timeout" not set */
  uint32_t classic_close_timeout_ms; /* 0: "close timeout" not set */
};

/* Integers beyond this lose precision as a JSON/JS double. */
#define MAX_SAFE_INTEGER 9007199254740991.0

/* A set call's context: where to write the message. */
typedef struct {
  const char *name;
  const char *value;
  size_t len;
  char *err;
  size_t errlen;
} ctx_t;

static void msg(const ctx_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void msg(const ctx_t *c, const char *fmt, ...) {
  if (!c->err || c->errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
}

/* The value text for a message: trimmed, printable, at most ~48 bytes. */
static const char *shown(const ctx_t *c, char *buf, size_t cap) {
  const char *s = c->value;
  size_t n = c->len;
  while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
               s[n - 1] == '\r'))
    n--;
  size_t max = cap - 4, i;
  for (i = 0; i < n && i < max; i++) {
    unsigned char ch = (unsigned char)s[i];
    buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
  }
  if (i < n) buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
  buf[i] = '\0';
  return buf;
}

#define SHOWN(c) shown((c), shown_buf, sizeof(shown_buf))

/* "must be <what>, got <value>" for option c->name.  Returns SIOC_EINVAL. */
static int bad(const ctx_t *c, const char *what) {
  char shown_buf[52];
  msg(c, "option \"%s\" must be %s, got %s", c->name, what, SHOWN(c));
  return SIOC_EINVAL;
}

static int unsupported(const ctx_t *c, const char *why) {
  char shown_buf[52];
  msg(c, "option \"%s\": %s is not supported (%s)", c->name, SHOWN(c), why);
  return SIOC_EINVAL;
}

/* An integral JSON number in [min, max]. */
static int get_int(const cJSON *v, double min, double max, double *out) {
  if (!cJSON_IsNumber(v)) return -1;
  double d = v->valuedouble;
  /* Range first: the cast is defined only for values that fit. */
  if (!(d >= min && d <= max) || (double)(uint64_t)d != d) return -1;
  *out = d;
  return 0;
}

/* ---- typed setters ------------------------------------------------------ */

static int set_ms(const ctx_t *c, const cJSON *v, uint32_t *field) {
  double d;
  if (get_int(v, 1, UINT32_MAX, &d))
    return bad(c, "a positive integer (milliseconds) up to 4294967295");
  *field = (uint32_t)d;
  return 0;
}

/* min 0 or 1; `what` completes "must be ...". */
static int set_size(const ctx_t *c, const cJSON *v, double min, const char *what,
                    size_t *field) {
  double d, max = MAX_SAFE_INTEGER < (double)SIZE_MAX ? MAX_SAFE_INTEGER : (double)SIZE_MAX;
  if (get_int(v, min, max, &d)) return bad(c, what);
  *field = (size_t)d;
  return 0;
}

static int set_bool(const ctx_t *c, const cJSON *v, int *field) {
  if (!cJSON_IsBool(v)) return bad(c, "true or false");
  *field = cJSON_IsTrue(v);
  return 0;
}

/* Classic seconds (fractions allowed, as 0.9 multiplied by 1000). */
static int get_seconds(const ctx_t *c, const cJSON *v, uint32_t *ms) {
  double d = cJSON_IsNumber(v) ? v->valuedouble * 1000.0 + 0.5 : -1;
  if (!(d >= 1.0 && d < (double)UINT32_MAX + 1.0))
    return bad(c, "a positive number (seconds) up to 4294967");
  *ms = (uint32_t)d;
  return 0;
}

/* "false" is the only value accepted (the feature is not implemented). */
static int only_false(const ctx_t *c, const cJSON *v, const char *why) {
  if (cJSON_IsFalse(v)) return 0;
  return unsupported(c, why);
}

/* A URL path: non-empty, no whitespace, control characters, '?' or '#'. */
static int set_path(sioc_options_t *o, const ctx_t *c, const cJSON *v) {
  const char *what = "a non-empty URL path such as \"/socket.io\"";
  if (!cJSON_IsString(v) || !v->valuestring[0]) return bad(c, what);
  for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
    if (*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#') return bad(c, what);
  char *copy = strdup(v->valuestring);
  if (!copy) return SIOC_ENOMEM;
  free(o->path);
  o->path = copy;
  o->opts.path = copy;
  return 0;
}

static int set_transports(sioc_options_t *o, const ctx_t *c, const cJSON *v) {
  const char *what = "a non-empty array of \"polling\" and \"websocket\"";
  if (!cJSON_IsArray(v) || !v->child) return bad(c, what);
  int mask = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, v) {
    if (!cJSON_IsString(e)) return bad(c, what);
    const char *t = e->valuestring;
    if (strcmp(t, "polling") == 0 || strcmp(t, "xhr-polling") == 0 ||
        strcmp(t, "jsonp-polling") == 0) {
      mask |= SIOC_TRANSPORT_POLLING;
    } else if (strcmp(t, "websocket") == 0) {
      mask |= SIOC_TRANSPORT_WEBSOCKET;
    } else if (strcmp(t, "htmlfile") == 0 || strcmp(t, "flashsocket") == 0) {
      /* 0.9's usual list names them; no 1.x+ client ever asks for them, so
       * they are skipped rather than failing classic code. */
    } else if (strcmp(t, "webtransport") == 0) {
      msg(c, "option \"%s\": transport \"%s\" is not supported (only "
          "\"polling\" and \"websocket\")", c->name, t);
      return SIOC_EINVAL;
    } else {
      return bad(c, what);
    }
  }
  if (!mask) {
    msg(c, "option \"%s\" must name \"polling\" or \"websocket\"", c->name);
    return SIOC_EINVAL;
  }
  o->opts.transports = mask;
  return 0;
}

/* ---- origin lists ------------------------------------------------------- */

typedef struct {
  char **v;
  size_t n, cap;
} strlist_t;

static void strlist_free(strlist_t *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

static int strlist_push(strlist_t *l, const char *s, size_t n) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 4;
    char **nv = realloc(l->v, cap * sizeof(*nv));
    if (!nv) return SIOC_ENOMEM;
    l->v = nv;
    l->cap = cap;
  }
  char *copy = malloc(n + 1);
  if (!copy) return SIOC_ENOMEM;
  memcpy(copy, s, n);
  copy[n] = '\0';
  l->v[l->n++] = copy;
  return 0;
}

/* Replaces the CORS origin list by l (taken over, l is emptied). */
static void commit_origins(sioc_options_t *o, strlist_t *l, int credentials) {
  for (size_t i = 0; i < o->n_origins; i++) free(o->origins[i]);
  free(o->origins);
  o->origins = l->v;
  o->n_origins = l->n;
  o->opts.cors_origins = (const char *const *)o->origins;
  o->opts.n_cors_origins = o->n_origins;
  o->opts.cors_credentials = credentials;
  l->v = NULL;
  l->n = l->cap = 0;
}

/* methods / allowedHeaders as one header value: a string or strings joined
 * with ","; *out is NULL for an empty list.  Controls (CR, LF, ...) would
 * split the response header: refused. */
static int join_header_list(const cJSON *v, char **out) {
  size_t n = 0;
  const cJSON *e;
  if (cJSON_IsString(v)) {
    n = strlen(v->valuestring);
  } else {
    cJSON_ArrayForEach(e, v) n += strlen(e->valuestring) + 1;
  }
  char *s = malloc(n + 1), *p = s;
  if (!s) return SIOC_ENOMEM;
  if (cJSON_IsString(v)) {
    memcpy(p, v->valuestring, n);
    p += n;
  } else {
    cJSON_ArrayForEach(e, v) {
      size_t l = strlen(e->valuestring);
      if (p != s) *p++ = ',';
      memcpy(p, e->valuestring, l);
      p += l;
    }
  }
  *p = '\0';
  for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
    if (*q < 0x20 || *q == 0x7f) {
      free(s);
      return SIOC_EINVAL;
    }
  }
  if (!*s) {
    free(s);
    s = NULL;
  }
  *out = s;
  return 0;
}

/* Replaces the preflight lists (taken over; NULL: the default). */
static void commit_preflight(sioc_options_t *o, char *methods, char *headers) {
  free(o->cors_methods);
  free(o->cors_allowed_headers);
  o->cors_methods = methods;
  o->cors_allowed_headers = headers;
  o->opts.cors_methods = methods;
  o->opts.cors_allowed_headers = headers;
}

/* An origin string goes into response headers: no whitespace or controls. */
static int origin_ok(const char *s) {
  if (!*s) return 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f) return 0;
  return 1;
}

static int is_string_or_strings(const cJSON *v) {
  if (cJSON_IsString(v)) return 1;
  if (!cJSON_IsArray(v)) return 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, v) if (!cJSON_IsString(e)) return 0;
  return 1;
}

static int set_cors(sioc_options_t *o, const ctx_t *c, const cJSON *v) {
  const char *what = "false or an object {origin, credentials}";
  strlist_t l = {0};
  int credentials = 0, rc = 0;
  if (cJSON_IsFalse(v) || cJSON_IsNull(v)) {
    commit_origins(o, &l, 0);
    commit_preflight(o, NULL, NULL);
    return 0;
  }
  if (cJSON_IsTrue(v)) {
    if ((rc = strlist_push(&l, "*", 1))) return rc;
    commit_origins(o, &l, 0);
    commit_preflight(o, NULL, NULL);
    return 0;
  }
  if (!cJSON_IsObject(v)) return bad(c, what);
  const cJSON *origin = NULL, *methods = NULL, *headers = NULL, *e;
  cJSON_ArrayForEach(e, v) {
    const char *k = e->string;
    if (strcmp(k, "origin") == 0) {
      origin = e;
    } else if (strcmp(k, "credentials") == 0) {
      if (!cJSON_IsBool(e)) {
        msg(c, "option \"cors\": \"credentials\" must be true or false");
        return SIOC_EINVAL;
      }
      credentials = cJSON_IsTrue(e);
    } else if (strcmp(k, "methods") == 0 || strcmp(k, "allowedHeaders") == 0 ||
               strcmp(k, "headers") == 0) {
      if (!is_string_or_strings(e)) {
        msg(c, "option \"cors\": \"%s\" must be a string or an array of strings", k);
        return SIOC_EINVAL;
      }
      if (k[0] == 'm') methods = e;
      else headers = e;
    } else {
      msg(c, "option \"cors\": key \"%s\" is not supported (only origin, "
          "credentials, methods, allowedHeaders)", k);
      return SIOC_EINVAL;
    }
  }
  const char *owhat = "\"*\", an origin, an array of origins, true or false";
  if (!origin || cJSON_IsTrue(origin)) {
    rc = strlist_push(&l, "*", 1);
  } else if (cJSON_IsFalse(origin)) {
    /* no origins: CORS off */
  } else if (cJSON_IsString(origin)) {
    if (!origin_ok(origin->valuestring)) goto bad_origin;
    rc = strlist_push(&l, origin->valuestring, strlen(origin->valuestring));
  } else if (cJSON_IsArray(origin)) {
    cJSON_ArrayForEach(e, origin) {
      if (!cJSON_IsString(e) || !origin_ok(e->valuestring)) goto bad_origin;
      if ((rc = strlist_push(&l, e->valuestring, strlen(e->valuestring)))) break;
    }
  } else {
    goto bad_origin;
  }
  char *mlist = NULL, *hlist = NULL;
  const char *failed = NULL;
  if (!rc && methods && (rc = join_header_list(methods, &mlist))) failed = "methods";
  if (!rc && headers && (rc = join_header_list(headers, &hlist))) failed = "allowedHeaders";
  if (rc) {
    if (rc == SIOC_EINVAL && failed)
      msg(c, "option \"cors\": \"%s\" must not contain control characters", failed);
    strlist_free(&l);
    free(mlist);
    return rc;
  }
  commit_origins(o, &l, credentials);
  commit_preflight(o, mlist, hlist);
  return 0;

bad_origin:
  strlist_free(&l);
  msg(c, "option \"cors\": \"origin\" must be %s (origins without spaces)", owhat);
  return SIOC_EINVAL;
}

/* Appends the origins that 0.9's origins entry e[0..n) allowed.
 * Returns 0, 1 for "any origin", SIOC_EINVAL (message written), SIOC_ENOMEM. */
static int classic_origin(const ctx_t *c, strlist_t *l, const char *e, size_t n) {
  if ((n == 3 && memcmp(e, "*:*", 3) == 0) || (n == 1 && e[0] == '*')) return 1;
  const char *scheme = NULL;
  size_t scheme_len = 0;
  const char *sep = NULL;
  for (size_t i = 0; i + 2 < n; i++)
    if (e[i] == ':' && e[i + 1] == '/' && e[i + 2] == '/') {
      sep = e + i;
      break;
    }
  if (sep) {
    scheme = e;
    scheme_len = (size_t)(sep - e);
    n -= scheme_len + 3;
    e = sep + 3;
  }
  const char *colon = memchr(e, ':', n);
  size_t host_len = colon ? (size_t)(colon - e) : n;
  const char *port = colon ? colon + 1 : NULL;
  size_t port_len = colon ? n - host_len - 1 : 0;
  unsigned long portno = 0; /* 0: absent or "*" */
  int ok = host_len > 0 && (!scheme || scheme_len > 0);
  int any_host = host_len == 1 && e[0] == '*';
  for (size_t i = 0; ok && i < host_len; i++)
    if (e[i] == '/' || e[i] == '@' || (e[i] == '*' && !any_host)) ok = 0;
  if (ok && port && !(port_len == 1 && port[0] == '*')) {
    ok = port_len >= 1 && port_len <= 5;
    for (size_t i = 0; ok && i < port_len; i++) {
      if (port[i] < '0' || port[i] > '9') ok = 0;
      portno = portno * 10 + (unsigned long)(port[i] - '0');
    }
    if (portno == 0 || portno > 65535) ok = 0;
  }
  if (!ok) {
    msg(c, "option \"origins\": \"%.*s\" is not \"host:port\", \"host:*\" or "
        "\"*:*\"", (int)(n + (scheme ? scheme_len + 3 : 0)), scheme ? scheme : e);
    return SIOC_EINVAL;
  }
  if (any_host && portno == 0) return 1;
  if (any_host) {
    msg(c, "option \"origins\": \"*:%.*s\" (any host on one port) cannot be "
        "expressed; use \"*:*\" or list the hosts", (int)port_len, port);
    return SIOC_EINVAL;
  }
  static const struct { const char *s; unsigned long dflt; } schemes[] = {
      {"http", 80}, {"https", 443}};
  char buf[600];
  for (size_t k = 0; k < 2; k++) {
    const char *sc = schemes[k].s;
    size_t sl = strlen(sc);
    unsigned long dflt = schemes[k].dflt;
    if (scheme) {
      if (k) break;
      sc = scheme;
      sl = scheme_len;
      dflt = (sl == 4 && memcmp(sc, "http", 4) == 0)    ? 80
             : (sl == 5 && memcmp(sc, "https", 5) == 0) ? 443
                                                        : 0;
    }
    int len;
    if (portno && portno != dflt)
      len = snprintf(buf, sizeof(buf), "%.*s://%.*s:%lu", (int)sl, sc,
                     (int)host_len, e, portno);
    else
      len = snprintf(buf, sizeof(buf), "%.*s://%.*s", (int)sl, sc,
                     (int)host_len, e);
    if (len < 0 || (size_t)len >= sizeof(buf)) {
      msg(c, "option \"origins\": entry too long");
      return SIOC_EINVAL;
    }
    int rc = strlist_push(l, buf, (size_t)len);
    if (rc) return rc;
  }
  return 0;
}

/* Splits s on spaces and commas into classic entries. */
static int classic_origins_str(const ctx_t *c, strlist_t *l, const char *s,
                               int *any, size_t *entries) {
  while (*s) {
    while (*s == ' ' || *s == ',' || *s == '\t') s++;
    size_t n = strcspn(s, " ,\t");
    if (n == 0) break;
    int rc = classic_origin(c, l, s, n);
    if (rc < 0) return rc;
    if (rc == 1) *any = 1;
    (*entries)++;
    s += n;
  }
  return 0;
}

static int set_classic_origins(sioc_options_t *o, const ctx_t *c, const cJSON *v) {
  const char *what = "a string of \"host:port\" entries (\"*:*\" for any origin)";
  strlist_t l = {0};
  int any = 0, rc = 0;
  size_t entries = 0;
  if (cJSON_IsString(v)) {
    rc = classic_origins_str(c, &l, v->valuestring, &any, &entries);
  } else if (cJSON_IsArray(v)) {
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
      if (!cJSON_IsString(e)) {
        strlist_free(&l);
        return bad(c, what);
      }
      if ((rc = classic_origins_str(c, &l, e->valuestring, &any, &entries))) break;
    }
  } else {
    return bad(c, what);
  }
  if (rc == 0 && entries == 0) {
    strlist_free(&l);
    return bad(c, what);
  }
  if (rc == 0 && any) {
    strlist_free(&l);
    rc = strlist_push(&l, "*", 1);
  }
  if (rc) {
    strlist_free(&l);
    return rc;
  }
  commit_origins(o, &l, 1);
  return 0;
}

/* ---- the name table ----------------------------------------------------- */

static void classic_timeouts(sioc_options_t *o) {
  uint32_t a = o->classic_hb_timeout_ms, b = o->classic_close_timeout_ms;
  o->opts.ping_timeout_ms = a > b ? a : b;
}

static int set_modern(sioc_options_t *o, const ctx_t *c, const cJSON *v) {
  const char *n = c->name;
  sioc_server_options_t *s = &o->opts;
  if (strcmp(n, "path") == 0) return set_path(o, c, v);
  if (strcmp(n, "pingInterval") == 0) return set_ms(c, v, &s->ping_interval_ms);
  if (strcmp(n, "pingTimeout") == 0) return set_ms(c, v, &s->ping_timeout_ms);
  if (strcmp(n, "connectTimeout") == 0) return set_ms(c, v, &s->connect_timeout_ms);
  if (strcmp(n, "upgradeTimeout") == 0) return set_ms(c, v, &s->upgrade_timeout_ms);
  if (strcmp(n, "maxHttpBufferSize") == 0)
    return set_size(c, v, 1, "a positive integer (bytes)", &s->max_http_buffer_size);
  if (strcmp(n, "transports") == 0) return set_transports(o, c, v);
  if (strcmp(n, "allowUpgrades") == 0) return set_bool(c, v, &s->allow_upgrades);
  if (strcmp(n, "cors") == 0) return set_cors(o, c, v);
  if (strcmp(n, "allowEIO3") == 0) {
    if (cJSON_IsFalse(v)) return 0;
    if (cJSON_IsTrue(v)) {
      msg(c, "option \"allowEIO3\": Engine.IO v3 clients are not supported");
      return SIOC_EINVAL;
    }
    return bad(c, "false");
  }
  if (strcmp(n, "perMessageDeflate") == 0)
    return only_false(c, v, "WebSocket compression is not implemented; use false");
  if (strcmp(n, "httpCompression") == 0)
    return only_false(c, v, "HTTP compression is not implemented; use false");
  if (strcmp(n, "cookie") == 0)
    return only_false(c, v, "the io cookie is not implemented; use false");
  if (strcmp(n, "addTrailingSlash") == 0) {
    int ignored;
    return set_bool(c, v, &ignored);
  }
  if (strcmp(n, "maxAttachments") == 0)
    return set_size(c, v, 0, "an integer >= 0", &s->max_attachments);
  if (strcmp(n, "maxHeaderBytes") == 0)
    return set_size(c, v, 1, "a positive integer (bytes)", &s->max_header_bytes);
  if (strcmp(n, "maxWebSocketFragments") == 0)
    return set_size(c, v, 1, "a positive integer", &s->max_ws_fragments);
  if (strcmp(n, "maxBufferedBytes") == 0)
    return set_size(c, v, 0, "an integer >= 0 (bytes, 0: unlimited)",
                    &s->max_buffered_bytes);
  if (strcmp(n, "maxConnections") == 0)
    return set_size(c, v, 0, "an integer >= 0 (0: unlimited)", &s->max_connections);
  return 1; /* not a modern name */
}

/* socket.io 4 names that only the host can implement. */
static const char *const host_names[] = {
    "allowRequest", "serveClient", "adapter", "parser",
    "connectionStateRecovery", "cleanupEmptyChildNamespaces", "wsEngine",
    "initialPacket", "destroyUpgrade", "destroyUpgradeTimeout", NULL};

/* 0.9 keys without an equivalent. */
static const char *const classic_dead[] = {
    "store", "logger", "static", "blacklist", "log colors",
    "polling duration", "flash policy server", "flash policy port",
    "browser client cache", "browser client minification",
    "browser client etag", "browser client expires", "browser client gzip",
    "browser client handler", "match origin protocol",
    "client store expiration", NULL};

static int in(const char *const *list, const char *n) {
  for (; *list; list++)
    if (strcmp(*list, n) == 0) return 1;
  return 0;
}

static int host_handled(const ctx_t *c) {
  msg(c, "option \"%s\" is handled by the host binding, not by sioc's core",
      c->name);
  return SIOC_ENOTFOUND;
}

static int set_classic(sioc_options_t *o, const ctx_t *c, const cJSON *v) {
  const char *n = c->name;
  sioc_server_options_t *s = &o->opts;
  uint32_t ms;
  int rc;
  if (strcmp(n, "heartbeat interval") == 0) {
    if ((rc = get_seconds(c, v, &ms))) return rc;
    s->ping_interval_ms = ms;
    return 0;
  }
  if (strcmp(n, "heartbeat timeout") == 0) {
    if ((rc = get_seconds(c, v, &ms))) return rc;
    o->classic_hb_timeout_ms = ms;
    classic_timeouts(o);
    return 0;
  }
  if (strcmp(n, "close timeout") == 0) {
    if ((rc = get_seconds(c, v, &ms))) return rc;
    o->classic_close_timeout_ms = ms;
    classic_timeouts(o);
    return 0;
  }
  if (strcmp(n, "destroy buffer size") == 0)
    return set_size(c, v, 1, "a positive integer (bytes)", &s->max_http_buffer_size);
  if (strcmp(n, "origins") == 0) return set_classic_origins(o, c, v);
  if (strcmp(n, "resource") == 0) return set_path(o, c, v);
  if (strcmp(n, "log level") == 0) {
    double d;
    if (get_int(v, 0, 3, &d)) return bad(c, "0, 1, 2 or 3");
    return host_handled(c);
  }
  if (strcmp(n, "log") == 0 || strcmp(n, "browser client") == 0) {
    int b;
    if ((rc = set_bool(c, v, &b))) return rc;
    return host_handled(c);
  }
  if (strcmp(n, "authorization") == 0) return host_handled(c);
  if (strcmp(n, "heartbeats") == 0 || strcmp(n, "destroy upgrade") == 0) {
    /* Always on in sioc (heartbeats; closing upgrades for other paths):
     * io.enable() of them is fine, disabling them is not possible. */
    int b;
    if ((rc = set_bool(c, v, &b))) return rc;
    if (!b) {
      msg(c, "classic option \"%s\" cannot be disabled in socket.io 4 / sioc", n);
      return SIOC_EINVAL;
    }
    return 0;
  }
  if (in(classic_dead, n)) {
    msg(c, "classic option \"%s\" has no equivalent in socket.io 4 / sioc", n);
    return SIOC_EINVAL;
  }
  return 1;
}

/* ---- public API --------------------------------------------------------- */

sioc_options_t *sioc_options_new(void) {
  sioc_options_t *o = calloc(1, sizeof(*o));
  if (o) sioc_server_options_init(&o->opts);
  return o;
}

void sioc_options_free(sioc_options_t *o) {
  if (!o) return;
  free(o->path);
  for (size_t i = 0; i < o->n_origins; i++) free(o->origins[i]);
  free(o->origins);
  free(o->cors_methods);
  free(o->cors_allowed_headers);
  free(o);
}

const sioc_server_options_t *sioc_options_get(const sioc_options_t *o) {
  return o ? &o->opts : NULL;
}

int sioc_options_set(sioc_options_t *o, const char *name, const char *value,
                     size_t len, char *err, size_t errlen) {
  ctx_t c = {name ? name : "", value ? value : "", value ? len : 0, err, errlen};
  if (err && errlen) err[0] = '\0';
  if (!o || !name || !value) {
    msg(&c, "sioc_options_set: missing builder, name or value");
    return SIOC_EINVAL;
  }
  if (in(host_names, name)) return host_handled(&c);
  /* Text that is not JSON reaches the setters as NULL, which fails every
   * type check, so the message says what the option must be. */
  cJSON *v = NULL;
  if (sioc__json_check(value, len) >= 0) {
    v = cJSON_ParseWithLength(value, len);
    /* cJSON refuses a little of what the strict scanner accepts (escaped
     * lone surrogates, numbers longer than 63 characters); no option takes
     * such values, so they fail the type check like non-JSON.  Otherwise
     * NULL means an allocation failed: probe for that. */
    if (!v) {
      void *probe = malloc(len + 256);
      if (!probe) {
        msg(&c, "option \"%s\": out of memory", name);
        return SIOC_ENOMEM;
      }
      free(probe);
    }
  }
  int rc = set_modern(o, &c, v);
  if (rc == 1) rc = set_classic(o, &c, v);
  if (rc == 1) {
    msg(&c, "unknown option \"%s\"", name);
    rc = SIOC_EINVAL;
  } else if (rc == SIOC_ENOMEM) {
    msg(&c, "option \"%s\": out of memory", name);
  }
  cJSON_Delete(v);
  return rc;
}

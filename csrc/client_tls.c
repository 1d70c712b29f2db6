/* client_tls.c - the client's byte stream: name resolution, TCP, and TLS
 * through OpenSSL memory BIOs (no socket BIO: libuv does the I/O).
 *
 * Invariants: on_connect runs exactly once (unless closed first); on_data
 * and on_end only after a successful on_connect; nothing runs after
 * sioc__cstream_close().  The struct is freed when the TCP handle's close
 * callback ran and no getaddrinfo request is pending.  Certificates are
 * verified (chain and host name, via SSL_set1_host) unless verification is
 * off.
 */
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_net.h"

struct sioc__cstream_s {
  uv_loop_t *loop;
  uv_getaddrinfo_t gai;
  uv_tcp_t tcp;
  uv_connect_t creq;
  SSL *ssl;
  BIO *net;                 /* our side of the BIO pair */
  sioc__cstream_cbs_t cbs;
  void *ud;
  char *host;
  int port;
  int verify;
  int gai_pending;
  int tcp_init;
  int connected;            /* on_connect(0) delivered */
  int closed;               /* closed by the owner or after an error */
  int freed_handle;
};

static void maybe_free(sioc__cstream_t *s) {
  if (!s->closed || s->gai_pending || (s->tcp_init && !s->freed_handle)) return;
  if (s->ssl) SSL_free(s->ssl);
  if (s->net) BIO_free(s->net);
  free(s->host);
  free(s);
}

static void on_tcp_closed(uv_handle_t *h) {
  sioc__cstream_t *s = h->data;
  s->freed_handle = 1;
  maybe_free(s);
}

void sioc__cstream_close(sioc__cstream_t *s) {
  if (!s || s->closed) return;
  s->closed = 1;
  if (s->gai_pending) uv_cancel((uv_req_t *)&s->gai);
  if (s->tcp_init && !uv_is_closing((uv_handle_t *)&s->tcp))
    uv_close((uv_handle_t *)&s->tcp, on_tcp_closed);
  maybe_free(s);
}

/* Failure: tell the owner once (connect or end), then close. */
static void fail(sioc__cstream_t *s, int err, const char *msg) {
  if (s->closed) return;
  if (!s->connected) {
    s->closed = 1;          /* the callback must not see a live stream */
    s->cbs.on_connect(s, err, msg, s->ud);
  } else {
    s->closed = 1;
    s->cbs.on_end(s, err, s->ud);
  }
  s->closed = 0;
  sioc__cstream_close(s);
}

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
} wreq_t;

static void on_written(uv_write_t *req, int status) {
  wreq_t *w = (wreq_t *)req;
  sioc__cstream_t *s = req->handle->data;
  free(w);
  if (status < 0 && status != UV_ECANCELED) fail(s, status, uv_strerror(status));
}

static int raw_write(sioc__cstream_t *s, const void *data, size_t len) {
  wreq_t *w = malloc(sizeof(*w) + len);
  if (!w) return SIOC_ENOMEM;
  memcpy(w + 1, data, len);
  w->buf = uv_buf_init((char *)(w + 1), (unsigned)len);
  int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &w->buf, 1, on_written);
  if (r) free(w);
  return r;
}

/* Moves what OpenSSL produced to the socket. */
static int flush_tls(sioc__cstream_t *s) {
  char buf[16384];
  int n;
  while ((n = BIO_read(s->net, buf, sizeof(buf))) > 0) {
    int r = raw_write(s, buf, (size_t)n);
    if (r) return r;
  }
  return 0;
}

int sioc__cstream_write(sioc__cstream_t *s, const void *data, size_t len) {
  if (s->closed || !s->connected) return SIOC_ECLOSED;
  if (!s->ssl) return raw_write(s, data, len);
  const char *p = data;
  while (len) {
    int n = SSL_write(s->ssl, p, len > 16384 ? 16384 : (int)len);
    if (n <= 0) return SIOC_EPROTO;
    p += n;
    len -= (size_t)n;
    int r = flush_tls(s);
    if (r) return r;
  }
  return 0;
}

static void tls_error_msg(sioc__cstream_t *s, char *msg, size_t n) {
  long vr = SSL_get_verify_result(s->ssl);
  if (vr != X509_V_OK) {
    snprintf(msg, n, "TLS certificate verification failed: %s",
             X509_verify_cert_error_string(vr));
    return;
  }
  unsigned long e = ERR_get_error();
  char tmp[200];
  if (e) ERR_error_string_n(e, tmp, sizeof(tmp));
  else snprintf(tmp, sizeof(tmp), "connection closed");
  snprintf(msg, n, "TLS handshake failed: %s", tmp);
  ERR_clear_error();
}

/* Drives the handshake / reads plaintext after new bytes arrived. */
static void tls_progress(sioc__cstream_t *s) {
  char msg[300];
  if (!s->connected) {
    int r = SSL_do_handshake(s->ssl);
    if (flush_tls(s)) {
      fail(s, SIOC_EPROTO, "write failed");
      return;
    }
    if (r != 1) {
      int e = SSL_get_error(s->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
      tls_error_msg(s, msg, sizeof(msg));
      fail(s, SIOC_EPROTO, msg);
      return;
    }
    s->connected = 1;
    s->cbs.on_connect(s, 0, NULL, s->ud);
    if (s->closed) return;
  }
  char buf[16384];
  for (;;) {
    int n = SSL_read(s->ssl, buf, sizeof(buf));
    if (n > 0) {
      s->cbs.on_data(s, buf, (size_t)n, s->ud);
      if (s->closed) return;
      continue;
    }
    int e = SSL_get_error(s->ssl, n);
    flush_tls(s);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
    if (e == SSL_ERROR_ZERO_RETURN) fail(s, UV_EOF, "end of stream");
    else fail(s, SIOC_EPROTO, "TLS error");
    ERR_clear_error();
    return;
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void on_read_inner(sioc__cstream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  on_read_inner(st->data, n, buf);
  free(buf->base);
}

static void on_read_inner(sioc__cstream_t *s, ssize_t n, const uv_buf_t *buf) {
  if (s->closed) return;
  if (n < 0) {
    if (s->ssl && !s->connected) {
      char msg[300];
      tls_error_msg(s, msg, sizeof(msg));
      fail(s, SIOC_EPROTO, msg);
    } else {
      fail(s, (int)n, uv_strerror((int)n));
    }
    return;
  }
  if (n == 0) return;
  if (!s->ssl) {
    s->cbs.on_data(s, buf->base, (size_t)n, s->ud);
    return;
  }
  if (BIO_write(s->net, buf->base, (int)n) != (int)n) {
    fail(s, SIOC_ENOMEM, "out of memory");
    return;
  }
  tls_progress(s);
}

static void on_connected(uv_connect_t *req, int status) {
  sioc__cstream_t *s = req->data;
  if (s->closed) return;
  if (status < 0) {
    fail(s, status, uv_strerror(status));
    return;
  }
  int r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
  if (r) {
    fail(s, r, uv_strerror(r));
    return;
  }
  if (!s->ssl) {
    s->connected = 1;
    s->cbs.on_connect(s, 0, NULL, s->ud);
    return;
  }
  tls_progress(s);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  sioc__cstream_t *s = req->data;
  s->gai_pending = 0;
  if (s->closed) {
    if (res) uv_freeaddrinfo(res);
    maybe_free(s);
    return;
  }
  if (status < 0 || !res) {
    if (res) uv_freeaddrinfo(res);
    fail(s, status < 0 ? status : UV_EAI_NONAME, "could not resolve host name");
    return;
  }
  int r = uv_tcp_init(s->loop, &s->tcp);
  if (r == 0) {
    s->tcp_init = 1;
    s->tcp.data = s;
    uv_tcp_nodelay(&s->tcp, 1);
    s->creq.data = s;
    r = uv_tcp_connect(&s->creq, &s->tcp, res->ai_addr, on_connected);
  }
  uv_freeaddrinfo(res);
  if (r) fail(s, r, uv_strerror(r));
}

int sioc__cstream_open(uv_loop_t *loop, const char *host, int port, SSL_CTX *ctx,
                       int verify, const sioc__cstream_cbs_t *cbs, void *ud,
                       sioc__cstream_t **out) {
  sioc__cstream_t *s = calloc(1, sizeof(*s));
  if (!s) return SIOC_ENOMEM;
  s->loop = loop;
  s->cbs = *cbs;
  s->ud = ud;
  s->port = port;
  s->verify = verify;
  s->host = strdup(host);
  if (!s->host) goto nomem;
  if (ctx) {
    BIO *inner = NULL;
    s->ssl = SSL_new(ctx);
    if (!s->ssl || !BIO_new_bio_pair(&inner, 0, &s->net, 0)) goto nomem;
    SSL_set_bio(s->ssl, inner, inner);
    SSL_set_connect_state(s->ssl);
    /* SNI only for names, not address literals. */
    unsigned char tmp[16];
    if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1)
      SSL_set_tlsext_host_name(s->ssl, host);
    if (verify) {
      SSL_set_verify(s->ssl, SSL_VERIFY_PEER, NULL);
      X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);
      if (!X509_VERIFY_PARAM_set1_ip_asc(vp, host)) {
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!SSL_set1_host(s->ssl, host)) goto nomem;
      }
    } else {
      SSL_set_verify(s->ssl, SSL_VERIFY_NONE, NULL);
    }
  }
  char portstr[16];
  snprintf(portstr, sizeof(portstr), "%d", port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  s->gai.data = s;
  int r = uv_getaddrinfo(loop, &s->gai, on_resolved, host, portstr, &hints);
  if (r) {
    if (s->ssl) SSL_free(s->ssl);
    if (s->net) BIO_free(s->net);
    free(s->host);
    free(s);
    return r;
  }
  s->gai_pending = 1;
  *out = s;
  return 0;
nomem:
  if (s->ssl) SSL_free(s->ssl);
  if (s->net) BIO_free(s->net);
  free(s->host);
  free(s);
  return SIOC_ENOMEM;
}

SSL_CTX *sioc__tls_ctx_new(const char *ca_file, int verify, char *err,
                           size_t errlen) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    snprintf(err, errlen, "cannot create a TLS context");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (verify) {
    int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
      snprintf(err, errlen, "cannot load CA certificates%s%s",
               ca_file ? " from " : "", ca_file ? ca_file : "");
      ERR_clear_error();
      SSL_CTX_free(ctx);
      return NULL;
    }
  }
  return ctx;
}

/* loadgen.c - sioc's benchmark load generator (see bench/README.md and
 * ../shared/BENCH.md).
 *
 * A lean, single-threaded Socket.IO v5 / Engine.IO v4 client over WebSocket
 * only, on libuv.  It opens N connections with at most K handshakes in flight
 * (TCP connect + HTTP upgrade + Engine.IO open + Socket.IO CONNECT of "/"),
 * answers Engine.IO pings, masks every frame it sends, and runs one scenario:
 *
 *   connect     handshakes/s, then idle; server RSS per idle connection
 *   echo        closed loop: each client keeps --outstanding acks in flight
 *   echo-rate   open loop: --rate acks/s in total, round robin over clients
 *   bcast       at most --outstanding broadcasts in flight; a broadcast is
 *               done when every connected client received it
 *   bcast-rate  open loop: --rate broadcasts/s from rotating senders
 *   smoke       correctness: echo (1 arg, 2 args, 4 KB) and bcast, exact
 *
 * Every payload is a JSON object of exactly --size bytes that carries the
 * send time (ns on the generator's monotonic clock, offset so it always has
 * 15 digits) and a sequence number, so latency is measured send -> receipt
 * on one clock.  It prints one JSON line per run, including its own CPU use
 * (getrusage) and the server's (/proc/PID/stat) over the measured window.
 *
 * Invariants: one thread; reads go to one shared buffer and only the bytes
 * of an incomplete frame are copied to the connection; the tail of a large
 * broadcast frame is counted and discarded, never copied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

enum { ST_IDLE, ST_TCP, ST_HTTP, ST_EIO_OPEN, ST_SIO_CONNECT, ST_READY, ST_CLOSED };
enum { SC_CONNECT, SC_ECHO, SC_ECHO_RATE, SC_BCAST, SC_BCAST_RATE, SC_SMOKE };

typedef struct conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  int idx;
  uint8_t state;
  uint32_t wpending;
  char *pend;
  size_t pend_len, pend_cap;
  char *frag;
  size_t frag_len, frag_cap;
  uint8_t frag_op;
  uint64_t skip;      /* payload bytes of the current frame still to discard */
  uint64_t skip_t;    /* send stamp of that frame */
  uint64_t skip_seq;
  uint64_t skip_size;
  uint32_t ack_id;
  uint32_t rng;
  int smoke_got;
} conn_t;

#define HIST_SUB 1024
#define HIST_HALF 512
#define HIST_N (HIST_SUB + 56 * HIST_HALF)
#define RING 4096
#define T_BASE 100000000000000ULL /* 15 digits */
#define S_BASE 1000000000ULL      /* 10 digits */

typedef struct {
  uint64_t seq, t, expected, got;
  int used;
} bslot_t;

static struct {
  /* config */
  const char *host;
  int port;
  int scenario;
  int clients, inflight, outstanding;
  double rate;
  size_t size;
  double warmup, duration, idle, timeout;
  int server_pid;
  const char *label;
  int verbose;
  /* state */
  uv_loop_t *loop;
  struct sockaddr_in addr;
  int port2;                   /* --port2: odd clients go there (a cluster) */
  struct sockaddr_in addr2;
  conn_t *conns;
  int started, handshaking, ready, failed, closed;
  uint64_t t_origin, t_conn_start, t_conn_end;
  char rbuf[256 * 1024];
  char *wbuf;
  size_t wbuf_cap;
  char *payload; /* template, --size bytes */
  conn_t *cork;  /* the connection whose read is being handled */
  char *corkbuf;
  size_t cork_len, cork_cap;
  uv_timer_t phase_timer, tick_timer;
  int phase; /* 0 connecting, 1 warmup, 2 measuring, 3 done */
  /* measurement */
  uint64_t hist[HIST_N];
  uint64_t nsamples;
  uint64_t acks, deliveries, dbytes, sent_msgs;
  uint64_t m_start, m_end;
  struct rusage ru0, ru1;
  long scpu0, scpu1;
  long rss_before, rss_after;
  /* bcast */
  bslot_t ring[RING];
  uint64_t bseq;
  int binflight;
  int next_sender;
  uint64_t lost;
  /* rate */
  uint64_t rate_t0, rate_sent;
  int rr;
  /* smoke */
  int smoke_step, smoke_pending;
  char smoke_err[512];
  char *smoke_big;
} g;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

/* ---- histogram (log-linear, ~0.2% precision, ns) ------------------------- */

static inline void hist_add(uint64_t v) {
  size_t idx;
  if (v < HIST_SUB) idx = (size_t)v;
  else {
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 9;
    idx = HIST_SUB + (size_t)(shift - 1) * HIST_HALF + (size_t)((v >> shift) - HIST_HALF);
    if (idx >= HIST_N) idx = HIST_N - 1;
  }
  g.hist[idx]++;
  g.nsamples++;
}

static double hist_value(size_t idx) {
  if (idx < HIST_SUB) return (double)idx;
  size_t k = idx - HIST_SUB;
  int shift = (int)(k / HIST_HALF) + 1;
  uint64_t m = k % HIST_HALF + HIST_HALF;
  return (double)(m << shift) + (double)(1ULL << shift) / 2.0;
}

static double hist_pct(double p) {
  if (!g.nsamples) return -1;
  uint64_t want = (uint64_t)(p * (double)g.nsamples + 0.999999);
  if (want < 1) want = 1;
  uint64_t cum = 0;
  for (size_t i = 0; i < HIST_N; i++) {
    cum += g.hist[i];
    if (cum >= want) return hist_value(i);
  }
  return hist_value(HIST_N - 1);
}

/* ---- process stats -------------------------------------------------------- */

static long read_rss_kb(int pid) {
  if (pid <= 0) return -1;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

/* utime + stime of the whole process (all threads), in clock ticks. */
static long read_cpu_ticks(int pid) {
  if (pid <= 0) return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2; /* state is field 3 */
  long ut = 0, st = 0;
  for (int field = 3; field <= 15 && p; field++) {
    if (field == 14) ut = strtol(p, NULL, 10);
    if (field == 15) st = strtol(p, NULL, 10);
    p = strchr(p, ' ');
    if (p) p++;
  }
  return ut + st;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

/* ---- payloads ------------------------------------------------------------- */

static void put_digits(char *dst, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--) {
    dst[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

/* {"t":<15 digits>,"s":<10 digits>,"p":"xxx..."} of exactly g.size bytes */
static void make_template(void) {
  const size_t fixed = 43;
  if (g.size < fixed + 1) die("--size must be at least %zu", fixed + 1);
  g.payload = malloc(g.size + 1);
  char *p = g.payload;
  memcpy(p, "{\"t\":", 5);
  memset(p + 5, '1', 15);
  memcpy(p + 20, ",\"s\":", 5);
  memset(p + 25, '1', 10);
  memcpy(p + 35, ",\"p\":\"", 6);
  size_t pad = g.size - fixed;
  for (size_t i = 0; i < pad; i++) p[41 + i] = (char)('a' + i % 26);
  memcpy(p + 41 + pad, "\"}", 2);
  p[g.size] = '\0';
}

static inline void stamp(char *payload, uint64_t now, uint64_t seq) {
  put_digits(payload + 5, T_BASE + (now - g.t_origin), 15);
  put_digits(payload + 25, S_BASE + (seq % (9 * S_BASE)), 10);
}

/* Finds "key": followed by an integer in m[0..n); tolerant of spaces. */
static int find_num(const char *m, size_t n, char key, uint64_t *out) {
  for (size_t i = 0; i + 3 < n; i++) {
    if (m[i] == '"' && m[i + 1] == key && m[i + 2] == '"') {
      size_t j = i + 3;
      while (j < n && (m[j] == ' ' || m[j] == ':')) j++;
      uint64_t v = 0;
      size_t d = 0;
      while (j < n && m[j] >= '0' && m[j] <= '9') {
        v = v * 10 + (uint64_t)(m[j] - '0');
        j++;
        d++;
      }
      if (!d) return -1;
      *out = v;
      return 0;
    }
  }
  return -1;
}

/* ---- writing -------------------------------------------------------------- */

static void conn_close(conn_t *c, const char *why);

static void on_write(uv_write_t *req, int status) {
  conn_t *c = req->data;
  c->wpending--;
  free(req);
  if (status < 0 && status != UV_ECANCELED) conn_close(c, uv_strerror(status));
}

static void conn_write_now(conn_t *c, const char *buf, size_t len);

/* While one connection's read is handled, what it sends is gathered and
 * written once at the end (one syscall per read, as a client that answers
 * several messages at once would do); anything else goes out at once. */
static void conn_write(conn_t *c, const char *buf, size_t len) {
  if (g.cork == c) {
    if (g.cork_len + len > g.cork_cap) {
      g.cork_cap = (g.cork_len + len) * 2;
      g.corkbuf = realloc(g.corkbuf, g.cork_cap);
      if (!g.corkbuf) die("out of memory");
    }
    memcpy(g.corkbuf + g.cork_len, buf, len);
    g.cork_len += len;
    return;
  }
  conn_write_now(c, buf, len);
}

static void conn_write_now(conn_t *c, const char *buf, size_t len) {
  if (c->state == ST_CLOSED || c->state == ST_IDLE) return;
  if (!c->wpending) {
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == (int)len) return;
    if (n < 0 && n != UV_EAGAIN) {
      conn_close(c, uv_strerror(n));
      return;
    }
    if (n < 0) n = 0;
    buf += n;
    len -= (size_t)n;
  }
  uv_write_t *req = malloc(sizeof *req + len);
  if (!req) die("out of memory");
  memcpy(req + 1, buf, len);
  req->data = c;
  uv_buf_t b = uv_buf_init((char *)(req + 1), (unsigned)len);
  c->wpending++;
  int r = uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (r < 0) {
    c->wpending--;
    free(req);
    conn_close(c, uv_strerror(r));
  }
}

static inline uint32_t xorshift(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x ? x : 0x9e3779b9u;
}

/* One masked frame whose payload is the concatenation of up to 3 parts. */
static void ws_send3(conn_t *c, int op, const char *a, size_t al, const char *b, size_t bl,
                     const char *d, size_t dl) {
  size_t len = al + bl + dl;
  size_t need = len + 14;
  if (need > g.wbuf_cap) {
    g.wbuf_cap = need * 2;
    g.wbuf = realloc(g.wbuf, g.wbuf_cap);
    if (!g.wbuf) die("out of memory");
  }
  unsigned char *f = (unsigned char *)g.wbuf;
  size_t h = 0;
  f[h++] = (unsigned char)(0x80 | op);
  if (len < 126) f[h++] = (unsigned char)(0x80 | len);
  else if (len < 65536) {
    f[h++] = 0x80 | 126;
    f[h++] = (unsigned char)(len >> 8);
    f[h++] = (unsigned char)len;
  } else {
    f[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) f[h++] = (unsigned char)((uint64_t)len >> (8 * i));
  }
  uint32_t mk = xorshift(&c->rng);
  unsigned char mask[4];
  memcpy(mask, &mk, 4);
  memcpy(f + h, mask, 4);
  h += 4;
  unsigned char *out = f + h;
  size_t k = 0;
  const char *parts[3] = {a, b, d};
  size_t lens[3] = {al, bl, dl};
  for (int p = 0; p < 3; p++)
    for (size_t i = 0; i < lens[p]; i++, k++) out[k] = (unsigned char)parts[p][i] ^ mask[k & 3];
  conn_write(c, g.wbuf, h + len);
}

static void ws_send(conn_t *c, int op, const char *a, size_t al) {
  ws_send3(c, op, a, al, NULL, 0, NULL, 0);
}

/* ---- scenario actions ---------------------------------------------------- */

static void send_echo(conn_t *c, uint64_t now) {
  char pre[32];
  int pl = snprintf(pre, sizeof pre, "42%u[\"echo\",", ++c->ack_id);
  stamp(g.payload, now, c->ack_id);
  ws_send3(c, 1, pre, (size_t)pl, g.payload, g.size, "]", 1);
  g.sent_msgs++;
}

static int next_ready_conn(void) {
  for (int k = 0; k < g.clients; k++) {
    int i = g.next_sender;
    g.next_sender = (g.next_sender + 1) % g.clients;
    if (g.conns[i].state == ST_READY) return i;
  }
  return -1;
}

static void send_bcast(uint64_t now) {
  int i = next_ready_conn();
  if (i < 0) return;
  uint64_t seq = ++g.bseq;
  bslot_t *s = &g.ring[seq % RING];
  if (s->used) { /* ring wrapped: count it lost */
    g.lost++;
    if (g.scenario == SC_BCAST) g.binflight--;
  }
  s->used = 1;
  s->seq = seq;
  s->t = now;
  s->got = 0;
  s->expected = (uint64_t)g.ready;
  g.binflight++;
  stamp(g.payload, now, seq);
  ws_send3(&g.conns[i], 1, "42[\"bcast\",", 11, g.payload, g.size, "]", 1);
  g.sent_msgs++;
}

static void on_bcast_recv(conn_t *c, uint64_t t, uint64_t seq, size_t bytes, uint64_t now) {
  (void)c;
  if (g.phase == 2) {
    g.deliveries++;
    g.dbytes += bytes;
    hist_add(now - t);
  }
  bslot_t *s = &g.ring[seq % RING];
  if (s->used && s->seq == seq && ++s->got >= s->expected) {
    s->used = 0;
    g.binflight--;
    if (g.scenario == SC_BCAST && g.phase >= 1 && g.phase < 3)
      while (g.binflight < g.outstanding) send_bcast(now);
  }
}

static void on_ack_recv(conn_t *c, uint64_t t, uint64_t now) {
  if (g.phase == 2) {
    g.acks++;
    hist_add(now - t);
  }
  if (g.scenario == SC_ECHO && g.phase >= 1 && g.phase < 3) send_echo(c, now);
}

/* ---- smoke ---------------------------------------------------------------- */

static const char SMOKE_A[] = "{\"t\":100000000000001,\"s\":1000000001,\"a\":[1,2,3],\"b\":true,"
                              "\"c\":null,\"d\":{\"e\":\"f g\"},\"p\":\"abcdefghij\"}";

static void smoke_fail(const char *fmt, ...) {
  if (g.smoke_err[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g.smoke_err, sizeof g.smoke_err, fmt, ap);
  va_end(ap);
}

/* compare two JSON texts ignoring whitespace outside strings */
static int json_eq(const char *a, size_t an, const char *b, size_t bn) {
  size_t i = 0, j = 0;
  int sa = 0, sb = 0;
  for (;;) {
    while (i < an && !sa && strchr(" \t\r\n", a[i])) i++;
    while (j < bn && !sb && strchr(" \t\r\n", b[j])) j++;
    if (i == an || j == bn) return i == an && j == bn;
    if (a[i] != b[j]) return 0;
    if (a[i] == '"' && (i == 0 || a[i - 1] != '\\')) sa = !sa;
    if (b[j] == '"' && (j == 0 || b[j - 1] != '\\')) sb = !sb;
    i++;
    j++;
  }
}

static void finish(void);

static void smoke_start(void) {
  /* step 1: every client echoes; client k uses the k%3-th form */
  size_t bl = 4096;
  g.smoke_big = malloc(bl + 1);
  size_t o = (size_t)snprintf(g.smoke_big, bl, "{\"t\":100000000000002,\"s\":1000000002,\"p\":\"");
  for (; o < bl - 2; o++) g.smoke_big[o] = (char)('A' + o % 26);
  g.smoke_big[o++] = '"';
  g.smoke_big[o++] = '}';
  g.smoke_big[o] = '\0';
  g.smoke_step = 1;
  g.smoke_pending = 0;
  for (int i = 0; i < g.clients; i++) {
    conn_t *c = &g.conns[i];
    if (c->state != ST_READY) continue;
    char pre[32];
    int pl = snprintf(pre, sizeof pre, "42%u[\"echo\",", ++c->ack_id);
    switch (i % 3) {
    case 0: ws_send3(c, 1, pre, (size_t)pl, SMOKE_A, strlen(SMOKE_A), "]", 1); break;
    case 1: ws_send3(c, 1, pre, (size_t)pl, SMOKE_A, strlen(SMOKE_A), ",2,\"x\"]", 7); break;
    case 2: ws_send3(c, 1, pre, (size_t)pl, g.smoke_big, strlen(g.smoke_big), "]", 1); break;
    }
    g.smoke_pending++;
  }
}

static void smoke_msg(conn_t *c, const char *m, size_t n) {
  /* m is the Socket.IO packet without the leading Engine.IO '4' */
  if (g.smoke_step == 1 && n > 0 && m[0] == '3') {
    char want[64];
    int wl = snprintf(want, sizeof want, "3%u[", c->ack_id);
    if (n < (size_t)wl + 1 || memcmp(m, want, (size_t)wl) != 0) {
      smoke_fail("client %d: ack %.40s does not start with %s", c->idx, m, want);
      return;
    }
    const char *body = m + wl - 1;
    size_t bn = n - (size_t)wl + 1;
    char *exp = malloc(8192);
    size_t el;
    switch (c->idx % 3) {
    case 0: el = (size_t)snprintf(exp, 8192, "[%s]", SMOKE_A); break;
    case 1: el = (size_t)snprintf(exp, 8192, "[%s,2,\"x\"]", SMOKE_A); break;
    default: el = (size_t)snprintf(exp, 8192, "[%s]", g.smoke_big); break;
    }
    int ok = json_eq(body, bn, exp, el);
    free(exp);
    if (!ok) {
      smoke_fail("client %d: echo ack body differs: got %.*s", c->idx, (int)(bn > 200 ? 200 : bn), body);
      return;
    }
    if (c->smoke_got++) smoke_fail("client %d: two acks", c->idx);
    if (--g.smoke_pending == 0) {
      g.smoke_step = 2;
      for (int i = 0; i < g.clients; i++) g.conns[i].smoke_got = 0;
      g.smoke_pending = g.ready;
      ws_send3(&g.conns[0], 1, "42[\"bcast\",", 11, SMOKE_A, strlen(SMOKE_A), ",\"two\"]", 7);
    }
    return;
  }
  if (n > 9 && memcmp(m, "2[\"bcast\"", 9) == 0) {
    if (g.smoke_step != 2) {
      smoke_fail("client %d: bcast before any was sent", c->idx);
      return;
    }
    char exp[512];
    int el = snprintf(exp, sizeof exp, "2[\"bcast\",%s,\"two\"]", SMOKE_A);
    if (!json_eq(m, n, exp, (size_t)el)) {
      smoke_fail("client %d: bcast differs: got %.*s", c->idx, (int)(n > 200 ? 200 : n), m);
      return;
    }
    if (c->smoke_got++) smoke_fail("client %d: bcast received twice", c->idx);
    if (--g.smoke_pending == 0) {
      g.smoke_step = 3;
      uv_timer_start(&g.phase_timer, (uv_timer_cb)finish, 200, 0); /* catch duplicates */
    }
  }
}

/* ---- receiving -------------------------------------------------------------- */

static void on_all_connected(void);

static void conn_ready(conn_t *c) {
  c->state = ST_READY;
  g.handshaking--;
  g.ready++;
  if (g.ready + g.failed == g.clients) {
    g.t_conn_end = uv_hrtime();
    on_all_connected();
  }
}

static void start_more(void);

static void sio_msg(conn_t *c, const char *m, size_t n, uint64_t now) {
  if (!n) return;
  if (g.scenario == SC_SMOKE && c->state == ST_READY) {
    smoke_msg(c, m, n);
    return;
  }
  switch (m[0]) {
  case '0':
    if (c->state == ST_SIO_CONNECT) {
      conn_ready(c);
      start_more();
    }
    break;
  case '2':
    if (n > 10 && memcmp(m, "2[\"bcast\",", 10) == 0) {
      uint64_t t, s;
      size_t lim = n < 96 ? n : 96;
      if (find_num(m, lim, 't', &t) == 0 && find_num(m, lim, 's', &s) == 0)
        on_bcast_recv(c, t - T_BASE + g.t_origin, s - S_BASE, n + 1, now);
    }
    break;
  case '3': {
    uint64_t t;
    size_t lim = n < 96 ? n : 96;
    if (find_num(m, lim, 't', &t) == 0) on_ack_recv(c, t - T_BASE + g.t_origin, now);
    break;
  }
  case '4':
    conn_close(c, "connect_error");
    break;
  }
}

static void eio_msg(conn_t *c, const char *m, size_t n, uint64_t now) {
  if (!n) return;
  switch (m[0]) {
  case '4': sio_msg(c, m + 1, n - 1, now); break;
  case '2': { /* ping -> pong with the same data */
    char pong[64];
    size_t pl = n < sizeof pong ? n : sizeof pong;
    memcpy(pong, m, pl);
    pong[0] = '3';
    ws_send(c, 1, pong, pl);
    break;
  }
  case '0':
    if (c->state == ST_EIO_OPEN) {
      c->state = ST_SIO_CONNECT;
      ws_send(c, 1, "40", 2);
    }
    break;
  case '1': conn_close(c, "engine.io close"); break;
  }
}

static void ws_msg(conn_t *c, int op, char *m, size_t n, uint64_t now) {
  if (op == 1) eio_msg(c, m, n, now);
}

static void frag_add(conn_t *c, const char *p, size_t n) {
  if (c->frag_len + n > c->frag_cap) {
    c->frag_cap = (c->frag_len + n) * 2;
    c->frag = realloc(c->frag, c->frag_cap);
    if (!c->frag) die("out of memory");
  }
  memcpy(c->frag + c->frag_len, p, n);
  c->frag_len += n;
}

/* Consumes whole frames (and skipped tails) from p[0..n); returns bytes used. */
static size_t ws_parse(conn_t *c, char *p, size_t n, uint64_t now) {
  size_t off = 0;
  while (c->state != ST_CLOSED) {
    if (c->skip) {
      size_t k = n - off < c->skip ? n - off : (size_t)c->skip;
      c->skip -= k;
      off += k;
      if (c->skip) return off;
      on_bcast_recv(c, c->skip_t, c->skip_seq, c->skip_size, now);
      continue;
    }
    size_t avail = n - off;
    if (avail < 2) return off;
    unsigned char *f = (unsigned char *)p + off;
    int fin = f[0] & 0x80, op = f[0] & 0x0f, masked = f[1] & 0x80;
    uint64_t plen = f[1] & 0x7f;
    size_t hl = 2;
    if (plen == 126) {
      if (avail < 4) return off;
      plen = ((uint64_t)f[2] << 8) | f[3];
      hl = 4;
    } else if (plen == 127) {
      if (avail < 10) return off;
      plen = 0;
      for (int i = 0; i < 8; i++) plen = (plen << 8) | f[2 + i];
      hl = 10;
    }
    if (masked) hl += 4;
    if (avail < hl) return off;
    /* a large unfragmented broadcast: read its stamp, discard the rest */
    if (g.scenario != SC_SMOKE && fin && op == 1 && !masked && plen > 256) {
      if (avail < hl + 96) return off;
      const char *m = (const char *)f + hl;
      uint64_t t, s;
      if (memcmp(m, "42[\"bcast\",", 11) == 0 && find_num(m, 96, 't', &t) == 0 &&
          find_num(m, 96, 's', &s) == 0) {
        c->skip = plen;
        c->skip_t = t - T_BASE + g.t_origin;
        c->skip_seq = s - S_BASE;
        c->skip_size = plen;
        off += hl;
        continue;
      }
    }
    if (avail - hl < plen) return off;
    char *m = (char *)f + hl;
    if (masked) {
      unsigned char *mk = f + hl - 4;
      for (uint64_t i = 0; i < plen; i++) m[i] ^= (char)mk[i & 3];
    }
    off += hl + (size_t)plen;
    if (op == 8) {
      conn_close(c, "websocket close");
      return off;
    } else if (op == 9) {
      ws_send(c, 10, m, (size_t)plen);
    } else if (op == 10) {
      /* pong */
    } else if (op == 0 || !fin) {
      if (op) c->frag_op = (uint8_t)op;
      frag_add(c, m, (size_t)plen);
      if (fin) {
        ws_msg(c, c->frag_op, c->frag, c->frag_len, now);
        c->frag_len = 0;
      }
    } else {
      ws_msg(c, op, m, (size_t)plen, now);
    }
  }
  return off;
}

static void pend_add(conn_t *c, const char *p, size_t n) {
  if (c->pend_len + n > c->pend_cap) {
    c->pend_cap = (c->pend_len + n) * 2;
    if (c->pend_cap < 256) c->pend_cap = 256;
    c->pend = realloc(c->pend, c->pend_cap);
    if (!c->pend) die("out of memory");
  }
  memcpy(c->pend + c->pend_len, p, n);
  c->pend_len += n;
}

static void conn_feed(conn_t *c, char *data, size_t n, uint64_t now) {
  if (c->state == ST_HTTP) {
    pend_add(c, data, n);
    char *end = memmem(c->pend, c->pend_len, "\r\n\r\n", 4);
    if (!end) return;
    if (c->pend_len < 12 || memcmp(c->pend + 9, "101", 3) != 0) {
      conn_close(c, "upgrade refused");
      return;
    }
    size_t hl = (size_t)(end + 4 - c->pend);
    c->pend_len -= hl;
    memmove(c->pend, c->pend + hl, c->pend_len);
    c->state = ST_EIO_OPEN;
    data = NULL;
    n = 0;
  }
  if (c->pend_len) {
    if (n) pend_add(c, data, n);
    size_t used = ws_parse(c, c->pend, c->pend_len, now);
    if (c->state == ST_CLOSED) return;
    c->pend_len -= used;
    if (c->pend_len) memmove(c->pend, c->pend + used, c->pend_len);
    else if (c->pend_cap > 65536) {
      free(c->pend);
      c->pend = NULL;
      c->pend_cap = 0;
    }
  } else if (n) {
    size_t used = ws_parse(c, data, n, now);
    if (c->state == ST_CLOSED) return;
    if (used < n) pend_add(c, data + used, n - used);
  }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)h;
  (void)hint;
  *buf = uv_buf_init(g.rbuf, sizeof g.rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = s->data;
  if (nread < 0) {
    conn_close(c, nread == UV_EOF ? "eof" : uv_strerror((int)nread));
    return;
  }
  if (nread == 0) return;
  g.cork = c;
  g.cork_len = 0;
  conn_feed(c, buf->base, (size_t)nread, uv_hrtime());
  g.cork = NULL;
  if (g.cork_len) conn_write_now(c, g.corkbuf, g.cork_len);
}

/* ---- connecting --------------------------------------------------------------- */

static void conn_close(conn_t *c, const char *why) {
  if (c->state == ST_CLOSED || c->state == ST_IDLE) return;
  if (g.verbose) fprintf(stderr, "loadgen: conn %d closed (%s) in state %d\n", c->idx, why, c->state);
  int was = c->state;
  c->state = ST_CLOSED;
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_close((uv_handle_t *)&c->tcp, NULL);
  if (was == ST_READY) {
    g.ready--;
    g.closed++;
    if (g.scenario == SC_SMOKE) smoke_fail("client %d closed (%s)", c->idx, why);
  } else {
    g.handshaking--;
    g.failed++;
    if (g.ready + g.failed == g.clients) {
      g.t_conn_end = uv_hrtime();
      on_all_connected();
    } else start_more();
  }
}

static const char UPGRADE_FMT[] =
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    "Host: %s:%d\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

static void on_connect(uv_connect_t *req, int status) {
  conn_t *c = req->data;
  if (status < 0) {
    conn_close(c, uv_strerror(status));
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  c->state = ST_HTTP;
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  char req_buf[512];
  int l = snprintf(req_buf, sizeof req_buf, UPGRADE_FMT, g.host,
                   g.port2 && (c->idx & 1) ? g.port2 : g.port);
  conn_write(c, req_buf, (size_t)l);
}

static void start_more(void) {
  while (g.started < g.clients && g.handshaking < g.inflight) {
    conn_t *c = &g.conns[g.started];
    c->idx = g.started++;
    c->rng = 0x12345u + (uint32_t)c->idx * 2654435761u;
    if (!c->rng) c->rng = 1;
    uv_tcp_init(g.loop, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    c->state = ST_TCP;
    g.handshaking++;
    const struct sockaddr_in *to = g.port2 && (c->idx & 1) ? &g.addr2 : &g.addr;
    int r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)to, on_connect);
    if (r < 0) {
      /* conn_close() recurses into start_more(); bounded by g.clients */
      conn_close(c, uv_strerror(r));
    }
  }
}

/* ---- phases ----------------------------------------------------------------------- */

static void print_result(int ok) {
  double wall = (double)(g.m_end - g.m_start) / 1e9;
  double gcpu = (tv_s(g.ru1.ru_utime) - tv_s(g.ru0.ru_utime)) +
                (tv_s(g.ru1.ru_stime) - tv_s(g.ru0.ru_stime));
  double scpu = (g.scpu0 >= 0 && g.scpu1 >= 0)
                    ? (double)(g.scpu1 - g.scpu0) / (double)sysconf(_SC_CLK_TCK)
                    : -1;
  const char *names[] = {"connect", "echo", "echo-rate", "bcast", "bcast-rate", "smoke"};
  double hs_wall = (double)(g.t_conn_end - g.t_conn_start) / 1e9;
  printf("{\"scenario\":\"%s\",\"server\":\"%s\",\"ok\":%s,\"clients\":%d,\"connected\":%d,"
         "\"failed\":%d,\"closed\":%d,\"size\":%zu,\"outstanding\":%d,\"rate\":%.0f,"
         "\"handshakes_per_s\":%.0f,\"connect_s\":%.3f",
         names[g.scenario], g.label, ok ? "true" : "false", g.clients, g.ready + g.closed,
         g.failed, g.closed, g.size, g.outstanding, g.rate,
         hs_wall > 0 ? (double)(g.ready + g.closed) / hs_wall : 0, hs_wall);
  if (g.scenario == SC_CONNECT) {
    long per = (g.rss_before >= 0 && g.rss_after >= 0 && g.ready)
                   ? (g.rss_after - g.rss_before) * 1024 / g.ready
                   : -1;
    printf(",\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,\"rss_per_conn_b\":%ld", g.rss_before,
           g.rss_after, per);
  } else if (g.scenario == SC_SMOKE) {
    printf(",\"error\":\"");
    for (const char *p = g.smoke_err; *p; p++) {
      if (*p == '"' || *p == '\\') putchar('\\');
      putchar((unsigned char)*p < 0x20 ? ' ' : *p);
    }
    printf("\"");
  } else {
    printf(",\"window_s\":%.3f,\"sent\":%" PRIu64 ",\"acks\":%" PRIu64
           ",\"deliveries\":%" PRIu64 ",\"acks_per_s\":%.0f,\"deliveries_per_s\":%.0f,"
           "\"bytes_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"lost\":%" PRIu64,
           wall, g.sent_msgs, g.acks, g.deliveries, wall > 0 ? (double)g.acks / wall : 0,
           wall > 0 ? (double)g.deliveries / wall : 0, wall > 0 ? (double)g.dbytes / wall : 0,
           hist_pct(0.50) / 1e3, hist_pct(0.99) / 1e3, hist_pct(1.0) / 1e3, g.lost);
    printf(",\"gen_cpu_pct\":%.1f,\"server_cpu_pct\":%.1f", wall > 0 ? 100 * gcpu / wall : 0,
           scpu >= 0 && wall > 0 ? 100 * scpu / wall : -1);
  }
  printf("}\n");
  fflush(stdout);
}

static void measure_begin(void) {
  g.phase = 2;
  memset(g.hist, 0, sizeof g.hist);
  g.nsamples = g.acks = g.deliveries = g.dbytes = g.sent_msgs = 0;
  getrusage(RUSAGE_SELF, &g.ru0);
  g.scpu0 = read_cpu_ticks(g.server_pid);
  g.m_start = uv_hrtime();
}

static void measure_end(void) {
  g.m_end = uv_hrtime();
  getrusage(RUSAGE_SELF, &g.ru1);
  g.scpu1 = read_cpu_ticks(g.server_pid);
  g.phase = 3;
}

static void finish(void) {
  if (g.scenario == SC_SMOKE) {
    if (g.smoke_step != 3 && !g.smoke_err[0])
      smoke_fail("timeout at step %d (%d replies missing)", g.smoke_step, g.smoke_pending);
    if (g.ready + g.closed < g.clients && !g.smoke_err[0])
      smoke_fail("only %d of %d clients connected", g.ready + g.closed, g.clients);
    print_result(!g.smoke_err[0]);
    exit(g.smoke_err[0] ? 1 : 0);
  }
  if (g.phase == 2) measure_end();
  if (g.scenario == SC_CONNECT) g.rss_after = read_rss_kb(g.server_pid);
  int ok = g.failed == 0 && g.closed == 0;
  print_result(ok);
  exit(ok ? 0 : 1);
}

static void on_phase(uv_timer_t *t) {
  (void)t;
  if (g.phase == 1) {
    measure_begin();
    uv_timer_start(&g.phase_timer, on_phase, (uint64_t)(g.duration * 1000), 0);
  } else {
    finish();
  }
}

static void on_tick(uv_timer_t *t) {
  (void)t;
  uint64_t now = uv_hrtime();
  if (g.phase < 1 || g.phase > 2) return;
  if (g.scenario == SC_ECHO_RATE || g.scenario == SC_BCAST_RATE) {
    uint64_t due = (uint64_t)((double)(now - g.rate_t0) * g.rate / 1e9);
    /* after a stall, do not burst more than 100 ms worth */
    uint64_t burst = (uint64_t)(g.rate / 10) + 1;
    if (due > g.rate_sent + burst) g.rate_sent = due - burst;
    while (g.rate_sent < due) {
      g.rate_sent++;
      if (g.scenario == SC_ECHO_RATE) {
        for (int k = 0; k < g.clients; k++) {
          conn_t *c = &g.conns[g.rr];
          g.rr = (g.rr + 1) % g.clients;
          if (c->state == ST_READY) {
            send_echo(c, now);
            break;
          }
        }
      } else send_bcast(now);
    }
  }
  if (g.scenario == SC_BCAST || g.scenario == SC_BCAST_RATE) {
    /* a broadcast unfinished after 30 s is lost (a client left or a frame
     * was dropped): free its slot so the closed loop keeps going */
    int freed = 0;
    for (uint64_t s = g.bseq > RING ? g.bseq - RING + 1 : 1; s <= g.bseq; s++) {
      bslot_t *b = &g.ring[s % RING];
      if (b->used && b->seq == s && now - b->t > 30000000000ULL) {
        b->used = 0;
        g.lost++;
        g.binflight--;
        freed++;
      }
    }
    if (freed && g.scenario == SC_BCAST)
      while (g.binflight < g.outstanding && g.ready) send_bcast(now);
  }
}

static void on_idle_done(uv_timer_t *t) {
  (void)t;
  finish();
}

static void on_all_connected(void) {
  if (g.phase != 0) return;
  g.phase = 1;
  if (g.verbose)
    fprintf(stderr, "loadgen: %d connected, %d failed in %.3f s\n", g.ready, g.failed,
            (double)(g.t_conn_end - g.t_conn_start) / 1e9);
  uint64_t now = uv_hrtime();
  switch (g.scenario) {
  case SC_CONNECT:
    uv_timer_start(&g.phase_timer, on_idle_done, (uint64_t)(g.idle * 1000), 0);
    return;
  case SC_SMOKE:
    if (!g.ready) {
      smoke_fail("no client connected");
      finish();
    }
    smoke_start();
    return;
  case SC_ECHO:
    for (int i = 0; i < g.clients; i++)
      if (g.conns[i].state == ST_READY)
        for (int k = 0; k < g.outstanding; k++) send_echo(&g.conns[i], now);
    break;
  case SC_BCAST:
    while (g.binflight < g.outstanding && g.ready) send_bcast(now);
    uv_timer_start(&g.tick_timer, on_tick, 100, 100);
    break;
  case SC_ECHO_RATE:
  case SC_BCAST_RATE:
    g.rate_t0 = now;
    g.rate_sent = 0;
    uv_timer_start(&g.tick_timer, on_tick, 1, 1);
    break;
  }
  if (g.warmup > 0) uv_timer_start(&g.phase_timer, on_phase, (uint64_t)(g.warmup * 1000), 0);
  else on_phase(&g.phase_timer);
}

static void on_timeout(uv_timer_t *t) {
  (void)t;
  if (g.phase == 0) {
    fprintf(stderr, "loadgen: timeout: %d of %d connected, %d failed, %d handshaking\n", g.ready,
            g.clients, g.failed, g.handshaking);
    if (g.scenario == SC_SMOKE) {
      smoke_fail("timeout while connecting (%d of %d ready)", g.ready, g.clients);
      finish();
    }
    print_result(0);
    exit(1);
  }
  if (g.scenario == SC_SMOKE) finish();
}

/* ---- main ---------------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --scenario connect|echo|echo-rate|bcast|bcast-rate|smoke\n"
          "  [--host 127.0.0.1] [--port 3000] [--port2 P (odd clients: a 2nd server)]\n"
          "  [--clients N] [--inflight K (handshakes)]\n"
          "  [--outstanding M (acks per client / broadcasts)] [--rate R (per s, total)]\n"
          "  [--size BYTES (payload JSON object)] [--warmup S] [--duration S] [--idle S]\n"
          "  [--timeout S (connect phase)] [--server-pid PID] [--label NAME] [-v]\n");
  exit(2);
}

int main(int argc, char **argv) {
  g.host = "127.0.0.1";
  g.port = 3000;
  g.scenario = -1;
  g.clients = -1;
  g.inflight = 100;
  g.outstanding = 1;
  g.rate = 0;
  g.size = 100;
  g.warmup = 1;
  g.duration = 5;
  g.idle = 2;
  g.timeout = 120;
  g.label = "?";
  static struct option opts[] = {
      {"host", 1, 0, 'H'},     {"port", 1, 0, 'p'},     {"scenario", 1, 0, 's'},
      {"clients", 1, 0, 'n'},  {"inflight", 1, 0, 'k'}, {"outstanding", 1, 0, 'o'},
      {"rate", 1, 0, 'r'},     {"size", 1, 0, 'b'},     {"warmup", 1, 0, 'w'},
      {"duration", 1, 0, 'd'}, {"idle", 1, 0, 'i'},     {"timeout", 1, 0, 't'},
      {"server-pid", 1, 0, 'P'}, {"label", 1, 0, 'l'},  {"verbose", 0, 0, 'v'},
      {"port2", 1, 0, '2'},
      {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "H:p:s:n:k:o:r:b:w:d:i:t:P:l:v2:", opts, NULL)) != -1) {
    switch (ch) {
    case 'H': g.host = optarg; break;
    case 'p': g.port = atoi(optarg); break;
    case '2': g.port2 = atoi(optarg); break;
    case 's':
      if (!strcmp(optarg, "connect")) g.scenario = SC_CONNECT;
      else if (!strcmp(optarg, "echo")) g.scenario = SC_ECHO;
      else if (!strcmp(optarg, "echo-rate")) g.scenario = SC_ECHO_RATE;
      else if (!strcmp(optarg, "bcast")) g.scenario = SC_BCAST;
      else if (!strcmp(optarg, "bcast-rate")) g.scenario = SC_BCAST_RATE;
      else if (!strcmp(optarg, "smoke")) g.scenario = SC_SMOKE;
      else usage();
      break;
    case 'n': g.clients = atoi(optarg); break;
    case 'k': g.inflight = atoi(optarg); break;
    case 'o': g.outstanding = atoi(optarg); break;
    case 'r': g.rate = atof(optarg); break;
    case 'b': g.size = (size_t)atol(optarg); break;
    case 'w': g.warmup = atof(optarg); break;
    case 'd': g.duration = atof(optarg); break;
    case 'i': g.idle = atof(optarg); break;
    case 't': g.timeout = atof(optarg); break;
    case 'P': g.server_pid = atoi(optarg); break;
    case 'l': g.label = optarg; break;
    case 'v': g.verbose = 1; break;
    default: usage();
    }
  }
  if (g.scenario < 0) usage();
  signal(SIGPIPE, SIG_IGN);
  if (g.clients < 0) g.clients = g.scenario == SC_CONNECT ? 10000 : g.scenario == SC_SMOKE ? 6 : 1000;
  if (g.clients < 1 || g.inflight < 1 || g.outstanding < 1) usage();
  if ((g.scenario == SC_ECHO_RATE || g.scenario == SC_BCAST_RATE) && g.rate <= 0) usage();

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)g.clients + 16 > rl.rlim_cur)
      die("%d clients need more than RLIMIT_NOFILE=%lu", g.clients, (unsigned long)rl.rlim_cur);
  }
  if (uv_ip4_addr(g.host, g.port, &g.addr)) die("bad address %s", g.host);
  if (g.port2 && uv_ip4_addr(g.host, g.port2, &g.addr2)) die("bad address %s", g.host);
  make_template();
  g.loop = uv_default_loop();
  g.conns = calloc((size_t)g.clients, sizeof(conn_t));
  if (!g.conns) die("out of memory");
  uv_timer_init(g.loop, &g.phase_timer);
  uv_timer_init(g.loop, &g.tick_timer);
  uv_timer_t to;
  uv_timer_init(g.loop, &to);
  double tmo = g.scenario == SC_SMOKE ? (g.timeout < 120 ? g.timeout : 5) : g.timeout;
  uv_timer_start(&to, on_timeout, (uint64_t)(tmo * 1000), 0);
  uv_unref((uv_handle_t *)&to);
  g.t_origin = uv_hrtime();
  g.rss_before = read_rss_kb(g.server_pid);
  g.t_conn_start = uv_hrtime();
  start_more();
  uv_run(g.loop, UV_RUN_DEFAULT);
  fprintf(stderr, "loadgen: loop ended unexpectedly\n");
  print_result(0);
  return 1;
}

/* ceiling.c - the leanest responder for the BENCH.md bench events; it tells
 * where the load generator, not the server, is the limit.
 *
 *   ceiling [--host 127.0.0.1] [--port 3000]
 *
 * One thread, level-triggered epoll, no timers (it never pings).  It answers
 * only what the bench generator sends, with no general parsing:
 *   GET ... Sec-WebSocket-Key: K  -> 101 + Engine.IO open packet, one write
 *   "40..."                       -> "40{"sid":...}", joins the broadcast set
 *   42<id>["echo",X...]           -> 43<id>[X...]
 *   42["bcast",X...]              -> the same payload, framed once, written
 *                                    to every member
 * Client frames are unmasked in place; a frame split across reads is the only
 * thing copied.  Output the kernel does not take is queued per connection
 * and flushed on EPOLLOUT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  int fd;
  int ws;      /* upgraded */
  int member;  /* index in members[] + 1, 0 when not a member */
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_off, out_len, out_cap;
  uint64_t sid;
} conn_t;

static conn_t **conns; /* by fd */
static int nconns_cap;
static int *members;
static int nmembers;
static int ep;
static char rbuf[256 * 1024];
static char *fbuf;
static size_t fbuf_cap;

static void grow(char **p, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  char *n = realloc(*p, c);
  if (!n) abort();
  *p = n;
  *cap = c;
}

static void conn_free(conn_t *c) {
  if (c->member) {
    int i = c->member - 1;
    int last = members[--nmembers];
    members[i] = last;
    conns[last]->member = i + 1;
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  conns[c->fd] = NULL;
  free(c->in);
  free(c->out);
  free(c);
}

static int conn_write(conn_t *c, const char *p, size_t n) {
  if (c->out_len == 0) {
    ssize_t w = write(c->fd, p, n);
    if (w == (ssize_t)n) return 0;
    if (w < 0) {
      if (errno != EAGAIN) return -1;
      w = 0;
    }
    p += w;
    n -= (size_t)w;
    c->out_off = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = c->fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  }
  grow(&c->out, &c->out_cap, c->out_off + c->out_len + n);
  memcpy(c->out + c->out_off + c->out_len, p, n);
  c->out_len += n;
  return 0;
}

static int conn_flush(conn_t *c) {
  while (c->out_len) {
    ssize_t w = write(c->fd, c->out + c->out_off, c->out_len);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    c->out_off += (size_t)w;
    c->out_len -= (size_t)w;
  }
  c->out_off = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

/* server frame (unmasked) of a + b into fbuf; returns its length */
static size_t frame(const char *a, size_t al, const char *b, size_t bl) {
  size_t len = al + bl;
  grow(&fbuf, &fbuf_cap, len + 10);
  unsigned char *f = (unsigned char *)fbuf;
  size_t h = 0;
  f[h++] = 0x81;
  if (len < 126) f[h++] = (unsigned char)len;
  else if (len < 65536) {
    f[h++] = 126;
    f[h++] = (unsigned char)(len >> 8);
    f[h++] = (unsigned char)len;
  } else {
    f[h++] = 127;
    for (int i = 7; i >= 0; i--) f[h++] = (unsigned char)((uint64_t)len >> (8 * i));
  }
  memcpy(f + h, a, al);
  memcpy(f + h + al, b, bl);
  return h + len;
}

static int on_text(conn_t *c, char *m, size_t n) {
  if (n >= 2 && m[0] == '4' && m[1] == '2') {
    if (n > 11 && memcmp(m + 2, "[\"bcast\",", 9) == 0) {
      size_t fl = frame(m, n, NULL, 0);
      for (int i = 0; i < nmembers; i++) {
        conn_t *d = conns[members[i]];
        if (conn_write(d, fbuf, fl) < 0 && d != c) {
          conn_free(d);
          i--;
        }
      }
      return 0;
    }
    size_t i = 2;
    while (i < n && m[i] >= '0' && m[i] <= '9') i++;
    if (i > 2 && n - i >= 7 && memcmp(m + i, "[\"echo\"", 7) == 0) {
      /* "43<id>[" + what follows "echo", */
      char head[32];
      size_t hl = 0;
      head[hl++] = '4';
      head[hl++] = '3';
      memcpy(head + hl, m + 2, i - 2);
      hl += i - 2;
      head[hl++] = '[';
      size_t r = i + 7;
      if (r < n && m[r] == ',') r++;
      size_t fl = frame(head, hl, m + r, n - r);
      return conn_write(c, fbuf, fl);
    }
    return 0;
  }
  if (n >= 2 && m[0] == '4' && m[1] == '0' && !c->member) {
    char reply[64];
    int rl = snprintf(reply, sizeof reply, "40{\"sid\":\"c%019llu\"}", (unsigned long long)c->sid);
    size_t fl = frame(reply, (size_t)rl, NULL, 0);
    if (conn_write(c, fbuf, fl) < 0) return -1;
    members[nmembers++] = c->fd;
    c->member = nmembers;
  }
  return 0;
}

static uint64_t next_sid = 1;

static int on_http(conn_t *c, char *p, size_t n, size_t *used) {
  char *end = memmem(p, n, "\r\n\r\n", 4);
  if (!end) {
    *used = 0;
    return n > 8192 ? -1 : 0;
  }
  *used = (size_t)(end + 4 - p);
  char *k = memmem(p, *used, "Sec-WebSocket-Key:", 18);
  if (!k) k = memmem(p, *used, "sec-websocket-key:", 18);
  if (!k) return -1;
  k += 18;
  while (*k == ' ') k++;
  char *ke = k;
  while (ke < end && *ke != '\r') ke++;
  unsigned char key[128];
  size_t kl = (size_t)(ke - k);
  if (kl > 60) return -1;
  memcpy(key, k, kl);
  memcpy(key + kl, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(key, kl + 36, sha);
  char acc[64];
  EVP_EncodeBlock((unsigned char *)acc, sha, SHA_DIGEST_LENGTH);
  c->sid = next_sid++;
  char open[160];
  int ol = snprintf(open, sizeof open,
                    "0{\"sid\":\"e%019llu\",\"upgrades\":[],\"pingInterval\":25000,"
                    "\"pingTimeout\":20000,\"maxPayload\":1000000}",
                    (unsigned long long)c->sid);
  size_t fl = frame(open, (size_t)ol, NULL, 0);
  char resp[512];
  int rl = snprintf(resp, sizeof resp,
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                    acc);
  memcpy(resp + rl, fbuf, fl);
  c->ws = 1;
  return conn_write(c, resp, (size_t)rl + fl);
}

/* consumes whole frames from p; returns bytes used or -1 to close */
static ssize_t on_frames(conn_t *c, char *p, size_t n) {
  size_t off = 0;
  while (n - off >= 2) {
    unsigned char *f = (unsigned char *)p + off;
    size_t avail = n - off;
    uint64_t len = f[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = ((uint64_t)f[2] << 8) | f[3];
      h = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | f[2 + i];
      h = 10;
    }
    int masked = f[1] & 0x80;
    if (masked) h += 4;
    if (avail < h || avail - h < len) break;
    char *m = (char *)f + h;
    if (masked) {
      unsigned char *mk = f + h - 4;
      for (uint64_t i = 0; i < len; i++) m[i] ^= (char)mk[i & 3];
    }
    off += h + (size_t)len;
    int op = f[0] & 0x0f;
    if (op == 8) return -1;
    if (op == 9) {
      size_t fl = frame(m, (size_t)len, NULL, 0);
      ((unsigned char *)fbuf)[0] = 0x8a;
      if (conn_write(c, fbuf, fl) < 0) return -1;
    } else if (op == 1) {
      if (on_text(c, m, (size_t)len) < 0) return -1;
      if (!conns[c->fd] || conns[c->fd] != c) return -1;
    }
  }
  return (ssize_t)off;
}

static int on_data(conn_t *c, char *p, size_t n) {
  size_t used = 0;
  if (!c->ws) {
    if (on_http(c, p, n, &used) < 0) return -1;
    if (!c->ws) return 0;
  }
  ssize_t u = on_frames(c, p + used, n - used);
  if (u < 0) return -1;
  return (int)(used + (size_t)u);
}

static void on_readable(conn_t *c) {
  ssize_t r = read(c->fd, rbuf, sizeof rbuf);
  if (r <= 0) {
    if (r < 0 && errno == EAGAIN) return;
    conn_free(c);
    return;
  }
  if (c->in_len) {
    grow(&c->in, &c->in_cap, c->in_len + (size_t)r);
    memcpy(c->in + c->in_len, rbuf, (size_t)r);
    c->in_len += (size_t)r;
    int u = on_data(c, c->in, c->in_len);
    if (u < 0) {
      conn_free(c);
      return;
    }
    c->in_len -= (size_t)u;
    memmove(c->in, c->in + u, c->in_len);
  } else {
    int u = on_data(c, rbuf, (size_t)r);
    if (u < 0) {
      conn_free(c);
      return;
    }
    if ((size_t)u < (size_t)r) {
      grow(&c->in, &c->in_cap, (size_t)r - (size_t)u);
      memcpy(c->in, rbuf + u, (size_t)r - (size_t)u);
      c->in_len = (size_t)r - (size_t)u;
    }
  }
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--host")) host = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
  }
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  nconns_cap = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20 ? 1 << 20 : (int)rl.rlim_cur;
  conns = calloc((size_t)nconns_cap, sizeof *conns);
  members = calloc((size_t)nconns_cap, sizeof *members);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0) {
    perror("listen");
    return 1;
  }
  socklen_t al = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &al);
  ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  printf("listening on http://%s:%d\n", host, ntohs(a.sin_port));
  fflush(stdout);
  struct epoll_event evs[512];
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (cfd < 0) break;
          if (cfd >= nconns_cap) {
            close(cfd);
            continue;
          }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conn_t *c = calloc(1, sizeof *c);
          c->fd = cfd;
          conns[cfd] = c;
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
        continue;
      }
      conn_t *c = conns[fd];
      if (!c) continue;
      if (evs[i].events & EPOLLOUT) {
        if (conn_flush(c) < 0) {
          conn_free(c);
          continue;
        }
      }
      if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
    }
  }
}

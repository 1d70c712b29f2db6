/* sio_packet.c - Socket.IO v5 packets, byte-compatible with socket.io-parser
 * 4.2.x (the parser of socket.io 4.8).
 *
 *   <type>[<attachments>-][<nsp>,][<id>][<json>]
 *
 * Decoding follows Decoder#decodeString step by step, including its loose
 * spots, because whatever a socket.io server accepts a sioc server must
 * accept too:
 *  - the type is Number(first char): '0'..'6', and any JavaScript white
 *    space character counts as 0 (CONNECT);
 *  - the attachment count is Number() of the text before the first '-'
 *    (so " 2", "0x2", "2.0" and "+2" are all 2); it must be an integer >= 1;
 *  - a namespace starts with '/' and runs to the first ',' or to the end;
 *  - the id is the longest run of digits and white space, read by Number();
 *  - the data, when present, must be JSON valid for the type.
 * Deliberate differences, each for input no client produces:
 *  - "" is rejected (socket.io-parser reads it as CONNECT, but engine.io
 *    never hands it an empty string: an empty message is `undefined`, which
 *    the Decoder rejects);
 *  - an id that Number() reads as NaN ("1 2") or as more than 2^53 - 1 is
 *    rejected instead of being kept as a float;
 *  - the packet must be valid UTF-8 (engine.io's polling transport would
 *    substitute U+FFFD; its WebSocket transport closes the connection);
 *  - JSON nesting deeper than SIOC_JSON_MAX_DEPTH is rejected.
 *
 * Invariants: decoding never allocates and writes nothing; on success the
 * whole packet is valid UTF-8 and the data is one JSON value with no leading
 * white space.  sio__event_split writes only inside the data it is given.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "sio_packet.h"
#include "sioc.h"
#include "utf8.h"

#define MAX_SAFE_INTEGER 9007199254740991.0

/* ECMAScript's StrWhiteSpaceChar (WhiteSpace and LineTerminator) at p, as
 * UTF-8: its length in bytes, or 0 when p is not at one. */
static size_t js_space(const unsigned char *p, const unsigned char *end) {
  size_t avail = (size_t)(end - p);

  switch (p[0]) {
  case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    return 1;
  case 0xC2: /* U+00A0 */
    return avail >= 2 && p[1] == 0xA0 ? 2 : 0;
  case 0xE1: /* U+1680 */
    return avail >= 3 && p[1] == 0x9A && p[2] == 0x80 ? 3 : 0;
  case 0xE2:
    if (avail < 3)
      return 0;
    if (p[1] == 0x80) /* U+2000..U+200A, U+2028, U+2029, U+202F */
      return (p[2] >= 0x80 && p[2] <= 0x8A) || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF
                 ? 3 : 0;
    return p[1] == 0x81 && p[2] == 0x9F ? 3 : 0; /* U+205F */
  case 0xE3: /* U+3000 */
    return avail >= 3 && p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
  case 0xEF: /* U+FEFF */
    return avail >= 3 && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
  default:
    return 0;
  }
}

static inline int is_digit(unsigned char c) {
  return (unsigned)(c - '0') < 10;
}

/* Digits kept before the rest collapses into one sticky digit.  A halfway
 * point between two doubles has at most 767 significant digits, so with this
 * many digits plus the sticky one, strtod rounds exactly as on the full
 * text. */
#define DEC_KEEP 800

/* The double nearest to the decimal mantissa m[0..mend) (digits with at most
 * one '.') times 10^e10.  The text handed to strtod has no decimal point, so
 * the result does not depend on the C locale. */
static double dec_to_double(const unsigned char *m, const unsigned char *mend,
                            long e10) {
  char buf[DEC_KEEP + 32];
  size_t nd = 0;
  long e = e10;
  int point = 0, sticky = 0;
  char *w;
  unsigned long ue;
  char tmp[24];
  size_t t = 0;

  for (; m < mend; m++) {
    if (*m == '.') {
      point = 1;
    } else if (nd == 0 && *m == '0') {
      e -= point;
    } else if (nd < DEC_KEEP) {
      buf[nd++] = (char)*m;
      e -= point;
    } else {
      sticky |= *m != '0';
      e += !point;
    }
  }
  if (nd == 0)
    return 0.0;
  if (sticky) {
    buf[nd++] = '1';
    e--;
  }
  w = buf + nd;
  *w++ = 'e';
  if (e < 0)
    *w++ = '-';
  ue = e < 0 ? 0UL - (unsigned long)e : (unsigned long)e;
  do {
    tmp[t++] = (char)('0' + ue % 10);
    ue /= 10;
  } while (ue != 0);
  while (t > 0)
    *w++ = tmp[--t];
  *w = '\0';
  return strtod(buf, NULL);
}

/* ECMAScript StringToNumber of p[0..end): 0 with *out set, or -1 for NaN. */
static int js_to_number(const unsigned char *p, const unsigned char *end,
                        double *out) {
  const unsigned char *m, *mend;
  size_t k;
  double v = 0.0;
  long e10 = 0;
  int neg = 0, eneg = 0, digits = 0;
  unsigned base = 0, d;

  while (p < end && (k = js_space(p, end)) != 0)
    p += k;
  if (p < end && end - p >= 2 && p[0] == '0') {
    switch (p[1] | 0x20) {
    case 'x': base = 16; break;
    case 'o': base = 8; break;
    case 'b': base = 2; break;
    }
  }
  if (base != 0) {
    for (p += 2; p < end; p++, digits++) {
      if (is_digit(*p))
        d = *p - '0';
      else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
        d = (*p | 0x20) - 'a' + 10;
      else
        break;
      if (d >= base)
        break;
      v = v * base + d;
    }
    if (digits == 0)
      return -1;
  } else if (p < end) {
    if (*p == '+' || *p == '-')
      neg = *p++ == '-';
    if (end - p >= 8 && memcmp(p, "Infinity", 8) == 0) {
      v = INFINITY;
      p += 8;
    } else {
      m = p;
      while (p < end && is_digit(*p))
        p++, digits++;
      if (p < end && *p == '.')
        for (p++; p < end && is_digit(*p); p++)
          digits++;
      if (digits == 0)
        return -1;
      mend = p;
      if (p < end && (*p | 0x20) == 'e') {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
          eneg = *p++ == '-';
        if (p == end || !is_digit(*p))
          return -1;
        for (; p < end && is_digit(*p); p++)
          if (e10 < 100000000)
            e10 = e10 * 10 + (*p - '0');
      }
      v = dec_to_double(m, mend, eneg ? -e10 : e10);
    }
    if (neg)
      v = -v;
  } else {
    v = 0.0; /* empty or all white space */
  }
  while (p < end && (k = js_space(p, end)) != 0)
    p += k;
  if (p != end)
    return -1;
  *out = v;
  return 0;
}

/* A plain run of at most 15 ASCII digits (the overwhelmingly common form of
 * ids and attachment counts), or -1. */
static int64_t plain_int(const unsigned char *p, const unsigned char *end) {
  int64_t v = 0;

  if (p == end || end - p > 15)
    return -1;
  for (; p < end; p++) {
    if (!is_digit(*p))
      return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

static const struct {
  const char *name;
  size_t len;
} reserved_events[] = {
    {"connect", 7},       {"connect_error", 13},  {"disconnect", 10},
    {"disconnecting", 13}, {"newListener", 11},    {"removeListener", 14},
};

static int is_reserved_name(const char *s, size_t n) {
  size_t i;

  for (i = 0; i < sizeof(reserved_events) / sizeof(reserved_events[0]); i++)
    if (reserved_events[i].len == n && memcmp(reserved_events[i].name, s, n) == 0)
      return 1;
  return 0;
}

static int hexv(unsigned char c) {
  if (is_digit(c))
    return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether the validated string literal lit[0..n) (quotes included) stands
 * for a reserved event name; escapes are resolved first, as JSON.parse
 * would ("\u0063onnect" is "connect"). */
static int literal_is_reserved(const unsigned char *lit, size_t n) {
  const unsigned char *p = lit + 1, *end = lit + n - 1;
  char tmp[16];
  size_t k = 0;
  unsigned c;

  if (memchr(p, '\\', (size_t)(end - p)) == NULL)
    return is_reserved_name((const char *)p, (size_t)(end - p));
  while (p < end) {
    if (k == sizeof(tmp)) /* longer than any reserved name */
      return 0;
    c = *p;
    if (c != '\\') {
      p++;
    } else {
      switch (p[1]) {
      case 'b': c = '\b'; p += 2; break;
      case 'f': c = '\f'; p += 2; break;
      case 'n': c = '\n'; p += 2; break;
      case 'r': c = '\r'; p += 2; break;
      case 't': c = '\t'; p += 2; break;
      case 'u':
        c = (unsigned)(hexv(p[2]) << 12 | hexv(p[3]) << 8 | hexv(p[4]) << 4 |
                       hexv(p[5]));
        if (c >= 0x80) /* reserved names are ASCII */
          return 0;
        p += 6;
        break;
      default:
        c = p[1];
        p += 2;
        break;
      }
    }
    tmp[k++] = (char)c;
  }
  return is_reserved_name(tmp, k);
}

static inline const unsigned char *skip_ws(const unsigned char *p,
                                           const unsigned char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* Decoder.isPayloadValid for a present payload of JSON kind `kind`. */
static int payload_valid(sio__type_t type, int kind, const unsigned char *p,
                         const unsigned char *end) {
  size_t len;

  switch (type) {
  case SIO_CONNECT:
    return kind == SIOC_JSON_OBJECT;
  case SIO_DISCONNECT:
    return 0;
  case SIO_CONNECT_ERROR:
    return kind == SIOC_JSON_STRING || kind == SIOC_JSON_OBJECT;
  case SIO_EVENT:
  case SIO_BINARY_EVENT:
    if (kind != SIOC_JSON_ARRAY)
      return 0;
    p = skip_ws(p + 1, end);
    if (*p == '-' || is_digit(*p))
      return 1;
    if (*p != '"')
      return 0;
    len = sioc__json_value_len((const char *)p, (size_t)(end - p));
    return !literal_is_reserved(p, len);
  case SIO_ACK:
  case SIO_BINARY_ACK:
    return kind == SIOC_JSON_ARRAY;
  }
  return 0;
}

int sio__packet_decode(char *s, size_t n, size_t max_attachments,
                       sio__packet_t *out) {
  const unsigned char *p = (const unsigned char *)s, *end, *q;
  sio__type_t type;
  size_t k;
  int64_t iv;
  double v;
  int kind;

  if (n == 0)
    return SIOC_EPROTO;
  end = p + n;
  if (is_digit(*p) && *p <= '6') {
    type = (sio__type_t)(*p - '0');
    p++;
  } else if ((k = js_space(p, end)) != 0) {
    type = SIO_CONNECT; /* Number(" ") === 0 */
    p += k;
  } else {
    return SIOC_EPROTO;
  }

  out->attachments = 0;
  if (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK) {
    q = memchr(p, '-', (size_t)(end - p));
    if (q == NULL)
      return SIOC_EPROTO;
    iv = plain_int(p, q);
    if (iv >= 0) {
      v = (double)iv;
    } else if (js_to_number(p, q, &v) != 0) {
      return SIOC_EPROTO; /* "Illegal attachments" */
    }
    /* Number.isInteger(n) && n >= 1, else "Illegal attachments"; every
     * finite double >= 2^64 is an integer (and too many). */
    if (!(v >= 1) || isinf(v))
      return SIOC_EPROTO;
    if (v >= 18446744073709551616.0)
      return SIOC_ELIMIT;
    if ((double)(uint64_t)v != v)
      return SIOC_EPROTO;
    if ((uint64_t)v > max_attachments)
      return SIOC_ELIMIT; /* "too many attachments" */
    out->attachments = (size_t)v;
    p = q + 1;
  }

  if (p < end && *p == '/') {
    q = memchr(p, ',', (size_t)(end - p));
    out->nsp = (const char *)p;
    out->nsp_len = (size_t)((q != NULL ? q : end) - p);
    if (!sioc__utf8_valid(out->nsp, out->nsp_len))
      return SIOC_EPROTO;
    p = q != NULL ? q + 1 : end;
  } else {
    out->nsp = "/";
    out->nsp_len = 1;
  }

  out->id = -1;
  if (p < end && (is_digit(*p) || js_space(p, end) != 0)) {
    for (q = p; q < end;) {
      if (is_digit(*q))
        q++;
      else if ((k = js_space(q, end)) != 0)
        q += k;
      else
        break;
    }
    iv = plain_int(p, q);
    if (iv < 0) {
      if (js_to_number(p, q, &v) != 0 || v > MAX_SAFE_INTEGER)
        return SIOC_EPROTO;
      iv = (int64_t)v; /* only digits and spaces: never negative or split */
    }
    out->id = iv;
    p = q;
  }

  out->data = NULL;
  out->data_len = 0;
  if (p < end) {
    kind = sioc__json_check((const char *)p, (size_t)(end - p));
    if (kind < 0 || !payload_valid(type, kind, p, end))
      return SIOC_EPROTO;
    out->data = (char *)p;
    out->data_len = (size_t)(end - p);
  }
  out->type = type;
  return 0;
}

/* ---- event names ---------------------------------------------------------- */

/* The double nearest to the decimal digits d[0..k) times 10^e. */
static double digits_value(const char *d, size_t k, long e) {
  return dec_to_double((const unsigned char *)d, (const unsigned char *)d + k,
                       e);
}

/* Writes v as JavaScript's Number#toString(10) does; returns the length.
 * out holds 32 bytes.  The digits are the shortest that read back as v (as
 * ECMAScript requires), found by asking printf for 1, 2, ... 17 correctly
 * rounded digits; when the rounded candidate lies below v and misses, the
 * one a unit above is tried too, which matters where the gap between
 * doubles changes (powers of two). */
static size_t js_format_double(double v, char *out) {
  char tmp[48], dig[24];
  size_t k = 0, i, len = 0;
  long x = 0; /* v = d.ddd x 10^x */
  int p, neg, xneg;
  long n, e;
  const char *c;

  if (v != v)
    return memcpy(out, "NaN", 3), 3;
  if (v == 0)
    return out[0] = '0', 1;
  neg = v < 0;
  if (neg)
    v = -v;
  if (isinf(v)) {
    if (neg)
      out[len++] = '-';
    memcpy(out + len, "Infinity", 8);
    return len + 8;
  }
  for (p = 1; p <= 17; p++) {
    snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
    /* Skip whatever the locale uses as the decimal point. */
    for (k = 0, c = tmp; *c && *c != 'e' && k < sizeof(dig); c++)
      if (is_digit((unsigned char)*c))
        dig[k++] = *c;
    xneg = c[0] == 'e' && c[1] == '-';
    for (x = 0, c += 2; is_digit((unsigned char)*c); c++)
      x = x * 10 + (*c - '0');
    if (xneg)
      x = -x;
    double r = digits_value(dig, k, x - (long)(k - 1));
    if (r == v)
      break;
    if (r < v) {
      char up[24];
      long ux = x;
      memcpy(up, dig, k);
      for (i = k; i > 0 && up[i - 1] == '9'; i--)
        up[i - 1] = '0';
      if (i == 0) {
        up[0] = '1';
        ux++;
      } else {
        up[i - 1]++;
      }
      if (digits_value(up, k, ux - (long)(k - 1)) == v) {
        memcpy(dig, up, k);
        x = ux;
        break;
      }
    }
  }
  while (k > 1 && dig[k - 1] == '0')
    k--;

  /* ECMA-262 Number::toString with n = x + 1. */
  n = x + 1;
  if (neg)
    out[len++] = '-';
  if ((long)k <= n && n <= 21) {
    memcpy(out + len, dig, k);
    len += k;
    for (i = 0; i < (size_t)(n - (long)k); i++)
      out[len++] = '0';
  } else if (0 < n && n <= 21) {
    memcpy(out + len, dig, (size_t)n);
    len += (size_t)n;
    out[len++] = '.';
    memcpy(out + len, dig + n, k - (size_t)n);
    len += k - (size_t)n;
  } else if (-6 < n && n <= 0) {
    out[len++] = '0';
    out[len++] = '.';
    for (i = 0; i < (size_t)-n; i++)
      out[len++] = '0';
    memcpy(out + len, dig, k);
    len += k;
  } else {
    out[len++] = dig[0];
    if (k > 1) {
      out[len++] = '.';
      memcpy(out + len, dig + 1, k - 1);
      len += k - 1;
    }
    out[len++] = 'e';
    e = n - 1;
    out[len++] = e < 0 ? '-' : '+';
    if (e < 0)
      e = -e;
    i = (size_t)snprintf(tmp, sizeof(tmp), "%ld", e);
    memcpy(out + len, tmp, i);
    len += i;
  }
  return len;
}

/* The JSON number literal lit[0..n) as JavaScript prints its value. */
static size_t js_format_number(const char *lit, size_t n, char *out) {
  const unsigned char *p = (const unsigned char *)lit, *end = p + n, *m, *mend;
  long e10 = 0;
  int neg, eneg = 0;
  size_t i;
  double v;

  /* Integers below 10^15 print as written (JSON has no leading zeros);
   * "-0" prints as "0". */
  if (n <= 16) {
    for (i = lit[0] == '-'; i < n && is_digit(p[i]); i++)
      ;
    if (i == n && n - (lit[0] == '-') <= 15 && n - (lit[0] == '-') > 0) {
      if (n == 2 && lit[0] == '-' && lit[1] == '0')
        return out[0] = '0', 1;
      memcpy(out, lit, n);
      return n;
    }
  }
  neg = *p == '-';
  p += neg;
  m = p;
  while (p < end && (is_digit(*p) || *p == '.'))
    p++;
  mend = p;
  if (p < end && (*p | 0x20) == 'e') {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      eneg = *p++ == '-';
    for (; p < end && is_digit(*p); p++)
      if (e10 < 100000000)
        e10 = e10 * 10 + (*p - '0');
  }
  v = dec_to_double(m, mend, eneg ? -e10 : e10);
  return js_format_double(neg ? -v : v, out);
}

static const char empty_args[] = "[]";

int sio__event_split(char *data, size_t len, sioc__sbuf_t *scratch,
                     sio__event_t *out) {
  unsigned char *p = (unsigned char *)data, *end, *name, *q;
  size_t name_lit_len, off;
  char num[32];
  int err;

  if (data == NULL || len == 0)
    return SIOC_EPROTO;
  end = p + len;
  p = (unsigned char *)skip_ws(p, end);
  if (p == end || *p != '[')
    return SIOC_EPROTO;
  name = (unsigned char *)skip_ws(p + 1, end);
  if (name == end)
    return SIOC_EPROTO;
  if (*name != '"' && *name != '-' && !is_digit(*name))
    return SIOC_EPROTO;
  name_lit_len = sioc__json_value_len((const char *)name, (size_t)(end - name));
  q = (unsigned char *)skip_ws(name + name_lit_len, end);
  if (q == end || (*q != ',' && *q != ']'))
    return SIOC_EPROTO;

  if (*name == '"' && name_lit_len >= 2 &&
      memchr(name + 1, '\\', name_lit_len - 2) == NULL) {
    /* No escapes: the name is used in place, terminated over its closing
     * quote (which lies before the args, so they are unaffected). */
    name[name_lit_len - 1] = '\0';
    out->name = (const char *)name + 1;
    out->name_len = name_lit_len - 2;
  } else {
    off = scratch->len;
    if (*name == '"') {
      err = sioc__json_unquote(scratch, (const char *)name, name_lit_len);
    } else {
      size_t nl = js_format_number((const char *)name, name_lit_len, num);
      err = sioc__sbuf_append(scratch, num, nl);
    }
    if (err || (err = sioc__sbuf_appendc(scratch, '\0')) != 0) {
      scratch->len = off;
      return err;
    }
    out->name = scratch->data + off;
    out->name_len = scratch->len - off - 1;
  }

  if (*q == ']') {
    out->args = empty_args;
    out->args_len = 2;
  } else {
    while (end > q && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
                       end[-1] == '\r'))
      end--;
    *q = '[';
    out->args = (const char *)q;
    out->args_len = (size_t)(end - q);
  }
  return 0;
}

/* ---- encoding ------------------------------------------------------------- */

static int nsp_is_default(const char *nsp, size_t nsp_len) {
  return nsp == NULL || nsp_len == 0 || (nsp_len == 1 && nsp[0] == '/');
}

int sio__packet_encode_header(sioc__sbuf_t *out, sio__type_t type,
                              size_t attachments, const char *nsp,
                              size_t nsp_len, int64_t id) {
  size_t start = out->len;

  if (sioc__sbuf_appendc(out, (char)('0' + type)))
    goto nomem;
  if (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK) {
    if (sioc__sbuf_append_u64(out, attachments) ||
        sioc__sbuf_appendc(out, '-'))
      goto nomem;
  }
  if (!nsp_is_default(nsp, nsp_len)) {
    if (sioc__sbuf_append(out, nsp, nsp_len) || sioc__sbuf_appendc(out, ','))
      goto nomem;
  }
  if (id >= 0 && sioc__sbuf_append_u64(out, (uint64_t)id))
    goto nomem;
  return 0;

nomem:
  out->len = start;
  return SIOC_ENOMEM;
}

/* args[0..len) past its '[' and any white space, or NULL when it is an empty
 * array (or absent). */
static const char *args_body(const char *args, size_t len, size_t *body_len,
                             int *bad) {
  const unsigned char *p = (const unsigned char *)args, *end;

  *bad = 0;
  if (args == NULL || len == 0)
    return NULL;
  end = p + len;
  p = skip_ws(p, end);
  if (p == end || *p != '[') {
    *bad = 1;
    return NULL;
  }
  p = skip_ws(p + 1, end);
  if (p < end && *p == ']')
    return NULL;
  *body_len = (size_t)(end - p);
  return (const char *)p;
}

int sio__encode_event(sioc__sbuf_t *out, const char *nsp, size_t nsp_len,
                      int64_t id, const char *name, size_t name_len,
                      const char *args, size_t args_len, size_t attachments) {
  size_t start = out->len, body_len = 0;
  const char *body;
  int bad;

  body = args_body(args, args_len, &body_len, &bad);
  if (bad)
    return SIOC_EINVAL;
  if (sio__packet_encode_header(out,
                                attachments > 0 ? SIO_BINARY_EVENT : SIO_EVENT,
                                attachments, nsp, nsp_len, id) ||
      sioc__sbuf_appendc(out, '[') ||
      sioc__json_quote(out, name, name_len))
    goto nomem;
  if (body != NULL) {
    if (sioc__sbuf_appendc(out, ',') || sioc__sbuf_append(out, body, body_len))
      goto nomem;
  } else if (sioc__sbuf_appendc(out, ']')) {
    goto nomem;
  }
  return 0;

nomem:
  out->len = start;
  return SIOC_ENOMEM;
}

int sio__encode_ack(sioc__sbuf_t *out, const char *nsp, size_t nsp_len,
                    int64_t id, const char *args, size_t args_len,
                    size_t attachments) {
  size_t start = out->len;

  if (args == NULL || args_len == 0) {
    args = empty_args;
    args_len = 2;
  }
  if (sio__packet_encode_header(out, attachments > 0 ? SIO_BINARY_ACK : SIO_ACK,
                                attachments, nsp, nsp_len, id) ||
      sioc__sbuf_append(out, args, args_len)) {
    out->len = start;
    return SIOC_ENOMEM;
  }
  return 0;
}

int sio__encode_connect_error(sioc__sbuf_t *out, const char *nsp,
                              size_t nsp_len, const char *message,
                              const char *data_json, size_t data_len) {
  size_t start = out->len;

  if (message == NULL)
    message = "";
  if (sio__packet_encode_header(out, SIO_CONNECT_ERROR, 0, nsp, nsp_len, -1) ||
      sioc__sbuf_appends(out, "{\"message\":") ||
      sioc__json_quote(out, message, strlen(message)))
    goto nomem;
  if (data_json != NULL &&
      (sioc__sbuf_appends(out, ",\"data\":") ||
       sioc__sbuf_append(out, data_json, data_len)))
    goto nomem;
  if (sioc__sbuf_appendc(out, '}'))
    goto nomem;
  return 0;

nomem:
  out->len = start;
  return SIOC_ENOMEM;
}

const char *sio__packet_error_message(const char *s, size_t n, size_t max_attachments) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n, *q;
  if (n == 0 || !((is_digit(*p) && *p <= '6') || js_space(p, end) != 0))
    return "unknown packet type";
  if (*p == '0' + SIO_BINARY_EVENT || *p == '0' + SIO_BINARY_ACK) {
    double v;
    int64_t iv;
    q = memchr(p + 1, '-', n - 1);
    if (q == NULL)
      return "Illegal attachments";
    iv = plain_int(p + 1, q);
    if (iv >= 0)
      v = (double)iv;
    else if (js_to_number(p + 1, q, &v) != 0)
      return "Illegal attachments";
    if (!(v >= 1) || isinf(v))
      return "Illegal attachments";
    if (v >= 18446744073709551616.0 || (uint64_t)v > max_attachments)
      return "too many attachments";
    if ((double)(uint64_t)v != v)
      return "Illegal attachments";
  }
  return "invalid payload";
}

/* json_text.c - JSON as text: a validating scanner, a value measurer, and
 * string quoting/unquoting that match JavaScript's JSON.parse/JSON.stringify.
 *
 * The checker accepts exactly the grammar of ECMAScript JSON.parse (which is
 * RFC 8259's): whitespace is only SP HT LF CR; numbers have no leading zeros,
 * no '+', no bare '.'; strings have no raw control characters and only the
 * eight short escapes plus \uXXXX (lone surrogate escapes are allowed, as in
 * JavaScript).  On top of the grammar the raw bytes of strings must be valid
 * UTF-8, and nesting is limited to SIOC_JSON_MAX_DEPTH.
 *
 * Invariants: nothing here allocates except through the caller's sbuf, the
 * scanner is iterative (an attacker picks the nesting depth, so recursion
 * would hand them the C stack), and every read is bounds-checked against
 * the end pointer, so unvalidated input can never read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "sioc.h"

/* Byte classes inside a JSON string. */
enum {
  C_PLAIN = 0, /* ASCII that stands for itself */
  C_QUOTE,
  C_BSLASH,
  C_CTRL,      /* 0x00..0x1F: must be escaped */
  C_U2,        /* C2..DF */
  C_U3,        /* E0..EF */
  C_U4,        /* F0..F4 */
  C_BAD        /* stray continuation, C0, C1, F5..FF */
};

static const unsigned char str_class[256] = {
#define R8(x) x, x, x, x, x, x, x, x
    R8(C_CTRL), R8(C_CTRL), R8(C_CTRL), R8(C_CTRL),            /* 00..1F */
    0, 0, C_QUOTE, 0, 0, 0, 0, 0, R8(0),                       /* 20..2F */
    R8(0), R8(0), R8(0), R8(0), R8(0),                         /* 30..57 */
    0, 0, 0, 0, C_BSLASH, 0, 0, 0,                             /* 58..5F */
    R8(0), R8(0), R8(0), R8(0),                                /* 60..7F */
    R8(C_BAD), R8(C_BAD), R8(C_BAD), R8(C_BAD),                /* 80..9F */
    R8(C_BAD), R8(C_BAD), R8(C_BAD), R8(C_BAD),                /* A0..BF */
    C_BAD, C_BAD, C_U2, C_U2, C_U2, C_U2, C_U2, C_U2,          /* C0..C7 */
    R8(C_U2), R8(C_U2), R8(C_U2),                              /* C8..DF */
    R8(C_U3), R8(C_U3),                                        /* E0..EF */
    C_U4, C_U4, C_U4, C_U4, C_U4, C_BAD, C_BAD, C_BAD,         /* F0..F7 */
    R8(C_BAD),                                                 /* F8..FF */
#undef R8
};

/* Hex digit value, or 16. */
static const unsigned char hex_val[256] = {
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
    R16(16), R16(16), R16(16),
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 16, 16, 16, 16, 16,
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    R16(16),
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    R16(16),                                                    /* 70..7F */
    R16(16), R16(16), R16(16), R16(16), R16(16), R16(16), R16(16), R16(16),
#undef R16
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero when some byte of the 8 in w needs a closer look inside a string:
 * a quote, a backslash, a control character or a non-ASCII byte.  The
 * (x - ONES) & ~x & HIGHS idiom flags a zero byte without false negatives. */
static inline uint64_t str_special8(uint64_t w) {
  uint64_t q = w ^ (ONES * '"');
  uint64_t b = w ^ (ONES * '\\');
  return ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) |
         w;
}

static inline int is_ws(unsigned char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int is_digit(unsigned char c) {
  return (unsigned)(c - '0') < 10;
}

/* Length of the valid UTF-8 sequence of lead class cls at p, or 0. */
static inline size_t utf8_seq_ok(int cls, const unsigned char *p,
                                 const unsigned char *end) {
  size_t avail = (size_t)(end - p);
  unsigned c = p[0];

  switch (cls) {
  case C_U2:
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  case C_U3:
    if (avail < 3 || (p[2] & 0xC0) != 0x80)
      return 0;
    if (c == 0xE0)
      return p[1] >= 0xA0 && p[1] <= 0xBF ? 3 : 0;
    if (c == 0xED)
      return p[1] >= 0x80 && p[1] <= 0x9F ? 3 : 0;
    return (p[1] & 0xC0) == 0x80 ? 3 : 0;
  case C_U4:
    if (avail < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0)
      return p[1] >= 0x90 && p[1] <= 0xBF ? 4 : 0;
    if (c == 0xF4)
      return p[1] >= 0x80 && p[1] <= 0x8F ? 4 : 0;
    return (p[1] & 0xC0) == 0x80 ? 4 : 0;
  default:
    return 0;
  }
}

/* p points at the opening quote.  Returns the position after the closing
 * quote, or NULL when the literal is malformed or unterminated. */
static inline const unsigned char *scan_string(const unsigned char *p,
                                               const unsigned char *end) {
  uint64_t w;
  size_t k;
  int cls;

  p++;
  for (;;) {
    while (end - p >= 8) {
      memcpy(&w, p, 8);
      uint64_t m = str_special8(w) & HIGHS;
      if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* The lowest flagged byte is a true one (the borrow tricks only
         * misflag bytes above a true match): go straight to it. */
        p += (unsigned)__builtin_ctzll(m) >> 3;
#endif
        break;
      }
      p += 8;
    }
    while (p < end && str_class[*p] == C_PLAIN)
      p++;
    if (p == end)
      return NULL;
    cls = str_class[*p];
    switch (cls) {
    case C_QUOTE:
      return p + 1;
    case C_BSLASH:
      if (end - p < 2)
        return NULL;
      switch (p[1]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
      case 't':
        p += 2;
        break;
      case 'u':
        if (end - p < 6 ||
            (hex_val[p[2]] | hex_val[p[3]] | hex_val[p[4]] | hex_val[p[5]]) &
                16)
          return NULL;
        p += 6;
        break;
      default:
        return NULL;
      }
      break;
    case C_U2: case C_U3: case C_U4:
      k = utf8_seq_ok(cls, p, end);
      if (k == 0)
        return NULL;
      p += k;
      break;
    case C_PLAIN:
      break;
    default: /* C_CTRL, C_BAD */
      return NULL;
    }
  }
}

/* Nonzero when all 8 bytes of w are ASCII digits: each high nibble is 3,
 * and adding 6 to each byte (no carry: every byte is <= 0x3F by then)
 * leaves it at 3 only for '0'..'9'. */
static inline int digits8(uint64_t w) {
  const uint64_t hi = 0xF0F0F0F0F0F0F0F0ULL, threes = ONES * 0x30;
  return (w & hi) == threes && ((w + ONES * 6) & hi) == threes;
}

/* The end of the run of digits starting at p (ids and timestamps are
 * long: 8 at a time while they last). */
static inline const unsigned char *skip_digits(const unsigned char *p,
                                               const unsigned char *end) {
  uint64_t w;
  while (end - p >= 8) {
    memcpy(&w, p, 8);
    if (!digits8(w))
      break;
    p += 8;
  }
  while (p < end && is_digit(*p))
    p++;
  return p;
}

/* p points at '-' or a digit.  Returns the position after the number or
 * NULL. */
static inline const unsigned char *scan_number(const unsigned char *p,
                                               const unsigned char *end) {
  if (*p == '-' && ++p == end)
    return NULL;
  if (*p == '0') {
    p++;
  } else if (is_digit(*p)) {
    p = skip_digits(p + 1, end);
  } else {
    return NULL;
  }
  if (p < end && *p == '.') {
    if (++p == end || !is_digit(*p))
      return NULL;
    p = skip_digits(p + 1, end);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    if (++p < end && (*p == '+' || *p == '-'))
      p++;
    if (p == end || !is_digit(*p))
      return NULL;
    do
      p++;
    while (p < end && is_digit(*p));
  }
  return p;
}

int sioc__json_check(const char *text, size_t n) {
  const unsigned char *p = (const unsigned char *)text;
  const unsigned char *end;
  /* One bit per open container: 1 for an object, 0 for an array. */
  unsigned char is_obj[SIOC_JSON_MAX_DEPTH / 8];
  unsigned depth = 0;
  int kind = -1, k;

  if (n == 0)
    return SIOC_EPROTO;
  end = p + n;
  while (p < end && is_ws(*p))
    p++;

value:
  if (p == end)
    return SIOC_EPROTO;
  switch (*p) {
  case '{':
  case '[':
    if (depth == SIOC_JSON_MAX_DEPTH)
      return SIOC_EPROTO;
    if (*p == '{') {
      is_obj[depth / 8] |= (unsigned char)(1u << (depth % 8));
      k = SIOC_JSON_OBJECT;
    } else {
      is_obj[depth / 8] &= (unsigned char)~(1u << (depth % 8));
      k = SIOC_JSON_ARRAY;
    }
    if (kind < 0)
      kind = k;
    depth++;
    p++;
    while (p < end && is_ws(*p))
      p++;
    if (p == end)
      return SIOC_EPROTO;
    if (*p == (k == SIOC_JSON_OBJECT ? '}' : ']')) {
      p++;
      depth--;
      goto after_value;
    }
    if (k == SIOC_JSON_OBJECT)
      goto key;
    goto value;
  case '"':
    if (kind < 0)
      kind = SIOC_JSON_STRING;
    p = scan_string(p, end);
    if (p == NULL)
      return SIOC_EPROTO;
    goto after_value;
  case 't':
    if (end - p < 4 || memcmp(p, "true", 4) != 0)
      return SIOC_EPROTO;
    p += 4;
    if (kind < 0)
      kind = SIOC_JSON_TRUE;
    goto after_value;
  case 'f':
    if (end - p < 5 || memcmp(p, "false", 5) != 0)
      return SIOC_EPROTO;
    p += 5;
    if (kind < 0)
      kind = SIOC_JSON_FALSE;
    goto after_value;
  case 'n':
    if (end - p < 4 || memcmp(p, "null", 4) != 0)
      return SIOC_EPROTO;
    p += 4;
    if (kind < 0)
      kind = SIOC_JSON_NULL;
    goto after_value;
  default:
    if (*p != '-' && !is_digit(*p))
      return SIOC_EPROTO;
    p = scan_number(p, end);
    if (p == NULL)
      return SIOC_EPROTO;
    if (kind < 0)
      kind = SIOC_JSON_NUMBER;
    goto after_value;
  }

key:
  if (p == end || *p != '"')
    return SIOC_EPROTO;
  p = scan_string(p, end);
  if (p == NULL)
    return SIOC_EPROTO;
  while (p < end && is_ws(*p))
    p++;
  if (p == end || *p != ':')
    return SIOC_EPROTO;
  p++;
  while (p < end && is_ws(*p))
    p++;
  goto value;

after_value:
  while (p < end && is_ws(*p))
    p++;
  if (depth == 0)
    return p == end ? kind : SIOC_EPROTO;
  if (p == end)
    return SIOC_EPROTO;
  if (*p == ',') {
    p++;
    while (p < end && is_ws(*p))
      p++;
    if (is_obj[(depth - 1) / 8] & (1u << ((depth - 1) % 8)))
      goto key;
    goto value;
  }
  if (*p == (is_obj[(depth - 1) / 8] & (1u << ((depth - 1) % 8)) ? '}' : ']')) {
    p++;
    depth--;
    goto after_value;
  }
  return SIOC_EPROTO;
}

/* Position after the string literal starting at p, for validated text (only
 * escapes matter: a backslash always consumes the next byte). */
static inline const char *skip_string(const char *p, const char *end) {
  p++;
  while (p < end) {
    const char *q = memchr(p, '"', (size_t)(end - p));
    const char *b;
    if (q == NULL)
      return end;
    b = memchr(p, '\\', (size_t)(q - p));
    if (b == NULL)
      return q + 1;
    p = b + 2;
  }
  return end;
}

size_t sioc__json_value_len(const char *s, size_t n) {
  const char *p = s, *end;
  size_t depth = 0;

  if (n == 0)
    return 0;
  end = s + n;
  switch (*p) {
  case '"':
    return (size_t)(skip_string(p, end) - s);
  case 't':
  case 'n':
    return n < 4 ? n : 4;
  case 'f':
    return n < 5 ? n : 5;
  case '[':
  case '{':
    while (p < end) {
      switch (*p) {
      case '"':
        p = skip_string(p, end);
        continue;
      case '[':
      case '{':
        depth++;
        break;
      case ']':
      case '}':
        if (--depth == 0)
          return (size_t)(p + 1 - s);
        break;
      default:
        break;
      }
      p++;
    }
    return n;
  default:
    while (p < end && (is_digit((unsigned char)*p) || *p == '-' || *p == '+' ||
                       *p == '.' || *p == 'e' || *p == 'E'))
      p++;
    return (size_t)(p - s);
  }
}

/* What a WHATWG UTF-8 decoder (Node's Buffer#toString, TextDecoder) turns
 * into one U+FFFD: the maximal prefix of a valid sequence, at least 1 byte. */
static inline size_t utf8_bad_len(const unsigned char *p,
                                  const unsigned char *end) {
  unsigned c = p[0], lo = 0x80, hi = 0xBF;
  size_t need, i;

  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  for (i = 1; i <= need && p + i < end; i++) {
    if (p[i] < lo || p[i] > hi)
      break;
    lo = 0x80;
    hi = 0xBF;
  }
  return i;
}

static const char hex_digits[] = "0123456789abcdef";

int sioc__json_quote(sioc__sbuf_t *out, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  const unsigned char *end, *run = s;
  size_t start = out->len, k;
  char esc[6];
  const char *rep;
  size_t rep_len;
  uint64_t w;
  int cls;

  /* Most strings need no escaping: reserve for that case up front. */
  if (n > SIZE_MAX - 2 || sioc__sbuf_reserve(out, n + 2))
    return SIOC_ENOMEM;
  out->data[out->len++] = '"';
  end = n != 0 ? s + n : s; /* str may be NULL when n is 0 */
  while (s < end) {
    while (end - s >= 8) {
      memcpy(&w, s, 8);
      if (str_special8(w) & HIGHS)
        break;
      s += 8;
    }
    while (s < end && str_class[*s] == C_PLAIN)
      s++;
    if (s == end)
      break;
    cls = str_class[*s];
    if (cls >= C_U2 && cls <= C_U4 && (k = utf8_seq_ok(cls, s, end)) != 0) {
      s += k;
      continue;
    }
    switch (cls) {
    case C_QUOTE: rep = "\\\""; rep_len = 2; k = 1; break;
    case C_BSLASH: rep = "\\\\"; rep_len = 2; k = 1; break;
    case C_CTRL:
      k = 1;
      rep_len = 2;
      rep = esc;
      esc[0] = '\\';
      switch (*s) {
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default:
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = hex_digits[*s >> 4];
        esc[5] = hex_digits[*s & 15];
        rep_len = 6;
      }
      break;
    default: /* invalid UTF-8 */
      k = utf8_bad_len(s, end);
      rep = "\xEF\xBF\xBD";
      rep_len = 3;
      break;
    }
    if (sioc__sbuf_append(out, run, (size_t)(s - run)) ||
        sioc__sbuf_append(out, rep, rep_len))
      goto nomem;
    s += k;
    run = s;
  }
  if (sioc__sbuf_append(out, run, (size_t)(s - run)) ||
      sioc__sbuf_appendc(out, '"'))
    goto nomem;
  return 0;

nomem:
  out->len = start;
  return SIOC_ENOMEM;
}

static inline size_t put_utf8(char *d, uint32_t cp) {
  if (cp < 0x80) {
    d[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (char)(0xC0 | cp >> 6);
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xE0 | cp >> 12);
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | cp >> 18);
  d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* The value of \uXXXX at p (p[0] == '\\'), or -1 when it is not one. */
static inline long u_escape(const unsigned char *p, const unsigned char *end) {
  if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
      (hex_val[p[2]] | hex_val[p[3]] | hex_val[p[4]] | hex_val[p[5]]) & 16)
    return -1;
  return (long)hex_val[p[2]] << 12 | hex_val[p[3]] << 8 | hex_val[p[4]] << 4 |
         hex_val[p[5]];
}

int sioc__json_unquote(sioc__sbuf_t *out, const char *lit, size_t n) {
  const unsigned char *s = (const unsigned char *)lit;
  const unsigned char *end, *run;
  char *d;
  long cp, lo;

  if (n == 0)
    return 0;
  end = s + n;
  if (n >= 2 && s[0] == '"' && end[-1] == '"') {
    s++;
    end--;
  }
  if (s == end)
    return 0;
  /* Unescaping never makes text longer: \uXXXX (6 bytes) becomes at most 3,
   * a surrogate pair (12) becomes 4.  One reservation covers everything. */
  if (sioc__sbuf_reserve(out, (size_t)(end - s)))
    return SIOC_ENOMEM;
  d = out->data + out->len;
  while (s < end) {
    run = s;
    s = memchr(s, '\\', (size_t)(end - s));
    if (s == NULL)
      s = end;
    memcpy(d, run, (size_t)(s - run));
    d += s - run;
    if (s == end || end - s < 2)
      break;
    switch (s[1]) {
    case 'b': *d++ = '\b'; s += 2; break;
    case 'f': *d++ = '\f'; s += 2; break;
    case 'n': *d++ = '\n'; s += 2; break;
    case 'r': *d++ = '\r'; s += 2; break;
    case 't': *d++ = '\t'; s += 2; break;
    case 'u':
      cp = u_escape(s, end);
      if (cp < 0) { /* not validated text: drop the stray backslash */
        s += 1;
        break;
      }
      s += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        lo = u_escape(s, end);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          s += 6;
        } else {
          cp = 0xFFFD;
        }
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
      }
      d += put_utf8(d, (uint32_t)cp);
      break;
    default: /* \" \\ \/ */
      *d++ = (char)s[1];
      s += 2;
      break;
    }
  }
  out->len = (size_t)(d - out->data);
  return 0;
}

/* ---- spans ----------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && is_ws((unsigned char)*p))
    p++;
  return p;
}

sioc__json_span_t sioc__json_span(const char *s, size_t n) {
  const char *end = s + n;
  const char *p = skip_ws(s, end);
  sioc__json_span_t v = {p, 0};
  if (p < end)
    v.n = sioc__json_value_len(p, (size_t)(end - p));
  return v;
}

int sioc__json_kind(sioc__json_span_t v) {
  if (!v.n)
    return -1;
  switch (v.p[0]) {
  case '{': return SIOC_JSON_OBJECT;
  case '[': return SIOC_JSON_ARRAY;
  case '"': return SIOC_JSON_STRING;
  case 't': return SIOC_JSON_TRUE;
  case 'f': return SIOC_JSON_FALSE;
  case 'n': return SIOC_JSON_NULL;
  default: return SIOC_JSON_NUMBER;
  }
}

/* The element or member after position *pos of container v (just inside
 * the bracket when *pos is 0): its span, and *pos moved past it. */
static int next_value(sioc__json_span_t v, size_t *pos, sioc__json_span_t *out) {
  const char *end = v.p + v.n - 1;   /* the closing bracket */
  const char *p = v.p + (*pos ? *pos : 1);
  p = skip_ws(p, end);
  if (p < end && *p == ',')
    p = skip_ws(p + 1, end);
  if (p >= end)
    return 0;
  out->p = p;
  out->n = sioc__json_value_len(p, (size_t)(end - p));
  if (!out->n)
    return 0;
  *pos = (size_t)(p + out->n - v.p);
  return 1;
}

int sioc__json_next(sioc__json_span_t v, size_t *pos, sioc__json_span_t *elem) {
  if (sioc__json_kind(v) != SIOC_JSON_ARRAY || v.n < 2)
    return 0;
  return next_value(v, pos, elem);
}

/* Whether string literal lit is key (escapes are decoded to compare). */
static int key_equals(sioc__json_span_t lit, const char *key, size_t klen) {
  if (!memchr(lit.p, '\\', lit.n))
    return lit.n == klen + 2 && memcmp(lit.p + 1, key, klen) == 0;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  int eq = sioc__json_unquote(&b, lit.p, lit.n) == 0 && b.len == klen &&
           memcmp(b.data, key, klen) == 0;
  sioc__sbuf_reset(&b);
  return eq;
}

sioc__json_span_t sioc__json_get(sioc__json_span_t v, const char *key) {
  sioc__json_span_t found = {NULL, 0}, k, val;
  if (sioc__json_kind(v) != SIOC_JSON_OBJECT || v.n < 2)
    return found;
  size_t klen = strlen(key), pos = 0;
  while (next_value(v, &pos, &k)) {
    /* the key, then ':' and the value */
    const char *end = v.p + v.n - 1;
    const char *p = skip_ws(k.p + k.n, end);
    if (p >= end || *p != ':')
      break;
    pos = (size_t)(p + 1 - v.p);
    if (!next_value(v, &pos, &val))
      break;
    if (k.p[0] == '"' && key_equals(k, key, klen))
      found = val;
  }
  return found;
}

int sioc__json_is_true(sioc__json_span_t v) {
  return v.n == 4 && memcmp(v.p, "true", 4) == 0;
}

double sioc__json_number(sioc__json_span_t v, int *ok) {
  char buf[64];
  int good = sioc__json_kind(v) == SIOC_JSON_NUMBER && v.n < sizeof(buf);
  double d = 0;
  if (good) {
    memcpy(buf, v.p, v.n);
    buf[v.n] = '\0';
    d = strtod(buf, NULL);
  }
  if (ok)
    *ok = good;
  return d;
}

char *sioc__json_strdup(sioc__json_span_t v) {
  if (sioc__json_kind(v) != SIOC_JSON_STRING)
    return NULL;
  sioc__sbuf_t b;
  sioc__sbuf_init(&b);
  if (sioc__json_unquote(&b, v.p, v.n) != 0 || sioc__sbuf_appendc(&b, '\0') != 0) {
    sioc__sbuf_reset(&b);
    return NULL;
  }
  return sioc__sbuf_steal(&b, NULL);
}

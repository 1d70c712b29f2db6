/* cluster_wire.c - @socket.io/redis-adapter 8.x messages <-> the core's JSON
 * text with binary placeholders (see cluster_wire.h for the format).
 *
 * The msgpack reader is our own, one pass from bytes to JSON text: every
 * read is bounds-checked against the end of the input, nesting is limited
 * to SIO_WIRE_MAX_DEPTH (the recursion depth is thus bounded), the text it
 * writes to SIO_WIRE_JSON_BUDGET, and a count announced by a header is
 * never trusted for an allocation.  Decoded messages are then read as
 * spans of that text: no tree, no allocation per value.  Encoding goes
 * through msgpack-c's packer, which picks the smallest integer and string
 * forms exactly as notepack.io (the adapter's codec) does, so a message we
 * publish is byte for byte what a socket.io server would publish.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "cluster_wire.h"
#include "json_text.h"

void sio__bins_free(sio__bins_t *b) {
  free(b->items);
  b->items = NULL;
  b->n = b->cap = 0;
}

static int bins_push(sio__bins_t *b, const char *p, size_t len) {
  if (b->n == b->cap) {
    size_t ncap = b->cap ? b->cap * 2 : 4;
    sioc_bin_t *n = realloc(b->items, ncap * sizeof(*n));
    if (!n) return SIOC_ENOMEM;
    b->items = n;
    b->cap = ncap;
  }
  b->items[b->n].data = (const uint8_t *)p;
  b->items[b->n].len = len;
  b->n++;
  return 0;
}

/* ---- msgpack -> JSON ------------------------------------------------------ */

typedef struct {
  const unsigned char *p, *end;
  sioc__sbuf_t *out;
  sio__bins_t *bins;
  size_t out_max;                /* out->len may not pass this */
} mp_reader_t;

#define NEED(r, k) do { if ((size_t)((r)->end - (r)->p) < (size_t)(k)) return SIOC_EPROTO; } while (0)

static uint64_t be(const unsigned char *p, int k) {
  uint64_t v = 0;
  for (int i = 0; i < k; i++) v = (v << 8) | p[i];
  return v;
}

/* A double as JSON: the shortest %g form that reads back the same value. */
static int append_double(sioc__sbuf_t *out, double d) {
  if (!isfinite(d)) return sioc__sbuf_appends(out, "null");
  char buf[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof(buf), "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  return sioc__sbuf_appends(out, buf);
}

static int append_i64(sioc__sbuf_t *out, int64_t v) {
  if (v >= 0) return sioc__sbuf_append_u64(out, (uint64_t)v);
  int r = sioc__sbuf_appendc(out, '-');
  return r ? r : sioc__sbuf_append_u64(out, (uint64_t)0 - (uint64_t)v);
}

/* ext -1: a msgpack timestamp, written as Date's toISOString(). */
static int append_timestamp(sioc__sbuf_t *out, const unsigned char *p, size_t len) {
  int64_t sec;
  uint32_t ns;
  if (len == 4) {
    sec = (int64_t)be(p, 4);
    ns = 0;
  } else if (len == 8) {
    uint64_t v = be(p, 8);
    ns = (uint32_t)(v >> 34);
    sec = (int64_t)(v & 0x3ffffffffULL);
  } else if (len == 12) {
    ns = (uint32_t)be(p, 4);
    sec = (int64_t)be(p + 4, 8);
  } else {
    return sioc__sbuf_appends(out, "null");
  }
  time_t t = (time_t)sec;
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return sioc__sbuf_appends(out, "null");
  char buf[64];
  snprintf(buf, sizeof(buf), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (unsigned)(ns / 1000000u) % 1000u);
  return sioc__sbuf_appends(out, buf);
}

static int read_value(mp_reader_t *r, int depth, int *undefined);

static int read_seq(mp_reader_t *r, uint64_t n, int is_map, int depth) {
  sioc__sbuf_t *out = r->out;
  int err = sioc__sbuf_appendc(out, is_map ? '{' : '[');
  int first = 1;
  for (uint64_t i = 0; !err && i < n; i++) {
    /* Each element takes at least one byte: a lying count ends here. */
    if (r->p >= r->end) return SIOC_EPROTO;
    size_t mark = out->len;
    int undef = 0;
    if (!first && (err = sioc__sbuf_appendc(out, ','))) break;
    if (is_map) {
      /* Keys are strings in JavaScript: quote whatever is not one. */
      size_t kstart = out->len;
      int kundef = 0;
      if ((err = read_value(r, depth + 1, &kundef))) break;
      if (out->len > kstart && out->data[kstart] != '"') {
        size_t klen = out->len - kstart;
        char *copy = malloc(klen + 1);
        if (!copy) return SIOC_ENOMEM;
        memcpy(copy, out->data + kstart, klen);
        out->len = kstart;
        err = sioc__json_quote(out, copy, klen);
        free(copy);
        if (err) break;
      }
      if ((err = sioc__sbuf_appendc(out, ':'))) break;
    }
    if ((err = read_value(r, depth + 1, &undef))) break;
    if (undef && is_map) {
      out->len = mark;   /* JSON.stringify leaves undefined members out */
      continue;
    }
    first = 0;   /* an undefined array element was written as null */
  }
  if (err) return err;
  return sioc__sbuf_appendc(out, is_map ? '}' : ']');
}

static int read_str(mp_reader_t *r, size_t len) {
  NEED(r, len);
  int err = sioc__json_quote(r->out, (const char *)r->p, len);
  r->p += len;
  return err;
}

static int read_bin(mp_reader_t *r, size_t len) {
  NEED(r, len);
  size_t num = r->bins->n;
  int err = bins_push(r->bins, (const char *)r->p, len);
  r->p += len;
  if (err) return err;
  if ((err = sioc__sbuf_appends(r->out, "{\"_placeholder\":true,\"num\":"))) return err;
  if ((err = sioc__sbuf_append_u64(r->out, num))) return err;
  return sioc__sbuf_appendc(r->out, '}');
}

static int read_ext(mp_reader_t *r, size_t len, int *undefined) {
  NEED(r, len + 1);
  int8_t type = (int8_t)r->p[0];
  const unsigned char *body = r->p + 1;
  r->p += len + 1;
  if (type == 0 && len == 1) {
    *undefined = 1;   /* notepack's undefined */
    return sioc__sbuf_appends(r->out, "null");
  }
  if (type == -1) return append_timestamp(r->out, body, len);
  return sioc__sbuf_appends(r->out, "null");
}

static int read_value(mp_reader_t *r, int depth, int *undefined) {
  if (depth > SIO_WIRE_MAX_DEPTH || r->out->len > r->out_max) return SIOC_ELIMIT;
  NEED(r, 1);
  unsigned c = *r->p++;
  sioc__sbuf_t *out = r->out;
  if (c <= 0x7f) return sioc__sbuf_append_u64(out, c);
  if (c >= 0xe0) return append_i64(out, (int8_t)c);
  if ((c & 0xf0) == 0x80) return read_seq(r, c & 0x0f, 1, depth);
  if ((c & 0xf0) == 0x90) return read_seq(r, c & 0x0f, 0, depth);
  if ((c & 0xe0) == 0xa0) return read_str(r, c & 0x1f);
  uint64_t v;
  switch (c) {
    case 0xc0: return sioc__sbuf_appends(out, "null");
    case 0xc2: return sioc__sbuf_appends(out, "false");
    case 0xc3: return sioc__sbuf_appends(out, "true");
    case 0xc4: NEED(r, 1); v = be(r->p, 1); r->p += 1; return read_bin(r, v);
    case 0xc5: NEED(r, 2); v = be(r->p, 2); r->p += 2; return read_bin(r, v);
    case 0xc6: NEED(r, 4); v = be(r->p, 4); r->p += 4; return read_bin(r, v);
    case 0xc7: NEED(r, 1); v = be(r->p, 1); r->p += 1; return read_ext(r, v, undefined);
    case 0xc8: NEED(r, 2); v = be(r->p, 2); r->p += 2; return read_ext(r, v, undefined);
    case 0xc9: NEED(r, 4); v = be(r->p, 4); r->p += 4; return read_ext(r, v, undefined);
    case 0xca: {
      NEED(r, 4);
      uint32_t u = (uint32_t)be(r->p, 4);
      float f;
      memcpy(&f, &u, 4);
      r->p += 4;
      return append_double(out, f);
    }
    case 0xcb: {
      NEED(r, 8);
      uint64_t u = be(r->p, 8);
      double d;
      memcpy(&d, &u, 8);
      r->p += 8;
      return append_double(out, d);
    }
    case 0xcc: NEED(r, 1); v = be(r->p, 1); r->p += 1; return sioc__sbuf_append_u64(out, v);
    case 0xcd: NEED(r, 2); v = be(r->p, 2); r->p += 2; return sioc__sbuf_append_u64(out, v);
    case 0xce: NEED(r, 4); v = be(r->p, 4); r->p += 4; return sioc__sbuf_append_u64(out, v);
    case 0xcf: NEED(r, 8); v = be(r->p, 8); r->p += 8; return sioc__sbuf_append_u64(out, v);
    case 0xd0: NEED(r, 1); v = be(r->p, 1); r->p += 1; return append_i64(out, (int8_t)v);
    case 0xd1: NEED(r, 2); v = be(r->p, 2); r->p += 2; return append_i64(out, (int16_t)v);
    case 0xd2: NEED(r, 4); v = be(r->p, 4); r->p += 4; return append_i64(out, (int32_t)v);
    case 0xd3: NEED(r, 8); v = be(r->p, 8); r->p += 8; return append_i64(out, (int64_t)v);
    case 0xd4: return read_ext(r, 1, undefined);
    case 0xd5: return read_ext(r, 2, undefined);
    case 0xd6: return read_ext(r, 4, undefined);
    case 0xd7: return read_ext(r, 8, undefined);
    case 0xd8: return read_ext(r, 16, undefined);
    case 0xd9: NEED(r, 1); v = be(r->p, 1); r->p += 1; return read_str(r, v);
    case 0xda: NEED(r, 2); v = be(r->p, 2); r->p += 2; return read_str(r, v);
    case 0xdb: NEED(r, 4); v = be(r->p, 4); r->p += 4; return read_str(r, v);
    case 0xdc: NEED(r, 2); v = be(r->p, 2); r->p += 2; return read_seq(r, v, 0, depth);
    case 0xdd: NEED(r, 4); v = be(r->p, 4); r->p += 4; return read_seq(r, v, 0, depth);
    case 0xde: NEED(r, 2); v = be(r->p, 2); r->p += 2; return read_seq(r, v, 1, depth);
    case 0xdf: NEED(r, 4); v = be(r->p, 4); r->p += 4; return read_seq(r, v, 1, depth);
    default: return SIOC_EPROTO;   /* 0xc1: never used */
  }
}

int sio__mp_to_json(const char *data, size_t len, sioc__sbuf_t *json,
                    sio__bins_t *bins) {
  size_t start = json->len, nbins = bins->n;
  mp_reader_t r = {(const unsigned char *)data, (const unsigned char *)data + len,
                   json, bins, start + SIO_WIRE_JSON_BUDGET(len)};
  int undef = 0;
  int err = read_value(&r, 0, &undef);
  if (!err && r.p != r.end) err = SIOC_EPROTO;
  if (!err && json->len > r.out_max) err = SIOC_ELIMIT;
  if (err) {
    json->len = start;
    bins->n = nbins;
  }
  return err;
}

/* ---- JSON -> msgpack ------------------------------------------------------ */

static int sbuf_write(void *data, const char *buf, size_t len) {
  return sioc__sbuf_append(data, buf, len) ? -1 : 0;
}

/* The attachment a {"_placeholder":true,"num":N} object names, or -1. */
static long placeholder_num(const cJSON *v, size_t n) {
  if (!cJSON_IsObject(v)) return -1;
  const cJSON *ph = cJSON_GetObjectItemCaseSensitive(v, "_placeholder");
  const cJSON *num = cJSON_GetObjectItemCaseSensitive(v, "num");
  if (!cJSON_IsTrue(ph) || !cJSON_IsNumber(num)) return -1;
  double d = num->valuedouble;
  if (d < 0 || d >= (double)n || d != floor(d)) return -1;
  return (long)d;
}

static int pack(msgpack_packer *pk, const cJSON *v, const sioc_bin_t *atts,
                size_t n, int depth) {
  if (depth > SIOC_JSON_MAX_DEPTH) return -1;
  if (cJSON_IsNull(v) || cJSON_IsInvalid(v)) return msgpack_pack_nil(pk);
  if (cJSON_IsFalse(v)) return msgpack_pack_false(pk);
  if (cJSON_IsTrue(v)) return msgpack_pack_true(pk);
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    /* notepack: integral and finite -> the smallest integer form */
    if (isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 &&
        d < 18446744073709551616.0) {
      if (d >= 9223372036854775808.0) return msgpack_pack_uint64(pk, (uint64_t)d);
      return msgpack_pack_int64(pk, (int64_t)d);
    }
    return msgpack_pack_double(pk, d);
  }
  if (cJSON_IsString(v)) {
    size_t l = strlen(v->valuestring);
    return msgpack_pack_str_with_body(pk, v->valuestring, l);
  }
  long ph = placeholder_num(v, n);
  if (ph >= 0) return msgpack_pack_bin_with_body(pk, atts[ph].data, atts[ph].len);
  int count = cJSON_GetArraySize(v);
  const cJSON *it;
  if (cJSON_IsArray(v)) {
    if (msgpack_pack_array(pk, (size_t)count)) return -1;
    cJSON_ArrayForEach(it, v) {
      if (pack(pk, it, atts, n, depth + 1)) return -1;
    }
    return 0;
  }
  if (msgpack_pack_map(pk, (size_t)count)) return -1;
  cJSON_ArrayForEach(it, v) {
    const char *k = it->string ? it->string : "";
    if (msgpack_pack_str_with_body(pk, k, strlen(k))) return -1;
    if (pack(pk, it, atts, n, depth + 1)) return -1;
  }
  return 0;
}

int sio__json_to_mp(sioc__sbuf_t *out, const cJSON *v, const sioc_bin_t *atts,
                    size_t n) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, sbuf_write);
  size_t start = out->len;
  if (pack(&pk, v, atts, n, 0)) {
    out->len = start;
    return SIOC_ENOMEM;
  }
  return 0;
}

int sio__wire_parse(const char *data, size_t len, sioc__sbuf_t *scratch,
                    sio__bins_t *bins, sioc__json_span_t *obj) {
  const char *text = data;
  size_t n = len;
  if (!len || data[0] != '{') {
    size_t start = scratch->len;
    int err = sio__mp_to_json(data, len, scratch, bins);
    if (err) return err;
    text = scratch->data + start;
    n = scratch->len - start;
  }
  if (sioc__json_check(text, n) != SIOC_JSON_OBJECT) return SIOC_EPROTO;
  *obj = sioc__json_span(text, n);
  return 0;
}

/* ---- broadcasts ----------------------------------------------------------- */

void sio__wire_strv_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* A room as socket.io keeps it: strings as they are, numbers as String(n)
 * (the number's text, as JSON.stringify or our msgpack reader wrote it). */
static char *room_string(sioc__json_span_t it) {
  int kind = sioc__json_kind(it);
  if (kind == SIOC_JSON_STRING) return sioc__json_strdup(it);
  if (kind == SIOC_JSON_NUMBER) return strndup(it.p, it.n);
  return NULL;
}

int sio__wire_strv(sioc__json_span_t arr, char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  int kind = sioc__json_kind(arr);
  if (kind < 0 || kind == SIOC_JSON_NULL) return 0;
  if (kind != SIOC_JSON_ARRAY) return SIOC_EPROTO;
  size_t count = 0, pos = 0, cap = 0;
  char **v = NULL;
  sioc__json_span_t it;
  while (sioc__json_next(arr, &pos, &it)) {
    if (count == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      char **nv = realloc(v, ncap * sizeof(*nv));
      if (!nv) {
        sio__wire_strv_free(v, count);
        return SIOC_ENOMEM;
      }
      v = nv;
      cap = ncap;
    }
    char *s = room_string(it);
    if (!s) {
      int k = sioc__json_kind(it);
      sio__wire_strv_free(v, count);
      return k == SIOC_JSON_STRING || k == SIOC_JSON_NUMBER ? SIOC_ENOMEM : SIOC_EPROTO;
    }
    v[count++] = s;
  }
  if (!count) {
    free(v);
    return 0;
  }
  *out = v;
  *n = count;
  return 0;
}

void sio__wire_bcast_free(sio__wire_bcast_t *b) {
  free(b->uid);
  free(b->nsp);
  free(b->event);
  sioc__sbuf_reset(&b->args);
  sio__bins_free(&b->atts);
  sio__wire_strv_free(b->rooms, b->n_rooms);
  sio__wire_strv_free(b->except, b->n_except);
  memset(b, 0, sizeof(*b));
}

int sio__wire_packet_split(sioc__json_span_t packet, char **event, sioc__sbuf_t *args) {
  sioc__json_span_t data = sioc__json_get(packet, "data"), name;
  size_t pos = 0;
  if (!sioc__json_next(data, &pos, &name) || sioc__json_kind(name) != SIOC_JSON_STRING)
    return SIOC_EPROTO;
  if (!(*event = sioc__json_strdup(name))) return SIOC_ENOMEM;
  /* [event, a, b] -> [a, b]: the text after the name, as it is */
  const char *rest = data.p + pos, *end = data.p + data.n - 1;
  while (rest < end && (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r'))
    rest++;
  if (rest < end && *rest == ',') rest++;
  int err = sioc__sbuf_appendc(args, '[');
  if (!err) err = sioc__sbuf_append(args, rest, (size_t)(end - rest));
  if (!err) err = sioc__sbuf_appendc(args, ']');
  if (err) {
    free(*event);
    *event = NULL;
  }
  return err;
}

static int bcast_flags(sioc__json_span_t flags, sio__wire_bcast_t *out) {
  if (sioc__json_kind(flags) != SIOC_JSON_OBJECT) return 0;
  if (sioc__json_is_true(sioc__json_get(flags, "volatile"))) out->flags |= SIOC_BCAST_VOLATILE;
  if (sioc__json_is_true(sioc__json_get(flags, "local"))) out->flags |= SIOC_BCAST_LOCAL;
  if (sioc__json_is_true(sioc__json_get(flags, "compress"))) out->flags |= SIOC_BCAST_COMPRESS;
  int ok;
  double t = sioc__json_number(sioc__json_get(flags, "timeout"), &ok);
  if (ok && t >= 0 && t < 4294967296.0) out->timeout_ms = (int64_t)t;
  return 0;
}

int sio__wire_bcast_decode(const char *data, size_t len, sio__wire_bcast_t *out) {
  memset(out, 0, sizeof(*out));
  out->timeout_ms = -1;
  sioc__sbuf_t json;
  sioc__sbuf_init(&json);
  int err = sio__mp_to_json(data, len, &json, &out->atts);
  if (err) goto done;
  sioc__json_span_t root = sioc__json_span(json.data, json.len), uid, packet, opts = {0};
  size_t pos = 0;
  if (sioc__json_kind(root) != SIOC_JSON_ARRAY || !sioc__json_next(root, &pos, &uid) ||
      !sioc__json_next(root, &pos, &packet)) {
    err = SIOC_EPROTO;
    goto done;
  }
  sioc__json_next(root, &pos, &opts);
  sioc__json_span_t type = sioc__json_get(packet, "type");
  sioc__json_span_t nsp = sioc__json_get(packet, "nsp");
  int okt, nspk = sioc__json_kind(nsp), optk = sioc__json_kind(opts);
  out->type = (int)sioc__json_number(type, &okt);
  if (sioc__json_kind(uid) != SIOC_JSON_STRING || !okt ||
      (out->type != 2 && out->type != 5) ||
      (nspk >= 0 && nspk != SIOC_JSON_STRING && nspk != SIOC_JSON_NULL) ||
      (optk >= 0 && optk != SIOC_JSON_OBJECT && optk != SIOC_JSON_NULL)) {
    err = SIOC_EPROTO;
    goto done;
  }
  out->uid = sioc__json_strdup(uid);
  out->nsp = nspk == SIOC_JSON_STRING ? sioc__json_strdup(nsp) : strdup("/");
  if (!out->uid || !out->nsp) {
    err = SIOC_ENOMEM;
    goto done;
  }
  if ((err = sio__wire_packet_split(packet, &out->event, &out->args))) goto done;
  if (optk == SIOC_JSON_OBJECT) {
    if ((err = sio__wire_strv(sioc__json_get(opts, "rooms"), &out->rooms, &out->n_rooms)) ||
        (err = sio__wire_strv(sioc__json_get(opts, "except"), &out->except, &out->n_except)) ||
        (err = bcast_flags(sioc__json_get(opts, "flags"), out)))
      goto done;
  }
done:
  sioc__sbuf_reset(&json);
  if (err) sio__wire_bcast_free(out);
  return err;
}

static cJSON *strv_json(const char *const *v, size_t n) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a && i < n; i++) {
    cJSON *s = cJSON_CreateString(v[i]);
    if (!s || !cJSON_AddItemToArray(a, s)) {
      cJSON_Delete(s);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

cJSON *sio__wire_opts_json(const sioc_target_t *t, int64_t timeout_ms) {
  cJSON *o = cJSON_CreateObject();
  cJSON *rooms = strv_json(t ? t->rooms : NULL, t ? t->n_rooms : 0);
  cJSON *except = strv_json(t ? t->except_rooms : NULL, t ? t->n_except : 0);
  cJSON *flags = cJSON_CreateObject();
  int ok = o && rooms && except && flags;
  if (ok) {
    cJSON_AddItemToObject(o, "rooms", rooms);
    cJSON_AddItemToObject(o, "except", except);
    cJSON_AddItemToObject(o, "flags", flags);
    rooms = except = flags = NULL;
    int f = t ? t->flags : 0;
    if (f & SIOC_BCAST_VOLATILE) ok = ok && cJSON_AddTrueToObject(o->child->next->next, "volatile");
    if (f & SIOC_BCAST_COMPRESS) ok = ok && cJSON_AddTrueToObject(o->child->next->next, "compress");
    if (timeout_ms >= 0)
      ok = ok && cJSON_AddNumberToObject(o->child->next->next, "timeout", (double)timeout_ms);
  }
  cJSON_Delete(rooms);
  cJSON_Delete(except);
  cJSON_Delete(flags);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

cJSON *sio__wire_packet_json(const char *nsp, const char *event,
                             const char *args, size_t args_len) {
  cJSON *data = cJSON_ParseWithLength(args, args_len);
  cJSON *name = cJSON_CreateString(event);
  cJSON *p = cJSON_CreateObject();
  if (!cJSON_IsArray(data) || !name || !p) goto fail;
  /* [event, ...args] */
  name->next = data->child;
  if (data->child) {
    name->prev = data->child->prev;
    data->child->prev = name;
  } else {
    name->prev = name;
  }
  data->child = name;
  name = NULL;
  if (!cJSON_AddNumberToObject(p, "type", 2)) goto fail;
  cJSON_AddItemToObject(p, "data", data);
  data = NULL;
  if (!cJSON_AddStringToObject(p, "nsp", nsp)) goto fail;
  return p;
fail:
  cJSON_Delete(data);
  cJSON_Delete(name);
  cJSON_Delete(p);
  return NULL;
}

int sio__wire_bcast_encode(sioc__sbuf_t *out, const char *uid, const char *nsp,
                           const char *event, const char *args, size_t args_len,
                           const sioc_bin_t *atts, size_t n_atts,
                           const sioc_target_t *t) {
  cJSON *root = cJSON_CreateArray();
  cJSON *u = cJSON_CreateString(uid);
  cJSON *packet = sio__wire_packet_json(nsp, event, args, args_len);
  cJSON *opts = sio__wire_opts_json(t, -1);
  int err = SIOC_ENOMEM;
  if (root && u && packet && opts) {
    cJSON_AddItemToArray(root, u);
    cJSON_AddItemToArray(root, packet);
    cJSON_AddItemToArray(root, opts);
    u = packet = opts = NULL;
    err = sio__json_to_mp(out, root, atts, n_atts);
  }
  cJSON_Delete(u);
  cJSON_Delete(packet);
  cJSON_Delete(opts);
  cJSON_Delete(root);
  return err;
}

/* ---- channels ------------------------------------------------------------- */

static int join3(sioc__sbuf_t *out, const char *a, const char *b, const char *c,
                 const char *d) {
  int r = sioc__sbuf_appends(out, a);
  if (!r) r = sioc__sbuf_appends(out, b);
  if (!r) r = sioc__sbuf_appends(out, c);
  if (!r) r = sioc__sbuf_appendc(out, '#');
  if (!r && d) r = sioc__sbuf_appends(out, d);
  if (!r && d) r = sioc__sbuf_appendc(out, '#');
  return r;
}

int sio__wire_bcast_channel(sioc__sbuf_t *out, const char *key, const char *nsp,
                            const char *room) {
  return join3(out, key, "#", nsp, room);
}

int sio__wire_request_channel(sioc__sbuf_t *out, const char *key, const char *nsp) {
  return join3(out, key, "-request#", nsp, NULL);
}

int sio__wire_response_channel(sioc__sbuf_t *out, const char *key,
                               const char *nsp, const char *uid) {
  return join3(out, key, "-response#", nsp, uid);
}

/* test_cluster_wire.c - the Redis adapter's wire codec (csrc/cluster_wire.c)
 * against tests/vectors/cluster.json, produced by @socket.io/redis-adapter
 * 8.3.0's own codec (notepack.io): msgpack -> JSON with placeholders,
 * JSON -> msgpack byte for byte, [uid, packet, opts] broadcasts both ways,
 * malformed input, the limits on hostile input (depth, expansion, lying
 * counts, wrong types), channel names. */
#include <string.h>

#include "cluster_wire.h"
#include "json_text.h"
#include "vectors.h"

static void bins_from(const cJSON *v, sioc_bin_t **out, size_t *n, char ***keep) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(v, "bins_hex");
  *n = (size_t)cJSON_GetArraySize(list);
  *out = calloc(*n ? *n : 1, sizeof(sioc_bin_t));
  *keep = calloc(*n ? *n : 1, sizeof(char *));
  size_t i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, list) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "h", it->valuestring);
    size_t len;
    (*keep)[i] = vec_bytes(o, NULL, "h", &len);
    (*out)[i].data = (const uint8_t *)(*keep)[i];
    (*out)[i].len = len;
    cJSON_Delete(o);
    i++;
  }
}

static void bins_free(sioc_bin_t *b, size_t n, char **keep) {
  for (size_t i = 0; i < n; i++) free(keep[i]);
  free(keep);
  free(b);
}

static void check_bins(const char *label, const sio__bins_t *got, const sioc_bin_t *want,
                       size_t n) {
  if (got->n != n) FATAL("%s: %zu attachments, want %zu", label, got->n, n);
  for (size_t i = 0; i < n; i++)
    ASSERT_MEM_EQ(got->items[i].data, got->items[i].len, want[i].data, want[i].len);
}

static void check_json(const char *label, const char *got, size_t len, const char *want) {
  cJSON *a = cJSON_ParseWithLength(got, len);
  cJSON *b = cJSON_Parse(want);
  if (!a || !b || !cJSON_Compare(a, b, 1))
    FATAL("%s: got %.*s, want %s", label, (int)len, got, want);
  cJSON_Delete(a);
  cJSON_Delete(b);
}

static int test_to_json(const cJSON *root) {
  int count = 0;
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "to_json")) {
    const char *label = vec_label(v);
    size_t len;
    char *mp = vec_bytes(v, NULL, "msgpack_hex", &len);
    sioc__sbuf_t json;
    sioc__sbuf_init(&json);
    sio__bins_t bins = {NULL, 0, 0};
    int r = sio__mp_to_json(mp, len, &json, &bins);
    if (r) FATAL("%s: sio__mp_to_json failed (%d)", label, r);
    check_json(label, json.data, json.len, vec_str(v, "json"));
    ASSERT(sioc__json_check(json.data, json.len) >= 0);   /* valid JSON text */
    sioc_bin_t *want;
    size_t nw;
    char **keep;
    bins_from(v, &want, &nw, &keep);
    check_bins(label, &bins, want, nw);
    bins_free(want, nw, keep);
    sio__bins_free(&bins);
    sioc__sbuf_reset(&json);
    free(mp);
    count++;
  }
  return count;
}

static int test_from_json(const cJSON *root) {
  int count = 0;
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "from_json")) {
    const char *label = vec_label(v);
    cJSON *value = cJSON_Parse(vec_str(v, "json"));
    ASSERT(value != NULL);
    sioc_bin_t *atts;
    size_t n;
    char **keep;
    bins_from(v, &atts, &n, &keep);
    sioc__sbuf_t out;
    sioc__sbuf_init(&out);
    ASSERT_EQ(sio__json_to_mp(&out, value, atts, n), 0);
    size_t wl;
    char *want = vec_bytes(v, NULL, "msgpack_hex", &wl);
    if (out.len != wl || memcmp(out.data, want, wl) != 0)
      FATAL("%s: msgpack differs from notepack's", label);
    free(want);
    sioc__sbuf_reset(&out);
    bins_free(atts, n, keep);
    cJSON_Delete(value);
    count++;
  }
  return count;
}

static char **strv_of(const cJSON *arr, size_t *n) {
  *n = (size_t)cJSON_GetArraySize(arr);
  char **v = calloc(*n ? *n : 1, sizeof(char *));
  size_t i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) v[i++] = it->valuestring;
  return v;
}

static int test_broadcast(const cJSON *root) {
  int count = 0;
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "broadcast")) {
    const char *label = vec_label(v);
    size_t len;
    char *mp = vec_bytes(v, NULL, "msgpack_hex", &len);
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(v, "flags");
    size_t nr, ne;
    char **rooms = strv_of(cJSON_GetObjectItemCaseSensitive(v, "rooms"), &nr);
    char **except = strv_of(cJSON_GetObjectItemCaseSensitive(v, "except"), &ne);
    int want_flags = (vec_bool(flags, "volatile") ? SIOC_BCAST_VOLATILE : 0) |
                     (vec_bool(flags, "compress") ? SIOC_BCAST_COMPRESS : 0);
    sioc_bin_t *atts;
    size_t n;
    char **keep;
    bins_from(v, &atts, &n, &keep);

    /* decode what socket.io publishes */
    sio__wire_bcast_t b;
    ASSERT_EQ(sio__wire_bcast_decode(mp, len, &b), 0);
    ASSERT_STR_EQ(b.uid, vec_str(v, "uid"));
    ASSERT_STR_EQ(b.nsp, vec_str(v, "nsp"));
    ASSERT_STR_EQ(b.event, vec_str(v, "event"));
    check_json(label, b.args.data, b.args.len, vec_str(v, "args"));
    check_bins(label, &b.atts, atts, n);
    ASSERT_EQ(b.n_rooms, nr);
    for (size_t i = 0; i < nr; i++) ASSERT_STR_EQ(b.rooms[i], rooms[i]);
    ASSERT_EQ(b.n_except, ne);
    for (size_t i = 0; i < ne; i++) ASSERT_STR_EQ(b.except[i], except[i]);
    ASSERT_EQ(b.flags, want_flags);
    ASSERT_EQ(b.timeout_ms, (int64_t)vec_num(flags, "timeout", -1));
    sio__wire_bcast_free(&b);

    /* encode it ourselves: byte for byte what socket.io publishes (the
     * timeout flag is only sent with BROADCAST requests) */
    if (!vec_has(flags, "timeout") && !vec_has(flags, "compress")) {
      const char *args = vec_str(v, "args");
      sioc_target_t t = {(const char *const *)rooms, nr, (const char *const *)except, ne,
                         want_flags};
      sioc__sbuf_t out;
      sioc__sbuf_init(&out);
      ASSERT_EQ(sio__wire_bcast_encode(&out, vec_str(v, "uid"), vec_str(v, "nsp"),
                                       vec_str(v, "event"), args, strlen(args), atts, n, &t),
                0);
      if (out.len != len || memcmp(out.data, mp, len) != 0)
        FATAL("%s: our broadcast differs from socket.io's", label);
      sioc__sbuf_reset(&out);
    }
    bins_free(atts, n, keep);
    free(rooms);
    free(except);
    free(mp);
    count++;
  }
  return count;
}

static int test_malformed(const cJSON *root) {
  int count = 0;
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "malformed")) {
    size_t len;
    char *mp = vec_bytes(v, NULL, "hex", &len);
    sioc__sbuf_t json;
    sioc__sbuf_init(&json);
    sio__bins_t bins = {NULL, 0, 0};
    int r = sio__mp_to_json(mp, len, &json, &bins);
    if (r != SIOC_EPROTO) FATAL("%s: got %d, want SIOC_EPROTO", vec_label(v), r);
    ASSERT_EQ(json.len, 0);
    ASSERT_EQ(bins.n, 0);
    sio__wire_bcast_t b;
    ASSERT_EQ(sio__wire_bcast_decode(mp, len, &b), SIOC_EPROTO);
    sioc__json_span_t obj;
    ASSERT(sio__wire_parse(mp, len, &json, &bins, &obj) < 0);
    sio__bins_free(&bins);
    sioc__sbuf_reset(&json);
    free(mp);
    count++;
  }
  return count;
}

/* sio__wire_bcast_decode of the msgpack in hex h (freed when r != 0). */
static int decode_hex(const char *h, sio__wire_bcast_t *b) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "h", h);
  size_t len;
  char *mp = vec_bytes(o, NULL, "h", &len);
  int r = sio__wire_bcast_decode(mp, len, b);
  free(mp);   /* b keeps no pointer into it: these have no bins */
  cJSON_Delete(o);
  return r;
}

/* Well-formed msgpack that is not a broadcast is refused, not guessed at. */
static void test_not_a_broadcast(void) {
  static const char *const cases[] = {
      "c0",                       /* nil */
      "93a1759080",               /* ["u", [], {}]: packet not an object */
      "93a17581a474797065029080", /* packet without data */
      "93a17582a474797065c3a464617461910180", /* type true; data [1] */
      "93a17582a474797065a4646174619101802a",
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sio__wire_bcast_t b;
    int r = decode_hex(cases[i], &b);
    if (r != SIOC_EPROTO) FATAL("case %zu: got %d", i, r);
  }
}

/* The object a request parses to, as a tree (to compare). */
static cJSON *parse_request(const char *data, size_t len) {
  sioc__sbuf_t scratch;
  sioc__sbuf_init(&scratch);
  sio__bins_t bins = {NULL, 0, 0};
  sioc__json_span_t obj;
  cJSON *r = NULL;
  if (sio__wire_parse(data, len, &scratch, &bins, &obj) == 0)
    r = cJSON_ParseWithLength(obj.p, obj.n);
  sioc__sbuf_reset(&scratch);
  sio__bins_free(&bins);
  return r;
}

/* Requests: JSON text and msgpack maps parse to the same object. */
static void test_requests(void) {
  const char *json = "{\"uid\":\"abc\",\"requestId\":\"r1\",\"type\":5,"
                     "\"opts\":{\"rooms\":[\"a\"],\"except\":[]}}";
  cJSON *r = parse_request(json, strlen(json));
  ASSERT(r != NULL);
  ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(r, "type")->valuedouble, 5);
  sioc__sbuf_t mp;
  sioc__sbuf_init(&mp);
  ASSERT_EQ(sio__json_to_mp(&mp, r, NULL, 0), 0);
  cJSON *back = parse_request(mp.data, mp.len);
  ASSERT(back != NULL && cJSON_Compare(r, back, 1));
  cJSON_Delete(back);
  cJSON_Delete(r);
  sioc__sbuf_reset(&mp);
  ASSERT(parse_request("[1]", 3) == NULL);      /* not an object */
  ASSERT(parse_request("{bad", 4) == NULL);
  ASSERT(parse_request("{\"a\":1} x", 9) == NULL);   /* trailing bytes */
  ASSERT(parse_request("", 0) == NULL);
}

/* n nested arrays around nil, in msgpack. */
static char *nested(size_t n, size_t *len) {
  char *b = malloc(n + 1);
  memset(b, 0x91, n);
  b[n] = (char)0xc0;
  *len = n + 1;
  return b;
}

/* What a hostile publisher can send costs a bounded, linear amount: the
 * limits of cluster_wire.h are enforced, each with its own error. */
static void test_limits(void) {
  sioc__sbuf_t json;
  sioc__sbuf_init(&json);
  sio__bins_t bins = {NULL, 0, 0};
  size_t len;
  /* nesting: the deepest accepted is still valid JSON for the core */
  char *deep = nested(SIO_WIRE_MAX_DEPTH + 1, &len);
  ASSERT_EQ(sio__mp_to_json(deep, len, &json, &bins), SIOC_ELIMIT);
  ASSERT_EQ(json.len, 0);
  ASSERT_EQ(sio__mp_to_json(deep + 1, len - 1, &json, &bins), 0);
  ASSERT(sioc__json_check(json.data, json.len) == SIOC_JSON_ARRAY);
  sioc__sbuf_reset(&json);
  free(deep);
  /* announced counts are not trusted: 4G elements, none there */
  static const char huge_array[] = "\xdd\xff\xff\xff\xff\xc0";
  static const char huge_map[] = "\xdf\xff\xff\xff\xff\xa1k";
  static const char huge_str[] = "\xdb\xff\xff\xff\xff" "abc";
  static const char huge_bin[] = "\xc6\xff\xff\xff\xff" "abc";
  ASSERT_EQ(sio__mp_to_json(huge_array, 6, &json, &bins), SIOC_EPROTO);
  ASSERT_EQ(sio__mp_to_json(huge_map, 7, &json, &bins), SIOC_EPROTO);
  ASSERT_EQ(sio__mp_to_json(huge_str, 8, &json, &bins), SIOC_EPROTO);
  ASSERT_EQ(sio__mp_to_json(huge_bin, 8, &json, &bins), SIOC_EPROTO);
  ASSERT_EQ(bins.n, 0);
  /* expansion: 100000 empty bins (2 bytes each) would be 3 MB of JSON */
  size_t n = 100000;
  char *many = malloc(5 + 2 * n);
  memcpy(many, "\xdd\x00\x01\x86\xa0", 5);
  for (size_t i = 0; i < n; i++) memcpy(many + 5 + 2 * i, "\xc4\x00", 2);
  ASSERT_EQ(sio__mp_to_json(many, 5 + 2 * n, &json, &bins), SIOC_ELIMIT);
  ASSERT_EQ(json.len, 0);
  ASSERT_EQ(bins.n, 0);
  ASSERT(json.cap <= SIO_WIRE_JSON_BUDGET(5 + 2 * n) * 2 + 64);
  free(many);
  /* ... while 100000 nils (5 bytes of JSON each) are within the budget */
  char *nils = malloc(5 + n);
  memcpy(nils, "\xdd\x00\x01\x86\xa0", 5);
  memset(nils + 5, 0xc0, n);
  ASSERT_EQ(sio__mp_to_json(nils, 5 + n, &json, &bins), 0);
  ASSERT(sioc__json_check(json.data, json.len) == SIOC_JSON_ARRAY);
  free(nils);
  sioc__sbuf_reset(&json);
  sio__bins_free(&bins);
  /* JSON requests deeper than the core accepts */
  char *djson = malloc(2 * 600 + 8);
  size_t k = 0;
  k += (size_t)sprintf(djson, "{\"a\":");
  for (int i = 0; i < 600; i++) djson[k++] = '[';
  for (int i = 0; i < 600; i++) djson[k++] = ']';
  djson[k++] = '}';
  ASSERT(parse_request(djson, k) == NULL);
  free(djson);
}

/* Wrong types anywhere in a broadcast are refused, never guessed at. */
static void test_wrong_types(void) {
  static const char *const bad[] = {
      /* [1, {type:2, data:["e"]}, {}]: uid a number */
      "9301" "82a474797065" "02" "a464617461" "91a165" "80",
      /* ["u", {type:2, data:[1]}, {}]: event not a string */
      "93a175" "82a474797065" "02" "a464617461" "9101" "80",
      /* ["u", {type:2, data:["e"], nsp:1}, {}]: nsp a number */
      "93a175" "83a474797065" "02" "a464617461" "91a165" "a36e7370" "01" "80",
      /* ["u", {type:2, data:["e"]}, 7]: opts a number */
      "93a175" "82a474797065" "02" "a464617461" "91a165" "07",
      /* ["u", {type:2, data:["e"]}, {rooms:{}}]: rooms an object */
      "93a175" "82a474797065" "02" "a464617461" "91a165" "81a5726f6f6d73" "80",
      /* ["u", {type:2, data:["e"]}, {except:[[]]}]: a room that is an array */
      "93a175" "82a474797065" "02" "a464617461" "91a165" "81a6657863657074" "9190",
      /* ["u", {type:3, data:["e"]}, {}]: not an event */
      "93a175" "82a474797065" "03" "a464617461" "91a165" "80",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sio__wire_bcast_t b;
    int r = decode_hex(bad[i], &b);
    if (r != SIOC_EPROTO) FATAL("wrong type case %zu: got %d", i, r);
  }
  /* flags that are not an object, and numeric rooms, are fine */
  sio__wire_bcast_t b;
  ASSERT_EQ(decode_hex("93a175" "82a474797065" "02" "a464617461" "92a165c3"
                       "82a5726f6f6d7392a1722aa5666c61677307", &b), 0);
  ASSERT_STR_EQ(b.event, "e");
  ASSERT_MEM_EQ(b.args.data, b.args.len, "[true]", 6);
  ASSERT_EQ(b.n_rooms, 2);
  ASSERT_STR_EQ(b.rooms[0], "r");
  ASSERT_STR_EQ(b.rooms[1], "42");
  ASSERT_EQ(b.flags, 0);
  sio__wire_bcast_free(&b);
}

static void test_channels(const cJSON *root) {
  const cJSON *v;
  VEC_FOREACH(v, vec_list(root, "channels")) {
    sioc__sbuf_t b;
    sioc__sbuf_init(&b);
    const cJSON *rj = cJSON_GetObjectItemCaseSensitive(v, "room");
    const char *room = cJSON_IsString(rj) ? rj->valuestring : NULL;
    ASSERT_EQ(sio__wire_bcast_channel(&b, vec_str(v, "key"), vec_str(v, "nsp"), room), 0);
    ASSERT_MEM_EQ(b.data, b.len, vec_str(v, "bcast"), strlen(vec_str(v, "bcast")));
    if (vec_has(v, "request")) {
      sioc__sbuf_reset(&b);
      sio__wire_request_channel(&b, vec_str(v, "key"), vec_str(v, "nsp"));
      ASSERT_MEM_EQ(b.data, b.len, vec_str(v, "request"), strlen(vec_str(v, "request")));
      sioc__sbuf_reset(&b);
      sio__wire_response_channel(&b, vec_str(v, "key"), vec_str(v, "nsp"), NULL);
      ASSERT_MEM_EQ(b.data, b.len, vec_str(v, "response"), strlen(vec_str(v, "response")));
      sioc__sbuf_reset(&b);
      sio__wire_response_channel(&b, vec_str(v, "key"), vec_str(v, "nsp"), vec_str(v, "uid"));
      ASSERT_MEM_EQ(b.data, b.len, vec_str(v, "specific"), strlen(vec_str(v, "specific")));
    }
    sioc__sbuf_reset(&b);
  }
}

/* Hostile bytes: every vector's msgpack truncated at every length and with
 * bytes flipped (a deterministic PRNG), fed to every decoder.  Besides "no
 * crash" (this test also runs under ASan), a success must yield valid JSON
 * whose placeholders name attachments that exist. */
static uint32_t rng_state = 12345;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void feed(const char *data, size_t len) {
  char *exact = malloc(len ? len : 1);   /* exact size: ASan sees over-reads */
  memcpy(exact, data, len);
  sioc__sbuf_t json;
  sioc__sbuf_init(&json);
  sio__bins_t bins = {NULL, 0, 0};
  if (sio__mp_to_json(exact, len, &json, &bins) == 0) {
    ASSERT(sioc__json_check(json.data, json.len) >= 0);
    for (size_t i = 0; i < bins.n; i++)
      ASSERT(bins.items[i].data >= (const uint8_t *)exact &&
             bins.items[i].data + bins.items[i].len <= (const uint8_t *)exact + len);
  }
  sio__bins_free(&bins);
  sioc__sbuf_reset(&json);
  sio__wire_bcast_t b;
  if (sio__wire_bcast_decode(exact, len, &b) == 0) {
    ASSERT(b.event != NULL && b.uid != NULL && b.nsp != NULL);
    ASSERT(sioc__json_check(b.args.data, b.args.len) == SIOC_JSON_ARRAY);
    sio__wire_bcast_free(&b);
  }
  sioc__json_span_t obj;
  if (sio__wire_parse(exact, len, &json, &bins, &obj) == 0)
    ASSERT(sioc__json_check(obj.p, obj.n) == SIOC_JSON_OBJECT);
  sioc__sbuf_reset(&json);
  sio__bins_free(&bins);
  free(exact);
}

static int test_mutations(const cJSON *root) {
  int n = 0;
  const char *lists[] = {"to_json", "broadcast"};
  for (int l = 0; l < 2; l++) {
    const cJSON *v;
    VEC_FOREACH(v, vec_list(root, lists[l])) {
      size_t len;
      char *mp = vec_bytes(v, NULL, "msgpack_hex", &len);
      for (size_t cut = 0; cut <= len; cut++) feed(mp, cut);
      for (int k = 0; k < 200; k++) {
        char *m = malloc(len ? len : 1);
        memcpy(m, mp, len);
        int flips = 1 + (int)(rng() % 3);
        for (int f = 0; f < flips && len; f++) m[rng() % len] = (char)rng();
        feed(m, len);
        free(m);
        n++;
      }
      free(mp);
    }
  }
  return n;
}

int main(void) {
  cJSON *root = vec_load("cluster.json");
  int n = test_to_json(root);
  n += test_from_json(root);
  n += test_broadcast(root);
  n += test_malformed(root);
  test_not_a_broadcast();
  test_requests();
  test_limits();
  test_wrong_types();
  test_channels(root);
  int m = test_mutations(root);
  cJSON_Delete(root);
  printf("test_cluster_wire: %d vectors ok, %d mutated inputs survived\n", n, m);
  return 0;
}

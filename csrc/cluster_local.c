/* cluster_local.c - this server's sockets and rooms as the cluster's wire
 * carries them: a socket's details as socket.io's RemoteSocket has them
 * (fetchSockets answers) and the list of local rooms (allRooms answers).
 *
 * The handshake object is what a socket.io 4.x server builds for the same
 * request (socket.handshake): header names lowercased and repeated headers
 * joined as Node's http module joins them, the query parsed as Node's
 * querystring.parse does (repeated keys become arrays), the time as
 * Date.prototype.toString() in UTC.  Pure functions of the socket: no I/O.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "json_text.h"

/* ---- the query string ------------------------------------------------------ */

static int hexv(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  ch = tolower(ch);
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

/* querystring.unescape: %XX decoded (a malformed escape stays as it is),
 * '+' as space; the bytes are then a JS string (invalid UTF-8 becomes
 * U+FFFD), NUL-terminated for cJSON.  NULL on SIOC_ENOMEM. */
static char *unescape(const char *s, size_t n) {
  sioc__sbuf_t raw, quoted;
  sioc__sbuf_init(&raw);
  sioc__sbuf_init(&quoted);
  int err = 0;
  for (size_t i = 0; !err && i < n; i++) {
    char ch = s[i];
    if (ch == '+') {
      ch = ' ';
    } else if (ch == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
               hexv(s[i + 2]) >= 0) {
      ch = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
      i += 2;
    }
    err = sioc__sbuf_appendc(&raw, ch);
  }
  /* quoting repairs invalid UTF-8 the way V8 decodes it */
  if (!err) err = sioc__json_quote(&quoted, raw.data ? raw.data : "", raw.len);
  sioc__sbuf_reset(&raw);
  cJSON *str = err ? NULL : cJSON_ParseWithLength(quoted.data, quoted.len);
  sioc__sbuf_reset(&quoted);
  char *out = cJSON_IsString(str) ? strdup(str->valuestring) : NULL;
  cJSON_Delete(str);
  return out;
}

/* Adds string value under key; a key already there gets an array of its
 * values (as querystring.parse does for a repeated key, and Node's http for
 * set-cookie). */
static int add_or_append(cJSON *obj, const char *key, const char *value) {
  cJSON *v = cJSON_CreateString(value);
  if (!v) return SIOC_ENOMEM;
  cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!old) return cJSON_AddItemToObject(obj, key, v) ? 0 : (cJSON_Delete(v), SIOC_ENOMEM);
  if (!cJSON_IsArray(old)) {
    cJSON *arr = cJSON_CreateArray();
    cJSON *first = cJSON_Duplicate(old, 1);
    if (!arr || !first || !cJSON_AddItemToArray(arr, first)) {
      cJSON_Delete(arr);
      cJSON_Delete(first);
      cJSON_Delete(v);
      return SIOC_ENOMEM;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, arr);
    old = arr;
  }
  return cJSON_AddItemToArray(old, v) ? 0 : (cJSON_Delete(v), SIOC_ENOMEM);
}

static cJSON *query_json(const char *q) {
  cJSON *obj = cJSON_CreateObject();
  int err = obj ? 0 : SIOC_ENOMEM;
  for (const char *p = q; !err && *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len) {
      const char *eq = memchr(p, '=', len);
      size_t klen = eq ? (size_t)(eq - p) : len;
      char *k = unescape(p, klen);
      char *v = unescape(eq ? eq + 1 : "", eq ? len - klen - 1 : 0);
      err = k && v ? add_or_append(obj, k, v) : SIOC_ENOMEM;
      free(k);
      free(v);
    }
    if (!amp) break;
    p = amp + 1;
  }
  if (err) {
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

/* ---- headers --------------------------------------------------------------- */

/* Node lowercases header names, joins repeated ones with ", " ("; " for
 * cookie) and keeps set-cookie as an array. */
static int add_header(cJSON *obj, const char *name, const char *value) {
  cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!old) return cJSON_AddStringToObject(obj, name, value) ? 0 : SIOC_ENOMEM;
  if (strcmp(name, "set-cookie") == 0) return add_or_append(obj, name, value);
  if (!cJSON_IsString(old)) return 0;
  sioc__sbuf_t j;
  sioc__sbuf_init(&j);
  int err = sioc__sbuf_appends(&j, old->valuestring);
  if (!err) err = sioc__sbuf_appends(&j, strcmp(name, "cookie") == 0 ? "; " : ", ");
  if (!err) err = sioc__sbuf_appends(&j, value);
  if (!err) err = sioc__sbuf_appendc(&j, '\0');
  cJSON *v = err ? NULL : cJSON_CreateString(j.data);
  sioc__sbuf_reset(&j);
  if (!v) return SIOC_ENOMEM;
  cJSON_ReplaceItemInObjectCaseSensitive(obj, name, v);
  return 0;
}

static cJSON *headers_json(const sioc_header_t *headers, size_t n) {
  cJSON *obj = cJSON_CreateObject();
  for (size_t i = 0; obj && i < n; i++) {
    char name[256];
    size_t l = strlen(headers[i].name);
    if (l >= sizeof(name)) continue;
    for (size_t j = 0; j <= l; j++) name[j] = (char)tolower((unsigned char)headers[i].name[j]);
    if (add_header(obj, name, headers[i].value)) {
      cJSON_Delete(obj);
      return NULL;
    }
  }
  return obj;
}

char *sioc_headers_json(const sioc_header_t *headers, size_t n) {
  cJSON *obj = headers_json(headers, n);
  char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
  cJSON_Delete(obj);
  return text;
}

/* ---- a socket --------------------------------------------------------------- */

static int append_tree(sioc__sbuf_t *b, cJSON *v) {
  char *text = v ? cJSON_PrintUnformatted(v) : NULL;
  cJSON_Delete(v);
  if (!text) return SIOC_ENOMEM;
  int err = sioc__sbuf_appends(b, text);
  free(text);
  return err;
}

static int append_str(sioc__sbuf_t *b, const char *s) {
  return sioc__json_quote(b, s ? s : "", s ? strlen(s) : 0);
}

int sio__cluster_socket_details(sioc__sbuf_t *b, sioc_socket_t *s, const char *data,
                                size_t data_len) {
  static const sioc_handshake_t empty = {NULL, 0, "", "", "", 0, 0, 0};
  const sioc_handshake_t *hs = sioc_socket_handshake(s);
  if (!hs) hs = &empty;
  char date[96] = "";
  time_t t = (time_t)(hs->time_ms / 1000);
  struct tm tm;
  if (gmtime_r(&t, &tm))
    strftime(date, sizeof(date), "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);

  int err = sioc__sbuf_appends(b, "{\"id\":");
  if (!err) err = append_str(b, s->id);
  if (!err) err = sioc__sbuf_appends(b, ",\"handshake\":{\"headers\":");
  if (!err) err = append_tree(b, headers_json(hs->headers, hs->n_headers));
  if (!err) err = sioc__sbuf_appends(b, ",\"time\":");
  if (!err) err = append_str(b, date);
  if (!err) err = sioc__sbuf_appends(b, ",\"address\":");
  if (!err) err = append_str(b, hs->address);
  if (!err) err = sioc__sbuf_appends(b, hs->xdomain ? ",\"xdomain\":true" : ",\"xdomain\":false");
  if (!err) err = sioc__sbuf_appends(b, hs->secure ? ",\"secure\":true" : ",\"secure\":false");
  if (!err) err = sioc__sbuf_appends(b, ",\"issued\":");
  if (!err) err = sioc__sbuf_append_u64(b, hs->time_ms > 0 ? (uint64_t)hs->time_ms : 0);
  if (!err) err = sioc__sbuf_appends(b, ",\"url\":");
  if (!err) err = append_str(b, hs->url);
  if (!err) err = sioc__sbuf_appends(b, ",\"query\":");
  if (!err) err = append_tree(b, query_json(hs->query ? hs->query : ""));
  if (!err) err = sioc__sbuf_appends(b, ",\"auth\":");
  if (!err) err = s->auth_len ? sioc__sbuf_append(b, s->auth, s->auth_len)
                              : sioc__sbuf_appends(b, "{}");
  if (!err) err = sioc__sbuf_appends(b, "},\"rooms\":[");
  sioc__list_t *it;
  int first = 1;
  SIOC_LIST_FOREACH(it, &s->rooms) {
    sio__member_t *m = SIOC_CONTAINER_OF(it, sio__member_t, socket_link);
    if (!err && !first) err = sioc__sbuf_appendc(b, ',');
    if (!err) err = sioc__json_quote(b, m->room->name, m->room->name_len);
    first = 0;
  }
  if (!err) err = sioc__sbuf_appends(b, "],\"data\":");
  if (!err) err = data && data_len ? sioc__sbuf_append(b, data, data_len)
                                   : sioc__sbuf_appends(b, "{}");
  if (!err) err = sioc__sbuf_appendc(b, '}');
  return err;
}

/* ---- rooms ------------------------------------------------------------------ */

typedef struct {
  sioc__sbuf_t *b;
  int first;
  int err;
} rooms_json_t;

static int room_cb(const char *room, size_t n, void *data) {
  rooms_json_t *rj = data;
  if (!rj->first) rj->err = sioc__sbuf_appendc(rj->b, ',');
  if (!rj->err) rj->err = sioc__json_quote(rj->b, room, strlen(room));
  rj->first = 0;
  return rj->err;
}

int sio__cluster_rooms_json(sioc__sbuf_t *b, sio__adapter_t *a) {
  rooms_json_t rj = {b, 1, sioc__sbuf_appendc(b, '[')};
  if (!rj.err) a->ops->rooms(a, room_cb, &rj);
  return rj.err ? rj.err : sioc__sbuf_appendc(b, ']');
}

/* test_server_rooms.c - rooms and broadcasting with three WebSocket
 * clients: targets (rooms, except, socket-id rooms), binary broadcasts,
 * the room index seen through foreach_room / foreach_socket, sockets_join /
 * sockets_leave, broadcast acks and disconnect_sockets. */
#include "loop_client.h"

#define N 3
static lc_rec_t rec;
static lc_client_t *cl[N];
static char id[N][32];
static sioc_socket_t *so[N];
static sioc_nsp_t *nsp;
static int seq;

/* Emits "t" [seq] to `t`, then "sync" to everyone; returns which clients
 * received "t" (bit i = client i), failing if one received it twice. */
static int delivered(const sioc_target_t *t, int flags_check) {
  char args[32], want[64];
  seq++;
  snprintf(args, sizeof(args), "[%d]", seq);
  snprintf(want, sizeof(want), "42[\"t\",%d]", seq);
  ASSERT_EQ(sioc_nsp_emit(nsp, t, "t", args, strlen(args), NULL, 0), 0);
  ASSERT_EQ(sioc_nsp_emit(nsp, NULL, "sync", "[]", 2, NULL, 0), 0);
  int mask = 0;
  for (int i = 0; i < N; i++) {
    if (!cl[i]) continue;
    int got = 0;
    for (;;) {
      char *m = lc_ws_recv_text(cl[i], 2000);
      if (strcmp(m, "42[\"sync\"]") == 0) {
        free(m);
        break;
      }
      if (strcmp(m, want) != 0) FATAL("client %d: unexpected %s", i, m);
      got++;
      free(m);
    }
    if (got > 1) FATAL("client %d got the broadcast %d times", i, got);
    if (got) mask |= 1 << i;
  }
  (void)flags_check;
  return mask;
}

#define EXPECT_TARGETS(t, want)                                                   \
  do {                                                                            \
    int m_ = delivered((t), 0);                                                   \
    if (m_ != (want)) FATAL("%s: delivered to mask %d, expected %d", #t, m_, want); \
  } while (0)

typedef struct {
  char names[32][32];
  size_t counts[32];
  int n;
} names_t;

static int add_room(const char *room, size_t n, void *data) {
  names_t *v = data;
  ASSERT(v->n < 32);
  snprintf(v->names[v->n], 32, "%s", room);
  v->counts[v->n++] = n;
  return 0;
}

static int add_socket(sioc_socket_t *s, void *data) {
  return add_room(sioc_socket_id(s), 1, data);
}

static int stop_first(sioc_socket_t *s, void *data) {
  (*(int *)data)++;
  return 1;
}

/* count of `name` in v, -1 when absent */
static long find(const names_t *v, const char *name) {
  for (int i = 0; i < v->n; i++)
    if (strcmp(v->names[i], name) == 0) return (long)v->counts[i];
  return -1;
}

/* the set of socket ids of target t, as a client mask */
static int sockets_of(const sioc_target_t *t) {
  names_t v = {0};
  sioc_nsp_foreach_socket(nsp, t, add_socket, &v);
  int mask = 0;
  for (int k = 0; k < v.n; k++) {
    int found = 0;
    for (int i = 0; i < N; i++)
      if (strcmp(v.names[k], id[i]) == 0) {
        if (mask & (1 << i)) FATAL("socket %d listed twice", i);
        mask |= 1 << i;
        found = 1;
      }
    ASSERT(found);
  }
  return mask;
}

typedef struct {
  int calls, err;
  char *responses;
} bcast_res_t;

static void on_bcast_ack(sioc_nsp_t *n, int err, const char *responses, size_t len,
                         void *data) {
  bcast_res_t *r = data;
  r->calls++;
  r->err = err;
  r->responses = strndup(responses, len);
}

int main(void) {
  lc_init(20000);
  sioc_server_t *srv = lc_server(NULL);
  nsp = sioc_server_of(srv, "/");
  lc_rec_attach(&rec, nsp);
  for (int i = 0; i < N; i++) {
    char name[8];
    snprintf(name, sizeof(name), "c%d", i);
    cl[i] = lc_sio_ws(name, id[i]);
    so[i] = lc_rec_socket(&rec, id[i]);
  }
  ASSERT_EQ(sioc_nsp_socket_count(nsp), 3);

  /* c0: r1; c1: r1 r2; c2: r2 */
  ASSERT_EQ(sioc_socket_join(so[0], "r1"), 0);
  ASSERT_EQ(sioc_socket_join(so[1], "r1"), 0);
  ASSERT_EQ(sioc_socket_join(so[1], "r2"), 0);
  ASSERT_EQ(sioc_socket_join(so[1], "r2"), 0);   /* twice: no effect */
  ASSERT_EQ(sioc_socket_join(so[2], "r2"), 0);

  const char *r1[] = {"r1"}, *r2[] = {"r2"}, *r12[] = {"r1", "r2"}, *none[] = {"nope"};
  const char *x0[] = {id[0]}, *x1[] = {id[1]}, *i2[] = {id[2]};
  sioc_target_t t_all = {NULL, 0, NULL, 0, 0};
  sioc_target_t t_r1 = {r1, 1, NULL, 0, 0};
  sioc_target_t t_r2 = {r2, 1, NULL, 0, 0};
  sioc_target_t t_r12 = {r12, 2, NULL, 0, 0};
  sioc_target_t t_r12_x_r2 = {r12, 2, r2, 1, 0};
  sioc_target_t t_x0 = {NULL, 0, x0, 1, 0};
  sioc_target_t t_r2_x1 = {r2, 1, x1, 1, 0};
  sioc_target_t t_none = {none, 1, NULL, 0, 0};
  sioc_target_t t_id2 = {i2, 1, NULL, 0, 0};
  sioc_target_t t_vol = {NULL, 0, NULL, 0, SIOC_BCAST_VOLATILE};
  EXPECT_TARGETS(NULL, 7);
  EXPECT_TARGETS(&t_all, 7);
  EXPECT_TARGETS(&t_r1, 3);
  EXPECT_TARGETS(&t_r12, 7);        /* c1 is in both rooms: once */
  EXPECT_TARGETS(&t_r12_x_r2, 1);
  EXPECT_TARGETS(&t_x0, 6);
  EXPECT_TARGETS(&t_r2_x1, 4);
  EXPECT_TARGETS(&t_none, 0);
  EXPECT_TARGETS(&t_id2, 4);
  EXPECT_TARGETS(&t_vol, 7);        /* everyone is writable */

  /* binary broadcast to r1 */
  sioc_bin_t bin = {(const uint8_t *)"\x01\x02", 2};
  const char *ph = "[{\"_placeholder\":true,\"num\":0}]";
  ASSERT_EQ(sioc_nsp_emit(nsp, &t_r1, "b", ph, strlen(ph), &bin, 1), 0);
  for (int i = 0; i < 2; i++) {
    lc_ws_expect(cl[i], "451-[\"b\",{\"_placeholder\":true,\"num\":0}]", 2000);
    lc_frame_t f;
    lc_ws_wait(cl[i], &f, 2000);
    ASSERT_EQ(f.opcode, LC_OP_BIN);
    ASSERT_MEM_EQ(f.data, f.len, "\x01\x02", 2);
    lc_frame_free(&f);
  }
  EXPECT_TARGETS(NULL, 7);   /* c2 saw nothing before the sync */

  /* A WebSocket written to during this loop turn is not writable for a
   * volatile packet (engine.io: until the write's callback): c0 gets the
   * regular packet, not the volatile one right behind it; a turn later
   * volatile packets go out again. */
  sioc_target_t t_id0 = {x0, 1, NULL, 0, 0};
  sioc_target_t t_id0_vol = {x0, 1, NULL, 0, SIOC_BCAST_VOLATILE};
  ASSERT_EQ(sioc_nsp_emit(nsp, &t_id0, "v", "[1]", 3, NULL, 0), 0);
  ASSERT_EQ(sioc_nsp_emit(nsp, &t_id0_vol, "v", "[2]", 3, NULL, 0), 0);
  lc_ws_expect(cl[0], "42[\"v\",1]", 2000);
  ASSERT_EQ(sioc_nsp_emit(nsp, &t_id0_vol, "v", "[3]", 3, NULL, 0), 0);
  lc_ws_expect(cl[0], "42[\"v\",3]", 2000);   /* [2] was dropped */
  ASSERT_EQ(sioc_nsp_emit(nsp, NULL, "bad", "{}", 2, NULL, 0), SIOC_EJSON);

  /* the room index */
  names_t v = {0};
  sioc_nsp_foreach_room(nsp, add_room, &v);
  ASSERT_EQ(v.n, 5);
  ASSERT_EQ(find(&v, "r1"), 2);
  ASSERT_EQ(find(&v, "r2"), 2);
  for (int i = 0; i < N; i++) ASSERT_EQ(find(&v, id[i]), 1);
  memset(&v, 0, sizeof(v));
  sioc_socket_foreach_room(so[1], add_room, &v);
  ASSERT_EQ(v.n, 3);
  ASSERT(find(&v, id[1]) >= 0 && find(&v, "r1") >= 0 && find(&v, "r2") >= 0);
  ASSERT_EQ(sockets_of(&t_r1), 3);
  ASSERT_EQ(sockets_of(NULL), 7);
  ASSERT_EQ(sockets_of(&t_r12_x_r2), 1);
  sioc_target_t t_x_r1 = {NULL, 0, r1, 1, 0};
  ASSERT_EQ(sockets_of(&t_x_r1), 4);
  int calls = 0;
  sioc_nsp_foreach_socket(nsp, NULL, stop_first, &calls);
  ASSERT_EQ(calls, 1);

  /* sockets_join / sockets_leave */
  const char *r3[] = {"r3"};
  sioc_target_t t_r3 = {r3, 1, NULL, 0, 0};
  ASSERT_EQ(sioc_nsp_sockets_join(nsp, &t_r2, r3, 1), 0);
  ASSERT_EQ(sockets_of(&t_r3), 6);
  EXPECT_TARGETS(&t_r3, 6);
  ASSERT_EQ(sioc_nsp_sockets_leave(nsp, &t_r3, r1, 1), 0);   /* c1 leaves r1 */
  ASSERT_EQ(sockets_of(&t_r1), 1);
  EXPECT_TARGETS(&t_r1, 1);
  /* an emptied room disappears */
  ASSERT_EQ(sioc_socket_leave(so[0], "r1"), 0);
  ASSERT_EQ(sioc_socket_leave(so[0], "r1"), 0);
  memset(&v, 0, sizeof(v));
  sioc_nsp_foreach_room(nsp, add_room, &v);
  ASSERT_EQ(find(&v, "r1"), -1);
  ASSERT_EQ(find(&v, "r3"), 2);
  EXPECT_TARGETS(&t_r1, 0);

  /* broadcast with acks: c0 and c1 answer, c2 does not -> timeout */
  bcast_res_t b1 = {0};
  uint64_t t0 = lc_now();
  ASSERT_EQ(sioc_nsp_emit_with_ack(nsp, NULL, "bq", "[]", 2, NULL, 0, 300, on_bcast_ack, &b1), 0);
  for (int i = 0; i < N; i++) {
    char *m = lc_ws_recv_text(cl[i], 2000);
    char *end;
    ASSERT(strncmp(m, "42", 2) == 0);
    long aid = strtol(m + 2, &end, 10);
    ASSERT(end > m + 2);
    ASSERT_STR_EQ(end, "[\"bq\"]");
    if (i < 2) {
      char ans[64];
      snprintf(ans, sizeof(ans), "43%ld[\"from%d\",\"ignored\"]", aid, i);
      lc_ws_text(cl[i], ans);
    }
    free(m);
  }
  LC_WAIT(b1.calls == 1, 2000);
  ASSERT_EQ(b1.err, SIOC_ETIMEDOUT);
  ASSERT(lc_now() - t0 >= 280);
  cJSON *j = cJSON_Parse(b1.responses);
  ASSERT(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2);
  ASSERT(strstr(b1.responses, "\"from0\"") && strstr(b1.responses, "\"from1\""));
  ASSERT(strstr(b1.responses, "ignored") == NULL);   /* first argument only */
  cJSON_Delete(j);
  free(b1.responses);
  /* everyone answers: err 0 before the timeout */
  bcast_res_t b2 = {0};
  ASSERT_EQ(sioc_nsp_emit_with_ack(nsp, &t_r3, "bq", "[]", 2, NULL, 0, 5000, on_bcast_ack, &b2), 0);
  for (int i = 1; i < N; i++) {
    char *m = lc_ws_recv_text(cl[i], 2000);
    long aid = strtol(m + 2, NULL, 10);
    char ans[64];
    snprintf(ans, sizeof(ans), "43%ld[%d]", aid, i);
    lc_ws_text(cl[i], ans);
    free(m);
  }
  LC_WAIT(b2.calls == 1, 2000);
  ASSERT_EQ(b2.err, 0);
  ASSERT(strcmp(b2.responses, "[1,2]") == 0 || strcmp(b2.responses, "[2,1]") == 0);
  free(b2.responses);
  lc_sleep(20);
  ASSERT_EQ(b1.calls, 1);

  /* disconnect_sockets: r3 (c1, c2) leave, c0 stays */
  ASSERT_EQ(sioc_nsp_disconnect_sockets(nsp, &t_r3, 0), 0);
  lc_ws_expect(cl[1], "41", 2000);
  lc_ws_expect(cl[2], "41", 2000);
  ASSERT_EQ(rec.n_disc, 2);
  ASSERT_STR_EQ(rec.disc_reason[0], "server namespace disconnect");
  ASSERT_STR_EQ(rec.disc_reason[1], "server namespace disconnect");
  ASSERT_EQ(rec.n_disconnecting, 2);
  ASSERT(rec.disconnecting_rooms[0] >= 2 && rec.disconnecting_rooms[1] >= 2);
  ASSERT_EQ(sioc_nsp_socket_count(nsp), 1);
  ASSERT(sioc_nsp_socket(nsp, id[1]) == NULL);
  memset(&v, 0, sizeof(v));
  sioc_nsp_foreach_room(nsp, add_room, &v);
  ASSERT_EQ(v.n, 1);   /* only c0's own room */
  ASSERT_EQ(find(&v, id[0]), 1);
  lc_client_t *gone1 = cl[1], *gone2 = cl[2];
  cl[1] = cl[2] = NULL;
  EXPECT_TARGETS(NULL, 1);
  lc_stats_expect(srv, 3, 3, 1);   /* their sessions live on */
  lc_sleep(30);
  ASSERT_EQ(gone1->in_len + gone2->in_len, 0);   /* nothing after "41" */

  /* disconnect_sockets with close: the connection goes too */
  ASSERT_EQ(sioc_nsp_disconnect_sockets(nsp, NULL, 1), 0);
  lc_ws_expect(cl[0], "41", 2000);
  lc_ws_wait_close(cl[0], 2000);
  ASSERT_EQ(rec.n_disc, 3);
  ASSERT_STR_EQ(rec.disc_reason[2], "server namespace disconnect");
  lc_close(gone1);
  lc_close(gone2);
  LC_WAIT_STATS(srv, 0, 0, 0, 2000);

  lc_server_close(srv);
  lc_rec_free(&rec);
  lc_end();
  printf("ok test_server_rooms\n");
  return 0;
}

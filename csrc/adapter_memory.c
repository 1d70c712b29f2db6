/* adapter_memory.c - the in-memory adapter: this process's room index and
 * broadcast targeting over it (socket.io's default Adapter).
 *
 * A membership is one node linked both into its room and into its socket,
 * so joins and leaves are O(1) and a disconnect walks only the socket's own
 * rooms.  Target selection never allocates: each broadcast takes a new
 * generation number, stamps the excluded sockets with it (except_mark) and
 * stamps each chosen socket (mark), so that a socket in several target rooms
 * is visited once.
 */
#include <stdlib.h>
#include <string.h>

#include "sio.h"

typedef struct {
  sio__adapter_t base;
  sioc__strmap_t rooms;      /* name -> sio__room_t */
  uint32_t gen;              /* broadcast generation */
} mem_adapter_t;

static mem_adapter_t *mem(sio__adapter_t *a) { return (mem_adapter_t *)a; }

static sio__room_t *room_get(mem_adapter_t *m, const char *name, size_t len,
                             int create) {
  sio__room_t *r = sioc__strmap_get(&m->rooms, name, len);
  if (r || !create) return r;
  r = malloc(sizeof(*r) + len + 1);
  if (!r) return NULL;
  sioc__list_init(&r->members);
  r->n_members = 0;
  r->name_len = len;
  memcpy(r->name, name, len);
  r->name[len] = '\0';
  if (sioc__strmap_put(&m->rooms, r->name, len, r)) {
    free(r);
    return NULL;
  }
  return r;
}

static void room_drop_if_empty(mem_adapter_t *m, sio__room_t *r) {
  if (r->n_members) return;
  sioc__strmap_del(&m->rooms, r->name, r->name_len);
  free(r);
}

static void member_remove(mem_adapter_t *m, sio__member_t *mb) {
  sio__room_t *r = mb->room;
  sioc__list_remove(&mb->room_link);
  sioc__list_remove(&mb->socket_link);
  free(mb);
  r->n_members--;
  room_drop_if_empty(m, r);
}

static sio__member_t *find_member(sioc_socket_t *s, const char *room, size_t len) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &s->rooms) {
    sio__member_t *mb = SIOC_CONTAINER_OF(it, sio__member_t, socket_link);
    if (mb->room->name_len == len && memcmp(mb->room->name, room, len) == 0)
      return mb;
  }
  return NULL;
}

static int mem_join(sio__adapter_t *a, sioc_socket_t *s, const char *room,
                    size_t len) {
  mem_adapter_t *m = mem(a);
  if (find_member(s, room, len)) return 0;
  sio__room_t *r = room_get(m, room, len, 1);
  if (!r) return SIOC_ENOMEM;
  sio__member_t *mb = malloc(sizeof(*mb));
  if (!mb) {
    room_drop_if_empty(m, r);
    return SIOC_ENOMEM;
  }
  mb->room = r;
  mb->socket = s;
  sioc__list_push_back(&r->members, &mb->room_link);
  sioc__list_push_back(&s->rooms, &mb->socket_link);
  r->n_members++;
  return 0;
}

static void mem_leave(sio__adapter_t *a, sioc_socket_t *s, const char *room,
                      size_t len) {
  sio__member_t *mb = find_member(s, room, len);
  if (mb) member_remove(mem(a), mb);
}

static void mem_leave_all(sio__adapter_t *a, sioc_socket_t *s) {
  while (!sioc__list_empty(&s->rooms))
    member_remove(mem(a), SIOC_CONTAINER_OF(s->rooms.next, sio__member_t, socket_link));
}

static void mem_apply(sio__adapter_t *a, const sioc_target_t *t,
                      sio__socket_fn fn, void *data) {
  mem_adapter_t *m = mem(a);
  sioc_nsp_t *nsp = a->nsp;
  uint32_t gen = ++m->gen;
  sioc__list_t *it, *tmp;
  if (gen == 0) {   /* wrapped: clear every stamp so 0 stays unused */
    SIOC_LIST_FOREACH(it, &nsp->sockets) {
      sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, nsp_link);
      s->mark = s->except_mark = 0;
    }
    gen = m->gen = 1;
  }
  size_t n_except = t ? t->n_except : 0;
  for (size_t i = 0; i < n_except; i++) {
    sio__room_t *r = room_get(m, t->except_rooms[i], strlen(t->except_rooms[i]), 0);
    if (!r) continue;
    SIOC_LIST_FOREACH(it, &r->members) {
      SIOC_CONTAINER_OF(it, sio__member_t, room_link)->socket->except_mark = gen;
    }
  }
  if (!t || t->n_rooms == 0) {
    SIOC_LIST_FOREACH_SAFE(it, tmp, &nsp->sockets) {
      sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, nsp_link);
      if (s->except_mark == gen) continue;
      s->mark = gen;
      if (fn(s, data)) return;
    }
    return;
  }
  for (size_t i = 0; i < t->n_rooms; i++) {
    sio__room_t *r = room_get(m, t->rooms[i], strlen(t->rooms[i]), 0);
    if (!r) continue;
    SIOC_LIST_FOREACH_SAFE(it, tmp, &r->members) {
      sioc_socket_t *s = SIOC_CONTAINER_OF(it, sio__member_t, room_link)->socket;
      if (s->except_mark == gen || s->mark == gen) continue;
      s->mark = gen;
      if (fn(s, data)) return;
    }
  }
}

static void mem_rooms(sio__adapter_t *a, sioc_room_iter_cb cb, void *data) {
  sioc__strmap_slot_t *slot;
  SIOC_STRMAP_FOREACH(slot, &mem(a)->rooms) {
    sio__room_t *r = slot->val;
    if (cb(r->name, r->n_members, data)) return;
  }
}

static int mem_broadcast(sio__adapter_t *a, const sio__broadcast_t *b) {
  sio__deliver_local(a->nsp, b);
  return 0;
}

/* The sockets_* operations act on a snapshot of the targets: acting may
 * change the very rooms being walked. */
static int snapshot_add(sioc_socket_t *s, void *data) {
  sio__snapshot_t *v = data;
  if (v->n == v->cap) {
    size_t ncap = v->cap ? v->cap * 2 : 16;
    sioc_socket_t **n = realloc(v->items, ncap * sizeof(*n));
    if (!n) {
      v->err = SIOC_ENOMEM;
      return 1;
    }
    v->items = n;
    v->cap = ncap;
  }
  v->items[v->n++] = sioc_socket_ref(s);
  return 0;
}

void sio__snapshot_take(sio__adapter_t *a, const sioc_target_t *t, sio__snapshot_t *v) {
  memset(v, 0, sizeof(*v));
  a->ops->apply(a, t, snapshot_add, v);
}

void sio__snapshot_free(sio__snapshot_t *v) {
  for (size_t i = 0; i < v->n; i++) sioc_socket_unref(v->items[i]);
  free(v->items);
  memset(v, 0, sizeof(*v));
}

typedef int (*socket_op_fn)(sioc_socket_t *s, const void *arg);

static int for_targets(sio__adapter_t *a, const sioc_target_t *t, socket_op_fn fn,
                       const void *arg) {
  sio__snapshot_t v;
  sio__snapshot_take(a, t, &v);
  int r = v.err;
  for (size_t i = 0; !r && i < v.n; i++) {
    if (sioc_socket_connected(v.items[i])) r = fn(v.items[i], arg);
  }
  sio__snapshot_free(&v);
  return r;
}

typedef struct {
  const char *const *rooms;
  size_t n;
} rooms_arg_t;

static int join_rooms(sioc_socket_t *s, const void *arg) {
  const rooms_arg_t *a = arg;
  for (size_t i = 0; i < a->n; i++) {
    int r = sioc_socket_join(s, a->rooms[i]);
    if (r) return r;
  }
  return 0;
}

static int leave_rooms(sioc_socket_t *s, const void *arg) {
  const rooms_arg_t *a = arg;
  for (size_t i = 0; i < a->n; i++) sioc_socket_leave(s, a->rooms[i]);
  return 0;
}

static int disconnect_one(sioc_socket_t *s, const void *arg) {
  sioc_socket_disconnect(s, *(const int *)arg);
  return 0;
}

static int mem_sockets_join(sio__adapter_t *a, const sioc_target_t *t,
                            const char *const *rooms, size_t n) {
  rooms_arg_t arg = {rooms, n};
  return for_targets(a, t, join_rooms, &arg);
}

static int mem_sockets_leave(sio__adapter_t *a, const sioc_target_t *t,
                             const char *const *rooms, size_t n) {
  rooms_arg_t arg = {rooms, n};
  return for_targets(a, t, leave_rooms, &arg);
}

static int mem_disconnect_sockets(sio__adapter_t *a, const sioc_target_t *t,
                                  int close) {
  return for_targets(a, t, disconnect_one, &close);
}

static void mem_free(sio__adapter_t *a) {
  mem_adapter_t *m = mem(a);
  sioc__strmap_slot_t *slot;
  SIOC_STRMAP_FOREACH(slot, &m->rooms) {
    sio__room_t *r = slot->val;
    while (!sioc__list_empty(&r->members)) {
      sio__member_t *mb = SIOC_CONTAINER_OF(r->members.next, sio__member_t, room_link);
      sioc__list_remove(&mb->room_link);
      sioc__list_remove(&mb->socket_link);
      free(mb);
    }
    free(r);
  }
  sioc__strmap_free(&m->rooms);
  free(m);
}

static const sio__adapter_ops_t memory_ops = {
  mem_join, mem_leave, mem_leave_all, mem_apply, mem_rooms, mem_broadcast,
  mem_sockets_join, mem_sockets_leave, mem_disconnect_sockets, mem_free, NULL,
};

sio__adapter_t *sio__memory_adapter_new(sioc_nsp_t *nsp) {
  mem_adapter_t *m = calloc(1, sizeof(*m));
  if (!m) return NULL;
  m->base.ops = &memory_ops;
  m->base.nsp = nsp;
  sioc__strmap_init(&m->rooms);
  return &m->base;
}

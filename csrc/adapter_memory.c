/* adapter_memory.c - the in-memory room index of a namespace and broadcast
 * targeting over it (socket.io's default Adapter).
 *
 * Target selection never allocates: a broadcast takes a new generation
 * number of the namespace, stamps excluded sockets with it (except_mark)
 * and stamps each chosen socket (mark) so that a socket in several target
 * rooms is visited once.
 */
#include <stdlib.h>
#include <string.h>

#include "sio.h"

static sio__room_t *room_get(sioc_nsp_t *nsp, const char *name, size_t len,
                             int create) {
  sio__room_t *r = sioc__strmap_get(&nsp->rooms, name, len);
  if (r || !create) return r;
  r = malloc(sizeof(*r) + len + 1);
  if (!r) return NULL;
  sioc__list_init(&r->members);
  r->n_members = 0;
  r->name_len = len;
  memcpy(r->name, name, len);
  r->name[len] = '\0';
  if (sioc__strmap_put(&nsp->rooms, r->name, len, r)) {
    free(r);
    return NULL;
  }
  return r;
}

static void member_remove(sioc_nsp_t *nsp, sio__member_t *m) {
  sio__room_t *r = m->room;
  sioc__list_remove(&m->room_link);
  sioc__list_remove(&m->socket_link);
  free(m);
  if (--r->n_members == 0) {
    sioc__strmap_del(&nsp->rooms, r->name, r->name_len);
    free(r);
  }
}

static sio__member_t *find_member(sioc_socket_t *s, const char *room, size_t len) {
  sioc__list_t *it;
  SIOC_LIST_FOREACH(it, &s->rooms) {
    sio__member_t *m = SIOC_CONTAINER_OF(it, sio__member_t, socket_link);
    if (m->room->name_len == len && memcmp(m->room->name, room, len) == 0) return m;
  }
  return NULL;
}

int sio__adapter_join(sioc_socket_t *s, const char *room, size_t len) {
  if (find_member(s, room, len)) return 0;
  sio__room_t *r = room_get(s->nsp, room, len, 1);
  if (!r) return SIOC_ENOMEM;
  sio__member_t *m = malloc(sizeof(*m));
  if (!m) {
    if (r->n_members == 0) {
      sioc__strmap_del(&s->nsp->rooms, r->name, r->name_len);
      free(r);
    }
    return SIOC_ENOMEM;
  }
  m->room = r;
  m->socket = s;
  sioc__list_push_back(&r->members, &m->room_link);
  sioc__list_push_back(&s->rooms, &m->socket_link);
  r->n_members++;
  return 0;
}

void sio__adapter_leave(sioc_socket_t *s, const char *room, size_t len) {
  sio__member_t *m = find_member(s, room, len);
  if (m) member_remove(s->nsp, m);
}

void sio__adapter_leave_all(sioc_socket_t *s) {
  while (!sioc__list_empty(&s->rooms))
    member_remove(s->nsp, SIOC_CONTAINER_OF(s->rooms.next, sio__member_t, socket_link));
}

void sio__adapter_apply(sioc_nsp_t *nsp, const sioc_target_t *t,
                        int (*cb)(sioc_socket_t *, void *), void *data) {
  uint32_t gen = ++nsp->mark;
  if (gen == 0) {   /* wrapped: clear every stamp so 0 stays unused */
    sioc__list_t *it;
    SIOC_LIST_FOREACH(it, &nsp->sockets) {
      sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, nsp_link);
      s->mark = s->except_mark = 0;
    }
    gen = nsp->mark = 1;
  }
  size_t n_except = t ? t->n_except : 0;
  for (size_t i = 0; i < n_except; i++) {
    sio__room_t *r = room_get(nsp, t->except_rooms[i], strlen(t->except_rooms[i]), 0);
    if (!r) continue;
    sioc__list_t *it;
    SIOC_LIST_FOREACH(it, &r->members) {
      SIOC_CONTAINER_OF(it, sio__member_t, room_link)->socket->except_mark = gen;
    }
  }
  sioc__list_t *it, *tmp;
  if (!t || t->n_rooms == 0) {
    SIOC_LIST_FOREACH_SAFE(it, tmp, &nsp->sockets) {
      sioc_socket_t *s = SIOC_CONTAINER_OF(it, sioc_socket_t, nsp_link);
      if (s->except_mark == gen) continue;
      s->mark = gen;
      if (cb(s, data)) return;
    }
    return;
  }
  for (size_t i = 0; i < t->n_rooms; i++) {
    sio__room_t *r = room_get(nsp, t->rooms[i], strlen(t->rooms[i]), 0);
    if (!r) continue;
    SIOC_LIST_FOREACH_SAFE(it, tmp, &r->members) {
      sioc_socket_t *s = SIOC_CONTAINER_OF(it, sio__member_t, room_link)->socket;
      if (s->except_mark == gen || s->mark == gen) continue;
      s->mark = gen;
      if (cb(s, data)) return;
    }
  }
}

void sioc_nsp_foreach_room(sioc_nsp_t *nsp, sioc_room_iter_cb cb, void *data) {
  sioc__strmap_slot_t *slot;
  SIOC_STRMAP_FOREACH(slot, &nsp->rooms) {
    sio__room_t *r = slot->val;
    if (cb(r->name, r->n_members, data)) return;
  }
}

void sio__adapter_free(sioc_nsp_t *nsp) {
  sioc__strmap_slot_t *slot;
  SIOC_STRMAP_FOREACH(slot, &nsp->rooms) {
    sio__room_t *r = slot->val;
    while (!sioc__list_empty(&r->members)) {
      sio__member_t *m = SIOC_CONTAINER_OF(r->members.next, sio__member_t, room_link);
      sioc__list_remove(&m->room_link);
      sioc__list_remove(&m->socket_link);
      free(m);
    }
    free(r);
  }
  sioc__strmap_free(&nsp->rooms);
}

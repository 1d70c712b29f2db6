/* strmap.c - open-addressing string map (see strmap.h).
 *
 * Invariants: cap is 0 or a power of two; count <= cap * 3 / 4; every key is
 * reachable from its home slot without crossing an empty slot (kept by
 * backward-shift deletion).
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "sioc.h"

static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 16777619u;
  }
  return h;
}

void sioc__strmap_init(sioc__strmap_t *m) {
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
}

void sioc__strmap_free(sioc__strmap_t *m) {
  free(m->slots);
  sioc__strmap_init(m);
}

static sioc__strmap_slot_t *find(const sioc__strmap_t *m, const char *key,
                                 size_t klen, uint32_t h) {
  if (m->cap == 0 || klen > UINT32_MAX) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    sioc__strmap_slot_t *s = &m->slots[i];
    if (!s->key) return NULL;
    if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
      return s;
  }
}

void *sioc__strmap_get(const sioc__strmap_t *m, const char *key, size_t klen) {
  sioc__strmap_slot_t *s = find(m, key, klen, hash_bytes(key, klen));
  return s ? s->val : NULL;
}

static void insert_slot(sioc__strmap_slot_t *slots, size_t cap,
                        const sioc__strmap_slot_t *e) {
  size_t mask = cap - 1;
  size_t i = e->hash & mask;
  while (slots[i].key) i = (i + 1) & mask;
  slots[i] = *e;
}

static int grow(sioc__strmap_t *m) {
  size_t ncap = m->cap ? m->cap * 2 : 8;
  sioc__strmap_slot_t *ns = calloc(ncap, sizeof(*ns));
  if (!ns) return SIOC_ENOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) insert_slot(ns, ncap, &m->slots[i]);
  free(m->slots);
  m->slots = ns;
  m->cap = ncap;
  return 0;
}

int sioc__strmap_put(sioc__strmap_t *m, const char *key, size_t klen, void *val) {
  if (klen > UINT32_MAX) return SIOC_EINVAL;
  uint32_t h = hash_bytes(key, klen);
  sioc__strmap_slot_t *s = find(m, key, klen, h);
  if (s) {
    s->key = key;   /* the new value may own a new copy of the key */
    s->val = val;
    return 0;
  }
  if ((m->count + 1) * 4 > m->cap * 3) {
    int r = grow(m);
    if (r) return r;
  }
  sioc__strmap_slot_t e = {key, (uint32_t)klen, h, val};
  insert_slot(m->slots, m->cap, &e);
  m->count++;
  return 0;
}

void *sioc__strmap_del(sioc__strmap_t *m, const char *key, size_t klen) {
  sioc__strmap_slot_t *s = find(m, key, klen, hash_bytes(key, klen));
  if (!s) return NULL;
  void *val = s->val;
  size_t mask = m->cap - 1;
  size_t hole = (size_t)(s - m->slots);
  /* Shift back every following entry whose home slot does not lie in
   * (hole, j], so that no probe chain is broken by the new hole. */
  for (size_t j = (hole + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
    size_t home = m->slots[j].hash & mask;
    int movable = (hole <= j) ? (home <= hole || home > j)
                              : (home <= hole && home > j);
    if (movable) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].key = NULL;
  m->count--;
  return val;
}

/* strmap.h - a hash map from byte-string keys to pointers.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), FNV-1a hashes.  The map does not copy keys: each key must
 * stay valid, unchanged, for as long as its entry exists; in practice the key
 * lives inside the value (a session's sid, a room's name).
 */
#ifndef SIOC_STRMAP_H
#define SIOC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/* 24 bytes: the maps are per connection state (sessions, socket ids, rooms),
 * so their slots are part of what an idle connection costs. */
typedef struct {
  const char *key;   /* NULL: empty slot */
  uint32_t klen;     /* keys are ids and names: longer ones are refused */
  uint32_t hash;
  void *val;
} sioc__strmap_slot_t;

typedef struct {
  sioc__strmap_slot_t *slots;
  size_t cap;        /* 0 or a power of two */
  size_t count;
} sioc__strmap_t;

void sioc__strmap_init(sioc__strmap_t *m);
/* Frees the slot array (not keys or values). */
void sioc__strmap_free(sioc__strmap_t *m);
void *sioc__strmap_get(const sioc__strmap_t *m, const char *key, size_t klen);
/* Inserts or replaces.  0, SIOC_EINVAL (a key of 4 GiB or more) or
 * SIOC_ENOMEM (map unchanged). */
int sioc__strmap_put(sioc__strmap_t *m, const char *key, size_t klen, void *val);
/* Removes the entry and returns its value, or NULL when absent. */
void *sioc__strmap_del(sioc__strmap_t *m, const char *key, size_t klen);

/* Iteration: slots[i] with a non-NULL key, for i < cap.  Do not insert or
 * delete while iterating. */
#define SIOC_STRMAP_FOREACH(slot, m)                                        \
  for ((slot) = (m)->slots; (m)->slots && (slot) < (m)->slots + (m)->cap; (slot)++) \
    if ((slot)->key)

#endif

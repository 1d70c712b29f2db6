/* list.h - intrusive circular doubly-linked lists.
 *
 * A list head and its nodes are the same type; an empty list points at
 * itself.  Objects embed a node and are found again with SIOC_CONTAINER_OF,
 * so linking and unlinking never allocate.
 */
#ifndef SIOC_LIST_H
#define SIOC_LIST_H

#include <stddef.h>

#define SIOC_CONTAINER_OF(ptr, type, field) \
  ((type *)((char *)(ptr) - offsetof(type, field)))

typedef struct sioc__list_s {
  struct sioc__list_s *next;
  struct sioc__list_s *prev;
} sioc__list_t;

static inline void sioc__list_init(sioc__list_t *l) { l->next = l->prev = l; }
static inline int sioc__list_empty(const sioc__list_t *l) { return l->next == l; }

static inline void sioc__list_push_back(sioc__list_t *head, sioc__list_t *n) {
  n->prev = head->prev;
  n->next = head;
  head->prev->next = n;
  head->prev = n;
}

/* Unlinks n and leaves it self-linked, so removing twice is harmless. */
static inline void sioc__list_remove(sioc__list_t *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n->prev = n;
}

#define SIOC_LIST_FOREACH(it, head) \
  for ((it) = (head)->next; (it) != (head); (it) = (it)->next)

/* Safe against removal of `it` inside the loop body. */
#define SIOC_LIST_FOREACH_SAFE(it, tmp, head)                         \
  for ((it) = (head)->next, (tmp) = (it)->next; (it) != (head);       \
       (it) = (tmp), (tmp) = (it)->next)

#endif

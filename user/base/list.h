/* An intrusive circular doubly-linked list with a sentinel head: the owner
 * embeds a struct sg_list node in each object and keeps one struct sg_list
 * as the head. Insert and remove are O(1) and never allocate. */
#ifndef SG_LIST_H
#define SG_LIST_H

#include <stdbool.h>
#include <stddef.h>

/* A head, or a node in an object. An empty head and a node on no list
 * point at themselves; a zeroed one is neither (sg_list_init it first). */
struct sg_list {
	struct sg_list *next, *prev;
};

/* The object of type `type` whose member `member` is the node `ptr`. */
#define SG_LIST_ENTRY(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Every node of `head`, first to last; the body must not remove `pos`. */
#define SG_LIST_FOR_EACH(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/* Every node of `head`, first to last; the body may remove `pos` (and only
 * `pos`: `tmp` holds the next node). */
#define SG_LIST_FOR_EACH_SAFE(pos, tmp, head)                                                      \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

/* An empty head, or a node on no list. */
static inline void sg_list_init(struct sg_list *l)
{
	l->next = l->prev = l;
}

static inline bool sg_list_empty(const struct sg_list *head)
{
	return head->next == head;
}

/* The first node of `head`, or NULL when it is empty. */
static inline struct sg_list *sg_list_first(const struct sg_list *head)
{
	return sg_list_empty(head) ? NULL : head->next;
}

/* n (on no list) becomes the first node of head. */
static inline void sg_list_insert_head(struct sg_list *head, struct sg_list *n)
{
	n->prev = head;
	n->next = head->next;
	head->next->prev = n;
	head->next = n;
}

/* n (on no list) becomes the last node of head. */
static inline void sg_list_insert_tail(struct sg_list *head, struct sg_list *n)
{
	n->next = head;
	n->prev = head->prev;
	head->prev->next = n;
	head->prev = n;
}

/* Take n off its list; it is left pointing at itself, so removing it again
 * (or removing a node that was sg_list_init'ed and never inserted) changes
 * nothing. */
static inline void sg_list_remove(struct sg_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#endif

/* Items handed to a loop by other threads: a mutex-guarded list and an
 * eventfd in the loop. Any thread posts; the loop's own thread takes the
 * items, in the order they came, from its dispatch. The sender keeps no
 * pointer to an item it posted: the taker owns it. */
#ifndef SG_INBOX_H
#define SG_INBOX_H

#include <pthread.h>
#include <stdbool.h>

#include "user/base/list.h"
#include "user/base/loop.h"

struct sg_inbox {
	pthread_mutex_t lock;
	struct sg_list items; /* guarded by lock */
	bool closed;	      /* guarded by lock: posts are refused */
	bool signalled;	      /* guarded by lock: the eventfd holds a wake-up */
	struct sg_io io;      /* the eventfd, in `loop` */
	struct sg_loop *loop;
	/* Called on the loop's thread with each item taken (off every list). */
	void (*take)(void *data, struct sg_list *item);
	void *data;
};

/* An open inbox on `loop`, called from the loop's thread or before it
 * runs; -1 with errno when the eventfd cannot be made. */
int sg_inbox_open(struct sg_inbox *in, struct sg_loop *loop,
		  void (*take)(void *data, struct sg_list *item), void *data);

/* From any thread: item (on no list) is queued and the loop woken.
 * false once the inbox is closed: the item stays the caller's. */
bool sg_inbox_post(struct sg_inbox *in, struct sg_list *item);

/* From the loop's thread (or once it stopped): refuse further posts, and
 * hand each item still queued to `drop` (NULL: they are forgotten). The
 * struct itself must outlive every thread that may still post to it. */
void sg_inbox_close(struct sg_inbox *in, void (*drop)(struct sg_list *item));

/* A closed inbox's lock, released; once no thread can post any more. */
void sg_inbox_destroy(struct sg_inbox *in);

#endif

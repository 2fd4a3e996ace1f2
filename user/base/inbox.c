/* The inbox (contract in inbox.h). The eventfd is written only when it
 * holds no wake-up yet (`signalled`), so a burst of posts costs the loop
 * one wake-up and one read. */
#include "user/base/inbox.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "user/base/log.h"

static void signal_loop(struct sg_inbox *in)
{
	uint64_t one = 1;

	if (write(in->io.fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		SG_WARN("inbox: eventfd write: %s", strerror(errno));
}

static void on_items(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_inbox *in = io->data;
	struct sg_list got, *l;
	uint64_t v;

	(void)loop;
	(void)revents;
	if (read(io->fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		SG_WARN("inbox: eventfd read: %s", strerror(errno));
	sg_list_init(&got);
	pthread_mutex_lock(&in->lock);
	in->signalled = false;
	if (!sg_list_empty(&in->items)) { /* the whole queue, moved at once */
		got.next = in->items.next;
		got.prev = in->items.prev;
		got.next->prev = &got;
		got.prev->next = &got;
		sg_list_init(&in->items);
	}
	pthread_mutex_unlock(&in->lock);
	while ((l = sg_list_first(&got))) {
		sg_list_remove(l);
		sg_list_init(l);
		in->take(in->data, l);
	}
}

int sg_inbox_open(struct sg_inbox *in, struct sg_loop *loop,
		  void (*take)(void *data, struct sg_list *item), void *data)
{
	memset(in, 0, sizeof(*in));
	pthread_mutex_init(&in->lock, NULL);
	sg_list_init(&in->items);
	in->loop = loop;
	in->take = take;
	in->data = data;
	in->io.cb = on_items;
	in->io.data = in;
	in->io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (in->io.fd == -1 || sg_io_set(loop, &in->io, EPOLLIN) == -1) {
		int err = errno;

		if (in->io.fd != -1)
			close(in->io.fd);
		in->io.fd = -1;
		in->closed = true;
		errno = err;
		return -1;
	}
	return 0;
}

bool sg_inbox_post(struct sg_inbox *in, struct sg_list *item)
{
	bool wake;

	pthread_mutex_lock(&in->lock);
	if (in->closed) {
		pthread_mutex_unlock(&in->lock);
		return false;
	}
	sg_list_insert_tail(&in->items, item);
	wake = !in->signalled;
	in->signalled = true;
	/* Written under the lock: close cannot shut the eventfd between. */
	if (wake)
		signal_loop(in);
	pthread_mutex_unlock(&in->lock);
	return true;
}

void sg_inbox_close(struct sg_inbox *in, void (*drop)(struct sg_list *item))
{
	struct sg_list *l;

	pthread_mutex_lock(&in->lock);
	if (in->io.fd != -1) {
		sg_io_set(in->loop, &in->io, 0);
		close(in->io.fd);
		in->io.fd = -1;
	}
	in->closed = true;
	pthread_mutex_unlock(&in->lock);
	/* No post adds an item any more: the queue is ours. */
	while ((l = sg_list_first(&in->items))) {
		sg_list_remove(l);
		sg_list_init(l);
		if (drop)
			drop(l);
	}
}

void sg_inbox_destroy(struct sg_inbox *in)
{
	pthread_mutex_destroy(&in->lock);
}

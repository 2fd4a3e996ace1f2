/* A fetch on a thread, heard on a loop (the contract is fetchcall.h). Two
 * hold a call: its thread until the answer is in, and the loop's side
 * until it heard it or was cancelled; the last to let go frees it. The
 * thread signals an eventfd the loop watches; a cancel signals another,
 * which the fetch watches as its stop. */
#include "user/core/fetchcall.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "user/base/log.h"

struct sg_fetchcall {
	_Atomic int refs;
	struct sg_loop *loop;
	struct sg_io io; /* the eventfd the thread signals */
	int stop;	 /* the eventfd a cancel signals (f.stop, unless the caller's) */
	void (*drop)(void *held);
	void *held;
	struct sg_closing closing;
	sg_fetchcall_fn done;
	void *arg;
	atomic_int *inflight;
	struct sg_fetch f; /* its strings the call's own */
	char *method, *url, *headers, *body, *dial_addr;
	/* the answer, written by the thread before it signals */
	int rc;
	struct sg_fetched got;
	char err[256];
};

static void put(struct sg_fetchcall *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	if (c->io.fd != -1)
		close(c->io.fd);
	if (c->stop != -1)
		close(c->stop);
	if (c->drop)
		c->drop(c->held);
	free(c->method);
	free(c->url);
	free(c->headers);
	free(c->body);
	free(c->dial_addr);
	free(c->got.body);
	atomic_fetch_sub(c->inflight, 1);
	free(c);
}

static void *run(void *arg)
{
	struct sg_fetchcall *c = arg;
	uint64_t one = 1;

	c->rc = sg_fetch(&c->f, &c->got, c->err, sizeof(c->err));
	if (write(c->io.fd, &one, sizeof(one)) < 0)
		SG_ERR("fetch: cannot signal a call's end: %s", strerror(errno));
	put(c);
	return NULL;
}

static void let_go(struct sg_closing *cl)
{
	put((struct sg_fetchcall *)((char *)cl - offsetof(struct sg_fetchcall, closing)));
}

/* The loop's side lets go (after its dispatch: the loop may still hold
 * the io in this pass's batch). */
static void release(struct sg_fetchcall *c)
{
	sg_io_set(c->loop, &c->io, 0);
	sg_loop_defer_close(c->loop, &c->closing, let_go);
}

static void on_signal(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_fetchcall *c = io->data;
	uint64_t n;

	(void)loop;
	(void)revents;
	if (read(io->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	release(c); /* freed after this pass: got stays readable below */
	c->done(c->arg, c->rc, &c->got, c->err);
}

static char *dup_of(const char *s, size_t len)
{
	char *d = s ? malloc(len + 1) : NULL;

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static bool copied(struct sg_fetchcall *c, const struct sg_fetch *f)
{
	c->f = *f;
	c->method = dup_of(f->method, f->method ? strlen(f->method) : 0);
	c->url = dup_of(f->url, f->url ? strlen(f->url) : 0);
	c->headers = dup_of(f->headers, f->headers ? strlen(f->headers) : 0);
	c->body = dup_of(f->body, f->body_len);
	c->dial_addr = dup_of(f->dial_addr, f->dial_addr ? strlen(f->dial_addr) : 0);
	c->f.dial_addr = c->dial_addr;
	c->f.method = c->method;
	c->f.url = c->url;
	c->f.headers = c->headers;
	c->f.body = c->body;
	if (!f->stop)
		c->f.stop = &c->stop;
	return (!f->method || c->method) && c->url && (!f->headers || c->headers) &&
	       (!f->body || c->body) && (!f->dial_addr || c->dial_addr);
}

struct sg_fetchcall *sg_fetchcall_start(struct sg_loop *loop, const struct sg_fetch *f,
					sg_fetchcall_fn done, void *arg, atomic_int *inflight,
					int max)
{
	return sg_fetchcall_start_held(loop, f, done, arg, inflight, max, NULL, NULL);
}

struct sg_fetchcall *sg_fetchcall_start_held(struct sg_loop *loop, const struct sg_fetch *f,
					     sg_fetchcall_fn done, void *arg, atomic_int *inflight,
					     int max, void (*drop)(void *held), void *held)
{
	struct sg_fetchcall *c;
	pthread_attr_t attr;
	pthread_t t;
	int rc = ENOMEM;

	if (atomic_fetch_add(inflight, 1) >= max) {
		atomic_fetch_sub(inflight, 1);
		if (drop)
			drop(held);
		errno = EAGAIN;
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		atomic_fetch_sub(inflight, 1);
		if (drop)
			drop(held);
		errno = ENOMEM;
		return NULL;
	}
	c->drop = drop;
	c->held = held;
	c->inflight = inflight;
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->io.fd = c->stop = -1;
	c->io.cb = on_signal;
	c->io.data = c;
	atomic_init(&c->refs, 2);
	if (copied(c, f) && (f->stop || (c->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) != -1) &&
	    (c->io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) != -1 &&
	    sg_io_set(loop, &c->io, EPOLLIN) == 0 && pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		rc = pthread_create(&t, &attr, run, c);
		pthread_attr_destroy(&attr);
	}
	if (rc == 0)
		return c;
	if (c->io.fd != -1)
		sg_io_set(loop, &c->io, 0);
	atomic_store(&c->refs, 1);
	put(c);
	errno = rc;
	return NULL;
}

void sg_fetchcall_cancel(struct sg_fetchcall *c)
{
	static const uint64_t one = 1;

	if (!c)
		return;
	if (c->stop != -1 && write(c->stop, &one, sizeof(one)) < 0)
		SG_WARN("fetch: cannot stop a call: %s", strerror(errno));
	release(c);
}

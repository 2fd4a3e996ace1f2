/* The resolver thread and its hand-over (see user/base/dns.h). Queries move
 * queue -> busy -> answered under the shared lock; the loop takes answered
 * ones one at a time, so a callback that cancels another query always
 * finds it in a shared list. */
#include "user/base/dns.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "policy/failure.h"

/* What the worker and the thread share; freed by whichever lets go last
 * (the thread may be inside getaddrinfo for seconds after the worker quit). */
struct shared {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct sg_dns_query *queue, *answered; /* FIFO lists through q->next */
	struct sg_dns_query *busy;	       /* being looked up; NULL once cancelled */
	unsigned held;			       /* queued, busy or answered: at most max */
	int efd;			       /* the loop's eventfd, -1 once the worker let go */
	bool stop;
	int refs;
};

struct sg_dns {
	struct sg_loop *loop;
	unsigned max;	   /* 0: no bound */
	struct shared *sh; /* NULL until the first query */
	struct sg_io io;   /* the eventfd */
};

static void push(struct sg_dns_query **list, struct sg_dns_query *q)
{
	while (*list)
		list = &(*list)->next;
	q->next = NULL;
	*list = q;
}

static bool unlink_query(struct sg_dns_query **list, struct sg_dns_query *q)
{
	for (; *list; list = &(*list)->next) {
		if (*list == q) {
			*list = q->next;
			return true;
		}
	}
	return false;
}

static void release(struct shared *sh)
{
	bool last;

	pthread_mutex_lock(&sh->lock);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->wake);
	free(sh);
}

int sg_dns_lookup(const char *host, uint16_t port, int flags, struct sg_dns_addrs *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | flags };
	struct addrinfo *res;
	char serv[8];
	int rc;

	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(host, serv, &hints, &res);
	if (rc == EAI_SYSTEM && errno)
		return errno;
	if (rc != 0)
		return SG_FAIL_DNS(rc);
	out->n = 0;
	for (struct addrinfo *a = res; a && out->n < SG_DNS_MAX_ADDRS; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(out->ss[0]))
			continue;
		memcpy(&out->ss[out->n], a->ai_addr, a->ai_addrlen);
		out->len[out->n++] = a->ai_addrlen;
	}
	freeaddrinfo(res);
	return out->n ? 0 : SG_FAIL_DNS(EAI_NONAME);
}

static void *resolver(void *arg)
{
	struct shared *sh = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&sh->lock);
	for (;;) {
		struct sg_dns_query *q;
		struct sg_dns_addrs addrs = { 0 };
		char host[sizeof(q->host)];
		uint16_t port;
		int err;

		while (!sh->stop && !sh->queue)
			pthread_cond_wait(&sh->wake, &sh->lock);
		if (sh->stop)
			break;
		q = sh->queue;
		sh->queue = q->next;
		sh->busy = q;
		memcpy(host, q->host, sizeof(host));
		port = q->port;
		/* q may be cancelled and freed while we look: only the copies
		 * are used until the lock is back and busy still names it. */
		pthread_mutex_unlock(&sh->lock);
		err = sg_dns_lookup(host, port, 0, &addrs);
		pthread_mutex_lock(&sh->lock);
		if (sh->busy != q)
			continue;
		sh->busy = NULL;
		q->err = err;
		q->addrs = addrs;
		push(&sh->answered, q);
		/* The counter cannot overflow here; a failed write would only
		 * mean that the loop has a wake-up pending already. */
		if (sh->efd >= 0 && write(sh->efd, &one, sizeof(one)) == -1)
			continue;
	}
	pthread_mutex_unlock(&sh->lock);
	release(sh);
	return NULL;
}

/* The eventfd fired: run the answered queries' callbacks, one at a time. */
static void on_answers(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_dns *d = io->data;
	uint64_t n;

	if (read(io->fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		return;
	for (;;) {
		struct sg_dns_query *q;

		pthread_mutex_lock(&d->sh->lock);
		q = d->sh->answered;
		if (q) {
			d->sh->answered = q->next;
			d->sh->held--;
		}
		pthread_mutex_unlock(&d->sh->lock);
		if (!q)
			return;
		q->done(q);
	}
}

/* The shared state, the eventfd and the thread, on the first query. */
static int start(struct sg_dns *d)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (!sh)
		return -1;
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->wake, NULL);
	sh->refs = 2;
	sh->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->io = (struct sg_io){ .fd = sh->efd, .cb = on_answers, .data = d };
	if (sh->efd == -1 || sg_io_set(d->loop, &d->io, EPOLLIN) == -1)
		goto fail;
	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, resolver, sh);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sg_io_set(d->loop, &d->io, 0);
		errno = rc;
		goto fail;
	}
	d->sh = sh;
	return 0;
fail:
	rc = errno;
	if (sh->efd >= 0)
		close(sh->efd);
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->wake);
	free(sh);
	errno = rc;
	return -1;
}

struct sg_dns *sg_dns_new(struct sg_loop *loop, unsigned max)
{
	struct sg_dns *d = calloc(1, sizeof(*d));

	if (d) {
		d->loop = loop;
		d->max = max;
	}
	return d;
}

void sg_dns_free(struct sg_dns *d)
{
	struct shared *sh;
	int efd;

	if (!d)
		return;
	sh = d->sh;
	if (sh) {
		sg_io_set(d->loop, &d->io, 0);
		pthread_mutex_lock(&sh->lock);
		sh->stop = true;
		sh->queue = sh->answered = sh->busy = NULL;
		efd = sh->efd;
		sh->efd = -1;
		pthread_cond_signal(&sh->wake);
		pthread_mutex_unlock(&sh->lock);
		close(efd);
		release(sh);
	}
	free(d);
}

int sg_dns_query(struct sg_dns *d, struct sg_dns_query *q)
{
	if (strnlen(q->host, sizeof(q->host)) == sizeof(q->host)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!d->sh && start(d) == -1)
		return -1;
	pthread_mutex_lock(&d->sh->lock);
	if (d->max && d->sh->held >= d->max) {
		pthread_mutex_unlock(&d->sh->lock);
		errno = EAGAIN;
		return -1;
	}
	d->sh->held++;
	push(&d->sh->queue, q);
	pthread_cond_signal(&d->sh->wake);
	pthread_mutex_unlock(&d->sh->lock);
	return 0;
}

void sg_dns_cancel(struct sg_dns *d, struct sg_dns_query *q)
{
	struct shared *sh = d->sh;

	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	if (sh->busy == q) {
		sh->busy = NULL;
		sh->held--;
	} else if (unlink_query(&sh->queue, q) || unlink_query(&sh->answered, q)) {
		sh->held--;
	}
	pthread_mutex_unlock(&sh->lock);
}

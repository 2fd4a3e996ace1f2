/* A worker's sockmap: pairing with the per-socket counters, ring events
 * routed to the socket they name through a cookie hash, forgetting. */
#include "user/relay/sockmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "user/base/log.h"
#include "user/base/net.h"

/* Chains stay short up to tens of thousands of spliced sockets a worker. */
#define SOCKMAP_BUCKETS 4096

/* SO_RCVBUF of a spliced socket (the kernel doubles it for its overhead).
 * The verdict takes every skb off the receive queue at once, so receive
 * autotuning sees a fast reader and grows the buffer to tcp_rmem's maximum
 * (32 MiB here); the bytes passed to userspace are charged to that buffer,
 * so without a fixed size a stalled peer lets that much pile up per
 * connection before the window closes. Redirected bytes never wait in it. */
#define SOCKMAP_RCVBUF (1 << 20)

struct sg_sockmap {
	struct sg_splice *s;
	struct sg_splice_ring *ring;
	struct sg_loop *loop;
	struct sg_io ring_io;
	size_t count;
	struct sg_ksock *buckets[SOCKMAP_BUCKETS];
};

static struct sg_ksock **bucket(struct sg_sockmap *m, uint64_t cookie)
{
	return &m->buckets[(cookie * 0x9e3779b97f4a7c15ull) >> 52];
}

static void hash_add(struct sg_sockmap *m, struct sg_ksock *k)
{
	struct sg_ksock **b = bucket(m, k->cookie);

	k->next = *b;
	*b = k;
	m->count++;
}

static void hash_del(struct sg_sockmap *m, struct sg_ksock *k)
{
	for (struct sg_ksock **p = bucket(m, k->cookie); *p; p = &(*p)->next) {
		if (*p == k) {
			*p = k->next;
			k->next = NULL;
			m->count--;
			return;
		}
	}
}

static struct sg_ksock *hash_get(struct sg_sockmap *m, uint64_t cookie)
{
	for (struct sg_ksock *k = *bucket(m, cookie); k; k = k->next)
		if (k->cookie == cookie)
			return k;
	return NULL;
}

/* An event names a socket by cookie: one that closed since is not in the
 * hash any more, and the event is dropped. */
static void on_event(void *ctx, uint64_t cookie, unsigned verdict)
{
	struct sg_sockmap *m = ctx;
	struct sg_ksock *k = hash_get(m, cookie);

	(void)verdict;
	if (k && k->io && k->io->cb)
		k->io->cb(m->loop, k->io, EPOLLIN);
}

static void on_ring(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_sockmap *m = io->data;
	int rc = sg_splice_ring_read(m->ring, on_event, m);

	(void)loop;
	(void)revents;
	if (rc < 0)
		SG_WARN("sockmap: reading the notification ring: %s", strerror(-rc));
}

struct sg_sockmap *sg_sockmap_new(struct sg_splice *s, struct sg_splice_ring *ring,
				  struct sg_loop *loop, char *err, size_t errlen)
{
	struct sg_sockmap *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		sg_splice_ring_close(ring);
		return NULL;
	}
	m->s = s;
	m->loop = loop;
	m->ring = ring;
	m->ring_io.fd = sg_splice_ring_fd(m->ring);
	m->ring_io.cb = on_ring;
	m->ring_io.data = m;
	if (sg_io_set(loop, &m->ring_io, EPOLLIN) == -1) {
		snprintf(err, errlen, "watching the notification ring: %s", strerror(errno));
		sg_splice_ring_close(m->ring);
		free(m);
		return NULL;
	}
	return m;
}

void sg_sockmap_free(struct sg_sockmap *m)
{
	if (!m)
		return;
	sg_io_set(m->loop, &m->ring_io, 0);
	sg_splice_ring_close(m->ring);
	free(m);
}

struct sg_splice *sg_sockmap_splice(const struct sg_sockmap *m)
{
	return m->s;
}

size_t sg_sockmap_count(const struct sg_sockmap *m)
{
	return m->count;
}

bool sg_sockmap_paired(const struct sg_ksock *a, const struct sg_ksock *b)
{
	return a->in_map && b->in_map && !a->failed && !b->failed && a->peer == b->cookie &&
	       b->peer == a->cookie;
}

/* Counters restart at the first pairing: `consumed` counts from there. */
static int enter(struct sg_sockmap *m, struct sg_ksock *k, int fd, struct sg_io *io,
		 struct sg_splice_side *side, bool client)
{
	int rc;

	if (!k->in_map) {
		/* The operator's fixed size (--client-rcvbuf, --backend-rcvbuf),
		 * set on the socket already, else this one. */
		int fixed = client ? sg_net_bufs()->client_rcv : sg_net_bufs()->backend_rcv,
		    rcvbuf = fixed ? fixed / 2 : SOCKMAP_RCVBUF;

		rc = sg_splice_cookie(fd, &k->cookie);
		if (rc)
			return rc;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
			return -errno;
	}
	*side = (struct sg_splice_side){
		.fd = fd,
		.consumed = k->in_map ? k->consumed : 0,
	};
	k->io = io;
	return 0;
}

int sg_sockmap_pair(struct sg_sockmap *m, struct sg_ksock *a, int fa, struct sg_io *ioa,
		    struct sg_ksock *b, int fb, struct sg_io *iob)
{
	struct sg_splice_side sa, sb;
	bool fresh_a = !a->in_map, fresh_b = !b->in_map;
	int rc;

	if (a->failed || b->failed)
		return -EOPNOTSUPP;
	if (sg_sockmap_paired(a, b)) {
		a->io = ioa; /* a pooled backend connection forgot its io */
		b->io = iob;
		return 0;
	}
	rc = enter(m, a, fa, ioa, &sa, true);
	if (!rc)
		rc = enter(m, b, fb, iob, &sb, false);
	if (rc)
		return rc;
	rc = sg_splice_pair(m->s, &sa, &sb, m->ring);
	/* Even a failed pairing may leave a socket in the map (see
	 * sg_splice_pair): from then on it is read with recv() only, and
	 * forgotten before close. */
	a->in_map = b->in_map = true;
	if (fresh_a) {
		a->consumed = 0;
		hash_add(m, a);
	}
	if (fresh_b) {
		b->consumed = 0;
		hash_add(m, b);
	}
	if (rc) {
		a->failed = b->failed = true;
		return rc;
	}
	a->peer = b->cookie;
	b->peer = a->cookie;
	a->written = b->written = 0;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sg_ksock_eof(struct sg_splice *s, struct sg_ksock *k, int fd)
{
	struct sg_splice_sock ss;

	if (!k->in_map || sg_splice_sock(s, fd, &ss) != 0 || ss.passed <= k->consumed) {
		k->eof_wait = false;
		return 0;
	}
	if (!k->eof_wait) {
		k->eof_wait = true;
		k->eof_since = now_ms();
	} else if (now_ms() - k->eof_since >= SG_SOCKMAP_EOF_WAIT_MS) {
		SG_WARN("sockmap: %" PRIu64 " passed bytes never arrived after EOF: resetting",
			ss.passed - k->consumed);
		k->eof_wait = false;
		errno = ECONNABORTED;
		return -1;
	}
	return 1;
}

void sg_sockmap_forget(struct sg_sockmap *m, struct sg_ksock *k, int fd)
{
	int rc;

	if (!k->in_map)
		return;
	hash_del(m, k);
	rc = sg_splice_forget(m->s, fd);
	if (rc)
		SG_WARN("sockmap: forgetting a socket: %s", strerror(-rc));
	k->in_map = false;
	k->io = NULL;
}

/* The relay engines behind struct sg_pump: one generic loop (flush what is
 * pending, then take more from src) over per-engine fill/flush/prime steps. */
#include "user/relay/relay.h"
#include "user/base/loop.h"
#include "user/tls/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define SPLICE_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

/* The steps an engine provides. Staged bytes (buffer or pipe) are `pending`;
 * the generic loop does the accounting. A sockmap engine, whose bytes never
 * pass through the pump, will need a whole-run hook here instead. */
struct engine_ops {
	const char *name;
	/* Called with nothing pending; takes at most `budget` bytes from src.
	 * Returns bytes taken, 0 at EOF, or -1 with errno. */
	ssize_t (*fill)(struct sg_pump *p, uint64_t budget);
	/* Writes some of the pending bytes to dst. Returns bytes written or -1. */
	ssize_t (*flush)(struct sg_pump *p);
	/* Stages caller bytes behind the pending ones. Returns how many it took
	 * (fewer than len only if the stage filled up) or -1 with errno. */
	ssize_t (*prime)(struct sg_pump *p, const void *data, size_t len);
};

static size_t min_size(uint64_t a, size_t b)
{
	return a < b ? (size_t)a : b;
}

/* ---- copy: read() into a buffer, send() out ----------------------------- */

/* Bytes of copy buffers above SG_RELAY_BUF_SIZE held by this thread's pumps
 * (a worker's: a pump lives and dies on its connection's worker). */
static __thread size_t grown_total;

static size_t above_base(size_t cap)
{
	return cap > SG_RELAY_BUF_SIZE ? cap - SG_RELAY_BUF_SIZE : 0;
}

/* The thread's grown bytes were p's buffer cap bytes. */
static size_t grown_with(const struct sg_pump *p, size_t cap)
{
	return grown_total - above_base(p->buf_cap) + above_base(cap);
}

/* Every change of a copy buffer's size goes through here. */
static void set_buf(struct sg_pump *p, unsigned char *buf, size_t cap)
{
	grown_total = grown_with(p, cap);
	p->buf = buf;
	p->buf_cap = cap;
}

size_t sg_relay_grown(void)
{
	return grown_total;
}

static int buf_setup(struct sg_pump *p)
{
	if (!p->buf) {
		unsigned char *buf = malloc(SG_RELAY_BUF_SIZE);

		if (!buf)
			return -1;
		set_buf(p, buf, SG_RELAY_BUF_SIZE);
	}
	return 0;
}

/* Called with nothing pending. A bulk body fills every read: give it a
 * bigger buffer, if this worker's bound allows; a failed allocation just
 * keeps the one it has. */
static void buf_grow(struct sg_pump *p, uint64_t budget)
{
	size_t cap = p->buf_cap * 2;
	unsigned char *buf;

	if (!p->full_read || p->buf_cap >= SG_RELAY_BUF_MAX || budget <= p->buf_cap)
		return;
	if (cap > SG_RELAY_BUF_MAX)
		cap = SG_RELAY_BUF_MAX;
	if (grown_with(p, cap) > SG_RELAY_GROWN_MAX)
		return;
	buf = malloc(cap);
	if (!buf)
		return;
	free(p->buf);
	set_buf(p, buf, cap);
}

static void buf_drop(struct sg_pump *p)
{
	free(p->buf);
	set_buf(p, NULL, 0);
	p->full_read = false;
	p->off = 0;
}

static ssize_t copy_fill(struct sg_pump *p, uint64_t budget)
{
	size_t want;
	ssize_t n;

	if (buf_setup(p) == -1)
		return -1;
	buf_grow(p, budget);
	p->off = 0;
	want = min_size(budget, p->buf_cap);
	do {
		n = sg_sock_recv(p->src_tls, p->src, p->buf, want, 0);
	} while (n == -1 && errno == EINTR);
	p->full_read = n > 0 && (size_t)n == want;
	return n;
}

static ssize_t copy_flush(struct sg_pump *p)
{
	ssize_t n;

	/* MSG_NOSIGNAL: a reset peer must give EPIPE, not kill the gateway. */
	do {
		n = sg_sock_send(p->dst_tls, p->dst, p->buf + p->off, p->pending, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		p->off += (size_t)n;
	return n;
}

static ssize_t copy_prime(struct sg_pump *p, const void *data, size_t len)
{
	if (buf_setup(p) == -1)
		return -1;
	memmove(p->buf, p->buf + p->off, p->pending);
	p->off = 0;
	/* Body bytes that came with a head can outgrow one buffer (a client's
	 * input buffer grows with the bodies it buffered before). */
	if (len > p->buf_cap - p->pending) {
		unsigned char *grown = realloc(p->buf, p->pending + len);

		if (!grown)
			return -1;
		set_buf(p, grown, p->pending + len);
	}
	memcpy(p->buf + p->pending, data, len);
	return (ssize_t)len;
}

/* ---- splice: src -> pipe -> dst, pages never copied to userspace -------- */

static int pipe_setup(struct sg_pump *p)
{
	int fds[2], size;

	if (p->pipe_cap)
		return 0;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	/* A bigger pipe moves more per syscall pair; the default still works
	 * (F_SETPIPE_SZ fails past /proc/sys/fs/pipe-max-size or the user's
	 * pipe memory limit). */
	size = fcntl(fds[1], F_SETPIPE_SZ, SG_RELAY_PIPE_SIZE);
	if (size == -1)
		size = fcntl(fds[1], F_GETPIPE_SZ);
	if (size <= 0) {
		int err = size == -1 ? errno : EINVAL;

		close(fds[0]);
		close(fds[1]);
		errno = err;
		return -1;
	}
	p->pipe_rd = fds[0];
	p->pipe_wr = fds[1];
	p->pipe_cap = (size_t)size;
	return 0;
}

static void pipe_drop(struct sg_pump *p)
{
	if (p->pipe_cap) {
		close(p->pipe_rd);
		close(p->pipe_wr);
		p->pipe_cap = 0;
	}
	p->pipe_rd = -1;
	p->pipe_wr = -1;
}

static ssize_t splice_fill(struct sg_pump *p, uint64_t budget)
{
	ssize_t n;

	if (pipe_setup(p) == -1)
		return -1;
	/* The pipe is empty here, so EAGAIN can only mean src has nothing. */
	do {
		n = splice(p->src, NULL, p->pipe_wr, NULL, min_size(budget, p->pipe_cap),
			   SPLICE_FLAGS);
	} while (n == -1 && errno == EINTR);
	return n;
}

static ssize_t splice_flush(struct sg_pump *p)
{
	ssize_t n;

	do {
		n = splice(p->pipe_rd, NULL, p->dst, NULL, p->pending, SPLICE_FLAGS);
	} while (n == -1 && errno == EINTR);
	return n;
}

static ssize_t splice_prime(struct sg_pump *p, const void *data, size_t len)
{
	size_t done = 0;
	ssize_t n;

	if (pipe_setup(p) == -1)
		return -1;
	if (len > p->pipe_cap - p->pending) {
		errno = ENOSPC;
		return -1;
	}
	while (done < len) {
		n = write(p->pipe_wr, (const char *)data + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		done += (size_t)n;
	}
	if (done > 0)
		return (ssize_t)done;
	/* EAGAIN here means the pages already in the pipe used up its slots. */
	if (errno == EAGAIN)
		errno = ENOSPC;
	return -1;
}

/* ---- sockmap: the kernel redirects, the pump steers ---------------------- */

static enum sg_pump_status fail(int *err_side, int side);

/* The drain barrier before writing to dst: 1 when nothing redirected to
 * dst is still on its way, 0 not yet, -1 with errno. */
static int dst_drained(struct sg_pump *p)
{
	int rc;

	if (p->kdrained)
		return 1;
	rc = sg_splice_drained(p->ks, p->dst, p->kdst->written);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	p->kdrained = rc == 1;
	return rc;
}

static uint64_t src_redirected(struct sg_pump *p)
{
	struct sg_splice_sock ss;

	return sg_splice_sock(p->ks, p->src, &ss) ? 0 : ss.redirected;
}

/* The kernel stops holding the budget: count what it moved. */
static void kernel_done(struct sg_pump *p)
{
	if (!p->kbudget)
		return;
	p->kbudget = false;
	p->moved += src_redirected(p) - p->kredir;
}

/* Of n bytes just read at ksrc->consumed, how many belong to the body. */
static uint64_t body_part(struct sg_pump *p, size_t n)
{
	uint64_t left = p->budget;

	if (p->kbudget && p->budget != UINT64_MAX &&
	    sg_splice_budget_left(p->ks, p->src, p->ksrc->consumed, &left))
		left = p->budget;
	if (left != UINT64_MAX)
		p->budget = left;
	return left < n ? left : n;
}

/* src has nothing to read now: hand the kernel the budget, or let it go on
 * after the passed bytes forwarded since the last ack. Returns 0, or -1
 * with errno when the stream is broken (EPROTO: corrupt source). */
static int kernel_resume(struct sg_pump *p)
{
	int rc = 0;

	if (!p->kbudget && p->budget >= SG_RELAY_KERNEL_MIN) {
		p->kredir = src_redirected(p);
		rc = sg_splice_set_budget(p->ks, p->src, p->ksrc->consumed, p->budget);
		p->kbudget = rc == 0;
	} else if (p->kbudget && p->ksrc->consumed != p->kacked) {
		rc = sg_splice_ack(p->ks, p->src, p->ksrc->consumed);
	} else {
		return 0;
	}
	if (rc) {
		errno = -rc;
		return -1;
	}
	p->kacked = p->ksrc->consumed;
	p->kdrained = false;
	return 0;
}

/* src would block after an ack: whether every byte passed is consumed
 * (sg_pump_kernel_carries). Only for a tunnel's pump, which the ring's
 * event runs; a body's owner watches EPOLLIN whatever this says. */
static void kernel_settle(struct sg_pump *p)
{
	if (p->kbudget && p->budget == UINT64_MAX)
		p->ksettled = sg_splice_settled(p->ks, p->ksrc->cookie, p->ksrc->consumed) == 1;
}

bool sg_pump_kernel_carries(const struct sg_pump *p)
{
	return p->ksettled; /* set by kernel_run alone; sg_pump_init clears it */
}

static enum sg_pump_status kernel_run(struct sg_pump *p, size_t max_bytes, int *err_side)
{
	size_t done = 0;
	ssize_t n;
	int r;

	p->ksettled = false;
	for (;;) {
		if (p->pending) {
			r = dst_drained(p);
			if (r == 0)
				return SG_PUMP_WAIT;
			if (r < 0)
				return fail(err_side, errno == EPROTO ? 0 : 1);
			n = copy_flush(p);
			if (n == -1)
				return errno == EAGAIN ? SG_PUMP_WANT_WRITE : fail(err_side, 1);
			sg_ksock_wrote(p->kdst, n);
			p->pending -= (size_t)n;
			p->moved += (uint64_t)n;
			done += (size_t)n;
			continue;
		}
		if (p->budget == 0 || p->eof) {
			/* Every byte of the body in dst's stream before the owner
			 * writes to it or shuts it down. Bytes sent from here
			 * are there already; the kernel's may not be. */
			if (p->kbudget)
				p->kdrained = false;
			r = dst_drained(p);
			if (r == 0)
				return SG_PUMP_WAIT;
			if (r < 0)
				return fail(err_side, errno == EPROTO ? 0 : 1);
			kernel_done(p);
			return p->budget == 0 ? SG_PUMP_DONE : SG_PUMP_EOF;
		}
		if (done >= max_bytes)
			return SG_PUMP_AGAIN;
		if (buf_setup(p) == -1)
			return fail(err_side, 0);
		do {
			n = recv(p->src, p->buf, SG_RELAY_BUF_SIZE, 0);
		} while (n == -1 && errno == EINTR);
		if (n > 0) {
			uint64_t body = body_part(p, (size_t)n);

			sg_ksock_read(p->ksrc, n);
			p->off = 0;
			p->pending = (size_t)body;
			p->extra = (size_t)n - (size_t)body;
			if (p->budget != UINT64_MAX)
				p->budget -= body;
			continue;
		}
		if (n == 0) {
			r = sg_ksock_eof(p->ks, p->ksrc, p->src);
			if (r == 1)
				return SG_PUMP_WAIT;
			if (r == -1)
				return fail(err_side, 0);
			p->eof = true;
			continue;
		}
		if (errno != EAGAIN)
			return fail(err_side, 0);
		if (kernel_resume(p) == -1)
			return fail(err_side, 0);
		/* The kernel may have finished the body meanwhile (the ring
		 * says so too; this saves the round trip). */
		if (p->kbudget && p->budget != UINT64_MAX) {
			uint64_t left;

			if (sg_splice_budget_left(p->ks, p->src, p->ksrc->consumed, &left) == 0 &&
			    left == 0) {
				p->budget = 0;
				continue;
			}
		}
		kernel_settle(p);
		return SG_PUMP_WANT_READ;
	}
}

void sg_pump_init_sockmap(struct sg_pump *p, struct sg_splice *ks, int src, struct sg_ksock *ksrc,
			  int dst, struct sg_ksock *kdst, uint64_t budget)
{
	sg_pump_init(p, SG_RELAY_SOCKMAP, src, dst, budget);
	p->ks = ks;
	p->ksrc = ksrc;
	p->kdst = kdst;
	p->kacked = ksrc->consumed;
}

size_t sg_pump_extra(const struct sg_pump *p, const char **data)
{
	*data = p->buf ? (const char *)p->buf + p->off + p->pending : NULL;
	return p->buf ? p->extra : 0;
}

void sg_pump_set_tls(struct sg_pump *p, struct sg_tls *src, struct sg_tls *dst)
{
	p->src_tls = src;
	p->dst_tls = dst;
}

ssize_t sg_pump_recv(struct sg_pump *p, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = sg_sock_recv(p->src_tls, p->src, buf, len, 0);
	} while (n == -1 && errno == EINTR);
	if (p->engine != SG_RELAY_SOCKMAP)
		return n;
	sg_ksock_read(p->ksrc, n);
	if (n == 0) {
		int r = sg_ksock_eof(p->ks, p->ksrc, p->src);

		if (r == 1)
			errno = EINPROGRESS;
		if (r != 0)
			return -1;
	}
	return n;
}

/* ---- batched reads (SG_RELAY_LOWAT) ------------------------------------- */

static void set_lowat(struct sg_pump *p, int lowat)
{
	if (setsockopt(p->src, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) == 0)
		p->lowat = lowat;
	else
		p->batch = false; /* not a TCP socket after all: read as it comes */
}

/* src would block: from here on, wake when SG_RELAY_LOWAT bytes are
 * queued, never more than the body still has to bring (the kernel wakes
 * the reader at EOF and when its window closes anyway); 1 once less is
 * left, the last bytes coming as they come. */
static void batch_wait(struct sg_pump *p)
{
	int want;

	if (!p->batch || !p->bulk || p->src_tls || p->budget == UINT64_MAX)
		return;
	want = p->budget >= SG_RELAY_LOWAT ? SG_RELAY_LOWAT : 1;
	if (want != (p->lowat ? p->lowat : 1))
		set_lowat(p, want);
}

bool sg_pump_batching(const struct sg_pump *p)
{
	return p->lowat > 1;
}

void sg_pump_unbatch(struct sg_pump *p)
{
	if (p->lowat > 1)
		set_lowat(p, 1);
	p->batch = false;
}

/* ---- the generic pump --------------------------------------------------- */

static const struct engine_ops engines[] = {
	[SG_RELAY_COPY] = { "copy", copy_fill, copy_flush, copy_prime },
	[SG_RELAY_SPLICE] = { "splice", splice_fill, splice_flush, splice_prime },
	/* Only prime and the name: kernel_run() does the rest. */
	[SG_RELAY_SOCKMAP] = { "sockmap", NULL, NULL, copy_prime },
};

#define NR_ENGINES (sizeof(engines) / sizeof(engines[0]))

static const struct engine_ops *ops_of(enum sg_relay_engine e)
{
	return (unsigned int)e < NR_ENGINES ? &engines[e] : NULL;
}

void sg_pump_init(struct sg_pump *p, enum sg_relay_engine engine, int src, int dst, uint64_t budget)
{
	*p = (struct sg_pump){
		.engine = engine,
		.src = src,
		.dst = dst,
		.budget = budget,
		.pipe_rd = -1,
		.pipe_wr = -1,
	};
}

static void take(struct sg_pump *p, size_t n)
{
	p->pending += n;
	if (p->budget != UINT64_MAX)
		p->budget -= n;
}

static enum sg_pump_status fail(int *err_side, int side)
{
	if (err_side)
		*err_side = side;
	return SG_PUMP_ERROR;
}

/* Drains what is staged. Returns -1 when it had to stop, with *st set. */
static int flush_all(struct sg_pump *p, const struct engine_ops *ops, size_t *done,
		     enum sg_pump_status *st, int *err_side)
{
	ssize_t n;

	while (p->pending > 0) {
		n = ops->flush(p);
		if (n == -1) {
			*st = errno == EAGAIN ? SG_PUMP_WANT_WRITE : fail(err_side, 1);
			return -1;
		}
		if (n == 0) {
			/* Cannot happen with bytes staged; refuse to spin. */
			errno = EIO;
			*st = fail(err_side, 1);
			return -1;
		}
		p->pending -= (size_t)n;
		p->moved += (uint64_t)n;
		if (p->engine == SG_RELAY_SPLICE)
			p->spliced += (uint64_t)n;
		*done += (size_t)n;
	}
	return 0;
}

/* An adapting pump with nothing staged: copy while the worker has time
 * to spare, splice(2) while it is saturated (sg_loop_saturated). The
 * engine being left lets go of its buffer or pipe. A pump that cannot
 * have a pipe (EMFILE, the user's pipe memory) stays copied and adapts no
 * more. One that went to splice(2) because its thread was held back (a
 * CPU quota, sg_loop_held_back) splices to its end: spliced, the worker
 * has time to spare again, and copying would spend it until held back
 * once more (flipping every window or two, slower than either engine). */
static const struct engine_ops *adapt(struct sg_pump *p, const struct engine_ops *ops)
{
	enum sg_relay_engine want = sg_loop_saturated() ? SG_RELAY_SPLICE : SG_RELAY_COPY;

	if (want == p->engine || p->stay)
		return ops;
	if (want == SG_RELAY_SPLICE) {
		if (pipe_setup(p) == -1) {
			p->adapt = false;
			return ops;
		}
		buf_drop(p);
		p->stay = sg_loop_held_back();
	} else {
		pipe_drop(p);
	}
	p->engine = want;
	return ops_of(want);
}

/* Reading only when nothing is staged keeps EAGAIN unambiguous (it is src
 * that would block, never a full stage) and the order of bytes trivial. */
enum sg_pump_status sg_pump_run(struct sg_pump *p, size_t max_bytes, int *err_side)
{
	const struct engine_ops *ops = ops_of(p->engine);
	enum sg_pump_status st;
	size_t done = 0;
	ssize_t n;

	if (!ops) {
		errno = EINVAL;
		return fail(err_side, 0);
	}
	if (p->engine == SG_RELAY_SOCKMAP)
		return kernel_run(p, max_bytes, err_side);
	for (;;) {
		if (flush_all(p, ops, &done, &st, err_side) == -1)
			return st;
		if (p->budget == 0 || p->eof) {
			sg_pump_unbatch(p); /* src's next bytes are another message's */
			return p->budget == 0 ? SG_PUMP_DONE : SG_PUMP_EOF;
		}
		if (done >= max_bytes) {
			/* The owner counts on EPOLLIN to run it again: what is
			 * queued must make src readable (the next EAGAIN raises
			 * SO_RCVLOWAT again). */
			if (p->lowat > 1)
				set_lowat(p, 1);
			return SG_PUMP_AGAIN;
		}
		if (p->adapt) {
			ops = adapt(p, ops);
			/* A hold now is a bulk body's (sg_loop_held_back). */
			if (p->adapt)
				sg_loop_spliceable();
		}
		n = ops->fill(p, p->budget);
		if (n == -1 && errno == EAGAIN) {
			batch_wait(p);
			return SG_PUMP_WANT_READ;
		}
		if (n == -1)
			return fail(err_side, 0);
		if (n == 0)
			p->eof = true;
		else
			take(p, (size_t)n);
		if (n >= SG_RELAY_BUF_SIZE) {
			p->bulk = true;
			sg_loop_bulk();
		}
	}
}

int sg_pump_prime(struct sg_pump *p, const void *data, size_t len)
{
	const struct engine_ops *ops = ops_of(p->engine);
	ssize_t n;

	if (!ops || (p->budget != UINT64_MAX && len > p->budget)) {
		errno = EINVAL;
		return -1;
	}
	if (len == 0)
		return 0;
	n = ops->prime(p, data, len);
	if (n == -1)
		return -1;
	take(p, (size_t)n);
	if ((size_t)n < len) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

void sg_pump_release(struct sg_pump *p)
{
	buf_drop(p);
	pipe_drop(p);
	p->pending = 0;
	p->extra = 0;
	if (p->engine == SG_RELAY_SOCKMAP)
		kernel_done(p);
}

const char *sg_relay_engine_name(enum sg_relay_engine e)
{
	const struct engine_ops *ops = ops_of(e);

	return ops ? ops->name : "?";
}

int sg_relay_engine_parse(const char *s, enum sg_relay_engine *out)
{
	for (size_t i = 0; i < NR_ENGINES; i++) {
		if (strcmp(s, engines[i].name) == 0) {
			*out = (enum sg_relay_engine)i;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

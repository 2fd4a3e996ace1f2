/* fwdfloor: the least a userspace proxy can do per small request, for
 * issue 22 item 4 (scripts/BENCH.md, "The floor under a small request").
 *
 * It accepts on 127.0.0.1:PORT, opens one connection to 127.0.0.1:ORIGIN
 * per client, and moves bytes both ways without reading them: no parsing,
 * no routing, no pool, no timers. Its CPU per W1 request is what the
 * kernel's TCP work and the syscalls' way in and out cost a proxy on this
 * machine, the floor under splicegate's and HAProxy's.
 *
 *   fwdfloor epoll PORT:ORIGIN...  level-triggered epoll, recv and send
 *   fwdfloor uring PORT:ORIGIN...  io_uring: multishot accept, multishot
 *                                  recv into a provided-buffer ring, the
 *                                  sends as SQEs, one io_uring_enter a pass
 *
 * Built by scripts/bench.sh (rows floor and floor-uring) and
 * scripts/bench/profile-w1.sh: cc -O2 -D_GNU_SOURCE fwdfloor.c -luring
 * A measuring tool, not part of the gateway: a send that cannot complete
 * at once waits for the socket (epoll) or is queued behind the one in
 * flight (uring); a FIN is passed on to the other side once what came
 * before it has gone, and an error closes both sides. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

/* The origin port of each listening socket, by descriptor. */
static int origin_of[MAXFD];

static struct sockaddr_in loopback(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int listen_on(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0) {
		perror("fwdfloor: listen");
		exit(1);
	}
	return fd;
}

/* The origin connection for client c, accepted on lfd: a blocking
 * connect; both sockets get TCP_NODELAY, as every proxy measured here
 * sets it. Returns its descriptor, or -1 with c closed. */
static int pair_with_origin(int lfd, int c)
{
	struct sockaddr_in a = loopback(origin_of[lfd]);
	int one = 1, o = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(o, (struct sockaddr *)&a, sizeof(a)) < 0 || o >= MAXFD || c >= MAXFD) {
		close(o);
		close(c);
		return -1;
	}
	setsockopt(o, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return o;
}

/* ---- epoll ------------------------------------------------------------- */

/* One side of a pair: its socket and where its bytes go. A closed pair
 * is freed after the batch of events it was closed in, which may still
 * name its other side. */
struct side {
	int fd;
	int eof; /* its peer sent FIN: passed on, no more reads */
	int closed;
	struct side *peer;
};

static struct side *graveyard[512];
static int ngrave;

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
		} else {
			return; /* the reader's next recv sees the close */
		}
	}
}

static void close_pair(int ep, struct side *s)
{
	struct side *p = s->peer;

	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
	close(s->fd);
	close(p->fd);
	s->closed = p->closed = 1;
	graveyard[ngrave++] = s < p ? s : p;
}

/* The listening sockets are registered with their descriptor tagged in
 * the low bit of data.u64 (a struct side pointer's low bit is 0). */
static void run_epoll(const int *lfds, int nl)
{
	int ep = epoll_create1(0);
	struct epoll_event evs[256];
	static char buf[65536];

	for (int i = 0; i < nl; i++) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = (uint64_t)lfds[i] << 1 | 1 };

		fcntl(lfds[i], F_SETFL, O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, lfds[i], &ev);
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;

			if (evs[i].data.u64 & 1) {
				int lfd = (int)(evs[i].data.u64 >> 1);
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				int o = c < 0 ? -1 : pair_with_origin(lfd, c);
				struct side *pair;

				if (o < 0)
					continue;
				fcntl(o, F_SETFL, fcntl(o, F_GETFL) | O_NONBLOCK);
				pair = calloc(2, sizeof(*pair));
				pair[0] = (struct side){ .fd = c, .peer = &pair[1] };
				pair[1] = (struct side){ .fd = o, .peer = &pair[0] };
				for (int k = 0; k < 2; k++) {
					struct epoll_event e = { .events = EPOLLIN,
								 .data.ptr = &pair[k] };
					epoll_ctl(ep, EPOLL_CTL_ADD, pair[k].fd, &e);
				}
				continue;
			}
			if (s->closed)
				continue;
			ssize_t r = recv(s->fd, buf, sizeof(buf), 0);
			if (r > 0) {
				send_all(s->peer->fd, buf, (size_t)r);
			} else if (r == 0 && !s->peer->eof) {
				/* A half-close goes on to the other side; the
				 * pair closes when both have sent theirs. */
				s->eof = 1;
				epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
				shutdown(s->peer->fd, SHUT_WR);
			} else if (r == 0 || errno != EAGAIN) {
				close_pair(ep, s);
			}
		}
		while (ngrave > 0)
			free(graveyard[--ngrave]);
	}
}

/* ---- io_uring ---------------------------------------------------------- */

#define NBUF 4096  /* provided buffers, one group */
#define BUFSZ 4096 /* a W1 request or response fits in one */
#define BGID 1
#define QLEN 64 /* buffers waiting to be sent to one socket */

enum { OP_ACCEPT, OP_RECV, OP_SEND };

/* What one socket of a pair holds: its peer, the buffers received on the
 * peer and waiting to go out here (a FIFO, one send in flight so that
 * bytes keep their order), and whether its multishot recv is armed. */
struct uend {
	int peer;
	int eof;	/* its recv saw the peer's FIN */
	int dead;	/* its pair is closing: shut down, waiting for its ops */
	int recv_armed; /* a multishot recv is outstanding */
	int sending;	/* the head of q is in a send */
	unsigned off;	/* bytes of the head already sent */
	unsigned head, tail;
	uint16_t bid[QLEN];
	uint32_t len[QLEN];
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static struct uend *ends;

static uint64_t ud(int op, int fd)
{
	return (uint64_t)op | (uint64_t)fd << 8;
}

static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);

	if (!s) {
		io_uring_submit(&ring);
		s = io_uring_get_sqe(&ring);
	}
	return s;
}

static void buf_give_back(uint16_t bid)
{
	io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, bid,
			      io_uring_buf_ring_mask(NBUF), 0);
	io_uring_buf_ring_advance(br, 1);
}

static void arm_recv(int fd)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, ud(OP_RECV, fd));
	ends[fd].recv_armed = 1;
}

static void send_head(int fd)
{
	struct uend *e = &ends[fd];
	unsigned i = e->head % QLEN;
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_send(s, fd, bufs + (size_t)e->bid[i] * BUFSZ + e->off, e->len[i] - e->off,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, ud(OP_SEND, fd));
	e->sending = 1;
}

/* Closes a socket once nothing of the ring refers to it any more. */
static void maybe_close(int fd)
{
	struct uend *e = &ends[fd];

	if (e->dead && !e->recv_armed && !e->sending) {
		close(fd);
		memset(e, 0, sizeof(*e));
	}
}

/* The FIN of fd's peer goes on to fd once what came before it has been
 * sent; when both sides have had theirs the pair is done. */
static void pass_eof(int fd)
{
	struct uend *e = &ends[fd], *p = &ends[e->peer];
	int peer = e->peer;

	if (e->dead || !p->eof || e->sending || e->head != e->tail)
		return;
	shutdown(fd, SHUT_WR);
	if (e->eof && !e->recv_armed && !p->recv_armed && !p->sending && p->head == p->tail) {
		e->dead = p->dead = 1;
		maybe_close(fd);
		maybe_close(peer);
	}
}

/* A pair ends: both sockets shut down, which ends their recvs; queued
 * buffers go back at once, one in a send when the send completes. */
static void kill_pair(int fd)
{
	int fds[2] = { fd, ends[fd].peer };

	for (int k = 0; k < 2; k++) {
		struct uend *e = &ends[fds[k]];

		if (e->dead)
			continue;
		e->dead = 1;
		shutdown(fds[k], SHUT_RDWR);
		for (unsigned h = e->head + (e->sending ? 1 : 0); h != e->tail; h++)
			buf_give_back(e->bid[h % QLEN]);
		e->tail = e->head + (e->sending ? 1 : 0);
	}
	maybe_close(fds[0]);
	maybe_close(fds[1]);
}

static void on_accept(int lfd, int c)
{
	int o = pair_with_origin(lfd, c);

	if (o < 0)
		return;
	ends[c] = (struct uend){ .peer = o };
	ends[o] = (struct uend){ .peer = c };
	arm_recv(c);
	arm_recv(o);
}

static void on_recv(int fd, int res, unsigned flags)
{
	struct uend *e = &ends[fd];

	if (!(flags & IORING_CQE_F_MORE))
		e->recv_armed = 0;
	if (res > 0) {
		uint16_t bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
		struct uend *out = &ends[e->peer];

		if (e->dead || out->tail - out->head == QLEN) {
			buf_give_back(bid);
			if (!e->dead)
				kill_pair(fd);
		} else {
			out->bid[out->tail % QLEN] = bid;
			out->len[out->tail % QLEN] = (uint32_t)res;
			out->tail++;
			if (!out->sending)
				send_head(e->peer);
		}
		if (!e->recv_armed && !e->dead)
			arm_recv(fd);
	} else if (res == -ENOBUFS && !e->dead) {
		if (!e->recv_armed)
			arm_recv(fd);
	} else if (res == 0 && !e->dead) {
		/* The pair's end needs both FINs, both recvs over and both
		 * queues empty: pass_eof checks all of it whichever side it is
		 * called for, and each is called when its queue empties. */
		e->eof = 1;
		pass_eof(e->peer);
	} else if (!e->dead) {
		kill_pair(fd);
	}
	maybe_close(fd);
}

static void on_send(int fd, int res)
{
	struct uend *e = &ends[fd];
	unsigned i = e->head % QLEN;

	e->sending = 0;
	if (res > 0 && !e->dead) {
		e->off += (unsigned)res;
		if (e->off < e->len[i]) {
			send_head(fd);
			return;
		}
	}
	buf_give_back(e->bid[i]);
	e->head++;
	e->off = 0;
	if (res <= 0 && !e->dead)
		kill_pair(fd);
	else if (e->head != e->tail && !e->dead)
		send_head(fd);
	else if (!e->dead)
		pass_eof(fd);
	maybe_close(fd);
}

static void accept_on(int lfd)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_multishot_accept(s, lfd, NULL, NULL, 0);
	io_uring_sqe_set_data64(s, ud(OP_ACCEPT, lfd));
}

static void run_uring(const int *lfds, int nl)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER |
					      IORING_SETUP_DEFER_TASKRUN };
	struct io_uring_buf_reg reg = { .ring_entries = NBUF, .bgid = BGID };
	int rc = io_uring_queue_init_params(4096, &ring, &p);

	if (rc < 0) {
		fprintf(stderr, "fwdfloor: io_uring_queue_init: %s\n", strerror(-rc));
		exit(1);
	}
	ends = calloc(MAXFD, sizeof(*ends));
	bufs = aligned_alloc(4096, (size_t)NBUF * BUFSZ);
	if (posix_memalign((void **)&br, 4096, NBUF * sizeof(struct io_uring_buf)) != 0 || !ends ||
	    !bufs)
		exit(1);
	reg.ring_addr = (unsigned long)br;
	rc = io_uring_register_buf_ring(&ring, &reg, 0);
	if (rc < 0) {
		fprintf(stderr, "fwdfloor: io_uring_register_buf_ring: %s\n", strerror(-rc));
		exit(1);
	}
	io_uring_buf_ring_init(br);
	for (int i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i,
				      io_uring_buf_ring_mask(NBUF), i);
	io_uring_buf_ring_advance(br, NBUF);

	for (int i = 0; i < nl; i++)
		accept_on(lfds[i]);
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		io_uring_submit_and_wait(&ring, 1);
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			int op = (int)(cqe->user_data & 0xff), fd = (int)(cqe->user_data >> 8);

			if (op == OP_ACCEPT) {
				if (cqe->res >= 0)
					on_accept(fd, cqe->res);
				if (!(cqe->flags & IORING_CQE_F_MORE))
					accept_on(fd);
			} else if (op == OP_RECV) {
				on_recv(fd, cqe->res, cqe->flags);
			} else {
				on_send(fd, cqe->res);
			}
			n++;
		}
		io_uring_cq_advance(&ring, n);
	}
}

int main(int argc, char **argv)
{
	int lfds[16], nl = 0;

	if (argc < 3 || argc > 18 || (strcmp(argv[1], "epoll") && strcmp(argv[1], "uring"))) {
		fprintf(stderr, "usage: fwdfloor epoll|uring PORT:ORIGIN_PORT...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		int port, origin;

		if (sscanf(argv[i], "%d:%d", &port, &origin) != 2) {
			fprintf(stderr, "fwdfloor: not PORT:ORIGIN_PORT: %s\n", argv[i]);
			return 2;
		}
		lfds[nl] = listen_on(port);
		if (lfds[nl] >= MAXFD)
			return 1;
		origin_of[lfds[nl++]] = origin;
	}
	if (!strcmp(argv[1], "epoll"))
		run_epoll(lfds, nl);
	else
		run_uring(lfds, nl);
	return 0;
}

/* BPF tests for the sockmap splice (bpf/splice.bpf.c through user/relay/splice.c):
 * real loopback TCP connections A <-> gw_a ~~ gw_b <-> B, gw_a and gw_b
 * paired in the kernel, bytes checked exactly (every byte is a function of
 * its stream offset), verdict counters read back. A small reference proxy
 * thread implements the userspace half of the protocol (passed bytes, drain
 * barrier, acks, budgets, FIN propagation). Needs root; prints one closing
 * line "bpf: N passed, N failed" and measurements on the way. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* bpftool's code, without our -Wcast-qual (as in user/relay/splice.c). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "bpf/splice.skel.h"
#pragma GCC diagnostic pop
#include "user/relay/splice.h"

/* ---- harness ----------------------------------------------------------- */

static const char *current;
static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "  %s:%d: %s: check failed: %s: ", __FILE__, __LINE__,     \
				current, #cond);                                                   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* CHECK, and leave the test when it failed; evaluates cond once. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		int before_ = failures;                                                            \
		CHECK(cond, __VA_ARGS__);                                                          \
		if (failures != before_)                                                           \
			return;                                                                    \
	} while (0)

static void on_alarm(int sig)
{
	static const char msg[] = "  test timed out\nbpf: aborted\n";

	(void)sig;
	if (write(2, current, strlen(current)) < 0 || write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- data: every byte a function of (seed, offset) --------------------- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void gen(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && ((off + i) & 7)) {
		buf[i] = (unsigned char)(mix(seed ^ ((off + i) >> 3)) >> (((off + i) & 7) * 8));
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w = mix(seed ^ ((off + i) >> 3));

		memcpy(buf + i, &w, 8);
	}
	for (; i < len; i++)
		buf[i] = (unsigned char)(mix(seed ^ ((off + i) >> 3)) >> (((off + i) & 7) * 8));
}

/* TCP's socket memory, host-wide (/proc/net/sockstat "TCP: ... mem N",
 * pages): what an unbounded redirect backlog would grow, and unlike
 * MemAvailable not moved by every other program on a shared machine. */
static uint64_t tcp_mem_kb(void)
{
	char line[256];
	uint64_t pages = 0;
	FILE *f = fopen("/proc/net/sockstat", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *m = strstr(line, " mem ");

		if (!strncmp(line, "TCP:", 4) && m && sscanf(m, " mem %" SCNu64, &pages) == 1)
			break;
	}
	fclose(f);
	return pages * 4;
}

/* ---- sockets ----------------------------------------------------------- */

/* A <-> gw_a is the client leg, gw_b <-> B the backend leg. */
struct quad {
	int a, gw_a, gw_b, b;
};

static int listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) == -1 || listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)sa, &len) == -1)
		return -1;
	return fd;
}

static int leg(int *client, int *server)
{
	struct sockaddr_in sa;
	int one = 1, l = listener(&sa);
	struct timeval tv = { 5, 0 };

	if (l == -1)
		return -1;
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*client == -1 || connect(*client, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		return -1;
	*server = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	if (*server == -1)
		return -1;
	setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Endpoint threads block; never forever. */
	setsockopt(*client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(*server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*server, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

static int quad_open(struct quad *q)
{
	if (leg(&q->a, &q->gw_a) || leg(&q->gw_b, &q->b))
		return -1;
	return 0;
}

static void quad_close(struct sg_splice *s, struct quad *q)
{
	sg_splice_forget(s, q->gw_a);
	sg_splice_forget(s, q->gw_b);
	close(q->a);
	close(q->gw_a);
	close(q->gw_b);
	close(q->b);
}

/* Backlog limit for the bulk tests (0: the loaded default); SG_TEST_BACKLOG
 * overrides it for measurements. */
static uint64_t bulk_backlog(void)
{
	const char *v = getenv("SG_TEST_BACKLOG");

	return v ? strtoull(v, NULL, 0) : 0;
}

static int pair_backlog(struct sg_splice *s, struct quad *q, uint64_t ab, uint64_t ba,
			const struct sg_splice_ring *ring, uint64_t backlog)
{
	struct sg_splice_side a = { .fd = q->gw_a, .budget = ab, .backlog = backlog };
	struct sg_splice_side b = { .fd = q->gw_b, .budget = ba, .backlog = backlog };

	return sg_splice_pair(s, &a, &b, ring);
}

static int pair(struct sg_splice *s, struct quad *q, uint64_t ab, uint64_t ba,
		const struct sg_splice_ring *ring)
{
	return pair_backlog(s, q, ab, ba, ring, 0);
}

/* ---- endpoint threads -------------------------------------------------- */

#define CHUNK (256 * 1024)

struct stream {
	int fd;
	uint64_t seed, total;
	bool shut_after; /* writer: shutdown(SHUT_WR) when done */
	bool expect_eof; /* reader: a recv() of 0 must follow the last byte */
	int delay_ms;	 /* reader: sleep before the first recv (a stalled reader) */
	bool slow;	 /* reader: 64 KiB reads, a 2 ms nap every 64 of them */
	bool bursts;	 /* writer: a 1 ms pause after every MiB */
	_Atomic uint64_t done;
	uint64_t bad_at; /* reader: first wrong byte, UINT64_MAX if none */
	int err;
	bool eof_seen;
	double start, end;
	pthread_t t;
};

static void *writer_main(void *arg)
{
	struct stream *w = arg;
	unsigned char *buf = malloc(CHUNK);

	w->start = now_s();
	while (buf && w->done < w->total) {
		size_t n = w->total - w->done < CHUNK ? (size_t)(w->total - w->done) : CHUNK;
		ssize_t k;

		gen(w->seed, w->done, buf, n);
		k = send(w->fd, buf, n, MSG_NOSIGNAL);
		if (k <= 0) {
			w->err = k < 0 ? errno : EPIPE;
			break;
		}
		w->done += (uint64_t)k;
		if (w->bursts && w->done % (1u << 20) < (uint64_t)k)
			sleep_ms(1);
	}
	if (w->shut_after)
		shutdown(w->fd, SHUT_WR);
	w->end = now_s();
	free(buf);
	return NULL;
}

/* Where in the expected stream do the 32 bytes received at `at` belong? */
static void locate(uint64_t seed, uint64_t at, const unsigned char *got)
{
	const uint64_t span = 256u << 20;
	uint64_t from = at > span ? at - span : 0;
	unsigned char *exp = malloc(2 * span + 64);

	gen(seed, from, exp, 2 * span + 32);
	for (uint64_t i = 0; i < 2 * span; i++) {
		if (!memcmp(exp + i, got, 32)) {
			fprintf(stderr,
				"  bytes received at %" PRIu64 " belong at %" PRIu64 " (%+" PRId64
				")\n",
				at, from + i, (int64_t)(from + i) - (int64_t)at);
			free(exp);
			return;
		}
	}
	fprintf(stderr, "  bytes received at %" PRIu64 " are nowhere near\n", at);
	free(exp);
}

static void *reader_main(void *arg)
{
	struct stream *r = arg;
	unsigned char *buf = malloc(CHUNK), *want = malloc(CHUNK);
	unsigned naps = 0;

	r->bad_at = UINT64_MAX;
	if (r->delay_ms)
		sleep_ms(r->delay_ms);
	r->start = now_s();
	while (buf && want && r->done < r->total) {
		size_t n = r->total - r->done < CHUNK ? (size_t)(r->total - r->done) : CHUNK;
		ssize_t k;

		if (r->slow) {
			n = n < 65536 ? n : 65536;
			if (++naps % 64 == 0)
				sleep_ms(2);
		}
		k = recv(r->fd, buf, n, 0);

		if (k <= 0) {
			r->err = k < 0 ? errno : EPIPE;
			break;
		}
		gen(r->seed, r->done, want, (size_t)k);
		if (r->bad_at == UINT64_MAX && memcmp(buf, want, (size_t)k)) {
			for (ssize_t i = 0; i < k; i++) {
				if (buf[i] != want[i]) {
					r->bad_at = r->done + (uint64_t)i;
					if (k - i >= 32)
						locate(r->seed, r->bad_at, buf + i);
					break;
				}
			}
		}
		r->done += (uint64_t)k;
	}
	if (r->expect_eof && !r->err) {
		char c;

		r->eof_seen = recv(r->fd, &c, 1, 0) == 0;
	}
	r->end = now_s();
	free(buf);
	free(want);
	return NULL;
}

static void stream_start(struct stream *st, void *(*fn)(void *))
{
	pthread_create(&st->t, NULL, fn, st);
}

static void stream_join(struct stream *st)
{
	pthread_join(st->t, NULL);
}

/* ---- the reference proxy: the userspace half of the protocol ----------- */

#define PBUF (64 * 1024)

/* One direction src -> dst. In `http` mode the src stream is a sequence of
 * messages "M<len>\n" + len body bytes: the proxy parses heads from passed
 * bytes, rewrites 'M' to 'm' (so a head the kernel forwarded would show),
 * and hands each body to the kernel with a budget. */
struct pdir {
	int src, dst;
	uint64_t consumed, written, acked;
	bool drained; /* since the last ack: nothing more can be redirected */
	unsigned char buf[PBUF];
	size_t len, off;
	bool eof, shut, rdhup;
	bool http, in_body, kernel_body;
	bool never_release; /* keep every byte in userspace (budget stays 0) */
	uint64_t body_left, head_len;
	/* quiet: src had nothing to read and every byte passed is consumed
	 * (sg_splice_settled); `events`: src's registered interest. */
	bool settled;
	uint32_t events;
};

struct proxy {
	struct sg_splice *s;
	struct sg_splice_ring *ring; /* NULL: watch EPOLLIN; else EPOLLRDHUP + ring */
	/* With a ring: watch a source's EPOLLIN only while it is not settled,
	 * as the gateway's tunnels do (user/relay/relay.c kernel_settle), and sleep
	 * up to a second instead of polling every 20 ms: a wake-up lost while
	 * `active` shows as a sleep that ran out with bytes passed to a
	 * source and not read (`stalls`; a sleep through bytes the kernel
	 * carried is no stall). */
	bool quiet;
	atomic_bool active;
	uint64_t stalls;
	_Atomic pid_t tid;
	struct pdir d[2];
	int ep;
	atomic_bool stop;
	uint64_t wakeups, ring_events, bytes_via_user;
	int err;
	pthread_t t;
};

static void http_scan(struct proxy *p, struct pdir *d, size_t n)
{
	if (d->kernel_body) {
		/* The kernel may have moved part of the body since the budget
		 * was set: ask where it ends relative to our read position. */
		uint64_t left = 0;

		sg_splice_budget_left(p->s, d->src, d->consumed, &left);
		d->body_left = left;
		d->in_body = left > 0;
		d->kernel_body = false;
	}
	for (size_t i = 0; i < n;) {
		if (d->in_body) {
			uint64_t k = d->body_left < n - i ? d->body_left : n - i;

			i += (size_t)k;
			d->body_left -= k;
			d->in_body = d->body_left > 0;
			continue;
		}
		if (d->buf[i] == 'M') {
			d->buf[i] = 'm';
			d->head_len = 0;
		} else if (d->buf[i] == '\n') {
			d->body_left = d->head_len;
			d->in_body = d->body_left > 0;
		} else {
			d->head_len = d->head_len * 10 + (uint64_t)(d->buf[i] - '0');
		}
		i++;
	}
}

/* Everything read is written and src has nothing more now: let the kernel
 * go on. Acking at EAGAIN, not per buffer, gives the kernel its best chance
 * to find nothing passed still unread. */
static int release(struct proxy *p, struct pdir *d)
{
	int rc = 0;

	if (d->consumed == d->acked || d->never_release)
		return 0;
	if (!d->http)
		rc = sg_splice_ack(p->s, d->src, d->consumed);
	else if (d->in_body) {
		d->kernel_body = true;
		rc = sg_splice_set_budget(p->s, d->src, d->consumed, d->body_left);
	} /* else in a head: the budget is used up, the kernel keeps passing */
	d->acked = d->consumed;
	d->drained = false;
	return rc;
}

/* Returns 1 to be called again soon (drain barrier or a full dst), 0 when
 * src has nothing more now, -1 on error. */
static int dir_step(struct proxy *p, struct pdir *d)
{
	d->settled = false;
	for (;;) {
		ssize_t n;
		int r;

		if (d->off < d->len) {
			/* Once drained, nothing new is redirected until we ack. */
			if (!d->drained) {
				r = sg_splice_drained(p->s, d->dst, d->written);
				if (r <= 0)
					return r == 0 ? 1 : -1;
				d->drained = true;
			}
			n = send(d->dst, d->buf + d->off, d->len - d->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 1 : -1;
			d->off += (size_t)n;
			d->written += (uint64_t)n;
			continue;
		}
		d->len = d->off = 0;
		if (d->eof) {
			if (d->shut)
				return 0;
			r = sg_splice_drained(p->s, d->dst, d->written);
			if (r == 0)
				return 1;
			shutdown(d->dst, SHUT_WR); /* fact 7: FIN is ours to forward */
			d->shut = true;
			return 0;
		}
		n = recv(d->src, d->buf, sizeof(d->buf), MSG_DONTWAIT);
		if (n > 0) {
			if (d->http)
				http_scan(p, d, (size_t)n);
			d->consumed += (uint64_t)n;
			d->len = (size_t)n;
			p->bytes_via_user += (uint64_t)n;
			continue;
		}
		if (n == 0) {
			d->eof = true;
			continue;
		}
		if (errno != EAGAIN)
			return -1;
		if (release(p, d))
			return -1;
		if (p->quiet) {
			uint64_t cookie;

			d->settled = sg_splice_cookie(d->src, &cookie) == 0 &&
				     sg_splice_settled(p->s, cookie, d->consumed) == 1;
		}
		return 0;
	}
}

/* quiet: each source watched for what it needs now (EOF alone once the
 * kernel carries it, nothing after EOF). */
static void watch(struct proxy *p)
{
	for (int i = 0; i < 2; i++) {
		struct pdir *d = &p->d[i];
		uint32_t want = d->eof ? 0 : d->settled ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
		struct epoll_event ev = { .events = want, .data.u32 = (uint32_t)i };

		if (want != d->events && epoll_ctl(p->ep, EPOLL_CTL_MOD, d->src, &ev) == 0)
			d->events = want;
	}
}

static void count_event(void *ctx, uint64_t cookie, unsigned verdict)
{
	(void)cookie;
	(void)verdict;
	((struct proxy *)ctx)->ring_events++;
}

/* A quiet proxy's sleep ran out: a stall if a source has passed bytes
 * not read (their wake-up went unheard), said with what each direction
 * was at. Returns whether it was one. */
static bool stalled(struct proxy *p)
{
	struct sg_splice_sock ss[2] = { 0 };
	bool untold = false;

	for (int i = 0; i < 2; i++) {
		sg_splice_sock(p->s, p->d[i].src, &ss[i]);
		untold |= ss[i].passed > p->d[i].consumed;
	}
	for (int i = 0; untold && i < 2; i++) {
		struct pdir *d = &p->d[i];
		int queued = -1;

		ioctl(d->src, FIONREAD, &queued);
		fprintf(stderr,
			"  stall: dir %d consumed %" PRIu64 " acked %" PRIu64
			" settled %d watching "
			"%#x len %zu off %zu; src bytes %" PRIu64 " redirected %" PRIu64
			" passed %" PRIu64 " passing %d, FIONREAD %d\n",
			i, d->consumed, d->acked, d->settled, d->events, d->len, d->off,
			ss[i].bytes, ss[i].redirected, ss[i].passed, ss[i].passing, queued);
	}
	return untold;
}

static void *proxy_main(void *arg)
{
	struct proxy *p = arg;
	struct epoll_event ev[4];
	int busy = 0, first = 1;

	p->tid = gettid();
	while (!p->stop) {
		/* The first pass at once: a quiet proxy narrows what it
		 * watches only after its first steps. */
		int timeout = first ? 0 : busy ? 1 : p->quiet ? 1000 : 20;
		int n = epoll_wait(p->ep, ev, 4, timeout);

		first = 0;

		if (n > 0)
			p->wakeups++;
		else if (n == 0 && timeout == 1000 && p->active && stalled(p))
			p->stalls++;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == 2)
				sg_splice_ring_read(p->ring, count_event, p);
			else if (ev[i].events & EPOLLRDHUP)
				p->d[ev[i].data.u32].rdhup = true;
		}
		busy = 0;
		for (int i = 0; i < 2; i++) {
			int r = dir_step(p, &p->d[i]);

			if (r < 0 && !p->err) {
				p->err = errno ? errno : EIO;
				fprintf(stderr, "  proxy: direction %d: %s\n", i, strerror(p->err));
			}
			busy |= r > 0;
		}
		if (p->quiet)
			watch(p);
	}
	return NULL;
}

static void proxy_start_mode(struct proxy *p, struct sg_splice *s, struct quad *q,
			     struct sg_splice_ring *ring, bool http_ab, bool quiet)
{
	uint32_t want = ring && !quiet ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
	struct epoll_event ev = { .events = want };

	memset(p, 0, sizeof(*p));
	p->s = s;
	p->ring = ring;
	p->quiet = quiet && ring;
	p->d[0].events = p->d[1].events = want;
	p->d[0].src = q->gw_a;
	p->d[0].dst = q->gw_b;
	p->d[0].http = http_ab;
	p->d[1].src = q->gw_b;
	p->d[1].dst = q->gw_a;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u32 = 0;
	epoll_ctl(p->ep, EPOLL_CTL_ADD, q->gw_a, &ev);
	ev.data.u32 = 1;
	epoll_ctl(p->ep, EPOLL_CTL_ADD, q->gw_b, &ev);
	if (ring) {
		ev.events = EPOLLIN;
		ev.data.u32 = 2;
		epoll_ctl(p->ep, EPOLL_CTL_ADD, sg_splice_ring_fd(ring), &ev);
	}
	pthread_create(&p->t, NULL, proxy_main, p);
}

static void proxy_start(struct proxy *p, struct sg_splice *s, struct quad *q,
			struct sg_splice_ring *ring, bool http_ab)
{
	proxy_start_mode(p, s, q, ring, http_ab, false);
}

static void proxy_stop(struct proxy *p)
{
	p->stop = true;
	pthread_join(p->t, NULL);
	close(p->ep);
}

/* ---- helpers over counters -------------------------------------------- */

static struct sg_splice_counters counters(struct sg_splice *s)
{
	struct sg_splice_counters c;

	memset(&c, 0, sizeof(c));
	sg_splice_counters(s, &c);
	return c;
}

static uint64_t delta(const struct sg_splice_counters *a, const struct sg_splice_counters *b,
		      unsigned v, bool bytes)
{
	return bytes ? b->bytes[v] - a->bytes[v] : b->skbs[v] - a->skbs[v];
}

static uint64_t passed_bytes(const struct sg_splice_counters *a, const struct sg_splice_counters *b)
{
	uint64_t sum = 0;

	for (unsigned v = 0; v < SG_V_MAX; v++)
		if (v != SG_V_REDIRECT && v != SG_V_TRIMMED && v != SG_V_DUPLICATE)
			sum += delta(a, b, v, true);
	return sum;
}

/* ---- the tests ----------------------------------------------------------- */

static void test_splice_pair_rejects_unestablished(struct sg_splice *s)
{
	struct sockaddr_in sa;
	struct quad q;
	int l = listener(&sa), u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sg_splice_side x = { .fd = l }, y = { .budget = SG_SPLICE_ALL };

	REQUIRE(quad_open(&q) == 0, "sockets");
	y.fd = q.gw_a;
	CHECK(sg_splice_pair(s, &x, &y, NULL) == -EOPNOTSUPP, "a listener is not ESTABLISHED");
	x.fd = u;
	CHECK(sg_splice_pair(s, &x, &y, NULL) == -EOPNOTSUPP, "UDP");
	x.fd = q.gw_a;
	CHECK(sg_splice_pair(s, &x, &y, NULL) == -EINVAL, "a socket with itself");
	x.fd = 12345;
	CHECK(sg_splice_pair(s, &x, &y, NULL) == -EINVAL, "a bad fd");
	/* Nothing was left behind: the maps hold no entry for gw_a. */
	struct sg_splice_sock info;
	CHECK(sg_splice_sock(s, q.gw_a, &info) == -ENOENT, "no state after failures");
	close(l);
	close(u);
	quad_close(s, &q);
}

/* A -> B (writer wa, reader rb) and B -> A (wb, ra) at once, to the end:
 * the readers first, so that no byte waits for one. */
static void run_both_ways(struct stream *wa, struct stream *rb, struct stream *wb,
			  struct stream *ra)
{
	stream_start(rb, reader_main);
	stream_start(ra, reader_main);
	stream_start(wa, writer_main);
	stream_start(wb, writer_main);
	stream_join(wa);
	stream_join(wb);
	stream_join(rb);
	stream_join(ra);
}

/* Both directions at once, checked byte for byte; returns MB/s (A->B). */
static double both_ways(struct sg_splice *s, uint64_t bytes, struct sg_splice_ring *ring,
			struct proxy *px, double *mbs_ba)
{
	struct stream wa = { 0 }, rb = { 0 }, wb = { 0 }, ra = { 0 };
	struct quad q;
	double ab = 0;

	CHECK(quad_open(&q) == 0, "sockets");
	CHECK(pair_backlog(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, ring, bulk_backlog()) == 0, "pair");
	proxy_start(px, s, &q, ring, false);
	wa.fd = q.a, wa.seed = 1, wa.total = bytes;
	rb.fd = q.b, rb.seed = 1, rb.total = bytes;
	wb.fd = q.b, wb.seed = 2, wb.total = bytes;
	ra.fd = q.a, ra.seed = 2, ra.total = bytes;
	run_both_ways(&wa, &rb, &wb, &ra);
	proxy_stop(px);
	CHECK(wa.err == 0 && wb.err == 0, "writers: %s / %s", strerror(wa.err), strerror(wb.err));
	CHECK(rb.done == bytes && rb.err == 0, "B got %" PRIu64 " of %" PRIu64 " (%s)", rb.done,
	      bytes, strerror(rb.err));
	CHECK(ra.done == bytes && ra.err == 0, "A got %" PRIu64 " of %" PRIu64 " (%s)", ra.done,
	      bytes, strerror(ra.err));
	CHECK(rb.bad_at == UINT64_MAX, "A->B differs at byte %" PRIu64, rb.bad_at);
	CHECK(ra.bad_at == UINT64_MAX, "B->A differs at byte %" PRIu64, ra.bad_at);
	CHECK(px->err == 0, "proxy: %s", strerror(px->err));
	ab = (double)bytes / (rb.end - wa.start) / 1e6;
	*mbs_ba = (double)bytes / (ra.end - wb.start) / 1e6;
	quad_close(s, &q);
	return ab;
}

static void test_splice_moves_bytes_both_ways(struct sg_splice *s)
{
	struct sg_splice_counters c0 = counters(s), c1;
	struct proxy px;
	double ba, ab = both_ways(s, 8u << 20, NULL, &px, &ba);

	c1 = counters(s);
	CHECK(delta(&c0, &c1, SG_V_REDIRECT, true) > 0, "nothing was redirected");
	CHECK(delta(&c0, &c1, SG_V_REDIRECT, true) + passed_bytes(&c0, &c1) >= 16u << 20,
	      "every byte got a verdict");
	printf("  8 MiB each way (EPOLLIN registered): %.0f / %.0f MB/s, redirected %" PRIu64
	       " B, passed %" PRIu64 " B, proxy wakeups %" PRIu64 "\n",
	       ab, ba, delta(&c0, &c1, SG_V_REDIRECT, true), passed_bytes(&c0, &c1), px.wakeups);
}

static void test_splice_one_gib_both_ways(struct sg_splice *s)
{
	char err[256];
	struct sg_splice_ring *ring = sg_splice_ring_open(s, err, sizeof(err));
	struct sg_splice_counters c0 = counters(s), c1;
	struct proxy px;
	double ab, ba;

	REQUIRE(ring, "ring: %s", err);
	ab = both_ways(s, 1ull << 30, ring, &px, &ba);
	c1 = counters(s);
	printf("  1 GiB each way at once (EPOLLRDHUP + ring): A->B %.0f MB/s, B->A %.0f MB/s; "
	       "redirected %.1f%%, passed %" PRIu64 " B (%" PRIu64 " backlog skbs), proxy "
	       "wakeups %" PRIu64 ", ring events %" PRIu64 "\n",
	       ab, ba,
	       100.0 * (double)delta(&c0, &c1, SG_V_REDIRECT, true) /
		       (double)(delta(&c0, &c1, SG_V_REDIRECT, true) + passed_bytes(&c0, &c1)),
	       passed_bytes(&c0, &c1), delta(&c0, &c1, SG_V_BACKLOG, false), px.wakeups,
	       px.ring_events);
	sg_splice_ring_close(ring);
}

/* Every byte through the kernel's pass path, read straight off gw_a by a
 * reader that naps: the path where this kernel's TCP hands the verdict
 * retransmitted overlaps (see dedup() in bpf/splice.bpf.c). */
static void test_splice_passed_bytes_in_order(struct sg_splice *s)
{
	struct sg_splice_counters c0 = counters(s), c1;
	struct stream w = { 0 }, r = { 0 };
	struct quad q;

	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, 0, 0, NULL) == 0, "pair");
	w.fd = q.a, w.seed = 6, w.total = 512u << 20;
	r.fd = q.gw_a, r.seed = 6, r.total = 512u << 20, r.slow = true;
	stream_start(&r, reader_main);
	stream_start(&w, writer_main);
	stream_join(&w);
	stream_join(&r);
	c1 = counters(s);
	CHECK(r.done == w.total && r.bad_at == UINT64_MAX, "gw_a got %" PRIu64 ", bad at %" PRIu64,
	      r.done, r.bad_at);
	printf("  512 MiB passed to a napping reader: duplicate bytes cut %" PRIu64 "\n",
	       delta(&c0, &c1, SG_V_TRIMMED, true));
	quad_close(s, &q);
}

/* The proxy keeps every byte (it never acks): 1 GiB through userspace. */
static void test_splice_one_gib_through_userspace(struct sg_splice *s)
{
	struct stream w = { 0 }, r = { 0 };
	struct proxy px;
	struct quad q;

	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, 0, 0, NULL) == 0, "pair");
	proxy_start(&px, s, &q, NULL, false);
	px.d[0].never_release = px.d[1].never_release = true;
	w.fd = q.a, w.seed = 4, w.total = 1ull << 30;
	r.fd = q.b, r.seed = 4, r.total = 1ull << 30;
	stream_start(&r, reader_main);
	stream_start(&w, writer_main);
	stream_join(&w);
	stream_join(&r);
	proxy_stop(&px);
	CHECK(r.done == w.total && r.bad_at == UINT64_MAX, "B got %" PRIu64 ", bad at %" PRIu64,
	      r.done, r.bad_at);
	CHECK(px.err == 0, "proxy: %s", strerror(px.err));
	printf("  1 GiB, every byte passed and copied by the proxy: %.0f MB/s\n",
	       (double)w.total / (r.end - w.start) / 1e6);
	quad_close(s, &q);
}

static void test_splice_one_gib_one_way(struct sg_splice *s)
{
	struct sg_splice_counters c0 = counters(s), c1;
	struct stream w = { 0 }, r = { 0 };
	struct proxy px;
	struct quad q;
	char err[256];
	struct sg_splice_ring *ring = sg_splice_ring_open(s, err, sizeof(err));

	REQUIRE(ring, "ring: %s", err);
	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair_backlog(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, ring, bulk_backlog()) == 0,
		"pair");
	proxy_start(&px, s, &q, ring, false);
	w.fd = q.a, w.seed = 3, w.total = 1ull << 30;
	r.fd = q.b, r.seed = 3, r.total = 1ull << 30;
	stream_start(&r, reader_main);
	stream_start(&w, writer_main);
	stream_join(&w);
	stream_join(&r);
	proxy_stop(&px);
	CHECK(r.done == w.total && r.bad_at == UINT64_MAX, "B got %" PRIu64 ", bad at %" PRIu64,
	      r.done, r.bad_at);
	c1 = counters(s);
	printf("  1 GiB one way: %.0f MB/s, %.2f s, redirected %.1f%%, %" PRIu64
	       " backlog passes, proxy wakeups %" PRIu64 ", duplicate bytes cut %" PRIu64
	       " (+%" PRIu64 " whole skbs)\n",
	       (double)w.total / (r.end - w.start) / 1e6, r.end - w.start,
	       100.0 * (double)delta(&c0, &c1, SG_V_REDIRECT, true) /
		       (double)(delta(&c0, &c1, SG_V_REDIRECT, true) + passed_bytes(&c0, &c1)),
	       delta(&c0, &c1, SG_V_BACKLOG, false), px.wakeups,
	       delta(&c0, &c1, SG_V_TRIMMED, true), delta(&c0, &c1, SG_V_DUPLICATE, false));
	quad_close(s, &q);
	sg_splice_ring_close(ring);
}

/* Voluntary context switches of this process's thread tid so far. */
static uint64_t thread_switches(pid_t tid)
{
	char path[64], line[256];
	uint64_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %" SCNu64, &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* `rounds` 64-byte exchanges A -> B -> A through a pair the proxy thread
 * watches (EPOLLIN registered, or quiet with the ring); the proxy thread's
 * sleeps meanwhile. */
static uint64_t ping_pong_sleeps(struct sg_splice *s, struct sg_splice_ring *ring, bool quiet,
				 int rounds)
{
	char msg[64], got[64];
	struct proxy px;
	struct quad q;
	uint64_t before = 0, after;
	int bad = 0;

	memset(msg, 'p', sizeof(msg));
	if (quad_open(&q) || pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, ring)) {
		CHECK(false, "sockets or pairing: %s", strerror(errno));
		return 0;
	}
	proxy_start_mode(&px, s, &q, ring, false, quiet);
	for (int i = 0; i < rounds + 20; i++) {
		if (i == 20) { /* warmed up, and the proxy watches what it will */
			for (int k = 0; k < 200 && quiet && px.d[0].events != EPOLLRDHUP; k++)
				sleep_ms(10);
			CHECK(!quiet || (px.d[0].events == EPOLLRDHUP &&
					 px.d[1].events == EPOLLRDHUP),
			      "the quiet proxy still watches EPOLLIN (%#x, %#x)", px.d[0].events,
			      px.d[1].events);
			sleep_ms(20);
			before = thread_switches(px.tid);
		}
		bad += send(q.a, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg);
		bad += recv(q.b, got, sizeof(got), MSG_WAITALL) != (ssize_t)sizeof(got);
		bad += send(q.b, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg);
		bad += recv(q.a, got, sizeof(got), MSG_WAITALL) != (ssize_t)sizeof(got);
		if (bad)
			break;
	}
	after = thread_switches(px.tid);
	proxy_stop(&px);
	CHECK(bad == 0, "a round trip failed: %s", strerror(errno));
	CHECK(px.err == 0, "proxy: %s", strerror(px.err));
	quad_close(s, &q);
	return after - before;
}

/* Every redirected skb wakes a thread waiting for EPOLLIN on its source
 * (the psock calls the socket's data_ready after the verdict), for nothing:
 * the poll finds no byte. A quiet proxy, which watches a settled source for
 * EPOLLRDHUP alone, sleeps through an interactive exchange carried by the
 * kernel. */
static void test_splice_quiet_source_sleeps(struct sg_splice *s)
{
	enum { ROUNDS = 2000 };
	char err[256];
	struct sg_splice_ring *ring = sg_splice_ring_open(s, err, sizeof(err));
	uint64_t woken, quiet;

	REQUIRE(ring, "ring: %s", err);
	woken = ping_pong_sleeps(s, NULL, false, ROUNDS);
	quiet = ping_pong_sleeps(s, ring, true, ROUNDS);
	printf("  %d round trips of 64 B: proxy thread slept %" PRIu64 " times watching EPOLLIN, "
	       "%" PRIu64 " quiet\n",
	       ROUNDS, woken, quiet);
	CHECK(woken >= ROUNDS / 4, "watching EPOLLIN the proxy slept only %" PRIu64 " times",
	      woken);
	CHECK(quiet <= ROUNDS / 50, "quiet, the proxy slept %" PRIu64 " times", quiet);
	sg_splice_ring_close(ring);
}

/* A quiet proxy misses no passed byte: with a small backlog bound and a
 * reader that naps, the kernel passes bytes time and again while the proxy
 * acks, checks that it consumed all, and stops watching EPOLLIN. Each
 * first pass after an ack must reach it on the ring (bpf/splice.bpf.c
 * pass(): the barrier pair), or the stream stalls until the proxy's
 * one-second sleep runs out. */
static void test_splice_quiet_source_misses_no_pass(struct sg_splice *s)
{
	const uint64_t bytes = 256u << 20;
	char err[256];
	struct sg_splice_ring *ring = sg_splice_ring_open(s, err, sizeof(err));
	struct sg_splice_counters c0 = counters(s), c1;
	struct stream wa = { 0 }, rb = { 0 }, wb = { 0 }, ra = { 0 };
	struct proxy px;
	struct quad q;

	REQUIRE(ring, "ring: %s", err);
	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair_backlog(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, ring, 64 * 1024) == 0, "pair");
	proxy_start_mode(&px, s, &q, ring, false, true);
	px.active = true;
	wa.fd = q.a, wa.seed = 21, wa.total = bytes, wa.bursts = true;
	rb.fd = q.b, rb.seed = 21, rb.total = bytes, rb.slow = true;
	wb.fd = q.b, wb.seed = 22, wb.total = bytes, wb.bursts = true;
	ra.fd = q.a, ra.seed = 22, ra.total = bytes, ra.slow = true;
	run_both_ways(&wa, &rb, &wb, &ra);
	px.active = false;
	proxy_stop(&px);
	c1 = counters(s);
	CHECK(rb.done == bytes && rb.bad_at == UINT64_MAX, "B got %" PRIu64 ", bad at %" PRIu64,
	      rb.done, rb.bad_at);
	CHECK(ra.done == bytes && ra.bad_at == UINT64_MAX, "A got %" PRIu64 ", bad at %" PRIu64,
	      ra.done, ra.bad_at);
	CHECK(px.err == 0, "proxy: %s", strerror(px.err));
	CHECK(passed_bytes(&c0, &c1) > 0 && px.ring_events > 0,
	      "nothing was passed (%" PRIu64 " B, %" PRIu64
	      " ring events): the test tested nothing",
	      passed_bytes(&c0, &c1), px.ring_events);
	CHECK(px.stalls == 0, "%" PRIu64 " one-second stalls: a pass went unheard", px.stalls);
	printf("  256 MiB each way, 64 KiB backlog bound, quiet proxy: passed %" PRIu64
	       " B (%" PRIu64 " backlog skbs), ring events %" PRIu64 ", stalls %" PRIu64 "\n",
	       passed_bytes(&c0, &c1), delta(&c0, &c1, SG_V_BACKLOG, false), px.ring_events,
	       px.stalls);
	quad_close(s, &q);
	sg_splice_ring_close(ring);
}

/* Fact 3: bytes queued before insertion go through once SO_RCVLOWAT is set,
 * with no new data arriving and no userspace help. */
static void test_splice_prequeued_request(struct sg_splice *s)
{
	enum { AB = 100000, BA = 50000 };
	unsigned char *buf = malloc(AB);
	struct stream ra = { 0 }, rb = { 0 };
	struct sg_splice_sock ia, ib;
	struct quad q;

	REQUIRE(buf && quad_open(&q) == 0, "sockets");
	gen(11, 0, buf, AB);
	CHECK(send(q.a, buf, AB, 0) == AB, "A writes before pairing");
	gen(12, 0, buf, BA);
	CHECK(send(q.b, buf, BA, 0) == BA, "B writes before pairing");
	sleep_ms(50); /* both now sit in gw_a's and gw_b's receive queues */
	REQUIRE(pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, NULL) == 0, "pair");
	rb.fd = q.b, rb.seed = 11, rb.total = AB;
	ra.fd = q.a, ra.seed = 12, ra.total = BA;
	stream_start(&rb, reader_main);
	stream_start(&ra, reader_main);
	stream_join(&rb);
	stream_join(&ra);
	CHECK(rb.done == AB && rb.bad_at == UINT64_MAX, "B got %" PRIu64, rb.done);
	CHECK(ra.done == BA && ra.bad_at == UINT64_MAX, "A got %" PRIu64, ra.done);
	CHECK(sg_splice_sock(s, q.gw_a, &ia) == 0 && ia.redirected == AB && ia.passed == 0,
	      "gw_a: redirected %" PRIu64 " passed %" PRIu64, ia.redirected, ia.passed);
	CHECK(sg_splice_sock(s, q.gw_b, &ib) == 0 && ib.redirected == BA && ib.passed == 0,
	      "gw_b: redirected %" PRIu64 " passed %" PRIu64, ib.redirected, ib.passed);
	quad_close(s, &q);
	free(buf);
}

/* Fact 4: B stops reading while A pushes; the kernel must not buffer more
 * than the bound, and everything arrives when B resumes. */
static void stalled_reader(struct sg_splice *s, bool use_ring)
{
	const uint64_t total = 256u << 20;
	struct sg_splice_counters c0 = counters(s), c1;
	struct sg_splice_ring *ring = NULL;
	struct stream w = { 0 }, r = { 0 };
	uint64_t mem0, mem_max, at_stall = 0;
	int outq = 0, stall_ms = 3000;
	struct proxy px;
	struct quad q;
	char err[256];

	if (use_ring) {
		ring = sg_splice_ring_open(s, err, sizeof(err));
		REQUIRE(ring, "ring: %s", err);
	}
	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, ring) == 0, "pair");
	proxy_start(&px, s, &q, ring, false);
	w.fd = q.a, w.seed = 5, w.total = total;
	r.fd = q.b, r.seed = 5, r.total = total, r.delay_ms = stall_ms;
	mem0 = mem_max = tcp_mem_kb();
	stream_start(&r, reader_main);
	stream_start(&w, writer_main);
	for (int t = 0; t < stall_ms - 200; t += 100) {
		uint64_t m = tcp_mem_kb();

		mem_max = m > mem_max ? m : mem_max;
		sleep_ms(100);
	}
	at_stall = w.done;
	ioctl(q.gw_b, SIOCOUTQ, &outq);
	stream_join(&w);
	stream_join(&r);
	proxy_stop(&px);
	c1 = counters(s);
	printf("  stalled reader (%s): A got %.1f MiB into the kernel in %.1f s, gw_b SIOCOUTQ "
	       "%.1f MiB, TCP memory +%.1f MiB, %" PRIu64 " backlog passes\n",
	       use_ring ? "EPOLLRDHUP + ring" : "EPOLLIN", (double)at_stall / 1048576.0,
	       (stall_ms - 200) / 1000.0, outq / 1048576.0,
	       mem_max > mem0 ? (double)(mem_max - mem0) / 1024.0 : 0.0,
	       delta(&c0, &c1, SG_V_BACKLOG, false));
	/* Unbounded, this would be gigabytes; socket buffers (A's send, gw_a's
	 * receive, B's receive, up to ~4-6 MiB each after autotuning), the
	 * backlog limit and the proxy's buffer add up to ~25 MiB. */
	CHECK(at_stall < (48u << 20), "%.1f MiB accepted while B was stalled",
	      (double)at_stall / 1048576.0);
	CHECK(mem_max < mem0 + (128u << 10), "TCP memory grew by %.1f MiB",
	      (double)(mem_max - mem0) / 1024.0);
	CHECK(delta(&c0, &c1, SG_V_BACKLOG, false) > 0, "the backlog limit never applied");
	CHECK(r.done == total && r.bad_at == UINT64_MAX && r.err == 0,
	      "B got %" PRIu64 " of %" PRIu64 ", bad at %" PRIu64 " (%s)", r.done, total, r.bad_at,
	      strerror(r.err));
	CHECK(px.err == 0, "proxy: %s", strerror(px.err));
	if (use_ring)
		CHECK(px.ring_events > 0, "no ring event");
	quad_close(s, &q);
	sg_splice_ring_close(ring);
}

static void test_splice_stalled_reader_is_bounded(struct sg_splice *s)
{
	stalled_reader(s, false);
}

static void test_splice_stalled_reader_ring(struct sg_splice *s)
{
	stalled_reader(s, true);
}

/* Fact 7: a peer that closes mid-stream. The FIN is not forwarded by the
 * kernel; EPOLLRDHUP still fires with EPOLLRDHUP-only registration, and
 * after the drain barrier the proxy's shutdown() reaches the other side
 * behind every byte. */
static void test_splice_peer_closes_midstream(struct sg_splice *s)
{
	char err[256];
	struct sg_splice_ring *ring = sg_splice_ring_open(s, err, sizeof(err));
	struct stream w = { 0 }, r = { 0 }, w2 = { 0 }, r2 = { 0 };
	struct proxy px;
	struct quad q;

	REQUIRE(ring, "ring: %s", err);
	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, ring) == 0, "pair");
	proxy_start(&px, s, &q, ring, false);
	w.fd = q.a, w.seed = 7, w.total = 3u << 20, w.shut_after = true;
	r.fd = q.b, r.seed = 7, r.total = 3u << 20, r.expect_eof = true;
	stream_start(&r, reader_main);
	stream_start(&w, writer_main);
	stream_join(&w);
	stream_join(&r);
	CHECK(r.done == w.total && r.bad_at == UINT64_MAX, "B got %" PRIu64, r.done);
	CHECK(r.eof_seen, "B saw no EOF after the last byte");
	CHECK(px.d[0].rdhup, "no EPOLLRDHUP on gw_a");
	/* The other direction still works after a half-close... */
	w2.fd = q.b, w2.seed = 8, w2.total = 1u << 20;
	r2.fd = q.a, r2.seed = 8, r2.total = 1u << 20;
	stream_start(&r2, reader_main);
	stream_start(&w2, writer_main);
	stream_join(&w2);
	stream_join(&r2);
	CHECK(r2.done == w2.total && r2.bad_at == UINT64_MAX, "A got %" PRIu64, r2.done);
	/* ...and B closing for good is seen on gw_b too. */
	close(q.b);
	for (int i = 0; i < 100 && !px.d[1].rdhup; i++)
		sleep_ms(10);
	CHECK(px.d[1].rdhup, "no EPOLLRDHUP on gw_b after B closed");
	q.b = socket(AF_INET, SOCK_STREAM, 0); /* for quad_close */
	proxy_stop(&px);
	quad_close(s, &q);
	sg_splice_ring_close(ring);
}

/* A bare FIN arriving while redirected bytes still wait in the socket's
 * own psock queue (its reader is slow, so its send buffer is full) is a
 * zero-length skb: passed, it is queued behind them, and the psock worker
 * treats sending zero bytes as a broken pipe: it sets EPIPE on the socket
 * and stops transmitting, so every byte redirected to it afterwards is
 * dropped. The verdict must never queue an empty skb. */
static void test_splice_fin_behind_backlog(struct sg_splice *s)
{
	enum { PART = 1 << 20 };
	int small = 16384, soerr = -1;
	socklen_t len = sizeof(soerr);
	struct stream w = { 0 }, r = { 0 };
	unsigned char c;
	struct quad q;

	REQUIRE(quad_open(&q) == 0, "sockets");
	/* A small send buffer on gw_a: redirected bytes pile up in its psock
	 * queue as soon as A stops reading. */
	setsockopt(q.gw_a, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(q.a, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	REQUIRE(pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, NULL) == 0, "pair");
	w.fd = q.b, w.seed = 21, w.total = PART;
	stream_start(&w, writer_main);
	stream_join(&w);
	REQUIRE(w.done == PART, "B wrote %" PRIu64 " (%s)", w.done, strerror(w.err));
	sleep_ms(50);
	/* A half-closes while gw_a's queue is full of B's bytes. */
	CHECK(shutdown(q.a, SHUT_WR) == 0, "shutdown A");
	sleep_ms(50);
	/* Now A reads it all, and B sends as much again. */
	w = (struct stream){ .fd = q.b, .seed = 21, .total = 2 * PART, .done = PART };
	r = (struct stream){ .fd = q.a, .seed = 21, .total = 2 * PART };
	stream_start(&r, reader_main);
	sleep_ms(200);
	stream_start(&w, writer_main);
	stream_join(&w);
	stream_join(&r);
	CHECK(r.done == 2 * PART && r.bad_at == UINT64_MAX,
	      "A got %" PRIu64 " of %d, bad at %" PRIu64 " (%s)", r.done, 2 * PART, r.bad_at,
	      strerror(r.err));
	CHECK(getsockopt(q.gw_a, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0,
	      "gw_a has error %s", strerror(soerr));
	CHECK(recv(q.gw_a, &c, 1, MSG_DONTWAIT) == 0, "gw_a does not read EOF: %s",
	      strerror(errno));
	quad_close(s, &q);
}

/* Reads len bytes into buf, whatever they are. */
struct sink {
	int fd;
	unsigned char *buf;
	size_t len, done;
	pthread_t t;
};

static void *sink_main(void *arg)
{
	struct sink *k = arg;

	while (k->done < k->len) {
		ssize_t n = recv(k->fd, k->buf + k->done, k->len - k->done, 0);

		if (n <= 0)
			break;
		k->done += (size_t)n;
	}
	return NULL;
}

/* Fact 8: pipelined messages, each body a budget. Heads are parsed and
 * rewritten by the proxy; bodies go through the kernel up to their last
 * whole skb, and the skb that straddles a body's end comes to userspace. A
 * head the kernel forwarded would reach B unrewritten; a body byte the
 * kernel held back or reordered would not match.
 *
 * paced: each write is the previous body's tail + the next head + the first
 * 100 bytes of its body (so every body end straddles an skb), then a 1 ms
 * pause: the budget is in place before the rest of the body arrives. Not
 * paced: uneven back-to-back writes; a sender that never pauses keeps the
 * stream in userspace (see user/relay/splice.h), so only correctness is checked. */
static void budget_pipelined(struct sg_splice *s, bool paced)
{
	enum { NMSG = 400 };
	struct sg_splice_counters c0 = counters(s), c1;
	uint64_t sizes[NMSG], cuts[NMSG + 1], stream_len = 0, bodies = 0, seed = 9;
	unsigned char *out, *got;
	struct sg_splice_sock ia;
	struct sink sink = { 0 };
	struct proxy px;
	struct quad q;
	size_t pos = 0;

	for (int i = 0; i < NMSG; i++) {
		uint64_t x = mix(seed + (uint64_t)i);

		/* Mostly small bodies (several per skb), some large ones. */
		sizes[i] = (x & 3) == 0 ? x % (400 * 1024) : (x & 3) == 1 ? 0 : x % 3000;
		stream_len += (uint64_t)snprintf(NULL, 0, "M%" PRIu64 "\n", sizes[i]) + sizes[i];
		bodies += sizes[i];
	}
	out = malloc(stream_len);
	got = malloc(stream_len + 1);
	REQUIRE(out && got, "memory");
	for (int i = 0; i < NMSG; i++) {
		pos += (size_t)sprintf((char *)out + pos, "M%" PRIu64 "\n", sizes[i]);
		cuts[i] = pos + (sizes[i] < 100 ? sizes[i] : 100);
		gen(seed, pos, out + pos, sizes[i]);
		pos += sizes[i];
	}
	cuts[NMSG] = stream_len;
	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, 0, SG_SPLICE_ALL, NULL) == 0, "pair");
	proxy_start(&px, s, &q, NULL, true);
	sink.fd = q.b, sink.buf = got, sink.len = stream_len;
	pthread_create(&sink.t, NULL, sink_main, &sink);
	for (size_t off = 0, i = 0; off < stream_len; i++) {
		size_t n;

		if (paced) {
			n = (size_t)(cuts[i] - off);
		} else {
			n = (size_t)(mix(i) % 70000) + 1;
			n = n < stream_len - off ? n : stream_len - off;
		}
		if (n && send(q.a, out + off, n, 0) != (ssize_t)n) {
			CHECK(0, "A writes");
			break;
		}
		off += n;
		if (paced)
			sleep_ms(1);
		else if (i % 16 == 0)
			sleep_ms(1);
	}
	pthread_join(sink.t, NULL);
	pos = sink.done;
	proxy_stop(&px);
	c1 = counters(s);
	/* What B must see: the same stream with every head rewritten. */
	for (size_t off = 0, i = 0; i < NMSG; i++) {
		out[off] = 'm';
		off += (size_t)snprintf(NULL, 0, "M%" PRIu64 "\n", sizes[i]) + sizes[i];
	}
	CHECK(pos == stream_len, "B got %zu of %" PRIu64 " bytes", pos, stream_len);
	if (memcmp(got, out, pos < stream_len ? pos : stream_len)) {
		size_t i = 0;

		while (got[i] == out[i])
			i++;
		CHECK(0, "B's stream differs at byte %zu ('%c' instead of '%c')", i, got[i],
		      out[i]);
	}
	CHECK(sg_splice_sock(s, q.gw_a, &ia) == 0, "state");
	CHECK(ia.redirected <= bodies, "the kernel moved %" PRIu64 " B, bodies are %" PRIu64,
	      ia.redirected, bodies);
	CHECK(delta(&c0, &c1, SG_V_BUDGET, false) > 0, "no skb straddled a budget end");
	if (paced)
		CHECK(ia.redirected > bodies / 2,
		      "only %" PRIu64 " of %" PRIu64 " body bytes in the kernel", ia.redirected,
		      bodies);
	CHECK(px.err == 0, "proxy: %s", strerror(px.err));
	printf("  %d %s messages, %" PRIu64 " body bytes: %.1f%% through the kernel, %" PRIu64
	       " straddling skbs to userspace\n",
	       NMSG, paced ? "paced" : "back-to-back", bodies,
	       100.0 * (double)ia.redirected / (double)bodies, delta(&c0, &c1, SG_V_BUDGET, false));
	quad_close(s, &q);
	free(out);
	free(got);
}

static void test_splice_budget_pipelined(struct sg_splice *s)
{
	budget_pipelined(s, true);
}

static void test_splice_budget_back_to_back(struct sg_splice *s)
{
	budget_pipelined(s, false);
}

/* A keep-alive client moving to a second backend: the client socket keeps
 * its entries and counters and is re-targeted. */
static void test_splice_repair_moves_client(struct sg_splice *s)
{
	unsigned char buf[5000], want[5000];
	struct sg_splice_side a = { 0 }, b = { 0 };
	struct quad q;
	int gw_b2, b2, rc;
	ssize_t k;

	REQUIRE(quad_open(&q) == 0 && leg(&gw_b2, &b2) == 0, "sockets");
	REQUIRE(pair(s, &q, 1000, 0, NULL) == 0, "pair with a 1000-byte budget");
	gen(21, 0, buf, 1000);
	CHECK(send(q.a, buf, 1000, 0) == 1000, "A writes");
	CHECK(recv(q.b, want, 1000, MSG_WAITALL) == 1000 && !memcmp(buf, want, 1000),
	      "B got the body");
	/* The budget is used up: the next bytes from A are passed. */
	CHECK(send(q.a, "next", 4, 0) == 4, "A writes a head");
	sleep_ms(20);
	k = recv(q.gw_a, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK(k == 4 && !memcmp(buf, "next", 4), "the proxy reads the head (%zd)", k);
	a.fd = q.gw_a, a.consumed = 4, a.budget = 3000;
	b.fd = gw_b2, b.consumed = 0, b.budget = 0;
	rc = sg_splice_pair(s, &a, &b, NULL);
	CHECK(rc == 0, "re-pair to backend 2: %s", strerror(-rc));
	gen(22, 0, buf, 3000);
	CHECK(send(q.a, buf, 3000, 0) == 3000, "A writes the second body");
	CHECK(recv(b2, want, 3000, MSG_WAITALL) == 3000 && !memcmp(buf, want, 3000),
	      "backend 2 got the second body");
	CHECK(recv(q.b, want, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "backend 1 got nothing more");
	sg_splice_forget(s, gw_b2);
	close(gw_b2);
	close(b2);
	quad_close(s, &q);
}

static void test_splice_budget_protocol_errors(struct sg_splice *s)
{
	struct quad q;
	uint64_t left = 0;

	REQUIRE(quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, 1u << 20, SG_SPLICE_ALL, NULL) == 0, "pair");
	CHECK(sg_splice_set_budget(s, q.gw_a, 0, 10) == -EBUSY, "still inside its budget");
	CHECK(sg_splice_ack(s, q.gw_a, 1) == -EINVAL, "acking bytes never passed");
	CHECK(sg_splice_budget_left(s, q.gw_a, 0, &left) == 0 && left == 1u << 20,
	      "budget left %" PRIu64, left);
	CHECK(sg_splice_budget_left(s, q.gw_b, 0, &left) == 0 && left == UINT64_MAX,
	      "no budget: %" PRIu64, left);
	CHECK(sg_splice_set_budget(s, q.a, 0, 10) == -ENOENT, "not paired");
	quad_close(s, &q);
}

/* GET /stats material: entries for live sockets only, idle time growing. */
static void test_splice_stats_and_forget(struct sg_splice *s)
{
	struct sg_splice_sock *all = calloc(SG_MAX_SOCKS, sizeof(*all));
	uint64_t ca, cb;
	struct quad q;
	ssize_t n;
	int found = 0;

	REQUIRE(all && quad_open(&q) == 0, "sockets");
	REQUIRE(pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, NULL) == 0, "pair");
	sg_splice_cookie(q.gw_a, &ca);
	sg_splice_cookie(q.gw_b, &cb);
	CHECK(send(q.a, "hello", 5, 0) == 5, "A writes");
	sleep_ms(120);
	n = sg_splice_stats(s, all, SG_MAX_SOCKS);
	CHECK(n >= 2, "stats: %zd", n);
	for (ssize_t i = 0; i < n; i++) {
		if (all[i].cookie == ca) {
			found++;
			CHECK(all[i].bytes == 5 && all[i].redirected == 5, "gw_a bytes %" PRIu64,
			      all[i].bytes);
			CHECK(all[i].idle_ns >= 80000000u && all[i].idle_ns < 5000000000u,
			      "idle %" PRIu64 " ns", all[i].idle_ns);
		}
		found += all[i].cookie == cb;
	}
	CHECK(found == 2, "both sockets listed");
	quad_close(s, &q);
	n = sg_splice_stats(s, all, SG_MAX_SOCKS);
	CHECK(n == 0, "%zd entries left after every connection closed", n);
	free(all);
}

/* sg_splice_cli(argv) with argv built from "CMD --pin-dir DIR [--backlog N]". */
static int cli(const char *cmd, const char *dir, const char *backlog)
{
	char args[5][80];
	char *argv[6] = { 0 };
	int argc = 0;

	snprintf(args[argc], sizeof(args[0]), "%s", cmd);
	argv[argc] = args[argc], argc++;
	snprintf(args[argc], sizeof(args[0]), "--pin-dir");
	argv[argc] = args[argc], argc++;
	snprintf(args[argc], sizeof(args[0]), "%s", dir);
	argv[argc] = args[argc], argc++;
	if (backlog) {
		snprintf(args[argc], sizeof(args[0]), "--backlog");
		argv[argc] = args[argc], argc++;
		snprintf(args[argc], sizeof(args[0]), "%s", backlog);
		argv[argc] = args[argc], argc++;
	}
	return sg_splice_cli(argc, argv);
}

/* `splicegate bpf load|status|unload` with a private pin directory, and a
 * handle opened from the pins moving bytes. */
static void test_splice_pinned_lifecycle(struct sg_splice *unused)
{
	char dir[64], err[256];
	struct sg_splice_opts o = { .pin_dir = dir };
	struct stream r = { 0 };
	struct sg_splice *s;
	struct stat st;
	struct quad q;

	(void)unused;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/sg-test-%d", (int)getpid());
	REQUIRE(cli("load", dir, "1048576") == 0, "bpf load");
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "pin dir mode %o",
	      st.st_mode & 0777);
	CHECK(cli("load", dir, "1048576") == 0, "a second load says already loaded");
	s = sg_splice_open(&o, err, sizeof(err));
	CHECK(s, "open pinned: %s", err);
	if (s) {
		CHECK(!strncmp(sg_splice_describe(s), "pinned at ", 10), "%s",
		      sg_splice_describe(s));
		CHECK(quad_open(&q) == 0 && pair(s, &q, SG_SPLICE_ALL, SG_SPLICE_ALL, NULL) == 0,
		      "pair through the pinned maps");
		unsigned char *buf = malloc(1u << 20);

		gen(31, 0, buf, 1u << 20);
		CHECK(send(q.a, buf, 1u << 20, 0) == 1 << 20, "A writes");
		r.fd = q.b, r.seed = 31, r.total = 1u << 20;
		reader_main(&r);
		CHECK(r.done == r.total && r.bad_at == UINT64_MAX, "B got %" PRIu64, r.done);
		free(buf);
		CHECK(cli("status", dir, NULL) == 0, "bpf status");
		/* Unloading under a running user leaves its copies working. */
		CHECK(cli("unload", dir, NULL) == 0, "bpf unload");
		CHECK(stat(dir, &st) == -1 && errno == ENOENT, "pin dir removed");
		CHECK(send(q.a, buf ? "x" : "x", 1, 0) == 1, "A writes after unload");
		char c = 0;
		CHECK(recv(q.b, &c, 1, 0) == 1 && c == 'x', "still spliced after unload");
		quad_close(s, &q);
		sg_splice_close(s);
	} else {
		cli("unload", dir, NULL);
	}
	CHECK(cli("status", dir, NULL) == 0, "status when nothing is pinned");
}

/* A program pinned by another build (another source id in its .rodata,
 * maps of the same layout) is refused by name rather than left to run its
 * rules on our sockets; `bpf unload` and `bpf load` mend it. */
static void test_splice_pinned_other_build(struct sg_splice *unused)
{
	char dir[64], path[128], err[256];
	struct sg_splice_opts o = { .pin_dir = dir };
	struct splice_bpf *other;
	struct sg_splice *s;

	(void)unused;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/sg-test-other-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/sg_verdict", dir);
	REQUIRE(cli("load", dir, NULL) == 0, "bpf load");
	other = splice_bpf__open();
	if (other) {
		other->rodata->sg_source_id ^= 1; /* what an edited source would hash to */
		CHECK(splice_bpf__load(other) == 0, "loading a program of another source");
		CHECK(unlink(path) == 0 &&
			      bpf_obj_pin(bpf_program__fd(other->progs.sg_verdict), path) == 0,
		      "pinning it in place of ours: %s", strerror(errno));
		splice_bpf__destroy(other);
	}
	CHECK(other, "opening a second copy of the program");
	errno = 0;
	s = sg_splice_open(&o, err, sizeof(err));
	CHECK(!s && errno == EPROTO && strstr(err, "sg_verdict") &&
		      strstr(err, "pinned by another splicegate build"),
	      "opened: %s, errno %d, error \"%s\"", s ? "yes" : "no", errno, s ? "" : err);
	sg_splice_close(s);
	CHECK(cli("load", dir, NULL) == 2, "bpf load over it fails");
	CHECK(cli("status", dir, NULL) == 2, "bpf status says so too");
	CHECK(cli("unload", dir, NULL) == 0, "bpf unload");
	CHECK(cli("load", dir, NULL) == 0, "bpf load after the unload");
	s = sg_splice_open(&o, err, sizeof(err));
	CHECK(s && !strncmp(sg_splice_describe(s), "pinned at ", 10), "open after the reload: %s",
	      s ? sg_splice_describe(s) : err);
	sg_splice_close(s);
	CHECK(cli("unload", dir, NULL) == 0, "bpf unload at the end");
}

/* ---- runner ------------------------------------------------------------ */

struct test {
	const char *name;
	void (*fn)(struct sg_splice *s);
	unsigned timeout_s;
};

#define T(fn, secs)                                                                                \
	{                                                                                          \
#fn, fn, secs                                                                      \
	}

/* One test a line, in running order (clang-format would fold it into two
 * columns). */
/* clang-format off */
static const struct test tests[] = {
	T(test_splice_pair_rejects_unestablished, 10),
	T(test_splice_prequeued_request, 10),
	T(test_splice_moves_bytes_both_ways, 30),
	T(test_splice_budget_protocol_errors, 10),
	T(test_splice_budget_pipelined, 60),
	T(test_splice_budget_back_to_back, 60),
	T(test_splice_repair_moves_client, 10),
	T(test_splice_peer_closes_midstream, 30),
	T(test_splice_fin_behind_backlog, 30),
	T(test_splice_stalled_reader_is_bounded, 60),
	T(test_splice_stalled_reader_ring, 60),
	T(test_splice_quiet_source_sleeps, 60),
	T(test_splice_quiet_source_misses_no_pass, 120),
	T(test_splice_stats_and_forget, 10),
	T(test_splice_passed_bytes_in_order, 120),
	T(test_splice_one_gib_through_userspace, 120),
	T(test_splice_one_gib_one_way, 120),
	T(test_splice_one_gib_both_ways, 180),
	T(test_splice_pinned_lifecycle, 30),
	T(test_splice_pinned_other_build, 30),
};
/* clang-format on */

int main(int argc, char **argv)
{
	struct sg_splice_opts opts = { .pin_dir = "" };
	const char *only = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	struct sg_splice *s;
	char err[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (geteuid() != 0) {
		printf("bpf: skipped (needs root for BPF)\n");
		return 0;
	}
	s = sg_splice_open(&opts, err, sizeof(err));
	if (!s) {
		printf("bpf: cannot load the program: %s\nbpf: 0 passed, 1 failed\n", err);
		return 1;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int before = failures;

		if (only && !strstr(tests[i].name, only))
			continue;
		current = tests[i].name;
		printf("%s\n", current);
		alarm(tests[i].timeout_s);
		tests[i].fn(s);
		alarm(0);
		if (failures == before) {
			passed++;
		} else {
			failed++;
			printf("FAILED: %s\n", current);
		}
	}
	sg_splice_close(s);
	printf("bpf: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

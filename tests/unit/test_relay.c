/* Unit tests for user/relay/relay.c: both engines push bytes through real loopback
 * TCP pairs (feed -> src, pump, dst -> sink) and the tests check what arrived. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"
#include "user/relay/relay.h"
#include "fakeclock.h"
#include "saturate.h"

#define MIB (1024 * 1024)
#define DEADLINE_MS 30000 /* generous: a test that hangs fails instead */
#define SMALL_BUF 16384

/* Two loopback connections around the pump: the test writes into `feed`, the
 * pump moves `src` -> `dst`, and the test reads what arrived from `sink`. */
struct rig {
	int feed, src, dst, sink;
};

/* Byte `i` of the test stream: position-dependent, so loss, duplication and
 * reordering all show. */
static unsigned char pat(uint64_t i)
{
	return (unsigned char)((i * 0x9E3779B97F4A7C15ull) >> 56);
}

static void fill_pat(unsigned char *buf, uint64_t base, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pat(base + i);
}

static bool is_pat(const unsigned char *buf, uint64_t base, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != pat(base + i))
			return false;
	}
	return true;
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	assert_int_not_equal(fl, -1);
	assert_int_not_equal(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK), -1);
}

static void set_buf(int fd, int opt, int size)
{
	assert_int_equal(setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size)), 0);
}

/* `small` shrinks the dst -> sink path so an idle sink blocks dst quickly. */
static void rig_open(struct rig *r, bool small)
{
	test_tcp_pair(&r->feed, &r->src, 0);
	test_tcp_pair(&r->sink, &r->dst, small ? SMALL_BUF : 0);
	if (small)
		set_buf(r->dst, SO_SNDBUF, SMALL_BUF);
}

static void rig_close(struct rig *r)
{
	int *fds[] = { &r->feed, &r->src, &r->dst, &r->sink };

	for (size_t i = 0; i < 4; i++) {
		if (*fds[i] != -1)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static bool wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, timeout_ms) == 1;
}

static void write_all(int fd, const void *data, size_t len)
{
	uint64_t end = mono_ms() + DEADLINE_MS;
	size_t off = 0;
	ssize_t n;

	while (off < len && mono_ms() < end) {
		n = write(fd, (const char *)data + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno == EAGAIN)
			wait_fd(fd, POLLOUT, 100);
		else
			break;
	}
	assert_int_equal(off, len);
}

/* Reads until `len` bytes, EOF or the deadline; returns how many arrived. */
static size_t read_upto(int fd, void *buf, size_t len, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	size_t off = 0;
	ssize_t n;

	while (off < len && mono_ms() < end) {
		n = read(fd, (char *)buf + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno == EAGAIN)
			wait_fd(fd, POLLIN, 50);
		else
			break;
	}
	return off;
}

/* Waits until `n` bytes sit in fd's receive queue, so a test knows the pump
 * could read more than its budget if it were careless. */
static void wait_inq(int fd, int n)
{
	uint64_t end = mono_ms() + DEADLINE_MS;
	int inq = 0;

	while (mono_ms() < end) {
		assert_int_equal(ioctl(fd, FIONREAD, &inq), 0);
		if (inq >= n)
			break;
		wait_fd(fd, POLLIN, 10);
	}
	assert_true(inq >= n);
}

static void assert_drained(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Runs the pump as an event loop would, until DONE, EOF or ERROR. */
static enum sg_pump_status drive(struct sg_pump *p, size_t max_bytes, int *err_side)
{
	uint64_t end = mono_ms() + DEADLINE_MS;
	enum sg_pump_status st;

	for (;;) {
		st = sg_pump_run(p, max_bytes, err_side);
		if (st == SG_PUMP_DONE || st == SG_PUMP_EOF || st == SG_PUMP_ERROR)
			return st;
		assert_true(mono_ms() < end);
		if (st == SG_PUMP_WANT_READ)
			wait_fd(p->src, POLLIN, 100);
		else if (st == SG_PUMP_WANT_WRITE)
			wait_fd(p->dst, POLLOUT, 100);
	}
}

/* ---- threads standing in for a real client and backend ------------------ */

/* Writes `len` pattern bytes from stream offset `base`, then maybe FIN. */
struct feeder {
	pthread_t thread;
	int fd;
	uint64_t base, len, sent;
	bool fin;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	uint64_t end = mono_ms() + DEADLINE_MS;
	unsigned char buf[16384];
	size_t chunk;
	ssize_t n;

	while (f->sent < f->len && mono_ms() < end) {
		chunk = f->len - f->sent < sizeof(buf) ? f->len - f->sent : sizeof(buf);
		fill_pat(buf, f->base + f->sent, chunk);
		n = write(f->fd, buf, chunk);
		if (n > 0)
			f->sent += (uint64_t)n;
		else if (n == -1 && errno == EAGAIN)
			wait_fd(f->fd, POLLOUT, 100);
		else
			break;
	}
	if (f->fin)
		shutdown(f->fd, SHUT_WR);
	return NULL;
}

static void feeder_start(struct feeder *f, int fd, uint64_t base, uint64_t len, bool fin)
{
	*f = (struct feeder){ .fd = fd, .base = base, .len = len, .fin = fin };
	assert_int_equal(pthread_create(&f->thread, NULL, feeder_main, f), 0);
}

/* Reads until EOF, checking every byte against the pattern from `base`. */
struct sinker {
	pthread_t thread;
	int fd;
	uint64_t base, got;
	bool bad, eof;
};

static void *sinker_main(void *arg)
{
	struct sinker *s = arg;
	uint64_t end = mono_ms() + DEADLINE_MS;
	unsigned char buf[65536];
	ssize_t n;

	while (!s->eof && !s->bad && mono_ms() < end) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			s->bad = !is_pat(buf, s->base + s->got, (size_t)n);
			s->got += (uint64_t)n;
		} else if (n == 0) {
			s->eof = true;
		} else if (errno == EAGAIN) {
			wait_fd(s->fd, POLLIN, 100);
		} else {
			break;
		}
	}
	return NULL;
}

static void sinker_start(struct sinker *s, int fd)
{
	*s = (struct sinker){ .fd = fd };
	assert_int_equal(pthread_create(&s->thread, NULL, sinker_main, s), 0);
}

/* Runs both engines through the same body. */
#define BOTH_ENGINES(name)                                                                         \
	static void test_relay_##name##_copy(void **state)                                         \
	{                                                                                          \
		(void)state;                                                                       \
		name(SG_RELAY_COPY);                                                               \
	}                                                                                          \
	static void test_relay_##name##_splice(void **state)                                       \
	{                                                                                          \
		(void)state;                                                                       \
		name(SG_RELAY_SPLICE);                                                             \
	}

/* ---- cases -------------------------------------------------------------- */

static void budget_exact(enum sg_relay_engine e)
{
	unsigned char data[10000], got[10000];
	struct sg_pump p = { 0 };
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, sizeof(data));
	write_all(r.feed, data, sizeof(data));
	wait_inq(r.src, sizeof(data));

	sg_pump_init(&p, e, r.src, r.dst, 4096);
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_DONE);
	assert_int_equal(p.moved, 4096);
	assert_int_equal(p.budget, 0);
	assert_int_equal(p.pending, 0);

	assert_int_equal(read_upto(r.sink, got, sizeof(got), 300), 4096);
	assert_true(is_pat(got, 0, 4096));
	/* What the pump did not take is still in src, in order. */
	assert_int_equal(read_upto(r.src, got, sizeof(got), 300), 5904);
	assert_true(is_pat(got, 4096, 5904));
	assert_drained(r.src);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(budget_exact)

/* The chunked-body pattern: a fresh budget per chunk, src left exactly at
 * each chunk's end. */
static void budget_per_chunk(enum sg_relay_engine e)
{
	static const uint64_t chunks[] = { 100, 1, 7000, 299 };
	unsigned char data[7400 + 600], got[sizeof(data)];
	struct sg_pump p = { 0 };
	uint64_t total = 0;
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, sizeof(data));
	write_all(r.feed, data, sizeof(data));
	wait_inq(r.src, sizeof(data));

	sg_pump_init(&p, e, r.src, r.dst, 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		p.budget = chunks[i];
		assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_DONE);
		total += chunks[i];
		assert_int_equal(p.moved, total);
	}
	assert_int_equal(read_upto(r.sink, got, sizeof(got), 300), total);
	assert_true(is_pat(got, 0, total));
	assert_int_equal(read_upto(r.src, got, sizeof(got), 300), sizeof(data) - total);
	assert_true(is_pat(got, total, sizeof(data) - total));
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(budget_per_chunk)

static void until_eof_8mib(enum sg_relay_engine e)
{
	const uint64_t len = 8 * MIB;
	struct sg_pump p = { 0 };
	struct feeder f;
	struct sinker s;
	struct rig r;

	rig_open(&r, false);
	feeder_start(&f, r.feed, 0, len, true);
	sinker_start(&s, r.sink);

	sg_pump_init(&p, e, r.src, r.dst, UINT64_MAX);
	assert_int_equal(drive(&p, MIB, NULL), SG_PUMP_EOF);
	assert_int_equal(p.moved, len);
	assert_int_equal(p.pending, 0);
	assert_int_equal(p.budget, UINT64_MAX);
	shutdown(r.dst, SHUT_WR);

	pthread_join(f.thread, NULL);
	pthread_join(s.thread, NULL);
	assert_int_equal(f.sent, len);
	assert_false(s.bad);
	assert_true(s.eof);
	assert_int_equal(s.got, len);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(until_eof_8mib)

static void prime_first(enum sg_relay_engine e)
{
	unsigned char data[3000], got[3000], head[1000];
	struct sg_pump p = { 0 };
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, sizeof(data));
	write_all(r.feed, data, sizeof(data));
	wait_inq(r.src, sizeof(data));
	memset(head, 'A', sizeof(head));

	sg_pump_init(&p, e, r.src, r.dst, 2500);
	assert_int_equal(sg_pump_prime(&p, head, sizeof(head)), 0);
	assert_int_equal(p.pending, 1000);
	assert_int_equal(p.budget, 1500);
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_DONE);
	assert_int_equal(p.moved, 2500);

	assert_int_equal(read_upto(r.sink, got, sizeof(got), 300), 2500);
	assert_memory_equal(got, head, sizeof(head));
	assert_true(is_pat(got + 1000, 0, 1500));
	assert_int_equal(read_upto(r.src, got, sizeof(got), 300), 1500);
	assert_true(is_pat(got, 1500, 1500));
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(prime_first)

static void prime_rejects_overflow(enum sg_relay_engine e)
{
	unsigned char *big = calloc(1, MIB);
	struct sg_pump p = { 0 };
	struct rig r;

	assert_non_null(big);
	rig_open(&r, false);
	sg_pump_init(&p, e, r.src, r.dst, 100);
	errno = 0;
	assert_int_equal(sg_pump_prime(&p, big, 101), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(p.budget, 100);

	p.budget = UINT64_MAX;
	errno = 0;
	if (e == SG_RELAY_SPLICE) {
		/* A pipe holds what it holds: more is refused, nothing queued. */
		assert_int_equal(sg_pump_prime(&p, big, MIB), -1);
		assert_int_equal(errno, ENOSPC);
		assert_int_equal(p.pending, 0);
		assert_int_equal(sg_pump_prime(&p, big, SG_RELAY_BUF_SIZE), 0);
		assert_int_equal(p.pending, SG_RELAY_BUF_SIZE);
	} else {
		/* The copy buffer grows: body bytes that came with a head are
		 * never refused for their size. */
		assert_int_equal(sg_pump_prime(&p, big, MIB), 0);
		assert_int_equal(sg_pump_prime(&p, big, SG_RELAY_BUF_SIZE), 0);
		assert_int_equal(p.pending, MIB + SG_RELAY_BUF_SIZE);
	}

	sg_pump_release(&p);
	sg_pump_release(&p);
	assert_int_equal(p.pending, 0);
	memset(&p, 0, sizeof(p));
	sg_pump_release(&p); /* zeroed, never initialised: must not close fd 0 */
	free(big);
	rig_close(&r);
}
BOTH_ENGINES(prime_rejects_overflow)

/* Runs until dst blocks; returns false if it never did. */
static bool run_until_want_write(struct sg_pump *p)
{
	uint64_t end = mono_ms() + DEADLINE_MS;
	enum sg_pump_status st;

	while (mono_ms() < end) {
		st = sg_pump_run(p, SIZE_MAX, NULL);
		if (st == SG_PUMP_WANT_WRITE)
			return true;
		if (st != SG_PUMP_WANT_READ && st != SG_PUMP_AGAIN)
			return false;
		wait_fd(p->src, POLLIN, 100);
	}
	return false;
}

static void slow_reader(enum sg_relay_engine e)
{
	const uint64_t len = 2 * MIB;
	struct sg_pump p = { 0 };
	struct feeder f;
	struct sinker s;
	struct rig r;

	rig_open(&r, true);
	feeder_start(&f, r.feed, 0, len, false);
	sg_pump_init(&p, e, r.src, r.dst, len);
	assert_true(run_until_want_write(&p));
	assert_true(p.pending > 0);
	assert_true(p.moved < len);
	/* Still blocked: nothing drained, nothing lost. */
	assert_int_equal(sg_pump_run(&p, SIZE_MAX, NULL), SG_PUMP_WANT_WRITE);

	sinker_start(&s, r.sink);
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_DONE);
	assert_int_equal(p.moved, len);
	shutdown(r.dst, SHUT_WR);
	pthread_join(f.thread, NULL);
	pthread_join(s.thread, NULL);
	assert_false(s.bad);
	assert_int_equal(s.got, len);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(slow_reader)

static void src_eof_mid_budget(enum sg_relay_engine e)
{
	unsigned char data[3000], got[4000], head[100];
	struct sg_pump p = { 0 };
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, sizeof(data));
	write_all(r.feed, data, sizeof(data));
	shutdown(r.feed, SHUT_WR);
	memset(head, 'P', sizeof(head));

	sg_pump_init(&p, e, r.src, r.dst, 10000);
	assert_int_equal(sg_pump_prime(&p, head, sizeof(head)), 0);
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_EOF);
	assert_int_equal(p.moved, 3100);
	assert_int_equal(p.budget, 10000 - 3100);
	assert_int_equal(p.pending, 0);
	/* EOF is sticky. */
	assert_int_equal(sg_pump_run(&p, SIZE_MAX, NULL), SG_PUMP_EOF);

	assert_int_equal(read_upto(r.sink, got, sizeof(got), 300), 3100);
	assert_memory_equal(got, head, sizeof(head));
	assert_true(is_pat(got + 100, 0, 3000));
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(src_eof_mid_budget)

/* src has sent everything and its FIN while dst is still full: EOF waits for
 * the flush. 128 KiB is more than the small dst path holds and less than
 * what the feed side and the stage hold, so the feeder can finish. */
static void eof_flushes_pending(enum sg_relay_engine e)
{
	const uint64_t len = 128 * 1024;
	struct sg_pump p = { 0 };
	struct feeder f;
	struct sinker s;
	struct rig r;

	rig_open(&r, true);
	feeder_start(&f, r.feed, 0, len, true);
	sg_pump_init(&p, e, r.src, r.dst, MIB);
	assert_true(run_until_want_write(&p));
	pthread_join(f.thread, NULL);
	assert_int_equal(f.sent, len);
	assert_int_equal(sg_pump_run(&p, SIZE_MAX, NULL), SG_PUMP_WANT_WRITE);
	assert_true(p.pending > 0);

	sinker_start(&s, r.sink);
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_EOF);
	assert_int_equal(p.moved, len);
	assert_int_equal(p.pending, 0);
	assert_int_equal(p.budget, MIB - len);
	shutdown(r.dst, SHUT_WR);
	pthread_join(s.thread, NULL);
	assert_false(s.bad);
	assert_int_equal(s.got, len);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(eof_flushes_pending)

static void dst_reset(enum sg_relay_engine e)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned char data[10000];
	struct sg_pump p = { 0 };
	int side = -1;
	struct rig r;

	/* The copy engine promises MSG_NOSIGNAL: let SIGPIPE kill the test if
	 * it lies. splice(2) cannot, so the splice caller ignores SIGPIPE. */
	signal(SIGPIPE, e == SG_RELAY_COPY ? SIG_DFL : SIG_IGN);
	rig_open(&r, false);
	assert_int_equal(setsockopt(r.sink, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(r.sink);
	r.sink = -1;
	assert_true(wait_fd(r.dst, POLLIN, DEADLINE_MS)); /* the RST has landed */
	fill_pat(data, 0, sizeof(data));
	write_all(r.feed, data, sizeof(data));
	wait_inq(r.src, sizeof(data));

	sg_pump_init(&p, e, r.src, r.dst, UINT64_MAX);
	assert_int_equal(drive(&p, SIZE_MAX, &side), SG_PUMP_ERROR);
	assert_int_equal(side, 1);
	assert_true(errno == ECONNRESET || errno == EPIPE);
	assert_true(p.pending > 0);
	/* The socket error is reported once; the retry gets EPIPE, which is
	 * where SIGPIPE would be raised. */
	side = -1;
	assert_int_equal(sg_pump_run(&p, SIZE_MAX, &side), SG_PUMP_ERROR);
	assert_int_equal(side, 1);
	assert_int_equal(errno, EPIPE);
	signal(SIGPIPE, SIG_IGN);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(dst_reset)

static void max_bytes_again(enum sg_relay_engine e)
{
	const uint64_t len = 4 * MIB, max = 16384;
	/* One call may overshoot by one buffer (grown at most to
	 * SG_RELAY_BUF_MAX) or pipe load, no more. */
	const uint64_t slack =
		SG_RELAY_PIPE_SIZE > SG_RELAY_BUF_MAX ? SG_RELAY_PIPE_SIZE : SG_RELAY_BUF_MAX;
	uint64_t end = mono_ms() + DEADLINE_MS, before;
	unsigned char data[8000];
	struct sg_pump p = { 0 };
	enum sg_pump_status st;
	int agains = 0;
	struct feeder f;
	struct sinker s;
	struct rig r;

	rig_open(&r, false);
	sinker_start(&s, r.sink);
	fill_pat(data, 0, sizeof(data));
	write_all(r.feed, data, sizeof(data));
	wait_inq(r.src, sizeof(data));

	/* With 8000 bytes waiting and a limit of 1000, the first call stops
	 * after its first load instead of asking for more. */
	sg_pump_init(&p, e, r.src, r.dst, UINT64_MAX);
	assert_int_equal(sg_pump_run(&p, 1000, NULL), SG_PUMP_AGAIN);
	assert_true(p.moved >= 1000 && p.moved <= sizeof(data));

	feeder_start(&f, r.feed, sizeof(data), len, true);
	do {
		before = p.moved;
		st = sg_pump_run(&p, max, NULL);
		assert_true(p.moved - before <= max + slack);
		if (st == SG_PUMP_AGAIN)
			agains++;
		else if (st == SG_PUMP_WANT_READ)
			wait_fd(p.src, POLLIN, 100);
		else if (st == SG_PUMP_WANT_WRITE)
			wait_fd(p.dst, POLLOUT, 100);
	} while (st != SG_PUMP_EOF && st != SG_PUMP_ERROR && mono_ms() < end);
	assert_int_equal(st, SG_PUMP_EOF);
	assert_true(agains > 0);
	assert_int_equal(p.moved, sizeof(data) + len);

	shutdown(r.dst, SHUT_WR);
	pthread_join(f.thread, NULL);
	pthread_join(s.thread, NULL);
	assert_false(s.bad);
	assert_int_equal(s.got, sizeof(data) + len);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(max_bytes_again)

/* ---- EINTR: a blocking src lets a signal land inside read()/splice() ---- */

static volatile sig_atomic_t interrupts;

static void on_usr1(int sig)
{
	(void)sig;
	interrupts++;
}

struct interrupter {
	pthread_t thread, target;
	int fd;
};

/* Pokes the pump's thread while it blocks in src, then sends the data. */
static void *interrupter_main(void *arg)
{
	struct interrupter *in = arg;
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	unsigned char data[1000];

	for (int i = 0; i < 10; i++) {
		nanosleep(&ts, NULL);
		pthread_kill(in->target, SIGUSR1);
	}
	fill_pat(data, 0, sizeof(data));
	if (write(in->fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		return in;
	return NULL;
}

static void eintr_retried(enum sg_relay_engine e)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct interrupter in;
	unsigned char got[1000];
	struct sg_pump p = { 0 };
	void *ret = NULL;
	int side = -1;
	struct rig r;

	rig_open(&r, false);
	set_nonblock(r.src, false);
	sigemptyset(&sa.sa_mask); /* no SA_RESTART: the syscall sees EINTR */
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	interrupts = 0;
	in = (struct interrupter){ .target = pthread_self(), .fd = r.feed };
	assert_int_equal(pthread_create(&in.thread, NULL, interrupter_main, &in), 0);

	sg_pump_init(&p, e, r.src, r.dst, sizeof(got));
	assert_int_equal(sg_pump_run(&p, SIZE_MAX, &side), SG_PUMP_DONE);
	pthread_join(in.thread, &ret);
	assert_null(ret);
	assert_true(interrupts > 0);
	assert_int_equal(p.moved, sizeof(got));
	assert_int_equal(read_upto(r.sink, got, sizeof(got), 300), sizeof(got));
	assert_true(is_pat(got, 0, sizeof(got)));
	sigaction(SIGUSR1, &old, NULL);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(eintr_retried)

/* An AF_UNIX stream pair whose sender can queue 256 KiB unread, so every
 * step below sits whole in src before the pump reads it. */
static void unix_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	set_buf(sv[0], SO_SNDBUF, MIB);
	set_nonblock(sv[0], true);
	set_nonblock(sv[1], true);
}

/* Runs the pump until `len` more bytes came out of `sink`. */
static void move_step(struct sg_pump *p, int sink, unsigned char *got, size_t len)
{
	uint64_t end = mono_ms() + DEADLINE_MS;
	enum sg_pump_status st;
	size_t have = 0;

	while (have < len && mono_ms() < end) {
		st = sg_pump_run(p, SIZE_MAX, NULL);
		assert_true(st == SG_PUMP_WANT_READ || st == SG_PUMP_WANT_WRITE);
		have += read_upto(sink, got + have, len - have, 20);
	}
	assert_int_equal(have, len);
}

/* ---- batched reads (SO_RCVLOWAT) ----------------------------------------- */

static int rcvlowat(int fd)
{
	socklen_t len = sizeof(int);
	int v = 0;

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, &len), 0);
	return v;
}

/* What epoll and poll report for fd right now. */
static bool readable_now(int fd)
{
	return wait_fd(fd, POLLIN, 0);
}

/* Moves `len` bytes that are already queued in src, then finds src empty.
 * (A fresh loopback socket queues about 110 KiB before its window closes,
 * so the cases below stay under that: 100 KiB is a bulk read.) */
static void move_queued(struct sg_pump *p, int sink, unsigned char *got, size_t len)
{
	move_step(p, sink, got, len);
	assert_int_equal(sg_pump_run(p, SIZE_MAX, NULL), SG_PUMP_WANT_READ);
}

/* The rest of a body from a thread while the pump runs and another thread
 * checks what arrives; returns the pump's final status. */
static enum sg_pump_status move_rest(struct sg_pump *p, struct rig *r, uint64_t base, uint64_t len,
				     bool fin)
{
	struct feeder f;
	struct sinker s = { .fd = r->sink, .base = base };
	enum sg_pump_status st;

	assert_int_equal(pthread_create(&s.thread, NULL, sinker_main, &s), 0);
	feeder_start(&f, r->feed, base, len, fin);
	st = drive(p, SIZE_MAX, NULL);
	shutdown(r->dst, SHUT_WR);
	pthread_join(f.thread, NULL);
	pthread_join(s.thread, NULL);
	assert_int_equal(f.sent, len);
	assert_int_equal(s.got, len);
	assert_false(s.bad);
	return st;
}

/* After a bulk read, an opted-in pump makes src readable only at
 * SG_RELAY_LOWAT queued bytes; sg_pump_unbatch makes what is queued
 * readable at once and ends batching for the pump. */
static void batched_reads(enum sg_relay_engine e)
{
	static unsigned char data[140 * 1024], got[140 * 1024];
	const size_t first = 100 * 1024, second = 40 * 1024, total = 2 * MIB;
	struct sg_pump p = { 0 };
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, sizeof(data));
	sg_pump_init(&p, e, r.src, r.dst, total);
	p.batch = true;
	write_all(r.feed, data, first);
	wait_inq(r.src, first);
	move_queued(&p, r.sink, got, first);
	assert_true(sg_pump_batching(&p));
	assert_int_equal(rcvlowat(r.src), SG_RELAY_LOWAT);

	write_all(r.feed, data + first, second);
	wait_inq(r.src, second);
	assert_false(readable_now(r.src));

	sg_pump_unbatch(&p);
	assert_int_equal(rcvlowat(r.src), 1);
	assert_true(readable_now(r.src));
	move_queued(&p, r.sink, got + first, second);
	assert_true(is_pat(got, 0, first + second));
	assert_false(sg_pump_batching(&p));
	assert_int_equal(rcvlowat(r.src), 1);

	assert_int_equal(move_rest(&p, &r, first + second, total - first - second, false),
			 SG_PUMP_DONE);
	assert_int_equal(p.moved, total);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(batched_reads)

/* Batching ends with the body: after SG_PUMP_DONE src wakes its reader for
 * one byte again (the next request's head), and a FIN wakes it at once. */
static void batch_ends_with_body(enum sg_relay_engine e)
{
	static unsigned char data[100 * 1024], got[100 * 1024];
	const size_t first = sizeof(data), total = 3 * MIB;
	struct sg_pump p = { 0 };
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, first);
	sg_pump_init(&p, e, r.src, r.dst, total);
	p.batch = true;
	write_all(r.feed, data, first);
	wait_inq(r.src, first);
	move_queued(&p, r.sink, got, first);
	assert_int_equal(rcvlowat(r.src), SG_RELAY_LOWAT);
	assert_int_equal(move_rest(&p, &r, first, total - first, false), SG_PUMP_DONE);
	assert_int_equal(rcvlowat(r.src), 1);
	assert_false(sg_pump_batching(&p));
	write_all(r.feed, "G", 1);
	assert_true(wait_fd(r.src, POLLIN, 1000));
	sg_pump_release(&p);
	rig_close(&r);

	/* The client gives up after 101,400 bytes of a 3 MiB body: its FIN is
	 * readable below SG_RELAY_LOWAT and ends the batch. */
	rig_open(&r, false);
	sg_pump_init(&p, e, r.src, r.dst, total);
	p.batch = true;
	write_all(r.feed, data, first);
	wait_inq(r.src, first);
	move_queued(&p, r.sink, got, first);
	assert_true(sg_pump_batching(&p));
	write_all(r.feed, data, 1000);
	wait_inq(r.src, 1000);
	assert_false(readable_now(r.src));
	shutdown(r.feed, SHUT_WR);
	assert_true(wait_fd(r.src, POLLIN, 1000));
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_EOF);
	assert_int_equal(rcvlowat(r.src), 1);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(batch_ends_with_body)

/* A run that stops at max_bytes leaves what is queued readable: the owner
 * runs it again on EPOLLIN, which SO_RCVLOWAT would hold back. */
static void batch_yields_readable(enum sg_relay_engine e)
{
	static unsigned char data[100 * 1024], got[100 * 1024];
	const size_t first = sizeof(data), total = 4 * MIB;
	struct sg_pump p = { 0 };
	struct feeder f;
	struct sinker s;
	struct rig r;

	rig_open(&r, false);
	fill_pat(data, 0, first);
	sg_pump_init(&p, e, r.src, r.dst, total);
	p.batch = true;
	write_all(r.feed, data, first);
	wait_inq(r.src, first);
	move_queued(&p, r.sink, got, first);
	assert_int_equal(rcvlowat(r.src), SG_RELAY_LOWAT);

	s = (struct sinker){ .fd = r.sink, .base = first };
	assert_int_equal(pthread_create(&s.thread, NULL, sinker_main, &s), 0);
	feeder_start(&f, r.feed, first, total - first, false);
	assert_true(wait_fd(r.src, POLLIN, DEADLINE_MS));
	assert_int_equal(sg_pump_run(&p, 32 * 1024, NULL), SG_PUMP_AGAIN);
	assert_int_equal(rcvlowat(r.src), 1);
	assert_int_equal(drive(&p, SIZE_MAX, NULL), SG_PUMP_DONE);
	shutdown(r.dst, SHUT_WR);
	pthread_join(f.thread, NULL);
	pthread_join(s.thread, NULL);
	assert_int_equal(s.got, total - first);
	assert_false(s.bad);
	assert_int_equal(rcvlowat(r.src), 1);
	sg_pump_release(&p);
	rig_close(&r);
}
BOTH_ENGINES(batch_yields_readable)

/* Only an opted-in pump batches, only after a bulk read, and only while
 * SG_RELAY_LOWAT bytes of the body are still to come. */
static void batch_only_when_it_pays(enum sg_relay_engine e)
{
	static unsigned char data[100 * 1024], got[100 * 1024];
	const struct {
		bool batch;
		size_t read;
		uint64_t budget;
	} cases[] = {
		{ false, sizeof(data), 4 * MIB },			   /* not opted in */
		{ true, 1000, 4 * MIB },				   /* small reads */
		{ true, sizeof(data), sizeof(data) + SG_RELAY_LOWAT - 1 }, /* short body */
		{ true, sizeof(data), UINT64_MAX },			   /* a tunnel */
	};

	fill_pat(data, 0, sizeof(data));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_pump p = { 0 };
		struct rig r;

		rig_open(&r, false);
		sg_pump_init(&p, e, r.src, r.dst, cases[i].budget);
		p.batch = cases[i].batch;
		write_all(r.feed, data, cases[i].read);
		wait_inq(r.src, (int)cases[i].read);
		move_queued(&p, r.sink, got, cases[i].read);
		assert_false(sg_pump_batching(&p));
		assert_int_equal(rcvlowat(r.src), 1);
		write_all(r.feed, "x", 1);
		assert_true(wait_fd(r.src, POLLIN, 1000));
		sg_pump_release(&p);
		rig_close(&r);
	}
}
BOTH_ENGINES(batch_only_when_it_pays)

/* The copy engine doubles its buffer after each read that filled it, and
 * only then; the bytes grown are counted per thread and given back. */
static void test_relay_copy_buffer_grows(void **state)
{
	static unsigned char data[256 * 1024], got[256 * 1024];
	const size_t step[] = { 64 * 1024, 128 * 1024, 256 * 1024, 100 * 1024 };
	const size_t cap_after[] = { 128 * 1024, 256 * 1024, 512 * 1024, 512 * 1024 };
	struct sg_pump p = { 0 };
	uint64_t base = 0;
	int in[2], out[2], inq = 0;

	(void)state;
	unix_pair(in);
	unix_pair(out);
	assert_int_equal(sg_relay_grown(), 0);
	sg_pump_init(&p, SG_RELAY_COPY, in[1], out[0], UINT64_MAX);
	for (size_t i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		fill_pat(data, base, step[i]);
		write_all(in[0], data, step[i]);
		assert_int_equal(ioctl(in[1], FIONREAD, &inq), 0);
		assert_int_equal(inq, step[i]);
		move_step(&p, out[1], got, step[i]);
		assert_true(is_pat(got, base, step[i]));
		base += step[i];
		assert_int_equal(p.buf_cap, cap_after[i]);
		assert_int_equal(sg_relay_grown(), cap_after[i] - SG_RELAY_BUF_SIZE);
	}
	assert_int_equal(p.moved, base);
	sg_pump_release(&p);
	assert_int_equal(sg_relay_grown(), 0);
	for (size_t i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
}

/* An adapting pump between two AF_UNIX pairs (feed -> src, dst -> sink)
 * on a thread with a real loop that reads a fake clock: the test says how
 * much of each window the loop worked, was held back and slept, and so
 * whether it is saturated, whatever the host's speed. */
struct adapt_rig {
	struct sg_loop *loop;
	struct fake_clock fc;
	struct sg_pump p;
	uint64_t base; /* stream offset of the next pattern byte */
	int in[2], out[2];
};

static void adapt_open(struct adapt_rig *r)
{
	*r = (struct adapt_rig){ .loop = sg_loop_new() };
	assert_non_null(r->loop);
	fake_clock_start(r->loop, &r->fc);
	unix_pair(r->in);
	unix_pair(r->out);
	sg_pump_init(&r->p, SG_RELAY_COPY, r->in[1], r->out[0], UINT64_MAX);
	r->p.adapt = true;
	assert_int_equal(sg_loop_run_once(r->loop, 0), 0);
}

/* Busy, not held back, for whole windows: the loop is saturated. */
static void adapt_saturate(struct adapt_rig *r)
{
	for (int i = 0; i < SG_LOOP_SAT_WINDOWS; i++)
		fake_sat_window(r->loop, &r->fc, 2, 0, 0);
	assert_true(sg_loop_saturated());
	assert_false(sg_loop_held_back());
}

static void adapt_close(struct adapt_rig *r)
{
	sg_pump_release(&r->p);
	sg_loop_free(r->loop);
	for (size_t i = 0; i < 2; i++) {
		close(r->in[i]);
		close(r->out[i]);
	}
}

#define ADAPT_STEP (256 * 1024)

/* ADAPT_STEP pattern bytes through the pump, checked as they come out. */
static void adapt_step(struct adapt_rig *r)
{
	static unsigned char data[ADAPT_STEP], got[ADAPT_STEP];

	fill_pat(data, r->base, ADAPT_STEP);
	write_all(r->in[0], data, ADAPT_STEP);
	move_step(&r->p, r->out[1], got, ADAPT_STEP);
	assert_true(is_pat(got, r->base, ADAPT_STEP));
	r->base += ADAPT_STEP;
}

/* An adapting pump copies while the loop running on its thread has time to
 * spare and splices while it is saturated, switching between reads: the
 * bytes come out whole and in order, counted by the engine that moved
 * them, and the engine left behind lets go of its buffer or pipe. */
static void test_relay_adapts_to_saturation(void **state)
{
	struct adapt_rig r;

	(void)state;
	adapt_open(&r);
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_COPY);
	assert_int_equal(r.p.spliced, 0);

	adapt_saturate(&r);
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_SPLICE);
	assert_int_equal(r.p.spliced, ADAPT_STEP);
	assert_null(r.p.buf);

	fake_sat_window(r.loop, &r.fc, 1, 0, 2); /* sleeps two thirds */
	assert_false(sg_loop_saturated());
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_COPY);
	assert_int_equal(r.p.spliced, ADAPT_STEP);
	assert_int_equal(r.p.pipe_cap, 0);
	assert_int_equal(r.p.moved, 3 * ADAPT_STEP);
	adapt_close(&r);
}

/* A pump that went to splice(2) because its thread was held back (it ran
 * half the time it was awake, as under a CPU quota) splices to its end,
 * also once the loop has time to spare again: copying then would spend
 * that time until held back once more. The pump copied in the window that
 * held the loop, so the loop remembers the hold (SG_LOOP_HELD_MEMORY_MS)
 * and still counts as saturated: a pump that starts now splices too. */
static void test_relay_held_back_splices_to_the_end(void **state)
{
	struct adapt_rig r;
	uint64_t copied;

	(void)state;
	adapt_open(&r);
	adapt_step(&r);
	fake_sat_window(r.loop, &r.fc, 1, 1, 0);
	assert_true(sg_loop_held_back());
	assert_int_equal(r.p.engine, SG_RELAY_COPY);
	assert_int_equal(r.p.spliced, 0);
	copied = r.p.moved;
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_SPLICE);
	assert_int_equal(r.p.spliced, ADAPT_STEP);

	fake_sat_window(r.loop, &r.fc, 1, 0, 4);
	fake_sat_window(r.loop, &r.fc, 1, 0, 4);
	assert_true(sg_loop_held_back());
	assert_true(sg_loop_saturated());
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_SPLICE);
	assert_int_equal(r.p.spliced, 2 * ADAPT_STEP);
	assert_int_equal(r.p.moved, copied + 2 * ADAPT_STEP);
	adapt_close(&r);
}

/* A pump that began splicing (its loop was already saturated) and is held
 * back while it splices makes the loop remember the hold just as a copying
 * one does: bodies that start while a quota holds the worker splice from
 * their first byte, and the hold is still the deployment's. */
static void test_relay_held_while_splicing_is_remembered(void **state)
{
	struct adapt_rig r;

	(void)state;
	adapt_open(&r);
	adapt_saturate(&r);
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_SPLICE);
	assert_int_equal(r.p.spliced, ADAPT_STEP);
	adapt_step(&r);
	fake_sat_window(r.loop, &r.fc, 1, 1, 0);
	assert_true(sg_loop_held_back());

	fake_sat_window(r.loop, &r.fc, 1, 0, 4);
	fake_sat_window(r.loop, &r.fc, 1, 0, 4);
	assert_true(sg_loop_held_back());
	assert_true(sg_loop_saturated());
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_SPLICE);
	assert_int_equal(r.p.spliced, 3 * ADAPT_STEP);
	adapt_close(&r);
}

/* An adapting pump that cannot have a pipe (no file descriptor left)
 * stays copied, its bytes whole, and tries no more. */
static void test_relay_adapt_without_pipe_stays_copied(void **state)
{
	struct rlimit was, none;
	struct adapt_rig r;
	int lowest;

	(void)state;
	adapt_open(&r);
	adapt_saturate(&r);
	/* No descriptor can be opened: the limit is the lowest free one. */
	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	none = (struct rlimit){ .rlim_cur = (rlim_t)lowest, .rlim_max = was.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &none), 0);
	adapt_step(&r);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	assert_int_equal(r.p.engine, SG_RELAY_COPY);
	assert_false(r.p.adapt);
	assert_int_equal(r.p.spliced, 0);
	adapt_step(&r);
	assert_int_equal(r.p.engine, SG_RELAY_COPY);
	assert_int_equal(r.p.moved, 2 * ADAPT_STEP);
	adapt_close(&r);
}

static void test_relay_engine_names(void **state)
{
	enum sg_relay_engine e = SG_RELAY_SPLICE;

	(void)state;
	assert_int_equal(sg_relay_engine_parse("copy", &e), 0);
	assert_int_equal(e, SG_RELAY_COPY);
	assert_int_equal(sg_relay_engine_parse("splice", &e), 0);
	assert_int_equal(e, SG_RELAY_SPLICE);
	assert_int_equal(sg_relay_engine_parse("sockmap", &e), 0);
	assert_int_equal(e, SG_RELAY_SOCKMAP);
	errno = 0;
	assert_int_equal(sg_relay_engine_parse("auto", &e), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sg_relay_engine_parse("", &e), -1);
	assert_int_equal(e, SG_RELAY_SOCKMAP);
	assert_string_equal(sg_relay_engine_name(SG_RELAY_COPY), "copy");
	assert_string_equal(sg_relay_engine_name(SG_RELAY_SPLICE), "splice");
	assert_string_equal(sg_relay_engine_name(SG_RELAY_SOCKMAP), "sockmap");
	assert_string_equal(sg_relay_engine_name((enum sg_relay_engine)42), "?");
}

#define BOTH(name)                                                                                 \
	cmocka_unit_test(test_relay_##name##_copy), cmocka_unit_test(test_relay_##name##_splice)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(budget_exact),
		BOTH(budget_per_chunk),
		BOTH(until_eof_8mib),
		BOTH(prime_first),
		BOTH(prime_rejects_overflow),
		BOTH(slow_reader),
		BOTH(src_eof_mid_budget),
		BOTH(eof_flushes_pending),
		BOTH(dst_reset),
		BOTH(max_bytes_again),
		BOTH(eintr_retried),
		BOTH(batched_reads),
		BOTH(batch_ends_with_body),
		BOTH(batch_yields_readable),
		BOTH(batch_only_when_it_pays),
		cmocka_unit_test(test_relay_copy_buffer_grows),
		cmocka_unit_test(test_relay_adapts_to_saturation),
		cmocka_unit_test(test_relay_held_back_splices_to_the_end),
		cmocka_unit_test(test_relay_held_while_splicing_is_remembered),
		cmocka_unit_test(test_relay_adapt_without_pipe_stays_copied),
		cmocka_unit_test(test_relay_engine_names),
	};

	/* splice(2) into a reset socket raises SIGPIPE; the gateway ignores
	 * it process-wide and so do these tests (dst_reset checks copy apart). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

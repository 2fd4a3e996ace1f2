/* Unit tests for user/base/loop.c: timer heap order, io dispatch, the close queue,
 * work deferred to the end of a pass and how long a pass waits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "user/base/loop.h"
#include "fakeclock.h"
#include "saturate.h"
#include "user/base/mem.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define MAX_FIRED 2048

/* What timer callbacks saw, in firing order. */
static struct {
	int n;
	int id[MAX_FIRED];
	uint64_t due[MAX_FIRED];
	uint64_t seq[MAX_FIRED];
} fired;

struct test_timer {
	struct sg_timer t;
	int id;
	int count;
};

static void record_cb(struct sg_loop *loop, struct sg_timer *t)
{
	struct test_timer *tt = container_of(t, struct test_timer, t);

	(void)loop;
	assert_false(sg_timer_armed(t));
	assert_true(fired.n < MAX_FIRED);
	fired.id[fired.n] = tt->id;
	fired.due[fired.n] = t->due;
	fired.seq[fired.n] = t->seq;
	fired.n++;
	tt->count++;
}

static void init_timers(struct test_timer *tts, int n)
{
	for (int i = 0; i < n; i++) {
		sg_timer_init(&tts[i].t, record_cb, NULL);
		tts[i].id = i;
		tts[i].count = 0;
	}
}

static int setup(void **state)
{
	memset(&fired, 0, sizeof(fired));
	*state = sg_loop_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	sg_loop_free(*state);
	return 0;
}

/* Runs passes until `tt` fired or `max_passes` ran out. */
static void run_until_fired(struct sg_loop *loop, const struct test_timer *tt, int max_passes)
{
	for (int i = 0; i < max_passes && tt->count == 0; i++)
		assert_int_equal(sg_loop_run_once(loop, -1), 0);
}

static void test_loop_timers_fire_in_deadline_order(void **state)
{
	static const int offs[] = { 9, 3, 7, 1, 5, 0, 8, 2, 6, 4 };
	struct sg_loop *loop = *state;
	struct test_timer tts[10];
	uint64_t now = sg_loop_now(loop);

	init_timers(tts, 10);
	for (int i = 0; i < 10; i++)
		sg_timer_arm(loop, &tts[i].t, now + (uint64_t)offs[i]);
	for (int pass = 0; pass < 100 && fired.n < 10; pass++)
		assert_int_equal(sg_loop_run_once(loop, -1), 0);
	assert_int_equal(fired.n, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(offs[fired.id[i]], i);
}

static void test_loop_equal_deadlines_fire_fifo(void **state)
{
	struct sg_loop *loop = *state;
	struct test_timer tts[8];
	uint64_t due = sg_loop_now(loop);

	init_timers(tts, 8);
	for (int i = 0; i < 8; i++)
		sg_timer_arm(loop, &tts[i].t, due);
	/* Re-arming counts as arming now: timer 2 moves behind the others. */
	sg_timer_arm(loop, &tts[2].t, due);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(fired.n, 8);
	static const int want[] = { 0, 1, 3, 4, 5, 6, 7, 2 };
	for (int i = 0; i < 8; i++)
		assert_int_equal(fired.id[i], want[i]);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

enum { HEAP_N = 128, HEAP_OPS = 1000 };

/* Fires everything still armed in one pass and checks it against the model. */
static void check_fire_all(struct sg_loop *loop, struct test_timer *tts, const bool *armed,
			   const uint64_t *due)
{
	int expect = 0;

	for (int i = 0; i < HEAP_N; i++)
		expect += armed[i];
	fired.n = 0;
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(fired.n, expect);
	for (int k = 1; k < fired.n; k++) {
		assert_true(fired.due[k - 1] <= fired.due[k]);
		if (fired.due[k - 1] == fired.due[k])
			assert_true(fired.seq[k - 1] < fired.seq[k]);
	}
	for (int k = 0; k < fired.n; k++)
		assert_int_equal(fired.due[k], due[fired.id[k]]);
	for (int i = 0; i < HEAP_N; i++) {
		assert_int_equal(tts[i].count, armed[i] ? 1 : 0);
		assert_false(sg_timer_armed(&tts[i].t));
	}
}

/* One round of random arm/stop/re-arm against a model. Deadlines are all
 * <= now so a single pass fires everything; a small span forces ties. */
static void heap_round(struct sg_loop *loop, uint32_t rng, uint64_t span)
{
	struct test_timer tts[HEAP_N];
	bool armed[HEAP_N] = { false };
	uint64_t due[HEAP_N], now = sg_loop_now(loop);

	if (span > now)
		span = now + 1;
	init_timers(tts, HEAP_N);
	for (int op = 0; op < HEAP_OPS; op++) {
		int i = (int)(xorshift(&rng) % HEAP_N);

		if (armed[i] && xorshift(&rng) % 2) {
			sg_timer_stop(loop, &tts[i].t);
			armed[i] = false;
		} else {
			/* Arms a stopped timer or re-arms an armed one in place. */
			due[i] = now - xorshift(&rng) % span;
			sg_timer_arm(loop, &tts[i].t, due[i]);
			armed[i] = true;
		}
		assert_int_equal(sg_timer_armed(&tts[i].t), armed[i]);
	}
	check_fire_all(loop, tts, armed, due);
}

static void test_loop_stop_from_middle_keeps_heap_order(void **state)
{
	for (uint32_t r = 0; r < 16; r++)
		heap_round(*state, 0x9e3779b9u * (r + 1), r % 2 ? 1000 : 16);
}

/* On the fake clock: on the real one, a pass that came 30 ms after the
 * loop's last reading (a busy host) fired both timers at once. */
static void test_loop_rearmed_timer_fires_once_at_new_time(void **state)
{
	struct sg_loop *loop = *state;
	struct test_timer tts[2];
	uint64_t now = sg_loop_now(loop);

	init_timers(tts, 2);
	/* Later: the first deadline must not fire it. */
	sg_timer_arm(loop, &tts[0].t, now + 5);
	sg_timer_arm(loop, &tts[0].t, now + 40);
	/* Earlier: the wait must follow the new heap top, not the old one. */
	sg_timer_arm(loop, &tts[1].t, now + 100000);
	sg_timer_arm(loop, &tts[1].t, now + 10);

	run_until_fired(loop, &tts[1], 20);
	assert_int_equal(tts[1].count, 1);
	assert_int_equal(tts[0].count, 0);
	assert_int_equal(sg_loop_now(loop), now + 10);
	run_until_fired(loop, &tts[0], 20);
	assert_int_equal(tts[0].count, 1);
	assert_int_equal(sg_loop_now(loop), now + 40);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(fired.n, 2);
}

static void rearm_now_cb(struct sg_loop *loop, struct sg_timer *t)
{
	record_cb(loop, t);
	sg_timer_arm(loop, t, sg_loop_now(loop));
}

/* The verdict window by window (ms slept of 50, the thread running the
 * rest): saturated after two windows in a row that slept under a tenth,
 * not after one between others; kept through a window that slept between
 * a tenth and a quarter; lost after one that slept a quarter. */
static void test_loop_saturation_takes_two_busy_windows(void **state)
{
	struct sg_saturation s = { 0 };
	static const struct {
		uint64_t slept_ms;
		bool saturated, changed;
	} w[] = {
		{ 2, false, false },  { 30, false, false }, { 4, false, false },
		{ 20, false, false }, { 4, false, false },  { 0, true, true },
		{ 10, true, false },  { 2, true, false },   { 13, false, true },
		{ 1, false, false },  { 1, true, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		uint64_t slept = w[i].slept_ms * 1000000;
		bool changed = sg_saturation_window(&s, 50000000, slept, 50000000 - slept, true);

		if (s.saturated != w[i].saturated || changed != w[i].changed)
			fail_msg("window %zu (slept %llu ms): saturated %d changed %d", i,
				 (unsigned long long)w[i].slept_ms, s.saturated, changed);
	}
}

/* A busy window (slept under a tenth) in which the thread was held back
 * (ran under three quarters of the time it was awake) is saturated at
 * once, and held back; one in which it ran three quarters or more takes
 * two; a held-back window that slept a tenth or more is not busy. (ms of
 * 50: slept, ran.) */
static void test_loop_saturation_held_back_takes_one_window(void **state)
{
	static const struct {
		uint64_t slept_ms, ran_ms;
		bool saturated;
	} w[] = {
		{ 0, 25, true },  /* a 50 % CPU quota */
		{ 2, 35, true },  /* a busier thread on the core */
		{ 0, 38, false }, /* three quarters of 50: had the core */
		{ 5, 10, false }, /* slept a tenth */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct sg_saturation s = { 0 };
		bool changed = sg_saturation_window(&s, 50000000, w[i].slept_ms * 1000000,
						    w[i].ran_ms * 1000000, false);

		if (s.saturated != w[i].saturated || changed != w[i].saturated ||
		    s.held != w[i].saturated)
			fail_msg("window %zu (slept %llu ran %llu ms): saturated %d", i,
				 (unsigned long long)w[i].slept_ms, (unsigned long long)w[i].ran_ms,
				 s.saturated);
	}
}

/* Held back while a pump that can splice moved bytes, the loop
 * stays saturated and held through windows that sleep most of their time
 * (spliced, the worker has time to spare) until SG_LOOP_HELD_MEMORY_MS of
 * windows passed without another such hold; a later one starts the minute
 * again, and one long idle wait ends it at once. A hold with no such pump
 * (TLS work, small requests) lasts its window only; and without a hold, a
 * busy window then a sleepy one is not saturated. */
static void test_loop_held_back_is_remembered_for_a_minute(void **state)
{
	const uint64_t ms = 1000000, window = SG_LOOP_SAT_WINDOW_MS * ms;
	const uint64_t windows = SG_LOOP_HELD_MEMORY_MS / SG_LOOP_SAT_WINDOW_MS;
	struct sg_saturation s = { 0 };

	(void)state;
	assert_true(sg_saturation_window(&s, window, 0, window / 2, true)); /* a 50 % quota */
	assert_true(s.held);
	for (uint64_t i = 1; i < windows; i++) {
		assert_false(sg_saturation_window(&s, window, window * 4 / 5, window / 5, false));
		if (!s.saturated || !s.held)
			fail_msg("forgot the hold after %llu sleepy windows",
				 (unsigned long long)i);
	}
	assert_true(sg_saturation_window(&s, window, window * 4 / 5, window / 5, false));
	assert_false(s.saturated);
	assert_false(s.held);

	assert_true(sg_saturation_window(&s, window, 0, window / 2, true));
	for (uint64_t i = 1; i < windows / 2; i++)
		sg_saturation_window(&s, window, window * 4 / 5, window / 5, false);
	assert_false(sg_saturation_window(&s, window, 2 * ms, window / 2, true)); /* again */
	for (uint64_t i = 1; i < windows; i++)
		sg_saturation_window(&s, window, window * 4 / 5, window / 5, false);
	assert_true(s.held);
	assert_true(sg_saturation_window(&s, 61000 * ms, 60990 * ms, 10 * ms, false)); /* idle */
	assert_false(s.held);

	assert_true(sg_saturation_window(&s, window, 0, window / 2,
					 false)); /* no pump that can splice */
	assert_true(s.held);
	assert_true(sg_saturation_window(&s, window, window * 4 / 5, window / 5, false));
	assert_false(s.saturated);
	assert_false(s.held);

	sg_saturation_window(&s, window, 0, window, true);
	sg_saturation_window(&s, window, 0, window, true);
	assert_true(s.saturated);
	assert_false(s.held);
	assert_true(sg_saturation_window(&s, window, window / 2, window / 2, true));
	assert_false(s.saturated);
}

/* A window's sleep: its span less what the thread ran and what it waited
 * runnable, when the kernel says both (the numbers of a held download's
 * window, us); else the loop's own time in epoll_wait; never below 0. */
static void test_loop_saturation_sleep_from_the_kernels_account(void **state)
{
	struct sg_thread_times was = { 1000000, 500000, true }, now = was,
			       blind = { 1000000, 0, false };

	(void)state;
	now.run += 20759;
	now.delay += 13609;
	assert_int_equal(sg_saturation_slept(50656, 28081, was, now), 50656 - 20759 - 13609);
	assert_int_equal(sg_saturation_slept(50656, 28081, blind, now), 28081);
	assert_int_equal(sg_saturation_slept(50656, 28081, was, blind), 28081);
	now.delay += 40000;
	assert_int_equal(sg_saturation_slept(50656, 28081, was, now), 0);
}

/* The first window begins, then a burner keeps the loop busy for windows
 * until it is saturated: one, on a quiet machine; up to ten when the
 * test's core is busy enough to delay the pass that judges it. Returns 0,
 * or -1 if a pass failed. */
static int burn_until_saturated(struct sg_loop *loop, struct burner *b)
{
	int rc = sg_loop_run_once(loop, 0);

	burner_start(loop, b, 2, 0);
	for (int i = 0; i < 10 && !rc && !sg_loop_saturated(); i++)
		rc = run_windows(loop, 1);
	return rc;
}

/* A real loop kept busy while another thread spins on its core (CFS gives
 * each about half) is saturated and held back, as under a CPU quota: the
 * kernel's account of the thread says it was runnable without running.
 * (That one window is enough is test_loop_saturation_held_back_takes_one_window's.) */
static void test_loop_held_back_on_its_core_is_saturated_in_one_window(void **state)
{
	struct sg_loop *loop = *state;
	struct spinner sp;
	struct burner b;
	int rc;

	assert_int_equal(spinner_start(&sp), 0);
	rc = burn_until_saturated(loop, &b);
	spinner_stop(&sp);
	assert_int_equal(rc, 0);
	assert_true(sg_loop_saturated());
	assert_true(sg_loop_held_back());
	sg_timer_stop(loop, &b.t);
}

/* The same under a real CPU quota (a cgroup holding the loop's thread to
 * 30 % of a CPU): throttled, the thread is runnable without running, which
 * the kernel counts as it does a wait behind another task. */
static void test_loop_held_by_a_cpu_quota_is_saturated(void **state)
{
	struct sg_loop *loop = *state;
	struct cpu_quota q;
	struct burner b;
	int rc;

	if (cpu_quota_start(&q, 30) == -1) {
		print_message("no cgroup v1 cpu controller to use at " CPU_QUOTA_ROOT "\n");
		skip();
	}
	rc = burn_until_saturated(loop, &b);
	cpu_quota_stop(&q); /* before any assertion: the group must go */
	assert_int_equal(rc, 0);
	assert_true(sg_loop_saturated());
	assert_true(sg_loop_held_back());
	sg_timer_stop(loop, &b.t);
}

/* A timer re-arming itself for "now" fires once per pass instead of spinning. */
static void test_loop_rearm_at_now_fires_once_per_pass(void **state)
{
	struct sg_loop *loop = *state;
	struct test_timer tt = { .id = 0 };

	sg_timer_init(&tt.t, rearm_now_cb, NULL);
	sg_timer_arm(loop, &tt.t, sg_loop_now(loop));
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(tt.count, 1);
	assert_int_equal(sg_loop_run_once(loop, -1), 0);
	assert_int_equal(tt.count, 2);
	sg_timer_stop(loop, &tt.t);
	assert_false(sg_timer_armed(&tt.t));
}

/* ---- io ------------------------------------------------------------------ */

struct conn {
	struct sg_io io;
	struct sg_closing closing;
	struct sg_loop *loop;
	struct conn *peer;
	int wfd;
	int calls;
	uint32_t revents;
	bool in_cb;
	bool *closed;
};

static struct conn *conn_new(struct sg_loop *loop,
			     void (*cb)(struct sg_loop *, struct sg_io *, uint32_t))
{
	struct conn *c = calloc(1, sizeof(*c));
	int fds[2];

	assert_non_null(c);
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	c->io.fd = fds[0];
	c->io.cb = cb;
	c->io.data = c;
	c->wfd = fds[1];
	c->loop = loop;
	return c;
}

static void conn_poke(const struct conn *c)
{
	assert_int_equal(write(c->wfd, "x", 1), 1);
}

static void conn_free(struct sg_closing *cl)
{
	struct conn *c = container_of(cl, struct conn, closing);

	if (c->closed)
		*c->closed = true;
	close(c->io.fd);
	close(c->wfd);
	free(c);
}

static void count_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct conn *c = io->data;
	char b;

	(void)loop;
	c->calls++;
	c->revents = revents;
	assert_int_equal(read(io->fd, &b, 1), 1);
}

/* Counts, reads nothing: the fd may be closed already. */
static void tally_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct conn *c = io->data;

	(void)loop;
	c->calls++;
	c->revents = revents;
}

static void test_loop_io_pipe_fires_epollin(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);

	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	assert_int_equal(c->io.events, EPOLLIN);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(c->calls, 0);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);
	assert_true(c->revents & EPOLLIN);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* Whichever of two ready ios runs first unregisters the other and queues both
 * owners for close: the other's pending event in the same batch is dropped. */
static int kill_calls;

static void kill_peer_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct conn *c = io->data;

	(void)revents;
	kill_calls++;
	assert_int_equal(sg_io_set(loop, &c->peer->io, 0), 0);
	sg_loop_defer_close(loop, &c->peer->closing, conn_free);
	assert_int_equal(sg_io_set(loop, io, 0), 0);
	sg_loop_defer_close(loop, &c->closing, conn_free);
	/* Queueing twice is harmless. */
	sg_loop_defer_close(loop, &c->closing, conn_free);
}

/* A parked io stays registered: a next owner that sets the same mask and
 * its own callback is served without anything set in between; an event
 * that comes while it is parked reaches no owner and turns its interest
 * off, so a readable socket nobody reads does not wake every pass. */
static void test_loop_io_park_hands_over_or_goes_quiet(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);

	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	sg_io_park(&c->io);
	assert_int_equal(c->io.events, EPOLLIN);
	c->io.cb = count_cb; /* the next owner, same mask */
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);

	sg_io_park(&c->io);
	conn_poke(c); /* nobody owns it: the byte stays unread */
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);
	assert_int_equal(c->io.events, 0);
	assert_int_equal(sg_loop_run_once(loop, 20), 0); /* quiet: no event */
	assert_int_equal(c->calls, 1);
	conn_free(&c->closing);
}

/* The fds registered in this process's epoll instances, as the kernel
 * lists them ("tfd:" lines of each eventpoll fd's fdinfo). */
static int epoll_registrations(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		char path[64], target[64], line[256];
		ssize_t len;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:[eventpoll]") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			n += strncmp(line, "tfd:", 4) == 0;
		fclose(f);
	}
	return n;
}

/* A socket's next owner takes its registration over (one EPOLL_CTL_MOD):
 * events reach the new owner's callback, not the old one's, and the old
 * io reads as unregistered. From an unregistered io: nothing happens. */
static void test_loop_io_adopt_hands_the_registration_over(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *from = conn_new(loop, count_cb);
	struct conn *to = conn_new(loop, count_cb);
	int regs, to_own = to->io.fd;

	assert_int_equal(sg_io_set(loop, &from->io, EPOLLIN), 0);
	regs = epoll_registrations();
	to->io.fd = from->io.fd;
	assert_int_equal(sg_io_adopt(loop, &to->io, &from->io), 0);
	assert_int_equal(from->io.events, 0);
	assert_int_equal(to->io.events, EPOLLIN);
	assert_int_equal(epoll_registrations(), regs);
	conn_poke(from);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(to->calls, 1);
	assert_int_equal(from->calls, 0);
	assert_int_equal(sg_io_adopt(loop, &from->io, &to->io), 0); /* and back */
	assert_int_equal(sg_io_adopt(loop, &to->io, &to->io), 0);   /* unregistered now */
	assert_int_equal(to->io.events, 0);
	assert_int_equal(from->io.events, EPOLLIN);
	assert_int_equal(sg_io_set(loop, &from->io, 0), 0);
	to->io.fd = to_own;
	conn_free(&from->closing);
	conn_free(&to->closing);
}

/* A socket whose fd another descriptor shares (a child forked at that
 * moment holds a copy of every fd until its exec: an MCP stdio target):
 * close() alone leaves its interest registered, and the loop goes on
 * calling the io, freed or given to the next connection, with the
 * socket's events. sg_io_set(0) before the close (as every owner does)
 * removes it then and there. */
static void test_loop_io_set_zero_before_a_close_with_a_copy(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *a = conn_new(loop, tally_cb), *b = conn_new(loop, tally_cb);
	int regs, copy_a, copy_b;

	assert_int_equal(sg_io_set(loop, &a->io, EPOLLIN), 0);
	assert_int_equal(sg_io_set(loop, &b->io, EPOLLIN), 0);
	regs = epoll_registrations();
	copy_a = dup(a->io.fd);
	copy_b = dup(b->io.fd);
	/* a: closed with its interest left to the close */
	close(a->io.fd);
	a->io.fd = -1;
	assert_int_equal(epoll_registrations(), regs);
	conn_poke(a);
	assert_int_equal(sg_loop_run_once(loop, 100), 0);
	assert_int_equal(a->calls, 1);			 /* the stale interest called it */
	assert_int_equal(sg_io_set(loop, &a->io, 0), 0); /* too late: the fd is gone */
	assert_int_equal(epoll_registrations(), regs);
	close(copy_a); /* the copy's end drops it */
	assert_int_equal(epoll_registrations(), regs - 1);
	/* b: its interest removed first */
	assert_int_equal(sg_io_set(loop, &b->io, 0), 0);
	close(b->io.fd);
	b->io.fd = -1;
	assert_int_equal(epoll_registrations(), regs - 2);
	conn_poke(b);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(b->calls, 0);
	close(copy_b);
	close(a->wfd);
	close(b->wfd);
	free(a);
	free(b);
}

static void test_loop_io_set_zero_stops_callbacks(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *a = conn_new(loop, count_cb);
	struct conn *b, *d;
	bool closed_b = false, closed_d = false;

	/* Removed before the pass: no callback although data is waiting. */
	assert_int_equal(sg_io_set(loop, &a->io, EPOLLIN), 0);
	conn_poke(a);
	assert_int_equal(sg_io_set(loop, &a->io, 0), 0);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(a->calls, 0);
	/* Removing after close() is tolerated. */
	assert_int_equal(sg_io_set(loop, &a->io, EPOLLIN), 0);
	close(a->io.fd);
	assert_int_equal(sg_io_set(loop, &a->io, 0), 0);
	close(a->wfd);
	free(a);

	b = conn_new(loop, kill_peer_cb);
	d = conn_new(loop, kill_peer_cb);
	b->peer = d;
	d->peer = b;
	b->closed = &closed_b;
	d->closed = &closed_d;
	assert_int_equal(sg_io_set(loop, &b->io, EPOLLIN), 0);
	assert_int_equal(sg_io_set(loop, &d->io, EPOLLIN), 0);
	conn_poke(b);
	conn_poke(d);
	kill_calls = 0;
	/* Both are ready in one batch; only the first callback may run. */
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(kill_calls, 1);
	assert_true(closed_b);
	assert_true(closed_d);
}

/* While a batch is dispatched, an io whose event comes later in it says
 * so (sg_io.unseen: an owner taking it over mid-batch knows it has news);
 * one whose event was given, or that had none, says nothing. */
static uint32_t unseen_of_peer[2];
static int unseen_calls;

static void unseen_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct conn *c = io->data;
	char b;

	(void)loop;
	(void)revents;
	assert_int_equal(io->unseen, 0);
	assert_int_equal(read(io->fd, &b, 1), 1);
	unseen_of_peer[unseen_calls++] = c->peer->io.unseen;
}

static void test_loop_unseen_events_of_the_batch(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *a = conn_new(loop, unseen_cb), *b = conn_new(loop, unseen_cb);
	struct conn *idle = conn_new(loop, unseen_cb);

	a->peer = b;
	b->peer = a;
	assert_int_equal(sg_io_set(loop, &a->io, EPOLLIN), 0);
	assert_int_equal(sg_io_set(loop, &b->io, EPOLLIN), 0);
	assert_int_equal(sg_io_set(loop, &idle->io, EPOLLIN), 0);
	conn_poke(a);
	conn_poke(b);
	unseen_calls = 0;
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(unseen_calls, 2);
	assert_true(unseen_of_peer[0] & EPOLLIN); /* the second, still to come */
	assert_int_equal(unseen_of_peer[1], 0);	  /* the first, given already */
	assert_int_equal(a->io.unseen, 0);
	assert_int_equal(b->io.unseen, 0);
	assert_int_equal(idle->io.unseen, 0);
	assert_int_equal(sg_io_set(loop, &a->io, 0), 0);
	assert_int_equal(sg_io_set(loop, &b->io, 0), 0);
	assert_int_equal(sg_io_set(loop, &idle->io, 0), 0);
	conn_free(&a->closing);
	conn_free(&b->closing);
	conn_free(&idle->closing);
}

/* ---- close queue --------------------------------------------------------- */

struct order {
	struct sg_loop *loop;
	struct sg_io io;
	struct sg_timer timer;
	struct sg_closing first;
	struct sg_closing second;
	int rfd, wfd;
	bool in_io_cb;
	int io_done, timer_done, first_done, second_done;
};

static void order_second(struct sg_closing *c)
{
	struct order *o = container_of(c, struct order, second);

	assert_int_equal(o->first_done, 1);
	o->second_done++;
}

static void order_first(struct sg_closing *c)
{
	struct order *o = container_of(c, struct order, first);

	assert_false(o->in_io_cb);
	assert_int_equal(o->io_done, 1);
	assert_int_equal(o->timer_done, 1);
	o->first_done++;
	/* Queued from a closing fn: runs in the same drain. */
	sg_loop_defer_close(o->loop, &o->second, order_second);
}

static void order_io_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct order *o = io->data;

	(void)revents;
	o->in_io_cb = true;
	sg_loop_defer_close(loop, &o->first, order_first);
	assert_int_equal(o->first_done, 0);
	assert_int_equal(sg_io_set(loop, io, 0), 0);
	o->io_done++;
	o->in_io_cb = false;
}

static void order_timer_cb(struct sg_loop *loop, struct sg_timer *t)
{
	struct order *o = t->data;

	(void)loop;
	assert_int_equal(o->first_done, 0);
	o->timer_done++;
}

static void test_loop_close_queue_runs_after_callbacks(void **state)
{
	struct sg_loop *loop = *state;
	struct order o = { .loop = loop };
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	o.rfd = fds[0];
	o.wfd = fds[1];
	o.io = (struct sg_io){ .fd = o.rfd, .cb = order_io_cb, .data = &o };
	sg_timer_init(&o.timer, order_timer_cb, &o);
	sg_timer_arm(loop, &o.timer, sg_loop_now(loop));
	assert_int_equal(sg_io_set(loop, &o.io, EPOLLIN), 0);
	assert_int_equal(write(o.wfd, "x", 1), 1);

	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(o.io_done, 1);
	assert_int_equal(o.timer_done, 1);
	assert_int_equal(o.first_done, 1);
	assert_int_equal(o.second_done, 1);
	assert_false(o.first.queued);
	close(o.rfd);
	close(o.wfd);
}

/* ---- deferred work (sg_loop_after_pass) ---------------------------------- */

/* What happened to the owners, in order: one letter and the owner's id
 * each ("I0": io callback of 0, "T0": timer, "D0": its deferred work did
 * its job, "S0": skipped it, its owner closed, "F0": freed). */
static char story[256];

static void tell(char what, int id)
{
	size_t n = strlen(story);

	assert_true(n + 2 < sizeof(story));
	story[n] = what;
	story[n + 1] = (char)('0' + id);
	story[n + 2] = '\0';
}

struct owner {
	struct sg_loop *loop;
	int id;
	bool closed;		   /* the owner's own mark, as a connection's */
	int again;		   /* times its deferred work asks for itself once more */
	struct owner *ask_on_free; /* whose deferred work its free asks for */
	struct sg_deferred later;
	struct sg_closing closing;
	struct sg_timer timer;
	struct sg_io io;
	int wfd;
};

static void owner_later(struct sg_deferred *d);

static void owner_free(struct sg_closing *cl)
{
	struct owner *o = container_of(cl, struct owner, closing);

	tell('F', o->id);
	if (o->ask_on_free)
		sg_loop_after_pass(o->loop, &o->ask_on_free->later, owner_later);
	close(o->io.fd);
	close(o->wfd);
	free(o);
}

static void owner_close(struct owner *o)
{
	o->closed = true;
	assert_int_equal(sg_io_set(o->loop, &o->io, 0), 0);
	sg_timer_stop(o->loop, &o->timer);
	sg_loop_defer_close(o->loop, &o->closing, owner_free);
}

/* As a connection's flush_later: skipped once the owner closed. */
static void owner_later(struct sg_deferred *d)
{
	struct owner *o = container_of(d, struct owner, later);

	assert_false(sg_deferred_queued(d));
	if (o->closed) {
		tell('S', o->id);
		return;
	}
	tell('D', o->id);
	if (o->again && o->again--)
		sg_loop_after_pass(o->loop, &o->later, owner_later);
}

static void owner_ask(struct owner *o)
{
	sg_loop_after_pass(o->loop, &o->later, owner_later);
	assert_true(sg_deferred_queued(&o->later));
}

static void owner_io_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct owner *o = io->data;
	char b;

	(void)loop;
	(void)revents;
	assert_int_equal(read(io->fd, &b, 1), 1);
	tell('I', o->id);
	/* Twice: one run all the same. */
	owner_ask(o);
	owner_ask(o);
}

static void owner_timer_cb(struct sg_loop *loop, struct sg_timer *t)
{
	struct owner *o = t->data;

	(void)loop;
	tell('T', o->id);
	owner_ask(o); /* still queued from the io callback: no second run */
}

static struct owner *owner_new(struct sg_loop *loop, int id)
{
	struct owner *o = calloc(1, sizeof(*o));
	int fds[2];

	assert_non_null(o);
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	o->loop = loop;
	o->id = id;
	o->io = (struct sg_io){ .fd = fds[0], .cb = owner_io_cb, .data = o };
	o->wfd = fds[1];
	sg_timer_init(&o->timer, owner_timer_cb, o);
	return o;
}

/* Asked for from an io callback (twice) and again from a timer of the same
 * pass: runs once, after both callbacks, and not on the next pass. */
static void test_loop_after_pass_runs_once_after_callbacks(void **state)
{
	struct sg_loop *loop = *state;
	struct owner *o = owner_new(loop, 0);

	story[0] = '\0';
	assert_int_equal(sg_io_set(loop, &o->io, EPOLLIN), 0);
	sg_timer_arm(loop, &o->timer, sg_loop_now(loop));
	assert_int_equal(write(o->wfd, "x", 1), 1);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_string_equal(story, "I0T0D0");
	assert_false(sg_deferred_queued(&o->later));
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "I0T0D0");
	owner_close(o);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "I0T0D0F0");
}

/* Entries run in the order asked; one asked for by its own fn (once it
 * has begun) runs again in the same drain, after those already queued. */
static void test_loop_after_pass_fifo_and_asked_again(void **state)
{
	struct sg_loop *loop = *state;
	struct owner *a = owner_new(loop, 1), *b = owner_new(loop, 2), *c = owner_new(loop, 3);

	story[0] = '\0';
	b->again = 1;
	owner_ask(b);
	owner_ask(a);
	owner_ask(c);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "D2D1D3D2");
	owner_close(a);
	owner_close(b);
	owner_close(c);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "D2D1D3D2F1F2F3");
}

/* An owner closed in the pass it asked in, after asking (4) or before
 * (5, a path that does not check its own mark before asking): its memory
 * is still there when the deferred work runs, which sees the owner's mark
 * and skips; the frees come after, in their own order. A live owner (6)
 * asking after both closings were queued still runs before them. Work
 * asked for by a closing (7's, for 8) runs before the closings left (8's
 * own free). */
static void test_loop_after_pass_owner_closed_in_same_pass(void **state)
{
	struct sg_loop *loop = *state;
	struct owner *x = owner_new(loop, 4), *y = owner_new(loop, 5), *z = owner_new(loop, 6);
	struct owner *v = owner_new(loop, 7), *w = owner_new(loop, 8);

	story[0] = '\0';
	owner_ask(x);
	owner_close(x);
	owner_close(y);
	owner_ask(y);
	owner_ask(z);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "S4S5D6F4F5");
	owner_close(z);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "S4S5D6F4F5F6");

	story[0] = '\0';
	v->ask_on_free = w;
	owner_close(v);
	owner_close(w);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_string_equal(story, "F7S8F8");
}

/* ---- run / stop / waiting ------------------------------------------------ */

static void stop_cb(struct sg_loop *loop, struct sg_timer *t)
{
	record_cb(loop, t);
	sg_loop_stop(loop);
}

static void test_loop_stop_from_timer_ends_run(void **state)
{
	struct sg_loop *loop = *state;
	struct test_timer tts[2];
	uint64_t now = sg_loop_now(loop);

	init_timers(tts, 2);
	tts[0].t.cb = stop_cb;
	sg_timer_arm(loop, &tts[0].t, now + 10);
	/* Without the stop, run would sleep until this one. */
	sg_timer_arm(loop, &tts[1].t, now + 100000);
	assert_int_equal(sg_loop_run(loop), 0);
	assert_int_equal(tts[0].count, 1);
	assert_int_equal(tts[1].count, 0);
	assert_true(sg_loop_now(loop) >= now + 10);
	sg_timer_stop(loop, &tts[1].t);
}

static void test_loop_run_once_waits_until_next_timer(void **state)
{
	struct sg_loop *loop = *state;
	struct test_timer tt;
	uint64_t start, real_start, real;

	init_timers(&tt, 1);
	sg_loop_update_time(loop);
	start = sg_loop_now(loop);
	real_start = mono_ms();
	sg_timer_arm(loop, &tt.t, start + 50);
	/* One pass: it must sleep long enough, not return early and spin. */
	assert_int_equal(sg_loop_run_once(loop, -1), 0);
	real = mono_ms() - real_start;
	assert_int_equal(tt.count, 1);
	assert_true(sg_loop_now(loop) >= start + 50);
	assert_true(real >= 49 && real < 1000);
}

static void test_loop_run_once_honours_max_wait(void **state)
{
	struct sg_loop *loop = *state;
	struct test_timer tt;
	uint64_t real_start, real;

	init_timers(&tt, 1);
	sg_timer_arm(loop, &tt.t, sg_loop_now(loop) + 100000);
	real_start = mono_ms();
	assert_int_equal(sg_loop_run_once(loop, 20), 0);
	real = mono_ms() - real_start;
	assert_int_equal(tt.count, 0);
	assert_true(real >= 19 && real < 1000);
	sg_timer_stop(loop, &tt.t);
}

static unsigned pending_calls;

static void count_pending(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	assert_int_equal(revents, EPOLLIN);
	if (++pending_calls == 3)
		sg_io_pending(loop, io, false); /* its reader drained the buffer */
}

/* Input buffered above a silent socket: the io is called with EPOLLIN on
 * each pass, without waiting, while it is pending and asks for EPOLLIN;
 * not while its mask lacks EPOLLIN (a pass then waits: no spin). */
static void test_loop_pending_io_dispatched_without_waiting(void **state)
{
	struct sg_loop *loop = *state;
	struct sg_io io = { 0 };
	int p[2];
	uint64_t start;

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	io.fd = p[0];
	io.cb = count_pending;
	pending_calls = 0;
	assert_int_equal(sg_io_set(loop, &io, EPOLLIN), 0);
	sg_io_pending(loop, &io, true);
	start = mono_ms();
	for (int i = 0; i < 5; i++)
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	/* 3 passes called it without waiting; then, not pending, the
	 * other 2 waited their 1 s each on the silent pipe. */
	assert_int_equal(pending_calls, 3);
	assert_true(mono_ms() - start >= 1900);
	/* Pending but not asking for input: not called, and the pass waits. */
	sg_io_pending(loop, &io, true);
	assert_int_equal(sg_io_set(loop, &io, 0), 0);
	start = mono_ms();
	assert_int_equal(sg_loop_run_once(loop, 200), 0);
	assert_int_equal(pending_calls, 3);
	assert_true(mono_ms() - start >= 190);
	sg_io_pending(loop, &io, false);
	close(p[0]);
	close(p[1]);
}

/* A pass where a socket had news keeps the thread's blocks for the next
 * requests; a pass where none had any gives them back to malloc. */
static void test_loop_quiet_pass_gives_kept_blocks_back(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	size_t kept;

	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	sg_mem_free(sg_mem_alloc(100));
	kept = sg_mem_kept();
	assert_int_equal(kept, SG_MEM_KEEPS ? 136 : 0);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);
	assert_int_equal(sg_mem_kept(), kept);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(sg_mem_kept(), 0);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct spent {
	uint64_t real_ms, cpu_us;
};

/* Runs `passes` passes of at most max_wait_ms each; what they took. */
static struct spent timed_passes(struct sg_loop *loop, int passes, int max_wait_ms)
{
	uint64_t cpu = thread_cpu_us(), real = mono_ms();

	for (int i = 0; i < passes; i++)
		assert_int_equal(sg_loop_run_once(loop, max_wait_ms), 0);
	return (struct spent){ mono_ms() - real, thread_cpu_us() - cpu };
}

/* --busy-poll busy_ns, and one pass that dispatches one event of c. */
static void one_event(struct sg_loop *loop, struct conn *c, uint64_t busy_ns)
{
	sg_loop_set_busy_poll(loop, busy_ns);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);
}

/* A pass's wait counts from the call, not from the end of the pass
 * before: a thread held up between two passes (another task on its core,
 * as in a busy test run) still waits all it asked for when the busy poll
 * had its look first. (Timers keep counting from the end of the last wait:
 * poll_timeout in user/base/loop.c says why.) */
static void test_loop_wait_counts_from_the_call(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	const struct timespec held = { 0, 40000000 };
	struct spent t;

	one_event(loop, c, 1000000);
	nanosleep(&held, NULL); /* held up for 40 ms between passes */
	t = timed_passes(loop, 1, 100);
	print_message("100 ms wait 40 ms after the last pass: %llu ms\n",
		      (unsigned long long)t.real_ms);
	assert_true(t.real_ms >= 99);
	assert_int_equal(c->calls, 1);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* On the real clock: --busy-poll 30ms after an event, a pass asked to
 * wait 150 ms waits all of it (polling, then asleep), and a timer 5 ms
 * away fires, not before its due on the loop's time; within bounds that
 * a loop ten times slower (a sanitizer and a busy neighbour) still keeps.
 * What the poll decides is test_loop_busy_poll_*'s, on the fake clock. */
static void test_loop_busy_poll_real_clock(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct test_timer tt;
	struct spent t;
	uint64_t start;

	one_event(loop, c, 30000000);
	t = timed_passes(loop, 1, 150);
	assert_true(t.real_ms >= 149 && t.real_ms < 1500);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	init_timers(&tt, 1);
	start = sg_loop_now(loop);
	sg_timer_arm(loop, &tt.t, start + 5);
	for (int i = 0; i < 100 && tt.count == 0; i++)
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(tt.count, 1);
	assert_true(sg_loop_now(loop) >= start + 5);
	assert_true(mono_ms() < start + 1000);
	assert_int_equal(c->calls, 2);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* ---- on the fake clock -------------------------------------------------- */

/* The clock of the test that runs (setup_fake): the loop's decisions
 * follow the times set here, whatever the host's speed. */
static struct fake_clock fc;

static int setup_fake(void **state)
{
	if (setup(state))
		return -1;
	fake_clock_start(*state, &fc);
	return 0;
}

/* A callback that works 3 ms, then arms a timer 10 ms past the pass's
 * time, and notes when it did. */
static struct test_timer late_armed;
static uint64_t late_armed_at;

static void work_then_arm_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	count_cb(loop, io, revents);
	fake_work(&fc, 3 * FAKE_MS);
	late_armed_at = fc.now;
	sg_timer_arm(loop, &late_armed.t, sg_loop_now(loop) + 10);
}

/* A timer is due on the loop's time, read once per pass (loop.h,
 * sg_loop_now): armed 10 ms past it by a callback that ran 3 ms into the
 * pass, with the pass's reading 0.6 ms past a whole ms, it fires 6.4 ms
 * after it was armed, early by the pass and the rounding and by no more;
 * and never before its due on the loop's time. */
static void test_loop_timer_counts_from_the_pass(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, work_then_arm_cb);
	uint64_t due;

	init_timers(&late_armed, 1);
	fake_advance_to(&fc, fc.now + 600000);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(c->calls, 1);
	due = late_armed.t.due;
	assert_int_equal(due, fc.now / FAKE_MS - 3 + 10);
	fake_advance_to(&fc, due * FAKE_MS - 1);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(late_armed.count, 0);
	fake_advance_to(&fc, due * FAKE_MS);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(late_armed.count, 1);
	assert_int_equal(fc.now - late_armed_at, 6400000);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* A pass waits for the earliest timer, and it fires at its time on the
 * loop's clock, neither sooner nor later; a later wait is cut short by a
 * byte that comes first. */
static void test_loop_wait_ends_at_the_timer_or_the_event(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct test_timer tt;
	uint64_t start = sg_loop_now(loop);

	init_timers(&tt, 1);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	sg_timer_arm(loop, &tt.t, start + 50);
	assert_int_equal(sg_loop_run_once(loop, -1), 0);
	assert_int_equal(tt.count, 1);
	assert_int_equal(sg_loop_now(loop), start + 50);
	sg_timer_arm(loop, &tt.t, start + 100);
	fake_poke(&fc, c->wfd, 7 * FAKE_MS);
	assert_int_equal(sg_loop_run_once(loop, -1), 0);
	assert_int_equal(c->calls, 1);
	assert_int_equal(tt.count, 1);
	assert_int_equal(sg_loop_now(loop), start + 57);
	assert_int_equal(sg_loop_run_once(loop, 20), 0); /* max_wait_ms bounds it */
	assert_int_equal(sg_loop_now(loop), start + 77);
	assert_int_equal(sg_loop_run_once(loop, -1), 0);
	assert_int_equal(tt.count, 2);
	assert_int_equal(sg_loop_now(loop), start + 100);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* sg_loop_saturated, window by window of a loop (in each pass: ms it
 * worked, was held back, waited): after two windows in which it never waited, not
 * after one; still after one in which it slept a fifth of the time, no
 * longer after one in which it slept two thirds. Held back (it ran half
 * of the time it was awake), at once, and so sg_loop_held_back too, for
 * that window only when no pump copied. */
static void test_loop_saturated_only_when_it_never_waits(void **state)
{
	static const struct {
		uint64_t work_ms, held_ms;
		int wait_ms;
		bool saturated, held;
	} w[] = {
		{ 2, 0, 0, false, false }, { 2, 0, 0, true, false }, { 4, 0, 1, true, false },
		{ 1, 0, 2, false, false }, { 1, 1, 0, true, true },  { 0, 0, 5, false, false },
	};
	struct sg_loop *loop = *state;

	assert_false(sg_loop_saturated()); /* no pass has run on this thread */
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_false(sg_loop_saturated());
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fake_sat_window(loop, &fc, w[i].work_ms, w[i].held_ms, w[i].wait_ms);
		if (sg_loop_saturated() != w[i].saturated || sg_loop_held_back() != w[i].held)
			fail_msg("window %zu: saturated %d held back %d", i, sg_loop_saturated(),
				 sg_loop_held_back());
	}
}

/* ---- busy polling, on the fake clock: each reading of it costs the
 * thread POLL_TICK_NS, so that a poll's spin moves the time on. */
#define POLL_TICK_NS 10000

/* --busy-poll on a loop with no events: it never polls, however long the
 * bound: 200 passes of 1 ms each block at once and look at nothing. */
static void test_loop_busy_poll_idle_without_events(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	uint64_t start = fc.now;

	fc.tick = POLL_TICK_NS;
	sg_loop_set_busy_poll(loop, 1000 * FAKE_MS);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(sg_loop_run_once(loop, 1), 0);
	assert_int_equal(fc.looks, 0);
	assert_int_equal(fc.waits, 200);
	assert_true(fc.now - start >= 200 * FAKE_MS);
	assert_int_equal(c->calls, 0);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* One event of c, dispatched by a pass that had nothing else to do. */
static void fake_event(struct sg_loop *loop, struct conn *c)
{
	int calls = c->calls;

	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, calls + 1);
}

/* --busy-poll 30ms: after an event the loop looks again and again, on its
 * CPU, until 30 ms have passed, then sleeps out the rest of a 150 ms
 * wait; a timer due within the bound ends the looking at its time. */
static void test_loop_busy_poll_bounded_after_an_event(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct test_timer tt;
	uint64_t run, start, due;
	unsigned looks, waits;

	fc.tick = POLL_TICK_NS;
	sg_loop_set_busy_poll(loop, 30 * FAKE_MS);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	fake_event(loop, c);
	run = fc.run;
	looks = fc.looks;
	waits = fc.waits;
	start = fc.now / FAKE_MS;
	assert_int_equal(sg_loop_run_once(loop, 150), 0);
	assert_true(fc.looks - looks >= 30 * FAKE_MS / POLL_TICK_NS / 2);
	assert_int_equal(fc.waits - waits, 1);
	/* It ran until 30 ms after the event, a few readings more at most. */
	assert_in_range(fc.run - run, 30 * FAKE_MS - 10 * POLL_TICK_NS,
			30 * FAKE_MS + 10 * POLL_TICK_NS);
	assert_in_range(sg_loop_now(loop) - start, 150, 151);

	fake_event(loop, c);
	init_timers(&tt, 1);
	due = sg_loop_now(loop) + 5;
	sg_timer_arm(loop, &tt.t, due);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(tt.count, 1);
	assert_int_equal(sg_loop_now(loop), due);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* count_cb for a stream that read in bulk (user/relay/relay.c does it). */
static void bulk_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	count_cb(loop, io, revents);
	sg_loop_bulk();
}

/* --busy-poll 30ms pauses for a millisecond after a bulk read: the wait
 * after the event that read in bulk blocks at once (the core goes to the
 * kernel moving those bytes), where after an ordinary event it polls
 * (test_loop_busy_poll_bounded_after_an_event); a thread held off its
 * core for that millisecond between the event and the wait finds the
 * pause over, and polls. */
static void test_loop_busy_poll_pauses_after_bulk(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, bulk_cb);
	unsigned looks;

	/* The loops of earlier tests on this thread are gone: no loop's
	 * pass runs here now, and this touches none. */
	sg_loop_bulk();
	fc.tick = POLL_TICK_NS;
	sg_loop_set_busy_poll(loop, 30 * FAKE_MS);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	fake_event(loop, c);
	looks = fc.looks;
	assert_int_equal(sg_loop_run_once(loop, 150), 0);
	assert_int_equal(fc.looks, looks);
	fake_event(loop, c);
	fake_held(&fc, 2 * FAKE_MS);
	assert_int_equal(sg_loop_run_once(loop, 150), 0);
	assert_true(fc.looks > looks);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* A sender on another core: each byte taken, the next comes 100 us
 * later, CLOSE_EVENTS in all. */
#define CLOSE_EVENTS 200

static void poke_again_cb(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct conn *c = io->data;

	count_cb(loop, io, revents);
	if (c->calls < CLOSE_EVENTS)
		fake_poke(&fc, c->wfd, 100000);
}

/* --busy-poll 1ms on a busy loop: events 100 us apart are caught by the
 * poll, so the loop never blocks (which costs a wake-up of the thread
 * each time); every event is dispatched. Without the poll it blocks
 * before every one. */
static void test_loop_busy_poll_catches_close_events(void **state)
{
	struct sg_loop *loop = *state;

	fc.tick = POLL_TICK_NS;
	for (int busy = 1; busy >= 0; busy--) {
		struct conn *c = conn_new(loop, poke_again_cb);
		unsigned waits = fc.waits;

		sg_loop_set_busy_poll(loop, (uint64_t)busy * FAKE_MS);
		assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
		fake_event(loop, c); /* it pokes the next */
		for (int i = 0; i < 10 * CLOSE_EVENTS && c->calls < CLOSE_EVENTS; i++)
			assert_int_equal(sg_loop_run_once(loop, 1000), 0);
		assert_int_equal(c->calls, CLOSE_EVENTS);
		assert_int_equal(fc.waits - waits, busy ? 0 : CLOSE_EVENTS - 1);
		assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
		conn_free(&c->closing);
	}
}

/* --coalesce in these tests: 5 ms, so that a window of the loop's
 * adaptation is SG_LOOP_NAP_WINDOW_NAPS naps long; the bytes of "late"
 * events come 1 ms into a pass. */
#define NAP_NS (5 * FAKE_MS)
#define WINDOW_MS ((int)(NAP_NS / FAKE_MS) * SG_LOOP_NAP_WINDOW_NAPS)
#define LATE_NS FAKE_MS

/* A window in which the loop waits all along: naps are worth trying. */
static void idle_window(struct sg_loop *loop)
{
	assert_int_equal(sg_loop_run_once(loop, WINDOW_MS), 0);
}

/* One event of c, at once: the loop is busy. */
static void one_busy_event(struct sg_loop *loop, struct conn *c)
{
	unsigned naps = fc.naps;

	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);
	assert_int_equal(fc.naps, naps);
	c->calls = 0;
}

/* One pass that takes the bytes written to `n` conns LATE_NS into it:
 * how long it took on the loop's clock, and whether it napped. */
struct late {
	uint64_t ns;
	unsigned naps;
};

static struct late late_events(struct sg_loop *loop, struct conn **c, int n)
{
	uint64_t start = fc.now;
	unsigned naps = fc.naps;

	for (int k = 0; k < n; k++)
		fake_poke(&fc, c[k]->wfd, LATE_NS);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	for (int k = 0; k < n; k++) {
		assert_int_equal(c[k]->calls, 1);
		c[k]->calls = 0;
	}
	assert_int_equal(sg_loop_now_ns(loop), fc.now);
	return (struct late){ fc.now - start, fc.naps - naps };
}

static struct late late_event(struct sg_loop *loop, struct conn *c)
{
	return late_events(loop, &c, 1);
}

/* A loop that had an event within the last millisecond, after a window
 * with time to spare, naps before it would block, so a byte that comes
 * 1 ms later is taken when the nap ends; a loop quiet for longer blocks
 * at once and takes the byte when it comes. */
static void test_loop_coalesce_naps_only_while_busy(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct late l;

	sg_loop_set_coalesce(loop, NAP_NS);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	idle_window(loop);
	one_busy_event(loop, c);
	l = late_event(loop, c);
	assert_int_equal(l.naps, 1);
	assert_int_equal(l.ns, NAP_NS);
	fake_advance_to(&fc, fc.now + 1000001); /* quiet a little over 1 ms */
	l = late_event(loop, c);
	assert_int_equal(l.naps, 0);
	assert_int_equal(l.ns, LATE_NS);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* Naps go on while each catches two senders' bytes; once
 * SG_LOOP_NAP_JUDGE naps in a row caught one each (a lone request and its
 * reply, which a nap only delays) the loop stops napping, after exactly
 * that many. */
static void test_loop_coalesce_stops_when_naps_catch_one_event(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c[2] = { conn_new(loop, count_cb), conn_new(loop, count_cb) };
	struct late l;

	sg_loop_set_coalesce(loop, NAP_NS);
	for (int k = 0; k < 2; k++)
		assert_int_equal(sg_io_set(loop, &c[k]->io, EPOLLIN), 0);
	idle_window(loop);
	one_busy_event(loop, c[0]);
	for (int i = 0; i < SG_LOOP_NAP_JUDGE + 1; i++) {
		l = late_events(loop, c, 2);
		assert_int_equal(l.naps, 1);
	}
	/* One caught of two in the last nap's judgement; then one each. */
	for (int i = 1; i < SG_LOOP_NAP_JUDGE; i++) {
		l = late_event(loop, c[0]);
		if (l.naps != 1)
			fail_msg("stopped napping after %d naps of one byte", i - 1);
	}
	l = late_event(loop, c[0]);
	assert_int_equal(l.naps, 0);
	assert_int_equal(l.ns, LATE_NS);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(sg_io_set(loop, &c[k]->io, 0), 0);
		conn_free(&c[k]->closing);
	}
}

/* A loop that was its own bottleneck for a whole window (never waiting)
 * does not nap: it would only idle in the nap and serve the same work
 * later. After a window with time to spare, it naps again. */
static void test_loop_coalesce_no_naps_without_time_to_spare(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	uint64_t until = fc.now + (uint64_t)WINDOW_MS * FAKE_MS;
	struct late l;

	sg_loop_set_coalesce(loop, NAP_NS);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	while (fc.now <= until) {
		one_busy_event(loop, c);
		fake_work(&fc, FAKE_MS); /* a request's worth of work */
	}
	l = late_event(loop, c);
	assert_int_equal(l.naps, 0);
	assert_int_equal(l.ns, LATE_NS);
	idle_window(loop);
	one_busy_event(loop, c);
	l = late_event(loop, c);
	assert_int_equal(l.naps, 1);
	assert_int_equal(l.ns, NAP_NS);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* A timer due sooner than the nap would end skips it and fires at its
 * time; one due later lets the loop nap, and still fires at its time. */
static void test_loop_coalesce_keeps_timers_on_time(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct test_timer tt;
	const uint64_t in_ms[] = { NAP_NS / FAKE_MS - 1, NAP_NS / FAKE_MS + 5 };
	unsigned naps;

	sg_loop_set_coalesce(loop, NAP_NS);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	idle_window(loop);
	for (int i = 0; i < 2; i++) {
		uint64_t due;

		one_busy_event(loop, c);
		init_timers(&tt, 1);
		due = sg_loop_now(loop) + in_ms[i];
		sg_timer_arm(loop, &tt.t, due);
		naps = fc.naps;
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
		assert_int_equal(tt.count, 1);
		assert_int_equal(fc.naps - naps, i);
		assert_int_equal(sg_loop_now(loop), due);
	}
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* On the real clock: a coalescing loop given bytes from another thread
 * and a timer takes every byte and fires the timer, not before its due on
 * the loop's time, and within bounds that a loop ten times slower (a
 * sanitizer and a busy neighbour) still keeps. */
static void *poke_late(void *arg)
{
	const struct conn *c = arg;
	const struct timespec gap = { 0, 2000000 };

	for (int i = 0; i < 20; i++) {
		nanosleep(&gap, NULL);
		conn_poke(c);
	}
	return NULL;
}

static void test_loop_coalesce_real_clock(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	uint64_t start = sg_loop_now(loop);
	struct test_timer tt;
	pthread_t th;

	sg_loop_set_coalesce(loop, 50000);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	init_timers(&tt, 1);
	sg_timer_arm(loop, &tt.t, start + 30);
	assert_int_equal(pthread_create(&th, NULL, poke_late, c), 0);
	for (int i = 0; i < 1000 && (c->calls < 20 || !tt.count); i++)
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c->calls, 20);
	assert_int_equal(tt.count, 1);
	assert_true(fired.due[0] == start + 30);
	assert_true(sg_loop_now(loop) >= start + 30);
	assert_true(sg_loop_now(loop) < start + 5000);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

#define LOOP_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_fake, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LOOP_TEST(test_loop_timers_fire_in_deadline_order),
		LOOP_TEST(test_loop_equal_deadlines_fire_fifo),
		LOOP_TEST(test_loop_stop_from_middle_keeps_heap_order),
		FAKE_TEST(test_loop_rearmed_timer_fires_once_at_new_time),
		LOOP_TEST(test_loop_rearm_at_now_fires_once_per_pass),
		LOOP_TEST(test_loop_io_pipe_fires_epollin),
		LOOP_TEST(test_loop_io_adopt_hands_the_registration_over),
		LOOP_TEST(test_loop_io_set_zero_before_a_close_with_a_copy),
		LOOP_TEST(test_loop_io_set_zero_stops_callbacks),
		LOOP_TEST(test_loop_io_park_hands_over_or_goes_quiet),
		LOOP_TEST(test_loop_unseen_events_of_the_batch),
		LOOP_TEST(test_loop_close_queue_runs_after_callbacks),
		LOOP_TEST(test_loop_after_pass_runs_once_after_callbacks),
		LOOP_TEST(test_loop_after_pass_fifo_and_asked_again),
		LOOP_TEST(test_loop_after_pass_owner_closed_in_same_pass),
		LOOP_TEST(test_loop_stop_from_timer_ends_run),
		LOOP_TEST(test_loop_run_once_waits_until_next_timer),
		LOOP_TEST(test_loop_run_once_honours_max_wait),
		LOOP_TEST(test_loop_pending_io_dispatched_without_waiting),
		LOOP_TEST(test_loop_quiet_pass_gives_kept_blocks_back),
		LOOP_TEST(test_loop_wait_counts_from_the_call),
		LOOP_TEST(test_loop_busy_poll_real_clock),
		FAKE_TEST(test_loop_busy_poll_idle_without_events),
		FAKE_TEST(test_loop_busy_poll_bounded_after_an_event),
		FAKE_TEST(test_loop_busy_poll_pauses_after_bulk),
		FAKE_TEST(test_loop_saturated_only_when_it_never_waits),
		cmocka_unit_test(test_loop_saturation_takes_two_busy_windows),
		cmocka_unit_test(test_loop_saturation_held_back_takes_one_window),
		cmocka_unit_test(test_loop_held_back_is_remembered_for_a_minute),
		cmocka_unit_test(test_loop_saturation_sleep_from_the_kernels_account),
		LOOP_TEST(test_loop_held_back_on_its_core_is_saturated_in_one_window),
		LOOP_TEST(test_loop_held_by_a_cpu_quota_is_saturated),
		FAKE_TEST(test_loop_busy_poll_catches_close_events),
		FAKE_TEST(test_loop_timer_counts_from_the_pass),
		FAKE_TEST(test_loop_wait_ends_at_the_timer_or_the_event),
		FAKE_TEST(test_loop_coalesce_naps_only_while_busy),
		FAKE_TEST(test_loop_coalesce_stops_when_naps_catch_one_event),
		FAKE_TEST(test_loop_coalesce_no_naps_without_time_to_spare),
		FAKE_TEST(test_loop_coalesce_keeps_timers_on_time),
		LOOP_TEST(test_loop_coalesce_real_clock),
	};

	/* A broken loop would block in epoll_wait forever; fail instead. */
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

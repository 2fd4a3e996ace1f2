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
	assert_true(sg_loop_now(loop) < now + 1000);
	run_until_fired(loop, &tts[0], 20);
	assert_int_equal(tts[0].count, 1);
	assert_true(sg_loop_now(loop) >= now + 40);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(fired.n, 2);
}

static void rearm_now_cb(struct sg_loop *loop, struct sg_timer *t)
{
	record_cb(loop, t);
	sg_timer_arm(loop, t, sg_loop_now(loop));
}

/* sg_loop_saturated: a loop that never waits is, one that waits half the
 * time is not, and one that was stops being so once it waits. */
static void test_loop_saturated_only_when_it_never_waits(void **state)
{
	struct sg_loop *loop = *state;
	struct burner b;

	assert_false(sg_loop_saturated()); /* no pass has run on this thread */
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_false(sg_loop_saturated());
	burner_start(loop, &b, 2, 0);
	assert_int_equal(run_windows(loop, 3), 0);
	assert_true(sg_loop_saturated());
	/* Busy 1 ms in every 3: not saturated, and so no longer. */
	b.busy_ms = 1;
	b.gap_ms = 2;
	assert_int_equal(run_windows(loop, 3), 0);
	assert_false(sg_loop_saturated());
	b.busy_ms = 2;
	b.gap_ms = 0;
	assert_int_equal(run_windows(loop, 3), 0);
	assert_true(sg_loop_saturated());
	sg_timer_stop(loop, &b.t);
	assert_int_equal(run_windows(loop, 2), 0);
	assert_false(sg_loop_saturated());
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

/* Held back while a pump copied what it could have spliced, the loop
 * stays saturated and held through windows that sleep most of their time
 * (spliced, the worker has time to spare) until SG_LOOP_HELD_MEMORY_MS of
 * windows passed without another such hold; a later one starts the minute
 * again, and one long idle wait ends it at once. A hold with no such copy
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

	assert_true(sg_saturation_window(&s, window, 0, window / 2, false)); /* nothing copied */
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

/* An io whose fd is closed next is forgotten without an epoll_ctl: the
 * close drops the registration (the kernel lists it no more), and no
 * callback comes. */
static void test_loop_io_forget_leaves_it_to_the_close(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	int regs;

	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	conn_poke(c);
	regs = epoll_registrations();
	sg_io_forget(&c->io);
	assert_int_equal(c->io.events, 0);
	assert_int_equal(epoll_registrations(), regs); /* still there until the close */
	close(c->io.fd);
	c->io.fd = -1;
	assert_int_equal(epoll_registrations(), regs - 1);
	assert_int_equal(sg_loop_run_once(loop, 0), 0);
	assert_int_equal(c->calls, 0);
	close(c->wfd);
	free(c);
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

/* --busy-poll on a loop with no events: it never polls, however long the
 * bound, so 200 passes of 1 ms take their 200 ms of wall time and almost
 * no CPU. */
static void test_loop_busy_poll_idle_without_events(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct spent t;

	sg_loop_set_busy_poll(loop, 1000000000);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	t = timed_passes(loop, 200, 1);
	print_message("200 quiet passes of 1 ms: %llu ms, %llu us of CPU\n",
		      (unsigned long long)t.real_ms, (unsigned long long)t.cpu_us);
	assert_true(t.real_ms >= 199);
	assert_true(t.cpu_us < 40000);
	assert_int_equal(c->calls, 0);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* Milliseconds until a timer armed `in_ms` away fires, on a loop that has
 * just dispatched an event of `c` (a busy loop); the timer fires once. */
static uint64_t ms_to_timer_after_event(struct sg_loop *loop, struct conn *c, uint64_t in_ms)
{
	struct test_timer tt;
	uint64_t start, took;

	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	init_timers(&tt, 1);
	sg_timer_arm(loop, &tt.t, sg_loop_now(loop) + in_ms);
	start = mono_ms();
	for (int i = 0; i < 100 && tt.count == 0; i++)
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	took = mono_ms() - start;
	assert_int_equal(tt.count, 1);
	print_message("a timer %llu ms away fired after %llu ms\n", (unsigned long long)in_ms,
		      (unsigned long long)took);
	return took;
}

/* --busy-poll 30ms, one event of c, then a wait of 150 ms: what the wait
 * took (all of its 150 ms, with no other event). */
static struct spent wait_after_event(struct sg_loop *loop, struct conn *c)
{
	struct spent t;

	one_event(loop, c, 30000000);
	t = timed_passes(loop, 1, 150);
	print_message("150 ms wait after an event: %llu ms, %llu us of CPU\n",
		      (unsigned long long)t.real_ms, (unsigned long long)t.cpu_us);
	assert_true(t.real_ms >= 149);
	assert_int_equal(c->calls, 1);
	return t;
}

/* --busy-poll 30ms: after an event the loop polls, on its CPU, until 30 ms
 * have passed, then sleeps out the rest of a 150 ms wait; a timer due
 * within the bound ends the poll on time. */
static void test_loop_busy_poll_bounded_after_an_event(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct spent t = wait_after_event(loop, c);

	assert_true(t.cpu_us >= 5000);
	assert_true(t.cpu_us < 80000);

	/* Polling again after a second event; a timer 5 ms away fires at
	 * its time, not at the end of the 30 ms. */
	assert_true(ms_to_timer_after_event(loop, c, 5) < 25);
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
 * after the event that read in bulk sleeps at once (the core goes to the
 * kernel moving those bytes), where after an ordinary event it polls for
 * its 30 ms (test_loop_busy_poll_bounded_after_an_event). A thread held
 * off its core for that millisecond between the event and the wait (a
 * busy machine) finds the pause over and polls: it gets five tries, and a
 * loop that polls after every bulk read fails all five. */
static void test_loop_busy_poll_pauses_after_bulk(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, bulk_cb);
	struct spent t;

	/* The loops of earlier tests on this thread are gone: no loop's
	 * pass runs here now, and this touches none. */
	sg_loop_bulk();
	for (int try = 0; try < 5; try++) {
		c->calls = 0;
		t = wait_after_event(loop, c);
		if (t.cpu_us < 5000)
			break;
	}
	assert_true(t.cpu_us < 5000);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

struct poker {
	int fd;
	int n;
};

/* Another core's sender: a byte every 100 us. */
static void *poke_often(void *arg)
{
	const struct poker *p = arg;
	const struct timespec gap = { 0, 100000 };

	for (int i = 0; i < p->n; i++) {
		assert_int_equal(write(p->fd, "x", 1), 1);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

/* --busy-poll 1ms on a busy loop: events 100 us apart are caught by the
 * poll, so the loop seldom sleeps (a voluntary context switch each time it
 * does); every event is dispatched. Without the poll it sleeps before
 * nearly every one. */
static void test_loop_busy_poll_catches_close_events(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	struct poker p = { c->wfd, 2000 };
	struct rusage ru;
	long switches;
	pthread_t th;

	sg_loop_set_busy_poll(loop, 1000000);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	getrusage(RUSAGE_THREAD, &ru);
	switches = ru.ru_nvcsw;
	assert_int_equal(pthread_create(&th, NULL, poke_often, &p), 0);
	for (int i = 0; i < 100000 && c->calls < p.n; i++)
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	getrusage(RUSAGE_THREAD, &ru);
	switches = ru.ru_nvcsw - switches;
	print_message("%d events 100 us apart: the loop slept %ld times\n", c->calls, switches);
	assert_int_equal(c->calls, p.n);
	assert_true(switches < p.n / 4);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* Other cores' senders: one byte to each of `n` pipes after `delay_us`. */
struct late_poke {
	int fds[2];
	int n;
	long delay_us;
};

static void *poke_late(void *arg)
{
	const struct late_poke *p = arg;
	const struct timespec gap = { p->delay_us / 1000000, p->delay_us % 1000000 * 1000 };

	nanosleep(&gap, NULL);
	for (int i = 0; i < p->n; i++)
		assert_int_equal(write(p->fds[i], "x", 1), 1);
	return NULL;
}

/* Milliseconds until the bytes a thread writes to `n` (1 or 2) conns 2 ms
 * from now are all dispatched. */
static uint64_t ms_to_late_events(struct sg_loop *loop, struct conn **c, int n)
{
	struct late_poke lp = { { c[0]->wfd, n > 1 ? c[1]->wfd : -1 }, n, 2000 };
	uint64_t start = mono_ms();
	int calls = 0;
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, poke_late, &lp), 0);
	for (int i = 0; i < 100 && calls < n; i++) {
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
		calls = 0;
		for (int k = 0; k < n; k++)
			calls += c[k]->calls;
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	for (int k = 0; k < n; k++) {
		assert_int_equal(c[k]->calls, 1);
		c[k]->calls = 0;
	}
	return mono_ms() - start;
}

static uint64_t ms_to_late_event(struct sg_loop *loop, struct conn *c)
{
	return ms_to_late_events(loop, &c, 1);
}

/* --coalesce in these tests: 50 ms, to be told from a 2 ms wait on a
 * loaded machine; a window of the loop's adaptation is then
 * SG_LOOP_NAP_WINDOW_NAPS naps long. */
#define NAP_MS 50
#define NAPPED_MS 45 /* at least: a 2 ms-away byte taken after a nap */
#define PROMPT_MS 30 /* under: taken without one */
#define WINDOW_MS (NAP_MS * SG_LOOP_NAP_WINDOW_NAPS)

/* A window in which the loop waits all along: naps are worth trying. */
static void idle_window(struct sg_loop *loop)
{
	assert_int_equal(sg_loop_run_once(loop, WINDOW_MS + 5), 0);
}

/* A loop that had an event within the last millisecond, after a window
 * with time to spare, naps before it would block, so a byte written 2 ms
 * later is taken when the nap ends, not when it comes; a loop quiet for
 * longer blocks at once and is woken by the byte. */
static void test_loop_coalesce_naps_only_while_busy(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	const struct timespec quiet = { 0, 5000000 };
	uint64_t busy, idle;

	sg_loop_set_coalesce(loop, NAP_MS * 1000000ULL);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	idle_window(loop);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	assert_int_equal(c->calls, 1);
	c->calls = 0;
	busy = ms_to_late_event(loop, c);
	nanosleep(&quiet, NULL);
	idle = ms_to_late_event(loop, c);
	print_message("a byte 2 ms away: taken after %llu ms when busy, %llu ms when quiet\n",
		      (unsigned long long)busy, (unsigned long long)idle);
	assert_true(busy >= NAPPED_MS);
	assert_true(idle < PROMPT_MS);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* Naps go on while each catches two senders' bytes; once
 * SG_LOOP_NAP_JUDGE naps in a row caught one each (a lone request and its
 * reply, which a nap only delays) the loop stops napping. */
static void test_loop_coalesce_stops_when_naps_catch_one_event(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c[2] = { conn_new(loop, count_cb), conn_new(loop, count_cb) };
	uint64_t ms = 0;
	int napped = 0;

	sg_loop_set_coalesce(loop, NAP_MS * 1000000ULL);
	for (int k = 0; k < 2; k++)
		assert_int_equal(sg_io_set(loop, &c[k]->io, EPOLLIN), 0);
	idle_window(loop);
	conn_poke(c[0]);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	c[0]->calls = 0;
	for (int i = 0; i < SG_LOOP_NAP_JUDGE + 1; i++)
		assert_true(ms_to_late_events(loop, c, 2) >= NAPPED_MS);
	for (int i = 0; i < 2 * SG_LOOP_NAP_JUDGE; i++) {
		ms = ms_to_late_event(loop, c[0]);
		if (ms < PROMPT_MS)
			break;
		napped++;
	}
	print_message("%d naps of two bytes each, then %d of one; the next byte after %llu ms\n",
		      SG_LOOP_NAP_JUDGE + 1, napped, (unsigned long long)ms);
	assert_true(napped >= 1);
	assert_true(napped <= SG_LOOP_NAP_JUDGE);
	assert_true(ms < PROMPT_MS);
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
	uint64_t start, saturated, spare;

	sg_loop_set_coalesce(loop, NAP_MS * 1000000ULL);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	start = mono_ms();
	while (mono_ms() - start < WINDOW_MS + WINDOW_MS / 4) {
		const uint64_t until = mono_ms() + 1;

		conn_poke(c);
		assert_int_equal(sg_loop_run_once(loop, 1000), 0);
		while (mono_ms() < until)
			; /* a request's worth of work */
	}
	c->calls = 0;
	saturated = ms_to_late_event(loop, c);
	idle_window(loop);
	conn_poke(c);
	assert_int_equal(sg_loop_run_once(loop, 1000), 0);
	c->calls = 0;
	spare = ms_to_late_event(loop, c);
	print_message("a byte 2 ms away: taken after %llu ms after a saturated window, "
		      "%llu ms after an idle one\n",
		      (unsigned long long)saturated, (unsigned long long)spare);
	assert_true(saturated < PROMPT_MS);
	assert_true(spare >= NAPPED_MS);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

/* A timer due sooner than the nap is not delayed by it. */
static void test_loop_coalesce_keeps_timers_on_time(void **state)
{
	struct sg_loop *loop = *state;
	struct conn *c = conn_new(loop, count_cb);
	uint64_t took;

	sg_loop_set_coalesce(loop, NAP_MS * 1000000ULL);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	idle_window(loop);
	took = ms_to_timer_after_event(loop, c, 10);
	assert_true(took >= 9);
	assert_true(took < NAPPED_MS);
	assert_int_equal(sg_io_set(loop, &c->io, 0), 0);
	conn_free(&c->closing);
}

#define LOOP_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LOOP_TEST(test_loop_timers_fire_in_deadline_order),
		LOOP_TEST(test_loop_equal_deadlines_fire_fifo),
		LOOP_TEST(test_loop_stop_from_middle_keeps_heap_order),
		LOOP_TEST(test_loop_rearmed_timer_fires_once_at_new_time),
		LOOP_TEST(test_loop_rearm_at_now_fires_once_per_pass),
		LOOP_TEST(test_loop_io_pipe_fires_epollin),
		LOOP_TEST(test_loop_io_adopt_hands_the_registration_over),
		LOOP_TEST(test_loop_io_forget_leaves_it_to_the_close),
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
		LOOP_TEST(test_loop_busy_poll_idle_without_events),
		LOOP_TEST(test_loop_busy_poll_bounded_after_an_event),
		LOOP_TEST(test_loop_busy_poll_pauses_after_bulk),
		LOOP_TEST(test_loop_saturated_only_when_it_never_waits),
		cmocka_unit_test(test_loop_saturation_takes_two_busy_windows),
		cmocka_unit_test(test_loop_saturation_held_back_takes_one_window),
		cmocka_unit_test(test_loop_held_back_is_remembered_for_a_minute),
		cmocka_unit_test(test_loop_saturation_sleep_from_the_kernels_account),
		LOOP_TEST(test_loop_held_back_on_its_core_is_saturated_in_one_window),
		LOOP_TEST(test_loop_held_by_a_cpu_quota_is_saturated),
		LOOP_TEST(test_loop_busy_poll_catches_close_events),
		LOOP_TEST(test_loop_coalesce_naps_only_while_busy),
		LOOP_TEST(test_loop_coalesce_stops_when_naps_catch_one_event),
		LOOP_TEST(test_loop_coalesce_no_naps_without_time_to_spare),
		LOOP_TEST(test_loop_coalesce_keeps_timers_on_time),
	};

	/* A broken loop would block in epoll_wait forever; fail instead. */
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A clock that tests advance by hand (struct sg_clock, user/base/loop.h): a loop
 * that reads it decides by the times the test sets, however slow or busy
 * the host. Header-only, as saturate.h. */
#ifndef SG_TESTS_FAKECLOCK_H
#define SG_TESTS_FAKECLOCK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/epoll.h>
#include <unistd.h>

#include "user/base/loop.h"

#define FAKE_MS 1000000ull
#define FAKE_POKES 8

/* The time (ns), and the thread's account of it: ns it ran (fake_work)
 * and ns it was held back (fake_held); the rest it slept. A wait or a nap
 * moves the time on as far as it would have slept, and a byte the test
 * scheduled (fake_poke) is written to its real fd when the time comes to
 * it, where it ends a wait. Each reading costs the thread `tick` ns of
 * running (0 unless the test sets it: a busy poll spins until the time
 * moves). Counts the naps, the waits that blocked and the looks (waits
 * that may not block). */
struct fake_clock {
	uint64_t now, run, delay, tick;
	unsigned naps, waits, looks;
	struct {
		uint64_t at;
		int fd;
	} poke[FAKE_POKES];
	int npokes;
};

/* The earliest poke, or -1. */
static inline int fake_next_poke(const struct fake_clock *fc)
{
	int first = -1;

	for (int i = 0; i < fc->npokes; i++)
		if (first < 0 || fc->poke[i].at < fc->poke[first].at)
			first = i;
	return first;
}

/* The time moves on to `to`, writing each poke due on the way at its time. */
static inline void fake_advance_to(struct fake_clock *fc, uint64_t to)
{
	int i;

	while ((i = fake_next_poke(fc)) >= 0 && fc->poke[i].at <= to) {
		if (fc->poke[i].at > fc->now)
			fc->now = fc->poke[i].at;
		assert_int_equal(write(fc->poke[i].fd, "x", 1), 1);
		fc->poke[i] = fc->poke[--fc->npokes];
	}
	if (to > fc->now)
		fc->now = to;
}

/* A byte to `fd` `in_ns` from now. */
static inline void fake_poke(struct fake_clock *fc, int fd, uint64_t in_ns)
{
	assert_true(fc->npokes < FAKE_POKES);
	fc->poke[fc->npokes].at = fc->now + in_ns;
	fc->poke[fc->npokes].fd = fd;
	fc->npokes++;
}

/* The thread ran for `ns` (a callback's work, or the test's between
 * passes). */
static inline void fake_work(struct fake_clock *fc, uint64_t ns)
{
	fake_advance_to(fc, fc->now + ns);
	fc->run += ns;
}

/* The thread was runnable for `ns` without running (a CPU quota, or
 * another thread on its core). */
static inline void fake_held(struct fake_clock *fc, uint64_t ns)
{
	fake_advance_to(fc, fc->now + ns);
	fc->delay += ns;
}

static inline uint64_t fake_now_ns(void *ctx)
{
	struct fake_clock *fc = ctx;

	if (fc->tick)
		fake_work(fc, fc->tick);
	return fc->now;
}

/* Nothing ready: the time moves to the timeout or to the next poke, and
 * the wait looks again. A wait without a bound and with no poke to end
 * it would never end: the test fails. */
static inline int fake_wait(void *ctx, int epfd, struct epoll_event *evs, int max, int timeout_ms)
{
	struct fake_clock *fc = ctx;
	int n = epoll_wait(epfd, evs, max, 0);
	int first = fake_next_poke(fc);
	uint64_t to = fc->now + (uint64_t)timeout_ms * FAKE_MS;

	if (timeout_ms == 0)
		fc->looks++;
	if (n != 0 || timeout_ms == 0)
		return n;
	if (timeout_ms < 0 && first < 0)
		fail_msg("a wait on the fake clock with nothing to end it");
	if (first >= 0 && (timeout_ms < 0 || fc->poke[first].at < to))
		to = fc->poke[first].at;
	fc->waits++;
	fake_advance_to(fc, to);
	return epoll_wait(epfd, evs, max, 0);
}

static inline void fake_nap(void *ctx, uint64_t ns)
{
	struct fake_clock *fc = ctx;

	fc->naps++;
	fake_advance_to(fc, fc->now + ns);
}

static inline struct sg_thread_times fake_thread_times(void *ctx)
{
	const struct fake_clock *fc = ctx;

	return (struct sg_thread_times){ fc->run, fc->delay, true };
}

static const struct sg_clock fake_clock_ops = { fake_now_ns, fake_wait, fake_nap,
						fake_thread_times };

/* One saturation window (SG_LOOP_SAT_WINDOW_MS) of `loop`'s passes, each
 * after `work_ms` of work and `held_ms` held back, waiting up to
 * `wait_ms` (nothing comes). */
static inline void fake_sat_window(struct sg_loop *loop, struct fake_clock *fc, uint64_t work_ms,
				   uint64_t held_ms, int wait_ms)
{
	uint64_t until = fc->now + SG_LOOP_SAT_WINDOW_MS * FAKE_MS;

	while (fc->now < until) {
		fake_work(fc, work_ms * FAKE_MS);
		fake_held(fc, held_ms * FAKE_MS);
		assert_int_equal(sg_loop_run_once(loop, wait_ms), 0);
	}
}

/* `loop` reads `fc`, which starts at 1000 s (and 1 ns run: a thread that
 * ran not at all reads as a loop whose first window has not begun). */
static inline void fake_clock_start(struct sg_loop *loop, struct fake_clock *fc)
{
	*fc = (struct fake_clock){ .now = 1000000 * FAKE_MS, .run = 1 };
	sg_loop_set_clock(loop, &fake_clock_ops, fc);
}

#endif

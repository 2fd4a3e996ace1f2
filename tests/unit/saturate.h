/* Keeping a real event loop busy, for tests of what a worker does while
 * it is saturated (sg_loop_saturated). Header-only, as loopback.h. */
#ifndef SG_TESTS_SATURATE_H
#define SG_TESTS_SATURATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "user/loop.h"

/* CLOCK_MONOTONIC in ms, for the tests' deadlines and the burner. */
static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A timer that keeps its thread busy for `busy_ms` of wall time each time
 * it fires, then fires again `gap_ms` later. */
struct burner {
	struct sg_timer t;
	uint64_t busy_ms, gap_ms;
};

static inline void burner_cb(struct sg_loop *loop, struct sg_timer *t)
{
	struct burner *b = (struct burner *)((char *)t - offsetof(struct burner, t));
	uint64_t until = mono_ms() + b->busy_ms;

	while (mono_ms() < until)
		;
	sg_loop_update_time(loop);
	sg_timer_arm(loop, t, sg_loop_now(loop) + b->gap_ms);
}

static inline void burner_start(struct sg_loop *loop, struct burner *b, uint64_t busy_ms,
				uint64_t gap_ms)
{
	b->busy_ms = busy_ms;
	b->gap_ms = gap_ms;
	sg_timer_init(&b->t, burner_cb, NULL);
	sg_timer_arm(loop, &b->t, sg_loop_now(loop));
}

/* Runs passes (each waiting at most 10 ms) for `windows` saturation
 * windows and a little more: long enough for the loop's verdict to follow
 * what its timers and events make it do. Returns 0, or -1 if a pass
 * failed. */
static inline int run_windows(struct sg_loop *loop, int windows)
{
	uint64_t until = mono_ms() + (uint64_t)windows * SG_LOOP_SAT_WINDOW_MS + 10;

	while (mono_ms() < until)
		if (sg_loop_run_once(loop, 10) == -1)
			return -1;
	return 0;
}

#endif

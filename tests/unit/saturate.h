/* Keeping a real event loop busy, for tests of what a worker does while
 * it is saturated (sg_loop_saturated). Header-only, as loopback.h. */
#ifndef SG_TESTS_SATURATE_H
#define SG_TESTS_SATURATE_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "user/base/loop.h"

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

/* Another thread spinning on this thread's core, both pinned to it: CFS
 * gives each about half, so this thread is held back as under a CPU
 * quota of half a core. */
struct spinner {
	pthread_t thread;
	cpu_set_t was;
	atomic_bool stop;
};

static inline void *spinner_run(void *arg)
{
	struct spinner *s = arg;

	while (!atomic_load(&s->stop))
		;
	return NULL;
}

/* Returns 0, or -1 if the thread could not be pinned or started. */
static inline int spinner_start(struct spinner *s)
{
	pthread_attr_t attr;
	cpu_set_t one;
	int rc;

	atomic_init(&s->stop, false);
	if (pthread_getaffinity_np(pthread_self(), sizeof(s->was), &s->was) != 0)
		return -1;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0 ||
	    pthread_attr_init(&attr) != 0)
		return -1;
	rc = pthread_attr_setaffinity_np(&attr, sizeof(one), &one) == 0 &&
			     pthread_create(&s->thread, &attr, spinner_run, s) == 0
		     ? 0
		     : -1;
	pthread_attr_destroy(&attr);
	return rc;
}

static inline void spinner_stop(struct spinner *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(s->was), &s->was);
}

/* This thread in a cgroup of its own (the v1 cpu controller at
 * /sys/fs/cgroup/cpu, as `make bench`'s held rows) with a CFS quota of
 * `percent` of one CPU over 20 ms periods: the kernel throttles it once it
 * has run its share of a period, as a container's limit would. */
struct cpu_quota {
	char dir[96];
};

#define CPU_QUOTA_ROOT "/sys/fs/cgroup/cpu"

static inline int quota_write(const char *dir, const char *file, long v)
{
	char path[160];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!(f = fopen(path, "w")))
		return -1;
	rc = fprintf(f, "%ld\n", v) < 0 ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

/* Returns 0, or -1 where there is no such controller or no right to use
 * it (the caller skips). */
static inline int cpu_quota_start(struct cpu_quota *q, int percent)
{
	snprintf(q->dir, sizeof(q->dir), CPU_QUOTA_ROOT "/splicegate-test-%ld", (long)gettid());
	if (access(CPU_QUOTA_ROOT "/tasks", W_OK) != 0 ||
	    (mkdir(q->dir, 0755) != 0 && errno != EEXIST))
		return -1;
	if (quota_write(q->dir, "cpu.cfs_period_us", 20000) == 0 &&
	    quota_write(q->dir, "cpu.cfs_quota_us", 200L * percent) == 0 &&
	    quota_write(q->dir, "tasks", (long)gettid()) == 0)
		return 0;
	rmdir(q->dir);
	return -1;
}

/* Back to the root group, and the group goes. */
static inline void cpu_quota_stop(struct cpu_quota *q)
{
	quota_write(CPU_QUOTA_ROOT, "tasks", (long)gettid());
	rmdir(q->dir);
}

#endif

/* The per-thread event loop: epoll, a cached monotonic clock, an intrusive
 * (due, seq) min-heap of timers, deferred work and a close queue. The
 * contract is loop.h. */
#include "user/base/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "user/base/log.h"
#include "user/base/mem.h"

/* Events taken per epoll_wait; more simply wait for the next pass. */
#define SG_LOOP_BATCH 64
/* A loop is busy (sg_loop_set_coalesce) within this long of its last
 * event. */
#define SG_LOOP_BUSY_NS 1000000
/* Coalescing adapts (coalesce_adapt) by windows of this long, or of
 * SG_LOOP_NAP_WINDOW_NAPS naps (loop.h) when that is longer. */
#define SG_NAP_WINDOW_NS 2000000
/* A window without naps leads to napping when the loop spent at least
 * 1/SG_NAP_SLACK_DIV of it waiting. */
#define SG_NAP_SLACK_DIV 5
/* Windows of napping before one without, to look at the slack again;
 * windows without naps after naps that did not pay. */
#define SG_NAP_RUN_WINDOWS 15
#define SG_NAP_REST_WINDOWS 15
#define SG_HEAP_MIN_CAP 16

struct sg_loop {
	int epfd;
	bool stop;
	char name[16];		      /* sg_loop_set_name: who says what in its log lines */
	const struct sg_clock *clock; /* sg_loop_set_clock, with its ctx */
	void *clock_ctx;
	uint64_t now;
	uint64_t now_ns; /* the same reading, whole (durations in /metrics) */
	uint64_t timer_seq;
	struct sg_timer **heap;
	size_t heap_len;
	size_t heap_cap;
	/* FIFO so owners are released in the order they were queued. */
	struct sg_closing *close_head;
	struct sg_closing *close_tail;
	/* sg_loop_after_pass, FIFO too. */
	struct sg_deferred *after_head;
	struct sg_deferred *after_tail;
	struct sg_list pending; /* sg_io.pend */
	/* sg_loop_set_busy_poll: how long after the last event to keep
	 * polling, and when that event was (loop clock, ns). */
	uint64_t busy_poll_ns;
	/* sg_loop_bulk: when a stream of this loop last read in bulk (loop
	 * clock, ns). */
	uint64_t bulk_ns;
	/* sg_loop_set_coalesce: how long a busy loop naps before a wait
	 * that would block; whether this thread's timer slack was cut. */
	uint64_t coalesce_ns;
	bool slack_cut;
	uint64_t last_event_ns;
	/* coalesce_adapt's state: whether this window naps, how many more
	 * windows stay as they are, when the window began, the ns this loop
	 * spent waiting in it (naps included), and the naps being judged
	 * with the events they caught. */
	bool napping;
	uint32_t windows_left;
	uint64_t window_start_ns;
	uint64_t idle_ns;
	uint32_t naps;
	uint32_t nap_events;
	/* sg_loop_saturated: the current window's start and the ns waited
	 * in it (loop clock), the thread's times at its start (run is 0
	 * until the first pass), and the verdict of the whole windows so
	 * far. */
	uint64_t sat_start_ns;
	uint64_t sat_waited_ns;
	bool sat_spliceable; /* sg_loop_spliceable in this window */
	struct sg_thread_times sat_times;
	struct sg_saturation sat;
};

/* The loop whose pass runs (or last ran) on this thread, for sg_loop_bulk
 * and sg_loop_saturated; NULL once that loop is freed. */
static __thread struct sg_loop *running;

/* ---- timer heap ---------------------------------------------------------- */

static bool timer_before(const struct sg_timer *a, const struct sg_timer *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static void heap_place(struct sg_loop *loop, size_t idx, struct sg_timer *t)
{
	loop->heap[idx] = t;
	t->heap_idx = idx;
}

/* Moves heap[idx] towards the root; returns where it stopped. */
static size_t heap_sift_up(struct sg_loop *loop, size_t idx)
{
	struct sg_timer *t = loop->heap[idx];

	while (idx > 0) {
		size_t parent = (idx - 1) / 2;

		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_place(loop, idx, loop->heap[parent]);
		idx = parent;
	}
	heap_place(loop, idx, t);
	return idx;
}

static void heap_sift_down(struct sg_loop *loop, size_t idx)
{
	struct sg_timer *t = loop->heap[idx];

	for (;;) {
		size_t child = 2 * idx + 1;

		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!timer_before(loop->heap[child], t))
			break;
		heap_place(loop, idx, loop->heap[child]);
		idx = child;
	}
	heap_place(loop, idx, t);
}

/* Restores order around an entry whose key changed in either direction. */
static void heap_fix(struct sg_loop *loop, size_t idx)
{
	heap_sift_down(loop, heap_sift_up(loop, idx));
}

/* sg_timer_arm() returns void so that no caller on the data path has to handle
 * a failure it could do nothing sensible about. The array only ever grows by
 * doubling to a few KB per thousand timers; if realloc cannot find that, the
 * process is out of memory and about to fail everywhere, so dying loudly here
 * is more honest than limping on with a timer that silently never fires. */
static void heap_reserve_one(struct sg_loop *loop)
{
	size_t cap = loop->heap_cap ? loop->heap_cap * 2 : SG_HEAP_MIN_CAP;
	struct sg_timer **heap;

	if (loop->heap_len < loop->heap_cap)
		return;
	heap = reallocarray(loop->heap, cap, sizeof(*heap));
	if (!heap) {
		fprintf(stderr, "splicegate: out of memory growing timer heap to %zu\n", cap);
		abort();
	}
	loop->heap = heap;
	loop->heap_cap = cap;
}

static void heap_remove(struct sg_loop *loop, struct sg_timer *t)
{
	size_t idx = t->heap_idx;
	struct sg_timer *last = loop->heap[--loop->heap_len];

	t->heap_idx = SIZE_MAX;
	if (last == t)
		return;
	heap_place(loop, idx, last);
	heap_fix(loop, idx);
}

/* ---- timers -------------------------------------------------------------- */

void sg_timer_init(struct sg_timer *t, void (*cb)(struct sg_loop *, struct sg_timer *), void *data)
{
	t->due = 0;
	t->seq = 0;
	t->heap_idx = SIZE_MAX;
	t->cb = cb;
	t->data = data;
}

bool sg_timer_armed(const struct sg_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

/* Re-arming takes a fresh seq: it counts as being armed now for FIFO ties. */
void sg_timer_arm(struct sg_loop *loop, struct sg_timer *t, uint64_t due)
{
	t->due = due;
	t->seq = loop->timer_seq++;
	if (sg_timer_armed(t)) {
		heap_fix(loop, t->heap_idx);
		return;
	}
	heap_reserve_one(loop);
	heap_place(loop, loop->heap_len++, t);
	heap_sift_up(loop, t->heap_idx);
}

void sg_timer_stop(struct sg_loop *loop, struct sg_timer *t)
{
	if (sg_timer_armed(t))
		heap_remove(loop, t);
}

/* Fires every timer due by the cached `now` that was armed before this phase
 * began. A callback re-arming itself (or another) at or before `now` would
 * otherwise keep this loop spinning forever; instead such a timer waits for
 * the next pass, whose epoll timeout is then 0. Since the heap is ordered, the
 * first entry that may not fire ends the phase; anything behind it also runs
 * on the next pass, still in (due, seq) order. */
static void run_timers(struct sg_loop *loop)
{
	uint64_t seq_end = loop->timer_seq;

	while (loop->heap_len > 0) {
		struct sg_timer *t = loop->heap[0];

		if (t->due > loop->now || t->seq >= seq_end)
			break;
		heap_remove(loop, t);
		t->cb(loop, t);
	}
}

/* ---- close queue and deferred work --------------------------------------- */

/* `c` must start zeroed (owners are calloc'd); queueing twice is a no-op so
 * every path that gives up on an owner may simply ask for its close. */
void sg_loop_defer_close(struct sg_loop *loop, struct sg_closing *c,
			 void (*fn)(struct sg_closing *c))
{
	if (c->queued)
		return;
	c->queued = true;
	c->fn = fn;
	c->next = NULL;
	if (loop->close_tail)
		loop->close_tail->next = c;
	else
		loop->close_head = c;
	loop->close_tail = c;
}

void sg_loop_after_pass(struct sg_loop *loop, struct sg_deferred *d,
			void (*fn)(struct sg_deferred *d))
{
	if (d->queued)
		return;
	d->queued = true;
	d->fn = fn;
	d->next = NULL;
	if (loop->after_tail)
		loop->after_tail->next = d;
	else
		loop->after_head = d;
	loop->after_tail = d;
}

bool sg_deferred_queued(const struct sg_deferred *d)
{
	return d->queued;
}

/* Deferred work first, then the closings, one at a time: work asked for
 * by a closing's `fn` (or a closing queued by deferred work) lands on its
 * queue's tail and runs in this same drain, and deferred work still goes
 * before the closings left. So no deferred entry ever runs after its
 * owner's closing, whatever the order they were queued in (loop.h).
 * A closing's `fn` usually frees the memory holding `c`, so nothing
 * touches `c` after it. */
static void run_closing(struct sg_loop *loop)
{
	for (;;) {
		struct sg_deferred *d = loop->after_head;
		struct sg_closing *c = loop->close_head;

		if (d) {
			loop->after_head = d->next;
			if (!loop->after_head)
				loop->after_tail = NULL;
			d->next = NULL;
			d->queued = false;
			d->fn(d);
			continue;
		}
		if (!c)
			break;
		loop->close_head = c->next;
		if (!loop->close_head)
			loop->close_tail = NULL;
		c->next = NULL;
		c->queued = false;
		c->fn(c);
	}
}

/* ---- loop ---------------------------------------------------------------- */

uint64_t sg_loop_now(const struct sg_loop *loop)
{
	return loop->now;
}

uint64_t sg_loop_now_ns(const struct sg_loop *loop)
{
	return loop->now_ns;
}

static uint64_t clock_of(clockid_t id)
{
	struct timespec ts;

	/* These clocks with a valid pointer cannot fail. */
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

uint64_t sg_clock_ns(void)
{
	return clock_of(CLOCK_MONOTONIC);
}

static uint64_t monotonic_now(void *ctx)
{
	(void)ctx;
	return sg_clock_ns();
}

static int monotonic_wait(void *ctx, int epfd, struct epoll_event *evs, int max, int timeout_ms)
{
	(void)ctx;
	return epoll_wait(epfd, evs, max, timeout_ms);
}

static void monotonic_nap(void *ctx, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000),
			       .tv_nsec = (long)(ns % 1000000000) };

	(void)ctx;
	nanosleep(&ts, NULL);
}

static struct sg_thread_times thread_times(void *ctx);

static const struct sg_clock monotonic = { monotonic_now, monotonic_wait, monotonic_nap,
					   thread_times };

/* The loop's clock read now. */
static uint64_t clock_now(const struct sg_loop *loop)
{
	return loop->clock->now_ns(loop->clock_ctx);
}

void sg_loop_update_time(struct sg_loop *loop)
{
	loop->now_ns = clock_now(loop);
	loop->now = loop->now_ns / 1000000;
}

void sg_loop_set_clock(struct sg_loop *loop, const struct sg_clock *clock, void *ctx)
{
	loop->clock = clock ? clock : &monotonic;
	loop->clock_ctx = ctx;
	sg_loop_update_time(loop);
}

struct sg_loop *sg_loop_new(void)
{
	struct sg_loop *loop = calloc(1, sizeof(*loop));
	int err;

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd == -1) {
		err = errno;
		free(loop);
		errno = err;
		return NULL;
	}
	sg_loop_set_clock(loop, NULL, NULL);
	sg_list_init(&loop->pending);
	return loop;
}

void sg_loop_set_name(struct sg_loop *loop, const char *name)
{
	snprintf(loop->name, sizeof(loop->name), "%s", name);
}

/* Deferred work and closings still queued are run so their owners are not
 * leaked. Armed timers and registered ios are left alone: their owners may
 * already be gone. */
void sg_loop_free(struct sg_loop *loop)
{
	if (!loop)
		return;
	run_closing(loop);
	close(loop->epfd);
	free(loop->heap);
	if (running == loop)
		running = NULL;
	free(loop);
}

int sg_io_set(struct sg_loop *loop, struct sg_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };
	int op = io->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	/* Level-triggered: registering the same mask again changes nothing
	 * (and callers re-derive their masks after every step). */
	if (events == io->events)
		return 0;
	if (io->fd < 0) {
		io->events = events; /* registered by sg_io_attach() */
		return 0;
	}
	if (events == 0) {
		if (io->events == 0)
			return 0;
		/* Before the fd is closed, always: close() drops the interest
		 * only with the last descriptor of the socket, and a child
		 * forked meanwhile (an MCP stdio target, user/mcp/stdio.c)
		 * holds a copy of every fd until its exec. An interest left
		 * behind goes on reporting the socket's events with a pointer
		 * to freed memory, or to the next connection's io (the slab
		 * hands it out again): a fresh connection closed unanswered.
		 * EBADF, ENOENT: an owner that closed first; nothing to do. */
		if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL) == -1 && errno != EBADF &&
		    errno != ENOENT)
			return -1;
		io->events = 0;
		return 0;
	}
	if (epoll_ctl(loop->epfd, op, io->fd, &ev) == -1)
		return -1;
	io->events = events;
	return 0;
}

static void on_parked(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	(void)revents;
	sg_io_set(loop, io, 0);
}

void sg_io_park(struct sg_io *io)
{
	io->cb = on_parked;
}

int sg_io_attach(struct sg_loop *loop, struct sg_io *io, int fd)
{
	struct epoll_event ev = { .events = io->events, .data.ptr = io };

	io->fd = fd;
	if (io->events && epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		io->events = 0;
		return -1;
	}
	return 0;
}

int sg_io_adopt(struct sg_loop *loop, struct sg_io *to, struct sg_io *from)
{
	struct epoll_event ev = { .data.ptr = to };

	if (!from || !from->events)
		return 0;
	ev.events = from->events;
	from->events = 0;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, to->fd, &ev) == -1) {
		int err = errno;

		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, to->fd, NULL);
		errno = err;
		return -1;
	}
	to->events = ev.events;
	return 0;
}

void sg_io_pending(struct sg_loop *loop, struct sg_io *io, bool pending)
{
	if (pending == io->pending)
		return;
	io->pending = pending;
	if (pending)
		sg_list_insert_tail(&loop->pending, &io->pend);
	else
		sg_list_remove(&io->pend);
}

/* A pending io that asks for input makes the pass not wait. */
static bool input_pending(struct sg_loop *loop)
{
	struct sg_list *l;

	SG_LIST_FOR_EACH(l, &loop->pending)
		if (SG_LIST_ENTRY(l, struct sg_io, pend)->events & EPOLLIN)
			return true;
	return false;
}

/* Each pending io asking for input, once per pass: those in the list when
 * the pass began (a callback may add or remove ios meanwhile; a node
 * rotates to the tail before its callback, so it is never visited twice). */
static void dispatch_pending(struct sg_loop *loop)
{
	size_t n = 0;
	struct sg_list *l;

	SG_LIST_FOR_EACH(l, &loop->pending)
		n++;
	while (n-- && !sg_list_empty(&loop->pending)) {
		struct sg_io *io = SG_LIST_ENTRY(sg_list_first(&loop->pending), struct sg_io, pend);

		sg_list_remove(&io->pend);
		sg_list_insert_tail(&loop->pending, &io->pend);
		if (io->events & EPOLLIN)
			io->cb(loop, io, EPOLLIN);
	}
}

/* Timeout for epoll_wait from the earliest timer, capped by max_wait_ms. It is
 * computed from the time cached at the end of the previous wait, so it can
 * only be too long by the time the previous pass's callbacks took, as
 * nginx's timers. That is relied on: a deadline a callback sets a little
 * ahead of the pass's time (a body's batch window, SG_RELAY_BATCH_MS) is
 * waited for after a long pass instead of being spent by it. Counted from
 * a fresh clock, a held worker's 1 GiB upload ended its batches at once
 * and ran 20 % slower (scripts/BENCH.md, 2026-11-27 02:57 run). */
static int poll_timeout(struct sg_loop *loop, int max_wait_ms)
{
	uint64_t wait;

	if (input_pending(loop))
		return 0;
	if (loop->heap_len == 0)
		return max_wait_ms < 0 ? -1 : max_wait_ms;
	if (loop->heap[0]->due <= loop->now)
		return 0;
	wait = loop->heap[0]->due - loop->now;
	if (wait > INT_MAX)
		wait = INT_MAX;
	if (max_wait_ms >= 0 && (uint64_t)max_wait_ms < wait)
		wait = (uint64_t)max_wait_ms;
	return (int)wait;
}

/* When the earliest timer is due, in ns of the loop clock (a bound for a
 * poll or a nap); UINT64_MAX when none is armed. */
static uint64_t next_due_ns(const struct sg_loop *loop)
{
	return loop->heap_len ? loop->heap[0]->due * 1000000 : UINT64_MAX;
}

/* One look without blocking: the events ready, 0 for none (or a signal),
 * -1 on another error. */
static int poll_ready(struct sg_loop *loop, struct epoll_event *evs)
{
	int n = loop->clock->wait(loop->clock_ctx, loop->epfd, evs, SG_LOOP_BATCH, 0);

	return n == -1 && errno == EINTR ? 0 : n;
}

void sg_loop_set_busy_poll(struct sg_loop *loop, uint64_t ns)
{
	loop->busy_poll_ns = ns;
}

void sg_loop_bulk(void)
{
	if (running)
		running->bulk_ns = running->now_ns;
}

bool sg_saturation_window(struct sg_saturation *s, uint64_t span, uint64_t slept, uint64_t ran,
			  bool spliceable)
{
	bool was = s->saturated;
	uint64_t busy = span > slept ? span - slept : 0;
	bool held = ran * 4 < busy * 3;

	if (s->saturated)
		s->busy_windows = slept * 4 >= span ? 0 : SG_LOOP_SAT_WINDOWS;
	else if (slept * 10 >= span)
		s->busy_windows = 0;
	else if (held)
		s->busy_windows = SG_LOOP_SAT_WINDOWS; /* held back: at once */
	else
		s->busy_windows++;
	held = held && s->busy_windows >= SG_LOOP_SAT_WINDOWS;
	if (held && spliceable)
		s->held_left_ns = SG_LOOP_HELD_MEMORY_MS * 1000000ull;
	else
		s->held_left_ns -= s->held_left_ns < span ? s->held_left_ns : span;
	s->held = held || s->held_left_ns > 0;
	s->saturated = s->busy_windows >= SG_LOOP_SAT_WINDOWS || s->held;
	return s->saturated != was;
}

bool sg_loop_saturated(void)
{
	return running && running->sat.saturated;
}

bool sg_loop_held_back(void)
{
	return running && running->sat.held;
}

void sg_loop_spliceable(void)
{
	if (running)
		running->sat_spliceable = true;
}

/* This thread's times: from /proc/thread-self/schedstat (its first two
 * fields; read once a window, opened each time so that a loop holds no
 * descriptor for it) when the kernel keeps it, else the CPU clock alone.
 * The default clock's. */
static struct sg_thread_times thread_times(void *ctx)
{
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	unsigned long long run, delay;
	char buf[128];
	ssize_t n = -1;

	(void)ctx;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%llu %llu", &run, &delay) == 2)
			return (struct sg_thread_times){ run, delay, true };
	}
	return (struct sg_thread_times){ clock_of(CLOCK_THREAD_CPUTIME_ID), 0, false };
}

uint64_t sg_saturation_slept(uint64_t span, uint64_t waited, struct sg_thread_times was,
			     struct sg_thread_times now)
{
	uint64_t awake;

	if (!was.has_delay || !now.has_delay)
		return waited;
	awake = (now.run - was.run) + (now.delay - was.delay);
	return span > awake ? span - awake : 0;
}

/* After each pass, `waited` ns of which went in wait_events; a whole
 * window is judged by how long it slept (sg_saturation_slept). */
static void saturation_adapt(struct sg_loop *loop, uint64_t waited)
{
	uint64_t span = loop->now_ns - loop->sat_start_ns, slept;
	struct sg_thread_times now, was = loop->sat_times;

	/* The first window starts with the first pass, on the loop's thread,
	 * whose times it reads. */
	if (!was.run) {
		loop->sat_times = loop->clock->thread_times(loop->clock_ctx);
		loop->sat_start_ns = loop->now_ns;
		return;
	}
	loop->sat_waited_ns += waited;
	if (span < SG_LOOP_SAT_WINDOW_MS * 1000000ull)
		return;
	now = loop->clock->thread_times(loop->clock_ctx);
	slept = sg_saturation_slept(span, loop->sat_waited_ns, was, now);
	if (sg_saturation_window(&loop->sat, span, slept, now.run - was.run, loop->sat_spliceable))
		SG_DEBUG("%s%sevent loop %ssaturated: it slept %llu and ran %llu of the last %llu "
			 "us",
			 loop->name, loop->name[0] ? ": " : "",
			 loop->sat.saturated ? "" : "no longer ",
			 (unsigned long long)(slept / 1000),
			 (unsigned long long)((now.run - was.run) / 1000),
			 (unsigned long long)(span / 1000));
	loop->sat_start_ns = loop->now_ns;
	loop->sat_waited_ns = 0;
	loop->sat_spliceable = false;
	loop->sat_times = now;
}

/* Before a wait that would block: while the last event is less than the
 * busy-poll time old, look again without blocking (HAProxy's busy-polling,
 * bounded). An event caught that way costs its sender no wake-up of this
 * thread, which on a VM whose idle vCPU halts is an IPI and tens of µs of
 * the sender's core. The look stops at the bound, at the first timer due
 * and at max_wait_ms, so timers keep their time and a quiet loop (no event
 * for the bound) sleeps as it would without it. Returns the events found,
 * 0 when the blocking wait is next, -1 on an error other than EINTR. */
static int busy_poll(struct sg_loop *loop, struct epoll_event *evs, int max_wait_ms)
{
	uint64_t now = clock_now(loop);
	uint64_t until = loop->last_event_ns + loop->busy_poll_ns;
	int n;

	if (now - loop->bulk_ns < SG_LOOP_BUSY_NS)
		return 0; /* the core is the softirqs' that move the bulk */
	if (max_wait_ms >= 0 && now + (uint64_t)max_wait_ms * 1000000 < until)
		until = now + (uint64_t)max_wait_ms * 1000000;
	if (next_due_ns(loop) < until)
		until = next_due_ns(loop);
	while (now < until) {
		n = poll_ready(loop, evs);
		if (n != 0)
			return n;
		now = clock_now(loop);
	}
	return 0;
}

void sg_loop_set_coalesce(struct sg_loop *loop, uint64_t ns)
{
	loop->coalesce_ns = ns;
	loop->napping = false; /* the first window measures the slack */
	loop->windows_left = 0;
	loop->window_start_ns = clock_now(loop);
	loop->idle_ns = 0;
}

/* Before a wait that would block (nothing is ready), in a loop that had
 * an event within the last SG_LOOP_BUSY_NS and whose naps pay
 * (coalesce_adapt): sleep coalesce_ns on this thread's own timer, then
 * look without blocking. What arrived meanwhile is taken in one pass, and
 * its senders found no sleeper on the socket to wake: on a VM whose idle
 * vCPU halts, a wake-up is an IPI and tens of µs of the sender's core,
 * while the nap's timer fires on this one (scripts/BENCH.md, "Coalesced
 * wake-ups"). A quiet loop blocks at once, so an event after a pause is
 * served as before, and a timer due sooner than the nap skips it. Returns
 * the events found, 0 when the blocking wait is next, -1 on an error other
 * than EINTR. `now`: the loop's clock as the pass began. */
static int coalesce(struct sg_loop *loop, struct epoll_event *evs, uint64_t now)
{
	int n;

	if (!loop->napping || now - loop->last_event_ns > SG_LOOP_BUSY_NS ||
	    next_due_ns(loop) < now + loop->coalesce_ns)
		return 0;
	n = poll_ready(loop, evs);
	if (n != 0) /* no nap while there is work */
		return n;
	if (!loop->slack_cut) {
		/* The default 50 µs of slack would make a 20 µs nap 70. */
		prctl(PR_SET_TIMERSLACK, 1000UL);
		loop->slack_cut = true;
	}
	/* A signal may cut it short: look all the same. */
	loop->clock->nap(loop->clock_ctx, loop->coalesce_ns);
	n = poll_ready(loop, evs);
	if (n == -1)
		return -1;
	loop->naps++;
	loop->nap_events += (uint32_t)n;
	if (loop->naps == SG_LOOP_NAP_JUDGE) {
		/* One sender's reply at a time (a lone request and response)
		 * is only delayed by a nap: stop, and try again later. */
		if (loop->nap_events < SG_LOOP_NAP_JUDGE * SG_LOOP_NAP_MIN_YIELD) {
			loop->napping = false;
			loop->windows_left = SG_NAP_REST_WINDOWS;
		}
		loop->naps = loop->nap_events = 0;
	}
	return n;
}

/* After each pass of a coalescing loop, `idle` ns of which were spent
 * waiting. A nap pays when it catches the events of several senders that
 * would each have woken the thread, and only when the thread has time to
 * spare: one that is itself the bottleneck would only idle in it, and
 * work through the same requests later. So naps come in windows: after a
 * window without naps in which the loop waited at least
 * 1/SG_NAP_SLACK_DIV of the time, it naps for SG_NAP_RUN_WINDOWS windows,
 * then looks at its slack again in one without. Naps that catch fewer
 * than SG_LOOP_NAP_MIN_YIELD events each (coalesce) stop it for
 * SG_NAP_REST_WINDOWS windows. */
static void coalesce_adapt(struct sg_loop *loop, uint64_t idle)
{
	uint64_t span = loop->now_ns - loop->window_start_ns;
	uint64_t window = loop->coalesce_ns * SG_LOOP_NAP_WINDOW_NAPS;

	loop->idle_ns += idle;
	if (span < (window > SG_NAP_WINDOW_NS ? window : SG_NAP_WINDOW_NS))
		return;
	if (loop->windows_left > 0) {
		loop->windows_left--;
	} else if (loop->napping) {
		loop->napping = false; /* a window to measure the slack */
	} else if (loop->idle_ns * SG_NAP_SLACK_DIV >= span) {
		loop->napping = true;
		loop->windows_left = SG_NAP_RUN_WINDOWS - 1;
		loop->naps = loop->nap_events = 0;
	}
	loop->window_start_ns = loop->now_ns;
	loop->idle_ns = 0;
}

/* What is left of max_wait_ms (-1: no bound) of a wait that began at
 * `start` (loop clock, ms). */
static int wait_left(const struct sg_loop *loop, uint64_t start, int max_wait_ms)
{
	uint64_t spent = loop->now - start;

	if (max_wait_ms <= 0)
		return max_wait_ms;
	return spent >= (uint64_t)max_wait_ms ? 0 : max_wait_ms - (int)spent;
}

/* A signal must not stretch the wait: on EINTR the timeout is recomputed from
 * a fresh clock and from what is left of max_wait_ms. `now_ns` is a clock
 * reading taken just before (the loop's clock): max_wait_ms counts from it, so a
 * thread held up since the last pass still waits all it was asked to. */
static int wait_events(struct sg_loop *loop, struct epoll_event *evs, int max_wait_ms,
		       uint64_t now_ns)
{
	uint64_t start = now_ns / 1000000;
	int n;

	if (loop->coalesce_ns && poll_timeout(loop, max_wait_ms) != 0) {
		n = coalesce(loop, evs, now_ns);
		if (n != 0)
			return n;
		sg_loop_update_time(loop);
		max_wait_ms = wait_left(loop, start, max_wait_ms);
	}
	if (loop->busy_poll_ns && poll_timeout(loop, max_wait_ms) != 0) {
		n = busy_poll(loop, evs, max_wait_ms);
		if (n != 0)
			return n;
		sg_loop_update_time(loop);
		max_wait_ms = wait_left(loop, start, max_wait_ms);
	}
	for (;;) {
		n = loop->clock->wait(loop->clock_ctx, loop->epfd, evs, SG_LOOP_BATCH,
				      poll_timeout(loop, max_wait_ms));
		if (n != -1 || errno != EINTR)
			return n;
		sg_loop_update_time(loop);
		max_wait_ms = wait_left(loop, start, max_wait_ms);
	}
}

/* Owners of ios are released only from the close queue, which runs after
 * this, so every io pointer in the batch is still valid memory even if an
 * earlier callback unregistered it or queued its owner for close. Such an io
 * has events == 0 and is skipped; an io whose interest changed only sees the
 * events it still asks for (plus error/hangup, which epoll always reports). */
static void dispatch_io(struct sg_loop *loop, const struct epoll_event *evs, int n)
{
	/* Every io of the batch is alive here: closes are deferred past it. */
	for (int i = 0; i < n; i++)
		((struct sg_io *)evs[i].data.ptr)->unseen = evs[i].events;
	for (int i = 0; i < n; i++) {
		struct sg_io *io = evs[i].data.ptr;
		uint32_t revents = evs[i].events & (io->events | EPOLLERR | EPOLLHUP);

		io->unseen = 0;
		if (io->events == 0 || revents == 0)
			continue;
		io->cb(loop, io, revents);
	}
}

int sg_loop_run_once(struct sg_loop *loop, int max_wait_ms)
{
	struct epoll_event evs[SG_LOOP_BATCH];
	uint64_t before = clock_now(loop);
	int n;

	running = loop;
	n = wait_events(loop, evs, max_wait_ms, before);

	if (n == -1)
		return -1;
	sg_loop_update_time(loop);
	saturation_adapt(loop, loop->now_ns - before);
	if (loop->coalesce_ns)
		coalesce_adapt(loop, loop->now_ns - before);
	if (n > 0)
		loop->last_event_ns = loop->now_ns;
	dispatch_io(loop, evs, n);
	dispatch_pending(loop);
	run_timers(loop);
	run_closing(loop);
	/* No socket had news: the blocks this thread keeps for reuse go back
	 * to malloc, so that a quiet worker holds none (user/base/mem.h). */
	if (n == 0)
		sg_mem_drain();
	return 0;
}

/* The flag is cleared on return so the loop can be run again. */
int sg_loop_run(struct sg_loop *loop)
{
	int ret = 0;

	while (!loop->stop) {
		ret = sg_loop_run_once(loop, -1);
		if (ret == -1)
			break;
	}
	loop->stop = false;
	return ret;
}

void sg_loop_stop(struct sg_loop *loop)
{
	loop->stop = true;
}

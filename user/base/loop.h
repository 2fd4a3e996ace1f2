/* The event loop: one per worker thread. epoll for I/O, a cached monotonic
 * clock, an intrusive min-heap of timers, work deferred to the end of the
 * pass and a close queue (libuv's shape). Each pass: next timeout ->
 * epoll_wait -> I/O callbacks -> expired timers -> deferred work, then the
 * close queue. */
#ifndef SG_LOOP_H
#define SG_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/base/list.h"

struct sg_loop;

/* An fd watched by the loop. Owned by whoever embeds it; the loop only keeps
 * a pointer while it is registered. */
struct sg_io {
	int fd;
	uint32_t events; /* EPOLL* mask currently registered, 0 = not registered */
	void (*cb)(struct sg_loop *loop, struct sg_io *io, uint32_t revents);
	void *data;
	bool pending;	     /* sg_io_pending */
	struct sg_list pend; /* in the loop's pending list while `pending` */
	/* Events epoll reported for it in the batch being dispatched, not yet
	 * given to cb (0 once given, and outside a dispatch): an owner that
	 * takes over an io in the middle of a batch can tell it has news. */
	uint32_t unseen;
};

/* A one-shot timer embedded in its owner. `due` is absolute loop time in ms;
 * timers with equal `due` fire in the order they were armed. */
struct sg_timer {
	uint64_t due;
	uint64_t seq;	 /* FIFO tie-break, set by sg_timer_arm */
	size_t heap_idx; /* position in the heap, SIZE_MAX when not armed */
	void (*cb)(struct sg_loop *loop, struct sg_timer *t);
	void *data;
};

/* Something whose memory may only be released after the current dispatch:
 * mark it with sg_loop_defer_close() inside a callback and the loop calls
 * `fn` once the pass's I/O and timer callbacks and its deferred work
 * (sg_loop_after_pass) are done. */
struct sg_closing {
	struct sg_closing *next;
	void (*fn)(struct sg_closing *c);
	bool queued;
};

struct sg_loop *sg_loop_new(void);
void sg_loop_free(struct sg_loop *loop);
/* The loop's name in its log lines ("worker 0: event loop saturated"),
 * cut at 15 bytes; none by default. */
void sg_loop_set_name(struct sg_loop *loop, const char *name);

/* The loop's time: its clock read once per pass, when the pass's wait
 * ends, and cached (nginx's ngx_current_msec), in ms. Timers are judged
 * against it: a timer never fires before its `due` on this reading. But a
 * callback that arms `sg_loop_now(loop) + d` counts d from the reading,
 * not from the moment it runs, so measured from that moment the timer may
 * fire early by the length of the pass so far plus under a millisecond
 * (the reading is the clock's whole ms, rounded down). That is the
 * contract, relied on (poll_timeout, user/base/loop.c): a deadline a callback
 * sets a little ahead is not spent by the callbacks before it. Whoever
 * needs "at least d from now" calls sg_loop_update_time first. */
uint64_t sg_loop_now(const struct sg_loop *loop);
/* The same cached reading in ns (for durations finer than a ms). */
uint64_t sg_loop_now_ns(const struct sg_loop *loop);
/* CLOCK_MONOTONIC (ns) read now, the default clock's (sg_loop_set_clock),
 * for work that has no loop at hand or must not wait for the next pass's
 * reading (a rate limit's bucket, a request's end: sg_attempt_over
 * compares it with the loop's time, so only on a loop that keeps the
 * default clock). */
uint64_t sg_clock_ns(void);
/* Reads the loop's clock into its cached time now. */
void sg_loop_update_time(struct sg_loop *loop);

/* What the kernel says of a thread's time: ns it ran, and ns it was
 * runnable without running (on a runqueue: another thread had its core,
 * or its cgroup's CPU quota was spent), when it says (has_delay:
 * /proc/thread-self/schedstat). */
struct sg_thread_times {
	uint64_t run, delay;
	bool has_delay;
};

struct epoll_event;

/* Where a loop's time comes from: everything in it that reads, spends or
 * waits for time goes through these (its cached time, timers, the waits
 * and their bounds, busy polling, naps, the saturation and coalescing
 * windows, and so what sg_loop_saturated tells the relay). The default is
 * CLOCK_MONOTONIC, epoll_wait, nanosleep and the kernel's account of the
 * thread. A test gives a loop a clock it advances by hand (a wait or nap
 * moves it on as far as it would have slept), so that its decisions are
 * exact and no slower or busier host changes them. `ctx` is the clock's
 * own, passed back to each. */
struct sg_clock {
	uint64_t (*now_ns)(void *ctx);
	/* epoll_wait, the timeout (ms, -1 none) on this clock. */
	int (*wait)(void *ctx, int epfd, struct epoll_event *evs, int max, int timeout_ms);
	/* Sleep ns; a signal may cut it short. */
	void (*nap)(void *ctx, uint64_t ns);
	/* The calling thread's times. */
	struct sg_thread_times (*thread_times)(void *ctx);
};

/* From now on `loop` reads `clock` (NULL: the default), which with `ctx`
 * must outlive it or be replaced first; the cached time is read from it
 * at once. A clock that only moves when told must not be used with busy
 * polling (sg_loop_set_busy_poll), which spins until the clock moves. */
void sg_loop_set_clock(struct sg_loop *loop, const struct sg_clock *clock, void *ctx);

/* Register, change or remove interest. `events` 0 removes. Returns 0 or -1
 * with errno set. An io whose fd is -1 (its socket does not exist yet: a
 * backend connection waiting for its name) only records the mask. */
int sg_io_set(struct sg_loop *loop, struct sg_io *io, uint32_t events);

/* io's owner is done with it and hands it on (a backend connection going
 * back to its pool, or to be closed): its interest stays registered as it
 * is, so that a next owner asking for the same mask costs no epoll_ctl,
 * and an event that comes before the next owner sets its callback turns
 * the interest off (sg_io_set 0) instead of reaching the old owner. */
void sg_io_park(struct sg_io *io);
/* The io's fd exists now: registers the mask recorded meanwhile. Returns 0
 * or -1 with errno (nothing registered then). */
int sg_io_attach(struct sg_loop *loop, struct sg_io *io, int fd);

/* `to`, the io of a socket's next owner, takes over the interest `from`
 * registered for the same fd, with from's mask: one EPOLL_CTL_MOD points
 * the registration at `to`, where removing it and registering it again
 * were two epoll_ctl (a TLS connection handed from its handshake to its
 * frontend). from is left unregistered. An unregistered or NULL from:
 * nothing, `to` registers on its own. Returns 0 or -1 with errno (then
 * neither is registered, and sg_io_set registers `to` as usual). */
int sg_io_adopt(struct sg_loop *loop, struct sg_io *to, struct sg_io *from);

/* Input is buffered above the socket (decrypted TLS records epoll cannot
 * see): while `pending`, each pass dispatches io->cb(EPOLLIN) without
 * waiting, whenever io's mask asks for EPOLLIN. The owner clears it
 * before the io's memory goes (sg_tls_free does). */
void sg_io_pending(struct sg_loop *loop, struct sg_io *io, bool pending);

/* Keep polling epoll without blocking until `ns` have passed since the
 * last event, before a wait that would block (0: never, the default;
 * user/base/loop.c, busy_poll): under load the thread seldom sleeps, so whoever
 * sends to it seldom pays for waking it, at the cost of its core while
 * events keep coming and for `ns` after the last. */
void sg_loop_set_busy_poll(struct sg_loop *loop, uint64_t ns);
/* A stream on the loop running on this thread read in bulk: busy polling
 * stops for a millisecond, leaving the core to the kernel's work of
 * moving those bytes (nothing when no loop runs on this thread). */
void sg_loop_bulk(void);

/* Whether the loop running on this thread is saturated: in each of its
 * last SG_LOOP_SAT_WINDOWS windows of SG_LOOP_SAT_WINDOW_MS it slept less
 * than a tenth of the time (sg_saturation_slept: time it could not run,
 * under a CPU quota or a busier thread on its core, counts as busy); it
 * stops being so after a window in which it slept a quarter of the time
 * or more. Two windows, not one: a core that is only briefly full (a
 * burst of downloads starting) is not one the proxy holds back. One is
 * enough when the thread was held back in it (it ran under three quarters
 * of the time it was awake: a CPU quota, or another thread on its core),
 * and a loop held back while a pump that can splice moved bytes stays
 * saturated for SG_LOOP_HELD_MEMORY_MS after the last such window
 * (sg_loop_held_back). false when no loop
 * runs on this thread. A pump that can move its bytes more cheaply than
 * it does asks this (user/relay/relay.h, `adapt`). */
#define SG_LOOP_SAT_WINDOW_MS 50
#define SG_LOOP_SAT_WINDOWS 2
bool sg_loop_saturated(void);

/* The loop's thread was held back in its last window (it ran under three
 * quarters of the time it was runnable in a busy window: a CPU quota, or
 * another thread on its core), or within the last SG_LOOP_HELD_MEMORY_MS
 * of the loop's time in a window in which a pump that can splice moved
 * bytes, by either engine (sg_loop_spliceable). Such a hold is the deployment's, not a
 * burst's: spliced, the worker is no longer held back, and a body that
 * then started copied would hold it again (a held 1 GiB download copied
 * 5-46 % of its bytes when the loop forgot at the first window it slept
 * in). A pump already splicing counts too: bodies that began while the
 * loop was saturated splice from their first byte, and their hold is the
 * deployment's just the same. So every bulk pump splices while this holds, and one that splices
 * for it keeps splicing to its end (user/relay/relay.c, `adapt`). A hold with
 * nothing to splice (TLS, small requests) is not remembered: splicing is
 * not what would relieve it. The minute counts the loop's time, idle
 * waits included. */
#define SG_LOOP_HELD_MEMORY_MS 60000
bool sg_loop_held_back(void);

/* A pump on the loop running on this thread that can splice (an adapting
 * pump, user/relay/relay.c) moved bytes, copied or spliced: a hold in this
 * window is remembered (nothing when no loop runs on this thread). */
void sg_loop_spliceable(void);

/* That verdict, window by window: each loop keeps one (and its tests). */
struct sg_saturation {
	uint32_t busy_windows; /* in a row, each slept under a tenth */
	uint64_t held_left_ns; /* of SG_LOOP_HELD_MEMORY_MS: a hold remembered */
	bool saturated;
	bool held; /* the last window held the thread back, or one remembered */
};
/* A whole window of `span` ns, `slept` of them asleep (waiting for events
 * with none to take) and `ran` of them on a CPU, `spliceable` whether a pump
 * that can splice moved bytes in it. Returns whether the verdict
 * changed. */
bool sg_saturation_window(struct sg_saturation *s, uint64_t span, uint64_t slept, uint64_t ran,
			  bool spliceable);

/* How long a window of `span` ns slept, the thread's times at its start
 * and end known: the span less what it ran and what it waited runnable.
 * A thread held back by a CPU quota is mostly held inside epoll_wait
 * (woken, it cannot run until the quota's next period), which the loop's
 * own clock, `waited`, counts as sleep; that is the answer only when the
 * kernel does not say. */
uint64_t sg_saturation_slept(uint64_t span, uint64_t waited, struct sg_thread_times was,
			     struct sg_thread_times now);

/* While busy (an event within the last millisecond), sleep `ns` on the
 * thread's own timer before a wait that would block, then look without
 * blocking (0: never, the default; user/base/loop.c, coalesce): events that
 * come close together are taken in one pass and their senders seldom
 * have to wake the thread, at the cost of up to `ns` more latency for an
 * event that arrives during the nap. Only while it pays: the loop naps
 * for some windows (each the longer of a few ms and
 * SG_LOOP_NAP_WINDOW_NAPS naps) after one in which it had time to spare,
 * and stops for some when SG_LOOP_NAP_JUDGE naps in a row caught fewer
 * than SG_LOOP_NAP_MIN_YIELD events each (user/base/loop.c, coalesce_adapt,
 * has the numbers). Sets
 * the calling thread's timer slack to 1 µs on first use: call
 * sg_loop_run on one thread. */
#define SG_LOOP_NAP_WINDOW_NAPS 20
#define SG_LOOP_NAP_JUDGE 8
#define SG_LOOP_NAP_MIN_YIELD 2
void sg_loop_set_coalesce(struct sg_loop *loop, uint64_t ns);

void sg_timer_init(struct sg_timer *t, void (*cb)(struct sg_loop *, struct sg_timer *), void *data);
/* (Re)arm at absolute time `due` (ms, loop clock). */
void sg_timer_arm(struct sg_loop *loop, struct sg_timer *t, uint64_t due);
void sg_timer_stop(struct sg_loop *loop, struct sg_timer *t);
bool sg_timer_armed(const struct sg_timer *t);

void sg_loop_defer_close(struct sg_loop *loop, struct sg_closing *c,
			 void (*fn)(struct sg_closing *c));

/* Work to do once the current pass's I/O and timer callbacks are done (a
 * flush that gathers what all of them queued into one write). Embedded in
 * its owner, zeroed to start; `queued` is the loop's (sg_deferred_queued
 * reads it). */
struct sg_deferred {
	struct sg_deferred *next;
	void (*fn)(struct sg_deferred *d);
	bool queued;
};

/* Run `fn(d)` once, after the current pass's I/O and timer callbacks (or
 * from sg_loop_free, if the loop stops first). Asking again while `d` is
 * queued changes nothing, not even `fn`. Entries run in the order asked;
 * one asked for while they run (by `fn` itself too, once it has begun)
 * runs in the same drain, so `fn` must not ask for itself unconditionally.
 *
 * Deferred work runs before any closing still queued (sg_loop_defer_close),
 * whichever was queued first: an owner closed in the same pass, before or
 * after it asked, still has its memory when `fn` runs, and `fn` checks its
 * owner's own "closed" mark to skip the work. An owner whose closing has
 * already run must not ask. */
void sg_loop_after_pass(struct sg_loop *loop, struct sg_deferred *d,
			void (*fn)(struct sg_deferred *d));
/* Whether `d` waits to run. */
bool sg_deferred_queued(const struct sg_deferred *d);

/* Run until sg_loop_stop(). Returns 0, or -1 if epoll_wait failed. */
int sg_loop_run(struct sg_loop *loop);
/* One pass, waiting at most `max_wait_ms` (-1 = until the next timer). */
int sg_loop_run_once(struct sg_loop *loop, int max_wait_ms);
void sg_loop_stop(struct sg_loop *loop);

#endif

/* The relay: moves one direction of a proxied stream from a source socket to a
 * destination socket, non-blocking and byte-budgeted. This is the splice-engine
 * interface of DESIGN §5: `copy`, `splice`, and `sockmap`, where the kernel
 * moves the bytes and the pump only steers it (user/relay/sockmap.h). */
#ifndef SG_RELAY_H
#define SG_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/relay/sockmap.h"

enum sg_relay_engine {
	SG_RELAY_COPY,	  /* read() into a 64 KiB buffer, send(MSG_NOSIGNAL) out */
	SG_RELAY_SPLICE,  /* splice(2) src -> pipe -> dst; no copy through userspace */
	SG_RELAY_SOCKMAP, /* both sockets paired in the BPF socket map: the verdict
			   * redirects the budget's bytes; the pump forwards what
			   * it passes (see sg_pump_init_sockmap) */
};

/* A sockmap pump hands the kernel budgets of at least this many bytes;
 * smaller ones it moves itself (a budget costs three map operations). */
#define SG_RELAY_KERNEL_MIN (16 * 1024)

/* Bytes the copy engine reads at once to begin with, and the pipe size the
 * splice engine asks for (it keeps the default, usually 64 KiB, if the kernel
 * refuses). */
#define SG_RELAY_BUF_SIZE (64 * 1024)
#define SG_RELAY_PIPE_SIZE (256 * 1024)
/* A copy pump whose reads keep filling its buffer doubles it, up to
 * SG_RELAY_BUF_MAX, as long as the buffers grown past SG_RELAY_BUF_SIZE on
 * the calling thread (a worker) stay within SG_RELAY_GROWN_MAX: one read and
 * one write per MiB instead of per 64 KiB is what makes a bulk body as fast
 * through the copy engine as through nginx with 1 MiB buffers, and the
 * bound keeps a crowd of slow bulk readers from holding a MiB each
 * (scripts/BENCH.md, "Uploads: the copy engine's buffer"). */
#define SG_RELAY_BUF_MAX (1024 * 1024)
#define SG_RELAY_GROWN_MAX (64u * 1024 * 1024)

/* Batched reads: a body of known length from a plain socket that arrives
 * in bulk (a read of SG_RELAY_BUF_SIZE or more) wakes its reader only once
 * SG_RELAY_LOWAT bytes are queued (SO_RCVLOWAT), not on each segment: a
 * sender on another CPU wakes the proxy a few times per MiB instead of
 * dozens, which is what an upload from curl is limited by on two cores
 * (scripts/BENCH.md, "Uploads: batched wake-ups"). The owner opts in per
 * pump (`batch`) and bounds how long bytes may wait unread: while
 * sg_pump_batching(), for SG_RELAY_BATCH_MS, then it calls
 * sg_pump_unbatch(), so a body that slows down is read as it comes. */
#define SG_RELAY_LOWAT (512 * 1024)
#define SG_RELAY_BATCH_MS 2

/* One direction of a stream. Embedded in its owner (the connection), which
 * also owns src and dst: the pump never closes them. Zero it, then call
 * sg_pump_init(); call sg_pump_release() before freeing the owner.
 *
 * The owner may read the public fields at any time and may set `budget`
 * between runs: that is how a chunked body is moved one chunk at a time (set
 * budget to the chunk size, run until SG_PUMP_DONE, parse the next size line
 * from src yourself; the pump never reads past the budget). */
struct sg_pump {
	enum sg_relay_engine engine;
	int src, dst;
	uint64_t budget; /* bytes still to take from src (or prime); UINT64_MAX = until EOF */
	size_t pending;	 /* bytes taken from src or primed but not yet written to dst */
	uint64_t moved;	 /* bytes written to dst, total */
	/* TLS sessions on src / dst (copy engine only): NULL = plain socket. */
	struct sg_tls *src_tls, *dst_tls;
	/* The owner lets the pump batch src's wake-ups (see SG_RELAY_LOWAT):
	 * set after sg_pump_init, for a plain socket that stays open until
	 * the pump is done or the owner has called sg_pump_unbatch(). */
	bool batch;
	/* The owner lets the pump choose its engine as it goes (a copy pump
	 * of plain sockets, set after sg_pump_init): whenever nothing is
	 * staged, copy while the worker has time to spare and splice(2)
	 * while it is saturated (sg_loop_saturated), where moving page
	 * references instead of bytes leaves it more for everything else
	 * (scripts/BENCH.md, "Spliced when saturated"). `engine` is the
	 * one in use; `spliced` counts the bytes splice(2) moved. */
	bool adapt;
	uint64_t spliced;

	/* Engine-private below: do not touch. */
	bool eof;	      /* src returned 0; sticky */
	bool stay;	      /* adapt: spliced while held back, to the end */
	unsigned char *buf;   /* copy: buf_cap bytes once used, else NULL */
	size_t buf_cap;	      /* copy: SG_RELAY_BUF_SIZE, more once grown or after a
			       * large prime */
	bool full_read;	      /* copy: the last read filled the buffer */
	bool bulk;	      /* a read took SG_RELAY_BUF_SIZE or more */
	int lowat;	      /* SO_RCVLOWAT set on src; 0 = never set (1) */
	size_t off;	      /* copy: pending bytes start at buf + off */
	int pipe_rd, pipe_wr; /* splice: valid only while pipe_cap != 0 */
	size_t pipe_cap;      /* splice: pipe size in bytes, 0 = no pipe yet */
	struct sg_splice *ks; /* sockmap: the kernel side */
	struct sg_ksock *ksrc, *kdst;
	bool kbudget;	 /* sockmap: the kernel holds the budget */
	bool kdrained;	 /* sockmap: dst drained since src last resumed */
	uint64_t kacked; /* sockmap: ksrc->consumed at the last ack */
	uint64_t kredir; /* sockmap: src's redirected count at the budget */
	bool ksettled;	 /* sockmap: see sg_pump_kernel_carries */
	size_t extra;	 /* sockmap: bytes read past the budget, after pending */
};

enum sg_pump_status {
	SG_PUMP_DONE,	    /* budget reached and nothing pending */
	SG_PUMP_EOF,	    /* src hit EOF and nothing pending; a finite budget may
			     * be left over, the caller decides if that is an error */
	SG_PUMP_WANT_READ,  /* src would block: arm EPOLLIN on src, run again */
	SG_PUMP_WANT_WRITE, /* dst would block with bytes pending: arm EPOLLOUT on dst */
	SG_PUMP_AGAIN,	    /* max_bytes moved this call: run again later, no event needed */
	SG_PUMP_WAIT,	    /* sockmap: the kernel is still writing dst: run again in
			     * about a millisecond (or on any event) */
	SG_PUMP_ERROR,	    /* errno set; *err_side says where: 0 src, 1 dst */
};

/* After SG_PUMP_WANT_READ from a sockmap pump without a budget's end (a
 * tunnel): true when the kernel carries src's bytes with nothing passed
 * (sg_splice_settled), so that src need not be watched for EPOLLIN, whose
 * every redirected skb wakes the waiting thread for nothing: watch
 * EPOLLRDHUP alone (EOF), and run the pump on the ring's event for src
 * (user/relay/sockmap.h), which the next passed byte makes. False otherwise:
 * watch EPOLLIN as SG_PUMP_WANT_READ says. */
bool sg_pump_kernel_carries(const struct sg_pump *p);

/* Sets up `p` (zeroed by the caller) to move from `src` to `dst` with the
 * given budget. Allocates nothing: the buffer or pipe comes with first use.
 * src and dst should be non-blocking sockets; they stay the caller's. */
void sg_pump_init(struct sg_pump *p, enum sg_relay_engine engine, int src, int dst,
		  uint64_t budget);

/* A sockmap pump: src and dst are paired (sg_sockmap_pair) and ksrc/kdst
 * are their counters, which the pump keeps. Bytes the kernel passes are
 * recv()'d and forwarded behind the drain barrier; at EAGAIN the pump gives
 * the kernel the rest of the budget (when at least SG_RELAY_KERNEL_MIN) or
 * acks what it forwarded, and reports SG_PUMP_WANT_READ: arm EPOLLIN on src
 * (it fires for passed bytes only) and let the worker's ring call too. The
 * skb that straddles the budget's end is read whole: its bytes past the
 * body are kept (sg_pump_extra). SG_PUMP_DONE and SG_PUMP_EOF are reported
 * only once every byte of the body is in dst's send stream, so the owner
 * may then write to dst or shut it down. */
void sg_pump_init_sockmap(struct sg_pump *p, struct sg_splice *ks, int src, struct sg_ksock *ksrc,
			  int dst, struct sg_ksock *kdst, uint64_t budget);

/* After SG_PUMP_DONE of a sockmap pump: the bytes it read past the budget
 * (the next message's), valid until the pump is released or run again. */
/* Reads src and/or writes dst through TLS sessions (after sg_pump_init
 * with SG_RELAY_COPY). */
struct sg_tls;
void sg_pump_set_tls(struct sg_pump *p, struct sg_tls *src, struct sg_tls *dst);

size_t sg_pump_extra(const struct sg_pump *p, const char **data);

/* recv() from the pump's src for an owner that parses framing itself (a
 * chunked relay), counted as the engine needs. For a sockmap pump, an EOF
 * read while passed bytes are still on their way is -1 with EINPROGRESS
 * (run again after a millisecond, as for SG_PUMP_WAIT), and -1 with
 * ECONNABORTED once they stopped coming. */
ssize_t sg_pump_recv(struct sg_pump *p, void *buf, size_t len);

/* Moves as much as it can now: flushes pending bytes, then alternates between
 * taking at most `budget` bytes from src and writing them to dst. Stops after
 * about `max_bytes` written in this call (SG_PUMP_AGAIN) so that one fast
 * stream cannot starve the loop; SIZE_MAX means no limit. A call may write up
 * to one buffer or pipe load beyond max_bytes. EINTR is retried.
 *
 * Pending bytes are always flushed before SG_PUMP_DONE or SG_PUMP_EOF. On
 * SG_PUMP_ERROR, errno says why (a closed or reset dst gives EPIPE or
 * ECONNRESET) and *err_side (may be NULL) is 0 for src, 1 for dst; the stream
 * is then broken and the owner should close it. Failing to set up the buffer
 * or pipe on first use (ENOMEM, EMFILE) also reports side 0.
 *
 * SIGPIPE: the copy engine sends with MSG_NOSIGNAL, but splice(2) into a
 * socket has no such flag, so a process using SG_RELAY_SPLICE must ignore
 * SIGPIPE (the gateway does, at start-up). */
enum sg_pump_status sg_pump_run(struct sg_pump *p, size_t max_bytes, int *err_side);

/* Whether src's wake-ups are batched now: the owner gives the wait
 * SG_RELAY_BATCH_MS from this SG_PUMP_WANT_READ, then calls
 * sg_pump_unbatch(). */
bool sg_pump_batching(const struct sg_pump *p);

/* Puts src's SO_RCVLOWAT back to 1 (bytes already queued make it readable
 * at once) and batches no more on this pump. The pump does it itself at
 * SG_PUMP_DONE and SG_PUMP_EOF; an owner that ends the pump otherwise and
 * keeps src calls it while src is open. */
void sg_pump_unbatch(struct sg_pump *p);

/* The max_bytes every relay of the gateway passes to sg_pump_run: a fast
 * stream yields to the loop after about this much. Several grown copy
 * buffers (SG_RELAY_BUF_MAX) a turn, not one: the receiver of each write,
 * asleep between turns, is woken once a turn, and its wake-up is charged to
 * the sender (loopback runs the receiver's side in the sender's send). With
 * 1 MiB, eight concurrent uploads woke their backend's threads 2-3 times as
 * often as nginx (which reads a client until it has nothing) and lost to
 * it by 10-17 %; at 2 GB/s a turn is still about 2 ms. */
#define SG_PUMP_SLICE (4u << 20)

/* Queues `len` bytes the caller already read from src (body bytes that came
 * with a request head, say) so they are written after whatever is pending and
 * before anything still to be read from src. They count against the budget.
 * The bytes are copied: the caller keeps `data`.
 *
 * Returns 0, or -1 with errno: EINVAL if len exceeds a finite budget, ENOSPC
 * if the bytes do not fit (the copy buffer grows to hold them; the pipe
 * holds its size minus what is pending, which is
 * SG_RELAY_PIPE_SIZE or the kernel's default of 64 KiB, less only when the
 * user's pipe memory limit is hit), ENOMEM or the pipe2() error on setup. On
 * ENOSPC from the splice engine a prefix may already be queued (a pipe of
 * spliced pages can hold fewer bytes than its size): close the stream. */
int sg_pump_prime(struct sg_pump *p, const void *data, size_t len);

/* Frees the buffer and closes the pipe; pending bytes are dropped. Safe to
 * call twice, and on a pump that was only zeroed. */
void sg_pump_release(struct sg_pump *p);

/* "copy", "splice", "sockmap"; "?" for a value outside the enum. */
const char *sg_relay_engine_name(enum sg_relay_engine e);
/* Bytes of copy buffers grown past SG_RELAY_BUF_SIZE on the calling thread. */
size_t sg_relay_grown(void);

/* Parses "copy", "splice" or "sockmap" into *out. Returns 0, or -1 with errno EINVAL
 * (and *out untouched) for anything else. */
int sg_relay_engine_parse(const char *s, enum sg_relay_engine *out);

#endif

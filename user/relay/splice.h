/* The sockmap splice engine's kernel side: loads or opens the BPF program and
 * maps of bpf/splice.bpf.c, pairs sockets so the kernel moves their bytes,
 * and implements the protocol around it that DESIGN §5 requires (insertion
 * order, the SO_RCVLOWAT kick, budgets, the drain barrier, companion state,
 * counters), plus `splicegate bpf load|unload|status`. Only user/relay/splice.c
 * includes libbpf; nothing here exposes its types.
 *
 * The protocol, per direction src -> dst of a paired stream:
 * - Every byte src receives is either redirected (the kernel writes it to dst)
 *   or passed (it stays in src, and recv() on src returns it). Count the bytes
 *   you recv() from src since it was first paired: that is `consumed`.
 * - Passed bytes belong to you until you ack them: the kernel redirects
 *   nothing more from src until every passed byte is acked
 *   (sg_splice_ack / sg_splice_set_budget), so dst's stream stays in order.
 *   Before you write them (or anything) to dst, wait for the drain barrier
 *   (sg_splice_drained), or your bytes overtake redirected ones still queued.
 * - Bytes are passed when a budget ends (the skb that straddles the end is
 *   passed whole; you forward its body part and keep the rest), when dst's
 *   backlog is at the limit (a stalled reader), or when redirecting fails.
 *   So read src whenever it has bytes. epoll_wait reports EPOLLIN on src
 *   for passed bytes only (redirected skbs never reach the receive queue),
 *   but every redirected skb still wakes a thread that waits for EPOLLIN
 *   on src (the psock calls the socket's own data_ready after the verdict;
 *   the poll then finds nothing and epoll_wait sleeps again). The ring
 *   reports the first byte passed after an ack, and a budget the kernel
 *   finished on an skb boundary. A stream the kernel carries with
 *   nothing passed (sg_splice_settled) can therefore be watched without
 *   EPOLLIN, for EPOLLRDHUP alone (a FIN's wake-up carries no event mask
 *   and reaches it), and read again on the ring's event.
 * - Read passed bytes until EAGAIN, forward them, then ack at once: the
 *   kernel takes the stream back only if no new skb was passed in between.
 *   A sender that never pauses (each recv() reopens its TCP window) keeps a
 *   stream in userspace until it does pause; nothing is lost either way.
 *   No socket option can hold the verdict off meanwhile: with a verdict
 *   attached, recv() returns EAGAIN while the TCP receive queue is not
 *   empty, so SO_RCVLOWAT above 1 would block the passed bytes too.
 * - TCP may queue a retransmitted segment that overlaps bytes it already
 *   has, untrimmed, and sockmap hands the whole skb to the verdict: without
 *   a fix, whole 64 KiB skbs reach the peer twice (about every other 1 GiB
 *   run on a busy 2-vCPU loopback here). The program cuts such heads off;
 *   should that fail it passes the skb marked corrupt, and the calls below
 *   return -EPROTO: reset both sockets, never forward.
 * - EOF is not forwarded (fact 7): on EOF from src, drain, then
 *   shutdown(dst, SHUT_WR). A socket stays in the socket map until close()
 *   (fact 6): call sg_splice_forget() and then close().
 *
 * Thread safety: a struct sg_splice is read-only after open; every function
 * taking one may be called from any thread. A ring belongs to one thread. */
#ifndef SG_SPLICE_H
#define SG_SPLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/sg_abi.h"

/* Where `splicegate bpf load` pins the program, its link and its maps. */
#define SG_SPLICE_PIN_DIR "/sys/fs/bpf/splicegate"

/* sg_splice_side.budget for "the whole rest of the connection". */
#define SG_SPLICE_ALL UINT64_MAX

struct sg_splice;
struct sg_splice_ring;

struct sg_splice_opts {
	const char *pin_dir; /* NULL: SG_SPLICE_PIN_DIR; "": never use pinned objects */
	uint64_t backlog;    /* bytes, for a private load; 0: SG_BACKLOG_DEFAULT */
	uint32_t max_socks;  /* map entries, for a private load; 0: SG_MAX_SOCKS */
};

/* Opens the kernel side: the objects pinned under opts->pin_dir when they are
 * there (they stay loaded when this process exits), else a private load of
 * the program attached to a fresh socket map (gone when the last fd closes).
 * opts may be NULL. Returns the handle, which the caller owns, or NULL with
 * errno set and a one-line reason in err (always NUL-terminated when errlen >
 * 0): the caller reports the engine as unavailable and falls back (`--splice
 * auto`). Typical errno: EPERM (not root), ENOENT/EINVAL (kernel without
 * BPF sockmap), EPROTO (pinned objects from another build). */
struct sg_splice *sg_splice_open(const struct sg_splice_opts *opts, char *err, size_t errlen);

/* Closes the handle's fds: a private load detaches its program, and every
 * socket still in its map keeps working as a plain socket. NULL is fine. */
void sg_splice_close(struct sg_splice *s);

/* "pinned at DIR (backlog limit N bytes)" or "loaded privately (backlog
 * limit N bytes)", for the log. */
const char *sg_splice_describe(const struct sg_splice *s);

/* fd's socket cookie, the key of every map. Returns 0 or -errno. */
int sg_splice_cookie(int fd, uint64_t *cookie);

/* One side of a pair: the socket, the bytes you have recv()'d from it since
 * it was first paired (0 for a socket never paired before), how many of its
 * next bytes after those the kernel may redirect to the other side
 * (SG_SPLICE_ALL for a tunnel or TCP route, 0 to read the next head
 * yourself), and the backlog limit towards the other side in bytes (0: the
 * loaded default, SG_BACKLOG_DEFAULT unless `bpf load --backlog` said
 * otherwise). */
struct sg_splice_side {
	int fd;
	uint64_t consumed;
	uint64_t budget;
	uint64_t backlog;
};

/* Pairs two ESTABLISHED TCP sockets: from now on each one's bytes are
 * redirected to the other within its side's budget. Creates both sockets'
 * state and control entries, inserts each redirect target before its source
 * (b before a), then sets SO_RCVLOWAT=1 on both so that bytes queued before
 * insertion go through the verdict now (fact 3). A socket paired before (a
 * keep-alive client moving to another backend) keeps its entries and
 * counters: it is re-targeted, which it must allow (see sg_splice_set_budget:
 * its last budget used up, or bytes of its own passed and not yet acked).
 * Bytes arriving on b before a is inserted are passed (SG_V_NO_PEER).
 * `ring` (may be NULL) gets an event whenever either socket starts passing.
 * After pairing, the drain barrier counts your writes to each socket from
 * zero again.
 *
 * Returns 0, or -errno and the stream falls back to userspace, nothing lost:
 * -EOPNOTSUPP a socket is not ESTABLISHED (or not TCP), -E2BIG a map is
 * full, -EBUSY a known socket is still redirecting, -EINVAL bad consumed or
 * fd. After a failure a socket may stay in the socket map (removing one that
 * holds passed bytes loses them, fact 6), but with no control entry, so all
 * its bytes are passed and recv() sees them as usual; call sg_splice_forget()
 * before closing it as for any paired socket. (The kernel itself says EBUSY
 * for a socket that another map's verdict already owns.) */
int sg_splice_pair(struct sg_splice *s, const struct sg_splice_side *a,
		   const struct sg_splice_side *b, const struct sg_splice_ring *ring);

/* Acknowledges that you have read `consumed` bytes from fd since its first
 * pairing and dealt with every one (forwarded after the drain barrier, or
 * kept as a head), and lets the kernel redirect the next `budget` bytes after
 * them (SG_SPLICE_ALL: the rest of the stream). Call it when fd is not
 * redirecting: its previous budget is used up, or it has passed bytes (you
 * are reading them). That is the one-message-at-a-time step for HTTP bodies:
 * parse the head from passed bytes, forward head and body prefix, then
 * set_budget(consumed, body bytes still to come).
 *
 * Returns 0; -EBUSY if fd is redirecting inside an unfinished budget (a
 * race-free position is unknown then); -EINVAL if consumed exceeds the bytes
 * passed to you; -ENOENT if fd is not paired; -EPROTO if fd's stream is
 * corrupt (see above). */
int sg_splice_set_budget(struct sg_splice *s, int fd, uint64_t consumed, uint64_t budget);

/* Like sg_splice_set_budget, keeping the budget's end where it is: resume
 * redirecting after passed bytes (a backlog pass in mid-body) are dealt
 * with. Returns 0, -EINVAL, -ENOENT, -EPROTO as above. */
int sg_splice_ack(struct sg_splice *s, int fd, uint64_t consumed);

/* After your last ack (or budget) on the socket with this cookie: 1 when
 * you have consumed every byte passed to you, so that the next byte the
 * verdict passes is reported on the ring (watching src's EPOLLIN may stop);
 * 0 when more were passed since (keep EPOLLIN: their wake-up is coming, or
 * came). Reads `passed` after a full barrier, the order the verdict's
 * pass() relies on. Returns 1, 0 or -errno. */
int sg_splice_settled(struct sg_splice *s, uint64_t cookie, uint64_t consumed);

/* How many bytes of fd's current budget are left at your read position
 * `consumed`: of the passed bytes you are about to read, that many still
 * belong to the body (forward them), the rest is the next head. Sets *left
 * (UINT64_MAX without budget, 0 when used up). Meaningful while fd passes.
 * Returns 0 or -errno. */
int sg_splice_budget_left(struct sg_splice *s, int fd, uint64_t consumed, uint64_t *left);

/* The drain barrier (fact 5): returns 1 when every byte redirected to fd_dst
 * since it was paired is in fd_dst's send stream, i.e. TCP_INFO's bytes_sent
 * - bytes_retrans + notsent_bytes has reached its value at pairing + `written`
 * (bytes you wrote to fd_dst since pairing) + bytes its peer redirected to
 * it since pairing; 0 when not yet (the psock worker is behind; poll again,
 * a millisecond is plenty); -EPIPE when fd_dst is no longer ESTABLISHED or
 * CLOSE_WAIT (queued bytes were dropped with it); -EPROTO when the bytes you
 * are about to forward are corrupt (the source's stream; reset both); other
 * -errno on failure.
 * Call it before every write to fd_dst, before shutdown(fd_dst) and before
 * close(fd_dst) of a stream that ended well; the source side must not be
 * redirecting to fd_dst at the same time (it passes, or is at EOF). */
int sg_splice_drained(struct sg_splice *s, int fd_dst, uint64_t written);

/* sg_splice_drained() in a loop with short sleeps, for tests and tools: 0
 * once drained, -ETIMEDOUT after timeout_ms, or its other errors. */
int sg_splice_drain_wait(struct sg_splice *s, int fd_dst, uint64_t written, int timeout_ms);

/* Deletes fd's state and control entries (fact 6: the socket itself stays
 * in the socket map until close() removes it; later bytes are passed). Call
 * it right before close(fd): afterwards the maps hold only live
 * connections. Returns 0 (also when fd had no entries) or -errno. */
int sg_splice_forget(struct sg_splice *s, int fd);

/* One spliced socket, as GET /stats and `bpf status` show it. */
struct sg_splice_sock {
	uint64_t cookie;
	uint64_t bytes;	     /* received since first pairing */
	uint64_t redirected; /* of those, moved by the kernel */
	uint64_t passed;     /* of those, handed to userspace */
	uint64_t idle_ns;    /* since its last skb (or its pairing) */
	bool passing;	     /* its last skb was passed */
	bool corrupt;	     /* a duplicate could not be cut out: reset the stream */
};

/* Fills out[0..max) with the state of every paired socket, by batch lookup
 * (4 to 7 ms for 10k entries on the 2-vCPU test VM). Returns how many (at
 * most max; more may exist) or -errno. */
ssize_t sg_splice_stats(struct sg_splice *s, struct sg_splice_sock *out, size_t max);

/* fd's state; -ENOENT if not paired. */
int sg_splice_sock(struct sg_splice *s, int fd, struct sg_splice_sock *out);

/* Verdict counters summed over CPUs, indexed by enum sg_verdict. */
struct sg_splice_counters {
	uint64_t skbs[SG_V_MAX];
	uint64_t bytes[SG_V_MAX];
};

/* Reads the counters. Returns 0 or -errno. */
int sg_splice_counters(struct sg_splice *s, struct sg_splice_counters *out);

/* "redirect", "no_state", ...; "?" outside the enum. */
const char *sg_splice_verdict_name(unsigned v);

/* A notification ring for one consumer thread (a worker loop): the kernel
 * posts a socket's cookie when it starts passing bytes while it was
 * redirecting (at most once until you ack), and when it redirected the last
 * byte of a budget. Registered under an id unique to this process (pid and
 * a sequence number; up to 256 rings a process), so gateways sharing
 * pinned maps never see each other's events; SG_RING_BYTES (2 MiB) holds
 * one event per possible socket. Returns the ring (yours to close) or NULL
 * with errno and err set. */
struct sg_splice_ring *sg_splice_ring_open(struct sg_splice *s, char *err, size_t errlen);

/* Epoll fd material: EPOLLIN when events are waiting. */
int sg_splice_ring_fd(const struct sg_splice_ring *r);

/* Consumes every waiting event, calling fn(ctx, cookie, verdict) for each.
 * Returns how many, or -errno. */
int sg_splice_ring_read(struct sg_splice_ring *r,
			void (*fn)(void *ctx, uint64_t cookie, unsigned verdict), void *ctx);

/* Unregisters and frees the ring. Sockets paired with it post no more
 * events. NULL is fine. */
void sg_splice_ring_close(struct sg_splice_ring *r);

/* `splicegate bpf load|unload|status [--pin-dir DIR] [--backlog BYTES]`:
 * argv[0] is the subcommand. Prints to stdout, errors to stderr. Returns
 * the exit code: 0 ok, 1 usage, 2 failure. */
int sg_splice_cli(int argc, char **argv);

#endif

/* The sockmap engine as a worker sees it: which of its sockets are in the
 * kernel's socket map, the protocol counters each one needs (user/relay/splice.h
 * explains them), pairing a client with a backend, the worker's
 * notification ring, and forgetting a socket before it closes.
 *
 * A socket enters the map the first time one of its streams is spliced and
 * stays there until close (DESIGN §5 fact 6). From then on every byte the
 * owner recv()s from it and every byte it writes to it must be counted in
 * its struct sg_ksock (sg_ksock_read/sg_ksock_wrote), and it is read with
 * recv() only: splice(2) does not see the bytes the verdict passes. The
 * relay's sockmap engine (user/relay/relay.h) does both for body bytes.
 *
 * Wake-ups: a spliced source is watched with EPOLLIN, which on this kernel
 * fires only for bytes the verdict passes (redirected skbs never reach the
 * receive queue), so it costs nothing while the kernel moves a stream; the
 * ring adds the one event EPOLLIN cannot give: a budget that the kernel
 * finished exactly at an skb boundary. (The ring's pass events alone are not
 * enough: an ack that races with a verdict already deciding to pass leaves
 * that socket passing without an event.) */
#ifndef SG_SOCKMAP_H
#define SG_SOCKMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "user/base/loop.h"
#include "user/relay/splice.h"

/* Per socket, embedded in its owner (client connection or backend
 * connection) and zeroed with it. */
struct sg_ksock {
	uint64_t cookie;       /* valid once in_map */
	uint64_t peer;	       /* cookie of the socket it was last paired with */
	uint64_t consumed;     /* bytes recv()'d since first paired (before: since open) */
	uint64_t written;      /* bytes written since last paired */
	bool in_map;	       /* in the socket map: forget before close */
	bool failed;	       /* pairing failed once: plain recv/send from now on */
	bool eof_wait;	       /* read EOF with passed bytes on their way (sg_ksock_eof) */
	uint64_t eof_since;    /* CLOCK_MONOTONIC ms of the first such EOF */
	struct sg_io *io;      /* where ring events for it go */
	struct sg_ksock *next; /* hash chain */
};

/* Counts bytes read from (or written to) a socket; n may be -1 or 0. */
static inline void sg_ksock_read(struct sg_ksock *k, ssize_t n)
{
	if (n > 0) {
		k->consumed += (uint64_t)n;
		k->eof_wait = false;
	}
}

static inline void sg_ksock_wrote(struct sg_ksock *k, ssize_t n)
{
	if (n > 0)
		k->written += (uint64_t)n;
}

/* Whether userspace must use recv() and the sockmap engine for this socket
 * (it is in the map, paired or not). */
static inline bool sg_ksock_kernel(const struct sg_ksock *k)
{
	return k->in_map;
}

struct sg_sockmap;

/* The worker's view over a shared struct sg_splice (which the caller keeps
 * open longer), with its notification ring (sg_splice_ring_open, which
 * needs CAP_BPF, so the gateway opens the rings before it drops its
 * capabilities): watches the ring on `loop` and owns it from now on, even
 * on failure. Returns NULL with a reason in err. */
struct sg_sockmap *sg_sockmap_new(struct sg_splice *s, struct sg_splice_ring *ring,
				  struct sg_loop *loop, char *err, size_t errlen);
void sg_sockmap_free(struct sg_sockmap *m);
struct sg_splice *sg_sockmap_splice(const struct sg_sockmap *m);

/* Pairs a, the client's socket, and b, the backend's (both ESTABLISHED),
 * with no budget either way: each one's bytes are passed until a pump
 * gives the kernel a budget. Ring events for a socket call its io's
 * callback with EPOLLIN. A socket already paired
 * with the other is left alone. Returns 0, or -errno and the connection
 * stays in userspace for good (both sockets marked failed): -EOPNOTSUPP,
 * -E2BIG (map full), -EBUSY, ... as sg_splice_pair says. */
int sg_sockmap_pair(struct sg_sockmap *m, struct sg_ksock *a, int fa, struct sg_io *ioa,
		    struct sg_ksock *b, int fb, struct sg_io *iob);

/* Whether a and b are paired with each other right now. */
bool sg_sockmap_paired(const struct sg_ksock *a, const struct sg_ksock *b);

/* Drops the socket's map entries and ring routing; call right before
 * close(fd). Harmless for a socket never paired. */
void sg_sockmap_forget(struct sg_sockmap *m, struct sg_ksock *k, int fd);

/* recv() read EOF (0) from k's socket. It says so once the FIN is in and
 * the psock's ready queue is empty, but bytes the verdict passed just
 * before the FIN may still wait in the psock's backlog (its worker moves
 * them when the queue ahead of them drains): an EOF is real only once
 * every passed byte was read. Returns 0 when it is real; 1 when bytes are
 * still on their way: read again after a kick (k->eof_wait is set, and the
 * socket must not be watched for EPOLLIN or EPOLLRDHUP meanwhile: at EOF
 * they fire for ever); -1 with errno ECONNABORTED when none came for
 * SG_SOCKMAP_EOF_WAIT_MS: the stream is broken, reset it rather than let
 * a clean close hide missing bytes. */
int sg_ksock_eof(struct sg_splice *s, struct sg_ksock *k, int fd);

#define SG_SOCKMAP_EOF_WAIT_MS 5000

/* Paired sockets of this worker right now. */
size_t sg_sockmap_count(const struct sg_sockmap *m);

#endif

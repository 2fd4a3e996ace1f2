/* The one header shared by bpf/splice.bpf.c and user/relay/splice.c: map value
 * layouts, verdict indices and limits of the sockmap splice. Fixed-width types,
 * explicit padding, sizes checked at compile time, every name sg_/SG_ (the BPF
 * side also sees vmlinux.h's thousands of kernel names).
 *
 * Ownership is per map, so that no writer clobbers another's fields: the BPF
 * program writes `struct sg_sock_state` (userspace only creates and deletes
 * entries), userspace writes `struct sg_sock_ctl` (the program only reads it).
 * A hash update from userspace replaces the whole value, so a single shared
 * struct would lose the program's counter updates. */
#ifndef SG_ABI_H
#define SG_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Entries in the socket map and in each per-socket hash: two per spliced
 * stream. A full map makes insertion fail with E2BIG and that stream falls
 * back to userspace (DESIGN §5 fact 10). */
#define SG_MAX_SOCKS 65536

/* Default bound on bytes headed for one peer that its reader has not yet
 * acknowledged (redirect backlog plus the peer's unacknowledged send queue);
 * above it the verdict passes skbs to userspace so the TCP window closes
 * (fact 4). Set per load through the `sg_backlog_limit` tunable, per socket
 * through sg_sock_ctl.backlog. */
#define SG_BACKLOG_DEFAULT (2u << 20)

/* sg_sock_ctl.end for "no budget": redirect the whole rest of the stream
 * (TCP routes, tunnels). */
#define SG_END_NONE (~0ULL)

/* Per-socket state, keyed by the socket's cookie in the `sock_state` hash.
 * Userspace creates the entry (zeroed but for last_ns) when it first pairs
 * the socket and deletes it when the connection closes; in between only the
 * verdict program writes it, and only while running for this socket (the
 * kernel serialises a socket's verdicts under its lock).
 *
 * Offsets count the bytes this socket received since its first pairing, in
 * order: every one of them is either redirected (it went to the peer in the
 * kernel) or passed (userspace reads it with recv() on this socket). */
struct sg_sock_state {
	__u64 seen;	  /* bytes of every skb the verdict saw = redirected + passed */
	__u64 redirected; /* bytes redirected to a peer */
	__u64 passed;	  /* bytes passed to userspace */
	__u64 last_ns;	  /* CLOCK_MONOTONIC_COARSE ns of the last skb (or of pairing) */
	__u64 synced;	  /* redirected bytes known to be in the peer's write queue */
	__u64 sync_peer;  /* the peer `synced` and `sync_seq` refer to */
	__u32 sync_seq;	  /* that peer's write_seq when `synced` was last advanced */
	__u32 next_seq;	  /* TCP sequence number of the next byte not yet seen */
	__u32 flags;	  /* SG_SF_* */
	__u32 pad;
};

/* sg_sock_state.flags */
#define SG_SF_PASSING 0x1u /* the last skb was passed: userspace has bytes to read */
#define SG_SF_SEQ 0x2u	   /* next_seq is valid */
#define SG_SF_CORRUPT 0x4u /* a duplicate could not be cut out: reset the stream */

/* Per-socket control, keyed by cookie in the `sock_ctl` hash; written by
 * userspace only (each update replaces the whole value). The verdict
 * redirects an skb to `peer` iff
 *   passed == acked                  (nothing passed earlier is still pending:
 *                                     the peer's stream stays in order), and
 *   seen_before_skb + len <= end     (the skb ends inside the budget), and
 *   the peer's backlog stays under the limit;
 * otherwise the skb is passed. `base` and `redir_base` are userspace's own
 * bookkeeping for the drain barrier. See user/relay/splice.h for the protocol. */
struct sg_sock_ctl {
	__u64 peer;	  /* cookie of the socket this one's bytes go to */
	__u64 end;	  /* offset (in `seen` bytes) where redirecting stops; SG_END_NONE */
	__u64 acked;	  /* passed bytes userspace has read and dealt with */
	__u64 backlog;	  /* backlog limit towards the peer in bytes; 0 = the default */
	__u64 base;	  /* bytes in this socket's send stream when it was paired */
	__u64 redir_base; /* sg_sock_state.redirected when it was paired */
	__u32 ring;	  /* notification ring id (key in `rings`); 0 = no notification */
	__u32 pad;
};

/* Index into the per-CPU `verdicts` array: every verdict is counted once. */
enum sg_verdict {
	SG_V_REDIRECT,	      /* redirected to the peer */
	SG_V_NO_STATE,	      /* passed: not paired (no control entry) */
	SG_V_PENDING,	      /* passed: earlier passed bytes not yet acked */
	SG_V_BUDGET,	      /* passed: the skb ends past the budget */
	SG_V_NO_PEER,	      /* passed: the peer is not in the socket map */
	SG_V_BACKLOG,	      /* passed: the peer's backlog is at the limit */
	SG_V_REDIRECT_FAILED, /* passed: bpf_sk_redirect_hash() refused */
	SG_V_EMPTY,	      /* dropped: zero-length skb (a bare FIN; no bytes) */
	SG_V_DUPLICATE,	      /* dropped: every byte of it was seen before */
	SG_V_CORRUPT,	      /* passed with SG_SF_CORRUPT: its duplicate head stayed */
	SG_V_TRIMMED,	      /* not a verdict: duplicate bytes cut off the head of an
			       * skb, which then got one of the verdicts above */
	SG_V_MAX,
};

struct sg_verdict_count {
	__u64 skbs;
	__u64 bytes;
};

/* Posted to the socket's notification ring (sg_sock_ctl.ring) when it starts
 * passing bytes while it was redirecting (at most one event per socket until
 * userspace acks), and when a redirected skb ends exactly at the budget's
 * end (verdict SG_V_REDIRECT): a body that the kernel moved whole passes
 * nothing, so without this event its end would go unnoticed. */
struct sg_pass_event {
	__u64 cookie;  /* the socket with bytes to read */
	__u32 verdict; /* enum sg_verdict: why it passed */
	__u32 pad;
};

/* Size of each notification ring: room for one event (plus its 8-byte
 * header) per socket, so a ring never overflows while its consumer keeps
 * up with acks. */
#define SG_RING_BYTES (2u << 20)
#define SG_MAX_RINGS 1024

_Static_assert(sizeof(struct sg_sock_state) == 64, "sg_sock_state layout");
_Static_assert(sizeof(struct sg_sock_ctl) == 56, "sg_sock_ctl layout");
_Static_assert(sizeof(struct sg_verdict_count) == 16, "sg_verdict_count layout");
_Static_assert(sizeof(struct sg_pass_event) == 16, "sg_pass_event layout");
_Static_assert((SG_RING_BYTES & (SG_RING_BYTES - 1)) == 0, "ring size is a power of 2");
_Static_assert(SG_MAX_SOCKS *(sizeof(struct sg_pass_event) + 8) <= SG_RING_BYTES,
	       "one event per socket fits in a ring");

#endif

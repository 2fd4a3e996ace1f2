/* The sockmap splice: an sk_skb stream verdict that redirects each skb a
 * spliced socket receives to its peer's egress, within a byte budget and a
 * bound on the peer's backlog, and passes everything else to userspace.
 *
 * Rules this kernel imposes (DESIGN §5), each one silent data loss if broken:
 * never SK_DROP new bytes (the skb is already acknowledged to the sender), so
 * every failure is SK_PASS; redirect only when nothing passed earlier is
 * still waiting in userspace, or the peer's stream would be reordered; the
 * kernel has no backpressure on redirects, so measure the peer's backlog
 * here and pass above the limit, which closes this socket's TCP window; and
 * cut off the bytes TCP hands over twice (dedup() below) before any of it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "bpf/sg_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* The kernel's own struct sk_buff behind the context, for the TCP sequence
 * number in its control block (struct __sk_buff does not carry it). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* Loaded-time tunable (set through the skeleton before load). */
const volatile __u64 sg_backlog_limit = SG_BACKLOG_DEFAULT;

/* Which source this program was built from (the Makefile hashes this file
 * and sg_abi.h): a gateway opening pinned objects refuses a program of
 * another source, which would run another build's rules on its sockets
 * through maps that look the same. */
#ifndef SG_BPF_SOURCE_ID
#error "SG_BPF_SOURCE_ID: build through the Makefile"
#endif
const volatile __u64 sg_source_id = SG_BPF_SOURCE_ID;

/* Spliced sockets by cookie; the value is the fd on insert, the cookie on
 * lookup from userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SG_MAX_SOCKS);
	__type(key, __u64);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_MAX_SOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sg_sock_state);
} sock_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_MAX_SOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sg_sock_ctl);
} sock_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_V_MAX);
	__type(key, __u32);
	__type(value, struct sg_verdict_count);
} verdicts SEC(".maps");

/* Notification rings by id, one per consumer (a gateway worker); each
 * consumer creates its ring and inserts it under its own id. */
struct sg_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SG_RING_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, SG_MAX_RINGS);
	__type(key, __u32);
	__array(values, struct sg_ring);
} rings SEC(".maps");

#ifdef SG_TRACE
/* Tracing build only (make BUILD=build-trace CLANG="clang-14 -DSG_TRACE"):
 * one record per verdict in the ring `sg_trace`, read by
 * scripts/bench/sgtrace.c (bpf/README.md, "Why HTTP bodies leave the
 * kernel"). The peer's fields are those of the last peer_backlog() call on
 * this CPU's way to the verdict (a global scratch: exact for one stream at
 * a time, approximate when several streams interleave). */
struct sg_trace_ev {
	__u64 ns, cookie, seen, passed, acked;
	__u32 verdict, len, wq, transit, wnd, wmem, sndbuf, walloc;
};
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64u << 20);
} sg_trace SEC(".maps");
static struct sg_trace_ev tr_last;
#define TRACE_PEER(tp_, sk_)                                                                       \
	do {                                                                                       \
		tr_last.wnd = (tp_)->snd_wnd;                                                      \
		tr_last.wmem = (sk_)->sk_wmem_queued;                                              \
		tr_last.sndbuf = (sk_)->sk_sndbuf;                                                 \
		tr_last.walloc = (sk_)->sk_wmem_alloc.refs.counter;                                \
	} while (0)
static __always_inline void trace_ev(__u64 cookie, __u32 v, __u32 len, struct sg_sock_state *st,
				     const struct sg_sock_ctl *ctl)
{
	struct sg_trace_ev *e = bpf_ringbuf_reserve(&sg_trace, sizeof(*e), 0);

	if (!e)
		return;
	*e = tr_last;
	e->ns = bpf_ktime_get_ns();
	e->cookie = cookie;
	e->verdict = v;
	e->len = len;
	e->seen = st ? st->seen : 0;
	e->passed = st ? st->passed : 0;
	e->acked = ctl ? ctl->acked : 0;
	bpf_ringbuf_submit(e, 0);
	tr_last.wq = tr_last.transit = tr_last.wnd = tr_last.wmem = tr_last.sndbuf = 0;
}
#else
#define TRACE_PEER(tp_, sk_) ((void)0)
#define trace_ev(...) ((void)0)
#endif

static __always_inline int count(__u32 v, __u32 len)
{
	struct sg_verdict_count *c = bpf_map_lookup_elem(&verdicts, &v);

	if (c) {
		c->skbs++;
		c->bytes += len;
	}
	return SK_PASS;
}

/* Bytes headed for the peer that its reader has not acknowledged: the peer's
 * send queue (write_seq - snd_una) plus what we redirected that the peer's
 * psock worker has not yet moved into that queue. The latter is in no kernel
 * field (the worker's skb queue has a length, not a byte count), so it is
 * tracked here: `synced` advances by how far the peer's write_seq moved since
 * the last skb. Userspace writes to the peer only after the drain barrier and
 * while this socket passes, so when `synced` overshoots (those writes moved
 * write_seq too) nothing is in transit and the clamp is exact. A new peer
 * (re-pairing) starts with nothing in transit. Returns -1 when the peer is
 * not in the socket map. */
static __always_inline __s64 peer_backlog(struct sg_sock_state *st, __u64 *peer)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&socks, peer);
	struct tcp_sock *tp;
	__u32 write_seq, snd_una;

	if (!sk)
		return -1;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp) {
		bpf_sk_release(sk);
		return -1;
	}
	write_seq = tp->write_seq;
	snd_una = tp->snd_una;
	TRACE_PEER(tp, &tp->inet_conn.icsk_inet.sk);
	bpf_sk_release(sk);

	if (st->sync_peer != *peer) {
		st->sync_peer = *peer;
		st->synced = st->redirected;
	} else {
		st->synced += (__u32)(write_seq - st->sync_seq);
		if (st->synced > st->redirected)
			st->synced = st->redirected;
	}
	st->sync_seq = write_seq;
#ifdef SG_TRACE
	tr_last.wq = write_seq - snd_una;
	tr_last.transit = st->redirected - st->synced;
#endif
	return (__s64)(__u32)(write_seq - snd_una) + (__s64)(st->redirected - st->synced);
}

static __always_inline void notify(const struct sg_sock_ctl *ctl, __u64 cookie, __u32 v)
{
	struct sg_pass_event ev = { .cookie = cookie, .verdict = v };
	__u32 id = ctl->ring;
	void *ring;

	if (!id)
		return;
	ring = bpf_map_lookup_elem(&rings, &id);
	if (ring)
		bpf_ringbuf_output(ring, &ev, sizeof(ev), 0);
}

/* Passing: userspace now owns the stream position until it acks. The
 * first byte passed after userspace caught up is notified: userspace may
 * not be watching the socket's EPOLLIN then (a tunnel the kernel carries,
 * user/relay/relay.c kernel_settle), and the wake-up the queued skb makes would
 * go unheard. That takes an order both sides keep, as in Dekker's lock:
 * here `passed` grows (an atomic add: a full barrier) before `acked` is
 * read, from the control entry as it is now (an ack replaces the entry,
 * and the one looked up at the verdict's start may be the old one);
 * userspace writes `acked` and then, after a full barrier, reads
 * `passed`. Either this sees its ack (and notifies) or it sees these
 * bytes (and keeps EPOLLIN). Only this socket's verdict writes `passed`
 * (verdicts of a socket run under its lock), so the plain read of it is
 * exact. */
static __always_inline int pass(struct sg_sock_state *st, const struct sg_sock_ctl *ctl,
				__u64 cookie, __u32 v, __u32 len)
{
	__u64 before = st->passed;
	const struct sg_sock_ctl *now;

	__sync_fetch_and_add(&st->passed, len);
	now = bpf_map_lookup_elem(&sock_ctl, &cookie);
	if (now && before == now->acked)
		notify(now, cookie, v);
	st->flags |= SG_SF_PASSING;
	trace_ev(cookie, v, len, st, ctl);
	return count(v, len);
}

/* sk_skb_adjust_room() shrinks by at most 4095 bytes a call (verifier-safe
 * bounded loop: 64 calls cover any overlap TCP can produce here). */
static __always_inline int trim_head(struct __sk_buff *skb, __u32 n)
{
	for (int i = 0; i < 64 && n; i++) {
		__u32 k = n > 4095 ? 4095 : n;

		if (bpf_skb_adjust_room(skb, -(__s32)k, 0, 0))
			return -1;
		n -= k;
	}
	return n ? -1 : 0;
}

/* TCP queues a segment that overlaps bytes already received (a retransmit
 * covering old and new data, frequent on a busy loopback) without trimming
 * it: tcp_recvmsg() skips the stale head by sequence number, but sockmap's
 * tcp_read_skb() hands the whole skb to this program, so the peer would get
 * those bytes twice. Cut them off here. Returns 0 (skb now holds only new
 * bytes, *len updated), 1 (nothing new: drop it), -1 (could not cut). */
static __always_inline int dedup(struct __sk_buff *skb, struct sg_sock_state *st, __u32 *len)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	__u32 seq = ((struct tcp_skb_cb *)kskb->cb)->seq;
	__u32 end = seq + *len;
	__s32 overlap;

	if (!(st->flags & SG_SF_SEQ)) {
		/* At the first skb after pairing, copied_seq is where userspace
		 * stopped reading (tcp_read_skb() does not move it): a
		 * retransmit may overlap even those bytes. */
		struct bpf_sock *sk = skb->sk;
		struct tcp_sock *tp = sk ? bpf_skc_to_tcp_sock(sk) : NULL;

		st->next_seq = tp ? tp->copied_seq : seq;
		st->flags |= SG_SF_SEQ;
	}
	overlap = (__s32)(st->next_seq - seq);
	if ((__s32)(end - st->next_seq) > 0)
		st->next_seq = end;
	if (overlap <= 0)
		return 0;
	if ((__u32)overlap >= *len)
		return 1;
	if (trim_head(skb, overlap)) {
		*len = skb->len; /* some of it may be gone */
		return -1;
	}
	count(SG_V_TRIMMED, overlap);
	*len -= overlap;
	return 0;
}

SEC("sk_skb/stream_verdict")
int sg_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct sg_sock_state *st;
	struct sg_sock_ctl *ctl;
	__u64 off, limit, peer;
	__u32 len = skb->len;
	__s64 backlog;
	int dup;

	st = bpf_map_lookup_elem(&sock_state, &cookie);
	if (st)
		st->last_ns = bpf_ktime_get_coarse_ns();
	if (len == 0) {
		/* A bare FIN: TCP has already recorded it, the skb carries no
		 * byte. Passed, it would be queued behind the socket's pending
		 * redirects whenever those wait, and the psock worker takes
		 * delivering zero bytes for a broken pipe: EPIPE on the socket
		 * and every later redirect to it dropped. Dropping it loses
		 * nothing (fact 2 is about bytes). */
		count(SG_V_EMPTY, 0);
		return SK_DROP;
	}
	/* A socket without state was never paired (or is closing): pass. One
	 * with state but no control entry stays in the map after a failed
	 * pairing (fact 6) and is read by userspace: dedup it all the same. */
	if (!st)
		return count(SG_V_NO_STATE, len);
	dup = dedup(skb, st, &len);
	if (dup > 0) {
		/* Every byte already went on: dropping loses nothing, unlike
		 * the SK_DROP that fact 2 forbids. */
		count(SG_V_DUPLICATE, len);
		return SK_DROP;
	}
	off = st->seen;
	st->seen = off + len;
	if (dup < 0)
		st->flags |= SG_SF_CORRUPT;
	ctl = bpf_map_lookup_elem(&sock_ctl, &cookie);
	if (!ctl) {
		st->passed += len;
		st->flags |= SG_SF_PASSING;
		return count(dup < 0 ? SG_V_CORRUPT : SG_V_NO_STATE, len);
	}
	if (dup < 0)
		return pass(st, ctl, cookie, SG_V_CORRUPT, len);
	if (st->passed != ctl->acked)
		return pass(st, ctl, cookie, SG_V_PENDING, len);
	if (off + len > ctl->end)
		return pass(st, ctl, cookie, SG_V_BUDGET, len);

	peer = ctl->peer;
	backlog = peer_backlog(st, &peer);
	if (backlog < 0)
		return pass(st, ctl, cookie, SG_V_NO_PEER, len);
	limit = ctl->backlog ? ctl->backlog : sg_backlog_limit;
	/* An empty backlog always takes one skb, however large the skb. */
	if (backlog > 0 && (__u64)backlog + len > limit)
		return pass(st, ctl, cookie, SG_V_BACKLOG, len);

	if (bpf_sk_redirect_hash(skb, &socks, &peer, 0) != SK_PASS)
		return pass(st, ctl, cookie, SG_V_REDIRECT_FAILED, len);
	st->redirected += len;
	st->flags &= ~SG_SF_PASSING;
	/* A body that ends on an skb boundary passes nothing: say it is
	 * complete, or a source that then waits (a backend after its
	 * response) would leave userspace waiting too. */
	if (off + len == ctl->end)
		notify(ctl, cookie, SG_V_REDIRECT);
	trace_ev(cookie, SG_V_REDIRECT, len, st, ctl);
	count(SG_V_REDIRECT, len);
	return SK_PASS;
}

/* Both directions of a tunnel, and `auto`'s choice of the kernel path for
 * the interactive ones.
 *
 * auto: a tunnel starts on the copy engine, whose buffer grows to 1 MiB
 * for a bulk stream and then moves it faster than splice(2) on this kernel
 * (scripts/BENCH.md, "Tunnels copied"), and moves into the socket map once
 * it looks interactive: small messages, each direction answering the other
 * (a request/response protocol, a shell, a WebSocket), where the kernel path
 * saves two wake-ups of the proxy per exchange (bpf/README.md; W6 in
 * scripts/BENCH.md). TUNNEL_TURNS bursts in a row of at most
 * TUNNEL_TURN_BYTES, each in the other direction than the one before, make
 * it interactive; a bigger burst starts the count again. Once in the map
 * a socket stays there (DESIGN §5 fact 6), so a tunnel never moves back. */
#include "user/tcp/tunnel.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "user/base/log.h"
#include "user/relay/splice.h"
#include "user/tls/tls.h"

#define TUNNEL_TURNS 4
/* A TLS handshake and the first request, as a TLS passthrough tunnel sees
 * them: ClientHello up, the server's flight down, Finished up, tickets
 * down, the request up (1.3); 1.2 has as many. */
#define TUNNEL_TLS_TURNS 4
#define TUNNEL_TURN_BYTES (16 * 1024)

void sg_tunnel_begin(struct sg_tunnel *t, struct sg_pump *up, struct sg_pump *down,
		     bool watch_turns, uint64_t now)
{
	*t = (struct sg_tunnel){
		.up = up, .down = down, .watch_turns = watch_turns, .need_turns = TUNNEL_TURNS
	};
	t->moved = up->moved + down->moved;
	t->active_at = now;
}

void sg_tunnel_tls(struct sg_tunnel *t)
{
	t->need_turns = TUNNEL_TURNS + TUNNEL_TLS_TURNS;
}

/* One direction: its EOF goes on as a FIN to the other side, after a
 * close_notify where that side's bytes are TLS records (a FIN alone would
 * read as a truncation: RFC 8446 §6.1). */
static enum sg_pump_status step(struct sg_pump *p, bool *done)
{
	enum sg_pump_status st;

	if (*done)
		return SG_PUMP_DONE;
	st = sg_pump_run(p, SG_PUMP_SLICE, NULL);
	if (st == SG_PUMP_EOF) {
		if (p->dst_tls)
			sg_tls_close_notify(p->dst_tls);
		shutdown(p->dst, SHUT_WR);
		*done = true;
	}
	return st;
}

/* n bytes just moved in direction dir (1 up, 2 down). */
static void count_turn(struct sg_tunnel *t, unsigned dir, uint64_t n)
{
	if (!n)
		return;
	if (dir != t->turn_dir) {
		t->turns = t->turn_dir && t->turn_bytes <= TUNNEL_TURN_BYTES ? t->turns + 1 : 0;
		t->turn_dir = dir;
		t->turn_bytes = 0;
	}
	t->turn_bytes += n;
	if (t->turn_bytes > TUNNEL_TURN_BYTES)
		t->turns = 0;
}

enum sg_tunnel_status sg_tunnel_run(struct sg_tunnel *t, uint64_t now)
{
	uint64_t up = t->up->moved, down = t->down->moved;
	enum sg_pump_status a = step(t->up, &t->up_done), b = step(t->down, &t->down_done);

	if (t->up->moved + t->down->moved != t->moved) {
		t->moved = t->up->moved + t->down->moved;
		t->active_at = now;
	}
	if (a == SG_PUMP_ERROR || b == SG_PUMP_ERROR)
		return SG_TUNNEL_ERROR;
	if (t->up_done && t->down_done)
		return SG_TUNNEL_DONE;
	if (t->watch_turns && !t->promoted) {
		count_turn(t, 1, t->up->moved - up);
		count_turn(t, 2, t->down->moved - down);
		/* Both pumps idle: nothing staged, both sources drained, so
		 * the pipes can close; bytes that come meanwhile wait in the
		 * receive queues and meet the verdict once paired. */
		if (t->turns >= t->need_turns && a == SG_PUMP_WANT_READ && b == SG_PUMP_WANT_READ) {
			t->promoted = true;
			return SG_TUNNEL_PROMOTE;
		}
	}
	return a == SG_PUMP_WAIT || b == SG_PUMP_WAIT ? SG_TUNNEL_KICK : SG_TUNNEL_OPEN;
}

/* One direction, from src to dst: write what is pending, else read more,
 * or only hear src's EOF while the kernel carries its bytes (the ring's
 * event runs the pump when it passes one). */
static void want(const struct sg_pump *p, bool done, uint32_t *src_ev, uint32_t *dst_ev)
{
	if (done)
		return;
	if (p->pending)
		*dst_ev |= EPOLLOUT;
	else if (sg_pump_kernel_carries(p))
		*src_ev |= EPOLLRDHUP;
	else
		*src_ev |= EPOLLIN;
}

void sg_tunnel_events(const struct sg_tunnel *t, uint32_t *client_ev, uint32_t *backend_ev)
{
	*client_ev = *backend_ev = 0;
	want(t->up, t->up_done, client_ev, backend_ev);
	want(t->down, t->down_done, backend_ev, client_ev);
}

enum sg_tunnel_status sg_tunnel_step(struct sg_tunnel *t, uint64_t now, void (*promote)(void *arg),
				     void *arg)
{
	enum sg_tunnel_status st = sg_tunnel_run(t, now);

	/* Promoted once only (t->promoted): the loop runs twice at most. */
	while (st == SG_TUNNEL_PROMOTE) {
		promote(arg);
		st = sg_tunnel_run(t, now);
	}
	return st;
}

enum sg_relay_engine sg_tunnel_pump(struct sg_pump *p, const struct sg_relay_engines *e,
				    const struct sg_relay_sock *client,
				    const struct sg_relay_sock *backend,
				    const struct sg_relay_what *w, struct sg_stats *stats,
				    const char *ip)
{
	int err;
	enum sg_relay_engine engine = sg_relay_setup(p, e, client, backend, w, &err);

	if (err) {
		sg_stats_add(stats, SG_STAT_SOCKMAP_FALLBACKS, 1);
		SG_DEBUG("%s: sockmap pairing failed (%s): this connection stays in userspace", ip,
			 strerror(-err));
	}
	return engine;
}

void sg_tunnel_count(struct sg_pump *p, struct sg_stats *stats)
{
	sg_stats_relayed(stats, p->engine == SG_RELAY_SPLICE ? SG_RELAY_COPY : p->engine,
			 p->moved - p->spliced);
	if (p->spliced)
		sg_stats_relayed(stats, SG_RELAY_SPLICE, p->spliced);
	p->moved = p->spliced = 0;
}

uint64_t sg_tunnel_quiet(const struct sg_sockmap *kmap, const struct sg_ksock *k, int fd,
			 uint64_t idle)
{
	struct sg_splice_sock ss;

	if (kmap && k->in_map && sg_splice_sock(sg_sockmap_splice(kmap), fd, &ss) == 0 &&
	    ss.idle_ns / 1000000 < idle)
		return ss.idle_ns / 1000000;
	return idle;
}

bool sg_tunnel_idle_over(const struct sg_tunnel *t, uint64_t *idle_at, uint64_t now, uint64_t limit,
			 sg_idle_quiet_fn quiet, void *arg)
{
	uint64_t idle = quiet(arg, now - t->active_at);

	if (idle >= limit)
		return true;
	*idle_at = now + (limit - idle);
	return false;
}

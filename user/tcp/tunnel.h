/* A tunnel: a TCP route's connection, or an HTTP connection after a 101 or
 * a CONNECT's 2xx. Bytes go both ways between the client and its backend
 * until each side has closed its half; each EOF is passed on as a FIN.
 * Under `auto` it also watches whether the traffic looks interactive and
 * says when both sockets should move into the socket map (tunnel.c says
 * why and when).
 *
 * The owner (user/tcp/tcpconn.c for a TCP route, user/http1/h1tunnel.c
 * after a 101 or a CONNECT) connects the backend, sets up the two pumps
 * (sg_tunnel_pump: in the engine user/relay/engine.h chooses), registers
 * the sockets for what sg_tunnel_events asks and runs sg_tunnel_step on
 * each of their events. It keeps the sockets and the idle timeout
 * (sg_tunnel_idle_over); the tunnel keeps the time of the last byte it saw
 * move. */
#ifndef SG_TUNNEL_H
#define SG_TUNNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/idle.h"
#include "user/core/stats.h"
#include "user/relay/engine.h"
#include "user/relay/relay.h"
#include "user/relay/sockmap.h"

struct sg_tunnel {
	struct sg_pump *up, *down; /* client -> backend, backend -> client */
	bool up_done, down_done;   /* that direction's EOF was passed on */
	bool watch_turns;	   /* auto: say when it looks interactive */
	bool promoted;		   /* said so once: both pumps are on the socket map */
	unsigned need_turns;	   /* turns in a row that say "interactive" */
	/* The exchanges so far (see tunnel.c). turn_dir: 0 none yet, 1 up,
	 * 2 down. */
	unsigned turns, turn_dir;
	uint64_t turn_bytes;
	uint64_t moved;	    /* both pumps' bytes at the last run */
	uint64_t active_at; /* loop ms when a byte last moved through the pumps */
};

enum sg_tunnel_status {
	SG_TUNNEL_OPEN,	   /* wait for the sockets (sg_tunnel_events), run again */
	SG_TUNNEL_KICK,	   /* a sockmap pump waits for the kernel: run again in a ms */
	SG_TUNNEL_PROMOTE, /* interactive, both pumps idle: release them, set
			    * them up again on the socket map, run again */
	SG_TUNNEL_DONE,	   /* both directions ended */
	SG_TUNNEL_ERROR,   /* a socket failed (errno): close both */
};

/* Starts relaying through `up` and `down`, set up by the caller; bytes
 * primed into them go first. `watch_turns`: under auto, for a tunnel not
 * on the socket map yet. */
void sg_tunnel_begin(struct sg_tunnel *t, struct sg_pump *up, struct sg_pump *down,
		     bool watch_turns, uint64_t now);

/* The tunnel carries TLS from its first byte (passthrough): its handshake
 * is a few small turns before any application byte, so they do not count
 * toward looking interactive (a bulk download would otherwise be promoted
 * before its first body byte). */
void sg_tunnel_tls(struct sg_tunnel *t);

/* Moves what it can both ways and says what comes next. */
enum sg_tunnel_status sg_tunnel_run(struct sg_tunnel *t, uint64_t now);

/* What each socket waits for now (EPOLLIN/EPOLLOUT), besides bytes the
 * owner still has to write to the client itself. */
void sg_tunnel_events(const struct sg_tunnel *t, uint32_t *client_ev, uint32_t *backend_ev);

/* sg_tunnel_run, with a PROMOTE carried out: `promote(arg)` releases
 * both pumps and sets them up again (the tunnel is promoted now: on the
 * socket map), and the tunnel runs again. Returns OPEN, KICK, DONE or
 * ERROR. */
enum sg_tunnel_status sg_tunnel_step(struct sg_tunnel *t, uint64_t now, void (*promote)(void *arg),
				     void *arg);

/* Sets up pump p as sg_relay_setup does (engines e, the two sockets, what
 * w says) and returns its engine; a socket map pairing that failed is
 * counted in `stats` and logged for the client at `ip` (the pair stays in
 * userspace). For any relay between a client and its backend. */
enum sg_relay_engine sg_tunnel_pump(struct sg_pump *p, const struct sg_relay_engines *e,
				    const struct sg_relay_sock *client,
				    const struct sg_relay_sock *backend,
				    const struct sg_relay_what *w, struct sg_stats *stats,
				    const char *ip);

/* A pump's bytes, counted once in `stats` by the engine that moved them
 * (an adapting pump's spliced part as splice), then zeroed. */
void sg_tunnel_count(struct sg_pump *p, struct sg_stats *stats);

/* Milliseconds since a byte last moved on socket fd (socket map state k),
 * `idle` as userspace saw it: for a socket in the socket map (kmap; NULL:
 * none loaded) the kernel's last-activity stamp (every skb the verdict
 * sees, redirected or passed) may be later, so a stream the kernel moves
 * alone is not idle. At most `idle`. */
uint64_t sg_tunnel_quiet(const struct sg_sockmap *kmap, const struct sg_ksock *k, int fd,
			 uint64_t idle);

/* --tunnel-idle-timeout: the owner's deadline *idle_at passed at loop ms
 * `now`. True when no byte moved for `limit` ms (quiet(arg, ...) counts
 * what the kernel moved alone): the owner closes the connection. Else
 * false, with *idle_at moved to `limit` after the last byte. */
bool sg_tunnel_idle_over(const struct sg_tunnel *t, uint64_t *idle_at, uint64_t now, uint64_t limit,
			 sg_idle_quiet_fn quiet, void *arg);

#endif

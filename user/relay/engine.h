/* The engine a relay takes: one choice, for a body either way and for a
 * tunnel, from the worker's settings (--splice, --upload-splice,
 * --tunnel-splice, auto) and what the two sockets allow. A frontend
 * describes its two sockets and what it relays; this sets up the pump.
 *
 * The rules, in order:
 * - a body under SG_RELAY_SPLICE_MIN, and any chunked body (its framing is
 *   parsed in userspace), is copied;
 * - TLS on either side is copied: records are decrypted here and only
 *   userspace sees the plaintext (no kTLS on this kernel);
 * - sockmap without a loaded socket map is splice;
 * - once either socket is in the socket map, everything is read with
 *   recv(): the sockmap engine when the pair is paired (or pairs now), copy
 *   when the pairing failed;
 * - a tunnel the gateway promoted (user/tcp/tunnel.h) is on the socket map. */
#ifndef SG_ENGINE_H
#define SG_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "user/base/loop.h"
#include "user/relay/relay.h"

/* Small bodies go through the copy engine whatever the configured one:
 * splice(2) needs a pipe pair per stream, which costs more than copying a
 * few KiB (measured: W1 in `make bench`), and pairing sockets in the
 * socket map costs a dozen map operations. */
#define SG_RELAY_SPLICE_MIN (64 * 1024)

/* The worker's engines, one per kind of relay. */
struct sg_relay_engines {
	enum sg_relay_engine download; /* a response body */
	enum sg_relay_engine upload;   /* a request body */
	enum sg_relay_engine tunnel;   /* a TCP route's or an upgraded connection's bytes */
	/* auto: a bulk body, or a tunnel until it is promoted, is spliced
	 * while the worker is saturated (struct sg_pump's adapt). */
	bool adapt;
	struct sg_sockmap *kmap; /* NULL: no socket map loaded */
};

/* One socket of a relayed pair. */
struct sg_relay_sock {
	int fd;
	struct sg_ksock *k; /* its socket map state */
	struct sg_io *io;   /* its I/O, which the socket map's ring events call */
	struct sg_tls *tls; /* NULL: plain TCP */
};

/* What is relayed. */
struct sg_relay_what {
	bool to_backend; /* client to backend (a request body, a tunnel's upstream) */
	bool tunnel;	 /* both ways until EOF: the tunnel engine, no budget bound */
	bool promoted;	 /* a tunnel promoted to the socket map */
	bool chunked;	 /* framing parsed by the owner: no kernel budget */
	uint64_t budget; /* the body's bytes; UINT64_MAX: to EOF */
};

/* Sets up `p` (zeroed) to relay `w` between `client` and `backend` with
 * the engine the rules above give, which it returns. *pair_err: 0, or the
 * negative errno of a socket map pairing that failed (the pair stays in
 * userspace for good: the caller counts and logs it). */
enum sg_relay_engine sg_relay_setup(struct sg_pump *p, const struct sg_relay_engines *e,
				    const struct sg_relay_sock *client,
				    const struct sg_relay_sock *backend,
				    const struct sg_relay_what *w, int *pair_err);

#endif

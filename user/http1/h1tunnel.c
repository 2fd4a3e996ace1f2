/* The HTTP/1 frontend's connections that became tunnels: a TCP route's
 * (its backend connected, then bytes both ways), or an HTTP connection
 * after a 101 or a CONNECT's 2xx, relayed by user/tcp/tunnel.c; and the
 * kernel's idle time of their sockets, which the body watchdog reads too.
 * A TCP route still rides the HTTP/1 connection's struct (h1conn.h). */
#include "user/http1/h1tunnel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "config/hostname.h"
#include "policy/route.h"
#include "user/base/log.h"
#include "user/base/net.h"
#include "user/core/backend.h"
#include "user/http1/h1forward.h"

static void tunnel_pumps(struct client *c);
static void begin_tunnel(struct client *c);

/* One step of the backend's TLS handshake, where its policy asks for one
 * (a TLS listener in mode Terminate re-encrypts): 1 done, 0 waiting, -1
 * failed. */
static int tunnel_tls_step(struct client *c)
{
	struct sg_attempt *at = &c->r->rq.at;
	int rc = sg_backend_tls_begin(at->conn, at->backend, at->ep, at->tls_cause,
				      sizeof(at->tls_cause));

	if (rc < 0)
		SG_DEBUG("%s: tunnel: TLS to the backend: %s", c->ip, at->tls_cause);
	return rc;
}

static void on_tunnel_up(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct client *c = io->data;

	if (!c->r->rq.at.connected) {
		struct sg_backend_conn *u = c->r->rq.at.conn;
		int err = u->tls ? 0 : sg_backend_connect_error(u);

		if (err == EINPROGRESS)
			return; /* the name's next address */
		if (err) {
			h1c_client_close(c);
			return;
		}
		/* The handshake runs under the connect deadline, still armed. */
		switch (c->r->rq.at.backend->eff_tls ? tunnel_tls_step(c) : 1) {
		case 0:
			h1c_settle(c); /* what the handshake waits for */
			return;
		case -1:
			h1c_client_close(c);
			return;
		}
		c->r->rq.at.connected = true;
		c->r->rq.at.connect_at = 0;
		begin_tunnel(c);
	}
	h1c_drive_tunnel(c);
	h1c_settle(c);
}

/* Both pumps are idle: close their pipes and pair the sockets (user/relay/
 * engine.h chooses the socket map for a promoted tunnel). */
static void promote_tunnel(struct client *c)
{
	h1c_pump_done(c, &c->r->req_pump);
	h1c_pump_done(c, &c->r->resp_pump);
	tunnel_pumps(c);
	SG_DEBUG("%s: interactive tunnel: %s from now on", c->ip,
		 sg_relay_engine_name(c->r->rq.engine));
}

void h1c_drive_tunnel(struct client *c)
{
	if (c->closed || !c->r->rq.at.connected)
		return;
	if (h1c_client_out_pending(c) && h1c_client_flush(c) == -1) {
		h1c_client_close(c);
		return;
	}
	if (h1c_client_out_pending(c))
		return;
	switch (sg_tunnel_run(&c->r->tunnel, h1c_now(c))) {
	case SG_TUNNEL_OPEN:
		return;
	case SG_TUNNEL_KICK:
		h1c_kick(c);
		return;
	case SG_TUNNEL_PROMOTE:
		promote_tunnel(c);
		h1c_drive_tunnel(c);
		return;
	case SG_TUNNEL_DONE:
		h1c_client_close(c);
		return;
	case SG_TUNNEL_ERROR:
		/* A reset (or a failed write) on one side is passed on as a
		 * reset on both: an aborted stream must not look finished to
		 * the other end (a FIN would). */
		if (c->r->rq.at.conn && c->r->rq.at.conn->fd >= 0)
			sg_net_reset_on_close(c->r->rq.at.conn->fd);
		h1c_client_abort(c);
		return;
	}
}

/* A tunnel's two pumps (a promoted one's on the socket map). */
static void tunnel_pumps(struct client *c)
{
	c->r->rq.engine = h1c_init_pump(c, &c->r->req_pump, true, UINT64_MAX, false);
	h1c_init_pump(c, &c->r->resp_pump, false, UINT64_MAX, false);
	c->req_pumping = true;
	c->resp_way = RESP_PUMP;
}

/* The backend is connected: both directions relayed until EOF, for TCP
 * routes and upgrades alike. */
static void begin_tunnel(struct client *c)
{
	tunnel_pumps(c);
	/* Records decrypted here never leave userspace (no kTLS): such a
	 * tunnel is not watched for the socket map. */
	sg_tunnel_begin(&c->r->tunnel, &c->r->req_pump, &c->r->resp_pump,
			c->ctx->tunnel_promote && !c->tls, h1c_now(c));
	if (c->bind->proto == SG_PROTO_TLS && !c->tls)
		sg_tunnel_tls(&c->r->tunnel); /* passthrough: the handshake goes by too */
	sg_idle_stop(&c->r->rq.body_idle);    /* a tunnel has --tunnel-idle-timeout instead */
	if (c->ctx->tunnel_idle_ms)
		c->idle_at = h1c_now(c) + c->ctx->tunnel_idle_ms;
}

/* Milliseconds since a byte last moved, `idle` as userspace saw it: for
 * sockets in the socket map the kernel's last-activity stamp (every skb
 * the verdict sees, redirected or passed) may be later, so a stream the
 * kernel moves alone is not idle. */
static uint64_t kernel_idle(struct client *c, const struct sg_ksock *k, int fd, uint64_t idle)
{
	struct sg_splice_sock ss;

	if (c->ctx->kmap && k->in_map &&
	    sg_splice_sock(sg_sockmap_splice(c->ctx->kmap), fd, &ss) == 0 &&
	    ss.idle_ns / 1000000 < idle)
		return ss.idle_ns / 1000000;
	return idle;
}

/* `idle` as userspace saw it, made shorter by what the kernel moved alone
 * on either socket of the request (sg_idle_quiet_fn). */
uint64_t h1c_kernel_quiet(void *arg, uint64_t idle)
{
	struct client *c = arg;

	idle = kernel_idle(c, &c->ck, c->io.fd, idle);
	return c->r->rq.at.conn ? kernel_idle(c, &c->r->rq.at.conn->k, c->r->rq.at.conn->fd, idle)
				: idle;
}

uint64_t h1c_quiet_ms(struct client *c, uint64_t since)
{
	return h1c_kernel_quiet(c, h1c_now(c) - since);
}

/* After 101 Switching Protocols both directions are opaque bytes until
 * either side closes: the same relay as a TCP route. */
void h1c_start_upgraded_tunnel(struct client *c, size_t extra_len)
{
	size_t early = c->in_len - c->r->req.head_len;

	h1c_enter(c, C_TUNNEL);
	c->client_close = true;
	begin_tunnel(c);
	if (c->closed)
		return;
	if ((early && sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, early) == -1) ||
	    (extra_len && sg_pump_prime(&c->r->resp_pump, c->r->bx.in + c->r->bx.resp.head_len,
					extra_len) == -1)) {
		h1c_client_close(c);
		return;
	}
	c->in_len = c->r->req.head_len;
	c->r->bx.in_len = 0;
	h1c_free_all_slots(c); /* a tunnel reads no header again */
	c->r->rq.at.conn->io.cb = on_tunnel_up;
	h1c_drive_tunnel(c);
}

/* The endpoint of a dynamic backend: the SNI, a host name (never an
 * address: RFC 6066 §3) the route's hostnames allowed, at `port`. NULL:
 * there is no such name. */
static const struct sg_endpoint *dynamic_ep(struct client *c, const char *sni, uint16_t port)
{
	size_t len = sni ? strlen(sni) : 0;

	if (!len || len > SG_ENDPOINT_ADDR_MAX || !sg_sni_name_valid(sni, len) || sni[0] == '*' ||
	    !port)
		return NULL;
	memcpy(c->r->dyn_host, sni, len + 1);
	c->r->dyn_ep = (struct sg_endpoint){ .addr = c->r->dyn_host, .port = port };
	return &c->r->dyn_ep;
}

/* Route r of listener l (a TCP listener's first, or the one a TLS
 * listener chose by SNI; NULL: none) to one of its backends. */
void h1c_start_tunnel(struct client *c, const struct sg_listener *l, const struct sg_tcp_route *r,
		      const char *sni, uint16_t port)
{
	size_t bi, ei;
	int err;

	c->state = C_TUNNEL; /* its first state (sg_proxy_accept) */
	c->listener = l;
	if (!h1c_request_new(c)) {
		h1c_client_close(c);
		return;
	}
	if (!r || !sg_route_pick(&r->backends, sg_route_random(&c->ctx->rng), 0, &bi, &ei)) {
		h1c_client_close(c);
		return;
	}
	c->r->rq.at.backend = &r->backends.v[bi];
	if (c->r->rq.at.backend->kind == SG_BREF_DYNAMIC)
		c->r->rq.at.ep = dynamic_ep(c, sni, port);
	else
		c->r->rq.at.ep = &c->r->rq.at.backend->eps[ei];
	if (!c->r->rq.at.ep) {
		SG_DEBUG("%s: tunnel: a dynamic backend needs a host name by SNI", c->ip);
		h1c_client_close(c);
		return;
	}
	c->r->rq.at.conn = sg_backend_connect(c->ctx->pool, c->r->rq.at.ep,
					      &c->r->rq.at.backend->eff_keepalive, &err);
	if (!c->r->rq.at.conn) {
		h1c_client_close(c);
		return;
	}
	if (c->r->rq.at.backend->eff_connect_timeout > 0)
		c->r->rq.at.connect_at =
			h1c_now(c) + sg_dur_to_ms_ceil(c->r->rq.at.backend->eff_connect_timeout);
	c->r->rq.at.conn->io.cb = on_tunnel_up;
	c->r->rq.at.conn->io.data = c;
}

/* The port of CONNECT's authority-form target "host:port" (RFC 9110
 * §9.3.6); 0: not one. */
static uint16_t connect_port(const struct sg_h1_span *t)
{
	const char *colon = t->len ? memrchr(t->p, ':', t->len) : NULL;
	unsigned long port = 0;

	if (!colon || colon == t->p || t->p[0] == '/' || colon + 1 == t->p + t->len ||
	    (size_t)(t->p + t->len - colon) > 6)
		return 0;
	for (const char *d = colon + 1; d < t->p + t->len; d++) {
		if (*d < '0' || *d > '9')
			return 0;
		port = port * 10 + (unsigned long)(*d - '0');
	}
	return port <= 65535 ? (uint16_t)port : 0;
}

/* A bind of c's config on `port` that a CONNECT may enter (never another
 * CONNECT bind); NULL: none. */
static const struct sg_bind *connect_bind(const struct client *c, uint16_t port)
{
	for (size_t i = 0; i < c->cfg->nbinds; i++)
		if (c->cfg->binds[i].port == port && !c->cfg->binds[i].connect)
			return &c->cfg->binds[i];
	return NULL;
}

void h1c_connect(struct client *c)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\n\r\n";
	const struct sg_h1_req *req = &c->r->req;
	struct sg_frontend *ctx = c->ctx;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	uint16_t port = connect_port(&req->target);
	int fd = c->io.fd;

	c->served = true;
	c->idle_at = c->head_at = c->warm_at = 0;
	c->req_done = true;
	c->client_close = true; /* whatever the answer, the last on it */
	if (req->method.len != 7 || memcmp(req->method.p, "CONNECT", 7)) {
		c->req_done = sg_h1_request_body(req) == SG_H1_BODY_NONE;
		h1c_fail_request(c, SG_FAIL_NOT_CONNECT, 0);
		return;
	}
	/* Bytes sent before the 200 would belong to the bind it enters,
	 * which reads the socket afresh (a TLS hello is peeked there):
	 * clients wait for the answer (curl, pip, git). */
	if (!port || c->in_len != req->head_len) {
		h1c_fail_request(c, SG_FAIL_CONNECT_TARGET, 0);
		return;
	}
	if (!connect_bind(c, port) || !ctx->reenter) {
		h1c_fail_request(c, SG_FAIL_BIND_NOT_FOUND, 0);
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == -1 ||
	    send(fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(ok) - 1) {
		h1c_client_close(c); /* 19 bytes a fresh socket cannot take: it is gone */
		return;
	}
	SG_DEBUG("%s: CONNECT %.*s: entering bind :%u", c->ip, (int)req->target.len, req->target.p,
		 port);
	/* c lets go of the socket (and its hold on the CONNECT bind's
	 * admission); the bind it enters admits it as its own. */
	sg_io_set(ctx->loop, &c->io, 0);
	c->io.fd = -1;
	h1c_client_close(c);
	ctx->reenter(ctx->reenter_arg, fd, &peer, port);
}

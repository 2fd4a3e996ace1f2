/* The HTTP/1 frontend's connections that became tunnels after a 101 or a
 * CONNECT's 2xx, relayed by user/tcp/tunnel.c; and the kernel's idle time
 * of a connection's sockets, which the body watchdog reads too. (A TCP
 * route's connection is user/tcp/tcpconn.c's, on the same tunnel.) */
#include "user/http1/h1tunnel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "user/base/log.h"
#include "user/base/net.h"
#include "user/http1/h1forward.h"

static void tunnel_pumps(struct client *c);

static void on_tunnel_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct client *c = io->data;

	h1c_drive_tunnel(c);
	h1c_settle(c);
}

/* Both pumps are idle: close their pipes and pair the sockets (user/relay/
 * engine.h chooses the socket map for a promoted tunnel). */
static void promote_tunnel(void *arg)
{
	struct client *c = arg;

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
	switch (sg_tunnel_step(&c->r->tunnel, h1c_now(c), promote_tunnel, c)) {
	case SG_TUNNEL_OPEN:
	case SG_TUNNEL_PROMOTE: /* carried out by sg_tunnel_step */
		return;
	case SG_TUNNEL_KICK:
		h1c_kick(c);
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
	c->req_way = REQ_PUMP;
	c->resp_way = RESP_PUMP;
}

/* `idle` as userspace saw it, made shorter by what the kernel moved alone
 * on either socket of the request (sg_idle_quiet_fn). */
uint64_t h1c_kernel_quiet(void *arg, uint64_t idle)
{
	struct client *c = arg;
	const struct sg_sockmap *kmap = c->ctx->relays.kmap;
	const struct sg_backend_conn *u = c->r->rq.at.conn;

	idle = sg_tunnel_quiet(kmap, &c->ck, c->io.fd, idle);
	return u ? sg_tunnel_quiet(kmap, &u->k, u->fd, idle) : idle;
}

/* After 101 Switching Protocols (or a CONNECT's 2xx) both directions are
 * opaque bytes until either side closes: the same relay as a TCP route's
 * (user/tcp/tcpconn.c). */
void h1c_start_upgraded_tunnel(struct client *c, const char *extra, size_t extra_len)
{
	size_t early = c->in_len - c->r->req.head_len;

	h1c_enter(c, C_TUNNEL);
	c->client_close = true;
	tunnel_pumps(c);
	/* Records decrypted here never leave userspace (no kTLS): such a
	 * tunnel is not watched for the socket map. */
	sg_tunnel_begin(&c->r->tunnel, &c->r->req_pump, &c->r->resp_pump,
			c->ctx->tunnel_promote && !c->tls, h1c_now(c));
	sg_idle_stop(&c->r->rq.body_idle); /* a tunnel has --tunnel-idle-timeout instead */
	if (c->ctx->tunnel_idle_ms)
		c->idle_at = h1c_now(c) + c->ctx->tunnel_idle_ms;
	if ((early && sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, early) == -1) ||
	    (extra_len && sg_pump_prime(&c->r->resp_pump, extra, extra_len) == -1)) {
		h1c_client_close(c);
		return;
	}
	c->in_len = c->r->req.head_len;
	h1c_free_all_slots(c); /* a tunnel reads no header again */
	c->r->rq.at.conn->io.cb = on_tunnel_io;
	h1c_drive_tunnel(c);
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

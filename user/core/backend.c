/* Backend connections. Endpoints are IP literals or DNS names. A name is
 * looked up for every new connection by the worker's resolver thread
 * (user/base/dns.h), so a slow name server holds only the connections that need
 * it; until the answer the connection has no socket (fd -1), its io records
 * the owner's mask, and a failed lookup reaches the owner as a failed
 * connect. A name's new connections take its addresses in turn. */
#include "user/core/backend.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy/failure.h"
#include "user/base/dns.h"
#include "user/base/hash.h"
#include "user/core/lb.h"
#include "user/base/net.h"
#include "user/tls/tls.h"

/* TLS client contexts a pool keeps (one per backend TLS policy in use). */
#define POOL_TLS_CLIENTS 16

/* Lookups of names a client chose (dynamic backends) a worker holds at
 * once, on a resolver of their own: past it such a request is answered
 * 503 at once, and configured names never wait behind them. */
#define POOL_CLIENT_LOOKUPS 64

/* Turns kept for names with several addresses (see spread()). */
#define POOL_NAME_TURNS 64

struct tls_client_slot {
	uint64_t key;
	uint64_t used; /* a counter: the least recently used goes first */
	struct sg_tls_client *c;
};

struct sg_pool {
	struct sg_loop *loop;
	struct sg_list idle; /* sg_backend_conn.idle, most recently used first */
	size_t nidle;
	struct sg_sockmap *kmap;
	struct sg_dns *dns;	   /* on the first configured name */
	struct sg_dns *client_dns; /* on the first name a client chose */
	struct sg_lb *lb;
	struct tls_client_slot tls[POOL_TLS_CLIENTS];
	uint64_t tls_clock;
	uint64_t max_age_ms; /* 0: none */
	struct sg_log_limit warn_limit;
	unsigned turn[POOL_NAME_TURNS]; /* by a name's hash: its next address */
};

struct sg_pool *sg_pool_new(struct sg_loop *loop)
{
	struct sg_pool *p = calloc(1, sizeof(*p));

	if (p) {
		p->loop = loop;
		sg_list_init(&p->idle);
		p->lb = sg_lb_new(loop);
	}
	return p;
}

void sg_pool_set_max_age(struct sg_pool *p, uint64_t max_age_ms)
{
	p->max_age_ms = max_age_ms;
}

bool sg_backend_too_old(const struct sg_backend_conn *u)
{
	const struct sg_pool *p = u->pool;

	return p->max_age_ms && sg_loop_now(p->loop) - u->born >= p->max_age_ms;
}

struct sg_log_limit *sg_pool_warn_limit(struct sg_pool *p)
{
	return &p->warn_limit;
}

struct sg_lb *sg_pool_lb(struct sg_pool *p)
{
	return p->lb;
}

void sg_pool_set_sockmap(struct sg_pool *p, struct sg_sockmap *m)
{
	p->kmap = m;
}

static void unlink_idle(struct sg_pool *p, struct sg_backend_conn *u)
{
	sg_list_remove(&u->idle);
	p->nidle--;
}

void sg_pool_free(struct sg_pool *p)
{
	if (!p)
		return;
	while (!sg_list_empty(&p->idle)) {
		struct sg_backend_conn *u =
			SG_LIST_ENTRY(sg_list_first(&p->idle), struct sg_backend_conn, idle);

		unlink_idle(p, u);
		sg_backend_close(u);
	}
	sg_dns_free(p->dns);
	sg_dns_free(p->client_dns);
	sg_lb_free(p->lb);
	for (size_t i = 0; i < POOL_TLS_CLIENTS; i++)
		sg_tls_client_unref(p->tls[i].c);
	free(p);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; /* a separator: ("ab","c") != ("a","bc") */
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 0);
}

/* The settings that make a client context, hashed: equal policies from
 * two configs share one context (and its sessions). */
static uint64_t tls_key(const struct sg_backend_tls *t, bool h2)
{
	uint64_t h = 14695981039346656037ull;
	bool flags[] = { t->insecure, t->insecure_host, t->has_alpn, h2 };

	h = fnv(h, t->root_pem ? t->root_pem : "", t->root_pem ? t->root_len : 0);
	h = fnv(h, t->cert_pem ? t->cert_pem : "", t->cert_pem ? t->cert_len : 0);
	h = fnv(h, t->key_pem ? t->key_pem : "", t->key_pem ? t->key_len : 0);
	h = fnv_str(h, t->hostname);
	h = fnv_str(h, t->invalid); /* never the context of a usable twin */
	h = fnv(h, flags, sizeof(flags));
	for (size_t i = 0; i < t->alpn.n; i++)
		h = fnv_str(h, t->alpn.v[i]);
	h = fnv(h, "|", 1);
	for (size_t i = 0; i < t->sans.n; i++)
		h = fnv_str(h, t->sans.v[i]);
	return h;
}

struct sg_tls_client *sg_pool_tls_client(struct sg_pool *p, const struct sg_backend_tls *cfg,
					 bool h2, uint64_t *key, char *err, size_t errlen)
{
	struct tls_client_slot *victim = &p->tls[0];

	*key = tls_key(cfg, h2);
	for (size_t i = 0; i < POOL_TLS_CLIENTS; i++) {
		struct tls_client_slot *s = &p->tls[i];

		if (s->c && s->key == *key) {
			s->used = ++p->tls_clock;
			return s->c;
		}
		if (!s->c || (victim->c && s->used < victim->used))
			victim = s;
	}
	sg_tls_client_unref(victim->c); /* connections made on it keep it */
	victim->c = sg_tls_client_new(cfg, h2, err, errlen);
	victim->key = *key;
	victim->used = ++p->tls_clock;
	return victim->c;
}

int sg_backend_tls_step(struct sg_backend_conn *u, struct sg_tls_client *tc, const char *host,
			char *cause, size_t causelen)
{
	if (!u->tls) {
		u->tls = sg_tls_connect(tc, u->fd, host);
		if (!u->tls) {
			snprintf(cause, causelen, "out of memory");
			return -1;
		}
		sg_tls_watch(u->tls, u->pool->loop, &u->io);
	}
	switch (sg_tls_handshake(u->tls, &u->tls_want, cause, causelen)) {
	case 1:
		u->tls_up = true;
		u->tls_want = 0;
		return 1;
	case 0:
		return 0;
	default:
		return -1;
	}
}

int sg_backend_tls_begin(struct sg_backend_conn *u, const struct sg_backend_ref *br,
			 const struct sg_endpoint *ep, char *cause, size_t causelen)
{
	struct sg_tls_client *tc = NULL;
	uint64_t key;

	if (!u->tls &&
	    !(tc = sg_pool_tls_client(u->pool, br->eff_tls, false, &key, cause, causelen)))
		return -1;
	return sg_backend_tls_step(u, tc, sg_backend_tls_host(br, ep), cause, causelen);
}

const char *sg_backend_tls_host(const struct sg_backend_ref *br, const struct sg_endpoint *ep)
{
	if (br->kind == SG_BREF_SERVICE && br->svc->hostname)
		return br->svc->hostname;
	return ep->addr;
}

uint32_t sg_backend_connect_events(const struct sg_backend_conn *u)
{
	return u->tls && !u->tls_up ? u->tls_want : EPOLLOUT;
}

size_t sg_pool_idle_count(const struct sg_pool *p)
{
	return p->nidle;
}

static void free_conn(struct sg_closing *c)
{
	free((char *)c - offsetof(struct sg_backend_conn, closing));
}

void sg_backend_close(struct sg_backend_conn *u)
{
	if (!u || u->closed)
		return;
	u->closed = true;
	sg_timer_stop(u->pool->loop, &u->idle_timer);
	if (u->dns) {
		sg_dns_cancel(u->resolver, u->dns);
		free(u->dns);
		u->dns = NULL;
	}
	free(u->alt);
	u->alt = NULL;
	sg_tls_free(u->tls); /* no close_notify: the socket closes at once */
	u->tls = NULL;
	sg_io_set(u->pool->loop, &u->io, 0);
	if (u->fd >= 0) {
		if (u->pool->kmap)
			sg_sockmap_forget(u->pool->kmap, &u->k, u->fd);
		close(u->fd);
	}
	sg_loop_defer_close(u->pool->loop, &u->closing, free_conn);
}

/* Anything readable on an idle connection is the backend closing it (or
 * speaking out of turn): either way it cannot be reused. */
static void on_idle_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_backend_conn *u = io->data;

	unlink_idle(u->pool, u);
	sg_backend_close(u);
}

static void on_idle_timeout(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_backend_conn *u = t->data;

	unlink_idle(u->pool, u);
	sg_backend_close(u);
}

void sg_pool_close_tagged(struct sg_pool *p, const char *tag)
{
	size_t tl = strlen(tag);
	struct sg_list *l, *tmp;

	SG_LIST_FOR_EACH_SAFE(l, tmp, &p->idle) {
		struct sg_backend_conn *u = SG_LIST_ENTRY(l, struct sg_backend_conn, idle);
		size_t kl = strlen(u->key);

		if (kl < tl || strcmp(u->key + kl - tl, tag) != 0)
			continue;
		unlink_idle(p, u);
		sg_backend_close(u);
	}
}

struct sg_backend_conn *sg_pool_take(struct sg_pool *p, const char *key)
{
	struct sg_list *l, *tmp;

	SG_LIST_FOR_EACH_SAFE(l, tmp, &p->idle) {
		struct sg_backend_conn *u = SG_LIST_ENTRY(l, struct sg_backend_conn, idle);

		if (strcmp(u->key, key) != 0)
			continue;
		unlink_idle(p, u);
		sg_timer_stop(p->loop, &u->idle_timer);
		if (u->io.unseen || sg_backend_too_old(u)) {
			sg_backend_close(u);
			continue;
		}
		/* It stays registered (EPOLLIN | EPOLLRDHUP, what the new owner
		 * waits for too): the owner sets io.cb before the loop runs
		 * again, and a request costs no epoll_ctl here. */
		u->reused = true;
		return u;
	}
	return NULL;
}

void sg_pool_put(struct sg_pool *p, struct sg_backend_conn *u, uint64_t idle_ms, int64_t max_idle)
{
	if (sg_backend_too_old(u)) {
		sg_backend_close(u); /* retired: the next request connects anew */
		return;
	}
	if (max_idle >= 0) {
		int64_t same = 0;
		struct sg_list *l;

		SG_LIST_FOR_EACH(l, &p->idle) {
			if (same >= max_idle)
				break;
			same += !strcmp(SG_LIST_ENTRY(l, struct sg_backend_conn, idle)->key,
					u->key);
		}
		if (same >= max_idle) {
			sg_backend_close(u);
			return;
		}
	}
	u->io.cb = on_idle_io;
	u->io.data = u;
	u->k.io = NULL; /* a late ring event is not the backend closing it */
	if (u->tls)
		sg_tls_idle(u->tls);
	if (sg_io_set(p->loop, &u->io, EPOLLIN | EPOLLRDHUP) == -1) {
		sg_backend_close(u);
		return;
	}
	sg_list_insert_head(&p->idle, &u->idle);
	p->nidle++;
	sg_timer_arm(p->loop, &u->idle_timer, sg_loop_now(p->loop) + (idle_ms ? idle_ms : 1));
}

/* The socket and the non-blocking connect. Returns 0 or an errno value. */
static int open_socket(struct sg_backend_conn *u, const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return errno;
	sg_net_nodelay(fd);
	sg_net_keepalive(fd, &u->ka);
	if (sg_net_apply_bufs(fd, false) == -1) {
		int err = errno;

		close(fd);
		return err;
	}
	if (connect(fd, (const struct sockaddr *)ss, len) == -1 && errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		return err;
	}
	u->fd = fd;
	return 0;
}

/* Connects to the first of a's addresses that takes a socket and a
 * non-blocking connect; the ones after it are kept for
 * sg_backend_connect_error to try when that connect fails. Returns 0 or
 * the last errno value. */
static int connect_addrs(struct sg_backend_conn *u, const struct sg_dns_addrs *a, unsigned from)
{
	int err = EHOSTUNREACH;

	for (unsigned i = from; i < a->n; i++) {
		err = open_socket(u, &a->ss[i], a->len[i]);
		if (err)
			continue;
		if (i + 1 < a->n && a != u->alt) {
			u->alt = malloc(sizeof(*u->alt));
			if (u->alt)
				*u->alt = *a;
		}
		u->alt_next = i + 1;
		return 0;
	}
	return err;
}

/* A unix socket at `path` (a policy service's "unix:/path"). Returns 0
 * or an errno value. */
static int connect_unix(struct sg_backend_conn *u, const char *path)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	size_t n = strlen(path);

	if (n >= sizeof(sun->sun_path))
		return ENAMETOOLONG;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	return open_socket(u, &ss, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1));
}

/* A name's new connections take its addresses in turn, as agentgateway's
 * resolver hands them out round robin: the leading addresses of one family
 * (getaddrinfo's preferred one) are rotated by the name's turn, so that
 * each connect starts at the next of them and fails over to the others,
 * then to the other family's. Names whose hashes share a slot share a
 * turn. */
static void spread(struct sg_pool *p, struct sg_dns_addrs *a, const char *host)
{
	struct sg_dns_addrs was = *a;
	unsigned n = 1, k;

	while (n < a->n && a->ss[n].ss_family == a->ss[0].ss_family)
		n++;
	if (n < 2)
		return;
	k = p->turn[sg_hash(host, strlen(host)) % POOL_NAME_TURNS]++ % n;
	for (unsigned i = 0; i < n; i++) {
		a->ss[i] = was.ss[(i + k) % n];
		a->len[i] = was.len[(i + k) % n];
	}
}

/* The name's answer, on the loop: connect, and let the owner's events
 * through; a failure reaches the owner as a connect that failed. */
static void on_resolved(struct sg_dns_query *q)
{
	struct sg_backend_conn *u = q->data;
	struct sg_loop *loop = u->pool->loop;

	u->dns = NULL;
	if (!q->err)
		spread(u->pool, &q->addrs, q->host);
	u->err = q->err ? q->err : connect_addrs(u, &q->addrs, 0);
	free(q);
	if (!u->err && sg_io_attach(loop, &u->io, u->fd) == -1)
		u->err = errno;
	if (u->err && u->io.cb)
		u->io.cb(loop, &u->io, EPOLLOUT | EPOLLERR);
}

/* Hands ep's name to the worker's resolver (a client's name: the one for
 * those, bounded); on_resolved connects. Returns 0 or an errno value
 * (SG_FAIL_DNS_BUSY: that resolver holds all it may). */
static int start_lookup(struct sg_backend_conn *u, const struct sg_endpoint *ep)
{
	struct sg_pool *p = u->pool;
	struct sg_dns **d = ep->client_named ? &p->client_dns : &p->dns;

	if (!*d)
		*d = sg_dns_new(p->loop, ep->client_named ? POOL_CLIENT_LOOKUPS : 0);
	u->resolver = *d;
	u->dns = calloc(1, sizeof(*u->dns));
	if (!*d || !u->dns) {
		free(u->dns);
		u->dns = NULL;
		return ENOMEM;
	}
	snprintf(u->dns->host, sizeof(u->dns->host), "%s", ep->addr);
	u->dns->port = ep->port;
	u->dns->done = on_resolved;
	u->dns->data = u;
	if (sg_dns_query(*d, u->dns) == -1) {
		int err = errno == EAGAIN ? SG_FAIL_DNS_BUSY : errno;

		free(u->dns);
		u->dns = NULL;
		return err;
	}
	return 0;
}

struct sg_backend_conn *sg_backend_connect(struct sg_pool *p, const struct sg_endpoint *ep,
					   const struct sg_keepalive *ka, int *err)
{
	struct sg_dns_addrs addrs;
	struct sg_backend_conn *u = calloc(1, sizeof(*u));

	if (!u) {
		*err = ENOMEM;
		return NULL;
	}
	u->fd = -1;
	u->pool = p;
	u->born = sg_loop_now(p->loop);
	sg_list_init(&u->idle);
	u->ka = *ka;
	snprintf(u->key, sizeof(u->key), "%s:%u", ep->addr, ep->port);
	sg_timer_init(&u->idle_timer, on_idle_timeout, u);
	/* An IP literal (or a unix socket's path) connects now; a name once
	 * the resolver answers. */
	if (ep->addr[0] == '/')
		*err = connect_unix(u, ep->addr);
	else if (sg_dns_lookup(ep->addr, ep->port, AI_NUMERICHOST, &addrs) == 0)
		*err = connect_addrs(u, &addrs, 0);
	else
		*err = start_lookup(u, ep);
	if (*err) {
		free(u);
		return NULL;
	}
	u->io.fd = u->fd;
	return u;
}

int sg_backend_connect_error(struct sg_backend_conn *u)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (u->err || u->fd < 0)
		return u->err ? u->err : EINPROGRESS;
	if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	/* That address refused: the name's next one, as curl and browsers
	 * do ("localhost" is ::1 first, a backend may listen on 127.0.0.1
	 * only). The connect timeout covers them all. */
	while (e && u->alt && u->alt_next < u->alt->n) {
		uint32_t events = u->io.events; /* the next socket's, as this one's */

		sg_io_set(u->pool->loop, &u->io, 0); /* before the close: sg_io_set says why */
		close(u->fd);
		u->fd = -1;
		if (connect_addrs(u, u->alt, u->alt_next) != 0)
			break;
		u->io.events = events;
		if (sg_io_attach(u->pool->loop, &u->io, u->fd) == -1)
			return errno;
		return EINPROGRESS;
	}
	if (!e) {
		free(u->alt);
		u->alt = NULL;
	}
	return e;
}

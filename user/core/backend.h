/* Backend connections and the per-worker pool of idle keep-alive ones. */
#ifndef SG_BACKEND_H
#define SG_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/relay/sockmap.h"

struct sg_pool;
struct sg_lb;
struct sg_dns;
struct sg_dns_query;
struct sg_dns_addrs;
struct sg_tls;
struct sg_tls_client;

/* A pooled connection's key: "addr:port", and "#" with 16 hex digits of
 * its TLS settings' hash for a TLS backend. */
#define SG_POOL_KEY_SIZE (SG_ENDPOINT_TEXT_SIZE + 17)

/* One connection to a backend endpoint. While in use, its owner sets
 * io.cb/io.data; while idle in the pool, the pool does. Owned by whoever
 * holds it (an attempt, or the pool); freed through sg_backend_close. */
struct sg_backend_conn {
	int fd; /* -1 while its name is being looked up */
	struct sg_io io;
	struct sg_timer idle_timer;
	struct sg_closing closing;
	struct sg_pool *pool;
	/* "addr:port" of the endpoint, and for TLS "#<policy hash>": a pooled
	 * connection serves only requests with the same TLS settings. */
	char key[SG_POOL_KEY_SIZE];
	bool reused; /* taken from the pool: may have been closed by the backend */
	bool closed;
	struct sg_ksock k;	  /* its sockmap counters */
	struct sg_keepalive ka;	  /* applied to the socket */
	struct sg_dns_query *dns; /* the name's lookup under way, or NULL */
	struct sg_dns *resolver;  /* ... on this resolver of the pool's */
	int err;		  /* the lookup, or the connect after it, failed */
	struct sg_dns_addrs *alt; /* the name's other addresses while connecting */
	unsigned alt_next;	  /* the one to try next */
	struct sg_list idle;	  /* in the pool's idle list */
	/* TLS to the backend (user/tls/tls.h), owned: NULL for plain TCP. Its
	 * bytes go through sg_sock_* and the copy engine only. tls_want:
	 * while the handshake runs, the event it waits for (EPOLLIN or
	 * EPOLLOUT), which the owner registers instead of EPOLLOUT. */
	struct sg_tls *tls;
	bool tls_up;
	uint32_t tls_want;
	uint64_t born; /* loop ms when its connect began (--backend-max-connection-age) */
};

/* A worker's pool, with its endpoint state for passive health and
 * endpoint choice (user/core/lb.h). */
struct sg_pool *sg_pool_new(struct sg_loop *loop);
/* Connections older than max_age_ms (since their connect began) are not
 * used for another request: closed when given back or found idle, as
 * Envoy's max_connection_duration and HAProxy's pool-conn lifetime do.
 * 0: no limit (the default). */
void sg_pool_set_max_age(struct sg_pool *p, uint64_t max_age_ms);
/* Whether u is past the pool's age limit. */
bool sg_backend_too_old(const struct sg_backend_conn *u);
/* The pool's endpoint state; NULL when it could not be allocated (then
 * endpoints are chosen uniformly and never evicted). */
struct sg_lb *sg_pool_lb(struct sg_pool *p);
/* The bound on the worker's warnings about backends it cannot reach. */
struct sg_log_limit *sg_pool_warn_limit(struct sg_pool *p);
/* The worker's sockmap, which closing connections are forgotten in (NULL:
 * none). */
void sg_pool_set_sockmap(struct sg_pool *p, struct sg_sockmap *m);
/* Closes every idle connection and frees the endpoint state. */
void sg_pool_free(struct sg_pool *p);
size_t sg_pool_idle_count(const struct sg_pool *p);

/* An idle connection to `key` (most recently used first), or NULL. One
 * the backend already closed (its FIN or RST is waiting) is closed and
 * skipped: a request written there would be lost unseen. An idle
 * connection stays registered for EPOLLIN | EPOLLRDHUP, so the loop says
 * so: one with an event not yet dispatched in this pass (sg_io.unseen) is
 * skipped, and one whose close was seen earlier is gone from the pool.
 * (nginx and HAProxy rely on their event loops alike; a recv(MSG_PEEK)
 * per request here was one system call in five of a small request.) The
 * caller owns it and must set io.cb/io.data before re-arming io. */
struct sg_backend_conn *sg_pool_take(struct sg_pool *p, const char *key);
/* Hand an idle, fully read connection back; closed after idle_ms or when
 * the backend closes it. max_idle >= 0 (poolMaxSize): when the pool holds
 * that many idle connections to u's endpoint already, u is closed instead. */
void sg_pool_put(struct sg_pool *p, struct sg_backend_conn *u, uint64_t idle_ms, int64_t max_idle);

/* Close the idle connections whose key ends in `tag` (a policy
 * service's, on reload). */
void sg_pool_close_tagged(struct sg_pool *p, const char *tag);

/* Start a non-blocking connect to ep (an address "/path" with port 0: a
 * unix socket) with TCP_NODELAY and the keepalive
 * policy applied. Returns the connection (writable when connected) or NULL
 * with *err set to an errno value. For a name the connect starts once the
 * worker's resolver answers: the owner sets io.cb/io.data and its mask as
 * usual, and a failed lookup (SG_FAIL_DNS(..) for a name that does not
 * resolve) comes as an event whose sg_backend_connect_error() says so. */
struct sg_backend_conn *sg_backend_connect(struct sg_pool *p, const struct sg_endpoint *ep,
					   const struct sg_keepalive *ka, int *err);
/* SO_ERROR of a connecting socket: 0 once connected; the lookup's error
 * for a name that did not resolve; EINPROGRESS while it is looked up, or
 * when that address failed and the name's next one is being connected
 * (the owner waits for the next event as before). */
int sg_backend_connect_error(struct sg_backend_conn *u);
/* The worker's client context for backend TLS policy `cfg` (h2: offering
 * ALPN "h2"), made on first use and kept while the pool lives (a few per
 * pool, the least recently used dropped past that): policies are matched
 * by content, so a reload keeps contexts and their sessions. Borrowed:
 * valid until the next call. *key: the settings' hash, for the pool key.
 * NULL with the reason in err when it cannot be made. */
struct sg_tls_client *sg_pool_tls_client(struct sg_pool *p, const struct sg_backend_tls *cfg,
					 bool h2, uint64_t *key, char *err, size_t errlen);

/* One step of u's TLS handshake (u connected), the session made first
 * with client context tc for host: 1 done (u->tls_up), 0 waiting for
 * u->tls_want, -1 failed (why in cause). The HTTP/1 attempt and the HTTP/2
 * backend connection both drive it. */
int sg_backend_tls_step(struct sg_backend_conn *u, struct sg_tls_client *tc, const char *host,
			char *cause, size_t causelen);

/* One step of the HTTP/1 handshake with backend br at endpoint ep over
 * u: the pool's client context for br's TLS policy (no ALPN) taken when
 * the session is not yet made, then sg_backend_tls_step for the name
 * sg_backend_tls_host gives. The same results. Both the HTTP/1 attempt
 * and a re-encrypting tunnel drive it. */
int sg_backend_tls_begin(struct sg_backend_conn *u, const struct sg_backend_ref *br,
			 const struct sg_endpoint *ep, char *cause, size_t causelen);

/* The name backend `br`'s certificate is checked against at endpoint `ep`
 * (unless its TLS policy names one): a Service's host name, else the
 * endpoint's address. */
const char *sg_backend_tls_host(const struct sg_backend_ref *br, const struct sg_endpoint *ep);

/* The events a connecting u waits for: EPOLLOUT for the TCP connect, what
 * its TLS handshake asks once that runs. */
uint32_t sg_backend_connect_events(const struct sg_backend_conn *u);

/* Close and free (after the current loop pass). Idempotent. */
void sg_backend_close(struct sg_backend_conn *u);

#endif

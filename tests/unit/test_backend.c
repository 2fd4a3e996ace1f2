/* Unit tests of user/core/backend.c, backend connections and a worker's
 * pool of idle ones, on a real loop with real loopback sockets: connects
 * to an address and to a name (from /etc/hosts, so no name server is
 * involved), a refused connect, the pool's take and put by key, its idle
 * timeout, poolMaxSize, the connection age limit, a backend closing an
 * idle connection, and the TLS client contexts kept per policy. What is
 * asserted is what the backend's side sees (a connection accepted, its
 * close) and what the pool gives back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loopback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/cfg.h"
#include "user/base/loop.h"
#include "user/core/backend.h"

struct env {
	struct sg_loop *loop;
	struct sg_pool *pool;
	int listener; /* a listening loopback socket */
	uint16_t port;
	int refused; /* bound, not listening: its port refuses every connect */
	uint16_t refused_port;
	int server[4]; /* the backend's ends of accepted connections */
	int nserver;
	int events; /* I/O callbacks the owner got */
};

static const struct sg_keepalive no_keepalive = { .enabled = false };

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	assert_non_null(e->loop);
	e->pool = sg_pool_new(e->loop);
	assert_non_null(e->pool);
	e->listener = test_loopback(true, SOCK_NONBLOCK, &e->port);
	e->refused = test_loopback(false, SOCK_NONBLOCK, &e->refused_port);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_pool_free(e->pool);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_loop_free(e->loop);
	for (int i = 0; i < e->nserver; i++)
		close(e->server[i]);
	close(e->listener);
	close(e->refused);
	free(e);
	return 0;
}

/* The owner's I/O callback: counts, and stops waiting for writability. */
static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct env *e = io->data;

	e->events++;
	sg_io_set(loop, io, 0);
}

/* A loop pass, then the backend accepts what connected. */
static void round_once(struct env *e)
{
	int fd;

	sg_loop_run_once(e->loop, 5);
	while ((fd = accept4(e->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(e->nserver < 4);
		e->server[e->nserver++] = fd;
	}
}

/* Rounds until `cond` holds, for at most 3 s. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int r_ = 0; r_ < 600 && !(cond); r_++)                                        \
			round_once(e);                                                             \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

/* A connection to `addr`:`port`, its owner waiting for it to be writable;
 * returns once it is (or failed): its connect error. */
static struct sg_backend_conn *connect_to(struct env *e, const char *addr, uint16_t port, int *err)
{
	struct sg_endpoint ep = { .addr = addr, .port = port };
	struct sg_backend_conn *u;
	int before = e->events;

	u = sg_backend_connect(e->pool, &ep, &no_keepalive, err);
	assert_non_null(u);
	assert_int_equal(*err, 0);
	u->io.cb = on_io;
	u->io.data = e;
	assert_int_equal(sg_io_set(e->loop, &u->io, EPOLLOUT), 0);
	for (;;) {
		UNTIL(e, e->events > before);
		*err = sg_backend_connect_error(u);
		if (*err != EINPROGRESS)
			return u;
		/* The name's next address: wait again. */
		before = e->events;
		assert_int_equal(sg_io_set(e->loop, &u->io, EPOLLOUT), 0);
	}
}

/* Whether the backend's end `fd` saw its peer close. */
static bool peer_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n == 0 || (n == -1 && errno == ECONNRESET);
}

/* ---- connects --------------------------------------------------------------- */

/* An IP literal connects at once: the backend accepts it, the key is
 * "addr:port", it is new (not reused) and born now. */
static void test_backend_connect_address(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u;
	char key[32];
	int err;

	u = connect_to(e, "127.0.0.1", e->port, &err);
	assert_int_equal(err, 0);
	UNTIL(e, e->nserver == 1);
	snprintf(key, sizeof(key), "127.0.0.1:%u", e->port);
	assert_string_equal(u->key, key);
	assert_false(u->reused);
	assert_true(u->fd >= 0);
	assert_int_equal(sg_backend_connect_events(u), EPOLLOUT);
	sg_backend_close(u);
	sg_backend_close(u); /* idempotent */
	UNTIL(e, peer_closed(e->server[0]));
}

/* A name is looked up off the loop, then connected: the backend accepts. */
static void test_backend_connect_name(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u;
	char key[32];
	int err;

	u = connect_to(e, "localhost", e->port, &err);
	assert_int_equal(err, 0);
	assert_true(u->fd >= 0);
	UNTIL(e, e->nserver == 1);
	snprintf(key, sizeof(key), "localhost:%u", e->port);
	assert_string_equal(u->key, key);
	sg_backend_close(u);
}

/* A port that refuses: the owner's event comes and the error says why. */
static void test_backend_connect_refused(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u;
	int err;

	u = connect_to(e, "127.0.0.1", e->refused_port, &err);
	assert_int_equal(err, ECONNREFUSED);
	sg_backend_close(u);
}

/* ---- the pool ------------------------------------------------------------------- */

/* Put back, then taken by its key (the most recent first), marked reused;
 * another key finds none. */
static void test_backend_pool_take_by_key(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *a, *b;
	char key[32];
	int err;

	a = connect_to(e, "127.0.0.1", e->port, &err);
	b = connect_to(e, "127.0.0.1", e->port, &err);
	UNTIL(e, e->nserver == 2);
	sg_pool_put(e->pool, a, 60000, -1);
	sg_pool_put(e->pool, b, 60000, -1);
	assert_int_equal(sg_pool_idle_count(e->pool), 2);
	assert_null(sg_pool_take(e->pool, "127.0.0.1:1"));
	snprintf(key, sizeof(key), "127.0.0.1:%u", e->port);
	assert_ptr_equal(sg_pool_take(e->pool, key), b);
	assert_true(b->reused);
	assert_int_equal(sg_pool_idle_count(e->pool), 1);
	assert_ptr_equal(sg_pool_take(e->pool, key), a);
	assert_null(sg_pool_take(e->pool, key));
	assert_int_equal(sg_pool_idle_count(e->pool), 0);
	sg_backend_close(a);
	sg_backend_close(b);
}

/* An idle connection is closed after its idle time: the backend sees the
 * close, the pool has none left. */
static void test_backend_pool_idle_timeout(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u;
	int err;

	u = connect_to(e, "127.0.0.1", e->port, &err);
	UNTIL(e, e->nserver == 1);
	sg_pool_put(e->pool, u, 20, -1);
	assert_int_equal(sg_pool_idle_count(e->pool), 1);
	UNTIL(e, sg_pool_idle_count(e->pool) == 0);
	UNTIL(e, peer_closed(e->server[0]));
}

/* The backend closes an idle connection: it leaves the pool at once and
 * is never handed out. */
static void test_backend_pool_backend_closes_idle(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u;
	char key[32];
	int err;

	u = connect_to(e, "127.0.0.1", e->port, &err);
	UNTIL(e, e->nserver == 1);
	sg_pool_put(e->pool, u, 60000, -1);
	close(e->server[0]);
	e->server[0] = e->server[--e->nserver];
	UNTIL(e, sg_pool_idle_count(e->pool) == 0);
	snprintf(key, sizeof(key), "127.0.0.1:%u", e->port);
	assert_null(sg_pool_take(e->pool, key));
}

/* poolMaxSize: past that many idle connections to one endpoint, one given
 * back is closed. */
static void test_backend_pool_max_idle(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u[3];
	char key[32];
	int err;

	for (int i = 0; i < 3; i++)
		u[i] = connect_to(e, "127.0.0.1", e->port, &err);
	UNTIL(e, e->nserver == 3);
	sg_pool_put(e->pool, u[0], 60000, 2);
	sg_pool_put(e->pool, u[1], 60000, 2);
	sg_pool_put(e->pool, u[2], 60000, 2);
	assert_int_equal(sg_pool_idle_count(e->pool), 2);
	/* The third was closed: exactly one of the backend's ends sees it. */
	UNTIL(e,
	      peer_closed(e->server[0]) + peer_closed(e->server[1]) + peer_closed(e->server[2]) ==
		      1);
	snprintf(key, sizeof(key), "127.0.0.1:%u", e->port);
	assert_ptr_equal(sg_pool_take(e->pool, key), u[1]);
	assert_ptr_equal(sg_pool_take(e->pool, key), u[0]);
	assert_null(sg_pool_take(e->pool, key));
	sg_backend_close(u[0]);
	sg_backend_close(u[1]);
}

/* poolMaxSize 0: nothing is kept. */
static void test_backend_pool_max_idle_zero(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *u;
	int err;

	u = connect_to(e, "127.0.0.1", e->port, &err);
	UNTIL(e, e->nserver == 1);
	sg_pool_put(e->pool, u, 60000, 0);
	assert_int_equal(sg_pool_idle_count(e->pool), 0);
	UNTIL(e, peer_closed(e->server[0]));
}

/* --backend-max-connection-age: a connection older than the limit is
 * closed when given back, and one that grew old in the pool is not
 * handed out. */
static void test_backend_pool_max_age(void **state)
{
	struct env *e = *state;
	struct sg_backend_conn *a, *b;
	char key[32];
	uint64_t born;
	int err;

	sg_pool_set_max_age(e->pool, 50);
	a = connect_to(e, "127.0.0.1", e->port, &err);
	b = connect_to(e, "127.0.0.1", e->port, &err);
	UNTIL(e, e->nserver == 2);
	assert_false(sg_backend_too_old(a));
	/* b's connect began after a's was done (a loop pass or more later):
	 * both are too old once the younger is. */
	born = b->born > a->born ? b->born : a->born;
	sg_pool_put(e->pool, b, 60000, -1);
	assert_int_equal(sg_pool_idle_count(e->pool), 1);
	UNTIL(e, sg_loop_now(e->loop) >= born + 50);
	assert_true(sg_backend_too_old(a));
	sg_pool_put(e->pool, a, 60000, -1);
	assert_int_equal(sg_pool_idle_count(e->pool), 1); /* a was closed */
	snprintf(key, sizeof(key), "127.0.0.1:%u", e->port);
	assert_null(sg_pool_take(e->pool, key)); /* b is too old too: closed */
	assert_int_equal(sg_pool_idle_count(e->pool), 0);
	UNTIL(e, peer_closed(e->server[0]) && peer_closed(e->server[1]));
}

/* ---- TLS client contexts ------------------------------------------------------ */

/* One context per policy content: the same settings (from another config)
 * share it, another hostname or ALPN choice gets its own; 16 are kept,
 * the least recently used dropped past that; an invalid policy gets none,
 * with its reason. */
static void test_backend_pool_tls_clients(void **state)
{
	struct env *e = *state;
	char names[16][32];
	struct sg_backend_tls t[16];
	struct sg_tls_client *c[16];
	struct sg_backend_tls same, invalid = { .insecure = true, .invalid = "no such ConfigMap" };
	uint64_t key[16], k;
	char err[128] = "";

	for (int i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "b%d.example", i);
		t[i] = (struct sg_backend_tls){ .insecure = true, .hostname = names[i] };
	}
	for (int i = 0; i < 16; i++) {
		c[i] = sg_pool_tls_client(e->pool, &t[i], false, &key[i], err, sizeof(err));
		assert_non_null(c[i]);
	}
	same = t[3];
	assert_ptr_equal(sg_pool_tls_client(e->pool, &same, false, &k, err, sizeof(err)), c[3]);
	assert_true(k == key[3]);
	assert_true(key[3] != key[4]);
	/* b3 with ALPN h2 is another context, which takes b0's place (the
	 * least recently used); b1..b15 stay. */
	assert_ptr_not_equal(sg_pool_tls_client(e->pool, &t[3], true, &k, err, sizeof(err)), c[3]);
	assert_true(k != key[3]);
	for (int i = 1; i < 16; i++)
		assert_ptr_equal(sg_pool_tls_client(e->pool, &t[i], false, &k, err, sizeof(err)),
				 c[i]);
	assert_null(sg_pool_tls_client(e->pool, &invalid, false, &k, err, sizeof(err)));
	assert_non_null(strstr(err, "no such ConfigMap"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backend_connect_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_connect_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_take_by_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_backend_closes_idle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_max_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_max_idle_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_pool_tls_clients, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

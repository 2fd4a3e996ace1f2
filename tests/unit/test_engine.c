/* Unit tests for user/relay/engine.c: the engine a relay takes, over real
 * loopback TCP. The gateway's two sockets are the accepted end of one pair
 * (the client's) and the connecting end of another (the backend's); what a
 * chosen pump moves arrives at the far ends byte for byte. The socket map
 * cases load the BPF program privately (root; skipped otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"
#include "user/base/loop.h"
#include "user/relay/engine.h"
#include "user/relay/splice.h"

#define MIB (1024 * 1024)

/* The far client, the gateway's two sockets, the far backend. */
struct ends {
	int peer, client, backend, origin;
	struct sg_ksock ck, bk;
	struct sg_io cio, bio;
	struct sg_relay_sock cs, bs;
};

static void ends_open(struct ends *e)
{
	memset(e, 0, sizeof(*e));
	test_tcp_pair(&e->peer, &e->client, 0);
	test_tcp_pair(&e->backend, &e->origin, 0);
	e->cio.fd = e->client;
	e->bio.fd = e->backend;
	e->cs = (struct sg_relay_sock){ e->client, &e->ck, &e->cio, NULL };
	e->bs = (struct sg_relay_sock){ e->backend, &e->bk, &e->bio, NULL };
}

static void ends_close(struct ends *e, struct sg_sockmap *kmap)
{
	if (kmap) {
		sg_sockmap_forget(kmap, &e->ck, e->client);
		sg_sockmap_forget(kmap, &e->bk, e->backend);
	}
	close(e->peer);
	close(e->client);
	close(e->backend);
	close(e->origin);
}

static const struct sg_relay_engines copy_all = { SG_RELAY_COPY, SG_RELAY_COPY, SG_RELAY_COPY,
						  false, NULL };

static enum sg_relay_engine setup(struct sg_pump *p, const struct sg_relay_engines *en,
				  struct ends *e, struct sg_relay_what w)
{
	int err = 12345;
	enum sg_relay_engine got;

	memset(p, 0, sizeof(*p));
	got = sg_relay_setup(p, en, &e->cs, &e->bs, &w, &err);
	assert_int_equal(err, 0);
	assert_int_equal(p->engine, got);
	return got;
}

/* n patterned bytes written at `from`, the pump run until its budget is
 * done, and the same n bytes read at `to` (bounded: 10 s). */
static void relay_bytes(struct sg_pump *p, int from, int to, size_t n)
{
	char *out = malloc(n), *in = malloc(n);
	size_t sent = 0, got = 0;
	struct timespec t0, t;
	enum sg_pump_status st = SG_PUMP_AGAIN;
	bool to_eof = p->budget == UINT64_MAX;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(i * 7 + i / 251);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < n) {
		int side = -1;
		ssize_t k;

		clock_gettime(CLOCK_MONOTONIC, &t);
		assert_true(t.tv_sec - t0.tv_sec < 10);
		if (sent < n && (k = send(from, out + sent, n - sent, MSG_DONTWAIT)) > 0)
			sent += (size_t)k;
		if (st != SG_PUMP_DONE) {
			st = sg_pump_run(p, SG_PUMP_SLICE, &side);
			assert_int_not_equal(st, SG_PUMP_ERROR);
			assert_int_not_equal(st, SG_PUMP_EOF);
		}
		if ((k = recv(to, in + got, n - got, MSG_DONTWAIT)) > 0)
			got += (size_t)k;
		else
			poll(NULL, 0, 1);
	}
	if (!to_eof)
		assert_int_equal(p->budget, 0);
	assert_memory_equal(in, out, n);
	assert_int_equal(p->moved, n);
	free(out);
	free(in);
}

/* A small response body is copied whatever the worker's engine; from
 * SG_RELAY_SPLICE_MIN on it takes the download engine, batched. */
static void test_engine_small_bodies_are_copied(void **state)
{
	const struct sg_relay_engines splice = { SG_RELAY_SPLICE, SG_RELAY_SPLICE, SG_RELAY_SPLICE,
						 false, NULL };
	struct sg_pump p;
	struct ends e;

	(void)state;
	ends_open(&e);
	assert_int_equal(setup(&p, &splice, &e, (struct sg_relay_what){ .budget = 100 }),
			 SG_RELAY_COPY);
	assert_int_equal(p.src, e.backend);
	assert_int_equal(p.dst, e.client);
	relay_bytes(&p, e.origin, e.peer, 100);
	sg_pump_release(&p);

	assert_int_equal(
		setup(&p, &splice, &e, (struct sg_relay_what){ .budget = SG_RELAY_SPLICE_MIN - 1 }),
		SG_RELAY_COPY);
	sg_pump_release(&p);
	assert_int_equal(
		setup(&p, &splice, &e, (struct sg_relay_what){ .budget = SG_RELAY_SPLICE_MIN }),
		SG_RELAY_SPLICE);
	assert_true(p.batch);
	relay_bytes(&p, e.origin, e.peer, SG_RELAY_SPLICE_MIN);
	sg_pump_release(&p);
	ends_close(&e, NULL);
}

/* Each direction and the tunnel take their own engine: a request body
 * the upload one, from the client to the backend. */
static void test_engine_each_direction_its_own(void **state)
{
	const struct sg_relay_engines mixed = { SG_RELAY_COPY, SG_RELAY_SPLICE, SG_RELAY_COPY,
						false, NULL };
	struct sg_pump p;
	struct ends e;

	(void)state;
	ends_open(&e);
	assert_int_equal(setup(&p, &mixed, &e, (struct sg_relay_what){ .budget = MIB }),
			 SG_RELAY_COPY);
	sg_pump_release(&p);
	assert_int_equal(
		setup(&p, &mixed, &e, (struct sg_relay_what){ .to_backend = true, .budget = MIB }),
		SG_RELAY_SPLICE);
	assert_int_equal(p.src, e.client);
	assert_int_equal(p.dst, e.backend);
	relay_bytes(&p, e.peer, e.origin, MIB);
	sg_pump_release(&p);
	/* A tunnel's bytes come as they come: the tunnel engine, never
	 * batched, even a small first exchange. */
	assert_int_equal(setup(&p, &mixed, &e,
			       (struct sg_relay_what){
				       .to_backend = true, .tunnel = true, .budget = UINT64_MAX }),
			 SG_RELAY_COPY);
	assert_false(p.batch);
	relay_bytes(&p, e.peer, e.origin, 10);
	sg_pump_release(&p);
	ends_close(&e, NULL);
}

/* A chunked body is copied with no budget (its framing is parsed by the
 * owner, a chunk at a time). */
static void test_engine_chunked_is_copied_without_budget(void **state)
{
	const struct sg_relay_engines splice = { SG_RELAY_SPLICE, SG_RELAY_SPLICE, SG_RELAY_SPLICE,
						 true, NULL };
	struct sg_pump p;
	struct ends e;

	(void)state;
	ends_open(&e);
	assert_int_equal(
		setup(&p, &splice, &e, (struct sg_relay_what){ .chunked = true, .budget = MIB }),
		SG_RELAY_COPY);
	assert_int_equal(p.budget, 0);
	assert_false(p.batch);
	assert_false(p.adapt);
	sg_pump_release(&p);
	ends_close(&e, NULL);
}

/* auto adapts a copy pump of a bulk body of known length, and a tunnel;
 * not a body to EOF, nor a spliced one, nor a worker that does not. */
static void test_engine_adapt_bulk_and_tunnels(void **state)
{
	struct sg_relay_engines en = copy_all;
	struct sg_pump p;
	struct ends e;

	(void)state;
	ends_open(&e);
	en.adapt = true;
	setup(&p, &en, &e, (struct sg_relay_what){ .budget = SG_RELAY_BUF_MAX });
	assert_true(p.adapt);
	sg_pump_release(&p);
	setup(&p, &en, &e, (struct sg_relay_what){ .budget = SG_RELAY_BUF_MAX - 1 });
	assert_false(p.adapt);
	sg_pump_release(&p);
	setup(&p, &en, &e, (struct sg_relay_what){ .budget = UINT64_MAX });
	assert_false(p.adapt);
	sg_pump_release(&p);
	setup(&p, &en, &e, (struct sg_relay_what){ .tunnel = true, .budget = UINT64_MAX });
	assert_true(p.adapt);
	sg_pump_release(&p);
	en.download = SG_RELAY_SPLICE;
	setup(&p, &en, &e, (struct sg_relay_what){ .budget = 4 * MIB });
	assert_int_equal(p.engine, SG_RELAY_SPLICE);
	assert_false(p.adapt);
	sg_pump_release(&p);
	en = copy_all;
	setup(&p, &en, &e, (struct sg_relay_what){ .budget = 4 * MIB });
	assert_false(p.adapt);
	sg_pump_release(&p);
	ends_close(&e, NULL);
}

/* sockmap asked of a worker without a socket map is splice, a promoted
 * tunnel too. */
static void test_engine_sockmap_without_map_is_splice(void **state)
{
	const struct sg_relay_engines sockmap = { SG_RELAY_SOCKMAP, SG_RELAY_SOCKMAP, SG_RELAY_COPY,
						  false, NULL };
	struct sg_pump p;
	struct ends e;

	(void)state;
	ends_open(&e);
	assert_int_equal(setup(&p, &sockmap, &e, (struct sg_relay_what){ .budget = MIB }),
			 SG_RELAY_SPLICE);
	relay_bytes(&p, e.origin, e.peer, MIB);
	sg_pump_release(&p);
	assert_int_equal(setup(&p, &sockmap, &e,
			       (struct sg_relay_what){
				       .tunnel = true, .promoted = true, .budget = UINT64_MAX }),
			 SG_RELAY_SPLICE);
	sg_pump_release(&p);
	ends_close(&e, NULL);
}

/* With the socket map loaded: a bulk body pairs the two sockets; from
 * then on every relay of the pair, a small body too, is the sockmap
 * engine (its bytes are read with recv() behind the kernel's); a promoted
 * tunnel is paired whatever the tunnel engine. */
static void test_engine_sockmap_pairs_and_stays(void **state)
{
	struct sg_splice_opts so = { .pin_dir = "" };
	struct sg_relay_engines en = { SG_RELAY_SOCKMAP, SG_RELAY_COPY, SG_RELAY_COPY, false,
				       NULL };
	struct sg_splice *s;
	struct sg_splice_ring *ring;
	struct sg_loop *loop;
	struct sg_pump p;
	struct ends e;
	char why[256];

	(void)state;
	if (geteuid() != 0) {
		skip(); /* loading a BPF program is root's */
		return;
	}
	s = sg_splice_open(&so, why, sizeof(why));
	if (!s)
		fail_msg("sg_splice_open: %s", why);
	ring = sg_splice_ring_open(s, why, sizeof(why));
	if (!ring)
		fail_msg("sg_splice_ring_open: %s", why);
	loop = sg_loop_new();
	assert_non_null(loop);
	en.kmap = sg_sockmap_new(s, ring, loop, why, sizeof(why));
	if (!en.kmap)
		fail_msg("sg_sockmap_new: %s", why);

	ends_open(&e);
	assert_int_equal(setup(&p, &en, &e, (struct sg_relay_what){ .budget = MIB }),
			 SG_RELAY_SOCKMAP);
	assert_true(sg_sockmap_paired(&e.ck, &e.bk));
	assert_false(p.batch);
	sg_pump_release(&p);
	assert_int_equal(
		setup(&p, &en, &e, (struct sg_relay_what){ .to_backend = true, .budget = 100 }),
		SG_RELAY_SOCKMAP);
	sg_pump_release(&p);
	/* The client's next backend connection failed a pairing once: the
	 * client, in the map, is read with recv() alone: copy, not splice. */
	{
		struct ends next;

		ends_open(&next);
		next.bk.failed = true;
		next.cs = e.cs;
		assert_int_equal(setup(&p, &en, &next, (struct sg_relay_what){ .budget = MIB }),
				 SG_RELAY_COPY);
		sg_pump_release(&p);
		en.download = SG_RELAY_SPLICE;
		assert_int_equal(setup(&p, &en, &next, (struct sg_relay_what){ .budget = MIB }),
				 SG_RELAY_COPY);
		en.download = SG_RELAY_SOCKMAP;
		sg_pump_release(&p);
		ends_close(&next, en.kmap);
	}
	ends_close(&e, en.kmap);

	ends_open(&e);
	assert_int_equal(
		setup(&p, &en, &e, (struct sg_relay_what){ .tunnel = true, .budget = UINT64_MAX }),
		SG_RELAY_COPY);
	assert_false(sg_sockmap_paired(&e.ck, &e.bk));
	sg_pump_release(&p);
	assert_int_equal(setup(&p, &en, &e,
			       (struct sg_relay_what){
				       .tunnel = true, .promoted = true, .budget = UINT64_MAX }),
			 SG_RELAY_SOCKMAP);
	assert_true(sg_sockmap_paired(&e.ck, &e.bk));
	sg_pump_release(&p);
	ends_close(&e, en.kmap);

	sg_sockmap_free(en.kmap); /* and the ring it owns */
	sg_loop_free(loop);
	sg_splice_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_small_bodies_are_copied),
		cmocka_unit_test(test_engine_each_direction_its_own),
		cmocka_unit_test(test_engine_chunked_is_copied_without_budget),
		cmocka_unit_test(test_engine_adapt_bulk_and_tunnels),
		cmocka_unit_test(test_engine_sockmap_without_map_is_splice),
		cmocka_unit_test(test_engine_sockmap_pairs_and_stays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* user/http1/h1tunnel.c: the HTTP/1 frontend's tunnels, through
 * sg_proxy_accept on a real loop (tests/unit/h1env.h: the client one end
 * of a socketpair, the backend a loopback listener the test answers by
 * hand): a connection after 101 with the bytes the backend sent past its
 * head, its idle bound, and a tunnelProtocol: connect bind's CONNECT,
 * entered or refused. (A TCP route's connection: test_tcpconn.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h1env.h"

/* 101 Switching Protocols: the head goes to the client (its hop-by-hop
 * Connection written by the gateway) with the bytes the backend sent
 * right after it, then the connection is a tunnel both ways. */
static void test_h1tunnel_upgrade(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd,
	    "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	HEAD_AT(e, 0);
	assert_non_null(strcasestr(e->be[0].in, "\r\nupgrade: websocket\r\n"));
	say(e->be[0].fd, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: websocket\r\n\r\nfirst frame");
	UNTIL(e, has(&e->client, "first frame"));
	assert_string_equal(e->client.in,
			    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "connection: upgrade\r\n\r\nfirst frame");
	forget(&e->be[0]);
	say(e->client.fd, "GET / HTTP/1.1\r\n\r\n"); /* not a request any more */
	UNTIL(e, has(&e->be[0], "GET / HTTP/1.1\r\n\r\n"));
	assert_int_equal(e->be[0].len, 18);
	assert_int_equal(e->nbe, 1);
}

/* --tunnel-idle-timeout holds after a 101 too: quiet both ways that long,
 * both sides are closed. */
static void test_h1tunnel_upgrade_idle_closed(void **state)
{
	struct env *e = *state;

	e->f.tunnel_idle_ms = 300;
	start(e, "");
	say(e->client.fd,
	    "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: websocket\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	forget(&e->be[0]);
	tunnel_idles_out(e, &e->be[0]);
}

/* ---- tunnelProtocol: connect ------------------------------------------------- */

struct entered {
	int fd, n;
	uint16_t port;
};

static void reenter(void *arg, int fd, const struct sockaddr_storage *peer, uint16_t port)
{
	struct entered *in = arg;

	(void)peer;
	in->fd = fd;
	in->port = port;
	in->n++;
}

/* A CONNECT to a port some bind serves is answered 200 and the socket
 * enters that bind; one to a port none serves is 404, to port 0 or with
 * bytes after its head (they would belong to the bind) 400, and any
 * other method 405, each closing the connection after its answer. */
static void test_h1tunnel_connect(void **state)
{
	static const struct {
		const char *head, *status_line;
	} refused[] = {
		{ "CONNECT 127.0.0.1:8443 HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n",
		  "HTTP/1.1 404 Not Found\r\n" },
		{ "CONNECT 127.0.0.1:0 HTTP/1.1\r\nHost: 127.0.0.1:0\r\n\r\n",
		  "HTTP/1.1 400 Bad Request\r\n" },
		{ "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\nearly",
		  "HTTP/1.1 400 Bad Request\r\n" },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed\r\n" },
	};
	struct env *e = *state;
	struct entered in = { .fd = -1 };

	e->f.reenter = reenter;
	e->f.reenter_arg = &in;
	start_text(e, "binds:\n"
		      "- port: 3000\n  tunnelProtocol: connect\n  listeners: []\n"
		      "- port: 443\n  listeners:\n  - protocol: TCP\n    tcpRoutes:\n"
		      "    - backends: [{host: 127.0.0.1:1}]\n");
	say(e->client.fd, "CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n");
	UNTIL(e, in.n == 1);
	assert_int_equal(in.port, 443);
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\n\r\n");
	/* the socket is the bind's now: what the client sends reaches it */
	say(e->client.fd, "hello");
	{
		char buf[8] = "";
		ssize_t n = -1;

		for (int i = 0; i < 600 && n <= 0; i++) {
			round_once(e);
			n = read(in.fd, buf, sizeof(buf) - 1);
		}
		assert_int_equal(n, 5);
		assert_string_equal(buf, "hello");
	}
	close(in.fd);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		close(e->client.fd);
		connect_client(e);
		say(e->client.fd, refused[i].head);
		UNTIL(e, e->client.eof);
		if (strncmp(e->client.in, refused[i].status_line, strlen(refused[i].status_line)))
			fail_msg("%s: %s", refused[i].head, e->client.in);
	}
	assert_int_equal(in.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h1tunnel_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1tunnel_upgrade_idle_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1tunnel_connect, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

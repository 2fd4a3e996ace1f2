/* Remote JWKS fetched by the gateway's own client: HTTP/1.1 over TCP, or
 * over TLS with user/tls's backend client (the system's CAs, as OpenSSL
 * finds them: SSL_CERT_FILE and SSL_CERT_DIR are honoured; SNI and the
 * name verified are the URL's host), on each remote's thread
 * (user/auth/jwksremote.h), never on a worker. */
#ifndef SG_JWKSFETCH_H
#define SG_JWKSFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"

/* The largest JWKS answer read; a bigger one fails the fetch. */
#define SG_JWKSFETCH_MAX_BODY (1024 * 1024)
/* One fetch's bound, from the lookup to the last byte. */
#define SG_JWKSFETCH_TIMEOUT_MS 10000

/* One exchange of the same client, blocking its thread (OIDC discovery and
 * its code exchange use it too, and MCP's streamable HTTP targets): method
 * (NULL: GET) url with the header lines `headers` ("Name: value\r\n" each;
 * NULL: none) and body[0..body_len) (NULL: none), within timeout_ms (0:
 * SG_JWKSFETCH_TIMEOUT_MS). `accept` is the Accept header's value (NULL:
 * application/json); max_body the largest answer body read (0:
 * SG_JWKSFETCH_MAX_BODY); `stop` NULL, or a descriptor that, once
 * readable, ends the fetch where it waits ("stopped"); `enough` NULL, or
 * asked (with arg) after each read of the body, with the answer's head
 * (status and headers filled) and its body so far (decoded): true ends
 * the read there, the answer's body being that part. `stream` (with
 * enough): enough is given only the bytes decoded since its last call,
 * which are then dropped, so that a stream of any length is read within
 * max_body a piece (a server's event stream); the answer's body is then
 * the last bytes enough was not shown (when the body ended with them).
 *
 * `conn` NULL: the fetch's connection is its own, closed after the answer
 * (`Connection: close`). Else the connection is kept alive (HTTP/1.1):
 * *conn is, going in, a connection kept from an earlier fetch of the
 * caller's (NULL: none), used when it goes to the URL's origin and still
 * looks open (else closed, and a new one made), and coming out the
 * connection when the answer left it fit for another request (its body
 * read to its exact end, no `Connection: close`), else NULL (closed). A
 * read that `enough` ended early reads the rest of the body, and drops
 * it, for SG_FETCH_LINGER_MS at most, to keep the connection (MCP's
 * servers end an answer's event stream right after its response). A
 * request on a kept connection that the server closed (or reset) before
 * any byte of an answer is made once more on a new connection: a server
 * may close an idle connection as the request goes. Not with `stream`.
 *
 * `tls` NULL: an https:// URL is TLS with the system's CAs. Else the
 * exchange is TLS as that backendTLS policy says (its CAs, client
 * certificate, hostname, insecure...), whatever the URL's scheme (an
 * MCP target's policy, as agentgateway applies one to an http:// host);
 * it is read during the call only (its PEMs are loaded per connection). */
struct sg_fetched;
struct sg_fetch_conn;
struct sg_fetch {
	const char *method, *url, *headers, *body;
	size_t body_len;
	int timeout_ms;
	const char *accept;
	size_t max_body;
	const int *stop;
	bool (*enough)(void *arg, const struct sg_fetched *head, const char *body, size_t len);
	void *arg;
	bool stream;
	struct sg_fetch_conn **conn;
	const struct sg_backend_tls *tls;
	/* Where to connect instead of the URL's host and port (a Service's
	 * endpoint, the URL naming the Service); NULL: the URL's. */
	const char *dial_addr;
	uint16_t dial_port;
};

/* How long a kept connection's answer is read past `enough`, at most. */
#define SG_FETCH_LINGER_MS 100

/* An Mcp-Session-Id kept, at most this long. */
#define SG_FETCH_SESSION_MAX 256

/* The answer, whatever its status: its body (malloc'd, NUL-terminated,
 * the caller's), its Cache-Control max-age (0: none, or not digits; a
 * value past 2^31 s is 2^31 s), its Content-Type ("": none, or longer
 * than the field) and its Mcp-Session-Id ("": none, or not 1 to
 * SG_FETCH_SESSION_MAX visible ASCII characters, as MCP's session ids
 * are). `dials`: the connections the fetch made (0: it used the kept
 * one). */
struct sg_fetched {
	uint16_t status;
	char *body;
	size_t len;
	int64_t ttl_ms;
	char content_type[128];
	char session[SG_FETCH_SESSION_MAX + 1];
	unsigned dials;
};

/* f made: 0 with *out, or -1 with why in err (as sg_jwksfetch_get's).
 * With f->conn, *f->conn is set either way (NULL: nothing kept). */
int sg_fetch(const struct sg_fetch *f, struct sg_fetched *out, char *err, size_t errlen);

/* A connection sg_fetch kept closed (its TLS session and socket); NULL is
 * fine. Any thread; c is the caller's alone. */
void sg_fetch_conn_close(struct sg_fetch_conn *c);

/* Every remote JWKS of cfg (its jwtAuths' jwks {url}) starts fetching, if
 * it did not: call when cfg goes in force. A thread that cannot start is
 * logged; its provider then knows no key (its tokens are refused). */
void sg_jwksfetch_start(const struct sg_cfg *cfg);

/* GET url (http:// or https://) as sg_jwks_get_fn: 0 with the body of a
 * 200 answer (malloc'd, the caller's) and its Cache-Control max-age in
 * *ttl_ms (0: none; at most 2^31 s, as sg_fetched's), or -1 with why in err ("connect 127.0.0.1:8443:
 * Connection refused", "status 503", "tls: certificate verify failed").
 * Blocks its thread up to SG_JWKSFETCH_TIMEOUT_MS. */
int sg_jwksfetch_get(const char *url, char **body, size_t *len, int64_t *ttl_ms, char *err,
		     size_t errlen);

#endif

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
 * the last bytes enough was not shown (when the body ended with them). */
struct sg_fetched;
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
};

/* An Mcp-Session-Id kept, at most this long. */
#define SG_FETCH_SESSION_MAX 256

/* The answer, whatever its status: its body (malloc'd, NUL-terminated,
 * the caller's), its Cache-Control max-age (0: none), its Content-Type
 * ("": none, or longer than the field) and its Mcp-Session-Id ("": none,
 * or not 1 to SG_FETCH_SESSION_MAX visible ASCII characters, as MCP's
 * session ids are). */
struct sg_fetched {
	uint16_t status;
	char *body;
	size_t len;
	int64_t ttl_ms;
	char content_type[128];
	char session[SG_FETCH_SESSION_MAX + 1];
};

/* f made: 0 with *out, or -1 with why in err (as sg_jwksfetch_get's). */
int sg_fetch(const struct sg_fetch *f, struct sg_fetched *out, char *err, size_t errlen);

/* Every remote JWKS of cfg (its jwtAuths' jwks {url}) starts fetching, if
 * it did not: call when cfg goes in force. A thread that cannot start is
 * logged; its provider then knows no key (its tokens are refused). */
void sg_jwksfetch_start(const struct sg_cfg *cfg);

/* GET url (http:// or https://) as sg_jwks_get_fn: 0 with the body of a
 * 200 answer (malloc'd, the caller's) and its Cache-Control max-age in
 * *ttl_ms (0: none), or -1 with why in err ("connect 127.0.0.1:8443:
 * Connection refused", "status 503", "tls: certificate verify failed").
 * Blocks its thread up to SG_JWKSFETCH_TIMEOUT_MS. */
int sg_jwksfetch_get(const char *url, char **body, size_t *len, int64_t *ttl_ms, char *err,
		     size_t errlen);

#endif

/* A request to an HTTP/1 backend and its response, for the HTTP/1
 * frontend (user/http1/): the try's request out, the response head in,
 * both bodies relayed. */
#ifndef SG_H1FORWARD_H
#define SG_H1FORWARD_H

#include "user/http1/h1conn.h"

/* Body bytes moved, counted in the request and the worker's stats. */
void h1c_count_body(struct client *c, bool in, enum sg_relay_engine engine, uint64_t n);
/* Set up pump p for a body either way (or a tunnel's direction), choosing
 * its engine, and release it, counting its bytes once. */
enum sg_relay_engine h1c_init_pump(struct client *c, struct sg_pump *p, bool to_backend,
				   uint64_t budget, bool chunked);
void h1c_pump_done(struct client *c, struct sg_pump *p);
/* The request module's `send` (user/core/request.h): this try's copy of the
 * request goes out on its connection, or as a stream to an HTTP/2 backend. */
void h1c_conn_send(struct sg_request *rq);
/* The attempt's callbacks for an HTTP/1 backend's exchange (user/core/
 * attempt.h): the request is out, a body relayed to it may go on, a
 * response head came (whose connection this frontend takes for the body,
 * else it comes as messages: user/http1/h1h2.c). */
void h1c_written(struct sg_attempt *a);
void h1c_writable(struct sg_attempt *a);
void h1c_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end);
/* Move the request body, and the response body, as far as they go now. */
void h1c_drive_request_body(struct client *c);
void h1c_drive_response(struct client *c);
/* The response is over: release its relays and finish the request. */
void h1c_response_done(struct client *c);
/* resp without its `name` fields, into out (slots: room for its headers). */
void h1c_without_header(const struct sg_h1_resp *resp, const char *name, struct sg_h1_resp *out,
			struct sg_h1_header *slots);

#endif

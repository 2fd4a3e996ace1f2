/* A request's response held whole (user/core/reqheld.c): copied when its
 * route transforms it, its log or span reads its head or body, or it is an
 * a2a card or JSON call to rewrite; and the gateway's own answers kept
 * for the log the same way. The request module's own (user/core/
 * request.c); the frontends see only request.h's sg_request_hold_response,
 * sg_request_response_data, _unhold and _end. */
#ifndef SG_CORE_REQHELD_H
#define SG_CORE_REQHELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/core/request.h"

/* A response held whole (r->held_resp): its head copied with its text
 * (head: the backend's, which response.headers read; out: the same
 * without its framing fields, as sink->respond writes it with its own
 * Content-Length), and its body so far, at most max bytes. */
struct sg_request_resp {
	struct sg_h1_resp head, out;
	char *body;
	size_t len, cap, max;
	/* Past max: response.body is absent, as agentgateway's, and the
	 * first max bytes are kept for response.bodyPrefix; the rest is
	 * dropped (a route whose transformation replaces the body, which it
	 * does all the same) or went to the client as it came (released). */
	bool over;
	/* Its client's address holds all the bodies it may (request.c,
	 * SG_REQUEST_SOURCE_HELD): nothing of the body is held (max 0); one a
	 * transformation reads is answered 503, one held for the log alone
	 * goes as it came. */
	bool refused;
	/* Kept in r->log_resp once answered, for the access log and span
	 * attributes that read it. */
	bool keep;
	/* The body's length as it went to the client (sink->respond's
	 * content-length), for the head kept for the log (keep_head). */
	size_t sent;
};

/* h and what it holds (NULL: nothing). */
void sg_request_free_held(struct sg_request_resp *h);
/* A response held and not answered (r failed meanwhile, or is over). */
void sg_request_drop_held(struct sg_request *r);
/* Whether r's access log line or its sampled span's attributes read
 * response.headers. */
bool sg_request_log_reads_head(const struct sg_request *r);
/* The head the client got, kept in r->log_head for the log line's and
 * span's response.headers. */
void sg_request_keep_head(struct sg_request *r, uint16_t status, const struct sg_h1_header *first,
			  size_t nfirst, const struct sg_h1_resp *resp,
			  const struct sg_h1_edit *edit);
/* The gateway's own answer, kept as the log line and span read it. */
void sg_request_answer_seen(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
			    const char *body, size_t len, bool text);
/* A response with no body (to a HEAD request, a 204, a 304). */
bool sg_request_bodyless(const struct sg_request *r, uint16_t status);
/* response.body as empty bytes, into in. */
void sg_request_empty_body(struct sg_filter_input *in);
/* What CEL reads of h's body, into in. */
void sg_request_held_input(const struct sg_request_resp *h, struct sg_filter_input *in);

/* From request.c: the most of a body r's listener holds (maxBufferSize),
 * and whether a content type is JSON (agentgateway's
 * WellKnownContentTypes::Json). */
size_t sg_request_buffer_max(const struct sg_request *r);
bool sg_request_json_type(const char *v, size_t len);
/* From request.c: `bytes` more counted in r's address's held bodies,
 * into *kib (KiB, added to what it holds until r ends). False: that
 * would pass SG_REQUEST_SOURCE_HELD maxBufferSizes; nothing counted. */
bool sg_request_hold_bytes(struct sg_request *r, uint64_t bytes, unsigned *kib);

#endif

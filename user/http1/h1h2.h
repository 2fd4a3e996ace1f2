/* An HTTP/1 client's request to an HTTP/2 backend, for the HTTP/1
 * frontend (user/http1/): the request as a stream, the response as the
 * exchange's messages written back as HTTP/1. */
#ifndef SG_H1H2_H
#define SG_H1H2_H

#include "user/http1/h1conn.h"

/* Send the try's request on its HTTP/2 stream (a->h2). */
void h1c_send_h2(struct client *c);
/* Queue bytes for the client, written after the loop's pass (one segment
 * for a response made from several frames); -1: out of memory. */
int h1c_client_queue(struct client *c, const struct iovec *iov, size_t cnt);
/* The last chunk of a chunked response, with the trailers t[0..n) that
 * may be trailers (RFC 9112 §7.1.2), queued as h1c_client_queue does;
 * -1: out of memory. */
int h1c_queue_last_chunk(struct client *c, const struct sg_h2_field *t, size_t n);
/* The client is HTTP/1.1 and said `TE: trailers`: it takes them. */
bool h1c_te_trailers(const struct client *c);
/* The client took what was queued: the backend's flow control opens. */
void h1c_h2_flushed(struct client *c);
/* A final head the exchange brought (either backend's), before it is
 * relayed: true when it needs no more of the caller, because the route
 * retried it (sg_request_took_response) or the request module holds it,
 * whose body then comes to h1c_h2_data and whose answer follows its end
 * (a tunnel's head is never held). */
bool h1c_head_retried_or_held(struct client *c, const struct sg_h1_resp *resp, bool tunnel);
/* The attempt's message callbacks (user/core/attempt.h): an HTTP/2
 * backend's, and heads an HTTP/1 backend's exchange does not offer. */
void h1c_h2_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end);
void h1c_h2_data(struct sg_attempt *a, const char *p, size_t n);
void h1c_h2_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err);
ssize_t h1c_h2_body(struct sg_attempt *a, char *buf, size_t len, bool *eof);
/* The request module's sink->release (user/core/request.h) for a held
 * response from an HTTP/2 backend: its head and first bytes to the
 * client, the rest of its frames as they come. */
void h1c_h2_release(struct client *c, const struct sg_h1_resp *resp, const char *body, size_t len);
size_t h1c_h2_trailers(struct sg_attempt *a, const struct sg_h2_field **t);

#endif

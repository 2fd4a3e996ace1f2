/* Envoy's external authorization messages (envoy.service.auth.v3, the
 * public external_auth.proto and attribute_context.proto) in protobuf's
 * wire format: the CheckRequest the gateway sends, framed as one gRPC
 * message, and the CheckResponse it reads back. Written by hand rather
 * than generated with protobuf-c: the gateway writes eight small messages
 * and reads five, a few fields each, and a generated codec would bring
 * the vendored .proto tree, a code generator in the build and a runtime
 * library for ~300 lines of wire format. No I/O; the response's views
 * point into the caller's buffer. */
#ifndef SG_AUTHZPB_H
#define SG_AUTHZPB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/codec/h1.h"

struct sg_json;

/* A header line (a request's, or one the service adds). */
struct sg_authzpb_header {
	struct sg_h1_span name, value;
	bool append; /* HeaderValueOption.append true: added beside a line
		      * of the same name, else it replaces it */
};

/* A peer's address (AttributeContext.Peer.address.socket_address). */
struct sg_authzpb_peer {
	const char *addr; /* NULL: none sent */
	uint32_t port;
};

/* What the gateway knows of a request: AttributeContext's source,
 * destination, request.time and request.http, and context_extensions. */
struct sg_authzpb_request {
	struct sg_authzpb_peer source, destination;
	int64_t time_s; /* Unix seconds (0: no time sent) */
	int32_t time_ns;
	struct sg_h1_span id, method, path, host, scheme, protocol;
	const struct sg_authzpb_header *headers;
	size_t nheaders;
	const char *body; /* NULL: none */
	size_t body_len;
	bool raw_body;		    /* as bytes (raw_body), else as text (body) */
	int64_t size;		    /* the whole body's length, -1 when unknown */
	const char *const *context; /* key, value pairs: ncontext entries */
	size_t ncontext;
	const char *sni; /* the TLS handshake's server name, NULL: not TLS */
	/* metadata_context.filter_metadata: an object whose members that are
	 * objects go as Structs (numbers as doubles); NULL: no
	 * metadata_context. */
	const struct sg_json *metadata;
};

/* The CheckRequest for q, as one gRPC length-prefixed message (5 bytes of
 * framing, then the protobuf): *out (malloc'd, the caller frees it) and
 * *len. What the client sent (id, path, host, headers, a text body) goes
 * with what is not UTF-8 made U+FFFD (sg_pbw_text). Returns 0 or
 * -ENOMEM. */
int sg_authzpb_check_request(const struct sg_authzpb_request *q, char **out, size_t *len);

/* The most header lines a CheckResponse may carry in each list. */
#define SG_AUTHZPB_MAX_HEADERS 64

/* A CheckResponse. code 0 (google.rpc.Code OK) allows the request; any
 * other denies it. Views into the decoded buffer. */
struct sg_authzpb_response {
	int32_t code;
	struct sg_h1_span message;
	bool denied;		/* a denied_response came */
	uint16_t status;	/* its HttpStatus code; 0: none given */
	struct sg_h1_span body; /* its body */
	/* denied: the denial's headers; else ok_response's headers for the
	 * request the backend gets. */
	struct sg_authzpb_header headers[SG_AUTHZPB_MAX_HEADERS];
	size_t nheaders;
	/* ok_response: headers_to_remove, and response_headers_to_add (for
	 * the client's response). */
	struct sg_h1_span remove[SG_AUTHZPB_MAX_HEADERS];
	size_t nremove;
	struct sg_authzpb_header response[SG_AUTHZPB_MAX_HEADERS];
	size_t nresponse;
	/* dynamic_metadata: a google.protobuf.Struct's bytes (p NULL: none),
	 * for sg_authzpb_struct. */
	struct sg_h1_span metadata;
};

/* Decode a CheckResponse's protobuf bytes p[0..len) (without gRPC
 * framing) into *r. Returns 0, -EBADMSG for bytes that are not a
 * well-formed message of that shape (a header whose name or value could
 * not be written as a field, sg_h1_field_ok, among them), or -E2BIG for
 * more header lines than
 * SG_AUTHZPB_MAX_HEADERS in one list. Unknown fields are skipped. */
int sg_authzpb_check_response(const char *p, size_t len, struct sg_authzpb_response *r);

/* How deeply a Struct's values may nest (structs and lists). */
#define SG_AUTHZPB_MAX_DEPTH 32

/* A google.protobuf.Struct's bytes p[0..len) as the JSON object
 * agentgateway makes of it (numbers as doubles; a key given twice keeps
 * the last): *out, the caller's to sg_json_free. Returns 0, -EBADMSG (not
 * a well-formed Struct, or nested deeper than SG_AUTHZPB_MAX_DEPTH), or
 * -ENOMEM. */
int sg_authzpb_struct(const char *p, size_t len, struct sg_json **out);

#endif

/* Protobuf's wire format, the few pieces the gateway's hand-written
 * messages need (user/codec/authzpb.c, user/codec/rlspb.c,
 * user/codec/otlppb.c): a growing
 * writer with nested messages and gRPC's length prefix, and a reader
 * that walks one message's fields. Written by hand rather than generated
 * with protobuf-c: the gateway writes and reads a few small messages, a
 * few fields each. No I/O. */
#ifndef SG_PBWIRE_H
#define SG_PBWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/codec/h1.h"

enum { SG_PB_VARINT = 0, SG_PB_I64 = 1, SG_PB_LEN = 2, SG_PB_I32 = 5 };

/* A growing buffer; `bad` once an allocation failed (every write after
 * is dropped and sg_pbw_grpc_done refuses the result). Zero it to start. */
struct sg_pbw {
	char *p;
	size_t len, cap;
	bool bad;
};

/* Room for n more bytes: true, or false (and bad) when memory ran out. */
bool sg_pbw_room(struct sg_pbw *w, size_t n);
void sg_pbw_varint(struct sg_pbw *w, uint64_t v);
void sg_pbw_tag(struct sg_pbw *w, unsigned field, unsigned wire);
/* A length-delimited field; an empty one is not written (proto3). */
void sg_pbw_bytes(struct sg_pbw *w, unsigned field, const void *p, size_t n);
/* A string field made of bytes that came from a client (a header's
 * value, a body): what is not well-formed UTF-8 becomes U+FFFD, as
 * agentgateway's from_utf8_lossy makes it (sg_utf8_lossy), since a
 * service refuses the whole message for a string that is not UTF-8. An
 * empty one is not written. */
void sg_pbw_text(struct sg_pbw *w, unsigned field, const char *p, size_t n);
/* s NULL or empty: nothing. */
void sg_pbw_str(struct sg_pbw *w, unsigned field, const char *s);
void sg_pbw_span(struct sg_pbw *w, unsigned field, struct sg_h1_span s);
/* A fixed64 field (little-endian), written even when 0. */
void sg_pbw_fixed64(struct sg_pbw *w, unsigned field, uint64_t v);
/* A varint field; 0 is not written (proto3). */
void sg_pbw_uint(struct sg_pbw *w, unsigned field, uint64_t v);
/* A nested message begins: its content is written after the returned
 * offset, and sg_pbw_end puts its length in front of it. */
size_t sg_pbw_begin(struct sg_pbw *w, unsigned field);
void sg_pbw_end(struct sg_pbw *w, size_t at);

/* A gRPC message: sg_pbw_grpc_begin leaves room for its 5-byte prefix,
 * sg_pbw_grpc_done fills it and hands the bytes over (*out malloc'd, the
 * caller frees it; *len). 0, or -ENOMEM (w's memory freed). */
int sg_pbw_grpc_begin(struct sg_pbw *w);
int sg_pbw_grpc_done(struct sg_pbw *w, char **out, size_t *len);

/* A message being read: [p, end). */
struct sg_pbr {
	const char *p, *end;
};

/* One field: its number and wire type, and its value (varint) or bytes
 * (length-delimited, and the fixed widths). */
struct sg_pbf {
	unsigned field, wire;
	uint64_t v;
	struct sg_h1_span s;
};

/* The next field of r into *f: 1, 0 at its end, or -EBADMSG (a bad
 * varint, a length past the end, a group). */
int sg_pbr_next(struct sg_pbr *r, struct sg_pbf *f);

/* Whether f is field `field` with wire type `wire`: 1, 0 (another
 * field), -EBADMSG (this field with another wire type). */
int sg_pbr_is(const struct sg_pbf *f, unsigned field, unsigned wire);

/* The message a length-delimited field holds. */
struct sg_pbr sg_pbr_sub(const struct sg_pbf *f);

/* A gRPC response body m[0..len): exactly one uncompressed message, its
 * bytes into *p, *n. 0 or -EBADMSG. */
int sg_pbr_grpc_message(const char *m, size_t len, const char **p, size_t *n);

#endif

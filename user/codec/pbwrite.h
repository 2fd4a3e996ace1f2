/* Protobuf's wire format written by hand (https://protobuf.dev/programming-
 * guides/encoding/): the few field kinds the gateway's messages use
 * (user/codec/authzpb.c's CheckRequest, user/codec/otlppb.c's spans), into
 * a growing buffer, nested messages length-prefixed as they close. No
 * I/O. */
#ifndef SG_PBWRITE_H
#define SG_PBWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SG_PBW_VARINT = 0, SG_PBW_I64 = 1, SG_PBW_LEN = 2, SG_PBW_I32 = 5 };

/* A message being written: p[0..len) (malloc'd, the caller's to free),
 * `bad` once an allocation failed (every write after is dropped and the
 * caller must refuse the result). Zeroed: empty. */
struct sg_pbw {
	char *p;
	size_t len, cap;
	bool bad;
};

/* Room for n more bytes; false (and w->bad) when it cannot be had. */
bool sg_pbw_room(struct sg_pbw *w, size_t n);
void sg_pbw_varint(struct sg_pbw *w, uint64_t v);
void sg_pbw_tag(struct sg_pbw *w, unsigned field, unsigned wire);
/* A length-delimited field; proto3 sends no empty one (n 0: nothing). */
void sg_pbw_bytes(struct sg_pbw *w, unsigned field, const void *p, size_t n);
/* s NUL-terminated; NULL or "": nothing. */
void sg_pbw_str(struct sg_pbw *w, unsigned field, const char *s);
/* A varint field; 0 (proto3's default): nothing. */
void sg_pbw_uint(struct sg_pbw *w, unsigned field, uint64_t v);
/* A fixed64 field (little-endian), sent even when 0. */
void sg_pbw_fixed64(struct sg_pbw *w, unsigned field, uint64_t v);
/* A nested message under `field` begins: write its fields, then
 * sg_pbw_end with the returned offset puts its length in front. */
size_t sg_pbw_begin(struct sg_pbw *w, unsigned field);
void sg_pbw_end(struct sg_pbw *w, size_t at);
/* The gRPC length prefix (uncompressed) over w->p[5..len), whose first 5
 * bytes the caller reserved (w->len = 5 before the message). */
void sg_pbw_grpc_prefix(struct sg_pbw *w);

#endif

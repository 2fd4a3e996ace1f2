/* The TLS ClientHello as TLS passthrough reads it: the records a client
 * sends first, parsed without writing anything, as far as the server_name
 * extension (RFC 8446 §4.1.2, RFC 6066 §3). A codec: no I/O. */
#ifndef SG_TLSHELLO_H
#define SG_TLSHELLO_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes of a connection read for its ClientHello (records and
 * their headers): a hello that does not fit is refused. */
#define SG_TLSHELLO_MAX 16384
/* The longest host name (RFC 6066: at most 2^16 - 1 bytes on the wire, but
 * a DNS name has at most 253 characters, 255 with slack). */
#define SG_TLSHELLO_NAME_MAX 255

/* The host_name the ClientHello at the start of buf[0..len) asks for: the
 * first bytes of a connection, handshake records of up to 2^14 bytes
 * each, the hello possibly split across several of them (only the first
 * SG_TLSHELLO_MAX bytes are looked at). Pure: reads buf, writes name and
 * *need only.
 *
 * Returns 0 with the name, lowercased and NUL-terminated, in name (namecap
 * at least SG_TLSHELLO_NAME_MAX + 1; a single trailing dot is dropped);
 * -ENOENT: a complete, well-formed ClientHello with no host_name;
 * -EAGAIN: more bytes are needed: *need is the length buf must reach
 * before the answer can change (> len, <= SG_TLSHELLO_MAX);
 * -EINVAL: not a TLS ClientHello, or a malformed one (lengths that do not
 * add up, a name with characters no host name has, a second server_name);
 * -E2BIG: the ClientHello does not end within SG_TLSHELLO_MAX bytes. */
int sg_tlshello_sni(const uint8_t *buf, size_t len, char *name, size_t namecap, size_t *need);

#endif

/* Backend host names and addresses as a config may write them: checked
 * when the config loads, so that "a b:80" is an error with its location
 * rather than a name the resolver is asked for at the first request. */
#ifndef SG_HOSTNAME_H
#define SG_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) is a host name (RFC 1123 §2.1: labels of letters,
 * digits and '-', 1 to 63 characters each, none beginning or ending with
 * '-', separated by single dots, at most 253 characters, one trailing dot
 * allowed; the last label not all digits, which inet_aton would read as
 * an address) or a dotted-quad IPv4 address. */
bool sg_hostname_valid(const char *s, size_t len);

/* Whether s[0..len) is a name a TLS route can serve by SNI: a host name as
 * above without the trailing dot, optionally behind a "*." wildcard label,
 * never an IP address (RFC 6066 §3 keeps those out of SNI). */
bool sg_sni_name_valid(const char *s, size_t len);

/* Whether s[0..len) is what goes before ":port" in a backend `host`: a
 * host name or IPv4 address as above, or an IPv6 address in brackets
 * ("[::1]", "[fe80::1%eth0]"). */
bool sg_host_addr_valid(const char *s, size_t len);

/* How many bytes of authority a[0..n) are its host: up to the first ':',
 * or through the ']' of a bracketed IPv6 address (n when there is none). */
size_t sg_authority_host_len(const char *a, size_t n);

#endif

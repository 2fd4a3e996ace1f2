/* Socket helpers: address parsing and listening sockets. */
#ifndef SG_NET_H
#define SG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "127.0.0.1:15000", "[::1]:15000", "0.0.0.0:8080", ":8080" (all IPv4
 * addresses). Returns 0, or -1 for a malformed address. */
int sg_net_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* A non-blocking, close-on-exec listening TCP socket with SO_REUSEADDR
 * (and SO_REUSEPORT when `reuseport`). Returns the fd, or -1 with errno. */
int sg_net_listen(const struct sockaddr_storage *ss, socklen_t len, bool reuseport);

/* Whether sg_net_listen(ss, len, true) could take this address now: binds
 * a socket with the same options and closes it, without listen(). A probe
 * that listened would join the SO_REUSEPORT group of the port's live
 * listeners for a moment and take connections, which its close would reset.
 * Returns 0, or -errno (-EADDRINUSE: someone else's listener). */
int sg_net_probe(const struct sockaddr_storage *ss, socklen_t len);

/* TCP_NODELAY on. Returns 0 or -1 with errno. */
int sg_net_nodelay(int fd);

/* SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT from a keepalive policy
 * (times rounded up to whole seconds, at least 1). */
struct sg_keepalive;
int sg_net_keepalive(int fd, const struct sg_keepalive *ka);

/* The address of `ss` alone ("127.0.0.1", "::1") into buf; "?" when it
 * does not fit. */
const char *sg_net_ip_str(const struct sockaddr_storage *ss, char *buf, size_t len);
/* "ip:port" of `ss` into buf ("[ip]:port" for IPv6). */
const char *sg_net_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif

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

/* "ip:port" of `ss` into buf. */
const char *sg_net_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif

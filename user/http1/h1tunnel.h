/* The HTTP/1 frontend's tunnels (user/http1/): TCP routes, and connections
 * after a 101 or a CONNECT's 2xx; the kernel's idle time of a connection's
 * sockets. */
#ifndef SG_H1TUNNEL_H
#define SG_H1TUNNEL_H

#include "user/http1/h1conn.h"

/* A TCP route's connection on listener l: connect its backend, then relay. */
void h1c_start_tunnel(struct client *c, const struct sg_listener *l, const struct sg_tcp_route *r);
/* After 101 or a CONNECT's 2xx: both directions are a tunnel now, with the
 * extra_len bytes the backend sent past its head first. */
void h1c_start_upgraded_tunnel(struct client *c, size_t extra_len);
/* Move what the tunnel can, both ways; closes the connection when it ends. */
void h1c_drive_tunnel(struct client *c);
/* How long the connection's sockets were quiet, counting what the kernel
 * moved alone (the socket map): at most `idle` ms (arg: the client). */
uint64_t h1c_kernel_quiet(void *arg, uint64_t idle);
/* The same, from loop ms `since`. */
uint64_t h1c_quiet_ms(struct client *c, uint64_t since);

#endif

/* The HTTP/1 frontend's tunnels (user/http1/): connections after a 101 or
 * a CONNECT's 2xx; the kernel's idle time of a connection's sockets. */
#ifndef SG_H1TUNNEL_H
#define SG_H1TUNNEL_H

#include "user/http1/h1conn.h"

/* A request head on a tunnelProtocol: connect bind: a CONNECT to a port
 * some bind serves is answered 200 and the connection enters that bind
 * (ctx->reenter) with c gone; anything else is refused as agentgateway
 * does (405, 400, 404) and the connection closed after the answer. */
void h1c_connect(struct client *c);
/* After 101 or a CONNECT's 2xx: both directions are a tunnel now, with the
 * extra[0..extra_len) the backend sent past its head first. */
void h1c_start_upgraded_tunnel(struct client *c, const char *extra, size_t extra_len);
/* Move what the tunnel can, both ways; closes the connection when it ends. */
void h1c_drive_tunnel(struct client *c);
/* How long the connection's sockets were quiet, counting what the kernel
 * moved alone (the socket map): at most `idle` ms (arg: the client). */
uint64_t h1c_kernel_quiet(void *arg, uint64_t idle);

#endif

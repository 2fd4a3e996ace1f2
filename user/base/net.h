/* Socket helpers: address parsing and listening sockets. */
#ifndef SG_NET_H
#define SG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* "127.0.0.1:15000", "[::1]:15000", "0.0.0.0:8080", ":8080" (all IPv4
 * addresses). Returns 0, or -1 for a malformed address. */
int sg_net_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* A non-blocking, close-on-exec listening TCP socket with SO_REUSEADDR
 * (and SO_REUSEPORT when `reuseport`). Returns the fd, or -1 with errno. */
int sg_net_listen(const struct sockaddr_storage *ss, socklen_t len, bool reuseport);

/* Whether this address is free for a gateway of its own: binds a socket
 * with SO_REUSEADDR but without SO_REUSEPORT and closes it, without
 * listen(). Another process listening there, even with SO_REUSEPORT under
 * the same uid (which a probe with SO_REUSEPORT would join, as workers do),
 * makes it fail; connections in TIME_WAIT do not. A probe that listened
 * could take connections for a moment, which its close would reset.
 * Returns 0, or -errno (-EADDRINUSE: someone's listener). */
int sg_net_probe(const struct sockaddr_storage *ss, socklen_t len);

/* Whether every socket listening on TCP port `port` (any address, IPv4 or
 * IPv6, in this network namespace) is one of this process's own
 * descriptors: /proc/net/tcp{,6} against /proc/self/fd. A reload that adds
 * a port its workers have not finished closing finds only its own there.
 * false when none listens or /proc cannot be read. */
bool sg_net_port_held_by_self(uint16_t port);

/* A non-blocking, close-on-exec unix stream socket listening at `path`,
 * whose file has exactly `mode` (whatever the umask); the directory it is
 * in is made (0755) when missing. A socket file left by a process that is
 * gone (a gateway killed with -9) is replaced; one that a live process
 * accepts on is not (-EADDRINUSE), nor a file that is no socket (-EEXIST).
 * A directory another user could put a socket in instead is refused
 * (-EPERM): one owned by another user than the process's or root, or
 * writable by group or others without the sticky bit.
 * *id gets what tells the file from another made there later
 * (sg_net_unlink_unix). Returns the fd, or -errno. Changes the process's
 * umask for the bind: call it before other threads create files. */
struct sg_net_file_id {
	uint64_t dev, ino, ctime_ns; /* an inode number alone may be reused */
};
int sg_net_listen_unix(const char *path, mode_t mode, struct sg_net_file_id *id);

/* Removes the socket file at `path` if it is still the one `id` names
 * (not one a later gateway put there). */
void sg_net_unlink_unix(const char *path, const struct sg_net_file_id *id);

/* A blocking, close-on-exec stream socket connected to the unix socket at
 * `path`. Returns the fd, or -errno (-EACCES: no write permission on it,
 * -ENOENT: no such socket, -ECONNREFUSED: nobody accepts there). */
int sg_net_connect_unix(const char *path);

/* How long ago, in ms, the client's side of a just-accepted connection
 * was established, as the kernel saw it: the first round-trip sample (from
 * our SYN-ACK to the ACK or data that completed the handshake, which under
 * TCP_DEFER_ACCEPT spans the whole time the kernel held the connection)
 * plus the time since that segment (the accept queue). 0 when TCP_INFO
 * cannot be read. Timers that a user counts from connect() start this
 * much in the past. */
uint64_t sg_net_accept_age_ms(int fd);

/* TCP_DEFER_ACCEPT on a listening socket: `secs` > 0 lets the kernel
 * hold a new connection up to about that long until its first bytes
 * arrive; 0 turns it off. Returns 0 or -1 with errno. */
int sg_net_defer_accept(int fd, int secs);

/* TCP_NODELAY on. Returns 0 or -1 with errno. */
int sg_net_nodelay(int fd);

/* Fixed socket buffers the operator chose (--client-rcvbuf and the three
 * others), in bytes; 0 leaves the kernel's autotuning. A fixed size gives
 * up autotuning on that socket: it bounds what a peer that stops reading
 * (or sending) pins in the host's TCP memory, and it bounds a fast
 * transfer's window too (docs/internals.md, "Socket buffers"). Set once,
 * before the first listener or backend socket, and never after: the
 * workers read it without a lock. */
struct sg_net_bufs {
	int client_rcv, client_snd;   /* accepted sockets (set on the listener) */
	int backend_rcv, backend_snd; /* backend connections (before connect) */
	/* TCP_NOTSENT_LOWAT on accepted sockets: at most this many bytes
	 * wait unsent toward a client (what was sent is bounded by the
	 * client's window instead); 0: none. */
	int client_lowat;
};
void sg_net_set_bufs(const struct sg_net_bufs *b);
const struct sg_net_bufs *sg_net_bufs(void);
/* SO_RCVBUF and SO_SNDBUF of the chosen side on fd, where chosen. Before
 * listen() or connect(), so the window scale fits. 0 or -1 with errno. */
int sg_net_apply_bufs(int fd, bool client);

/* SO_LINGER {1, 0}: the close that follows sends RST, not FIN, and drops
 * what is unsent. Returns 0 or -1 with errno. */
int sg_net_reset_on_close(int fd);

/* SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT from a keepalive policy
 * (times rounded up to whole seconds, at least 1). */
struct sg_keepalive;
int sg_net_keepalive(int fd, const struct sg_keepalive *ka);

/* The address of `ss` alone ("127.0.0.1", "::1") into buf; "?" when it
 * does not fit. */
const char *sg_net_ip_str(const struct sockaddr_storage *ss, char *buf, size_t len);
/* The port of `ss` (host order). */
uint16_t sg_net_port(const struct sockaddr_storage *ss);
/* fd's own address (local) or its peer's, IPv4 or IPv6, into *ss.
 * Returns 0, or -1 (errno from the call; EAFNOSUPPORT for another family,
 * a unix socket's). */
int sg_net_sock_addr(int fd, bool local, struct sockaddr_storage *ss);
/* "ip:port" of `ss` into buf ("[ip]:port" for IPv6). */
const char *sg_net_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif

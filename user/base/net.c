/* Socket helpers shared by the gateway's listeners and the admin server. */
#include "user/base/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/cfg.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int sg_net_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	size_t hlen;
	uint16_t port;

	if (!colon || parse_port(colon + 1, &port) == -1)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (hlen < 2 || host[hlen - 1] != ']')
			return -1;
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	if (hlen == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
	return 0;
}

int sg_net_listen(const struct sockaddr_storage *ss, socklen_t len, bool reuseport)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, saved;

	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto fail;
	/* Accepted sockets are clones of the listener and inherit it: one
	 * setsockopt here instead of one per connection. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    sg_net_apply_bufs(fd, true) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 || listen(fd, 1024) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int sg_net_probe(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, ret = 0;

	if (fd == -1)
		return -errno;
	/* SO_REUSEADDR: connections of an earlier gateway in TIME_WAIT are
	 * no listener and must not stop a restart. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (const struct sockaddr *)ss, len) == -1)
		ret = -errno;
	close(fd);
	return ret;
}

#define NET_MAX_HELD 64 /* listeners of one port that a scan looks at */

/* The inodes of the sockets listening on `port` in /proc/self/net/FILE
 * (state 0A), appended to ino[*n..NET_MAX_HELD). -1 when it cannot be read
 * or has more. */
static int listeners_of(const char *file, uint16_t port, unsigned long *ino, size_t *n)
{
	char line[512];
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned st, lport;
		unsigned long inode;
		char *colon;

		if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) !=
			    3 ||
		    st != 0x0A || !(colon = strrchr(local, ':')) ||
		    sscanf(colon + 1, "%x", &lport) != 1 || lport != port)
			continue;
		if (*n == NET_MAX_HELD) {
			fclose(f);
			return -1;
		}
		ino[(*n)++] = inode;
	}
	fclose(f);
	return 0;
}

/* Whether the descriptor `name` in the /proc/self/fd directory `dirfd` is
 * the socket `inode`. */
static bool fd_is_socket(int dirfd, const char *name, unsigned long inode)
{
	char link[64], want[40];
	ssize_t len = readlinkat(dirfd, name, link, sizeof(link) - 1);

	if (len <= 0)
		return false;
	link[len] = '\0';
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	return !strcmp(link, want);
}

bool sg_net_port_held_by_self(uint16_t port)
{
	unsigned long ino[NET_MAX_HELD];
	size_t n = 0, mine = 0;

	if (listeners_of("/proc/self/net/tcp", port, ino, &n) == -1 ||
	    listeners_of("/proc/self/net/tcp6", port, ino, &n) == -1 || n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;
		bool found = false;

		if (!d)
			return false;
		while (!found && (e = readdir(d)))
			found = e->d_name[0] != '.' && fd_is_socket(dirfd(d), e->d_name, ino[i]);
		closedir(d);
		mine += found;
	}
	return mine == n;
}

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

int sg_net_connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc = unix_addr(path, &sun);

	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* The directory of `path`, made 0755 when missing (its parent must be
 * there: /run is). */
static int make_dir_of(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/* bind() at `path` with `mode`: the umask is set so that the file is made
 * with that mode at once, never more open for a moment. */
static int bind_mode(int fd, const struct sockaddr_un *sun, mode_t mode)
{
	mode_t old = umask(~mode & 0777);
	int rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int saved = errno;

	umask(old);
	return rc == -1 ? -saved : 0;
}

/* A socket file at `path` that nobody accepts on any more is removed;
 * -EADDRINUSE when someone does, -EEXIST when it is no socket. */
static int clear_stale(const char *path)
{
	struct stat st;
	int c;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	c = sg_net_connect_unix(path);
	if (c >= 0) {
		close(c);
		return -EADDRINUSE;
	}
	if (c != -ECONNREFUSED)
		return c;
	return unlink(path) == -1 ? -errno : 0;
}

static void file_id(const struct stat *st, struct sg_net_file_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000 + (uint64_t)st->st_ctim.tv_nsec;
}

/* The directory of `path` (made or not) is one where nobody but the
 * gateway's user and root may put or take a name: owned by one of them,
 * and writable by group or others only with the sticky bit (/tmp), under
 * which nobody removes or renames another's file. Elsewhere another user
 * could put a socket of their own in the gateway's place, and take what
 * root's `splicegate apply` sends. 0, or -EPERM. */
static int dir_of_is_ours(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0'; /* "/" */
	else
		*slash = '\0';
	if (stat(dir, &st) == -1)
		return -errno;
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
		return -EPERM;
	return 0;
}

int sg_net_listen_unix(const char *path, mode_t mode, struct sg_net_file_id *id)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc = unix_addr(path, &sun);

	if (rc < 0 || (rc = make_dir_of(path)) < 0 || (rc = dir_of_is_ours(path)) < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	rc = bind_mode(fd, &sun, mode);
	if (rc == -EADDRINUSE && (rc = clear_stale(path)) == 0)
		rc = bind_mode(fd, &sun, mode);
	if (rc == 0 && (listen(fd, 64) == -1 || stat(path, &st) == -1))
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	file_id(&st, id);
	return fd;
}

void sg_net_unlink_unix(const char *path, const struct sg_net_file_id *id)
{
	struct sg_net_file_id now;
	struct stat st;

	if (lstat(path, &st) == -1)
		return;
	file_id(&st, &now);
	if (!memcmp(&now, id, sizeof(now)))
		unlink(path);
}

const char *sg_net_ip_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *addr = ss->ss_family == AF_INET6
				   ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				   : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (!inet_ntop(ss->ss_family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

uint16_t sg_net_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					       : ((const struct sockaddr_in *)ss)->sin_port);
}

int sg_net_sock_addr(int fd, bool local, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);
	int rc = local ? getsockname(fd, (struct sockaddr *)ss, &len)
		       : getpeername(fd, (struct sockaddr *)ss, &len);

	if (rc == 0 && ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return rc;
}

const char *sg_net_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	sg_net_ip_str(ss, ip, sizeof(ip));
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, sg_net_port(ss));
	return buf;
}

uint64_t sg_net_accept_age_ms(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    len < offsetof(struct tcp_info, tcpi_rttvar))
		return 0;
	return ti.tcpi_rtt / 1000 + ti.tcpi_last_ack_recv;
}

int sg_net_defer_accept(int fd, int secs)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
}

int sg_net_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct sg_net_bufs bufs;

void sg_net_set_bufs(const struct sg_net_bufs *b)
{
	bufs = *b;
}

const struct sg_net_bufs *sg_net_bufs(void)
{
	return &bufs;
}

int sg_net_apply_bufs(int fd, bool client)
{
	int rcv = client ? bufs.client_rcv : bufs.backend_rcv,
	    snd = client ? bufs.client_snd : bufs.backend_snd;

	/* The kernel doubles what it is given (its bookkeeping's share):
	 * half of it asked, the size read back (ss -m's rb, tb) is the
	 * operator's. The FORCE forms pass net.core.rmem_max/wmem_max, which
	 * would cap it silently (CAP_NET_ADMIN; without it, the plain form). */
	rcv /= 2;
	snd /= 2;
	if (rcv && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) == -1)
		return -1;
	if (snd && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) == -1)
		return -1;
	if (client && bufs.client_lowat &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bufs.client_lowat,
		       sizeof(bufs.client_lowat)) == -1)
		return -1;
	return 0;
}

int sg_net_reset_on_close(int fd)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
}

static int secs(sg_dur d)
{
	int64_t s = (d + 999999999) / 1000000000;

	return s < 1 ? 1 : s > 32767 ? 32767 : (int)s;
}

int sg_net_keepalive(int fd, const struct sg_keepalive *ka)
{
	int on = ka->enabled, idle, intvl, cnt;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1)
		return -1;
	if (!on)
		return 0;
	idle = secs(ka->time);
	intvl = secs(ka->interval);
	cnt = ka->retries < 1 ? 1 : ka->retries > 127 ? 127 : (int)ka->retries;
	if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == -1)
		return -1;
	return 0;
}

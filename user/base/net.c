/* Socket helpers shared by the gateway's listeners and the admin server. */
#include "user/base/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
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

/* bind() finds the conflict that matters: another socket listening on the
 * port conflicts at bind time unless both share SO_REUSEPORT and the owner. */
int sg_net_probe(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, ret = 0;

	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1 ||
	    bind(fd, (const struct sockaddr *)ss, len) == -1)
		ret = -errno;
	close(fd);
	return ret;
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

const char *sg_net_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	uint16_t port = ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
						  : ((const struct sockaddr_in *)ss)->sin_port;

	sg_net_ip_str(ss, ip, sizeof(ip));
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, ntohs(port));
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

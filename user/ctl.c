/* A blocking HTTP/1.1 client just big enough for the admin API: one
 * request, Connection: close, read to EOF. */
#include "user/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/net.h"

static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 8192;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		size_t got = fread(buf + *len, 1, cap - *len, f);

		*len += got;
		if (got == 0)
			return buf;
		if (*len == cap) {
			char *grown = realloc(buf, cap * 2);

			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	free(buf);
	return NULL;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Returns the HTTP status (and the body, malloc'd), or -1. */
static int request(const char *addr, const char *method, const char *body, size_t len,
		   char **answer)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char head[256];
	size_t rlen;
	FILE *f;
	char *resp, *sep;
	int fd, status = -1;

	*answer = NULL;
	if (sg_net_parse_addr(addr, &ss, &sslen) == -1) {
		fprintf(stderr, "splicegate: admin address \"%s\": expected ip:port\n", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&ss, sslen) == -1) {
		fprintf(stderr, "splicegate: cannot reach the gateway's admin API at %s: %s\n",
			addr, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	snprintf(head, sizeof(head),
		 "%s /config HTTP/1.1\r\nHost: %s\r\nContent-Type: application/yaml\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 method, addr, len);
	f = fdopen(fd, "r");
	if (!f || write_all(fd, head, strlen(head)) == -1 || write_all(fd, body, len) == -1) {
		fprintf(stderr, "splicegate: sending to %s: %s\n", addr, strerror(errno));
		if (f)
			fclose(f);
		else
			close(fd);
		return -1;
	}
	resp = slurp(f, &rlen);
	fclose(f);
	if (!resp)
		return -1;
	sep = memmem(resp, rlen, "\r\n\r\n", 4);
	if (sep && sscanf(resp, "HTTP/1.%*d %d", &status) == 1) {
		size_t blen = rlen - (size_t)(sep + 4 - resp);

		*answer = malloc(blen + 1);
		if (*answer) {
			memcpy(*answer, sep + 4, blen);
			(*answer)[blen] = '\0';
		}
	}
	free(resp);
	return status;
}

static int send_body(const char *addr, const char *body, size_t len, bool del)
{
	char *answer;
	int status = request(addr, del ? "DELETE" : "POST", body, len, &answer);

	if (status < 0) {
		free(answer);
		return 2;
	}
	fputs(answer ? answer : "", status == 200 ? stdout : stderr);
	free(answer);
	return status == 200 ? 0 : 1;
}

int sg_ctl_send_file(const char *admin_addr, const char *file, bool del)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	size_t len;
	char *body;
	int rc;

	if (!f) {
		fprintf(stderr, "splicegate: %s: %s\n", file, strerror(errno));
		return 1;
	}
	body = slurp(f, &len);
	if (f != stdin)
		fclose(f);
	if (!body) {
		fprintf(stderr, "splicegate: %s: cannot read\n", file);
		return 1;
	}
	rc = send_body(admin_addr, body, len, del);
	free(body);
	return rc;
}

struct kind_name {
	const char *names; /* '|'-separated lowercase spellings */
	const char *api, *kind;
};

static const struct kind_name kind_names[] = {
	{ "gateway|gateways|gtw|gateway.gateway.networking.k8s.io", "gateway.networking.k8s.io/v1",
	  "Gateway" },
	{ "httproute|httproutes|httproute.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1", "HTTPRoute" },
	{ "tcproute|tcproutes|tcproute.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1alpha2", "TCPRoute" },
	{ "agentgatewaypolicy|agentgatewaypolicies|agentgatewaypolicy.agentgateway.dev",
	  "agentgateway.dev/v1alpha1", "AgentgatewayPolicy" },
	{ "service|services|svc", "v1", "Service" },
	{ "endpointslice|endpointslices|endpointslice.discovery.k8s.io", "discovery.k8s.io/v1",
	  "EndpointSlice" },
};

static const struct kind_name *find_kind(const char *kind)
{
	size_t klen = strlen(kind);

	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		const char *p = kind_names[i].names;

		while (*p) {
			const char *bar = strchr(p, '|');
			size_t n = bar ? (size_t)(bar - p) : strlen(p);

			if (n == klen && !strncasecmp(p, kind, n))
				return &kind_names[i];
			p += n + (bar ? 1 : 0);
		}
	}
	return NULL;
}

int sg_ctl_delete_named(const char *admin_addr, const char *kind, const char *name, const char *ns)
{
	const struct kind_name *k = find_kind(kind);
	char body[512];
	int n;

	if (!k) {
		fprintf(stderr, "splicegate: unknown resource type \"%s\"\n", kind);
		return 1;
	}
	n = snprintf(body, sizeof(body),
		     "apiVersion: %s\nkind: %s\nmetadata:\n  name: \"%s\"\n  namespace: \"%s\"\n",
		     k->api, k->kind, name, ns ? ns : "default");
	if (n < 0 || (size_t)n >= sizeof(body)) {
		fprintf(stderr, "splicegate: name too long\n");
		return 1;
	}
	return send_body(admin_addr, body, (size_t)n, true);
}

/* A blocking HTTP/1.1 client just big enough for the admin API: one
 * request, Connection: close, read to EOF. */
#include "user/ctl/ctl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/cfg.h"
#include "config/pct.h"
#include "user/base/json.h"
#include "user/base/net.h"

/* All of f, or its first max + 1 bytes when it is longer (then *len says
 * so). NULL when out of memory. */
static char *slurp(FILE *f, size_t max, size_t *len)
{
	size_t cap = 8192;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		size_t got = fread(buf + *len, 1, cap - *len, f);

		*len += got;
		if (got == 0 || *len > max)
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

/* A connection to the admin API at `addr` (ip:port), or -1 (said why). */
static int connect_tcp(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd;

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
	return fd;
}

/* A connection to the admin socket, or for a read (`write` false) the TCP
 * port when the socket is out of this user's reach; -1 (said why). */
static int connect_admin(const struct sg_ctl_admin *admin, bool write)
{
	int fd;

	if (admin->addr_given)
		return connect_tcp(admin->addr);
	fd = sg_net_connect_unix(admin->socket);
	if (fd >= 0)
		return fd;
	if (!write && (fd == -EACCES || fd == -ENOENT || fd == -ECONNREFUSED))
		return connect_tcp(admin->addr);
	fprintf(stderr, "splicegate: cannot reach the gateway's admin socket %s: %s%s\n",
		admin->socket, strerror(-fd),
		fd == -EACCES ? " (changes go over the admin socket, which is root's; or "
				"--admin HOST:PORT to a gateway started with --admin-tcp-writes)"
			      : "");
	return -1;
}

/* Returns the HTTP status (and the body, malloc'd), or -1. */
static int request(const struct sg_ctl_admin *admin, const char *method, const char *path,
		   const char *body, size_t len, char **answer)
{
	const char *host = admin->addr_given ? admin->addr : "localhost";
	size_t max = admin->answer_max ? admin->answer_max : SG_CTL_ANSWER_MAX;
	char head[1024];
	size_t rlen;
	FILE *f;
	char *resp, *sep;
	int fd, status = -1;

	*answer = NULL;
	fd = connect_admin(admin, strcmp(method, "GET") != 0);
	if (fd == -1)
		return -1;
	snprintf(head, sizeof(head),
		 "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/yaml\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 method, path, host, len);
	f = fdopen(fd, "r");
	if (!f || write_all(fd, head, strlen(head)) == -1 || write_all(fd, body, len) == -1) {
		fprintf(stderr, "splicegate: sending to the admin API: %s\n", strerror(errno));
		if (f)
			fclose(f);
		else
			close(fd);
		return -1;
	}
	resp = slurp(f, max, &rlen);
	fclose(f);
	if (!resp) {
		fprintf(stderr, "splicegate: reading the admin API's answer: out of memory\n");
		return -1;
	}
	if (rlen > max) {
		fprintf(stderr, "splicegate: the admin API's answer is over %zu bytes: not read\n",
			max);
		free(resp);
		return -1;
	}
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

/* Adds "?key=val" (or "&key=val") to the request target in buf[0..cap),
 * val percent-encoded but for RFC 3986's unreserved characters, so that
 * the server reads what the user wrote ("-n 'a&b'" is refused as a
 * namespace, not taken for "a"); val NULL adds nothing. -1 when it does
 * not fit. */
static int url_part(char *buf, size_t cap, const char *key, const char *val)
{
	size_t len = strlen(buf);
	int n;

	if (!val)
		return 0;
	n = snprintf(buf + len, cap - len, "%s%s=", strchr(buf, '?') ? "&" : "?", key);
	if (n < 0 || (size_t)n >= cap - len)
		return -1;
	len += (size_t)n;
	return sg_pct_append(buf, cap, &len, val, strlen(val), SG_PCT_UNRESERVED) ? 0 : -1;
}

static int send_body(const struct sg_ctl_change *how, const char *body, size_t len)
{
	const char *ns = how->ns;
	bool del = how->del, ignore_not_found = how->del && how->ignore_not_found;
	char *answer, path[1024] = "/config", *line, *save = NULL;
	int status;

	/* -n NS: the namespace of resources that name none (kubectl's). */
	if (url_part(path, sizeof(path), "namespace", ns) == -1) {
		fprintf(stderr, "splicegate: --namespace: too long\n");
		return 1;
	}
	status = request(&how->admin, del ? "DELETE" : "POST", path, body, len, &answer);

	if (status < 0) {
		free(answer);
		return 2;
	}
	/* Warnings (a route accepted with a reference that does not
	 * resolve) go to stderr, as kubectl prints the server's warnings. */
	for (line = strtok_r(answer ? answer : (char[]){ 0 }, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* delete --ignore-not-found: what was not there is no error. */
		if (ignore_not_found && status == 404 &&
		    !strncmp(line, "Error from server (NotFound)", 28))
			continue;
		fprintf(status == 200 && !strstr(line, ": warning: ") &&
					strncmp(line, "warning: ", 9)
				? stdout
				: stderr,
			"%s\n", line);
	}
	free(answer);
	if (status == 404 && ignore_not_found)
		return 0;
	return status == 200 ? 0 : 1;
}

int sg_ctl_send_file(const struct sg_ctl_change *how, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	size_t len;
	char *body;
	int rc;

	if (!f) {
		fprintf(stderr, "splicegate: %s: %s\n", file, strerror(errno));
		return 1;
	}
	/* A link to /dev/zero would be read until memory ran out. */
	body = slurp(f, SG_CFG_MAX_TEXT, &len);
	if (f != stdin)
		fclose(f);
	if (!body) {
		fprintf(stderr, "splicegate: %s: cannot read\n", file);
		return 1;
	}
	if (len > SG_CFG_MAX_TEXT) {
		fprintf(stderr,
			"splicegate: %s: more than the %d bytes (%d MiB) the admin API takes\n",
			file, SG_CFG_MAX_TEXT, SG_CFG_MAX_TEXT >> 20);
		free(body);
		return 1;
	}
	rc = send_body(how, body, len);
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
	{ "listenerset|listenersets|lset|listenerset.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1", "ListenerSet" },
	{ "xlistenerset|xlistenersets|xlistenerset.gateway.networking.x-k8s.io",
	  "gateway.networking.x-k8s.io/v1alpha1", "XListenerSet" },
	{ "httproute|httproutes|httproute.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1", "HTTPRoute" },
	{ "grpcroute|grpcroutes|grpcroute.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1", "GRPCRoute" },
	{ "tcproute|tcproutes|tcproute.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1alpha2", "TCPRoute" },
	{ "tlsroute|tlsroutes|tlsroute.gateway.networking.k8s.io", "gateway.networking.k8s.io/v1",
	  "TLSRoute" },
	{ "agentgatewaypolicy|agentgatewaypolicies|agentgatewaypolicy.agentgateway.dev",
	  "agentgateway.dev/v1alpha1", "AgentgatewayPolicy" },
	{ "backendtlspolicy|backendtlspolicies|btlspolicy|"
	  "backendtlspolicy.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1", "BackendTLSPolicy" },
	{ "configmap|configmaps|cm", "v1", "ConfigMap" },
	{ "service|services|svc", "v1", "Service" },
	{ "endpointslice|endpointslices|endpointslice.discovery.k8s.io", "discovery.k8s.io/v1",
	  "EndpointSlice" },
	{ "referencegrant|referencegrants|refgrant|referencegrant.gateway.networking.k8s.io",
	  "gateway.networking.k8s.io/v1beta1", "ReferenceGrant" },
	{ "namespace|namespaces|ns", "v1", "Namespace" },
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

int sg_ctl_delete_named(const struct sg_ctl_change *how, const char *kind, const char *name)
{
	const struct kind_name *k = find_kind(kind);
	/* The body names the namespace: none goes in the query. */
	struct sg_ctl_change named = *how;
	char body[512];
	int n;

	if (!k) {
		fprintf(stderr, "splicegate: unknown resource type \"%s\"\n", kind);
		return 1;
	}
	n = snprintf(body, sizeof(body),
		     "apiVersion: %s\nkind: %s\nmetadata:\n  name: \"%s\"\n  namespace: \"%s\"\n",
		     k->api, k->kind, name, how->ns ? how->ns : "default");
	if (n < 0 || (size_t)n >= sizeof(body)) {
		fprintf(stderr, "splicegate: name too long\n");
		return 1;
	}
	named.del = true;
	named.ns = NULL;
	return send_body(&named, body, (size_t)n);
}

/* ---- get ------------------------------------------------------------------ */

static bool plain_ok(const char *s)
{
	static const char *const special[] = { "true", "false", "null", "yes", "no",
					       "on",   "off",	"y",	"n",   "~" };
	size_t len = strlen(s);
	bool numeric = true;

	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':' || strstr(s, ": ") ||
	    strstr(s, " #"))
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9') || s[0] == '/' || s[0] == '.'))
		return false;
	for (const char *p = s; *p; p++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._/:-",
			    *p))
			return false;
		numeric &= (*p >= '0' && *p <= '9') || *p == '.' || *p == '-';
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcasecmp(s, special[i]))
			return false;
	return !numeric;
}

static void yaml_scalar(FILE *f, const struct sg_json *v)
{
	enum sg_json_type type = sg_json_type(v);

	if (type == SG_JSON_STRING && plain_ok(sg_json_str(v))) {
		fprintf(f, "%s\n", sg_json_str(v));
	} else if (type == SG_JSON_ARRAY || type == SG_JSON_OBJECT) {
		fputs(type == SG_JSON_ARRAY ? "[]\n" : "{}\n", f);
	} else {
		char *s = sg_json_print(v, SG_JSON_COMPACT); /* JSON strings are YAML strings */

		fprintf(f, "%s\n", s ? s : "null");
		free(s);
	}
}

/* A map key: plain when YAML reads it back as that string, else quoted
 * as JSON would ("a: b", "#x" or a line break would make another
 * document of it). */
static void yaml_key(FILE *f, const char *key)
{
	struct sg_json *k;
	char *s;

	if (plain_ok(key)) {
		fprintf(f, "%s:", key);
		return;
	}
	k = sg_json_string(key);
	s = k ? sg_json_print(k, SG_JSON_COMPACT) : NULL;
	fprintf(f, "%s:", s ? s : "\"\"");
	free(s);
	sg_json_free(k);
}

static bool yaml_block(const struct sg_json *v)
{
	return sg_json_first(v) != NULL; /* a non-empty array or object */
}

static void yaml_value(FILE *f, const struct sg_json *v, int indent);

/* A map's entries at `indent`; the first one without indentation when it
 * follows a "- " on the same line. */
static void yaml_map(FILE *f, const struct sg_json *o, int indent, bool first_inline)
{
	for (const struct sg_json *c = sg_json_first(o); c; c = sg_json_next(c)) {
		if (!(first_inline && c == sg_json_first(o)))
			fprintf(f, "%*s", indent, "");
		yaml_key(f, sg_json_key(c));
		if (yaml_block(c)) {
			fputc('\n', f);
			yaml_value(f, c, sg_json_type(c) == SG_JSON_ARRAY ? indent : indent + 2);
		} else {
			fputc(' ', f);
			yaml_scalar(f, c);
		}
	}
}

static void yaml_value(FILE *f, const struct sg_json *v, int indent)
{
	if (sg_json_type(v) == SG_JSON_OBJECT) {
		yaml_map(f, v, indent, false);
		return;
	}
	for (const struct sg_json *c = sg_json_first(v); c; c = sg_json_next(c)) {
		fprintf(f, "%*s- ", indent, "");
		if (sg_json_type(c) == SG_JSON_OBJECT && sg_json_first(c))
			yaml_map(f, c, indent + 2, true);
		else
			yaml_scalar(f, c);
	}
}

static const char *jstr(const struct sg_json *o, const char *path)
{
	char key[64];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = sg_json_get(o, key);
		path += n + (dot ? 1 : 0);
	}
	return sg_json_str(o);
}

/* The condition `type` of a conditions array, or NULL. */
static const struct sg_json *find_cond(const struct sg_json *conds, const char *type)
{
	for (const struct sg_json *c = sg_json_first(conds); c; c = sg_json_next(c)) {
		const char *t = jstr(c, "type");

		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

struct route_summary {
	const char *accepted, *resolved, *reason;
};

/* Over every parent (routes) or ancestor (policies): True only when all
 * are; the first False reason. */
static struct route_summary summarize(const struct sg_json *item, const char *list)
{
	struct route_summary s = { "", "", "" };
	const struct sg_json *st = sg_json_get(item, "status");

	for (const struct sg_json *p = sg_json_first(sg_json_get(st, list)); p;
	     p = sg_json_next(p)) {
		const struct sg_json *conds = sg_json_get(p, "conditions");
		const char *types[] = { "Accepted", "ResolvedRefs" };
		const char **dst[] = { &s.accepted, &s.resolved };

		for (int i = 0; i < 2; i++) {
			const struct sg_json *c = find_cond(conds, types[i]);
			const char *v = c ? jstr(c, "status") : NULL;

			if (!v)
				continue;
			if (!**dst[i] || !strcmp(v, "False"))
				*dst[i] = v;
			if (!strcmp(v, "False") && !s.reason[0])
				s.reason = jstr(c, "reason") ? jstr(c, "reason") : "";
		}
	}
	return s;
}

#define GET_MAX_COLS 10

struct table {
	const char *head[GET_MAX_COLS];
	size_t ncols;
	char **cells; /* rows * ncols, malloc'd strings */
	size_t nrows;
};

/* s with each control character as '?': one in a name the server sent
 * would move the terminal's cursor, or worse (an escape sequence that
 * retitles the window or rewrites what is shown). */
static char *printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static int table_row(struct table *t, const char *const *vals)
{
	char **grown = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*grown));

	if (!grown)
		return -1;
	t->cells = grown;
	for (size_t i = 0; i < t->ncols; i++) {
		char *cell = strdup(vals[i] ? vals[i] : "");

		if (cell)
			printable(cell);
		grown[t->nrows * t->ncols + i] = cell;
	}
	t->nrows++;
	return 0;
}

static void table_print(struct table *t)
{
	size_t w[GET_MAX_COLS];

	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? strlen(s) : 0;

			w[c] = n > w[c] ? n : w[c];
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		char line[4096];
		size_t len = 0;

		for (size_t c = 0; c < t->ncols && len < sizeof(line); c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] : t->head[c];
			int n = snprintf(line + len, sizeof(line) - len, "%-*s   ",
					 c + 1 < t->ncols ? (int)w[c] : 0, s ? s : "");

			len += n > 0 ? (size_t)n : 0;
		}
		len = len < sizeof(line) ? len : sizeof(line) - 1;
		while (len && line[len - 1] == ' ')
			len--; /* no trailing blanks (an empty last column) */
		printf("%.*s\n", (int)len, line);
	}
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* kubectl's HumanDuration of the time since an RFC 3339 stamp
 * ("<unknown>" without one). */
static void age(char *out, size_t len, const char *stamp, time_t now)
{
	struct tm tm = { 0 };
	const char *end = stamp ? strptime(stamp, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long long d, m, h;

	if (!end) {
		snprintf(out, len, "<unknown>");
		return;
	}
	d = (long long)(now - timegm(&tm));
	d = d < 0 ? 0 : d;
	m = d / 60;
	h = d / 3600;
	if (d < 120)
		snprintf(out, len, "%llds", d);
	else if (m < 10 && d % 60)
		snprintf(out, len, "%lldm%llds", m, d % 60);
	else if (m < 10)
		snprintf(out, len, "%lldm", m);
	else if (m < 180)
		snprintf(out, len, "%lldm", m);
	else if (h < 8)
		snprintf(out, len, "%lldh%lldm", h, m % 60);
	else if (h < 48)
		snprintf(out, len, "%lldh", h);
	else if (h < 24 * 8)
		snprintf(out, len, "%lldd%lldh", h / 24, h % 24);
	else if (h < 24 * 365 * 2)
		snprintf(out, len, "%lldd", h / 24);
	else if (h < 24 * 365 * 8)
		snprintf(out, len, "%lldy%lldd", h / (24 * 365), (h / 24) % 365);
	else
		snprintf(out, len, "%lldy", h / (24 * 365));
}

/* kubectl's qualified name, kind.group/name (kind/name for the core
 * group), as -o name and a table of several kinds print it. */
static void qualified(char *out, size_t len, const struct kind_name *k, const char *name)
{
	const char *slash = strchr(k->api, '/');
	int n = snprintf(out, len, "%s", k->kind);

	for (int i = 0; i < n && (size_t)i < len; i++)
		out[i] = (char)(out[i] >= 'A' && out[i] <= 'Z' ? out[i] - 'A' + 'a' : out[i]);
	if (slash && n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ".%.*s/%s", (int)(slash - k->api), k->api,
			 name ? name : "");
	else if (n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "/%s", name ? name : "");
}

/* The names under a spec list (parentRefs, targetRefs), comma-joined. */
static char *ref_names(const struct sg_json *item, const char *list)
{
	char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (const struct sg_json *r = sg_json_first(sg_json_get(sg_json_get(item, "spec"), list));
	     r && len < sizeof(buf); r = sg_json_next(r)) {
		const char *kind = jstr(r, "kind"), *name = jstr(r, "name");
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s", len ? "," : "",
				 kind ? kind : "", kind ? "/" : "", name ? name : "");

		len += n > 0 ? (size_t)n : 0;
	}
	return strdup(len ? buf : "<none>");
}

struct get_view {
	bool all_ns;	  /* NAMESPACE first */
	bool wide;	  /* -o wide: the kind's extra columns */
	bool qualify;	  /* several kinds: NAME is kind.group/name */
	const char *kind; /* the kind's name as the resources have it */
	const struct kind_name *k;
	time_t now;
};

static bool is_route(const char *kind)
{
	return !strcmp(kind, "HTTPRoute") || !strcmp(kind, "GRPCRoute") ||
	       !strcmp(kind, "TCPRoute") || !strcmp(kind, "TLSRoute");
}

static bool is_policy(const char *kind)
{
	return !strcmp(kind, "AgentgatewayPolicy") || !strcmp(kind, "BackendTLSPolicy");
}

static bool is_listenerset(const char *kind)
{
	return !strcmp(kind, "ListenerSet") || !strcmp(kind, "XListenerSet");
}

/* A condition's status of a resource, "Unknown" when it has none. */
static const char *cond_status(const struct sg_json *it, const char *type)
{
	const struct sg_json *c =
		find_cond(sg_json_get(sg_json_get(it, "status"), "conditions"), type);

	return c && jstr(c, "status") ? jstr(c, "status") : "Unknown";
}

/* kubectl's columns for the kind then AGE, NAMESPACE first with -A, and
 * with -o wide: a Gateway's listeners and attached routes, a route's
 * parents, a policy's targets. */
static void table_head(const struct get_view *v, struct table *t)
{
	const char *kind = v->kind;
	size_t base = 0;

	if (v->all_ns)
		t->head[base++] = "NAMESPACE";
	t->head[base] = "NAME";
	t->ncols = base + 1;
	if (!strcmp(kind, "Gateway")) {
		t->head[t->ncols++] = "CLASS";
		t->head[t->ncols++] = "ADDRESS";
		t->head[t->ncols++] = "PROGRAMMED";
	} else if (is_route(kind)) {
		if (strcmp(kind, "TCPRoute") != 0)
			t->head[t->ncols++] = "HOSTNAMES";
		t->head[t->ncols++] = "ACCEPTED";
		t->head[t->ncols++] = "RESOLVEDREFS";
		t->head[t->ncols++] = "REASON";
	} else if (is_policy(kind)) {
		t->head[t->ncols++] = "ACCEPTED";
		t->head[t->ncols++] = "REASON";
	} else if (is_listenerset(kind)) {
		t->head[t->ncols++] = "ACCEPTED";
		t->head[t->ncols++] = "PROGRAMMED";
	}
	t->head[t->ncols++] = "AGE";
	if (v->wide && !strcmp(kind, "Gateway")) {
		t->head[t->ncols++] = "LISTENERS";
		t->head[t->ncols++] = "ATTACHED";
	} else if (v->wide && is_route(kind)) {
		t->head[t->ncols++] = "PARENTS";
	} else if (v->wide && is_policy(kind)) {
		t->head[t->ncols++] = "TARGETS";
	}
}

/* A Gateway's listeners and the routes attached to them all, as text. */
static void gateway_counts(const struct sg_json *gw, char nls[16], char natt[16])
{
	size_t ls = 0;
	double att = 0;

	for (const struct sg_json *l =
		     sg_json_first(sg_json_get(sg_json_get(gw, "status"), "listeners"));
	     l; l = sg_json_next(l), ls++) {
		double a = 0;

		if (sg_json_num(sg_json_get(l, "attachedRoutes"), &a) == 0)
			att += a;
	}
	snprintf(nls, 16, "%zu", ls);
	snprintf(natt, 16, "%.0f", att);
}

/* Object `it`'s row under table_head's columns. */
static void table_add(const struct get_view *v, struct table *t, const struct sg_json *it)
{
	const char *kind = v->kind;
	const char *c[GET_MAX_COLS] = { 0 };
	size_t n = 0;
	char *hosts = NULL, *refs = NULL, name[512], when[32], nls[16] = "", natt[16] = "";

	if (v->all_ns)
		c[n++] = jstr(it, "metadata.namespace");
	if (v->qualify)
		qualified(name, sizeof(name), v->k, jstr(it, "metadata.name"));
	c[n++] = v->qualify ? name : jstr(it, "metadata.name");
	if (!strcmp(kind, "Gateway")) {
		const struct sg_json *p = find_cond(
			sg_json_get(sg_json_get(it, "status"), "conditions"), "Programmed");

		gateway_counts(it, nls, natt);
		c[n++] = jstr(it, "spec.gatewayClassName");
		c[n++] = "";
		c[n++] = p ? jstr(p, "status") : "Unknown";
	} else if (is_route(kind)) {
		struct route_summary s = summarize(it, "parents");

		if (strcmp(kind, "TCPRoute") != 0) {
			const struct sg_json *h = sg_json_get(sg_json_get(it, "spec"), "hostnames");

			hosts = sg_json_type(h) == SG_JSON_ARRAY ? sg_json_print(h, SG_JSON_COMPACT)
								 : NULL;
			c[n++] = hosts;
		}
		c[n++] = s.accepted;
		c[n++] = s.resolved;
		c[n++] = s.reason;
	} else if (is_policy(kind)) {
		struct route_summary s = summarize(it, "ancestors");

		c[n++] = s.accepted;
		c[n++] = s.reason;
	} else if (is_listenerset(kind)) {
		c[n++] = cond_status(it, "Accepted");
		c[n++] = cond_status(it, "Programmed");
	}
	age(when, sizeof(when), jstr(it, "metadata.creationTimestamp"), v->now);
	c[n++] = when;
	if (v->wide && !strcmp(kind, "Gateway")) {
		c[n++] = nls;
		c[n++] = natt;
	} else if (v->wide && (is_route(kind) || is_policy(kind))) {
		refs = ref_names(it, is_route(kind) ? "parentRefs" : "targetRefs");
		c[n++] = refs;
	}
	table_row(t, c);
	free(hosts);
	free(refs);
}

/* `kubectl get`'s table of items. */
static void print_table(const struct get_view *v, const struct sg_json *items)
{
	struct table t = { { 0 } };

	table_head(v, &t);
	for (const struct sg_json *it = sg_json_first(items); it; it = sg_json_next(it))
		table_add(v, &t, it);
	table_print(&t);
}

/* GET /resources for one kind (name, namespace as given; ns NULL: every
 * namespace): the list, or NULL with *rc the exit code (the reason
 * printed). */
static struct sg_json *fetch(const struct sg_ctl_admin *admin, const struct kind_name *k,
			     const char *name, const char *ns, int *rc)
{
	bool cluster = !strcmp(k->kind, "Namespace");
	char path[768] = "/resources", *answer = NULL;
	struct sg_json *list;
	int status;

	*rc = 1;
	if ((ns ? strlen(ns) : 0) + (name ? strlen(name) : 0) > 600 ||
	    url_part(path, sizeof(path), "kind", k->kind) == -1 ||
	    url_part(path, sizeof(path), "name", name) == -1 ||
	    url_part(path, sizeof(path), "namespace", cluster ? NULL : ns) == -1) {
		fprintf(stderr, "error: the name or namespace is too long\n");
		return NULL;
	}
	status = request(admin, "GET", path, "", 0, &answer);
	if (status != 200) {
		if (status > 0)
			fprintf(stderr, "splicegate: GET %s: %d %s", path, status,
				answer ? answer : "\n");
		free(answer);
		*rc = status < 0 ? 2 : 1;
		return NULL;
	}
	list = answer ? sg_json_parse(answer) : NULL;
	free(answer);
	if (sg_json_type(sg_json_get(list, "items")) != SG_JSON_ARRAY) {
		fprintf(stderr, "splicegate: the gateway's answer is not a resource list\n");
		sg_json_free(list);
		*rc = 2;
		return NULL;
	}
	return list;
}

#define GET_MAX_KINDS 16

/* KIND, or several comma-separated: each looked up; NULL after printing
 * kubectl's error for one it does not know. */
static size_t split_kinds(const char *arg, const struct kind_name **out)
{
	size_t n = 0;

	for (const char *p = arg;; p++) {
		size_t len = strcspn(p, ",");
		char one[128];

		if (n == GET_MAX_KINDS || len == 0 || len >= sizeof(one)) {
			fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n",
				arg);
			return 0;
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (!(out[n++] = find_kind(one))) {
			fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n",
				one);
			return 0;
		}
		p += len;
		if (!*p)
			return n;
	}
}

static void print_doc(const struct sg_json *doc, const char *output)
{
	if (!strcmp(output, "json")) {
		char *s = sg_json_print(doc, SG_JSON_INDENT);

		printf("%s\n", s ? s : "");
		free(s);
	} else {
		yaml_value(stdout, doc, 0);
	}
}

/* ---- get of a standalone config's parts, from /config_dump --------------- */

enum dump_view { VIEW_BINDS, VIEW_LISTENERS, VIEW_ROUTES, VIEW_BACKENDS, VIEW_NONE };

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* A copy of v (NULL when memory ran out). */
static struct sg_json *json_copy(const struct sg_json *v)
{
	char *text = sg_json_print(v, SG_JSON_COMPACT);
	struct sg_json *c = text ? sg_json_parse(text) : NULL;

	free(text);
	return c;
}

static enum dump_view dump_view_of(const char *kind)
{
	static const char *const names[] = { "bind|binds", "listener|listeners", "route|routes",
					     "backend|backends" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strcspn(names[i], "|");

		if ((strlen(kind) == n && !strncasecmp(kind, names[i], n)) ||
		    !strcasecmp(kind, names[i] + n + 1))
			return (enum dump_view)i;
	}
	return VIEW_NONE;
}

/* The names of an object's members (or an array's length), joined. */
static void count_of(char *out, size_t len, const struct sg_json *o)
{
	size_t n = 0;

	for (const struct sg_json *c = sg_json_first(o); c; c = sg_json_next(c))
		n++;
	snprintf(out, len, "%zu", n);
}

/* A route's backends as "host" or "service:port", with a weight other
 * than 1. */
static char *backend_list(const struct sg_json *route)
{
	char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (const struct sg_json *b = sg_json_first(sg_json_get(route, "backends"));
	     b && len < sizeof(buf); b = sg_json_next(b)) {
		const char *host = jstr(b, "host"), *svc = jstr(b, "service.name");
		double w = 1, port = 0;
		char weight[32] = "";
		int n;

		sg_json_num(sg_json_get(b, "weight"), &w);
		sg_json_num(sg_json_get(sg_json_get(b, "service"), "port"), &port);
		if (w != 1)
			snprintf(weight, sizeof(weight), "(weight %.0f)", w);
		if (svc)
			n = snprintf(buf + len, sizeof(buf) - len, "%s%s:%.0f%s", len ? "," : "",
				     svc, port, weight);
		else
			n = snprintf(buf + len, sizeof(buf) - len, "%s%s%s", len ? "," : "",
				     host ? host : "<invalid>", weight);
		len += n > 0 ? (size_t)n : 0;
	}
	return strdup(len ? buf : "<none>");
}

/* One row of a standalone view into t (NAME filter: the key's last part
 * or the whole key). */
static void dump_row(struct table *t, enum dump_view v, const struct sg_json *o, const char *bind)
{
	const char *c[GET_MAX_COLS] = { 0 };
	char n1[32], gw[300];
	char *list = NULL;
	const struct sg_json *hosts = sg_json_get(o, "hostnames");

	c[0] = jstr(o, "key");
	if (v == VIEW_BINDS) {
		count_of(n1, sizeof(n1), sg_json_get(o, "listeners"));
		c[1] = jstr(o, "address");
		c[2] = jstr(o, "protocol");
		c[3] = n1;
	} else if (v == VIEW_LISTENERS) {
		size_t n = 0;

		for (const struct sg_json *r = sg_json_first(sg_json_get(o, "routes")); r;
		     r = sg_json_next(r))
			n++;
		for (const struct sg_json *r = sg_json_first(sg_json_get(o, "tcpRoutes")); r;
		     r = sg_json_next(r))
			n++;
		snprintf(n1, sizeof(n1), "%zu", n);
		snprintf(gw, sizeof(gw), "%s/%s", or_empty(jstr(o, "gatewayNamespace")),
			 or_empty(jstr(o, "gatewayName")));
		c[1] = bind;
		c[2] = gw;
		c[3] = jstr(o, "hostname") && *jstr(o, "hostname") ? jstr(o, "hostname") : "*";
		c[4] = jstr(o, "protocol");
		c[5] = n1;
	} else if (v == VIEW_ROUTES) {
		list = backend_list(o);
		c[1] = bind;
		c[2] = NULL;
		c[3] = list;
	} else {
		const struct sg_json *b = sg_json_first(o);

		c[0] = jstr(b, "name");
		c[1] = sg_json_key(b);
		c[2] = jstr(b, "target");
	}
	{
		char *h = sg_json_type(hosts) == SG_JSON_ARRAY
				  ? sg_json_print(hosts, SG_JSON_COMPACT)
				  : NULL;

		if (v == VIEW_ROUTES)
			c[2] = h ? h : "*";
		table_row(t, c);
		free(h);
	}
	free(list);
}

static bool dump_match(const struct sg_json *o, const char *name)
{
	const char *key = jstr(o, "key");
	const char *last = key ? strrchr(key, '/') : NULL;

	return !name || (key && !strcmp(key, name)) || (last && !strcmp(last + 1, name));
}

/* get binds|listeners|routes|backends [NAME]: the parts of the config in
 * force (standalone or built from Gateway API resources), read from
 * /config_dump, a table or (-o json|yaml) their config_dump JSON. */
static int get_dump(const struct sg_ctl_admin *admin, enum dump_view v, const char *name,
		    const char *output)
{
	static const char *const heads[][GET_MAX_COLS] = {
		{ "NAME", "ADDRESS", "PROTOCOL", "LISTENERS" },
		{ "NAME", "BIND", "GATEWAY", "HOSTNAME", "PROTOCOL", "ROUTES" },
		{ "NAME", "LISTENER", "HOSTNAMES", "BACKENDS" },
		{ "NAME", "KIND", "TARGET" },
	};
	static const size_t ncols[] = { 4, 6, 4, 3 };
	static const char *const plural[] = { "binds", "listeners", "routes", "backends" };
	struct table t = { { 0 } };
	struct sg_json *dump, *out = sg_json_array();
	char *answer = NULL;
	int status = request(admin, "GET", "/config_dump", "", 0, &answer);

	if (status != 200) {
		if (status > 0)
			fprintf(stderr, "splicegate: GET /config_dump: %d %s", status,
				answer ? answer : "\n");
		free(answer);
		sg_json_free(out);
		return status < 0 ? 2 : 1;
	}
	dump = answer ? sg_json_parse(answer) : NULL;
	free(answer);
	memcpy(t.head, heads[v], sizeof(t.head));
	t.ncols = ncols[v];
	for (const struct sg_json *b =
		     sg_json_first(sg_json_get(dump, v == VIEW_BACKENDS ? "backends" : "binds"));
	     b; b = sg_json_next(b)) {
		if (v == VIEW_BINDS || v == VIEW_BACKENDS) {
			if (v == VIEW_BACKENDS
				    ? !name || !strcmp(or_empty(jstr(sg_json_first(b), "name")),
						       name)
				    : dump_match(b, name)) {
				dump_row(&t, v, b, NULL);
				sg_json_push(out, json_copy(b));
			}
			continue;
		}
		for (const struct sg_json *l = sg_json_first(sg_json_get(b, "listeners")); l;
		     l = sg_json_next(l)) {
			if (v == VIEW_LISTENERS && dump_match(l, name)) {
				dump_row(&t, v, l, jstr(b, "key"));
				sg_json_push(out, json_copy(l));
			}
			for (int k = 0; v == VIEW_ROUTES && k < 2; k++)
				for (const struct sg_json *r = sg_json_first(
					     sg_json_get(l, k ? "tcpRoutes" : "routes"));
				     r; r = sg_json_next(r))
					if (dump_match(r, name)) {
						dump_row(&t, v, r, jstr(l, "key"));
						sg_json_push(out, json_copy(r));
					}
		}
	}
	if (!t.nrows && name)
		fprintf(stderr, "Error from server (NotFound): %s \"%s\" not found\n", plural[v],
			name);
	else if (!t.nrows && !output)
		fprintf(stderr, "No resources found\n");
	else if (output)
		print_doc(out, output);
	else
		table_print(&t);
	if (output || !t.nrows) {
		for (size_t i = 0; i < t.nrows * t.ncols; i++)
			free(t.cells[i]);
		free(t.cells);
	}
	status = !t.nrows && name ? 1 : 0;
	sg_json_free(out);
	sg_json_free(dump);
	return status;
}

int sg_ctl_get(const struct sg_ctl_admin *admin, const char *kind, const char *name, const char *ns,
	       bool all_ns, const char *output)
{
	const struct kind_name *kinds[GET_MAX_KINDS];
	enum dump_view view = dump_view_of(kind);
	size_t nkinds, shown = 0;
	struct sg_json *all = sg_json_object(), *all_items;
	bool table = !output || !strcmp(output, "wide");
	bool cluster = true;
	int rc = 0;

	if (view != VIEW_NONE && (!output || !strcmp(output, "json") || !strcmp(output, "yaml"))) {
		sg_json_free(all);
		return get_dump(admin, view, name, output);
	}
	nkinds = view == VIEW_NONE ? split_kinds(kind, kinds) : 0;
	if (view != VIEW_NONE)
		fprintf(stderr,
			"error: %s: a table, -o json or -o yaml (wide and name are for "
			"Kubernetes kinds)\n",
			kind);
	sg_json_add_str(all, "apiVersion", "v1");
	all_items = sg_json_add_array(all, "items");
	sg_json_add_str(all, "kind", "List");
	if (!nkinds) {
		sg_json_free(all);
		return 1;
	}
	if (output && strcmp(output, "yaml") && strcmp(output, "json") && strcmp(output, "wide") &&
	    strcmp(output, "name")) {
		fprintf(stderr,
			"error: unable to match a printer suitable for the output format "
			"\"%s\", allowed formats are: json,name,wide,yaml\n",
			output);
		sg_json_free(all);
		return 1;
	}
	if (!ns)
		ns = "default";
	for (size_t i = 0; i < nkinds && rc != 2; i++) {
		const struct kind_name *k = kinds[i];
		struct get_view v = { all_ns,	  output && !strcmp(output, "wide"),
				      nkinds > 1, k->kind,
				      k,	  time(NULL) };
		struct sg_json *list, *items;
		const char *plural = strchr(k->names, '|') + 1; /* the second spelling */
		int frc;

		cluster &= !strcmp(k->kind, "Namespace");
		if (!(list = fetch(admin, k, name, all_ns ? NULL : ns, &frc))) {
			rc = frc;
			continue;
		}
		items = sg_json_get(list, "items");
		if (name && !sg_json_first(items)) {
			fprintf(stderr, "Error from server (NotFound): %.*s \"%s\" not found\n",
				(int)strcspn(plural, "|"), plural, name);
			rc = 1;
		} else if (table && sg_json_first(items)) {
			if (shown++)
				putchar('\n');
			print_table(&v, items);
		} else if (output && !strcmp(output, "name")) {
			for (const struct sg_json *it = sg_json_first(items); it;
			     it = sg_json_next(it), shown++) {
				char q[512];

				qualified(q, sizeof(q), k, jstr(it, "metadata.name"));
				printf("%s\n", printable(q));
			}
		} else if (!table) {
			for (const struct sg_json *it = sg_json_first(items); it;
			     it = sg_json_next(it), shown++) {
				sg_json_push(all_items, json_copy(it));
			}
		}
		sg_json_free(list);
	}
	if (output && (!strcmp(output, "json") || !strcmp(output, "yaml")) && (rc == 0 || shown)) {
		const struct sg_json *one = name && nkinds == 1 ? sg_json_first(all_items) : all;

		if (one)
			print_doc(one, output);
	} else if (!shown && rc == 0) {
		if (all_ns || cluster)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n", ns);
	}
	sg_json_free(all);
	return rc;
}

/* ---- describe ----------------------------------------------------------------- */

/* A key as kubectl describe prints it: lastTransitionTime is "Last
 * Transition Time", apiVersion "API Version". */
static void title(char *out, size_t len, const char *key)
{
	size_t n = 0;

	if (!strncmp(key, "api", 3) && key[3] >= 'A' && key[3] <= 'Z') {
		n = (size_t)snprintf(out, len, "API");
		key += 3;
	}
	for (const char *p = key; *p && n + 2 < len; p++) {
		if (p == key && n == 0)
			out[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		else if (*p >= 'A' && *p <= 'Z' && n && out[n - 1] != ' ' &&
			 !(p[-1] >= 'A' && p[-1] <= 'Z'))
			out[n++] = ' ', out[n++] = *p;
		else
			out[n++] = *p;
	}
	out[n < len ? n : len - 1] = '\0';
}

static void describe_value(const struct sg_json *v, int indent);

static void describe_scalar(const struct sg_json *v)
{
	if (sg_json_type(v) == SG_JSON_STRING) {
		printf("%s\n", sg_json_str(v));
	} else if (sg_json_type(v) == SG_JSON_ARRAY || sg_json_type(v) == SG_JSON_OBJECT) {
		printf("<none>\n"); /* empty */
	} else {
		char *s = sg_json_print(v, SG_JSON_COMPACT);

		printf("%s\n", s ? s : "");
		free(s);
	}
}

/* An object's members as kubectl's generic describer prints them: "Key:"
 * then the value, aligned in one column; a nested object or a list under
 * its key, two spaces in. */
static void describe_map(const struct sg_json *o, int indent)
{
	int w = 0;
	char key[128];

	for (const struct sg_json *c = sg_json_first(o); c; c = sg_json_next(c)) {
		title(key, sizeof(key), sg_json_key(c));
		if (!yaml_block(c) && (int)strlen(key) + 1 > w)
			w = (int)strlen(key) + 1;
	}
	for (const struct sg_json *c = sg_json_first(o); c; c = sg_json_next(c)) {
		title(key, sizeof(key), sg_json_key(c));
		if (yaml_block(c)) {
			printf("%*s%s:\n", indent, "", key);
			describe_value(c, indent + 2);
		} else {
			printf("%*s%s:%*s", indent, "", key, w - (int)strlen(key) + 1, "");
			describe_scalar(c);
		}
	}
}

static void describe_value(const struct sg_json *v, int indent)
{
	if (sg_json_type(v) == SG_JSON_OBJECT) {
		describe_map(v, indent);
		return;
	}
	for (const struct sg_json *c = sg_json_first(v); c; c = sg_json_next(c)) {
		if (sg_json_type(c) == SG_JSON_OBJECT && sg_json_first(c)) {
			describe_map(c, indent);
		} else {
			printf("%*s", indent, "");
			describe_scalar(c);
		}
	}
}

int sg_ctl_describe(const struct sg_ctl_admin *admin, const char *kind, const char *name,
		    const char *ns)
{
	const struct kind_name *k = find_kind(kind);
	const char *plural;
	struct sg_json *list, *it;
	int rc;

	if (!k) {
		fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", kind);
		return 1;
	}
	if (!(list = fetch(admin, k, name, ns ? ns : "default", &rc)))
		return rc;
	if (!(it = sg_json_first(sg_json_get(list, "items")))) {
		plural = strchr(k->names, '|') + 1;
		fprintf(stderr, "Error from server (NotFound): %.*s \"%s\" not found\n",
			(int)strcspn(plural, "|"), plural, name);
		sg_json_free(list);
		return 1;
	}
	printf("Name:         %s\n", jstr(it, "metadata.name") ? jstr(it, "metadata.name") : "");
	if (strcmp(k->kind, "Namespace") != 0)
		printf("Namespace:    %s\n",
		       jstr(it, "metadata.namespace") ? jstr(it, "metadata.namespace") : "");
	printf("API Version:  %s\n", jstr(it, "apiVersion") ? jstr(it, "apiVersion") : k->api);
	printf("Kind:         %s\n", k->kind);
	for (const struct sg_json *c = sg_json_first(it); c; c = sg_json_next(c)) {
		char key[128];

		if (!strcmp(sg_json_key(c), "apiVersion") || !strcmp(sg_json_key(c), "kind"))
			continue;
		title(key, sizeof(key), sg_json_key(c));
		if (yaml_block(c)) {
			printf("%s:\n", key);
			describe_value(c, 2);
		} else {
			printf("%s:  ", key);
			describe_scalar(c);
		}
	}
	printf("Events:       <none>\n");
	sg_json_free(list);
	return 0;
}

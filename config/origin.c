/* Web origins for CORS: parsed by component, matched by component (see
 * origin.h). */
#include "config/origin.h"

#include <string.h>
#include <strings.h>

#include "config/hostname.h"

static bool alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static bool scheme_valid(const char *s, size_t n)
{
	if (!n || !alpha(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!alpha(s[i]) && !digit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static uint16_t default_port(const char *scheme, size_t n)
{
	if ((n == 4 && !strncasecmp(scheme, "http", 4)) ||
	    (n == 2 && !strncasecmp(scheme, "ws", 2)))
		return 80;
	if ((n == 5 && !strncasecmp(scheme, "https", 5)) ||
	    (n == 3 && !strncasecmp(scheme, "wss", 3)))
		return 443;
	return 0;
}

/* The port after the host's ':', p[0..n): 1 to 65535, or 0 when it is
 * not one. */
static uint16_t port_of(const char *p, size_t n)
{
	unsigned v = 0;

	if (!n || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!digit(p[i]))
			return 0;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= 65535 ? (uint16_t)v : 0;
}

static bool host_valid(struct sg_origin *o, bool pattern)
{
	if (pattern && o->host_len == 1 && o->host[0] == '*') {
		o->any_host = true;
		return true;
	}
	if (pattern && o->host_len > 2 && o->host[0] == '*' && o->host[1] == '.') {
		o->wildcard = true;
		o->host += 2;
		o->host_len -= 2;
		return o->host[0] != '[' && o->host[0] != '*' &&
		       sg_sni_name_valid(o->host, o->host_len);
	}
	return sg_host_addr_valid(o->host, o->host_len);
}

int sg_origin_parse(const char *s, size_t len, bool pattern, struct sg_origin *o)
{
	const char *sep = len >= 3 ? memmem(s, len, "://", 3) : NULL;
	const char *a;
	size_t n, h;

	*o = (struct sg_origin){ 0 };
	if (!sep || !scheme_valid(s, (size_t)(sep - s)))
		return -1;
	o->scheme = s;
	o->scheme_len = (size_t)(sep - s);
	a = sep + 3;
	n = len - (size_t)(a - s);
	h = sg_authority_host_len(a, n);
	o->host = a;
	o->host_len = h;
	if (!h || !host_valid(o, pattern))
		return -1;
	if (h == n) {
		o->port = default_port(o->scheme, o->scheme_len);
		return 0;
	}
	if (a[h] != ':' || !(o->port = port_of(a + h + 1, n - h - 1)))
		return -1;
	return 0;
}

bool sg_origin_entry_valid(const char *entry)
{
	struct sg_origin o;

	return !strcmp(entry, "*") || sg_origin_parse(entry, strlen(entry), true, &o) == 0;
}

/* Whether host h[0..n) is one or more whole labels, then ".", then the
 * pattern's rest. */
static bool wildcard_host(const struct sg_origin *p, const char *h, size_t n)
{
	return h[0] != '[' && n > p->host_len + 1 && h[n - p->host_len - 1] == '.' &&
	       !strncasecmp(h + n - p->host_len, p->host, p->host_len);
}

bool sg_origin_match(const char *entry, const char *origin, size_t len)
{
	struct sg_origin p, o;

	if (!strcmp(entry, "*"))
		return true;
	if (sg_origin_parse(entry, strlen(entry), true, &p) == -1 ||
	    sg_origin_parse(origin, len, false, &o) == -1)
		return false;
	if (p.scheme_len != o.scheme_len || strncasecmp(p.scheme, o.scheme, p.scheme_len) ||
	    p.port != o.port)
		return false;
	if (p.any_host)
		return true;
	if (p.wildcard)
		return wildcard_host(&p, o.host, o.host_len);
	return p.host_len == o.host_len && !strncasecmp(p.host, o.host, p.host_len);
}

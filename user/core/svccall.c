/* The policy service calls' shared pieces (the contract is svccall.h). */
#include "user/core/svccall.h"

#include <string.h>
#include <strings.h>

#include "config/extauthz.h"
#include "user/codec/h2.h"

bool sg_svc_owned(struct sg_h1_span n)
{
	static const char *const names[] = { "content-length", "transfer-encoding",
					     "connection",     "keep-alive",
					     "host",	       "te",
					     "upgrade" };

	if (!n.len || n.p[0] == ':')
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n.len == strlen(names[i]) && !strncasecmp(n.p, names[i], n.len))
			return true;
	return false;
}

bool sg_svc_origin_form(struct sg_h1_span t)
{
	if (!t.len || t.p[0] != '/')
		return false;
	for (size_t i = 0; i < t.len; i++)
		if ((unsigned char)t.p[i] <= ' ' || t.p[i] == 0x7f)
			return false;
	return true;
}

static bool method_token(struct sg_h1_span m)
{
	for (size_t i = 0; i < m.len; i++)
		if (!sg_h1_tchar[(unsigned char)m.p[i]])
			return false;
	return m.len > 0;
}

/* An authority as the http crate takes one: visible ASCII, no path,
 * query or fragment. */
static bool authority(struct sg_h1_span a)
{
	for (size_t i = 0; i < a.len; i++)
		if ((unsigned char)a.p[i] <= ' ' || (unsigned char)a.p[i] >= 0x7f ||
		    memchr("/?#", a.p[i], 3))
			return false;
	return a.len > 0;
}

bool sg_svc_check_set(struct sg_svc_check *c, struct sg_h1_span name, struct sg_h1_span value)
{
	int pseudo = sg_h1_span_is(name, "host") ? SG_EXT_AUTHZ_PSEUDO_AUTHORITY
						 : sg_ext_authz_pseudo(name.p, name.len);
	size_t k = 0;

	if (pseudo >= 0) {
		if (!value.p)
			return true;
		if (pseudo == SG_EXT_AUTHZ_PSEUDO_METHOD && method_token(value))
			c->method = value;
		else if (pseudo == SG_EXT_AUTHZ_PSEUDO_PATH && sg_svc_origin_form(value))
			c->target = value;
		else if (pseudo == SG_EXT_AUTHZ_PSEUDO_AUTHORITY && authority(value))
			c->authority = value;
		return true;
	}
	if (sg_svc_owned(name))
		return true;
	if (value.p && !sg_h1_value_ok(value.p, value.len))
		value.p = NULL; /* not a field value: as a value that failed */
	for (size_t i = 0; i < c->n; i++)
		if (!sg_h1_span_same(c->lines[i].name, name))
			c->lines[k++] = c->lines[i];
	c->n = k;
	if (!value.p)
		return true;
	if (c->n == c->cap)
		return false;
	c->lines[c->n++] = (struct sg_h1_header){ name, value };
	return true;
}

int sg_svc_grpc_status(const char *p, size_t len)
{
	int64_t v = sg_h2head_content_length(p, len); /* HTTP/2's decimal reader */

	return v >= 0 && v <= 99 ? (int)v : -1;
}

int sg_svc_grpc_in_head(const struct sg_h1_resp *resp, int cur)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct sg_h1_header *h = &resp->headers[i];

		if (h->name.len == 11 && !strncasecmp(h->name.p, "grpc-status", 11))
			cur = sg_svc_grpc_status(h->value.p, h->value.len);
	}
	return cur;
}

int sg_svc_grpc_in_trailers(const struct sg_h2_field *t, size_t n, int cur)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].name_len == 11 && !memcmp(t[i].name, "grpc-status", 11))
			cur = sg_svc_grpc_status(t[i].value, t[i].value_len);
	return cur;
}

ssize_t sg_svc_body(const char *body, size_t len, size_t *off, char *buf, size_t cap, bool *eof)
{
	size_t n = len - *off;

	if (n > cap)
		n = cap;
	memcpy(buf, body + *off, n);
	*off += n;
	*eof = *off == len;
	return (ssize_t)n;
}

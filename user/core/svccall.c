/* The policy service calls' shared pieces (the contract is svccall.h). */
#include "user/core/svccall.h"

#include <string.h>
#include <strings.h>

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

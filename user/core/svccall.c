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
	int64_t v = sg_h2_content_length(p, len); /* HTTP/2's decimal reader */

	return v >= 0 && v <= 99 ? (int)v : -1;
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

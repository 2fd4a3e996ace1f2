/* Helpers for the owners of a backend exchange (the contract is
 * exchange.h). */
#include "user/core/exchange.h"

#include <string.h>

ssize_t sg_exchange_body_copy(const char *body, size_t len, size_t *off, char *buf, size_t cap,
			      bool *eof)
{
	size_t n = len - *off;

	if (n > cap)
		n = cap;
	memcpy(buf, body + *off, n);
	*off += n;
	*eof = *off == len;
	return (ssize_t)n;
}

int sg_exchange_grpc_number(const char *p, size_t len)
{
	/* HTTP/2's decimal reader, the one content-length uses */
	int64_t v = sg_h2_content_length(p, len);

	return v >= 0 && v <= 99 ? (int)v : -1;
}

int sg_exchange_grpc_trailer(const struct sg_h2_field *t, size_t n, int cur)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].name_len == 11 && !memcmp(t[i].name, "grpc-status", 11))
			cur = sg_exchange_grpc_number(t[i].value, t[i].value_len);
	return cur;
}

/* Header names and values a config writes (config/headers.h). */
#include "config/headers.h"

#include <string.h>

static bool tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int sg_check_header(struct sg_pctx *c, const struct sg_node *at, const char *path, const char *name,
		    const char *value)
{
	const char *p = name;

	while (*p && tchar((unsigned char)*p))
		p++;
	if (!*name || *p) {
		sg_diag_err(c->d, at,
			    "%s: \"%s\" is not a header name (a token: letters, digits, "
			    "!#$%%&'*+-.^_`|~)",
			    path, name);
		return -1;
	}
	for (p = value; p && *p; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			sg_diag_err(c->d, at, "%s: the value of %s has a control character", path,
				    name);
			return -1;
		}
	}
	return 0;
}

int sg_header_map_check(struct sg_pctx *c, const struct sg_node *n, const char *path)
{
	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) > SG_FILTER_MAX_HEADERS) {
		sg_diag_err(c->d, n, "%s: %zu headers, at most %d", path, sg_map_len(n),
			    SG_FILTER_MAX_HEADERS);
		return -1;
	}
	return 0;
}

int sg_f_header_names(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind == SG_NODE_SEQ && n->n > SG_FILTER_MAX_HEADERS) {
		sg_diag_err(c->d, n, "%s: %zu headers, at most %d", path, n->n,
			    SG_FILTER_MAX_HEADERS);
		return -1;
	}
	if (sg_f_strs(c, n, dst, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (sg_check_header(c, n->items[i], path, n->items[i]->str, NULL) == -1)
			return -1;
	return 0;
}

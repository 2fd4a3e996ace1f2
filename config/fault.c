/* The delay policy: its duration compiled once, as an expression. */
#include <stdio.h>
#include <string.h>

#include "config/fault.h"

static int f_duration(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	char src[96];
	sg_dur d;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n) || !*n->str)
		return sg_expected(c, n, path,
				   "a duration such as \"2s\", or a CEL expression giving a "
				   "duration or milliseconds");
	/* a duration as written is the expression duration("...") */
	if (strlen(n->str) < sizeof(src) - 16 && sg_dur_parse(n->str, &d, NULL, 0) == 0) {
		snprintf(src, sizeof(src), "duration(\"%s\")", n->str);
		return sg_cel_field(c, n, src, dst, path);
	}
	return sg_cel_field(c, n, n->str, dst, path);
}

int sg_f_delay(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "duration", f_duration, offsetof(struct sg_delay, duration), true },
		{ 0 },
	};
	struct sg_filters *f = dst;
	struct sg_delay *d = sg_arena_alloc(c->a, sizeof(*d));

	if (!d)
		return -1;
	f->delay = d;
	return sg_parse_fields(c, n, fields, d, path);
}

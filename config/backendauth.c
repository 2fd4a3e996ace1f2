/* The backendAuth policy's shapes (the contract is backendauth.h). */
#include "config/backendauth.h"

#include <ctype.h>
#include <string.h>

#include "config/auth.h"
#include "config/tlsconf.h"

/* A FileOrInline value: the string, or {file} read now; trimmed, as
 * agentgateway trims a secret. */
static int value(struct sg_pctx *c, const struct sg_node *n, const char **out, const char *path)
{
	const struct sg_node *file = n->kind == SG_NODE_MAP ? sg_map_get(n, "file") : NULL;
	const char *text;
	size_t len, start = 0;
	char *v;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		text = n->str;
		len = strlen(text);
	} else if (file && sg_map_len(n) == 1 && file->kind == SG_NODE_SCALAR &&
		   !sg_node_is_null(file)) {
		if (sg_conf_read_file(c, file, sg_path_key(c, path, "file"), file->str, &text,
				      &len) == -1)
			return -1;
	} else {
		return sg_expected(c, n, path, "a secret as a string or {file: PATH}");
	}
	while (start < len && isspace((unsigned char)text[start]))
		start++;
	while (len > start && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == start || memchr(text + start, '\r', len - start) ||
	    memchr(text + start, '\n', len - start))
		return sg_expected(c, n, path, "a secret of one line");
	if (!(v = sg_arena_strndup(c->a, text + start, len - start)))
		return -1;
	*out = v;
	return 0;
}

static int f_location(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_backend_cred *cr = dst;

	cr->explicit_location = true;
	return sg_f_cred_location(c, n, &cr->location, path);
}

static int f_value(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return value(c, n, &((struct sg_backend_cred *)dst)->value, path);
}

static int f_passthrough(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "location", f_location, 0 },
		{ 0 },
	};
	struct sg_backend_auth *b = dst;

	b->kind = SG_BACKEND_AUTH_PASSTHROUGH;
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, &b->main, path);
}

/* key: VALUE (the older shape) or {value, location}. */
static int f_key(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "value", f_value, 0, true },
		{ "location", f_location, 0 },
		{ 0 },
	};
	struct sg_backend_auth *b = dst;

	b->kind = SG_BACKEND_AUTH_KEY;
	if (n->kind == SG_NODE_MAP && !sg_map_get(n, "file")) {
		b->legacy = false;
		return sg_parse_fields(c, n, fields, &b->main, path);
	}
	b->legacy = true;
	return value(c, n, &b->main.value, path);
}

static int f_credentials(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "location", f_location, 0, true },
		{ "key", f_value, 0, true },
		{ 0 },
	};
	struct sg_backend_auth *b = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		struct sg_backend_cred *cr =
			sg_arena_push(c->a, &b->creds, &b->ncreds, &b->capcreds, sizeof(*cr));

		if (!cr)
			return -1;
		if (sg_parse_fields(c, n->items[i], fields, cr, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	}
	return ret;
}

int sg_f_backend_auth_refused(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *key = dot ? dot + 1 : path;
	bool cloud = !strcmp(key, "gcp") || !strcmp(key, "aws") || !strcmp(key, "azure");

	sg_diag_err(c->d, n, "%s: not supported (%s)", path,
		    cloud ? "a cloud-provider key" : "backend credentials from a token service");
	return -1;
}

int sg_f_backend_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "passthrough", f_passthrough, 0 },
		{ "key", f_key, 0 },
		{ "credentials", f_credentials, 0 },
		{ "gcp", sg_f_backend_auth_refused, 0 },
		{ "aws", sg_f_backend_auth_refused, 0 },
		{ "azure", sg_f_backend_auth_refused, 0 },
		{ "copilot", sg_f_backend_auth_refused, 0 },
		{ "jwtSign", sg_f_backend_auth_refused, 0 },
		{ "oauthTokenExchange", sg_f_backend_auth_refused, 0 },
		{ "crossAppAccess", sg_f_backend_auth_refused, 0 },
		{ 0 },
	};
	static const char *const kinds[] = { "passthrough", "key" };
	struct sg_backend_auth *b = sg_arena_alloc(c->a, sizeof(*b));
	unsigned nkinds = 0;

	if (!b || sg_need_map(c, n, path) == -1)
		return -1;
	b->at = n;
	b->main.location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	for (size_t i = 0; i < 2; i++)
		nkinds += sg_map_get(n, kinds[i]) != NULL;
	if (nkinds > 1) {
		sg_diag_err(c->d, n, "%s: one of passthrough or key, not both", path);
		return -1;
	}
	if (sg_parse_fields(c, n, fields, b, path) == -1)
		return -1;
	if (b->kind == SG_BACKEND_AUTH_NONE && !b->ncreds)
		return sg_expected(c, n, path, "passthrough, key or credentials");
	((struct sg_filters *)dst)->backend_auth = b;
	return 0;
}

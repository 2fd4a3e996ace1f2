/* The backendAuth policy's shapes (the contract is backendauth.h). */
#include "config/backendauth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/auth.h"
#include "config/tlsconf.h"
#include "config/tokenxconf.h"

int sg_backend_auth_secret(struct sg_pctx *c, const struct sg_node *n, const char **out,
			   const char *path)
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
	return sg_backend_auth_secret(c, n, &((struct sg_backend_cred *)dst)->value, path);
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
	return sg_backend_auth_secret(c, n, &b->main.value, path);
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

/* ---- jwtSign -------------------------------------------------------------- */

/* signingKey: the PEM inline, or {file: PATH} read now. */
static int f_signing_key(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const struct sg_node *file = n->kind == SG_NODE_MAP ? sg_map_get(n, "file") : NULL;
	struct sg_jwt_sign *j = dst;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n) && *n->str) {
		j->key_pem = n->str;
		j->key_len = strlen(n->str);
		return 0;
	}
	if (file && sg_map_len(n) == 1 && file->kind == SG_NODE_SCALAR && !sg_node_is_null(file))
		return sg_conf_read_file(c, file, sg_path_key(c, path, "file"), file->str,
					 &j->key_pem, &j->key_len);
	return sg_expected(c, n, path, "a PEM private key as a string or {file: PATH}");
}

static int f_alg(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const names[] = {
		[SG_JWS_RS256] = "RS256", [SG_JWS_RS384] = "RS384", [SG_JWS_RS512] = "RS512",
		[SG_JWS_PS256] = "PS256", [SG_JWS_ES256] = "ES256", [SG_JWS_ES384] = "ES384"
	};

	for (size_t i = 0; n->kind == SG_NODE_SCALAR && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(n->str, names[i])) {
			*(enum sg_jws_alg *)dst = (enum sg_jws_alg)i;
			return 0;
		}
	return sg_expected(c, n, path, "RS256, RS384, RS512, PS256, ES256 or ES384");
}

const char *sg_jws_alg_name(enum sg_jws_alg alg)
{
	static const char *const names[] = { "RS256", "RS384", "RS512", "PS256", "ES256", "ES384" };

	return (size_t)alg < sizeof(names) / sizeof(names[0]) ? names[alg] : "RS256";
}

/* s as a JSON string (quotes and escapes) appended to buf at *n; buf has
 * room (6 bytes a byte, and 2). */
static void json_string(char *buf, size_t *n, const char *s)
{
	buf[(*n)++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = (char)ch;
		} else if (ch < 0x20) {
			*n += (size_t)sprintf(buf + *n, "\\u%04x", ch);
		} else {
			buf[(*n)++] = (char)ch;
		}
	}
	buf[(*n)++] = '"';
	buf[*n] = '\0';
}

/* Whether s is a JSON number as written (what YAML's core schema reads as
 * an int or a float, in JSON's own spelling). */
static bool json_number(const char *s)
{
	const char *p = s + (*s == '-');

	if (!isdigit((unsigned char)*p) || (*p == '0' && isdigit((unsigned char)p[1])))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p);)
			p++;
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return !*p;
}

/* The JSON size bound of node n (6 bytes a byte of its text). */
static size_t json_bound(const struct sg_node *n)
{
	size_t b = 8;

	if (n->kind == SG_NODE_SCALAR)
		return 6 * strlen(n->str) + 8;
	for (size_t i = 0; i < n->n; i++)
		b += json_bound(n->items[i]) + 2;
	return b;
}

/* YAML node n as JSON (agentgateway reads its YAML as JSON), appended. */
static void to_json(const struct sg_node *n, char *buf, size_t *len)
{
	if (n->kind == SG_NODE_SCALAR) {
		const char *s = n->str;

		if (sg_node_is_null(n))
			*len += (size_t)sprintf(buf + *len, "null");
		else if (n->plain && (!strcmp(s, "true") || !strcmp(s, "false") || json_number(s)))
			*len += (size_t)sprintf(buf + *len, "%s", s);
		else
			json_string(buf, len, s);
		return;
	}
	buf[(*len)++] = n->kind == SG_NODE_SEQ ? '[' : '{';
	for (size_t i = 0; i < n->n; i++) {
		if (i)
			buf[(*len)++] = n->kind == SG_NODE_MAP && i % 2 ? ':' : ',';
		if (n->kind == SG_NODE_MAP && i % 2 == 0) /* a name is a string */
			json_string(buf, len,
				    n->items[i]->kind == SG_NODE_SCALAR ? n->items[i]->str : "");
		else
			to_json(n->items[i], buf, len);
	}
	buf[(*len)++] = n->kind == SG_NODE_SEQ ? ']' : '}';
	buf[*len] = '\0';
}

static int key_cmp(const void *a, const void *b)
{
	const struct sg_node *const *ka = a, *const *kb = b;

	return strcmp((*ka)->str, (*kb)->str);
}

/* claims: a map of any JSON values, in key order (agentgateway's
 * BTreeMap), none of the signer's own (iat, exp, nbf). */
static int f_claims(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_jwt_sign *j = dst;
	size_t cnt = sg_map_len(n), len = 0, cap = json_bound(n) + 1;
	const struct sg_node **keys;
	char *buf;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (!(keys = sg_arena_alloc(c->a, (cnt + 1) * sizeof(*keys))) ||
	    !(buf = sg_arena_alloc(c->a, cap)))
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		keys[i] = sg_map_key(n, i);
		if (keys[i]->kind != SG_NODE_SCALAR)
			return sg_expected(c, keys[i], path, "a claim's name");
		if (!strcmp(keys[i]->str, "iat") || !strcmp(keys[i]->str, "exp") ||
		    !strcmp(keys[i]->str, "nbf")) {
			sg_diag_err(c->d, keys[i],
				    "%s.%s: the claim is reserved for the signer and cannot be "
				    "configured",
				    path, keys[i]->str);
			return -1;
		}
	}
	qsort(keys, cnt, sizeof(*keys), key_cmp);
	buf[0] = '\0';
	for (size_t i = 0; i < cnt; i++) {
		if (i)
			buf[len++] = ',';
		json_string(buf, &len, keys[i]->str);
		buf[len++] = ':';
		to_json(sg_map_get(n, keys[i]->str), buf, &len);
	}
	j->claims = buf;
	return 0;
}

static int f_ttl(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_dur *ttl = dst;

	if (sg_node_is_null(n))
		return 0;
	if (sg_f_dur(c, n, ttl, path) == -1)
		return -1;
	if (*ttl < SG_DUR_S(1)) {
		sg_diag_err(c->d, n, "%s: jwtSign ttl must be at least one second", path);
		return -1;
	}
	return 0;
}

/* jwtSign's map: the signer's settings, and the credential's location. */
struct jwt_sign_in {
	struct sg_jwt_sign j;
	struct sg_backend_auth *b;
};

static int f_sign_location(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_location(c, n, &((struct jwt_sign_in *)dst)->b->main, path);
}

static int f_jwt_sign(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
#define JS(field) offsetof(struct jwt_sign_in, j.field)
	static const struct sg_field fields[] = {
		{ "signingKey", f_signing_key, 0, true },
		{ "alg", f_alg, JS(alg) },
		{ "kid", sg_f_str, JS(kid) },
		{ "claims", f_claims, 0 },
		{ "ttl", f_ttl, JS(ttl) },
		{ "location", f_sign_location, 0 },
		{ 0 },
	};
#undef JS
	struct jwt_sign_in in = { .j = { .ttl = SG_DUR_UNSET, .claims = "", .at = n }, .b = dst };
	struct sg_jwt_sign *j = sg_arena_alloc(c->a, sizeof(*j));
	const struct sg_jwt_sign **slot;

	if (!j || !(in.j.rt = sg_arena_alloc(c->a, sizeof(*in.j.rt))) ||
	    sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	*j = in.j;
	in.b->kind = SG_BACKEND_AUTH_JWT_SIGN;
	in.b->sign = j;
	if (!c->cfg)
		return 0;
	if (!(slot = sg_arena_push(c->a, &c->cfg->signers, &c->cfg->nsigners, &c->cfg->capsigners,
				   sizeof(*slot))))
		return -1;
	*slot = j;
	return 0;
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
		{ "jwtSign", f_jwt_sign, 0 },
		{ "oauthTokenExchange", sg_f_token_exchange, 0 },
		{ "crossAppAccess", sg_f_backend_auth_refused, 0 },
		{ 0 },
	};
	static const char *const kinds[] = { "passthrough", "key", "jwtSign",
					     "oauthTokenExchange" };
	struct sg_backend_auth *b = sg_arena_alloc(c->a, sizeof(*b));
	unsigned nkinds = 0;

	if (!b || sg_need_map(c, n, path) == -1)
		return -1;
	b->at = n;
	b->main.location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		nkinds += sg_map_get(n, kinds[i]) != NULL;
	if (nkinds > 1) {
		sg_diag_err(c->d, n, "%s: one of passthrough, key, jwtSign or oauthTokenExchange",
			    path);
		return -1;
	}
	if (sg_parse_fields(c, n, fields, b, path) == -1)
		return -1;
	if (b->kind == SG_BACKEND_AUTH_NONE && !b->ncreds)
		return sg_expected(c, n, path,
				   "passthrough, key, jwtSign, oauthTokenExchange or credentials");
	((struct sg_filters *)dst)->backend_auth = b;
	return 0;
}

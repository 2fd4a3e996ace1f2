/* backendAuth on one try (the contract is backendcred.h). */
#include "user/core/backendcred.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "user/auth/jwt.h"
#include "user/auth/jwtsign.h"
#include "user/base/form.h"
#include "user/core/authn.h"

/* The header `name: value` on the backend's request, in place of any. */
static int set_header(struct sg_filter_plan *p, const char *name, const char *value)
{
	struct sg_header_kv kv = { name, value };
	const struct sg_hdrmod mod = { .set = { &kv, 1, 1 } };

	return sg_header_edit_apply(&p->request, &mod);
}

/* What the backend's request carries as `name` now: the plan's own line,
 * else the client's. NULL: none. */
static const char *current(const struct sg_filter_plan *p, const struct sg_filter_input *in,
			   const char *name, size_t *len)
{
	for (size_t i = p->request.nadd; i-- > 0;)
		if (p->request.add[i].name.len == strlen(name) &&
		    !strncasecmp(p->request.add[i].name.p, name, strlen(name))) {
			*len = p->request.add[i].value.len;
			return p->request.add[i].value.p;
		}
	if (sg_header_edit_drops(&p->request, name, strlen(name)))
		return NULL;
	return in->header ? in->header(in->ctx, name, len) : NULL;
}

/* Whether item[0..ilen), a query's pair (sep '&') or a cookie, is called
 * name: a cookie as written, a query's key form-decoded, as the
 * credential was found (user/core/authn.c) and as agentgateway's
 * form_urlencoded reads it ("ap%69=x" is api; a backend decodes it
 * too). */
static bool named(const char *item, size_t ilen, char sep, const char *name, size_t nlen)
{
	const char *eq = memchr(item, '=', ilen);
	size_t klen = eq ? (size_t)(eq - item) : ilen;
	char key[256];

	if (sep != '&')
		return eq && klen == nlen && !memcmp(item, name, nlen);
	return sg_form_decode(item, klen, key, sizeof(key)) == (ssize_t)nlen &&
	       !memcmp(key, name, nlen);
}

/* s[0..len) split by sep, without the items whose key (up to '=') is
 * name, then `name=value` (value form-encoded when `encode`; value NULL:
 * nothing added), into a new string (malloc'd). */
static char *replaced(const char *s, size_t len, char sep, const char *name, const char *value,
		      bool encode)
{
	/* kept items grow by at most a space per separator: 1.5 len at most */
	size_t nlen = strlen(name), cap = 2 * len + nlen + 3 * strlen(value ? value : "") + 8;
	size_t n = 0;
	const char *end = s + len;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (s < end) {
		const char *at = memchr(s, sep, (size_t)(end - s)), *item = s;
		size_t ilen = (size_t)((at ? at : end) - s);

		s = at ? at + 1 : end;
		while (sep == ';' && ilen && *item == ' ') {
			item++;
			ilen--;
		}
		if (!ilen || named(item, ilen, sep, name, nlen))
			continue;
		if (n) {
			out[n++] = sep;
			if (sep == ';')
				out[n++] = ' ';
		}
		memcpy(out + n, item, ilen);
		n += ilen;
	}
	if (!value) {
		out[n] = '\0';
		return out;
	}
	if (n) {
		out[n++] = sep;
		if (sep == ';')
			out[n++] = ' ';
	}
	memcpy(out + n, name, nlen);
	n += nlen;
	out[n++] = '=';
	if (encode) {
		sg_form_append(out, cap, &n, value, strlen(value));
	} else {
		strcpy(out + n, value);
		n += strlen(value);
	}
	out[n] = '\0';
	return out;
}

/* The target t with its query q (after '?') replaced by `query`. */
static int put_query(struct sg_filter_plan *p, struct sg_h1_span t, const char *q,
		     const char *query)
{
	size_t len = q ? (size_t)(q - t.p) : t.len;
	char *v = malloc(len + strlen(query) + 2);
	int rc;

	if (!v)
		return -ENOMEM;
	memcpy(v, t.p, len);
	v[len] = '\0';
	if (*query) {
		v[len] = '?';
		strcpy(v + len + 1, query);
	}
	rc = sg_filter_plan_target(p, v, strlen(v));
	free(v);
	return rc;
}

/* The credential at location l taken out of the backend's request
 * (agentgateway's AuthorizationLocation::remove): a header, a query
 * parameter, a cookie (the Cookie line dropped when none is left). */
static int take_out(struct sg_filter_plan *p, const struct sg_cred_location *l,
		    const struct sg_filter_input *in)
{
	struct sg_h1_span t = p->target.p ? p->target : in->target;
	const char *cur, *q, *kept;
	struct sg_hdrmod mod = { 0 };
	const char *names[1];
	char *line;
	size_t len = 0;
	int rc;

	switch (l->where) {
	case SG_CRED_HEADER:
		names[0] = l->name;
		mod.remove = (struct sg_strs){ names, 1, 1 };
		return sg_header_edit_apply(&p->request, &mod);
	case SG_CRED_COOKIE:
		if (!(cur = current(p, in, "cookie", &len)))
			return 0;
		if (!(line = replaced(cur, len, ';', l->name, NULL, false)))
			return -ENOMEM;
		if (!*line) {
			free(line);
			names[0] = "cookie";
			mod.remove = (struct sg_strs){ names, 1, 1 };
			return sg_header_edit_apply(&p->request, &mod);
		}
		kept = sg_filter_plan_keep(p, line, strlen(line));
		free(line);
		return kept ? set_header(p, "cookie", kept) : -ENOMEM;
	case SG_CRED_QUERY:
		break;
	}
	if (!(q = memchr(t.p, '?', t.len)))
		return 0;
	if (!(line = replaced(q + 1, (size_t)(t.p + t.len - q - 1), '&', l->name, NULL, false)))
		return -ENOMEM;
	rc = put_query(p, t, q, line);
	free(line);
	return rc;
}

/* value at location l. */
static int insert(struct sg_filter_plan *p, const struct sg_cred_location *l, const char *value,
		  size_t vlen, const struct sg_filter_input *in)
{
	struct sg_h1_span t = p->target.p ? p->target : in->target;
	const char *cur, *q, *kept;
	char *v = NULL, *line;
	size_t len = 0;
	int rc;

	switch (l->where) {
	case SG_CRED_HEADER:
		line = malloc(strlen(l->prefix ? l->prefix : "") + vlen + 1);
		if (!line)
			return -ENOMEM;
		strcpy(line, l->prefix ? l->prefix : "");
		strncat(line, value, vlen);
		kept = sg_filter_plan_keep(p, line, strlen(line));
		free(line);
		return kept ? set_header(p, l->name, kept) : -ENOMEM;
	case SG_CRED_COOKIE:
		cur = current(p, in, "cookie", &len);
		if (!(v = strndup(value, vlen)))
			return -ENOMEM;
		line = replaced(cur ? cur : "", cur ? len : 0, ';', l->name, v, false);
		free(v);
		if (!line)
			return -ENOMEM;
		kept = sg_filter_plan_keep(p, line, strlen(line));
		free(line);
		return kept ? set_header(p, "cookie", kept) : -ENOMEM;
	case SG_CRED_QUERY:
		break;
	}
	q = memchr(t.p, '?', t.len);
	if (!(v = strndup(value, vlen)))
		return -ENOMEM;
	line = replaced(q ? q + 1 : "", q ? (size_t)(t.p + t.len - q - 1) : 0, '&', l->name, v,
			true);
	free(v);
	if (!line)
		return -ENOMEM;
	rc = put_query(p, t, q, line);
	free(line);
	return rc;
}

int sg_backend_auth_apply(struct sg_filter_plan *p, const struct sg_backend_auth *b,
			  const struct sg_filter_input *in)
{
	const struct sg_jwt_claims *jwt = in->authn ? in->authn->jwt : NULL;
	const char *tok;
	size_t len;
	int rc = 0;

	switch (b->kind) {
	case SG_BACKEND_AUTH_PASSTHROUGH:
		if (jwt) {
			tok = sg_jwt_claims_token(jwt, &len);
			rc = insert(p, &b->main.location, tok, len, in);
		}
		break;
	case SG_BACKEND_AUTH_KEY:
		rc = insert(p, &b->main.location, b->main.value, strlen(b->main.value), in);
		break;
	case SG_BACKEND_AUTH_JWT_SIGN: {
		char *signed_jwt = sg_jwtsign_token(b->sign, (uint64_t)time(NULL));

		rc = signed_jwt ? insert(p, &b->main.location, signed_jwt, strlen(signed_jwt), in)
				: -ENOMEM;
		free(signed_jwt);
		break;
	}
	case SG_BACKEND_AUTH_TOKEN_EXCHANGE: {
		/* the caller's credentials go; the exchanged token takes their place */
		const struct sg_token_exchange *t = b->exchange;

		if (!in->exchanged)
			break;
		rc = take_out(p, &t->subject, in);
		if (rc == 0 && t->actor)
			rc = take_out(p, &t->actor_at, in);
		if (rc == 0)
			rc = insert(p, &t->out, in->exchanged, strlen(in->exchanged), in);
		break;
	}
	case SG_BACKEND_AUTH_NONE:
		break;
	}
	for (size_t i = 0; rc == 0 && i < b->ncreds; i++)
		rc = insert(p, &b->creds[i].location, b->creds[i].value, strlen(b->creds[i].value),
			    in);
	return rc;
}

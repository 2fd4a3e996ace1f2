/* An MCP target's policies, copied (the contract is mcppolicy.h). */
#include "user/mcp/mcppolicy.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/form.h"

/* Owned by its references: the target's HTTP end and its exchanges. */
struct sg_mcp_policy {
	atomic_int refs;
	bool has_tls;
	struct sg_backend_tls tls; /* its strings in `mem` */
	char *headers;		   /* "" when none */
	char *query;		   /* "" when none */
	char *mem;		   /* the TLS policy's strings and lists */
};

/* A growing string: NULL once out of memory. */
struct text {
	char *s;
	size_t len, cap;
};

static void add(struct text *t, const char *s, size_t n)
{
	char *p;

	if (!t->s)
		return;
	if (t->len + n + 1 > t->cap) {
		t->cap = 2 * (t->len + n + 1);
		if (!(p = realloc(t->s, t->cap))) {
			free(t->s);
			t->s = NULL;
			return;
		}
		t->s = p;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void adds(struct text *t, const char *s)
{
	add(t, s, strlen(s));
}

/* value form-encoded onto t. */
static void add_encoded(struct text *t, const char *value)
{
	size_t vlen = strlen(value), cap = 3 * vlen + 1, n = 0;
	char *e = malloc(cap);

	if (!e || !sg_form_append(e, cap, &n, value, vlen)) {
		free(t->s);
		t->s = NULL;
	} else {
		add(t, e, n);
	}
	free(e);
}

/* One credential, value at l: onto the header lines, the Cookie line's
 * pairs or the query. */
static void cred(struct text *hdr, struct text *cookie, struct text *query,
		 const struct sg_cred_location *l, const char *value)
{
	switch (l->where) {
	case SG_CRED_HEADER:
		adds(hdr, l->name);
		adds(hdr, ": ");
		adds(hdr, l->prefix ? l->prefix : "");
		adds(hdr, value);
		adds(hdr, "\r\n");
		break;
	case SG_CRED_COOKIE:
		adds(cookie, cookie->len ? "; " : "");
		adds(cookie, l->name);
		adds(cookie, "=");
		adds(cookie, value);
		break;
	case SG_CRED_QUERY:
		adds(query, query->len ? "&" : "");
		add_encoded(query, l->name);
		adds(query, "=");
		add_encoded(query, value);
		break;
	}
}

/* b's credentials into p's header lines and query. -ENOMEM. */
static int creds(struct sg_mcp_policy *p, const struct sg_backend_auth *b)
{
	struct text hdr = { calloc(1, 1), 0, 1 }, cookie = { calloc(1, 1), 0, 1 },
		    query = { calloc(1, 1), 0, 1 };

	if (b && b->kind == SG_BACKEND_AUTH_KEY)
		cred(&hdr, &cookie, &query, &b->main.location, b->main.value);
	for (size_t i = 0; b && i < b->ncreds; i++)
		cred(&hdr, &cookie, &query, &b->creds[i].location, b->creds[i].value);
	if (cookie.len) {
		adds(&hdr, "Cookie: ");
		adds(&hdr, cookie.s ? cookie.s : "");
		adds(&hdr, "\r\n");
	}
	free(cookie.s);
	p->headers = hdr.s;
	p->query = query.s;
	return hdr.s && query.s && cookie.s ? 0 : -ENOMEM;
}

/* The bytes of t's strings and lists. */
static size_t tls_size(const struct sg_backend_tls *t)
{
	size_t n = t->root_len + t->cert_len + t->key_len + 3;

	n += t->hostname ? strlen(t->hostname) + 1 : 0;
	n += t->invalid ? strlen(t->invalid) + 1 : 0;
	n += (t->alpn.n + t->sans.n) * sizeof(char *);
	for (size_t i = 0; i < t->alpn.n; i++)
		n += strlen(t->alpn.v[i]) + 1;
	for (size_t i = 0; i < t->sans.n; i++)
		n += strlen(t->sans.v[i]) + 1;
	return n;
}

/* s[0..len) and a NUL at *at (advanced); NULL stays NULL. */
static const char *put(char **at, const char *s, size_t len)
{
	char *d = *at;

	if (!s)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	*at += len + 1;
	return d;
}

/* list's strings at *at, its vector at *vec (both advanced). */
static struct sg_strs put_list(char **at, const char ***vec, const struct sg_strs *list)
{
	struct sg_strs out = { *vec, list->n, list->n };

	for (size_t i = 0; i < list->n; i++)
		(*vec)[i] = put(at, list->v[i], strlen(list->v[i]));
	*vec += list->n;
	return out;
}

/* t copied into p, its strings into one block. -ENOMEM. */
static int tls_copy(struct sg_mcp_policy *p, const struct sg_backend_tls *t)
{
	size_t nv = t->alpn.n + t->sans.n;
	const char **vec;
	char *at;

	if (!(p->mem = malloc(tls_size(t))))
		return -ENOMEM;
	vec = (const char **)(void *)p->mem;
	at = p->mem + nv * sizeof(char *);
	p->has_tls = true;
	p->tls = (struct sg_backend_tls){
		.root_len = t->root_len,
		.cert_len = t->cert_len,
		.key_len = t->key_len,
		.insecure = t->insecure,
		.insecure_host = t->insecure_host,
		.has_alpn = t->has_alpn,
	};
	p->tls.root_pem = put(&at, t->root_pem, t->root_len);
	p->tls.cert_pem = put(&at, t->cert_pem, t->cert_len);
	p->tls.key_pem = put(&at, t->key_pem, t->key_len);
	p->tls.hostname = t->hostname ? put(&at, t->hostname, strlen(t->hostname)) : NULL;
	p->tls.invalid = t->invalid ? put(&at, t->invalid, strlen(t->invalid)) : NULL;
	p->tls.alpn = put_list(&at, &vec, &t->alpn);
	p->tls.sans = put_list(&at, &vec, &t->sans);
	return 0;
}

int sg_mcp_policy_new(const struct sg_mcp_target *t, struct sg_mcp_policy **out)
{
	struct sg_mcp_policy *p;

	*out = NULL;
	if (!t->backend_tls && !t->backend_auth)
		return 0;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	if (creds(p, t->backend_auth) || (t->backend_tls && tls_copy(p, t->backend_tls))) {
		sg_mcp_policy_unref(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void sg_mcp_policy_ref(struct sg_mcp_policy *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
}

void sg_mcp_policy_unref(struct sg_mcp_policy *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	free(p->headers);
	free(p->query);
	free(p->mem);
	free(p);
}

const struct sg_backend_tls *sg_mcp_policy_tls(const struct sg_mcp_policy *p)
{
	return p && p->has_tls ? &p->tls : NULL;
}

const char *sg_mcp_policy_headers(const struct sg_mcp_policy *p)
{
	return p && p->headers ? p->headers : "";
}

char *sg_mcp_policy_url(const struct sg_mcp_policy *p, const char *url)
{
	const char *q = p && p->query ? p->query : "";
	size_t n = strlen(url) + strlen(q) + 2;
	char *u = malloc(n);

	if (!u)
		return NULL;
	strcpy(u, url);
	if (*q) {
		strcat(u, strchr(url, '?') ? "&" : "?");
		strcat(u, q);
	}
	return u;
}

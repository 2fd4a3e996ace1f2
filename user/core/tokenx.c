/* backendAuth oauthTokenExchange on one try (the contract is tokenx.h). */
#include "user/core/tokenx.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config/cel.h"
#include "user/auth/authzcache.h"
#include "user/auth/oauthtoken.h"
#include "user/base/base64url.h"
#include "user/base/form.h"
#include "user/base/log.h"
#include "user/core/authn.h"
#include "user/core/celreq.h"
#include "user/core/fetchcall.h"
#include "user/core/request.h"

/* Exchanges under way at once, over every worker: past it a try gets 503. */
#define MAX_EXCHANGES 256
/* The longest token read from a request (a query parameter decoded). */
#define TOKEN_MAX 16384

#define GRANT_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

static atomic_int in_flight;

/* One exchange under way for a request's try; the request's (r->tx). */
struct sg_tokenx {
	struct sg_request *r;
	const struct sg_token_exchange *t;
	struct sg_fetchcall *call;
	uint8_t key[32];
	char *subject; /* for the cache's bound by its exp */
	size_t subject_len;
};

/* What one exchange asks: the tokens and the parameters' values. */
struct asked {
	char *subject, *actor;
	size_t subject_len, actor_len;
	char **values; /* t->params' values, in order */
};

static void asked_free(struct asked *a, size_t nparams)
{
	if (a->subject)
		OPENSSL_cleanse(a->subject, a->subject_len);
	if (a->actor)
		OPENSSL_cleanse(a->actor, a->actor_len);
	free(a->subject);
	free(a->actor);
	for (size_t i = 0; a->values && i < nparams; i++)
		free(a->values[i]);
	free(a->values);
}

/* The token at loc in the request: a copy, or NULL (none, or empty). */
static char *token_at(const struct sg_cred_location *loc, const struct sg_filter_input *in,
		      size_t *len)
{
	char *buf = malloc(TOKEN_MAX);
	struct sg_h1_span s;
	char *out = NULL;

	if (buf && sg_authn_credential(loc, in, buf, TOKEN_MAX, &s) && s.len < TOKEN_MAX) {
		while (s.len && (*s.p == ' ' || *s.p == '\t')) {
			s.p++;
			s.len--;
		}
		while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
			s.len--;
		if (s.len && (out = malloc(s.len + 1))) {
			memcpy(out, s.p, s.len);
			out[s.len] = '\0';
			*len = s.len;
		}
	}
	free(buf);
	return out;
}

/* e's value over v when it is a string (agentgateway fails the exchange
 * otherwise): a copy, or NULL. */
static char *cel_string(const struct sg_cel *e, const struct sg_celreq_view *v)
{
	struct sg_celreq c;
	struct sg_cel_val val;
	char *out = NULL;

	sg_celreq_begin(&c, v);
	sg_cel_eval(e, &c.run, &val);
	if (val.type == SG_CEL_STRING && (out = malloc(val.s.n + 1))) {
		memcpy(out, val.s.p, val.s.n);
		out[val.s.n] = '\0';
	}
	sg_celreq_end(&c);
	return out;
}

/* What the request gives the exchange; false: it lacks something (400). */
static bool ask_of(struct sg_request *r, const struct sg_token_exchange *t, struct asked *a)
{
	struct sg_filter_input in;
	struct sg_celreq_view v;

	sg_request_input(r, &in);
	if (!(a->subject = token_at(&t->subject, &in, &a->subject_len)))
		return false;
	if (t->actor && !(a->actor = token_at(&t->actor_at, &in, &a->actor_len)))
		return false;
	if (!t->params.n)
		return true;
	if (!(a->values = calloc(t->params.n, sizeof(*a->values))))
		return false;
	sg_celreq_view_of(&v, &in, NULL);
	for (size_t i = 0; i < t->params.n; i++)
		if (!(a->values[i] = cel_string(t->params.v[i].expr, &v)))
			return false;
	return true;
}

static void digest_field(EVP_MD_CTX *m, const void *p, size_t n)
{
	uint64_t len = n;

	EVP_DigestUpdate(m, &len, sizeof(len));
	EVP_DigestUpdate(m, p, n);
}

/* The cache's key: a SHA-256 of what was asked, so that no token is kept
 * as a key. */
static bool key_of(const struct sg_token_exchange *t, const struct asked *a, uint8_t key[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned n = 0;
	bool ok;

	ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	if (ok) {
		digest_field(m, a->subject, a->subject_len);
		digest_field(m, t->subject_type, strlen(t->subject_type));
		digest_field(m, a->actor ? "\1" : "\0", 1);
		if (a->actor) {
			digest_field(m, a->actor, a->actor_len);
			digest_field(m, t->actor_type, strlen(t->actor_type));
		}
		for (size_t i = 0; i < t->params.n; i++) {
			digest_field(m, t->params.v[i].name, strlen(t->params.v[i].name));
			digest_field(m, a->values[i], strlen(a->values[i]));
		}
		ok = EVP_DigestFinal_ex(m, key, &n) && n == 32;
	}
	EVP_MD_CTX_free(m);
	return ok;
}

/* ---- the token request ------------------------------------------------------ */

/* A growing form body: name=value pairs, form-encoded. */
struct form {
	char *p;
	size_t n, cap;
	bool failed;
};

static void put(struct form *f, const char *name, const char *value)
{
	size_t need = f->n + strlen(name) + 3 * strlen(value) + 3;
	char *p;

	if (f->failed)
		return;
	if (need > f->cap) {
		f->cap = need * 2;
		if (!(p = realloc(f->p, f->cap))) {
			f->failed = true;
			return;
		}
		f->p = p;
	}
	if (f->n)
		f->p[f->n++] = '&';
	sg_form_append(f->p, f->cap, &f->n, name, strlen(name));
	f->p[f->n++] = '=';
	sg_form_append(f->p, f->cap, &f->n, value, strlen(value));
}

/* The token request's body, in agentgateway's order (build_token_request_form). */
static void form_of(const struct sg_token_exchange *t, const struct asked *a, struct form *f)
{
	if (t->grant == SG_TOKENX_EXCHANGE) {
		put(f, "grant_type", GRANT_EXCHANGE);
		put(f, "subject_token", a->subject);
		put(f, "subject_token_type", t->subject_type);
		if (a->actor) {
			put(f, "actor_token", a->actor);
			put(f, "actor_token_type", t->actor_type);
		}
		if (t->requested_type)
			put(f, "requested_token_type", t->requested_type);
	} else {
		put(f, "grant_type", GRANT_JWT_BEARER);
		put(f, "assertion", a->subject);
	}
	for (size_t i = 0; i < t->audiences.n; i++)
		put(f, "audience", t->audiences.v[i]);
	if (t->scopes.n) {
		size_t len = 1;
		char *s;

		for (size_t i = 0; i < t->scopes.n; i++)
			len += strlen(t->scopes.v[i]) + 1;
		if (!(s = malloc(len))) {
			f->failed = true;
			return;
		}
		s[0] = '\0';
		for (size_t i = 0; i < t->scopes.n; i++) {
			if (i)
				strcat(s, " ");
			strcat(s, t->scopes.v[i]);
		}
		put(f, "scope", s);
		free(s);
	}
	for (size_t i = 0; i < t->resources.n; i++)
		put(f, "resource", t->resources.v[i]);
	for (size_t i = 0; i < t->params.n; i++)
		put(f, t->params.v[i].name, a->values[i]);
	if (t->client == SG_TOKENX_CLIENT_POST) {
		put(f, "client_id", t->client_id);
		if (t->client_secret)
			put(f, "client_secret", t->client_secret);
	}
}

/* The request's header lines: its content type, and RFC 6749 §2.3.1's
 * Basic credentials (each part form-encoded first) for clientSecretBasic. */
static char *headers_of(const struct sg_token_exchange *t)
{
	size_t cap = 3 * (strlen(t->client_id ? t->client_id : "") +
			  strlen(t->client_secret ? t->client_secret : "")) +
		     8;
	char *cred = malloc(cap), *h = malloc(4 * cap / 3 + 128);
	size_t k = 0, n;

	if (!cred || !h) {
		free(cred);
		free(h);
		return NULL;
	}
	n = (size_t)sprintf(h, "Content-Type: application/x-www-form-urlencoded\r\n");
	if (t->client == SG_TOKENX_CLIENT_BASIC) {
		sg_form_append(cred, cap, &k, t->client_id, strlen(t->client_id));
		cred[k++] = ':';
		sg_form_append(cred, cap, &k, t->client_secret, strlen(t->client_secret));
		n += (size_t)sprintf(h + n, "Authorization: Basic ");
		n += sg_base64_encode_std((const uint8_t *)cred, k, h + n);
		strcpy(h + n, "\r\n");
	}
	OPENSSL_cleanse(cred, cap);
	free(cred);
	return h;
}

/* ---- the call ------------------------------------------------------------------- */

static void tokenx_free(struct sg_tokenx *x)
{
	if (x->subject)
		OPENSSL_cleanse(x->subject, x->subject_len);
	free(x->subject);
	free(x);
}

/* r fails as kind, why its cause. */
static void fail(struct sg_request *r, int kind, const char *why)
{
	r->plan.refusal = (enum sg_fail)kind;
	r->plan.cause = why ? sg_filter_plan_keep(&r->plan, why, strlen(why)) : NULL;
	sg_request_fail(r, (enum sg_fail)kind, 0);
}

static void done(void *arg, int rc, const struct sg_fetched *got, const char *err)
{
	struct sg_tokenx *x = arg;
	struct sg_request *r = x->r;
	const struct sg_token_exchange *t = x->t;
	char why[384], *token = NULL;
	int64_t expires_in = -1;
	uint64_t keep;
	int kind;

	r->tx = NULL;
	if (rc != 0) {
		snprintf(why, sizeof(why), "token exchange request failed: %s", err);
		kind = SG_FAIL_BACKEND_AUTH;
	} else {
		kind = sg_oauth_token_answer(got->status, got->body ? got->body : "",
					     t->requested_type, &token, &expires_in, why,
					     sizeof(why));
	}
	if (kind) {
		SG_DEBUG("%s: backendAuth oauthTokenExchange: %s", r->ip, why);
		tokenx_free(x);
		fail(r, kind, kind == SG_FAIL_BACKEND_AUTH ? why : NULL);
		r->sink->failed(r);
		return;
	}
	keep = sg_oauth_token_keep_ms(expires_in, (uint64_t)(t->default_ttl / 1000000), x->subject,
				      x->subject_len, (uint64_t)time(NULL));
	if (keep && t->cache.rt && t->cache.rt->p)
		sg_authz_cache_put(&t->cache, x->key, sizeof(x->key), token, strlen(token) + 1,
				   sg_loop_now(r->ctx->loop), keep);
	tokenx_free(x);
	r->tx_token = token;
	sg_attempt_go(&r->at);
	r->sink->failed(r); /* the frontend refreshes its timer and I/O */
}

/* Ask t's endpoint (x's key made); false: it could not start (r failed). */
static bool ask(struct sg_request *r, struct sg_tokenx *x, const struct asked *a)
{
	const struct sg_token_exchange *t = x->t;
	struct form f = { 0 };
	char *headers = headers_of(t), *url;
	int err = ENOMEM;

	form_of(t, a, &f);
	url = malloc(strlen(t->to.host) + strlen(t->path) + 16);
	if (url && headers && !f.failed) {
		/* a Service's endpoint is asked under the Service's name */
		struct sg_fetch fe = {
			.method = "POST",
			.url = url,
			.headers = headers,
			.body = f.p ? f.p : "",
			.body_len = f.n,
			.timeout_ms = (int)(t->timeout / 1000000),
			.dial_addr = t->to.svc ? t->to.ep.addr : NULL,
			.dial_port = t->to.ep.port,
		};
		uint16_t port = t->to.svc ? t->to.svc_port : t->to.ep.port;

		sprintf(url, "%s://%s%s", port == 443 ? "https" : "http", t->to.host,
			*t->path ? t->path : "/");
		x->call = sg_fetchcall_start(r->ctx->loop, &fe, done, x, &in_flight, MAX_EXCHANGES);
		err = x->call ? 0 : errno;
	}
	if (f.p)
		OPENSSL_cleanse(f.p, f.cap);
	free(f.p);
	if (headers)
		OPENSSL_cleanse(headers, strlen(headers));
	free(headers);
	free(url);
	if (x->call)
		return true;
	if (err == EAGAIN) {
		fail(r, SG_FAIL_OVERLOAD, NULL);
	} else {
		SG_ERR("backendAuth oauthTokenExchange: cannot start an exchange: %s",
		       strerror(err));
		fail(r, SG_FAIL_BACKEND_AUTH, "token exchange request failed: out of resources");
	}
	return false;
}

enum sg_attempt_prep sg_tokenx_start(struct sg_request *r, const struct sg_token_exchange *t)
{
	struct asked a = { 0 };
	struct sg_tokenx *x = calloc(1, sizeof(*x));
	enum sg_attempt_prep res = SG_ATTEMPT_STOP;
	char *hit = NULL;
	size_t len = 0;

	if (!x) {
		fail(r, SG_FAIL_BACKEND_AUTH, "out of memory");
		return res;
	}
	x->r = r;
	x->t = t;
	if (!ask_of(r, t, &a)) {
		fail(r, SG_FAIL_INVALID_REQUEST, NULL);
	} else if (!key_of(t, &a, x->key)) {
		fail(r, SG_FAIL_BACKEND_AUTH, "out of memory");
	} else if (t->cache.rt && t->cache.rt->p &&
		   sg_authz_cache_get(&t->cache, x->key, sizeof(x->key), sg_loop_now(r->ctx->loop),
				      &hit, &len) == SG_AUTHZ_CACHE_HIT) {
		r->tx_token = hit;
		res = SG_ATTEMPT_GO;
	} else if (ask(r, x, &a)) {
		x->subject = a.subject;
		x->subject_len = a.subject_len;
		a.subject = NULL;
		r->tx = x;
		x = NULL;
		res = SG_ATTEMPT_HOLD;
	}
	asked_free(&a, t->params.n);
	if (x)
		tokenx_free(x);
	return res;
}

void sg_tokenx_cancel(struct sg_tokenx *x)
{
	if (!x)
		return;
	sg_fetchcall_cancel(x->call);
	tokenx_free(x);
}

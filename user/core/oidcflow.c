/* OIDC browser login on a route (the contract is oidcflow.h): the step in
 * the route's plan, and the code exchange, which blocks a thread of its own
 * and answers on the request's loop (user/core/fetchcall.h). (The policy is
 * made ready with its config by user/auth/oidc.c.) */
#include "user/core/oidcflow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "user/auth/jwt.h"
#include "user/auth/oidc.h"
#include "user/base/base64url.h"
#include "user/base/form.h"
#include "user/base/json.h"
#include "user/base/log.h"
#include "user/core/fetchcall.h"
#include "user/core/jwksfetch.h"
#include "user/core/request.h"

/* Code exchanges under way at once, in the whole gateway (each holds a
 * thread for at most its timeout); one more is answered 503. */
#define MAX_EXCHANGES 64
/* agentgateway's: the token endpoint's answer within 10 s, at most 64 KiB. */
#define EXCHANGE_TIMEOUT_MS 10000
#define TOKEN_ANSWER_MAX (64 * 1024)

static int64_t unix_now(const struct sg_authn *a)
{
	return a && a->now ? a->now : (int64_t)time(NULL);
}

/* ---- the step ------------------------------------------------------------------- */

static enum sg_filter_result refuse(struct sg_filter_plan *p, enum sg_fail kind, const char *why)
{
	p->refusal = kind;
	p->cause = sg_filter_plan_keep(p, why, strlen(why));
	return p->cause ? SG_FILTER_REFUSED : SG_FILTER_NOMEM;
}

static bool is_get(const struct sg_filter_input *in)
{
	return in->method.len == 3 && !memcmp(in->method.p, "GET", 3);
}

/* The request's path (its target up to '?') is exactly `path`. */
static bool path_is(struct sg_h1_span target, const char *path)
{
	const char *q = memchr(target.p, '?', target.len);
	size_t len = q ? (size_t)(q - target.p) : target.len;

	return len == strlen(path) && !memcmp(target.p, path, len);
}

/* agentgateway's is_cors_preflight: OPTIONS with Origin and a non-empty
 * Access-Control-Request-Method. */
static bool preflight(const struct sg_filter_input *in)
{
	size_t len = 0;

	return in->method.len == 7 && !memcmp(in->method.p, "OPTIONS", 7) &&
	       in->header(in->ctx, "origin", &len) &&
	       in->header(in->ctx, "access-control-request-method", &len) && len;
}

static bool query(const struct sg_filter_input *in, const char *name, char *buf, size_t cap,
		  struct sg_h1_span *out)
{
	const struct sg_cred_location loc = { SG_CRED_QUERY, name, NULL };

	return sg_authn_credential(&loc, in, buf, cap, out) && out->p == buf;
}

static bool cookie(const struct sg_filter_input *in, const char *name, struct sg_h1_span *out)
{
	const struct sg_cred_location loc = { SG_CRED_COOKIE, name, NULL };

	return sg_authn_credential(&loc, in, NULL, 0, out);
}

static bool same(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && !CRYPTO_memcmp(a, b, n);
}

/* The browser's session: its ID token verified again (through the
 * worker's cache), its claims kept in a. 1: a session; 0: none usable;
 * -ENOMEM. */
static int session(struct sg_authn *a, const struct sg_oidc *o, const struct sg_oidc_ready *rd,
		   const struct sg_filter_input *in)
{
	struct sg_oidc_session s;
	struct sg_jwt_claims *claims = NULL;
	struct sg_jwt_result res;
	struct sg_h1_span c;
	int64_t now = unix_now(a);
	size_t len;
	char *json;
	int rc;

	if (!cookie(in, rd->session_cookie, &c))
		return 0;
	json = sg_oidc_open(&rd->key, c.p, c.len, &len);
	if (!json || sg_oidc_session_decode(json, &s) < 0) {
		SG_DEBUG("oidc: a session cookie that does not open");
		free(json);
		return 0;
	}
	free(json);
	if (strcmp(s.policy, o->policy_id) || (s.expires && s.expires <= now)) {
		sg_oidc_session_free(&s);
		return 0;
	}
	if (a && a->cache && !*a->cache)
		*a->cache = sg_jwt_cache_new();
	if (a && a->cache && *a->cache)
		rc = sg_jwt_check(*a->cache, &o->validator, s.id_token, strlen(s.id_token), now,
				  &claims, &res);
	else
		rc = sg_jwt_verify(&o->validator, s.id_token, strlen(s.id_token), now, &claims,
				   &res);
	sg_oidc_session_free(&s);
	if (rc < 0)
		return 0;
	if (!a) {
		sg_jwt_claims_put(claims);
		return 1;
	}
	sg_jwt_claims_put(a->jwt); /* the claims replaced, the rest kept (authn.c) */
	a->jwt = claims;
	return 1;
}

/* Where the login sends the browser: the authorization endpoint with
 * the code flow's parameters, into buf. False: it does not fit. */
static bool login_url(char *buf, size_t cap, const struct sg_oidc *o,
		      const struct sg_oidc_ready *rd, const char *state, const char *nonce,
		      const char *challenge)
{
	const char *params[][2] = {
		{ "response_type", "code" },
		{ "client_id", o->client_id },
		{ "redirect_uri", o->redirect_uri },
		{ "scope", o->scope },
		{ "state", state },
		{ "nonce", nonce },
		{ "code_challenge", challenge },
		{ "code_challenge_method", "S256" },
	};
	const char *base = rd->authorization_endpoint;
	size_t n = strlen(base);
	char sep = strchr(base, '?') ? '&' : '?';

	if (n >= cap)
		return false;
	memcpy(buf, base, n);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (n + strlen(params[i][0]) + 2 >= cap)
			return false;
		buf[n++] = sep;
		sep = '&';
		memcpy(buf + n, params[i][0], strlen(params[i][0]));
		n += strlen(params[i][0]);
		buf[n++] = '=';
		if (!sg_form_append(buf, cap, &n, params[i][1], strlen(params[i][1])))
			return false;
	}
	buf[n] = '\0';
	return true;
}

/* A login begins: a transaction sealed in its own cookie, and the
 * browser sent to the provider (302). */
static enum sg_filter_result login(struct sg_authn *a, struct sg_filter_plan *p,
				   const struct sg_oidc *o, const struct sg_oidc_ready *rd,
				   const struct sg_filter_input *in)
{
	static const struct sg_h1_span set_cookie = { "set-cookie", 10 };
	char id[SG_OIDC_TOKEN_CHARS], csrf[SG_OIDC_TOKEN_CHARS], nonce[SG_OIDC_TOKEN_CHARS];
	char verifier[SG_OIDC_VERIFIER_CHARS], challenge[44], name[SG_OIDC_NAME_CHARS + 32];
	struct sg_oidc_txn t = {
		.policy = o->policy_id,
		.id = id,
		.csrf = csrf,
		.nonce = nonce,
		.verifier = verifier,
		.original = "/",
		.expires = unix_now(a) + SG_OIDC_TRANSACTION_TTL_S,
	};
	char *json = NULL, *sealed = NULL, *state = NULL, *url = malloc(8192), *line = NULL;
	char *copy = NULL;
	const char *loc, *kept;
	size_t line_cap;
	int n;
	enum sg_filter_result res = SG_FILTER_NOMEM;

	sg_oidc_random(id, 16);
	sg_oidc_random(csrf, 16);
	sg_oidc_random(nonce, 16);
	sg_oidc_random(verifier, 32);
	sg_oidc_challenge(verifier, challenge);
	if (sg_oidc_local_target(in->target.p, in->target.len) &&
	    !(t.original = copy = strndup(in->target.p, in->target.len)))
		goto done;
	json = sg_oidc_txn_encode(&t);
	sealed = json ? sg_oidc_seal(&rd->key, json, strlen(json)) : NULL;
	state = sg_oidc_state_encode(id, csrf);
	if (!sealed || !state || !url)
		goto done;
	snprintf(name, sizeof(name), "%s.%s", rd->txn_prefix, id);
	line_cap = strlen(sealed) + strlen(name) + 128;
	if (!(line = malloc(line_cap)))
		goto done;
	n = sg_oidc_set_cookie(line, line_cap, name, sealed, o->https, SG_OIDC_TRANSACTION_TTL_S);
	if (!login_url(url, 8192, o, rd, state, nonce, challenge)) {
		res = refuse(p, SG_FAIL_OIDC_ERROR, "authorization URL over 8 KiB");
		goto done;
	}
	loc = sg_filter_plan_keep(p, url, strlen(url));
	kept = n > 0 ? sg_filter_plan_keep(p, line, (size_t)n) : NULL;
	if (!loc || !kept ||
	    sg_filter_plan_response_line(p, set_cookie, (struct sg_h1_span){ kept, (size_t)n }) < 0)
		goto done;
	p->location = (struct sg_h1_span){ loc, strlen(loc) };
	p->status = 302;
	p->body = (struct sg_h1_span){ "", 0 };
	res = SG_FILTER_ANSWER;
done:
	free(copy);
	free(json);
	free(sealed);
	free(state);
	free(url);
	free(line);
	return res;
}

/* What a peer sent, as an answer and a log may quote it: control
 * characters as spaces, cut with "..." to fit out[0..cap). */
static void printable(char *out, size_t cap, const char *s, size_t len)
{
	size_t n = 0, i = 0;

	for (; i < len && n + 4 < cap; i++)
		out[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	if (i < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* What a valid callback leaves for its exchange. */
struct sg_oidc_pending {
	const struct sg_oidc *o;
	char *code;
	struct sg_oidc_txn txn;
	char cookie[SG_OIDC_NAME_CHARS + 48]; /* the transaction's, cleared after */
};

void sg_oidc_pending_free(struct sg_oidc_pending *x)
{
	if (!x)
		return;
	free(x->code);
	sg_oidc_txn_free(&x->txn);
	free(x);
}

/* The provider sent the browser back: its transaction must be the one
 * this gateway began (sealed with its key, for this policy, not expired,
 * the same CSRF state), as agentgateway checks it. */
static enum sg_filter_result callback(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_oidc *o, const struct sg_oidc_ready *rd,
				      const struct sg_filter_input *in, struct sg_h1_span state,
				      struct sg_h1_span code, struct sg_h1_span error)
{
	struct sg_oidc_pending *x;
	struct sg_h1_span tc;
	char *id, *csrf, *json;
	bool have;
	char why[320];
	size_t len;

	if (sg_oidc_state_decode(state.p, state.len, &id, &csrf) < 0)
		return refuse(p, SG_FAIL_OIDC, "invalid callback");
	if (!(x = calloc(1, sizeof(*x)))) {
		free(id);
		free(csrf);
		return SG_FILTER_NOMEM;
	}
	x->o = o;
	snprintf(x->cookie, sizeof(x->cookie), "%s.%.40s", rd->txn_prefix, id);
	have = cookie(in, x->cookie, &tc);
	json = have ? sg_oidc_open(&rd->key, tc.p, tc.len, &len) : NULL;
	if (!have) {
		snprintf(why, sizeof(why), "missing transaction");
	} else if (error.p) {
		char e[201];

		printable(e, sizeof(e), error.p, error.len);
		snprintf(why, sizeof(why), "oidc provider returned callback error '%s'", e);
	} else if (!code.p || !code.len) {
		snprintf(why, sizeof(why), "invalid callback");
	} else if (!json || sg_oidc_txn_decode(json, &x->txn) < 0 ||
		   x->txn.expires <= unix_now(a)) {
		snprintf(why, sizeof(why), "invalid transaction");
	} else if (strcmp(x->txn.policy, o->policy_id)) {
		snprintf(why, sizeof(why), "policy mismatch");
	} else if (!same(x->txn.id, id)) {
		snprintf(why, sizeof(why), "invalid transaction");
	} else if (!same(x->txn.csrf, csrf)) {
		snprintf(why, sizeof(why), "csrf mismatch");
	} else {
		why[0] = '\0';
	}
	free(json);
	free(id);
	free(csrf);
	if (why[0] || !(x->code = strndup(code.p, code.len))) {
		sg_oidc_pending_free(x);
		return why[0] ? refuse(p, SG_FAIL_OIDC, why) : SG_FILTER_NOMEM;
	}
	if (!a) { /* nowhere to keep it: no request to exchange it for */
		sg_oidc_pending_free(x);
		return refuse(p, SG_FAIL_OIDC_ERROR, "no request to complete the login");
	}
	sg_oidc_pending_free(a->exchange);
	a->exchange = x;
	return SG_FILTER_DEFER;
}

enum sg_filter_result sg_oidc_request(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_oidc *o, const struct sg_filter_input *in)
{
	const struct sg_oidc_ready *rd = o->rt ? o->rt->p : NULL;
	char sbuf[1024], cbuf[2048], ebuf[256];
	struct sg_h1_span state = { 0 }, code = { 0 }, error = { 0 };
	int rc;

	if (!rd || !rd->keyed || !rd->authorization_endpoint)
		return refuse(p, SG_FAIL_OIDC_ERROR, "the policy is not ready");
	if (is_get(in) && path_is(in->target, o->callback_path) &&
	    query(in, "state", sbuf, sizeof(sbuf), &state)) {
		bool with_code = query(in, "code", cbuf, sizeof(cbuf), &code);
		bool with_error = query(in, "error", ebuf, sizeof(ebuf), &error);

		if (with_code || with_error) /* else not a callback (agentgateway's) */
			return callback(a, p, o, rd, in, state, code, error);
	}
	if (preflight(in))
		return SG_FILTER_FORWARD;
	rc = session(a, o, rd, in);
	if (rc < 0)
		return SG_FILTER_NOMEM;
	if (rc)
		return sg_authn_strip_cookies(p, SG_OIDC_COOKIE_PREFIX, in) < 0 ? SG_FILTER_NOMEM
										: SG_FILTER_FORWARD;
	return login(a, p, o, rd, in);
}

/* ---- the code exchange ------------------------------------------------------------ */

/* One exchange: the request's while the token endpoint is asked on a
 * thread (user/core/fetchcall.h). */
struct sg_oidc_exchange {
	struct sg_request *r;
	struct sg_oidc_pending *pending;
	struct sg_fetchcall *call;
};

static atomic_int in_flight;

static void exchange_free(struct sg_oidc_exchange *x)
{
	sg_oidc_pending_free(x->pending);
	free(x);
}

/* The login fails with `kind`, why formatted from fmt. shown NULL: the
 * browser reads why, the debug log too. Else the browser reads `shown`
 * alone and the gateway's log why at warn (a token endpoint's failure:
 * agentgateway's error prints no source, and neither the provider's
 * answer nor the gateway's own address for it is the browser's). */
static void vfailed(struct sg_request *r, enum sg_fail kind, const char *shown, const char *fmt,
		    va_list ap)
{
	char why[1400];

	vsnprintf(why, sizeof(why), fmt, ap);
	if (shown) {
		SG_WARN("%s: oidc: %s: %s", r->ip, shown, why);
	} else {
		SG_DEBUG("%s: oidc: %s", r->ip, why);
		shown = why;
	}
	r->plan.refusal = kind;
	r->plan.cause = sg_filter_plan_keep(&r->plan, shown, strlen(shown));
	sg_request_denied(r, kind);
}

static void failed(struct sg_request *r, enum sg_fail kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failed(struct sg_request *r, enum sg_fail kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfailed(r, kind, NULL, fmt, ap);
	va_end(ap);
}

/* The token endpoint could not be asked, or refused: 500 "token
 * exchange failed", why in the log (vfailed). */
static void exchange_failed(struct sg_request *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void exchange_failed(struct sg_request *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfailed(r, SG_FAIL_OIDC_ERROR, "token exchange failed", fmt, ap);
	va_end(ap);
}

/* The ID token's claim `name` as a string; NULL: none. */
static const char *claim(const struct sg_jwt_claims *c, const char *name)
{
	return sg_jwt_claims_json(c) ? sg_json_str(sg_json_get(sg_jwt_claims_json(c), name)) : NULL;
}

/* The session cookie and the browser sent back where it was. */
static void logged_in(struct sg_request *r, const struct sg_oidc_pending *x, const char *id_token,
		      int64_t expires)
{
	const struct sg_oidc *o = x->o;
	const struct sg_oidc_ready *rd = o->rt->p;
	struct sg_oidc_session s = { o->policy_id, id_token, expires, NULL };
	struct sg_h1_header lines[3];
	struct sg_h1_edit edit = { .add = lines, .nadd = 3 };
	char *json = sg_oidc_session_encode(&s), *sealed, *set = NULL;
	char clear[SG_OIDC_NAME_CHARS + 200];
	const char *a, *b, *c;
	int n, m;

	sealed = json ? sg_oidc_seal(&rd->key, json, strlen(json)) : NULL;
	free(json);
	if (!sealed) {
		failed(r, SG_FAIL_OIDC_ERROR, "out of memory");
		return;
	}
	if (strlen(sealed) > SG_OIDC_MAX_COOKIE) {
		free(sealed);
		failed(r, SG_FAIL_OIDC_ERROR, "encoded browser session exceeds cookie size budget");
		return;
	}
	set = malloc(strlen(sealed) + 160);
	n = set ? sg_oidc_set_cookie(set, strlen(sealed) + 160, rd->session_cookie, sealed,
				     o->https, SG_OIDC_SESSION_TTL_S)
		: -1;
	free(sealed);
	m = sg_oidc_set_cookie(clear, sizeof(clear), x->cookie, "", o->https, 0);
	a = sg_filter_plan_keep(&r->plan, x->txn.original, strlen(x->txn.original));
	b = n > 0 ? sg_filter_plan_keep(&r->plan, set, (size_t)n) : NULL;
	c = m > 0 ? sg_filter_plan_keep(&r->plan, clear, (size_t)m) : NULL;
	free(set);
	if (!a || !b || !c) {
		failed(r, SG_FAIL_OIDC_ERROR, "out of memory");
		return;
	}
	lines[0] = (struct sg_h1_header){ { "location", 8 }, { a, strlen(a) } };
	lines[1] = (struct sg_h1_header){ { "set-cookie", 10 }, { b, (size_t)n } };
	lines[2] = (struct sg_h1_header){ { "set-cookie", 10 }, { c, (size_t)m } };
	sg_request_answer(r, 302, &edit, "", 0, false);
}

/* The token endpoint answered `got` (rc 0), or could not be asked (why
 * in err): the ID token verified, its nonce the transaction's, the session
 * begins. */
static void answered(struct sg_request *r, struct sg_oidc_exchange *x, int rc,
		     const struct sg_fetched *got, const char *err)
{
	const struct sg_oidc_pending *p = x->pending;
	struct sg_jwt_claims *claims = NULL;
	struct sg_jwt_result res;
	int64_t now = unix_now(&r->authn), exp = now + SG_OIDC_SESSION_TTL_S;
	const char *nonce;
	double e;
	char body[1100], why[200], *tok;

	if (rc < 0) {
		exchange_failed(r, "%s", err);
		return;
	}
	if (got->status != 200) {
		printable(body, sizeof(body), got->body, got->len > 1024 ? 1024 : got->len);
		exchange_failed(r, "token endpoint returned %u: %s", got->status, body);
		return;
	}
	if (got->len > TOKEN_ANSWER_MAX) {
		exchange_failed(r, "answer over 64 KiB");
		return;
	}
	if (!(tok = sg_oidc_token_answer(got->body, got->len))) {
		failed(r, SG_FAIL_OIDC_ERROR, "missing id token");
		return;
	}
	if (sg_jwt_verify(&p->o->validator, tok, strlen(tok), now, &claims, &res) < 0) {
		free(tok);
		failed(r, SG_FAIL_OIDC_ERROR, "invalid id token: %s",
		       sg_jwt_describe(&res, why, sizeof(why)));
		return;
	}
	nonce = claim(claims, "nonce");
	if (!nonce || !same(nonce, p->txn.nonce)) {
		sg_jwt_claims_put(claims);
		free(tok);
		failed(r, SG_FAIL_OIDC, "nonce mismatch");
		return;
	}
	if (sg_json_num(sg_json_get(sg_jwt_claims_json(claims), "exp"), &e) == 0 && e < exp)
		exp = (int64_t)e;
	sg_jwt_claims_put(claims);
	logged_in(r, p, tok, exp);
	free(tok);
}

static void done(void *arg, int rc, const struct sg_fetched *got, const char *err)
{
	struct sg_oidc_exchange *x = arg;
	struct sg_request *r = x->r;

	r->oidc = NULL; /* answering it must not cancel x again */
	answered(r, x, rc, got, err);
	exchange_free(x);
}

/* The form the token endpoint gets (*form, *len bytes) and the header
 * lines with the Basic credentials (*headers): both form-urlencoded
 * first, as RFC 6749 §2.3.1 wants; malloc'd, the caller's. */
static int request_of(const struct sg_oidc_pending *p, char **form, size_t *len, char **headers)
{
	const struct sg_oidc *o = p->o;
	const struct sg_oidc_ready *rd = o->rt->p;
	const char *fields[][2] = {
		{ "grant_type", "authorization_code" }, { "code", p->code },
		{ "redirect_uri", o->redirect_uri },	{ "code_verifier", p->txn.verifier },
		{ "client_id", o->client_id },		{ "client_secret", o->client_secret },
	};
	size_t nfields = rd->post ? 6 : 4, cap = 256, n = 0, k = 0;
	char *cred;

	*headers = NULL;
	for (size_t i = 0; i < 6; i++)
		cap += 3 * strlen(fields[i][1]) + strlen(fields[i][0]) + 2;
	if (!(*form = malloc(cap)) || !(cred = malloc(cap)))
		return -ENOMEM;
	for (size_t i = 0; i < nfields; i++) {
		if (i)
			(*form)[n++] = '&';
		memcpy(*form + n, fields[i][0], strlen(fields[i][0]));
		n += strlen(fields[i][0]);
		(*form)[n++] = '=';
		sg_form_append(*form, cap, &n, fields[i][1], strlen(fields[i][1]));
	}
	*len = n;
	sg_form_append(cred, cap, &k, o->client_id, strlen(o->client_id));
	cred[k++] = ':';
	sg_form_append(cred, cap, &k, o->client_secret, strlen(o->client_secret));
	*headers = malloc(4 * cap / 3 + 128);
	if (*headers) {
		size_t h = (size_t)sprintf(*headers, "Content-Type: "
						     "application/x-www-form-urlencoded\r\n");

		if (!rd->post) {
			h += (size_t)sprintf(*headers + h, "Authorization: Basic ");
			h += sg_base64_encode_std((const uint8_t *)cred, k, *headers + h);
			strcpy(*headers + h, "\r\n");
		}
	}
	OPENSSL_cleanse(cred, cap);
	free(cred);
	return *headers ? 0 : -ENOMEM;
}

/* A text that held a secret, wiped and freed. */
static void wipe(char *s, size_t n)
{
	if (s)
		OPENSSL_cleanse(s, n);
	free(s);
}

struct sg_oidc_exchange *sg_oidc_exchange_start(struct sg_request *r)
{
	struct sg_oidc_exchange *x = calloc(1, sizeof(*x));
	const struct sg_oidc_ready *rd;
	char *form = NULL, *headers = NULL;
	size_t len = 0;
	int err = ENOMEM;

	if (!x) {
		sg_request_fail(r, SG_FAIL_CONNECT, ENOMEM);
		return NULL;
	}
	x->pending = r->authn.exchange;
	r->authn.exchange = NULL;
	x->r = r;
	rd = x->pending->o->rt->p;
	if (request_of(x->pending, &form, &len, &headers) == 0) {
		struct sg_fetch f = {
			.method = "POST",
			.url = rd->token_endpoint,
			.headers = headers,
			.body = form,
			.body_len = len,
			.timeout_ms = EXCHANGE_TIMEOUT_MS,
		};

		x->call = sg_fetchcall_start(r->ctx->loop, &f, done, x, &in_flight, MAX_EXCHANGES);
		err = x->call ? 0 : errno;
	}
	wipe(form, len);
	wipe(headers, headers ? strlen(headers) : 0);
	if (x->call)
		return x;
	exchange_free(x);
	if (err == EAGAIN) {
		sg_request_fail(r, SG_FAIL_OVERLOAD, 0);
		return NULL;
	}
	SG_ERR("oidc: cannot start a code exchange: %s", strerror(err));
	sg_request_fail(r, SG_FAIL_CONNECT, err);
	return NULL;
}

void sg_oidc_exchange_cancel(struct sg_oidc_exchange *x)
{
	if (!x)
		return;
	sg_fetchcall_cancel(x->call);
	exchange_free(x);
}

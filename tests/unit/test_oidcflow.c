/* Unit tests for user/core/oidcflow.c's code exchange (its step's plan,
 * login and callback checks, is test_oidc's): a login begun and its
 * callback made through the request module (tests/unit/reqenv.h, a fake
 * sink) on a real config, the provider's token endpoint a loopback
 * listener the test answers by hand (tests/unit/httpserve.h) while the
 * gateway's client asks it off the loop, its ID tokens signed with an
 * Ed25519 key made here (edtoken.h). What a user sees: the form and
 * credentials the endpoint gets (client_secret_basic and _post), the
 * 302 back where the login began with the session cookie and the
 * transaction cleared, the session then passing to the backend, the
 * statuses and bodies of an endpoint's refusal, an answer without an ID
 * token, a token signed by another key or with another nonce, an
 * endpoint down, and a request over while its exchange is under way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "edtoken.h"
#include "httpserve.h"
#include "reqenv.h"
#include "tests/unit/capture.h"

#include "user/auth/jwt.h"
#include "user/auth/oidc.h"
#include "user/base/log.h"
#include "user/core/oidcflow.h"

#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* Two routes behind a login at the provider https://idp.example, whose
 * token endpoint is %2$u: / (client_secret_basic, its callback /cb) and
 * /p (client_secret_post, /p/cb), both to the test's backend %1$u. %3$s
 * is the provider's JWKS. */
#define OIDC(path, auth)                                                                           \
	"      policies:\n"                                                                        \
	"        oidc:\n"                                                                          \
	"          issuer: https://idp.example\n"                                                  \
	"          authorizationEndpoint: https://idp.example/authorize\n"                         \
	"          tokenEndpoint: http://127.0.0.1:%2$u/token\n"                                   \
	"          tokenEndpointAuth: " auth "\n"                                                  \
	"          jwks: '%3$s'\n"                                                                 \
	"          clientId: web\n"                                                                \
	"          clientSecret: 's&cret'\n"                                                       \
	"          redirectURI: http://web.example" path "/cb\n"                                   \
	"      backends:\n"                                                                        \
	"      - host: 127.0.0.1:%1$u\n"
static const char oidc_config[] =
	"binds:\n- port: 8080\n  listeners:\n  - name: web\n    protocol: HTTP\n    routes:\n"
	"    - name: post\n"
	"      matches: [{path: {pathPrefix: /p}}]\n" OIDC(
		"/p", "clientSecretPost") "    - name: app\n"
					  "      matches: [{path: {pathPrefix: /}}]\n" OIDC(
						  "", "clientSecretBasic");

struct oenv {
	struct env *e; /* reqenv.h's */
	int endpoint;  /* the token endpoint's listener */
	uint16_t port;
	EVP_PKEY *ed;		/* the provider's key */
	struct sg_oidc_key key; /* the cookies' */
	char asked[4096];	/* the last token request */
	size_t head_len;
	/* The login under way: its state, its transaction cookie (name=value)
	 * and what that holds. */
	char state[512], txn_cookie[2048];
	struct sg_oidc_txn txn;
};

static int oidc_setup(void **state)
{
	struct oenv *o = calloc(1, sizeof(*o));
	char jwks[256], err[100];
	struct sg_diag d;
	void *e;

	assert_non_null(o);
	setup(&e);
	o->e = e;
	setenv("OIDC_COOKIE_SECRET", SECRET, 1);
	assert_int_equal(sg_oidc_key_parse(SECRET, &o->key, err, sizeof(err)), 0);
	o->ed = ed_key(jwks, sizeof(jwks));
	o->endpoint = test_loopback(true, SOCK_NONBLOCK, &o->port);
	config(o->e, 0, oidc_config, o->e->port, o->port, jwks);
	config(o->e, 1, oidc_config, o->e->port, o->e->refused_port, jwks);
	sg_diag_init(&d);
	for (int i = 0; i < 2; i++)
		if (sg_oidc_prepare(o->e->cfgs[i], &d) < 0 ||
		    sg_jwt_prepare(o->e->cfgs[i], &d) < 0) {
			sg_diag_print(&d, stderr);
			fail();
		}
	sg_diag_free(&d);
	start(o->e, o->e->cfgs[0]);
	*state = o;
	return 0;
}

static int oidc_teardown(void **state)
{
	struct oenv *o = *state;

	sg_oidc_txn_free(&o->txn);
	teardown((void **)&o->e);
	close(o->endpoint);
	EVP_PKEY_free(o->ed);
	free(o);
	return 0;
}

/* The value of the answer's line `name` (the first of them) into out. */
static void line(const struct env *e, const char *name, char *out, size_t cap)
{
	char k[64];
	const char *at;

	snprintf(k, sizeof(k), "%s: ", name);
	at = strstr(e->seen.lines, k);
	assert_non_null(at);
	at += strlen(k);
	snprintf(out, cap, "%.*s", (int)strcspn(at, "\n"), at);
}

/* GET `target` with no session: a login begins (302 to the provider);
 * its state, transaction cookie and transaction kept in o. */
static void login(struct oenv *o, const char *target)
{
	struct env *e = o->e;
	char head[256], loc[2048], set[2048], *json;
	const char *st;
	size_t n;

	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: web.example\r\n\r\n", target);
	assert_false(begin(e, 0, head)); /* answered at once */
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 302);
	line(e, "location", loc, sizeof(loc));
	st = strstr(loc, "&state=");
	assert_non_null(st);
	snprintf(o->state, sizeof(o->state), "%.*s", (int)strcspn(st + 7, "&"), st + 7);
	line(e, "set-cookie", set, sizeof(set));
	snprintf(o->txn_cookie, sizeof(o->txn_cookie), "%.*s", (int)strcspn(set, ";"), set);
	json = sg_oidc_open(&o->key, strchr(o->txn_cookie, '=') + 1,
			    strlen(strchr(o->txn_cookie, '=') + 1), &n);
	assert_non_null(json);
	sg_oidc_txn_free(&o->txn);
	assert_int_equal(sg_oidc_txn_decode(json, &o->txn), 0);
	free(json);
	finish(e, 0);
}

/* The provider sends the browser back to `cb` with code `code` and the
 * login's state and cookie: request 1 begins and starts its exchange. */
static void callback(struct oenv *o, const char *cb, const char *code)
{
	char head[4096];

	snprintf(head, sizeof(head),
		 "GET %s?state=%s&code=%s HTTP/1.1\r\nHost: web.example\r\nCookie: a=1; %s\r\n\r\n",
		 cb, o->state, code, o->txn_cookie);
	begin_start(o->e, 1, head);
	assert_int_equal(o->e->seen.answers, 0); /* answered once the endpoint has */
}

/* The endpoint's next request, answered `answer`; then the answer back
 * on the loop. */
static void endpoint(struct oenv *o, const char *answer)
{
	test_http_serve(o->e->loop, o->endpoint, answer, o->asked, sizeof(o->asked), &o->head_len);
	UNTIL(o->e, o->e->seen.answers == 1);
}

/* An endpoint's answer: `status` (its line's rest), a JSON body. */
static const char *reply(const char *status, const char *body)
{
	return test_http_answer(status, "Content-Type: application/json\r\n", body);
}

/* An ID token signed by k for client web, expiring `exp`, with `nonce`
 * (malloc'd). */
static char *id_token(EVP_PKEY *k, const char *nonce, long exp)
{
	char claims[512];

	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"https://idp.example\",\"aud\":\"web\",\"sub\":\"u1\","
		 "\"email\":\"u1@example.com\",\"exp\":%ld,\"nonce\":\"%s\"}",
		 exp, nonce);
	return ed_mint(k, claims);
}

/* The token endpoint's 200 with ID token tok. */
static const char *granted(const char *tok)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"id_token\":\"%s\"}", tok);
	return reply("200 OK", body);
}

/* The endpoint got a POST of `form` to /token with `auth` (an
 * Authorization line, or NULL: none). */
static void asked(const struct oenv *o, const char *auth, const char *form)
{
	char want[256];

	assert_int_equal(strncmp(o->asked, "POST /token HTTP/1.1\r\n", 22), 0);
	assert_non_null(
		strstr(o->asked, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
	if (auth) {
		snprintf(want, sizeof(want), "\r\nAuthorization: %s\r\n", auth);
		assert_non_null(strstr(o->asked, want));
	} else {
		assert_null(strstr(o->asked, "\r\nAuthorization:"));
	}
	assert_string_equal(o->asked + o->head_len, form);
}

/* The form a code exchange sends for code `code` of the login in o at
 * callback `cb` (client_secret_basic's; `post`: with the client's
 * credentials). */
static const char *form(const struct oenv *o, const char *code, const char *cb, bool post)
{
	static char out[512];

	snprintf(out, sizeof(out),
		 "grant_type=authorization_code&code=%s&redirect_uri=http%%3A%%2F%%2Fweb.example%s"
		 "&code_verifier=%s%s",
		 code, cb, o->txn.verifier, post ? "&client_id=web&client_secret=s%26cret" : "");
	return out;
}

static void test_oidcflow_code_exchanged_for_a_session(void **state)
{
	struct oenv *o = *state;
	struct env *e = o->e;
	long exp = (long)time(NULL) + 600;
	char *tok, want[512], head[4096], *json, *end;
	const char *sess, *clear;
	struct sg_oidc_session s;
	size_t n;

	login(o, "/page?x=1");
	callback(o, "/cb", "c%2B1");
	assert_non_null(e->r[1].oidc); /* under way off the loop */
	tok = id_token(o->ed, o->txn.nonce, exp);
	endpoint(o, granted(tok));
	/* Basic credentials of the form-urlencoded id and secret (RFC 6749
	 * 2.3.1: "web:s%26cret"), the PKCE verifier of the login. */
	asked(o, "Basic d2ViOnMlMjZjcmV0", form(o, "c%2B1", "%2Fcb", false));
	/* Back where the login began, the session cookie set, the
	 * transaction's cleared. */
	assert_int_equal(e->seen.status, 302);
	assert_int_equal(e->seen.body_len, 0);
	assert_null(e->r[1].oidc);
	assert_int_equal(strncmp(e->seen.lines, "location: /page?x=1\nset-cookie: agw_oidc_s_", 43),
			 0);
	sess = e->seen.lines + strlen("location: /page?x=1\nset-cookie: ");
	assert_int_equal(strspn(sess + 11, "0123456789abcdef"), 16);
	assert_int_equal(sess[27], '=');
	end = strstr(sess, "; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600\nset-cookie: ");
	assert_non_null(end);
	clear = end + strlen("; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600\nset-cookie: ");
	snprintf(want, sizeof(want), "%.*s=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0\n",
		 (int)strcspn(o->txn_cookie, "="), o->txn_cookie);
	assert_string_equal(clear, want);
	/* The session holds the ID token, until it expires. */
	json = sg_oidc_open(&o->key, sess + 28, (size_t)(end - sess - 28), &n);
	assert_non_null(json);
	assert_int_equal(sg_oidc_session_decode(json, &s), 0);
	free(json);
	assert_string_equal(s.id_token, tok);
	assert_int_equal(s.expires, exp);
	sg_oidc_session_free(&s);
	free(tok);
	/* With it the browser's next request goes to the backend, which
	 * sees none of the gateway's cookies. */
	snprintf(head, sizeof(head),
		 "GET /page?x=1 HTTP/1.1\r\nHost: web.example\r\nCookie: a=1; %.*s\r\n\r\n",
		 (int)(end - sess), sess);
	finish(e, 1);
	begin_start(e, 0, head);
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 0);
	assert_non_null(strstr(e->seen.sent, "\r\ncookie: a=1\r\n"));
	assert_null(strstr(e->seen.sent, "agw_oidc_"));
}

static void test_oidcflow_client_secret_post(void **state)
{
	struct oenv *o = *state;
	struct env *e = o->e;
	char *tok;

	login(o, "/p/x");
	callback(o, "/p/cb", "k");
	tok = id_token(o->ed, o->txn.nonce, (long)time(NULL) + 7200);
	endpoint(o, granted(tok));
	free(tok);
	asked(o, NULL, form(o, "k", "%2Fp%2Fcb", true));
	assert_int_equal(e->seen.status, 302);
	assert_int_equal(strncmp(e->seen.lines, "location: /p/x\n", 15), 0);
	/* A token that outlives the session's hour: the session's hour. */
	assert_non_null(strstr(e->seen.lines, "; Max-Age=3600\n"));
}

/* A login at /f and its callback, whose exchange starts. */
static void relogin(struct oenv *o)
{
	login(o, "/f");
	callback(o, "/cb", "c");
}

/* The exchange under way is answered `answer`: the request's status and
 * body, with no cookie set. */
static void refused(struct oenv *o, const char *answer, uint16_t status, const char *body)
{
	struct env *e = o->e;

	endpoint(o, answer);
	assert_int_equal(e->seen.status, status);
	assert_string_equal(e->seen.body, body);
	assert_string_equal(e->seen.lines, "");
	finish(e, 1);
}

static void test_oidcflow_refusals(void **state)
{
	struct oenv *o = *state;
	long exp = (long)time(NULL) + 600;
	char other_jwks[256], *tok, log[4096];
	EVP_PKEY *other = ed_key(other_jwks, sizeof(other_jwks));
	struct test_capture cap;

	/* The provider's refusal: the browser reads agentgateway's words, the
	 * gateway's log why. */
	relogin(o);
	sg_log_set_level("warn");
	test_capture_init(&cap);
	test_capture_start(&cap, STDERR_FILENO);
	refused(o, reply("400 Bad Request", "{\"error\":\"invalid_grant\"}"), 500,
		"oidc failure: token exchange failed");
	test_capture_end(&cap, log, sizeof(log));
	assert_non_null(strstr(log, "oidc: token exchange failed: token endpoint returned 400: "
				    "{\"error\":\"invalid_grant\"}"));
	relogin(o);
	refused(o, reply("200 OK", "{\"access_token\":\"a\"}"), 500,
		"oidc failure: missing id token");
	/* The nonce is the login's transaction's. */
	relogin(o);
	tok = id_token(o->ed, "not-the-nonce", exp);
	refused(o, granted(tok), 400, "oidc failure: nonce mismatch");
	free(tok);
	/* Signed by a key the provider's JWKS does not hold (its kid, k1,
	 * the same). */
	relogin(o);
	tok = id_token(other, o->txn.nonce, exp);
	refused(o, granted(tok), 500,
		"oidc failure: invalid id token: the token is invalid or malformed: "
		"Error(InvalidSignature)");
	free(tok);
	/* Expired. */
	relogin(o);
	tok = id_token(o->ed, o->txn.nonce, (long)time(NULL) - 600);
	refused(o, granted(tok), 500,
		"oidc failure: invalid id token: the token is invalid or malformed: "
		"Error(ExpiredSignature)");
	free(tok);
	EVP_PKEY_free(other);
}

static void test_oidcflow_endpoint_down(void **state)
{
	struct oenv *o = *state;
	struct env *e = o->e;

	char want[128], log[4096];
	struct test_capture cap;

	sg_log_set_level("warn");
	test_capture_init(&cap);
	test_capture_start(&cap, STDERR_FILENO);
	start(e, e->cfgs[1]); /* its token endpoint refuses */
	relogin(o);
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 500);
	/* its address is the gateway's log's, not the browser's */
	assert_string_equal(e->seen.body, "oidc failure: token exchange failed");
	snprintf(want, sizeof(want),
		 "oidc: token exchange failed: connect 127.0.0.1:%u: Connection refused",
		 e->refused_port);
	test_capture_end(&cap, log, sizeof(log));
	assert_non_null(strstr(log, want));
	assert_string_equal(e->seen.lines, "");
}

/* The request is over while its exchange is under way: the answer that
 * comes later reaches nobody, and the next login completes. */
static void test_oidcflow_request_over_first(void **state)
{
	struct oenv *o = *state;
	struct env *e = o->e;
	size_t len;
	char *tok;
	int fd;

	relogin(o);
	fd = test_http_take(e->loop, o->endpoint, o->asked, sizeof(o->asked), &len, &o->head_len);
	assert_non_null(e->r[1].oidc);
	drop(e, 1);
	tok = id_token(o->ed, o->txn.nonce, (long)time(NULL) + 600);
	{
		const char *a = granted(tok);

		assert_int_equal(write(fd, a, strlen(a)), (ssize_t)strlen(a));
	}
	close(fd);
	free(tok);
	for (int i = 0; i < 20; i++)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(e->seen.answers + e->seen.sends, 0);

	start(e, e->f.cfg);
	login(o, "/again");
	callback(o, "/cb", "d");
	tok = id_token(o->ed, o->txn.nonce, (long)time(NULL) + 600);
	endpoint(o, granted(tok));
	free(tok);
	assert_int_equal(e->seen.status, 302);
	assert_int_equal(strncmp(e->seen.lines, "location: /again\n", 17), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_oidcflow_##name, oidc_setup, oidc_teardown)
	const struct CMUnitTest tests[] = {
		T(code_exchanged_for_a_session),
		T(client_secret_post),
		T(refusals),
		T(endpoint_down),
		T(request_over_first),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

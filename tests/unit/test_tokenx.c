/* user/core/tokenx.c: backendAuth oauthTokenExchange on a try, through
 * the request module (tests/unit/reqenv.h, a fake sink) on real config:
 * the token endpoint is a loopback listener the test answers by hand
 * (tests/unit/httpserve.h) while the gateway's client asks it off the
 * loop. What a user sees: the form and credentials the endpoint gets
 * (RFC 8693 and RFC 7523's jwt-bearer), the backend getting the
 * exchanged token, answers cached per subject, and the statuses a
 * request without a token, a refusing endpoint or none get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "httpserve.h"
#include "reqenv.h"

#include "user/auth/authzcache.h"
#include "user/core/tokenx.h"

/* Routes to the test's backend whose backendAuth trades the caller's
 * token: /x by RFC 8693 (Basic client credentials, cached), /jb by RFC
 * 7523 (the subject from x-user-token, an actor from the query, client
 * credentials in the form, a CEL parameter, no cache), /p with an actor
 * from the query and a CEL parameter (cached), /dead at a port
 * that refuses. %1$u the backend, %2$u the refusing port, %3$u the
 * token endpoint. */
static const char tx_config[] =
	"binds:\n- port: 8080\n  listeners:\n  - name: web\n    protocol: HTTP\n    routes:\n"
	"    - name: x\n"
	"      matches: [{path: {pathPrefix: /x}}]\n"
	"      backends:\n"
	"      - host: 127.0.0.1:%1$u\n"
	"        policies:\n"
	"          backendAuth:\n"
	"            oauthTokenExchange:\n"
	"              host: 127.0.0.1:%3$u\n"
	"              path: /t\n"
	"              clientAuth: {clientId: requester-client, clientSecret: 'req secret~*', "
	"method: clientSecretBasic}\n"
	"              audiences: [target-client]\n"
	"              scopes: [read, write]\n"
	"    - name: jb\n"
	"      matches: [{path: {pathPrefix: /jb}}]\n"
	"      backends:\n"
	"      - host: 127.0.0.1:%1$u\n"
	"        policies:\n"
	"          backendAuth:\n"
	"            oauthTokenExchange:\n"
	"              host: 127.0.0.1:%3$u\n"
	"              grantType: jwtBearer\n"
	"              subjectToken: {source: {header: {name: x-user-token}}}\n"
	"              clientAuth: {clientId: app, clientSecret: s3, method: clientSecretPost}\n"
	"              additionalParams: {requested_token_use: '\"on_behalf_of\"', "
	"path: request.path}\n"
	"              cache: {maxEntries: 0}\n"
	"    - name: p\n"
	"      matches: [{path: {pathPrefix: /p}}]\n"
	"      backends:\n"
	"      - host: 127.0.0.1:%1$u\n"
	"        policies:\n"
	"          backendAuth:\n"
	"            oauthTokenExchange:\n"
	"              host: 127.0.0.1:%3$u\n"
	"              actorToken: {source: {queryParameter: {name: actor}}, tokenType: "
	"urn:ietf:params:oauth:token-type:jwt}\n"
	"              additionalParams: {tenant: 'request.headers[\"x-tenant\"]'}\n"
	"    - name: dead\n"
	"      matches: [{path: {pathPrefix: /dead}}]\n"
	"      backends:\n"
	"      - host: 127.0.0.1:%1$u\n"
	"        policies:\n"
	"          backendAuth:\n"
	"            oauthTokenExchange: {host: '127.0.0.1:%2$u'}\n";

struct txenv {
	struct env *e; /* reqenv.h's */
	int endpoint;  /* the token endpoint's listener */
	uint16_t port;
	char asked[4096]; /* the last token request */
	size_t head_len;
};

static int tx_setup(void **state)
{
	struct txenv *t = calloc(1, sizeof(*t));
	struct sg_diag d;
	void *e;

	assert_non_null(t);
	setup(&e);
	t->e = e;
	t->endpoint = test_loopback(true, SOCK_NONBLOCK, &t->port);
	config(t->e, 0, tx_config, t->e->port, t->e->refused_port, t->port);
	sg_diag_init(&d);
	assert_int_equal(sg_authz_cache_prepare(t->e->cfgs[0], &d), 0);
	sg_diag_free(&d);
	start(t->e, t->e->cfgs[0]);
	*state = t;
	return 0;
}

static int tx_teardown(void **state)
{
	struct txenv *t = *state;

	teardown((void **)&t->e);
	close(t->endpoint);
	free(t);
	return 0;
}

/* The endpoint's next request, answered `answer`. */
static void endpoint(struct txenv *t, const char *answer)
{
	test_http_serve(t->e->loop, t->endpoint, answer, t->asked, sizeof(t->asked), &t->head_len);
}

/* An endpoint's answer: `status` (its line's rest), a JSON body. */
static const char *reply(const char *status, const char *body)
{
	return test_http_answer(status, "Content-Type: application/json\r\n", body);
}

/* An endpoint's 200 with token `tok` (Bearer, for an hour). */
static const char *granted(const char *tok)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"access_token\":\"%s\",\"issued_token_type\":"
		 "\"urn:ietf:params:oauth:token-type:access_token\",\"token_type\":\"Bearer\","
		 "\"expires_in\":3600}",
		 tok);
	return reply("200 OK", body);
}

/* Whether anyone connected to the endpoint since (nobody: no call). */
static bool called(struct txenv *t)
{
	int fd = accept4(t->endpoint, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Request `head` goes to the token endpoint, which grants `tok` (the
 * form it got in t->asked), and its try to the backend carries `tok`. */
static void served_asked(struct txenv *t, const char *head, const char *tok)
{
	char want[128];

	begin_start(t->e, 0, head);
	endpoint(t, granted(tok));
	UNTIL(t->e, t->e->seen.sends == 1);
	snprintf(want, sizeof(want), "\r\nauthorization: Bearer %s\r\n", tok);
	assert_non_null(strstr(t->e->seen.sent, want));
}

/* Request `head` takes the cached token `tok` without a call. */
static void served_cached(struct txenv *t, const char *head, const char *tok)
{
	char want[128];

	begin_start(t->e, 0, head);
	UNTIL(t->e, t->e->seen.sends == 1);
	snprintf(want, sizeof(want), "\r\nauthorization: Bearer %s\r\n", tok);
	assert_non_null(strstr(t->e->seen.sent, want));
	assert_false(called(t));
}

#define X(path, auth)                                                                              \
	"GET " path " HTTP/1.1\r\nHost: web.example\r\nAuthorization: " auth "\r\n\r\n"

/* RFC 8693: the endpoint gets a form POST with the subject token, its
 * type, audience and scope, and Basic client credentials (each part
 * form-encoded first); the backend gets the exchanged token in place of
 * the caller's. The same subject again: the cached token, no call;
 * another subject: asked. */
static void test_tokenx_exchange_and_cache(void **state)
{
	struct txenv *t = *state;
	struct env *e = t->e;

	served_asked(t, X("/x/1", "Bearer user-1"), "xchg-1");
	assert_true(!strncmp(t->asked, "POST /t HTTP/1.1\r\n", 18));
	assert_non_null(
		strcasestr(t->asked, "\r\ncontent-type: application/x-www-form-urlencoded\r\n"));
	/* base64("requester-client:req+secret%7E*"): encoded as
	 * agentgateway's url::form_urlencoded writes it ('~' escaped, '*'
	 * not), not RFC 3986's unreserved set */
	assert_non_null(strcasestr(t->asked, "\r\nauthorization: Basic "
					     "cmVxdWVzdGVyLWNsaWVudDpyZXErc2VjcmV0JTdFKg==\r\n"));
	assert_string_equal(
		t->asked + t->head_len,
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
		"&subject_token=user-1"
		"&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
		"&audience=target-client&scope=read+write");
	assert_null(strstr(e->seen.sent, "user-1"));
	finish(e, 0);
	served_cached(t, X("/x/2", "Bearer user-1"), "xchg-1");
	finish(e, 0);
	served_asked(t, X("/x/3", "Bearer user-2"), "xchg-2");
	assert_non_null(strstr(t->asked + t->head_len, "&subject_token=user-2&"));
}

/* RFC 7523's jwt-bearer grant: the assertion from its header, the client
 * credentials and the CEL parameters (in their names' order) in the form;
 * no cache: each request asks. */
static void test_tokenx_jwt_bearer(void **state)
{
	struct txenv *t = *state;
	struct env *e = t->e;

	for (int i = 0; i < 2; i++) {
		served_asked(
			t,
			"GET /jb/a HTTP/1.1\r\nHost: web.example\r\nx-user-token: eyJ.a.b\r\n\r\n",
			"obo");
		assert_string_equal(
			t->asked + t->head_len,
			"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
			"&assertion=eyJ.a.b&path=%2Fjb%2Fa&requested_token_use=on_behalf_of"
			"&client_id=app&client_secret=s3");
		assert_null(strcasestr(t->asked, "\r\nauthorization:"));
		/* the subject's header goes */
		assert_null(strcasestr(e->seen.sent, "x-user-token"));
		finish(e, 0);
	}
}

#define P(target, tenant)                                                                          \
	"GET " target " HTTP/1.1\r\nHost: web.example\r\nAuthorization: Bearer u\r\n" tenant "\r"  \
	"\n"

/* An actor token (from the query, decoded, its blanks trimmed) and a
 * parameter's value go in the form and in what the cache tells apart:
 * the same again is the cached token, another tenant asks again; a
 * request without the actor, or whose parameter gives no string, is 400
 * without a call. */
static void test_tokenx_actor_and_params(void **state)
{
	static const char *const refused[] = { P("/p", "x-tenant: a\r\n"), P("/p?actor=a1", "") };
	struct txenv *t = *state;
	struct env *e = t->e;

	served_asked(t, P("/p?actor=%20a1%09", "x-tenant: a\r\n"), "t-a");
	assert_string_equal(
		t->asked + t->head_len,
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
		"&subject_token=u"
		"&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
		"&actor_token=a1"
		"&actor_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
		"&tenant=a");
	finish(e, 0);
	served_cached(t, P("/p?actor=a1", "x-tenant: a\r\n"), "t-a");
	finish(e, 0);
	served_asked(t, P("/p?actor=a1", "x-tenant: b\r\n"), "t-b");
	assert_non_null(strstr(t->asked + t->head_len, "&tenant=b"));
	finish(e, 0);

	for (size_t i = 0; i < 2; i++) {
		begin_start(e, 0, refused[i]);
		UNTIL(e, e->seen.answers == 1);
		assert_int_equal(e->seen.status, 400);
		assert_string_equal(e->seen.body, "invalid request");
		assert_false(called(t));
		finish(e, 0);
	}
}

/* What the client is answered when there is no exchanged token: no
 * subject token (no call), the endpoint's 400, its 401, an answer that is
 * no Bearer token, and an endpoint that is down. */
static void test_tokenx_failures(void **state)
{
	static const struct {
		const char *head, *status, *answer; /* status NULL: no call */
		uint16_t code;
		const char *body;
	} cases[] = {
		{ "GET /x HTTP/1.1\r\nHost: web.example\r\n\r\n", NULL, NULL, 400,
		  "invalid request" },
		{ X("/x", "Bearer deny"), "400 Bad Request", "{\"error\":\"invalid_request\"}", 400,
		  "invalid request" },
		{ X("/x", "Bearer unauth"), "401 Unauthorized", "{}", 500,
		  "backend authentication failed: token exchange returned status 401 "
		  "Unauthorized" },
		{ X("/x", "Bearer mac"), "200 OK",
		  "{\"access_token\":\"m\",\"token_type\":\"N_A\",\"expires_in\":60}", 500,
		  "backend authentication failed: token exchange returned unsupported token_type: "
		  "N_A" },
	};
	struct txenv *t = *state;
	struct env *e = t->e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		begin_start(e, 0, cases[i].head);
		if (cases[i].status)
			endpoint(t, reply(cases[i].status, cases[i].answer));
		UNTIL(e, e->seen.answers == 1);
		if (e->seen.status != cases[i].code || strcmp(e->seen.body, cases[i].body))
			fail_msg("case %zu: %u %s", i, e->seen.status, e->seen.body);
		assert_int_equal(e->seen.sends, 0);
		assert_false(called(t));
		finish(e, 0);
	}
	begin_start(e, 0, X("/dead", "Bearer user-1"));
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 500);
	assert_true(!strncmp(e->seen.body,
			     "backend authentication failed: token exchange request failed: ", 62));
}

/* The request is over while its exchange is under way: the answer that
 * comes later reaches nobody, and the next request is served. */
static void test_tokenx_cancel(void **state)
{
	struct txenv *t = *state;
	struct env *e = t->e;
	size_t len;
	int fd;

	begin_start(e, 0, X("/x", "Bearer late"));
	fd = test_http_take(e->loop, t->endpoint, t->asked, sizeof(t->asked), &len, &t->head_len);
	assert_non_null(e->r[0].tx);
	drop(e, 0);
	{
		const char *a = granted("never");

		assert_int_equal(write(fd, a, strlen(a)), (ssize_t)strlen(a));
	}
	close(fd);
	for (int i = 0; i < 20; i++)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(e->seen.sends + e->seen.answers, 0);

	begin_start(e, 1, X("/x", "Bearer next"));
	endpoint(t, granted("xchg-n"));
	UNTIL(e, e->seen.sends == 1);
	assert_non_null(strstr(e->seen.sent, "\r\nauthorization: Bearer xchg-n\r\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tokenx_exchange_and_cache, tx_setup,
						tx_teardown),
		cmocka_unit_test_setup_teardown(test_tokenx_jwt_bearer, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(test_tokenx_actor_and_params, tx_setup,
						tx_teardown),
		cmocka_unit_test_setup_teardown(test_tokenx_failures, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(test_tokenx_cancel, tx_setup, tx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for config/origin.c: CORS allowOrigins entries checked at load
 * and request Origins matched by scheme, host and port (RFC 6454), table
 * by table (issue 63). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/origin.h"

static void test_origin_entries(void **state)
{
	static const char *const good[] = {
		"*",
		"https://a.example",
		"http://a.example:8080",
		"https://*.wild.example",
		"https://*.wild.example:8443",
		"https://*",
		"http://127.0.0.1:3000",
		"http://[::1]:8080",
		"chrome-extension://abcdef",
		"HTTPS://A.Example",
	};
	static const char *const bad[] = {
		"",
		"a.example",
		"https://",
		"https://a.example/",
		"https://a.example/path",
		"https://a.example?q",
		"https://a.example#f",
		"https://user@a.example",
		"https://a.example:",
		"https://a.example:0",
		"https://a.example:65536",
		"https://a.example:80x",
		"https://a.example:*",
		"https://a*.example",
		"https://*a.example",
		"https://*.",
		"https://*.*.example",
		"https://*.[::1]",
		"https://a b.example",
		"1http://a.example",
		"null",
		"https://a.example ",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!sg_origin_entry_valid(good[i]))
			fail_msg("refused: \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sg_origin_entry_valid(bad[i]))
			fail_msg("accepted: \"%s\"", bad[i]);
}

/* An entry, a request's Origin, and whether it is allowed. */
struct row {
	const char *entry, *origin;
	bool allowed;
};

static void test_origin_match(void **state)
{
	static const struct row rows[] = {
		/* Issue 63: what is not an origin never matches a wildcard. */
		{ "https://*.wild.example", "https://x.wild.example", true },
		{ "https://*.wild.example", "https://a.b.wild.example", true },
		{ "https://*.wild.example", "https://X.WILD.example", true },
		{ "https://*.wild.example", "https://x.evil/.wild.example", false },
		{ "https://*.wild.example", "https://x.evil?.wild.example", false },
		{ "https://*.wild.example", "https://x.evil#.wild.example", false },
		{ "https://*.wild.example", "https://x@y.wild.example", false },
		{ "https://*.wild.example", "https://evilwild.example", false },
		{ "https://*.wild.example", "https://wild.example", false },
		{ "https://*.wild.example", "https://.wild.example", false },
		{ "https://*.wild.example", "http://x.wild.example", false },
		{ "https://*.wild.example", "https://x.wild.example:8443", false },
		{ "https://*.wild.example", "https://x.wild.example:443", true },
		/* Default ports, both ways. */
		{ "http://a.example:80", "http://a.example", true },
		{ "http://a.example", "http://a.example:80", true },
		{ "https://a.example", "https://a.example:443", true },
		{ "https://a.example:443", "https://a.example", true },
		{ "http://a.example", "http://a.example:8080", false },
		{ "http://a.example:443", "https://a.example", false },
		/* Scheme and host compare without case; nothing else may
		 * follow. */
		{ "https://a.example", "HTTPS://A.EXAMPLE", true },
		{ "https://a.example", "https://a.example/", false },
		{ "https://a.example", "https://a.example.evil", false },
		{ "https://a.example", "null", false },
		{ "https://*", "https://any.example", true },
		{ "https://*", "http://any.example", false },
		{ "*", "null", true },
		{ "http://[::1]:8080", "http://[::1]:8080", true },
		{ "http://[::1]:8080", "http://[::2]:8080", false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		if (sg_origin_match(r->entry, r->origin, strlen(r->origin)) != r->allowed)
			fail_msg("%s for %s: got %s", r->entry, r->origin,
				 r->allowed ? "refused" : "allowed");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin_entries),
		cmocka_unit_test(test_origin_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

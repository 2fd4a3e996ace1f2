/* Unit tests of user/base/form.c: what OAuth's token requests and Basic
 * client credentials are encoded with (RFC 6749 appendix B, as the WHATWG
 * URL standard and agentgateway's url::form_urlencoded write it:
 * A-Z a-z 0-9 * - . _ as they are, space as '+', the rest %XX, UTF-8
 * bytewise), a buffer that does not fit, and decoding back, broken
 * escapes kept. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "user/base/form.h"

static void test_form_encodes_as_oauth_does(void **state)
{
	char out[64];
	size_t n = 0;

	(void)state;
	assert_true(sg_form_append(out, sizeof(out), &n, "a b+/~:é", 9));
	assert_string_equal(out, "a+b%2B%2F%7E%3A%C3%A9");
	assert_int_equal(n, strlen(out));
	assert_true(sg_form_append(out, sizeof(out), &n, "*-._", 4)); /* appended */
	assert_string_equal(out, "a+b%2B%2F%7E%3A%C3%A9*-._");
	n = 0;
	assert_false(sg_form_append(out, 4, &n, "abcdef", 6));
	assert_string_equal(out, "abc"); /* the part that fit */
}

static void test_form_decodes_back(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(sg_form_decode("a+b%2B%2f%C3%A9", 15, out, sizeof(out)), 7);
	assert_memory_equal(out, "a b+/\xc3\xa9", 7);
	assert_int_equal(sg_form_decode("100%+%zz%4", 10, out, sizeof(out)), 10);
	assert_memory_equal(out, "100% %zz%4", 10);
	assert_int_equal(sg_form_decode("abc", 3, out, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_encodes_as_oauth_does),
		cmocka_unit_test(test_form_decodes_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* user/httpdate: the Date field's IMF-fixdate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/httpdate.h"
#include "user/base/httpdate.h"

/* RFC 9110 §5.6.7's example, a leap day, the epoch and the last second of
 * a year, whatever the locale. */
static void test_httpdate_formats_imf_fixdate(void **unused)
{
	static const struct {
		time_t t;
		const char *text;
	} cases[] = {
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 1798761599, "Thu, 31 Dec 2026 23:59:59 GMT" },
	};
	char out[SG_HTTP_DATE_LEN + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		sg_http_date_format(cases[i].t, out);
		assert_string_equal(out, cases[i].text);
	}
}

/* The cached text is the time now, and follows it. */
static void test_httpdate_now(void **unused)
{
	const char *a = sg_http_date();

	assert_int_equal(strlen(a), SG_HTTP_DATE_LEN);
	assert_true(http_date_is_now(a));
	assert_ptr_equal(sg_http_date(), a); /* the thread's one buffer */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_httpdate_formats_imf_fixdate),
		cmocka_unit_test(test_httpdate_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

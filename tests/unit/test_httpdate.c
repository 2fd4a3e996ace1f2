/* user/httpdate: the Date field's IMF-fixdate, and HTTP-dates read. */
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

/* The three forms RFC 9110 §5.6.7 has a recipient accept, its own
 * example in each, and what is not quite one of them. */
static void test_httpdate_parses_three_forms(void **unused)
{
	static const struct {
		const char *text;
		time_t t; /* -1: refused */
	} cases[] = {
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
		{ "Sun Nov  6 08:49:37 1994", 784111777 },
		{ "Tue, 29 Feb 2000 00:00:00 GMT", 951782400 },
		{ "Thu, 31 Dec 2026 23:59:59 GMT", 1798761599 },
		{ "Thursday, 31-Dec-26 23:59:59 GMT", 1798761599 }, /* below 70: 20xx */
		{ "Thu Dec 31 23:59:59 2026", 1798761599 },
		{ "Mon, 06 Nov 1994 08:49:37 GMT", -1 },  /* the 6th was a Sunday */
		{ "Wed, 29 Feb 2023 00:00:00 GMT", -1 },  /* no such day */
		{ "Sun, 6 Nov 1994 08:49:37 GMT", -1 },	  /* one digit */
		{ "Sun, 06 Nov 1994 08:49:37 UTC", -1 },  /* only GMT */
		{ "Sun, 06 Nov 1994 08:49:37 GMT ", -1 }, /* trailing bytes */
		{ "Sun, 06 Nov 1994 24:00:00 GMT", -1 },
		{ "Sun, 06 Nov 1994 08:49 GMT", -1 },
		{ "sun, 06 Nov 1994 08:49:37 GMT", -1 }, /* case-sensitive, as RFC 9110 */
		{ "Sun Nov 06 08:49:37 1994", 784111777 },
		{ "120", -1 },
		{ "", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t t = 12345;
		bool ok = sg_http_date_parse(cases[i].text, strlen(cases[i].text), &t);

		if (cases[i].t == -1) {
			if (ok)
				fail_msg("accepted \"%s\"", cases[i].text);
		} else {
			if (!ok)
				fail_msg("refused \"%s\"", cases[i].text);
			assert_int_equal(t, cases[i].t);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_httpdate_formats_imf_fixdate),
		cmocka_unit_test(test_httpdate_now),
		cmocka_unit_test(test_httpdate_parses_three_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

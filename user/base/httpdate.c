/* IMF-fixdate (RFC 9110 §5.6.7), written without the locale or printf. */
#include "user/base/httpdate.h"

#include <string.h>

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

void sg_http_date_format(time_t t, char out[static SG_HTTP_DATE_LEN + 1])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char *p = out;
	int year;

	gmtime_r(&t, &tm);
	year = tm.tm_year + 1900; /* IMF-fixdate's year is four digits */
	memcpy(p, days[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, months[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put2(p, year / 100);
	p = put2(p, year % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
	memcpy(p, " GMT", 5);
}

const char *sg_http_date(void)
{
	static __thread time_t at = -1;
	static __thread char text[SG_HTTP_DATE_LEN + 1];
	time_t t = time(NULL);

	if (t != at) {
		sg_http_date_format(t, text);
		at = t;
	}
	return text;
}

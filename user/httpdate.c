/* IMF-fixdate (RFC 9110 §5.6.7), written without the locale. */
#include "user/httpdate.h"

#include <stdio.h>

void sg_http_date_format(time_t t, char out[static SG_HTTP_DATE_LEN + 1])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, SG_HTTP_DATE_LEN + 1, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
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

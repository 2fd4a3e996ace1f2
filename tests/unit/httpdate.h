/* Checks of the Date field the gateway writes (user/base/httpdate.h). */
#ifndef SG_TEST_HTTPDATE_H
#define SG_TEST_HTTPDATE_H

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "user/base/httpdate.h"

/* Whether p[0..SG_HTTP_DATE_LEN) is an IMF-fixdate (RFC 9110 §5.6.7) at
 * most two seconds from now. */
static inline bool http_date_is_now(const char *p)
{
	char text[SG_HTTP_DATE_LEN + 1];
	struct tm tm = { 0 };
	const char *end;
	time_t t, now = time(NULL);

	memcpy(text, p, SG_HTTP_DATE_LEN);
	text[SG_HTTP_DATE_LEN] = '\0';
	end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end || text[3] != ',' || text[4] != ' ')
		return false;
	t = timegm(&tm);
	return t <= now && now - t <= 2;
}

#endif

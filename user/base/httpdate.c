/* HTTP dates (RFC 9110 §5.6.7), written and read without the locale or
 * printf. */
#include "user/base/httpdate.h"

#include <string.h>

/* A weekday's first three letters are its IMF-fixdate name. */
static const char day_names[7][10] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
				       "Thursday", "Friday", "Saturday" };
static const char month_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

void sg_http_date_format(time_t t, char out[static SG_HTTP_DATE_LEN + 1])
{
	struct tm tm;
	char *p = out;
	int year;

	gmtime_r(&t, &tm);
	year = tm.tm_year + 1900; /* IMF-fixdate's year is four digits */
	memcpy(p, day_names[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, month_names[tm.tm_mon], 3);
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

/* A cursor over the date's text: each take_* advances it or fails. */
struct dcur {
	const char *p, *end;
};

static bool take(struct dcur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Exactly `digits` decimal digits (a space first when `pad` and the
 * value is one digit: asctime's day). */
static bool take_num(struct dcur *c, int digits, bool pad, int *v)
{
	*v = 0;
	if (pad && c->p < c->end && *c->p == ' ') {
		c->p++;
		digits--;
	}
	for (int i = 0; i < digits; i++, c->p++) {
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return false;
		*v = *v * 10 + (*c->p - '0');
	}
	return true;
}

/* A weekday, its three-letter form or (RFC 850) its whole name. */
static bool take_day(struct dcur *c, bool whole, int *wday)
{
	for (int i = 0; i < 7; i++) {
		char abbr[4] = { day_names[i][0], day_names[i][1], day_names[i][2], 0 };

		if (take(c, whole ? day_names[i] : abbr)) {
			*wday = i;
			return true;
		}
	}
	return false;
}

static bool take_month(struct dcur *c, int *mon)
{
	for (int i = 0; i < 12; i++)
		if (take(c, month_names[i])) {
			*mon = i;
			return true;
		}
	return false;
}

static bool take_time(struct dcur *c, struct tm *tm)
{
	return take_num(c, 2, false, &tm->tm_hour) && take(c, ":") &&
	       take_num(c, 2, false, &tm->tm_min) && take(c, ":") &&
	       take_num(c, 2, false, &tm->tm_sec) && tm->tm_hour < 24 && tm->tm_min < 60 &&
	       tm->tm_sec < 61;
}

bool sg_http_date_parse(const char *p, size_t n, time_t *t)
{
	struct dcur c = { p, p + n };
	struct tm tm = { 0 };
	int wday = 0, year = 0, mday, mon;
	bool ok;

	if (take_day(&c, false, &wday) && take(&c, ", ")) { /* IMF-fixdate */
		ok = take_num(&c, 2, false, &tm.tm_mday) && take(&c, " ") &&
		     take_month(&c, &tm.tm_mon) && take(&c, " ") && take_num(&c, 4, false, &year) &&
		     take(&c, " ") && take_time(&c, &tm) && take(&c, " GMT");
	} else if (c = (struct dcur){ p, p + n }, take_day(&c, true, &wday) && take(&c, ", ")) {
		ok = take_num(&c, 2, false, &tm.tm_mday) && take(&c, "-") && /* RFC 850 */
		     take_month(&c, &tm.tm_mon) && take(&c, "-") && take_num(&c, 2, false, &year) &&
		     take(&c, " ") && take_time(&c, &tm) && take(&c, " GMT");
		year += year < 70 ? 2000 : 1900;
	} else if (c = (struct dcur){ p, p + n }, take_day(&c, false, &wday) && take(&c, " ")) {
		ok = take_month(&c, &tm.tm_mon) && take(&c, " ") && /* asctime */
		     take_num(&c, 2, true, &tm.tm_mday) && take(&c, " ") && take_time(&c, &tm) &&
		     take(&c, " ") && take_num(&c, 4, false, &year);
	} else {
		return false;
	}
	if (!ok || c.p != c.end || tm.tm_mday < 1 || tm.tm_mday > 31)
		return false;
	tm.tm_year = year - 1900;
	mday = tm.tm_mday;
	mon = tm.tm_mon;
	/* timegm carries a day past the month's end over, in tm too: the
	 * 31st of November is no date. */
	*t = timegm(&tm);
	return tm.tm_mday == mday && tm.tm_mon == mon && tm.tm_wday == wday;
}

/* Go time.Duration text <-> nanoseconds. Parsing follows Go's ParseDuration
 * value for value (including its float64 fractions); printing follows String(). */
#include "config/duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_US UINT64_C(1000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define MICRO "\xc2\xb5"    /* U+00B5, the spelling Go prints */
#define GREEK_MU "\xce\xbc" /* U+03BC, what many keyboards type for micro */

/* Magnitudes are summed unsigned up to 2^63, as Go does, so that
 * "-9223372036854775808ns" is reported as negative rather than as overflow. */
#define MAG_MAX (UINT64_C(1) << 63)

struct unit {
	const char *name;
	uint64_t ns;
};

static const struct unit units[] = {
	{ "ns", 1 },
	{ "us", NS_PER_US },
	{ MICRO "s", NS_PER_US },
	{ GREEK_MU "s", NS_PER_US },
	{ "ms", NS_PER_MS },
	{ "s", NS_PER_S },
	{ "m", 60 * NS_PER_S },
	{ "h", 3600 * NS_PER_S },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Appends to why, silently truncating: a cut reason beats none. */
static void why_put(char *why, size_t whylen, size_t *used, const char *s, size_t n)
{
	while (n-- && *used + 1 < whylen)
		why[(*used)++] = *s++;
	why[*used] = '\0';
}

static int fail(char *why, size_t whylen, const char *reason)
{
	size_t used = 0;

	if (why && whylen)
		why_put(why, whylen, &used, reason, strlen(reason));
	return -1;
}

/* The unit is the only input echoed back, so control and non-ASCII bytes are
 * escaped (as Go's quote does) to keep log lines clean. */
static int fail_unit(char *why, size_t whylen, const char *u, size_t n)
{
	size_t used = 0;
	char esc[8];

	if (!why || !whylen)
		return -1;
	why_put(why, whylen, &used, "unknown unit \"", 14);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			why_put(why, whylen, &used, esc, 4);
			continue;
		}
		if (c == '"' || c == '\\')
			why_put(why, whylen, &used, "\\", 1);
		why_put(why, whylen, &used, &u[i], 1);
	}
	why_put(why, whylen, &used, "\"", 1);
	return -1;
}

static const struct unit *find_unit(const char *u, size_t n)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n))
			return &units[i];
	}
	return NULL;
}

/* Digits before the point. False on overflow. */
static bool lead_int(const char **sp, uint64_t *v)
{
	const char *s = *sp;
	uint64_t x = 0;

	for (; is_digit(*s); s++) {
		if (x > MAG_MAX / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > MAG_MAX)
			return false;
	}
	*sp = s;
	*v = x;
	return true;
}

/* Digits after the point, as f / scale. Digits past ~19 are consumed but
 * ignored: even for hours they are far below a nanosecond. */
static void lead_frac(const char **sp, uint64_t *f, double *scale)
{
	const char *s = *sp;
	uint64_t x = 0, y;
	double sc = 1;
	bool full = false;

	for (; is_digit(*s); s++) {
		if (full || x > (MAG_MAX - 1) / 10) {
			full = true;
			continue;
		}
		y = x * 10 + (uint64_t)(*s - '0');
		if (y > MAG_MAX) {
			full = true;
			continue;
		}
		x = y;
		sc *= 10;
	}
	*sp = s;
	*f = x;
	*scale = sc;
}

/* Adds (v + f/scale) units to *total. False on overflow. */
static bool add_part(uint64_t *total, uint64_t v, uint64_t f, double scale, uint64_t unit)
{
	if (v > MAG_MAX / unit)
		return false;
	v *= unit;
	/* float64 like Go, so "0.3333333333333333333h" gives Go's nanosecond;
	 * the product is below one unit (<= 3.6e12), no range trouble. */
	if (f)
		v += (uint64_t)((double)f * ((double)unit / scale));
	if (v > MAG_MAX || v > MAG_MAX - *total)
		return false;
	*total += v;
	return true;
}

/* One "<number><unit>" component, advancing *sp past it. */
static int parse_part(const char **sp, uint64_t *total, char *why, size_t whylen)
{
	const char *s = *sp, *frac, *u;
	uint64_t v, f = 0;
	double scale = 1;
	bool digits;
	const struct unit *unit;

	if (!lead_int(&s, &v))
		return fail(why, whylen, "overflow");
	digits = s != *sp;
	if (*s == '.') {
		frac = ++s;
		lead_frac(&s, &f, &scale);
		digits = digits || s != frac;
	}
	if (!digits)
		return fail(why, whylen, "expected number");
	for (u = s; *s && *s != '.' && !is_digit(*s); s++)
		;
	if (s == u)
		return fail(why, whylen, "missing unit");
	unit = find_unit(u, (size_t)(s - u));
	if (!unit)
		return fail_unit(why, whylen, u, (size_t)(s - u));
	if (!add_part(total, v, f, scale, unit->ns))
		return fail(why, whylen, "overflow");
	*sp = s;
	return 0;
}

int sg_dur_parse(const char *s, sg_dur *out, char *why, size_t whylen)
{
	uint64_t total = 0;
	bool neg = false;

	if (!s || !*s)
		return fail(why, whylen, "empty");
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return fail(why, whylen, "expected number");
	/* Go's one unit-less spelling; "00" or "0.0" still need a unit. */
	if (strcmp(s, "0") != 0) {
		while (*s) {
			if (parse_part(&s, &total, why, whylen))
				return -1;
		}
	}
	/* Checked after the syntax so a typo is reported as such; "-0s" is
	 * zero, which Go accepts and so do we. */
	if (neg && total)
		return fail(why, whylen, "negative duration");
	if (total > INT64_MAX)
		return fail(why, whylen, "overflow");
	*out = (sg_dur)total;
	return 0;
}

/* ".5", ".000000001" or "" for frac / 10^prec: Go drops trailing zeros, and
 * the point with them. */
static void frac_str(char *out, size_t len, uint64_t frac, int prec)
{
	out[0] = '\0';
	if (!frac)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		prec--;
	}
	snprintf(out, len, ".%0*" PRIu64, prec, frac);
}

/* Below a second Go switches to the largest of ns, µs, ms that fits. */
static char *format_small(char *buf, const char *sign, uint64_t u)
{
	char frac[24];
	uint64_t div = 1;
	int prec = 0;
	const char *name = "ns";

	if (u == 0) {
		snprintf(buf, SG_DUR_STRLEN, "0s");
		return buf;
	}
	if (u >= NS_PER_MS) {
		div = NS_PER_MS;
		prec = 6;
		name = "ms";
	} else if (u >= NS_PER_US) {
		div = NS_PER_US;
		prec = 3;
		name = MICRO "s";
	}
	frac_str(frac, sizeof(frac), u % div, prec);
	snprintf(buf, SG_DUR_STRLEN, "%s%" PRIu64 "%s%s", sign, u / div, frac, name);
	return buf;
}

/* From a second up: h, m, s, leading zero units omitted but inner ones kept
 * ("2h0m0s"); hours are the largest unit since days vary in length. */
static char *format_hms(char *buf, const char *sign, uint64_t u)
{
	char frac[24];
	uint64_t secs = u / NS_PER_S;

	frac_str(frac, sizeof(frac), u % NS_PER_S, 9);
	if (secs >= 3600)
		snprintf(buf, SG_DUR_STRLEN, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "%ss", sign,
			 secs / 3600, secs / 60 % 60, secs % 60, frac);
	else if (secs >= 60)
		snprintf(buf, SG_DUR_STRLEN, "%s%" PRIu64 "m%" PRIu64 "%ss", sign, secs / 60,
			 secs % 60, frac);
	else
		snprintf(buf, SG_DUR_STRLEN, "%s%" PRIu64 "%ss", sign, secs, frac);
	return buf;
}

char *sg_dur_format(sg_dur d, char *buf)
{
	/* Negate unsigned so that INT64_MIN has a magnitude too. */
	uint64_t u = d < 0 ? -(uint64_t)d : (uint64_t)d;
	const char *sign = d < 0 ? "-" : "";

	if (u < NS_PER_S)
		return format_small(buf, sign, u);
	return format_hms(buf, sign, u);
}

uint64_t sg_dur_to_ms_ceil(sg_dur d)
{
	uint64_t u = (uint64_t)d;

	if (d <= 0)
		return 0;
	return u / NS_PER_MS + (u % NS_PER_MS != 0);
}

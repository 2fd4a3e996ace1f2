/* CEL's functions: the standard ones agentgateway's configs use (strings
 * by code point, conversions, time in UTC), the strings and math
 * extensions' few, and agentgateway's own (schema/cel-functions.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/duration.h"
#include "config/hex.h"
#include "config/pct.h"
#include "config/regex.h"
#include "config/utf8.h"
#include "config/celfn.h"

/* ---- values ------------------------------------------------------------ */

static void set_str(struct sg_cel_val *out, enum sg_cel_type t, const char *p, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	out->s.p = p;
	out->s.n = n;
}

static void set_int(struct sg_cel_val *out, enum sg_cel_type t, int64_t i)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	out->i = i;
}

static void set_bool(struct sg_cel_val *out, bool b)
{
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_BOOL;
	out->b = b;
}

static void set_double(struct sg_cel_val *out, double d)
{
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_DOUBLE;
	out->d = d;
}

static char *buf(struct sg_cel_run *run, size_t n, struct sg_cel_val *out)
{
	char *m = sg_cel_step(run, n) ? sg_cel_alloc(run, n + 1) : NULL;

	if (!m)
		sg_cel_error(run, out, "the expression passed its bounds");
	return m;
}

/* A copy of printf's output in the run's memory. */
static void printed(struct sg_cel_run *run, struct sg_cel_val *out, const char *s)
{
	size_t n = strlen(s);
	char *m = buf(run, n, out);

	if (m) {
		memcpy(m, s, n);
		set_str(out, SG_CEL_STRING, m, n);
	}
}

static bool is_str(const struct sg_cel_val *v)
{
	return v->type == SG_CEL_STRING;
}

/* ---- strings, by code point -------------------------------------------- */

static bool cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t cp_count(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t k = 0; k < n; k++)
		c += !cont(s[k]);
	return c;
}

/* The byte offset of code point `idx` (idx == count: n). */
static size_t cp_off(const char *s, size_t n, size_t idx)
{
	size_t k = 0;

	for (; k < n && idx; idx--)
		for (k++; k < n && cont(s[k]); k++)
			;
	return k;
}

static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
	if (!nn)
		return h;
	for (size_t k = 0; k + nn <= hn; k++)
		if (h[k] == nd[0] && !memcmp(h + k, nd, nn))
			return h + k;
	return NULL;
}

static void fn_case(struct sg_cel_run *run, const struct sg_cel_val *s, bool upper,
		    struct sg_cel_val *out)
{
	char *m = buf(run, s->s.n, out);

	if (!m)
		return;
	for (size_t k = 0; k < s->s.n; k++) {
		char c = s->s.p[k];

		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		m[k] = c;
	}
	set_str(out, SG_CEL_STRING, m, s->s.n);
}

/* s.split(sep[, limit]): limit < 0 all pieces, else at most limit. */
static void fn_split(struct sg_cel_run *run, const struct sg_cel_val *s,
		     const struct sg_cel_val *sep, int64_t limit, struct sg_cel_val *out)
{
	size_t cap, n = 0, at = 0;
	struct sg_cel_val *v;

	if (limit == 0) {
		set_str(out, SG_CEL_LIST, NULL, 0);
		return;
	}
	/* Every piece but the last ends at a separator, so there are at most
	 * len / seplen + 1, counted in bytes: a header value may hold any
	 * bytes, and "\x80\x80" split on "\x80" has three pieces and no code
	 * point. An empty separator cuts before each lead byte but the first. */
	cap = sep->s.n ? s->s.n / sep->s.n + 1 : cp_count(s->s.p, s->s.n) + 1;
	if (limit > 0 && (uint64_t)limit < cap)
		cap = (size_t)limit;
	if (!sg_cel_step(run, s->s.n) || !(v = sg_cel_alloc(run, cap * sizeof(*v))))
		return sg_cel_error(run, out, "the expression passed its bounds");
	while (at <= s->s.n) {
		const char *hit = NULL;
		size_t end;

		/* The last slot takes the rest: no count above can be written past. */
		if (n + 1 < cap) {
			if (sep->s.n)
				hit = find(s->s.p + at, s->s.n - at, sep->s.p, sep->s.n);
			else if (at < s->s.n && cp_off(s->s.p + at, s->s.n - at, 1) < s->s.n - at)
				hit = s->s.p + at + cp_off(s->s.p + at, s->s.n - at, 1);
		}
		end = hit ? (size_t)(hit - s->s.p) : s->s.n;
		set_str(&v[n++], SG_CEL_STRING, s->s.p + at, end - at);
		if (!hit)
			break;
		at = end + sep->s.n;
	}
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_LIST;
	out->list.v = v;
	out->list.n = n;
}

static void fn_join(struct sg_cel_run *run, const struct sg_cel_val *l,
		    const struct sg_cel_val *sep, struct sg_cel_val *out)
{
	size_t n = 0, at = 0, sn = sep ? sep->s.n : 0;
	char *m;

	if (l->type != SG_CEL_LIST)
		return sg_cel_no_overload(run, out, "join", l, NULL);
	for (size_t k = 0; k < l->list.n; k++) {
		if (!is_str(&l->list.v[k]))
			return sg_cel_no_overload(run, out, "join", &l->list.v[k], NULL);
		n += l->list.v[k].s.n + (k ? sn : 0);
	}
	if (!(m = buf(run, n, out)))
		return;
	for (size_t k = 0; k < l->list.n; k++) {
		if (k && sn) {
			memcpy(m + at, sep->s.p, sn);
			at += sn;
		}
		memcpy(m + at, l->list.v[k].s.p, l->list.v[k].s.n);
		at += l->list.v[k].s.n;
	}
	set_str(out, SG_CEL_STRING, m, n);
}

/* s.replace(old, new[, limit]): limit < 0 all; an empty old matches
 * before each code point and at the end, as Go's strings.Replace. */
static void fn_replace(struct sg_cel_run *run, const struct sg_cel_val *s,
		       const struct sg_cel_val *old, const struct sg_cel_val *nw, int64_t limit,
		       struct sg_cel_val *out)
{
	size_t hits = 0, at = 0, o = 0;
	char *m;

	for (size_t k = 0; k <= s->s.n && (limit < 0 || (int64_t)hits < limit);) {
		const char *h = find(s->s.p + k, s->s.n - k, old->s.p, old->s.n);

		if (!h)
			break;
		hits++;
		k = (size_t)(h - s->s.p) + (old->s.n ? old->s.n : 1);
		while (!old->s.n && k < s->s.n && cont(s->s.p[k]))
			k++;
	}
	if (!(m = buf(run, s->s.n + hits * nw->s.n, out)))
		return;
	for (size_t done = 0; done < hits; done++) {
		const char *h = find(s->s.p + at, s->s.n - at, old->s.p, old->s.n);
		size_t pos = (size_t)(h - s->s.p), next;

		memcpy(m + o, s->s.p + at, pos - at);
		o += pos - at;
		memcpy(m + o, nw->s.p, nw->s.n);
		o += nw->s.n;
		next = pos + old->s.n;
		if (!old->s.n && pos < s->s.n) { /* keep the code point it stood before */
			next = pos + cp_off(s->s.p + pos, s->s.n - pos, 1);
			memcpy(m + o, s->s.p + pos, next - pos);
			o += next - pos;
		}
		at = next;
	}
	memcpy(m + o, s->s.p + at, s->s.n - at);
	o += s->s.n - at;
	set_str(out, SG_CEL_STRING, m, o);
}

static void fn_index_of(struct sg_cel_run *run, const struct sg_cel_node *n,
			const struct sg_cel_val *s, const struct sg_cel_val *args,
			struct sg_cel_val *out)
{
	size_t count = cp_count(s->s.p, s->s.n), from = 0, off;
	bool last = n->fn == SG_CELF_LAST_INDEX_OF;
	const char *hit = NULL;

	if (n->nargs == 2) {
		if (args[1].type != SG_CEL_INT || args[1].i < 0 || (uint64_t)args[1].i > count)
			return sg_cel_error(run, out, "index out of range");
		from = (size_t)args[1].i;
	} else if (last) {
		from = count;
	}
	off = cp_off(s->s.p, s->s.n, from);
	sg_cel_step(run, s->s.n);
	if (!last) {
		hit = find(s->s.p + off, s->s.n - off, args[0].s.p, args[0].s.n);
	} else {
		for (size_t k = off + 1; k-- > 0;)
			if (k + args[0].s.n <= s->s.n &&
			    !memcmp(s->s.p + k, args[0].s.p, args[0].s.n)) {
				hit = s->s.p + k;
				break;
			}
	}
	set_int(out, SG_CEL_INT, hit ? (int64_t)cp_count(s->s.p, (size_t)(hit - s->s.p)) : -1);
}

static void fn_substring(struct sg_cel_run *run, const struct sg_cel_val *s,
			 const struct sg_cel_val *args, uint32_t nargs, struct sg_cel_val *out)
{
	int64_t count = (int64_t)cp_count(s->s.p, s->s.n), b = args[0].i, e = count;
	size_t ob, oe;

	if (nargs == 2)
		e = args[1].i;
	if (args[0].type != SG_CEL_INT || (nargs == 2 && args[1].type != SG_CEL_INT))
		return sg_cel_no_overload(run, out, "substring", &args[0], NULL);
	if (b < 0 || e > count || b > e)
		return sg_cel_error(run, out, "index out of range: %lld, %lld", (long long)b,
				    (long long)e);
	ob = cp_off(s->s.p, s->s.n, (size_t)b);
	oe = cp_off(s->s.p, s->s.n, (size_t)e);
	set_str(out, SG_CEL_STRING, s->s.p + ob, oe - ob);
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The bytes of Unicode White_Space at s[0..n) (0: none). */
static size_t white(const char *s, size_t n)
{
	static const char *const wide[] = { "\xc2\x85",	    "\xc2\xa0",	    "\xe1\x9a\x80",
					    "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
					    "\xe2\x81\x9f", "\xe3\x80\x80" };

	if (n && space(s[0]))
		return 1;
	if (n >= 3 && !memcmp(s, "\xe2\x80", 2) && (unsigned char)s[2] >= 0x80 &&
	    (unsigned char)s[2] <= 0x8a)
		return 3; /* U+2000..U+200A */
	for (size_t k = 0; k < sizeof(wide) / sizeof(wide[0]); k++)
		if (n >= strlen(wide[k]) && !memcmp(s, wide[k], strlen(wide[k])))
			return strlen(wide[k]);
	return 0;
}

/* The bytes of Unicode White_Space ending at s[n). */
static size_t white_before(const char *s, size_t n)
{
	for (size_t w = 1; w <= 3 && w <= n; w++)
		if (white(s + n - w, w) == w)
			return w;
	return 0;
}

/* The string functions taking a string receiver and string arguments. */
static bool string_fn(struct sg_cel_run *run, const struct sg_cel_node *n,
		      const struct sg_cel_val *s, const struct sg_cel_val *args,
		      struct sg_cel_val *out)
{
	const struct sg_cel_val *a = n->nargs ? &args[0] : NULL;
	size_t k, e;

	switch (n->fn) {
	case SG_CELF_CONTAINS:
		sg_cel_step(run, s->s.n);
		set_bool(out, find(s->s.p, s->s.n, a->s.p, a->s.n) != NULL);
		return true;
	case SG_CELF_STARTS_WITH:
		set_bool(out, a->s.n <= s->s.n && !memcmp(s->s.p, a->s.p, a->s.n));
		return true;
	case SG_CELF_ENDS_WITH:
		set_bool(out,
			 a->s.n <= s->s.n && !memcmp(s->s.p + s->s.n - a->s.n, a->s.p, a->s.n));
		return true;
	case SG_CELF_STRIP_PREFIX:
		*out = *s;
		if (a->s.n <= s->s.n && !memcmp(s->s.p, a->s.p, a->s.n)) {
			out->s.p += a->s.n;
			out->s.n -= a->s.n;
		}
		return true;
	case SG_CELF_STRIP_SUFFIX:
		*out = *s;
		if (a->s.n <= s->s.n && !memcmp(s->s.p + s->s.n - a->s.n, a->s.p, a->s.n))
			out->s.n -= a->s.n;
		return true;
	case SG_CELF_LOWER_ASCII:
	case SG_CELF_UPPER_ASCII:
		fn_case(run, s, n->fn == SG_CELF_UPPER_ASCII, out);
		return true;
	case SG_CELF_TRIM:
		for (k = 0; k < s->s.n && white(s->s.p + k, s->s.n - k);)
			k += white(s->s.p + k, s->s.n - k);
		for (e = s->s.n; e > k && white_before(s->s.p + k, e - k);)
			e -= white_before(s->s.p + k, e - k);
		set_str(out, SG_CEL_STRING, s->s.p + k, e - k);
		return true;
	case SG_CELF_INDEX_OF:
	case SG_CELF_LAST_INDEX_OF:
		fn_index_of(run, n, s, args, out);
		return true;
	case SG_CELF_SPLIT:
		fn_split(run, s, a, n->nargs == 2 && args[1].type == SG_CEL_INT ? args[1].i : -1,
			 out);
		return true;
	case SG_CELF_REPLACE:
		fn_replace(run, s, a, &args[1],
			   n->nargs == 3 && args[2].type == SG_CEL_INT ? args[2].i : -1, out);
		return true;
	default:
		return false;
	}
}

/* A "$" reference of a regexReplace replacement at r[0] == '$' (Rust's
 * regex expand: $n, ${n}, a name standing for a group the pattern does
 * not have): its group, -1 for none, and *end past it; false when r is
 * no reference (the "$" is then itself). */
static bool cap_ref(const char *r, size_t n, size_t *end, long *group)
{
	size_t k = 1, start;
	bool braced = n > 1 && r[1] == '{', digits = true;

	if (braced) {
		for (k = 2; k < n && r[k] != '}'; k++)
			;
		if (k >= n)
			return false;
		start = 2;
		*end = k + 1;
	} else {
		while (k < n && ((r[k] >= '0' && r[k] <= '9') || (r[k] >= 'a' && r[k] <= 'z') ||
				 (r[k] >= 'A' && r[k] <= 'Z') || r[k] == '_'))
			k++;
		if (k == 1)
			return false;
		start = 1;
		*end = k;
	}
	*group = 0;
	for (size_t e = start; e < k; e++) {
		digits &= r[e] >= '0' && r[e] <= '9';
		if (digits && *group < SG_REGEX_GROUPS + 1)
			*group = *group * 10 + (r[e] - '0');
	}
	if (!digits || k == start || *group > SG_REGEX_GROUPS)
		*group = -1; /* a name: the pattern has no named group */
	return true;
}

/* `with` expanded over the match g of s into m (NULL: only measured);
 * returns its length. */
static size_t expand(char *m, const struct sg_cel_val *with, const char *s, size_t g[][2])
{
	const char *r = with->s.p;
	size_t rn = with->s.n, o = 0, end;
	long group;

	for (size_t k = 0; k < rn;) {
		if (r[k] == '$' && k + 1 < rn && r[k + 1] == '$') {
			k++; /* "$$" is "$" */
		} else if (r[k] == '$' && cap_ref(r + k, rn - k, &end, &group)) {
			if (group >= 0 && g[group][0] != SIZE_MAX) {
				if (m)
					memcpy(m + o, s + g[group][0], g[group][1] - g[group][0]);
				o += g[group][1] - g[group][0];
			}
			k += end;
			continue;
		}
		if (m)
			m[o] = r[k];
		o++;
		k++;
	}
	return o;
}

/* regexReplace(s, pattern, with): the first match replaced by `with`,
 * its $n, ${n} and $$ expanded (agentgateway's: Rust's Regex::replace);
 * s as it is when nothing matches. */
static void fn_regex_replace(struct sg_cel_run *run, const struct sg_cel_node *n,
			     const struct sg_cel_val *s, const struct sg_cel_val *with,
			     struct sg_cel_val *out)
{
	size_t g[SG_REGEX_GROUPS + 1][2], o, mid;
	char *m;

	if (!sg_cel_step(run, s->s.n + with->s.n))
		return sg_cel_error(run, out, "the expression passed its bounds");
	if (!sg_regex_find_groups(n->re, s->s.p, s->s.n, g, SG_REGEX_GROUPS + 1)) {
		*out = *s;
		return;
	}
	mid = expand(NULL, with, s->s.p, g);
	if (!(m = buf(run, g[0][0] + mid + (s->s.n - g[0][1]), out)))
		return;
	memcpy(m, s->s.p, g[0][0]);
	o = g[0][0] + expand(m + g[0][0], with, s->s.p, g);
	memcpy(m + o, s->s.p + g[0][1], s->s.n - g[0][1]);
	set_str(out, SG_CEL_STRING, m, o + s->s.n - g[0][1]);
}

/* ---- conversions ------------------------------------------------------- */

/* Go's %g with the shortest digits that read back as d (cel-go's
 * string(double)): "1.5", "100", "1e+06", "1.234567e+06". */
static void format_double(double d, char *o, size_t on)
{
	char t[40];
	int prec, exp;

	if (isnan(d)) {
		snprintf(o, on, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(o, on, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(t, sizeof(t), "%.*e", prec - 1, d);
		if (strtod(t, NULL) == d)
			break;
	}
	snprintf(t, sizeof(t), "%.*e", prec - 1, d);
	exp = atoi(strchr(t, 'e') + 1);
	if (exp < -4 || exp >= (prec > 21 ? prec : 21))
		snprintf(o, on, "%s", t);
	else
		snprintf(o, on, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

static void format_duration(int64_t ns, char *o, size_t on)
{
	uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	int len;

	len = snprintf(o, on, "%s%llu", ns < 0 ? "-" : "", (unsigned long long)(mag / 1000000000));
	if (mag % 1000000000) {
		len += snprintf(o + len, on - (size_t)len, ".%09llu",
				(unsigned long long)(mag % 1000000000));
		while (o[len - 1] == '0')
			o[--len] = '\0';
	}
	snprintf(o + len, on - (size_t)len, "s");
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (Howard Hinnant's civil-date algorithms). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The nanoseconds of ns past its whole second, 0 to 999999999. Not as
 * ns - floor_div(ns, 1e9) * 1e9: below -9223372036 s (1677-09-21) that
 * product passes INT64_MIN. */
static int64_t ns_of_second(int64_t ns)
{
	int64_t r = ns % 1000000000;

	return r < 0 ? r + 1000000000 : r;
}

static void format_timestamp(int64_t ns, char *o, size_t on)
{
	int64_t secs = floor_div(ns, 1000000000), days = floor_div(secs, 86400), y;
	int64_t frac = ns_of_second(ns), sod = secs - days * 86400;
	unsigned m, d;
	int len;

	civil_from_days(days, &y, &m, &d);
	len = snprintf(o, on, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", (long long)y, m, d,
		       (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60));
	if (frac) {
		len += snprintf(o + len, on - (size_t)len, ".%09lld", (long long)frac);
		while (o[len - 1] == '0')
			o[--len] = '\0';
	}
	snprintf(o + len, on - (size_t)len, "Z");
}

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return false;
		*v = *v * 10 + (s[k] - '0');
	}
	return true;
}

/* RFC 3339: "2009-02-13T23:31:30Z", ".123" fractions, "+01:00" offsets.
 * Returns 0 with *out; -EINVAL for text that is not one; -ERANGE for one
 * that int64 nanoseconds cannot hold. */
static int parse_timestamp(const char *s, size_t n, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, scale = 100000000, secs, whole;
	size_t k = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
	    !digits(s + 17, 2, &sec))
		return -EINVAL;
	if (s[k] == '.') {
		for (k++; k < n && s[k] >= '0' && s[k] <= '9'; k++, scale /= 10)
			if (scale)
				frac += (s[k] - '0') * scale;
		if (s[k - 1] == '.')
			return -EINVAL;
	}
	if (k + 1 == n && (s[k] == 'Z' || s[k] == 'z')) {
	} else if (k + 6 == n && (s[k] == '+' || s[k] == '-') && s[k + 3] == ':' &&
		   digits(s + k + 1, 2, &oh) && digits(s + k + 4, 2, &om)) {
		if (s[k] == '-') {
			oh = -oh;
			om = -om;
		}
	} else {
		return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	       oh * 3600 - om * 60;
	/* int64 ns covers 1677-09-21 to 2262-04-11, well inside CEL's years
	 * 0001 to 9999: a text outside is a timestamp, just not one we hold */
	if (__builtin_mul_overflow(secs, 1000000000, &whole) ||
	    __builtin_add_overflow(whole, frac, out))
		return -ERANGE;
	return 0;
}

/* CEL's duration text: an optional sign, then Go's ("1h30m", "1.5s"). */
static bool parse_duration(const char *s, size_t n, int64_t *out)
{
	char t[64];
	bool neg = n && s[0] == '-';
	sg_dur d;

	if (n >= sizeof(t) || !n)
		return false;
	memcpy(t, s + neg, n - neg);
	t[n - neg] = '\0';
	if (sg_dur_parse(t, &d, NULL, 0) == -1)
		return false;
	*out = neg ? -d : d;
	return true;
}

void sg_celfn_string(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	char t[64];
	size_t bad;

	switch (v->type) {
	case SG_CEL_STRING:
		*out = *v;
		return;
	case SG_CEL_BYTES:
		/* A CEL string is code points: bytes that are not well-formed
		 * UTF-8 have no string form (cel-go refuses them too). */
		if ((bad = sg_utf8_span(v->s.p, v->s.n)) < v->s.n)
			return sg_cel_error(run, out, "invalid UTF-8 in bytes at offset %zu", bad);
		set_str(out, SG_CEL_STRING, v->s.p, v->s.n);
		return;
	case SG_CEL_INT:
		snprintf(t, sizeof(t), "%lld", (long long)v->i);
		break;
	case SG_CEL_UINT:
		snprintf(t, sizeof(t), "%llu", (unsigned long long)v->u);
		break;
	case SG_CEL_DOUBLE:
		format_double(v->d, t, sizeof(t));
		break;
	case SG_CEL_BOOL:
		snprintf(t, sizeof(t), "%s", v->b ? "true" : "false");
		break;
	case SG_CEL_DURATION:
		format_duration(v->i, t, sizeof(t));
		break;
	case SG_CEL_TIMESTAMP:
		format_timestamp(v->i, t, sizeof(t));
		break;
	case SG_CEL_TYPE:
		*out = *v;
		out->type = SG_CEL_STRING;
		return;
	default:
		return sg_cel_no_overload(run, out, "string", v, NULL);
	}
	printed(run, out, t);
}

static bool whole_text(const struct sg_cel_val *v, char *t, size_t tn)
{
	if (v->s.n >= tn || memchr(v->s.p, '\0', v->s.n))
		return false;
	memcpy(t, v->s.p, v->s.n);
	t[v->s.n] = '\0';
	return true;
}

static void to_int(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	char t[64], *end;
	long long i;

	switch (v->type) {
	case SG_CEL_INT:
		return set_int(out, SG_CEL_INT, v->i);
	case SG_CEL_UINT:
		if (v->u > INT64_MAX)
			return sg_cel_error(run, out, "range error converting %llu to int",
					    (unsigned long long)v->u);
		return set_int(out, SG_CEL_INT, (int64_t)v->u);
	case SG_CEL_DOUBLE:
		if (!(v->d > -9223372036854775808.0 && v->d < 9223372036854775808.0))
			return sg_cel_error(run, out, "range error converting a double to int");
		return set_int(out, SG_CEL_INT, (int64_t)v->d);
	case SG_CEL_STRING:
		errno = 0;
		if (!whole_text(v, t, sizeof(t)) || !v->s.n || space(t[0]) ||
		    ((i = strtoll(t, &end, 10)), *end || errno))
			return sg_cel_error(run, out, "cannot convert \"%.*s\" to int",
					    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
		return set_int(out, SG_CEL_INT, i);
	case SG_CEL_TIMESTAMP:
		return set_int(out, SG_CEL_INT, floor_div(v->i, 1000000000));
	case SG_CEL_DURATION:
		return set_int(out, SG_CEL_INT, v->i);
	default:
		return sg_cel_no_overload(run, out, "int", v, NULL);
	}
}

static void to_uint(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	char t[64], *end;
	unsigned long long u;

	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_UINT;
	switch (v->type) {
	case SG_CEL_UINT:
		out->u = v->u;
		return;
	case SG_CEL_INT:
		if (v->i < 0)
			return sg_cel_error(run, out, "range error converting %lld to uint",
					    (long long)v->i);
		out->u = (uint64_t)v->i;
		return;
	case SG_CEL_DOUBLE:
		if (!(v->d > -1.0 && v->d < 18446744073709551616.0))
			return sg_cel_error(run, out, "range error converting a double to uint");
		out->u = (uint64_t)v->d;
		return;
	case SG_CEL_STRING:
		errno = 0;
		/* strtoull skips spaces and negates a "-1" to 2^64 - 1 */
		if (!whole_text(v, t, sizeof(t)) || !v->s.n || t[0] == '-' || space(t[0]) ||
		    ((u = strtoull(t, &end, 10)), *end || errno))
			return sg_cel_error(run, out, "cannot convert \"%.*s\" to uint",
					    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
		out->u = u;
		return;
	default:
		return sg_cel_no_overload(run, out, "uint", v, NULL);
	}
}

static void to_double(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	char t[512], *end;
	double d;

	switch (v->type) {
	case SG_CEL_DOUBLE:
		return set_double(out, v->d);
	case SG_CEL_INT:
		return set_double(out, (double)v->i);
	case SG_CEL_UINT:
		return set_double(out, (double)v->u);
	case SG_CEL_STRING:
		if (!whole_text(v, t, sizeof(t)) || !v->s.n ||
		    ((d = strtod(t, &end)), *end || space(t[0])))
			return sg_cel_error(run, out, "cannot convert \"%.*s\" to double",
					    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
		return set_double(out, d);
	default:
		return sg_cel_no_overload(run, out, "double", v, NULL);
	}
}

/* timestamp(v): seconds since the epoch or RFC 3339 text. Past what int64
 * nanoseconds hold is "timestamp out of range", as cel-go says past its
 * years 0001 to 9999. */
static void to_timestamp(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	int64_t i;
	int ret;

	if (v->type == SG_CEL_TIMESTAMP)
		return set_int(out, SG_CEL_TIMESTAMP, v->i);
	if (v->type == SG_CEL_INT) {
		if (v->i > INT64_MAX / 1000000000 || v->i < INT64_MIN / 1000000000)
			return sg_cel_error(run, out, "timestamp out of range");
		return set_int(out, SG_CEL_TIMESTAMP, v->i * 1000000000);
	}
	if (v->type != SG_CEL_STRING)
		return sg_cel_no_overload(run, out, "timestamp", v, NULL);
	ret = parse_timestamp(v->s.p, v->s.n, &i);
	if (ret == -ERANGE)
		return sg_cel_error(run, out, "timestamp out of range: \"%.*s\"",
				    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
	if (ret)
		return sg_cel_error(run, out, "invalid timestamp \"%.*s\"",
				    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
	set_int(out, SG_CEL_TIMESTAMP, i);
}

static void conversion(struct sg_cel_run *run, const struct sg_cel_node *n,
		       const struct sg_cel_val *v, struct sg_cel_val *out)
{
	int64_t i;

	switch (n->fn) {
	case SG_CELF_INT:
		return to_int(run, v, out);
	case SG_CELF_UINT:
		return to_uint(run, v, out);
	case SG_CELF_DOUBLE:
		return to_double(run, v, out);
	case SG_CELF_STRING:
		return sg_celfn_string(run, v, out);
	case SG_CELF_BYTES:
		if (v->type != SG_CEL_STRING && v->type != SG_CEL_BYTES)
			return sg_cel_no_overload(run, out, "bytes", v, NULL);
		return set_str(out, SG_CEL_BYTES, v->s.p, v->s.n);
	case SG_CELF_BOOL:
		if (v->type == SG_CEL_BOOL)
			return set_bool(out, v->b);
		if (v->type == SG_CEL_STRING) {
			static const char *const yes[] = { "true", "True", "TRUE", "t", "1" },
						 *const no[] = { "false", "False", "FALSE", "f",
								 "0" };

			for (int k = 0; k < 5; k++) {
				if (v->s.n == strlen(yes[k]) && !memcmp(v->s.p, yes[k], v->s.n))
					return set_bool(out, true);
				if (v->s.n == strlen(no[k]) && !memcmp(v->s.p, no[k], v->s.n))
					return set_bool(out, false);
			}
		}
		return sg_cel_error(run, out, "cannot convert to bool");
	case SG_CELF_DURATION:
		if (v->type == SG_CEL_DURATION)
			return set_int(out, SG_CEL_DURATION, v->i);
		if (v->type != SG_CEL_STRING)
			return sg_cel_no_overload(run, out, "duration", v, NULL);
		if (!parse_duration(v->s.p, v->s.n, &i))
			return sg_cel_error(run, out, "invalid duration \"%.*s\"",
					    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
		return set_int(out, SG_CEL_DURATION, i);
	case SG_CELF_TIMESTAMP:
		return to_timestamp(run, v, out);
	case SG_CELF_TYPE:
		return set_str(out, SG_CEL_TYPE, sg_cel_type_name(v->type),
			       strlen(sg_cel_type_name(v->type)));
	default: /* dyn */
		*out = *v;
	}
}

static void time_part(struct sg_cel_run *run, const struct sg_cel_node *n,
		      const struct sg_cel_val *v, struct sg_cel_val *out)
{
	int64_t secs = floor_div(v->i, 1000000000), days = floor_div(secs, 86400), y, r;
	int64_t sod = secs - days * 86400;
	unsigned m, d;

	if (v->type == SG_CEL_DURATION) {
		r = n->fn == SG_CELF_GET_HOURS	   ? v->i / 3600000000000LL
		    : n->fn == SG_CELF_GET_MINUTES ? v->i / 60000000000LL
		    : n->fn == SG_CELF_GET_SECONDS ? v->i / 1000000000
						   : v->i / 1000000 % 1000;
		if (n->fn < SG_CELF_GET_HOURS)
			return sg_cel_no_overload(run, out, "time accessor", v, NULL);
		return set_int(out, SG_CEL_INT, r);
	}
	if (v->type != SG_CEL_TIMESTAMP)
		return sg_cel_no_overload(run, out, "time accessor", v, NULL);
	civil_from_days(days, &y, &m, &d);
	switch (n->fn) {
	case SG_CELF_GET_FULL_YEAR:
		r = y;
		break;
	case SG_CELF_GET_MONTH:
		r = m - 1;
		break;
	case SG_CELF_GET_DAY_OF_YEAR:
		r = days - days_from_civil(y, 1, 1);
		break;
	case SG_CELF_GET_DAY_OF_MONTH:
		r = d - 1;
		break;
	case SG_CELF_GET_DATE:
		r = d;
		break;
	case SG_CELF_GET_DAY_OF_WEEK:
		r = (days % 7 + 11) % 7; /* 1970-01-01 was a Thursday */
		break;
	case SG_CELF_GET_HOURS:
		r = sod / 3600;
		break;
	case SG_CELF_GET_MINUTES:
		r = sod / 60 % 60;
		break;
	case SG_CELF_GET_SECONDS:
		r = sod % 60;
		break;
	default:
		r = ns_of_second(v->i) / 1000000;
	}
	set_int(out, SG_CEL_INT, r);
}

/* ---- encodings --------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_encode(struct sg_cel_run *run, const struct sg_cel_val *v,
			  struct sg_cel_val *out)
{
	size_t n = (v->s.n + 2) / 3 * 4, o = 0;
	const unsigned char *s = (const unsigned char *)v->s.p;
	char *m = buf(run, n, out);

	if (!m)
		return;
	for (size_t k = 0; k < v->s.n; k += 3) {
		uint32_t w = (uint32_t)s[k] << 16 | (k + 1 < v->s.n ? (uint32_t)s[k + 1] << 8 : 0) |
			     (k + 2 < v->s.n ? s[k + 2] : 0);

		m[o++] = b64[w >> 18];
		m[o++] = b64[w >> 12 & 63];
		m[o++] = k + 1 < v->s.n ? b64[w >> 6 & 63] : '=';
		m[o++] = k + 2 < v->s.n ? b64[w & 63] : '=';
	}
	set_str(out, SG_CEL_STRING, m, n);
}

/* Standard or URL-safe alphabet, padding optional. */
static bool base64_decode(struct sg_cel_run *run, const char *s, size_t n, struct sg_cel_val *out)
{
	char *m = buf(run, n, out);
	uint32_t w = 0;
	size_t o = 0, bits = 0;

	if (!m)
		return true;
	while (n && s[n - 1] == '=')
		n--;
	for (size_t k = 0; k < n; k++) {
		char c = s[k] == '-' ? '+' : s[k] == '_' ? '/' : s[k];
		const char *at = c ? strchr(b64, c) : NULL;

		if (!at)
			return false;
		w = w << 6 | (uint32_t)(at - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			m[o++] = (char)(w >> bits);
		}
	}
	if (bits >= 6)
		return false;
	set_str(out, SG_CEL_BYTES, m, o);
	return true;
}

static void url_encode(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	char *m = buf(run, v->s.n * 3, out);
	size_t o = 0;

	if (!m)
		return;
	sg_pct_append(m, v->s.n * 3 + 1, &o, v->s.p, v->s.n, SG_PCT_UNRESERVED);
	set_str(out, SG_CEL_STRING, m, o);
}

/* As agentgateway's (the percent-encoding crate's percent_decode, then
 * decode_utf8): a "%" not followed by two hex digits stays as it is, and
 * what the escapes make must be well-formed UTF-8, as every CEL string
 * is ("%ff" made a string no code point can be read from). */
static void url_decode(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	char *m = buf(run, v->s.n, out);
	size_t o = 0, bad;

	if (!m)
		return;
	for (size_t k = 0; k < v->s.n; k++) {
		if (v->s.p[k] != '%' || k + 2 >= v->s.n || sg_hex_digit(v->s.p[k + 1]) < 0 ||
		    sg_hex_digit(v->s.p[k + 2]) < 0) {
			m[o++] = v->s.p[k];
			continue;
		}
		m[o++] = (char)(sg_hex_digit(v->s.p[k + 1]) * 16 + sg_hex_digit(v->s.p[k + 2]));
		k += 2;
	}
	if ((bad = sg_utf8_span(m, o)) < o)
		return sg_cel_error(run, out, "url.decode: invalid UTF-8 at offset %zu", bad);
	set_str(out, SG_CEL_STRING, m, o);
}

/* ---- JSON -------------------------------------------------------------- */

struct json {
	struct sg_cel_run *run;
	const char *s;
	size_t n, at;
	int depth;
};

static void json_ws(struct json *j)
{
	while (j->at < j->n && (j->s[j->at] == ' ' || j->s[j->at] == '\t' || j->s[j->at] == '\n' ||
				j->s[j->at] == '\r'))
		j->at++;
}

static bool json_value(struct json *j, struct sg_cel_val *out);

static bool json_string(struct json *j, struct sg_cel_val *out)
{
	size_t start = ++j->at, o = 0;
	char *m;

	while (j->at < j->n && j->s[j->at] != '"')
		j->at += j->s[j->at] == '\\' ? 2 : 1;
	if (j->at >= j->n || !(m = sg_cel_alloc(j->run, (j->at - start) * 2 + 1)))
		return false;
	for (size_t k = start; k < j->at; k++) {
		char c = j->s[k];
		uint32_t cp = 0;

		if ((unsigned char)c < 0x20)
			return false;
		/* Bytes that are not UTF-8 make no CEL string: refused, as
		 * serde_json's from_slice (agentgateway's json() of bytes) does. */
		if ((unsigned char)c >= 0x80) {
			size_t len = sg_utf8_len(j->s + k, j->at - k);

			if (!len)
				return false;
			memcpy(m + o, j->s + k, len);
			o += len;
			k += len - 1;
			continue;
		}
		if (c != '\\') {
			m[o++] = c;
			continue;
		}
		c = j->s[++k];
		if (c && strchr("\"\\/bfnrt", c)) {
			m[o++] = c == 'b'   ? '\b'
				 : c == 'f' ? '\f'
				 : c == 'n' ? '\n'
				 : c == 'r' ? '\r'
				 : c == 't' ? '\t'
					    : c;
			continue;
		}
		if (c != 'u' || k + 4 >= j->at)
			return false;
		for (int h = 1; h <= 4; h++) {
			if (sg_hex_digit(j->s[k + (size_t)h]) < 0)
				return false;
			cp = cp * 16 + (uint32_t)sg_hex_digit(j->s[k + (size_t)h]);
		}
		k += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && k + 6 < j->at && j->s[k + 1] == '\\' &&
		    j->s[k + 2] == 'u') {
			uint32_t lo = 0;

			for (int h = 3; h <= 6; h++)
				lo = lo * 16 + (uint32_t)(sg_hex_digit(j->s[k + (size_t)h]) & 15);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				k += 6;
			}
		}
		if (cp >= 0xd800 && cp < 0xe000)
			cp = 0xfffd;
		if (cp < 0x80) {
			m[o++] = (char)cp;
		} else if (cp < 0x800) {
			m[o++] = (char)(0xc0 | cp >> 6);
			m[o++] = (char)(0x80 | (cp & 63));
		} else if (cp < 0x10000) {
			m[o++] = (char)(0xe0 | cp >> 12);
			m[o++] = (char)(0x80 | (cp >> 6 & 63));
			m[o++] = (char)(0x80 | (cp & 63));
		} else {
			m[o++] = (char)(0xf0 | cp >> 18);
			m[o++] = (char)(0x80 | (cp >> 12 & 63));
			m[o++] = (char)(0x80 | (cp >> 6 & 63));
			m[o++] = (char)(0x80 | (cp & 63));
		}
	}
	j->at++;
	set_str(out, SG_CEL_STRING, m, o);
	return true;
}

/* Two string keys in byte order, for qsort over pointers to them. */
static int key_cmp(const void *a, const void *b)
{
	const struct sg_cel_val *x = *(const struct sg_cel_val *const *)a;
	const struct sg_cel_val *y = *(const struct sg_cel_val *const *)b;
	size_t n = x->s.n < y->s.n ? x->s.n : y->s.n;
	int c = n ? memcmp(x->s.p, y->s.p, n) : 0; /* "" may have no bytes at all */

	return c ? c : (x->s.n > y->s.n) - (x->s.n < y->s.n);
}

/* Pair indexes ordered by key (key_cmp), then by place (qsort_r over an
 * object's entries v: keys at even places). */
static int key_order(const void *a, const void *b, void *arg)
{
	const struct sg_cel_val *v = arg;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	const struct sg_cel_val *x = &v[2 * i], *y = &v[2 * k];
	int c = key_cmp(&x, &y);

	return c ? c : i < k ? -1 : 1;
}

/* An object's entries v[0..*n) (key, value, ...) with each repeated key
 * once, as serde_json reads them (agentgateway's json()): at the place it
 * first took, with the value it took last. Sorted, not compared pairwise,
 * so that a body of many keys costs n log n. False out of bounds. */
static bool json_unique_keys(struct sg_cel_run *run, struct sg_cel_val *v, size_t *n)
{
	size_t pairs = *n / 2, kept = 0, *ix;
	bool *drop;

	if (pairs < 2)
		return true;
	if (!sg_cel_step(run, pairs * 16) || !(ix = sg_cel_alloc(run, pairs * sizeof(*ix))) ||
	    !(drop = sg_cel_alloc(run, pairs * sizeof(*drop))))
		return false;
	for (size_t i = 0; i < pairs; i++) {
		ix[i] = i;
		drop[i] = false;
	}
	qsort_r(ix, pairs, sizeof(*ix), key_order, v);
	for (size_t g = 0, e; g < pairs; g = e) {
		const struct sg_cel_val *key = &v[2 * ix[g]], *next;

		/* ix[g..e) name one key, in the order they came */
		for (e = g + 1; e < pairs && (next = &v[2 * ix[e]], !key_cmp(&next, &key)); e++)
			drop[ix[e]] = true;
		v[2 * ix[g] + 1] = v[2 * ix[e - 1] + 1];
	}
	for (size_t i = 0; i < pairs; i++)
		if (!drop[i]) {
			v[2 * kept] = v[2 * i];
			v[2 * kept + 1] = v[2 * i + 1];
			kept++;
		}
	*n = 2 * kept;
	return true;
}

/* An array or an object: elements (pairs for an object) into a list
 * that grows by doubling in the run's memory. */
static bool json_compound(struct json *j, struct sg_cel_val *out, bool object)
{
	char close = object ? '}' : ']';
	struct sg_cel_val *v = NULL;
	size_t n = 0, cap = 0;

	if (++j->depth > 64)
		return false;
	j->at++;
	json_ws(j);
	while (j->at < j->n && j->s[j->at] != close) {
		if (n + 2 > cap) {
			struct sg_cel_val *g = sg_cel_alloc(j->run, (cap * 2 + 4) * sizeof(*g));

			if (!g)
				return false;
			if (n)
				memcpy(g, v, n * sizeof(*g));
			v = g;
			cap = cap * 2 + 4;
		}
		if (object) {
			json_ws(j);
			if (j->at >= j->n || j->s[j->at] != '"' || !json_string(j, &v[n++]))
				return false;
			json_ws(j);
			if (j->at >= j->n || j->s[j->at++] != ':')
				return false;
		}
		if (!json_value(j, &v[n++]))
			return false;
		json_ws(j);
		if (j->at < j->n && j->s[j->at] == ',') {
			j->at++;
			json_ws(j);
			if (j->at < j->n && j->s[j->at] == close)
				return false;
		} else if (j->at >= j->n || j->s[j->at] != close) {
			return false;
		}
	}
	if (j->at >= j->n || (object && !json_unique_keys(j->run, v, &n)))
		return false;
	j->at++;
	j->depth--;
	memset(out, 0, sizeof(*out));
	out->type = object ? SG_CEL_MAP : SG_CEL_LIST;
	out->list.v = v;
	out->list.n = object ? n / 2 : n;
	return true;
}

/* A JSON number written without a fraction or an exponent, as serde_json
 * reads it and agentgateway's json() hands it to CEL: a uint when it is
 * not negative, an int when it is, each while it fits (else the double
 * *out holds already, as -0 stays). A double would make two integers past
 * 2^53 equal ("1234567890123456789" == 1234567890123456788). */
static void json_integer(const char *t, struct sg_cel_val *out)
{
	char *end;

	errno = 0;
	if (t[0] != '-') {
		unsigned long long u = strtoull(t, &end, 10);

		if (!errno && !*end) {
			memset(out, 0, sizeof(*out));
			out->type = SG_CEL_UINT;
			out->u = u;
		}
		return;
	}
	long long i = strtoll(t, &end, 10);

	if (!errno && !*end && i != 0)
		set_int(out, SG_CEL_INT, i);
}

static bool json_value(struct json *j, struct sg_cel_val *out)
{
	static const char *const words[] = { "true", "false", "null" };
	char t[64], *end;

	json_ws(j);
	if (j->at >= j->n || !sg_cel_step(j->run, 1))
		return false;
	switch (j->s[j->at]) {
	case '"':
		return json_string(j, out);
	case '{':
	case '[':
		return json_compound(j, out, j->s[j->at] == '{');
	}
	for (int k = 0; k < 3; k++)
		if (j->n - j->at >= strlen(words[k]) &&
		    !memcmp(j->s + j->at, words[k], strlen(words[k]))) {
			j->at += strlen(words[k]);
			memset(out, 0, sizeof(*out));
			if (k < 2)
				set_bool(out, k == 0);
			return true;
		}
	for (size_t k = 0;
	     k + 1 < sizeof(t) && j->at + k < j->n && strchr("+-.0123456789eE", j->s[j->at + k]);
	     k++) {
		t[k] = j->s[j->at + k];
		t[k + 1] = '\0';
	}
	if (!strchr("-0123456789", j->s[j->at]))
		return false;
	set_double(out, strtod(t, &end));
	j->at += (size_t)(end - t);
	if (end != t && !memchr(t, '.', (size_t)(end - t)) && !memchr(t, 'e', (size_t)(end - t)) &&
	    !memchr(t, 'E', (size_t)(end - t)))
		json_integer(t, out);
	return end != t;
}

static void fn_json(struct sg_cel_run *run, const char *s, size_t n, struct sg_cel_val *out)
{
	struct json j = { .run = run, .s = s, .n = n };

	if (!json_value(&j, out) || (json_ws(&j), j.at != j.n))
		sg_cel_error(run, out, "json: invalid JSON");
}

/* The JSON text of v, appended to m[*o..) when m is given; counts in *o
 * either way (a first pass sizes the second). */
static bool to_json(struct sg_cel_run *run, const struct sg_cel_val *v, char *m, size_t *o)
{
	char t[64];
	struct sg_cel_val s;

	if (!sg_cel_step(run, 1))
		return false;
#define PUT(p, len)                                                                                \
	do {                                                                                       \
		if (m)                                                                             \
			memcpy(m + *o, (p), (len));                                                \
		*o += (len);                                                                       \
	} while (0)
	switch (v->type) {
	case SG_CEL_NULL:
		PUT("null", 4);
		return true;
	case SG_CEL_LIST:
	case SG_CEL_MAP:
		PUT(v->type == SG_CEL_MAP ? "{" : "[", 1);
		for (size_t k = 0; k < v->list.n; k++) {
			const struct sg_cel_val *e = &v->list.v[v->type == SG_CEL_MAP ? 2 * k : k];

			if (k)
				PUT(",", 1);
			if (v->type == SG_CEL_MAP) {
				sg_celfn_string(run, e, &s);
				if (s.type == SG_CEL_ERROR || !to_json(run, &s, m, o))
					return false;
				PUT(":", 1);
				e++;
			}
			if (!to_json(run, e, m, o))
				return false;
		}
		PUT(v->type == SG_CEL_MAP ? "}" : "]", 1);
		return true;
	case SG_CEL_STRING:
	case SG_CEL_BYTES:
	case SG_CEL_DURATION:
	case SG_CEL_TIMESTAMP:
		if (v->type == SG_CEL_BYTES)
			base64_encode(run, v, &s);
		else
			sg_celfn_string(run, v, &s);
		if (s.type == SG_CEL_ERROR)
			return false;
		PUT("\"", 1);
		for (size_t k = 0; k < s.s.n; k++) {
			unsigned char c = (unsigned char)s.s.p[k];

			if (c == '"' || c == '\\') {
				PUT("\\", 1);
				PUT(&s.s.p[k], 1);
			} else if (c < 0x20) {
				snprintf(t, sizeof(t), "\\u%04x", c);
				PUT(t, 6);
			} else {
				PUT(&s.s.p[k], 1);
			}
		}
		PUT("\"", 1);
		return true;
	case SG_CEL_BOOL:
	case SG_CEL_INT:
	case SG_CEL_UINT:
	case SG_CEL_DOUBLE:
		sg_celfn_string(run, v, &s);
		if (s.type == SG_CEL_ERROR || (v->type == SG_CEL_DOUBLE && !isfinite(v->d)))
			return false;
		PUT(s.s.p, s.s.n);
		return true;
	default:
		return false;
	}
#undef PUT
}

static void fn_to_json(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	size_t n = 0, o = 0;
	char *m;

	if (!to_json(run, v, NULL, &n))
		return sg_cel_error(run, out, "toJson: %s has no JSON form",
				    sg_cel_type_name(v->type));
	if (!(m = buf(run, n, out)))
		return;
	to_json(run, v, m, &o);
	set_str(out, SG_CEL_STRING, m, o);
}

/* The claims of a JWT's middle segment, unverified. */
static void fn_jwt_payload(struct sg_cel_run *run, const struct sg_cel_val *v,
			   struct sg_cel_val *out)
{
	const char *dot1 = memchr(v->s.p, '.', v->s.n), *dot2;
	struct sg_cel_val raw;

	if (!dot1 || !(dot2 = memchr(dot1 + 1, '.', v->s.n - (size_t)(dot1 + 1 - v->s.p))))
		return sg_cel_error(run, out, "unvalidatedJwtPayload: not a JWT");
	if (!base64_decode(run, dot1 + 1, (size_t)(dot2 - dot1 - 1), &raw))
		return sg_cel_error(run, out, "unvalidatedJwtPayload: invalid base64url");
	if (raw.type == SG_CEL_ERROR) {
		*out = raw;
		return;
	}
	fn_json(run, raw.s.p, raw.s.n, out);
}

/* ---- networks and math ------------------------------------------------- */

static void fn_contains_ip(struct sg_cel_run *run, const struct sg_cel_node *n,
			   const struct sg_cel_val *v, struct sg_cel_val *out)
{
	const struct sg_cel_cidr *c = n->re;
	uint8_t addr[16];
	bool v6;

	if (!is_str(v))
		return sg_cel_no_overload(run, out, "containsIP", v, NULL);
	if (!sg_celparse_ip(v->s.p, v->s.n, addr, &v6))
		return sg_cel_error(run, out, "containsIP: \"%.*s\" is not an IP address",
				    (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
	if (v6 != c->v6)
		return set_bool(out, false);
	for (unsigned b = 0; b < c->bits; b++)
		if ((addr[b / 8] ^ c->addr[b / 8]) & (0x80 >> (b % 8)))
			return set_bool(out, false);
	set_bool(out, true);
}

static bool num(const struct sg_cel_val *v)
{
	return v->type == SG_CEL_INT || v->type == SG_CEL_UINT || v->type == SG_CEL_DOUBLE;
}

static void fn_extreme(struct sg_cel_run *run, const struct sg_cel_node *n,
		       const struct sg_cel_val *args, struct sg_cel_val *out)
{
	const struct sg_cel_val *v = args;
	size_t count = n->nargs;
	struct sg_cel_val lt;

	if (count == 1 && args[0].type == SG_CEL_LIST) {
		v = args[0].list.v;
		count = args[0].list.n;
	}
	if (!count)
		return sg_cel_error(run, out, "math: no arguments");
	*out = v[0];
	for (size_t k = 0; k < count; k++) {
		if (!num(&v[k]))
			return sg_cel_no_overload(run, out, "math", &v[k], NULL);
		memset(&lt, 0, sizeof(lt));
		if (sg_cel_equal(&v[k], out))
			continue;
		/* v[k] < out, by the evaluator's order through doubles and ints */
		if (v[k].type == out->type ? (v[k].type == SG_CEL_INT	 ? v[k].i < out->i
					      : v[k].type == SG_CEL_UINT ? v[k].u < out->u
									 : v[k].d < out->d)
					   : (v[k].type == SG_CEL_DOUBLE ? v[k].d
					      : v[k].type == SG_CEL_INT	 ? (double)v[k].i
									 : (double)v[k].u) <
						     (out->type == SG_CEL_DOUBLE ? out->d
						      : out->type == SG_CEL_INT	 ? (double)out->i
										 : (double)out->u))
			lt.b = true;
		if (lt.b == (n->fn == SG_CELF_MATH_LEAST))
			*out = v[k];
	}
}

/* A double in [0, 1) from the run's splitmix64 sequence. */
static double fn_random(struct sg_cel_run *run)
{
	uint64_t z = (run->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* s form-encoded at m (m NULL: only measured); its length. */
static size_t form_put(char *m, const struct sg_cel_val *s)
{
	size_t o = 0, n = sg_pct_len(s->s.p, s->s.n, SG_PCT_FORM);

	if (m)
		sg_pct_append(m, n + 1, &o, s->s.p, s->s.n, SG_PCT_FORM);
	return n;
}

/* One pair, or one per element of a list value; null values skipped.
 * Returns the bytes, or -1 for a value that is no string. */
static long form_pair(struct sg_cel_run *run, const struct sg_cel_val *k,
		      const struct sg_cel_val *v, char *m, bool *first)
{
	struct sg_cel_val s;
	size_t o = 0;

	if (v->type == SG_CEL_LIST) {
		for (size_t e = 0; e < v->list.n; e++) {
			long n = form_pair(run, k, &v->list.v[e], m ? m + o : NULL, first);

			if (n < 0)
				return -1;
			o += (size_t)n;
		}
		return (long)o;
	}
	if (v->type == SG_CEL_NULL)
		return 0;
	sg_celfn_string(run, v, &s);
	if (s.type != SG_CEL_STRING)
		return -1;
	if (!*first && m)
		m[o] = '&';
	o += !*first;
	*first = false;
	o += form_put(m ? m + o : NULL, k);
	if (m)
		m[o] = '=';
	o++;
	o += form_put(m ? m + o : NULL, &s);
	return (long)o;
}

/* form.encode(map): keys in sorted order, a list as repeated fields. */
static void fn_form_encode(struct sg_cel_run *run, const struct sg_cel_val *map,
			   struct sg_cel_val *out)
{
	const struct sg_cel_val **keys;
	size_t total = 0;
	bool first = true;
	char *m;

	if (map->type != SG_CEL_MAP)
		return sg_cel_no_overload(run, out, "form.encode", map, NULL);
	if (!(keys = sg_cel_alloc(run, map->list.n * sizeof(*keys) + 1)))
		return sg_cel_error(run, out, "the expression passed its bounds");
	for (size_t k = 0; k < map->list.n; k++) {
		keys[k] = &map->list.v[2 * k];
		if (!is_str(keys[k]))
			return sg_cel_error(run, out, "form.encode: keys must be strings");
	}
	qsort(keys, map->list.n, sizeof(*keys), key_cmp);
	for (size_t k = 0; k < map->list.n; k++) {
		long n = form_pair(run, keys[k], keys[k] + 1, NULL, &first);

		if (n < 0)
			return sg_cel_error(run, out, "form.encode: a value has no string form");
		total += (size_t)n;
	}
	if (!(m = buf(run, total, out)))
		return;
	first = true;
	total = 0;
	for (size_t k = 0; k < map->list.n; k++)
		total += (size_t)form_pair(run, keys[k], keys[k] + 1, m + total, &first);
	set_str(out, SG_CEL_STRING, m, total);
}

/* ---- the call ---------------------------------------------------------- */

static void fn_size(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out)
{
	if (v->type == SG_CEL_STRING)
		return set_int(out, SG_CEL_INT, (int64_t)cp_count(v->s.p, v->s.n));
	if (v->type == SG_CEL_BYTES)
		return set_int(out, SG_CEL_INT, (int64_t)v->s.n);
	if (v->type == SG_CEL_LIST || v->type == SG_CEL_MAP)
		return set_int(out, SG_CEL_INT, (int64_t)v->list.n);
	sg_cel_no_overload(run, out, "size", v, NULL);
}

static void fn_merge(struct sg_cel_run *run, const struct sg_cel_val *a, const struct sg_cel_val *b,
		     struct sg_cel_val *out)
{
	struct sg_cel_val *kv;
	size_t n = 0;

	if (a->type != SG_CEL_MAP || b->type != SG_CEL_MAP)
		return sg_cel_no_overload(run, out, "merge", a, b);
	if (!sg_cel_step(run, a->list.n * b->list.n) ||
	    !(kv = sg_cel_alloc(run, 2 * (a->list.n + b->list.n) * sizeof(*kv))))
		return sg_cel_error(run, out, "the expression passed its bounds");
	for (size_t k = 0; k < a->list.n; k++)
		if (!sg_cel_map_get(b, &a->list.v[2 * k])) {
			kv[2 * n] = a->list.v[2 * k];
			kv[2 * n++ + 1] = a->list.v[2 * k + 1];
		}
	memcpy(kv + 2 * n, b->list.v, 2 * b->list.n * sizeof(*kv));
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_MAP;
	out->list.v = kv;
	out->list.n = n + b->list.n;
}

/* Functions whose subject (receiver) and arguments are all strings. */
static bool wants_strings(uint8_t fn)
{
	return fn <= SG_CELF_STRIP_SUFFIX && fn != SG_CELF_SIZE && fn != SG_CELF_JOIN;
}

static bool string_args(const struct sg_cel_node *n, const struct sg_cel_val *args)
{
	uint32_t strs = n->nargs;

	/* indexOf, substring, split, replace, charAt take ints after */
	if (n->fn == SG_CELF_INDEX_OF || n->fn == SG_CELF_LAST_INDEX_OF || n->fn == SG_CELF_SPLIT)
		strs = 1;
	else if (n->fn == SG_CELF_REPLACE)
		strs = 2;
	else if (n->fn == SG_CELF_SUBSTRING || n->fn == SG_CELF_CHAR_AT)
		strs = 0;
	for (uint32_t k = 0; k < n->nargs; k++)
		if (k < strs ? !is_str(&args[k]) : args[k].type != SG_CEL_INT)
			return false;
	return true;
}

static void agentgateway_fn(struct sg_cel_run *run, const struct sg_cel_node *n,
			    const struct sg_cel_val *args, struct sg_cel_val *out)
{
	const struct sg_cel_val *a = &args[0];
	bool text = a->type == SG_CEL_STRING || a->type == SG_CEL_BYTES;

	switch (n->fn) {
	case SG_CELF_BASE64_ENCODE:
		return text ? base64_encode(run, a, out)
			    : sg_cel_no_overload(run, out, "base64.encode", a, NULL);
	case SG_CELF_BASE64_DECODE:
		if (!text || !base64_decode(run, a->s.p, a->s.n, out))
			sg_cel_error(run, out, "base64.decode: invalid base64");
		return;
	case SG_CELF_URL_ENCODE:
		return text ? url_encode(run, a, out)
			    : sg_cel_no_overload(run, out, "url.encode", a, NULL);
	case SG_CELF_URL_DECODE:
		return text ? url_decode(run, a, out)
			    : sg_cel_no_overload(run, out, "url.decode", a, NULL);
	case SG_CELF_JSON:
		return text ? fn_json(run, a->s.p, a->s.n, out)
			    : sg_cel_no_overload(run, out, "json", a, NULL);
	case SG_CELF_TO_JSON:
		return fn_to_json(run, a, out);
	case SG_CELF_UNVALIDATED_JWT_PAYLOAD:
		return is_str(a) ? fn_jwt_payload(run, a, out)
				 : sg_cel_no_overload(run, out, "unvalidatedJwtPayload", a, NULL);
	case SG_CELF_IS_IP: {
		uint8_t addr[16];
		bool v6;

		return is_str(a) ? set_bool(out, sg_celparse_ip(a->s.p, a->s.n, addr, &v6))
				 : sg_cel_no_overload(run, out, "isIP", a, NULL);
	}
	case SG_CELF_MATH_GREATEST:
	case SG_CELF_MATH_LEAST:
		return fn_extreme(run, n, args, out);
	case SG_CELF_MATH_ABS:
		if (a->type == SG_CEL_INT && a->i == INT64_MIN)
			return sg_cel_error(run, out, "integer overflow");
		if (a->type == SG_CEL_INT)
			return set_int(out, SG_CEL_INT, a->i < 0 ? -a->i : a->i);
		if (a->type == SG_CEL_DOUBLE)
			return set_double(out, fabs(a->d));
		if (a->type == SG_CEL_UINT) {
			*out = *a;
			return;
		}
		return sg_cel_no_overload(run, out, "math.abs", a, NULL);
	case SG_CELF_RANDOM:
		return set_double(out, fn_random(run));
	case SG_CELF_FORM_ENCODE:
		return fn_form_encode(run, a, out);
	case SG_CELF_FAIL:
		/* agentgateway's words (crates/celx/src/general.rs fail(): "fail()
		 * called: MSG", which its logs print within "Error executing
		 * function 'fail': ..."); fail() without a string says the
		 * first part alone. */
		if (n->nargs && is_str(a))
			return sg_cel_error(run, out, "fail() called: %.*s",
					    (int)(a->s.n > 120 ? 120 : a->s.n), a->s.p);
		return sg_cel_error(run, out, "fail() called");
	default:
		return conversion(run, n, a, out);
	}
}

void sg_celfn_call(struct sg_cel_run *run, const struct sg_cel_node *n,
		   const struct sg_cel_val *recv, const struct sg_cel_val *args,
		   struct sg_cel_val *out)
{
	if (wants_strings(n->fn) && (!is_str(recv) || !string_args(n, args)))
		return sg_cel_no_overload(run, out, "string function", recv,
					  n->nargs ? &args[0] : NULL);
	if (string_fn(run, n, recv, args, out))
		return;
	switch (n->fn) {
	case SG_CELF_SIZE:
		return fn_size(run, recv, out);
	case SG_CELF_MATCHES:
		sg_cel_step(run, recv->s.n * 4);
		return set_bool(out, sg_regex_find(n->re, recv->s.p, recv->s.n, 0, &(size_t){ 0 },
						   &(size_t){ 0 }));
	case SG_CELF_SUBSTRING:
		return fn_substring(run, recv, args, n->nargs, out);
	case SG_CELF_CHAR_AT: {
		struct sg_cel_val ab[2] = { args[0], args[0] };

		if (args[0].type == SG_CEL_INT && args[0].i < INT64_MAX)
			ab[1].i++;
		if (args[0].type == SG_CEL_INT &&
		    (uint64_t)args[0].i == cp_count(recv->s.p, recv->s.n))
			return set_str(out, SG_CEL_STRING, "", 0);
		return fn_substring(run, recv, ab, 2, out);
	}
	case SG_CELF_JOIN:
		if (n->nargs && !is_str(&args[0]))
			return sg_cel_no_overload(run, out, "join", &args[0], NULL);
		return fn_join(run, recv, n->nargs ? &args[0] : NULL, out);
	case SG_CELF_REGEX_REPLACE:
		if (!is_str(recv) || !is_str(&args[1]))
			return sg_cel_no_overload(run, out, "regexReplace", recv, &args[1]);
		return fn_regex_replace(run, n, recv, &args[1], out);
	case SG_CELF_UNREDACTED:
		sg_cel_unredacted(run, recv, out);
		return;
	case SG_CELF_MERGE:
		return fn_merge(run, recv, &args[0], out);
	case SG_CELF_CIDR_CONTAINS_IP:
		return fn_contains_ip(run, n, &args[0], out);
	default:
		break;
	}
	if (n->fn >= SG_CELF_GET_FULL_YEAR && n->fn <= SG_CELF_GET_MILLISECONDS)
		return time_part(run, n, recv, out);
	agentgateway_fn(run, n, args, out);
}

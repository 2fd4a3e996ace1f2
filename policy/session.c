/* Session persistence's values, cookies and expiry (policy/session.h). */
#include "policy/session.h"

#include <stdio.h>
#include <string.h>

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV64_PRIME;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	/* The NUL goes in too: "ab"+"c" and "a"+"bc" differ. */
	return fnv(h, s ? s : "", strlen(s ? s : "") + 1);
}

static uint64_t fnv_u16(uint64_t h, uint16_t v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	return fnv(h, b, sizeof(b));
}

/* SplitMix64's finalizer: FNV's low bits are weak, a session id's whole
 * width should mean something. */
static uint64_t mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t sg_session_id(const struct sg_backend_ref *b, const struct sg_endpoint *ep)
{
	uint64_t h = FNV64_OFFSET;

	if (b->kind == SG_BREF_SERVICE && b->svc) {
		h = fnv_str(h, "service");
		h = fnv_str(h, b->svc->ns);
		h = fnv_str(h, b->svc->name);
		h = fnv_u16(h, b->port);
	} else {
		h = fnv_str(h, "host");
		h = fnv_str(h, b->host);
	}
	h = fnv_str(h, ep->addr);
	h = mix(fnv_u16(h, ep->port));
	return h ? h : 1;
}

size_t sg_session_format(const struct sg_session_token *t, char out[SG_SESSION_VALUE_MAX])
{
	int n = snprintf(out, SG_SESSION_VALUE_MAX, "%016llx.%llx.%llx", (unsigned long long)t->id,
			 (unsigned long long)t->issued, (unsigned long long)t->seen);

	return n > 0 ? (size_t)n : 0;
}

/* Lowercase hex digits at v[*i..): at least 1, at most max, exactly
 * `exact` when it is not 0 (else without a leading zero); stops at '.' or
 * the end. */
static bool hex_field(const char *v, size_t len, size_t *i, size_t max, size_t exact, uint64_t *out)
{
	size_t start = *i;
	uint64_t x = 0;

	for (; *i < len && v[*i] != '.'; (*i)++) {
		char ch = v[*i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return false;
		if (*i - start >= max)
			return false;
		x = x << 4 | d;
	}
	if (*i == start || (exact && *i - start != exact))
		return false;
	/* One spelling per number: no leading zero where the width is free. */
	if (!exact && *i - start > 1 && v[start] == '0')
		return false;
	*out = x;
	return true;
}

bool sg_session_parse(const char *v, size_t len, struct sg_session_token *t)
{
	size_t i = 0;

	if (!hex_field(v, len, &i, 16, 16, &t->id) || i >= len || v[i++] != '.')
		return false;
	if (!hex_field(v, len, &i, 16, 0, &t->issued) || i >= len || v[i++] != '.')
		return false;
	if (!hex_field(v, len, &i, 16, 0, &t->seen) || i != len)
		return false;
	return t->id != 0 && t->seen >= t->issued;
}

/* Whether `at` plus timeout d (ns) has passed at now (ms), or at lies
 * beyond the skew ahead of now. */
static bool passed(sg_dur d, uint64_t at, uint64_t now)
{
	uint64_t ms;

	if (at > now + SG_SESSION_SKEW_MS)
		return true;
	if (d == SG_DUR_UNSET || d <= 0 || at >= now)
		return false;
	ms = sg_dur_to_ms_ceil(d);
	return now - at >= ms;
}

bool sg_session_live(const struct sg_session *s, const struct sg_session_token *t, uint64_t now_ms)
{
	return !passed(s->absolute, t->issued, now_ms) && !passed(s->idle, t->seen, now_ms);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

bool sg_session_cookie(const char *hdr, size_t len, const char *name, const char **v, size_t *vlen)
{
	size_t nlen = strlen(name), i = 0;

	while (i < len) {
		size_t end = i, eq, vs, ve;

		while (end < len && hdr[end] != ';')
			end++;
		while (i < end && blank(hdr[i]))
			i++;
		for (eq = i; eq < end && hdr[eq] != '='; eq++)
			;
		if (eq < end && eq - i == nlen && !memcmp(hdr + i, name, nlen)) {
			vs = eq + 1;
			ve = end;
			while (ve > vs && blank(hdr[ve - 1]))
				ve--;
			if (ve - vs >= 2 && hdr[vs] == '"' && hdr[ve - 1] == '"') {
				vs++;
				ve--;
			}
			*v = hdr + vs;
			*vlen = ve - vs;
			return true;
		}
		i = end + 1;
	}
	return false;
}

ssize_t sg_session_set_cookie(const struct sg_session *s, const char *val, size_t len, bool secure,
			      char *out, size_t cap)
{
	char age[40] = "";
	int n;

	if (s->permanent && s->absolute > 0) {
		unsigned long long secs = (unsigned long long)(s->absolute / 1000000000);

		snprintf(age, sizeof(age), "; Max-Age=%llu", secs ? secs : 1);
	}
	if (len > (size_t)0x7fffffff)
		return -1;
	n = snprintf(out, cap, "%s=%.*s; Path=%s%s; HttpOnly; SameSite=Strict%s", s->name, (int)len,
		     val, s->path ? s->path : "/", age, secure ? "; Secure" : "");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Config regexes: POSIX ERE through <regex.h>, compiled at load so the data
 * path only runs regexec. What this module compiles, sg_cfg_free() frees
 * (config/cfg.c, the one other file that includes <regex.h>). */
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/regex.h"

#define RE_FLAGS (REG_EXTENDED | REG_NOSUB)

/* What `re` holds after a failed compile: the match is remembered as done,
 * so one shared by several routes (an HTTPRoute with several parents) is
 * reported once. Such a config is never returned by the loader. */
static const char failed;

/* Skip a bracket expression starting at p[i] == '['; returns the index of
 * its closing ']' (or the end). Backslash is literal inside brackets, and
 * "[:alpha:]", "[.x.]", "[=x=]" may contain ']'. */
static size_t skip_bracket(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++; /* a leading ']' is a member, not the end */
	while (p[i] && p[i] != ']') {
		char kind = p[i + 1];

		if (p[i] == '[' && (kind == ':' || kind == '.' || kind == '=')) {
			const char *end = p + i + 2;

			while (*end && !(end[0] == kind && end[1] == ']'))
				end++;
			i = *end ? (size_t)(end - p) + 2 : (size_t)(end - p);
			continue;
		}
		i++;
	}
	return i;
}

/* POSIX leaves an unmatched ')' to the implementation and glibc takes it
 * as a literal; inside "^(...)$" it would close our group early and undo
 * the anchoring ("a)|b" -> "^(a)|b)$" matches "ax"). So refuse it. */
static bool parens_balanced(const char *p)
{
	size_t depth = 0;

	for (size_t i = 0; p[i]; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[')
			i = skip_bracket(p, i);
		else if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && depth-- == 0)
			return false;
		if (!p[i])
			break;
	}
	return true;
}

/* glibc's regcomp copies an atom once per repetition it may take ("x+" is
 * "xx*", "x{1,3}" is "x(x(x)?)?") before it builds its automaton, so
 * stacked or nested repetitions grow exponentially: "a+" with 20 more '+'
 * takes seconds and hundreds of MiB, a few more take the machine down.
 * A loop or option over a group costs too: the epsilon closures of nested
 * ones grow faster than their size ("((a*)*){1000}" took 28 s, fuzz_cel
 * found such a one), so '*' and '?' after a group count four times what
 * they repeat (then "((a*)*){200}", the most of that shape allowed, takes
 * 0.35 s). Patterns are refused when that expansion exceeds
 * REGEX_MAX_COST atoms; "a{1,2000}" alone compiles in ~50 ms and 32 MiB. */
#define REGEX_MAX_COST SG_REGEX_MAX_COST
#define REGEX_MAX_NEST 32

static uint64_t cost_clamp(uint64_t v)
{
	return v > REGEX_MAX_COST ? REGEX_MAX_COST + 1 : v;
}

/* The copies "{n}", "{n,}", "{,m}" or "{n,m}" at p[i] == '{' make of the
 * atom before it (at least 1), with *end at its '}'; 0 when p[i] starts no
 * bound (glibc then reads '{' as a literal or reports the syntax). */
static uint64_t bound_copies(const char *p, size_t i, size_t *end)
{
	uint64_t n = 0, m = 0;
	bool comma = false;

	for (i++; p[i] != '}'; i++) {
		if (p[i] == ',' && !comma)
			comma = true;
		else if (p[i] >= '0' && p[i] <= '9' && comma)
			m = cost_clamp(m * 10 + (uint64_t)(p[i] - '0'));
		else if (p[i] >= '0' && p[i] <= '9')
			n = cost_clamp(n * 10 + (uint64_t)(p[i] - '0'));
		else
			return 0;
	}
	*end = i;
	return m > n ? m : n ? n : 1;
}

/* An upper bound on the atoms regcomp expands `p` into, clamped just past
 * REGEX_MAX_COST. Alternatives add, repetitions multiply what they repeat. */
static uint64_t regex_cost(const char *p)
{
	bool group = false; /* the atom a repetition would apply to is a group */
	struct {
		uint64_t total; /* complete atoms of the group so far */
		uint64_t last;	/* the atom a repetition would apply to */
	} g[REGEX_MAX_NEST + 1] = { 0 };
	size_t depth = 0, end;
	uint64_t sum = 0;

	for (size_t i = 0; p[i]; i++) {
		uint64_t atom = 1, times = 0;
		bool closes = false;

		switch (p[i]) {
		case '(':
			if (++depth > REGEX_MAX_NEST)
				return REGEX_MAX_COST + 1;
			g[depth].total = g[depth].last = 0;
			group = false;
			continue;
		case ')':
			if (!depth)
				break; /* a literal, refused by parens_balanced() */
			atom = cost_clamp(g[depth].total + g[depth].last + 1);
			depth--;
			closes = true;
			break;
		case '|':
			g[depth].total = cost_clamp(g[depth].total + g[depth].last);
			g[depth].last = 0;
			group = false;
			continue;
		case '*':
		case '?':
			if (!group)
				continue; /* a loop or an option of one atom: no copy */
			times = 4;
			break;
		case '+':
			times = group ? 8 : 2; /* a copy, then a loop of it */
			break;
		case '{':
			times = bound_copies(p, i, &end);
			if (times)
				i = end;
			break;
		case '\\':
			if (p[i + 1])
				i++;
			break;
		case '[':
			i = skip_bracket(p, i);
			break;
		}
		if (times) {
			g[depth].last = cost_clamp(g[depth].last * times);
		} else {
			g[depth].total = cost_clamp(g[depth].total + g[depth].last);
			g[depth].last = atom;
			group = closes;
		}
		if (!p[i])
			break;
	}
	for (size_t k = 0; k <= depth; k++)
		sum = cost_clamp(sum + g[k].total + g[k].last);
	return sum;
}

/* Where the pattern's capturing groups 1.. stand among ERE's groups
 * ("(?:" is one there too): posix[k] is the ERE group of group k + 1. */
struct groups {
	uint8_t posix[SG_REGEX_GROUPS];
	size_t n;
};

/* One pattern of sg_regex_new: compiled, and its groups. */
struct one {
	regex_t re;
	struct groups g;
};

/* Patterns are written for agentgateway, whose Rust regex crate reads
 * Perl-style classes that POSIX ERE lacks; glibc takes an unknown escape
 * as the letter itself ("\d+" would match "ddd"). So the pattern is
 * translated first: \d and \D (inside brackets \d, \w and \s too),
 * "(?:" as "(", a leading "(?i)" as a case-insensitive match, \t \n \r
 * \f \v as those characters, "." as any byte but a newline, lazy "*?"
 * "+?" "??" as greedy; glibc's own
 * \w \W \s \S \b \B pass; any other letter escaped, and other "(?"
 * groups, are refused by name. Returns the translation (malloc'd: the
 * caller frees it) and the regcomp flags, or NULL with why. */
static char *translate(const char *p, int *flags, struct groups *g, char *why, size_t whylen)
{
	size_t len = strlen(p), o = 0, posix = 0;
	/* "[0-9A-Za-z_]" is the longest a two-byte escape becomes. */
	char *out = malloc(len * 6 + 1);
	bool in_bracket = false;

	if (!out) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	*flags = RE_FLAGS;
	if (!strncmp(p, "(?i)", 4)) {
		*flags |= REG_ICASE;
		p += 4;
	}
	for (size_t i = 0; p[i]; i++) {
		const char *put = NULL;
		char c = p[i + 1];

		if (in_bracket) {
			if (p[i] == ']' && !(i > 0 && p[i - 1] == '[') &&
			    !(i > 1 && p[i - 1] == '^' && p[i - 2] == '['))
				in_bracket = false;
			else if (p[i] == '\\' && (c == 'd' || c == 'w' || c == 's')) {
				put = c == 'd' ? "0-9" : c == 'w' ? "0-9A-Za-z_" : "[:space:]";
				i++;
			} else if (p[i] == '\\' && (c == 'D' || c == 'W' || c == 'S')) {
				snprintf(why, whylen, "\\%c inside brackets is not supported", c);
				free(out);
				return NULL;
			}
		} else if (p[i] == '[') {
			in_bracket = true;
		} else if ((p[i] == '*' || p[i] == '+' || p[i] == '?') && c == '?') {
			/* Lazy: for a whole-string match, the greedy answer
			 * ("a+?" in ERE would be "(a+)?"). */
			out[o++] = p[i++];
			continue;
		} else if (p[i] == '\\' && c >= '0' && c <= '9') {
			/* A backreference, which RE2 and Rust's regex (agentgateway's)
			 * lack, and which glibc's matcher can recurse on without bound
			 * ("(|)(\\1\\1)*" overflows its stack). */
			snprintf(why, whylen, "backreferences (\\%c) are not supported", c);
			free(out);
			return NULL;
		} else if (p[i] == '.') {
			/* Rust's and RE2's "." is any character but a newline
			 * (ERE's takes a newline, and no NUL). */
			put = "[^\n]";
		} else if (p[i] == '(' && c != '?') {
			/* a capturing group: the pattern's next, ERE's next */
			if (g && g->n < SG_REGEX_GROUPS && posix < 255)
				g->posix[g->n++] = (uint8_t)(posix + 1);
			posix++;
		} else if (p[i] == '(' && c == '?') {
			posix++; /* "(?:" is a group in ERE all the same */
			if (p[i + 2] != ':') {
				snprintf(why, whylen,
					 "\"(?\" groups other than \"(?:\" and a leading \"(?i)\" "
					 "are not supported");
				free(out);
				return NULL;
			}
			put = "(";
			i += 2;
		} else if (p[i] == '\\' && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
			   !strchr("wWsSbB", c)) { /* glibc's own pass as they are */
			static const char ctl[] = "tnrfv";
			static const char *const ctlv[] = { "\t", "\n", "\r", "\f", "\v" };

			if (c == 'd' || c == 'D') {
				put = c == 'd' ? "[0-9]" : "[^0-9]";
			} else if (strchr(ctl, c)) {
				put = ctlv[strchr(ctl, c) - ctl];
			} else {
				snprintf(why, whylen, "the escape \\%c is not supported", c);
				free(out);
				return NULL;
			}
			i++;
		}
		if (put) {
			memcpy(out + o, put, strlen(put));
			o += strlen(put);
			continue;
		}
		out[o++] = p[i];
		if (p[i] == '\\' && c && !in_bracket)
			out[o++] = p[++i];
	}
	out[o] = '\0';
	return out;
}

static int invalid(struct sg_diag *d, const char *pat, const struct sg_node *at, const char *key,
		   const char *why)
{
	sg_diag_err(d, at, "%s: expected a valid regular expression, got \"%s\" (%s)",
		    key ? key : "regex", pat, why);
	return -EINVAL;
}

/* The translated pattern `ere` on its own, so errors describe what the
 * user wrote (`pat`). */
static int check(struct sg_diag *d, const char *pat, const char *ere, int flags,
		 const struct sg_node *at, const char *key)
{
	regex_t tmp;
	char why[128];
	int err;

	if (regex_cost(ere) > REGEX_MAX_COST) {
		snprintf(why, sizeof(why), "repetitions expand it past %d elements",
			 REGEX_MAX_COST);
		return invalid(d, pat, at, key, why);
	}
	err = regcomp(&tmp, ere, flags);
	if (err) {
		regerror(err, &tmp, why, sizeof(why));
		return invalid(d, pat, at, key, why);
	}
	regfree(&tmp);
	if (!parens_balanced(ere))
		return invalid(d, pat, at, key, "Unmatched ) or \\)");
	return 0;
}

static int compile(struct sg_cfg *cfg, struct sg_diag *d, const char *pat, const void **out,
		   const struct sg_node *at, const char *key)
{
	void **slot;
	regex_t *re;
	char *anchored, *ere, why[128];
	int err, flags;

	if (*out)
		return 0;
	*out = &failed;
	if (!pat)
		pat = "";
	ere = translate(pat, &flags, NULL, why, sizeof(why));
	if (!ere)
		return invalid(d, pat, at, key, why);
	err = check(d, pat, ere, flags, at, key);
	if (err) {
		free(ere);
		return err;
	}
	/* Reserve the list slot first: once regcomp succeeds it must be
	 * recorded, or its memory would leak. */
	slot = sg_arena_push(&cfg->arena, &cfg->regexes, &cfg->nregexes, &cfg->capregexes,
			     sizeof(*slot));
	re = sg_arena_alloc(&cfg->arena, sizeof(*re));
	anchored = sg_arena_printf(&cfg->arena, "^(%s)$", ere);
	free(ere);
	if (!slot || !re || !anchored) {
		if (slot)
			cfg->nregexes--;
		sg_diag_err(d, at, "%s: out of memory", key ? key : "regex");
		return -ENOMEM;
	}
	err = regcomp(re, anchored, flags);
	if (err) {
		cfg->nregexes--;
		regerror(err, re, why, sizeof(why));
		return invalid(d, pat, at, key, why);
	}
	*slot = re;
	*out = re;
	return 0;
}

/* Keeps the first error code but goes on, so that one load reports every
 * bad expression. */
static void keep(int *ret, int err)
{
	if (err && !*ret)
		*ret = err;
}

static void compile_kvs(struct sg_cfg *cfg, struct sg_diag *d, struct sg_kv_match *kvs, size_t n,
			int *ret)
{
	for (size_t i = 0; i < n; i++)
		if (kvs[i].regex)
			keep(ret, compile(cfg, d, kvs[i].value, &kvs[i].re, kvs[i].re_at,
					  kvs[i].re_key));
}

static void compile_route(struct sg_cfg *cfg, struct sg_diag *d, struct sg_route *r, int *ret)
{
	for (size_t i = 0; i < r->nmatches; i++) {
		struct sg_match *m = &r->matches[i];

		if (m->path_kind == SG_PATH_REGEX)
			keep(ret, compile(cfg, d, m->path, &m->re, m->re_at, m->re_key));
		compile_kvs(cfg, d, m->headers, m->nheaders, ret);
		compile_kvs(cfg, d, m->query, m->nquery, ret);
	}
}

int sg_regex_compile_all(struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t b = 0; b < cfg->nbinds; b++) {
		struct sg_bind *bind = &cfg->binds[b];

		for (size_t l = 0; l < bind->nlisteners; l++) {
			struct sg_listener *lis = &bind->listeners[l];

			for (size_t r = 0; r < lis->nroutes; r++)
				compile_route(cfg, d, &lis->routes[r], &ret);
		}
	}
	/* a route group's copies share their matches with these */
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t r = 0; r < cfg->groups[g].nroutes; r++)
			compile_route(cfg, d, &cfg->groups[g].routes[r], &ret);
	return ret;
}

/* regexec wants a C string. REG_STARTEND would avoid the copy, but
 * sanitizer runtimes (and some libcs) still strlen() the input, reading
 * past the span, so the value is copied and terminated. A value with a
 * NUL in it (a query parameter's %00, decoded) never matches: regexec
 * would read it only to the NUL, and "2%00x" would match [0-9] whole. */
bool sg_regex_match(const void *re, const char *s, size_t len)
{
	char stack[1024], *buf = stack;
	bool ok;

	if (!re || re == &failed || (s && memchr(s, '\0', len)))
		return false;
	if (len >= sizeof(stack) && !(buf = malloc(len + 1)))
		return false;
	memcpy(buf, s ? s : "", s ? len : 0);
	buf[s ? len : 0] = '\0';
	ok = regexec(re, buf, 0, NULL, 0) == 0;
	if (buf != stack)
		free(buf);
	return ok;
}

void *sg_regex_new(const char *pat, uint64_t *budget, char *why, size_t whylen)
{
	int flags, err;
	struct one *re = calloc(1, sizeof(*re));
	char *ere = re ? translate(pat, &flags, &re->g, why, whylen) : NULL;
	uint64_t cost, left = budget ? *budget : REGEX_MAX_COST;

	if (!re)
		snprintf(why, whylen, "out of memory");
	if (!ere) {
		free(re);
		return NULL;
	}
	flags &= ~REG_NOSUB;
	cost = regex_cost(ere);
	if (cost > left || !parens_balanced(ere)) {
		snprintf(why, whylen, "%s",
			 !parens_balanced(ere) ? "Unmatched )"
			 : cost <= REGEX_MAX_COST
				 ? "repetitions expand it, with the other patterns of its "
				   "expression, too far"
				 : "repetitions expand it too far");
		free(ere);
		free(re);
		return NULL;
	}
	if (budget)
		*budget -= cost;
	err = regcomp(&re->re, ere, flags);
	free(ere);
	if (err) {
		regerror(err, &re->re, why, whylen);
		free(re);
		return NULL;
	}
	return re;
}

void sg_regex_free(void *re)
{
	struct one *o = re;

	if (!o)
		return;
	regfree(&o->re);
	free(o);
}

/* The first match in s[0..len) from `from`, its ERE groups 0..nm into
 * m[]. */
static bool search(const struct one *re, const char *s, size_t len, size_t from, regmatch_t *m,
		   size_t nm)
{
	char stack[1024], *buf = stack;
	bool ok;

	if (from > len)
		return false;
	if (len >= sizeof(stack) && !(buf = malloc(len + 1)))
		return false;
	memcpy(buf, s ? s : "", s ? len : 0);
	buf[s ? len : 0] = '\0';
	/* REG_STARTEND (glibc's, BSD's): the span is searched whole, a NUL
	 * byte in it as any other (a CEL string may hold one), and the offsets
	 * come back from buf. */
	m[0].rm_so = (regoff_t)from;
	m[0].rm_eo = (regoff_t)len;
	ok = regexec(&re->re, buf, nm, m, REG_STARTEND | (from ? REG_NOTBOL : 0)) == 0;
	if (buf != stack)
		free(buf);
	return ok;
}

bool sg_regex_find(const void *re, const char *s, size_t len, size_t from, size_t *so, size_t *eo)
{
	regmatch_t m[1];

	if (!search(re, s, len, from, m, 1))
		return false;
	*so = (size_t)m[0].rm_so;
	*eo = (size_t)m[0].rm_eo;
	return true;
}

bool sg_regex_find_groups(const void *re, const char *s, size_t len, size_t g[][2], size_t n)
{
	const struct one *o = re;
	regmatch_t m[256];
	size_t nm = 1;

	for (size_t k = 0; k < o->g.n; k++)
		if ((size_t)o->g.posix[k] + 1 > nm)
			nm = (size_t)o->g.posix[k] + 1;
	if (!search(o, s, len, 0, m, nm))
		return false;
	for (size_t k = 0; k < n; k++) {
		size_t e = !k ? 0 : k <= o->g.n ? o->g.posix[k - 1] : 0;
		bool set = (!k || e) && m[e].rm_so >= 0;

		g[k][0] = set ? (size_t)m[e].rm_so : SIZE_MAX;
		g[k][1] = set ? (size_t)m[e].rm_eo : SIZE_MAX;
	}
	return true;
}

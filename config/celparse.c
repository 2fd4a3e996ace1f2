/* CEL's text to a checked tree (cel-spec's langdef.md grammar): a lexer,
 * a recursive-descent parser with one function per precedence level, and
 * a checker that resolves every name once, at load. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/celparse.h"
#include "config/hex.h"
#include "config/regex.h"
#include "config/utf8.h"

enum tok {
	T_EOF,
	T_INT,
	T_UINT,
	T_DOUBLE,
	T_STRING,
	T_BYTES,
	T_IDENT,
	T_TRUE,
	T_FALSE,
	T_NULL,
	T_IN,
	T_EQ, /* == */
	T_NE,
	T_LE,
	T_GE,
	T_AND,
	T_OR,
	T_PUNCT, /* one character: tc */
};

struct parser {
	struct sg_cel *e;
	struct sg_cel_err *err;
	const char *src;
	size_t pos;
	/* The current token. */
	enum tok tok;
	char tc;
	size_t start;
	uint64_t mag; /* T_INT, T_UINT */
	double d;
	const char *s; /* T_STRING, T_BYTES, T_IDENT: decoded */
	size_t n;
	bool reserved; /* T_IDENT: a word reserved as a name ("if"), not as a field */
	int depth;
	int nomem;
	/* The checker's comprehension variables, innermost last. */
	const char *scope[16];
	int nscope;
	uint64_t regex_budget; /* what the expression's patterns may still cost */
};

static struct sg_cel_node *fail(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct sg_cel_node *fail(struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (p->err->msg[0])
		return NULL;
	p->err->col = (unsigned)at + 1;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return NULL;
}

/* fail() for the lexer, whose functions return -1. */
static int lerr(struct parser *p, size_t at, const char *msg)
{
	fail(p, at, "%s", msg);
	return -1;
}

static void *alloc(struct parser *p, size_t n)
{
	void *m = sg_arena_alloc(&p->e->arena, n);

	if (!m && !p->nomem) {
		p->nomem = 1;
		fail(p, p->start, "out of memory");
	}
	return m;
}

/* ---- lexer -------------------------------------------------------------- */

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape at src[*i] (just past the backslash) into o; returns the
 * bytes written, or -1 (error set). */
static int escape(struct parser *p, size_t *i, char *o, bool bytes)
{
	const char *s = p->src;
	char c = s[*i];
	static const char from[] = "abfnrtv\\'\"`?", to[] = "\a\b\f\n\r\t\v\\'\"`?";
	uint32_t cp = 0;
	int digits;

	if (c && strchr(from, c)) {
		*o = to[strchr(from, c) - from];
		(*i)++;
		return 1;
	}
	if (c >= '0' && c <= '3') {
		for (int k = 0; k < 3; k++) {
			if (s[*i + (size_t)k] < '0' || s[*i + (size_t)k] > '7') {
				fail(p, *i, "invalid octal escape");
				return -1;
			}
			cp = cp * 8 + (uint32_t)(s[*i + (size_t)k] - '0');
		}
		*i += 3;
	} else if (c == 'x' || c == 'X' || c == 'u' || c == 'U') {
		digits = c == 'x' || c == 'X' ? 2 : c == 'u' ? 4 : 8;
		if (bytes && digits > 2) {
			fail(p, *i, "\\%c escapes are for strings, not bytes", c);
			return -1;
		}
		for (int k = 1; k <= digits; k++) {
			int h = sg_hex_digit(s[*i + (size_t)k]);

			if (h < 0) {
				fail(p, *i, "invalid \\%c escape", c);
				return -1;
			}
			cp = cp * 16 + (uint32_t)h;
		}
		*i += (size_t)digits + 1;
	} else {
		fail(p, *i - 1, "invalid escape sequence");
		return -1;
	}
	if (bytes) {
		*o = (char)cp;
		return 1;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		fail(p, *i - 1, "invalid code point in escape");
		return -1;
	}
	return (int)put_utf8(o, cp);
}

/* A quoted literal at p->pos (after its prefix letters). */
static int lex_quoted(struct parser *p, bool raw, bool bytes)
{
	const char *s = p->src;
	char q = s[p->pos];
	bool triple = s[p->pos + 1] == q && s[p->pos + 2] == q;
	size_t i = p->pos + (triple ? 3 : 1), o = 0;
	char *out = alloc(p, strlen(s + i) * 4 + 1);

	if (!out)
		return -1;
	for (;;) {
		if (!s[i])
			return lerr(p, p->start, "unterminated string literal");
		if (triple ? s[i] == q && s[i + 1] == q && s[i + 2] == q : s[i] == q)
			break;
		if (!triple && (s[i] == '\n' || s[i] == '\r'))
			return lerr(p, i, "newline in a string literal");
		if (s[i] == '\\' && !raw) {
			int k;

			i++;
			k = escape(p, &i, out + o, bytes);
			if (k < 0)
				return -1;
			o += (size_t)k;
			continue;
		}
		if (!bytes && (unsigned char)s[i] >= 0x80) {
			size_t k = sg_utf8_len(s + i, strlen(s + i));

			if (!k)
				return lerr(p, i, "invalid UTF-8 in a string literal");
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
	p->pos = i + (triple ? 3 : 1);
	p->s = out;
	p->n = o;
	p->tok = bytes ? T_BYTES : T_STRING;
	return 0;
}

static int lex_number(struct parser *p)
{
	const char *s = p->src + p->pos;
	size_t i = 0;
	bool flt = false;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; sg_hex_digit(s[i]) >= 0; i++) {
			if (v > UINT64_MAX / 16)
				return lerr(p, p->start, "integer literal out of range");
			v = v * 16 + (uint64_t)sg_hex_digit(s[i]);
		}
		if (i == 2)
			return lerr(p, p->start, "invalid hex literal");
	} else {
		while (is_digit(s[i]))
			i++;
		if (s[i] == '.' && is_digit(s[i + 1])) {
			flt = true;
			for (i++; is_digit(s[i]); i++)
				;
		}
		if (s[i] == 'e' || s[i] == 'E') {
			size_t j = i + 1;

			if (s[j] == '+' || s[j] == '-')
				j++;
			if (is_digit(s[j])) {
				flt = true;
				for (i = j; is_digit(s[i]); i++)
					;
			}
		}
		if (flt) {
			char buf[64];

			if (i >= sizeof(buf))
				return lerr(p, p->start, "number literal too long");
			memcpy(buf, s, i);
			buf[i] = '\0';
			p->d = strtod(buf, NULL);
			p->tok = T_DOUBLE;
			p->pos += i;
			return 0;
		}
		for (size_t k = 0; k < i; k++) {
			if (v > (UINT64_MAX - (uint64_t)(s[k] - '0')) / 10)
				return lerr(p, p->start, "integer literal out of range");
			v = v * 10 + (uint64_t)(s[k] - '0');
		}
	}
	p->tok = T_INT;
	if (s[i] == 'u' || s[i] == 'U') {
		p->tok = T_UINT;
		i++;
	}
	if (is_ident_start(s[i]) || is_digit(s[i]))
		return lerr(p, p->start, "invalid number literal");
	p->mag = v;
	p->pos += i;
	return 0;
}

static const char *const reserved[] = { "as",	"break",    "const",	 "continue", "else",
					"for",	"function", "if",	 "import",   "let",
					"loop", "package",  "namespace", "return",   "var",
					"void", "while",    NULL };

static int lex_word(struct parser *p)
{
	const char *s = p->src + p->pos;
	size_t n = 0;
	bool raw = false, bytes = false;

	while (is_ident_start(s[n]) || is_digit(s[n]))
		n++;
	/* r"..", b"..", rb"..", br"..": a literal's prefix */
	if (n <= 2 && (s[n] == '"' || s[n] == '\'')) {
		bool ok = true;

		for (size_t k = 0; k < n; k++) {
			if ((s[k] == 'r' || s[k] == 'R') && !raw)
				raw = true;
			else if ((s[k] == 'b' || s[k] == 'B') && !bytes)
				bytes = true;
			else
				ok = false;
		}
		if (ok) {
			p->pos += n;
			return lex_quoted(p, raw, bytes);
		}
	}
	p->pos += n;
	p->s = s;
	p->n = n;
	p->tok = T_IDENT;
	if (n == 4 && !strncmp(s, "true", 4))
		p->tok = T_TRUE;
	else if (n == 5 && !strncmp(s, "false", 5))
		p->tok = T_FALSE;
	else if (n == 4 && !strncmp(s, "null", 4))
		p->tok = T_NULL;
	else if (n == 2 && !strncmp(s, "in", 2))
		p->tok = T_IN;
	p->reserved = false;
	for (size_t k = 0; reserved[k]; k++)
		if (strlen(reserved[k]) == n && !strncmp(s, reserved[k], n))
			p->reserved = true;
	return 0;
}

static int next(struct parser *p)
{
	static const struct {
		char a, b;
		enum tok t;
	} two[] = { { '=', '=', T_EQ }, { '!', '=', T_NE },  { '<', '=', T_LE },
		    { '>', '=', T_GE }, { '&', '&', T_AND }, { '|', '|', T_OR } };
	const char *s = p->src;

	for (;;) {
		while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' ||
		       s[p->pos] == '\r' || s[p->pos] == '\f')
			p->pos++;
		if (s[p->pos] == '/' && s[p->pos + 1] == '/') {
			while (s[p->pos] && s[p->pos] != '\n')
				p->pos++;
			continue;
		}
		break;
	}
	p->start = p->pos;
	if (!s[p->pos]) {
		p->tok = T_EOF;
		return 0;
	}
	if (is_digit(s[p->pos]) || (s[p->pos] == '.' && is_digit(s[p->pos + 1])))
		return lex_number(p);
	if (is_ident_start(s[p->pos]))
		return lex_word(p);
	if (s[p->pos] == '"' || s[p->pos] == '\'')
		return lex_quoted(p, false, false);
	for (size_t k = 0; k < sizeof(two) / sizeof(two[0]); k++)
		if (s[p->pos] == two[k].a && s[p->pos + 1] == two[k].b) {
			p->tok = two[k].t;
			p->pos += 2;
			return 0;
		}
	if (strchr("+-*/%<>!?:.,()[]{}", s[p->pos])) {
		p->tok = T_PUNCT;
		p->tc = s[p->pos++];
		return 0;
	}
	fail(p, p->pos, "unexpected character '%c'", s[p->pos]);
	return -1;
}

static bool punct(struct parser *p, char c)
{
	return p->tok == T_PUNCT && p->tc == c;
}

static int expect(struct parser *p, char c)
{
	if (!punct(p, c)) {
		fail(p, p->start, "expected '%c'", c);
		return -1;
	}
	return next(p);
}

/* ---- parser ------------------------------------------------------------- */

static struct sg_cel_node *node(struct parser *p, enum sg_cel_kind k, size_t at)
{
	struct sg_cel_node *n = alloc(p, sizeof(*n));

	if (n) {
		n->kind = k;
		n->col = (unsigned)at + 1;
		n->height = 1;
	}
	return n;
}

/* n's height from its children's, bounded so that checking and
 * evaluating (both recursive) stay within a small stack. */
static struct sg_cel_node *grow(struct parser *p, struct sg_cel_node *n)
{
	const struct sg_cel_node *kids[3] = { n->a, n->b, n->c };
	unsigned h = 0;

	for (int k = 0; k < 3; k++)
		if (kids[k] && kids[k]->height > h)
			h = kids[k]->height;
	for (uint32_t k = 0; k < n->nargs; k++)
		if (n->args[k]->height > h)
			h = n->args[k]->height;
	if (h + 1 > SG_CEL_MAX_HEIGHT)
		return fail(p, n->col - 1, "the expression nests more than %d deep",
			    SG_CEL_MAX_HEIGHT);
	n->height = (uint16_t)(h + 1);
	return n;
}

static struct sg_cel_node *expr(struct parser *p);

/* "(a, b, c)" or "[a, b]" after the opening one, up to `close`. */
static int exprlist(struct parser *p, char close, bool pairs, struct sg_cel_node ***out,
		    uint32_t *n)
{
	size_t cap = 0;

	*n = 0;
	while (!punct(p, close)) {
		struct sg_cel_node *x = expr(p), **grown;

		if (!x)
			return -1;
		if (*n + 2 > cap) {
			cap = cap ? cap * 2 : 4;
			grown = alloc(p, cap * sizeof(*grown));
			if (!grown)
				return -1;
			if (*n)
				memcpy(grown, *out, *n * sizeof(*grown));
			*out = grown;
		}
		(*out)[(*n)++] = x;
		if (pairs) {
			if (expect(p, ':') == -1 || !(x = expr(p)))
				return -1;
			(*out)[(*n)++] = x;
		}
		if (!punct(p, ','))
			break;
		if (next(p) == -1)
			return -1;
	}
	return expect(p, close);
}

static struct sg_cel_node *literal(struct parser *p, enum sg_cel_type t)
{
	struct sg_cel_node *n = node(p, SG_CELK_LIT, p->start);

	if (!n)
		return NULL;
	n->lit.type = t;
	if (t == SG_CEL_INT) {
		if (p->mag > INT64_MAX)
			return fail(p, p->start, "integer literal out of range");
		n->lit.i = (int64_t)p->mag;
	} else if (t == SG_CEL_UINT) {
		n->lit.u = p->mag;
	} else if (t == SG_CEL_DOUBLE) {
		n->lit.d = p->d;
	} else if (t == SG_CEL_STRING || t == SG_CEL_BYTES) {
		n->lit.s.p = p->s;
		n->lit.s.n = p->n;
	} else if (t == SG_CEL_BOOL) {
		n->lit.b = p->tok == T_TRUE;
	}
	return next(p) == -1 ? NULL : n;
}

static struct sg_cel_node *ident(struct parser *p)
{
	struct sg_cel_node *n = node(p, SG_CELK_IDENT, p->start);
	char *name;

	if (!n || !(name = alloc(p, p->n + 1)))
		return NULL;
	memcpy(name, p->s, p->n);
	n->lit.type = SG_CEL_STRING;
	n->lit.s.p = name;
	n->lit.s.n = p->n;
	if (next(p) == -1)
		return NULL;
	if (punct(p, '(')) {
		n->kind = SG_CELK_CALL;
		if (next(p) == -1 || exprlist(p, ')', false, &n->args, &n->nargs) == -1)
			return NULL;
	}
	return grow(p, n);
}

static struct sg_cel_node *primary(struct parser *p)
{
	struct sg_cel_node *n;
	size_t at = p->start;

	switch (p->tok) {
	case T_INT:
		return literal(p, SG_CEL_INT);
	case T_UINT:
		return literal(p, SG_CEL_UINT);
	case T_DOUBLE:
		return literal(p, SG_CEL_DOUBLE);
	case T_STRING:
		return literal(p, SG_CEL_STRING);
	case T_BYTES:
		return literal(p, SG_CEL_BYTES);
	case T_TRUE:
	case T_FALSE:
		return literal(p, SG_CEL_BOOL);
	case T_NULL:
		return literal(p, SG_CEL_NULL);
	case T_IDENT:
		if (p->reserved)
			return fail(p, at, "reserved identifier '%.*s'", (int)p->n, p->s);
		return ident(p);
	case T_PUNCT:
		break;
	default:
		return fail(p, at, "unexpected token");
	}
	if (p->tc == '.') {
		/* ".name": the root scope, which is the only one here */
		if (next(p) == -1)
			return NULL;
		if (p->tok != T_IDENT || p->reserved)
			return fail(p, p->start, "expected an identifier after '.'");
		return ident(p);
	}
	if (p->tc == '(') {
		if (next(p) == -1 || !(n = expr(p)) || expect(p, ')') == -1)
			return NULL;
		return n;
	}
	if (p->tc == '[' || p->tc == '{') {
		bool map = p->tc == '{';

		n = node(p, map ? SG_CELK_MAP : SG_CELK_LIST, at);
		if (!n || next(p) == -1 || exprlist(p, map ? '}' : ']', map, &n->args, &n->nargs))
			return NULL;
		return grow(p, n);
	}
	return fail(p, at, "unexpected '%c'", p->tc);
}

static struct sg_cel_node *member(struct parser *p)
{
	struct sg_cel_node *n = primary(p), *m;

	while (n && p->tok == T_PUNCT && (p->tc == '.' || p->tc == '[')) {
		size_t at = p->start;

		if (p->tc == '[') {
			m = node(p, SG_CELK_INDEX, at);
			if (!m || next(p) == -1 || !(m->b = expr(p)) || expect(p, ']') == -1)
				return NULL;
			m->a = n;
			n = grow(p, m);
			continue;
		}
		if (next(p) == -1)
			return NULL;
		if (p->tok != T_IDENT && p->tok != T_TRUE && p->tok != T_FALSE &&
		    p->tok != T_NULL && p->tok != T_IN)
			return fail(p, p->start, "expected a field name after '.'");
		p->tok = T_IDENT;
		m = ident(p);
		if (!m)
			return NULL;
		m->col = (unsigned)at + 2;
		if (m->kind == SG_CELK_IDENT)
			m->kind = SG_CELK_SELECT;
		m->a = n;
		n = grow(p, m);
	}
	if (n && punct(p, '{'))
		return fail(p, p->start, "message construction is not supported");
	return n;
}

static struct sg_cel_node *unary(struct parser *p)
{
	size_t at = p->start;
	int nots = 0, negs = 0;
	struct sg_cel_node *n;

	while (punct(p, '!') || punct(p, '-')) {
		if (nots + negs > 64)
			return fail(p, p->start, "too many unary operators");
		if (p->tc == '!')
			nots++;
		else
			negs++;
		if (nots && negs)
			break;
		if (next(p) == -1)
			return NULL;
	}
	if (nots && negs)
		return fail(p, p->start, "mix '!' and '-' through parentheses");
	/* "-9223372036854775808" is an int: the sign belongs to the literal */
	if (negs && (p->tok == T_INT || p->tok == T_DOUBLE)) {
		const char *after = p->src + p->pos;

		while (*after == ' ')
			after++;
		if (*after != '.' && *after != '[') {
			if (p->tok == T_INT && p->mag > (uint64_t)INT64_MAX + 1)
				return fail(p, p->start, "integer literal out of range");
			n = node(p, SG_CELK_LIT, at);
			if (!n)
				return NULL;
			if (p->tok == T_INT) {
				n->lit.type = SG_CEL_INT;
				n->lit.i = (int64_t)(0 - p->mag);
			} else {
				n->lit.type = SG_CEL_DOUBLE;
				n->lit.d = -p->d;
			}
			negs--;
			if (next(p) == -1)
				return NULL;
			goto wrap;
		}
	}
	n = member(p);
wrap:
	for (; n && (nots || negs); nots ? nots-- : negs--) {
		struct sg_cel_node *u = node(p, nots ? SG_CELK_NOT : SG_CELK_NEG, at);

		if (!u)
			return NULL;
		u->a = n;
		n = grow(p, u);
	}
	return n;
}

static int binop(struct parser *p, int level, uint8_t *op)
{
	static const struct {
		enum tok t;
		char c;
		int level;
		enum sg_cel_op op;
	} ops[] = {
		{ T_EQ, 0, 0, SG_CELOP_EQ },	   { T_NE, 0, 0, SG_CELOP_NE },
		{ T_LE, 0, 0, SG_CELOP_LE },	   { T_GE, 0, 0, SG_CELOP_GE },
		{ T_PUNCT, '<', 0, SG_CELOP_LT },  { T_PUNCT, '>', 0, SG_CELOP_GT },
		{ T_IN, 0, 0, SG_CELOP_IN },	   { T_PUNCT, '+', 1, SG_CELOP_ADD },
		{ T_PUNCT, '-', 1, SG_CELOP_SUB }, { T_PUNCT, '*', 2, SG_CELOP_MUL },
		{ T_PUNCT, '/', 2, SG_CELOP_DIV }, { T_PUNCT, '%', 2, SG_CELOP_MOD },
	};

	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (ops[k].level == level && ops[k].t == p->tok &&
		    (p->tok != T_PUNCT || p->tc == ops[k].c)) {
			*op = (uint8_t)ops[k].op;
			return 1;
		}
	return 0;
}

/* Levels: 0 relations, 1 additions, 2 multiplications, 3 unary. */
static struct sg_cel_node *binary(struct parser *p, int level)
{
	struct sg_cel_node *n = level == 3 ? unary(p) : binary(p, level + 1), *b;
	uint8_t op;

	while (n && binop(p, level, &op)) {
		b = node(p, SG_CELK_BIN, p->start);
		if (!b || next(p) == -1)
			return NULL;
		b->op = op;
		b->a = n;
		if (!(b->b = level == 3 ? unary(p) : binary(p, level + 1)))
			return NULL;
		n = grow(p, b);
	}
	return n;
}

static struct sg_cel_node *logical(struct parser *p, enum tok t)
{
	struct sg_cel_node *n = t == T_OR ? logical(p, T_AND) : binary(p, 0), *b;

	while (n && p->tok == t) {
		b = node(p, t == T_OR ? SG_CELK_OR : SG_CELK_AND, p->start);
		if (!b || next(p) == -1)
			return NULL;
		b->a = n;
		if (!(b->b = t == T_OR ? logical(p, T_AND) : binary(p, 0)))
			return NULL;
		n = grow(p, b);
	}
	return n;
}

static struct sg_cel_node *expr(struct parser *p)
{
	struct sg_cel_node *n, *c;

	if (++p->depth > SG_CEL_MAX_DEPTH)
		return fail(p, p->start, "the expression nests more than %d deep",
			    SG_CEL_MAX_DEPTH);
	n = logical(p, T_OR);
	if (n && punct(p, '?')) {
		c = node(p, SG_CELK_COND, p->start);
		if (!c || next(p) == -1 || !(c->b = logical(p, T_OR)) || expect(p, ':') == -1 ||
		    !(c->c = expr(p)))
			return NULL;
		c->a = n;
		n = grow(p, c);
	}
	p->depth--;
	return n;
}

/* ---- checker ------------------------------------------------------------ */

enum path_kind { P_OBJ, P_ATTR, P_HEADERS };

/* The context, as dotted paths: objects, leaves and header maps. */
static const struct ctx_path {
	const char *path;
	enum path_kind kind;
	uint8_t attr;
	unsigned need;
} ctx_paths[] = {
	{ "request", P_OBJ, 0, 0 },
	{ "request.method", P_ATTR, SG_CEL_REQ_METHOD, SG_CEL_NEED_REQUEST },
	{ "request.uri", P_ATTR, SG_CEL_REQ_URI, SG_CEL_NEED_REQUEST },
	{ "request.host", P_ATTR, SG_CEL_REQ_HOST, SG_CEL_NEED_REQUEST },
	{ "request.scheme", P_ATTR, SG_CEL_REQ_SCHEME, SG_CEL_NEED_REQUEST },
	{ "request.path", P_ATTR, SG_CEL_REQ_PATH, SG_CEL_NEED_REQUEST },
	{ "request.pathAndQuery", P_ATTR, SG_CEL_REQ_PATH_AND_QUERY, SG_CEL_NEED_REQUEST },
	{ "request.version", P_ATTR, SG_CEL_REQ_VERSION, SG_CEL_NEED_REQUEST },
	{ "request.body", P_ATTR, SG_CEL_REQ_BODY, SG_CEL_NEED_REQ_BODY },
	{ "request.bodyPrefix", P_ATTR, SG_CEL_REQ_BODY_PREFIX, SG_CEL_NEED_REQ_BODY },
	{ "request.startTime", P_ATTR, SG_CEL_REQ_START_TIME, SG_CEL_NEED_TIME },
	{ "request.endTime", P_ATTR, SG_CEL_REQ_END_TIME, SG_CEL_NEED_TIME },
	{ "request.headers", P_HEADERS, 0, SG_CEL_NEED_REQ_HEADERS },
	{ "response", P_OBJ, 0, 0 },
	{ "response.code", P_ATTR, SG_CEL_RESP_CODE, SG_CEL_NEED_RESPONSE },
	{ "response.grpcStatus", P_ATTR, SG_CEL_RESP_GRPC_STATUS, SG_CEL_NEED_RESPONSE },
	{ "response.body", P_ATTR, SG_CEL_RESP_BODY, SG_CEL_NEED_RESP_BODY },
	{ "response.bodyPrefix", P_ATTR, SG_CEL_RESP_BODY_PREFIX, SG_CEL_NEED_RESP_BODY },
	{ "response.headers", P_HEADERS, 1, SG_CEL_NEED_RESP_HEADERS },
	{ "source", P_OBJ, 0, 0 },
	{ "source.address", P_ATTR, SG_CEL_SRC_ADDRESS, SG_CEL_NEED_SOURCE },
	{ "source.port", P_ATTR, SG_CEL_SRC_PORT, SG_CEL_NEED_SOURCE },
	{ "source.rawAddress", P_ATTR, SG_CEL_SRC_RAW_ADDRESS, SG_CEL_NEED_SOURCE },
	{ "source.rawPort", P_ATTR, SG_CEL_SRC_RAW_PORT, SG_CEL_NEED_SOURCE },
	{ "source.subjectAltNames", P_ATTR, SG_CEL_SRC_SUBJECT_ALT_NAMES, SG_CEL_NEED_SOURCE },
	{ "source.issuer", P_ATTR, SG_CEL_SRC_ISSUER, SG_CEL_NEED_SOURCE },
	{ "source.subject", P_ATTR, SG_CEL_SRC_SUBJECT, SG_CEL_NEED_SOURCE },
	{ "source.subjectCn", P_ATTR, SG_CEL_SRC_SUBJECT_CN, SG_CEL_NEED_SOURCE },
	{ "source.spiffeId", P_ATTR, SG_CEL_SRC_SPIFFE_ID, SG_CEL_NEED_SOURCE },
	{ "source.certificate", P_ATTR, SG_CEL_SRC_CERTIFICATE, SG_CEL_NEED_SOURCE },
	{ "source.identity", P_ATTR, SG_CEL_SRC_IDENTITY, SG_CEL_NEED_SOURCE },
	{ "proxy", P_OBJ, 0, 0 },
	{ "proxy.bind", P_ATTR, SG_CEL_PROXY_BIND, SG_CEL_NEED_PROXY },
	{ "proxy.gateway", P_OBJ, 0, 0 },
	{ "proxy.gateway.name", P_ATTR, SG_CEL_PROXY_GATEWAY_NAME, SG_CEL_NEED_PROXY },
	{ "proxy.gateway.namespace", P_ATTR, SG_CEL_PROXY_GATEWAY_NAMESPACE, SG_CEL_NEED_PROXY },
	{ "proxy.listener", P_OBJ, 0, 0 },
	{ "proxy.listener.name", P_ATTR, SG_CEL_PROXY_LISTENER_NAME, SG_CEL_NEED_PROXY },
	{ "proxy.route", P_OBJ, 0, 0 },
	{ "proxy.route.name", P_ATTR, SG_CEL_PROXY_ROUTE_NAME, SG_CEL_NEED_PROXY },
	{ "proxy.route.namespace", P_ATTR, SG_CEL_PROXY_ROUTE_NAMESPACE, SG_CEL_NEED_PROXY },
	{ "proxy.route.kind", P_ATTR, SG_CEL_PROXY_ROUTE_KIND, SG_CEL_NEED_PROXY },
	{ "proxy.route.rule", P_ATTR, SG_CEL_PROXY_ROUTE_RULE, SG_CEL_NEED_PROXY },
	{ "destination", P_OBJ, 0, 0 },
	{ "destination.address", P_ATTR, SG_CEL_DST_ADDRESS, SG_CEL_NEED_SOURCE },
	{ "destination.port", P_ATTR, SG_CEL_DST_PORT, SG_CEL_NEED_SOURCE },
	{ "env", P_OBJ, 0, 0 },
	{ "env.podName", P_ATTR, SG_CEL_ENV_POD_NAME, SG_CEL_NEED_ENV },
	{ "env.namespace", P_ATTR, SG_CEL_ENV_NAMESPACE, SG_CEL_NEED_ENV },
	{ "env.gateway", P_ATTR, SG_CEL_ENV_GATEWAY, SG_CEL_NEED_ENV },
	{ "jwt", P_ATTR, SG_CEL_JWT, SG_CEL_NEED_JWT },
	/* a field of jwt's, not one of its claims (check_select) */
	{ "jwt.rawToken", P_ATTR, SG_CEL_JWT_RAW_TOKEN, SG_CEL_NEED_JWT },
	{ "apiKey", P_ATTR, SG_CEL_API_KEY, SG_CEL_NEED_API_KEY },
	{ "basicAuth", P_ATTR, SG_CEL_BASIC_AUTH, SG_CEL_NEED_BASIC_AUTH },
	{ "backend", P_ATTR, SG_CEL_BACKEND, SG_CEL_NEED_BACKEND },
	/* only MCP calls have it (mcpAuthorization): absent elsewhere */
	{ "mcp", P_ATTR, SG_CEL_MCP, SG_CEL_NEED_MCP },
	/* set by a gRPC extAuthz service's dynamic_metadata: absent elsewhere */
	{ "extauthz", P_ATTR, SG_CEL_EXTAUTHZ, SG_CEL_NEED_EXTAUTHZ },
};

/* agentgateway's variables that splicegate has no source for. */
static const struct {
	const char *name, *why;
} refused_vars[] = {
	{ "llm", "is only set for LLM traffic, which splicegate does not serve" },
	{ "llmRequest", "is only set for LLM traffic, which splicegate does not serve" },
	{ "mcpGuardrails", "is only set by mcpGuardrails, which splicegate does not have" },
	{ "extproc", "is not supported by splicegate (no ext_proc)" },
	{ "metadata", "is not supported by splicegate" },
};

/* How a function is called: as a method (x.f()), a global (f(x)), both
 * (the receiver then counts as the first argument). */
enum { RECV = 1, GLOBAL = 2, BOTH = 3, MACRO = 4 };

static const struct fn_def {
	const char *name;
	uint8_t fn, style, min, max; /* arguments, a receiver not counted */
} fns[] = {
	{ "size", SG_CELF_SIZE, BOTH, 0, 0 },
	{ "contains", SG_CELF_CONTAINS, RECV, 1, 1 },
	{ "startsWith", SG_CELF_STARTS_WITH, RECV, 1, 1 },
	{ "endsWith", SG_CELF_ENDS_WITH, RECV, 1, 1 },
	{ "matches", SG_CELF_MATCHES, BOTH, 1, 1 },
	{ "lowerAscii", SG_CELF_LOWER_ASCII, RECV, 0, 0 },
	{ "upperAscii", SG_CELF_UPPER_ASCII, RECV, 0, 0 },
	{ "split", SG_CELF_SPLIT, RECV, 1, 2 },
	{ "join", SG_CELF_JOIN, RECV, 0, 1 },
	{ "replace", SG_CELF_REPLACE, RECV, 2, 3 },
	{ "trim", SG_CELF_TRIM, RECV, 0, 0 },
	{ "indexOf", SG_CELF_INDEX_OF, RECV, 1, 2 },
	{ "lastIndexOf", SG_CELF_LAST_INDEX_OF, RECV, 1, 2 },
	{ "substring", SG_CELF_SUBSTRING, RECV, 1, 2 },
	{ "charAt", SG_CELF_CHAR_AT, RECV, 1, 1 },
	{ "stripPrefix", SG_CELF_STRIP_PREFIX, RECV, 1, 1 },
	{ "stripSuffix", SG_CELF_STRIP_SUFFIX, RECV, 1, 1 },
	{ "int", SG_CELF_INT, GLOBAL, 1, 1 },
	{ "uint", SG_CELF_UINT, GLOBAL, 1, 1 },
	{ "double", SG_CELF_DOUBLE, GLOBAL, 1, 1 },
	{ "string", SG_CELF_STRING, GLOBAL, 1, 1 },
	{ "bytes", SG_CELF_BYTES, GLOBAL, 1, 1 },
	{ "bool", SG_CELF_BOOL, GLOBAL, 1, 1 },
	{ "duration", SG_CELF_DURATION, GLOBAL, 1, 1 },
	{ "timestamp", SG_CELF_TIMESTAMP, GLOBAL, 1, 1 },
	{ "type", SG_CELF_TYPE, GLOBAL, 1, 1 },
	{ "dyn", SG_CELF_DYN, GLOBAL, 1, 1 },
	{ "getFullYear", SG_CELF_GET_FULL_YEAR, RECV, 0, 0 },
	{ "getMonth", SG_CELF_GET_MONTH, RECV, 0, 0 },
	{ "getDayOfYear", SG_CELF_GET_DAY_OF_YEAR, RECV, 0, 0 },
	{ "getDayOfMonth", SG_CELF_GET_DAY_OF_MONTH, RECV, 0, 0 },
	{ "getDate", SG_CELF_GET_DATE, RECV, 0, 0 },
	{ "getDayOfWeek", SG_CELF_GET_DAY_OF_WEEK, RECV, 0, 0 },
	{ "getHours", SG_CELF_GET_HOURS, RECV, 0, 0 },
	{ "getMinutes", SG_CELF_GET_MINUTES, RECV, 0, 0 },
	{ "getSeconds", SG_CELF_GET_SECONDS, RECV, 0, 0 },
	{ "getMilliseconds", SG_CELF_GET_MILLISECONDS, RECV, 0, 0 },
	{ "unredacted", SG_CELF_UNREDACTED, RECV, 0, 0 },
	{ "default", SG_CELF_DEFAULT, GLOBAL, 2, 2 },
	{ "coalesce", SG_CELF_COALESCE, GLOBAL, 1, 16 },
	{ "regexReplace", SG_CELF_REGEX_REPLACE, RECV, 2, 2 },
	{ "fail", SG_CELF_FAIL, GLOBAL, 0, 1 },
	{ "merge", SG_CELF_MERGE, RECV, 1, 1 },
	{ "base64.encode", SG_CELF_BASE64_ENCODE, GLOBAL, 1, 1 },
	{ "base64.decode", SG_CELF_BASE64_DECODE, GLOBAL, 1, 1 },
	/* agentgateway's other names for them */
	{ "base64Encode", SG_CELF_BASE64_ENCODE, GLOBAL, 1, 1 },
	{ "base64Decode", SG_CELF_BASE64_DECODE, GLOBAL, 1, 1 },
	{ "to_json", SG_CELF_TO_JSON, GLOBAL, 1, 1 },
	{ "url.encode", SG_CELF_URL_ENCODE, GLOBAL, 1, 1 },
	{ "url.decode", SG_CELF_URL_DECODE, GLOBAL, 1, 1 },
	{ "json", SG_CELF_JSON, GLOBAL, 1, 1 },
	{ "toJson", SG_CELF_TO_JSON, GLOBAL, 1, 1 },
	{ "unvalidatedJwtPayload", SG_CELF_UNVALIDATED_JWT_PAYLOAD, GLOBAL, 1, 1 },
	{ "isIP", SG_CELF_IS_IP, GLOBAL, 1, 1 },
	{ "containsIP", SG_CELF_CIDR_CONTAINS_IP, RECV, 1, 1 },
	{ "math.greatest", SG_CELF_MATH_GREATEST, GLOBAL, 1, 16 },
	{ "math.least", SG_CELF_MATH_LEAST, GLOBAL, 1, 16 },
	{ "math.abs", SG_CELF_MATH_ABS, GLOBAL, 1, 1 },
	{ "random", SG_CELF_RANDOM, GLOBAL, 0, 0 },
	{ "form.encode", SG_CELF_FORM_ENCODE, GLOBAL, 1, 1 },
	{ "all", SG_CELF_ALL, MACRO, 2, 2 },
	{ "exists", SG_CELF_EXISTS, MACRO, 2, 2 },
	{ "exists_one", SG_CELF_EXISTS_ONE, MACRO, 2, 2 },
	{ "map", SG_CELF_MAP, MACRO, 2, 3 },
	{ "filter", SG_CELF_FILTER, MACRO, 2, 2 },
	{ "with", SG_CELF_WITH, MACRO, 2, 2 },
	{ "filterKeys", SG_CELF_FILTER_KEYS, MACRO, 2, 2 },
	{ "mapValues", SG_CELF_MAP_VALUES, MACRO, 2, 2 },
};

/* Qualified names ("base64.encode") are written as a call on an
 * identifier that is no variable. */
static const char *const namespaces[] = { "base64", "url", "math", "form", NULL };

static struct sg_cel_node *check(struct parser *p, struct sg_cel_node *n);

static bool is_name(const struct sg_cel_node *n, const char *s)
{
	return n->lit.s.n == strlen(s) && !memcmp(n->lit.s.p, s, n->lit.s.n);
}

static int local_slot(struct parser *p, const struct sg_cel_node *n)
{
	for (int k = p->nscope - 1; k >= 0; k--)
		if (is_name(n, p->scope[k]))
			return k;
	return -1;
}

/* `path` as a context node: an object (kept in lit.s for the next
 * field), a leaf, or a header map; NULL (no error) when it is none. */
static struct sg_cel_node *ctx_node(struct parser *p, struct sg_cel_node *n, const char *path)
{
	for (size_t k = 0; k < sizeof(ctx_paths) / sizeof(ctx_paths[0]); k++) {
		const struct ctx_path *c = &ctx_paths[k];

		if (strcmp(c->path, path))
			continue;
		p->e->needs |= c->need;
		n->kind = c->kind == P_OBJ    ? SG_CELK_IDENT
			  : c->kind == P_ATTR ? SG_CELK_ATTR
					      : SG_CELK_HEADERS;
		n->attr = c->attr;
		n->response = c->kind == P_HEADERS && c->attr;
		n->lit.type = SG_CEL_STRING;
		n->lit.s.p = c->path;
		n->lit.s.n = strlen(c->path);
		n->a = NULL;
		return n;
	}
	return NULL;
}

/* Types are values too: type(x) == string. */
static const char *const type_names[] = { "int",  "uint", "double",    "string", "bytes", "bool",
					  "list", "map",  "null_type", "type",	 NULL };

static struct sg_cel_node *check_ident(struct parser *p, struct sg_cel_node *n)
{
	char name[64];
	int slot = local_slot(p, n);

	if (slot >= 0) {
		n->kind = SG_CELK_LOCAL;
		n->slot = (uint8_t)slot;
		return n;
	}
	snprintf(name, sizeof(name), "%.*s", (int)n->lit.s.n, n->lit.s.p);
	for (size_t k = 0; k < sizeof(refused_vars) / sizeof(refused_vars[0]); k++)
		if (!strcmp(name, refused_vars[k].name))
			return fail(p, n->col - 1, "the variable '%s' %s", name,
				    refused_vars[k].why);
	if (ctx_node(p, n, name))
		return n;
	for (size_t k = 0; type_names[k]; k++)
		if (!strcmp(name, type_names[k])) {
			n->kind = SG_CELK_LIT;
			n->lit.type = SG_CEL_TYPE;
			return n;
		}
	return fail(p, n->col - 1, "undeclared reference to '%s'", name);
}

/* A context object (request, proxy.route) where a value is wanted. */
static struct sg_cel_node *value(struct parser *p, struct sg_cel_node *n)
{
	if (n && n->kind == SG_CELK_IDENT)
		return fail(p, n->col - 1,
			    "'%.*s' is not a value on its own: name one of its fields",
			    (int)n->lit.s.n, n->lit.s.p);
	return n;
}

static struct sg_cel_node *checked_value(struct parser *p, struct sg_cel_node *n)
{
	return value(p, check(p, n));
}

static char *lowered(struct parser *p, const char *s, size_t n)
{
	char *o = alloc(p, n + 1);

	for (size_t k = 0; o && k < n; k++)
		o[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]);
	return o;
}

/* request.headers.name, request.headers["Name"]: one header, by its
 * lowercase name. */
static struct sg_cel_node *header(struct parser *p, struct sg_cel_node *n,
				  const struct sg_cel_node *map, const char *name, size_t len)
{
	char *low = lowered(p, name, len);

	if (!low)
		return NULL;
	n->kind = SG_CELK_HEADER;
	n->response = map->response;
	n->lit.type = SG_CEL_STRING;
	n->lit.s.p = low;
	n->lit.s.n = len;
	n->a = n->b = NULL;
	return n;
}

static struct sg_cel_node *check_select(struct parser *p, struct sg_cel_node *n)
{
	struct sg_cel_node *a = check(p, n->a);
	char path[128];

	if (!a)
		return NULL;
	if (a->kind == SG_CELK_HEADERS)
		return header(p, n, a, n->lit.s.p, n->lit.s.n);
	/* agentgateway's jwt.rawToken is the token, whatever the claims say */
	if (a->kind == SG_CELK_ATTR && a->attr == SG_CEL_JWT && is_name(n, "rawToken"))
		return ctx_node(p, n, "jwt.rawToken");
	if (a->kind != SG_CELK_IDENT) {
		n->a = a;
		return n;
	}
	snprintf(path, sizeof(path), "%.*s.%.*s", (int)a->lit.s.n, a->lit.s.p, (int)n->lit.s.n,
		 n->lit.s.p);
	if (ctx_node(p, n, path))
		return n;
	return fail(p, n->col - 1, "'%s' has no field '%.*s'", a->lit.s.p, (int)n->lit.s.n,
		    n->lit.s.p);
}

static struct sg_cel_node *check_index(struct parser *p, struct sg_cel_node *n)
{
	if (!(n->a = checked_value(p, n->a)) || !(n->b = checked_value(p, n->b)))
		return NULL;
	if (n->a->kind == SG_CELK_HEADERS && n->b->kind == SG_CELK_LIT &&
	    n->b->lit.type == SG_CEL_STRING)
		return header(p, n, n->a, n->b->lit.s.p, n->b->lit.s.n);
	return n;
}

static struct sg_cel_node *check_has(struct parser *p, struct sg_cel_node *n)
{
	struct sg_cel_node *arg = n->nargs == 1 ? n->args[0] : NULL, *r;

	if (!arg || arg->kind != SG_CELK_SELECT)
		return fail(p, n->col - 1, "has() takes one field selection, such as has(a.b)");
	n->kind = SG_CELK_HAS;
	n->lit = arg->lit;
	if (!(r = check(p, arg)))
		return NULL;
	if (r->kind == SG_CELK_SELECT) {
		n->a = r->a; /* the field of r->a */
		return n;
	}
	/* A context leaf or a header: whether the request has it. */
	n->a = value(p, r);
	n->lit.s.p = NULL;
	return n->a ? n : NULL;
}

static struct sg_cel_node *check_comp(struct parser *p, struct sg_cel_node *n,
				      const struct fn_def *f)
{
	struct sg_cel_node *var = n->args[0];

	if (var->kind != SG_CELK_IDENT)
		return fail(p, var->col - 1, "%s(): the first argument must be a variable name",
			    f->name);
	if (p->nscope >= (int)(sizeof(p->scope) / sizeof(p->scope[0])))
		return fail(p, n->col - 1, "comprehensions nest too deeply");
	n->kind = SG_CELK_COMP;
	n->fn = f->fn;
	if (!(n->a = checked_value(p, n->a)))
		return NULL;
	n->slot = (uint8_t)p->nscope;
	p->scope[p->nscope++] = var->lit.s.p;
	n->b = checked_value(p, n->args[1]);
	if (n->b && n->nargs == 3) {
		n->c = checked_value(p, n->args[2]);
		if (!n->c)
			n->b = NULL;
	}
	p->nscope--;
	n->args = NULL;
	n->nargs = 0;
	return n->b ? n : NULL;
}

static struct sg_cel_node *compile_regex(struct parser *p, struct sg_cel_node *n,
					 const struct sg_cel_node *pat)
{
	char why[128], *text;
	void **slot;

	if (pat->kind != SG_CELK_LIT || pat->lit.type != SG_CEL_STRING)
		return fail(p, pat->col - 1,
			    "the pattern must be a string literal (it is compiled once, at load)");
	if (memchr(pat->lit.s.p, '\0', pat->lit.s.n))
		return fail(p, pat->col - 1, "a NUL byte in a pattern is not supported");
	text = alloc(p, pat->lit.s.n + 1);
	slot = sg_arena_push(&p->e->arena, &p->e->regexes, &p->e->nregexes, &p->e->capregexes,
			     sizeof(*slot));
	if (!text || !slot)
		return fail(p, pat->col - 1, "out of memory");
	memcpy(text, pat->lit.s.p, pat->lit.s.n);
	*slot = sg_regex_new(text, &p->regex_budget, why, sizeof(why));
	if (!*slot) {
		p->e->nregexes--;
		return fail(p, pat->col - 1, "invalid regular expression \"%s\": %s", text, why);
	}
	n->re = *slot;
	return n;
}

static struct sg_cel_node *compile_cidr(struct parser *p, struct sg_cel_node *n,
					struct sg_cel_node *recv)
{
	struct sg_cel_node *lit = recv->nargs == 1 ? recv->args[0] : NULL;
	struct sg_cel_cidr *c = alloc(p, sizeof(*c));
	const char *slash;
	char *end;
	long bits;

	if (!c)
		return NULL;
	if (!lit || lit->kind != SG_CELK_LIT || lit->lit.type != SG_CEL_STRING)
		return fail(p, recv->col - 1, "cidr() takes a string literal");
	slash = memchr(lit->lit.s.p, '/', lit->lit.s.n);
	if (!slash ||
	    !sg_celparse_ip(lit->lit.s.p, (size_t)(slash - lit->lit.s.p), c->addr, &c->v6))
		return fail(p, lit->col - 1, "cidr(): \"%.*s\" is not an address/length",
			    (int)lit->lit.s.n, lit->lit.s.p);
	bits = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || bits < 0 || bits > (c->v6 ? 128 : 32))
		return fail(p, lit->col - 1, "cidr(): \"%.*s\" has no valid prefix length",
			    (int)lit->lit.s.n, lit->lit.s.p);
	c->bits = (unsigned)bits;
	n->re = c;
	n->a = NULL;
	return n;
}

static const struct fn_def *find_fn(const char *name)
{
	for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++)
		if (!strcmp(fns[k].name, name))
			return &fns[k];
	return NULL;
}

/* The receiver a qualified name's namespace ("base64" of base64.encode)
 * is, when it is no variable; NULL otherwise. */
static const char *namespace_of(struct parser *p, const struct sg_cel_node *recv)
{
	if (!recv || recv->kind != SG_CELK_IDENT || local_slot(p, recv) >= 0)
		return NULL;
	for (size_t k = 0; namespaces[k]; k++)
		if (is_name(recv, namespaces[k]))
			return namespaces[k];
	return NULL;
}

/* agentgateway's methods of a header map: request.headers.join(),
 * .split(), .raw(), .redacted(), .cookie(name). */
static bool header_view(const char *name)
{
	static const char *const views[] = { "join", "split", "raw", "redacted", "cookie" };

	for (size_t k = 0; k < sizeof(views) / sizeof(views[0]); k++)
		if (!strcmp(name, views[k]))
			return true;
	return false;
}

static struct sg_cel_node *check_call(struct parser *p, struct sg_cel_node *n)
{
	const struct fn_def *f;
	const char *ns = namespace_of(p, n->a);
	char name[96];
	uint32_t given = n->nargs;
	bool recv = n->a && !ns, checked = false;

	snprintf(name, sizeof(name), "%s%s%.*s", ns ? ns : "", ns ? "." : "", (int)n->lit.s.n,
		 n->lit.s.p);
	if (!recv && !strcmp(name, "has"))
		return check_has(p, n);
	if (recv && header_view(name)) {
		/* agentgateway's views of a header map (request.headers.join()
		 * joins a repeated header's values...): a list's join() or a
		 * string's split() would fail on the map at run time */
		if (!(n->a = checked_value(p, n->a)))
			return NULL;
		if (n->a->kind == SG_CELK_HEADERS)
			return fail(p, n->col - 1,
				    "%s() of a header map (agentgateway's header views) is not "
				    "supported by splicegate",
				    name);
		checked = true;
	}
	f = find_fn(name);
	if (!f)
		return fail(p, n->col - 1, "undeclared reference to function '%s'", name);
	if (f->style == MACRO) {
		if (!recv || given < f->min || given > f->max)
			return fail(p, n->col - 1, "%s() is a macro: x.%s(v, %s)", name, name,
				    f->max == 3 ? "[predicate, ] expression" : "expression");
		return check_comp(p, n, f);
	}
	if (f->style == BOTH && !recv)
		given = given ? given - 1 : 0;
	if ((recv && !(f->style & RECV)) || (!recv && !(f->style & GLOBAL)) ||
	    (f->style == BOTH && !recv && !n->nargs))
		return fail(p, n->col - 1, "%s() is called as %s", name,
			    f->style == RECV ? "a method, x.f()" : "a function, f(x)");
	if (given < f->min || given > f->max)
		return fail(p, n->col - 1, "%s() takes %s%u argument%s", name,
			    f->min == f->max ? "" : "at least ", f->min, f->min == 1 ? "" : "s");
	n->kind = SG_CELK_CALL;
	n->fn = f->fn;
	if (ns)
		n->a = NULL;
	if (f->fn == SG_CELF_CIDR_CONTAINS_IP) {
		if (n->a->kind != SG_CELK_CALL || !is_name(n->a, "cidr") || n->a->a)
			return fail(p, n->col - 1, "containsIP() is called on cidr(\"...\")");
		if (!compile_cidr(p, n, n->a))
			return NULL;
	} else if (n->a && !checked && !(n->a = checked_value(p, n->a))) {
		return NULL;
	}
	for (uint32_t k = 0; k < n->nargs; k++)
		if (!(n->args[k] = checked_value(p, n->args[k])))
			return NULL;
	if (f->style == BOTH && !recv) { /* size(x) is x.size() */
		n->a = n->args[0];
		n->args++;
		n->nargs--;
	}
	if (f->fn == SG_CELF_MATCHES)
		return compile_regex(p, n, n->args[0]);
	if (f->fn == SG_CELF_REGEX_REPLACE)
		return compile_regex(p, n, n->args[0]);
	return n;
}

static struct sg_cel_node *check(struct parser *p, struct sg_cel_node *n)
{
	switch (n->kind) {
	case SG_CELK_IDENT:
		return check_ident(p, n);
	case SG_CELK_SELECT:
		return check_select(p, n);
	case SG_CELK_INDEX:
		return check_index(p, n);
	case SG_CELK_CALL:
		return check_call(p, n);
	case SG_CELK_LIST:
	case SG_CELK_MAP:
		for (uint32_t k = 0; k < n->nargs; k++)
			if (!(n->args[k] = checked_value(p, n->args[k])))
				return NULL;
		return n;
	default:
		break;
	}
	if (n->a && !(n->a = checked_value(p, n->a)))
		return NULL;
	if (n->b && !(n->b = checked_value(p, n->b)))
		return NULL;
	if (n->c && !(n->c = checked_value(p, n->c)))
		return NULL;
	if (n->kind == SG_CELK_BIN && n->op == SG_CELOP_IN && n->b->kind == SG_CELK_HEADERS &&
	    n->a->kind == SG_CELK_LIT && n->a->lit.type == SG_CEL_STRING) {
		/* "Name" in request.headers: whether it came, the name in any
		 * case (agentgateway looks it up in its header map) */
		if (!(n->a = header(p, n->a, n->b, n->a->lit.s.p, n->a->lit.s.n)))
			return NULL;
		n->kind = SG_CELK_HAS;
		n->b = NULL;
		memset(&n->lit, 0, sizeof(n->lit));
	}
	return n;
}

int sg_celparse(struct sg_cel *e, struct sg_cel_err *err)
{
	struct parser p = { .e = e, .err = err, .src = e->src, .regex_budget = SG_REGEX_MAX_COST };
	size_t len = strlen(e->src);

	err->col = 0;
	err->msg[0] = '\0';
	if (len > SG_CEL_MAX_SOURCE) {
		fail(&p, 0, "the expression is longer than %d bytes", SG_CEL_MAX_SOURCE);
		return -EINVAL;
	}
	if (next(&p) == -1)
		goto failed;
	e->root = expr(&p);
	if (e->root && p.tok != T_EOF) {
		fail(&p, p.start, "unexpected text after the expression");
		goto failed;
	}
	if (!e->root || !(e->root = checked_value(&p, e->root)))
		goto failed;
	return 0;
failed:
	return p.nomem ? -ENOMEM : -EINVAL;
}

bool sg_celparse_ip(const char *s, size_t n, uint8_t out[16], bool *v6)
{
	char buf[64];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, 16);
	*v6 = memchr(buf, ':', n) != NULL;
	return inet_pton(*v6 ? AF_INET6 : AF_INET, buf, out) == 1;
}

/* CEL evaluation over a checked tree (config/celparse.c): operators with
 * CEL's error rules, comprehensions, context reads through the caller's
 * callbacks, every step and byte counted against the run's bounds. The
 * functions are config/celfn.c's. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/regex.h"
#include "config/cel.h"
#include "config/celfn.h"
#include "config/celparse.h"
#include "config/utf8.h"

/* ---- the compiled expression ------------------------------------------- */

int sg_cel_compile(const char *src, struct sg_cel **out, struct sg_cel_err *err)
{
	struct sg_cel *e = calloc(1, sizeof(*e));
	int ret;

	*out = NULL;
	if (!e) {
		err->col = 1;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	sg_arena_init(&e->arena);
	e->src = sg_arena_strdup(&e->arena, src);
	if (!e->src) {
		sg_cel_free(e);
		err->col = 1;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	ret = sg_celparse(e, err);
	if (ret) {
		sg_cel_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

void sg_cel_free(struct sg_cel *e)
{
	if (!e)
		return;
	for (size_t k = 0; k < e->nregexes; k++)
		sg_regex_free(e->regexes[k]);
	sg_arena_free(&e->arena);
	free(e);
}

unsigned sg_cel_needs(const struct sg_cel *e)
{
	return e->needs;
}

const char *sg_cel_source(const struct sg_cel *e)
{
	return e->src;
}

/* ---- a run: memory, steps, errors -------------------------------------- */

void sg_cel_run_init(struct sg_cel_run *run, const struct sg_cel_ctx *ctx)
{
	memset(run, 0, sizeof(*run));
	run->ctx = ctx;
	run->rng = ctx->seed;
	sg_arena_init(&run->arena);
}

void sg_cel_run_done(struct sg_cel_run *run)
{
	sg_arena_free(&run->arena);
}

static bool over(const struct sg_cel_run *run)
{
	return run->steps > SG_CEL_MAX_STEPS || run->mem > SG_CEL_MAX_MEMORY;
}

bool sg_cel_run_over(const struct sg_cel_run *run)
{
	return over(run);
}

void *sg_cel_alloc(struct sg_cel_run *run, size_t n)
{
	if (n > SG_CEL_MAX_MEMORY || run->mem + n > SG_CEL_MAX_MEMORY) {
		run->mem = SG_CEL_MAX_MEMORY + 1;
		return NULL;
	}
	run->mem += n;
	return sg_arena_alloc(&run->arena, n ? n : 1);
}

/* A secret's value shows `shown`; the value points at it, which is how
 * unredacted() knows it. */
struct sg_cel_secret {
	const struct sg_cel_secret *next;
	const char *p;
	size_t n;
	char shown[sizeof("<redacted>")];
};

bool sg_cel_secret(struct sg_cel_run *run, const char *p, size_t n, struct sg_cel_val *out)
{
	struct sg_cel_secret *s = sg_cel_alloc(run, sizeof(*s));

	memset(out, 0, sizeof(*out));
	if (!s) {
		out->type = SG_CEL_ERROR;
		out->s.p = "out of memory";
		out->s.n = strlen(out->s.p);
		return false;
	}
	memcpy(s->shown, "<redacted>", sizeof(s->shown));
	s->p = p;
	s->n = n;
	s->next = run->secrets;
	run->secrets = s;
	out->type = SG_CEL_STRING;
	out->s.p = s->shown;
	out->s.n = sizeof(s->shown) - 1;
	return true;
}

void sg_cel_unredacted(const struct sg_cel_run *run, const struct sg_cel_val *v,
		       struct sg_cel_val *out)
{
	*out = *v;
	if (v->type != SG_CEL_STRING || v->s.n != sizeof("<redacted>") - 1)
		return;
	for (const struct sg_cel_secret *s = run->secrets; s; s = s->next)
		if (v->s.p == s->shown) {
			out->s.p = s->p;
			out->s.n = s->n;
			return;
		}
}

bool sg_cel_step(struct sg_cel_run *run, size_t bytes)
{
	uint64_t cost = 1 + (uint64_t)bytes / 16;

	/* One charge can be large (merge's a.n * b.n): the counter stops at
	 * one past the bound rather than leaping past it, which over() sees
	 * just the same and the header promises. */
	if (run->steps >= SG_CEL_MAX_STEPS || cost > SG_CEL_MAX_STEPS - run->steps)
		run->steps = SG_CEL_MAX_STEPS + 1;
	else
		run->steps += cost;
	return !over(run);
}

void sg_cel_error(struct sg_cel_run *run, struct sg_cel_val *out, const char *fmt, ...)
{
	va_list ap;
	char buf[160];
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_ERROR;
	/* Not counted against the bound: an error must always be told. */
	s = sg_arena_strndup(&run->arena, buf, (size_t)n);
	out->s.p = s ? s : "out of memory";
	out->s.n = s ? (size_t)n : strlen("out of memory");
}

/* The error a run that passed its bounds gets. */
static void bounded(struct sg_cel_run *run, struct sg_cel_val *out)
{
	if (run->mem > SG_CEL_MAX_MEMORY)
		sg_cel_error(run, out, "the expression used more than %d bytes", SG_CEL_MAX_MEMORY);
	else
		sg_cel_error(run, out, "the expression took more than %d steps", SG_CEL_MAX_STEPS);
}

void sg_cel_absent(struct sg_cel_run *run, struct sg_cel_val *out, const char *what, const char *s,
		   size_t n)
{
	sg_cel_error(run, out, "no such %s: %.*s", what, (int)(n > 100 ? 100 : n), s);
	out->absent = true;
}

static void set_bool(struct sg_cel_val *out, bool b)
{
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_BOOL;
	out->b = b;
}

bool sg_cel_true(const struct sg_cel_val *v)
{
	return v->type == SG_CEL_BOOL && v->b;
}

const char *sg_cel_type_name(enum sg_cel_type t)
{
	static const char *const names[] = {
		[SG_CEL_NULL] = "null_type",
		[SG_CEL_BOOL] = "bool",
		[SG_CEL_INT] = "int",
		[SG_CEL_UINT] = "uint",
		[SG_CEL_DOUBLE] = "double",
		[SG_CEL_STRING] = "string",
		[SG_CEL_BYTES] = "bytes",
		[SG_CEL_LIST] = "list",
		[SG_CEL_MAP] = "map",
		[SG_CEL_DURATION] = "google.protobuf.Duration",
		[SG_CEL_TIMESTAMP] = "google.protobuf.Timestamp",
		[SG_CEL_TYPE] = "type",
		[SG_CEL_ERROR] = "error",
	};
	return names[t];
}

void sg_cel_no_overload(struct sg_cel_run *run, struct sg_cel_val *out, const char *op,
			const struct sg_cel_val *a, const struct sg_cel_val *b)
{
	if (b)
		sg_cel_error(run, out, "no such overload: %s(%s, %s)", op,
			     sg_cel_type_name(a->type), sg_cel_type_name(b->type));
	else
		sg_cel_error(run, out, "no such overload: %s(%s)", op, sg_cel_type_name(a->type));
}

/* ---- equality and order ------------------------------------------------ */

static bool is_num(const struct sg_cel_val *v)
{
	return v->type == SG_CEL_INT || v->type == SG_CEL_UINT || v->type == SG_CEL_DOUBLE;
}

/* Numbers of any kind compared as numbers (cel-spec's heterogeneous
 * order): -1, 0, 1, or 2 when either is NaN. */
static int num_cmp(const struct sg_cel_val *a, const struct sg_cel_val *b)
{
	if (a->type == SG_CEL_DOUBLE || b->type == SG_CEL_DOUBLE) {
		double x = a->type == SG_CEL_DOUBLE ? a->d
			   : a->type == SG_CEL_INT  ? (double)a->i
						    : (double)a->u;
		double y = b->type == SG_CEL_DOUBLE ? b->d
			   : b->type == SG_CEL_INT  ? (double)b->i
						    : (double)b->u;

		if (isnan(x) || isnan(y))
			return 2;
		/* An int past 2^53 compared with a double: doubles compare
		 * exactly only when the int converts back to itself. */
		return x < y ? -1 : x > y ? 1 : 0;
	}
	if (a->type == b->type)
		return a->type == SG_CEL_INT ? (a->i > b->i) - (a->i < b->i)
					     : (a->u > b->u) - (a->u < b->u);
	if (a->type == SG_CEL_INT)
		return a->i < 0 ? -1 : ((uint64_t)a->i > b->u) - ((uint64_t)a->i < b->u);
	return b->i < 0 ? 1 : (a->u > (uint64_t)b->i) - (a->u < (uint64_t)b->i);
}

static int bytes_cmp(const struct sg_cel_val *a, const struct sg_cel_val *b)
{
	size_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
	int c = n ? memcmp(a->s.p, b->s.p, n) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	return (a->s.n > b->s.n) - (a->s.n < b->s.n);
}

bool sg_cel_equal(const struct sg_cel_val *a, const struct sg_cel_val *b)
{
	if (is_num(a) && is_num(b))
		return num_cmp(a, b) == 0;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SG_CEL_NULL:
		return true;
	case SG_CEL_BOOL:
		return a->b == b->b;
	case SG_CEL_STRING:
	case SG_CEL_BYTES:
	case SG_CEL_TYPE:
		return bytes_cmp(a, b) == 0;
	case SG_CEL_DURATION:
	case SG_CEL_TIMESTAMP:
		return a->i == b->i;
	case SG_CEL_LIST:
		if (a->list.n != b->list.n)
			return false;
		for (size_t k = 0; k < a->list.n; k++)
			if (!sg_cel_equal(&a->list.v[k], &b->list.v[k]))
				return false;
		return true;
	case SG_CEL_MAP:
		if (a->list.n != b->list.n)
			return false;
		for (size_t k = 0; k < a->list.n; k++) {
			const struct sg_cel_val *v = sg_cel_map_get(b, &a->list.v[2 * k]);

			if (!v || !sg_cel_equal(&a->list.v[2 * k + 1], v))
				return false;
		}
		return true;
	default:
		return false;
	}
}

const struct sg_cel_val *sg_cel_map_get(const struct sg_cel_val *m, const struct sg_cel_val *key)
{
	for (size_t k = 0; k < m->list.n; k++)
		if (sg_cel_equal(&m->list.v[2 * k], key))
			return &m->list.v[2 * k + 1];
	return NULL;
}

static bool map_get_str(const struct sg_cel_val *m, const char *s, size_t n,
			const struct sg_cel_val **out)
{
	for (size_t k = 0; k < m->list.n; k++) {
		const struct sg_cel_val *key = &m->list.v[2 * k];

		if (key->type == SG_CEL_STRING && key->s.n == n && !memcmp(key->s.p, s, n)) {
			*out = &m->list.v[2 * k + 1];
			return true;
		}
	}
	return false;
}

/* a < b and friends; out is an error for values with no order. */
static void order(struct sg_cel_run *run, uint8_t op, const struct sg_cel_val *a,
		  const struct sg_cel_val *b, struct sg_cel_val *out)
{
	static const char *const names[] = { [SG_CELOP_LT] = "_<_",
					     [SG_CELOP_LE] = "_<=_",
					     [SG_CELOP_GT] = "_>_",
					     [SG_CELOP_GE] = "_>=_" };
	int c;

	if (is_num(a) && is_num(b))
		c = num_cmp(a, b);
	else if (a->type != b->type)
		return sg_cel_no_overload(run, out, names[op], a, b);
	else if (a->type == SG_CEL_STRING || a->type == SG_CEL_BYTES)
		c = bytes_cmp(a, b);
	else if (a->type == SG_CEL_BOOL)
		c = (int)a->b - (int)b->b;
	else if (a->type == SG_CEL_DURATION || a->type == SG_CEL_TIMESTAMP)
		c = (a->i > b->i) - (a->i < b->i);
	else
		return sg_cel_no_overload(run, out, names[op], a, b);
	if (c == 2) {
		set_bool(out, false);
		return;
	}
	set_bool(out, op == SG_CELOP_LT	  ? c < 0
		      : op == SG_CELOP_LE ? c <= 0
		      : op == SG_CELOP_GT ? c > 0
					  : c >= 0);
}

/* ---- arithmetic -------------------------------------------------------- */

static void set_int(struct sg_cel_val *out, enum sg_cel_type t, int64_t i)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	out->i = i;
}

static void concat(struct sg_cel_run *run, const struct sg_cel_val *a, const struct sg_cel_val *b,
		   struct sg_cel_val *out)
{
	size_t each = a->type == SG_CEL_LIST ? sizeof(struct sg_cel_val) : 1;
	size_t n = a->type == SG_CEL_LIST ? a->list.n + b->list.n : a->s.n + b->s.n;
	char *m;

	if (!sg_cel_step(run, n * each) || !(m = sg_cel_alloc(run, n * each + 1)))
		return bounded(run, out);
	*out = *a;
	if (a->type == SG_CEL_LIST) {
		memcpy(m, a->list.v, a->list.n * each);
		memcpy(m + a->list.n * each, b->list.v, b->list.n * each);
		out->list.v = (const struct sg_cel_val *)(void *)m;
		out->list.n = n;
		return;
	}
	memcpy(m, a->s.p, a->s.n);
	memcpy(m + a->s.n, b->s.p, b->s.n);
	out->s.p = m;
	out->s.n = n;
}

static void int_arith(struct sg_cel_run *run, uint8_t op, const struct sg_cel_val *a,
		      const struct sg_cel_val *b, struct sg_cel_val *out)
{
	int64_t r = 0;
	bool ovf = false;

	switch (op) {
	case SG_CELOP_ADD:
		ovf = __builtin_add_overflow(a->i, b->i, &r);
		break;
	case SG_CELOP_SUB:
		ovf = __builtin_sub_overflow(a->i, b->i, &r);
		break;
	case SG_CELOP_MUL:
		ovf = __builtin_mul_overflow(a->i, b->i, &r);
		break;
	default:
		if (b->i == 0)
			return sg_cel_error(run, out,
					    op == SG_CELOP_DIV ? "division by zero"
							       : "modulus by zero");
		ovf = a->i == INT64_MIN && b->i == -1;
		if (!ovf)
			r = op == SG_CELOP_DIV ? a->i / b->i : a->i % b->i;
	}
	if (ovf)
		return sg_cel_error(run, out, "integer overflow");
	set_int(out, SG_CEL_INT, r);
}

static void uint_arith(struct sg_cel_run *run, uint8_t op, const struct sg_cel_val *a,
		       const struct sg_cel_val *b, struct sg_cel_val *out)
{
	uint64_t r = 0;
	bool ovf = false;

	switch (op) {
	case SG_CELOP_ADD:
		ovf = __builtin_add_overflow(a->u, b->u, &r);
		break;
	case SG_CELOP_SUB:
		ovf = __builtin_sub_overflow(a->u, b->u, &r);
		break;
	case SG_CELOP_MUL:
		ovf = __builtin_mul_overflow(a->u, b->u, &r);
		break;
	default:
		if (b->u == 0)
			return sg_cel_error(run, out,
					    op == SG_CELOP_DIV ? "division by zero"
							       : "modulus by zero");
		r = op == SG_CELOP_DIV ? a->u / b->u : a->u % b->u;
	}
	if (ovf)
		return sg_cel_error(run, out, "unsigned integer overflow");
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_UINT;
	out->u = r;
}

/* Durations and timestamps: t+d, d+t, d+d, t-d, t-t, d-d. Both are int64
 * nanoseconds (timestamps 1677-09-21 to 2262-04-11, inside CEL's years
 * 0001 to 9999), so a result int64 cannot hold is the one out of range. */
static bool time_arith(struct sg_cel_run *run, uint8_t op, const struct sg_cel_val *a,
		       const struct sg_cel_val *b, struct sg_cel_val *out)
{
	enum sg_cel_type ta = a->type, tb = b->type, t;
	int64_t r;
	bool ovf;

	if ((ta != SG_CEL_DURATION && ta != SG_CEL_TIMESTAMP) ||
	    (tb != SG_CEL_DURATION && tb != SG_CEL_TIMESTAMP))
		return false;
	if (op == SG_CELOP_ADD && !(ta == SG_CEL_TIMESTAMP && tb == SG_CEL_TIMESTAMP)) {
		t = ta == SG_CEL_TIMESTAMP || tb == SG_CEL_TIMESTAMP ? SG_CEL_TIMESTAMP
								     : SG_CEL_DURATION;
		ovf = __builtin_add_overflow(a->i, b->i, &r);
	} else if (op == SG_CELOP_SUB && !(ta == SG_CEL_DURATION && tb == SG_CEL_TIMESTAMP)) {
		t = ta == tb ? SG_CEL_DURATION : SG_CEL_TIMESTAMP;
		ovf = __builtin_sub_overflow(a->i, b->i, &r);
	} else {
		return false;
	}
	/* in the words timestamp() and -d use, not the protobuf type names */
	if (ovf)
		sg_cel_error(run, out, "%s out of range",
			     t == SG_CEL_TIMESTAMP ? "timestamp" : "duration");
	else
		set_int(out, t, r);
	return true;
}

static void arith(struct sg_cel_run *run, uint8_t op, const struct sg_cel_val *a,
		  const struct sg_cel_val *b, struct sg_cel_val *out)
{
	static const char *const names[] = { [SG_CELOP_ADD] = "_+_",
					     [SG_CELOP_SUB] = "_-_",
					     [SG_CELOP_MUL] = "_*_",
					     [SG_CELOP_DIV] = "_/_",
					     [SG_CELOP_MOD] = "_%_" };

	if (a->type == b->type && a->type == SG_CEL_INT)
		return int_arith(run, op, a, b, out);
	if (a->type == b->type && a->type == SG_CEL_UINT)
		return uint_arith(run, op, a, b, out);
	if (a->type == b->type && a->type == SG_CEL_DOUBLE && op != SG_CELOP_MOD) {
		memset(out, 0, sizeof(*out));
		out->type = SG_CEL_DOUBLE;
		out->d = op == SG_CELOP_ADD   ? a->d + b->d
			 : op == SG_CELOP_SUB ? a->d - b->d
			 : op == SG_CELOP_MUL ? a->d * b->d
					      : a->d / b->d;
		return;
	}
	if (op == SG_CELOP_ADD && a->type == b->type &&
	    (a->type == SG_CEL_STRING || a->type == SG_CEL_BYTES || a->type == SG_CEL_LIST))
		return concat(run, a, b, out);
	if (time_arith(run, op, a, b, out))
		return;
	sg_cel_no_overload(run, out, names[op], a, b);
}

/* ---- the tree ---------------------------------------------------------- */

static void eval(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out);

/* k, a name looked up in a header map (request.headers[k], k in
 * request.headers), in lowercase: agentgateway's header map takes a
 * name in any case. */
static void header_name(struct sg_cel_run *run, struct sg_cel_val *k)
{
	char *low;

	if (k->type != SG_CEL_STRING || !(low = sg_cel_alloc(run, k->s.n + 1)))
		return;
	for (size_t e = 0; e < k->s.n; e++)
		low[e] = (char)(k->s.p[e] >= 'A' && k->s.p[e] <= 'Z' ? k->s.p[e] + 32 : k->s.p[e]);
	k->s.p = low;
}

static void eval_in(struct sg_cel_run *run, const struct sg_cel_val *a, const struct sg_cel_val *b,
		    struct sg_cel_val *out)
{
	if (b->type == SG_CEL_LIST) {
		sg_cel_step(run, b->list.n * 4);
		for (size_t k = 0; k < b->list.n; k++)
			if (sg_cel_equal(a, &b->list.v[k]))
				return set_bool(out, true);
		return set_bool(out, false);
	}
	if (b->type == SG_CEL_MAP) {
		sg_cel_step(run, b->list.n * 4);
		return set_bool(out, sg_cel_map_get(b, a) != NULL);
	}
	if (a->type == SG_CEL_STRING && b->type == SG_CEL_STRING) {
		/* agentgateway's (cel-rust's): a substring test */
		sg_cel_step(run, b->s.n);
		return set_bool(out, !a->s.n || memmem(b->s.p, b->s.n, a->s.p, a->s.n));
	}
	sg_cel_no_overload(run, out, "@in", a, b);
}

static void eval_bin(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	struct sg_cel_val a, b;

	eval(run, n->a, &a);
	if (a.type == SG_CEL_ERROR) {
		*out = a;
		return;
	}
	eval(run, n->b, &b);
	if (b.type == SG_CEL_ERROR) {
		*out = b;
		return;
	}
	switch (n->op) {
	case SG_CELOP_EQ:
	case SG_CELOP_NE:
		sg_cel_step(run, a.type == SG_CEL_STRING ? a.s.n : 0);
		return set_bool(out, sg_cel_equal(&a, &b) == (n->op == SG_CELOP_EQ));
	case SG_CELOP_LT:
	case SG_CELOP_LE:
	case SG_CELOP_GT:
	case SG_CELOP_GE:
		return order(run, n->op, &a, &b, out);
	case SG_CELOP_IN:
		if (n->b->kind == SG_CELK_HEADERS)
			header_name(run, &a);
		return eval_in(run, &a, &b, out);
	default:
		return arith(run, n->op, &a, &b, out);
	}
}

/* && and ||: false (&&) or true (||) on either side decides, whatever
 * the other is, even an error; else an error on either side is the
 * answer (cel-spec's commutative logic). */
static void eval_logic(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	bool decides = n->kind == SG_CELK_OR;
	struct sg_cel_val a, b;

	eval(run, n->a, &a);
	if (a.type == SG_CEL_BOOL && a.b == decides) {
		*out = a;
		return;
	}
	eval(run, n->b, &b);
	if (b.type == SG_CEL_BOOL && b.b == decides) {
		*out = b;
		return;
	}
	if (a.type == SG_CEL_ERROR) {
		*out = a;
		return;
	}
	if (b.type == SG_CEL_ERROR) {
		*out = b;
		return;
	}
	if (a.type != SG_CEL_BOOL || b.type != SG_CEL_BOOL)
		return sg_cel_no_overload(run, out, decides ? "_||_" : "_&&_",
					  a.type != SG_CEL_BOOL ? &a : &b, NULL);
	set_bool(out, !decides);
}

static void eval_index(struct sg_cel_run *run, const struct sg_cel_val *a,
		       const struct sg_cel_val *k, struct sg_cel_val *out)
{
	const struct sg_cel_val *v;

	if (a->type == SG_CEL_MAP) {
		sg_cel_step(run, a->list.n * 4);
		v = sg_cel_map_get(a, k);
		if (v) {
			*out = *v;
			return;
		}
		if (k->type == SG_CEL_STRING)
			return sg_cel_absent(run, out, "key", k->s.p, k->s.n);
		sg_cel_error(run, out, "no such key");
		out->absent = true;
		return;
	}
	if (a->type == SG_CEL_LIST && is_num(k)) {
		double d = k->type == SG_CEL_DOUBLE ? k->d : 0;
		bool in = k->type == SG_CEL_INT ? k->i >= 0 && (uint64_t)k->i < a->list.n
			  : k->type == SG_CEL_UINT
				  ? k->u < a->list.n
				  : d == floor(d) && d >= 0 && d < (double)a->list.n;

		if (!in)
			return sg_cel_error(run, out, "index out of range");
		*out = a->list.v[k->type == SG_CEL_INT	  ? (size_t)k->i
				 : k->type == SG_CEL_UINT ? (size_t)k->u
							  : (size_t)d];
		return;
	}
	sg_cel_no_overload(run, out, "_[_]", a, k);
}

static void eval_select(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	struct sg_cel_val a;
	const struct sg_cel_val *v;

	eval(run, n->a, &a);
	if (a.type == SG_CEL_ERROR && a.absent && n->kind == SG_CELK_HAS)
		return set_bool(out, false); /* has(jwt.sub) without a jwt */
	if (a.type == SG_CEL_ERROR) {
		*out = a;
		return;
	}
	if (a.type != SG_CEL_MAP)
		return sg_cel_error(run, out, "type '%s' has no field '%.*s'",
				    sg_cel_type_name(a.type), (int)n->lit.s.n, n->lit.s.p);
	sg_cel_step(run, a.list.n * 4);
	if (n->kind == SG_CELK_HAS)
		return set_bool(out, map_get_str(&a, n->lit.s.p, n->lit.s.n, &v));
	if (!map_get_str(&a, n->lit.s.p, n->lit.s.n, &v))
		return sg_cel_absent(run, out, "key", n->lit.s.p, n->lit.s.n);
	*out = *v;
}

static bool name_is(const struct sg_cel_header *h, const char *low, size_t n)
{
	if (h->nlen != n)
		return false;
	for (size_t k = 0; k < n; k++) {
		char c = h->name[k];

		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != low[k])
			return false;
	}
	return true;
}

/* One header: a string, a list when it came several times, absent when
 * it did not come, or when a value of it is not UTF-8 (HTTP lets a value
 * hold any byte past 0x7f; agentgateway's header view then has no such
 * header, and a CEL string is UTF-8). */
static void eval_header(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	const struct sg_cel_ctx *ctx = run->ctx;
	struct sg_cel_header h;
	struct sg_cel_val *list = NULL;
	size_t count = 0, bad = 0, k;

	for (k = 0; ctx->header && ctx->header(ctx->ud, n->response, k, &h); k++)
		if (name_is(&h, n->lit.s.p, n->lit.s.n)) {
			count++;
			bad += sg_utf8_span(h.value, h.vlen) < h.vlen;
		}
	sg_cel_step(run, k * 2);
	if (!count || bad)
		return sg_cel_absent(run, out, "key", n->lit.s.p, n->lit.s.n);
	if (count > 1 && !(list = sg_cel_alloc(run, count * sizeof(*list))))
		return bounded(run, out);
	memset(out, 0, sizeof(*out));
	count = 0;
	for (k = 0; ctx->header(ctx->ud, n->response, k, &h); k++) {
		struct sg_cel_val *v = list ? &list[count] : out;

		if (!name_is(&h, n->lit.s.p, n->lit.s.n))
			continue;
		v->type = SG_CEL_STRING;
		v->s.p = h.value;
		v->s.n = h.vlen;
		count++;
	}
	if (list) {
		out->type = SG_CEL_LIST;
		out->list.v = list;
		out->list.n = count;
	}
}

/* The headers as a map of lowercase names to a string, or a list of them
 * for a name that came several times. */
static void eval_headers(struct sg_cel_run *run, const struct sg_cel_node *n,
			 struct sg_cel_val *out)
{
	const struct sg_cel_ctx *ctx = run->ctx;
	struct sg_cel_header h;
	struct sg_cel_val *kv;
	size_t count = 0, k;

	while (ctx->header && ctx->header(ctx->ud, n->response, count, &h))
		count++;
	if (!sg_cel_step(run, count * 8) || !(kv = sg_cel_alloc(run, 2 * count * sizeof(*kv))))
		return bounded(run, out);
	memset(out, 0, sizeof(*out));
	out->type = SG_CEL_MAP;
	out->list.v = kv;
	for (k = 0; k < count && ctx->header(ctx->ud, n->response, k, &h); k++) {
		struct sg_cel_node one = { .kind = SG_CELK_HEADER, .response = n->response };
		char *low = sg_cel_alloc(run, h.nlen + 1);
		size_t e;

		if (!low)
			return bounded(run, out);
		for (e = 0; e < h.nlen; e++)
			low[e] = (char)(h.name[e] >= 'A' && h.name[e] <= 'Z' ? h.name[e] + 32
									     : h.name[e]);
		for (e = 0; e < out->list.n; e++)
			if (kv[2 * e].s.n == h.nlen && !memcmp(kv[2 * e].s.p, low, h.nlen))
				break;
		if (e < out->list.n)
			continue; /* a repeated name: its list is there already */
		one.lit.s.p = low;
		one.lit.s.n = h.nlen;
		kv[2 * e].type = SG_CEL_STRING;
		kv[2 * e].s.p = low;
		kv[2 * e].s.n = h.nlen;
		eval_header(run, &one, &kv[2 * e + 1]);
		if (kv[2 * e + 1].type != SG_CEL_ERROR)
			out->list.n++; /* a name with a value not UTF-8 is not there */
	}
}

static void eval_attr(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	const struct sg_cel_ctx *ctx = run->ctx;

	memset(out, 0, sizeof(*out));
	if (!ctx->attr || !ctx->attr(ctx->ud, n->attr, out))
		sg_cel_absent(run, out, "attribute", n->lit.s.p, n->lit.s.n);
}

static void eval_has(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	if (n->lit.s.p)
		return eval_select(run, n, out);
	eval(run, n->a, out);
	if (out->type == SG_CEL_ERROR && !out->absent)
		return;
	set_bool(out, out->type != SG_CEL_ERROR);
}

static void eval_list(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	struct sg_cel_val *v = sg_cel_alloc(run, n->nargs * sizeof(*v));

	if (!v)
		return bounded(run, out);
	for (uint32_t k = 0; k < n->nargs; k++) {
		eval(run, n->args[k], &v[k]);
		if (v[k].type == SG_CEL_ERROR) {
			*out = v[k];
			return;
		}
	}
	memset(out, 0, sizeof(*out));
	out->type = n->kind == SG_CELK_MAP ? SG_CEL_MAP : SG_CEL_LIST;
	out->list.v = v;
	out->list.n = n->kind == SG_CELK_MAP ? n->nargs / 2 : n->nargs;
	if (n->kind != SG_CELK_MAP)
		return;
	for (size_t k = 0; k < out->list.n; k++) {
		enum sg_cel_type t = v[2 * k].type;

		if (t != SG_CEL_STRING && t != SG_CEL_INT && t != SG_CEL_UINT && t != SG_CEL_BOOL)
			return sg_cel_error(run, out, "unsupported key type: %s",
					    sg_cel_type_name(t));
		for (size_t e = 0; e < k; e++)
			if (sg_cel_equal(&v[2 * e], &v[2 * k]))
				return sg_cel_error(run, out, "repeated key in a map literal");
	}
	sg_cel_step(run, out->list.n * out->list.n);
}

/* ---- comprehensions ---------------------------------------------------- */

struct comp {
	struct sg_cel_val *res; /* map, filter, filterKeys, mapValues */
	size_t nres;
	struct sg_cel_val err; /* all, exists: the first error, if none decides */
	bool seen_err;
	int64_t count; /* exists_one */
	bool done;     /* all, exists: decided */
};

/* One element (k; v for a map's value) through a comprehension's body.
 * Returns false when the comprehension's answer is out. */
static bool comp_step(struct sg_cel_run *run, const struct sg_cel_node *n, struct comp *c,
		      const struct sg_cel_val *k, const struct sg_cel_val *v,
		      struct sg_cel_val *out)
{
	struct sg_cel_val r, t;

	run->locals[n->slot] = n->fn == SG_CELF_MAP_VALUES ? *v : *k;
	eval(run, n->b, &r);
	if (n->fn == SG_CELF_ALL || n->fn == SG_CELF_EXISTS) {
		bool decides = n->fn == SG_CELF_EXISTS;

		if (r.type == SG_CEL_BOOL && r.b == decides) {
			*out = r;
			c->done = true;
			return false;
		}
		if (r.type != SG_CEL_BOOL && !c->seen_err) {
			c->seen_err = true;
			if (r.type == SG_CEL_ERROR)
				c->err = r;
			else
				sg_cel_no_overload(run, &c->err, decides ? "exists" : "all", &r,
						   NULL);
		}
		if (over(run)) {
			bounded(run, out);
			return false;
		}
		return true;
	}
	if (r.type == SG_CEL_ERROR) {
		*out = r;
		return false;
	}
	if (n->fn == SG_CELF_MAP_VALUES || (n->fn == SG_CELF_MAP && !n->c)) {
		if (n->fn == SG_CELF_MAP_VALUES)
			c->res[c->nres++] = *k;
		c->res[c->nres++] = r;
		return true;
	}
	if (r.type != SG_CEL_BOOL) {
		sg_cel_no_overload(run, out, "filter", &r, NULL);
		return false;
	}
	if (!r.b)
		return true;
	if (n->fn == SG_CELF_EXISTS_ONE) {
		c->count++;
	} else if (n->fn == SG_CELF_MAP) {
		eval(run, n->c, &t);
		if (t.type == SG_CEL_ERROR) {
			*out = t;
			return false;
		}
		c->res[c->nres++] = t;
	} else {
		c->res[c->nres++] = *k;
		if (n->fn == SG_CELF_FILTER_KEYS)
			c->res[c->nres++] = *v;
	}
	return true;
}

static void eval_comp(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	struct sg_cel_val over_v;
	struct comp c = { 0 };
	bool map, keyed = n->fn == SG_CELF_FILTER_KEYS || n->fn == SG_CELF_MAP_VALUES;

	eval(run, n->a, &over_v);
	if (over_v.type == SG_CEL_ERROR) {
		*out = over_v;
		return;
	}
	if (n->fn == SG_CELF_WITH) {
		run->locals[n->slot] = over_v;
		return eval(run, n->b, out);
	}
	map = over_v.type == SG_CEL_MAP;
	if ((!map && over_v.type != SG_CEL_LIST) || (keyed && !map))
		return sg_cel_no_overload(run, out, "comprehension", &over_v, NULL);
	if (n->fn != SG_CELF_ALL && n->fn != SG_CELF_EXISTS && n->fn != SG_CELF_EXISTS_ONE &&
	    !(c.res = sg_cel_alloc(run, 2 * over_v.list.n * sizeof(*c.res) + 1)))
		return bounded(run, out);
	for (size_t k = 0; k < over_v.list.n; k++) {
		const struct sg_cel_val *key = map ? &over_v.list.v[2 * k] : &over_v.list.v[k];

		if (!comp_step(run, n, &c, key, map ? key + 1 : key, out))
			return;
		if (over(run))
			return bounded(run, out);
	}
	memset(out, 0, sizeof(*out));
	switch (n->fn) {
	case SG_CELF_ALL:
	case SG_CELF_EXISTS:
		if (c.seen_err) {
			*out = c.err;
			return;
		}
		return set_bool(out, n->fn == SG_CELF_ALL);
	case SG_CELF_EXISTS_ONE:
		return set_bool(out, c.count == 1);
	default:
		out->type = keyed ? SG_CEL_MAP : SG_CEL_LIST;
		out->list.v = c.res;
		out->list.n = keyed ? c.nres / 2 : c.nres;
	}
}

/* ---- calls ------------------------------------------------------------- */

/* default(x, y): y when x is absent (a missing key, header or
 * attribute) or null, as agentgateway's. coalesce(...): the first that is neither an error nor
 * null; else null if one was, else the first error. */
static void eval_fallback(struct sg_cel_run *run, const struct sg_cel_node *n,
			  struct sg_cel_val *out)
{
	struct sg_cel_val first = { 0 }, v;
	bool null = false;

	if (n->fn == SG_CELF_DEFAULT) {
		eval(run, n->args[0], out);
		if ((out->type == SG_CEL_ERROR && out->absent) || out->type == SG_CEL_NULL)
			eval(run, n->args[1], out);
		return;
	}
	for (uint32_t k = 0; k < n->nargs; k++) {
		eval(run, n->args[k], &v);
		if (v.type != SG_CEL_ERROR && v.type != SG_CEL_NULL) {
			*out = v;
			return;
		}
		if (v.type == SG_CEL_NULL)
			null = true;
		else if (first.type != SG_CEL_ERROR)
			first = v;
	}
	if (null) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = first;
}

static void eval_call(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	struct sg_cel_val recv = { 0 }, args[16];

	if (n->fn == SG_CELF_DEFAULT || n->fn == SG_CELF_COALESCE)
		return eval_fallback(run, n, out);

	if (n->a) {
		eval(run, n->a, &recv);
		if (recv.type == SG_CEL_ERROR) {
			*out = recv;
			return;
		}
	}
	for (uint32_t k = 0; k < n->nargs; k++) {
		eval(run, n->args[k], &args[k]);
		if (args[k].type == SG_CEL_ERROR) {
			*out = args[k];
			return;
		}
	}
	sg_celfn_call(run, n, &recv, args, out);
}

static void eval_cond(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	struct sg_cel_val c;

	eval(run, n->a, &c);
	if (c.type == SG_CEL_ERROR) {
		*out = c;
		return;
	}
	if (c.type != SG_CEL_BOOL)
		return sg_cel_no_overload(run, out, "_?_:_", &c, NULL);
	eval(run, c.b ? n->b : n->c, out);
}

static void eval_unary(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	eval(run, n->a, out);
	if (out->type == SG_CEL_ERROR)
		return;
	if (n->kind == SG_CELK_NOT) {
		if (out->type != SG_CEL_BOOL)
			return sg_cel_no_overload(run, out, "!_", out, NULL);
		out->b = !out->b;
		return;
	}
	/* -INT64_MIN has no int64: an int or a duration that low is an
	 * error, as their sums and differences that leave the range are. */
	if (out->type == SG_CEL_INT && out->i != INT64_MIN)
		out->i = -out->i;
	else if (out->type == SG_CEL_INT)
		sg_cel_error(run, out, "integer overflow");
	else if (out->type == SG_CEL_DOUBLE)
		out->d = -out->d;
	else if (out->type == SG_CEL_DURATION && out->i != INT64_MIN)
		out->i = -out->i;
	else if (out->type == SG_CEL_DURATION)
		sg_cel_error(run, out, "duration out of range");
	else
		sg_cel_no_overload(run, out, "-_", out, NULL);
}

static void eval(struct sg_cel_run *run, const struct sg_cel_node *n, struct sg_cel_val *out)
{
	if (!sg_cel_step(run, 0))
		return bounded(run, out);
	switch (n->kind) {
	case SG_CELK_LIT:
		*out = n->lit;
		return;
	case SG_CELK_LOCAL:
		*out = run->locals[n->slot];
		return;
	case SG_CELK_ATTR:
		return eval_attr(run, n, out);
	case SG_CELK_HEADERS:
		return eval_headers(run, n, out);
	case SG_CELK_HEADER:
		return eval_header(run, n, out);
	case SG_CELK_SELECT:
		return eval_select(run, n, out);
	case SG_CELK_HAS:
		return eval_has(run, n, out);
	case SG_CELK_INDEX: {
		struct sg_cel_val a, k;

		eval(run, n->a, &a);
		if (a.type == SG_CEL_ERROR) {
			*out = a;
			return;
		}
		eval(run, n->b, &k);
		if (k.type == SG_CEL_ERROR) {
			*out = k;
			return;
		}
		if (n->a->kind == SG_CELK_HEADERS)
			header_name(run, &k);
		return eval_index(run, &a, &k, out);
	}
	case SG_CELK_CALL:
		return eval_call(run, n, out);
	case SG_CELK_LIST:
	case SG_CELK_MAP:
		return eval_list(run, n, out);
	case SG_CELK_COND:
		return eval_cond(run, n, out);
	case SG_CELK_AND:
	case SG_CELK_OR:
		return eval_logic(run, n, out);
	case SG_CELK_NOT:
	case SG_CELK_NEG:
		return eval_unary(run, n, out);
	case SG_CELK_BIN:
		return eval_bin(run, n, out);
	case SG_CELK_COMP:
		return eval_comp(run, n, out);
	case SG_CELK_IDENT:
		break;
	}
	sg_cel_error(run, out, "unresolved name");
}

void sg_cel_eval(const struct sg_cel *e, struct sg_cel_run *run, struct sg_cel_val *out)
{
	eval(run, e->root, out);
	if (over(run) && out->type != SG_CEL_ERROR)
		bounded(run, out);
}

int sg_cel_to_text(struct sg_cel_run *run, const struct sg_cel_val *v, const char **s, size_t *n)
{
	struct sg_cel_val t;

	switch (v->type) {
	case SG_CEL_NULL:
	case SG_CEL_LIST:
	case SG_CEL_MAP:
	case SG_CEL_TYPE:
	case SG_CEL_ERROR:
		return -1;
	case SG_CEL_BYTES:
		t = *v;
		break;
	default:
		sg_celfn_string(run, v, &t);
		if (t.type != SG_CEL_STRING)
			return -1;
	}
	*s = t.s.p;
	*n = t.s.n;
	return 0;
}

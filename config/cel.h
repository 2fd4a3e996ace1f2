/* CEL, the expression language of agentgateway's configs: an expression is
 * compiled (parsed and checked, config/celparse.c) when the config loads and
 * evaluated per request over a context the caller supplies through
 * callbacks, with a bound on steps and memory. */
#ifndef SG_CEL_H
#define SG_CEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/arena.h"

enum sg_cel_type {
	SG_CEL_NULL,
	SG_CEL_BOOL,
	SG_CEL_INT,
	SG_CEL_UINT,
	SG_CEL_DOUBLE,
	SG_CEL_STRING,
	SG_CEL_BYTES,
	SG_CEL_LIST,
	SG_CEL_MAP,
	SG_CEL_DURATION,  /* ns */
	SG_CEL_TIMESTAMP, /* ns since the Unix epoch, UTC */
	SG_CEL_TYPE,	  /* a type's name, in s */
	SG_CEL_ERROR,	  /* why, in s */
};

/* A value. Strings and bytes point at memory owned by the compiled
 * expression, the context or the evaluation (struct sg_cel_run); a map's
 * v[2i] is a key and v[2i+1] its value. */
struct sg_cel_val {
	enum sg_cel_type type;
	/* An error that says a key, header or attribute is absent (has()
	 * and default() treat it as "not there"). */
	bool absent;
	union {
		bool b;
		int64_t i; /* int, duration, timestamp */
		uint64_t u;
		double d;
		struct {
			const char *p;
			size_t n;
		} s;
		struct {
			const struct sg_cel_val *v;
			size_t n; /* elements; a map's entries */
		} list;
	};
};

/* The context's leaves an expression may read (agentgateway's
 * schema/cel.md, for what splicegate has). */
enum sg_cel_attr {
	SG_CEL_REQ_METHOD,
	SG_CEL_REQ_URI,
	SG_CEL_REQ_HOST,
	SG_CEL_REQ_SCHEME,
	SG_CEL_REQ_PATH,
	SG_CEL_REQ_PATH_AND_QUERY,
	SG_CEL_REQ_VERSION,
	SG_CEL_REQ_BODY,
	SG_CEL_REQ_START_TIME,
	SG_CEL_REQ_END_TIME,
	SG_CEL_RESP_CODE,
	SG_CEL_RESP_GRPC_STATUS,
	SG_CEL_RESP_BODY,
	SG_CEL_SRC_ADDRESS,
	SG_CEL_SRC_PORT,
	SG_CEL_SRC_SUBJECT_ALT_NAMES,
	SG_CEL_SRC_ISSUER,
	SG_CEL_SRC_SUBJECT,
	SG_CEL_SRC_SUBJECT_CN,
	SG_CEL_SRC_SPIFFE_ID,
	SG_CEL_SRC_CERTIFICATE,
	SG_CEL_SRC_IDENTITY, /* {trustDomain, namespace, serviceAccount} */
	SG_CEL_PROXY_BIND,
	SG_CEL_PROXY_GATEWAY_NAME,
	SG_CEL_PROXY_GATEWAY_NAMESPACE,
	SG_CEL_PROXY_LISTENER_NAME,
	SG_CEL_PROXY_ROUTE_NAME,
	SG_CEL_PROXY_ROUTE_NAMESPACE,
	SG_CEL_PROXY_ROUTE_KIND,
	SG_CEL_PROXY_ROUTE_RULE,
	SG_CEL_ENV_POD_NAME,
	SG_CEL_ENV_NAMESPACE,
	SG_CEL_ENV_GATEWAY,
	SG_CEL_JWT,		/* the verified token's claims: a map */
	SG_CEL_API_KEY,		/* a map */
	SG_CEL_BASIC_AUTH,	/* a map */
	SG_CEL_BACKEND,		/* the try's backend: a map {name, type, protocol} */
	SG_CEL_SRC_RAW_ADDRESS, /* the TCP peer's (before a PROXY protocol header) */
	SG_CEL_SRC_RAW_PORT,
	SG_CEL_DST_ADDRESS, /* where the connection arrived */
	SG_CEL_DST_PORT,
	SG_CEL_MCP,	 /* what an MCP call touches: {tool|prompt|resource: {target, name}} */
	SG_CEL_EXTAUTHZ, /* the gRPC extAuthz service's dynamic_metadata: a map */
	/* The body's first maxBufferSize bytes: the body itself when it was
	 * held whole, else its prefix (a response over the bound). */
	SG_CEL_REQ_BODY_PREFIX,
	SG_CEL_RESP_BODY_PREFIX,
	/* jwt.rawToken: the verified token as it came, a secret
	 * (sg_cel_secret), as agentgateway's Claims field (not a claim) */
	SG_CEL_JWT_RAW_TOKEN,
	SG_CEL_ATTRS
};

/* The parts of the context an expression reads (sg_cel_needs), so that a
 * request gathers only those: a body is buffered only for an expression
 * with SG_CEL_NEED_REQ_BODY. */
enum {
	SG_CEL_NEED_REQUEST = 1u << 0, /* method, path, host, ... */
	SG_CEL_NEED_REQ_HEADERS = 1u << 1,
	SG_CEL_NEED_REQ_BODY = 1u << 2,
	SG_CEL_NEED_RESPONSE = 1u << 3, /* code, grpcStatus */
	SG_CEL_NEED_RESP_HEADERS = 1u << 4,
	SG_CEL_NEED_RESP_BODY = 1u << 5,
	SG_CEL_NEED_SOURCE = 1u << 6,
	SG_CEL_NEED_PROXY = 1u << 7,
	SG_CEL_NEED_ENV = 1u << 8,
	SG_CEL_NEED_JWT = 1u << 9,
	SG_CEL_NEED_API_KEY = 1u << 10,
	SG_CEL_NEED_BASIC_AUTH = 1u << 11,
	SG_CEL_NEED_TIME = 1u << 12, /* request.startTime / endTime */
	SG_CEL_NEED_BACKEND = 1u << 13,
	SG_CEL_NEED_MCP = 1u << 14,
	SG_CEL_NEED_EXTAUTHZ = 1u << 15,
};

/* One header line as the context hands it over; name in any case. */
struct sg_cel_header {
	const char *name, *value;
	size_t nlen, vlen;
};

/* How an evaluation reads its context. Any callback may be NULL (that
 * part is absent). Strings handed over must stay valid until the
 * evaluation's sg_cel_run_done. */
struct sg_cel_ctx {
	void *ud;
	/* Attribute a into *out; false when the request has none (an
	 * expression reading it then gets a "no such attribute" error). */
	bool (*attr)(void *ud, enum sg_cel_attr a, struct sg_cel_val *out);
	/* The i-th header line (from 0) of the request (response false) or
	 * the response; false past the last. */
	bool (*header)(void *ud, bool response, size_t i, struct sg_cel_header *out);
	/* Where random() starts (any value; the caller varies it per
	 * request). */
	uint64_t seed;
};

/* Bounds of one evaluation: every node evaluated and every 16 bytes a
 * function scans is a step; memory is what the evaluation allocates. */
#define SG_CEL_MAX_STEPS 100000
#define SG_CEL_MAX_MEMORY (1024 * 1024)
/* Bounds of the text: its length and how deeply it nests. */
#define SG_CEL_MAX_SOURCE 16384
#define SG_CEL_MAX_DEPTH 48
#define SG_CEL_MAX_HEIGHT 160 /* of the tree: "a + b + ..." nests without parentheses */

/* One evaluation's state: init, evaluate, read the result, done. The
 * result's memory is the run's and lives until sg_cel_run_done. */
struct sg_cel_run {
	const struct sg_cel_ctx *ctx;
	struct sg_arena arena;
	uint64_t steps; /* at most SG_CEL_MAX_STEPS + 1 (sg_cel_step) */
	size_t mem;
	struct sg_cel_val locals[16]; /* comprehension variables */
	uint64_t rng;		      /* random()'s state, from ctx->seed */
	char why[160];		      /* an error's message */
	/* The secrets made for this run (sg_cel_secret), newest first. */
	const struct sg_cel_secret *secrets;
};

/* A compiled expression (opaque): owns its tree, literals and regexes. */
struct sg_cel;

/* Where and why compiling failed: col is the 1-based column (byte) in
 * the expression's text. */
struct sg_cel_err {
	unsigned col;
	char msg[200];
};

/* Parse and check `src` (NUL-terminated): a syntax error, an unknown
 * variable, field or function, a wrong number of arguments, an invalid
 * literal regex, or a variable agentgateway only has for LLM or MCP
 * traffic (refused by name) fails. Returns 0 and *out (the caller frees
 * it with sg_cel_free); -EINVAL with *err filled; -ENOMEM. */
int sg_cel_compile(const char *src, struct sg_cel **out, struct sg_cel_err *err);

void sg_cel_free(struct sg_cel *e);

/* The SG_CEL_NEED_* bits of what `e` reads. */
unsigned sg_cel_needs(const struct sg_cel *e);

/* The text `e` was compiled from. */
const char *sg_cel_source(const struct sg_cel *e);

void sg_cel_run_init(struct sg_cel_run *run, const struct sg_cel_ctx *ctx);
void sg_cel_run_done(struct sg_cel_run *run);

/* Evaluate `e` in run's context. Returns the value (SG_CEL_ERROR for an
 * error the expression raised, or for the step or memory bound) in *out;
 * never fails otherwise. */
void sg_cel_eval(const struct sg_cel *e, struct sg_cel_run *run, struct sg_cel_val *out);

/* v as a header value or body: strings and bytes as they are, numbers,
 * bools, durations and timestamps as string() gives them. Returns 0 with
 * *s (in v or the run's memory) and *n, or -1 for null, lists, maps,
 * types and errors. */
int sg_cel_to_text(struct sg_cel_run *run, const struct sg_cel_val *v, const char **s, size_t *n);

/* Whether v is the bool true (anything else, errors too, is false). */
bool sg_cel_true(const struct sg_cel_val *v);

/* Whether run passed its step or memory bound (its evaluation's error is
 * then splicegate's bound, not the expression's). */
bool sg_cel_run_over(const struct sg_cel_run *run);

/* A secret (an API key) as a value of run: the string "<redacted>"
 * wherever it goes (a header, a log field, toJson, a comparison), the
 * secret p[0..n) (borrowed for the run's life) only through
 * unredacted(), as agentgateway's SecretString values. False when the
 * run's memory is full (*out then an error). */
bool sg_cel_secret(struct sg_cel_run *run, const char *p, size_t n, struct sg_cel_val *out);

/* ---- for the module's function library (config/celfn.c) ---- */

/* unredacted() of v: the secret when v is one sg_cel_secret made in run
 * (as it was made: not a string built from it), else v. */
void sg_cel_unredacted(const struct sg_cel_run *run, const struct sg_cel_val *v,
		       struct sg_cel_val *out);

/* n zeroed bytes of the run's memory, or NULL past SG_CEL_MAX_MEMORY
 * (the run is then over its bound). */
void *sg_cel_alloc(struct sg_cel_run *run, size_t n);

/* Count one step and `bytes` scanned; false once the run is over a bound.
 * A charge that would take run->steps past SG_CEL_MAX_STEPS sets it to
 * SG_CEL_MAX_STEPS + 1, so the count never passes that however much one
 * call charges. */
bool sg_cel_step(struct sg_cel_run *run, size_t bytes);

/* *out becomes an error with the message. */
void sg_cel_error(struct sg_cel_run *run, struct sg_cel_val *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* *out becomes an absent error: "no such <what>: <s>". */
void sg_cel_absent(struct sg_cel_run *run, struct sg_cel_val *out, const char *what, const char *s,
		   size_t n);

/* *out becomes "no such overload: op(type, type)" (b may be NULL). */
void sg_cel_no_overload(struct sg_cel_run *run, struct sg_cel_val *out, const char *op,
			const struct sg_cel_val *a, const struct sg_cel_val *b);

const char *sg_cel_type_name(enum sg_cel_type t);

/* CEL's ==: numbers of any kind by value, lists and maps deeply,
 * different types unequal. */
bool sg_cel_equal(const struct sg_cel_val *a, const struct sg_cel_val *b);

/* A map's value for key, or NULL. */
const struct sg_cel_val *sg_cel_map_get(const struct sg_cel_val *m, const struct sg_cel_val *key);

#endif

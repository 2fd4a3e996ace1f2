/* JSON-RPC 2.0 read and written for MCP (the contract is jsonrpc.h).
 * Reading goes through user/base/json.c (cJSON); writing composes the
 * compact texts of values already checked. */
#include "user/mcp/jsonrpc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int invalid(const char **why, const char *what)
{
	*why = what;
	return SG_JSONRPC_INVALID_REQUEST;
}

static bool finite_number(const struct sg_json *v)
{
	double d;

	return sg_json_num(v, &d) == 0 && isfinite(d);
}

/* A member the gateway reads, and the complaint when a message gives it
 * twice. */
struct member {
	const char *key, *twice;
};

/* The members the gateway reads, each of which must come once: the JSON
 * reader keeps every member of a name and the gateway reads the first,
 * where a target's (JSON.parse, Python's json) takes the last, so that a
 * tools/call whose params named two tools was authorized
 * (mcpAuthorization) as the first and ran the second. agentgateway's typed
 * messages refuse a field given twice too. */
static const struct member top_members[] = {
	{ "jsonrpc", "\"jsonrpc\" is given twice" }, { "id", "\"id\" is given twice" },
	{ "method", "\"method\" is given twice" },   { "params", "\"params\" is given twice" },
	{ "result", "\"result\" is given twice" },   { "error", "\"error\" is given twice" },
};
static const struct member params_members[] = {
	{ "name", "\"params.name\" is given twice" },
	{ "uri", "\"params.uri\" is given twice" },
	{ "ref", "\"params.ref\" is given twice" },
};
static const struct member ref_members[] = {
	{ "type", "\"params.ref.type\" is given twice" },
	{ "name", "\"params.ref.name\" is given twice" },
	{ "uri", "\"params.ref.uri\" is given twice" },
};

#define MEMBERS_MAX 6

/* The complaint for the first of members[0..n) (n <= MEMBERS_MAX) that obj
 * names twice; NULL: none, or obj is no object. */
static const char *given_twice(const struct sg_json *obj, const struct member *members, size_t n)
{
	bool seen[MEMBERS_MAX] = { false };

	if (sg_json_type(obj) != SG_JSON_OBJECT)
		return NULL;
	for (const struct sg_json *v = sg_json_first(obj); v; v = sg_json_next(v))
		for (size_t k = 0; k < n; k++) {
			if (strcmp(sg_json_key(v), members[k].key))
				continue;
			if (seen[k])
				return members[k].twice;
			seen[k] = true;
		}
	return NULL;
}

#define GIVEN_TWICE(obj, members) given_twice(obj, members, sizeof(members) / sizeof(members[0]))

/* The fields of an object already parsed, checked as JSON-RPC 2.0 wants. */
static int classify(struct sg_jsonrpc *m, const char **why)
{
	const struct sg_json *root = m->root, *v = sg_json_get(root, "jsonrpc"), *id, *method;
	const char *twice;
	enum sg_json_type t;
	bool null_id;

	if (sg_json_type(root) == SG_JSON_ARRAY)
		return invalid(why, "JSON-RPC batches are not supported (MCP 2025-06-18)");
	if (sg_json_type(root) != SG_JSON_OBJECT)
		return invalid(why, "a JSON-RPC message is an object");
	id = sg_json_get(root, "id");
	t = sg_json_type(id);
	/* null: the id of an error about a message whose id was unreadable */
	null_id = id && t == SG_JSON_NULL && sg_json_get(root, "error") &&
		  !sg_json_get(root, "method");
	if (id && !null_id && t != SG_JSON_STRING && t != SG_JSON_NUMBER)
		return invalid(why, "\"id\" must be a string or a number");
	/* 1e400 reads as infinity, which would be written back as null */
	if (t == SG_JSON_NUMBER && !finite_number(id))
		return invalid(why, "\"id\" must be a number a double holds");
	m->id = null_id ? NULL : id;
	if ((twice = GIVEN_TWICE(root, top_members)) ||
	    (twice = GIVEN_TWICE(sg_json_get(root, "params"), params_members)) ||
	    (twice = GIVEN_TWICE(sg_json_get(sg_json_get(root, "params"), "ref"), ref_members)))
		return invalid(why, twice);
	if (!sg_json_str(v) || strcmp(sg_json_str(v), "2.0"))
		return invalid(why, "\"jsonrpc\" must be \"2.0\"");
	method = sg_json_get(root, "method");
	m->params = sg_json_get(root, "params");
	m->result = sg_json_get(root, "result");
	m->error = sg_json_get(root, "error");
	if (method) {
		if (!(m->method = sg_json_str(method)) || !m->method[0])
			return invalid(why, "\"method\" must be a non-empty string");
		t = sg_json_type(m->params);
		if (m->params && t != SG_JSON_OBJECT && t != SG_JSON_ARRAY)
			return invalid(why, "\"params\" must be an object or an array");
		if (m->result || m->error)
			return invalid(why, "a request carries no \"result\" or \"error\"");
		m->kind = id ? SG_JSONRPC_REQUEST : SG_JSONRPC_NOTIFICATION;
		return 0;
	}
	if ((!m->id && !null_id) || !m->result == !m->error)
		return invalid(why, "a message needs a \"method\", or an \"id\" with one of "
				    "\"result\" or \"error\"");
	if (m->error && sg_json_type(m->error) != SG_JSON_OBJECT)
		return invalid(why, "\"error\" must be an object");
	m->kind = SG_JSONRPC_RESPONSE;
	return 0;
}

int sg_jsonrpc_parse(const char *text, size_t len, struct sg_jsonrpc *m, const char **why)
{
	char *copy;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > SG_JSONRPC_MAX) {
		*why = "the message is larger than the gateway reads";
		return SG_JSONRPC_PARSE_ERROR;
	}
	if (memchr(text, '\0', len)) {
		*why = "the message holds a NUL byte";
		return SG_JSONRPC_PARSE_ERROR;
	}
	if (!(copy = malloc(len + 1)))
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	m->root = sg_json_parse_exact(copy); /* ids go back as they came */
	free(copy);
	if (!m->root) {
		*why = "the body is not JSON";
		return SG_JSONRPC_PARSE_ERROR;
	}
	rc = classify(m, why);
	if (rc)
		m->method = NULL;
	return rc;
}

void sg_jsonrpc_free(struct sg_jsonrpc *m)
{
	sg_json_free(m->root);
	memset(m, 0, sizeof(*m));
}

/* s starts as a whole number above 0 does (no sign, no leading zero). */
static bool digit_first(const char *s)
{
	return *s >= '1' && *s <= '9';
}

bool sg_jsonrpc_id_u64(const struct sg_json *id, uint64_t *out)
{
	const char *text = sg_json_num_text(id);
	double d;

	if (text) { /* past a double's 2^53, or not written as a whole number */
		char *end;
		unsigned long long v;

		if (!digit_first(text))
			return false;
		errno = 0;
		v = strtoull(text, &end, 10);
		if (*end || errno || !v)
			return false;
		*out = v;
		return true;
	}
	/* checked before the cast: one of a double past 2^64 is undefined */
	if (sg_json_num(id, &d) || !(d >= 1 && d < 0x1p64) || d != (double)(uint64_t)d)
		return false;
	*out = (uint64_t)d;
	return true;
}

/* The compact text of v, or "null" for NULL (malloc'd; NULL: no memory). */
static char *text_of(const struct sg_json *v)
{
	return v ? sg_json_print(v, SG_JSON_COMPACT) : strdup("null");
}

/* The concatenation of the n strings (malloc'd; NULL: no memory). */
static char *join(const char *const *parts, size_t n)
{
	size_t len = 0, off = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(parts[i]);
	if (!(s = malloc(len + 1)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(parts[i]);

		memcpy(s + off, parts[i], k);
		off += k;
	}
	s[off] = '\0';
	return s;
}

#define JOIN(...)                                                                                  \
	join((const char *const[]){ __VA_ARGS__ },                                                 \
	     sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

char *sg_jsonrpc_error_text(const struct sg_json *id, int code, const char *msg)
{
	struct sg_json *m = sg_json_string(msg);
	char *idt = text_of(id), *mt = m ? sg_json_print(m, SG_JSON_COMPACT) : NULL, *out = NULL;
	char num[16];

	snprintf(num, sizeof(num), "%d", code);
	if (idt && mt)
		out = JOIN("{\"jsonrpc\":\"2.0\",\"id\":", idt, ",\"error\":{\"code\":", num,
			   ",\"message\":", mt, "}}");
	sg_json_free(m);
	free(idt);
	free(mt);
	return out;
}

char *sg_jsonrpc_result_text(const struct sg_json *id, const char *result)
{
	char *idt = text_of(id), *out = NULL;

	if (idt)
		out = JOIN("{\"jsonrpc\":\"2.0\",\"id\":", idt, ",\"result\":", result, "}");
	free(idt);
	return out;
}

char *sg_jsonrpc_reply_text(const struct sg_json *id, const struct sg_jsonrpc *resp)
{
	char *idt = text_of(id), *vt = text_of(resp->result ? resp->result : resp->error);
	char *out = NULL;

	if (idt && vt)
		out = JOIN("{\"jsonrpc\":\"2.0\",\"id\":", idt,
			   resp->result ? ",\"result\":" : ",\"error\":", vt, "}");
	free(idt);
	free(vt);
	return out;
}

char *sg_jsonrpc_with_id(const struct sg_jsonrpc *m, uint64_t id)
{
	struct sg_json *meth = sg_json_string(m->method);
	char *mt = meth ? sg_json_print(meth, SG_JSON_COMPACT) : NULL;
	char *pt = m->params ? sg_json_print(m->params, SG_JSON_COMPACT) : NULL;
	char idt[32], *out = NULL;

	snprintf(idt, sizeof(idt), "%" PRIu64, id);
	if (mt && (pt || !m->params)) {
		out = JOIN("{\"jsonrpc\":\"2.0\"", id ? ",\"id\":" : "", id ? idt : "",
			   ",\"method\":", mt, pt ? ",\"params\":" : "", pt ? pt : "", "}");
	}
	sg_json_free(meth);
	free(mt);
	free(pt);
	return out;
}

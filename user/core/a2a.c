/* agentgateway's a2a policy's pieces (the contract is a2a.h). */
#include "user/core/a2a.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/json.h"

static const char *const suffixes[] = { "/.well-known/agent.json", "/.well-known/agent-card.json" };

static bool ends_with(const char *p, size_t len, const char *sfx)
{
	size_t n = strlen(sfx);

	return len >= n && !memcmp(p + len - n, sfx, n);
}

enum sg_a2a_kind sg_a2a_classify(const char *method, size_t mlen, const char *path, size_t plen)
{
	if (mlen == 3 && !memcmp(method, "GET", 3) &&
	    (ends_with(path, plen, suffixes[0]) || ends_with(path, plen, suffixes[1])))
		return SG_A2A_CARD;
	if (mlen == 4 && !memcmp(method, "POST", 4))
		return SG_A2A_CALL;
	return SG_A2A_NONE;
}

size_t sg_a2a_base_len(const char *path, size_t len)
{
	/* agentgateway strips agent.json, then agent-card.json, off what is left */
	if (ends_with(path, len, suffixes[0]))
		len -= strlen(suffixes[0]);
	if (ends_with(path, len, suffixes[1]))
		len -= strlen(suffixes[1]);
	return len;
}

/* path without prefix when it ends on a segment boundary (agentgateway's
 * strip_complete_path_prefix); NULL when it does not, or prefix is "". */
static const char *strip_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!n)
		return NULL;
	while (n && prefix[n - 1] == '/')
		n--;
	if (!n)
		return path;
	if (strncmp(path, prefix, n))
		return NULL;
	return !path[n] || path[n] == '/' ? path + n : NULL;
}

/* The path (and query) of URL s: from the first '/' after its authority
 * ("/" when none); NULL when s is no absolute URL. */
static const char *url_path(const char *s)
{
	const char *p = strstr(s, "://"), *slash;

	if (!p || p == s || strpbrk(s, " \t\r\n"))
		return NULL;
	slash = strpbrk(p + 3, "/?");
	return slash && *slash == '/' ? slash : "/";
}

static int interfaces(struct sg_json *list, const char *gateway, const char *agent,
		      const char **why)
{
	if (sg_json_type(list) != SG_JSON_ARRAY) {
		*why = "agent card supportedInterfaces is not an array";
		return -1;
	}
	for (struct sg_json *i = sg_json_first(list); i; i = sg_json_next(i)) {
		const char *url = sg_json_str(sg_json_get(i, "url")), *path, *rel;
		char *v;

		if (!url || !(path = url_path(url)))
			continue;
		rel = strip_prefix(path, agent);
		if (!rel)
			rel = path;
		if (!(v = malloc(strlen(gateway) + strlen(rel) + 1))) {
			*why = "out of memory";
			return -1;
		}
		sprintf(v, "%s%s", gateway, rel);
		sg_json_set(i, "url", sg_json_string(v));
		free(v);
	}
	return 0;
}

int sg_a2a_card(const char *body, size_t len, const char *gateway, const char *agent, char **out,
		size_t *outlen, const char **why)
{
	char *text = malloc(len + 1);
	struct sg_json *card, *list;
	int rc = -1;

	*out = NULL;
	*why = "agent card invalid JSON";
	if (!text)
		return -1;
	memcpy(text, body, len);
	text[len] = '\0';
	card = sg_json_parse(text);
	free(text);
	if (!card)
		return -1;
	if ((list = sg_json_get(card, "supportedInterfaces"))) {
		rc = interfaces(list, gateway, agent, why);
	} else if (sg_json_get(card, "url")) {
		rc = sg_json_set(card, "url", sg_json_string(gateway)) == 0 ? 0 : -1;
		*why = rc ? "out of memory" : *why;
	} else {
		*why = "agent card missing URL (no 'url' or 'supportedInterfaces' field)";
	}
	if (rc == 0 && !(*out = sg_json_print(card, SG_JSON_COMPACT))) {
		*why = "out of memory";
		rc = -1;
	}
	if (*out)
		*outlen = strlen(*out);
	sg_json_free(card);
	return rc;
}

static struct sg_json *parsed(const char *body, size_t len)
{
	char *text = malloc(len + 1);
	struct sg_json *j;

	if (!text)
		return NULL;
	memcpy(text, body, len);
	text[len] = '\0';
	j = sg_json_parse(text);
	free(text);
	return j;
}

void sg_a2a_method(const char *body, size_t len, struct sg_a2a_log *l)
{
	struct sg_json *j = parsed(body, len);
	const char *m = sg_json_str(sg_json_get(j, "method"));

	snprintf(l->method, sizeof(l->method), "%s", m && *m ? m : "unknown");
	sg_json_free(j);
}

/* v, when it is there and not null. */
static struct sg_json *present(struct sg_json *v)
{
	return sg_json_type(v) == SG_JSON_NULL ? NULL : v;
}

static void copy(char *dst, size_t cap, const char *s)
{
	if (s)
		snprintf(dst, cap, "%s", s);
}

void sg_a2a_answer(const char *body, size_t len, struct sg_a2a_log *l)
{
	struct sg_json *j = parsed(body, len), *err, *res, *task, *msg, *ctx;
	double code;

	if (!j)
		return;
	l->answered = true;
	err = present(sg_json_get(j, "error"));
	res = present(sg_json_get(j, "result"));
	l->outcome = err ? "error" : res ? "success" : "unknown";
	/* an integer that fits (serde_json's as_i64): casting any other
	 * double is undefined */
	if (err && sg_json_num(sg_json_get(err, "code"), &code) == 0 && code >= -0x1p63 &&
	    code < 0x1p63 && code == (double)(int64_t)code) {
		l->has_code = true;
		l->code = (int64_t)code;
		snprintf(l->code_text, sizeof(l->code_text), "%lld", (long long)l->code);
	}
	/* v0.3: the result's own fields, by kind; v1.0: result.task or
	 * result.message, whose arm names the kind */
	task = present(sg_json_get(res, "task"));
	msg = present(sg_json_get(res, "message"));
	copy(l->kind, sizeof(l->kind), sg_json_str(sg_json_get(res, "kind")));
	if (!l->kind[0])
		copy(l->kind, sizeof(l->kind), task ? "task" : msg ? "message" : NULL);
	copy(l->state, sizeof(l->state),
	     sg_json_str(sg_json_get(sg_json_get(res, "status"), "state")));
	if (!l->state[0])
		copy(l->state, sizeof(l->state),
		     sg_json_str(sg_json_get(sg_json_get(task, "status"), "state")));
	ctx = sg_json_get(res, "contextId");
	if (!ctx)
		ctx = sg_json_get(task, "contextId");
	if (!ctx)
		ctx = sg_json_get(msg, "contextId");
	copy(l->context, sizeof(l->context), sg_json_str(ctx));
	sg_json_free(j);
}

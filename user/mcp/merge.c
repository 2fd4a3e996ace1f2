/* Federation's pure part (the contract is merge.h): results composed as
 * text from the parts' values. */
#include "user/mcp/merge.h"

#include <stdlib.h>
#include <string.h>

/* A growing text; ok false once memory ran out. */
struct text {
	char *p;
	size_t len, cap;
	bool ok;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (!t->ok)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		char *q;

		while (cap < t->len + n + 1)
			cap *= 2;
		if (!(q = realloc(t->p, cap))) {
			t->ok = false;
			return;
		}
		t->p = q;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* v's compact text appended (NULL v: nothing). */
static void put_json(struct text *t, const struct sg_json *v)
{
	char *s = sg_json_print(v, SG_JSON_COMPACT);

	if (!s) {
		t->ok = false;
		return;
	}
	puts_(t, s);
	free(s);
}

static char *done(struct text *t)
{
	if (t->ok)
		return t->p;
	free(t->p);
	return NULL;
}

/* The members of `obj` other than `skip`, appended as "k":v,... after
 * *first. */
static void put_members(struct text *t, const struct sg_json *obj, const char *skip, bool *first)
{
	for (const struct sg_json *m = sg_json_first(obj); m; m = sg_json_next(m)) {
		struct sg_json *k;

		if (skip && !strcmp(sg_json_key(m), skip))
			continue;
		if (!*first)
			puts_(t, ",");
		*first = false;
		k = sg_json_string(sg_json_key(m));
		put_json(t, k);
		sg_json_free(k);
		puts_(t, ":");
		put_json(t, m);
	}
}

char *sg_mcp_merge_initialize(const struct sg_mcp_part *parts, size_t n, const char *want)
{
	struct text t = { .ok = true };
	const char *version = NULL;
	bool first = true;
	size_t have = 0;

	for (size_t i = 0; i < n; i++) {
		const char *v = sg_json_str(sg_json_get(parts[i].result, "protocolVersion"));

		if (!parts[i].result)
			continue;
		have++;
		if (!version || (v && want && !strcmp(v, want)))
			version = v;
	}
	if (!have || !version)
		return NULL;
	puts_(&t, "{\"protocolVersion\":");
	{
		struct sg_json *s = sg_json_string(version);

		put_json(&t, s);
		sg_json_free(s);
	}
	puts_(&t, ",\"capabilities\":{");
	for (size_t i = 0; i < n; i++) {
		const struct sg_json *caps = sg_json_get(parts[i].result, "capabilities");

		for (const struct sg_json *c = sg_json_first(caps); c; c = sg_json_next(c)) {
			bool seen = false;

			for (size_t j = 0; j < i && !seen; j++)
				seen = sg_json_get(sg_json_get(parts[j].result, "capabilities"),
						   sg_json_key(c)) != NULL;
			if (seen)
				continue;
			if (!first)
				puts_(&t, ",");
			first = false;
			{
				struct sg_json *k = sg_json_string(sg_json_key(c));

				put_json(&t, k);
				sg_json_free(k);
			}
			puts_(&t, ":");
			put_json(&t, c);
		}
	}
	puts_(&t, "},\"serverInfo\":{\"name\":\"splicegate\",\"version\":\"1.0\"}");
	if (n == 1 && sg_json_get(parts[0].result, "instructions")) {
		puts_(&t, ",\"instructions\":");
		put_json(&t, sg_json_get(parts[0].result, "instructions"));
	}
	puts_(&t, "}");
	return done(&t);
}

char *sg_mcp_merge_list(const struct sg_mcp_part *parts, size_t n, const char *key,
			const char *field, bool prefix)
{
	struct text t = { .ok = true };
	struct sg_json *k = sg_json_string(key);
	bool first_item = true;

	puts_(&t, "{");
	put_json(&t, k);
	sg_json_free(k);
	puts_(&t, ":[");
	for (size_t i = 0; i < n; i++) {
		const struct sg_json *items = sg_json_get(parts[i].result, key);

		if (sg_json_type(items) != SG_JSON_ARRAY)
			continue;
		for (const struct sg_json *it = sg_json_first(items); it; it = sg_json_next(it)) {
			const char *v = sg_json_str(sg_json_get(it, field));
			bool first = false;

			if (sg_json_type(it) != SG_JSON_OBJECT)
				continue;
			if (!first_item)
				puts_(&t, ",");
			first_item = false;
			if (!prefix || !v) {
				put_json(&t, it);
				continue;
			}
			puts_(&t, "{");
			{
				struct sg_json *fk = sg_json_string(field);
				size_t nn = strlen(parts[i].name) + 1 + strlen(v) + 1;
				char *name = malloc(nn);
				struct sg_json *fv;

				if (!name) {
					t.ok = false;
					sg_json_free(fk);
					break;
				}
				strcpy(name, parts[i].name);
				strcat(name, "_");
				strcat(name, v);
				fv = sg_json_string(name);
				free(name);
				put_json(&t, fk);
				puts_(&t, ":");
				put_json(&t, fv);
				sg_json_free(fk);
				sg_json_free(fv);
			}
			put_members(&t, it, field, &first);
			puts_(&t, "}");
		}
	}
	puts_(&t, "]}");
	return done(&t);
}

int sg_mcp_unprefix(const char *const *names, size_t n, const char *name, const char **rest)
{
	int best = -1;
	size_t best_len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		if (len > best_len && !strncmp(name, names[i], len) && name[len] == '_') {
			best = (int)i;
			best_len = len;
		}
	}
	if (best >= 0)
		*rest = name + best_len + 1;
	return best;
}

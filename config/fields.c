/* Field tables and the scalar parsers both dialects share. Every error says
 * where (file:line:col), which key, what was expected and what was found. */
#include "config/fields.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/cel.h"
#include "config/duration.h"
#include "config/hostname.h"
#include "config/refuse.h"

const char *sg_path_key(struct sg_pctx *c, const char *path, const char *key)
{
	if (!path || !*path)
		return sg_arena_strdup(c->a, key);
	return sg_arena_printf(c->a, "%s.%s", path, key);
}

const char *sg_path_idx(struct sg_pctx *c, const char *path, size_t i)
{
	return sg_arena_printf(c->a, "%s[%zu]", path ? path : "", i);
}

/* What a node looks like, for "got ..." in messages. */
static const char *found(struct sg_pctx *c, const struct sg_node *n)
{
	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n))
		return sg_arena_printf(c->a, "\"%s\"", n->str);
	if (n->kind == SG_NODE_MAP && n->n == 0)
		return "an empty map";
	if (n->kind == SG_NODE_SEQ && n->n == 0)
		return "an empty list";
	return sg_node_kind_name(n);
}

int sg_expected(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *what)
{
	sg_diag_err(c->d, n, "%s: expected %s, got %s", path, what, found(c, n));
	return -1;
}

int sg_need_map(struct sg_pctx *c, const struct sg_node *n, const char *path)
{
	return n->kind == SG_NODE_MAP ? 0 : sg_expected(c, n, path, "a map");
}

int sg_need_seq(struct sg_pctx *c, const struct sg_node *n, const char *path)
{
	return n->kind == SG_NODE_SEQ ? 0 : sg_expected(c, n, path, "a list");
}

static const struct sg_field *find_field(const struct sg_field *tbl, const char *key)
{
	for (; tbl->key; tbl++)
		if (strcmp(tbl->key, key) == 0)
			return tbl;
	return NULL;
}

/* "a, b, c": the keys of `tbl`, for the unknown-key message; not the ones
 * refused by name (config/refuse.h), which cannot be written. */
static const char *key_list(struct sg_pctx *c, const struct sg_field *tbl)
{
	size_t len = 0;
	char *list, *p;

	for (const struct sg_field *f = tbl; f->key; f++)
		len += strlen(f->key) + 2;
	p = list = sg_arena_alloc(c->a, len + 1);
	if (!list)
		return "?";
	*p = '\0';
	for (const struct sg_field *f = tbl; f->key; f++)
		if (f->fn != sg_f_refused)
			p += sprintf(p, "%s%s", p == list ? "" : ", ", f->key);
	return list;
}

/* The edit distance between a and b (insertions, deletions, changes and
 * swaps of two neighbours, case ignored), or SIZE_MAX when either is
 * longer than KEY_MAX (no key is). */
#define KEY_MAX 63
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[KEY_MAX + 2][KEY_MAX + 2];

	if (la > KEY_MAX || lb > KEY_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* The key of tbl nearest to `key`, when it is near enough to be a slip
 * (at most a third of its letters, at least one, off: "protocl",
 * "Protocol", "pathPrefx"); NULL: none is. */
static const char *nearest_key(const struct sg_field *tbl, const char *key)
{
	size_t best = SIZE_MAX, len = strlen(key), most = len / 3 ? len / 3 : 1;
	const char *near = NULL;

	for (; tbl->key; tbl++) {
		size_t d = distance(key, tbl->key);

		if (d < best) {
			best = d;
			near = tbl->key;
		}
	}
	return best <= most ? near : NULL;
}

/* The list of keys is made once per map however many keys are unknown:
 * a map of 100,000 unknown keys costs 100,000 short lookups. */
int sg_parse_fields(struct sg_pctx *c, const struct sg_node *map, const struct sg_field *tbl,
		    void *obj, const char *path)
{
	const char *expected = NULL;
	int ret = 0;

	if (sg_need_map(c, map, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(map); i++) {
		const struct sg_node *key = sg_map_key(map, i);
		const struct sg_field *f = find_field(tbl, key->str);

		if (!f) {
			/* Past the lines the diagnostics keep, the suggestion
			 * would not be read: 100,000 wrong keys cost no more. */
			const char *near = c->d->errors < SG_DIAG_MAX_LINES
						   ? nearest_key(tbl, key->str)
						   : NULL;

			if (!expected)
				expected = key_list(c, tbl);
			sg_diag_err(c->d, key,
				    "%s: unknown field \"%s\"%s%s%s, expected one of: %s",
				    path && *path ? path : "(top level)", key->str,
				    near ? " (did you mean \"" : "", near ? near : "",
				    near ? "\"?)" : "", expected);
			ret = -1;
			continue;
		}
		/* A required key with no value is reported as missing below. */
		if (f->required && sg_node_is_null(sg_map_val(map, i)))
			continue;
		if (f->fn && f->fn(c, sg_map_val(map, i), (char *)obj + f->off,
				   sg_path_key(c, path, f->key)) == -1)
			ret = -1;
	}
	for (const struct sg_field *f = tbl; f->key; f++) {
		if (f->required && sg_node_is_null(sg_map_get(map, f->key))) {
			sg_diag_err(c->d, map, "%s: missing required field \"%s\"",
				    path && *path ? path : "(top level)", f->key);
			ret = -1;
		}
	}
	return ret;
}

static int need_scalar(struct sg_pctx *c, const struct sg_node *n, const char *path,
		       const char *what)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, what);
	return 0;
}

int sg_f_str(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind != SG_NODE_SCALAR)
		return sg_expected(c, n, path, "a string");
	/* "key: ~" is "key" left out: a default set beforehand stays. */
	if (!sg_node_is_null(n))
		*(const char **)dst = n->str;
	return 0;
}

int sg_f_bool(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (need_scalar(c, n, path, "true or false") == -1)
		return -1;
	if (!strcmp(n->str, "true") || !strcmp(n->str, "True"))
		*(bool *)dst = true;
	else if (!strcmp(n->str, "false") || !strcmp(n->str, "False"))
		*(bool *)dst = false;
	else
		return sg_expected(c, n, path, "true or false");
	return 0;
}

/* A non-negative decimal integer no larger than `max`. */
static int parse_uint(struct sg_pctx *c, const struct sg_node *n, const char *path, uint64_t max,
		      const char *what, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (need_scalar(c, n, path, what) == -1)
		return -1;
	if (!n->plain || n->str[0] < '0' || n->str[0] > '9')
		return sg_expected(c, n, path, what);
	errno = 0;
	v = strtoull(n->str, &end, 10);
	if (errno || *end || v > max)
		return sg_expected(c, n, path, what);
	*out = v;
	return 0;
}

int sg_f_u32(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint64_t v;

	if (parse_uint(c, n, path, UINT32_MAX, "a whole number from 0 to 4294967295", &v) == -1)
		return -1;
	*(uint32_t *)dst = (uint32_t)v;
	return 0;
}

int sg_f_byte_size(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		{ "k", 1000 },
		{ "M", 1000 * 1000 },
		{ "G", 1000 * 1000 * 1000 },
		{ "Ki", 1024 },
		{ "Mi", 1024 * 1024 },
		{ "Gi", 1024 * 1024 * 1024 },
	};
	static const char what[] = "a byte size such as 8192, \"8Ki\" or \"1Mi\"";
	unsigned long long v;
	char *end;

	if (need_scalar(c, n, path, what) == -1)
		return -1;
	if (!n->str || n->str[0] < '0' || n->str[0] > '9')
		return sg_expected(c, n, path, what);
	errno = 0;
	v = strtoull(n->str, &end, 10);
	for (size_t i = 0; !errno && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (v > UINT32_MAX / units[i].mult)
			break;
		*(uint32_t *)dst = (uint32_t)(v * units[i].mult);
		return 0;
	}
	return sg_expected(c, n, path, what);
}

int sg_f_i64(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint64_t v;

	if (parse_uint(c, n, path, INT64_MAX, "a non-negative whole number", &v) == -1)
		return -1;
	*(int64_t *)dst = (int64_t)v;
	return 0;
}

int sg_f_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint64_t v;

	if (sg_node_is_null(n)) {
		*(int64_t *)dst = SG_UNSET;
		return 0;
	}
	if (parse_uint(c, n, path, UINT32_MAX, "a whole number from 1 to 4294967295", &v) == -1)
		return -1;
	if (v == 0)
		return sg_expected(c, n, path, "a whole number from 1 to 4294967295");
	*(int64_t *)dst = (int64_t)v;
	return 0;
}

int sg_f_port(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint64_t v;

	if (parse_uint(c, n, path, 65535, "a port number from 1 to 65535", &v) == -1)
		return -1;
	if (v == 0)
		return sg_expected(c, n, path, "a port number from 1 to 65535");
	*(uint16_t *)dst = (uint16_t)v;
	return 0;
}

/* {secs: N, nanos: M}, the shape of a protobuf Duration (seed 003). */
struct secs_nanos {
	int64_t secs;
	int64_t nanos;
};

static const struct sg_field secs_nanos_fields[] = {
	{ "secs", sg_f_i64, offsetof(struct secs_nanos, secs), false },
	{ "nanos", sg_f_i64, offsetof(struct secs_nanos, nanos), false },
	{ 0 },
};

static int dur_from_map(struct sg_pctx *c, const struct sg_node *n, sg_dur *out, const char *path)
{
	struct secs_nanos sn = { 0, 0 };

	if (sg_parse_fields(c, n, secs_nanos_fields, &sn, path) == -1)
		return -1;
	if (sn.nanos > 999999999)
		return sg_expected(c, sg_map_get(n, "nanos"), sg_path_key(c, path, "nanos"),
				   "nanoseconds from 0 to 999999999");
	if (sn.secs > INT64_MAX / 1000000000LL - 1)
		return sg_expected(c, n, path, "a duration that fits in 292 years");
	*out = sn.secs * 1000000000LL + sn.nanos;
	return 0;
}

int sg_f_dur(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const char *what = "a duration such as \"500ms\" or \"1s\"";
	char why[64];

	if (n->kind == SG_NODE_MAP)
		return dur_from_map(c, n, dst, path);
	if (need_scalar(c, n, path, what) == -1)
		return -1;
	if (sg_dur_parse(n->str, dst, why, sizeof(why)) == -1) {
		/* "not a number at all" is what "expected a duration" says. */
		if (!strcmp(why, "expected number"))
			return sg_expected(c, n, path, what);
		sg_diag_err(c->d, n, "%s: expected %s, got \"%s\" (%s)", path, what, n->str, why);
		return -1;
	}
	return 0;
}

/* Whether s is a Gateway API Duration (GEP-2257, the CRDs' pattern
 * ^([0-9]{1,5}(h|m|s|ms)){1,4}$): no fraction, no sign, no other unit. */
static bool gwapi_dur_ok(const char *s)
{
	int parts = 0;

	while (*s) {
		size_t digits = strspn(s, "0123456789");

		if (digits < 1 || digits > 5 || ++parts > 4)
			return false;
		s += digits;
		if (s[0] == 'm' && s[1] == 's')
			s += 2;
		else if (*s == 'h' || *s == 'm' || *s == 's')
			s++;
		else
			return false;
	}
	return parts > 0;
}

int sg_f_gwapi_dur(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	/* What is no duration at all is said as everywhere else. */
	if (sg_f_dur(c, n, dst, path) == -1)
		return -1;
	if (n->kind != SG_NODE_SCALAR || !gwapi_dur_ok(n->str))
		return sg_expected(c, n, path,
				   "a Gateway API duration (1 to 4 parts of up to 5 digits and h, "
				   "m, s or ms, such as \"500ms\" or \"1m30s\")");
	return 0;
}

int sg_f_gwapi_dur_min(struct sg_pctx *c, const struct sg_node *n, sg_dur *dst, const char *path,
		       sg_dur min)
{
	char buf[SG_DUR_STRLEN];

	if (sg_f_gwapi_dur(c, n, dst, path) == -1)
		return -1;
	if (*dst < min)
		return sg_expected(c, n, path,
				   sg_arena_printf(c->a, "a duration of at least %s",
						   sg_dur_format(min, buf)));
	return 0;
}

int sg_f_http_version(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct {
		const char *name;
		enum sg_http_version v;
	} names[] = {
		{ "HTTP/1.1", SG_HTTP_VERSION_1_1 }, { "1.1", SG_HTTP_VERSION_1_1 },
		{ "HTTP/2.0", SG_HTTP_VERSION_2 },   { "HTTP/2", SG_HTTP_VERSION_2 },
		{ "2.0", SG_HTTP_VERSION_2 },	     { "2", SG_HTTP_VERSION_2 },
	};
	const char *what = "\"HTTP/1.1\" or \"HTTP/2.0\"";

	if (need_scalar(c, n, path, what) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(n->str, names[i].name)) {
			*(enum sg_http_version *)dst = names[i].v;
			return 0;
		}
	return sg_expected(c, n, path, what);
}

int sg_f_strs(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *s = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char **slot;

		if (need_scalar(c, n->items[i], sg_path_idx(c, path, i), "a string") == -1) {
			ret = -1;
			continue;
		}
		slot = sg_arena_push(c->a, &s->v, &s->n, &s->cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = n->items[i]->str;
	}
	return ret;
}

int sg_f_codes(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_codes *codes = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		uint64_t v;
		uint16_t *slot;

		const char *what = "an HTTP status code from 100 to 599";
		const char *p = sg_path_idx(c, path, i);

		if (parse_uint(c, n->items[i], p, 599, what, &v) == -1 ||
		    (v < 100 && sg_expected(c, n->items[i], p, what) == -1)) {
			ret = -1;
			continue;
		}
		slot = sg_arena_push(c->a, &codes->v, &codes->n, &codes->cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = (uint16_t)v;
	}
	return ret;
}

int sg_f_hostname(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (!sg_node_is_null(n) && !sg_hostname_valid(n->str, strlen(n->str)))
		return sg_expected(c, n, path, "a host name (RFC 1123) or an IPv4 address");
	return 0;
}

int sg_f_sni_names(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const struct sg_strs *v = dst;

	if (sg_f_strs(c, n, dst, path) == -1)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (!sg_sni_name_valid(v->v[i], strlen(v->v[i])))
			return sg_expected(c, n->items[i], sg_path_idx(c, path, i),
					   "a host name such as \"app.example.com\" or "
					   "\"*.example.com\" (no IP address, no trailing dot)");
	return 0;
}

int sg_f_ignore(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return 0;
}

int sg_f_node(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)c;
	(void)path;
	*(const struct sg_node **)dst = n;
	return 0;
}

/* ---- defaults (DESIGN §2, §3) ----------------------------------------- */

void sg_keepalive_defaults(struct sg_keepalive *k)
{
	k->enabled = true;
	k->time = SG_DUR_S(180);
	k->interval = SG_DUR_S(180);
	k->retries = 9;
}

void sg_frontend_http_defaults(struct sg_frontend_http *h)
{
	h->max_buffer_size = 2097152;
	h->http1_max_headers = SG_UNSET;
	h->http1_idle_timeout = SG_DUR_S(600);
	h->http2_window_size = SG_UNSET;
	h->http2_connection_window_size = SG_UNSET;
	h->http2_frame_size = SG_UNSET;
	h->http2_keepalive_interval = SG_DUR_UNSET;
	h->http2_keepalive_timeout = SG_DUR_UNSET;
	h->max_connection_duration = SG_DUR_UNSET;
	h->max_concurrent_requests = SG_UNSET;
	h->path = (struct sg_path_rules){ .normalize = true, .merge_slashes = true };
}

void sg_global_defaults(struct sg_global *g)
{
	g->admin_addr = "127.0.0.1:15000";
	g->stats_addr = "0.0.0.0:15020";
	g->readiness_addr = "0.0.0.0:15021";
	g->connect_timeout = SG_DUR_S(10);
	g->pool_idle_timeout = SG_DUR_S(90);
	g->pool_max_size = SG_UNSET;
	g->drain_timeout = SG_DUR_S(10);
	sg_keepalive_defaults(&g->keepalives);
}

/* ---- field tables both dialects share ---------------------------------- */

int sg_f_keepalive(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "enabled", sg_f_bool, offsetof(struct sg_keepalive, enabled) },
		{ "time", sg_f_dur, offsetof(struct sg_keepalive, time) },
		{ "interval", sg_f_dur, offsetof(struct sg_keepalive, interval) },
		{ "retries", sg_f_u32, offsetof(struct sg_keepalive, retries) },
		{ 0 },
	};
	/* `keepalives: {}` means "on, with the defaults". */
	sg_keepalive_defaults(dst);
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, dst, path);
}

/* enum sg_escaped_slashes, by Envoy's names; its fourth,
 * UNESCAPE_AND_REDIRECT, is refused by name (no redirect is made). */
static int escaped_slashes(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const names[] = {
		[SG_SLASHES_KEEP] = "KEEP_UNCHANGED",
		[SG_SLASHES_REJECT] = "REJECT_REQUEST",
		[SG_SLASHES_DECODE] = "UNESCAPE_AND_FORWARD",
	};
	const char *what = "KEEP_UNCHANGED, REJECT_REQUEST or UNESCAPE_AND_FORWARD";

	if (need_scalar(c, n, path, what) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(n->str, names[i])) {
			*(enum sg_escaped_slashes *)dst = (enum sg_escaped_slashes)i;
			return 0;
		}
	if (!strcmp(n->str, "UNESCAPE_AND_REDIRECT"))
		return sg_expected(c, n, path,
				   "KEEP_UNCHANGED, REJECT_REQUEST or UNESCAPE_AND_FORWARD "
				   "(UNESCAPE_AND_REDIRECT is not implemented)");
	return sg_expected(c, n, path, what);
}

int sg_f_frontend_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
#define F(key, fn, member) { key, fn, offsetof(struct sg_frontend_http, member) }
		F("maxBufferSize", sg_f_i64, max_buffer_size),
		F("http1MaxHeaders", sg_f_i64, http1_max_headers),
		F("http1IdleTimeout", sg_f_dur, http1_idle_timeout),
		F("http2WindowSize", sg_f_i64, http2_window_size),
		F("http2ConnectionWindowSize", sg_f_i64, http2_connection_window_size),
		F("http2FrameSize", sg_f_i64, http2_frame_size),
		F("http2KeepaliveInterval", sg_f_dur, http2_keepalive_interval),
		F("http2KeepaliveTimeout", sg_f_dur, http2_keepalive_timeout),
		F("maxConnectionDuration", sg_f_dur, max_connection_duration),
		F("maxConcurrentRequests", sg_f_limit, max_concurrent_requests),
		F("normalizePath", sg_f_bool, path.normalize),
		F("mergeSlashes", sg_f_bool, path.merge_slashes),
		F("pathWithEscapedSlashesAction", escaped_slashes, path.escaped_slashes),
#undef F
		{ 0 },
	};
	sg_frontend_http_defaults(dst);
	return sg_parse_fields(c, n, fields, dst, path);
}

/* proxyProtocol's two enums, spelt as each dialect spells them. */
struct proxy_word {
	const char *standalone, *k8s;
	unsigned value;
};

static const struct proxy_word proxy_versions[] = {
	{ "v1", "V1", SG_PROXY_V1 },
	{ "v2", "V2", SG_PROXY_V2 },
	{ "all", "All", SG_PROXY_V1 | SG_PROXY_V2 },
	{ 0 },
};

static const struct proxy_word proxy_modes[] = {
	{ "strict", "Strict", 0 },
	{ "optional", "Optional", 1 },
	{ 0 },
};

static int proxy_word(struct sg_pctx *c, const struct sg_node *n, const char *path, bool k8s,
		      const struct proxy_word *words, unsigned *out)
{
	char want[64] = "";

	for (const struct proxy_word *w = words; w->standalone; w++) {
		const char *word = k8s ? w->k8s : w->standalone;

		if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n) && !strcmp(n->str, word)) {
			*out = w->value;
			return 0;
		}
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
			 w == words	   ? ""
			 : w[1].standalone ? ", "
					   : " or ",
			 word);
	}
	return sg_expected(c, n, path, want);
}

static int f_proxy_version(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return proxy_word(c, n, path, false, proxy_versions,
			  &((struct sg_frontend_proxy *)dst)->versions);
}

static int f_proxy_version_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst,
			       const char *path)
{
	return proxy_word(c, n, path, true, proxy_versions,
			  &((struct sg_frontend_proxy *)dst)->versions);
}

static int proxy_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
		      bool k8s)
{
	unsigned optional;

	if (proxy_word(c, n, path, k8s, proxy_modes, &optional) == -1)
		return -1;
	((struct sg_frontend_proxy *)dst)->optional = optional;
	return 0;
}

static int f_proxy_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return proxy_mode(c, n, dst, path, false);
}

static int f_proxy_mode_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return proxy_mode(c, n, dst, path, true);
}

static int parse_proxy(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
		       const struct sg_field *fields)
{
	struct sg_frontend_proxy *fp = dst;

	fp->versions = SG_PROXY_V2; /* agentgateway's defaults: v2, strict */
	fp->optional = false;
	return sg_parse_fields(c, n, fields, fp, path);
}

int sg_f_frontend_proxy(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "version", f_proxy_version, 0 },
		{ "mode", f_proxy_mode, 0 },
		{ 0 },
	};

	return parse_proxy(c, n, dst, path, fields);
}

int sg_f_frontend_proxy_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "version", f_proxy_version_k8s, 0 },
		{ "mode", f_proxy_mode_k8s, 0 },
		{ 0 },
	};

	return parse_proxy(c, n, dst, path, fields);
}

/* agentgateway keeps a retry's attempts in a u8. */
#define RETRY_MAX_ATTEMPTS 255

static int parse_retry(struct sg_pctx *c, const struct sg_node *n, struct sg_retry *r,
		       const char *path, const struct sg_field *fields)
{
	memset(r, 0, sizeof(*r));
	r->attempts = 1; /* a retry policy without attempts retries once */
	r->backoff = SG_DUR_UNSET;
	return sg_parse_fields(c, n, fields, r, path);
}

int sg_f_retry(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "attempts", sg_f_u32, offsetof(struct sg_retry, attempts) },
		{ "backoff", sg_f_gwapi_dur, offsetof(struct sg_retry, backoff) },
		{ "codes", sg_f_codes, offsetof(struct sg_retry, codes) },
		{ 0 },
	};
	struct sg_retry *r = dst;

	if (parse_retry(c, n, r, path, fields) == -1)
		return -1;
	/* agentgateway's controller writes min(attempts, 255). */
	if (r->attempts > RETRY_MAX_ATTEMPTS)
		r->attempts = RETRY_MAX_ATTEMPTS;
	return 0;
}

/* The standalone dialect's attempts: agentgateway's NonZeroU8. */
static int f_attempts(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char what[] = "a whole number from 1 to 255";
	uint64_t v;

	if (parse_uint(c, n, path, RETRY_MAX_ATTEMPTS, what, &v) == -1)
		return -1;
	if (v == 0)
		return sg_expected(c, n, path, what);
	*(uint32_t *)dst = (uint32_t)v;
	return 0;
}

/* A retry expression, refused when it reads what its moment lacks. */
static int retry_expr(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
		      unsigned lacks, const char *why)
{
	const struct sg_cel **e = dst;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a CEL expression");
	if (sg_cel_field(c, n, n->str, e, path) == -1)
		return -1;
	if (sg_cel_needs(*e) & lacks) {
		sg_diag_err(c->d, n, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

static int f_precondition(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return retry_expr(c, n, dst, path,
			  SG_CEL_NEED_RESPONSE | SG_CEL_NEED_RESP_HEADERS | SG_CEL_NEED_RESP_BODY,
			  "a retry precondition reads the request before its first try: not a "
			  "response");
}

/* agentgateway evaluates the condition over each try's response as its
 * head comes (httpproxy.rs should_retry), before anything buffers its
 * body: response.body is null there, so an expression over it could
 * never hold; it is refused rather than accepted and always false. */
static int f_retry_condition(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	const struct sg_cel **e = dst;

	if (retry_expr(c, n, dst, path, SG_CEL_NEED_REQ_BODY,
		       "a retry condition reads the request's and the response's heads, not "
		       "the request's body") == -1)
		return -1;
	if (sg_cel_needs(*e) & SG_CEL_NEED_RESP_BODY) {
		sg_diag_err(c->d, n,
			    "%s: a retry condition is evaluated over each try's response head, "
			    "before its body is read (agentgateway's response.body is null "
			    "there): response.body cannot be read",
			    path);
		return -1;
	}
	return 0;
}

int sg_f_retry_cel(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "attempts", f_attempts, offsetof(struct sg_retry, attempts) },
		{ "backoff", sg_f_dur, offsetof(struct sg_retry, backoff) },
		{ "codes", sg_f_codes, offsetof(struct sg_retry, codes) },
		{ "precondition", f_precondition, offsetof(struct sg_retry, precondition) },
		{ "condition", f_retry_condition, offsetof(struct sg_retry, condition) },
		{ 0 },
	};

	return parse_retry(c, n, dst, path, fields);
}

/* Standalone `path: {exact|pathPrefix|regex: ...}`. */
int sg_parse_match_path(struct sg_pctx *c, const struct sg_node *n, struct sg_match *m,
			const char *path)
{
	static const struct {
		const char *key;
		enum sg_path_kind kind;
	} kinds[] = {
		{ "exact", SG_PATH_EXACT },
		{ "pathPrefix", SG_PATH_PREFIX },
		{ "regex", SG_PATH_REGEX },
	};

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) != 1)
		return sg_expected(c, n, path,
				   "a map with exactly one of exact, pathPrefix, regex");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct sg_node *v = sg_map_get(n, kinds[i].key);

		if (!v)
			continue;
		m->path_kind = kinds[i].kind;
		m->re_at = v;
		m->re_key = sg_path_key(c, path, kinds[i].key);
		if (sg_node_is_null(v))
			return sg_expected(c, v, sg_path_key(c, path, kinds[i].key),
					   "a path starting with \"/\"");
		if (sg_f_str(c, v, &m->path, sg_path_key(c, path, kinds[i].key)) == -1)
			return -1;
		if (kinds[i].kind != SG_PATH_REGEX && m->path[0] != '/')
			return sg_expected(c, v, sg_path_key(c, path, kinds[i].key),
					   "a path starting with \"/\"");
		return 0;
	}
	return sg_expected(c, n, path, "a map with exactly one of exact, pathPrefix, regex");
}

/* ---- backend health (agentgateway's health policy) ---------------------- */

/* The one shape of CEL splicegate evaluates: comparisons of response.code
 * with a number, joined by && and || (&& first, no parentheses). Returns 0,
 * or -1 when `s` is anything else. */
static int parse_code_expr(struct sg_pctx *c, const char *s, struct sg_health_policy *h)
{
	static const struct {
		const char *tok;
		enum sg_code_op op;
	} ops[] = {
		{ "==", SG_CODE_EQ }, { "!=", SG_CODE_NE }, { "<=", SG_CODE_LE },
		{ ">=", SG_CODE_GE }, { "<", SG_CODE_LT },  { ">", SG_CODE_GT },
	};
	size_t cap = 0;
	bool or_before = true;

	for (;;) {
		struct sg_code_cmp *t;
		size_t i;
		char *end;
		unsigned long v;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (strncmp(s, "response.code", 13))
			return -1;
		s += 13;
		while (*s == ' ' || *s == '\t')
			s++;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (!strncmp(s, ops[i].tok, strlen(ops[i].tok)))
				break;
		if (i == sizeof(ops) / sizeof(ops[0]))
			return -1;
		s += strlen(ops[i].tok);
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || v > 999)
			return -1;
		s = end;
		t = sg_arena_push(c->a, &h->terms, &h->nterms, &cap, sizeof(*t));
		if (!t)
			return -1;
		*t = (struct sg_code_cmp){ ops[i].op, (uint16_t)v, or_before };
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			return 0;
		if (!strncmp(s, "&&", 2))
			or_before = false;
		else if (!strncmp(s, "||", 2))
			or_before = true;
		else
			return -1;
		s += 2;
	}
}

static int f_unhealthy_expr(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_health_policy *h = dst;
	const char *s = NULL;
	const char *p;

	if (sg_f_str(c, n, &s, path) == -1)
		return -1;
	for (p = s; p && (*p == ' ' || *p == '\t' || *p == '\n'); p++)
		;
	if (!p || !*p)
		return 0; /* blank: the default, as agentgateway */
	h->unhealthy_expression = s;
	if (parse_code_expr(c, s, h) == -1)
		return sg_expected(c, n, path,
				   "an expression splicegate evaluates: comparisons of "
				   "response.code with a number joined by && and ||, such as "
				   "\"response.code >= 500\"");
	return 0;
}

/* A score from 0.0 to 1.0 (standalone), or a whole number from 0 to 100
 * that is divided by 100 (Kubernetes). */
static int parse_score(struct sg_pctx *c, const struct sg_node *n, const char *path, bool k8s,
		       double *out)
{
	const char *what = k8s ? "a whole number from 0 to 100" : "a number from 0.0 to 1.0";
	char *end;
	double v;

	if (k8s) {
		uint64_t u;

		if (parse_uint(c, n, path, 100, what, &u) == -1)
			return -1;
		*out = (double)u / 100.0;
		return 0;
	}
	if (need_scalar(c, n, path, what) == -1)
		return -1;
	if (!n->plain)
		return sg_expected(c, n, path, what);
	errno = 0;
	v = strtod(n->str, &end);
	if (errno || *end || end == n->str || !(v >= 0.0 && v <= 1.0))
		return sg_expected(c, n, path, what);
	*out = v;
	return 0;
}

static int f_score(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return parse_score(c, n, path, false, dst);
}

static int f_score_pct(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return parse_score(c, n, path, true, dst);
}

static int f_failures(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint64_t v;

	if (parse_uint(c, n, path, INT32_MAX, "a whole number from 0 to 2147483647", &v) == -1)
		return -1;
	*(int64_t *)dst = (int64_t)v;
	return 0;
}

/* The CRD's rule: "duration must be at least 1 second". */
static int f_eviction_dur_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	return sg_f_gwapi_dur_min(c, n, dst, path, SG_DUR_S(1));
}

static int parse_eviction(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
			  bool k8s)
{
	static const struct sg_field fields[] = {
		{ "duration", sg_f_dur, offsetof(struct sg_health_policy, duration) },
		{ "restoreHealth", f_score, offsetof(struct sg_health_policy, restore_health) },
		{ "consecutiveFailures", f_failures,
		  offsetof(struct sg_health_policy, consecutive_failures) },
		{ "healthThreshold", f_score, offsetof(struct sg_health_policy, health_threshold) },
		{ 0 },
	};
	static const struct sg_field fields_k8s[] = {
		{ "duration", f_eviction_dur_k8s, offsetof(struct sg_health_policy, duration) },
		{ "restoreHealth", f_score_pct, offsetof(struct sg_health_policy, restore_health) },
		{ "consecutiveFailures", f_failures,
		  offsetof(struct sg_health_policy, consecutive_failures) },
		{ "healthThreshold", f_score_pct,
		  offsetof(struct sg_health_policy, health_threshold) },
		{ 0 },
	};
	struct sg_health_policy *h = dst;

	if (sg_node_is_null(n))
		return 0;
	h->has_eviction = true;
	if (sg_parse_fields(c, n, k8s ? fields_k8s : fields, h, path) == -1)
		return -1;
	/* The CRD's `+kubebuilder:default="3s"`: the API server fills it in. */
	if (k8s && h->duration == SG_DUR_UNSET)
		h->duration = SG_DUR_S(3);
	return 0;
}

static int f_eviction(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return parse_eviction(c, n, dst, path, false);
}

static int f_eviction_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return parse_eviction(c, n, dst, path, true);
}

static int parse_health(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
			bool k8s)
{
	static const struct sg_field fields[] = {
		{ "unhealthyExpression", f_unhealthy_expr, 0 },
		{ "eviction", f_eviction, 0 },
		{ 0 },
	};
	static const struct sg_field fields_k8s[] = {
		{ "unhealthyCondition", f_unhealthy_expr, 0 },
		{ "eviction", f_eviction_k8s, 0 },
		{ 0 },
	};
	struct sg_health_policy *h = sg_arena_alloc(c->a, sizeof(*h));

	if (!h)
		return -1;
	memset(h, 0, sizeof(*h));
	h->duration = SG_DUR_UNSET;
	h->restore_health = -1;
	h->consecutive_failures = SG_UNSET;
	h->health_threshold = -1;
	*(const struct sg_health_policy **)dst = h;
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, k8s ? fields_k8s : fields, h, path);
}

int sg_f_health(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return parse_health(c, n, dst, path, false);
}

int sg_f_health_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return parse_health(c, n, dst, path, true);
}

int sg_cel_field(struct sg_pctx *c, const struct sg_node *at, const char *src,
		 const struct sg_cel **out, const char *path)
{
	struct sg_cel_err err;
	struct sg_cel *e;
	struct sg_cel **slot;
	int rc;

	if (!c->cfg) {
		sg_diag_err(c->d, at, "%s: CEL expressions are not supported here", path);
		return -1;
	}
	rc = sg_cel_compile(src, &e, &err);
	if (rc) {
		sg_diag_err(c->d, at, "%s: column %u of the expression: %s", path, err.col,
			    err.msg);
		return -1;
	}
	slot = sg_arena_push(&c->cfg->arena, &c->cfg->cels, &c->cfg->ncels, &c->cfg->capcels,
			     sizeof(*slot));
	if (!slot) {
		sg_cel_free(e);
		sg_diag_err(c->d, at, "%s: out of memory", path);
		return -1;
	}
	*slot = e;
	*out = e;
	return 0;
}

/* sessionPersistence read into struct sg_session (config/sessconf.h). */
#include "config/sessconf.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Gateway API's sessionName and CookieName are at most 128 characters. */
#define NAME_MAX_LEN 128

/* "sg-session-" and 8 hex digits, with its NUL. */
#define DEFAULT_NAME_SIZE 20

/* RFC 9110 §5.6.2 tchar: what a cookie's (RFC 6265) and a header's name
 * may hold. */
static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_ok(const char *name)
{
	if (!*name || strlen(name) > NAME_MAX_LEN)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!tchar(*p))
			return false;
	return true;
}

/* A cookie Path: no ';', no control character, not empty. */
static bool path_ok(const char *path)
{
	if (!*path || strlen(path) > SG_SESSION_PATH_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == ';')
			return false;
	return true;
}

/* The name of a session of `scope` that names none: "sg-session-" and the
 * top 32 bits of scope's 64-bit FNV-1a hash, mixed (SplitMix64's
 * finalizer). */
static void default_name(const char *scope, char out[DEFAULT_NAME_SIZE])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)scope; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	snprintf(out, DEFAULT_NAME_SIZE, "sg-session-%08x", (unsigned)(h >> 32));
}

struct cookie_in {
	const char *name, *path, *lifetime;
};

struct header_in {
	const char *name;
};

struct sp_in {
	const char *type, *session_name;
	sg_dur absolute, idle;
	const struct sg_node *cookie_config, *cookie, *header;
	const char *lifetime; /* cookieConfig's or cookie's */
	struct cookie_in c;
	struct header_in h;
};

static const struct sg_field sp_fields[] = {
	{ "type", sg_f_str, offsetof(struct sp_in, type) },
	{ "sessionName", sg_f_str, offsetof(struct sp_in, session_name) },
	{ "absoluteTimeout", sg_f_gwapi_dur, offsetof(struct sp_in, absolute) },
	{ "idleTimeout", sg_f_gwapi_dur, offsetof(struct sp_in, idle) },
	{ "cookieConfig", sg_f_node, offsetof(struct sp_in, cookie_config) },
	{ "cookie", sg_f_node, offsetof(struct sp_in, cookie) },
	{ "header", sg_f_node, offsetof(struct sp_in, header) },
	{ 0 },
};

static const struct sg_field cookie_config_fields[] = {
	{ "lifetimeType", sg_f_str, offsetof(struct cookie_in, lifetime) },
	{ 0 },
};

static const struct sg_field cookie_fields[] = {
	{ "name", sg_f_str, offsetof(struct cookie_in, name) },
	{ "path", sg_f_str, offsetof(struct cookie_in, path) },
	{ "lifetimeType", sg_f_str, offsetof(struct cookie_in, lifetime) },
	{ 0 },
};

static const struct sg_field header_fields[] = {
	{ "name", sg_f_str, offsetof(struct header_in, name), true },
	{ 0 },
};

static int err(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *msg)
{
	sg_diag_err(c->d, n, "%s: %s", path, msg);
	return -1;
}

/* The cookie's or header's settings, each in the shape written. */
static int read_parts(struct sg_pctx *c, const struct sg_node *n, const char *path,
		      struct sp_in *in, struct sg_session *s)
{
	if (in->cookie_config && in->cookie)
		return err(c, in->cookie, path,
			   "cookie and cookieConfig: expected one of them (cookie since Gateway "
			   "API v1.7, cookieConfig before), not both");
	if ((in->cookie_config || in->cookie) && s->kind != SG_SESSION_COOKIE)
		return err(c, in->cookie ? in->cookie : in->cookie_config, path,
			   "cookie settings need type Cookie");
	if (in->header && s->kind != SG_SESSION_HEADER)
		return err(c, in->header, path, "header settings need type Header");
	if (in->cookie_config && sg_parse_fields(c, in->cookie_config, cookie_config_fields, &in->c,
						 sg_path_key(c, path, "cookieConfig")) == -1)
		return -1;
	if (in->cookie && sg_parse_fields(c, in->cookie, cookie_fields, &in->c,
					  sg_path_key(c, path, "cookie")) == -1)
		return -1;
	if (in->header && sg_parse_fields(c, in->header, header_fields, &in->h,
					  sg_path_key(c, path, "header")) == -1)
		return -1;
	if (in->session_name && (in->c.name || in->h.name))
		return err(c, n, path,
			   "sessionName and a cookie's or header's name: expected one of them, "
			   "not both");
	return 0;
}

static int check_name(struct sg_pctx *c, const struct sg_node *n, const char *path,
		      const char *name)
{
	if (!name_ok(name))
		return sg_expected(c, n, path,
				   "a name of at most 128 characters that a cookie or a header "
				   "may have (letters, digits and !#$%&'*+-.^_`|~)");
	return 0;
}

/* The settings read, checked against each other. */
static int settle(struct sg_pctx *c, const struct sg_node *n, const char *path,
		  const struct sp_in *in, struct sg_session *s)
{
	const char *name = in->session_name ? in->session_name
			   : in->c.name	    ? in->c.name
					    : in->h.name;
	const struct sg_node *where = in->session_name ? n : in->c.name ? in->cookie : in->header;
	const struct sg_node *cookie = in->cookie ? in->cookie : in->cookie_config;

	if (name && check_name(c, sg_map_get(where, in->session_name ? "sessionName" : "name"),
			       sg_path_key(c, path,
					   in->session_name ? "sessionName"
					   : in->c.name	    ? "cookie.name"
							    : "header.name"),
			       name) == -1)
		return -1;
	if (name && s->kind == SG_SESSION_HEADER) {
		char *low = sg_arena_strdup(c->a, name);

		if (!low)
			return -1;
		for (char *p = low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		name = low;
	}
	s->name = name;
	s->name_set = name != NULL;
	s->path = in->c.path ? in->c.path : "/";
	if (in->c.path && !path_ok(in->c.path))
		return sg_expected(c, sg_map_get(in->cookie, "path"),
				   sg_path_key(c, path, "cookie.path"),
				   "a cookie path such as \"/\" (no ';', no control character)");
	if (in->c.lifetime && strcmp(in->c.lifetime, "Session") &&
	    strcmp(in->c.lifetime, "Permanent"))
		return sg_expected(c, sg_map_get(cookie, "lifetimeType"),
				   sg_path_key(c, path,
					       in->cookie ? "cookie.lifetimeType"
							  : "cookieConfig.lifetimeType"),
				   "Session or Permanent");
	s->permanent = in->c.lifetime && !strcmp(in->c.lifetime, "Permanent");
	s->absolute = in->absolute;
	s->idle = in->idle;
	if (s->permanent && !(s->absolute > 0))
		return err(c, n, path,
			   "a Permanent cookie needs an absoluteTimeout above 0s (its "
			   "Max-Age)");
	return 0;
}

const struct sg_session *sg_sessconf_parse(struct sg_pctx *c, const struct sg_node *n,
					   const char *path, const char *scope)
{
	struct sp_in in = { .absolute = SG_DUR_UNSET, .idle = SG_DUR_UNSET };
	struct sg_session *s = sg_arena_alloc(c->a, sizeof(*s));
	bool ok = true;

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->at = n;
	if (sg_parse_fields(c, n, sp_fields, &in, path) == -1)
		return NULL;
	if (in.type && strcmp(in.type, "Cookie") && strcmp(in.type, "Header")) {
		sg_expected(c, sg_map_get(n, "type"), sg_path_key(c, path, "type"),
			    "Cookie or Header");
		return NULL;
	}
	s->kind = in.type && !strcmp(in.type, "Header") ? SG_SESSION_HEADER : SG_SESSION_COOKIE;
	if (read_parts(c, n, path, &in, s) == -1 || settle(c, n, path, &in, s) == -1)
		return NULL;
	if (!scope)
		return s;
	return sg_sessconf_named(c, s, scope, &ok);
}

int sg_f_session(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_route *r = dst;

	r->session = sg_sessconf_parse(c, n, path, NULL);
	return r->session ? 0 : -1;
}

const struct sg_session *sg_sessconf_named(struct sg_pctx *c, const struct sg_session *s,
					   const char *scope, bool *ok)
{
	char name[DEFAULT_NAME_SIZE];
	struct sg_session *copy;

	*ok = true;
	if (!s || s->name)
		return s;
	copy = sg_arena_alloc(c->a, sizeof(*copy));
	if (!copy) {
		*ok = false;
		return NULL;
	}
	*copy = *s;
	default_name(scope, name);
	copy->name = sg_arena_strdup(c->a, name);
	*ok = copy->name != NULL;
	return *ok ? copy : NULL;
}

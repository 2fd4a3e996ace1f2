/* Apply and delete over immutable configs: every change rebuilds from the
 * stored texts, so a config in force was always built whole, and checked,
 * exactly like one loaded from files. */
#include "user/ctl/store.h"

#include "config/build.h"
#include "config/node.h"
#include "user/auth/apikey.h"
#include "user/auth/authzcache.h"
#include "user/auth/htpasswd.h"
#include "user/auth/jwt.h"
#include "user/auth/jwtsign.h"
#include "user/auth/oidc.h"
#include "user/base/mem.h"
#include "user/tls/tls.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sg_store_prepare(struct sg_cfg *cfg, struct sg_diag *d)
{
	sg_tls_vet_secrets(cfg, d);
	if (sg_oidc_prepare(cfg, d) < 0 || sg_jwt_prepare(cfg, d) < 0 ||
	    sg_apikey_prepare(cfg, d) < 0 || sg_htpasswd_prepare(cfg, d) < 0 ||
	    sg_authz_cache_prepare(cfg, d) < 0 || sg_jwtsign_prepare(cfg, d) < 0)
		return -1;
	return 0;
}

/* sg_cfg_build, then sg_store_prepare. */
static struct sg_cfg *build(const struct sg_cfg_input *in, struct sg_diag *d)
{
	struct sg_cfg *cfg = sg_cfg_build(in, d);

	if (cfg && sg_store_prepare(cfg, d) < 0) {
		sg_cfg_free(cfg);
		cfg = NULL;
	}
	return cfg;
}

/* The resources an applied body holds (malloc'd names), for compact(). */
struct held {
	struct sg_res_id *ids;
	size_t n;
};

/* Owns its texts, its deleted identities (in `arena`) and a reference to
 * the config in force. */
struct sg_store {
	struct sg_source *srcs;
	size_t nsrcs, capsrcs;
	size_t nfiles;	   /* srcs[0..nfiles) came from files: duplicates are errors */
	struct held *held; /* of srcs[nfiles + i], i < nsrcs - nfiles */
	size_t capheld;
	struct sg_res_id *deleted;
	size_t ndeleted, capdeleted;
	struct sg_arena arena;
	struct sg_cfg *cfg;
	unsigned napplied;
	/* The file texts of the last reload that did not build, so that the
	 * same files read again (the watch after SIGHUP) are not rebuilt and
	 * reported twice; forgotten once anything goes in force. */
	struct sg_source *failed;
	size_t nfailed;
};

static void forget_failed(struct sg_store *s)
{
	sg_sources_free(s->failed, s->nfailed);
	s->failed = NULL;
	s->nfailed = 0;
}

struct sg_store *sg_store_open(const char *const *paths, size_t npaths, struct sg_diag *d)
{
	struct sg_store *s = calloc(1, sizeof(*s));
	struct sg_cfg_input in = { 0 };

	if (!s) {
		sg_diag_err(d, NULL, "out of memory");
		return NULL;
	}
	sg_arena_init(&s->arena);
	if (sg_sources_read(paths, npaths, &s->srcs, &s->nsrcs, d) == -1) {
		sg_store_close(s);
		return NULL;
	}
	s->capsrcs = s->nfiles = s->nsrcs;
	in.srcs = s->srcs;
	in.nsrcs = in.replace_from = s->nsrcs;
	s->cfg = build(&in, d);
	if (!s->cfg) {
		sg_store_close(s);
		return NULL;
	}
	return s;
}

static void held_free(struct held *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free((void *)(uintptr_t)h->ids[i].kind);
		free((void *)(uintptr_t)h->ids[i].ns);
		free((void *)(uintptr_t)h->ids[i].name);
	}
	free(h->ids);
	*h = (struct held){ 0 };
}

void sg_store_close(struct sg_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->held && i < s->nsrcs - s->nfiles; i++)
		held_free(&s->held[i]);
	free(s->held);
	sg_sources_free(s->srcs, s->nsrcs);
	forget_failed(s);
	sg_arena_free(&s->arena);
	sg_cfg_unref(s->cfg);
	free(s);
}

struct sg_cfg *sg_store_current(const struct sg_store *s)
{
	return s->cfg;
}

size_t sg_store_applied(const struct sg_store *s)
{
	return s->nsrcs - s->nfiles;
}

unsigned sg_store_changes(const struct sg_store *s)
{
	return s->napplied;
}

bool sg_store_holds(const struct sg_store *s, unsigned era)
{
	for (size_t i = s->nfiles; i < s->nsrcs; i++)
		if (s->srcs[i].era == era)
			return true;
	return false;
}

static int id_ptr_cmp(const void *x, const void *y)
{
	return sg_res_id_cmp(*(const struct sg_res_id *const *)x,
			     *(const struct sg_res_id *const *)y);
}

/* Resources sorted (id_ptr_cmp) to be found in O(log n): a change names
 * each of its resources in the config before and after it, and one body
 * may hold tens of thousands. */
struct res_index {
	const struct sg_res_id **v;
	size_t n;
};

/* ids[0..n) (those `keep` takes, with keep_ctx; NULL: all) into x. -1:
 * out of memory. */
static int index_ids(struct res_index *x, const struct sg_res_id *ids, size_t n,
		     bool (*keep)(const void *ctx, const struct sg_res_id *id),
		     const void *keep_ctx)
{
	*x = (struct res_index){ malloc((n ? n : 1) * sizeof(*x->v)), 0 };
	if (!x->v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!keep || keep(keep_ctx, &ids[i]))
			x->v[x->n++] = &ids[i];
	qsort(x->v, x->n, sizeof(*x->v), id_ptr_cmp);
	return 0;
}

static const struct sg_res_id *index_find(const struct res_index *x, const struct sg_res_id *id)
{
	const struct sg_res_id *const *hit =
		x->n ? bsearch(&id, x->v, x->n, sizeof(*x->v), id_ptr_cmp) : NULL;

	return hit ? *hit : NULL;
}

static bool index_has(const void *x, const struct sg_res_id *id)
{
	return index_find(x, id) != NULL;
}

/* Same YAML content, wherever and however it was written (a `status:` is
 * never applied, so it does not count). */
static bool node_equal(const struct sg_node *a, const struct sg_node *b, bool top)
{
	size_t na = 0, nb = 0;

	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	if (a->kind == SG_NODE_SCALAR)
		return sg_node_is_null(a) == sg_node_is_null(b) && !strcmp(a->str, b->str);
	if (a->kind == SG_NODE_SEQ) {
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if (!node_equal(a->items[i], b->items[i], false))
				return false;
		return true;
	}
	for (size_t i = 0; i < sg_map_len(a); i++) {
		const char *key = sg_map_key(a, i)->str;

		if (top && !strcmp(key, "status"))
			continue;
		na++;
		if (!node_equal(sg_map_val(a, i), sg_map_get(b, key), false))
			return false;
	}
	for (size_t i = 0; i < sg_map_len(b); i++)
		nb += !(top && !strcmp(sg_map_key(b, i)->str, "status"));
	return na == nb;
}

static int id_value_cmp(const void *x, const void *y)
{
	return sg_res_id_cmp(x, y);
}

/* The deleted list a change leads to, in a fresh malloc'd array (NULL:
 * out of memory), sorted (sg_cfg_input.deleted): delete adds its
 * resources, marked with this change's number (before: texts applied
 * before it, and the files', are left out from then on; a later apply of
 * the same resource creates it anew, as Kubernetes gives it a new
 * creationTimestamp); apply leaves the list as it is. */
static struct sg_res_id *next_deleted(const struct sg_store *s, const struct sg_res_id *ids,
				      size_t nids, bool del, size_t *n)
{
	struct sg_res_id *out = malloc((s->ndeleted + nids + 1) * sizeof(*out));
	unsigned applied = s->napplied + 1; /* this change's number */
	struct res_index now = { 0 }, gone = { 0 };

	*n = 0;
	/* `gone`: what this delete takes out of the config in force */
	if (!out || (del && (index_ids(&now, s->cfg->resources, s->cfg->nresources, NULL, NULL) ||
			     index_ids(&gone, ids, nids, index_has, &now)))) {
		free(now.v);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < s->ndeleted; i++)
		if (!index_find(&gone, &s->deleted[i]))
			out[(*n)++] = s->deleted[i];
	for (size_t j = 0; j < gone.n; j++) {
		out[*n] = *gone.v[j];
		out[(*n)++].before = applied;
	}
	qsort(out, *n, sizeof(*out), id_value_cmp);
	free(now.v);
	free(gone.v);
	return out;
}

static int append_line(char **report, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *grown = realloc(*report, *len + n + 2);

	if (!grown)
		return -1;
	memcpy(grown + *len, line, n);
	*len += n;
	grown[(*len)++] = '\n';
	grown[*len] = '\0';
	*report = grown;
	return 0;
}

/* What kubectl apply says of a resource: before (`was`, NULL when new)
 * and after. */
static const char *applied_verb(const struct sg_res_id *was, const struct sg_res_id *now)
{
	if (!was)
		return "created";
	if (now && node_equal(was->doc, now->doc, true))
		return "unchanged";
	return "configured";
}

/* "httproute e2e/r1 configured" into line[0..cap): the log's words for
 * what a change did to one resource (the kind in lower case, as kubectl's
 * resource names). */
static void name_line(char *line, size_t cap, const struct sg_res_id *id, const char *what)
{
	size_t n = 0;

	for (const char *k = id->kind; *k && n + 1 < cap; k++)
		line[n++] = (char)tolower((unsigned char)*k);
	snprintf(line + n, cap - n, " %s/%s %s", id->ns, id->name, what);
}

/* The kubectl report of a change, and in *names (NULL: not wanted) the
 * same for the log, by kind, namespace and name. NULL when out of memory. */
static char *make_report(const struct sg_cfg *old, const struct sg_cfg *cfg,
			 const struct sg_res_id *ids, size_t nids, bool del, int *missing,
			 char **names)
{
	char *report = calloc(1, 1);
	size_t len = 0, nlen = 0;
	struct res_index before = { 0 }, after = { 0 };

	*missing = 0;
	if (index_ids(&before, old->resources, old->nresources, NULL, NULL) ||
	    index_ids(&after, cfg->resources, cfg->nresources, NULL, NULL)) {
		free(report);
		report = NULL;
	}
	for (size_t i = 0; report && i < nids; i++) {
		const char *type = sg_res_type(ids[i].kind);
		const struct sg_res_id *was = index_find(&before, &ids[i]);
		bool existed = was != NULL;
		const char *verb = del ? existed ? "deleted" : "not found"
				       : applied_verb(was, index_find(&after, &ids[i]));
		char line[512];

		if (del && !existed) {
			(*missing)++;
			snprintf(
				line, sizeof(line),
				"Error from server (NotFound): %s \"%s\" not found in namespace %s",
				type, ids[i].name, ids[i].ns);
		} else {
			snprintf(line, sizeof(line), "%s/%s %s", type, ids[i].name, verb);
		}
		if (append_line(&report, &len, line) == -1) {
			free(report);
			report = NULL;
			break;
		}
		name_line(line, sizeof(line), &ids[i], verb);
		if (names && append_line(names, &nlen, line) == -1) {
			free(report);
			report = NULL;
		}
	}
	free(before.v);
	free(after.v);
	return report;
}

/* A copy of ids[0..n) with names of its own. */
static int held_copy(struct held *h, const struct sg_res_id *ids, size_t n)
{
	*h = (struct held){ calloc(n ? n : 1, sizeof(*h->ids)), 0 };
	if (!h->ids)
		return -1;
	for (; h->n < n; h->n++) {
		struct sg_res_id *id = &h->ids[h->n];

		id->kind = strdup(ids[h->n].kind);
		id->ns = strdup(ids[h->n].ns);
		id->name = strdup(ids[h->n].name);
		if (!id->kind || !id->ns || !id->name) {
			h->n++;
			held_free(h);
			return -1;
		}
	}
	return 0;
}

/* A commit in two steps: the applied body (holding ids[0..nids)) joins the
 * sources, the deleted list is replaced, the new config goes in force.
 * commit_reserve() has everything that needs memory first, so that its
 * failure (-1) leaves the store as it was and src the caller's, and
 * commit_apply() cannot fail: a change's check (the journal's write,
 * which a restart replays) runs between the two, so that a change it
 * vetted is never lost to an allocation after it. The store used to
 * refill the deleted list in place, and one cut short by a failed
 * allocation brought resources deleted before back at the next change, or
 * a name left NULL crashed it; and the body stayed among the sources
 * (freed by the caller all the same). */
struct commit {
	struct sg_res_id *list; /* the deleted list's room */
	size_t cap;
};

/* A reserved commit that will not be applied (its check failed). */
static void commit_undo(struct sg_store *s, const struct sg_source *src)
{
	if (src)
		held_free(&s->held[s->nsrcs - s->nfiles]);
}

static int commit_reserve(struct sg_store *s, const struct sg_source *src,
			  const struct sg_res_id *ids, size_t nids, struct sg_res_id *deleted,
			  size_t ndeleted, struct commit *c)
{
	size_t applied = s->nsrcs - s->nfiles;
	bool ok = true;

	c->list = s->deleted;
	c->cap = s->capdeleted;
	if (src && (sg_mem_grow((void **)&s->srcs, &s->capsrcs, s->nsrcs, sizeof(*s->srcs)) < 0 ||
		    sg_mem_grow((void **)&s->held, &s->capheld, applied, sizeof(*s->held)) < 0 ||
		    held_copy(&s->held[applied], ids, nids) == -1))
		return -1;
	/* The marks kept have their names in the arena already; only the
	 * resources deleted now (marked with this change's number) need names
	 * of their own. The arena never shrinks: neither do the list's room
	 * nor names a failed commit copied. */
	for (size_t i = 0; ok && i < ndeleted; i++)
		if (deleted[i].before == s->napplied + 1)
			ok = (deleted[i].kind = sg_arena_strdup(&s->arena, deleted[i].kind)) &&
			     (deleted[i].ns = sg_arena_strdup(&s->arena, deleted[i].ns)) &&
			     (deleted[i].name = sg_arena_strdup(&s->arena, deleted[i].name));
	if (ok && ndeleted > c->cap) {
		c->cap = 2 * ndeleted;
		ok = (c->list = sg_arena_alloc(&s->arena, c->cap * sizeof(*c->list))) != NULL;
	}
	if (!ok && src)
		commit_undo(s, src);
	return ok ? 0 : -1;
}

static void commit_apply(struct sg_store *s, struct sg_source *src, struct sg_res_id *deleted,
			 size_t ndeleted, const struct commit *c, struct sg_cfg *cfg)
{
	if (src)
		s->srcs[s->nsrcs++] = *src;
	if (ndeleted)
		memcpy(c->list, deleted, ndeleted * sizeof(*c->list));
	s->deleted = c->list;
	s->ndeleted = ndeleted;
	s->capdeleted = c->cap;
	sg_cfg_unref(s->cfg);
	s->cfg = cfg;
	forget_failed(s); /* the applied texts changed: those files may build now */
}

static struct sg_cfg *build_with(const struct sg_store *s, const struct sg_source *extra,
				 const struct sg_res_id *deleted, size_t ndeleted,
				 struct sg_diag *d)
{
	struct sg_source *all = malloc((s->nsrcs + 1) * sizeof(*all));
	struct sg_cfg_input in = { .replace_from = s->nfiles,
				   .deleted = deleted,
				   .ndeleted = ndeleted };
	struct sg_cfg *cfg;

	if (!all) {
		sg_diag_err(d, NULL, "out of memory");
		return NULL;
	}
	if (s->nsrcs) /* srcs is NULL for a gateway started on an empty directory */
		memcpy(all, s->srcs, s->nsrcs * sizeof(*all));
	in.nsrcs = s->nsrcs;
	if (extra)
		all[in.nsrcs++] = *extra;
	in.srcs = all;
	cfg = build(&in, d);
	free(all);
	return cfg;
}

static bool same_files(const struct sg_source *a, size_t na, const struct sg_source *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) || a[i].len != b[i].len ||
		    memcmp(a[i].text, b[i].text, a[i].len))
			return false;
	return true;
}

int sg_store_reload(struct sg_store *s, const char *const *paths, size_t npaths,
		    sg_store_check_fn check, void *check_ctx, struct sg_diag *d)
{
	struct sg_source *files;
	size_t nfiles;

	if (sg_sources_read(paths, npaths, &files, &nfiles, d) == -1) {
		sg_sources_free(files, nfiles);
		return -1;
	}
	return sg_store_reload_sources(s, files, nfiles, check, check_ctx, d);
}

int sg_store_reload_sources(struct sg_store *s, struct sg_source *files, size_t nfiles,
			    sg_store_check_fn check, void *check_ctx, struct sg_diag *d)
{
	struct sg_source *all;
	size_t napplied = s->nsrcs - s->nfiles;
	struct sg_cfg_input in = { .deleted = s->deleted, .ndeleted = s->ndeleted };
	struct sg_cfg *cfg = NULL;

	if (same_files(s->srcs, s->nfiles, files, nfiles)) {
		sg_sources_free(files, nfiles);
		forget_failed(s);
		return 1;
	}
	if (s->failed && same_files(s->failed, s->nfailed, files, nfiles)) {
		sg_sources_free(files, nfiles);
		return 2;
	}
	/* New file texts in front of what was applied since. */
	all = malloc((nfiles + napplied + 1) * sizeof(*all));
	if (!all) {
		sg_diag_err(d, NULL, "out of memory");
		sg_sources_free(files, nfiles);
		return -1;
	}
	if (nfiles) /* NULL for an empty directory */
		memcpy(all, files, nfiles * sizeof(*all));
	if (napplied)
		memcpy(all + nfiles, s->srcs + s->nfiles, napplied * sizeof(*all));
	in.srcs = all;
	in.nsrcs = nfiles + napplied;
	in.replace_from = nfiles;
	cfg = build(&in, d);
	if (!cfg) {
		free(all);
		forget_failed(s);
		s->failed = files;
		s->nfailed = nfiles;
		return -1;
	}
	/* A failed check (a port in use) may pass later on the same files:
	 * not remembered. */
	if (check && check(check_ctx, s->cfg, cfg, d) == -1) {
		sg_cfg_unref(cfg);
		free(all);
		sg_sources_free(files, nfiles);
		return -1;
	}
	for (size_t i = 0; i < s->nfiles; i++)
		sg_source_free(&s->srcs[i]);
	free(s->srcs);
	free(files); /* the array only: its texts now live in `all` */
	s->srcs = all;
	s->nfiles = nfiles;
	s->nsrcs = s->capsrcs = nfiles + napplied;
	sg_cfg_unref(s->cfg);
	s->cfg = cfg;
	forget_failed(s);
	return 0;
}

int sg_store_rebuild(struct sg_store *s, sg_store_check_fn check, void *check_ctx,
		     struct sg_diag *d)
{
	struct sg_cfg_input in = { .deleted = s->deleted, .ndeleted = s->ndeleted };
	struct sg_cfg *cfg;

	in.srcs = s->srcs;
	in.nsrcs = s->nsrcs;
	in.replace_from = s->nfiles;
	cfg = build(&in, d);
	if (!cfg)
		return -1;
	if (check && check(check_ctx, s->cfg, cfg, d) == -1) {
		sg_cfg_unref(cfg);
		return -1;
	}
	sg_cfg_unref(s->cfg);
	s->cfg = cfg;
	return 0;
}

/* A resource in the applied body of index j. */
struct use {
	const struct sg_res_id *id;
	size_t j;
};

static int use_cmp(const void *x, const void *y)
{
	const struct use *a = x, *b = y;
	int c = sg_res_id_cmp(a->id, b->id);

	return c ? c : (a->j > b->j) - (a->j < b->j);
}

/* Applied bodies that no build needs any more go: of each resource, the
 * body it was created in (since its last deletion: its age) and the last
 * one (its content) are kept, and bodies in between, or whose resources
 * were all deleted since, are not read by a build in any way that shows
 * (a later body replaces each of their documents). Without this every
 * apply stayed, and memory and each change's time grew with the count
 * of applies. Nothing changes when memory for the bookkeeping is short. */
static void compact(struct sg_store *s)
{
	size_t m = s->nsrcs - s->nfiles, total = 0, nu = 0, k = 0;
	struct use *uses;
	const struct sg_res_id **tombs;
	bool *keep;

	if (m == 0)
		return;
	for (size_t j = 0; j < m; j++)
		total += s->held[j].n;
	uses = malloc((total ? total : 1) * sizeof(*uses));
	tombs = malloc((s->ndeleted ? s->ndeleted : 1) * sizeof(*tombs));
	keep = calloc(m, sizeof(*keep));
	if (!uses || !tombs || !keep)
		goto out;
	for (size_t i = 0; i < s->ndeleted; i++)
		tombs[i] = &s->deleted[i];
	qsort(tombs, s->ndeleted, sizeof(*tombs), id_ptr_cmp);
	for (size_t j = 0; j < m; j++)
		for (size_t i = 0; i < s->held[j].n; i++) {
			const struct sg_res_id *id = &s->held[j].ids[i], **t;

			t = bsearch(&id, tombs, s->ndeleted, sizeof(*tombs), id_ptr_cmp);
			if (t && s->srcs[s->nfiles + j].era <= (*t)->before)
				continue; /* deleted since */
			uses[nu++] = (struct use){ id, j };
		}
	qsort(uses, nu, sizeof(*uses), use_cmp);
	for (size_t a = 0, b; a < nu; a = b) {
		for (b = a + 1; b < nu && !sg_res_id_cmp(uses[a].id, uses[b].id); b++)
			;
		keep[uses[a].j] = keep[uses[b - 1].j] = true;
	}
	for (size_t j = 0; j < m; j++) {
		struct sg_source *src = &s->srcs[s->nfiles + j];

		if (!keep[j]) {
			sg_source_free(src);
			held_free(&s->held[j]);
			continue;
		}
		s->srcs[s->nfiles + k] = *src;
		s->held[k++] = s->held[j];
	}
	s->nsrcs = s->nfiles + k;
out:
	free(uses);
	free(tombs);
	free(keep);
}

/* An applied body's own copy, as the store keeps it (era: its apply's
 * number). 0, or -1 out of memory (src then holds what it got). */
static int source_copy(struct sg_source *src, const char *name, const char *body, size_t len,
		       const char *ns, unsigned era)
{
	src->name = strdup(name);
	src->text = malloc(len + 1);
	if (!src->name || !src->text || (ns && !(src->ns = strdup(ns))))
		return -1;
	memcpy(src->text, body, len);
	src->text[len] = '\0';
	src->len = len;
	src->era = era;
	return 0;
}

/* After the resource lines, the warnings about what body `name` holds (a
 * reference that does not resolve yet): the client prints them on
 * stderr, as kubectl prints the server's warnings. *report freed and
 * NULL when out of memory. */
static void report_warnings(char **report, const struct sg_diag *d, const char *name)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; *report && i < d->n; i++) {
		size_t rlen = strlen(*report);

		if (!strncmp(d->lines[i], name, nlen) && d->lines[i][nlen] == ':' &&
		    append_line(report, &rlen, d->lines[i]) == -1) {
			free(*report);
			*report = NULL;
		}
	}
}

int sg_store_change(struct sg_store *s, const char *body, size_t len, bool del, const char *ns,
		    sg_store_check_fn check, void *check_ctx, char **report, char **names,
		    struct sg_diag *d)
{
	struct sg_arena scratch;
	struct sg_res_id *ids, *deleted = NULL;
	size_t nids, ndeleted = 0;
	struct sg_source src = { 0 };
	struct sg_cfg *cfg = NULL;
	struct commit c;
	int missing = 0, ret = -1;
	char name[32];

	*report = NULL;
	if (names)
		*names = NULL;
	sg_arena_init(&scratch);
	snprintf(name, sizeof(name), "%s#%u", del ? "delete" : "apply", s->napplied + 1);
	if (sg_cfg_identify(name, body, len, ns, &scratch, &ids, &nids, d) == -1)
		goto out;
	if (nids == 0) {
		sg_diag_err(d, NULL, "%s: no resources in the input", name);
		goto out;
	}
	deleted = next_deleted(s, ids, nids, del, &ndeleted);
	if (!deleted) {
		sg_diag_err(d, NULL, "out of memory");
		goto out;
	}
	if (!del && source_copy(&src, name, body, len, ns, s->napplied + 1) == -1) {
		sg_diag_err(d, NULL, "out of memory");
		goto out;
	}
	cfg = build_with(s, del ? NULL : &src, deleted, ndeleted, d);
	if (!cfg)
		goto out;
	if (names && !(*names = calloc(1, 1))) {
		sg_diag_err(d, NULL, "out of memory");
		sg_cfg_unref(cfg);
		goto out;
	}
	*report = make_report(s->cfg, cfg, ids, nids, del, &missing, names);
	report_warnings(report, d, name);
	if (!*report ||
	    commit_reserve(s, del ? NULL : &src, ids, nids, deleted, ndeleted, &c) == -1) {
		sg_diag_err(d, NULL, "out of memory");
		goto unbuilt;
	}
	/* Last: nothing can fail after it. */
	if (check && check(check_ctx, s->cfg, cfg, d) == -1) {
		commit_undo(s, del ? NULL : &src);
		goto unbuilt;
	}
	commit_apply(s, del ? NULL : &src, deleted, ndeleted, &c, cfg);
	s->napplied++;
	names = NULL;		       /* the caller's */
	src = (struct sg_source){ 0 }; /* the store owns its strings now */
	compact(s);
	ret = missing ? 1 : 0;
	goto out;
unbuilt:
	sg_cfg_unref(cfg);
	free(*report);
	*report = NULL;
out:
	if (names) {
		free(*names);
		*names = NULL;
	}
	sg_source_free(&src);
	free(deleted);
	sg_arena_free(&scratch);
	return ret;
}

/* Loading: files and directories -> YAML documents -> one struct sg_cfg,
 * then the regexes and the policy resolver. Only orchestrates: the
 * dialects (k8s.c, document.c) fill a struct sg_draft through the shared
 * field tables (fields.c), never calling back here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/build.h"
#include "config/draft.h"
#include "config/tlsconf.h"
#include "config/fields.h"
#include "config/k8s.h"
#include "config/regex.h"
#include "config/resolve.h"
#include "config/document.h"

/* ---- loading ------------------------------------------------------------ */

static int is_k8s(const struct sg_node *doc)
{
	return sg_map_get(doc, "apiVersion") || sg_map_get(doc, "kind");
}

static int add_text(struct sg_draft *b, const char *name, const char *text, size_t len)
{
	struct sg_node **docs = NULL;
	size_t ndocs = 0, cap = 0;
	int ret = 0;

	if (sg_yaml_parse(b->c.a, name, text, len, &docs, &ndocs, &cap, b->c.d) == -1)
		return -1;
	for (size_t i = 0; i < ndocs; i++) {
		if (docs[i]->kind != SG_NODE_MAP) {
			sg_expected(&b->c, docs[i], "(document)",
				    "a map (a Kubernetes resource or a standalone config)");
			ret = -1;
		} else if (is_k8s(docs[i])) {
			ret |= sg_k8s_collect(b, docs[i]);
		} else {
			ret |= sg_document_parse(b, docs[i]);
		}
	}
	return ret;
}

static const char *file_type(mode_t mode)
{
	return S_ISFIFO(mode)	? "a FIFO"
	       : S_ISCHR(mode)	? "a character device"
	       : S_ISBLK(mode)	? "a block device"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISDIR(mode)	? "a directory"
				: "not a regular file";
}

/* Up to SG_CFG_MAX_TEXT + 1 bytes of fd into a malloc'd, NUL-terminated
 * buffer: one byte more than allowed says the text is too large. */
static char *read_fd(int fd, size_t *len)
{
	size_t cap = 8192;
	char *text = malloc(cap);

	*len = 0;
	while (text) {
		ssize_t got;

		if (*len + 1 == cap) {
			char *grown = cap > SG_CFG_MAX_TEXT ? NULL : realloc(text, cap * 2);

			if (!grown)
				break; /* full: SG_CFG_MAX_TEXT + 1 bytes read */
			text = grown;
			cap *= 2;
		}
		got = read(fd, text + *len, cap - 1 - *len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			free(text);
			return NULL;
		}
		if (got == 0)
			break;
		*len += (size_t)got;
	}
	if (text)
		text[*len] = '\0';
	return text;
}

/* The whole file into a malloc'd buffer. Only a regular file is read ("-",
 * standard input, may be a pipe): a FIFO named *.yaml would block check and
 * the reload until some writer came, a link to /dev/zero would never end;
 * and SG_CFG_MAX_TEXT bytes at most. The open does not wait for a FIFO's
 * writer (O_NONBLOCK, which does nothing to a regular file's reads). */
static char *read_file(const char *path, size_t *len, struct sg_diag *d)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *text = NULL;

	*len = 0;
	if (fd == -1) {
		sg_diag_err(d, NULL, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		sg_diag_err(d, NULL, "%s: cannot read: %s", path, strerror(errno));
	} else if (!is_stdin && !S_ISREG(st.st_mode)) {
		sg_diag_err(d, NULL,
			    "%s: %s, not a regular file: config is read from regular files only",
			    path, file_type(st.st_mode));
	} else if (!is_stdin && st.st_size > SG_CFG_MAX_TEXT) {
		sg_diag_err(
			d, NULL,
			"%s: %lld bytes, more than the %d bytes (%d MiB) a config text may have",
			path, (long long)st.st_size, SG_CFG_MAX_TEXT, SG_CFG_MAX_TEXT >> 20);
	} else if (!(text = read_fd(fd, len))) {
		sg_diag_err(d, NULL, "%s: cannot read: %s", path, strerror(errno));
	} else if (*len > SG_CFG_MAX_TEXT) {
		sg_diag_err(d, NULL, "%s: more than the %d bytes (%d MiB) a config text may have",
			    path, SG_CFG_MAX_TEXT, SG_CFG_MAX_TEXT >> 20);
		free(text);
		text = NULL;
	}
	close(fd);
	return text;
}

struct source_list {
	struct sg_source *v;
	size_t n, cap;
};

static int push_source(struct source_list *l, const char *name, char *text, size_t len)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct sg_source *grown = realloc(l->v, ncap * sizeof(*grown));

		if (!grown)
			return -1;
		l->v = grown;
		l->cap = ncap;
	}
	l->v[l->n] = (struct sg_source){ .name = strdup(name), .text = text, .len = len };
	if (!l->v[l->n].name)
		return -1;
	l->n++;
	return 0;
}

static int read_one(struct source_list *l, const char *path, struct sg_diag *d)
{
	size_t len;
	char *text = read_file(path, &len, d);

	if (!text)
		return -1;
	if (push_source(l, path, text, len) == -1) {
		free(text);
		sg_diag_err(d, NULL, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

bool sg_sources_wanted(const char *name)
{
	size_t len = strlen(name);

	if (name[0] == '.')
		return false; /* also skips Kubernetes ConfigMap's ..data links */
	return (len > 5 && !strcmp(name + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(name + len - 4, ".yml"));
}

static int yaml_name(const struct dirent *e)
{
	return sg_sources_wanted(e->d_name);
}

static int read_dir(struct source_list *l, const char *dir, struct sg_diag *d)
{
	struct dirent **list;
	int n = scandir(dir, &list, yaml_name, alphasort), ret = 0;

	if (n == -1) {
		sg_diag_err(d, NULL, "%s: cannot read directory: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *path = NULL;

		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) == -1 ||
		    read_one(l, path, d) == -1)
			ret = -1;
		free(path);
		free(list[i]);
	}
	free(list);
	return ret;
}

int sg_sources_read(const char *const *paths, size_t npaths, struct sg_source **out, size_t *nout,
		    struct sg_diag *d)
{
	struct source_list l = { 0 };
	int ret = 0;

	if (npaths == 0) {
		char *text = strdup(sg_default_config);

		if (!text || push_source(&l, "(embedded default config)", text,
					 strlen(sg_default_config)) == -1) {
			free(text);
			ret = -1;
		}
	}
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;

		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == -1) {
			sg_diag_err(d, NULL, "%s: %s", paths[i], strerror(errno));
			ret = -1;
		} else if (strcmp(paths[i], "-") != 0 && S_ISDIR(st.st_mode)) {
			ret |= read_dir(&l, paths[i], d);
		} else {
			ret |= read_one(&l, paths[i], d);
		}
	}
	*out = l.v;
	*nout = l.n;
	return ret ? -1 : 0;
}

void sg_source_free(struct sg_source *s)
{
	free(s->name);
	free(s->text);
	free(s->ns);
	*s = (struct sg_source){ 0 };
}

void sg_sources_free(struct sg_source *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sg_source_free(&s[i]);
	free(s);
}

static struct sg_cfg *cfg_new(struct sg_draft *b, struct sg_diag *d)
{
	struct sg_cfg *cfg = calloc(1, sizeof(*cfg));

	if (!cfg) {
		sg_diag_err(d, NULL, "out of memory");
		return NULL;
	}
	cfg->refs = 1;
	sg_arena_init(&cfg->arena);
	sg_global_defaults(&cfg->global);
	sg_frontend_http_defaults(&cfg->default_fhttp);
	sg_frontend_tls_defaults(&cfg->default_ftls);
	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->ns = "default";
	b->c.a = &cfg->arena;
	b->c.d = d;
	b->c.cfg = cfg;
	return cfg;
}

static int record_resources(struct sg_draft *b)
{
	struct sg_cfg *cfg = b->cfg;

	for (size_t i = 0; i < b->nres; i++) {
		struct sg_res_id *id = sg_arena_push(&cfg->arena, &cfg->resources, &cfg->nresources,
						     &cfg->capresources, sizeof(*id));
		if (!id)
			return -1;
		id->kind = b->res[i].kind;
		id->ns = b->res[i].ns;
		id->name = b->res[i].name;
		id->doc = b->res[i].doc;
		id->status = &b->res[i].status;
	}
	return 0;
}

/* Everything read: build the Kubernetes resources, then resolve. */
static struct sg_cfg *finish(struct sg_draft *b, int ret)
{
	if (ret == 0 && sg_k8s_build(b) == -1)
		ret = -1;
	if (ret == 0 && sg_regex_compile_all(b->cfg, b->c.d) < 0)
		ret = -1;
	if (ret == 0 && sg_resolve(b->cfg, b->c.d) == -1)
		ret = -1;
	if (ret == 0 && record_resources(b) == -1)
		ret = -1;
	if (ret == 0 && b->c.d->errors == 0)
		return b->cfg;
	sg_cfg_free(b->cfg);
	return NULL;
}

struct sg_cfg *sg_cfg_build(const struct sg_cfg_input *in, struct sg_diag *d)
{
	struct sg_draft b;
	int ret = 0;

	if (!cfg_new(&b, d))
		return NULL;
	b.deleted = in->deleted;
	b.ndeleted = in->ndeleted;
	for (size_t i = 0; i < in->nsrcs; i++) {
		b.replace = i >= in->replace_from;
		b.era = b.replace ? in->srcs[i].era : 0;
		b.ns = in->srcs[i].ns ? in->srcs[i].ns : "default";
		b.ns_given = in->srcs[i].ns != NULL;
		if (add_text(&b, sg_arena_strdup(b.c.a, in->srcs[i].name), in->srcs[i].text,
			     in->srcs[i].len) == -1)
			ret = -1;
	}
	return finish(&b, ret);
}

struct sg_cfg *sg_cfg_load(const char *const *paths, size_t npaths, struct sg_diag *d)
{
	struct sg_source *srcs;
	size_t n;
	struct sg_cfg *cfg = NULL;

	if (sg_sources_read(paths, npaths, &srcs, &n, d) == 0) {
		struct sg_cfg_input in = { .srcs = srcs, .nsrcs = n, .replace_from = n };

		cfg = sg_cfg_build(&in, d);
	}
	sg_sources_free(srcs, n);
	return cfg;
}

struct sg_cfg *sg_cfg_load_text(const char *name, const char *text, struct sg_diag *d)
{
	struct sg_source src = { strdup(name), strdup(text), strlen(text) };
	struct sg_cfg_input in = { .srcs = &src, .nsrcs = 1, .replace_from = 1 };
	struct sg_cfg *cfg = NULL;

	if (src.name && src.text)
		cfg = sg_cfg_build(&in, d);
	else
		sg_diag_err(d, NULL, "%s: out of memory", name);
	sg_source_free(&src);
	return cfg;
}

int sg_cfg_identify(const char *name, const char *text, size_t len, const char *ns,
		    struct sg_arena *a, struct sg_res_id **ids, size_t *n, struct sg_diag *d)
{
	struct sg_draft b;
	struct sg_node **docs = NULL;
	size_t ndocs = 0, cap = 0, capids = 0;
	int ret = 0;

	if (ns && !sg_k8s_namespace_ok(ns)) {
		sg_diag_err(d, NULL, "--namespace: expected " SG_K8S_NAMESPACE_RULE ", got \"%s\"",
			    ns);
		return -1;
	}
	if (!cfg_new(&b, d))
		return -1;
	b.replace = true;
	b.ns = ns ? ns : "default";
	b.ns_given = ns != NULL;
	if (sg_yaml_parse(b.c.a, sg_arena_strdup(b.c.a, name), text, len, &docs, &ndocs, &cap, d) ==
	    -1)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < ndocs; i++) {
		if (docs[i]->kind != SG_NODE_MAP || !is_k8s(docs[i])) {
			sg_diag_err(d, docs[i],
				    "apply and delete take Kubernetes resources (apiVersion, kind, "
				    "metadata); change a standalone config in its file instead");
			ret = -1;
		} else if (sg_k8s_collect(&b, docs[i]) == -1) {
			ret = -1;
		}
	}
	*ids = NULL;
	*n = 0;
	for (size_t i = 0; ret == 0 && i < b.nres; i++) {
		struct sg_res_id *id = sg_arena_push(a, ids, n, &capids, sizeof(*id));

		if (!id) {
			ret = -1;
			break;
		}
		id->kind = sg_arena_strdup(a, b.res[i].kind);
		id->ns = sg_arena_strdup(a, b.res[i].ns);
		id->name = sg_arena_strdup(a, b.res[i].name);
	}
	sg_cfg_free(b.cfg);
	return ret;
}

const char sg_default_config[] = "# splicegate's embedded default: :8080 -> 127.0.0.1:8000\n"
				 "config:\n"
				 "  adminAddr: 127.0.0.1:15000\n"
				 "binds:\n"
				 "- port: 8080\n"
				 "  listeners:\n"
				 "  - name: default\n"
				 "    protocol: HTTP\n"
				 "    routes:\n"
				 "    - name: default\n"
				 "      backends:\n"
				 "      - host: 127.0.0.1:8000\n";

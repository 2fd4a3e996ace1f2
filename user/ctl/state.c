/* The gateway's state directory (--state-dir): at start, the journal of
 * the changes applied at run time is replayed into the config store, on
 * top of the config files, and compacted; each change is logged by
 * resource. */
#include "user/ctl/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/tls/tls.h"

void sg_state_log(const char *what, const char *names)
{
	for (const char *p = names; p && *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		SG_INFO("%s: %.*s", what, n, p);
		p += n + (nl != NULL);
	}
}

/* A journalled change replayed at start must still build and load its
 * certificates; ports are checked once, on the config replay ends with. */
static int replay_check(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg,
			struct sg_diag *d)
{
	return sg_tls_check(cfg, d);
}

/* What replay made of each record (a record's number is its place + 1),
 * for the compaction after it. */
struct replayed {
	struct sg_store *store;
	struct sg_journal *journal;
	struct replay_rec {
		unsigned era; /* the change it became; 0: it did not apply */
		bool del;
	} * v;
	size_t n, cap;
	bool no_memory;
};

/* A record stays in the journal unless it is an applied body the store
 * no longer keeps: a delete, or one that did not apply now (the files may
 * change back), is kept. */
static bool keep_record(void *ctx, size_t index)
{
	const struct replayed *r = ctx;
	const struct replay_rec *rec = &r->v[index - 1];

	return !rec->era || rec->del || sg_store_holds(r->store, rec->era);
}

static void replay_one(void *ctx, const struct sg_journal_rec *rec)
{
	struct replayed *r = ctx;
	char *report = NULL, *names = NULL;
	struct sg_diag d;
	int rc;

	if (sg_mem_grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v)) < 0)
		r->no_memory = true;
	sg_diag_init(&d);
	rc = sg_store_change(r->store, rec->body, rec->len, rec->del, rec->ns, replay_check, NULL,
			     &report, &names, &d);
	if (!r->no_memory)
		r->v[r->n++] =
			(struct replay_rec){ rc < 0 ? 0 : sg_store_changes(r->store), rec->del };
	if (rc < 0) {
		SG_WARN("%s: record %zu (byte %zu, %s) does not apply on top of the config files "
			"any more; skipped:",
			sg_journal_path(r->journal), rec->index, rec->offset,
			rec->del ? "delete" : "apply");
		sg_diag_print(&d, stderr);
	} else {
		sg_state_log(rec->del ? "replayed delete" : "replayed apply", names);
	}
	free(report);
	free(names);
	sg_diag_free(&d);
}

/* Past this many records the store no longer keeps, a quarter of the
 * journal or more, the journal is rewritten without them at start: a
 * controller that applies the same manifests every minute would otherwise
 * have every restart replay all of them. */
#define STATE_COMPACT_MIN 32

static void compact(struct replayed *r)
{
	size_t keep = 0;
	struct sg_diag d;
	long kept;

	for (size_t i = 0; i < r->n; i++)
		keep += keep_record(r, i + 1);
	if (r->no_memory || r->n - keep < STATE_COMPACT_MIN || (r->n - keep) * 4 < r->n)
		return;
	sg_diag_init(&d);
	kept = sg_journal_compact(r->journal, keep_record, r, &d);
	sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	if (kept >= 0)
		SG_INFO("%s: compacted: %ld of %zu records kept (the others applied bodies that "
			"later applies replaced)",
			sg_journal_path(r->journal), kept, r->n);
}

struct sg_journal *sg_state_open(const char *dir, bool reset, struct sg_store *store)
{
	struct replayed r = { store, NULL, NULL, 0, 0, false };
	struct sg_diag d;
	char err[512];
	long n;

	if (sg_journal_open(dir, reset, &r.journal, err, sizeof(err)) == -1) {
		SG_ERR("--state-dir: %s", err);
		return NULL;
	}
	if (reset)
		SG_INFO("--reset-state: starting from the config files alone; the journal's "
			"records, if any, are set aside beside it");
	sg_diag_init(&d);
	n = sg_journal_replay(r.journal, replay_one, &r, &d);
	sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	if (n >= 0) {
		SG_INFO("%s: %ld changes replayed on top of the config files",
			sg_journal_path(r.journal), n);
		compact(&r);
	}
	free(r.v);
	if (n < 0) {
		sg_journal_close(r.journal);
		return NULL;
	}
	return r.journal;
}

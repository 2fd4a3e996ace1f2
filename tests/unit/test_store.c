/* Tests for user/ctl/store.c: apply and delete rebuild whole configs from the
 * stored texts; a failed change leaves everything as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/route.h"
#include "user/ctl/store.h"

/* malloc, calloc and realloc fail once, on the fail_in'th call from when
 * it is set (0: never), so that a change's every allocation can be made to
 * fail in turn. glibc lets a program replace them; its own functions
 * (strdup) call these. Not under AddressSanitizer, which replaces them
 * itself. */
#if defined(__SANITIZE_ADDRESS__)
#define STORE_FAULTS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STORE_FAULTS 0
#endif
#endif
#ifndef STORE_FAULTS
#define STORE_FAULTS 1
static long fail_in, calls;
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static bool fail_now(void)
{
	calls++;
	return fail_in && --fail_in == 0;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __libc_realloc(p, n);
}
#endif

static const char base[] = "apiVersion: gateway.networking.k8s.io/v1\n"
			   "kind: Gateway\n"
			   "metadata: {name: gw, namespace: ns}\n"
			   "spec:\n"
			   "  listeners: [{name: http, port: 18080, protocol: HTTP}]\n"
			   "---\n"
			   "apiVersion: v1\n"
			   "kind: Service\n"
			   "metadata: {name: svc, namespace: ns}\n"
			   "spec: {clusterIP: 127.0.0.1, ports: [{port: 9000}]}\n";

static const char route_a[] = "apiVersion: gateway.networking.k8s.io/v1\n"
			      "kind: HTTPRoute\n"
			      "metadata: {name: r, namespace: ns}\n"
			      "spec:\n"
			      "  parentRefs: [{name: gw}]\n"
			      "  hostnames: [a.example]\n"
			      "  rules: [{backendRefs: [{name: svc, port: 9000}]}]\n";

static const char route_b[] = "apiVersion: gateway.networking.k8s.io/v1\n"
			      "kind: HTTPRoute\n"
			      "metadata: {name: r, namespace: ns}\n"
			      "spec:\n"
			      "  parentRefs: [{name: gw}]\n"
			      "  hostnames: [b.example]\n"
			      "  rules: [{backendRefs: [{name: svc, port: 9000}]}]\n";

struct fixture {
	char path[64];
	struct sg_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *paths[1];
	struct sg_diag d;
	FILE *fp;
	int fd;

	if (!f) /* this file's calloc may fail (STORE_FAULTS) */
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/sg-store-XXXXXX");
	fd = mkstemp(f->path);
	assert_int_not_equal(fd, -1);
	fp = fdopen(fd, "w");
	fputs(base, fp);
	fclose(fp);
	paths[0] = f->path;
	sg_diag_init(&d);
	f->store = sg_store_open(paths, 1, &d);
	sg_diag_free(&d);
	assert_non_null(f->store);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sg_store_close(f->store);
	unlink(f->path);
	free(f);
	return 0;
}

/* The hostname of the one route in force, or NULL. */
static const char *route_host(const struct sg_store *s)
{
	const struct sg_cfg *cfg = sg_store_current(s);
	const struct sg_listener *l = &cfg->binds[0].listeners[0];

	return l->nroutes ? l->routes[0].hostnames.v[0] : NULL;
}

static int change(struct sg_store *s, const char *text, bool del, char **report)
{
	struct sg_diag d;
	int rc;

	sg_diag_init(&d);
	rc = sg_store_change(s, text, strlen(text), del, NULL, NULL, NULL, report, NULL, &d);
	sg_diag_free(&d);
	return rc;
}

static void test_store_apply_creates_then_configures(void **state)
{
	struct fixture *f = *state;
	char *report;

	assert_int_equal(change(f->store, route_a, false, &report), 0);
	assert_string_equal(report, "httproute.gateway.networking.k8s.io/r created\n");
	free(report);
	assert_string_equal(route_host(f->store), "a.example");
	assert_int_equal(change(f->store, route_b, false, &report), 0);
	assert_string_equal(report, "httproute.gateway.networking.k8s.io/r configured\n");
	free(report);
	assert_string_equal(route_host(f->store), "b.example");
	/* The same content again (differently written, with a status) is
	 * unchanged, as kubectl says. */
	assert_int_equal(change(f->store, route_b, false, &report), 0);
	assert_string_equal(report, "httproute.gateway.networking.k8s.io/r unchanged\n");
	free(report);
	assert_int_equal(change(f->store,
				"kind: HTTPRoute\n"
				"apiVersion: gateway.networking.k8s.io/v1\n"
				"metadata:\n  namespace: ns\n  name: r\n"
				"status: {parents: []}\n"
				"spec:\n"
				"  hostnames: [\"b.example\"]\n"
				"  parentRefs:\n  - name: gw\n"
				"  rules: [{backendRefs: [{name: svc, port: 9000}]}]\n",
				false, &report),
			 0);
	assert_string_equal(report, "httproute.gateway.networking.k8s.io/r unchanged\n");
	free(report);
}

static void test_store_delete_then_reapply(void **state)
{
	struct fixture *f = *state;
	char *report;

	assert_int_equal(change(f->store, route_a, false, &report), 0);
	free(report);
	assert_int_equal(change(f->store, route_a, true, &report), 0);
	assert_string_equal(report, "httproute.gateway.networking.k8s.io/r deleted\n");
	free(report);
	assert_null(route_host(f->store));
	/* Deleting again: NotFound, and the route does not come back. */
	assert_int_equal(change(f->store, route_a, true, &report), 1);
	assert_non_null(strstr(report, "Error from server (NotFound)"));
	free(report);
	assert_null(route_host(f->store));
	assert_int_equal(change(f->store, route_b, false, &report), 0);
	assert_string_equal(report, "httproute.gateway.networking.k8s.io/r created\n");
	free(report);
	assert_string_equal(route_host(f->store), "b.example");
}

/* HTTPRoute NAME on gw with one rule: path prefix /tie, no hostname. */
static char *tie_route(char *buf, size_t len, const char *name)
{
	snprintf(buf, len,
		 "apiVersion: gateway.networking.k8s.io/v1\n"
		 "kind: HTTPRoute\n"
		 "metadata: {name: %s, namespace: ns}\n"
		 "spec:\n"
		 "  parentRefs: [{name: gw}]\n"
		 "  rules: [{matches: [{path: {type: PathPrefix, value: /tie}}],\n"
		 "           backendRefs: [{name: svc, port: 9000}]}]\n",
		 name);
	return buf;
}

/* The HTTPRoute that serves GET /tie. */
static const char *tie_winner(const struct sg_store *s)
{
	const struct sg_cfg *cfg = sg_store_current(s);
	struct sg_route_input in = { .path = "/tie", .path_len = 4 };
	const struct sg_route *r = sg_route_select(&cfg->binds[0].listeners[0], &in);

	return r ? r->hr_name : NULL;
}

/* Gateway API's ties between routes: the oldest, then by name. Applying
 * again keeps a route's age; deleting and applying it again makes it the
 * newest, as a new creationTimestamp would. */
static void test_store_ties_go_to_the_oldest_route(void **state)
{
	struct fixture *f = *state;
	char *report, b[512], z[512], both[1040];

	assert_int_equal(change(f->store, tie_route(z, sizeof(z), "z"), false, &report), 0);
	free(report);
	assert_int_equal(change(f->store, tie_route(b, sizeof(b), "b"), false, &report), 0);
	free(report);
	assert_string_equal(tie_winner(f->store), "z");		  /* older */
	assert_int_equal(change(f->store, z, false, &report), 0); /* applied again */
	free(report);
	assert_string_equal(tie_winner(f->store), "z");
	assert_int_equal(change(f->store, z, true, &report), 0);
	free(report);
	assert_string_equal(tie_winner(f->store), "b");
	assert_int_equal(change(f->store, z, false, &report), 0); /* created anew */
	free(report);
	assert_string_equal(tie_winner(f->store), "b");
	/* Deleted and applied again once more: still the newest. */
	assert_int_equal(change(f->store, b, true, &report), 0);
	free(report);
	assert_int_equal(change(f->store, b, false, &report), 0);
	free(report);
	assert_string_equal(tie_winner(f->store), "z");
	/* Created together (one apply: the same creation second): by name. */
	assert_int_equal(change(f->store, b, true, &report), 0);
	free(report);
	assert_int_equal(change(f->store, z, true, &report), 0);
	free(report);
	snprintf(both, sizeof(both), "%s---\n%s", z, tie_route(b, sizeof(b), "a"));
	assert_int_equal(change(f->store, both, false, &report), 0);
	free(report);
	assert_string_equal(tie_winner(f->store), "a");
}

/* Applying the same resources again and again keeps no more than the
 * body each was created in and its last (the store grew by every apply),
 * and a route's age survives the bodies dropped. */
static void test_store_keeps_what_builds_need(void **state)
{
	struct fixture *f = *state;
	char *report, b[512], z[512];

	tie_route(z, sizeof(z), "z");
	tie_route(b, sizeof(b), "b");
	assert_int_equal(change(f->store, z, false, &report), 0);
	free(report);
	assert_int_equal(change(f->store, b, false, &report), 0);
	free(report);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(change(f->store, i % 2 ? z : b, false, &report), 0);
		free(report);
		assert_true(sg_store_applied(f->store) <= 4);
	}
	assert_string_equal(tie_winner(f->store), "z"); /* still the older */
	/* Deleted: its bodies go; created again: the newer. */
	assert_int_equal(change(f->store, z, true, &report), 0);
	free(report);
	assert_int_equal(sg_store_applied(f->store), 2); /* b's first and last */
	assert_int_equal(change(f->store, z, false, &report), 0);
	free(report);
	assert_string_equal(tie_winner(f->store), "b");
	assert_int_equal(change(f->store, b, true, &report), 0);
	free(report);
	assert_int_equal(change(f->store, z, true, &report), 0);
	free(report);
	assert_int_equal(sg_store_applied(f->store), 0);
	assert_null(tie_winner(f->store));
}

/* apply -n NS: resources that name no namespace are in NS; one that
 * names another is refused with kubectl's words, and nothing changes. */
static void test_store_apply_namespace(void **state)
{
	static const char svc[] = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
				  "spec: {clusterIP: 127.0.0.1, ports: [{port: 9000}]}\n";
	static const char other[] = "apiVersion: v1\nkind: Service\n"
				    "metadata: {name: t, namespace: other}\n"
				    "spec: {clusterIP: 127.0.0.1, ports: [{port: 9000}]}\n";
	struct fixture *f = *state;
	const struct sg_cfg *cfg;
	struct sg_diag d;
	char *report = NULL;
	bool found = false;

	sg_diag_init(&d);
	assert_int_equal(sg_store_change(f->store, svc, strlen(svc), false, "web", NULL, NULL,
					 &report, NULL, &d),
			 0);
	free(report);
	cfg = sg_store_current(f->store);
	for (size_t i = 0; i < cfg->nresources; i++)
		found |= !strcmp(cfg->resources[i].name, "s") &&
			 !strcmp(cfg->resources[i].ns, "web");
	assert_true(found);
	report = NULL;
	assert_int_equal(sg_store_change(f->store, other, strlen(other), false, "web", NULL, NULL,
					 &report, NULL, &d),
			 -1);
	assert_null(report);
	assert_string_equal(
		d.lines[d.n - 1],
		"apply#2:3:32: the namespace from the provided object \"other\" does not "
		"match the namespace \"web\". You must pass '--namespace=other' to "
		"perform this operation.");
	sg_diag_free(&d);
}

static void test_store_failed_change_keeps_config(void **state)
{
	struct fixture *f = *state;
	const struct sg_cfg *before;
	char *report;
	struct sg_diag d;

	assert_int_equal(change(f->store, route_a, false, &report), 0);
	free(report);
	before = sg_store_current(f->store);
	sg_diag_init(&d);
	assert_int_equal(sg_store_change(f->store, "kind: HTTPRoute\n", 16, false, NULL, NULL, NULL,
					 &report, NULL, &d),
			 -1);
	assert_true(d.errors > 0);
	sg_diag_free(&d);
	assert_ptr_equal(sg_store_current(f->store), before);
	/* An unknown field rejects the whole body: nothing of it applies. */
	assert_int_equal(change(f->store,
				"apiVersion: v1\nkind: Service\nmetadata: {name: s2, namespace: "
				"ns}\nspec: {ports: [{port: 1}]}\n---\n"
				"apiVersion: v1\nkind: Service\nmetadata: {name: s3, namespace: "
				"ns}\nspec: {portz: []}\n",
				false, &report),
			 -1);
	assert_ptr_equal(sg_store_current(f->store), before);
	assert_string_equal(route_host(f->store), "a.example");
}

/* Deleting the Service a route needs leaves the route in force with an
 * invalid backendRef (500), never the old backend; applying the Service
 * again makes it resolve. */
static void test_store_dangling_ref_converges(void **state)
{
	static const char svc[] = "apiVersion: v1\nkind: Service\nmetadata: {name: svc, "
				  "namespace: ns}\nspec: {clusterIP: 127.0.0.9, ports: [{port: "
				  "9000}]}\n";
	struct fixture *f = *state;
	const struct sg_route *rt;
	char *report;

	assert_int_equal(change(f->store, route_a, false, &report), 0);
	free(report);
	assert_int_equal(change(f->store, svc, true, &report), 0);
	free(report);
	rt = &sg_store_current(f->store)->binds[0].listeners[0].routes[0];
	assert_int_equal(rt->backends.n, 1);
	assert_int_equal(rt->backends.v[0].kind, SG_BREF_INVALID);
	assert_int_equal(rt->backends.v[0].neps, 0);
	assert_int_equal(change(f->store, svc, false, &report), 0);
	free(report);
	rt = &sg_store_current(f->store)->binds[0].listeners[0].routes[0];
	assert_int_equal(rt->backends.v[0].kind, SG_BREF_SERVICE);
	assert_string_equal(rt->backends.v[0].eps[0].addr, "127.0.0.9");
}

static void test_store_rejects_standalone(void **state)
{
	struct fixture *f = *state;
	char *report;

	assert_int_equal(change(f->store, "binds: []\n", false, &report), -1);
	assert_null(report);
}

static void test_store_reload_keeps_applied(void **state)
{
	struct fixture *f = *state;
	const char *paths[1] = { f->path };
	char *report;
	struct sg_diag d;
	FILE *fp;

	assert_int_equal(change(f->store, route_a, false, &report), 0);
	free(report);
	sg_diag_init(&d);
	assert_int_equal(sg_store_reload(f->store, paths, 1, NULL, NULL, &d), 1);
	fp = fopen(f->path, "a");
	fputs("---\napiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: ns}\n"
	      "spec: {clusterIP: 127.0.0.2, ports: [{port: 9001}]}\n",
	      fp);
	fclose(fp);
	assert_int_equal(sg_store_reload(f->store, paths, 1, NULL, NULL, &d), 0);
	sg_diag_free(&d);
	assert_int_equal(sg_store_current(f->store)->nservices, 2);
	assert_string_equal(route_host(f->store), "a.example");
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int check_reject(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg,
			struct sg_diag *d)
{
	sg_diag_err(d, NULL, "port in use");
	return -1;
}

/* An apply the check refuses changes nothing, says why, and leaves the body
 * the caller's: the same body applied again without the check goes in force
 * and can be deleted (what the refused apply reserved was given back, or
 * the sanitized run reports it). */
static void test_store_check_refuses_apply(void **state)
{
	struct fixture *f = *state;
	struct sg_diag d;
	char *report;
	int rc;

	assert_int_equal(change(f->store, route_a, false, &report), 0);
	free(report);
	sg_diag_init(&d);
	rc = sg_store_change(f->store, route_b, strlen(route_b), false, NULL, check_reject, NULL,
			     &report, NULL, &d);
	assert_int_equal(rc, -1);
	assert_null(report);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.lines[d.n - 1], "port in use"));
	sg_diag_free(&d);
	assert_string_equal(route_host(f->store), "a.example");
	assert_int_equal(sg_store_changes(f->store), 1);
	assert_int_equal(change(f->store, route_b, false, &report), 0);
	free(report);
	assert_string_equal(route_host(f->store), "b.example");
	assert_int_equal(change(f->store, route_b, true, &report), 0);
	free(report);
	assert_null(route_host(f->store));
}

/* sg_store_reload of the fixture's file, with a diag of its own; a failure
 * must come with at least one error. */
static int reload(struct fixture *f, sg_store_check_fn check)
{
	const char *paths[1] = { f->path };
	struct sg_diag d;
	int rc;

	sg_diag_init(&d);
	rc = sg_store_reload(f->store, paths, 1, check, NULL, &d);
	if (rc == -1)
		assert_true(d.errors > 0);
	else
		assert_int_equal(d.errors, 0);
	sg_diag_free(&d);
	return rc;
}

/* The same broken files read twice (SIGHUP, then the file watch) fail and
 * are reported once; a different broken text, an apply in between, or a
 * rejection by the check (which may pass later) make it build again. */
static void test_store_reload_same_broken_files_once(void **state)
{
	struct fixture *f = *state;
	char *report;
	FILE *fp;

	write_text(f->path, "binds: [\n");
	assert_int_equal(reload(f, NULL), -1);
	assert_int_equal(reload(f, NULL), 2);
	write_text(f->path, "binds: [[\n");
	assert_int_equal(reload(f, NULL), -1);
	assert_int_equal(reload(f, NULL), 2);
	assert_int_equal(change(f->store, route_a, false, &report), 0);
	free(report);
	assert_int_equal(reload(f, NULL), -1);

	/* Back to the files in force: unchanged, and the failure forgotten. */
	write_text(f->path, base);
	assert_int_equal(reload(f, NULL), 1);
	write_text(f->path, "binds: [[\n");
	assert_int_equal(reload(f, NULL), -1);

	/* Valid files a check rejects are tried again. */
	write_text(f->path, base);
	fp = fopen(f->path, "a");
	fputs("---\napiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: ns}\n"
	      "spec: {clusterIP: 127.0.0.2, ports: [{port: 9001}]}\n",
	      fp);
	fclose(fp);
	assert_int_equal(reload(f, check_reject), -1);
	assert_int_equal(reload(f, check_reject), -1);
	assert_int_equal(reload(f, NULL), 0);
	assert_int_equal(sg_store_current(f->store)->nservices, 2);
}

#if STORE_FAULTS
/* HTTPRoute r<240 x>-NN on gw, at path /NN: long names, so that the
 * store's arena, where deleted names are copied, fills within 50 deletes. */
static char *long_route(char *buf, size_t len, int n)
{
	snprintf(buf, len,
		 "apiVersion: gateway.networking.k8s.io/v1\n"
		 "kind: HTTPRoute\n"
		 "metadata: {name: r%0240d-%02d, namespace: ns}\n"
		 "spec:\n"
		 "  parentRefs: [{name: gw}]\n"
		 "  rules: [{matches: [{path: {value: /%d}}],\n"
		 "           backendRefs: [{name: svc, port: 9000}]}]\n",
		 0, n, n);
	return buf;
}

/* Whether route n (long_route) is in force. */
static bool long_route_in_force(const struct sg_store *s, int n)
{
	const struct sg_cfg *cfg = sg_store_current(s);
	char name[300];

	snprintf(name, sizeof(name), "r%0240d-%02d", 0, n);
	for (size_t i = 0; i < cfg->nresources; i++)
		if (!strcmp(cfg->resources[i].kind, "HTTPRoute") &&
		    !strcmp(cfg->resources[i].name, name))
			return true;
	return false;
}
#endif

#define STORE_ROUTES 50

#if STORE_FAULTS
/* A change's check that passes and says it ran, as the gateway's journals
 * the change (a restart replays it). */
static int vetted_check(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg,
			struct sg_diag *d)
{
	(void)old;
	(void)cfg;
	(void)d;
	*(bool *)ctx = true;
	return 0;
}
#endif

/* A change that runs out of memory changes nothing: not the config, not
 * the bodies kept, not what was deleted before. 50 routes are deleted one
 * by one, from the last, the first made to fail at each of its
 * allocations in turn, the others at each of their last 10 or so (where
 * the new state is committed, after the build and the report), until it
 * goes through; every route deleted stays deleted. The store refilled its
 * list of deleted resources in place and copied a deleted name without
 * looking: when its arena needed a new block there (the 37th delete
 * here), a name was left NULL and the next delete crashed, or the list
 * was cut short and routes deleted earlier came back. And a change whose
 * check passed (the gateway journals it there) always goes in force: its
 * allocations after the check used to fail it, and a restart replayed a
 * change the gateway had refused. */
static void test_store_out_of_memory_changes_nothing(void **state)
{
#if STORE_FAULTS
	struct fixture *f = *state;
	char *all = malloc(STORE_ROUTES * 1024), *text = malloc(1024), *report;
	size_t len = 0;
	long last = 0;

	assert_true(all && text);
	for (int i = 0; i < STORE_ROUTES; i++)
		len += strlen(
			strcat(strcpy(all + len, i ? "---\n" : ""), long_route(text, 1024, i)));
	assert_int_equal(change(f->store, all, false, &report), 0);
	free(report);
	for (int i = STORE_ROUTES - 1; i >= 0; i--) {
		int rc = -1;

		long_route(text, 1024, i);
		/* last: how many allocations the previous delete made. */
		for (long k = last > 10 ? last - 10 : 1; rc != 0; k++) {
			const struct sg_cfg *before = sg_store_current(f->store);
			size_t applied = sg_store_applied(f->store);
			unsigned changes = sg_store_changes(f->store);
			struct sg_diag d;
			bool failed, vetted = false;

			sg_diag_init(&d);
			calls = 0;
			fail_in = k;
			rc = sg_store_change(f->store, text, strlen(text), true, NULL, vetted_check,
					     &vetted, &report, NULL, &d);
			failed = fail_in == 0;
			fail_in = 0;
			sg_diag_free(&d);
			free(report);
			assert_true(rc == 0 || failed);
			if (vetted && rc != 0)
				fail_msg(
					"delete of route %d: vetted, then refused (allocation %ld)",
					i, k);
			if (rc != 0) {
				assert_ptr_equal(sg_store_current(f->store), before);
				assert_int_equal(sg_store_applied(f->store), applied);
				assert_int_equal(sg_store_changes(f->store), changes);
			}
		}
		last = calls;
		for (int j = 0; j < STORE_ROUTES; j++)
			if (long_route_in_force(f->store, j) != (j < i))
				fail_msg("after deleting routes %d..%d, route %d is %s", i,
					 STORE_ROUTES - 1, j, j < i ? "gone" : "back in force");
	}
	free(text);
	free(all);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_apply_creates_then_configures, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_delete_then_reapply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_check_refuses_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_ties_go_to_the_oldest_route, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_keeps_what_builds_need, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_apply_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failed_change_keeps_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_dangling_ref_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_rejects_standalone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_reload_keeps_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_reload_same_broken_files_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_out_of_memory_changes_nothing, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

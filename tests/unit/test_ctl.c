/* Unit tests of user/ctl/ctl.c, the client side of `splicegate apply`,
 * `delete` and `get`, against an admin API played by a thread on a
 * loopback socket that records the request and gives a canned answer.
 * What is asserted is what a user sees: the exit code and the exact lines
 * on stdout and stderr; and what the gateway receives: the method, target
 * and body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "capture.h"
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/ctl/ctl.h"

/* The admin API: answers one request with `answer`, keeping what came. */
struct admin {
	int lfd;
	uint16_t port;
	char addr[32]; /* "127.0.0.1:port" */
	const char *answer;
	char req[16384];
	size_t len;
	pthread_t thread;
	bool running;
};

/* What the user sees. */
struct env {
	struct admin admin;
	struct test_capture out, err; /* stdout and stderr, while captured */
	char stdout_text[8192], stderr_text[4096];
	char dir[64]; /* a temporary directory for files to apply */
	int refused;  /* bound, not listening */
	char refused_addr[32];
};

/* Whether req[0..len) holds a whole request: its head and Content-Length
 * bytes of body. */
static bool whole(const char *req, size_t len)
{
	const char *end = memmem(req, len, "\r\n\r\n", 4);
	const char *cl;

	if (!end)
		return false;
	cl = strcasestr(req, "\r\nContent-Length: ");
	return !cl || cl > end || len - (size_t)(end + 4 - req) >= strtoul(cl + 18, NULL, 10);
}

static void *serve(void *arg)
{
	struct admin *a = arg;
	int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd == -1)
		return NULL;
	while (!whole(a->req, a->len) && a->len < sizeof(a->req) - 1) {
		ssize_t n = read(fd, a->req + a->len, sizeof(a->req) - 1 - a->len);

		if (n <= 0)
			break;
		a->len += (size_t)n;
		a->req[a->len] = '\0';
	}
	if (write(fd, a->answer, strlen(a->answer)) != (ssize_t)strlen(a->answer))
		perror("admin: write");
	close(fd);
	return NULL;
}

/* The admin API answers the next request with `status` and `body` (a
 * JSON body when json, else text). */
static void will_answer(struct env *e, int status, const char *reason, const char *body, bool json)
{
	static char answer[8192];

	snprintf(answer, sizeof(answer),
		 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s",
		 status, reason, json ? "application/json" : "text/plain", strlen(body), body);
	e->admin.answer = answer;
	e->admin.len = 0;
	e->admin.req[0] = '\0';
	assert_int_equal(pthread_create(&e->admin.thread, NULL, serve, &e->admin), 0);
	e->admin.running = true;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	uint16_t port;

	assert_non_null(e);
	e->admin.lfd = test_loopback(true, 0, &e->admin.port);
	snprintf(e->admin.addr, sizeof(e->admin.addr), "127.0.0.1:%u", e->admin.port);
	e->refused = test_loopback(false, 0, &port);
	snprintf(e->refused_addr, sizeof(e->refused_addr), "127.0.0.1:%u", port);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	test_capture_init(&e->out);
	test_capture_init(&e->err);
	*state = e;
	return 0;
}

/* The user's terminal is back; what was printed is in stdout_text and
 * stderr_text. */
static void uncapture(struct env *e)
{
	test_capture_end(&e->out, e->stdout_text, sizeof(e->stdout_text));
	test_capture_end(&e->err, e->stderr_text, sizeof(e->stderr_text));
}

static int teardown(void **state)
{
	struct env *e = *state;
	char path[128];

	uncapture(e);
	if (e->admin.running) {
		/* A case that failed before its request: let the thread go. */
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(e->admin.port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			shutdown(fd, SHUT_WR);
		pthread_join(e->admin.thread, NULL);
		close(fd);
	}
	close(e->admin.lfd);
	close(e->refused);
	snprintf(path, sizeof(path), "%s/r.yaml", e->dir);
	unlink(path); /* the one file cases write */
	assert_int_equal(rmdir(e->dir), 0);
	free(e);
	return 0;
}

/* stdout and stderr go to pipes until uncapture. */
static void capture(struct env *e)
{
	test_capture_start(&e->out, STDOUT_FILENO);
	test_capture_start(&e->err, STDERR_FILENO);
}

/* The request is over: the admin thread is done. */
static void served(struct env *e)
{
	pthread_join(e->admin.thread, NULL);
	e->admin.running = false;
}

/* A file in the case's directory with `text`; its path. */
static const char *file(struct env *e, const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", e->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* The request's body (after its head). */
static const char *body_of(const struct admin *a)
{
	const char *end = strstr(a->req, "\r\n\r\n");

	return end ? end + 4 : "";
}

static const char route_yaml[] = "apiVersion: gateway.networking.k8s.io/v1\n"
				 "kind: HTTPRoute\n"
				 "metadata: {name: web}\n"
				 "spec: {parentRefs: [{name: gw}]}\n";

/* ---- apply and delete ------------------------------------------------------- */

/* apply: the file goes whole to POST /config with -n's namespace in the
 * query (percent-encoded); the answer's lines go to stdout, its warnings
 * to stderr; exit 0. */
static void test_ctl_apply_sends_the_file(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = e->admin.addr, .addr_given = true },
				     .ns = "a&b c" };
	char want[256];
	int rc;

	will_answer(e, 200, "OK",
		    "httproute.gateway.networking.k8s.io/web created\n"
		    "warning: HTTPRoute a&b c/web: backend svc not found\n",
		    false);
	capture(e);
	rc = sg_ctl_send_file(&how, file(e, "r.yaml", route_yaml));
	served(e);
	uncapture(e);
	assert_int_equal(rc, 0);
	snprintf(want, sizeof(want),
		 "POST /config?namespace=a%%26b%%20c HTTP/1.1\r\nHost: %s\r\n"
		 "Content-Type: application/yaml\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 e->admin.addr, strlen(route_yaml));
	assert_true(!strncmp(e->admin.req, want, strlen(want)));
	assert_string_equal(body_of(&e->admin), route_yaml);
	assert_string_equal(e->stdout_text, "httproute.gateway.networking.k8s.io/web created\n");
	assert_string_equal(e->stderr_text,
			    "warning: HTTPRoute a&b c/web: backend svc not found\n");
}

/* A config the gateway refuses: its reasons on stderr, exit 1. */
static void test_ctl_apply_rejected(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = e->admin.addr, .addr_given = true } };
	int rc;

	will_answer(e, 400, "Bad Request", "r.yaml:3:11: metadata.name: expected a string\n",
		    false);
	capture(e);
	rc = sg_ctl_send_file(&how, file(e, "r.yaml", route_yaml));
	served(e);
	uncapture(e);
	assert_int_equal(rc, 1);
	assert_true(!strncmp(e->admin.req, "POST /config HTTP/1.1\r\n", 23));
	assert_string_equal(e->stdout_text, "");
	assert_string_equal(e->stderr_text, "r.yaml:3:11: metadata.name: expected a string\n");
}

/* No gateway listening: exit 2 and why. */
static void test_ctl_apply_unreachable(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = e->refused_addr, .addr_given = true } };
	char want[160];
	int rc;

	capture(e);
	rc = sg_ctl_send_file(&how, file(e, "r.yaml", route_yaml));
	uncapture(e);
	assert_int_equal(rc, 2);
	snprintf(want, sizeof(want),
		 "splicegate: cannot reach the gateway's admin API at %s: Connection refused\n",
		 e->refused_addr);
	assert_string_equal(e->stderr_text, want);
	assert_string_equal(e->stdout_text, "");
}

/* An admin address that is not ip:port: exit 2, named. */
static void test_ctl_bad_admin_address(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = "localhost", .addr_given = true } };
	int rc;

	capture(e);
	rc = sg_ctl_send_file(&how, file(e, "r.yaml", route_yaml));
	uncapture(e);
	assert_int_equal(rc, 2);
	assert_string_equal(e->stderr_text,
			    "splicegate: admin address \"localhost\": expected ip:port\n");
}

/* A file that is not there: exit 1, nothing sent. */
static void test_ctl_apply_missing_file(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = e->admin.addr, .addr_given = true } };
	char path[128], want[256];
	int rc;

	snprintf(path, sizeof(path), "%s/none.yaml", e->dir);
	capture(e);
	rc = sg_ctl_send_file(&how, path);
	uncapture(e);
	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "splicegate: %s: No such file or directory\n", path);
	assert_string_equal(e->stderr_text, want);
}

/* delete KIND NAME -n NS: DELETE /config with a body naming the resource
 * by kubectl's spelling of its kind (no namespace in the query). */
static void test_ctl_delete_named(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = e->admin.addr, .addr_given = true },
				     .ns = "prod" };
	int rc;

	will_answer(e, 200, "OK", "httproute.gateway.networking.k8s.io \"web\" deleted\n", false);
	capture(e);
	rc = sg_ctl_delete_named(&how, "httproutes", "web");
	served(e);
	uncapture(e);
	assert_int_equal(rc, 0);
	assert_true(!strncmp(e->admin.req, "DELETE /config HTTP/1.1\r\n", 25));
	assert_string_equal(body_of(&e->admin), "apiVersion: gateway.networking.k8s.io/v1\n"
						"kind: HTTPRoute\n"
						"metadata:\n"
						"  name: \"web\"\n"
						"  namespace: \"prod\"\n");
	assert_string_equal(e->stdout_text,
			    "httproute.gateway.networking.k8s.io \"web\" deleted\n");
}

/* delete of an unknown kind: exit 1, nothing sent. */
static void test_ctl_delete_unknown_kind(void **state)
{
	struct env *e = *state;
	struct sg_ctl_change how = { .admin = { .addr = e->admin.addr, .addr_given = true } };
	int rc;

	capture(e);
	rc = sg_ctl_delete_named(&how, "widget", "w");
	uncapture(e);
	assert_int_equal(rc, 1);
	assert_string_equal(e->stderr_text, "splicegate: unknown resource type \"widget\"\n");
}

/* delete --ignore-not-found: the gateway's NotFound is no error and is
 * not printed; without it, it is both. */
static void test_ctl_delete_ignore_not_found(void **state)
{
	struct env *e = *state;
	static const char nf[] =
		"Error from server (NotFound): httproutes.gateway.networking.k8s.io \"web\" not "
		"found\n";
	struct sg_ctl_change how = { .admin = { .addr = e->admin.addr, .addr_given = true },
				     .ignore_not_found = true };
	int rc;

	will_answer(e, 404, "Not Found", nf, false);
	capture(e);
	rc = sg_ctl_delete_named(&how, "HTTPRoute", "web");
	served(e);
	uncapture(e);
	assert_int_equal(rc, 0);
	assert_string_equal(e->stdout_text, "");
	assert_string_equal(e->stderr_text, "");

	how.ignore_not_found = false;
	will_answer(e, 404, "Not Found", nf, false);
	capture(e);
	rc = sg_ctl_delete_named(&how, "HTTPRoute", "web");
	served(e);
	uncapture(e);
	assert_int_equal(rc, 1);
	assert_string_equal(e->stderr_text, nf);
}

/* ---- get ---------------------------------------------------------------------- */

static const char routes_json[] =
	"{\"items\":["
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
	"\"spec\":{\"hostnames\":[\"a.example\",\"b.example\"]},"
	"\"status\":{\"parents\":[{\"conditions\":["
	"{\"type\":\"Accepted\",\"status\":\"True\",\"reason\":\"Accepted\"},"
	"{\"type\":\"ResolvedRefs\",\"status\":\"True\",\"reason\":\"ResolvedRefs\"}]}]}},"
	"{\"metadata\":{\"name\":\"broken-route\",\"namespace\":\"default\"},"
	"\"spec\":{},"
	"\"status\":{\"parents\":[{\"conditions\":["
	"{\"type\":\"Accepted\",\"status\":\"True\",\"reason\":\"Accepted\"},"
	"{\"type\":\"ResolvedRefs\",\"status\":\"False\",\"reason\":\"BackendNotFound\"}]}]}}"
	"]}";

/* sg_ctl_get(kind, name, ns, all, output) against e's admin server
 * answering 200 with `answer`, its output captured; its exit code. */
static int get(struct env *e, const char *answer, const char *kind, const char *name,
	       const char *ns, bool all, const char *output)
{
	int rc;

	will_answer(e, 200, "OK", answer, true);
	capture(e);
	rc = sg_ctl_get(&(struct sg_ctl_admin){ .addr = e->admin.addr, .addr_given = true }, kind,
			name, ns, all, output);
	served(e);
	uncapture(e);
	return rc;
}

/* get KIND: GET /resources with the kind and namespace, a table with
 * kubectl's columns, aligned, no trailing blanks; AGE is <unknown> for a
 * resource without creationTimestamp. */
static void test_ctl_get_table(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e, routes_json, "httproute", NULL, NULL, false, NULL);
	assert_int_equal(rc, 0);
	assert_true(!strncmp(e->admin.req,
			     "GET /resources?kind=HTTPRoute&namespace=default HTTP/1.1\r\n", 58));
	assert_string_equal(
		e->stdout_text,
		"NAME           HOSTNAMES                   ACCEPTED   RESOLVEDREFS   "
		"REASON            AGE\n"
		"web            [\"a.example\",\"b.example\"]   True       True           "
		"                  <unknown>\n"
		"broken-route                               True       False          "
		"BackendNotFound   <unknown>\n");
	assert_string_equal(e->stderr_text, "");
}

/* get -A: every namespace (none in the query), NAMESPACE first. */
static void test_ctl_get_all_namespaces(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e,
		 "{\"items\":[{\"metadata\":{\"name\":\"gw\",\"namespace\":\"infra\","
		 "\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
		 "\"spec\":{\"gatewayClassName\":\"agentgateway\"},"
		 "\"status\":{\"conditions\":[{\"type\":\"Programmed\",\"status\":\"True\"}]}}]}",
		 "gtw", NULL, "ignored", true, NULL);
	assert_int_equal(rc, 0);
	assert_true(!strncmp(e->admin.req, "GET /resources?kind=Gateway HTTP/1.1\r\n", 38));
	assert_memory_equal(e->stdout_text,
			    "NAMESPACE   NAME   CLASS          ADDRESS   PROGRAMMED   AGE\n"
			    "infra       gw     agentgateway             True         ",
			    106);
	/* kubectl's HumanDuration: days up to two years, 1 January 2026 on. */
	assert_true(strlen(e->stdout_text) > 106);
	assert_string_equal(e->stdout_text + strlen(e->stdout_text) - 2, "d\n");
}

/* get KIND NAME -o yaml: that resource as YAML (strings that YAML would
 * read otherwise quoted). */
static void test_ctl_get_named_yaml(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e,
		 "{\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\","
		 "\"metadata\":{\"name\":\"svc\",\"namespace\":\"prod\"},"
		 "\"spec\":{\"ports\":[{\"port\":80,\"name\":\"yes\"}],\"selector\":{}}}]}",
		 "svc", "svc", "prod", false, "yaml");
	assert_int_equal(rc, 0);
	assert_true(!strncmp(e->admin.req,
			     "GET /resources?kind=Service&name=svc&namespace=prod HTTP/1.1\r\n",
			     62));
	assert_string_equal(e->stdout_text, "apiVersion: v1\n"
					    "kind: Service\n"
					    "metadata:\n"
					    "  name: svc\n"
					    "  namespace: prod\n"
					    "spec:\n"
					    "  ports:\n"
					    "  - port: 80\n"
					    "    name: \"yes\"\n"
					    "  selector: {}\n");
}

/* get -o yaml: a key YAML would read as something else is quoted, so that
 * the output reads back as what the gateway holds ("a: b" made a nested
 * map, and a line break in a key began a line of its own). */
static void test_ctl_get_yaml_keys_quoted(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e,
		 "{\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\","
		 "\"metadata\":{\"name\":\"svc\",\"namespace\":\"prod\",\"annotations\":"
		 "{\"a: b\":\"x\",\"#c\":\"y\",\"ok.io/k\":\"z\",\"l\\nkind: Secret\":\"w\","
		 "\"80\":\"v\"}}}]}",
		 "svc", "svc", "prod", false, "yaml");
	assert_int_equal(rc, 0);
	assert_string_equal(e->stdout_text, "apiVersion: v1\n"
					    "kind: Service\n"
					    "metadata:\n"
					    "  name: svc\n"
					    "  namespace: prod\n"
					    "  annotations:\n"
					    "    \"a: b\": x\n"
					    "    \"#c\": \"y\"\n"
					    "    ok.io/k: z\n"
					    "    \"l\\nkind: Secret\": w\n"
					    "    \"80\": v\n");
}

/* get's table and -o name: control characters in what the server sent (an
 * escape sequence that retitles or rewrites the terminal) print as '?'. */
static void test_ctl_get_table_controls(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e,
		 "{\"items\":[{\"metadata\":{\"name\":\"evil\\u001b]2;owned\\u0007\","
		 "\"namespace\":\"default\"},\"spec\":{}}]}",
		 "svc", NULL, NULL, false, "name");
	assert_int_equal(rc, 0);
	assert_string_equal(e->stdout_text, "service/evil?]2;owned?\n");
	rc = get(e,
		 "{\"items\":[{\"metadata\":{\"name\":\"evil\\u001b]2;owned\\u0007\","
		 "\"namespace\":\"default\"},\"spec\":{}}]}",
		 "svc", NULL, NULL, false, NULL);
	assert_int_equal(rc, 0);
	assert_null(strchr(e->stdout_text, 0x1b));
	assert_null(strchr(e->stdout_text, 0x07));
	assert_non_null(strstr(e->stdout_text, "\nevil?]2;owned?   "));
}

/* An answer longer than answer_max (whoever listens on the admin port
 * while the gateway is down) is not read into memory whole: an error,
 * exit 2. */
static void test_ctl_get_answer_bounded(void **state)
{
	struct env *e = *state;
	size_t n = 100 << 10;
	char *big = malloc(n + 1);
	int rc;

	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	e->admin.answer = big;
	e->admin.len = 0;
	assert_int_equal(pthread_create(&e->admin.thread, NULL, serve, &e->admin), 0);
	e->admin.running = true;
	capture(e);
	rc = sg_ctl_get(&(struct sg_ctl_admin){ .addr = e->admin.addr,
						.addr_given = true,
						.answer_max = 64 << 10 },
			"svc", NULL, NULL, false, NULL);
	served(e);
	uncapture(e);
	free(big);
	assert_int_equal(rc, 2);
	assert_string_equal(e->stdout_text, "");
	assert_string_equal(e->stderr_text,
			    "splicegate: the admin API's answer is over 65536 bytes: not read\n");
}

/* get KIND NAME of nothing: kubectl's NotFound line, exit 1; a list with
 * nothing in it: "No resources found", exit 0. */
static void test_ctl_get_not_found(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e, "{\"items\":[]}", "HTTPRoute", "gone", NULL, false, NULL);
	assert_int_equal(rc, 1);
	assert_string_equal(e->stderr_text,
			    "Error from server (NotFound): httproutes \"gone\" not found\n");

	rc = get(e, "{\"items\":[]}", "HTTPRoute", NULL, "prod", false, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(e->stdout_text, "");
	assert_string_equal(e->stderr_text, "No resources found in prod namespace.\n");
}

/* get of an unknown kind or with an unknown -o: exit 1, nothing sent. */
static void test_ctl_get_refuses(void **state)
{
	struct env *e = *state;

	capture(e);
	assert_int_equal(
		sg_ctl_get(&(struct sg_ctl_admin){ .addr = e->admin.addr, .addr_given = true },
			   "widgets", NULL, NULL, false, NULL),
		1);
	assert_int_equal(
		sg_ctl_get(&(struct sg_ctl_admin){ .addr = e->admin.addr, .addr_given = true },
			   "svc", NULL, NULL, false, "table"),
		1);
	uncapture(e);
	assert_string_equal(e->stderr_text,
			    "error: the server doesn't have a resource type \"widgets\"\n"
			    "error: unable to match a printer suitable for the output format "
			    "\"table\", allowed formats are: json,name,wide,yaml\n");
}

/* An answer that is not a resource list: exit 2, said so. */
static void test_ctl_get_bad_answer(void **state)
{
	struct env *e = *state;
	int rc;

	rc = get(e, "{\"kind\":\"nope\"}", "svc", NULL, NULL, false, NULL);
	assert_int_equal(rc, 2);
	assert_string_equal(e->stderr_text,
			    "splicegate: the gateway's answer is not a resource list\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ctl_apply_sends_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_apply_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_apply_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_bad_admin_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_apply_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_delete_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_delete_unknown_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_delete_ignore_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_yaml_keys_quoted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_table_controls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_answer_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_all_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_named_yaml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_get_bad_answer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* For the unit tests of the MCP hub (test_mcp, test_mcptarget): a hub
 * on the test's loop, its stream ops recording each call's reply and
 * events, and real stdio targets (tests/e2e/mcp_stdio_fake.py run by
 * python3; the binaries run from the repository's root, setup fails
 * otherwise). Include after cmocka.h. */
#ifndef SG_TEST_MCPHUB_H
#define SG_TEST_MCPHUB_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "user/base/loop.h"
#include "user/mcp/mcp.h"
#include "user/mcp/stdio.h"

#define FAKE "tests/e2e/mcp_stdio_fake.py"

static const char *fake_args[] = { "-I", "-S", FAKE };

/* What one call was told: its reply, or its stream's events. */
struct slot {
	bool done, replied;
	struct sg_mcp_reply rep;
	bool head;	   /* a stream's head went */
	char events[8192]; /* its events' texts, one after another */
	size_t elen;
	int nevents;
	size_t waiting; /* what its stream ops say its client has not read */
};

static inline bool on_done(void *data, struct sg_mcp_reply *rep)
{
	struct slot *s = data;

	s->done = true;
	if (rep) {
		s->rep = *rep;
		s->replied = true;
	}
	return true;
}

static inline bool on_event(void *data, char *text, size_t len)
{
	struct slot *s = data;

	if (!text) {
		s->head = true;
		return true;
	}
	if (len < sizeof(s->events) - s->elen) {
		memcpy(s->events + s->elen, text, len);
		s->elen += len;
		s->events[s->elen] = '\0';
	}
	s->nevents++;
	free(text);
	return true;
}

static inline size_t on_waiting(const void *data)
{
	return ((const struct slot *)data)->waiting;
}

static const struct sg_mcp_stream_ops stream_ops = { .event = on_event, .waiting = on_waiting };

struct env {
	struct sg_loop *loop;
	struct sg_mcp_hub *hub;
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The loop runs until *flag (at most 10 s). */
static inline void run_until(struct env *e, const bool *flag)
{
	uint64_t end = now_ms() + 10000;

	while (!*flag && now_ms() < end)
		sg_loop_run_once(e->loop, 20);
	assert_true(*flag);
}

static inline struct sg_mcp_target fake(const char *name)
{
	return (struct sg_mcp_target){
		.name = name,
		.kind = SG_MCP_STDIO,
		.cmd = "/usr/bin/python3",
		.args = { fake_args, 3, 3 },
	};
}

static inline int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (access(FAKE, R_OK) || access("/usr/bin/python3", X_OK)) {
		fprintf(stderr, "run from the repository's root (%s, python3)\n", FAKE);
		free(e);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN); /* as the gateway: a gone child's pipe */
	e->loop = sg_loop_new();
	e->hub = sg_mcp_hub_new(e->loop);
	sg_mcp_hub_set_stream(e->hub, &stream_ops);
	*state = e;
	return 0;
}

static inline int teardown(void **state)
{
	struct env *e = *state;

	sg_mcp_hub_free(e->hub);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_loop_free(e->loop);
	free(e);
	assert_int_equal(sg_mcp_children(), 0);
	return 0;
}

/* Where an ask comes from: its route's key and its caller (an ask's;
 * NULL: none). */
struct who {
	const char *route, *caller;
};

/* ask from w (NULL: no route, no caller) (method, session sid or NULL,
 * body or NULL; its client taking an event stream when `sse`) answered
 * into *s, whose `waiting` is kept (set it, or zero *s, first). */
static inline void ask_on(struct env *e, const struct sg_mcp_backend *m, const struct who *w,
			  enum sg_mcp_method method, const char *sid, const char *body,
			  const char *header_version, bool sse, struct slot *s)
{
	struct sg_mcp_ask a = {
		.m = m, .route = w ? w->route : NULL, .method = method, .json = true, .sse = sse
	};
	size_t waiting = s->waiting;

	memset(s, 0, sizeof(*s));
	s->waiting = waiting;
	if (sid) {
		a.has_sid = true;
		snprintf(a.sid, sizeof(a.sid), "%s", sid);
	}
	if (header_version)
		snprintf(a.version, sizeof(a.version), "%s", header_version);
	if (w && w->caller)
		a.caller = strdup(w->caller);
	if (body) {
		a.body_whole = true;
		a.body = strdup(body);
		a.body_len = strlen(body);
	}
	sg_mcp_hub_call(e->hub, &a, on_done, s);
	sg_mcp_ask_free(&a);
}

/* The same, from no route and no caller. */
static inline void ask_as(struct env *e, const struct sg_mcp_backend *m, enum sg_mcp_method method,
			  const char *sid, const char *body, const char *header_version, bool sse,
			  struct slot *s)
{
	ask_on(e, m, NULL, method, sid, body, header_version, sse, s);
}

/* The same, its client taking a stream for a GET only, *s zeroed first. */
static inline void ask(struct env *e, const struct sg_mcp_backend *m, enum sg_mcp_method method,
		       const char *sid, const char *body, const char *header_version,
		       struct slot *s)
{
	s->waiting = 0;
	ask_as(e, m, method, sid, body, header_version, method == SG_MCP_GET, s);
}

/* body POSTed in session sid, answered into *s. */
static inline void posted(struct env *e, const struct sg_mcp_backend *m, const char *sid,
			  const char *body, struct slot *s)
{
	ask(e, m, SG_MCP_POST, sid, body, NULL, s);
	run_until(e, &s->done);
}

/* tools/call TOOL in session sid: the reply's body (malloc'd). */
static inline char *call(struct env *e, const struct sg_mcp_backend *m, const char *sid,
			 const char *tool, const char *args)
{
	char body[256];
	struct slot s;

	snprintf(body, sizeof(body),
		 "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/"
		 "call\",\"params\":{\"name\":\"%s\","
		 "\"arguments\":%s}}",
		 tool, args ? args : "{}");
	ask(e, m, SG_MCP_POST, sid, body, NULL, &s);
	run_until(e, &s.done);
	assert_true(s.replied);
	assert_int_equal(s.rep.status, 200);
	free(s.rep.tcalls);
	return s.rep.body;
}

/* The text of a tools/call result body, or its error's message. */
static inline const char *text_of(const char *body, char *out, size_t cap)
{
	const char *p = strstr(body, "\"text\":\"");
	const char *q = p ? NULL : strstr(body, "\"message\":\"");
	const char *from = p ? p + 8 : q ? q + 11 : body;

	snprintf(out, cap, "%.*s", (int)strcspn(from, "\""), from);
	return out;
}

/* A session begun and initialized; its id in sid. */
static inline void session(struct env *e, const struct sg_mcp_backend *m, char *sid)
{
	struct slot s;

	ask(e, m, SG_MCP_POST, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
	    "\"protocolVersion\":"
	    "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"unit\",\"version\":"
	    "\"1\"}}}",
	    NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 200);
	assert_int_equal(strlen(s.rep.sid), SG_MCP_SID_LEN);
	memcpy(sid, s.rep.sid, SG_MCP_SID_LEN + 1);
	free(s.rep.body);
	ask(e, m, SG_MCP_POST, sid,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 202);
}

#endif

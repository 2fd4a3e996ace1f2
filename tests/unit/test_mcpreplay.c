/* user/mcp/mcpreplay.c: the GET stream's event ids and its bounded replay
 * of what a reconnecting client missed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/mcp/mcpreplay.h"

/* The events replayed, their texts joined. */
struct seen {
	char text[8192];
	size_t len;
	int n;
};

static void record(void *arg, char *text, size_t len)
{
	struct seen *s = arg;

	size_t room = sizeof(s->text) - 1 - s->len, n = len < room ? len : room;

	assert_int_equal(strlen(text), len);
	memcpy(s->text + s->len, text, n); /* a big event is cut here */
	s->len += n;
	s->text[s->len] = '\0';
	s->n++;
	free(text);
}

static void add(struct sg_mcp_replay *r, const char *data)
{
	size_t len;
	char *ev = sg_mcp_replay_add(r, data, strlen(data), &len);

	assert_non_null(ev);
	assert_int_equal(strlen(ev), len);
	free(ev);
}

#define SINCE(r, id, s) sg_mcp_replay_since(r, id, strlen(id), SIZE_MAX, record, s)

static void test_mcpreplay_ids_and_text(void **state)
{
	struct sg_mcp_replay r;
	size_t len;
	char *ev;

	(void)state;
	sg_mcp_replay_init(&r);
	ev = sg_mcp_replay_add(&r, "{\"a\":1}", 7, &len);
	assert_string_equal(ev, "id: 1\nevent: message\ndata: {\"a\":1}\n\n");
	assert_int_equal(len, strlen(ev));
	free(ev);
	ev = sg_mcp_replay_add(&r, "{\"b\":2}", 7, &len);
	assert_string_equal(ev, "id: 2\nevent: message\ndata: {\"b\":2}\n\n");
	free(ev);
	sg_mcp_replay_free(&r);
}

static void test_mcpreplay_since_an_id(void **state)
{
	struct sg_mcp_replay r;
	struct seen s = { 0 };

	(void)state;
	sg_mcp_replay_init(&r);
	add(&r, "1");
	add(&r, "2");
	add(&r, "3");
	assert_int_equal(SINCE(&r, "1", &s), 2);
	assert_string_equal(s.text, "id: 2\nevent: message\ndata: 2\n\n"
				    "id: 3\nevent: message\ndata: 3\n\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(SINCE(&r, "3", &s), 0); /* up to date */
	assert_int_equal(SINCE(&r, "0", &s), 3); /* before the first: all */
	sg_mcp_replay_free(&r);
}

static void test_mcpreplay_refuses_foreign_ids(void **state)
{
	struct sg_mcp_replay r;
	struct seen s = { 0 };

	(void)state;
	sg_mcp_replay_init(&r);
	add(&r, "1");
	assert_int_equal(SINCE(&r, "2", &s), -EINVAL); /* never given */
	assert_int_equal(SINCE(&r, "", &s), -EINVAL);
	assert_int_equal(SINCE(&r, "x1", &s), -EINVAL);
	assert_int_equal(SINCE(&r, "-1", &s), -EINVAL);
	assert_int_equal(SINCE(&r, "99999999999999999999999", &s), -EINVAL);
	assert_int_equal(s.n, 0);
	sg_mcp_replay_free(&r);
}

static void test_mcpreplay_bounded_by_count(void **state)
{
	struct sg_mcp_replay r;
	struct seen s = { 0 };
	char first[64];

	(void)state;
	sg_mcp_replay_init(&r);
	for (int i = 1; i <= SG_MCP_REPLAY_EVENTS + 10; i++) {
		char d[16];

		snprintf(d, sizeof(d), "%d", i);
		add(&r, d);
	}
	assert_int_equal(r.n, SG_MCP_REPLAY_EVENTS);
	/* an id older than the oldest kept: what is kept, from the oldest */
	assert_int_equal(SINCE(&r, "1", &s), SG_MCP_REPLAY_EVENTS);
	snprintf(first, sizeof(first), "id: 11\nevent: message\ndata: 11\n\n");
	assert_memory_equal(s.text, first, strlen(first));
	sg_mcp_replay_free(&r);
}

static void test_mcpreplay_bounded_by_bytes(void **state)
{
	struct sg_mcp_replay r;
	struct seen s = { 0 };
	size_t half = SG_MCP_REPLAY_BYTES / 2;
	char *big = malloc(SG_MCP_REPLAY_BYTES + 1);

	(void)state;
	assert_non_null(big);
	sg_mcp_replay_init(&r);
	memset(big, 'x', half);
	big[half] = '\0';
	add(&r, big); /* id 1 */
	add(&r, big); /* id 2: both cannot stay, with their lines */
	assert_int_equal(r.n, 1);
	assert_true(r.bytes <= SG_MCP_REPLAY_BYTES);
	memset(big, 'y', SG_MCP_REPLAY_BYTES);
	big[SG_MCP_REPLAY_BYTES] = '\0';
	add(&r, big); /* id 3: larger than the bound alone, not kept */
	add(&r, "small");
	assert_int_equal(SINCE(&r, "0", &s), 2);
	assert_int_equal(strncmp(s.text, "id: 2\n", 6), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(SINCE(&r, "2", &s), 1);
	assert_string_equal(s.text, "id: 4\nevent: message\ndata: small\n\n");
	sg_mcp_replay_free(&r);
	free(big);
}

/* What the caller has room for bounds a replay: events in order while
 * they fit, the rest left for a later GET (a replay counted nowhere let
 * a client pile up what it never read). */
static void test_mcpreplay_bounded_by_room(void **state)
{
	struct sg_mcp_replay r;
	struct seen s = { 0 };
	size_t one = strlen("id: 1\nevent: message\ndata: 1\n\n");

	(void)state;
	sg_mcp_replay_init(&r);
	add(&r, "1");
	add(&r, "2");
	add(&r, "3");
	assert_int_equal(sg_mcp_replay_since(&r, "0", 1, 2 * one + 1, record, &s), 2);
	assert_string_equal(s.text, "id: 1\nevent: message\ndata: 1\n\n"
				    "id: 2\nevent: message\ndata: 2\n\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(sg_mcp_replay_since(&r, "0", 1, one - 1, record, &s), 0);
	assert_int_equal(s.n, 0);
	/* what was left comes once there is room */
	assert_int_equal(sg_mcp_replay_since(&r, "2", 1, one, record, &s), 1);
	assert_string_equal(s.text, "id: 3\nevent: message\ndata: 3\n\n");
	sg_mcp_replay_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcpreplay_ids_and_text),
		cmocka_unit_test(test_mcpreplay_since_an_id),
		cmocka_unit_test(test_mcpreplay_refuses_foreign_ids),
		cmocka_unit_test(test_mcpreplay_bounded_by_count),
		cmocka_unit_test(test_mcpreplay_bounded_by_bytes),
		cmocka_unit_test(test_mcpreplay_bounded_by_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* user/codec/sse.c: events read as the HTML standard's event-stream
 * parser reads them, whatever the pieces the bytes come in; lines and
 * events over the bound refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/codec/sse.h"

/* The events told, written "type=data|" each (data's NULs as "\0"). */
struct seen {
	char text[4096];
	size_t len;
	int events, stop_after;
};

static int record(void *arg, const char *type, const char *data, size_t len)
{
	struct seen *s = arg;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s=", type);
	for (size_t i = 0; i < len; i++)
		s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s",
					   data[i] ? (char[]){ data[i], 0 } : "\\0");
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "|");
	assert_int_equal(data[len], '\0');
	return ++s->events == s->stop_after ? 7 : 0;
}

/* The stream fed at once, then a byte at a time: the same events. */
static const char *events_of(const char *stream, size_t len, size_t max)
{
	static struct seen whole;
	struct seen bytes = { 0 };
	struct sg_sse p;

	memset(&whole, 0, sizeof(whole));
	sg_sse_init(&p, max);
	assert_int_equal(sg_sse_feed(&p, stream, len, record, &whole), 0);
	sg_sse_free(&p);
	sg_sse_init(&p, max);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(sg_sse_feed(&p, stream + i, 1, record, &bytes), 0);
	sg_sse_free(&p);
	assert_string_equal(bytes.text, whole.text);
	return whole.text;
}

#define EVENTS(lit) events_of(lit, sizeof(lit) - 1, 1024)

static void test_sse_reads_events(void **state)
{
	(void)state;
	/* MCP's: a JSON-RPC message an event, "event: message" or none */
	assert_string_equal(EVENTS("event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"id\":1}\n\n"
				   "data: {\"a\":2}\n\n"),
			    "message={\"jsonrpc\":\"2.0\",\"id\":1}|message={\"a\":2}|");
	/* data lines joined by "\n"; one space after the colon dropped */
	assert_string_equal(EVENTS("data: a\ndata:b\ndata:  c\ndata\n\n"), "message=a\nb\n c\n|");
	/* the type is the event's last event field, and only that event's */
	assert_string_equal(EVENTS("event: x\nevent: ping\ndata: 1\n\ndata: 2\n\n"),
			    "ping=1|message=2|");
	/* comments, unknown fields, retry and id pass */
	assert_string_equal(EVENTS(": keepalive\n\nretry: 10\nfoo: bar\nid: 9\ndata: x\n\n"),
			    "message=x|");
	/* a blank line without data tells nothing; an empty data line does */
	assert_string_equal(EVENTS("event: e\n\nid: p\ndata: \n\n"), "message=|");
	/* data holding a NUL keeps it */
	assert_string_equal(EVENTS("data: a\0b\n\n"), "message=a\\0b|");
}

static void test_sse_line_ends(void **state)
{
	(void)state;
	assert_string_equal(EVENTS("data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n"),
			    "message=a|message=b|message=c|message=d|");
	/* a CR then a CR is a blank line; CR LF is one end, LF CR two */
	assert_string_equal(EVENTS("data: a\n\rdata: b\r\n\r\n"), "message=a|message=b|");
}

static void test_sse_byte_order_mark(void **state)
{
	(void)state;
	/* leading the stream: skipped; leading a later line: part of its
	 * field's name (so no data field) */
	assert_string_equal(EVENTS("\xef\xbb\xbf"
				   "data: a\n\n\xef\xbb\xbf"
				   "data: b\n\n"),
			    "message=a|");
}

static void test_sse_unended_event_dropped(void **state)
{
	(void)state;
	assert_string_equal(EVENTS("data: a\n\ndata: b\n"), "message=a|");
	assert_string_equal(EVENTS("data: a\n\ndata: b"), "message=a|");
}

static void test_sse_bounds(void **state)
{
	struct seen s = { 0 };
	struct sg_sse p;
	char big[300];

	(void)state;
	/* data at the bound passes: "data: " + 15 bytes + its "\n" = 16 */
	assert_string_equal(events_of("data: 0123456789abcde\n\n", 23, 16),
			    "message=0123456789abcde|");
	sg_sse_init(&p, 16);
	assert_int_equal(sg_sse_feed(&p, "data: 0123456789abcdef\n\n", 24, record, &s), -E2BIG);
	sg_sse_free(&p);
	/* two lines over the bound between them */
	sg_sse_init(&p, 16);
	assert_int_equal(sg_sse_feed(&p, "data: 01234567\ndata: 0123456\n\n", 30, record, &s),
			 -E2BIG);
	sg_sse_free(&p);
	/* a line that never ends: refused once past the bound, in pieces too */
	memset(big, 'x', sizeof(big));
	sg_sse_init(&p, 16);
	assert_int_equal(sg_sse_feed(&p, big, 40, record, &s), 0);
	assert_int_equal(sg_sse_feed(&p, big, 40, record, &s), 0);
	assert_int_equal(sg_sse_feed(&p, big, 40, record, &s), -E2BIG);
	sg_sse_free(&p);
	assert_int_equal(s.events, 0);
}

static void test_sse_callback_stops(void **state)
{
	struct seen s = { .stop_after = 1 };
	struct sg_sse p;

	(void)state;
	sg_sse_init(&p, 64);
	assert_int_equal(sg_sse_feed(&p, "data: 1\n\ndata: 2\n\n", 18, record, &s), 7);
	sg_sse_free(&p);
	assert_string_equal(s.text, "message=1|");
}

/* An event written by sg_sse_event_text reads back as the data it was
 * made of, whatever line ends that data held. */
static void test_sse_event_text_round_trip(void **state)
{
	static const char *const datas[] = { "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}", "a\nb",
					     "a\r\nb\rc", "", "x\n" };
	static const char *const read[] = { "message={\"jsonrpc\":\"2.0\",\"method\":\"m\"}|",
					    "message=a\nb|", "message=a\nb\nc|", "message=|",
					    "message=x\n|" };

	(void)state;
	for (size_t i = 0; i < sizeof(datas) / sizeof(datas[0]); i++) {
		struct seen s = { 0 };
		struct sg_sse p;
		size_t len = 0;
		char *ev = sg_sse_event_text("message", datas[i], strlen(datas[i]), &len);

		assert_non_null(ev);
		assert_int_equal(len, strlen(ev));
		sg_sse_init(&p, 1024);
		assert_int_equal(sg_sse_feed(&p, ev, len, record, &s), 0);
		sg_sse_free(&p);
		assert_string_equal(s.text, read[i]);
		free(ev);
	}
}

/* The exact bytes of one event: its type named, one data line a line. */
static void test_sse_event_text_bytes(void **state)
{
	size_t len = 0;
	char *ev = sg_sse_event_text("message", "{}\n[]", 5, &len);

	(void)state;
	assert_string_equal(ev, "event: message\ndata: {}\ndata: []\n\n");
	assert_int_equal(len, strlen(ev));
	free(ev);
	ev = sg_sse_event_text("endpoint", "/sse?sessionId=ab", 17, &len);
	assert_string_equal(ev, "event: endpoint\ndata: /sse?sessionId=ab\n\n");
	assert_int_equal(len, strlen(ev));
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_reads_events),
		cmocka_unit_test(test_sse_line_ends),
		cmocka_unit_test(test_sse_byte_order_mark),
		cmocka_unit_test(test_sse_unended_event_dropped),
		cmocka_unit_test(test_sse_bounds),
		cmocka_unit_test(test_sse_callback_stops),
		cmocka_unit_test(test_sse_event_text_round_trip),
		cmocka_unit_test(test_sse_event_text_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

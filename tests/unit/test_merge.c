/* Unit tests for user/mcp/merge.c: two targets' initialize results and
 * lists merged as agentgateway federates them, and prefixed names taken
 * apart again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/mcp/merge.h"

static void test_merge_lists_with_prefixes(void **state)
{
	struct sg_json *a = sg_json_parse("{\"tools\":[{\"name\":\"echo\",\"description\":\"d\"}],"
					  "\"nextCursor\":\"c\"}");
	struct sg_json *b = sg_json_parse("{\"tools\":[{\"name\":\"add\"},{\"title\":\"x\"}]}");
	struct sg_mcp_part parts[] = { { "one", a }, { "two", b }, { "three", NULL } };
	char *t;

	(void)state;
	t = sg_mcp_merge_list(parts, 3, "tools", "name", true);
	assert_string_equal(t, "{\"tools\":[{\"name\":\"one_echo\",\"description\":\"d\"},"
			       "{\"name\":\"two_add\"},{\"title\":\"x\"}]}");
	free(t);
	t = sg_mcp_merge_list(parts, 1, "tools", "name", false);
	assert_string_equal(t, "{\"tools\":[{\"name\":\"echo\",\"description\":\"d\"}]}");
	free(t);
	sg_json_free(a);
	sg_json_free(b);
}

static void test_merge_initialize_unions_capabilities(void **state)
{
	struct sg_json *a = sg_json_parse("{\"protocolVersion\":\"2025-03-26\",\"capabilities\":"
					  "{\"tools\":{}},\"serverInfo\":{\"name\":\"a\"}}");
	struct sg_json *b = sg_json_parse("{\"protocolVersion\":\"2025-06-18\",\"capabilities\":"
					  "{\"tools\":{\"listChanged\":true},\"prompts\":{}}}");
	struct sg_mcp_part parts[] = { { "a", a }, { "b", b } };
	char *t;

	(void)state;
	t = sg_mcp_merge_initialize(parts, 2, "2025-06-18");
	assert_string_equal(t, "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{},"
			       "\"prompts\":{}},\"serverInfo\":{\"name\":\"splicegate\","
			       "\"version\":\"1.0\"}}");
	free(t);
	t = sg_mcp_merge_initialize(parts, 2, "2099-01-01");
	assert_non_null(strstr(t, "\"protocolVersion\":\"2025-03-26\""));
	free(t);
	parts[0].result = parts[1].result = NULL;
	assert_null(sg_mcp_merge_initialize(parts, 2, NULL));
	sg_json_free(a);
	sg_json_free(b);
}

static void test_merge_unprefix_longest(void **state)
{
	const char *names[] = { "time", "time_zone", "every" };
	const char *rest = NULL;

	(void)state;
	assert_int_equal(sg_mcp_unprefix(names, 3, "time_zone_now", &rest), 1);
	assert_string_equal(rest, "now");
	assert_int_equal(sg_mcp_unprefix(names, 3, "time_now", &rest), 0);
	assert_string_equal(rest, "now");
	assert_int_equal(sg_mcp_unprefix(names, 3, "everything", &rest), -1);
	assert_int_equal(sg_mcp_unprefix(names, 3, "nope_x", &rest), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_lists_with_prefixes),
		cmocka_unit_test(test_merge_initialize_unions_capabilities),
		cmocka_unit_test(test_merge_unprefix_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

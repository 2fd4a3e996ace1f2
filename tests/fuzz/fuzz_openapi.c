/* Fuzz target: an MCP openapi target's document (config/openapiconf.c),
 * read as YAML (JSON being YAML) and made tools. Either the document is
 * refused with one error, or every tool has a name, an upper-case
 * method, a path, and JSON that reads back as an object naming it, all
 * of them within the bound on their size. */
#include <string.h>

#include "config/node.h"
#include "config/openapiconf.h"
#include "tests/fuzz/fuzz.h"
#include "user/base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena a;
	struct sg_diag d;
	struct sg_mcp_target t = { .name = "api" };
	struct sg_node **docs = NULL;
	size_t ndocs = 0, cap = 0, total = 0;
	char *text = malloc(size + 1);

	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	sg_arena_init(&a);
	sg_diag_init(&d);
	if (sg_yaml_parse(&a, "api.yaml", text, size, &docs, &ndocs, &cap, &d) == 0 && ndocs) {
		int rc = sg_openapi_tools(&a, &d, docs[0], &t);

		FUZZ_CHECK(rc == 0 ? d.errors == 0 : d.errors == 1);
		for (size_t i = 0; rc == 0 && i < t.ntools; i++) {
			const struct sg_openapi_tool *tool = &t.tools[i];
			struct sg_json *j = sg_json_parse(tool->json);

			FUZZ_CHECK(tool->name && tool->path && tool->method && tool->method[0]);
			for (const char *m = tool->method; *m; m++)
				FUZZ_CHECK(*m >= 'A' && *m <= 'Z');
			FUZZ_CHECK(j && sg_json_type(j) == SG_JSON_OBJECT);
			FUZZ_CHECK(!strcmp(sg_json_str(sg_json_get(j, "name")), tool->name));
			FUZZ_CHECK(sg_json_type(sg_json_get(j, "inputSchema")) == SG_JSON_OBJECT);
			sg_json_free(j);
			total += strlen(tool->json);
		}
		FUZZ_CHECK(total <= SG_OPENAPI_TOOLS_MAX);
		FUZZ_CHECK(rc != 0 || t.api_prefix);
	}
	sg_diag_free(&d);
	sg_arena_free(&a);
	free(text);
	return 0;
}

/* Fuzz target: the config reader, from memory, as `splicegate check` runs it
 * on one file (sg_sources_read then sg_cfg_build). The dialect is picked per
 * YAML document (standalone config or Kubernetes resources), so one corpus
 * holds both. Properties: a config that does not load says why (in at most
 * SG_DIAG_MAX_LINES lines, however many errors), and one that loads renders
 * through config_dump as valid JSON. Aliases cannot make it slow: what a
 * text expands to is bounded (config/node.h). */
#include <string.h>

#include "admin/dump.h"
#include "config/build.h"
#include "config/cfg.h"
#include "tests/fuzz/fuzz.h"
#include "user/base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "fuzz.yaml";
	/* Sources are NUL-terminated past len, as read from a file. */
	struct sg_source src = { .name = name, .text = malloc(size + 1), .len = size };
	struct sg_cfg_input in = { .srcs = &src, .nsrcs = 1, .replace_from = 1 };
	struct sg_cfg *cfg;
	struct sg_diag d;

	FUZZ_CHECK(src.text);
	memcpy(src.text, data, size);
	src.text[size] = '\0';
	sg_diag_init(&d);
	cfg = sg_cfg_build(&in, &d);
	if (cfg) {
		char *json = sg_dump_config(cfg);
		struct sg_json *root;

		FUZZ_CHECK(d.errors == 0);
		FUZZ_CHECK(json);
		root = sg_json_parse(json);
		FUZZ_CHECK(root);
		sg_json_free(root);
		free(json);
		sg_cfg_free(cfg);
	} else {
		FUZZ_CHECK(d.errors > 0 && d.n > 0);
	}
	FUZZ_CHECK(d.n <= SG_DIAG_MAX_LINES);
	FUZZ_CHECK(d.n + d.dropped == d.errors + d.warnings);
	sg_diag_free(&d);
	free(src.text);
	return 0;
}

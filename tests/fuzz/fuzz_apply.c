/* Fuzz target: the body of POST /config and DELETE /config, as the admin API
 * hands it to the config store (sg_store_change) of a gateway running the
 * embedded default config. The body is applied, then deleted again.
 * Properties: a change that fails says why and leaves the config in force
 * as it was; one that succeeds reports one line per resource, and the new
 * config is the one in force. The port probe the gateway adds as its check
 * is left out: it binds sockets. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/ctl/store.h"

/* The check sees the config in force as `old`, and a different new one. */
static int check(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg, struct sg_diag *d)
{
	const struct sg_store *s = ctx;

	FUZZ_CHECK(old == sg_store_current(s));
	FUZZ_CHECK(cfg && cfg != old);
	return 0;
}

static void change(struct sg_store *s, const char *body, size_t len, bool del)
{
	const struct sg_cfg *before = sg_store_current(s);
	char *report = NULL;
	struct sg_diag d;
	int rc;

	sg_diag_init(&d);
	rc = sg_store_change(s, body, len, del, NULL, check, s, &report, NULL, &d);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc == -1) {
		FUZZ_CHECK(!report);
		FUZZ_CHECK(d.errors > 0);
		FUZZ_CHECK(sg_store_current(s) == before);
	} else {
		size_t n = report ? strlen(report) : 0;

		FUZZ_CHECK(n > 0 && report[n - 1] == '\n');
		FUZZ_CHECK(sg_store_current(s) != before);
		FUZZ_CHECK(rc == 0 || (del && strstr(report, "(NotFound)")));
	}
	free(report);
	sg_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_store *s;
	struct sg_diag d;

	sg_diag_init(&d);
	s = sg_store_open(NULL, 0, &d);
	FUZZ_CHECK(s);
	sg_diag_free(&d);
	change(s, (const char *)data, size, false);
	change(s, (const char *)data, size, true);
	sg_store_close(s);
	return 0;
}

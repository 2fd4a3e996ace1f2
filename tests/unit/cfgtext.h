/* Tests' helpers over a config given as text (t.yaml): load it clean, or
 * take the one error it gives. Include after cmocka.h. */
#ifndef SG_TESTS_CFGTEXT_H
#define SG_TESTS_CFGTEXT_H

#include <stdlib.h>
#include <string.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"

/* text loaded with no error and no warning (the test fails otherwise). */
static struct sg_cfg *load(const char *text)
{
	struct sg_diag d;
	struct sg_cfg *cfg;

	sg_diag_init(&d);
	cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!cfg || d.n)
		fail_msg("load: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	return cfg;
}

/* The one error line loading text gives (malloc'd; the test fails unless
 * there is exactly one). */
static char *error_of(const char *text)
{
	struct sg_diag d;
	struct sg_cfg *cfg;
	char *line;

	sg_diag_init(&d);
	cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (cfg || d.errors != 1 || d.n != 1)
		fail_msg("want one error, got cfg %p and %zu lines (%s)", (void *)cfg, d.n,
			 d.n ? d.lines[0] : "");
	line = strdup(d.lines[0]);
	sg_diag_free(&d);
	return line;
}

#endif

/* Fuzz target: any bytes as a CEL expression (config/cel.c), compiled and,
 * when it compiles, evaluated over a request whose header values are the
 * same bytes. Properties: a refusal names a column inside the text (or
 * just past it) and says why; an evaluation ends within its bounds (at
 * most one step's work past SG_CEL_MAX_STEPS, memory within
 * SG_CEL_MAX_MEMORY) and gives a value or an error with a message; the
 * value's text form, where it has one, is readable whole. */
#include <string.h>

#include "config/cel.h"
#include "tests/fuzz/fuzz.h"

struct input {
	const char *text;
	size_t len;
};

static bool attr(void *ud, enum sg_cel_attr a, struct sg_cel_val *out)
{
	const struct input *in = ud;

	if (a == SG_CEL_RESP_CODE || a == SG_CEL_SRC_PORT) {
		out->type = SG_CEL_INT;
		out->i = a == SG_CEL_RESP_CODE ? 503 : 40000;
		return true;
	}
	if (a == SG_CEL_JWT || a == SG_CEL_REQ_HOST)
		return false; /* absent */
	out->type = SG_CEL_STRING;
	out->s.p = a == SG_CEL_SRC_ADDRESS ? "127.0.0.1" : in->text;
	out->s.n = a == SG_CEL_SRC_ADDRESS ? 9 : in->len;
	return true;
}

static bool header(void *ud, bool response, size_t i, struct sg_cel_header *h)
{
	static const char *const names[] = { "host", "x-a", "X-A", "user-agent" };
	const struct input *in = ud;

	if (i >= (response ? 1 : 4))
		return false;
	h->name = names[i];
	h->nlen = strlen(names[i]);
	h->value = i ? in->text : "example.com";
	h->vlen = i ? in->len : 11;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct input in = { text, 0 };
	struct sg_cel_ctx ctx = { .ud = &in, .attr = attr, .header = header, .seed = size };
	struct sg_cel_run run;
	struct sg_cel_val v;
	struct sg_cel_err err;
	struct sg_cel *e;
	const char *s = NULL;
	size_t n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	in.len = strlen(text);
	if (sg_cel_compile(text, &e, &err)) {
		FUZZ_CHECK(err.col >= 1 && err.col <= in.len + 1);
		FUZZ_CHECK(err.msg[0]);
		free(text);
		return 0;
	}
	FUZZ_CHECK(!strcmp(sg_cel_source(e), text));
	sg_cel_run_init(&run, &ctx);
	sg_cel_eval(e, &run, &v);
	FUZZ_CHECK(run.mem <= SG_CEL_MAX_MEMORY + 1);
	FUZZ_CHECK(run.steps <= SG_CEL_MAX_STEPS + 1);
	if (v.type == SG_CEL_ERROR)
		FUZZ_CHECK(v.s.n && v.s.p[0]);
	if (!sg_cel_to_text(&run, &v, &s, &n)) {
		volatile unsigned char sum = 0;

		for (size_t k = 0; k < n; k++) /* ASan sees every byte read */
			sum += (unsigned char)s[k];
		(void)sum;
	}
	sg_cel_run_done(&run);
	sg_cel_free(e);
	free(text);
	return 0;
}

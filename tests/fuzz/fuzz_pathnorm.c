/* Fuzz target: request path normalisation (policy/pathnorm.c). The first
 * byte picks the rules, the rest (after a '/') is the path. Properties: the
 * form is never longer and begins with '/'; it is final (normalised again
 * it is SAME, and sg_pathnorm_needed may say so); a path that needs no look
 * is SAME; with merging no "//" is left, with normalize no "." or ".."
 * segment and no escape of an unreserved character. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pathnorm.h"
#include "tests/fuzz/fuzz.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* No dot segment, no "//" (when merged), no unreserved escape. */
static void check_form(const char *p, size_t n, const struct sg_path_rules *r)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '/' && i + 1 < n && r->merge_slashes)
			FUZZ_CHECK(p[i + 1] != '/');
		if (p[i] == '/' && r->normalize) {
			size_t k = i + 1;

			while (k < n && p[k] == '.')
				k++;
			FUZZ_CHECK(!(k - i - 1 >= 1 && k - i - 1 <= 2 && (k == n || p[k] == '/')));
		}
		if (p[i] == '%' && r->normalize) {
			FUZZ_CHECK(i + 2 < n && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0);
			FUZZ_CHECK(
				!unreserved((unsigned char)(hex(p[i + 1]) << 4 | hex(p[i + 2]))));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_path_rules r;
	char *in, *out, *again;
	size_t n, len, n2;
	enum sg_pathnorm_result res;

	if (!size)
		return 0;
	r = (struct sg_path_rules){
		.normalize = data[0] & 1,
		.merge_slashes = data[0] & 2,
		.escaped_slashes = (enum sg_escaped_slashes)((data[0] >> 2) % 3),
	};
	len = size; /* '/' and the rest */
	in = malloc(len);
	out = malloc(len);
	again = malloc(len);
	if (!in || !out || !again)
		abort();
	in[0] = '/';
	memcpy(in + 1, data + 1, size - 1);
	res = sg_pathnorm(in, len, &r, out, &n);
	if (!sg_pathnorm_needed(in, len, &r))
		FUZZ_CHECK(res == SG_PATHNORM_SAME);
	if (res != SG_PATHNORM_REJECT) {
		if (res == SG_PATHNORM_SAME)
			FUZZ_CHECK(n == len && !memcmp(in, out, len));
		FUZZ_CHECK(n >= 1 && n <= len && out[0] == '/');
		check_form(out, n, &r);
		FUZZ_CHECK(sg_pathnorm(out, n, &r, again, &n2) == SG_PATHNORM_SAME);
	}
	free(in);
	free(out);
	free(again);
	return 0;
}

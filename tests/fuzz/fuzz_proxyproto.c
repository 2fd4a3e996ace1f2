/* Fuzz target: the PROXY protocol header (user/codec/proxyproto.c).
 * Arbitrary bytes as the first bytes of a connection: never a read past
 * them (ASan); a header is never longer than SG_PP_MAX nor than the input;
 * and a reader that peeks one byte more each time it is told SG_PP_MORE
 * gets the answer the whole input gets, a header at exactly its end. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/codec/proxyproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned versions = size ? (data[0] & 3u) : 3u;
	struct sg_pp_header whole, step;
	const char *why;
	enum sg_pp_result ret, got = SG_PP_MORE;
	size_t n;

	if (!versions)
		versions = SG_PP_V1 | SG_PP_V2;
	if (size) {
		data++;
		size--;
	}
	ret = sg_pp_parse(data, size, versions, &whole, &why);
	FUZZ_CHECK(ret == SG_PP_MORE || ret == SG_PP_DONE || ret == SG_PP_NONE || ret == SG_PP_BAD);
	FUZZ_CHECK((ret == SG_PP_BAD) == (why != NULL));
	if (ret == SG_PP_DONE) {
		FUZZ_CHECK(whole.len > 0 && whole.len <= size && whole.len <= SG_PP_MAX);
		FUZZ_CHECK(whole.version == SG_PP_V1 || whole.version == SG_PP_V2);
		FUZZ_CHECK(whole.version & versions);
		FUZZ_CHECK(memchr(whole.alpn, '\0', sizeof(whole.alpn)) &&
			   memchr(whole.authority, '\0', sizeof(whole.authority)));
	}
	if (ret == SG_PP_MORE)
		FUZZ_CHECK(size < SG_PP_MAX);
	for (n = 0; n <= size && got == SG_PP_MORE; n++)
		got = sg_pp_parse(data, n, versions, &step, &why);
	FUZZ_CHECK(got == ret);
	if (ret == SG_PP_DONE)
		FUZZ_CHECK(step.len == n - 1 && step.len == whole.len);
	return 0;
}

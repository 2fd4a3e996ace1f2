/* Fuzz target: the ClientHello's server_name (user/tls/tlshello.c). Arbitrary
 * bytes as the first bytes of a connection: never a read past them (ASan),
 * and the answer on the whole input is the one a reader gets by peeking
 * again each time as many bytes as the last answer said it needs. */
#include <errno.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/tls/tlshello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char whole[SG_TLSHELLO_NAME_MAX + 1], step[SG_TLSHELLO_NAME_MAX + 1];
	size_t need = 0, len = 0, avail = size < SG_TLSHELLO_MAX ? size : SG_TLSHELLO_MAX;
	int ret = sg_tlshello_sni(data, size, whole, sizeof(whole), &need), got;

	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EAGAIN || ret == -EINVAL || ret == -E2BIG);
	if (ret == -EAGAIN)
		FUZZ_CHECK(need > avail && need <= SG_TLSHELLO_MAX);
	if (ret == 0)
		FUZZ_CHECK(whole[0] != '\0' && strlen(whole) <= SG_TLSHELLO_NAME_MAX);
	/* The incremental reader: start with nothing, top up to `need`. */
	for (;;) {
		got = sg_tlshello_sni(data, len, step, sizeof(step), &need);
		if (got != -EAGAIN)
			break;
		FUZZ_CHECK(need > len);
		if (need > avail) {
			got = -EAGAIN; /* the input ends first: as the whole says */
			break;
		}
		len = need;
	}
	FUZZ_CHECK(got == ret || (ret == -E2BIG && got == -EAGAIN));
	if (ret == 0)
		FUZZ_CHECK(strcmp(whole, step) == 0);
	return 0;
}

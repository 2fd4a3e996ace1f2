/* Fuzz target: session persistence's readers (policy/session.c), over a
 * Cookie header's value. Properties: the cookie found lies inside the
 * header and after its name and '='; a value that parses is the one
 * sg_session_format writes for what it parsed to (one spelling per
 * session: nothing else is taken), and its times are in order. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/session.h"
#include "tests/fuzz/fuzz.h"

static void round_trip(const char *v, size_t n)
{
	struct sg_session_token t;
	char out[SG_SESSION_VALUE_MAX];

	if (!sg_session_parse(v, n, &t))
		return;
	FUZZ_CHECK(t.id != 0 && t.seen >= t.issued);
	FUZZ_CHECK(sg_session_format(&t, out) == n);
	FUZZ_CHECK(!memcmp(out, v, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *hdr = (const char *)data, *v;
	size_t n;

	round_trip(hdr, size);
	if (sg_session_cookie(hdr, size, "sg-session-0badcafe", &v, &n)) {
		FUZZ_CHECK(v >= hdr + strlen("sg-session-0badcafe="));
		FUZZ_CHECK(v + n <= hdr + size);
		FUZZ_CHECK(!memcmp(v - 1, "=", 1) || !memcmp(v - 1, "\"", 1));
		round_trip(v, n);
	}
	return 0;
}

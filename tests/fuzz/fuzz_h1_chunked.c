/* Fuzz target: the chunked-body boundary scanner. A body arrives in reads of
 * any size, so the same bytes split anywhere must give the same outcome as
 * one call: where the body ends (or that the framing is malformed). The
 * input is scanned whole, byte by byte, in pseudo-random pieces drawn from
 * the input itself, and with chunk data skipped unscanned (as a relay moves
 * it); all four must agree. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/codec/h1.h"
#include "user/codec/h1chunk.h"

struct outcome {
	ssize_t used; /* bytes of the body, or -1 for malformed framing */
	bool done;
};

enum split { WHOLE, BYTES, RANDOM, SKIP };

/* xorshift64, seeded from the input: a crash replays the same splits. */
static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static size_t piece_len(enum split how, uint64_t *rng, size_t left)
{
	switch (how) {
	case WHOLE:
		return left;
	case BYTES:
		return 1;
	default: /* short pieces mostly, a long one now and then */
		return 1 + next(rng) % (next(rng) % 8 ? 16 : left);
	}
}

static struct outcome scan(const char *buf, size_t len, enum split how, uint64_t seed)
{
	struct sg_h1_chunked st = { 0 };
	struct outcome o = { 0, false };
	uint64_t rng = seed;
	size_t off = 0;

	while (off < len && !o.done) {
		size_t n = piece_len(how, &rng, len - off);
		uint64_t left = sg_h1_chunked_data_left(&st);
		ssize_t got;

		n = n < len - off ? n : len - off;
		if (how == SKIP && left) {
			n = n < left ? n : (size_t)left;
			sg_h1_chunked_skip(&st, n);
			off += n;
			continue;
		}
		got = sg_h1_chunked_scan(&st, buf + off, n, &o.done);
		if (got < 0) {
			bool again;

			/* Malformed stays malformed. */
			FUZZ_CHECK(sg_h1_chunked_scan(&st, buf, len, &again) == -1 && !again);
			return (struct outcome){ -1, false };
		}
		FUZZ_CHECK((size_t)got <= n);
		/* A call stops early only at the end of the body. */
		FUZZ_CHECK(o.done || (size_t)got == n);
		off += (size_t)got;
	}
	o.used = (ssize_t)off;
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	struct outcome whole;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3u;
	seed |= 1; /* xorshift never leaves 0 */
	whole = scan(buf, size, WHOLE, seed);
	FUZZ_CHECK(whole.used <= (ssize_t)size);
	FUZZ_CHECK(whole.done || whole.used == -1 || whole.used == (ssize_t)size);
	for (enum split how = BYTES; how <= SKIP; how++) {
		struct outcome o = scan(buf, size, how, seed);

		if (o.used != whole.used || o.done != whole.done) {
			fprintf(stderr, "split %d: used %zd done %d; whole: used %zd done %d\n",
				how, o.used, o.done, whole.used, whole.done);
			FUZZ_CHECK(!"same outcome whatever the split");
		}
	}
	return 0;
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012) and the process's key. */
#include "user/base/hash.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "user/base/log.h"

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void round_(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13) ^ s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17) ^ s->v2;
	s->v2 = rotl(s->v2, 32);
}

/* Two compression rounds on one 64-bit word of the message. */
static inline void absorb(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	round_(s);
	round_(s);
	s->v0 ^= m;
}

uint64_t sg_siphash(const uint8_t key[16], const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t k0 = le64(key), k1 = le64(key + 8), last = (uint64_t)n << 56;
	struct sip s = {
		.v0 = k0 ^ 0x736f6d6570736575ull, /* "somepseudorandomlygeneratedbytes" */
		.v1 = k1 ^ 0x646f72616e646f6dull,
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	size_t whole = n & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8)
		absorb(&s, le64(b + i));
	for (size_t i = whole; i < n; i++)
		last |= (uint64_t)b[i] << (8 * (i - whole));
	absorb(&s, last);
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		round_(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

static uint8_t process_key[16];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
	size_t got = 0;

	while (got < sizeof(process_key)) {
		ssize_t n = getrandom(process_key + got, sizeof(process_key) - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(process_key)) {
		struct timespec ts;
		uint64_t mix[2];

		clock_gettime(CLOCK_MONOTONIC, &ts);
		mix[0] = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		mix[1] = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&ts;
		memcpy(process_key, mix, sizeof(process_key));
		SG_WARN("getrandom gave no key for the hash tables peers fill; "
			"keyed from the clock instead");
	}
}

uint64_t sg_hash(const void *p, size_t n)
{
	pthread_once(&key_once, make_key);
	return sg_siphash(process_key, p, n);
}

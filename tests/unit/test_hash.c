/* user/base/hash: SipHash-2-4 against the reference vectors (key 00..0f,
 * message 00, 01, ... of each length), and the process key drawn anew in
 * each process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "user/base/hash.h"

static uint64_t vector(size_t len)
{
	uint8_t key[16], msg[64] = { 0 };

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < len; i++)
		msg[i] = (uint8_t)i;
	return sg_siphash(key, msg, len);
}

/* The paper's appendix and the reference implementation's vectors.h:
 * empty, one byte, a whole word, 15 bytes (a word and a partial one). */
static void test_hash_reference_vectors(void **state)
{
	(void)state;
	assert_int_equal(vector(0), 0x726fdb47dd0e0e31ull);
	assert_int_equal(vector(1), 0x74f839c593dc67fdull);
	assert_int_equal(vector(8), 0x93f5f5799a932462ull);
	assert_int_equal(vector(15), 0xa129ca6149be45e5ull);
}

/* sg_hash in a fresh process: what it gives for "2001:db8::1". */
static uint64_t child_hash(void)
{
	int fds[2];
	uint64_t h = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		h = sg_hash("2001:db8::1", 11);
		_exit(write(fds[1], &h, sizeof(h)) == sizeof(h) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &h, sizeof(h)), sizeof(h));
	close(fds[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return h;
}

/* Two processes hash the same address differently (their keys are drawn
 * each time: with a fixed one a client could compute its collisions in
 * advance); one process hashes it the same every time. */
static void test_hash_keyed_per_process(void **state)
{
	uint64_t a = child_hash(), b = child_hash();

	(void)state;
	assert_int_not_equal(a, b);
	assert_int_equal(sg_hash("2001:db8::1", 11), sg_hash("2001:db8::1", 11));
	assert_int_not_equal(sg_hash("2001:db8::1", 11), sg_hash("2001:db8::2", 11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_reference_vectors),
		cmocka_unit_test(test_hash_keyed_per_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

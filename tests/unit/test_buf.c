/* user/base/buf.c: growth, append/consume/compact, and a reserve that cannot be
 * had. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "user/base/buf.h"

static void test_buf_starts_empty_and_grows_by_doubling(void **state)
{
	struct sg_buf b = { 0 };
	char chunk[1000];

	assert_null(sg_buf_data(&b));
	assert_int_equal(sg_buf_room(&b), 0);
	/* Nothing to hold: nothing allocated. */
	assert_int_equal(sg_buf_append(&b, "", 0), 0);
	assert_null(b.data);
	assert_int_equal(sg_buf_reserve(&b, 1), 0);
	assert_int_equal(b.cap, 512);
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 5; i++)
		assert_int_equal(sg_buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 5000);
	assert_int_equal(b.cap, 8192);
	assert_int_equal(sg_buf_reserve(&b, 20000), 0);
	assert_int_equal(b.cap, 32768);
	assert_true(sg_buf_room(&b) >= 20000);
	assert_int_equal(b.len, 5000);
	sg_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.len, 0);
}

static void test_buf_append_consume_keep_bytes_in_order(void **state)
{
	struct sg_buf b = { 0 };

	assert_int_equal(sg_buf_append(&b, "hello, ", 7), 0);
	assert_int_equal(sg_buf_append(&b, "world", 5), 0);
	assert_int_equal(b.len, 12);
	assert_memory_equal(sg_buf_data(&b), "hello, world", 12);
	sg_buf_consume(&b, 7);
	assert_int_equal(b.off, 7);
	assert_int_equal(b.len, 5);
	assert_memory_equal(sg_buf_data(&b), "world", 5);
	assert_int_equal(sg_buf_append(&b, "!", 1), 0);
	assert_memory_equal(sg_buf_data(&b), "world!", 6);
	/* Empty again: the next byte goes to the start. */
	sg_buf_consume(&b, 6);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(sg_buf_append(&b, "a", 1), 0);
	assert_ptr_equal(sg_buf_data(&b), b.data);
	sg_buf_free(&b);
}

static void test_buf_compact_moves_held_bytes_to_start(void **state)
{
	struct sg_buf b = { 0 };

	assert_int_equal(sg_buf_append(&b, "0123456789", 10), 0);
	sg_buf_consume(&b, 4);
	sg_buf_compact(&b);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "456789", 6);
	/* Twice: nothing moves. */
	sg_buf_compact(&b);
	assert_memory_equal(b.data, "456789", 6);
	sg_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.cap, 512); /* kept for the next bytes */
	sg_buf_free(&b);
	sg_buf_free(&b); /* an empty buffer frees nothing */
}

/* The consumed front is reclaimed before the buffer grows: a buffer read
 * as fast as it is filled stays at its first size. */
static void test_buf_reserve_reclaims_front_before_growing(void **state)
{
	struct sg_buf b = { 0 };
	char in[3000], out[3000];
	char *first;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)('a' + i % 26);
	assert_int_equal(sg_buf_append(&b, in, sizeof(in)), 0);
	first = b.data;
	sg_buf_consume(&b, 2000);
	assert_int_equal(sg_buf_room(&b), 4096 - 3000);
	/* 1000 held + 3000 more fit in 4096 once the front is gone. */
	assert_int_equal(sg_buf_append(&b, in, sizeof(in)), 0);
	assert_int_equal(b.cap, 4096);
	assert_ptr_equal(b.data, first);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 4000);
	memcpy(out, in + 2000, 1000);
	memcpy(out + 1000, in, 2000);
	assert_memory_equal(sg_buf_data(&b), out, 3000);
	assert_memory_equal(sg_buf_data(&b) + 3000, in + 2000, 1000);
	/* Growing with a consumed front keeps the held bytes, at the start. */
	sg_buf_consume(&b, 500);
	assert_int_equal(sg_buf_reserve(&b, 4000), 0);
	assert_int_equal(b.cap, 8192);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 3500);
	assert_memory_equal(sg_buf_data(&b), out + 500, 2500);
	sg_buf_free(&b);
}

/* A buffer kept full and consumed a piece at a time (a stream's response
 * waiting for a slow client, sent a frame at a time) does not move what it
 * holds for every piece: over 256 pieces at most two bytes are moved per
 * byte consumed, the allocation at most doubles, and the bytes stay in
 * order. */
static void test_buf_full_buffer_consumed_piecewise_moves_little(void **state)
{
	enum { HELD = 16384, PIECE = 1024, ROUNDS = 256 };
	struct sg_buf b = { 0 };
	char piece[PIECE], want[HELD];
	size_t moved = 0, written = 0;

	for (; written < HELD; written++) {
		char c = (char)(written * 7 % 251);

		assert_int_equal(sg_buf_append(&b, &c, 1), 0);
	}
	assert_int_equal(b.cap, HELD);
	for (int r = 0; r < ROUNDS; r++) {
		size_t off;

		sg_buf_consume(&b, PIECE);
		off = b.off;
		for (size_t i = 0; i < PIECE; i++)
			piece[i] = (char)((written + i) * 7 % 251);
		written += PIECE;
		assert_int_equal(sg_buf_append(&b, piece, PIECE), 0);
		if (b.off < off) /* moved down, or to a new allocation */
			moved += HELD - PIECE;
	}
	assert_true(moved <= 2 * (size_t)ROUNDS * PIECE);
	assert_true(b.cap <= 2 * HELD);
	assert_int_equal(b.len, HELD);
	for (size_t i = 0; i < HELD; i++)
		want[i] = (char)((written - HELD + i) * 7 % 251);
	assert_memory_equal(sg_buf_data(&b), want, HELD);
	sg_buf_free(&b);
}

/* Reading into the buffer in place: reserve, write at the tail, commit. */
static void test_buf_tail_commit_reads_in_place(void **state)
{
	struct sg_buf b = { 0 };

	assert_int_equal(sg_buf_append(&b, "head:", 5), 0);
	assert_int_equal(sg_buf_reserve(&b, 3), 0);
	assert_true(sg_buf_room(&b) >= 3);
	memcpy(sg_buf_tail(&b), "abc", 3);
	sg_buf_commit(&b, 3);
	assert_int_equal(b.len, 8);
	assert_memory_equal(sg_buf_data(&b), "head:abc", 8);
	/* Appending the bytes at the tail only counts them (an exchange
	 * that read into the owner's buffer hands them over this way). */
	assert_int_equal(sg_buf_reserve(&b, 4), 0);
	{
		char *tail = sg_buf_tail(&b), *data = b.data;

		memcpy(tail, "defg", 4);
		assert_int_equal(sg_buf_append(&b, tail, 4), 0);
		assert_ptr_equal(b.data, data);
	}
	assert_int_equal(b.len, 12);
	assert_memory_equal(sg_buf_data(&b), "head:abcdefg", 12);
	sg_buf_free(&b);
}

/* A size that wraps around, or that no allocation can have, fails with
 * the buffer as it was (no allocator call: ASan would abort on one). */
static void test_buf_reserve_too_much_leaves_buffer_intact(void **state)
{
	struct sg_buf b = { 0 }, before;

	assert_int_equal(sg_buf_append(&b, "keep me", 7), 0);
	sg_buf_consume(&b, 5);
	before = b;
	assert_int_equal(sg_buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_int_equal(sg_buf_reserve(&b, SIZE_MAX - 1), -ENOMEM);
	assert_int_equal(sg_buf_reserve(&b, (size_t)PTRDIFF_MAX), -ENOMEM);
	assert_int_equal(sg_buf_append(&b, "x", SIZE_MAX), -ENOMEM);
	assert_memory_equal(&b, &before, sizeof(b));
	assert_memory_equal(sg_buf_data(&b), "me", 2);
	/* Still usable. */
	assert_int_equal(sg_buf_append(&b, "!", 1), 0);
	assert_memory_equal(sg_buf_data(&b), "me!", 3);
	sg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_starts_empty_and_grows_by_doubling),
		cmocka_unit_test(test_buf_append_consume_keep_bytes_in_order),
		cmocka_unit_test(test_buf_compact_moves_held_bytes_to_start),
		cmocka_unit_test(test_buf_reserve_reclaims_front_before_growing),
		cmocka_unit_test(test_buf_full_buffer_consumed_piecewise_moves_little),
		cmocka_unit_test(test_buf_tail_commit_reads_in_place),
		cmocka_unit_test(test_buf_reserve_too_much_leaves_buffer_intact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

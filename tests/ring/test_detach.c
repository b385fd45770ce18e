/*
 * test_detach.c - virtqueue_detach_unused_buf: every outstanding token
 * exactly once, then NULL, every descriptor free and no table leaked; and,
 * as in Linux 3.7.1, avail->idx in ring memory rolled back by one for
 * every buffer detached.
 */
#include "ring_test.h"

#define TESTS(X)                                                               \
	X(detach_on_empty_queue_returns_null)                                  \
	X(detach_returns_each_outstanding_token_once)                          \
	X(detach_frees_every_descriptor)                                       \
	X(detach_skips_buffers_already_returned)                               \
	X(detach_returns_used_but_unfetched_buffers)                           \
	X(detach_works_on_broken_queue)                                        \
	X(detach_frees_indirect_tables)                                        \
	X(detach_counts_in_stats)                                              \
	X(del_virtqueue_frees_outstanding_indirect_tables)                     \
	X(detach_rolls_avail_idx_back_like_3_7_1)                              \
	X(detach_rolls_back_only_unreturned_buffers)                           \
	X(detach_rolls_back_across_the_wrap)                                   \
	X(add_after_detach_reuses_the_slots)
TESTS(HARNESS_DECLARE)

#define NTOK 32
static char tokens[NTOK];

/* Adds n requests of 1..3 entries (tokens[first..first + n)). */
static void add_mixed(struct test_vq *t, char *area, unsigned int first,
		      unsigned int n)
{
	unsigned int i, k;

	for (i = first; i < first + n; i++) {
		k = 1 + i % 3;
		CHECK(rt_add(t, area, k / 2, k - k / 2, &tokens[i]) >= 0);
	}
}

/* Detaches until NULL; every token must be one of expected[] (flags per
 * token index), each once. Returns how many were detached. */
static unsigned int detach_check(struct test_vq *t, const bool *expected)
{
	bool seen[NTOK] = { false };
	unsigned int n = 0;
	char *tok;
	long i;

	while ((tok = virtqueue_detach_unused_buf(t->vq)) != NULL) {
		i = tok - tokens;
		CHECK(i >= 0 && i < NTOK);
		CHECK(expected[i]);
		CHECK(!seen[i]);
		seen[i] = true;
		CHECK(++n <= NTOK);
	}
	for (i = 0; i < NTOK; i++)
		CHECK_EQ(expected[i], seen[i]);
	CHECK_PTR_EQ(NULL, virtqueue_detach_unused_buf(t->vq));
	return n;
}

static void detach_on_empty_queue_returns_null(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	CHECK_PTR_EQ(NULL, virtqueue_detach_unused_buf(t.vq));
	CHECK_EQ(8, t.vq->num_free);
	rt_finish(&t);
}

static void detach_returns_each_outstanding_token_once(void)
{
	bool expected[NTOK] = { false };
	struct test_vq t;
	unsigned int i;

	test_vq_create(&t, 32, 0, true);
	add_mixed(&t, rt_area(), 0, 12);
	for (i = 0; i < 12; i++)
		expected[i] = true;
	CHECK_EQ(12, detach_check(&t, expected));
	rt_finish(&t);
}

static void detach_frees_every_descriptor(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 32, 0, true);
	area = rt_area();
	add_mixed(&t, area, 0, 12);
	CHECK_EQ(32 - 24, t.vq->num_free);
	CHECK_EQ(12, test_detach_all(t.vq));
	CHECK_EQ(32, t.vq->num_free);
	CHECK_EQ(0, virtqueue_outstanding(t.vq));
	CHECK_INVARIANTS(t.vq);
	/* The whole ring can be handed out again. */
	CHECK_EQ(16, rt_add(&t, area, 8, 8, &tokens[0]));
	CHECK_EQ(0, rt_add(&t, area, 8, 8, &tokens[1]));
	rt_finish(&t);
}

static void detach_skips_buffers_already_returned(void)
{
	bool expected[NTOK] = { false };
	struct test_vq t;
	struct test_chain c;
	unsigned int i;

	test_vq_create(&t, 32, 0, true);
	add_mixed(&t, rt_area(), 0, 6);
	for (i = 0; i < 6; i++) {
		CHECK(test_dev_pop(&t, &c));
		if (i == 1 || i == 4)
			test_dev_push(&t, c.head, 0);
		else
			expected[i] = true;
	}
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(&tokens[4], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(4, detach_check(&t, expected));
	CHECK_EQ(32, t.vq->num_free);
	rt_finish(&t);
}

/* Used entries not yet taken by get_buf still belong to the driver's
 * outstanding buffers: shutdown gets them back through detach. */
static void detach_returns_used_but_unfetched_buffers(void)
{
	bool expected[NTOK] = { false };
	struct test_vq t;
	unsigned int i;

	test_vq_create(&t, 16, 0, true);
	add_mixed(&t, rt_area(), 0, 4);
	CHECK_EQ(4, test_dev_complete_all(&t));
	for (i = 0; i < 4; i++)
		expected[i] = true;
	CHECK_EQ(4, detach_check(&t, expected));
	CHECK_EQ(16, t.vq->num_free);
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

static void detach_works_on_broken_queue(void)
{
	bool expected[NTOK] = { false };
	struct test_vq t;
	unsigned int i;

	test_vq_create(&t, 16, 0, true);
	add_mixed(&t, rt_area(), 0, 5);
	virtqueue_break(t.vq);
	for (i = 0; i < 5; i++)
		expected[i] = true;
	CHECK_EQ(5, detach_check(&t, expected));
	CHECK_EQ(16, t.vq->num_free);
	CHECK_EQ(0, virtqueue_outstanding(t.vq));
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

static void detach_frees_indirect_tables(void)
{
	bool expected[NTOK] = { false };
	struct test_vq t;
	size_t live;
	char *area;
	unsigned int i;

	test_vq_create(&t, 16, RT_INDIRECT, true);
	area = rt_area();
	live = rt_live_blocks();
	for (i = 0; i < 6; i++) {
		CHECK_EQ(15 - (int)i, rt_add(&t, area, 2, 2, &tokens[i]));
		expected[i] = true;
	}
	CHECK_EQ(live + 6, rt_live_blocks());
	CHECK_EQ(6, detach_check(&t, expected));
	CHECK_EQ(live, rt_live_blocks());
	CHECK_EQ(16, t.vq->num_free);
	rt_finish(&t);
}

static void detach_counts_in_stats(void)
{
	struct vring_stats st;
	struct test_vq t;

	test_vq_create(&t, 16, 0, true);
	add_mixed(&t, rt_area(), 0, 3);
	CHECK_EQ(3, test_detach_all(t.vq));
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(3, st.added);
	CHECK_EQ(3, st.detached);
	CHECK_EQ(0, st.used);
	rt_finish(&t);
}

/* Deleting a queue with buffers still out frees their tables too. */
static void del_virtqueue_frees_outstanding_indirect_tables(void)
{
	struct test_vq t;
	size_t live;
	char *area;
	unsigned int i;

	area = rt_area();
	live = rt_live_blocks();
	test_vq_create(&t, 16, RT_INDIRECT, true);
	for (i = 0; i < 5; i++)
		CHECK_EQ(15 - (int)i, rt_add(&t, area, 1, 2, &tokens[i]));
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
	CHECK_EQ(live, rt_live_blocks());
}

HARNESS_MAIN(TESTS)

/* Linux 3.7.1: three adds and three detaches leave avail->idx at 0, in the
 * ring memory the device reads. */
static void detach_rolls_avail_idx_back_like_3_7_1(void)
{
	struct test_vq t;
	unsigned int i;

	test_vq_create(&t, 8, 0, true);
	for (i = 0; i < 3; i++)
		CHECK(rt_add(&t, rt_area(), 0, 1, &tokens[i]) >= 0);
	CHECK_EQ(3, rt_dev_avail_idx(&t));
	for (i = 0; i < 3; i++) {
		CHECK(virtqueue_detach_unused_buf(t.vq) != NULL);
		CHECK_EQ(2 - i, rt_dev_avail_idx(&t));
	}
	CHECK_PTR_EQ(NULL, virtqueue_detach_unused_buf(t.vq));
	CHECK_EQ(0, rt_dev_avail_idx(&t)); /* NULL moves nothing */
	rt_finish(&t);
}

/* Buffers the driver got back are not rolled back: add 3, get 1, detach
 * 2 leaves 1. */
static void detach_rolls_back_only_unreturned_buffers(void)
{
	struct test_chain c;
	struct test_vq t;
	unsigned int i, len;

	test_vq_create(&t, 8, 0, true);
	for (i = 0; i < 3; i++)
		CHECK(rt_add(&t, rt_area(), 0, 1, &tokens[i]) >= 0);
	CHECK(test_dev_pop(&t, &c));
	test_dev_push(&t, c.head, 4);
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(2, test_detach_all(t.vq));
	CHECK_EQ(1, rt_dev_avail_idx(&t));
	rt_finish(&t);
}

/* The free-running index rolls back through 0 to 0xffff. */
static void detach_rolls_back_across_the_wrap(void)
{
	char *area = rt_area();
	struct test_chain c;
	struct test_vq t;
	unsigned int i, len;

	test_vq_create(&t, 4, 0, true);
	for (i = 0; i < 0x10000; i++) {
		CHECK(rt_add(&t, area, 0, 1, &tokens[0]) >= 0);
		CHECK(test_dev_pop(&t, &c));
		test_dev_push(&t, c.head, 1);
		CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, &len));
	}
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	CHECK(rt_add(&t, area, 0, 1, &tokens[1]) >= 0);
	CHECK(rt_add(&t, area, 0, 1, &tokens[2]) >= 0);
	CHECK_EQ(2, test_detach_all(t.vq));
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	rt_finish(&t);
}

/* After a rollback the next adds reuse the same avail slots; a device
 * that then serves them finds the new heads and the queue stays healthy
 * (its check of the avail ring follows the rollback). */
static void add_after_detach_reuses_the_slots(void)
{
	struct test_chain c;
	struct test_vq t;
	unsigned int i, len;

	test_vq_create(&t, 8, 0, true);
	for (i = 0; i < 3; i++)
		CHECK(rt_add(&t, rt_area(), 0, 1, &tokens[i]) >= 0);
	CHECK_EQ(3, test_detach_all(t.vq));
	/* The device reset along with the detach: it starts from 0. */
	t.last_avail = 0;
	for (i = 3; i < 5; i++)
		CHECK(rt_add(&t, rt_area(), 0, 1, &tokens[i]) >= 0);
	CHECK_EQ(2, rt_dev_avail_idx(&t));
	for (i = 3; i < 5; i++) {
		CHECK(test_dev_pop(&t, &c));
		test_dev_push(&t, c.head, 2);
		CHECK_PTR_EQ(&tokens[i], virtqueue_get_buf(t.vq, &len));
		CHECK_EQ(2, len);
	}
	CHECK(!test_dev_pop(&t, &c));
	rt_finish(&t);
}

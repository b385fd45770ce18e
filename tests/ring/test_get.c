/*
 * test_get.c - virtqueue_get_buf: NULL when nothing is used, tokens in the
 * order the device used them, the len it wrote, descriptors freed.
 */
#include "ring_test.h"

#define TESTS(X)                                                               \
	X(get_buf_returns_null_when_nothing_used)                              \
	X(get_buf_returns_null_after_last_used_taken)                          \
	X(get_buf_returns_tokens_in_device_used_order)                         \
	X(get_buf_reports_len_device_wrote)                                    \
	X(get_buf_reports_zero_len)                                            \
	X(get_buf_frees_descriptors_of_returned_chain)                         \
	X(get_buf_reused_descriptors_after_out_of_order_completion)            \
	X(get_buf_after_avail_slot_reused_by_later_add)                        \
	X(get_buf_after_avail_ring_lapped_many_times)                          \
	X(get_buf_sees_only_entries_covered_by_used_idx)                       \
	X(get_buf_clamps_len_above_writable_bytes)                             \
	X(get_buf_on_broken_queue_returns_null)
TESTS(HARNESS_DECLARE)

static char tokens[64];

/* Adds n 1-readable + 1-writable requests with tokens[first...]. */
static void add_pairs(struct test_vq *t, char *area, unsigned int first,
		      unsigned int n)
{
	unsigned int i;

	for (i = first; i < first + n; i++)
		CHECK(rt_add(t, area, 1, 1, &tokens[i]) >= 0);
}

/* Device: pops n chains, keeping their heads. */
static void pop_n(struct test_vq *t, u16 *heads, unsigned int n)
{
	struct test_chain c;
	unsigned int i;

	for (i = 0; i < n; i++) {
		CHECK(test_dev_pop(t, &c));
		heads[i] = c.head;
	}
}

static void get_buf_returns_null_when_nothing_used(void)
{
	struct test_vq t;
	unsigned int len = 12345;

	test_vq_create(&t, 8, 0, true);
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, &len));
	add_pairs(&t, rt_area(), 0, 3);
	CHECK_EQ(3, test_dev_avail_pending(&t));
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(12345, len);
	CHECK_EQ(3, virtqueue_outstanding(t.vq));
	CHECK_EQ(2, t.vq->num_free);
	rt_finish(&t);
}

static void get_buf_returns_null_after_last_used_taken(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_pairs(&t, rt_area(), 0, 2);
	CHECK_EQ(2, test_dev_complete_all(&t));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, NULL));
	rt_finish(&t);
}

static void get_buf_returns_tokens_in_device_used_order(void)
{
	static const unsigned int order[] = { 3, 0, 4, 1, 2 };
	struct test_vq t;
	unsigned int i, len;
	u16 heads[5];

	test_vq_create(&t, 16, 0, true);
	add_pairs(&t, rt_area(), 0, 5);
	pop_n(&t, heads, 5);
	for (i = 0; i < 5; i++)
		test_dev_push(&t, heads[order[i]], order[i] + 1);
	for (i = 0; i < 5; i++) {
		CHECK_PTR_EQ(&tokens[order[i]], virtqueue_get_buf(t.vq, &len));
		CHECK_EQ(order[i] + 1, len);
	}
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, &len));
	rt_finish(&t);
}

static void get_buf_reports_len_device_wrote(void)
{
	struct test_vq t;
	struct test_chain c;
	unsigned int len = 0;

	test_vq_create(&t, 8, 0, true);
	CHECK_EQ(5, rt_add(&t, rt_area(), 1, 2, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(rt_writable(1, 2), c.writable_bytes);
	test_dev_push(&t, c.head, 20);
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(20, len);
	rt_finish(&t);
}

static void get_buf_reports_zero_len(void)
{
	struct test_vq t;
	struct test_chain c;
	unsigned int len = 99;

	test_vq_create(&t, 8, 0, true);
	CHECK_EQ(6, rt_add(&t, rt_area(), 2, 0, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	test_dev_push(&t, c.head, 0);
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(0, len);
	rt_finish(&t);
}

static void get_buf_frees_descriptors_of_returned_chain(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	CHECK_EQ(5, rt_add(&t, area, 1, 2, &tokens[0]));
	CHECK_EQ(1, rt_add(&t, area, 2, 2, &tokens[1]));
	CHECK_EQ(2, test_dev_complete_all(&t));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(4, t.vq->num_free);
	CHECK_EQ(1, virtqueue_outstanding(t.vq));
	CHECK_INVARIANTS(t.vq);
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(8, t.vq->num_free);
	CHECK_EQ(0, virtqueue_outstanding(t.vq));
	/* All eight are usable again, in one chain. */
	CHECK_EQ(0, rt_add(&t, area, 4, 4, &tokens[2]));
	rt_finish(&t);
}

static void get_buf_reused_descriptors_after_out_of_order_completion(void)
{
	struct test_vq t;
	struct test_chain c;
	u16 heads[4];
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	add_pairs(&t, area, 0, 4);
	pop_n(&t, heads, 4);
	test_dev_push(&t, heads[2], 1);
	test_dev_push(&t, heads[0], 2);
	CHECK_PTR_EQ(&tokens[2], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(4, t.vq->num_free);
	/* A 4-descriptor chain now takes the two freed pairs. */
	CHECK_EQ(0, rt_add(&t, area, 2, 2, &tokens[4]));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(4, c.n);
	test_dev_push(&t, c.head, 5);
	test_dev_push(&t, heads[3], 3);
	test_dev_push(&t, heads[1], 4);
	CHECK_PTR_EQ(&tokens[4], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(&tokens[3], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(8, t.vq->num_free);
	rt_finish(&t);
}

/*
 * The device took A..D from avail slots 0..3 and returned B; the next add
 * (E) goes to avail slot 4 % 4 == 0, A's old slot, which the device has
 * already consumed. A is still legally outstanding and must come back.
 */
static void get_buf_after_avail_slot_reused_by_later_add(void)
{
	static const unsigned int order[] = { 0, 4, 2, 3 };
	struct test_vq t;
	struct test_chain c;
	unsigned int i, len = 0;
	u16 heads[5];
	char *area;
	void *got;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	for (i = 0; i < 4; i++) /* A..D: avail slots 0..3 */
		CHECK_EQ(3 - (int)i, rt_add(&t, area, 0, 1, &tokens[i]));
	pop_n(&t, heads, 4);
	test_dev_push(&t, heads[1], 1);
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(0, rt_add(&t, area, 0, 1, &tokens[4])); /* E: slot 0 */
	CHECK(test_dev_pop(&t, &c));
	heads[4] = c.head;
	CHECK_EQ(heads[1], heads[4]);
	for (i = 0; i < 4; i++)
		test_dev_push(&t, heads[order[i]], 10 + order[i]);
	for (i = 0; i < 4; i++) {
		got = virtqueue_get_buf(t.vq, &len);
		CHECK_HEALTHY(t.vq);
		CHECK_PTR_EQ(&tokens[order[i]], got);
		CHECK_EQ(10 + order[i], len);
	}
	CHECK_EQ(4, t.vq->num_free);
	rt_finish(&t);
}

/* A buffer the device holds while 100 others pass through the ring (25
 * laps of its avail ring) still comes back. */
static void get_buf_after_avail_ring_lapped_many_times(void)
{
	struct test_vq t;
	struct test_chain c;
	unsigned int i, len = 0;
	char *area;
	void *got;
	u16 held;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	CHECK_EQ(3, rt_add(&t, area, 0, 1, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	held = c.head;
	for (i = 0; i < 100; i++) {
		CHECK_EQ(2, rt_add(&t, area, 0, 1, &tokens[1]));
		CHECK_EQ(1, test_dev_complete_all(&t));
		CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	}
	test_dev_push(&t, held, 7);
	got = virtqueue_get_buf(t.vq, &len);
	CHECK_HEALTHY(t.vq);
	CHECK_PTR_EQ(&tokens[0], got);
	CHECK_EQ(7, len);
	CHECK_EQ(4, t.vq->num_free);
	rt_finish(&t);
}

static void get_buf_sees_only_entries_covered_by_used_idx(void)
{
	struct test_vq t;
	u16 heads[2];

	test_vq_create(&t, 8, 0, true);
	add_pairs(&t, rt_area(), 0, 2);
	pop_n(&t, heads, 2);
	/* An entry written but not yet published is not there yet. */
	test_dev_write_used_elem(&t, 0, heads[1], 1);
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, NULL));
	test_dev_set_used_idx(&t, 1);
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, NULL));
	rt_finish(&t);
}

static void get_buf_clamps_len_above_writable_bytes(void)
{
	struct vring_stats st;
	struct test_vq t;
	struct test_chain c;
	unsigned int len = 0;

	test_vq_create(&t, 8, 0, true);
	CHECK_EQ(5, rt_add(&t, rt_area(), 1, 2, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	test_dev_push(&t, c.head, 100000);
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(rt_writable(1, 2), len);
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(1, st.len_clamped);
	CHECK_EQ(c.head, st.last_clamp_id);
	CHECK_EQ(100000, st.last_clamp_len);
	CHECK_EQ(rt_writable(1, 2), st.last_clamp_limit);
	rt_finish(&t);
}

static void get_buf_on_broken_queue_returns_null(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_pairs(&t, rt_area(), 0, 2);
	CHECK_EQ(2, test_dev_complete_all(&t));
	virtqueue_break(t.vq);
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(2, virtqueue_outstanding(t.vq));
	CHECK_EQ(VRING_FAULT_DEVICE_BROKEN, virtqueue_fault(t.vq)->fault);
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

HARNESS_MAIN(TESTS)

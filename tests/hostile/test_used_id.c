/*
 * test_used_id.c - a device returns a used id that is no outstanding head:
 * out of range, inside a chain, free, or already returned. Each breaks the
 * queue with its own fault; every token still comes back.
 */
#include "hostile.h"

#define TESTS(X)                                                               \
	X(used_id_equal_to_queue_size_breaks_with_range)                       \
	X(used_id_all_ones_breaks_with_range_on_indirect_chain)                \
	X(used_id_one_on_queue_of_one_breaks_with_range)                       \
	X(used_id_out_of_range_after_index_wrap_breaks_with_range)             \
	X(interrupt_before_bad_id_calls_back_then_get_buf_breaks)              \
	X(used_id_inside_chain_breaks_not_head)                                \
	X(used_id_last_of_chain_breaks_not_head)                               \
	X(used_id_of_never_used_descriptor_breaks_not_head)                    \
	X(used_id_of_free_descriptor_on_indirect_queue_breaks_not_head)        \
	X(used_id_inside_returned_chain_breaks_not_head)                       \
	X(used_id_returned_twice_breaks_duplicate)                             \
	X(used_id_twice_in_one_batch_breaks_duplicate)                         \
	X(used_id_returned_twice_near_index_wrap_breaks_duplicate)             \
	X(used_id_detached_then_returned_is_not_a_head)

TESTS(HARNESS_DECLARE)

static struct hq h;

static void used_id_equal_to_queue_size_breaks_with_range(void)
{
	struct test_chain c;

	hq_create(&h, 8, 0);
	hq_add_pop(&h, 0, 1, &c);
	test_dev_push(&h.t, 8, 4);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_RANGE, 8, 8);
}

static void used_id_all_ones_breaks_with_range_on_indirect_chain(void)
{
	struct test_chain c;

	hq_create(&h, 256, HQ_INDIRECT);
	hq_add_pop(&h, 2, 3, &c);
	CHECK(c.indirect);
	hq_add_pop(&h, 1, 1, &c);
	test_dev_push(&h.t, 0xffffffffu, 1);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_RANGE, 0xffffffffu, 256);
}

static void used_id_one_on_queue_of_one_breaks_with_range(void)
{
	struct test_chain c;

	hq_create(&h, 1, 0);
	hq_add_pop(&h, 1, 0, &c);
	CHECK_EQ(0, c.head);
	test_dev_push(&h.t, 1, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_RANGE, 1, 1);
}

static void used_id_out_of_range_after_index_wrap_breaks_with_range(void)
{
	struct test_chain c[3];
	unsigned int a, b;

	hq_create(&h, 16, HQ_EVENT_IDX);
	hq_advance(&h, 0xfffe);
	a = hq_add_pop(&h, 0, 1, &c[0]);
	b = hq_add_pop(&h, 0, 2, &c[1]);
	hq_add_pop(&h, 1, 1, &c[2]);
	test_dev_push(&h.t, c[0].head, 5);
	test_dev_push(&h.t, c[1].head, hq_writable(0, 2));
	test_dev_push(&h.t, 0x10000u + c[2].head, 0);
	hq_expect_get(&h, a, 5);
	hq_expect_get(&h, b, hq_writable(0, 2));
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_RANGE, 0x10000u + c[2].head,
			 16);
}

/* The interrupt only looks at used.idx, which is valid here. */
static void interrupt_before_bad_id_calls_back_then_get_buf_breaks(void)
{
	struct test_chain c;

	hq_create(&h, 4, 0);
	hq_add_pop(&h, 0, 1, &c);
	test_dev_push(&h.t, 4, 0);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(1, h.t.callbacks);
	CHECK(!virtqueue_is_broken(hq_vq(&h)));
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_RANGE, 4, 4);
}

static void used_id_inside_chain_breaks_not_head(void)
{
	struct test_chain c;
	u16 second;

	hq_create(&h, 8, 0);
	hq_add_pop(&h, 1, 2, &c);
	second = hq_desc_at(&h, c.head, 1);
	test_dev_push(&h.t, second, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, second, second);
}

static void used_id_last_of_chain_breaks_not_head(void)
{
	struct test_chain one, big, three;
	unsigned int a;
	u16 last;

	hq_create(&h, 256, 0);
	hq_advance(&h, 0xffff);
	a = hq_add_pop(&h, 0, 1, &one);
	hq_add_pop(&h, 10, 30, &big);
	CHECK_EQ(40, big.n);
	test_dev_push(&h.t, one.head, 0);
	hq_expect_get(&h, a, 0);
	hq_add_pop(&h, 3, 0, &three);
	last = hq_desc_at(&h, three.head, 2);
	test_dev_push(&h.t, last, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, last, last);
}

static void used_id_of_never_used_descriptor_breaks_not_head(void)
{
	struct test_chain c;

	u32 id;

	hq_create(&h, 8, 0);
	hq_add_pop(&h, 0, 1, &c);
	id = (c.head + 5) % 8;
	test_dev_push(&h.t, id, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, id, id);
}

static void used_id_of_free_descriptor_on_indirect_queue_breaks_not_head(void)
{
	struct test_chain c;
	unsigned int i;

	bool head[64] = { false };
	u32 id = 63;

	hq_create(&h, 64, HQ_INDIRECT | HQ_EVENT_IDX);
	for (i = 0; i < 3; i++) {
		hq_add_pop(&h, 2, 2, &c);
		CHECK(c.indirect);
		head[c.head] = true;
	}
	while (head[id])
		id--;
	test_dev_push(&h.t, id, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, id, id);
}

/* The second descriptor of A is free once A came back, and never was a
 * head: its id is "not a head" rather than "returned twice". */
static void used_id_inside_returned_chain_breaks_not_head(void)
{
	struct test_chain a, b;
	unsigned int ta;
	u16 second;

	hq_create(&h, 8, 0);
	ta = hq_add_pop(&h, 1, 2, &a);
	second = hq_desc_at(&h, a.head, 1);
	hq_add_pop(&h, 0, 1, &b);
	test_dev_push(&h.t, a.head, 7);
	hq_expect_get(&h, ta, 7);
	test_dev_push(&h.t, second, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, second, second);
}

/* B stays outstanding so that used.idx may move by one more. */
static void used_id_returned_twice_breaks_duplicate(void)
{
	struct test_chain a, b;
	unsigned int ta;

	hq_create(&h, 8, 0);
	ta = hq_add_pop(&h, 0, 1, &a);
	hq_add_pop(&h, 0, 1, &b);
	test_dev_push(&h.t, a.head, 3);
	hq_expect_get(&h, ta, 3);
	test_dev_push(&h.t, a.head, 3);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_DUPLICATE, a.head, a.head);
}

static void used_id_twice_in_one_batch_breaks_duplicate(void)
{
	struct test_chain a, b;
	unsigned int ta;

	hq_create(&h, 32, HQ_INDIRECT);
	ta = hq_add_pop(&h, 1, 3, &a);
	hq_add_pop(&h, 1, 3, &b);
	test_dev_write_used_elem(&h.t, 0, a.head, 2);
	test_dev_write_used_elem(&h.t, 1, a.head, 2);
	test_dev_set_used_idx(&h.t, 2);
	hq_expect_get(&h, ta, 2);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_DUPLICATE, a.head, a.head);
}

static void used_id_returned_twice_near_index_wrap_breaks_duplicate(void)
{
	struct test_chain a, b;
	unsigned int ta;

	hq_create(&h, 4, HQ_INDIRECT | HQ_EVENT_IDX);
	hq_advance(&h, 0xffff);
	ta = hq_add_pop(&h, 2, 1, &a);
	hq_add_pop(&h, 0, 2, &b);
	test_dev_push(&h.t, a.head, hq_writable(2, 1));
	hq_expect_get(&h, ta, hq_writable(2, 1));
	test_dev_push(&h.t, a.head, 0);
	hq_expect_none(&h);
	CHECK_EQ(1, READ_ONCE(h.t.vring.used->idx));
	hq_finish_broken(&h, VRING_FAULT_USED_ID_DUPLICATE, a.head, a.head);
}

/* A detached head is free again: the device may not return it. used.idx
 * may still move by one because B is outstanding. */
static void used_id_detached_then_returned_is_not_a_head(void)
{
	struct test_chain a, b;

	hq_create(&h, 8, 0);
	hq_add_pop(&h, 0, 1, &a);
	hq_add_pop(&h, 0, 1, &b);
	CHECK(virtqueue_detach_unused_buf(hq_vq(&h)) == &h.tokens[0]);
	h.state[0] = HQ_DETACHED;
	test_dev_push(&h.t, a.head, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, a.head, a.head);
}

HARNESS_MAIN(TESTS)

/*
 * test_used_idx.c - a device moves used.idx where no honest device can:
 * further ahead than the buffers it holds, or backwards. Both break the
 * queue, from get_buf, vring_interrupt or enable_cb, also across the u16
 * wrap; every token still comes back.
 */
#include "hostile.h"

#define TESTS(X)                                                               \
	X(used_idx_one_past_outstanding_breaks_ahead)                          \
	X(used_idx_big_jump_breaks_ahead)                                      \
	X(used_idx_moving_with_nothing_outstanding_breaks_ahead)               \
	X(used_idx_ahead_after_partial_consumption_breaks_ahead)               \
	X(used_idx_ahead_across_index_wrap_breaks_ahead)                       \
	X(interrupt_with_used_idx_ahead_breaks_without_callback)               \
	X(enable_cb_with_used_idx_ahead_breaks_ahead)                          \
	X(used_idx_lowered_after_consumption_breaks_backwards)                 \
	X(used_idx_lowered_with_buffers_outstanding_breaks_backwards)          \
	X(used_idx_lowered_below_seen_entries_breaks_in_enable_cb)             \
	X(used_idx_lowered_below_seen_entries_breaks_after_them)               \
	X(used_idx_lowered_across_index_wrap_breaks_backwards)                 \
	X(used_idx_lowered_by_queue_size_breaks_backwards)                     \
	X(used_idx_lowered_on_queue_of_one_breaks_backwards)

TESTS(HARNESS_DECLARE)

static struct hq h;

/* Adds n requests of one writable entry that the device takes. */
static void add_popped(unsigned int n)
{
	struct test_chain c;
	unsigned int i;

	for (i = 0; i < n; i++)
		hq_add_pop(&h, 0, 1, &c);
}

/* Adds n requests of one writable entry the device has not taken yet. */
static void add_only(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		hq_add(&h, 0, 1);
}

/* Adds n requests, the device returns them all, the driver gets them. */
static void round_trip(unsigned int n)
{
	unsigned int i, first = h.ntok;

	add_only(n);
	CHECK_EQ(n, hq_complete_all(&h));
	for (i = 0; i < n; i++)
		hq_expect_get(&h, first + i, HQ_LEN(0));
}

static void used_idx_one_past_outstanding_breaks_ahead(void)
{
	hq_create(&h, 8, 0);
	add_popped(3);
	test_dev_set_used_idx(&h.t, 4);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 4, 3);
}

static void used_idx_big_jump_breaks_ahead(void)
{
	struct test_chain c;
	unsigned int i;

	hq_create(&h, 256, HQ_INDIRECT);
	for (i = 0; i < 5; i++)
		hq_add_pop(&h, 1, 2, &c);
	test_dev_set_used_idx(&h.t, 0x4000);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 0x4000, 5);
}

static void used_idx_moving_with_nothing_outstanding_breaks_ahead(void)
{
	hq_create(&h, 4, 0);
	test_dev_set_used_idx(&h.t, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(0, h.t.callbacks);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 1, 0);
}

static void used_idx_ahead_after_partial_consumption_breaks_ahead(void)
{
	struct test_chain c;
	unsigned int t0;

	hq_create(&h, 16, HQ_EVENT_IDX);
	t0 = hq_add_pop(&h, 0, 1, &c);
	add_popped(3);
	test_dev_push(&h.t, c.head, 1);
	hq_expect_get(&h, t0, 1);
	test_dev_set_used_idx(&h.t, 5);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 5, 4);
}

static void used_idx_ahead_across_index_wrap_breaks_ahead(void)
{
	hq_create(&h, 16, 0);
	hq_advance(&h, 0xfffe);
	add_popped(3);
	test_dev_set_used_idx(&h.t, 2);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 2, 1);
}

static void interrupt_with_used_idx_ahead_breaks_without_callback(void)
{
	hq_create(&h, 64, HQ_INDIRECT | HQ_EVENT_IDX);
	add_popped(2);
	test_dev_set_used_idx(&h.t, 3);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(0, h.t.callbacks);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 3, 2);
}

static void enable_cb_with_used_idx_ahead_breaks_ahead(void)
{
	hq_create(&h, 8, 0);
	add_popped(2);
	virtqueue_disable_cb(hq_vq(&h));
	test_dev_set_used_idx(&h.t, 0x8000);
	virtqueue_enable_cb(hq_vq(&h));
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 0x8000, 2);
}

static void used_idx_lowered_after_consumption_breaks_backwards(void)
{
	hq_create(&h, 8, 0);
	round_trip(3);
	test_dev_set_used_idx(&h.t, 2);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 2, 3);
}

static void used_idx_lowered_with_buffers_outstanding_breaks_backwards(void)
{
	hq_create(&h, 8, HQ_INDIRECT);
	round_trip(3);
	add_popped(4);
	test_dev_set_used_idx(&h.t, 1);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 1, 3);
}

/* The driver saw used.idx 3 in the interrupt; enable_cb reads 1. */
static void used_idx_lowered_below_seen_entries_breaks_in_enable_cb(void)
{
	hq_create(&h, 8, 0);
	add_only(3);
	CHECK_EQ(3, hq_complete_all(&h));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(1, h.t.callbacks);
	test_dev_set_used_idx(&h.t, 1);
	virtqueue_enable_cb(hq_vq(&h));
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 1, 3);
}

/* Entries covered by the used.idx the driver saw may still be returned;
 * the lowered idx is caught at the latest when they are consumed. */
static void used_idx_lowered_below_seen_entries_breaks_after_them(void)
{
	unsigned int i, len;
	int tok;

	hq_create(&h, 8, HQ_EVENT_IDX);
	add_only(3);
	CHECK_EQ(3, hq_complete_all(&h));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	test_dev_set_used_idx(&h.t, 1);
	for (i = 0; i < 4; i++) {
		tok = hq_get(&h, &len);
		if (tok < 0)
			break;
		CHECK_EQ(i, tok);
		CHECK_EQ(HQ_LEN(0), len);
	}
	CHECK(i < 4);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 1, 3);
}

static void used_idx_lowered_across_index_wrap_breaks_backwards(void)
{
	hq_create(&h, 4, HQ_EVENT_IDX);
	hq_advance(&h, 0xfffe);
	round_trip(4);
	CHECK_EQ(2, READ_ONCE(h.t.vring.used->idx));
	test_dev_set_used_idx(&h.t, 0xffff);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 0xffff, 2);
}

static void used_idx_lowered_by_queue_size_breaks_backwards(void)
{
	hq_create(&h, 256, 0);
	round_trip(256);
	add_popped(256);
	test_dev_set_used_idx(&h.t, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 0, 256);
}

static void used_idx_lowered_on_queue_of_one_breaks_backwards(void)
{
	hq_create(&h, 1, 0);
	round_trip(1);
	round_trip(1);
	add_popped(1);
	test_dev_set_used_idx(&h.t, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(0, h.t.callbacks);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_BACKWARDS, 1, 2);
}

HARNESS_MAIN(TESTS)

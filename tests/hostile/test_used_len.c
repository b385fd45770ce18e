/*
 * test_used_len.c - a device reports a used len larger than the chain's
 * writable bytes. That is no fault (legacy devices do it, note 5 of
 * virtio_ring.c): get_buf returns the token with len clamped to the bytes
 * the driver made writable, counts it, and the queue stays healthy.
 */
#include "hostile.h"

#define TESTS(X)                                                               \
	X(used_len_one_above_writable_is_clamped)                              \
	X(used_len_all_ones_on_indirect_chain_is_clamped)                      \
	X(used_len_of_read_only_chain_is_clamped_to_zero)                      \
	X(used_len_of_read_only_indirect_chain_is_clamped_to_zero)             \
	X(used_len_equal_to_writable_is_not_clamped)                           \
	X(latest_clamp_is_the_one_reported)                                    \
	X(clamp_ignores_writable_bytes_the_device_added_to_its_table)          \
	X(clamps_of_reversed_completions_near_index_wrap)                      \
	X(clamp_on_queue_of_one_keeps_the_queue_working)

TESTS(HARNESS_DECLARE)

static struct hq h;

static void expect_clamps(u64 count, u32 id, u32 len, u32 limit)
{
	struct vring_stats s;

	virtqueue_get_stats(hq_vq(&h), &s);
	CHECK_EQ(count, s.len_clamped);
	CHECK_EQ(id, s.last_clamp_id);
	CHECK_EQ(len, s.last_clamp_len);
	CHECK_EQ(limit, s.last_clamp_limit);
}

/* Adds out + in entries, the device returns them with len; the driver
 * must get len_back. */
static void round_trip(unsigned int out, unsigned int in, u32 len, u32 len_back,
		       u16 *head)
{
	struct test_chain c;
	unsigned int tok = hq_add_pop(&h, out, in, &c);

	test_dev_push(&h.t, c.head, len);
	hq_expect_get(&h, tok, len_back);
	hq_expect_healthy(&h);
	*head = c.head;
}

static void used_len_one_above_writable_is_clamped(void)
{
	u32 w = hq_writable(1, 2);
	u16 head;

	hq_create(&h, 8, 0);
	round_trip(1, 2, w + 1, w, &head);
	expect_clamps(1, head, w + 1, w);
	hq_finish_healthy(&h);
}

static void used_len_all_ones_on_indirect_chain_is_clamped(void)
{
	u32 w = hq_writable(2, 3);
	u16 head;

	hq_create(&h, 256, HQ_INDIRECT | HQ_EVENT_IDX);
	round_trip(2, 3, 0xffffffffu, w, &head);
	expect_clamps(1, head, 0xffffffffu, w);
	hq_finish_healthy(&h);
}

static void used_len_of_read_only_chain_is_clamped_to_zero(void)
{
	u16 head;

	hq_create(&h, 16, 0);
	round_trip(3, 0, 100, 0, &head);
	expect_clamps(1, head, 100, 0);
	hq_finish_healthy(&h);
}

static void used_len_of_read_only_indirect_chain_is_clamped_to_zero(void)
{
	u16 head;

	hq_create(&h, 4, HQ_INDIRECT);
	round_trip(4, 0, 1, 0, &head);
	expect_clamps(1, head, 1, 0);
	hq_finish_healthy(&h);
}

static void used_len_equal_to_writable_is_not_clamped(void)
{
	u16 head;

	hq_create(&h, 8, HQ_INDIRECT);
	round_trip(1, 3, hq_writable(1, 3), hq_writable(1, 3), &head);
	round_trip(0, 1, hq_writable(0, 1), hq_writable(0, 1), &head);
	expect_clamps(0, 0, 0, 0);
	hq_finish_healthy(&h);
}

static void latest_clamp_is_the_one_reported(void)
{
	u16 head;

	hq_create(&h, 8, 0);
	round_trip(0, 2, 1000, hq_writable(0, 2), &head);
	round_trip(0, 1, 5, 5, &head);
	round_trip(2, 1, 77, hq_writable(2, 1), &head);
	expect_clamps(2, head, 77, hq_writable(2, 1));
	hq_finish_healthy(&h);
}

/* The indirect table is the device's to read; what the driver made
 * writable is in its own shadow. */
static void clamp_ignores_writable_bytes_the_device_added_to_its_table(void)
{
	struct test_chain c;
	struct vring_desc *table;
	unsigned int tok, i;
	u32 w = hq_writable(2, 1);

	hq_create(&h, 8, HQ_INDIRECT);
	tok = hq_add_pop(&h, 2, 1, &c);
	CHECK(c.indirect);
	table = phys_to_virt(h.t.vring.desc[c.head].addr);
	CHECK(table != NULL);
	for (i = 0; i < 3; i++) {
		table[i].flags |= VRING_DESC_F_WRITE;
		table[i].len = 0x10000;
	}
	test_dev_push(&h.t, c.head, 3 * 0x10000);
	hq_expect_get(&h, tok, w);
	expect_clamps(1, c.head, 3 * 0x10000, w);
	hq_finish_healthy(&h);
}

static void clamps_of_reversed_completions_near_index_wrap(void)
{
	struct test_chain c[3];
	unsigned int tok[3], i;

	hq_create(&h, 8, HQ_EVENT_IDX);
	hq_advance(&h, 0xffff);
	for (i = 0; i < 3; i++)
		tok[i] = hq_add_pop(&h, 0, i + 1, &c[i]);
	for (i = 3; i-- > 0;) {
		test_dev_push(&h.t, c[i].head, 4096 + i);
		hq_expect_get(&h, tok[i], hq_writable(0, i + 1));
	}
	expect_clamps(3, c[0].head, 4096, hq_writable(0, 1));
	hq_finish_healthy(&h);
}

static void clamp_on_queue_of_one_keeps_the_queue_working(void)
{
	unsigned int i;
	u16 head;

	hq_create(&h, 1, 0);
	for (i = 0; i < 5; i++)
		round_trip(0, 1, HQ_LEN(0) + i, HQ_LEN(0), &head);
	round_trip(0, 1, 3, 3, &head);
	expect_clamps(4, 0, HQ_LEN(0) + 4, HQ_LEN(0));
	hq_finish_healthy(&h);
}

HARNESS_MAIN(TESTS)

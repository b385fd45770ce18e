/*
 * test_rewrite.c - a device writes into ring memory that belongs to the
 * driver: a descriptor of a chain it holds (addr, len, flags or next), an
 * avail ring slot, or avail.idx. The driver notices when the chain comes
 * back (note 4 of virtio_ring.c) and breaks the queue; memory the driver
 * rewrites before use (free descriptors, unused avail slots) is harmless.
 */
#include "hostile.h"

#define TESTS(X)                                                               \
	X(rewritten_addr_of_single_descriptor_breaks_desc_rewritten)           \
	X(rewritten_len_inside_chain_breaks_desc_rewritten)                    \
	X(rewritten_flags_of_last_descriptor_breaks_desc_rewritten)            \
	X(rewritten_next_of_last_descriptor_breaks_desc_rewritten)             \
	X(rewritten_next_of_head_breaks_desc_rewritten)                        \
	X(rewritten_indirect_descriptor_breaks_desc_rewritten)                 \
	X(rewritten_descriptor_deep_in_long_chain_near_wrap_breaks)            \
	X(rewritten_chain_is_caught_when_it_comes_back)                        \
	X(rewritten_free_descriptors_are_harmless)                             \
	X(rewritten_avail_slot_breaks_avail_rewritten)                         \
	X(rewritten_avail_idx_breaks_avail_rewritten)                          \
	X(rewritten_avail_slot_of_indirect_chain_near_wrap_breaks)             \
	X(rewritten_unused_avail_slots_are_harmless)                           \
	X(rewritten_lapped_avail_slot_is_caught_for_its_new_head)

TESTS(HARNESS_DECLARE)

static struct hq h;

/* The device takes a request, lets mutate() scribble on the ring, then
 * returns the request honestly; the driver must refuse it. Returns the
 * index of descriptor k of the chain (direct chains), and its head. */
static u16 rewrite_and_return(unsigned int out, unsigned int in,
			      void (*mutate)(const struct test_chain *c),
			      unsigned int k, u16 *head)
{
	struct test_chain c;
	u16 i;

	hq_add_pop(&h, out, in, &c);
	i = c.indirect ? c.head : hq_desc_at(&h, c.head, k);
	mutate(&c);
	test_dev_push(&h.t, c.head, (u32)c.writable_bytes);
	hq_expect_none(&h);
	*head = c.head;
	return i;
}

static struct vring_desc *dev_desc(u16 i)
{
	return &h.t.vring.desc[i];
}

static void flip_head_addr(const struct test_chain *c)
{
	dev_desc(c->head)->addr ^= 0x1000;
}

static void rewritten_addr_of_single_descriptor_breaks_desc_rewritten(void)
{
	u16 head, i;

	hq_create(&h, 8, 0);
	i = rewrite_and_return(0, 1, flip_head_addr, 0, &head);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, i, head);
}

static void grow_second_len(const struct test_chain *c)
{
	dev_desc(hq_desc_at(&h, c->head, 1))->len += 1;
}

static void rewritten_len_inside_chain_breaks_desc_rewritten(void)
{
	u16 head, i;

	hq_create(&h, 8, 0);
	i = rewrite_and_return(1, 2, grow_second_len, 1, &head);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, i, head);
}

static void make_last_writable(const struct test_chain *c)
{
	dev_desc(hq_desc_at(&h, c->head, c->n - 1))->flags |=
		VRING_DESC_F_WRITE;
}

static void rewritten_flags_of_last_descriptor_breaks_desc_rewritten(void)
{
	u16 head, i;

	hq_create(&h, 16, HQ_EVENT_IDX);
	i = rewrite_and_return(3, 0, make_last_writable, 2, &head);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, i, head);
}

/* next without NEXT means nothing to the device, but it is driver
 * memory all the same. */
static void flip_last_next(const struct test_chain *c)
{
	dev_desc(hq_desc_at(&h, c->head, c->n - 1))->next ^= 1;
}

static void rewritten_next_of_last_descriptor_breaks_desc_rewritten(void)
{
	u16 head, i;

	hq_create(&h, 8, 0);
	i = rewrite_and_return(1, 1, flip_last_next, 1, &head);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, i, head);
}

static void skip_to_last(const struct test_chain *c)
{
	dev_desc(c->head)->next = hq_desc_at(&h, c->head, c->n - 1);
}

static void rewritten_next_of_head_breaks_desc_rewritten(void)
{
	u16 head, i;

	hq_create(&h, 8, 0);
	hq_advance(&h, 3);
	i = rewrite_and_return(2, 2, skip_to_last, 0, &head);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, i, head);
}

static void grow_table_len(const struct test_chain *c)
{
	CHECK(c->indirect);
	dev_desc(c->head)->len += sizeof(struct vring_desc);
}

static void rewritten_indirect_descriptor_breaks_desc_rewritten(void)
{
	struct test_chain c;
	u16 head, i;

	hq_create(&h, 32, HQ_INDIRECT);
	hq_add_pop(&h, 1, 1, &c);
	i = rewrite_and_return(2, 3, grow_table_len, 0, &head);
	CHECK_EQ(head, i);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, head, head);
}

static void rewritten_descriptor_deep_in_long_chain_near_wrap_breaks(void)
{
	struct test_chain a, b;
	unsigned int ta;
	u16 deep;

	hq_create(&h, 256, 0);
	hq_advance(&h, 0xffff);
	ta = hq_add_pop(&h, 0, 1, &a);
	hq_add_pop(&h, 20, 40, &b);
	deep = hq_desc_at(&h, b.head, 37);
	dev_desc(deep)->addr += 64;
	test_dev_push(&h.t, a.head, 0);
	test_dev_push(&h.t, b.head, 0);
	hq_expect_get(&h, ta, 0);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, deep, b.head);
}

/* A's return is clean; B was rewritten while the device held it. */
static void rewritten_chain_is_caught_when_it_comes_back(void)
{
	struct test_chain a, b;
	unsigned int ta;

	hq_create(&h, 8, 0);
	ta = hq_add_pop(&h, 0, 2, &a);
	hq_add_pop(&h, 1, 1, &b);
	dev_desc(b.head)->len = 0;
	test_dev_push(&h.t, a.head, 1);
	hq_expect_get(&h, ta, 1);
	hq_expect_healthy(&h);
	test_dev_push(&h.t, b.head, 1);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_DESC_REWRITTEN, b.head, b.head);
}

/* The driver rewrites a descriptor whole before it uses it. */
static void rewritten_free_descriptors_are_harmless(void)
{
	struct test_chain c;
	unsigned int i, round, tok;

	hq_create(&h, 8, HQ_INDIRECT);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 8; i++)
			memset(dev_desc((u16)i), 0xa5 + round,
			       sizeof(struct vring_desc));
		tok = hq_add_pop(&h, round, 2, &c);
		test_dev_push(&h.t, c.head, 2);
		hq_expect_get(&h, tok, 2);
	}
	hq_finish_healthy(&h);
}

static void rewrite_slot(const struct test_chain *c)
{
	WRITE_ONCE(h.t.vring.avail->ring[0], (u16)(c->head + 5));
}

static void rewritten_avail_slot_breaks_avail_rewritten(void)
{
	u16 head;

	hq_create(&h, 8, 0);
	rewrite_and_return(0, 1, rewrite_slot, 0, &head);
	hq_finish_broken(&h, VRING_FAULT_AVAIL_REWRITTEN, head + 5, head);
}

static void rewrite_avail_idx(const struct test_chain *c)
{
	(void)c;
	WRITE_ONCE(h.t.vring.avail->idx, 7);
}

static void rewritten_avail_idx_breaks_avail_rewritten(void)
{
	u16 head;

	hq_create(&h, 8, HQ_INDIRECT);
	rewrite_and_return(1, 1, rewrite_avail_idx, 0, &head);
	hq_finish_broken(&h, VRING_FAULT_AVAIL_REWRITTEN, 7, 1);
}

static void rewritten_avail_slot_of_indirect_chain_near_wrap_breaks(void)
{
	struct test_chain c[3];
	unsigned int tok[3], i;

	hq_create(&h, 16, HQ_INDIRECT | HQ_EVENT_IDX);
	hq_advance(&h, 0xfffe);
	for (i = 0; i < 3; i++)
		tok[i] = hq_add_pop(&h, 1, 2, &c[i]);
	CHECK_EQ(c[2].head, READ_ONCE(h.t.vring.avail->ring[0]));
	WRITE_ONCE(h.t.vring.avail->ring[0], c[0].head);
	for (i = 0; i < 3; i++)
		test_dev_push(&h.t, c[i].head, 1);
	hq_expect_get(&h, tok[0], 1);
	hq_expect_get(&h, tok[1], 1);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_AVAIL_REWRITTEN, c[0].head, c[2].head);
}

/* Slots past avail.idx are written by the driver before it publishes. */
static void rewritten_unused_avail_slots_are_harmless(void)
{
	struct test_chain c;
	unsigned int i, tok;

	hq_create(&h, 8, 0);
	for (i = 0; i < 20; i++) {
		WRITE_ONCE(h.t.vring.avail->ring[(i + 1) % 8], 0xbeef);
		WRITE_ONCE(h.t.vring.avail->ring[(i + 2) % 8], (u16)i);
		tok = hq_add_pop(&h, 0, 1, &c);
		test_dev_push(&h.t, c.head, 0);
		hq_expect_get(&h, tok, 0);
	}
	hq_finish_healthy(&h);
}

/* B comes back early, so E laps A's slot 0 while A is out (legal); the
 * device then rewrites slot 0. A is intact; E is not. */
static void rewritten_lapped_avail_slot_is_caught_for_its_new_head(void)
{
	struct test_chain c[5];
	unsigned int tok[5], i;

	hq_create(&h, 4, 0);
	for (i = 0; i < 4; i++)
		tok[i] = hq_add_pop(&h, 0, 1, &c[i]);
	test_dev_push(&h.t, c[1].head, 1);
	hq_expect_get(&h, tok[1], 1);
	tok[4] = hq_add_pop(&h, 0, 1, &c[4]);
	CHECK_EQ(c[4].head, READ_ONCE(h.t.vring.avail->ring[0]));
	WRITE_ONCE(h.t.vring.avail->ring[0], c[3].head);
	test_dev_push(&h.t, c[0].head, 1);
	hq_expect_get(&h, tok[0], 1);
	hq_expect_healthy(&h);
	test_dev_push(&h.t, c[4].head, 1);
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_AVAIL_REWRITTEN, c[3].head, c[4].head);
}

HARNESS_MAIN(TESTS)

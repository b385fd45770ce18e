/*
 * test_legal.c - legal is not an attack. Out-of-order completion, spurious
 * interrupts, a device that never completes, any used.flags or avail_event,
 * batched completions and zero lengths must leave the queue healthy, with
 * every token back with the len the device wrote.
 */
#include "hostile.h"

#define TESTS(X)                                                               \
	X(reverse_order_completion_returns_every_token)                        \
	X(random_order_completion_on_large_indirect_queue)                     \
	X(out_of_order_completion_across_avail_ring_wrap_stays_healthy)        \
	X(sustained_out_of_order_completion_on_full_queue_stays_healthy)       \
	X(sustained_out_of_order_indirect_completion_stays_healthy)            \
	X(spurious_interrupts_return_irq_none)                                 \
	X(device_that_never_completes_leaves_the_queue_healthy)                \
	X(any_used_flags_only_decide_the_kick)                                 \
	X(used_flags_are_ignored_with_event_idx)                               \
	X(any_avail_event_only_decides_the_kick)                               \
	X(completions_published_in_one_batch_all_come_back)                    \
	X(zero_len_is_returned_unclamped)                                      \
	X(garbage_in_unpublished_used_entries_is_ignored)

TESTS(HARNESS_DECLARE)

static struct hq h;
static u32 rng_state;

/* xorshift32: a fixed sequence, no rand(), no time. */
static u32 rng_next(void)
{
	u32 x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rng_state = x;
	return x;
}

static u32 rng_below(u32 n)
{
	return rng_next() % n;
}

/* The device takes n requests (1 .. 3 entries, in ≥ 1) into c[], tok[]. */
static void add_popped(struct test_chain *c, unsigned int *tok, unsigned int n)
{
	unsigned int i, out, in;

	for (i = 0; i < n; i++) {
		out = i % 2;
		in = 1 + i % 3;
		tok[i] = hq_add_pop(&h, out, in, &c[i]);
	}
}

static void shuffle(unsigned int *order, unsigned int n)
{
	unsigned int i, j, tmp;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		j = rng_below(i);
		tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
}

static void reverse_order_completion_returns_every_token(void)
{
	struct test_chain c[8];
	unsigned int tok[8], i;

	hq_create(&h, 32, 0);
	add_popped(c, tok, 8);
	for (i = 8; i-- > 0;) {
		test_dev_push(&h.t, c[i].head, (u32)c[i].writable_bytes);
		hq_expect_get(&h, tok[i], (u32)c[i].writable_bytes);
		hq_expect_healthy(&h);
	}
	hq_finish_healthy(&h);
}

static void random_order_completion_on_large_indirect_queue(void)
{
	static struct test_chain c[128];
	unsigned int tok[128], order[128], i, k;
	u32 len[128];

	rng_state = 0x9e3779b9;
	hq_create(&h, 256, HQ_INDIRECT | HQ_EVENT_IDX);
	add_popped(c, tok, 128);
	shuffle(order, 128);
	for (i = 0; i < 128; i++) {
		k = order[i];
		len[k] = rng_below((u32)c[k].writable_bytes + 1);
		test_dev_push(&h.t, c[k].head, len[k]);
	}
	for (i = 0; i < 128; i++)
		hq_expect_get(&h, tok[order[i]], len[order[i]]);
	hq_finish_healthy(&h);
}

/* B comes back first; E then takes avail slot 0, where A's entry was,
 * while A is still out: the driver itself reused the slot. */
static void out_of_order_completion_across_avail_ring_wrap_stays_healthy(void)
{
	struct test_chain c[5];
	unsigned int tok[5], i;

	hq_create(&h, 4, 0);
	for (i = 0; i < 4; i++)
		tok[i] = hq_add_pop(&h, 0, 1, &c[i]);
	test_dev_push(&h.t, c[1].head, 1);
	hq_expect_get(&h, tok[1], 1);
	tok[4] = hq_add_pop(&h, 0, 1, &c[4]);
	test_dev_push(&h.t, c[0].head, 2);
	hq_expect_get(&h, tok[0], 2);
	for (i = 2; i < 5; i++) {
		test_dev_push(&h.t, c[i].head, 3);
		hq_expect_get(&h, tok[i], 3);
	}
	hq_finish_healthy(&h);
}

/* The device holds a full queue and returns a random request each step;
 * the driver refills at once. At the end it returns the rest in a random
 * order. */
static void out_of_order_steps(unsigned int num, unsigned int out,
			       unsigned int in, unsigned int steps)
{
	static struct test_chain c[64];
	unsigned int tok[64], order[64], held, i, step;

	CHECK(num <= 64 && num + steps <= HQ_TOKENS);
	for (held = 0; h.t.vq->num_free >= out + in && held < num; held++)
		tok[held] = hq_add_pop(&h, out, in, &c[held]);
	for (step = 0; step < steps; step++) {
		i = rng_below(held);
		test_dev_push(&h.t, c[i].head, (u32)c[i].writable_bytes);
		hq_expect_get(&h, tok[i], (u32)c[i].writable_bytes);
		tok[i] = hq_add_pop(&h, out, in, &c[i]);
	}
	shuffle(order, held);
	for (i = 0; i < held; i++)
		test_dev_push(&h.t, c[order[i]].head, 0);
	for (i = 0; i < held; i++)
		hq_expect_get(&h, tok[order[i]], 0);
}

static void sustained_out_of_order_completion_on_full_queue_stays_healthy(void)
{
	rng_state = 12345;
	hq_create(&h, 16, HQ_EVENT_IDX);
	out_of_order_steps(16, 0, 1, 1000);
	hq_finish_healthy(&h);
}

static void sustained_out_of_order_indirect_completion_stays_healthy(void)
{
	rng_state = 777;
	hq_create(&h, 8, HQ_INDIRECT);
	out_of_order_steps(8, 1, 2, 1000);
	hq_finish_healthy(&h);
}

static void spurious_interrupts_return_irq_none(void)
{
	struct vring_stats s;
	struct test_chain c;
	unsigned int i, tok;

	hq_create(&h, 8, 0);
	for (i = 0; i < 1000; i++)
		CHECK_EQ(IRQ_NONE, vring_interrupt(0, hq_vq(&h)));
	tok = hq_add_pop(&h, 0, 1, &c);
	for (i = 0; i < 1000; i++)
		CHECK_EQ(IRQ_NONE, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(0, h.t.callbacks);
	test_dev_push(&h.t, c.head, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(1, h.t.callbacks);
	hq_expect_get(&h, tok, 1);
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, hq_vq(&h)));
	virtqueue_get_stats(hq_vq(&h), &s);
	CHECK_EQ(2001, s.spurious);
	CHECK_EQ(1, s.interrupts);
	hq_finish_healthy(&h);
}

static void device_that_never_completes_leaves_the_queue_healthy(void)
{
	unsigned int i;

	hq_create(&h, 16, HQ_INDIRECT);
	for (i = 0; i < 16; i++)
		hq_add(&h, 1, 1 + i % 4);
	CHECK_EQ(-ENOSPC, hq_try_add(&h, 0, 1, &h.spare));
	virtqueue_kick(hq_vq(&h));
	for (i = 0; i < 100; i++) {
		hq_expect_none(&h);
		CHECK_EQ(IRQ_NONE, vring_interrupt(0, hq_vq(&h)));
		CHECK(virtqueue_enable_cb(hq_vq(&h)));
	}
	hq_expect_healthy(&h);
	hq_check_recovered(&h);
	hq_expect_healthy(&h);
	hq_destroy(&h);
}

/* One request per flags value, completed at once: only bit 0 (NO_NOTIFY)
 * may matter, and only to the kick. */
static void kick_once_per_value(bool event_idx_negotiated)
{
	unsigned int v, notifies;
	struct test_chain c;
	bool want;

	for (v = 0; v <= 0xffff; v++) {
		test_dev_set_used_flags(&h.t, (u16)v);
		notifies = h.t.notifies;
		CHECK(hq_try_add(&h, 0, 1, &h.spare) >= 0);
		virtqueue_kick(hq_vq(&h));
		want = event_idx_negotiated ? v == 0 : !(v & 1);
		CHECK_EQ(notifies + want, h.t.notifies);
		CHECK(test_dev_pop(&h.t, &c));
		test_dev_push(&h.t, c.head, 0);
		CHECK_PTR_EQ(&h.spare, virtqueue_get_buf(hq_vq(&h), NULL));
	}
}

static void any_used_flags_only_decide_the_kick(void)
{
	hq_create(&h, 4, 0);
	kick_once_per_value(false);
	hq_finish_healthy(&h);
}

/* avail_event stays 0 from creation: only the first add, which moves
 * avail.idx past it, needs a kick. */
static void used_flags_are_ignored_with_event_idx(void)
{
	hq_create(&h, 2, HQ_EVENT_IDX);
	kick_once_per_value(true);
	hq_finish_healthy(&h);
}

/* Batches of 1 .. 3 requests against every avail_event value, in an order
 * that visits each once while avail.idx wraps more than twice. */
static void any_avail_event_only_decides_the_kick(void)
{
	unsigned int i, b, n, notifies, kicks = 0;
	u16 old_idx, new_idx, ev;
	bool want;

	hq_create(&h, 8, HQ_EVENT_IDX);
	for (i = 0; i <= 0xffff; i++) {
		ev = (u16)(i * 40503u);
		if (i % 5 == 0)
			ev = READ_ONCE(h.t.vring.avail->idx);
		test_dev_set_avail_event(&h.t, ev);
		old_idx = READ_ONCE(h.t.vring.avail->idx);
		b = 1 + i % 3;
		for (n = 0; n < b; n++)
			CHECK(hq_try_add(&h, 0, 1, &h.spare) >= 0);
		new_idx = (u16)(old_idx + b);
		want = (u16)(new_idx - ev - 1) < (u16)(new_idx - old_idx);
		notifies = h.t.notifies;
		virtqueue_kick(hq_vq(&h));
		CHECK_EQ(notifies + want, h.t.notifies);
		kicks += want;
		CHECK_EQ(b, test_dev_complete_all(&h.t));
		for (n = 0; n < b; n++)
			CHECK_PTR_EQ(&h.spare,
				     virtqueue_get_buf(hq_vq(&h), NULL));
	}
	CHECK(kicks >= 0x10000 / 5);
	hq_finish_healthy(&h);
}

static void completions_published_in_one_batch_all_come_back(void)
{
	static struct test_chain c[40];
	unsigned int tok[40], order[40], i;

	rng_state = 4242;
	hq_create(&h, 128, 0);
	hq_advance(&h, 0xfff0);
	add_popped(c, tok, 40);
	shuffle(order, 40);
	for (i = 0; i < 40; i++)
		test_dev_write_used_elem(&h.t, (u16)(0xfff0 + i),
					 c[order[i]].head, i);
	test_dev_set_used_idx(&h.t, (u16)(0xfff0 + 40));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, hq_vq(&h)));
	CHECK_EQ(1, h.t.callbacks);
	for (i = 0; i < 40; i++)
		hq_expect_get(&h, tok[order[i]],
			      i < c[order[i]].writable_bytes
				      ? i
				      : (u32)c[order[i]].writable_bytes);
	hq_finish_healthy(&h);
}

static void zero_len_is_returned_unclamped(void)
{
	struct vring_stats s;
	struct test_chain c;
	unsigned int tok;

	hq_create(&h, 8, HQ_INDIRECT);
	tok = hq_add_pop(&h, 0, 1, &c);
	test_dev_push(&h.t, c.head, 0);
	hq_expect_get(&h, tok, 0);
	tok = hq_add_pop(&h, 2, 3, &c);
	test_dev_push(&h.t, c.head, 0);
	hq_expect_get(&h, tok, 0);
	tok = hq_add_pop(&h, 1, 0, &c);
	test_dev_push(&h.t, c.head, 0);
	hq_expect_get(&h, tok, 0);
	virtqueue_get_stats(hq_vq(&h), &s);
	CHECK_EQ(0, s.len_clamped);
	hq_finish_healthy(&h);
}

/* Entries past used.idx are the device's scratch space. */
static void garbage_in_unpublished_used_entries_is_ignored(void)
{
	struct test_chain c;
	unsigned int i, tok;

	hq_create(&h, 4, 0);
	for (i = 0; i < 10; i++) {
		test_dev_write_used_elem(&h.t, (u16)(i + 1), 0xffffffffu,
					 0xffffffffu);
		test_dev_write_used_elem(&h.t, (u16)(i + 2), 3, 0);
		tok = hq_add_pop(&h, 0, 1, &c);
		hq_expect_none(&h);
		CHECK_EQ(IRQ_NONE, vring_interrupt(0, hq_vq(&h)));
		test_dev_push(&h.t, c.head, 1);
		hq_expect_get(&h, tok, 1);
	}
	hq_finish_healthy(&h);
}

HARNESS_MAIN(TESTS)

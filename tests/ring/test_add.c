/*
 * test_add.c - virtqueue_add_buf and friends: returned capacity, the chains
 * the device sees, -ENOSPC (and its notification), misuse (-EINVAL with one
 * WARN), a broken queue (-EIO) and the kick after 65535 adds.
 */
#include "ring_test.h"

#define TESTS(X)                                                               \
	X(add_returns_remaining_capacity_for_chains_of_1_to_5)                 \
	X(add_capacity_matches_num_free_and_outstanding)                       \
	X(add_publishes_avail_idx_and_ring_entry)                              \
	X(add_buf_chain_is_readable_then_writable)                             \
	X(add_outbuf_makes_all_readable_chain)                                 \
	X(add_inbuf_makes_all_writable_chain)                                  \
	X(add_buf_ignores_end_markers_inside_the_array)                        \
	X(add_sgs_two_out_lists_one_in_list_in_order)                          \
	X(add_sgs_follows_chained_scatterlist)                                 \
	X(add_enospc_without_readable_parts_sends_no_notify)                   \
	X(add_enospc_with_readable_parts_notifies_once)                        \
	X(add_enospc_notifies_even_under_no_notify)                            \
	X(add_enospc_changes_nothing)                                          \
	X(add_enospc_when_chain_longer_than_free_descriptors)                  \
	X(add_null_token_is_einval_with_one_warn)                              \
	X(add_zero_entries_is_einval_with_one_warn)                            \
	X(add_null_scatterlist_is_einval_with_one_warn)                        \
	X(add_more_entries_than_ring_is_einval_with_one_warn)                  \
	X(add_sgs_without_lists_is_einval_with_one_warn)                       \
	X(add_sgs_null_list_is_einval_with_one_warn)                           \
	X(add_sgs_more_entries_than_ring_is_einval_with_one_warn)              \
	X(add_buffer_outside_guest_memory_is_einval)                           \
	X(add_bad_buffer_mid_chain_leaves_ring_unchanged)                      \
	X(add_on_broken_queue_is_eio)                                          \
	X(add_kicks_by_itself_after_65535_adds_without_kick)
TESTS(HARNESS_DECLARE)

static char tokens[64];

/* The state the device and the driver can observe, to compare before and
 * after a refused add. */
struct rt_snapshot {
	unsigned int num_free, outstanding, notifies;
	u16 avail_idx, pending;
	u64 added;
	size_t live_blocks;
};

static void snapshot(struct test_vq *t, struct rt_snapshot *s)
{
	struct vring_stats st;

	virtqueue_get_stats(t->vq, &st);
	s->num_free = t->vq->num_free;
	s->outstanding = virtqueue_outstanding(t->vq);
	s->notifies = t->notifies;
	s->avail_idx = rt_dev_avail_idx(t);
	s->pending = test_dev_avail_pending(t);
	s->added = st.added;
	s->live_blocks = rt_live_blocks();
}

static void check_unchanged(struct test_vq *t, const struct rt_snapshot *s)
{
	struct rt_snapshot now;

	snapshot(t, &now);
	CHECK_EQ(s->num_free, now.num_free);
	CHECK_EQ(s->outstanding, now.outstanding);
	CHECK_EQ(s->notifies, now.notifies);
	CHECK_EQ(s->avail_idx, now.avail_idx);
	CHECK_EQ(s->added, now.added);
	CHECK_EQ(s->live_blocks, now.live_blocks);
	CHECK_EQ(s->pending, now.pending);
	CHECK_INVARIANTS(t->vq);
}

static void add_returns_remaining_capacity_for_chains_of_1_to_5(void)
{
	static const int expected[] = { 15, 13, 10, 6, 1 };
	struct test_vq t;
	char *area;
	unsigned int k;

	test_vq_create(&t, 16, 0, true);
	area = rt_area();
	for (k = 1; k <= 5; k++)
		CHECK_EQ(expected[k - 1],
			 rt_add(&t, area, k / 2, k - k / 2, &tokens[k]));
	rt_finish(&t);
}

static void add_capacity_matches_num_free_and_outstanding(void)
{
	struct test_vq t;
	char *area;
	unsigned int k;
	int ret;

	test_vq_create(&t, 16, 0, true);
	area = rt_area();
	CHECK_EQ(16, t.vq->num_free);
	CHECK_EQ(0, virtqueue_outstanding(t.vq));
	for (k = 1; k <= 5; k++) {
		ret = rt_add(&t, area, k, 0, &tokens[k]);
		CHECK_EQ(ret, t.vq->num_free);
		CHECK_EQ(k, virtqueue_outstanding(t.vq));
	}
	CHECK_EQ(1, t.vq->num_free);
	rt_finish(&t);
}

static void add_publishes_avail_idx_and_ring_entry(void)
{
	struct test_vq t;
	struct test_chain c;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	CHECK_EQ(6, rt_add(&t, area, 1, 1, &tokens[0]));
	CHECK_EQ(1, rt_dev_avail_idx(&t));
	CHECK_EQ(5, rt_add(&t, area, 1, 0, &tokens[1]));
	CHECK_EQ(2, rt_dev_avail_idx(&t));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(t.vring.avail->ring[0], c.head);
	CHECK_EQ(2, c.n);
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(t.vring.avail->ring[1], c.head);
	CHECK_EQ(1, c.n);
	CHECK(!test_dev_pop(&t, &c));
	/* add_buf publishes; kicking is a separate step. */
	CHECK_EQ(0, t.notifies);
	rt_finish(&t);
}

static void add_buf_chain_is_readable_then_writable(void)
{
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	CHECK_EQ(3, rt_add(&t, area, 2, 3, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	CHECK(!c.indirect);
	CHECK_EQ(5, c.n);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(virt_to_phys(area + RT_SLICE * i), c.addr[i]);
		CHECK_EQ(RT_LEN(i), c.len[i]);
		CHECK_EQ(i >= 2, c.writable[i]);
	}
	CHECK_EQ(RT_LEN(0) + RT_LEN(1), c.readable_bytes);
	CHECK_EQ(rt_writable(2, 3), c.writable_bytes);
	rt_finish(&t);
}

static void add_outbuf_makes_all_readable_chain(void)
{
	struct scatterlist sg[3];
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	rt_sg(sg, area, 3);
	CHECK_EQ(5, virtqueue_add_outbuf(t.vq, sg, 3, &tokens[0], GFP_ATOMIC));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(3, c.n);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(virt_to_phys(area + RT_SLICE * i), c.addr[i]);
		CHECK_EQ(0, c.writable[i]);
	}
	CHECK_EQ(0, c.writable_bytes);
	rt_finish(&t);
}

static void add_inbuf_makes_all_writable_chain(void)
{
	struct scatterlist sg[3];
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	rt_sg(sg, area, 3);
	CHECK_EQ(5, virtqueue_add_inbuf(t.vq, sg, 3, &tokens[0], GFP_ATOMIC));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(3, c.n);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(virt_to_phys(area + RT_SLICE * i), c.addr[i]);
		CHECK_EQ(1, c.writable[i]);
	}
	CHECK_EQ(0, c.readable_bytes);
	CHECK_EQ(rt_writable(0, 3), c.writable_bytes);
	rt_finish(&t);
}

/* Linux 3.7's add_buf steps through sg[] by index, not by sg_next. */
static void add_buf_ignores_end_markers_inside_the_array(void)
{
	struct scatterlist sg[3];
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	for (i = 0; i < 3; i++)
		sg_init_one(&sg[i], area + RT_SLICE * i, RT_LEN(i));
	CHECK_EQ(5, virtqueue_add_buf(t.vq, sg, 1, 2, &tokens[0], GFP_ATOMIC));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(3, c.n);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(virt_to_phys(area + RT_SLICE * i), c.addr[i]);
		CHECK_EQ(RT_LEN(i), c.len[i]);
	}
	rt_finish(&t);
}

static void add_sgs_two_out_lists_one_in_list_in_order(void)
{
	struct scatterlist hdr, data[2], status[2];
	struct scatterlist *sgs[] = { &hdr, data, status };
	static const unsigned int len[] = { 16, 512, 100, 1, 7 };
	static const bool writable[] = { 0, 0, 0, 1, 1 };
	char *buf[5];
	struct test_vq t;
	struct test_chain c;
	unsigned int i;

	test_vq_create(&t, 8, 0, true);
	for (i = 0; i < 5; i++)
		buf[i] = test_buf(len[i]);
	sg_init_one(&hdr, buf[0], len[0]);
	sg_init_table(data, 2);
	sg_set_buf(&data[0], buf[1], len[1]);
	sg_set_buf(&data[1], buf[2], len[2]);
	sg_init_table(status, 2);
	sg_set_buf(&status[0], buf[3], len[3]);
	sg_set_buf(&status[1], buf[4], len[4]);
	CHECK_EQ(3, virtqueue_add_sgs(t.vq, sgs, 2, 1, &tokens[0], GFP_ATOMIC));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(5, c.n);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(virt_to_phys(buf[i]), c.addr[i]);
		CHECK_EQ(len[i], c.len[i]);
		CHECK_EQ(writable[i], c.writable[i]);
	}
	rt_finish(&t);
}

static void add_sgs_follows_chained_scatterlist(void)
{
	struct scatterlist first[3], second[2];
	struct scatterlist *sgs[] = { first };
	struct test_vq t;
	struct test_chain c;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	/* first[2] becomes the link to second: entries 0, 1, then 2, 3. */
	rt_sg(first, area, 3);
	sg_init_table(second, 2);
	sg_set_buf(&second[0], area + RT_SLICE * 2, RT_LEN(2));
	sg_set_buf(&second[1], area + RT_SLICE * 3, RT_LEN(3));
	sg_chain(first, 3, second);
	CHECK_EQ(4, virtqueue_add_sgs(t.vq, sgs, 1, 0, &tokens[0], GFP_ATOMIC));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(4, c.n);
	CHECK_EQ(virt_to_phys(area), c.addr[0]);
	CHECK_EQ(virt_to_phys(area + RT_SLICE * 3), c.addr[3]);
	CHECK_EQ(RT_LEN(0) + RT_LEN(1) + RT_LEN(2) + RT_LEN(3),
		 c.readable_bytes);
	rt_finish(&t);
}

/* Fills a ring of 4 with 1-entry writable buffers. */
static void fill4(struct test_vq *t, char *area)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		CHECK_EQ(3 - (int)i, rt_add(t, area, 0, 1, &tokens[i]));
}

static void add_enospc_without_readable_parts_sends_no_notify(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	fill4(&t, area);
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 0, 1, &tokens[10]));
	CHECK_EQ(0, t.notifies);
	rt_finish(&t);
}

static void add_enospc_with_readable_parts_notifies_once(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	fill4(&t, area);
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 1, 1, &tokens[10]));
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

static void add_enospc_notifies_even_under_no_notify(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	test_dev_set_used_flags(&t, VRING_USED_F_NO_NOTIFY);
	fill4(&t, area);
	virtqueue_kick(t.vq);
	CHECK_EQ(0, t.notifies);
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 1, 0, &tokens[10]));
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

static void add_enospc_changes_nothing(void)
{
	struct rt_snapshot before;
	struct test_vq t;
	struct vring_stats st;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	fill4(&t, area);
	CHECK_EQ(4, test_dev_complete_all(&t));
	snapshot(&t, &before);
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 0, 2, &tokens[10]));
	check_unchanged(&t, &before);
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(1, st.enospc);
	/* The four buffers still come back, in order. */
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(3, test_drain(t.vq));
	CHECK_EQ(4, t.vq->num_free);
	rt_finish(&t);
}

static void add_enospc_when_chain_longer_than_free_descriptors(void)
{
	struct rt_snapshot before;
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	CHECK_EQ(3, rt_add(&t, area, 2, 3, &tokens[0]));
	snapshot(&t, &before);
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 0, 4, &tokens[1]));
	check_unchanged(&t, &before);
	CHECK_EQ(0, rt_add(&t, area, 1, 2, &tokens[2]));
	rt_finish(&t);
}

static void add_null_token_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL, rt_add(&t, area, 1, 1, NULL));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	CHECK_EQ(8, t.vq->num_free);
	rt_finish(&t);
}

static void add_zero_entries_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct scatterlist sg[1];
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	sg_init_one(sg, rt_area(), 8);
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_buf(t.vq, sg, 0, 0, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	rt_finish(&t);
}

static void add_null_scatterlist_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_buf(t.vq, NULL, 1, 0, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	rt_finish(&t);
}

static void add_more_entries_than_ring_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL, rt_add(&t, area, 2, 3, &tokens[0]));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	/* The whole ring in one chain is fine. */
	CHECK_EQ(0, rt_add(&t, area, 2, 2, &tokens[1]));
	rt_finish(&t);
}

static void add_sgs_without_lists_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct scatterlist sg[1];
	struct scatterlist *sgs[] = { sg };
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	sg_init_one(sg, rt_area(), 8);
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_sgs(t.vq, sgs, 0, 0, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	rt_finish(&t);
}

static void add_sgs_null_list_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct scatterlist sg[1];
	struct scatterlist *sgs[] = { sg, NULL };
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	sg_init_one(sg, rt_area(), 8);
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_sgs(t.vq, sgs, 1, 1, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	rt_finish(&t);
}

static void add_sgs_more_entries_than_ring_is_einval_with_one_warn(void)
{
	struct rt_snapshot before;
	struct scatterlist out[3], in[2];
	struct scatterlist *sgs[] = { out, in };
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	rt_sg(out, area, 3);
	rt_sg(in, area + RT_SLICE * 3, 2);
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_sgs(t.vq, sgs, 1, 1, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	/* Shorter lists of the same kind fit. */
	rt_sg(in, area + RT_SLICE * 3, 1);
	CHECK_EQ(0, virtqueue_add_sgs(t.vq, sgs, 1, 1, &tokens[1], GFP_ATOMIC));
	rt_finish(&t);
}

/* The harness arena is not identity mapped: a stack buffer has no
 * guest-physical address (virt_to_phys WARNs once) and no device could
 * reach it. */
static void add_buffer_outside_guest_memory_is_einval(void)
{
	struct rt_snapshot before;
	struct scatterlist sg[1];
	char stack_buf[32];
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	sg_init_one(sg, stack_buf, sizeof(stack_buf));
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_buf(t.vq, sg, 1, 0, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	rt_finish(&t);
}

static void add_bad_buffer_mid_chain_leaves_ring_unchanged(void)
{
	struct rt_snapshot before;
	struct scatterlist sg[3];
	char stack_buf[32];
	struct test_vq t;
	struct test_chain c;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	rt_sg(sg, area, 3);
	sg_set_buf(&sg[1], stack_buf, sizeof(stack_buf));
	snapshot(&t, &before);
	CHECK_EQ(-EINVAL,
		 virtqueue_add_buf(t.vq, sg, 1, 2, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	check_unchanged(&t, &before);
	/* Every descriptor is still usable: the whole ring in one chain. */
	CHECK_EQ(0, rt_add(&t, area, 1, 3, &tokens[1]));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(4, c.n);
	CHECK_EQ(virt_to_phys(area + RT_SLICE), c.addr[1]);
	rt_finish(&t);
}

static void add_on_broken_queue_is_eio(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	CHECK_EQ(7, rt_add(&t, area, 1, 0, &tokens[0]));
	virtqueue_break(t.vq);
	CHECK_EQ(-EIO, rt_add(&t, area, 1, 0, &tokens[1]));
	CHECK_EQ(7, t.vq->num_free);
	CHECK_EQ(1, virtqueue_outstanding(t.vq));
	CHECK_EQ(1, rt_dev_avail_idx(&t));
	CHECK_EQ(0, t.notifies);
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

/* Adds, completes and takes back one buffer without kicking. */
static void add_cycle(struct test_vq *t, char *area)
{
	CHECK_EQ(1, rt_add(t, area, 1, 0, &tokens[0]));
	CHECK_EQ(1, test_dev_complete_all(t));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t->vq, NULL));
}

static void add_kicks_by_itself_after_65535_adds_without_kick(void)
{
	struct test_vq t;
	char *area;
	unsigned int i;

	test_vq_create(&t, 2, 0, true);
	area = rt_area();
	for (i = 0; i < 65534; i++)
		add_cycle(&t, area);
	CHECK_EQ(0, t.notifies);
	add_cycle(&t, area);
	CHECK_EQ(1, t.notifies);
	/* The batch started afresh: 65535 more adds before the next one. */
	for (i = 0; i < 65534; i++)
		add_cycle(&t, area);
	CHECK_EQ(1, t.notifies);
	add_cycle(&t, area);
	CHECK_EQ(2, t.notifies);
	rt_finish(&t);
}

HARNESS_MAIN(TESTS)

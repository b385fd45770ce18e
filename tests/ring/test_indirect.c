/*
 * test_indirect.c - VIRTIO_RING_F_INDIRECT_DESC: one ring descriptor per
 * multi-entry request, the table the device sees, the fallback to direct
 * descriptors when the table cannot be allocated, and no leaked tables.
 */
#include "ring_test.h"

#include <stdlib.h>

#define TESTS(X)                                                               \
	X(indirect_request_of_4_takes_one_descriptor)                          \
	X(indirect_head_descriptor_points_at_table)                            \
	X(indirect_table_entries_readable_then_writable)                       \
	X(indirect_single_entry_request_stays_direct)                          \
	X(indirect_fallback_to_direct_when_table_alloc_fails)                  \
	X(indirect_fallback_without_room_is_enospc)                            \
	X(indirect_full_ring_is_enospc)                                        \
	X(indirect_stats_count_indirect_adds)                                  \
	X(indirect_table_freed_by_get_buf)                                     \
	X(indirect_bad_buffer_is_einval_and_frees_table)                       \
	X(indirect_request_longer_than_ring_uses_one_descriptor)               \
	X(longer_than_ring_without_table_is_enomem)                            \
	X(longer_than_ring_without_indirect_is_einval)                         \
	X(add_sgs_longer_than_ring_goes_indirect)                              \
	X(add_sgs_longer_than_any_table_is_einval)                             \
	X(indirect_ring_holds_num_requests_of_4)
TESTS(HARNESS_DECLARE)

static char tokens[64];

/* Alloc-fail hook: refuses as many allocations as *ctx says. */
static bool refuse_next(void *ctx, size_t size, gfp_t flags)
{
	unsigned int *left = ctx;

	(void)size;
	(void)flags;
	if (!*left)
		return false;
	(*left)--;
	return true;
}

static void indirect_request_of_4_takes_one_descriptor(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	CHECK_EQ(7, rt_add(&t, area, 2, 2, &tokens[0]));
	CHECK_EQ(7, t.vq->num_free);
	CHECK_EQ(6, rt_add(&t, area, 1, 3, &tokens[1]));
	CHECK_EQ(2, virtqueue_outstanding(t.vq));
	rt_finish(&t);
}

static void indirect_head_descriptor_points_at_table(void)
{
	const struct vring_desc *d;
	struct test_vq t;
	struct test_chain c;
	char *area;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	CHECK_EQ(7, rt_add(&t, area, 2, 2, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	CHECK(c.indirect);
	d = &t.vring.desc[c.head];
	CHECK_EQ(VRING_DESC_F_INDIRECT, d->flags);
	CHECK_EQ(4 * sizeof(struct vring_desc), d->len);
	CHECK(shim_guest_range_ok(d->addr, d->len));
	rt_finish(&t);
}

static void indirect_table_entries_readable_then_writable(void)
{
	static const u16 flags[] = { VRING_DESC_F_NEXT, VRING_DESC_F_NEXT,
				     VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
				     VRING_DESC_F_WRITE };
	const struct vring_desc *table;
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	CHECK_EQ(7, rt_add(&t, area, 2, 2, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	CHECK_EQ(4, c.n);
	table = shim_guest_ptr(t.vring.desc[c.head].addr,
			       4 * sizeof(struct vring_desc));
	CHECK(table != NULL);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(virt_to_phys(area + RT_SLICE * i), table[i].addr);
		CHECK_EQ(RT_LEN(i), table[i].len);
		CHECK_EQ(flags[i], table[i].flags);
		if (i < 3)
			CHECK_EQ(i + 1, table[i].next);
		CHECK_EQ(i >= 2, c.writable[i]);
	}
	CHECK_EQ(rt_writable(2, 2), c.writable_bytes);
	rt_finish(&t);
}

static void indirect_single_entry_request_stays_direct(void)
{
	size_t live;
	struct test_vq t;
	struct test_chain c;
	char *area;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	live = rt_live_blocks();
	CHECK_EQ(7, rt_add(&t, area, 0, 1, &tokens[0]));
	CHECK_EQ(live, rt_live_blocks()); /* no table allocated */
	CHECK(test_dev_pop(&t, &c));
	CHECK(!c.indirect);
	CHECK_EQ(VRING_DESC_F_WRITE, t.vring.desc[c.head].flags);
	CHECK_EQ(virt_to_phys(area), t.vring.desc[c.head].addr);
	CHECK_EQ(RT_LEN(0), t.vring.desc[c.head].len);
	rt_finish(&t);
}

static void indirect_fallback_to_direct_when_table_alloc_fails(void)
{
	unsigned int refuse = 1;
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	shim_set_alloc_fail_hook(refuse_next, &refuse);
	CHECK_EQ(5, rt_add(&t, area, 1, 2, &tokens[0]));
	shim_set_alloc_fail_hook(NULL, NULL);
	CHECK_EQ(0, refuse);
	CHECK_EQ(1, rt_stat_fallbacks(t.vq));
	CHECK(test_dev_pop(&t, &c));
	CHECK(!c.indirect);
	CHECK_EQ(3, c.n);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(virt_to_phys(area + RT_SLICE * i), c.addr[i]);
		CHECK_EQ(i >= 1, c.writable[i]);
	}
	/* The next request gets its table again. */
	CHECK_EQ(4, rt_add(&t, area, 1, 2, &tokens[1]));
	CHECK_EQ(1, rt_stat_fallbacks(t.vq));
	rt_finish(&t);
}

static void indirect_fallback_without_room_is_enospc(void)
{
	unsigned int refuse = 1, i;
	struct vring_stats st;
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, RT_INDIRECT, true);
	area = rt_area();
	for (i = 0; i < 2; i++)
		CHECK_EQ(3 - (int)i, rt_add(&t, area, 0, 1, &tokens[i]));
	shim_set_alloc_fail_hook(refuse_next, &refuse);
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 0, 3, &tokens[2]));
	shim_set_alloc_fail_hook(NULL, NULL);
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(1, st.indirect_fallback);
	CHECK_EQ(1, st.enospc);
	CHECK_EQ(2, t.vq->num_free);
	CHECK_EQ(2, virtqueue_outstanding(t.vq));
	CHECK_EQ(2, rt_dev_avail_idx(&t));
	rt_finish(&t);
}

static void indirect_full_ring_is_enospc(void)
{
	struct test_vq t;
	size_t live;
	char *area;
	unsigned int i;

	test_vq_create(&t, 4, RT_INDIRECT, true);
	area = rt_area();
	for (i = 0; i < 4; i++)
		CHECK_EQ(3 - (int)i, rt_add(&t, area, 1, 2, &tokens[i]));
	live = rt_live_blocks();
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 1, 2, &tokens[4]));
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 0, 1, &tokens[5]));
	CHECK_EQ(live, rt_live_blocks());
	CHECK_EQ(0, t.vq->num_free);
	CHECK_EQ(4, rt_dev_avail_idx(&t));
	CHECK_EQ(0, rt_stat_fallbacks(t.vq));
	CHECK_EQ(1, t.notifies); /* the request with readable parts */
	rt_finish(&t);
}

static void indirect_stats_count_indirect_adds(void)
{
	struct vring_stats st;
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	CHECK_EQ(7, rt_add(&t, area, 2, 2, &tokens[0]));
	CHECK_EQ(6, rt_add(&t, area, 1, 0, &tokens[1]));
	CHECK_EQ(5, rt_add(&t, area, 0, 2, &tokens[2]));
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(3, st.added);
	CHECK_EQ(2, st.indirect);
	CHECK_EQ(0, st.indirect_fallback);
	rt_finish(&t);
}

static void indirect_table_freed_by_get_buf(void)
{
	struct test_vq t;
	unsigned int len;
	size_t live;
	char *area;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	live = rt_live_blocks();
	CHECK_EQ(7, rt_add(&t, area, 2, 2, &tokens[0]));
	CHECK_EQ(live + 1, rt_live_blocks());
	CHECK_EQ(1, test_dev_complete_all(&t));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(rt_writable(2, 2), len);
	CHECK_EQ(live, rt_live_blocks());
	CHECK_EQ(8, t.vq->num_free);
	rt_finish(&t);
}

static void indirect_bad_buffer_is_einval_and_frees_table(void)
{
	struct scatterlist sg[3];
	char stack_buf[16];
	struct test_vq t;
	size_t live;
	char *area;

	test_vq_create(&t, 8, RT_INDIRECT, true);
	area = rt_area();
	rt_sg(sg, area, 3);
	sg_set_buf(&sg[2], stack_buf, sizeof(stack_buf));
	live = rt_live_blocks();
	CHECK_EQ(-EINVAL,
		 virtqueue_add_buf(t.vq, sg, 1, 2, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	CHECK_EQ(live, rt_live_blocks());
	CHECK_EQ(8, t.vq->num_free);
	CHECK_EQ(0, virtqueue_outstanding(t.vq));
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	CHECK_EQ(0, rt_stat_fallbacks(t.vq));
	rt_finish(&t);
}

/* A chain may not be longer than the queue size, indirect or not. */
static void indirect_request_longer_than_ring_uses_one_descriptor(void)
{
	struct test_vq t;
	struct test_chain c;
	char *area;

	/* Linux 3.7 tries an indirect table before its size check, and a
	 * device bounds an indirect chain by the table's own length. */
	test_vq_create(&t, 4, RT_INDIRECT, true);
	area = rt_area();
	CHECK_EQ(3, rt_add(&t, area, 2, 3, &tokens[0]));
	CHECK(test_dev_pop(&t, &c));
	CHECK(c.indirect);
	CHECK_EQ(5, c.n);
	test_dev_push(&t, c.head, (u32)c.writable_bytes);
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	rt_finish(&t);
}

static void longer_than_ring_without_table_is_enomem(void)
{
	unsigned int refuse = 1;
	struct test_vq t;
	size_t live;
	char *area;

	test_vq_create(&t, 4, RT_INDIRECT, true);
	area = rt_area();
	live = rt_live_blocks();
	shim_set_alloc_fail_hook(refuse_next, &refuse);
	/* The table the caller allowed failed; no direct chain fits. */
	CHECK_EQ(-ENOMEM, rt_add(&t, area, 2, 3, &tokens[0]));
	shim_set_alloc_fail_hook(NULL, NULL);
	CHECK_EQ(live, rt_live_blocks());
	CHECK_EQ(4, t.vq->num_free);
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	rt_finish(&t);
}

static void longer_than_ring_without_indirect_is_einval(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 4, 0, true);
	area = rt_area();
	CHECK_EQ(-EINVAL, rt_add(&t, area, 2, 3, &tokens[0]));
	EXPECT_WARNS(1);
	CHECK_EQ(4, t.vq->num_free);
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	rt_finish(&t);
}

/* A list longer than the ring, through add_sgs: every entry, in its own
 * direction, in one table (a fuzzer found the counts capped at the ring
 * size here). */
static void add_sgs_longer_than_ring_goes_indirect(void)
{
	struct scatterlist out[3], in[2];
	struct scatterlist *sgs[] = { out, in };
	struct test_vq t;
	struct test_chain c;
	char *area;
	unsigned int i;

	test_vq_create(&t, 2, RT_INDIRECT, true);
	area = rt_area();
	rt_sg(out, area, 3);
	rt_sg(in, area + RT_SLICE * 3, 2);
	CHECK_EQ(1, virtqueue_add_sgs(t.vq, sgs, 1, 1, &tokens[0], GFP_ATOMIC));
	CHECK(test_dev_pop(&t, &c));
	CHECK(c.indirect);
	CHECK_EQ(5, c.n);
	for (i = 0; i < 5; i++)
		CHECK_EQ(i >= 3, c.writable[i]);
	CHECK_EQ(in[0].length + in[1].length, c.writable_bytes);
	test_dev_push(&t, c.head, (u32)c.writable_bytes);
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	rt_finish(&t);
}

static void add_sgs_longer_than_any_table_is_einval(void)
{
	unsigned int n = VRING_MAX_SIZE + 1;
	struct scatterlist *list = calloc(n, sizeof(*list));
	struct scatterlist *sgs[1];
	struct test_vq t;
	char *area;

	CHECK(list != NULL);
	test_vq_create(&t, 4, RT_INDIRECT, true);
	area = rt_area();
	sg_init_table(list, n);
	for (unsigned int i = 0; i < n; i++)
		sg_set_buf(&list[i], area, 1);
	sgs[0] = list;
	CHECK_EQ(-EINVAL,
		 virtqueue_add_sgs(t.vq, sgs, 1, 0, &tokens[0], GFP_ATOMIC));
	EXPECT_WARNS(1);
	CHECK_EQ(4, t.vq->num_free);
	rt_finish(&t);
	free(list);
}

static void indirect_ring_holds_num_requests_of_4(void)
{
	struct test_vq t;
	struct test_chain c;
	size_t live;
	char *area;
	unsigned int i;

	test_vq_create(&t, 16, RT_INDIRECT, true);
	area = rt_area();
	live = rt_live_blocks();
	for (i = 0; i < 16; i++)
		CHECK_EQ(15 - (int)i, rt_add(&t, area, 2, 2, &tokens[i]));
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 2, 2, &tokens[16]));
	for (i = 0; i < 16; i++) {
		CHECK(test_dev_pop(&t, &c));
		CHECK(c.indirect);
		test_dev_push(&t, c.head, 3);
	}
	for (i = 0; i < 16; i++)
		CHECK_PTR_EQ(&tokens[i], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(live, rt_live_blocks());
	CHECK_EQ(16, t.vq->num_free);
	rt_finish(&t);
}

HARNESS_MAIN(TESTS)

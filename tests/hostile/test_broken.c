/*
 * test_broken.c - what a broken queue keeps and does: the first fault with
 * the driver's state at that moment, whatever the device or the transport
 * does next; no buffers in or out, no callbacks, no kicks; every token
 * back through detach_unused_buf. virtio_break_device breaks every queue
 * of a device.
 */
#include "hostile.h"

#include <linux/gfp.h>

#define TESTS(X)                                                               \
	X(healthy_queue_reports_no_fault)                                      \
	X(first_fault_is_kept_over_later_violations)                           \
	X(first_fault_is_kept_when_the_transport_breaks_the_device)            \
	X(fault_records_the_driver_state_when_it_broke)                        \
	X(broken_queue_refuses_every_add_variant)                              \
	X(broken_queue_returns_no_entry_the_device_published_before)           \
	X(broken_queue_ignores_callback_requests)                              \
	X(break_device_breaks_both_of_its_queues)                              \
	X(break_device_keeps_a_queue_s_own_fault)                              \
	X(every_fault_has_a_distinct_name)

TESTS(HARNESS_DECLARE)

static struct hq h;

static void healthy_queue_reports_no_fault(void)
{
	const struct vring_fault_info *f;

	hq_create(&h, 8, 0);
	f = virtqueue_fault(hq_vq(&h));
	CHECK_EQ(VRING_FAULT_NONE, f->fault);
	CHECK_EQ(0, f->value);
	CHECK_EQ(0, f->expected);
	CHECK(!virtqueue_is_broken(hq_vq(&h)));
	hq_finish_healthy(&h);
}

/* After the used id 8 (RANGE) the device tries everything else. */
static void first_fault_is_kept_over_later_violations(void)
{
	struct test_chain a, b;

	hq_create(&h, 8, HQ_EVENT_IDX);
	hq_add_pop(&h, 0, 1, &a);
	hq_add_pop(&h, 1, 1, &b);
	test_dev_push(&h.t, 8, 0);
	hq_expect_none(&h);
	hq_expect_fault(&h, VRING_FAULT_USED_ID_RANGE, 8, 8);
	test_dev_push(&h.t, 3, 0);
	h.t.vring.desc[b.head].len ^= 1;
	WRITE_ONCE(h.t.vring.avail->idx, 100);
	hq_check_dead(&h);
	test_dev_set_used_idx(&h.t, 0x7000);
	CHECK(virtqueue_enable_cb(hq_vq(&h)));
	CHECK(virtqueue_enable_cb_delayed(hq_vq(&h)));
	virtqueue_disable_cb(hq_vq(&h));
	hq_check_dead(&h);
	test_dev_set_used_idx(&h.t, 0);
	virtqueue_break(hq_vq(&h));
	hq_finish_broken(&h, VRING_FAULT_USED_ID_RANGE, 8, 8);
}

static void first_fault_is_kept_when_the_transport_breaks_the_device(void)
{
	struct test_chain a, b;
	u32 free_id = 0;

	hq_create(&h, 4, 0);
	hq_add_pop(&h, 0, 1, &a);
	hq_add_pop(&h, 0, 1, &b);
	while (free_id == a.head || free_id == b.head)
		free_id++;
	test_dev_push(&h.t, free_id, 0);
	hq_expect_none(&h);
	virtio_break_device(&h.t.vdev);
	hq_finish_broken(&h, VRING_FAULT_USED_ID_NOT_HEAD, free_id, free_id);
}

static void fault_records_the_driver_state_when_it_broke(void)
{
	const struct vring_fault_info *f;
	struct test_chain first, c;
	unsigned int tok, i;

	hq_create(&h, 8, 0);
	hq_advance(&h, 0xfffe);
	tok = hq_add_pop(&h, 0, 1, &first);
	for (i = 0; i < 3; i++)
		hq_add_pop(&h, 0, 1, &c);
	test_dev_push(&h.t, first.head, 9);
	hq_expect_get(&h, tok, 9);
	test_dev_set_used_idx(&h.t, 0x1234);
	hq_expect_none(&h);
	f = virtqueue_fault(hq_vq(&h));
	CHECK_EQ(0xffff, f->last_used_idx);
	CHECK_EQ(2, f->avail_idx);
	CHECK_EQ(3, f->outstanding);
	hq_finish_broken(&h, VRING_FAULT_USED_IDX_AHEAD, 0x1234, 2);
}

static void broken_queue_refuses_every_add_variant(void)
{
	struct scatterlist sg[2], *sgs[2];
	struct virtqueue *vq;

	hq_create(&h, 8, HQ_INDIRECT);
	vq = hq_vq(&h);
	virtqueue_break(vq);
	sg_init_one(&sg[0], h.area, 8);
	sg_init_one(&sg[1], h.area + 64, 8);
	sgs[0] = &sg[0];
	sgs[1] = &sg[1];
	CHECK_EQ(-EIO, virtqueue_add_buf(vq, sg, 1, 1, &h.spare, GFP_ATOMIC));
	CHECK_EQ(-EIO, virtqueue_add_outbuf(vq, sg, 1, &h.spare, GFP_ATOMIC));
	CHECK_EQ(-EIO, virtqueue_add_inbuf(vq, sg, 1, &h.spare, GFP_ATOMIC));
	CHECK_EQ(-EIO, virtqueue_add_sgs(vq, sgs, 1, 1, &h.spare, GFP_ATOMIC));
	CHECK_EQ(0, READ_ONCE(h.t.vring.avail->idx));
	CHECK_EQ(8, vq->num_free);
	hq_finish_broken(&h, VRING_FAULT_DEVICE_BROKEN, 0, 0);
}

/* Two valid entries are waiting, but the queue no longer trusts them:
 * both tokens come back through detach instead. */
static void broken_queue_returns_no_entry_the_device_published_before(void)
{
	hq_create(&h, 8, 0);
	hq_add(&h, 0, 1);
	hq_add(&h, 1, 2);
	CHECK_EQ(2, hq_complete_all(&h));
	virtqueue_break(hq_vq(&h));
	hq_expect_none(&h);
	hq_finish_broken(&h, VRING_FAULT_DEVICE_BROKEN, 0, 0);
	CHECK_EQ(HQ_DETACHED, h.state[0]);
	CHECK_EQ(HQ_DETACHED, h.state[1]);
}

static void broken_queue_ignores_callback_requests(void)
{
	hq_create(&h, 8, HQ_EVENT_IDX);
	hq_add(&h, 0, 1);
	CHECK_EQ(1, hq_complete_all(&h));
	virtqueue_break(hq_vq(&h));
	virtqueue_disable_cb(hq_vq(&h));
	CHECK(virtqueue_enable_cb(hq_vq(&h)));
	CHECK(virtqueue_enable_cb_delayed(hq_vq(&h)));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, hq_vq(&h))); /* note 3 */
	CHECK_EQ(0, h.t.callbacks);
	hq_finish_broken(&h, VRING_FAULT_DEVICE_BROKEN, 0, 0);
}

/* --- a device with two queues, made by hand ---------------------------- */

struct two_queues {
	struct virtio_device vdev;
	void *pages[2];
	struct virtqueue *vq[2];
	unsigned int notifies, callbacks;
	char tokens[2][4];
};

static struct two_queues tq;

static void tq_notify(struct virtqueue *vq)
{
	(void)vq;
	tq.notifies++;
}

static void tq_callback(struct virtqueue *vq)
{
	(void)vq;
	tq.callbacks++;
}

static void tq_create(void)
{
	static const unsigned int num[2] = { 4, 64 };
	static const char *const names[2] = { "rx", "tx" };
	unsigned int q;

	memset(&tq, 0, sizeof(tq));
	INIT_LIST_HEAD(&tq.vdev.vqs);
	for (q = 0; q < 2; q++) {
		tq.pages[q] = alloc_pages_exact(vring_size(num[q], TEST_ALIGN),
						GFP_KERNEL | __GFP_ZERO);
		CHECK(tq.pages[q] != NULL);
		tq.vq[q] = vring_new_virtqueue(q, num[q], TEST_ALIGN, &tq.vdev,
					       true, tq.pages[q], tq_notify,
					       tq_callback, names[q]);
		CHECK(tq.vq[q] != NULL);
	}
}

/* Adds n requests of one writable entry to queue q. */
static void tq_add(unsigned int q, unsigned int n, char *buf)
{
	struct scatterlist sg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		sg_init_one(&sg, buf, 16);
		CHECK(virtqueue_add_inbuf(tq.vq[q], &sg, 1, &tq.tokens[q][i],
					  GFP_ATOMIC) >= 0);
	}
}

/* Queue q is dead and gives back exactly its n tokens. */
static void tq_check_dead(unsigned int q, unsigned int n, char *buf)
{
	struct virtqueue *vq = tq.vq[q];
	bool seen[4] = { false, false, false, false };
	struct scatterlist sg;
	unsigned int i, len;
	char *tok;

	sg_init_one(&sg, buf, 16);
	CHECK_EQ(-EIO, virtqueue_add_inbuf(vq, &sg, 1, buf, GFP_ATOMIC));
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(vq, &len));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, vq)); /* not its own */
	virtqueue_kick(vq);
	for (i = 0; i <= n; i++) {
		tok = virtqueue_detach_unused_buf(vq);
		if (!tok)
			break;
		CHECK(tok >= tq.tokens[q] && tok < tq.tokens[q] + n);
		CHECK(!seen[tok - tq.tokens[q]]);
		seen[tok - tq.tokens[q]] = true;
	}
	CHECK_EQ(n, i);
	CHECK_EQ(virtqueue_get_vring_size(vq), vq->num_free);
	HQ_CHECK_INVARIANTS(vq);
}

static void tq_destroy(void)
{
	static const unsigned int num[2] = { 4, 64 };
	unsigned int q;

	for (q = 0; q < 2; q++) {
		vring_del_virtqueue(tq.vq[q]);
		free_pages_exact(tq.pages[q], vring_size(num[q], TEST_ALIGN));
	}
	CHECK(list_empty(&tq.vdev.vqs));
}

static void expect_fault(struct virtqueue *vq, enum vring_fault fault,
			 u32 value, u32 expected)
{
	const struct vring_fault_info *f = virtqueue_fault(vq);

	CHECK(virtqueue_is_broken(vq));
	CHECK_EQ(fault, f->fault);
	CHECK_EQ(value, f->value);
	CHECK_EQ(expected, f->expected);
}

static void break_device_breaks_both_of_its_queues(void)
{
	char *buf = test_buf(16);

	tq_create();
	tq_add(0, 3, buf);
	tq_add(1, 4, buf);
	virtio_break_device(&tq.vdev);
	expect_fault(tq.vq[0], VRING_FAULT_DEVICE_BROKEN, 0, 0);
	expect_fault(tq.vq[1], VRING_FAULT_DEVICE_BROKEN, 0, 0);
	tq_check_dead(0, 3, buf);
	tq_check_dead(1, 4, buf);
	CHECK_EQ(0, tq.notifies);
	CHECK_EQ(0, tq.callbacks);
	expect_fault(tq.vq[0], VRING_FAULT_DEVICE_BROKEN, 0, 0);
	expect_fault(tq.vq[1], VRING_FAULT_DEVICE_BROKEN, 0, 0);
	tq_destroy();
	kfree(buf);
}

/* Queue 1's device moved used.idx with nothing outstanding before the
 * transport gave up. */
static void break_device_keeps_a_queue_s_own_fault(void)
{
	char *buf = test_buf(16);
	struct vring vr;

	tq_create();
	tq_add(0, 2, buf);
	vring_init(&vr, 64, tq.pages[1], TEST_ALIGN);
	WRITE_ONCE(vr.used->idx, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, tq.vq[1]));
	expect_fault(tq.vq[1], VRING_FAULT_USED_IDX_AHEAD, 1, 0);
	CHECK(!virtqueue_is_broken(tq.vq[0]));
	virtio_break_device(&tq.vdev);
	expect_fault(tq.vq[0], VRING_FAULT_DEVICE_BROKEN, 0, 0);
	expect_fault(tq.vq[1], VRING_FAULT_USED_IDX_AHEAD, 1, 0);
	tq_check_dead(0, 2, buf);
	tq_check_dead(1, 0, buf);
	CHECK_EQ(0, tq.callbacks);
	tq_destroy();
	kfree(buf);
}

static void every_fault_has_a_distinct_name(void)
{
	unsigned int i, j;

	for (i = 0; i < VRING_FAULT_COUNT; i++) {
		CHECK(vring_fault_name((enum vring_fault)i) != NULL);
		CHECK(strcmp(vring_fault_name((enum vring_fault)i),
			     "unknown") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(vring_fault_name((enum vring_fault)i),
				     vring_fault_name((enum vring_fault)j)) !=
			      0);
	}
	CHECK(strcmp(vring_fault_name(VRING_FAULT_COUNT), "unknown") == 0);
}

HARNESS_MAIN(TESTS)

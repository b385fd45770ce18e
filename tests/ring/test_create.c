/*
 * test_create.c - the layout helpers (vring_size, vring_init,
 * vring_need_event), vring_new_virtqueue's size checks and queue fields,
 * and vring_transport_features.
 */
#include "ring_test.h"

#include <linux/list.h>
#include <linux/virtio_config.h>

#define TESTS(X)                                                               \
	X(vring_size_256_align_4096_is_10246)                                  \
	X(vring_size_known_values)                                             \
	X(vring_size_matches_formula_for_every_power_of_two)                   \
	X(vring_init_places_rings_per_layout)                                  \
	X(vring_init_event_fields_follow_the_rings)                            \
	X(vring_need_event_truth_table)                                        \
	X(vring_need_event_across_wrap)                                        \
	X(new_virtqueue_rejects_invalid_sizes_without_warn)                    \
	X(new_virtqueue_accepts_every_power_of_two_and_fills_it)               \
	X(new_virtqueue_sets_queue_fields)                                     \
	X(new_virtqueue_links_queue_into_device_list)                          \
	X(get_vring_size_returns_queue_size)                                   \
	X(get_queue_index_returns_index)                                       \
	X(transport_features_keeps_ring_and_version_bits)                      \
	X(transport_features_clears_other_transport_bits)                      \
	X(transport_features_keeps_bits_outside_transport_range)
TESTS(HARNESS_DECLARE)

static char tokens[VRING_MAX_SIZE];

/* What the layout in linux/virtio_ring.h says, computed independently. */
static unsigned long formula_size(unsigned long num, unsigned long align)
{
	unsigned long head = 16 * num + 2 * (3 + num);

	return (head + align - 1) / align * align + 2 * 3 + 8 * num;
}

static void noop_notify(struct virtqueue *vq)
{
	(void)vq;
}

static void noop_callback(struct virtqueue *vq)
{
	(void)vq;
}

/* Log hook: counts warnings (level 4) and worse. */
static void count_warnings(void *ctx, int level, const char *text)
{
	unsigned int *n = ctx;

	(void)text;
	if (level <= 4)
		(*n)++;
}

static void vring_size_256_align_4096_is_10246(void)
{
	CHECK_EQ(10246, vring_size(256, 4096));
}

static void vring_size_known_values(void)
{
	CHECK_EQ(4110, vring_size(1, 4096));
	CHECK_EQ(4134, vring_size(4, 4096));
	CHECK_EQ(5126, vring_size(128, 4096));
	CHECK_EQ(28678, vring_size(1024, 4096));
	CHECK_EQ(856070, vring_size(32768, 4096));
	CHECK_EQ(6726, vring_size(256, 64));
	CHECK_EQ(4 * 16 + 14 + 6 + 32, vring_size(4, 2));
}

static void vring_size_matches_formula_for_every_power_of_two(void)
{
	static const unsigned long aligns[] = { 2, 64, 4096, 65536 };
	unsigned long num, a;

	for (a = 0; a < ARRAY_SIZE(aligns); a++)
		for (num = 1; num <= VRING_MAX_SIZE; num *= 2)
			CHECK_EQ(formula_size(num, aligns[a]),
				 vring_size((unsigned int)num, aligns[a]));
}

static void vring_init_places_rings_per_layout(void)
{
	struct vring vr;
	char *p = alloc_pages_exact(vring_size(256, 4096), GFP_KERNEL);

	CHECK(p != NULL);
	vring_init(&vr, 256, p, 4096);
	CHECK_EQ(256, vr.num);
	CHECK_PTR_EQ(p, vr.desc);
	CHECK_PTR_EQ(p + 4096, vr.avail);
	CHECK_PTR_EQ(p + 8192, vr.used);
	vring_init(&vr, 4, p, 64);
	CHECK_PTR_EQ(p + 64, vr.avail);
	CHECK_PTR_EQ(p + 128, vr.used);
	free_pages_exact(p, vring_size(256, 4096));
}

static void vring_init_event_fields_follow_the_rings(void)
{
	struct vring vr;
	char *p = alloc_pages_exact(vring_size(256, 4096), GFP_KERNEL);

	CHECK(p != NULL);
	vring_init(&vr, 256, p, 4096);
	CHECK_PTR_EQ(p + 4096 + 4 + 2 * 256, &vring_used_event(&vr));
	CHECK_PTR_EQ(p + 8192 + 4 + 8 * 256, &vring_avail_event(&vr));
	/* avail_event is the ring's last field. */
	CHECK_EQ(vring_size(256, 4096),
		 (char *)&vring_avail_event(&vr) + 2 - p);
	free_pages_exact(p, vring_size(256, 4096));
}

struct need_case {
	u16 event, new_idx, old;
	int expect;
};

static void check_need_cases(const struct need_case *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		CHECK_EQ(c[i].expect,
			 vring_need_event(c[i].event, c[i].new_idx, c[i].old));
}

static void vring_need_event_truth_table(void)
{
	static const struct need_case cases[] = {
		{ 0, 1, 0, 1 },	      { 0, 0, 0, 0 },	    { 1, 1, 0, 0 },
		{ 4, 10, 5, 0 },      { 5, 10, 5, 1 },	    { 7, 10, 5, 1 },
		{ 9, 10, 5, 1 },      { 10, 10, 5, 0 },	    { 11, 10, 5, 0 },
		{ 3, 10, 10, 0 },     { 100, 356, 100, 1 }, { 99, 356, 100, 0 },
		{ 355, 356, 100, 1 }, { 356, 356, 100, 0 },
	};

	check_need_cases(cases, ARRAY_SIZE(cases));
}

static void vring_need_event_across_wrap(void)
{
	static const struct need_case cases[] = {
		{ 65533, 1, 65534, 0 },	    { 65534, 1, 65534, 1 },
		{ 65535, 1, 65534, 1 },	    { 0, 1, 65534, 1 },
		{ 1, 1, 65534, 0 },	    { 2, 1, 65534, 0 },
		{ 65535, 0, 65535, 1 },	    { 0, 0, 65535, 0 },
		{ 65535, 3, 0, 0 },	    { 0, 65533, 65530, 0 },
		{ 65532, 65533, 65530, 1 }, { 65535, 65535, 0, 0 },
		{ 65534, 65535, 0, 1 },
	};

	check_need_cases(cases, ARRAY_SIZE(cases));
}

static void new_virtqueue_rejects_invalid_sizes_without_warn(void)
{
	static const unsigned int bad[] = { 0, 3, 6, 100, 32769, 49152, 65536 };
	struct virtio_device vdev;
	size_t bytes = vring_size(65536, 4096);
	void *pages = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);
	unsigned int i, logged = 0;
	struct virtqueue *vq;

	CHECK(pages != NULL);
	memset(&vdev, 0, sizeof(vdev));
	INIT_LIST_HEAD(&vdev.vqs);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		shim_set_log_hook(count_warnings, &logged);
		vq = vring_new_virtqueue(0, bad[i], 4096, &vdev, true, pages,
					 noop_notify, noop_callback, "bad");
		shim_set_log_hook(NULL, NULL);
		CHECK_PTR_EQ(NULL, vq);
		CHECK_EQ(i + 1, logged); /* logged, as the device's fault */
	}
	CHECK(list_empty(&vdev.vqs));
	EXPECT_WARNS(0);
	free_pages_exact(pages, bytes);
}

/* Fills a fresh ring of num 1-entry buffers, completes and drains it. */
static void fill_complete_drain(unsigned int num)
{
	struct test_vq t;
	unsigned int i;
	char *area;

	test_vq_create(&t, num, 0, true);
	area = rt_area();
	CHECK_EQ(num, virtqueue_get_vring_size(t.vq));
	for (i = 0; i < num; i++)
		CHECK_EQ(num - 1 - i, rt_add(&t, area, 0, 1, &tokens[i]));
	CHECK_EQ(-ENOSPC, rt_add(&t, area, 0, 1, &tokens[0]));
	CHECK_EQ(num, test_dev_complete_all(&t));
	for (i = 0; i < num; i++)
		CHECK_PTR_EQ(&tokens[i], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(num, t.vq->num_free);
	CHECK_INVARIANTS(t.vq);
	CHECK_PTR_EQ(NULL, virtqueue_detach_unused_buf(t.vq));
	rt_finish(&t);
}

static void new_virtqueue_accepts_every_power_of_two_and_fills_it(void)
{
	unsigned int num;

	for (num = 1; num <= VRING_MAX_SIZE; num *= 2)
		fill_complete_drain(num);
}

static void new_virtqueue_sets_queue_fields(void)
{
	struct test_vq t;

	test_vq_create(&t, 64, 0, true);
	CHECK_PTR_EQ(&t.vdev, t.vq->vdev);
	CHECK_EQ(64, t.vq->num_free);
	CHECK_EQ(0, strcmp("test", t.vq->name));
	CHECK(t.vq->callback != NULL);
	CHECK_EQ(0, virtqueue_outstanding(t.vq));
	CHECK_EQ(0, rt_dev_avail_idx(&t));
	CHECK(!virtqueue_is_broken(t.vq));
	CHECK_EQ(VRING_FAULT_NONE, virtqueue_fault(t.vq)->fault);
	rt_finish(&t);
}

static void new_virtqueue_links_queue_into_device_list(void)
{
	struct virtio_device vdev;
	struct virtqueue *a, *b;
	size_t bytes = vring_size(8, 4096);
	void *pa = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);
	void *pb = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);

	memset(&vdev, 0, sizeof(vdev));
	INIT_LIST_HEAD(&vdev.vqs);
	a = vring_new_virtqueue(0, 8, 4096, &vdev, true, pa, noop_notify, NULL,
				"a");
	b = vring_new_virtqueue(1, 8, 4096, &vdev, true, pb, noop_notify, NULL,
				"b");
	CHECK(a != NULL && b != NULL);
	CHECK_PTR_EQ(&a->list, vdev.vqs.next);
	CHECK_PTR_EQ(&b->list, a->list.next);
	CHECK_PTR_EQ(&vdev.vqs, b->list.next);
	vring_del_virtqueue(a);
	CHECK_PTR_EQ(&b->list, vdev.vqs.next);
	vring_del_virtqueue(b);
	CHECK(list_empty(&vdev.vqs));
	free_pages_exact(pa, bytes);
	free_pages_exact(pb, bytes);
}

static void get_vring_size_returns_queue_size(void)
{
	static const unsigned int sizes[] = { 1, 2, 256, 32768 };
	struct test_vq t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		test_vq_create(&t, sizes[i], 0, true);
		CHECK_EQ(sizes[i], virtqueue_get_vring_size(t.vq));
		rt_finish(&t);
	}
}

static void get_queue_index_returns_index(void)
{
	struct virtio_device vdev;
	struct virtqueue *vq;
	size_t bytes = vring_size(16, 4096);
	void *pages = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);

	memset(&vdev, 0, sizeof(vdev));
	INIT_LIST_HEAD(&vdev.vqs);
	vq = vring_new_virtqueue(7, 16, 4096, &vdev, true, pages, noop_notify,
				 noop_callback, "seven");
	CHECK(vq != NULL);
	CHECK_EQ(7, virtqueue_get_queue_index(vq));
	CHECK_EQ(7, vq->index);
	CHECK_EQ(16, virtqueue_get_vring_size(vq));
	CHECK_INVARIANTS(vq);
	vring_del_virtqueue(vq);
	free_pages_exact(pages, bytes);
}

static void set_all_features(struct virtio_device *vdev)
{
	unsigned int bit;

	memset(vdev, 0, sizeof(*vdev));
	for (bit = 0; bit < VIRTIO_FEATURES_MAX; bit++)
		set_bit(bit, vdev->features);
}

static void transport_features_keeps_ring_and_version_bits(void)
{
	struct virtio_device vdev;

	set_all_features(&vdev);
	vring_transport_features(&vdev);
	CHECK(test_bit(VIRTIO_RING_F_INDIRECT_DESC, vdev.features));
	CHECK(test_bit(VIRTIO_RING_F_EVENT_IDX, vdev.features));
	CHECK(test_bit(VIRTIO_F_VERSION_1, vdev.features));
}

static void transport_features_clears_other_transport_bits(void)
{
	struct virtio_device vdev;
	unsigned int bit;

	set_all_features(&vdev);
	vring_transport_features(&vdev);
	for (bit = VIRTIO_TRANSPORT_F_START; bit < VIRTIO_TRANSPORT_F_END;
	     bit++) {
		bool kept = bit == 28 || bit == 29 || bit == 32;

		CHECK_EQ(kept, test_bit(bit, vdev.features));
	}
}

/* Device-type bits (0..23), the bits below the range the ring owns
 * (NOTIFY_ON_EMPTY 24, ANY_LAYOUT 27) and those above it stay. */
static void transport_features_keeps_bits_outside_transport_range(void)
{
	struct virtio_device vdev;
	unsigned int bit;

	set_all_features(&vdev);
	vring_transport_features(&vdev);
	for (bit = 0; bit < VIRTIO_TRANSPORT_F_START; bit++)
		CHECK(test_bit(bit, vdev.features));
	for (bit = VIRTIO_TRANSPORT_F_END; bit < VIRTIO_FEATURES_MAX; bit++)
		CHECK(test_bit(bit, vdev.features));
	/* and a sparse set is left exactly as it was */
	memset(&vdev, 0, sizeof(vdev));
	set_bit(0, vdev.features);
	set_bit(5, vdev.features);
	set_bit(VIRTIO_F_NOTIFY_ON_EMPTY, vdev.features);
	vring_transport_features(&vdev);
	CHECK_EQ((1ul << 0) | (1ul << 5) | (1ul << VIRTIO_F_NOTIFY_ON_EMPTY),
		 vdev.features[0]);
}

HARNESS_MAIN(TESTS)

/*
 * test_sim_transport.c - the simulated transport (model/sim_transport.c)
 * under the production registry and ring, with an "echo" device model
 * written here (it completes every available chain with len = its
 * writable bytes) and a small driver registered with
 * register_virtio_driver.
 *
 * The registry is global and outlives a test, the arena does not: every
 * test starts with begin(), which unregisters whatever a failed test left
 * (forgetting its queues, whose memory went with the old arena).
 */
#include "harness.h"

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <sim_transport.h>
#include <string.h>

#define ECHO_CONFIG_BYTES 8
#define ECHO_LOG 32
#define TDRV_MAX_VQS 4

/* --- the echo device model --------------------------------------------- */

struct echo_dev {
	struct simt_transport *t;
	u16 qsize[SIMT_MAX_QUEUES];
	u16 last_avail[SIMT_MAX_QUEUES];
	u16 used_idx[SIMT_MAX_QUEUES];
	u8 config[ECHO_CONFIG_BYTES];
	bool refuse_features;
	bool lie_no_features_ok; /* status reads back without FEATURES_OK */
	u64 accepted;		 /* what accept_features saw */
	u8 log[ECHO_LOG];	 /* status writes, 0 for each reset */
	unsigned int log_len;
	unsigned int notifies[SIMT_MAX_QUEUES];
	unsigned int completed;
};

static void echo_log(struct echo_dev *ed, u8 v)
{
	if (ed->log_len < ECHO_LOG)
		ed->log[ed->log_len] = v;
	ed->log_len++;
}

static bool echo_accept(void *ctx, u64 features)
{
	struct echo_dev *ed = ctx;

	ed->accepted = features;
	return !ed->refuse_features;
}

static void echo_config_read(void *ctx, unsigned int offset, void *buf,
			     unsigned int len)
{
	struct echo_dev *ed = ctx;

	CHECK(offset + len <= ECHO_CONFIG_BYTES);
	memcpy(buf, ed->config + offset, len);
}

static void echo_config_write(void *ctx, unsigned int offset, const void *buf,
			      unsigned int len)
{
	struct echo_dev *ed = ctx;

	CHECK(offset + len <= ECHO_CONFIG_BYTES);
	memcpy(ed->config + offset, buf, len);
}

static u16 echo_queue_size(void *ctx, unsigned int index)
{
	struct echo_dev *ed = ctx;

	return index < SIMT_MAX_QUEUES ? ed->qsize[index] : 0;
}

/* Bytes the device may write into the chain at head (direct chains). */
static u32 echo_writable(const struct vring *vr, u16 head)
{
	u32 bytes = 0;
	unsigned int n;
	u16 i = head;

	for (n = 0; n < vr->num; n++) {
		const struct vring_desc *d = &vr->desc[i];

		CHECK(!(d->flags & VRING_DESC_F_INDIRECT));
		if (d->flags & VRING_DESC_F_WRITE)
			bytes += d->len;
		if (!(d->flags & VRING_DESC_F_NEXT))
			return bytes;
		i = d->next;
		CHECK(i < vr->num);
	}
	CHECK(!"chain longer than the ring");
	return 0;
}

/* The device acts on queue q: every available chain becomes used. */
static void echo_act(struct echo_dev *ed, unsigned int q)
{
	struct vring *vr = simt_vring(ed->t, q);
	unsigned int n;

	CHECK(vr != NULL);
	for (n = 0; n < vr->num; n++) {
		u16 head, slot;

		if (READ_ONCE(vr->avail->idx) == ed->last_avail[q])
			return;
		smp_rmb();
		head = READ_ONCE(vr->avail->ring[ed->last_avail[q] % vr->num]);
		CHECK(head < vr->num);
		ed->last_avail[q]++;
		slot = (u16)(ed->used_idx[q] % vr->num);
		WRITE_ONCE(vr->used->ring[slot].id, head);
		WRITE_ONCE(vr->used->ring[slot].len, echo_writable(vr, head));
		smp_wmb();
		ed->used_idx[q]++;
		WRITE_ONCE(vr->used->idx, ed->used_idx[q]);
		ed->completed++;
	}
}

static void echo_notify(void *ctx, unsigned int queue)
{
	struct echo_dev *ed = ctx;

	ed->notifies[queue]++;
	echo_act(ed, queue);
}

static void echo_reset(void *ctx)
{
	struct echo_dev *ed = ctx;

	echo_log(ed, 0);
	memset(ed->last_avail, 0, sizeof(ed->last_avail));
	memset(ed->used_idx, 0, sizeof(ed->used_idx));
}

static void echo_status_written(void *ctx, u8 status)
{
	echo_log(ctx, status);
}

static u8 echo_status_read(void *ctx, u8 stored)
{
	struct echo_dev *ed = ctx;

	if (ed->lie_no_features_ok)
		return (u8)(stored & ~VIRTIO_CONFIG_S_FEATURES_OK);
	return stored;
}

#define ECHO_FEATURES ((1ULL << 0) | (1ULL << 5) | (1ULL << 50))

static const struct ringside_dm_ops echo_ops = {
	.device_id = VIRTIO_ID_RNG,
	.vendor_id = 0x1af4,
	.features = ECHO_FEATURES,
	.config_size = ECHO_CONFIG_BYTES,
	.accept_features = echo_accept,
	.config_read = echo_config_read,
	.config_write = echo_config_write,
	.queue_size = echo_queue_size,
	.notify = echo_notify,
	.reset = echo_reset,
	.status_written = echo_status_written,
	.status_read = echo_status_read,
};

/* --- the driver --------------------------------------------------------- */

struct tdrv {
	struct virtio_driver drv;
	unsigned int nvqs; /* queues probe asks for: 1 = find_single_vq */
	struct virtqueue *vqs[TDRV_MAX_VQS];
	int find_err; /* what find_vqs returned */
	unsigned int probes, removes, callbacks, config_changes;
	void *last_token;
	unsigned int last_len;
	unsigned int tokens_back;
	unsigned int detached;
	bool forget_del_vqs; /* remove leaves its queues */
	bool registered;
};

static struct tdrv g_drv;
static struct simt_transport g_t;
static struct echo_dev g_ed;

static void tdrv_callback(struct virtqueue *vq)
{
	void *token;
	unsigned int len, n;

	g_drv.callbacks++;
	for (n = 0; n <= virtqueue_get_vring_size(vq); n++) {
		token = virtqueue_get_buf(vq, &len);
		if (!token)
			return;
		g_drv.last_token = token;
		g_drv.last_len = len;
		g_drv.tokens_back++;
	}
	CHECK(!"get_buf returned more than the ring holds");
}

static int tdrv_probe(struct virtio_device *vdev)
{
	vq_callback_t *cbs[TDRV_MAX_VQS] = { tdrv_callback, tdrv_callback,
					     tdrv_callback, tdrv_callback };
	const char *names[TDRV_MAX_VQS] = { "q0", "q1", "q2", "q3" };
	struct virtqueue *vq;

	g_drv.probes++;
	CHECK(g_drv.nvqs <= TDRV_MAX_VQS);
	if (g_drv.nvqs == 1) {
		vq = virtio_find_single_vq(vdev, tdrv_callback, "q0");
		g_drv.find_err = IS_ERR(vq) ? (int)PTR_ERR(vq) : 0;
		if (!g_drv.find_err)
			g_drv.vqs[0] = vq;
	} else {
		g_drv.find_err = vdev->config->find_vqs(vdev, g_drv.nvqs,
							g_drv.vqs, cbs, names);
	}
	if (g_drv.find_err)
		memset(g_drv.vqs, 0, sizeof(g_drv.vqs));
	return g_drv.find_err;
}

static void tdrv_remove(struct virtio_device *vdev)
{
	unsigned int i;

	g_drv.removes++;
	vdev->config->reset(vdev);
	for (i = 0; i < TDRV_MAX_VQS; i++)
		while (g_drv.vqs[i] &&
		       virtqueue_detach_unused_buf(g_drv.vqs[i]))
			g_drv.detached++;
	if (!g_drv.forget_del_vqs)
		vdev->config->del_vqs(vdev);
	memset(g_drv.vqs, 0, sizeof(g_drv.vqs));
}

static void tdrv_config_changed(struct virtio_device *vdev)
{
	(void)vdev;
	g_drv.config_changes++;
}

static const struct virtio_device_id tdrv_ids[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int tdrv_features[] = { 0, 50 };

/* --- per test ----------------------------------------------------------- */

static size_t live_blocks(void)
{
	struct shim_arena_stats stats;

	shim_arena_get_stats(&stats);
	return stats.live_blocks;
}

/* Leftovers of a failed test lived in the old arena: forget, never free. */
static void begin(unsigned int nvqs)
{
	unsigned int i;

	if (device_is_registered(&g_t.vdev.dev)) {
		memset(g_drv.vqs, 0, sizeof(g_drv.vqs));
		g_t.nvqs = 0;
		INIT_LIST_HEAD(&g_t.vdev.vqs);
		unregister_virtio_device(&g_t.vdev);
	}
	if (g_drv.registered)
		unregister_virtio_driver(&g_drv.drv);
	memset(&g_drv, 0, sizeof(g_drv));
	g_drv.drv.driver.name = "simt-test";
	g_drv.drv.id_table = tdrv_ids;
	g_drv.drv.feature_table = tdrv_features;
	g_drv.drv.feature_table_size = 2;
	g_drv.drv.probe = tdrv_probe;
	g_drv.drv.remove = tdrv_remove;
	g_drv.drv.config_changed = tdrv_config_changed;
	g_drv.nvqs = nvqs;
	memset(&g_ed, 0, sizeof(g_ed));
	g_ed.t = &g_t;
	for (i = 0; i < SIMT_MAX_QUEUES; i++)
		g_ed.qsize[i] = 16;
	CHECK_EQ(0, register_virtio_driver(&g_drv.drv));
	g_drv.registered = true;
}

static void end(void)
{
	unregister_virtio_driver(&g_drv.drv);
	g_drv.registered = false;
	CHECK(!device_is_registered(&g_t.vdev.dev));
	CHECK_EQ(0, live_blocks());
}

static void start_device(enum simt_mode mode)
{
	CHECK_EQ(0, simt_init(&g_t, &echo_ops, &g_ed, mode));
	CHECK_EQ(0, register_virtio_device(&g_t.vdev));
}

static void check_log_at(int line, const u8 *expected, unsigned int n)
{
	char detail[160];
	unsigned int i;
	size_t used = 0;

	for (i = 0; i < g_ed.log_len && i < ECHO_LOG; i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used,
					 "%s0x%x", i ? "," : "log {",
					 g_ed.log[i]);
	snprintf(detail + used, sizeof(detail) - used, "}");
	if (g_ed.log_len != n || memcmp(g_ed.log, expected, n) != 0)
		harness_fail(__FILE__, line, "status log", detail);
}
#define CHECK_LOG(...)                                                         \
	check_log_at(__LINE__, (const u8[]){ __VA_ARGS__ },                    \
		     sizeof((const u8[]){ __VA_ARGS__ }))

/* --- tests -------------------------------------------------------------- */

#define TESTS(X)                                                               \
	X(legacy_probe_reaches_driver_ok)                                      \
	X(modern_probe_reaches_driver_ok)                                      \
	X(modern_refused_features_fail_probe)                                  \
	X(modern_status_lie_fails_probe)                                       \
	X(legacy_never_latches_features_ok)                                    \
	X(hostile_queue_sizes_fail_cleanly)                                    \
	X(hostile_second_queue_releases_first)                                 \
	X(queue_allocation_failure_releases_all)                               \
	X(find_vqs_twice_is_busy)                                              \
	X(device_view_matches_ring)                                            \
	X(kick_waits_for_the_device)                                           \
	X(interrupt_without_work_is_not_mine)                                  \
	X(config_generation_and_read)                                          \
	X(config_interrupt_reaches_driver)                                     \
	X(config_out_of_range)                                                 \
	X(unregister_frees_everything)                                         \
	X(destroy_frees_forgotten_queues)                                      \
	X(bus_name_and_init_errors)
TESTS(HARNESS_DECLARE)

static void legacy_probe_reaches_driver_ok(void)
{
	begin(1);
	start_device(SIMT_LEGACY);
	CHECK_EQ(1, g_drv.probes);
	CHECK_EQ(0, g_drv.find_err);
	/* reset, ACKNOWLEDGE, DRIVER, DRIVER_OK */
	CHECK_LOG(0, 1, 3, 7);
	CHECK_EQ(7, g_t.vdev.config->get_status(&g_t.vdev));
	CHECK_EQ(0xffffffffULL & ECHO_FEATURES, simt_offered_features(&g_t));
	CHECK_EQ(1, g_t.driver_features); /* bit 50 was never offered */
	CHECK_EQ(1, g_ed.accepted);
	CHECK_EQ(1, g_t.nvqs);
	CHECK(g_drv.vqs[0] != NULL);
	unregister_virtio_device(&g_t.vdev);
	CHECK_EQ(1, g_drv.removes);
	CHECK_EQ(1, g_t.counters.releases);
	end();
}

static void modern_probe_reaches_driver_ok(void)
{
	u64 v1 = 1ULL << VIRTIO_F_VERSION_1;

	begin(2);
	start_device(SIMT_MODERN);
	CHECK_EQ(0, g_drv.find_err);
	/* reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK */
	CHECK_LOG(0, 1, 3, 0xb, 0xf);
	CHECK_EQ(0xf, g_t.vdev.config->get_status(&g_t.vdev));
	CHECK_EQ(ECHO_FEATURES | v1, simt_offered_features(&g_t));
	/* bit 5 is not in the driver's table */
	CHECK_EQ(1 | (1ULL << 50) | v1, g_t.driver_features);
	CHECK_EQ(2, g_t.nvqs);
	unregister_virtio_device(&g_t.vdev);
	/* remove resets, the registry acknowledges again */
	CHECK_LOG(0, 1, 3, 0xb, 0xf, 0, 1);
	end();
}

static void modern_refused_features_fail_probe(void)
{
	size_t before;

	begin(1);
	before = live_blocks();
	g_ed.refuse_features = true;
	start_device(SIMT_MODERN);
	/* FEATURES_OK does not stick, the probe fails before the driver's */
	CHECK_LOG(0, 1, 3, 3, 0x83);
	CHECK_EQ(0, g_drv.probes);
	CHECK(g_t.vdev.dev.driver == NULL);
	CHECK(g_t.status & VIRTIO_CONFIG_S_FAILED);
	CHECK_EQ(1, g_t.counters.features_refused);
	CHECK_EQ(0, g_t.nvqs);
	CHECK_EQ(before, live_blocks());
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void modern_status_lie_fails_probe(void)
{
	begin(1);
	g_ed.lie_no_features_ok = true;
	start_device(SIMT_MODERN);
	CHECK_EQ(0, g_drv.probes);
	/* stored FEATURES_OK, but the read-back lied: FAILED */
	CHECK_LOG(0, 1, 3, 0xb, 0x83);
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void legacy_never_latches_features_ok(void)
{
	begin(0);
	start_device(SIMT_LEGACY);
	g_t.vdev.config->set_status(&g_t.vdev, 0xb);
	CHECK_EQ(3, g_t.vdev.config->get_status(&g_t.vdev));
	g_t.vdev.config->reset(&g_t.vdev);
	CHECK_EQ(0, g_t.vdev.config->get_status(&g_t.vdev));
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void hostile_queue_sizes_fail_cleanly(void)
{
	static const u16 sizes[] = { 0, 3, 65535, 40000, 24 };
	static const int errs[] = { -ENOENT, -EINVAL, -EINVAL, -EINVAL,
				    -EINVAL };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t before;

		begin(1);
		before = live_blocks();
		g_ed.qsize[0] = sizes[i];
		start_device(SIMT_LEGACY);
		CHECK_EQ(1, g_drv.probes);
		CHECK_EQ(errs[i], g_drv.find_err);
		CHECK_LOG(0, 1, 3, 0x83);
		CHECK_EQ(0, g_t.nvqs);
		CHECK(list_empty(&g_t.vdev.vqs));
		CHECK_EQ(1, g_t.counters.find_vqs_failed);
		CHECK_EQ(before, live_blocks());
		unregister_virtio_device(&g_t.vdev);
		end();
	}
}

static void hostile_second_queue_releases_first(void)
{
	begin(3);
	g_ed.qsize[2] = 3;
	start_device(SIMT_MODERN);
	CHECK_EQ(-EINVAL, g_drv.find_err);
	CHECK_EQ(0, g_t.nvqs);
	CHECK(list_empty(&g_t.vdev.vqs));
	CHECK_EQ(0, live_blocks());
	/* more queues than the device has */
	unregister_virtio_device(&g_t.vdev);
	end();
	begin(TDRV_MAX_VQS);
	g_ed.qsize[3] = 0;
	start_device(SIMT_MODERN);
	CHECK_EQ(-ENOENT, g_drv.find_err);
	CHECK_EQ(0, live_blocks());
	unregister_virtio_device(&g_t.vdev);
	end();
}

static unsigned int fail_countdown;

static bool fail_nth(void *ctx, size_t size, gfp_t flags)
{
	(void)ctx;
	(void)size;
	(void)flags;
	return fail_countdown && --fail_countdown == 0;
}

static void queue_allocation_failure_releases_all(void)
{
	unsigned int nth;

	/* The second queue's pages, then its vring state. */
	for (nth = 3; nth <= 4; nth++) {
		begin(2);
		fail_countdown = nth;
		shim_set_alloc_fail_hook(fail_nth, NULL);
		start_device(SIMT_LEGACY);
		shim_set_alloc_fail_hook(NULL, NULL);
		CHECK_EQ(-ENOMEM, g_drv.find_err);
		CHECK_EQ(0, g_t.nvqs);
		CHECK_EQ(0, live_blocks());
		unregister_virtio_device(&g_t.vdev);
		end();
	}
}

static void find_vqs_twice_is_busy(void)
{
	struct virtqueue *vq;

	begin(1);
	start_device(SIMT_LEGACY);
	vq = virtio_find_single_vq(&g_t.vdev, NULL, "again");
	CHECK(IS_ERR(vq));
	CHECK_EQ(-EBUSY, PTR_ERR(vq));
	CHECK_EQ(1, g_t.nvqs); /* the first set is untouched */
	CHECK_PTR_EQ(g_drv.vqs[0], g_t.queues[0].vq);
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void device_view_matches_ring(void)
{
	struct vring *vr;

	begin(2);
	g_ed.qsize[1] = 256;
	start_device(SIMT_MODERN);
	vr = simt_vring(&g_t, 1);
	CHECK(vr != NULL);
	CHECK_EQ(256, vr->num);
	CHECK_EQ(256, virtqueue_get_vring_size(g_drv.vqs[1]));
	CHECK_PTR_EQ(g_t.queues[1].pages, vr->desc);
	CHECK_EQ(virt_to_phys(vr->desc), simt_ring_phys(&g_t, 1));
	CHECK_PTR_EQ(vr->desc, shim_guest_ptr(simt_ring_phys(&g_t, 1),
					      vring_size(256, 4096)));
	CHECK_EQ(0, simt_ring_phys(&g_t, 0) % 4096);
	CHECK(simt_vring(&g_t, 2) == NULL);
	CHECK_EQ(RINGSIDE_BAD_PHYS, simt_ring_phys(&g_t, 2));
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void kick_waits_for_the_device(void)
{
	struct scatterlist sg[2];
	struct virtqueue *vq;
	u8 *out, *in;
	int token;

	begin(1);
	start_device(SIMT_LEGACY);
	vq = g_drv.vqs[0];
	out = kzalloc(8, GFP_KERNEL);
	in = kzalloc(100, GFP_KERNEL);
	CHECK(out && in);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], out, 8);
	sg_set_buf(&sg[1], in, 100);
	CHECK(virtqueue_add_buf(vq, sg, 1, 1, &token, GFP_KERNEL) >= 0);
	virtqueue_kick(vq);
	/* recorded, not processed */
	CHECK(simt_notify_pending(&g_t, 0));
	CHECK_EQ(1, g_t.kicks[0]);
	CHECK_EQ(0, g_ed.notifies[0]);
	CHECK_EQ(0, simt_vring(&g_t, 0)->used->idx);
	CHECK(virtqueue_get_buf(vq, &(unsigned int){ 0 }) == NULL);
	/* the device acts */
	CHECK(simt_take_notify(&g_t, 0));
	CHECK(!simt_notify_pending(&g_t, 0));
	CHECK(!simt_take_notify(&g_t, 0));
	CHECK_EQ(1, g_ed.notifies[0]);
	CHECK_EQ(1, simt_vring(&g_t, 0)->used->idx);
	CHECK_EQ(0, g_drv.callbacks);
	/* the interrupt */
	CHECK_EQ(IRQ_HANDLED, simt_raise_queue_interrupt(&g_t, 0));
	CHECK_EQ(1, g_drv.callbacks);
	CHECK_PTR_EQ(&token, g_drv.last_token);
	CHECK_EQ(100, g_drv.last_len);
	CHECK(virtqueue_fault(vq)->fault == VRING_FAULT_NONE);
	CHECK(virtqueue_check_invariants(vq) == NULL);
	kfree(out);
	kfree(in);
	unregister_virtio_device(&g_t.vdev);
	CHECK_EQ(0, g_drv.detached);
	end();
}

static void interrupt_without_work_is_not_mine(void)
{
	begin(1);
	start_device(SIMT_MODERN);
	CHECK_EQ(IRQ_NONE, simt_raise_queue_interrupt(&g_t, 0));
	CHECK_EQ(IRQ_NONE, simt_raise_queue_interrupt(&g_t, 7));
	CHECK_EQ(IRQ_NONE, simt_raise_queue_interrupt(&g_t, 1000));
	CHECK(!simt_take_notify(&g_t, 1000));
	CHECK_EQ(0, g_drv.callbacks);
	CHECK_EQ(3, g_t.counters.queue_interrupts_none);
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void config_generation_and_read(void)
{
	struct virtio_device *vdev;
	u32 gen, v = 0x12345678;

	begin(0);
	start_device(SIMT_MODERN);
	vdev = &g_t.vdev;
	gen = vdev->config->generation(vdev);
	CHECK_EQ(gen, vdev->config->generation(vdev));
	memcpy(g_ed.config + 4, &v, 4);
	simt_config_change(&g_t);
	CHECK_EQ(gen + 1, vdev->config->generation(vdev));
	CHECK_EQ(0x12345678, virtio_cread32(vdev, 4));
	virtio_cwrite16(vdev, 0, 0xbeef);
	CHECK_EQ(0xbeef, virtio_cread16(vdev, 0));
	CHECK_EQ(0, g_t.counters.config_oob);
	CHECK_EQ(0, g_drv.config_changes); /* no interrupt raised */
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void config_interrupt_reaches_driver(void)
{
	begin(0);
	start_device(SIMT_LEGACY);
	simt_raise_config_interrupt(&g_t);
	simt_raise_config_interrupt(&g_t);
	CHECK_EQ(2, g_drv.config_changes);
	CHECK_EQ(2, g_t.counters.config_interrupts);
	unregister_virtio_device(&g_t.vdev);
	/* no driver: nothing to call, nothing breaks */
	simt_raise_config_interrupt(&g_t);
	CHECK_EQ(2, g_drv.config_changes);
	end();
}

static void config_out_of_range(void)
{
	struct virtio_device *vdev;
	u8 before[ECHO_CONFIG_BYTES];
	u8 buf[4] = { 1, 2, 3, 4 };

	begin(0);
	start_device(SIMT_MODERN);
	vdev = &g_t.vdev;
	memset(g_ed.config, 0x11, sizeof(g_ed.config));
	memcpy(before, g_ed.config, sizeof(before));
	CHECK_EQ(0xffffffffu, virtio_cread32(vdev, 6));
	CHECK_EQ(0xffffffffu, virtio_cread32(vdev, 0xfffffffeu));
	CHECK_EQ(0x11111111u, virtio_cread32(vdev, 4)); /* the last field */
	vdev->config->set(vdev, 5, buf, 4);
	vdev->config->set(vdev, 0xffffffffu, buf, 4);
	vdev->config->set(vdev, ECHO_CONFIG_BYTES, buf, 1);
	CHECK(memcmp(before, g_ed.config, sizeof(before)) == 0);
	CHECK_EQ(5, g_t.counters.config_oob);
	vdev->config->set(vdev, ECHO_CONFIG_BYTES, buf, 0); /* empty: fine */
	CHECK_EQ(5, g_t.counters.config_oob);
	unregister_virtio_device(&g_t.vdev);
	end();
}

static void unregister_frees_everything(void)
{
	struct scatterlist sg;
	static int tokens[5];
	u8 *buf;
	unsigned int i;

	begin(3);
	start_device(SIMT_MODERN);
	buf = kzalloc(64, GFP_KERNEL);
	CHECK(buf != NULL);
	for (i = 0; i < 5; i++) {
		sg_init_one(&sg, buf, 64);
		CHECK(virtqueue_add_inbuf(g_drv.vqs[i % 3], &sg, 1, &tokens[i],
					  GFP_KERNEL) >= 0);
	}
	virtqueue_kick(g_drv.vqs[0]);
	CHECK(simt_notify_pending(&g_t, 0));
	kfree(buf);
	unregister_virtio_device(&g_t.vdev);
	CHECK_EQ(5, g_drv.detached);
	CHECK_EQ(0, g_t.status & ~VIRTIO_CONFIG_S_ACKNOWLEDGE);
	CHECK_EQ(0, g_t.notify_pending); /* the reset dropped the kick */
	CHECK_EQ(0, g_t.nvqs);
	CHECK_EQ(1, g_t.counters.del_vqs);
	end();
}

static void destroy_frees_forgotten_queues(void)
{
	begin(2);
	g_drv.forget_del_vqs = true;
	start_device(SIMT_LEGACY);
	CHECK(live_blocks() > 0);
	simt_destroy(&g_t); /* unregisters, then frees what remove left */
	EXPECT_WARNS(1);    /* the registry reports the forgotten queues */
	CHECK(!device_is_registered(&g_t.vdev.dev));
	CHECK_EQ(1, g_drv.removes);
	CHECK_EQ(0, g_t.nvqs);
	end();
	/* and it is a no-op on a transport that never registered */
	CHECK_EQ(0, simt_init(&g_t, &echo_ops, &g_ed, SIMT_MODERN));
	simt_destroy(&g_t);
}

static void bus_name_and_init_errors(void)
{
	begin(0);
	CHECK_EQ(-EINVAL, simt_init(&g_t, NULL, NULL, SIMT_LEGACY));
	CHECK_EQ(-EINVAL, simt_init(&g_t, &echo_ops, NULL, (enum simt_mode)0));
	start_device(SIMT_LEGACY);
	CHECK(strcmp(virtio_bus_name(&g_t.vdev), "sim0") == 0);
	simt_destroy(&g_t);
	end();
}

HARNESS_MAIN(TESTS)

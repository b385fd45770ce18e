/*
 * test_config.c - config-change delivery, config-space reads (with a
 * generation counter that may never settle), the queues a driver finds
 * through its transport, virtio_break_device and the container helpers.
 */
#include "fake_transport.h"
#include "harness.h"

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <string.h>

#define ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define DRV VIRTIO_CONFIG_S_DRIVER
#define DOK VIRTIO_CONFIG_S_DRIVER_OK

static const struct virtio_device_id rng_ids[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static struct fake_driver drv;

#define TESTS(X)                                                               \
	X(config_changed_when_bound)                                           \
	X(config_changed_unbound_calls_nothing)                                \
	X(config_change_in_probe_held_back)                                    \
	X(config_changes_in_probe_coalesce)                                    \
	X(config_change_in_scan_held_back)                                     \
	X(held_back_change_delivered_once_only)                                \
	X(config_change_during_remove_not_delivered)                           \
	X(config_change_held_back_after_rebind)                                \
	X(config_change_in_failed_probe_not_delivered)                         \
	X(no_config_change_after_unregister_device)                            \
	X(no_config_change_after_unregister_driver)                            \
	X(cread_widths)                                                        \
	X(cread_stable_generation_reads_once)                                  \
	X(cread_without_generation_op)                                         \
	X(cread_settles_after_some_changes)                                    \
	X(cread_generation_never_settles)                                      \
	X(cwrite_widths)                                                       \
	X(find_single_vq_works)                                                \
	X(find_single_vq_hostile_sizes)                                        \
	X(find_vqs_second_queue_hostile)                                       \
	X(find_vqs_in_probe_failure_unbinds)                                   \
	X(break_device_breaks_every_queue)                                     \
	X(break_device_without_queues)                                         \
	X(container_round_trips)                                               \
	X(bus_name)
TESTS(HARNESS_DECLARE)

static struct fake_dev *bound_rng(void)
{
	struct fake_dev *fd;

	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	return fd;
}

static void unbind_all(struct fake_dev *fd)
{
	unregister_virtio_device(&fd->vdev);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
}

static void config_changed_when_bound(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	CHECK_EQ(0, drv.config_changes);
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(1, drv.config_changes);
	CHECK_EQ(ACK | DRV | DOK, drv.status_at_config_change);
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(2, drv.config_changes);
	/* A driver without the callback: nothing happens, nothing breaks. */
	fake_driver_unregister(&drv);
	drv.drv.config_changed = NULL;
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(2, drv.config_changes);
	unbind_all(fd);
	fake_end();
}

static void config_changed_unbound_calls_nothing(void)
{
	static const struct virtio_device_id other[] = {
		{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "net", other);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(0, drv.config_changes);
	unbind_all(fd);
	fake_end();
}

static void config_change_in_probe_held_back(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.config_changes_in_probe = 1;
	fd = bound_rng();
	CHECK_EQ(0, drv.config_changes_during_probe);
	CHECK_EQ(1, drv.config_changes);
	/* Delivered after the probe returned and DRIVER_OK was set. */
	CHECK(drv.config_change_seq > drv.probe_return_seq);
	CHECK_EQ(ACK | DRV | DOK, drv.status_at_config_change);
	/* And only once: a later change is a new one. */
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(2, drv.config_changes);
	unbind_all(fd);
	fake_end();
}

static void config_changes_in_probe_coalesce(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.config_changes_in_probe = 3;
	fd = bound_rng();
	CHECK_EQ(0, drv.config_changes_during_probe);
	CHECK_EQ(1, drv.config_changes);
	unbind_all(fd);
	fake_end();
}

/* As later Linux: config changes are enabled after scan, too. */
static void config_change_in_scan_held_back(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.config_changes_in_scan = 1;
	fd = bound_rng();
	CHECK_EQ(1, drv.scans);
	CHECK_EQ(0, drv.config_changes_during_scan);
	CHECK_EQ(1, drv.config_changes);
	CHECK(drv.config_change_seq > drv.scan_seq);
	unbind_all(fd);
	fake_end();
}

/* A held-back change is delivered once: binding the device again later
 * (with no new change) delivers nothing. */
static void held_back_change_delivered_once_only(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.config_changes_in_probe = 1;
	fd = bound_rng();
	CHECK_EQ(1, drv.config_changes);
	fake_driver_unregister(&drv);
	drv.config_changes_in_probe = 0;
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(2, drv.probes);
	CHECK_EQ(1, drv.config_changes);
	unbind_all(fd);
	fake_end();
}

static void config_change_during_remove_not_delivered(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.config_changes_in_remove = 1;
	fd = bound_rng();
	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(1, drv.removes);
	CHECK_EQ(0, drv.config_changes_during_remove);
	CHECK_EQ(0, drv.config_changes);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
	fake_end();
}

/* After an unbind, the next probe is again protected: a change raised in
 * it waits until it has finished. */
static void config_change_held_back_after_rebind(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fake_driver_unregister(&drv);
	drv.config_changes_in_probe = 1;
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(2, drv.probes);
	CHECK_EQ(0, drv.config_changes_during_probe);
	CHECK_EQ(1, drv.config_changes);
	CHECK(drv.config_change_seq > drv.probe_return_seq);
	unbind_all(fd);
	fake_end();
}

static void config_change_in_failed_probe_not_delivered(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.config_changes_in_probe = 1;
	drv.probe_ret = -EIO;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK_EQ(1, drv.probes);
	CHECK_EQ(0, drv.config_changes);
	unbind_all(fd);
	CHECK_EQ(0, drv.config_changes);
	fake_end();
}

static void no_config_change_after_unregister_device(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(1, drv.removes);
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(0, drv.config_changes);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
	fake_end();
}

static void no_config_change_after_unregister_driver(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fake_driver_unregister(&drv);
	CHECK_EQ(1, drv.removes);
	CHECK(fake_dev_registered(fd));
	virtio_config_changed(&fd->vdev);
	CHECK_EQ(0, drv.config_changes);
	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(0, drv.config_changes);
	fake_dev_free(fd);
	fake_end();
}

static void fill_pattern(struct fake_dev *fd)
{
	unsigned int i;

	for (i = 0; i < FAKE_CONFIG_BYTES; i++)
		fd->config[i] = (u8)(0x10 + i);
}

static void cread_widths(void)
{
	struct fake_dev *fd;
	u16 v16;
	u32 v32;
	u64 v64;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fill_pattern(fd);
	memcpy(&v16, fd->config + 2, 2);
	memcpy(&v32, fd->config + 4, 4);
	memcpy(&v64, fd->config + 8, 8);
	CHECK_EQ(0x11, virtio_cread8(&fd->vdev, 1));
	CHECK_EQ(v16, virtio_cread16(&fd->vdev, 2));
	CHECK_EQ(v32, virtio_cread32(&fd->vdev, 4));
	CHECK_EQ(v64, virtio_cread64(&fd->vdev, 8));
	CHECK_EQ(0x1f1e1d1c1b1a1918ULL, v64); /* little-endian host */
	CHECK_EQ(0x07060504 + 0x10101010, v32);
	/* The last byte of the config space. */
	CHECK_EQ(0x10 + FAKE_CONFIG_BYTES - 1,
		 virtio_cread8(&fd->vdev, FAKE_CONFIG_BYTES - 1));
	CHECK_EQ(0, fd->config_oob);
	unbind_all(fd);
	fake_end();
}

static void cread_stable_generation_reads_once(void)
{
	struct fake_dev *fd;
	u32 expect;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fill_pattern(fd);
	memcpy(&expect, fd->config + 12, 4);
	fd->config_gets = 0;
	fd->gen_reads = 0;
	CHECK_EQ(expect, virtio_cread32(&fd->vdev, 12));
	CHECK_EQ(1, fd->config_gets);
	CHECK_EQ(2, fd->gen_reads); /* before and after */
	unbind_all(fd);
	fake_end();
}

static void cread_without_generation_op(void)
{
	struct fake_dev *fd;
	u32 expect;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fd->ops.generation = NULL; /* a legacy transport */
	fill_pattern(fd);
	memcpy(&expect, fd->config + 20, 4);
	fd->config_gets = 0;
	CHECK_EQ(expect, virtio_cread32(&fd->vdev, 20));
	CHECK_EQ(1, fd->config_gets);
	CHECK_EQ(0, fd->gen_reads);
	unbind_all(fd);
	fake_end();
}

static void cread_settles_after_some_changes(void)
{
	struct fake_dev *fd;
	unsigned int i;
	u64 expect;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 1;
	fd = bound_rng();
	fill_pattern(fd);
	memcpy(&expect, fd->config + 16, 8);
	fd->config_gets = 0;
	fd->gen_changes = 5; /* a config change in flight, then quiet */
	CHECK_EQ(expect, virtio_cread64(&fd->vdev, 16));
	CHECK(fd->config_gets >= 2); /* it did retry */
	CHECK(fd->config_gets <= 4);
	for (i = 0; i < fd->nvqs; i++)
		CHECK(!virtqueue_is_broken(fd->vqs[i]));
	unbind_all(fd);
	fake_end();
}

static void cread_generation_never_settles(void)
{
	struct fake_dev *fd;
	struct scatterlist sg;
	unsigned int i;
	u32 expect;
	u8 buf[8];

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 2;
	fd = bound_rng();
	CHECK_EQ(2, fd->nvqs);
	fill_pattern(fd);
	memcpy(&expect, fd->config + 4, 4);
	fd->config_gets = 0;
	fd->gen_changes = FAKE_GEN_FOREVER;
	/* Returns (the last value read), after a bounded number of tries. */
	CHECK_EQ(expect, virtio_cread32(&fd->vdev, 4));
	CHECK(fd->config_gets >= 2);
	CHECK(fd->config_gets <= 1024);
	CHECK(fake_log_count(3) >= 1); /* reported as an error */
	for (i = 0; i < 2; i++) {
		CHECK(virtqueue_is_broken(fd->vqs[i]));
		CHECK_EQ(VRING_FAULT_DEVICE_BROKEN,
			 virtqueue_fault(fd->vqs[i])->fault);
	}
	sg_init_one(&sg, buf, sizeof(buf));
	CHECK_EQ(-EIO,
		 virtqueue_add_buf(fd->vqs[0], &sg, 0, 1, buf, GFP_KERNEL));
	/* Asking again is bounded too. */
	fd->config_gets = 0;
	(void)virtio_cread8(&fd->vdev, 0);
	CHECK(fd->config_gets <= 1024);
	unbind_all(fd);
	fake_end(); /* device misbehaviour: no WARN */
}

static void cwrite_widths(void)
{
	struct fake_dev *fd;
	u16 v16;
	u32 v32;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	virtio_cwrite8(&fd->vdev, 3, 0xa5);
	virtio_cwrite16(&fd->vdev, 4, 0xbeef);
	virtio_cwrite32(&fd->vdev, 8, 0x12345678);
	CHECK_EQ(0xa5, fd->config[3]);
	memcpy(&v16, fd->config + 4, 2);
	memcpy(&v32, fd->config + 8, 4);
	CHECK_EQ(0xbeef, v16);
	CHECK_EQ(0x12345678, v32);
	CHECK_EQ(3, fd->config_sets);
	CHECK_EQ(0x12345678, virtio_cread32(&fd->vdev, 8));
	unbind_all(fd);
	fake_end();
}

static unsigned int callbacks;

static void count_callback(struct virtqueue *vq)
{
	(void)vq;
	callbacks++;
}

static void find_single_vq_works(void)
{
	struct fake_dev *fd;
	struct virtqueue *vq;
	struct scatterlist sg;
	unsigned int len = 0;
	void *buf;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fd->qsize[0] = 8;
	callbacks = 0;
	vq = virtio_find_single_vq(&fd->vdev, count_callback, "input");
	CHECK(!IS_ERR_OR_NULL(vq));
	CHECK_EQ(1, fd->find_vqs_calls);
	CHECK_PTR_EQ(&fd->vdev, vq->vdev);
	CHECK_EQ(8, virtqueue_get_vring_size(vq));
	CHECK_EQ(0, virtqueue_get_queue_index(vq));
	CHECK(fd->vdev.vqs.next == &vq->list && fd->vdev.vqs.prev == &vq->list);

	/* A round trip through the device. */
	buf = kmalloc(64, GFP_KERNEL);
	CHECK(buf != NULL);
	sg_init_one(&sg, buf, 64);
	CHECK(virtqueue_add_buf(vq, &sg, 0, 1, buf, GFP_KERNEL) >= 0);
	virtqueue_kick(vq);
	CHECK_EQ(1, fd->notifies[0]);
	CHECK(fake_vq_complete(fd, 0, 40));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, vq));
	CHECK_EQ(1, callbacks);
	CHECK_PTR_EQ(buf, virtqueue_get_buf(vq, &len));
	CHECK_EQ(40, len);
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(vq, &len));
	CHECK(!virtqueue_is_broken(vq));
	kfree(buf);

	/* The driver's remove deletes the queue. */
	unbind_all(fd);
	fake_end();
}

static void find_single_vq_hostile_sizes(void)
{
	static const unsigned int sizes[] = { 0, 3, 65536, 65535, 100000, 6 };
	struct shim_arena_stats before, after;
	struct fake_dev *fd;
	struct virtqueue *vq;
	unsigned int i;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	shim_arena_get_stats(&before);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fd->qsize[0] = sizes[i];
		vq = virtio_find_single_vq(&fd->vdev, NULL, "input");
		CHECK(IS_ERR(vq));
		CHECK(PTR_ERR(vq) < 0);
		CHECK_EQ(0, fd->nvqs);
		CHECK(list_empty(&fd->vdev.vqs));
		shim_arena_get_stats(&after);
		CHECK_EQ(before.live_blocks, after.live_blocks);
	}
	/* Nothing left behind: a sane size works afterwards. */
	fd->qsize[0] = 4;
	vq = virtio_find_single_vq(&fd->vdev, NULL, "input");
	CHECK(!IS_ERR_OR_NULL(vq));
	CHECK_EQ(4, virtqueue_get_vring_size(vq));
	unbind_all(fd);
	fake_end(); /* a bad size from the device is no WARN */
}

static void find_vqs_second_queue_hostile(void)
{
	struct fake_dev *fd;
	struct virtqueue *vqs[3] = { NULL, NULL, NULL };
	vq_callback_t *cbs[3] = { NULL, NULL, NULL };
	const char *names[3] = { "a", "b", "c" };

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	fd = bound_rng();
	fd->qsize[1] = 3;
	CHECK(fd->vdev.config->find_vqs(&fd->vdev, 3, vqs, cbs, names) < 0);
	CHECK_EQ(0, fd->nvqs);
	CHECK(list_empty(&fd->vdev.vqs));
	unbind_all(fd);
	fake_end();
}

static void find_vqs_in_probe_failure_unbinds(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 2;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);
	fd->qsize[1] = 0; /* hostile: the probe's find_vqs fails */
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_EQ(1, drv.probes);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK(fake_dev_registered(fd));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV,
		       ACK | DRV | VIRTIO_CONFIG_S_FAILED);
	CHECK_EQ(0, fd->nvqs);
	unbind_all(fd);
	CHECK_EQ(0, drv.removes);
	fake_end();
}

static void break_device_breaks_every_queue(void)
{
	static const struct virtio_device_id ids[] = {
		{ VIRTIO_DEV_ANY_ID, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *fd, *other;
	struct scatterlist sg;
	unsigned int i;
	u8 buf[8];

	fake_begin();
	fake_driver_init(&drv, "any", ids);
	drv.vqs_in_probe = 3;
	fd = bound_rng();
	other = fake_dev_new(VIRTIO_ID_NET, 0x1af4);
	CHECK_EQ(0, register_virtio_device(&other->vdev));
	CHECK_EQ(3, fd->nvqs);
	CHECK_EQ(3, other->nvqs);
	for (i = 0; i < 3; i++)
		CHECK(!virtqueue_is_broken(fd->vqs[i]));

	virtio_break_device(&fd->vdev);
	sg_init_one(&sg, buf, sizeof(buf));
	for (i = 0; i < 3; i++) {
		CHECK(virtqueue_is_broken(fd->vqs[i]));
		CHECK_EQ(VRING_FAULT_DEVICE_BROKEN,
			 virtqueue_fault(fd->vqs[i])->fault);
		CHECK_EQ(-EIO, virtqueue_add_buf(fd->vqs[i], &sg, 1, 0, buf,
						 GFP_KERNEL));
		/* The other device's queues are untouched. */
		CHECK(!virtqueue_is_broken(other->vqs[i]));
	}
	/* Breaking twice is harmless. */
	virtio_break_device(&fd->vdev);
	CHECK(virtqueue_is_broken(fd->vqs[0]));
	unregister_virtio_device(&other->vdev);
	fake_dev_free(other);
	unbind_all(fd);
	fake_end();
}

static void break_device_without_queues(void)
{
	struct fake_dev *fresh, *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	/* Never registered: its queue list was never made. */
	fresh = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);
	virtio_break_device(&fresh->vdev);
	fake_dev_free(fresh);
	/* Registered, bound, without queues. */
	fd = bound_rng();
	virtio_break_device(&fd->vdev);
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	unbind_all(fd);
	fake_end();
}

static void container_round_trips(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_PTR_EQ(&drv.drv, drv_to_virtio(&drv.drv.driver));
	fd = bound_rng();
	CHECK_PTR_EQ(&fd->vdev, dev_to_virtio(&fd->vdev.dev));
	CHECK_PTR_EQ(&drv.drv, drv_to_virtio(fd->vdev.dev.driver));
	CHECK_PTR_EQ(&fd->vdev, drv.last_dev);
	CHECK_PTR_EQ(&fd->vdev.dev, &dev_to_virtio(&fd->vdev.dev)->dev);
	CHECK_PTR_EQ(&drv.drv.driver, &drv_to_virtio(&drv.drv.driver)->driver);
	unbind_all(fd);
	fake_end();
}

static void bus_name(void)
{
	struct fake_dev *fd;

	fake_begin();
	fd = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);
	CHECK_PTR_EQ(fd->bus, virtio_bus_name(&fd->vdev));
	fd->ops.bus_name = NULL;
	CHECK_EQ(0, strcmp("virtio", virtio_bus_name(&fd->vdev)));
	fake_dev_free(fd);
	fake_end();
}

HARNESS_MAIN(TESTS)

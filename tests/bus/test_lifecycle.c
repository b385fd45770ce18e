/*
 * test_lifecycle.c - the registry against a hostile device across the
 * device's life (ring/virtio.c notes 5 to 9): a config read that never
 * settles during probe, interrupts before DRIVER_OK and after a reset, a
 * driver that deletes its queues without resetting, modern transports
 * without VERSION_1, interrupts on broken queues, transport feature bits,
 * and the driver bugs the registry reports (queues left behind, buffers
 * dropped with their queue).
 */
#include "fake_transport.h"
#include "harness.h"

#include <linux/errno.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <ringside/ring_diag.h>
#include <string.h>

#define ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define DRV VIRTIO_CONFIG_S_DRIVER
#define DOK VIRTIO_CONFIG_S_DRIVER_OK
#define FOK VIRTIO_CONFIG_S_FEATURES_OK
#define FAILED VIRTIO_CONFIG_S_FAILED
#define B(n) (1ULL << (n))

static const struct virtio_device_id rng_ids[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static struct fake_driver drv;

/* What the tests' probes and callbacks saw. */
static unsigned int callbacks;
static bool queue_broken_at_creation;
static void *token; /* the buffer add_one adds, from the arena */

#define TESTS(X)                                                               \
	X(unsettled_config_in_probe_fails_probe)                               \
	X(queue_on_broken_device_starts_broken)                                \
	X(probe_of_broken_device_fails_eio)                                    \
	X(broken_device_reregistered_binds)                                    \
	X(no_callback_before_driver_ok)                                        \
	X(buffers_added_in_probe_complete_after_driver_ok)                     \
	X(buffers_used_before_driver_ok_get_their_callback)                    \
	X(no_callback_after_reset)                                             \
	X(callbacks_in_remove_until_reset)                                     \
	X(rebind_takes_interrupts_again)                                       \
	X(remove_without_reset_resets_before_rings_freed)                      \
	X(remove_with_reset_resets_once)                                       \
	X(modern_without_version1_fails_probe)                                 \
	X(modern_with_version1_negotiates_it)                                  \
	X(legacy_never_negotiates_version1)                                    \
	X(broken_queue_interrupt_is_not_mine)                                  \
	X(transport_bits_masked_by_registry)                                   \
	X(failed_probe_leaving_queues_warns)                                   \
	X(remove_leaving_queues_warns)                                         \
	X(deleting_queue_with_buffers_warns)
TESTS(HARNESS_DECLARE)

static void count_callback(struct virtqueue *vq)
{
	(void)vq;
	callbacks++;
}

static struct fake_dev *new_rng(void)
{
	struct fake_dev *fd = fake_dev_new(VIRTIO_ID_RNG, 0x1af4);

	fd->qsize[0] = 8;
	return fd;
}

/* A test's start: a buffer of an earlier (failed) test went with its
 * arena. */
static void begin(void)
{
	token = NULL;
	fake_begin();
}

static void unbind_all(struct fake_dev *fd)
{
	unregister_virtio_device(&fd->vdev);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
}

/* One queue with count_callback, found by the test (not the fake driver's
 * probe, whose queues have no callback). */
static struct virtqueue *find_counted_vq(struct fake_dev *fd)
{
	struct virtqueue *vq =
		virtio_find_single_vq(&fd->vdev, count_callback, "input");

	CHECK(!IS_ERR_OR_NULL(vq));
	return vq;
}

static void add_one(struct virtqueue *vq)
{
	struct scatterlist sg;

	kfree(token);
	token = kmalloc(64, GFP_KERNEL);
	CHECK(token != NULL);
	sg_init_one(&sg, token, 64);
	CHECK(virtqueue_add_buf(vq, &sg, 0, 1, token, GFP_KERNEL) >= 0);
	virtqueue_kick(vq);
}

/* --- note 5: a device-level broken state ------------------------------- */

/* The probe reads a config field whose generation never settles, then
 * finds its queue. */
static int probe_reads_unsettled_config(struct fake_driver *fdrv,
					struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);
	struct virtqueue *vq;

	(void)fdrv;
	fd->gen_changes = FAKE_GEN_FOREVER;
	(void)virtio_cread32(vdev, 0);
	fd->gen_changes = 0;
	vq = virtio_find_single_vq(vdev, count_callback, "input");
	if (IS_ERR(vq))
		return (int)PTR_ERR(vq);
	queue_broken_at_creation = virtqueue_is_broken(vq);
	return 0; /* the driver did not notice */
}

static void unsettled_config_in_probe_fails_probe(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.on_probe = probe_reads_unsettled_config;
	queue_broken_at_creation = false;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_EQ(1, drv.probes);
	/* The probe said 0, the device is broken: the registry undid it
	 * (the driver's remove freed the queue) and failed it. */
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK(fd->vdev.broken);
	CHECK_EQ(1, drv.removes);
	CHECK_EQ(0, fd->nvqs);
	CHECK(list_empty(&fd->vdev.vqs));
	CHECK(fd->status & FAILED);
	CHECK(!(fd->status & DOK));
	CHECK(fake_log_contains("failed with error -5"));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	kfree(token);
	token = NULL;
	fake_end(); /* device misbehaviour: no WARN */
}

static void queue_on_broken_device_starts_broken(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.on_probe = probe_reads_unsettled_config;
	queue_broken_at_creation = false;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(queue_broken_at_creation);
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void probe_of_broken_device_fails_eio(void)
{
	struct fake_dev *fd;

	begin();
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	/* No driver yet; the transport gives up on the device. */
	virtio_break_device(&fd->vdev);
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(0, drv.probes); /* the driver never saw it */
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK(fd->status & FAILED);
	CHECK(fake_log_contains("failed with error -5"));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void broken_device_reregistered_binds(void)
{
	struct fake_dev *fd;

	begin();
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	virtio_break_device(&fd->vdev);
	unregister_virtio_device(&fd->vdev);
	/* A new registration is a new device: it starts healthy. */
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 1;
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	CHECK(!fd->vdev.broken);
	CHECK(!virtqueue_is_broken(fd->vqs[0]));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

/* --- note 6: interrupts only between DRIVER_OK and a reset -------------- */

/* A 3.7.1 driver may add buffers in its probe (virtio-net fills its
 * receive queue there). This one also lets the device use one and raise
 * an interrupt before DRIVER_OK, which the device must not do. */
static irqreturn_t irq_in_probe;
static bool complete_in_probe;

static int probe_adds_buffer(struct fake_driver *fdrv,
			     struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);
	struct virtqueue *vq;

	(void)fdrv;
	vq = virtio_find_single_vq(vdev, count_callback, "input");
	if (IS_ERR(vq))
		return (int)PTR_ERR(vq);
	add_one(vq);
	if (complete_in_probe) {
		CHECK(fake_vq_complete(fd, 0, 16));
		irq_in_probe = vring_interrupt(0, vq);
	}
	return 0;
}

static void no_callback_before_driver_ok(void)
{
	struct vring_stats st;
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.on_probe = probe_adds_buffer;
	complete_in_probe = true;
	callbacks = 0;
	irq_in_probe = IRQ_HANDLED;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	CHECK_EQ(IRQ_NONE, irq_in_probe);
	virtqueue_get_stats(fd->vqs[0], &st);
	CHECK_EQ(1, st.irq_quiesced);
	CHECK(!virtqueue_is_broken(fd->vqs[0]));
	CHECK_PTR_EQ(token, virtqueue_get_buf(fd->vqs[0], NULL));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void buffers_added_in_probe_complete_after_driver_ok(void)
{
	struct fake_dev *fd;
	unsigned int len = 0;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.on_probe = probe_adds_buffer;
	complete_in_probe = false;
	callbacks = 0;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->status & DOK);
	CHECK_EQ(1, fd->notifies[0]); /* the probe's kick went out */
	CHECK_EQ(0, callbacks);
	CHECK(fake_vq_complete(fd, 0, 16));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, fd->vqs[0]));
	CHECK_EQ(1, callbacks);
	CHECK_PTR_EQ(token, virtqueue_get_buf(fd->vqs[0], &len));
	CHECK_EQ(16, len);
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void buffers_used_before_driver_ok_get_their_callback(void)
{
	struct fake_dev *fd;
	unsigned int len = 0;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.on_probe = probe_adds_buffer;
	complete_in_probe = true;
	callbacks = 0;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	/* The interrupt in probe was ignored, not lost: at DRIVER_OK the
	 * queue with a used buffer waiting got its callback, once. */
	CHECK_EQ(1, callbacks);
	CHECK_PTR_EQ(token, virtqueue_get_buf(fd->vqs[0], &len));
	CHECK_EQ(16, len);
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void no_callback_after_reset(void)
{
	struct vring_stats st;
	struct virtqueue *vq;
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	vq = find_counted_vq(fd);
	callbacks = 0;
	add_one(vq);
	/* The driver resets the device (as its remove would); a hostile
	 * device still completes and interrupts. */
	fd->vdev.config->reset(&fd->vdev);
	CHECK(fake_vq_complete(fd, 0, 16));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, vq));
	CHECK_EQ(0, callbacks);
	virtqueue_get_stats(vq, &st);
	CHECK_EQ(1, st.irq_quiesced);
	CHECK_PTR_EQ(token, virtqueue_detach_unused_buf(vq));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

/* A 3.7.1 balloon driver waits in its remove for the device's answer
 * before it resets: interrupts must reach it until the reset. */
static unsigned int callbacks_in_remove_before_reset;

static void remove_waits_for_device(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);
	struct virtqueue *vq = fd->vqs[0];

	add_one(vq);
	CHECK(fake_vq_complete(fd, 0, 8));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, vq));
	callbacks_in_remove_before_reset = callbacks;
	CHECK_PTR_EQ(token, virtqueue_get_buf(vq, NULL));
	vdev->config->reset(vdev);
	vdev->config->del_vqs(vdev);
}

static void callbacks_in_remove_until_reset(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "balloon", rng_ids);
	drv.drv.remove = remove_waits_for_device;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	(void)find_counted_vq(fd);
	callbacks = 0;
	callbacks_in_remove_before_reset = 0;
	unbind_all(fd);
	CHECK_EQ(1, callbacks_in_remove_before_reset);
	kfree(token);
	token = NULL;
	fake_end();
}

static void rebind_takes_interrupts_again(void)
{
	struct virtqueue *vq;
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	fake_driver_unregister(&drv);		 /* remove: reset */
	CHECK_EQ(0, fake_driver_register(&drv)); /* probe: DRIVER_OK */
	CHECK(fd->status & DOK);
	vq = find_counted_vq(fd);
	callbacks = 0;
	add_one(vq);
	CHECK(fake_vq_complete(fd, 0, 16));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, vq));
	CHECK_EQ(1, callbacks);
	CHECK_PTR_EQ(token, virtqueue_get_buf(vq, NULL));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

/* --- note 7: reset before the rings are freed --------------------------- */

static void remove_without_reset_resets_before_rings_freed(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 2;
	drv.no_reset_in_remove = true;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	fake_dev_clear_log(fd);
	unregister_virtio_device(&fd->vdev);
	/* The device was reset before its rings were freed, once, and then
	 * acknowledged again. */
	CHECK_EQ(1, fd->del_vqs_calls);
	CHECK_EQ(0, fd->status_at_ring_free);
	CHECK_EQ(1, fd->resets_at_ring_free);
	FAKE_CHECK_LOG(fd, 0, ACK);
	CHECK(fake_log_contains("driver did not reset device"));
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
	kfree(token);
	token = NULL;
	kfree(token);
	token = NULL;
	fake_end(); /* a driver bug reported, not a WARN: 3.7.1 allows it */
}

static void remove_with_reset_resets_once(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 2;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	fake_dev_clear_log(fd);
	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(1, fd->resets_at_ring_free);
	FAKE_CHECK_LOG(fd, 0, ACK);
	CHECK(!fake_log_contains("reset"));
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
	kfree(token);
	token = NULL;
	fake_end();
}

/* --- note 2: modern transports and the transport range ------------------ */

static void modern_without_version1_fails_probe(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	fd->ops.modern = true;
	fd->features = B(VIRTIO_RING_F_EVENT_IDX);
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_EQ(0, drv.probes);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FAILED);
	CHECK(fake_log_contains("VERSION_1"));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void modern_with_version1_negotiates_it(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	fd->ops.modern = true;
	fd->features = B(VIRTIO_F_VERSION_1);
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_EQ(B(VIRTIO_F_VERSION_1), fake_features(&fd->vdev));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FOK,
		       ACK | DRV | FOK | DOK);
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void legacy_never_negotiates_version1(void)
{
	struct fake_dev *fd;
	unsigned int i;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	fd->features = B(VIRTIO_F_VERSION_1); /* a legacy transport lying */
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_EQ(0, fake_features(&fd->vdev));
	for (i = 0; i < fd->status_log_len; i++)
		CHECK(!(fd->status_log[i] & FOK));
	CHECK(fd->status & DOK);
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

static void transport_bits_masked_by_registry(void)
{
	u64 range = ((1ULL << 38) - 1) & ~((1ULL << 28) - 1);
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	fd->ops.modern = true;
	fd->features = range; /* the transport filters nothing */
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_EQ(B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX) |
			 B(VIRTIO_F_VERSION_1),
		 fd->finalized);
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

/* --- note 3: a broken queue's interrupt is not its own ----------------- */

static void broken_queue_interrupt_is_not_mine(void)
{
	struct vring_stats st;
	struct virtqueue *vq;
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	vq = find_counted_vq(fd);
	callbacks = 0;
	add_one(vq);
	virtio_break_device(&fd->vdev);
	CHECK(fake_vq_complete(fd, 0, 16));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, vq));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, vq));
	CHECK_EQ(0, callbacks);
	virtqueue_get_stats(vq, &st);
	CHECK_EQ(2, st.irq_broken);
	CHECK_EQ(0, st.spurious);
	CHECK_PTR_EQ(token, virtqueue_detach_unused_buf(vq));
	unbind_all(fd);
	kfree(token);
	token = NULL;
	fake_end();
}

/* --- note 8: driver bugs the registry reports --------------------------- */

/* Finds a queue and fails, leaving the queue behind. */
static int probe_fails_keeping_queue(struct virtio_device *vdev)
{
	struct virtqueue *vq = virtio_find_single_vq(vdev, NULL, "leak");

	CHECK(!IS_ERR_OR_NULL(vq));
	return -ENOMEM;
}

static void failed_probe_leaving_queues_warns(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.drv.probe = probe_fails_keeping_queue;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	EXPECT_WARNS(1);
	unbind_all(fd); /* fake_dev_free deletes the queue left behind */
	kfree(token);
	token = NULL;
	fake_end();
}

static void remove_keeps_queues(struct virtio_device *vdev)
{
	vdev->config->reset(vdev);
}

static void remove_leaving_queues_warns(void)
{
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	drv.vqs_in_probe = 1;
	drv.drv.remove = remove_keeps_queues;
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	unregister_virtio_device(&fd->vdev);
	EXPECT_WARNS(1);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
	kfree(token);
	token = NULL;
	fake_end();
}

static void deleting_queue_with_buffers_warns(void)
{
	struct virtqueue *vq;
	struct fake_dev *fd;

	begin();
	fake_driver_init(&drv, "rng", rng_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = new_rng();
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	vq = find_counted_vq(fd);
	add_one(vq);
	/* The driver's remove resets and deletes without detaching: the
	 * token is dropped. */
	unbind_all(fd);
	EXPECT_WARNS(1);
	kfree(token);
	token = NULL;
	fake_end();
}

HARNESS_MAIN(TESTS)

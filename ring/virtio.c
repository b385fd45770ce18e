// SPDX-License-Identifier: GPL-2.0
/*
 * virtio.c - the virtio bus: devices, drivers, feature negotiation and the
 * status handshake, with the semantics of Linux 3.7.1 (plus the 1.x
 * FEATURES_OK step and the later config-change hold-back).
 *
 * Notes:
 *
 * 1. Matching: a driver's id table entry matches when its device id equals
 *    the device's (or is VIRTIO_DEV_ANY_ID) and its vendor equals the
 *    device's (or is VIRTIO_DEV_ANY_ID); the table ends at device id 0.
 *    The first driver (in registration order) whose probe succeeds binds.
 *
 * 2. Negotiation: dev->features = device features & (the driver's feature
 *    table | the transport bits the ring implements: INDIRECT_DESC,
 *    EVENT_IDX, VERSION_1); finalize_features
 *    then tells the transport. A device offering bits outside that set gets
 *    none of them, whether or not its transport filters them. The
 *    transport, not the device, says whether it is modern (ops->modern): a
 *    legacy one never negotiates VERSION_1, and on a modern one a device
 *    that does not offer VERSION_1 fails the probe (-ENODEV) before the
 *    driver sees it, as under Linux's modern PCI transport.
 *
 * 3. Status: see the diagram in linux/virtio_config.h. Every status write
 *    reads the current status first and adds one bit (add_status), as Linux
 *    does; a device that lies in its read-back can only hurt itself, except
 *    for FEATURES_OK, whose read-back decides whether the probe goes on.
 *
 * 4. Device input here (features, status, generation) is untrusted, but
 *    nothing is indexed by it: no validation beyond note 3 is needed.
 *
 * 5. Broken device. A device that breaks a rule the registry relies on (a
 *    config read whose generation never settles), or that its transport
 *    gave up on (virtio_break_device), is broken as a whole, not only its
 *    current queues: dev->broken is set, queues created on it later start
 *    broken, and a probe that returns while it is broken fails with -EIO
 *    (one that returned 0 is undone through the driver's remove first).
 *    A probe of a device already broken fails before the driver sees it.
 *    Only registering the device again clears it.
 *
 * 6. Interrupts. A device must not notify before DRIVER_OK, nor after a
 *    reset. The queues of a registered device ignore interrupts
 *    (dev->quiesced, IRQ_NONE) from its registration until the registry
 *    sets DRIVER_OK, and again from any reset on: the registry's own, and
 *    the driver's, which the transport's reset op reports through
 *    virtio_reset_begin. Adding, kicking and polling work throughout, so a
 *    3.7.1 driver may fill its queues in probe; a queue whose device used
 *    buffers before DRIVER_OK gets its callback once DRIVER_OK is set, so
 *    no interrupt is lost, only deferred. Interrupts reach a driver's
 *    remove until it resets the device (a 3.7.1 balloon driver waits for
 *    the device there).
 *
 * 7. Teardown. A queue deleted while its bound device may still use it
 *    (DRIVER_OK and no reset since: the driver's remove forgot to reset)
 *    resets the device first (virtio_ring.c note 9), so no device writes
 *    into freed rings, whatever the driver's remove does. After remove the
 *    registry resets a device whose status is still non-zero.
 *
 * 8. Driver bugs the registry reports (WARN): a probe that failed, or a
 *    remove, leaving queues on dev->vqs, and (virtio_ring.c) a queue
 *    deleted with buffers outstanding, whose tokens are lost.
 */
#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>

#include <assert.h>

#ifndef RINGSIDE_PLANT_BUG
#define RINGSIDE_PLANT_BUG 0 /* virtio_ring.c note 8: bugs 9 and 10 */
#endif

/* Indices name devices "virtio%u"; the lowest free one is taken. */
#define VIRTIO_INDEX_MAX 4096
static unsigned long virtio_index_used[VIRTIO_INDEX_MAX / BITS_PER_LONG];

/* Bounded retries of a config read while the generation moves. */
#define VIRTIO_CONFIG_READ_TRIES 64

static int virtio_dev_match(struct device *dv, struct device_driver *dr);
static int virtio_dev_probe(struct device *d);
static int virtio_dev_remove(struct device *d);

static struct bus_type virtio_bus = {
	.name = "virtio",
	.match = virtio_dev_match,
	.probe = virtio_dev_probe,
	.remove = virtio_dev_remove,
	BUS_TYPE_LISTS_INIT(virtio_bus),
};

static int virtio_index_get(void)
{
	unsigned int i;

	for (i = 0; i < VIRTIO_INDEX_MAX; i++) {
		if (!test_bit(i, virtio_index_used)) {
			set_bit(i, virtio_index_used);
			return (int)i;
		}
	}
	return -ENOSPC;
}

static void virtio_index_put(int index)
{
	assert(index >= 0 && index < VIRTIO_INDEX_MAX);
	assert(test_bit((unsigned int)index, virtio_index_used));
	clear_bit((unsigned int)index, virtio_index_used);
}

static void add_status(struct virtio_device *dev, unsigned int status)
{
	dev->config->set_status(dev,
				(u8)(dev->config->get_status(dev) | status));
}

/* Note 6: every reset quiesces the queues first. */
void virtio_reset_begin(struct virtio_device *dev)
{
	WRITE_ONCE(dev->quiesced, true);
}

static void virtio_reset(struct virtio_device *dev)
{
	virtio_reset_begin(dev);
	dev->config->reset(dev);
}

/* Note 6: DRIVER_OK is set; interrupts held back since registration or
 * the last reset are delivered now. _safe: a callback may delete its own
 * queue. */
static void virtio_device_ready(struct virtio_device *dev)
{
	struct virtqueue *vq, *next;

	WRITE_ONCE(dev->quiesced, false);
	list_for_each_entry_safe (vq, next, &dev->vqs, list)
		virtqueue_device_ready(vq);
}

/* --- matching (note 1) ------------------------------------------------- */

static bool virtio_id_match(const struct virtio_device *dev,
			    const struct virtio_device_id *id)
{
	if (id->device != dev->id.device && id->device != VIRTIO_DEV_ANY_ID)
		return false;
	return id->vendor == VIRTIO_DEV_ANY_ID || id->vendor == dev->id.vendor;
}

static int virtio_dev_match(struct device *dv, struct device_driver *dr)
{
	const struct virtio_device *dev = dev_to_virtio(dv);
	const struct virtio_device_id *ids = drv_to_virtio(dr)->id_table;
	unsigned int i;

	for (i = 0; ids[i].device; i++)
		if (virtio_id_match(dev, &ids[i]))
			return 1;
	return 0;
}

/* --- probe and remove -------------------------------------------------- */

static bool virtio_offered(u64 device_features, unsigned int bit)
{
	return bit < VIRTIO_FEATURES_MAX && (device_features >> bit) & 1;
}

/* Note 2. */
static void virtio_negotiate(struct virtio_device *dev,
			     const struct virtio_driver *drv,
			     u64 device_features)
{
	unsigned int i;

	memset(dev->features, 0, sizeof(dev->features));
	/* The transport bits the ring implements, whatever the device
	 * offers and whether or not the transport filters them. */
	for (i = VIRTIO_TRANSPORT_F_START;
	     i < (RINGSIDE_PLANT_BUG == 9 ? VIRTIO_FEATURES_MAX
					  : VIRTIO_TRANSPORT_F_END);
	     i++)
		if (virtio_offered(device_features, i))
			set_bit(i, dev->features);
	vring_transport_features(dev);
	for (i = 0; i < drv->feature_table_size; i++) {
		unsigned int f = drv->feature_table[i];

		if (WARN_ON(f >= VIRTIO_FEATURES_MAX))
			continue;
		if (virtio_offered(device_features, f))
			set_bit(f, dev->features);
	}
	/* VERSION_1 only on a transport that is modern. */
	if (!dev->config->modern)
		clear_bit(VIRTIO_F_VERSION_1, dev->features);
}

/* Note 2: a modern transport whose device is not a 1.x device. */
static int virtio_check_modern(struct virtio_device *dev, u64 device_features)
{
	if (!dev->config->modern ||
	    virtio_offered(device_features, VIRTIO_F_VERSION_1))
		return 0;
	dev_err(&dev->dev, "virtio: device uses modern interface but does not "
			   "have VIRTIO_F_VERSION_1\n");
	return -ENODEV;
}

/* The 1.x handshake: a device may refuse the features the driver chose by
 * clearing FEATURES_OK; then the probe must fail. Legacy devices skip it. */
static int virtio_features_ok(struct virtio_device *dev)
{
	if (!test_bit(VIRTIO_F_VERSION_1, dev->features))
		return 0;
	add_status(dev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(dev->config->get_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		dev_err(&dev->dev, "virtio: device refuses features\n");
		return -ENODEV;
	}
	return 0;
}

static void virtio_config_enable(struct virtio_device *dev)
{
	dev->config_enabled = true;
	if (dev->config_change_pending) {
		dev->config_change_pending = false;
		virtio_config_changed(dev);
	}
}

static void virtio_config_disable(struct virtio_device *dev)
{
	dev->config_enabled = false;
}

/* Note 5: the driver's probe returned 0 on a device that broke meanwhile;
 * its remove must undo what the probe did. */
static int virtio_undo_probe(struct virtio_device *dev,
			     struct virtio_driver *drv)
{
	if (drv->remove)
		drv->remove(dev);
	return -EIO;
}

/* Steps 2 and 3 of the probe: features, up to FEATURES_OK. */
static int virtio_dev_features(struct virtio_device *dev,
			       struct virtio_driver *drv)
{
	u64 device_features = dev->config->get_features(dev);
	int err = virtio_check_modern(dev, device_features);

	if (err)
		return err;
	virtio_negotiate(dev, drv, device_features);
	dev->config->finalize_features(dev);
	return virtio_features_ok(dev);
}

static int virtio_dev_probe(struct device *d)
{
	struct virtio_device *dev = dev_to_virtio(d);
	struct virtio_driver *drv = drv_to_virtio(dev->dev.driver);
	int err;

	add_status(dev, VIRTIO_CONFIG_S_DRIVER);
	err = dev->broken ? -EIO : virtio_dev_features(dev, drv);
	if (err)
		goto failed;
	err = drv->probe(dev);
	if (dev->dev.driver != &drv->driver)
		return 0; /* unplugged during its own probe: already removed */
	if (dev->broken)
		err = err ? -EIO : virtio_undo_probe(dev, drv);
	if (err) {
		WARN(!list_empty(&dev->vqs), "failed probe left its queues");
		goto failed;
	}
	add_status(dev, VIRTIO_CONFIG_S_DRIVER_OK);
	virtio_device_ready(dev);
	if (drv->scan)
		drv->scan(dev);
	virtio_config_enable(dev);
	return 0;
failed:
	add_status(dev, VIRTIO_CONFIG_S_FAILED);
	return err;
}

/* The driver's remove must reset the device. If the status still reads
 * non-zero, reset it here: a device left running could write into memory
 * the driver is about to free. */
static void virtio_ensure_reset(struct virtio_device *dev)
{
	virtio_reset_begin(dev);
	if (!dev->config->get_status(dev))
		return;
	dev->config->reset(dev);
	if (dev->config->get_status(dev))
		dev_warn(&dev->dev, "virtio: device ignores reset\n");
	else
		dev_warn(&dev->dev, "virtio: driver did not reset device\n");
}

static int virtio_dev_remove(struct device *d)
{
	struct virtio_device *dev = dev_to_virtio(d);
	struct virtio_driver *drv = drv_to_virtio(dev->dev.driver);

	virtio_config_disable(dev);
	if (drv->remove)
		drv->remove(dev);
	virtio_ensure_reset(dev);
	WARN(!list_empty(&dev->vqs), "driver's remove left its queues");
	/* Acknowledge the device's existence again. */
	add_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	return 0;
}

/* --- devices ----------------------------------------------------------- */

int register_virtio_device(struct virtio_device *dev)
{
	int err;

	if (WARN_ON(!dev || !dev->config))
		return -EINVAL;
	dev->dev.bus = &virtio_bus;
	if (WARN_ON(device_is_registered(&dev->dev)))
		return -EEXIST;

	err = virtio_index_get();
	if (err < 0)
		goto out;
	dev->index = err;
	dev_set_name(&dev->dev, "virtio%u", (unsigned int)dev->index);
	dev->dev.driver = NULL;
	dev->config_enabled = false;
	dev->config_change_pending = false;
	dev->broken = false; /* note 5: a new device */
	INIT_LIST_HEAD(&dev->vqs);

	/* Start from a reset, in case a previous driver messed it up. */
	virtio_reset(dev);
	add_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);

	/* Binds it to the first matching driver whose probe succeeds. */
	err = device_register(&dev->dev);
	if (err)
		virtio_index_put(dev->index);
out:
	if (err)
		add_status(dev, VIRTIO_CONFIG_S_FAILED);
	return err;
}

void unregister_virtio_device(struct virtio_device *dev)
{
	int index;

	if (WARN_ON(!dev || !device_is_registered(&dev->dev)))
		return;
	index = dev->index; /* saved for after the device is released */
	device_unregister(&dev->dev);
	virtio_index_put(index);
}

void virtio_break_device(struct virtio_device *dev)
{
	struct virtqueue *vq;

	WRITE_ONCE(dev->broken, true); /* note 5 */
	if (!dev->vqs.next)
		return; /* never registered, no queues */
	list_for_each_entry (vq, &dev->vqs, list)
		virtqueue_break(vq);
}

void virtio_config_changed(struct virtio_device *dev)
{
	struct virtio_driver *drv;

	if (!dev->config_enabled) {
		dev->config_change_pending = true;
		return;
	}
	if (!dev->dev.driver)
		return;
	drv = drv_to_virtio(dev->dev.driver);
	if (drv->config_changed)
		drv->config_changed(dev);
}

void virtio_cread_bytes(struct virtio_device *vdev, unsigned int offset,
			void *buf, size_t len)
{
	unsigned int tries;
	u32 before, after;

	if (!vdev->config->generation) {
		vdev->config->get(vdev, offset, buf, (unsigned int)len);
		return;
	}
	for (tries = 0; tries < VIRTIO_CONFIG_READ_TRIES; tries++) {
		before = vdev->config->generation(vdev);
		vdev->config->get(vdev, offset, buf, (unsigned int)len);
		after = vdev->config->generation(vdev);
		if (before == after)
			return;
	}
	dev_err(&vdev->dev, "virtio: config generation never settles\n");
	virtio_break_device(vdev);
}

/* --- drivers ----------------------------------------------------------- */

void virtio_check_driver_offered_feature(const struct virtio_device *vdev,
					 unsigned int fbit)
{
	const struct virtio_driver *drv;
	unsigned int i;

	if (!vdev->dev.driver)
		return; /* a transport asking, not a driver */
	drv = drv_to_virtio(vdev->dev.driver);
	for (i = 0; i < drv->feature_table_size; i++)
		if (drv->feature_table[i] == fbit)
			return;
	/* Linux 3.7 calls BUG(): a driver testing a feature it never
	 * offered is a driver bug. */
	WARN(1, "driver tests feature %u it did not offer", fbit);
}

int register_virtio_driver(struct virtio_driver *driver)
{
	unsigned int i;

	if (WARN_ON(!driver || !driver->id_table || !driver->probe))
		return -EINVAL;
	if (WARN_ON(driver->feature_table_size && !driver->feature_table))
		return -EINVAL;
	for (i = 0; RINGSIDE_PLANT_BUG == 10 && i < driver->feature_table_size;
	     i++)
		if (driver->feature_table[i] >= VIRTIO_TRANSPORT_F_START)
			return -EINVAL;
	driver->driver.bus = &virtio_bus;
	return driver_register(&driver->driver);
}

void unregister_virtio_driver(struct virtio_driver *driver)
{
	if (WARN_ON(!driver))
		return;
	driver_unregister(&driver->driver);
}

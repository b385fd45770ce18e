/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/virtio.h - virtqueues, virtio devices and drivers: the API of
 * Linux 3.7.1, plus the later calls users expect (marked "later Linux").
 *
 * Locking: the caller serialises all virtqueue operations on one queue,
 * except virtqueue_notify, virtqueue_disable_cb and
 * virtqueue_get_vring_size, as in Linux.
 */
#ifndef _LINUX_VIRTIO_H
#define _LINUX_VIRTIO_H

#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/mod_devicetable.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/**
 * struct virtqueue - a queue to register buffers for sending or receiving.
 * @list: the chain of virtqueues for this device
 * @callback: the function to call when buffers are consumed (can be NULL).
 * @name: the name of this virtqueue (mainly for debugging)
 * @vdev: the virtio device this queue was created for.
 * @index: the zero-based ordinal number for this queue (later Linux).
 * @num_free: number of free descriptors (later Linux; read-only for users).
 * @priv: a pointer for the virtqueue implementation to use.
 */
struct virtqueue {
	struct list_head list;
	void (*callback)(struct virtqueue *vq);
	const char *name;
	struct virtio_device *vdev;
	unsigned int index;
	unsigned int num_free;
	void *priv;
};

/*
 * virtqueue_add_buf - expose a buffer to the other end.
 * @sg: out readable entries followed by in writable entries.
 * @data: the token identifying the buffer (non-NULL).
 * @gfp: how to allocate an indirect table, if one is used.
 *
 * Returns the remaining capacity of the queue, or a negative error: -ENOSPC
 * when there are not enough free descriptors (the device is notified if the
 * buffer had readable parts), -EIO when the queue is broken, -EINVAL for a
 * request that can never be valid (NULL token, no entries, more entries than
 * the ring, a buffer outside guest memory; each also a WARN).
 */
int virtqueue_add_buf(struct virtqueue *vq, struct scatterlist sg[],
		      unsigned int out_num, unsigned int in_num, void *data,
		      gfp_t gfp);
/* Later Linux: only readable / only writable entries, or several
 * scatterlists each ending at its sg end marker. */
int virtqueue_add_outbuf(struct virtqueue *vq, struct scatterlist sg[],
			 unsigned int num, void *data, gfp_t gfp);
int virtqueue_add_inbuf(struct virtqueue *vq, struct scatterlist sg[],
			unsigned int num, void *data, gfp_t gfp);
int virtqueue_add_sgs(struct virtqueue *vq, struct scatterlist *sgs[],
		      unsigned int out_sgs, unsigned int in_sgs, void *data,
		      gfp_t gfp);

void virtqueue_kick(struct virtqueue *vq);
bool virtqueue_kick_prepare(struct virtqueue *vq);
void virtqueue_notify(struct virtqueue *vq);
void *virtqueue_get_buf(struct virtqueue *vq, unsigned int *len);
void virtqueue_disable_cb(struct virtqueue *vq);
bool virtqueue_enable_cb(struct virtqueue *vq);
bool virtqueue_enable_cb_delayed(struct virtqueue *vq);
void *virtqueue_detach_unused_buf(struct virtqueue *vq);
unsigned int virtqueue_get_vring_size(struct virtqueue *vq);
int virtqueue_get_queue_index(struct virtqueue *vq);
/* Later Linux: true once the queue stopped trusting its device. */
bool virtqueue_is_broken(struct virtqueue *vq);

/**
 * struct virtio_device - representation of a device using virtio
 * @index: unique position on the virtio bus
 * @dev: underlying device.
 * @id: the device type identification (used to match it with a driver).
 * @config: the configuration ops for this device.
 * @vqs: the list of virtqueues for this device.
 * @features: the features supported by both driver and device; 64 bits
 *            (VIRTIO_F_VERSION_1 is bit 32), a set_bit-style bitmap.
 * @priv: private pointer for the driver's use.
 * @config_enabled, @config_change_pending: config-change callbacks are held
 *            back until the driver is ready for them (later Linux).
 * @broken: (ringside) the device broke a rule the registry relies on (a
 *            config read that never settled, or its transport gave up on
 *            it): queues created on it start broken and its probe fails
 *            with -EIO. Cleared only by registering the device again.
 * @quiesced: (ringside) its queues ignore interrupts: from registration
 *            until the registry sets DRIVER_OK, and again from a reset on
 *            (virtio_reset_begin). A device never registered (a queue
 *            made by hand) is not quiesced.
 */
struct virtio_device {
	int index;
	struct device dev;
	struct virtio_device_id id;
	const struct virtio_config_ops *config;
	struct list_head vqs;
	unsigned long features[64 / (8 * sizeof(unsigned long))];
	void *priv;
	bool config_enabled;
	bool config_change_pending;
	bool broken;
	bool quiesced;
};

#define dev_to_virtio(_dev) container_of(_dev, struct virtio_device, dev)

int register_virtio_device(struct virtio_device *dev);
void unregister_virtio_device(struct virtio_device *dev);
/* Later Linux: marks every queue of dev broken (a transport that gave up
 * on its device, e.g. after DEVICE_NEEDS_RESET or surprise removal). */
void virtio_break_device(struct virtio_device *dev);
/* Ringside: a transport's reset op calls this before it resets the device,
 * so that no queue callback runs from the reset on, whichever caller reset
 * it (3.7.1 drivers call config->reset directly). The registry calls it
 * for the resets it makes itself. */
void virtio_reset_begin(struct virtio_device *dev);
/* Later Linux: the transport's config-change interrupt. Calls the driver's
 * config_changed, or holds it back until the probe has finished. */
void virtio_config_changed(struct virtio_device *dev);

/**
 * struct virtio_driver - operations for a virtio I/O driver
 * @driver: underlying device driver (populate name and owner).
 * @id_table: the ids serviced by this driver, ending with a zero device.
 * @feature_table: an array of feature numbers supported by this driver.
 * @feature_table_size: number of entries in the feature table array.
 * @probe: the function to call when a device is found.  Returns 0 or -errno.
 * @scan: optional function to call after successful probe; intended
 *    for virtio-scsi to invoke a scan.
 * @remove: the function to call when a device is removed; it must reset
 *    the device and delete its queues.
 * @config_changed: optional function to call when the device configuration
 *    changes; may be called in interrupt context.
 */
struct virtio_driver {
	struct device_driver driver;
	const struct virtio_device_id *id_table;
	const unsigned int *feature_table;
	unsigned int feature_table_size;
	int (*probe)(struct virtio_device *dev);
	void (*scan)(struct virtio_device *dev);
	void (*remove)(struct virtio_device *dev);
	void (*config_changed)(struct virtio_device *dev);
	int (*freeze)(struct virtio_device *dev);
	int (*restore)(struct virtio_device *dev);
};

static inline struct virtio_driver *drv_to_virtio(struct device_driver *drv)
{
	return container_of(drv, struct virtio_driver, driver);
}

int register_virtio_driver(struct virtio_driver *drv);
void unregister_virtio_driver(struct virtio_driver *drv);

#endif /* _LINUX_VIRTIO_H */

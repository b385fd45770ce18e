/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/virtio_config.h - the transport's operations, status and feature
 * bits, and the config-space helpers drivers use.
 *
 * Device status, as the driver moves it (each arrow sets one more bit;
 * FAILED may be added from any state, a reset returns to 0):
 *
 *   0 --register--> ACKNOWLEDGE --probe--> DRIVER
 *       DRIVER --features finalised, 1.x only--> FEATURES_OK
 *       --probe ok--> DRIVER_OK          --probe failed--> FAILED
 *   DRIVER_OK --driver's remove resets--> 0 --registry--> ACKNOWLEDGE
 *
 * The device may set DEVICE_NEEDS_RESET (64) on its own.
 */
#ifndef _LINUX_VIRTIO_CONFIG_H
#define _LINUX_VIRTIO_CONFIG_H

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/virtio.h>

#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1
#define VIRTIO_CONFIG_S_DRIVER 2
#define VIRTIO_CONFIG_S_DRIVER_OK 4
#define VIRTIO_CONFIG_S_FEATURES_OK 8
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_S_FAILED 0x80

/* Feature bits 0..23 belong to the device type; 24..37 to the transport
 * and the ring (VIRTIO_TRANSPORT_F_END was 32 in 3.7.1, before 1.x). */
#define VIRTIO_TRANSPORT_F_START 28
#define VIRTIO_TRANSPORT_F_END 38
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_FEATURES_MAX 64

typedef void vq_callback_t(struct virtqueue *);

/**
 * struct virtio_config_ops - operations for configuring a virtio device
 * @get: read the value of a configuration field
 * @set: write the value of a configuration field
 * @get_status: read the status byte
 * @set_status: write the status byte (never 0: use reset)
 * @reset: reset the device; afterwards status reads 0 and no callbacks run
 *	(the op calls virtio_reset_begin first: the queues then ignore
 *	interrupts until the next DRIVER_OK)
 * @find_vqs: find (create) the virtqueues; returns 0 or -errno
 * @del_vqs: free the virtqueues found by find_vqs()
 * @get_features: the device's feature bits (64 of them: 1.x needs bit 32)
 * @finalize_features: confirm what the driver negotiated in vdev->features;
 *	the transport writes them to the device
 * @bus_name: the name of the bus the device sits on (e.g. its PCI address)
 * @generation: optional (later Linux): the config generation counter, so
 *	reads wider than the device's atomicity see one consistent value
 * @modern: (ringside) what the transport is, never what the device says:
 *	true for a virtio 1.x transport (the device must offer VERSION_1 and
 *	the FEATURES_OK step follows; a device without it fails the probe, as
 *	under Linux's modern PCI transport), false for a legacy one (which
 *	cannot carry VERSION_1: the registry never negotiates it)
 */
struct virtio_config_ops {
	void (*get)(struct virtio_device *vdev, unsigned offset, void *buf,
		    unsigned len);
	void (*set)(struct virtio_device *vdev, unsigned offset,
		    const void *buf, unsigned len);
	u8 (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, u8 status);
	void (*reset)(struct virtio_device *vdev);
	int (*find_vqs)(struct virtio_device *vdev, unsigned nvqs,
			struct virtqueue *vqs[], vq_callback_t *callbacks[],
			const char *names[]);
	void (*del_vqs)(struct virtio_device *vdev);
	u64 (*get_features)(struct virtio_device *vdev);
	void (*finalize_features)(struct virtio_device *vdev);
	const char *(*bus_name)(struct virtio_device *vdev);
	u32 (*generation)(struct virtio_device *vdev);
	bool modern;
};

/* Reports a driver that tests a feature it did not list in its table. */
void virtio_check_driver_offered_feature(const struct virtio_device *vdev,
					 unsigned int fbit);

/**
 * virtio_has_feature - did the device and driver agree on a feature?
 * @fbit: the feature bit, below VIRTIO_FEATURES_MAX. Device-type bits must
 * be in the driver's feature table (reported otherwise).
 */
static inline bool virtio_has_feature(const struct virtio_device *vdev,
				      unsigned int fbit)
{
	if (WARN_ON(fbit >= VIRTIO_FEATURES_MAX))
		return false;
	if (fbit < VIRTIO_TRANSPORT_F_START)
		virtio_check_driver_offered_feature(vdev, fbit);
	return test_bit(fbit, vdev->features);
}

/* virtio_config_buf - read a config field that exists only with fbit.
 * Returns 0, or -ENOENT when the feature was not negotiated. */
static inline int virtio_config_buf(struct virtio_device *vdev,
				    unsigned int fbit, unsigned int offset,
				    void *buf, unsigned len)
{
	if (!virtio_has_feature(vdev, fbit))
		return -ENOENT;
	vdev->config->get(vdev, offset, buf, len);
	return 0;
}

#define virtio_config_val(vdev, fbit, offset, v)                               \
	virtio_config_buf((vdev), (fbit), (offset), (v), sizeof(*(v)))

static inline struct virtqueue *
virtio_find_single_vq(struct virtio_device *vdev, vq_callback_t *c,
		      const char *n)
{
	vq_callback_t *callbacks[] = { c };
	const char *names[] = { n };
	struct virtqueue *vq;
	int err = vdev->config->find_vqs(vdev, 1, &vq, callbacks, names);
	if (err < 0)
		return (struct virtqueue *)ERR_PTR(err);
	return vq;
}

static inline const char *virtio_bus_name(struct virtio_device *vdev)
{
	if (!vdev->config->bus_name)
		return "virtio";
	return vdev->config->bus_name(vdev);
}

/*
 * Later Linux: config reads that retry while the device's generation
 * counter moves, so a multi-byte field is never torn by a concurrent
 * config change. The retries are bounded: a device whose generation never
 * settles is broken (virtio_break_device) and the last value is returned.
 */
void virtio_cread_bytes(struct virtio_device *vdev, unsigned int offset,
			void *buf, size_t len);

static inline u8 virtio_cread8(struct virtio_device *vdev, unsigned offset)
{
	u8 v;
	virtio_cread_bytes(vdev, offset, &v, sizeof(v));
	return v;
}

static inline u16 virtio_cread16(struct virtio_device *vdev, unsigned offset)
{
	u16 v;
	virtio_cread_bytes(vdev, offset, &v, sizeof(v));
	return v;
}

static inline u32 virtio_cread32(struct virtio_device *vdev, unsigned offset)
{
	u32 v;
	virtio_cread_bytes(vdev, offset, &v, sizeof(v));
	return v;
}

static inline u64 virtio_cread64(struct virtio_device *vdev, unsigned offset)
{
	u64 v;
	virtio_cread_bytes(vdev, offset, &v, sizeof(v));
	return v;
}

static inline void virtio_cwrite8(struct virtio_device *vdev, unsigned offset,
				  u8 val)
{
	vdev->config->set(vdev, offset, &val, sizeof(val));
}

static inline void virtio_cwrite16(struct virtio_device *vdev, unsigned offset,
				   u16 val)
{
	vdev->config->set(vdev, offset, &val, sizeof(val));
}

static inline void virtio_cwrite32(struct virtio_device *vdev, unsigned offset,
				   u32 val)
{
	vdev->config->set(vdev, offset, &val, sizeof(val));
}

#endif /* _LINUX_VIRTIO_CONFIG_H */

/*
 * sim_transport.c - the simulated virtio transport (see sim_transport.h
 * for the notes referred to here).
 */
#include "sim_transport.h"

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define SIMT_LEGACY_FEATURES 0xffffffffULL

_Static_assert(SIMT_MAX_QUEUES <= 32, "notify_pending is a u32 bitmap");

struct simt_transport *simt_of(struct virtio_device *vdev)
{
	return container_of(vdev, struct simt_transport, vdev);
}

u64 transport_features_u64(const struct virtio_device *vdev)
{
	u64 f = 0;
	unsigned int bit;

	for (bit = 0; bit < VIRTIO_FEATURES_MAX; bit++)
		if (test_bit(bit, vdev->features))
			f |= 1ULL << bit;
	return f;
}

u64 simt_offered_features(const struct simt_transport *t)
{
	if (t->mode == SIMT_LEGACY)
		return t->ops->features & SIMT_LEGACY_FEATURES;
	return t->ops->features | (1ULL << VIRTIO_F_VERSION_1);
}

/* --- config space (note 5) ---------------------------------------------- */

static bool simt_config_range(struct simt_transport *t, unsigned int offset,
			      unsigned int len)
{
	unsigned int size = t->ops->config_size;

	if (offset > size || len > size - offset) {
		t->counters.config_oob++;
		return false;
	}
	return true;
}

/* Note 6: one byte at a time, the device may change its config before
 * each. */
static void simt_get_bytewise(struct simt_transport *t, unsigned int offset,
			      u8 *buf, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		t->mid_read(t->mid_read_ctx);
		t->ops->config_read(t->ctx, offset + i, buf + i, 1);
	}
}

static void simt_get(struct virtio_device *vdev, unsigned offset, void *buf,
		     unsigned len)
{
	struct simt_transport *t = simt_of(vdev);

	t->counters.config_reads++;
	if (!simt_config_range(t, offset, len)) {
		memset(buf, 0xff, len);
		return;
	}
	if (!t->ops->config_read) {
		memset(buf, 0, len);
		return;
	}
	if (!t->mid_read) {
		t->ops->config_read(t->ctx, offset, buf, len);
		return;
	}
	simt_get_bytewise(t, offset, buf, len);
}

static void simt_set(struct virtio_device *vdev, unsigned offset,
		     const void *buf, unsigned len)
{
	struct simt_transport *t = simt_of(vdev);

	t->counters.config_writes++;
	if (simt_config_range(t, offset, len) && t->ops->config_write)
		t->ops->config_write(t->ctx, offset, buf, len);
}

static u32 simt_generation(struct virtio_device *vdev)
{
	return simt_of(vdev)->config_generation;
}

void simt_config_change(struct simt_transport *t)
{
	t->config_generation++;
}

/* --- status (note 3) and features (note 2) ------------------------------ */

static u8 simt_get_status(struct virtio_device *vdev)
{
	struct simt_transport *t = simt_of(vdev);

	if (t->ops->status_read)
		return t->ops->status_read(t->ctx, t->status);
	return t->status;
}

/* FEATURES_OK sticks only where the mode has it and the device agreed. */
static u8 simt_filter_status(const struct simt_transport *t, u8 status)
{
	bool ok = t->mode == SIMT_MODERN && t->features_accepted &&
		  (t->driver_features >> VIRTIO_F_VERSION_1) & 1;

	if (!ok)
		status &= (u8)~VIRTIO_CONFIG_S_FEATURES_OK;
	return status;
}

static void simt_set_status(struct virtio_device *vdev, u8 status)
{
	struct simt_transport *t = simt_of(vdev);

	t->counters.status_writes++;
	if (status == 0)
		t->counters.zero_status_writes++;
	if (t->before_driver_ok && (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		t->before_driver_ok(t->before_driver_ok_ctx);
	t->status = simt_filter_status(t, status);
	if (t->ops->status_written)
		t->ops->status_written(t->ctx, t->status);
}

static void simt_reset(struct virtio_device *vdev)
{
	struct simt_transport *t = simt_of(vdev);

	virtio_reset_begin(vdev); /* no queue callback from here on */
	t->counters.resets++;
	t->status = 0;
	t->notify_pending = 0;
	t->driver_features = 0;
	t->features_accepted = false;
	if (t->ops->reset)
		t->ops->reset(t->ctx);
}

static u64 simt_get_features(struct virtio_device *vdev)
{
	return simt_offered_features(simt_of(vdev));
}

static void simt_finalize_features(struct virtio_device *vdev)
{
	struct simt_transport *t = simt_of(vdev);
	u64 f;

	vring_transport_features(vdev);
	f = transport_features_u64(vdev);
	/* What the device's feature register can hold. */
	f &= simt_offered_features(t);
	t->driver_features = f;
	t->features_accepted =
		!t->ops->accept_features || t->ops->accept_features(t->ctx, f);
	if (!t->features_accepted)
		t->counters.features_refused++;
}

static const char *simt_bus_name(struct virtio_device *vdev)
{
	struct simt_transport *t = simt_of(vdev);

	snprintf(t->bus_name, sizeof(t->bus_name), "sim%d", vdev->index);
	return t->bus_name;
}

/* --- queues (note 4) ---------------------------------------------------- */

static void simt_vq_notify(struct virtqueue *vq)
{
	struct simt_transport *t = simt_of(vq->vdev);
	unsigned int q = vq->index;

	assert(q < t->nvqs && t->queues[q].vq == vq);
	t->counters.kicks++;
	t->kicks[q]++;
	t->notify_pending |= 1u << q;
}

static void simt_drop_queues(struct simt_transport *t)
{
	unsigned int i;

	for (i = t->nvqs; i-- > 0;) {
		struct simt_queue *sq = &t->queues[i];

		vring_del_virtqueue(sq->vq);
		free_pages_exact(sq->pages, sq->bytes);
		memset(sq, 0, sizeof(*sq));
		if (t->ops->queue_setup)
			t->ops->queue_setup(t->ctx, i, 0, 0, 0, 0);
	}
	t->nvqs = 0;
	t->notify_pending = 0;
}

static bool simt_size_valid(unsigned int num)
{
	return num >= 1 && num <= VRING_MAX_SIZE && !(num & (num - 1));
}

static int simt_setup_queue(struct simt_transport *t, unsigned int i,
			    vq_callback_t *callback, const char *name)
{
	struct simt_queue *sq = &t->queues[i];
	unsigned int num =
		t->ops->queue_size ? t->ops->queue_size(t->ctx, i) : 0;
	size_t bytes;
	void *pages;

	assert(i == t->nvqs && !sq->vq);
	if (num == 0)
		return -ENOENT;
	if (!simt_size_valid(num)) {
		dev_warn(&t->vdev.dev, "sim: queue %u: bad size %u\n", i, num);
		return -EINVAL;
	}
	bytes = vring_size(num, SIMT_VRING_ALIGN);
	pages = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);
	if (!pages)
		return -ENOMEM;
	sq->vq = vring_new_virtqueue(i, num, SIMT_VRING_ALIGN, &t->vdev, true,
				     pages, simt_vq_notify, callback,
				     name ? name : "sim");
	if (!sq->vq) {
		free_pages_exact(pages, bytes);
		return -ENOMEM;
	}
	sq->pages = pages;
	sq->bytes = bytes;
	sq->ring_phys = virt_to_phys(pages);
	vring_init(&sq->vring, num, pages, SIMT_VRING_ALIGN);
	t->kicks[i] = 0;
	t->nvqs = i + 1;
	if (t->ops->queue_setup)
		t->ops->queue_setup(t->ctx, i, (u16)num,
				    virt_to_phys(sq->vring.desc),
				    virt_to_phys(sq->vring.avail),
				    virt_to_phys(sq->vring.used));
	return 0;
}

static int simt_find_vqs(struct virtio_device *vdev, unsigned nvqs,
			 struct virtqueue *vqs[], vq_callback_t *callbacks[],
			 const char *names[])
{
	struct simt_transport *t = simt_of(vdev);
	unsigned int i;
	int err = 0;

	t->counters.find_vqs++;
	if (t->nvqs)
		err = -EBUSY; /* find_vqs twice without del_vqs */
	else if (nvqs > SIMT_MAX_QUEUES)
		err = -ENOENT; /* the device has no such queue */
	for (i = 0; !err && i < nvqs; i++) {
		err = simt_setup_queue(t, i, callbacks ? callbacks[i] : NULL,
				       names ? names[i] : NULL);
		if (!err)
			vqs[i] = t->queues[i].vq;
	}
	if (err) {
		t->counters.find_vqs_failed++;
		if (err != -EBUSY)
			simt_drop_queues(t);
	}
	return err;
}

static void simt_del_vqs(struct virtio_device *vdev)
{
	struct simt_transport *t = simt_of(vdev);

	t->counters.del_vqs++;
	simt_drop_queues(t);
}

struct vring *simt_vring(struct simt_transport *t, unsigned int q)
{
	if (q >= t->nvqs)
		return NULL;
	return &t->queues[q].vring;
}

u64 simt_ring_phys(const struct simt_transport *t, unsigned int q)
{
	if (q >= t->nvqs)
		return RINGSIDE_BAD_PHYS;
	return t->queues[q].ring_phys;
}

/* --- the scheduler's side (note 1) -------------------------------------- */

bool simt_notify_pending(const struct simt_transport *t, unsigned int q)
{
	return q < t->nvqs && (t->notify_pending >> q) & 1;
}

bool simt_take_notify(struct simt_transport *t, unsigned int q)
{
	if (!simt_notify_pending(t, q))
		return false;
	t->notify_pending &= ~(1u << q);
	t->counters.kicks_delivered++;
	if (t->ops->notify)
		t->ops->notify(t->ctx, q);
	return true;
}

irqreturn_t simt_raise_queue_interrupt(struct simt_transport *t, unsigned int q)
{
	irqreturn_t ret = IRQ_NONE;

	t->counters.queue_interrupts++;
	if (q < t->nvqs)
		ret = vring_interrupt(0, t->queues[q].vq);
	if (ret == IRQ_NONE)
		t->counters.queue_interrupts_none++;
	return ret;
}

void simt_raise_config_interrupt(struct simt_transport *t)
{
	t->counters.config_interrupts++;
	virtio_config_changed(&t->vdev);
}

/* --- life cycle --------------------------------------------------------- */

static void simt_release(struct device *dev)
{
	simt_of(dev_to_virtio(dev))->counters.releases++;
}

static const struct virtio_config_ops simt_config_ops = {
	.get = simt_get,
	.set = simt_set,
	.get_status = simt_get_status,
	.set_status = simt_set_status,
	.reset = simt_reset,
	.find_vqs = simt_find_vqs,
	.del_vqs = simt_del_vqs,
	.get_features = simt_get_features,
	.finalize_features = simt_finalize_features,
	.bus_name = simt_bus_name,
	.generation = simt_generation,
};

int simt_init(struct simt_transport *t, const struct ringside_dm_ops *ops,
	      void *ctx, enum simt_mode mode)
{
	if (!t || !ops || (mode != SIMT_LEGACY && mode != SIMT_MODERN))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->config_ops = simt_config_ops;
	t->config_ops.modern = mode == SIMT_MODERN;
	t->ops = ops;
	t->ctx = ctx;
	t->mode = mode;
	t->vdev.config = &t->config_ops;
	t->vdev.id.device = ops->device_id;
	t->vdev.id.vendor = ops->vendor_id;
	t->vdev.dev.release = simt_release;
	INIT_LIST_HEAD(&t->vdev.vqs);
	return 0;
}

void simt_destroy(struct simt_transport *t)
{
	if (device_is_registered(&t->vdev.dev))
		unregister_virtio_device(&t->vdev);
	/* A driver that forgot del_vqs: the memory still goes back. */
	simt_drop_queues(t);
}

/*
 * sim_transport.h - the simulated virtio transport: every member of
 * struct virtio_config_ops, implemented over a device model given as a
 * small vtable, so that the production registry (ring/virtio.c) and ring
 * (ring/virtio_ring.c) run unchanged against simulated devices.
 *
 * Notes:
 *
 * 1. Nothing the driver does reaches the device model synchronously except
 *    what a register write would (status, features, config, reset). A kick
 *    only sets the queue's pending bit; the scheduler later calls
 *    simt_take_notify(), which hands it to the device model. Interrupts go
 *    the other way, only when the scheduler calls simt_raise_*(). So no
 *    device code ever runs inside a driver call: no re-entrancy.
 *
 * 2. Modes. Legacy: 32 feature bits (bits >= 32 are never offered, the
 *    driver's are truncated to 32), no FEATURES_OK (a write of it is not
 *    latched). Modern (1.x): 64 bits; the transport offers VERSION_1 itself
 *    (as QEMU's virtio-pci does) and latches FEATURES_OK only when the
 *    driver accepted VERSION_1 and the device model accepted the features.
 *
 * 3. Status, as the device model sees it:
 *
 *      set_status(s) --> stored (FEATURES_OK filtered by note 2)
 *                        --> ops->status_written(ctx, stored)
 *      reset()       --> stored = 0, pending kicks dropped --> ops->reset
 *      get_status()  --> ops->status_read(ctx, stored) if given (a device
 *                        may lie), else stored
 *
 * 4. Queues. find_vqs asks the device for each queue's size: 0 means the
 *    queue does not exist (-ENOENT); a size the split ring cannot have (not
 *    a power of two, above VRING_MAX_SIZE) is refused with -EINVAL. Ring
 *    memory comes from the guest-memory arena (alloc_pages_exact, zeroed,
 *    legacy alignment 4096). On any failure every queue made by the call
 *    is deleted and its memory freed before find_vqs returns.
 *
 * 5. Config space: accesses inside [0, config_size) go to the device
 *    model; others read 0xff bytes (what a bus returns for nothing) or are
 *    ignored, and are counted. The generation counter belongs to the
 *    transport and moves only on simt_config_change().
 *
 * 6. Config changes inside a read. A device may change its config while
 *    the driver reads it; only the generation tells the driver. When the
 *    user of the transport sets mid_read, a config read is made one byte
 *    at a time (as a bus narrower than the field does) and mid_read is
 *    called before each byte: it may change the config and move the
 *    generation (simt_config_change), and must do nothing else (no
 *    interrupt, no queue: the driver is inside its read).
 *
 * Every limit is fixed: at most SIMT_MAX_QUEUES queues per device.
 */
#ifndef RINGSIDE_SIM_TRANSPORT_H
#define RINGSIDE_SIM_TRANSPORT_H

#include <linux/interrupt.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <ringside/device_model.h>

/* The features a driver negotiated (vdev->features after
 * finalize_features) as one u64, as every transport of ours writes them
 * to its device (simulated, virtio-pci, vhost-user). The bits
 * themselves: virtio_has_feature() WARNs for a bit the driver's table
 * does not list. */
u64 transport_features_u64(const struct virtio_device *vdev);

#define SIMT_MAX_QUEUES 8
#define SIMT_VRING_ALIGN 4096u
#define SIMT_BUS_NAME_BYTES 16

enum simt_mode {
	SIMT_LEGACY = 1, /* 32 feature bits, no FEATURES_OK */
	SIMT_MODERN = 2, /* 64 feature bits, VERSION_1 and FEATURES_OK */
};

/*
 * The device model's side is the public device-model interface
 * (ringside/device_model.h): the transport reads its identity once at
 * simt_init and makes every callback with the ctx given there. It calls
 * queue_setup with the ring's guest-physical addresses when find_vqs made
 * a queue, and with size 0 when the queue goes.
 */
/* One queue: the driver's handle and the device's view of the same pages.
 * Written only by the transport; the device model reads it. */
struct simt_queue {
	struct virtqueue *vq; /* NULL when the queue does not exist */
	void *pages;	      /* the ring, in the guest-memory arena */
	size_t bytes;	      /* vring_size(num, SIMT_VRING_ALIGN) */
	u64 ring_phys;	      /* guest-physical address of the ring */
	struct vring vring;   /* the device's view (vring_init) */
};

struct simt_counters {
	u64 status_writes;
	u64 resets;
	u64 zero_status_writes; /* set_status(0): the API says never */
	u64 features_refused;	/* accept_features said no */
	u64 config_reads, config_writes;
	u64 config_oob; /* accesses outside the config space */
	u64 find_vqs, find_vqs_failed, del_vqs;
	u64 kicks;		   /* notify calls from the ring */
	u64 kicks_delivered;	   /* simt_take_notify that found one */
	u64 queue_interrupts;	   /* simt_raise_queue_interrupt calls */
	u64 queue_interrupts_none; /* ... that vring_interrupt disowned */
	u64 config_interrupts;	   /* simt_raise_config_interrupt calls */
	u64 releases;		   /* dev.release calls */
};

struct simt_transport {
	struct virtio_device vdev; /* registered by the user of the transport */
	struct virtio_config_ops config_ops;
	const struct ringside_dm_ops *ops;
	void *ctx;
	enum simt_mode mode;
	u8 status;		    /* the device's status register */
	u64 driver_features;	    /* as finalized by the driver */
	bool features_accepted;	    /* verdict at finalize_features */
	u32 config_generation;	    /* moved by simt_config_change */
	unsigned int nvqs;	    /* queues made by find_vqs, 0..MAX */
	u32 notify_pending;	    /* bit q: queue q was kicked */
	u64 kicks[SIMT_MAX_QUEUES]; /* kicks per queue */
	struct simt_queue queues[SIMT_MAX_QUEUES];
	struct simt_counters counters;
	char bus_name[SIMT_BUS_NAME_BYTES];
	/* Note 6: set by the transport's user after simt_init. */
	void (*mid_read)(void *ctx);
	void *mid_read_ctx;
	/* Called when the driver sets DRIVER_OK, before it is stored:
	 * `ringside check` gives the device its chance to act too early
	 * (nothing else sets it). */
	void (*before_driver_ok)(void *ctx);
	void *before_driver_ok_ctx;
};

/* Prepares t (not registered: call register_virtio_device(&t->vdev)).
 * Returns 0, or -EINVAL for a NULL ops or an unknown mode. */
int simt_init(struct simt_transport *t, const struct ringside_dm_ops *ops,
	      void *ctx, enum simt_mode mode);
/* Unregisters t if it is registered, then deletes any queue the driver
 * left and frees its memory. t may be initialised again afterwards. */
void simt_destroy(struct simt_transport *t);
struct simt_transport *simt_of(struct virtio_device *vdev);

/* The features the transport offers in its mode (note 2). */
u64 simt_offered_features(const struct simt_transport *t);

/* The device's view of queue q, or NULL when it does not exist. */
struct vring *simt_vring(struct simt_transport *t, unsigned int q);
u64 simt_ring_phys(const struct simt_transport *t, unsigned int q);

/* Notifications (note 1). */
bool simt_notify_pending(const struct simt_transport *t, unsigned int q);
/* Consumes the pending kick of queue q and delivers it to the device
 * model's notify. False (and nothing delivered) when none was pending. */
bool simt_take_notify(struct simt_transport *t, unsigned int q);

/* Interrupts, as a real transport's ISR would raise them. Queue: returns
 * vring_interrupt's answer (IRQ_NONE for a queue that does not exist). */
irqreturn_t simt_raise_queue_interrupt(struct simt_transport *t,
				       unsigned int q);
void simt_raise_config_interrupt(struct simt_transport *t);
/* The device changed its config: the generation moves. The interrupt is
 * separate (simt_raise_config_interrupt), for the scheduler to decide. */
void simt_config_change(struct simt_transport *t);

#endif /* RINGSIDE_SIM_TRANSPORT_H */

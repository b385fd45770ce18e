/*
 * ringside/device_model.h - the public interface of a virtio device model
 * that ringside drives in-process: our own simulated devices, and any
 * device model built as a plug-in and checked with
 * `ringside check lib:PATH` (ABI version RINGSIDE_DM_ABI_VERSION).
 *
 * The device sees nothing of ringside but this header: it never includes
 * <linux/...> or the ring's headers, and reaches guest memory only through
 * the host's accessors.
 *
 * Notes:
 *
 * 1. Single-threaded and driven. Every callback is made by ringside's
 *    scheduler, one at a time, never from inside another callback and
 *    never from another thread. A device does its work inside notify()
 *    and step(); it may not start threads or keep work running between
 *    calls. So a run is a function of the seed, as for our own devices.
 *
 * 2. Determinism. A device that wants variation (lengths, timing, which
 *    request first) draws from host->draw(): the run's one choice source.
 *    It never reads the clock, calls rand(), or lets a pointer value
 *    decide anything. Then the same seed gives the same run, and a FAIL
 *    replays.
 *
 * 3. Guest memory. Rings and buffers live in guest memory at
 *    guest-physical addresses. host->read() and host->write() copy bytes
 *    between guest memory and the device; they return 0, or -1 (nothing
 *    copied) when any byte of the range is outside guest memory. Ring
 *    fields are little-endian (1.x, and legacy on x86).
 *
 * 4. Interrupts. After it puts entries into a used ring, the device calls
 *    host->interrupt(ctx, queue) when the notification rules ask for one
 *    (virtio 1.2, 2.7.7.2); host->config_changed() after changing its
 *    configuration space. Both only record the request: ringside delivers
 *    it to the driver after the callback returns (no re-entrancy).
 *
 * 5. Life cycle, as the driver's transport makes the calls:
 *
 *      reset --> status 0 --> ACKNOWLEDGE --> DRIVER
 *        --> accept_features(f) [1.x: false refuses FEATURES_OK]
 *        --> status_written(... FEATURES_OK)
 *        --> queue_setup(q, size, desc, avail, used) per queue
 *        --> status_written(... DRIVER_OK) --> notify(q) / step() ...
 *        --> reset (queues are gone: queue_setup(q, 0, 0, 0, 0) first)
 *
 *    The status register is the transport's; status_written() tells the
 *    device each value the driver wrote, status_read() may add bits the
 *    device owns (DEVICE_NEEDS_RESET, 64).
 *
 * 6. Versioning. RINGSIDE_DM_ABI_VERSION changes whenever this header
 *    changes incompatibly. A plug-in exports the version it was built
 *    against (RINGSIDE_DM_PLUGIN_VERSION below) and ringside refuses a plug-in of
 *    another version with an error that names both.
 */
#ifndef _RINGSIDE_DEVICE_MODEL_H
#define _RINGSIDE_DEVICE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define RINGSIDE_DM_ABI_VERSION 1u

/* The most queues a device model may have. */
#define RINGSIDE_DM_MAX_QUEUES 8u

/*
 * struct ringside_dm_host - what ringside gives a device (note 3, 4, 2).
 * Every member is set; ctx goes back as the first argument.
 */
struct ringside_dm_host {
	uint32_t abi_version; /* RINGSIDE_DM_ABI_VERSION */
	void *ctx;
	int (*read)(void *ctx, uint64_t gpa, void *buf, uint32_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *buf, uint32_t len);
	/* A used buffer notification for queue. */
	void (*interrupt)(void *ctx, unsigned int queue);
	/* A configuration change notification. */
	void (*config_changed)(void *ctx);
	/* A value in [0, bound), from the run's choice source (bound >= 1). */
	uint64_t (*draw)(void *ctx, uint64_t bound);
};

/*
 * struct ringside_dm_ops - the device: its identity (the constant fields,
 * read once when the transport is set up) and its callbacks. Every
 * callback gets the ctx the device was created with. A NULL callback
 * means the default noted at the member.
 */
struct ringside_dm_ops {
	uint32_t abi_version; /* RINGSIDE_DM_ABI_VERSION */
	const char *name;     /* for reports */

	/* Identity. */
	uint32_t device_id; /* virtio device id: net 1, block 2, ... */
	uint32_t vendor_id;
	uint64_t features; /* offered (a legacy transport sees bits 0..31) */
	unsigned int config_size; /* bytes of device configuration space */
	unsigned int num_queues;  /* 1 .. RINGSIDE_DM_MAX_QUEUES */

	/* The maximum size of queue index; 0: the queue does not exist.
	 * Asked for any index, including ones >= num_queues. NULL: none. */
	uint16_t (*queue_size)(void *ctx, unsigned int index);
	/* The driver's features. false refuses them (1.x: FEATURES_OK then
	 * reads back cleared). NULL accepts. */
	bool (*accept_features)(void *ctx, uint64_t driver_features);
	/* Configuration space, always inside [0, config_size). NULL read
	 * gives zeros; NULL write ignores. */
	void (*config_read)(void *ctx, unsigned int offset, void *buf,
			    unsigned int len);
	void (*config_write)(void *ctx, unsigned int offset, const void *buf,
			     unsigned int len);
	/* Note 5. */
	void (*status_written)(void *ctx, uint8_t status);
	uint8_t (*status_read)(void *ctx, uint8_t stored);
	void (*reset)(void *ctx);
	/* Queue q lives at these guest-physical addresses with size entries
	 * (size 0: the queue was deleted). */
	void (*queue_setup)(void *ctx, unsigned int queue, uint16_t size,
			    uint64_t desc, uint64_t avail, uint64_t used);
	/* The driver notified queue q (a kick). */
	void (*notify)(void *ctx, unsigned int queue);
	/* A turn without a kick: work the device deferred. NULL: none. */
	void (*step)(void *ctx);
	/* Frees what create made. */
	void (*destroy)(void *ctx);
};

/*
 * A plug-in (a shared library for `ringside check lib:PATH[,OPTIONS]`)
 * exports two symbols:
 *
 *   const uint32_t ringside_dm_abi_version = RINGSIDE_DM_ABI_VERSION;
 *   int ringside_dm_create(const struct ringside_dm_host *host,
 *                          const char *options,
 *                          const struct ringside_dm_ops **ops,
 *                          void **ctx);
 *
 * RINGSIDE_DM_PLUGIN_VERSION; defines the first. ringside_dm_create is
 * called once per run, with the text after the first ',' of the target
 * ("" when none); it returns 0 with *ops and *ctx set, or a negative errno
 * (ringside then reports a setup error). host stays valid until
 * ops->destroy(ctx).
 */
#define RINGSIDE_DM_ABI_SYMBOL "ringside_dm_abi_version"
#define RINGSIDE_DM_CREATE_SYMBOL "ringside_dm_create"

extern const uint32_t ringside_dm_abi_version;
int ringside_dm_create(const struct ringside_dm_host *host, const char *options,
		       const struct ringside_dm_ops **ops, void **ctx);
typedef int ringside_dm_create_fn(const struct ringside_dm_host *host,
				  const char *options,
				  const struct ringside_dm_ops **ops,
				  void **ctx);

#define RINGSIDE_DM_PLUGIN_VERSION                                             \
	const uint32_t ringside_dm_abi_version = RINGSIDE_DM_ABI_VERSION

/* Ring layout helpers for device authors: offsets of the split ring's
 * fields (virtio 1.2, 2.7.6 and 2.7.8), all little-endian. */
#define RINGSIDE_DESC_BYTES 16u	    /* addr u64, len u32, flags u16, next u16 */
#define RINGSIDE_AVAIL_RING_OFF 4u  /* after flags u16, idx u16 */
#define RINGSIDE_USED_RING_OFF 4u   /* after flags u16, idx u16 */
#define RINGSIDE_USED_ELEM_BYTES 8u /* id u32, len u32 */
#define RINGSIDE_DESC_F_NEXT 1u
#define RINGSIDE_DESC_F_WRITE 2u
#define RINGSIDE_DESC_F_INDIRECT 4u
#define RINGSIDE_AVAIL_F_NO_INTERRUPT 1u
#define RINGSIDE_USED_F_NO_NOTIFY 1u

#endif /* _RINGSIDE_DEVICE_MODEL_H */

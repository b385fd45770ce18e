/*
 * fake_transport.h - a virtio transport and driver written in the test, to
 * exercise the bus registry (ring/virtio.c) through its real callers.
 *
 * struct fake_dev embeds a struct virtio_device and implements every
 * virtio_config_ops member on plain memory: a config byte array, a status
 * byte whose every write is logged in order, a configurable 64-bit feature
 * offer, real queues (vring_new_virtqueue on alloc_pages_exact memory) of a
 * size chosen per queue, and a generation counter that can be stable or
 * keep moving. Knobs make the device hostile: refusing FEATURES_OK,
 * ignoring reset, offering absurd queue sizes or features.
 *
 * struct fake_driver wraps a struct virtio_driver whose callbacks count
 * their calls and record the device status they saw.
 *
 * The bus registry is global state and outlives a test; the arena does
 * not. So every test starts with fake_begin(), which unregisters and frees
 * whatever an earlier (failed) test left behind without touching its
 * queues (their memory went with the old arena), and ends with fake_end(),
 * which CHECKs that the test unregistered and freed everything it made.
 */
#ifndef RINGSIDE_FAKE_TRANSPORT_H
#define RINGSIDE_FAKE_TRANSPORT_H

#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#define FAKE_MAX_VQS 8
#define FAKE_CONFIG_BYTES 64
#define FAKE_STATUS_LOG 64
#define FAKE_VQ_DEFAULT_SIZE 16
#define FAKE_VRING_ALIGN 4096u
/* fake_dev.gen_changes: the generation moves on every read, forever. */
#define FAKE_GEN_FOREVER (~0u)

struct fake_dev {
	struct virtio_device vdev;
	/* The device's ops: a copy per device, so a test may clear an
	 * optional member (generation, bus_name) or make the transport modern
	 * (ops.modern; it is legacy by default). */
	struct virtio_config_ops ops;

	/* The device, as tests configure it. */
	u8 config[FAKE_CONFIG_BYTES];
	u64 features; /* offered by get_features */
	unsigned int qsize[FAKE_MAX_VQS];
	u32 generation;
	/* Reads of the generation that still move it (then it holds);
	 * FAKE_GEN_FOREVER: it never settles. */
	unsigned int gen_changes;
	/* Hostile: FEATURES_OK is not latched, so the read-back lacks it. */
	bool refuse_features_ok;
	/* Hostile: reset is logged but the status keeps its value. */
	bool ignore_reset;
	/* finalize_features also calls vring_transport_features, as a real
	 * transport does. */
	bool filter_transport;
	char bus[16];

	/* What the driver side did. */
	u8 status; /* the device's status register */
	/* Every status change in order: set_status values, and 0 for each
	 * reset. status_log_len counts past FAKE_STATUS_LOG. */
	u8 status_log[FAKE_STATUS_LOG];
	unsigned int status_log_len;
	unsigned int zero_status_writes; /* set_status(0): not allowed */
	unsigned int resets;
	unsigned int get_status_calls;
	unsigned int get_features_calls;
	unsigned int finalize_calls;
	u64 finalized;		  /* vdev->features at finalize_features */
	u8 status_at_finalize;	  /* the status then */
	unsigned int config_gets; /* get() calls */
	unsigned int config_sets; /* set() calls */
	unsigned int config_oob;  /* get/set beyond the config bytes */
	unsigned int gen_reads;	  /* generation() calls */
	unsigned int find_vqs_calls;
	unsigned int del_vqs_calls;
	u8 status_at_ring_free;		  /* the status when a ring was freed */
	unsigned int resets_at_ring_free; /* resets by then */
	unsigned int releases;		  /* dev.release calls */

	/* Queues. */
	unsigned int nvqs;
	struct virtqueue *vqs[FAKE_MAX_VQS];
	void *pages[FAKE_MAX_VQS];
	size_t pages_bytes[FAKE_MAX_VQS];
	struct vring vring[FAKE_MAX_VQS]; /* the device's view */
	u16 last_avail[FAKE_MAX_VQS];
	u16 used_idx[FAKE_MAX_VQS];
	unsigned int notifies[FAKE_MAX_VQS];

	struct list_head track; /* fake_transport.c's list of live devices */
};

/* A zeroed device of the given id (calloc'd, outside the arena), with
 * every op set, generation stable, queue sizes FAKE_VQ_DEFAULT_SIZE and
 * bus name "fake<n>". Not registered. */
struct fake_dev *fake_dev_new(u32 device, u32 vendor);
/* Deletes its queues and frees it; CHECKs that it is not registered. */
void fake_dev_free(struct fake_dev *fd);
struct fake_dev *fake_dev_of(struct virtio_device *vdev);
bool fake_dev_registered(struct fake_dev *fd);
/* Forgets the status log (and the reset count). */
void fake_dev_clear_log(struct fake_dev *fd);
/* vdev->features as a u64 (bit n = feature n). */
u64 fake_features(const struct virtio_device *vdev);

/* CHECKs that the status log is exactly the given bytes, printing both. */
void fake_check_log_at(const char *file, int line, struct fake_dev *fd,
		       const u8 *expected, unsigned int n);
#define FAKE_CHECK_LOG(fd, ...)                                                \
	fake_check_log_at(__FILE__, __LINE__, (fd),                            \
			  (const u8[]){ __VA_ARGS__ },                         \
			  sizeof((const u8[]){ __VA_ARGS__ }))
#define FAKE_CHECK_LOG_EMPTY(fd)                                               \
	fake_check_log_at(__FILE__, __LINE__, (fd), NULL, 0)

/* Device side of queue i: takes the next available chain and returns it
 * as used with len bytes written. False when nothing is available. */
bool fake_vq_complete(struct fake_dev *fd, unsigned int i, u32 len);

/* --- the driver ------------------------------------------------------- */

struct fake_driver;
typedef int fake_probe_fn(struct fake_driver *fdrv, struct virtio_device *vdev);

struct fake_driver {
	struct virtio_driver drv;

	/* --- behaviour ---------------------------------------------------- */
	int probe_ret;			       /* what probe returns */
	bool no_reset_in_remove;	       /* remove forgets to reset */
	unsigned int config_changes_in_probe;  /* raised from inside probe */
	unsigned int config_changes_in_scan;   /* ... from inside scan */
	unsigned int config_changes_in_remove; /* ... from inside remove */
	unsigned int vqs_in_probe;	       /* queues probe finds */
	fake_probe_fn *on_probe; /* optional, runs last in probe */

	/* --- observations ------------------------------------------------- */
	unsigned int probes, removes, scans, config_changes;
	unsigned int probe_seq, scan_seq, config_change_seq, remove_seq;
	unsigned int probe_return_seq;
	bool in_probe, in_scan, in_remove;
	/* config_changed calls that arrived while in probe/scan/remove */
	unsigned int config_changes_during_probe;
	unsigned int config_changes_during_scan;
	unsigned int config_changes_during_remove;
	u8 status_at_probe, status_at_scan, status_at_config_change;
	u8 status_at_remove;
	u64 features_at_probe;
	struct virtio_device *last_dev;
	struct virtqueue *probe_vqs[FAKE_MAX_VQS];
	bool registered; /* kept by fake_driver_(un)register */
};

/* Zeroes fdrv and fills in name, ids, probe, scan, remove and
 * config_changed, every callback counting its calls. probe raises the
 * configured config changes, finds vqs_in_probe queues, runs on_probe and
 * returns probe_ret (deleting the queues when it fails); remove resets the
 * device (unless no_reset_in_remove) and deletes all of its queues. */
void fake_driver_init(struct fake_driver *fdrv, const char *name,
		      const struct virtio_device_id *ids);
void fake_driver_set_features(struct fake_driver *fdrv,
			      const unsigned int *table, unsigned int n);
/* register_virtio_driver, remembering success for fake_begin/fake_end. */
int fake_driver_register(struct fake_driver *fdrv);
void fake_driver_unregister(struct fake_driver *fdrv);
/* The fake driver bound to vdev, or NULL. */
struct fake_driver *fake_driver_of(struct virtio_device *vdev);

/* A global event counter: each recorded callback takes the next value. */
unsigned int fake_seq(void);

/* --- printk capture --------------------------------------------------- */

/* Messages printed since fake_begin at level <= level (0 emerg .. 7). */
unsigned int fake_log_count(int level);
/* True when a message since fake_begin contains text. */
bool fake_log_contains(const char *text);

/* --- per test ---------------------------------------------------------- */

void fake_begin(void);
void fake_end(void);

#endif /* RINGSIDE_FAKE_TRANSPORT_H */

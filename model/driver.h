/*
 * driver.h - the guest side of the simulated world: a generic workload
 * driver written only against the seed API (linux/virtio.h), and the
 * classes (block, entropy, console, net) that say what it sends.
 *
 * The generic part registers with register_virtio_driver, finds the
 * class's queues in probe, and on its turns adds requests, kicks (kick, or
 * kick_prepare + notify), polls, and switches callbacks (disable_cb,
 * enable_cb, enable_cb_delayed); its callback drains the queue. At remove
 * it resets the device, takes back every token with detach_unused_buf,
 * checks the queue's accounting and deletes the queues.
 *
 * Tokens are requests: struct wl_req, one per slot, id = slot index, so
 * that the oracle's ledger names them by number, never by pointer. A
 * request's memory is kmalloc'd by the class (allocation failures reach the
 * driver) and freed when its token comes back.
 *
 * A class checks what comes back (data integrity): it calls
 * wl_data_fail() when a block does not read back as written, a packet
 * arrives changed, ... The check is skipped when the device lied (an
 * illegal behaviour fired, device.h note 4): then there is no truth to
 * check against.
 */
#ifndef RINGSIDE_MODEL_DRIVER_H
#define RINGSIDE_MODEL_DRIVER_H

#include "devices.h"

#include <linux/scatterlist.h>

#define WL_QUEUES_MAX 4
#define WL_REQS 128 /* slots, and so tokens outstanding, at most */
#define WL_SG_MAX 8 /* scatterlist entries of one request */

struct wl_driver;

struct wl_req {
	u32 id;	      /* slot index: the token's id in the ledger */
	u16 queue;    /* the queue it was added to */
	bool out;     /* added and not yet returned */
	void *mem;    /* the class's allocation for it (kfree'd on return) */
	u32 bytes;    /* bytes offered (readable + writable) */
	u32 writable; /* device-writable bytes (set from the sg list) */
	u64 tag[4];   /* the class's notes: what to check on return */
};

struct wl_class {
	const char *name;
	const struct virtio_device_id *id_table;
	const unsigned int *features;
	unsigned int nfeatures;
	unsigned int nqueues; /* 1 .. WL_QUEUES_MAX */
	const char *const *queue_names;
	/* State in w->priv, at driver set-up (not probe). */
	int (*init)(struct wl_driver *w);
	void (*fini)(struct wl_driver *w);
	/* After the queues exist: read config, reset per-device state. */
	void (*probe)(struct wl_driver *w);
	/* Optional: the device said its config changed (read it again). */
	void (*config_changed)(struct wl_driver *w);
	/*
	 * Builds one request for queue q into r (r->mem, r->tag) and its
	 * scatterlist (readable entries first): *out readable and *in
	 * writable entries, at most WL_SG_MAX in all. Returns 0, -EAGAIN
	 * when there is nothing to send on q now, or -ENOMEM.
	 */
	int (*prepare)(struct wl_driver *w, unsigned int q, struct wl_req *r,
		       struct scatterlist *sg, unsigned int *out,
		       unsigned int *in);
	/* r came back from get_buf with len (already at most its writable
	 * bytes, if the ring is right): check it. */
	void (*complete)(struct wl_driver *w, struct wl_req *r, u32 len);
	/* r will not be completed: it failed to add, or came back through
	 * detach_unused_buf. Undo what prepare promised. */
	void (*cancel)(struct wl_driver *w, struct wl_req *r);
};

struct wl_driver {
	struct virtio_driver drv;
	const struct wl_class *cls;
	struct sim_env *env;
	void *priv; /* the class's state */
	struct virtio_device *vdev;
	struct virtqueue *vq[WL_QUEUES_MAX];
	unsigned int unkicked[WL_QUEUES_MAX];
	bool cb_off[WL_QUEUES_MAX]; /* disable_cb called since enable_cb */
	struct wl_req req[WL_REQS];
	bool registered;
	/* Block: the serial GET_ID must return (NULL: the simulated
	 * device's); a third-party device has its own. */
	const char *block_serial;
	bool *device_lied;	  /* set by the world: skip data checks */
	bool plant_lost_token;	  /* planted: remove skips one detach */
	bool plant_skip_check;	  /* planted: the class never checks data */
	bool plant_deaf;	  /* planted: never takes used buffers */
	bool plant_null_token;	  /* planted: one add with a NULL token */
	bool plant_leak;	  /* planted: one request's memory not freed */
	bool plant_double_return; /* planted: one token reported twice */
	/* `ringside check` only: the block workload also reads past the
	 * capacity now and then (the device must refuse). */
	bool check_out_of_range;
	/* `ringside check` only: the net workload lays out its transmit
	 * buffers in four ways (ring.framing-agnostic); the simulated
	 * world keeps its two, and so its draws. */
	bool check_framings;
	u64 probes, binds, removes, config_changes;
	u64 completed, bytes; /* tokens back through get_buf, their len */
	u64 data_checked;     /* completions whose data was verified */
};

int wl_init(struct wl_driver *w, const struct wl_class *cls,
	    struct sim_env *env);
void wl_fini(struct wl_driver *w);
int wl_register(struct wl_driver *w);
/* Unbinds (remove runs), then frees what a broken run left behind. */
void wl_unregister(struct wl_driver *w);
/* The driver's turn: adds, kicks, polls or changes callbacks. */
void wl_step(struct wl_driver *w);
/* Adds up to n requests to queue q without kicking. */
void wl_add_batch(struct wl_driver *w, unsigned int q, unsigned int n);
/* Takes every used buffer of every queue (the world's final drain). */
void wl_drain(struct wl_driver *w);
/* Buffers the device holds, over all queues (0 without queues). */
unsigned int wl_outstanding(const struct wl_driver *w);
bool wl_bound(const struct wl_driver *w);

/* For classes: reads len bytes of config at offset with
 * virtio_cread_bytes, told to the config oracle (config_oracle.h). */
void wl_config_read(struct wl_driver *w, unsigned int offset, void *buf,
		    unsigned int len);
/* For classes: the data-integrity oracle (skipped when the device lied). */
__attribute__((format(printf, 2, 3))) void wl_data_fail(struct wl_driver *w,
							const char *fmt, ...);
/* True when data checks apply (the device did not lie). */
bool wl_data_trusted(const struct wl_driver *w);

/* The classes. */
extern const struct wl_class wl_entropy_class;
extern const struct wl_class wl_block_class;
extern const struct wl_class wl_console_class;
extern const struct wl_class wl_net_class;
/* virtio-fs (drv_fs.c): FUSE over the request queue, against a shared
 * folder that holds WL_FS_READ_NAME (wl_fs_pattern with WL_FS_READ_SALT)
 * and an empty WL_FS_WRITE_NAME. */
extern const struct wl_class wl_fs_class;

#define WL_FS_READ_NAME "ringside-read"
#define WL_FS_WRITE_NAME "ringside-write"
#define WL_FS_FILE_BYTES 4096u
#define WL_FS_READ_SALT 0x5eedu
/* The bytes of a file with this salt. */
void wl_fs_pattern(u8 *buf, u32 n, u32 salt);
/* The salt of the last WRITE the device completed with success (false:
 * none): what the shared folder's write file must hold at the end. */
bool wl_fs_last_write(const struct wl_driver *w, u32 *salt);

#endif /* RINGSIDE_MODEL_DRIVER_H */

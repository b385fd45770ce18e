/*
 * vhost_transport.h - virtio over vhost-user: struct virtio_config_ops
 * on a vhost-user connection, so that the production registry, the ring
 * and the workload drivers run unchanged against a vhost-user back end.
 *
 * Notes:
 *
 * 1. Guest memory is one memfd that holds the guest-memory arena: the
 *    arena's allocations (rings, buffers) are made from it, and the
 *    whole of it is given to the back end with SET_MEM_TABLE as one
 *    region (guest-physical VHT_PHYS_BASE up, our mapping's address as
 *    the user address). Buffers are named by guest-physical address,
 *    rings by that user address, as the protocol wants.
 * 2. vhost-user has no status register: the status byte is ours. The
 *    features are the back end's (GET_FEATURES), less the vhost bits a
 *    front end keeps to itself, as QEMU does: 30 (protocol features),
 *    which we take when offered, and 26 (LOG_ALL, dirty logging for
 *    migration), which we never take. SET_FEATURES carries what the
 *    driver negotiated (and bit 30).
 * 3. find_vqs starts every queue the driver asks for: SET_VRING_NUM,
 *    BASE 0, ADDR, KICK (an eventfd), CALL (an eventfd), and ENABLE when
 *    protocol features were negotiated (rings start disabled then).
 *    A kick is an eventfd write; interrupts are the call eventfds, read
 *    by vht_poll_calls (or waited on with vht_wait_calls) and answered
 *    with vring_interrupt.
 * 4. reset stops every started queue with GET_VRING_BASE (after it the
 *    back end no longer touches the ring) and then sends RESET_DEVICE
 *    when the back end offers it (RESET_OWNER is deprecated and breaks
 *    back ends that do not expect it, so it is never sent).
 * 5. Config space comes from GET_CONFIG when the back end offers the
 *    CONFIG protocol feature, read once at init and then from the cache
 *    (vhost-user has no config generation); without it the space reads
 *    as zeros, as a device without config space.
 * 6. Any protocol error latches (vhost_user.h note 2), and so does a
 *    back end that closed the connection (noticed when the status is
 *    read): afterwards the status reads DEVICE_NEEDS_RESET, features
 *    read 0, and find_vqs fails, so the registry and driver see a broken
 *    device, never a hang. The caller checks vht_failed.
 * 7. With a reconnect function (vht_set_reconnect), a reset of a failed
 *    connection makes a new session instead, as QEMU reconnects to a
 *    back end that dropped it: the function connects the connection
 *    anew, and the start of the session (vht_init's) is done again;
 *    the memory table follows at finalize_features as always.
 */
#ifndef RINGSIDE_MODEL_VHOST_TRANSPORT_H
#define RINGSIDE_MODEL_VHOST_TRANSPORT_H

#include "vhost_user.h"

#include <linux/interrupt.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#define VHT_MAX_QUEUES 4
#define VHT_VRING_ALIGN 4096u
#define VHT_PHYS_BASE 0x100000u
#define VHT_MEM_BYTES (16u << 20)
#define VHT_QUEUE_SIZE_MAX 256u

struct vht_queue {
	struct virtqueue *vq; /* NULL when not set up */
	void *pages;
	size_t bytes;
	u16 num;
	int kick_fd, call_fd;
	bool started;	    /* the back end has it (until GET_VRING_BASE) */
	struct vring vring; /* the back end's view, for used->idx */
	u64 kicks, calls;
};

struct vht {
	struct virtio_device vdev;
	struct virtio_config_ops config_ops;
	struct vu_conn *conn;
	int mem_fd;
	void *mem;
	u64 offered;		 /* GET_FEATURES, bits 30 and 26 removed */
	u64 protocol;		 /* negotiated protocol features */
	bool has_protocol;	 /* bit 30 was offered and is taken */
	u16 queue_size;		 /* ring size of every queue */
	unsigned int max_queues; /* 0: no limit known */
	u8 status;
	u8 config[VU_CONFIG_MAX];
	u32 config_len;
	unsigned int nvqs;
	struct vht_queue queues[VHT_MAX_QUEUES];
	u64 kicks, queue_interrupts, resets;
	double setup_ms; /* connect to ready (features, memory, config) */
	char bus_name[16];
	/* Note 7: connects conn anew (0) after a failure; NULL: none. */
	int (*reconnect)(void *ctx, struct vu_conn *conn);
	void *reconnect_ctx;
	u32 config_asked; /* config_len of vht_init, for a new session */
	u64 reconnects;
};

/*
 * Makes guest memory (note 1), makes it the shim's arena, and does the
 * start of a session on the connection: SET_OWNER, GET_FEATURES, the
 * protocol features (REPLY_ACK from then on when offered), GET_QUEUE_NUM
 * with MQ, SET_MEM_TABLE, GET_CONFIG of config_len bytes with CONFIG.
 * virtio_id names the device type the back end is taken to be. Returns
 * 0 or a negative errno with a message in err.
 */
int vht_init(struct vht *t, struct vu_conn *conn, u32 virtio_id, u32 config_len,
	     u16 queue_size, char *err, size_t errlen);
/* Note 7. */
void vht_set_reconnect(struct vht *t,
		       int (*reconnect)(void *ctx, struct vu_conn *conn),
		       void *ctx);
/* Unregisters t if registered, stops and frees every queue. */
void vht_destroy(struct vht *t);
/* Detaches the arena and frees guest memory (after the run's leak check;
 * also after a failed vht_init). */
void vht_free_memory(struct vht *t);
struct vht *vht_of(struct virtio_device *vdev);
static inline bool vht_failed(const struct vht *t)
{
	return vu_failed(t->conn);
}

/* Reads every call eventfd without waiting; bit q set when queue q was
 * signalled. */
u32 vht_poll_calls(struct vht *t);
/* Waits up to us microseconds for a call (or other_fd readable, when >= 0). */
void vht_wait_calls(struct vht *t, unsigned int us, int other_fd);
irqreturn_t vht_queue_interrupt(struct vht *t, unsigned int q);
u16 vht_used_idx(const struct vht *t, unsigned int q);

#endif /* RINGSIDE_MODEL_VHOST_TRANSPORT_H */

/*
 * vhost_transport.c - virtio_config_ops over vhost-user
 * (vhost_transport.h).
 */
#define _GNU_SOURCE

#include "vhost_transport.h"
#include "proc.h"
#include "sim_transport.h"

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <ringside/shim.h>

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct vht *vht_of(struct virtio_device *vdev)
{
	return container_of(vdev, struct vht, vdev);
}

/* --- config space and status (notes 2, 5) ---------------------------------- */

static void vht_get(struct virtio_device *vdev, unsigned offset, void *buf,
		    unsigned len)
{
	struct vht *t = vht_of(vdev);

	memset(buf, 0, len);
	if (offset < t->config_len)
		memcpy(buf, t->config + offset,
		       min_t(unsigned int, len, t->config_len - offset));
}

/* Writes stay ours: none of our workloads writes its config space. */
static void vht_set(struct virtio_device *vdev, unsigned offset,
		    const void *buf, unsigned len)
{
	struct vht *t = vht_of(vdev);

	if (offset < t->config_len)
		memcpy(t->config + offset, buf,
		       min_t(unsigned int, len, t->config_len - offset));
}

static u8 vht_get_status(struct virtio_device *vdev)
{
	struct vht *t = vht_of(vdev);

	if (vht_failed(t) || vu_peer_closed(t->conn)) /* note 6 */
		return VIRTIO_CONFIG_S_NEEDS_RESET;
	return t->status;
}

static void vht_set_status(struct virtio_device *vdev, u8 status)
{
	vht_of(vdev)->status = status;
}

static u64 vht_get_features(struct virtio_device *vdev)
{
	struct vht *t = vht_of(vdev);

	return vht_failed(t) ? 0 : t->offered;
}

static int set_memory(struct vht *t)
{
	struct vu_region r = {
		.guest_phys = VHT_PHYS_BASE,
		.size = VHT_MEM_BYTES,
		.user_addr = (u64)(uintptr_t)t->mem,
		.mmap_offset = 0,
		.fd = t->mem_fd,
	};

	return vu_set_mem_table(t->conn, &r, 1);
}

/* SET_FEATURES with what was negotiated, then the memory (as QEMU does
 * when it starts a vhost device). */
static void vht_finalize_features(struct virtio_device *vdev)
{
	struct vht *t = vht_of(vdev);
	u64 f;

	vring_transport_features(vdev);
	f = transport_features_u64(vdev);
	if (t->has_protocol)
		f |= 1ULL << VU_F_PROTOCOL_FEATURES;
	if (vu_set_u64(t->conn, VU_SET_FEATURES, f) == 0)
		set_memory(t);
}

static const char *vht_bus_name(struct virtio_device *vdev)
{
	struct vht *t = vht_of(vdev);

	snprintf(t->bus_name, sizeof(t->bus_name), "vhost-user");
	return t->bus_name;
}

/* --- queues (note 3) --------------------------------------------------------- */

static void vht_notify(struct virtqueue *vq)
{
	struct vht *t = vht_of(vq->vdev);
	struct vht_queue *q = &t->queues[vq->index];
	u64 one = 1;

	assert(vq->index < t->nvqs && q->vq == vq);
	t->kicks++;
	q->kicks++;
	/* A full counter (2^64 - 2 kicks unread) is the back end's loss;
	 * the write never blocks (EFD_NONBLOCK). */
	if (write(q->kick_fd, &one, sizeof(one)) < 0)
		(void)0;
}

/* The queue stops (GET_VRING_BASE) if the back end has it. */
static void stop_queue(struct vht *t, unsigned int i)
{
	struct vht_queue *q = &t->queues[i];
	u32 base;

	if (!q->started)
		return;
	q->started = false;
	vu_get_vring_base(t->conn, i, &base);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void free_queue(struct vht *t, unsigned int i)
{
	struct vht_queue *q = &t->queues[i];

	stop_queue(t, i);
	if (q->vq)
		vring_del_virtqueue(q->vq);
	if (q->pages)
		free_pages_exact(q->pages, q->bytes);
	close_fd(&q->kick_fd);
	close_fd(&q->call_fd);
	memset(q, 0, sizeof(*q));
	q->kick_fd = q->call_fd = -1;
}

static void drop_queues(struct vht *t)
{
	unsigned int i;

	for (i = t->nvqs; i-- > 0;)
		free_queue(t, i);
	t->nvqs = 0;
}

static int start_queue(struct vht *t, unsigned int i)
{
	struct vht_queue *q = &t->queues[i];
	struct vu_conn *c = t->conn;

	if (vu_vring_state(c, VU_SET_VRING_NUM, i, q->num) ||
	    vu_vring_state(c, VU_SET_VRING_BASE, i, 0) ||
	    vu_set_vring_addr(c, i, (u64)(uintptr_t)q->vring.desc,
			      (u64)(uintptr_t)q->vring.used,
			      (u64)(uintptr_t)q->vring.avail) ||
	    vu_set_vring_fd(c, VU_SET_VRING_CALL, i, q->call_fd) ||
	    vu_set_vring_fd(c, VU_SET_VRING_KICK, i, q->kick_fd))
		return -EIO;
	q->started = true;
	if (t->has_protocol && vu_vring_state(c, VU_SET_VRING_ENABLE, i, 1))
		return -EIO;
	return 0;
}

static int setup_queue(struct vht *t, unsigned int i, vq_callback_t *callback,
		       const char *name)
{
	struct vht_queue *q = &t->queues[i];
	unsigned int num = t->queue_size;

	assert(i == t->nvqs && !q->vq);
	t->nvqs = i + 1; /* from here on, drop_queues undoes it */
	q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->kick_fd < 0 || q->call_fd < 0)
		return -ENOMEM;
	q->bytes = vring_size(num, VHT_VRING_ALIGN);
	q->pages = alloc_pages_exact(q->bytes, GFP_KERNEL | __GFP_ZERO);
	if (!q->pages)
		return -ENOMEM;
	q->vq = vring_new_virtqueue(i, num, VHT_VRING_ALIGN, &t->vdev, true,
				    q->pages, vht_notify, callback,
				    name ? name : "vhost-user");
	if (!q->vq)
		return -ENOMEM;
	q->num = (u16)num;
	vring_init(&q->vring, num, q->pages, VHT_VRING_ALIGN);
	return start_queue(t, i);
}

static int vht_find_vqs(struct virtio_device *vdev, unsigned nvqs,
			struct virtqueue *vqs[], vq_callback_t *callbacks[],
			const char *names[])
{
	struct vht *t = vht_of(vdev);
	unsigned int i;
	int err = 0;

	if (vht_failed(t))
		return -EIO;
	if (t->nvqs)
		return -EBUSY;
	if (nvqs > VHT_MAX_QUEUES || (t->max_queues && nvqs > t->max_queues))
		return -ENOENT;
	for (i = 0; !err && i < nvqs; i++) {
		err = setup_queue(t, i, callbacks ? callbacks[i] : NULL,
				  names ? names[i] : NULL);
		if (!err)
			vqs[i] = t->queues[i].vq;
	}
	if (err)
		drop_queues(t);
	return err;
}

static void vht_del_vqs(struct virtio_device *vdev)
{
	drop_queues(vht_of(vdev));
}

/* Note 4: afterwards the back end touches no ring, and no callback
 * runs (we deliver interrupts only for queues that exist). */
static int session_start(struct vht *t, u32 config_len);

/* Note 7: a new session for a connection that failed. The queues of the
 * old one are gone with it. */
static void new_session(struct vht *t)
{
	unsigned int i;

	for (i = 0; i < t->nvqs; i++)
		t->queues[i].started = false;
	t->protocol = 0;
	t->config_len = 0;
	if (t->reconnect(t->reconnect_ctx, t->conn) == 0 &&
	    session_start(t, t->config_asked) == 0)
		t->reconnects++;
}

static void vht_reset(struct virtio_device *vdev)
{
	struct vht *t = vht_of(vdev);
	unsigned int i;

	virtio_reset_begin(vdev); /* no queue callback from here on */
	t->resets++;
	for (i = 0; i < t->nvqs; i++)
		stop_queue(t, i);
	if (t->protocol & (1ULL << VU_PF_RESET_DEVICE))
		vu_call(t->conn, VU_RESET_DEVICE, NULL, 0, NULL, 0, NULL, 0);
	if (t->reconnect && (vht_failed(t) || vu_peer_closed(t->conn)))
		new_session(t);
	t->status = 0;
}

void vht_set_reconnect(struct vht *t,
		       int (*reconnect)(void *ctx, struct vu_conn *conn),
		       void *ctx)
{
	t->reconnect = reconnect;
	t->reconnect_ctx = ctx;
}

/* --- interrupts -------------------------------------------------------------- */

u32 vht_poll_calls(struct vht *t)
{
	unsigned int i;
	u32 hit = 0;
	u64 v;

	for (i = 0; i < t->nvqs; i++)
		if (t->queues[i].call_fd >= 0 &&
		    read(t->queues[i].call_fd, &v, sizeof(v)) == sizeof(v)) {
			hit |= 1u << i;
			t->queues[i].calls++;
		}
	return hit;
}

void vht_wait_calls(struct vht *t, unsigned int us, int other_fd)
{
	struct pollfd p[VHT_MAX_QUEUES + 1];
	struct timespec ts = { 0, (long)us * 1000L };
	nfds_t n = 0;
	unsigned int i;

	for (i = 0; i < t->nvqs; i++)
		if (t->queues[i].call_fd >= 0) {
			p[n].fd = t->queues[i].call_fd;
			p[n++].events = POLLIN;
		}
	if (other_fd >= 0) {
		p[n].fd = other_fd;
		p[n++].events = POLLIN;
	}
	ppoll(p, n, &ts, NULL);
}

irqreturn_t vht_queue_interrupt(struct vht *t, unsigned int q)
{
	if (q >= t->nvqs || !t->queues[q].vq)
		return IRQ_NONE;
	t->queue_interrupts++;
	return vring_interrupt(0, t->queues[q].vq);
}

u16 vht_used_idx(const struct vht *t, unsigned int q)
{
	if (q >= t->nvqs || !t->queues[q].pages)
		return 0;
	return READ_ONCE(t->queues[q].vring.used->idx);
}

/* --- set-up ------------------------------------------------------------------ */

static void vht_release(struct device *dev)
{
	(void)dev;
}

static const struct virtio_config_ops vht_config_ops = {
	.get = vht_get,
	.set = vht_set,
	.get_status = vht_get_status,
	.set_status = vht_set_status,
	.reset = vht_reset,
	.find_vqs = vht_find_vqs,
	.del_vqs = vht_del_vqs,
	.get_features = vht_get_features,
	.finalize_features = vht_finalize_features,
	.bus_name = vht_bus_name,
	.modern = true, /* vhost-user devices are 1.x devices */
};

/* Note 1: the memfd, mapped shared, becomes the arena. */
static int make_memory(struct vht *t, char *err, size_t errlen)
{
	int r;

	t->mem_fd = memfd_create("ringside-guest", MFD_CLOEXEC);
	if (t->mem_fd < 0 || ftruncate(t->mem_fd, VHT_MEM_BYTES) < 0) {
		snprintf(err, errlen, "cannot make guest memory (memfd): %s",
			 strerror(errno));
		return -ENOMEM;
	}
	t->mem = mmap(NULL, VHT_MEM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		      t->mem_fd, 0);
	if (t->mem == MAP_FAILED) {
		t->mem = NULL;
		snprintf(err, errlen, "cannot map guest memory: %s",
			 strerror(errno));
		return -ENOMEM;
	}
	r = shim_arena_init(t->mem, VHT_MEM_BYTES, VHT_PHYS_BASE);
	if (r)
		snprintf(err, errlen, "cannot make guest memory the arena (%d)",
			 r);
	return r;
}

static int negotiate_protocol(struct vht *t)
{
	struct vu_conn *c = t->conn;
	u64 pf, queues;

	if (!t->has_protocol)
		return 0;
	if (vu_get_u64(c, VU_GET_PROTOCOL_FEATURES, &pf))
		return -EIO;
	t->protocol = pf & VU_PF_SUPPORTED;
	if (vu_set_u64(c, VU_SET_PROTOCOL_FEATURES, t->protocol))
		return -EIO;
	c->reply_ack = t->protocol & (1ULL << VU_PF_REPLY_ACK);
	if (t->protocol & (1ULL << VU_PF_MQ)) {
		if (vu_get_u64(c, VU_GET_QUEUE_NUM, &queues))
			return -EIO;
		t->max_queues = (unsigned int)min_t(u64, queues, 1u << 16);
	}
	return 0;
}

static int session_start(struct vht *t, u32 config_len)
{
	struct vu_conn *c = t->conn;
	u64 f;

	if (vu_get_u64(c, VU_GET_FEATURES, &f))
		return -EIO;
	t->has_protocol = f & (1ULL << VU_F_PROTOCOL_FEATURES);
	t->offered = f & ~(1ULL << VU_F_PROTOCOL_FEATURES |
			   1ULL << VU_F_LOG_ALL); /* note 2 */
	if (negotiate_protocol(t) || vu_set_owner(c))
		return -EIO;
	if (config_len && (t->protocol & (1ULL << VU_PF_CONFIG))) {
		if (vu_get_config(c, 0, t->config, config_len))
			return -EIO;
		t->config_len = config_len;
	}
	return 0;
}

int vht_init(struct vht *t, struct vu_conn *conn, u32 virtio_id, u32 config_len,
	     u16 queue_size, char *err, size_t errlen)
{
	double t0 = proc_now_ms();
	unsigned int i;
	int r;

	memset(t, 0, sizeof(*t));
	t->conn = conn;
	t->mem_fd = -1;
	for (i = 0; i < VHT_MAX_QUEUES; i++)
		t->queues[i].kick_fd = t->queues[i].call_fd = -1;
	t->config_ops = vht_config_ops;
	t->vdev.config = &t->config_ops;
	t->vdev.id.device = virtio_id;
	t->vdev.id.vendor = 0x1af4;
	t->vdev.dev.release = vht_release;
	INIT_LIST_HEAD(&t->vdev.vqs);
	t->queue_size = queue_size ? queue_size : VHT_QUEUE_SIZE_MAX;
	if (config_len > VU_CONFIG_MAX || t->queue_size > VRING_MAX_SIZE ||
	    (t->queue_size & (t->queue_size - 1))) {
		snprintf(err, errlen, "bad config length or queue size");
		return -EINVAL;
	}
	r = make_memory(t, err, errlen);
	if (r)
		return r;
	t->config_asked = config_len;
	if (session_start(t, config_len)) {
		snprintf(err, errlen, "%s", conn->error);
		return -EIO;
	}
	t->setup_ms = proc_now_ms() - t0;
	return 0;
}

void vht_destroy(struct vht *t)
{
	if (device_is_registered(&t->vdev.dev))
		unregister_virtio_device(&t->vdev);
	drop_queues(t);
}

void vht_free_memory(struct vht *t)
{
	/* The arena lives in our memory: it goes first. */
	shim_arena_destroy();
	if (t->mem)
		munmap(t->mem, VHT_MEM_BYTES);
	t->mem = NULL;
	close_fd(&t->mem_fd);
}

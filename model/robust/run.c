/*
 * run.c - one robustness case on a fresh instance, and the whole suite
 * (robust.h note 2 for the phases, note 3 for the verdicts).
 */
#include "robust.h"

#include "devices.h"
#include "event_log.h"

#include <assert.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RB_GUARD 16u
#define RB_POISON 0xa5
#define RB_BLK_SECTOR 512u
#define RB_BLK_HDR 16u
#define RB_BLK_T_IN 0u
#define RB_BLK_T_OUT 1u
#define RB_BLK_T_FLUSH 4u
#define RB_NET_FRAME 60u
#define RB_ENTROPY_BYTES 64u
#define RB_CONSOLE_BYTES 16u
#define RB_HONEST_SECTOR 1u
#define RB_VIRTIO_ID_FS 26u
#define RB_FUSE_INIT 26u
#define RB_FUSE_IN_HDR 40u
#define RB_FUSE_INIT_IN 16u
#define RB_FUSE_OUT_HDR 16u
#define RB_FUSE_INIT_REPLY (RB_FUSE_OUT_HDR + 64u)

/* --- the case's memory ---------------------------------------------------- */

/* A ring's driver-owned parts: its descriptor table and avail ring. */
struct ring_shadow {
	struct vring_desc *desc;
	u8 *avail;
	unsigned int num; /* 0: no ring */
};

/* Snapshot of what the device must not write (note 2 of robust.h): the
 * scratch memory, the request queue's ring and the receive queue's. */
struct rb_shadow {
	u8 *scratch;
	size_t scratch_bytes;
	struct ring_shadow request, receive;
	bool taken;
};

struct rb_case_run {
	struct rb_case_ctx c;
	struct rb_shadow shadow;
	struct event_log log; /* what the front end did and saw */
};

static struct rb_case_run *run_of(struct rb_case_ctx *c)
{
	return (struct rb_case_run *)c;
}

__attribute__((format(printf, 2, 3))) static void set_why(char *why,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, RB_WHY_BYTES, fmt, ap);
	va_end(ap);
}

u64 rb_buf(struct rb_case_ctx *c, u32 len, bool writable, u8 fill)
{
	size_t at = c->scratch_used + RB_GUARD;
	u64 phys;

	at = (at + 15) & ~(size_t)15;
	if (at + len + RB_GUARD > c->scratch_bytes ||
	    c->nranges == RB_MAX_RANGES)
		return 0;
	memset(c->scratch + at, writable ? RB_POISON : fill, len);
	c->scratch_used = at + len;
	phys = c->scratch_phys + at;
	c->ranges[c->nranges].phys = phys;
	c->ranges[c->nranges].len = len;
	c->ranges[c->nranges].writable = writable;
	c->ranges[c->nranges].request = c->request;
	c->nranges++;
	return phys;
}

void rb_range_readable(struct rb_case_ctx *c, u64 phys)
{
	unsigned int i;

	for (i = 0; i < c->nranges; i++)
		if (c->ranges[i].phys == phys)
			c->ranges[i].writable = false;
}

void *rb_ptr(struct rb_case_ctx *c, u64 phys)
{
	assert(phys >= c->scratch_phys &&
	       phys < c->scratch_phys + c->scratch_bytes);
	return c->scratch + (phys - c->scratch_phys);
}

void rb_expose_n(struct rb_case_ctx *c, u16 head, u32 writable,
		 unsigned int times)
{
	unsigned int i;

	for (i = 0; i < c->nheads; i++)
		if (c->heads[i] == head)
			break;
	if (i == c->nheads) {
		assert(c->nheads < RB_MAX_HEADS);
		c->heads[i] = head;
		c->head_writable[i] = 0;
		c->head_count[i] = 0;
		c->nheads++;
	}
	if (writable > c->head_writable[i])
		c->head_writable[i] = writable;
	c->head_count[i] += times;
	c->exposed += times;
}

void rb_expose(struct rb_case_ctx *c, u16 head, u32 writable)
{
	rb_expose_n(c, head, writable, 1);
}

static size_t avail_bytes(unsigned int num)
{
	return sizeof(u16) * (3 + (size_t)num); /* flags, idx, ring, event */
}

static int ring_shadow_alloc(struct ring_shadow *rs)
{
	rs->desc = malloc(32768 * sizeof(struct vring_desc));
	rs->avail = malloc(avail_bytes(32768));
	return rs->desc && rs->avail ? 0 : -ENOMEM;
}

static void ring_shadow_free(struct ring_shadow *rs)
{
	free(rs->desc);
	free(rs->avail);
}

static void ring_shadow_take(struct ring_shadow *rs, const struct vring *vr)
{
	rs->num = vr->num;
	memcpy(rs->desc, vr->desc, rs->num * sizeof(*vr->desc));
	memcpy(rs->avail, vr->avail, avail_bytes(rs->num));
}

/* Where the device wrote into a ring's driver-owned parts, or NULL. */
static const char *ring_shadow_check(const struct ring_shadow *rs,
				     const struct vring *vr)
{
	if (!rs->num || rs->num != vr->num)
		return NULL;
	if (memcmp(rs->desc, vr->desc, rs->num * sizeof(*vr->desc)))
		return "the descriptor table";
	if (memcmp(rs->avail, vr->avail, avail_bytes(rs->num)))
		return "the avail ring";
	return NULL;
}

static void take_shadow(struct rb_case_run *run)
{
	struct rb_case_ctx *c = &run->c;
	struct rb_shadow *s = &run->shadow;

	memcpy(s->scratch, c->scratch, c->scratch_bytes);
	ring_shadow_take(&s->request, &c->ring.vr);
	s->receive.num = 0;
	if (c->rx.ring.vr.num)
		ring_shadow_take(&s->receive, &c->rx.ring.vr);
	s->taken = true;
}

void rb_event(struct rb_case_ctx *c, u16 kind, unsigned int q, u64 a, u64 b)
{
	event_log_add(c->log, c->request, SIM_ACTOR_FRONT, kind, (u16)q, a, b,
		      0);
}

void rb_notify_device(struct rb_case_ctx *c, unsigned int q)
{
	rb_event(c, SIM_EV_FRONT_NOTIFY, q, q, 0);
	c->port->ops->notify(c->port->ctx, q);
}

void rb_notify(struct rb_case_ctx *c, unsigned int q)
{
	struct rb_case_run *run = run_of(c);

	if (!run->shadow.taken && c->ring.vr.num)
		take_shadow(run);
	c->notified = true;
	rb_notify_device(c, q);
}

void rb_submit(struct rb_case_ctx *c, u16 head)
{
	rr_avail_put(&c->ring, head);
	rr_avail_publish(&c->ring);
	rb_notify(c, c->queue);
}

/* --- device types ----------------------------------------------------------- */

u32 rb_device_bit(u32 virtio_id)
{
	switch (virtio_id) {
	case VIRTIO_ID_NET:
		return RB_DEV_NET;
	case VIRTIO_ID_BLOCK:
		return RB_DEV_BLOCK;
	case VIRTIO_ID_CONSOLE:
		return RB_DEV_CONSOLE;
	case VIRTIO_ID_RNG:
		return RB_DEV_ENTROPY;
	case RB_VIRTIO_ID_FS:
		return RB_DEV_FS;
	default:
		return 0;
	}
}

/* Requests go to transmit queues (1) for net and console: they need no
 * data from outside to complete; virtio-fs's go to its request queue
 * (1; 0 is hiprio). */
unsigned int rb_request_queue(u32 virtio_id)
{
	return virtio_id == VIRTIO_ID_NET || virtio_id == VIRTIO_ID_CONSOLE ||
			       virtio_id == RB_VIRTIO_ID_FS
		       ? 1
		       : 0;
}

static unsigned int queues_of(u32 virtio_id)
{
	return rb_request_queue(virtio_id) + 1;
}

u32 rb_net_hdr_len(const struct rb_case_ctx *c)
{
	return c->features & (1ULL << VIRTIO_F_VERSION_1) ? 12 : 10;
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	while (n--) {
		*p++ = (u8)v;
		v >>= 8;
	}
}

/* A block request: header {type, 0, sector}, data, status. */
unsigned int rb_block_chain(struct rb_case_ctx *c, u16 first, u32 type,
			    u64 sector, u8 fill, u32 *writable)
{
	bool in = type == RB_BLK_T_IN;
	u32 data = type == RB_BLK_T_FLUSH ? 0 : RB_BLK_SECTOR;
	u64 hdr = rb_buf(c, RB_BLK_HDR, false, 0);
	u64 buf = data ? rb_buf(c, data, in, fill) : 0;
	u64 status = rb_buf(c, 1, true, 0);
	u8 *h;
	u16 i = first;

	if (!hdr || (data && !buf) || !status)
		return 0;
	h = rb_ptr(c, hdr);
	put_le(h, type, 4);
	put_le(h + 8, sector, 8);
	rr_desc(&c->ring, i, hdr, RB_BLK_HDR, VRING_DESC_F_NEXT, (u16)(i + 1));
	i++;
	if (data) {
		rr_desc(&c->ring, i, buf, data,
			VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0),
			(u16)(i + 1));
		i++;
	}
	rr_desc(&c->ring, i, status, 1, VRING_DESC_F_WRITE, 0);
	*writable = 1 + (in ? data : 0);
	return (unsigned int)(i - first + 1);
}

/* virtio-fs: FUSE_INIT (a server takes it again at any time, as after a
 * guest's reboot): the in header and fuse_init_in readable, the out
 * header and fuse_init_out writable. */
static unsigned int fs_init_chain(struct rb_case_ctx *c, u16 first,
				  u32 *writable)
{
	u32 in_len = RB_FUSE_IN_HDR + RB_FUSE_INIT_IN;
	u64 in = rb_buf(c, in_len, false, 0);
	u64 out = rb_buf(c, RB_FUSE_INIT_REPLY, true, 0);
	u8 *h;

	if (!in || !out)
		return 0;
	h = rb_ptr(c, in);
	put_le(h, in_len, 4);		       /* len */
	put_le(h + 4, RB_FUSE_INIT, 4);	       /* opcode */
	put_le(h + 8, 0x5253, 8);	       /* unique */
	put_le(h + RB_FUSE_IN_HDR, 7, 4);      /* major */
	put_le(h + RB_FUSE_IN_HDR + 4, 31, 4); /* minor */
	rr_desc(&c->ring, first, in, in_len, VRING_DESC_F_NEXT,
		(u16)(first + 1));
	rr_desc(&c->ring, (u16)(first + 1), out, RB_FUSE_INIT_REPLY,
		VRING_DESC_F_WRITE, 0);
	*writable = RB_FUSE_INIT_REPLY;
	return 2;
}

unsigned int rb_honest_chain(struct rb_case_ctx *c, u16 first, u32 *writable)
{
	u32 id = c->port->device_id;
	u64 buf;
	u32 len;

	if (id == VIRTIO_ID_BLOCK)
		return rb_block_chain(c, first, RB_BLK_T_OUT, RB_HONEST_SECTOR,
				      0x3c, writable);
	if (id == RB_VIRTIO_ID_FS)
		return fs_init_chain(c, first, writable);
	if (id == VIRTIO_ID_RNG) {
		len = RB_ENTROPY_BYTES;
		buf = rb_buf(c, len, true, 0);
		*writable = len;
	} else if (id == VIRTIO_ID_NET) {
		len = rb_net_hdr_len(c) + RB_NET_FRAME;
		buf = rb_buf(c, len, false, 0);
		if (buf) { /* a broadcast frame after a zeroed header */
			u64 frame = buf + rb_net_hdr_len(c);

			memset(rb_ptr(c, frame), 0xff, 6);
			rb_canary_fill(c, frame + 6, RB_NET_FRAME - 6);
		}
		*writable = 0;
	} else {
		len = RB_CONSOLE_BYTES;
		buf = rb_buf(c, len, false, 'r');
		if (buf)
			rb_canary_fill(c, buf, len);
		*writable = 0;
	}
	if (!buf)
		return 0;
	rr_desc(&c->ring, first, buf, len,
		id == VIRTIO_ID_RNG ? VRING_DESC_F_WRITE : 0, 0);
	return 1;
}

/* --- set-up ---------------------------------------------------------------- */

static void set_status(struct rb_case_ctx *c, u8 status)
{
	rb_event(c, SIM_EV_FRONT_STATUS, 0, status, 0);
	c->port->vdev->config->set_status(c->port->vdev, status);
}

void rb_setup_begin(struct rb_case_ctx *c)
{
	rb_device_reset(c);
	set_status(c, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(c, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
}

/* Features: INDIRECT_DESC when offered, VERSION_1 in 1.x; nothing of the
 * device type (the requests need none). ok: FEATURES_OK too. Returns 0,
 * or -EIO when the device did not keep FEATURES_OK. */
int rb_setup_features(struct rb_case_ctx *c, bool ok)
{
	struct virtio_device *vdev = c->port->vdev;
	u64 offered = vdev->config->get_features(vdev);
	u64 want = offered & (1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			      1ULL << VIRTIO_F_VERSION_1);
	u8 status;
	unsigned int i;

	memset(vdev->features, 0, sizeof(vdev->features));
	for (i = 0; i < 64; i++)
		if (want & (1ULL << i))
			set_bit(i, vdev->features);
	vdev->config->finalize_features(vdev);
	rb_event(c, SIM_EV_FRONT_FEATURES, 0, offered, want);
	c->features = want;
	if (!ok || !c->port->modern)
		return 0;
	status = vdev->config->get_status(vdev);
	set_status(c, status | VIRTIO_CONFIG_S_FEATURES_OK);
	status = vdev->config->get_status(vdev);
	return status & VIRTIO_CONFIG_S_FEATURES_OK ? 0 : -EIO;
}

int rb_setup_queues(struct rb_case_ctx *c, unsigned int nqueues)
{
	struct virtio_device *vdev = c->port->vdev;
	struct virtqueue *vqs[RB_MAX_QUEUES];
	struct vring *vr;
	unsigned int q;
	int err;

	assert(nqueues <= RB_MAX_QUEUES);
	if (c->nqueues) {
		vdev->config->del_vqs(vdev);
		c->nqueues = 0;
	}
	memset(&c->ring, 0, sizeof(c->ring));
	memset(&c->rx, 0, sizeof(c->rx));
	if (nqueues == 0)
		return 0;
	err = vdev->config->find_vqs(vdev, nqueues, vqs, NULL, NULL);
	if (err)
		return err;
	c->nqueues = nqueues;
	for (q = 0; q < nqueues; q++) {
		vr = c->port->ops->vring(c->port->ctx, q);
		rb_event(c, SIM_EV_FRONT_QUEUE, q, vr ? vr->num : 0, 0);
	}
	vr = c->queue < nqueues ? c->port->ops->vring(c->port->ctx, c->queue)
				: NULL;
	if (vr) {
		rr_init(&c->ring, vr);
		rr_log(&c->ring, c->log, &c->request, (u16)c->queue);
	}
	return 0;
}

void rb_setup_driver_ok(struct rb_case_ctx *c)
{
	struct virtio_device *vdev = c->port->vdev;
	u8 status = vdev->config->get_status(vdev);

	set_status(c, status | VIRTIO_CONFIG_S_DRIVER_OK);
}

void rb_device_reset(struct rb_case_ctx *c)
{
	rb_event(c, SIM_EV_FRONT_STATUS, 0, 0, 0);
	c->port->vdev->config->reset(c->port->vdev);
}

/* The whole of initialisation; returns 0 or a negative errno. */
static int setup_all(struct rb_case_ctx *c)
{
	int err;

	rb_setup_begin(c);
	err = rb_setup_features(c, true);
	if (!err)
		err = rb_setup_queues(c, queues_of(c->port->device_id));
	if (!err && !c->ring.vr.num)
		err = -ENOENT;
	if (!err) {
		rb_setup_driver_ok(c);
		rb_rx_start(c);
	}
	rb_forget(c);
	return err;
}

/* --- observing ------------------------------------------------------------- */

struct answer_wait {
	struct rb_case_ctx *c;
	u16 want; /* used entries wanted beyond used_seen */
};

static bool answered(void *arg)
{
	struct answer_wait *w = arg;

	return (u16)(rr_used_idx(&w->c->ring) - w->c->ring.used_seen) >=
	       w->want;
}

void rb_forget(struct rb_case_ctx *c);
void rb_wait_answer(struct rb_case_ctx *c);

/* Has the device published a used entry for head (not consuming it)? */
struct head_wait {
	struct rb_case_ctx *c;
	u16 head;
};

static bool head_answered(void *arg)
{
	struct head_wait *w = arg;
	const struct rr_ring *r = &w->c->ring;
	u16 i, end = rr_used_idx(r);
	unsigned int n = 0;

	for (i = r->used_seen; i != end && n < r->vr.num; i++, n++)
		if (READ_ONCE(r->vr.used->ring[i % r->vr.num].id) == w->head)
			return true;
	return false;
}

static void run_device(struct rb_case_ctx *c, unsigned int budget, u16 want)
{
	struct answer_wait w = { .c = c, .want = want };

	if (!c->ring.vr.num)
		want = 0;
	c->port->ops->run(c->port->ctx, budget, want ? answered : NULL, &w);
}

static bool in_writable(const struct rb_case_ctx *c, u64 phys)
{
	unsigned int i;

	for (i = 0; i < c->nranges; i++)
		if (c->ranges[i].writable && phys >= c->ranges[i].phys &&
		    phys - c->ranges[i].phys < c->ranges[i].len)
			return true;
	return false;
}

/* A protected byte that changed: FAIL with where. */
static bool check_shadow(struct rb_case_run *run, char *why)
{
	struct rb_case_ctx *c = &run->c;
	struct rb_shadow *s = &run->shadow;
	const char *where;
	size_t i;

	if (!s->taken)
		return true;
	for (i = 0; i < c->scratch_bytes; i++) {
		u64 phys = c->scratch_phys + i;

		if (c->scratch[i] != s->scratch[i] && !in_writable(c, phys)) {
			set_why(why,
				"wrote 0x%02x over 0x%02x at 0x%llx, outside "
				"every writable buffer of the request",
				c->scratch[i], s->scratch[i],
				(unsigned long long)phys);
			return false;
		}
	}
	if ((where = ring_shadow_check(&s->request, &c->ring.vr))) {
		set_why(why, "wrote into %s", where);
		return false;
	}
	if ((where = ring_shadow_check(&s->receive, &c->rx.ring.vr))) {
		set_why(why, "wrote into %s of the receive queue", where);
		return false;
	}
	return true;
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* The range holding scratch offset at, or NULL (a guard gap). */
static const struct rb_range *range_at(const struct rb_case_ctx *c, size_t at)
{
	u64 phys = c->scratch_phys + at;
	unsigned int i;

	for (i = 0; i < c->nranges; i++)
		if (phys >= c->ranges[i].phys &&
		    phys - c->ranges[i].phys < c->ranges[i].len)
			return &c->ranges[i];
	return NULL;
}

/* A writable buffer holding a canary the device copied from anywhere but
 * the readable buffers of its own request: guest memory around a buffer
 * or another request's payload leaked into it (note 4 of robust.h). */
static bool check_leaks(const struct rb_case_ctx *c, char *why)
{
	unsigned int i;
	u32 k;

	for (i = 0; i < c->nranges; i++) {
		const struct rb_range *w = &c->ranges[i];
		const u8 *p = rb_ptr((struct rb_case_ctx *)c, w->phys);

		for (k = 0; w->writable && k + RB_CANARY_WINDOW <= w->len;
		     k++) {
			size_t at = rb_canary_source(c, p + k);
			const struct rb_range *src;

			if (at == SIZE_MAX)
				continue;
			src = range_at(c, at);
			if (src && !src->writable &&
			    (src->request == w->request || w->receive))
				continue; /* its own request's payload, or
					   * what was sent, received */
			set_why(why,
				"leaked guest memory into a reply: byte %u "
				"of the writable buffer at 0x%llx holds the "
				"canary of 0x%llx (%s)",
				k, (unsigned long long)w->phys,
				(unsigned long long)(c->scratch_phys + at),
				src ? "another request's buffer"
				    : "outside every buffer");
			return false;
		}
	}
	return true;
}

/* Used entries since the last look: each names an exposed head (no more
 * often than exposed) with a len within its writable bytes. */
static bool check_used(struct rb_case_run *run, unsigned int *seen, char *why)
{
	struct rb_case_ctx *c = &run->c;
	u32 id, len;
	unsigned int i, n = 0;

	if (!c->ring.vr.num)
		return true;
	while (n < c->ring.vr.num && rr_used_next(&c->ring, &id, &len)) {
		n++;
		for (i = 0; i < c->nheads; i++)
			if (c->heads[i] == id && c->head_count[i])
				break;
		if (i == c->nheads) {
			set_why(why,
				"used entry for head %u, which is not "
				"waiting for the device",
				id);
			return false;
		}
		c->head_count[i]--;
		if (len > c->head_writable[i]) {
			set_why(why,
				"used len %u for head %u, which has %u "
				"writable bytes",
				len, id, c->head_writable[i]);
			return false;
		}
	}
	*seen += n;
	return true;
}

static bool target_alive(struct rb_case_ctx *c, char *why)
{
	return c->port->ops->alive(c->port->ctx, why, RB_WHY_BYTES);
}

static bool needs_reset(struct rb_case_ctx *c)
{
	struct virtio_device *vdev = c->port->vdev;

	return vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* --- the honest workload ----------------------------------------------------- */

enum honest_outcome { HONEST_OK, HONEST_SILENT, HONEST_BAD };

/* Starts a fresh phase: the snapshot is taken anew at the next notify.
 * The attack's heads stay exposed and its ranges writable: a late answer
 * to it is no fault. */
static void new_phase(struct rb_case_run *run)
{
	run->shadow.taken = false;
	run->c.request++;
}

void rb_forget(struct rb_case_ctx *c)
{
	c->nheads = 0;
	c->exposed = 0;
	run_of(c)->shadow.taken = false;
	if (c->ring.vr.num)
		c->ring.used_seen = rr_used_idx(&c->ring);
}

void rb_wait_answer(struct rb_case_ctx *c)
{
	run_device(c, c->port->answer_budget, (u16)c->exposed);
}

static bool head_was_answered(const struct rb_case_ctx *c, u16 head)
{
	unsigned int i;

	for (i = 0; i < c->nheads; i++)
		if (c->heads[i] == head)
			return c->head_count[i] == 0;
	return false;
}

/* The chain at first is built; expose, submit, wait, check. status_phys:
 * the block status byte that must read OK. */
static enum honest_outcome submit_honest(struct rb_case_run *run, u16 first,
					 u32 writable, u64 status_phys,
					 char *why)
{
	struct rb_case_ctx *c = &run->c;
	unsigned int seen = 0;
	u8 status;

	struct head_wait hw = { .c = c, .head = first };

	rb_expose(c, first, writable);
	rb_submit(c, first);
	c->port->ops->run(c->port->ctx, c->port->answer_budget, head_answered,
			  &hw);
	if (!target_alive(c, why))
		return HONEST_BAD;
	if (!check_shadow(run, why) || !check_leaks(c, why) ||
	    !check_used(run, &seen, why))
		return HONEST_BAD;
	if (!head_was_answered(c, first)) {
		set_why(why, "a well-formed request got no answer");
		return HONEST_SILENT;
	}
	if (status_phys && (status = *(u8 *)rb_ptr(c, status_phys)) != 0) {
		set_why(why, "a well-formed block request got status %u",
			status);
		return HONEST_BAD;
	}
	return HONEST_OK;
}

static u64 last_range_phys(const struct rb_case_ctx *c)
{
	return c->nranges ? c->ranges[c->nranges - 1].phys : 0;
}

/* An IN of sector: every byte must read expect. */
static enum honest_outcome read_sector(struct rb_case_run *run, u16 first,
				       u64 sector, u8 expect, char *why)
{
	struct rb_case_ctx *c = &run->c;
	enum honest_outcome o;
	u32 writable, i;
	u64 data;
	u8 *p;

	if (!rb_block_chain(c, first, RB_BLK_T_IN, sector, 0, &writable))
		return HONEST_BAD;
	data = c->ranges[c->nranges - 2].phys;
	o = submit_honest(run, first, writable, last_range_phys(c), why);
	if (o != HONEST_OK)
		return o;
	p = rb_ptr(c, data);
	for (i = 0; i < RB_BLK_SECTOR; i++)
		if (p[i] != expect) {
			set_why(why,
				"sector %llu reads 0x%02x at byte %u, not "
				"0x%02x (a request wrote where it must not)",
				(unsigned long long)sector, p[i], i, expect);
			return HONEST_BAD;
		}
	return HONEST_OK;
}

/* Block: sector 0 untouched, a sector written reads back (FLUSH on a
 * disk under 2 sectors). */
static enum honest_outcome honest_block(struct rb_case_run *run, u16 first,
					char *why)
{
	struct rb_case_ctx *c = &run->c;
	struct virtio_device *vdev = c->port->vdev;
	enum honest_outcome o;
	u64 capacity = 0;
	u32 writable;

	vdev->config->get(vdev, 0, &capacity, sizeof(capacity));
	if (capacity <= RB_HONEST_SECTOR) {
		if (!rb_block_chain(c, first, RB_BLK_T_FLUSH, 0, 0, &writable))
			return HONEST_BAD;
		return submit_honest(run, first, writable, last_range_phys(c),
				     why);
	}
	/* Sector 0: no request ever writes it, so it still reads zeros
	 * (a fresh disk) unless a case's request was written there. */
	o = read_sector(run, first, 0, 0x00, why);
	if (o != HONEST_OK)
		return o;
	new_phase(run);
	if (!rb_block_chain(c, first, RB_BLK_T_OUT, RB_HONEST_SECTOR, 0x3c,
			    &writable))
		return HONEST_BAD;
	o = submit_honest(run, first, writable, last_range_phys(c), why);
	if (o != HONEST_OK)
		return o;
	new_phase(run);
	return read_sector(run, first, RB_HONEST_SECTOR, 0x3c, why);
}

/* virtio-fs: the INIT at first is answered, and with success: the out
 * header names its unique, error 0, and a length within the reply. */
static enum honest_outcome honest_fs(struct rb_case_run *run, u16 first,
				     u32 writable, char *why)
{
	struct rb_case_ctx *c = &run->c;
	u64 out = c->ranges[c->nranges - 1].phys;
	enum honest_outcome o;
	const u8 *h;

	o = submit_honest(run, first, writable, 0, why);
	if (o != HONEST_OK)
		return o;
	h = rb_ptr(c, out);
	if (get_le32(h + 4) != 0 || get_le32(h) < RB_FUSE_OUT_HDR ||
	    get_le32(h) > RB_FUSE_INIT_REPLY || get_le32(h + 8) != 0x5253) {
		set_why(why,
			"a well-formed FUSE_INIT got len %u, error %d, "
			"unique %#x",
			get_le32(h), (int)get_le32(h + 4), get_le32(h + 8));
		return HONEST_BAD;
	}
	return HONEST_OK;
}

/* Net and console: what came back to the receive queue (the frame or
 * the bytes just sent, through the loopback or echo outside) is a reply
 * like any other. Nothing arriving is no fault: not every back end
 * loops. */
static enum honest_outcome honest_receive(struct rb_case_run *run, char *why)
{
	struct rb_case_ctx *c = &run->c;

	rb_rx_wait(c);
	if (!target_alive(c, why))
		return HONEST_BAD;
	if (!check_shadow(run, why) || !rb_rx_check(c, why) ||
	    !check_leaks(c, why))
		return HONEST_BAD;
	return HONEST_OK;
}

static enum honest_outcome honest(struct rb_case_run *run, bool fresh,
				  char *why)
{
	struct rb_case_ctx *c = &run->c;
	enum honest_outcome o;
	u16 first;
	u32 writable;

	new_phase(run);
	if (!c->ring.vr.num) {
		set_why(why, "the request queue is not set up");
		return HONEST_SILENT;
	}
	/* Away from descriptors the attack may have left with the device. */
	first = fresh || c->ring.vr.num < 8 ? 0 : (u16)(c->ring.vr.num / 2);
	if (c->port->device_id == VIRTIO_ID_BLOCK)
		return honest_block(run, first, why);
	rb_rx_refill(c);
	if (!rb_honest_chain(c, first, &writable))
		return HONEST_BAD;
	if (c->port->device_id == RB_VIRTIO_ID_FS)
		return honest_fs(run, first, writable, why);
	o = submit_honest(run, first, writable, 0, why);
	return o == HONEST_OK ? honest_receive(run, why) : o;
}

/* --- one case ---------------------------------------------------------------- */

static int ctx_init(struct rb_case_run *run, struct rb_port *port,
		    const struct rb_case *kase)
{
	struct rb_case_ctx *c = &run->c;

	memset(run, 0, sizeof(*run));
	event_log_init(&run->log, RB_EVENTS_MAX);
	c->log = &run->log;
	c->port = port;
	c->kase = kase;
	c->queue = rb_request_queue(port->device_id);
	c->scratch_bytes = RB_SCRATCH_MAX;
	c->scratch = alloc_pages_exact(c->scratch_bytes, GFP_KERNEL);
	run->shadow.scratch = malloc(c->scratch_bytes);
	if (!c->scratch || !run->shadow.scratch ||
	    ring_shadow_alloc(&run->shadow.request) ||
	    ring_shadow_alloc(&run->shadow.receive))
		return -ENOMEM;
	/* Canaries everywhere a buffer is not (note 4 of robust.h). */
	c->scratch_phys = virt_to_phys(c->scratch);
	rb_canary_fill(c, c->scratch_phys, (u32)c->scratch_bytes);
	return 0;
}

/* Frees the case; its events go to events (the caller's to free) when
 * given. */
static void ctx_fini(struct rb_case_run *run, struct event_log *events)
{
	struct rb_case_ctx *c = &run->c;

	if (events)
		*events = run->log;
	else
		event_log_free(&run->log);

	if (c->nqueues)
		c->port->vdev->config->del_vqs(c->port->vdev);
	c->nqueues = 0;
	if (c->scratch)
		free_pages_exact(c->scratch, c->scratch_bytes);
	free(run->shadow.scratch);
	ring_shadow_free(&run->shadow.request);
	ring_shadow_free(&run->shadow.receive);
}

/* Whether the case applies to this instance (SKIP with why). */
static bool applies(struct rb_case_ctx *c, char *why)
{
	const struct rb_case *k = c->kase;
	struct virtio_device *vdev = c->port->vdev;

	if (!(k->devices & rb_device_bit(c->port->device_id))) {
		set_why(why, "not a request of this device type");
		return false;
	}
	if ((k->needs & RB_NEED_MODERN) && !c->port->modern) {
		set_why(why, "legacy devices have no FEATURES_OK");
		return false;
	}
	if ((k->needs & RB_NEED_INDIRECT) &&
	    !(vdev->config->get_features(vdev) &
	      (1ULL << VIRTIO_RING_F_INDIRECT_DESC))) {
		set_why(why, "the device does not offer INDIRECT_DESC");
		return false;
	}
	return true;
}

/* The attack: stage, let the device settle, observe. Returns false with
 * FAIL's evidence in r->why. */
static bool attack(struct rb_case_run *run, struct rb_result *r)
{
	struct rb_case_ctx *c = &run->c;
	unsigned int seen = 0;
	int err;

	if (!c->kase->reinit) {
		err = setup_all(c);
		if (err) {
			set_why(r->why, "set-up failed before the case (%d)",
				err);
			r->verdict = RB_WEDGED;
			return false;
		}
	}
	err = c->kase->stage(c);
	if (err > 0) {
		r->verdict = RB_SKIP;
		snprintf(r->why, sizeof(r->why), "%s", c->why);
		return false;
	}

	run_device(c, c->port->settle_budget, (u16)c->exposed);
	if (!target_alive(c, r->why) || !check_shadow(run, r->why) ||
	    !check_leaks(c, r->why) || !check_used(run, &seen, r->why) ||
	    !rb_rx_check(c, r->why)) {
		r->verdict = RB_FAIL;
		return false;
	}
	r->used_seen = seen;
	r->needs_reset = needs_reset(c);
	return true;
}

static void describe_reaction(struct rb_result *r, const char *after)
{
	snprintf(r->reaction, sizeof(r->reaction), "%s%s%s",
		 r->needs_reset ? "NEEDS_RESET"
		 : r->used_seen ? "completed harmlessly"
				: "ignored",
		 after[0] ? ", " : "", after);
}

/* Honest workload on the same instance, then after a reset (note 2). */
static void judge(struct rb_case_run *run, struct rb_result *r)
{
	struct rb_case_ctx *c = &run->c;
	char why[RB_WHY_BYTES];
	enum honest_outcome o = HONEST_SILENT;
	bool fresh = c->kase->reinit;

	if (!fresh && !r->needs_reset) {
		o = honest(run, false, why);
		if (o == HONEST_OK) {
			r->verdict = RB_REJECT;
			describe_reaction(r, "");
			return;
		}
		if (o == HONEST_BAD) {
			r->verdict = RB_FAIL;
			snprintf(r->why, sizeof(r->why),
				 "after the case: %.200s", why);
			return;
		}
	}
	if (setup_all(c) == 0) {
		o = honest(run, true, why);
	} else {
		set_why(why, "set-up after a reset failed");
		o = HONEST_SILENT;
	}
	if (!target_alive(c, why))
		o = HONEST_BAD;
	if (o == HONEST_OK) {
		r->verdict = RB_REJECT;
		describe_reaction(
			r, fresh ? "works after a reset"
			   : r->needs_reset
				   ? "works after a reset"
				   : "queue stopped, works after a reset");
		return;
	}
	r->verdict = o == HONEST_BAD ? RB_FAIL : RB_WEDGED;
	snprintf(r->why, sizeof(r->why), "after a reset: %.200s", why);
}

int rb_run_case(const struct rb_target *t, const struct rb_case *kase, u64 seed,
		struct rb_result *r, struct event_log *events)
{
	static struct rb_case_run run;
	struct rb_port port;
	int err;

	memset(r, 0, sizeof(*r));
	r->kase = kase;
	memset(&port, 0, sizeof(port));
	err = t->open(t, seed, &port, r->why, sizeof(r->why));
	/* A third-party process may miss its start-up timeout on a loaded
	 * machine: one more try before it is a setup error. */
	if (err && !t->deterministic)
		err = t->open(t, seed, &port, r->why, sizeof(r->why));
	if (err)
		return err;
	assert(port.modern == t->modern);
	err = ctx_init(&run, &port, kase);
	if (err) {
		set_why(r->why, "no memory for the case");
	} else if (!applies(&run.c, r->why)) {
		r->verdict = RB_SKIP;
	} else if (attack(&run, r)) {
		judge(&run, r);
	}
	r->received = run.c.received;
	if (!err)
		rb_event(&run.c, SIM_EV_FRONT_VERDICT, 0, r->verdict, 0);
	ctx_fini(&run, events);
	t->close(t, &port);
	return err;
}

/* --- the suite ------------------------------------------------------------------ */

static bool selected(const char *only, const char *id)
{
	size_t n = strlen(id);
	const char *p = only;

	if (!only)
		return true;
	while ((p = strstr(p, id)) != NULL) {
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* Every id in only names a case. */
static bool only_valid(const char *only, char *err, size_t n)
{
	char id[64];
	const char *p = only;

	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(id)) {
			snprintf(err, n, "bad case list \"%s\"", only);
			return false;
		}
		memcpy(id, p, len);
		id[len] = 0;
		if (!rb_case_lookup(id)) {
			snprintf(err, n, "no case \"%s\" (see --list)", id);
			return false;
		}
		p += len + (p[len] == ',');
	}
	return true;
}

int rb_run(const struct rb_target *t, const struct rb_options *opt,
	   struct rb_report *report, char *err, size_t n)
{
	struct event_log events;
	unsigned int i;
	int e;

	memset(report, 0, sizeof(*report));
	report->target = t->name;
	report->seed = opt->seed;
	if (opt->only && !only_valid(opt->only, err, n))
		return -EINVAL;
	for (i = 0; i < rb_ncases; i++) {
		struct rb_result *r = &report->results[report->nresults];

		if (!selected(opt->only, rb_cases[i].id))
			continue;
		assert(report->nresults < ARRAY_SIZE(report->results));
		event_log_init(&events, 1);
		if (opt->isolate)
			e = rb_run_case_isolated(t, &rb_cases[i], opt->seed + i,
						 opt->isolate_timeout_ms, r);
		else
			e = rb_run_case(t, &rb_cases[i], opt->seed + i, r,
					&events);
		if (e) {
			event_log_free(&events);
			snprintf(err, n, "%s: %s", t->name, r->why);
			return e;
		}
		r->seed = opt->seed + i;
		if (opt->record)
			opt->record(opt->record_ctx, r,
				    opt->isolate ? NULL : &events);
		event_log_free(&events);
		report->counts[r->verdict]++;
		report->nresults++;
		if (opt->progress)
			opt->progress(opt->progress_ctx, r);
	}
	return 0;
}

const char *rb_verdict_name(enum rb_verdict v)
{
	static const char *const names[RB_VERDICTS] = { "REJECT", "FAIL",
							"WEDGED", "SKIP" };

	return v < RB_VERDICTS ? names[v] : "?";
}

const char *rb_device_names(u32 devices, char *buf, size_t n)
{
	static const char *const names[] = { "net", "block", "console",
					     "entropy", "fs" };
	size_t used = 0;
	unsigned int i;

	buf[0] = 0;
	if (devices == RB_DEV_ALL) {
		snprintf(buf, n, "all");
		return buf;
	}
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (devices & (1u << i))
			used += (size_t)snprintf(buf + used, n - used, "%s%s",
						 used ? "," : "", names[i]);
	return buf;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_ring.c - the driver side of the split virtqueue, with the API of
 * Linux 3.7.1, hardened so that no device can crash it, hang it, or make it
 * lose a buffer.
 *
 * Design notes (the code refers to them by number):
 *
 * 1. Shadow state. Everything the driver needs to find, free and account
 *    for its buffers is private: the free list (threaded through desc_copy[]
 *    .next), a copy of every descriptor written (desc_copy[]), and per head
 *    its token, chain length, last descriptor, writable bytes, indirect table
 *    and avail slot (state[]); plus the driver's own avail idx and flags.
 *    Nothing the driver relies on is read back from shared memory.
 *
 * 2. Device input. The driver takes only used.idx, used.ring[].id/len,
 *    used.flags and avail_event from the device. Each is read once
 *    (READ_ONCE) into a local and validated before it is used.
 *
 * 3. Broken queue. A device that breaks a rule the driver relies on marks
 *    the queue broken and the first fault is kept (ringside/ring_diag.h).
 *    A broken queue accepts no buffers (-EIO), returns none (NULL), ignores
 *    interrupts and kicks, and still hands back every token through
 *    detach_unused_buf, which reads nothing from the device. Its
 *    interrupts answer IRQ_NONE and are counted (irq_broken), so a storm
 *    on a shared line shows as one, as a real IRQ core would see it. A
 *    queue created on a broken device (virtio.c note 5) starts broken.
 *
 * 4. Integrity. When a chain comes back, its descriptors in the table and
 *    its avail ring slot are compared with what the driver wrote: a device
 *    must not rewrite driver-owned ring memory. The slot is compared only
 *    while it still holds the head: with out-of-order completion, later
 *    adds legally lap the avail ring and reuse the slot of a head the
 *    device still holds. Free descriptors are not
 *    compared (the driver rewrites them before use), nor are indirect tables
 *    (the driver never reads them back, so a rewrite there only misleads the
 *    device itself; a conformance checker reports it).
 *
 * 5. Clamping. A used len above the chain's writable bytes is clamped to
 *    them and counted, not fatal: Linux 5.16 broke queues on it and reverted
 *    because legacy devices report lengths for read-only buffers.
 *
 * 6. Bounds. Every loop runs at most num times; chains never exceed num.
 *
 * 7. Legal is not an attack. Out-of-order completion, spurious interrupts,
 *    a device that never completes, and any value of used.flags or
 *    avail_event must leave the queue healthy: they only cost the device
 *    its own notifications.
 *
 * 8. Planted bugs. A build with RINGSIDE_PLANT_BUG=N (never a normal
 *    build: only the test and fuzz canaries that must prove the harness
 *    catches a broken ring) compiles one known defect in:
 *      1  a used id is taken without its range check
 *      2  a used len above the writable bytes is not clamped
 *      3  a used idx running ahead of the outstanding buffers is accepted
 *      4  kick_prepare's event index test looks at the last entry only
 *      5  enable_cb leaves used_event where it was
 *      6  a used id the device already returned is taken again,
 *         unchecked (the free list's invariant assert fires: a crash,
 *         not an oracle)
 *      7  a rewritten descriptor is waited for until the device puts it
 *         back (a device that never does hangs the driver)
 *      8  no kick after 65535 adds without one
 *      9  (virtio.c) negotiation keeps every offered bit from the
 *         transport range on, not only the transport bits the ring knows
 *     10  (virtio.c) register_virtio_driver refuses a driver that lists
 *         transport feature bits in its table
 *     11  a chain put back on the free list keeps its token in the slot
 *         state (the teardown invariant check sees it)
 *
 * 9. Device life cycle (virtio.c notes 6 and 7). While the device is
 *    quiesced (registered, before DRIVER_OK, or reset since) vring_interrupt
 *    answers IRQ_NONE without looking at the ring (irq_quiesced); the
 *    registry delivers what was held back at DRIVER_OK
 *    (virtqueue_device_ready). Deleting a queue of a bound device that is
 *    not quiesced (DRIVER_OK, never reset: the driver forgot) resets the
 *    device first, so it cannot write into the ring about to be freed.
 *    Deleting a queue with buffers outstanding is a driver bug: WARN, and
 *    the indirect tables are still freed.
 *
 * 10. Detaching. As in Linux 3.7.1, detach_unused_buf rolls avail.idx
 *    back by one for every buffer it detaches (three adds and three
 *    detaches leave it where it started), in the shadow and in ring
 *    memory alike, so the integrity check of note 4 keeps agreeing. It is
 *    meant for a device that was reset: a live device sees the index move
 *    backwards. Later adds reuse the slots given back; a head still held
 *    in a reused slot stops being compared there (note 4's lapping).
 *
 * Locking: as in Linux, the caller serialises calls on one queue, except
 * virtqueue_notify, virtqueue_disable_cb and virtqueue_get_vring_size.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>

#include <assert.h>

#ifndef RINGSIDE_PLANT_BUG
#define RINGSIDE_PLANT_BUG 0 /* note 8 */
#endif

/* What a descriptor index is to the driver (note 1). */
enum vring_slot_kind {
	VRING_SLOT_NOT_HEAD = 0, /* free, or inside a chain after its head */
	VRING_SLOT_OUTSTANDING,	 /* head of a chain the device holds */
	VRING_SLOT_RETURNED,	 /* head the device returned (not reused) */
};

/* Private state of one head, valid while kind is OUTSTANDING. */
struct vring_head_state {
	void *data;		  /* the caller's token */
	struct vring_desc *indir; /* indirect table, or NULL */
	u64 writable;		  /* bytes the device may write */
	u16 ndescs;		  /* descriptors of the ring it takes */
	u16 last;		  /* its last descriptor in the ring */
	u16 avail_slot;		  /* avail ring slot it was published in */
	u8 kind;		  /* enum vring_slot_kind */
	bool in_avail;		  /* the slot still holds it (note 4) */
};

struct vring_virtqueue {
	struct virtqueue vq;

	/* Shared with the device: desc and avail written only by the driver,
	 * used written only by the device (notes 2 and 4). */
	struct vring vring;

	bool weak_barriers;
	bool indirect;	   /* INDIRECT_DESC negotiated */
	bool event;	   /* EVENT_IDX negotiated */
	bool broken;	   /* note 3 */
	u16 free_head;	   /* first free descriptor */
	u16 avail_idx;	   /* the avail.idx the driver published */
	u16 avail_flags;   /* the avail.flags the driver published */
	u16 last_used_idx; /* next used entry the driver will consume */
	u16 used_idx_seen; /* the last valid used.idx read from the device */
	u16 detach_cursor; /* where detach_unused_buf resumes scanning */
	unsigned int num_added;	  /* avail entries added since the last kick */
	unsigned int outstanding; /* chains the device holds */

	void (*notify)(struct virtqueue *vq);

	struct vring_fault_info fault;
	struct vring_stats stats;

	struct vring_head_state *state; /* [num] */
	struct vring_desc *desc_copy;	/* [num], note 1 */
	u16 *avail_copy; /* [num]: the head each avail slot holds */
};

#define to_vvq(_vq) container_of(_vq, struct vring_virtqueue, vq)

static const struct vring_virtqueue *to_vvq_const(const struct virtqueue *vq)
{
	return container_of(vq, const struct vring_virtqueue, vq);
}

/* The device's avail_event, after the used ring (EVENT_IDX). Taken as a
 * pointer first so that the access is a plain u16 one. */
static const u16 *vring_avail_event_ptr(const struct vring_virtqueue *vq)
{
	return __vring_avail_event_ptr(&vq->vring);
}

static u16 vring_mask(const struct vring_virtqueue *vq)
{
	return (u16)(vq->vring.num - 1);
}

static const char *vring_name(const struct vring_virtqueue *vq)
{
	return vq->vq.name ? vq->vq.name : "vq";
}

/* --- faults (note 3) --------------------------------------------------- */

static const char *const vring_fault_names[VRING_FAULT_COUNT] = {
	[VRING_FAULT_NONE] = "none",
	[VRING_FAULT_USED_IDX_AHEAD] = "used idx ahead of outstanding buffers",
	[VRING_FAULT_USED_IDX_BACKWARDS] = "used idx moved backwards",
	[VRING_FAULT_USED_ID_RANGE] = "used id out of range",
	[VRING_FAULT_USED_ID_NOT_HEAD] = "used id not an outstanding head",
	[VRING_FAULT_USED_ID_DUPLICATE] = "used id already returned",
	[VRING_FAULT_DESC_REWRITTEN] = "descriptor rewritten by the device",
	[VRING_FAULT_AVAIL_REWRITTEN] = "avail ring rewritten by the device",
	[VRING_FAULT_DEVICE_BROKEN] = "device broken by its transport",
};

const char *vring_fault_name(enum vring_fault fault)
{
	if ((unsigned int)fault >= VRING_FAULT_COUNT)
		return "unknown";
	return vring_fault_names[fault];
}

static __attribute__((cold, noinline)) void
vring_break(struct vring_virtqueue *vq, enum vring_fault fault, u32 value,
	    u32 expected)
{
	assert(fault != VRING_FAULT_NONE);
	if (vq->broken)
		return; /* the first fault is the one worth keeping */
	vq->broken = true;
	vq->fault.fault = fault;
	vq->fault.value = value;
	vq->fault.expected = expected;
	vq->fault.last_used_idx = vq->last_used_idx;
	vq->fault.avail_idx = vq->avail_idx;
	vq->fault.outstanding = vq->outstanding;
	dev_err(&vq->vq.vdev->dev, "%s: queue broken: %s (%u, expected %u)\n",
		vring_name(vq), vring_fault_name(fault), value, expected);
}

void virtqueue_break(struct virtqueue *_vq)
{
	vring_break(to_vvq(_vq), VRING_FAULT_DEVICE_BROKEN, 0, 0);
}

bool virtqueue_is_broken(struct virtqueue *_vq)
{
	return READ_ONCE(to_vvq(_vq)->broken);
}

const struct vring_fault_info *virtqueue_fault(const struct virtqueue *vq)
{
	return &to_vvq_const(vq)->fault;
}

void virtqueue_get_stats(const struct virtqueue *vq, struct vring_stats *out)
{
	*out = to_vvq_const(vq)->stats;
}

unsigned int virtqueue_outstanding(const struct virtqueue *vq)
{
	return to_vvq_const(vq)->outstanding;
}

/* --- scatterlist walking ---------------------------------------------- */

/*
 * One walk over the entries of a request: either an array of count entries
 * (virtqueue_add_buf: Linux 3.7 steps through the array and ignores end
 * markers) or several scatterlists each ending at its end marker
 * (virtqueue_add_sgs).
 */
struct vring_sg_walk {
	struct scatterlist *sg;		  /* the next entry */
	struct scatterlist *const *lists; /* the lists after this one */
	unsigned int left;		  /* array entries, or lists, left */
};

static __always_inline struct scatterlist *
vring_sg_next(struct vring_sg_walk *walk)
{
	struct scatterlist *sg = walk->sg;

	if (!walk->lists) {
		walk->left--;
		walk->sg = walk->left ? sg + 1 : NULL;
		return sg;
	}
	walk->sg = sg_next(sg);
	while (!walk->sg && walk->left) {
		walk->sg = *walk->lists++;
		walk->left--;
	}
	return sg;
}

/* --- adding buffers ---------------------------------------------------- */

/* Writes descriptor i to the shadow and to the shared table (note 1). The
 * device sees it only after the avail idx that covers it is published. */
static void vring_write_desc(struct vring_virtqueue *vq, u16 i, u64 addr,
			     u32 len, u16 flags)
{
	struct vring_desc *copy = &vq->desc_copy[i];
	struct vring_desc *shared = &vq->vring.desc[i];

	copy->addr = addr;
	copy->len = len;
	copy->flags = flags;
	/* copy->next keeps the free-list link: it names the chain's next.
	 * The shared entry is written from the same values, not copied back
	 * from the shadow (a 16-byte reload would stall on the stores). */
	shared->addr = addr;
	shared->len = len;
	shared->flags = flags;
	shared->next = copy->next;
}

/* Translates an entry's buffer; false (after the shim's WARN) when it lies
 * outside guest memory, where no device can reach it. */
static bool vring_sg_phys(const struct scatterlist *sg, u64 *phys)
{
	*phys = sg_phys(sg);
	return *phys != RINGSIDE_BAD_PHYS;
}

/*
 * Fills an indirect table for the whole request and takes one ring
 * descriptor for it. Returns the head, -ENOMEM when the table cannot be
 * allocated (the caller falls back to direct descriptors), -EINVAL for a
 * buffer outside guest memory.
 */
static int vring_add_indirect(struct vring_virtqueue *vq,
			      struct vring_sg_walk *walk, unsigned int out,
			      unsigned int total, u64 *writable, gfp_t gfp)
{
	struct vring_desc *table;
	unsigned int i;
	u16 head = vq->free_head;
	u64 phys;

	table = kmalloc_array(total, sizeof(*table), gfp);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < total; i++) {
		struct scatterlist *sg = vring_sg_next(walk);

		if (!vring_sg_phys(sg, &phys)) {
			kfree(table);
			return -EINVAL;
		}
		table[i].addr = phys;
		table[i].len = sg->length;
		table[i].flags = i + 1 < total ? VRING_DESC_F_NEXT : 0;
		table[i].next = (u16)(i + 1);
		if (i >= out) {
			table[i].flags |= VRING_DESC_F_WRITE;
			*writable += sg->length;
		}
	}
	vring_write_desc(vq, head, virt_to_phys(table), total * sizeof(*table),
			 VRING_DESC_F_INDIRECT);
	vq->state[head].indir = table;
	vq->state[head].ndescs = 1;
	vq->state[head].last = head;
	vq->free_head = vq->desc_copy[head].next;
	return head;
}

/* Takes total descriptors from the free list for a direct chain. Returns
 * the head or -EINVAL; on error the free list is left untouched because
 * free_head only moves once every entry is valid. */
static int vring_add_direct(struct vring_virtqueue *vq,
			    struct vring_sg_walk *walk, unsigned int out,
			    unsigned int total, u64 *writable)
{
	u16 head = vq->free_head, i = head, prev = head;
	unsigned int n;
	u64 phys;

	for (n = 0; n < total; n++) {
		struct scatterlist *sg = vring_sg_next(walk);
		u16 flags = n + 1 < total ? VRING_DESC_F_NEXT : 0;

		if (!vring_sg_phys(sg, &phys))
			return -EINVAL;
		if (n >= out) {
			flags |= VRING_DESC_F_WRITE;
			*writable += sg->length;
		}
		vring_write_desc(vq, i, phys, sg->length, flags);
		vq->state[i].kind = VRING_SLOT_NOT_HEAD;
		prev = i;
		i = vq->desc_copy[i].next;
	}
	vq->state[head].indir = NULL;
	vq->state[head].ndescs = (u16)total;
	vq->state[head].last = prev;
	vq->free_head = i;
	return head;
}

/* Makes the chain at head available to the device. */
static void vring_publish(struct vring_virtqueue *vq, u16 head, void *data,
			  u64 writable, unsigned int ndescs)
{
	struct vring_head_state *st = &vq->state[head];
	u16 slot = vq->avail_idx & vring_mask(vq);
	struct vring_head_state *lapped = &vq->state[vq->avail_copy[slot]];

	/* The slot's previous head, if the device still holds it, leaves
	 * the avail ring now (note 4). */
	if (lapped->avail_slot == slot)
		lapped->in_avail = false;
	vq->avail_copy[slot] = head;
	st->in_avail = true;
	st->data = data;
	st->writable = writable;
	st->avail_slot = slot;
	st->kind = VRING_SLOT_OUTSTANDING;
	vq->vq.num_free -= ndescs;
	vq->outstanding++;
	vq->stats.added++;

	WRITE_ONCE(vq->vring.avail->ring[slot], head);
	/* The descriptors and the ring entry before the idx that exposes them. */
	virtio_wmb(vq->weak_barriers);
	vq->avail_idx++;
	WRITE_ONCE(vq->vring.avail->idx, vq->avail_idx);
	vq->num_added++;
}

/* Rejects requests that can never be valid (a caller bug: WARN). */
static bool vring_request_valid(struct vring_virtqueue *vq, unsigned int total,
				const void *data)
{
	if (WARN_ON(!data))
		return false;
	if (WARN_ON(total == 0))
		return false;
	if (WARN_ON(total > VRING_MAX_SIZE))
		return false;
	/* Longer than the ring: only an indirect table can hold it. Linux
	 * 3.7 tries one before its BUG_ON, and a device bounds an indirect
	 * chain by the table's own length. */
	if (WARN_ON(total > vq->vring.num && !vq->indirect))
		return false;
	return true;
}

static int vring_add(struct vring_virtqueue *vq, struct vring_sg_walk *walk,
		     unsigned int out, unsigned int in, void *data, gfp_t gfp)
{
	unsigned int total = out + in;
	u64 writable = 0;
	int head = -ENOMEM;

	if (unlikely(vq->broken))
		return -EIO;
	if (!vring_request_valid(vq, total, data))
		return -EINVAL;

	if (vq->indirect && total > 1 && vq->vq.num_free) {
		head = vring_add_indirect(vq, walk, out, total, &writable, gfp);
		if (head == -ENOMEM)
			vq->stats.indirect_fallback++;
		else
			vq->stats.indirect += head >= 0;
	}
	if (head == -ENOMEM) {
		/* The table the caller allowed us to allocate failed, and no
		 * direct chain can be that long. */
		if (total > vq->vring.num && vq->vq.num_free)
			return -ENOMEM;
		if (vq->vq.num_free < total) {
			vq->stats.enospc++;
			/* Linux 3.7: a full ring with outgoing data kicks the
			 * device so that it makes room. */
			if (out)
				virtqueue_notify(&vq->vq);
			return -ENOSPC;
		}
		head = vring_add_direct(vq, walk, out, total, &writable);
	}
	if (head < 0)
		return head;

	vring_publish(vq, (u16)head, data, writable, vq->state[head].ndescs);
	/* 65535 adds without a kick would make the event index test
	 * ambiguous: kick now, as Linux does. */
	if (unlikely(vq->num_added == 0xffff) && RINGSIDE_PLANT_BUG != 8)
		virtqueue_kick(&vq->vq);
	return (int)vq->vq.num_free;
}

int virtqueue_add_buf(struct virtqueue *_vq, struct scatterlist sg[],
		      unsigned int out_num, unsigned int in_num, void *data,
		      gfp_t gfp)
{
	struct vring_sg_walk walk = { sg, NULL, out_num + in_num };

	if (WARN_ON(!sg && out_num + in_num))
		return -EINVAL;
	return vring_add(to_vvq(_vq), &walk, out_num, in_num, data, gfp);
}

int virtqueue_add_outbuf(struct virtqueue *vq, struct scatterlist sg[],
			 unsigned int num, void *data, gfp_t gfp)
{
	return virtqueue_add_buf(vq, sg, num, 0, data, gfp);
}

int virtqueue_add_inbuf(struct virtqueue *vq, struct scatterlist sg[],
			unsigned int num, void *data, gfp_t gfp)
{
	return virtqueue_add_buf(vq, sg, 0, num, data, gfp);
}

/* Counts the entries of lists [first, first + n), stopping once the count
 * passes limit (a list without an end marker must not run forever).
 * Returns the count, or limit + 1 when there are more. */
static unsigned int vring_count_sgs(struct scatterlist *sgs[],
				    unsigned int first, unsigned int n,
				    unsigned int limit, bool *null_list)
{
	unsigned int count = 0, i;
	struct scatterlist *sg;

	for (i = first; i < first + n; i++) {
		if (!sgs[i]) {
			*null_list = true;
			continue;
		}
		for (sg = sgs[i]; sg; sg = sg_next(sg))
			if (++count > limit)
				return limit + 1;
	}
	return count;
}

int virtqueue_add_sgs(struct virtqueue *_vq, struct scatterlist *sgs[],
		      unsigned int out_sgs, unsigned int in_sgs, void *data,
		      gfp_t gfp)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	unsigned int out, in;
	struct vring_sg_walk walk;
	bool null_list = false;

	if (WARN_ON(!sgs || out_sgs + in_sgs == 0))
		return -EINVAL;
	/* Counted against the largest chain any table can hold, not the
	 * ring: an indirect table may be longer than the ring. The counts
	 * must be exact, for the walk below takes out + in entries. */
	out = vring_count_sgs(sgs, 0, out_sgs, VRING_MAX_SIZE, &null_list);
	in = vring_count_sgs(sgs, out_sgs, in_sgs, VRING_MAX_SIZE, &null_list);
	if (WARN_ON(null_list))
		return -EINVAL;
	if (WARN_ON(out > VRING_MAX_SIZE || in > VRING_MAX_SIZE))
		return -EINVAL;
	walk.sg = sgs[0];
	walk.lists = sgs + 1;
	walk.left = out_sgs + in_sgs - 1;
	return vring_add(vq, &walk, out, in, data, gfp);
}

/* --- notification ------------------------------------------------------ */

bool virtqueue_kick_prepare(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	u16 new_idx = vq->avail_idx;
	u16 old_idx = (u16)(new_idx - (RINGSIDE_PLANT_BUG == 4 && vq->num_added
					       ? 1
					       : vq->num_added));
	bool needed;

	/* The new avail idx must be visible before we read whether the
	 * device wants to hear about it. */
	virtio_mb(vq->weak_barriers);
	vq->num_added = 0;
	if (unlikely(vq->broken))
		return false;
	if (vq->event)
		needed = vring_need_event(READ_ONCE(*vring_avail_event_ptr(vq)),
					  new_idx, old_idx);
	else
		needed = !(READ_ONCE(vq->vring.used->flags) &
			   VRING_USED_F_NO_NOTIFY);
	if (!needed)
		vq->stats.kicks_suppressed++;
	return needed;
}

void virtqueue_notify(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	if (unlikely(vq->broken))
		return;
	vq->stats.kicks++;
	vq->notify(_vq);
}

void virtqueue_kick(struct virtqueue *vq)
{
	if (virtqueue_kick_prepare(vq))
		virtqueue_notify(vq);
}

/* --- getting buffers back ---------------------------------------------- */

/*
 * Reads used.idx once and validates it (note 2): it may not move backwards,
 * nor further ahead of the driver than the chains the device holds.
 * Returns false when it broke the queue.
 */
static __always_inline bool vring_read_used_idx(struct vring_virtqueue *vq)
{
	u16 idx = READ_ONCE(vq->vring.used->idx);
	u16 ahead = (u16)(idx - vq->last_used_idx);
	u16 seen_ahead = (u16)(vq->used_idx_seen - vq->last_used_idx);

	if (unlikely(ahead > vq->outstanding) && RINGSIDE_PLANT_BUG != 3) {
		/* Just behind what was seen reads as a huge step ahead. */
		bool behind = (u16)(vq->used_idx_seen - idx) <= vq->vring.num;

		vring_break(
			vq,
			behind ? VRING_FAULT_USED_IDX_BACKWARDS
			       : VRING_FAULT_USED_IDX_AHEAD,
			idx,
			behind ? vq->used_idx_seen
			       : (u16)(vq->last_used_idx + vq->outstanding));
		return false;
	}
	if (unlikely(ahead < seen_ahead)) {
		vring_break(vq, VRING_FAULT_USED_IDX_BACKWARDS, idx,
			    vq->used_idx_seen);
		return false;
	}
	vq->used_idx_seen = idx;
	return true;
}

/* True when a used entry is waiting; reads the device only once the
 * entries seen before are consumed. */
static __always_inline bool vring_more_used(struct vring_virtqueue *vq)
{
	if (vq->last_used_idx != vq->used_idx_seen)
		return true;
	if (!vring_read_used_idx(vq))
		return false;
	return vq->last_used_idx != vq->used_idx_seen;
}

static bool vring_used_id_valid(struct vring_virtqueue *vq, u32 id)
{
	if (unlikely(id >= vq->vring.num) && RINGSIDE_PLANT_BUG != 1) {
		vring_break(vq, VRING_FAULT_USED_ID_RANGE, id, vq->vring.num);
		return false;
	}
	switch (vq->state[id].kind) {
	case VRING_SLOT_OUTSTANDING:
		return true;
	case VRING_SLOT_RETURNED:
		if (RINGSIDE_PLANT_BUG == 6)
			return true;
		vring_break(vq, VRING_FAULT_USED_ID_DUPLICATE, id, id);
		return false;
	default:
		vring_break(vq, VRING_FAULT_USED_ID_NOT_HEAD, id, id);
		return false;
	}
}

/* A descriptor read as two 64-bit words: two loads, not four. */
typedef u64 __attribute__((may_alias)) vring_word;

static bool vring_desc_intact(const struct vring_desc *shared,
			      const struct vring_desc *copy)
{
	const vring_word *s = (const vring_word *)(const void *)shared;
	const vring_word *c = (const vring_word *)(const void *)copy;

	BUILD_BUG_ON(sizeof(struct vring_desc) != 2 * sizeof(vring_word));
	return READ_ONCE(s[0]) == c[0] && READ_ONCE(s[1]) == c[1];
}

/* Note 4: the chain and its avail slot are as the driver wrote them. */
static bool vring_chain_intact(struct vring_virtqueue *vq, u16 head)
{
	const struct vring_head_state *st = &vq->state[head];
	u16 i = head, slot_value, avail_idx;
	unsigned int n;

	if (RINGSIDE_PLANT_BUG == 6 && st->kind == VRING_SLOT_RETURNED)
		return true; /* note 8: bug 6 takes it as it is */
	for (n = 0; n < st->ndescs; n++) {
		while (RINGSIDE_PLANT_BUG == 7 &&
		       !vring_desc_intact(&vq->vring.desc[i],
					  &vq->desc_copy[i]))
			; /* READ_ONCE: each pass reads the device again */
		if (!vring_desc_intact(&vq->vring.desc[i], &vq->desc_copy[i])) {
			vring_break(vq, VRING_FAULT_DESC_REWRITTEN, i, head);
			return false;
		}
		i = vq->desc_copy[i].next;
	}
	slot_value = st->in_avail
			     ? READ_ONCE(vq->vring.avail->ring[st->avail_slot])
			     : head;
	if (unlikely(slot_value != head)) {
		vring_break(vq, VRING_FAULT_AVAIL_REWRITTEN, slot_value, head);
		return false;
	}
	avail_idx = READ_ONCE(vq->vring.avail->idx);
	if (unlikely(avail_idx != vq->avail_idx)) {
		vring_break(vq, VRING_FAULT_AVAIL_REWRITTEN, avail_idx,
			    vq->avail_idx);
		return false;
	}
	return true;
}

/* Puts a chain back on the free list; O(1) thanks to state.last. */
static void *vring_free_chain(struct vring_virtqueue *vq, u16 head,
			      enum vring_slot_kind kind_after)
{
	struct vring_head_state *st = &vq->state[head];
	void *data = st->data;

	assert(st->kind == VRING_SLOT_OUTSTANDING);
	assert(vq->outstanding > 0);
	assert(vq->vq.num_free + st->ndescs <= vq->vring.num);
	if (st->indir)
		kfree(st->indir);
	vq->desc_copy[st->last].next = vq->free_head;
	vq->free_head = head;
	vq->vq.num_free += st->ndescs;
	vq->outstanding--;
	if (RINGSIDE_PLANT_BUG != 11)
		st->data = NULL;
	st->indir = NULL;
	st->kind = (u8)kind_after;
	return data;
}

static u32 vring_clamp_len(struct vring_virtqueue *vq, u16 head, u32 len)
{
	u64 writable = vq->state[head].writable;

	if (likely(len <= writable) || RINGSIDE_PLANT_BUG == 2)
		return len;
	vq->stats.len_clamped++;
	vq->stats.last_clamp_id = head;
	vq->stats.last_clamp_len = len;
	vq->stats.last_clamp_limit = (u32)writable;
	pr_debug("%s: used len %u clamped to %u\n", vring_name(vq), len,
		 (u32)writable);
	return (u32)writable;
}

void *virtqueue_get_buf(struct virtqueue *_vq, unsigned int *len)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	struct vring_used_elem *elem;
	u32 id, used_len;
	void *data;

	if (unlikely(vq->broken) || !vring_more_used(vq))
		return NULL;
	/* Only entries covered by the used idx just read are valid. */
	virtio_rmb(vq->weak_barriers);

	elem = &vq->vring.used->ring[vq->last_used_idx & vring_mask(vq)];
	id = READ_ONCE(elem->id);
	used_len = READ_ONCE(elem->len);
	if (!vring_used_id_valid(vq, id) || !vring_chain_intact(vq, (u16)id))
		return NULL;

	used_len = vring_clamp_len(vq, (u16)id, used_len);
	data = vring_free_chain(vq, (u16)id, VRING_SLOT_RETURNED);
	vq->last_used_idx++;
	vq->stats.used++;
	/* With EVENT_IDX, ask for an interrupt at the next entry, and make
	 * that request visible before the next read of used.idx. */
	if (vq->event && !(vq->avail_flags & VRING_AVAIL_F_NO_INTERRUPT)) {
		WRITE_ONCE(vring_used_event(&vq->vring), vq->last_used_idx);
		virtio_mb(vq->weak_barriers);
	}
	if (len)
		*len = used_len;
	assert(data);
	return data;
}

/* --- callbacks --------------------------------------------------------- */

static void vring_set_avail_flags(struct vring_virtqueue *vq, u16 flags)
{
	vq->avail_flags = flags;
	WRITE_ONCE(vq->vring.avail->flags, flags);
}

void virtqueue_disable_cb(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	if (!(vq->avail_flags & VRING_AVAIL_F_NO_INTERRUPT))
		vring_set_avail_flags(vq, vq->avail_flags |
						  VRING_AVAIL_F_NO_INTERRUPT);
}

/* Re-enables interrupts after "bufs" more used entries; returns false when
 * more than that are already waiting (the caller must poll again). */
static bool vring_enable_cb_after(struct vring_virtqueue *vq, u16 bufs)
{
	vring_set_avail_flags(vq,
			      vq->avail_flags & ~VRING_AVAIL_F_NO_INTERRUPT);
	if (RINGSIDE_PLANT_BUG != 5)
		WRITE_ONCE(vring_used_event(&vq->vring),
			   (u16)(vq->last_used_idx + bufs));
	/* The request must be visible before we look for pending entries,
	 * or an entry used in between would raise no interrupt. */
	virtio_mb(vq->weak_barriers);
	if (unlikely(vq->broken) || !vring_read_used_idx(vq))
		return true; /* nothing will ever be pending on it */
	return (u16)(vq->used_idx_seen - vq->last_used_idx) <= bufs;
}

bool virtqueue_enable_cb(struct virtqueue *_vq)
{
	return vring_enable_cb_after(to_vvq(_vq), 0);
}

bool virtqueue_enable_cb_delayed(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	/* Linux 3.7: interrupt after about 3/4 of the outstanding buffers. */
	return vring_enable_cb_after(vq, (u16)(vq->outstanding * 3 / 4));
}

irqreturn_t vring_interrupt(int irq, void *_vq)
{
	struct vring_virtqueue *vq = to_vvq((struct virtqueue *)_vq);

	(void)irq;
	if (unlikely(vq->broken)) {
		vq->stats.irq_broken++; /* note 3 */
		return IRQ_NONE;
	}
	if (unlikely(READ_ONCE(vq->vq.vdev->quiesced))) {
		vq->stats.irq_quiesced++; /* note 9 */
		return IRQ_NONE;
	}
	if (!vring_more_used(vq)) {
		if (vq->broken)
			return IRQ_HANDLED;
		vq->stats.spurious++;
		return IRQ_NONE;
	}
	vq->stats.interrupts++;
	if (vq->vq.callback)
		vq->vq.callback(&vq->vq);
	return IRQ_HANDLED;
}

void virtqueue_device_ready(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	if (unlikely(vq->broken) || !vring_more_used(vq))
		return;
	vq->stats.interrupts++;
	if (vq->vq.callback)
		vq->vq.callback(&vq->vq);
}

/* --- teardown ---------------------------------------------------------- */

/* Note 10: as Linux 3.7.1, one avail entry fewer for each buffer
 * detached. */
static void vring_unpublish_one(struct vring_virtqueue *vq)
{
	vq->avail_idx--;
	WRITE_ONCE(vq->vring.avail->idx, vq->avail_idx);
}

void *virtqueue_detach_unused_buf(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	unsigned int n;

	/* The scan resumes where the last one stopped, so detaching every
	 * buffer costs O(num) in all (note 6). */
	for (n = 0; n < vq->vring.num && vq->outstanding; n++) {
		u16 i = vq->detach_cursor;

		vq->detach_cursor = (u16)((i + 1) & vring_mask(vq));
		if (vq->state[i].kind != VRING_SLOT_OUTSTANDING)
			continue;
		vq->stats.detached++;
		vring_unpublish_one(vq);
		return vring_free_chain(vq, i, VRING_SLOT_NOT_HEAD);
	}
	assert(vq->outstanding == 0);
	assert(vq->vq.num_free == vq->vring.num);
	return NULL;
}

unsigned int virtqueue_get_vring_size(struct virtqueue *_vq)
{
	return to_vvq(_vq)->vring.num;
}

int virtqueue_get_queue_index(struct virtqueue *_vq)
{
	return (int)_vq->index;
}

/* --- creation ---------------------------------------------------------- */

static bool vring_size_valid(unsigned int num)
{
	return num >= 1 && num <= VRING_MAX_SIZE && !(num & (num - 1));
}

static struct vring_virtqueue *vring_alloc(unsigned int num)
{
	size_t bytes = sizeof(struct vring_virtqueue) +
		       num * (sizeof(struct vring_head_state) +
			      sizeof(struct vring_desc) + sizeof(u16));
	struct vring_virtqueue *vq = kzalloc(bytes, GFP_KERNEL);

	if (!vq)
		return NULL;
	vq->state = (struct vring_head_state *)(vq + 1);
	vq->desc_copy = (struct vring_desc *)(vq->state + num);
	vq->avail_copy = (u16 *)(vq->desc_copy + num);
	return vq;
}

struct virtqueue *vring_new_virtqueue(unsigned int index, unsigned int num,
				      unsigned int vring_align,
				      struct virtio_device *vdev,
				      bool weak_barriers, void *pages,
				      void (*notify)(struct virtqueue *),
				      void (*callback)(struct virtqueue *),
				      const char *name)
{
	struct vring_virtqueue *vq;
	unsigned int i;

	if (WARN_ON(!vdev || !pages || !notify))
		return NULL;
	if (WARN_ON(!vring_align || (vring_align & (vring_align - 1))))
		return NULL;
	if (!vring_size_valid(num)) {
		/* The device chose the size: its fault, not ours. */
		dev_warn(&vdev->dev, "bad virtqueue length %u\n", num);
		return NULL;
	}
	vq = vring_alloc(num);
	if (!vq)
		return NULL;

	vring_init(&vq->vring, num, pages, vring_align);
	vq->vq.callback = callback;
	vq->vq.vdev = vdev;
	vq->vq.name = name;
	vq->vq.index = index;
	vq->vq.num_free = num;
	vq->notify = notify;
	vq->weak_barriers = weak_barriers;
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	vq->event = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	/* No callback? Tell the other side not to bother us. */
	if (!callback)
		vring_set_avail_flags(vq, VRING_AVAIL_F_NO_INTERRUPT);
	for (i = 0; i < num; i++)
		vq->desc_copy[i].next = (u16)((i + 1) & (num - 1));

	/* A zero-filled device has no list head yet: make one. */
	if (!vdev->vqs.next)
		INIT_LIST_HEAD(&vdev->vqs);
	list_add_tail(&vq->vq.list, &vdev->vqs);
	if (READ_ONCE(vdev->broken))
		virtqueue_break(&vq->vq); /* note 3 */
	return &vq->vq;
}

/* Note 9: the device may still use the ring about to be freed. */
static void vring_stop_device(struct virtio_device *vdev)
{
	if (!vdev->dev.driver || READ_ONCE(vdev->quiesced))
		return;
	if (vdev->config->get_status(vdev))
		dev_warn(&vdev->dev, "virtio: driver did not reset device "
				     "before deleting its queues\n");
	virtio_reset_begin(vdev);
	vdev->config->reset(vdev);
}

void vring_del_virtqueue(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	unsigned int i;

	vring_stop_device(_vq->vdev);
	/* Note 9: a driver bug when a driver owns the queue. */
	WARN(vq->outstanding && _vq->vdev->dev.driver,
	     "queue deleted with buffers outstanding");
	list_del(&_vq->list);
	/* Indirect tables of buffers never detached would leak. */
	for (i = 0; i < vq->vring.num && vq->outstanding; i++)
		if (vq->state[i].kind == VRING_SLOT_OUTSTANDING)
			vring_free_chain(vq, (u16)i, VRING_SLOT_NOT_HEAD);
	kfree(vq);
}

void vring_transport_features(struct virtio_device *vdev)
{
	unsigned int i;

	for (i = VIRTIO_TRANSPORT_F_START; i < VIRTIO_TRANSPORT_F_END; i++) {
		switch (i) {
		case VIRTIO_RING_F_INDIRECT_DESC:
		case VIRTIO_RING_F_EVENT_IDX:
		case VIRTIO_F_VERSION_1:
			break;
		default:
			/* We don't understand this bit. */
			clear_bit(i, vdev->features);
		}
	}
}

/* --- self-check -------------------------------------------------------- */

static const char *vring_check_free_list(const struct vring_virtqueue *vq,
					 unsigned char *seen)
{
	unsigned int n;
	u16 i = vq->free_head;

	for (n = 0; n < vq->vq.num_free; n++) {
		if (i >= vq->vring.num)
			return "free list leaves the ring";
		if (seen[i / 8] & (1u << (i % 8)))
			return "free list has a loop";
		if (vq->state[i].kind == VRING_SLOT_OUTSTANDING)
			return "outstanding head on the free list";
		seen[i / 8] |= (unsigned char)(1u << (i % 8));
		i = vq->desc_copy[i].next;
	}
	return NULL;
}

static const char *vring_check_chain(const struct vring_virtqueue *vq, u16 head,
				     unsigned char *seen)
{
	const struct vring_head_state *st = &vq->state[head];
	unsigned int n;
	u16 i = head;

	if (!st->data)
		return "outstanding head without a token";
	if (st->ndescs == 0 || (st->indir && st->ndescs != 1))
		return "bad chain length";
	for (n = 0; n < st->ndescs; n++) {
		if (seen[i / 8] & (1u << (i % 8)))
			return "descriptor in two places";
		seen[i / 8] |= (unsigned char)(1u << (i % 8));
		if (n + 1 == st->ndescs)
			break;
		i = vq->desc_copy[i].next;
	}
	if (i != st->last)
		return "chain does not end at its last descriptor";
	return NULL;
}

const char *virtqueue_check_invariants(const struct virtqueue *_vq)
{
	const struct vring_virtqueue *vq = to_vvq_const(_vq);
	unsigned char seen[VRING_MAX_SIZE / 8];
	unsigned int i, outstanding = 0, in_chains = 0;
	const char *problem;

	memset(seen, 0, sizeof(seen));
	if (vq->vq.num_free > vq->vring.num)
		return "more free descriptors than the ring has";
	problem = vring_check_free_list(vq, seen);
	for (i = 0; !problem && i < vq->vring.num; i++) {
		if (vq->state[i].kind != VRING_SLOT_OUTSTANDING) {
			if (vq->state[i].data)
				problem =
					"token kept for a head not outstanding";
			continue;
		}
		outstanding++;
		in_chains += vq->state[i].ndescs;
		problem = vring_check_chain(vq, (u16)i, seen);
	}
	if (problem)
		return problem;
	if (outstanding != vq->outstanding)
		return "outstanding count differs from the heads";
	if (in_chains + vq->vq.num_free != vq->vring.num)
		return "descriptors lost: chains + free != ring size";
	return NULL;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside/ring_diag.h - what a virtqueue knows about its device.
 *
 * When a device breaks a rule the ring depends on, the queue is marked
 * broken and keeps the first fault: which check failed, with the offending
 * and the expected value. Rules whose violation the ring can survive (a
 * used len larger than the chain's writable bytes) are counted instead.
 * These calls are ringside extensions, not Linux API.
 */
#ifndef _RINGSIDE_RING_DIAG_H
#define _RINGSIDE_RING_DIAG_H

#include <linux/types.h>

struct virtqueue;
struct virtio_device;

enum vring_fault {
	VRING_FAULT_NONE = 0,
	/* used.idx is further ahead of the last seen entry than the number of
	 * buffers the device holds: value = used.idx, expected = last used
	 * idx + outstanding */
	VRING_FAULT_USED_IDX_AHEAD,
	/* used.idx moved backwards: value = used.idx, expected = the idx
	 * seen before */
	VRING_FAULT_USED_IDX_BACKWARDS,
	/* used id >= queue size: value = id, expected = queue size */
	VRING_FAULT_USED_ID_RANGE,
	/* used id is not the head of a chain the device holds: value = id */
	VRING_FAULT_USED_ID_NOT_HEAD,
	/* used id is a head the device already returned: value = id */
	VRING_FAULT_USED_ID_DUPLICATE,
	/* a descriptor of the returned chain differs from what the driver
	 * wrote: value = descriptor index, expected = the chain's head */
	VRING_FAULT_DESC_REWRITTEN,
	/* the avail ring changed under the driver: value = what was read,
	 * expected = what the driver wrote (the slot's head or avail.idx) */
	VRING_FAULT_AVAIL_REWRITTEN,
	/* virtio_break_device: the transport gave up on the device */
	VRING_FAULT_DEVICE_BROKEN,
	VRING_FAULT_COUNT
};

struct vring_fault_info {
	enum vring_fault fault;
	u32 value;
	u32 expected;
	u16 last_used_idx;	  /* the driver's last used idx at the time */
	u16 avail_idx;		  /* the driver's avail idx at the time */
	unsigned int outstanding; /* chains the device held at the time */
};

struct vring_stats {
	u64 added;	       /* buffers added */
	u64 used;	       /* tokens returned by get_buf */
	u64 detached;	       /* tokens returned by detach_unused_buf */
	u64 indirect;	       /* buffers added through an indirect table */
	u64 indirect_fallback; /* indirect table not allocated: direct used */
	u64 enospc;	       /* add_buf refused for lack of descriptors */
	u64 kicks;	       /* notifications sent to the device */
	u64 kicks_suppressed;  /* kick_prepare said no notification needed */
	u64 interrupts;	       /* vring_interrupt calls that found work */
	u64 spurious;	       /* vring_interrupt calls that found none */
	u64 irq_broken;	       /* vring_interrupt calls on a broken queue */
	u64 irq_quiesced;      /* ... before DRIVER_OK or after a reset */
	u64 len_clamped;       /* used lens larger than the writable bytes */
	u32 last_clamp_id;     /* the latest clamped entry: its head, */
	u32 last_clamp_len;    /* the len the device wrote */
	u32 last_clamp_limit;  /* and the chain's writable bytes */
};

/* Marks the queue broken with VRING_FAULT_DEVICE_BROKEN (what
 * virtio_break_device does to each queue of its device). */
void virtqueue_break(struct virtqueue *vq);

/* The registry has set DRIVER_OK: a queue whose device used buffers
 * while its interrupts were ignored (a driver may add buffers in its
 * probe) gets its callback now, so no driver waits for an interrupt that
 * was dropped. */
void virtqueue_device_ready(struct virtqueue *vq);

/* The first fault of a broken queue (fault NONE while it is healthy). */
const struct vring_fault_info *virtqueue_fault(const struct virtqueue *vq);
const char *vring_fault_name(enum vring_fault fault);
void virtqueue_get_stats(const struct virtqueue *vq, struct vring_stats *out);
/* Chains added and not yet returned by get_buf or detach_unused_buf. */
unsigned int virtqueue_outstanding(const struct virtqueue *vq);
/* Walks the private state: NULL when every invariant holds (free list
 * length, descriptor accounting, token and head bookkeeping), otherwise a
 * description of the first broken one. O(queue size); for tests. */
const char *virtqueue_check_invariants(const struct virtqueue *vq);

#endif /* _RINGSIDE_RING_DIAG_H */

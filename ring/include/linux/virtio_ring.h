/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * linux/virtio_ring.h - the split virtqueue layout and the ring's transport
 * interface (Linux 3.7.1: uapi part and kernel part in one header).
 *
 * Layout of a ring of num entries (num a power of two, 1..32768) starting
 * at a page-aligned address; every field is little-endian.
 *
 *   offset                         size      field          written by
 *   0                              16*num    desc[num]      driver
 *     +0  addr   u64  guest-physical address of the buffer
 *     +8  len    u32  bytes
 *     +12 flags  u16  NEXT 1, WRITE 2 (device writes), INDIRECT 4
 *     +14 next   u16  index of the next descriptor when NEXT is set
 *   16*num                         2         avail.flags    driver
 *   16*num+2                       2         avail.idx      driver
 *   16*num+4                       2*num     avail.ring[]   driver
 *   16*num+4+2*num                 2         used_event     driver (EVENT_IDX)
 *   U = align_up(16*num+6+2*num, align)
 *   U                              2         used.flags     device
 *   U+2                            2         used.idx       device
 *   U+4                            8*num     used.ring[]    device
 *     +0  id     u32  head of the chain the device returns
 *     +4  len    u32  bytes the device wrote into the chain
 *   U+4+8*num                      2         avail_event    device (EVENT_IDX)
 *
 * avail.idx and used.idx are free-running u16 counters; a slot is idx % num.
 */
#ifndef _LINUX_VIRTIO_RING_H
#define _LINUX_VIRTIO_RING_H

#include <linux/compiler.h>
#include <linux/interrupt.h>
#include <linux/types.h>

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

/* The device sets this in used.flags: "don't kick me when you add". */
#define VRING_USED_F_NO_NOTIFY 1
/* The driver sets this in avail.flags: "don't interrupt me when you use"
 * (a hint; ignored by a device that negotiated EVENT_IDX). */
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29

/* The largest queue size the split ring format allows. */
#define VRING_MAX_SIZE 32768

struct vring_desc {
	__u64 addr;
	__u32 len;
	__u16 flags;
	__u16 next;
};

struct vring_avail {
	__u16 flags;
	__u16 idx;
	__u16 ring[];
};

struct vring_used_elem {
	__u32 id;
	__u32 len;
};

struct vring_used {
	__u16 flags;
	__u16 idx;
	struct vring_used_elem ring[];
};

struct vring {
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

/* With EVENT_IDX: the driver's "interrupt me after this used idx" and the
 * device's "kick me after this avail idx", in the slot after each ring. */
#define vring_used_event(vr) ((vr)->avail->ring[(vr)->num])
#define vring_avail_event(vr) (*__vring_avail_event_ptr(vr))

/* avail_event sits in the used ring's padding: reach it through a u16
 * pointer so that no access is seen through the wrong type. */
static inline __u16 *__vring_avail_event_ptr(const struct vring *vr)
{
	return (__u16 *)(void *)&vr->used->ring[vr->num];
}

static inline void vring_init(struct vring *vr, unsigned int num, void *p,
			      unsigned long align)
{
	vr->num = num;
	vr->desc = (struct vring_desc *)p;
	vr->avail = (struct vring_avail *)((char *)p +
					   num * sizeof(struct vring_desc));
	vr->used = (struct vring_used *)(((uintptr_t)&vr->avail->ring[num] +
					  sizeof(__u16) + align - 1) &
					 ~(uintptr_t)(align - 1));
}

static inline unsigned vring_size(unsigned int num, unsigned long align)
{
	return ((sizeof(struct vring_desc) * num + sizeof(__u16) * (3 + num) +
		 align - 1) &
		~(align - 1)) +
	       sizeof(__u16) * 3 + sizeof(struct vring_used_elem) * num;
}

/* True when moving an index from old to new_idx passed event_idx: the
 * event index test, used for kicks (avail_event) and interrupts
 * (used_event). All arithmetic is mod 2^16. */
static inline int vring_need_event(__u16 event_idx, __u16 new_idx, __u16 old)
{
	return (__u16)(new_idx - event_idx - 1) < (__u16)(new_idx - old);
}

/*
 * Barriers between the driver's and the device's view of the ring. With
 * weak_barriers the device is another CPU (virtio-pci, the simulated world):
 * SMP barriers suffice. Otherwise it may be a DMA engine: mandatory ones.
 * On x86 both are the same instructions.
 */
static inline void virtio_mb(bool weak_barriers)
{
	if (weak_barriers)
		smp_mb();
	else
		mb();
}

static inline void virtio_rmb(bool weak_barriers)
{
	if (weak_barriers)
		smp_rmb();
	else
		rmb();
}

static inline void virtio_wmb(bool weak_barriers)
{
	if (weak_barriers)
		smp_wmb();
	else
		wmb();
}

struct virtio_device;
struct virtqueue;

/**
 * vring_new_virtqueue - create the driver side of a ring in given memory
 * @index: the queue's index on its device
 * @num: queue size chosen by the device: a power of two, 1..32768
 * @vring_align: alignment of the used ring (4096 for legacy PCI)
 * @vdev: the device; the queue is added to vdev->vqs
 * @weak_barriers: see virtio_mb()
 * @pages: zeroed memory of vring_size(num, vring_align) bytes, owned by the
 *         caller (the transport) and shared with the device
 * @notify: kicks the device
 * @callback: called by vring_interrupt() when buffers were used (may be NULL)
 * @name: for diagnostics
 *
 * Returns NULL when num is not a valid queue size (a hostile device may
 * offer any value: it is logged, not a WARN) or an allocation failed.
 */
struct virtqueue *vring_new_virtqueue(unsigned int index, unsigned int num,
				      unsigned int vring_align,
				      struct virtio_device *vdev,
				      bool weak_barriers, void *pages,
				      void (*notify)(struct virtqueue *vq),
				      void (*callback)(struct virtqueue *vq),
				      const char *name);
void vring_del_virtqueue(struct virtqueue *vq);
/* Clears the transport feature bits the ring does not implement. */
void vring_transport_features(struct virtio_device *vdev);
/* The transport's interrupt handler for one queue: IRQ_NONE when nothing
 * was used, otherwise calls the callback (unless the queue is broken). */
irqreturn_t vring_interrupt(int irq, void *_vq);

#endif /* _LINUX_VIRTIO_RING_H */

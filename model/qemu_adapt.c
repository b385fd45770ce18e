/*
 * qemu_adapt.c - the workload classes of drv_*.c, adapted where QEMU's
 * devices differ from what the unchanged classes assume (qemu.h). Each
 * adapter wraps a class and leaves the class itself untouched.
 *
 * Net under virtio 1.x. drv_net.c frames every packet with the 10-byte
 * legacy virtio_net_hdr. With VERSION_1 a device's header is always 12
 * bytes (num_buffers is there even without MRG_RXBUF), so QEMU's modern
 * virtio-net reads a frame two bytes late and delivers one two bytes
 * early. The adapter gives every buffer the two bytes of num_buffers
 * after the header (zero on transmit, dropped on receive before the
 * workload checks the frame); the scatterlist keeps the workload's shape
 * (one entry, or header and frame).
 *
 * Block. drv_block.c trusts a sector to hold what the last OUT completed
 * on it wrote. A real device gives no order between overlapping writes in
 * flight at once: QEMU sorts and merges the writes of one notify by sector
 * and runs them concurrently, so the last completed may not be the last
 * written, and a correct disk fails the check. The adapter never has two
 * overlapping OUTs in flight: an OUT that would overlap one is withdrawn
 * (-EAGAIN, as a class says when it has nothing to send now). It reads
 * the requests' headers (the wire format), not the class's state.
 */
#include "driver.h"
#include "qemu.h"

#include <linux/slab.h>
#include <string.h>

#define BLK_HDR 16u
#define BLK_SECTOR 512u
#define BLK_T_OUT 1u

/* --- net under virtio 1.x ---------------------------------------------- */

#define NET_HDR_LEGACY 10u
#define NET_HDR_V1 12u
#define NET_HDR_EXTRA (NET_HDR_V1 - NET_HDR_LEGACY)

static int v1_prepare(struct wl_driver *w, unsigned int q, struct wl_req *r,
		      struct scatterlist *sg, unsigned int *out,
		      unsigned int *in)
{
	int err = wl_net_class.prepare(w, q, r, sg, out, in);
	unsigned int n = *out + *in;
	u8 *old = r->mem, *buf;

	if (err)
		return err;
	buf = kmalloc(r->bytes + NET_HDR_EXTRA, GFP_ATOMIC);
	if (!buf) {
		/* driver.c cancels only what failed to add: undo here. */
		wl_net_class.cancel(w, r);
		kfree(old);
		r->mem = NULL;
		return -ENOMEM;
	}
	memcpy(buf, old, NET_HDR_LEGACY);
	memset(buf + NET_HDR_LEGACY, 0, NET_HDR_EXTRA);
	memcpy(buf + NET_HDR_V1, old + NET_HDR_LEGACY,
	       r->bytes - NET_HDR_LEGACY);
	kfree(old);
	r->mem = buf;
	r->bytes += NET_HDR_EXTRA;
	if (n == 1) {
		sg_init_one(sg, buf, r->bytes);
	} else {
		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], buf, NET_HDR_V1);
		sg_set_buf(&sg[1], buf + NET_HDR_V1, r->bytes - NET_HDR_V1);
	}
	return 0;
}

static void v1_complete(struct wl_driver *w, struct wl_req *r, u32 len)
{
	u8 *buf = r->mem;

	if (r->queue == 0 && len >= NET_HDR_V1) {
		memmove(buf + NET_HDR_LEGACY, buf + NET_HDR_V1,
			len - NET_HDR_V1);
		len -= NET_HDR_EXTRA;
	}
	wl_net_class.complete(w, r, len);
}

void qemu_net_v1_class(struct wl_class *cls)
{
	*cls = wl_net_class;
	cls->prepare = v1_prepare;
	cls->complete = v1_complete;
}

/* --- block: no overlapping writes in flight ------------------------------ */

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 get_le64(const u8 *p)
{
	return (u64)get_le32(p) | (u64)get_le32(p + 4) << 32;
}

/* The sectors [*first, *first + *count) an OUT writes; false for any
 * other request. r->bytes is header, data and status byte. */
static bool out_range(const struct wl_req *r, u64 *first, u64 *count)
{
	const u8 *hdr = r->mem;

	if (!hdr || r->bytes < BLK_HDR + 1 || get_le32(hdr) != BLK_T_OUT)
		return false;
	*first = get_le64(hdr + 8);
	*count = (r->bytes - BLK_HDR - 1) / BLK_SECTOR;
	return true;
}

static bool overlaps_out_in_flight(const struct wl_driver *w,
				   const struct wl_req *r)
{
	u64 first, count, f, n;
	unsigned int i;

	if (!out_range(r, &first, &count))
		return false;
	for (i = 0; i < WL_REQS; i++) {
		const struct wl_req *o = &w->req[i];

		if (o == r || !o->out || !out_range(o, &f, &n))
			continue;
		if (first < f + n && f < first + count)
			return true;
	}
	return false;
}

static int block_prepare(struct wl_driver *w, unsigned int q, struct wl_req *r,
			 struct scatterlist *sg, unsigned int *out,
			 unsigned int *in)
{
	int err = wl_block_class.prepare(w, q, r, sg, out, in);

	if (err || !overlaps_out_in_flight(w, r))
		return err;
	/* Withdrawn before it was added: the class forgets it. */
	wl_block_class.cancel(w, r);
	kfree(r->mem);
	r->mem = NULL;
	return -EAGAIN;
}

void qemu_block_class(struct wl_class *cls)
{
	*cls = wl_block_class;
	cls->prepare = block_prepare;
}

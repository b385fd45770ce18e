/*
 * dev_entropy.c - the simulated entropy device (virtio-rng): one queue of
 * device-writable buffers that it fills with bytes derived from the
 * choice source.
 *
 * The honest device: it fetches every available chain (polling is legal,
 * so a missed kick does not stall it), checks each chain against the
 * rules the driver side must keep (a violation is the "driver-rule"
 * oracle: our ring broke one), and completes some of the chains it holds,
 * in an order the choice source picks (out-of-order completion is legal).
 * With EVENT_IDX it asks for a kick on every new buffer (avail_event).
 */
#include "devices.h"

#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ringside/shim.h>
#include <string.h>

#define ENTROPY_VENDOR 0x1af4

static u16 entropy_queue_size(void *ctx, unsigned int index)
{
	struct dev_entropy *d = ctx;

	return index == 0 ? d->qsize : 0;
}

static void entropy_notify(void *ctx, unsigned int queue)
{
	struct dev_entropy *d = ctx;

	sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_KICK, (u16)queue, 1, 0,
		 0);
}

static void entropy_reset(void *ctx)
{
	struct dev_entropy *d = ctx;

	d->last_avail = 0;
	d->used_idx = 0;
	d->nheld = 0;
	d->irq_pending = false;
}

void dev_entropy_init(struct dev_entropy *d, struct sim_env *env,
		      struct simt_transport *t)
{
	u64 features = 0;

	memset(d, 0, sizeof(*d));
	d->env = env;
	d->t = t;
	d->qsize = (u16)(8u << choice_below(env->cs, 6)); /* 8 .. 256 */
	if (choice_chance(env->cs, 1, 2))
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (choice_chance(env->cs, 1, 2))
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	d->ops.device_id = VIRTIO_ID_RNG;
	d->ops.vendor_id = ENTROPY_VENDOR;
	d->ops.features = features;
	d->ops.queue_size = entropy_queue_size;
	d->ops.notify = entropy_notify;
	d->ops.reset = entropy_reset;
}

static bool driver_rule(struct dev_entropy *d, const char *what, u16 head)
{
	oracle_fail(d->env->oracle, "driver-rule", "entropy chain %u: %s", head,
		    what);
	return false;
}

struct chain_walk {
	u32 writable; /* bytes */
	bool seen_write;
};

/* One descriptor of a chain: order, bounds, and the bytes it offers. */
static bool walk_desc(struct dev_entropy *d, const struct vring_desc *desc,
		      struct chain_walk *w, u16 head)
{
	if (desc->flags & VRING_DESC_F_WRITE) {
		w->seen_write = true;
		w->writable += desc->len;
	} else if (w->seen_write) {
		return driver_rule(d, "readable after writable", head);
	}
	if (desc->len && !shim_guest_range_ok(desc->addr, desc->len))
		return driver_rule(d, "buffer outside guest memory", head);
	return true;
}

static bool walk_indirect(struct dev_entropy *d, const struct vring_desc *ind,
			  struct chain_walk *w, u16 head)
{
	const struct vring_desc *table;
	unsigned int n = ind->len / sizeof(struct vring_desc), i = 0, count;

	if (ind->flags & VRING_DESC_F_NEXT)
		return driver_rule(d, "indirect descriptor with NEXT", head);
	if (n == 0 || ind->len % sizeof(struct vring_desc))
		return driver_rule(d, "indirect table of bad length", head);
	table = shim_guest_ptr(ind->addr, ind->len);
	if (!table)
		return driver_rule(d, "indirect table outside memory", head);
	for (count = 0; count < n; count++) {
		if (table[i].flags & VRING_DESC_F_INDIRECT)
			return driver_rule(d, "nested indirect table", head);
		if (!walk_desc(d, &table[i], w, head))
			return false;
		if (!(table[i].flags & VRING_DESC_F_NEXT))
			return true;
		i = table[i].next;
		if (i >= n)
			return driver_rule(d, "indirect next out of range",
					   head);
	}
	return driver_rule(d, "loop in indirect table", head);
}

/* Validates the chain at head; its writable bytes go to w. */
static bool walk_chain(struct dev_entropy *d, const struct vring *vr, u16 head,
		       struct chain_walk *w)
{
	unsigned int count;
	u16 i = head;

	memset(w, 0, sizeof(*w));
	if (head >= vr->num)
		return driver_rule(d, "head out of range", head);
	for (count = 0; count < vr->num; count++) {
		const struct vring_desc *desc = &vr->desc[i];

		if (desc->flags & VRING_DESC_F_INDIRECT) {
			if (count != 0 || (desc->flags & VRING_DESC_F_NEXT))
				return driver_rule(d, "indirect inside a chain",
						   head);
			return walk_indirect(d, desc, w, head);
		}
		if (!walk_desc(d, desc, w, head))
			return false;
		if (!(desc->flags & VRING_DESC_F_NEXT))
			return true;
		i = desc->next;
		if (i >= vr->num)
			return driver_rule(d, "next out of range", head);
	}
	return driver_rule(d, "chain longer than the ring", head);
}

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Writes len bytes of entropy into the writable descriptors of a chain
 * (already validated). */
static void fill_desc(const struct vring_desc *desc, u32 *left, u64 *x)
{
	u8 *p;
	u32 n, k;

	if (!(desc->flags & VRING_DESC_F_WRITE) || *left == 0)
		return;
	n = desc->len < *left ? desc->len : *left;
	p = shim_guest_ptr(desc->addr, n);
	for (k = 0; k < n; k++) {
		if (k % 8 == 0)
			*x = mix64(*x);
		p[k] = (u8)(*x >> (8 * (k % 8)));
	}
	*left -= n;
}

static void fill_chain(const struct vring *vr, u16 head, u32 len, u64 x)
{
	const struct vring_desc *desc = &vr->desc[head];
	unsigned int count;

	if (desc->flags & VRING_DESC_F_INDIRECT) {
		const struct vring_desc *table =
			shim_guest_ptr(desc->addr, desc->len);
		u16 i = 0;

		for (count = 0; count < desc->len / sizeof(*table); count++) {
			fill_desc(&table[i], &len, &x);
			if (!(table[i].flags & VRING_DESC_F_NEXT))
				return;
			i = table[i].next;
		}
		return;
	}
	for (count = 0; count < vr->num; count++) {
		fill_desc(desc, &len, &x);
		if (!(desc->flags & VRING_DESC_F_NEXT))
			return;
		desc = &vr->desc[desc->next];
	}
}

static bool event_idx(const struct dev_entropy *d)
{
	return d->t->driver_features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
}

static void fetch(struct dev_entropy *d, struct vring *vr)
{
	unsigned int n;

	for (n = 0; n < vr->num && d->nheld < vr->num; n++) {
		u16 head;

		if (READ_ONCE(vr->avail->idx) == d->last_avail)
			break;
		smp_rmb();
		head = READ_ONCE(vr->avail->ring[d->last_avail % vr->num]);
		sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_FETCH, 0, head,
			 d->last_avail, 0);
		d->last_avail++;
		d->held[d->nheld++] = head;
		d->fetched++;
	}
	if (event_idx(d))
		WRITE_ONCE(vring_avail_event(vr), d->last_avail);
}

static void complete_one(struct dev_entropy *d, struct vring *vr,
			 unsigned int pick)
{
	struct chain_walk w;
	u16 head = d->held[pick], slot;
	u32 len = 0;

	memmove(&d->held[pick], &d->held[pick + 1],
		(d->nheld - pick - 1) * sizeof(d->held[0]));
	d->nheld--;
	if (!walk_chain(d, vr, head, &w))
		return;
	if (w.writable) {
		len = w.writable - (u32)choice_below(d->env->cs, w.writable);
		fill_chain(vr, head, len,
			   choice_below(d->env->cs, 1u << 16) ^
				   ((u64)head << 32));
	}
	slot = (u16)(d->used_idx % vr->num);
	WRITE_ONCE(vr->used->ring[slot].id, head);
	WRITE_ONCE(vr->used->ring[slot].len, len);
	smp_wmb();
	d->used_idx++;
	WRITE_ONCE(vr->used->idx, d->used_idx);
	d->completed++;
	d->bytes += len;
	d->irq_pending = true;
	sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_COMPLETE, 0, head, len,
		 d->used_idx);
}

unsigned int dev_entropy_step(struct dev_entropy *d)
{
	struct vring *vr = simt_vring(d->t, 0);
	unsigned int n, want;

	if (simt_take_notify(d->t, 0) == false)
		sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_KICK, 0, 0, 0, 0);
	if (!vr || !(d->t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	fetch(d, vr);
	if (d->nheld == 0 || d->plant_stall)
		return 0;
	/* 0 completes one, the oldest: the quiet world is in order. */
	want = 1 + (unsigned int)choice_below(d->env->cs, d->nheld);
	for (n = 0; n < want && !d->env->oracle->failed; n++)
		complete_one(d, vr,
			     (unsigned int)choice_below(d->env->cs, d->nheld));
	return n;
}

bool dev_entropy_has_work(const struct dev_entropy *d)
{
	struct vring *vr = simt_vring(d->t, 0);

	if (!vr || !(d->t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return false;
	return d->nheld > 0 || READ_ONCE(vr->avail->idx) != d->last_avail;
}

/*
 * rawring.c - the raw ring writer (rawring.h).
 */
#include "rawring.h"

#include <assert.h>
#include <linux/compiler.h>

void rr_init(struct rr_ring *r, const struct vring *vr)
{
	assert(vr->num >= 1);
	r->vr = *vr;
	r->avail_idx = READ_ONCE(vr->avail->idx);
	r->avail_posted = r->avail_idx;
	r->used_seen = READ_ONCE(vr->used->idx);
}

void rr_table_desc(struct vring_desc *table, u16 idx, u64 addr, u32 len,
		   u16 flags, u16 next)
{
	struct vring_desc *d = &table[idx];

	WRITE_ONCE(d->addr, addr);
	WRITE_ONCE(d->len, len);
	WRITE_ONCE(d->flags, flags);
	WRITE_ONCE(d->next, next);
}

void rr_desc(struct rr_ring *r, u16 idx, u64 addr, u32 len, u16 flags, u16 next)
{
	assert(idx < r->vr.num);
	rr_table_desc(r->vr.desc, idx, addr, len, flags, next);
}

void rr_avail_put(struct rr_ring *r, u16 head)
{
	WRITE_ONCE(r->vr.avail->ring[r->avail_posted % r->vr.num], head);
	r->avail_posted++;
}

void rr_avail_publish(struct rr_ring *r)
{
	/* The entries (and the chains they name) before the idx. */
	smp_wmb();
	WRITE_ONCE(r->vr.avail->idx, r->avail_posted);
	r->avail_idx = r->avail_posted;
	/* The idx before anything the device is told next (notify). */
	smp_mb();
}

void rr_avail_set_idx(struct rr_ring *r, u16 idx)
{
	smp_wmb();
	WRITE_ONCE(r->vr.avail->idx, idx);
	r->avail_idx = idx;
	r->avail_posted = idx;
	smp_mb();
}

u16 rr_used_idx(const struct rr_ring *r)
{
	return READ_ONCE(r->vr.used->idx);
}

bool rr_used_next(struct rr_ring *r, u32 *id, u32 *len)
{
	const struct vring_used_elem *e;

	if (rr_used_idx(r) == r->used_seen)
		return false;
	/* The entry only after the idx that covers it. */
	smp_rmb();
	e = &r->vr.used->ring[r->used_seen % r->vr.num];
	*id = READ_ONCE(e->id);
	*len = READ_ONCE(e->len);
	r->used_seen++;
	return true;
}

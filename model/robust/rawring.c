/*
 * rawring.c - the raw ring writer (rawring.h).
 */
#include "rawring.h"

#include "devices.h"
#include "event_log.h"

#include <assert.h>
#include <linux/compiler.h>

static void emit(const struct rr_ring *r, u16 actor, u16 kind, u64 a, u64 b,
		 u64 c)
{
	if (r->log)
		event_log_add(r->log, *r->phase, actor, kind, r->queue, a, b,
			      c);
}

void rr_log(struct rr_ring *r, struct event_log *log, const unsigned int *phase,
	    u16 queue)
{
	assert(!log || phase);
	r->log = log;
	r->phase = phase;
	r->queue = queue;
}

static void write_desc(const struct rr_ring *r, struct vring_desc *d, u64 where,
		       u64 addr, u32 len, u16 flags, u16 next)
{
	WRITE_ONCE(d->addr, addr);
	WRITE_ONCE(d->len, len);
	WRITE_ONCE(d->flags, flags);
	WRITE_ONCE(d->next, next);
	emit(r, SIM_ACTOR_FRONT, SIM_EV_FRONT_DESC, addr, len,
	     where | (u64)flags << 16 | (u64)next << 32);
}

void rr_init(struct rr_ring *r, const struct vring *vr)
{
	assert(vr->num >= 1);
	r->vr = *vr;
	r->avail_idx = READ_ONCE(vr->avail->idx);
	r->avail_posted = r->avail_idx;
	r->used_seen = READ_ONCE(vr->used->idx);
}

void rr_table_desc(const struct rr_ring *r, struct vring_desc *table, u16 idx,
		   u64 addr, u32 len, u16 flags, u16 next)
{
	write_desc(r, &table[idx], idx | 1ull << 48, addr, len, flags, next);
}

void rr_desc(struct rr_ring *r, u16 idx, u64 addr, u32 len, u16 flags, u16 next)
{
	assert(idx < r->vr.num);
	write_desc(r, &r->vr.desc[idx], idx, addr, len, flags, next);
}

void rr_avail_put(struct rr_ring *r, u16 head)
{
	WRITE_ONCE(r->vr.avail->ring[r->avail_posted % r->vr.num], head);
	emit(r, SIM_ACTOR_FRONT, SIM_EV_FRONT_AVAIL, r->avail_posted, head, 0);
	r->avail_posted++;
}

void rr_avail_publish(struct rr_ring *r)
{
	/* The entries (and the chains they name) before the idx. */
	smp_wmb();
	WRITE_ONCE(r->vr.avail->idx, r->avail_posted);
	emit(r, SIM_ACTOR_FRONT, SIM_EV_FRONT_AVAIL_IDX, r->avail_posted, 0, 0);
	r->avail_idx = r->avail_posted;
	/* The idx before anything the device is told next (notify). */
	smp_mb();
}

void rr_avail_set_idx(struct rr_ring *r, u16 idx)
{
	smp_wmb();
	WRITE_ONCE(r->vr.avail->idx, idx);
	emit(r, SIM_ACTOR_FRONT, SIM_EV_FRONT_AVAIL_IDX, idx, 0, 0);
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
	emit(r, SIM_ACTOR_DEVICE, SIM_EV_FRONT_USED, *id, *len, r->used_seen);
	r->used_seen++;
	return true;
}

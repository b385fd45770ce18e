/*
 * rawring.h - the raw ring writer: a driver that bypasses the hardened
 * ring (ring/) and writes descriptors, avail entries and indices straight
 * into guest memory, so that it can break exactly one rule a driver must
 * keep (the robustness suite, robust.h).
 *
 * It knows nothing of devices or verdicts: it only writes what it is told
 * and reads the used ring back without trusting it. Every write goes
 * through READ_ONCE/WRITE_ONCE and the barriers a real driver uses, so a
 * device sees the same ordering it would see from Linux. Indices are
 * free-running u16s as in the ring (the split virtqueue).
 *
 * Who owns what: the descriptor table and the avail ring are written only
 * here (the device must not write them: robust.h checks that); the used
 * ring is written only by the device and read here.
 */
#ifndef RINGSIDE_MODEL_ROBUST_RAWRING_H
#define RINGSIDE_MODEL_ROBUST_RAWRING_H

#include <linux/virtio_ring.h>

struct event_log;

struct rr_ring {
	struct vring vr; /* the queue's memory, as the device sees it */
	/* Where every write and used entry read is logged (rr_log). */
	struct event_log *log;
	const unsigned int *phase; /* the events' step */
	u16 queue;		   /* the events' queue */
	u16 avail_idx;	  /* the next avail idx the writer will publish */
	u16 used_seen;	  /* used entries the writer has read */
	u16 avail_posted; /* entries written into the ring, not published */
};

/* Takes over a queue whose memory is already known to the device. The
 * indices start where the ring is now (avail idx and used idx as read). */
void rr_init(struct rr_ring *r, const struct vring *vr);

/* From now on every write (descriptors, avail entries and idx) and every
 * used entry read is an event of log (model/devices.h SIM_EV_FRONT_*),
 * with step *phase and queue queue; log NULL: none. */
void rr_log(struct rr_ring *r, struct event_log *log, const unsigned int *phase,
	    u16 queue);

/* One descriptor, any values (idx < num: the table itself is never
 * written out of bounds by the writer). */
void rr_desc(struct rr_ring *r, u16 idx, u64 addr, u32 len, u16 flags,
	     u16 next);
/* One entry of an indirect table at table (guest memory), logged as
 * r's. */
void rr_table_desc(const struct rr_ring *r, struct vring_desc *table, u16 idx,
		   u64 addr, u32 len, u16 flags, u16 next);

/* Writes head into the next avail slot (not yet published). */
void rr_avail_put(struct rr_ring *r, u16 head);
/* Publishes every slot written: write barrier, then avail idx. */
void rr_avail_publish(struct rr_ring *r);
/* Publishes an arbitrary avail idx (a rule broken on purpose); the
 * writer's own count moves there too. */
void rr_avail_set_idx(struct rr_ring *r, u16 idx);

/* The device's used idx now. */
u16 rr_used_idx(const struct rr_ring *r);
/* The next used entry not yet read, if the device published one: its id
 * and len as the device wrote them (unchecked). */
bool rr_used_next(struct rr_ring *r, u32 *id, u32 *len);

#endif /* RINGSIDE_MODEL_ROBUST_RAWRING_H */

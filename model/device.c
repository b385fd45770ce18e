/*
 * device.c - the generic simulated virtio device (device.h): the device's
 * side of every queue, honest or adversarial.
 */
#include "device.h"
#include "reuse.h"

#include <assert.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <ringside/shim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- the transport's view of the device (ringside/device_model.h) ---- */

static u16 dev_queue_size(void *ctx, unsigned int index)
{
	struct sim_device *d = ctx;

	return index < d->cls->nqueues ? d->q[index].size : 0;
}

/* A device refuses features it did not offer (virtio 1.2, 2.2.2); the
 * transport offers VERSION_1 itself in 1.x mode. */
static bool dev_accept_features(void *ctx, u64 driver_features)
{
	struct sim_device *d = ctx;
	u64 offered = d->ops.features | (1ULL << VIRTIO_F_VERSION_1);

	return !d->refuse_features && !(driver_features & ~offered);
}

static void dev_config_read(void *ctx, unsigned int offset, void *buf,
			    unsigned int len)
{
	struct sim_device *d = ctx;

	if (d->cls->config_read)
		d->cls->config_read(d, offset, buf, len);
	else
		memset(buf, 0, len);
}

static void dev_config_write(void *ctx, unsigned int offset, const void *buf,
			     unsigned int len)
{
	struct sim_device *d = ctx;

	if (d->cls->config_write)
		d->cls->config_write(d, offset, buf, len);
}

static void dev_notify(void *ctx, unsigned int queue)
{
	struct sim_device *d = ctx;

	sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_KICK, (u16)queue, 1, 0,
		 0);
}

static void dev_reset(void *ctx)
{
	sim_device_forget(ctx);
}

static u8 dev_status_read(void *ctx, u8 stored)
{
	struct sim_device *d = ctx;

	return d->needs_reset ? stored | VIRTIO_CONFIG_S_NEEDS_RESET : stored;
}

/* --- set-up -------------------------------------------------------------- */

/* A size no split ring can have (the transport must refuse it). */
static u16 hostile_queue_size(struct choice_source *cs)
{
	static const u16 sizes[] = { 0, 3, 100, 40000, 65535 };

	return sizes[choice_below(cs, ARRAY_SIZE(sizes))];
}

static u64 draw_features(struct sim_device *d)
{
	struct choice_source *cs = d->env->cs;
	u64 features = d->cls->features;

	if (choice_chance(cs, 1, 2))
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (choice_chance(cs, 1, 2))
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	/* Bits no driver of this type knows (device-type range, and the
	 * high word reserved for future transport features). */
	if (adv_fires(d->adv, cs, ADV_FOREIGN_FEATURES))
		features |= choice_range(cs, 0, 0xffffff) |
			    choice_range(cs, 0, 0xffffffff) << 33;
	return features;
}

/* The held chains of each queue, kept from one world to the next. */
#define HELD_BYTES (DEV_QSIZE_MAX * sizeof(struct devq_chain))
static struct reuse_slot held_slots[SIMT_MAX_QUEUES];

int sim_device_init(struct sim_device *d, const struct sim_device_class *cls,
		    struct sim_env *env, struct adversary *adv,
		    struct simt_transport *t)
{
	struct choice_source *cs = env->cs;
	unsigned int i;

	assert(cls->nqueues >= 1 && cls->nqueues <= SIMT_MAX_QUEUES);
	memset(d, 0, sizeof(*d));
	d->cls = cls;
	d->env = env;
	d->adv = adv;
	d->t = t;
	for (i = 0; i < cls->nqueues; i++)
		d->q[i].size = (u16)(8u << choice_below(cs, 6)); /* 8..256 */
	if (adv_fires(adv, cs, ADV_BAD_QUEUE_SIZE)) {
		/* The queue, then its size: in one assignment the order of
		 * the two draws is the compiler's (gcc and clang differ). */
		i = (unsigned int)choice_below(cs, cls->nqueues);
		d->q[i].size = hostile_queue_size(cs);
	}
	d->refuse_features = adv_fires(adv, cs, ADV_REFUSE_FEATURES);
	d->ops.abi_version = RINGSIDE_DM_ABI_VERSION;
	d->ops.name = cls->name;
	d->ops.num_queues = cls->nqueues;
	d->ops.device_id = cls->device_id;
	d->ops.vendor_id = DEV_VENDOR_ID;
	d->ops.features = draw_features(d);
	d->ops.config_size = cls->config_size;
	d->ops.accept_features = dev_accept_features;
	d->ops.config_read = dev_config_read;
	d->ops.config_write = dev_config_write;
	d->ops.queue_size = dev_queue_size;
	d->ops.notify = dev_notify;
	d->ops.reset = dev_reset;
	d->ops.status_read = dev_status_read;
	/* Only held[0 .. nheld) is ever read, and fetch() clears each chain
	 * it fills: no need to zero this much memory every run, nor to
	 * allocate it anew (reuse.h). */
	for (i = 0; i < cls->nqueues; i++) {
		d->q[i].held = reuse_get(&held_slots[i], HELD_BYTES, HELD_BYTES,
					 false);
		if (!d->q[i].held)
			return -ENOMEM;
	}
	return cls->init ? cls->init(d) : 0;
}

void sim_device_fini(struct sim_device *d)
{
	unsigned int i;

	if (d->cls && d->cls->fini)
		d->cls->fini(d);
	d->priv = NULL;
	for (i = 0; i < SIMT_MAX_QUEUES; i++) {
		reuse_put(&held_slots[i], d->q[i].held);
		d->q[i].held = NULL;
	}
}

void sim_device_forget(struct sim_device *d)
{
	unsigned int i;

	for (i = 0; i < SIMT_MAX_QUEUES; i++) {
		struct devq *q = &d->q[i];

		q->last_avail = 0;
		q->used_idx = 0;
		q->signalled = 0;
		q->irq_pending = false;
		q->nheld = 0;
		q->nrecent = 0;
		q->expect_faults = 0;
		q->expect_clamp = false;
		q->illegal = false;
		q->scribbled = false;
		q->starved = false;
		/* The queues come anew after a reset: nothing kicked yet. */
		q->kick_avail = 0;
		q->kicks_before = 0;
	}
	d->needs_reset = false;
	if (d->cls->reset)
		d->cls->reset(d);
}

void sim_device_config_change(struct sim_device *d)
{
	if (d->cls->config_change)
		d->cls->config_change(d);
	simt_config_change(d->t);
}

/* --- chains: the rules the driver side must keep ------------------------- */

static bool driver_rule(struct sim_device *d, unsigned int qi, u16 head,
			const char *what)
{
	if (d->untrusted_driver) {
		/* Note 6: the device's error state, not the run's. */
		d->needs_reset = true;
		d->driver_rules_broken++;
		sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DRIVER_RULE, (u16)qi,
			 head, d->driver_rules_broken, 0);
		return false;
	}
	oracle_fail(d->env->oracle, "driver-rule", "%s queue %u chain %u: %s",
		    d->cls->name, qi, head, what);
	return false;
}

struct chain_walk {
	struct sim_device *d;
	unsigned int qi;
	struct devq_chain *c;
	bool seen_write;
};

/* One descriptor: order, bounds, and the segment it adds. */
static bool walk_desc(struct chain_walk *w, const struct vring_desc *desc)
{
	struct devq_chain *c = w->c;
	u16 flags = READ_ONCE(desc->flags);
	u32 len = READ_ONCE(desc->len);
	u64 addr = READ_ONCE(desc->addr);
	bool writable = flags & VRING_DESC_F_WRITE;

	if (writable)
		w->seen_write = true;
	else if (w->seen_write)
		return driver_rule(w->d, w->qi, c->head,
				   "readable after writable");
	if (len && !shim_guest_range_ok(addr, len))
		return driver_rule(w->d, w->qi, c->head,
				   "buffer outside guest memory");
	if (writable)
		c->writable += len;
	else
		c->readable += len;
	if (c->nseg == DEVQ_SEGS_MAX) {
		c->too_long = true;
		return true;
	}
	c->seg[c->nseg].phys = addr;
	c->seg[c->nseg].len = len;
	c->seg[c->nseg].writable = writable;
	c->nseg++;
	return true;
}

static bool walk_indirect(struct chain_walk *w, const struct vring_desc *ind)
{
	u32 len = READ_ONCE(ind->len);
	unsigned int n = len / sizeof(struct vring_desc), i = 0, count;
	const struct vring_desc *table;
	u16 head = w->c->head;

	w->c->indirect = true;
	if (READ_ONCE(ind->flags) & VRING_DESC_F_NEXT)
		return driver_rule(w->d, w->qi, head,
				   "indirect descriptor with NEXT");
	if (n == 0 || len % sizeof(struct vring_desc))
		return driver_rule(w->d, w->qi, head,
				   "indirect table of bad length");
	w->c->indir_phys = READ_ONCE(ind->addr);
	table = shim_guest_ptr(w->c->indir_phys, len);
	if (!table)
		return driver_rule(w->d, w->qi, head,
				   "indirect table outside memory");
	w->c->indir_len = len;
	for (count = 0; count < n; count++) {
		u16 flags = READ_ONCE(table[i].flags);

		if (flags & VRING_DESC_F_INDIRECT)
			return driver_rule(w->d, w->qi, head,
					   "nested indirect table");
		if (!walk_desc(w, &table[i]))
			return false;
		if (!(flags & VRING_DESC_F_NEXT))
			return true;
		i = READ_ONCE(table[i].next);
		if (i >= n)
			return driver_rule(w->d, w->qi, head,
					   "indirect next out of range");
	}
	return driver_rule(w->d, w->qi, head, "loop in indirect table");
}

/* Validates the chain at c->head and records its segments. */
static bool walk_chain(struct sim_device *d, unsigned int qi,
		       const struct vring *vr, struct devq_chain *c)
{
	struct chain_walk w = { .d = d, .qi = qi, .c = c };
	unsigned int count;
	u16 i = c->head;

	if (c->head >= vr->num)
		return driver_rule(d, qi, c->head, "head out of range");
	for (count = 0; count < vr->num; count++) {
		const struct vring_desc *desc = &vr->desc[i];
		u16 flags = READ_ONCE(desc->flags);

		if (flags & VRING_DESC_F_INDIRECT) {
			if (count != 0 || (flags & VRING_DESC_F_NEXT))
				return driver_rule(d, qi, c->head,
						   "indirect inside a chain");
			return walk_indirect(&w, desc);
		}
		if (!walk_desc(&w, desc))
			return false;
		if (!(flags & VRING_DESC_F_NEXT))
			return true;
		i = READ_ONCE(desc->next);
		if (i >= vr->num)
			return driver_rule(d, qi, c->head, "next out of range");
	}
	return driver_rule(d, qi, c->head, "chain longer than the ring");
}

static bool head_held(const struct devq *q, u16 head)
{
	unsigned int i;

	for (i = 0; i < q->nheld; i++)
		if (q->held[i].head == head)
			return true;
	return false;
}

static bool ring_feature(const struct sim_device *d, unsigned int bit)
{
	return d->t->driver_features & (1ULL << bit);
}

/* Fetches every available chain (a device may poll: a missed kick never
 * stalls it). */
static void fetch(struct sim_device *d, unsigned int qi, struct vring *vr)
{
	struct devq *q = &d->q[qi];
	u16 avail_idx = READ_ONCE(vr->avail->idx);
	unsigned int n;

	if (q->scribbled)
		return; /* note 8 */
	if ((u16)(avail_idx - q->last_avail) > vr->num) {
		driver_rule(d, qi, avail_idx, "avail idx ran past the ring");
		return;
	}
	smp_rmb();
	for (n = 0; n < vr->num && q->last_avail != avail_idx; n++) {
		struct devq_chain *c = &q->held[q->nheld];

		memset(c, 0, offsetof(struct devq_chain, seg));
		c->head = READ_ONCE(vr->avail->ring[q->last_avail % vr->num]);
		c->avail_pos = q->last_avail;
		sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_FETCH, (u16)qi,
			 c->head, q->last_avail, 0);
		q->last_avail++;
		if (c->head < vr->num && head_held(q, c->head)) {
			driver_rule(d, qi, c->head,
				    "head made available "
				    "while the device holds it");
			return;
		}
		if (q->nheld >= vr->num || !walk_chain(d, qi, vr, c))
			return;
		if (adv_fires(d->adv, d->env->cs, ADV_NEVER_COMPLETE))
			c->never = true;
		else if (adv_fires(d->adv, d->env->cs, ADV_DELAY))
			c->not_before =
				d->env->step + 1 + choice_below(d->env->cs, 64);
		q->nheld++;
		q->fetched++;
	}
}

/* Where the device asks to be kicked next (EVENT_IDX). */
static void publish_avail_event(struct sim_device *d, unsigned int qi,
				struct vring *vr)
{
	struct choice_source *cs = d->env->cs;
	struct devq *q = &d->q[qi];

	if (adv_fires(d->adv, cs, ADV_HOSTILE_SUPPRESS)) {
		static const u16 offsets[] = { 0xffff, 0x8000, 0x7fff, 1, 0 };
		u16 event =
			(u16)(q->last_avail +
			      offsets[choice_below(cs, ARRAY_SIZE(offsets))]);

		WRITE_ONCE(vr->used->flags, choice_chance(cs, 1, 2)
						    ? VRING_USED_F_NO_NOTIFY
						    : 0);
		if (ring_feature(d, VIRTIO_RING_F_EVENT_IDX))
			WRITE_ONCE(vring_avail_event(vr), event);
		return;
	}
	if (ring_feature(d, VIRTIO_RING_F_EVENT_IDX))
		WRITE_ONCE(vring_avail_event(vr), q->last_avail);
}

/* --- data inside a chain -------------------------------------------------- */

static u32 devq_copy(const struct devq_chain *c, bool writable, u32 offset,
		     u8 *buf, u32 len, bool to_guest)
{
	u32 done = 0, skip = offset;
	unsigned int i;

	for (i = 0; i < c->nseg && done < len; i++) {
		const struct devq_seg *s = &c->seg[i];
		u32 n;
		u8 *p;

		if (s->writable != writable)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = s->len - skip < len - done ? s->len - skip : len - done;
		p = shim_guest_ptr(s->phys + skip, n);
		assert(p != NULL); /* walk_desc checked the range */
		if (to_guest)
			memcpy(p, buf + done, n);
		else
			memcpy(buf + done, p, n);
		done += n;
		skip = 0;
	}
	return done;
}

u32 devq_read(const struct devq_chain *c, u32 offset, void *buf, u32 len)
{
	return devq_copy(c, false, offset, buf, len, false);
}

u32 devq_write(const struct devq_chain *c, u32 offset, const void *buf, u32 len)
{
	return devq_copy(c, true, offset, (u8 *)buf, len, true);
}

/* --- completion ------------------------------------------------------------ */

static void used_push(struct sim_device *d, unsigned int qi, struct vring *vr,
		      u32 id, u32 len, u32 writable)
{
	struct devq *q = &d->q[qi];
	u16 slot = (u16)(q->used_idx % vr->num);

	q->used_writable[slot] = writable;

	WRITE_ONCE(vr->used->ring[slot].id, id);
	WRITE_ONCE(vr->used->ring[slot].len, len);
	smp_wmb();
	q->used_idx++;
	WRITE_ONCE(vr->used->idx, q->used_idx);
	sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_DEV_COMPLETE, (u16)qi, id,
		 len, q->used_idx);
}

static void remember(struct devq *q, u16 head)
{
	if (q->nrecent == DEVQ_RECENT) {
		memmove(q->recent, q->recent + 1,
			(DEVQ_RECENT - 1) * sizeof(q->recent[0]));
		q->nrecent--;
	}
	q->recent[q->nrecent++] = head;
}

static void drop_held(struct devq *q, unsigned int pick)
{
	assert(pick < q->nheld);
	memmove(&q->held[pick], &q->held[pick + 1],
		(q->nheld - pick - 1) * sizeof(q->held[0]));
	q->nheld--;
}

/* Scribbles on the readable part after using it (write-readable). */
static void write_readable(struct sim_device *d, const struct devq_chain *c)
{
	unsigned int i;

	for (i = 0; i < c->nseg; i++) {
		u8 *p;

		if (c->seg[i].writable || c->seg[i].len == 0)
			continue;
		p = shim_guest_ptr(c->seg[i].phys, 1);
		*p ^= 0x5a;
		d->lied = true;
		return;
	}
}

/* Planted (write-indirect): once served, a byte of the chain's indirect
 * table is changed (the len of its first entry). The ring never reads
 * the table back; only a checker that compares it sees this. */
static void write_indirect(const struct devq_chain *c)
{
	u8 *p;

	if (!c->indirect || c->indir_len < sizeof(struct vring_desc))
		return;
	p = shim_guest_ptr(c->indir_phys + 8, 1);
	if (p)
		*p ^= 0x01;
}

/* The len a completion reports: honest, or too large. */
static u32 hostile_len(struct sim_device *d, unsigned int qi,
		       const struct devq_chain *c, u32 len)
{
	struct devq *q = &d->q[qi];
	struct vring_stats stats;

	if (!adv_fires(d->adv, d->env->cs, ADV_LEN_TOO_LARGE))
		return len;
	if (!q->expect_clamp && !virtqueue_is_broken(d->t->queues[qi].vq)) {
		virtqueue_get_stats(d->t->queues[qi].vq, &stats);
		q->clamped_before = stats.len_clamped;
		q->expect_clamp = true;
	}
	q->illegal = true;
	d->lied = true;
	return (u32)adv_value(d->env->cs, (u64)c->writable + 1, 0xffffffffu,
			      (const u64[]){ (u64)c->writable + 1,
					     (u64)c->writable + 2, 0x80000000u,
					     0xffffffffu },
			      4);
}

/* Completes held[pick]; false when its class deferred it (note 1). */
static bool complete(struct sim_device *d, unsigned int qi, struct vring *vr,
		     unsigned int pick)
{
	struct devq *q = &d->q[qi];
	struct devq_chain *c = &q->held[pick];
	u32 len = 0;

	if (c->readable == 0 && c->writable > 0 &&
	    adv_fires(d->adv, d->env->cs, ADV_LEN_ZERO)) {
		len = 0;
	} else if (!c->too_long) {
		if (!d->cls->process(d, qi, c, &len)) {
			q->deferred++;
			q->starved = true;
			return false;
		}
		assert(len <= c->writable);
		if (adv_fires(d->adv, d->env->cs, ADV_WRITE_READABLE))
			write_readable(d, c);
		if (d->plant_write_indirect)
			write_indirect(c);
	}
	len = hostile_len(d, qi, c, len);
	q->starved = false;
	used_push(d, qi, vr, c->head, len, c->writable);
	remember(q, c->head);
	q->completed++;
	d->completed++;
	d->bytes += len;
	drop_held(q, pick);
	return true;
}

static bool eligible(const struct sim_device *d, const struct devq_chain *c)
{
	return !c->never && c->not_before <= d->env->step;
}

/* Index of the chain to complete next, or nheld when none may go. */
static unsigned int pick_chain(struct sim_device *d, struct devq *q)
{
	unsigned int i, start = 0;

	if (q->nheld > 1 && adv_fires(d->adv, d->env->cs, ADV_OUT_OF_ORDER))
		start = (unsigned int)choice_below(d->env->cs, q->nheld);
	for (i = 0; i < q->nheld; i++) {
		unsigned int k = (start + i) % q->nheld;

		if (eligible(d, &q->held[k]))
			return k;
	}
	return q->nheld;
}

/* Interrupt after a batch that moved used idx from old (NO_INTERRUPT, or
 * the event index test with used_event). */
static void decide_interrupt(struct sim_device *d, unsigned int qi,
			     struct vring *vr, u16 old)
{
	struct devq *q = &d->q[qi];
	bool want;

	if (q->used_idx == old)
		return;
	if (ring_feature(d, VIRTIO_RING_F_EVENT_IDX))
		want = vring_need_event(READ_ONCE(vring_used_event(vr)),
					q->used_idx, old);
	else
		want = !(READ_ONCE(vr->avail->flags) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	if (!want)
		return;
	if (adv_fires(d->adv, d->env->cs, ADV_WITHHOLD_IRQ)) {
		d->stalled = true;
		return;
	}
	q->irq_pending = true;
}

/* --- illegal used-ring acts (note 2) ------------------------------------- */

/* Heads the ring still counts as outstanding: held, not yet fetched, or
 * completed and not yet consumed by the driver. The adversary is
 * omniscient: it reads the driver's consumed count from the ring's stats. */
static void mark_outstanding(struct sim_device *d, unsigned int qi,
			     struct vring *vr, u8 *out)
{
	struct devq *q = &d->q[qi];
	struct vring_stats stats;
	u16 i, last_used, avail_idx = READ_ONCE(vr->avail->idx);
	unsigned int n;

	memset(out, 0, vr->num);
	for (n = 0; n < q->nheld; n++)
		out[q->held[n].head % vr->num] = 1;
	for (i = q->last_avail, n = 0; i != avail_idx && n < vr->num; i++, n++)
		out[READ_ONCE(vr->avail->ring[i % vr->num]) % vr->num] = 1;
	virtqueue_get_stats(d->t->queues[qi].vq, &stats);
	last_used = (u16)stats.used;
	for (i = last_used, n = 0; i != q->used_idx && n < vr->num; i++, n++)
		out[READ_ONCE(vr->used->ring[i % vr->num].id) % vr->num] = 1;
}

/* A head in [0, num) the ring does not count as outstanding; candidates
 * from recent completions first when recent is set. */
static bool pick_stale_head(struct sim_device *d, unsigned int qi,
			    struct vring *vr, bool recent, u32 *id)
{
	static u8 out[DEV_QSIZE_MAX];
	struct devq *q = &d->q[qi];
	unsigned int i, start;

	mark_outstanding(d, qi, vr, out);
	if (recent) {
		for (i = q->nrecent; i-- > 0;)
			if (!out[q->recent[i] % vr->num]) {
				*id = q->recent[i] % vr->num;
				return true;
			}
		return false;
	}
	start = (unsigned int)adv_value(d->env->cs, 0, vr->num - 1,
					(const u64[]){ vr->num - 1u, 0 }, 2);
	for (i = 0; i < vr->num; i++)
		if (!out[(start + i) % vr->num]) {
			*id = (start + i) % vr->num;
			return true;
		}
	return false;
}

static unsigned int ring_outstanding(struct sim_device *d, unsigned int qi)
{
	return virtqueue_outstanding(d->t->queues[qi].vq);
}

/*
 * Note 2: what the ring must report. A queue already broken has nothing
 * left to detect.
 */
static void expect(struct sim_device *d, unsigned int qi, enum adv_behaviour b,
		   bool pushed)
{
	struct virtqueue *vq = d->t->queues[qi].vq;
	struct devq *q = &d->q[qi];
	struct vring_stats stats;

	q->illegal = true;
	d->lied = true;
	adv_count(d->adv, b);
	sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_ADVERSARY, (u16)qi, b, 0, 0);
	if (virtqueue_is_broken(vq))
		return;
	virtqueue_get_stats(vq, &stats);
	q->expect_faults |= adv_expect_faults(adv_info(b)->expect);
	/* More entries waiting than the ring lets the device hold: either
	 * the idx or, if the push lapped an entry the driver had seen but
	 * not consumed, the entry it overwrote is the first thing wrong. */
	if (pushed &&
	    (u16)(q->used_idx - (u16)stats.used) > virtqueue_outstanding(vq))
		q->expect_faults |= adv_expect_faults(ADV_EXPECT_IDX);
}

/* A held chain still in its avail slot (for rewrite-avail), or any held
 * chain; nheld when there is none. */
static unsigned int pick_held(struct devq *q, struct vring *vr, bool in_slot)
{
	unsigned int i;

	for (i = 0; i < q->nheld; i++) {
		const struct devq_chain *c = &q->held[i];
		u16 lap = (u16)(READ_ONCE(vr->avail->idx) - c->avail_pos);

		if (c->head >= vr->num)
			continue;
		if (!in_slot ||
		    (lap < vr->num &&
		     READ_ONCE(vr->avail->ring[c->avail_pos % vr->num]) ==
			     c->head))
			return i;
	}
	return q->nheld;
}

/* The descriptors of the chain at head as the table links them now (the
 * device's own view; an indirect chain has only its head in the table).
 * Returns how many, at most vr->num. */
static unsigned int chain_descs(const struct vring *vr, u16 head, u16 *descs)
{
	unsigned int n = 0;
	u16 i = head;

	for (;;) {
		u16 flags = READ_ONCE(vr->desc[i].flags);

		descs[n++] = i;
		if (!(flags & VRING_DESC_F_NEXT) || n == vr->num)
			return n;
		i = READ_ONCE(vr->desc[i].next) % vr->num;
	}
}

/* One field of one descriptor of the chain at head, changed (note 4 of
 * adversary.h: the head and the last descriptor at the edges). The ring
 * must compare every descriptor of a chain, not only the head, and every
 * field, next and flags included. */
static void rewrite_desc(struct sim_device *d, const struct vring *vr, u16 head)
{
	static u16 descs[DEV_QSIZE_MAX];
	struct choice_source *cs = d->env->cs;
	unsigned int n = chain_descs(vr, head, descs);
	struct vring_desc *desc = &vr->desc[descs[adv_value(
		cs, 0, n - 1, (const u64[]){ 0, n - 1 }, 2)]];

	switch (choice_below(cs, 4)) {
	case 0:
		WRITE_ONCE(desc->addr, READ_ONCE(desc->addr) ^ 0x1000);
		break;
	case 1:
		WRITE_ONCE(desc->len, READ_ONCE(desc->len) ^ 0x100);
		break;
	case 2:
		WRITE_ONCE(desc->flags,
			   READ_ONCE(desc->flags) ^ VRING_DESC_F_WRITE);
		break;
	default:
		WRITE_ONCE(desc->next, (u16)(READ_ONCE(desc->next) + 1));
		break;
	}
}

/* Rewrites driver-owned memory of a held chain, then completes it. */
static bool rewrite_and_complete(struct sim_device *d, unsigned int qi,
				 struct vring *vr, bool avail)
{
	struct devq *q = &d->q[qi];
	unsigned int pick = pick_held(q, vr, avail);
	struct devq_chain *c;

	if (pick == q->nheld)
		return false;
	c = &q->held[pick];
	if (avail) {
		u16 slot = c->avail_pos % vr->num;

		WRITE_ONCE(vr->avail->ring[slot], (u16)(c->head ^ 1));
	} else {
		rewrite_desc(d, vr, c->head);
	}
	used_push(d, qi, vr, c->head, 0, c->writable);
	remember(q, c->head);
	drop_held(q, pick);
	return true;
}

/* A used id at or above num (adversary.h note 4): just above, the last
 * 16-bit value, and 0x10000 + a held head (a ring that truncated the id
 * to 16 bits would take it for that head). */
static u32 bad_id(struct sim_device *d, unsigned int qi, const struct vring *vr)
{
	const struct devq *q = &d->q[qi];
	u64 head = q->nheld ? q->held[0].head : 0;
	const u64 edges[] = { vr->num,	  (u64)vr->num + 1, 0xffff,
			      0x10000,	  0x10000 + head,   0x8000,
			      0xffffffffu };

	return (u32)adv_value(d->env->cs, vr->num, 0xffffffffu, edges,
			      ARRAY_SIZE(edges));
}

/* How far to move used idx from the ring's consumed count so that it is
 * illegal (note 4): ahead by more than the outstanding buffers (by exactly
 * one more at the edge), or back, never landing on a legal step. */
static u16 bad_idx_step(struct sim_device *d, unsigned int qi,
			const struct vring *vr, bool ahead)
{
	u64 out = ring_outstanding(d, qi);
	const u64 fwd[] = { out + 1, out + 2, (u64)vr->num + 1, 0x8000,
			    0xffff };
	const u64 back[] = { 1, 2, vr->num, (u64)vr->num + 1, 0x8000 };
	u64 step;

	if (ahead)
		return (u16)adv_value(d->env->cs, out + 1, 0xffff, fwd,
				      ARRAY_SIZE(fwd));
	/* Back by step is ahead by 0x10000 - step: keep that above out. */
	step = adv_value(d->env->cs, 1, 0xffff - out, back, ARRAY_SIZE(back));
	return (u16)(0x10000 - step);
}

static bool illegal_act(struct sim_device *d, unsigned int qi, struct vring *vr,
			enum adv_behaviour b)
{
	struct vring_stats stats;
	u32 id;

	switch (b) {
	case ADV_USED_ID_RANGE:
		used_push(d, qi, vr, bad_id(d, qi, vr), 0, 0);
		return true;
	case ADV_USED_ID_NOT_HEAD:
	case ADV_DUPLICATE:
		if (!pick_stale_head(d, qi, vr, b == ADV_DUPLICATE, &id))
			return false;
		used_push(d, qi, vr, id, 0, 0);
		return true;
	case ADV_USED_IDX_AHEAD:
	case ADV_USED_IDX_BACK:
		virtqueue_get_stats(d->t->queues[qi].vq, &stats);
		WRITE_ONCE(vr->used->idx,
			   (u16)((u16)stats.used +
				 bad_idx_step(d, qi, vr,
					      b == ADV_USED_IDX_AHEAD)));
		return true;
	case ADV_REWRITE_DESC:
	case ADV_REWRITE_AVAIL:
		return rewrite_and_complete(d, qi, vr, b == ADV_REWRITE_AVAIL);
	default:
		assert(0 && "not a used-ring act");
		return false;
	}
}

static const enum adv_behaviour used_ring_acts[] = {
	ADV_USED_ID_RANGE,  ADV_USED_ID_NOT_HEAD, ADV_DUPLICATE,
	ADV_USED_IDX_AHEAD, ADV_USED_IDX_BACK,	  ADV_REWRITE_DESC,
	ADV_REWRITE_AVAIL,
};

/* At most one illegal act per queue and turn, after the honest work, so
 * nothing the device does later in the turn hides it. */
static void maybe_illegal(struct sim_device *d, unsigned int qi,
			  struct vring *vr)
{
	unsigned int i;

	if (!d->t->queues[qi].vq)
		return;
	for (i = 0; i < ARRAY_SIZE(used_ring_acts); i++) {
		enum adv_behaviour b = used_ring_acts[i];

		if (!adv_draw(d->adv, d->env->cs, b))
			continue;
		if (illegal_act(d, qi, vr, b)) {
			expect(d, qi, b,
			       b != ADV_USED_IDX_AHEAD &&
				       b != ADV_USED_IDX_BACK);
			d->q[qi].irq_pending = true;
		}
		return;
	}
}

/* --- the device's turn ----------------------------------------------------- */

/* How many held chains to complete in one turn: 1 .. nheld. Where the
 * device reorders, the edge nheld (adversary.h note 4) in half the draws:
 * once everything is fetched, that moves used idx ahead of the driver by
 * exactly the buffers outstanding, the most the ring must accept. */
static unsigned int completions_wanted(struct sim_device *d,
				       const struct devq *q)
{
	struct choice_source *cs = d->env->cs;

	if (adv_enabled(d->adv, ADV_OUT_OF_ORDER))
		return (unsigned int)adv_value(cs, 1, q->nheld,
					       (const u64[]){ q->nheld }, 1);
	return 1 + (unsigned int)choice_below(cs, q->nheld);
}

static void queue_step(struct sim_device *d, unsigned int qi)
{
	struct vring *vr = simt_vring(d->t, qi);
	struct devq *q = &d->q[qi];
	unsigned int n, want;
	u16 old;

	simt_take_notify(d->t, qi);
	if (!vr)
		return;
	fetch(d, qi, vr);
	if (d->env->oracle->failed)
		return;
	publish_avail_event(d, qi, vr);
	old = q->used_idx;
	if (q->nheld && !d->plant_stall) {
		/* 0 completes one, the oldest: the quiet world is in order. */
		want = completions_wanted(d, q);
		for (n = 0; n < want; n++) {
			unsigned int pick = pick_chain(d, q);

			if (pick == q->nheld || !complete(d, qi, vr, pick))
				break;
		}
	}
	decide_interrupt(d, qi, vr, old);
	maybe_illegal(d, qi, vr);
}

void sim_device_step(struct sim_device *d)
{
	unsigned int qi;

	if (!(d->t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (d->untrusted_driver && d->needs_reset)
		return; /* note 6: nothing until a reset */
	for (qi = 0; qi < d->cls->nqueues && !d->env->oracle->failed; qi++)
		queue_step(d, qi);
}

unsigned int sim_device_waiting(const struct sim_device *d)
{
	unsigned int qi, n = 0;

	for (qi = 0; qi < d->cls->nqueues; qi++) {
		struct virtqueue *vq = d->t->queues[qi].vq;

		if (!vq ||
		    ((d->cls->receive_queues & (1u << qi)) && d->q[qi].starved))
			continue;
		n += virtqueue_outstanding(vq);
	}
	return n;
}

bool sim_device_has_work(const struct sim_device *d)
{
	unsigned int qi, i;

	if (!(d->t->status & VIRTIO_CONFIG_S_DRIVER_OK) || d->plant_stall)
		return false;
	for (qi = 0; qi < d->cls->nqueues; qi++) {
		const struct devq *q = &d->q[qi];
		struct vring *vr = simt_vring(d->t, qi);

		if (!vr)
			continue;
		if (READ_ONCE(vr->avail->idx) != q->last_avail)
			return true;
		for (i = 0; i < q->nheld; i++)
			if (eligible(d, &q->held[i]))
				return true;
	}
	return false;
}

/* --- inside the ring's reads (note 8) --------------------------------------- */

struct mid_read {
	unsigned int qi;
	struct vring *vr;
	enum sim_read_region region;
	u16 index;	     /* descriptor, ring slot or table entry */
	unsigned int offset; /* first byte read within that element */
	unsigned int size;   /* bytes read */
	void *elem;	     /* the element */
};

/* Whether [p, p + size) lies in the len bytes at base; *off: where. */
static bool mid_in(uintptr_t p, unsigned long size, const void *base,
		   size_t len, size_t *off)
{
	uintptr_t b = (uintptr_t)base;

	if (p < b || p - b >= len || size > len - (p - b))
		return false;
	*off = p - b;
	return true;
}

static bool mid_avail(struct mid_read *m, size_t off)
{
	struct vring_avail *avail = m->vr->avail;
	unsigned int num = m->vr->num;

	if (off < 2) {
		m->region = SIM_READ_AVAIL_FLAGS;
		m->elem = &avail->flags;
	} else if (off < 4) {
		m->region = SIM_READ_AVAIL_IDX;
		m->elem = &avail->idx;
	} else if (off < 4 + 2 * (size_t)num) {
		m->region = SIM_READ_AVAIL_RING;
		m->index = (u16)((off - 4) / 2);
		m->elem = &avail->ring[m->index];
	} else {
		m->region = SIM_READ_USED_EVENT;
		m->elem = &avail->ring[num];
	}
	return true;
}

static bool mid_used(struct mid_read *m, size_t off)
{
	struct vring_used *used = m->vr->used;
	unsigned int num = m->vr->num;

	if (off < 2) {
		m->region = SIM_READ_USED_FLAGS;
		m->elem = &used->flags;
	} else if (off < 4) {
		m->region = SIM_READ_USED_IDX;
		m->elem = &used->idx;
	} else if (off < 4 + 8 * (size_t)num) {
		m->index = (u16)((off - 4) / 8);
		m->region = (off - 4) % 8 < 4 ? SIM_READ_USED_ID
					      : SIM_READ_USED_LEN;
		m->elem = m->region == SIM_READ_USED_ID
				  ? (void *)&used->ring[m->index].id
				  : (void *)&used->ring[m->index].len;
	} else {
		m->region = SIM_READ_AVAIL_EVENT;
		m->elem = &used->ring[num];
	}
	return true;
}

/* A held chain's indirect table (only a ring that reads one back). */
static bool mid_indirect(struct sim_device *d, struct mid_read *m, uintptr_t p)
{
	const struct devq *q = &d->q[m->qi];
	unsigned int i;
	size_t off;

	for (i = 0; i < q->nheld; i++) {
		const struct devq_chain *c = &q->held[i];
		struct vring_desc *table;

		if (!c->indir_len)
			continue;
		table = shim_guest_ptr(c->indir_phys, c->indir_len);
		if (!table || !mid_in(p, m->size, table, c->indir_len, &off))
			continue;
		m->region = SIM_READ_INDIRECT;
		m->index = (u16)(off / sizeof(*table));
		m->offset = (unsigned int)(off % sizeof(*table));
		m->elem = &table[m->index];
		return true;
	}
	return false;
}

/* Which queue's memory, and which part of it, the read touches. */
static bool mid_locate(struct sim_device *d, const void *addr,
		       unsigned long size, struct mid_read *m)
{
	uintptr_t p = (uintptr_t)addr;
	unsigned int qi;
	size_t off, num;

	memset(m, 0, sizeof(*m)); /* index 0 where the region has none */
	m->size = (unsigned int)size;
	for (qi = 0; qi < d->cls->nqueues; qi++) {
		struct vring *vr = simt_vring(d->t, qi);

		if (!vr || !d->t->queues[qi].vq)
			continue;
		m->qi = qi;
		m->vr = vr;
		num = vr->num;
		if (mid_in(p, size, vr->desc, num * sizeof(*vr->desc), &off)) {
			m->region = SIM_READ_DESC;
			m->index = (u16)(off / sizeof(*vr->desc));
			m->offset = (unsigned int)(off % sizeof(*vr->desc));
			m->elem = &vr->desc[m->index];
			return true;
		}
		if (mid_in(p, size, vr->avail, 6 + 2 * num, &off))
			return mid_avail(m, off);
		if (mid_in(p, size, vr->used, 6 + 8 * num, &off))
			return mid_used(m, off);
		if (adv_enabled(d->adv, ADV_MID_READ_REWRITE) &&
		    mid_indirect(d, m, p))
			return true;
	}
	return false;
}

/* Whether used ring slot `slot` holds an entry the used idx covers and the
 * driver has not consumed yet: published, so the device's no more. */
static bool mid_published(struct sim_device *d, const struct mid_read *m)
{
	struct vring_stats stats;
	u16 last_used, window, from;

	virtqueue_get_stats(d->t->queues[m->qi].vq, &stats);
	last_used = (u16)stats.used;
	window = (u16)(d->q[m->qi].used_idx - last_used);
	from = (u16)((m->index - last_used) & (m->vr->num - 1));
	return window >= m->vr->num || from < window;
}

/* A u16 other than old, in [0, num) when num (adversary.h note 4). */
static u16 mid_other_u16(struct sim_device *d, u16 old, unsigned int num)
{
	u16 v;

	if (!num)
		return (u16)(old + adv_value(d->env->cs, 1, 0xffff,
					     (const u64[]){ 1, 0x8000, 0xffff },
					     3));
	v = (u16)adv_value(d->env->cs, 0, num - 1,
			   (const u64[]){ 0, num - 1u, (old ^ 1u) & (num - 1) },
			   3);
	return v != old ? v : (u16)((v + 1) % num);
}

/* One field of a descriptor among the bytes read, changed. */
static void mid_rewrite_desc(struct sim_device *d, struct vring_desc *desc,
			     const struct mid_read *m, unsigned int num)
{
	static const u16 flag_bits[] = { VRING_DESC_F_NEXT, VRING_DESC_F_WRITE,
					 VRING_DESC_F_INDIRECT };
	struct choice_source *cs = d->env->cs;
	unsigned int field;

	if (m->offset < 8)
		field = 0; /* addr */
	else if (m->size >= 8)
		field = 1 + (unsigned int)choice_below(cs, 3);
	else
		field = m->offset < 12 ? 1 : m->offset < 14 ? 2 : 3;
	switch (field) {
	case 0:
		WRITE_ONCE(desc->addr, READ_ONCE(desc->addr) ^ 0x1000);
		break;
	case 1:
		WRITE_ONCE(desc->len, READ_ONCE(desc->len) ^ 0x100);
		break;
	case 2:
		WRITE_ONCE(desc->flags, READ_ONCE(desc->flags) ^
						flag_bits[choice_below(cs, 3)]);
		break;
	default:
		WRITE_ONCE(desc->next,
			   mid_other_u16(d, READ_ONCE(desc->next), num));
		break;
	}
}

/* A used id the ring must reject: out of range, or no outstanding head. */
static u32 mid_bad_id(struct sim_device *d, const struct mid_read *m,
		      u32 *faults)
{
	u32 id;

	if (choice_chance(d->env->cs, 1, 2) &&
	    pick_stale_head(d, m->qi, m->vr, choice_chance(d->env->cs, 1, 2),
			    &id)) {
		*faults = adv_expect_faults(ADV_EXPECT_ID_OTHER);
		return id;
	}
	*faults = adv_expect_faults(ADV_EXPECT_ID_RANGE);
	return bad_id(d, m->qi, m->vr);
}

/* A len above the writable bytes of the chain completed in that slot. */
static u32 mid_bad_len(struct sim_device *d, const struct mid_read *m)
{
	u64 w = d->q[m->qi].used_writable[m->index];

	return (u32)adv_value(
		d->env->cs, w + 1, 0xffffffffu,
		(const u64[]){ w + 1, w + 2, 0x80000000u, 0xffffffffu }, 4);
}

/* The expectation of note 2 for an act inside a read. */
static void mid_expect(struct sim_device *d, const struct mid_read *m,
		       u32 faults, bool clamp)
{
	struct devq *q = &d->q[m->qi];
	struct vring_stats stats;

	q->illegal = true;
	d->lied = true;
	q->expect_faults |= faults;
	if (clamp && !q->expect_clamp) {
		virtqueue_get_stats(d->t->queues[m->qi].vq, &stats);
		q->clamped_before = stats.len_clamped;
		q->expect_clamp = true;
	}
}

/* mid-read-rewrite: driver memory, or what the device published. */
static void mid_rewrite(struct sim_device *d, const struct mid_read *m)
{
	unsigned int num = m->vr->num;
	struct vring_stats stats;
	u32 faults = 0;
	bool clamp = false;
	u16 *v16 = m->elem;
	u32 *v32 = m->elem;

	switch (m->region) {
	case SIM_READ_DESC:
		mid_rewrite_desc(d, m->elem, m, num);
		faults = adv_expect_faults(ADV_EXPECT_DESC);
		break;
	case SIM_READ_INDIRECT:
		mid_rewrite_desc(d, m->elem, m, 0);
		break; /* the ring never reads it back: unseen */
	case SIM_READ_AVAIL_RING:
		WRITE_ONCE(*v16, mid_other_u16(d, READ_ONCE(*v16), num));
		faults = adv_expect_faults(ADV_EXPECT_AVAIL);
		break;
	case SIM_READ_AVAIL_FLAGS:
	case SIM_READ_AVAIL_IDX:
	case SIM_READ_USED_EVENT:
		WRITE_ONCE(*v16, mid_other_u16(d, READ_ONCE(*v16), 0));
		faults = adv_expect_faults(ADV_EXPECT_AVAIL);
		break;
	case SIM_READ_USED_IDX:
		virtqueue_get_stats(d->t->queues[m->qi].vq, &stats);
		WRITE_ONCE(*v16, (u16)((u16)stats.used +
				       bad_idx_step(d, m->qi, m->vr,
						    choice_chance(d->env->cs, 1,
								  2))));
		faults = adv_expect_faults(ADV_EXPECT_IDX);
		break;
	case SIM_READ_USED_ID:
		WRITE_ONCE(*v32, mid_bad_id(d, m, &faults));
		break;
	case SIM_READ_USED_LEN:
		WRITE_ONCE(*v32, mid_bad_len(d, m));
		clamp = true;
		break;
	default:
		assert(0 && "not the driver's, nor published");
	}
	if (m->region < SIM_READ_USED_FLAGS || m->region == SIM_READ_INDIRECT)
		d->q[m->qi].scribbled = true;
	mid_expect(d, m, faults, clamp);
}

/* mid-read: what the device may do at any moment. */
static void mid_legal(struct sim_device *d, const struct mid_read *m)
{
	struct choice_source *cs = d->env->cs;
	struct devq *q = &d->q[m->qi];
	u16 *v16 = m->elem;
	u32 *v32 = m->elem;
	unsigned int pick;
	u16 old;

	switch (m->region) {
	case SIM_READ_USED_FLAGS:
		WRITE_ONCE(*v16, READ_ONCE(*v16) ^ VRING_USED_F_NO_NOTIFY);
		break;
	case SIM_READ_AVAIL_EVENT:
		WRITE_ONCE(*v16, mid_other_u16(d, READ_ONCE(*v16), 0));
		break;
	case SIM_READ_USED_IDX:
		/* A device running beside the driver completes a request. */
		old = q->used_idx;
		pick = pick_chain(d, q);
		if (pick < q->nheld && !d->plant_stall)
			complete(d, m->qi, m->vr, pick);
		decide_interrupt(d, m->qi, m->vr, old);
		break;
	case SIM_READ_USED_ID:
	case SIM_READ_USED_LEN:
		WRITE_ONCE(*v32, (u32)choice_range(cs, 0, 0xffffffffu));
		break;
	default:
		assert(0 && "not the device's to change");
	}
}

/* The used ring as the device published it: no illegal act waits for
 * the ring's verdict, used idx is the device's. A legal completion over
 * an illegal idx would hide it. */
static bool mid_used_as_published(struct sim_device *d,
				  const struct mid_read *m)
{
	const struct devq *q = &d->q[m->qi];

	return !q->expect_faults && !q->expect_clamp &&
	       READ_ONCE(m->vr->used->idx) == q->used_idx;
}

static bool mid_device_owned(struct sim_device *d, const struct mid_read *m)
{
	switch (m->region) {
	case SIM_READ_USED_FLAGS:
	case SIM_READ_AVAIL_EVENT:
		return true;
	case SIM_READ_USED_ID:
	case SIM_READ_USED_LEN:
		return !mid_published(d, m) && mid_used_as_published(d, m);
	default:
		return false;
	}
}

bool sim_device_may_act_in_reads(const struct sim_device *d)
{
	return adv_enabled(d->adv, ADV_MID_READ) ||
	       adv_enabled(d->adv, ADV_MID_READ_REWRITE);
}

void sim_device_before_read(struct sim_device *d, const void *addr,
			    unsigned long size)
{
	struct virtqueue *vq;
	struct mid_read m;
	enum adv_behaviour b;

	/* Called on every shared read: the commonest way out first (the
	 * behaviours are off in most runs). Every test here only reads. */
	if (!d->mid_read ||
	    (!adv_enabled(d->adv, ADV_MID_READ) &&
	     !adv_enabled(d->adv, ADV_MID_READ_REWRITE)) ||
	    d->env->oracle->failed ||
	    !(d->t->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    !mid_locate(d, addr, size, &m))
		return;
	vq = d->t->queues[m.qi].vq;
	if (virtqueue_is_broken(vq))
		return; /* nothing left to detect, nor to keep healthy */
	/* One illegal act at a time: a second could undo the first (two
	 * flips of one bit), and the ring owes a verdict on the first. */
	if (!mid_device_owned(d, &m) && !d->q[m.qi].expect_faults &&
	    !d->q[m.qi].expect_clamp &&
	    adv_fires(d->adv, d->env->cs, ADV_MID_READ_REWRITE)) {
		b = ADV_MID_READ_REWRITE;
		mid_rewrite(d, &m);
	} else if ((mid_device_owned(d, &m) ||
		    (m.region == SIM_READ_USED_IDX &&
		     mid_used_as_published(d, &m))) &&
		   adv_fires(d->adv, d->env->cs, ADV_MID_READ)) {
		b = ADV_MID_READ;
		mid_legal(d, &m);
	} else {
		return;
	}
	sim_emit(d->env, SIM_ACTOR_DEVICE, SIM_EV_ADVERSARY, (u16)m.qi, b,
		 m.region, m.index);
}

/* --- index wrap (note 7) ---------------------------------------------------- */

bool sim_device_burst_ready(struct sim_device *d, unsigned int qi)
{
	struct vring *vr = simt_vring(d->t, qi);
	struct virtqueue *vq = d->t->queues[qi].vq;
	struct devq *q = &d->q[qi];
	struct vring_stats stats;

	if (!vr || !vq || virtqueue_is_broken(vq) || q->illegal ||
	    !(d->t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return false;
	fetch(d, qi, vr);
	virtqueue_get_stats(vq, &stats);
	return !d->env->oracle->failed && q->last_avail == vr->avail->idx &&
	       q->used_idx == (u16)stats.used;
}

bool sim_device_burst_take(struct sim_device *d, unsigned int qi)
{
	struct vring *vr = simt_vring(d->t, qi);
	struct devq *q = &d->q[qi];
	struct devq_chain c;

	if (READ_ONCE(vr->avail->idx) == q->last_avail)
		return false;
	smp_rmb();
	memset(&c, 0, offsetof(struct devq_chain, seg));
	c.head = READ_ONCE(vr->avail->ring[q->last_avail % vr->num]);
	q->last_avail++;
	if (!walk_chain(d, qi, vr, &c))
		return false;
	sim_device_burst_complete(q, vr, c.head);
	return true;
}

void sim_device_burst_end(struct sim_device *d, unsigned int qi)
{
	struct vring *vr = simt_vring(d->t, qi);

	d->q[qi].kick_avail = READ_ONCE(vr->avail->idx);
	d->q[qi].kicks_before = d->t->kicks[qi];
	publish_avail_event(d, qi, vr);
}

/* --- the driver's notification rules (note 5) ------------------------------ */

static bool kick_required(const struct sim_device *d, const struct vring *vr,
			  u16 old, u16 new)
{
	if (ring_feature(d, VIRTIO_RING_F_EVENT_IDX))
		return vring_need_event(READ_ONCE(vring_avail_event(vr)), new,
					old);
	return !(READ_ONCE(vr->used->flags) & VRING_USED_F_NO_NOTIFY);
}

static void check_kick(struct sim_device *d, unsigned int qi,
		       const struct vring *vr)
{
	struct devq *q = &d->q[qi];
	u16 new = READ_ONCE(vr->avail->idx);
	bool notified = d->t->kicks[qi] != q->kicks_before;

	if (kick_required(d, vr, q->kick_avail, new) && !notified)
		driver_rule(d, qi, new,
			    "no kick although the device asked for one");
	q->kick_avail = new;
}

/* What enable_cb(_delayed) must have published, and returned. */
static void check_enable(struct sim_device *d, unsigned int qi,
			 const struct vring *vr, struct virtqueue *vq,
			 bool delayed, bool result)
{
	struct vring_stats stats;
	u16 last_used, bufs, waiting;

	virtqueue_get_stats(vq, &stats);
	last_used = (u16)stats.used;
	bufs = delayed ? (u16)(virtqueue_outstanding(vq) * 3 / 4) : 0;
	if (READ_ONCE(vr->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT)
		driver_rule(d, qi, last_used,
			    "callbacks enabled but NO_INTERRUPT still set");
	if (ring_feature(d, VIRTIO_RING_F_EVENT_IDX) &&
	    READ_ONCE(vring_used_event(vr)) != (u16)(last_used + bufs))
		driver_rule(d, qi, READ_ONCE(vring_used_event(vr)),
			    "used_event is not where callbacks were enabled");
	waiting = (u16)(READ_ONCE(vr->used->idx) - last_used);
	if (result != (waiting <= bufs))
		driver_rule(d, qi, waiting,
			    "enable_cb misreported the entries waiting");
}

static void check_get_buf(struct sim_device *d, unsigned int qi,
			  const struct vring *vr, struct virtqueue *vq)
{
	struct vring_stats stats;

	if (!ring_feature(d, VIRTIO_RING_F_EVENT_IDX) ||
	    (READ_ONCE(vr->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT))
		return;
	virtqueue_get_stats(vq, &stats);
	if (READ_ONCE(vring_used_event(vr)) != (u16)stats.used)
		driver_rule(d, qi, READ_ONCE(vring_used_event(vr)),
			    "get_buf did not move used_event along");
}

void sim_device_observe(struct sim_device *d, unsigned int qi,
			enum sim_call call, u64 result)
{
	struct vring *vr = simt_vring(d->t, qi);
	struct virtqueue *vq = d->t->queues[qi].vq;
	struct devq *q = &d->q[qi];

	if (!vr || !vq)
		return;
	if (virtqueue_is_broken(vq) || q->illegal || d->env->oracle->failed)
		return;
	switch (call) {
	case SIM_CALL_ADD:
		break;
	case SIM_CALL_KICK:
		check_kick(d, qi, vr);
		break;
	case SIM_CALL_DISABLE_CB:
		if (!(READ_ONCE(vr->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT))
			driver_rule(d, qi, 0,
				    "disable_cb left NO_INTERRUPT clear");
		break;
	case SIM_CALL_ENABLE_CB:
	case SIM_CALL_ENABLE_CB_DELAYED:
		check_enable(d, qi, vr, vq, call == SIM_CALL_ENABLE_CB_DELAYED,
			     result != 0);
		break;
	case SIM_CALL_GET_BUF:
		if (result)
			check_get_buf(d, qi, vr, vq);
		break;
	}
	q->kicks_before = d->t->kicks[qi];
}

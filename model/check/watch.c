/*
 * watch.c - the checks on our driver's rings (watch.h).
 */
#include "watch.h"

#include <linux/scatterlist.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_MAX 16
#define POISON_RUN 6u

struct seg {
	u64 phys;
	u32 len;
	bool writable;
};

/* What the checker noted when a chain was made available. */
struct watch_shadow {
	bool live;
	bool poisoned;
	unsigned int nseg;
	u32 readable, writable;
	u32 sum; /* FNV-1a of the readable bytes */
	struct seg seg[SEG_MAX];
};

void watch_violation(struct check_watch *w, const char *id, unsigned int q,
		     u64 observed, u64 expected, const char *text)
{
	check_violation(w->c, check_index(id), w->step, q, observed, expected,
			"%s", text);
	w->stop = true;
}

void watch_exercised(struct check_watch *w, const char *id)
{
	w->c->exercised[check_index(id)] = true;
}

u64 watch_reserved_features(int mode)
{
	u64 mask = (1ULL << 25) | (1ULL << 26) | (1ULL << 31) |
		   (((1ULL << 9) - 1) << 41);

	return mode == CHECK_MODERN ? mask | (1ULL << 30) : mask;
}

void watch_init(struct check_watch *w, struct check_case *c,
		const struct watch_ops *ops, void *ctx)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->ops = ops;
	w->ctx = ctx;
	w->poison_mask = ~0u;
}

void watch_fini(struct check_watch *w)
{
	unsigned int q;

	for (q = 0; q < WATCH_QUEUES; q++) {
		free(w->shadow[q]);
		w->shadow[q] = NULL;
	}
}

static unsigned int nvqs(struct check_watch *w)
{
	unsigned int n = w->ops->nvqs(w->ctx);

	return n < WATCH_QUEUES ? n : WATCH_QUEUES;
}

static bool negotiated(struct check_watch *w, unsigned int bit)
{
	return (w->ops->features(w->ctx) >> bit) & 1;
}

/* --- shadows of the chains made available ------------------------------- */

static u8 poison_byte(u32 offset)
{
	return (u8)(0xa5u ^ (offset * 0x3bu) ^ (offset >> 8));
}

static bool add_seg(struct watch_shadow *s, const struct vring_desc *d)
{
	if (s->nseg == SEG_MAX)
		return false;
	s->seg[s->nseg].phys = d->addr;
	s->seg[s->nseg].len = d->len;
	s->seg[s->nseg].writable = d->flags & VRING_DESC_F_WRITE;
	if (d->len && !shim_guest_range_ok(d->addr, d->len))
		return false;
	if (d->flags & VRING_DESC_F_WRITE)
		s->writable += d->len;
	else
		s->readable += d->len;
	s->nseg++;
	return true;
}

/* Our own ring's chain at head (direct or one indirect table). */
static bool walk(struct watch_shadow *s, const struct vring *vr, u16 head)
{
	const struct vring_desc *table = vr->desc;
	unsigned int n = vr->num, i = head, count;

	memset(s, 0, sizeof(*s));
	if (head >= vr->num)
		return false;
	if (vr->desc[head].flags & VRING_DESC_F_INDIRECT) {
		n = vr->desc[head].len / sizeof(struct vring_desc);
		table = shim_guest_ptr(vr->desc[head].addr, vr->desc[head].len);
		if (!table || n == 0)
			return false;
		i = 0;
	}
	for (count = 0; count < n; count++) {
		if (!add_seg(s, &table[i]))
			return false;
		if (!(table[i].flags & VRING_DESC_F_NEXT))
			return true;
		i = table[i].next;
		if (i >= n)
			return false;
	}
	return false;
}

static u32 fnv(u32 h, const u8 *p, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static u32 readable_sum(const struct watch_shadow *s)
{
	u32 h = 2166136261u;
	unsigned int i;

	for (i = 0; i < s->nseg; i++)
		if (!s->seg[i].writable && s->seg[i].len)
			h = fnv(h,
				shim_guest_ptr(s->seg[i].phys, s->seg[i].len),
				s->seg[i].len);
	return h;
}

/* Byte at offset off of the writable part. */
static u8 *writable_at(const struct watch_shadow *s, u32 off)
{
	unsigned int i;

	for (i = 0; i < s->nseg; i++) {
		if (!s->seg[i].writable)
			continue;
		if (off < s->seg[i].len)
			return shim_guest_ptr(s->seg[i].phys + off, 1);
		off -= s->seg[i].len;
	}
	return NULL;
}

static void poison(const struct watch_shadow *s)
{
	u32 off;

	for (off = 0; off < s->writable; off++)
		*writable_at(s, off) = poison_byte(off);
}

static bool ensure_shadows(struct check_watch *w, unsigned int q,
			   unsigned int num)
{
	if (w->shadow[q] && w->shadow_num[q] == num)
		return true;
	free(w->shadow[q]);
	w->shadow[q] = calloc(num, sizeof(struct watch_shadow));
	w->shadow_num[q] = w->shadow[q] ? num : 0;
	return w->shadow[q] != NULL;
}

void watch_before_add(struct check_watch *w, unsigned int q,
		      const struct scatterlist *sg, unsigned int out,
		      unsigned int in)
{
	unsigned int i;
	u32 off = 0, k;
	u8 *p;

	if (w->stop || q >= WATCH_QUEUES || !((w->poison_mask >> q) & 1))
		return;
	/* The same bytes poison() writes: offsets count through the
	 * writable entries in chain order. */
	for (i = out; i < out + in; i++) {
		p = (u8 *)sg[i].buf + sg[i].offset;
		for (k = 0; k < sg[i].length; k++)
			p[k] = poison_byte(off++);
	}
	w->prepoisoned |= 1u << q;
}

static void on_add(struct check_watch *w, unsigned int q, s64 result)
{
	struct vring *vr = w->ops->vring(w->ctx, q);
	struct watch_shadow *s;
	bool prepoisoned = (w->prepoisoned >> q) & 1;
	u16 head;

	w->prepoisoned &= ~(1u << q);
	if (result < 0 || !vr || !ensure_shadows(w, q, vr->num))
		return;
	head = vr->avail->ring[(u16)(vr->avail->idx - 1) % vr->num];
	if (head >= vr->num)
		return;
	s = &w->shadow[q][head];
	if (!walk(s, vr, head)) {
		s->live = false;
		return;
	}
	s->live = true;
	s->sum = readable_sum(s);
	s->poisoned = (w->poison_mask >> q) & 1;
	/* Poisoned already: poisoning again could overwrite what the
	 * device wrote since the chain was published. */
	if (s->poisoned && !prepoisoned)
		poison(s);
}

/* A run of POISON_RUN bytes of [0, len) still holding the poison: the
 * device claimed bytes it did not write. Consecutive poison bytes differ,
 * so no constant fill matches; random data matches a run with chance
 * 2^-48 per position. */
static void check_written(struct check_watch *w, unsigned int q,
			  const struct watch_shadow *s, u32 len)
{
	u32 n = len < s->writable ? len : s->writable, k, run = 0;
	char text[CHECK_TEXT_BYTES];

	if (n < POISON_RUN)
		return;
	watch_exercised(w, "ring.used-len-written");
	for (k = 0; k < n; k++) {
		run = *writable_at(s, k) == poison_byte(k) ? run + 1 : 0;
		if (run < POISON_RUN)
			continue;
		while (k + 1 < n &&
		       *writable_at(s, k + 1) == poison_byte(k + 1))
			k++, run++;
		snprintf(
			text, sizeof(text),
			"used len %u, but writable bytes %u..%u still hold the "
			"poison written before exposure",
			len, k + 1 - run, k);
		watch_violation(w, "ring.used-len-written", q, len, k + 1 - run,
				text);
		return;
	}
}

static void on_get_buf(struct check_watch *w, unsigned int q)
{
	struct vring *vr = w->ops->vring(w->ctx, q);
	struct vring_stats st;
	struct watch_shadow *s;
	u16 slot;
	u32 id, len;
	char text[CHECK_TEXT_BYTES];

	if (!vr || !w->shadow[q])
		return;
	virtqueue_get_stats(w->ops->vq(w->ctx, q), &st);
	slot = (u16)((u16)(st.used - 1) % vr->num);
	id = vr->used->ring[slot].id;
	len = vr->used->ring[slot].len;
	if (id >= w->shadow_num[q] || !w->shadow[q][id].live)
		return;
	s = &w->shadow[q][id];
	s->live = false;
	if (s->readable) {
		watch_exercised(w, "ring.readable-untouched");
		if (readable_sum(s) != s->sum) {
			snprintf(
				text, sizeof(text),
				"chain %u: its %u readable bytes changed while "
				"the device held them",
				id, s->readable);
			watch_violation(w, "ring.readable-untouched", q,
					readable_sum(s), s->sum, text);
			return;
		}
	}
	if (w->c->device_id == VIRTIO_ID_RNG && s->writable) {
		watch_exercised(w, "rng.bytes-delivered");
		if (len == 0) {
			snprintf(text, sizeof(text),
				 "chain %u of %u writable bytes came back with "
				 "len 0",
				 id, s->writable);
			watch_violation(w, "rng.bytes-delivered", q, 0, 1,
					text);
			return;
		}
	}
	/* A len above the writable bytes is ring.used-len-bounded's (the
	 * ring clamped it); what it claims to have written is moot. */
	if (s->poisoned && len <= s->writable)
		check_written(w, q, s, len);
}

void watch_observe(struct check_watch *w, unsigned int q, enum sim_call call,
		   u64 result)
{
	if (w->stop || q >= nvqs(w))
		return;
	if (call == SIM_CALL_ADD)
		on_add(w, q, (s64)result);
	else if (call == SIM_CALL_GET_BUF && result)
		on_get_buf(w, q);
}

/* --- checks after every step and every device turn ------------------------ */

static const char *fault_entry(enum vring_fault f)
{
	switch (f) {
	case VRING_FAULT_USED_IDX_AHEAD:
	case VRING_FAULT_USED_IDX_BACKWARDS:
		return "ring.used-idx-forward";
	case VRING_FAULT_USED_ID_RANGE:
	case VRING_FAULT_USED_ID_NOT_HEAD:
	case VRING_FAULT_USED_ID_DUPLICATE:
		return "ring.used-id-outstanding";
	case VRING_FAULT_DESC_REWRITTEN:
		return "ring.desc-untouched";
	case VRING_FAULT_AVAIL_REWRITTEN:
		return "ring.avail-untouched";
	default:
		return NULL;
	}
}

void watch_queues(struct check_watch *w)
{
	unsigned int q;

	for (q = 0; q < nvqs(w) && !w->stop; q++) {
		struct virtqueue *vq = w->ops->vq(w->ctx, q);
		const struct vring_fault_info *fi;
		struct vring_stats st;
		const char *id;
		char text[CHECK_TEXT_BYTES];

		virtqueue_get_stats(vq, &st);
		if (st.used) {
			watch_exercised(w, "ring.used-id-outstanding");
			watch_exercised(w, "ring.used-idx-forward");
			watch_exercised(w, "ring.used-len-bounded");
			watch_exercised(w, "ring.desc-untouched");
			watch_exercised(w, "ring.avail-untouched");
		}
		if (st.len_clamped > w->clamped[q]) {
			snprintf(
				text, sizeof(text),
				"chain %u: used len %u, but it has %u writable "
				"bytes",
				st.last_clamp_id, st.last_clamp_len,
				st.last_clamp_limit);
			watch_violation(w, "ring.used-len-bounded", q,
					st.last_clamp_len, st.last_clamp_limit,
					text);
			return;
		}
		if (!virtqueue_is_broken(vq) || w->fault_seen[q])
			continue;
		w->fault_seen[q] = true;
		fi = virtqueue_fault(vq);
		id = fault_entry(fi->fault);
		if (!id)
			continue;
		snprintf(text, sizeof(text),
			 "the ring reported %s: value %u, expected %u (last "
			 "used idx %u, %u outstanding)",
			 vring_fault_name(fi->fault), fi->value, fi->expected,
			 fi->last_used_idx, fi->outstanding);
		watch_violation(w, id, q, fi->value, fi->expected, text);
	}
}

void watch_used_before(struct check_watch *w, u16 *before)
{
	unsigned int q;

	for (q = 0; q < nvqs(w); q++)
		before[q] = w->ops->vring(w->ctx, q)->used->idx;
}

void watch_turn(struct check_watch *w, const u16 *before, u32 raised,
		bool check_interrupts)
{
	unsigned int q;
	char text[CHECK_TEXT_BYTES];

	for (q = 0; q < nvqs(w) && !w->stop; q++) {
		struct vring *vr = w->ops->vring(w->ctx, q);
		u16 flags = vr->used->flags, now = vr->used->idx;
		u16 allowed = negotiated(w, VIRTIO_RING_F_EVENT_IDX)
				      ? 0
				      : VRING_USED_F_NO_NOTIFY;
		bool owed;

		watch_exercised(w, "ring.used-flags");
		if (flags & ~allowed) {
			snprintf(text, sizeof(text), "used flags %#x%s", flags,
				 allowed ? "" : " under EVENT_IDX");
			watch_violation(w, "ring.used-flags", q, flags, allowed,
					text);
			return;
		}
		if (now == before[q] || !check_interrupts)
			continue;
		watch_exercised(w, "ring.interrupt-required");
		if (negotiated(w, VIRTIO_RING_F_EVENT_IDX))
			owed = vring_need_event(vring_used_event(vr), now,
						before[q]);
		else
			owed = !(vr->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
		if (owed && !(raised & (1u << q))) {
			snprintf(text, sizeof(text),
				 "used idx moved %u -> %u (%s), and no "
				 "interrupt was raised",
				 before[q], now,
				 negotiated(w, VIRTIO_RING_F_EVENT_IDX)
					 ? "used_event crossed"
					 : "NO_INTERRUPT clear");
			watch_violation(w, "ring.interrupt-required", q, 0, 1,
					text);
			return;
		}
	}
}

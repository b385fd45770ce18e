/*
 * test_fragile.c - the proof that the robustness suite catches devices
 * that trust the driver: a plug-in device model written here, against
 * the in-process device interface (struct ringside_dm_ops, one step
 * function), careful by default and with exactly one planted weakness per
 * case of the catalogue. The proof table is checked against the
 * catalogue: a case without its weakness fails the test.
 *
 *   careful_device_rejects_or_skips   no weakness: every case REJECT or
 *                                     SKIP (no false alarm)
 *   every_case_has_a_proof            each catalogue id has a row below
 *   each_weakness_is_caught           weakness of case X planted: case X
 *                                     is FAIL or WEDGED (each case in a
 *                                     child process: crashes and spins
 *                                     are part of the proof)
 *   each_leak_is_caught               a reply that carries memory outside
 *                                     the request's buffers (an over-read
 *                                     of the buffer, of 6 bytes only, of
 *                                     the block header, or of a frame
 *                                     sent and looped back into a receive
 *                                     buffer) is FAIL on an honest
 *                                     request, whatever the case
 *   a_write_into_the_receive_ring_is_caught
 *                                     a device that writes into the avail
 *                                     ring of the receive queue is FAIL
 *   a_fail_keeps_what_the_front_end_did
 *                                     a FAIL's events: set-up, the
 *                                     attack's descriptors and notify,
 *                                     the used entries read, the verdict
 *
 * The weak reactions are the classic ones: following a chain without a
 * bound (spins), asserting on driver input (aborts), trusting a length
 * or address (writes outside the request or past guest memory),
 * ignoring the WRITE flag, wrapping arithmetic, state a reset does not
 * clear (dead for good).
 */
#include "harness.h"

#include <device.h>
#include <devices.h>
#include <event_log.h>
#include <robust.h>
#include <world.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <ringside/shim.h>
#include <stdlib.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(every_case_has_a_proof)                                              \
	X(careful_device_rejects_or_skips)                                     \
	X(each_weakness_is_caught)                                             \
	X(each_leak_is_caught)                                                 \
	X(a_fail_keeps_what_the_front_end_did)                                 \
	X(a_write_into_the_receive_ring_is_caught)
TESTS(HARNESS_DECLARE)

/* Crashes are expected here: a sanitizer's report without symbols takes
 * milliseconds instead of seconds, and its SUMMARY line is still the
 * evidence. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "symbolize=0";
}

#define FR_QUEUE 16
#define FR_SECTORS 64u
#define FR_SEGS 8

/* --- the fragile device ---------------------------------------------------- */

struct fr_seg {
	u8 *p;
	u32 len;
	bool writable;
};

struct fragile {
	struct ringside_dm_ops ops;
	struct simt_transport *t;
	u32 type;
	const char *weak; /* the case whose weakness is planted, or NULL */
	u16 last_avail[2], used_idx[2];
	bool needs_reset; /* the careful reaction: cleared by reset */
	bool stuck;	  /* a weak one: nothing clears it */
	bool was_live;	  /* DRIVER_OK was seen since the last reset */
	struct fr_seg seg[FR_SEGS];
	unsigned int nseg;
	u32 readable, writable;
	u8 disk[FR_SECTORS * 512];
	u8 frame[2048]; /* net: the frame sent, waiting for a receive buffer */
	u32 frame_len;
};

static bool weak(const struct fragile *f, const char *id)
{
	return f->weak && !strcmp(f->weak, id);
}

static unsigned int nqueues(const struct fragile *f)
{
	return f->type == VIRTIO_ID_NET ? 2 : 1;
}

static u16 fr_queue_size(void *ctx, unsigned int i)
{
	return i < nqueues(ctx) ? FR_QUEUE : 0;
}

static void fr_notify(void *ctx, unsigned int q)
{
	struct fragile *f = ctx;

	/* Only absent queues come here: it indexes its queues by q. */
	if (q >= nqueues(f) && weak(f, "notify.absent-queue"))
		abort();
}

static void fr_reset(void *ctx)
{
	struct fragile *f = ctx;

	memset(f->last_avail, 0, sizeof(f->last_avail));
	memset(f->used_idx, 0, sizeof(f->used_idx));
	f->needs_reset = false;
	if (!weak(f, "lifecycle.after-reset"))
		f->was_live = false;
}

static u8 fr_status_read(void *ctx, u8 stored)
{
	struct fragile *f = ctx;

	return f->needs_reset ? stored | VIRTIO_CONFIG_S_NEEDS_RESET : stored;
}

static void fr_config_read(void *ctx, unsigned int offset, void *buf,
			   unsigned int len)
{
	struct fragile *f = ctx;
	u64 cap = f->type == VIRTIO_ID_BLOCK ? FR_SECTORS : 0;
	u8 *out = buf;
	unsigned int i;

	for (i = 0; i < len; i++)
		out[i] = offset + i < 8 ? (u8)(cap >> (8 * (offset + i))) : 0;
}

/* --- translating addresses: careful, and the three classic mistakes ---- */

static u8 *fr_ptr(struct fragile *f, u64 phys, u32 len)
{
	u8 *base = shim_guest_ptr(SIM_PHYS_BASE, 1);
	const u64 end = (u64)SIM_PHYS_BASE + SIM_ARENA_BYTES;

	if (weak(f, "addr.outside-memory")) /* "wraps into RAM" */
		return base + (phys - SIM_PHYS_BASE) % SIM_ARENA_BYTES;
	if (weak(f, "addr.last-byte")) /* only the first byte checked */
		return phys >= SIM_PHYS_BASE && phys < end
			       ? base + (phys - SIM_PHYS_BASE)
			       : NULL;
	if (weak(f, "addr.wraps")) /* the end check overflows */
		return phys >= SIM_PHYS_BASE && phys + len <= end
			       ? base + (phys - SIM_PHYS_BASE)
			       : NULL;
	return shim_guest_ptr(phys, len);
}

/* --- chains ------------------------------------------------------------------ */

/* Rejects (NEEDS_RESET) and returns false. */
static bool fr_reject(struct fragile *f)
{
	f->needs_reset = true;
	return false;
}

static bool fr_desc(struct fragile *f, const struct vring_desc *d)
{
	bool w = READ_ONCE(d->flags) & VRING_DESC_F_WRITE;
	u32 len = READ_ONCE(d->len);
	u8 *p;

	if (len == 0) {
		if (weak(f, "desc.zero-length"))
			f->stuck = true;
		return true;
	}
	if (!w && f->writable && !weak(f, "chain.write-before-read"))
		return fr_reject(f);
	p = fr_ptr(f, READ_ONCE(d->addr), len);
	if (!p)
		return fr_reject(f);
	if (f->nseg == FR_SEGS)
		return true; /* more than it handles: dropped */
	f->seg[f->nseg].p = p;
	f->seg[f->nseg].len = len;
	f->seg[f->nseg].writable = w;
	f->nseg++;
	if (w)
		f->writable += len;
	else
		f->readable += len;
	return true;
}

static bool fr_indirect(struct fragile *f, const struct vring_desc *d)
{
	u32 len = READ_ONCE(d->len), n = len / 16, count;
	const struct vring_desc *t;
	u16 i = 0;

	if (READ_ONCE(d->flags) & VRING_DESC_F_NEXT) {
		if (weak(f, "indirect.with-next"))
			f->stuck = true;
		return fr_reject(f);
	}
	if (len == 0 && weak(f, "indirect.len-zero"))
		abort(); /* "table[n - 1]" */
	if (len % 16 && weak(f, "indirect.len-not-multiple"))
		f->stuck = true;
	if (n == 0 || len % 16)
		return fr_reject(f);
	if (n > FR_QUEUE) {
		if (weak(f, "indirect.longer-than-queue"))
			f->stuck = true;
		return fr_reject(f);
	}
	t = (const struct vring_desc *)fr_ptr(f, READ_ONCE(d->addr), len);
	if (!t)
		return fr_reject(f);
	for (count = 0; count < n || weak(f, "indirect.loop"); count++) {
		if (READ_ONCE(t[i].flags) & VRING_DESC_F_INDIRECT) {
			if (weak(f, "indirect.nested"))
				abort();
			return fr_reject(f);
		}
		if (!fr_desc(f, &t[i]))
			return false;
		if (!(READ_ONCE(t[i].flags) & VRING_DESC_F_NEXT))
			return true;
		i = READ_ONCE(t[i].next);
		if (i >= n)
			return fr_reject(f);
	}
	return fr_reject(f);
}

static bool fr_chain(struct fragile *f, const struct vring *vr, u16 head)
{
	unsigned int count;
	u16 i = head;

	f->nseg = 0;
	f->readable = f->writable = 0;
	for (count = 0; count < vr->num || weak(f, "desc.loop"); count++) {
		const struct vring_desc *d = &vr->desc[i];
		u16 flags = READ_ONCE(d->flags);

		if (flags & VRING_DESC_F_INDIRECT)
			return count == 0 ? fr_indirect(f, d) : fr_reject(f);
		if (!fr_desc(f, d))
			return false;
		if (!(flags & VRING_DESC_F_NEXT))
			return true;
		i = READ_ONCE(d->next);
		if (i >= vr->num) {
			if (weak(f, "desc.next-out-of-range"))
				abort();
			return fr_reject(f);
		}
	}
	return fr_reject(f);
}

/* --- requests ------------------------------------------------------------------ */

/* Writes n bytes of src at offset off of the writable part (or of every
 * segment, for a device that ignores the WRITE flag). */
static u32 fr_write(struct fragile *f, bool any, u32 off, const u8 *src, u32 n)
{
	u32 done = 0;
	unsigned int i;

	for (i = 0; i < f->nseg && done < n; i++) {
		struct fr_seg *s = &f->seg[i];
		u32 k;

		if (!s->writable && !any)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		k = s->len - off < n - done ? s->len - off : n - done;
		memcpy(s->p + off, src + done, k);
		done += k;
		off = 0;
	}
	return done;
}

static u32 fr_entropy(struct fragile *f)
{
	bool any = weak(f, "entropy.readable-buffer");
	u32 total = any ? f->readable + f->writable : f->writable, i;
	u8 b[64];

	if (weak(f, "leak.over-read") && f->nseg) {
		/* "random" bytes from a pool it keeps right after the
		 * buffer: whatever lies there in guest memory */
		struct fr_seg *s = &f->seg[f->nseg - 1];

		memmove(s->p, s->p + s->len, s->len);
		return f->writable;
	}
	for (i = 0; i < total; i += sizeof(b)) {
		memset(b, (u8)(0x40 + i), sizeof(b));
		fr_write(f, any, i, b,
			 total - i < sizeof(b) ? total - i : sizeof(b));
	}
	if (weak(f, "leak.short-over-read") && f->nseg &&
	    f->seg[f->nseg - 1].len >= 16) {
		/* a 6-byte tail read 3 bytes past the buffer's end, the
		 * length rounded the wrong way */
		struct fr_seg *s = &f->seg[f->nseg - 1];

		memcpy(s->p + 5, s->p + s->len + 3, 6);
	}
	return f->writable;
}

/* The status byte: the last writable byte; a fixed-layout device takes
 * the third segment (header, data, status). */
static void fr_status(struct fragile *f, u8 status)
{
	unsigned int i;

	if (weak(f, "chain.write-before-read") && f->nseg > 3) {
		f->seg[2].p[0] = status;
		return;
	}
	for (i = f->nseg; i-- > 0;)
		if (f->seg[i].writable || weak(f, "block.status-readable")) {
			f->seg[i].p[f->seg[i].len - 1] = status;
			return;
		}
}

static u8 fr_block_rw(struct fragile *f, u32 type, u64 sector, u8 *hdr_seg)
{
	u32 bytes = type == 0 ? f->writable - 1 : f->readable - 16;
	u64 off = sector * 512;
	bool ok = sector <= FR_SECTORS && bytes / 512 <= FR_SECTORS - sector;

	if (weak(f, "block.sector-wraps")) /* the product, not the sector */
		ok = off + bytes <= sizeof(f->disk);
	if (sector == ~0ull && weak(f, "block.sector-max"))
		abort();
	if (!ok || bytes % 512)
		return 1;
	if (type == 0 && weak(f, "leak.header-over-read")) {
		/* the data read from where the header is, the header's
		 * length never looked at (through a bounce buffer) */
		u8 bounce[512];

		memcpy(bounce, hdr_seg, sizeof(bounce));
		fr_write(f, false, 0, bounce,
			 bytes < sizeof(bounce) ? bytes : sizeof(bounce));
	} else if (type == 0) {
		fr_write(f, false, 0, f->disk + off, bytes);
	} else {
		/* OUT: the data segment follows the 16-byte header. */
		unsigned int i;
		u32 done = 0;

		for (i = 1; i < f->nseg && done < bytes; i++)
			if (!f->seg[i].writable) {
				memcpy(f->disk + off + done, f->seg[i].p,
				       f->seg[i].len);
				done += f->seg[i].len;
			}
	}
	return 0;
}

static u32 fr_block(struct fragile *f)
{
	u8 *h = f->nseg ? f->seg[0].p : NULL;
	u32 type;
	u64 sector;
	u8 status;

	if (!f->writable && !weak(f, "block.status-readable"))
		return 0;
	if (f->nseg == 0 || f->seg[0].len < 16) {
		if (weak(f, "block.no-header") && f->readable == 0)
			abort(); /* reads the header from the status byte */
		if (weak(f, "block.short-header") && f->readable)
			f->stuck = true;
		fr_status(f, 1);
		return f->writable;
	}
	memcpy(&type, h, 4);
	memcpy(&sector, h + 8, 8);
	if (type == 0 || type == 1)
		status = fr_block_rw(f, type, sector, h);
	else if (type == 4)
		status = 0;
	else if (weak(f, "block.unknown-type"))
		status = (u8)(fr_write(f, true, 16, f->disk, 512) ? 0 : 1);
	else
		status = 2;
	fr_status(f, status);
	return f->writable;
}

/* Net is a loopback: the chain sent (header and frame) waits for the
 * next receive buffer. */
static u32 fr_net_send(struct fragile *f)
{
	unsigned int i;
	u32 n = 0;

	if (f->readable < 10 && weak(f, "net.short-header"))
		f->stuck = true;
	for (i = 0; i < f->nseg; i++) {
		struct fr_seg *s = &f->seg[i];
		u32 k = s->len;

		if (s->writable)
			continue;
		if (i + 1 == f->nseg && weak(f, "leak.receive-over-read"))
			k = (k + 15) & ~15u; /* "DMA in 16-byte bursts" */
		if (k > sizeof(f->frame) - n)
			k = sizeof(f->frame) - n;
		memcpy(f->frame + n, s->p, k);
		n += k;
	}
	f->frame_len = n;
	return 0;
}

static u32 fr_net_receive(struct fragile *f)
{
	u32 n = fr_write(f, false, 0, f->frame, f->frame_len);

	f->frame_len = 0;
	return n;
}

/* --- the device's turn ------------------------------------------------------ */

static void fr_used(struct fragile *f, unsigned int q, struct vring *vr,
		    u16 head, u32 len)
{
	struct vring_used_elem *e = &vr->used->ring[f->used_idx[q] % vr->num];

	WRITE_ONCE(e->id, head);
	WRITE_ONCE(e->len, len);
	smp_wmb();
	f->used_idx[q]++;
	WRITE_ONCE(vr->used->idx, f->used_idx[q]);
}

static bool fr_heads_ok(struct fragile *f, struct vring *vr, unsigned int q,
			u16 avail)
{
	u16 i, j;

	if ((u16)(avail - f->last_avail[q]) > vr->num) {
		if (weak(f, "avail.idx-jump"))
			f->stuck = true;
		return fr_reject(f);
	}
	for (i = f->last_avail[q]; i != avail; i++) {
		u16 h = READ_ONCE(vr->avail->ring[i % vr->num]);

		if (h >= vr->num) {
			if (weak(f, "avail.head-out-of-range"))
				abort();
			return fr_reject(f);
		}
		for (j = f->last_avail[q]; j != i; j++)
			if (READ_ONCE(vr->avail->ring[j % vr->num]) == h) {
				if (weak(f, "avail.head-twice"))
					f->stuck = true;
				return fr_reject(f);
			}
	}
	return true;
}

static void fr_queue(struct fragile *f, unsigned int q)
{
	struct vring *vr = &f->t->queues[q].vring;
	u16 avail;
	u32 len;

	simt_take_notify(f->t, q);
	if (!f->t->queues[q].vq && !weak(f, "notify.queue-not-set-up"))
		return;
	avail = READ_ONCE(vr->avail->idx); /* a queue not set up: NULL */
	if (!fr_heads_ok(f, vr, q, avail))
		return;
	smp_rmb();
	while (f->last_avail[q] != avail && !f->needs_reset) {
		u16 head =
			READ_ONCE(vr->avail->ring[f->last_avail[q] % vr->num]);

		if (q == 0 && f->type == VIRTIO_ID_NET && !f->frame_len)
			return; /* receive buffers wait for a frame */
		if (q == 0 && weak(f, "receive.avail-written"))
			/* "marks the slot taken" in the driver's ring */
			WRITE_ONCE(vr->avail->ring[f->last_avail[q] % vr->num],
				   0xffff);
		f->last_avail[q]++;
		if (!fr_chain(f, vr, head))
			return;
		if (f->stuck)
			return;
		if (f->type == VIRTIO_ID_RNG)
			len = fr_entropy(f);
		else if (f->type == VIRTIO_ID_BLOCK)
			len = fr_block(f);
		else if (f->type == VIRTIO_ID_NET)
			len = q == 1 ? fr_net_send(f) : fr_net_receive(f);
		else
			return;
		if (f->stuck)
			return;
		fr_used(f, q, vr, head, len);
	}
}

static void fr_step(void *dev)
{
	struct fragile *f = dev;
	u8 status = f->t->status;
	unsigned int q;

	if (f->stuck)
		return;
	if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (f->t->mode == SIMT_MODERN &&
		    !(status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    weak(f, "lifecycle.features-ok-skipped"))
			abort();
		f->was_live = true;
	} else if (!f->was_live) {
		if (f->t->notify_pending &&
		    weak(f, "lifecycle.before-driver-ok"))
			f->stuck = true;
		return;
	}
	if (f->needs_reset)
		return;
	for (q = 0; q < nqueues(f); q++)
		fr_queue(f, q);
}

/* --- the plug-in --------------------------------------------------------------- */

struct fr_plugin {
	u32 type;
	const char *weak;
};

static int fr_create(const struct rb_inproc *ip, struct sim_env *env,
		     const struct ringside_dm_ops **ops, void **dev)
{
	const struct fr_plugin *pl = ip->arg;
	struct fragile *f = calloc(1, sizeof(*f));

	(void)env;
	if (!f)
		return -ENOMEM;
	f->type = pl->type;
	f->weak = pl->weak;
	f->ops.device_id = pl->type;
	f->ops.vendor_id = DEV_VENDOR_ID;
	f->ops.features = 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	f->ops.config_size = f->type == VIRTIO_ID_BLOCK ? 8 : 0;
	f->ops.config_read = fr_config_read;
	f->ops.queue_size = fr_queue_size;
	f->ops.notify = fr_notify;
	f->ops.reset = fr_reset;
	f->ops.status_read = fr_status_read;
	*ops = &f->ops;
	*dev = f;
	return 0;
}

static int fr_attach(const struct rb_inproc *ip, void *dev,
		     struct simt_transport *t)
{
	(void)ip;
	((struct fragile *)dev)->t = t;
	return 0;
}

static void fr_destroy(void *dev)
{
	free(dev);
}

static void fragile_target(struct fr_plugin *pl, struct rb_inproc *ip,
			   struct rb_target *t, const char *name, bool modern)
{
	memset(ip, 0, sizeof(*ip));
	ip->name = name;
	ip->device_id = pl->type;
	ip->modern = modern;
	ip->create = fr_create;
	ip->attach = fr_attach;
	ip->step = fr_step;
	ip->destroy = fr_destroy;
	ip->arg = pl;
	rb_inproc_target(ip, t);
}

/* --- the proof table ------------------------------------------------------------- */

struct proof {
	const char *id;
	u32 type; /* the device type the weakness lives in */
};

static const struct proof proofs[] = {
	{ "desc.loop", VIRTIO_ID_RNG },
	{ "desc.next-out-of-range", VIRTIO_ID_RNG },
	{ "desc.zero-length", VIRTIO_ID_RNG },
	{ "chain.write-before-read", VIRTIO_ID_BLOCK },
	{ "entropy.readable-buffer", VIRTIO_ID_RNG },
	{ "block.status-readable", VIRTIO_ID_BLOCK },
	{ "addr.outside-memory", VIRTIO_ID_RNG },
	{ "addr.last-byte", VIRTIO_ID_RNG },
	{ "addr.wraps", VIRTIO_ID_RNG },
	{ "indirect.loop", VIRTIO_ID_RNG },
	{ "indirect.longer-than-queue", VIRTIO_ID_RNG },
	{ "indirect.nested", VIRTIO_ID_RNG },
	{ "indirect.with-next", VIRTIO_ID_RNG },
	{ "indirect.len-zero", VIRTIO_ID_RNG },
	{ "indirect.len-not-multiple", VIRTIO_ID_RNG },
	{ "avail.idx-jump", VIRTIO_ID_RNG },
	{ "avail.head-out-of-range", VIRTIO_ID_RNG },
	{ "avail.head-twice", VIRTIO_ID_RNG },
	{ "notify.absent-queue", VIRTIO_ID_RNG },
	{ "notify.queue-not-set-up", VIRTIO_ID_RNG },
	{ "block.no-header", VIRTIO_ID_BLOCK },
	{ "block.short-header", VIRTIO_ID_BLOCK },
	{ "block.unknown-type", VIRTIO_ID_BLOCK },
	{ "block.sector-wraps", VIRTIO_ID_BLOCK },
	{ "block.sector-max", VIRTIO_ID_BLOCK },
	{ "net.short-header", VIRTIO_ID_NET },
	{ "lifecycle.before-driver-ok", VIRTIO_ID_RNG },
	{ "lifecycle.after-reset", VIRTIO_ID_RNG },
	{ "lifecycle.features-ok-skipped", VIRTIO_ID_RNG },
};

static const struct proof *proof_of(const char *id)
{
	unsigned int i;

	for (i = 0; i < sizeof(proofs) / sizeof(proofs[0]); i++)
		if (!strcmp(proofs[i].id, id))
			return &proofs[i];
	return NULL;
}

static void every_case_has_a_proof(void)
{
	unsigned int i, missing = 0;

	for (i = 0; i < rb_ncases; i++)
		if (!proof_of(rb_cases[i].id)) {
			printf("  no planted weakness for case %s\n",
			       rb_cases[i].id);
			missing++;
		}
	CHECK_EQ(0, missing);
	for (i = 0; i < sizeof(proofs) / sizeof(proofs[0]); i++)
		CHECK(rb_case_lookup(proofs[i].id) != NULL);
}

/* With a weakness planted, each case in a child process (a crash or a
 * spin is the expected evidence); the careful device in this one. */
static void run_fragile(u32 type, const char *weak_id, bool modern,
			const char *only, struct rb_report *rep)
{
	struct fr_plugin pl = { .type = type, .weak = weak_id };
	struct rb_inproc ip;
	struct rb_target t;
	struct rb_options opt = { .seed = 3,
				  .only = only,
				  .isolate = weak_id != NULL,
				  .isolate_timeout_ms = 2000 };
	char err[200];

	fragile_target(&pl, &ip, &t, "fragile", modern);
	CHECK_EQ(0, rb_run(&t, &opt, rep, err, sizeof(err)));
}

static void careful_device_rejects_or_skips(void)
{
	static const u32 types[] = { VIRTIO_ID_RNG, VIRTIO_ID_BLOCK,
				     VIRTIO_ID_NET };
	static struct rb_report rep;
	unsigned int i, k, bad = 0;

	for (i = 0; i < 3; i++) {
		run_fragile(types[i], NULL, true, NULL, &rep);
		for (k = 0; k < rep.nresults; k++) {
			const struct rb_result *r = &rep.results[k];

			if (r->verdict == RB_REJECT || r->verdict == RB_SKIP)
				continue;
			printf("  careful type %u %s: %s %s\n", types[i],
			       r->kase->id, rb_verdict_name(r->verdict),
			       r->why);
			bad++;
		}
	}
	CHECK_EQ(0, bad);
}

static void each_weakness_is_caught(void)
{
	static struct rb_report rep;
	unsigned int i, missed = 0;

	for (i = 0; i < rb_ncases; i++) {
		const struct proof *p = proof_of(rb_cases[i].id);

		const struct rb_result *r;

		if (!p)
			continue; /* every_case_has_a_proof says so */
		run_fragile(p->type, p->id, true, p->id, &rep);
		CHECK_EQ(1, rep.nresults);
		r = &rep.results[0];
		printf("  %-30s %-6s %s\n", p->id, rb_verdict_name(r->verdict),
		       r->why);
		if (r->verdict != RB_FAIL && r->verdict != RB_WEDGED)
			missed++;
	}
	CHECK_EQ(0, missed);
}

/* Weaknesses that no case needs: any honest request shows them. */
static void each_leak_is_caught(void)
{
	static const struct proof leaks[] = {
		{ "leak.over-read", VIRTIO_ID_RNG },
		{ "leak.header-over-read", VIRTIO_ID_BLOCK },
		{ "leak.short-over-read", VIRTIO_ID_RNG },
		{ "leak.receive-over-read", VIRTIO_ID_NET },
	};
	static struct rb_report rep;
	unsigned int i;

	for (i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
		const struct rb_result *r;

		run_fragile(leaks[i].type, leaks[i].id, true, "desc.loop",
			    &rep);
		CHECK_EQ(1, rep.nresults);
		r = &rep.results[0];
		printf("  %-30s %-6s %s\n", leaks[i].id,
		       rb_verdict_name(r->verdict), r->why);
		CHECK_EQ(RB_FAIL, r->verdict);
		CHECK(strstr(r->why, "leaked guest memory") != NULL);
	}
}

/* What the record callback saw of one case's events. */
struct seen_events {
	unsigned int calls, with_events;
	unsigned int kinds[SIM_EV_COUNT];
	bool loop_desc; /* a descriptor whose next is itself, NEXT set */
	bool notify_tx; /* the request queue (1) notified */
	bool used_rx;	/* a receive used entry read, by the device */
	u32 last_step;	/* phase of the last event */
	u64 last_kind, verdict;
};

static void keep_events(void *ctx, struct rb_result *r,
			const struct event_log *events)
{
	struct seen_events *seen = ctx;
	size_t i;

	(void)r;
	seen->calls++;
	if (!events)
		return;
	seen->with_events++;
	CHECK(event_log_complete(events));
	for (i = 0; i < event_log_stored(events); i++) {
		const struct sim_event *ev = event_log_get(events, i);

		CHECK(ev->kind < SIM_EV_COUNT);
		seen->kinds[ev->kind]++;
		if (ev->kind == SIM_EV_FRONT_DESC &&
		    (u16)(ev->c >> 32) == (u16)ev->c &&
		    ((ev->c >> 16) & VRING_DESC_F_NEXT))
			seen->loop_desc = true;
		if (ev->kind == SIM_EV_FRONT_NOTIFY && ev->a == 1)
			seen->notify_tx = true;
		if (ev->kind == SIM_EV_FRONT_USED && ev->queue == 0 &&
		    ev->actor == SIM_ACTOR_DEVICE)
			seen->used_rx = true;
		seen->last_step = ev->step;
		seen->last_kind = ev->kind;
		seen->verdict = ev->a;
	}
}

static void a_fail_keeps_what_the_front_end_did(void)
{
	struct fr_plugin pl = { .type = VIRTIO_ID_NET,
				.weak = "leak.receive-over-read" };
	struct seen_events seen;
	struct rb_inproc ip;
	struct rb_target t;
	struct rb_options opt = { .seed = 3,
				  .only = "desc.loop",
				  .record = keep_events,
				  .record_ctx = &seen };
	static struct rb_report rep;
	char err[200];

	memset(&seen, 0, sizeof(seen));
	fragile_target(&pl, &ip, &t, "fragile", true);
	CHECK_EQ(0, rb_run(&t, &opt, &rep, err, sizeof(err)));
	CHECK_EQ(RB_FAIL, rep.results[0].verdict);
	CHECK_EQ(1, seen.calls);
	CHECK_EQ(1, seen.with_events);
	CHECK(seen.kinds[SIM_EV_FRONT_STATUS] >= 4); /* reset, ..., DRIVER_OK */
	CHECK(seen.kinds[SIM_EV_FRONT_FEATURES] >= 1);
	CHECK(seen.kinds[SIM_EV_FRONT_QUEUE] >= 2);
	CHECK(seen.loop_desc);
	CHECK(seen.notify_tx);
	CHECK(seen.used_rx);
	CHECK(seen.last_step >= 1); /* the leak is in an honest phase */
	CHECK_EQ(SIM_EV_FRONT_VERDICT, seen.last_kind);
	CHECK_EQ(RB_FAIL, seen.verdict);

	/* A case in a child process keeps no events here. */
	memset(&seen, 0, sizeof(seen));
	opt.isolate = true;
	opt.isolate_timeout_ms = 2000;
	CHECK_EQ(0, rb_run(&t, &opt, &rep, err, sizeof(err)));
	CHECK_EQ(1, seen.calls);
	CHECK_EQ(0, seen.with_events);
}

static void a_write_into_the_receive_ring_is_caught(void)
{
	static struct rb_report rep;
	const struct rb_result *r;

	run_fragile(VIRTIO_ID_NET, "receive.avail-written", true, "desc.loop",
		    &rep);
	CHECK_EQ(1, rep.nresults);
	r = &rep.results[0];
	printf("  %-30s %-6s %s\n", "receive.avail-written",
	       rb_verdict_name(r->verdict), r->why);
	CHECK_EQ(RB_FAIL, r->verdict);
	CHECK(strstr(r->why, "wrote into the avail ring of the receive "
			     "queue") != NULL);
}

HARNESS_MAIN(TESTS)

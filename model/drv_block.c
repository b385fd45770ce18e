/*
 * drv_block.c - the block workload: reads, writes, flushes and GET_IDs on
 * one queue, and a shadow of the disk that reads are checked against.
 *
 * A request is one kmalloc'd buffer: the 16-byte header (readable), the
 * data as one or two sg entries (readable for OUT, writable for IN), and
 * the status byte (writable, last). OUT data is a pattern derived from a
 * seed and the sector, so the shadow keeps one seed per sector, not the
 * bytes.
 *
 * Several requests are in flight and may complete in any order, so the
 * shadow is only trusted where no write can have raced a read:
 *
 *  - writers[s] counts the OUTs in flight to sector s. An IN prepared
 *    while an OUT to one of its sectors is in flight does not check that
 *    sector, and an OUT prepared while an IN is in flight taints the IN's
 *    overlapping sectors (the device may serve them in either order).
 *  - A device gives no order between overlapping writes in flight at once
 *    (QEMU sorts and merges the writes of one notify and runs them
 *    concurrently): the last OUT completed need not be the last written.
 *    So a sector that had two OUTs in flight at the same time is
 *    contended[s] until its writers drain to 0, and every OUT to it that
 *    completes meanwhile leaves it unknown (each of them overlapped
 *    another one in flight: the one whose arrival made it contended, or
 *    one in flight when it was prepared).
 *  - An OUT that completes with OK and overlapped no other OUT in flight
 *    sets the sector's seed: nothing raced it, so the sector holds what
 *    it wrote. One that fails or comes back through detach leaves the
 *    sector unknown: the device may or may not have written it.
 *  - Sectors start unknown: the workload checks only what it wrote.
 */
#include "driver.h"
#include "reuse.h"

#include <assert.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#define BLK_SECTOR 512u
#define BLK_HDR 16u
#define BLK_ID_BYTES 20u
/* Sectors the workload uses at most, whatever the device reports. */
#define BLK_SECTORS_MAX 512u
/* Sectors in one IN or OUT, at most (their taint mask is a byte). */
#define BLK_COUNT_MAX 4u

#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_T_FLUSH 4u
#define BLK_T_GET_ID 8u

#define BLK_S_OK 0u
#define BLK_S_NONE 0xffu /* no status written */
/* r->tag[TAG_TYPE] of a read past the capacity (check_out_of_range): its
 * header says IN; nothing of it is checked here (model/check does). */
#define BLK_T_PAST_END 0x100u

/* The serial number the device model returns (dev_block.c), unless the
 * driver is told another (wl_driver.block_serial). */
static const char blk_id[] = "ringside-blk";

/* r->tag: what was asked, and what may be checked on return. */
enum {
	TAG_TYPE = 0, /* BLK_T_* */
	TAG_SECTOR,   /* first sector */
	TAG_COUNT,    /* sectors (0 for FLUSH, GET_ID) */
	TAG_SEED,     /* OUT: the pattern's seed; IN: tainted-sector mask */
};

struct blk_wl {
	u64 capacity; /* as the device reported it */
	u32 nsect;    /* sectors the workload uses: capacity, bounded */
	u64 writes;   /* OUTs prepared: mixed into the pattern seeds */
	u64 seed[BLK_SECTORS_MAX];
	bool known[BLK_SECTORS_MAX];
	u16 writers[BLK_SECTORS_MAX]; /* OUTs in flight */
	/* Two OUTs were in flight at once since writers was last 0. */
	bool contended[BLK_SECTORS_MAX];
};

static const struct virtio_device_id block_ids[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int block_features[] = {
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
};

static const char *const block_queues[] = { "requests" };

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The 512 bytes an OUT with this seed writes to sector s: each 8 bytes
 * the next mix64 of the seed, little-endian. Built 8 bytes at a time, so
 * that a fuzz build pays no per-byte check or hook. */
static void pattern(u8 *buf, u64 seed, u64 s)
{
	u64 x = seed ^ (s * 0xd1342543de82ef95ULL);
	unsigned int k, j;
	u8 word[8];

	for (k = 0; k < BLK_SECTOR; k += 8) {
		x = mix64(x);
		for (j = 0; j < 8; j++)
			word[j] = (u8)(x >> (8 * j));
		memcpy(buf + k, word, sizeof(word));
	}
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* Kept from one world to the next (reuse.h). */
static struct reuse_slot blk_wl_slot;

static int block_init(struct wl_driver *w)
{
	struct blk_wl *b =
		reuse_get(&blk_wl_slot, sizeof(*b), sizeof(*b), true);

	if (!b)
		return -ENOMEM;
	w->priv = b;
	return 0;
}

static void block_fini(struct wl_driver *w)
{
	reuse_put(&blk_wl_slot, w->priv);
}

/* Reads the capacity; a hostile one is bounded. OUTs left in flight by a
 * previous binding (a token the remove lost) leave their sectors unknown. */
static void block_probe(struct wl_driver *w)
{
	struct blk_wl *b = w->priv;
	unsigned int s;
	u64 capacity;

	wl_config_read(w, 0, &capacity, sizeof(capacity));
	b->capacity = capacity;
	b->nsect = b->capacity < BLK_SECTORS_MAX ? (u32)b->capacity
						 : BLK_SECTORS_MAX;
	for (s = 0; s < BLK_SECTORS_MAX; s++) {
		if (b->writers[s] || s >= b->nsect)
			b->known[s] = false;
		b->writers[s] = 0;
		b->contended[s] = false;
	}
}

/* An OUT to [sector, sector + count) is about to go: the INs in flight
 * over it can no longer be checked there. */
static void taint_reads(struct wl_driver *w, u64 sector, u64 count)
{
	unsigned int i;
	u64 s;

	for (i = 0; i < WL_REQS; i++) {
		struct wl_req *r = &w->req[i];

		if (!r->out || r->tag[TAG_TYPE] != BLK_T_IN)
			continue;
		for (s = 0; s < r->tag[TAG_COUNT]; s++)
			if (r->tag[TAG_SECTOR] + s >= sector &&
			    r->tag[TAG_SECTOR] + s < sector + count)
				r->tag[TAG_SEED] |= 1u << s;
	}
}

/* Type, and for IN/OUT the sector range, of the next request. */
static void draw_request(struct wl_driver *w, u64 *type, u64 *sector,
			 u64 *count)
{
	struct choice_source *cs = w->env->cs;
	struct blk_wl *b = w->priv;
	u64 v = choice_below(cs, 16);
	u64 most = b->nsect < BLK_COUNT_MAX ? b->nsect : BLK_COUNT_MAX;

	*sector = 0;
	*count = 0;
	/* Not before 16 completions: a case ends at its first violation,
	 * and the probe should not hide what the ordinary requests show. */
	if (w->check_out_of_range && w->completed >= 16 &&
	    choice_chance(cs, 1, 16)) {
		*type = BLK_T_PAST_END;
		*sector = b->capacity;
		*count = 1;
		return;
	}
	if (v >= 14 || b->nsect == 0) {
		*type = v % 2 ? BLK_T_GET_ID : BLK_T_FLUSH;
		return;
	}
	*type = v < 7 ? BLK_T_OUT : BLK_T_IN;
	*count = 1 + choice_below(cs, most);
	*sector = choice_below(cs, b->nsect - *count + 1);
}

/* Data bytes of a request of this type. */
static u32 data_bytes(u64 type, u64 count)
{
	return type == BLK_T_GET_ID ? BLK_ID_BYTES : (u32)count * BLK_SECTOR;
}

/* An OUT joins (delta 1) or leaves (-1) the writers of its sectors. One
 * that joins writers already there contends the sector; the contention
 * ends when the last of them leaves. */
static void mark_writers(struct blk_wl *b, const struct wl_req *r, int delta)
{
	u64 s;

	for (s = 0; s < r->tag[TAG_COUNT]; s++) {
		u64 sec = r->tag[TAG_SECTOR] + s;

		assert(sec < BLK_SECTORS_MAX);
		assert(delta > 0 || b->writers[sec] > 0);
		if (delta > 0 && b->writers[sec] > 0)
			b->contended[sec] = true;
		b->writers[sec] = (u16)(b->writers[sec] + delta);
		if (b->writers[sec] == 0)
			b->contended[sec] = false;
	}
}

/* What the request writes or may check, recorded in r->tag. */
static void note_request(struct wl_driver *w, struct wl_req *r, u8 *data)
{
	struct blk_wl *b = w->priv;
	u64 s, sector = r->tag[TAG_SECTOR], count = r->tag[TAG_COUNT];

	if (r->tag[TAG_TYPE] == BLK_T_OUT) {
		r->tag[TAG_SEED] =
			choice_below(w->env->cs, 1u << 16) | ++b->writes << 16;
		for (s = 0; s < count; s++)
			pattern(data + s * BLK_SECTOR, r->tag[TAG_SEED],
				sector + s);
		taint_reads(w, sector, count);
		mark_writers(b, r, 1);
	} else if (r->tag[TAG_TYPE] == BLK_T_IN) {
		for (s = 0; s < count; s++)
			if (b->writers[sector + s] || !b->known[sector + s])
				r->tag[TAG_SEED] |= 1u << s;
	}
}

/* Where the data is split into two sg entries (anywhere), or 0. */
static u32 draw_cut(struct wl_driver *w, u32 bytes)
{
	if (bytes < 2 || !choice_chance(w->env->cs, 1, 3))
		return 0;
	return 1 + (u32)choice_below(w->env->cs, bytes - 1);
}

static int block_prepare(struct wl_driver *w, unsigned int q, struct wl_req *r,
			 struct scatterlist *sg, unsigned int *out,
			 unsigned int *in)
{
	u64 type, sector, count;
	unsigned int ndata, n = 0;
	u32 bytes, cut;
	u8 *buf;

	(void)q;
	draw_request(w, &type, &sector, &count);
	bytes = type == BLK_T_FLUSH ? 0 : data_bytes(type, count);
	buf = kzalloc(BLK_HDR + bytes + 1, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	r->mem = buf;
	r->bytes = BLK_HDR + bytes + 1;
	r->tag[TAG_TYPE] = type;
	r->tag[TAG_SECTOR] = sector;
	r->tag[TAG_COUNT] = count;
	put_le(buf, type == BLK_T_PAST_END ? BLK_T_IN : type, 4);
	put_le(buf + 8, sector, 8);
	/* Not OK until the device says so. */
	buf[BLK_HDR + bytes] = BLK_S_NONE;
	note_request(w, r, buf + BLK_HDR);

	cut = draw_cut(w, bytes);
	ndata = bytes == 0 ? 0 : cut ? 2 : 1;
	sg_init_table(sg, 2 + ndata);
	sg_set_buf(&sg[n++], buf, BLK_HDR);
	if (cut) {
		sg_set_buf(&sg[n++], buf + BLK_HDR, cut);
		sg_set_buf(&sg[n++], buf + BLK_HDR + cut, bytes - cut);
	} else if (bytes) {
		sg_set_buf(&sg[n++], buf + BLK_HDR, bytes);
	}
	sg_set_buf(&sg[n++], buf + BLK_HDR + bytes, 1);
	assert(n == 2 + ndata);
	*out = type == BLK_T_OUT ? 1 + ndata : 1;
	*in = n - *out;
	return 0;
}

/* An IN came back with OK: its untainted sectors must match the shadow. */
static void check_read(struct wl_driver *w, const struct wl_req *r)
{
	struct blk_wl *b = w->priv;
	const u8 *data = (const u8 *)r->mem + BLK_HDR;
	u64 s, sec;
	u8 want[BLK_SECTOR];
	bool checked = false;
	unsigned int k;

	for (s = 0; s < r->tag[TAG_COUNT]; s++) {
		sec = r->tag[TAG_SECTOR] + s;
		if ((r->tag[TAG_SEED] >> s & 1) || !b->known[sec])
			continue;
		pattern(want, b->seed[sec], sec);
		if (memcmp(data + s * BLK_SECTOR, want, BLK_SECTOR) == 0)
			k = BLK_SECTOR; /* equal: no byte to look for */
		else
			for (k = 0; k < BLK_SECTOR; k++)
				if (data[s * BLK_SECTOR + k] != want[k])
					break;
		if (k < BLK_SECTOR) {
			wl_data_fail(w,
				     "read of sector %llu: byte %u is %#x, "
				     "written %#x",
				     (unsigned long long)sec, k,
				     data[s * BLK_SECTOR + k], want[k]);
			return;
		}
		checked = true;
	}
	if (checked)
		w->data_checked++;
}

static void check_id(struct wl_driver *w, const struct wl_req *r)
{
	const char *id = w->block_serial ? w->block_serial : blk_id;
	const u8 *got = (const u8 *)r->mem + BLK_HDR;
	u8 want[BLK_ID_BYTES] = { 0 };
	unsigned int i;

	memcpy(want, id, min_t(size_t, strlen(id), BLK_ID_BYTES));
	for (i = 0; i < BLK_ID_BYTES; i++)
		if (got[i] != want[i]) {
			/* The first byte that differs: a serial not padded
			 * with NULs shows where the device stopped. */
			wl_data_fail(w,
				     "GET_ID returned another serial: byte %u "
				     "is 0x%02x, not 0x%02x",
				     i, got[i], want[i]);
			return;
		}
	w->data_checked++;
}

/* An OUT is over: it wrote its pattern (ok), or maybe, or maybe not. A
 * contended sector is unknown whatever it says: another OUT in flight with
 * this one may have been written after it. */
static void out_done(struct wl_driver *w, const struct wl_req *r, bool ok)
{
	struct blk_wl *b = w->priv;
	u64 s, sec;
	bool wrote;

	for (s = 0; s < r->tag[TAG_COUNT]; s++) {
		sec = r->tag[TAG_SECTOR] + s;
		wrote = ok && !b->contended[sec];
		b->known[sec] = wrote;
		b->seed[sec] = wrote ? r->tag[TAG_SEED] : 0;
	}
	mark_writers(b, r, -1);
}

static void block_complete(struct wl_driver *w, struct wl_req *r, u32 len)
{
	u64 type = r->tag[TAG_TYPE];
	u8 status = ((const u8 *)r->mem)[r->bytes - 1];
	bool ok = len == r->writable && status == BLK_S_OK;

	if (type == BLK_T_PAST_END)
		return; /* the device's answer is model/check's to judge */
	/* An honest device writes every writable byte, the status last. */
	if (len != 0 && len != r->writable)
		wl_data_fail(w, "request type %llu: len %u, writable %u",
			     (unsigned long long)type, len, r->writable);
	if (type == BLK_T_OUT)
		out_done(w, r, ok);
	else if (ok && type == BLK_T_IN)
		check_read(w, r);
	else if (ok && type == BLK_T_GET_ID)
		check_id(w, r);
}

/* Not added (the device never saw it), or detached (it may have been
 * served). */
static void block_cancel(struct wl_driver *w, struct wl_req *r)
{
	struct blk_wl *b = w->priv;

	if (r->tag[TAG_TYPE] != BLK_T_OUT)
		return;
	if (r->out)
		out_done(w, r, false);
	else
		mark_writers(b, r, -1);
}

const struct wl_class wl_block_class = {
	.name = "ringside-block",
	.id_table = block_ids,
	.features = block_features,
	.nfeatures = ARRAY_SIZE(block_features),
	.nqueues = 1,
	.queue_names = block_queues,
	.init = block_init,
	.fini = block_fini,
	.probe = block_probe,
	.prepare = block_prepare,
	.complete = block_complete,
	.cancel = block_cancel,
};

/*
 * dev_block.c - the block device (virtio-blk): one queue of requests on an
 * in-memory disk of 512-byte sectors held on the host side.
 *
 * A request is a 16-byte header {type, reserved, sector} in the readable
 * part, then the data (readable for OUT, writable for IN), then one status
 * byte: the last writable byte. Every malformed request is answered, never
 * trusted: a short header, data that is no whole number of sectors or runs
 * past the disk get IOERR, an unknown type UNSUPP, and a chain without a
 * writable byte is completed with len 0 (there is nowhere to say why).
 * An answered request always reports len = its writable bytes: the device
 * writes every one of them (data or zeros, then the status).
 *
 * No reset or config_change hooks: the disk keeps its contents over a
 * reset (nothing is in flight here, process() completes at once), and its
 * capacity never changes.
 */
#include "device.h"
#include "reuse.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>

#define BLK_SECTOR 512u
#define BLK_HDR 16u
#define BLK_ID_BYTES 20u
/* Capacity in sectors: drawn in [MIN, MAX] (rarely 0: an empty disk). */
#define BLK_CAP_MIN 64u
#define BLK_CAP_MAX 512u

#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_T_FLUSH 4u
#define BLK_T_GET_ID 8u

#define BLK_S_OK 0u
#define BLK_S_IOERR 1u
#define BLK_S_UNSUPP 2u

/* The serial number GET_ID returns (drv_block.c expects the same). */
static const char blk_id[] = "ringside-blk";

struct blk_dev {
	u64 capacity; /* sectors */
	u8 *disk;     /* capacity * BLK_SECTOR bytes; NULL when empty */
};

static u64 get_le(const u8 *p, unsigned int n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The disk of one world after another (reuse.h): up to 256 KiB. */
static struct reuse_slot disk_slot;

static int block_init(struct sim_device *d)
{
	struct blk_dev *b = malloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->capacity = BLK_CAP_MIN +
		      choice_below(d->env->cs, BLK_CAP_MAX - BLK_CAP_MIN + 1);
	/* An empty disk is legal and rare: only FLUSH and GET_ID work. */
	if (choice_chance(d->env->cs, 1, 64))
		b->capacity = 0;
	b->disk = NULL;
	if (b->capacity) {
		b->disk = reuse_get(&disk_slot, b->capacity * BLK_SECTOR,
				    BLK_CAP_MAX * BLK_SECTOR, true);
		if (!b->disk) {
			free(b);
			return -ENOMEM;
		}
	}
	d->priv = b;
	return 0;
}

static void block_fini(struct sim_device *d)
{
	struct blk_dev *b = d->priv;

	if (!b)
		return;
	reuse_put(&disk_slot, b->disk);
	free(b);
}

/* Zeros into the writable part [from, to): bytes the device reports as
 * written but has nothing to put in. */
static void zero_fill(const struct devq_chain *c, u32 from, u32 to)
{
	static const u8 zeros[BLK_SECTOR];
	u32 n;

	for (; from < to; from += n) {
		n = to - from < BLK_SECTOR ? to - from : BLK_SECTOR;
		devq_write(c, from, zeros, n);
	}
}

/* Is [sector, sector + bytes / BLK_SECTOR) a whole range on the disk? */
static bool range_ok(const struct blk_dev *b, u64 sector, u32 bytes)
{
	u64 n = bytes / BLK_SECTOR;

	return bytes % BLK_SECTOR == 0 && sector <= b->capacity &&
	       n <= b->capacity - sector;
}

/* IN: the disk into the data part (all but the status byte). */
static u8 do_in(struct sim_device *d, const struct devq_chain *c, u64 sector,
		u32 *done)
{
	struct blk_dev *b = d->priv;
	u32 bytes = c->writable - 1;
	u8 *src;
	u8 bad;

	if (!range_ok(b, sector, bytes))
		/* Planted: past the end "succeeds" (zeros, block_process). */
		return d->plant_oob_success ? BLK_S_OK : BLK_S_IOERR;
	if (bytes == 0)
		return BLK_S_OK;
	src = b->disk + sector * BLK_SECTOR;
	*done = devq_write(c, 0, src, bytes);
	if (d->plant_corrupt_data) {
		/* The planted bug: one byte of the data arrives flipped. */
		bad = src[bytes / 2] ^ 0x01;
		devq_write(c, bytes / 2, &bad, 1);
	}
	return BLK_S_OK;
}

/* OUT: the data part (readable bytes after the header) onto the disk. */
static u8 do_out(struct sim_device *d, const struct devq_chain *c, u64 sector)
{
	struct blk_dev *b = d->priv;
	u32 bytes = c->readable - BLK_HDR;

	if (!range_ok(b, sector, bytes))
		return BLK_S_IOERR;
	if (bytes)
		devq_read(c, BLK_HDR, b->disk + sector * BLK_SECTOR, bytes);
	return BLK_S_OK;
}

/* GET_ID: up to 20 bytes of the serial, zero-padded. */
static u8 do_get_id(const struct devq_chain *c, u32 *done)
{
	u32 room = c->writable - 1;
	u8 id[BLK_ID_BYTES] = { 0 };

	memcpy(id, blk_id, sizeof(blk_id) - 1);
	*done = devq_write(c, 0, id, room < BLK_ID_BYTES ? room : BLK_ID_BYTES);
	return BLK_S_OK;
}

/* Carries out the request; *done is set to the data bytes written at the
 * start of the writable part. Returns the status. */
static u8 do_request(struct sim_device *d, const struct devq_chain *c,
		     u32 *done)
{
	u8 hdr[BLK_HDR];

	if (c->readable < BLK_HDR || devq_read(c, 0, hdr, BLK_HDR) != BLK_HDR)
		return BLK_S_IOERR;
	switch (get_le(hdr, 4)) {
	case BLK_T_IN:
		return do_in(d, c, get_le(hdr + 8, 8), done);
	case BLK_T_OUT:
		return do_out(d, c, get_le(hdr + 8, 8));
	case BLK_T_FLUSH:
		return d->plant_flush_fails ? BLK_S_IOERR : BLK_S_OK;
	case BLK_T_GET_ID:
		return do_get_id(c, done);
	default:
		return BLK_S_UNSUPP;
	}
}

static bool block_process(struct sim_device *d, unsigned int q,
			  const struct devq_chain *c, u32 *len)
{
	u32 done = 0;
	u8 status;

	(void)q;
	*len = 0;
	if (c->writable == 0)
		return true; /* no status byte: nothing can be said */
	if (d->plant_no_indirect && c->indirect)
		return true; /* planted: used, untouched, len 0 */
	status = do_request(d, c, &done);
	/* Planted: the header, the data in several descriptors, the
	 * status byte is a framing this device "cannot handle". */
	if (d->plant_framing && c->nseg > 3)
		status = BLK_S_IOERR;
	if (d->plant_bad_status)
		status = 3;
	zero_fill(c, done, c->writable - 1);
	devq_write(c, c->writable - 1, &status, 1);
	*len = c->writable;
	return true;
}

/* Offset 0: the capacity in sectors, a little-endian u64. */
static void block_config_read(struct sim_device *d, unsigned int offset,
			      void *buf, unsigned int len)
{
	const struct blk_dev *b = d->priv;
	u8 cfg[8], *out = buf;
	unsigned int i;

	for (i = 0; i < sizeof(cfg); i++)
		cfg[i] = (u8)(b->capacity >> (8 * i));
	for (i = 0; i < len; i++)
		out[i] = offset + i < sizeof(cfg) ? cfg[offset + i] : 0;
}

const struct sim_device_class dev_block_class = {
	.name = "block",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.config_size = 8,
	.init = block_init,
	.fini = block_fini,
	.process = block_process,
	.config_read = block_config_read,
};

/*
 * test_block.c - the block device model (model/dev_block.c) on its own,
 * and runs of the world with it and its workload (model/drv_block.c):
 * the workload's shadow on its own (overlapping writes in flight at once
 * leave their sectors unknown, whatever order they complete in), honest
 * runs pass and verify reads, they are deterministic, a planted data
 * corruption is caught by the data-integrity oracle, and swarm runs of the
 * adversary stay clean.
 */
#include "harness.h"
#include "sim_runs.h"

#include <choice.h>
#include <device.h>
#include <driver.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <string.h>
#include <world.h>

#define STEPS 2000

#define TESTS(X)                                                               \
	X(device_reads_back_what_was_written)                                  \
	X(device_answers_malformed_requests)                                   \
	X(device_config_is_the_capacity)                                       \
	X(overlapping_writes_are_unknown)                                      \
	X(two_hundred_seeds_run_clean)                                         \
	X(same_seed_same_hash)                                                 \
	X(planted_corruption_is_caught)                                        \
	X(swarm_runs_clean)                                                    \
	X(zero_choices_run_clean)
TESTS(HARNESS_DECLARE)

static void run_block(u64 seed, bool swarm, bool corrupt, struct sim_result *r)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_BLOCK,
				  .swarm = swarm,
				  .plant_corrupt_data = corrupt };

	if (corrupt)
		sim_test_run_quiet(&cfg, seed, r);
	else
		sim_test_run(&cfg, seed, r);
	CHECK_EQ(SIM_DEVICE_BLOCK, r->device);
}

/* --- the device class on its own -------------------------------------- */

struct blk_fixture {
	struct choice_source cs;
	struct sim_env env;
	struct oracle oracle;
	struct sim_device d;
	u64 capacity;
};

static void fixture_init(struct blk_fixture *f, u64 seed)
{
	u8 cap[8];
	unsigned int i;

	memset(f, 0, sizeof(*f));
	choice_init_seed(&f->cs, seed);
	f->env.cs = &f->cs;
	f->env.oracle = &f->oracle;
	f->d.cls = &dev_block_class;
	f->d.env = &f->env;
	CHECK_EQ(0, dev_block_class.init(&f->d));
	dev_block_class.config_read(&f->d, 0, cap, sizeof(cap));
	for (i = 8; i-- > 0;)
		f->capacity = f->capacity << 8 | cap[i];
}

static void fixture_fini(struct blk_fixture *f)
{
	dev_block_class.fini(&f->d);
	choice_free(&f->cs);
}

static void add_seg(struct devq_chain *c, void *p, u32 len, bool writable)
{
	c->seg[c->nseg].phys = virt_to_phys(p);
	c->seg[c->nseg].len = len;
	c->seg[c->nseg].writable = writable;
	c->nseg++;
	if (writable)
		c->writable += len;
	else
		c->readable += len;
}

static void put_hdr(u8 *h, u32 type, u64 sector)
{
	unsigned int i;

	memset(h, 0, 16);
	for (i = 0; i < 4; i++)
		h[i] = (u8)(type >> (8 * i));
	for (i = 0; i < 8; i++)
		h[8 + i] = (u8)(sector >> (8 * i));
}

/* A request: header, data (split in two at cut when cut != 0), status. */
static u8 request(struct blk_fixture *f, u32 type, u64 sector, u8 *data,
		  u32 bytes, u32 cut, u32 *len)
{
	u8 *hdr = kmalloc(16, GFP_KERNEL), *status = kmalloc(1, GFP_KERNEL);
	bool wr = type != 1;
	struct devq_chain c;
	u8 ret;

	memset(&c, 0, sizeof(c));
	put_hdr(hdr, type, sector);
	*status = 0xee;
	add_seg(&c, hdr, 16, false);
	if (cut) {
		add_seg(&c, data, cut, wr);
		add_seg(&c, data + cut, bytes - cut, wr);
	} else if (bytes) {
		add_seg(&c, data, bytes, wr);
	}
	add_seg(&c, status, 1, true);
	CHECK(dev_block_class.process(&f->d, 0, &c, len));
	ret = *status;
	kfree(hdr);
	kfree(status);
	return ret;
}

static void device_reads_back_what_was_written(void)
{
	struct blk_fixture f;
	u8 *out = kmalloc(1024, GFP_KERNEL), *in = kmalloc(1024, GFP_KERNEL);
	u32 len, i;

	fixture_init(&f, 3);
	CHECK(f.capacity >= 64 && f.capacity <= 512);
	for (i = 0; i < 1024; i++)
		out[i] = (u8)(i * 7 + 1);
	CHECK_EQ(0, request(&f, 1, 10, out, 1024, 300, &len));
	CHECK_EQ(1, len);
	memset(in, 0, 1024);
	CHECK_EQ(0, request(&f, 0, 10, in, 1024, 0, &len));
	CHECK_EQ(1025, len);
	CHECK(memcmp(in, out, 1024) == 0);
	/* the second sector alone, read in two odd pieces */
	memset(in, 0, 1024);
	CHECK_EQ(0, request(&f, 0, 11, in, 512, 1, &len));
	CHECK_EQ(513, len);
	CHECK(memcmp(in, out + 512, 512) == 0);
	/* the last sector is in range, one past it is not */
	CHECK_EQ(0, request(&f, 0, f.capacity - 1, in, 512, 0, &len));
	CHECK_EQ(1, request(&f, 0, f.capacity, in, 512, 0, &len));
	CHECK_EQ(513, len);
	CHECK_EQ(1, request(&f, 1, f.capacity - 1, out, 1024, 0, &len));
	CHECK_EQ(1, request(&f, 0, ~0ULL, in, 512, 0, &len));
	/* a planted device bug flips one byte of a read */
	f.d.plant_corrupt_data = true;
	CHECK_EQ(0, request(&f, 0, 10, in, 1024, 0, &len));
	CHECK(memcmp(in, out, 1024) != 0);
	fixture_fini(&f);
	kfree(out);
	kfree(in);
}

static void device_answers_malformed_requests(void)
{
	struct blk_fixture f;
	u8 *buf = kmalloc(600, GFP_KERNEL), *hdr = kmalloc(16, GFP_KERNEL);
	struct devq_chain c;
	u32 len;

	fixture_init(&f, 4);
	/* data not a whole number of sectors */
	CHECK_EQ(1, request(&f, 0, 0, buf, 511, 0, &len));
	CHECK_EQ(512, len);
	CHECK_EQ(1, request(&f, 1, 0, buf, 513, 0, &len));
	CHECK_EQ(1, len);
	/* unknown type; FLUSH; GET_ID into 20 and into 5 bytes */
	CHECK_EQ(2, request(&f, 77, 0, NULL, 0, 0, &len));
	CHECK_EQ(1, len);
	CHECK_EQ(0, request(&f, 4, 0, NULL, 0, 0, &len));
	CHECK_EQ(1, len);
	memset(buf, 0xff, 20);
	CHECK_EQ(0, request(&f, 8, 0, buf, 20, 0, &len));
	CHECK_EQ(21, len);
	CHECK(memcmp(buf, "ringside-blk\0\0\0\0\0\0\0\0", 20) == 0);
	CHECK_EQ(0, request(&f, 8, 0, buf, 5, 0, &len));
	CHECK(memcmp(buf, "rings", 5) == 0);
	/* a header of 15 bytes */
	memset(&c, 0, sizeof(c));
	add_seg(&c, hdr, 15, false);
	add_seg(&c, buf, 1, true);
	buf[0] = 0xee;
	CHECK(dev_block_class.process(&f.d, 0, &c, &len));
	CHECK_EQ(1, len);
	CHECK_EQ(1, buf[0]);
	/* no writable byte at all: completed, len 0 */
	memset(&c, 0, sizeof(c));
	put_hdr(hdr, 0, 0);
	add_seg(&c, hdr, 16, false);
	len = 99;
	CHECK(dev_block_class.process(&f.d, 0, &c, &len));
	CHECK_EQ(0, len);
	fixture_fini(&f);
	kfree(buf);
	kfree(hdr);
}

static void device_config_is_the_capacity(void)
{
	struct blk_fixture f;
	u8 b[8];
	u32 lo = 0;
	unsigned int i;

	fixture_init(&f, 5);
	CHECK_EQ(8, dev_block_class.config_size);
	dev_block_class.config_read(&f.d, 0, b, 4);
	for (i = 4; i-- > 0;)
		lo = lo << 8 | b[i];
	CHECK_EQ(f.capacity & 0xffffffffu, lo);
	dev_block_class.config_read(&f.d, 4, b, 4);
	CHECK_EQ(0, b[0] | b[1] | b[2] | b[3]);
	dev_block_class.config_read(&f.d, 1, b, 1);
	CHECK_EQ((f.capacity >> 8) & 0xff, b[0]);
	fixture_fini(&f);
}

/* --- the workload's shadow on its own ------------------------------------ */

#define WL_SECTORS 64u
#define BLK_SECTOR_BYTES 512u

/* wl_block_class driven by hand: requests prepared from scripted draws,
 * completed in the order a test picks, by a disk that applies an OUT when
 * it is completed (as a device that ran overlapping writes concurrently
 * may: the last completed need not be the last written). */
struct wl_fixture {
	struct choice_source cs;
	struct sim_env env;
	struct oracle oracle;
	struct virtio_config_ops ops;
	struct virtio_device vdev;
	struct wl_driver w;
	u8 disk[WL_SECTORS][BLK_SECTOR_BYTES];
};

static void wl_get_config(struct virtio_device *vdev, unsigned int offset,
			  void *buf, unsigned int len)
{
	u8 cap[8] = { WL_SECTORS };

	(void)vdev;
	memcpy(buf, cap + offset, len);
}

static void wl_fixture_init(struct wl_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->env.cs = &f->cs;
	f->env.oracle = &f->oracle;
	f->ops.get = wl_get_config;
	f->vdev.config = &f->ops;
	f->w.cls = &wl_block_class;
	f->w.env = &f->env;
	f->w.vdev = &f->vdev;
	CHECK_EQ(0, wl_block_class.init(&f->w));
	wl_block_class.probe(&f->w);
}

static void wl_fixture_fini(struct wl_fixture *f)
{
	wl_block_class.fini(&f->w);
}

/* Prepares request slot i: an OUT (out) or an IN of count sectors from
 * sector, data in one sg entry. Returns the request. */
static struct wl_req *wl_prep(struct wl_fixture *f, unsigned int i, bool out,
			      u64 sector, u64 count)
{
	/* type, count - 1, sector, (OUT: seed), no cut */
	const u64 out_draws[] = { 0, count - 1, sector, 1000 + i, 0 };
	const u64 in_draws[] = { 7, count - 1, sector, 0 };
	struct wl_req *r = &f->w.req[i];
	struct scatterlist sg[WL_SG_MAX];
	unsigned int nout, nin;

	if (out)
		choice_init_replay(&f->cs, out_draws, ARRAY_SIZE(out_draws));
	else
		choice_init_replay(&f->cs, in_draws, ARRAY_SIZE(in_draws));
	r->id = i;
	r->queue = 0;
	r->bytes = 0;
	memset(r->tag, 0, sizeof(r->tag));
	CHECK_EQ(0, wl_block_class.prepare(&f->w, 0, r, sg, &nout, &nin));
	choice_free(&f->cs);
	r->writable = out ? 1 : (u32)count * BLK_SECTOR_BYTES + 1;
	r->out = true;
	return r;
}

/* r completes OK. The disk serves it now (OUT: writes it; IN: reads into
 * it), or for an OUT that was written earlier (stale), not at all. */
static void wl_done_as(struct wl_fixture *f, struct wl_req *r, u64 sector,
		       u64 count, bool out, bool stale)
{
	u8 *data = (u8 *)r->mem + 16;
	u64 s;

	for (s = 0; s < count && !stale; s++) {
		if (out)
			memcpy(f->disk[sector + s], data + s * BLK_SECTOR_BYTES,
			       BLK_SECTOR_BYTES);
		else
			memcpy(data + s * BLK_SECTOR_BYTES, f->disk[sector + s],
			       BLK_SECTOR_BYTES);
	}
	((u8 *)r->mem)[r->bytes - 1] = 0; /* OK */
	wl_block_class.complete(&f->w, r, r->writable);
	r->out = false;
	kfree(r->mem);
	r->mem = NULL;
}

static void wl_done(struct wl_fixture *f, struct wl_req *r, u64 sector,
		    u64 count, bool out)
{
	wl_done_as(f, r, sector, count, out, false);
}

/* An IN of [sector, sector + count) now, served from the disk (with byte
 * 100 of sector flip flipped, if flip < count); the verified count grew
 * by how much. */
static u64 wl_read(struct wl_fixture *f, u64 sector, u64 count, u64 flip)
{
	u64 before = f->w.data_checked;
	struct wl_req *r = wl_prep(f, 100, false, sector, count);

	if (flip < count)
		f->disk[sector + flip][100] ^= 1;
	wl_done(f, r, sector, count, false);
	if (flip < count)
		f->disk[sector + flip][100] ^= 1;
	return f->w.data_checked - before;
}

static void overlapping_writes_are_unknown(void)
{
	struct wl_fixture f;
	struct wl_req *a, *b, *c;

	wl_fixture_init(&f);

	/* One OUT alone: its sector is known and checked, a flip caught. */
	a = wl_prep(&f, 0, true, 5, 1);
	wl_done(&f, a, 5, 1, true);
	CHECK_EQ(1, wl_read(&f, 5, 1, ~0ULL));
	CHECK(!f.oracle.failed);
	wl_read(&f, 5, 1, 0);
	CHECK(f.oracle.failed);
	CHECK(strstr(f.oracle.message, "sector 5") != NULL);
	memset(&f.oracle, 0, sizeof(f.oracle));

	/* Two OUTs in flight at once; the disk writes the second before
	 * the first, but the second completes last (QEMU runs overlapping
	 * writes concurrently). The sector is unknown, not the last
	 * completed's: a read of it passes and verifies nothing. */
	a = wl_prep(&f, 0, true, 5, 1);
	b = wl_prep(&f, 1, true, 5, 1);
	wl_done(&f, a, 5, 1, true);
	wl_done_as(&f, b, 5, 1, true, true);
	CHECK_EQ(0, wl_read(&f, 5, 1, ~0ULL));
	CHECK(!f.oracle.failed);

	/* A, B overlap; B completes; C comes while A is in flight; A then
	 * C complete. C overlapped A: still unknown. */
	a = wl_prep(&f, 0, true, 5, 1);
	b = wl_prep(&f, 1, true, 5, 1);
	wl_done(&f, b, 5, 1, true);
	c = wl_prep(&f, 2, true, 5, 1);
	wl_done(&f, a, 5, 1, true);
	wl_done(&f, c, 5, 1, true);
	CHECK_EQ(0, wl_read(&f, 5, 1, 0)); /* even a flip: nothing known */
	CHECK(!f.oracle.failed);

	/* A later OUT alone makes it known again. */
	a = wl_prep(&f, 0, true, 5, 1);
	wl_done(&f, a, 5, 1, true);
	CHECK_EQ(1, wl_read(&f, 5, 1, ~0ULL));
	CHECK(!f.oracle.failed);

	/* Partial overlap, 10..11 and 11..12 in flight at once: only the
	 * sector both wrote, 11, is unknown; 10 and 12 had one OUT each. */
	a = wl_prep(&f, 0, true, 10, 2);
	b = wl_prep(&f, 1, true, 11, 2);
	wl_done(&f, b, 11, 2, true);
	wl_done(&f, a, 10, 2, true);
	CHECK_EQ(1, wl_read(&f, 10, 1, ~0ULL));
	CHECK_EQ(0, wl_read(&f, 11, 1, 0));
	CHECK_EQ(1, wl_read(&f, 12, 1, ~0ULL));
	CHECK_EQ(1, wl_read(&f, 10, 3, 1)); /* 11 flipped: not checked */
	CHECK(!f.oracle.failed);
	wl_read(&f, 10, 3, 2);
	CHECK(f.oracle.failed);
	CHECK(strstr(f.oracle.message, "sector 12") != NULL);

	wl_fixture_fini(&f);
}

/* --- runs of the world ---------------------------------------------------- */

static void two_hundred_seeds_run_clean(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_BLOCK };
	struct sim_result r;
	u64 seed, bound = 0, completed = 0, checked = 0, bytes = 0;

	for (seed = 0; seed < 200; seed++) {
		sim_test_honest_run(&cfg, seed, &r);
		bound += r.driver_bound;
		completed += r.completed;
		checked += r.data_checked;
		bytes += r.bytes;
	}
	fprintf(stderr, "honest: %llu completions, %llu verified, %llu bytes\n",
		(unsigned long long)completed, (unsigned long long)checked,
		(unsigned long long)bytes);
	CHECK(bound >= 190);
	CHECK(completed > 200 * 200);
	CHECK(checked > 200 * 20);
	CHECK(bytes > completed * 100);
}

static void same_seed_same_hash(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_BLOCK };
	struct sim_result a, b;

	sim_test_same_seed_same_hash(&cfg, 300, 20);
	run_block(301, true, false, &a);
	run_block(301, true, false, &b);
	CHECK_EQ(a.event_hash, b.event_hash);
}

/* The planted device bug flips a byte of every read. A seed whose honest
 * twin verified data should fail data-integrity; not every one must (the
 * verified data may all be GET_ID serials, on a disk of 0 sectors, or the
 * flipped byte may fall in a sector a racing write made unverifiable). */
static void planted_corruption_is_caught(void)
{
	struct sim_result honest, bad;
	u64 seed, reads = 0, caught = 0;

	for (seed = 0; seed < 50; seed++) {
		run_block(seed, false, false, &honest);
		run_block(seed, false, true, &bad);
		if (bad.failed) {
			CHECK(strcmp(bad.oracle, "data-integrity") == 0);
			CHECK(strstr(bad.message, "sector") != NULL);
			caught++;
		}
		reads += honest.data_checked > 0;
		/* the runs are the same up to the failure */
		if (bad.failed)
			CHECK(bad.fail_step <= honest.steps);
		else
			CHECK_EQ(honest.event_hash, bad.event_hash);
	}
	fprintf(stderr, "corrupt: caught in %llu of 50 seeds, %llu read\n",
		(unsigned long long)caught, (unsigned long long)reads);
	CHECK(caught > 0);
	CHECK(reads >= 40);
	CHECK(caught * 10 >= reads * 9);
}

static void swarm_runs_clean(void)
{
	struct sim_result r;
	u64 seed, failed = 0, lied = 0, checked = 0, unplugs = 0;

	for (seed = 0; seed < 300; seed++) {
		run_block(seed, true, false, &r);
		failed += r.failed;
		lied += r.device_lied;
		checked += r.data_checked;
		unplugs += r.unplugs;
	}
	fprintf(stderr,
		"swarm: %llu failed, %llu lied, %llu verified, "
		"%llu unplugs\n",
		(unsigned long long)failed, (unsigned long long)lied,
		(unsigned long long)checked, (unsigned long long)unplugs);
	CHECK_EQ(0, failed);
	/* the adversary did act, and reads were still verified */
	CHECK(lied > 0);
	CHECK(unplugs > 0);
	CHECK(checked > 300);
}

/* An exhausted fuzz input: all writes to sector 0, in order. */
static void zero_choices_run_clean(void)
{
	sim_test_zeros_run_clean(SIM_DEVICE_BLOCK, 100);
}

HARNESS_MAIN(TESTS)

/*
 * test_console.c - the console device (model/dev_console.c) and its echo
 * workload (model/drv_console.c): the device class on its own (echo,
 * deferral, reset, config), then whole runs of the world: clean, verified,
 * deterministic, and the planted corruption caught by the data-integrity
 * oracle.
 */
#include "harness.h"
#include "sim_runs.h"

#include <choice.h>
#include <device.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <string.h>
#include <world.h>

#define STEPS 2000
#define FIFO_BYTES (64u << 10) /* dev_console.c's FIFO */

/* --- the device class alone ------------------------------------------------ */

struct bench {
	struct choice_source cs;
	struct oracle oracle;
	struct sim_env env;
	struct sim_device d;
};

static void bench_init(struct bench *b, u64 seed)
{
	memset(b, 0, sizeof(*b));
	choice_init_seed(&b->cs, seed);
	b->env.cs = &b->cs;
	b->env.oracle = &b->oracle;
	b->d.cls = &dev_console_class;
	b->d.env = &b->env;
	CHECK_EQ(0, dev_console_class.init(&b->d));
}

static void bench_fini(struct bench *b)
{
	dev_console_class.fini(&b->d);
	CHECK(b->d.priv == NULL);
	choice_free(&b->cs);
}

/* A chain of one segment over buf, readable or writable. */
static void one_seg(struct devq_chain *c, void *buf, u32 len, bool writable)
{
	memset(c, 0, sizeof(*c));
	c->nseg = 1;
	c->seg[0].phys = virt_to_phys(buf);
	c->seg[0].len = len;
	c->seg[0].writable = writable;
	if (writable)
		c->writable = len;
	else
		c->readable = len;
}

/* Transmits len bytes of pattern p; returns what process said. */
static bool transmit(struct bench *b, u8 p, u32 len)
{
	u8 *buf = kmalloc(len, GFP_KERNEL);
	struct devq_chain c;
	bool done;
	u32 out = 99;
	u32 i;

	for (i = 0; i < len; i++)
		buf[i] = (u8)(p + i);
	one_seg(&c, buf, len, false);
	done = dev_console_class.process(&b->d, 1, &c, &out);
	if (done)
		CHECK_EQ(0, out); /* a transmit chain writes nothing */
	kfree(buf);
	return done;
}

/* Receives into a buffer of cap bytes; *len bytes land in got. */
static bool receive(struct bench *b, u8 *got, u32 cap, u32 *len)
{
	u8 *buf = kmalloc(cap, GFP_KERNEL);
	struct devq_chain c;
	bool done;

	one_seg(&c, buf, cap, true);
	*len = 0;
	done = dev_console_class.process(&b->d, 0, &c, len);
	CHECK(*len <= cap);
	memcpy(got, buf, *len);
	kfree(buf);
	return done;
}

/* Bytes come back in order, split any way, and an empty FIFO defers. */
static void device_echoes_in_order(void)
{
	struct bench b;
	u8 got[512];
	u32 len, pos = 0, i;
	unsigned int splits = 0;

	bench_init(&b, 11);
	CHECK(!receive(&b, got, 64, &len)); /* nothing to echo: deferred */
	CHECK(transmit(&b, 0, 100));
	CHECK(transmit(&b, 100, 150));
	while (pos < 250) {
		CHECK(receive(&b, got, 64, &len));
		CHECK(len >= 1);
		for (i = 0; i < len; i++)
			CHECK_EQ((u8)(pos + i), got[i]);
		pos += len;
		splits++;
	}
	CHECK_EQ(250, pos);
	CHECK(splits >= 4); /* 64-byte buffers: at least four */
	CHECK(!receive(&b, got, 64, &len));
	bench_fini(&b);
}

/* Chains of two segments: the echo crosses the seams. */
static void echo_crosses_segment_seams(void)
{
	u8 *tx = kmalloc(10, GFP_KERNEL), *rx = kmalloc(10, GFP_KERNEL);
	struct devq_chain c;
	struct bench b;
	u32 out, pos = 0, i;

	bench_init(&b, 16);
	for (i = 0; i < 10; i++)
		tx[i] = (u8)(0xa0 + i);
	memset(&c, 0, sizeof(c));
	c.nseg = 2;
	c.seg[0] = (struct devq_seg){ virt_to_phys(tx), 3, false };
	c.seg[1] = (struct devq_seg){ virt_to_phys(tx + 3), 7, false };
	c.readable = 10;
	CHECK(dev_console_class.process(&b.d, 1, &c, &out));
	while (pos < 10) {
		memset(&c, 0, sizeof(c));
		c.nseg = 2;
		c.seg[0] = (struct devq_seg){ virt_to_phys(rx), 4, true };
		c.seg[1] = (struct devq_seg){ virt_to_phys(rx + 4), 6, true };
		c.writable = 10;
		CHECK(dev_console_class.process(&b.d, 0, &c, &out));
		CHECK(out >= 1 && out <= 10 - pos);
		for (i = 0; i < out; i++)
			CHECK_EQ(0xa0 + pos + i, rx[i]);
		pos += out;
	}
	kfree(tx);
	kfree(rx);
	bench_fini(&b);
}

/* Choice 0 puts as much as fits into one buffer. */
static void zero_choice_fills_the_buffer(void)
{
	struct bench b;
	u8 got[256];
	u32 len;

	memset(&b, 0, sizeof(b));
	choice_init_bytes(&b.cs, NULL, 0);
	b.env.cs = &b.cs;
	b.env.oracle = &b.oracle;
	b.d.cls = &dev_console_class;
	b.d.env = &b.env;
	CHECK_EQ(0, dev_console_class.init(&b.d));
	CHECK(transmit(&b, 7, 200));
	CHECK(receive(&b, got, 150, &len));
	CHECK_EQ(150, len);
	CHECK(receive(&b, got, 150, &len));
	CHECK_EQ(50, len);
	CHECK_EQ(7 + 150, got[0]);
	bench_fini(&b);
}

/* An honest device defers a transmit it has no room for; one that lied
 * drops its oldest bytes instead. */
static void full_fifo_defers_unless_lied(void)
{
	struct bench b;
	u8 got[256];
	u32 len, sent = 0;

	bench_init(&b, 12);
	while (sent + 1000 <= FIFO_BYTES) {
		CHECK(transmit(&b, (u8)sent, 1000));
		sent += 1000;
	}
	CHECK(!transmit(&b, 0, 1000)); /* no room: held */
	CHECK(receive(&b, got, 256, &len));
	CHECK(len >= 1);
	CHECK_EQ(0, got[0]); /* still the oldest byte */
	sent -= len;
	/* room for what was read, not for another 1000 */
	if (FIFO_BYTES - sent < 1000)
		CHECK(!transmit(&b, 0, 1000));
	b.d.lied = true;
	CHECK(transmit(&b, 0x55, 1000));
	bench_fini(&b);
}

static void reset_empties_the_fifo(void)
{
	struct bench b;
	u8 got[64];
	u32 len;

	bench_init(&b, 13);
	CHECK(transmit(&b, 1, 40));
	dev_console_class.reset(&b.d);
	CHECK(!receive(&b, got, 64, &len));
	CHECK(transmit(&b, 9, 1));
	CHECK(receive(&b, got, 64, &len));
	CHECK_EQ(1, len);
	CHECK_EQ(9, got[0]);
	bench_fini(&b);
}

/* The planted bug changes one byte of what is echoed. */
static void planted_corruption_changes_a_byte(void)
{
	struct bench b;
	u8 got[64];
	u32 len, i, diffs = 0;

	bench_init(&b, 14);
	b.d.plant_corrupt_data = true;
	CHECK(transmit(&b, 0, 64));
	CHECK(receive(&b, got, 64, &len));
	for (i = 0; i < len; i++)
		diffs += got[i] != (u8)i;
	CHECK_EQ(1, diffs);
	bench_fini(&b);
}

static u32 le(const u8 *p, unsigned int n)
{
	u32 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* virtio_console_config: cols, rows drawn (80x25 on zeros), one port. */
static void config_space(void)
{
	struct bench b;
	u8 cfg[16];
	unsigned int cols, rows, changed = 0, i;

	CHECK_EQ(12, dev_console_class.config_size);
	bench_init(&b, 15);
	dev_console_class.config_read(&b.d, 0, cfg, 12);
	cols = le(cfg, 2);
	rows = le(cfg + 2, 2);
	CHECK(cols >= 80 && cols <= 256);
	CHECK(rows >= 25 && rows <= 100);
	CHECK_EQ(1, le(cfg + 4, 4));
	CHECK_EQ(0, le(cfg + 8, 4));
	dev_console_class.config_read(&b.d, 2, cfg, 2);
	CHECK_EQ(rows, le(cfg, 2));
	memset(cfg, 0xff, sizeof(cfg));
	dev_console_class.config_read(&b.d, 10, cfg, 4); /* past the end */
	CHECK_EQ(0, le(cfg, 4));
	for (i = 0; i < 20; i++) {
		dev_console_class.config_change(&b.d);
		dev_console_class.config_read(&b.d, 0, cfg, 4);
		changed += le(cfg, 2) != cols || le(cfg + 2, 2) != rows;
	}
	CHECK(changed > 0);
	bench_fini(&b);

	memset(&b, 0, sizeof(b));
	choice_init_bytes(&b.cs, NULL, 0);
	b.env.cs = &b.cs;
	b.d.env = &b.env;
	CHECK_EQ(0, dev_console_class.init(&b.d));
	dev_console_class.config_change(&b.d); /* 0: no change */
	dev_console_class.config_read(&b.d, 0, cfg, 4);
	CHECK_EQ(80, le(cfg, 2));
	CHECK_EQ(25, le(cfg + 2, 2));
	bench_fini(&b);
}

/* --- whole runs --------------------------------------------------------------- */

static void run(const struct sim_config *cfg, u64 seed, struct sim_result *r)
{
	sim_test_run(cfg, seed, r);
	CHECK_EQ(SIM_DEVICE_CONSOLE, r->device);
}

static void two_hundred_seeds_run_clean(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE };
	struct sim_result r;
	u64 seed, checked = 0, bound = 0, bytes = 0, verified_runs = 0;

	for (seed = 0; seed < 200; seed++) {
		sim_test_honest_run(&cfg, seed, &r);
		checked += r.data_checked;
		bound += r.driver_bound;
		bytes += r.bytes;
		verified_runs += r.data_checked > 0;
	}
	fprintf(stderr, "console: %llu messages verified, %llu bytes echoed\n",
		(unsigned long long)checked, (unsigned long long)bytes);
	CHECK(bound >= 180);
	CHECK(verified_runs >= 180); /* the echo works in nearly every run */
	CHECK(checked > 200 * 50);
	CHECK(bytes > 200 * 50 * 7);
}

static void same_seed_same_hash(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE };
	struct sim_result a, b;

	sim_test_same_seed_same_hash(&cfg, 1000, 20);
	run(&cfg, 1, &a);
	run(&cfg, 2, &b);
	CHECK(a.event_hash != b.event_hash);
}

/* Replaying a run's recorded choices gives the same run. */
static void replay_same_hash(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE,
				  .swarm = true };
	struct sim_result a, b;
	u64 seed;

	for (seed = 0; seed < 20; seed++) {
		sim_test_run_and_replay(&cfg, seed, &a, &b);
		CHECK_EQ(a.event_hash, b.event_hash);
		CHECK_EQ(a.data_checked, b.data_checked);
		CHECK_EQ(a.failed, b.failed);
	}
}

/* All zeros: the driver only ever picks the receive queue, which has
 * nothing to wait for, so it adds nothing and nothing stalls. */
static void zero_choices_run_clean(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE };
	struct sim_result r;

	sim_test_run_zeros(&cfg, &r);
	CHECK(!r.failed);
	CHECK(r.driver_bound);
}

static void planted_corruption_is_caught(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE,
				  .plant_corrupt_data = true };
	struct sim_result r;
	u64 seed, caught = 0;

	for (seed = 0; seed < 100; seed++) {
		sim_test_run_quiet(&cfg, seed, &r);
		CHECK_EQ(SIM_DEVICE_CONSOLE, r.device);
		if (!r.failed)
			continue;
		CHECK(strcmp(r.oracle, "data-integrity") == 0);
		CHECK(strstr(r.message, "ringside-console: echo:") != NULL);
		caught++;
	}
	CHECK(caught >= 90);
}

static void swarm_runs_clean(void)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE,
				  .swarm = true };
	struct sim_result r;
	u64 seed, checked = 0, lied = 0, verified_runs = 0;

	for (seed = 0; seed < 300; seed++) {
		run(&cfg, seed, &r);
		CHECK(!r.failed);
		checked += r.data_checked;
		lied += r.device_lied;
		verified_runs += r.data_checked > 0;
	}
	fprintf(stderr, "console swarm: %llu verified in %llu runs\n",
		(unsigned long long)checked, (unsigned long long)verified_runs);
	/* Most swarm runs enable some illegal behaviour, after which the
	 * echo is no longer checked; before that it is. */
	CHECK(lied > 0 && lied < 300);
	CHECK(verified_runs >= 100);
	CHECK(checked > 1000);
}

/* Every legal behaviour at once (reordered echoes, delays, resets,
 * unplugs, allocation failures, ...): the device never lies, so every
 * message is checked, and none fails. */
static void legal_behaviours_run_clean(void)
{
	struct adversary adv;
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_CONSOLE,
				  .adversary = &adv };
	struct sim_result r;
	u64 seed, checked = 0, reordered = 0, resets = 0;
	unsigned int b;

	adv_config_none(&adv);
	for (b = 0; b < ADV_COUNT; b++)
		if (adv_info((enum adv_behaviour)b)->legal)
			adv_enable(&adv, (enum adv_behaviour)b,
				   ADV_RATE_DEFAULT);
	for (seed = 0; seed < 200; seed++) {
		run(&cfg, seed, &r);
		CHECK(!r.failed);
		CHECK(!r.device_lied);
		checked += r.data_checked;
		reordered += r.fired[ADV_OUT_OF_ORDER];
		resets +=
			r.fired[ADV_RESET_IN_FLIGHT] + r.fired[ADV_HOT_UNPLUG];
	}
	fprintf(stderr, "console legal: %llu verified\n",
		(unsigned long long)checked);
	CHECK(checked > 200 * 20);
	CHECK(reordered > 100);
	CHECK(resets > 100);
}

/* An oversized len (clamped by the ring) makes the driver count more
 * bytes as received than arrived: unasked-for bytes pile up in the FIFO.
 * Once full, a device that lied drops its oldest bytes rather than hold
 * the transmit queue forever (a "stall" the driver did not cause). */
static void oversized_lens_do_not_stall(void)
{
	struct adversary adv;
	struct sim_config cfg = { .steps_max = 30000,
				  .device = SIM_DEVICE_CONSOLE,
				  .adversary = &adv };
	struct sim_result r;
	u64 seed;

	adv_config_none(&adv);
	adv_enable(&adv, ADV_LEN_TOO_LARGE, ADV_RATE_DEN / 2);
	adv_enable(&adv, ADV_DELAY, 64);
	for (seed = 0; seed < 4; seed++) {
		run(&cfg, seed, &r);
		CHECK(!r.failed);
		CHECK(r.device_lied);
		CHECK(r.fired[ADV_LEN_TOO_LARGE] > 1000);
	}
}

#define TESTS(X)                                                               \
	X(device_echoes_in_order)                                              \
	X(echo_crosses_segment_seams)                                          \
	X(zero_choice_fills_the_buffer)                                        \
	X(full_fifo_defers_unless_lied)                                        \
	X(reset_empties_the_fifo)                                              \
	X(planted_corruption_changes_a_byte)                                   \
	X(config_space)                                                        \
	X(two_hundred_seeds_run_clean)                                         \
	X(same_seed_same_hash)                                                 \
	X(replay_same_hash)                                                    \
	X(zero_choices_run_clean)                                              \
	X(planted_corruption_is_caught)                                        \
	X(swarm_runs_clean)                                                    \
	X(legal_behaviours_run_clean)                                          \
	X(oversized_lens_do_not_stall)
TESTS(HARNESS_DECLARE)

HARNESS_MAIN(TESTS)

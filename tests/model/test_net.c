/*
 * test_net.c - runs of the simulated world with the loopback net device
 * (model/dev_net.c) and its workload (model/drv_net.c): the device's
 * header is 10 bytes legacy and 12 with VERSION_1, honest runs pass and
 * verify frames in both modes, runs are deterministic, a corrupting device
 * is caught by the data-integrity oracle, and lost or reordered frames
 * (legal behaviours, swarm) are no failure.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <choice.h>
#include <device.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <string.h>
#include <world.h>

#define STEPS 2000

static const struct sim_config net = {
	.steps_max = STEPS,
	.device = SIM_DEVICE_NET,
};

#define TESTS(X)                                                               \
	X(device_header_follows_version_1)                                     \
	X(two_hundred_seeds_run_clean)                                         \
	X(both_modes_verify_frames)                                            \
	X(same_seed_same_hash)                                                 \
	X(corrupting_device_is_caught)                                         \
	X(lying_device_silences_checks)                                        \
	X(lost_and_reordered_frames_pass)                                      \
	X(swarm_runs_clean)                                                    \
	X(zero_choices_run_clean)
TESTS(HARNESS_DECLARE)

/* --- the device class on its own -------------------------------------- */

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

/* One frame of 40 bytes through the loopback with header length hdr
 * (sent and expected back), the device negotiated with features. */
static void loop_one_frame(u64 features, u32 hdr)
{
	struct choice_source cs;
	struct sim_env env;
	struct oracle oracle;
	struct simt_transport t;
	struct sim_device d;
	struct devq_chain c;
	u8 *tx = kmalloc(12 + 40, GFP_KERNEL);
	u8 *rx = kmalloc(12 + 1514, GFP_KERNEL);
	u32 len, i;

	memset(&env, 0, sizeof(env));
	memset(&oracle, 0, sizeof(oracle));
	memset(&t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
	choice_init_seed(&cs, 7);
	env.cs = &cs;
	env.oracle = &oracle;
	t.driver_features = features;
	d.cls = &dev_net_class;
	d.env = &env;
	d.t = &t;
	CHECK_EQ(0, dev_net_class.init(&d));

	/* transmit: header (num_buffers 0) then the frame; split anywhere */
	memset(tx, 0, hdr);
	for (i = 0; i < 40; i++)
		tx[hdr + i] = (u8)(i * 5 + 3);
	memset(&c, 0, sizeof(c));
	add_seg(&c, tx, 7, false);
	add_seg(&c, tx + 7, hdr + 40 - 7, false);
	CHECK(dev_net_class.process(&d, 1, &c, &len));
	CHECK_EQ(0, len);

	/* receive: the same frame behind the device's header */
	memset(rx, 0xee, 12 + 1514);
	memset(&c, 0, sizeof(c));
	add_seg(&c, rx, hdr + 1514, true);
	CHECK(dev_net_class.process(&d, 0, &c, &len));
	CHECK_EQ(hdr + 40, len);
	for (i = 0; i < 10; i++)
		CHECK_EQ(0, rx[i]);
	if (hdr == 12) {
		CHECK_EQ(1, rx[10]); /* le16 num_buffers: 1 without MRG_RXBUF */
		CHECK_EQ(0, rx[11]);
	}
	CHECK(memcmp(rx + hdr, tx + hdr, 40) == 0);
	CHECK_EQ(0xee, rx[hdr + 40]);

	/* nothing queued: a receive buffer waits */
	memset(&c, 0, sizeof(c));
	add_seg(&c, rx, hdr + 1514, true);
	CHECK(!dev_net_class.process(&d, 0, &c, &len));
	/* a buffer too short for the header comes back empty at once */
	memset(&c, 0, sizeof(c));
	add_seg(&c, rx, hdr - 1, true);
	CHECK(dev_net_class.process(&d, 0, &c, &len));
	CHECK_EQ(0, len);
	/* a transmit chain shorter than the header is dropped */
	memset(&c, 0, sizeof(c));
	add_seg(&c, tx, hdr - 1, false);
	CHECK(dev_net_class.process(&d, 1, &c, &len));
	memset(&c, 0, sizeof(c));
	add_seg(&c, rx, hdr + 1514, true);
	CHECK(!dev_net_class.process(&d, 0, &c, &len));

	dev_net_class.fini(&d);
	choice_free(&cs);
	kfree(tx);
	kfree(rx);
}

/* Legacy: a 10-byte header. VERSION_1 negotiated: 12 bytes, num_buffers
 * present without MRG_RXBUF (set to 1 on receive). */
static void device_header_follows_version_1(void)
{
	loop_one_frame(0, 10);
	loop_one_frame(1ULL << 5, 10); /* MAC alone: still legacy */
	loop_one_frame(1ULL << VIRTIO_F_VERSION_1, 12);
	loop_one_frame(1ULL << VIRTIO_F_VERSION_1 | 1ULL << 5, 12);
}

/* --- runs of the world ---------------------------------------------------- */

static void two_hundred_seeds_run_clean(void)
{
	struct sim_result r;
	u64 seed, bound = 0, checked = 0, got = 0, bytes = 0;

	for (seed = 0; seed < 200; seed++) {
		sim_test_honest_run(&net, seed, &r);
		bound += r.driver_bound;
		checked += r.data_checked;
		got += r.tokens_got;
		bytes += r.bytes;
	}
	fprintf(stderr, "net: 200 seeds, %llu frames verified, %llu tokens\n",
		(unsigned long long)checked, (unsigned long long)got);
	/* frames went round the loop and were verified, in every run */
	CHECK(bound >= 180);
	CHECK(checked > 200 * 50);
	CHECK(got > 200 * 100);
	CHECK(bytes > checked * 28);
}

/* Both transports bind and verify frames with the header of their mode (a
 * driver that framed 10 bytes against a 12-byte device would see the
 * device's num_buffers where its frame begins). */
static void both_modes_verify_frames(void)
{
	struct sim_result r;
	u64 seed, runs[3] = { 0 }, checked[3] = { 0 };

	for (seed = 0; seed < 100; seed++) {
		sim_test_honest_run(&net, seed, &r);
		if (!r.driver_bound)
			continue;
		CHECK(r.mode == SIMT_LEGACY || r.mode == SIMT_MODERN);
		if (r.mode != SIMT_LEGACY && r.mode != SIMT_MODERN)
			continue;
		CHECK_EQ(r.mode == SIMT_MODERN,
			 (r.features >> VIRTIO_F_VERSION_1) & 1);
		runs[r.mode]++;
		checked[r.mode] += r.data_checked;
	}
	fprintf(stderr,
		"net: legacy %llu runs, %llu verified; modern %llu runs, "
		"%llu verified\n",
		(unsigned long long)runs[SIMT_LEGACY],
		(unsigned long long)checked[SIMT_LEGACY],
		(unsigned long long)runs[SIMT_MODERN],
		(unsigned long long)checked[SIMT_MODERN]);
	CHECK(runs[SIMT_LEGACY] >= 10);
	CHECK(runs[SIMT_MODERN] >= 10);
	CHECK(checked[SIMT_LEGACY] > runs[SIMT_LEGACY] * 50);
	CHECK(checked[SIMT_MODERN] > runs[SIMT_MODERN] * 50);
}

static void same_seed_same_hash(void)
{
	CHECK_EQ(0, sim_test_same_seed_same_hash(&net, 1000, 20));
}

static void corrupting_device_is_caught(void)
{
	struct sim_config cfg = {
		.steps_max = STEPS,
		.device = SIM_DEVICE_NET,
		.plant_corrupt_data = true,
	};
	struct sim_result r;
	unsigned int caught = 0, other = 0;
	u64 seed;

	for (seed = 0; seed < 100; seed++) {
		sim_test_run_quiet(&cfg, seed, &r);
		if (r.failed && strcmp(r.oracle, "data-integrity") == 0)
			caught++;
		else if (r.failed)
			other++;
	}
	CHECK(caught >= 90);
	CHECK_EQ(0, other);
}

/* Device.h note 4: once the device lied (write-readable, firing on the
 * first transmit), the same corruption is no longer a failure and no
 * frame counts as verified. */
static void lying_device_silences_checks(void)
{
	struct adversary adv;
	struct sim_config cfg = {
		.steps_max = STEPS,
		.device = SIM_DEVICE_NET,
		.plant_corrupt_data = true,
		.adversary = &adv,
	};
	struct sim_result r;
	unsigned int lied = 0;
	bool swarm = false;
	u64 seed;

	/* write-readable fires early and often: the device lied, so no
	 * truth is left to check against */
	CHECK_EQ(0, adv_config_parse(&adv, "write-readable", &swarm, NULL, 0));
	adv.rate[ADV_WRITE_READABLE] = ADV_RATE_DEN;
	for (seed = 0; seed < 30; seed++) {
		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		lied += r.device_lied;
		CHECK_EQ(0, r.data_checked);
	}
	CHECK(lied >= 25);
}

/* Legal behaviours that lose or reorder frames: out-of-order, delay,
 * len-zero, never-complete, reset-in-flight, hot-unplug. */
static void lost_and_reordered_frames_pass(void)
{
	struct adversary adv;
	struct sim_config cfg = {
		.steps_max = STEPS,
		.device = SIM_DEVICE_NET,
		.adversary = &adv,
	};
	struct sim_result r;
	u64 seed, checked = 0, reordered = 0, lost = 0;
	bool swarm = false;

	CHECK_EQ(0, adv_config_parse(&adv,
				     "out-of-order,delay,len-zero,never-"
				     "complete,reset-in-flight,hot-unplug",
				     &swarm, NULL, 0));
	adv.rate[ADV_OUT_OF_ORDER] = 256;
	for (seed = 0; seed < 100; seed++) {
		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		CHECK(!r.device_lied);
		checked += r.data_checked;
		reordered += r.fired[ADV_OUT_OF_ORDER];
		lost += r.fired[ADV_RESET_IN_FLIGHT] + r.fired[ADV_HOT_UNPLUG];
	}
	CHECK(checked > 100 * 20);
	CHECK(reordered > 100);
	CHECK(lost > 10);
}

static void swarm_runs_clean(void)
{
	struct sim_config cfg = {
		.steps_max = STEPS,
		.device = SIM_DEVICE_NET,
		.swarm = true,
	};
	struct sim_result r;
	u64 seed, checked = 0, lied = 0;

	for (seed = 0; seed < 300; seed++) {
		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		checked += r.data_checked;
		lied += r.device_lied;
	}
	fprintf(stderr,
		"net swarm: 300 seeds, %llu frames verified, %llu "
		"runs with a lying device\n",
		(unsigned long long)checked, (unsigned long long)lied);
	CHECK(checked > 100);
	CHECK(lied > 0 && lied < 300);
}

/* An exhausted fuzz input: every draw 0. The driver only ever picks the
 * receive queue, nothing is sent, so no buffer waits for a frame that
 * cannot come: a quiet world, no stall. */
static void zero_choices_run_clean(void)
{
	struct sim_result r;

	sim_test_run_zeros(&net, &r);
	CHECK(!r.failed);
	CHECK(r.driver_bound);
	CHECK_EQ(STEPS, r.steps);
}

HARNESS_MAIN(TESTS)

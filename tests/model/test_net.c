/*
 * test_net.c - runs of the simulated world with the loopback net device
 * (model/dev_net.c) and its workload (model/drv_net.c): honest runs pass
 * and verify frames, runs are deterministic, a corrupting device is
 * caught by the data-integrity oracle, and lost or reordered frames
 * (legal behaviours, swarm) are no failure.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <string.h>
#include <world.h>

#define STEPS 2000

static const struct sim_config net = {
	.steps_max = STEPS,
	.device = SIM_DEVICE_NET,
};

#define TESTS(X)                                                               \
	X(two_hundred_seeds_run_clean)                                         \
	X(same_seed_same_hash)                                                 \
	X(corrupting_device_is_caught)                                         \
	X(lying_device_silences_checks)                                        \
	X(lost_and_reordered_frames_pass)                                      \
	X(swarm_runs_clean)                                                    \
	X(zero_choices_run_clean)
TESTS(HARNESS_DECLARE)

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

/*
 * test_plant.c - the world against a ring with a planted bug
 * (RINGSIDE_PLANT_BUG, ring/virtio_ring.c note 8): the oracle that exists
 * for that kind of bug fires. Bugs that only a hostile device exposes
 * need their behaviour, and the same ring passes in a world without it.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <linux/virtio_ring.h>
#include <string.h>
#include <world.h>

#if RINGSIDE_PLANT_BUG == 2
/* The len is not clamped: the driver sees more bytes than it offered. */
#define EXPOSING ADV_LEN_TOO_LARGE
#define ORACLE "missed-detection"
#define NEEDS_FEATURE 0
#elif RINGSIDE_PLANT_BUG == 3
/* used idx ahead of the outstanding buffers is accepted. */
#define EXPOSING ADV_USED_IDX_AHEAD
#define ORACLE "missed-detection"
#define NEEDS_FEATURE 0
#elif RINGSIDE_PLANT_BUG == 4 || RINGSIDE_PLANT_BUG == 5
/* Notification bugs: an honest device sees them (device.h note 5), in
 * the runs that negotiated EVENT_IDX. */
#define EXPOSING ADV_COUNT
#define ORACLE "driver-rule"
#define NEEDS_FEATURE (1ULL << VIRTIO_RING_F_EVENT_IDX)
#elif RINGSIDE_PLANT_BUG == 8
/* No kick of its own after 65,535 adds: a burst of index-wrap without
 * kicks (half of the bursts) shows it to the device. */
#define EXPOSING ADV_INDEX_WRAP
#define ORACLE "driver-rule"
#define NEEDS_FEATURE 0
#define RATE ADV_RATE_DEN
#define SHARE 4 /* at least 1/SHARE of the runs fail */
#else
#error "RINGSIDE_PLANT_BUG must be 2, 3, 4, 5 or 8"
#endif

#ifndef RATE
#define RATE 64
#endif
#ifndef SHARE
#define SHARE 1
#endif

#define SEEDS 40

/* Returns the failures among the runs that negotiated NEEDS_FEATURE (or
 * ran without it, for quiet worlds), and counts those runs in *runs. */
static unsigned int failures(bool with_behaviour, const char *oracle,
			     unsigned int *runs)
{
	struct adversary adv;
	unsigned int seed, n = 0;

	adv_config_none(&adv);
	if (with_behaviour && EXPOSING != ADV_COUNT)
		adv_enable(&adv, EXPOSING, RATE);
	for (seed = 0; seed < SEEDS; seed++) {
		struct sim_config cfg = {
			.device = (enum sim_device_type)(1 + seed % 4),
			.adversary = &adv,
		};
		struct sim_result r;

		sim_test_run_quiet(&cfg, seed, &r);
		if ((r.features & NEEDS_FEATURE) != NEEDS_FEATURE)
			continue;
		(*runs)++;
		if (!r.failed)
			continue;
		n++;
		if (strcmp(r.oracle, oracle) != 0)
			sim_test_report(seed, &r);
		CHECK(strcmp(r.oracle, oracle) == 0);
	}
	return n;
}

#define TESTS(X)                                                               \
	X(oracle_fires)                                                        \
	X(quiet_without_the_behaviour)
TESTS(HARNESS_DECLARE)

static void oracle_fires(void)
{
	/* Nearly every run shows the bug, and every one that does fails
	 * with the oracle for it. */
	unsigned int runs = 0, n = failures(true, ORACLE, &runs);

	fprintf(stderr, "%u of %u runs failed with %s\n", n, runs, ORACLE);
	CHECK(runs >= SEEDS / 4);
	CHECK(n >= runs * 3 / 4 / SHARE);
}

static void quiet_without_the_behaviour(void)
{
	unsigned int runs = 0;

	if (EXPOSING != ADV_COUNT)
		CHECK_EQ(0, failures(false, "", &runs));
}

HARNESS_MAIN(TESTS)

/*
 * test_plant.c - the world against a ring with a planted bug
 * (RINGSIDE_PLANT_BUG, ring/virtio_ring.c note 8): the oracle that exists
 * for that kind of bug must fire, with the behaviour that exposes it, and
 * stay quiet in a world that never shows the behaviour.
 */
#include "harness.h"

#include <adversary.h>
#include <choice.h>
#include <string.h>
#include <world.h>

#if RINGSIDE_PLANT_BUG == 2
/* The len is not clamped: the driver sees more bytes than it offered. */
#define EXPOSING ADV_LEN_TOO_LARGE
#elif RINGSIDE_PLANT_BUG == 3
/* used idx ahead of the outstanding buffers is accepted. */
#define EXPOSING ADV_USED_IDX_AHEAD
#else
#error "RINGSIDE_PLANT_BUG must be 2 or 3"
#endif

#define SEEDS 40

static unsigned int failures(bool with_behaviour, const char *oracle)
{
	struct adversary adv;
	unsigned int seed, n = 0;

	adv_config_none(&adv);
	if (with_behaviour)
		adv_enable(&adv, EXPOSING, 64);
	for (seed = 0; seed < SEEDS; seed++) {
		struct sim_config cfg = {
			.seed = seed,
			.device = SIM_DEVICE_ENTROPY,
			.adversary = &adv,
		};
		struct choice_source cs;
		struct sim_result r;

		choice_init_seed(&cs, seed);
		CHECK_EQ(0, sim_run(&cfg, &cs, &r));
		choice_free(&cs);
		if (!r.failed)
			continue;
		n++;
		CHECK(strcmp(r.oracle, oracle) == 0);
	}
	return n;
}

#define TESTS(X)                                                               \
	X(missed_detection_fires)                                              \
	X(quiet_without_the_behaviour)
TESTS(HARNESS_DECLARE)

static void missed_detection_fires(void)
{
	/* Nearly every run shows the behaviour, and every one that does
	 * fails with the oracle for it. */
	CHECK(failures(true, "missed-detection") >= SEEDS * 3 / 4);
}

static void quiet_without_the_behaviour(void)
{
	CHECK_EQ(0, failures(false, ""));
}

HARNESS_MAIN(TESTS)

/*
 * test_semantics.c - the semantics oracle (model/semantics.h) stays quiet
 * on the honest ring over many seeds, and compares answers in every run.
 * That it fires on a broken ring is tests/planted/test_semantics_plant.c.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <string.h>
#include <world.h>

#define TESTS(X)                                                               \
	X(quiet_on_the_honest_ring_swarm)                                      \
	X(quiet_on_the_honest_ring_quiet_world)                                \
	X(quiet_on_an_exhausted_input)
TESTS(HARNESS_DECLARE)

/* Runs seeds of cfg; returns the semantics failures, counts checks. */
static unsigned int semantics_failures(const struct sim_config *cfg,
				       unsigned int seeds, u64 *checks)
{
	unsigned int seed, n = 0;

	for (seed = 1; seed <= seeds; seed++) {
		struct sim_result r;

		sim_test_run_quiet(cfg, seed, &r);
		*checks += r.semantics_checks;
		if (r.failed && strcmp(r.oracle, "semantics") == 0) {
			sim_test_report(seed, &r);
			n++;
		}
		CHECK(!r.failed);
	}
	return n;
}

static void quiet_on_the_honest_ring_swarm(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ANY, .swarm = true };
	u64 checks = 0;

	CHECK_EQ(0, semantics_failures(&cfg, 1500, &checks));
	/* Hundreds of answers per run are compared. */
	CHECK(checks > 1500ULL * 100);
}

static void quiet_on_the_honest_ring_quiet_world(void)
{
	struct adversary adv;
	struct sim_config cfg = { .device = SIM_DEVICE_ANY, .adversary = &adv };
	u64 checks = 0;

	adv_config_none(&adv);
	CHECK_EQ(0, semantics_failures(&cfg, 400, &checks));
	CHECK(checks > 400ULL * 200);
}

static void quiet_on_an_exhausted_input(void)
{
	unsigned int type;

	for (type = SIM_DEVICE_BLOCK; type < SIM_DEVICE_COUNT; type++) {
		struct sim_config cfg = { .device = type };
		struct sim_result r;

		sim_test_run_zeros(&cfg, &r);
		CHECK(!r.failed);
		CHECK(r.semantics_checks > 100);
	}
}

HARNESS_MAIN(TESTS)

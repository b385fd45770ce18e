/*
 * test_patch_plant.c - the world against a ring with one plant of
 * tests/plants/ applied (PLANT names it, tests/planted/CMakeLists.txt
 * builds the patched copy): ORACLE fires, the one oracle that can see
 * that plant (semantics: an answer of the seed API no other oracle
 * compares; registry: a step of the bus's state machine).
 */
#include "harness.h"
#include "sim_runs.h"

#include <string.h>
#include <world.h>

#define SEEDS 200

#define TESTS(X) X(oracle_fires)
TESTS(HARNESS_DECLARE)

static void oracle_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ANY, .swarm = true };
	unsigned int seed, hits = 0, failed = 0;

	for (seed = 1; seed <= SEEDS; seed++) {
		struct sim_result r;

		sim_test_run_quiet(&cfg, seed, &r);
		if (!r.failed)
			continue;
		failed++;
		hits += strcmp(r.oracle, ORACLE) == 0;
	}
	fprintf(stderr, "%s: %u of %u runs failed, %u with %s\n", PLANT, failed,
		SEEDS, hits, ORACLE);
	CHECK(hits >= 1);
	/* It is that oracle that sees the plant. */
	CHECK(hits * 2 >= failed);
}

HARNESS_MAIN(TESTS)

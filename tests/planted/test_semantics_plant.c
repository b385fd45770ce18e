/*
 * test_semantics_plant.c - the world against a ring with one plant of
 * tests/plants/ applied (PLANT names it, tests/planted/CMakeLists.txt
 * builds the patched copy): the semantics oracle fires, for these plants
 * break only an answer of the seed API that no other oracle compares.
 */
#include "harness.h"
#include "sim_runs.h"

#include <string.h>
#include <world.h>

#define SEEDS 200

#define TESTS(X) X(semantics_fires)
TESTS(HARNESS_DECLARE)

static void semantics_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ANY, .swarm = true };
	unsigned int seed, semantics = 0, failed = 0;

	for (seed = 1; seed <= SEEDS; seed++) {
		struct sim_result r;

		sim_test_run_quiet(&cfg, seed, &r);
		if (!r.failed)
			continue;
		failed++;
		semantics += strcmp(r.oracle, "semantics") == 0;
	}
	fprintf(stderr, "%s: %u of %u runs failed, %u with semantics\n", PLANT,
		failed, SEEDS, semantics);
	CHECK(semantics >= 1);
	/* It is the semantics oracle that sees these plants. */
	CHECK(semantics * 2 >= failed);
}

HARNESS_MAIN(TESTS)

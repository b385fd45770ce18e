/*
 * test_campaign.c - a swarm campaign of 10,000 seeds over every device
 * type passes: no oracle fires, every device type and both transport
 * modes run, and every behaviour of the catalogue fires (a campaign that
 * silently tested nothing would show here).
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <world.h>

#define RUNS 10000

#define TESTS(X) X(ten_thousand_swarm_seeds)
TESTS(HARNESS_DECLARE)

static void ten_thousand_swarm_seeds(void)
{
	u64 fired[ADV_COUNT] = { 0 }, enabled[ADV_COUNT] = { 0 };
	unsigned int per_device[SIM_DEVICE_COUNT] = { 0 }, modern = 0;
	const struct sim_config cfg = { .swarm = true };
	unsigned int seed, b, failed = 0;

	for (seed = 0; seed < RUNS; seed++) {
		struct sim_result r;

		sim_test_run_quiet(&cfg, seed, &r);
		if (r.failed && failed++ < 10)
			sim_test_report(seed, &r);
		per_device[r.device]++;
		modern += r.mode == 2;
		for (b = 0; b < ADV_COUNT; b++) {
			fired[b] += r.fired[b];
			enabled[b] += r.rate[b] != 0;
		}
	}
	CHECK_EQ(0, failed);
	CHECK_EQ(0, per_device[SIM_DEVICE_ANY]);
	for (b = SIM_DEVICE_ANY + 1; b < SIM_DEVICE_COUNT; b++)
		CHECK(per_device[b] > RUNS / 8);
	CHECK(modern > RUNS / 4 && modern < RUNS * 3 / 4);
	for (b = 0; b < ADV_COUNT; b++) {
		printf("%-18s enabled in %5llu runs, fired %llu times\n",
		       adv_info(b)->name, (unsigned long long)enabled[b],
		       (unsigned long long)fired[b]);
		CHECK(enabled[b] > RUNS / 4);
		CHECK(fired[b] > 0);
	}
}

HARNESS_MAIN(TESTS)

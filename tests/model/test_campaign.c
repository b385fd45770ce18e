/*
 * test_campaign.c - a swarm campaign of 10,000 seeds over every device
 * type passes: no oracle fires, every device type and both transport
 * modes run, and every behaviour of the catalogue fires (a campaign that
 * silently tested nothing would show here).
 */
#include "harness.h"

#include <adversary.h>
#include <choice.h>
#include <world.h>

#define RUNS 10000

#define TESTS(X) X(ten_thousand_swarm_seeds)
TESTS(HARNESS_DECLARE)

static void ten_thousand_swarm_seeds(void)
{
	u64 fired[ADV_COUNT] = { 0 }, enabled[ADV_COUNT] = { 0 };
	unsigned int per_device[SIM_DEVICE_COUNT] = { 0 }, modern = 0;
	unsigned int seed, b, failed = 0;

	for (seed = 0; seed < RUNS; seed++) {
		struct sim_config cfg = { .seed = seed, .swarm = true };
		struct choice_source cs;
		struct sim_result r;

		choice_init_seed(&cs, seed);
		CHECK_EQ(0, sim_run(&cfg, &cs, &r));
		choice_free(&cs);
		if (r.failed && failed++ < 10)
			fprintf(stderr, "seed %u (%s): %s: %s (step %llu)\n",
				seed, sim_device_name(r.device), r.oracle,
				r.message, (unsigned long long)r.fail_step);
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

/*
 * regress_run_11 - a regression test exported by ringside from run 11
 * (source minimise, seed 10).
 *
 * oracle: missed-detection at step 2
 * message: queue 0: the device broke a rule and the ring reported used id already returned
 * recorded config: device=entropy steps=2000 stall=256 adversary=used-idx-ahead:16 plants=
 * config here: device=entropy steps=2000 stall=256 adversary=used-idx-ahead:16 plants=
 * made by: ringside export P.db 11 --format c -o used_idx_ahead_plant3.c
 *
 * P.db came from a ringside built with -DRINGSIDE_PLANT_BUG=3 (ring/
 * virtio_ring.c note 8: a used idx running ahead is accepted): the
 * campaign ringside sim --device entropy --adversary used-idx-ahead
 * --seeds 1..10, whose seed 10 ringside minimise shrank from 5183
 * choices (1176 steps) to 19 (3 steps). The real ring reports the used
 * idx running ahead, so here the run passes.
 *
 * It replays the run's 19 choices through sim_run with that configuration
 * and checks that the run does not fail: it fails while the bug is there
 * and passes once it is fixed.
 */
#include "harness.h"

#include <choice.h>
#include <world.h>

#include <stdio.h>

static const char config_text[] = "device=entropy steps=2000 stall=256 "
				  "adversary=used-idx-ahead:16 plants=";

static const u64 choices[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,   0,
			       0, 0, 0, 0, 7, 0, 0, 0, 1014 };

#define TESTS(X) X(regress_run_11)
TESTS(HARNESS_DECLARE)

static void regress_run_11(void)
{
	struct sim_config cfg;
	struct adversary adv;
	struct choice_source cs;
	struct sim_result r;
	char err[160];

	CHECK_EQ(0,
		 sim_config_parse(config_text, &cfg, &adv, err, sizeof(err)));
	choice_init_replay(&cs, choices, sizeof(choices) / sizeof(choices[0]));
	CHECK_EQ(0, sim_run(&cfg, &cs, &r));
	choice_free(&cs);
	if (r.failed)
		fprintf(stderr, "regress_run_11: oracle %s at step %llu: %s\n",
			r.oracle, (unsigned long long)r.fail_step, r.message);
	CHECK(!r.failed);
}

HARNESS_MAIN(TESTS)

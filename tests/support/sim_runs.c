/*
 * sim_runs.c - running the simulated world from tests (sim_runs.h).
 */
#include "sim_runs.h"

#include "harness.h"

#include <choice.h>

static void report(u64 seed, const struct sim_result *r)
{
	if (r->failed)
		fprintf(stderr, "seed %llu (%s): %s: %s (step %llu)\n",
			(unsigned long long)seed, sim_device_name(r->device),
			r->oracle, r->message,
			(unsigned long long)r->fail_step);
}

void sim_test_run(const struct sim_config *cfg, u64 seed,
		  struct sim_result *r)
{
	struct sim_config c = *cfg;
	struct choice_source cs;

	c.seed = seed;
	choice_init_seed(&cs, seed);
	CHECK_EQ(0, sim_run(&c, &cs, r));
	choice_free(&cs);
	report(seed, r);
}

void sim_test_run_zeros(const struct sim_config *cfg, struct sim_result *r)
{
	struct choice_source cs;

	choice_init_bytes(&cs, NULL, 0);
	CHECK_EQ(0, sim_run(cfg, &cs, r));
	choice_free(&cs);
	report(0, r);
}

void sim_test_zeros_run_clean(enum sim_device_type type, u64 min_tokens)
{
	struct sim_config cfg = { .device = type };
	struct sim_result r;

	sim_test_run_zeros(&cfg, &r);
	CHECK(!r.failed);
	CHECK(r.driver_bound);
	CHECK(r.tokens_got > min_tokens);
}

void sim_test_same_seed_same_hash(const struct sim_config *cfg, u64 first,
				  unsigned int n)
{
	struct sim_result a, b;
	u64 seed;

	for (seed = first; seed < first + n; seed++) {
		sim_test_run(cfg, seed, &a);
		sim_test_run(cfg, seed, &b);
		CHECK_EQ(a.event_hash, b.event_hash);
		CHECK_EQ(a.events, b.events);
		CHECK_EQ(a.choices, b.choices);
		CHECK(a.events > a.steps);
	}
}

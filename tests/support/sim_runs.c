/*
 * sim_runs.c - running the simulated world from tests (sim_runs.h).
 */
#include "sim_runs.h"

#include "harness.h"

#include <choice.h>

void sim_test_report(u64 seed, const struct sim_result *r)
{
	if (r->failed)
		fprintf(stderr, "seed %llu (%s): %s: %s (step %llu)\n",
			(unsigned long long)seed, sim_device_name(r->device),
			r->oracle, r->message,
			(unsigned long long)r->fail_step);
}

void sim_test_run_quiet(const struct sim_config *cfg, u64 seed,
			struct sim_result *r)
{
	struct sim_config c = *cfg;
	struct choice_source cs;

	c.seed = seed;
	choice_init_seed(&cs, seed);
	CHECK_EQ(0, sim_run(&c, &cs, r));
	choice_free(&cs);
}

void sim_test_run(const struct sim_config *cfg, u64 seed, struct sim_result *r)
{
	sim_test_run_quiet(cfg, seed, r);
	sim_test_report(seed, r);
}

void sim_test_run_zeros(const struct sim_config *cfg, struct sim_result *r)
{
	struct choice_source cs;

	choice_init_bytes(&cs, NULL, 0);
	CHECK_EQ(0, sim_run(cfg, &cs, r));
	choice_free(&cs);
	sim_test_report(0, r);
}

void sim_test_run_and_replay(const struct sim_config *cfg, u64 seed,
			     struct sim_result *a, struct sim_result *b)
{
	struct sim_config c = *cfg;
	struct choice_source rec, rep;

	c.seed = seed;
	choice_init_seed(&rec, seed);
	CHECK_EQ(0, sim_run(&c, &rec, a));
	sim_test_report(seed, a);
	CHECK(choice_recordable(&rec));
	CHECK_EQ(a->choices, choice_count(&rec));
	choice_init_replay(&rep, choice_values(&rec), choice_count(&rec));
	CHECK_EQ(0, sim_run(&c, &rep, b));
	choice_free(&rep);
	choice_free(&rec);
}

static u64 steps_of(const struct sim_config *cfg)
{
	return cfg->steps_max ? cfg->steps_max : SIM_STEPS_DEFAULT;
}

void sim_test_honest_run(const struct sim_config *cfg, u64 seed,
			 struct sim_result *r)
{
	sim_test_run(cfg, seed, r);
	if (cfg->device != SIM_DEVICE_ANY)
		CHECK_EQ(cfg->device, r->device);
	CHECK(!r->failed);
	CHECK(!r->device_lied);
	CHECK_EQ(steps_of(cfg), r->steps);
	CHECK_EQ(r->tokens_added, r->tokens_got + r->tokens_detached);
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

unsigned int sim_test_same_seed_same_hash(const struct sim_config *cfg,
					  u64 first, unsigned int n)
{
	u64 steps = steps_of(cfg);
	struct sim_result a, b;
	unsigned int failed = 0;
	u64 seed;

	for (seed = first; seed < first + n; seed++) {
		sim_test_run(cfg, seed, &a);
		sim_test_run(cfg, seed, &b);
		if (cfg->device != SIM_DEVICE_ANY) {
			CHECK_EQ(cfg->device, a.device);
			CHECK_EQ(cfg->device, b.device);
		}
		CHECK_EQ(a.event_hash, b.event_hash);
		CHECK_EQ(a.events, b.events);
		CHECK_EQ(a.choices, b.choices);
		CHECK_EQ(a.data_checked, b.data_checked);
		CHECK(a.events > steps);
		failed += a.failed;
	}
	return failed;
}

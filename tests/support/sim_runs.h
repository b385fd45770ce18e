/*
 * sim_runs.h - running the simulated world from tests: one seeded run, a
 * run on an exhausted fuzz input, and the checks every device type's test
 * shares. A run that fails prints its seed, device, oracle and message.
 */
#ifndef RINGSIDE_TEST_SIM_RUNS_H
#define RINGSIDE_TEST_SIM_RUNS_H

#include <world.h>

/* Runs cfg with the choices of seed (cfg->seed is set to it). */
void sim_test_run(const struct sim_config *cfg, u64 seed,
		  struct sim_result *r);
/* Runs cfg on an empty fuzz input: every choice is 0. */
void sim_test_run_zeros(const struct sim_config *cfg, struct sim_result *r);

/* The quiet world of an exhausted input binds, passes, and moves more
 * than min_tokens tokens through the ring. */
void sim_test_zeros_run_clean(enum sim_device_type type, u64 min_tokens);
/* Seeds first .. first + n - 1 of cfg, each run twice: same event count
 * and hash, and more events than steps. */
void sim_test_same_seed_same_hash(const struct sim_config *cfg, u64 first,
				  unsigned int n);

#endif /* RINGSIDE_TEST_SIM_RUNS_H */

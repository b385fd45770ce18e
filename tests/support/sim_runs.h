/*
 * sim_runs.h - running the simulated world from tests: one seeded run, a
 * run on an exhausted fuzz input, and the checks every device type's test
 * shares. A run that fails prints its seed, device, oracle and message.
 */
#ifndef RINGSIDE_TEST_SIM_RUNS_H
#define RINGSIDE_TEST_SIM_RUNS_H

#include <world.h>

/* Runs cfg with the choices of seed (cfg->seed is set to it). */
void sim_test_run(const struct sim_config *cfg, u64 seed, struct sim_result *r);
/* The same, printing nothing: for runs expected to fail. */
void sim_test_run_quiet(const struct sim_config *cfg, u64 seed,
			struct sim_result *r);
/* Runs cfg on an empty fuzz input: every choice is 0. */
void sim_test_run_zeros(const struct sim_config *cfg, struct sim_result *r);
/* Runs cfg with the choices of seed, recorded, into a, then replays the
 * recorded choices into b. */
void sim_test_run_and_replay(const struct sim_config *cfg, u64 seed,
			     struct sim_result *a, struct sim_result *b);
/* Prints seed, device, oracle and message of r when it failed. */
void sim_test_report(u64 seed, const struct sim_result *r);

/* Runs seed of an honest cfg: the device asked for, no failure, no lie,
 * every step of cfg run, and every token added came back. */
void sim_test_honest_run(const struct sim_config *cfg, u64 seed,
			 struct sim_result *r);

/* The quiet world of an exhausted input binds, passes, and moves more
 * than min_tokens tokens through the ring. */
void sim_test_zeros_run_clean(enum sim_device_type type, u64 min_tokens);
/* Seeds first .. first + n - 1 of cfg, each run twice: the device asked
 * for, the same event count and hash, choices and verified data, and more
 * events than cfg's steps. Returns how many of the seeds failed. */
unsigned int sim_test_same_seed_same_hash(const struct sim_config *cfg,
					  u64 first, unsigned int n);

#endif /* RINGSIDE_TEST_SIM_RUNS_H */

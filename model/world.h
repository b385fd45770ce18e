/*
 * world.h - one run of the deterministic simulated world.
 *
 * sim_run builds a fresh world (guest-memory arena, shim hooks, a
 * simulated entropy device on a sim transport, the entropy workload
 * driver), runs a scheduler of discrete steps, tears everything down and
 * reports whether an oracle fired. Every decision is drawn from the given
 * choice source, so a run is a pure function of its choices: the same
 * seed, or the replay of a run's recorded choices, gives the same event
 * stream (same count, same hash).
 *
 * Each step the scheduler picks one actor: the driver (adds buffers,
 * kicks, with kick or kick_prepare + notify, polls, changes callbacks),
 * the device (takes a pending kick, fetches and completes requests, out
 * of order), interrupt delivery, a spurious interrupt, or a config
 * change. Fairness: a device with work, or a completion without an
 * interrupt, waits at most SIM_FAIR_STEPS steps before the scheduler
 * forces its turn, so any choice sequence (even all zeros) makes progress
 * with an honest device.
 *
 * Oracles (first failure kept, the run stops): "warn" (a WARN from the
 * ring or registry), "token-conservation", "token-returned-twice",
 * "free-descriptors", "stall" (see oracle.h), "driver-rule" (the device
 * saw a chain our ring should never make), "leak" (arena blocks still
 * live after teardown), "setup" (the world could not be built).
 *
 * sim_run owns the shim while it runs: it replaces the arena and the
 * report, log and allocation-failure hooks, and on return destroys the
 * arena and restores the default hooks. Not thread-safe.
 */
#ifndef RINGSIDE_MODEL_WORLD_H
#define RINGSIDE_MODEL_WORLD_H

#include "choice.h"
#include "event_log.h"

#define SIM_ARENA_BYTES (64u << 20)
#define SIM_PHYS_BASE 0x100000u
#define SIM_FAIR_STEPS 16
#define SIM_STALL_STEPS_DEFAULT 256
/* One allocation in this many fails (drawn per allocation). */
#define SIM_ALLOC_FAIL_ONE_IN 256

struct sim_config {
	u64 seed;	 /* for the caller's records; choices come from cs */
	u64 steps_max;	 /* scheduler steps */
	u64 stall_steps; /* 0: SIM_STALL_STEPS_DEFAULT */
	bool no_alloc_failures; /* the allocation hook never fails */
	struct event_log *log;	/* optional: also store events here */

	/* Planted faults, to show the oracles fire end to end. */
	bool plant_lost_token;	 /* remove skips one detach_unused_buf */
	bool plant_device_stall; /* the device never completes */
};

struct sim_result {
	bool failed;
	const char *oracle; /* NULL when the run passed */
	char message[200];
	u64 fail_step;
	u64 steps;
	u64 events;
	u64 event_hash;
	u64 choices; /* draws from the choice source */
	/* What happened (for tests and summaries). */
	u64 tokens_added, tokens_got, tokens_detached;
	u64 bytes;	   /* entropy bytes the driver collected */
	bool driver_bound; /* the probe succeeded */
};

/* Runs one world. Returns 0 (the verdict is in result), or -EINVAL for
 * bad arguments. */
int sim_run(const struct sim_config *cfg, struct choice_source *cs,
	    struct sim_result *result);

/* Names for event_log_format (see event_log.h, note 4). */
const char *sim_actor_name(u16 actor);
const char *sim_event_kind_name(u16 kind);

#endif /* RINGSIDE_MODEL_WORLD_H */

/*
 * minimise.h - shrinking the choice sequence of a failing run.
 *
 * As delta debugging (Zeller) and Hypothesis's shrinker do, on the choice
 * sequence alone, the configuration unchanged:
 *
 *   1. keep a prefix: the shortest that still fails, searched from
 *      short to long (0, 1, 2, 4, ... choices, then a binary search);
 *   2. delete spans: chunk sizes from n/2 halving down to 1, each chunk
 *      tried from the end towards the start;
 *   3. zero spans, with the same chunk sizes;
 *   4. halve single values, from the end.
 *
 * The passes repeat while a round makes progress. A candidate is kept
 * when its run still fails with the same oracle and the event just before
 * the fail event is of the same kind as the original's (replay_fail_kind):
 * the same failure, not merely a failure. A kept candidate is then
 * normalised to what its run drew: cut to the draws it made (a value past
 * them is never read), each value reduced mod its bound, trailing zeros
 * dropped (a sequence that ran out reads zeros, choice.h).
 *
 * The work is bounded: at most max_runs re-executions.
 */
#ifndef RINGSIDE_REPLAY_MINIMISE_H
#define RINGSIDE_REPLAY_MINIMISE_H

#include "trace.h"

#include <world.h>

#define MINIMISE_MAX_RUNS_DEFAULT 2000

struct minimise_progress {
	u64 runs;	  /* re-executions so far */
	u64 max_runs;	  /* the bound */
	size_t size;	  /* choices of the best sequence so far */
	bool improved;	  /* this run gave a smaller sequence */
	const char *pass; /* "prefix", "delete", "zero" or "halve" */
};

struct minimise_target;
struct replay_exec;

struct minimise_opts {
	u64 max_runs; /* 0: MINIMISE_MAX_RUNS_DEFAULT */
	/* Optional: called after every re-execution. */
	void (*progress)(void *ctx, const struct minimise_progress *p);
	void *ctx;
	/*
	 * Optional: runs a candidate of n choices instead of replay_exec in
	 * this process (a crashing run's candidates run in a child process,
	 * tools/crash.h). Returns 0 with *same set when it failed as the
	 * original did, and then the values its run drew in *drawn
	 * (malloc'd, *ndrawn of them); or -ENOMEM.
	 */
	int (*candidate)(void *ctx, const struct minimise_target *t,
			 const u64 *choices, size_t n, bool *same, u64 **drawn,
			 size_t *ndrawn);
};

/* What to keep: the failure of the original run. */
struct minimise_target {
	const struct sim_config *cfg;
	u64 seed; /* for the records only: runs use the choices */
	const char *oracle;
	u16 kind; /* replay_fail_kind() of the original */
};

/* Whether a re-execution failed as the original did: the same oracle, at
 * an event of the same kind. */
bool minimise_same_failure(const struct minimise_target *t,
			   const struct replay_exec *ex);

/*
 * Shrinks choices (n values, the original: it must fail as t says) into
 * *out (malloc'd, *nout values, possibly 0) and counts the re-executions in
 * *runs. Returns 0, or -ENOMEM.
 */
int minimise_choices(const struct minimise_target *t, const u64 *choices,
		     size_t n, const struct minimise_opts *o, u64 **out,
		     size_t *nout, u64 *runs);

struct minimise_result {
	s64 id; /* the stored minimised run */
	size_t choices_before, choices_after;
	u64 steps_before, steps_after;
	u64 events_before, events_after;
	u64 runs;	/* re-executions */
	bool exhausted; /* stopped at max_runs: it might shrink further */
	char oracle[TRACE_NAME_BYTES];
};

/*
 * Minimises run id of db (it must have failed, and fail the same way when
 * re-executed) and stores the result as a new run (source minimise, parent
 * id, with its events). Returns 0, or a negative trace_error with err
 * saying why.
 */
int minimise_run(struct trace_db *db, s64 id, const struct minimise_opts *o,
		 struct minimise_result *res, char *err, size_t errlen);

#endif /* RINGSIDE_REPLAY_MINIMISE_H */

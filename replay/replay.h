/*
 * replay.h - re-executing a recorded run and comparing it, event by
 * event, with what the trace store holds.
 *
 * A run is a pure function of its configuration and choices (world.h), so
 * re-executing a run from the trace must give the same events. The
 * configuration is sim_config_parse() of the stored text; the choices are
 * the stored sequence (choice_init_replay) when there is one, else the
 * seed's (choice_init_seed).
 *
 * The comparison (replay_compare) looks at, in order:
 *   1. every stored event against the new one at the same seq: seq, step,
 *      actor, kind, queue, a, b, c (only when the run has stored events);
 *   2. the number of events (one log ended early);
 *   3. the outcome: failed or not, and the oracle;
 *   4. the event count and hash against the stored summary (this is all a
 *      run without stored events is compared by).
 * The first difference is the divergence.
 *
 * Notes:
 * 1. An empty choice sequence cannot be stored: the trace reads NULL
 *    choices as "seeded". Zeros past the end of a sequence read as zero
 *    (choice.h), so a run that needs no choices stores one zero.
 */
#ifndef RINGSIDE_REPLAY_REPLAY_H
#define RINGSIDE_REPLAY_REPLAY_H

#include "trace.h"

#include <choice.h>
#include <event_log.h>
#include <world.h>

#define REPLAY_REASON_BYTES 400

/* What re-executing one configuration with one choice sequence gave. */
struct replay_exec {
	struct sim_result result;
	struct event_log log; /* every event of the run */
	u64 *choices;	      /* the draws, reduced (malloc'd); >= 1 entry */
	size_t nchoices;
	bool recordable; /* the choice log holds every draw */
};

/*
 * Runs the world once: cfg with the choices (n values, borrowed) when
 * choices is not NULL, else the seed. Fills ex (free with
 * replay_exec_free). Returns 0, or -ENOMEM / -EINVAL.
 */
int replay_exec(const struct sim_config *cfg, u64 seed, const u64 *choices,
		size_t n, struct replay_exec *ex);
void replay_exec_free(struct replay_exec *ex);

/* sim_config_parse() of a stored configuration, with a message naming the
 * run when it is bad. Returns 0 or TRACE_ECORRUPT. */
int replay_parse_config(const struct trace_run *run, struct sim_config *cfg,
			struct adversary *adv, char *err, size_t errlen);

/*
 * Fills a trace row from a run: configuration text of cfg, the counts and
 * outcome of r, a copy of the n choices (NULL for a seeded run). has_events
 * says where its events will be (stored with it, regenerated, none). Free
 * with trace_run_free. Returns 0 or TRACE_ENOMEM.
 */
int replay_fill_run(struct trace_run *tr, enum trace_source source, u64 seed,
		    const struct sim_config *cfg, const struct sim_result *r,
		    const u64 *choices, size_t n, s64 parent,
		    enum trace_events has_events);

/*
 * The events of a run read with trace_get_run, into log (empty:
 * event_log_init(log, 0)): its stored events, or, when they are
 * regenerated (TRACE_EVENTS_REGENERATED), those of a re-execution from
 * its seed or stored choices with its configuration. Either way they
 * are checked against the run's event count and hash: when they differ
 * it returns TRACE_ECORRUPT with every event in log (shown, marked NOT
 * VERIFIED, by ringside show) and err saying so; a regeneration that
 * differs means this ringside's world is not the one that recorded the
 * run. TRACE_ENOENT: the run has no events (err says so). Needs
 * sim_install_event_names() for the names in err.
 */
int replay_events(struct trace_db *db, const struct trace_run *run,
		  struct event_log *log, char *err, size_t errlen);

struct replay_report {
	bool reproduced;
	bool compared_events; /* the run had stored events */
	/* A divergence at an event: the seq, and the events on each side
	 * (absent when that log ended there). */
	bool at_event;
	u64 seq;
	bool has_expected, has_actual;
	struct sim_event expected, actual;
	/* One line: what differs (empty when reproduced). */
	char reason[REPLAY_REASON_BYTES];
	/* replay_run: the stored events do not hash to the run's stored
	 * hash (the file was edited or damaged after recording); they were
	 * compared all the same. */
	bool stored_hash_mismatch;
	/* the run's events are regenerated, not stored: compared by count
	 * and hash only, as a run without events */
	bool regenerated;
};

/*
 * Compares a re-execution with the stored run (and its stored events,
 * expected, or NULL when it has none): see the top of this file.
 */
void replay_compare(const struct trace_run *run,
		    const struct event_log *expected,
		    const struct replay_exec *ex, struct replay_report *rep);

/* A recorded run, re-executed and compared. */
struct replay_outcome {
	struct trace_run run; /* the stored run */
	struct replay_exec ex;
	struct replay_report report;
};

/*
 * Replays run id of db into out (free with replay_outcome_free, also on
 * failure). Returns 0 (the verdict is in out->report), or a negative
 * trace_error with err saying what went wrong.
 */
int replay_run(struct trace_db *db, s64 id, struct replay_outcome *out,
	       char *err, size_t errlen);
void replay_outcome_free(struct replay_outcome *out);

/* The kind of the event just before the run's fail event (the last event
 * of the failing step), or SIM_EV_COUNT when there is none. */
u16 replay_fail_kind(const struct event_log *log);

#endif /* RINGSIDE_REPLAY_REPLAY_H */

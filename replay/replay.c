/*
 * replay.c - re-execution of recorded runs and their comparison with the
 * trace (replay.h).
 */
#include "replay.h"

#include <devices.h>

#include <linux/errno.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int replay_exec(const struct sim_config *cfg, u64 seed, const u64 *choices,
		size_t n, struct replay_exec *ex)
{
	struct sim_config c = *cfg;
	struct choice_source cs;
	size_t count;
	int err;

	memset(ex, 0, sizeof(*ex));
	event_log_init(&ex->log, 0);
	c.log = &ex->log;
	c.seed = seed;
	if (choices)
		choice_init_replay(&cs, choices, n);
	else
		choice_init_seed(&cs, seed);
	err = sim_run(&c, &cs, &ex->result);
	if (err) {
		choice_free(&cs);
		return err;
	}
	ex->recordable = choice_recordable(&cs);
	/* note 1 of replay.h: never an empty sequence */
	count = choice_count(&cs);
	ex->nchoices = count ? count : 1;
	ex->choices = calloc(ex->nchoices, sizeof(u64));
	if (!ex->choices) {
		choice_free(&cs);
		return -ENOMEM;
	}
	if (count)
		memcpy(ex->choices, choice_values(&cs), count * sizeof(u64));
	choice_free(&cs);
	return 0;
}

void replay_exec_free(struct replay_exec *ex)
{
	event_log_free(&ex->log);
	free(ex->choices);
	ex->choices = NULL;
	ex->nchoices = 0;
}

int replay_parse_config(const struct trace_run *run, struct sim_config *cfg,
			struct adversary *adv, char *err, size_t errlen)
{
	char why[160];

	if (run->source == TRACE_SOURCE_QEMU) {
		/* QEMU's device keeps its own time and state: the run's
		 * choices alone cannot make it again. */
		snprintf(err, errlen,
			 "run %lld ran against QEMU, not the simulated world: "
			 "it cannot be re-executed (ringside show displays it; "
			 "ringside qemu runs the stage again)",
			 (long long)run->id);
		return TRACE_EINVAL;
	}
	if (run->source == TRACE_SOURCE_VHOST) {
		snprintf(err, errlen,
			 "run %lld ran against a vhost-user back end, not the "
			 "simulated world: it cannot be re-executed (ringside "
			 "show displays it; ringside vhost runs it again)",
			 (long long)run->id);
		return TRACE_EINVAL;
	}
	if (run->source == TRACE_SOURCE_CHECK) {
		snprintf(
			err, errlen,
			"run %lld is the evidence of a ringside check verdict, "
			"not a run of the simulated world: ringside show "
			"displays it, and the command in its config reproduces "
			"it",
			(long long)run->id);
		return TRACE_EINVAL;
	}
	/* mode 0: a ring or bus fuzz finding; a world run that crashed
	 * before its mode was known (tools/crash.h) has a configuration */
	if (run->mode == 0 && run->source != TRACE_SOURCE_SIM &&
	    run->source != TRACE_SOURCE_MINIMISE) {
		snprintf(err, errlen,
			 "run %lld is a finding of the %s fuzz target, not a "
			 "world run: reproduce it with ringside fuzz "
			 "--reproduce FILE --target %s (ringside export "
			 "--format "
			 "json has its input)",
			 (long long)run->id, run->device, run->device);
		return TRACE_EINVAL;
	}
	if (sim_config_parse(run->config, cfg, adv, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "run %lld: bad configuration '%s': %s",
			 (long long)run->id, run->config, why);
		return TRACE_ECORRUPT;
	}
	return 0;
}

int replay_fill_run(struct trace_run *tr, enum trace_source source, u64 seed,
		    const struct sim_config *cfg, const struct sim_result *r,
		    const u64 *choices, size_t n, s64 parent,
		    enum trace_events has_events)
{
	const char *device = sim_device_name(r->device);

	memset(tr, 0, sizeof(*tr));
	tr->seed = seed;
	tr->source = source;
	sim_config_format(cfg, tr->config, sizeof(tr->config));
	snprintf(tr->device, sizeof(tr->device), "%s",
		 device ? device : "unknown");
	tr->mode = r->mode;
	if (choices) {
		tr->choices = malloc((n ? n : 1) * sizeof(u64));
		if (!tr->choices)
			return TRACE_ENOMEM;
		tr->choices[0] = 0;
		memcpy(tr->choices, choices, n * sizeof(u64));
		tr->nchoices = n ? n : 1;
	}
	tr->failed = r->failed;
	if (r->failed) {
		snprintf(tr->oracle, sizeof(tr->oracle), "%s",
			 r->oracle ? r->oracle : "unknown");
		snprintf(tr->message, sizeof(tr->message), "%s", r->message);
		tr->fail_step = r->fail_step;
	}
	tr->steps = r->steps;
	tr->events = r->events;
	tr->choice_count = r->choices;
	tr->event_hash = r->event_hash;
	tr->parent = parent;
	tr->has_events = has_events;
	memcpy(tr->rate, r->rate, sizeof(tr->rate));
	memcpy(tr->fired, r->fired, sizeof(tr->fired));
	return 0;
}

/* --- comparison ---------------------------------------------------------- */

static bool same_event(const struct sim_event *x, const struct sim_event *y)
{
	return x->seq == y->seq && x->step == y->step && x->actor == y->actor &&
	       x->kind == y->kind && x->queue == y->queue && x->a == y->a &&
	       x->b == y->b && x->c == y->c;
}

static void diverge_at(struct replay_report *rep, u64 seq,
		       const struct sim_event *expected,
		       const struct sim_event *actual)
{
	rep->at_event = true;
	rep->seq = seq;
	rep->has_expected = expected != NULL;
	rep->has_actual = actual != NULL;
	if (expected)
		rep->expected = *expected;
	if (actual)
		rep->actual = *actual;
	if (expected && actual)
		snprintf(rep->reason, sizeof(rep->reason), "event %llu differs",
			 (unsigned long long)seq);
	else
		snprintf(rep->reason, sizeof(rep->reason),
			 "event %llu: the %s run ended before it",
			 (unsigned long long)seq,
			 expected ? "replayed" : "recorded");
}

/* Step 1 and 2 of the top of replay.h; true when they found a difference. */
static bool compare_events(const struct event_log *expected,
			   const struct event_log *actual,
			   struct replay_report *rep)
{
	size_t ne = event_log_stored(expected), na = event_log_stored(actual);
	size_t i, n = ne < na ? ne : na;

	for (i = 0; i < n; i++) {
		const struct sim_event *e = event_log_get(expected, i);
		const struct sim_event *a = event_log_get(actual, i);

		if (!same_event(e, a)) {
			diverge_at(rep, i, e, a);
			return true;
		}
	}
	/* One log is longer: its next event has no counterpart. A log that
	 * stopped storing (event_log.h note 2) compares only what it kept. */
	if (ne != na && (ne < na ? event_log_complete(expected)
				 : event_log_complete(actual))) {
		diverge_at(rep, n, ne > n ? event_log_get(expected, n) : NULL,
			   na > n ? event_log_get(actual, n) : NULL);
		return true;
	}
	return false;
}

static const char *outcome_text(bool failed, const char *oracle, char *buf,
				size_t n)
{
	if (!failed)
		return "pass";
	snprintf(buf, n, "fail (%s)", oracle ? oracle : "unknown");
	return buf;
}

void replay_compare(const struct trace_run *run,
		    const struct event_log *expected,
		    const struct replay_exec *ex, struct replay_report *rep)
{
	const struct sim_result *r = &ex->result;
	char want[64], got[64];

	memset(rep, 0, sizeof(*rep));
	rep->compared_events = expected != NULL;
	if (expected && compare_events(expected, &ex->log, rep))
		return;
	if (run->failed != r->failed ||
	    (r->failed && strcmp(run->oracle, r->oracle ? r->oracle : "")))
		snprintf(rep->reason, sizeof(rep->reason),
			 "outcome: recorded %s, replayed %s",
			 outcome_text(run->failed, run->oracle, want,
				      sizeof(want)),
			 outcome_text(r->failed, r->oracle, got, sizeof(got)));
	else if (run->events != r->events)
		snprintf(rep->reason, sizeof(rep->reason),
			 "event count: recorded %llu, replayed %llu",
			 (unsigned long long)run->events,
			 (unsigned long long)r->events);
	else if (run->event_hash != r->event_hash)
		snprintf(rep->reason, sizeof(rep->reason),
			 "event hash: recorded 0x%016llx, replayed 0x%016llx",
			 (unsigned long long)run->event_hash,
			 (unsigned long long)r->event_hash);
	else
		rep->reproduced = true;
}

/* --- a stored run ------------------------------------------------------------ */

int replay_run(struct trace_db *db, s64 id, struct replay_outcome *out,
	       char *err, size_t errlen)
{
	struct event_log expected;
	struct sim_config cfg;
	struct adversary adv;
	bool hash_mismatch = false;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = trace_get_run(db, id, &out->run);
	if (rc) {
		snprintf(err, errlen, "%s", trace_errmsg(db));
		return rc;
	}
	rc = replay_parse_config(&out->run, &cfg, &adv, err, errlen);
	if (rc)
		return rc;
	rc = replay_exec(&cfg, out->run.seed, out->run.choices,
			 out->run.nchoices, &out->ex);
	if (rc) {
		snprintf(err, errlen, "run %lld: cannot re-execute it (%s)",
			 (long long)id,
			 rc == -ENOMEM ? "out of memory" : "bad arguments");
		return rc == -ENOMEM ? TRACE_ENOMEM : TRACE_EINVAL;
	}
	if (out->run.has_events != TRACE_EVENTS_STORED) {
		replay_compare(&out->run, NULL, &out->ex, &out->report);
		out->report.regenerated =
			out->run.has_events == TRACE_EVENTS_REGENERATED;
		return 0;
	}
	event_log_init(&expected, 0);
	rc = trace_get_events(db, id, &expected);
	/* Events that do not hash to the run's hash were edited or damaged
	 * after recording: when every one of them was read, comparing them
	 * shows where they differ from the run (values are only compared,
	 * so hostile ones do no harm). */
	if (rc == TRACE_ECORRUPT && event_log_complete(&expected) &&
	    event_log_stored(&expected) == out->run.events &&
	    event_log_hash(&expected) != out->run.event_hash) {
		rc = 0;
		hash_mismatch = true;
	}
	if (rc == 0) {
		replay_compare(&out->run, &expected, &out->ex, &out->report);
		out->report.stored_hash_mismatch = hash_mismatch;
	} else {
		snprintf(err, errlen, "%s", trace_errmsg(db));
	}
	event_log_free(&expected);
	return rc;
}

/* A regenerated run's events: its re-execution, checked. */
static int regenerate(const struct trace_run *run, struct event_log *log,
		      char *err, size_t errlen)
{
	struct replay_exec ex;
	struct sim_config cfg;
	struct adversary adv;
	int rc;

	rc = replay_parse_config(run, &cfg, &adv, err, errlen);
	if (rc)
		return rc;
	if (replay_exec(&cfg, run->seed, run->choices, run->nchoices, &ex)) {
		replay_exec_free(&ex);
		snprintf(err, errlen,
			 "run %lld: cannot regenerate its events "
			 "(out of memory)",
			 (long long)run->id);
		return TRACE_ENOMEM;
	}
	/* the log moves to the caller */
	event_log_free(log);
	*log = ex.log;
	event_log_init(&ex.log, 1);
	replay_exec_free(&ex);
	if (!event_log_complete(log)) {
		snprintf(err, errlen,
			 "run %lld: its %llu events do not fit in memory",
			 (long long)run->id,
			 (unsigned long long)event_log_count(log));
		return TRACE_ENOMEM;
	}
	if (event_log_count(log) == run->events &&
	    event_log_hash(log) == run->event_hash)
		return 0;
	snprintf(err, errlen,
		 "run %lld: its events, regenerated from its %s, are "
		 "%llu hashing to %016llx; the run recorded %llu hashing to "
		 "%016llx (this ringside's world is not the one that "
		 "recorded it)",
		 (long long)run->id, run->choices ? "choices" : "seed",
		 (unsigned long long)event_log_count(log),
		 (unsigned long long)event_log_hash(log),
		 (unsigned long long)run->events,
		 (unsigned long long)run->event_hash);
	return TRACE_ECORRUPT;
}

int replay_events(struct trace_db *db, const struct trace_run *run,
		  struct event_log *log, char *err, size_t errlen)
{
	int rc;

	if (run->has_events == TRACE_EVENTS_REGENERATED)
		return regenerate(run, log, err, errlen);
	rc = trace_get_events(db, run->id, log);
	if (rc)
		snprintf(err, errlen, "%s", trace_errmsg(db));
	return rc;
}

void replay_outcome_free(struct replay_outcome *out)
{
	trace_run_free(&out->run);
	replay_exec_free(&out->ex);
}

u16 replay_fail_kind(const struct event_log *log)
{
	size_t i = event_log_stored(log);

	while (i-- > 0) {
		const struct sim_event *ev = event_log_get(log, i);

		if (ev->kind == SIM_EV_FAIL)
			return i ? event_log_get(log, i - 1)->kind
				 : SIM_EV_COUNT;
	}
	return SIM_EV_COUNT;
}

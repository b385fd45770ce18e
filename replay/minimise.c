/*
 * minimise.c - shrinking the choice sequence of a failing run
 * (minimise.h).
 */
#include "minimise.h"

#include "replay.h"

#include <linux/errno.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shrinker {
	const struct minimise_target *t;
	const struct minimise_opts *o;
	u64 max_runs;
	u64 runs;
	u64 *cur; /* the best sequence so far: n values */
	size_t n;
	u64 *cand; /* scratch for candidates: capacity values */
	size_t capacity;
	const char *pass;
	int error; /* -ENOMEM once a run could not be made */
};

static bool budget_left(const struct shrinker *s)
{
	return s->runs < s->max_runs && !s->error;
}

static void report(struct shrinker *s, bool improved)
{
	struct minimise_progress p = {
		.runs = s->runs,
		.max_runs = s->max_runs,
		.size = s->n,
		.improved = improved,
		.pass = s->pass,
	};

	if (s->o && s->o->progress)
		s->o->progress(s->o->ctx, &p);
}

bool minimise_same_failure(const struct minimise_target *t,
			   const struct replay_exec *ex)
{
	const struct sim_result *r = &ex->result;

	return r->failed && r->oracle && strcmp(r->oracle, t->oracle) == 0 &&
	       replay_fail_kind(&ex->log) == t->kind;
}

/* Keeps what the run of a kept candidate of n values drew (minimise.h). */
static void keep(struct shrinker *s, const u64 *drawn, size_t ndrawn, size_t n)
{
	size_t len = n < ndrawn ? n : ndrawn;

	/* a candidate is never longer than the original */
	assert(len <= s->capacity);
	memcpy(s->cur, drawn, len * sizeof(u64));
	while (len > 0 && s->cur[len - 1] == 0)
		len--;
	s->n = len;
}

/* The candidate run by the caller's hook (minimise_opts.candidate). */
static bool try_elsewhere(struct shrinker *s, size_t n)
{
	u64 *drawn = NULL;
	size_t ndrawn = 0;
	bool same = false;

	if (s->o->candidate(s->o->ctx, s->t, s->cand, n, &same, &drawn,
			    &ndrawn))
		s->error = -ENOMEM;
	else if (same)
		keep(s, drawn, ndrawn, n);
	free(drawn);
	report(s, same && !s->error);
	return same && !s->error;
}

/* Runs the candidate in s->cand (n values); true when it was kept. */
static bool try_candidate(struct shrinker *s, size_t n)
{
	struct sim_config cfg = *s->t->cfg;
	struct replay_exec ex;
	bool kept = false;
	int err;

	if (!budget_left(s))
		return false;
	s->runs++;
	if (s->o && s->o->candidate)
		return try_elsewhere(s, n);
	err = replay_exec(&cfg, s->t->seed, s->cand, n, &ex);
	if (err)
		s->error = -ENOMEM;
	else if (minimise_same_failure(s->t, &ex))
		kept = true;
	if (kept)
		keep(s, ex.choices, ex.nchoices, n);
	replay_exec_free(&ex);
	report(s, kept);
	return kept;
}

/* Deletes cur[lo, hi) into the candidate and tries it. */
static bool try_delete(struct shrinker *s, size_t lo, size_t hi)
{
	assert(lo <= hi && hi <= s->n);
	memcpy(s->cand, s->cur, lo * sizeof(u64));
	memcpy(s->cand + lo, s->cur + hi, (s->n - hi) * sizeof(u64));
	return try_candidate(s, s->n - (hi - lo));
}

static bool try_zero(struct shrinker *s, size_t lo, size_t hi)
{
	size_t i;

	for (i = lo; i < hi && s->cur[i] == 0; i++)
		;
	if (i == hi)
		return false; /* nothing to zero: no run spent */
	memcpy(s->cand, s->cur, s->n * sizeof(u64));
	memset(s->cand + lo, 0, (hi - lo) * sizeof(u64));
	return try_candidate(s, s->n);
}

static bool try_halve(struct shrinker *s, size_t i)
{
	if (s->cur[i] == 0)
		return false;
	memcpy(s->cand, s->cur, s->n * sizeof(u64));
	s->cand[i] /= 2;
	return try_candidate(s, s->n);
}

/* One sweep of chunks of size k from the end; true on any progress. */
static bool sweep(struct shrinker *s, size_t k,
		  bool (*attempt)(struct shrinker *s, size_t lo, size_t hi))
{
	size_t hi = s->n;
	bool progress = false;

	while (hi > 0 && budget_left(s)) {
		size_t lo = hi > k ? hi - k : 0;

		if (attempt(s, lo, hi)) {
			progress = true;
			/* what follows lo moved (or went): go on before it */
			hi = lo < s->n ? lo : s->n;
		} else {
			hi = lo;
		}
	}
	return progress;
}

static bool chunk_passes(struct shrinker *s, const char *pass,
			 bool (*attempt)(struct shrinker *s, size_t lo,
					 size_t hi))
{
	bool progress = false;
	size_t k;

	s->pass = pass;
	/* the whole sequence at once is the prefix pass's first try */
	for (k = s->n / 2; k >= 1 && budget_left(s); k /= 2)
		progress |= sweep(s, k, attempt);
	return progress;
}

static bool halve_pass(struct shrinker *s)
{
	bool progress = false;
	size_t i = s->n;

	s->pass = "halve";
	while (i-- > 0 && budget_left(s)) {
		progress |= try_halve(s, i);
		if (i > s->n)
			i = s->n;
	}
	return progress;
}

/*
 * The shortest prefix that still fails, found from short to long (a
 * run's failure often needs its beginning and nothing of a long quiet
 * rest): lengths 0, 1, 2, 4, ... up to n, then a binary search between
 * the first that works and half of it. Cheap: about 2 log2(n) runs.
 */
static bool prefix_pass(struct shrinker *s)
{
	size_t lo = 0, len, n = s->n;
	bool progress = false;

	s->pass = "prefix";
	for (len = 0; len < n && budget_left(s); len = len ? 2 * len : 1) {
		memcpy(s->cand, s->cur, len * sizeof(u64));
		if (try_candidate(s, len)) {
			progress = true;
			break;
		}
		lo = len;
	}
	/* lo failed; s->n works (if anything was kept, s->n <= len) */
	while (progress && lo + 1 < s->n && budget_left(s)) {
		size_t mid = lo + (s->n - lo) / 2;

		memcpy(s->cand, s->cur, mid * sizeof(u64));
		if (!try_candidate(s, mid))
			lo = mid;
	}
	return progress;
}

int minimise_choices(const struct minimise_target *t, const u64 *choices,
		     size_t n, const struct minimise_opts *o, u64 **out,
		     size_t *nout, u64 *runs)
{
	struct shrinker s = {
		.t = t,
		.o = o,
		.max_runs = o && o->max_runs ? o->max_runs
					     : MINIMISE_MAX_RUNS_DEFAULT,
		.n = n,
		.capacity = n ? n : 1,
	};
	bool progress = true;

	*out = NULL;
	*nout = 0;
	s.cur = malloc(s.capacity * sizeof(u64));
	s.cand = malloc(s.capacity * sizeof(u64));
	if (!s.cur || !s.cand) {
		free(s.cur);
		free(s.cand);
		return -ENOMEM;
	}
	memcpy(s.cur, choices, n * sizeof(u64));
	while (progress && budget_left(&s)) {
		progress = prefix_pass(&s);
		progress |= chunk_passes(&s, "delete", try_delete);
		progress |= chunk_passes(&s, "zero", try_zero);
		progress |= halve_pass(&s);
	}
	free(s.cand);
	*runs = s.runs;
	if (s.error) {
		free(s.cur);
		return s.error;
	}
	*out = s.cur;
	*nout = s.n;
	return 0;
}

/* --- a stored run ------------------------------------------------------------ */

/* Re-executes the stored run: it must fail as recorded. */
static int original(struct trace_db *db, s64 id, struct trace_run *run,
		    struct sim_config *cfg, struct adversary *adv,
		    struct replay_exec *ex, char *err, size_t errlen)
{
	int rc;

	rc = trace_get_run(db, id, run);
	if (rc) {
		snprintf(err, errlen, "%s", trace_errmsg(db));
		return rc;
	}
	if (!run->failed) {
		snprintf(err, errlen,
			 "run %lld passed: only a failing run can be "
			 "minimised",
			 (long long)id);
		return TRACE_EINVAL;
	}
	rc = replay_parse_config(run, cfg, adv, err, errlen);
	if (rc)
		return rc;
	if (replay_exec(cfg, run->seed, run->choices, run->nchoices, ex)) {
		snprintf(err, errlen, "run %lld: out of memory", (long long)id);
		return TRACE_ENOMEM;
	}
	if (!ex->result.failed || !ex->result.oracle ||
	    strcmp(ex->result.oracle, run->oracle) != 0) {
		snprintf(err, errlen,
			 "run %lld does not fail with %s when re-executed "
			 "(see ringside replay): nothing to keep while "
			 "shrinking",
			 (long long)id, run->oracle);
		return TRACE_EINVAL;
	}
	return 0;
}

/* Runs the result once more, with its events, and stores it. */
static int store(struct trace_db *db, const struct trace_run *run,
		 const struct sim_config *cfg, const u64 *choices, size_t n,
		 struct minimise_result *res, char *err, size_t errlen)
{
	struct replay_exec ex;
	struct trace_run tr;
	bool complete;
	int rc;

	if (replay_exec(cfg, run->seed, choices, n, &ex)) {
		replay_exec_free(&ex);
		snprintf(err, errlen, "out of memory");
		return TRACE_ENOMEM;
	}
	complete = event_log_complete(&ex.log);
	/* note 1 of replay.h: n may be 0, the row gets one zero */
	rc = replay_fill_run(&tr, TRACE_SOURCE_MINIMISE, run->seed, cfg,
			     &ex.result, choices, n, run->id, complete);
	if (rc == 0)
		rc = trace_add_run(db, &tr, complete ? &ex.log : NULL);
	if (rc)
		snprintf(err, errlen, "%s",
			 rc == TRACE_ENOMEM ? "out of memory"
					    : trace_errmsg(db));
	res->id = tr.id;
	res->choices_after = n;
	res->steps_after = ex.result.steps;
	res->events_after = ex.result.events;
	trace_run_free(&tr);
	replay_exec_free(&ex);
	return rc;
}

int minimise_run(struct trace_db *db, s64 id, const struct minimise_opts *o,
		 struct minimise_result *res, char *err, size_t errlen)
{
	struct minimise_target t;
	struct replay_exec ex;
	struct trace_run run;
	struct sim_config cfg;
	struct adversary adv;
	u64 *small = NULL;
	size_t nsmall = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&ex, 0, sizeof(ex));
	memset(&run, 0, sizeof(run));
	rc = original(db, id, &run, &cfg, &adv, &ex, err, errlen);
	if (rc)
		goto out;
	t = (struct minimise_target){
		.cfg = &cfg,
		.seed = run.seed,
		.oracle = run.oracle,
		.kind = replay_fail_kind(&ex.log),
	};
	res->choices_before = ex.nchoices;
	res->steps_before = ex.result.steps;
	res->events_before = ex.result.events;
	snprintf(res->oracle, sizeof(res->oracle), "%s", run.oracle);
	if (minimise_choices(&t, ex.choices, ex.nchoices, o, &small, &nsmall,
			     &res->runs)) {
		snprintf(err, errlen, "out of memory");
		rc = TRACE_ENOMEM;
		goto out;
	}
	res->exhausted =
		res->runs >=
		(o && o->max_runs ? o->max_runs : MINIMISE_MAX_RUNS_DEFAULT);
	rc = store(db, &run, &cfg, small, nsmall, res, err, errlen);
out:
	free(small);
	replay_exec_free(&ex);
	trace_run_free(&run);
	return rc;
}

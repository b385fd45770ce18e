/*
 * bench_trace.c - how fast the trace store (replay/trace.c) records and
 * reads events, against what SQLite itself can do.
 *
 *   1. ceiling: plain prepared INSERTs into a table laid out like events
 *      (same columns, WITHOUT ROWID), WAL, synchronous NORMAL, one
 *      transaction per 10,000 rows: rows/s.
 *   2. trace_add_run with events: events/s, timing only the store calls
 *      (begin, add, commit) on logs of real runs, and the ratio to 1
 *      (target >= 80%).
 *   3. a campaign of N runs without recording and recorded as `--record
 *      all` records it (a passing run's row with its events regenerated
 *      when read, a failing run run again and stored with its events):
 *      the slowdown factor (target <= 3x); and, for comparison, with
 *      every run's events stored (what `--record all` did before).
 *   4. reading back: trace_get_events of stored events, and
 *      replay_events of regenerated ones (what show, export and
 *      materialise pay): events/s.
 *   5. 1, 2 and 4 processes recording campaigns into one file through
 *      the recorder (replay/recorder.h), rows only (--record failures)
 *      and as --record all: runs/s over all writers, and the bytes the
 *      file grew by per run (target <= 10 KB for --record all). Every
 *      run must be there afterwards.
 *
 * The file lives in /tmp and is removed at exit. Exit status: 0 whatever
 * the numbers (slow machines do not fail), 1 when the store failed, 2 for
 * a usage error.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, getpid */

#include <choice.h>
#include <recorder.h>
#include <replay.h>
#include <trace.h>
#include <world.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CEILING_BATCH 10000
/* Distinct logs recorded for section 2; runs reuse them under other
 * seeds (a new uid each) so that the timing is the store's alone. */
#define LOGS 16

static char path[96];
static struct event_log logs[LOGS];
static struct sim_result results[LOGS];

struct bench_opts {
	u64 rows;	   /* ceiling rows */
	u64 store_runs;	   /* runs stored in section 2 */
	u64 campaign_runs; /* runs of section 3 */
	u64 writer_runs;   /* runs of each writer of section 5 */
	u64 steps;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void remove_db(void)
{
	char side[112];

	if (!path[0])
		return;
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static void usage(FILE *out)
{
	fputs("usage: bench_trace [--quick] [--help]\n"
	      "\n"
	      "Events per second the trace store records and reads, against "
	      "plain\n"
	      "SQLite INSERTs of the same rows (the ceiling), and the slowdown "
	      "of a\n"
	      "campaign that records every run's events. --quick does less "
	      "work.\n"
	      "Prints numbers only; a slow machine does not fail.\n",
	      out);
}

static int die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_trace: %s: %s\n", what, sqlite3_errmsg(db));
	sqlite3_close(db);
	return -1;
}

/* The logs of LOGS real runs: the rows of sections 1, 2 and 4. */
static void record_logs(u64 steps)
{
	struct sim_config cfg = { .steps_max = steps,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true };
	struct choice_source cs;
	u64 i;

	for (i = 0; i < LOGS; i++) {
		event_log_init(&logs[i], 0);
		cfg.log = &logs[i];
		choice_init_seed(&cs, i + 1);
		sim_run(&cfg, &cs, &results[i]);
		choice_free(&cs);
	}
}

static void free_logs(void)
{
	u64 i;

	for (i = 0; i < LOGS; i++)
		event_log_free(&logs[i]);
}

/* 1: plain prepared INSERTs, rows/s. */
static int bench_ceiling(const struct bench_opts *o, double *rate)
{
	const struct sim_event *ev;
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0;
	u64 i, run = 0, k = 0;

	remove_db();
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return die_sql(db, "open");
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
			 "NORMAL; CREATE TABLE events(run INTEGER NOT NULL, "
			 "seq INTEGER NOT NULL, step INTEGER NOT NULL, actor "
			 "INTEGER NOT NULL, kind INTEGER NOT NULL, queue "
			 "INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT "
			 "NULL, c INTEGER NOT NULL, PRIMARY KEY(run, seq)) "
			 "WITHOUT ROWID",
			 NULL, NULL, NULL) != SQLITE_OK)
		return die_sql(db, "schema");
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO events VALUES(?1, ?2, ?3, ?4, ?5, "
			       "?6, ?7, ?8, ?9)",
			       -1, &st, NULL) != SQLITE_OK)
		return die_sql(db, "prepare");
	t0 = now();
	for (i = 0; i < o->rows; i++) {
		if (i % CEILING_BATCH == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		/* the events of the logs section 2 stores, run after run */
		if (k == event_log_stored(&logs[run % LOGS])) {
			k = 0;
			run++;
		}
		ev = event_log_get(&logs[run % LOGS], k);
		sqlite3_bind_int64(st, 1, (s64)run + 1);
		sqlite3_bind_int64(st, 2, (s64)k++);
		sqlite3_bind_int64(st, 3, ev->step);
		sqlite3_bind_int(st, 4, ev->actor);
		sqlite3_bind_int(st, 5, ev->kind);
		sqlite3_bind_int(st, 6, ev->queue);
		sqlite3_bind_int64(st, 7, (s64)ev->a);
		sqlite3_bind_int64(st, 8, (s64)ev->b);
		sqlite3_bind_int64(st, 9, (s64)ev->c);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return die_sql(db, "insert");
		}
		sqlite3_reset(st);
		if (i % CEILING_BATCH == CEILING_BATCH - 1 || i + 1 == o->rows)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	*rate = (double)o->rows / (now() - t0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	remove_db();
	return 0;
}

/* The run record of a finished run. */
static void describe(const struct sim_config *cfg, const struct sim_result *r,
		     u64 seed, struct trace_run *run)
{
	memset(run, 0, sizeof(*run));
	run->seed = seed;
	run->source = TRACE_SOURCE_SIM;
	sim_config_format(cfg, run->config, sizeof(run->config));
	snprintf(run->device, sizeof(run->device), "%s",
		 sim_device_name(r->device));
	run->mode = r->mode;
	run->failed = r->failed;
	snprintf(run->oracle, sizeof(run->oracle), "%s",
		 r->oracle ? r->oracle : "");
	snprintf(run->message, sizeof(run->message), "%s", r->message);
	run->fail_step = r->fail_step;
	run->steps = r->steps;
	run->events = r->events;
	run->choice_count = r->choices;
	run->event_hash = r->event_hash;
	memcpy(run->rate, r->rate, sizeof(run->rate));
	memcpy(run->fired, r->fired, sizeof(run->fired));
}

static struct trace_db *open_store(void)
{
	struct trace_db *db = NULL;
	char err[256];

	remove_db();
	if (trace_open(path, TRACE_CREATE, &db, err, sizeof(err))) {
		fprintf(stderr, "bench_trace: %s\n", err);
		return NULL;
	}
	return db;
}

/* Adds run, batching about CEILING_BATCH events per transaction. */
static int add_batched(struct trace_db *db, struct trace_run *run,
		       const struct event_log *log, u64 *pending)
{
	if (*pending == 0 && trace_begin(db))
		return -1;
	if (trace_add_run(db, run, log))
		return -1;
	*pending += log ? event_log_stored(log) : 1;
	if (*pending >= CEILING_BATCH) {
		*pending = 0;
		return trace_commit(db);
	}
	return 0;
}

static int finish_batch(struct trace_db *db, u64 *pending)
{
	if (*pending == 0)
		return 0;
	*pending = 0;
	return trace_commit(db);
}

/* 2 and 4: the store's own speed on logs of real runs. */
static int bench_store(const struct bench_opts *o, double *write_rate,
		       double *read_rate)
{
	struct sim_config cfg = { .steps_max = o->steps,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true };
	struct trace_run run;
	struct event_log log;
	struct trace_db *db;
	u64 i, events = 0, pending = 0;
	double spent = 0, t0;
	int rc = 0;

	db = open_store();
	if (!db)
		rc = -1;
	for (i = 0; rc == 0 && i < o->store_runs; i++) {
		cfg.log = &logs[i % LOGS];
		describe(&cfg, &results[i % LOGS], i + 1, &run);
		t0 = now();
		rc = add_batched(db, &run, &logs[i % LOGS], &pending);
		if (rc == 0 && i + 1 == o->store_runs)
			rc = finish_batch(db, &pending);
		spent += now() - t0;
		events += event_log_stored(&logs[i % LOGS]);
	}
	*write_rate = (double)events / spent;

	events = 0;
	t0 = now();
	for (i = 1; rc == 0 && i <= o->store_runs; i++) {
		event_log_init(&log, 0);
		rc = trace_get_events(db, (s64)i, &log);
		events += event_log_stored(&log);
		event_log_free(&log);
	}
	*read_rate = (double)events / (now() - t0);
	if (rc)
		fprintf(stderr, "bench_trace: %s\n", trace_errmsg(db));
	trace_close(db);
	remove_db();
	return rc;
}

/* One run recorded as `ringside sim --record all` records it: a passing
 * run's row, its events regenerated when read; a failing run again with
 * an event log, stored with its events. */
static int record_as_all(struct trace_db *db, struct sim_config cfg, u64 seed,
			 u64 *pending, u64 *events)
{
	struct choice_source cs;
	struct sim_result r;
	struct trace_run run;
	struct event_log log;
	int rc;

	cfg.log = NULL;
	choice_init_seed(&cs, seed);
	sim_run(&cfg, &cs, &r);
	choice_free(&cs);
	event_log_init(&log, 0);
	if (r.failed) {
		cfg.log = &log;
		choice_init_seed(&cs, seed);
		sim_run(&cfg, &cs, &r);
		choice_free(&cs);
	}
	describe(&cfg, &r, seed, &run);
	run.has_events =
		r.failed ? TRACE_EVENTS_STORED : TRACE_EVENTS_REGENERATED;
	rc = add_batched(db, &run, r.failed ? &log : NULL, pending);
	*events += event_log_stored(&log);
	event_log_free(&log);
	return rc;
}

/* 4: the events of runs 1..n that are regenerated, made and checked as
 * show does: events/s. */
static int read_regenerated(struct trace_db *db, u64 n, double *rate)
{
	char err[512];
	struct trace_run run;
	struct event_log log;
	u64 id, events = 0;
	double t0 = now();
	int rc = 0;

	for (id = 1; rc == 0 && id <= n; id++) {
		rc = trace_get_run(db, (s64)id, &run);
		if (rc == 0 && run.has_events == TRACE_EVENTS_REGENERATED) {
			event_log_init(&log, 0);
			rc = replay_events(db, &run, &log, err, sizeof(err));
			if (rc)
				fprintf(stderr, "bench_trace: %s\n", err);
			events += event_log_stored(&log);
			event_log_free(&log);
		}
		trace_run_free(&run);
	}
	*rate = (double)events / (now() - t0);
	return rc;
}

/* 3: a campaign, without and with every run recorded. */
static int bench_campaign(const struct bench_opts *o, double *plain_s,
			  double *logged_s, double *recorded_s,
			  double *stored_s, double *regen_rate, u64 *events)
{
	struct sim_config cfg = { .steps_max = o->steps,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true };
	struct choice_source cs;
	struct sim_result r;
	struct trace_run run;
	struct event_log log;
	struct trace_db *db;
	u64 seed, pending = 0, failed_events = 0;
	double t0;
	int rc = 0;

	t0 = now();
	for (seed = 1; seed <= o->campaign_runs; seed++) {
		choice_init_seed(&cs, seed);
		sim_run(&cfg, &cs, &r);
		choice_free(&cs);
	}
	*plain_s = now() - t0;

	/* the events logged in memory only: what the store adds is the
	 * rest */
	t0 = now();
	for (seed = 1; seed <= o->campaign_runs; seed++) {
		event_log_init(&log, 0);
		cfg.log = &log;
		choice_init_seed(&cs, seed);
		sim_run(&cfg, &cs, &r);
		choice_free(&cs);
		event_log_free(&log);
	}
	*logged_s = now() - t0;
	cfg.log = NULL;

	db = open_store();
	if (!db)
		return -1;
	*events = 0;
	t0 = now();
	for (seed = 1; rc == 0 && seed <= o->campaign_runs; seed++)
		rc = record_as_all(db, cfg, seed, &pending, &failed_events);
	if (rc == 0)
		rc = finish_batch(db, &pending);
	*recorded_s = now() - t0;
	if (rc == 0)
		rc = read_regenerated(db, o->campaign_runs, regen_rate);
	if (rc)
		fprintf(stderr, "bench_trace: %s\n", trace_errmsg(db));
	trace_close(db);
	if (rc)
		return rc;

	db = open_store();
	if (!db)
		return -1;
	t0 = now();
	for (seed = 1; rc == 0 && seed <= o->campaign_runs; seed++) {
		event_log_init(&log, 0);
		cfg.log = &log;
		choice_init_seed(&cs, seed);
		sim_run(&cfg, &cs, &r);
		describe(&cfg, &r, seed, &run);
		choice_free(&cs);
		rc = add_batched(db, &run, &log, &pending);
		*events += event_log_stored(&log);
		event_log_free(&log);
	}
	if (rc == 0)
		rc = finish_batch(db, &pending);
	*stored_s = now() - t0;
	if (rc)
		fprintf(stderr, "bench_trace: %s\n", trace_errmsg(db));
	trace_close(db);
	remove_db();
	return rc;
}

/* One writer of section 5: runs seeds first.. and records them (as
 * --record all when all); the exit status says whether every run was
 * kept. */
static int writer(const struct bench_opts *o, u64 first, bool all)
{
	struct sim_config cfg = { .steps_max = o->steps,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true };
	struct trace_recorder *rec;
	struct choice_source cs;
	struct sim_result r;
	struct trace_run run;
	struct event_log log;
	char err[600];
	u64 seed;
	int rc = 0;

	if (trace_recorder_open(path, &rec, err, sizeof(err))) {
		fprintf(stderr, "bench_trace: %s\n", err);
		return 1;
	}
	for (seed = first; rc == 0 && seed < first + o->writer_runs; seed++) {
		event_log_init(&log, 0);
		cfg.log = NULL;
		choice_init_seed(&cs, seed);
		sim_run(&cfg, &cs, &r);
		choice_free(&cs);
		/* --record all: a failing run again, with its events */
		if (all && r.failed) {
			cfg.log = &log;
			choice_init_seed(&cs, seed);
			sim_run(&cfg, &cs, &r);
			choice_free(&cs);
		}
		describe(&cfg, &r, seed, &run);
		run.has_events = !all	    ? TRACE_EVENTS_NONE
				 : r.failed ? TRACE_EVENTS_STORED
					    : TRACE_EVENTS_REGENERATED;
		rc = trace_recorder_add(rec, &run,
					all && r.failed ? &log : NULL, NULL);
		event_log_free(&log);
	}
	if (rc)
		fprintf(stderr, "bench_trace: %s\n",
			trace_recorder_errmsg(rec));
	if (trace_recorder_close(rec) && !rc)
		rc = 1;
	return rc ? 1 : 0;
}

/* The runs in the file and its size. */
static s64 count_runs(u64 *bytes)
{
	sqlite3 *sql = NULL;
	sqlite3_stmt *st = NULL;
	s64 runs = -1, pages = 0, page_size = 0;

	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(sql,
			       "SELECT count(*), (SELECT page_count FROM "
			       "pragma_page_count), (SELECT page_size FROM "
			       "pragma_page_size) FROM runs",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		runs = sqlite3_column_int64(st, 0);
		pages = sqlite3_column_int64(st, 1);
		page_size = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	sqlite3_close(sql);
	*bytes = (u64)(pages * page_size);
	return runs;
}

/* 5: n writers at once; runs/s over all of them, bytes per run. */
static int bench_writers(const struct bench_opts *o, int n, bool events,
			 double *runs_per_s, double *bytes_per_run)
{
	struct trace_db *db = open_store();
	pid_t pids[8];
	u64 before = 0, after = 0;
	s64 runs = 0;
	int i, status, rc = 0;
	double t0;

	if (!db || trace_file_bytes(db, &before))
		return -1;
	trace_close(db);
	fflush(NULL);
	t0 = now();
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(writer(o, (u64)i * 1000000 + 1, events));
	}
	for (i = 0; i < n; i++)
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			rc = -1;
	*runs_per_s = (double)(o->writer_runs * (u64)n) / (now() - t0);
	runs = count_runs(&after);
	if (runs != (s64)(o->writer_runs * (u64)n)) {
		fprintf(stderr, "bench_trace: %lld runs of %llu kept\n",
			(long long)runs,
			(unsigned long long)(o->writer_runs * (u64)n));
		rc = -1;
	}
	*bytes_per_run = (double)(after - before) / (double)runs;
	remove_db();
	return rc;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .rows = 2000000,
				.store_runs = 800,
				.campaign_runs = 400,
				.writer_runs = 400,
				.steps = SIM_STEPS_DEFAULT };
	double ceiling = 0, write_rate = 0, read_rate = 0, plain = 0,
	       logged = 0, recorded = 0, stored = 0, regen_rate = 0;
	u64 events = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			o.rows = 200000;
			o.store_runs = 100;
			o.campaign_runs = 50;
			o.writer_runs = 40;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	snprintf(path, sizeof(path), "/tmp/ringside-bench-trace-%ld.db",
		 (long)getpid());
	atexit(remove_db);
	record_logs(o.steps);

	if (bench_ceiling(&o, &ceiling))
		return 1;
	printf("1. ceiling (plain INSERT, WAL, %d rows/txn): %.0f rows/s\n",
	       CEILING_BATCH, ceiling);
	if (bench_store(&o, &write_rate, &read_rate))
		return 1;
	printf("2. trace_add_run with events: %.0f events/s, %.0f%% of the "
	       "ceiling (target >= 80%%)\n",
	       write_rate, 100.0 * write_rate / ceiling);
	if (bench_campaign(&o, &plain, &logged, &recorded, &stored, &regen_rate,
			   &events))
		return 1;
	printf("3. campaign of %llu runs: %.2f s without recording, %.2f s "
	       "recorded as --record all: %.2fx slower (target <= 3x)\n"
	       "   (every run's %llu events stored instead, as --record all "
	       "did before: %.2f s, %.2fx;\n"
	       "   events logged in memory only: %.2f s; the world makes "
	       "%.0f events/s)\n",
	       (unsigned long long)o.campaign_runs, plain, recorded,
	       recorded / plain, (unsigned long long)events, stored,
	       stored / plain, logged, (double)events / plain);
	printf("4. trace_get_events: %.0f events/s; regenerated "
	       "(replay_events): %.0f events/s\n",
	       read_rate, regen_rate);
	for (i = 0; i < 2; i++) {
		static const int writers[] = { 1, 2, 4 };
		double rate[3], bytes[3];
		int w;

		for (w = 0; w < 3; w++)
			if (bench_writers(&o, writers[w], i == 1, &rate[w],
					  &bytes[w]))
				return 1;
		printf("5. %s, %llu runs per writer: 1 writer %.0f runs/s, "
		       "2 writers %.0f, 4 writers %.0f; %.0f bytes per run\n",
		       i ? "--record all (10 KB target)" : "rows only",
		       (unsigned long long)o.writer_runs, rate[0], rate[1],
		       rate[2], bytes[0]);
	}
	free_logs();
	return 0;
}

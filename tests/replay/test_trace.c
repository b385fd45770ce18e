/*
 * test_trace.c - the trace store (replay/trace.c): runs of the world go in
 * and come back field for field, events one by one with the run's hash;
 * uids dedupe, batches commit or roll back, lists filter, merges remap
 * parents, four processes record into one file, and a writer killed in the
 * middle loses nothing it had committed.
 */
#define _POSIX_C_SOURCE 200809L /* fork, kill, waitpid, nanosleep */

#include "harness.h"
#include "replay_db.h"

#include <choice.h>
#include <replay.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <trace.h>
#include <unistd.h>
#include <world.h>

#define STEPS 300

static char path_a[64], path_b[64];

/* Fresh paths for this test (the pid keeps parallel runs apart). */
static void fresh_paths(const char *name)
{
	snprintf(path_a, sizeof(path_a), "/tmp/rs-trace-%d-%s-a.db",
		 (int)getpid(), name);
	snprintf(path_b, sizeof(path_b), "/tmp/rs-trace-%d-%s-b.db",
		 (int)getpid(), name);
	trace_files_remove(path_a);
	trace_files_remove(path_b);
}

static void cleanup(void)
{
	trace_files_remove(path_a);
	trace_files_remove(path_b);
}

/*
 * Runs the world from seed (swarm behaviours, any device) and describes
 * the run in *run: with its recorded choices when keep_choices, its
 * events in log when log is given (initialised by the caller).
 */
static bool make_run(u64 seed, bool keep_choices, struct trace_run *run,
		     struct event_log *log, struct sim_result *out)
{
	struct sim_config cfg = { .seed = seed,
				  .steps_max = STEPS,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true,
				  .log = log };
	struct choice_source cs;
	struct sim_result r;
	bool ok;

	choice_init_seed(&cs, seed);
	ok = sim_run(&cfg, &cs, &r) == 0;
	memset(run, 0, sizeof(*run));
	run->seed = seed;
	run->source = TRACE_SOURCE_SIM;
	sim_config_format(&cfg, run->config, sizeof(run->config));
	snprintf(run->device, sizeof(run->device), "%s",
		 sim_device_name(r.device));
	run->mode = r.mode;
	if (keep_choices && choice_count(&cs)) {
		run->nchoices = choice_count(&cs);
		run->choices = malloc(run->nchoices * sizeof(u64));
		ok = ok && run->choices;
		if (run->choices)
			memcpy(run->choices, choice_values(&cs),
			       run->nchoices * sizeof(u64));
		else
			run->nchoices = 0;
	}
	run->failed = r.failed;
	snprintf(run->oracle, sizeof(run->oracle), "%s",
		 r.oracle ? r.oracle : "");
	snprintf(run->message, sizeof(run->message), "%s", r.message);
	run->fail_step = r.fail_step;
	run->steps = r.steps;
	run->events = r.events;
	run->choice_count = r.choices;
	run->event_hash = r.event_hash;
	run->duration_us = 1000 + (s64)seed;
	memcpy(run->rate, r.rate, sizeof(run->rate));
	memcpy(run->fired, r.fired, sizeof(run->fired));
	choice_free(&cs);
	if (out)
		*out = r;
	return ok;
}

static bool same_run(const struct trace_run *a, const struct trace_run *b)
{
	return a->id == b->id && a->seed == b->seed && a->source == b->source &&
	       !strcmp(a->config, b->config) && !strcmp(a->device, b->device) &&
	       a->mode == b->mode && a->nchoices == b->nchoices &&
	       (!a->nchoices ||
		!memcmp(a->choices, b->choices, a->nchoices * 8)) &&
	       a->input_len == b->input_len &&
	       (!a->input_len || !memcmp(a->input, b->input, a->input_len)) &&
	       a->failed == b->failed && !strcmp(a->oracle, b->oracle) &&
	       !strcmp(a->message, b->message) &&
	       a->fail_step == b->fail_step && a->steps == b->steps &&
	       a->events == b->events && a->choice_count == b->choice_count &&
	       a->event_hash == b->event_hash &&
	       a->duration_us == b->duration_us && a->parent == b->parent &&
	       a->has_events == b->has_events &&
	       !memcmp(a->rate, b->rate, sizeof(a->rate)) &&
	       !memcmp(a->fired, b->fired, sizeof(a->fired));
}

static struct trace_db *open_or_fail(const char *path, int flags)
{
	struct trace_db *db = NULL;
	char err[256];
	int rc = trace_open(path, flags, &db, err, sizeof(err));

	if (rc)
		fprintf(stderr, "trace_open: %d %s\n", rc, err);
	CHECK_EQ(0, rc);
	CHECK(db != NULL);
	return db;
}

static int count_cb(void *ctx, const struct trace_run *run)
{
	(void)run;
	(*(u64 *)ctx)++;
	return 0;
}

static u64 count_runs(struct trace_db *db, const struct trace_filter *f)
{
	u64 n = 0;

	CHECK_EQ(0, trace_list_runs(db, f, count_cb, &n));
	return n;
}

/* The stored events of id are those of log, and hash as the run did. */
static bool events_match(struct trace_db *db, s64 id,
			 const struct event_log *log, u64 hash)
{
	struct event_log got;
	size_t i;
	bool ok;

	event_log_init(&got, 0);
	ok = trace_get_events(db, id, &got) == 0 &&
	     event_log_hash(&got) == hash &&
	     (!log || event_log_stored(&got) == event_log_stored(log));
	for (i = 0; ok && log && i < event_log_stored(log); i++)
		ok = !memcmp(event_log_get(&got, i), event_log_get(log, i),
			     sizeof(struct sim_event));
	event_log_free(&got);
	return ok;
}

#define TESTS(X)                                                               \
	X(round_trip_recorded_choices)                                         \
	X(round_trip_seeded_without_events)                                    \
	X(uid_dedupes)                                                         \
	X(events_added_to_a_run_stored_without)                                \
	X(regenerated_events)                                                  \
	X(input_blob_round_trip)                                               \
	X(batch_commit_and_rollback)                                           \
	X(bad_arguments)                                                       \
	X(list_filters)                                                        \
	X(schema_and_views)                                                    \
	X(merge_unions_and_remaps_parents)                                     \
	X(four_writers_one_file)                                               \
	X(killed_writer_keeps_commits)
TESTS(HARNESS_DECLARE)

static void round_trip_recorded_choices(void)
{
	struct trace_run run, got;
	struct event_log log;
	struct sim_result r;
	struct trace_db *db;
	bool some_fired = false;
	int b;

	fresh_paths("rt");
	event_log_init(&log, 0);
	CHECK(make_run(42, true, &run, &log, &r));
	CHECK(run.nchoices > 100);
	CHECK(event_log_stored(&log) > STEPS);
	for (b = 0; b < ADV_COUNT; b++)
		some_fired |= run.fired[b] != 0;
	CHECK(some_fired); /* the swarm did something worth storing */
	/* extreme u64 values survive the s64 columns */
	run.seed = ~0ull - 1;
	run.parent = 0;
	db = open_or_fail(path_a, TRACE_CREATE);
	CHECK_EQ(0, trace_add_run(db, &run, &log));
	CHECK_EQ(1, run.id);
	CHECK(run.has_events);
	trace_close(db);

	db = open_or_fail(path_a, TRACE_READ);
	CHECK_EQ(0, trace_get_run(db, run.id, &got));
	CHECK(same_run(&run, &got));
	CHECK_EQ(r.choices, got.choice_count);
	CHECK(events_match(db, run.id, &log, r.event_hash));
	trace_run_free(&got);
	CHECK_EQ(TRACE_ENOENT, trace_get_run(db, 99, &got));
	CHECK(strstr(trace_errmsg(db), "no run 99") != NULL);
	/* a reader cannot write */
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, &log));
	CHECK(strstr(trace_errmsg(db), "read only") != NULL);
	trace_close(db);
	trace_run_free(&got);
	trace_run_free(&run);
	event_log_free(&log);
	cleanup();
}

static void round_trip_seeded_without_events(void)
{
	struct trace_run run, got;
	struct event_log log;
	struct trace_db *db;

	fresh_paths("seeded");
	db = open_or_fail(path_a, TRACE_CREATE);
	CHECK(make_run(7, false, &run, NULL, NULL));
	CHECK(run.choices == NULL);
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	CHECK(!run.has_events);
	CHECK_EQ(0, trace_get_run(db, run.id, &got));
	CHECK(same_run(&run, &got));
	CHECK(got.choices == NULL && got.nchoices == 0);
	CHECK(got.input == NULL && got.input_len == 0);
	event_log_init(&log, 0);
	CHECK_EQ(TRACE_ENOENT, trace_get_events(db, run.id, &log));
	CHECK(strstr(trace_errmsg(db), "no stored events") != NULL);
	event_log_free(&log);
	trace_close(db);
	cleanup();
}

static void uid_dedupes(void)
{
	struct trace_run run, other;
	struct event_log log;
	struct trace_db *db;
	s64 first;

	fresh_paths("uid");
	db = open_or_fail(path_a, TRACE_CREATE);
	event_log_init(&log, 0);
	CHECK(make_run(3, true, &run, &log, NULL));
	CHECK_EQ(0, trace_add_run(db, &run, &log));
	first = run.id;
	run.id = 0;
	run.duration_us = 5; /* not part of the run: same uid */
	CHECK_EQ(0, trace_add_run(db, &run, &log));
	CHECK_EQ(first, run.id);
	CHECK_EQ(1, count_runs(db, NULL));
	/* one choice different: another run */
	run.choices[run.nchoices - 1] ^= 1;
	CHECK_EQ(0, trace_add_run(db, &run, &log));
	CHECK(run.id != first);
	/* the same choices under another seed, or another source: others */
	CHECK(make_run(3, true, &other, NULL, NULL));
	other.source = TRACE_SOURCE_REPLAY;
	CHECK_EQ(0, trace_add_run(db, &other, NULL));
	CHECK_EQ(3, count_runs(db, NULL));
	trace_close(db);
	trace_run_free(&run);
	trace_run_free(&other);
	event_log_free(&log);
	cleanup();
}

static void events_added_to_a_run_stored_without(void)
{
	struct trace_run run, got;
	struct event_log log;
	struct trace_db *db;
	s64 id;

	fresh_paths("late");
	db = open_or_fail(path_a, TRACE_CREATE);
	event_log_init(&log, 0);
	CHECK(make_run(11, false, &run, &log, NULL));
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	id = run.id;
	CHECK_EQ(0, trace_add_run(db, &run, &log));
	CHECK_EQ(id, run.id);
	CHECK_EQ(0, trace_get_run(db, id, &got));
	CHECK(got.has_events);
	CHECK(events_match(db, id, &log, run.event_hash));
	/* a log that is not the run's is refused */
	run.event_hash ^= 1;
	run.id = 0;
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, &log));
	CHECK(strstr(trace_errmsg(db), "is not the run's") != NULL);
	CHECK_EQ(1, count_runs(db, NULL));
	trace_close(db);
	event_log_free(&log);
	cleanup();
}

/* A run recorded with its events regenerated: none stored, replay_events
 * makes them and checks them, trace_store_events stores them once, merge
 * keeps the mark; a run that cannot be re-executed cannot have it. */
static void regenerated_events(void)
{
	struct trace_run run, got;
	struct event_log log, made;
	struct trace_db *db, *out;
	char err[512];
	bool stored = true;
	u64 added = 0;

	fresh_paths("regen");
	db = open_or_fail(path_a, TRACE_CREATE);
	event_log_init(&log, 0);
	CHECK(make_run(11, false, &run, &log, NULL));
	run.has_events = TRACE_EVENTS_REGENERATED;
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	CHECK_EQ(TRACE_EVENTS_REGENERATED, run.has_events);
	CHECK_EQ(0, trace_get_run(db, run.id, &got));
	CHECK(same_run(&run, &got));
	event_log_init(&made, 0);
	CHECK_EQ(TRACE_ENOENT, trace_get_events(db, run.id, &made));
	CHECK(strstr(trace_errmsg(db), "regenerated") != NULL);
	CHECK_EQ(0, replay_events(db, &got, &made, err, sizeof(err)));
	CHECK_EQ(event_log_stored(&log), event_log_stored(&made));
	CHECK(!memcmp(log.events, made.events,
		      event_log_stored(&log) * sizeof(struct sim_event)));
	/* another world: the regeneration does not match, and says so */
	got.event_hash ^= 1;
	event_log_free(&made);
	event_log_init(&made, 0);
	CHECK_EQ(TRACE_ECORRUPT,
		 replay_events(db, &got, &made, err, sizeof(err)));
	CHECK(strstr(err, "not the one that recorded it") != NULL);
	CHECK(event_log_complete(&made));
	/* events that are not the run's are not stored */
	event_log_free(&made);
	event_log_init(&made, 0);
	event_log_add(&made, 0, 0, 0, 0, 1, 2, 3);
	CHECK_EQ(TRACE_EINVAL, trace_store_events(db, run.id, &made, &stored));
	CHECK(strstr(trace_errmsg(db), "are not the run's") != NULL);
	CHECK(!stored);
	/* merged, it stays regenerated */
	out = open_or_fail(path_b, TRACE_CREATE);
	CHECK_EQ(0, trace_merge_from(out, db, &added));
	CHECK_EQ(1, added);
	trace_run_free(&got);
	CHECK_EQ(0, trace_get_run(out, 1, &got));
	CHECK_EQ(TRACE_EVENTS_REGENERATED, got.has_events);
	trace_close(out);
	/* stored once */
	CHECK_EQ(0, trace_store_events(db, run.id, &log, &stored));
	CHECK(stored);
	CHECK_EQ(0, trace_store_events(db, run.id, &log, &stored));
	CHECK(!stored);
	trace_run_free(&got);
	CHECK_EQ(0, trace_get_run(db, run.id, &got));
	CHECK_EQ(TRACE_EVENTS_STORED, got.has_events);
	CHECK(events_match(db, run.id, &log, run.event_hash));
	/* QEMU's runs cannot be made again */
	run.source = TRACE_SOURCE_QEMU;
	run.has_events = TRACE_EVENTS_REGENERATED;
	run.id = 0;
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, NULL));
	CHECK(strstr(trace_errmsg(db), "cannot be regenerated") != NULL);
	trace_close(db);
	trace_run_free(&got);
	trace_run_free(&run);
	event_log_free(&made);
	event_log_free(&log);
	cleanup();
}

static void input_blob_round_trip(void)
{
	static u8 input[3000];
	struct trace_run run, got;
	struct trace_db *db;
	size_t i;

	fresh_paths("input");
	for (i = 0; i < sizeof(input); i++)
		input[i] = (u8)(i * 7 + 1);
	db = open_or_fail(path_a, TRACE_CREATE);
	CHECK(make_run(5, false, &run, NULL, NULL));
	run.source = TRACE_SOURCE_LIBFUZZER;
	run.input = input;
	run.input_len = sizeof(input);
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	CHECK_EQ(0, trace_get_run(db, run.id, &got));
	CHECK(same_run(&run, &got));
	CHECK(got.input != input);
	trace_run_free(&got);
	trace_close(db);
	cleanup();
}

static void batch_commit_and_rollback(void)
{
	struct trace_run run;
	struct trace_db *db, *reader;
	u64 seed;

	fresh_paths("batch");
	db = open_or_fail(path_a, TRACE_CREATE);
	reader = open_or_fail(path_a, TRACE_READ);
	CHECK_EQ(0, trace_begin(db));
	CHECK_EQ(TRACE_EINVAL, trace_begin(db));
	for (seed = 0; seed < 3; seed++) {
		CHECK(make_run(seed, false, &run, NULL, NULL));
		CHECK_EQ(0, trace_add_run(db, &run, NULL));
	}
	/* a failed add inside a batch undoes only itself */
	run.mode = 9;
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, NULL));
	CHECK_EQ(0, count_runs(reader, NULL)); /* not committed yet */
	CHECK_EQ(0, trace_commit(db));
	CHECK_EQ(3, count_runs(reader, NULL));
	CHECK_EQ(0, trace_begin(db));
	CHECK(make_run(100, false, &run, NULL, NULL));
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	CHECK_EQ(0, trace_rollback(db));
	CHECK_EQ(3, count_runs(db, NULL));
	CHECK_EQ(TRACE_EINVAL, trace_commit(db));
	/* closing with an open batch loses it */
	CHECK_EQ(0, trace_begin(db));
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	trace_close(db);
	CHECK_EQ(3, count_runs(reader, NULL));
	trace_close(reader);
	cleanup();
}

static void bad_arguments(void)
{
	struct trace_run run;
	struct trace_db *db = (struct trace_db *)1;
	struct event_log log;
	char err[128];

	fresh_paths("args");
	CHECK_EQ(TRACE_EINVAL, trace_open(path_a, 7, &db, err, sizeof(err)));
	CHECK(db == NULL);
	CHECK_EQ(TRACE_EINVAL, trace_open("", TRACE_CREATE, &db, err, 8));
	CHECK_EQ(TRACE_EIO,
		 trace_open("/tmp", TRACE_READ, &db, err, sizeof(err)));
	CHECK(strstr(err, "is a directory") != NULL);
	db = open_or_fail(path_a, TRACE_CREATE);
	CHECK(make_run(1, true, &run, NULL, NULL));
	run.source = TRACE_SOURCE_COUNT;
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, NULL));
	run.source = TRACE_SOURCE_SIM;
	run.device[0] = '\0';
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, NULL));
	trace_run_free(&run);
	CHECK(make_run(1, false, &run, NULL, NULL));
	run.failed = !run.failed; /* failed without oracle or vice versa */
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, NULL));
	run.failed = !run.failed;
	run.nchoices = 3; /* with NULL choices */
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, NULL));
	run.nchoices = 0;
	/* an incomplete log is refused */
	event_log_init(&log, 4);
	CHECK(make_run(1, false, &run, &log, NULL));
	CHECK(!event_log_complete(&log));
	CHECK_EQ(TRACE_EINVAL, trace_add_run(db, &run, &log));
	CHECK(strstr(trace_errmsg(db), "incomplete") != NULL);
	event_log_free(&log);
	CHECK_EQ(0, count_runs(db, NULL));
	CHECK_EQ(TRACE_SOURCE_MINIMISE, trace_source_lookup("minimise"));
	CHECK_EQ(TRACE_SOURCE_COUNT, trace_source_lookup("nope"));
	CHECK(strcmp(trace_source_name(TRACE_SOURCE_QEMU), "qemu") == 0);
	CHECK(trace_source_name(TRACE_SOURCE_COUNT) == NULL);
	trace_close(db);
	trace_close(NULL);
	cleanup();
}

struct list_seen {
	u64 n;
	s64 last_id;
	bool ordered, no_blobs, behaviours;
};

static int list_cb(void *ctx, const struct trace_run *run)
{
	struct list_seen *s = ctx;
	int b;

	s->ordered &= run->id > s->last_id;
	s->last_id = run->id;
	s->no_blobs &= !run->choices && !run->input;
	for (b = 0; b < ADV_COUNT; b++)
		s->behaviours |= run->rate[b] != 0;
	return ++s->n == 1000 ? 77 : 0;
}

static int stop_at_two(void *ctx, const struct trace_run *run)
{
	(void)run;
	return ++*(u64 *)ctx == 2 ? 5 : 0;
}

static void list_filters(void)
{
	struct trace_filter f;
	struct list_seen s = { 0, 0, true, true, false };
	struct trace_run run;
	struct trace_db *db;
	u64 seed, failed = 0, n = 0;

	fresh_paths("list");
	db = open_or_fail(path_a, TRACE_CREATE);
	CHECK_EQ(0, trace_begin(db));
	for (seed = 0; seed < 150; seed++) {
		CHECK(make_run(seed, true, &run, NULL, NULL));
		if (seed % 10 == 0) {
			/* some failing runs of a made-up oracle */
			run.failed = true;
			snprintf(run.oracle, sizeof(run.oracle), "stall");
		}
		failed += run.failed;
		if (seed % 3 == 0)
			run.source = TRACE_SOURCE_AFL;
		CHECK_EQ(0, trace_add_run(db, &run, NULL));
		trace_run_free(&run);
	}
	CHECK_EQ(0, trace_commit(db));
	CHECK_EQ(0, trace_list_runs(db, NULL, list_cb, &s));
	CHECK_EQ(150, s.n); /* more than two pages */
	CHECK(s.ordered && s.no_blobs && s.behaviours);
	memset(&f, 0, sizeof(f));
	f.outcome = "fail";
	CHECK_EQ(failed, count_runs(db, &f));
	f.oracle = "stall";
	CHECK(count_runs(db, &f) >= 15);
	memset(&f, 0, sizeof(f));
	f.source = "afl";
	CHECK_EQ(50, count_runs(db, &f));
	f.limit = 7;
	CHECK_EQ(7, count_runs(db, &f));
	f.source = NULL;
	f.device = "no-such-device";
	f.limit = 0;
	CHECK_EQ(0, count_runs(db, &f));
	CHECK_EQ(5, trace_list_runs(db, NULL, stop_at_two, &n));
	CHECK_EQ(2, n);
	f.limit = -1;
	CHECK_EQ(TRACE_EINVAL, trace_list_runs(db, &f, count_cb, &n));
	trace_close(db);
	cleanup();
}

/* The schema as trace.h documents it, seen through plain SQLite. */
static void schema_and_views(void)
{
	static const char *const want[] = {
		"table:meta",
		"table:runs",
		"table:events",
		"table:behaviours",
		"view:failures_by_oracle",
		"view:runs_per_behaviour",
		"index:runs_uid",
		"index:runs_outcome",
		"index:runs_source",
	};
	struct trace_run run;
	struct trace_db *db;
	sqlite3 *sql;
	sqlite3_stmt *st;
	char name[80];
	size_t i;
	int found;

	fresh_paths("schema");
	db = open_or_fail(path_a, TRACE_CREATE);
	CHECK(make_run(9, false, &run, NULL, NULL));
	run.failed = true;
	snprintf(run.oracle, sizeof(run.oracle), "warn");
	CHECK_EQ(0, trace_add_run(db, &run, NULL));
	trace_close(db);
	CHECK_EQ(SQLITE_OK, sqlite3_open(path_a, &sql));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		found = 0;
		CHECK_EQ(SQLITE_OK,
			 sqlite3_prepare_v2(sql,
					    "SELECT type || ':' || name FROM "
					    "sqlite_master",
					    -1, &st, NULL));
		while (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(name, sizeof(name), "%s",
				 (const char *)sqlite3_column_text(st, 0));
			found += strcmp(name, want[i]) == 0;
		}
		sqlite3_finalize(st);
		if (found != 1)
			fprintf(stderr, "missing %s\n", want[i]);
		CHECK_EQ(1, found);
	}
	CHECK_EQ(
		SQLITE_OK,
		sqlite3_prepare_v2(sql,
				   "SELECT (SELECT runs FROM failures_by_oracle"
				   " WHERE oracle = 'warn'),"
				   " (SELECT count(*) FROM runs_per_behaviour),"
				   " (SELECT count(*) FROM runs_per_behaviour"
				   "  WHERE name LIKE 'behaviour-%'),"
				   " (SELECT journal_mode FROM"
				   "  pragma_journal_mode),"
				   " (SELECT application_id FROM"
				   "  pragma_application_id)",
				   -1, &st, NULL));
	CHECK_EQ(SQLITE_ROW, sqlite3_step(st));
	CHECK_EQ(1, sqlite3_column_int(st, 0));
	CHECK(sqlite3_column_int(st, 1) > 0);	/* the swarm enabled some */
	CHECK_EQ(0, sqlite3_column_int(st, 2)); /* all named */
	CHECK(strcmp((const char *)sqlite3_column_text(st, 3), "wal") == 0);
	CHECK_EQ(TRACE_APPLICATION_ID, sqlite3_column_int(st, 4));
	sqlite3_finalize(st);
	sqlite3_close(sql);
	cleanup();
}

static s64 id_of_seed(struct trace_db *db, u64 seed, enum trace_source src);

struct find_seed {
	u64 seed;
	enum trace_source source;
	s64 id;
};

static int find_seed_cb(void *ctx, const struct trace_run *run)
{
	struct find_seed *f = ctx;

	if (run->seed != f->seed || run->source != f->source)
		return 0;
	f->id = run->id;
	return 1;
}

static s64 id_of_seed(struct trace_db *db, u64 seed, enum trace_source src)
{
	struct find_seed f = { seed, src, 0 };

	trace_list_runs(db, NULL, find_seed_cb, &f);
	return f.id;
}

static void add_seed(struct trace_db *db, u64 seed, enum trace_source src,
		     s64 parent)
{
	struct trace_run run;
	struct event_log log;

	event_log_init(&log, 0);
	CHECK(make_run(seed, true, &run, &log, NULL));
	run.source = src;
	run.parent = parent;
	CHECK_EQ(0, trace_add_run(db, &run, &log));
	trace_run_free(&run);
	event_log_free(&log);
}

static void merge_unions_and_remaps_parents(void)
{
	struct trace_db *a, *b;
	struct trace_run got;
	u64 added, seed;
	s64 id;

	fresh_paths("merge");
	a = open_or_fail(path_a, TRACE_CREATE);
	b = open_or_fail(path_b, TRACE_CREATE);
	for (seed = 0; seed < 10; seed++)
		add_seed(a, seed, TRACE_SOURCE_SIM, 0);
	/* b holds seeds 14 down to 5, so its ids differ from a's */
	for (seed = 15; seed-- > 5;)
		add_seed(b, seed, TRACE_SOURCE_SIM, 0);
	add_seed(b, 12, TRACE_SOURCE_REPLAY,
		 id_of_seed(b, 12, TRACE_SOURCE_SIM));
	add_seed(b, 7, TRACE_SOURCE_MINIMISE,
		 id_of_seed(b, 7, TRACE_SOURCE_SIM));
	CHECK_EQ(12, count_runs(b, NULL));

	CHECK_EQ(0, trace_merge_from(a, b, &added));
	CHECK_EQ(7, added); /* seeds 10..14 and the two children */
	CHECK_EQ(17, count_runs(a, NULL));
	id = id_of_seed(a, 12, TRACE_SOURCE_REPLAY);
	CHECK(id > 0);
	CHECK_EQ(0, trace_get_run(a, id, &got));
	CHECK_EQ(id_of_seed(a, 12, TRACE_SOURCE_SIM), got.parent);
	CHECK(got.parent != id_of_seed(b, 12, TRACE_SOURCE_SIM));
	CHECK(events_match(a, id, NULL, got.event_hash));
	trace_run_free(&got);
	id = id_of_seed(a, 7, TRACE_SOURCE_MINIMISE);
	CHECK_EQ(0, trace_get_run(a, id, &got));
	CHECK_EQ(id_of_seed(a, 7, TRACE_SOURCE_SIM), got.parent);
	trace_run_free(&got);
	id = id_of_seed(a, 14, TRACE_SOURCE_SIM);
	CHECK_EQ(0, trace_get_run(a, id, &got));
	CHECK(events_match(a, id, NULL, got.event_hash));
	trace_run_free(&got);
	/* again: nothing new */
	CHECK_EQ(0, trace_merge_from(a, b, &added));
	CHECK_EQ(0, added);
	CHECK_EQ(17, count_runs(a, NULL));
	/* inside a batch it is part of the batch */
	CHECK_EQ(0, trace_begin(b));
	CHECK_EQ(0, trace_merge_from(b, a, &added));
	CHECK_EQ(5, added);
	CHECK_EQ(0, trace_rollback(b));
	CHECK_EQ(12, count_runs(b, NULL));
	CHECK_EQ(TRACE_EINVAL, trace_merge_from(a, a, &added));
	trace_close(a);
	trace_close(b);
	cleanup();
}

/* ---- processes ----------------------------------------------------- */

#define WRITERS 4
#define WRITER_RUNS 50
#define WRITER_BATCH 5

/* A child: records its runs in small batches; the exit code says how
 * it went (no CHECK here: it would jump into the parent's harness). */
static int writer_child(int child)
{
	struct trace_db *db = NULL;
	struct trace_run run;
	struct event_log log;
	char err[256];
	int i, rc;

	rc = trace_open(path_a, TRACE_WRITE, &db, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "child %d: %s\n", child, err);
		return 10;
	}
	for (i = 0; i < WRITER_RUNS; i++) {
		if (i % WRITER_BATCH == 0 && trace_begin(db))
			break;
		event_log_init(&log, 0);
		if (!make_run((u64)(child * 1000 + i), i % 2, &run, &log, NULL))
			rc = 11;
		if (!rc && trace_add_run(db, &run, &log))
			rc = 12;
		trace_run_free(&run);
		event_log_free(&log);
		if (rc)
			break;
		if (i % WRITER_BATCH == WRITER_BATCH - 1 && trace_commit(db)) {
			rc = 13;
			break;
		}
	}
	if (rc || i != WRITER_RUNS)
		fprintf(stderr, "child %d: run %d: %s\n", child, i,
			trace_errmsg(db));
	trace_close(db);
	return rc ? rc : i == WRITER_RUNS ? 0 : 14;
}

struct readable {
	struct trace_db *db;
	u64 bad;
};

static int check_readable(void *ctx, const struct trace_run *run)
{
	struct readable *r = ctx;
	struct trace_run full;

	if (trace_get_run(r->db, run->id, &full) != 0 || !run->has_events ||
	    !events_match(r->db, run->id, NULL, run->event_hash)) {
		fprintf(stderr, "run %lld: %s\n", (long long)run->id,
			trace_errmsg(r->db));
		r->bad++;
	}
	trace_run_free(&full);
	return 0;
}

static void four_writers_one_file(void)
{
	struct readable r = { NULL, 0 };
	pid_t pids[WRITERS];
	int i, status;

	fresh_paths("conc");
	trace_close(open_or_fail(path_a, TRACE_CREATE));
	fflush(NULL);
	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(writer_child(i));
	}
	for (i = 0; i < WRITERS; i++) {
		CHECK_EQ(pids[i], waitpid(pids[i], &status, 0));
		CHECK(WIFEXITED(status));
		CHECK_EQ(0, WEXITSTATUS(status));
	}
	r.db = open_or_fail(path_a, TRACE_READ);
	CHECK_EQ(WRITERS * WRITER_RUNS, count_runs(r.db, NULL));
	CHECK_EQ(0, trace_list_runs(r.db, NULL, check_readable, &r));
	CHECK_EQ(0, r.bad);
	trace_close(r.db);
	cleanup();
}

/* A child that records runs, each its own transaction, until killed. */
static void endless_writer(void)
{
	struct trace_db *db = NULL;
	struct trace_run run;
	struct event_log log;
	char err[256];
	u64 seed;

	if (trace_open(path_a, TRACE_WRITE, &db, err, sizeof(err)))
		_exit(10);
	for (seed = 0; seed < 100000; seed++) {
		event_log_init(&log, 0);
		make_run(seed, true, &run, &log, NULL);
		if (trace_add_run(db, &run, &log))
			_exit(12);
		trace_run_free(&run);
		event_log_free(&log);
	}
	_exit(0);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static s64 sql_int(sqlite3 *sql, const char *query)
{
	sqlite3_stmt *st;
	s64 v = -1;

	if (sqlite3_prepare_v2(sql, query, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#define CRASH_SEEN 20

static void killed_writer_keeps_commits(void)
{
	struct readable r = { NULL, 0 };
	struct trace_filter f = { .limit = 0 };
	sqlite3 *sql;
	sqlite3_stmt *st;
	s64 seen = 0, max_id, waited;
	char query[80];
	pid_t pid;
	int status;

	fresh_paths("crash");
	trace_close(open_or_fail(path_a, TRACE_CREATE));
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		endless_writer();
	/* poll with a separate connection until enough runs committed (at
	 * most 120 s, however slow the machine) */
	CHECK_EQ(SQLITE_OK,
		 sqlite3_open_v2(path_a, &sql, SQLITE_OPEN_READONLY, NULL));
	sqlite3_busy_timeout(sql, 10000);
	for (waited = 0; waited < 120000 && seen < CRASH_SEEN; waited += 5) {
		pause_ms(5);
		seen = sql_int(sql, "SELECT count(*) FROM runs");
		if (waitpid(pid, &status, WNOHANG) == pid)
			break; /* the child died on its own: fail below */
	}
	max_id = sql_int(sql, "SELECT max(id) FROM runs");
	sqlite3_close(sql);
	CHECK_EQ(0, kill(pid, SIGKILL));
	CHECK_EQ(pid, waitpid(pid, &status, 0));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(seen >= CRASH_SEEN);

	/* the file is sound after recovery, and every run seen is whole */
	CHECK_EQ(SQLITE_OK, sqlite3_open(path_a, &sql));
	CHECK_EQ(SQLITE_OK, sqlite3_prepare_v2(sql, "PRAGMA integrity_check",
					       -1, &st, NULL));
	CHECK_EQ(SQLITE_ROW, sqlite3_step(st));
	CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
	sqlite3_finalize(st);
	CHECK(sql_int(sql, "SELECT count(*) FROM runs") >= seen);
	/* one writer, one run per transaction: ids 1..max_id all there */
	CHECK(max_id >= seen);
	snprintf(query, sizeof(query),
		 "SELECT count(*) FROM runs WHERE id <= %lld",
		 (long long)max_id);
	CHECK_EQ(max_id, sql_int(sql, query));
	sqlite3_close(sql);
	r.db = open_or_fail(path_a, TRACE_READ);
	f.limit = seen;
	CHECK_EQ(0, trace_list_runs(r.db, &f, check_readable, &r));
	CHECK_EQ(0, r.bad);
	CHECK(count_runs(r.db, NULL) >= (u64)seen);
	trace_close(r.db);
	cleanup();
}

HARNESS_MAIN(TESTS)

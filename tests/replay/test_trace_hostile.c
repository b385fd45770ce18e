/*
 * test_trace_hostile.c - a trace file is untrusted input: missing, empty,
 * random, foreign, truncated, of another version, with bytes flipped or
 * with impossible values written by plain SQL, each gives a clear error
 * (the code and the words checked here) and never a crash or a sanitizer
 * report.
 */
#define _POSIX_C_SOURCE 200809L /* getpid */

#include "harness.h"
#include "replay_db.h"

#include <choice.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <trace.h>
#include <unistd.h>
#include <world.h>

#define STEPS 200
#define BASE_RUNS 40

static char base[64], path[64];

static void fresh_paths(const char *name)
{
	snprintf(base, sizeof(base), "/tmp/rs-hostile-%d-%s-base.db",
		 (int)getpid(), name);
	snprintf(path, sizeof(path), "/tmp/rs-hostile-%d-%s.db", (int)getpid(),
		 name);
	trace_files_remove(base);
	trace_files_remove(path);
}

static void cleanup(void)
{
	trace_files_remove(base);
	trace_files_remove(path);
}

static void write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	CHECK(f != NULL);
	CHECK_EQ(n, fwrite(data, 1, n, f));
	CHECK_EQ(0, fclose(f));
}

static u8 *read_file(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	u8 *data;
	long len;

	CHECK(f != NULL);
	CHECK_EQ(0, fseek(f, 0, SEEK_END));
	len = ftell(f);
	CHECK(len > 0);
	rewind(f);
	data = malloc((size_t)len);
	CHECK(data != NULL);
	CHECK_EQ(len, fread(data, 1, (size_t)len, f));
	fclose(f);
	*n = (size_t)len;
	return data;
}

/* A real trace of BASE_RUNS runs with choices and events, closed (so it
 * is all in the main file, no WAL). */
static void make_base(void)
{
	struct trace_db *db = NULL;
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true };
	struct choice_source cs;
	struct trace_run run;
	struct event_log log;
	struct sim_result r;
	char err[200];
	u64 seed;

	CHECK_EQ(0, trace_open(base, TRACE_CREATE, &db, err, sizeof(err)));
	CHECK_EQ(0, trace_begin(db));
	for (seed = 0; seed < BASE_RUNS; seed++) {
		event_log_init(&log, 0);
		cfg.log = &log;
		cfg.seed = seed;
		choice_init_seed(&cs, seed);
		CHECK_EQ(0, sim_run(&cfg, &cs, &r));
		memset(&run, 0, sizeof(run));
		run.seed = seed;
		sim_config_format(&cfg, run.config, sizeof(run.config));
		snprintf(run.device, sizeof(run.device), "%s",
			 sim_device_name(r.device));
		run.mode = r.mode;
		run.choices = (u64 *)choice_values(&cs);
		run.nchoices = choice_count(&cs);
		run.failed = r.failed;
		snprintf(run.oracle, sizeof(run.oracle), "%s",
			 r.oracle ? r.oracle : "");
		run.steps = r.steps;
		run.events = r.events;
		run.choice_count = r.choices;
		run.event_hash = r.event_hash;
		memcpy(run.rate, r.rate, sizeof(run.rate));
		memcpy(run.fired, r.fired, sizeof(run.fired));
		CHECK_EQ(0, trace_add_run(db, &run, &log));
		CHECK_EQ((s64)seed + 1, run.id);
		choice_free(&cs);
		event_log_free(&log);
	}
	CHECK_EQ(0, trace_commit(db));
	trace_close(db);
}

static void copy_base(size_t keep)
{
	size_t n;
	u8 *data = read_file(base, &n);

	write_file(path, data, keep && keep < n ? keep : n);
	free(data);
}

static void sql_exec(const char *p, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	CHECK_EQ(SQLITE_OK, sqlite3_open(p, &db));
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, msg);
	CHECK(msg == NULL);
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* Opening fails with code and an error naming the file and saying what. */
static void open_fails(int flags, int code, const char *what)
{
	struct trace_db *db = (struct trace_db *)1;
	char err[256];
	int rc = trace_open(path, flags, &db, err, sizeof(err));

	if (rc != code || !strstr(err, what) ||
	    strncmp(err, path, strlen(path)))
		fprintf(stderr, "got %d '%s', want %d '%s'\n", rc, err, code,
			what);
	CHECK_EQ(code, rc);
	CHECK(db == NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK(strstr(err, what) != NULL);
}

static struct trace_db *open_ok(int flags)
{
	struct trace_db *db = NULL;
	char err[256];
	int rc = trace_open(path, flags, &db, err, sizeof(err));

	if (rc)
		fprintf(stderr, "trace_open: %s\n", err);
	CHECK_EQ(0, rc);
	return db;
}

/* Reads every run of db in full; returns the first error (0: none). */
static int read_everything(struct trace_db *db, s64 max_id, char *msg, size_t n)
{
	struct trace_run run;
	struct event_log log;
	int rc, first = 0;
	s64 id;

	for (id = 1; id <= max_id; id++) {
		rc = trace_get_run(db, id, &run);
		if (rc == 0 && run.has_events) {
			event_log_init(&log, 0);
			rc = trace_get_events(db, id, &log);
			event_log_free(&log);
		}
		trace_run_free(&run);
		if (rc && !first) {
			first = rc;
			snprintf(msg, n, "%s", trace_errmsg(db));
		}
	}
	return first;
}

#define TESTS(X)                                                               \
	X(missing_file)                                                        \
	X(empty_file)                                                          \
	X(random_bytes)                                                        \
	X(foreign_sqlite_database)                                             \
	X(other_schema_version)                                                \
	X(truncated_copy)                                                      \
	X(flipped_bytes_never_crash)                                           \
	X(absurd_run_values)                                                   \
	X(absurd_events)
TESTS(HARNESS_DECLARE)

static void missing_file(void)
{
	fresh_paths("missing");
	open_fails(TRACE_READ, TRACE_EIO, ": no such file");
	open_fails(TRACE_WRITE, TRACE_EIO, ": no such file");
	CHECK(access(path, F_OK) != 0); /* not created by trying */
}

static void empty_file(void)
{
	struct trace_db *db;

	fresh_paths("empty");
	write_file(path, "", 0);
	open_fails(TRACE_READ, TRACE_ENOTTRACE, "not a ringside trace");
	open_fails(TRACE_WRITE, TRACE_ENOTTRACE, "not a ringside trace");
	/* TRACE_CREATE makes a trace of it */
	db = open_ok(TRACE_CREATE);
	trace_close(db);
	db = open_ok(TRACE_READ);
	trace_close(db);
	cleanup();
}

static void random_bytes(void)
{
	static u8 junk[16384];
	u64 x = 0x9e3779b97f4a7c15ull;
	size_t i;

	fresh_paths("random");
	for (i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		junk[i] = (u8)x;
	}
	write_file(path, junk, sizeof(junk));
	open_fails(TRACE_READ, TRACE_ENOTTRACE, "not a ringside trace");
	open_fails(TRACE_CREATE, TRACE_ENOTTRACE, "not a ringside trace");
	/* the junk is still junk: nothing was written over it */
	{
		size_t n;
		u8 *data = read_file(path, &n);

		CHECK_EQ(sizeof(junk), n);
		CHECK(memcmp(data, junk, n) == 0);
		free(data);
	}
	/* junk behind a valid SQLite header */
	memcpy(junk, "SQLite format 3", 16);
	write_file(path, junk, sizeof(junk));
	{
		struct trace_db *db = NULL;
		char err[256];
		int rc = trace_open(path, TRACE_READ, &db, err, sizeof(err));

		CHECK(rc == TRACE_ENOTTRACE || rc == TRACE_ECORRUPT);
		CHECK(db == NULL);
		CHECK(strncmp(err, path, strlen(path)) == 0);
	}
	cleanup();
}

static void foreign_sqlite_database(void)
{
	char sql[200];

	fresh_paths("foreign");
	sql_exec(path, "CREATE TABLE accounts(id INTEGER, name TEXT);"
		       "INSERT INTO accounts VALUES(1, 'x')");
	open_fails(TRACE_READ, TRACE_ENOTTRACE,
		   "not a ringside trace (application_id 0x00000000");
	open_fails(TRACE_CREATE, TRACE_ENOTTRACE, "not a ringside trace");
	trace_files_remove(path);
	/* our id and version, but no runs */
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE accounts(id INTEGER);"
		 "PRAGMA application_id = %d; PRAGMA user_version = 1",
		 TRACE_APPLICATION_ID);
	sql_exec(path, sql);
	open_fails(TRACE_READ, TRACE_ENOTTRACE,
		   "not a ringside trace (no runs table)");
	trace_files_remove(path);
	/* a runs table, but not ours */
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE runs(id INTEGER PRIMARY KEY, x TEXT);"
		 "PRAGMA application_id = %d; PRAGMA user_version = 1",
		 TRACE_APPLICATION_ID);
	sql_exec(path, sql);
	open_fails(TRACE_READ, TRACE_ENOTTRACE,
		   "not a ringside trace (no such");
	cleanup();
}

static void other_schema_version(void)
{
	fresh_paths("version");
	make_base();
	copy_base(0);
	sql_exec(path, "PRAGMA user_version = 7");
	open_fails(TRACE_READ, TRACE_EVERSION,
		   "schema version 7, this ringside reads versions 1 to 2");
	open_fails(TRACE_WRITE, TRACE_EVERSION, "schema version 7");
	sql_exec(path, "PRAGMA user_version = 1; PRAGMA application_id = 5");
	open_fails(TRACE_READ, TRACE_ENOTTRACE,
		   "not a ringside trace (application_id 0x00000005");
	cleanup();
}

static void truncated_copy(void)
{
	struct trace_db *db = NULL;
	char err[256], msg[256];
	size_t n;
	u8 *data;
	int rc;

	fresh_paths("trunc");
	make_base();
	data = read_file(base, &n);
	free(data);
	CHECK(n > 64 * 1024); /* enough pages to cut through */
	copy_base(n / 2);
	rc = trace_open(path, TRACE_READ, &db, err, sizeof(err));
	if (rc == 0) {
		rc = read_everything(db, BASE_RUNS, msg, sizeof(msg));
		trace_close(db);
	} else {
		snprintf(msg, sizeof(msg), "%s", err);
	}
	fprintf(stderr, "    truncated: %d %s\n", rc, msg);
	CHECK_EQ(TRACE_ECORRUPT, rc);
	CHECK(strstr(msg, "corrupt or truncated") != NULL);
	cleanup();
}

/* Bytes flipped all over a real trace: every call either works or fails
 * cleanly; most corruptions are noticed. */
static void flipped_bytes_never_crash(void)
{
	struct trace_db *db;
	char err[256], msg[256];
	size_t n, i, k, noticed = 0, tries = 0;
	u8 *data, *copy;
	u64 x = 12345;

	fresh_paths("flip");
	make_base();
	data = read_file(base, &n);
	copy = malloc(n);
	CHECK(copy != NULL);
	for (i = 0; i < 60; i++) {
		memcpy(copy, data, n);
		for (k = 0; k < 32; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			copy[(x >> 33) % n] ^= (u8)(1 + (x >> 20) % 255);
		}
		trace_files_remove(path);
		write_file(path, copy, n);
		db = NULL;
		tries++;
		if (trace_open(path, TRACE_READ, &db, err, sizeof(err))) {
			CHECK(strncmp(err, path, strlen(path)) == 0);
			noticed++;
			continue;
		}
		if (read_everything(db, BASE_RUNS, msg, sizeof(msg))) {
			CHECK(strncmp(msg, path, strlen(path)) == 0);
			noticed++;
		}
		trace_close(db);
	}
	fprintf(stderr, "    %zu of %zu corruptions noticed\n", noticed, tries);
	CHECK(noticed > tries / 2);
	free(copy);
	free(data);
	cleanup();
}

struct bad_value {
	const char *sql; /* %lld: the run's id (may appear twice) */
	bool in_events;	 /* trace_get_events fails, not trace_get_run */
	const char *what;
};

/* Applies each case to its own run (case i to run i + 1) of a copy of a
 * real trace, after prep (NULL: none), and checks the error of each. */
static void corrupt_runs(const struct bad_value *cases, size_t count,
			 const char *prep)
{
	struct trace_db *db;
	struct trace_run run;
	struct event_log log;
	char *sql, prefix[40];
	size_t i;
	int rc;

	make_base();
	copy_base(0);
	if (prep)
		sql_exec(path, prep);
	CHECK(count < BASE_RUNS);
	for (i = 0; i < count; i++) {
		sql = sqlite3_mprintf(cases[i].sql, (long long)(i + 1),
				      (long long)(i + 1));
		sql_exec(path, sql);
		sqlite3_free(sql);
	}
	db = open_ok(TRACE_READ);
	for (i = 0; i < count; i++) {
		event_log_init(&log, 0);
		rc = trace_get_run(db, (s64)i + 1, &run);
		if (cases[i].in_events) {
			CHECK_EQ(0, rc);
			rc = trace_get_events(db, (s64)i + 1, &log);
		}
		snprintf(prefix, sizeof(prefix), ": run %zu: ", i + 1);
		if (rc != TRACE_ECORRUPT || !strstr(trace_errmsg(db), prefix) ||
		    !strstr(trace_errmsg(db), cases[i].what))
			fprintf(stderr, "case %zu (%s): %d %s\n", i,
				cases[i].sql, rc, trace_errmsg(db));
		CHECK_EQ(TRACE_ECORRUPT, rc);
		CHECK(strstr(trace_errmsg(db), prefix) != NULL);
		CHECK(strstr(trace_errmsg(db), cases[i].what) != NULL);
		trace_run_free(&run);
		event_log_free(&log);
	}
	/* an untouched run still reads, events and all */
	event_log_init(&log, 0);
	CHECK_EQ(0, trace_get_run(db, BASE_RUNS, &run));
	CHECK_EQ(0, trace_get_events(db, BASE_RUNS, &log));
	CHECK_EQ(run.event_hash, event_log_hash(&log));
	trace_run_free(&run);
	event_log_free(&log);
	trace_close(db);
}

static int count_cb(void *ctx, const struct trace_run *run)
{
	(void)run;
	(*(int *)ctx)++;
	return 0;
}

static void absurd_run_values(void)
{
	static const struct bad_value cases[] = {
		{ "UPDATE runs SET steps = -5 WHERE id = %lld", false,
		  "steps is -5" },
		{ "UPDATE runs SET choices = x'01020304050607' WHERE id = %lld",
		  false, "choices is 7 bytes" },
		{ "UPDATE runs SET events = 1 << 50 WHERE id = %lld", false,
		  "events is 1125899906842624" },
		{ "UPDATE runs SET choice_count = -1 WHERE id = %lld", false,
		  "choice_count is -1" },
		{ "UPDATE runs SET source = 'martian' WHERE id = %lld", false,
		  "unknown source 'martian'" },
		{ "UPDATE runs SET mode = 3 WHERE id = %lld", false,
		  "mode is 3" },
		{ "UPDATE runs SET seed = 'abc' WHERE id = %lld", false,
		  "seed is text" },
		{ "UPDATE runs SET config = hex(zeroblob(300)) WHERE id = %lld",
		  false, "config is 600 bytes" },
		{ "UPDATE runs SET outcome = 'maybe' WHERE id = %lld", false,
		  "outcome 'maybe'" },
		{ "UPDATE runs SET outcome = 'fail', oracle = NULL "
		  "WHERE id = %lld",
		  false, "a failed run with oracle ''" },
		{ "UPDATE runs SET input = zeroblob(16777217) WHERE id = %lld",
		  false, "input is 16777217 bytes" },
		{ "UPDATE runs SET duration_us = 1.5 WHERE id = %lld", false,
		  "duration_us is a real" },
		{ "UPDATE runs SET has_events = 3 WHERE id = %lld", false,
		  "has_events is 3" },
		{ "UPDATE runs SET has_events = 2, source = 'qemu' "
		  "WHERE id = %lld",
		  false, "has_events is 2 (regenerated) for a qemu run" },
		{ "UPDATE runs SET message = x'41004100' WHERE id = %lld",
		  false, "message is a blob" },
		{ "UPDATE runs SET device = 'a' || char(0) || 'b' "
		  "WHERE id = %lld",
		  false, "device holds a NUL" },
		{ "UPDATE runs SET parent = -3 WHERE id = %lld", false,
		  "parent is -3" },
		{ "UPDATE runs SET fail_step = NULL WHERE id = %lld", false,
		  "fail_step is null" },
		{ "INSERT INTO behaviours VALUES(%lld, 999, 1, 1)", false,
		  "behaviour is 999" },
		{ "INSERT OR REPLACE INTO behaviours VALUES(%lld, 0, -1, 0)",
		  false, "behaviour rate is -1" },
	};
	struct trace_db *db;
	int n = 0;

	fresh_paths("runs");
	corrupt_runs(cases, sizeof(cases) / sizeof(cases[0]) - 3, NULL);
	trace_files_remove(path);
	/* fail_step is NOT NULL in our schema, a hostile file's need not
	 * be: the last three on a file whose schema allows a NULL */
	corrupt_runs(cases + sizeof(cases) / sizeof(cases[0]) - 3, 3,
		     "PRAGMA writable_schema = ON;"
		     "UPDATE sqlite_master SET sql = replace(sql, "
		     "'fail_step INTEGER NOT NULL', 'fail_step INTEGER') "
		     "WHERE name = 'runs'");
	/* listing stops at the first bad run with the same message */
	db = open_ok(TRACE_READ);
	CHECK_EQ(TRACE_ECORRUPT, trace_list_runs(db, NULL, count_cb, &n));
	CHECK(strstr(trace_errmsg(db), "run 1: fail_step is null") != NULL);
	CHECK_EQ(0, n);
	trace_close(db);
	cleanup();
}

static void absurd_events(void)
{
	static const struct bad_value cases[] = {
		{ "DELETE FROM events WHERE run = %lld AND seq = 3", true,
		  "event seq 4 where 3 was expected" },
		{ "UPDATE events SET kind = 70000 WHERE run = %lld AND seq = 0",
		  true, "event kind is 70000" },
		{ "UPDATE events SET actor = -1 WHERE run = %lld AND seq = 2",
		  true, "event actor is -1" },
		{ "UPDATE events SET step = 1 << 33 WHERE run = %lld "
		  "AND seq = 5",
		  true, "event step is 8589934592" },
		{ "UPDATE events SET seq = -1 WHERE run = %lld AND seq = 0",
		  true, "event seq is -1" },
		{ "UPDATE events SET a = a + 1 WHERE run = %lld AND seq = 1",
		  true, "the stored events hash to" },
		{ "UPDATE events SET b = 'x' WHERE run = %lld AND seq = 1",
		  true, "event operand is text" },
		{ "INSERT INTO events SELECT run, seq + 1, step, actor, kind, "
		  "queue, a, b, c FROM events WHERE run = %lld AND seq = "
		  "(SELECT max(seq) FROM events WHERE run = %lld)",
		  true, "more events stored than" },
		{ "UPDATE runs SET events = events + 1 WHERE id = %lld", true,
		  "events stored, the run has" },
	};

	fresh_paths("events");
	corrupt_runs(cases, sizeof(cases) / sizeof(cases[0]), NULL);
	cleanup();
}

HARNESS_MAIN(TESTS)

/*
 * replay_db.h - what the tests of replay/ share (each tests/replay/test_*.c
 * is its own program, so these are static inline): a trace file in a
 * fresh temporary folder, one run of a configuration recorded into it,
 * and raw SQL on the file, to edit it behind the trace store's back.
 * Include it after defining _POSIX_C_SOURCE 200809L (mkdtemp).
 */
#ifndef RINGSIDE_TESTS_REPLAY_DB_H
#define RINGSIDE_TESTS_REPLAY_DB_H

#include "harness.h"

#include <replay.h>
#include <trace.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_db {
	char dir[64];
	char path[96];
	struct trace_db *db;
};

static inline void test_db_reopen(struct test_db *t)
{
	char err[256];

	if (trace_open(t->path, TRACE_CREATE, &t->db, err, sizeof(err)) != 0)
		fprintf(stderr, "    %s\n", err);
	CHECK(t->db != NULL);
}

static inline void test_db_close(struct test_db *t)
{
	if (t->db)
		trace_close(t->db);
	t->db = NULL;
}

/* Creates the folder and the trace file, open for writing. */
static inline void test_db_create(struct test_db *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/ringside-replay-XXXXXX");
	CHECK(mkdtemp(t->dir) != NULL);
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	test_db_reopen(t);
}

/* Removes a trace file and what SQLite keeps beside it. */
static inline void trace_files_remove(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		remove(p);
	}
}

/* Closes it, removes the file (and its WAL) and the folder. */
static inline void test_db_remove(struct test_db *t)
{
	test_db_close(t);
	trace_files_remove(t->path);
	rmdir(t->dir);
}

/*
 * Runs config (text) with the choices of seed and adds it to the open
 * file (source sim, no parent): with its events when events, with its
 * choice sequence when choices (else as a seeded run). Returns its id;
 * *r (optional) gets the run's result.
 */
static inline s64 test_db_record(struct test_db *t, const char *config,
				 u64 seed, bool events, bool choices,
				 struct sim_result *r)
{
	struct replay_exec ex;
	struct sim_config cfg;
	struct adversary adv;
	struct trace_run tr;
	char err[160];
	s64 id;

	CHECK_EQ(0, sim_config_parse(config, &cfg, &adv, err, sizeof(err)));
	CHECK_EQ(0, replay_exec(&cfg, seed, NULL, 0, &ex));
	CHECK(event_log_complete(&ex.log));
	CHECK_EQ(0, replay_fill_run(&tr, TRACE_SOURCE_SIM, seed, &cfg,
				    &ex.result, choices ? ex.choices : NULL,
				    ex.nchoices, 0, events));
	CHECK_EQ(0, trace_add_run(t->db, &tr, events ? &ex.log : NULL));
	id = tr.id;
	CHECK(id > 0);
	if (r)
		*r = ex.result;
	trace_run_free(&tr);
	replay_exec_free(&ex);
	return id;
}

/* Runs one SQL statement on the file, closed by the trace store for the
 * time; CHECKs that it changed at least one row. */
static inline void test_db_sql(struct test_db *t, const char *sql)
{
	sqlite3 *sq;
	char *msg = NULL;
	int rc, changed;

	test_db_close(t);
	CHECK_EQ(SQLITE_OK, sqlite3_open(t->path, &sq));
	rc = sqlite3_exec(sq, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "    %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	changed = sqlite3_changes(sq);
	sqlite3_close(sq);
	CHECK_EQ(SQLITE_OK, rc);
	CHECK(changed > 0);
	test_db_reopen(t);
}

#endif /* RINGSIDE_TESTS_REPLAY_DB_H */

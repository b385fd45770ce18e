/*
 * trace.c - the trace store (trace.h): runs, their events and behaviours
 * in one SQLite file.
 *
 * Writers open the file in WAL mode with a busy timeout and keep every
 * statement prepared on the handle; a run, its behaviours and its events
 * go in one transaction (the caller's batch, or one of its own), so a
 * killed writer loses only what it had not committed. Readers check every
 * value they take from the file: a trace is untrusted input.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, strdup */

#include "trace.h"

#include <devices.h>
#include <world.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Largest count (steps, events, choices) a sane run can have. */
#define TRACE_COUNT_MAX ((u64)1 << 40)
/* Runs read per page when listing or merging: the read transaction ends
 * between pages, so the callback may write to the same file. */
#define TRACE_PAGE_RUNS 64
/* Largest value SQLite may hand us: one row with the biggest blobs. */
#define TRACE_LENGTH_LIMIT                                                     \
	((int)(TRACE_CHOICES_MAX * 8 + TRACE_INPUT_MAX + (1 << 16)))

static const char *const source_names[TRACE_SOURCE_COUNT] = {
	[TRACE_SOURCE_SIM] = "sim",
	[TRACE_SOURCE_LIBFUZZER] = "libfuzzer",
	[TRACE_SOURCE_AFL] = "afl",
	[TRACE_SOURCE_QEMU] = "qemu",
	[TRACE_SOURCE_REPLAY] = "replay",
	[TRACE_SOURCE_MINIMISE] = "minimise",
	[TRACE_SOURCE_VHOST] = "vhost",
	[TRACE_SOURCE_CHECK] = "check",
};

/* The columns of a run, in the order decode_run() reads them. */
#define RUN_COLS_HEAD "id, seed, source, config, device, mode, "
#define RUN_COLS_TAIL                                                          \
	"outcome, oracle, message, fail_step, steps, events, choice_count, "   \
	"event_hash, duration_us, parent, has_events"
enum run_col {
	COL_ID,
	COL_SEED,
	COL_SOURCE,
	COL_CONFIG,
	COL_DEVICE,
	COL_MODE,
	COL_CHOICES,
	COL_INPUT,
	COL_OUTCOME,
	COL_ORACLE,
	COL_MESSAGE,
	COL_FAIL_STEP,
	COL_STEPS,
	COL_EVENTS,
	COL_CHOICE_COUNT,
	COL_EVENT_HASH,
	COL_DURATION,
	COL_PARENT,
	COL_HAS_EVENTS,
};

/* The statements every handle prepares once, at open. */
enum trace_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_FIND_UID,
	ST_INS_RUN,
	ST_INS_EVENT,
	ST_INS_BEH,
	ST_SET_HAS_EVENTS,
	ST_SET_PARENT,
	ST_GET_RUN,
	ST_GET_BEH,
	ST_GET_EVENTS,
	ST_RUN_EVENTS,
	ST_PAGE,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT trace_add",
	[ST_RELEASE] = "RELEASE trace_add",
	[ST_ROLLBACK_TO] = "ROLLBACK TO trace_add",
	[ST_FIND_UID] = "SELECT id, has_events FROM runs WHERE uid = ?1",
	[ST_INS_RUN] =
		"INSERT OR IGNORE INTO runs(uid, seed, source, config, device, "
		"mode, choices, input, outcome, oracle, message, fail_step, "
		"steps, events, choice_count, event_hash, duration_us, parent, "
		"has_events) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
	[ST_INS_EVENT] = "INSERT INTO events(run, seq, step, actor, kind, "
			 "queue, a, b, c) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			 "?8, ?9)",
	[ST_INS_BEH] = "INSERT INTO behaviours(run, behaviour, rate, fired) "
		       "VALUES(?1, ?2, ?3, ?4)",
	[ST_SET_HAS_EVENTS] = "UPDATE runs SET has_events = 1 WHERE id = ?1",
	[ST_SET_PARENT] = "UPDATE runs SET parent = ?2 WHERE id = ?1",
	[ST_GET_RUN] = "SELECT " RUN_COLS_HEAD "choices, input, " RUN_COLS_TAIL
		       " FROM runs WHERE id = ?1",
	[ST_GET_BEH] = "SELECT behaviour, rate, fired FROM behaviours "
		       "WHERE run = ?1 ORDER BY behaviour",
	[ST_GET_EVENTS] = "SELECT seq, step, actor, kind, queue, a, b, c "
			  "FROM events WHERE run = ?1 ORDER BY seq",
	[ST_RUN_EVENTS] = "SELECT events, event_hash, has_events FROM runs "
			  "WHERE id = ?1",
	[ST_PAGE] = "SELECT id FROM runs WHERE id > ?1 ORDER BY id LIMIT ?2",
};

struct trace_db {
	sqlite3 *sql;
	char *path;
	bool writable;
	s64 wait_ms;	 /* longest wait for a lock (busy_wait) */
	s64 wait_start;	 /* when the current wait began */
	u32 wait_jitter; /* spreads the retries of several writers */
	int sql_rc;	 /* the SQLite code of the last failure */
	bool in_batch;
	sqlite3_stmt *st[ST_COUNT];
	u8 *scratch; /* the choices blob being written */
	size_t scratch_len;
	char err[512];
};

static int vfail(struct trace_db *db, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int vfail(struct trace_db *db, int code, const char *fmt, va_list ap)
{
	int n = snprintf(db->err, sizeof(db->err), "%s: ", db->path);

	if (n < 0 || (size_t)n >= sizeof(db->err))
		n = 0;
	vsnprintf(db->err + n, sizeof(db->err) - (size_t)n, fmt, ap);
	return code;
}

/* Records the message of a failed call; returns code. */
static int fail(struct trace_db *db, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct trace_db *db, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vfail(db, code, fmt, ap);
	va_end(ap);
	return code;
}

/* "run N: ..." for an impossible value in the file. */
static int corrupt(struct trace_db *db, s64 id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int corrupt(struct trace_db *db, s64 id, const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(db, TRACE_ECORRUPT, "run %" PRId64 ": %s", id, what);
}

/* Maps an SQLite failure to a trace_error with a message saying what
 * went wrong and while doing what. */
static int sql_fail(struct trace_db *db, const char *what, int rc)
{
	const char *msg =
		db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc);

	db->sql_rc = rc;
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
		return fail(db, TRACE_ECORRUPT,
			    "%s: the file is corrupt or truncated (%s)", what,
			    msg);
	case SQLITE_NOTADB:
		return fail(db, TRACE_ENOTTRACE,
			    "not a ringside trace (%s: %s)", what, msg);
	case SQLITE_TOOBIG:
		return fail(db, TRACE_ECORRUPT,
			    "%s: a value in the file is too big (%s)", what,
			    msg);
	case SQLITE_NOMEM:
		return fail(db, TRACE_ENOMEM, "%s: out of memory", what);
	case SQLITE_READONLY:
		return fail(db, TRACE_EIO, "%s: the file is read only (%s)",
			    what, msg);
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return fail(db, TRACE_EIO, "%s: %s (%s)", what, msg,
			    db->sql && sqlite3_system_errno(db->sql)
				    ? strerror(sqlite3_system_errno(db->sql))
				    : "no system error");
	default:
		return fail(db, TRACE_EIO, "%s: %s", what, msg);
	}
}

static s64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The busy handler: another connection holds the lock. Sleep and try
 * again, backing off from 1 ms to BUSY_SLEEP_MAX_MS with a little jitter
 * (so that writers that wait together do not retry in lockstep), until
 * db->wait_ms have passed. Writers hold the lock for short transactions
 * only, so a waiter gets it between two of them.
 */
#define BUSY_SLEEP_MAX_MS 25
static int busy_wait(void *ctx, int count)
{
	struct trace_db *db = ctx;
	long sleep_ms;

	if (count == 0)
		db->wait_start = now_ms();
	if (now_ms() - db->wait_start >= db->wait_ms)
		return 0;
	sleep_ms = count < 5 ? 1L << count : BUSY_SLEEP_MAX_MS;
	db->wait_jitter = db->wait_jitter * 1103515245u + 12345u;
	sleep_ms += (long)(db->wait_jitter >> 16) % (sleep_ms / 2 + 1);
	pause_ms(sleep_ms);
	return 1;
}

/* Steps a statement that returns no rows. SQLITE_BUSY that the busy
 * handler is not asked about (e.g. during WAL recovery) is retried until
 * the handle's wait has passed. */
static int step_done_wait(sqlite3_stmt *st, s64 wait_ms)
{
	s64 start = now_ms();
	int rc;

	for (;;) {
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if ((rc & 0xff) != SQLITE_BUSY || now_ms() - start > wait_ms)
			break;
		pause_ms(1);
	}
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int step_done(sqlite3_stmt *st)
{
	return step_done_wait(st, TRACE_BUSY_TIMEOUT_MS);
}

static int exec_sql(struct trace_db *db, const char *sql, const char *what)
{
	s64 start = now_ms();
	int rc;

	for (;;) {
		rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY ||
		    now_ms() - start > db->wait_ms)
			break;
		pause_ms(1);
	}
	return rc == SQLITE_OK ? 0 : sql_fail(db, what, rc);
}

/* One integer from a query (a pragma, a count). */
static int query_int(struct trace_db *db, const char *sql, s64 *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : sql_fail(db, sql, rc);
}

/* ---- the schema ---------------------------------------------------- */

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" uid TEXT NOT NULL,"
	" seed INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" config TEXT NOT NULL,"
	" device TEXT NOT NULL,"
	" mode INTEGER NOT NULL,"
	" choices BLOB,"
	" input BLOB,"
	" outcome TEXT NOT NULL,"
	" oracle TEXT,"
	" message TEXT,"
	" fail_step INTEGER NOT NULL,"
	" steps INTEGER NOT NULL,"
	" events INTEGER NOT NULL,"
	" choice_count INTEGER NOT NULL,"
	" event_hash INTEGER NOT NULL,"
	" duration_us INTEGER NOT NULL,"
	" parent INTEGER,"
	" has_events INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX runs_uid ON runs(uid);"
	"CREATE INDEX runs_outcome ON runs(outcome, oracle);"
	"CREATE INDEX runs_source ON runs(source);"
	"CREATE TABLE events("
	" run INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" step INTEGER NOT NULL,"
	" actor INTEGER NOT NULL,"
	" kind INTEGER NOT NULL,"
	" queue INTEGER NOT NULL,"
	" a INTEGER NOT NULL,"
	" b INTEGER NOT NULL,"
	" c INTEGER NOT NULL,"
	" PRIMARY KEY(run, seq)) WITHOUT ROWID;"
	"CREATE TABLE behaviours("
	" run INTEGER NOT NULL,"
	" behaviour INTEGER NOT NULL,"
	" rate INTEGER NOT NULL,"
	" fired INTEGER NOT NULL,"
	" PRIMARY KEY(run, behaviour)) WITHOUT ROWID;"
	"CREATE VIEW failures_by_oracle AS"
	" SELECT oracle, count(*) AS runs FROM runs WHERE outcome = 'fail'"
	" GROUP BY oracle ORDER BY runs DESC, oracle;"
	"INSERT INTO meta(key, value) VALUES('created_by', 'ringside');";

/* runs_per_behaviour names each behaviour from the catalogue as it was
 * when the file was created (the numbers are the catalogue's order). */
static int create_behaviour_view(struct trace_db *db)
{
	char *sql, *next;
	int b, rc;

	sql = sqlite3_mprintf("CREATE VIEW runs_per_behaviour AS SELECT"
			      " CASE behaviour");
	for (b = 0; sql && b < ADV_COUNT; b++) {
		next = sqlite3_mprintf("%s WHEN %d THEN %Q", sql, b,
				       adv_info((enum adv_behaviour)b)->name);
		sqlite3_free(sql);
		sql = next;
	}
	if (sql) {
		next = sqlite3_mprintf(
			"%s ELSE 'behaviour-' || behaviour END AS name,"
			" sum(rate > 0) AS runs_enabled,"
			" sum(fired != 0) AS runs_fired,"
			" sum(fired) AS fired"
			" FROM behaviours GROUP BY behaviour"
			" ORDER BY behaviour",
			sql);
		sqlite3_free(sql);
		sql = next;
	}
	if (!sql)
		return fail(db, TRACE_ENOMEM, "out of memory");
	rc = exec_sql(db, sql, "creating the schema");
	sqlite3_free(sql);
	return rc;
}

/*
 * Names for sqlite3 users: actor_names, kind_names and behaviour_names
 * (the numbers of events and behaviours in this build's catalogues) and
 * the view events_named. Made by every writer that finds them missing
 * (files of before they existed get them on their next write).
 */
static const char *name_or(const char *name)
{
	return name ? name : "unnamed";
}

static int create_names(struct trace_db *db)
{
	s64 have = 0;
	char *sql;
	unsigned int i;
	int rc;

	rc = query_int(db,
		       "SELECT count(*) FROM sqlite_master WHERE name = "
		       "'events_named'",
		       &have);
	if (rc || have)
		return rc;
	rc = exec_sql(db, "BEGIN IMMEDIATE", "naming");
	if (rc)
		return rc;
	rc = exec_sql(
		db,
		"CREATE TABLE IF NOT EXISTS actor_names(actor INTEGER "
		"PRIMARY KEY, name TEXT NOT NULL);"
		"CREATE TABLE IF NOT EXISTS kind_names(kind INTEGER PRIMARY "
		"KEY, name TEXT NOT NULL);"
		"CREATE TABLE IF NOT EXISTS behaviour_names(behaviour INTEGER "
		"PRIMARY KEY, name TEXT NOT NULL, legal INTEGER NOT NULL);"
		"CREATE VIEW IF NOT EXISTS events_named AS SELECT e.run, "
		"e.seq, e.step, coalesce(a.name, e.actor) AS actor, "
		"coalesce(k.name, e.kind) AS kind, e.queue, e.a, e.b, e.c "
		"FROM events e LEFT JOIN actor_names a ON a.actor = e.actor "
		"LEFT JOIN kind_names k ON k.kind = e.kind;"
		"CREATE VIEW IF NOT EXISTS behaviours_named AS SELECT b.run, "
		"coalesce(n.name, b.behaviour) AS behaviour, b.rate, b.fired "
		"FROM behaviours b LEFT JOIN behaviour_names n ON "
		"n.behaviour = b.behaviour;",
		"naming");
	for (i = 0; rc == 0 && i < SIM_ACTOR_COUNT; i++) {
		sql = sqlite3_mprintf("INSERT OR IGNORE INTO actor_names "
				      "VALUES(%u, %Q)",
				      i, name_or(sim_actor_name((u16)i)));
		rc = sql ? exec_sql(db, sql, "naming")
			 : fail(db, TRACE_ENOMEM, "out of memory");
		sqlite3_free(sql);
	}
	for (i = 0; rc == 0 && i < SIM_EV_COUNT; i++) {
		sql = sqlite3_mprintf("INSERT OR IGNORE INTO kind_names "
				      "VALUES(%u, %Q)",
				      i, name_or(sim_event_kind_name((u16)i)));
		rc = sql ? exec_sql(db, sql, "naming")
			 : fail(db, TRACE_ENOMEM, "out of memory");
		sqlite3_free(sql);
	}
	for (i = 0; rc == 0 && i < ADV_COUNT; i++) {
		const struct adv_info *info = adv_info((enum adv_behaviour)i);

		sql = sqlite3_mprintf("INSERT OR IGNORE INTO behaviour_names "
				      "VALUES(%u, %Q, %d)",
				      i, info->name, info->legal ? 1 : 0);
		rc = sql ? exec_sql(db, sql, "naming")
			 : fail(db, TRACE_ENOMEM, "out of memory");
		sqlite3_free(sql);
	}
	if (rc == 0)
		return exec_sql(db, "COMMIT", "naming");
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Creates the schema in an empty file, unless another process did so
 * while this one waited for the write lock. */
static int create_schema(struct trace_db *db)
{
	char sql[160];
	s64 objects;
	int rc;

	rc = exec_sql(db, "BEGIN IMMEDIATE", "creating the schema");
	if (rc)
		return rc;
	rc = query_int(db, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc == 0 && objects == 0) {
		rc = exec_sql(db, schema_sql, "creating the schema");
		if (rc == 0)
			rc = create_behaviour_view(db);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO meta(key, value) VALUES("
			 "'schema_version', '%d');"
			 "PRAGMA application_id = %d; PRAGMA user_version = %d",
			 TRACE_SCHEMA_VERSION, TRACE_APPLICATION_ID,
			 TRACE_SCHEMA_VERSION);
		if (rc == 0)
			rc = exec_sql(db, sql, "creating the schema");
	}
	if (rc == 0)
		return exec_sql(db, "COMMIT", "creating the schema");
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---- open and close ------------------------------------------------ */

/*
 * A writer makes an older file the current version before it writes:
 * version 2 only adds has_events 2, so the tables stay as they are, but
 * a ringside that reads version 1 must refuse the file rather than meet
 * a value it calls corrupt. Another writer may have done it meanwhile.
 */
static int upgrade_schema(struct trace_db *db)
{
	char sql[160];
	s64 version = 0;
	int rc;

	rc = exec_sql(db, "BEGIN IMMEDIATE", "upgrading the schema");
	if (rc)
		return rc;
	rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == 0 && version < TRACE_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql),
			 "UPDATE meta SET value = '%d' WHERE key = "
			 "'schema_version'; PRAGMA user_version = %d",
			 TRACE_SCHEMA_VERSION, TRACE_SCHEMA_VERSION);
		rc = exec_sql(db, sql, "upgrading the schema");
	}
	if (rc == 0)
		return exec_sql(db, "COMMIT", "upgrading the schema");
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Is it ours, and of our version? Creates the schema in an empty file
 * when asked to. */
static int check_identity(struct trace_db *db, int flags)
{
	s64 app, version, objects, runs;
	int rc;

	/* one read transaction: a file another process is creating is
	 * seen before or after, never half made */
	rc = exec_sql(db, "BEGIN", "opening");
	if (rc == 0)
		rc = query_int(db, "PRAGMA application_id", &app);
	if (rc == 0)
		rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == 0)
		rc = query_int(db, "SELECT count(*) FROM sqlite_master",
			       &objects);
	sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
	if (rc)
		return rc;
	if (objects == 0 && app == 0 && version == 0) {
		if (flags != TRACE_CREATE)
			return fail(db, TRACE_ENOTTRACE,
				    "not a ringside trace (an empty file)");
		rc = create_schema(db);
		if (rc == 0)
			rc = query_int(db, "PRAGMA application_id", &app);
		if (rc == 0)
			rc = query_int(db, "PRAGMA user_version", &version);
		if (rc)
			return rc;
	}
	if (app != TRACE_APPLICATION_ID)
		return fail(db, TRACE_ENOTTRACE,
			    "not a ringside trace (application_id 0x%08" PRIx32
			    ", a trace has 0x%08x)",
			    (u32)app, TRACE_APPLICATION_ID);
	if (version < TRACE_SCHEMA_OLDEST || version > TRACE_SCHEMA_VERSION)
		return fail(db, TRACE_EVERSION,
			    "schema version %" PRId64
			    ", this ringside reads versions %d to %d",
			    version, TRACE_SCHEMA_OLDEST, TRACE_SCHEMA_VERSION);
	rc = query_int(db,
		       "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
		       " AND name = 'runs'",
		       &runs);
	if (rc)
		return rc;
	if (runs != 1)
		return fail(db, TRACE_ENOTTRACE,
			    "not a ringside trace (no runs table)");
	if (flags != TRACE_READ && version < TRACE_SCHEMA_VERSION)
		return upgrade_schema(db);
	return 0;
}

static int prepare_all(struct trace_db *db)
{
	int i, rc;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(db->sql, stmt_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &db->st[i],
					NULL);
		if (rc == SQLITE_ERROR)
			return fail(db, TRACE_ENOTTRACE,
				    "not a ringside trace (%s)",
				    sqlite3_errmsg(db->sql));
		if (rc != SQLITE_OK)
			return sql_fail(db, "preparing statements", rc);
	}
	return 0;
}

/* "file:PATH?immutable=1" with PATH percent-encoded, sqlite3_free'd. */
static char *immutable_uri(const char *path)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-._~";
	size_t i, n = strlen(path);
	char *uri = sqlite3_malloc64(n * 3 + 32), *p = uri;

	if (!uri)
		return NULL;
	p += sprintf(p, "file:");
	for (i = 0; i < n; i++) {
		if (strchr(keep, path[i]))
			*p++ = path[i];
		else
			p += sprintf(p, "%%%02X", (unsigned char)path[i]);
	}
	strcpy(p, "?immutable=1");
	return uri;
}

/*
 * A reader opens the file read-write with writes refused (query_only):
 * read-only SQLite connections cannot remove the -wal and -shm files
 * that WAL needs, a read-write one removes them at close when it is the
 * last. Where that cannot work (a read-only file or folder: no -shm can
 * be made) it opens the file immutable: nobody can be writing it.
 */
static int open_sqlite(struct trace_db *db, int flags, bool immutable)
{
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, rc;
	char *uri = NULL;

	if (flags == TRACE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (immutable) {
		uri = immutable_uri(db->path);
		if (!uri)
			return fail(db, TRACE_ENOMEM, "out of memory");
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			 SQLITE_OPEN_NOMUTEX;
	}
	rc = sqlite3_open_v2(uri ? uri : db->path, &db->sql, oflags, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK)
		return sql_fail(db, "opening", rc);
	sqlite3_extended_result_codes(db->sql, 1);
	db->wait_ms = flags == TRACE_READ ? TRACE_BUSY_TIMEOUT_MS
					  : TRACE_WRITE_WAIT_MS;
	db->wait_jitter = (u32)getpid();
	sqlite3_busy_handler(db->sql, busy_wait, db);
	sqlite3_limit(db->sql, SQLITE_LIMIT_LENGTH, TRACE_LENGTH_LIMIT);
	/* The file is untrusted: no schema-defined side effects. */
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	/* Readers meet hostile files (show, replay, merge's sources): check
	 * every b-tree cell as it is read. A writer pays for that on every
	 * insert (about 20% of the recording rate), and still gets SQLite's
	 * own corruption checks. */
	rc = flags == TRACE_READ ? exec_sql(db,
					    "PRAGMA query_only = ON;"
					    "PRAGMA cell_size_check = ON",
					    "opening")
				 : 0;
	if (rc == 0)
		rc = check_identity(db, flags);
	if (rc == 0 && flags != TRACE_READ) {
		db->writable = true;
		rc = exec_sql(db,
			      "PRAGMA journal_mode = WAL;"
			      "PRAGMA synchronous = NORMAL",
			      "switching to WAL");
		if (rc == 0)
			rc = create_names(db);
	}
	if (rc == 0)
		rc = prepare_all(db);
	return rc;
}

static void close_sqlite(struct trace_db *db)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(db->st[i]);
		db->st[i] = NULL;
	}
	sqlite3_close(db->sql);
	db->sql = NULL;
}

static int open_file(struct trace_db *db, int flags)
{
	struct stat sb;
	int rc;

	if (stat(db->path, &sb) != 0) {
		if (errno != ENOENT)
			return fail(db, TRACE_EIO, "%s", strerror(errno));
		if (flags != TRACE_CREATE)
			return fail(db, TRACE_EIO, "no such file");
	} else if (S_ISDIR(sb.st_mode)) {
		return fail(db, TRACE_EIO, "is a directory");
	}
	rc = open_sqlite(db, flags, false);
	if (rc && flags == TRACE_READ &&
	    ((db->sql_rc & 0xff) == SQLITE_READONLY ||
	     (db->sql_rc & 0xff) == SQLITE_CANTOPEN)) {
		close_sqlite(db);
		rc = open_sqlite(db, flags, true);
	}
	return rc;
}

int trace_open(const char *path, int flags, struct trace_db **out, char *err,
	       size_t errlen)
{
	struct trace_db *db;
	int rc;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path || !out ||
	    (flags != TRACE_READ && flags != TRACE_WRITE &&
	     flags != TRACE_CREATE)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: bad arguments to trace_open",
				 path ? path : "(null)");
		return TRACE_EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (db)
		db->path = strdup(path);
	if (!db || !db->path) {
		free(db);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return TRACE_ENOMEM;
	}
	rc = open_file(db, flags);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s", db->err);
		trace_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void trace_close(struct trace_db *db)
{
	if (!db)
		return;
	/* An open batch is lost, as if the process had died. */
	if (db->sql && db->in_batch)
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	close_sqlite(db);
	free(db->scratch);
	free(db->path);
	free(db);
}

const char *trace_errmsg(const struct trace_db *db)
{
	return db ? db->err : "no trace";
}

const char *trace_source_name(enum trace_source source)
{
	return (unsigned int)source < TRACE_SOURCE_COUNT ? source_names[source]
							 : NULL;
}

bool trace_run_regenerable(const struct trace_run *run)
{
	switch (run->source) {
	case TRACE_SOURCE_SIM:
	case TRACE_SOURCE_LIBFUZZER:
	case TRACE_SOURCE_AFL:
	case TRACE_SOURCE_REPLAY:
	case TRACE_SOURCE_MINIMISE:
		break;
	default:
		return false;
	}
	return run->mode != 0 &&
	       !(run->failed && (strcmp(run->oracle, "crash") == 0 ||
				 strcmp(run->oracle, "hang") == 0));
}

enum trace_source trace_source_lookup(const char *name)
{
	int i;

	for (i = 0; name && i < TRACE_SOURCE_COUNT; i++)
		if (strcmp(name, source_names[i]) == 0)
			return (enum trace_source)i;
	return TRACE_SOURCE_COUNT;
}

int trace_file_bytes(struct trace_db *db, u64 *bytes)
{
	s64 pages = 0, page_size = 0;
	int rc = query_int(db, "PRAGMA page_count", &pages);

	if (rc == 0)
		rc = query_int(db, "PRAGMA page_size", &page_size);
	*bytes = rc == 0 ? (u64)pages * (u64)page_size : 0;
	return rc;
}

/* ---- transactions -------------------------------------------------- */

static int need_writable(struct trace_db *db)
{
	if (!db)
		return TRACE_EINVAL;
	if (!db->writable)
		return fail(db, TRACE_EINVAL, "opened read only");
	return 0;
}

static int begin_immediate(struct trace_db *db)
{
	int rc = step_done_wait(db->st[ST_BEGIN], db->wait_ms);

	if ((rc & 0xff) == SQLITE_BUSY)
		return fail(db, TRACE_EBUSY,
			    "another process kept the file locked for %" PRId64
			    " s",
			    db->wait_ms / 1000);
	return rc ? sql_fail(db, "beginning a transaction", rc) : 0;
}

static int commit(struct trace_db *db)
{
	int rc = step_done(db->st[ST_COMMIT]);

	if (rc == SQLITE_OK)
		return 0;
	rc = sql_fail(db, "committing", rc);
	if (!sqlite3_get_autocommit(db->sql))
		step_done(db->st[ST_ROLLBACK]);
	return rc;
}

int trace_begin(struct trace_db *db)
{
	int rc = need_writable(db);

	if (rc)
		return rc;
	if (db->in_batch)
		return fail(db, TRACE_EINVAL, "a batch is already open");
	rc = begin_immediate(db);
	if (rc == 0)
		db->in_batch = true;
	return rc;
}

int trace_commit(struct trace_db *db)
{
	if (!db)
		return TRACE_EINVAL;
	if (!db->in_batch)
		return fail(db, TRACE_EINVAL, "no batch is open");
	db->in_batch = false;
	return commit(db);
}

int trace_rollback(struct trace_db *db)
{
	int rc;

	if (!db)
		return TRACE_EINVAL;
	if (!db->in_batch)
		return fail(db, TRACE_EINVAL, "no batch is open");
	db->in_batch = false;
	if (sqlite3_get_autocommit(db->sql))
		return 0; /* SQLite rolled it back already */
	rc = step_done(db->st[ST_ROLLBACK]);
	return rc ? sql_fail(db, "rolling back", rc) : 0;
}

/* Runs fn inside a transaction: the caller's batch (under a savepoint, so
 * that a failure undoes only this call) or one of its own. */
static int in_transaction(struct trace_db *db,
			  int (*fn)(struct trace_db *db, void *ctx), void *ctx)
{
	bool own = !db->in_batch;
	int rc;

	if (own) {
		rc = begin_immediate(db);
		if (rc)
			return rc;
	} else {
		rc = step_done(db->st[ST_SAVEPOINT]);
		if (rc)
			return sql_fail(db, "opening a savepoint", rc);
	}
	rc = fn(db, ctx);
	if (own && rc == 0)
		return commit(db);
	if (own) {
		step_done(db->st[ST_ROLLBACK]);
		return rc;
	}
	if (rc == 0) {
		rc = step_done(db->st[ST_RELEASE]);
		if (rc == SQLITE_OK)
			return 0;
		rc = sql_fail(db, "releasing a savepoint", rc);
	}
	if (sqlite3_get_autocommit(db->sql)) {
		/* an I/O error or a full disk undid the whole batch */
		db->in_batch = false;
		return rc;
	}
	step_done(db->st[ST_ROLLBACK_TO]);
	step_done(db->st[ST_RELEASE]);
	return rc;
}

/* ---- writing ------------------------------------------------------- */

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int check_run(struct trace_db *db, const struct trace_run *run,
		     const struct event_log *log)
{
	if ((unsigned int)run->source >= TRACE_SOURCE_COUNT)
		return fail(db, TRACE_EINVAL, "unknown source %d",
			    (int)run->source);
	if (run->mode < 0 || run->mode > 2)
		return fail(db, TRACE_EINVAL, "mode %d is not 0, 1 or 2",
			    run->mode);
	if (!run->choices != !run->nchoices ||
	    run->nchoices > TRACE_CHOICES_MAX)
		return fail(db, TRACE_EINVAL, "bad choices (%zu)",
			    run->nchoices);
	if (!run->input != !run->input_len || run->input_len > TRACE_INPUT_MAX)
		return fail(db, TRACE_EINVAL, "bad input (%zu bytes)",
			    run->input_len);
	if (!terminated(run->config, sizeof(run->config)) ||
	    !terminated(run->device, sizeof(run->device)) ||
	    !terminated(run->oracle, sizeof(run->oracle)) ||
	    !terminated(run->message, sizeof(run->message)))
		return fail(db, TRACE_EINVAL, "a string is not terminated");
	if (!run->device[0])
		return fail(db, TRACE_EINVAL, "no device");
	if (run->failed != (run->oracle[0] != '\0'))
		return fail(db, TRACE_EINVAL,
			    "a failed run needs an oracle, a passing one none");
	if (run->steps > TRACE_COUNT_MAX || run->events > TRACE_COUNT_MAX ||
	    run->choice_count > TRACE_COUNT_MAX ||
	    run->fail_step > TRACE_COUNT_MAX || run->duration_us < 0 ||
	    run->parent < 0)
		return fail(db, TRACE_EINVAL, "a count is out of range");
	if (!log && run->has_events == TRACE_EVENTS_REGENERATED &&
	    !trace_run_regenerable(run))
		return fail(db, TRACE_EINVAL,
			    "the events of a run cannot be regenerated "
			    "(source %s, mode %d, oracle '%s')",
			    source_names[run->source], run->mode, run->oracle);
	if (log && !event_log_complete(log))
		return fail(db, TRACE_EINVAL,
			    "the event log is incomplete: %zu of %" PRIu64
			    " events stored",
			    event_log_stored(log), event_log_count(log));
	if (log && (event_log_count(log) != run->events ||
		    event_log_hash(log) != run->event_hash))
		return fail(db, TRACE_EINVAL,
			    "the event log (%" PRIu64
			    " events, hash %016" PRIx64
			    ") is not the run's (%" PRIu64 ", %016" PRIx64 ")",
			    event_log_count(log), event_log_hash(log),
			    run->events, run->event_hash);
	return 0;
}

/* The choices as a blob of little-endian u64, in db->scratch. */
static int encode_choices(struct trace_db *db, const struct trace_run *run)
{
	size_t i, len = run->nchoices * 8;
	int k;

	if (len > db->scratch_len) {
		u8 *p = realloc(db->scratch, len);

		if (!p)
			return fail(db, TRACE_ENOMEM, "out of memory");
		db->scratch = p;
		db->scratch_len = len;
	}
	for (i = 0; i < run->nchoices; i++)
		for (k = 0; k < 8; k++)
			db->scratch[i * 8 + (size_t)k] =
				(u8)(run->choices[i] >> (8 * k));
	return 0;
}

static u64 fnv_bytes(u64 h, const void *data, size_t n)
{
	const u8 *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static u64 fnv_u64(u64 h, u64 v)
{
	u8 b[8];
	int k;

	for (k = 0; k < 8; k++)
		b[k] = (u8)(v >> (8 * k));
	return fnv_bytes(h, b, sizeof(b));
}

/* FNV-1a 64 over what makes the run, each part length-prefixed so that
 * no two different runs share an encoding. */
static void run_uid(const struct trace_db *db, const struct trace_run *run,
		    char uid[17])
{
	const char *source = source_names[run->source];
	u64 h = EVENT_HASH_INIT;

	h = fnv_u64(h, strlen(source));
	h = fnv_bytes(h, source, strlen(source));
	h = fnv_u64(h, run->seed);
	h = fnv_u64(h, strlen(run->config));
	h = fnv_bytes(h, run->config, strlen(run->config));
	h = fnv_u64(h, run->nchoices * 8);
	h = fnv_bytes(h, db->scratch, run->nchoices * 8);
	h = fnv_u64(h, run->input_len);
	if (run->input_len)
		h = fnv_bytes(h, run->input, run->input_len);
	h = fnv_u64(h, run->event_hash);
	snprintf(uid, 17, "%016" PRIx64, h);
}

static int insert_events(struct trace_db *db, s64 id,
			 const struct event_log *log)
{
	sqlite3_stmt *st = db->st[ST_INS_EVENT];
	size_t i, n = event_log_stored(log);
	int rc;

	/* bindings survive sqlite3_reset: the run is bound once */
	sqlite3_bind_int64(st, 1, id);
	for (i = 0; i < n; i++) {
		const struct sim_event *ev = &log->events[i];

		if (ev->seq != (u32)i)
			return fail(db, TRACE_EINVAL,
				    "event %zu has seq %" PRIu32, i, ev->seq);
		sqlite3_bind_int64(st, 2, (s64)i);
		sqlite3_bind_int64(st, 3, ev->step);
		sqlite3_bind_int(st, 4, ev->actor);
		sqlite3_bind_int(st, 5, ev->kind);
		sqlite3_bind_int(st, 6, ev->queue);
		sqlite3_bind_int64(st, 7, (s64)ev->a);
		sqlite3_bind_int64(st, 8, (s64)ev->b);
		sqlite3_bind_int64(st, 9, (s64)ev->c);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sql_fail(db, "storing events", rc);
	}
	return 0;
}

static int insert_behaviours(struct trace_db *db, s64 id,
			     const struct trace_run *run)
{
	sqlite3_stmt *st = db->st[ST_INS_BEH];
	int b, rc;

	sqlite3_bind_int64(st, 1, id);
	for (b = 0; b < ADV_COUNT; b++) {
		if (!run->rate[b] && !run->fired[b])
			continue;
		sqlite3_bind_int(st, 2, b);
		sqlite3_bind_int64(st, 3, run->rate[b]);
		sqlite3_bind_int64(st, 4, (s64)run->fired[b]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sql_fail(db, "storing behaviours", rc);
	}
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, bool null_empty)
{
	if (null_empty && !*s)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void bind_run(struct trace_db *db, const struct trace_run *run,
		     const char *uid, enum trace_events where)
{
	sqlite3_stmt *st = db->st[ST_INS_RUN];

	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (s64)run->seed);
	bind_text(st, 3, source_names[run->source], false);
	bind_text(st, 4, run->config, false);
	bind_text(st, 5, run->device, false);
	sqlite3_bind_int(st, 6, run->mode);
	if (run->nchoices)
		sqlite3_bind_blob64(st, 7, db->scratch, run->nchoices * 8,
				    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	if (run->input_len)
		sqlite3_bind_blob64(st, 8, run->input, run->input_len,
				    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	bind_text(st, 9, run->failed ? "fail" : "pass", false);
	bind_text(st, 10, run->oracle, true);
	bind_text(st, 11, run->message, false);
	sqlite3_bind_int64(st, 12, (s64)run->fail_step);
	sqlite3_bind_int64(st, 13, (s64)run->steps);
	sqlite3_bind_int64(st, 14, (s64)run->events);
	sqlite3_bind_int64(st, 15, (s64)run->choice_count);
	sqlite3_bind_int64(st, 16, (s64)run->event_hash);
	sqlite3_bind_int64(st, 17, run->duration_us);
	if (run->parent)
		sqlite3_bind_int64(st, 18, run->parent);
	else
		sqlite3_bind_null(st, 18);
	sqlite3_bind_int(st, 19, (int)where);
}

struct add_ctx {
	struct trace_run *run;
	const struct event_log *log;
	bool inserted;
};

/* Inserts the run unless its uid is there; then its behaviours and
 * events. A run already stored without events gets them now. */
static int add_locked(struct trace_db *db, void *ctx)
{
	struct add_ctx *a = ctx;
	sqlite3_stmt *st = db->st[ST_FIND_UID];
	enum trace_events where =
		a->log ? TRACE_EVENTS_STORED
		: a->run->has_events == TRACE_EVENTS_REGENERATED
			? TRACE_EVENTS_REGENERATED
			: TRACE_EVENTS_NONE;
	char uid[17];
	s64 id = 0, has = 0;
	int rc;

	a->inserted = false;
	run_uid(db, a->run, uid);
	bind_run(db, a->run, uid, where);
	rc = sqlite3_step(db->st[ST_INS_RUN]);
	sqlite3_reset(db->st[ST_INS_RUN]);
	sqlite3_clear_bindings(db->st[ST_INS_RUN]);
	if (rc != SQLITE_DONE)
		return sql_fail(db, "storing a run", rc);
	if (sqlite3_changes(db->sql) == 1) {
		id = sqlite3_last_insert_rowid(db->sql);
		a->inserted = true;
		rc = insert_behaviours(db, id, a->run);
		if (rc == 0 && a->log)
			rc = insert_events(db, id, a->log);
	} else {
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
		    sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
			id = sqlite3_column_int64(st, 0);
			has = sqlite3_column_int64(st, 1);
			where = has == TRACE_EVENTS_STORED ||
						has == TRACE_EVENTS_REGENERATED
					? (enum trace_events)has
					: TRACE_EVENTS_NONE;
			rc = 0;
		} else {
			rc = rc == SQLITE_ROW || rc == SQLITE_DONE
				     ? fail(db, TRACE_EIO,
					    "run %s was neither stored nor "
					    "found",
					    uid)
				     : sql_fail(db, "finding a run", rc);
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc == 0 && has != TRACE_EVENTS_STORED && a->log) {
			where = TRACE_EVENTS_STORED;
			rc = insert_events(db, id, a->log);
			sqlite3_bind_int64(db->st[ST_SET_HAS_EVENTS], 1, id);
			if (rc == 0 &&
			    (rc = step_done(db->st[ST_SET_HAS_EVENTS])))
				rc = sql_fail(db, "storing a run", rc);
		}
	}
	if (rc == 0) {
		a->run->id = id;
		a->run->has_events = where;
	}
	return rc;
}

static int add_run(struct trace_db *db, struct trace_run *run,
		   const struct event_log *log, bool *inserted)
{
	struct add_ctx a = { .run = run, .log = log };
	int rc = check_run(db, run, log);

	if (rc == 0)
		rc = encode_choices(db, run);
	if (rc == 0)
		rc = in_transaction(db, add_locked, &a);
	if (inserted)
		*inserted = rc == 0 && a.inserted;
	return rc;
}

int trace_add_run(struct trace_db *db, struct trace_run *run,
		  const struct event_log *log)
{
	int rc = need_writable(db);

	if (rc)
		return rc;
	if (!run)
		return fail(db, TRACE_EINVAL, "no run");
	return add_run(db, run, log, NULL);
}

/* ---- reading ------------------------------------------------------- */

static const char *type_name(int type)
{
	switch (type) {
	case SQLITE_INTEGER:
		return "an integer";
	case SQLITE_FLOAT:
		return "a real";
	case SQLITE_TEXT:
		return "text";
	case SQLITE_BLOB:
		return "a blob";
	default:
		return "null";
	}
}

static const char *const col_names[] = {
	[COL_ID] = "id",
	[COL_SEED] = "seed",
	[COL_SOURCE] = "source",
	[COL_CONFIG] = "config",
	[COL_DEVICE] = "device",
	[COL_MODE] = "mode",
	[COL_CHOICES] = "choices",
	[COL_INPUT] = "input",
	[COL_OUTCOME] = "outcome",
	[COL_ORACLE] = "oracle",
	[COL_MESSAGE] = "message",
	[COL_FAIL_STEP] = "fail_step",
	[COL_STEPS] = "steps",
	[COL_EVENTS] = "events",
	[COL_CHOICE_COUNT] = "choice_count",
	[COL_EVENT_HASH] = "event_hash",
	[COL_DURATION] = "duration_us",
	[COL_PARENT] = "parent",
	[COL_HAS_EVENTS] = "has_events",
};

/* A column that must hold an integer. */
static int col_int(struct trace_db *db, sqlite3_stmt *st, int col, s64 id,
		   const char *name, s64 *out)
{
	int type = sqlite3_column_type(st, col);

	if (type != SQLITE_INTEGER)
		return corrupt(db, id, "%s is %s, not an integer", name,
			       type_name(type));
	*out = sqlite3_column_int64(st, col);
	return 0;
}

/* An integer in [lo, hi]. */
static int col_range(struct trace_db *db, sqlite3_stmt *st, int col, s64 id,
		     const char *name, s64 lo, s64 hi, s64 *out)
{
	int rc = col_int(db, st, col, id, name, out);

	if (rc == 0 && (*out < lo || *out > hi))
		return corrupt(db, id,
			       "%s is %" PRId64 ", out of [%" PRId64
			       ", %" PRId64 "]",
			       name, *out, lo, hi);
	return rc;
}

static int col_count(struct trace_db *db, sqlite3_stmt *st, int col, s64 id,
		     u64 *out)
{
	s64 v = 0;
	int rc = col_range(db, st, col, id, col_names[col], 0,
			   (s64)TRACE_COUNT_MAX, &v);

	*out = (u64)v;
	return rc;
}

/* A text column into buf (n bytes, terminated); NULL reads as "" where
 * allowed. */
static int col_text(struct trace_db *db, sqlite3_stmt *st, int col, s64 id,
		    bool nullable, char *buf, size_t n)
{
	int type = sqlite3_column_type(st, col);
	const unsigned char *s;
	int len;

	buf[0] = '\0';
	if (type == SQLITE_NULL && nullable)
		return 0;
	if (type != SQLITE_TEXT)
		return corrupt(db, id, "%s is %s, not text", col_names[col],
			       type_name(type));
	s = sqlite3_column_text(st, col);
	len = sqlite3_column_bytes(st, col);
	if (!s)
		return fail(db, TRACE_ENOMEM, "out of memory");
	if (len < 0 || (size_t)len >= n)
		return corrupt(db, id, "%s is %d bytes long, at most %zu fit",
			       col_names[col], len, n - 1);
	if (memchr(s, '\0', (size_t)len))
		return corrupt(db, id, "%s holds a NUL byte", col_names[col]);
	memcpy(buf, s, (size_t)len);
	buf[len] = '\0';
	return 0;
}

/* A blob column of at most max bytes (a multiple of unit); *out is
 * malloc'd, NULL when the blob is NULL or empty. */
static int col_blob(struct trace_db *db, sqlite3_stmt *st, int col, s64 id,
		    size_t max, size_t unit, const u8 **out, size_t *len)
{
	int type = sqlite3_column_type(st, col);
	int n;

	*out = NULL;
	*len = 0;
	if (type == SQLITE_NULL)
		return 0;
	if (type != SQLITE_BLOB)
		return corrupt(db, id, "%s is %s, not a blob", col_names[col],
			       type_name(type));
	*out = sqlite3_column_blob(st, col);
	n = sqlite3_column_bytes(st, col);
	if (n < 0 || (size_t)n > max || (size_t)n % unit)
		return corrupt(db, id,
			       "%s is %d bytes: not a multiple of %zu up to "
			       "%zu",
			       col_names[col], n, unit, max);
	if (n > 0 && !*out)
		return fail(db, TRACE_ENOMEM, "out of memory");
	*len = (size_t)n;
	return 0;
}

static int decode_blobs(struct trace_db *db, sqlite3_stmt *st, s64 id,
			struct trace_run *run)
{
	const u8 *p;
	size_t len, i;
	int rc, k;

	rc = col_blob(db, st, COL_CHOICES, id, TRACE_CHOICES_MAX * 8, 8, &p,
		      &len);
	if (rc == 0 && len) {
		run->choices = malloc(len);
		if (!run->choices)
			return fail(db, TRACE_ENOMEM, "out of memory");
		run->nchoices = len / 8;
		for (i = 0; i < run->nchoices; i++) {
			u64 v = 0;

			for (k = 0; k < 8; k++)
				v |= (u64)p[i * 8 + (size_t)k] << (8 * k);
			run->choices[i] = v;
		}
	}
	if (rc == 0)
		rc = col_blob(db, st, COL_INPUT, id, TRACE_INPUT_MAX, 1, &p,
			      &len);
	if (rc == 0 && len) {
		run->input = malloc(len);
		if (!run->input)
			return fail(db, TRACE_ENOMEM, "out of memory");
		memcpy(run->input, p, len);
		run->input_len = len;
	}
	return rc;
}

static int decode_strings(struct trace_db *db, sqlite3_stmt *st, s64 id,
			  struct trace_run *run)
{
	char text[16];
	int rc;

	rc = col_text(db, st, COL_SOURCE, id, false, text, sizeof(text));
	if (rc == 0 &&
	    (run->source = trace_source_lookup(text)) == TRACE_SOURCE_COUNT)
		rc = corrupt(db, id, "unknown source '%s'", text);
	if (rc == 0)
		rc = col_text(db, st, COL_CONFIG, id, false, run->config,
			      sizeof(run->config));
	if (rc == 0)
		rc = col_text(db, st, COL_DEVICE, id, false, run->device,
			      sizeof(run->device));
	if (rc == 0 && !run->device[0])
		rc = corrupt(db, id, "device is empty");
	if (rc == 0)
		rc = col_text(db, st, COL_OUTCOME, id, false, text,
			      sizeof(text));
	if (rc == 0 && strcmp(text, "pass") && strcmp(text, "fail"))
		rc = corrupt(db, id, "outcome '%s' is neither pass nor fail",
			     text);
	run->failed = strcmp(text, "fail") == 0;
	if (rc == 0)
		rc = col_text(db, st, COL_ORACLE, id, true, run->oracle,
			      sizeof(run->oracle));
	if (rc == 0 && run->failed != (run->oracle[0] != '\0'))
		rc = corrupt(db, id, "a %s run with oracle '%s'",
			     run->failed ? "failed" : "passing", run->oracle);
	if (rc == 0)
		rc = col_text(db, st, COL_MESSAGE, id, true, run->message,
			      sizeof(run->message));
	return rc;
}

static int decode_numbers(struct trace_db *db, sqlite3_stmt *st, s64 id,
			  struct trace_run *run)
{
	s64 v = 0;
	int rc;

	rc = col_int(db, st, COL_SEED, id, "seed", &v);
	run->seed = (u64)v;
	if (rc == 0)
		rc = col_range(db, st, COL_MODE, id, "mode", 0, 2, &v);
	run->mode = (int)v;
	if (rc == 0)
		rc = col_count(db, st, COL_FAIL_STEP, id, &run->fail_step);
	if (rc == 0)
		rc = col_count(db, st, COL_STEPS, id, &run->steps);
	if (rc == 0)
		rc = col_count(db, st, COL_EVENTS, id, &run->events);
	if (rc == 0)
		rc = col_count(db, st, COL_CHOICE_COUNT, id,
			       &run->choice_count);
	if (rc == 0)
		rc = col_int(db, st, COL_EVENT_HASH, id, "event_hash", &v);
	run->event_hash = (u64)v;
	if (rc == 0)
		rc = col_range(db, st, COL_DURATION, id, "duration_us", 0,
			       INT64_MAX, &run->duration_us);
	if (rc == 0 && sqlite3_column_type(st, COL_PARENT) != SQLITE_NULL)
		rc = col_range(db, st, COL_PARENT, id, "parent", 1, INT64_MAX,
			       &run->parent);
	if (rc == 0)
		rc = col_range(db, st, COL_HAS_EVENTS, id, "has_events", 0,
			       TRACE_EVENTS_REGENERATED, &v);
	run->has_events = (enum trace_events)v;
	return rc;
}

/* Fills run from the row st is on; the blobs only when asked. */
static int decode_run(struct trace_db *db, sqlite3_stmt *st,
		      struct trace_run *run, bool blobs)
{
	s64 id = 0;
	int rc;

	memset(run, 0, sizeof(*run));
	rc = col_range(db, st, COL_ID, 0, "id", 1, INT64_MAX, &id);
	if (rc)
		return rc;
	run->id = id;
	rc = decode_strings(db, st, id, run);
	if (rc == 0)
		rc = decode_numbers(db, st, id, run);
	if (rc == 0 && blobs)
		rc = decode_blobs(db, st, id, run);
	if (rc == 0 && run->has_events == TRACE_EVENTS_REGENERATED &&
	    !trace_run_regenerable(run))
		rc = corrupt(db, id,
			     "has_events is 2 (regenerated) for a %s run of "
			     "mode %d that cannot be re-executed",
			     source_names[run->source], run->mode);
	return rc;
}

static int load_behaviours(struct trace_db *db, struct trace_run *run)
{
	sqlite3_stmt *st = db->st[ST_GET_BEH];
	bool seen[ADV_COUNT] = { false };
	s64 b, rate, fired;
	int rc;

	sqlite3_bind_int64(st, 1, run->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = col_range(db, st, 0, run->id, "behaviour", 0,
			       ADV_COUNT - 1, &b);
		if (rc == 0)
			rc = col_range(db, st, 1, run->id, "behaviour rate", 0,
				       UINT32_MAX, &rate);
		if (rc == 0)
			rc = col_int(db, st, 2, run->id, "behaviour fired",
				     &fired);
		if (rc == 0 && seen[b])
			rc = corrupt(db, run->id, "behaviour %" PRId64 " twice",
				     b);
		if (rc)
			break;
		seen[b] = true;
		run->rate[b] = (u32)rate;
		run->fired[b] = (u64)fired;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = sql_fail(db, "reading behaviours", rc);
	sqlite3_reset(st);
	return rc;
}

void trace_run_free(struct trace_run *run)
{
	if (!run)
		return;
	free(run->choices);
	free(run->input);
	run->choices = NULL;
	run->input = NULL;
	run->nchoices = 0;
	run->input_len = 0;
}

int trace_get_run(struct trace_db *db, s64 id, struct trace_run *run)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !run)
		return db ? fail(db, TRACE_EINVAL, "no run") : TRACE_EINVAL;
	memset(run, 0, sizeof(*run));
	st = db->st[ST_GET_RUN];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = decode_run(db, st, run, true);
	else if (rc == SQLITE_DONE)
		rc = fail(db, TRACE_ENOENT, "no run %" PRId64, id);
	else
		rc = sql_fail(db, "reading a run", rc);
	sqlite3_reset(st);
	if (rc == 0 && run->id != id)
		rc = corrupt(db, id, "the row says it is run %" PRId64,
			     run->id);
	if (rc == 0)
		rc = load_behaviours(db, run);
	if (rc)
		trace_run_free(run);
	return rc;
}

/* The run's event count and hash, and where its events are. */
static int run_event_row(struct trace_db *db, s64 id, u64 *count, u64 *hash,
			 s64 *has)
{
	sqlite3_stmt *st = db->st[ST_RUN_EVENTS];
	s64 v = 0;
	int rc;

	*has = 0;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = col_count(db, st, 0, id, count);
		if (rc == 0)
			rc = col_int(db, st, 1, id, "event_hash", &v);
		*hash = (u64)v;
		if (rc == 0)
			rc = col_range(db, st, 2, id, "has_events", 0,
				       TRACE_EVENTS_REGENERATED, has);
	} else if (rc == SQLITE_DONE) {
		rc = fail(db, TRACE_ENOENT, "no run %" PRId64, id);
	} else {
		rc = sql_fail(db, "reading a run", rc);
	}
	sqlite3_reset(st);
	return rc;
}

/* The run's event count and hash; TRACE_ENOENT unless its events are
 * stored. */
static int run_event_info(struct trace_db *db, s64 id, u64 *count, u64 *hash)
{
	s64 has = 0;
	int rc = run_event_row(db, id, count, hash, &has);

	if (rc == 0 && has == TRACE_EVENTS_REGENERATED)
		rc = fail(db, TRACE_ENOENT,
			  "run %" PRId64 " has no stored events (they "
			  "are regenerated from its seed or choices)",
			  id);
	else if (rc == 0 && has != TRACE_EVENTS_STORED)
		rc = fail(db, TRACE_ENOENT,
			  "run %" PRId64 " has no stored events", id);
	return rc;
}

/* One row of events, checked, appended to log. */
static int load_event(struct trace_db *db, sqlite3_stmt *st, s64 id,
		      u64 expected, struct event_log *log)
{
	s64 v[8];
	int rc, i;

	rc = col_range(db, st, 0, id, "event seq", 0, INT64_MAX, &v[0]);
	if (rc == 0 && (u64)v[0] != expected)
		return corrupt(db, id,
			       "event seq %" PRId64 " where %" PRIu64
			       " was expected",
			       v[0], expected);
	if (rc == 0)
		rc = col_range(db, st, 1, id, "event step", 0, UINT32_MAX,
			       &v[1]);
	if (rc == 0)
		rc = col_range(db, st, 2, id, "event actor", 0, UINT16_MAX,
			       &v[2]);
	if (rc == 0)
		rc = col_range(db, st, 3, id, "event kind", 0, UINT16_MAX,
			       &v[3]);
	if (rc == 0)
		rc = col_range(db, st, 4, id, "event queue", 0, UINT16_MAX,
			       &v[4]);
	for (i = 5; rc == 0 && i < 8; i++)
		rc = col_int(db, st, i, id, "event operand", &v[i]);
	if (rc)
		return rc;
	event_log_add(log, (u32)v[1], (u16)v[2], (u16)v[3], (u16)v[4],
		      (u64)v[5], (u64)v[6], (u64)v[7]);
	return 0;
}

int trace_get_events(struct trace_db *db, s64 id, struct event_log *log)
{
	sqlite3_stmt *st;
	u64 count = 0, hash = 0, n = 0;
	int rc;

	if (!db || !log)
		return db ? fail(db, TRACE_EINVAL, "no log") : TRACE_EINVAL;
	if (event_log_count(log) != 0)
		return fail(db, TRACE_EINVAL, "the event log is not empty");
	rc = run_event_info(db, id, &count, &hash);
	if (rc)
		return rc;
	if (count > log->capacity_max)
		return fail(db, TRACE_ENOMEM,
			    "run %" PRId64 ": %" PRIu64
			    " events do not fit a log of %zu",
			    id, count, log->capacity_max);
	st = db->st[ST_GET_EVENTS];
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == count) {
			rc = corrupt(db, id,
				     "more events stored than its %" PRIu64,
				     count);
			break;
		}
		rc = load_event(db, st, id, n, log);
		if (rc)
			break;
		n++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = sql_fail(db, "reading events", rc);
	sqlite3_reset(st);
	if (rc == 0 && n != count)
		rc = corrupt(db, id,
			     "%" PRIu64 " events stored, the run has %" PRIu64,
			     n, count);
	if (rc == 0 && !event_log_complete(log))
		rc = fail(db, TRACE_ENOMEM,
			  "run %" PRId64 ": the event log could not grow", id);
	if (rc == 0 && event_log_hash(log) != hash)
		rc = corrupt(db, id,
			     "the stored events hash to %016" PRIx64
			     ", the run says %016" PRIx64,
			     event_log_hash(log), hash);
	return rc;
}

/* ---- storing the events of a run already there ---------------------- */

struct store_ctx {
	s64 id;
	const struct event_log *log;
	bool stored; /* they were stored now */
};

static int store_events_locked(struct trace_db *db, void *ctx)
{
	struct store_ctx *c = ctx;
	u64 count = 0, hash = 0;
	s64 has = 0;
	int rc;

	rc = run_event_row(db, c->id, &count, &hash, &has);
	if (rc || has == TRACE_EVENTS_STORED)
		return rc; /* another writer may have stored them */
	if (event_log_count(c->log) != count || event_log_hash(c->log) != hash)
		return fail(db, TRACE_EINVAL,
			    "run %" PRId64 ": the events given (%" PRIu64
			    ", hash %016" PRIx64 ") are not the run's (%" PRIu64
			    ", %016" PRIx64 ")",
			    c->id, event_log_count(c->log),
			    event_log_hash(c->log), count, hash);
	rc = insert_events(db, c->id, c->log);
	if (rc)
		return rc;
	sqlite3_bind_int64(db->st[ST_SET_HAS_EVENTS], 1, c->id);
	rc = step_done(db->st[ST_SET_HAS_EVENTS]);
	if (rc)
		return sql_fail(db, "storing events", rc);
	c->stored = true;
	return 0;
}

int trace_store_events(struct trace_db *db, s64 id, const struct event_log *log,
		       bool *stored)
{
	struct store_ctx c = { .id = id, .log = log };
	int rc = need_writable(db);

	if (stored)
		*stored = false;
	if (rc)
		return rc;
	if (!log || !event_log_complete(log))
		return fail(db, TRACE_EINVAL,
			    "run %" PRId64 ": the event log is incomplete", id);
	rc = in_transaction(db, store_events_locked, &c);
	if (rc == 0 && stored)
		*stored = c.stored;
	return rc;
}

/* ---- listing ------------------------------------------------------- */

struct list_query {
	sqlite3_stmt *st;
	int after; /* parameter numbers of the page bounds */
	int last;
	int limit;
};

static int prepare_list(struct trace_db *db, const struct trace_filter *f,
			struct list_query *q)
{
	char sql[512];
	int n = 0, param = 0, rc;
	const char *const cols[] = { "outcome", "oracle", "source", "device" };
	const char *vals[4] = { NULL, NULL, NULL, NULL };
	int i;

	if (f) {
		vals[0] = f->outcome;
		vals[1] = f->oracle;
		vals[2] = f->source;
		vals[3] = f->device;
	}
	n = snprintf(sql, sizeof(sql),
		     "SELECT " RUN_COLS_HEAD "NULL, NULL, " RUN_COLS_TAIL
		     " FROM runs WHERE id > ?1 AND id <= ?2");
	for (i = 0; i < 4; i++)
		if (vals[i])
			n += snprintf(sql + n, sizeof(sql) - (size_t)n,
				      " AND %s = ?%d", cols[i], 3 + param++);
	snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY id LIMIT ?%d",
		 3 + param);
	assert((size_t)n < sizeof(sql) - 32);
	rc = sqlite3_prepare_v2(db->sql, sql, -1, &q->st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, "listing runs", rc);
	param = 0;
	for (i = 0; i < 4; i++)
		if (vals[i])
			sqlite3_bind_text(q->st, 3 + param++, vals[i], -1,
					  SQLITE_TRANSIENT);
	q->after = 1;
	q->last = 2;
	q->limit = 3 + param;
	return 0;
}

/* Reads up to max runs after *after into page; *got says how many. A
 * row that cannot be decoded stops the page with *bad its id (0: the
 * error is not one row's). */
static int read_page(struct trace_db *db, struct list_query *q, s64 *after,
		     s64 last, struct trace_run *page, int max, int *got,
		     s64 *bad)
{
	int rc;

	*got = 0;
	*bad = 0;
	sqlite3_bind_int64(q->st, q->after, *after);
	sqlite3_bind_int64(q->st, q->last, last);
	sqlite3_bind_int(q->st, q->limit, max);
	while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
		rc = decode_run(db, q->st, &page[*got], false);
		if (rc == 0 && page[*got].id <= *after)
			rc = corrupt(db, page[*got].id, "ids out of order");
		if (rc == TRACE_ECORRUPT && page[*got].id > *after)
			*bad = page[*got].id;
		if (rc)
			break;
		*after = page[*got].id;
		(*got)++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = sql_fail(db, "listing runs", rc);
	sqlite3_reset(q->st);
	return rc;
}

/* Calls fn on each good run of the page, damaged on a bad one. */
static int visit_page(struct trace_db *db, const struct trace_filter *f,
		      struct trace_run *page, int got,
		      int (*fn)(void *ctx, const struct trace_run *run),
		      void *ctx)
{
	int i, rc;

	for (i = 0; i < got; i++) {
		rc = load_behaviours(db, &page[i]);
		if (rc == TRACE_ECORRUPT && f && f->damaged)
			rc = f->damaged(ctx, page[i].id, db->err);
		else if (rc == 0)
			rc = fn(ctx, &page[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int trace_list_runs(struct trace_db *db, const struct trace_filter *filter,
		    int (*fn)(void *ctx, const struct trace_run *run),
		    void *ctx)
{
	struct list_query q = { NULL, 0, 0, 0 };
	struct trace_run *page;
	s64 after = 0, last = 0, seen = 0, limit, bad;
	int rc, got, max;

	if (!db || !fn)
		return db ? fail(db, TRACE_EINVAL, "no callback")
			  : TRACE_EINVAL;
	limit = filter ? filter->limit : 0;
	if (limit < 0)
		return fail(db, TRACE_EINVAL, "negative limit");
	/* runs added while listing (e.g. by fn) are not visited */
	rc = query_int(db, "SELECT max(id) FROM runs", &last);
	if (rc)
		return rc;
	page = calloc(TRACE_PAGE_RUNS, sizeof(*page));
	if (!page)
		return fail(db, TRACE_ENOMEM, "out of memory");
	rc = prepare_list(db, filter, &q);
	while (rc == 0 && (!limit || seen < limit)) {
		max = TRACE_PAGE_RUNS;
		if (limit && limit - seen < max)
			max = (int)(limit - seen);
		rc = read_page(db, &q, &after, last, page, max, &got, &bad);
		if (rc == TRACE_ECORRUPT && bad && filter && filter->damaged) {
			/* the good runs before it, it, then on after it */
			rc = visit_page(db, filter, page, got, fn, ctx);
			if (rc == 0)
				rc = filter->damaged(ctx, bad, db->err);
			after = bad;
			seen += got + 1;
			continue;
		}
		if (rc == 0)
			rc = visit_page(db, filter, page, got, fn, ctx);
		seen += got;
		if (got < max)
			break;
	}
	sqlite3_finalize(q.st);
	free(page);
	return rc;
}

/* ---- merging ------------------------------------------------------- */

struct merge_entry {
	s64 src_id, dst_id, src_parent;
	bool inserted;
};

struct merge_ctx {
	struct trace_db *src;
	struct merge_entry *map;
	size_t n, cap;
	u64 added;
};

static int merge_error(struct trace_db *db, struct trace_db *src, int rc)
{
	snprintf(db->err, sizeof(db->err), "%s", src->err);
	return rc;
}

static int merge_one(struct trace_db *db, struct merge_ctx *m, s64 id)
{
	struct trace_run run;
	struct event_log log;
	struct merge_entry *e;
	bool inserted = false;
	int rc;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		struct merge_entry *p = realloc(m->map, cap * sizeof(*p));

		if (!p)
			return fail(db, TRACE_ENOMEM, "out of memory");
		m->map = p;
		m->cap = cap;
	}
	rc = trace_get_run(m->src, id, &run);
	if (rc)
		return merge_error(db, m->src, rc);
	event_log_init(&log, 0);
	if (run.has_events == TRACE_EVENTS_STORED) {
		rc = trace_get_events(m->src, id, &log);
		if (rc)
			rc = merge_error(db, m->src, rc);
	}
	e = &m->map[m->n];
	e->src_id = id;
	e->src_parent = run.parent;
	run.parent = 0; /* remapped once every run is in */
	if (rc == 0)
		rc = add_run(db, &run,
			     run.has_events == TRACE_EVENTS_STORED ? &log
								   : NULL,
			     &inserted);
	if (rc == 0) {
		e->dst_id = run.id;
		e->inserted = inserted;
		m->added += inserted;
		m->n++;
	}
	event_log_free(&log);
	trace_run_free(&run);
	return rc;
}

static struct merge_entry *merge_find(struct merge_ctx *m, s64 src_id)
{
	size_t lo = 0, hi = m->n;

	/* the map is in src id order: runs are merged in id order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->map[mid].src_id == src_id)
			return &m->map[mid];
		if (m->map[mid].src_id < src_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int merge_parents(struct trace_db *db, struct merge_ctx *m)
{
	sqlite3_stmt *st = db->st[ST_SET_PARENT];
	struct merge_entry *parent;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		if (!m->map[i].inserted || !m->map[i].src_parent)
			continue;
		parent = merge_find(m, m->map[i].src_parent);
		if (!parent)
			continue; /* dangling in src: no parent here either */
		sqlite3_bind_int64(st, 1, m->map[i].dst_id);
		sqlite3_bind_int64(st, 2, parent->dst_id);
		rc = step_done(st);
		if (rc)
			return sql_fail(db, "linking parents", rc);
	}
	return 0;
}

static int merge_locked(struct trace_db *db, void *ctx)
{
	struct merge_ctx *m = ctx;
	sqlite3_stmt *st = m->src->st[ST_PAGE];
	s64 ids[TRACE_PAGE_RUNS], after = 0;
	int rc = 0, got, i;
	bool was_batch = db->in_batch;

	/* add_run nests under this transaction with its savepoint */
	db->in_batch = true;
	do {
		got = 0;
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int(st, 2, TRACE_PAGE_RUNS);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			rc = col_range(m->src, st, 0, after, "id", after + 1,
				       INT64_MAX, &ids[got]);
			if (rc)
				break;
			after = ids[got++];
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = sql_fail(m->src, "listing runs", rc);
		sqlite3_reset(st);
		if (rc)
			rc = merge_error(db, m->src, rc);
		for (i = 0; rc == 0 && i < got; i++)
			rc = merge_one(db, m, ids[i]);
	} while (rc == 0 && got == TRACE_PAGE_RUNS);
	if (rc == 0)
		rc = merge_parents(db, m);
	if (db->in_batch)
		db->in_batch = was_batch;
	return rc;
}

int trace_merge_from(struct trace_db *db, struct trace_db *src, u64 *added)
{
	struct merge_ctx m = { .src = src };
	int rc = need_writable(db);

	if (added)
		*added = 0;
	if (rc)
		return rc;
	if (!src || src == db)
		return fail(db, TRACE_EINVAL, "merging a trace into itself");
	rc = in_transaction(db, merge_locked, &m);
	free(m.map);
	if (rc == 0 && added)
		*added = m.added;
	return rc;
}

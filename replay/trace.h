/*
 * trace.h - the trace store: many runs of the world and their events in
 * one SQLite file (default ringside.db).
 *
 * Schema, version TRACE_SCHEMA_VERSION (PRAGMA user_version), with
 * PRAGMA application_id = TRACE_APPLICATION_ID so that a file which is not
 * a ringside trace is told apart from an old or new one. Version 1 files
 * (no has_events 2) are read as they are; a writer makes them version 2
 * before it writes (an older ringside then names the version it cannot
 * read instead of misreading a run):
 *
 *   table        column        type     meaning
 *   meta         key           TEXT     'schema_version', 'created_by'
 *                value         TEXT
 *   runs         id            INTEGER  primary key, assigned on insert
 *                uid           TEXT     unique: a hash of what makes the run
 *                                       (source, seed, config, choices,
 *                                       input, event hash); merge skips
 *                                       runs whose uid is already present
 *                seed          INTEGER  u64 stored as its two's complement
 *                source        TEXT     sim|libfuzzer|afl|qemu|replay|
 *                                       minimise|vhost|check
 *                config        TEXT     sim_config_format() of the run
 *                device        TEXT     the device type that ran
 *                mode          INTEGER  1 legacy, 2 modern (1.x), 0 no
 *                                       transport (a ring or bus fuzz
 *                                       finding)
 *                choices       BLOB     the choice values, little-endian u64
 *                                       each; NULL for a seeded run (the seed
 *                                       regenerates them)
 *                input         BLOB     the fuzz input; for a world run
 *                                       that crashed or hung (oracle
 *                                       crash or hang), the first lines
 *                                       of its report as text; NULL
 *                                       otherwise
 *                outcome       TEXT     'pass' or 'fail'
 *                oracle        TEXT     the failing oracle, NULL on pass
 *                message       TEXT     its message
 *                fail_step     INTEGER
 *                steps, events, choice_count  INTEGER  counts
 *                event_hash    INTEGER  event_log_hash() of the run
 *                duration_us   INTEGER  wall time to run it (not part of it)
 *                parent        INTEGER  the run it was replayed or minimised
 *                                       from, NULL otherwise
 *                has_events    INTEGER  where its events are
 *                                       (enum trace_events): 0 nowhere,
 *                                       1 stored in events, 2
 *                                       regenerated: not stored, made
 *                                       again from the seed or choices
 *                                       and the config when read, and
 *                                       verified against events and
 *                                       event_hash (ringside
 *                                       materialise stores them: 1)
 *   events       run, seq      INTEGER  primary key (WITHOUT ROWID)
 *                step, actor, kind, queue, a, b, c   INTEGER  (event_log.h)
 *   behaviours   run, behaviour INTEGER primary key; rate, fired INTEGER
 *
 *   actor_names  actor, name; kind_names  kind, name; behaviour_names
 *                behaviour, name, legal: this build's catalogues, added
 *                by every writer to a file that lacks them
 *
 *   views: failures_by_oracle (oracle, runs), runs_per_behaviour (name,
 *   runs_enabled, runs_fired, fired), events_named and behaviours_named
 *   (the events and behaviours tables with names for numbers)
 *
 * Every value read back is treated as hostile: a negative count, a blob
 * whose size is not a multiple of 8, an unknown source or kind, a huge
 * blob: each gives a clear error (TRACE_ECORRUPT with a message), never a
 * crash.
 *
 * Writers use WAL, a busy handler that backs off and retries, prepared
 * statements and batched transactions (trace_begin/trace_commit), so that
 * several processes can record into one file and a killed process loses
 * only its uncommitted batch. A batch must be short: a writer that holds
 * it open while it does other work starves the others (recorder.h queues
 * runs in memory instead).
 */
#ifndef RINGSIDE_REPLAY_TRACE_H
#define RINGSIDE_REPLAY_TRACE_H

#include <adversary.h>
#include <event_log.h>
#include <linux/types.h>
#include <stddef.h>

#define TRACE_SCHEMA_VERSION 2
/* The oldest version this ringside reads (and upgrades when writing). */
#define TRACE_SCHEMA_OLDEST 1
#define TRACE_APPLICATION_ID 0x52534944 /* "RSID" */
#define TRACE_DEFAULT_PATH "ringside.db"
/* Longest a reader waits for a lock, and a writer for the write lock
 * (writers hold it for short transactions; a long wait means another
 * program, e.g. an sqlite3 session, holds a transaction open). */
#define TRACE_BUSY_TIMEOUT_MS 10000
#define TRACE_WRITE_WAIT_MS 300000
/* Most choices or input bytes one run may carry (hostile files). */
#define TRACE_CHOICES_MAX ((size_t)1 << 24)
#define TRACE_INPUT_MAX ((size_t)1 << 24)
#define TRACE_CONFIG_BYTES 512
#define TRACE_MESSAGE_BYTES 200
#define TRACE_NAME_BYTES 32

enum trace_error {
	TRACE_OK = 0,
	TRACE_EIO = -1,	      /* SQLite failed (message says how) */
	TRACE_ENOTTRACE = -2, /* not a ringside trace file */
	TRACE_EVERSION = -3,  /* another schema version (message names both) */
	TRACE_ECORRUPT = -4,  /* a value in the file is impossible */
	TRACE_ENOENT = -5,    /* no such run */
	TRACE_EINVAL = -6,    /* bad argument */
	TRACE_ENOMEM = -7,
	TRACE_EBUSY = -8, /* the write lock stayed taken too long */
};

enum trace_source {
	TRACE_SOURCE_SIM = 0,
	TRACE_SOURCE_LIBFUZZER,
	TRACE_SOURCE_AFL,
	TRACE_SOURCE_QEMU,
	TRACE_SOURCE_REPLAY,
	TRACE_SOURCE_MINIMISE,
	TRACE_SOURCE_VHOST, /* a cell against a vhost-user back end */
	TRACE_SOURCE_CHECK, /* the evidence of a `ringside check` verdict */
	TRACE_SOURCE_COUNT
};

/* Where a run's events are (runs.has_events). */
enum trace_events {
	TRACE_EVENTS_NONE = 0,
	TRACE_EVENTS_STORED = 1, /* rows of the events table */
	/* Not stored: a run of the simulated world is a pure function of
	 * its configuration and choices (world.h), so its events are made
	 * again when read (replay_events) and checked against its event
	 * count and hash. Only for runs trace_run_regenerable() allows. */
	TRACE_EVENTS_REGENERATED = 2,
};

/* One row of runs (and its behaviours). Strings are always terminated. */
struct trace_run {
	s64 id; /* set by trace_add_run; 0 before */
	u64 seed;
	enum trace_source source;
	char config[TRACE_CONFIG_BYTES];
	char device[TRACE_NAME_BYTES];
	int mode;
	u64 *choices; /* NULL with nchoices 0: seeded */
	size_t nchoices;
	u8 *input; /* NULL with input_len 0: none */
	size_t input_len;
	bool failed;
	char oracle[TRACE_NAME_BYTES];
	char message[TRACE_MESSAGE_BYTES];
	u64 fail_step;
	u64 steps, events, choice_count;
	u64 event_hash;
	s64 duration_us;
	s64 parent; /* 0: none */
	enum trace_events has_events;
	u32 rate[ADV_COUNT];
	u64 fired[ADV_COUNT];
};

struct trace_db;

enum trace_open_flags {
	TRACE_READ = 0,	      /* open an existing trace, read only */
	TRACE_WRITE = 1,      /* open an existing trace for writing */
	TRACE_CREATE = 2 | 1, /* create it (with the schema) if missing */
};

/*
 * Opens path. On failure returns a negative trace_error, *out is NULL and
 * err (errlen bytes) says what is wrong in one line naming the file, e.g.
 * "ringside.db: schema version 7, this ringside reads versions 1 to 2".
 */
int trace_open(const char *path, int flags, struct trace_db **out, char *err,
	       size_t errlen);
void trace_close(struct trace_db *db);
/* The message of the last failed call on db. */
const char *trace_errmsg(const struct trace_db *db);

/* The size of the database (pages times page size, the WAL's pages
 * included): inside a transaction, what it has written so far. */
int trace_file_bytes(struct trace_db *db, u64 *bytes);

/* Batching: everything between begin and commit is one transaction. */
int trace_begin(struct trace_db *db);
int trace_commit(struct trace_db *db);
int trace_rollback(struct trace_db *db);

/* Inserts a run, and its events when log is given (stored events only:
 * the log must be complete, event_log_complete()). Without a log,
 * run->has_events TRACE_EVENTS_REGENERATED records that its events are
 * made again when read; any other value records none. Sets run->id and
 * run->has_events. A run whose uid is already present is not added
 * again: returns 0 with run->id the existing run's (and its events
 * stored now when given and it had none stored). */
int trace_add_run(struct trace_db *db, struct trace_run *run,
		  const struct event_log *log);
/* Reads run id into *run; choices and input are malloc'd (free with
 * trace_run_free). */
int trace_get_run(struct trace_db *db, s64 id, struct trace_run *run);
void trace_run_free(struct trace_run *run);
/* Reads the stored events of run id into log (initialised by the caller,
 * empty, big enough: event_log_init(log, 0)); returns TRACE_ENOENT when
 * the run has no stored events (regenerated ones included: replay.h's
 * replay_events gives those). When the events read do not hash to the
 * run's stored event_hash it returns TRACE_ECORRUPT with every event
 * still in log, so that a caller (replay) can show where they differ. */
int trace_get_events(struct trace_db *db, s64 id, struct event_log *log);

/* Stores log as the events of run id, which has none stored (none, or
 * regenerated: ringside materialise), after checking that they are the
 * run's (event count and hash; TRACE_EINVAL otherwise); sets its
 * has_events to TRACE_EVENTS_STORED. *stored (may be NULL) says whether
 * they were stored now: false when the run had them already. */
int trace_store_events(struct trace_db *db, s64 id, const struct event_log *log,
		       bool *stored);

struct trace_filter {
	const char *outcome; /* "pass", "fail" or NULL for any */
	const char *oracle;
	const char *source;
	const char *device;
	s64 limit; /* 0: no limit */
	/* When set, a run whose row cannot be read (an impossible value)
	 * is reported here with the reason, and the listing goes on with
	 * the next run; otherwise it stops the listing with
	 * TRACE_ECORRUPT. */
	int (*damaged)(void *ctx, s64 id, const char *why);
};
/* Calls fn for each matching run in id order (choices and input are not
 * loaded: NULL); stops early when fn returns non-zero, and returns that. */
int trace_list_runs(struct trace_db *db, const struct trace_filter *filter,
		    int (*fn)(void *ctx, const struct trace_run *run),
		    void *ctx);

/* Copies every run of src (with events and behaviours) not yet in db;
 * *added counts them. parent links are remapped to the new ids. */
int trace_merge_from(struct trace_db *db, struct trace_db *src, u64 *added);

/* Whether run may have TRACE_EVENTS_REGENERATED: a run of the simulated
 * world (not QEMU, vhost or check, not a ring or bus fuzz finding: mode
 * 0) that ran to its end (not oracle crash or hang: its events were cut
 * short, tools/crash.h). */
bool trace_run_regenerable(const struct trace_run *run);

const char *trace_source_name(enum trace_source source);
/* TRACE_SOURCE_COUNT when unknown. */
enum trace_source trace_source_lookup(const char *name);

#endif /* RINGSIDE_REPLAY_TRACE_H */

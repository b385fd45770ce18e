/*
 * fuzz_trace.c - target "trace": the trace store (replay/trace.h) reading
 * hostile trace files. The input bytes are a whole database file: written
 * to a temporary file of this process, opened read-only with trace_open,
 * listed with trace_list_runs, and the first FUZZ_TRACE_RUNS runs read
 * with trace_get_run and trace_get_events; when a run's configuration
 * parses (replay_parse_config), its stored events are formatted with
 * event_log_format, as `ringside show` would. The world is never re-run:
 * that would make one input cost a whole simulation.
 *
 * trace.h promises that every value read back is treated as hostile: a
 * damaged page, an impossible count, a blob of the wrong size, an unknown
 * source or event kind each give a clear error return, never a crash. So
 * an error return is fine here, and what makes this target abort is a
 * sanitizer report (a read past a buffer, a leak, undefined behaviour) or
 * a broken promise of the API (the finding "trace-api"): a run read back
 * under another id, a count that disagrees with the array it counts, a
 * string that is not terminated, an unknown source handed out, or
 * trace_get_events handing back more events than the run counts.
 *
 * Seeds (corpus/trace/) are small real traces and damaged copies of
 * them; tools/make_corpus says how they are made.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, ftruncate, pwrite */

#include "fuzz_common.h"

#include <event_log.h>
#include <replay.h>
#include <trace.h>
#include <world.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Most runs one input reads back: reading one costs far more than
 * listing, and a few already reach every branch of the reader. */
#define FUZZ_TRACE_RUNS 4
/* Most events formatted per run. */
#define FUZZ_TRACE_EVENTS 64

const char fuzz_target_name[] = "trace";

/* The temporary file of this process, made on first use. */
static char fuzz_trace_path[4096];
static bool fuzz_trace_made;

/* SQLite's companions of the file (a hostile header can ask for WAL). */
static const char *const fuzz_trace_suffixes[] = { "", "-wal", "-shm",
						   "-journal" };

static void fuzz_trace_remove(void)
{
	char path[sizeof(fuzz_trace_path) + 16];
	size_t i;

	for (i = 0; i < sizeof(fuzz_trace_suffixes) / sizeof(char *); i++) {
		snprintf(path, sizeof(path), "%s%s", fuzz_trace_path,
			 fuzz_trace_suffixes[i]);
		unlink(path);
	}
}

static int fuzz_trace_make(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (fuzz_trace_made)
		return 0;
	snprintf(fuzz_trace_path, sizeof(fuzz_trace_path),
		 "%s/ringside-fuzz-trace-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(fuzz_trace_path);
	if (fd < 0)
		return -1;
	close(fd);
	fuzz_trace_made = true;
	atexit(fuzz_trace_remove);
	return 0;
}

/* The input becomes the whole file, and nothing left from the last one. */
static int fuzz_trace_write(const uint8_t *data, size_t size)
{
	FILE *f;
	size_t n;

	fuzz_trace_remove();
	f = fopen(fuzz_trace_path, "wb");
	if (!f)
		return -1;
	n = size ? fwrite(data, 1, size, f) : 0;
	if (fclose(f) != 0 || n != size)
		return -1;
	return 0;
}

static void fuzz_trace_check_string(const char *s, size_t n, const char *what)
{
	if (!memchr(s, '\0', n))
		fuzz_finding("trace-api", "%s is not terminated", what);
}

struct fuzz_trace_list {
	s64 ids[FUZZ_TRACE_RUNS];
	size_t n;
};

static int fuzz_trace_collect(void *ctx, const struct trace_run *run)
{
	struct fuzz_trace_list *list = ctx;

	if (run->choices || run->input)
		fuzz_finding("trace-api", "trace_list_runs loaded a blob");
	list->ids[list->n++] = run->id;
	return list->n == FUZZ_TRACE_RUNS;
}

/* The stored events of one run, formatted as ringside show does. */
static void fuzz_trace_events(struct trace_db *db, const struct trace_run *run)
{
	struct event_log log;
	char line[256];
	size_t i, n;
	int rc;

	event_log_init(&log, 0);
	rc = trace_get_events(db, run->id, &log);
	if (rc == 0 || rc == TRACE_ECORRUPT) {
		n = event_log_stored(&log);
		if (n > run->events)
			fuzz_finding("trace-api",
				     "run %lld: %zu events read, %llu counted",
				     (long long)run->id, n,
				     (unsigned long long)run->events);
		for (i = 0; i < n && i < FUZZ_TRACE_EVENTS; i++) {
			event_log_format(event_log_get(&log, i), line,
					 sizeof(line));
			fuzz_trace_check_string(line, sizeof(line), "an event");
		}
	}
	event_log_free(&log);
}

static void fuzz_trace_run(struct trace_db *db, s64 id)
{
	struct trace_run run;
	struct sim_config cfg;
	struct adversary adv;
	char err[256];

	if (trace_get_run(db, id, &run) != 0) {
		trace_run_free(&run);
		return;
	}
	if (run.id != id)
		fuzz_finding("trace-api", "run %lld read back as run %lld",
			     (long long)id, (long long)run.id);
	if ((run.choices == NULL) != (run.nchoices == 0) ||
	    (run.input == NULL) != (run.input_len == 0))
		fuzz_finding("trace-api",
			     "run %lld: a blob and its count "
			     "disagree",
			     (long long)id);
	fuzz_trace_check_string(run.config, sizeof(run.config), "config");
	fuzz_trace_check_string(run.device, sizeof(run.device), "device");
	fuzz_trace_check_string(run.oracle, sizeof(run.oracle), "oracle");
	fuzz_trace_check_string(run.message, sizeof(run.message), "message");
	if (trace_source_name(run.source) == NULL)
		fuzz_finding("trace-api", "run %lld: unknown source %d",
			     (long long)id, (int)run.source);
	if (replay_parse_config(&run, &cfg, &adv, err, sizeof(err)) == 0)
		fuzz_trace_events(db, &run);
	trace_run_free(&run);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool names_installed;
	struct fuzz_trace_list list = { .n = 0 };
	struct trace_db *db;
	char err[512];
	size_t i;

	if (!names_installed) {
		sim_install_event_names();
		names_installed = true;
	}
	if (fuzz_trace_make() != 0 || fuzz_trace_write(data, size) != 0)
		fuzz_finding("setup", "cannot write the temporary trace file");
	if (trace_open(fuzz_trace_path, TRACE_READ, &db, err, sizeof(err)) !=
	    0) {
		fuzz_trace_check_string(err, sizeof(err), "an error");
		return 0;
	}
	if (trace_list_runs(db, NULL, fuzz_trace_collect, &list) >= 0) {
		for (i = 0; i < list.n; i++)
			fuzz_trace_run(db, list.ids[i]);
	}
	trace_close(db);
	return 0;
}

/*
 * export.h - a recorded run as JSON, or as a standalone regression test.
 *
 * json: one object, the run's row (runs table of trace.h) with its
 *       behaviours, choices (null for a seeded run) and stored events
 *       ("timeline", [] when none are stored).
 * c:    a test program for tests/support/harness.h: the configuration
 *       text and the choice values embedded (a seeded run's are
 *       materialised by re-executing it, which must reproduce its stored
 *       event hash), replayed through sim_run, and CHECK(!r.failed). It
 *       fails while the bug the run found is there and passes once it is
 *       fixed; dropped into tests/regress/ ctest builds and runs it. The
 *       test function is regress_run_<id>; a header comment names the
 *       original oracle, message, seed, configuration and the command
 *       that made the file.
 */
#ifndef RINGSIDE_REPLAY_EXPORT_H
#define RINGSIDE_REPLAY_EXPORT_H

#include "trace.h"

#include <stdio.h>

enum export_format {
	EXPORT_JSON,
	EXPORT_C,
};

struct export_opts {
	enum export_format format;
	/* c: drop plants= from the embedded configuration (the run as a
	 * build without the planted faults would make it). */
	bool without_plants;
	const char *command; /* for the c header comment; NULL: not named */
};

/* Writes run id of db to out. Returns 0, or a negative trace_error with
 * err saying why (nothing useful is written then). */
int export_run(struct trace_db *db, s64 id, const struct export_opts *o,
	       FILE *out, char *err, size_t errlen);

#endif /* RINGSIDE_REPLAY_EXPORT_H */

/*
 * export.h - a recorded run as JSON, or as a standalone regression test.
 *
 * json: one object, the run's row (runs table of trace.h) with its
 *       behaviours, choices (null for a seeded run) and stored events
 *       ("timeline", [] when none are stored).
 * c:    a test program for tests/support/harness.h: the configuration
 *       text and the choice values embedded (a seeded run's are
 *       materialised by re-executing it), replayed through sim_run. It
 *       checks that the run reached the recorded scenario (the hash of
 *       its events before the failing step) and CHECK(!r.failed): it
 *       fails while the bug the run found is there, passes once it is
 *       fixed, and fails too when the world no longer reaches the
 *       scenario (choices drawn differently). Only a run that reproduces
 *       (re-executed: the same events, outcome and oracle) is exported,
 *       and only up to EXPORT_C_CHOICES_MAX choices. Dropped into
 *       tests/regress/, the next build (tools/test, cmake --build) picks
 *       it up and ctest runs it. The
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
	/* c: the caller re-executed the run in a child process and it
	 * crashed or hung the same way again (a run of oracle crash or
	 * hang, which must not be re-executed in this process): the test
	 * embeds its choices unchecked, and fails by crashing while the
	 * bug is there. */
	bool crash_reproduced;
};

/* Most choices a C export embeds (about 21 bytes of C each). */
#define EXPORT_C_CHOICES_MAX (1 << 18)
/* export_run results besides 0 and a trace_error: */
#define EXPORT_NOT_REPRODUCED 1 /* re-executing the run differs */
#define EXPORT_TOO_BIG 2	/* over EXPORT_C_CHOICES_MAX */

/* Writes run id of db to out. Returns 0, EXPORT_NOT_REPRODUCED,
 * EXPORT_TOO_BIG, or a negative trace_error, with err saying why
 * (nothing is written then). */
int export_run(struct trace_db *db, s64 id, const struct export_opts *o,
	       FILE *out, char *err, size_t errlen);

#endif /* RINGSIDE_REPLAY_EXPORT_H */

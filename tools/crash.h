/*
 * crash.h - runs that crash or hang (oracle crash or hang of ringside sim,
 * isolate.h): their choices, and replay and minimise of them
 * (cli_crash.c).
 *
 * A crashed process takes its memory with it, and with it the choices its
 * run drew. A shared choice log keeps them: its choice source and the
 * log's arrays live in memory shared with the parent (mapped before the
 * fork, so at the same address in both), and the parent reads them once
 * the child has died. The log grows in that memory (choice_set_realloc);
 * each run starts it afresh, so it is never freed piece by piece (no
 * choice_free on it).
 */
#ifndef RINGSIDE_TOOLS_CRASH_H
#define RINGSIDE_TOOLS_CRASH_H

#include "isolate.h"

#include <choice.h>
#include <trace.h>
#include <world.h>

struct shared_choices;

/* In the parent, before forking. NULL when the memory cannot be had. */
struct shared_choices *shared_choices_create(void);
void shared_choices_destroy(struct shared_choices *sc);
/* In the child: a fresh source on the seed, or on n borrowed values. */
struct choice_source *shared_choices_seed(struct shared_choices *sc, u64 seed);
struct choice_source *shared_choices_replay(struct shared_choices *sc,
					    const u64 *values, size_t n);
/* In the parent, once the child ended: a malloc'd copy of the draws of
 * its last run (at least one value). -1 when they are not all known. */
int shared_choices_copy(const struct shared_choices *sc, u64 **out, size_t *n);

/* A crash or hang run (its row's oracle): its kind and place, read back
 * from the message "KIND[ in WHERE]: LINE". */
bool crash_run_is(const struct trace_run *run);
void crash_run_kind(const struct trace_run *run, char *kind, size_t kindlen,
		    char *where, size_t wherelen);

/* A crash or hang (end) as a failing run's result: oracle crash or hang,
 * message "KIND[ in WHERE]: LINE" (hang: the time limit). */
void crash_result_fill(const struct isolate_end *e, enum sim_device_type device,
		       double timeout, struct sim_result *r);
/* The first lines of a report (what the trace file keeps), into buf. */
void crash_report_head(const char *report, char *buf, size_t len);

/* "ringside show" of such a run, after its header: its report (the
 * first lines, kept in the input column) instead of a timeline. */
void crash_show(const struct trace_run *run, const char *db_path);

/* "ringside replay" and "ringside minimise" of such a run: exit status. */
int crash_replay(struct trace_db *db, const struct trace_run *run,
		 const char *db_path, bool json);
/* Whether such a run crashes (or hangs) the same way again, re-executed
 * in a child: 1 yes, 0 no, -1 it could not be run; how says what the
 * re-execution did, or why it could not run. */
int crash_reproduces(const struct trace_run *run, char *how, size_t howlen);
int crash_minimise(struct trace_db *db, const struct trace_run *run,
		   const char *db_path, u64 max_runs, bool quiet);

#endif /* RINGSIDE_TOOLS_CRASH_H */

/*
 * recorder.h - recording a campaign's runs into a trace file that other
 * processes may be recording into at the same time.
 *
 * A campaign must not hold the file's write lock while it simulates: the
 * other writers would wait for it, time out and lose their runs. The
 * recorder keeps copies of the runs it is given in memory and writes them
 * in one short transaction when the queue is full
 * (RECORDER_QUEUE_RUNS runs, RECORDER_QUEUE_EVENTS events) or older than
 * RECORDER_QUEUE_MS, when a caller needs a run's id, and at close. A
 * transaction waits for the lock (trace.c's busy handler backs off and
 * retries for up to TRACE_WRITE_WAIT_MS), so a writer blocked by another
 * process keeps every run.
 *
 * A write that fails (a full disk, a read-only file, a lock held past the
 * wait) is final: the recorder accepts nothing more and every later call
 * returns the first error, with trace_recorder_errmsg() saying what
 * happened and how many runs are kept. The caller stops its campaign.
 * A killed process loses only the runs still queued.
 */
#ifndef RINGSIDE_REPLAY_RECORDER_H
#define RINGSIDE_REPLAY_RECORDER_H

#include "trace.h"

#define RECORDER_QUEUE_RUNS 256
#define RECORDER_QUEUE_EVENTS 32768
#define RECORDER_QUEUE_MS 500

struct trace_recorder;

/* What a recorder has done so far. */
struct trace_recorder_stats {
	u64 queued;	 /* runs given to trace_recorder_add */
	u64 kept;	 /* runs committed to the file */
	u64 events;	 /* events committed */
	u64 regenerated; /* runs committed with regenerated events */
	u64 bytes;	 /* bytes committed: choices, input, events */
	u64 transactions;
};

/* Opens (creating when missing) path for recording; on failure err says
 * why and a negative trace_error is returned. */
int trace_recorder_open(const char *path, struct trace_recorder **out,
			char *err, size_t errlen);

/*
 * Queues a copy of run and, when log is given (complete), its events.
 * With id non-NULL the queue is written at once and *id is the run's id
 * in the file. Returns 0, or the recorder's error (see above).
 */
int trace_recorder_add(struct trace_recorder *rec, const struct trace_run *run,
		       const struct event_log *log, s64 *id);
/* Writes every queued run. */
int trace_recorder_flush(struct trace_recorder *rec);
void trace_recorder_stats(const struct trace_recorder *rec,
			  struct trace_recorder_stats *stats);
/* The first error's message, "" while there is none. */
const char *trace_recorder_errmsg(const struct trace_recorder *rec);
/* Flushes, closes and frees; returns 0 or the recorder's error. */
int trace_recorder_close(struct trace_recorder *rec);

#endif /* RINGSIDE_REPLAY_RECORDER_H */

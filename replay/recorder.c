/*
 * recorder.c - queued recording into a shared trace file (recorder.h).
 *
 * The clock is read only to bound how long a run waits in the queue (what
 * a killed campaign can lose); it never touches what is recorded.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "recorder.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct queued_run {
	struct trace_run run; /* choices and input are copies */
	struct sim_event *events;
	struct event_log log; /* over events, when has_log */
	bool has_log;
	s64 *id; /* where the caller wants the id, or NULL */
};

struct trace_recorder {
	struct trace_db *db;
	struct queued_run queue[RECORDER_QUEUE_RUNS];
	size_t nqueued;
	u64 queued_events;
	s64 oldest_ms; /* when the oldest queued run came */
	struct trace_recorder_stats stats;
	int error;
	char err[600];
};

static s64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int trace_recorder_open(const char *path, struct trace_recorder **out,
			char *err, size_t errlen)
{
	struct trace_recorder *rec;
	int rc;

	*out = NULL;
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		snprintf(err, errlen, "%s: out of memory", path);
		return TRACE_ENOMEM;
	}
	rc = trace_open(path, TRACE_CREATE, &rec->db, err, errlen);
	if (rc) {
		free(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

static void drop(struct queued_run *q)
{
	trace_run_free(&q->run);
	free(q->events);
	memset(q, 0, sizeof(*q));
}

static int set_error(struct trace_recorder *rec, int rc, const char *why)
{
	size_t i;

	rec->error = rc;
	snprintf(rec->err, sizeof(rec->err),
		 "%s (%" PRIu64 " of %" PRIu64 " runs kept in the file)", why,
		 rec->stats.kept, rec->stats.queued);
	for (i = 0; i < rec->nqueued; i++)
		drop(&rec->queue[i]);
	rec->nqueued = 0;
	rec->queued_events = 0;
	return rc;
}

/* The queue in one transaction: all of it is kept, or none. */
static int write_queue(struct trace_recorder *rec)
{
	u64 before = 0, after = 0, events = 0, regenerated = 0;
	size_t i;
	int rc;

	rc = trace_begin(rec->db);
	if (rc == 0)
		rc = trace_file_bytes(rec->db, &before);
	for (i = 0; rc == 0 && i < rec->nqueued; i++) {
		struct queued_run *q = &rec->queue[i];

		rc = trace_add_run(rec->db, &q->run,
				   q->has_log ? &q->log : NULL);
		events += q->has_log ? q->log.stored : 0;
		regenerated += q->run.has_events == TRACE_EVENTS_REGENERATED;
	}
	if (rc == 0)
		rc = trace_file_bytes(rec->db, &after);
	if (rc == 0)
		rc = trace_commit(rec->db);
	else
		trace_rollback(rec->db);
	if (rc)
		return rc;
	for (i = 0; i < rec->nqueued; i++)
		if (rec->queue[i].id)
			*rec->queue[i].id = rec->queue[i].run.id;
	rec->stats.kept += rec->nqueued;
	rec->stats.events += events;
	rec->stats.regenerated += regenerated;
	rec->stats.bytes += after > before ? after - before : 0;
	rec->stats.transactions++;
	return 0;
}

int trace_recorder_flush(struct trace_recorder *rec)
{
	size_t i;
	int rc;

	if (rec->error)
		return rec->error;
	if (!rec->nqueued)
		return 0;
	rc = write_queue(rec);
	if (rc)
		return set_error(rec, rc, trace_errmsg(rec->db));
	for (i = 0; i < rec->nqueued; i++)
		drop(&rec->queue[i]);
	rec->nqueued = 0;
	rec->queued_events = 0;
	return 0;
}

/* A deep copy of run and log into q. */
static int copy_in(struct queued_run *q, const struct trace_run *run,
		   const struct event_log *log)
{
	memset(q, 0, sizeof(*q));
	q->run = *run;
	q->run.choices = NULL;
	q->run.input = NULL;
	if (run->nchoices) {
		q->run.choices = malloc(run->nchoices * sizeof(u64));
		if (!q->run.choices)
			return TRACE_ENOMEM;
		memcpy(q->run.choices, run->choices,
		       run->nchoices * sizeof(u64));
	}
	if (run->input_len) {
		q->run.input = malloc(run->input_len);
		if (!q->run.input)
			return TRACE_ENOMEM;
		memcpy(q->run.input, run->input, run->input_len);
	}
	if (!log)
		return 0;
	q->has_log = true;
	q->log = *log;
	q->log.events = NULL;
	q->log.capacity = log->stored;
	q->log.grow = NULL; /* a copy never grows */
	if (log->stored) {
		q->events = malloc(log->stored * sizeof(*q->events));
		if (!q->events)
			return TRACE_ENOMEM;
		memcpy(q->events, log->events,
		       log->stored * sizeof(*q->events));
	}
	q->log.events = q->events;
	return 0;
}

int trace_recorder_add(struct trace_recorder *rec, const struct trace_run *run,
		       const struct event_log *log, s64 *id)
{
	struct queued_run *q;

	if (rec->error)
		return rec->error;
	assert(rec->nqueued < RECORDER_QUEUE_RUNS);
	q = &rec->queue[rec->nqueued];
	if (copy_in(q, run, log)) {
		drop(q);
		return set_error(rec, TRACE_ENOMEM, "out of memory");
	}
	q->id = id;
	if (!rec->nqueued)
		rec->oldest_ms = now_ms();
	rec->nqueued++;
	rec->queued_events += log ? log->stored : 0;
	rec->stats.queued++;
	if (id || rec->nqueued == RECORDER_QUEUE_RUNS ||
	    rec->queued_events >= RECORDER_QUEUE_EVENTS ||
	    now_ms() - rec->oldest_ms >= RECORDER_QUEUE_MS)
		return trace_recorder_flush(rec);
	return 0;
}

void trace_recorder_stats(const struct trace_recorder *rec,
			  struct trace_recorder_stats *stats)
{
	*stats = rec->stats;
}

const char *trace_recorder_errmsg(const struct trace_recorder *rec)
{
	return rec->err;
}

int trace_recorder_close(struct trace_recorder *rec)
{
	int rc;

	if (!rec)
		return 0;
	rc = trace_recorder_flush(rec);
	trace_close(rec->db);
	free(rec);
	return rc;
}

/*
 * isolate.h - work run in a child process, so that its crash or its hang
 * is a finding of the parent and not the parent's end.
 *
 * A child is forked (no exec: the same program at the same addresses, so
 * a struct that points at static data, such as sim_result's oracle name,
 * may cross a pipe as it is) with three pipes:
 *
 *   requests  parent -> child   the child's in_fd (0)
 *   messages  child -> parent   the child's out_fd (3); the child's stdout
 *                               goes to /dev/null, so a stray printf never
 *                               corrupts a message
 *   stderr    child -> parent   captured (isolate_drain_stderr) to tell
 *                               what killed the child
 *
 * The child ignores SIGINT and SIGTERM (the parent decides when work
 * stops, and stops it by closing the requests pipe or by SIGKILL), dies
 * with the parent (PR_SET_PDEATHSIG), holds no other descriptor of the
 * parent (its other children's pipes, the trace file), and ends with
 * _exit(fn's return value): no atexit handler, no flushed stdio buffer of
 * the parent's.
 *
 * Stderr and its report: the parent keeps the first ISOLATE_REPORT_BYTES
 * of what the child wrote since the last NUL byte. A child that runs many
 * pieces of work writes a NUL (isolate_mark_stderr) after each one it has
 * reported, so that the report of a crash holds only what the crashing
 * piece wrote; text before a NUL is handed on (isolate_drain_stderr's
 * forward) rather than lost.
 *
 * Why a child ended (isolate_classify), for the record and to compare a
 * re-execution with the original:
 *   kind   "SIGABRT", "SIGSEGV", ... (killed by a signal);
 *          "AddressSanitizer/heap-buffer-overflow", ... (a sanitizer
 *          report, whatever the exit status); "UndefinedBehaviorSanitizer";
 *          "hang" (the parent killed it at its time limit); "exit-N" (an
 *          unexpected exit status, no report); "" when it exited 0.
 *   where  "virtio_ring.c:650" when the report names a place (the assert
 *          line, the sanitizer's summary, UBSan's "file:line:col"), the
 *          file's base name so that it does not depend on the build tree;
 *          "" when none.
 *   line   the report's first telling line (the assert message, the
 *          sanitizer's ERROR line), else its first line.
 *
 * Use, one piece of work (replay of a crash, one check case):
 *
 *	struct isolate_end end;
 *	char buf[256]; size_t got;
 *	isolate_run(fn, ctx, 10.0, buf, sizeof(buf), &got, &end);
 *	if (end.crashed || end.hung) ... end.kind, end.where, end.report
 *
 * Many pieces (a campaign's workers: tools/cli_sim.c): isolate_spawn, then
 * poll out_fd and err_fd; isolate_read_full / isolate_write_full for
 * messages; isolate_finish when the child ended or must be stopped.
 */
#ifndef RINGSIDE_TOOLS_ISOLATE_H
#define RINGSIDE_TOOLS_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define ISOLATE_REPORT_BYTES 4096
#define ISOLATE_KIND_BYTES 64
#define ISOLATE_WHERE_BYTES 96
#define ISOLATE_LINE_BYTES 160

/* The child's descriptors (fixed numbers, set up by isolate_spawn). */
#define ISOLATE_CHILD_IN 0
#define ISOLATE_CHILD_OUT 3

struct isolate_child {
	pid_t pid;  /* 0: none */
	int in_fd;  /* requests: the parent writes (-1 once closed) */
	int out_fd; /* messages: the parent reads */
	int err_fd; /* the child's stderr: the parent reads (-1 at EOF) */
	char report[ISOLATE_REPORT_BYTES]; /* stderr since the last NUL */
	size_t report_len;
};

struct isolate_end {
	bool crashed; /* a signal, a sanitizer report or a bad exit status */
	bool hung;    /* killed at its time limit */
	int signal;   /* the signal that ended it, 0 when it exited */
	int status;   /* its exit status when it exited */
	char kind[ISOLATE_KIND_BYTES];
	char where[ISOLATE_WHERE_BYTES];
	char line[ISOLATE_LINE_BYTES];
	char report[ISOLATE_REPORT_BYTES]; /* the captured stderr */
};

/* The child's work: returns its exit status (0 when all went well). */
typedef int (*isolate_fn)(void *ctx, int in_fd, int out_fd);

/* Forks c running fn(ctx, 0, 3). Returns 0, or -1 with errno. Flushes
 * stdout and stderr first. */
int isolate_spawn(struct isolate_child *c, isolate_fn fn, void *ctx);

/* Reads what waits on c's stderr (never blocks) into c->report; text
 * before a NUL goes to forward (when not NULL) and the report restarts.
 * Closes err_fd at EOF. */
void isolate_drain_stderr(struct isolate_child *c, FILE *forward);

/* In the child: ends the report of one piece of work (see the top). */
void isolate_mark_stderr(void);

/* Whole-buffer I/O on a pipe, EINTR retried: 0 done, 1 end of file before
 * the first byte, -1 an error or a short read. */
int isolate_read_full(int fd, void *buf, size_t n);
int isolate_write_full(int fd, const void *buf, size_t n);

/*
 * Ends c: closes its requests pipe, kills it with SIGKILL when kill_it
 * (hung says it was for its time limit), waits for it, reads the rest of
 * its stderr and closes every pipe. Fills end (when not NULL).
 */
void isolate_finish(struct isolate_child *c, bool kill_it, bool hung,
		    struct isolate_end *end);

/* Fills end from a wait status and the captured report. */
void isolate_classify(int wstatus, bool hung, const char *report,
		      struct isolate_end *end);

/*
 * One piece of work: runs fn in a child, collects what it writes to its
 * out_fd (up to len bytes of buf, the rest dropped; *got says how many)
 * until it ends or seconds pass (then it is killed: hung). Returns 0 (the
 * verdict is in end), or -1 when no child could be started.
 */
int isolate_run(isolate_fn fn, void *ctx, double seconds, void *buf, size_t len,
		size_t *got, struct isolate_end *end);

/*
 * One piece of work among others, in the caller's own poll loop (a
 * campaign's re-runs in fresh processes): started, then read whenever
 * poll says one of its pipes has something or its time may be up, until
 * it is over; then ended. What it writes is collected in buf, which
 * grows up to max bytes as it arrives (the rest is read and dropped) and
 * is the caller's to free after isolate_job_end (NULL when nothing came).
 */
struct isolate_job {
	struct isolate_child child;
	double until; /* its time limit (CLOCK_MONOTONIC seconds) */
	bool hung;    /* it reached it */
	char *buf;
	size_t cap, max, got;
	bool grow; /* buf is ours to grow (else the caller's, cap bytes) */
};

/* Starts fn in a child with seconds to run. Returns 0, or -1 with errno
 * when no child could be started. */
int isolate_job_start(struct isolate_job *j, isolate_fn fn, void *ctx,
		      double seconds, size_t max);
/* Its pipes to poll (POLLIN): fds[0] messages, fds[1] stderr; -1 once
 * closed. */
void isolate_job_fds(const struct isolate_job *j, int fds[2]);
/* Reads what is ready on its pipes (never blocks); true once it is over:
 * its messages pipe is closed or its time is up. */
bool isolate_job_read(struct isolate_job *j);
/* Ends it (killed when its time was up) and fills end. */
void isolate_job_end(struct isolate_job *j, struct isolate_end *end);

#endif /* RINGSIDE_TOOLS_ISOLATE_H */

/*
 * proc.h - what the third-party adapters (QEMU, vhost-user back ends, and
 * the check and robustness targets over them) share about time and the
 * processes they start: the monotonic clock they read for their budgets
 * (never into an event: runs against third parties are not replayed),
 * and the polling of a child they started, reaped once it exits.
 */
#ifndef RINGSIDE_MODEL_PROC_H
#define RINGSIDE_MODEL_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Milliseconds of the monotonic clock. */
double proc_now_ms(void);

/* Is the child pid (ours) still running? Once it has exited it is
 * reaped: *status holds its wait status and *reaped is set, and every
 * later call says false at once (so does pid 0: never started). */
bool proc_alive(pid_t pid, int *status, bool *reaped);

/* Polls proc_alive every poll_ms for at most ms (a signal may cut a
 * poll short). True when the child has exited (and is reaped); false
 * when it still runs, or never ran (pid 0). */
bool proc_wait_exit(pid_t pid, int *status, bool *reaped, unsigned int ms,
		    unsigned int poll_ms);

#endif /* RINGSIDE_MODEL_PROC_H */

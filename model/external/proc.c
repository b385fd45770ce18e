/*
 * proc.c - the clock and the child processes of the third-party adapters
 * (proc.h).
 */
#define _GNU_SOURCE

#include "proc.h"

#include <assert.h>
#include <errno.h>
#include <sys/wait.h>
#include <time.h>

double proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool proc_alive(pid_t pid, int *status, bool *reaped)
{
	pid_t r;

	assert(status && reaped);
	if (!pid || *reaped)
		return false;
	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return true;
	*reaped = true;
	return false;
}

bool proc_wait_exit(pid_t pid, int *status, bool *reaped, unsigned int ms,
		    unsigned int poll_ms)
{
	double deadline = proc_now_ms() + ms;
	struct timespec poll = { poll_ms / 1000,
				 (long)(poll_ms % 1000) * 1000000L };

	while (proc_alive(pid, status, reaped)) {
		if (proc_now_ms() >= deadline)
			return false;
		nanosleep(&poll, NULL); /* cut short by a signal: fine */
	}
	return pid != 0;
}

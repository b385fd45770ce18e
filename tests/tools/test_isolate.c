/*
 * test_isolate.c - work in child processes (tools/isolate.h): one piece
 * waited for (isolate_run), and several at once in the caller's own poll
 * loop (isolate_job_*), as a campaign runs its fresh re-runs: all of a
 * large message collected, a crash and a hang told apart, the caller's
 * fixed buffer never overrun, and every child reaped.
 */
#include "harness.h"

#include <isolate.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TESTS(X)                                                               \
	X(run_collects_what_fits)                                              \
	X(run_tells_a_crash)                                                   \
	X(jobs_run_side_by_side)                                               \
	X(job_past_its_time_is_hung)
TESTS(HARNESS_DECLARE)

/* More than a pipe holds, so the child blocks until the parent reads. */
#define BIG_BYTES (300u * 1024u)

static unsigned char byte_at(size_t i)
{
	return (unsigned char)(i * 131u + (i >> 9));
}

static int write_big(void *ctx, int in_fd, int out_fd)
{
	static unsigned char buf[BIG_BYTES];
	size_t i;

	(void)ctx;
	(void)in_fd;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = byte_at(i);
	return isolate_write_full(out_fd, buf, sizeof(buf)) ? 1 : 0;
}

static int write_then_abort(void *ctx, int in_fd, int out_fd)
{
	(void)ctx;
	(void)in_fd;
	if (isolate_write_full(out_fd, "half", 4))
		return 1;
	abort();
}

static int sleep_forever(void *ctx, int in_fd, int out_fd)
{
	(void)ctx;
	(void)in_fd;
	(void)out_fd;
	for (;;)
		pause();
	return 0; /* not reached: the parent kills it */
}

static bool big_intact(const char *buf, size_t got)
{
	size_t i;

	if (got != BIG_BYTES)
		return false;
	for (i = 0; i < got; i++)
		if ((unsigned char)buf[i] != byte_at(i))
			return false;
	return true;
}

static void no_child_left(void)
{
	CHECK(waitpid(-1, NULL, WNOHANG) < 0);
}

static void run_collects_what_fits(void)
{
	static char buf[1000];
	struct isolate_end end;
	size_t got = 0;

	CHECK_EQ(0, isolate_run(write_big, NULL, 20.0, buf, sizeof(buf), &got,
				&end));
	CHECK_EQ(sizeof(buf), got);
	CHECK(!end.crashed && !end.hung);
	CHECK_EQ(0, memcmp(buf, "\0\203", 2)); /* bytes 0 and 1 */
	no_child_left();
}

static void run_tells_a_crash(void)
{
	char buf[16];
	struct isolate_end end;
	size_t got = 0;

	CHECK_EQ(0, isolate_run(write_then_abort, NULL, 20.0, buf, sizeof(buf),
				&got, &end));
	CHECK_EQ(4, got);
	CHECK(end.crashed && !end.hung);
	CHECK_EQ(SIGABRT, end.signal);
	CHECK(strcmp(end.kind, "SIGABRT") == 0);
	no_child_left();
}

/* Waits until one of the jobs has something, as a campaign's loop does. */
static void wait_any(struct isolate_job *jobs, const bool *over, unsigned n)
{
	struct pollfd p[8];
	unsigned int i;
	int fds[2];

	for (i = 0; i < n; i++) {
		fds[0] = fds[1] = -1;
		if (!over[i])
			isolate_job_fds(&jobs[i], fds);
		p[2 * i] = (struct pollfd){ .fd = fds[0], .events = POLLIN };
		p[2 * i + 1] =
			(struct pollfd){ .fd = fds[1], .events = POLLIN };
	}
	poll(p, 2 * n, 100);
}

static void jobs_run_side_by_side(void)
{
	struct isolate_job jobs[3] = { { .grow = true },
				       { .grow = true },
				       { .grow = true } };
	isolate_fn fns[3] = { write_big, write_then_abort, write_big };
	struct isolate_end end[3];
	bool over[3] = { false, false, false };
	unsigned int i, left = 3;

	for (i = 0; i < 3; i++)
		CHECK_EQ(0, isolate_job_start(&jobs[i], fns[i], NULL, 20.0,
					      1u << 20));
	while (left) {
		wait_any(jobs, over, 3);
		for (i = 0; i < 3; i++) {
			if (over[i] || !isolate_job_read(&jobs[i]))
				continue;
			isolate_job_end(&jobs[i], &end[i]);
			over[i] = true;
			left--;
		}
	}
	CHECK(big_intact(jobs[0].buf, jobs[0].got));
	CHECK(big_intact(jobs[2].buf, jobs[2].got));
	CHECK(!end[0].crashed && !end[0].hung && !end[2].crashed);
	CHECK_EQ(4, jobs[1].got);
	CHECK(jobs[1].buf && memcmp(jobs[1].buf, "half", 4) == 0);
	CHECK(end[1].crashed && !end[1].hung);
	for (i = 0; i < 3; i++)
		free(jobs[i].buf);
	no_child_left();
}

static void job_past_its_time_is_hung(void)
{
	struct isolate_job job = { .grow = true };
	struct isolate_end end;
	bool over = false;

	CHECK_EQ(0, isolate_job_start(&job, sleep_forever, NULL, 0.3, 4096));
	while (!over) {
		wait_any(&job, &over, 1);
		over = isolate_job_read(&job);
	}
	CHECK(job.hung);
	isolate_job_end(&job, &end);
	CHECK(end.hung);
	CHECK_EQ(0, job.got);
	CHECK(job.buf == NULL);
	no_child_left();
}

HARNESS_MAIN(TESTS)

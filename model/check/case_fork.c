/*
 * case_fork.c - one case in a child process (case_fork.h): a device model
 * loaded into our process (lib:) that crashes or hangs takes only its
 * case down, and the report of the others is still produced.
 */
#define _POSIX_C_SOURCE 200809L

#include "case_fork.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Writes all of buf; false on an error. */
static bool write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Reads up to n bytes, waiting at most timeout_ms for each; the count. */
static size_t read_all(int fd, void *buf, size_t n, int timeout_ms,
		       bool *timed_out)
{
	char *p = buf;
	size_t got = 0;

	*timed_out = false;
	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, timeout_ms);
		ssize_t k;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			*timed_out = true;
			break;
		}
		k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

static void describe(int status, bool timed_out, char *buf, size_t n)
{
	if (timed_out)
		snprintf(buf, n,
			 "no answer within the case's time limit: "
			 "killed (a hang, or an endless loop)");
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "the device model died of signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, n,
			 "the device model ended the process with exit status "
			 "%d (a sanitizer report, exit or abort)",
			 WEXITSTATUS(status));
	else
		snprintf(buf, n, "the case's process ended abnormally");
}

int check_isolated(int (*fn)(void *arg, struct check_case *c), void *arg,
		   struct check_case *c, unsigned int timeout_ms)
{
	struct {
		int ret;
		struct check_case c;
	} * msg, local;
	int fds[2], status = 0;
	bool timed_out;
	size_t got;
	pid_t pid;

	msg = &local;
	if (pipe(fds) != 0) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "cannot make a pipe: %s", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "cannot fork: %s", strerror(errno));
		return -EAGAIN;
	}
	if (pid == 0) {
		close(fds[0]);
		msg->ret = fn(arg, c);
		msg->c = *c;
		_exit(write_all(fds[1], msg, sizeof(*msg)) ? 0 : 3);
	}
	close(fds[1]);
	got = read_all(fds[0], msg, sizeof(*msg), (int)timeout_ms, &timed_out);
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == sizeof(*msg) && !timed_out) {
		*c = msg->c;
		return msg->ret;
	}
	c->crashed = true;
	describe(status, timed_out, c->crash, sizeof(c->crash));
	return 0;
}

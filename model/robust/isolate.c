/*
 * isolate.c - one case in a child process, so that a device model that
 * crashes, aborts or spins inside this process costs only its case: the
 * crash is that case's FAIL (with the signal and the last lines it wrote
 * on stderr, e.g. a sanitizer's summary), a child that does not finish in
 * time is killed and the case WEDGED; the report goes on.
 *
 * The child sends its struct rb_result through a pipe (the case pointer
 * stays valid: the child is a fork of this image). The parent waits with
 * poll(), the one use of wall-clock time here, for the timeout only.
 */
#define _GNU_SOURCE

#include "robust.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ISOLATE_TIMEOUT_MS_DEFAULT 20000
#define ISOLATE_STDERR_BYTES 8192

struct child_io {
	int result_fd, err_fd;
	u8 result[sizeof(struct rb_result)];
	size_t result_len;
	char err[ISOLATE_STDERR_BYTES];
	size_t err_len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child(const struct rb_target *t, const struct rb_case *kase,
		  u64 seed, int result_fd, int err_fd)
{
	struct rb_result r;
	const u8 *p = (const u8 *)&r;
	size_t done = 0;
	ssize_t w;
	int e;

	struct rlimit no_core = { 0, 0 };

	/* A crash is the expected evidence: it leaves no core file. */
	setrlimit(RLIMIT_CORE, &no_core);
	dup2(err_fd, STDERR_FILENO);
	close(err_fd);
	e = rb_run_case(t, kase, seed, &r, NULL);
	if (e)
		_exit(3); /* the target did not start: the parent says so */
	while (done < sizeof(r)) {
		w = write(result_fd, p + done, sizeof(r) - done);
		if (w <= 0)
			_exit(4);
		done += (size_t)w;
	}
	_exit(0);
}

/* Reads what is there from fd into buf (keeping the tail of stderr);
 * false at end of file. */
static bool drain(int fd, void *buf, size_t cap, size_t *len, bool keep_tail)
{
	char tmp[1024];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	size_t k;

	if (n <= 0)
		return n < 0 && errno == EINTR;
	k = (size_t)n;
	if (*len + k > cap) {
		if (!keep_tail)
			k = cap - *len;
		else {
			size_t drop = *len + k - cap;

			if (drop > *len)
				drop = *len;
			memmove(buf, (char *)buf + drop, *len - drop);
			*len -= drop;
			if (k > cap - *len)
				k = cap - *len;
		}
	}
	memcpy((char *)buf + *len, tmp, k);
	*len += k;
	return true;
}

/* Waits for both pipes to close, or the deadline; false on timeout. */
static bool collect(struct child_io *io, unsigned int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	bool result_open = true, err_open = true;

	while (result_open || err_open) {
		struct pollfd fds[2] = {
			{ .fd = result_open ? io->result_fd : -1,
			  .events = POLLIN },
			{ .fd = err_open ? io->err_fd : -1, .events = POLLIN }
		};
		long long left = deadline - now_ms();

		if (left <= 0)
			return false;
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			return false;
		if (fds[0].revents)
			result_open = drain(io->result_fd, io->result,
					    sizeof(io->result), &io->result_len,
					    false);
		if (fds[1].revents)
			err_open =
				drain(io->err_fd, io->err, sizeof(io->err) - 1,
				      &io->err_len, true);
	}
	return true;
}

/* The most telling line of the child's stderr: a sanitizer's SUMMARY,
 * else its last non-empty line. */
static const char *telling_line(char *err, size_t len, size_t *n)
{
	char *s, *end;

	err[len] = 0;
	s = strstr(err, "SUMMARY:");
	if (!s) {
		while (len && (err[len - 1] == '\n' || err[len - 1] == ' '))
			err[--len] = 0;
		s = strrchr(err, '\n');
		s = s ? s + 1 : err;
	}
	end = strchr(s, '\n');
	*n = end ? (size_t)(end - s) : strlen(s);
	return s;
}

static void crashed(struct rb_result *r, int status, struct child_io *io)
{
	size_t n;
	const char *line = telling_line(io->err, io->err_len, &n);
	char what[64];

	if (WIFSIGNALED(status))
		snprintf(what, sizeof(what), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(what, sizeof(what), "exited with status %d",
			 WEXITSTATUS(status));
	r->verdict = RB_FAIL;
	snprintf(r->why, sizeof(r->why), "the device model crashed: %s%s%.*s",
		 what, n ? ": " : "", (int)(n > 160 ? 160 : n), line);
}

int rb_run_case_isolated(const struct rb_target *t, const struct rb_case *kase,
			 u64 seed, unsigned int timeout_ms, struct rb_result *r)
{
	struct child_io io = { 0 };
	int res[2], err[2], status = 0;
	bool finished;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->kase = kase;
	if (pipe2(res, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		close(res[0]);
		close(err[0]);
		child(t, kase, seed, res[1], err[1]);
	}
	close(res[1]);
	close(err[1]);
	io.result_fd = res[0];
	io.err_fd = err[0];
	finished = collect(&io, timeout_ms ? timeout_ms
					   : ISOLATE_TIMEOUT_MS_DEFAULT);
	if (!finished)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(res[0]);
	close(err[0]);
	if (!finished) {
		r->verdict = RB_WEDGED;
		snprintf(r->why, sizeof(r->why),
			 "the device model did not return within %u ms "
			 "(killed)",
			 timeout_ms ? timeout_ms : ISOLATE_TIMEOUT_MS_DEFAULT);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		snprintf(r->why, sizeof(r->why), "the target did not start");
		return -EIO;
	} else if (io.result_len == sizeof(*r) && WIFEXITED(status) &&
		   WEXITSTATUS(status) == 0) {
		memcpy(r, io.result, sizeof(*r));
	} else {
		crashed(r, status, &io);
	}
	r->kase = kase;
	return 0;
}

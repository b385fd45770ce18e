/*
 * isolate.c - work run in a child process (isolate.h).
 */
#define _GNU_SOURCE /* close_range, pipe2 */

#include "isolate.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: requests on 0, messages on 3, stderr on 2, stdout to
 * /dev/null, nothing else open. */
static void child_fds(int in_r, int out_w, int err_w)
{
	int in = fcntl(in_r, F_DUPFD, 10);
	int out = fcntl(out_w, F_DUPFD, 10);
	int err = fcntl(err_w, F_DUPFD, 10);
	int null = open("/dev/null", O_WRONLY);

	if (in < 0 || out < 0 || err < 0 || null < 0)
		_exit(127);
	if (dup2(in, ISOLATE_CHILD_IN) < 0 || dup2(null, 1) < 0 ||
	    dup2(err, 2) < 0 || dup2(out, ISOLATE_CHILD_OUT) < 0)
		_exit(127);
	close_range(ISOLATE_CHILD_OUT + 1, ~0U, 0);
}

static void child_main(int pipes[3][2], pid_t parent, isolate_fn fn, void *ctx)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* the parent is already gone */
	child_fds(pipes[0][0], pipes[1][1], pipes[2][1]);
	_exit(fn(ctx, ISOLATE_CHILD_IN, ISOLATE_CHILD_OUT));
}

int isolate_spawn(struct isolate_child *c, isolate_fn fn, void *ctx)
{
	int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	pid_t parent = getpid();
	int i;

	memset(c, 0, sizeof(*c));
	c->in_fd = c->out_fd = c->err_fd = -1;
	for (i = 0; i < 3; i++) {
		if (pipe2(pipes[i], O_CLOEXEC) != 0)
			goto fail;
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		goto fail;
	if (c->pid == 0)
		child_main(pipes, parent, fn, ctx);
	close(pipes[0][0]);
	close(pipes[1][1]);
	close(pipes[2][1]);
	c->in_fd = pipes[0][1];
	c->out_fd = pipes[1][0];
	c->err_fd = pipes[2][0];
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	for (i = 0; i < 3; i++) {
		close_fd(&pipes[i][0]);
		close_fd(&pipes[i][1]);
	}
	c->pid = 0;
	return -1;
}

void isolate_mark_stderr(void)
{
	static const char nul;

	fflush(stderr);
	(void)!write(2, &nul, 1);
}

static void report_add(struct isolate_child *c, const char *p, size_t n,
		       FILE *forward)
{
	while (n) {
		const char *nul = memchr(p, '\0', n);
		size_t part = nul ? (size_t)(nul - p) : n;
		size_t room = sizeof(c->report) - 1 - c->report_len;
		size_t take = part < room ? part : room;

		memcpy(c->report + c->report_len, p, take);
		c->report_len += take;
		c->report[c->report_len] = '\0';
		if (!nul)
			return;
		if (forward && c->report_len)
			fputs(c->report, forward);
		c->report_len = 0;
		c->report[0] = '\0';
		p = nul + 1;
		n -= part + 1;
	}
}

void isolate_drain_stderr(struct isolate_child *c, FILE *forward)
{
	char buf[4096];
	ssize_t n;

	while (c->err_fd >= 0) {
		n = read(c->err_fd, buf, sizeof(buf));
		if (n > 0) {
			report_add(c, buf, (size_t)n, forward);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(&c->err_fd); /* end of file, or broken */
	}
}

int isolate_read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);

		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		return r == 0 && done == 0 ? 1 : -1;
	}
	return 0;
}

int isolate_write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		return -1;
	}
	return 0;
}

/* Reads the child's stderr until its end (all writers gone), a second at
 * most: a grandchild holding it must not hang the parent. */
static void drain_to_end(struct isolate_child *c)
{
	double until = now_seconds() + 1.0;

	while (c->err_fd >= 0 && now_seconds() < until) {
		struct pollfd p = { .fd = c->err_fd, .events = POLLIN };

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		isolate_drain_stderr(c, NULL);
	}
}

void isolate_finish(struct isolate_child *c, bool kill_it, bool hung,
		    struct isolate_end *end)
{
	int status = 0;

	close_fd(&c->in_fd);
	if (c->pid > 0) {
		if (kill_it)
			kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	drain_to_end(c);
	close_fd(&c->err_fd);
	close_fd(&c->out_fd);
	c->pid = 0;
	if (end)
		isolate_classify(status, hung, c->report, end);
}

/* --- telling why it ended --------------------------------------------------- */

static void copy_word(char *dst, size_t len, const char *src, const char *stop)
{
	size_t n = strcspn(src, stop);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The line of report that contains needle, into buf; false if none. */
static bool line_with(const char *report, const char *needle, char *buf,
		      size_t len)
{
	const char *hit = strstr(report, needle), *start;

	if (!hit)
		return false;
	start = hit;
	while (start > report && start[-1] != '\n')
		start--;
	copy_word(buf, len, start, "\n");
	return true;
}

/* "path/to/file.c:123" (or ":123:45") at s: its base name and line. */
static bool place_at(const char *s, char *where, size_t len)
{
	char tok[256], *colon, *base;

	copy_word(tok, sizeof(tok), s, " \t\n");
	colon = strstr(tok, ".c:");
	if (!colon)
		colon = strstr(tok, ".h:");
	if (!colon || colon[3] < '0' || colon[3] > '9')
		return false;
	colon += 3;
	while (*colon >= '0' && *colon <= '9')
		colon++;
	*colon = '\0';
	base = strrchr(tok, '/');
	copy_word(where, len, base ? base + 1 : tok, "");
	return true;
}

/* The first place a line names ("file.c:N"), scanning its words. */
static void place_in(const char *line, char *where, size_t len)
{
	const char *p = line;

	where[0] = '\0';
	while (*p) {
		if (place_at(p, where, len))
			return;
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
	}
}

static void classify_sanitizer(const char *report, struct isolate_end *end)
{
	const char *asan = strstr(report, "ERROR: AddressSanitizer: ");
	char summary[ISOLATE_LINE_BYTES * 2];

	if (asan) {
		char what[40], *addr;

		copy_word(what, sizeof(what),
			  asan + strlen("ERROR: AddressSanitizer: "), " \n");
		snprintf(end->kind, sizeof(end->kind), "AddressSanitizer/%s",
			 what);
		/* without the pid and the addresses: the same crash reads
		 * the same in every run */
		copy_word(end->line, sizeof(end->line),
			  asan + strlen("ERROR: "), "\n");
		addr = strstr(end->line, " on ");
		if (addr)
			*addr = '\0';
		if (line_with(report, "SUMMARY: AddressSanitizer", summary,
			      sizeof(summary)))
			place_in(summary, end->where, sizeof(end->where));
		return;
	}
	if (line_with(report, "runtime error:", end->line, sizeof(end->line))) {
		snprintf(end->kind, sizeof(end->kind),
			 "UndefinedBehaviorSanitizer");
		place_in(end->line, end->where, sizeof(end->where));
	}
}

void isolate_classify(int wstatus, bool hung, const char *report,
		      struct isolate_end *end)
{
	memset(end, 0, sizeof(*end));
	copy_word(end->report, sizeof(end->report), report, "");
	end->hung = hung;
	if (WIFSIGNALED(wstatus))
		end->signal = WTERMSIG(wstatus);
	else if (WIFEXITED(wstatus))
		end->status = WEXITSTATUS(wstatus);
	if (hung) {
		snprintf(end->kind, sizeof(end->kind), "hang");
		return;
	}
	classify_sanitizer(report, end);
	if (!end->kind[0] && end->signal)
		snprintf(end->kind, sizeof(end->kind), "SIG%s",
			 sigabbrev_np(end->signal) ? sigabbrev_np(end->signal)
						   : "UNKNOWN");
	if (!end->kind[0] && end->status)
		snprintf(end->kind, sizeof(end->kind), "exit-%d", end->status);
	end->crashed = end->kind[0] != '\0';
	if (!end->crashed)
		return;
	if (line_with(report, "Assertion `", end->line, sizeof(end->line)))
		place_in(end->line, end->where, sizeof(end->where));
	if (!end->line[0])
		copy_word(end->line, sizeof(end->line),
			  report + strspn(report, "\n"), "\n");
}

/* --- one piece of work ------------------------------------------------------ */

/* Room for the next read, growing the buffer when it may. */
static bool job_room(struct isolate_job *j)
{
	size_t cap;
	char *bigger;

	if (j->got < j->cap)
		return true;
	if (!j->grow || j->cap >= j->max)
		return false;
	cap = j->cap ? j->cap * 2 : 4096;
	if (cap > j->max)
		cap = j->max;
	bigger = realloc(j->buf, cap);
	if (!bigger)
		return false;
	j->buf = bigger;
	j->cap = cap;
	return true;
}

int isolate_job_start(struct isolate_job *j, isolate_fn fn, void *ctx,
		      double seconds, size_t max)
{
	if (isolate_spawn(&j->child, fn, ctx))
		return -1;
	close_fd(&j->child.in_fd);
	j->until = now_seconds() + seconds;
	j->hung = false;
	j->max = max;
	j->got = 0;
	if (j->grow) {
		j->buf = NULL;
		j->cap = 0;
	}
	return 0;
}

void isolate_job_fds(const struct isolate_job *j, int fds[2])
{
	fds[0] = j->child.out_fd;
	fds[1] = j->child.err_fd;
}

bool isolate_job_read(struct isolate_job *j)
{
	struct pollfd p[2] = { { .fd = j->child.out_fd, .events = POLLIN },
			       { .fd = j->child.err_fd, .events = POLLIN } };
	char sink[4096];
	bool room;
	ssize_t n;

	if (j->child.out_fd < 0)
		return true;
	if (poll(p, 2, 0) < 0)
		return false; /* a signal: read again */
	isolate_drain_stderr(&j->child, NULL);
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
		room = job_room(j);
		n = read(j->child.out_fd, room ? j->buf + j->got : sink,
			 room ? j->cap - j->got : sizeof(sink));
		if (n > 0 && room)
			j->got += (size_t)n;
		else if (n == 0 || (n < 0 && errno != EINTR))
			close_fd(&j->child.out_fd);
	}
	if (j->child.out_fd >= 0 && now_seconds() >= j->until)
		j->hung = true;
	return j->child.out_fd < 0 || j->hung;
}

void isolate_job_end(struct isolate_job *j, struct isolate_end *end)
{
	isolate_finish(&j->child, j->hung, j->hung, end);
}

/* One job, waited for here. */
static int run_job(isolate_fn fn, void *ctx, double seconds,
		   struct isolate_job *j, struct isolate_end *end)
{
	if (isolate_job_start(j, fn, ctx, seconds, j->max))
		return -1;
	while (!isolate_job_read(j)) {
		struct pollfd p[2] = { { .events = POLLIN },
				       { .events = POLLIN } };
		int fds[2];
		double left = j->until - now_seconds();

		isolate_job_fds(j, fds);
		p[0].fd = fds[0];
		p[1].fd = fds[1];
		if (left > 0)
			poll(p, 2, (int)(left * 1000) + 1);
	}
	isolate_job_end(j, end);
	return 0;
}

int isolate_run(isolate_fn fn, void *ctx, double seconds, void *buf, size_t len,
		size_t *got, struct isolate_end *end)
{
	struct isolate_job j = { .buf = buf, .cap = len, .max = len };
	int err = run_job(fn, ctx, seconds, &j, end);

	*got = j.got;
	return err;
}

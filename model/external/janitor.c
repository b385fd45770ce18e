/*
 * janitor.c - a directory removed when its owner is gone (janitor.h).
 */
#define _GNU_SOURCE

#include "janitor.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define JANITOR_WATCH_MAX 8
#define JANITOR_POLL_MS 10

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void janitor_remove_tree(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A process that no longer runs: no such pid, or a zombie (its parent
 * died with us, and whoever inherits it may be slow to reap it). */
static bool gone(pid_t pid)
{
	char path[64], buf[256], *end;
	size_t n;
	FILE *f;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	end = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return end && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X');
}

/* Until every watched process is gone, at most JANITOR_WAIT_MS. */
static void wait_gone(const pid_t *pids, unsigned int n)
{
	unsigned int waited = 0, i;
	bool alive = true;

	while (alive && waited < JANITOR_WAIT_MS) {
		alive = false;
		for (i = 0; i < n; i++)
			if (!gone(pids[i]))
				alive = true;
		if (alive) {
			sleep_ms(JANITOR_POLL_MS);
			waited += JANITOR_POLL_MS;
		}
	}
}

/* The child: reads pids until the pipe closes, then cleans up. */
static void janitor_main(int fd, const char *dir)
{
	pid_t pids[JANITOR_WATCH_MAX], pid;
	unsigned int n = 0;
	ssize_t r;
	int other;

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (other = 3; other < 1024; other++)
		if (other != fd)
			close(other);
	for (;;) {
		r = read(fd, &pid, sizeof(pid));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(pid))
			break; /* closed: the owner is done or gone */
		if (n < JANITOR_WATCH_MAX && pid > 0)
			pids[n++] = pid;
	}
	wait_gone(pids, n);
	janitor_remove_tree(dir);
	_exit(0);
}

int janitor_start(struct janitor *j, const char *dir)
{
	int fds[2];
	pid_t pid;

	j->pid = 0;
	j->fd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(fds[1]);
		janitor_main(fds[0], dir);
	}
	close(fds[0]);
	j->fd = fds[1];
	j->pid = pid;
	return 0;
}

void janitor_watch(struct janitor *j, pid_t pid)
{
	if (j->fd < 0 || pid <= 0)
		return;
	/* A pipe write of a few bytes is atomic and never blocks here. */
	if (write(j->fd, &pid, sizeof(pid)) < 0)
		(void)0;
}

void janitor_stop(struct janitor *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->pid > 0)
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
	j->pid = 0;
}

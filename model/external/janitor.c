/*
 * janitor.c - a directory removed when its owner is gone (janitor.h).
 */
#define _GNU_SOURCE

#include "janitor.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define JANITOR_WATCH_MAX 8
#define JANITOR_POLL_MS 10
/* The longest directory name; the reply fits in one atomic pipe write. */
#define JANITOR_NAME_MAX 1024

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

/* The child's answer: the errno of mkdtemp (0: made) and the name, as
 * long as the template. One write of at most PIPE_BUF bytes, so the owner
 * reads it whole. */
struct janitor_reply {
	int err;
	char name[JANITOR_NAME_MAX];
};
_Static_assert(sizeof(struct janitor_reply) <= PIPE_BUF,
	       "a janitor's reply is one atomic pipe write");

/* The bytes of a reply with a name of len bytes. */
static size_t reply_bytes(size_t len)
{
	return offsetof(struct janitor_reply, name) + len;
}

/*
 * The child. It makes the directory itself, from the owner's template,
 * and tells the owner its name (or the errno that stopped it) on reply:
 * from the moment the directory exists there is a janitor for it, so no
 * SIGKILL of the owner, however timed, can leave it behind. Then it reads
 * pids until the pipe closes and cleans up.
 */
static void janitor_main(int fd, int reply, char *template)
{
	size_t len = strlen(template);
	pid_t pids[JANITOR_WATCH_MAX], pid;
	struct janitor_reply msg;
	unsigned int n = 0;
	ssize_t r;
	int other;
	bool made;

	/* Before the directory exists: a ^C of the owner's terminal or a
	 * signal to its process group must not stop us once it does. */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	made = mkdtemp(template) != NULL;
	msg.err = made ? 0 : errno;
	memcpy(msg.name, template, len);
	/* If the owner is gone before it reads this, the pipe below is
	 * closed too and what was made goes at once. */
	while (write(reply, &msg, reply_bytes(len)) < 0 && errno == EINTR)
		;
	if (!made)
		_exit(0);
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
	janitor_remove_tree(template);
	_exit(0);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int janitor_make_dir(struct janitor *j, char *template)
{
	size_t len = strlen(template);
	int fds[2], reply[2], err;
	struct janitor_reply msg;
	ssize_t got;
	pid_t pid;

	j->pid = 0;
	j->fd = -1;
	if (len > sizeof(msg.name))
		return -ENAMETOOLONG;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(reply, O_CLOEXEC) < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		close(reply[0]);
		close(reply[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[1]);
		close(reply[0]);
		janitor_main(fds[0], reply[1], template);
	}
	close(fds[0]);
	close(reply[1]);
	while ((got = read(reply[0], &msg, sizeof(msg))) < 0 && errno == EINTR)
		;
	close(reply[0]);
	/* The name has the template's length: mkdtemp fills in its Xs. */
	if (got != (ssize_t)reply_bytes(len))
		err = ECHILD; /* the janitor died before it answered */
	else
		err = msg.err;
	if (err) {
		/* It made nothing, or removes what it made once fds[1] closes. */
		close(fds[1]);
		reap(pid);
		return -err;
	}
	memcpy(template, msg.name, len);
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
		reap(j->pid);
	j->pid = 0;
}

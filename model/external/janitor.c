/*
 * janitor.c - a directory removed when its owner is gone (janitor.h).
 */
#define _GNU_SOURCE

#include "janitor.h"

#include <dirent.h>
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

/* What the owner told the janitor before the pipe closed. */
struct janitor_orders {
	pid_t pids[JANITOR_WATCH_MAX];	 /* processes to wait for */
	pid_t groups[JANITOR_WATCH_MAX]; /* process groups to kill */
	unsigned int npids, ngroups;
	bool stopped; /* janitor_stop: the owner ended its groups itself */
};

/* Reads the owner's messages until the pipe closes (janitor_watch,
 * janitor_watch_group, janitor_stop). */
static void read_orders(int fd, struct janitor_orders *o)
{
	pid_t msg;
	ssize_t r;

	for (;;) {
		r = read(fd, &msg, sizeof(msg));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(msg))
			return; /* closed: the owner is done or gone */
		if (msg == 0)
			o->stopped = true;
		else if (msg > 0 && o->npids < JANITOR_WATCH_MAX)
			o->pids[o->npids++] = msg;
		else if (msg < 0 && o->ngroups < JANITOR_WATCH_MAX)
			o->groups[o->ngroups++] = -msg;
	}
}

/* Before anything else: a ^C of the owner's terminal or a signal to its
 * process group must not stop the janitor. */
static void detach(void)
{
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

/* A process as /proc/PID/stat says: its parent and its group. */
struct proc_entry {
	pid_t pid, ppid, pgrp;
	bool marked;
};

/* Every process of the system (at most max), from /proc. */
static size_t list_procs(struct proc_entry *e, size_t max)
{
	char path[300], buf[512], *end;
	struct dirent *d;
	size_t n = 0, len;
	DIR *dir = opendir("/proc");
	FILE *f;

	if (!dir)
		return 0;
	while (n < max && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		end = strrchr(buf, ')'); /* "pid (comm) S ppid pgrp ..." */
		if (end &&
		    sscanf(end + 2, "%*c %d %d", &e[n].ppid, &e[n].pgrp) == 2) {
			e[n].pid = atoi(buf);
			e[n].marked = false;
			n++;
		}
	}
	closedir(dir);
	return n;
}

/* Marks the members of the groups and, transitively, their children
 * (a process may leave its group: AFL++'s fork server starts a session
 * of its own), and stops each one, so that none forks any more while the
 * tree is read; returns how many are marked. */
static size_t mark_and_stop(struct proc_entry *e, size_t n, const pid_t *groups,
			    unsigned int ngroups)
{
	size_t i, k, marked = 0;
	bool more = true;
	unsigned int g;

	while (more) {
		more = false;
		for (i = 0; i < n; i++) {
			bool in = false;

			if (e[i].marked || e[i].pid == getpid())
				continue;
			for (g = 0; g < ngroups && !in; g++)
				in = e[i].pgrp == groups[g];
			for (k = 0; k < n && !in; k++)
				in = e[k].marked && e[k].pid == e[i].ppid;
			if (in) {
				e[i].marked = more = true;
				kill(e[i].pid, SIGSTOP);
				marked++;
			}
		}
	}
	return marked;
}

/* SIGKILLs the groups and every process descended from them: all of
 * them stopped, the list read again until it holds no more (one forked
 * while the list was read), then killed. */
static void end_groups(const pid_t *groups, unsigned int ngroups)
{
	enum { PROCS_MAX = 65536, ROUNDS = 8 };
	struct proc_entry *e = calloc(PROCS_MAX, sizeof(*e));
	size_t n = 0, marked, before = 0, i;
	unsigned int round, g;

	for (round = 0; e && round < ROUNDS; round++, before = marked) {
		n = list_procs(e, PROCS_MAX);
		marked = mark_and_stop(e, n, groups, ngroups);
		if (round > 0 && marked == before)
			break;
	}
	for (i = 0; e && i < n; i++)
		if (e[i].marked)
			kill(e[i].pid, SIGKILL);
	for (g = 0; g < ngroups; g++)
		kill(-groups[g], SIGKILL);
	free(e);
}

/* The child, once its directory (if any) is made: waits for the pipe to
 * close, then ends what the owner left running and removes dir. */
static void janitor_main(int fd, const char *dir)
{
	struct janitor_orders o = { .npids = 0 };
	int other;

	for (other = 3; other < 1024; other++)
		if (other != fd)
			close(other);
	read_orders(fd, &o);
	/* The owner died with them running: nobody else will end them. */
	if (o.ngroups && !o.stopped)
		end_groups(o.groups, o.ngroups);
	wait_gone(o.pids, o.npids);
	if (dir)
		janitor_remove_tree(dir);
	_exit(0);
}

/*
 * The child of janitor_make_dir. It makes the directory itself, from the
 * owner's template, and tells the owner its name (or the errno that
 * stopped it) on reply: from the moment the directory exists there is a
 * janitor for it, so no SIGKILL of the owner, however timed, can leave it
 * behind.
 */
static void janitor_dir_main(int fd, int reply, char *template)
{
	size_t len = strlen(template);
	struct janitor_reply msg;
	bool made;

	detach();
	made = mkdtemp(template) != NULL;
	msg.err = made ? 0 : errno;
	memcpy(msg.name, template, len);
	/* If the owner is gone before it reads this, the pipe below is
	 * closed too and what was made goes at once. */
	while (write(reply, &msg, reply_bytes(len)) < 0 && errno == EINTR)
		;
	if (!made)
		_exit(0);
	close(reply);
	janitor_main(fd, template);
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
		janitor_dir_main(fds[0], reply[1], template);
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

int janitor_start(struct janitor *j)
{
	int fds[2], err;
	pid_t pid;

	j->pid = 0;
	j->fd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[1]);
		detach();
		janitor_main(fds[0], NULL);
	}
	close(fds[0]);
	j->fd = fds[1];
	j->pid = pid;
	return 0;
}

/* One message to the janitor. A pipe write of a few bytes is atomic and
 * never blocks here; a janitor that is gone has nothing to be told. */
static void tell(const struct janitor *j, pid_t msg)
{
	if (j->fd >= 0 && write(j->fd, &msg, sizeof(msg)) < 0)
		(void)0;
}

void janitor_watch(struct janitor *j, pid_t pid)
{
	if (pid > 0)
		tell(j, pid);
}

void janitor_watch_group(const struct janitor *j, pid_t pgid)
{
	if (pgid > 0)
		tell(j, -pgid);
}

void janitor_stop(struct janitor *j)
{
	tell(j, 0);
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->pid > 0)
		reap(j->pid);
	j->pid = 0;
}

/*
 * test_janitor.c - the directory a third-party target works in goes when
 * its owner goes, however it ends (model/external/janitor.h): SIGKILLed
 * at any moment of making, filling and removing directories, stopped on
 * purpose, or while a process it started still writes there. Nothing is
 * left, and a directory that cannot be made is a clear error that leaves
 * no process behind. The process groups an owner starts (a fuzzer and
 * its jobs) end when it is killed, and are left to it when it stops its
 * janitor.
 */
#define _GNU_SOURCE

#include "harness.h"

#include <janitor.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTS(X)                                                               \
	X(owner_killed_at_any_moment_leaves_nothing)                           \
	X(stop_removes_what_the_owner_left)                                    \
	X(watched_writer_is_waited_for)                                        \
	X(owner_killed_groups_are_ended)                                       \
	X(stop_leaves_groups_alone)                                            \
	X(bad_template_is_an_error)
TESTS(HARNESS_DECLARE)

/* Owners killed: enough that a window of a fork's length is hit. */
#define KILLS 150
/* How long the janitors may take to clean up after all the kills. */
#define SETTLE_MS 10000

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* A private folder under TMPDIR (or /tmp) for one test's directories. */
static void make_base(char *base, size_t n)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, n, "%s/ringside-janitor-test-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	CHECK(mkdtemp(base) != NULL);
}

static unsigned int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Waits (bounded) until base is empty; true when it is. */
static bool settles_empty(const char *base)
{
	unsigned int waited;

	for (waited = 0; waited < SETTLE_MS; waited += 10) {
		if (entries(base) == 0)
			return true;
		sleep_us(10000);
	}
	return false;
}

static void put_file(const char *dir, const char *name)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
}

/* An owner's life, over and over, as a target's: a directory with its
 * janitor, a file in it, the directory removed and the janitor stopped. */
static void owner_loop(const char *base)
{
	char dir[512];
	struct janitor j;

	for (;;) {
		snprintf(dir, sizeof(dir), "%s/owner-XXXXXX", base);
		if (janitor_make_dir(&j, dir) < 0)
			_exit(2);
		put_file(dir, "sock");
		janitor_remove_tree(dir);
		janitor_stop(&j);
	}
}

/* SIGKILL lands anywhere in the owner's life: before, during or after a
 * directory is made, filled or removed. Whatever the moment, a directory
 * that exists has a janitor, so once they are done nothing is left. */
static void owner_killed_at_any_moment_leaves_nothing(void)
{
	char base[256];
	unsigned int k;
	pid_t pid;

	make_base(base, sizeof(base));
	for (k = 0; k < KILLS; k++) {
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			owner_loop(base);
		/* Spread over a few of the owner's cycles. */
		sleep_us(200 + (long)(k * 7919u % 3000u));
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, NULL, 0) == pid);
	}
	CHECK(settles_empty(base));
	CHECK(rmdir(base) == 0);
}

/* janitor_stop on a directory the owner did not remove removes it, and
 * returns only once it is gone. */
static void stop_removes_what_the_owner_left(void)
{
	char base[256], dir[512];
	struct janitor j;
	struct stat st;

	make_base(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/left-XXXXXX", base);
	CHECK_EQ(0, janitor_make_dir(&j, dir));
	CHECK(strstr(dir, "XXXXXX") == NULL);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_EQ(0700, st.st_mode & 0777);
	put_file(dir, "disk.img");
	janitor_stop(&j);
	CHECK_EQ(0, j.pid);
	CHECK_EQ(-1, j.fd);
	CHECK(stat(dir, &st) < 0 && errno == ENOENT);
	janitor_stop(&j); /* idempotent */
	CHECK(rmdir(base) == 0);
}

/* A process the janitor was told of still writes into the directory
 * after its owner is done: the janitor waits for it before removing. */
static void watched_writer_is_waited_for(void)
{
	char base[256], dir[512];
	struct janitor j;
	struct stat st;
	pid_t writer;

	make_base(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/watched-XXXXXX", base);
	CHECK_EQ(0, janitor_make_dir(&j, dir));
	writer = fork();
	CHECK(writer >= 0);
	if (writer == 0) {
		sleep_us(300000);
		put_file(dir, "late");
		_exit(0);
	}
	janitor_watch(&j, writer);
	janitor_stop(&j); /* returns once the janitor has removed it */
	CHECK(stat(dir, &st) < 0 && errno == ENOENT);
	CHECK(waitpid(writer, NULL, 0) == writer);
	CHECK_EQ(0, entries(base));
	CHECK(rmdir(base) == 0);
}

/* n pids from fd, written one at a time. */
static bool read_pids(int fd, pid_t *pids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (read(fd, &pids[i], sizeof(pids[i])) != sizeof(pids[i]))
			return false;
	return true;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

/*
 * A fuzzer's processes: a group leader that registers its group itself
 * before anything else (as a child of ours does before it execs), a
 * member that leaves for a session of its own (as AFL++'s fork server
 * does) and its child, stopped (as a persistent-mode target waits). The
 * member and the stopped one write their pids to report, in either
 * order; returns the leader.
 */
static pid_t start_fuzzer(const struct janitor *j, int report)
{
	pid_t leader = fork(), member, stopped;

	if (leader != 0)
		return leader;
	setpgid(0, 0);
	janitor_watch_group(j, getpid());
	close(j->fd); /* as an exec would: the pipe is O_CLOEXEC */
	member = fork();
	if (member == 0) {
		setsid();
		stopped = fork();
		if (stopped == 0)
			for (;;)
				raise(SIGSTOP);
		if (write(report, &stopped, sizeof(stopped)) < 0)
			_exit(1);
		sleep_forever();
	}
	if (write(report, &member, sizeof(member)) < 0)
		_exit(1);
	sleep_forever();
	return 0;
}

static void check_running(const pid_t *pids, unsigned int n, bool want)
{
	unsigned int waited, i, left;

	for (waited = 0; waited <= SETTLE_MS; waited += 10) {
		for (i = left = 0; i < n; i++)
			left += harness_running(pids[i]) == want ? 0 : 1;
		if (left == 0 || want)
			break;
		sleep_us(10000);
	}
	for (i = 0; i < n; i++)
		CHECK(harness_running(pids[i]) == want);
}

/* The owner is SIGKILLed while a fuzzer runs: the janitor kills all of
 * it, the processes that left its group and the stopped one included. */
static void owner_killed_groups_are_ended(void)
{
	pid_t owner, pids[3];
	int report[2];

	CHECK(pipe(report) == 0);
	owner = fork();
	CHECK(owner >= 0);
	if (owner == 0) {
		struct janitor j;

		if (janitor_start(&j) < 0)
			_exit(2);
		pids[0] = start_fuzzer(&j, report[1]);
		if (write(report[1], &pids[0], sizeof(pids[0])) < 0)
			_exit(1);
		sleep_forever();
	}
	close(report[1]);
	CHECK(read_pids(report[0], pids, 3));
	close(report[0]);
	check_running(pids, 3, true);
	kill(owner, SIGKILL);
	CHECK(waitpid(owner, NULL, 0) == owner);
	check_running(pids, 3, false);
}

/* janitor_stop says the owner ends its groups itself: the janitor kills
 * nothing (a group id may be another's by then). */
static void stop_leaves_groups_alone(void)
{
	struct janitor j;
	pid_t pids[3];
	int report[2];

	CHECK(pipe(report) == 0);
	CHECK_EQ(0, janitor_start(&j));
	CHECK(j.pid > 0);
	pids[2] = start_fuzzer(&j, report[1]);
	CHECK(read_pids(report[0], pids, 2));
	janitor_stop(&j);
	CHECK_EQ(0, j.pid);
	sleep_us(100000);
	check_running(pids, 3, true);
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	kill(-pids[2], SIGKILL);
	CHECK(waitpid(pids[2], NULL, 0) == pids[2]);
	close(report[0]);
	close(report[1]);
}

/* A template in a folder that does not exist, or too long a name: the
 * error says why, and no janitor is left running or unreaped. */
static void bad_template_is_an_error(void)
{
	char dir[] = "/nonexistent-ringside-folder/d-XXXXXX";
	char longer[2048];
	struct janitor j;
	int status;

	CHECK_EQ(-ENOENT, janitor_make_dir(&j, dir));
	CHECK_EQ(0, j.pid);
	CHECK_EQ(-1, j.fd);
	CHECK(waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD);
	memset(longer, 'a', sizeof(longer) - 7);
	strcpy(longer + sizeof(longer) - 7, "XXXXXX");
	CHECK_EQ(-ENAMETOOLONG, janitor_make_dir(&j, longer));
	CHECK_EQ(0, j.pid);
}

HARNESS_MAIN(TESTS)

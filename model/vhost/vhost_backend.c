/*
 * vhost_backend.c - starting, watching and stopping a vhost-user back end
 * (vhost_backend.h).
 */
#define _GNU_SOURCE

#include "vhost_backend.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* prctl(PR_SET_PDEATHSIG) through syscall(): <sys/prctl.h> pulls in
 * kernel headers that the ring's linux/ shadows. */
#define VHB_PR_SET_PDEATHSIG 1
#define VHB_STDERR_TAIL 600
#define VHB_STDERR_LINES 2 /* of the tail, in an exit's description */
#define VHB_POLL_MS 2

static volatile sig_atomic_t caught_signal;
static bool handlers_installed;

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL); /* a signal cuts it short: that is fine */
}

/* --- signals ------------------------------------------------------------------ */

static void on_signal(int sig)
{
	caught_signal = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	if (handlers_installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	handlers_installed = true;
}

int vhb_signal(void)
{
	return caught_signal;
}

void vhb_reraise(void)
{
	int sig = caught_signal;

	if (!sig)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --- files --------------------------------------------------------------------- */

bool vhb_have(const char *program)
{
	const char *path = getenv("PATH");
	char buf[VHB_PATH_BYTES * 2];
	const char *p, *end;

	if (strchr(program, '/'))
		return access(program, X_OK) == 0;
	for (p = path ? path : "/usr/bin:/bin"; *p; p = end + (*end != 0)) {
		end = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p,
			 program);
		if (access(buf, X_OK) == 0)
			return true;
		if (!*end)
			break;
	}
	return false;
}

void vhb_path(const struct vhb *b, const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", b->dir, name);
}

static const char *tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	/* The socket path must fit sun_path (108 bytes). */
	return !tmp || !tmp[0] || strlen(tmp) > 60 ? "/tmp" : tmp;
}

/* The directories of runs that were killed (SIGKILL leaves no chance to
 * clean up; their back ends died with them): named by a pid that no
 * longer exists. */
static void remove_stale_dirs(void)
{
	const char *tmp = tmp_dir();
	char path[VHB_PATH_BYTES * 2];
	struct dirent *e;
	long pid;
	char *end;
	DIR *d = opendir(tmp);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, VHB_DIR_PREFIX,
			    strlen(VHB_DIR_PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(VHB_DIR_PREFIX), &end, 10);
		if (pid <= 0 || *end != '-' || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		janitor_remove_tree(path);
	}
	closedir(d);
}

static int make_dir(struct vhb *b)
{
	const char *tmp = tmp_dir();
	int err;

	snprintf(b->dir, sizeof(b->dir), "%s/" VHB_DIR_PREFIX "%d-XXXXXX", tmp,
		 (int)getpid());
	/* The janitor makes it: however we end, the directory goes. */
	err = janitor_make_dir(&b->janitor, b->dir);
	if (err < 0) {
		snprintf(b->error, sizeof(b->error),
			 "cannot make a directory in %s: %s", tmp,
			 strerror(-err));
		b->dir[0] = '\0';
		return err;
	}
	snprintf(b->sock, sizeof(b->sock), "%s/vhost.sock", b->dir);
	return 0;
}

static int make_files(struct vhb *b, const struct vhb_options *o)
{
	char path[VHB_PATH_BYTES + 16];
	int fd;

	if (o->disk_bytes) {
		vhb_path(b, "disk.img", path, sizeof(path));
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)o->disk_bytes) < 0) {
			snprintf(b->error, sizeof(b->error),
				 "cannot make the disk image %s: %s", path,
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return -EIO;
		}
		close(fd);
	}
	if (o->share) {
		vhb_path(b, "share", path, sizeof(path));
		if (mkdir(path, 0700) < 0) {
			snprintf(b->error, sizeof(b->error),
				 "cannot make the shared folder %s: %s", path,
				 strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

static void remove_dir(struct vhb *b)
{
	janitor_remove_tree(b->dir);
	b->dir[0] = '\0';
	/* it finds nothing left and exits */
	janitor_stop(&b->janitor);
}

/* The command with @SOCK@ and @DIR@ replaced, after "exec ". */
static int expand(const struct vhb *b, const char *cmd, char *out, size_t n)
{
	size_t used = 0, len;
	const char *val;

	used = (size_t)snprintf(out, n, "exec ");
	while (*cmd) {
		if (strncmp(cmd, "@SOCK@", 6) == 0) {
			val = b->sock;
			cmd += 6;
		} else if (strncmp(cmd, "@DIR@", 5) == 0) {
			val = b->dir;
			cmd += 5;
		} else {
			if (used + 1 >= n)
				return -E2BIG;
			out[used++] = *cmd++;
			continue;
		}
		len = strlen(val);
		if (used + len >= n)
			return -E2BIG;
		memcpy(out + used, val, len);
		used += len;
	}
	out[used] = '\0';
	return 0;
}

/* --- the child ------------------------------------------------------------------ */

static void exec_child(const struct vhb *b, const char *cmd, int stdin_fd,
		       pid_t parent)
{
	char path[VHB_PATH_BYTES + 16];
	int fd;

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (syscall(SYS_prctl, VHB_PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	    getppid() != parent)
		_exit(126);
	vhb_path(b, "stderr.log", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		dup2(fd, 1);
		close(fd);
	}
	dup2(stdin_fd, 0);
	close(stdin_fd);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	fprintf(stderr, "cannot run /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

static int spawn(struct vhb *b, const char *cmd)
{
	pid_t parent = getpid();
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(b->error, sizeof(b->error), "pipe: %s",
			 strerror(errno));
		return -errno;
	}
	b->pid = fork();
	if (b->pid < 0) {
		b->pid = 0;
		close(p[0]);
		close(p[1]);
		snprintf(b->error, sizeof(b->error), "fork: %s",
			 strerror(errno));
		return -EAGAIN;
	}
	if (b->pid == 0)
		exec_child(b, cmd, p[0], parent);
	setpgid(b->pid, b->pid); /* either side may win the race */
	janitor_watch(&b->janitor, b->pid);
	close(p[0]);
	b->stdin_fd = p[1];
	return 0;
}

bool vhb_alive(struct vhb *b)
{
	return proc_alive(b->pid, &b->status, &b->reaped);
}

bool vhb_wait_exit(struct vhb *b, unsigned int ms)
{
	return proc_wait_exit(b->pid, &b->status, &b->reaped, ms, VHB_POLL_MS);
}

static void stderr_tail(const struct vhb *b, char *buf, size_t n)
{
	char path[VHB_PATH_BYTES + 16], tail[VHB_STDERR_TAIL + 1];
	size_t got, i, start;
	unsigned int lines;
	FILE *f;
	long size;

	buf[0] = '\0';
	vhb_path(b, "stderr.log", path, sizeof(path));
	f = fopen(path, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > VHB_STDERR_TAIL ? size - VHB_STDERR_TAIL : 0, SEEK_SET);
	got = fread(tail, 1, VHB_STDERR_TAIL, f);
	fclose(f);
	tail[got] = '\0';
	while (got && (tail[got - 1] == '\n' || tail[got - 1] == '\r' ||
		       tail[got - 1] == ' '))
		tail[--got] = '\0';
	/* The last lines say why it ended (a panic, an assertion): they
	 * come first, as short reports cut the rest. */
	for (i = got, lines = 0; i > 0; i--)
		if (tail[i - 1] == '\n' && ++lines == VHB_STDERR_LINES)
			break;
	start = i;
	for (i = start; i < got; i++)
		if (tail[i] == '\n' || tail[i] == '\r')
			tail[i] = '|';
	snprintf(buf, n, "%s", tail + start);
}

void vhb_describe_exit(struct vhb *b, char *buf, size_t n)
{
	char tail[VHB_STDERR_TAIL + 1];

	stderr_tail(b, tail, sizeof(tail));
	if (!b->reaped)
		snprintf(buf, n, "the back end (pid %d) is still running",
			 (int)b->pid);
	else if (WIFSIGNALED(b->status))
		snprintf(buf, n,
			 "the back end (pid %d) was killed by signal "
			 "%d%s%s",
			 (int)b->pid, WTERMSIG(b->status), tail[0] ? ": " : "",
			 tail);
	else
		snprintf(buf, n,
			 "the back end (pid %d) exited with status "
			 "%d%s%s",
			 (int)b->pid, WEXITSTATUS(b->status),
			 tail[0] ? ": " : "", tail);
}

/* --- start and stop ---------------------------------------------------------------- */

/* Connects, retrying while the socket is not there yet and the back end
 * lives. */
static int wait_socket(struct vhb *b, struct vu_conn *c, unsigned int ms,
		       unsigned int reply_ms)
{
	double deadline = proc_now_ms() + ms;
	char why[VHB_ERROR_BYTES - 64];

	for (;;) {
		if (vu_connect(c, b->sock, 1) == 0) {
			c->timeout_ms =
				reply_ms ? reply_ms : VU_TIMEOUT_MS_DEFAULT;
			return 0;
		}
		if (!vhb_alive(b)) {
			vhb_describe_exit(b, why, sizeof(why));
			snprintf(b->error, sizeof(b->error),
				 "the back end ended before its socket "
				 "appeared: %s",
				 why);
			return -ECHILD;
		}
		if (caught_signal) {
			snprintf(b->error, sizeof(b->error),
				 "interrupted by signal %d", caught_signal);
			return -EINTR;
		}
		if (proc_now_ms() >= deadline) {
			snprintf(b->error, sizeof(b->error),
				 "the back end made no socket at %s within "
				 "%u ms (%s)",
				 b->sock, ms, c->error);
			return -ETIMEDOUT;
		}
		sleep_ms(VHB_POLL_MS);
	}
}

int vhb_start(struct vhb *b, const struct vhb_options *o, struct vu_conn *c,
	      unsigned int reply_timeout_ms)
{
	char cmd[VHB_COMMAND_BYTES];
	double t0 = proc_now_ms();
	int err;

	memset(b, 0, sizeof(*b));
	b->stdin_fd = -1;
	b->janitor.fd = -1;
	vu_adopt(c, -1, reply_timeout_ms);
	catch_signals();
	remove_stale_dirs();
	err = make_dir(b);
	if (!err)
		err = make_files(b, o);
	if (!err && expand(b, o->command, cmd, sizeof(cmd))) {
		snprintf(b->error, sizeof(b->error),
			 "the back end's command is too long");
		err = -E2BIG;
	}
	if (!err)
		err = spawn(b, cmd);
	if (!err)
		err = wait_socket(b, c,
				  o->timeout_ms ? o->timeout_ms
						: VHB_START_TIMEOUT_MS,
				  reply_timeout_ms);
	if (err) {
		vu_close(c);
		vhb_stop(b);
		return err;
	}
	/* The socket stays until vhb_stop: a front end may connect anew
	 * (a reset after the back end dropped the session). */
	b->startup_ms = proc_now_ms() - t0;
	return 0;
}

static void terminate(struct vhb *b)
{
	if (!vhb_alive(b))
		return;
	kill(-b->pid, SIGTERM);
	kill(b->pid, SIGTERM);
	if (vhb_wait_exit(b, VHB_STOP_GRACE_MS))
		return;
	kill(-b->pid, SIGKILL);
	kill(b->pid, SIGKILL);
	vhb_wait_exit(b, VHB_STOP_GRACE_MS);
}

void vhb_stop(struct vhb *b)
{
	if (b->stdin_fd >= 0)
		close(b->stdin_fd);
	b->stdin_fd = -1;
	if (b->pid)
		terminate(b);
	remove_dir(b);
}

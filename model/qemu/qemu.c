/*
 * qemu.c - the QEMU launcher (qemu.h).
 */
#define _GNU_SOURCE

#include "qemu.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* prctl(PR_SET_PDEATHSIG): <sys/prctl.h> pulls in kernel headers that the
 * ring's linux/ shadows, so the call goes through syscall(). */
#define QEMU_PR_SET_PDEATHSIG 1
#define QEMU_BIOS_BYTES 0x10000u
#define QEMU_STDERR_TAIL 600
#define QEMU_ARGV_MAX (QEMU_ARGS_MAX + 32)

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int qemu_opt_add(struct qemu_options *o, const char *arg)
{
	if (o->nargs >= QEMU_ARGS_MAX)
		return -E2BIG;
	o->args[o->nargs++] = arg;
	return 0;
}

bool qemu_installed(void)
{
	const char *path = getenv("PATH");
	char buf[QEMU_PATH_BYTES * 2];
	const char *p, *end;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end - p > 0 && (size_t)(end - p) < sizeof(buf) - 32) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p,
				 QEMU_BINARY);
			if (access(buf, X_OK) == 0)
				return true;
		}
	}
	return false;
}

/* DIR/name into buf; the directory name is short (mkdtemp in /tmp), so
 * a truncation cannot happen, but it would give an empty path. */
static void path_in(const struct qemu *qm, const char *name, char *buf,
		    size_t n)
{
	int len = snprintf(buf, n, "%s/%s", qm->dir, name);

	if (len < 0 || (size_t)len >= n)
		buf[0] = '\0';
}

/* The halting BIOS: 0xff everywhere, cli; hlt; jmp $-3 at the reset
 * vector (offset 0xfff0 of the last 64 KiB below 4 GiB). */
static int write_bios(struct qemu *qm)
{
	static const u8 halt[4] = { 0xfa, 0xf4, 0xeb, 0xfd };
	char path[QEMU_PATH_BYTES];
	u8 *bios = malloc(QEMU_BIOS_BYTES);
	FILE *f;
	int err = 0;

	if (!bios)
		return -ENOMEM;
	memset(bios, 0xff, QEMU_BIOS_BYTES);
	memcpy(bios + 0xfff0, halt, sizeof(halt));
	path_in(qm, "haltbios.bin", path, sizeof(path));
	f = fopen(path, "wb");
	if (!f || fwrite(bios, 1, QEMU_BIOS_BYTES, f) != QEMU_BIOS_BYTES)
		err = errno ? -errno : -EIO;
	if (f && fclose(f) != 0 && !err)
		err = -EIO;
	free(bios);
	return err;
}

/* A sparse, zeroed raw disk image. */
static int write_disk(struct qemu *qm, u64 bytes)
{
	char path[QEMU_PATH_BYTES];
	int fd, err = 0;

	path_in(qm, "disk.img", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int listen_unix(struct qemu *qm, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	path_in(qm, name, sa.sun_path, sizeof(sa.sun_path));
	if (!sa.sun_path[0] ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The guest RAM: a memfd (a file with no name, gone when the last of
 * us and QEMU closes it), mapped shared; QEMU opens it as
 * /proc/self/fd/N (memory-backend-file accepts any path it can open). */
static int make_ram(struct qemu *qm)
{
	int fd = memfd_create("ringside-guest-ram", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	qm->ram_fd = fd;
	if (ftruncate(fd, QEMU_RAM_BYTES) < 0)
		return -errno;
	qm->mem = mmap(NULL, QEMU_RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	if (qm->mem == MAP_FAILED) {
		qm->mem = NULL;
		return -errno;
	}
	return 0;
}

/* One argument with every @DIR@ replaced; in a buffer of its own. */
static char *expand(const struct qemu *qm, const char *arg)
{
	size_t n = 1, dir = strlen(qm->dir);
	const char *p, *at;
	char *s, *o;

	for (p = arg; (at = strstr(p, "@DIR@")) != NULL; p = at + 5)
		n += (size_t)(at - p) + dir;
	n += strlen(p);
	s = malloc(n);
	if (!s)
		return NULL;
	for (o = s, p = arg; (at = strstr(p, "@DIR@")) != NULL; p = at + 5) {
		memcpy(o, p, (size_t)(at - p));
		o += at - p;
		memcpy(o, qm->dir, dir);
		o += dir;
	}
	strcpy(o, p);
	return s;
}

struct argv_buf {
	char *argv[QEMU_ARGV_MAX + 1];
	unsigned int n;
	bool oom;
};

static void arg(struct argv_buf *a, const struct qemu *qm, const char *s)
{
	char *e = expand(qm, s);

	if (!e || a->n >= QEMU_ARGV_MAX) {
		free(e);
		a->oom = true;
		return;
	}
	a->argv[a->n++] = e;
	a->argv[a->n] = NULL;
}

static void argv_free(struct argv_buf *a)
{
	unsigned int i;

	for (i = 0; i < a->n; i++)
		free(a->argv[i]);
	a->n = 0;
}

static void build_argv(struct argv_buf *a, const struct qemu *qm,
		       const struct qemu_options *o)
{
	char buf[QEMU_PATH_BYTES * 2];
	unsigned int i;

	memset(a, 0, sizeof(*a));
	arg(a, qm, QEMU_BINARY);
	arg(a, qm, "-machine");
	arg(a, qm, "pc,memory-backend=mem,pit=off");
	arg(a, qm, "-m");
	snprintf(buf, sizeof(buf), "%uM", QEMU_RAM_BYTES >> 20);
	arg(a, qm, buf);
	arg(a, qm, "-object");
	snprintf(buf, sizeof(buf),
		 "memory-backend-file,id=mem,size=%uM,mem-path=/proc/self/fd/"
		 "%d,share=on",
		 QEMU_RAM_BYTES >> 20, qm->ram_fd);
	arg(a, qm, buf);
	arg(a, qm, "-accel");
	arg(a, qm, "tcg");
	arg(a, qm, "-bios");
	arg(a, qm, "@DIR@/haltbios.bin");
	arg(a, qm, "-display");
	arg(a, qm, "none");
	arg(a, qm, "-nodefaults");
	arg(a, qm, "-no-user-config");
	arg(a, qm, "-qtest");
	arg(a, qm, "unix:@DIR@/qtest.sock");
	arg(a, qm, "-qtest-log");
	arg(a, qm, "/dev/null");
	for (i = 0; i < o->nargs; i++)
		arg(a, qm, o->args[i]);
}

/* In the child: QEMU dies with us, its output goes to DIR/stderr.log. */
static void exec_child(const struct qemu *qm, struct argv_buf *a, pid_t parent)
{
	char path[QEMU_PATH_BYTES];
	int fd;

	if (syscall(SYS_prctl, QEMU_PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	    getppid() != parent)
		_exit(126);
	/* a terminal's ^C is ours to handle: QEMU finishes its cell */
	setpgid(0, 0);
	/* the guest RAM stays open across exec: QEMU maps the same memfd */
	if (fcntl(qm->ram_fd, F_SETFD, 0) < 0)
		_exit(126);
	path_in(qm, "stderr.log", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	execvp(a->argv[0], a->argv);
	fprintf(stderr, "cannot run %s: %s\n", a->argv[0], strerror(errno));
	_exit(127);
}

bool qemu_alive(struct qemu *qm)
{
	return proc_alive(qm->pid, &qm->status, &qm->reaped);
}

bool qemu_wait_exit(struct qemu *qm, unsigned int ms)
{
	return proc_wait_exit(qm->pid, &qm->status, &qm->reaped, ms, 2);
}

/* The last lines QEMU wrote to its stderr, on one line. */
static void stderr_tail(const struct qemu *qm, char *buf, size_t n)
{
	char path[QEMU_PATH_BYTES], tail[QEMU_STDERR_TAIL + 1];
	size_t got, i;
	FILE *f;
	long size;

	buf[0] = '\0';
	path_in(qm, "stderr.log", path, sizeof(path));
	f = fopen(path, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > QEMU_STDERR_TAIL ? size - QEMU_STDERR_TAIL : 0,
	      SEEK_SET);
	got = fread(tail, 1, QEMU_STDERR_TAIL, f);
	fclose(f);
	tail[got] = '\0';
	while (got && (tail[got - 1] == '\n' || tail[got - 1] == ' '))
		tail[--got] = '\0';
	for (i = 0; i < got; i++)
		if (tail[i] == '\n')
			tail[i] = '|';
	if (got)
		snprintf(buf, n, "; its stderr ends: %s", tail);
}

void qemu_describe_exit(struct qemu *qm, char *buf, size_t n)
{
	char tail[QEMU_STDERR_TAIL + 64];

	stderr_tail(qm, tail, sizeof(tail));
	if (!qm->reaped)
		snprintf(buf, n, "QEMU (pid %d) is still running%s",
			 (int)qm->pid, tail);
	else if (WIFSIGNALED(qm->status))
		snprintf(buf, n, "QEMU (pid %d) was killed by signal %d%s",
			 (int)qm->pid, WTERMSIG(qm->status), tail);
	else
		snprintf(buf, n, "QEMU (pid %d) exited with status %d%s",
			 (int)qm->pid, WEXITSTATUS(qm->status), tail);
}

/* Accepts on fd, waiting at most until deadline (ms) while QEMU lives. */
static int accept_from_qemu(struct qemu *qm, int fd, double deadline,
			    const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int c, r;

	for (;;) {
		if (!qemu_alive(qm)) {
			char why[QEMU_ERROR_BYTES - 64];

			qemu_describe_exit(qm, why, sizeof(why));
			snprintf(qm->error, sizeof(qm->error),
				 "QEMU exited early: %s", why);
			return -ECHILD;
		}
		if (proc_now_ms() >= deadline) {
			snprintf(qm->error, sizeof(qm->error),
				 "QEMU did not connect its %s within the "
				 "start-up timeout",
				 what);
			return -ETIMEDOUT;
		}
		r = poll(&pfd, 1, 20);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			return c;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static int spawn(struct qemu *qm, const struct qemu_options *o)
{
	struct argv_buf a;
	pid_t parent = getpid(), pid;

	build_argv(&a, qm, o);
	if (a.oom) {
		argv_free(&a);
		return -ENOMEM;
	}
	pid = fork();
	if (pid == 0)
		exec_child(qm, &a, parent);
	argv_free(&a);
	if (pid < 0)
		return -errno;
	qm->pid = pid;
	janitor_watch(&qm->janitor, pid);
	return 0;
}

static int connect_qemu(struct qemu *qm, const struct qemu_options *o,
			double t0)
{
	unsigned int timeout =
		o->timeout_ms ? o->timeout_ms : QEMU_START_TIMEOUT_MS;
	double deadline = t0 + timeout;
	int fd;
	u64 v;

	fd = accept_from_qemu(qm, qm->listen_fd, deadline, "qtest socket");
	if (fd < 0)
		return fd;
	qtest_init(&qm->qt, fd, timeout);
	if (o->console_socket) {
		fd = accept_from_qemu(qm, qm->console_listen_fd, deadline,
				      "console chardev");
		if (fd < 0)
			return fd;
		qm->console_fd = fd;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	if (qtest_cmd(&qm->qt, &v, "endianness") != 0) {
		char why[QEMU_ERROR_BYTES - 64];

		/* A connection lost at once: QEMU is on its way out. */
		if (qemu_wait_exit(qm, QEMU_EXIT_WAIT_MS)) {
			qemu_describe_exit(qm, why, sizeof(why));
			snprintf(qm->error, sizeof(qm->error),
				 "QEMU exited early: %s", why);
			return -ECHILD;
		}
		snprintf(qm->error, sizeof(qm->error), "%s", qm->qt.error);
		return -EIO;
	}
	qm->startup_ms = proc_now_ms() - t0;
	return 0;
}

int qemu_start(struct qemu *qm, const struct qemu_options *o)
{
	int err;
	double t0 = 0;

	memset(qm, 0, sizeof(*qm));
	qm->listen_fd = qm->console_listen_fd = qm->console_fd = -1;
	qm->ram_fd = -1;
	qm->janitor.fd = -1;
	qm->qt.fd = -1;
	if (!qemu_installed()) {
		snprintf(qm->error, sizeof(qm->error),
			 "QEMU is not installed (%s not found on PATH); "
			 "install it with: %s",
			 QEMU_BINARY, QEMU_APT_LINE);
		return -ENOENT;
	}
	snprintf(qm->dir, sizeof(qm->dir), QEMU_DIR_PREFIX "%d-XXXXXX",
		 (int)getpid());
	/* The janitor makes it: however we end, the directory goes. */
	err = janitor_make_dir(&qm->janitor, qm->dir);
	if (err) {
		qm->dir[0] = '\0';
		snprintf(qm->error, sizeof(qm->error),
			 "cannot create a directory for QEMU: %s",
			 strerror(-err));
		return err;
	}
	err = write_bios(qm);
	if (!err && o->disk_bytes)
		err = write_disk(qm, o->disk_bytes);
	if (!err)
		err = make_ram(qm);
	if (!err)
		err = qm->listen_fd = listen_unix(qm, "qtest.sock");
	if (err >= 0 && o->console_socket)
		err = qm->console_listen_fd = listen_unix(qm, "console.sock");
	if (err >= 0) {
		t0 = proc_now_ms();
		err = spawn(qm, o);
	}
	if (err < 0 && !qm->error[0])
		snprintf(qm->error, sizeof(qm->error), "cannot set up QEMU: %s",
			 strerror(-err));
	if (err >= 0)
		err = connect_qemu(qm, o, t0);
	if (err < 0) {
		qemu_stop(qm);
		return err;
	}
	return 0;
}

static void terminate(struct qemu *qm)
{
	double deadline;

	if (!qemu_alive(qm))
		return;
	kill(qm->pid, SIGTERM);
	deadline = proc_now_ms() + QEMU_STOP_GRACE_MS;
	while (qemu_alive(qm) && proc_now_ms() < deadline)
		sleep_ms(2);
	if (!qm->reaped) {
		kill(qm->pid, SIGKILL);
		while (waitpid(qm->pid, &qm->status, 0) < 0 && errno == EINTR)
			;
		qm->reaped = true;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void remove_dir(struct qemu *qm)
{
	if (qm->dir[0])
		janitor_remove_tree(qm->dir);
	qm->dir[0] = '\0';
	/* the janitor finds nothing left and exits */
	janitor_stop(&qm->janitor);
}

size_t qemu_console_echo(struct qemu *qm)
{
	ssize_t n;

	if (qm->console_fd < 0)
		return 0;
	if (qm->echo_len < sizeof(qm->echo)) {
		n = recv(qm->console_fd, qm->echo + qm->echo_len,
			 sizeof(qm->echo) - qm->echo_len, MSG_DONTWAIT);
		if (n > 0)
			qm->echo_len += (size_t)n;
	}
	if (!qm->echo_len)
		return 0;
	n = send(qm->console_fd, qm->echo, qm->echo_len,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n <= 0)
		return 0;
	memmove(qm->echo, qm->echo + n, qm->echo_len - (size_t)n);
	qm->echo_len -= (size_t)n;
	return (size_t)n;
}

void qemu_stop(struct qemu *qm)
{
	terminate(qm);
	qtest_close(&qm->qt);
	close_fd(&qm->console_fd);
	close_fd(&qm->console_listen_fd);
	close_fd(&qm->listen_fd);
	if (qm->mem)
		munmap(qm->mem, QEMU_RAM_BYTES);
	qm->mem = NULL;
	close_fd(&qm->ram_fd);
	remove_dir(qm);
}

/*
 * test_vhost.c - the unchanged workload drivers against real vhost-user
 * back ends (model/vhost/vhost.h): qemu-storage-daemon (vhost-user-blk),
 * virtiofsd (virtio-fs) and dpdk-testpmd's vhost PMD (vhost-user-net),
 * and the exit paths of a back end we start: its death mid-run, its exit
 * before the socket, our SIGINT/SIGTERM and our own death (SIGKILL: the
 * janitor removes the files). After each, no child process and no
 * directory of ours is left.
 *
 * The back ends are required (tools/lib/deps.sh installs them): a
 * missing one fails its test with the package to install.
 */
#define _GNU_SOURCE

#include "harness.h"

#include <vhost.h>
#include <vhost_backend.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTS(X)                                                               \
	X(block_passes)                                                        \
	X(fs_passes)                                                           \
	X(net_passes)                                                          \
	X(socket_target_passes)                                                \
	X(backend_killed_mid_run)                                              \
	X(backend_exits_early)                                                 \
	X(sigterm_cleans_up)                                                   \
	X(sigint_cleans_up)                                                    \
	X(our_death_kills_backend)

TESTS(HARNESS_DECLARE)

static void require(enum vhost_device d)
{
	char msg[256];

	if (vhb_have(vhost_builtin_program(d)))
		return;
	snprintf(msg, sizeof(msg),
		 "%s is missing; install it with: apt-get install -y "
		 "--no-install-recommends %s",
		 vhost_builtin_program(d), vhost_builtin_package(d));
	harness_fail(__FILE__, __LINE__, "vhb_have()", msg);
}

/* Directories ringside-vhost-<pid>-* in /tmp. */
static unsigned int dirs_of(pid_t pid)
{
	char prefix[64];
	struct dirent *e;
	unsigned int n = 0;
	DIR *d = opendir("/tmp");

	snprintf(prefix, sizeof(prefix), VHB_DIR_PREFIX "%d-", (int)pid);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void check_clean(void)
{
	int status;

	errno = 0;
	CHECK_EQ(-1, waitpid(-1, &status, WNOHANG));
	CHECK_EQ(ECHILD, errno);
	CHECK_EQ(0, dirs_of(getpid()));
}

static bool alive(pid_t pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

static void defaults(struct vhost_cell_config *cfg, enum vhost_device d)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->device = d;
	cfg->seed = 7;
	cfg->requests = 20;
	cfg->timeout_ms = 15000;
}

static void print(const char *what, const struct vhost_cell_result *r)
{
	printf("    %-6s %s %3llu req %3llu checked, start %.1f ms, setup "
	       "%.1f ms, cell %.0f ms, rtt %.0f us, msg %.0f us%s%s\n",
	       what, r->passed ? "pass" : "FAIL",
	       (unsigned long long)r->completed,
	       (unsigned long long)r->data_checked, r->startup_ms, r->setup_ms,
	       r->total_ms, r->rtt_us, r->msg_us, r->passed ? "" : ": ",
	       r->message);
}

static void device_passes(enum vhost_device d)
{
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;

	require(d);
	defaults(&cfg, d);
	CHECK_EQ(0, vhost_run_cell(&cfg, &r));
	print(vhost_device_name(d), &r);
	CHECK(r.passed);
	CHECK(r.bound);
	CHECK(r.completed >= 20);
	CHECK(r.data_checked > 0);
	CHECK(r.kicks > 0);
	CHECK(r.interrupts > 0);
	CHECK(r.features & (1ULL << 32)); /* VERSION_1 */
	CHECK(r.startup_ms > 0);
	CHECK(r.events > r.completed);
	check_clean();
}

static void block_passes(void)
{
	device_passes(VHOST_DEV_BLOCK);
}

static void fs_passes(void)
{
	device_passes(VHOST_DEV_FS);
}

static void net_passes(void)
{
	device_passes(VHOST_DEV_NET);
}

/* vhost-user:SOCKET: a back end someone else started (here the test
 * starts qemu-storage-daemon itself); a socket that is not there is a
 * clear error. */
static void socket_target_passes(void)
{
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;
	char dir[] = "/tmp/ringside-vhost-test-XXXXXX", sock[128], img[128];
	char cmd[1024];
	int status, rc;
	pid_t qsd;

	require(VHOST_DEV_BLOCK);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof(sock), "%s/blk.sock", dir);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s 1M %s && exec qemu-storage-daemon --blockdev "
		 "driver=file,node-name=f,filename=%s --blockdev driver=raw,"
		 "node-name=d,file=f --export type=vhost-user-blk,id=e,"
		 "node-name=d,addr.type=unix,addr.path=%s,writable=on "
		 "2>/dev/null",
		 img, img, sock);
	qsd = fork();
	CHECK(qsd >= 0);
	if (qsd == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	defaults(&cfg, VHOST_DEV_BLOCK);
	cfg.socket = sock;
	rc = vhost_run_cell(&cfg, &r);
	/* stopped before any check can fail: a back end left running
	 * would hold the test's output open */
	kill(qsd, SIGTERM);
	CHECK_EQ(qsd, waitpid(qsd, &status, 0));
	CHECK_EQ(0, rc);
	print("socket", &r);
	CHECK(r.passed);
	CHECK_EQ(0, r.startup_ms);
	unlink(sock);
	unlink(img);
	CHECK_EQ(0, rmdir(dir));

	cfg.reply_ms = 200;
	CHECK_EQ(0, vhost_run_cell(&cfg, &r));
	CHECK(!r.passed);
	CHECK(strstr(r.message, "cannot connect") != NULL);
	check_clean();
}

struct kill_ctx {
	u64 at;
	int sig;
};

static void kill_on_step(void *ctx, struct vhost_cell *cell, u64 step)
{
	struct kill_ctx *k = ctx;

	if (step != k->at)
		return;
	kill(vhost_cell_backend_pid(cell), k->sig);
}

static void backend_killed_mid_run(void)
{
	struct kill_ctx k = { .at = 30, .sig = SIGKILL };
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;

	require(VHOST_DEV_BLOCK);
	defaults(&cfg, VHOST_DEV_BLOCK);
	cfg.requests = 100000;
	cfg.on_step = kill_on_step;
	cfg.on_step_ctx = &k;
	CHECK_EQ(0, vhost_run_cell(&cfg, &r));
	print("killed", &r);
	CHECK(!r.passed);
	CHECK(strstr(r.message, "killed by signal 9") != NULL);
	check_clean();
}

static void backend_exits_early(void)
{
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;

	defaults(&cfg, VHOST_DEV_BLOCK);
	cfg.command = "sh -c 'echo no such back end >&2; exit 3'";
	CHECK_EQ(0, vhost_run_cell(&cfg, &r));
	print("early", &r);
	CHECK(!r.passed);
	CHECK(strstr(r.message, "exited with status 3") != NULL);
	CHECK(strstr(r.message, "no such back end") != NULL);
	check_clean();
}

struct child_info {
	pid_t backend;
	char dir[VHB_PATH_BYTES];
	char message[256];
};

static void report_backend(void *ctx, struct vhost_cell *cell, u64 step)
{
	int *fd = ctx;
	struct child_info info;

	if (step != 20)
		return;
	memset(&info, 0, sizeof(info));
	info.backend = vhost_cell_backend_pid(cell);
	snprintf(info.dir, sizeof(info.dir), "%s",
		 vhost_cell_backend_dir(cell));
	if (write(*fd, &info, sizeof(info)) != sizeof(info))
		_exit(2);
}

/* A child runs a cell and is signalled mid-run (after it told us its
 * back end at step 20): it must stop the back end, remove its
 * directory, and die by that signal. */
static void signalled(int sig)
{
	struct child_info info;
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;
	int fds[2], status;
	pid_t child;

	require(VHOST_DEV_BLOCK);
	CHECK_EQ(0, pipe(fds));
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(fds[0]);
		defaults(&cfg, VHOST_DEV_BLOCK);
		cfg.requests = 100000;
		cfg.on_step = report_backend;
		cfg.on_step_ctx = &fds[1];
		alarm(20);
		vhost_run_cell(&cfg, &r); /* ends by the signal below */
		if (!strstr(r.message, "interrupted by signal"))
			_exit(4);
		vhb_reraise(); /* as ringside vhost does */
		_exit(3);
	}
	close(fds[1]);
	CHECK_EQ(sizeof(info), read(fds[0], &info, sizeof(info)));
	close(fds[0]);
	CHECK(info.backend > 0);
	kill(child, sig);
	CHECK_EQ(child, waitpid(child, &status, 0));
	/* The child ran its cell to the end, cleaned up, re-raised. */
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(sig, WTERMSIG(status));
	CHECK(!alive(info.backend));
	CHECK(access(info.dir, F_OK) != 0);
	check_clean();
}

static void sigterm_cleans_up(void)
{
	signalled(SIGTERM);
}

static void sigint_cleans_up(void)
{
	signalled(SIGINT);
}

/* SIGKILL: no clean-up of ours can run, but the back end dies with us
 * (parent-death signal) and the janitor removes the directory once it is
 * gone. */
static void our_death_kills_backend(void)
{
	struct child_info info;
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;
	struct timespec ms10 = { 0, 10000000L };
	int fds[2], status, i;
	pid_t child;

	require(VHOST_DEV_BLOCK);
	CHECK_EQ(0, pipe(fds));
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(fds[0]);
		defaults(&cfg, VHOST_DEV_BLOCK);
		cfg.requests = 100000;
		cfg.on_step = report_backend;
		cfg.on_step_ctx = &fds[1];
		alarm(20);
		vhost_run_cell(&cfg, &r);
		_exit(3);
	}
	close(fds[1]);
	CHECK_EQ(sizeof(info), read(fds[0], &info, sizeof(info)));
	close(fds[0]);
	kill(child, SIGKILL);
	CHECK_EQ(child, waitpid(child, &status, 0));
	CHECK(WIFSIGNALED(status));
	for (i = 0; i < 300 && alive(info.backend); i++)
		nanosleep(&ms10, NULL);
	CHECK(!alive(info.backend));
	for (i = 0; i < 500 && dirs_of(child) > 0; i++)
		nanosleep(&ms10, NULL);
	CHECK_EQ(0, dirs_of(child));
	CHECK(access(info.dir, F_OK) != 0);
	/* A run after it still works. */
	defaults(&cfg, VHOST_DEV_BLOCK);
	CHECK_EQ(0, vhost_run_cell(&cfg, &r));
	CHECK(r.passed);
	check_clean();
}

HARNESS_MAIN(TESTS)

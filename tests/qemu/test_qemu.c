/*
 * test_qemu.c - the QEMU-backed smoke stage (model/qemu/qemu.h): the unchanged
 * workload drivers against QEMU's virtio-pci devices, the whole matrix,
 * and the failure paths (QEMU killed mid-run, a device that never
 * answers, a missing device, QEMU missing or exiting early, our own
 * crash). After every test no QEMU child and no directory of ours is
 * left.
 *
 * QEMU is required: without qemu-system-x86_64 every test fails with the
 * apt line (CI installs it through tools/lib/deps.sh; it never skips).
 */
#define _GNU_SOURCE

#include "harness.h"

#include <linux/virtio_config.h>
#include <qemu.h>

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
	X(matrix_passes)                                                       \
	X(launcher_cleans_up)                                                  \
	X(qemu_killed_mid_run)                                                 \
	X(device_never_answers)                                                \
	X(missing_device)                                                      \
	X(qemu_exits_early)                                                    \
	X(qemu_not_installed)                                                  \
	X(our_crash_kills_qemu)

TESTS(HARNESS_DECLARE)

static void require_qemu(void)
{
	if (!qemu_installed())
		harness_fail(__FILE__, __LINE__, "qemu_installed()",
			     "qemu-system-x86_64 is missing; install it "
			     "with: " QEMU_APT_LINE);
}

/* Files of this process in /dev/shm (ringside-<pid>-*, where the guest
 * RAM used to be) and instance directories (/tmp/ringside-qemu-<pid>-*). */
static unsigned int count_prefix(const char *dir, const char *prefix)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static unsigned int shm_leftovers(pid_t pid)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "ringside-%d-", (int)pid);
	return count_prefix("/dev/shm", prefix);
}

static unsigned int dir_leftovers(pid_t pid)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "ringside-qemu-%d-", (int)pid);
	return count_prefix("/tmp", prefix);
}

/* No child process at all (QEMU reaped), no file of ours. */
static void check_clean(void)
{
	int status;

	errno = 0;
	CHECK_EQ(-1, waitpid(-1, &status, WNOHANG));
	CHECK_EQ(ECHILD, errno);
	CHECK_EQ(0, shm_leftovers(getpid()));
	CHECK_EQ(0, dir_leftovers(getpid()));
}

static void cell_defaults(struct qemu_cell_config *cfg, enum qemu_device d,
			  enum qemu_mode m, enum qemu_irq i)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->device = d;
	cfg->mode = m;
	cfg->irq = i;
	cfg->seed = 7;
	cfg->requests = 20;
	cfg->timeout_ms = 15000;
}

static void matrix_passes(void)
{
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;
	unsigned int d, m, i;

	require_qemu();
	for (d = 0; d < QEMU_DEV_COUNT; d++)
		for (m = 0; m < QEMU_MODE_COUNT; m++)
			for (i = 0; i < QEMU_IRQ_COUNT; i++) {
				cell_defaults(&cfg, d, m, i);
				CHECK_EQ(0, qemu_run_cell(&cfg, &r));
				printf("    %-7s %-6s %-4s %s %3llu req %3llu "
				       "checked, start %.0f ms, cell %.0f ms, "
				       "rtt %.0f us%s%s\n",
				       qemu_device_name(d), qemu_mode_name(m),
				       qemu_irq_name(i),
				       r.passed ? "pass" : "FAIL",
				       (unsigned long long)r.completed,
				       (unsigned long long)r.data_checked,
				       r.startup_ms, r.total_ms, r.rtt_us,
				       r.passed ? "" : ": ", r.message);
				CHECK(r.passed);
				CHECK(r.bound);
				CHECK(r.completed >= 20);
				CHECK(d == QEMU_DEV_ENTROPY
					      ? r.bytes > 0
					      : r.data_checked > 0);
				CHECK(r.kicks > 0);
				CHECK(r.interrupts > 0);
				CHECK(r.events > r.completed);
				/* what was negotiated: 1.x exactly in modern
				 * cells */
				CHECK(r.features != 0);
				CHECK_EQ(m == QEMU_MODE_MODERN,
					 (r.features >> VIRTIO_F_VERSION_1) &
						 1);
				check_clean();
			}
}

/* Start and stop without a run: every file goes, QEMU is reaped. */
static void launcher_cleans_up(void)
{
	struct qemu_options o = { .nargs = 0 };
	struct qemu qm;
	char dir[QEMU_PATH_BYTES];
	struct stat st;
	u64 v;

	require_qemu();
	qemu_opt_add(&o, "-device");
	qemu_opt_add(&o, "virtio-rng-pci");
	CHECK_EQ(0, qemu_start(&qm, &o));
	CHECK(qemu_alive(&qm));
	CHECK(qm.mem != NULL);
	CHECK(qm.startup_ms > 0);
	CHECK_EQ(0, shm_leftovers(getpid())); /* the RAM is a memfd */
	CHECK_EQ(1, dir_leftovers(getpid()));
	CHECK_EQ(0, qtest_cmd(&qm.qt, &v, "inl 0xcfc"));
	snprintf(dir, sizeof(dir), "%s", qm.dir);
	CHECK_EQ(0, stat(dir, &st));
	qemu_stop(&qm);
	CHECK(qm.reaped);
	CHECK(stat(dir, &st) != 0);
	check_clean();
}

struct killer {
	u64 at_step;
	pid_t killed;
};

static void kill_qemu(void *ctx, struct qemu_cell *cell, u64 step)
{
	struct killer *k = ctx;
	struct qemu *qm = qemu_cell_qemu(cell);

	if (step == k->at_step && qm->pid > 0) {
		k->killed = qm->pid;
		kill(qm->pid, SIGKILL);
	}
}

static void qemu_killed_mid_run(void)
{
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;
	struct killer k = { .at_step = 10 };

	require_qemu();
	cell_defaults(&cfg, QEMU_DEV_BLOCK, QEMU_MODE_MODERN, QEMU_IRQ_INTX);
	cfg.requests = 100000; /* it must not finish before the kill */
	cfg.on_step = kill_qemu;
	cfg.on_step_ctx = &k;
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	printf("    %s\n", r.message);
	CHECK(k.killed > 0);
	CHECK(!r.passed);
	CHECK(strstr(r.message, "QEMU died during the run") != NULL);
	CHECK(strstr(r.message, "killed by signal 9") != NULL);
	CHECK(kill(k.killed, 0) != 0); /* reaped: no such process */
	check_clean();
}

/* Kicks go to a queue the device does not have: nothing ever comes back,
 * and the request times out with a clear message. */
static void device_never_answers(void)
{
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;

	require_qemu();
	cell_defaults(&cfg, QEMU_DEV_ENTROPY, QEMU_MODE_LEGACY, QEMU_IRQ_POLL);
	cfg.notify_nowhere = true;
	cfg.request_ms = 400;
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	printf("    %s\n", r.message);
	CHECK(!r.passed);
	CHECK(r.bound);
	CHECK_EQ(0, r.completed);
	CHECK(r.kicks > 0);
	CHECK(strstr(r.message, "request timed out") != NULL);
	CHECK(strstr(r.message, "entropy: ") != NULL);
	CHECK(r.oracle == NULL); /* teardown took every token back */
	check_clean();

	/* The same in modern mode, through the notify region. */
	cfg.mode = QEMU_MODE_MODERN;
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	CHECK(!r.passed);
	CHECK(strstr(r.message, "request timed out") != NULL);
	check_clean();
}

static void missing_device(void)
{
	static const char *const rng_only[] = {
		"-device", "virtio-rng-pci,disable-modern=on", NULL
	};
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;

	require_qemu();
	cell_defaults(&cfg, QEMU_DEV_BLOCK, QEMU_MODE_LEGACY, QEMU_IRQ_POLL);
	cfg.qemu_args_override = rng_only;
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	printf("    %s\n", r.message);
	CHECK(!r.passed);
	CHECK(!r.bound);
	CHECK(strstr(r.message, "no legacy virtio device with id 2") != NULL);
	CHECK(strstr(r.message, "1af4:1005") != NULL); /* what is there */
	check_clean();

	/* A modern driver does not take a legacy-only device either. */
	cell_defaults(&cfg, QEMU_DEV_ENTROPY, QEMU_MODE_MODERN, QEMU_IRQ_POLL);
	cfg.qemu_args_override = rng_only;
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	CHECK(!r.passed);
	CHECK(strstr(r.message, "has no virtio 1.x capabilities") != NULL);
	check_clean();
}

static void qemu_exits_early(void)
{
	static const char *const bad[] = { "-device", "no-such-device", NULL };
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;

	require_qemu();
	cell_defaults(&cfg, QEMU_DEV_ENTROPY, QEMU_MODE_LEGACY, QEMU_IRQ_POLL);
	cfg.qemu_args_override = bad;
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	printf("    %s\n", r.message);
	CHECK(!r.passed);
	CHECK(strstr(r.message, "QEMU exited early") != NULL);
	CHECK(strstr(r.message, "exited with status 1") != NULL);
	CHECK(strstr(r.message, "no-such-device") != NULL); /* its stderr */
	check_clean();
}

static void qemu_not_installed(void)
{
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	CHECK(path != NULL);
	setenv("PATH", "/nonexistent-ringside", 1);
	CHECK(!qemu_installed());
	cell_defaults(&cfg, QEMU_DEV_ENTROPY, QEMU_MODE_LEGACY, QEMU_IRQ_POLL);
	CHECK_EQ(0, qemu_run_cell(&cfg, &r));
	setenv("PATH", path, 1);
	free(path);
	printf("    %s\n", r.message);
	CHECK(!r.passed);
	CHECK(strstr(r.message, "QEMU is not installed") != NULL);
	CHECK(strstr(r.message, QEMU_APT_LINE) != NULL);
	check_clean();
}

/* A child starts QEMU and dies without cleaning up: the parent-death
 * signal takes QEMU down with it, the guest RAM (a memfd) goes with
 * both, and the janitor removes the directory: nothing is left. */
static void our_crash_kills_qemu(void)
{
	struct {
		pid_t qemu;
		char dir[QEMU_PATH_BYTES];
	} info;
	struct timespec ms10 = { 0, 10000000L };
	int fds[2], status, i;
	pid_t child;

	require_qemu();
	CHECK_EQ(0, pipe(fds));
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		struct qemu_options o = { .nargs = 0 };
		static struct qemu qm;

		close(fds[0]);
		memset(&info, 0, sizeof(info));
		if (qemu_start(&qm, &o) == 0) {
			info.qemu = qm.pid;
			snprintf(info.dir, sizeof(info.dir), "%s", qm.dir);
		}
		if (write(fds[1], &info, sizeof(info)) != sizeof(info))
			_exit(2);
		raise(SIGKILL);
	}
	close(fds[1]);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(sizeof(info), read(fds[0], &info, sizeof(info)));
	close(fds[0]);
	CHECK_EQ(child, waitpid(child, &status, 0));
	CHECK(WIFSIGNALED(status));
	CHECK(info.qemu > 0);
	/* QEMU is no child of ours: it is gone once the kernel killed it
	 * (init reaps it). */
	for (i = 0; i < 300 && harness_running(info.qemu); i++)
		nanosleep(&ms10, NULL);
	CHECK(!harness_running(info.qemu));
	CHECK_EQ(0, shm_leftovers(child));
	for (i = 0; i < 300 && access(info.dir, F_OK) == 0; i++)
		nanosleep(&ms10, NULL);
	CHECK(access(info.dir, F_OK) != 0);
	CHECK_EQ(0, dir_leftovers(child));
	check_clean();
}

HARNESS_MAIN(TESTS)

// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.c - WARN/BUG reports, the WARN counter, printk levels and
 * bounds, dev_printk prefixes, and what the default hooks print.
 */
#define _POSIX_C_SOURCE 200809L /* dup, fork, pipe, waitpid */

#include "harness.h"

#include <linux/bug.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <ringside/shim.h>

#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TESTS(X)                                                               \
	X(printk_reads_the_level)                                              \
	X(printk_defaults_to_warning)                                          \
	X(printk_strips_one_newline)                                           \
	X(printk_truncates_long_text)                                          \
	X(dev_printk_prefixes_the_name)                                        \
	X(warns_are_counted)                                                   \
	X(report_hook_sees_file_and_line)                                      \
	X(default_report_hook_prints)                                          \
	X(default_log_hook_prints_up_to_warning)                               \
	X(bug_reports_then_aborts)

TESTS(HARNESS_DECLARE)

static struct {
	unsigned int count;
	int level;
	char text[2048];
} logged;

static void log_keep(void *ctx, int level, const char *text)
{
	(void)ctx;
	logged.count++;
	logged.level = level;
	snprintf(logged.text, sizeof(logged.text), "%s", text);
}

static void keep_log(void)
{
	memset(&logged, 0, sizeof(logged));
	shim_set_log_hook(log_keep, NULL);
}

/* --- printk -------------------------------------------------------------- */

static void printk_reads_the_level(void)
{
	keep_log();
	CHECK_EQ(7, printk(KERN_ERR "disk %d", 42));
	CHECK_EQ(3, logged.level);
	CHECK(strcmp(logged.text, "disk 42") == 0);
	pr_debug("dbg");
	CHECK_EQ(7, logged.level);
	pr_info("info");
	CHECK_EQ(6, logged.level);
	printk("<0>emerg");
	CHECK_EQ(0, logged.level);
	CHECK(strcmp(logged.text, "emerg") == 0);
	/* Read from the formatted text, as Linux 3.7 does. */
	printk("%s", "<2>crit");
	CHECK_EQ(2, logged.level);
	CHECK(strcmp(logged.text, "crit") == 0);
	CHECK_EQ(5, logged.count);
}

static void printk_defaults_to_warning(void)
{
	keep_log();
	printk("plain");
	CHECK_EQ(4, logged.level);
	CHECK(strcmp(logged.text, "plain") == 0);
	/* Not levels: kept as text. */
	printk("<8>eight");
	CHECK_EQ(4, logged.level);
	CHECK(strcmp(logged.text, "<8>eight") == 0);
	printk("<3");
	CHECK(strcmp(logged.text, "<3") == 0);
	CHECK_EQ(0, printk("%s", ""));
	CHECK_EQ(4, logged.count);
}

static void printk_strips_one_newline(void)
{
	keep_log();
	CHECK_EQ(3, printk(KERN_NOTICE "two\n"));
	CHECK(strcmp(logged.text, "two") == 0);
	CHECK_EQ(5, logged.level);
	CHECK_EQ(4, printk("two\n\n"));
	CHECK(strcmp(logged.text, "two\n") == 0);
}

static void printk_truncates_long_text(void)
{
	static char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	keep_log();
	/* A 1024-byte buffer: 3 bytes of level, 1020 of text, the NUL. */
	CHECK_EQ(1020, printk(KERN_ERR "%s", big));
	CHECK_EQ(1020, strlen(logged.text));
	CHECK_EQ(3, logged.level);
	CHECK_EQ(1023, printk("%s", big));
	CHECK_EQ(1023, strlen(logged.text));
}

static void dev_printk_prefixes_the_name(void)
{
	struct device dev;

	memset(&dev, 0, sizeof(dev));
	keep_log();
	dev_err(&dev, "no name %d\n", 1);
	CHECK_EQ(3, logged.level);
	CHECK(strcmp(logged.text, "(unnamed): no name 1") == 0);
	dev_set_name(&dev, "virtio%d", 0);
	dev_warn(&dev, "bad virtqueue length %u\n", 3u);
	CHECK_EQ(4, logged.level);
	CHECK(strcmp(logged.text, "virtio0: bad virtqueue length 3") == 0);
	dev_dbg(&dev, "x");
	CHECK_EQ(7, logged.level);
	dev_printk(KERN_NOTICE, NULL, "gone");
	CHECK_EQ(5, logged.level);
	CHECK(strcmp(logged.text, "(NULL device *): gone") == 0);
	CHECK_EQ(4, logged.count);
}

/* --- reports ------------------------------------------------------------- */

static void warns_are_counted(void)
{
	int i;

	shim_reset_warn_count();
	CHECK(WARN_ON(1));
	CHECK(!WARN_ON(0));
	CHECK(WARN(2 > 1, "format %d ignored", 3));
	CHECK_EQ(2, shim_warn_count());
	for (i = 0; i < 3; i++)
		CHECK(WARN_ON_ONCE(i >= 0));
	CHECK_EQ(3, shim_warn_count());
	EXPECT_WARNS(3);
	shim_reset_warn_count();
	CHECK_EQ(0, shim_warn_count());
}

static struct {
	unsigned int count;
	enum shim_report_kind kind;
	const char *file;
	int line;
	char what[64];
} reported;

static void report_keep(void *ctx, enum shim_report_kind kind, const char *file,
			int line, const char *what)
{
	CHECK(ctx == &reported);
	reported.count++;
	reported.kind = kind;
	reported.file = file;
	reported.line = line;
	snprintf(reported.what, sizeof(reported.what), "%s", what);
}

static void report_hook_sees_file_and_line(void)
{
	int line;

	memset(&reported, 0, sizeof(reported));
	shim_set_report_hook(report_keep, &reported);
	line = __LINE__ + 1;
	WARN_ON(line > 0);
	CHECK_EQ(1, reported.count);
	CHECK_EQ(SHIM_REPORT_WARN, reported.kind);
	CHECK(strcmp(reported.file, __FILE__) == 0);
	CHECK_EQ(line, reported.line);
	CHECK(strcmp(reported.what, "line > 0") == 0);
}

/* Runs fn with stderr going to a temporary file; returns what it wrote. */
static void capture_stderr(void (*fn)(void), char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	CHECK(tmp != NULL);
	fflush(stderr);
	saved = dup(2);
	CHECK(saved >= 0);
	CHECK(dup2(fileno(tmp), 2) == 2);
	fn();
	fflush(stderr);
	CHECK(dup2(saved, 2) == 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void warn_to_default(void)
{
	ringside_report_warn("virtio_ring.c", 12, "vq->broken");
}

static void default_report_hook_prints(void)
{
	char out[256];

	shim_set_report_hook(NULL, NULL);
	shim_reset_warn_count();
	capture_stderr(warn_to_default, out, sizeof(out));
	CHECK(strcmp(out, "WARNING: virtio_ring.c:12: vq->broken\n") == 0);
	CHECK_EQ(1, shim_warn_count());
}

static void log_to_default(void)
{
	printk(KERN_INFO "quiet");
	printk(KERN_DEBUG "quieter");
	printk(KERN_ERR "loud %d\n", 1);
	printk("plain");
	printk(KERN_NOTICE "notice");
}

static void default_log_hook_prints_up_to_warning(void)
{
	char out[256];

	shim_set_log_hook(NULL, NULL);
	capture_stderr(log_to_default, out, sizeof(out));
	CHECK(strcmp(out, "loud 1\nplain\n") == 0);
}

static int bug_pipe = -1;

static void report_to_pipe(void *ctx, enum shim_report_kind kind,
			   const char *file, int line, const char *what)
{
	char msg[128];
	int n;

	(void)ctx;
	(void)file;
	(void)line;
	n = snprintf(msg, sizeof(msg), "%s %s",
		     kind == SHIM_REPORT_BUG ? "bug" : "warn", what);
	if (write(bug_pipe, msg, (size_t)n) != n)
		_exit(3);
}

static void bug_reports_then_aborts(void)
{
	int fds[2], status = 0;
	char msg[128] = { 0 };
	pid_t pid;
	ssize_t n;

	CHECK(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		bug_pipe = fds[1];
		shim_set_report_hook(report_to_pipe, NULL);
		BUG_ON(fds[1] >= 0);
		_exit(0); /* not reached: BUG aborts */
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(n > 0);
	CHECK(strcmp(msg, "bug fds[1] >= 0") == 0);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(SIGABRT, WTERMSIG(status));
}

HARNESS_MAIN(TESTS)

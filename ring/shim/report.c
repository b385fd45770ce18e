// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - WARN/BUG reports and printk, delivered to the world's hooks.
 *
 * A WARN is a bug on the driver side: it is counted and handed to the
 * report hook, which decides whether the run fails. printk output goes to
 * the log hook with its level, so a test can assert on messages and a
 * fuzzer can keep them quiet. Text is formatted into a bounded buffer on
 * the stack: a message longer than PRINTK_TEXT_BYTES - 1 is truncated.
 */
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <ringside/shim.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRINTK_TEXT_BYTES 1024
#define PRINTK_DEFAULT_LEVEL 4 /* KERN_WARNING, as Linux's default */
#define PRINTK_CONSOLE_LEVEL 4 /* the default hook shows 0 .. 4 */

/* --- WARN and BUG ------------------------------------------------------ */

static void report_to_stderr(void *ctx, enum shim_report_kind kind,
			     const char *file, int line, const char *what)
{
	(void)ctx;
	fprintf(stderr, "%s: %s:%d: %s\n",
		kind == SHIM_REPORT_BUG ? "BUG" : "WARNING", file, line, what);
}

static shim_report_fn *report_fn = report_to_stderr;
static void *report_ctx;
static unsigned long report_warns;

void shim_set_report_hook(shim_report_fn *fn, void *ctx)
{
	report_fn = fn ? fn : report_to_stderr;
	report_ctx = fn ? ctx : NULL;
}

unsigned long shim_warn_count(void)
{
	return report_warns;
}

void shim_reset_warn_count(void)
{
	report_warns = 0;
}

void ringside_report_warn(const char *file, int line, const char *what)
{
	/* Counted before the hook runs: a hook may longjmp out (a test's
	 * failure path) and the count must not depend on it. */
	report_warns++;
	report_fn(report_ctx, SHIM_REPORT_WARN, file ? file : "?", line,
		  what ? what : "?");
}

void ringside_report_bug(const char *file, int line, const char *what)
{
	report_fn(report_ctx, SHIM_REPORT_BUG, file ? file : "?", line,
		  what ? what : "?");
	/* The kernel would stop here; so does the world. */
	abort();
}

/* --- printk ------------------------------------------------------------ */

static void log_to_stderr(void *ctx, int level, const char *text)
{
	(void)ctx;
	if (level <= PRINTK_CONSOLE_LEVEL)
		fprintf(stderr, "%s\n", text);
}

static shim_log_fn *log_fn = log_to_stderr;
static void *log_ctx;

void shim_set_log_hook(shim_log_fn *fn, void *ctx)
{
	log_fn = fn ? fn : log_to_stderr;
	log_ctx = fn ? ctx : NULL;
}

/* The level of a "<N>" prefix (KERN_ERR ...); text points past it. */
static int printk_take_level(char **text)
{
	char *t = *text;

	if (t[0] != '<' || t[1] < '0' || t[1] > '7' || t[2] != '>')
		return PRINTK_DEFAULT_LEVEL;
	*text = t + 3;
	return t[1] - '0';
}

/* Hands formatted text to the hook; returns the characters delivered. As
 * Linux's log records, the text carries no trailing newline. */
static int printk_emit(char *text)
{
	int level = printk_take_level(&text);
	size_t len = strlen(text);

	assert(len < PRINTK_TEXT_BYTES);
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	log_fn(log_ctx, level, text);
	return (int)len;
}

int printk(const char *fmt, ...)
{
	char text[PRINTK_TEXT_BYTES];
	va_list ap;
	int n;

	/* The level is read from the formatted text, as Linux 3.7's
	 * vprintk_emit does: the format stays printk's own argument, which
	 * is what lets the compiler check it. */
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	return printk_emit(text);
}

int dev_printk(const char *level, const struct device *dev, const char *fmt,
	       ...)
{
	char msg[PRINTK_TEXT_BYTES];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	/* Linux's wording for a missing device. */
	return printk("%s%s: %s", level ? level : "",
		      dev ? dev_name(dev) : "(NULL device *)", msg);
}

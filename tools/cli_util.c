/*
 * cli_util.c - argument parsing and output helpers of the ringside
 * command-line program (cli.h).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "cli.h"

#include <linux/errno.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_usage_error(const char *cmd, void (*usage)(FILE *out), const char *fmt,
		    ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "ringside %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage) {
		fputc('\n', stderr);
		usage(stderr);
	}
	return CLI_EXIT_USAGE;
}

bool cli_db_option(int argc, char **argv, int *i, const char *cmd,
		   void (*usage)(FILE *out), const char **db_path, int *rc)
{
	const char *a = argv[*i];

	*rc = 0;
	if (strcmp(a, "--no-db") == 0) {
		*db_path = NULL;
		return true;
	}
	if (!cli_option_match(a, "--db"))
		return false;
	*db_path = cli_option_value(argc, argv, i);
	if (!*db_path || !(*db_path)[0])
		*rc = cli_usage_error(cmd, usage, "--db needs a file name");
	return true;
}

static bool is_digit_in(char c, int base)
{
	if (c >= '0' && c <= '9')
		return true;
	if (base == 16)
		return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	return false;
}

int cli_parse_u64(const char *s, u64 *out)
{
	unsigned long long v;
	const char *digits = s;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	/* strtoull would take blanks, a sign, or (base 0) octal: only
	 * plain digits of the base go through. */
	if (!is_digit_in(digits[0], base))
		return -EINVAL;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno == ERANGE || *end != '\0')
		return -EINVAL;
	*out = (u64)v;
	return 0;
}

bool cli_option_match(const char *arg, const char *name)
{
	size_t len = strlen(name);

	return strncmp(arg, name, len) == 0 &&
	       (arg[len] == '\0' || arg[len] == '=');
}

const char *cli_option_value(int argc, char **argv, int *i)
{
	const char *eq = strchr(argv[*i], '=');

	if (eq)
		return eq + 1;
	/* "--seed --no-db": the next word is an option, not the value (a
	 * value that starts with "--" is given as --name=value) */
	if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
		return NULL;
	return argv[++*i];
}

void cli_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

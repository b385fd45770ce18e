/*
 * harness.c - runs the tests of one test program (see harness.h).
 *
 * A failing CHECK longjmps out of the test, so one test's failure does not
 * stop the others; the arena is rebuilt before every test so that a test
 * never sees another's allocations.
 */
#include "harness.h"

#include <ringside/shim.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf harness_jump;
static bool harness_failed;
static unsigned long harness_warns;

static void harness_report(void *ctx, enum shim_report_kind kind,
			   const char *file, int line, const char *what)
{
	(void)ctx;
	fprintf(stderr, "    %s at %s:%d: %s\n",
		kind == SHIM_REPORT_BUG ? "BUG" : "WARN", file, line, what);
	harness_warns++;
}

void harness_fail(const char *file, int line, const char *expr,
		  const char *detail)
{
	fprintf(stderr, "    CHECK failed at %s:%d: %s%s%s\n", file, line, expr,
		detail ? ": " : "", detail ? detail : "");
	harness_failed = true;
	longjmp(harness_jump, 1);
}

void harness_expect_warns(const char *file, int line, unsigned long n)
{
	if (harness_warns != n) {
		char detail[64];
		snprintf(detail, sizeof(detail), "expected %lu WARNs, got %lu",
			 n, harness_warns);
		harness_fail(file, line, "EXPECT_WARNS", detail);
	}
	harness_warns = 0;
}

static bool harness_run_one(const char *name, void (*fn)(void))
{
	harness_failed = false;
	harness_warns = 0;
	if (shim_arena_create(HARNESS_ARENA_BYTES, HARNESS_PHYS_BASE) != 0) {
		fprintf(stderr, "cannot create the guest-memory arena\n");
		exit(2);
	}
	shim_set_alloc_fail_hook(NULL, NULL);
	shim_set_report_hook(harness_report, NULL);
	if (setjmp(harness_jump) == 0) {
		fn();
		if (harness_warns != 0) {
			fprintf(stderr, "    %lu unexpected WARN(s)\n",
				harness_warns);
			harness_failed = true;
		}
	}
	shim_set_alloc_fail_hook(NULL, NULL);
	printf("%s %s\n", harness_failed ? "FAIL" : "ok  ", name);
	fflush(stdout);
	return !harness_failed;
}

bool harness_running(int pid)
{
	char path[64], buf[256], *end;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	end = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return end && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

int harness_main(int argc, char **argv, const char *const names[],
		 void (*const fns[])(void), unsigned count)
{
	unsigned passed = 0, failed = 0, i;

	for (i = 0; i < count; i++) {
		if (argc > 1 && strcmp(argv[1], names[i]) != 0)
			continue;
		if (harness_run_one(names[i], fns[i]))
			passed++;
		else
			failed++;
	}
	shim_arena_destroy();
	if (passed + failed == 0) {
		fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
		return 2;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

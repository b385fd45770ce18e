/*
 * harness.h - the small test framework every ringside test uses.
 *
 * A test file lists its tests once, in an X-macro, and ends with
 * HARNESS_MAIN:
 *
 *   #define TESTS(X) X(add_returns_capacity) X(enospc_notifies)
 *   TESTS(HARNESS_DECLARE)
 *   static void add_returns_capacity(void) { CHECK_EQ(3, 3); }
 *   ...
 *   HARNESS_MAIN(TESTS)
 *
 * Each test runs with a fresh guest-memory arena and a report hook that
 * counts WARNs; a test that expects WARNs says so with EXPECT_WARNS(n) at its
 * end, otherwise any WARN fails it. CHECK stays on in release builds. The
 * program prints one line per test and a final "N passed, N failed" line,
 * and exits non-zero when any test failed. Run it with a test name to run
 * only that test.
 */
#ifndef RINGSIDE_TEST_HARNESS_H
#define RINGSIDE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void harness_fail(const char *file, int line, const char *expr,
		  const char *detail);
void harness_expect_warns(const char *file, int line, unsigned long n);
/* A process is running: /proc has it and it is no zombie (a container's
 * init may be slow to reap the children of a process that died). */
bool harness_running(int pid);
int harness_main(int argc, char **argv, const char *const names[],
		 void (*const fns[])(void), unsigned count);

/* Bytes of guest memory each test gets (the arena is created anew per
 * test at guest-physical address HARNESS_PHYS_BASE). */
#define HARNESS_ARENA_BYTES (64u << 20)
#define HARNESS_PHYS_BASE 0x100000u

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			harness_fail(__FILE__, __LINE__, #cond, NULL);         \
	} while (0)

#define CHECK_EQ(expected, actual)                                             \
	do {                                                                   \
		long long _e = (long long)(expected);                          \
		long long _a = (long long)(actual);                            \
		if (_e != _a) {                                                \
			char _d[96];                                           \
			snprintf(_d, sizeof(_d), "expected %lld, got %lld",    \
				 _e, _a);                                      \
			harness_fail(__FILE__, __LINE__,                       \
				     #expected " == " #actual, _d);            \
		}                                                              \
	} while (0)

#define CHECK_PTR_EQ(expected, actual)                                         \
	do {                                                                   \
		const void *_e = (expected);                                   \
		const void *_a = (actual);                                     \
		if (_e != _a) {                                                \
			char _d[96];                                           \
			snprintf(_d, sizeof(_d), "expected %p, got %p", _e,    \
				 _a);                                          \
			harness_fail(__FILE__, __LINE__,                       \
				     #expected " == " #actual, _d);            \
		}                                                              \
	} while (0)

/* The test expected exactly n WARNs so far (and resets the count). */
#define EXPECT_WARNS(n) harness_expect_warns(__FILE__, __LINE__, (n))

#define HARNESS_DECLARE(name) static void name(void);
#define HARNESS_NAME(name) #name,
#define HARNESS_FN(name) name,
#define HARNESS_MAIN(LIST)                                                     \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		static const char *const names[] = { LIST(HARNESS_NAME) };     \
		static void (*const fns[])(void) = { LIST(HARNESS_FN) };       \
		return harness_main(argc, argv, names, fns,                    \
				    sizeof(names) / sizeof(names[0]));         \
	}

#endif /* RINGSIDE_TEST_HARNESS_H */

/*
 * test_honest.c - no false alarms: our honest simulated devices and the
 * example plug-in get PASS or SKIP on every requirement over many seeds,
 * every applicable requirement is exercised, and the same seed gives the
 * same report (sim and lib targets are deterministic).
 */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(sim_devices_pass)                                                    \
	X(example_plugin_passes)                                               \
	X(same_seed_same_report) X(other_seed_other_cases)
TESTS(HARNESS_DECLARE)

#define SEEDS 8

static void run(const char *spec, u64 seed, unsigned int seeds,
		struct check_report *rep)
{
	struct check_options o = { .seed = seed, .seeds = seeds };
	struct check_target t;
	char err[600];

	CHECK_EQ(check_target_open(&t, spec, err, sizeof(err)), 0);
	CHECK_EQ(check_run(&t, &o, rep, err, sizeof(err)), 0);
	check_target_close(&t);
}

static void expect_clean(const char *spec)
{
	static struct check_report rep;
	unsigned int i;

	run(spec, 1, SEEDS, &rep);
	printf("  %s: %u PASS, %u SKIP\n", spec, rep.pass, rep.skip);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_result *r = &rep.r[i];

		if (r->verdict == CHECK_SKIP &&
		    strncmp(r->why, "nothing", 7) == 0)
			printf("    SKIP %s: %s\n", check_catalogue[i].id,
			       r->why);
		if (r->verdict == CHECK_FAIL || r->verdict == CHECK_WARN)
			printf("    %s %s: %s\n",
			       check_verdict_name(r->verdict),
			       check_catalogue[i].id, r->ev.text);
		CHECK(r->verdict == CHECK_PASS || r->verdict == CHECK_SKIP);
		/* A SKIP of an applicable entry is a check that saw
		 * nothing: only these may be (entropy's buffers are all
		 * writable; our devices offer no FLUSH; entropy has no
		 * config space). */
		if (r->verdict == CHECK_SKIP &&
		    strncmp(r->why, "nothing", 7) == 0)
			CHECK(strcmp(check_catalogue[i].id,
				     "ring.readable-untouched") == 0 ||
			      strcmp(check_catalogue[i].id, "blk.flush") == 0 ||
			      strcmp(check_catalogue[i].id,
				     "dev.config-generation") == 0);
	}
	CHECK_EQ(rep.cases, 2 * SEEDS);
}

static void sim_devices_pass(void)
{
	expect_clean("sim:block");
	expect_clean("sim:entropy");
	expect_clean("sim:console");
	expect_clean("sim:net");
}

static void example_plugin_passes(void)
{
	expect_clean("lib:" CHECK_PLUGIN_PATH);
}

static void same_seed_same_report(void)
{
	static struct check_report a, b;

	run("sim:block,adv=len-too-large:32", 7, 3, &a);
	run("sim:block,adv=len-too-large:32", 7, 3, &b);
	a.seconds = b.seconds = 0;
	CHECK(a.fail > 0);
	CHECK_EQ(memcmp(&a, &b, sizeof(a)), 0);
	run("lib:" CHECK_PLUGIN_PATH ",fault=len-unwritten", 7, 3, &a);
	run("lib:" CHECK_PLUGIN_PATH ",fault=len-unwritten", 7, 3, &b);
	a.seconds = b.seconds = 0;
	CHECK(a.fail > 0);
	CHECK_EQ(memcmp(&a, &b, sizeof(a)), 0);
}

static void other_seed_other_cases(void)
{
	static struct check_report a, b;
	int i = check_index("ring.used-len-bounded");

	run("sim:block,adv=len-too-large:32", 7, 1, &a);
	run("sim:block,adv=len-too-large:32", 8, 1, &b);
	CHECK(a.r[i].has_evidence && b.r[i].has_evidence);
	CHECK_EQ(a.r[i].ev.seed, 7);
	CHECK_EQ(b.r[i].ev.seed, 8);
}

HARNESS_MAIN(TESTS)

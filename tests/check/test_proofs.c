/*
 * test_proofs.c - every entry of the catalogue fires on its proof (a
 * target that breaks that requirement on purpose, catalogue.c) and no
 * other entry does. Generated from the catalogue: an entry without a
 * working proof fails here.
 */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define TESTS(X) X(every_entry_has_a_proof) X(each_proof_fails_its_entry_only)
TESTS(HARNESS_DECLARE)

static void proof_target(const char *proof, char *buf, size_t n)
{
	const char *at = strstr(proof, "@plugin");

	if (!at) {
		snprintf(buf, n, "%s", proof);
		return;
	}
	snprintf(buf, n, "%.*s%s%s", (int)(at - proof), proof,
		 CHECK_PLUGIN_PATH, at + strlen("@plugin"));
}

static void every_entry_has_a_proof(void)
{
	unsigned int i;

	CHECK(check_catalogue_size >= 15);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_req *q = &check_catalogue[i];

		CHECK(q->proof && q->proof[0]);
		CHECK(q->section && q->section[0]);
		CHECK(q->how && q->how[0]);
		CHECK_EQ(check_lookup(q->id), (int)i);
	}
}

static void check_one(unsigned int i, struct check_report *rep)
{
	const struct check_req *q = &check_catalogue[i];
	struct check_options o = { .seed = 1, .seeds = 4 };
	struct check_target t;
	char spec[600], err[600];
	unsigned int k;

	proof_target(q->proof, spec, sizeof(spec));
	if (check_target_open(&t, spec, err, sizeof(err)) != 0) {
		printf("  %s: cannot open %s: %s\n", q->id, spec, err);
		check_target_close(&t);
		CHECK(0);
	}
	CHECK_EQ(check_run(&t, &o, rep, err, sizeof(err)), 0);
	check_target_close(&t);
	printf("  %-26s %s <- %s\n", q->id,
	       check_verdict_name(rep->r[i].verdict), q->proof);
	CHECK_EQ(rep->r[i].verdict,
		 q->level == CHECK_MUST ? CHECK_FAIL : CHECK_WARN);
	CHECK(rep->r[i].has_evidence);
	for (k = 0; k < check_catalogue_size; k++) {
		if (k == i)
			continue;
		if (rep->r[k].verdict == CHECK_FAIL ||
		    rep->r[k].verdict == CHECK_WARN)
			printf("    also %s: %s\n", check_catalogue[k].id,
			       rep->r[k].ev.text);
		CHECK(rep->r[k].verdict == CHECK_PASS ||
		      rep->r[k].verdict == CHECK_SKIP);
	}
}

static void each_proof_fails_its_entry_only(void)
{
	static struct check_report rep;
	unsigned int i;

	for (i = 0; i < check_catalogue_size; i++)
		check_one(i, &rep);
}

HARNESS_MAIN(TESTS)

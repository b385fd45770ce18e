/*
 * test_proofs.c - every entry of the catalogue fires on its proof (a
 * target that breaks that requirement on purpose, catalogue.c) and no
 * other entry does. Generated from the catalogue: an entry without a
 * working proof fails here. A proof "registers:PLANT" (the virtio-pci
 * register rules) is the judgement of the registers given wrong reads
 * (pci_rules.h note 1), in every transport mode the entry applies to.
 */
#include "harness.h"

#include <check.h>
#include <pci_rules.h>
#include <stdio.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(every_entry_has_a_proof)                                             \
	X(each_proof_fails_its_entry_only)                                     \
	X(each_further_proof_fails_its_entry_only)
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

#define REGISTERS "registers:"

static void check_registers(unsigned int i)
{
	static const int modes[] = { CHECK_LEGACY, CHECK_MODERN };
	const struct check_req *q = &check_catalogue[i];
	static struct check_case c;
	unsigned int m, k;

	CHECK_EQ(q->transport, CHECK_TRANSPORT_PCI);
	for (m = 0; m < 2; m++) {
		if (!(q->modes & modes[m]))
			continue;
		memset(&c, 0, sizeof(c));
		c.mode = modes[m];
		CHECK_EQ(pci_rules_prove(q->proof + strlen(REGISTERS), &c), 0);
		printf("  %-26s %s <- %s (%s)\n", q->id,
		       c.violated[i] ? "fired" : "QUIET", q->proof,
		       modes[m] == CHECK_MODERN ? "1.x" : "legacy");
		CHECK(c.violated[i]);
		CHECK(c.ev[i].text[0] != '\0');
		for (k = 0; k < check_catalogue_size; k++) {
			if (k != i && c.violated[k])
				printf("    also %s: %s\n",
				       check_catalogue[k].id, c.ev[k].text);
			CHECK(k == i || !c.violated[k]);
		}
	}
}

/* Entry i against proof (its own, or a further one). */
static void check_one(unsigned int i, const char *proof,
		      struct check_report *rep)
{
	const struct check_req *q = &check_catalogue[i];
	struct check_options o = { .seed = 1, .seeds = 4 };
	struct check_target t;
	char spec[600], err[600];
	unsigned int k;

	if (strncmp(proof, REGISTERS, strlen(REGISTERS)) == 0) {
		check_registers(i);
		return;
	}
	proof_target(proof, spec, sizeof(spec));
	if (check_target_open(&t, spec, err, sizeof(err)) != 0) {
		printf("  %s: cannot open %s: %s\n", q->id, spec, err);
		check_target_close(&t);
		CHECK(0);
	}
	CHECK_EQ(check_run(&t, &o, rep, err, sizeof(err)), 0);
	check_target_close(&t);
	printf("  %-26s %s <- %s\n", q->id,
	       check_verdict_name(rep->r[i].verdict), proof);
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
		check_one(i, check_catalogue[i].proof, &rep);
}

/* Entries checked on more than one device type: a proof for each further
 * device (an entry names one proof, the catalogue's). */
static const struct {
	const char *id, *proof;
} further_proofs[] = {
	{ "ring.framing-agnostic", "sim:net,plant=framing" },
	{ "ring.framing-agnostic", "sim:console,plant=framing" },
};

static void each_further_proof_fails_its_entry_only(void)
{
	static struct check_report rep;
	unsigned int i;
	int k;

	for (i = 0; i < sizeof(further_proofs) / sizeof(further_proofs[0]);
	     i++) {
		k = check_lookup(further_proofs[i].id);
		CHECK(k >= 0);
		if (k >= 0)
			check_one((unsigned int)k, further_proofs[i].proof,
				  &rep);
	}
}

HARNESS_MAIN(TESTS)

/*
 * test_sim.c - the robustness suite against our simulated devices: every
 * case of the catalogue is REJECT or SKIP on each of them, legacy and
 * modern (device.h note 6: they check every driver rule), net and console
 * deliver into the receive buffers the suite posts, the report is
 * the same for the same seed, and the catalogue itself is well formed.
 * The canary windows name the offset they were written at wherever a
 * copy starts, and runs of one byte (zeros, poison) are not canaries.
 */
#include "harness.h"

#include <robust.h>
#include <stdint.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(catalogue_is_well_formed)                                            \
	X(sim_devices_reject_or_skip_every_case)                               \
	X(same_seed_same_report)                                               \
	X(unknown_case_is_a_usage_error)                                       \
	X(canary_windows_name_their_offset)
TESTS(HARNESS_DECLARE)

static const char *const sim_targets[] = {
	"sim:entropy,modern", "sim:entropy,legacy", "sim:block,modern",
	"sim:block,legacy",   "sim:console,modern", "sim:console,legacy",
	"sim:net,modern",     "sim:net,legacy",
};

static void catalogue_is_well_formed(void)
{
	unsigned int i, j;

	CHECK(rb_ncases >= 25);
	for (i = 0; i < rb_ncases; i++) {
		const struct rb_case *k = &rb_cases[i];

		CHECK(k->id && strchr(k->id, '.'));
		CHECK(k->section && k->section[0] >= '2' &&
		      k->section[0] <= '5');
		CHECK(k->rule && k->allowed && k->stage);
		CHECK(k->devices && !(k->devices & ~RB_DEV_ALL));
		CHECK(rb_case_lookup(k->id) == k);
		for (j = 0; j < i; j++)
			CHECK(strcmp(rb_cases[j].id, k->id) != 0);
	}
}

static void run_target(const char *spec, u64 seed, struct rb_report *rep)
{
	struct rb_inproc ip;
	struct rb_target t;
	struct rb_options opt = { .seed = seed };
	char err[200];

	CHECK_EQ(0, rb_sim_target(spec, &ip, &t, err, sizeof(err)));
	CHECK_EQ(0, rb_run(&t, &opt, rep, err, sizeof(err)));
}

/* Cases in which the device filled a receive buffer. */
static unsigned int cases_received(const struct rb_report *rep)
{
	unsigned int k, n = 0;

	for (k = 0; k < rep->nresults; k++)
		n += rep->results[k].received > 0;
	return n;
}

static void sim_devices_reject_or_skip_every_case(void)
{
	static struct rb_report rep;
	unsigned int i, k, bad = 0;

	for (i = 0; i < sizeof(sim_targets) / sizeof(sim_targets[0]); i++) {
		run_target(sim_targets[i], 7, &rep);
		CHECK_EQ(rb_ncases, rep.nresults);
		for (k = 0; k < rep.nresults; k++) {
			const struct rb_result *r = &rep.results[k];

			if (r->verdict == RB_REJECT || r->verdict == RB_SKIP)
				continue;
			printf("  %s %s: %s %s\n", sim_targets[i], r->kase->id,
			       rb_verdict_name(r->verdict), r->why);
			bad++;
		}
		printf("  %s: %u reject, %u skip, %u cases received\n",
		       sim_targets[i], rep.counts[RB_REJECT],
		       rep.counts[RB_SKIP], cases_received(&rep));
		/* Net and console loop back what is sent: the receive
		 * buffers get it (and the leak check reads them) in every
		 * case whose honest request went through. */
		if (strstr(sim_targets[i], "net") ||
		    strstr(sim_targets[i], "console"))
			CHECK(cases_received(&rep) >= rep.counts[RB_REJECT]);
		else
			CHECK_EQ(0, cases_received(&rep));
		/* Only type-specific cases (and FEATURES_OK under legacy)
		 * may skip. */
		CHECK(rep.counts[RB_REJECT] >= rb_ncases - 12);
	}
	CHECK_EQ(0, bad);
}

static void same_seed_same_report(void)
{
	static struct rb_report a, b;
	unsigned int k;

	run_target("sim:block,modern", 99, &a);
	run_target("sim:block,modern", 99, &b);
	CHECK_EQ(a.nresults, b.nresults);
	for (k = 0; k < a.nresults; k++) {
		CHECK_EQ(a.results[k].verdict, b.results[k].verdict);
		CHECK(!strcmp(a.results[k].why, b.results[k].why));
		CHECK(!strcmp(a.results[k].reaction, b.results[k].reaction));
	}
}

static void unknown_case_is_a_usage_error(void)
{
	static struct rb_report rep;
	struct rb_inproc ip;
	struct rb_target t;
	struct rb_options opt = { .only = "desc.loop,no.such-case" };
	char err[200];

	CHECK_EQ(0, rb_sim_target("sim:entropy", &ip, &t, err, sizeof(err)));
	CHECK(rb_run(&t, &opt, &rep, err, sizeof(err)) < 0);
	CHECK(strstr(err, "no.such-case") != NULL);
	CHECK(rb_sim_target("sim:toaster", &ip, &t, err, sizeof(err)) < 0);
	CHECK(strstr(err, "toaster") != NULL);
}

static void canary_windows_name_their_offset(void)
{
	static u8 mem[RB_SCRATCH_MAX];
	struct rb_case_ctx c;
	u8 run[RB_CANARY_WINDOW];
	size_t at;
	unsigned int b;

	memset(&c, 0, sizeof(c));
	c.scratch = mem;
	c.scratch_bytes = sizeof(mem);
	c.scratch_phys = 0x100000;
	rb_canary_fill(&c, c.scratch_phys, (u32)sizeof(mem));
	for (at = 0; at + RB_CANARY_WINDOW <= sizeof(mem); at += 997)
		CHECK_EQ(at, rb_canary_source(&c, mem + at));
	CHECK_EQ(sizeof(mem) - RB_CANARY_WINDOW,
		 rb_canary_source(&c, mem + sizeof(mem) - RB_CANARY_WINDOW));
	for (b = 0; b < 256; b++) {
		memset(run, (int)b, sizeof(run));
		CHECK_EQ(SIZE_MAX, rb_canary_source(&c, run));
	}
	/* A window that straddles a canary and other bytes is none. */
	memcpy(run, mem + 40, RB_CANARY_WINDOW);
	run[RB_CANARY_WINDOW - 1] ^= 0x01;
	CHECK_EQ(SIZE_MAX, rb_canary_source(&c, run));
}

HARNESS_MAIN(TESTS)

/*
 * test_burst.c - the rounds of an index-wrap burst (model/burst.h): which
 * rounds a build may run through its uninstrumented copy of the ring,
 * and that a run whose leading rounds go through another function (as
 * the world fuzz target's do) is the same run, event for event.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <burst.h>
#include <devices.h>
#include <world.h>

#define TESTS(X)                                                               \
	X(leading_rounds_leave_the_wrap_and_the_end_to_the_tail)               \
	X(leading_rounds_elsewhere_are_the_same_run)

TESTS(HARNESS_DECLARE)

static void leading_rounds_leave_the_wrap_and_the_end_to_the_tail(void)
{
	/* From index 0 the wrap comes after 65,536 adds: the end is nearer. */
	CHECK_EQ(0xffffu - BURST_TAIL, burst_leading_rounds(0, 0xffff));
	/* The wrap inside the burst: up to BURST_TAIL adds before it. */
	CHECK_EQ(0x10000u - 100 - BURST_TAIL,
		 burst_leading_rounds(100, 0xffff + 2));
	/* Exactly BURST_TAIL adds either way: none. */
	CHECK_EQ(0, burst_leading_rounds(0, BURST_TAIL));
	CHECK_EQ(0, burst_leading_rounds((u16)(0x10000u - BURST_TAIL), 0xffff));
	CHECK_EQ(1, burst_leading_rounds(0, BURST_TAIL + 1));
	/* Near the wrap already, or a short burst: none. */
	CHECK_EQ(0, burst_leading_rounds(0xfff0, 0xffff));
	CHECK_EQ(0, burst_leading_rounds(7, 3));
	CHECK_EQ(0, burst_leading_rounds(7, 0));
}

static unsigned int lead_calls;
static u32 lead_rounds[64];

static bool counting_rounds(struct wrap_burst *b, u32 n)
{
	if (lead_calls < ARRAY_SIZE(lead_rounds))
		lead_rounds[lead_calls] = n;
	lead_calls++;
	return burst_rounds(b, n);
}

/* Every burst's event: its buffers (b) must leave BURST_TAIL past what
 * went through the leading function. */
static unsigned int check_bursts(const struct event_log *log,
				 unsigned int first)
{
	unsigned int k = first;
	size_t i;

	for (i = 0; i < event_log_stored(log); i++) {
		const struct sim_event *ev = event_log_get(log, i);

		if (ev->kind != SIM_EV_ADVERSARY || ev->a != ADV_INDEX_WRAP)
			continue;
		CHECK(k < lead_calls);
		if (k < ARRAY_SIZE(lead_rounds))
			CHECK(lead_rounds[k] + BURST_TAIL <= ev->b);
		k++;
	}
	return k;
}

static void leading_rounds_elsewhere_are_the_same_run(void)
{
	struct adversary adv;
	struct event_log log;
	unsigned int seed, seen = 0, long_lead = 0, k;

	adv_config_none(&adv);
	adv_enable(&adv, ADV_INDEX_WRAP, ADV_RATE_DEN);
	for (seed = 0; seed < 8; seed++) {
		struct sim_config cfg = {
			.device = (enum sim_device_type)(1 + seed % 4),
			.adversary = &adv,
		};
		struct sim_result plain, other;

		sim_test_run_quiet(&cfg, seed, &plain);
		cfg.burst_rounds = counting_rounds;
		cfg.log = &log;
		event_log_init(&log, 1u << 20);
		sim_test_run_quiet(&cfg, seed, &other);
		CHECK(!other.failed);
		CHECK_EQ(plain.event_hash, other.event_hash);
		CHECK_EQ(plain.events, other.events);
		CHECK_EQ(plain.choices, other.choices);
		k = check_bursts(&log, seen);
		CHECK_EQ(lead_calls, k);
		seen = k;
		event_log_free(&log);
	}
	for (k = 0; k < seen && k < ARRAY_SIZE(lead_rounds); k++)
		long_lead += lead_rounds[k] > 60000;
	fprintf(stderr, "%u bursts, %u with over 60,000 leading rounds\n", seen,
		long_lead);
	CHECK(seen >= 6);
	CHECK(long_lead >= 1);
}

HARNESS_MAIN(TESTS)

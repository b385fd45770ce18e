/*
 * test_plant.c - the world against a ring with a planted bug
 * (RINGSIDE_PLANT_BUG, ring/virtio_ring.c note 8): the oracle that exists
 * for that kind of bug fires, and the same runs pass where the bug cannot
 * show.
 *
 * Each plant below names the world that exposes it (a device behaviour,
 * or an honest device), the oracle that must fire, and the runs where it
 * must stay quiet: the planted ring without the exposing behaviour, or,
 * for the notification bugs, the runs that did not negotiate EVENT_IDX
 * (the only path the bug is on). Built with RINGSIDE_PLANT_BUG=0 (the
 * test planted.none), the program runs every plant's exposing worlds on
 * the real ring: none of them may fail, so each oracle is shown to fire
 * on its bug and to stay quiet on the code without it.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <linux/virtio_ring.h>
#include <string.h>
#include <world.h>

#define SEEDS 40
#define EVENT_IDX (1ULL << VIRTIO_RING_F_EVENT_IDX)

struct plant {
	unsigned int bug;
	/* The behaviour that exposes it; ADV_COUNT: an honest device. */
	enum adv_behaviour exposing;
	u32 rate;
	const char *oracle;
	/* Only runs that negotiated (or, for quiet, did not negotiate)
	 * these features count. */
	u64 needs_features;
	/* At least 1/share of the counted runs fail (3/4 of them when 1). */
	unsigned int share;
	/* Quiet: the runs without the behaviour (true), or those without
	 * needs_features (a bug on an honest device's path; false). */
	bool quiet_without_behaviour;
};

static const struct plant plants[] = {
	/* The len is not clamped: the driver sees more bytes than it
	 * offered. */
	{ 2, ADV_LEN_TOO_LARGE, 64, "missed-detection", 0, 1, true },
	/* A used idx ahead of the outstanding buffers is accepted. */
	{ 3, ADV_USED_IDX_AHEAD, 64, "missed-detection", 0, 1, true },
	/* Notification bugs: an honest device sees them (device.h note 5),
	 * in the runs that negotiated EVENT_IDX. */
	{ 4, ADV_COUNT, 0, "driver-rule", EVENT_IDX, 1, false },
	{ 5, ADV_COUNT, 0, "driver-rule", EVENT_IDX, 1, false },
	/* No kick of its own after 65,535 adds: a burst of index-wrap
	 * without kicks (half of the bursts) shows it to the device. */
	{ 8, ADV_INDEX_WRAP, ADV_RATE_DEN, "driver-rule", 0, 4, true },
	/* The registry keeps the bits a device offers past the transport
	 * range: the foreign high bits of the behaviour get negotiated, on
	 * the 1.x transport (a legacy one has 32 feature bits: half the
	 * runs). */
	{ 9, ADV_FOREIGN_FEATURES, ADV_RATE_DEN, "features", 0, 2, true },
	/* The registry refuses every world driver (each lists transport
	 * bits): no world can be built. */
	{ 10, ADV_COUNT, 0, "setup", 0, 1, false },
	/* A freed chain keeps its token: every queue that gave a buffer
	 * back is inconsistent at teardown. */
	{ 11, ADV_COUNT, 0, "free-descriptors", 0, 1, false },
};

#define NPLANTS (sizeof(plants) / sizeof(plants[0]))

/* Runs SEEDS seeds of p's world (with its behaviour or not); counts in
 * *runs those whose features say they count (with_features: they hold
 * p->needs_features; else they lack one of them), and returns how many
 * of those failed, each with oracle. */
static unsigned int failures(const struct plant *p, bool with_behaviour,
			     bool with_features, const char *oracle,
			     unsigned int *runs)
{
	struct adversary adv;
	unsigned int seed, n = 0;

	adv_config_none(&adv);
	if (with_behaviour && p->exposing != ADV_COUNT)
		adv_enable(&adv, p->exposing, p->rate);
	for (seed = 0; seed < SEEDS; seed++) {
		struct sim_config cfg = {
			.device = (enum sim_device_type)(1 + seed % 4),
			.adversary = &adv,
		};
		struct sim_result r;
		bool has;

		sim_test_run_quiet(&cfg, seed, &r);
		has = (r.features & p->needs_features) == p->needs_features;
		if (p->needs_features && has != with_features)
			continue;
		(*runs)++;
		if (!r.failed)
			continue;
		n++;
		if (strcmp(r.oracle, oracle) != 0)
			sim_test_report(seed, &r);
		CHECK(strcmp(r.oracle, oracle) == 0);
	}
	return n;
}

#if RINGSIDE_PLANT_BUG
static const struct plant *planted(void)
{
	unsigned int i;

	for (i = 0; i < NPLANTS; i++)
		if (plants[i].bug == RINGSIDE_PLANT_BUG)
			return &plants[i];
	return NULL;
}

#define TESTS(X)                                                               \
	X(oracle_fires)                                                        \
	X(quiet_where_the_bug_cannot_show)
TESTS(HARNESS_DECLARE)

static void oracle_fires(void)
{
	const struct plant *p = planted();
	unsigned int runs = 0, n;

	CHECK(p != NULL);
	if (!p)
		return;
	/* Nearly every run shows the bug, and every one that does fails
	 * with the oracle for it. */
	n = failures(p, true, true, p->oracle, &runs);
	fprintf(stderr, "bug %u: %u of %u runs failed with %s\n", p->bug, n,
		runs, p->oracle);
	CHECK(runs >= SEEDS / 4);
	CHECK(n >= runs * 3 / 4 / p->share);
	CHECK(n >= 1);
}

static void quiet_where_the_bug_cannot_show(void)
{
	const struct plant *p = planted();
	unsigned int runs = 0;

	CHECK(p != NULL);
	if (!p)
		return;
	if (p->quiet_without_behaviour)
		CHECK_EQ(0, failures(p, false, true, "", &runs));
	else if (p->needs_features)
		CHECK_EQ(0, failures(p, true, false, "", &runs));
	else
		return; /* every world shows it: planted.none is its quiet */
	fprintf(stderr, "bug %u: %u runs where it cannot show, none failed\n",
		p->bug, runs);
	CHECK(runs >= SEEDS / 4);
}
#else
#define TESTS(X) X(every_exposing_world_passes_on_the_real_ring)
TESTS(HARNESS_DECLARE)

static void every_exposing_world_passes_on_the_real_ring(void)
{
	unsigned int i;

	for (i = 0; i < NPLANTS; i++) {
		unsigned int runs = 0;

		CHECK_EQ(0, failures(&plants[i], true, true, "", &runs));
		CHECK(runs >= SEEDS / 4);
	}
}
#endif

HARNESS_MAIN(TESTS)

/*
 * test_world.c - runs of the simulated world (model/world.c) with the
 * honest entropy device: they pass, they are deterministic, and the
 * replay of a run's own choices reproduces it.
 */
#include "harness.h"
#include "sim_runs.h"

#include <bystander.h>
#include <choice.h>
#include <linux/errno.h>
#include <linux/virtio_config.h>
#include <string.h>
#include <world.h>

#define STEPS 2000

static const struct sim_config entropy = { .steps_max = STEPS,
					   .device = SIM_DEVICE_ENTROPY };

#define TESTS(X)                                                               \
	X(two_hundred_seeds_run_clean)                                         \
	X(same_seed_same_hash)                                                 \
	X(replay_of_recorded_choices_same_hash)                                \
	X(different_seeds_different_hashes)                                    \
	X(zero_choices_run_clean)                                              \
	X(events_are_stored_when_asked)                                        \
	X(several_devices_and_drivers)                                         \
	X(bad_arguments)
TESTS(HARNESS_DECLARE)

static void two_hundred_seeds_run_clean(void)
{
	struct sim_result r;
	u64 seed, bound = 0, got = 0, detached = 0, bytes = 0;

	for (seed = 0; seed < 200; seed++) {
		sim_test_honest_run(&entropy, seed, &r);
		bound += r.driver_bound;
		got += r.tokens_got;
		detached += r.tokens_detached;
		bytes += r.bytes;
	}
	/* the world did something: most probes succeed, tokens flow both
	 * ways, bytes arrive */
	CHECK(bound >= 180);
	CHECK(got > 200 * 100);
	CHECK(detached >= 180);
	CHECK(bytes > 0);
}

static void same_seed_same_hash(void)
{
	sim_test_same_seed_same_hash(&entropy, 1000, 20);
}

static void replay_of_recorded_choices_same_hash(void)
{
	struct sim_result a, b;
	u64 seed;

	for (seed = 0; seed < 50; seed++) {
		sim_test_run_and_replay(&entropy, seed, &a, &b);
		CHECK(!b.failed);
		CHECK_EQ(a.event_hash, b.event_hash);
		CHECK_EQ(a.events, b.events);
		CHECK_EQ(a.choices, b.choices);
	}
}

static void different_seeds_different_hashes(void)
{
	enum { N = 64 };
	struct sim_config cfg = { .steps_max = 500,
				  .device = SIM_DEVICE_ENTROPY };
	u64 hashes[N];
	struct sim_result r;
	unsigned int i, j;

	for (i = 0; i < N; i++) {
		sim_test_run(&cfg, 5000 + i, &r);
		hashes[i] = r.event_hash;
		for (j = 0; j < i; j++)
			CHECK(hashes[i] != hashes[j]);
	}
}

/* An exhausted fuzz input: every draw is 0, the fairness rule alone
 * moves the device and the interrupts. */
static void zero_choices_run_clean(void)
{
	sim_test_zeros_run_clean(SIM_DEVICE_ENTROPY, 100);
}

static void events_are_stored_when_asked(void)
{
	struct sim_config cfg = { .steps_max = 300,
				  .device = SIM_DEVICE_ENTROPY };
	struct event_log log;
	struct sim_result r;
	const struct sim_event *ev;
	size_t i;

	event_log_init(&log, 0);
	cfg.log = &log;
	sim_test_run(&cfg, 7, &r);
	CHECK(!r.failed);
	CHECK(event_log_complete(&log));
	CHECK_EQ(r.events, event_log_stored(&log));
	CHECK_EQ(r.event_hash, event_log_hash(&log));
	CHECK(strcmp(sim_event_kind_name(event_log_get(&log, 0)->kind),
		     "run-start") == 0);
	ev = event_log_get(&log, event_log_stored(&log) - 1);
	CHECK(strcmp(sim_event_kind_name(ev->kind), "run-end") == 0);
	for (i = 0; i < event_log_stored(&log); i++)
		CHECK(sim_actor_name(event_log_get(&log, i)->actor) != NULL);
	event_log_free(&log);
}

/* Bystander events of one run's log (bystander.h): the bystander driver
 * coming, bystander devices bound to it (as they or it came), or failed
 * as they came. */
struct bystander_counts {
	unsigned int driver_came, device_bound, device_failed;
};

static void count_bystanders(const struct event_log *log,
			     struct bystander_counts *c)
{
	size_t i;

	for (i = 0; i < event_log_stored(log); i++) {
		const struct sim_event *ev = event_log_get(log, i);

		if (ev->kind != SIM_EV_PROBE || ev->queue == 0)
			continue;
		if (ev->queue == SIM_BYSTANDER_DRIVER_EVENT) {
			c->driver_came++;
			c->device_bound += (unsigned int)ev->b;
		} else if (ev->b)
			c->device_bound++;
		else if (ev->a & VIRTIO_CONFIG_S_FAILED)
			c->device_failed++;
	}
}

/* Under hot-unplug, the bus holds several devices and drivers: the
 * second driver comes and goes, binds bystanders and fails its probe on
 * some, and the registry oracle stays quiet. */
static void several_devices_and_drivers(void)
{
	struct adversary adv;
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_ANY,
				  .adversary = &adv };
	struct bystander_counts c = { 0 };
	struct event_log log;
	struct sim_result r;
	u64 seed;

	adv_config_none(&adv);
	adv_enable(&adv, ADV_HOT_UNPLUG, ADV_RATE_DEN / 4);
	for (seed = 1; seed <= 40; seed++) {
		event_log_init(&log, 0);
		cfg.log = &log;
		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		count_bystanders(&log, &c);
		event_log_free(&log);
	}
	fprintf(stderr, "bystander driver came %u times, bound %u, failed %u\n",
		c.driver_came, c.device_bound, c.device_failed);
	CHECK(c.driver_came >= 20);
	CHECK(c.device_bound >= 20);
	CHECK(c.device_failed >= 5);
}

static void bad_arguments(void)
{
	struct sim_config cfg = { .steps_max = 1 };
	struct choice_source cs;
	struct sim_result r;

	choice_init_seed(&cs, 1);
	CHECK_EQ(-EINVAL, sim_run(NULL, &cs, &r));
	CHECK_EQ(-EINVAL, sim_run(&cfg, NULL, &r));
	CHECK_EQ(-EINVAL, sim_run(&cfg, &cs, NULL));
	choice_free(&cs);
}

HARNESS_MAIN(TESTS)

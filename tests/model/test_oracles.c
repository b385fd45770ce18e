/*
 * test_oracles.c - every oracle of the world fires on the bug it exists
 * for. Each test plants one fault (a broken driver, device, registry or
 * ring state: world.h's plant_* switches), runs the world, and checks that
 * the run fails with exactly that oracle; the same runs without the plant
 * pass. The ring itself with planted bugs is tests/planted/: there, the
 * oracles that guard the ring and the registry (missed-detection,
 * driver-rule, features, setup, free-descriptors, semantics, registry)
 * fire on a real bug compiled into that code, and stay quiet on the
 * real code (planted.none). free_descriptors_fires and features_fires
 * below only show the check itself.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <oracle.h>
#include <string.h>
#include <test_device.h>
#include <world.h>

#define SEEDS 20

/* Runs SEEDS seeds of cfg; returns how many failed, each with oracle. */
static unsigned int run_failures(struct sim_config cfg, const char *oracle)
{
	unsigned int seed, failed = 0;

	for (seed = 0; seed < SEEDS; seed++) {
		struct sim_result r;

		sim_test_run_quiet(&cfg, seed, &r);
		if (!r.failed)
			continue;
		failed++;
		if (strcmp(r.oracle, oracle) != 0)
			sim_test_report(seed, &r);
		CHECK(strcmp(r.oracle, oracle) == 0);
	}
	return failed;
}

/* The plant makes (nearly) every run fail with oracle; without it, none. */
static void expect_oracle(struct sim_config planted, const char *oracle,
			  unsigned int at_least)
{
	struct sim_config clean = {
		.device = planted.device,
		.adversary = planted.adversary,
		.steps_max = planted.steps_max,
	};

	CHECK(run_failures(planted, oracle) >= at_least);
	CHECK_EQ(0, run_failures(clean, "none"));
}

#define TESTS(X)                                                               \
	X(token_conservation_fires)                                            \
	X(token_returned_twice_fires)                                          \
	X(free_descriptors_fires)                                              \
	X(stall_fires)                                                         \
	X(device_stall_is_not_a_failure)                                       \
	X(device_progress_is_no_stall)                                         \
	X(data_integrity_fires)                                                \
	X(false_alarm_fires)                                                   \
	X(driver_rule_fires)                                                   \
	X(features_fires)                                                      \
	X(warn_fires)                                                          \
	X(leak_fires)
TESTS(HARNESS_DECLARE)

static void token_conservation_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_lost_token = true };

	expect_oracle(cfg, "token-conservation", SEEDS * 3 / 4);
}

static void token_returned_twice_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_double_return = true };

	expect_oracle(cfg, "token-returned-twice", SEEDS * 3 / 4);
}

/* A queue torn down with a chain still outstanding. */
static void free_descriptors_fires(void)
{
	struct oracle o;
	struct test_vq t;
	struct scatterlist sg;
	static char buf[16];
	char *mem = kmalloc(sizeof(buf), GFP_KERNEL);

	test_vq_create(&t, 8, 0, true);
	oracle_init(&o, 100);
	oracle_queue_teardown(&o, t.vq);
	CHECK(!o.failed);
	sg_init_one(&sg, mem, sizeof(buf));
	CHECK_EQ(7, virtqueue_add_inbuf(t.vq, &sg, 1, buf, GFP_KERNEL));
	oracle_queue_teardown(&o, t.vq);
	CHECK(o.failed);
	CHECK(strcmp(o.name, "free-descriptors") == 0);
	CHECK_PTR_EQ(buf, virtqueue_detach_unused_buf(t.vq));
	test_vq_destroy(&t);
	kfree(mem);
}

/* A driver that never takes its used buffers stalls: its fault. */
static void stall_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_deaf_driver = true };

	expect_oracle(cfg, "stall", SEEDS * 3 / 4);
}

/* A device that never completes stalls the driver: its fault, counted,
 * not failed. */
static void device_stall_is_not_a_failure(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_device_stall = true };
	unsigned int seed, stalled = 0;

	for (seed = 0; seed < SEEDS; seed++) {
		struct sim_result r;

		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		CHECK_EQ(0, r.tokens_got);
		stalled += r.device_stalls > 0;
	}
	CHECK(stalled >= SEEDS * 3 / 4);
}

/* The bound counts steps in which neither a token came back nor the
 * device made progress the driver need not know of yet (a slow device
 * under delayed callbacks): only a wait with neither fails. */
static void device_progress_is_no_stall(void)
{
	struct oracle o;

	oracle_init(&o, 10);
	for (o.step = 1; o.step <= 100; o.step++) {
		if (o.step % 10 == 0)
			oracle_progress_device(&o);
		oracle_progress_tick(&o, true, false);
	}
	CHECK(!o.failed);
	for (; o.step <= 111; o.step++)
		oracle_progress_tick(&o, true, false);
	CHECK(o.failed);
	CHECK(strcmp(o.name, "stall") == 0);
	CHECK_EQ(111, o.fail_step);
}

/* Every device with data to check: a flipped byte is seen. */
static void data_integrity_fires(void)
{
	static const enum sim_device_type types[] = { SIM_DEVICE_BLOCK,
						      SIM_DEVICE_CONSOLE,
						      SIM_DEVICE_NET };
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct sim_config cfg = { .device = types[i],
					  .plant_corrupt_data = true };

		expect_oracle(cfg, "data-integrity", SEEDS / 2);
	}
}

static void false_alarm_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_false_break = true };

	expect_oracle(cfg, "false-alarm", SEEDS * 3 / 4);
}

static void driver_rule_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_driver_rule = true };

	expect_oracle(cfg, "driver-rule", SEEDS * 3 / 4);
}

/* The world's accept-foreign plant (ringside sim --plant) widens the
 * negotiated features after the registry ran; the registry itself with
 * that bug is planted.bug9. */
static void features_fires(void)
{
	struct adversary adv;
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .adversary = &adv,
				  .plant_accept_foreign = true };

	adv_config_none(&adv);
	adv_enable(&adv, ADV_FOREIGN_FEATURES, ADV_RATE_DEN);
	expect_oracle(cfg, "features", SEEDS);
}

static void warn_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_null_token = true };

	expect_oracle(cfg, "warn", SEEDS * 3 / 4);
}

static void leak_fires(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
				  .plant_leak = true };

	expect_oracle(cfg, "leak", SEEDS * 3 / 4);
}

HARNESS_MAIN(TESTS)

/*
 * test_sim_config.c - a run's configuration as text (model/sim_config.c):
 * it round-trips, a run from the parsed text is the same run, and every
 * malformed text is refused with a message naming the bad part.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <linux/errno.h>
#include <string.h>
#include <world.h>

#define TESTS(X)                                                               \
	X(format_is_canonical)                                                 \
	X(round_trip)                                                          \
	X(parsed_config_runs_the_same)                                         \
	X(bad_texts_are_refused)                                               \
	X(plant_names)
TESTS(HARNESS_DECLARE)

static void format_is_canonical(void)
{
	struct adversary adv;
	struct sim_config cfg = { .device = SIM_DEVICE_NET, .adversary = &adv };
	char buf[512];
	size_t len;

	adv_config_none(&adv);
	adv_enable(&adv, ADV_DUPLICATE, 16);
	adv_enable(&adv, ADV_OUT_OF_ORDER, 256);
	cfg.plant_leak = true;
	len = sim_config_format(&cfg, buf, sizeof(buf));
	CHECK_EQ(strlen(buf), len);
	CHECK(strcmp(buf, "device=net steps=2000 stall=256 "
			  "adversary=out-of-order:256,duplicate:16 "
			  "plants=leak") == 0);
	cfg.swarm = true;
	cfg.steps_max = 50;
	len = sim_config_format(&cfg, buf, sizeof(buf));
	CHECK(strcmp(buf, "device=net steps=50 stall=256 adversary=swarm "
			  "plants=leak") == 0);
	/* snprintf-style: the full length even when cut */
	CHECK_EQ(len, sim_config_format(&cfg, buf, 8));
	CHECK(strcmp(buf, "device=") == 0);
}

static void round_trip(void)
{
	static const char *const texts[] = {
		"device=any steps=2000 stall=256 adversary=none plants=",
		"device=block steps=1 stall=1 adversary=swarm "
		"plants=lost-token,double-return",
		"device=entropy steps=99999 stall=10 "
		"adversary=delay:1,alloc-fail:1024 plants=corrupt-data",
	};
	struct sim_config cfg;
	struct adversary adv;
	char buf[512], err[128];
	unsigned int i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		CHECK_EQ(0, sim_config_parse(texts[i], &cfg, &adv, err,
					     sizeof(err)));
		sim_config_format(&cfg, buf, sizeof(buf));
		CHECK(strcmp(buf, texts[i]) == 0);
	}
	/* fields in any order */
	CHECK_EQ(0, sim_config_parse("plants=leak device=console", &cfg, &adv,
				     err, sizeof(err)));
	CHECK_EQ(SIM_DEVICE_CONSOLE, cfg.device);
	CHECK(cfg.plant_leak);
	CHECK(cfg.adversary == &adv);
}

static u64 run_hash(const struct sim_config *cfg, u64 seed)
{
	struct sim_result r;

	sim_test_run(cfg, seed, &r);
	return r.event_hash;
}

static void parsed_config_runs_the_same(void)
{
	struct adversary adv, adv2;
	struct sim_config cfg = { .device = SIM_DEVICE_BLOCK,
				  .steps_max = 700,
				  .adversary = &adv };
	struct sim_config parsed;
	char buf[512], err[128];

	adv_config_none(&adv);
	adv_enable(&adv, ADV_USED_ID_RANGE, 64);
	adv_enable(&adv, ADV_HOT_UNPLUG, 64);
	sim_config_format(&cfg, buf, sizeof(buf));
	CHECK_EQ(0, sim_config_parse(buf, &parsed, &adv2, err, sizeof(err)));
	CHECK_EQ(run_hash(&cfg, 11), run_hash(&parsed, 11));
	/* and the text matters: another rate is another run */
	adv_enable(&adv, ADV_HOT_UNPLUG, 512);
	CHECK(run_hash(&cfg, 11) != run_hash(&parsed, 11));
}

static void expect_refused(const char *text, const char *part)
{
	struct sim_config cfg;
	struct adversary adv;
	char err[160] = "";

	CHECK_EQ(-EINVAL, sim_config_parse(text, &cfg, &adv, err, sizeof(err)));
	if (!strstr(err, part))
		fprintf(stderr, "'%s': message '%s' lacks '%s'\n", text, err,
			part);
	CHECK(strstr(err, part) != NULL);
}

static void bad_texts_are_refused(void)
{
	expect_refused("", "no device");
	expect_refused("steps=5", "no device");
	expect_refused("device=toaster", "unknown device");
	expect_refused("device=net colour=red", "unknown field");
	expect_refused("device=net device=net", "given twice");
	expect_refused("device=net steps=0", "bad steps");
	expect_refused("device=net steps=-1", "bad steps");
	expect_refused("device=net steps=12x", "bad steps");
	expect_refused("device=net steps=100000001", "bad steps");
	expect_refused("device=net steps=99999999999999999999999", "bad steps");
	expect_refused("device=net stall=", "bad stall");
	expect_refused("device=net adversary=delay", "NAME:RATE");
	expect_refused("device=net adversary=nosuch:1", "unknown behaviour");
	expect_refused("device=net adversary=delay:0", "rate out of range");
	expect_refused("device=net adversary=delay:1025", "rate out of range");
	expect_refused("device=net plants=bogus", "unknown plant");
	expect_refused("device=net  steps=5", "unknown field");
}

static void plant_names(void)
{
	unsigned int p;

	for (p = 0; p < SIM_PLANT_COUNT; p++) {
		const char *name = sim_plant_name((enum sim_plant)p);
		struct sim_config cfg = { 0 };

		CHECK(name != NULL);
		CHECK_EQ(p, sim_plant_lookup(name, strlen(name)));
		sim_plant_set(&cfg, (enum sim_plant)p, true);
		CHECK(sim_plant_get(&cfg, (enum sim_plant)p));
	}
	CHECK(sim_plant_name(SIM_PLANT_COUNT) == NULL);
	CHECK_EQ(SIM_PLANT_COUNT, sim_plant_lookup("leakage", 7));
}

HARNESS_MAIN(TESTS)

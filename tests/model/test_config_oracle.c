/*
 * test_config_oracle.c - the config oracle (model/config_oracle.h) fires
 * on a torn read and stays quiet on a read of one generation, and the
 * world with the honest ring never trips it while its device changes its
 * config inside the driver's reads. That it fires on a broken ring is
 * tests/planted/ (config-read-no-retry).
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <config_oracle.h>
#include <sim_transport.h>
#include <string.h>
#include <world.h>

#define TESTS(X)                                                               \
	X(consistent_read_is_quiet)                                            \
	X(read_of_a_later_generation_is_quiet)                                 \
	X(torn_read_fires)                                                     \
	X(broken_device_is_not_judged)                                         \
	X(honest_ring_quiet_with_mid_read_changes)                             \
	X(honest_ring_quiet_in_swarm)
TESTS(HARNESS_DECLARE)

/* A device model whose config is this array. */
static u8 config[8];

static void fake_config_read(void *ctx, unsigned int offset, void *buf,
			     unsigned int len)
{
	(void)ctx;
	memcpy(buf, config + offset, len);
}

static const struct ringside_dm_ops fake_ops = {
	.abi_version = RINGSIDE_DM_ABI_VERSION,
	.name = "fake",
	.device_id = 4,
	.config_size = sizeof(config),
	.config_read = fake_config_read,
};

struct fixture {
	struct simt_transport t;
	struct oracle o;
	struct cfg_oracle c;
};

static void fixture_init(struct fixture *f)
{
	memcpy(config, "\x50\x00\x19\x00\x01\x00\x00\x00", sizeof(config));
	CHECK_EQ(0, simt_init(&f->t, &fake_ops, NULL, SIMT_MODERN));
	oracle_init(&f->o, 256);
	cfgo_init(&f->c, &f->t, &f->o);
}

/* The device resizes: cols 0x0151 and rows 0x0033, generation moves. */
static void resize(struct fixture *f)
{
	memcpy(config, "\x51\x01\x33\x00", 4);
	simt_config_change(&f->t);
	cfgo_changed(&f->c);
}

static void consistent_read_is_quiet(void)
{
	struct fixture f;
	u8 got[4];

	fixture_init(&f);
	cfgo_read_begin(&f.c);
	memcpy(got, config, 4);
	cfgo_read_end(&f.c, 0, got, 4);
	CHECK(!f.o.failed);
	CHECK_EQ(1, f.c.checks);
}

static void read_of_a_later_generation_is_quiet(void)
{
	struct fixture f;
	u8 got[4];

	fixture_init(&f);
	cfgo_read_begin(&f.c);
	resize(&f);
	memcpy(got, config, 4); /* the retry after the change */
	cfgo_read_end(&f.c, 0, got, 4);
	CHECK(!f.o.failed);
	CHECK_EQ(1, f.c.mid_read_changes);
}

static void torn_read_fires(void)
{
	struct fixture f;
	u8 got[4];

	fixture_init(&f);
	cfgo_read_begin(&f.c);
	got[0] = config[0]; /* the first byte before the resize */
	resize(&f);
	memcpy(got + 1, config + 1, 3); /* the others after it */
	cfgo_read_end(&f.c, 0, got, 4);
	CHECK(f.o.failed);
	CHECK(strcmp(f.o.name, "config") == 0);
}

static void broken_device_is_not_judged(void)
{
	struct fixture f;
	u8 got[4] = { 0xde, 0xad, 0xbe, 0xef };

	fixture_init(&f);
	cfgo_read_begin(&f.c);
	f.t.vdev.broken = true; /* the generation never settled */
	cfgo_read_end(&f.c, 0, got, 4);
	CHECK(!f.o.failed);
	CHECK_EQ(0, f.c.checks);
}

/* The console reads its size at probe and at each config change; with
 * config-storm the device resizes between the bytes of those reads. */
static void honest_ring_quiet_with_mid_read_changes(void)
{
	struct adversary adv;
	struct sim_config cfg = { .device = SIM_DEVICE_CONSOLE,
				  .adversary = &adv };
	u64 checks = 0, changes = 0;
	unsigned int seed;

	adv_config_none(&adv);
	adv_enable(&adv, ADV_CONFIG_STORM, ADV_RATE_DEFAULT);
	for (seed = 1; seed <= 150; seed++) {
		struct sim_result r;

		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		checks += r.config_checks;
		changes += r.config_mid_read_changes;
	}
	CHECK(checks > 150);
	CHECK(changes > 150);
}

static void honest_ring_quiet_in_swarm(void)
{
	struct sim_config cfg = { .device = SIM_DEVICE_ANY, .swarm = true };
	u64 checks = 0, changes = 0;
	unsigned int seed;

	for (seed = 1; seed <= 600; seed++) {
		struct sim_result r;

		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		checks += r.config_checks;
		changes += r.config_mid_read_changes;
	}
	CHECK(checks > 600);
	CHECK(changes > 0);
}

HARNESS_MAIN(TESTS)
